/*
 * metrics.h - performance metrics of a backtest from its equity curve and
 * closed trades. Pure functions; fractions, not percents (0.05 = 5 %).
 *
 * Bar returns r_t = equity_t / equity_{t-1} - 1 for t = 1 .. n-1 (T = n-1
 * returns); years = T / bars_per_year; bpy = bars_per_year.
 *   total_return   equity_end / equity_0 - 1
 *   cagr           (equity_end / equity_0)^(1 / years) - 1
 *   sharpe         mean(r) / sd(r) * sqrt(bpy), sd with ddof 1
 *   sortino        mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(bpy)
 *   max_drawdown   max over t of 1 - equity_t / max_{s<=t} equity_s (positive)
 *   max_drawdown_duration_bars  longest run of bars spent below a prior peak
 *   calmar         cagr / max_drawdown
 *   hit_rate       winning closed trades / closed trades (PnL after costs > 0)
 *   profit_factor  sum of winning PnL / |sum of losing PnL|
 *   turnover_annual  traded notional / mean equity / years
 *   exposure       bars holding a position / T
 *   var_5, cvar_5  empirical 5 % quantile of r (lower, type 1: the
 *                  ceil(0.05 T)-th smallest) and the mean of the returns at
 *                  or below it, both sign-flipped to positive losses
 *   psr            probabilistic Sharpe ratio vs 0 (Bailey & Lopez de Prado):
 *                  Phi(SR sqrt(T-1) / sqrt(1 - g3 SR + (g4-1)/4 SR^2)) with
 *                  the per-bar SR, skewness g3 and (non-excess) kurtosis g4
 *   dsr            the same against SR* = sqrt(V) ((1-e) Z(1-1/N) +
 *                  e Z(1-1/(N exp 1))), e = Euler-Mascheroni, N = trials and
 *                  V the variance of the SR estimator; = psr when N = 1
 *   capacity_usd   capital at which linear impact eats half the gross
 *                  return: impact grows with the square of the capital and
 *                  gross PnL linearly, so C* = 0.5 gross_pnl / impact_cost *
 *                  capital (infinite without impact, 0 without gross profit)
 * Undefined values (a zero deviation, no trades, no losses) are NaN (JSON null).
 */
#ifndef QF_BACKTEST_METRICS_H
#define QF_BACKTEST_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct qf_metrics_input {
    const double *equity; /* n >= 2 points, equity[0] the starting capital */
    size_t n;
    double bars_per_year;
    const double *trade_pnl; /* closed trades' PnL after costs; may be NULL when none */
    size_t n_trades;
    double traded_notional; /* sum of |fill notional| */
    size_t bars_in_market;  /* bars (of the T) holding a non-zero position */
    int n_trials;           /* strategies tried, for the deflated Sharpe (>= 1) */
    double gross_pnl;       /* PnL before fees, spread and impact */
    double impact_cost;     /* linear impact paid over the run */
} qf_metrics_input;

typedef struct qf_metrics {
    double final_equity;
    double total_return;
    double cagr;
    double sharpe;
    double sortino;
    double calmar;
    double max_drawdown;
    int64_t max_drawdown_duration_bars;
    double hit_rate;
    double profit_factor;
    int64_t trades;
    double turnover_annual;
    double exposure;
    double var_5;
    double cvar_5;
    double psr;
    double dsr;
    double capacity_usd;
} qf_metrics;

/* Computes every metric. QF_EINVAL (naming the problem) for fewer than two
 * equity points, a non-positive or non-finite equity, bars_per_year <= 0 or
 * n_trials < 1. Allocates a copy of the returns in the VaR tail bucket (about
 * 0.1 % of them; all of them only for degenerate curves) for the quantile
 * (QF_ENOMEM). */
QF_NODISCARD qf_rc qf_metrics_compute(const qf_metrics_input *in, qf_metrics *out, qf_err *err);

/* The metric names in the order of qf_metrics (JSON keys), and a value by
 * index; the duration and trades are returned as doubles. */
#define QF_METRICS_COUNT 18
extern const char *const qf_metric_names[QF_METRICS_COUNT];
double qf_metrics_get(const qf_metrics *m, size_t index);

#endif
