/*
 * volatility.c - true range, ATR, standard deviation, Bollinger bands, %B.
 */
#include "features/ind_int.h"

int qf_ind_trange_start(void)
{
    return 1;
}

int qf_ind_atr_start(int period)
{
    return period >= 1 && period <= QF_IND_PERIOD_MAX ? period : -1;
}

int qf_ind_stddev_start(int period)
{
    return qf_ind_sma_start(period);
}

int qf_ind_bbands_start(int period)
{
    return qf_ind_sma_start(period);
}

static qf_rc check_hlc(const char *kernel, const double *high, const double *low,
                       const double *close, size_t n, const double *out, qf_err *err)
{
    if (ind_check_ptr(kernel, high, "high", n, err) != QF_OK ||
        ind_check_ptr(kernel, low, "low", n, err) != QF_OK ||
        ind_check_ptr(kernel, close, "close", n, err) != QF_OK ||
        ind_check_ptr(kernel, out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    return QF_OK;
}

qf_rc qf_ind_trange(const double *high, const double *low, const double *close, size_t n,
                    double *out, qf_err *err)
{
    if (check_hlc("trange", high, low, close, n, out, err) != QF_OK)
        return QF_EINVAL;
    ind_fill_nan(out, 0, n < 1 ? n : 1);
    for (size_t i = 1; i < n; i++)
        out[i] = ind_true_range(high[i], low[i], close[i - 1]);
    return QF_OK;
}

qf_rc qf_ind_atr(const double *high, const double *low, const double *close, size_t n, int period,
                 double *out, qf_err *err)
{
    if (ind_check_period("atr", "period", period, err) != QF_OK ||
        check_hlc("atr", high, low, close, n, out, err) != QF_OK)
        return QF_EINVAL;
    size_t p = (size_t)period;
    ind_fill_nan(out, 0, p < n ? p : n);
    if (n <= p)
        return QF_OK;
    double sum = 0.0;
    for (size_t i = 1; i <= p; i++)
        sum += ind_true_range(high[i], low[i], close[i - 1]);
    double atr = sum / period;
    out[p] = atr;
    for (size_t i = p + 1; i < n; i++) {
        atr *= period - 1;
        atr += ind_true_range(high[i], low[i], close[i - 1]);
        atr /= period;
        out[i] = atr;
    }
    return QF_OK;
}

/* Bars per tile: the sliding sums run sequentially into a tile's buffers,
 * then the divisions and square roots of the whole tile run in wide loops
 * (the same operations in the same order per bar, so the same bits). */
#define SIGMA_TILE 256

/* var[j] = max(s2 - s1^2 / p, 0) / p: the population variance of a window. */
QF_WIDE static void tile_variance(const double *restrict s1, const double *restrict s2, size_t m,
                                  double p, double *restrict var)
{
    for (size_t j = 0; j < m; j++) {
        double m2 = s2[j] - s1[j] * s1[j] / p;
        var[j] = (m2 > 0.0 ? m2 : 0.0) / p;
    }
}

/* Population standard deviations of the windows (p bars) ending at bars
 * t .. t+m-1 into sigma[0 .. m-1]; w carries the sliding sums from tile to
 * tile (start with zeros at t = p - 1). With mid, the running window sum
 * *sum (TA-Lib's SMA: add the newest, take the mean, drop the oldest) also
 * gives the windows' means: in the same loop, its chain of additions
 * overlaps the sliding sums' instead of running after them. */
static void sigma_tile(ind_win *w, const double *x, size_t t, size_t m, size_t p, double *sigma,
                       double *sum, double *mid)
{
    double s1[SIGMA_TILE], s2[SIGMA_TILE];
    ind_win v = *w; /* a local copy stays in registers (the stores below may alias *w) */
    double total = sum != NULL ? *sum : 0.0;
    for (size_t j = 0; j < m; j++) {
        size_t i = t + j;
        if (IND_WIN_REANCHOR(i, p - 1, p))
            ind_win_anchor(&v, x + i + 1 - p, p);
        else
            ind_win_slide(&v, x[i - p], x[i]);
        s1[j] = v.s1;
        s2[j] = v.s2;
        if (mid != NULL) {
            total += x[i];
            mid[j] = total / (double)p;
            total -= x[i + 1 - p];
        }
    }
    *w = v;
    if (sum != NULL)
        *sum = total;
    tile_variance(s1, s2, m, (double)p, sigma);
    ind_sqrt_n(sigma, sigma, m);
}

/* Population standard deviation of every full window into sigma[p-1 ..]. */
static void rolling_sigma(const double *x, size_t n, size_t p, double *sigma)
{
    ind_win w = {0.0, 0.0, 0.0};
    for (size_t t = p - 1; t < n; t += SIGMA_TILE)
        sigma_tile(&w, x, t, n - t < SIGMA_TILE ? n - t : SIGMA_TILE, p, sigma + t, NULL, NULL);
}

qf_rc qf_ind_stddev(const double *x, size_t n, int period, double nbdev, double *out, qf_err *err)
{
    if (ind_check_period("stddev", "period", period, err) != QF_OK ||
        ind_check_ptr("stddev", x, "input", n, err) != QF_OK ||
        ind_check_ptr("stddev", out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    if (!isfinite(nbdev))
        return qf_err_set(err, QF_EINVAL, "stddev: nbdev must be finite");
    size_t p = (size_t)period;
    ind_fill_nan(out, 0, p - 1 < n ? p - 1 : n);
    if (n < p)
        return QF_OK;
    rolling_sigma(x, n, p, out);
    for (size_t i = p - 1; i < n; i++)
        out[i] *= nbdev;
    return QF_OK;
}

qf_rc qf_ind_bbands(const double *x, size_t n, int period, double k_up, double k_down,
                    double *out_upper, double *out_middle, double *out_lower, qf_err *err)
{
    if (ind_check_period("bbands", "period", period, err) != QF_OK ||
        ind_check_ptr("bbands", x, "input", n, err) != QF_OK)
        return QF_EINVAL;
    if (!isfinite(k_up) || !isfinite(k_down))
        return qf_err_set(err, QF_EINVAL, "bbands: band widths must be finite");
    size_t p = (size_t)period;
    size_t start = p - 1 < n ? p - 1 : n;
    ind_fill_nan(out_upper, 0, start);
    ind_fill_nan(out_middle, 0, start);
    ind_fill_nan(out_lower, 0, start);
    if (n < p)
        return QF_OK;
    /* Running window sum for the middle (TA-Lib's SMA) and sliding sigma,
     * a tile at a time (see rolling_sigma). */
    double sum = 0.0;
    for (size_t i = 0; i + 1 < p; i++)
        sum += x[i];
    ind_win w = {0.0, 0.0, 0.0};
    double mid[SIGMA_TILE], sigma[SIGMA_TILE];
    for (size_t t = p - 1; t < n; t += SIGMA_TILE) {
        size_t m = n - t < SIGMA_TILE ? n - t : SIGMA_TILE;
        sigma_tile(&w, x, t, m, p, sigma, &sum, mid);
        for (size_t j = 0; j < m; j++) {
            if (out_middle != NULL)
                out_middle[t + j] = mid[j];
            if (out_upper != NULL)
                out_upper[t + j] = mid[j] + k_up * sigma[j];
            if (out_lower != NULL)
                out_lower[t + j] = mid[j] - k_down * sigma[j];
        }
    }
    return QF_OK;
}

qf_rc qf_ind_pct_b(const double *x, size_t n, int period, double k, double *out, qf_err *err)
{
    if (ind_check_period("pct_b", "period", period, err) != QF_OK ||
        ind_check_ptr("pct_b", x, "input", n, err) != QF_OK ||
        ind_check_ptr("pct_b", out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    if (!isfinite(k) || k <= 0.0)
        return qf_err_set(err, QF_EINVAL, "pct_b: k must be a positive number");
    size_t p = (size_t)period;
    ind_fill_nan(out, 0, p - 1 < n ? p - 1 : n);
    if (n < p)
        return QF_OK;
    /* sigma into out, then %B = (x - mid + k sigma) / (2 k sigma) in place. */
    rolling_sigma(x, n, p, out);
    double sum = 0.0;
    for (size_t i = 0; i + 1 < p; i++)
        sum += x[i];
    for (size_t i = p - 1; i < n; i++) {
        sum += x[i];
        double mid = sum / period;
        sum -= x[i + 1 - p];
        double width = 2.0 * k * out[i];
        out[i] = width > 0.0 ? (x[i] - (mid - k * out[i])) / width : NAN;
    }
    return QF_OK;
}
