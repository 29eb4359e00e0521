/*
 * metrics.c - backtest metrics (formulas in metrics.h). The normal CDF and
 * quantile come from GSL rather than our own approximation.
 */
#include "backtest/metrics.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

const char *const qf_metric_names[QF_METRICS_COUNT] = {
    "final_equity", "total_return",  "cagr",         "sharpe",
    "sortino",      "calmar",        "max_drawdown", "max_drawdown_duration_bars",
    "hit_rate",     "profit_factor", "trades",       "turnover_annual",
    "exposure",     "var_5",         "cvar_5",       "psr",
    "dsr",          "capacity_usd"};

double qf_metrics_get(const qf_metrics *m, size_t index)
{
    double v[QF_METRICS_COUNT] = {
        m->final_equity, m->total_return,  m->cagr,           m->sharpe,
        m->sortino,      m->calmar,        m->max_drawdown,   (double)m->max_drawdown_duration_bars,
        m->hit_rate,     m->profit_factor, (double)m->trades, m->turnover_annual,
        m->exposure,     m->var_5,         m->cvar_5,         m->psr,
        m->dsr,          m->capacity_usd};
    return index < QF_METRICS_COUNT ? v[index] : NAN;
}

/* Rearranges v so that v[0 .. k-1] hold its k smallest values (any order)
 * and v[k-1] is the k-th smallest: quickselect with a median-of-three pivot,
 * O(n) on market data where a full sort would be O(n log n). */
static void select_smallest(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            return;
    }
}

/* Mean, ddof-1 deviation, downside deviation, skewness and kurtosis of r. */
typedef struct moments {
    double mean, sd, downside, skew, kurt;
} moments;

static moments return_moments(const double *r, size_t t)
{
    moments m = {0, NAN, 0, NAN, NAN};
    for (size_t i = 0; i < t; i++)
        m.mean += r[i];
    m.mean /= (double)t;
    double m2 = 0, m3 = 0, m4 = 0, down = 0;
    for (size_t i = 0; i < t; i++) {
        double d = r[i] - m.mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
        double neg = r[i] < 0 ? r[i] : 0;
        down += neg * neg;
    }
    m.downside = sqrt(down / (double)t);
    if (t >= 2)
        m.sd = sqrt(m2 / (double)(t - 1));
    double pop_var = m2 / (double)t;
    if (pop_var > 0) {
        m.skew = (m3 / (double)t) / pow(pop_var, 1.5);
        m.kurt = (m4 / (double)t) / (pop_var * pop_var);
    }
    return m;
}

/* Probability that the true per-bar Sharpe exceeds sr_star. */
static double probabilistic_sharpe(double sr, double sr_star, const moments *m, size_t t)
{
    if (!isfinite(sr) || !isfinite(m->skew) || t < 2)
        return NAN;
    double denom = 1.0 - m->skew * sr + (m->kurt - 1.0) / 4.0 * sr * sr;
    if (!(denom > 0))
        return NAN;
    return gsl_cdf_ugaussian_P((sr - sr_star) * sqrt((double)(t - 1)) / sqrt(denom));
}

static void drawdown(const double *eq, size_t n, double *out_max, int64_t *out_duration)
{
    double peak = eq[0];
    double worst = 0;
    int64_t run = 0;
    int64_t longest = 0;
    for (size_t i = 1; i < n; i++) {
        if (eq[i] >= peak) {
            peak = eq[i];
            run = 0;
            continue;
        }
        run++;
        if (run > longest)
            longest = run;
        double dd = 1.0 - eq[i] / peak;
        if (dd > worst)
            worst = dd;
    }
    *out_max = worst;
    *out_duration = longest;
}

static void trade_stats(const qf_metrics_input *in, qf_metrics *out)
{
    double wins = 0, losses = 0;
    size_t n_win = 0;
    for (size_t i = 0; i < in->n_trades; i++) {
        if (in->trade_pnl[i] > 0) {
            wins += in->trade_pnl[i];
            n_win++;
        } else {
            losses += in->trade_pnl[i];
        }
    }
    out->trades = (int64_t)in->n_trades;
    out->hit_rate = in->n_trades > 0 ? (double)n_win / (double)in->n_trades : NAN;
    out->profit_factor = losses < 0 ? wins / -losses : NAN;
}

static qf_rc check_input(const qf_metrics_input *in, qf_err *err)
{
    if (in->equity == NULL || in->n < 2)
        return qf_err_set(err, QF_EINVAL, "metrics: need at least two equity points, got %zu",
                          in->equity == NULL ? (size_t)0 : in->n);
    for (size_t i = 0; i < in->n; i++)
        if (!(in->equity[i] > 0) || !isfinite(in->equity[i]))
            return qf_err_set(err, QF_EINVAL,
                              "metrics: equity must be positive and finite, got %g at bar %zu",
                              in->equity[i], i);
    if (!(in->bars_per_year > 0) || !isfinite(in->bars_per_year))
        return qf_err_set(err, QF_EINVAL, "metrics: bars_per_year must be positive, got %g",
                          in->bars_per_year);
    if (in->n_trials < 1)
        return qf_err_set(err, QF_EINVAL, "metrics: n_trials must be >= 1, got %d", in->n_trials);
    if (in->n_trades > 0 && in->trade_pnl == NULL)
        return qf_err_set(err, QF_EINVAL, "metrics: trade_pnl is NULL with %zu trades",
                          in->n_trades);
    return QF_OK;
}

qf_rc qf_metrics_compute(const qf_metrics_input *in, qf_metrics *out, qf_err *err)
{
    qf_rc rc = check_input(in, err);
    if (rc != QF_OK)
        return rc;
    size_t t = in->n - 1;
    double *r = malloc(t * sizeof *r);
    if (r == NULL)
        return qf_err_set(err, QF_ENOMEM, "metrics: out of memory for %zu returns", t);
    for (size_t i = 0; i < t; i++)
        r[i] = in->equity[i + 1] / in->equity[i] - 1.0;
    qf_metrics m;
    double e0 = in->equity[0];
    double e1 = in->equity[in->n - 1];
    double years = (double)t / in->bars_per_year;
    double ann = sqrt(in->bars_per_year);
    moments mo = return_moments(r, t);
    m.final_equity = e1;
    m.total_return = e1 / e0 - 1.0;
    m.cagr = pow(e1 / e0, 1.0 / years) - 1.0;
    double sr = mo.sd > 0 ? mo.mean / mo.sd : NAN;
    m.sharpe = sr * ann;
    m.sortino = mo.downside > 0 ? mo.mean / mo.downside * ann : NAN;
    drawdown(in->equity, in->n, &m.max_drawdown, &m.max_drawdown_duration_bars);
    m.calmar = m.max_drawdown > 0 ? m.cagr / m.max_drawdown : NAN;
    trade_stats(in, &m);
    double mean_eq = 0;
    for (size_t i = 0; i < in->n; i++)
        mean_eq += in->equity[i];
    mean_eq /= (double)in->n;
    m.turnover_annual = in->traded_notional / mean_eq / years;
    m.exposure = (double)in->bars_in_market / (double)t;
    size_t k = (size_t)ceil(0.05 * (double)t); /* 1-based rank of the 5 % quantile */
    if (k < 1)
        k = 1;
    select_smallest(r, t, k);
    double kth = r[0];
    for (size_t i = 1; i < k; i++)
        if (r[i] > kth)
            kth = r[i];
    m.var_5 = -kth;
    double tail = 0;
    for (size_t i = 0; i < k; i++)
        tail += r[i];
    m.cvar_5 = -tail / (double)k;
    free(r);
    m.psr = probabilistic_sharpe(sr, 0.0, &mo, t);
    double sr_star = 0.0;
    if (in->n_trials > 1 && isfinite(sr) && isfinite(mo.skew)) {
        double v = (1.0 - mo.skew * sr + (mo.kurt - 1.0) / 4.0 * sr * sr) / (double)(t - 1);
        double euler = 0.5772156649015329;
        double nt = (double)in->n_trials;
        sr_star = sqrt(v) * ((1 - euler) * gsl_cdf_ugaussian_Pinv(1 - 1 / nt) +
                             euler * gsl_cdf_ugaussian_Pinv(1 - 1 / (nt * exp(1.0))));
    }
    m.dsr = probabilistic_sharpe(sr, sr_star, &mo, t);
    if (!(in->gross_pnl > 0))
        m.capacity_usd = 0;
    else if (!(in->impact_cost > 0))
        m.capacity_usd = INFINITY;
    else
        m.capacity_usd = 0.5 * in->gross_pnl / in->impact_cost * e0;
    *out = m;
    return QF_OK;
}
