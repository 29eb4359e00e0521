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
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Inserts a pending market order for fill f and returns it as it is after
 * f filled it whole. */
static qf_order_row order_for(const qf_fill *f)
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
    cr_assert_eq(qf_store_insert_order(st, &o, &err), QF_OK, "%s", err.msg);
    o.order.filled_qty = f->quantity;
    o.order.avg_fill_price = f->price;
    o.order.status = QF_ORDER_FILLED;
    return o;
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
        cr_assert_eq(qf_portfolio_record_fill(p, st, &r, &o, &err), QF_OK, "bar %zu: %s", i,
                     err.msg);
        cash_ref -= side * qty * price + fee;
        fees_ref += fee;
        double after_qty = qf_portfolio_position(p, "BTC/USDT").quantity;
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
    /* Every fill is in the store once. */
    qf_fill_row *fills = NULL;
    cr_assert_eq(qf_store_list_fills(st, "paper", NULL, &fills, &n, &err), QF_OK);
    cr_assert_eq(n, n_bars);
    free(fills);
    qf_portfolio_free(p);
    qf_bars_cleanup(&bars);
}
