/*
 * gbdt.h - gradient-boosted trees (XGBoost's C API) for the triple-barrier
 * label and the quantiles of the forward log return.
 *
 * One qf_gbdt holds the models trained on the same rows:
 *   - a 3-class classifier (multi:softprob) of the label: 0 down, 1 neutral,
 *     2 up; it predicts the three class probabilities (they sum to 1);
 *   - one regressor per quantile alpha of the forward log return, trained
 *     with the pinball loss through XGBoost's custom-objective path
 *     (XGBoosterBoostOneIter). For a prediction p and an outcome y the loss
 *     is alpha (y - p) when y >= p, else (1 - alpha) (p - y); its gradient is
 *     -alpha when y > p, 1 - alpha when y < p, 0 when y == p (a subgradient),
 *     and the hessian is taken as 1. With hessian 1 a leaf moves its rows by
 *     eta (alpha n_above - (1 - alpha) n_below) / (n + lambda): towards the
 *     point where a share alpha of the leaf's outcomes lies below. Boosting
 *     starts from the empirical alpha-quantile of the training targets
 *     (base_score), so a model that learns nothing predicts that quantile.
 *     The predicted quantiles of a row are sorted so they never cross.
 *
 * Trees: tree_method hist, grow_policy lossguide, max_leaves = num_leaves.
 * Training is deterministic: the same data, parameters and seed give the same
 * trees bit for bit (also across thread counts with XGBoost 1.7's hist).
 *
 * Rows: the caller passes bars in time order, a row-major matrix of doubles
 * and the label and target of each row. A row with a non-finite feature is
 * skipped (counted in nan_skipped); a row whose label is -1 or whose target
 * is NaN is skipped as unlabeled. Everything else must be valid: a label
 * outside -1..2 or an infinite target is QF_EINVAL naming the row.
 *
 * Errors from XGBoost become a qf_err naming the call and XGBoost's own
 * message (without its stack trace). A qf_gbdt is used by one thread at a
 * time: prediction reuses buffers inside it.
 */
#ifndef QF_MODEL_GBDT_H
#define QF_MODEL_GBDT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/bars.h"
#include "core/config.h"
#include "core/err.h"
#include "model/walkforward.h"

#define QF_GBDT_CLASSES       3
#define QF_GBDT_QUANTILES_MAX 16 /* = QF_CONFIG_QUANTILES_MAX */
#define QF_GBDT_FEATURES_MAX  64 /* columns of the input matrix */

/* model.* (and portfolio.min_*) of the config. */
typedef struct qf_gbdt_params {
    int n_estimators;        /* boosting rounds per model, 1..100000 */
    double learning_rate;    /* eta, (0, 1] */
    int max_depth;           /* tree depth limit; <= 0: none (num_leaves still limits) */
    int num_leaves;          /* XGBoost max_leaves (lossguide), >= 2 */
    double min_child_weight; /* least hessian in a leaf (rows, for the quantile models), >= 0 */
    double subsample;        /* share of rows sampled per tree, (0, 1] */
    int seed;                /* >= 0 */
    int n_threads;           /* XGBoost threads; 0 = one per core */
    double quantiles[QF_GBDT_QUANTILES_MAX]; /* alphas, strictly increasing in (0, 1) */
    size_t n_quantiles;                      /* 0..QF_GBDT_QUANTILES_MAX */
    size_t min_train_bars;   /* fewer rows given: refused (portfolio.min_train_bars) */
    size_t min_valid_labels; /* fewer usable rows: refused (portfolio.min_valid_labels) */
} qf_gbdt_params;

/* The defaults of config/default.yaml: 200 trees, eta 0.05, depth 6, 31
 * leaves, min_child_weight 1, subsample 1, seed 42, threads 0, quantiles
 * 0.1 0.25 0.5 0.75 0.9, min_train_bars 200, min_valid_labels 200. */
qf_gbdt_params qf_gbdt_params_default(void);

/* The parameters of a (validated) configuration. */
qf_gbdt_params qf_gbdt_params_from_config(const qf_config *cfg);

/* QF_EINVAL naming the first bad parameter. */
QF_NODISCARD qf_rc qf_gbdt_params_check(const qf_gbdt_params *p, qf_err *err);

/* Training or evaluation rows: bars in time order. */
typedef struct qf_gbdt_data {
    const double *x;      /* row-major: x[i * n_features + f] */
    size_t n_rows;        /* bars */
    size_t n_features;    /* 1..QF_GBDT_FEATURES_MAX */
    const int8_t *label;  /* per row: 0, 1, 2, or -1 (unlabeled) */
    const double *target; /* per row: forward log return, NaN when unlabeled */
} qf_gbdt_data;

/* What became of the rows of one training. */
typedef struct qf_gbdt_rows {
    size_t total;       /* rows given */
    size_t used;        /* rows trained on */
    size_t nan_skipped; /* rows with a non-finite feature */
    size_t unlabeled;   /* rows with finite features but label -1 or a NaN target */
    size_t class_counts[QF_GBDT_CLASSES]; /* labels of the used rows */
    size_t n_constant;      /* feature columns constant over the used rows (useless) */
    uint64_t constant_mask; /* bit f set: feature f is constant */
} qf_gbdt_rows;

/* Sorts the rows into used and skipped (above) without training. QF_EINVAL
 * for a bad label or an infinite target (naming the row) or bad shapes. */
QF_NODISCARD qf_rc qf_gbdt_count_rows(const qf_gbdt_data *d, qf_gbdt_rows *out_rows, qf_err *err);

typedef struct qf_gbdt qf_gbdt;

/* Trains the classifier and one quantile regressor per p->quantiles on the
 * usable rows of d. Refused with QF_EINVAL, before any training:
 *   - fewer than p->min_train_bars rows given, or fewer than
 *     p->min_valid_labels usable rows (the message names both counts, the
 *     minimum and its config key);
 *   - every usable label the same class (a classifier needs two);
 *   - every feature constant over the usable rows (nothing to learn).
 * Single constant columns are allowed and reported (out_rows->n_constant).
 * out_rows (may be NULL) is filled whenever the rows could be counted, also
 * when training is then refused. *out_model is set only on success; the
 * caller frees it with qf_gbdt_free. */
QF_NODISCARD qf_rc qf_gbdt_train(const qf_gbdt_data *d, const qf_gbdt_params *p,
                                 qf_gbdt **out_model, qf_gbdt_rows *out_rows, qf_err *err);

/* Frees the model; NULL does nothing. */
void qf_gbdt_free(qf_gbdt *m);

size_t qf_gbdt_n_features(const qf_gbdt *m);
size_t qf_gbdt_n_quantiles(const qf_gbdt *m);
/* Alpha of quantile model k (< qf_gbdt_n_quantiles). */
double qf_gbdt_alpha(const qf_gbdt *m, size_t k);

/* Predicts one row of n_features values: out_proba (may be NULL) gets the
 * QF_GBDT_CLASSES class probabilities, out_q (may be NULL) the n_quantiles
 * quantiles, ascending. A row with a non-finite feature gets NaN everywhere
 * (no prediction). Allocates nothing on QuantFlow's side: the row is copied
 * into a buffer XGBoost reads through a prepared array interface and a
 * reused proxy DMatrix, on one thread (n_threads applies to batches). */
QF_NODISCARD qf_rc qf_gbdt_predict_row(qf_gbdt *m, const double *x, double *out_proba,
                                       double *out_q, qf_err *err);

/* Whether one-row predictions go through the compiled forest (on, the
 * default: model/forest.h, the same bits) or through XGBoost itself (off:
 * for comparisons and benchmarks). */
void qf_gbdt_set_forest(qf_gbdt *m, int on);

/* The same for n_rows rows (row-major, n_features each) in one call per
 * model: out_proba[i * 3 + c], out_q[i * n_quantiles + k]. Bit-identical to
 * predicting the rows one at a time. */
QF_NODISCARD qf_rc qf_gbdt_predict(qf_gbdt *m, const double *x, size_t n_rows, double *out_proba,
                                   double *out_q, qf_err *err);

/* Serialisation, one XGBoost JSON document per part: part 0 is the
 * classifier, part k (1..n_quantiles) the quantile model k - 1. */

/* The part as XGBoost JSON (XGBoosterSaveModelToBuffer, format json) in a
 * malloc'd, NUL-terminated buffer the caller frees; *out_len its length. */
QF_NODISCARD qf_rc qf_gbdt_part_json(qf_gbdt *m, size_t part, char **out_text, size_t *out_len,
                                     qf_err *err);

/* An empty model of n_features inputs and the given quantile alphas, to be
 * filled with qf_gbdt_load_part for every part; it predicts only then. */
QF_NODISCARD qf_rc qf_gbdt_new(size_t n_features, const double *alphas, size_t n_quantiles,
                               int n_threads, qf_gbdt **out_model, qf_err *err);

/* Loads part `part` from len bytes of XGBoost JSON and checks it is what
 * this part must be: the classifier (3 classes) or the regressor of the
 * part's alpha (both recorded as booster attributes when trained), over
 * n_features inputs. QF_EPARSE when the text does not load or does not
 * match; the part is then left as it was. */
QF_NODISCARD qf_rc qf_gbdt_load_part(qf_gbdt *m, size_t part, const char *text, size_t len,
                                     qf_err *err);

/* The XGBoost library version, "1.7.4", into out (size bytes). */
void qf_gbdt_library_version(char *out, size_t size);

/* The empirical alpha-quantile of n values (numpy's default, linear
 * interpolation between order statistics: h = (n - 1) alpha). Sorts `v` in
 * place. NaN when n == 0. */
double qf_gbdt_empirical_quantile(double *v, size_t n, double alpha);

/* Pinball-loss gradient and hessian for n predictions (see above). */
void qf_gbdt_pinball_grad(const float *pred, const double *y, size_t n, double alpha, float *grad,
                          float *hess);

/* ---- cross-validation --------------------------------------------------- */

/* Out-of-sample scores of a set of test rows (model/evaluate.h). */
typedef struct qf_gbdt_scores {
    size_t n;                               /* test rows scored */
    double accuracy;                        /* most probable class == label */
    double baseline_accuracy;               /* always predicting the training majority class */
    double log_loss;                        /* mean -ln p[label], p clipped at 1e-15 */
    double pinball[QF_GBDT_QUANTILES_MAX];  /* mean pinball loss per quantile */
    double coverage[QF_GBDT_QUANTILES_MAX]; /* share of outcomes below each predicted quantile */
} qf_gbdt_scores;

typedef struct qf_gbdt_cv_fold {
    qf_wf_fold split;    /* bar (row) ranges of the fold */
    qf_gbdt_rows train;  /* what became of the training rows */
    qf_gbdt_scores test; /* scores on the usable rows of the test window */
} qf_gbdt_cv_fold;

typedef struct qf_gbdt_cv {
    size_t purge;       /* effective purge (max(purge_bars, horizon)) */
    size_t n_quantiles; /* as trained */
    double quantiles[QF_GBDT_QUANTILES_MAX];
    size_t n_folds;
    qf_gbdt_cv_fold *folds; /* n_folds, malloc'd, owned */
    qf_gbdt_scores overall; /* pooled over every scored test row of every fold */
} qf_gbdt_cv;

/* Called after each fold (done = folds finished, total = all folds). */
typedef void (*qf_gbdt_cv_progress)(void *ud, size_t done, size_t total);

void qf_gbdt_cv_init(qf_gbdt_cv *cv);
void qf_gbdt_cv_cleanup(qf_gbdt_cv *cv);

/* Walk-forward cross-validation: for every fold of qf_wf_count(wf, first,
 * d->n_rows), trains on its training window (the purge, at least the label
 * horizon wf->horizon, keeps its labels out of the test window) and scores
 * its test window. Training accuracy is never reported. Zero folds (too few
 * rows) is QF_EINVAL naming the bars one fold needs. A fold whose training
 * is refused fails the whole call, its bar range named. progress may be
 * NULL. On failure *out_cv is left empty. */
QF_NODISCARD qf_rc qf_gbdt_cross_validate(const qf_gbdt_data *d, const qf_gbdt_params *p,
                                          const qf_wf_params *wf, size_t first,
                                          qf_gbdt_cv_progress progress, void *ud,
                                          qf_gbdt_cv *out_cv, qf_err *err);

/* ---- training rows from bars -------------------------------------------- */

/* The rows QuantFlow trains and validates on, built from a series' bars
 * with the configuration: the technical feature set v1 (features.technical)
 * rolling-z-scored (features.normalization), the triple-barrier label and
 * the forward log return over model.labeling.max_holding_bars. */
typedef struct qf_gbdt_dataset {
    size_t n;          /* rows = bars */
    size_t n_features; /* QF_TECH_FEATURES */
    double *x;         /* row-major n x n_features, owned */
    int8_t *label;     /* n, owned */
    double *target;    /* n, owned */
    size_t first;      /* first row whose features are all finite (n when none) */
    qf_gbdt_data data; /* a view of the above, for qf_gbdt_train / cross_validate */
} qf_gbdt_dataset;

void qf_gbdt_dataset_init(qf_gbdt_dataset *ds);
/* Frees what ds owns and empties it; NULL does nothing. */
void qf_gbdt_dataset_cleanup(qf_gbdt_dataset *ds);

/* Builds the rows of bars b into *out (initialised; replaced on success,
 * unchanged on failure). QF_EINVAL for bad feature, normalisation or label
 * parameters. Row t uses bars <= t only for its features; its label and
 * target look max_holding_bars ahead (the last ones are unlabeled). */
QF_NODISCARD qf_rc qf_gbdt_dataset_build(const qf_bars *b, const qf_config *cfg,
                                         qf_gbdt_dataset *out, qf_err *err);

/* ---- JSON (metadata.json, --json output) ------------------------------- */

/* {"total", "used", "nan_skipped", "unlabeled", "class_counts": [down,
 * neutral, up], "constant_features": [column indices]}. NULL on
 * out-of-memory. */
json_t *qf_gbdt_rows_to_json(const qf_gbdt_rows *r);

/* {"n", "accuracy", "baseline_accuracy", "log_loss", "quantiles": [{"alpha",
 * "pinball", "coverage"}, ...]}; NaN is written as null. */
json_t *qf_gbdt_scores_to_json(const qf_gbdt_scores *s, const double *alphas, size_t n_quantiles);

/* {"purge_bars", "folds", "overall": scores, "per_fold": [{"train_begin",
 * "train_end", "test_begin", "test_end" (bar indices), "train_rows", "scores"}]}
 * (per_fold only when with_folds). */
json_t *qf_gbdt_cv_to_json(const qf_gbdt_cv *cv, int with_folds);

#endif
