/*
 * slippage.h - the live slippage estimator: how far fills land from the
 * price the decision expected, in basis points, over the last
 * QF_SLIPPAGE_WINDOW fills.
 *
 * Slippage of one fill = side * (fill - expected) / expected * 10^4 bps,
 * side +1 for a buy and -1 for a sell, so POSITIVE IS WORSE for us (bought
 * above or sold below the expected price) and negative is price
 * improvement.
 *
 * The 95th percentile is numpy's default ("linear", Hyndman & Fan type 7):
 * over the n window values sorted ascending x[0..n-1], h = 0.95 * (n - 1)
 * and p95 = x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).
 *
 * Pure: a qf_slippage is a plain value the caller places (qf_slippage_init
 * cannot fail, nothing to clean up); no I/O, no allocation.
 */
#ifndef QF_EXEC_SLIPPAGE_H
#define QF_EXEC_SLIPPAGE_H

#include <stddef.h>

#include "core/err.h"
#include "core/types.h"

#define QF_SLIPPAGE_WINDOW 100 /* fills the statistics cover */

typedef struct qf_slippage {
    double bps[QF_SLIPPAGE_WINDOW]; /* ring buffer of the latest fills' slippage */
    double qty[QF_SLIPPAGE_WINDOW]; /* their quantities (base asset) */
    size_t next;                    /* slot the next fill goes to */
    size_t n;                       /* fills in the window, <= QF_SLIPPAGE_WINDOW */
    size_t total;                   /* fills ever recorded */
} qf_slippage;

/* An empty estimator. */
void qf_slippage_init(qf_slippage *s);

/* Records one fill: expected and fill prices finite and > 0, side buy or
 * sell, quantity finite and > 0; otherwise QF_EINVAL naming the field and s
 * is unchanged. The oldest fill leaves the window when it is full.
 * *out_bps (may be NULL) gets this fill's slippage. */
QF_NODISCARD qf_rc qf_slippage_record(qf_slippage *s, double expected_price, double fill_price,
                                      qf_side side, double quantity, double *out_bps, qf_err *err);

/* Fills in the window now. */
size_t qf_slippage_count(const qf_slippage *s);

/* Mean slippage over the window, bps; NaN when empty. */
double qf_slippage_mean(const qf_slippage *s);

/* Quantity-weighted mean over the window, bps; NaN when empty. */
double qf_slippage_weighted_mean(const qf_slippage *s);

/* 95th percentile over the window (numpy "linear", see above), bps; NaN
 * when empty. */
double qf_slippage_p95(const qf_slippage *s);

#endif
