/*
 * fuzz_forest_json.c - libFuzzer target for the forest's JSON loader
 * (model/forest.h), differential against XGBoost itself.
 *
 * The input is a model's JSON. A refusal must leave no forest and name
 * what was wrong ("forest: ..."). When the forest accepts a model and
 * XGBoost 1.7 loads it too, both must give the same number of outputs and,
 * on a few rows made from the input's bytes (NaN, +-inf, -0.0, values
 * beyond float's range among them), every kernel must predict exactly what
 * XGBoost predicts. (XGBoost also wants fields prediction never reads,
 * such as sum_hessian; the forest does not, so XGBoost may refuse what the
 * forest accepts.) The same text as two parts of one forest must predict
 * the same outputs twice over.
 *
 * XGBoost's loader trusts its input (an out-of-range `parents` entry, which
 * prediction never reads and the forest ignores, crashes it), so XGBoost
 * is only asked about models the forest accepted whose node arrays are all
 * in range (xgboost_safe).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xgboost/c_api.h>

#include "model/forest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS    4
#define OUT_MAX 64 /* outputs per row checked (larger models: skipped) */

static const double specials[] = {0.0,   -0.0,    1.0,  -1.0, 0.5,   NAN, INFINITY, -INFINITY,
                                  1e300, -1e-300, 0.25, -2.0, 1e-45, 3.5, -0.5,     100.0};

/* ROWS rows of nf values picked from `specials` by the input's bytes. */
static void make_rows(const uint8_t *data, size_t size, size_t nf, double *x)
{
    for (size_t i = 0; i < ROWS * nf; i++)
        x[i] = specials[(size > 0 ? data[(i * 7) % size] + i : i) % 16];
}

/* Every entry of arr is in 0..n-1 or `none` (entry 0 may also be `root`). */
static int in_range(const json_t *arr, size_t n, json_int_t none, json_int_t root)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        json_int_t k = json_integer_value(v);
        int ok =
            json_is_integer(v) && (k == none || (i == 0 && k == root) || (k >= 0 && (size_t)k < n));
        if (!ok)
            return 0;
    }
    return 1;
}

/* The node arrays of every tree in range, no deleted nodes, no categories,
 * no vector leaves: what XGBoost's loader can take without checking. */
static int tree_safe(const json_t *t)
{
    json_t *left = json_object_get(t, "left_children");
    json_t *param = json_object_get(t, "tree_param");
    size_t n = json_array_size(left);
    const char *deleted = json_string_value(json_object_get(param, "num_deleted"));
    const char *leaf_vector = json_string_value(json_object_get(param, "size_leaf_vector"));
    return in_range(left, n, -1, -1) && in_range(json_object_get(t, "right_children"), n, -1, -1) &&
           in_range(json_object_get(t, "parents"), n, 0, 2147483647) &&
           json_array_size(json_object_get(t, "parents")) == n &&
           json_array_size(json_object_get(t, "categories")) == 0 &&
           json_array_size(json_object_get(t, "categories_segments")) == 0 &&
           json_array_size(json_object_get(t, "categories_sizes")) == 0 && deleted != NULL &&
           strcmp(deleted, "0") == 0 && leaf_vector != NULL && strcmp(leaf_vector, "0") == 0;
}

static int xgboost_safe(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    json_t *gb = json_object_get(json_object_get(doc, "learner"), "gradient_booster");
    json_t *model = json_object_get(gb, "model");
    const char *leaf_vector = json_string_value(
        json_object_get(json_object_get(model, "gbtree_model_param"), "size_leaf_vector"));
    int ok = leaf_vector != NULL && strcmp(leaf_vector, "0") == 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(model, "trees"), i, t) ok = ok && tree_safe(t);
    json_decref(doc);
    return ok;
}

/* XGBoost's outputs for the rows into want (n_groups each); 0 when it
 * does not load or predict the model. */
static int xgboost_predict(const uint8_t *data, size_t size, const double *x, size_t nf,
                           size_t n_groups, float *want)
{
    BoosterHandle b = NULL;
    DMatrixHandle proxy = NULL;
    int ok = XGBoosterCreate(NULL, 0, &b) == 0 &&
             XGBoosterLoadModelFromBuffer(b, data, (bst_ulong)size) == 0 &&
             XGBoosterSetParam(b, "nthread", "1") == 0 && XGProxyDMatrixCreate(&proxy) == 0;
    char iface[200];
    snprintf(iface, sizeof iface,
             "{\"data\": [%llu, true], \"shape\": [%d, %zu], \"typestr\": \"<f8\", "
             "\"version\": 3}",
             (unsigned long long)(uintptr_t)x, ROWS, nf);
    const char *cfg = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                      "\"iteration_end\": 0, \"strict_shape\": true, \"cache_id\": 0, "
                      "\"missing\": NaN}";
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    ok = ok && XGBoosterPredictFromDense(b, iface, cfg, proxy, &shape, &dim, &res) == 0;
    if (ok && (dim != 2 || shape[0] != ROWS || shape[1] != n_groups)) {
        fprintf(stderr, "xgboost predicts %llu outputs a row, the forest %zu\n",
                dim == 2 ? (unsigned long long)shape[1] : 0ull, n_groups);
        abort();
    }
    if (ok)
        memcpy(want, res, ROWS * n_groups * sizeof *want);
    if (proxy != NULL)
        XGDMatrixFree(proxy);
    if (b != NULL)
        XGBoosterFree(b);
    return ok;
}

/* Every kernel predicts `want` bit for bit. */
static void check_kernels(qf_forest *f, const double *x, size_t nf, const float *want)
{
    size_t ng = qf_forest_n_groups(f);
    float got[ROWS * OUT_MAX];
    qf_err err;
    for (int k = QF_FOREST_KERNEL_SCALAR; k <= QF_FOREST_KERNEL_AVX512; k++) {
        if (qf_forest_set_kernel(f, (qf_forest_kernel)k, &err) != QF_OK)
            continue;
        if (qf_forest_predict(f, x, ROWS, nf, got, &err) != QF_OK)
            abort();
        if (memcmp(got, want, ROWS * ng * sizeof *got) != 0) {
            fprintf(stderr, "kernel %d differs from xgboost\n", k);
            abort();
        }
    }
}

/* The text as two parts of one forest: each part's outputs again. */
static void check_parts(const uint8_t *data, size_t size, const double *x, size_t nf,
                        const float *want, size_t ng)
{
    const char *texts[2] = {(const char *)data, (const char *)data};
    size_t lens[2] = {size, size};
    qf_forest *f = NULL;
    qf_err err;
    if (qf_forest_from_json_parts(texts, lens, 2, &f, &err) != QF_OK) {
        if (err.code != QF_EUNSUPPORTED) /* only too many outputs may refuse two copies */
            abort();
        return;
    }
    float got[2 * OUT_MAX];
    for (size_t i = 0; i < ROWS; i++) {
        if (qf_forest_predict_row(f, x + i * nf, nf, got, &err) != QF_OK)
            abort();
        if (memcmp(got, want + i * ng, ng * sizeof *got) != 0 ||
            memcmp(got + ng, want + i * ng, ng * sizeof *got) != 0)
            abort();
    }
    qf_forest_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qf_forest *f = NULL;
    qf_err err;
    qf_rc rc = qf_forest_from_json((const char *)data, size, &f, &err);
    if (rc != QF_OK) {
        if (f != NULL || err.code != rc || strncmp(err.msg, "forest", 6) != 0)
            abort();
        return 0;
    }
    size_t nf = qf_forest_n_features(f), ng = qf_forest_n_groups(f);
    if (nf < 1 || nf > QF_FOREST_FEATURES_MAX || ng < 1 || ng > QF_FOREST_GROUPS_MAX)
        abort();
    if (ng <= OUT_MAX) {
        double *x = malloc(ROWS * nf * sizeof *x);
        float want[ROWS * OUT_MAX];
        make_rows(data, size, nf, x);
        if (xgboost_safe(data, size) && xgboost_predict(data, size, x, nf, ng, want)) {
            check_kernels(f, x, nf, want);
            check_parts(data, size, x, nf, want, ng);
        }
        free(x);
    }
    qf_forest_free(f);
    return 0;
}
