/* Tests of the paper venue (src/exec/paper.c) on its own and through the
 * order manager with a real SQLite store and portfolio (account "paper").
 * Figures are by hand: half spread 5 bps, taker 10 bps, maker 2 bps. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/order_manager.h"
#include "exec/paper.h"
#include "testutil.h"

#define T0 1740787200000LL /* 2025-03-01 */

static qf_paper *new_paper(void)
{
    qf_paper_options o;
    memset(&o, 0, sizeof o);
    strcpy(o.exchange, "binance");
    o.half_spread_bps = 5.0;
    o.taker_fee_bps = 10.0;
    o.maker_fee_bps = 2.0;
    qf_paper *p = NULL;
    qf_err err;
    cr_assert_eq(qf_paper_new(&o, &p, &err), QF_OK, "%s", err.msg);
    return p;
}

static qf_order_req req(const char *id, qf_side side, qf_order_type type, qf_time_in_force tif,
                        double qty, double limit)
{
    qf_order_req r;
    memset(&r, 0, sizeof r);
    strcpy(r.client_id, id);
    strcpy(r.symbol, "BTC/USDT");
    r.side = side;
    r.type = type;
    r.tif = tif;
    r.quantity = qty;
    r.limit_price = limit;
    return r;
}

static void set_price(qf_paper *p, double price, int64_t t, size_t expect_filled)
{
    size_t filled = 99;
    qf_err err;
    cr_assert_eq(qf_paper_set_price(p, "BTC/USDT", price, t, &filled, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(filled, expect_filled, "price %.2f filled %zu", price, filled);
}

static void near(double a, double b, const char *what)
{
    cr_assert(fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)), "%s: %.12f != %.12f", what, a, b);
}

Test(paper, market_orders_fill_at_once_at_the_half_spread_with_the_taker_fee)
{
    qf_paper *p = new_paper();
    qf_venue v = qf_paper_venue(p);
    cr_assert_str_eq(v.account, "paper");
    cr_assert_str_eq(v.exchange, "binance");
    set_price(p, 64000.0, T0, 0);
    qf_order_req r = req("a-1", QF_SIDE_BUY, QF_ORDER_MARKET, QF_TIF_GTC, 0.01, NAN);
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    cr_assert_eq(n, 1);
    /* 64000 * (1 + 5e-4) = 64032; fee 0.01 * 64032 * 10e-4 = 0.64032 USDT. */
    near(t[0].price, 64032.0, "buy price");
    near(t[0].fee, 0.64032, "fee");
    near(rep.avg_fill_price, 64032.0, "avg");
    near(rep.filled_qty, 0.01, "filled");
    cr_assert_str_eq(t[0].trade_id, "a-1-1");
    cr_assert(!t[0].maker);
    free(t);

    r = req("a-2", QF_SIDE_SELL, QF_ORDER_MARKET, QF_TIF_GTC, 0.02, NAN);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK, "%s", err.msg);
    /* 64000 * (1 - 5e-4) = 63968. */
    near(t[0].price, 63968.0, "sell price");
    near(t[0].fee, 0.02 * 63968.0 * 1e-3, "sell fee");
    free(t);

    qf_ticker tk;
    cr_assert_eq(v.ops->ticker(v.ctx, "BTC/USDT", &tk, &err), QF_OK);
    near(tk.bid, 63968.0, "bid");
    near(tk.ask, 64032.0, "ask");
    qf_paper_free(p);
}

Test(paper, limits_rest_until_a_later_price_crosses)
{
    qf_paper *p = new_paper();
    qf_venue v = qf_paper_venue(p);
    set_price(p, 64000.0, T0, 0);
    qf_order_req r = req("l-1", QF_SIDE_BUY, QF_ORDER_LIMIT, QF_TIF_GTC, 0.01, 63000.0);
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_OPEN);
    cr_assert_eq(n, 0);
    cr_assert_null(t);
    /* The ask must reach 63000: price * 1.0005 <= 63000 <=> price <= 62968.52 */
    set_price(p, 62970.0, T0 + 1, 0);
    cr_assert_eq(v.ops->query(v.ctx, "BTC/USDT", "l-1", &rep, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_OPEN);
    set_price(p, 62968.0, T0 + 2, 1);
    cr_assert_eq(v.ops->query(v.ctx, "BTC/USDT", "l-1", &rep, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    cr_assert_eq(v.ops->trades(v.ctx, "BTC/USDT", "l-1", &t, &n, &err), QF_OK);
    cr_assert_eq(n, 1);
    near(t[0].price, 63000.0, "a resting limit fills at its price");
    near(t[0].fee, 0.01 * 63000.0 * 2e-4, "maker fee");
    cr_assert(t[0].maker);
    cr_assert_eq(t[0].time, T0 + 2);
    free(t);

    /* A sell limit above the market rests, then fills when the bid reaches it. */
    r = req("l-2", QF_SIDE_SELL, QF_ORDER_LIMIT, QF_TIF_GTC, 0.01, 64000.0);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_OPEN);
    set_price(p, 64000.0, T0 + 3, 0); /* bid 63968 < 64000 */
    set_price(p, 64040.0, T0 + 4, 1); /* bid 64007.98 >= 64000 */
    qf_paper_free(p);
}

Test(paper, marketable_limits_fill_at_the_touch_and_ioc_fok_never_rest)
{
    qf_paper *p = new_paper();
    qf_venue v = qf_paper_venue(p);
    set_price(p, 64000.0, T0, 0);
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    qf_err err;
    /* Buy limit 65000 with the ask at 64032: fills at 64032 (better than asked). */
    qf_order_req r = req("m-1", QF_SIDE_BUY, QF_ORDER_LIMIT, QF_TIF_GTC, 0.01, 65000.0);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    near(t[0].price, 64032.0, "touch");
    near(t[0].fee, 0.64032, "taker fee");
    free(t);
    /* IOC and FOK below the ask: expire, nothing filled, nothing rests. */
    r = req("m-2", QF_SIDE_BUY, QF_ORDER_LIMIT, QF_TIF_IOC, 0.01, 64000.0);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_EXPIRED);
    cr_assert_eq(n, 0);
    r = req("m-3", QF_SIDE_SELL, QF_ORDER_LIMIT, QF_TIF_FOK, 0.01, 64000.0);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_EXPIRED);
    set_price(p, 10000.0, T0 + 1, 0);
    set_price(p, 90000.0, T0 + 2, 0);
    /* A marketable IOC fills whole. */
    r = req("m-4", QF_SIDE_SELL, QF_ORDER_LIMIT, QF_TIF_IOC, 0.01, 80000.0);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    near(t[0].price, 90000.0 * 0.9995, "ioc at the bid");
    free(t);
    qf_order_report *open = NULL;
    cr_assert_eq(v.ops->open_orders(v.ctx, NULL, &open, &n, &err), QF_OK);
    cr_assert_eq(n, 0);
    qf_paper_free(p);
}

Test(paper, refusals_cancels_and_duplicates)
{
    qf_paper *p = new_paper();
    qf_venue v = qf_paper_venue(p);
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    qf_err err;
    qf_order_req r = req("r-1", QF_SIDE_BUY, QF_ORDER_MARKET, QF_TIF_GTC, 0.01, NAN);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_EREJECTED);
    cr_assert(strstr(err.msg, "no price for BTC/USDT"), "%s", err.msg);
    cr_assert_eq(v.ops->query(v.ctx, "BTC/USDT", "r-1", &rep, &err), QF_ENOTFOUND);

    set_price(p, 64000.0, T0, 0);
    r = req("r-2", QF_SIDE_BUY, QF_ORDER_LIMIT, QF_TIF_GTC, 0.01, 60000.0);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_OK);
    cr_assert_eq(v.ops->submit(v.ctx, &r, &rep, &t, &n, &err), QF_EREJECTED,
                 "an open id is a duplicate");
    qf_order_report *open = NULL;
    cr_assert_eq(v.ops->open_orders(v.ctx, "BTC/USDT", &open, &n, &err), QF_OK);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(open[0].client_id, "r-2");
    free(open);
    cr_assert_eq(v.ops->cancel(v.ctx, "BTC/USDT", "r-2", &rep, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_CANCELLED);
    cr_assert_eq(v.ops->cancel(v.ctx, "BTC/USDT", "r-2", &rep, &err), QF_EREJECTED);
    cr_assert_eq(v.ops->cancel(v.ctx, "BTC/USDT", "nope", &rep, &err), QF_ENOTFOUND);
    set_price(p, 50000.0, T0 + 1, 0); /* a cancelled order never fills */

    cr_assert_eq(qf_paper_set_price(p, "BTC/USDT", NAN, T0, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_paper_set_price(p, "BTC/USDT", -1.0, T0, NULL, &err), QF_EINVAL);
    qf_paper_options bad;
    memset(&bad, 0, sizeof bad);
    strcpy(bad.exchange, "binance");
    bad.taker_fee_bps = -1.0;
    qf_paper *q = NULL;
    cr_assert_eq(qf_paper_new(&bad, &q, &err), QF_EINVAL);
    cr_assert_null(q);
    qf_paper_free(p);
}

/* ---- through the order manager, store and portfolio ---- */

typedef struct fixture {
    char *dir;
    qf_store *store;
    qf_portfolio *pf;
    qf_paper *paper;
    qf_venue venue;
    qf_order_manager *om;
    int64_t now;
} fixture;

static int64_t fake_now(void *ctx)
{
    return ((fixture *)ctx)->now;
}

static void fake_sleep(void *ctx, int64_t ms)
{
    ((fixture *)ctx)->now += ms;
}

static void open_om(fixture *f)
{
    qf_err err;
    qf_config cfg;
    qf_config_init(&cfg);
    qf_om_options o = qf_om_options_from_config(&cfg);
    o.now_ms = fake_now;
    o.sleep_ms = fake_sleep;
    o.clock_ctx = f;
    f->venue = qf_paper_venue(f->paper);
    cr_assert_eq(qf_om_new(&f->venue, f->store, f->pf, NULL, &o, &f->om, &err), QF_OK, "%s",
                 err.msg);
}

static void setup(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->now = T0;
    f->dir = qf_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/qf.db", f->dir);
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(path, &f->store, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(f->store, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_load(f->store, "paper", 100000.0, &f->pf, &err), QF_OK, "%s",
                 err.msg);
    f->paper = new_paper();
    qf_paper_set_portfolio(f->paper, f->pf, "USDT");
    open_om(f);
}

static void teardown(fixture *f)
{
    qf_om_free(f->om);
    qf_paper_free(f->paper);
    qf_portfolio_free(f->pf);
    qf_store_close(f->store);
    qf_test_rmtree(f->dir);
    free(f->dir);
}

static qf_order_intent intent(qf_side side, qf_order_type type, double qty, double limit,
                              int64_t bar)
{
    qf_order_intent in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, "BTC/USDT");
    in.side = side;
    in.type = type;
    in.tif = QF_TIF_GTC;
    in.quantity = qty;
    in.limit_price = limit;
    in.bar_time = bar;
    in.expected_price = NAN;
    in.data_time = -1;
    return in;
}

static size_t count_orders(qf_store *s)
{
    qf_order_row *rows = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_store_list_orders(s, "paper", 0, &rows, &n, &err), QF_OK, "%s", err.msg);
    free(rows);
    return n;
}

static void check_equity_invariant(fixture *f)
{
    size_t n = 0;
    const qf_position *pos = qf_portfolio_positions(f->pf, &n);
    double sum = qf_portfolio_cash(f->pf);
    for (size_t i = 0; i < n; i++)
        sum += pos[i].quantity * (isfinite(pos[i].mark_price) && pos[i].mark_price > 0
                                      ? pos[i].mark_price
                                      : pos[i].avg_entry);
    near(qf_portfolio_equity(f->pf), sum, "equity = cash + sum qty * mark");
}

Test(paper_om, market_buy_goes_through_portfolio_and_store)
{
    fixture f;
    setup(&f);
    set_price(f.paper, 64000.0, T0, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.0123456, NAN, T0);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_FILLED);
    cr_assert_str_eq(row.account, "paper");
    cr_assert_eq(row.attempt, 1);
    /* Paper's own rules: steps of 1e-8, so 0.0123456 stays. */
    near(row.order.filled_qty, 0.0123456, "filled");
    near(row.order.avg_fill_price, 64032.0, "avg");
    near(row.expected_price, 64000.0, "expected = ticker mid");
    /* Slippage: bought 32 above the 64000 expected = +5 bps (worse for us). */
    cr_assert_eq(qf_slippage_count(qf_om_slippage(f.om)), 1);
    near(qf_slippage_mean(qf_om_slippage(f.om)), 5.0, "slippage bps");
    /* cash: 100000 - 0.0123456 * 64032 - fee (10 bps of that). */
    double notional = 0.0123456 * 64032.0;
    near(qf_portfolio_cash(f.pf), 100000.0 - notional - notional * 1e-3, "cash");
    qf_position pos = qf_portfolio_position(f.pf, "BTC/USDT");
    near(pos.quantity, 0.0123456, "position");
    check_equity_invariant(&f);

    qf_fill_row *fills = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_fills(f.store, "paper", row.order.client_id, &fills, &n, &err),
                 QF_OK);
    cr_assert_eq(n, 1);
    near(fills[0].fill.fee, notional * 1e-3, "stored fee");
    cr_assert_eq(fills[0].liquidity, 2);
    free(fills);

    /* The same signal again: the same order back, no second order. */
    qf_order_row again;
    cr_assert_eq(qf_om_submit(f.om, &in, &again, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(again.order.client_id, row.order.client_id);
    cr_assert_eq(count_orders(f.store), 1);
    near(qf_portfolio_position(f.pf, "BTC/USDT").quantity, 0.0123456, "not bought twice");

    /* A reloaded portfolio agrees with memory. */
    qf_portfolio *re = NULL;
    cr_assert_eq(qf_portfolio_load(f.store, "paper", 1.0, &re, &err), QF_OK);
    near(qf_portfolio_cash(re), qf_portfolio_cash(f.pf), "cash stored");
    qf_portfolio_free(re);
    teardown(&f);
}

Test(paper_om, resting_limit_fills_on_a_later_price_and_survives_a_restart)
{
    fixture f;
    setup(&f);
    set_price(f.paper, 64000.0, T0, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_LIMIT, 0.05, 63000.0, T0);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN);
    near(row.order.limit_price, 63000.0, "limit");

    /* Restart: a new paper venue knows the order again from the store. */
    qf_om_free(f.om);
    qf_paper_free(f.paper);
    f.paper = new_paper();
    qf_paper_set_portfolio(f.paper, f.pf, "USDT");
    cr_assert_eq(qf_paper_restore(f.paper, f.store, &err), QF_OK, "%s", err.msg);
    open_om(&f);
    size_t checked = 0;
    cr_assert_eq(qf_om_reconcile(f.om, &checked, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(checked, 1);
    cr_assert_eq(qf_om_poll(f.om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN);

    f.now += 60000;
    set_price(f.paper, 62900.0, f.now, 1);
    cr_assert_eq(qf_om_poll(f.om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_FILLED);
    near(row.order.avg_fill_price, 63000.0, "fills at its limit");
    near(qf_portfolio_cash(f.pf), 100000.0 - 0.05 * 63000.0 * (1 + 2e-4), "maker fee");
    check_equity_invariant(&f);
    teardown(&f);
}

Test(paper_om, rules_refusal_is_stored_with_the_reason_and_nothing_is_sent)
{
    fixture f;
    setup(&f);
    qf_symbol_rules r;
    memset(&r, 0, sizeof r);
    strcpy(r.symbol, "BTC/USDT");
    r.trading = true;
    r.tick_size = 0.01;
    r.step_size = 0.00001;
    r.min_qty = 0.00001;
    r.min_notional = 5.0;
    r.min_notional_market = true;
    qf_err err;
    cr_assert_eq(qf_paper_set_rules(f.paper, &r, &err), QF_OK);
    set_price(f.paper, 64000.0, T0, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.00007, NAN, T0);
    qf_order_row row;
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_EREJECTED);
    cr_assert(strstr(err.msg, "min_notional"), "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_REJECTED);
    cr_assert_str_eq(row.reason, "min_notional: notional 4.48 below min_notional 5.00 of BTC/USDT");
    qf_order_report rep;
    cr_assert_eq(f.venue.ops->query(f.venue.ctx, "BTC/USDT", row.order.client_id, &rep, &err),
                 QF_ENOTFOUND, "nothing reached the venue");
    near(qf_portfolio_cash(f.pf), 100000.0, "cash untouched");

    /* Refused by risk: 2 BTC is 128% of equity (max_position_pct 25%). */
    in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 2.0, NAN, T0 + 1);
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_EREJECTED);
    cr_assert(strncmp(row.reason, "risk ", 5) == 0, "%s", row.reason);

    /* The same signal with a valid size: a new attempt. */
    in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN, T0);
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.attempt, 2);
    cr_assert_eq(row.order.status, QF_ORDER_FILLED);
    teardown(&f);
}

Test(paper_om, timeout_cancels_then_closes)
{
    fixture f;
    setup(&f);
    set_price(f.paper, 64000.0, T0, 0);
    qf_order_intent in = intent(QF_SIDE_SELL, QF_ORDER_LIMIT, 0.01, 70000.0, T0);
    in.expected_price = 64000.0;
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_EREJECTED,
                 "no BTC to sell: the risk checks (no shorts) or the venue refuse");
    /* Buy first, then a resting sell that times out. */
    in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.02, NAN, T0 + 1);
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_OK, "%s", err.msg);
    in = intent(QF_SIDE_SELL, QF_ORDER_LIMIT, 0.01, 70000.0, T0 + 2);
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN);
    /* 0.02 bought, 0.01 resting: another 0.02 sell is more than is free. */
    in = intent(QF_SIDE_SELL, QF_ORDER_LIMIT, 0.02, 71000.0, T0 + 3);
    qf_order_row refused;
    cr_assert_eq(qf_om_submit(f.om, &in, &refused, &err), QF_EREJECTED);
    cr_assert(strstr(refused.reason, "insufficient balance"), "%s", refused.reason);
    qf_balance *bal = NULL;
    size_t nb = 0;
    cr_assert_eq(f.venue.ops->balances(f.venue.ctx, &bal, &nb, &err), QF_OK);
    cr_assert_eq(nb, 2);
    cr_assert_str_eq(bal[0].asset, "USDT");
    near(bal[0].free, qf_portfolio_cash(f.pf), "cash balance");
    cr_assert_str_eq(bal[1].asset, "BTC");
    near(bal[1].free, 0.02, "BTC balance");
    free(bal);
    f.now += 119000;
    cr_assert_eq(qf_om_poll(f.om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN, "not yet 120 s");
    f.now += 2000;
    cr_assert_eq(qf_om_poll(f.om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_CANCELLED);
    cr_assert_str_eq(row.reason, "timeout: open longer than 120 s");
    qf_order_row stored;
    cr_assert_eq(qf_store_get_order(f.store, row.order.client_id, &stored, &err), QF_OK);
    cr_assert_eq(stored.order.status, QF_ORDER_CANCELLED);
    teardown(&f);
}

Test(paper_om, pending_order_lost_in_a_crash_is_closed_as_never_sent)
{
    fixture f;
    setup(&f);
    /* A pending row as a process killed between persisting and sending leaves it. */
    qf_order_row row;
    memset(&row, 0, sizeof row);
    strcpy(row.order.client_id, "qf-0000000000000000-1");
    strcpy(row.order.exchange, "binance");
    strcpy(row.order.symbol, "BTC/USDT");
    row.order.side = QF_SIDE_BUY;
    row.order.type = QF_ORDER_MARKET;
    row.order.quantity = 0.01;
    row.order.limit_price = NAN;
    row.order.avg_fill_price = NAN;
    row.order.status = QF_ORDER_PENDING;
    row.order.created_at = T0;
    row.order.updated_at = T0;
    strcpy(row.account, "paper");
    row.bar_time = T0;
    row.attempt = 1;
    row.expected_price = NAN;
    qf_err err;
    cr_assert_eq(qf_store_insert_order(f.store, &row, &err), QF_OK, "%s", err.msg);
    size_t checked = 0;
    cr_assert_eq(qf_om_reconcile(f.om, &checked, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(checked, 1);
    cr_assert_eq(qf_store_get_order(f.store, row.order.client_id, &row, &err), QF_OK);
    cr_assert_eq(row.order.status, QF_ORDER_CANCELLED);
    cr_assert(strncmp(row.reason, "never sent", 10) == 0, "%s", row.reason);
    teardown(&f);
}

/* The slippage estimator covers the account's stored fills: a new manager
 * (a restart, another `quantflow order` run) starts with the same window. */
Test(paper_om, slippage_of_stored_fills_survives_a_restart)
{
    fixture f;
    setup(&f);
    qf_err err;
    qf_order_row row;
    for (int i = 0; i < 3; i++) {
        set_price(f.paper, 64000.0 + 100.0 * i, T0 + i, 0);
        qf_order_intent in = intent(i % 2 ? QF_SIDE_SELL : QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN,
                                    T0 + i * 3600000LL);
        cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_OK, "%s", err.msg);
        cr_assert_eq(row.order.status, QF_ORDER_FILLED);
    }
    const qf_slippage *before = qf_om_slippage(f.om);
    cr_assert_eq(qf_slippage_count(before), 3);
    double mean = qf_slippage_mean(before), p95 = qf_slippage_p95(before);
    near(mean, 5.0, "every paper fill is half the spread worse: +5 bps");
    qf_om_free(f.om);
    f.om = NULL;
    open_om(&f);
    const qf_slippage *after = qf_om_slippage(f.om);
    cr_assert_eq(qf_slippage_count(after), 3);
    near(qf_slippage_mean(after), mean, "mean after restart");
    near(qf_slippage_p95(after), p95, "p95 after restart");
    teardown(&f);
}

/* The account's cash is one asset (USDT: the quote of the default
 * universe); an order on a symbol quoted in another asset is refused before
 * anything is stored, as its fills would move cash in the wrong currency. */
Test(paper_om, a_symbol_quoted_in_another_asset_is_refused)
{
    fixture f;
    setup(&f);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.1, NAN, T0);
    strcpy(in.symbol, "ETH/BTC");
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(f.om, &in, &row, &err), QF_EUNSUPPORTED);
    cr_assert(strstr(err.msg, "kept in USDT") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "ETH/BTC is quoted in BTC") != NULL, "%s", err.msg);
    cr_assert_eq(count_orders(f.store), 0, "nothing stored");
    near(qf_portfolio_cash(f.pf), 100000.0, "cash untouched");
    teardown(&f);
}
