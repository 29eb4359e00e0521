/*
 * test_forest.c - the compiled tree ensemble against XGBoost itself: real
 * models trained on the bundled BTC/USDT candles (the classifier and the
 * quantile models of qf_gbdt), every row of the series, rows with NaN,
 * +-inf, -0.0, huge values and values equal to a threshold, compared bit
 * for bit with XGBoosterPredictFromDense for every kernel this CPU has;
 * qf_gbdt_predict_row rebuilt from one forest; hand-made models for the
 * rules (the `<`, the missing branch, base_score, an empty model, deep trees,
 * many thresholds); refusals with their messages; allocation failures.
 *
 * Trainings are small (30 rounds, 1,000 rows) so the file runs in seconds.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "model/forest.h"
#include "model/gbdt.h"
#include "testutil.h"

#define ROUNDS 30
#define PARTS  6 /* the classifier and 5 quantile models */

/* ---- XGBoost's own predictions ------------------------------------------ */

/* XGBoost's outputs for n rows of nf doubles (missing = NaN), as
 * qf_gbdt's inplace prediction asks for them; *out_width per row. */
static float *xgb_predict(const char *json, size_t len, const double *x, size_t n, size_t nf,
                          size_t *out_width)
{
    BoosterHandle b = NULL;
    DMatrixHandle proxy = NULL;
    cr_assert_eq(XGBoosterCreate(NULL, 0, &b), 0);
    cr_assert_eq(XGBoosterLoadModelFromBuffer(b, json, (bst_ulong)len), 0, "%s", XGBGetLastError());
    cr_assert_eq(XGBoosterSetParam(b, "nthread", "1"), 0);
    cr_assert_eq(XGProxyDMatrixCreate(&proxy), 0);
    char iface[200];
    snprintf(iface, sizeof iface,
             "{\"data\": [%llu, true], \"shape\": [%zu, %zu], \"typestr\": \"<f8\", "
             "\"version\": 3}",
             (unsigned long long)(uintptr_t)x, n, nf);
    const char *cfg = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                      "\"iteration_end\": 0, \"strict_shape\": true, \"cache_id\": 0, "
                      "\"missing\": NaN}";
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    cr_assert_eq(XGBoosterPredictFromDense(b, iface, cfg, proxy, &shape, &dim, &res), 0, "%s",
                 XGBGetLastError());
    cr_assert_eq(dim, 2);
    cr_assert_eq(shape[0], n);
    size_t width = (size_t)shape[1];
    float *out = malloc(n * width * sizeof *out);
    memcpy(out, res, n * width * sizeof *out);
    XGDMatrixFree(proxy);
    XGBoosterFree(b);
    *out_width = width;
    return out;
}

/* ---- models trained on BTC ---------------------------------------------- */

/* The normalised BTC/USDT rows (18,370, the first ones with NaN features)
 * and a qf_gbdt trained on 1,000 of them, with each part's JSON. */
typedef struct btc_model {
    qf_gbdt_dataset ds;
    qf_gbdt *m;
    char *json[PARTS];
    size_t len[PARTS];
} btc_model;

static btc_model btc_train(int rounds, int max_depth, int num_leaves)
{
    btc_model t;
    memset(&t, 0, sizeof t);
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_config cfg;
    qf_config_init(&cfg);
    qf_err err;
    qf_gbdt_dataset_init(&t.ds);
    cr_assert_eq(qf_gbdt_dataset_build(&b, &cfg, &t.ds, &err), QF_OK, "%s", err.msg);
    qf_bars_cleanup(&b);
    qf_gbdt_params p = qf_gbdt_params_default();
    p.n_estimators = rounds;
    p.n_threads = 2;
    p.max_depth = max_depth;
    p.num_leaves = num_leaves;
    size_t nf = t.ds.n_features, first = t.ds.first;
    qf_gbdt_data d = {t.ds.x + first * nf, 1000, nf, t.ds.label + first, t.ds.target + first};
    cr_assert_eq(qf_gbdt_train(&d, &p, &t.m, NULL, &err), QF_OK, "%s", err.msg);
    for (size_t k = 0; k < PARTS; k++)
        cr_assert_eq(qf_gbdt_part_json(t.m, k, &t.json[k], &t.len[k], &err), QF_OK, "%s", err.msg);
    return t;
}

static void btc_free(btc_model *t)
{
    for (size_t k = 0; k < PARTS; k++)
        free(t->json[k]);
    qf_gbdt_free(t->m);
    qf_gbdt_dataset_cleanup(&t->ds);
}

/* Every row of the series, then the same rows with one or two features
 * made NaN, +-inf, -0.0, 1e300 (inf as a float) or 1e-300 (0 as a float). */
static double *hard_rows(const qf_gbdt_dataset *ds, size_t *out_n)
{
    size_t nf = ds->n_features, n = 2 * ds->n;
    double *x = malloc(n * nf * sizeof *x);
    memcpy(x, ds->x, ds->n * nf * sizeof *x);
    memcpy(x + ds->n * nf, ds->x, ds->n * nf * sizeof *x);
    static const double odd[] = {NAN, INFINITY, -INFINITY, -0.0, 1e300, -1e300, 1e-300};
    for (size_t i = ds->n; i < n; i++) {
        x[i * nf + i % nf] = odd[i % 7];
        if (i % 3 == 0)
            x[i * nf + (i / 3) % nf] = NAN;
    }
    *out_n = n;
    return x;
}

static int same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The forest (each kernel this CPU has) predicts what XGBoost does on
 * every row of x, bit for bit; returns the kernels tried. */
static int expect_like_xgboost(qf_forest *f, const char *json, size_t len, const double *x,
                               size_t n, size_t nf)
{
    size_t width = 0;
    float *want = xgb_predict(json, len, x, n, nf, &width);
    cr_assert_eq(qf_forest_n_groups(f), width);
    float *got = malloc(n * width * sizeof *got);
    qf_err err;
    int kernels = 0;
    for (int k = QF_FOREST_KERNEL_SCALAR; k <= QF_FOREST_KERNEL_AVX512; k++) {
        if (qf_forest_set_kernel(f, (qf_forest_kernel)k, &err) != QF_OK)
            continue;
        kernels++;
        cr_assert_eq(qf_forest_predict(f, x, n, nf, got, &err), QF_OK, "%s", err.msg);
        for (size_t i = 0; i < n * width; i++)
            cr_assert(same_bits(got[i], want[i]), "kernel %d row %zu output %zu: %a, xgboost %a", k,
                      i / width, i % width, (double)got[i], (double)want[i]);
        float row[16];
        for (size_t i = 0; i < n; i += 97) { /* one row at a time: the same */
            cr_assert_eq(qf_forest_predict_row(f, x + i * nf, nf, row, &err), QF_OK);
            cr_assert_eq(memcmp(row, got + i * width, width * sizeof *row), 0, "row %zu", i);
        }
    }
    cr_assert_eq(qf_forest_set_kernel(f, QF_FOREST_KERNEL_AUTO, &err), QF_OK);
    free(want);
    free(got);
    return kernels;
}

static qf_forest *forest_ok(const char *json, size_t len)
{
    qf_forest *f = NULL;
    qf_err err;
    cr_assert_eq(qf_forest_from_json(json, len, &f, &err), QF_OK, "%s", err.msg);
    cr_assert_not_null(f);
    return f;
}

Test(forest, every_btc_row_as_xgboost_predicts_it)
{
    btc_model t = btc_train(ROUNDS, 6, 31);
    size_t n = 0, nf = t.ds.n_features;
    double *x = hard_rows(&t.ds, &n);
    for (size_t k = 0; k < PARTS; k++) {
        qf_forest *f = forest_ok(t.json[k], t.len[k]);
        cr_expect_eq(qf_forest_n_features(f), nf);
        cr_expect_eq(qf_forest_n_groups(f), k == 0 ? 3 : 1);
        cr_expect_eq(qf_forest_n_trees(f), k == 0 ? 3 * ROUNDS : ROUNDS);
        cr_expect_geq(expect_like_xgboost(f, t.json[k], t.len[k], x, n, nf), 1);
        qf_forest_free(f);
    }
    free(x);
    btc_free(&t);
}

/* The models of one qf_gbdt as one forest: 3 probabilities, then each
 * quantile model's output, as the six forests predict them. */
Test(forest, parts_as_one_forest_predict_as_each_part)
{
    btc_model t = btc_train(ROUNDS, 6, 31);
    size_t n = 0, nf = t.ds.n_features;
    double *x = hard_rows(&t.ds, &n);
    qf_forest *all = NULL;
    qf_err err;
    cr_assert_eq(qf_forest_from_json_parts((const char *const *)t.json, t.len, PARTS, &all, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(qf_forest_n_groups(all), 8);
    cr_assert_eq(qf_forest_n_trees(all), 8 * ROUNDS);
    float *want = malloc(n * 8 * sizeof *want);
    for (size_t k = 0; k < PARTS; k++) {
        size_t width = 0;
        float *one = xgb_predict(t.json[k], t.len[k], x, n, nf, &width);
        for (size_t i = 0; i < n; i++)
            memcpy(want + i * 8 + (k == 0 ? 0 : 2 + k), one + i * width, width * sizeof *one);
        free(one);
    }
    float *got = malloc(n * 8 * sizeof *got);
    for (int k = QF_FOREST_KERNEL_SCALAR; k <= QF_FOREST_KERNEL_AVX512; k++) {
        if (qf_forest_set_kernel(all, (qf_forest_kernel)k, &err) != QF_OK)
            continue;
        cr_assert_eq(qf_forest_predict(all, x, n, nf, got, &err), QF_OK);
        for (size_t i = 0; i < n * 8; i++)
            cr_assert(same_bits(got[i], want[i]), "kernel %d row %zu output %zu", k, i / 8, i % 8);
    }
    qf_forest_free(all);
    free(want);
    free(got);
    free(x);
    btc_free(&t);
}

/* The quantile models' target scale (gbdt.c keeps it as a booster
 * attribute). */
static double part_scale(const char *json, size_t len)
{
    json_t *doc = json_loadb(json, len, 0, NULL);
    const char *s = json_string_value(json_object_get(
        json_object_get(json_object_get(doc, "learner"), "attributes"), "quantflow_scale"));
    cr_assert_not_null(s);
    double scale = strtod(s, NULL);
    json_decref(doc);
    return scale;
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

/* qf_gbdt_predict_row rebuilt from one forest of its parts, as gbdt.c
 * would wire it: a row with a non-finite feature is NaN everywhere; else
 * the probabilities are the forest's first 3 outputs, and quantile k is
 * output 3 + k times the part's target scale, the quantiles then sorted. */
Test(forest, rebuilds_qf_gbdt_predict_row_bit_for_bit)
{
    btc_model t = btc_train(ROUNDS, 6, 31);
    size_t nf = t.ds.n_features;
    qf_forest *all = NULL;
    qf_err err;
    cr_assert_eq(qf_forest_from_json_parts((const char *const *)t.json, t.len, PARTS, &all, &err),
                 QF_OK, "%s", err.msg);
    double scale[PARTS - 1];
    for (size_t k = 1; k < PARTS; k++)
        scale[k - 1] = part_scale(t.json[k], t.len[k]);
    for (size_t i = t.ds.first; i < t.ds.n; i++) {
        const double *x = t.ds.x + i * nf;
        double proba[3], q[PARTS - 1], my_q[PARTS - 1];
        float out[8];
        cr_assert_eq(qf_gbdt_predict_row(t.m, x, proba, q, &err), QF_OK, "%s", err.msg);
        cr_assert_eq(qf_forest_predict_row(all, x, nf, out, &err), QF_OK);
        for (size_t c = 0; c < 3; c++)
            cr_assert_eq(proba[c], (double)out[c], "row %zu class %zu", i, c);
        for (size_t k = 0; k < PARTS - 1; k++)
            my_q[k] = out[3 + k] * scale[k];
        sort_small(my_q, PARTS - 1);
        for (size_t k = 0; k < PARTS - 1; k++)
            cr_assert_eq(q[k], my_q[k], "row %zu quantile %zu", i, k);
    }
    qf_forest_free(all);
    btc_free(&t);
}

/* Lossguide without a depth limit grows trees deeper than the AVX-512
 * kernel's 7 levels and with more than 32 leaves: the scalar kernel takes
 * them, as exactly. */
Test(forest, deep_trees_use_the_scalar_kernel)
{
    btc_model t = btc_train(10, 0, 80);
    size_t n = 0, nf = t.ds.n_features;
    double *x = hard_rows(&t.ds, &n);
    qf_forest *f = forest_ok(t.json[1], t.len[1]);
    qf_err err;
    cr_expect_eq(qf_forest_kernel_used(f), QF_FOREST_KERNEL_SCALAR);
    cr_expect_eq(qf_forest_set_kernel(f, QF_FOREST_KERNEL_AVX512, &err), QF_EUNSUPPORTED);
    cr_expect(strstr(err.msg, "levels") != NULL, "%s", err.msg);
    expect_like_xgboost(f, t.json[1], t.len[1], x, n, nf);
    qf_forest_free(f);
    free(x);
    btc_free(&t);
}

/* ---- hand-made models --------------------------------------------------- */

/* One tree: nodes[i] = {left, right, feature, condition (threshold or leaf
 * value), default_left}. */
typedef struct tnode {
    int left, right, feature;
    double cond;
    int dleft;
} tnode;

static json_t *int_array(const tnode *t, size_t n, int field)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        int v = field == 0   ? t[i].left
                : field == 1 ? t[i].right
                : field == 2 ? t[i].feature
                             : t[i].dleft;
        json_array_append_new(a, json_integer(v));
    }
    return a;
}

static json_t *real_array(const tnode *t, size_t n, double fill)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(isnan(fill) ? t[i].cond : fill));
    return a;
}

static json_t *tree_json(const tnode *t, size_t n, size_t id, size_t nf)
{
    json_t *parents = json_array(), *zeros = json_array();
    for (size_t i = 0; i < n; i++) {
        int parent = 2147483647;
        for (size_t j = 0; j < n; j++)
            if (t[j].left == (int)i || t[j].right == (int)i)
                parent = (int)j;
        json_array_append_new(parents, json_integer(parent));
        json_array_append_new(zeros, json_integer(0));
    }
    char nodes[32], feats[32];
    snprintf(nodes, sizeof nodes, "%zu", n);
    snprintf(feats, sizeof feats, "%zu", nf);
    return json_pack("{s:o, s:[], s:[], s:[], s:[], s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                     "s:o, s:{s:s, s:s, s:s, s:s}}",
                     "base_weights", real_array(t, n, 0.0), "categories", "categories_nodes",
                     "categories_segments", "categories_sizes", "default_left", int_array(t, n, 3),
                     "id", (json_int_t)id, "left_children", int_array(t, n, 0), "loss_changes",
                     real_array(t, n, 0.0), "parents", parents, "right_children",
                     int_array(t, n, 1), "split_conditions", real_array(t, n, NAN), "split_indices",
                     int_array(t, n, 2), "split_type", zeros, "sum_hessian", real_array(t, n, 1.0),
                     "tree_param", "num_deleted", "0", "num_feature", feats, "num_nodes", nodes,
                     "size_leaf_vector", "0");
}

/* A model of n_trees trees (tree k: trees[k], n_nodes[k] nodes, group
 * k % groups) over nf features. */
typedef struct hand {
    const char *objective; /* "reg:squarederror" unless set */
    const char *base_score;
    size_t nf, groups, n_trees;
    const tnode *const *trees;
    const size_t *n_nodes;
} hand;

static char *hand_json(const hand *h, size_t *out_len)
{
    json_t *trees = json_array(), *info = json_array();
    for (size_t k = 0; k < h->n_trees; k++) {
        json_array_append_new(trees, tree_json(h->trees[k], h->n_nodes[k], k, h->nf));
        json_array_append_new(info, json_integer((json_int_t)(k % h->groups)));
    }
    char nt[32], nf[32], nc[32];
    snprintf(nt, sizeof nt, "%zu", h->n_trees);
    snprintf(nf, sizeof nf, "%zu", h->nf);
    snprintf(nc, sizeof nc, "%zu", h->groups > 1 ? h->groups : 0);
    const char *objective = h->objective != NULL ? h->objective : "reg:squarederror";
    json_t *obj = strcmp(objective, "multi:softprob") == 0
                      ? json_pack("{s:s, s:{s:s}}", "name", objective, "softmax_multiclass_param",
                                  "num_class", nc)
                      : json_pack("{s:s, s:{s:s}}", "name", objective, "reg_loss_param",
                                  "scale_pos_weight", "1");
    json_t *doc = json_pack(
        "{s:{s:{}, s:[], s:[], s:{s:{s:{s:s, s:s, s:s}, s:o, s:o}, s:s}, s:{s:s, s:s, s:s, s:s, "
        "s:s}, s:o}, s:[i, i, i]}",
        "learner", "attributes", "feature_names", "feature_types", "gradient_booster", "model",
        "gbtree_model_param", "num_parallel_tree", "1", "num_trees", nt, "size_leaf_vector", "0",
        "tree_info", info, "trees", trees, "name", "gbtree", "learner_model_param", "base_score",
        h->base_score != NULL ? h->base_score : "0E0", "boost_from_average", "1", "num_class", nc,
        "num_feature", nf, "num_target", "1", "objective", obj, "version", 1, 7, 4);
    cr_assert_not_null(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    *out_len = strlen(text);
    return text;
}

/* Root: x0 < 0.5 (missing: left) -> leaf 10; else x1 < -2 (missing:
 * right) -> leaf 20, else leaf 30. */
static const tnode stump[] = {{1, 2, 0, 0.5, 1},
                              {-1, -1, 0, 10.0, 0},
                              {3, 4, 1, -2.0, 0},
                              {-1, -1, 0, 20.0, 0},
                              {-1, -1, 0, 30.0, 0}};

static float predict1(qf_forest *f, double x0, double x1)
{
    double x[2] = {x0, x1};
    float out = 0.0f;
    qf_err err;
    cr_assert_eq(qf_forest_predict_row(f, x, 2, &out, &err), QF_OK, "%s", err.msg);
    return out;
}

Test(forest, split_rule_missing_values_and_base_score_by_hand)
{
    const tnode *trees[] = {stump};
    size_t sizes[] = {5};
    hand h = {NULL, "2.5E-1", 2, 1, 1, trees, sizes};
    size_t len = 0;
    char *json = hand_json(&h, &len);
    qf_forest *f = forest_ok(json, len);
    qf_err err;
    for (int k = QF_FOREST_KERNEL_SCALAR; k <= QF_FOREST_KERNEL_AVX512; k++) {
        if (qf_forest_set_kernel(f, (qf_forest_kernel)k, &err) != QF_OK)
            continue;
        cr_expect_eq(predict1(f, 0.0, 0.0), 10.25f);           /* 0 < 0.5: left */
        cr_expect_eq(predict1(f, 0.5, 0.0), 30.25f);           /* equal is not below */
        cr_expect_eq(predict1(f, 0.49999999999, 0.0), 30.25f); /* 0.5 as a float */
        cr_expect_eq(predict1(f, 0.4999999, 0.0), 10.25f);
        cr_expect_eq(predict1(f, NAN, 0.0), 10.25f); /* missing: default left */
        cr_expect_eq(predict1(f, 1.0, NAN), 30.25f); /* missing: default right */
        cr_expect_eq(predict1(f, 1.0, -3.0), 20.25f);
        cr_expect_eq(predict1(f, INFINITY, -INFINITY), 20.25f);
        cr_expect_eq(predict1(f, -INFINITY, 0.0), 10.25f);
        cr_expect_eq(predict1(f, 1.0, -2.0), 30.25f);
        cr_expect_eq(predict1(f, 1e300, -1e300), 20.25f); /* +-inf as floats */
    }
    double x[] = {0, 0, 0.5, 0, NAN, 0, 1, NAN, 1, -3, INFINITY, -INFINITY, -0.0, -2, 1e300, 1};
    expect_like_xgboost(f, json, len, x, 8, 2);
    qf_forest_free(f);
    free(json);
}

/* -0.0 and +0.0 are equal as floats: neither is below a threshold of 0 (or
 * of -0.0), whichever sign the threshold was written with. */
Test(forest, signed_zeros_against_zero_thresholds)
{
    static const tnode zero[] = {{1, 2, 0, 0.0, 1},
                                 {-1, -1, 0, -1.0, 0},
                                 {3, 4, 1, -0.0, 0},
                                 {-1, -1, 0, 2.0, 0},
                                 {-1, -1, 0, -0.0, 0}};
    const tnode *trees[] = {zero};
    size_t sizes[] = {5};
    hand h = {NULL, "-0E0", 2, 1, 1, trees, sizes};
    size_t len = 0;
    char *json = hand_json(&h, &len);
    qf_forest *f = forest_ok(json, len);
    qf_err err;
    for (int k = QF_FOREST_KERNEL_SCALAR; k <= QF_FOREST_KERNEL_AVX512; k++) {
        if (qf_forest_set_kernel(f, (qf_forest_kernel)k, &err) != QF_OK)
            continue;
        cr_expect_eq(predict1(f, -0.0, 1.0), -0.0f);
        cr_expect(signbit(predict1(f, -0.0, 1.0)), "a -0.0 leaf on a -0.0 base stays -0.0");
        cr_expect_eq(predict1(f, 0.0, -0.0), -0.0f);
        cr_expect(signbit(predict1(f, -1e-300, 0.0))); /* -0.0 as a float: not below 0 */
        cr_expect_eq(predict1(f, -1e-45, 0.0), -1.0f); /* the least float below 0 */
        cr_expect_eq(predict1(f, 0.0, -1e-45), 2.0f);  /* a float below -0.0 */
    }
    double x[] = {-0.0, 1, 0, -0.0, -1e-300, 0, 0, -1e-45, -0.0, -0.0, 1e-45, NAN};
    expect_like_xgboost(f, json, len, x, 6, 2);
    qf_forest_free(f);
    free(json);
}

/* A model saved before any round predicts base_score (softmax: uniform). */
Test(forest, a_model_without_trees_predicts_base_score)
{
    hand h = {"multi:softprob", "5E-1", 3, 3, 0, NULL, NULL};
    size_t len = 0;
    char *json = hand_json(&h, &len);
    qf_forest *f = forest_ok(json, len);
    double x[] = {1, 2, 3, NAN, 0, 0};
    expect_like_xgboost(f, json, len, x, 2, 3);
    float out[3];
    qf_err err;
    cr_assert_eq(qf_forest_predict_row(f, x, 3, out, &err), QF_OK);
    cr_expect_eq(out[0], 1.0f / 3.0f);
    qf_forest_free(f);
    free(json);
}

/* 300 stumps on one feature: more thresholds than the AVX-512 kernel's
 * bins hold, so the scalar kernel predicts; several groups of unequal size
 * (no fixed period) and every objective of the identity link, as XGBoost. */
Test(forest, many_thresholds_unequal_groups_and_identity_objectives)
{
    enum { N = 300 };
    static tnode st[N][3];
    const tnode *trees[N];
    size_t sizes[N];
    for (size_t k = 0; k < N; k++) {
        int feat = k % 10 == 0; /* feature 0: 270 thresholds */
        st[k][0] = (tnode){1, 2, feat, (double)(float)((double)k / N - 0.5), (int)(k % 3 == 0)};
        st[k][1] = (tnode){-1, -1, 0, (double)(float)(0.01 * (double)(k % 17)), 0};
        st[k][2] = (tnode){-1, -1, 0, (double)(float)(-0.02 * (double)(k % 13)), 0};
        trees[k] = st[k];
        sizes[k] = 3;
    }
    double x[2 * 64];
    for (size_t i = 0; i < 64; i++) {
        x[2 * i] = (double)i / 64 - 0.5;
        x[2 * i + 1] = i % 5 == 0 ? NAN : (double)(float)((double)(i * 7 % 300) / N - 0.5);
    }
    static const char *const objectives[] = {"reg:squarederror", "reg:squaredlogerror",
                                             "reg:pseudohubererror", "reg:absoluteerror"};
    for (size_t o = 0; o < 4; o++) {
        hand h = {objectives[o], "-1.25E0", 2, 1, N, trees, sizes};
        size_t len = 0;
        char *json = hand_json(&h, &len);
        qf_forest *f = forest_ok(json, len);
        cr_expect_eq(qf_forest_kernel_used(f), QF_FOREST_KERNEL_SCALAR);
        expect_like_xgboost(f, json, len, x, 64, 2);
        qf_forest_free(f);
        free(json);
    }
    hand h = {"multi:softprob", "5E-1", 2, 7, N, trees, sizes}; /* 300 trees over 7 classes */
    size_t len = 0;
    char *json = hand_json(&h, &len);
    qf_forest *f = forest_ok(json, len);
    expect_like_xgboost(f, json, len, x, 64, 2);
    qf_forest_free(f);
    free(json);
}

/* ---- refusals ----------------------------------------------------------- */

/* The stump model's JSON with one change made by `edit` (a JSON path and
 * a value), built into a forest: must fail with `code` and a message
 * holding `text`, leaving the output NULL. */
typedef void (*edit_fn)(json_t *doc);

static void expect_refused(edit_fn edit, qf_rc code, const char *text)
{
    const tnode *trees[] = {stump};
    size_t sizes[] = {5};
    hand h = {NULL, NULL, 2, 1, 1, trees, sizes};
    size_t len = 0;
    char *json = hand_json(&h, &len);
    json_t *doc = json_loads(json, 0, NULL);
    edit(doc);
    char *bad = json_dumps(doc, JSON_COMPACT);
    qf_forest *f = NULL;
    qf_err err;
    qf_rc rc = qf_forest_from_json(bad, strlen(bad), &f, &err);
    cr_expect_eq(rc, code, "%s: %s (%s)", text, qf_rc_name(rc), err.msg);
    cr_expect(strstr(err.msg, text) != NULL, "want \"%s\" in \"%s\"", text, err.msg);
    cr_expect(strncmp(err.msg, "forest: ", 8) == 0, "%s", err.msg);
    cr_expect_null(f);
    json_decref(doc);
    free(json);
    free(bad);
}

static json_t *learner(json_t *doc)
{
    return json_object_get(doc, "learner");
}

static json_t *tree0(json_t *doc)
{
    json_t *gb = json_object_get(learner(doc), "gradient_booster");
    return json_array_get(json_object_get(json_object_get(gb, "model"), "trees"), 0);
}

static void set_int(json_t *doc, const char *field, size_t i, json_int_t v)
{
    json_array_set_new(json_object_get(tree0(doc), field), i, json_integer(v));
}

static void e_version(json_t *d)
{
    json_object_set_new(d, "version", json_pack("[i, i, i]", 2, 0, 3));
}
static void e_dart(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "gradient_booster"), "name",
                        json_string("dart"));
}
static void e_gblinear(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "gradient_booster"), "name",
                        json_string("gblinear"));
}
static void e_logistic(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "objective"), "name",
                        json_string("binary:logistic"));
}
static void e_split_type(json_t *d)
{
    set_int(d, "split_type", 0, 1);
}
static void e_categories(json_t *d)
{
    json_array_append_new(json_object_get(tree0(d), "categories_nodes"), json_integer(0));
}
static void e_targets(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "learner_model_param"), "num_target",
                        json_string("2"));
}
static void e_features(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "learner_model_param"), "num_feature",
                        json_string("300"));
}
static void e_right_child(json_t *d)
{
    set_int(d, "right_children", 0, 3);
}
static void e_cycle(json_t *d)
{
    set_int(d, "left_children", 2, 1);
    set_int(d, "right_children", 2, 2);
}
static void e_feature(json_t *d)
{
    set_int(d, "split_indices", 0, 5);
}
static void e_leaf_range(json_t *d)
{
    json_array_set_new(json_object_get(tree0(d), "split_conditions"), 1, json_real(1e39));
}
static void e_id(json_t *d)
{
    json_object_set_new(tree0(d), "id", json_integer(1));
}
static void e_tree_info(json_t *d)
{
    json_t *m = json_object_get(json_object_get(learner(d), "gradient_booster"), "model");
    json_array_set_new(json_object_get(m, "tree_info"), 0, json_integer(5));
}
static void e_lengths(json_t *d)
{
    json_array_remove(json_object_get(tree0(d), "default_left"), 4);
}
static void e_num_trees(json_t *d)
{
    json_t *m = json_object_get(json_object_get(learner(d), "gradient_booster"), "model");
    json_object_set_new(json_object_get(m, "gbtree_model_param"), "num_trees", json_string("2"));
}
static void e_base_score(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "learner_model_param"), "base_score",
                        json_string("abc"));
}
static void e_no_learner(json_t *d)
{
    json_object_del(d, "learner");
}
static void e_left_range(json_t *d)
{
    set_int(d, "left_children", 0, 7);
}
static void e_leaf_right(json_t *d)
{
    set_int(d, "right_children", 1, 3);
}
static void e_default_left(json_t *d)
{
    set_int(d, "default_left", 0, 2);
}
static void e_hex_base(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "learner_model_param"), "base_score",
                        json_string("0x1p-2"));
}
static void e_long_base(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "learner_model_param"), "base_score",
                        json_string("0.1000000000"));
}
static void e_signed_count(json_t *d)
{
    json_object_set_new(json_object_get(learner(d), "learner_model_param"), "num_feature",
                        json_string("+2"));
}
static void e_num_nodes(json_t *d)
{
    json_object_set_new(json_object_get(tree0(d), "tree_param"), "num_nodes", json_string("4"));
}
static void e_softmax_classes(json_t *d)
{
    json_t *p = json_object_get(learner(d), "learner_model_param");
    json_object_set_new(p, "num_class", json_string("2"));
    json_object_set_new(json_object_get(learner(d), "objective"), "name",
                        json_string("multi:softprob"));
    json_object_set_new(json_object_get(learner(d), "objective"), "softmax_multiclass_param",
                        json_pack("{s:s}", "num_class", "3"));
}
static void e_condition(json_t *d)
{
    json_array_set_new(json_object_get(tree0(d), "split_conditions"), 0, json_string("x"));
}

Test(forest, unsupported_and_broken_models_are_refused_by_name)
{
    expect_refused(e_version, QF_EUNSUPPORTED, "XGBoost 2.0.3 model; only 1.7.x");
    expect_refused(e_dart, QF_EUNSUPPORTED, "booster \"dart\" is not supported");
    expect_refused(e_gblinear, QF_EUNSUPPORTED, "booster \"gblinear\"");
    expect_refused(e_logistic, QF_EUNSUPPORTED, "objective \"binary:logistic\"");
    expect_refused(e_split_type, QF_EUNSUPPORTED, "trees[0] node 0: a categorical split");
    expect_refused(e_categories, QF_EUNSUPPORTED, "trees[0] has categorical splits");
    expect_refused(e_targets, QF_EUNSUPPORTED, "2 targets");
    expect_refused(e_features, QF_EUNSUPPORTED, "300 features");
    expect_refused(e_right_child, QF_EPARSE, "trees[0] node 0: right child 3 is not left child 1");
    expect_refused(e_cycle, QF_EPARSE, "trees[0] node 1 is reached twice");
    expect_refused(e_feature, QF_EPARSE, "trees[0] node 0: feature 5 outside 0..1");
    expect_refused(e_leaf_range, QF_EPARSE, "trees[0] node 1: leaf value out of float range");
    expect_refused(e_id, QF_EPARSE, "trees[0] does not have id 0");
    expect_refused(e_tree_info, QF_EPARSE, "tree_info[0] is not a group in 0..0");
    expect_refused(e_lengths, QF_EPARSE, "trees[0]: num_nodes and the node arrays");
    expect_refused(e_num_trees, QF_EPARSE, "num_trees 2, 1 trees");
    expect_refused(e_base_score, QF_EPARSE, "base_score \"abc\"");
    expect_refused(e_no_learner, QF_EPARSE, "model.learner is missing");
    expect_refused(e_left_range, QF_EPARSE, "node 0: left child 7 of a tree of 5 nodes");
    expect_refused(e_leaf_right, QF_EPARSE, "node 1: a leaf with a right child");
    expect_refused(e_default_left, QF_EPARSE, "node 0: default_left is 2");
    expect_refused(e_condition, QF_EPARSE, "split_conditions[0] is not a number");
    expect_refused(e_hex_base, QF_EPARSE, "base_score \"0x1p-2\" is not a finite decimal");
    expect_refused(e_long_base, QF_EPARSE, "more than 9 significant digits");
    expect_refused(e_signed_count, QF_EPARSE, "num_feature is \"+2\", not a count");
    expect_refused(e_num_nodes, QF_EPARSE, "trees[0]: num_nodes and the node arrays");
    expect_refused(e_softmax_classes, QF_EPARSE, "num_class 2, but the objective's is 3");
}

Test(forest, text_that_is_not_a_model_and_bad_calls)
{
    qf_forest *f = NULL;
    qf_err err;
    cr_expect_eq(qf_forest_from_json("{\"learner\": ", 12, &f, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "forest: not JSON") != NULL, "%s", err.msg);
    cr_expect_eq(qf_forest_from_json("[1, 2]", 6, &f, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "not an XGBoost model") != NULL, "%s", err.msg);
    cr_expect_eq(qf_forest_from_json("{\"a\": 1, \"a\": 2}", 16, &f, &err), QF_EPARSE);
    cr_expect_eq(qf_forest_from_json(NULL, 0, &f, &err), QF_EINVAL);
    cr_expect_eq(qf_forest_from_json_parts(NULL, NULL, 0, &f, &err), QF_EINVAL);
    cr_expect_null(f);
    qf_forest_free(NULL);

    const tnode *trees[] = {stump};
    size_t sizes[] = {5};
    hand h2 = {NULL, NULL, 2, 1, 1, trees, sizes}, h3 = {NULL, NULL, 3, 1, 1, trees, sizes};
    size_t len[2];
    char *json[2] = {hand_json(&h2, &len[0]), hand_json(&h3, &len[1])};
    cr_expect_eq(qf_forest_from_json_parts((const char *const *)json, len, 2, &f, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "forest: part 1: 3 features where part 0 has 2") != NULL, "%s",
              err.msg);
    json[1][0] = '[';
    cr_expect_eq(qf_forest_from_json_parts((const char *const *)json, len, 2, &f, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "forest: part 1: not JSON") != NULL, "%s", err.msg);
    cr_expect_null(f);

    f = forest_ok(json[0], len[0]);
    double x[3] = {0, 0, 0};
    float out[1] = {7.0f};
    cr_expect_eq(qf_forest_predict_row(f, x, 3, out, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "a row of 3 features; the model takes 2") != NULL, "%s", err.msg);
    cr_expect_eq(out[0], 7.0f);
    cr_expect_eq(qf_forest_predict(f, x, 1, 1, out, &err), QF_EINVAL);
    cr_expect_eq(qf_forest_set_kernel(f, (qf_forest_kernel)9, &err), QF_EINVAL);
    cr_expect_eq(qf_forest_set_kernel(f, QF_FOREST_KERNEL_SCALAR, &err), QF_OK);
    cr_expect_eq(qf_forest_kernel_used(f), QF_FOREST_KERNEL_SCALAR);
    qf_forest_free(f);
    free(json[0]);
    free(json[1]);
}

/* ---- allocation failures ------------------------------------------------ */

static size_t alloc_calls, fail_at;

static void *failing_malloc(size_t n)
{
    return alloc_calls++ == fail_at ? NULL : malloc(n);
}

/* Allocations jansson makes parsing the parts. */
static size_t parse_allocations(const char *const *texts, const size_t *lens, size_t n_parts)
{
    fail_at = SIZE_MAX;
    alloc_calls = 0;
    json_set_alloc_funcs(failing_malloc, free);
    for (size_t p = 0; p < n_parts; p++)
        json_decref(json_loadb(texts[p], lens[p], JSON_REJECT_DUPLICATES, NULL));
    json_set_alloc_funcs(malloc, free);
    return alloc_calls;
}

/* Builds a forest from the parts while the fail_at-th allocation (of
 * jansson and the forest alike) fails, for every fail_at from `from` on.
 * Each failure leaves nothing behind (ASan's leak check) and no forest;
 * the forest's own allocations fail with QF_ENOMEM, jansson's with
 * QF_ENOMEM or QF_EPARSE (jansson reports some of its allocation failures
 * as malformed text). */
static void fail_each(const char *const *texts, const size_t *lens, size_t n_parts, size_t from)
{
    size_t parse = parse_allocations(texts, lens, n_parts);
    for (fail_at = from;; fail_at++) {
        alloc_calls = 0;
        json_set_alloc_funcs(failing_malloc, free);
        qf_forest *f = NULL;
        qf_err err;
        qf_rc rc = qf_forest_from_json_parts(texts, lens, n_parts, &f, &err);
        json_set_alloc_funcs(malloc, free);
        if (rc == QF_OK) {
            cr_assert_leq(alloc_calls, fail_at, "allocation %zu did not fail the build", fail_at);
            qf_forest_free(f);
            break;
        }
        cr_assert_null(f);
        if (fail_at >= parse)
            cr_assert_eq(rc, QF_ENOMEM, "allocation %zu: %s", fail_at, err.msg);
        else
            cr_assert(rc == QF_ENOMEM || rc == QF_EPARSE, "allocation %zu: %s", fail_at, err.msg);
    }
    cr_assert_gt(fail_at, parse); /* the forest's own were tried */
}

Test(forest, every_allocation_failure_is_enomem)
{
    const tnode *trees[] = {stump, stump};
    size_t sizes[] = {5, 5};
    hand h = {"multi:softprob", "5E-1", 2, 2, 2, trees, sizes};
    size_t len[2];
    char *json[2] = {hand_json(&h, &len[0]), NULL};
    h.objective = NULL;
    h.groups = 1;
    json[1] = hand_json(&h, &len[1]);
    fail_each((const char *const *)json, len, 2, 0);

    /* A real model: every allocation of the forest's own, after jansson's. */
    btc_model t = btc_train(3, 6, 31);
    size_t parse = parse_allocations((const char *const *)t.json, t.len, PARTS);
    fail_each((const char *const *)t.json, t.len, PARTS, parse - 20);
    btc_free(&t);
    free(json[0]);
    free(json[1]);
}
