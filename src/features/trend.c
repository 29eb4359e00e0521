/*
 * trend.c - average directional index.
 */
#include "features/ind_int.h"

int qf_ind_adx_start(int period)
{
    return period >= 1 && period <= QF_IND_PERIOD_MAX ? 2 * period - 1 : -1;
}

/* Wilder's running state for +DM, -DM and TR. */
typedef struct dm_state {
    double plus_dm, minus_dm, tr;
} dm_state;

/* Directional movement of bar i against bar i-1, TA-Lib's rule: only the
 * larger of the two moves counts, and only when positive. */
static inline void directional_move(const double *high, const double *low, size_t i, double *plus,
                                    double *minus)
{
    double up = high[i] - high[i - 1];
    double down = low[i - 1] - low[i];
    /* The two cases exclude each other (up < down, up > down); written as
     * selects, not branches, since the sign of a move is a coin flip. */
    *minus = ((down > 0.0) & (up < down)) ? down : 0.0;
    *plus = ((up > 0.0) & (up > down)) ? up : 0.0;
}

/* One Wilder step; returns DX, or NaN when it is undefined (TA-Lib then
 * leaves the running ADX as it was). Divisions are the cost of ADX, so the
 * ones by the period become products with its reciprocal, and the two DIs
 * share one division by TR: two divisions a bar instead of TA-Lib's seven,
 * at a cost of an ulp or two against TA-Lib's values (the agreement test
 * allows 1e-9). */
static inline double wilder_step(dm_state *s, const double *high, const double *low,
                                 const double *close, size_t i, double inv_period)
{
    double plus;
    double minus;
    directional_move(high, low, i, &plus, &minus);
    s->minus_dm -= s->minus_dm * inv_period;
    s->plus_dm -= s->plus_dm * inv_period;
    s->minus_dm += minus;
    s->plus_dm += plus;
    s->tr = s->tr - s->tr * inv_period + ind_true_range(high[i], low[i], close[i - 1]);
    if (IND_IS_ZERO(s->tr))
        return NAN;
    double scale = 100.0 / s->tr;
    double minus_di = s->minus_dm * scale;
    double plus_di = s->plus_dm * scale;
    double sum = minus_di + plus_di;
    if (IND_IS_ZERO(sum))
        return NAN;
    return 100.0 * (fabs(minus_di - plus_di) / sum);
}

qf_rc qf_ind_adx(const double *high, const double *low, const double *close, size_t n, int period,
                 double *out, qf_err *err)
{
    if (ind_check_period("adx", "period", period, err) != QF_OK ||
        ind_check_ptr("adx", high, "high", n, err) != QF_OK ||
        ind_check_ptr("adx", low, "low", n, err) != QF_OK ||
        ind_check_ptr("adx", close, "close", n, err) != QF_OK ||
        ind_check_ptr("adx", out, "output", n, err) != QF_OK)
        return QF_EINVAL;
    size_t p = (size_t)period;
    size_t start = 2 * p - 1;
    ind_fill_nan(out, 0, start < n ? start : n);
    if (n <= start)
        return QF_OK;
    dm_state s = {0.0, 0.0, 0.0};
    double inv = 1.0 / period;
    /* Plain sums over bars 1 .. period-1 seed the Wilder sums. */
    for (size_t i = 1; i < p; i++) {
        double plus;
        double minus;
        directional_move(high, low, i, &plus, &minus);
        s.plus_dm += plus;
        s.minus_dm += minus;
        s.tr += ind_true_range(high[i], low[i], close[i - 1]);
    }
    /* The first ADX is the mean of the next period DX values. */
    double sum_dx = 0.0;
    for (size_t i = p; i <= start; i++) {
        double dx = wilder_step(&s, high, low, close, i, inv);
        if (!isnan(dx))
            sum_dx += dx;
    }
    double adx = sum_dx / period;
    out[start] = adx;
    for (size_t i = start + 1; i < n; i++) {
        double dx = wilder_step(&s, high, low, close, i, inv);
        if (!isnan(dx))
            adx = (adx * (period - 1) + dx) * inv;
        out[i] = adx;
    }
    return QF_OK;
}
