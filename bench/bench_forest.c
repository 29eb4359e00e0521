/*
 * bench_forest.c - one row's prediction by XGBoost (qf_gbdt_predict_row)
 * against the compiled forest (model/forest.h), for the default model:
 * the classifier and the five quantile models, 200 rounds each (1,600
 * trees, depth 6, 31 leaves), trained on 1,000 rows of the bundled
 * BTC/USDT 4h series. Every usable row of the series is predicted one at a
 * time, in order (what the strategy does each bar); best of several passes.
 *
 * The forest is timed per kernel this CPU has, as six forests (one per
 * model) and as one forest of the six, and as the wired qf_gbdt_predict_row
 * would be (one forest, then gbdt.c's target scale and sort); that last
 * one is checked bit for bit against qf_gbdt_predict_row first.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "model/forest.h"
#include "model/gbdt.h"

#define TRAIN_ROWS 1000
#define PARTS      6
#define PASSES     5

typedef struct setup {
    qf_gbdt_dataset ds;
    qf_gbdt *m;
    char *json[PARTS];
    size_t len[PARTS];
    double scale[PARTS - 1]; /* the quantile models' target scale */
    size_t first, n;         /* the usable rows */
} setup;

static void die(const char *what, const qf_err *err)
{
    fprintf(stderr, "bench_forest: %s: %s\n", what, err->msg);
    exit(1);
}

static double part_scale(const char *json, size_t len)
{
    json_t *doc = json_loadb(json, len, 0, NULL);
    json_t *attr = json_object_get(json_object_get(doc, "learner"), "attributes");
    const char *s = json_string_value(json_object_get(attr, "quantflow_scale"));
    double scale = s != NULL ? strtod(s, NULL) : NAN;
    json_decref(doc);
    return scale;
}

static void train(setup *s)
{
    qf_candles cs;
    bench_load(&cs);
    qf_bars b = bench_tiled(&cs, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    qf_err err = {0};
    qf_gbdt_dataset_init(&s->ds);
    if (qf_gbdt_dataset_build(&b, &cfg, &s->ds, &err) != QF_OK)
        die("dataset", &err);
    qf_gbdt_params p = qf_gbdt_params_default();
    p.n_threads = 2;
    size_t nf = s->ds.n_features;
    s->first = s->ds.first;
    s->n = s->ds.n - s->first;
    qf_gbdt_data d = {s->ds.x + s->first * nf, TRAIN_ROWS, nf, s->ds.label + s->first,
                      s->ds.target + s->first};
    if (qf_gbdt_train(&d, &p, &s->m, NULL, &err) != QF_OK)
        die("train", &err);
    qf_gbdt_set_forest(s->m, 0); /* the baseline: XGBoost's own predictions */
    for (size_t k = 0; k < PARTS; k++) {
        if (qf_gbdt_part_json(s->m, k, &s->json[k], &s->len[k], &err) != QF_OK)
            die("json", &err);
        if (k > 0)
            s->scale[k - 1] = part_scale(s->json[k], s->len[k]);
    }
    qf_bars_cleanup(&b);
    qf_candles_cleanup(&cs);
}

static void sort_small(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

/* What the wired qf_gbdt_predict_row would do with one forest of the six. */
static void wired_row(const setup *s, const qf_forest *all, const double *x, double *proba,
                      double *q)
{
    float out[PARTS + 2];
    qf_err err;
    if (qf_forest_predict_row(all, x, s->ds.n_features, out, &err) != QF_OK)
        die("forest", &err);
    for (int c = 0; c < 3; c++)
        proba[c] = out[c];
    for (size_t k = 0; k < PARTS - 1; k++)
        q[k] = out[3 + k] * s->scale[k];
    sort_small(q, PARTS - 1);
}

/* Every usable row: the wired forest equals qf_gbdt_predict_row bit for bit. */
static void check_wired(const setup *s, const qf_forest *all)
{
    qf_err err;
    for (size_t i = s->first; i < s->ds.n; i++) {
        const double *x = s->ds.x + i * s->ds.n_features;
        double p1[3], q1[PARTS - 1], p2[3], q2[PARTS - 1];
        if (qf_gbdt_predict_row(s->m, x, p1, q1, &err) != QF_OK)
            die("xgboost", &err);
        wired_row(s, all, x, p2, q2);
        if (memcmp(p1, p2, sizeof p1) != 0 || memcmp(q1, q2, sizeof q1) != 0) {
            fprintf(stderr, "bench_forest: row %zu: the forest differs from XGBoost\n", i);
            exit(1);
        }
    }
}

static double ns_xgboost(const setup *s)
{
    double best = 1e30, pr[3], q[PARTS - 1];
    qf_err err;
    for (int pass = 0; pass < PASSES; pass++) {
        double t0 = bench_now();
        for (size_t i = s->first; i < s->ds.n; i++)
            if (qf_gbdt_predict_row(s->m, s->ds.x + i * s->ds.n_features, pr, q, &err) != QF_OK)
                die("xgboost", &err);
        double dt = bench_now() - t0;
        best = dt < best ? dt : best;
    }
    return best / (double)s->n * 1e9;
}

/* ns a row for the forests fs[0..n) one after another. */
static double ns_forests(const setup *s, qf_forest *const *fs, size_t n)
{
    double best = 1e30;
    float out[PARTS + 2];
    volatile float sink = 0.0f;
    qf_err err;
    for (int pass = 0; pass < PASSES; pass++) {
        double t0 = bench_now();
        for (size_t i = s->first; i < s->ds.n; i++)
            for (size_t k = 0; k < n; k++) {
                if (qf_forest_predict_row(fs[k], s->ds.x + i * s->ds.n_features, s->ds.n_features,
                                          out, &err) != QF_OK)
                    die("forest", &err);
                sink += out[0];
            }
        double dt = bench_now() - t0;
        best = dt < best ? dt : best;
    }
    return best / (double)s->n * 1e9;
}

static double ns_wired(const setup *s, const qf_forest *all)
{
    double best = 1e30, pr[3], q[PARTS - 1];
    volatile double sink = 0.0;
    for (int pass = 0; pass < PASSES; pass++) {
        double t0 = bench_now();
        for (size_t i = s->first; i < s->ds.n; i++) {
            wired_row(s, all, s->ds.x + i * s->ds.n_features, pr, q);
            sink += q[0];
        }
        double dt = bench_now() - t0;
        best = dt < best ? dt : best;
    }
    return best / (double)s->n * 1e9;
}

static const char *kernel_name(int k)
{
    return k == QF_FOREST_KERNEL_AVX512 ? "avx512" : "scalar";
}

/* The three forest lines of one kernel (or why it is not available). */
static void bench_kernel(const setup *s, qf_forest **one, qf_forest *all, qf_forest_kernel k,
                         double xgb)
{
    qf_err err = {0};
    int ok = qf_forest_set_kernel(all, k, &err) == QF_OK;
    for (size_t p = 0; ok && p < PARTS; p++)
        ok = qf_forest_set_kernel(one[p], k, &err) == QF_OK;
    if (!ok) {
        printf("forest, %s kernel: not available here (%s)\n", kernel_name((int)k), err.msg);
        return;
    }
    char label[80];
    double t6 = ns_forests(s, one, PARTS);
    snprintf(label, sizeof label, "forest, %s: six forests, one per model", kernel_name((int)k));
    printf("%-52s %10.0f %8.1fx\n", label, t6, xgb / t6);
    double t1 = ns_forests(s, &all, 1);
    snprintf(label, sizeof label, "forest, %s: one forest of the six", kernel_name((int)k));
    printf("%-52s %10.0f %8.1fx\n", label, t1, xgb / t1);
    double tw = ns_wired(s, all);
    snprintf(label, sizeof label, "forest, %s: one forest + gbdt's scale and sort",
             kernel_name((int)k));
    printf("%-52s %10.0f %8.1fx\n", label, tw, xgb / tw);
}

int main(void)
{
    setup s;
    train(&s);
    qf_err err = {0};
    qf_forest *one[PARTS], *all = NULL;
    double t0 = bench_now();
    if (qf_forest_from_json_parts((const char *const *)s.json, s.len, PARTS, &all, &err) != QF_OK)
        die("forest", &err);
    double build_ms = (bench_now() - t0) * 1e3;
    for (size_t k = 0; k < PARTS; k++)
        if (qf_forest_from_json(s.json[k], s.len[k], &one[k], &err) != QF_OK)
            die("forest", &err);
    check_wired(&s, all);

    printf("Forest vs XGBoost, BTC/USDT 4h: the default model (classifier + 5 quantiles, 200 "
           "rounds each: %zu trees, depth 6, 31 leaves) trained on %d rows; each of the %zu "
           "usable rows predicted one at a time; best of %d passes\n",
           qf_forest_n_trees(all), TRAIN_ROWS, s.n, PASSES);
    printf("%-52s %10s %9s\n", "predictor", "ns/row", "speed-up");
    double xgb = ns_xgboost(&s);
    printf("%-52s %10.0f %9s\n", "XGBoost (qf_gbdt_predict_row: 6 XGBoost calls)", xgb, "1.0x");
    for (int k = QF_FOREST_KERNEL_SCALAR; k <= QF_FOREST_KERNEL_AVX512; k++)
        bench_kernel(&s, one, all, (qf_forest_kernel)k, xgb);
    printf("building the one forest from the six JSON texts: %.1f ms; the wired forest equals "
           "qf_gbdt_predict_row bit for bit on every row\n",
           build_ms);
    for (size_t k = 0; k < PARTS; k++) {
        qf_forest_free(one[k]);
        free(s.json[k]);
    }
    qf_forest_free(all);
    qf_gbdt_free(s.m);
    qf_gbdt_dataset_cleanup(&s.ds);
    return 0;
}
