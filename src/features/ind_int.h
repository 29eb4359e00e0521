/*
 * ind_int.h - helpers shared by the indicator kernels (private).
 */
#ifndef QF_FEATURES_IND_INT_H
#define QF_FEATURES_IND_INT_H

#include <math.h>
#include <stddef.h>

#include "core/err.h"
#include "features/indicators.h"
#include "core/simd.h"

/* TA-Lib treats |v| < 1e-14 as zero when dividing by a sum of averages. */
#define IND_IS_ZERO(v) (-1e-14 < (v) && (v) < 1e-14)

/* QF_EINVAL unless 1 <= period <= QF_IND_PERIOD_MAX. */
qf_rc ind_check_period(const char *kernel, const char *name, int period, qf_err *err);

/* QF_EINVAL when an array argument is NULL (n > 0). */
qf_rc ind_check_ptr(const char *kernel, const void *p, const char *name, size_t n, qf_err *err);

/* Sets out[from .. to-1] to NaN (clamped to n); out may be NULL. */
void ind_fill_nan(double *out, size_t from, size_t to);

/* True range of a bar against the previous close: max(high, prev_close) -
 * min(low, prev_close). The same bits as TA-Lib's max(h - l, |h - pc|,
 * |l - pc|): whichever term wins, it is the same single subtraction. */
static inline double ind_true_range(double high, double low, double prev_close)
{
    double hi = high > prev_close ? high : prev_close;
    double lo = low < prev_close ? low : prev_close;
    return hi - lo;
}

/* Variance of a sliding window of p values from running sums of deviations
 * from an anchor k: s1 = sum(x - k), s2 = sum((x - k)^2). Every p bars the
 * anchor moves to the window's mean and both sums are recomputed exactly, so
 * (a) the cancellation in s2/p - (s1/p)^2 stays small (the mean drifts little
 * in p bars), unlike TA-Lib's raw sums of x^2 (BTC at 1e5 with sigma 10 loses
 * eight digits), and (b) rounding never accumulates for longer than p bars.
 * O(1) amortised per bar. */
typedef struct ind_win {
    double k;
    double s1;
    double s2;
} ind_win;

/* Re-anchors on the window x[0 .. p-1]. */
static inline void ind_win_anchor(ind_win *w, const double *x, size_t p)
{
    double sum = 0.0;
    for (size_t i = 0; i < p; i++)
        sum += x[i];
    w->k = sum / (double)p;
    w->s1 = 0.0;
    w->s2 = 0.0;
    for (size_t i = 0; i < p; i++) {
        double d = x[i] - w->k;
        w->s1 += d;
        w->s2 += d * d;
    }
}

static inline void ind_win_slide(ind_win *w, double x_old, double x_new)
{
    double d_old = x_old - w->k;
    double d_new = x_new - w->k;
    w->s1 += d_new - d_old;
    w->s2 += d_new * d_new - d_old * d_old;
}

/* Sum of squared deviations from the window mean (>= 0). */
static inline double ind_win_m2(const ind_win *w, size_t p)
{
    double m2 = w->s2 - w->s1 * w->s1 / (double)p;
    return m2 > 0.0 ? m2 : 0.0;
}

static inline double ind_win_mean(const ind_win *w, size_t p)
{
    return w->k + w->s1 / (double)p;
}

/* True when the window ending at bar i re-anchors: the first full window
 * (ending at first_end) and every p-th one after it. Batch kernels and their
 * streaming twins follow this one schedule, so they agree bit for bit. */
#define IND_WIN_REANCHOR(i, first_end, p) ((((i) - (first_end)) % (p)) == 0)

/* y[i] = sqrt(x[i]) for i < m. A loop calling sqrt() never vectorizes
 * while sqrt may set errno (gcc keeps a call for negative arguments), and
 * square roots are the slowest operation here, so the widest square root
 * instruction the CPU has is called directly. Every width rounds correctly,
 * as sqrt() does: the same bits. */
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static inline void ind_sqrt_avx512(const double *x, double *y,
                                                                      size_t m)
{
    size_t i = 0;
    for (; i + 8 <= m; i += 8)
        _mm512_storeu_pd(y + i, _mm512_sqrt_pd(_mm512_loadu_pd(x + i)));
    for (; i < m; i++)
        y[i] = sqrt(x[i]);
}

__attribute__((target("avx"))) static inline void ind_sqrt_avx(const double *x, double *y, size_t m)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4)
        _mm256_storeu_pd(y + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
    for (; i < m; i++)
        y[i] = sqrt(x[i]);
}

static inline void ind_sqrt_n(const double *x, double *y, size_t m)
{
    if (__builtin_cpu_supports("avx512f")) {
        ind_sqrt_avx512(x, y, m);
        return;
    }
    if (__builtin_cpu_supports("avx")) {
        ind_sqrt_avx(x, y, m);
        return;
    }
    size_t i = 0;
    for (; i + 2 <= m; i += 2)
        _mm_storeu_pd(y + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
    for (; i < m; i++)
        y[i] = sqrt(x[i]);
}
#else
static inline void ind_sqrt_n(const double *x, double *y, size_t m)
{
    for (size_t i = 0; i < m; i++)
        y[i] = sqrt(x[i]);
}
#endif

/* SMA of x into out for bars >= first + period - 1 (bars from `first` on
 * hold data; earlier ones are ignored). Bars before the first valid one are
 * left alone. Running sum in TA-Lib's order. */
void ind_sma_run(const double *x, size_t n, size_t first, int period, double *out);

/* EMA with factor k seeded at bar `seed_at` with the SMA of the period values
 * ending there (seed_at >= period - 1), written to out[seed_at .. n-1]. */
void ind_ema_run(const double *x, size_t n, int period, double k, size_t seed_at, double *out);

#endif
