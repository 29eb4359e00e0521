/*
 * test_registry.c - the model registry: save -> load round trips give the
 * same predictions and metadata, the store row matches the files, model
 * ids, feature-set mismatches and corrupt files refused with errors naming
 * the difference or the file, and failed saves leave nothing behind.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "features/featureset.h"
#include "model/gbdt.h"
#include "model/labels.h"
#include "model/registry.h"
#include "model/registry_int.h"
#include "testutil.h"

#define NF QF_TECH_FEATURES

static char *dir;      /* per test */
static char root[600]; /* dir/models */
static char dbpath[600];
static qf_store *store;

/* One small model trained on real BTC bars, shared by the tests. */
static double *xs;
static size_t n_rows = 1200;
static qf_gbdt *model;
static qf_gbdt_rows rows;

static void train_once(void)
{
    qf_bars all = qf_test_bars("BTCUSDT");
    size_t off = 5000, n = n_rows;
    qf_bars b = all;
    b.open_time += off, b.open += off, b.high += off, b.low += off, b.close += off;
    b.volume += off;
    b.n = n;
    double *cols = malloc(n * NF * sizeof *cols);
    xs = malloc(n * NF * sizeof *xs);
    int8_t *label = malloc(n);
    double *target = malloc(n * sizeof *target);
    qf_feature_params fp = qf_feature_params_default();
    qf_label_params lp = qf_label_params_default();
    qf_err err;
    cr_assert_eq(qf_features_compute(&b, &fp, cols, &err), QF_OK);
    cr_assert_eq(qf_label_triple_barrier(b.close, n, &lp, label, &err), QF_OK);
    cr_assert_eq(qf_forward_log_return(b.close, n, 12, target, &err), QF_OK);
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < NF; f++)
            xs[i * NF + f] = cols[f * n + i];
    qf_gbdt_data d = {xs, n, NF, label, target};
    qf_gbdt_params p = qf_gbdt_params_default();
    p.n_estimators = 10;
    p.n_threads = 1;
    cr_assert_eq(qf_gbdt_train(&d, &p, &model, &rows, &err), QF_OK, "%s", err.msg);
    free(cols);
    free(label);
    free(target);
    qf_bars_cleanup(&all);
}

static void setup(void)
{
    dir = qf_test_tmpdir();
    snprintf(root, sizeof root, "%s/models", dir);
    snprintf(dbpath, sizeof dbpath, "%s/q.db", dir);
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(dbpath, &store, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(store, NULL, &err), QF_OK, "%s", err.msg);
    train_once();
}

static void teardown(void)
{
    qf_gbdt_free(model);
    free(xs);
    qf_store_close(store);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(registry, .init = setup, .fini = teardown);

static qf_model_meta meta_for(qf_gbdt *m)
{
    qf_model_meta meta;
    qf_model_meta_init(&meta);
    qf_err err;
    cr_assert_eq(qf_model_meta_set_features(&meta, qf_feature_set_technical(), &err), QF_OK);
    strcpy(meta.normalization, "rolling_zscore");
    meta.norm_window = 100;
    meta.norm_shift = 1;
    strcpy(meta.series.exchange, "binance");
    strcpy(meta.series.symbol, "BTC/USDT");
    strcpy(meta.series.timeframe, "4h");
    meta.first_open_time = 1574000000000 - 1574000000000 % 14400000;
    meta.last_open_time = meta.first_open_time + (int64_t)(n_rows - 1) * 14400000;
    meta.rows = rows;
    meta.n_quantiles = qf_gbdt_n_quantiles(m);
    for (size_t k = 0; k < meta.n_quantiles; k++)
        meta.quantiles[k] = qf_gbdt_alpha(m, k);
    meta.config = json_pack("{s{sisf}}", "model", "n_estimators", 10, "learning_rate", 0.05);
    meta.metrics = json_pack("{sf}", "accuracy", 0.42);
    return meta;
}

static void save_ok(qf_model_meta *meta, char *out_dir, size_t size)
{
    qf_err err;
    cr_assert_eq(qf_registry_save(root, model, meta, store, out_dir, size, &err), QF_OK, "%s",
                 err.msg);
}

/* Entries of root other than "." and ".." (for "nothing left behind"). */
static int entries(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int64_t store_rows(void)
{
    qf_model_record *v = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_store_list_models(store, NULL, &v, &n, &err), QF_OK);
    qf_model_records_free(v, n);
    return (int64_t)n;
}

Test(registry, sha256_known_vectors)
{
    char h[QF_SHA256_HEX];
    qf_sha256_hex("", 0, h);
    cr_expect_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    qf_sha256_hex("abc", 3, h);
    cr_expect_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    qf_sha256_hex(m56, 56, h);
    cr_expect_str_eq(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char a[1000];
    memset(a, 'a', sizeof a);
    struct {
        size_t n;
        const char *hex;
    } cases[] = {{55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
                 {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
                 {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
                 {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qf_sha256_hex(a, cases[i].n, h);
        cr_expect_str_eq(h, cases[i].hex, "%zu bytes", cases[i].n);
    }
}

Test(registry, model_ids)
{
    const char *good[] = {"BTCUSDT-4h-20260107T120000-3fa91c", "a", "x.y_z-1"};
    const char *bad[] = {"", ".", "..", "../x", "a/b", ".hidden", "sp ace", "a\\b", "é"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect_eq(qf_registry_check_id(good[i], NULL), QF_OK, "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(qf_registry_check_id(bad[i], NULL), QF_EINVAL, "%s", bad[i]);
    char longid[200];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    cr_expect_eq(qf_registry_check_id(longid, NULL), QF_EINVAL);
}

Test(registry, save_then_load_round_trip)
{
    qf_model_meta meta = meta_for(model);
    char path[1024];
    save_ok(&meta, path, sizeof path);
    /* The id: series, UTC time to the second, 6 hex digits. */
    cr_assert_eq(strncmp(meta.model_id, "BTCUSDT-4h-", 11), 0, "%s", meta.model_id);
    cr_expect_eq(strlen(meta.model_id), strlen("BTCUSDT-4h-20260107T120000-3fa91c"));
    cr_expect_eq(meta.model_id[19], 'T');
    cr_expect_gt(meta.created_at, 0);
    cr_expect_str_eq(meta.xgboost_version, "1.7.4");
    /* The directory holds exactly the files, nothing temporary is left. */
    cr_expect_eq(entries(root), 1);
    cr_expect_eq(entries(path), 7);
    const char *files[] = {"metadata.json", "classifier.json", "q10.json", "q25.json",
                           "q50.json",      "q75.json",        "q90.json"};
    for (size_t i = 0; i < 7; i++) {
        char f[1200];
        snprintf(f, sizeof f, "%s/%s", path, files[i]);
        struct stat st;
        cr_expect_eq(stat(f, &st), 0, "%s", f);
    }
    /* The store row: the directory's absolute path and metadata.json's hash. */
    qf_model_record r;
    qf_model_record_init(&r);
    qf_err err;
    cr_assert_eq(qf_store_get_model(store, meta.model_id, &r, &err), QF_OK, "%s", err.msg);
    char mp[1200];
    snprintf(mp, sizeof mp, "%s/metadata.json", path);
    size_t len = 0;
    char *text = qf_test_read_file(mp, &len);
    char h[QF_SHA256_HEX];
    qf_sha256_hex(text, len, h);
    cr_expect_str_eq(r.sha256, h);
    cr_expect_eq(r.path[0], '/');
    cr_expect_str_eq(r.symbol, "BTC/USDT");
    cr_expect_eq(r.train_from, meta.first_open_time);
    cr_expect_eq(r.train_to, meta.last_open_time);
    cr_expect(strstr(r.feature_names, "\"log_returns\"") != NULL, "%s", r.feature_names);
    json_t *metrics = json_loads(r.metrics, 0, NULL);
    cr_expect(json_equal(metrics, meta.metrics), "%s", r.metrics);
    json_decref(metrics);
    cr_expect(strstr(r.params, "\"technical\"") != NULL, "%s", r.params);
    json_t *doc = json_loads(text, 0, NULL);
    cr_assert_not_null(doc);
    cr_expect_str_eq(json_string_value(json_object_get(doc, "format")), "quantflow-model");
    cr_expect_eq(json_array_size(json_object_get(doc, "files")), 6);
    json_decref(doc);
    free(text);
    qf_model_record_cleanup(&r);

    /* Load: the same metadata and the same predictions, bit for bit. */
    qf_gbdt *back = NULL;
    qf_model_meta got;
    qf_model_meta_init(&got);
    cr_assert_eq(
        qf_registry_load(root, meta.model_id, qf_feature_set_technical(), 1, &back, &got, &err),
        QF_OK, "%s", err.msg);
    cr_expect_str_eq(got.model_id, meta.model_id);
    cr_expect_eq(got.created_at, meta.created_at);
    cr_expect_str_eq(got.feature_set, "technical");
    cr_expect_eq(got.feature_set_version, 1);
    cr_expect_str_eq(got.feature_names[9], "volume_ratio");
    cr_expect_str_eq(got.normalization, "rolling_zscore");
    cr_expect_eq(got.norm_window, 100);
    cr_expect_eq(memcmp(&got.series, &meta.series, sizeof got.series), 0);
    cr_expect_eq(got.first_open_time, meta.first_open_time);
    cr_expect_eq(got.rows.used, rows.used);
    cr_expect_eq(got.rows.nan_skipped, rows.nan_skipped);
    cr_expect_eq(got.rows.class_counts[2], rows.class_counts[2]);
    cr_expect_eq(got.n_quantiles, 5);
    cr_expect(json_equal(got.config, meta.config));
    cr_expect(json_equal(got.metrics, meta.metrics));
    double p1[3], q1[5], p2[3], q2[5];
    for (size_t i = 40; i < n_rows; i += 37) {
        cr_assert_eq(qf_gbdt_predict_row(model, xs + i * NF, p1, q1, &err), QF_OK);
        cr_assert_eq(qf_gbdt_predict_row(back, xs + i * NF, p2, q2, &err), QF_OK);
        cr_assert_eq(memcmp(p1, p2, sizeof p1), 0, "row %zu", i);
        cr_assert_eq(memcmp(q1, q2, sizeof q1), 0, "row %zu", i);
    }
    qf_gbdt_free(back);
    /* read_meta alone gives the same metadata. */
    qf_model_meta only;
    qf_model_meta_init(&only);
    cr_assert_eq(qf_registry_read_meta(root, meta.model_id, &only, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(only.rows.total, rows.total);
    qf_model_meta_cleanup(&only);
    qf_model_meta_cleanup(&got);
    qf_model_meta_cleanup(&meta);
}

Test(registry, wrong_feature_set_is_refused)
{
    qf_model_meta meta = meta_for(model);
    save_ok(&meta, NULL, 0);
    const qf_feature_set_info *t = qf_feature_set_technical();
    qf_feature_set_info other = *t;
    qf_gbdt *m = (qf_gbdt *)&other; /* must stay untouched */
    qf_gbdt *keep = m;
    qf_err err;
    other.version = 2;
    cr_expect_eq(qf_registry_load(root, meta.model_id, &other, 1, &m, NULL, &err), QF_EVERSION);
    cr_expect(strstr(err.msg, "trained on technical v1; this build computes technical v2") != NULL,
              "%s", err.msg);
    other = *t;
    other.name = "orderbook";
    cr_expect_eq(qf_registry_load(root, meta.model_id, &other, 1, &m, NULL, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "feature set 'technical', not 'orderbook'") != NULL, "%s", err.msg);
    other = *t;
    const char *names[NF];
    memcpy(names, t->feature_names, sizeof names);
    names[3] = "bb_width";
    other.feature_names = names;
    cr_expect_eq(qf_registry_load(root, meta.model_id, &other, 1, &m, NULL, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "feature 3 is 'bb_pct_b', expected 'bb_width'") != NULL, "%s",
              err.msg);
    other = *t;
    other.n_features = NF - 1;
    cr_expect_eq(qf_registry_load(root, meta.model_id, &other, 1, &m, NULL, &err), QF_EINVAL);
    cr_expect_eq(m, keep);
    qf_model_meta_cleanup(&meta);
}

/* Writes text over dir/<id>/<name>. */
static void overwrite(const char *id, const char *name, const char *text, size_t len)
{
    char d[1024];
    snprintf(d, sizeof d, "%s/%s", root, id);
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", d, name);
    remove(p);
    free(qf_test_write_file(d, name, text, len));
}

static char *read_part(const char *id, const char *name, size_t *len)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s/%s", root, id, name);
    char *t = qf_test_read_file(p, len);
    cr_assert_not_null(t, "%s", p);
    return t;
}

static void expect_load_fails(const char *id, qf_rc code, const char *needle)
{
    qf_gbdt *m = NULL;
    qf_err err;
    cr_expect_eq(qf_registry_load(root, id, qf_feature_set_technical(), 1, &m, NULL, &err), code,
                 "%s", err.msg);
    cr_expect(strstr(err.msg, needle) != NULL, "'%s' not in '%s'", needle, err.msg);
    cr_expect_null(m);
}

Test(registry, corrupt_files_are_refused_naming_the_file)
{
    qf_model_meta meta = meta_for(model);
    save_ok(&meta, NULL, 0);
    const char *id = meta.model_id;
    size_t len = 0;
    /* A changed digit keeps q25.json valid JSON: only the checksum catches it. */
    char *q25 = read_part(id, "q25.json", &len);
    char *digit = strstr(q25, "\"base_weights\":[");
    cr_assert_not_null(digit);
    digit += strlen("\"base_weights\":[");
    while (*digit < '0' || *digit > '9')
        digit++;
    char was = *digit;
    *digit = was == '9' ? '8' : (char)(was + 1);
    overwrite(id, "q25.json", q25, len);
    expect_load_fails(id, QF_EPARSE, "q25.json: checksum mismatch");
    *digit = was;
    overwrite(id, "q25.json", q25, len);
    /* Truncated: the size differs. */
    size_t cls_len = 0;
    char *cls = read_part(id, "classifier.json", &cls_len);
    overwrite(id, "classifier.json", cls, cls_len / 2);
    expect_load_fails(id, QF_EPARSE, "classifier.json: checksum mismatch");
    overwrite(id, "classifier.json", cls, cls_len);
    free(cls);
    free(q25);
    /* A missing model file is named. */
    char p[1200];
    snprintf(p, sizeof p, "%s/%s/q90.json", root, id);
    cr_assert_eq(remove(p), 0);
    expect_load_fails(id, QF_ENOTFOUND, "q90.json");
    qf_model_meta_cleanup(&meta);
}

Test(registry, bad_metadata_is_refused)
{
    qf_model_meta meta = meta_for(model);
    save_ok(&meta, NULL, 0);
    const char *id = meta.model_id;
    size_t len = 0;
    char *orig = read_part(id, "metadata.json", &len);
    /* Not JSON: file, line and column. */
    overwrite(id, "metadata.json", "{\"format\": ", 11);
    expect_load_fails(id, QF_EPARSE, "metadata.json:1:");
    /* A key missing or of the wrong type is named. */
    json_t *j = json_loads(orig, 0, NULL);
    json_object_del(json_object_get(j, "feature_set"), "version");
    char *t = json_dumps(j, 0);
    overwrite(id, "metadata.json", t, strlen(t));
    expect_load_fails(id, QF_EPARSE, "metadata.json: feature_set.version: missing");
    free(t);
    json_decref(j);
    j = json_loads(orig, 0, NULL);
    json_object_set_new(j, "format_version", json_integer(2));
    t = json_dumps(j, 0);
    overwrite(id, "metadata.json", t, strlen(t));
    expect_load_fails(id, QF_EVERSION, "format_version 2");
    free(t);
    json_decref(j);
    /* A file entry pointing elsewhere. */
    j = json_loads(orig, 0, NULL);
    json_t *e = json_array_get(json_object_get(j, "files"), 2);
    json_object_set_new(e, "file", json_string("../../etc/passwd"));
    t = json_dumps(j, 0);
    overwrite(id, "metadata.json", t, strlen(t));
    expect_load_fails(id, QF_EPARSE, "files[2]: expected q25.json");
    free(t);
    json_decref(j);
    /* The id inside must be the directory's. */
    j = json_loads(orig, 0, NULL);
    json_object_set_new(j, "model_id", json_string("other"));
    t = json_dumps(j, 0);
    overwrite(id, "metadata.json", t, strlen(t));
    expect_load_fails(id, QF_EPARSE, "model_id 'other' is not the directory's");
    free(t);
    json_decref(j);
    /* Restored, it loads again. */
    overwrite(id, "metadata.json", orig, len);
    qf_gbdt *m = NULL;
    qf_err err;
    cr_expect_eq(qf_registry_load(root, id, NULL, 1, &m, NULL, &err), QF_OK, "%s", err.msg);
    qf_gbdt_free(m);
    free(orig);
    expect_load_fails("no-such-model", QF_ENOTFOUND, "no model no-such-model in");
    expect_load_fails("../models", QF_EINVAL, "not a model id");
    qf_model_meta_cleanup(&meta);
}

Test(registry, failed_saves_leave_nothing)
{
    qf_err err;
    /* Metadata that does not describe the model. */
    qf_model_meta meta = meta_for(model);
    meta.n_features = 9;
    cr_expect_eq(qf_registry_save(root, model, &meta, store, NULL, 0, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "takes 10") != NULL, "%s", err.msg);
    meta.n_features = NF;
    meta.quantiles[2] = 0.55;
    cr_expect_eq(qf_registry_save(root, model, &meta, store, NULL, 0, &err), QF_EINVAL);
    meta.quantiles[2] = 0.5;
    strcpy(meta.series.symbol, "btcusdt");
    cr_expect_eq(qf_registry_save(root, model, &meta, store, NULL, 0, &err), QF_EINVAL);
    strcpy(meta.series.symbol, "BTC/USDT");
    cr_expect_str_eq(meta.model_id, "", "meta unchanged on failure");
    cr_expect_eq(entries(root), 0);

    /* A store that refuses the row (read-only): the directory goes again. */
    qf_store *ro = NULL;
    cr_assert_eq(qf_store_open_sqlite_readonly(dbpath, &ro, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(qf_registry_save(root, model, &meta, ro, NULL, 0, &err), QF_ESTORE);
    cr_expect(strstr(err.msg, "not saved") != NULL, "%s", err.msg);
    qf_store_close(ro);
    cr_expect_eq(entries(root), 0, "nothing left in %s", root);
    cr_expect_str_eq(meta.model_id, "");
    cr_expect_eq(store_rows(), 0);

    /* The same id twice: the second save fails, the first stays whole. */
    strcpy(meta.model_id, "fixed-id");
    save_ok(&meta, NULL, 0);
    cr_expect_eq(qf_registry_save(root, model, &meta, store, NULL, 0, &err), QF_EEXIST);
    cr_expect(strstr(err.msg, "fixed-id already exists") != NULL, "%s", err.msg);
    cr_expect_eq(entries(root), 1);
    qf_gbdt *m = NULL;
    cr_expect_eq(qf_registry_load(root, "fixed-id", NULL, 1, &m, NULL, &err), QF_OK, "%s", err.msg);
    qf_gbdt_free(m);

    /* An id the store already holds (its directory gone): refused, nothing written. */
    char p[1200];
    snprintf(p, sizeof p, "rm -rf '%s/fixed-id'", root);
    cr_assert_eq(system(p), 0);
    cr_expect_eq(qf_registry_save(root, model, &meta, store, NULL, 0, &err), QF_EEXIST);
    cr_expect_eq(entries(root), 0);
    cr_expect_eq(store_rows(), 1);
    qf_model_meta_cleanup(&meta);
}
