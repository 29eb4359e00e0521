/*
 * test_vector.c - the vectorized engine on hand-computed cases and on the
 * bundled BTC candles (buy and hold equals the close ratio).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* The engine as first written, one bar at a time with every division in the
 * loop: the chunked engine must give the same bits. */
static void naive_run(const qf_bars *b, const double *target, const qf_cost_model *c, double eq,
                      double *out, qf_vector_stats *st)
{
    size_t w = (size_t)c->adv_window;
    double fixed = (c->taker_fee_bps + c->fixed_spread_bps) / 1e4;
    double impact = c->linear_impact_bps / 1e4;
    double prev_p = 0.0, dv_sum = 0.0;
    memset(st, 0, sizeof *st);
    out[0] = eq;
    for (size_t t = 1; t < b->n; t++) {
        size_t last = t - 1;
        dv_sum += b->close[last] * b->volume[last];
        if (last >= w)
            dv_sum -= b->close[last - w] * b->volume[last - w];
        double p = target[t - 1];
        double dp = fabs(p - prev_p);
        double r = b->close[t] / b->close[t - 1] - 1.0;
        double ret = p * r;
        if (dp > 0) {
            double trade = dp * eq;
            size_t nadv = last + 1 < w ? last + 1 : w;
            double adv = dv_sum / (double)nadv;
            double part = adv > 0 ? trade / adv : 0.0;
            st->traded_notional += trade;
            st->fees += trade * c->taker_fee_bps / 1e4;
            st->spread_cost += trade * c->fixed_spread_bps / 1e4;
            st->impact_cost += trade * impact * part;
            st->trades++;
            ret -= dp * (fixed + impact * part);
        }
        st->gross_pnl += eq * p * r;
        if (p != 0.0)
            st->bars_in_market++;
        eq *= 1.0 + ret;
        out[t] = eq;
        prev_p = p;
    }
}

Test(vector, chunked_run_matches_the_bar_loop_bit_for_bit)
{
    qf_bars full;
    qf_bars_init(&full);
    cr_assert_eq(qf_test_load_bars("ETHUSDT", &full, NULL), QF_OK);
    double *target = malloc(full.n * sizeof *target);
    double *eq = malloc(full.n * sizeof *eq), *want = malloc(full.n * sizeof *want);
    uint64_t s = 99;
    for (size_t i = 0; i < full.n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = (int)(s >> 61); /* 0..7: hold most bars, trade on some */
        target[i] = i == 0 ? 0 : k == 0 ? -0.5 : k == 1 ? 0.25 : k < 4 ? 0 : target[i - 1];
    }
    size_t lens[] = {1, 2, 255, 256, 257, 258, 513, full.n};
    qf_cost_model c = {10, 2, 5, 30, 24};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        qf_bars b = full;
        b.n = lens[li];
        qf_vector_stats st, st_want;
        cr_assert_eq(qf_vector_run(&b, target, &c, 1e5, eq, &st, NULL), QF_OK);
        naive_run(&b, target, &c, 1e5, want, &st_want);
        cr_expect(memcmp(eq, want, b.n * sizeof *eq) == 0, "n %zu: equity differs", b.n);
        cr_expect(memcmp(&st, &st_want, sizeof st) == 0, "n %zu: stats differ", b.n);
    }
    target[300] = NAN;
    qf_err err = {0};
    cr_expect_eq(qf_vector_run(&full, target, &c, 1e5, eq, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "vector: target at bar 300 is nan, not in [-1, 1]");
    free(target);
    free(eq);
    free(want);
    qf_bars_cleanup(&full);
}
