/*
 * gbdt.c - the XGBoost classifier and pinball-loss quantile regressors
 * behind qf_gbdt (see gbdt.h): parameters, row checks, training,
 * prediction and JSON (de)serialisation of each part.
 *
 * Every XGBoost call goes through XGB(): a non-zero return becomes a qf_err
 * naming the call and XGBGetLastError()'s first line, so a failure deep in
 * XGBoost reads "xgboost: XGBoosterLoadModelFromBuffer: Invalid model
 * format" rather than a C++ stack trace.
 *
 * Prediction speed: XGBoosterPredictFromDense builds a proxy DMatrix on
 * every call unless it is given one, and building it reads the cgroup CPU
 * quota from /sys (two file opens per call, ~12 us). Each qf_gbdt therefore
 * owns one proxy and one row buffer whose array interface is rendered once,
 * so predicting a row is a copy of the row and one XGBoost call per part.
 */
#include "model/gbdt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xgboost/c_api.h>

#include "core/parallel.h"
#include "model/forest.h"

#define N_PARTS_MAX (1 + QF_GBDT_QUANTILES_MAX)
#define ROUNDS_MAX  100000
#define ATTR_PART   "quantflow_part"
#define ATTR_ALPHA  "quantflow_alpha"
#define ATTR_SCALE  "quantflow_scale"
#define IFACE_MAX   160
#define PART_CLS    "classifier"
#define PART_QUANT  "quantile"

/* Inplace prediction: plain values; "cache_id" and "missing" are required by
 * XGBoosterPredictFromDense in 1.7. */
static const char predict_cfg[] = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                                  "\"iteration_end\": 0, \"strict_shape\": false, "
                                  "\"cache_id\": 0, \"missing\": NaN}";
/* The margins of the training rows while boosting a custom objective. */
static const char train_predict_cfg[] = "{\"type\": 1, \"training\": true, \"iteration_begin\": 0, "
                                        "\"iteration_end\": 0, \"strict_shape\": false}";

struct qf_gbdt {
    size_t n_features;
    size_t n_quantiles;
    double alphas[QF_GBDT_QUANTILES_MAX];
    int n_threads;                    /* for training and batches (0: one per core) */
    int set_threads;                  /* the nthread the parts are set to now */
    BoosterHandle parts[N_PARTS_MAX]; /* 0: classifier, 1 + k: quantile k; NULL until loaded */
    double scale[N_PARTS_MAX];        /* quantile parts: target scale (a power of two) */
    DMatrixHandle proxy;              /* reused by every inplace prediction */
    double *row;                      /* n_features: the one-row input buffer */
    char row_iface[IFACE_MAX];        /* __array_interface__ of row, rendered once */
    /* One-row predictions: the parts compiled into one forest (forest.h),
     * the same bits as XGBoost 37 times faster; built at the end of
     * training, or at the first one-row prediction after loading. State 0
     * until then, -1 when the model is one the forest does not implement
     * (XGBoost predicts then). */
    qf_forest *forest;
    int forest_state;
};

static qf_rc ensure_forest(qf_gbdt *m, qf_err *err);

/* ---- errors ------------------------------------------------------------- */

/* XGBoost's message without its "[12:00:00] src/learner.cc:1008: " prefix
 * and without the stack trace that follows on later lines. */
static void clean_message(const char *msg, char *out, size_t size)
{
    const char *p = msg != NULL ? msg : "";
    if (p[0] == '[') {
        const char *close = strstr(p, "] ");
        if (close != NULL)
            p = close + 2;
    }
    const char *colon = strstr(p, ": ");
    const char *nl = strchr(p, '\n');
    if (colon != NULL && (nl == NULL || colon < nl)) {
        size_t head = (size_t)(colon - p);
        if (memchr(p, ' ', head) == NULL && (strstr(p, ".cc:") != NULL || strstr(p, ".h:") != NULL))
            p = colon + 2;
    }
    size_t n = strcspn(p, "\n");
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static qf_rc xgb_fail(qf_rc code, const char *call, qf_err *err)
{
    const char *raw = XGBGetLastError();
    char msg[200];
    clean_message(raw, msg, sizeof msg);
    if (raw != NULL && strstr(raw, "bad_alloc") != NULL)
        code = QF_ENOMEM;
    return qf_err_set(err, code, "xgboost: %s: %s", call, msg[0] != '\0' ? msg : "failed");
}

/* Runs an XGBoost call; on failure records it in `err` as `name` failing. */
#define XGB(code, name, call) ((call) == 0 ? QF_OK : xgb_fail((code), name, err))

/* ---- parameters --------------------------------------------------------- */

qf_gbdt_params qf_gbdt_params_default(void)
{
    qf_gbdt_params p;
    memset(&p, 0, sizeof p);
    p.n_estimators = 200;
    p.learning_rate = 0.05;
    p.max_depth = 6;
    p.num_leaves = 31;
    p.min_child_weight = 1.0;
    p.subsample = 1.0;
    p.seed = 42;
    p.n_threads = 0;
    static const double q[] = {0.1, 0.25, 0.5, 0.75, 0.9};
    memcpy(p.quantiles, q, sizeof q);
    p.n_quantiles = 5;
    p.min_train_bars = 200;
    p.min_valid_labels = 200;
    return p;
}

qf_gbdt_params qf_gbdt_params_from_config(const qf_config *cfg)
{
    const qf_config_model *m = &cfg->model;
    qf_gbdt_params p = qf_gbdt_params_default();
    p.n_estimators = m->n_estimators;
    p.learning_rate = m->learning_rate;
    p.max_depth = m->max_depth;
    p.num_leaves = m->num_leaves;
    p.min_child_weight = m->min_child_weight;
    p.subsample = m->subsample;
    p.seed = m->seed;
    p.n_threads = m->n_threads;
    p.n_quantiles = m->n_quantiles < QF_GBDT_QUANTILES_MAX ? m->n_quantiles : QF_GBDT_QUANTILES_MAX;
    memcpy(p.quantiles, m->quantiles, p.n_quantiles * sizeof p.quantiles[0]);
    p.min_train_bars =
        cfg->portfolio.min_train_bars > 0 ? (size_t)cfg->portfolio.min_train_bars : 0;
    p.min_valid_labels =
        cfg->portfolio.min_valid_labels > 0 ? (size_t)cfg->portfolio.min_valid_labels : 0;
    return p;
}

static qf_rc check_quantiles(const qf_gbdt_params *p, qf_err *err)
{
    if (p->n_quantiles > QF_GBDT_QUANTILES_MAX)
        return qf_err_set(err, QF_EINVAL, "gbdt: model.quantiles: at most %d quantiles, got %zu",
                          QF_GBDT_QUANTILES_MAX, p->n_quantiles);
    for (size_t k = 0; k < p->n_quantiles; k++) {
        double a = p->quantiles[k];
        if (!(a > 0.0 && a < 1.0))
            return qf_err_set(err, QF_EINVAL,
                              "gbdt: model.quantiles[%zu] must be in (0, 1), got %g", k, a);
        if (k > 0 && !(a > p->quantiles[k - 1]))
            return qf_err_set(err, QF_EINVAL, "gbdt: model.quantiles must be strictly increasing");
    }
    return QF_OK;
}

qf_rc qf_gbdt_params_check(const qf_gbdt_params *p, qf_err *err)
{
    if (p == NULL)
        return qf_err_set(err, QF_EINVAL, "gbdt: no parameters");
    if (p->n_estimators < 1 || p->n_estimators > ROUNDS_MAX)
        return qf_err_set(err, QF_EINVAL, "gbdt: model.n_estimators must be in 1..%d, got %d",
                          ROUNDS_MAX, p->n_estimators);
    if (!(p->learning_rate > 0.0 && p->learning_rate <= 1.0))
        return qf_err_set(err, QF_EINVAL, "gbdt: model.learning_rate must be in (0, 1], got %g",
                          p->learning_rate);
    if (p->max_depth > 64)
        return qf_err_set(err, QF_EINVAL, "gbdt: model.max_depth must be at most 64, got %d",
                          p->max_depth);
    if (p->num_leaves < 2 || p->num_leaves > 1 << 20)
        return qf_err_set(err, QF_EINVAL, "gbdt: model.num_leaves must be in 2..%d, got %d",
                          1 << 20, p->num_leaves);
    if (!(p->min_child_weight >= 0.0) || !isfinite(p->min_child_weight))
        return qf_err_set(err, QF_EINVAL, "gbdt: model.min_child_weight must be >= 0, got %g",
                          p->min_child_weight);
    if (!(p->subsample > 0.0 && p->subsample <= 1.0))
        return qf_err_set(err, QF_EINVAL, "gbdt: model.subsample must be in (0, 1], got %g",
                          p->subsample);
    if (p->seed < 0)
        return qf_err_set(err, QF_EINVAL, "gbdt: model.seed must be >= 0, got %d", p->seed);
    if (p->n_threads < 0 || p->n_threads > 1024)
        return qf_err_set(err, QF_EINVAL, "gbdt: model.n_threads must be in 0..1024, got %d",
                          p->n_threads);
    return check_quantiles(p, err);
}

/* ---- rows --------------------------------------------------------------- */

static int row_finite(const double *x, size_t nf)
{
    for (size_t f = 0; f < nf; f++)
        if (!isfinite(x[f]))
            return 0;
    return 1;
}

static qf_rc check_data(const qf_gbdt_data *d, qf_err *err)
{
    if (d == NULL)
        return qf_err_set(err, QF_EINVAL, "gbdt: no data");
    if (d->n_features < 1 || d->n_features > QF_GBDT_FEATURES_MAX)
        return qf_err_set(err, QF_EINVAL, "gbdt: %zu features; 1..%d supported", d->n_features,
                          QF_GBDT_FEATURES_MAX);
    if (d->n_rows > 0 && (d->x == NULL || d->label == NULL || d->target == NULL))
        return qf_err_set(err, QF_EINVAL, "gbdt: rows without features, labels or targets");
    if (d->n_rows > SIZE_MAX / sizeof(double) / d->n_features)
        return qf_err_set(err, QF_EINVAL, "gbdt: %zu rows is too many", d->n_rows);
    return QF_OK;
}

/* Classifies row i: 1 usable, 0 skipped (counted), or an error. */
static qf_rc classify_row(const qf_gbdt_data *d, size_t i, qf_gbdt_rows *r, int *out_use,
                          qf_err *err)
{
    int y = d->label[i];
    double t = d->target[i];
    *out_use = 0;
    if (y < -1 || y > 2)
        return qf_err_set(err, QF_EINVAL, "gbdt: row %zu: label %d (must be 0, 1, 2 or -1)", i, y);
    if (isinf(t))
        return qf_err_set(err, QF_EINVAL, "gbdt: row %zu: target is %s (must be finite or NaN)", i,
                          t > 0 ? "inf" : "-inf");
    if (!row_finite(d->x + i * d->n_features, d->n_features))
        r->nan_skipped++;
    else if (y < 0 || isnan(t))
        r->unlabeled++;
    else
        *out_use = 1;
    return QF_OK;
}

qf_rc qf_gbdt_count_rows(const qf_gbdt_data *d, qf_gbdt_rows *out_rows, qf_err *err)
{
    qf_rc rc = check_data(d, err);
    if (rc != QF_OK)
        return rc;
    qf_gbdt_rows r;
    memset(&r, 0, sizeof r);
    r.total = d->n_rows;
    double lo[QF_GBDT_FEATURES_MAX];
    double hi[QF_GBDT_FEATURES_MAX];
    size_t nf = d->n_features;
    for (size_t i = 0; i < d->n_rows; i++) {
        int use = 0;
        rc = classify_row(d, i, &r, &use, err);
        if (rc != QF_OK)
            return rc;
        if (!use)
            continue;
        const double *x = d->x + i * nf;
        for (size_t f = 0; f < nf; f++) {
            lo[f] = r.used == 0 || x[f] < lo[f] ? x[f] : lo[f];
            hi[f] = r.used == 0 || x[f] > hi[f] ? x[f] : hi[f];
        }
        r.class_counts[d->label[i]]++;
        r.used++;
    }
    for (size_t f = 0; f < nf && r.used > 0; f++) {
        if (lo[f] == hi[f]) {
            r.n_constant++;
            r.constant_mask |= UINT64_C(1) << f;
        }
    }
    if (out_rows != NULL)
        *out_rows = r;
    return QF_OK;
}

static const char *const class_names[QF_GBDT_CLASSES] = {"down", "neutral", "up"};

/* The refusals of qf_gbdt_train, in the order gbdt.h lists them. */
static qf_rc check_trainable(const qf_gbdt_rows *r, size_t nf, const qf_gbdt_params *p, qf_err *err)
{
    if (r->total < p->min_train_bars)
        return qf_err_set(err, QF_EINVAL,
                          "gbdt: too little data to train: %zu bars, at least %zu needed "
                          "(portfolio.min_train_bars)",
                          r->total, p->min_train_bars);
    size_t need = p->min_valid_labels > 2 ? p->min_valid_labels : 2;
    if (r->used < need)
        return qf_err_set(err, QF_EINVAL,
                          "gbdt: too little data to train: %zu usable rows of %zu bars (%zu with a "
                          "NaN feature, %zu unlabeled), at least %zu needed "
                          "(portfolio.min_valid_labels)",
                          r->used, r->total, r->nan_skipped, r->unlabeled, need);
    for (int c = 0; c < QF_GBDT_CLASSES; c++)
        if (r->class_counts[c] == r->used)
            return qf_err_set(err, QF_EINVAL,
                              "gbdt: all %zu training labels are one class (%s): a classifier "
                              "needs at least two",
                              r->used, class_names[c]);
    if (r->n_constant == nf)
        return qf_err_set(err, QF_EINVAL,
                          "gbdt: every feature is constant over the %zu training rows: nothing "
                          "to learn from",
                          r->used);
    return QF_OK;
}

void qf_gbdt_library_version(char *out, size_t size)
{
    int major = 0, minor = 0, patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    snprintf(out, size, "%d.%d.%d", major, minor, patch);
}

/* ---- empirical quantile and the pinball objective ----------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

double qf_gbdt_empirical_quantile(double *v, size_t n, double alpha)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    double h = (double)(n - 1) * alpha;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

void qf_gbdt_pinball_grad(const float *pred, const double *y, size_t n, double alpha, float *grad,
                          float *hess)
{
    float below = (float)(1.0 - alpha); /* the outcome lies below the prediction */
    float above = (float)-alpha;
    for (size_t i = 0; i < n; i++) {
        double p = pred[i];
        grad[i] = y[i] > p ? above : y[i] < p ? below : 0.0f;
        hess[i] = 1.0f;
    }
}

/* ---- boosters ----------------------------------------------------------- */

static qf_rc set_param(BoosterHandle b, const char *name, const char *value, qf_err *err)
{
    if (XGBoosterSetParam(b, name, value) == 0)
        return QF_OK;
    xgb_fail(QF_EINVAL, "XGBoosterSetParam", err);
    return qf_err_prefix(err, "%s=%s", name, value);
}

static qf_rc set_int_param(BoosterHandle b, const char *name, long v, qf_err *err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    return set_param(b, name, buf, err);
}

static qf_rc set_dbl_param(BoosterHandle b, const char *name, double v, qf_err *err)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return set_param(b, name, buf, err);
}

/* The tree parameters every part shares. */
static qf_rc set_tree_params(BoosterHandle b, const qf_gbdt_params *p, qf_err *err)
{
    qf_rc rc = set_param(b, "verbosity", "0", err);
    if (rc == QF_OK)
        rc = set_int_param(b, "nthread", p->n_threads, err);
    if (rc == QF_OK)
        rc = set_int_param(b, "seed", p->seed, err);
    if (rc == QF_OK)
        rc = set_param(b, "tree_method", "hist", err);
    if (rc == QF_OK)
        rc = set_param(b, "grow_policy", "lossguide", err);
    if (rc == QF_OK)
        rc = set_int_param(b, "max_leaves", p->num_leaves, err);
    if (rc == QF_OK)
        rc = set_int_param(b, "max_depth", p->max_depth > 0 ? p->max_depth : 0, err);
    if (rc == QF_OK)
        rc = set_dbl_param(b, "eta", p->learning_rate, err);
    if (rc == QF_OK)
        rc = set_dbl_param(b, "min_child_weight", p->min_child_weight, err);
    if (rc == QF_OK)
        rc = set_dbl_param(b, "subsample", p->subsample, err);
    return rc;
}

static qf_rc new_booster(DMatrixHandle dm, const qf_gbdt_params *p, BoosterHandle *out, qf_err *err)
{
    BoosterHandle b = NULL;
    qf_rc rc = XGB(QF_EINVAL, "XGBoosterCreate", XGBoosterCreate(&dm, 1, &b));
    if (rc == QF_OK)
        rc = set_tree_params(b, p, err);
    if (rc != QF_OK) {
        if (b != NULL)
            XGBoosterFree(b);
        return rc;
    }
    *out = b;
    return QF_OK;
}

static qf_rc train_classifier(DMatrixHandle dm, const qf_gbdt_params *p, BoosterHandle *out,
                              qf_err *err)
{
    BoosterHandle b = NULL;
    qf_rc rc = new_booster(dm, p, &b, err);
    if (rc == QF_OK)
        rc = set_param(b, "objective", "multi:softprob", err);
    if (rc == QF_OK)
        rc = set_int_param(b, "num_class", QF_GBDT_CLASSES, err);
    if (rc == QF_OK)
        rc = set_param(b, "eval_metric", "mlogloss", err);
    if (rc == QF_OK)
        rc = XGB(QF_EINVAL, "XGBoosterSetAttr", XGBoosterSetAttr(b, ATTR_PART, PART_CLS));
    for (int it = 0; rc == QF_OK && it < p->n_estimators; it++)
        rc = XGB(QF_EINVAL, "XGBoosterUpdateOneIter", XGBoosterUpdateOneIter(b, it, dm));
    if (rc != QF_OK) {
        if (b != NULL)
            XGBoosterFree(b);
        return qf_err_prefix(err, "gbdt: classifier");
    }
    *out = b;
    return QF_OK;
}

/* Scratch of the quantile trainings: the scaled targets of the used rows
 * and per-row gradient buffers. */
typedef struct quant_scratch {
    const double *y; /* targets of the used rows divided by scale */
    size_t n;
    double scale;   /* a power of two near the targets' standard deviation */
    double *sorted; /* n, for the base score */
    float *grad;    /* n */
    float *hess;    /* n */
} quant_scratch;

/* The power of two nearest (in log) to the sample standard deviation of y,
 * 1 when that is not positive. Boosting with hessian 1 moves a leaf by
 * eta * (alpha - share below) in target units whatever the targets' scale;
 * dividing the targets by about their spread makes that step a fraction of
 * a standard deviation, for returns of 0.001 as for prices of 1000. A power
 * of two divides and multiplies back exactly. */
static double target_scale(const double *y, size_t n)
{
    double mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (y[i] - mean) * (y[i] - mean);
    double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    if (!(sd > 0.0) || !isfinite(sd))
        return 1.0;
    return exp2(round(log2(sd)));
}

/* One boosting round of the pinball objective at alpha. */
static qf_rc boost_pinball(BoosterHandle b, DMatrixHandle dm, quant_scratch *s, double alpha,
                           qf_err *err)
{
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *pred = NULL;
    qf_rc rc = XGB(QF_EINVAL, "XGBoosterPredictFromDMatrix",
                   XGBoosterPredictFromDMatrix(b, dm, train_predict_cfg, &shape, &dim, &pred));
    if (rc != QF_OK)
        return rc;
    bst_ulong len = 1;
    for (bst_ulong k = 0; k < dim; k++)
        len *= shape[k];
    if (len != s->n)
        return qf_err_set(err, QF_EINVAL, "gbdt: quantile model predicted %llu values for %zu rows",
                          (unsigned long long)len, s->n);
    qf_gbdt_pinball_grad(pred, s->y, s->n, alpha, s->grad, s->hess);
    return XGB(QF_EINVAL, "XGBoosterBoostOneIter",
               XGBoosterBoostOneIter(b, dm, s->grad, s->hess, (bst_ulong)s->n));
}

static qf_rc train_quantile(DMatrixHandle dm, const qf_gbdt_params *p, quant_scratch *s,
                            double alpha, BoosterHandle *out, qf_err *err)
{
    memcpy(s->sorted, s->y, s->n * sizeof *s->sorted);
    double base = qf_gbdt_empirical_quantile(s->sorted, s->n, alpha);
    char alpha_text[40];
    char scale_text[40];
    snprintf(alpha_text, sizeof alpha_text, "%.17g", alpha);
    snprintf(scale_text, sizeof scale_text, "%.17g", s->scale);
    BoosterHandle b = NULL;
    qf_rc rc = new_booster(dm, p, &b, err);
    if (rc == QF_OK)
        rc = set_param(b, "objective", "reg:squarederror", err);
    if (rc == QF_OK)
        rc = set_dbl_param(b, "base_score", base, err);
    if (rc == QF_OK)
        rc = XGB(QF_EINVAL, "XGBoosterSetAttr", XGBoosterSetAttr(b, ATTR_PART, PART_QUANT));
    if (rc == QF_OK)
        rc = XGB(QF_EINVAL, "XGBoosterSetAttr", XGBoosterSetAttr(b, ATTR_ALPHA, alpha_text));
    if (rc == QF_OK)
        rc = XGB(QF_EINVAL, "XGBoosterSetAttr", XGBoosterSetAttr(b, ATTR_SCALE, scale_text));
    for (int it = 0; rc == QF_OK && it < p->n_estimators; it++)
        rc = boost_pinball(b, dm, s, alpha, err);
    if (rc != QF_OK) {
        if (b != NULL)
            XGBoosterFree(b);
        return qf_err_prefix(err, "gbdt: quantile %g", alpha);
    }
    *out = b;
    return QF_OK;
}

/* ---- the model handle --------------------------------------------------- */

static void render_iface(char *out, size_t size, const double *data, size_t rows, size_t cols)
{
    snprintf(out, size,
             "{\"data\": [%llu, true], \"shape\": [%zu, %zu], \"typestr\": \"<f8\", "
             "\"version\": 3}",
             (unsigned long long)(uintptr_t)data, rows, cols);
}

qf_rc qf_gbdt_new(size_t n_features, const double *alphas, size_t n_quantiles, int n_threads,
                  qf_gbdt **out_model, qf_err *err)
{
    qf_err_clear(err);
    if (n_features < 1 || n_features > QF_GBDT_FEATURES_MAX)
        return qf_err_set(err, QF_EINVAL, "gbdt: %zu features; 1..%d supported", n_features,
                          QF_GBDT_FEATURES_MAX);
    qf_gbdt_params p = qf_gbdt_params_default();
    p.n_quantiles = n_quantiles;
    if (n_quantiles > 0 && n_quantiles <= QF_GBDT_QUANTILES_MAX)
        memcpy(p.quantiles, alphas, n_quantiles * sizeof *alphas);
    qf_rc rc = check_quantiles(&p, err);
    if (rc != QF_OK)
        return rc;
    if (n_threads < 0)
        return qf_err_set(err, QF_EINVAL, "gbdt: n_threads must be >= 0, got %d", n_threads);
    qf_gbdt *m = calloc(1, sizeof *m);
    double *row = calloc(n_features, sizeof *row);
    if (m == NULL || row == NULL) {
        free(m);
        free(row);
        return qf_err_set(err, QF_ENOMEM, "gbdt: out of memory");
    }
    m->n_features = n_features;
    m->n_quantiles = n_quantiles;
    memcpy(m->alphas, p.quantiles, n_quantiles * sizeof *alphas);
    m->n_threads = n_threads;
    m->set_threads = n_threads;
    m->row = row;
    render_iface(m->row_iface, sizeof m->row_iface, m->row, 1, n_features);
    rc = XGB(QF_EINVAL, "XGProxyDMatrixCreate", XGProxyDMatrixCreate(&m->proxy));
    if (rc != QF_OK) {
        qf_gbdt_free(m);
        return rc;
    }
    *out_model = m;
    return QF_OK;
}

void qf_gbdt_free(qf_gbdt *m)
{
    if (m == NULL)
        return;
    for (size_t k = 0; k < N_PARTS_MAX; k++)
        if (m->parts[k] != NULL)
            XGBoosterFree(m->parts[k]);
    if (m->proxy != NULL)
        XGDMatrixFree(m->proxy);
    qf_forest_free(m->forest);
    free(m->row);
    free(m);
}

size_t qf_gbdt_n_features(const qf_gbdt *m)
{
    return m->n_features;
}

size_t qf_gbdt_n_quantiles(const qf_gbdt *m)
{
    return m->n_quantiles;
}

double qf_gbdt_alpha(const qf_gbdt *m, size_t k)
{
    return k < m->n_quantiles ? m->alphas[k] : NAN;
}

/* ---- training ----------------------------------------------------------- */

/* The used rows as XGBoost's float matrix with class labels, and their
 * targets. */
typedef struct train_set {
    float *x;         /* used x n_features */
    float *label;     /* used */
    double *y;        /* used */
    double *y_scaled; /* used: y / target_scale(y) */
} train_set;

static void train_set_free(train_set *t)
{
    free(t->x);
    free(t->label);
    free(t->y);
    free(t->y_scaled);
}

static qf_rc train_set_build(const qf_gbdt_data *d, size_t used, train_set *t, qf_err *err)
{
    size_t nf = d->n_features;
    memset(t, 0, sizeof *t);
    t->x = malloc(used * nf * sizeof *t->x);
    t->label = malloc(used * sizeof *t->label);
    t->y = malloc(used * sizeof *t->y);
    t->y_scaled = malloc(used * sizeof *t->y_scaled);
    if (!t->x || !t->label || !t->y || !t->y_scaled)
        return qf_err_set(err, QF_ENOMEM, "gbdt: out of memory for %zu training rows", used);
    size_t j = 0;
    for (size_t i = 0; i < d->n_rows; i++) {
        const double *x = d->x + i * nf;
        if (!row_finite(x, nf) || d->label[i] < 0 || isnan(d->target[i]))
            continue;
        for (size_t f = 0; f < nf; f++)
            t->x[j * nf + f] = (float)x[f];
        t->label[j] = (float)d->label[i];
        t->y[j] = d->target[i];
        j++;
    }
    return QF_OK;
}

/* One part's training, in a thread of its own when there are several: its
 * own DMatrix (XGBoost caches the histogram index in the DMatrix, so
 * boosters must not share one across threads) and its own gradient buffers.
 * On one thread the parts simply train one after another. */
typedef struct part_job {
    qf_gbdt *m;
    const train_set *t;
    size_t used, nf;
    qf_gbdt_params p; /* n_threads 1: the parts are the parallelism */
    double scale;
    qf_rc rc[QF_GBDT_QUANTILES_MAX + 1];
    qf_err err[QF_GBDT_QUANTILES_MAX + 1];
} part_job;

static qf_rc train_one_part(part_job *j, size_t k, qf_err *err)
{
    DMatrixHandle dm = NULL;
    double *sorted = malloc(j->used * sizeof *sorted);
    float *grad = malloc(j->used * sizeof *grad), *hess = malloc(j->used * sizeof *hess);
    qf_rc rc = sorted && grad && hess ? QF_OK : qf_err_set(err, QF_ENOMEM, "gbdt: out of memory");
    if (rc == QF_OK)
        rc = XGB(QF_EINVAL, "XGDMatrixCreateFromMat",
                 XGDMatrixCreateFromMat(j->t->x, (bst_ulong)j->used, (bst_ulong)j->nf, NAN, &dm));
    if (rc == QF_OK && k == 0)
        rc = XGB(QF_EINVAL, "XGDMatrixSetFloatInfo",
                 XGDMatrixSetFloatInfo(dm, "label", j->t->label, (bst_ulong)j->used));
    if (rc == QF_OK && k == 0) {
        rc = train_classifier(dm, &j->p, &j->m->parts[0], err);
    } else if (rc == QF_OK) {
        quant_scratch s = {j->t->y_scaled, j->used, j->scale, sorted, grad, hess};
        rc = train_quantile(dm, &j->p, &s, j->p.quantiles[k - 1], &j->m->parts[k], err);
    }
    if (dm != NULL)
        XGDMatrixFree(dm);
    free(sorted);
    free(grad);
    free(hess);
    return rc;
}

static void part_range(void *user, size_t first, size_t last, int is_caller)
{
    (void)is_caller;
    part_job *j = user;
    for (size_t k = first; k < last; k++) {
        qf_err_clear(&j->err[k]);
        j->rc[k] = train_one_part(j, k, &j->err[k]);
    }
}

/* The classifier and the quantile models are independent: with more than
 * one thread they train side by side, one XGBoost thread each. On 1,000
 * rows XGBoost's own threads scale poorly (one fold: 982 ms on 1 thread,
 * 676 on 2), the parts nearly perfectly. Each part trains exactly as it
 * would alone (same data, seed and parameters), so the models are the same
 * whatever the thread count. */
static qf_rc train_parts(qf_gbdt *m, train_set *t, size_t used, size_t nf, const qf_gbdt_params *p,
                         qf_err *err)
{
    double scale = target_scale(t->y, used);
    for (size_t i = 0; i < used; i++)
        t->y_scaled[i] = t->y[i] / scale;
    for (size_t k = 0; k < p->n_quantiles; k++)
        m->scale[1 + k] = scale;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = p->n_threads > 0 ? p->n_threads : (int)(cores > 0 ? cores : 1);
    part_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return qf_err_set(err, QF_ENOMEM, "gbdt: out of memory");
    *j = (part_job){.m = m, .t = t, .used = used, .nf = nf, .p = *p, .scale = scale};
    j->p.n_threads = 1;
    size_t n_parts = 1 + p->n_quantiles;
    qf_parallel_for(n_parts, threads, part_range, j);
    qf_rc rc = QF_OK;
    for (size_t k = 0; k < n_parts && rc == QF_OK; k++)
        if (j->rc[k] != QF_OK) {
            rc = j->rc[k];
            if (err != NULL)
                *err = j->err[k];
        }
    free(j);
    return rc;
}

qf_rc qf_gbdt_train(const qf_gbdt_data *d, const qf_gbdt_params *p, qf_gbdt **out_model,
                    qf_gbdt_rows *out_rows, qf_err *err)
{
    qf_err_clear(err);
    if (out_model == NULL)
        return qf_err_set(err, QF_EINVAL, "gbdt: no output model");
    qf_rc rc = qf_gbdt_params_check(p, err);
    qf_gbdt_rows r;
    if (rc == QF_OK)
        rc = qf_gbdt_count_rows(d, &r, err);
    if (rc != QF_OK)
        return rc;
    if (out_rows != NULL)
        *out_rows = r;
    rc = check_trainable(&r, d->n_features, p, err);
    if (rc != QF_OK)
        return rc;
    qf_gbdt *m = NULL;
    rc = qf_gbdt_new(d->n_features, p->quantiles, p->n_quantiles, p->n_threads, &m, err);
    if (rc != QF_OK)
        return rc;
    train_set t;
    rc = train_set_build(d, r.used, &t, err);
    if (rc == QF_OK)
        rc = train_parts(m, &t, r.used, d->n_features, p, err);
    train_set_free(&t);
    if (rc == QF_OK)
        rc = ensure_forest(m, err); /* part of training: predictions start fast */
    if (rc != QF_OK) {
        qf_gbdt_free(m);
        return rc;
    }
    *out_model = m;
    return QF_OK;
}

/* ---- prediction --------------------------------------------------------- */

static qf_rc check_loaded(const qf_gbdt *m, int want_proba, int want_q, qf_err *err)
{
    if (want_proba && m->parts[0] == NULL)
        return qf_err_set(err, QF_ESTATE, "gbdt: the classifier is not loaded");
    for (size_t k = 0; want_q && k < m->n_quantiles; k++)
        if (m->parts[1 + k] == NULL)
            return qf_err_set(err, QF_ESTATE, "gbdt: quantile model %g is not loaded",
                              m->alphas[k]);
    return QF_OK;
}

/* Runs part `part` on the rows behind iface; *out gets `expect` values. */
static qf_rc run_part(qf_gbdt *m, size_t part, const char *iface, size_t expect, const float **out,
                      qf_err *err)
{
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    qf_rc rc = XGB(
        QF_EINVAL, "XGBoosterPredictFromDense",
        XGBoosterPredictFromDense(m->parts[part], iface, predict_cfg, m->proxy, &shape, &dim, out));
    if (rc != QF_OK)
        return rc;
    bst_ulong len = 1;
    for (bst_ulong k = 0; k < dim; k++)
        len *= shape[k];
    if (len != expect)
        return qf_err_set(err, QF_EINVAL, "gbdt: %s predicted %llu values, expected %zu",
                          part == 0 ? "the classifier" : "a quantile model",
                          (unsigned long long)len, expect);
    return QF_OK;
}

/* Sorts n values ascending (insertion sort: n <= QF_GBDT_QUANTILES_MAX). */
static void sort_small(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static void fill_nan(double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = NAN;
}

/* Sets every loaded part to n threads unless already so. One row runs best
 * on one thread (an OpenMP team for a single row costs ~10 % of the call);
 * batches use the model's thread count. Switching reconfigures each part
 * once, so a run of calls of one kind pays nothing. */
static qf_rc use_threads(qf_gbdt *m, int n, qf_err *err)
{
    if (m->set_threads == n)
        return QF_OK;
    for (size_t k = 0; k < N_PARTS_MAX; k++) {
        if (m->parts[k] == NULL)
            continue;
        qf_rc rc = set_int_param(m->parts[k], "nthread", n, err);
        if (rc != QF_OK)
            return rc;
    }
    m->set_threads = n;
    return QF_OK;
}

/* Compiles every part into m->forest once (see struct qf_gbdt). */
static qf_rc ensure_forest(qf_gbdt *m, qf_err *err)
{
    size_t n = 1 + m->n_quantiles;
    for (size_t k = 0; k < n; k++)
        if (m->parts[k] == NULL)
            return QF_OK; /* a model still being loaded: XGBoost predicts what it has */
    if (m->forest_state != 0)
        return QF_OK;
    char *text[N_PARTS_MAX] = {NULL};
    size_t len[N_PARTS_MAX] = {0};
    qf_rc rc = QF_OK;
    for (size_t k = 0; rc == QF_OK && k < n; k++)
        rc = qf_gbdt_part_json(m, k, &text[k], &len[k], err);
    if (rc == QF_OK) {
        qf_err e2;
        qf_err_clear(&e2);
        rc = qf_forest_from_json_parts((const char *const *)text, len, n, &m->forest, &e2);
        if (rc == QF_ENOMEM && err != NULL)
            *err = e2;
        else if (rc != QF_OK)
            rc = QF_OK; /* a model the forest does not implement: XGBoost predicts it */
        m->forest_state = m->forest != NULL ? 1 : -1;
    }
    for (size_t k = 0; k < n; k++)
        free(text[k]);
    return rc;
}

void qf_gbdt_set_forest(qf_gbdt *m, int on)
{
    if (m == NULL)
        return;
    qf_forest_free(m->forest);
    m->forest = NULL;
    m->forest_state = on ? 0 : -1;
}

qf_rc qf_gbdt_predict_row(qf_gbdt *m, const double *x, double *out_proba, double *out_q,
                          qf_err *err)
{
    qf_rc rc = check_loaded(m, out_proba != NULL, out_q != NULL, err);
    if (rc == QF_OK)
        rc = use_threads(m, 1, err);
    if (rc != QF_OK)
        return rc;
    if (!row_finite(x, m->n_features)) {
        if (out_proba != NULL)
            fill_nan(out_proba, QF_GBDT_CLASSES);
        if (out_q != NULL)
            fill_nan(out_q, m->n_quantiles);
        return QF_OK;
    }
    rc = ensure_forest(m, err);
    if (rc != QF_OK)
        return rc;
    if (m->forest != NULL) {
        float out[QF_GBDT_CLASSES + QF_GBDT_QUANTILES_MAX];
        rc = qf_forest_predict_row(m->forest, x, m->n_features, out, err);
        for (int c = 0; rc == QF_OK && out_proba != NULL && c < QF_GBDT_CLASSES; c++)
            out_proba[c] = out[c];
        for (size_t k = 0; rc == QF_OK && out_q != NULL && k < m->n_quantiles; k++)
            out_q[k] = out[QF_GBDT_CLASSES + k] * m->scale[1 + k]; /* float x double, as below */
        if (rc == QF_OK && out_q != NULL)
            sort_small(out_q, m->n_quantiles);
        return rc;
    }
    memcpy(m->row, x, m->n_features * sizeof *x);
    const float *res = NULL;
    if (out_proba != NULL) {
        rc = run_part(m, 0, m->row_iface, QF_GBDT_CLASSES, &res, err);
        for (int c = 0; rc == QF_OK && c < QF_GBDT_CLASSES; c++)
            out_proba[c] = res[c];
    }
    for (size_t k = 0; out_q != NULL && rc == QF_OK && k < m->n_quantiles; k++) {
        rc = run_part(m, 1 + k, m->row_iface, 1, &res, err);
        if (rc == QF_OK)
            out_q[k] = res[0] * m->scale[1 + k];
    }
    if (rc == QF_OK && out_q != NULL)
        sort_small(out_q, m->n_quantiles);
    return rc;
}

/* NaN outputs for the rows with a non-finite feature; sorted quantiles. */
static void finish_batch(const qf_gbdt *m, const double *x, size_t n, double *out_proba,
                         double *out_q)
{
    size_t nq = m->n_quantiles;
    for (size_t i = 0; i < n; i++) {
        if (!row_finite(x + i * m->n_features, m->n_features)) {
            if (out_proba != NULL)
                fill_nan(out_proba + i * QF_GBDT_CLASSES, QF_GBDT_CLASSES);
            if (out_q != NULL)
                fill_nan(out_q + i * nq, nq);
        } else if (out_q != NULL) {
            sort_small(out_q + i * nq, nq);
        }
    }
}

qf_rc qf_gbdt_predict(qf_gbdt *m, const double *x, size_t n_rows, double *out_proba, double *out_q,
                      qf_err *err)
{
    qf_rc rc = check_loaded(m, out_proba != NULL, out_q != NULL, err);
    if (rc == QF_OK && n_rows > 0)
        rc = use_threads(m, m->n_threads, err);
    if (rc != QF_OK || n_rows == 0)
        return rc;
    if (x == NULL)
        return qf_err_set(err, QF_EINVAL, "gbdt: predict: no rows");
    char iface[IFACE_MAX];
    render_iface(iface, sizeof iface, x, n_rows, m->n_features);
    const float *res = NULL;
    if (out_proba != NULL) {
        rc = run_part(m, 0, iface, n_rows * QF_GBDT_CLASSES, &res, err);
        for (size_t i = 0; rc == QF_OK && i < n_rows * QF_GBDT_CLASSES; i++)
            out_proba[i] = res[i];
    }
    size_t nq = m->n_quantiles;
    for (size_t k = 0; out_q != NULL && rc == QF_OK && k < nq; k++) {
        rc = run_part(m, 1 + k, iface, n_rows, &res, err);
        for (size_t i = 0; rc == QF_OK && i < n_rows; i++)
            out_q[i * nq + k] = res[i] * m->scale[1 + k];
    }
    if (rc == QF_OK)
        finish_batch(m, x, n_rows, out_proba, out_q);
    return rc;
}

/* ---- serialisation ------------------------------------------------------ */

static qf_rc check_part(const qf_gbdt *m, size_t part, qf_err *err)
{
    if (part > m->n_quantiles)
        return qf_err_set(err, QF_EINVAL, "gbdt: part %zu of a model with %zu parts", part,
                          m->n_quantiles + 1);
    return QF_OK;
}

qf_rc qf_gbdt_part_json(qf_gbdt *m, size_t part, char **out_text, size_t *out_len, qf_err *err)
{
    qf_rc rc = check_part(m, part, err);
    if (rc == QF_OK && m->parts[part] == NULL)
        rc = qf_err_set(err, QF_ESTATE, "gbdt: part %zu is not loaded", part);
    bst_ulong len = 0;
    const char *buf = NULL;
    if (rc == QF_OK)
        rc = XGB(QF_EINVAL, "XGBoosterSaveModelToBuffer",
                 XGBoosterSaveModelToBuffer(m->parts[part], "{\"format\": \"json\"}", &len, &buf));
    if (rc != QF_OK)
        return rc;
    char *text = malloc((size_t)len + 1);
    if (text == NULL)
        return qf_err_set(err, QF_ENOMEM, "gbdt: out of memory saving a model");
    memcpy(text, buf, (size_t)len);
    text[len] = '\0';
    *out_text = text;
    *out_len = (size_t)len;
    return QF_OK;
}

/* The string attribute `name` of b into out ("" when absent). */
static qf_rc get_attr(BoosterHandle b, const char *name, char *out, size_t size, qf_err *err)
{
    const char *v = NULL;
    int found = 0;
    qf_rc rc = XGB(QF_EPARSE, "XGBoosterGetAttr", XGBoosterGetAttr(b, name, &v, &found));
    if (rc != QF_OK)
        return rc;
    snprintf(out, size, "%s", found && v != NULL ? v : "");
    return QF_OK;
}

/* A quantile part's alpha must be m's; its target scale a positive,
 * finite number. */
static qf_rc verify_quantile(const qf_gbdt *m, size_t part, BoosterHandle b, double *out_scale,
                             qf_err *err)
{
    char alpha[64];
    char scale[64];
    qf_rc rc = get_attr(b, ATTR_ALPHA, alpha, sizeof alpha, err);
    if (rc == QF_OK)
        rc = get_attr(b, ATTR_SCALE, scale, sizeof scale, err);
    if (rc != QF_OK)
        return rc;
    char *end = NULL;
    double a = strtod(alpha, &end);
    if (end == alpha || *end != '\0' || a != m->alphas[part - 1])
        return qf_err_set(err, QF_EPARSE, "gbdt: the file holds the quantile '%s' model, not %.17g",
                          alpha, m->alphas[part - 1]);
    double s = strtod(scale, &end);
    if (end == scale || *end != '\0' || !(s > 0.0) || !isfinite(s))
        return qf_err_set(err, QF_EPARSE, "gbdt: the quantile model has no valid target scale");
    *out_scale = s;
    return QF_OK;
}

/* Checks a freshly loaded booster is part `part` of m; *out_scale gets a
 * quantile part's target scale (1 for the classifier). */
static qf_rc verify_part(qf_gbdt *m, size_t part, BoosterHandle b, double *out_scale, qf_err *err)
{
    char kind[32];
    qf_rc rc = get_attr(b, ATTR_PART, kind, sizeof kind, err);
    if (rc != QF_OK)
        return rc;
    const char *want = part == 0 ? PART_CLS : PART_QUANT;
    if (strcmp(kind, want) != 0)
        return qf_err_set(err, QF_EPARSE, "gbdt: the file holds %s%s, not the %s",
                          kind[0] != '\0' ? "a " : "no QuantFlow model",
                          kind[0] != '\0' ? kind : "", want);
    *out_scale = 1.0;
    if (part > 0)
        rc = verify_quantile(m, part, b, out_scale, err);
    bst_ulong nf = 0;
    if (rc == QF_OK)
        rc = XGB(QF_EPARSE, "XGBoosterGetNumFeature", XGBoosterGetNumFeature(b, &nf));
    if (rc == QF_OK && nf != m->n_features)
        rc = qf_err_set(err, QF_EPARSE, "gbdt: the model takes %llu features, expected %zu",
                        (unsigned long long)nf, m->n_features);
    return rc;
}

/* One prediction on a zero row: the output must have the part's width. */
static qf_rc probe_part(qf_gbdt *m, size_t part, BoosterHandle b, qf_err *err)
{
    BoosterHandle keep = m->parts[part];
    m->parts[part] = b;
    memset(m->row, 0, m->n_features * sizeof *m->row);
    const float *res = NULL;
    qf_rc rc = run_part(m, part, m->row_iface, part == 0 ? QF_GBDT_CLASSES : 1, &res, err);
    m->parts[part] = keep;
    return rc;
}

qf_rc qf_gbdt_load_part(qf_gbdt *m, size_t part, const char *text, size_t len, qf_err *err)
{
    qf_err_clear(err);
    qf_rc rc = check_part(m, part, err);
    if (rc != QF_OK)
        return rc;
    if (text == NULL || len == 0 || text[0] != '{')
        return qf_err_set(err, QF_EPARSE, "gbdt: not an XGBoost JSON model");
    BoosterHandle b = NULL;
    rc = XGB(QF_EPARSE, "XGBoosterCreate", XGBoosterCreate(NULL, 0, &b));
    if (rc == QF_OK)
        rc = XGB(QF_EPARSE, "XGBoosterLoadModelFromBuffer",
                 XGBoosterLoadModelFromBuffer(b, text, (bst_ulong)len));
    double scale = 1.0;
    if (rc == QF_OK)
        rc = verify_part(m, part, b, &scale, err);
    if (rc == QF_OK)
        rc = set_param(b, "verbosity", "0", err);
    if (rc == QF_OK)
        rc = set_int_param(b, "nthread", m->set_threads, err);
    if (rc == QF_OK)
        rc = probe_part(m, part, b, err);
    if (rc != QF_OK) {
        if (b != NULL)
            XGBoosterFree(b);
        if (rc != QF_ENOMEM) {
            rc = QF_EPARSE;
            if (err != NULL)
                err->code = QF_EPARSE;
        }
        return rc;
    }
    if (m->parts[part] != NULL)
        XGBoosterFree(m->parts[part]);
    m->parts[part] = b;
    m->scale[part] = scale;
    qf_forest_free(m->forest); /* compiled again from the new parts */
    m->forest = NULL;
    m->forest_state = 0;
    return QF_OK;
}
