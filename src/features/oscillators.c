/*
 * oscillators.c - RSI, rate of change, momentum, MACD, stochastic.
 */
#include "features/ind_int.h"

int qf_ind_rsi_start(int period)
{
    return period >= 1 && period <= QF_IND_PERIOD_MAX ? period : -1;
}

int qf_ind_roc_start(int period)
{
    return qf_ind_rsi_start(period);
}

int qf_ind_mom_start(int period)
{
    return qf_ind_rsi_start(period);
}

int qf_ind_macd_start(int fast, int slow, int signal)
{
    if (qf_ind_ema_start(fast) < 0 || qf_ind_ema_start(slow) < 0 || qf_ind_ema_start(signal) < 0 ||
        fast >= slow)
        return -1;
    return slow - 1 + signal - 1;
}

int qf_ind_stoch_start(int fastk, int slowk, int slowd)
{
    if (qf_ind_sma_start(fastk) < 0 || qf_ind_sma_start(slowk) < 0 || qf_ind_sma_start(slowd) < 0)
        return -1;
    return fastk - 1 + slowk - 1 + slowd - 1;
}

static qf_rc check_x(const char *kernel, const double *x, size_t n, const double *out, int period,
                     qf_err *err)
{
    if (ind_check_period(kernel, "period", period, err) != QF_OK ||
        ind_check_ptr(kernel, x, "input", n, err) != QF_OK ||
        ind_check_ptr(kernel, out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    return QF_OK;
}

static double rsi_value(double gain, double loss)
{
    double total = gain + loss;
    return IND_IS_ZERO(total) ? 0.0 : 100.0 * (gain / total);
}

qf_rc qf_ind_rsi(const double *x, size_t n, int period, double *out, qf_err *err)
{
    if (check_x("rsi", x, n, out, period, err) != QF_OK)
        return QF_EINVAL;
    size_t p = (size_t)period;
    ind_fill_nan(out, 0, p < n ? p : n);
    if (n <= p)
        return QF_OK;
    double gain = 0.0;
    double loss = 0.0;
    for (size_t i = 1; i <= p; i++) {
        double d = x[i] - x[i - 1];
        if (d < 0.0)
            loss -= d;
        else
            gain += d;
    }
    gain /= period;
    loss /= period;
    out[p] = rsi_value(gain, loss);
    for (size_t i = p + 1; i < n; i++) {
        double d = x[i] - x[i - 1];
        loss *= period - 1;
        gain *= period - 1;
        if (d < 0.0)
            loss -= d;
        else
            gain += d;
        loss /= period;
        gain /= period;
        out[i] = rsi_value(gain, loss);
    }
    return QF_OK;
}

qf_rc qf_ind_roc(const double *x, size_t n, int period, double *out, qf_err *err)
{
    if (check_x("roc", x, n, out, period, err) != QF_OK)
        return QF_EINVAL;
    size_t p = (size_t)period;
    ind_fill_nan(out, 0, p < n ? p : n);
    for (size_t i = p; i < n; i++) {
        double old = x[i - p];
        out[i] = old != 0.0 ? (x[i] / old - 1.0) * 100.0 : 0.0;
    }
    return QF_OK;
}

qf_rc qf_ind_mom(const double *x, size_t n, int period, double *out, qf_err *err)
{
    if (check_x("mom", x, n, out, period, err) != QF_OK)
        return QF_EINVAL;
    size_t p = (size_t)period;
    ind_fill_nan(out, 0, p < n ? p : n);
    for (size_t i = p; i < n; i++)
        out[i] = x[i] - x[i - p];
    return QF_OK;
}

/* No scratch memory: the slow EMA is built in out_hist and the fast EMA in
 * out_macd (macd = fast - slow in place); the signal EMA then reads macd from
 * bar slow-1 on and is written to out_hist before hist replaces it. */
qf_rc qf_ind_macd(const double *x, size_t n, int fast, int slow, int signal, double *out_macd,
                  double *out_signal, double *out_hist, qf_err *err)
{
    if (ind_check_period("macd", "fast period", fast, err) != QF_OK ||
        ind_check_period("macd", "slow period", slow, err) != QF_OK ||
        ind_check_period("macd", "signal period", signal, err) != QF_OK ||
        ind_check_ptr("macd", x, "input", n, err) != QF_OK ||
        ind_check_ptr("macd", out_macd, "macd output", n, err) != QF_OK ||
        ind_check_ptr("macd", out_hist, "hist output", n, err) != QF_OK)
        return QF_EINVAL;
    if (fast >= slow)
        return qf_err_set(err, QF_EINVAL, "macd: fast period (%d) must be below slow period (%d)",
                          fast, slow);
    double *m = out_macd;
    double *h = out_hist;
    size_t seed = (size_t)slow - 1;
    size_t start = seed + (size_t)signal - 1;
    if (n > seed) {
        ind_ema_run(x, n, slow, 2.0 / (slow + 1.0), seed, h);
        ind_ema_run(x, n, fast, 2.0 / (fast + 1.0), seed, m);
        for (size_t i = seed; i < n; i++)
            m[i] -= h[i];
    }
    if (n > start) {
        ind_ema_run(m, n, signal, 2.0 / (signal + 1.0), start, h);
        for (size_t i = start; i < n; i++) {
            double sig = h[i];
            if (out_signal != NULL)
                out_signal[i] = sig;
            h[i] = m[i] - sig;
        }
    }
    size_t lim = start < n ? start : n;
    ind_fill_nan(out_macd, 0, lim);
    ind_fill_nan(out_signal, 0, lim);
    ind_fill_nan(out_hist, 0, lim);
    return QF_OK;
}

#define FAST_K_TILE 256

/* Fast %K of a tile from its window extremes: 100 (c - lo) / (hi - lo),
 * 0 for a flat window, TA-Lib's operations in its order. */
QF_WIDE static void fast_k_tile(const double *restrict close, const double *restrict hi,
                                const double *restrict lo, size_t m, double *restrict out)
{
    for (size_t j = 0; j < m; j++) {
        double diff = (hi[j] - lo[j]) / 100.0;
        out[j] = diff != 0.0 ? (close[j] - lo[j]) / diff : 0.0;
    }
}

/* Largest high and smallest low of the p-bar windows ending at the m bars
 * of a tile. high and low point p-1 bars before the tile, so len = m + p - 1
 * values are read. By doubling (a sparse table built in place): after the
 * pass of width w, a[i] is the extreme of w bars from i on, and a window of
 * p is the overlap of two windows of the largest power of two W <= p. That
 * is log2(p) + 1 wide passes with no branch, where tracking the extreme by
 * index (TA-Lib's way) branches on every new high or low. Max and min are
 * exact, so the values are the same. Each pass reads a[i + w] before it is
 * overwritten (i ascends), so the passes run in place. */
QF_WIDE static void window_extremes(const double *restrict high, const double *restrict low,
                                    size_t len, size_t p, double *restrict hi, double *restrict lo)
{
    size_t w = 1;
    for (size_t i = 0; i < len; i++) {
        hi[i] = high[i];
        lo[i] = low[i];
    }
    for (; 2 * w <= p; w *= 2)
        for (size_t i = 0; i + w < len; i++) {
            hi[i] = hi[i] > hi[i + w] ? hi[i] : hi[i + w];
            lo[i] = lo[i] < lo[i + w] ? lo[i] : lo[i + w];
        }
    size_t off = p - w, m = len + 1 - p;
    for (size_t k = 0; k < m; k++) {
        hi[k] = hi[k] > hi[k + off] ? hi[k] : hi[k + off];
        lo[k] = lo[k] < lo[k + off] ? lo[k] : lo[k + off];
    }
}

/* Fast %K at every bar from p-1 on, tile by tile. Windows longer than a
 * tile track the extremes by index instead and rescan only when one leaves
 * the window (TA-Lib's way: O(1) amortised on market data, no memory). */
static void fast_k(const double *high, const double *low, const double *close, size_t n, size_t p,
                   double *out)
{
    double hi[2 * FAST_K_TILE], lo[2 * FAST_K_TILE];
    if (p <= FAST_K_TILE + 1) {
        for (size_t t = p - 1; t < n; t += FAST_K_TILE) {
            size_t m = n - t < FAST_K_TILE ? n - t : FAST_K_TILE;
            window_extremes(high + t + 1 - p, low + t + 1 - p, m + p - 1, p, hi, lo);
            fast_k_tile(close + t, hi, lo, m, out + t);
        }
        return;
    }
    size_t hi_idx = 0;
    size_t lo_idx = 0;
    int have = 0;
    for (size_t t = p - 1; t < n; t += FAST_K_TILE) {
        size_t m = n - t < FAST_K_TILE ? n - t : FAST_K_TILE;
        for (size_t k = 0; k < m; k++) {
            size_t i = t + k;
            size_t first = i + 1 - p;
            if (!have || hi_idx < first) {
                hi_idx = first;
                for (size_t j = first + 1; j <= i; j++)
                    if (high[j] >= high[hi_idx])
                        hi_idx = j;
            } else if (high[i] >= high[hi_idx]) {
                hi_idx = i;
            }
            if (!have || lo_idx < first) {
                lo_idx = first;
                for (size_t j = first + 1; j <= i; j++)
                    if (low[j] <= low[lo_idx])
                        lo_idx = j;
            } else if (low[i] <= low[lo_idx]) {
                lo_idx = i;
            }
            have = 1;
            hi[k] = high[hi_idx];
            lo[k] = low[lo_idx];
        }
        fast_k_tile(close + t, hi, lo, m, out + t);
    }
}

qf_rc qf_ind_stoch(const double *high, const double *low, const double *close, size_t n, int fastk,
                   int slowk, int slowd, double *out_k, double *out_d, qf_err *err)
{
    if (ind_check_period("stoch", "fastk period", fastk, err) != QF_OK ||
        ind_check_period("stoch", "slowk period", slowk, err) != QF_OK ||
        ind_check_period("stoch", "slowd period", slowd, err) != QF_OK ||
        ind_check_ptr("stoch", high, "high", n, err) != QF_OK ||
        ind_check_ptr("stoch", low, "low", n, err) != QF_OK ||
        ind_check_ptr("stoch", close, "close", n, err) != QF_OK ||
        ind_check_ptr("stoch", out_k, "k output", n, err) != QF_OK ||
        ind_check_ptr("stoch", out_d, "d output", n, err) != QF_OK)
        return QF_EINVAL;
    size_t start = (size_t)qf_ind_stoch_start(fastk, slowk, slowd);
    /* fast %K -> out_d, slow %K = SMA(out_d) -> out_k, slow %D = SMA(out_k) -> out_d */
    if (n >= (size_t)fastk) {
        fast_k(high, low, close, n, (size_t)fastk, out_d);
        ind_sma_run(out_d, n, (size_t)fastk - 1, slowk, out_k);
        ind_sma_run(out_k, n, (size_t)fastk - 1 + (size_t)slowk - 1, slowd, out_d);
    }
    ind_fill_nan(out_k, 0, start < n ? start : n);
    ind_fill_nan(out_d, 0, start < n ? start : n);
    return QF_OK;
}
