/*
 * perturb.h - parameter-perturbation Monte Carlo: how much of a backtest's
 * result survives small changes of the strategy's parameters.
 *
 * Simulation i draws, from its own random stream qf_rng(seed, i), a factor
 * U(1 - p, 1 + p) for every numeric parameter of the strategy (in the
 * order the strategy declares them), multiplies the base value (the given
 * one, else the default) by it, rounds parameters whose base value is a
 * whole number (periods) to the nearest whole number, and re-runs the
 * event-driven backtest. A draw the strategy rejects (say fast >= slow) is
 * redrawn from the same stream, up to 100 times. Every simulation records
 * {total_return, sharpe, max_drawdown} of its run; results are the same
 * for any thread count.
 */
#ifndef QF_BACKTEST_PERTURB_H
#define QF_BACKTEST_PERTURB_H

#include <stddef.h>
#include <stdint.h>

#include "backtest/engine.h"
#include "backtest/montecarlo.h"

typedef struct qf_perturb_config {
    size_t n_sims; /* >= 1 */
    double spread; /* p in (0, 1) */
    uint64_t seed;
    double bars_per_year; /* > 0 */
    int threads;          /* <= 0: all cores */
    /* Called now and then from the calling thread with simulations done;
     * may be NULL. */
    void (*progress)(void *user, size_t done, size_t total);
    void *user;
} qf_perturb_config;

typedef struct qf_perturb_result {
    qf_mc_summary summary;
    size_t n_params;
    size_t redraws; /* draws the strategy rejected, over all simulations */
    double *sims;   /* n_sims x 3: total_return, sharpe, max_drawdown */
    double *params; /* n_sims x n_params: the values each simulation ran with */
} qf_perturb_result;

/* Runs the perturbation over the symbols' bars. QF_EINVAL naming a bad
 * configuration, a strategy without numeric parameters, or a simulation
 * that found no valid draw; the error of a failing backtest otherwise. out
 * is filled on success (free with qf_perturb_result_free). */
QF_NODISCARD qf_rc qf_perturb_run(const qf_engine_config *c, const qf_strategy_def *def,
                                  const qf_strategy_params *base, const qf_bars *bars,
                                  size_t n_symbols, const qf_perturb_config *pc,
                                  qf_perturb_result *out, qf_err *err);

void qf_perturb_result_free(qf_perturb_result *r);

#endif
