/*
 * slippage.c - the live slippage estimator (slippage.h): a ring buffer of
 * the last QF_SLIPPAGE_WINDOW fills' slippage in bps, their mean and 95th
 * percentile (numpy's linear interpolation over a sorted copy on the stack).
 */
#include "exec/slippage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void qf_slippage_init(qf_slippage *s)
{
    memset(s, 0, sizeof *s);
}

static int price_ok(double v)
{
    return isfinite(v) && v > 0;
}

qf_rc qf_slippage_record(qf_slippage *s, double expected_price, double fill_price, qf_side side,
                         double quantity, double *out_bps, qf_err *err)
{
    qf_err_clear(err);
    if (!price_ok(expected_price))
        return qf_err_set(err, QF_EINVAL, "slippage: expected price must be finite and > 0");
    if (!price_ok(fill_price))
        return qf_err_set(err, QF_EINVAL, "slippage: fill price must be finite and > 0");
    if (side != QF_SIDE_BUY && side != QF_SIDE_SELL)
        return qf_err_set(err, QF_EINVAL, "slippage: side must be buy or sell");
    if (!isfinite(quantity) || quantity <= 0)
        return qf_err_set(err, QF_EINVAL, "slippage: quantity must be finite and > 0");
    double bps = (double)side * (fill_price - expected_price) / expected_price * 1e4;
    s->bps[s->next] = bps;
    s->qty[s->next] = quantity;
    s->next = (s->next + 1) % QF_SLIPPAGE_WINDOW;
    if (s->n < QF_SLIPPAGE_WINDOW)
        s->n++;
    s->total++;
    if (out_bps != NULL)
        *out_bps = bps;
    return QF_OK;
}

size_t qf_slippage_count(const qf_slippage *s)
{
    return s->n;
}

/* While the window is not full its values sit in slots 0..n-1; once full,
 * every slot is in it. Either way the window is slots 0..n-1. */
double qf_slippage_mean(const qf_slippage *s)
{
    if (s->n == 0)
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->bps[i];
    return sum / (double)s->n;
}

double qf_slippage_weighted_mean(const qf_slippage *s)
{
    if (s->n == 0)
        return NAN;
    double sum = 0;
    double w = 0;
    for (size_t i = 0; i < s->n; i++) {
        sum += s->bps[i] * s->qty[i];
        w += s->qty[i];
    }
    return sum / w;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

double qf_slippage_p95(const qf_slippage *s)
{
    if (s->n == 0)
        return NAN;
    double x[QF_SLIPPAGE_WINDOW];
    memcpy(x, s->bps, s->n * sizeof x[0]);
    qsort(x, s->n, sizeof x[0], cmp_double);
    double h = 0.95 * (double)(s->n - 1);
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= s->n)
        return x[lo];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}
