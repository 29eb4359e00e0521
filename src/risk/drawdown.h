/*
 * drawdown.h - the drawdown monitor: marked-to-market equity against its
 * running peak.
 *
 * Drawdown is measured on equity marked to market, cash + sum(quantity *
 * mark), so an open position's unrealized loss counts the moment the price
 * moves, not when the trade is closed (a book of losing open positions is
 * already in drawdown). qf_drawdown_mtm_equity computes that equity.
 *
 * drawdown = 1 - equity / peak, a positive fraction below the running peak
 * (0 at a new high; above 1 when equity turns negative), 0 while the peak is
 * not positive.
 *
 * On a restart the monitor is seeded from the stored equity history
 * (qf_drawdown_seed; persist.h reads it from the store): the peak is the
 * largest equity ever recorded, so a restart in the middle of a drawdown
 * does not forget it and start over from the current, lower equity.
 *
 * A qf_drawdown is a plain value the caller places (qf_drawdown_init cannot
 * fail and there is nothing to clean up). Functions that fail leave it as it
 * was.
 */
#ifndef QF_RISK_DRAWDOWN_H
#define QF_RISK_DRAWDOWN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/types.h"

typedef struct qf_drawdown {
    double peak;         /* running peak of equity, quote; NaN before the first value */
    int64_t peak_time;   /* when the peak was reached, UTC ms; 0 before the first value */
    double equity;       /* latest equity, quote; NaN before the first value */
    int64_t time;        /* its time, UTC ms; 0 before the first value */
    double drawdown;     /* 1 - equity / peak now, >= 0 */
    double max_drawdown; /* largest drawdown seen, history included */
    size_t n;            /* equity values seen, history included */
} qf_drawdown;

/* An empty monitor: no peak yet, drawdown 0. */
void qf_drawdown_init(qf_drawdown *dd);

/* Marked-to-market equity: cash + sum of quantity * mark_price over the n
 * positions (a zero quantity adds nothing, whatever its mark). QF_EINVAL
 * when cash or a quantity is not finite, or a non-zero quantity has a mark
 * that is not finite and > 0; *out_equity is then unchanged. */
QF_NODISCARD qf_rc qf_drawdown_mtm_equity(double cash, const qf_position *positions, size_t n,
                                          double *out_equity, qf_err *err);

/* Records equity at `time` (UTC ms, not before the latest value's time):
 * raises the peak on a new high, updates drawdown and max_drawdown.
 * QF_EINVAL when equity is not finite or time goes backwards; dd unchanged. */
QF_NODISCARD qf_rc qf_drawdown_update(qf_drawdown *dd, int64_t time, double equity, qf_err *err);

/* Replaces dd's state with the replay of an equity history (times
 * non-decreasing, values finite): peak = the largest value, max_drawdown
 * over the history, equity and drawdown as of the last value. n == 0 leaves
 * an empty monitor. QF_EINVAL naming the first bad entry otherwise; dd is
 * then unchanged. */
QF_NODISCARD qf_rc qf_drawdown_seed(qf_drawdown *dd, const int64_t *times, const double *equity,
                                    size_t n, qf_err *err);

/* Non-zero when the current drawdown is at or past max_drawdown_pct. */
int qf_drawdown_breached(const qf_drawdown *dd, double max_drawdown_pct);

#endif
