/*
 * ma.c - moving averages: SMA, EMA, WMA.
 */
#include "features/ind_int.h"

int qf_ind_sma_start(int period)
{
    return period >= 1 && period <= QF_IND_PERIOD_MAX ? period - 1 : -1;
}

int qf_ind_ema_start(int period)
{
    return qf_ind_sma_start(period);
}

int qf_ind_wma_start(int period)
{
    return qf_ind_sma_start(period);
}

void ind_sma_run(const double *x, size_t n, size_t first, int period, double *out)
{
    size_t p = (size_t)period;
    if (n < first + p)
        return;
    double sum = 0.0;
    for (size_t i = first; i < first + p - 1; i++)
        sum += x[i];
    size_t trailing = first;
    for (size_t i = first + p - 1; i < n; i++) {
        sum += x[i];
        double total = sum;
        sum -= x[trailing++];
        out[i] = total / period;
    }
}

qf_rc qf_ind_sma(const double *x, size_t n, int period, double *out, qf_err *err)
{
    if (ind_check_period("sma", "period", period, err) != QF_OK ||
        ind_check_ptr("sma", x, "input", n, err) != QF_OK ||
        ind_check_ptr("sma", out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    ind_fill_nan(out, 0, (size_t)period - 1 < n ? (size_t)period - 1 : n);
    ind_sma_run(x, n, 0, period, out);
    return QF_OK;
}

void ind_ema_run(const double *x, size_t n, int period, double k, size_t seed_at, double *out)
{
    if (seed_at >= n)
        return;
    double sum = 0.0;
    for (size_t i = seed_at + 1 - (size_t)period; i <= seed_at; i++)
        sum += x[i];
    double prev = sum / period;
    out[seed_at] = prev;
    for (size_t i = seed_at + 1; i < n; i++) {
        prev = (x[i] - prev) * k + prev;
        out[i] = prev;
    }
}

qf_rc qf_ind_ema(const double *x, size_t n, int period, double *out, qf_err *err)
{
    if (ind_check_period("ema", "period", period, err) != QF_OK ||
        ind_check_ptr("ema", x, "input", n, err) != QF_OK ||
        ind_check_ptr("ema", out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    size_t start = (size_t)period - 1;
    ind_fill_nan(out, 0, start < n ? start : n);
    ind_ema_run(x, n, period, 2.0 / (period + 1.0), start, out);
    return QF_OK;
}

/* Running form (TA-Lib's): keeps the weighted sum and the plain sum so each
 * step costs O(1): wsum' = wsum - sum_old + period * x_new. */
qf_rc qf_ind_wma(const double *x, size_t n, int period, double *out, qf_err *err)
{
    if (ind_check_period("wma", "period", period, err) != QF_OK ||
        ind_check_ptr("wma", x, "input", n, err) != QF_OK ||
        ind_check_ptr("wma", out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    size_t p = (size_t)period;
    ind_fill_nan(out, 0, p - 1 < n ? p - 1 : n);
    if (n < p)
        return QF_OK;
    double divider = (double)p * (double)(p + 1) / 2.0;
    double period_sum = 0.0; /* weighted sum of the window */
    double period_sub = 0.0; /* plain sum of the window */
    for (size_t i = 0; i + 1 < p; i++) {
        period_sub += x[i];
        period_sum += x[i] * (double)(i + 1);
    }
    size_t trailing = 0;
    double trailing_value = 0.0;
    for (size_t i = p - 1; i < n; i++) {
        double v = x[i];
        period_sub += v;
        period_sub -= trailing_value;
        period_sum += v * period;
        trailing_value = x[trailing++];
        out[i] = period_sum / divider;
        period_sum -= period_sub;
    }
    return QF_OK;
}
