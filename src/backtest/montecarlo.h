/*
 * montecarlo.h - Monte Carlo robustness of a backtest: a circular block
 * bootstrap of its bar returns.
 *
 * Each simulation draws blocks of `block` consecutive returns (starting at a
 * uniform random bar, wrapping around the end) until it has as many returns
 * as the original, then compounds them and records the total return, the
 * Sharpe ratio (ddof 1, x sqrt(bars_per_year)) and the maximum drawdown.
 * Simulation i draws from its own random stream, seeded from (seed, i)
 * through splitmix64 into xoshiro256**, so the results do not depend on the
 * number of threads or their scheduling.
 */
#ifndef QF_BACKTEST_MONTECARLO_H
#define QF_BACKTEST_MONTECARLO_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct qf_mc_config {
    size_t n_sims; /* >= 1 */
    size_t block;  /* bars per block, >= 1 (1 = plain bootstrap) */
    uint64_t seed;
    double bars_per_year; /* > 0 */
    int threads;          /* <= 0: all cores */
} qf_mc_config;

typedef struct qf_mc_dist {
    double mean, p5, p50, p95;
} qf_mc_dist;

typedef struct qf_mc_summary {
    size_t n_sims;
    qf_mc_dist sharpe, total_return, max_drawdown;
    double prob_loss; /* share of simulations ending below the start */
} qf_mc_summary;

/* Bootstraps the n returns r (n >= 2, each > -1). out_sims (may be NULL)
 * receives n_sims rows of {total_return, sharpe, max_drawdown}. Percentiles
 * are linear interpolations between order statistics (numpy's default).
 * QF_EINVAL naming the bad input; QF_ENOMEM. */
QF_NODISCARD qf_rc qf_mc_bootstrap(const double *r, size_t n, const qf_mc_config *c,
                                   qf_mc_summary *out, double *out_sims, qf_err *err);

/* Summarises n_sims rows of {total_return, sharpe, max_drawdown}: mean and
 * 5/50/95th percentiles of each column (NaN rows left out of that column),
 * and the share of total returns below 0. QF_ENOMEM. */
QF_NODISCARD qf_rc qf_mc_summarize(const double *sims, size_t n_sims, qf_mc_summary *out,
                                   qf_err *err);

/* The per-simulation random stream (exposed for tests and the parameter
 * perturbation): state from (seed, index), then uniform doubles in [0, 1). */
typedef struct qf_rng {
    uint64_t s[4];
} qf_rng;

void qf_rng_seed(qf_rng *g, uint64_t seed, uint64_t index);
uint64_t qf_rng_next(qf_rng *g);
double qf_rng_uniform(qf_rng *g);

#endif
