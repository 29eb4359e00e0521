/*
 * vector.c - the vectorized engine (formulas in vector.h).
 */
#include "backtest/vector.h"
#include "core/simd.h"

#include <math.h>
#include <string.h>

qf_rc qf_cost_model_check(const qf_cost_model *c, qf_err *err)
{
    struct {
        const char *name;
        double v;
    } costs[] = {{"taker_fee_bps", c->taker_fee_bps},
                 {"maker_fee_bps", c->maker_fee_bps},
                 {"fixed_spread_bps", c->fixed_spread_bps},
                 {"linear_impact_bps", c->linear_impact_bps}};
    for (size_t i = 0; i < sizeof costs / sizeof costs[0]; i++)
        if (!(costs[i].v >= 0) || !isfinite(costs[i].v))
            return qf_err_set(err, QF_EINVAL, "costs: %s must be >= 0, got %g", costs[i].name,
                              costs[i].v);
    if (c->adv_window < 1)
        return qf_err_set(err, QF_EINVAL, "costs: adv_window must be >= 1 bar, got %d",
                          c->adv_window);
    return QF_OK;
}

/* -1 <= x[i] <= 1 for all i (NaN fails), without an early exit so the loop
 * vectorizes; the caller looks for the culprit only on failure. */
QF_WIDE static int all_in_unit_range(const double *x, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= (x[i] >= -1.0) & (x[i] <= 1.0);
    return ok;
}

/* Bars per chunk: the divisions and products that do not depend on the
 * running equity are done a chunk at a time in a loop that vectorizes. */
#define CHUNK 256

/* r[j] = close[j+1] / close[j] - 1 and dv[j] = close[j] * vol[j], j < m. */
QF_WIDE static void chunk_inputs(const double *restrict close, const double *restrict vol, size_t m,
                                 double *restrict r, double *restrict dv)
{
    for (size_t j = 0; j < m; j++) {
        r[j] = close[j + 1] / close[j] - 1.0;
        dv[j] = close[j] * vol[j];
    }
}

static qf_rc check_run(const qf_bars *b, const double *target, const qf_cost_model *c,
                       double initial_equity, const double *out_equity, qf_err *err)
{
    qf_rc rc = qf_cost_model_check(c, err);
    if (rc != QF_OK)
        return rc;
    if (b->n < 1 || target == NULL || out_equity == NULL)
        return qf_err_set(err, QF_EINVAL, "vector: need at least one bar and the arrays");
    if (!(initial_equity > 0) || !isfinite(initial_equity))
        return qf_err_set(err, QF_EINVAL, "vector: initial equity must be positive, got %g",
                          initial_equity);
    if (!all_in_unit_range(target, b->n))
        for (size_t t = 0; t < b->n; t++)
            if (!(target[t] >= -1.0 && target[t] <= 1.0))
                return qf_err_set(err, QF_EINVAL, "vector: target at bar %zu is %g, not in [-1, 1]",
                                  t, target[t]);
    return QF_OK;
}

qf_rc qf_vector_run(const qf_bars *b, const double *target, const qf_cost_model *c,
                    double initial_equity, double *out_equity, qf_vector_stats *out_stats,
                    qf_err *err)
{
    qf_rc rc = check_run(b, target, c, initial_equity, out_equity, err);
    if (rc != QF_OK)
        return rc;
    qf_vector_stats st;
    memset(&st, 0, sizeof st);
    const double *close = b->close;
    const double *vol = b->volume;
    size_t w = (size_t)c->adv_window;
    double fixed = (c->taker_fee_bps + c->fixed_spread_bps) / 1e4;
    double impact = c->linear_impact_bps / 1e4;
    double eq = initial_equity;
    double prev_p = 0.0;
    double dv_sum = 0.0; /* close*volume over the ADV window ending at t-1 */
    out_equity[0] = eq;
    double r[CHUNK], dv[CHUNK];
    for (size_t t0 = 1; t0 < b->n; t0 += CHUNK) {
        size_t m = b->n - t0 < CHUNK ? b->n - t0 : CHUNK;
        chunk_inputs(close + t0 - 1, vol + t0 - 1, m, r, dv);
        for (size_t j = 0; j < m; j++) {
            size_t t = t0 + j;
            size_t last = t - 1;
            dv_sum += dv[j];
            if (last >= w)
                dv_sum -= close[last - w] * vol[last - w];
            double p = target[t - 1];
            double dp = fabs(p - prev_p);
            double ret = p * r[j];
            if (dp > 0) {
                double trade = dp * eq;
                size_t nadv = last + 1 < w ? last + 1 : w;
                double adv = dv_sum / (double)nadv;
                double part = adv > 0 ? trade / adv : 0.0;
                double fee_cost = trade * c->taker_fee_bps / 1e4;
                double spread_cost = trade * c->fixed_spread_bps / 1e4;
                double impact_cost = trade * impact * part;
                st.traded_notional += trade;
                st.fees += fee_cost;
                st.spread_cost += spread_cost;
                st.impact_cost += impact_cost;
                st.trades++;
                ret -= dp * (fixed + impact * part);
            }
            st.gross_pnl += eq * p * r[j];
            if (p != 0.0)
                st.bars_in_market++;
            eq *= 1.0 + ret;
            out_equity[t] = eq;
            prev_p = p;
        }
    }
    if (out_stats != NULL)
        *out_stats = st;
    return QF_OK;
}
