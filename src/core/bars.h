/*
 * bars.h - candles as columns (struct of arrays): the layout the indicator
 * kernels, feature sets and backtest engines read.
 */
#ifndef QF_CORE_BARS_H
#define QF_CORE_BARS_H

#include <stddef.h>
#include <stdint.h>

#include "core/candles.h"
#include "core/err.h"

typedef struct qf_bars {
    int64_t *open_time; /* UTC ms, strictly increasing */
    double *open;
    double *high;
    double *low;
    double *close;
    double *volume; /* base asset */
    size_t n;
} qf_bars;

/* Empty columns; cannot fail. */
void qf_bars_init(qf_bars *b);

/* Frees the columns and leaves b empty. */
void qf_bars_cleanup(qf_bars *b);

/* Replaces b's content with columns copied from c (one allocation). On
 * failure (QF_ENOMEM) b is unchanged. */
QF_NODISCARD qf_rc qf_bars_from_candles(qf_bars *b, const qf_candles *c, qf_err *err);

/* Allocates n uninitialised rows (one block), replacing b's content. On
 * failure (QF_ENOMEM, or n too large) b is unchanged. */
QF_NODISCARD qf_rc qf_bars_alloc(qf_bars *b, size_t n, qf_err *err);

#endif
