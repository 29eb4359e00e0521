/*
 * rules.c - rounding an order to a symbol's step and tick, the local refusal
 * of what the venue would reject, and the wire decimals (rules.h).
 *
 * Values are turned into integer counts of the step / tick first (a count
 * 1e-9 short of an integer is that integer), rounded as counts, and turned
 * back into the double nearest the decimal the count stands for. A zero step
 * or tick ("no such rule") rounds to 1e-8, the finest precision Binance and
 * Coinbase accept on the wire, so what is checked is what gets formatted.
 */
#include "market/rules.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SNAP_EPS       1e-9 /* a count this close below an integer is that integer */
#define CMP_EPS        1e-9 /* relative slack in min/max comparisons */
#define FINEST_STEP    1e-8
#define MAX_DECIMALS   12
#define MAX_STEP_COUNT 9007199254740992.0 /* 2^53: counts above are not exact */

static const char *const reason_names[] = {
#define QF_RULES_REASON_NAME(name, str) str,
    QF_RULES_REASON_MAP(QF_RULES_REASON_NAME)
#undef QF_RULES_REASON_NAME
};

const char *qf_rules_reason_name(qf_rules_reason r)
{
    if ((int)r < 0 || r >= QF_RULES_REASON_COUNT)
        return "unknown";
    return reason_names[r];
}

int qf_rules_decimals(double step)
{
    if (!isfinite(step) || step <= 0.0)
        return 8;
    double scaled = step;
    for (int d = 0; d <= MAX_DECIMALS; d++) {
        if (fabs(scaled - round(scaled)) <= 1e-9 * fmax(1.0, scaled))
            return d;
        scaled *= 10.0;
    }
    return MAX_DECIMALS;
}

static double effective_step(double step)
{
    return (isfinite(step) && step > 0.0) ? step : FINEST_STEP;
}

/* The double nearest count * step written with the step's decimals. */
static double from_count(double count, double step)
{
    double p = pow(10.0, qf_rules_decimals(step));
    return round(count * step * p) / p;
}

/* Slack for a count: 1e-9 absolute, plus the few ulps a division of two
 * decimals-as-doubles may be off by when the count is large (9000.5 / 0.00001
 * is 900049999.99999988). */
static double snap(double count)
{
    return SNAP_EPS + fabs(count) * 1e-14;
}

static double round_down(double value, double step)
{
    step = effective_step(step);
    double c = value / step;
    return from_count(floor(c + snap(c)), step);
}

static double round_up(double value, double step)
{
    step = effective_step(step);
    double c = value / step;
    return from_count(ceil(c - snap(c)), step);
}

static bool below(double v, double limit)
{
    return limit > 0.0 && v < limit * (1.0 - CMP_EPS);
}

static bool above(double v, double limit)
{
    return limit > 0.0 && v > limit * (1.0 + CMP_EPS);
}

/* Writes value with the decimals of step into buf (for messages). */
static const char *num(char *buf, size_t size, double value, double step)
{
    snprintf(buf, size, "%.*f", qf_rules_decimals(step), value);
    return buf;
}

static qf_rules_reason refuse(qf_rules_reason r, char *why, size_t why_size, const char *what,
                              double v, const char *bound, double limit, double step,
                              const char *symbol)
{
    if (why && why_size > 0) {
        char a[64], b[64];
        snprintf(why, why_size, "%s %s %s %s %s of %s", what, num(a, sizeof a, v, step),
                 r == QF_RULES_QTY_TOO_LARGE || r == QF_RULES_PRICE_TOO_HIGH ||
                         r == QF_RULES_NOTIONAL_TOO_LARGE
                     ? "above"
                     : "below",
                 bound, num(b, sizeof b, limit, step), symbol);
    }
    return r;
}

static qf_rules_reason bad_input(char *why, size_t why_size, const char *msg)
{
    if (why && why_size > 0)
        snprintf(why, why_size, "%s", msg);
    return QF_RULES_BAD_INPUT;
}

/* The quantity rules a market order obeys: LOT_SIZE and MARKET_LOT_SIZE. */
static void qty_limits(const qf_symbol_rules *r, qf_order_type type, double *step, double *min,
                       double *max)
{
    *step = r->step_size;
    *min = r->min_qty;
    *max = r->max_qty;
    if (type != QF_ORDER_MARKET)
        return;
    if (r->market_step_size > 0.0)
        *step = r->market_step_size;
    if (r->market_min_qty > *min)
        *min = r->market_min_qty;
    if (r->market_max_qty > 0.0 && (*max <= 0.0 || r->market_max_qty < *max))
        *max = r->market_max_qty;
}

static qf_rules_reason check_notional(const qf_symbol_rules *r, qf_order_type type, double qty,
                                      double price, char *why, size_t why_size)
{
    bool market = type == QF_ORDER_MARKET;
    bool min_applies = r->min_notional > 0.0 && (!market || r->min_notional_market);
    bool max_applies = r->max_notional > 0.0 && (!market || r->max_notional_market);
    if (!min_applies && !max_applies)
        return QF_RULES_OK;
    if (!isfinite(price) || price <= 0.0)
        return bad_input(why, why_size,
                         "a market order needs a positive reference price to check its notional");
    double notional = qty * price;
    if (min_applies && below(notional, r->min_notional))
        return refuse(QF_RULES_NOTIONAL_TOO_SMALL, why, why_size, "notional", notional,
                      "min_notional", r->min_notional, 0.01, r->symbol);
    if (max_applies && above(notional, r->max_notional))
        return refuse(QF_RULES_NOTIONAL_TOO_LARGE, why, why_size, "notional", notional,
                      "max_notional", r->max_notional, 0.01, r->symbol);
    return QF_RULES_OK;
}

static qf_rules_reason check_price(const qf_symbol_rules *r, double price, char *why,
                                   size_t why_size)
{
    double tick = r->tick_size;
    if (price <= 0.0)
        return refuse(QF_RULES_PRICE_TOO_LOW, why, why_size, "price", price, "tick_size",
                      effective_step(tick), tick, r->symbol);
    if (below(price, r->min_price))
        return refuse(QF_RULES_PRICE_TOO_LOW, why, why_size, "price", price, "min_price",
                      r->min_price, tick, r->symbol);
    if (above(price, r->max_price))
        return refuse(QF_RULES_PRICE_TOO_HIGH, why, why_size, "price", price, "max_price",
                      r->max_price, tick, r->symbol);
    return QF_RULES_OK;
}

qf_rules_reason qf_rules_apply(const qf_symbol_rules *rules, qf_side side, qf_order_type type,
                               double quantity, double limit_price, double ref_price,
                               double *out_qty, double *out_price, char *why, size_t why_size)
{
    if (out_qty)
        *out_qty = NAN;
    if (out_price)
        *out_price = NAN;
    if (why && why_size > 0)
        why[0] = '\0';
    if (!rules)
        return bad_input(why, why_size, "no trading rules for the symbol");
    if (side != QF_SIDE_BUY && side != QF_SIDE_SELL)
        return bad_input(why, why_size, "side must be buy or sell");
    if (type != QF_ORDER_MARKET && type != QF_ORDER_LIMIT)
        return bad_input(why, why_size, "order type must be market or limit");
    if (!isfinite(quantity) || quantity <= 0.0)
        return bad_input(why, why_size, "quantity must be a positive number");
    bool limit = type == QF_ORDER_LIMIT;
    if (limit && (!isfinite(limit_price) || limit_price <= 0.0))
        return bad_input(why, why_size, "limit price must be a positive number");

    double step, min_qty, max_qty;
    qty_limits(rules, type, &step, &min_qty, &max_qty);
    if (quantity / effective_step(step) >= MAX_STEP_COUNT ||
        (limit && limit_price / effective_step(rules->tick_size) >= MAX_STEP_COUNT))
        return bad_input(why, why_size, "quantity or price too large for the step / tick");

    double qty = round_down(quantity, step);
    double price = NAN;
    if (limit)
        price = side == QF_SIDE_BUY ? round_down(limit_price, rules->tick_size)
                                    : round_up(limit_price, rules->tick_size);
    if (out_qty)
        *out_qty = qty;
    if (out_price)
        *out_price = price;

    if (!rules->trading) {
        if (why && why_size > 0)
            snprintf(why, why_size, "%s is not open for trading", rules->symbol);
        return QF_RULES_NOT_TRADING;
    }
    /* Quantities in messages with at least 8 decimals, as the venues print them. */
    double shown = fmin(effective_step(step), FINEST_STEP);
    if (qty <= 0.0)
        return refuse(QF_RULES_QTY_TOO_SMALL, why, why_size, "quantity", quantity, "step_size",
                      effective_step(step), shown, rules->symbol);
    if (below(qty, min_qty))
        return refuse(QF_RULES_QTY_TOO_SMALL, why, why_size, "quantity", qty, "min_qty", min_qty,
                      shown, rules->symbol);
    if (above(qty, max_qty))
        return refuse(QF_RULES_QTY_TOO_LARGE, why, why_size, "quantity", qty, "max_qty", max_qty,
                      shown, rules->symbol);
    if (limit) {
        qf_rules_reason pr = check_price(rules, price, why, why_size);
        if (pr != QF_RULES_OK)
            return pr;
    }
    return check_notional(rules, type, qty, limit ? price : ref_price, why, why_size);
}

qf_rc qf_rules_format(double value, double step, char *out, size_t size, qf_err *err)
{
    if (!out || size == 0)
        return qf_err_set(err, QF_EINVAL, "rules format: no output buffer");
    if (!isfinite(value) || value < 0.0)
        return qf_err_set(err, QF_EINVAL, "rules format: %s value",
                          isfinite(value) ? "negative" : "non-finite");
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%.*f", qf_rules_decimals(step), value + 0.0);
    if (n < 0 || (size_t)n >= sizeof buf || (size_t)n >= size)
        return qf_err_set(err, QF_ERANGE, "rules format: %d characters do not fit in %zu", n, size);
    memcpy(out, buf, (size_t)n + 1);
    return QF_OK;
}
