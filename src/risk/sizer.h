/*
 * sizer.h - the volatility-target position sizer.
 *
 * The target position, as a signed fraction of equity, is
 *
 *     fraction = direction * min(vol_target / realized_vol * |strength| * confidence,
 *                                max_position_pct)
 *
 * and the quantity is fraction * equity / price. Both volatilities are
 * annualised fractions (0.15 = 15 % a year); qf_sizer_annual_vol turns the
 * per-bar sigma of the feature set's realized_vol into one.
 *
 * Confidence is counted once (docs/conventions.md, "Risk"): the fused
 * strength of signal/ fusion already carries the model's confidence, so the
 * strategy passes that strength with confidence 1. A caller holding a raw,
 * unscaled strength passes its confidence here instead.
 *
 * Pure functions: no state, no I/O, no allocation. Input that cannot give a
 * meaningful size (non-positive or non-finite volatility, price or equity, a
 * flat direction, NaN strength) gives 0: no position, never an error.
 */
#ifndef QF_RISK_SIZER_H
#define QF_RISK_SIZER_H

#include "core/config.h"
#include "core/err.h"
#include "core/types.h"

typedef struct qf_sizer_params {
    double vol_target;       /* annualised volatility target, fraction, > 0 */
    double max_position_pct; /* cap on |fraction|, fraction of equity, (0, 1] */
} qf_sizer_params;

/* The sizer's parameters from risk.vol_target and risk.max_position_pct. */
qf_sizer_params qf_sizer_params_from_config(const qf_config_risk *risk);

/* QF_OK when both parameters are finite and in range; QF_EINVAL naming the
 * parameter and its value otherwise. */
QF_NODISCARD qf_rc qf_sizer_params_check(const qf_sizer_params *p, qf_err *err);

/* Annualised volatility from a per-bar sigma: sigma_bar * sqrt(bars_per_year).
 * NaN when sigma_bar is negative or non-finite or bars_per_year is not > 0. */
double qf_sizer_annual_vol(double sigma_bar, double bars_per_year);

/* The signed target fraction of equity (see the top of this file), in
 * [-max_position_pct, max_position_pct]. |strength| above 1 counts as 1 and
 * confidence is clamped to [0, 1]. 0 when p is NULL or fails
 * qf_sizer_params_check, when realized_vol is not finite and > 0, when
 * direction is QF_DIR_FLAT (or not a qf_direction), or when strength or
 * confidence is NaN. */
double qf_sizer_target_fraction(const qf_sizer_params *p, double realized_vol, double strength,
                                double confidence, qf_direction direction);

/* The signed base quantity of a target fraction: fraction * equity / price.
 * 0 when equity or price is not finite and > 0, or fraction is not finite. */
double qf_sizer_target_qty(double fraction, double equity, double price);

#endif
