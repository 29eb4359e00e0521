/*
 * bench_hmm.c - the regime detector's speed on real BTC/USDT 4h bars:
 * fitting the Gaussian HMM (d = 2: log_returns, realized_vol; K = 3; the
 * default restarts, iterations and tolerance of config/default.yaml) on the
 * latest 4,000 bars, against the target of 50 ms, and refitting it from the
 * previous model as the periodic retrain would; the filter per bar,
 * streaming and batch; the log-likelihood and Viterbi per bar.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "features/featureset.h"
#include "signal/hmm.h"
#include "signal/regime.h"

#define FIT_BARS 4000

static void die(const char *what, const qf_err *err)
{
    fprintf(stderr, "bench_hmm: %s: %s\n", what, err->msg);
    exit(1);
}

int main(void)
{
    qf_candles cs;
    bench_load(&cs);
    qf_bars b = bench_tiled(&cs, 1);
    size_t n = b.n;
    qf_err err = {0};
    qf_feature_params fp = qf_feature_params_default();
    double *feats = malloc(QF_TECH_FEATURES * n * sizeof *feats);
    if (!feats || qf_features_compute(&b, &fp, feats, &err) != QF_OK)
        die("features", &err);
    qf_hmm_series all = {.n = n, .n_dims = 2};
    all.col[0] = feats + QF_F_LOG_RETURNS * n;
    all.col[1] = feats + QF_F_REALIZED_VOL * n;
    qf_hmm_series last = all;
    last.n = FIT_BARS;
    last.col[0] += n - FIT_BARS;
    last.col[1] += n - FIT_BARS;

    qf_hmm_fit_params p = qf_hmm_fit_params_default();
    qf_hmm m;
    qf_hmm_fit_report rep;
    double secs;
    qf_rc rc = QF_OK;
    BENCH_BEST(10, secs, rc = qf_hmm_fit(&last, &p, &m, &rep, &err));
    if (rc != QF_OK)
        die("fit", &err);
    printf("Gaussian HMM, BTC/USDT 4h, d = 2 (log_returns, realized_vol), K = %d\n", p.n_states);
    printf("%-44s %12s  %s\n", "what", "time", "details");
    printf("%-44s %9.2f ms  %d restarts, %d iterations (winner %d, %s), target < 50 ms\n",
           "fit, latest 4,000 bars (best of 10)", secs * 1e3, rep.restarts, rep.iterations_total,
           rep.iterations, rep.converged ? "converged" : "max_iter");

    /* The same on every 4,000-bar window ending 3,000 bars apart: the
     * iterations EM needs vary with the data. */
    double worst = 0.0, best_w = 1e30;
    int worst_iters = 0, windows = 0;
    for (size_t back = 0; back + FIT_BARS + 24 <= n; back += 3000, windows++) {
        qf_hmm_series w = all; /* bars [n - back - 4000, n - back); 24 of warm-up spared */
        w.n = FIT_BARS;
        w.col[0] += n - back - FIT_BARS;
        w.col[1] += n - back - FIT_BARS;
        qf_hmm_fit_report rw;
        BENCH_BEST(3, secs, rc = qf_hmm_fit(&w, &p, &m, &rw, &err));
        if (rc != QF_OK)
            die("fit", &err);
        if (secs > worst) {
            worst = secs;
            worst_iters = rw.iterations_total;
        }
        if (secs < best_w)
            best_w = secs;
    }
    printf("%-44s %9.2f ms  slowest of %d windows (%d iterations); fastest %.2f ms\n",
           "fit, 4,000-bar windows across the series", worst * 1e3, windows, worst_iters,
           best_w * 1e3);

    p.n_restarts = 1;
    qf_hmm_fit_report rep1;
    BENCH_BEST(10, secs, rc = qf_hmm_fit(&last, &p, &m, &rep1, &err));
    printf("%-44s %9.2f ms  %d iterations\n", "fit, 4,000 bars, one restart", secs * 1e3,
           rep1.iterations);
    p = qf_hmm_fit_params_default();
    BENCH_BEST(3, secs, rc = qf_hmm_fit(&all, &p, &m, &rep1, &err));
    if (rc != QF_OK)
        die("fit", &err);
    printf("%-44s %9.2f ms  %d iterations over %d restarts\n", "fit, whole series", secs * 1e3,
           rep1.iterations_total, rep1.restarts);

    /* A periodic refit (every 42 bars, regime.retrain_interval_days at 4h)
     * starting from the model of the window 42 bars earlier. */
    qf_hmm_series before = last;
    before.col[0] -= 42;
    before.col[1] -= 42;
    qf_hmm prev, re;
    if (qf_hmm_fit(&before, &p, &prev, NULL, &err) != QF_OK)
        die("fit", &err);
    BENCH_BEST(10, secs, rc = qf_hmm_refit(&last, &p, &prev, &re, &rep1, &err));
    if (rc != QF_OK)
        die("refit", &err);
    printf("%-44s %9.2f ms  %d iterations, from the model 42 bars earlier\n", "refit, 4,000 bars",
           secs * 1e3, rep1.iterations);

    /* The model of the 4,000-bar fit filters the whole series. */
    if (qf_hmm_fit(&last, &p, &m, &rep, &err) != QF_OK)
        die("fit", &err);
    double *prob = malloc(n * (size_t)m.n_states * sizeof *prob);
    int *states = malloc(n * sizeof *states);
    if (!prob || !states)
        return 1;
    double sink = 0.0;
    BENCH_BEST(20, secs, {
        qf_hmm_filter f;
        qf_hmm_filter_init(&f, &m);
        for (size_t t = 0; t < n; t++) {
            double x[2] = {all.col[0][t], all.col[1][t]};
            sink += qf_hmm_filter_step(&f, x, NULL);
        }
    });
    printf("%-44s %9.1f ns/bar  %zu bars\n", "filter, streaming step", secs * 1e9 / (double)n, n);
    BENCH_BEST(20, secs, rc = qf_hmm_filter_batch(&m, &all, prob, states, &err));
    printf("%-44s %9.1f ns/bar\n", "filter, batch", secs * 1e9 / (double)n);
    double ll = 0.0;
    BENCH_BEST(20, secs, rc = qf_hmm_log_likelihood(&m, &all, &ll, NULL, &err));
    printf("%-44s %9.1f ns/bar  ln L = %.1f\n", "log-likelihood", secs * 1e9 / (double)n, ll);
    BENCH_BEST(20, secs, rc = qf_hmm_viterbi(&m, &all, states, NULL, &err));
    printf("%-44s %9.1f ns/bar\n", "viterbi", secs * 1e9 / (double)n);

    qf_regime_map map;
    if (qf_regime_map_build(&m, 1, &map, &err) != QF_OK)
        die("regime map", &err);
    printf("\nstates of the 4,000-bar fit (annualised realized_vol mean, regime):\n");
    for (int k = 0; k < m.n_states; k++)
        printf("  state %d: log_return mean %+.5f sd %.5f, realized_vol mean %.3f -> %s\n", k,
               m.mean[k][0], sqrt(m.cov[k][0][0]), m.mean[k][1], qf_regime_name(map.of_state[k]));
    if (sink < 0)
        printf("%g\n", sink);
    free(prob);
    free(states);
    free(feats);
    qf_bars_cleanup(&b);
    qf_candles_cleanup(&cs);
    return 0;
}
