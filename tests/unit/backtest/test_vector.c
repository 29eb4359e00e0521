/*
 * test_vector.c - the vectorized engine on hand-computed cases and on the
 * bundled BTC candles (buy and hold equals the close ratio).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "backtest/vector.h"
#include "testutil.h"

static qf_bars small(void)
{
    static double close[] = {100, 110, 121, 110};
    static double vol[] = {1000, 1000, 1000, 1000};
    static int64_t t[] = {0, 1, 2, 3};
    qf_bars b = {t, close, close, close, close, vol, 4};
    return b;
}

Test(vector, no_costs)
{
    qf_bars b = small();
    const double target[] = {1, 1, 0, 0};
    qf_cost_model c = {0, 0, 0, 0, 20};
    double eq[4];
    qf_vector_stats st;
    cr_assert_eq(qf_vector_run(&b, target, &c, 100, eq, &st, NULL), QF_OK);
    cr_expect(fabs(eq[1] - 110) < 1e-12 && fabs(eq[2] - 121) < 1e-12 && fabs(eq[3] - 121) < 1e-12);
    cr_expect_eq(st.trades, 2);
    cr_expect_eq(st.bars_in_market, 2);
    cr_expect(fabs(st.traded_notional - (100 + 121)) < 1e-12);
    cr_expect(fabs(st.gross_pnl - 21) < 1e-12);
}

Test(vector, fees_spread_and_impact)
{
    qf_bars b = small();
    const double target[] = {1, 1, 0, 0};
    qf_cost_model c = {10, 2, 5, 0, 20}; /* 15 bps per trade */
    double eq[4];
    cr_assert_eq(qf_vector_run(&b, target, &c, 100, eq, NULL, NULL), QF_OK);
    cr_expect(fabs(eq[1] - 109.85) < 1e-12, "%.17g", eq[1]);
    cr_expect(fabs(eq[2] - 109.85 * 1.1) < 1e-12);
    cr_expect(fabs(eq[3] - 109.85 * 1.1 * (1 - 0.0015)) < 1e-12);
    /* impact: trade 100 against ADV of bar 0 = 100*1000: participation 1e-3 */
    qf_cost_model ci = {0, 0, 0, 20, 20};
    qf_vector_stats st;
    cr_assert_eq(qf_vector_run(&b, target, &ci, 100, eq, &st, NULL), QF_OK);
    double imp1 = 100 * 20e-4 * (100 / 1e5);
    cr_expect(fabs(eq[1] - (100 * 1.1 - imp1)) < 1e-12, "%.17g", eq[1]);
    cr_expect(st.impact_cost > imp1);
}

Test(vector, short_positions)
{
    qf_bars b = small();
    const double target[] = {-1, -1, -0.5, 0};
    qf_cost_model c = {0, 0, 0, 0, 20};
    double eq[4];
    cr_assert_eq(qf_vector_run(&b, target, &c, 100, eq, NULL, NULL), QF_OK);
    cr_expect(fabs(eq[1] - 90) < 1e-12 && fabs(eq[2] - 81) < 1e-12);
    cr_expect(fabs(eq[3] - 81 * (1 - 0.5 * (110.0 / 121 - 1))) < 1e-12);
}

Test(vector, buy_and_hold_on_real_btc)
{
    qf_bars b;
    qf_bars_init(&b);
    cr_assert_eq(qf_test_load_bars("BTCUSDT", &b, NULL), QF_OK);
    double *target = malloc(b.n * sizeof *target);
    double *eq = malloc(b.n * sizeof *eq);
    for (size_t i = 0; i < b.n; i++)
        target[i] = 1.0;
    qf_cost_model cost = {0, 0, 0, 0, 20};
    cr_assert_eq(qf_vector_run(&b, target, &cost, 100000, eq, NULL, NULL), QF_OK);
    double want = 100000 * b.close[b.n - 1] / b.close[0];
    cr_expect(fabs(eq[b.n - 1] - want) <= 1e-9 * want, "%.17g vs %.17g", eq[b.n - 1], want);
    free(target);
    free(eq);
    qf_bars_cleanup(&b);
}

Test(vector, bad_input_rejected)
{
    qf_bars b = small();
    double eq[4] = {7, 7, 7, 7};
    qf_err err = {0};
    const double bad[] = {1, 1.5, 0, 0};
    qf_cost_model c = {0, 0, 0, 0, 20};
    cr_expect_eq(qf_vector_run(&b, bad, &c, 100, eq, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "vector: target at bar 1 is 1.5, not in [-1, 1]");
    const double ok[] = {1, 1, 0, 0};
    qf_cost_model neg = {-1, 0, 0, 0, 20};
    cr_expect_eq(qf_vector_run(&b, ok, &neg, 100, eq, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "costs: taker_fee_bps must be >= 0, got -1");
    cr_expect_eq(qf_vector_run(&b, ok, &c, 0, eq, NULL, &err), QF_EINVAL);
    cr_expect(eq[0] == 7 && eq[3] == 7, "nothing written on error");
}
