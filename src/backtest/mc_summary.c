/* mc_summary.c - the distribution summary of Monte Carlo simulations. */
#include <math.h>
#include <stdlib.h>

#include "backtest/montecarlo.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile q in [0, 1] of sorted v[0 .. m-1], linear interpolation
 * between order statistics (numpy's default). */
static double percentile(const double *v, size_t m, double q)
{
    double h = q * (double)(m - 1);
    size_t lo = (size_t)floor(h);
    size_t hi = lo + 1 < m ? lo + 1 : lo;
    return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

static void column(const double *sims, size_t n_sims, size_t col, double *tmp, qf_mc_dist *d)
{
    size_t m = 0;
    double sum = 0;
    for (size_t i = 0; i < n_sims; i++) {
        double v = sims[3 * i + col];
        if (isnan(v))
            continue;
        tmp[m++] = v;
        sum += v;
    }
    if (m == 0) {
        *d = (qf_mc_dist){NAN, NAN, NAN, NAN};
        return;
    }
    qsort(tmp, m, sizeof *tmp, cmp_double);
    *d = (qf_mc_dist){sum / (double)m, percentile(tmp, m, 0.05), percentile(tmp, m, 0.5),
                      percentile(tmp, m, 0.95)};
}

qf_rc qf_mc_summarize(const double *sims, size_t n_sims, qf_mc_summary *out, qf_err *err)
{
    double *tmp = malloc((n_sims ? n_sims : 1) * sizeof *tmp);
    if (tmp == NULL)
        return qf_err_set(err, QF_ENOMEM, "montecarlo: out of memory for %zu simulations", n_sims);
    qf_mc_summary s;
    s.n_sims = n_sims;
    column(sims, n_sims, 0, tmp, &s.total_return);
    column(sims, n_sims, 1, tmp, &s.sharpe);
    column(sims, n_sims, 2, tmp, &s.max_drawdown);
    size_t losses = 0;
    for (size_t i = 0; i < n_sims; i++)
        losses += sims[3 * i] < 0;
    s.prob_loss = n_sims ? (double)losses / (double)n_sims : NAN;
    free(tmp);
    *out = s;
    return QF_OK;
}
