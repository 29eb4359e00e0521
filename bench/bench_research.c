/*
 * bench_research.c - speed of the research kernels on the bundled BTC/USDT
 * 4h candles tiled x1, x10, x100 (prices of each copy scaled so the series
 * stays continuous): indicators (ns per bar), the feature set with
 * normalization, the vectorized backtest with metrics, the event-driven MA
 * crossover, and the Monte Carlo block bootstrap. Best of several runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/montecarlo.h"
#include "backtest/vector.h"
#include "features/featureset.h"
#include "features/indicators.h"
#include "features/normalize.h"
#include "bench_util.h"

int main(void)
{
    qf_candles c;
    bench_load(&c);
    printf("machine: %ld cores; BTC/USDT 4h (%zu bars) tiled\n", sysconf(_SC_NPROCESSORS_ONLN),
           c.n);
    printf("%-34s %12s %12s %12s\n", "work", "x1", "x10", "x100");
    size_t tiles[3] = {1, 10, 100};
    double res[13][3];
    const char *names[13] = {"SMA(20) ns/bar",
                             "EMA(10) ns/bar",
                             "RSI(14) ns/bar",
                             "ATR(14) ns/bar",
                             "BBANDS(20,2) ns/bar",
                             "MACD ns/bar",
                             "ADX(14) ns/bar",
                             "feature set M bars/s",
                             "features+zscore M bars/s",
                             "vectorized+metrics M bars/s",
                             "event MA cross M bars/s",
                             "MC bootstrap M samples/s",
                             "features+zscore 2 threads M bars/s"};
    for (int t = 0; t < 3; t++) {
        qf_bars b = bench_tiled(&c, tiles[t]);
        size_t n = b.n;
        int reps = t == 2 ? 3 : 10;
        double *o1 = malloc(n * sizeof *o1), *o2 = malloc(n * sizeof *o2),
               *o3 = malloc(n * sizeof *o3);
        double *F = malloc(QF_TECH_FEATURES * n * sizeof *F),
               *z = malloc(QF_TECH_FEATURES * n * sizeof *z);
        double s;
        int bad = 0;
        BENCH_BEST(reps, s, bad |= qf_ind_sma(b.close, n, 20, o1, NULL));
        res[0][t] = s / (double)n * 1e9;
        BENCH_BEST(reps, s, bad |= qf_ind_ema(b.close, n, 10, o1, NULL));
        res[1][t] = s / (double)n * 1e9;
        BENCH_BEST(reps, s, bad |= qf_ind_rsi(b.close, n, 14, o1, NULL));
        res[2][t] = s / (double)n * 1e9;
        BENCH_BEST(reps, s, bad |= qf_ind_atr(b.high, b.low, b.close, n, 14, o1, NULL));
        res[3][t] = s / (double)n * 1e9;
        BENCH_BEST(reps, s, bad |= qf_ind_bbands(b.close, n, 20, 2, 2, o1, o2, o3, NULL));
        res[4][t] = s / (double)n * 1e9;
        BENCH_BEST(reps, s, bad |= qf_ind_macd(b.close, n, 12, 26, 9, o1, o2, o3, NULL));
        res[5][t] = s / (double)n * 1e9;
        BENCH_BEST(reps, s, bad |= qf_ind_adx(b.high, b.low, b.close, n, 14, o1, NULL));
        res[6][t] = s / (double)n * 1e9;
        qf_feature_params p = qf_feature_params_default();
        BENCH_BEST(reps, s, bad |= qf_features_compute(&b, &p, F, NULL));
        res[7][t] = (double)n / s / 1e6;
        BENCH_BEST(reps, s, {
            bad |= qf_features_compute(&b, &p, F, NULL);
            bad |= qf_zscore_rolling_columns(F, n, QF_TECH_FEATURES, 100, 1, 1, z, NULL);
        });
        res[8][t] = (double)n / s / 1e6;
        BENCH_BEST(reps, s, { /* the z-score columns shared out over two threads */
                              bad |= qf_features_compute(&b, &p, F, NULL);
                              bad |= qf_zscore_rolling_columns(F, n, QF_TECH_FEATURES, 100, 1, 2, z,
                                                               NULL);
        });
        res[12][t] = (double)n / s / 1e6;
        for (size_t i = 0; i < n; i++)
            o2[i] = i % 200 < 100 ? 1.0 : 0.0; /* a position array with trades */
        qf_cost_model cm = {10, 10, 5, 2, 24};
        qf_vector_stats vs;
        qf_metrics m;
        BENCH_BEST(reps, s, {
            bad |= qf_vector_run(&b, o2, &cm, 1e5, o1, &vs, NULL);
            qf_metrics_input in = {o1,
                                   n,
                                   2190,
                                   NULL,
                                   0,
                                   vs.traded_notional,
                                   vs.bars_in_market,
                                   1,
                                   vs.gross_pnl,
                                   vs.impact_cost};
            bad |= qf_metrics_compute(&in, &m, NULL);
        });
        res[9][t] = (double)n / s / 1e6;
        qf_engine_config ec = qf_engine_config_default();
        qf_backtest_result r;
        qf_err err = {0};
        BENCH_BEST(t == 2 ? 2 : 5, s, {
            bad |= qf_backtest_run(&ec, qf_strategy_find("ma_crossover"), NULL, &b, 1, &r, &err);
            if (err.code != QF_OK)
                fprintf(stderr, "%s\n", err.msg);
            qf_backtest_result_free(&r);
        });
        res[10][t] = (double)n / s / 1e6;
        for (size_t i = 1; i < n; i++)
            o3[i - 1] = b.close[i] / b.close[i - 1] - 1;
        size_t sims = t == 0 ? 2000 : t == 1 ? 200 : 20;
        qf_mc_config mc = {sims, 24, 1, 2190, 0};
        qf_mc_summary ms;
        BENCH_BEST(3, s, bad |= qf_mc_bootstrap(o3, n - 1, &mc, &ms, NULL, NULL));
        res[11][t] = (double)sims * (double)(n - 1) / s / 1e6;
        if (bad) {
            fprintf(stderr, "bench_research: a kernel failed at x%zu\n", tiles[t]);
            return 1;
        }
        free(o1);
        free(o2);
        free(o3);
        free(F);
        free(z);
        qf_bars_cleanup(&b);
    }
    for (int k = 0; k < 13; k++)
        printf("%-34s %12.2f %12.2f %12.2f\n", names[k], res[k][0], res[k][1], res[k][2]);
    qf_candles_cleanup(&c);
    return 0;
}
