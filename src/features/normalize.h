/*
 * normalize.h - rolling z-score normalisation of feature columns, batch and
 * streaming (bit-identical, like the feature set itself).
 *
 * z_t = (x_t - mean) / max(sd, 1e-10), where mean and the sample standard
 * deviation (ddof 1) are taken over the `window` values that end `shift`
 * bars before t: x[t-shift-window+1 .. t-shift]. With the defaults (window
 * 100, shift 1) that is t-100 .. t-1, so bar t's own value never enters its
 * statistics. z_t is NaN while that window is incomplete or holds a NaN, and
 * when x_t is NaN.
 */
#ifndef QF_FEATURES_NORMALIZE_H
#define QF_FEATURES_NORMALIZE_H

#include <stddef.h>

#include "core/err.h"

#define QF_ZSCORE_SD_FLOOR 1e-10

/* QF_EINVAL unless window >= 2 and 0 <= shift <= QF_IND_PERIOD_MAX. */
QF_NODISCARD qf_rc qf_zscore_check(int window, int shift, qf_err *err);

/* Batch over one column; out must not alias x. Allocates nothing. */
QF_NODISCARD qf_rc qf_zscore_rolling(const double *x, size_t n, int window, int shift, double *out,
                                     qf_err *err);

/* Batch over `columns` columns of n values each, column-major (x[c*n + i],
 * the feature set's layout), into out (same layout, not aliasing x). The
 * columns are independent, so they are shared out over `threads` threads
 * (<= 0: one per core); each column's result is the same bits as
 * qf_zscore_rolling, whatever the thread count. Allocates nothing. */
QF_NODISCARD qf_rc qf_zscore_rolling_columns(const double *x, size_t n, size_t columns, int window,
                                             int shift, int threads, double *out, qf_err *err);

typedef struct qf_zscore_stream qf_zscore_stream;

/* Streaming state for `columns` independent columns (a feature row at a
 * time). NULL-safe free. */
QF_NODISCARD qf_rc qf_zscore_stream_new(size_t columns, int window, int shift,
                                        qf_zscore_stream **out_stream, qf_err *err);
void qf_zscore_stream_free(qf_zscore_stream *s);

/* Feeds one row of `columns` values and writes their z-scores to out. */
void qf_zscore_stream_push(qf_zscore_stream *s, const double *row, double *out);

#endif
