/*
 * indicators.h - technical indicator kernels over plain arrays.
 *
 * Conventions shared by every kernel (TA-Lib's, so results agree with TA-Lib
 * to rounding on the same input):
 * - Inputs are n values per series, oldest first; outputs are arrays of n
 *   values the caller supplies, aligned with the input: out[i] belongs to bar
 *   i. Bars before the kernel's lookback (its first valid index, given by the
 *   matching *_start function) are set to NaN; when n <= lookback every
 *   output is NaN.
 * - Outputs must not alias inputs (the running sums re-read old inputs).
 * - Inputs are expected finite; a NaN propagates into the outputs it touches.
 * - Kernels allocate nothing, keep no state and do no I/O. A bad parameter
 *   returns QF_EINVAL naming it, with the outputs untouched.
 * - Periods are in bars. Where TA-Lib offers a "compatibility" choice the
 *   default is used: EMA seeded with the SMA of its first period values,
 *   Wilder smoothing for RSI/ATR/ADX, population standard deviation.
 */
#ifndef QF_FEATURES_INDICATORS_H
#define QF_FEATURES_INDICATORS_H

#include <stddef.h>

#include "core/err.h"

#define QF_IND_PERIOD_MAX 100000 /* longer periods are refused, as in TA-Lib */

/* Lookbacks: the index of the first valid output, or -1 when a parameter is
 * out of range. */
int qf_ind_sma_start(int period);                        /* period - 1 */
int qf_ind_ema_start(int period);                        /* period - 1 */
int qf_ind_wma_start(int period);                        /* period - 1 */
int qf_ind_rsi_start(int period);                        /* period */
int qf_ind_trange_start(void);                           /* 1 */
int qf_ind_atr_start(int period);                        /* period */
int qf_ind_stddev_start(int period);                     /* period - 1 */
int qf_ind_bbands_start(int period);                     /* period - 1 */
int qf_ind_macd_start(int fast, int slow, int signal);   /* slow - 1 + signal - 1 */
int qf_ind_roc_start(int period);                        /* period */
int qf_ind_mom_start(int period);                        /* period */
int qf_ind_adx_start(int period);                        /* 2 * period - 1 */
int qf_ind_obv_start(void);                              /* 0 */
int qf_ind_stoch_start(int fastk, int slowk, int slowd); /* fastk-1 + slowk-1 + slowd-1 */
int qf_ind_vwap_start(int period);                       /* period - 1 */

/* Simple moving average: mean of x[i-period+1 .. i]. */
QF_NODISCARD qf_rc qf_ind_sma(const double *x, size_t n, int period, double *out, qf_err *err);

/* Exponential moving average, k = 2 / (period + 1), seeded at bar period-1
 * with the SMA of the first period values: e_i = e_{i-1} + k (x_i - e_{i-1}). */
QF_NODISCARD qf_rc qf_ind_ema(const double *x, size_t n, int period, double *out, qf_err *err);

/* Linearly weighted moving average: weights 1 (oldest) .. period (newest). */
QF_NODISCARD qf_rc qf_ind_wma(const double *x, size_t n, int period, double *out, qf_err *err);

/* Relative strength index (Wilder): average gain and loss seeded with the
 * plain mean of the first period changes, then g = (g (period-1) + gain) /
 * period; RSI = 100 g / (g + l), 0 when g + l is 0. */
QF_NODISCARD qf_rc qf_ind_rsi(const double *x, size_t n, int period, double *out, qf_err *err);

/* True range: max(high_i, close_{i-1}) - min(low_i, close_{i-1}). */
QF_NODISCARD qf_rc qf_ind_trange(const double *high, const double *low, const double *close,
                                 size_t n, double *out, qf_err *err);

/* Average true range (Wilder): seeded at bar period with the mean of the true
 * ranges of bars 1..period, then a = (a (period-1) + tr) / period. */
QF_NODISCARD qf_rc qf_ind_atr(const double *high, const double *low, const double *close, size_t n,
                              int period, double *out, qf_err *err);

/* Population standard deviation over period bars, times nbdev. */
QF_NODISCARD qf_rc qf_ind_stddev(const double *x, size_t n, int period, double nbdev, double *out,
                                 qf_err *err);

/* Bollinger bands: middle = SMA(period), upper/lower = middle +/- k sigma
 * with sigma the population standard deviation of the same window. Any of
 * the three outputs may be NULL. */
QF_NODISCARD qf_rc qf_ind_bbands(const double *x, size_t n, int period, double k_up, double k_down,
                                 double *out_upper, double *out_middle, double *out_lower,
                                 qf_err *err);

/* Bollinger %B: (x - lower) / (upper - lower) for the bands above with
 * k_up = k_down = k; NaN where the bands have zero width (a flat window). */
QF_NODISCARD qf_rc qf_ind_pct_b(const double *x, size_t n, int period, double k, double *out,
                                qf_err *err);

/* MACD as TA-Lib computes it: the fast and slow EMAs both start at bar
 * slow-1 (each seeded with the SMA of its own last period values there),
 * macd = fast - slow, signal = EMA(signal) of macd seeded with the SMA of its
 * first signal values, hist = macd - signal. All three outputs start at
 * qf_ind_macd_start; fast < slow is required. out_macd and out_hist are
 * required (they double as the EMA columns); out_signal may be NULL. */
QF_NODISCARD qf_rc qf_ind_macd(const double *x, size_t n, int fast, int slow, int signal,
                               double *out_macd, double *out_signal, double *out_hist, qf_err *err);

/* Rate of change in percent: (x_i / x_{i-period} - 1) * 100; 0 when the old
 * value is 0 (TA-Lib's choice). */
QF_NODISCARD qf_rc qf_ind_roc(const double *x, size_t n, int period, double *out, qf_err *err);

/* Momentum: x_i - x_{i-period}. */
QF_NODISCARD qf_rc qf_ind_mom(const double *x, size_t n, int period, double *out, qf_err *err);

/* Average directional index (Wilder), TA-Lib's exact recurrence: +DM/-DM and
 * TR Wilder-summed, DX = 100 |+DI - -DI| / (+DI + -DI), the first ADX the mean
 * of period DX values, then Wilder-smoothed. */
QF_NODISCARD qf_rc qf_ind_adx(const double *high, const double *low, const double *close, size_t n,
                              int period, double *out, qf_err *err);

/* On-balance volume, starting from volume_0 at bar 0 (TA-Lib). */
QF_NODISCARD qf_rc qf_ind_obv(const double *close, const double *volume, size_t n, double *out,
                              qf_err *err);

/* Stochastic oscillator: fast %K = 100 (close - lowest low) / (highest high -
 * lowest low) over fastk bars (0 on a flat window), slow %K = SMA(slowk) of
 * fast %K, slow %D = SMA(slowd) of slow %K. Both outputs start at
 * qf_ind_stoch_start. Either output may be NULL. */
QF_NODISCARD qf_rc qf_ind_stoch(const double *high, const double *low, const double *close,
                                size_t n, int fastk, int slowk, int slowd, double *out_k,
                                double *out_d, qf_err *err);

/* Rolling VWAP: sum(close * volume) / sum(volume) over period bars; NaN when
 * the window traded no volume. */
QF_NODISCARD qf_rc qf_ind_vwap(const double *close, const double *volume, size_t n, int period,
                               double *out, qf_err *err);

#endif
