/*
 * test_featureset.c - the technical feature set and the rolling z-score on
 * the bundled real candles: batch and streaming agree bit for bit, no value
 * looks ahead (the prefix ending at t gives the full-series value at t), each
 * feature matches its formula computed independently (long double, direct
 * sums), and the normalizer on hand-computed cases.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bars.h"
#include "features/featureset.h"
#include "features/indicators.h"
#include "features/normalize.h"
#include "testutil.h"

/* Same bits, NaN included. */
static int same(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

static void batch_equals_stream(const char *sym)
{
    qf_bars b = qf_test_bars(sym);
    qf_feature_params p = qf_feature_params_default();
    size_t n = b.n;
    double *batch = malloc(QF_TECH_FEATURES * n * sizeof *batch);
    double *zb = malloc(QF_TECH_FEATURES * n * sizeof *zb);
    qf_err err = {0};
    cr_assert_eq(qf_features_compute(&b, &p, batch, &err), QF_OK, "%s", err.msg);
    for (size_t f = 0; f < QF_TECH_FEATURES; f++)
        cr_assert_eq(qf_zscore_rolling(batch + f * n, n, 100, 1, zb + f * n, &err), QF_OK);
    qf_feature_stream *fs = NULL;
    qf_zscore_stream *zs = NULL;
    cr_assert_eq(qf_feature_stream_new(&p, &fs, &err), QF_OK);
    cr_assert_eq(qf_zscore_stream_new(QF_TECH_FEATURES, 100, 1, &zs, &err), QF_OK);
    size_t diff = 0;
    for (size_t i = 0; i < n; i++) {
        double row[QF_TECH_FEATURES], z[QF_TECH_FEATURES];
        qf_feature_stream_push(fs, b.high[i], b.low[i], b.close[i], b.volume[i], row);
        qf_zscore_stream_push(zs, row, z);
        for (size_t f = 0; f < QF_TECH_FEATURES; f++) {
            if (!same(row[f], batch[f * n + i]) && diff++ < 5)
                cr_expect_fail("%s %s[%zu]: batch %.17g stream %.17g", sym,
                               qf_feature_set_technical()->feature_names[f], i, batch[f * n + i],
                               row[f]);
            if (!same(z[f], zb[f * n + i]) && diff++ < 5)
                cr_expect_fail("%s z(%s)[%zu]: batch %.17g stream %.17g", sym,
                               qf_feature_set_technical()->feature_names[f], i, zb[f * n + i],
                               z[f]);
        }
    }
    cr_expect_eq(diff, 0, "%s: %zu values differ between batch and streaming", sym, diff);
    /* everything is defined once the history is long enough */
    int start = qf_features_start(&p);
    cr_expect_eq(start, 29);
    for (size_t f = 0; f < QF_TECH_FEATURES; f++) {
        cr_expect(isnan(batch[f * n + 0]));
        for (size_t i = (size_t)start; i < n; i++)
            cr_assert(isfinite(batch[f * n + i]), "%s feature %zu NaN at %zu", sym, f, i);
        size_t first = 0;
        while (isnan(batch[f * n + first]))
            first++;
        for (size_t i = first + 100; i < n; i++)
            cr_assert(isfinite(zb[f * n + i]), "%s z %zu NaN at %zu", sym, f, i);
        cr_expect(isnan(zb[f * n + first + 99]), "z needs the 100 values before t");
    }
    qf_feature_stream_free(fs);
    qf_zscore_stream_free(zs);
    free(batch);
    free(zb);
    qf_bars_cleanup(&b);
}

Test(featureset, batch_equals_streaming_btc)
{
    batch_equals_stream("BTCUSDT");
}

Test(featureset, batch_equals_streaming_eth)
{
    batch_equals_stream("ETHUSDT");
}

Test(featureset, batch_equals_streaming_sol)
{
    batch_equals_stream("SOLUSDT");
}

Test(featureset, no_lookahead)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_feature_params p = qf_feature_params_default();
    size_t n = b.n;
    double *full = malloc(QF_TECH_FEATURES * n * sizeof *full);
    double *zfull = malloc(n * sizeof *zfull);
    double *pre = malloc(QF_TECH_FEATURES * n * sizeof *pre);
    double *zpre = malloc(n * sizeof *zpre);
    qf_err err = {0};
    cr_assert_eq(qf_features_compute(&b, &p, full, &err), QF_OK);
    size_t ts[] = {0, 1, 13, 14, 28, 29, 30, 128, 129, 130, 4095, 4096, 4097, 8192, n - 2};
    size_t checked = 0;
    for (size_t k = 0; k < sizeof ts / sizeof ts[0] + 40; k++) {
        size_t t = k < sizeof ts / sizeof ts[0] ? ts[k] : 200 + (k * 7919) % (n - 201);
        qf_bars prefix = b;
        prefix.n = t + 1; /* the columns of bars <= t only */
        cr_assert_eq(qf_features_compute(&prefix, &p, pre, &err), QF_OK);
        for (size_t f = 0; f < QF_TECH_FEATURES; f++) {
            cr_assert(same(pre[f * prefix.n + t], full[f * n + t]),
                      "%s at bar %zu: prefix %.17g, full series %.17g",
                      qf_feature_set_technical()->feature_names[f], t, pre[f * prefix.n + t],
                      full[f * n + t]);
            cr_assert_eq(qf_zscore_rolling(full + f * n, n, 100, 1, zfull, &err), QF_OK);
            cr_assert_eq(qf_zscore_rolling(pre + f * prefix.n, prefix.n, 100, 1, zpre, &err),
                         QF_OK);
            cr_assert(same(zpre[t], zfull[t]), "z at %zu", t);
            checked++;
        }
    }
    cr_expect_gt(checked, 500);
    free(full);
    free(zfull);
    free(pre);
    free(zpre);
    qf_bars_cleanup(&b);
}

/* Each feature against its definition, evaluated directly (long double,
 * fresh sums per bar) at many bars. */
Test(featureset, formulas_hold)
{
    qf_bars b = qf_test_bars("ETHUSDT");
    qf_feature_params p = qf_feature_params_default();
    size_t n = b.n;
    double *F = malloc(QF_TECH_FEATURES * n * sizeof *F);
    double *ema10 = malloc(n * sizeof *ema10);
    double *ema30 = malloc(n * sizeof *ema30);
    double *rsi = malloc(n * sizeof *rsi);
    double *atr = malloc(n * sizeof *atr);
    qf_err err = {0};
    cr_assert_eq(qf_features_compute(&b, &p, F, &err), QF_OK);
    cr_assert_eq(qf_ind_ema(b.close, n, 10, ema10, &err), QF_OK);
    cr_assert_eq(qf_ind_ema(b.close, n, 30, ema30, &err), QF_OK);
    cr_assert_eq(qf_ind_rsi(b.close, n, 14, rsi, &err), QF_OK);
    cr_assert_eq(qf_ind_atr(b.high, b.low, b.close, n, 14, atr, &err), QF_OK);
    const double *c = b.close, *v = b.volume;
#define FEAT(f, i) F[(size_t)(f)*n + (i)]
#define NEAR(a, want, tol)                                                                         \
    cr_assert(fabsl((long double)(a) - (want)) <= (tol)*fmaxl(1.0L, fabsl(want)),                  \
              #a " at %zu: %.17g vs %.17Lg", i, (double)(a), (long double)(want))
    for (size_t i = 30; i < n; i += 37) {
        NEAR(FEAT(QF_F_LOG_RETURNS, i), logl((long double)c[i] / c[i - 1]), 1e-15);
        NEAR(FEAT(QF_F_MOMENTUM_4, i), (long double)c[i] / c[i - 4] - 1, 1e-15);
        NEAR(FEAT(QF_F_MOMENTUM_12, i), (long double)c[i] / c[i - 12] - 1, 1e-15);
        NEAR(FEAT(QF_F_EMA_RATIO, i), (long double)ema10[i] / ema30[i] - 1, 1e-15);
        cr_assert(same(FEAT(QF_F_RSI, i), rsi[i]) && same(FEAT(QF_F_ATR, i), atr[i]));
        long double pv = 0, vs = 0, m = 0, s2 = 0, lm = 0, ls2 = 0;
        for (size_t j = i - 23; j <= i; j++) {
            pv += (long double)c[j] * v[j];
            vs += v[j];
            lm += logl((long double)c[j] / c[j - 1]);
        }
        NEAR(FEAT(QF_F_VWAP_DEVIATION, i), (c[i] - pv / vs) / (pv / vs), 1e-12);
        NEAR(FEAT(QF_F_VOLUME_RATIO, i), v[i] / (vs / 24) - 1, 1e-12);
        lm /= 24;
        for (size_t j = i - 23; j <= i; j++) {
            long double d = logl((long double)c[j] / c[j - 1]) - lm;
            ls2 += d * d;
        }
        NEAR(FEAT(QF_F_REALIZED_VOL, i), sqrtl(ls2 / 23) * sqrtl(2190), 1e-12);
        for (size_t j = i - 19; j <= i; j++)
            m += c[j];
        m /= 20;
        for (size_t j = i - 19; j <= i; j++)
            s2 += (c[j] - m) * (c[j] - m);
        long double sd = sqrtl(s2 / 20);
        NEAR(FEAT(QF_F_BB_PCT_B, i), (c[i] - (m - 2 * sd)) / (4 * sd), 1e-10);
    }
#undef FEAT
#undef NEAR
    free(F);
    free(ema10);
    free(ema30);
    free(rsi);
    free(atr);
    qf_bars_cleanup(&b);
}

Test(featureset, registry_and_params)
{
    const qf_feature_set_info *fs = qf_feature_set_find("technical");
    cr_assert_not_null(fs);
    cr_expect_eq(fs->version, 1);
    cr_expect_eq(fs->n_features, 10);
    cr_expect_str_eq(fs->feature_names[0], "log_returns");
    cr_expect_str_eq(fs->feature_names[9], "volume_ratio");
    cr_expect_null(qf_feature_set_find("nope"));
    qf_feature_params p = qf_feature_params_default();
    p.bb_period = 1;
    qf_err err = {0};
    cr_expect_eq(qf_feature_params_check(&p, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "features: bb_period must be in [2, 100000] bars, got 1");
    p = qf_feature_params_default();
    p.bars_per_year = 0;
    cr_expect_eq(qf_features_start(&p), -1);
    qf_bars empty;
    qf_bars_init(&empty);
    cr_expect_eq(qf_features_compute(&empty, &p, NULL, &err), QF_EINVAL);
}

Test(normalize, hand_cases)
{
    const double x[] = {1, 2, 3, 4, 10};
    double z[8];
    cr_assert_eq(qf_zscore_rolling(x, 5, 3, 1, z, NULL), QF_OK);
    cr_expect(isnan(z[0]) && isnan(z[1]) && isnan(z[2]));
    cr_expect(fabs(z[3] - 2.0) < 1e-12, "window {1,2,3}: mean 2, sd 1, got %g", z[3]);
    cr_expect(fabs(z[4] - 7.0) < 1e-12, "window {2,3,4}: mean 3, sd 1, got %g", z[4]);
    cr_assert_eq(qf_zscore_rolling(x, 5, 3, 0, z, NULL), QF_OK); /* shift 0 includes x_t */
    cr_expect(fabs(z[2] - 1.0) < 1e-12 && fabs(z[3] - 1.0) < 1e-12);
    const double flat[] = {5, 5, 5, 6};
    cr_assert_eq(qf_zscore_rolling(flat, 4, 3, 1, z, NULL), QF_OK);
    cr_expect(fabs(z[3] - 1e10) < 1, "sd clipped at 1e-10, got %g", z[3]);
    const double gap[] = {1, 2, NAN, 3, 4, 5, 6};
    cr_assert_eq(qf_zscore_rolling(gap, 7, 2, 1, z, NULL), QF_OK);
    cr_expect(isnan(z[3]) && isnan(z[4]), "a NaN in the window makes z NaN");
    cr_expect(fabs(z[5] - (5 - 3.5) / sqrt(0.5)) < 1e-12, "window {3,4} after the gap: %g", z[5]);
    qf_err err = {0};
    cr_expect_eq(qf_zscore_rolling(x, 5, 1, 1, z, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "normalization: window must be in [2, 100000], got 1");
    cr_expect_eq(qf_zscore_rolling(x, 5, 3, -1, z, &err), QF_EINVAL);
}

/* A column that breaks the normalizer's schedule: finite stretches shorter
 * and longer than the window, lone NaN and infinities, a level far from 0
 * (cancellation), a flat stretch (the deviation floor). */
static void awkward_column(double *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(seed >> 11) * 0x1.0p-53 - 0.5;
        x[i] = i < n / 3 ? u : i < 2 * n / 3 ? 1e6 + 1e-3 * u : 42.0;
        if (i % 997 == 500 || i % 1499 == 7)
            x[i] = NAN;
        if (i % 2003 == 1000)
            x[i] = i % 2 ? INFINITY : -INFINITY;
    }
    for (size_t i = n / 2; i < n / 2 + 40; i++)
        x[i] = NAN; /* a gap longer than short windows */
}

Test(normalize, batch_equals_streaming_on_gaps_and_odd_windows)
{
    size_t n = 6000;
    double *x = malloc(n * sizeof *x), *zb = malloc(n * sizeof *zb);
    awkward_column(x, n, 5);
    int windows[] = {2, 3, 7, 100, 257, 600};
    int shifts[] = {0, 1, 5};
    for (size_t wi = 0; wi < sizeof windows / sizeof windows[0]; wi++)
        for (size_t si = 0; si < sizeof shifts / sizeof shifts[0]; si++) {
            int w = windows[wi], sh = shifts[si];
            cr_assert_eq(qf_zscore_rolling(x, n, w, sh, zb, NULL), QF_OK);
            qf_zscore_stream *zs = NULL;
            cr_assert_eq(qf_zscore_stream_new(1, w, sh, &zs, NULL), QF_OK);
            size_t diff = 0, defined = 0;
            for (size_t t = 0; t < n; t++) {
                double z;
                qf_zscore_stream_push(zs, &x[t], &z);
                if (!same(z, zb[t]) && diff++ < 3)
                    cr_expect_fail("window %d shift %d bar %zu: batch %.17g stream %.17g", w, sh, t,
                                   zb[t], z);
                defined += !isnan(zb[t]);
            }
            cr_expect_eq(diff, 0, "window %d shift %d: %zu values differ", w, sh, diff);
            cr_expect_gt(defined, n / 10, "window %d shift %d: %zu defined", w, sh, defined);
            qf_zscore_stream_free(zs);
        }
    free(x);
    free(zb);
}

/* Against the definition evaluated directly per bar in long double: the
 * sliding sums stay within 1e-11 of it (relative to max(1, |z|)) on the
 * real features and on the awkward column, and every NaN is where the
 * definition says. */
static void zscore_matches_definition(const double *x, size_t n, int window, int shift)
{
    double *z = malloc(n * sizeof *z);
    cr_assert_eq(qf_zscore_rolling(x, n, window, shift, z, NULL), QF_OK);
    size_t w = (size_t)window, sh = (size_t)shift;
    for (size_t t = 0; t < n; t++) {
        int defined = t >= sh + w - 1 && isfinite(x[t]);
        for (size_t j = t + 1 - w - sh; defined && j <= t - sh; j++)
            defined = isfinite(x[j]);
        if (!defined) {
            cr_assert(isnan(z[t]), "window %d shift %d bar %zu: %g, want NaN", window, shift, t,
                      z[t]);
            continue;
        }
        /* deviations from a value of the window, exact in long double even
         * on a level of 1e6 with deviations of 1e-3 (summing the values
         * themselves would lose those digits) */
        long double a = x[t - sh], m = 0, s2 = 0;
        for (size_t j = t + 1 - w - sh; j <= t - sh; j++)
            m += (long double)x[j] - a;
        m /= w;
        for (size_t j = t + 1 - w - sh; j <= t - sh; j++)
            s2 += ((x[j] - a) - m) * ((x[j] - a) - m);
        long double sd = sqrtl(s2 / (w - 1));
        if (sd < QF_ZSCORE_SD_FLOOR)
            sd = QF_ZSCORE_SD_FLOOR;
        long double want = ((x[t] - a) - m) / sd;
        cr_assert(fabsl(z[t] - want) <= 1e-11L * fmaxl(1, fabsl(want)),
                  "window %d shift %d bar %zu: %.17g vs %.17Lg", window, shift, t, z[t], want);
    }
    free(z);
}

Test(normalize, matches_the_definition)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_feature_params p = qf_feature_params_default();
    size_t n = b.n;
    double *F = malloc(QF_TECH_FEATURES * n * sizeof *F);
    cr_assert_eq(qf_features_compute(&b, &p, F, NULL), QF_OK);
    for (size_t f = 0; f < QF_TECH_FEATURES; f++)
        zscore_matches_definition(F + f * n, 3000, 100, 1);
    zscore_matches_definition(F + QF_F_RSI * n, n, 100, 1);
    double *x = malloc(6000 * sizeof *x);
    awkward_column(x, 6000, 9);
    zscore_matches_definition(x, 6000, 3, 0);
    zscore_matches_definition(x, 6000, 50, 1);
    zscore_matches_definition(x, 6000, 300, 2);
    free(x);
    free(F);
    qf_bars_cleanup(&b);
}

/* Batch and streaming agree with other periods too: shorter and longer
 * than the batch tile (256 bars), the VWAP re-summed every 4096 bars, and
 * series ending just before, at and after tile boundaries. */
Test(featureset, batch_equals_streaming_with_other_periods)
{
    qf_bars b = qf_test_bars("SOLUSDT");
    qf_feature_params ps[] = {{2, 1, 2, 1.0, 2, 1, 365.0},
                              {7, 30, 300, 2.5, 260, 5000, 8760.0},
                              {14, 14, 20, 2.0, 24, 24, 2190.0}};
    size_t lens[] = {1, 2, 29, 255, 256, 257, 513, 9000};
    double *F = malloc(QF_TECH_FEATURES * b.n * sizeof *F);
    for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++)
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            qf_bars pre = b;
            pre.n = lens[li];
            size_t n = pre.n;
            cr_assert_eq(qf_features_compute(&pre, &ps[pi], F, NULL), QF_OK);
            qf_feature_stream *fs = NULL;
            cr_assert_eq(qf_feature_stream_new(&ps[pi], &fs, NULL), QF_OK);
            size_t diff = 0;
            for (size_t i = 0; i < n; i++) {
                double row[QF_TECH_FEATURES];
                qf_feature_stream_push(fs, b.high[i], b.low[i], b.close[i], b.volume[i], row);
                for (size_t f = 0; f < QF_TECH_FEATURES; f++)
                    if (!same(row[f], F[f * n + i]) && diff++ < 3)
                        cr_expect_fail("params %zu n %zu %s[%zu]: batch %.17g stream %.17g", pi, n,
                                       qf_feature_set_technical()->feature_names[f], i,
                                       F[f * n + i], row[f]);
            }
            cr_expect_eq(diff, 0, "params %zu n %zu: %zu values differ", pi, n, diff);
            qf_feature_stream_free(fs);
        }
    free(F);
    qf_bars_cleanup(&b);
}

/* RSI, ATR and the EMAs inside the feature set are the indicator kernels'
 * own values, bit for bit, at every bar (the fused pass must not drift). */
Test(featureset, fused_pass_keeps_the_kernels_bits)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_feature_params p = qf_feature_params_default();
    size_t n = b.n;
    double *F = malloc(QF_TECH_FEATURES * n * sizeof *F);
    double *k1 = malloc(n * sizeof *k1), *k2 = malloc(n * sizeof *k2);
    cr_assert_eq(qf_features_compute(&b, &p, F, NULL), QF_OK);
    cr_assert_eq(qf_ind_rsi(b.close, n, 14, k1, NULL), QF_OK);
    cr_assert_eq(qf_ind_atr(b.high, b.low, b.close, n, 14, k2, NULL), QF_OK);
    for (size_t i = 0; i < n; i++) {
        cr_assert(same(F[QF_F_RSI * n + i], k1[i]), "rsi at %zu", i);
        cr_assert(same(F[QF_F_ATR * n + i], k2[i]), "atr at %zu", i);
    }
    cr_assert_eq(qf_ind_pct_b(b.close, n, 20, 2.0, k1, NULL), QF_OK);
    cr_assert_eq(qf_ind_vwap(b.close, b.volume, n, 24, k2, NULL), QF_OK);
    for (size_t i = 0; i < n; i++) {
        cr_assert(same(F[QF_F_BB_PCT_B * n + i], k1[i]), "pct_b at %zu", i);
        cr_assert(same(F[QF_F_VWAP_DEVIATION * n + i], (b.close[i] - k2[i]) / k2[i]),
                  "vwap deviation at %zu", i);
    }
    free(F);
    free(k1);
    free(k2);
    qf_bars_cleanup(&b);
}

/* The column-parallel z-score equals the one-column kernel bit for bit on
 * the real BTC features, whatever the thread count. */
Test(normalize, columns_on_threads_equal_one_column_at_a_time)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_feature_params p = qf_feature_params_default();
    size_t n = b.n, cols = QF_TECH_FEATURES;
    double *F = malloc(cols * n * sizeof *F), *ref = malloc(cols * n * sizeof *ref),
           *z = malloc(cols * n * sizeof *z);
    cr_assert_eq(qf_features_compute(&b, &p, F, NULL), QF_OK);
    for (size_t k = 0; k < cols; k++)
        cr_assert_eq(qf_zscore_rolling(F + k * n, n, 100, 1, ref + k * n, NULL), QF_OK);
    for (int threads = 0; threads <= 3; threads++) {
        memset(z, 0, cols * n * sizeof *z);
        cr_assert_eq(qf_zscore_rolling_columns(F, n, cols, 100, 1, threads, z, NULL), QF_OK);
        cr_expect_eq(memcmp(z, ref, cols * n * sizeof *z), 0, "threads %d", threads);
    }
    qf_err err = {0};
    cr_expect_eq(qf_zscore_rolling_columns(F, n, cols, 1, 1, 2, z, &err), QF_EINVAL);
    free(F);
    free(ref);
    free(z);
    qf_bars_cleanup(&b);
}
