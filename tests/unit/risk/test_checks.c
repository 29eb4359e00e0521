/*
 * test_checks.c - pre-trade and post-trade risk checks, by hand.
 *
 * The base portfolio: equity 100,000 USD at its peak, long 0.2 BTC/USDT
 * marked at 50,000 (10 % of equity) and 10 ETH/USDT at 3,000 (30 %), so
 * gross exposure is 40,000 (leverage 0.4). Limits are the config defaults:
 * position 25 %, leverage 1.0, drawdown 15 %, concentration 30 %, minimum
 * trade 10 USD, data at most 360 minutes old.
 *
 * Each check's rejection is shown alone, then the order of the checks:
 * from a state where every check fails, failures are removed one at a time
 * and the reported reason must walk the documented order. Reducing orders
 * pass the kill switch and the exposure checks but not min_trade or stale
 * data. Bad input is QF_EINVAL with a message naming it, verdict untouched.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/config.h"
#include "risk/checks.h"
#include "risk/sizer.h"

#define NOW INT64_C(1767700800000) /* 2026-01-06T12:00:00Z */
#define MIN INT64_C(60000)

static qf_risk_limits limits;
static qf_position pos[2];
static qf_risk_portfolio pf;
static qf_risk_order order;

static void setup(void)
{
    qf_config cfg;
    qf_config_init(&cfg);
    limits = qf_risk_limits_from_config(&cfg.risk);
    qf_config_cleanup(&cfg);
    memset(pos, 0, sizeof pos);
    strcpy(pos[0].symbol, "BTC/USDT");
    pos[0].quantity = 0.2;
    pos[0].mark_price = 50000;
    strcpy(pos[1].symbol, "ETH/USDT");
    pos[1].quantity = 10;
    pos[1].mark_price = 3000;
    pf = (qf_risk_portfolio){100000, 100000, pos, 2, 0};
    order = (qf_risk_order){"BTC/USDT", 0.1, 50000, 0, NOW - 5 * MIN};
}

TestSuite(checks, .init = setup);

static qf_risk_verdict run(void)
{
    qf_risk_verdict v;
    qf_err err;
    cr_assert_eq(qf_risk_pre_trade(&limits, &pf, &order, NOW, &v, &err), QF_OK, "%s", err.msg);
    return v;
}

static void expect(qf_risk_reason want, const char *name)
{
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, want, "got %s (%s), want %s", qf_risk_reason_name(v.reason), v.message,
                 name);
    cr_assert_str_eq(qf_risk_reason_name(v.reason), name);
}

Test(checks, defaults_match_config)
{
    cr_assert_eq(limits.max_position_pct, 0.25);
    cr_assert_eq(limits.max_portfolio_leverage, 1.0);
    cr_assert_eq(limits.max_drawdown_pct, 0.15);
    cr_assert_eq(limits.max_concentration_pct, 0.3);
    cr_assert_eq(limits.min_trade_usd, 10.0);
    cr_assert_eq(limits.staleness_threshold_minutes, 360);
}

Test(checks, plain_order_passes)
{
    /* +0.1 BTC = 5,000: position 15 %, leverage 0.45, data 5 minutes old. */
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_OK, "%s", v.message);
    cr_assert_eq(v.trip_kill_switch, 0);
    cr_assert_eq(v.reducing, 0);
    cr_assert_eq(v.drawdown, 0);
    cr_assert(isnan(v.value) && isnan(v.limit));
    cr_assert(strstr(v.message, "passes") != NULL, "%s", v.message);
}

Test(checks, kill_switch)
{
    pf.kill_switch_engaged = 1;
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_KILL_SWITCH);
    cr_assert_str_eq(qf_risk_reason_name(v.reason), "kill_switch");
    cr_assert(strstr(v.message, "kill switch engaged") != NULL, "%s", v.message);
    cr_assert_eq(v.trip_kill_switch, 0);
}

Test(checks, drawdown_trips_the_switch)
{
    pf.equity = 84000; /* 16 % below the 100,000 peak */
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_DRAWDOWN);
    cr_assert_eq(v.trip_kill_switch, 1);
    cr_assert_float_eq(v.drawdown, 0.16, 1e-12);
    cr_assert_float_eq(v.value, 0.16, 1e-12);
    cr_assert_eq(v.limit, 0.15);
    cr_assert(strstr(v.message, "drawdown 16.00% >= max_drawdown_pct 15.00%") != NULL, "%s",
              v.message);
    /* At the limit counts (>=); just above the limit's equity does not. */
    pf.equity = 85000;
    cr_assert_eq(run().reason, QF_RISK_DRAWDOWN);
    pf.equity = 85001;
    v = run();
    cr_assert_eq(v.reason, QF_RISK_OK, "%s", v.message);
    cr_assert_eq(v.trip_kill_switch, 0);
    /* The peak is at least the equity: a stale, lower peak is no drawdown. */
    pf.equity = 120000;
    pf.peak_equity = 100000;
    v = run();
    cr_assert_eq(v.drawdown, 0);
    /* No peak yet (0): the equity is the peak. */
    pf.peak_equity = 0;
    cr_assert_eq(run().reason, QF_RISK_OK);
    /* Negative equity under a positive peak: more than 100 % down. */
    pf.equity = -1000;
    pf.peak_equity = 100000;
    v = run();
    cr_assert_eq(v.reason, QF_RISK_DRAWDOWN);
    cr_assert_float_eq(v.drawdown, 1.01, 1e-12);
}

Test(checks, min_trade)
{
    order.quantity = 0.0001; /* 5 USD */
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_MIN_TRADE);
    cr_assert_float_eq(v.value, 5.0, 1e-9);
    cr_assert_eq(v.limit, 10.0);
    cr_assert(strstr(v.message, "5.00 USD < min_trade_usd 10.00") != NULL, "%s", v.message);
    order.quantity = 0.0002; /* exactly 10 USD: allowed */
    cr_assert_eq(run().reason, QF_RISK_OK);
    order.quantity = -0.0001; /* sells count by their size */
    cr_assert_eq(run().reason, QF_RISK_MIN_TRADE);
}

Test(checks, concentration)
{
    /* 0.2 + 0.5 BTC = 35,000 = 35 % > 30 %; the position limit (25 %) fails too,
     * but concentration comes first. */
    order.quantity = 0.5;
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_CONCENTRATION, "%s", v.message);
    cr_assert_float_eq(v.value, 0.35, 1e-12);
    cr_assert_eq(v.limit, 0.3);
    cr_assert(strstr(v.message, "BTC/USDT") != NULL, "%s", v.message);
}

Test(checks, concentration_counts_working_orders)
{
    /* Position 10 % + working 0.3 BTC (15 %) + this 0.15 BTC (7.5 %) = 32.5 %
     * committed, though the position after this order alone is 17.5 %. */
    order.quantity = 0.15;
    order.working_qty = 0.3;
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_CONCENTRATION, "%s", v.message);
    cr_assert_float_eq(v.value, 0.325, 1e-12);
    order.working_qty = 0.2; /* 27.5 %: fine */
    cr_assert_eq(run().reason, QF_RISK_OK);
    /* A working sell offsets: 10 % - 5 % + 7.5 %. */
    order.working_qty = -0.1;
    cr_assert_eq(run().reason, QF_RISK_OK);
}

Test(checks, leverage)
{
    /* Gross 40,000 + 10,000 more BTC = 50,000 = 0.5x > 0.45x. */
    limits.max_portfolio_leverage = 0.45;
    order.quantity = 0.2;
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_LEVERAGE, "%s", v.message);
    cr_assert_float_eq(v.value, 0.5, 1e-12);
    cr_assert_eq(v.limit, 0.45);
    /* Short exposure counts in gross: a short ETH position instead of long. */
    pos[1].quantity = -10;
    cr_assert_eq(run().reason, QF_RISK_LEVERAGE);
    limits.max_portfolio_leverage = 0.5;
    cr_assert_eq(run().reason, QF_RISK_OK, "exactly at the limit passes");
}

Test(checks, position_limit)
{
    /* 0.2 + 0.34 BTC = 27,000 = 27 %: under concentration (30 %), over 25 %. */
    order.quantity = 0.34;
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_POSITION_LIMIT, "%s", v.message);
    cr_assert_float_eq(v.value, 0.27, 1e-12);
    cr_assert_eq(v.limit, 0.25);
    cr_assert(strstr(v.message, "27.00% of equity > max_position_pct 25.00%") != NULL, "%s",
              v.message);
    /* A short position counts by its size: from flat, sell 0.54 BTC. */
    pos[0].quantity = 0;
    order.quantity = -0.54;
    cr_assert_eq(run().reason, QF_RISK_POSITION_LIMIT);
}

Test(checks, stale_data)
{
    order.data_time = NOW - 361 * MIN;
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_STALE_DATA, "%s", v.message);
    cr_assert_float_eq(v.value, 361, 1e-9);
    cr_assert_eq(v.limit, 360);
    order.data_time = NOW - 360 * MIN; /* exactly the threshold: still usable */
    cr_assert_eq(run().reason, QF_RISK_OK);
    order.data_time = NOW + 5 * MIN; /* clock skew: not stale */
    cr_assert_eq(run().reason, QF_RISK_OK);
}

Test(checks, order_of_checks)
{
    /* Everything fails at once: kill switch on; 16 % drawdown; a 5 USD order
     * onto a 0.7 BTC position (35 % concentration and position, also over
     * the 25 % limit); leverage limit 0.4 under 0.77; data a day old. */
    pf.kill_switch_engaged = 1;
    pf.equity = 84000;
    pos[0].quantity = 0.7;
    order.quantity = 0.0001;
    limits.max_portfolio_leverage = 0.4;
    order.data_time = NOW - 24 * 60 * MIN;

    expect(QF_RISK_KILL_SWITCH, "kill_switch");
    pf.kill_switch_engaged = 0;
    expect(QF_RISK_DRAWDOWN, "drawdown");
    pf.equity = 100000;
    expect(QF_RISK_MIN_TRADE, "min_trade");
    order.quantity = 0.001; /* 50 USD */
    expect(QF_RISK_CONCENTRATION, "concentration");
    limits.max_concentration_pct = 0.5;
    expect(QF_RISK_LEVERAGE, "leverage");
    limits.max_portfolio_leverage = 1.0;
    expect(QF_RISK_POSITION_LIMIT, "position_limit");
    limits.max_position_pct = 0.5;
    expect(QF_RISK_STALE_DATA, "stale_data");
    order.data_time = NOW;
    expect(QF_RISK_OK, "ok");
}

Test(checks, reducing_orders_pass_the_kill_switch)
{
    pf.kill_switch_engaged = 1;
    order.quantity = -0.1; /* half of the 0.2 BTC long */
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_OK, "%s", v.message);
    cr_assert_eq(v.reducing, 1);
    cr_assert(strstr(v.message, "reducing") != NULL, "%s", v.message);
    order.quantity = -0.2; /* the whole position */
    cr_assert_eq(run().reason, QF_RISK_OK);
    order.quantity = -0.3; /* a flip to short: new risk */
    v = run();
    cr_assert_eq(v.reason, QF_RISK_KILL_SWITCH);
    cr_assert_eq(v.reducing, 0);
    order.quantity = 0.1; /* adding */
    cr_assert_eq(run().reason, QF_RISK_KILL_SWITCH);
    order.symbol = "SOL/USDT"; /* no position: anything is new risk */
    order.quantity = -1;
    order.price = 150;
    cr_assert_eq(run().reason, QF_RISK_KILL_SWITCH);
    /* Covering a short is reducing too. */
    pos[0].quantity = -0.2;
    order.symbol = "BTC/USDT";
    order.price = 50000;
    order.quantity = 0.1;
    cr_assert_eq(run().reason, QF_RISK_OK);
    order.quantity = 0.25;
    cr_assert_eq(run().reason, QF_RISK_KILL_SWITCH);
}

Test(checks, reducing_orders_pass_exposure_checks)
{
    /* 0.8 BTC = 40 %: over concentration, position limit, and with the ETH
     * 0.7x gross over a 0.6 leverage limit. Selling 0.1 leaves 35 %, still
     * over every limit, but lower: it passes. Buying is refused. */
    pos[0].quantity = 0.8;
    limits.max_portfolio_leverage = 0.6;
    order.quantity = -0.1;
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_OK, "%s", v.message);
    cr_assert_eq(v.reducing, 1);
    order.quantity = 0.01;
    cr_assert_eq(run().reason, QF_RISK_CONCENTRATION);
}

Test(checks, reducing_orders_under_drawdown_ask_for_the_trip)
{
    pf.equity = 84000;
    order.quantity = -0.1;
    qf_risk_verdict v = run();
    cr_assert_eq(v.reason, QF_RISK_OK, "%s", v.message);
    cr_assert_eq(v.trip_kill_switch, 1, "the breach still trips the switch");
    order.quantity = 0.1;
    v = run();
    cr_assert_eq(v.reason, QF_RISK_DRAWDOWN);
    cr_assert_eq(v.trip_kill_switch, 1);
    /* Already engaged: no new trip asked. */
    pf.kill_switch_engaged = 1;
    order.quantity = -0.1;
    v = run();
    cr_assert_eq(v.reason, QF_RISK_OK);
    cr_assert_eq(v.trip_kill_switch, 0);
}

Test(checks, reducing_orders_still_need_size_and_fresh_data)
{
    pf.kill_switch_engaged = 1;
    order.quantity = -0.0001; /* 5 USD */
    cr_assert_eq(run().reason, QF_RISK_MIN_TRADE);
    order.quantity = -0.1;
    order.data_time = NOW - 400 * MIN;
    cr_assert_eq(run().reason, QF_RISK_STALE_DATA);
}

Test(checks, sizer_cap_is_not_refused_for_rounding)
{
    /* From flat, the sizer's capped fraction turned into a quantity and back
     * must pass the 25 % position limit at any price. */
    pos[0].quantity = 0;
    pos[1].quantity = 0;
    qf_sizer_params p = {0.15, 0.25};
    /* 0.3 at 100,000 and 12,345.678 at 99,999.99 come back as 0.25000000000000006. */
    const double prices[] = {50000.123, 0.3, 12345.678, 7.0 / 3.0, 98765.4321, 1e-3, 3.3};
    const double equities[] = {100000, 99999.99, 7.0, 1.0 / 3.0};
    for (size_t i = 0; i < sizeof prices / sizeof prices[0]; i++) {
        for (size_t k = 0; k < sizeof equities / sizeof equities[0]; k++) {
            pf.equity = equities[k];
            pf.peak_equity = equities[k];
            limits.min_trade_usd = 0;
            double f = qf_sizer_target_fraction(&p, 0.1, 1, 1, QF_DIR_LONG);
            order.quantity = qf_sizer_target_qty(f, pf.equity, prices[i]);
            order.price = prices[i];
            qf_risk_verdict v = run();
            cr_assert_eq(v.reason, QF_RISK_OK, "price %g equity %g: %s", prices[i], equities[k],
                         v.message);
        }
    }
    /* The slack is tiny: 0.1 % over the cap is refused. */
    order.quantity *= 1.001;
    cr_assert_eq(run().reason, QF_RISK_POSITION_LIMIT);
}

Test(checks, post_trade_reevaluates_drawdown)
{
    qf_risk_verdict v;
    qf_err err;
    cr_assert_eq(qf_risk_post_trade(&limits, &pf, &v, &err), QF_OK);
    cr_assert_eq(v.reason, QF_RISK_OK);
    cr_assert_eq(v.trip_kill_switch, 0);
    pf.equity = 84000; /* the fill and the new marks lost 16 % */
    cr_assert_eq(qf_risk_post_trade(&limits, &pf, &v, &err), QF_OK);
    cr_assert_eq(v.reason, QF_RISK_DRAWDOWN);
    cr_assert_eq(v.trip_kill_switch, 1);
    cr_assert_float_eq(v.drawdown, 0.16, 1e-12);
    pf.kill_switch_engaged = 1;
    cr_assert_eq(qf_risk_post_trade(&limits, &pf, &v, &err), QF_OK);
    cr_assert_eq(v.reason, QF_RISK_DRAWDOWN);
    cr_assert_eq(v.trip_kill_switch, 0);
}

/* Bad input: QF_EINVAL, the message names the problem, the verdict is left
 * exactly as it was. */
static void expect_einval(const char *needle)
{
    qf_risk_verdict v;
    memset(&v, 0xa5, sizeof v);
    qf_risk_verdict before = v;
    qf_err err;
    cr_assert_eq(qf_risk_pre_trade(&limits, &pf, &order, NOW, &v, &err), QF_EINVAL,
                 "expected EINVAL for %s", needle);
    cr_assert(strstr(err.msg, needle) != NULL, "'%s' lacks '%s'", err.msg, needle);
    cr_assert_eq(memcmp(&v, &before, sizeof v), 0, "verdict changed");
    setup();
}

Test(checks, bad_input_is_einval_and_changes_nothing)
{
    pf.equity = NAN;
    expect_einval("equity must be finite");
    pf.equity = INFINITY;
    expect_einval("equity must be finite");
    pf.peak_equity = NAN;
    expect_einval("peak_equity");
    pf.equity = 0;
    pf.peak_equity = 0;
    expect_einval("no positive equity");
    limits.max_position_pct = -0.1;
    expect_einval("max_position_pct");
    limits.max_concentration_pct = -0.3;
    expect_einval("max_concentration_pct");
    limits.max_drawdown_pct = 0;
    expect_einval("max_drawdown_pct");
    limits.max_drawdown_pct = 1.5;
    expect_einval("max_drawdown_pct");
    limits.max_portfolio_leverage = -1;
    expect_einval("max_portfolio_leverage");
    limits.max_portfolio_leverage = NAN;
    expect_einval("max_portfolio_leverage");
    limits.min_trade_usd = -10;
    expect_einval("min_trade_usd");
    limits.staleness_threshold_minutes = 0;
    expect_einval("staleness_threshold_minutes");
    order.quantity = 0;
    expect_einval("quantity");
    order.quantity = NAN;
    expect_einval("quantity");
    order.price = 0;
    expect_einval("price");
    order.price = -50000;
    expect_einval("price");
    order.working_qty = INFINITY;
    expect_einval("working_qty");
    order.symbol = "";
    expect_einval("symbol");
    order.symbol = NULL;
    expect_einval("symbol");
    order.data_time = -1;
    expect_einval("times");
    pos[1].mark_price = NAN;
    expect_einval("mark_price");
    pos[1].quantity = NAN;
    expect_einval("quantity is not finite");
    strcpy(pos[1].symbol, "BTC/USDT");
    expect_einval("appears twice");
    pf.positions = NULL;
    expect_einval("without an array");

    qf_risk_verdict v;
    qf_err err;
    cr_assert_eq(qf_risk_pre_trade(NULL, &pf, &order, NOW, &v, &err), QF_EINVAL);
    cr_assert_eq(qf_risk_pre_trade(&limits, NULL, &order, NOW, &v, &err), QF_EINVAL);
    cr_assert_eq(qf_risk_pre_trade(&limits, &pf, NULL, NOW, &v, &err), QF_EINVAL);
    cr_assert_eq(qf_risk_pre_trade(&limits, &pf, &order, NOW, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_risk_pre_trade(&limits, &pf, &order, -1, &v, &err), QF_EINVAL);

    /* A flat position's mark is not needed. */
    pos[1].quantity = 0;
    pos[1].mark_price = NAN;
    cr_assert_eq(run().reason, QF_RISK_OK);

    /* Post-trade refuses the same way. */
    memset(&v, 0xa5, sizeof v);
    qf_risk_verdict before = v;
    pf.equity = NAN;
    cr_assert_eq(qf_risk_post_trade(&limits, &pf, &v, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "equity") != NULL, "%s", err.msg);
    cr_assert_eq(memcmp(&v, &before, sizeof v), 0);
    pf.equity = 100000;
    limits.max_drawdown_pct = -0.15;
    cr_assert_eq(qf_risk_post_trade(&limits, &pf, &v, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "max_drawdown_pct") != NULL, "%s", err.msg);
    cr_assert_eq(memcmp(&v, &before, sizeof v), 0);
}

Test(checks, reason_names_are_stable)
{
    const char *names[] = {"ok",       "kill_switch",    "drawdown",  "min_trade", "concentration",
                           "leverage", "position_limit", "stale_data"};
    cr_assert_eq(QF_RISK_REASON_COUNT, 8);
    for (int i = 0; i < QF_RISK_REASON_COUNT; i++) {
        cr_assert_str_eq(qf_risk_reason_name((qf_risk_reason)i), names[i]);
        cr_assert_str_neq(qf_risk_reason_doc((qf_risk_reason)i), "");
        qf_risk_reason r = QF_RISK_REASON_COUNT;
        cr_assert_eq(qf_risk_reason_parse(names[i], &r, NULL), QF_OK);
        cr_assert_eq(r, (qf_risk_reason)i);
    }
    cr_assert_str_eq(qf_risk_reason_name(QF_RISK_REASON_COUNT), "unknown");
    cr_assert_str_eq(qf_risk_reason_name((qf_risk_reason)-1), "unknown");
    qf_risk_reason r;
    qf_err err;
    cr_assert_eq(qf_risk_reason_parse("Kill_Switch", &r, &err), QF_EINVAL);
    cr_assert_eq(qf_risk_reason_parse(NULL, &r, &err), QF_EINVAL);
}
