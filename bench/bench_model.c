/*
 * bench_model.c - the GBDT models on the bundled BTC/USDT 4h series: one
 * walk-forward fold's training (the classifier and the five quantile
 * models, model.* defaults: 200 trees, eta 0.05, depth 6, 31 leaves, on the
 * 1,000 bars of a training window) and prediction, one row at a time (what
 * the strategy does each bar) and in batches (a test window of 100 rows,
 * and every row of the series). Best of several runs, with 1 and 2 XGBoost
 * threads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "model/gbdt.h"

#define TRAIN_ROWS 1000

static qf_gbdt *train(const qf_gbdt_data *d, const qf_gbdt_params *p, size_t n_quantiles)
{
    qf_gbdt_params q = *p;
    q.n_quantiles = n_quantiles;
    qf_gbdt *m = NULL;
    qf_err err = {0};
    if (qf_gbdt_train(d, &q, &m, NULL, &err) != QF_OK) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        exit(1);
    }
    return m;
}

/* ns per row of predicting rows [0, n) of x one at a time, `passes` times. */
static double per_row(qf_gbdt *m, const double *x, size_t n, size_t nf, int proba, int quant)
{
    double pr[QF_GBDT_CLASSES], q[QF_GBDT_QUANTILES_MAX];
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = bench_now();
        for (size_t i = 0; i < n; i++)
            if (qf_gbdt_predict_row(m, x + i * nf, proba ? pr : NULL, quant ? q : NULL, NULL) !=
                QF_OK)
                exit(1);
        double dt = bench_now() - t0;
        best = dt < best ? dt : best;
    }
    return best / (double)n * 1e9;
}

static double batch(qf_gbdt *m, const double *x, size_t n, double *pr, double *q, int reps)
{
    double best = 1e30;
    for (int rep = 0; rep < reps; rep++) {
        double t0 = bench_now();
        if (qf_gbdt_predict(m, x, n, pr, q, NULL) != QF_OK)
            exit(1);
        double dt = bench_now() - t0;
        best = dt < best ? dt : best;
    }
    return best / (double)n * 1e9;
}

static void run(const qf_gbdt_dataset *ds, int threads)
{
    qf_gbdt_params p = qf_gbdt_params_default();
    p.n_threads = threads;
    size_t nf = ds->n_features, first = ds->first;
    qf_gbdt_data fold = {ds->x + first * nf, TRAIN_ROWS, nf, ds->label + first, ds->target + first};
    double t_all = 1e30, t_cls = 1e30, t_q = 1e30;
    qf_gbdt *m = NULL;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = bench_now();
        qf_gbdt *c = train(&fold, &p, 0);
        double t1 = bench_now();
        qf_gbdt *a = train(&fold, &p, p.n_quantiles);
        double t2 = bench_now();
        t_cls = t1 - t0 < t_cls ? t1 - t0 : t_cls;
        t_all = t2 - t1 < t_all ? t2 - t1 : t_all;
        qf_gbdt_free(c);
        qf_gbdt_free(m);
        m = a;
    }
    t_q = t_all - t_cls;
    printf("%-8d %12.1f %12.1f %12.1f", threads, t_all * 1e3, t_cls * 1e3, t_q * 1e3);

    /* The test window after the fold (purge 12), then every usable row. */
    const double *test = ds->x + (first + TRAIN_ROWS + 12) * nf;
    size_t n_all = ds->n - first;
    double *pr = malloc(n_all * QF_GBDT_CLASSES * sizeof *pr);
    double *q = malloc(n_all * p.n_quantiles * sizeof *q);
    if (pr == NULL || q == NULL)
        exit(1);
    double one = per_row(m, test, 100, nf, 1, 1);
    double one_cls = per_row(m, test, 100, nf, 1, 0);
    qf_gbdt_set_forest(m, 0); /* XGBoost's own one-row path, for comparison */
    double one_xgb = per_row(m, test, 100, nf, 1, 1);
    qf_gbdt_set_forest(m, 1);
    double b100 = batch(m, test, 100, pr, q, 50);
    double ball = batch(m, ds->x + first * nf, n_all, pr, q, 5);
    printf(" %10.0f %10.0f %10.0f %10.0f %10.0f\n", one, one_cls, one_xgb, b100, ball);
    free(pr);
    free(q);
    qf_gbdt_free(m);
}

int main(void)
{
    qf_candles cs;
    bench_load(&cs);
    qf_bars b = bench_tiled(&cs, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    qf_gbdt_dataset ds;
    qf_gbdt_dataset_init(&ds);
    qf_err err = {0};
    if (qf_gbdt_dataset_build(&b, &cfg, &ds, &err) != QF_OK) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        return 1;
    }
    printf("GBDT (XGBoost), BTC/USDT 4h: one fold's training on %d rows (classifier + 5 "
           "quantiles, 200 trees each) and prediction; best of several runs\n",
           TRAIN_ROWS);
    printf("%-8s %12s %12s %12s %10s %10s %10s %10s %10s\n", "threads", "train ms", "classif ms",
           "5 quant ms", "row ns", "row cls ns", "row xgb ns", "b100 ns/r", "all ns/r");
    run(&ds, 1);
    run(&ds, 2);
    printf("train: includes compiling the forest; row ns: one row, classifier + 5 quantiles, "
           "through the\ncompiled forest (the default); row cls: the classifier's outputs only; "
           "row xgb: one row\nthrough XGBoost (6 calls); b100: a 100-row test window in one "
           "XGBoost call per model;\nall: the %zu rows of the series\n",
           ds.n - ds.first);
    qf_gbdt_dataset_cleanup(&ds);
    qf_bars_cleanup(&b);
    qf_candles_cleanup(&cs);
    return 0;
}
