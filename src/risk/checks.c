/*
 * checks.c - the pre-trade and post-trade risk checks (checks.h).
 *
 * qf_risk_pre_trade validates everything first (so bad input never yields a
 * half-written verdict), measures the portfolio once (drawdown, the
 * symbol's position, gross exposure of the other symbols), then walks the
 * checks in their documented order; each check is a small function that
 * returns 1 and fills the verdict when it refuses the order.
 */
#include "risk/checks.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Relative slack of the "exceeds" tests (checks.h). */
#define LIMIT_SLACK 1e-9

static const char *const reason_names[] = {
#define QF_RISK_REASON_NAME(name, str, doc) str,
    QF_RISK_REASON_MAP(QF_RISK_REASON_NAME)
#undef QF_RISK_REASON_NAME
};

static const char *const reason_docs[] = {
#define QF_RISK_REASON_DOC(name, str, doc) doc,
    QF_RISK_REASON_MAP(QF_RISK_REASON_DOC)
#undef QF_RISK_REASON_DOC
};

const char *qf_risk_reason_name(qf_risk_reason r)
{
    if ((int)r < 0 || r >= QF_RISK_REASON_COUNT)
        return "unknown";
    return reason_names[r];
}

const char *qf_risk_reason_doc(qf_risk_reason r)
{
    if ((int)r < 0 || r >= QF_RISK_REASON_COUNT)
        return "unknown reason";
    return reason_docs[r];
}

qf_rc qf_risk_reason_parse(const char *name, qf_risk_reason *out_reason, qf_err *err)
{
    for (int i = 0; name != NULL && i < QF_RISK_REASON_COUNT; i++) {
        if (strcmp(name, reason_names[i]) == 0) {
            *out_reason = (qf_risk_reason)i;
            return QF_OK;
        }
    }
    return qf_err_set(err, QF_EINVAL, "risk: unknown reason '%s'", name != NULL ? name : "");
}

qf_risk_limits qf_risk_limits_from_config(const qf_config_risk *risk)
{
    qf_risk_limits l = {risk->max_position_pct, risk->max_portfolio_leverage,
                        risk->max_drawdown_pct, risk->max_concentration_pct,
                        risk->min_trade_usd,    risk->staleness_threshold_minutes};
    return l;
}

static int fraction_ok(double v)
{
    return isfinite(v) && v > 0 && v <= 1;
}

qf_rc qf_risk_limits_check(const qf_risk_limits *l, qf_err *err)
{
    if (l == NULL)
        return qf_err_set(err, QF_EINVAL, "risk: no limits");
    if (!fraction_ok(l->max_position_pct))
        return qf_err_set(err, QF_EINVAL, "risk: max_position_pct must be in (0, 1] (got %g)",
                          l->max_position_pct);
    if (!isfinite(l->max_portfolio_leverage) || l->max_portfolio_leverage <= 0)
        return qf_err_set(err, QF_EINVAL,
                          "risk: max_portfolio_leverage must be a finite number > 0 (got %g)",
                          l->max_portfolio_leverage);
    if (!fraction_ok(l->max_drawdown_pct))
        return qf_err_set(err, QF_EINVAL, "risk: max_drawdown_pct must be in (0, 1] (got %g)",
                          l->max_drawdown_pct);
    if (!fraction_ok(l->max_concentration_pct))
        return qf_err_set(err, QF_EINVAL, "risk: max_concentration_pct must be in (0, 1] (got %g)",
                          l->max_concentration_pct);
    if (!isfinite(l->min_trade_usd) || l->min_trade_usd < 0)
        return qf_err_set(err, QF_EINVAL,
                          "risk: min_trade_usd must be a finite number >= 0 (got %g)",
                          l->min_trade_usd);
    if (l->staleness_threshold_minutes < 1)
        return qf_err_set(err, QF_EINVAL, "risk: staleness_threshold_minutes must be >= 1 (got %d)",
                          l->staleness_threshold_minutes);
    return QF_OK;
}

static int symbol_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && memchr(s, '\0', QF_SYMBOL_MAX) != NULL;
}

static qf_rc check_position(const qf_position *p, size_t i, qf_err *err)
{
    if (!symbol_ok(p->symbol))
        return qf_err_set(err, QF_EINVAL, "risk: position %zu: symbol missing or too long", i);
    if (!isfinite(p->quantity))
        return qf_err_set(err, QF_EINVAL, "risk: position %zu (%s): quantity is not finite (%g)", i,
                          p->symbol, p->quantity);
    if (p->quantity != 0 && (!isfinite(p->mark_price) || p->mark_price <= 0))
        return qf_err_set(err, QF_EINVAL,
                          "risk: position %zu (%s): mark_price must be a finite number > 0 "
                          "(got %g)",
                          i, p->symbol, p->mark_price);
    return QF_OK;
}

static qf_rc check_portfolio(const qf_risk_portfolio *pf, qf_err *err)
{
    if (pf == NULL)
        return qf_err_set(err, QF_EINVAL, "risk: no portfolio");
    if (!isfinite(pf->equity))
        return qf_err_set(err, QF_EINVAL, "risk: equity must be finite (got %g)", pf->equity);
    if (isnan(pf->peak_equity) || isinf(pf->peak_equity))
        return qf_err_set(err, QF_EINVAL, "risk: peak_equity must be finite (got %g)",
                          pf->peak_equity);
    if (pf->equity <= 0 && pf->peak_equity <= 0)
        return qf_err_set(err, QF_EINVAL,
                          "risk: no positive equity to measure against (equity %g, peak %g)",
                          pf->equity, pf->peak_equity);
    if (pf->n_positions > 0 && pf->positions == NULL)
        return qf_err_set(err, QF_EINVAL, "risk: %zu positions without an array", pf->n_positions);
    for (size_t i = 0; i < pf->n_positions; i++) {
        qf_rc rc = check_position(&pf->positions[i], i, err);
        if (rc != QF_OK)
            return rc;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(pf->positions[i].symbol, pf->positions[j].symbol) == 0)
                return qf_err_set(err, QF_EINVAL, "risk: position %s appears twice",
                                  pf->positions[i].symbol);
        }
    }
    return QF_OK;
}

static qf_rc check_order(const qf_risk_order *o, int64_t now, qf_err *err)
{
    if (o == NULL)
        return qf_err_set(err, QF_EINVAL, "risk: no order");
    if (!symbol_ok(o->symbol))
        return qf_err_set(err, QF_EINVAL, "risk: order symbol missing or too long");
    if (!isfinite(o->quantity) || o->quantity == 0)
        return qf_err_set(err, QF_EINVAL,
                          "risk: order %s: quantity must be a finite non-zero number (got %g)",
                          o->symbol, o->quantity);
    if (!isfinite(o->price) || o->price <= 0)
        return qf_err_set(err, QF_EINVAL,
                          "risk: order %s: price must be a finite number > 0 (got %g)", o->symbol,
                          o->price);
    if (!isfinite(o->working_qty))
        return qf_err_set(err, QF_EINVAL, "risk: order %s: working_qty is not finite (%g)",
                          o->symbol, o->working_qty);
    if (o->data_time < 0 || now < 0)
        return qf_err_set(err, QF_EINVAL,
                          "risk: order %s: times must be >= 0 ms (data_time %lld, now %lld)",
                          o->symbol, (long long)o->data_time, (long long)now);
    return QF_OK;
}

/* 1 - equity / peak, the peak being at least the equity. */
static double drawdown_of(const qf_risk_portfolio *pf)
{
    double peak = pf->peak_equity > pf->equity ? pf->peak_equity : pf->equity;
    return 1.0 - pf->equity / peak;
}

/* What the checks measure, computed once. */
typedef struct measures {
    double pos_qty;     /* the symbol's current position */
    double other_gross; /* sum |qty * mark| over the other symbols */
    double notional;    /* |order qty| * price */
} measures;

static measures measure(const qf_risk_portfolio *pf, const qf_risk_order *o)
{
    measures m = {0, 0, fabs(o->quantity) * o->price};
    for (size_t i = 0; i < pf->n_positions; i++) {
        const qf_position *p = &pf->positions[i];
        if (strcmp(p->symbol, o->symbol) == 0)
            m.pos_qty = p->quantity;
        else if (p->quantity != 0)
            m.other_gross += fabs(p->quantity * p->mark_price);
    }
    return m;
}

/* Toward zero without passing it. */
static int is_reducing(double pos_qty, double order_qty)
{
    if (pos_qty > 0)
        return order_qty < 0 && -order_qty <= pos_qty;
    if (pos_qty < 0)
        return order_qty > 0 && order_qty <= -pos_qty;
    return 0;
}

static int exceeds(double value, double limit)
{
    return value > limit * (1 + LIMIT_SLACK);
}

static int reject(qf_risk_verdict *v, qf_risk_reason r, double value, double limit, const char *fmt,
                  ...) QF_PRINTF(5, 6);

static int reject(qf_risk_verdict *v, qf_risk_reason r, double value, double limit, const char *fmt,
                  ...)
{
    va_list ap;
    v->reason = r;
    v->value = value;
    v->limit = limit;
    va_start(ap, fmt);
    vsnprintf(v->message, sizeof v->message, fmt, ap);
    va_end(ap);
    return 1;
}

static int check_kill_switch(const qf_risk_portfolio *pf, qf_risk_verdict *v)
{
    if (!pf->kill_switch_engaged || v->reducing)
        return 0;
    return reject(v, QF_RISK_KILL_SWITCH, NAN, NAN,
                  "kill switch engaged: only orders that reduce a position may go until a "
                  "person resets it (quantflow risk reset --reason ...)");
}

/* A breach always asks for the trip (when the switch is off); only a
 * reducing order goes on. */
static int check_drawdown(const qf_risk_limits *l, const qf_risk_portfolio *pf, qf_risk_verdict *v)
{
    if (v->drawdown < l->max_drawdown_pct)
        return 0;
    v->trip_kill_switch = !pf->kill_switch_engaged;
    if (v->reducing)
        return 0;
    return reject(v, QF_RISK_DRAWDOWN, v->drawdown, l->max_drawdown_pct,
                  "drawdown %.2f%% >= max_drawdown_pct %.2f%% (equity %.2f, peak %.2f): %s",
                  100 * v->drawdown, 100 * l->max_drawdown_pct, pf->equity,
                  pf->peak_equity > pf->equity ? pf->peak_equity : pf->equity,
                  v->trip_kill_switch ? "the kill switch must trip" : "kill switch engaged");
}

static int check_min_trade(const qf_risk_limits *l, const measures *m, qf_risk_verdict *v)
{
    if (m->notional >= l->min_trade_usd)
        return 0;
    return reject(v, QF_RISK_MIN_TRADE, m->notional, l->min_trade_usd,
                  "order notional %.2f USD < min_trade_usd %.2f", m->notional, l->min_trade_usd);
}

static int check_concentration(const qf_risk_limits *l, const qf_risk_portfolio *pf,
                               const qf_risk_order *o, const measures *m, qf_risk_verdict *v)
{
    double c = fabs(m->pos_qty + o->working_qty + o->quantity) * o->price / pf->equity;
    if (v->reducing || !exceeds(c, l->max_concentration_pct))
        return 0;
    return reject(v, QF_RISK_CONCENTRATION, c, l->max_concentration_pct,
                  "%s exposure with working orders and this order %.2f%% of equity > "
                  "max_concentration_pct %.2f%%",
                  o->symbol, 100 * c, 100 * l->max_concentration_pct);
}

static int check_leverage(const qf_risk_limits *l, const qf_risk_portfolio *pf,
                          const qf_risk_order *o, const measures *m, qf_risk_verdict *v)
{
    double gross = m->other_gross + fabs(m->pos_qty + o->quantity) * o->price;
    double lev = gross / pf->equity;
    if (v->reducing || !exceeds(lev, l->max_portfolio_leverage))
        return 0;
    return reject(v, QF_RISK_LEVERAGE, lev, l->max_portfolio_leverage,
                  "gross exposure after the order %.2f = %.3fx equity > max_portfolio_leverage "
                  "%.3fx",
                  gross, lev, l->max_portfolio_leverage);
}

static int check_position_limit(const qf_risk_limits *l, const qf_risk_portfolio *pf,
                                const qf_risk_order *o, const measures *m, qf_risk_verdict *v)
{
    double p = fabs(m->pos_qty + o->quantity) * o->price / pf->equity;
    if (v->reducing || !exceeds(p, l->max_position_pct))
        return 0;
    return reject(v, QF_RISK_POSITION_LIMIT, p, l->max_position_pct,
                  "%s position after the order %.2f%% of equity > max_position_pct %.2f%%",
                  o->symbol, 100 * p, 100 * l->max_position_pct);
}

static int check_stale(const qf_risk_limits *l, const qf_risk_order *o, int64_t now,
                       qf_risk_verdict *v)
{
    double age_min = (double)(now - o->data_time) / 60000.0;
    if (age_min <= l->staleness_threshold_minutes)
        return 0;
    return reject(v, QF_RISK_STALE_DATA, age_min, l->staleness_threshold_minutes,
                  "%s data is %.1f minutes old > staleness_threshold_minutes %d", o->symbol,
                  age_min, l->staleness_threshold_minutes);
}

static void verdict_start(qf_risk_verdict *v, const qf_risk_portfolio *pf)
{
    memset(v, 0, sizeof *v);
    v->reason = QF_RISK_OK;
    v->drawdown = drawdown_of(pf);
    v->value = NAN;
    v->limit = NAN;
}

qf_rc qf_risk_pre_trade(const qf_risk_limits *limits, const qf_risk_portfolio *pf,
                        const qf_risk_order *order, int64_t now, qf_risk_verdict *out, qf_err *err)
{
    qf_err_clear(err);
    qf_rc rc = qf_risk_limits_check(limits, err);
    if (rc == QF_OK)
        rc = check_portfolio(pf, err);
    if (rc == QF_OK)
        rc = check_order(order, now, err);
    if (rc == QF_OK && out == NULL)
        rc = qf_err_set(err, QF_EINVAL, "risk: no verdict to write");
    if (rc != QF_OK)
        return rc;
    qf_risk_verdict v;
    verdict_start(&v, pf);
    measures m = measure(pf, order);
    v.reducing = is_reducing(m.pos_qty, order->quantity);
    int refused =
        check_kill_switch(pf, &v) || check_drawdown(limits, pf, &v) ||
        check_min_trade(limits, &m, &v) || check_concentration(limits, pf, order, &m, &v) ||
        check_leverage(limits, pf, order, &m, &v) ||
        check_position_limit(limits, pf, order, &m, &v) || check_stale(limits, order, now, &v);
    if (!refused)
        snprintf(v.message, sizeof v.message, "%s order passes the risk checks%s", order->symbol,
                 v.reducing && pf->kill_switch_engaged
                     ? " (reducing, allowed under the kill switch)"
                     : "");
    *out = v;
    return QF_OK;
}

qf_rc qf_risk_post_trade(const qf_risk_limits *limits, const qf_risk_portfolio *pf,
                         qf_risk_verdict *out, qf_err *err)
{
    qf_err_clear(err);
    qf_rc rc = qf_risk_limits_check(limits, err);
    if (rc == QF_OK)
        rc = check_portfolio(pf, err);
    if (rc == QF_OK && out == NULL)
        rc = qf_err_set(err, QF_EINVAL, "risk: no verdict to write");
    if (rc != QF_OK)
        return rc;
    qf_risk_verdict v;
    verdict_start(&v, pf);
    if (!check_drawdown(limits, pf, &v))
        snprintf(v.message, sizeof v.message, "drawdown %.2f%% within max_drawdown_pct %.2f%%",
                 100 * v.drawdown, 100 * limits->max_drawdown_pct);
    *out = v;
    return QF_OK;
}
