/*
 * test_sqlite_runs.c - recording backtest runs: what is stored, JSON checked
 * before anything is written, required fields, ids.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store.h"
#define TD_STORE_FIXTURE
#include "store_testdata.h"

TestSuite(sqlite_runs, .init = td_store_setup, .fini = td_store_teardown);

static int64_t runs(void)
{
    return td_sql_int(db, "SELECT count(*) FROM backtest_runs");
}

Test(sqlite_runs, stores_the_run)
{
    int64_t t0 = qf_time_now_ms();
    int64_t id1 = 0;
    int64_t id2 = 0;
    qf_err err;
    const char *params = "{\"fast\": 10, \"slow\": 30, \"note\": \"quote ' and \\\"\"}";
    cr_assert_eq(qf_store_insert_backtest_run(st, "ma_crossover", "BTC/USDT", "4h", params,
                                              "{\"sharpe\": 1.25, \"trades\": [1, 2]}", &id1, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(
        qf_store_insert_backtest_run(st, "buy_hold", "ETH/USDT", "1d", NULL, NULL, &id2, &err),
        QF_OK, "%s", err.msg);
    cr_assert_gt(id1, 0);
    cr_assert_gt(id2, id1);
    cr_assert_eq(runs(), 2);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM backtest_runs WHERE id = %lld AND strategy = 'ma_crossover' AND "
             "symbol = 'BTC/USDT' AND timeframe = '4h' AND json_extract(parameters, '$.slow') = "
             "30 AND json_extract(metrics, '$.sharpe') = 1.25 AND created_at >= %lld",
             (long long)id1, (long long)t0);
    cr_assert_eq(td_sql_int(db, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM backtest_runs WHERE id = %lld AND parameters IS NULL AND "
             "metrics IS NULL",
             (long long)id2);
    cr_assert_eq(td_sql_int(db, sql), 1);
    /* The note with its quotes came back as written. */
    snprintf(sql, sizeof sql,
             "SELECT json_extract(parameters, '$.note') = 'quote '' and \"' FROM backtest_runs "
             "WHERE id = %lld",
             (long long)id1);
    cr_assert_eq(td_sql_int(db, sql), 1);
}

Test(sqlite_runs, bad_json_is_rejected_and_nothing_written)
{
    const char *bad[] = {
        "", "{", "{\"a\": }", "{'a': 1}", "[1, 2,]", "{\"a\": 1} trailing", "NaN", "\xff\xfe"};
    qf_err err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t id = -7;
        cr_assert_eq(
            qf_store_insert_backtest_run(st, "s", "BTC/USDT", "4h", bad[i], "{}", &id, &err),
            QF_EINVAL, "params '%s' accepted", bad[i]);
        cr_assert(strstr(err.msg, "params_json is not JSON") != NULL, "%s", err.msg);
        cr_assert_eq(id, -7, "out_id set on failure");
        cr_assert_eq(
            qf_store_insert_backtest_run(st, "s", "BTC/USDT", "4h", "{}", bad[i], &id, &err),
            QF_EINVAL, "metrics '%s' accepted", bad[i]);
        cr_assert(strstr(err.msg, "metrics_json is not JSON") != NULL, "%s", err.msg);
    }
    cr_assert_eq(runs(), 0);
    /* Any JSON value is a document. */
    cr_assert_eq(qf_store_insert_backtest_run(st, "s", "BTC/USDT", "4h", "[]", "42", NULL, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(runs(), 1);
}

Test(sqlite_runs, required_fields)
{
    char long_name[300];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    qf_err err;
    cr_assert_eq(qf_store_insert_backtest_run(st, NULL, "BTC/USDT", "4h", NULL, NULL, NULL, &err),
                 QF_EINVAL);
    cr_assert_eq(qf_store_insert_backtest_run(st, "s", "", "4h", NULL, NULL, NULL, &err),
                 QF_EINVAL);
    cr_assert_eq(qf_store_insert_backtest_run(st, "s", "BTC/USDT", NULL, NULL, NULL, NULL, &err),
                 QF_EINVAL);
    cr_assert_eq(
        qf_store_insert_backtest_run(st, long_name, "BTC/USDT", "4h", NULL, NULL, NULL, &err),
        QF_EINVAL);
    cr_assert_eq(qf_store_insert_backtest_run(NULL, "s", "BTC/USDT", "4h", NULL, NULL, NULL, &err),
                 QF_EINVAL);
    cr_assert_eq(runs(), 0);
}
