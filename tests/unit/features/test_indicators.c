/*
 * test_indicators.c - every kernel on small series computed by hand, the
 * lookbacks, and the rejection of bad parameters. Agreement with TA-Lib on
 * the bundled candles is test_talib.c.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features/indicators.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void expect(const double *got, const double *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(want[i]))
            cr_expect(isnan(got[i]), "%s[%zu]: want NaN, got %.17g", what, i, got[i]);
        else
            cr_expect(fabs(got[i] - want[i]) <= 1e-12 * fmax(1.0, fabs(want[i])),
                      "%s[%zu]: want %.17g, got %.17g", what, i, want[i], got[i]);
    }
}

Test(indicators, sma_ema_wma)
{
    const double x[] = {1, 2, 3, 4, 5};
    double out[N(x)];
    qf_err err = {0};
    cr_assert_eq(qf_ind_sma(x, N(x), 3, out, &err), QF_OK);
    expect(out, (double[]){NAN, NAN, 2, 3, 4}, N(x), "sma");
    cr_assert_eq(qf_ind_ema(x, N(x), 3, out, &err), QF_OK); /* k = 0.5, seed 2 */
    expect(out, (double[]){NAN, NAN, 2, 3, 4}, N(x), "ema");
    const double y[] = {1, 3, 2, 6};
    cr_assert_eq(qf_ind_ema(y, N(y), 3, out, &err), QF_OK); /* seed 2, then 2 + .5*4 */
    expect(out, (double[]){NAN, NAN, 2, 4}, N(y), "ema2");
    cr_assert_eq(qf_ind_wma(y, N(y), 3, out, &err), QF_OK);
    expect(out, (double[]){NAN, NAN, (1 + 6 + 6) / 6.0, (3 + 4 + 18) / 6.0}, N(y), "wma");
    cr_assert_eq(qf_ind_sma(x, N(x), 1, out, &err), QF_OK);
    expect(out, x, N(x), "sma1");
}

Test(indicators, rsi_wilder)
{
    const double x[] = {44, 44.34, 44.09, 43.61, 44.33};
    double out[N(x)];
    cr_assert_eq(qf_ind_rsi(x, N(x), 2, out, NULL), QF_OK);
    /* gains/losses: +.34 -.25 -.48 +.72; seed g=.17 l=.125, then Wilder */
    double g = 0.17, l = 0.125;
    double r2 = 100 * g / (g + l);
    g = g / 2, l = (l + 0.48) / 2;
    double r3 = 100 * g / (g + l);
    g = (g + 0.72) / 2, l = l / 2;
    double r4 = 100 * g / (g + l);
    expect(out, (double[]){NAN, NAN, r2, r3, r4}, N(x), "rsi");
    cr_expect(fabs(r2 - 57.6271186440678) < 1e-9);
    const double flat[] = {5, 5, 5, 5};
    cr_assert_eq(qf_ind_rsi(flat, N(flat), 2, out, NULL), QF_OK);
    expect(out, (double[]){NAN, NAN, 0, 0}, N(flat), "rsi flat"); /* TA-Lib: 0 */
}

Test(indicators, trange_atr)
{
    const double h[] = {10, 12, 11, 13};
    const double l[] = {9, 10, 8, 12};
    const double c[] = {9.5, 11, 9, 12.5};
    double out[4];
    cr_assert_eq(qf_ind_trange(h, l, c, 4, out, NULL), QF_OK);
    expect(out, (double[]){NAN, 2.5, 3, 4}, 4, "trange");
    cr_assert_eq(qf_ind_atr(h, l, c, 4, 2, out, NULL), QF_OK);
    expect(out, (double[]){NAN, NAN, 2.75, (2.75 + 4) / 2}, 4, "atr");
    cr_assert_eq(qf_ind_atr(h, l, c, 4, 1, out, NULL), QF_OK);
    expect(out, (double[]){NAN, 2.5, 3, 4}, 4, "atr1 = trange");
}

Test(indicators, stddev_bbands_pct_b)
{
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    double a[9], b[9], c[9];
    cr_assert_eq(qf_ind_stddev(x, 8, 8, 1.0, a, NULL), QF_OK);
    expect(a, (double[]){NAN, NAN, NAN, NAN, NAN, NAN, NAN, 2}, 8, "stddev");
    cr_assert_eq(qf_ind_bbands(x, 8, 8, 2.0, 2.0, a, b, c, NULL), QF_OK);
    cr_expect(fabs(a[7] - 9) < 1e-12 && fabs(b[7] - 5) < 1e-12 && fabs(c[7] - 1) < 1e-12);
    cr_expect(isnan(a[6]) && isnan(b[6]) && isnan(c[6]));
    cr_assert_eq(qf_ind_pct_b(x, 8, 8, 2.0, a, NULL), QF_OK);
    cr_expect(fabs(a[7] - 1.0) < 1e-12, "%%B of the top of the band is 1, got %g", a[7]);
    /* rolling window: second window {4,4,4,5,5,7,9,9} */
    const double y[] = {2, 4, 4, 4, 5, 5, 7, 9, 9};
    cr_assert_eq(qf_ind_stddev(y, 9, 8, 1.0, a, NULL), QF_OK);
    double m = (4 + 4 + 4 + 5 + 5 + 7 + 9 + 9) / 8.0, v = 0;
    for (int i = 1; i < 9; i++)
        v += (y[i] - m) * (y[i] - m);
    cr_expect(fabs(a[8] - sqrt(v / 8)) < 1e-12);
    const double flat[] = {3, 3, 3};
    cr_assert_eq(qf_ind_pct_b(flat, 3, 3, 2.0, a, NULL), QF_OK);
    cr_expect(isnan(a[2]), "zero-width bands give NaN %%B");
}

Test(indicators, macd_start_and_values)
{
    const double x[] = {1, 2, 3, 4, 5, 6};
    double m[6], s[6], h[6];
    cr_assert_eq(qf_ind_macd_start(2, 3, 2), 3);
    cr_assert_eq(qf_ind_macd(x, 6, 2, 3, 2, m, s, h, NULL), QF_OK);
    /* slow EMA(3) = 2,3,4,5 from bar 2; fast EMA(2) seeded with mean(2,3) at bar 2 */
    expect(m, (double[]){NAN, NAN, NAN, 0.5, 0.5, 0.5}, 6, "macd");
    expect(s, (double[]){NAN, NAN, NAN, 0.5, 0.5, 0.5}, 6, "signal");
    expect(h, (double[]){NAN, NAN, NAN, 0, 0, 0}, 6, "hist");
    cr_assert_eq(qf_ind_macd(x, 6, 2, 3, 2, m, NULL, h, NULL), QF_OK);
    cr_assert_eq(qf_ind_macd_start(12, 26, 9), 33);
}

Test(indicators, roc_mom_obv_vwap)
{
    const double x[] = {100, 110, 121};
    double out[3];
    cr_assert_eq(qf_ind_roc(x, 3, 1, out, NULL), QF_OK);
    expect(out, (double[]){NAN, 10, 10}, 3, "roc");
    cr_assert_eq(qf_ind_mom(x, 3, 2, out, NULL), QF_OK);
    expect(out, (double[]){NAN, NAN, 21}, 3, "mom");
    const double c[] = {1, 2, 2, 1};
    const double v[] = {10, 20, 30, 40};
    double o4[4];
    cr_assert_eq(qf_ind_obv(c, v, 4, o4, NULL), QF_OK);
    expect(o4, (double[]){10, 30, 30, -10}, 4, "obv");
    const double pc[] = {10, 20, 30};
    const double pv[] = {1, 1, 2};
    cr_assert_eq(qf_ind_vwap(pc, pv, 3, 2, out, NULL), QF_OK);
    expect(out, (double[]){NAN, 15, 80.0 / 3}, 3, "vwap");
    const double zv[] = {0, 0, 0};
    cr_assert_eq(qf_ind_vwap(pc, zv, 3, 2, out, NULL), QF_OK);
    cr_expect(isnan(out[1]) && isnan(out[2]), "no volume, no VWAP");
}

Test(indicators, stoch)
{
    const double h[] = {3, 4, 5, 6};
    const double l[] = {1, 2, 3, 4};
    const double c[] = {2, 3, 5, 4};
    double k[4], d[4];
    cr_assert_eq(qf_ind_stoch(h, l, c, 4, 3, 1, 1, k, d, NULL), QF_OK);
    expect(k, (double[]){NAN, NAN, 100, 50}, 4, "fast k");
    expect(d, (double[]){NAN, NAN, 100, 50}, 4, "d");
    cr_assert_eq(qf_ind_stoch(h, l, c, 4, 3, 2, 1, k, d, NULL), QF_OK);
    expect(k, (double[]){NAN, NAN, NAN, 75}, 4, "slow k");
}

Test(indicators, adx_on_a_steady_uptrend)
{
    /* Every bar moves up by 1 with range 1: +DM = 1, -DM = 0, TR = 1.5 each
     * bar, so -DI = 0, DX = 100 and ADX = 100 from its first value on. */
    double h[12], l[12], c[12], out[12];
    for (int i = 0; i < 12; i++) {
        l[i] = 10 + i;
        h[i] = l[i] + 1;
        c[i] = l[i] + 0.5;
    }
    cr_assert_eq(qf_ind_adx_start(3), 5);
    cr_assert_eq(qf_ind_adx(h, l, c, 12, 3, out, NULL), QF_OK);
    for (int i = 0; i < 5; i++)
        cr_expect(isnan(out[i]));
    for (int i = 5; i < 12; i++)
        cr_expect(fabs(out[i] - 100) < 1e-12, "adx[%d] = %g", i, out[i]);
}

Test(indicators, lookbacks)
{
    cr_expect_eq(qf_ind_sma_start(20), 19);
    cr_expect_eq(qf_ind_ema_start(10), 9);
    cr_expect_eq(qf_ind_rsi_start(14), 14);
    cr_expect_eq(qf_ind_atr_start(14), 14);
    cr_expect_eq(qf_ind_adx_start(14), 27);
    cr_expect_eq(qf_ind_stoch_start(14, 3, 3), 17);
    cr_expect_eq(qf_ind_bbands_start(20), 19);
    cr_expect_eq(qf_ind_trange_start(), 1);
    cr_expect_eq(qf_ind_obv_start(), 0);
    cr_expect_eq(qf_ind_sma_start(0), -1);
    cr_expect_eq(qf_ind_macd_start(26, 12, 9), -1);
}

Test(indicators, short_series_all_nan)
{
    const double x[] = {1, 2};
    double out[2] = {7, 7};
    cr_assert_eq(qf_ind_rsi(x, 2, 14, out, NULL), QF_OK);
    cr_expect(isnan(out[0]) && isnan(out[1]));
    cr_assert_eq(qf_ind_sma(x, 0, 3, out, NULL), QF_OK);
}

Test(indicators, bad_parameters_rejected_outputs_untouched)
{
    const double x[] = {1, 2, 3};
    double out[3] = {7, 7, 7};
    double out2[3] = {7, 7, 7};
    qf_err err = {0};
    cr_assert_eq(qf_ind_sma(x, 3, 0, out, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "sma: period must be in [1, 100000], got 0");
    cr_assert_eq(qf_ind_rsi(x, 3, -5, out, &err), QF_EINVAL);
    cr_assert_eq(qf_ind_ema(x, 3, 100001, out, &err), QF_EINVAL);
    cr_assert_eq(qf_ind_macd(x, 3, 26, 12, 9, out, NULL, out2, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "fast period (26) must be below slow period (12)") != NULL, "%s",
              err.msg);
    cr_assert_eq(qf_ind_macd(x, 3, 12, 26, 9, NULL, NULL, out2, &err), QF_EINVAL);
    cr_assert_eq(qf_ind_sma(NULL, 3, 2, out, &err), QF_EINVAL);
    cr_assert_eq(qf_ind_pct_b(x, 3, 2, 0.0, out, &err), QF_EINVAL);
    cr_assert_eq(qf_ind_stddev(x, 3, 2, NAN, out, &err), QF_EINVAL);
    cr_assert_eq(qf_ind_stoch(x, x, x, 3, 0, 3, 3, out, out2, &err), QF_EINVAL);
    for (int i = 0; i < 3; i++)
        cr_expect(out[i] == 7 && out2[i] == 7, "outputs untouched on error");
}

/* Fast %K (slow periods of 1) against its definition scanned bar by bar,
 * on the real BTC series: periods that take the doubling path (up to 257,
 * powers of two and not, windows crossing the 256-bar tiles) and the
 * tracking path above it. */
Test(indicators, fast_k_is_its_definition)
{
    qf_bars b;
    qf_bars_init(&b);
    cr_assert_eq(qf_test_load_bars("BTCUSDT", &b, NULL), QF_OK);
    size_t n = b.n;
    double *k = malloc(n * sizeof *k), *d = malloc(n * sizeof *d);
    const int periods[] = {1, 2, 3, 5, 8, 14, 31, 64, 100, 256, 257, 258, 1000};
    for (size_t c = 0; c < sizeof periods / sizeof periods[0]; c++) {
        size_t p = (size_t)periods[c];
        cr_assert_eq(qf_ind_stoch(b.high, b.low, b.close, n, (int)p, 1, 1, k, d, NULL), QF_OK);
        for (size_t i = 0; i + 1 < p; i++)
            cr_assert(isnan(k[i]) && isnan(d[i]), "period %zu: bar %zu is before the lookback", p,
                      i);
        for (size_t i = p - 1; i < n; i++) {
            double hi = b.high[i], lo = b.low[i];
            for (size_t j = i + 1 - p; j < i; j++) {
                hi = fmax(hi, b.high[j]);
                lo = fmin(lo, b.low[j]);
            }
            double diff = (hi - lo) / 100.0;
            double want = diff != 0.0 ? (b.close[i] - lo) / diff : 0.0;
            cr_assert_eq(k[i], want, "period %zu at %zu: %.17g, want %.17g", p, i, k[i], want);
            cr_assert_eq(d[i], want, "period %zu: %%D of periods 1 at %zu", p, i);
        }
    }
    free(k);
    free(d);
    qf_bars_cleanup(&b);
}

/* The stochastic is its definition, bit for bit, on the real BTC series:
 * fast %K (the kernel with slow periods of 1), slow %K its SMA, slow %D the
 * SMA of that, for several period sets. */
Test(indicators, stoch_is_sma_of_sma_of_fast_k)
{
    qf_bars b;
    qf_bars_init(&b);
    cr_assert_eq(qf_test_load_bars("BTCUSDT", &b, NULL), QF_OK);
    size_t n = b.n;
    double *fk = malloc(n * sizeof *fk), *tmp = malloc(n * sizeof *tmp);
    double *sk = malloc(n * sizeof *sk), *sd = malloc(n * sizeof *sd);
    double *k = malloc(n * sizeof *k), *d = malloc(n * sizeof *d);
    const int periods[][3] = {{14, 3, 3}, {5, 1, 1}, {9, 257, 4}, {20, 200, 300}, {3, 2, 600}};
    for (size_t c = 0; c < sizeof periods / sizeof periods[0]; c++) {
        int f = periods[c][0], s = periods[c][1], dd = periods[c][2];
        cr_assert_eq(qf_ind_stoch(b.high, b.low, b.close, n, f, 1, 1, fk, tmp, NULL), QF_OK);
        size_t a = (size_t)f - 1, a2 = a + (size_t)s - 1;
        cr_assert_eq(qf_ind_sma(fk + a, n - a, s, sk + a, NULL), QF_OK);
        cr_assert_eq(qf_ind_sma(sk + a2, n - a2, dd, sd + a2, NULL), QF_OK);
        cr_assert_eq(qf_ind_stoch(b.high, b.low, b.close, n, f, s, dd, k, d, NULL), QF_OK);
        size_t start = (size_t)qf_ind_stoch_start(f, s, dd);
        for (size_t i = start; i < n; i++) {
            cr_assert_eq(k[i], sk[i], "%d/%d/%d slow %%K at %zu", f, s, dd, i);
            cr_assert_eq(d[i], sd[i], "%d/%d/%d slow %%D at %zu", f, s, dd, i);
        }
        cr_expect(isnan(k[start - 1]) && isnan(d[start - 1]));
    }
    free(fk);
    free(tmp);
    free(sk);
    free(sd);
    free(k);
    free(d);
    qf_bars_cleanup(&b);
}
