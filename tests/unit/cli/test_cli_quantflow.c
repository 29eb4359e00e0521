/*
 * test_cli_quantflow.c - `quantflow backtest --strategy quantflow` and
 * `quantflow ablation` end to end on a temporary store holding the bundled
 * BTC candles and news headlines (a small model so it runs in seconds):
 * the run completes and is saved, the ablation runs its seven variants with
 * the deflated Sharpe counting them, the news reach the strategy through the
 * store, and what ablation cannot run is refused.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define QF   QF_CLI_PATH
#define DATA QF_SOURCE_DIR "/data"
/* a small model: 10 trees, one thread, train 300 / test 100 bars */
#define SMALL                                                                                      \
    "--set model.n_estimators=10 --set model.n_threads=1 --set "                                   \
    "model.walk_forward.train_bars=300 --set regime.n_restarts=2 "
/* March to July 2022: the bundled headlines' months, with 300 bars before */
#define RANGE "--symbol BTC/USDT --from 2021-11-01 --to 2022-07-05"

static char *dir;
static char db[600];

static int qf(const char *args, char **out, char **errout)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' %s", QF, db, args);
    return qf_test_run(cmd, out, errout);
}

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(db, sizeof db, "%s/qf.db", dir);
    cr_assert_eq(qf("import --quiet " DATA "/BTCUSDT-4h.csv", NULL, NULL), 0);
    cr_assert_eq(qf("sentiment import " DATA "/news/headlines.csv", NULL, NULL), 0);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli_quantflow, .init = setup, .fini = teardown, .timeout = 300);

static json_t *load(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    cr_assert_not_null(j, "%s: %s", path, je.text);
    return j;
}

static double metric(json_t *metrics, const char *k)
{
    json_t *v = json_object_get(metrics, k);
    cr_assert(json_is_number(v), "metric %s", k);
    return json_number_value(v);
}

Test(cli_quantflow, backtest_runs_and_is_saved)
{
    char args[1024], path[700], *err = NULL;
    snprintf(path, sizeof path, "%s/q.json", dir);
    snprintf(args, sizeof args, SMALL "backtest --strategy quantflow " RANGE " --json '%s'", path);
    cr_assert_eq(qf(args, NULL, &err), 0, "%s", err);
    free(err);
    json_t *j = load(path);
    json_t *m = json_object_get(j, "metrics");
    cr_expect_gt(metric(m, "trades"), 0);
    cr_expect_gt(metric(m, "final_equity"), 0);
    json_t *sp = json_object_get(json_object_get(j, "parameters"), "strategy_params");
    cr_expect_eq(json_number_value(json_object_get(sp, "ml")), 1.0);
    json_decref(j);
    char *out = NULL;
    snprintf(args, sizeof args,
             "sqlite3 '%s' \"SELECT count(*) FROM backtest_runs WHERE strategy "
             "= 'quantflow'\"",
             db);
    cr_assert_eq(qf_test_run(args, &out, NULL), 0);
    cr_expect_str_eq(out, "1\n");
    free(out);
}

Test(cli_quantflow, ablation_runs_every_variant)
{
    char args[1024], path[700], *err = NULL, *out = NULL;
    snprintf(path, sizeof path, "%s/a.json", dir);
    snprintf(args, sizeof args, SMALL "ablation " RANGE " --json '%s'", path);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "deflated Sharpe over 7 trials") != NULL, "%s", out);
    free(out);
    free(err);
    json_t *j = load(path);
    cr_expect_eq(json_integer_value(json_object_get(j, "trials")), 7);
    json_t *runs = json_object_get(j, "runs");
    cr_assert_eq(json_array_size(runs), 7);
    const char *names[7] = {"full",          "no_ml",         "no_technical",  "no_sentiment",
                            "fixed_weights", "no_vol_target", "no_risk_checks"};
    const char *switched[7] = {NULL,         "ml",  "technical", "sentiment", "regime_gating",
                               "vol_target", "risk"};
    double equity[7];
    for (size_t k = 0; k < 7; k++) {
        json_t *r = json_array_get(runs, k);
        cr_expect_str_eq(json_string_value(json_object_get(r, "ablation")), names[k]);
        json_t *sp = json_object_get(r, "strategy_params");
        const char *key;
        json_t *v;
        json_object_foreach(sp, key, v)
        {
            double want = switched[k] != NULL && strcmp(key, switched[k]) == 0 ? 0.0 : 1.0;
            cr_expect_eq(json_number_value(v), want, "%s: %s", names[k], key);
        }
        equity[k] = metric(json_object_get(r, "metrics"), "final_equity");
    }
    /* the news of March-July 2022 are in the store: without them the
     * decisions, hence the final equity, differ; without ML even more */
    cr_expect_neq(equity[0], equity[3], "sentiment reaches the strategy");
    cr_expect_neq(equity[0], equity[1]);
    json_decref(j);
    snprintf(args, sizeof args, "sqlite3 '%s' 'SELECT count(*) FROM backtest_runs'", db);
    cr_assert_eq(qf_test_run(args, &out, NULL), 0);
    cr_expect_str_eq(out, "7\n", "each variant saved");
    free(out);
}

/* walkforward: the purge raised to the label horizon and said so, every
 * fold's training labels ending before its test window, scores per fold. */
Test(cli_quantflow, walkforward_purges_by_the_horizon)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf(SMALL "walkforward " RANGE " --quiet", &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "purge: 12 bars = the label horizon") != NULL, "%s", out);
    cr_expect(strstr(out, "would let the last 9 training labels see into each test window") != NULL,
              "%s", out);
    free(out);
    free(err);
    cr_assert_eq(qf("--json " SMALL "walkforward " RANGE, &out, &err), 0, "%s", err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    cr_expect_eq(json_integer_value(json_object_get(j, "purge_bars_configured")), 3);
    cr_expect_eq(json_integer_value(json_object_get(j, "purge_bars_effective")), 12);
    json_t *folds = json_object_get(j, "per_fold");
    cr_assert_gt(json_array_size(folds), 3);
    for (size_t f = 0; f < json_array_size(folds); f++) {
        json_t *fd = json_array_get(folds, f);
        json_int_t te = json_integer_value(json_object_get(fd, "train_end"));
        json_int_t tb = json_integer_value(json_object_get(fd, "test_begin"));
        cr_expect_eq(tb - te, 12, "fold %zu", f);
        cr_expect(te - 1 + 12 < tb, "the last training label is known before the test window");
        json_t *sc = json_object_get(fd, "scores");
        double acc = json_number_value(json_object_get(sc, "accuracy"));
        cr_expect(acc >= 0 && acc <= 1, "fold %zu accuracy %g", f, acc);
        cr_expect(json_integer_value(json_object_get(fd, "test_from_ms")) > 0);
    }
    json_decref(j);
    free(out);
    free(err);
    cr_expect_eq(qf("walkforward --symbol BTC/USDT --from 2025-12-01", NULL, &err), 1);
    cr_expect(strstr(err, "one needs train_bars + purge + test_bars = 1000 + 12 + 100") != NULL,
              "%s", err);
    free(err);
}

/* model drift: the inputs of a model trained on 2021 against the latest
 * bars, flagged by the threshold; refused when no bar follows the training. */
Test(cli_quantflow, model_drift)
{
    char args[1400], *out = NULL, *err = NULL;
    snprintf(args, sizeof args,
             SMALL "train --symbol BTC/USDT --from 2021-01-01 --to 2021-12-31 --no-cv --quiet "
                   "--models-dir '%s/models'",
             dir);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    char *id = strstr(out, "model ");
    cr_assert_not_null(id, "%s", out);
    char model[128];
    cr_assert_eq(sscanf(id, "model %127s", model), 1);
    free(out);
    free(err);
    snprintf(args, sizeof args, "--json model drift %s --recent 400", model);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    json_t *feats = json_object_get(j, "features");
    cr_assert_eq(json_array_size(feats), 10);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "recent"), "bars")), 400);
    size_t flagged = 0;
    for (size_t f = 0; f < 10; f++) {
        json_t *x = json_array_get(feats, f);
        double psi = json_number_value(json_object_get(x, "psi"));
        cr_expect(psi >= 0, "psi %g", psi);
        cr_expect_eq(json_is_true(json_object_get(x, "drift")), psi > 0.2);
        flagged += psi > 0.2;
    }
    cr_expect_eq(json_integer_value(json_object_get(j, "flagged")), (json_int_t)flagged);
    json_decref(j);
    free(out);
    free(err);
    snprintf(args, sizeof args, "--set monitoring.drift_psi_threshold=0.000001 model drift %s",
             model);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "10 of 10 features above the threshold") != NULL, "%s", out);
    free(out);
    free(err);
    /* a model trained up to the last stored bar has nothing to compare */
    snprintf(args, sizeof args,
             SMALL "train --symbol BTC/USDT --from 2024-01-01 --no-cv --quiet --models-dir "
                   "'%s/models'",
             dir);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_assert_eq(sscanf(strstr(out, "model "), "model %127s", model), 1);
    free(out);
    free(err);
    snprintf(args, sizeof args, "model drift %s", model);
    cr_expect_eq(qf(args, NULL, &err), 1);
    cr_expect(strstr(err, "bars after the model's training data") != NULL, "%s", err);
    free(err);
}

Test(cli_quantflow, refused)
{
    char *err = NULL;
    cr_expect_eq(qf("ablation --strategy ma_crossover --symbol BTC/USDT", NULL, &err), 1);
    cr_expect(strstr(err, "ablation runs the quantflow strategy only") != NULL, "%s", err);
    free(err);
    cr_expect_eq(qf("backtest --strategy quantflow --symbol BTC/USDT --param ml=3", NULL, &err), 1);
    cr_expect(strstr(err, "ml must be 0 or 1") != NULL, "%s", err);
    free(err);
    cr_expect_eq(qf("backtest --strategy nope --symbol BTC/USDT", NULL, &err), 1);
    cr_expect(strstr(err, "buy_and_hold, ma_crossover, mean_reversion, quantflow") != NULL, "%s",
              err);
    free(err);
}
