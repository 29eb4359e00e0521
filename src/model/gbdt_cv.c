/*
 * gbdt_cv.c - walk-forward cross-validation of the GBDT models and the JSON
 * of their scores.
 *
 * Each fold trains a fresh qf_gbdt on the rows of its training window and
 * predicts the usable rows of its test window (finite features, a label and
 * a finite target) in one batch. The folds come from walkforward.h, so the
 * purge between the windows is at least the label horizon: no training label
 * looks into the test window. Scores come from model/evaluate.h, per fold
 * and pooled over every test row (a fold's mean weighted by its rows).
 */
#include "model/gbdt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/evaluate.h"

void qf_gbdt_cv_init(qf_gbdt_cv *cv)
{
    memset(cv, 0, sizeof *cv);
}

void qf_gbdt_cv_cleanup(qf_gbdt_cv *cv)
{
    if (cv == NULL)
        return;
    free(cv->folds);
    memset(cv, 0, sizeof *cv);
}

/* The usable rows of a test window, compacted, and prediction buffers. */
typedef struct test_buf {
    size_t cap;     /* rows */
    double *x;      /* cap x n_features */
    int8_t *label;  /* cap */
    double *y;      /* cap */
    double *proba;  /* cap x 3 */
    double *q;      /* cap x n_quantiles */
    double *column; /* cap: one quantile's predictions */
    size_t n;       /* rows held */
} test_buf;

static void test_buf_free(test_buf *t)
{
    free(t->x);
    free(t->label);
    free(t->y);
    free(t->proba);
    free(t->q);
    free(t->column);
}

static qf_rc test_buf_alloc(test_buf *t, size_t cap, size_t nf, size_t nq, qf_err *err)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->x = malloc(cap * nf * sizeof *t->x);
    t->label = malloc(cap * sizeof *t->label);
    t->y = malloc(cap * sizeof *t->y);
    t->proba = malloc(cap * QF_GBDT_CLASSES * sizeof *t->proba);
    t->q = malloc(cap * (nq > 0 ? nq : 1) * sizeof *t->q);
    t->column = malloc(cap * sizeof *t->column);
    if (!t->x || !t->label || !t->y || !t->proba || !t->q || !t->column)
        return qf_err_set(err, QF_ENOMEM, "cross-validation: out of memory");
    return QF_OK;
}

static int usable(const qf_gbdt_data *d, size_t i)
{
    if (d->label[i] < 0 || !isfinite(d->target[i]))
        return 0;
    const double *x = d->x + i * d->n_features;
    for (size_t f = 0; f < d->n_features; f++)
        if (!isfinite(x[f]))
            return 0;
    return 1;
}

static void gather_test(const qf_gbdt_data *d, size_t begin, size_t end, test_buf *t)
{
    size_t nf = d->n_features;
    t->n = 0;
    for (size_t i = begin; i < end; i++) {
        if (!usable(d, i))
            continue;
        memcpy(t->x + t->n * nf, d->x + i * nf, nf * sizeof *t->x);
        t->label[t->n] = d->label[i];
        t->y[t->n] = d->target[i];
        t->n++;
    }
}

static int majority_class(const qf_gbdt_rows *r)
{
    int best = 0;
    for (int c = 1; c < QF_GBDT_CLASSES; c++)
        if (r->class_counts[c] > r->class_counts[best])
            best = c;
    return best;
}

static void empty_scores(qf_gbdt_scores *s)
{
    memset(s, 0, sizeof *s);
    s->accuracy = s->baseline_accuracy = s->log_loss = NAN;
    for (size_t k = 0; k < QF_GBDT_QUANTILES_MAX; k++)
        s->pinball[k] = s->coverage[k] = NAN;
}

/* Scores the predictions held in t. */
static void score(test_buf *t, size_t nq, const double *alphas, int majority, qf_gbdt_scores *s)
{
    empty_scores(s);
    if (t->n == 0)
        return;
    qf_class_scores c = qf_eval_classifier(t->proba, t->label, t->n);
    size_t hit = 0;
    for (size_t i = 0; i < t->n; i++)
        hit += t->label[i] == majority;
    s->n = c.n;
    s->accuracy = c.accuracy;
    s->log_loss = c.log_loss;
    s->baseline_accuracy = (double)hit / (double)t->n;
    for (size_t k = 0; k < nq; k++) {
        for (size_t i = 0; i < t->n; i++)
            t->column[i] = t->q[i * nq + k];
        qf_quantile_scores qs = qf_eval_quantile(t->column, t->y, t->n, alphas[k]);
        s->pinball[k] = qs.pinball;
        s->coverage[k] = qs.coverage;
    }
}

/* Running sums for the pooled scores. */
typedef struct pool {
    size_t n;
    double hit, base_hit, loss;
    double pinball[QF_GBDT_QUANTILES_MAX];
    double below[QF_GBDT_QUANTILES_MAX];
} pool;

static void pool_add(pool *p, const qf_gbdt_scores *s, size_t nq)
{
    if (s->n == 0)
        return;
    double w = (double)s->n;
    p->n += s->n;
    p->hit += s->accuracy * w;
    p->base_hit += s->baseline_accuracy * w;
    p->loss += s->log_loss * w;
    for (size_t k = 0; k < nq; k++) {
        p->pinball[k] += s->pinball[k] * w;
        p->below[k] += s->coverage[k] * w;
    }
}

static void pool_finish(const pool *p, size_t nq, qf_gbdt_scores *s)
{
    empty_scores(s);
    if (p->n == 0)
        return;
    double w = (double)p->n;
    s->n = p->n;
    s->accuracy = p->hit / w;
    s->baseline_accuracy = p->base_hit / w;
    s->log_loss = p->loss / w;
    for (size_t k = 0; k < nq; k++) {
        s->pinball[k] = p->pinball[k] / w;
        s->coverage[k] = p->below[k] / w;
    }
}

static qf_rc run_fold(const qf_gbdt_data *d, const qf_gbdt_params *p, qf_gbdt_cv_fold *fold,
                      test_buf *t, qf_err *err)
{
    const qf_wf_fold *w = &fold->split;
    size_t nf = d->n_features;
    qf_gbdt_data train = {d->x + w->train_begin * nf, w->train_end - w->train_begin, nf,
                          d->label + w->train_begin, d->target + w->train_begin};
    qf_gbdt *m = NULL;
    qf_rc rc = qf_gbdt_train(&train, p, &m, &fold->train, err);
    gather_test(d, w->test_begin, w->test_end, t);
    if (rc == QF_OK && t->n > 0)
        rc = qf_gbdt_predict(m, t->x, t->n, t->proba, t->q, err);
    if (rc == QF_OK)
        score(t, p->n_quantiles, p->quantiles, majority_class(&fold->train), &fold->test);
    qf_gbdt_free(m);
    return rc;
}

static qf_rc check_cv_args(const qf_gbdt_data *d, const qf_gbdt_params *p, const qf_wf_params *wf,
                           qf_gbdt_cv *out_cv, qf_err *err)
{
    if (out_cv == NULL)
        return qf_err_set(err, QF_EINVAL, "cross-validation: no output");
    qf_rc rc = qf_gbdt_params_check(p, err);
    if (rc == QF_OK)
        rc = qf_wf_params_check(wf, err);
    qf_gbdt_rows all;
    if (rc == QF_OK)
        rc = qf_gbdt_count_rows(d, &all, err);
    return rc;
}

qf_rc qf_gbdt_cross_validate(const qf_gbdt_data *d, const qf_gbdt_params *p, const qf_wf_params *wf,
                             size_t first, qf_gbdt_cv_progress progress, void *ud,
                             qf_gbdt_cv *out_cv, qf_err *err)
{
    qf_err_clear(err);
    qf_rc rc = check_cv_args(d, p, wf, out_cv, err);
    if (rc != QF_OK)
        return rc;
    qf_gbdt_cv_init(out_cv);
    size_t purge = qf_wf_effective_purge(wf);
    size_t n_folds = qf_wf_count(wf, first, d->n_rows);
    if (n_folds == 0)
        return qf_err_set(err, QF_EINVAL,
                          "cross-validation: %zu bars from bar %zu hold no fold: one needs "
                          "train_bars + purge + test_bars = %zu + %zu + %zu bars",
                          first < d->n_rows ? d->n_rows - first : 0, first, wf->train_bars, purge,
                          wf->test_bars);
    qf_gbdt_cv cv;
    qf_gbdt_cv_init(&cv);
    cv.purge = purge;
    cv.n_quantiles = p->n_quantiles;
    memcpy(cv.quantiles, p->quantiles, sizeof cv.quantiles);
    cv.folds = calloc(n_folds, sizeof *cv.folds);
    test_buf t;
    rc = test_buf_alloc(&t, wf->test_bars, d->n_features, p->n_quantiles, err);
    if (rc == QF_OK && cv.folds == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "cross-validation: out of memory");
    pool acc;
    memset(&acc, 0, sizeof acc);
    for (size_t k = 0; rc == QF_OK && k < n_folds; k++) {
        qf_gbdt_cv_fold *fold = &cv.folds[k];
        fold->split = qf_wf_fold_at(wf, first, k);
        rc = run_fold(d, p, fold, &t, err);
        if (rc != QF_OK) {
            qf_err_prefix(err, "cross-validation fold %zu (training bars %zu..%zu)", k,
                          fold->split.train_begin, fold->split.train_end - 1);
            break;
        }
        pool_add(&acc, &fold->test, p->n_quantiles);
        cv.n_folds = k + 1;
        if (progress != NULL)
            progress(ud, k + 1, n_folds);
    }
    test_buf_free(&t);
    if (rc != QF_OK) {
        qf_gbdt_cv_cleanup(&cv);
        return rc;
    }
    pool_finish(&acc, p->n_quantiles, &cv.overall);
    *out_cv = cv;
    return QF_OK;
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *qf_gbdt_rows_to_json(const qf_gbdt_rows *r)
{
    json_t *constant = json_array();
    for (size_t f = 0; constant != NULL && f < QF_GBDT_FEATURES_MAX; f++) {
        if ((r->constant_mask >> f & 1) == 0)
            continue;
        if (json_array_append_new(constant, json_integer((json_int_t)f)) != 0) {
            json_decref(constant);
            constant = NULL;
        }
    }
    if (constant == NULL)
        return NULL;
    return json_pack("{sIsIsIsIs[III]so}", "total", (json_int_t)r->total, "used",
                     (json_int_t)r->used, "nan_skipped", (json_int_t)r->nan_skipped, "unlabeled",
                     (json_int_t)r->unlabeled, "class_counts", (json_int_t)r->class_counts[0],
                     (json_int_t)r->class_counts[1], (json_int_t)r->class_counts[2],
                     "constant_features", constant);
}

json_t *qf_gbdt_scores_to_json(const qf_gbdt_scores *s, const double *alphas, size_t n_quantiles)
{
    json_t *q = json_array();
    for (size_t k = 0; q != NULL && k < n_quantiles; k++) {
        json_t *e = json_pack("{sfsoso}", "alpha", alphas[k], "pinball", num(s->pinball[k]),
                              "coverage", num(s->coverage[k]));
        if (e == NULL || json_array_append_new(q, e) != 0) {
            json_decref(q);
            q = NULL;
        }
    }
    if (q == NULL)
        return NULL;
    return json_pack("{sIsosososo}", "n", (json_int_t)s->n, "accuracy", num(s->accuracy),
                     "baseline_accuracy", num(s->baseline_accuracy), "log_loss", num(s->log_loss),
                     "quantiles", q);
}

static json_t *fold_json(const qf_gbdt_cv *cv, const qf_gbdt_cv_fold *f)
{
    return json_pack("{sIsIsIsIsIso}", "train_begin", (json_int_t)f->split.train_begin, "train_end",
                     (json_int_t)f->split.train_end, "test_begin", (json_int_t)f->split.test_begin,
                     "test_end", (json_int_t)f->split.test_end, "train_rows",
                     (json_int_t)f->train.used, "scores",
                     qf_gbdt_scores_to_json(&f->test, cv->quantiles, cv->n_quantiles));
}

json_t *qf_gbdt_cv_to_json(const qf_gbdt_cv *cv, int with_folds)
{
    json_t *j =
        json_pack("{sIsIso}", "purge_bars", (json_int_t)cv->purge, "folds", (json_int_t)cv->n_folds,
                  "overall", qf_gbdt_scores_to_json(&cv->overall, cv->quantiles, cv->n_quantiles));
    if (j == NULL || !with_folds)
        return j;
    json_t *a = json_array();
    if (a == NULL || json_object_set_new(j, "per_fold", a) != 0) {
        json_decref(j);
        return NULL;
    }
    for (size_t k = 0; k < cv->n_folds; k++) {
        json_t *f = fold_json(cv, &cv->folds[k]);
        if (f == NULL || json_array_append_new(a, f) != 0) {
            json_decref(j);
            return NULL;
        }
    }
    return j;
}
