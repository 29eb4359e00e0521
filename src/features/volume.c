/*
 * volume.c - on-balance volume and rolling VWAP.
 */
#include "core/simd.h"
#include "features/ind_int.h"

int qf_ind_obv_start(void)
{
    return 0;
}

int qf_ind_vwap_start(int period)
{
    return qf_ind_sma_start(period);
}

#define OBV_TILE     64
#define OBV_PREFETCH 8

/* +v where the close rose from the bar before, -v where it fell, else 0. */
QF_WIDE static void obv_signed_volume(const double *restrict close, const double *restrict volume,
                                      size_t m, double *restrict sv)
{
    for (size_t j = 0; j < m; j++) {
        double up = close[j] > close[j - 1] ? volume[j] : 0.0;
        sv[j] = close[j] < close[j - 1] ? -volume[j] : up;
    }
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
    /* Two stages per 64-bar tile. A wide loop picks +volume, -volume or 0
     * for each bar by selects, not branches: up or down is a coin flip on
     * real prices, and a branch's cost then depends on how well the
     * predictor guesses (see bench_predictor). What is left for the serial
     * loop is one add per bar, the floating-point add chain that fixes
     * TA-Lib's order of summation and so the speed limit. obv + (-v) is
     * obv - v and obv + 0 is obv exactly, so the bits are TA-Lib's. Small
     * tiles let the out-of-order core overlap the next tile's selects with
     * the chain; the prefetch of the input eight tiles ahead keeps long
     * series (beyond the caches) at the same speed. */
    double sv[OBV_TILE];
    for (size_t t = 1; t < n; t += OBV_TILE) {
        size_t m = n - t < OBV_TILE ? n - t : OBV_TILE;
        obv_signed_volume(close + t, volume + t, m, sv);
        size_t ahead = t + OBV_PREFETCH * OBV_TILE;
        if (ahead + OBV_TILE < n)
            for (size_t k = 0; k < OBV_TILE; k += 8) {
                __builtin_prefetch(close + ahead + k);
                __builtin_prefetch(volume + ahead + k);
            }
        for (size_t j = 0; j < m; j++) {
            obv += sv[j];
            out[t + j] = obv;
        }
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
