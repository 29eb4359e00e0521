/*
 * test_cli_backfill.c - `quantflow backfill` end to end: the binary, pointed
 * at a mock exchange on 127.0.0.1 by --set, fills a temporary store for two
 * symbols, says what it did (text and --json), inserts nothing on a re-run,
 * and fails with a clear message for an unknown symbol or a bad --since.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_exchange.h"
#include "testutil.h"

#define QF QF_CLI_PATH

static char *dir;
static char db[600];
static qf_mock *mock;

static void setup(void)
{
    qf_err err;
    qf_mock_opts mo = {0};
    cr_assert_eq(qf_mock_start(&mo, &mock, &err), QF_OK, "%s", err.msg);
    dir = qf_test_tmpdir();
    snprintf(db, sizeof db, "%s/qf.db", dir);
}

static void teardown(void)
{
    qf_mock_stop(mock);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli_backfill, .init = setup, .fini = teardown, .timeout = 60);

static int qf(const char *args, char **out, char **errout)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "QF_RATELIMIT_DIR='%s' '%s' --db '%s' --set exchanges.binance.base_url=%s %s", dir, QF,
             db, qf_mock_url(mock), args);
    return qf_test_run(cmd, out, errout);
}

static json_int_t field(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    cr_assert(json_is_integer(v), "%s", k);
    return json_integer_value(v);
}

Test(cli_backfill, two_symbols_then_a_rerun_that_inserts_nothing)
{
    char *out = NULL, *err = NULL;
    const char *args = "backfill --exchange binance --symbols BTC/USDT,ETH/USDT --timeframe 4h "
                       "--since 2024-10-01 --json";
    int rc = qf(args, &out, &err);
    cr_assert_eq(rc, 0, "stdout: %s\nstderr: %s", out, err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    /* 2024-10-01 to the mock's 2025-03-01: 151 days of 4h bars, two symbols. */
    json_int_t ins = field(j, "inserted");
    cr_assert(ins >= 2 * 151 * 6 - 12 && ins <= 2 * 151 * 6, "%lld", (long long)ins);
    cr_assert_eq(field(j, "updated"), 0);
    cr_assert(field(j, "requests") >= 2);
    cr_assert(field(j, "weight") >= 2 * field(j, "requests"));
    cr_assert(json_is_null(json_object_get(j, "error")));
    json_decref(j);
    free(out);
    free(err);
    /* data list sees both series. */
    rc = qf("data list", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "BTC/USDT") != NULL && strstr(out, "ETH/USDT") != NULL, "%s", out);
    free(out);
    free(err);
    /* Text summary, nothing new. */
    rc = qf("backfill --symbols BTC/USDT,ETH/USDT --timeframe 4h --since 2024-10-01", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "0 inserted, 0 updated") != NULL, "%s", out);
    free(out);
    free(err);
}

Test(cli_backfill, unknown_symbol_and_bad_since_are_clear_errors)
{
    char *out = NULL, *err = NULL;
    int rc = qf("backfill --symbols DOGE/USDT --timeframe 4h --since 2024-10-01", &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(err, "DOGE/USDT") != NULL && strstr(err, "unknown symbol") != NULL, "%s", err);
    free(out);
    free(err);
    rc = qf("backfill --symbols BTC/USDT --since 2024-13-01", &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "--since") != NULL, "%s", err);
    free(out);
    free(err);
    rc = qf("backfill --symbols BTCUSDT --since 2024-10-01", &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(err, "BTCUSDT") != NULL, "%s", err);
    free(out);
    free(err);
}
