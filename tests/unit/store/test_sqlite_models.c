/*
 * test_sqlite_models.c - the model index (model_artifacts): what is stored
 * and read back, listing order and the symbol filter, the newest version by
 * id, duplicates, and bad records refused before anything is written.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#define TD_STORE_FIXTURE
#include "store_testdata.h"

TestSuite(sqlite_models, .init = td_store_setup, .fini = td_store_teardown);

static int64_t rows(void)
{
    return td_sql_int(db, "SELECT count(*) FROM model_artifacts");
}

static char *text_copy(const char *s)
{
    char *c = malloc(strlen(s) + 1);
    strcpy(c, s);
    return c;
}

/* A valid record; texts malloc'd (free with qf_model_record_cleanup). */
static qf_model_record record(const char *id, const char *symbol, int64_t created_at)
{
    qf_model_record r;
    qf_model_record_init(&r);
    snprintf(r.model_id, sizeof r.model_id, "%s", id);
    r.version = 1;
    strcpy(r.kind, "gbdt");
    strcpy(r.exchange, "binance");
    snprintf(r.symbol, sizeof r.symbol, "%s", symbol);
    strcpy(r.timeframe, "4h");
    r.created_at = created_at;
    r.train_from = 1502942400000;
    r.train_to = 1767686400000;
    r.feature_names = text_copy("[\"log_returns\", \"rsi\"]");
    r.params = text_copy("{\"feature_set\": {\"name\": \"technical\", \"version\": 1}}");
    r.metrics = text_copy("{\"accuracy\": 0.41, \"quantiles\": [{\"alpha\": 0.1}]}");
    r.path = text_copy("/var/models/x");
    memset(r.sha256, 'a', 64);
    r.sha256[64] = '\0';
    return r;
}

Test(sqlite_models, insert_get_and_list)
{
    qf_model_record a = record("BTCUSDT-4h-20260107T120000-3fa91c", "BTC/USDT", 2000);
    qf_model_record b = record("ETHUSDT-4h-20260107T110000-000001", "ETH/USDT", 1000);
    qf_model_record c = record("BTCUSDT-4h-20260108T120000-aaaaaa", "BTC/USDT", 3000);
    free(c.metrics);
    c.metrics = NULL;
    c.sha256[0] = '\0';
    strcpy(c.status, "active");
    qf_err err;
    int64_t ida = 0, idb = 0, idc = 0;
    cr_assert_eq(qf_store_insert_model(st, &a, &ida, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_insert_model(st, &b, &idb, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_insert_model(st, &c, &idc, &err), QF_OK, "%s", err.msg);
    cr_expect(ida > 0 && idb > ida && idc > idb);
    cr_expect_eq(td_sql_int(db, "SELECT count(*) FROM model_artifacts WHERE status = 'candidate'"),
                 2, "status defaults to candidate");
    cr_expect_eq(td_sql_int(db, "SELECT count(*) FROM model_artifacts WHERE metrics IS NULL AND "
                                "sha256 IS NULL AND data IS NULL"),
                 1);
    cr_expect_eq(td_sql_int(db, "SELECT json_extract(params, '$.feature_set.version') FROM "
                                "model_artifacts WHERE name LIKE 'BTCUSDT-4h-20260107%'"),
                 1);

    qf_model_record got;
    qf_model_record_init(&got);
    cr_assert_eq(qf_store_get_model(st, a.model_id, &got, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(got.id, ida);
    cr_expect_str_eq(got.model_id, a.model_id);
    cr_expect_eq(got.version, 1);
    cr_expect_str_eq(got.kind, "gbdt");
    cr_expect_str_eq(got.exchange, "binance");
    cr_expect_str_eq(got.symbol, "BTC/USDT");
    cr_expect_str_eq(got.timeframe, "4h");
    cr_expect_eq(got.created_at, 2000);
    cr_expect_eq(got.train_from, a.train_from);
    cr_expect_eq(got.train_to, a.train_to);
    cr_expect_str_eq(got.feature_names, a.feature_names);
    cr_expect_str_eq(got.params, a.params);
    cr_expect_str_eq(got.metrics, a.metrics);
    cr_expect_str_eq(got.path, a.path);
    cr_expect_str_eq(got.sha256, a.sha256);
    cr_expect_str_eq(got.status, "candidate");
    /* A second get into the same record replaces it (no leak under ASan). */
    cr_assert_eq(qf_store_get_model(st, c.model_id, &got, &err), QF_OK, "%s", err.msg);
    cr_expect_null(got.metrics);
    cr_expect_str_eq(got.sha256, "");
    cr_expect_str_eq(got.status, "active");
    /* Unknown id: not found, the record unchanged. */
    cr_expect_eq(qf_store_get_model(st, "nope", &got, &err), QF_ENOTFOUND);
    cr_expect(strstr(err.msg, "no model nope") != NULL, "%s", err.msg);
    cr_expect_eq(got.id, idc);
    qf_model_record_cleanup(&got);

    qf_model_record *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_models(st, NULL, &v, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_expect_eq(v[0].id, idb, "ordered by created_at");
    cr_expect_eq(v[1].id, ida);
    cr_expect_eq(v[2].id, idc);
    qf_model_records_free(v, n);
    cr_assert_eq(qf_store_list_models(st, "BTC/USDT", &v, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(v[0].symbol, "BTC/USDT");
    qf_model_records_free(v, n);
    cr_assert_eq(qf_store_list_models(st, "SOL/USDT", &v, &n, &err), QF_OK);
    cr_expect_eq(n, 0);
    cr_expect_null(v);
    qf_model_record_cleanup(&a);
    qf_model_record_cleanup(&b);
    qf_model_record_cleanup(&c);
}

Test(sqlite_models, duplicates_and_versions)
{
    qf_model_record a = record("m1", "BTC/USDT", 1000);
    qf_err err;
    cr_assert_eq(qf_store_insert_model(st, &a, NULL, &err), QF_OK, "%s", err.msg);
    int64_t id = -5;
    cr_expect_eq(qf_store_insert_model(st, &a, &id, &err), QF_EEXIST);
    cr_expect(strstr(err.msg, "model m1 version 1 is already recorded") != NULL, "%s", err.msg);
    cr_expect_eq(id, -5);
    cr_expect_eq(rows(), 1);
    a.version = 2;
    a.created_at = 500;
    cr_assert_eq(qf_store_insert_model(st, &a, NULL, &err), QF_OK, "%s", err.msg);
    qf_model_record got;
    qf_model_record_init(&got);
    cr_assert_eq(qf_store_get_model(st, "m1", &got, &err), QF_OK);
    cr_expect_eq(got.version, 2, "the newest version");
    qf_model_record_cleanup(&got);
    qf_model_record_cleanup(&a);
}

Test(sqlite_models, bad_records_write_nothing)
{
    qf_err err;
    const char *bad_ids[] = {"", ".hidden", "a/b", "../x", "sp ace", "x\n"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        qf_model_record r = record(bad_ids[i], "BTC/USDT", 1);
        cr_expect_eq(qf_store_insert_model(st, &r, NULL, &err), QF_EINVAL, "id '%s'", bad_ids[i]);
        cr_expect(strstr(err.msg, "model id") != NULL, "%s", err.msg);
        qf_model_record_cleanup(&r);
    }
    struct {
        const char *field;
        const char *needle;
    } cases[] = {{"version", "version must be >= 1"},
                 {"kind", "kind must be"},
                 {"symbol", "store"},
                 {"timeframe", "timeframe"},
                 {"times", "train_from <= train_to"},
                 {"params", "params is not JSON"},
                 {"names", "feature_names is not JSON"},
                 {"metrics", "metrics is not JSON"},
                 {"sha", "sha256 must be"},
                 {"status", "status must be"},
                 {"path", "empty or too long path"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qf_model_record r = record("ok-id", "BTC/USDT", 1);
        const char *f = cases[i].field;
        if (strcmp(f, "version") == 0)
            r.version = 0;
        else if (strcmp(f, "kind") == 0)
            strcpy(r.kind, "GBDT");
        else if (strcmp(f, "symbol") == 0)
            strcpy(r.symbol, "btcusdt");
        else if (strcmp(f, "timeframe") == 0)
            strcpy(r.timeframe, "3h");
        else if (strcmp(f, "times") == 0)
            r.train_from = r.train_to + 1;
        else if (strcmp(f, "params") == 0)
            strcpy(r.params, "{");
        else if (strcmp(f, "names") == 0)
            strcpy(r.feature_names, "[1,");
        else if (strcmp(f, "metrics") == 0)
            strcpy(r.metrics, "NaN");
        else if (strcmp(f, "sha") == 0)
            r.sha256[10] = 'G';
        else if (strcmp(f, "status") == 0)
            strcpy(r.status, "live");
        else if (strcmp(f, "path") == 0)
            r.path[0] = '\0';
        cr_expect_eq(qf_store_insert_model(st, &r, NULL, &err), QF_EINVAL, "%s", f);
        cr_expect(strstr(err.msg, cases[i].needle) != NULL, "%s: %s", f, err.msg);
        qf_model_record_cleanup(&r);
    }
    cr_expect_eq(qf_store_insert_model(st, NULL, NULL, &err), QF_EINVAL);
    qf_model_record r = record("ok-id", "BTC/USDT", 1);
    cr_expect_eq(qf_store_insert_model(NULL, &r, NULL, &err), QF_EINVAL);
    qf_model_record_cleanup(&r);
    cr_expect_eq(rows(), 0);
    qf_model_record *v = NULL;
    size_t n = 0;
    cr_expect_eq(qf_store_list_models(st, "not a symbol", &v, &n, &err), QF_EINVAL);
    qf_model_record got;
    qf_model_record_init(&got);
    cr_expect_eq(qf_store_get_model(st, "", &got, &err), QF_EINVAL);
}

Test(sqlite_models, read_only_handle_refuses_writes)
{
    qf_store *ro = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &ro, &err), QF_OK, "%s", err.msg);
    qf_model_record r = record("m1", "BTC/USDT", 1);
    cr_expect_eq(qf_store_insert_model(ro, &r, NULL, &err), QF_ESTORE);
    qf_model_record *v = NULL;
    size_t n = 9;
    cr_expect_eq(qf_store_list_models(ro, NULL, &v, &n, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(n, 0);
    qf_model_record_cleanup(&r);
    qf_store_close(ro);
    cr_expect_eq(rows(), 0);
}
