/*
 * test_cli_train.c - `quantflow train` and `quantflow model list|show` end
 * to end on the bundled BTC/USDT candles (a 2,000-bar slice, 10 trees):
 * what they print and save, --json, --help, and bad input that must leave
 * neither a model directory nor a store row behind.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define QF   QF_CLI_PATH
#define DATA QF_SOURCE_DIR "/data"

static char *dir;
static char db[600];
static char models[600];

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(db, sizeof db, "%s/qf.db", dir);
    snprintf(models, sizeof models, "%s/models", dir);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' import --quiet " DATA "/BTCUSDT-4h.csv", QF, db);
    cr_assert_eq(qf_test_run(cmd, NULL, NULL), 0);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli_train, .init = setup, .fini = teardown);

/* Runs quantflow with the temp db, a small model and the temp registry. */
static int qf(const char *args, char **out, char **errout)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' --db '%s' --set model.n_estimators=10 --set model.n_threads=1 --set "
             "model.registry_dir='%s' %s",
             QF, db, models, args);
    return qf_test_run(cmd, out, errout);
}

#define SLICE "--symbol BTC/USDT --from 2020-01-01 --to 2020-11-30"

static int entries(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    cr_assert_not_null(j, "not JSON (%s): %s", jerr.text, text);
    return j;
}

Test(cli_train, train_list_show)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("train " SLICE, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "binance BTC/USDT 4h: 2004 bars 2020-01-01T00:00:00Z .. "
                          "2020-11-30T00:00:00Z") != NULL,
              "%s", out);
    cr_expect(strstr(out, "129 skipped with a NaN feature, 12 unlabeled") != NULL, "%s", out);
    /* (2004 - 129 - 1112) / 102 + 1 = 8 folds (one 4h bar of 2020 is missing); the purge is the
     * label horizon, 12. */
    cr_expect(strstr(out, "cross-validated over 8 folds (train 1000, purge 12, test 100") != NULL,
              "%s", out);
    cr_expect(strstr(out, "always the majority class") != NULL, "%s", out);
    const char *line = strstr(out, "\nmodel BTCUSDT-4h-");
    cr_assert_not_null(line, "%s", out);
    char id[128];
    cr_assert_eq(sscanf(line, "\nmodel %127s", id), 1);
    free(out);
    free(err);
    cr_expect_eq(entries(models), 1);

    cr_assert_eq(qf("model list", &out, NULL), 0);
    cr_expect(strstr(out, id) != NULL && strstr(out, "BTC/USDT") != NULL &&
                  strstr(out, "2020-01-01 2020-11-30") != NULL && strstr(out, "candidate"),
              "%s", out);
    free(out);
    cr_assert_eq(qf("--json model list --symbol BTC/USDT", &out, NULL), 0);
    json_t *j = parse(out);
    cr_assert_eq(json_array_size(j), 1);
    json_t *r = json_array_get(j, 0);
    cr_expect_str_eq(json_string_value(json_object_get(r, "model_id")), id);
    cr_expect_eq(json_integer_value(json_object_get(r, "rows")), 2004 - 129 - 12);
    cr_expect(json_is_real(json_object_get(r, "cv_accuracy")));
    json_decref(j);
    free(out);
    cr_assert_eq(qf("model list --symbol ETH/USDT", &out, NULL), 0);
    cr_expect(strstr(out, "no models yet") != NULL, "%s", out);
    free(out);

    char args[256];
    snprintf(args, sizeof args, "model show %s", id);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "technical v1 (rolling_zscore, window 100, shift 1)") != NULL, "%s", out);
    cr_expect(strstr(out, "10 rounds") != NULL, "%s", out);
    cr_expect(strstr(out, "cross-validated over 8 folds (purge 12 bars)") != NULL, "%s", out);
    free(out);
    free(err);
    snprintf(args, sizeof args, "--json model show %s", id);
    cr_assert_eq(qf(args, &out, NULL), 0);
    j = parse(out);
    cr_expect_str_eq(json_string_value(json_object_get(j, "model_id")), id);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "metrics"), "folds")), 8);
    cr_expect_eq(
        json_integer_value(json_object_get(json_object_get(j, "config"), "effective_purge_bars")),
        12);
    json_decref(j);
    free(out);

    /* The directory gone: show falls back to the store's record, with a warning. */
    char path[1024];
    snprintf(path, sizeof path, "rm -rf '%s/%s'", models, id);
    cr_assert_eq(system(path), 0);
    snprintf(args, sizeof args, "model show %s", id);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "store record only") != NULL, "%s", out);
    cr_expect(strstr(err, "metadata.json missing") != NULL, "%s", err);
    free(out);
    free(err);
}

Test(cli_train, json_and_no_cv)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("--json train --no-cv " SLICE, &out, &err), 0, "%s", err);
    json_t *j = parse(out);
    cr_expect(json_is_null(json_object_get(j, "cv")));
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "rows"), "used")),
                 2004 - 129 - 12);
    const char *id = json_string_value(json_object_get(j, "model_id"));
    cr_assert_not_null(id);
    char args[256];
    snprintf(args, sizeof args, "model show %s", id);
    free(out);
    free(err);
    cr_assert_eq(qf(args, &out, NULL), 0);
    cr_expect(strstr(out, "scores:     none") != NULL, "%s", out);
    json_decref(j);
    free(out);
}

Test(cli_train, too_little_data_saves_nothing)
{
    char *out = NULL, *err = NULL;
    /* 150 bars: fewer than portfolio.min_train_bars. */
    cr_expect_eq(qf("train --symbol BTC/USDT --from 2020-01-01 --to 2020-01-25T20:00", &out, &err),
                 1);
    cr_expect(strstr(err, "too little data to train: 150 bars, at least 200 needed "
                          "(portfolio.min_train_bars)") != NULL,
              "%s", err);
    free(out);
    free(err);
    /* 300 bars but 129 without every normalised feature: too few labeled rows. */
    cr_expect_eq(qf("train --symbol BTC/USDT --from 2020-01-01 --to 2020-02-19T20:00", &out, &err),
                 1);
    cr_expect(strstr(err, "(portfolio.min_valid_labels)") != NULL, "%s", err);
    free(out);
    free(err);
    /* A series that is not stored. */
    cr_expect_eq(qf("train --symbol SOL/USDT", &out, &err), 1);
    cr_expect(strstr(err, "no binance SOL/USDT 4h candles") != NULL, "%s", err);
    free(out);
    free(err);
    cr_expect_eq(entries(models), 0);
    cr_assert_eq(qf("model list", &out, NULL), 0);
    cr_expect(strstr(out, "no models yet") != NULL, "%s", out);
    free(out);
}

Test(cli_train, help_and_usage)
{
    char *out = NULL, *err = NULL;
    cr_expect_eq(qf("train --help", &out, NULL), 0);
    cr_expect(strstr(out, "usage: quantflow train --symbol S") != NULL, "%s", out);
    free(out);
    cr_expect_eq(qf("model --help", &out, NULL), 0);
    cr_expect(strstr(out, "quantflow model show ID") != NULL, "%s", out);
    free(out);
    cr_expect_eq(qf("model show --help", &out, NULL), 0);
    free(out);
    cr_expect_eq(qf("train", NULL, &err), 2);
    free(err);
    cr_expect_eq(qf("train --symbol BTC/USDT --bogus", NULL, &err), 2);
    free(err);
    cr_expect_eq(qf("model", NULL, &err), 2);
    free(err);
    cr_expect_eq(qf("model frob", NULL, &err), 2);
    free(err);
    cr_expect_eq(qf("model show", NULL, &err), 2);
    free(err);
    cr_expect_eq(qf("model show nope", NULL, &err), 1);
    cr_expect(strstr(err, "no model nope in the store nor in") != NULL, "%s", err);
    free(err);
    cr_expect_eq(qf("model show ../etc", NULL, &err), 1);
    cr_expect(strstr(err, "not a model id") != NULL, "%s", err);
    free(err);
    cr_expect_eq(qf("--help", &out, NULL), 0);
    cr_expect(strstr(out, "train") != NULL && strstr(out, "model list | model show ID") != NULL,
              "%s", out);
    free(out);
}
