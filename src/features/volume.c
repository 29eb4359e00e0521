/*
 * volume.c - on-balance volume and rolling VWAP.
 */
#include "features/ind_int.h"

int qf_ind_obv_start(void)
{
    return 0;
}

int qf_ind_vwap_start(int period)
{
    return qf_ind_sma_start(period);
}

qf_rc qf_ind_obv(const double *close, const double *volume, size_t n, double *out, qf_err *err)
{
    if (ind_check_ptr("obv", close, "close", n, err) != QF_OK ||
        ind_check_ptr("obv", volume, "volume", n, err) != QF_OK ||
        ind_check_ptr("obv", out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    if (n == 0)
        return QF_OK;
    double obv = volume[0];
    out[0] = obv;
    /* A select, not a branch: up or down is a coin flip on real prices, and
     * the cost of a branch then depends on how well the predictor guesses.
     * Adding 0 * volume (volumes are finite) leaves obv as it is, and
     * +-1 * volume is exact, so the bits are TA-Lib's. */
    for (size_t i = 1; i < n; i++) {
        double dir = (double)((close[i] > close[i - 1]) - (close[i] < close[i - 1]));
        obv += dir * volume[i];
        out[i] = obv;
    }
    return QF_OK;
}

/* Running sums of close*volume and volume. Volumes are non-negative, so the
 * subtraction cannot cancel catastrophically; the window is re-summed exactly
 * every 4096 bars so rounding does not accumulate over long series. */
qf_rc qf_ind_vwap(const double *close, const double *volume, size_t n, int period, double *out,
                  qf_err *err)
{
    if (ind_check_period("vwap", "period", period, err) != QF_OK ||
        ind_check_ptr("vwap", close, "close", n, err) != QF_OK ||
        ind_check_ptr("vwap", volume, "volume", n, err) != QF_OK ||
        ind_check_ptr("vwap", out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    size_t p = (size_t)period;
    ind_fill_nan(out, 0, p - 1 < n ? p - 1 : n);
    if (n < p)
        return QF_OK;
    double pv = 0.0;
    double v = 0.0;
    for (size_t i = p - 1; i < n; i++) {
        if (i == p - 1 || (i & 4095) == 0) {
            pv = 0.0;
            v = 0.0;
            for (size_t j = i + 1 - p; j <= i; j++) {
                pv += close[j] * volume[j];
                v += volume[j];
            }
        } else {
            pv += close[i] * volume[i] - close[i - p] * volume[i - p];
            v += volume[i] - volume[i - p];
        }
        out[i] = v > 0.0 ? pv / v : NAN;
    }
    return QF_OK;
}
