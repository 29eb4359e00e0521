/*
 * labels.h - training targets from closes: triple-barrier class labels and
 * the forward log return over the same horizon.
 *
 * Triple barrier, for bar i with entry close c_i: the upper barrier is
 * c_i (1 + pt), the lower c_i (1 - sl). Bars i+1 .. i+max_holding are
 * scanned in order; the first close at or above the upper barrier gives 2
 * (up), the first at or below the lower gives 0 (down). When neither is
 * touched and the whole window exists, the return at the time barrier,
 * c_{i+h} / c_i - 1, decides: above neutral -> 2, below -neutral -> 0,
 * else 1. Bars without a whole window (the last max_holding bars) are
 * unlabeled, -1, even if a barrier is touched inside the partial window:
 * whether a bar is labeled must not depend on where the series ends.
 *
 * Label i looks at closes i+1 .. i+h: it is known at the close of bar i+h.
 * A model deciding at bar t may train on labels of bars i <= t - h only
 * (qf_label_known_by).
 */
#ifndef QF_MODEL_LABELS_H
#define QF_MODEL_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

#define QF_LABEL_DOWN    0
#define QF_LABEL_NEUTRAL 1
#define QF_LABEL_UP      2
#define QF_LABEL_NONE    (-1)

/* model.labeling in the config. */
typedef struct qf_label_params {
    double profit_taking_pct; /* pt, > 0 */
    double stop_loss_pct;     /* sl, in (0, 1) */
    int max_holding_bars;     /* h, >= 1 */
    double neutral_pct;       /* >= 0 */
} qf_label_params;

/* 0.03, 0.015, 12, 0.005. */
qf_label_params qf_label_params_default(void);

/* model.labeling of a loaded config. */
qf_label_params qf_label_params_from_config(const qf_config_labeling *c);

/* QF_EINVAL naming the first bad parameter. */
QF_NODISCARD qf_rc qf_label_params_check(const qf_label_params *p, qf_err *err);

/* Labels of n bars into out[0..n): 0, 1, 2, or -1 where the window is not
 * whole or a close in it (or c_i) is not finite and positive. */
QF_NODISCARD qf_rc qf_label_triple_barrier(const double *close, size_t n, const qf_label_params *p,
                                           int8_t *out, qf_err *err);

/* Forward log return ln(c_{i+h} / c_i) into out[0..n); NaN for the last h
 * bars and where a close is not finite and positive. */
QF_NODISCARD qf_rc qf_forward_log_return(const double *close, size_t n, int horizon, double *out,
                                         qf_err *err);

/* The last bar whose label is known at the close of bar t: t - h, or -1
 * when none is. */
static inline int64_t qf_label_known_by(int64_t t, int horizon)
{
    return t - horizon >= 0 ? t - horizon : -1;
}

#endif
