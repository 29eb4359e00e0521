/*
 * test_metrics.c - every metric on a small equity curve worked out by hand
 * (values in the comments; PSR/DSR from the closed forms with Python's
 * statistics.NormalDist), plus the edge cases and rejected inputs.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/metrics.h"

#define NEAR(a, b)                                                                                 \
    cr_expect(fabs((a) - (b)) <= 1e-12 * fmax(1.0, fabs(b)), #a " = %.17g, want %.17g", (a), (b))

Test(metrics, hand_computed_curve)
{
    /* returns +10 %, -10 %, +10 %, 0: mean 0.025, sd (ddof 1) sqrt(0.0275/3) */
    const double eq[] = {100, 110, 99, 108.9, 108.9};
    const double pnl[] = {12.5, -3.0, 0.0, 4.5};
    qf_metrics_input in = {.equity = eq,
                           .n = 5,
                           .bars_per_year = 4, /* one year of four bars */
                           .trade_pnl = pnl,
                           .n_trades = 4,
                           .traded_notional = 523.6,
                           .bars_in_market = 3,
                           .n_trials = 1,
                           .gross_pnl = 20,
                           .impact_cost = 0.5};
    qf_metrics m;
    qf_err err = {0};
    cr_assert_eq(qf_metrics_compute(&in, &m, &err), QF_OK, "%s", err.msg);
    NEAR(m.final_equity, 108.9);
    NEAR(m.total_return, 0.089);
    NEAR(m.cagr, 0.089);                          /* years = 1 */
    NEAR(m.sharpe, 0.025 / sqrt(0.0275 / 3) * 2); /* 0.52223296786709 */
    NEAR(m.sortino, 0.025 / 0.05 * 2);            /* downside sqrt(0.01 / 4) */
    NEAR(m.max_drawdown, 0.1);                    /* 99 against the 110 peak */
    cr_expect_eq(m.max_drawdown_duration_bars, 3);
    NEAR(m.calmar, 0.89);
    NEAR(m.hit_rate, 0.5); /* 0 is not a win */
    NEAR(m.profit_factor, 17.0 / 3.0);
    cr_expect_eq(m.trades, 4);
    NEAR(m.turnover_annual, 523.6 / ((100 + 110 + 99 + 108.9 + 108.9) / 5)); /* / 1 year */
    NEAR(m.exposure, 0.75);
    NEAR(m.var_5, 0.1); /* ceil(0.05 * 4) = 1st smallest return */
    NEAR(m.cvar_5, 0.1);
    NEAR(m.psr, 0.6640978512094962);
    NEAR(m.dsr, m.psr); /* one trial */
    NEAR(m.capacity_usd, 0.5 * 20 / 0.5 * 100);
    in.n_trials = 10;
    cr_assert_eq(qf_metrics_compute(&in, &m, &err), QF_OK);
    cr_expect(fabs(m.dsr - 0.12488148704503615) < 1e-9, "dsr %.17g", m.dsr);
}

Test(metrics, var_and_cvar_take_the_tail)
{
    /* 40 returns: 38 of +1 %, then -5 % and -3 %: the 5 % tail is 2 returns */
    double eq[41];
    eq[0] = 1000;
    for (int i = 1; i <= 40; i++)
        eq[i] = eq[i - 1] * (i == 10 ? 0.95 : i == 20 ? 0.97 : 1.01);
    qf_metrics_input in = {.equity = eq, .n = 41, .bars_per_year = 2190, .n_trials = 1};
    qf_metrics m;
    cr_assert_eq(qf_metrics_compute(&in, &m, NULL), QF_OK);
    NEAR(m.var_5, 0.03);
    NEAR(m.cvar_5, 0.04);
    cr_expect(isnan(m.hit_rate) && isnan(m.profit_factor), "no trades: undefined");
    cr_expect_eq(m.trades, 0);
    cr_expect_eq(m.capacity_usd, 0.0, "no gross profit: no capacity");
}

Test(metrics, flat_curve_is_undefined_not_zero)
{
    const double eq[] = {100, 100, 100};
    qf_metrics_input in = {.equity = eq, .n = 3, .bars_per_year = 2190, .n_trials = 1};
    qf_metrics m;
    cr_assert_eq(qf_metrics_compute(&in, &m, NULL), QF_OK);
    cr_expect(isnan(m.sharpe) && isnan(m.sortino) && isnan(m.calmar) && isnan(m.psr));
    NEAR(m.total_return, 0.0);
    NEAR(m.max_drawdown, 0.0);
    cr_expect_eq(m.max_drawdown_duration_bars, 0);
}

Test(metrics, bad_input_rejected)
{
    qf_metrics m;
    memset(&m, 0x5a, sizeof m);
    qf_metrics before = m;
    qf_err err = {0};
    const double one[] = {100};
    qf_metrics_input in = {.equity = one, .n = 1, .bars_per_year = 2190, .n_trials = 1};
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "metrics: need at least two equity points, got 1");
    const double neg[] = {100, -5};
    in.equity = neg;
    in.n = 2;
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "metrics: equity must be positive and finite, got -5 at bar 1");
    const double ok[] = {100, 101};
    in.equity = ok;
    in.bars_per_year = 0;
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    in.bars_per_year = 2190;
    in.n_trials = 0;
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    cr_expect(memcmp(&m, &before, sizeof m) == 0, "output untouched on error");
    const char *last = qf_metric_names[QF_METRICS_COUNT - 1];
    cr_expect_str_eq(last, "capacity_usd");
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(metrics, var_cvar_on_real_btc_match_a_full_sort)
{
    FILE *f = fopen(QF_SOURCE_DIR "/data/BTCUSDT-4h.csv", "r");
    cr_assert_not_null(f);
    static double eq[20000];
    size_t n = 0;
    char line[512];
    cr_assert_not_null(fgets(line, sizeof line, f)); /* header: open_time,open,high,low,close */
    while (n < 20000 && fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        for (int i = 0; i < 4; i++)
            p = strchr(p, ',') + 1;
        eq[n++] = strtod(p, NULL);
    }
    fclose(f);
    cr_assert_eq(n, 18370);
    /* plus a run of exact ties: a flat stretch */
    for (size_t i = 100; i < 400; i++)
        eq[i] = eq[99];
    qf_metrics_input in = {.equity = eq, .n = n, .bars_per_year = 2190, .n_trials = 1};
    qf_metrics m;
    cr_assert_eq(qf_metrics_compute(&in, &m, NULL), QF_OK);
    double *r = malloc((n - 1) * sizeof *r);
    for (size_t i = 1; i < n; i++)
        r[i - 1] = eq[i] / eq[i - 1] - 1;
    qsort(r, n - 1, sizeof *r, cmp_d);
    size_t k = (size_t)ceil(0.05 * (double)(n - 1));
    long double tail = 0;
    for (size_t i = 0; i < k; i++)
        tail += r[i];
    cr_expect_eq(m.var_5, -r[k - 1], "var %.17g vs %.17g", m.var_5, -r[k - 1]);
    cr_expect(fabs(m.cvar_5 + (double)(tail / k)) < 1e-15, "cvar %.17g", m.cvar_5);
    free(r);
}

/* The metrics before they were fused into two passes over the curve: the
 * textbook two-pass moments, a division per bar for the drawdown and a full
 * sort for the tail. The fused code must give the same bits (cvar aside:
 * its tail is summed in another order). */
typedef struct naive {
    double sharpe, sortino, max_dd, psr, var5, turnover;
    int64_t dd_bars;
    long double cvar5;
} naive;

static naive naive_metrics(const double *eq, size_t n)
{
    naive o;
    size_t t = n - 1;
    double *r = malloc(t * sizeof *r);
    for (size_t i = 0; i < t; i++)
        r[i] = eq[i + 1] / eq[i] - 1.0;
    double mean = 0;
    for (size_t i = 0; i < t; i++)
        mean += r[i];
    mean /= (double)t;
    double m2 = 0, m3 = 0, m4 = 0, down = 0;
    for (size_t i = 0; i < t; i++) {
        double d = r[i] - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
        double neg = r[i] < 0 ? r[i] : 0;
        down += neg * neg;
    }
    double sd = t >= 2 ? sqrt(m2 / (double)(t - 1)) : NAN;
    double downside = sqrt(down / (double)t);
    double pop_var = m2 / (double)t;
    double skew = pop_var > 0 ? (m3 / (double)t) / pow(pop_var, 1.5) : NAN;
    double kurt = pop_var > 0 ? (m4 / (double)t) / (pop_var * pop_var) : NAN;
    double sr = sd > 0 ? mean / sd : NAN;
    o.sharpe = sr * sqrt(2190.0);
    o.sortino = downside > 0 ? mean / downside * sqrt(2190.0) : NAN;
    o.psr = NAN;
    if (isfinite(sr) && isfinite(skew) && t >= 2) {
        double denom = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr;
        if (denom > 0)
            o.psr = 0.5 * erfc(-(sr * sqrt((double)(t - 1)) / sqrt(denom)) / sqrt(2.0));
    }
    double peak = eq[0], worst = 0;
    int64_t run = 0, longest = 0;
    for (size_t i = 1; i < n; i++) {
        if (eq[i] >= peak) {
            peak = eq[i];
            run = 0;
            continue;
        }
        run++;
        longest = run > longest ? run : longest;
        double dd = 1.0 - eq[i] / peak;
        worst = dd > worst ? dd : worst;
    }
    o.max_dd = worst;
    o.dd_bars = longest;
    double mean_eq = 0;
    for (size_t i = 0; i < n; i++)
        mean_eq += eq[i];
    o.turnover = 1e6 / (mean_eq / (double)n) / ((double)t / 2190.0);
    qsort(r, t, sizeof *r, cmp_d);
    size_t k = (size_t)ceil(0.05 * (double)t);
    k = k < 1 ? 1 : k;
    o.var5 = -r[k - 1];
    o.cvar5 = 0;
    for (size_t i = 0; i < k; i++)
        o.cvar5 -= r[i];
    o.cvar5 /= k;
    free(r);
    return o;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

/* Curves that reach every branch: flat stretches (ties and repeated tail
 * buckets), returns below 2^-32 and above 1 (the clamped key buckets),
 * crashes, lengths around the chunk size, a constant curve. */
static void curve(double *eq, size_t n, int kind, uint64_t seed)
{
    eq[0] = 1000;
    for (size_t i = 1; i < n; i++) {
        double u = (double)lcg(&seed) * 0x1.0p-53 - 0.5;
        double r = 0.04 * u;
        if (kind == 1 && (i / 50) % 2 == 0)
            r = 0; /* flat while out of the market */
        else if (kind == 2)
            r = u * 1e-12;
        else if (kind == 3 && i % 97 == 0)
            r = u > 0 ? 3.5 : -0.95;
        else if (kind == 4)
            r = 0;
        else if (kind == 5)
            r = u < 0 ? -0.01 : 0.01; /* two values only: massive ties */
        eq[i] = eq[i - 1] * (1 + r);
    }
}

Test(metrics, fused_passes_match_the_textbook_formulas)
{
    size_t lens[] = {2, 3, 21, 40, 255, 256, 257, 258, 513, 5000, 70001};
    double *eq = malloc(70001 * sizeof *eq);
    size_t cases = 0;
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        for (int kind = 0; kind < 6; kind++) {
            size_t n = lens[li];
            curve(eq, n, kind, 7 + li * 31 + (uint64_t)kind);
            qf_metrics_input in = {
                .equity = eq, .n = n, .bars_per_year = 2190, .n_trials = 1, .traded_notional = 1e6};
            qf_metrics m;
            cr_assert_eq(qf_metrics_compute(&in, &m, NULL), QF_OK);
            naive o = naive_metrics(eq, n);
#define SAME(a, b)                                                                                 \
    cr_expect(memcmp(&(a), &(b), sizeof(a)) == 0 || (isnan(a) && isnan(b)),                        \
              "n %zu kind %d: " #a " %.17g, textbook %.17g", n, kind, (double)(a), (double)(b))
            SAME(m.sharpe, o.sharpe);
            SAME(m.sortino, o.sortino);
            SAME(m.max_drawdown, o.max_dd);
            SAME(m.var_5, o.var5);
            SAME(m.turnover_annual, o.turnover);
#undef SAME
            cr_expect_eq(m.max_drawdown_duration_bars, o.dd_bars, "n %zu kind %d", n, kind);
            cr_expect(fabsl(m.cvar_5 - o.cvar5) <= 1e-15L * fmaxl(1, fabsl(o.cvar5)),
                      "n %zu kind %d: cvar %.17g vs %.17Lg", n, kind, m.cvar_5, o.cvar5);
            cr_expect(isnan(o.psr) ? isnan(m.psr) : fabs(m.psr - o.psr) < 1e-12,
                      "n %zu kind %d: psr %.17g vs %.17g", n, kind, m.psr, o.psr);
            cases++;
        }
    }
    cr_expect_eq(cases, 66);
    free(eq);
}

Test(metrics, names_the_first_bad_equity_point_past_the_first_chunk)
{
    double eq[600];
    for (size_t i = 0; i < 600; i++)
        eq[i] = 100 + (double)(i % 7);
    eq[300] = NAN;
    eq[450] = -1;
    qf_metrics_input in = {.equity = eq, .n = 600, .bars_per_year = 0, .n_trials = 1};
    qf_metrics m;
    qf_err err = {0};
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "metrics: equity must be positive and finite, got nan at bar 300",
                     "the equity is checked before bars_per_year");
    eq[300] = INFINITY;
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "metrics: equity must be positive and finite, got inf at bar 300");
    eq[300] = 100;
    eq[0] = 0;
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "metrics: equity must be positive and finite, got 0 at bar 0");
    eq[0] = 100;
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "metrics: equity must be positive and finite, got -1 at bar 450");
    eq[450] = 100;
    cr_expect_eq(qf_metrics_compute(&in, &m, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "metrics: bars_per_year must be positive, got 0");
}
