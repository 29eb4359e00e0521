/* Tests of rounding to step / tick, the local refusal and the wire decimals
 * (src/market/rules.c), with Binance's real BTCUSDT filters. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "market/rules.h"

/* exchangeInfo of BTCUSDT: PRICE_FILTER 0.01 / 1000000 / 0.01, LOT_SIZE
 * 0.00001 / 9000 / 0.00001, NOTIONAL 5 (market too) / 9000000 (limit only). */
static qf_symbol_rules btcusdt(void)
{
    qf_symbol_rules r;
    memset(&r, 0, sizeof r);
    strcpy(r.symbol, "BTC/USDT");
    strcpy(r.venue_symbol, "BTCUSDT");
    strcpy(r.base, "BTC");
    strcpy(r.quote, "USDT");
    r.trading = true;
    r.tick_size = 0.01;
    r.min_price = 0.01;
    r.max_price = 1000000.0;
    r.step_size = 0.00001;
    r.min_qty = 0.00001;
    r.max_qty = 9000.0;
    r.min_notional = 5.0;
    r.min_notional_market = true;
    r.max_notional = 9000000.0;
    r.max_notional_market = false;
    return r;
}

static qf_rules_reason apply(const qf_symbol_rules *r, qf_side side, qf_order_type type, double q,
                             double p, double ref, double *oq, double *op, char *why)
{
    return qf_rules_apply(r, side, type, q, p, ref, oq, op, why, 256);
}

static void fmt(double v, double step, const char *expect)
{
    char buf[64];
    qf_err err;
    cr_assert_eq(qf_rules_format(v, step, buf, sizeof buf, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(buf, expect, "format(%.17g, %g)", v, step);
}

Test(rules, decimals_of_steps)
{
    cr_assert_eq(qf_rules_decimals(0.00001), 5);
    cr_assert_eq(qf_rules_decimals(0.01), 2);
    cr_assert_eq(qf_rules_decimals(1.0), 0);
    cr_assert_eq(qf_rules_decimals(10.0), 0);
    cr_assert_eq(qf_rules_decimals(0.5), 1);
    cr_assert_eq(qf_rules_decimals(0.00000001), 8);
    cr_assert_eq(qf_rules_decimals(0.0), 8);
    cr_assert_eq(qf_rules_decimals(-1.0), 8);
    cr_assert_eq(qf_rules_decimals(NAN), 8);
}

Test(rules, format_plain_decimals)
{
    fmt(0.00156, 0.00001, "0.00156");
    fmt(0.00001, 0.00001, "0.00001"); /* %g would give 1e-05, which Binance rejects */
    fmt(64000.0, 0.01, "64000.00");
    fmt(123456.789, 0.01, "123456.79");
    fmt(3.0, 1.0, "3");
    fmt(0.1 + 0.2, 0.1, "0.3");
    fmt(0.00000001, 0.0, "0.00000001");
    fmt(-0.0, 0.01, "0.00");
}

Test(rules, format_refuses_bad_values)
{
    char buf[8] = "keep";
    qf_err err;
    cr_assert_eq(qf_rules_format(-1.0, 0.01, buf, sizeof buf, &err), QF_EINVAL);
    cr_assert_eq(qf_rules_format(NAN, 0.01, buf, sizeof buf, &err), QF_EINVAL);
    cr_assert_eq(qf_rules_format(INFINITY, 0.01, buf, sizeof buf, &err), QF_EINVAL);
    cr_assert_eq(qf_rules_format(64000.0, 0.01, buf, sizeof buf, &err), QF_ERANGE, "%s", buf);
    cr_assert_str_eq(buf, "keep", "a refused format leaves the buffer alone");
    cr_assert_eq(qf_rules_format(1e300, 0.01, buf, sizeof buf, &err), QF_ERANGE);
    char big[64];
    cr_assert_eq(qf_rules_format(1234567.0, 0.01, big, 10, &err), QF_ERANGE);
    cr_assert_eq(qf_rules_format(1234567.0, 0.01, big, 11, &err), QF_OK);
    cr_assert_str_eq(big, "1234567.00");
}

Test(rules, quantity_rounds_down_to_step)
{
    qf_symbol_rules r = btcusdt();
    double q, p;
    char why[256];
    /* 0.001567 BTC -> 156 steps of 0.00001 = 0.00156 (down, never up). */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.001567, NAN, 64000.0, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(q, 0.00156);
    cr_assert(isnan(p), "market orders have no price");
    /* 0.1 + 0.2 is 0.30000000000000004: 30000 steps, not 30000.000000000004. */
    cr_assert_eq(apply(&r, QF_SIDE_SELL, QF_ORDER_MARKET, 0.1 + 0.2, NAN, 64000.0, &q, &p, why),
                 QF_RULES_OK);
    cr_assert_eq(q, 0.3);
    /* 0.7 / 0.00001 is 69999.99999999999 in doubles: still 70000 steps. */
    cr_assert_eq(apply(&r, QF_SIDE_SELL, QF_ORDER_MARKET, 0.7, NAN, 64000.0, &q, &p, why),
                 QF_RULES_OK);
    cr_assert_eq(q, 0.7);
    /* One step below the next multiple stays below it. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.0009999, NAN, 64000.0, &q, &p, why),
                 QF_RULES_OK);
    cr_assert_eq(q, 0.00099);
}

Test(rules, limit_price_rounds_in_the_traders_favour)
{
    qf_symbol_rules r = btcusdt();
    double q, p;
    char why[256];
    /* A buy never pays more than asked: 64000.019 -> 64000.01. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 0.01, 64000.019, NAN, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(p, 64000.01);
    cr_assert_eq(q, 0.01);
    /* A sell never receives less than asked: 64000.011 -> 64000.02. */
    cr_assert_eq(apply(&r, QF_SIDE_SELL, QF_ORDER_LIMIT, 0.01, 64000.011, NAN, &q, &p, why),
                 QF_RULES_OK);
    cr_assert_eq(p, 64000.02);
    /* Exact ticks stay put on both sides (also 0.1 + 0.2 style noise). */
    cr_assert_eq(apply(&r, QF_SIDE_SELL, QF_ORDER_LIMIT, 0.01, 64000.03, NAN, &q, &p, why),
                 QF_RULES_OK);
    cr_assert_eq(p, 64000.03);
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 0.01, 64000.03, NAN, &q, &p, why),
                 QF_RULES_OK);
    cr_assert_eq(p, 64000.03);
    cr_assert_eq(apply(&r, QF_SIDE_SELL, QF_ORDER_LIMIT, 100.0, 0.1 + 0.2, NAN, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(p, 0.3);
}

Test(rules, refusals_name_the_rule_and_the_numbers)
{
    qf_symbol_rules r = btcusdt();
    double q, p;
    char why[256];
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.000004, NAN, 64000.0, &q, &p, why),
                 QF_RULES_QTY_TOO_SMALL);
    cr_assert_str_eq(why, "quantity 0.00000400 below step_size 0.00001000 of BTC/USDT");
    cr_assert_eq(q, 0.0);

    r.min_qty = 0.001;
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.0005, NAN, 64000.0, &q, &p, why),
                 QF_RULES_QTY_TOO_SMALL);
    cr_assert_str_eq(why, "quantity 0.00050000 below min_qty 0.00100000 of BTC/USDT");
    r = btcusdt();

    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 9000.5, 1.0, NAN, &q, &p, why),
                 QF_RULES_QTY_TOO_LARGE);
    cr_assert_str_eq(why, "quantity 9000.50000000 above max_qty 9000.00000000 of BTC/USDT");

    /* 0.00007 BTC at 64000 = 4.48 USDT < 5. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.00007, NAN, 64000.0, &q, &p, why),
                 QF_RULES_NOTIONAL_TOO_SMALL);
    cr_assert_str_eq(why, "notional 4.48 below min_notional 5.00 of BTC/USDT");
    /* 0.00008 at 64000 = 5.12: fine. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.00008, NAN, 64000.0, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    /* Exactly 5.00 passes (>=): 0.0001 at 50000. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 0.0001, 50000.0, NAN, &q, &p, why),
                 QF_RULES_OK, "%s", why);

    cr_assert_eq(apply(&r, QF_SIDE_SELL, QF_ORDER_LIMIT, 0.001, 2000000.0, NAN, &q, &p, why),
                 QF_RULES_PRICE_TOO_HIGH);
    cr_assert_str_eq(why, "price 2000000.00 above max_price 1000000.00 of BTC/USDT");
    /* A buy limit below one tick rounds to 0. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 1.0, 0.004, NAN, &q, &p, why),
                 QF_RULES_PRICE_TOO_LOW);
    cr_assert_eq(p, 0.0);

    /* max_notional applies to limit orders, not to market ones here. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 100.0, 100000.0, NAN, &q, &p, why),
                 QF_RULES_NOTIONAL_TOO_LARGE);
    cr_assert_str_eq(why, "notional 10000000.00 above max_notional 9000000.00 of BTC/USDT");
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 100.0, NAN, 100000.0, &q, &p, why),
                 QF_RULES_OK, "%s", why);

    r.trading = false;
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 1.0, NAN, 64000.0, &q, &p, why),
                 QF_RULES_NOT_TRADING);
    cr_assert_str_eq(why, "BTC/USDT is not open for trading");
    cr_assert_str_eq(qf_rules_reason_name(QF_RULES_NOT_TRADING), "symbol_not_trading");
    cr_assert_str_eq(qf_rules_reason_name(QF_RULES_NOTIONAL_TOO_SMALL), "min_notional");
    cr_assert_str_eq(qf_rules_reason_name(QF_RULES_OK), "ok");
    cr_assert_str_eq(qf_rules_reason_name((qf_rules_reason)99), "unknown");
}

Test(rules, zero_price_filter_fields_disable_their_rule)
{
    qf_symbol_rules r = btcusdt();
    r.min_price = 0.0;
    r.max_price = 0.0;
    double q, p;
    char why[256];
    cr_assert_eq(apply(&r, QF_SIDE_SELL, QF_ORDER_LIMIT, 0.001, 5000000.0, NAN, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(p, 5000000.0);
    /* Tick 0: no tick rule; the price keeps 8 decimals (wire precision). */
    r.tick_size = 0.0;
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, 64000.123456789, NAN, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(p, 64000.12345678);
    cr_assert_eq(apply(&r, QF_SIDE_SELL, QF_ORDER_LIMIT, 0.001, 64000.123456781, NAN, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(p, 64000.12345679);
}

Test(rules, zero_step_is_guarded)
{
    qf_symbol_rules r = btcusdt();
    r.step_size = 0.0;
    r.min_qty = 0.0;
    double q, p;
    char why[256];
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 0.123456789, 64000.0, NAN, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(q, 0.12345678);
    char buf[32];
    qf_err err;
    cr_assert_eq(qf_rules_format(q, r.step_size, buf, sizeof buf, &err), QF_OK);
    cr_assert_str_eq(buf, "0.12345678");
}

Test(rules, market_lot_size_applies_to_market_orders)
{
    qf_symbol_rules r = btcusdt();
    r.market_step_size = 0.001;
    r.market_min_qty = 0.002;
    r.market_max_qty = 50.0;
    double q, p;
    char why[256];
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.0129, NAN, 64000.0, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(q, 0.012);
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.0019, NAN, 64000.0, &q, &p, why),
                 QF_RULES_QTY_TOO_SMALL);
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 51.0, NAN, 64000.0, &q, &p, why),
                 QF_RULES_QTY_TOO_LARGE);
    /* A limit order keeps LOT_SIZE. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 0.0129, 64000.0, NAN, &q, &p, why),
                 QF_RULES_OK, "%s", why);
    cr_assert_eq(q, 0.0129);
}

Test(rules, bad_input_is_refused_not_rounded)
{
    qf_symbol_rules r = btcusdt();
    double q = 1, p = 1;
    char why[256];
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, -1.0, NAN, 64000.0, &q, &p, why),
                 QF_RULES_BAD_INPUT);
    cr_assert(isnan(q));
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, NAN, NAN, 64000.0, &q, &p, why),
                 QF_RULES_BAD_INPUT);
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 1.0, NAN, 64000.0, &q, &p, why),
                 QF_RULES_BAD_INPUT);
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_LIMIT, 1.0, -5.0, 64000.0, &q, &p, why),
                 QF_RULES_BAD_INPUT);
    cr_assert_eq(apply(NULL, QF_SIDE_BUY, QF_ORDER_MARKET, 1.0, NAN, 64000.0, &q, &p, why),
                 QF_RULES_BAD_INPUT);
    /* A market order whose notional must be checked needs a reference price. */
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 1.0, NAN, NAN, &q, &p, why),
                 QF_RULES_BAD_INPUT);
    cr_assert(strstr(why, "reference price"), "%s", why);
    cr_assert_eq(apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 1e30, NAN, 64000.0, &q, &p, why),
                 QF_RULES_BAD_INPUT);
    /* NULL outputs and why are allowed. */
    cr_assert_eq(
        qf_rules_apply(&r, QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN, 64000.0, NULL, NULL, NULL, 0),
        QF_RULES_OK);
}

/* Properties over many quantities and steps: the rounded quantity is a whole
 * number of steps, never above the input, within one step of it, and
 * rounding it again changes nothing. */
Test(rules, rounding_properties)
{
    static const double steps[] = {0.00001, 0.001, 0.01, 0.1, 1.0, 0.00000001, 0.5, 0.25, 10.0};
    unsigned seed = 12345;
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        qf_symbol_rules r = btcusdt();
        r.step_size = steps[s];
        r.tick_size = steps[s];
        r.min_qty = r.min_price = r.max_price = r.max_qty = 0.0;
        r.min_notional = r.max_notional = 0.0;
        for (int i = 0; i < 2000; i++) {
            seed = seed * 1103515245u + 12345u;
            double x = (double)(seed % 100000000u) / 1000.0 * steps[s] / 10.0 + steps[s];
            double q, p, q2, p2;
            for (int side = 0; side < 2; side++) {
                qf_side sd = side ? QF_SIDE_SELL : QF_SIDE_BUY;
                cr_assert_eq(qf_rules_apply(&r, sd, QF_ORDER_LIMIT, x, x, NAN, &q, &p, NULL, 0),
                             QF_RULES_OK);
                double n = q / steps[s];
                cr_assert(fabs(n - round(n)) < 1e-6, "%.17g not a multiple of %g", q, steps[s]);
                cr_assert(q <= x * (1 + 1e-12), "%.17g rounded up to %.17g", x, q);
                cr_assert(x - q < steps[s] * (1 + 1e-9), "%.17g lost more than a step", x);
                if (sd == QF_SIDE_BUY)
                    cr_assert(p <= x * (1 + 1e-12), "buy %.17g -> %.17g", x, p);
                else
                    cr_assert(p >= x * (1 - 1e-12), "sell %.17g -> %.17g", x, p);
                cr_assert_eq(qf_rules_apply(&r, sd, QF_ORDER_LIMIT, q, p, NAN, &q2, &p2, NULL, 0),
                             QF_RULES_OK);
                cr_assert_eq(q2, q, "not idempotent: %.17g -> %.17g", q, q2);
                cr_assert_eq(p2, p, "price not idempotent: %.17g -> %.17g", p, p2);
                char a[64], b[64];
                qf_err err;
                cr_assert_eq(qf_rules_format(q, steps[s], a, sizeof a, &err), QF_OK);
                snprintf(b, sizeof b, "%.*f", qf_rules_decimals(steps[s]), q);
                cr_assert_str_eq(a, b);
                cr_assert(!strchr(a, 'e'), "%s", a);
            }
        }
    }
}
