/*
 * ind_int.h - helpers shared by the indicator kernels (private).
 */
#ifndef QF_FEATURES_IND_INT_H
#define QF_FEATURES_IND_INT_H

#include <math.h>
#include <stddef.h>

#include "core/err.h"
#include "features/indicators.h"

/* TA-Lib treats |v| < 1e-14 as zero when dividing by a sum of averages. */
#define IND_IS_ZERO(v) (-1e-14 < (v) && (v) < 1e-14)

/* QF_EINVAL unless 1 <= period <= QF_IND_PERIOD_MAX. */
qf_rc ind_check_period(const char *kernel, const char *name, int period, qf_err *err);

/* QF_EINVAL when an array argument is NULL (n > 0). */
qf_rc ind_check_ptr(const char *kernel, const void *p, const char *name, size_t n, qf_err *err);

/* Sets out[from .. to-1] to NaN (clamped to n); out may be NULL. */
void ind_fill_nan(double *out, size_t from, size_t to);

/* SMA of x into out for bars >= first + period - 1 (bars from `first` on
 * hold data; earlier ones are ignored). Bars before the first valid one are
 * left alone. Running sum in TA-Lib's order. */
void ind_sma_run(const double *x, size_t n, size_t first, int period, double *out);

/* EMA with factor k seeded at bar `seed_at` with the SMA of the period values
 * ending there (seed_at >= period - 1), written to out[seed_at .. n-1]. */
void ind_ema_run(const double *x, size_t n, int period, double k, size_t seed_at, double *out);

#endif
