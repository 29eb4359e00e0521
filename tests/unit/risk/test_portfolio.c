/*
 * test_portfolio.c - portfolio accounting: hand-computed adds (weighted
 * average entry), reduces (realized PnL after fees), a flip through zero, a
 * short, exact closes of decimal quantities; marks, equity and drawdown
 * snapshots; fills refused (bad values) or replayed (same trade) changing
 * nothing in memory or store; and a long run over the bundled REAL BTC/USDT
 * 4h closes (every bar a fill with fees, shorts and flips included) that
 * checks after every fill equity == cash + sum qty * mark, cash against an
 * independent sum of the fills, equity - initial == realized + unrealized,
 * and that the portfolio reloaded from the SQLite store equals memory.
 * Fees in the base asset (buy 1 BTC @ 100, fee 0.001 BTC: 0.999 BTC, cash
 * -100, realized -0.1), the quote asset or another (BNB). Two PROCESSES
 * (fork) sharing one account through their own store handles and
 * portfolios, taking turns then racing: cash and positions are the sum of
 * every fill, bit for bit the stored fills replayed in commit order; a
 * stale portfolio saving a snapshot undoes no fill.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "risk/portfolio.h"
#include "store/store.h"
#include "testutil.h"

#define T0  INT64_C(1767700800000)
#define BAR INT64_C(14400000)

static qf_fill fill(const char *symbol, qf_side side, double qty, double price, double fee)
{
    qf_fill f;
    memset(&f, 0, sizeof f);
    strcpy(f.client_id, "qf-t-1");
    snprintf(f.symbol, sizeof f.symbol, "%s", symbol);
    f.side = side;
    f.quantity = qty;
    f.price = price;
    f.fee = fee;
    f.time = T0;
    return f;
}

static qf_portfolio *fresh(double cash)
{
    qf_portfolio *p = NULL;
    qf_err err;
    cr_assert_eq(qf_portfolio_new("paper", cash, &p, &err), QF_OK, "%s", err.msg);
    return p;
}

static void apply_ok(qf_portfolio *p, qf_fill f)
{
    qf_err err;
    cr_assert_eq(qf_portfolio_apply(p, &f, &err), QF_OK, "%s", err.msg);
}

#define assert_near(a, b)                                                                          \
    cr_assert(fabs((a) - (b)) <= 1e-9 * (1 + fabs(b)), "%.17g != %.17g", (a), (b))

Test(portfolio, adds_weight_the_entry_and_reduces_realize)
{
    qf_portfolio *p = fresh(1000);
    apply_ok(p, fill("BTC/USDT", QF_SIDE_BUY, 2, 100, 0));
    apply_ok(p, fill("BTC/USDT", QF_SIDE_BUY, 1, 130, 0));
    qf_position q = qf_portfolio_position(p, "BTC/USDT");
    cr_assert_eq(q.quantity, 3);
    cr_assert_eq(q.avg_entry, 110); /* (2 * 100 + 1 * 130) / 3 */
    cr_assert_eq(qf_portfolio_cash(p), 670);
    cr_assert_eq(qf_portfolio_equity(p), 1000); /* unmarked: valued at entry */

    apply_ok(p, fill("BTC/USDT", QF_SIDE_SELL, 2, 120, 0.5));
    q = qf_portfolio_position(p, "BTC/USDT");
    cr_assert_eq(q.quantity, 1);
    cr_assert_eq(q.avg_entry, 110);     /* a reduce keeps the entry */
    cr_assert_eq(q.realized_pnl, 19.5); /* (120 - 110) * 2 - 0.5 */
    cr_assert_eq(q.fees, 0.5);
    cr_assert_eq(qf_portfolio_cash(p), 909.5); /* 670 + 240 - 0.5 */

    qf_err err;
    cr_assert_eq(qf_portfolio_mark(p, "BTC/USDT", 125, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_equity(p), 1034.5); /* 909.5 + 1 * 125 */
    /* equity - initial == realized + unrealized: 19.5 + (125 - 110) * 1 */
    cr_assert_eq(qf_portfolio_equity(p) - 1000, 19.5 + 15);
    size_t n = 0;
    const qf_position *v = qf_portfolio_positions(p, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0].symbol, "BTC/USDT");
    cr_assert_eq(v[0].mark_price, 125);
    qf_portfolio_free(p);
}

Test(portfolio, a_flip_closes_then_opens_at_the_fill_price)
{
    qf_portfolio *p = fresh(1000);
    apply_ok(p, fill("ETH/USDT", QF_SIDE_BUY, 1, 110, 0));
    apply_ok(p, fill("ETH/USDT", QF_SIDE_SELL, 3, 100, 0.3));
    qf_position q = qf_portfolio_position(p, "ETH/USDT");
    cr_assert_eq(q.quantity, -2);
    cr_assert_eq(q.avg_entry, 100);
    assert_near(q.realized_pnl, -10.3); /* (100 - 110) * 1 - 0.3 */
    assert_near(qf_portfolio_cash(p), 1000 - 110 + 300 - 0.3);
    /* equity at the mark: cash + (-2) * 90 */
    qf_err err;
    cr_assert_eq(qf_portfolio_mark(p, "ETH/USDT", 90, &err), QF_OK);
    assert_near(qf_portfolio_equity(p), 1189.7 - 180);
    assert_near(qf_portfolio_equity(p) - 1000, -10.3 + (90 - 100) * -2.0);
    qf_portfolio_free(p);
}

Test(portfolio, a_short_realizes_with_the_sign_flipped)
{
    qf_portfolio *p = fresh(0);
    apply_ok(p, fill("SOL/USDT", QF_SIDE_SELL, 1, 200, 0));
    cr_assert_eq(qf_portfolio_cash(p), 200);
    apply_ok(p, fill("SOL/USDT", QF_SIDE_SELL, 1, 300, 0));
    qf_position q = qf_portfolio_position(p, "SOL/USDT");
    cr_assert_eq(q.quantity, -2);
    cr_assert_eq(q.avg_entry, 250);
    apply_ok(p, fill("SOL/USDT", QF_SIDE_BUY, 0.5, 150, 0.1));
    q = qf_portfolio_position(p, "SOL/USDT");
    cr_assert_eq(q.quantity, -1.5);
    assert_near(q.realized_pnl, 49.9); /* (150 - 250) * 0.5 * -1 - 0.1 */
    apply_ok(p, fill("SOL/USDT", QF_SIDE_BUY, 1.5, 350, 0));
    q = qf_portfolio_position(p, "SOL/USDT");
    cr_assert_eq(q.quantity, 0);
    cr_assert_eq(q.avg_entry, 0);
    assert_near(q.realized_pnl, 49.9 - 150); /* (350 - 250) * 1.5 * -1 */
    assert_near(qf_portfolio_cash(p), 500 - 75 - 0.1 - 525);
    assert_near(qf_portfolio_equity(p), -100.1); /* flat: cash is the equity */
    size_t n = 9;
    qf_portfolio_positions(p, &n);
    cr_assert_eq(n, 0);
    qf_portfolio_free(p);
}

Test(portfolio, decimal_quantities_close_to_exactly_zero)
{
    qf_portfolio *p = fresh(100);
    for (int i = 0; i < 3; i++)
        apply_ok(p, fill("BTC/USDT", QF_SIDE_BUY, 0.1, 10, 0));
    cr_assert_neq(qf_portfolio_position(p, "BTC/USDT").quantity, 0.3); /* 0.30000000000000004 */
    apply_ok(p, fill("BTC/USDT", QF_SIDE_SELL, 0.3, 10, 0));
    cr_assert_eq(qf_portfolio_position(p, "BTC/USDT").quantity, 0);
    qf_portfolio_free(p);
}

Test(portfolio, bad_fills_and_marks_change_nothing)
{
    qf_portfolio *p = fresh(1000);
    apply_ok(p, fill("BTC/USDT", QF_SIDE_BUY, 2, 100, 1));
    qf_position before = qf_portfolio_position(p, "BTC/USDT");
    double cash = qf_portfolio_cash(p);
    qf_fill bad[] = {
        fill("BTC/USDT", QF_SIDE_SELL, 0, 100, 0),      fill("BTC/USDT", QF_SIDE_SELL, -1, 100, 0),
        fill("BTC/USDT", QF_SIDE_SELL, NAN, 100, 0),    fill("BTC/USDT", QF_SIDE_SELL, 1, 0, 0),
        fill("BTC/USDT", QF_SIDE_SELL, 1, INFINITY, 0), fill("BTC/USDT", QF_SIDE_SELL, 1, 100, -1),
        fill("BTC/USDT", QF_SIDE_SELL, 1, 100, NAN),    fill("BTC/USDT", (qf_side)0, 1, 100, 0),
        fill("BTCUSDT", QF_SIDE_SELL, 1, 100, 0),
    };
    const char *field[] = {"quantity", "quantity", "quantity", "price", "price",
                           "fee",      "fee",      "side",     "symbol"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qf_err err;
        cr_assert_eq(qf_portfolio_apply(p, &bad[i], &err), QF_EINVAL, "case %zu", i);
        cr_assert(strstr(err.msg, field[i]) != NULL, "case %zu: '%s'", i, err.msg);
    }
    qf_position after = qf_portfolio_position(p, "BTC/USDT");
    cr_assert_eq(memcmp(&before, &after, sizeof before), 0);
    cr_assert_eq(qf_portfolio_cash(p), cash);
    qf_err err;
    cr_assert_eq(qf_portfolio_mark(p, "BTC/USDT", -5, &err), QF_EINVAL);
    cr_assert_eq(qf_portfolio_mark(p, "BTC/USDT", NAN, &err), QF_EINVAL);
    cr_assert(isnan(qf_portfolio_position(p, "BTC/USDT").mark_price));
    /* A symbol not held: nothing to value, nothing changes. */
    cr_assert_eq(qf_portfolio_mark(p, "ETH/USDT", 2000, &err), QF_OK);
    cr_assert_eq(qf_portfolio_position(p, "ETH/USDT").quantity, 0);
    cr_assert_eq(qf_portfolio_equity(p), 999);
    qf_portfolio_free(p);
}

Test(portfolio, snapshots_measure_drawdown_from_the_running_peak)
{
    qf_portfolio *p = fresh(1000);
    apply_ok(p, fill("BTC/USDT", QF_SIDE_BUY, 10, 100, 0)); /* all in */
    qf_err err;
    const double marks[] = {100, 120, 90, 130, 65};
    const double dd[] = {0, 0, 0.25, 0, 0.5}; /* equity 1000, 1200, 900, 1300, 650 */
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(qf_portfolio_mark(p, "BTC/USDT", marks[i], &err), QF_OK);
        qf_snapshot s = qf_portfolio_snapshot(p, T0 + i * BAR);
        cr_assert_eq(s.time, T0 + i * BAR);
        cr_assert_eq(s.cash, 0);
        cr_assert_eq(s.equity, 10 * marks[i]);
        cr_assert_eq(s.gross_exposure, 10 * marks[i]);
        assert_near(s.drawdown, dd[i]);
    }
    qf_portfolio_free(p);
}

/* A fill with the asset its fee was charged in (fee: its quote value). */
static qf_fill_row fee_fill(qf_side side, double qty, double price, double fee,
                            const char *fee_asset)
{
    qf_fill_row r;
    memset(&r, 0, sizeof r);
    r.fill = fill("BTC/USDT", side, qty, price, fee);
    snprintf(r.fee_asset, sizeof r.fee_asset, "%s", fee_asset);
    strcpy(r.trade_id, "T-1");
    return r;
}

static void apply_row_ok(qf_portfolio *p, qf_fill_row r)
{
    qf_err err;
    cr_assert_eq(qf_portfolio_apply_row(p, &r, &err), QF_OK, "%s", err.msg);
}

Test(portfolio, a_fee_in_the_base_asset_comes_out_of_the_position)
{
    qf_portfolio *p = fresh(0);
    /* Buy 1 BTC at 100, fee 0.001 BTC (0.1 USDT): the venue credits 0.999. */
    apply_row_ok(p, fee_fill(QF_SIDE_BUY, 1, 100, 0.1, "BTC"));
    qf_position q = qf_portfolio_position(p, "BTC/USDT");
    cr_assert_eq(q.quantity, 0.999);
    cr_assert_eq(q.avg_entry, 100);
    cr_assert_eq(q.realized_pnl, -0.1);
    cr_assert_eq(q.fees, 0.1);
    cr_assert_eq(qf_portfolio_cash(p), -100); /* only 1 * 100 */
    assert_near(qf_portfolio_equity(p), -0.1);

    /* Sell 0.5 at 110, fee 0.0005 BTC (0.055 USDT): 0.5005 leaves the
     * position, cash gets 55; realized (110 - 100) * 0.5005 - 0.055. */
    apply_row_ok(p, fee_fill(QF_SIDE_SELL, 0.5, 110, 0.055, "BTC"));
    q = qf_portfolio_position(p, "BTC/USDT");
    assert_near(q.quantity, 0.4985);
    cr_assert_eq(q.avg_entry, 100);
    assert_near(q.realized_pnl, -0.1 + 5.005 - 0.055);
    assert_near(q.fees, 0.155);
    cr_assert_eq(qf_portfolio_cash(p), -45);
    qf_err err;
    cr_assert_eq(qf_portfolio_mark(p, "BTC/USDT", 110, &err), QF_OK);
    /* equity == cash + qty * mark, and - initial == realized + unrealized */
    assert_near(qf_portfolio_equity(p), -45 + 0.4985 * 110);
    assert_near(qf_portfolio_equity(p), q.realized_pnl + q.quantity * (110 - q.avg_entry));
    qf_portfolio_free(p);
}

Test(portfolio, fees_in_the_quote_or_another_asset_are_charged_to_cash)
{
    const char *quote[] = {"", "USDT"};
    for (int i = 0; i < 2; i++) {
        qf_portfolio *p = fresh(0);
        apply_row_ok(p, fee_fill(QF_SIDE_BUY, 1, 100, 0.1, quote[i]));
        qf_position q = qf_portfolio_position(p, "BTC/USDT");
        cr_assert_eq(q.quantity, 1, "'%s'", quote[i]);
        cr_assert_eq(q.realized_pnl, -0.1);
        cr_assert_eq(qf_portfolio_cash(p), -100.1);
        qf_portfolio_free(p);
    }
    /* BNB: the quote value given is a quote fee (the order manager gives 0,
     * it cannot price BNB: then nothing is charged). Neither BTCUP nor
     * "btc" is BTC/USDT's base asset. */
    const char *other[] = {"BNB", "BTCUP", "btc", "BT"};
    for (int i = 0; i < 4; i++) {
        qf_portfolio *p = fresh(0);
        apply_row_ok(p, fee_fill(QF_SIDE_BUY, 1, 100, 0.075, other[i]));
        cr_assert_eq(qf_portfolio_position(p, "BTC/USDT").quantity, 1, "%s", other[i]);
        cr_assert_eq(qf_portfolio_cash(p), -100.075);
        cr_assert_eq(qf_portfolio_position(p, "BTC/USDT").realized_pnl, -0.075);
        apply_row_ok(p, fee_fill(QF_SIDE_BUY, 1, 100, 0, other[i]));
        cr_assert_eq(qf_portfolio_cash(p), -200.075);
        cr_assert_eq(qf_portfolio_position(p, "BTC/USDT").fees, 0.075);
        qf_portfolio_free(p);
    }
}

Test(portfolio, a_base_fee_not_less_than_the_quantity_bought_is_refused)
{
    qf_portfolio *p = fresh(1000);
    qf_err err;
    qf_fill_row r = fee_fill(QF_SIDE_BUY, 0.001, 100, 0.1, "BTC"); /* fee 0.001 BTC */
    cr_assert_eq(qf_portfolio_apply_row(p, &r, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "fee") != NULL, "%s", err.msg);
    r.fill.fee = 0.2;
    cr_assert_eq(qf_portfolio_apply_row(p, &r, &err), QF_EINVAL);
    cr_assert_eq(qf_portfolio_cash(p), 1000);
    cr_assert_eq(qf_portfolio_position(p, "BTC/USDT").quantity, 0);
    cr_assert_eq(qf_portfolio_apply_row(p, NULL, &err), QF_EINVAL);
    /* A sell may pay any fee in the base asset: it debits more. */
    r.fill.side = QF_SIDE_SELL;
    cr_assert_eq(qf_portfolio_apply_row(p, &r, &err), QF_OK, "%s", err.msg);
    assert_near(qf_portfolio_position(p, "BTC/USDT").quantity, -0.003);
    assert_near(qf_portfolio_cash(p), 1000.1);
    qf_portfolio_free(p);
}

/* ---- with the store ------------------------------------------------------ */

static char *dir;
static char db[512];
static qf_store *st;

static void store_setup(void)
{
    dir = qf_test_tmpdir();
    snprintf(db, sizeof db, "%s/q.db", dir);
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &st, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(st, NULL, &err), QF_OK, "%s", err.msg);
}

static void store_teardown(void)
{
    qf_store_close(st);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(portfolio_store, .init = store_setup, .fini = store_teardown);

/* Inserts (through `store`) a pending market order for fill f and returns
 * it as it is after f filled it whole. */
static qf_order_row order_in(qf_store *store, const qf_fill *f)
{
    qf_order_row o;
    memset(&o, 0, sizeof o);
    o.order = (qf_order){0};
    strcpy(o.order.client_id, f->client_id);
    strcpy(o.order.exchange, "binance");
    strcpy(o.order.symbol, f->symbol);
    o.order.side = f->side;
    o.order.type = QF_ORDER_MARKET;
    o.order.quantity = f->quantity;
    o.order.limit_price = NAN;
    o.order.avg_fill_price = NAN;
    o.order.status = QF_ORDER_PENDING;
    o.order.created_at = f->time;
    o.order.updated_at = f->time;
    strcpy(o.account, "paper");
    o.bar_time = -1;
    o.attempt = 1;
    o.expected_price = NAN;
    qf_err err;
    cr_assert_eq(qf_store_insert_order(store, &o, &err), QF_OK, "%s", err.msg);
    o.order.filled_qty = f->quantity;
    o.order.avg_fill_price = f->price;
    o.order.status = QF_ORDER_FILLED;
    return o;
}

static qf_order_row order_for(const qf_fill *f)
{
    return order_in(st, f);
}

static qf_fill_row fill_row_of(const qf_fill *f, const char *trade_id)
{
    qf_fill_row r;
    memset(&r, 0, sizeof r);
    r.fill = *f;
    snprintf(r.trade_id, sizeof r.trade_id, "%s", trade_id);
    r.liquidity = 2;
    return r;
}

static void assert_same_position(const qf_position *a, const qf_position *b)
{
    cr_assert_str_eq(a->symbol, b->symbol);
    cr_assert_eq(a->quantity, b->quantity, "%s quantity %.17g vs %.17g", a->symbol, a->quantity,
                 b->quantity);
    cr_assert_eq(a->avg_entry, b->avg_entry);
    cr_assert_eq(a->realized_pnl, b->realized_pnl);
    cr_assert_eq(a->fees, b->fees);
    cr_assert(a->mark_price == b->mark_price || (isnan(a->mark_price) && isnan(b->mark_price)));
}

/* Memory and a reload from the store agree bit for bit. */
static void assert_reload_equal(const qf_portfolio *p, const char *const *symbols, size_t n_sym)
{
    qf_portfolio *r = NULL;
    qf_err err;
    cr_assert_eq(qf_portfolio_load(st, "paper", -1, &r, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(r), qf_portfolio_cash(p));
    for (size_t i = 0; i < n_sym; i++) {
        qf_position a = qf_portfolio_position(p, symbols[i]);
        qf_position b = qf_portfolio_position(r, symbols[i]);
        assert_same_position(&a, &b);
    }
    size_t na = 0;
    size_t nb = 0;
    qf_portfolio_positions(p, &na);
    qf_portfolio_positions(r, &nb);
    cr_assert_eq(na, nb);
    cr_assert_eq(qf_portfolio_equity(r), qf_portfolio_equity(p));
    qf_portfolio_free(r);
}

Test(portfolio_store, load_creates_and_saves_a_fresh_account)
{
    qf_portfolio *p = NULL;
    qf_err err;
    cr_assert_eq(qf_portfolio_load(st, "paper", 5000, &p, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(p), 5000);
    cr_assert_str_eq(qf_portfolio_account(p), "paper");
    qf_portfolio_free(p);
    /* A restart finds it (the initial cash given then is ignored). */
    cr_assert_eq(qf_portfolio_load(st, "paper", 1, &p, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(p), 5000);
    qf_portfolio_free(p);
    cr_assert_eq(qf_portfolio_load(st, "bad name", 1, &p, &err), QF_EINVAL);
}

Test(portfolio_store, replayed_and_bad_fills_change_nothing_in_memory_or_store)
{
    qf_portfolio *p = NULL;
    qf_err err;
    cr_assert_eq(qf_portfolio_load(st, "paper", 10000, &p, &err), QF_OK, "%s", err.msg);
    qf_fill f = fill("BTC/USDT", QF_SIDE_BUY, 0.1, 42000, 4.2);
    qf_order_row o = order_for(&f);
    qf_fill_row r = fill_row_of(&f, "T-77");
    cr_assert_eq(qf_portfolio_record_fill(p, st, &r, &o, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(p), 10000 - 4200 - 4.2);
    const char *sym[] = {"BTC/USDT"};
    assert_reload_equal(p, sym, 1);

    /* The same trade again: EEXIST, nothing moves. */
    qf_position before = qf_portfolio_position(p, "BTC/USDT");
    double cash = qf_portfolio_cash(p);
    cr_assert_eq(qf_portfolio_record_fill(p, st, &r, &o, &err), QF_EEXIST);
    qf_position after = qf_portfolio_position(p, "BTC/USDT");
    cr_assert_eq(memcmp(&before, &after, sizeof before), 0);
    cr_assert_eq(qf_portfolio_cash(p), cash);
    assert_reload_equal(p, sym, 1);

    /* Bad values: refused before the store, nothing moves. */
    qf_fill g = fill("BTC/USDT", QF_SIDE_SELL, 0.05, NAN, 0);
    strcpy(g.client_id, "qf-t-2");
    qf_fill_row gr = fill_row_of(&g, "T-78");
    qf_order_row go = o;
    strcpy(go.order.client_id, "qf-t-2");
    go.order.side = QF_SIDE_SELL;
    cr_assert_eq(qf_portfolio_record_fill(p, st, &gr, &go, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "price") != NULL, "%s", err.msg);
    /* A fill whose order was never stored: the store refuses it. */
    gr.fill.price = 43000;
    go.order.avg_fill_price = 43000;
    go.order.quantity = 0.05;
    go.order.filled_qty = 0.05;
    cr_assert_eq(qf_portfolio_record_fill(p, st, &gr, &go, &err), QF_ENOTFOUND);
    after = qf_portfolio_position(p, "BTC/USDT");
    cr_assert_eq(memcmp(&before, &after, sizeof before), 0);
    cr_assert_eq(qf_portfolio_cash(p), cash);
    assert_reload_equal(p, sym, 1);
    qf_portfolio_free(p);
}

Test(portfolio_store, saved_snapshots_persist_marks_and_the_peak)
{
    qf_portfolio *p = NULL;
    qf_err err;
    cr_assert_eq(qf_portfolio_load(st, "paper", 1000, &p, &err), QF_OK, "%s", err.msg);
    qf_fill f = fill("BTC/USDT", QF_SIDE_BUY, 10, 100, 0);
    qf_order_row o = order_for(&f);
    qf_fill_row r = fill_row_of(&f, "T-1");
    cr_assert_eq(qf_portfolio_record_fill(p, st, &r, &o, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_mark(p, "BTC/USDT", 150, &err), QF_OK);
    cr_assert_eq(qf_portfolio_save_snapshot(p, st, T0, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_mark(p, "BTC/USDT", 120, &err), QF_OK);
    cr_assert_eq(qf_portfolio_save_snapshot(p, st, T0 + BAR, &err), QF_OK, "%s", err.msg);
    qf_portfolio_free(p);

    /* After a restart the mark is there and the peak (1500) too. */
    cr_assert_eq(qf_portfolio_load(st, "paper", 1000, &p, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_position(p, "BTC/USDT").mark_price, 120);
    cr_assert_eq(qf_portfolio_equity(p), 1200);
    qf_snapshot s = qf_portfolio_snapshot(p, T0 + 2 * BAR);
    assert_near(s.drawdown, 0.2); /* 1 - 1200 / 1500 */
    qf_snapshot *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_snapshots(st, "paper", T0, T0 + BAR, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].equity, 1500);
    cr_assert_eq(v[0].drawdown, 0);
    cr_assert_eq(v[1].equity, 1200);
    assert_near(v[1].drawdown, 0.2);
    cr_assert_eq(v[1].gross_exposure, 1200);
    free(v);
    qf_portfolio_free(p);
}

Test(portfolio_store, a_base_asset_fee_recorded_and_reloaded)
{
    qf_portfolio *p = NULL;
    qf_err err;
    cr_assert_eq(qf_portfolio_load(st, "paper", 1000, &p, &err), QF_OK, "%s", err.msg);
    qf_fill_row r = fee_fill(QF_SIDE_BUY, 1, 100, 0.1, "BTC"); /* 0.001 BTC */
    qf_order_row o = order_for(&r.fill);
    cr_assert_eq(qf_portfolio_record_fill(p, st, &r, &o, &err), QF_OK, "%s", err.msg);
    qf_position q = qf_portfolio_position(p, "BTC/USDT");
    cr_assert_eq(q.quantity, 0.999);
    cr_assert_eq(q.realized_pnl, -0.1);
    cr_assert_eq(qf_portfolio_cash(p), 900);
    const char *sym[] = {"BTC/USDT"};
    assert_reload_equal(p, sym, 1);
    qf_fill_row *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_fills(st, "paper", NULL, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0].fee_asset, "BTC");
    cr_assert_eq(v[0].fill.fee, 0.1);
    free(v);
    /* Refused before the store: nothing recorded, nothing moves. */
    qf_fill_row bad = fee_fill(QF_SIDE_BUY, 0.001, 100, 0.1, "BTC");
    strcpy(bad.fill.client_id, "qf-t-2");
    qf_order_row bo = order_for(&bad.fill);
    cr_assert_eq(qf_portfolio_record_fill(p, st, &bad, &bo, &err), QF_EINVAL);
    cr_assert_eq(qf_portfolio_cash(p), 900);
    cr_assert_eq(qf_store_list_fills(st, "paper", NULL, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 1);
    free(v);
    assert_reload_equal(p, sym, 1);
    qf_portfolio_free(p);
}

Test(portfolio_store, a_stale_portfolio_saving_a_snapshot_undoes_no_fill)
{
    qf_portfolio *a = NULL;
    qf_portfolio *b = NULL;
    qf_store *other = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &other, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_load(st, "paper", 1000, &a, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_load(other, "paper", 1, &b, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(b), 1000); /* created once, by a */
    /* b (another process) buys 2 BTC at 100; a has not seen it. */
    qf_fill f = fill("BTC/USDT", QF_SIDE_BUY, 2, 100, 0.2);
    qf_order_row o = order_in(other, &f);
    qf_fill_row r = fill_row_of(&f, "T-1");
    cr_assert_eq(qf_portfolio_record_fill(b, other, &r, &o, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(a), 1000);
    /* a marks BTC at 110 and saves a snapshot: the fill stays, a's memory
     * catches up, and the snapshot values the account with it. */
    cr_assert_eq(qf_portfolio_mark(a, "BTC/USDT", 110, &err), QF_OK); /* a holds none yet */
    cr_assert_eq(qf_portfolio_save_snapshot(a, st, T0, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(a), 799.8);
    cr_assert_eq(qf_portfolio_position(a, "BTC/USDT").quantity, 2);
    cr_assert_eq(qf_portfolio_mark(a, "BTC/USDT", 110, &err), QF_OK);
    cr_assert_eq(qf_portfolio_save_snapshot(a, st, T0 + BAR, &err), QF_OK, "%s", err.msg);
    qf_snapshot *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_snapshots(st, "paper", T0, T0 + BAR, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].equity, 799.8 + 2 * 100); /* unmarked then: at entry */
    cr_assert_eq(v[1].equity, 799.8 + 2 * 110);
    cr_assert_eq(v[1].cash, 799.8);
    free(v);
    qf_portfolio *r2 = NULL;
    cr_assert_eq(qf_portfolio_load(st, "paper", 1, &r2, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(r2), 799.8);
    cr_assert_eq(qf_portfolio_position(r2, "BTC/USDT").quantity, 2);
    cr_assert_eq(qf_portfolio_position(r2, "BTC/USDT").mark_price, 110);
    /* b's next fill starts from what is stored (a's mark included). */
    qf_fill g = fill("BTC/USDT", QF_SIDE_SELL, 1, 120, 0.1);
    strcpy(g.client_id, "qf-t-2");
    qf_order_row go = order_in(other, &g);
    qf_fill_row gr = fill_row_of(&g, "T-1");
    cr_assert_eq(qf_portfolio_record_fill(b, other, &gr, &go, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_cash(b), 799.8 + 120 - 0.1);
    cr_assert_eq(qf_portfolio_position(b, "BTC/USDT").mark_price, 110);
    qf_portfolio_free(r2);
    qf_portfolio_free(a);
    qf_portfolio_free(b);
    qf_store_close(other);
}

/* Equity recomputed from the positions the portfolio shows. */
static double equity_of(const qf_portfolio *p)
{
    size_t n = 0;
    const qf_position *v = qf_portfolio_positions(p, &n);
    double e = qf_portfolio_cash(p);
    for (size_t i = 0; i < n; i++)
        e += v[i].quantity * (isnan(v[i].mark_price) ? v[i].avg_entry : v[i].mark_price);
    return e;
}

/* PnL from the positions: realized + unrealized over every symbol. */
static double pnl_of(const qf_portfolio *p, const char *const *symbols, size_t n_sym)
{
    double s = 0;
    for (size_t i = 0; i < n_sym; i++) {
        qf_position q = qf_portfolio_position(p, symbols[i]);
        double m = isnan(q.mark_price) ? q.avg_entry : q.mark_price;
        s += q.realized_pnl + q.quantity * (m - q.avg_entry);
    }
    return s;
}

#define RUN_CASH 100000.0
#define FEE_RATE 0.001 /* 10 bps taker */

Test(portfolio_store, invariants_after_every_fill_over_real_btc_closes, .timeout = 120)
{
    qf_bars bars = qf_test_bars("BTCUSDT");
    cr_assert_gt(bars.n, 1000);
    size_t n_bars = bars.n < 6000 ? bars.n : 6000;
    qf_portfolio *p = NULL;
    qf_err err;
    cr_assert_eq(qf_portfolio_load(st, "paper", RUN_CASH, &p, &err), QF_OK, "%s", err.msg);
    const char *sym[] = {"BTC/USDT"};
    double cash_ref = RUN_CASH; /* independent sum of the fills */
    double fees_ref = 0;
    double qty_ref = 0; /* base asset held: bought - sold - fees in BTC */
    double peak_ref = NAN;
    int flips = 0;
    int shorts = 0;
    for (size_t i = 0; i < n_bars; i++) {
        double close = bars.close[i];
        cr_assert_eq(qf_portfolio_mark(p, "BTC/USDT", close, &err), QF_OK, "%s", err.msg);
        /* Five buys then five sells of varying quantities: the position
         * wanders around zero, long and short, flipping through it. */
        qf_side side = (i / 5) % 2 == 0 ? QF_SIDE_BUY : QF_SIDE_SELL;
        double qty = 0.01 * (double)(1 + (i * 7) % 13);
        double price = close * (1 + 0.0005 * side); /* half a 10 bps spread */
        double fee = FEE_RATE * qty * price;
        qf_fill f = fill("BTC/USDT", side, qty, price, fee);
        snprintf(f.client_id, sizeof f.client_id, "qf-run-%zu", i);
        f.time = bars.open_time[i] + BAR;
        double before_qty = qf_portfolio_position(p, "BTC/USDT").quantity;
        qf_order_row o = order_for(&f);
        qf_fill_row r = fill_row_of(&f, "T-1");
        /* The fee in BTC on every third fill (as Binance charges a buy
         * without BNB), in USDT named or unnamed on the others. */
        int base_fee = i % 3 == 0;
        strcpy(r.fee_asset, base_fee ? "BTC" : i % 3 == 1 ? "USDT" : "");
        cr_assert_eq(qf_portfolio_record_fill(p, st, &r, &o, &err), QF_OK, "bar %zu: %s", i,
                     err.msg);
        cash_ref -= side * qty * price + (base_fee ? 0 : fee);
        qty_ref += side * qty - (base_fee ? fee / price : 0);
        fees_ref += fee;
        double after_qty = qf_portfolio_position(p, "BTC/USDT").quantity;
        cr_assert(fabs(after_qty - qty_ref) <= 1e-8, "bar %zu: quantity %.17g, fills say %.17g", i,
                  after_qty, qty_ref);
        flips += before_qty * after_qty < 0;
        shorts += after_qty < 0;

        double eq = qf_portfolio_equity(p);
        double tol = 1e-9 * fabs(eq) + 1e-9;
        cr_assert(fabs(eq - equity_of(p)) <= tol, "bar %zu: equity %.17g vs %.17g", i, eq,
                  equity_of(p));
        cr_assert(fabs(qf_portfolio_cash(p) - cash_ref) <= 1e-9 * RUN_CASH, "bar %zu: cash", i);
        cr_assert(fabs(eq - RUN_CASH - pnl_of(p, sym, 1)) <= 1e-9 * RUN_CASH,
                  "bar %zu: equity - initial %.17g vs realized + unrealized %.17g", i,
                  eq - RUN_CASH, pnl_of(p, sym, 1));
        assert_near(qf_portfolio_position(p, "BTC/USDT").fees, fees_ref);
        if (i % 6 == 5) { /* daily snapshot */
            cr_assert_eq(qf_portfolio_save_snapshot(p, st, f.time, &err), QF_OK, "%s", err.msg);
            peak_ref = isnan(peak_ref) || eq > peak_ref ? eq : peak_ref;
        }
        if (i % 500 == 499 || i + 1 == n_bars)
            assert_reload_equal(p, sym, 1);
    }
    cr_assert_gt(flips, 10, "the pattern should flip the position (%d flips)", flips);
    cr_assert_gt(shorts, 10);

    /* Every snapshot's drawdown is 1 - equity / running peak. */
    qf_snapshot *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_snapshots(st, "paper", INT64_MIN, INT64_MAX, &v, &n, &err), QF_OK);
    cr_assert_eq(n, n_bars / 6);
    double peak = NAN;
    double max_dd = 0;
    for (size_t i = 0; i < n; i++) {
        peak = isnan(peak) || v[i].equity > peak ? v[i].equity : peak;
        assert_near(v[i].drawdown, 1 - v[i].equity / peak);
        max_dd = fmax(max_dd, v[i].drawdown);
    }
    cr_assert_eq(peak, peak_ref);
    cr_assert_gt(max_dd, 0);
    free(v);
    /* Every fill is in the store once, and replayed with its fee asset it
     * gives the stored account bit for bit. */
    qf_fill_row *fills = NULL;
    cr_assert_eq(qf_store_list_fills(st, "paper", NULL, &fills, &n, &err), QF_OK);
    cr_assert_eq(n, n_bars);
    qf_portfolio *re = fresh(RUN_CASH);
    for (size_t i = 0; i < n; i++)
        apply_row_ok(re, fills[i]);
    free(fills);
    cr_assert_eq(qf_portfolio_cash(re), qf_portfolio_cash(p));
    qf_position a = qf_portfolio_position(re, "BTC/USDT");
    qf_position b = qf_portfolio_position(p, "BTC/USDT");
    b.mark_price = a.mark_price;
    assert_same_position(&a, &b);
    qf_portfolio_free(re);
    qf_portfolio_free(p);
    qf_bars_cleanup(&bars);
}

/* ---- two processes, one account ------------------------------------------ */

#define PROC_FILLS 150 /* per process */
#define PROC_CASH  1e6

/* Fill i of process c: BTC/USDT and ETH/USDT alternately, runs of buys and
 * sells (the positions go long and short), quantities in 0.01 steps. */
static qf_fill_row proc_fill(int c, int i)
{
    int btc = i % 2 == 0;
    qf_side side = ((i / 3 + c) % 2 == 0) ? QF_SIDE_BUY : QF_SIDE_SELL;
    double qty = 0.01 * (double)(1 + (i * 7 + c * 3) % 11);
    double price = btc ? 40000 + 37 * i + 11 * c : 2000 + 3 * i + c;
    qf_fill f = fill(btc ? "BTC/USDT" : "ETH/USDT", side, qty, price, 0.001 * qty * price);
    snprintf(f.client_id, sizeof f.client_id, "qf-p%d-%d", c, i);
    qf_fill_row r = fill_row_of(&f, "T-1");
    if (i % 5 == 0) /* a fee in the base asset */
        strcpy(r.fee_asset, btc ? "BTC" : "ETH");
    else if (i % 5 == 1)
        strcpy(r.fee_asset, "USDT");
    return r;
}

/* Memory equals the account as stored (cash and both positions), in a
 * child (no Criterion assertion there). */
static int same_as_stored(qf_store *w, const qf_portfolio *p)
{
    qf_portfolio *r = NULL;
    qf_err err;
    if (qf_portfolio_load(w, "paper", -1, &r, &err) != QF_OK)
        return 0;
    int same = qf_portfolio_cash(r) == qf_portfolio_cash(p);
    const char *sym[] = {"BTC/USDT", "ETH/USDT"};
    for (int k = 0; k < 2; k++) {
        qf_position a = qf_portfolio_position(p, sym[k]);
        qf_position b = qf_portfolio_position(r, sym[k]);
        same = same && a.quantity == b.quantity && a.avg_entry == b.avg_entry &&
               a.realized_pnl == b.realized_pnl && a.fees == b.fees;
    }
    qf_portfolio_free(r);
    return same;
}

/* Child c: its own store handle and portfolio, loaded before the other
 * process writes anything, then PROC_FILLS fills: the first half taking
 * turns with the other process (a token through the pipes in_fd/out_fd:
 * every commit follows one of the other's), the rest racing it for the
 * write lock with short random pauses. */
static void proc_child(int c, int go_fd, int in_fd, int out_fd)
{
    qf_store *w = NULL;
    qf_portfolio *p = NULL;
    qf_err err;
    if (qf_store_open_sqlite(db, &w, &err) != QF_OK ||
        qf_portfolio_load(w, "paper", -1, &p, &err) != QF_OK)
        _exit(2);
    char ch;
    if (read(go_fd, &ch, 1) != 1)
        _exit(3);
    srand((unsigned)getpid());
    for (int i = 0; i < PROC_FILLS; i++) {
        int turns = i < PROC_FILLS / 2;
        if (turns && !(c == 0 && i == 0) && read(in_fd, &ch, 1) != 1)
            _exit(6);
        if (!turns)
            usleep((useconds_t)(rand() % 1500));
        qf_fill_row r = proc_fill(c, i);
        qf_order_row o;
        memset(&o, 0, sizeof o);
        strcpy(o.order.client_id, r.fill.client_id);
        strcpy(o.order.exchange, "binance");
        strcpy(o.order.symbol, r.fill.symbol);
        o.order.side = r.fill.side;
        o.order.type = QF_ORDER_MARKET;
        o.order.quantity = r.fill.quantity;
        o.order.limit_price = NAN;
        o.order.avg_fill_price = NAN;
        o.order.status = QF_ORDER_PENDING;
        o.order.created_at = T0;
        o.order.updated_at = T0;
        strcpy(o.account, "paper");
        o.bar_time = -1;
        o.attempt = 1;
        o.expected_price = NAN;
        if (qf_store_insert_order(w, &o, &err) != QF_OK)
            _exit(4);
        o.order.filled_qty = r.fill.quantity;
        o.order.avg_fill_price = r.fill.price;
        o.order.status = QF_ORDER_FILLED;
        if (qf_portfolio_record_fill(p, w, &r, &o, &err) != QF_OK) {
            fprintf(stderr, "child %d fill %d: %s\n", c, i, err.msg);
            _exit(5);
        }
        if (turns && !same_as_stored(w, p)) /* the other one waits: memory is current */
            _exit(8);
        if (turns && write(out_fd, "t", 1) != 1)
            _exit(7);
    }
    qf_portfolio_free(p);
    qf_store_close(w);
    _exit(0);
}

Test(portfolio_store, two_processes_sharing_an_account_lose_no_fill, .timeout = 120)
{
    qf_portfolio *p = NULL;
    qf_err err;
    cr_assert_eq(qf_portfolio_load(st, "paper", PROC_CASH, &p, &err), QF_OK, "%s", err.msg);
    qf_portfolio_free(p);
    int go[2];
    int to[2][2]; /* to[c]: the token to process c */
    cr_assert_eq(pipe(go), 0);
    cr_assert_eq(pipe(to[0]), 0);
    cr_assert_eq(pipe(to[1]), 0);
    pid_t pid[2];
    for (int c = 0; c < 2; c++) {
        pid[c] = fork();
        cr_assert_neq(pid[c], -1);
        if (pid[c] == 0) {
            /* Only its own ends: when the other process dies, a read of
             * the token sees EOF instead of waiting for ever. */
            close(go[1]);
            close(to[c][1]);
            close(to[1 - c][0]);
            proc_child(c, go[0], to[c][0], to[1 - c][1]);
        }
    }
    close(go[0]);
    for (int c = 0; c < 2; c++) {
        close(to[c][0]);
        close(to[c][1]);
    }
    usleep(100000); /* both have loaded the account: their memory is stale from now on */
    cr_assert_eq(write(go[1], "gg", 2), 2);
    close(go[1]);
    for (int c = 0; c < 2; c++) {
        int status = 0;
        cr_assert_eq(waitpid(pid[c], &status, 0), pid[c]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child %d: exit %d, signal %d (see proc_child)", c,
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }

    /* Independent sums over the fills both processes made. */
    double cash = PROC_CASH;
    double qty[2] = {0, 0}; /* BTC, ETH */
    double fees[2] = {0, 0};
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < PROC_FILLS; i++) {
            qf_fill_row r = proc_fill(c, i);
            const qf_fill *f = &r.fill;
            int base = i % 5 == 0;
            cash -= f->side * f->quantity * f->price + (base ? 0 : f->fee);
            qty[i % 2] += f->side * f->quantity - (base ? f->fee / f->price : 0);
            fees[i % 2] += f->fee;
        }
    }
    cr_assert_eq(qf_portfolio_load(st, "paper", -1, &p, &err), QF_OK, "%s", err.msg);
    const char *sym[] = {"BTC/USDT", "ETH/USDT"};
    cr_assert(fabs(qf_portfolio_cash(p) - cash) <= 1e-9 * PROC_CASH, "cash %.17g, fills say %.17g",
              qf_portfolio_cash(p), cash);
    for (int k = 0; k < 2; k++) {
        qf_position q = qf_portfolio_position(p, sym[k]);
        cr_assert(fabs(q.quantity - qty[k]) <= 1e-9, "%s: quantity %.17g, fills say %.17g", sym[k],
                  q.quantity, qty[k]);
        assert_near(q.fees, fees[k]);
    }

    /* Bit for bit: the stored fills replayed in the order they committed. */
    qf_fill_row *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_fills(st, "paper", NULL, &v, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 2 * PROC_FILLS);
    qf_portfolio *re = fresh(PROC_CASH);
    int switches = 0; /* commits that alternate between the processes */
    for (size_t i = 0; i < n; i++) {
        apply_row_ok(re, v[i]);
        switches += i > 0 && v[i].fill.client_id[4] != v[i - 1].fill.client_id[4];
    }
    free(v);
    cr_assert_geq(switches, PROC_FILLS - 1, "the processes did not take turns (%d)", switches);
    cr_assert_eq(qf_portfolio_cash(p), qf_portfolio_cash(re));
    for (int k = 0; k < 2; k++) {
        qf_position a = qf_portfolio_position(p, sym[k]);
        qf_position b = qf_portfolio_position(re, sym[k]);
        assert_same_position(&a, &b);
    }
    qf_portfolio_free(re);
    qf_portfolio_free(p);
}
