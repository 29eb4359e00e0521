/*
 * drawdown.c - the drawdown monitor (drawdown.h): running peak of
 * marked-to-market equity, the drawdown below it, and seeding from history.
 */
#include "risk/drawdown.h"

#include <math.h>

void qf_drawdown_init(qf_drawdown *dd)
{
    dd->peak = NAN;
    dd->peak_time = 0;
    dd->equity = NAN;
    dd->time = 0;
    dd->drawdown = 0;
    dd->max_drawdown = 0;
    dd->n = 0;
}

qf_rc qf_drawdown_mtm_equity(double cash, const qf_position *positions, size_t n,
                             double *out_equity, qf_err *err)
{
    if (out_equity == NULL || (n > 0 && positions == NULL))
        return qf_err_set(err, QF_EINVAL, "drawdown: no positions or no output");
    if (!isfinite(cash))
        return qf_err_set(err, QF_EINVAL, "drawdown: cash must be finite (got %g)", cash);
    double equity = cash;
    for (size_t i = 0; i < n; i++) {
        const qf_position *p = &positions[i];
        if (!isfinite(p->quantity))
            return qf_err_set(err, QF_EINVAL,
                              "drawdown: position %zu (%.*s): quantity is not "
                              "finite (%g)",
                              i, QF_SYMBOL_MAX, p->symbol, p->quantity);
        if (p->quantity == 0)
            continue;
        if (!isfinite(p->mark_price) || p->mark_price <= 0)
            return qf_err_set(err, QF_EINVAL,
                              "drawdown: position %zu (%.*s): mark_price must be a finite number "
                              "> 0 (got %g)",
                              i, QF_SYMBOL_MAX, p->symbol, p->mark_price);
        equity += p->quantity * p->mark_price;
    }
    if (!isfinite(equity))
        return qf_err_set(err, QF_EINVAL, "drawdown: equity overflows");
    *out_equity = equity;
    return QF_OK;
}

/* The step both update and seed take; the value is already checked. */
static void feed(qf_drawdown *dd, int64_t time, double equity)
{
    if (dd->n == 0 || equity > dd->peak) {
        dd->peak = equity;
        dd->peak_time = time;
    }
    dd->equity = equity;
    dd->time = time;
    dd->drawdown = dd->peak > 0 ? 1.0 - equity / dd->peak : 0.0;
    if (dd->drawdown > dd->max_drawdown)
        dd->max_drawdown = dd->drawdown;
    dd->n++;
}

static qf_rc check_value(const qf_drawdown *dd, int64_t time, double equity, qf_err *err)
{
    if (!isfinite(equity))
        return qf_err_set(err, QF_EINVAL, "drawdown: equity must be finite (got %g at %lld)",
                          equity, (long long)time);
    if (dd->n > 0 && time < dd->time)
        return qf_err_set(err, QF_EINVAL, "drawdown: time goes backwards (%lld after %lld)",
                          (long long)time, (long long)dd->time);
    return QF_OK;
}

qf_rc qf_drawdown_update(qf_drawdown *dd, int64_t time, double equity, qf_err *err)
{
    if (dd == NULL)
        return qf_err_set(err, QF_EINVAL, "drawdown: no monitor");
    qf_rc rc = check_value(dd, time, equity, err);
    if (rc != QF_OK)
        return rc;
    feed(dd, time, equity);
    return QF_OK;
}

qf_rc qf_drawdown_seed(qf_drawdown *dd, const int64_t *times, const double *equity, size_t n,
                       qf_err *err)
{
    if (dd == NULL || (n > 0 && (times == NULL || equity == NULL)))
        return qf_err_set(err, QF_EINVAL, "drawdown: no monitor or no history");
    qf_drawdown next;
    qf_drawdown_init(&next);
    for (size_t i = 0; i < n; i++) {
        qf_rc rc = check_value(&next, times[i], equity[i], err);
        if (rc != QF_OK)
            return qf_err_prefix(err, "history entry %zu", i);
        feed(&next, times[i], equity[i]);
    }
    *dd = next;
    return QF_OK;
}

int qf_drawdown_breached(const qf_drawdown *dd, double max_drawdown_pct)
{
    return dd != NULL && dd->n > 0 && dd->drawdown >= max_drawdown_pct;
}
