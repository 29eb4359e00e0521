/*
 * sizer.c - the volatility-target sizer (sizer.h): the fraction of equity a
 * signal deserves, capped, and the quantity that fraction buys.
 */
#include "risk/sizer.h"

#include <math.h>

qf_sizer_params qf_sizer_params_from_config(const qf_config_risk *risk)
{
    qf_sizer_params p = {risk->vol_target, risk->max_position_pct};
    return p;
}

qf_rc qf_sizer_params_check(const qf_sizer_params *p, qf_err *err)
{
    if (p == NULL)
        return qf_err_set(err, QF_EINVAL, "sizer: no parameters");
    if (!isfinite(p->vol_target) || p->vol_target <= 0)
        return qf_err_set(err, QF_EINVAL, "sizer: vol_target must be a finite number > 0 (got %g)",
                          p->vol_target);
    if (!isfinite(p->max_position_pct) || p->max_position_pct <= 0 || p->max_position_pct > 1)
        return qf_err_set(err, QF_EINVAL, "sizer: max_position_pct must be in (0, 1] (got %g)",
                          p->max_position_pct);
    return QF_OK;
}

double qf_sizer_annual_vol(double sigma_bar, double bars_per_year)
{
    if (!isfinite(sigma_bar) || sigma_bar < 0 || !isfinite(bars_per_year) || bars_per_year <= 0)
        return NAN;
    return sigma_bar * sqrt(bars_per_year);
}

static double clamp01(double x)
{
    return x < 0 ? 0 : (x > 1 ? 1 : x);
}

double qf_sizer_target_fraction(const qf_sizer_params *p, double realized_vol, double strength,
                                double confidence, qf_direction direction)
{
    if (qf_sizer_params_check(p, NULL) != QF_OK)
        return 0;
    if (!isfinite(realized_vol) || realized_vol <= 0)
        return 0;
    if (direction != QF_DIR_LONG && direction != QF_DIR_SHORT)
        return 0;
    if (isnan(strength) || isnan(confidence))
        return 0;
    double scale = clamp01(fabs(strength)) * clamp01(confidence);
    if (scale == 0)
        return 0; /* also keeps a tiny vol's infinite ratio from becoming 0 * inf = NaN */
    double f = p->vol_target / realized_vol * scale;
    if (f > p->max_position_pct)
        f = p->max_position_pct;
    return direction == QF_DIR_LONG ? f : -f;
}

double qf_sizer_target_qty(double fraction, double equity, double price)
{
    if (!isfinite(fraction) || !isfinite(equity) || equity <= 0 || !isfinite(price) || price <= 0)
        return 0;
    return fraction * equity / price;
}
