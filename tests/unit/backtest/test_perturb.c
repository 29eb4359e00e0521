/*
 * test_perturb.c - parameter-perturbation Monte Carlo on the bundled BTC
 * candles: identical for any thread count, draws reproducible from
 * qf_rng(seed, i), each simulation equal to a plain backtest with its
 * parameters, rejected draws redrawn, bad input refused; and the
 * distribution summary against numpy's percentiles.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/metrics.h"
#include "backtest/perturb.h"
#include "testutil.h"

#define BPY 2190.0

static qf_perturb_config pcfg(size_t n, double spread, int threads)
{
    return (qf_perturb_config){n, spread, 7, BPY, threads, NULL, NULL};
}

Test(perturb, identical_for_any_thread_count)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_engine_config c = qf_engine_config_default();
    const qf_strategy_def *def = qf_strategy_find("ma_crossover");
    qf_perturb_result r[3];
    qf_err err = {0};
    for (int t = 0; t < 3; t++) {
        qf_perturb_config pc = pcfg(12, 0.25, t + 1);
        cr_assert_eq(qf_perturb_run(&c, def, NULL, &b, 1, &pc, &r[t], &err), QF_OK, "%s", err.msg);
    }
    for (int t = 1; t < 3; t++) {
        cr_expect_eq(memcmp(r[0].sims, r[t].sims, 12 * 3 * sizeof(double)), 0);
        cr_expect_eq(memcmp(r[0].params, r[t].params, 12 * 2 * sizeof(double)), 0);
    }
    cr_expect_eq(r[0].summary.n_sims, 12);
    for (int t = 0; t < 3; t++)
        qf_perturb_result_free(&r[t]);
    qf_bars_cleanup(&b);
}

/* Each simulation's parameters come from its own stream and its metrics
 * equal a plain backtest with them. */
Test(perturb, draws_and_runs_reproduce)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_engine_config c = qf_engine_config_default();
    const qf_strategy_def *def = qf_strategy_find("mean_reversion");
    qf_strategy_params base;
    qf_strategy_params_init(&base);
    cr_assert_eq(qf_strategy_params_parse(&base, "lookback=30", NULL), QF_OK);
    qf_perturb_config pc = pcfg(6, 0.2, 2);
    qf_perturb_result r;
    qf_err err = {0};
    cr_assert_eq(qf_perturb_run(&c, def, &base, &b, 1, &pc, &r, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(r.n_params, def->n_params);
    cr_expect_eq(r.redraws, 0);
    for (size_t i = 0; i < 6; i++) {
        qf_rng g;
        qf_rng_seed(&g, 7, i);
        qf_strategy_params p;
        qf_strategy_params_init(&p);
        for (size_t k = 0; k < def->n_params; k++) {
            double v0 = qf_strategy_params_get(&base, def->param_names[k], def->param_defaults[k]);
            double v = v0 * (0.8 + 0.4 * qf_rng_uniform(&g));
            if (v0 == floor(v0))
                v = round(v);
            cr_expect_eq(r.params[i * r.n_params + k], v, "sim %zu %s", i, def->param_names[k]);
            cr_expect(fabs(v - v0) <= 0.2 * fabs(v0) + 0.5);
            cr_assert_eq(qf_strategy_params_set(&p, def->param_names[k], v, NULL), QF_OK);
        }
        qf_backtest_result br;
        cr_assert_eq(qf_backtest_run(&c, def, &p, &b, 1, &br, &err), QF_OK, "%s", err.msg);
        qf_metrics_input in = {.equity = br.equity, .n = br.n, .bars_per_year = BPY, .n_trials = 1};
        qf_metrics m;
        cr_assert_eq(qf_metrics_compute(&in, &m, NULL), QF_OK);
        cr_expect_eq(r.sims[3 * i], m.total_return);
        cr_expect_eq(r.sims[3 * i + 1], m.sharpe);
        cr_expect_eq(r.sims[3 * i + 2], m.max_drawdown);
        qf_backtest_result_free(&br);
    }
    qf_perturb_result_free(&r);
    qf_bars_cleanup(&b);
}

/* A tiny spread rounds every period back to its base: every simulation is
 * the base run, so the distribution collapses onto it. */
Test(perturb, tiny_spread_is_the_base_run)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_engine_config c = qf_engine_config_default();
    const qf_strategy_def *def = qf_strategy_find("ma_crossover");
    qf_perturb_config pc = pcfg(4, 0.001, 0);
    qf_perturb_result r;
    cr_assert_eq(qf_perturb_run(&c, def, NULL, &b, 1, &pc, &r, NULL), QF_OK);
    qf_backtest_result br;
    cr_assert_eq(qf_backtest_run(&c, def, NULL, &b, 1, &br, NULL), QF_OK);
    double tr = br.equity[br.n - 1] / br.equity[0] - 1;
    for (size_t i = 0; i < 4; i++) {
        cr_expect_eq(r.params[2 * i], 20.0);
        cr_expect_eq(r.params[2 * i + 1], 50.0);
        cr_expect(fabs(r.sims[3 * i] - tr) < 1e-12);
    }
    cr_expect_eq(r.summary.total_return.p5, r.summary.total_return.p95);
    cr_expect_eq(r.summary.prob_loss, tr < 0 ? 1.0 : 0.0);
    qf_backtest_result_free(&br);
    qf_perturb_result_free(&r);
    qf_bars_cleanup(&b);
}

/* fast 45 / slow 50 at +-60 %: many draws have fast >= slow; they are
 * redrawn, and every simulation that ran had fast < slow. */
Test(perturb, rejected_draws_are_redrawn)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    b.n = 3000;
    qf_engine_config c = qf_engine_config_default();
    const qf_strategy_def *def = qf_strategy_find("ma_crossover");
    qf_strategy_params base;
    qf_strategy_params_init(&base);
    cr_assert_eq(qf_strategy_params_parse(&base, "fast=45", NULL), QF_OK);
    qf_perturb_config pc = pcfg(20, 0.6, 2);
    qf_perturb_result r;
    qf_err err = {0};
    cr_assert_eq(qf_perturb_run(&c, def, &base, &b, 1, &pc, &r, &err), QF_OK, "%s", err.msg);
    cr_expect_gt(r.redraws, 3);
    for (size_t i = 0; i < 20; i++)
        cr_expect_lt(r.params[2 * i], r.params[2 * i + 1]);
    qf_perturb_result_free(&r);
    b.n = 18370;
    qf_bars_cleanup(&b);
}

Test(perturb, bad_input_refused)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_engine_config c = qf_engine_config_default();
    qf_perturb_result r;
    qf_err err = {0};
    qf_perturb_config pc = pcfg(10, 0.2, 1);
    cr_expect_eq(qf_perturb_run(&c, qf_strategy_find("buy_and_hold"), NULL, &b, 1, &pc, &r, &err),
                 QF_EINVAL);
    cr_expect_str_eq(err.msg, "perturbation: strategy buy_and_hold has no numeric parameters");
    pc.spread = 1.5;
    cr_expect_eq(qf_perturb_run(&c, qf_strategy_find("ma_crossover"), NULL, &b, 1, &pc, &r, &err),
                 QF_EINVAL);
    cr_expect_str_eq(err.msg, "perturbation: spread must be in (0, 1), got 1.5");
    pc.spread = 0.2;
    pc.n_sims = 0;
    cr_expect_eq(qf_perturb_run(&c, qf_strategy_find("ma_crossover"), NULL, &b, 1, &pc, &r, &err),
                 QF_EINVAL);
    cr_expect_null(r.sims);
    qf_bars_cleanup(&b);
}

/* numpy.percentile([1..10], [5, 50, 95]) = 1.45, 5.5, 9.55. */
Test(perturb, summary_matches_numpy_percentiles)
{
    double sims[30];
    for (int i = 0; i < 10; i++) {
        sims[3 * i] = (double)(10 - i) - 5.5; /* -4.5 .. 4.5: 5 losses */
        sims[3 * i + 1] = (double)(i + 1);
        sims[3 * i + 2] = i == 3 ? NAN : 0.1 * (double)i;
    }
    qf_mc_summary s;
    cr_assert_eq(qf_mc_summarize(sims, 10, &s, NULL), QF_OK);
    cr_expect(fabs(s.sharpe.p5 - 1.45) < 1e-12);
    cr_expect(fabs(s.sharpe.p50 - 5.5) < 1e-12);
    cr_expect(fabs(s.sharpe.p95 - 9.55) < 1e-12);
    cr_expect(fabs(s.sharpe.mean - 5.5) < 1e-12);
    cr_expect_eq(s.prob_loss, 0.5);
    /* the NaN is left out: 9 values 0, .1, .2, .4 .. .9 */
    cr_expect(fabs(s.max_drawdown.p50 - 0.5) < 1e-12);
}
