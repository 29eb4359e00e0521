/*
 * vector.h - the vectorized backtest: one pass over a position array, for
 * fast parameter sweeps. Same cost model as the event-driven engine.
 *
 * target[t] is the position (fraction of equity, in [-1, 1]) decided at the
 * close of bar t and held from close t to close t+1. With p_t = target[t-1]
 * (p_0 = 0, and target[-1] = 0 before the first bar):
 *   r_t     = close_t / close_{t-1} - 1
 *   trade_t = |p_t - p_{t-1}| * equity_{t-1}            (notional, at close t-1)
 *   part_t  = trade_t / ADV_{t-1}, ADV = mean close*volume over the
 *             adv_window bars ending at t-1 (fewer at the start)
 *   cost_t  = (taker_fee_bps + fixed_spread_bps + linear_impact_bps * part_t) / 1e4
 *   equity_t = equity_{t-1} * (1 + p_t r_t - cost_t |p_t - p_{t-1}|)
 * No allocation: equity goes to the caller's array.
 */
#ifndef QF_BACKTEST_VECTOR_H
#define QF_BACKTEST_VECTOR_H

#include <stddef.h>

#include "core/bars.h"
#include "core/err.h"

typedef struct qf_cost_model {
    double taker_fee_bps;     /* exchange fee on notional */
    double maker_fee_bps;     /* limit orders that rest (event engine only) */
    double fixed_spread_bps;  /* half the quoted spread, paid per trade */
    double linear_impact_bps; /* per unit of participation */
    int adv_window;           /* bars of average dollar volume */
} qf_cost_model;

typedef struct qf_vector_stats {
    double traded_notional;
    double fees;        /* taker fees paid */
    double spread_cost; /* fixed spread paid */
    double impact_cost; /* linear impact paid */
    double gross_pnl;   /* sum of p_t r_t equity_{t-1}, before costs */
    size_t bars_in_market;
    size_t trades; /* bars at which the position changed */
} qf_vector_stats;

/* QF_EINVAL naming the parameter when a cost is negative or not finite, or
 * adv_window < 1. */
QF_NODISCARD qf_rc qf_cost_model_check(const qf_cost_model *c, qf_err *err);

/* Runs the vectorized backtest over b (b->n >= 1 bars) with target[0 ..
 * n-1]; out_equity[0 .. n-1] gets the equity at each close (out_equity[0] =
 * initial_equity). QF_EINVAL for a target outside [-1, 1] or not finite
 * (naming the bar), a non-positive initial equity, or a bad cost model; then
 * nothing is written. out_stats may be NULL. */
QF_NODISCARD qf_rc qf_vector_run(const qf_bars *b, const double *target, const qf_cost_model *c,
                                 double initial_equity, double *out_equity,
                                 qf_vector_stats *out_stats, qf_err *err);

#endif
