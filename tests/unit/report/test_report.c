/*
 * test_report.c - the HTML report and the series it draws: a real MA
 * crossover backtest of the bundled BTC candles against buy-and-hold with a
 * bootstrap, written and inspected (sections, charts, no outside reference,
 * every trade, escaping, size); monthly returns, drawdown, rolling Sharpe,
 * histogram and decimation by hand and on the real run; a 1.8 M-point run
 * that must stay small; bad input and unwritable paths leave no file.
 *
 * QF_REPORT_KEEP=FILE.html keeps a copy of the BTC report (to look at it or
 * screenshot it with scripts/check_report.sh).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/montecarlo.h"
#include "core/time.h"
#include "report/report.h"
#include "testutil.h"

#define DAY QF_MS_PER_DAY

/* One backtest with what the report needs from it. */
typedef struct run {
    qf_backtest_result r;
    qf_metrics m;
} run;

static void run_strategy(const char *name, const qf_bars *b, run *out)
{
    qf_engine_config c = qf_engine_config_default();
    qf_err err = {0};
    cr_assert_eq(qf_backtest_run(&c, qf_strategy_find(name), NULL, b, 1, &out->r, &err), QF_OK,
                 "%s", err.msg);
    const qf_backtest_result *r = &out->r;
    double *pnl = malloc((r->n_trades + 1) * sizeof *pnl);
    for (size_t i = 0; i < r->n_trades; i++)
        pnl[i] = r->trades[i].pnl;
    double gross = r->equity[r->n - 1] - r->equity[0] + r->fees + r->spread_cost + r->impact_cost;
    qf_metrics_input in = {
        r->equity,         r->n, 2190,  pnl,           r->n_trades, r->traded_notional,
        r->bars_in_market, 1,    gross, r->impact_cost};
    cr_assert_eq(qf_metrics_compute(&in, &out->m, &err), QF_OK, "%s", err.msg);
    free(pnl);
}

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        k++;
    return k;
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t k = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        k += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return k;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The report may load nothing from outside: no URL, no src, no stylesheet
 * or script, no CSS url() or @import. */
static void expect_self_contained(const char *html)
{
    const char *banned[] = {"http://", "https://", "src=", "<script", "<link",
                            "url(",    "@import",  "<img", "<iframe", "xlink:href"};
    for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++)
        cr_expect_null(strstr(html, banned[k]), "report references '%s'", banned[k]);
}

/* Every element the writer opens is closed as often. */
static void expect_balanced(const char *html)
{
    const char *tags[] = {"section", "table", "thead",  "tbody", "tr",
                          "td",      "svg",   "figure", "main"};
    for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++) {
        char open[32], close[32];
        snprintf(open, sizeof open, "<%s", tags[k]);
        snprintf(close, sizeof close, "</%s>", tags[k]);
        cr_expect_eq(count(html, open), count(html, close), "<%s> opened %zu, closed %zu", tags[k],
                     count(html, open), count(html, close));
    }
}

static void keep_copy(const char *html, size_t len)
{
    const char *keep = getenv("QF_REPORT_KEEP");
    if (keep == NULL || keep[0] == '\0')
        return;
    FILE *f = fopen(keep, "wb");
    cr_assert_not_null(f, "QF_REPORT_KEEP=%s: cannot write", keep);
    fwrite(html, 1, len, f);
    fclose(f);
    cr_log_info("report kept in %s", keep);
}

Test(report, btc_ma_crossover_against_buy_and_hold)
{
    qf_bars b;
    qf_bars_init(&b);
    qf_err err = {0};
    cr_assert_eq(qf_test_load_bars("BTCUSDT", &b, &err), QF_OK, "%s", err.msg);
    run ma, bh;
    run_strategy("ma_crossover", &b, &ma);
    run_strategy("buy_and_hold", &b, &bh);
    cr_assert_eq(ma.r.n, bh.r.n, "one timeline");
    cr_assert_gt(ma.r.n_trades, 50);

    /* bootstrap of the strategy's bar returns */
    size_t n = ma.r.n, sims = 500;
    double *ret = malloc((n - 1) * sizeof *ret), *rows = malloc(3 * sims * sizeof *rows);
    for (size_t k = 1; k < n; k++)
        ret[k - 1] = ma.r.equity[k] / ma.r.equity[k - 1] - 1;
    qf_mc_config mc = {sims, 24, 42, 2190, 0};
    qf_mc_summary s;
    cr_assert_eq(qf_mc_bootstrap(ret, n - 1, &mc, &s, rows, &err), QF_OK, "%s", err.msg);

    const char *pn[] = {"fast", "slow"}, *sk[] = {"engine", "fill_at", "note"};
    const char *sv[] = {"event", "next_open", "<b>bold</b> & 'quoted'"};
    const double pv[] = {20, 50};
    const char *syms[] = {"BTC/USDT"};
    const char *title = "ma_crossover <BTC/USDT> & \"4h\" 'test'";
    qf_report_input in = {.title = title,
                          .strategy = "ma_crossover",
                          .param_names = pn,
                          .param_values = pv,
                          .n_params = 2,
                          .settings_k = sk,
                          .settings_v = sv,
                          .n_settings = 3,
                          .time = ma.r.time,
                          .equity = ma.r.equity,
                          .benchmark = bh.r.equity,
                          .n = n,
                          .bars_per_year = 2190,
                          .metrics = &ma.m,
                          .trades = ma.r.trades,
                          .n_trades = ma.r.n_trades,
                          .symbol_names = syms,
                          .n_symbols = 1,
                          .mc = &s,
                          .mc_sims = rows,
                          .rolling_window = 180};
    char *dir = qf_test_tmpdir();
    char *path = join(dir, "btc.html");
    cr_assert_eq(qf_report_write_html(path, &in, &err), QF_OK, "%s", err.msg);
    size_t len = 0;
    char *html = qf_test_read_file(path, &len);
    cr_assert_not_null(html, "%s was not written", path);
    keep_copy(html, len);
    cr_log_info("BTC report: %zu bytes, %zu trades, %zu points", len, ma.r.n_trades, n);

    cr_expect_eq(strncmp(html, "<!DOCTYPE html>", 15), 0);
    cr_expect_not_null(strstr(html, "</html>\n"), "the document is complete");
    cr_expect_lt(len, 3u << 20, "%zu bytes", len);
    const char *ids[] = {"header",  "summary", "equity",     "drawdown",   "monthly",
                         "rolling", "metrics", "montecarlo", "parameters", "trades"};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        char needle[64];
        snprintf(needle, sizeof needle, "id=\"%s\"", ids[k]);
        cr_expect_eq(count(html, needle), 1, "section %s", ids[k]);
    }
    /* equity, drawdown, rolling Sharpe and three Monte Carlo histograms */
    cr_expect_eq(count(html, "<svg"), 6);
    cr_expect_eq(count(html, "</svg>"), 6);
    expect_self_contained(html);
    expect_balanced(html);

    /* every metric with its definition */
    for (size_t i = 0; i < QF_METRICS_COUNT; i++) {
        char needle[96];
        snprintf(needle, sizeof needle, "<tr id=\"m-%s\">", qf_metric_names[i]);
        const char *row = strstr(html, needle);
        cr_expect_not_null(row, "metric %s missing", qf_metric_names[i]);
        const char *def = row != NULL ? strstr(row, "</td><td>") : NULL;
        cr_expect(def != NULL && def < strstr(row, "</tr>") && def[9] != ' ' && def[9] != '<',
                  "metric %s has no definition", qf_metric_names[i]);
    }

    /* every trade, in order, with its times */
    cr_assert_lt(ma.r.n_trades, QF_REPORT_TRADES_MAX);
    const char *at = html;
    for (size_t i = 0; i < ma.r.n_trades; i++) {
        char a[QF_ISO_MAX], z[QF_ISO_MAX], row[256];
        snprintf(row, sizeof row,
                 "<tr><td class=\"r\">%zu</td><td>BTC/USDT</td><td>long</td><td>%s</td>"
                 "<td>%s</td>",
                 i + 1, qf_time_format_iso(ma.r.trades[i].entry_time, a, sizeof a),
                 qf_time_format_iso(ma.r.trades[i].exit_time, z, sizeof z));
        const char *hit = strstr(at, row);
        cr_assert_not_null(hit, "trade %zu missing: %s", i + 1, row);
        at = hit + 1;
    }
    cr_expect_null(strstr(html, "left out"));

    /* escaping of every inserted text */
    cr_expect_not_null(
        strstr(html, "ma_crossover &lt;BTC/USDT&gt; &amp; &quot;4h&quot; &#39;test&#39;"));
    cr_expect_null(strstr(html, "<BTC/USDT>"));
    cr_expect_not_null(strstr(html, "&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;"));
    cr_expect_null(strstr(html, "<b>bold</b>"));

    /* the plotted series against the metrics of the same run */
    double *dd = malloc(n * sizeof *dd), worst = 0;
    qf_report_drawdown(ma.r.equity, n, dd);
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, dd[i]);
    cr_expect(fabs(worst - ma.m.max_drawdown) <= 1e-15, "%.17g vs %.17g", worst, ma.m.max_drawdown);
    qf_month_return *months = malloc(qf_report_month_count(ma.r.time, n) * sizeof *months);
    size_t n_months = qf_report_monthly_returns(ma.r.time, ma.r.equity, n, months);
    cr_expect_eq(n_months, 102, "2017-08 .. 2026-01");
    cr_expect(months[0].year == 2017 && months[0].month == 8);
    cr_expect(months[n_months - 1].year == 2026 && months[n_months - 1].month == 1);
    double compound = 1;
    for (size_t k = 0; k < n_months; k++)
        compound *= 1 + months[k].ret;
    cr_expect(fabs((compound - 1) - ma.m.total_return) <= 1e-12 * fabs(ma.m.total_return),
              "compounded months %.17g vs total return %.17g", compound - 1, ma.m.total_return);

    free(months);
    free(dd);
    free(html);
    qf_test_rmtree(dir);
    free(dir);
    free(path);
    free(ret);
    free(rows);
    qf_backtest_result_free(&ma.r);
    qf_backtest_result_free(&bh.r);
    qf_bars_cleanup(&b);
}

Test(report, monthly_returns_by_hand_across_a_year_boundary)
{
    /* February 2024 has no point: March is measured from January's close */
    const int64_t t[] = {
        qf_time_from_civil(2023, 11, 15, 0, 0, 0, 0),
        qf_time_from_civil(2023, 11, 30, 20, 0, 0, 0),
        qf_time_from_civil(2023, 12, 1, 0, 0, 0, 0),
        qf_time_from_civil(2023, 12, 31, 23, 59, 59, 999),
        qf_time_from_civil(2024, 1, 1, 0, 0, 0, 0),
        qf_time_from_civil(2024, 1, 20, 4, 0, 0, 0),
        qf_time_from_civil(2024, 3, 10, 0, 0, 0, 0),
    };
    const double eq[] = {100, 110, 99, 108.9, 120, 132, 99};
    qf_month_return m[8];
    cr_assert_eq(qf_report_month_count(t, 7), 4);
    cr_assert_eq(qf_report_monthly_returns(t, eq, 7, m), 4);
    const int year[] = {2023, 2023, 2024, 2024}, month[] = {11, 12, 1, 3};
    const double want[] = {110.0 / 100 - 1, 108.9 / 110 - 1, 132 / 108.9 - 1, 99.0 / 132 - 1};
    for (int k = 0; k < 4; k++) {
        cr_expect_eq(m[k].year, year[k]);
        cr_expect_eq(m[k].month, month[k]);
        cr_expect(fabs(m[k].ret - want[k]) < 1e-15, "month %d: %.17g vs %.17g", k, m[k].ret,
                  want[k]);
    }
    cr_expect(fabs(want[0] - 0.1) < 1e-15 && fabs(want[1] + 0.01) < 1e-15);
    /* one point: one month, no change */
    cr_expect_eq(qf_report_monthly_returns(t, eq, 1, m), 1);
    cr_expect_eq(m[0].ret, 0);
    cr_expect_eq(qf_report_month_count(t, 0), 0);
}

Test(report, drawdown_by_hand)
{
    const double eq[] = {100, 120, 90, 130, 65, 130};
    const double want[] = {0, 0, 0.25, 0, 0.5, 0};
    double dd[6];
    qf_report_drawdown(eq, 6, dd);
    for (int i = 0; i < 6; i++)
        cr_expect(fabs(dd[i] - want[i]) < 1e-15, "dd[%d] = %.17g", i, dd[i]);
}

/* mean / sd (ddof 1) of r_{i-w+1} .. r_i, two-pass */
static double direct_sharpe(const double *eq, size_t i, size_t w, double bpy)
{
    double mean = 0, ss = 0;
    for (size_t k = i + 1 - w; k <= i; k++)
        mean += eq[k] / eq[k - 1] - 1;
    mean /= (double)w;
    for (size_t k = i + 1 - w; k <= i; k++) {
        double d = eq[k] / eq[k - 1] - 1 - mean;
        ss += d * d;
    }
    return mean / sqrt(ss / (double)(w - 1)) * sqrt(bpy);
}

Test(report, rolling_sharpe_equals_a_direct_computation)
{
    qf_bars b;
    qf_bars_init(&b);
    cr_assert_eq(qf_test_load_bars("BTCUSDT", &b, NULL), QF_OK);
    size_t n = b.n, w = 180;
    double *rs = malloc(n * sizeof *rs);
    qf_report_rolling_sharpe(b.close, n, w, 2190, rs);
    for (size_t i = 0; i < w; i++)
        cr_assert(isnan(rs[i]), "index %zu before the first full window", i);
    const size_t at[] = {w, w + 1, 2 * w - 1, 2 * w, 2 * w + 1, 7777, n - 1};
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        double want = direct_sharpe(b.close, at[k], w, 2190);
        cr_expect(fabs(rs[at[k]] - want) <= 1e-10 * fabs(want), "index %zu: %.17g vs %.17g", at[k],
                  rs[at[k]], want);
    }
    /* the whole series as one window is the Sharpe metric of the curve */
    double *whole = malloc(n * sizeof *whole);
    qf_report_rolling_sharpe(b.close, n, n - 1, 2190, whole);
    qf_metrics m;
    qf_metrics_input in = {b.close, n, 2190, NULL, 0, 0, 0, 1, 0, 0};
    cr_assert_eq(qf_metrics_compute(&in, &m, NULL), QF_OK);
    cr_expect(fabs(whole[n - 1] - m.sharpe) <= 1e-9 * fabs(m.sharpe), "%.17g vs %.17g",
              whole[n - 1], m.sharpe);
    free(whole);
    free(rs);
    qf_bars_cleanup(&b);
}

Test(report, rolling_sharpe_is_undefined_on_flat_stretches)
{
    double eq[40], rs[40];
    for (int i = 0; i < 40; i++)
        eq[i] = i < 10 ? 100 + i : 109; /* flat from bar 9 on */
    qf_report_rolling_sharpe(eq, 40, 5, 365, rs);
    cr_expect(isfinite(rs[5]) && rs[5] > 0);
    for (int i = 14; i < 40; i++)
        cr_expect(isnan(rs[i]), "flat window ending at %d: %g", i, rs[i]);
    qf_report_rolling_sharpe(eq, 40, 1, 365, rs);
    for (int i = 0; i < 40; i++)
        cr_expect(isnan(rs[i]), "a window of one return has no deviation");
}

Test(report, histogram_bins)
{
    /* stride 2 reads 0, 1, 2, NaN, 4, 10 */
    const double x[] = {0, -9, 1, -9, 2, -9, NAN, -9, 4, -9, 10, -9};
    size_t c[5];
    double lo, hi;
    cr_expect_eq(qf_report_histogram(x, 6, 2, 5, c, &lo, &hi), 5);
    cr_expect(lo == 0 && hi == 10);
    const size_t want[5] = {2, 1, 1, 0, 1}; /* [0,2) [2,4) [4,6) [6,8) [8,10] */
    for (int k = 0; k < 5; k++)
        cr_expect_eq(c[k], want[k], "bin %d: %zu", k, c[k]);
    const double same[] = {0.5, 0.5, 0.5};
    cr_expect_eq(qf_report_histogram(same, 3, 1, 4, c, &lo, &hi), 3);
    cr_expect(lo < 0.5 && hi > 0.5 && c[0] + c[1] + c[2] + c[3] == 3);
    const double none[] = {NAN, INFINITY};
    cr_expect_eq(qf_report_histogram(none, 2, 1, 4, c, &lo, &hi), 0);
    cr_expect(lo == 0 && hi == 0 && c[0] == 0);
}

Test(report, decimate_keeps_the_extremes)
{
    size_t n = 100000, cols = 300;
    double *y = malloc(n * sizeof *y);
    size_t *idx = malloc(2 * cols * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        y[i] = sin((double)i * 0.001) + 0.01 * (double)(i % 97);
    y[4321] = 50;
    y[98765] = -50;
    for (size_t i = 60000; i < 61000; i++)
        y[i] = NAN;
    size_t m = qf_report_decimate(y, n, cols, idx);
    cr_expect_leq(m, 2 * cols);
    int has_max = 0, has_min = 0, has_gap = 0;
    for (size_t j = 0; j < m; j++) {
        cr_expect(j == 0 || idx[j] > idx[j - 1], "ascending");
        has_max |= idx[j] == 4321;
        has_min |= idx[j] == 98765;
        has_gap |= isnan(y[idx[j]]);
    }
    cr_expect(has_max && has_min, "global extremes survive");
    cr_expect(has_gap, "an all-NaN column breaks the line");
    cr_expect_eq(qf_report_decimate(y, 500, cols, idx), 500, "short series are kept whole");
    cr_expect_eq(idx[499], 499);
    free(idx);
    free(y);
}

/* A synthetic 1.8 M-bar 1m run with 5,000 trades: the file stays small and
 * the trade list shows its two ends. */
Test(report, long_series_stay_small)
{
    size_t n = 1800000, nt = 5000;
    int64_t *t = malloc(n * sizeof *t);
    double *eq = malloc(n * sizeof *eq), *bh = malloc(n * sizeof *bh);
    qf_rng g;
    qf_rng_seed(&g, 7, 0);
    eq[0] = bh[0] = 10000;
    for (size_t i = 0; i < n; i++) {
        t[i] = qf_time_from_civil(2021, 1, 1, 0, 0, 0, 0) + (int64_t)i * QF_MS_PER_MINUTE;
        if (i > 0) {
            eq[i] = eq[i - 1] * (1 + 0.001 * (qf_rng_uniform(&g) - 0.4999));
            bh[i] = bh[i - 1] * (1 + 0.0015 * (qf_rng_uniform(&g) - 0.4999));
        }
    }
    qf_bt_trade *tr = calloc(nt, sizeof *tr);
    for (size_t i = 0; i < nt; i++)
        tr[i] = (qf_bt_trade){0, t[i * 300], t[i * 300 + 100], 0.5, 100 + (double)i, 101, 0.5, 1};
    qf_metrics m;
    qf_metrics_input mi = {eq, n, 525600, NULL, 0, 0, 0, 1, 0, 0};
    cr_assert_eq(qf_metrics_compute(&mi, &m, NULL), QF_OK);
    const char *syms[] = {"ETH/USDT"};
    qf_report_input in = {.title = "synthetic 1m",
                          .time = t,
                          .equity = eq,
                          .benchmark = bh,
                          .n = n,
                          .bars_per_year = 525600,
                          .metrics = &m,
                          .trades = tr,
                          .n_trades = nt,
                          .symbol_names = syms,
                          .n_symbols = 1};
    char *dir = qf_test_tmpdir(), *path = join(dir, "long.html");
    qf_err err = {0};
    cr_assert_eq(qf_report_write_html(path, &in, &err), QF_OK, "%s", err.msg);
    size_t len = 0;
    char *html = qf_test_read_file(path, &len);
    cr_log_info("1.8 M points, 5,000 trades: %zu bytes", len);
    cr_expect_lt(len, 2u << 20, "%zu bytes", len);
    cr_expect_not_null(strstr(html, "3000 trades left out"));
    cr_expect_not_null(strstr(html, "<tr><td class=\"r\">1000</td>"));
    cr_expect_null(strstr(html, "<tr><td class=\"r\">1001</td>"));
    cr_expect_null(strstr(html, "<tr><td class=\"r\">4000</td>"));
    cr_expect_not_null(strstr(html, "<tr><td class=\"r\">4001</td>"));
    cr_expect_not_null(strstr(html, "<tr><td class=\"r\">5000</td>"));
    cr_expect_eq(count(html, "<svg"), 3, "no Monte Carlo given: three charts");
    cr_expect_not_null(strstr(html, "Not run"));
    expect_self_contained(html);
    expect_balanced(html);
    free(html);
    qf_test_rmtree(dir);
    free(dir);
    free(path);
    free(tr);
    free(t);
    free(eq);
    free(bh);
}

/* A small valid input: 60 daily points, no trades, no benchmark. */
typedef struct small {
    int64_t t[60];
    double eq[60];
    qf_metrics m;
    qf_report_input in;
} small;

static void small_input(small *s)
{
    for (int i = 0; i < 60; i++) {
        s->t[i] = qf_time_from_civil(2024, 1, 1, 0, 0, 0, 0) + i * DAY;
        s->eq[i] = 1000 * (1 + 0.01 * sin(i * 0.5) + 0.002 * i);
    }
    qf_metrics_input mi = {s->eq, 60, 365, NULL, 0, 0, 0, 1, 0, 0};
    cr_assert_eq(qf_metrics_compute(&mi, &s->m, NULL), QF_OK);
    s->in = (qf_report_input){.time = s->t,
                              .equity = s->eq,
                              .n = 60,
                              .bars_per_year = 365,
                              .metrics = &s->m,
                              .rolling_window = 10};
}

Test(report, small_run_without_benchmark_trades_or_monte_carlo)
{
    small s;
    small_input(&s);
    char *dir = qf_test_tmpdir(), *path = join(dir, "small.html");
    qf_err err = {0};
    cr_assert_eq(qf_report_write_html(path, &s.in, &err), QF_OK, "%s", err.msg);
    char *html = qf_test_read_file(path, NULL);
    cr_expect_eq(strncmp(html, "<!DOCTYPE html>", 15), 0);
    cr_expect_not_null(strstr(html, "<title>Backtest report</title>"), "default title");
    cr_expect_eq(count(html, "<svg"), 3);
    cr_expect_not_null(strstr(html, "0 closed trades"));
    cr_expect_null(strstr(html, "buy-and-hold</text>"), "no benchmark legend");
    cr_expect_not_null(strstr(html, "—"), "undefined metrics show as a dash");
    cr_expect_null(strstr(html, "nan"));
    cr_expect_null(strstr(html, "inf<"));
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0644, "readable by others: %o", st.st_mode & 0777);
    cr_expect_eq(dir_entries(dir), 1, "no temporary file left");
    free(html);
    qf_test_rmtree(dir);
    free(dir);
    free(path);
}

/* A curve that never moves: Sharpe, Sortino and most ratios are undefined,
 * and so are the bootstrap's Sharpe ratios. Nothing may print as nan/inf. */
Test(report, flat_curve_shows_undefined_values_as_a_dash)
{
    small s;
    small_input(&s);
    double r[59] = {0};
    for (int i = 0; i < 60; i++)
        s.eq[i] = 1000;
    qf_metrics_input mi = {s.eq, 60, 365, NULL, 0, 0, 0, 1, 0, 0};
    cr_assert_eq(qf_metrics_compute(&mi, &s.m, NULL), QF_OK);
    cr_assert(isnan(s.m.sharpe));
    double rows[3 * 20];
    qf_mc_summary mc;
    qf_mc_config cfg = {20, 5, 1, 365, 1};
    cr_assert_eq(qf_mc_bootstrap(r, 59, &cfg, &mc, rows, NULL), QF_OK);
    s.in.mc = &mc;
    s.in.mc_sims = rows;
    char *dir = qf_test_tmpdir(), *path = join(dir, "flat.html");
    qf_err err = {0};
    cr_assert_eq(qf_report_write_html(path, &s.in, &err), QF_OK, "%s", err.msg);
    char *html = qf_test_read_file(path, NULL);
    cr_expect_null(strstr(html, "nan"));
    cr_expect_null(strstr(html, "inf"));
    cr_expect_null(strstr(html, "NaN"));
    cr_expect_not_null(
        strstr(html, "<tr id=\"m-sharpe\"><th>Sharpe ratio</th><td class=\"r\">—</td>"));
    cr_expect_not_null(strstr(html, "the equity does not move"));
    cr_expect_eq(count(html, "<svg"), 5, "equity, drawdown and three histograms");
    free(html);
    qf_test_rmtree(dir);
    free(dir);
    free(path);
}

Test(report, unwritable_path_leaves_nothing)
{
    small s;
    small_input(&s);
    char *dir = qf_test_tmpdir();
    char *missing = join(dir, "no/such/dir/r.html");
    qf_err err = {0};
    cr_expect_eq(qf_report_write_html(missing, &s.in, &err), QF_EIO);
    cr_expect_not_null(strstr(err.msg, missing), "message names the path: %s", err.msg);
    cr_expect_not_null(strstr(err.msg, "No such file"), "and the reason: %s", err.msg);
    cr_expect_eq(dir_entries(dir), 0);

    /* the rename onto a directory fails after the temporary file was
     * written: it must be removed */
    char *sub = join(dir, "taken.html");
    cr_assert_eq(mkdir(sub, 0755), 0);
    qf_err_clear(&err);
    cr_expect_eq(qf_report_write_html(sub, &s.in, &err), QF_EIO);
    cr_expect_not_null(strstr(err.msg, sub), "%s", err.msg);
    cr_expect_eq(dir_entries(dir), 1, "only the directory itself remains");
    cr_expect_eq(dir_entries(sub), 0);

    /* a failed write leaves an existing report untouched */
    char *old = qf_test_write_file(dir, "old.html", "old", 3);
    s.in.n = 1;
    cr_expect_eq(qf_report_write_html(old, &s.in, &err), QF_EINVAL);
    char *text = qf_test_read_file(old, NULL);
    cr_expect_str_eq(text, "old");
    free(text);
    free(old);
    free(sub);
    free(missing);
    qf_test_rmtree(dir);
    free(dir);
}

/* A write that fails half way (here: a 4 KB file size limit, as a full disk
 * would) removes the partial temporary file and leaves the old report. Each
 * Criterion test runs in its own process, so the limit stays here. */
Test(report, failed_write_leaves_the_old_report)
{
    small s;
    small_input(&s);
    char *dir = qf_test_tmpdir();
    char *old = qf_test_write_file(dir, "r.html", "old", 3);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {4096, 4096};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    qf_err err = {0};
    qf_rc rc = qf_report_write_html(old, &s.in, &err);
    cr_expect_eq(rc, QF_EIO, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, old), "names the path: %s", err.msg);
    cr_expect_not_null(strstr(err.msg, "too large"), "and the reason: %s", err.msg);
    char *text = qf_test_read_file(old, NULL);
    cr_expect_str_eq(text, "old");
    cr_expect_eq(dir_entries(dir), 1, "no temporary file left");
    free(text);
    free(old);
    qf_test_rmtree(dir);
    free(dir);
}

Test(report, bad_input_is_refused_before_writing)
{
    small s;
    small_input(&s);
    char *dir = qf_test_tmpdir(), *path = join(dir, "bad.html");
    qf_err err = {0};
    s.eq[7] = -1;
    cr_expect_eq(qf_report_write_html(path, &s.in, &err), QF_EINVAL);
    cr_expect_not_null(strstr(err.msg, "equity[7]"), "%s", err.msg);
    s.eq[7] = NAN;
    cr_expect_eq(qf_report_write_html(path, &s.in, &err), QF_EINVAL);
    s.eq[7] = 1000;
    s.t[9] = s.t[8];
    cr_expect_eq(qf_report_write_html(path, &s.in, &err), QF_EINVAL);
    cr_expect_not_null(strstr(err.msg, "time[9]"), "%s", err.msg);
    s.t[9] = s.t[8] + DAY;
    s.in.bars_per_year = 0;
    cr_expect_eq(qf_report_write_html(path, &s.in, &err), QF_EINVAL);
    s.in.bars_per_year = 365;
    s.in.metrics = NULL;
    cr_expect_eq(qf_report_write_html(path, &s.in, &err), QF_EINVAL);
    s.in.metrics = &s.m;
    s.in.n_trades = 3;
    cr_expect_eq(qf_report_write_html(path, &s.in, &err), QF_EINVAL);
    s.in.n_trades = 0;
    double rows[3] = {0, 0, 0};
    s.in.mc_sims = rows;
    cr_expect_eq(qf_report_write_html(path, &s.in, &err), QF_EINVAL);
    s.in.mc_sims = NULL;
    cr_expect_eq(qf_report_write_html(NULL, &s.in, &err), QF_EINVAL);
    cr_expect_eq(qf_report_write_html(path, NULL, &err), QF_EINVAL);
    cr_expect_eq(dir_entries(dir), 0, "nothing written");
    cr_expect_eq(qf_report_write_html(path, &s.in, NULL), QF_OK, "err may be NULL");
    qf_test_rmtree(dir);
    free(dir);
    free(path);
}
