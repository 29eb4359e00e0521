/*
 * test_sizer.c - the volatility-target sizer on hand-computed cases: the
 * plain formula, the direction's sign, the max_position_pct cap, and every
 * input that must give no position (zero, negative or non-finite
 * volatility, price or equity; a flat direction; NaN strength).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/config.h"
#include "risk/sizer.h"

#define EPS 1e-12

static const qf_sizer_params P = {0.15, 0.25}; /* the config defaults */

Test(sizer, formula_by_hand)
{
    /* 0.15 / 0.6 = 0.25; x |0.8| x 0.5 = 0.1 of equity. */
    double f = qf_sizer_target_fraction(&P, 0.6, 0.8, 0.5, QF_DIR_LONG);
    cr_assert_float_eq(f, 0.1, EPS);
    cr_assert_float_eq(qf_sizer_target_fraction(&P, 0.6, 0.8, 0.5, QF_DIR_SHORT), -0.1, EPS);
    /* |strength| is used: a negative strength does not flip the sign twice. */
    cr_assert_float_eq(qf_sizer_target_fraction(&P, 0.6, -0.8, 0.5, QF_DIR_SHORT), -0.1, EPS);
    /* 0.1 of 100,000 USD at 50,000 USD is 0.2 BTC. */
    cr_assert_float_eq(qf_sizer_target_qty(f, 100000, 50000), 0.2, EPS);
    cr_assert_float_eq(qf_sizer_target_qty(-0.1, 100000, 50000), -0.2, EPS);
    /* Confidence 1 (the fused strength already carries it): 0.25 x 0.4 = 0.1. */
    cr_assert_float_eq(qf_sizer_target_fraction(&P, 0.6, 0.4, 1.0, QF_DIR_LONG), 0.1, EPS);
}

Test(sizer, capped_at_max_position_pct)
{
    /* 0.15 / 0.3 = 0.5 > 0.25: capped. */
    cr_assert_eq(qf_sizer_target_fraction(&P, 0.3, 1.0, 1.0, QF_DIR_LONG), 0.25);
    cr_assert_eq(qf_sizer_target_fraction(&P, 0.3, 1.0, 1.0, QF_DIR_SHORT), -0.25);
    /* Just below the cap is not capped: 0.15 / 0.3 x 0.49 = 0.245. */
    cr_assert_float_eq(qf_sizer_target_fraction(&P, 0.3, 0.49, 1.0, QF_DIR_LONG), 0.245, EPS);
    /* Out-of-range strength and confidence are clamped: |3| -> 1, 1.5 -> 1. */
    cr_assert_float_eq(qf_sizer_target_fraction(&P, 1.5, 3.0, 1.5, QF_DIR_LONG), 0.1, EPS);
    /* A vanishing volatility gives the cap, not infinity. */
    cr_assert_eq(qf_sizer_target_fraction(&P, 1e-320, 1.0, 1.0, QF_DIR_LONG), 0.25);
}

Test(sizer, zero_cases)
{
    const double bad_vol[] = {0, -0.2, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_vol / sizeof bad_vol[0]; i++)
        cr_assert_eq(qf_sizer_target_fraction(&P, bad_vol[i], 1.0, 1.0, QF_DIR_LONG), 0, "vol %g",
                     bad_vol[i]);
    cr_assert_eq(qf_sizer_target_fraction(&P, 0.6, 1.0, 1.0, QF_DIR_FLAT), 0);
    cr_assert_eq(qf_sizer_target_fraction(&P, 0.6, 1.0, 1.0, (qf_direction)7), 0);
    cr_assert_eq(qf_sizer_target_fraction(&P, 0.6, NAN, 1.0, QF_DIR_LONG), 0);
    cr_assert_eq(qf_sizer_target_fraction(&P, 0.6, 1.0, NAN, QF_DIR_LONG), 0);
    cr_assert_eq(qf_sizer_target_fraction(&P, 0.6, 0.0, 1.0, QF_DIR_LONG), 0);
    cr_assert_eq(qf_sizer_target_fraction(&P, 0.6, 1.0, -0.5, QF_DIR_LONG), 0);
    /* strength 0 with a tiny vol: 0, not 0 x inf = NaN. */
    cr_assert_eq(qf_sizer_target_fraction(&P, 1e-320, 0.0, 1.0, QF_DIR_LONG), 0);

    const double bad[] = {0, -1, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(qf_sizer_target_qty(0.1, bad[i], 50000), 0, "equity %g", bad[i]);
        cr_assert_eq(qf_sizer_target_qty(0.1, 100000, bad[i]), 0, "price %g", bad[i]);
    }
    cr_assert_eq(qf_sizer_target_qty(NAN, 100000, 50000), 0);
    cr_assert_eq(qf_sizer_target_qty(0, 100000, 50000), 0);
}

Test(sizer, bad_params_give_zero_and_einval)
{
    qf_err err;
    const qf_sizer_params bad[] = {{0, 0.25}, {-0.15, 0.25}, {NAN, 0.25}, {INFINITY, 0.25},
                                   {0.15, 0}, {0.15, -0.1},  {0.15, 1.5}, {0.15, NAN}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(qf_sizer_params_check(&bad[i], &err), QF_EINVAL, "case %zu", i);
        cr_assert(strstr(err.msg, i < 4 ? "vol_target" : "max_position_pct") != NULL, "%s",
                  err.msg);
        cr_assert_eq(qf_sizer_target_fraction(&bad[i], 0.6, 1.0, 1.0, QF_DIR_LONG), 0);
    }
    cr_assert_eq(qf_sizer_params_check(NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_sizer_target_fraction(NULL, 0.6, 1.0, 1.0, QF_DIR_LONG), 0);
    cr_assert_eq(qf_sizer_params_check(&P, &err), QF_OK);
}

Test(sizer, annualised_vol_and_config)
{
    /* 1 % a bar at 2190 bars a year: 0.01 x sqrt(2190) = 0.4679743582719... */
    cr_assert_float_eq(qf_sizer_annual_vol(0.01, 2190), 0.46797435827190365, EPS);
    cr_assert_eq(qf_sizer_annual_vol(0, 2190), 0);
    cr_assert(isnan(qf_sizer_annual_vol(-0.01, 2190)));
    cr_assert(isnan(qf_sizer_annual_vol(NAN, 2190)));
    cr_assert(isnan(qf_sizer_annual_vol(0.01, 0)));
    /* A zero per-bar sigma sizes nothing. */
    cr_assert_eq(qf_sizer_target_fraction(&P, qf_sizer_annual_vol(0, 2190), 1, 1, QF_DIR_LONG), 0);

    qf_config cfg;
    qf_config_init(&cfg);
    qf_sizer_params p = qf_sizer_params_from_config(&cfg.risk);
    cr_assert_eq(p.vol_target, 0.15);
    cr_assert_eq(p.max_position_pct, 0.25);
    qf_config_cleanup(&cfg);
}
