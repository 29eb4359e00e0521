/*
 * test_benchmarks.c - the benchmark strategies on the bundled BTC candles
 * against independent computations (TA-Lib-checked SMA kernel, direct
 * z-scores), on a hand-made series, and their parameter checks.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "features/indicators.h"
#include "strategy/strategy.h"
#include "testutil.h"

/* Runs def over every bar with a view that ends at t (no lookahead possible). */
static void run(const qf_strategy_def *def, const qf_strategy_params *p, const qf_bars *b,
                double *targets)
{
    void *state = NULL;
    qf_err err = {0};
    cr_assert_eq(def->init(p, 1, &state, &err), QF_OK, "%s", err.msg);
    for (size_t t = 0; t < b->n; t++) {
        qf_bars view = *b;
        view.n = t + 1;
        qf_strategy_ctx ctx = {&view, 1, t, NULL, 1.0, NULL};
        cr_assert_eq(def->on_bar(state, &ctx, &targets[t], &err), QF_OK);
    }
    def->free(state);
}

Test(benchmarks, ma_crossover_matches_sma_kernel)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    double *tg = malloc(b.n * sizeof *tg);
    double *f = malloc(b.n * sizeof *f);
    double *s = malloc(b.n * sizeof *s);
    qf_strategy_params p;
    qf_strategy_params_init(&p);
    run(qf_strategy_find("ma_crossover"), &p, &b, tg);
    cr_assert_eq(qf_ind_sma(b.close, b.n, 20, f, NULL), QF_OK);
    cr_assert_eq(qf_ind_sma(b.close, b.n, 50, s, NULL), QF_OK);
    size_t longs = 0;
    for (size_t t = 0; t < b.n; t++) {
        /* kernel values at t-1 differ from our direct sums only by rounding;
         * skip the few bars where the two averages are within 1e-9 */
        double want = t >= 50 && f[t - 1] > s[t - 1] ? 1.0 : 0.0;
        if (t >= 50 && fabs(f[t - 1] - s[t - 1]) < 1e-9 * s[t - 1])
            continue;
        cr_assert_eq(tg[t], want, "bar %zu: target %g want %g", t, tg[t], want);
        longs += tg[t] > 0;
    }
    cr_expect(longs > 5000 && longs < 13000, "a real trend filter is long part of the time: %zu",
              longs);
    free(tg);
    free(f);
    free(s);
    qf_bars_cleanup(&b);
}

Test(benchmarks, mean_reversion_hand_case)
{
    /* lookback 3: window t-3..t-1 */
    double close[] = {10, 11, 10, 11, 7, 8, 11, 12, 12};
    int64_t ot[9] = {0};
    qf_bars b = {ot, close, close, close, close, close, 9};
    double tg[9];
    qf_strategy_params p;
    qf_strategy_params_init(&p);
    cr_assert_eq(qf_strategy_params_parse(&p, "lookback=3", NULL), QF_OK);
    run(qf_strategy_find("mean_reversion"), &p, &b, tg);
    /* t=4: window {11,10,11} mean 10.667 sd 0.577: z(7) = -6.35 -> long.
     * t=5: window {10,11,7}: mean 9.33, sd 2.08, z(8) = -0.64 -> hold.
     * t=6: window {11,7,8}: mean 8.67, sd 2.08, z(11) = 1.12 -> exit. */
    double want[9] = {0, 0, 0, 0, 1, 1, 0, 0, 0};
    for (int i = 0; i < 9; i++)
        cr_expect_eq(tg[i], want[i], "bar %d: %g", i, tg[i]);
}

Test(benchmarks, buy_and_hold_and_registry)
{
    size_t n = 0;
    const qf_strategy_def *const *all = qf_strategy_list(&n);
    cr_assert_eq(n, 4, "three benchmarks and quantflow");
    cr_expect_str_eq(all[0]->name, "buy_and_hold");
    cr_expect_str_eq(all[3]->name, "quantflow");
    cr_expect_null(qf_strategy_find("nope"));
    double close[] = {1, 2};
    int64_t ot[2] = {0};
    qf_bars b = {ot, close, close, close, close, close, 2};
    double tg[2];
    run(qf_strategy_find("buy_and_hold"), NULL, &b, tg);
    cr_expect(tg[0] == 1 && tg[1] == 1);
}

Test(benchmarks, bad_parameters)
{
    qf_strategy_params p;
    qf_strategy_params_init(&p);
    qf_err err = {0};
    void *st = NULL;
    const qf_strategy_def *ma = qf_strategy_find("ma_crossover");
    cr_assert_eq(qf_strategy_params_parse(&p, "fast=50", &err), QF_OK);
    cr_assert_eq(qf_strategy_params_parse(&p, "slow=20", &err), QF_OK);
    cr_expect_eq(ma->init(&p, 1, &st, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "ma_crossover: fast (50) must be below slow (20)");
    qf_strategy_params_init(&p);
    cr_assert_eq(qf_strategy_params_parse(&p, "fast=-3", &err), QF_OK);
    cr_expect_eq(ma->init(&p, 1, &st, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg,
                     "ma_crossover: fast must be a whole number of bars in [1, 100000], got -3");
    cr_expect_eq(qf_strategy_params_parse(&p, "fast", &err), QF_EINVAL);
    cr_expect_eq(qf_strategy_params_parse(&p, "fast=abc", &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "strategy parameter fast: 'abc' is not a number");
    cr_expect_eq(qf_strategy_params_parse(&p, "fast=nan", &err), QF_EINVAL);
    qf_strategy_params_init(&p);
    cr_assert_eq(qf_strategy_params_parse(&p, "window=3", &err), QF_OK);
    cr_expect_eq(qf_strategy_params_check_names(ma, &p, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "strategy ma_crossover has no parameter 'window'");
    const qf_strategy_def *mr = qf_strategy_find("mean_reversion");
    qf_strategy_params_init(&p);
    cr_assert_eq(qf_strategy_params_parse(&p, "entry_z=1", &err), QF_OK);
    cr_expect_eq(mr->init(&p, 1, &st, &err), QF_EINVAL);
}
