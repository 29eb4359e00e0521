/*
 * forest.h - a compiled tree ensemble: an XGBoost 1.7 gbtree model, read
 * from its JSON, predicting one row with no library call and no allocation.
 * For qf_gbdt's default models (classifier + 5 quantiles, 1,600 trees) one
 * row takes ~1.9 us with the AVX-512 kernel and ~5.8 us with the portable
 * one, where qf_gbdt_predict_row (XGBoost) takes ~72 us on the same
 * machine (bench/bench_forest.c).
 *
 * A qf_forest predicts what XGBoost's CPU predictor predicts for the same
 * model and row, bit for bit (tested on every row of the bundled BTC series,
 * rows with NaN features included, against XGBoosterPredictFromDense):
 *   - the row is converted to float once, as XGBoost does; NaN is a missing
 *     value and takes the node's default branch; +-inf and doubles beyond
 *     float's range (which become +-inf) are ordinary values;
 *   - a split sends the row left when `value < threshold` (float compare);
 *   - each output group starts from base_score and adds its trees' leaf
 *     values one by one in tree order, in float;
 *   - multi:softprob then applies XGBoost's softmax (max, expf, a double
 *     sum, a float divide); the regression objectives return the sum as is.
 * The outputs are the model's own (what XGBoost's predict returns): gbdt.c's
 * target scale and quantile sorting stay with the caller.
 *
 * Supported: learner version 1.7.x, booster "gbtree", objectives
 * multi:softprob, reg:squarederror, reg:squaredlogerror, reg:pseudohubererror
 * and reg:absoluteerror, numerical splits. Everything else (dart and
 * gblinear boosters, categorical splits, multi-target models, other
 * objectives or versions, malformed trees) is refused with QF_EUNSUPPORTED
 * or QF_EPARSE naming what was found; so is a base_score of more than 9
 * significant digits, which XGBoost 1.7 silently reads as 0.5 (it writes
 * at most 9).
 *
 * Out of memory while building is QF_ENOMEM, except that jansson reports
 * some of its own allocation failures while parsing as malformed text
 * (QF_EPARSE); nothing is leaked either way.
 *
 * One caveat on "bit for bit": jansson reads a JSON number as a double and
 * the forest rounds it to float, where XGBoost rounds the decimal to float
 * directly. The two differ only for a decimal within 2^-54 (relative) of a
 * midpoint between two floats without being on it; none of the models in
 * the tests has one, and the tests would show it.
 *
 * A qf_forest is immutable once built: any number of threads may predict
 * with one at the same time.
 */
#ifndef QF_MODEL_FOREST_H
#define QF_MODEL_FOREST_H

#include <stddef.h>

#include "core/err.h"

/* Most input columns a forest takes (the model's num_feature). */
#define QF_FOREST_FEATURES_MAX 255
/* Most outputs a forest may have (all its models'). */
#define QF_FOREST_GROUPS_MAX 4096
/* Most nodes one tree may have (reachable from its root). */
#define QF_FOREST_TREE_NODES_MAX (1u << 23)

typedef struct qf_forest qf_forest;

/* Builds a forest from len bytes of an XGBoost model saved as JSON
 * (XGBoosterSaveModelToBuffer with {"format": "json"}; qf_gbdt_part_json).
 * QF_EPARSE for text that is not such a model or whose trees are broken
 * (the message names the tree, node and field), QF_EUNSUPPORTED for a model
 * the forest does not implement (see above), QF_ENOMEM. *out_forest is set
 * only on success; the caller frees it with qf_forest_free. Memory comes
 * from jansson's allocator (json_get_alloc_funcs: malloc unless a program
 * set its own), in two blocks at most. */
QF_NODISCARD qf_rc qf_forest_from_json(const char *text, size_t len, qf_forest **out_forest,
                                       qf_err *err);

/* Several models over the same features as one forest: n_parts JSON texts
 * (texts[p], lens[p] bytes). Its outputs are part 0's, then part 1's, and
 * so on (qf_gbdt's parts: the 3 class probabilities, then each quantile
 * model's output); each part keeps its own base_score and objective. One
 * forest instead of several bins the row once and interleaves the models'
 * sums (see forest.c). Errors as qf_forest_from_json, naming the part
 * ("forest: part 2: ...") when there are several; parts over different
 * numbers of features are QF_EINVAL. */
QF_NODISCARD qf_rc qf_forest_from_json_parts(const char *const *texts, const size_t *lens,
                                             size_t n_parts, qf_forest **out_forest, qf_err *err);

/* Frees the forest; NULL does nothing. */
void qf_forest_free(qf_forest *f);

/* Input columns per row (the model's num_feature). */
size_t qf_forest_n_features(const qf_forest *f);
/* Outputs per row, all parts' (a part: num_class for multi:softprob, else 1). */
size_t qf_forest_n_groups(const qf_forest *f);
/* Trees, all parts'. */
size_t qf_forest_n_trees(const qf_forest *f);

/* How a forest finds each tree's leaf; every kernel gives the same bits. */
typedef enum qf_forest_kernel {
    QF_FOREST_KERNEL_AUTO = 0,   /* the fastest available (what a new forest uses) */
    QF_FOREST_KERNEL_SCALAR = 1, /* portable C: walks 16 trees in lockstep */
    QF_FOREST_KERNEL_AVX512 = 2, /* x86-64 with AVX-512 F, BW and VBMI: 64 trees a level at a
                                    time; trees of at most 7 levels, at most 64 features of at
                                    most 255 distinct thresholds each (XGBoost's hist: 256 bins) */
} qf_forest_kernel;

/* Makes f predict with `kernel` (for tests and benchmarks; call before f is
 * shared between threads). QF_EUNSUPPORTED when this CPU or this model
 * cannot use it, QF_EINVAL for an unknown kernel; f is unchanged then. */
QF_NODISCARD qf_rc qf_forest_set_kernel(qf_forest *f, qf_forest_kernel kernel, qf_err *err);

/* The kernel f predicts with (never QF_FOREST_KERNEL_AUTO). */
qf_forest_kernel qf_forest_kernel_used(const qf_forest *f);

/* Predicts one row of n_features doubles into out_values[0..n_groups):
 * class probabilities for multi:softprob, the model's output otherwise.
 * QF_EINVAL when n_features is not the forest's (out_values untouched).
 * Allocates nothing; reads only f, x and the stack. */
QF_NODISCARD qf_rc qf_forest_predict_row(const qf_forest *f, const double *x, size_t n_features,
                                         float *out_values, qf_err *err);

/* The same for n_rows rows (row-major, n_features each): out_values[i *
 * n_groups + g]. Each row is predicted exactly as by qf_forest_predict_row. */
QF_NODISCARD qf_rc qf_forest_predict(const qf_forest *f, const double *x, size_t n_rows,
                                     size_t n_features, float *out_values, qf_err *err);

#endif
