/* End-to-end tests of the quantflow binary: import, data list, migrate, global
 * options and bad input, on the bundled real candles and a temporary store. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/labels.h"
#include "testutil.h"

#define QF   QF_CLI_PATH
#define DATA QF_SOURCE_DIR "/data"

static char *dir;
static char db[600];

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(db, sizeof db, "%s/qf.db", dir);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli, .init = setup, .fini = teardown);

/* Runs quantflow with the temp db; returns the exit code. */
static int qf(const char *args, char **out, char **errout)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' %s", QF, db, args);
    return qf_test_run(cmd, out, errout);
}

static json_t *data_list_json(void)
{
    char *out = NULL;
    cr_assert_eq(qf("--json data list", &out, NULL), 0);
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    cr_assert_not_null(j, "not JSON: %s", out);
    free(out);
    return j;
}

Test(cli, import_twice_then_list)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("import " DATA "/BTCUSDT-4h.csv " DATA "/SOLUSDT-4h.csv", &out, &err), 0, "%s",
                 err);
    cr_assert(strstr(out, "binance BTC/USDT 4h: 18370 rows read, 18370 imported (18370 new, 0 "
                          "updated, 0 unchanged), 0 skipped, 0 duplicates, 8 gaps (16 bars "
                          "missing)") != NULL,
              "%s", out);
    cr_assert(strstr(out, "gap: 7 bar(s) missing from 2018-02-08T04:00:00Z") != NULL, "%s", out);
    cr_assert(strstr(out, "SOL/USDT 4h: 11846 rows read") != NULL, "%s", out);
    free(out);
    free(err);
    cr_assert_eq(qf("import " DATA "/BTCUSDT-4h.csv", &out, NULL), 0);
    cr_assert(strstr(out, "0 imported (0 new, 0 updated, 18370 unchanged)") != NULL, "%s", out);
    free(out);

    json_t *j = data_list_json();
    cr_assert_eq(json_array_size(j), 2);
    json_t *b = json_array_get(j, 0);
    cr_assert_str_eq(json_string_value(json_object_get(b, "symbol")), "BTC/USDT");
    cr_assert_eq(json_integer_value(json_object_get(b, "bars")), 18370);
    cr_assert_eq(json_integer_value(json_object_get(b, "gaps")), 8);
    cr_assert_eq(json_integer_value(json_object_get(b, "missing_bars")), 16);
    cr_assert_str_eq(json_string_value(json_object_get(b, "first")), "2017-08-17T04:00:00Z");
    cr_assert_str_eq(json_string_value(json_object_get(b, "last")), "2026-01-06T08:00:00Z");
    json_decref(j);

    cr_assert_eq(qf("data list", &out, NULL), 0);
    cr_assert(strstr(out, "binance    BTC/USDT     4h   2017-08-17T04:00:00Z 2026-01-06T08:00:00Z"
                          "    18370     8       16") != NULL,
              "%s", out);
    free(out);
}

Test(cli, import_json_report)
{
    char *out = NULL;
    cr_assert_eq(qf("--json import " DATA "/ETHUSDT-4h.csv", &out, NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    json_t *r = json_array_get(j, 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "symbol")), "ETH/USDT");
    cr_assert_eq(json_integer_value(json_object_get(r, "inserted")), 18370);
    cr_assert_eq(json_integer_value(json_object_get(r, "gaps")), 8);
    json_decref(j);
    free(out);
}

Test(cli, bad_files_change_nothing)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("import " DATA "/BTCUSDT-4h.csv", NULL, NULL), 0);
    char path[700];
    snprintf(path, sizeof path, "import '%s/BTCUSDT-4h.csv'", dir);
    cr_assert_eq(qf(path, NULL, &err), 1);
    cr_assert(strstr(err, "No such file") != NULL, "%s", err);
    free(err);
    snprintf(path, sizeof path, "import '%s'", dir);
    cr_assert_eq(qf(path, NULL, &err), 1);
    free(err);
    char *junk = qf_test_write_file(dir, "BTCUSDT-4h.csv", "\x1f\x8b\x08\0junk", 8);
    snprintf(path, sizeof path, "import '%s'", junk);
    cr_assert_eq(qf(path, NULL, &err), 1);
    cr_assert(strstr(err, "binary") != NULL, "%s", err);
    free(err);
    free(junk);
    /* strict: one bad row rejects the file */
    const char *text = "open_time,open,high,low,close,volume\n"
                       "1767700800000,93000,93500,92900,93100,10\n"
                       "1767715200000,93100,93000,92800,92900,5\n";
    char *f = qf_test_write_file(dir, "BTCUSDT-4h.csv", text, strlen(text));
    snprintf(path, sizeof path, "import --strict '%s'", f);
    cr_assert_eq(qf(path, &out, &err), 1);
    cr_assert(strstr(err, "BTCUSDT-4h.csv:3: high") != NULL, "%s", err);
    free(out);
    free(err);
    json_t *j = data_list_json();
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(j, 0), "bars")), 18370);
    json_decref(j);
    /* lenient: the good row goes in, the bad one is reported with its line */
    snprintf(path, sizeof path, "import '%s'", f);
    cr_assert_eq(qf(path, &out, &err), 0);
    cr_assert(strstr(err, "BTCUSDT-4h.csv:3: high") != NULL, "%s", err);
    cr_assert(strstr(out, "1 imported (1 new") != NULL, "%s", out);
    cr_assert(strstr(out, "1 skipped") != NULL, "%s", out);
    free(out);
    free(err);
    free(f);
}

Test(cli, usage_errors)
{
    char *err = NULL;
    cr_assert_eq(qf("frobnicate", NULL, &err), 2);
    cr_assert(strstr(err, "unknown command 'frobnicate'") != NULL, "%s", err);
    free(err);
    cr_assert_eq(qf("import", NULL, &err), 2);
    free(err);
    cr_assert_eq(qf("import --batch -5 x.csv", NULL, &err), 2);
    free(err);
    cr_assert_eq(qf("--log-format xml data list", NULL, &err), 2);
    cr_assert(strstr(err, "unknown log format 'xml'") != NULL, "%s", err);
    free(err);
    cr_assert_eq(qf("data list --help", NULL, NULL), 2);
    char *out = NULL;
    cr_assert_eq(qf("import --help", &out, NULL), 0);
    cr_assert(strstr(out, "--strict") != NULL);
    free(out);
}

Test(cli, config_override_validated)
{
    char *err = NULL;
    cr_assert_eq(qf("--set risk.max_position_pct=1.5 data list", NULL, &err), 1);
    cr_assert(strstr(err, "config: risk.max_position_pct must be in (0, 1], got 1.5") != NULL, "%s",
              err);
    free(err);
    cr_assert_eq(qf("--set no.such.key=1 data list", NULL, &err), 1);
    cr_assert(strstr(err, "no.such.key") != NULL, "%s", err);
    free(err);
}

Test(cli, migrate_and_newer_schema_refused)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("migrate", &out, NULL), 0);
    cr_assert(strstr(out, "migrated from version 0 to") != NULL, "%s", out);
    free(out);
    cr_assert_eq(qf("migrate", &out, NULL), 0);
    cr_assert(strstr(out, "nothing to migrate") != NULL, "%s", out);
    free(out);
    char cmd[800];
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"INSERT INTO schema_migrations(version, name, applied_at) "
             "VALUES (999, 'future', '2030-01-01T00:00:00Z')\"",
             db);
    cr_assert_eq(qf_test_run(cmd, NULL, NULL), 0);
    cr_assert_eq(qf("data list", NULL, &err), 1);
    cr_assert(strstr(err, "999") != NULL, "%s", err);
    free(err);
}

Test(cli, db_from_environment)
{
    char cmd[1200], *out = NULL;
    snprintf(cmd, sizeof cmd, "QUANTFLOW_DB='%s/env.db' '%s' import %s/SOLUSDT-4h.csv", dir, QF,
             DATA);
    cr_assert_eq(qf_test_run(cmd, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "QUANTFLOW_DB='%s/env.db' '%s' data list", dir, QF);
    cr_assert_eq(qf_test_run(cmd, &out, NULL), 0);
    cr_assert(strstr(out, "SOL/USDT") != NULL, "%s", out);
    free(out);
}

Test(cli, make_run_script_imports_once)
{
    char cmd[1200], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "QUANTFLOW_DB='%s' QF_REPORT_DIR='%s/reports' QF_RUN_SET='%s' bash "
             "'%s/scripts/run.sh' '%s'",
             db, dir,
             "--set model.n_estimators=4 --set model.n_threads=1 --set regime.n_restarts=1 "
             "--set model.walk_forward.test_bars=1000",
             QF_SOURCE_DIR, QF);
    cr_assert_eq(qf_test_run(cmd, &out, NULL), 0);
    cr_assert(strstr(out, "ETH/USDT 4h: 18370 rows read, 18370 imported") != NULL, "%s", out);
    cr_assert(strstr(out, "SOL/USDT     4h") != NULL, "%s", out);
    /* quantflow and the benchmark strategies compared on BTC, a report
     * each, then the ablation */
    cr_assert(strstr(out, "4 strategies on BTC/USDT 4h, event engine, 18370 bars") != NULL, "%s",
              out);
    cr_assert(strstr(out, "ma_crossover") != NULL && strstr(out, "mean_reversion") != NULL);
    cr_assert(strstr(out, "5000 events read") != NULL, "the news imported: %s", out);
    cr_assert(strstr(out, "ablation of quantflow on BTC/USDT 4h") != NULL, "%s", out);
    cr_assert(strstr(out, "no_risk_checks") != NULL, "%s", out);
    const char *names[] = {"buy_and_hold", "ma_crossover", "mean_reversion", "quantflow"};
    for (int i = 0; i < 4; i++) {
        char path[900];
        snprintf(path, sizeof path, "%s/reports/BTCUSDT-4h-%s.html", dir, names[i]);
        size_t len = 0;
        char *html = qf_test_read_file(path, &len);
        cr_expect(html != NULL && len > 10000, "report %s", path);
        free(html);
    }
    free(out);
    cr_assert_eq(qf_test_run(cmd, &out, NULL), 0);
    cr_assert(strstr(out, "already stored, skipped") != NULL, "%s", out);
    cr_assert(strstr(out, "0 new, 0 updated, 5000 unchanged") != NULL, "news imported once: %s",
              out);
    free(out);
    char path[900];
    snprintf(path, sizeof path, "%s/reports/BTCUSDT-4h-ablation.json", dir);
    json_t *abl = json_load_file(path, 0, NULL);
    cr_assert_not_null(abl, "%s", path);
    cr_expect_eq(json_array_size(json_object_get(abl, "runs")), 7);
    json_decref(abl);
}

Test(cli, config_show_check_and_set)
{
    char *out = NULL, *err = NULL;
    char path[700], args[1600];
    size_t len = 0;
    char *orig = qf_test_read_file(QF_SOURCE_DIR "/config/default.yaml", &len);
    cr_assert_not_null(orig);
    char *cfg = qf_test_write_file(dir, "c.yaml", orig, len);
    cr_assert_not_null(cfg);
    snprintf(path, sizeof path, "%s", cfg);
    free(cfg);

    /* set: the one value changes in place, comments stay */
    snprintf(args, sizeof args, "--config '%s' config set risk.vol_target=0.2", path);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    char *now = qf_test_read_file(path, &len);
    cr_assert(strstr(now, "vol_target: 0.2 ") != NULL, "%s", now);
    cr_assert(strstr(now, "# annualised volatility target") != NULL);
    /* an invalid value writes nothing */
    snprintf(args, sizeof args, "--config '%s' config set risk.max_position_pct=1.5", path);
    cr_assert_eq(qf(args, NULL, &err), 1);
    cr_assert(strstr(err, "risk.max_position_pct must be in (0, 1], got 1.5") != NULL, "%s", err);
    free(err);
    char *after = qf_test_read_file(path, &len);
    cr_assert_str_eq(after, now, "a rejected set changed the file");
    free(after);
    free(now);

    /* show reflects the file; check validates it */
    snprintf(args, sizeof args, "--config '%s' --json config show", path);
    cr_assert_eq(qf(args, &out, NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    cr_assert_float_eq(json_real_value(json_object_get(json_object_get(j, "risk"), "vol_target")),
                       0.2, 1e-12);
    json_decref(j);
    free(out);
    snprintf(args, sizeof args, "config check '%s'", path);
    cr_assert_eq(qf(args, &out, NULL), 0);
    cr_assert(strstr(out, ": ok") != NULL);
    free(out);
    free(orig);
}

Test(cli, backtest_prints_saves_and_writes_json)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("import --quiet " DATA "/BTCUSDT-4h.csv", NULL, NULL), 0);
    char args[1400], json[700];
    snprintf(json, sizeof json, "%s/run.json", dir);
    snprintf(args, sizeof args,
             "backtest --strategy ma_crossover --symbol BTC/USDT --param fast=10 --json '%s'",
             json);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "Sharpe") != NULL && strstr(out, "max drawdown") != NULL, "%s", out);
    free(out);
    free(err);
    json_error_t jerr;
    json_t *doc = json_load_file(json, 0, &jerr);
    cr_assert_not_null(doc, "%s", jerr.text);
    json_t *m = json_object_get(doc, "metrics");
    const char *keys[] = {
        "final_equity", "total_return",  "cagr",         "sharpe",
        "sortino",      "calmar",        "max_drawdown", "max_drawdown_duration_bars",
        "hit_rate",     "profit_factor", "trades",       "turnover_annual",
        "exposure",     "var_5",         "cvar_5",       "psr",
        "dsr",          "capacity_usd"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_expect_not_null(json_object_get(m, keys[i]), "metric %s missing", keys[i]);
    cr_expect_eq(json_array_size(json_object_get(doc, "equity")), 18370);
    cr_expect_gt(json_array_size(json_object_get(doc, "trades")), 10);
    json_t *sp = json_object_get(json_object_get(doc, "parameters"), "strategy_params");
    cr_expect_float_eq(json_real_value(json_object_get(sp, "fast")), 10.0, 1e-12);
    json_decref(doc);
    /* the run is recorded in the store */
    snprintf(args, sizeof args, "sqlite3 '%s' 'SELECT strategy, symbol FROM backtest_runs'", db);
    cr_assert_eq(qf_test_run(args, &out, NULL), 0);
    cr_expect(strstr(out, "ma_crossover|BTC/USDT") != NULL, "%s", out);
    free(out);
    /* the vectorized engine: buy and hold equals the close ratio */
    cr_assert_eq(qf("--json backtest --strategy buy_and_hold --symbol BTC/USDT --engine "
                    "vectorized --capital 1000 --no-save",
                    &out, NULL),
                 0);
    doc = json_loads(out, 0, &jerr);
    cr_assert_not_null(doc, "%s", out);
    double fe = json_real_value(json_object_get(json_object_get(doc, "metrics"), "final_equity"));
    cr_expect(fe > 1000 * 20 && fe < 1000 * 23, "BTC 4300 -> 93000 less costs: %g", fe);
    json_decref(doc);
    free(out);
}

Test(cli, backtest_bad_input_writes_nothing)
{
    char *err = NULL;
    char args[1400], json[700];
    cr_assert_eq(qf("import --quiet " DATA "/BTCUSDT-4h.csv", NULL, NULL), 0);
    snprintf(json, sizeof json, "%s/bad.json", dir);
    const char *cases[][2] = {
        {"--strategy nope --symbol BTC/USDT", "unknown strategy 'nope'"},
        {"--strategy ma_crossover --symbol BTC/USDT --param fast=50 --param slow=20",
         "fast (50) must be below slow (20)"},
        {"--strategy ma_crossover --symbol BTC/USDT --param fast=-2", "fast must be"},
        {"--strategy buy_and_hold --symbol DOGE/USDT", "no binance DOGE/USDT 4h candles"},
        {"--strategy buy_and_hold --symbol BTC/USDT --from 2030-01-01", "no binance BTC/USDT"},
        {"--strategy buy_and_hold --symbol BTC/USDT --from 2024-01-01 --to 2023-01-01",
         "empty date range"},
        {"--strategy ma_crossover --symbol BTC/USDT --param window=3", "no parameter 'window'"},
        {"--strategy ma_crossover --symbol BTC/USDT --from 2024-01-01 --to 2024-01-05",
         "ma_crossover needs at least 52 bars"},
        {"--strategy mean_reversion --symbol BTC/USDT --engine vectorized --from 2024-01-01 "
         "--to 2024-01-03",
         "mean_reversion needs at least 22 bars"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "backtest %s --json '%s'", cases[i][0], json);
        cr_expect_eq(qf(args, NULL, &err), 1, "%s", cases[i][0]);
        cr_expect(strstr(err, cases[i][1]) != NULL, "%s: %s", cases[i][0], err);
        free(err);
        FILE *f = fopen(json, "r");
        cr_expect_null(f, "a failed backtest wrote %s", json);
        if (f != NULL)
            fclose(f);
    }
    char *out = NULL;
    snprintf(args, sizeof args, "sqlite3 '%s' 'SELECT count(*) FROM backtest_runs'", db);
    cr_assert_eq(qf_test_run(args, &out, NULL), 0);
    cr_expect_str_eq(out, "0\n", "no run recorded");
    free(out);
}

Test(cli, montecarlo_is_reproducible)
{
    char *a = NULL, *b = NULL, *err = NULL;
    cr_assert_eq(qf("import --quiet " DATA "/ETHUSDT-4h.csv", NULL, NULL), 0);
    cr_assert_eq(qf("--json montecarlo --strategy ma_crossover --symbol ETH/USDT --sims 300 "
                    "--block 12 --seed 9 --threads 1",
                    &a, &err),
                 0, "%s", err);
    free(err);
    cr_assert_eq(qf("--json montecarlo --strategy ma_crossover --symbol ETH/USDT --sims 300 "
                    "--block 12 --seed 9 --threads 2",
                    &b, NULL),
                 0);
    cr_expect_str_eq(a, b, "same seed, different thread count, same result");
    json_t *doc = json_loads(a, 0, NULL);
    cr_assert_not_null(doc, "%s", a);
    cr_expect_eq(json_integer_value(json_object_get(doc, "simulations")), 300);
    json_t *tr = json_object_get(doc, "total_return");
    cr_expect(json_real_value(json_object_get(tr, "p5")) <
              json_real_value(json_object_get(tr, "p95")));
    double pl = json_real_value(json_object_get(doc, "prob_loss"));
    cr_expect(pl >= 0 && pl <= 1);
    json_decref(doc);
    free(a);
    free(b);
    cr_assert_eq(qf("montecarlo --strategy ma_crossover --symbol ETH/USDT --sims 0", NULL, &err),
                 1);
    cr_expect(strstr(err, "--sims must be a whole number >= 1") != NULL, "%s", err);
    free(err);
}

Test(cli, montecarlo_perturbation)
{
    char *a = NULL, *b = NULL, *err = NULL;
    cr_assert_eq(qf("import --quiet " DATA "/BTCUSDT-4h.csv", NULL, NULL), 0);
    const char *args = "--json montecarlo --strategy ma_crossover --symbol BTC/USDT --sims 40 "
                       "--perturb 0.2 --seed 3 --threads %d";
    char cmd[300];
    snprintf(cmd, sizeof cmd, args, 1);
    cr_assert_eq(qf(cmd, &a, &err), 0, "%s", err);
    free(err);
    snprintf(cmd, sizeof cmd, args, 2);
    cr_assert_eq(qf(cmd, &b, NULL), 0);
    cr_expect_str_eq(a, b, "same seed, different thread count, same result");
    json_t *doc = json_loads(a, 0, NULL);
    cr_assert_not_null(doc, "%s", a);
    json_t *p = json_object_get(doc, "perturbation");
    cr_assert_not_null(p);
    cr_expect_eq(json_integer_value(json_object_get(p, "simulations")), 40);
    json_t *fast = json_object_get(json_object_get(p, "parameter_ranges"), "fast");
    double lo = json_real_value(json_array_get(fast, 0)),
           hi = json_real_value(json_array_get(fast, 1));
    cr_expect(lo >= 16 && hi <= 24 && lo < hi, "fast 20 +-20%%: %g .. %g", lo, hi);
    json_t *sh = json_object_get(p, "sharpe");
    cr_expect(json_real_value(json_object_get(sh, "p5")) <=
              json_real_value(json_object_get(sh, "p95")));
    json_decref(doc);
    free(a);
    free(b);
    cr_assert_eq(
        qf("montecarlo --strategy ma_crossover --symbol BTC/USDT --perturb 1.5", NULL, &err), 1);
    cr_expect(strstr(err, "--perturb must be a number in (0, 1), got '1.5'") != NULL, "%s", err);
    free(err);
    cr_assert_eq(
        qf("montecarlo --strategy buy_and_hold --symbol BTC/USDT --perturb 0.1", NULL, &err), 1);
    cr_expect(strstr(err, "buy_and_hold has no numeric parameters") != NULL, "%s", err);
    free(err);
}

Test(cli, backtest_html_report)
{
    char *out = NULL, *err = NULL;
    char args[1400], html[700];
    cr_assert_eq(qf("import --quiet " DATA "/BTCUSDT-4h.csv", NULL, NULL), 0);
    snprintf(html, sizeof html, "%s/run.html", dir);
    snprintf(args, sizeof args,
             "backtest --strategy ma_crossover --symbol BTC/USDT --sims 200 --report '%s'", html);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    size_t len = 0;
    char *doc = qf_test_read_file(html, &len);
    cr_assert_not_null(doc, "no report at %s", html);
    cr_expect(strncmp(doc, "<!DOCTYPE html>", 15) == 0);
    cr_expect(strstr(doc, "ma_crossover on binance BTC/USDT 4h") != NULL);
    size_t svgs = 0;
    for (const char *q = doc; (q = strstr(q, "<svg")) != NULL; q++)
        svgs++;
    cr_expect_geq(svgs, 5, "equity, drawdown, heatmap, rolling Sharpe, Monte Carlo: %zu", svgs);
    cr_expect(strstr(doc, "http://") == NULL || strstr(doc, "http://www.w3.org/2000/svg") != NULL);
    cr_expect_null(strstr(doc, "https://"), "nothing loaded from the web");
    cr_expect_null(strstr(doc, "<script"), "no script needed");
    cr_expect(strstr(doc, "200") != NULL);
    free(doc);
    /* an unwritable path: an error naming it, no run saved */
    snprintf(args, sizeof args,
             "backtest --strategy ma_crossover --symbol BTC/USDT --report '%s/no/such/dir/r.html'",
             dir);
    cr_assert_eq(qf(args, NULL, &err), 1);
    cr_expect(strstr(err, "no/such/dir") != NULL, "%s", err);
    free(err);
    snprintf(args, sizeof args, "sqlite3 '%s' 'SELECT count(*) FROM backtest_runs'", db);
    cr_assert_eq(qf_test_run(args, &out, NULL), 0);
    cr_expect_str_eq(out, "1\n", "only the good run recorded");
    free(out);
    /* several strategies: what they cannot share is refused */
    const char *cases[][2] = {
        {"backtest --strategy ma_crossover,nope --symbol BTC/USDT", "unknown strategy 'nope'"},
        {"backtest --strategy ma_crossover,mean_reversion --symbol BTC/USDT --param fast=10",
         "--param needs a single --strategy"},
        {"montecarlo --strategy ma_crossover,mean_reversion --symbol BTC/USDT",
         "montecarlo runs one strategy at a time"},
    };
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(qf(cases[i][0], NULL, &err), 1, "%s", cases[i][0]);
        cr_expect(strstr(err, cases[i][1]) != NULL, "%s: %s", cases[i][0], err);
        free(err);
    }
}

Test(cli, features_csv)
{
    char *err = NULL;
    cr_assert_eq(qf("import --quiet " DATA "/SOLUSDT-4h.csv", NULL, NULL), 0);
    char args[1400], csv[700];
    snprintf(csv, sizeof csv, "%s/f.csv", dir);
    snprintf(args, sizeof args, "features --symbol SOL/USDT --out '%s'", csv);
    cr_assert_eq(qf(args, NULL, &err), 0, "%s", err);
    free(err);
    size_t len = 0;
    char *text = qf_test_read_file(csv, &len);
    cr_assert_not_null(text);
    cr_assert(strncmp(text,
                      "open_time,log_returns,rsi,atr,bb_pct_b,vwap_deviation,realized_vol,"
                      "momentum_4,momentum_12,ema_ratio,volume_ratio\n",
                      strlen("open_time,log_returns")) == 0,
              "%.200s", text);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    cr_expect_eq(lines, 11846 + 1);
    /* row of bar 0: only the time; row of bar 29 (first full row) has no empty cell */
    char *row1 = strchr(text, '\n') + 1;
    cr_expect(strncmp(row1, "1597118400000,,,,,,,,,,\n", 24) == 0, "%.60s", row1);
    char *row = row1;
    for (int i = 0; i < 29; i++)
        row = strchr(row, '\n') + 1;
    char *end = strchr(row, '\n');
    *end = '\0';
    cr_expect(strstr(row, ",,") == NULL && row[strlen(row) - 1] != ',', "bar 29: %s", row);
    free(text);
    snprintf(args, sizeof args, "features --symbol SOL/USDT --normalized --out '%s'", csv);
    cr_assert_eq(qf(args, NULL, NULL), 0);
    cr_assert_eq(qf("features --symbol XRP/USDT --out -", NULL, &err), 1);
    cr_expect(strstr(err, "no binance XRP/USDT 4h candles") != NULL, "%s", err);
    free(err);
}

/* --labels: the label and forward return of every bar as the label kernel
 * computes them from the same closes (the last max_holding_bars empty), with
 * the horizon from the config (--set). */
Test(cli, features_labels)
{
    char *err = NULL;
    cr_assert_eq(qf("import --quiet " DATA "/SOLUSDT-4h.csv", NULL, NULL), 0);
    char args[1400], csv[700];
    snprintf(csv, sizeof csv, "%s/l.csv", dir);
    snprintf(args, sizeof args,
             "--set model.labeling.max_holding_bars=6 features --symbol SOL/USDT --labels --out "
             "'%s'",
             csv);
    cr_assert_eq(qf(args, NULL, &err), 0, "%s", err);
    free(err);
    qf_bars b = qf_test_bars("SOLUSDT");
    qf_label_params lp = qf_label_params_default();
    lp.max_holding_bars = 6;
    int8_t *want = malloc(b.n);
    double *fwd = malloc(b.n * sizeof *fwd);
    cr_assert_eq(qf_label_triple_barrier(b.close, b.n, &lp, want, NULL), QF_OK);
    cr_assert_eq(qf_forward_log_return(b.close, b.n, 6, fwd, NULL), QF_OK);
    size_t len = 0;
    char *text = qf_test_read_file(csv, &len);
    cr_assert_not_null(text);
    char *line = strtok(text, "\n");
    cr_assert(strstr(line, ",volume_ratio,label,forward_log_return") != NULL, "%s", line);
    size_t i = 0, counted[3] = {0, 0, 0};
    while ((line = strtok(NULL, "\n")) != NULL) {
        cr_assert_lt(i, b.n);
        /* the last two cells: label, forward return */
        char *last = strrchr(line, ',');
        *last = '\0';
        char *lab = strrchr(line, ',') + 1;
        if (want[i] < 0) {
            cr_assert_str_eq(lab, "", "bar %zu", i);
            cr_assert_str_eq(last + 1, "", "bar %zu", i);
        } else {
            cr_assert_eq(atoi(lab), want[i], "bar %zu", i);
            cr_assert_eq(strtod(last + 1, NULL), fwd[i], "bar %zu: full precision", i);
            counted[want[i]]++;
        }
        i++;
    }
    cr_expect_eq(i, b.n);
    cr_expect_eq(counted[0] + counted[1] + counted[2], b.n - 6);
    free(text);
    free(want);
    free(fwd);
    qf_bars_cleanup(&b);
}
