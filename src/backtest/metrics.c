/*
 * metrics.c - backtest metrics (formulas in metrics.h). The normal CDF and
 * quantile come from GSL rather than our own approximation.
 */
#include "backtest/metrics.h"
#include "core/simd.h"

#include <gsl/gsl_cdf.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
 * O(n) where a full sort would be O(n log n). */
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

/* The tail is found without copying every return: a histogram of a coarse
 * monotone key (sign, 5 bits of exponent for |r| in [2^-32, 1), 6 bits of
 * mantissa; values outside clamp to the end buckets) names the bucket that
 * holds the k-th smallest return, and only that bucket's returns are copied
 * and selected. Returns of a few percent fall ~0.1 % of the data to a
 * bucket, so the copy is small; any data, ties included, stay correct
 * because the key never reorders two returns. */
#define TAIL_BUCKETS 4096
#define TAIL_EXP_LO  991 /* biased exponent of 2^-32 */

/* Bars per chunk: returns are divided for a chunk at a time in a loop the
 * compiler vectorizes, then consumed by the sequential sums from L1. */
#define CHUNK 256

/* The key from the upper 32 bits of r, branch-free so it vectorizes. */
static unsigned tail_bucket(double r)
{
    uint64_t u;
    memcpy(&u, &r, sizeof u);
    uint32_t hi = (uint32_t)(u >> 32);
    uint32_t e = hi >> 20 & 0x7ffu;
    uint32_t c = (e - TAIL_EXP_LO) << 6 | (hi >> 14 & 63u);
    c = e < TAIL_EXP_LO ? 0 : c;
    c = e >= TAIL_EXP_LO + 32 ? 2047 : c;
    return hi >> 31 ? 2047 - c : 2048 + c;
}

/* r[j] = eq[j+1] / eq[j] - 1 and its bucket, for j < m. Returns whether
 * every eq[j+1] is positive and finite (NaN fails both tests); the checks
 * have no early exit so the loop vectorizes. */
QF_WIDE static int returns_chunk(const double *restrict eq, size_t m, double *restrict r,
                                 unsigned *restrict b)
{
    int ok = 1;
    for (size_t j = 0; j < m; j++) {
        ok &= (eq[j + 1] > 0.0) & (eq[j + 1] <= DBL_MAX);
        r[j] = eq[j + 1] / eq[j] - 1.0;
    }
    for (size_t j = 0; j < m; j++)
        b[j] = tail_bucket(r[j]);
    return ok;
}

/* First pass over the curve: everything that needs no mean. */
typedef struct pass1 {
    double sum_r, sum_eq;
    double max_dd;
    int64_t dd_bars;
} pass1;

/* Drawdown without a division per bar: below a peak, 1 - eq / peak is
 * largest at the lowest equity (rounding is monotone), so only the trough
 * of each run below the peak is divided, with identical bits. Histogram
 * counts are added per run of equal buckets: flat stretches (no position)
 * would otherwise chain every increment through memory. */
static int first_pass(const double *eq, size_t n, size_t *hist, pass1 *out)
{
    int ok = eq[0] > 0.0 && eq[0] <= DBL_MAX;
    double r[CHUNK];
    unsigned b[CHUNK];
    double sum_r = 0, sum_eq = eq[0];
    double peak = eq[0], trough = eq[0], worst = 0;
    int64_t run = 0, longest = 0;
    unsigned last = 0;
    size_t same = 0;
    for (size_t i0 = 0; i0 + 1 < n; i0 += CHUNK) {
        size_t m = n - 1 - i0 < CHUNK ? n - 1 - i0 : CHUNK;
        ok &= returns_chunk(eq + i0, m, r, b);
        for (size_t j = 0; j < m; j++) {
            double e = eq[i0 + j + 1];
            sum_r += r[j];
            sum_eq += e;
            if (b[j] == last) {
                same++;
            } else {
                hist[last] += same;
                last = b[j];
                same = 1;
            }
            if (e >= peak) {
                double dd = 1.0 - trough / peak;
                worst = dd > worst ? dd : worst;
                longest = run > longest ? run : longest;
                peak = e;
                trough = e;
                run = 0;
            } else {
                trough = e < trough ? e : trough;
                run++;
            }
        }
    }
    hist[last] += same;
    double dd = 1.0 - trough / peak;
    out->max_dd = dd > worst ? dd : worst;
    out->dd_bars = run > longest ? run : longest;
    out->sum_r = sum_r;
    out->sum_eq = sum_eq;
    return ok;
}

/* Mean, ddof-1 deviation, downside deviation, skewness and kurtosis of r. */
typedef struct moments {
    double mean, sd, downside, skew, kurt;
} moments;

/* Tail of the k smallest returns: the bucket holding the k-th, how many of
 * them lie below it, and the sum of those (in bar order). */
typedef struct tail {
    unsigned bucket;
    size_t below;
    double sum_below;
    double *cand; /* the bucket's returns, plus one slot of slack */
    size_t n_cand;
} tail;

/* Second pass: central moments about the mean (the same sums in the same
 * order as a two-pass textbook formula) and the returns of the tail,
 * without branches (adding +0.0 leaves a sum's bits alone). */
static moments second_pass(const double *eq, size_t t, double mean, tail *tl)
{
    double r[CHUNK];
    unsigned b[CHUNK];
    moments m = {mean, NAN, 0, NAN, NAN};
    double m2 = 0, m3 = 0, m4 = 0, down = 0, below = 0;
    size_t nc = 0;
    unsigned tb = tl->bucket;
    for (size_t i0 = 0; i0 < t; i0 += CHUNK) {
        size_t len = t - i0 < CHUNK ? t - i0 : CHUNK;
        (void)returns_chunk(eq + i0, len, r, b);
        for (size_t j = 0; j < len; j++) {
            double d = r[j] - mean;
            double d2 = d * d;
            double d3 = d2 * d;
            m2 += d2;
            m3 += d3;
            m4 += d3 * d;
            double neg = r[j] < 0 ? r[j] : 0;
            down += neg * neg;
            below += b[j] < tb ? r[j] : 0.0;
            tl->cand[nc] = r[j];
            nc += b[j] == tb;
        }
    }
    tl->sum_below = below;
    tl->n_cand = nc;
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

/* The checks after the equity curve's own (first_pass checks the values on
 * its way, and the caller names the first bad one). */
static qf_rc check_params(const qf_metrics_input *in, qf_err *err)
{
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

/* Finds the bucket of the k-th smallest return from the histogram. */
static void tail_bucket_of(const size_t *hist, size_t k, tail *tl)
{
    size_t below = 0;
    unsigned b = 0;
    while (below + hist[b] < k)
        below += hist[b++];
    tl->bucket = b;
    tl->below = below;
}

qf_rc qf_metrics_compute(const qf_metrics_input *in, qf_metrics *out, qf_err *err)
{
    if (in->equity == NULL || in->n < 2)
        return qf_err_set(err, QF_EINVAL, "metrics: need at least two equity points, got %zu",
                          in->equity == NULL ? (size_t)0 : in->n);
    size_t hist[TAIL_BUCKETS] = {0};
    pass1 p1;
    if (!first_pass(in->equity, in->n, hist, &p1))
        for (size_t i = 0; i < in->n; i++)
            if (!(in->equity[i] > 0) || !isfinite(in->equity[i]))
                return qf_err_set(err, QF_EINVAL,
                                  "metrics: equity must be positive and finite, got %g at bar %zu",
                                  in->equity[i], i);
    qf_rc rc = check_params(in, err);
    if (rc != QF_OK)
        return rc;
    size_t t = in->n - 1;
    size_t k = (size_t)ceil(0.05 * (double)t); /* 1-based rank of the 5 % quantile */
    if (k < 1)
        k = 1;
    tail tl;
    tail_bucket_of(hist, k, &tl);
    tl.cand = malloc((hist[tl.bucket] + 1) * sizeof *tl.cand);
    if (tl.cand == NULL)
        return qf_err_set(err, QF_ENOMEM, "metrics: out of memory for %zu returns",
                          hist[tl.bucket]);
    qf_metrics m;
    double e0 = in->equity[0];
    double e1 = in->equity[in->n - 1];
    double years = (double)t / in->bars_per_year;
    double ann = sqrt(in->bars_per_year);
    moments mo = second_pass(in->equity, t, p1.sum_r / (double)t, &tl);
    m.final_equity = e1;
    m.total_return = e1 / e0 - 1.0;
    m.cagr = pow(e1 / e0, 1.0 / years) - 1.0;
    double sr = mo.sd > 0 ? mo.mean / mo.sd : NAN;
    m.sharpe = sr * ann;
    m.sortino = mo.downside > 0 ? mo.mean / mo.downside * ann : NAN;
    m.max_drawdown = p1.max_dd;
    m.max_drawdown_duration_bars = p1.dd_bars;
    m.calmar = m.max_drawdown > 0 ? m.cagr / m.max_drawdown : NAN;
    trade_stats(in, &m);
    double mean_eq = p1.sum_eq / (double)in->n;
    m.turnover_annual = in->traded_notional / mean_eq / years;
    m.exposure = (double)in->bars_in_market / (double)t;
    size_t need = k - tl.below; /* 1 .. n_cand */
    select_smallest(tl.cand, tl.n_cand, need);
    double kth = tl.cand[0];
    double tail_sum = tl.sum_below;
    for (size_t i = 0; i < need; i++) {
        kth = tl.cand[i] > kth ? tl.cand[i] : kth;
        tail_sum += tl.cand[i];
    }
    free(tl.cand);
    m.var_5 = -kth;
    m.cvar_5 = -tail_sum / (double)k;
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
