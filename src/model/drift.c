/*
 * drift.c - population stability index.
 */
#include "model/drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted s[0..m), linear between order statistics. */
static double quantile_sorted(const double *s, size_t m, double q)
{
    double pos = q * (double)(m - 1);
    size_t lo = (size_t)pos;
    if (lo + 1 >= m)
        return s[m - 1];
    double frac = pos - (double)lo;
    return s[lo] + (s[lo + 1] - s[lo]) * frac;
}

size_t qf_psi_bin(const qf_psi_ref *ref, double x)
{
    /* the number of edges below x, by bisection */
    size_t lo = 0, hi = ref->n_bins - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x > ref->edges[mid])
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

qf_rc qf_psi_reference(const double *x, size_t n, size_t bins, double *scratch, qf_psi_ref *out,
                       qf_err *err)
{
    if (bins < 2 || bins > QF_PSI_BINS_MAX)
        return qf_err_set(err, QF_EINVAL, "drift: bins must be in 2..%d, got %zu", QF_PSI_BINS_MAX,
                          bins);
    if (n > 0 && (x == NULL || scratch == NULL))
        return qf_err_set(err, QF_EINVAL, "drift: no %s array", x == NULL ? "input" : "scratch");
    if (out == NULL)
        return qf_err_set(err, QF_EINVAL, "drift: no output");
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            scratch[m++] = x[i];
    if (m < bins)
        return qf_err_set(err, QF_EINVAL,
                          "drift: the reference needs at least %zu finite values, has %zu", bins,
                          m);
    qsort(scratch, m, sizeof *scratch, cmp_double);
    qf_psi_ref r;
    memset(&r, 0, sizeof r);
    size_t ne = 0;
    for (size_t k = 1; k < bins; k++) {
        double e = quantile_sorted(scratch, m, (double)k / (double)bins);
        if (ne == 0 || e > r.edges[ne - 1])
            r.edges[ne++] = e;
    }
    r.n_bins = ne + 1;
    size_t counts[QF_PSI_BINS_MAX] = {0};
    for (size_t i = 0; i < m; i++)
        counts[qf_psi_bin(&r, scratch[i])]++;
    for (size_t j = 0; j < r.n_bins; j++)
        r.share[j] = (double)counts[j] / (double)m;
    *out = r;
    return QF_OK;
}

double qf_psi(const qf_psi_ref *ref, const double *y, size_t n)
{
    size_t counts[QF_PSI_BINS_MAX] = {0};
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]))
            continue;
        counts[qf_psi_bin(ref, y[i])]++;
        m++;
    }
    if (m == 0)
        return NAN;
    double psi = 0.0;
    for (size_t j = 0; j < ref->n_bins; j++) {
        double a = (double)counts[j] / (double)m, e = ref->share[j];
        a = a < QF_PSI_FLOOR ? QF_PSI_FLOOR : a;
        e = e < QF_PSI_FLOOR ? QF_PSI_FLOOR : e;
        psi += (a - e) * log(a / e);
    }
    return psi;
}
