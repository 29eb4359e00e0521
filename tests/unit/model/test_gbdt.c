/*
 * test_gbdt.c - the XGBoost classifier and pinball-loss quantile models:
 * hand-checkable objective cases, real properties on the bundled BTC/USDT
 * candles (probabilities sum to 1, quantiles sorted and calibrated on the
 * training rows, row and batch predictions equal, determinism per seed),
 * JSON round trips, refusals of bad input, and purged cross-validation.
 *
 * Trainings are small (20 trees, 2,000 bars) so the file runs in seconds.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/featureset.h"
#include "features/normalize.h"
#include "model/gbdt.h"
#include "model/labels.h"
#include "testutil.h"

#define NF QF_TECH_FEATURES

/* A slice of real BTC/USDT 4h bars as training rows: the ten raw technical
 * features (row-major), the triple-barrier labels and forward log returns. */
typedef struct btc_set {
    size_t n;
    double *x;
    int8_t *label;
    double *target;
    qf_gbdt_data d;
} btc_set;

static btc_set btc(size_t offset, size_t n)
{
    qf_bars all = qf_test_bars("BTCUSDT");
    cr_assert_leq(offset + n, all.n);
    qf_bars b = all;
    b.open_time += offset;
    b.open += offset;
    b.high += offset;
    b.low += offset;
    b.close += offset;
    b.volume += offset;
    b.n = n;
    btc_set s = {n, malloc(n * NF * sizeof(double)), malloc(n), malloc(n * sizeof(double)), {0}};
    double *cols = malloc(n * NF * sizeof *cols);
    qf_feature_params fp = qf_feature_params_default();
    qf_label_params lp = qf_label_params_default();
    qf_err err;
    cr_assert_eq(qf_features_compute(&b, &fp, cols, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_label_triple_barrier(b.close, n, &lp, s.label, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_forward_log_return(b.close, n, lp.max_holding_bars, s.target, &err), QF_OK);
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < NF; f++)
            s.x[i * NF + f] = cols[f * n + i];
    free(cols);
    qf_bars_cleanup(&all);
    s.d = (qf_gbdt_data){s.x, n, NF, s.label, s.target};
    return s;
}

static void btc_free(btc_set *s)
{
    free(s->x);
    free(s->label);
    free(s->target);
}

static qf_gbdt_params small(void)
{
    qf_gbdt_params p = qf_gbdt_params_default();
    p.n_estimators = 20;
    p.n_threads = 1; /* ctest runs files side by side: OpenMP teams would fight for the cores */
    p.learning_rate = 0.1;
    return p;
}

static qf_gbdt *train_ok(const qf_gbdt_data *d, const qf_gbdt_params *p, qf_gbdt_rows *rows)
{
    qf_gbdt *m = NULL;
    qf_err err;
    cr_assert_eq(qf_gbdt_train(d, p, &m, rows, &err), QF_OK, "%s", err.msg);
    cr_assert_not_null(m);
    return m;
}

/* Predicts every row of d in one batch (caller frees both). */
static void predict_all(qf_gbdt *m, const qf_gbdt_data *d, double **proba, double **q)
{
    *proba = malloc(d->n_rows * 3 * sizeof(double));
    *q = malloc(d->n_rows * qf_gbdt_n_quantiles(m) * sizeof(double));
    qf_err err;
    cr_assert_eq(qf_gbdt_predict(m, d->x, d->n_rows, *proba, *q, &err), QF_OK, "%s", err.msg);
}

static int usable(const qf_gbdt_data *d, size_t i)
{
    for (size_t f = 0; f < d->n_features; f++)
        if (!isfinite(d->x[i * d->n_features + f]))
            return 0;
    return d->label[i] >= 0 && isfinite(d->target[i]);
}

/* ---- hand-checkable pieces --------------------------------------------- */

Test(gbdt, pinball_gradient_by_hand)
{
    const float pred[] = {0.0f, 0.0f, 0.0f, 1.5f};
    const double y[] = {1.0, -1.0, 0.0, 2.0};
    float g[4], h[4];
    qf_gbdt_pinball_grad(pred, y, 4, 0.1, g, h);
    /* y above the prediction: -alpha; below: 1 - alpha; equal: 0. */
    cr_expect_float_eq(g[0], -0.1f, 1e-7);
    cr_expect_float_eq(g[1], 0.9f, 1e-7);
    cr_expect_eq(g[2], 0.0f);
    cr_expect_float_eq(g[3], -0.1f, 1e-7);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(h[i], 1.0f);
}

Test(gbdt, empirical_quantile_is_numpys_linear_one)
{
    double v[] = {5, 1, 4, 2, 3};
    /* numpy.quantile([1,2,3,4,5], a): a=0.1 -> 1.4, 0.25 -> 2, 0.5 -> 3, 0.9 -> 4.6 */
    cr_expect_float_eq(qf_gbdt_empirical_quantile(v, 5, 0.1), 1.4, 1e-12);
    cr_expect_float_eq(qf_gbdt_empirical_quantile(v, 5, 0.25), 2.0, 1e-12);
    cr_expect_float_eq(qf_gbdt_empirical_quantile(v, 5, 0.5), 3.0, 1e-12);
    cr_expect_float_eq(qf_gbdt_empirical_quantile(v, 5, 0.9), 4.6, 1e-12);
    double one = 7.0;
    cr_expect_eq(qf_gbdt_empirical_quantile(&one, 1, 0.3), 7.0);
    cr_expect(isnan(qf_gbdt_empirical_quantile(v, 0, 0.5)));
}

/* Two groups told apart by one binary feature (the other feature is noise
 * the trees may split on too): each quantile model must land on its group's
 * empirical quantile of y. Group 0: y uniform on [0, 1); group 1: y uniform
 * on [1, 3). The targets are a fine grid, so the empirical quantiles are
 * known exactly; with eta 0.5 and hessian 1 every round moves a leaf by
 * 0.5 (alpha - share below), which settles within a few grid steps. */
Test(gbdt, pinball_objective_finds_each_groups_quantile)
{
    size_t n = 2000;
    double *x = malloc(n * 2 * sizeof *x);
    double *y = malloc(n * sizeof *y);
    int8_t *label = malloc(n);
    for (size_t i = 0; i < n; i++) {
        size_t g = i % 2, k = i / 2; /* k = 0..999 in each group */
        x[i * 2] = (double)g;
        x[i * 2 + 1] = (double)((i * 7919) % 13);
        y[i] = g == 0 ? (double)k / 1000.0 : 1.0 + 2.0 * (double)k / 1000.0;
        label[i] = (int8_t)(k % 3);
    }
    qf_gbdt_data d = {x, n, 2, label, y};
    qf_gbdt_params p = small();
    p.n_estimators = 60;
    p.learning_rate = 0.5;
    p.max_depth = 1; /* one split per tree: on the group feature */
    qf_gbdt *m = train_ok(&d, &p, NULL);
    for (size_t g = 0; g < 2; g++) {
        double row[2] = {(double)g, 3.0};
        double q[5];
        qf_err err;
        cr_assert_eq(qf_gbdt_predict_row(m, row, NULL, q, &err), QF_OK, "%s", err.msg);
        for (size_t k = 0; k < 5; k++) {
            double a = p.quantiles[k];
            double want = g == 0 ? a * 0.999 : 1.0 + 2.0 * a * 0.999;
            double step = g == 0 ? 0.001 : 0.002; /* the grid of y */
            cr_expect(fabs(q[k] - want) <= 5 * step, "group %zu alpha %g: %.6f, want %.6f", g, a,
                      q[k], want);
        }
    }
    qf_gbdt_free(m);
    free(x);
    free(y);
    free(label);
}

/* A model that can learn nothing from its features (one constant column,
 * one that is pure noise with depth-1 trees of at least 900 rows per leaf)
 * starts from and stays near the empirical quantile: boosting begins at
 * base_score = the alpha-quantile of the targets. */
Test(gbdt, starts_from_the_empirical_quantile)
{
    size_t n = 1000;
    double *x = malloc(n * 2 * sizeof *x);
    double *y = malloc(n * sizeof *y);
    double *sorted = malloc(n * sizeof *sorted);
    int8_t *label = malloc(n);
    for (size_t i = 0; i < n; i++) {
        x[i * 2] = 1.0;
        x[i * 2 + 1] = (double)(i % 2);
        y[i] = sin((double)i * 12.9898) * 0.05; /* deterministic, spread over [-0.05, 0.05] */
        label[i] = (int8_t)(i % 3);
    }
    qf_gbdt_data d = {x, n, 2, label, y};
    qf_gbdt_params p = small();
    p.n_estimators = 1;
    qf_gbdt_rows rows;
    qf_gbdt *m = train_ok(&d, &p, &rows);
    cr_expect_eq(rows.n_constant, 1);
    cr_expect_eq(rows.constant_mask, 1);
    double row[2] = {1.0, 0.0};
    double q[5];
    qf_err err;
    cr_assert_eq(qf_gbdt_predict_row(m, row, NULL, q, &err), QF_OK, "%s", err.msg);
    for (size_t k = 0; k < 5; k++) {
        memcpy(sorted, y, n * sizeof *y);
        double want = qf_gbdt_empirical_quantile(sorted, n, p.quantiles[k]);
        /* one round moves a leaf by at most eta * max(alpha, 1 - alpha) * share imbalance;
         * the noise column splits 500/500 with each half's share below near alpha */
        cr_expect(fabs(q[k] - want) < 2e-3, "alpha %g: %.6f vs %.6f", p.quantiles[k], q[k], want);
    }
    qf_gbdt_free(m);
    free(x);
    free(y);
    free(sorted);
    free(label);
}

/* ---- real data ----------------------------------------------------------- */

Test(gbdt, btc_probabilities_sum_to_one_and_quantiles_are_sorted)
{
    btc_set s = btc(4000, 2000);
    qf_gbdt_params p = small();
    qf_gbdt_rows rows;
    qf_gbdt *m = train_ok(&s.d, &p, &rows);
    cr_expect_eq(rows.total, 2000);
    /* features need 30 bars of history; the last 12 bars have no label */
    cr_expect_eq(rows.nan_skipped, 29, "%zu", rows.nan_skipped);
    cr_expect_eq(rows.unlabeled, 12, "%zu", rows.unlabeled);
    cr_expect_eq(rows.used, 2000 - 29 - 12);
    cr_expect_eq(rows.class_counts[0] + rows.class_counts[1] + rows.class_counts[2], rows.used);
    double *proba, *q;
    predict_all(m, &s.d, &proba, &q);
    for (size_t i = 0; i < s.n; i++) {
        const double *pr = proba + i * 3;
        if (i < 29) {
            cr_expect(isnan(pr[0]) && isnan(q[i * 5]), "row %zu has a NaN feature", i);
            continue;
        }
        cr_assert(fabs(pr[0] + pr[1] + pr[2] - 1.0) < 1e-6, "row %zu: %g", i,
                  pr[0] + pr[1] + pr[2]);
        for (int c = 0; c < 3; c++)
            cr_assert(pr[c] > 0 && pr[c] < 1);
        for (size_t k = 1; k < 5; k++)
            cr_assert_leq(q[i * 5 + k - 1], q[i * 5 + k], "row %zu: quantiles cross", i);
    }
    free(proba);
    free(q);
    qf_gbdt_free(m);
    btc_free(&s);
}

/* On its own training rows a pinball model's coverage (share of outcomes
 * below the predicted alpha-quantile) is close to alpha: boosting drives
 * every leaf towards that share. Tolerance: 0.06 absolute. (The steps have a
 * fixed size, eta (alpha - share below) in units of the target scale, so
 * rows that trees isolate overshoot a little and the outer quantiles of the
 * training rows come out slightly wide: 0.054 and 0.935 for 0.1 and 0.9.) */
Test(gbdt, btc_training_coverage_is_near_alpha)
{
    btc_set s = btc(8000, 2000);
    qf_gbdt_params p = small();
    qf_gbdt *m = train_ok(&s.d, &p, NULL);
    double *proba, *q;
    predict_all(m, &s.d, &proba, &q);
    for (size_t k = 0; k < 5; k++) {
        size_t below = 0, used = 0;
        for (size_t i = 0; i < s.n; i++) {
            if (!usable(&s.d, i))
                continue;
            used++;
            below += s.target[i] < q[i * 5 + k];
        }
        double cov = (double)below / (double)used;
        cr_log_info("alpha %g: training coverage %.3f", p.quantiles[k], cov);
        cr_expect(fabs(cov - p.quantiles[k]) < 0.06, "alpha %g: coverage %.3f", p.quantiles[k],
                  cov);
    }
    free(proba);
    free(q);
    qf_gbdt_free(m);
    btc_free(&s);
}

Test(gbdt, row_and_batch_predictions_are_identical)
{
    btc_set s = btc(1000, 1500);
    qf_gbdt_params p = small();
    qf_gbdt *m = train_ok(&s.d, &p, NULL);
    double *proba, *q;
    predict_all(m, &s.d, &proba, &q);
    qf_err err;
    for (size_t i = 0; i < s.n; i++) {
        double pr[3], qr[5];
        cr_assert_eq(qf_gbdt_predict_row(m, s.x + i * NF, pr, qr, &err), QF_OK, "%s", err.msg);
        cr_assert_eq(memcmp(pr, proba + i * 3, sizeof pr), 0, "row %zu", i);
        cr_assert_eq(memcmp(qr, q + i * 5, sizeof qr), 0, "row %zu", i);
    }
    /* Either output may be left out. */
    double qr[5];
    cr_assert_eq(qf_gbdt_predict_row(m, s.x + 700 * NF, NULL, qr, &err), QF_OK);
    cr_expect_eq(memcmp(qr, q + 700 * 5, sizeof qr), 0);
    free(proba);
    free(q);
    qf_gbdt_free(m);
    btc_free(&s);
}

/* Same data, parameters and seed: the same model bit for bit, whatever the
 * thread count; another seed with row subsampling gives another model. */
Test(gbdt, deterministic_for_a_seed)
{
    btc_set s = btc(12000, 1500);
    qf_gbdt_params p = small();
    p.subsample = 0.8;
    p.n_threads = 2;
    qf_gbdt *a = train_ok(&s.d, &p, NULL);
    p.n_threads = 1;
    qf_gbdt *b = train_ok(&s.d, &p, NULL);
    p.seed = 7;
    qf_gbdt *c = train_ok(&s.d, &p, NULL);
    double *pa, *qa, *pb, *qb, *pc, *qc;
    predict_all(a, &s.d, &pa, &qa);
    predict_all(b, &s.d, &pb, &qb);
    predict_all(c, &s.d, &pc, &qc);
    size_t np = s.n * 3 * sizeof(double), nq = s.n * 5 * sizeof(double);
    cr_expect_eq(memcmp(pa, pb, np), 0, "classifier differs between two trainings");
    cr_expect_eq(memcmp(qa, qb, nq), 0, "quantiles differ between two trainings");
    cr_expect_neq(memcmp(pa, pc, np), 0, "another seed, another subsample");
    /* The saved JSON is identical too. */
    for (size_t part = 0; part <= 5; part++) {
        char *ja, *jb;
        size_t la, lb;
        qf_err err;
        cr_assert_eq(qf_gbdt_part_json(a, part, &ja, &la, &err), QF_OK, "%s", err.msg);
        cr_assert_eq(qf_gbdt_part_json(b, part, &jb, &lb, &err), QF_OK, "%s", err.msg);
        cr_expect(la == lb && memcmp(ja, jb, la) == 0, "part %zu", part);
        free(ja);
        free(jb);
    }
    free(pa), free(qa), free(pb), free(qb), free(pc), free(qc);
    qf_gbdt_free(a);
    qf_gbdt_free(b);
    qf_gbdt_free(c);
    btc_free(&s);
}

/* ---- serialisation ------------------------------------------------------ */

/* Reloads every part of m into a new model. */
static qf_gbdt *reload(qf_gbdt *m)
{
    size_t nq = qf_gbdt_n_quantiles(m);
    double alphas[QF_GBDT_QUANTILES_MAX];
    for (size_t k = 0; k < nq; k++)
        alphas[k] = qf_gbdt_alpha(m, k);
    qf_gbdt *r = NULL;
    qf_err err;
    cr_assert_eq(qf_gbdt_new(qf_gbdt_n_features(m), alphas, nq, 1, &r, &err), QF_OK, "%s", err.msg);
    for (size_t part = 0; part <= nq; part++) {
        char *text;
        size_t len;
        cr_assert_eq(qf_gbdt_part_json(m, part, &text, &len, &err), QF_OK, "%s", err.msg);
        cr_assert_eq(text[0], '{');
        cr_assert_eq(qf_gbdt_load_part(r, part, text, len, &err), QF_OK, "part %zu: %s", part,
                     err.msg);
        free(text);
    }
    return r;
}

Test(gbdt, json_round_trip_predicts_the_same)
{
    btc_set s = btc(2000, 1200);
    qf_gbdt_params p = small();
    qf_gbdt *m = train_ok(&s.d, &p, NULL);
    qf_gbdt *r = reload(m);
    double *p1, *q1, *p2, *q2;
    predict_all(m, &s.d, &p1, &q1);
    predict_all(r, &s.d, &p2, &q2);
    cr_expect_eq(memcmp(p1, p2, s.n * 3 * sizeof(double)), 0);
    cr_expect_eq(memcmp(q1, q2, s.n * 5 * sizeof(double)), 0);
    free(p1), free(q1), free(p2), free(q2);
    qf_gbdt_free(m);
    qf_gbdt_free(r);
    btc_free(&s);
}

Test(gbdt, bad_json_and_wrong_parts_are_refused)
{
    btc_set s = btc(2000, 1200);
    qf_gbdt_params p = small();
    p.n_estimators = 3;
    qf_gbdt *m = train_ok(&s.d, &p, NULL);
    double alphas[5];
    memcpy(alphas, p.quantiles, sizeof alphas);
    qf_gbdt *r = NULL;
    qf_err err;
    cr_assert_eq(qf_gbdt_new(NF, alphas, 5, 1, &r, &err), QF_OK);
    /* Not loaded yet: no prediction. */
    double row[NF] = {0}, pr[3];
    cr_expect_eq(qf_gbdt_predict_row(r, row, pr, NULL, &err), QF_ESTATE);
    cr_expect(strstr(err.msg, "not loaded") != NULL, "%s", err.msg);

    char *cls, *q25;
    size_t lc, lq;
    cr_assert_eq(qf_gbdt_part_json(m, 0, &cls, &lc, &err), QF_OK);
    cr_assert_eq(qf_gbdt_part_json(m, 2, &q25, &lq, &err), QF_OK);
    /* Truncated, garbage and empty text. */
    cr_expect_eq(qf_gbdt_load_part(r, 0, cls, lc / 2, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "xgboost") != NULL && strchr(err.msg, '\n') == NULL, "%s", err.msg);
    cr_expect_eq(qf_gbdt_load_part(r, 0, "{\"learner\": 1}", 14, &err), QF_EPARSE);
    cr_expect_eq(qf_gbdt_load_part(r, 0, "not json", 8, &err), QF_EPARSE);
    cr_expect_eq(qf_gbdt_load_part(r, 0, "", 0, &err), QF_EPARSE);
    /* The classifier in a quantile slot and the reverse, a quantile of another alpha. */
    cr_expect_eq(qf_gbdt_load_part(r, 1, cls, lc, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "not the quantile") != NULL, "%s", err.msg);
    cr_expect_eq(qf_gbdt_load_part(r, 0, q25, lq, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "not the classifier") != NULL, "%s", err.msg);
    cr_expect_eq(qf_gbdt_load_part(r, 1, q25, lq, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "0.25") != NULL && strstr(err.msg, "0.1") != NULL, "%s", err.msg);
    /* Another feature count. */
    qf_gbdt *narrow = NULL;
    cr_assert_eq(qf_gbdt_new(NF - 1, alphas, 5, 1, &narrow, &err), QF_OK);
    cr_expect_eq(qf_gbdt_load_part(narrow, 0, cls, lc, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "features") != NULL, "%s", err.msg);
    /* A failed load leaves the slot as it was: still not loaded. */
    cr_expect_eq(qf_gbdt_predict_row(r, row, pr, NULL, &err), QF_ESTATE);
    cr_expect_eq(qf_gbdt_load_part(r, 6, cls, lc, &err), QF_EINVAL);
    free(cls);
    free(q25);
    qf_gbdt_free(narrow);
    qf_gbdt_free(r);
    qf_gbdt_free(m);
    btc_free(&s);
}

/* ---- bad input ---------------------------------------------------------- */

static void expect_refused(const qf_gbdt_data *d, const qf_gbdt_params *p, qf_rc code,
                           const char *needle)
{
    qf_gbdt *m = (qf_gbdt *)&m; /* must stay untouched */
    qf_gbdt *keep = m;
    qf_err err;
    cr_expect_eq(qf_gbdt_train(d, p, &m, NULL, &err), code, "%s", err.msg);
    cr_expect(strstr(err.msg, needle) != NULL, "'%s' not in '%s'", needle, err.msg);
    cr_expect_eq(m, keep);
}

Test(gbdt, too_little_data_names_the_minimum)
{
    qf_gbdt_params p = small();
    btc_set s = btc(3000, 240);
    qf_gbdt_data d = s.d;
    d.n_rows = 150;
    expect_refused(&d, &p, QF_EINVAL, "150 bars, at least 200 needed (portfolio.min_train_bars)");
    /* 240 bars, 29 without every feature, 12 without a label: 199 usable */
    expect_refused(&s.d, &p, QF_EINVAL,
                   "199 usable rows of 240 bars (29 with a NaN feature, 12 unlabeled), at least "
                   "200 needed (portfolio.min_valid_labels)");
    btc_free(&s);
    s = btc(3000, 241);
    qf_gbdt_rows rows;
    qf_gbdt *m = train_ok(&s.d, &p, &rows);
    cr_expect_eq(rows.used, 200);
    qf_gbdt_free(m);
    btc_free(&s);
}

Test(gbdt, single_class_and_constant_features_are_refused)
{
    btc_set s = btc(3000, 600);
    qf_gbdt_params p = small();
    for (size_t i = 0; i < s.n; i++)
        if (s.label[i] >= 0)
            s.label[i] = QF_LABEL_UP;
    expect_refused(&s.d, &p, QF_EINVAL, "all 559 training labels are one class (up)");
    for (size_t i = 0; i < s.n; i++)
        if (s.label[i] >= 0)
            s.label[i] = (int8_t)(i % 2);
    for (size_t i = 29; i < s.n; i++)
        for (size_t f = 0; f < NF; f++)
            s.x[i * NF + f] = (double)f;
    expect_refused(&s.d, &p, QF_EINVAL, "every feature is constant over the 559 training rows");
    btc_free(&s);
}

Test(gbdt, bad_labels_and_infinite_targets_are_refused)
{
    btc_set s = btc(3000, 400);
    qf_gbdt_params p = small();
    s.label[77] = 3;
    expect_refused(&s.d, &p, QF_EINVAL, "row 77: label 3");
    s.label[77] = 1;
    s.target[81] = -INFINITY;
    expect_refused(&s.d, &p, QF_EINVAL, "row 81: target is -inf");
    /* NaN and infinite features only skip their rows. */
    s.target[81] = 0.01;
    s.x[100 * NF + 3] = NAN;
    s.x[101 * NF + 5] = INFINITY;
    qf_gbdt_rows rows;
    qf_gbdt *m = train_ok(&s.d, &p, &rows);
    cr_expect_eq(rows.nan_skipped, 29 + 2);
    qf_gbdt_free(m);
    btc_free(&s);
}

Test(gbdt, bad_parameters_name_their_key)
{
    qf_gbdt_params p = qf_gbdt_params_default();
    qf_err err;
    cr_assert_eq(qf_gbdt_params_check(&p, &err), QF_OK);
    p.n_estimators = 0;
    cr_expect_eq(qf_gbdt_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "model.n_estimators") != NULL, "%s", err.msg);
    p = qf_gbdt_params_default();
    p.learning_rate = 0;
    cr_expect_eq(qf_gbdt_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "model.learning_rate") != NULL, "%s", err.msg);
    p = qf_gbdt_params_default();
    p.subsample = 1.5;
    cr_expect_eq(qf_gbdt_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "model.subsample") != NULL, "%s", err.msg);
    p = qf_gbdt_params_default();
    p.quantiles[2] = 0.2;
    cr_expect_eq(qf_gbdt_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "increasing") != NULL, "%s", err.msg);

    qf_config cfg;
    qf_config_init(&cfg);
    p = qf_gbdt_params_from_config(&cfg);
    qf_gbdt_params d = qf_gbdt_params_default();
    cr_expect_eq(memcmp(&p, &d, sizeof p), 0, "config defaults = qf_gbdt_params_default");
}

/* ---- cross-validation --------------------------------------------------- */

static size_t fold_calls;
static void count_progress(void *ud, size_t done, size_t total)
{
    (void)ud;
    fold_calls++;
    cr_assert_leq(done, total);
}

Test(gbdt, cross_validation_is_purged_and_out_of_sample)
{
    btc_set s = btc(10000, 2400);
    qf_gbdt_params p = small();
    qf_wf_params wf = {
        .train_bars = 1000, .test_bars = 100, .purge_bars = 3, .embargo_bars = 2, .horizon = 12};
    qf_gbdt_cv cv;
    qf_err err;
    fold_calls = 0;
    cr_assert_eq(qf_gbdt_cross_validate(&s.d, &p, &wf, 29, count_progress, NULL, &cv, &err), QF_OK,
                 "%s", err.msg);
    cr_expect_eq(cv.purge, 12);
    cr_expect_eq(cv.n_folds, qf_wf_count(&wf, 29, s.n));
    cr_expect_eq(fold_calls, cv.n_folds);
    size_t scored = 0;
    for (size_t k = 0; k < cv.n_folds; k++) {
        const qf_gbdt_cv_fold *f = &cv.folds[k];
        cr_assert_lt(f->split.train_end - 1 + wf.horizon, f->split.test_begin);
        cr_expect_eq(f->train.total, 1000);
        cr_expect_leq(f->test.n, 100);
        cr_expect(f->test.accuracy >= 0 && f->test.accuracy <= 1);
        for (size_t q = 0; q < 5; q++)
            cr_expect(f->test.coverage[q] >= 0 && f->test.coverage[q] <= 1);
        scored += f->test.n;
    }
    cr_expect_eq(cv.overall.n, scored);
    cr_expect(isfinite(cv.overall.log_loss) && cv.overall.log_loss > 0);
    /* Coverage rises with alpha (quantiles never cross). */
    for (size_t q = 1; q < 5; q++)
        cr_expect_geq(cv.overall.coverage[q], cv.overall.coverage[q - 1]);
    json_t *j = qf_gbdt_cv_to_json(&cv, 1);
    cr_assert_not_null(j);
    cr_expect_eq(json_integer_value(json_object_get(j, "purge_bars")), 12);
    cr_expect_eq(json_array_size(json_object_get(j, "per_fold")), cv.n_folds);
    json_t *q0 = json_array_get(json_object_get(json_object_get(j, "overall"), "quantiles"), 0);
    cr_expect_float_eq(json_real_value(json_object_get(q0, "alpha")), 0.1, 1e-12);
    json_decref(j);
    cr_log_info("cv: %zu folds, accuracy %.3f (majority baseline %.3f), log loss %.3f", cv.n_folds,
                cv.overall.accuracy, cv.overall.baseline_accuracy, cv.overall.log_loss);
    qf_gbdt_cv_cleanup(&cv);

    /* Too few bars for one fold. */
    qf_gbdt_data d = s.d;
    d.n_rows = 1100;
    cr_expect_eq(qf_gbdt_cross_validate(&d, &p, &wf, 29, NULL, NULL, &cv, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "1000 + 12 + 100") != NULL, "%s", err.msg);
    btc_free(&s);
}

/* ---- rows from bars ----------------------------------------------------- */

Test(gbdt, dataset_is_the_normalised_features_labels_and_returns)
{
    qf_bars all = qf_test_bars("BTCUSDT");
    qf_bars b = all;
    b.n = 800;
    qf_config cfg;
    qf_config_init(&cfg);
    qf_gbdt_dataset ds;
    qf_gbdt_dataset_init(&ds);
    qf_err err;
    cr_assert_eq(qf_gbdt_dataset_build(&b, &cfg, &ds, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(ds.n, 800);
    cr_expect_eq(ds.n_features, NF);
    /* Every feature from bar 29, then 100 bars of z-score history ending a bar back. */
    cr_expect_eq(ds.first, 129);
    cr_expect_eq(ds.data.x, ds.x);
    cr_expect_eq(ds.data.n_rows, 800);
    double *cols = malloc(800 * NF * sizeof *cols);
    double *z = malloc(800 * NF * sizeof *z);
    int8_t *label = malloc(800);
    qf_feature_params fp = qf_feature_params_default();
    qf_label_params lp = qf_label_params_default();
    cr_assert_eq(qf_features_compute(&b, &fp, cols, &err), QF_OK);
    for (size_t f = 0; f < NF; f++)
        cr_assert_eq(qf_zscore_rolling(cols + f * 800, 800, 100, 1, z + f * 800, &err), QF_OK);
    cr_assert_eq(qf_label_triple_barrier(b.close, 800, &lp, label, &err), QF_OK);
    for (size_t i = 0; i < 800; i++) {
        for (size_t f = 0; f < NF; f++) {
            double want = z[f * 800 + i], got = ds.x[i * NF + f];
            cr_assert((isnan(want) && isnan(got)) || want == got, "row %zu feature %zu", i, f);
        }
        cr_assert_eq(ds.label[i], label[i]);
        double r = i + 12 < 800 ? log(b.close[i + 12] / b.close[i]) : NAN;
        cr_assert((isnan(r) && isnan(ds.target[i])) || fabs(r - ds.target[i]) < 1e-15, "%zu", i);
    }
    /* Bad parameters leave the dataset as it was. */
    cfg.features.normalization.window = 1;
    cr_expect_eq(qf_gbdt_dataset_build(&b, &cfg, &ds, &err), QF_EINVAL);
    cr_expect_eq(ds.n, 800);
    free(cols);
    free(z);
    free(label);
    qf_gbdt_dataset_cleanup(&ds);
    qf_bars_cleanup(&all);
}
