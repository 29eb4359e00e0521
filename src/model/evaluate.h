/*
 * evaluate.h - out-of-sample scores of a classifier and of quantile
 * forecasts, as walk-forward folds report them. Pure; rows whose label is
 * -1 or whose target is NaN are skipped and the number scored is returned.
 *
 *   accuracy   share of rows whose most probable class is the label (ties:
 *              the lowest class)
 *   log loss   mean of -ln p[label], p clipped to [1e-15, 1] (sklearn's
 *              convention, so one confident miss costs 34.5, not infinity)
 *   pinball    mean over rows of alpha (y - q) if y >= q else (1 - alpha)(q - y)
 *   coverage   share of rows with y < q (the outcome below the predicted
 *              alpha-quantile: alpha for calibrated forecasts)
 */
#ifndef QF_MODEL_EVALUATE_H
#define QF_MODEL_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#define QF_EVAL_CLASSES 3

/* prob: n rows of QF_EVAL_CLASSES probabilities, row-major. */
typedef struct qf_class_scores {
    size_t n;        /* rows scored */
    double accuracy; /* NaN when n = 0 */
    double log_loss; /* NaN when n = 0 */
} qf_class_scores;

qf_class_scores qf_eval_classifier(const double *prob, const int8_t *label, size_t n);

typedef struct qf_quantile_scores {
    size_t n;        /* rows scored */
    double pinball;  /* NaN when n = 0 */
    double coverage; /* NaN when n = 0 */
} qf_quantile_scores;

/* q: the forecast alpha-quantile per row; y: the outcome. */
qf_quantile_scores qf_eval_quantile(const double *q, const double *y, size_t n, double alpha);

/* The pinball loss of one forecast. */
static inline double qf_pinball(double y, double q, double alpha)
{
    return y >= q ? alpha * (y - q) : (1.0 - alpha) * (q - y);
}

#endif
