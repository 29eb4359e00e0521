/*
 * test_sqlite_orders.c - orders, fills, positions, cash and snapshots in the
 * SQLite store: an order inserted pending reads back field for field (NaN
 * and "" as NULL and back), a repeated client_id is QF_EEXIST and writes
 * nothing, updates and listings by account and status; a fill is recorded
 * with the order, position and cash in one transaction, a replayed fill is
 * QF_EEXIST and changes nothing, a failure after the fill row was written
 * rolls all of it back; every bad field is QF_EINVAL naming it with nothing
 * written; a read-only handle writes nothing (QF_ESTORE); and a process
 * killed (SIGKILL) while recording fills leaves whole fills only. Several
 * writers: a stale order update never lowers filled_qty nor reopens a
 * closed status; apply gets the cash and position as stored and its result
 * is checked; trades of one order recorded through two handles both count;
 * an account is created once; marks write nothing but marks.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#define TD_STORE_FIXTURE
#include "store_testdata.h"

#define T0 INT64_C(1767700800000) /* 2026-01-06T12:00:00Z */

TestSuite(sqlite_orders, .init = td_store_setup, .fini = td_store_teardown);

static int64_t count(const char *sql)
{
    return td_sql_int(db, sql);
}

/* A pending limit buy of 0.5 BTC/USDT at 42000.5 for the paper account. */
static qf_order_row order_row(const char *client_id)
{
    qf_order_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.order.client_id, sizeof r.order.client_id, "%s", client_id);
    strcpy(r.order.exchange, "binance");
    strcpy(r.order.symbol, "BTC/USDT");
    r.order.side = QF_SIDE_BUY;
    r.order.type = QF_ORDER_LIMIT;
    r.order.tif = QF_TIF_GTC;
    r.order.quantity = 0.5;
    r.order.limit_price = 42000.5;
    r.order.filled_qty = 0;
    r.order.avg_fill_price = NAN;
    r.order.status = QF_ORDER_PENDING;
    r.order.created_at = T0;
    r.order.updated_at = T0;
    strcpy(r.account, "paper");
    r.bar_time = T0 - 14400000;
    r.attempt = 1;
    r.expected_price = 41990.25;
    return r;
}

static void insert_ok(const qf_order_row *r)
{
    qf_err err;
    cr_assert_eq(qf_store_insert_order(st, r, &err), QF_OK, "%s", err.msg);
}

static void assert_same_order(const qf_order_row *a, const qf_order_row *b)
{
    const qf_order *x = &a->order;
    const qf_order *y = &b->order;
    cr_assert_str_eq(x->client_id, y->client_id);
    cr_assert_str_eq(x->exchange, y->exchange);
    cr_assert_str_eq(x->symbol, y->symbol);
    cr_assert_eq(x->side, y->side);
    cr_assert_eq(x->type, y->type);
    cr_assert_eq(x->tif, y->tif);
    cr_assert_eq(x->quantity, y->quantity);
    cr_assert(x->limit_price == y->limit_price || (isnan(x->limit_price) && isnan(y->limit_price)));
    cr_assert_eq(x->filled_qty, y->filled_qty);
    cr_assert(x->avg_fill_price == y->avg_fill_price ||
              (isnan(x->avg_fill_price) && isnan(y->avg_fill_price)));
    cr_assert_eq(x->status, y->status);
    cr_assert_eq(x->created_at, y->created_at);
    cr_assert_eq(x->updated_at, y->updated_at);
    cr_assert_str_eq(a->account, b->account);
    cr_assert_str_eq(a->venue_order_id, b->venue_order_id);
    cr_assert_eq(a->bar_time, b->bar_time);
    cr_assert_eq(a->attempt, b->attempt);
    cr_assert(a->expected_price == b->expected_price ||
              (isnan(a->expected_price) && isnan(b->expected_price)));
    cr_assert_str_eq(a->reason, b->reason);
}

static qf_order_row get_ok(const char *client_id)
{
    qf_order_row r;
    qf_err err;
    cr_assert_eq(qf_store_get_order(st, client_id, &r, &err), QF_OK, "%s", err.msg);
    return r;
}

Test(sqlite_orders, insert_then_get_reads_back_every_field)
{
    qf_order_row a = order_row("qf-1a2b3c4d-1");
    insert_ok(&a);
    qf_order_row got = get_ok("qf-1a2b3c4d-1");
    assert_same_order(&got, &a);
    cr_assert_eq(count("SELECT count(*) FROM orders WHERE status = 'pending' AND side = 'buy' AND "
                       "type = 'limit' AND time_in_force = 'gtc' AND exchange_order_id IS NULL AND "
                       "avg_fill_price IS NULL AND reason IS NULL AND expected_price = 41990.25"),
                 1);

    /* A manual market sell: NaN prices and bar_time -1 are NULL and back. */
    qf_order_row b = order_row("manual_sell-7");
    b.order.side = QF_SIDE_SELL;
    b.order.type = QF_ORDER_MARKET;
    b.order.tif = QF_TIF_IOC;
    b.order.limit_price = NAN;
    b.expected_price = NAN;
    b.bar_time = -1;
    insert_ok(&b);
    got = get_ok("manual_sell-7");
    assert_same_order(&got, &b);
    cr_assert_eq(count("SELECT count(*) FROM orders WHERE client_id = 'manual_sell-7' AND "
                       "limit_price IS NULL AND bar_time IS NULL AND expected_price IS NULL"),
                 1);
}

Test(sqlite_orders, repeated_client_id_is_eexist_and_writes_nothing)
{
    qf_order_row a = order_row("qf-dup-1");
    insert_ok(&a);
    qf_order_row again = order_row("qf-dup-1");
    again.order.quantity = 9;
    again.order.side = QF_SIDE_SELL;
    qf_err err;
    cr_assert_eq(qf_store_insert_order(st, &again, &err), QF_EEXIST);
    cr_assert(strstr(err.msg, "qf-dup-1") != NULL, "%s", err.msg);
    cr_assert_eq(count("SELECT count(*) FROM orders"), 1);
    qf_order_row got = get_ok("qf-dup-1");
    assert_same_order(&got, &a);
}

Test(sqlite_orders, get_of_unknown_id_is_enotfound_and_leaves_out)
{
    qf_order_row out;
    memset(&out, 0x5a, sizeof out);
    qf_order_row before = out;
    qf_err err;
    cr_assert_eq(qf_store_get_order(st, "qf-none-1", &out, &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "qf-none-1") != NULL, "%s", err.msg);
    cr_assert_eq(memcmp(&out, &before, sizeof out), 0);
}

typedef struct bad_case {
    const char *field; /* expected in the message */
    void (*mutate)(qf_order_row *r);
} bad_case;

static void m_id_empty(qf_order_row *r)
{
    r->order.client_id[0] = '\0';
}
static void m_id_space(qf_order_row *r)
{
    strcpy(r->order.client_id, "qf 1");
}
static void m_id_long(qf_order_row *r)
{
    memset(r->order.client_id, 'a', 37);
    r->order.client_id[37] = '\0';
}
static void m_account(qf_order_row *r)
{
    strcpy(r->account, "pa per");
}
static void m_exchange(qf_order_row *r)
{
    r->order.exchange[0] = '\0';
}
static void m_symbol(qf_order_row *r)
{
    strcpy(r->order.symbol, "BTCUSDT");
}
static void m_side(qf_order_row *r)
{
    r->order.side = (qf_side)0;
}
static void m_type(qf_order_row *r)
{
    r->order.type = (qf_order_type)7;
}
static void m_tif(qf_order_row *r)
{
    r->order.tif = (qf_time_in_force)3;
}
static void m_qty_zero(qf_order_row *r)
{
    r->order.quantity = 0;
}
static void m_qty_nan(qf_order_row *r)
{
    r->order.quantity = NAN;
}
static void m_qty_inf(qf_order_row *r)
{
    r->order.quantity = INFINITY;
}
static void m_limit_missing(qf_order_row *r)
{
    r->order.limit_price = NAN;
}
static void m_limit_negative(qf_order_row *r)
{
    r->order.limit_price = -1;
}
static void m_status(qf_order_row *r)
{
    r->order.status = (qf_order_status)8;
}
static void m_filled_over(qf_order_row *r)
{
    r->order.filled_qty = 0.6;
    r->order.avg_fill_price = 42000;
}
static void m_filled_without_price(qf_order_row *r)
{
    r->order.filled_qty = 0.1;
}
static void m_attempt(qf_order_row *r)
{
    r->attempt = 0;
}
static void m_created(qf_order_row *r)
{
    r->order.created_at = -5;
}
static void m_bar_time(qf_order_row *r)
{
    r->bar_time = -2;
}
static void m_expected(qf_order_row *r)
{
    r->expected_price = INFINITY;
}
static void m_reason(qf_order_row *r)
{
    strcpy(r->reason, "bad\nline");
}

static const bad_case bad_cases[] = {
    {"client_id", m_id_empty},
    {"client_id", m_id_space},
    {"client_id", m_id_long},
    {"account", m_account},
    {"exchange", m_exchange},
    {"symbol", m_symbol},
    {"side", m_side},
    {"type", m_type},
    {"time_in_force", m_tif},
    {"quantity", m_qty_zero},
    {"quantity", m_qty_nan},
    {"quantity", m_qty_inf},
    {"limit_price", m_limit_missing},
    {"limit_price", m_limit_negative},
    {"status", m_status},
    {"filled_qty", m_filled_over},
    {"avg_fill_price", m_filled_without_price},
    {"attempt", m_attempt},
    {"created_at", m_created},
    {"bar_time", m_bar_time},
    {"expected_price", m_expected},
    {"reason", m_reason},
};

Test(sqlite_orders, bad_fields_are_einval_naming_the_field_and_write_nothing)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        qf_order_row r = order_row("qf-bad-1");
        bad_cases[i].mutate(&r);
        qf_err err;
        cr_assert_eq(qf_store_insert_order(st, &r, &err), QF_EINVAL, "case %zu (%s)", i,
                     bad_cases[i].field);
        cr_assert(strstr(err.msg, bad_cases[i].field) != NULL, "case %zu: '%s' lacks '%s'", i,
                  err.msg, bad_cases[i].field);
        cr_assert_eq(count("SELECT count(*) FROM orders"), 0, "case %zu wrote a row", i);
    }
    /* The same checks guard an update: the stored order stays as it was. */
    qf_order_row good = order_row("qf-good-1");
    insert_ok(&good);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        qf_order_row r = order_row("qf-good-1");
        r.order.status = QF_ORDER_OPEN;
        bad_cases[i].mutate(&r);
        qf_err err;
        cr_assert_neq(qf_store_update_order(st, &r, &err), QF_OK, "update case %zu", i);
        qf_order_row got = get_ok("qf-good-1");
        assert_same_order(&got, &good);
    }
}

Test(sqlite_orders, update_rewrites_the_mutable_fields)
{
    qf_order_row a = order_row("qf-upd-1");
    insert_ok(&a);
    qf_order_row u = a;
    u.order.status = QF_ORDER_PARTIALLY_FILLED;
    u.order.filled_qty = 0.2;
    u.order.avg_fill_price = 41999.5;
    u.order.updated_at = T0 + 1500;
    strcpy(u.venue_order_id, "8812733");
    u.attempt = 2;
    qf_err err;
    cr_assert_eq(qf_store_update_order(st, &u, &err), QF_OK, "%s", err.msg);
    qf_order_row got = get_ok("qf-upd-1");
    assert_same_order(&got, &u);

    u.order.status = QF_ORDER_CANCELLED;
    strcpy(u.reason, "timed out after 30 s");
    cr_assert_eq(qf_store_update_order(st, &u, &err), QF_OK, "%s", err.msg);
    got = get_ok("qf-upd-1");
    cr_assert_eq(got.order.status, QF_ORDER_CANCELLED);
    cr_assert_str_eq(got.reason, "timed out after 30 s");

    /* The immutable fields are not rewritten by an update. */
    qf_order_row other = u;
    other.order.quantity = 0.25; /* still >= filled 0.2: valid */
    other.order.side = QF_SIDE_SELL;
    cr_assert_eq(qf_store_update_order(st, &other, &err), QF_OK, "%s", err.msg);
    got = get_ok("qf-upd-1");
    cr_assert_eq(got.order.quantity, 0.5);
    cr_assert_eq(got.order.side, QF_SIDE_BUY);

    qf_order_row missing = order_row("qf-missing-1");
    cr_assert_eq(qf_store_update_order(st, &missing, &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "qf-missing-1") != NULL, "%s", err.msg);

    /* filled_qty over the STORED quantity (the row claims a larger one). */
    qf_order_row over = u;
    over.order.quantity = 5;
    over.order.filled_qty = 1;
    cr_assert_eq(qf_store_update_order(st, &over, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "filled_qty") != NULL, "%s", err.msg);
    got = get_ok("qf-upd-1");
    cr_assert_eq(got.order.filled_qty, 0.2);
}

Test(sqlite_orders, list_by_account_and_status_mask_oldest_first)
{
    const char *ids[] = {"qf-l-3", "qf-l-1", "qf-l-2", "live-1"};
    const int64_t at[] = {T0 + 30, T0 + 10, T0 + 20, T0 + 5};
    const qf_order_status status[] = {QF_ORDER_OPEN, QF_ORDER_PENDING, QF_ORDER_FILLED,
                                      QF_ORDER_OPEN};
    for (int i = 0; i < 4; i++) {
        qf_order_row r = order_row(ids[i]);
        r.order.created_at = at[i];
        r.order.updated_at = at[i];
        r.order.status = status[i];
        if (status[i] == QF_ORDER_FILLED) {
            r.order.filled_qty = 0.5;
            r.order.avg_fill_price = 42000;
        }
        if (i == 3)
            strcpy(r.account, "live");
        insert_ok(&r);
    }
    qf_order_row *v = NULL;
    size_t n = 99;
    qf_err err;
    cr_assert_eq(qf_store_list_orders(st, "paper", 0, &v, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(v[0].order.client_id, "qf-l-1");
    cr_assert_str_eq(v[1].order.client_id, "qf-l-2");
    cr_assert_str_eq(v[2].order.client_id, "qf-l-3");
    free(v);

    unsigned open_or_pending = 1u << QF_ORDER_OPEN | 1u << QF_ORDER_PENDING;
    cr_assert_eq(qf_store_list_orders(st, "paper", open_or_pending, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].order.client_id, "qf-l-1");
    cr_assert_str_eq(v[1].order.client_id, "qf-l-3");
    free(v);

    cr_assert_eq(qf_store_list_orders(st, NULL, 1u << QF_ORDER_OPEN, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].order.client_id, "live-1");
    cr_assert_str_eq(v[1].order.client_id, "qf-l-3");
    free(v);

    cr_assert_eq(qf_store_list_orders(st, "nobody", 0, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 0);
    cr_assert_null(v);
    cr_assert_eq(qf_store_list_orders(st, "bad account", 0, &v, &n, &err), QF_EINVAL);
}

Test(sqlite_orders, foreign_rows_that_do_not_fit_are_eparse)
{
    qf_order_row a = order_row("qf-ok-1");
    insert_ok(&a);
    /* Another program stored a venue order id longer than the field. */
    td_sql(db, "INSERT INTO orders(client_id, exchange_order_id, account, exchange, symbol, side, "
               "type, quantity, status, created_at, updated_at) VALUES ('qf-long-1', "
               "printf('%0100d', 7), 'paper', 'binance', 'BTC/USDT', 'buy', 'market', 1, "
               "'open', 1, 1)");
    qf_order_row out;
    memset(&out, 0x5a, sizeof out);
    qf_order_row before = out;
    qf_err err;
    cr_assert_eq(qf_store_get_order(st, "qf-long-1", &out, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "qf-long-1") != NULL, "%s", err.msg);
    cr_assert_eq(memcmp(&out, &before, sizeof out), 0);
    qf_order_row *v = (qf_order_row *)&before;
    size_t n = 0;
    cr_assert_eq(qf_store_list_orders(st, "paper", 0, &v, &n, &err), QF_EPARSE);
    cr_assert_eq(n, 0);
    /* The good row still reads. */
    qf_order_row got = get_ok("qf-ok-1");
    assert_same_order(&got, &a);
}

/* ---- fills --------------------------------------------------------------- */

static qf_fill_row fill_row(const char *client_id, const char *trade_id, double qty, double price,
                            double fee)
{
    qf_fill_row f;
    memset(&f, 0, sizeof f);
    snprintf(f.fill.client_id, sizeof f.fill.client_id, "%s", client_id);
    strcpy(f.fill.symbol, "BTC/USDT");
    f.fill.side = QF_SIDE_BUY;
    f.fill.quantity = qty;
    f.fill.price = price;
    f.fill.fee = fee;
    f.fill.time = T0 + 1000;
    snprintf(f.trade_id, sizeof f.trade_id, "%s", trade_id);
    f.liquidity = 2;
    return f;
}

static qf_position position(double qty, double avg, double realized, double fees)
{
    qf_position p;
    memset(&p, 0, sizeof p);
    strcpy(p.symbol, "BTC/USDT");
    p.quantity = qty;
    p.avg_entry = avg;
    p.realized_pnl = realized;
    p.fees = fees;
    p.mark_price = NAN;
    return p;
}

/* A qf_store_fill_fn that writes fixed values and notes what it was given
 * (the position and cash as stored). */
typedef struct fixed_apply {
    qf_position pos;
    double cash;
    qf_position seen_pos;
    double seen_cash;
    int calls;
    qf_rc fail; /* returned instead when not QF_OK */
} fixed_apply;

static qf_rc apply_fixed(void *ctx, const qf_fill_row *fill, qf_position *pos, double *cash,
                         qf_err *err)
{
    fixed_apply *a = ctx;
    (void)fill;
    a->calls++;
    a->seen_pos = *pos;
    a->seen_cash = *cash;
    if (a->fail != QF_OK)
        return qf_err_set(err, a->fail, "test: apply refused");
    *pos = a->pos;
    *cash = a->cash;
    return QF_OK;
}

/* Records f with order_after o, the position and cash after it being p and
 * cash (what apply writes). */
static qf_rc record_abs(qf_store *store, const char *account, const qf_fill_row *f,
                        const qf_order_row *o, const qf_position *p, double cash, qf_err *err)
{
    fixed_apply a;
    memset(&a, 0, sizeof a);
    a.pos = *p;
    a.cash = cash;
    return qf_store_record_fill(store, account, f, o, apply_fixed, &a, NULL, NULL, NULL, err);
}

/* cash, BTC position quantity, fills and the order's filled quantity as
 * stored: what a replay or a failure must not change. */
typedef struct stored_state {
    double cash;
    double qty;
    double realized;
    int64_t fills;
    double filled;
} stored_state;

static stored_state stored(const char *client_id)
{
    stored_state s = {NAN, NAN, NAN, 0, NAN};
    qf_position *pos = NULL;
    size_t n = 0;
    bool found = false;
    qf_err err;
    cr_assert_eq(qf_store_load_portfolio(st, "paper", &s.cash, &pos, &n, &found, &err), QF_OK, "%s",
                 err.msg);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(pos[i].symbol, "BTC/USDT") == 0) {
            s.qty = pos[i].quantity;
            s.realized = pos[i].realized_pnl;
        }
    }
    free(pos);
    s.fills = count("SELECT count(*) FROM fills");
    qf_order_row o = get_ok(client_id);
    s.filled = o.order.filled_qty;
    return s;
}

static void assert_same_state(stored_state a, stored_state b)
{
    cr_assert(a.cash == b.cash || (isnan(a.cash) && isnan(b.cash)), "cash %.17g vs %.17g", a.cash,
              b.cash);
    cr_assert(a.qty == b.qty || (isnan(a.qty) && isnan(b.qty)), "qty %.17g vs %.17g", a.qty, b.qty);
    cr_assert(a.realized == b.realized || (isnan(a.realized) && isnan(b.realized)));
    cr_assert_eq(a.fills, b.fills);
    cr_assert_eq(a.filled, b.filled);
}

/* Order qf-f-1 (buy 0.5) and cash 10000 saved. */
static qf_order_row setup_fill_order(void)
{
    qf_order_row o = order_row("qf-f-1");
    o.order.status = QF_ORDER_OPEN;
    insert_ok(&o);
    qf_err err;
    cr_assert_eq(qf_store_save_portfolio(st, "paper", 30000, NULL, 0, T0, &err), QF_OK, "%s",
                 err.msg);
    return o;
}

Test(sqlite_orders, record_fill_writes_fill_order_position_and_cash_together)
{
    qf_order_row o = setup_fill_order();
    /* buy 0.2 @ 42000 with a fee of 8.4: cash 30000 - 8400 - 8.4. */
    qf_fill_row f = fill_row("qf-f-1", "T-1001", 0.2, 42000, 8.4);
    o.order.filled_qty = 0.2;
    o.order.avg_fill_price = 42000;
    o.order.status = QF_ORDER_PARTIALLY_FILLED;
    o.order.updated_at = T0 + 1000;
    qf_position p = position(0.2, 42000, -8.4, 8.4);
    qf_err err;
    cr_assert_eq(record_abs(st, "paper", &f, &o, &p, 30000 - 8400 - 8.4, &err), QF_OK, "%s",
                 err.msg);
    stored_state s = stored("qf-f-1");
    cr_assert_eq(s.cash, 30000 - 8400 - 8.4);
    cr_assert_eq(s.qty, 0.2);
    cr_assert_eq(s.realized, -8.4);
    cr_assert_eq(s.fills, 1);
    cr_assert_eq(s.filled, 0.2);
    cr_assert_eq(count("SELECT count(*) FROM fills WHERE client_id = 'qf-f-1' AND trade_id = "
                       "'T-1001' AND side = 'buy' AND liquidity = 'taker' AND fee_asset IS NULL "
                       "AND fee = 8.4 AND time = 1767700801000"),
                 1);
    cr_assert_eq(get_ok("qf-f-1").order.status, QF_ORDER_PARTIALLY_FILLED);

    /* The same trade again (a replayed execution report) changes nothing,
     * even when the caller computed a second application from it. */
    qf_order_row o2 = o;
    o2.order.filled_qty = 0.4;
    qf_position p2 = position(0.4, 42000, -16.8, 16.8);
    cr_assert_eq(record_abs(st, "paper", &f, &o2, &p2, 30000 - 16800 - 16.8, &err), QF_EEXIST);
    cr_assert(strstr(err.msg, "T-1001") != NULL, "%s", err.msg);
    assert_same_state(stored("qf-f-1"), s);

    /* A second trade of the order is recorded, and listed after the first. */
    qf_fill_row g = fill_row("qf-f-1", "T-1002", 0.3, 42010, 12.603);
    g.fill.time = T0 + 2000;
    strcpy(g.fee_asset, "USDT");
    g.liquidity = 1;
    o.order.filled_qty = 0.5;
    o.order.avg_fill_price = (0.2 * 42000 + 0.3 * 42010) / 0.5;
    o.order.status = QF_ORDER_FILLED;
    qf_position pg = position(0.5, o.order.avg_fill_price, -21.003, 21.003);
    cr_assert_eq(record_abs(st, "paper", &g, &o, &pg, s.cash - 12603 - 12.603, &err), QF_OK, "%s",
                 err.msg);
    qf_fill_row *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_fills(st, "paper", "qf-f-1", &v, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].trade_id, "T-1001");
    cr_assert_str_eq(v[1].trade_id, "T-1002");
    cr_assert_eq(v[1].fill.quantity, 0.3);
    cr_assert_eq(v[1].fill.price, 42010);
    cr_assert_eq(v[1].fill.fee, 12.603);
    cr_assert_str_eq(v[1].fee_asset, "USDT");
    cr_assert_eq(v[1].liquidity, 1);
    cr_assert_eq(v[1].fill.side, QF_SIDE_BUY);
    cr_assert_eq(v[1].fill.time, T0 + 2000);
    free(v);
    cr_assert_eq(qf_store_list_fills(st, "paper", NULL, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 2);
    free(v);
    cr_assert_eq(qf_store_list_fills(st, "live", NULL, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(get_ok("qf-f-1").order.status, QF_ORDER_FILLED);
}

Test(sqlite_orders, a_failure_after_the_fill_row_rolls_everything_back)
{
    qf_order_row o = setup_fill_order();
    stored_state before = stored("qf-f-1");
    /* filled_qty over the stored quantity: refused by the order update,
     * which runs after the fill row was inserted in the same transaction.
     * (order_after claims a quantity of 5, so the checks before the
     * transaction pass.) */
    qf_fill_row f = fill_row("qf-f-1", "T-1", 0.2, 42000, 1);
    o.order.quantity = 5;
    o.order.filled_qty = 0.7;
    o.order.avg_fill_price = 42000;
    qf_position p = position(0.2, 42000, -1, 1);
    qf_err err;
    cr_assert_eq(record_abs(st, "paper", &f, &o, &p, 21599, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "filled_qty") != NULL, "%s", err.msg);
    assert_same_state(stored("qf-f-1"), before);
    cr_assert_eq(count("SELECT count(*) FROM positions"), 0);
    /* The transaction is closed: the next good fill goes through. */
    o.order.quantity = 0.5;
    o.order.filled_qty = 0.2;
    cr_assert_eq(record_abs(st, "paper", &f, &o, &p, 21599, &err), QF_OK, "%s", err.msg);
}

Test(sqlite_orders, bad_fills_are_refused_and_write_nothing)
{
    qf_order_row o = setup_fill_order();
    o.order.filled_qty = 0.2;
    o.order.avg_fill_price = 42000;
    qf_position p = position(0.2, 42000, 0, 0);
    stored_state before = stored("qf-f-1");
    struct {
        const char *field;
        qf_rc rc;
        qf_fill_row f;
    } cases[12];
    for (int i = 0; i < 12; i++)
        cases[i].f = fill_row("qf-f-1", "T-9", 0.2, 42000, 1);
    cases[0].field = "quantity", cases[0].f.fill.quantity = 0;
    cases[1].field = "quantity", cases[1].f.fill.quantity = NAN;
    cases[2].field = "price", cases[2].f.fill.price = -42000;
    cases[3].field = "price", cases[3].f.fill.price = INFINITY;
    cases[4].field = "fee", cases[4].f.fill.fee = -0.5;
    cases[5].field = "fee", cases[5].f.fill.fee = NAN;
    cases[6].field = "trade_id", cases[6].f.trade_id[0] = '\0';
    cases[7].field = "side", cases[7].f.fill.side = (qf_side)2;
    cases[8].field = "client_id", strcpy(cases[8].f.fill.client_id, "qf/1");
    cases[9].field = "time", cases[9].f.fill.time = QF_STORE_TIME_MAX + 1;
    cases[10].field = "liquidity", cases[10].f.liquidity = 3;
    cases[11].field = "symbol", strcpy(cases[11].f.fill.symbol, "ETH/USDT");
    for (int i = 0; i < 12; i++) {
        qf_err err;
        qf_rc rc = record_abs(st, "paper", &cases[i].f, &o, &p, 21591, &err);
        cr_assert_eq(rc, QF_EINVAL, "case %d (%s): %s", i, cases[i].field, err.msg);
        cr_assert(strstr(err.msg, cases[i].field) != NULL, "case %d: '%s' lacks '%s'", i, err.msg,
                  cases[i].field);
        assert_same_state(stored("qf-f-1"), before);
    }
    qf_err err;
    qf_fill_row f = fill_row("qf-f-1", "T-9", 0.2, 42000, 1);
    qf_position bad = p;
    bad.quantity = NAN;
    cr_assert_eq(record_abs(st, "paper", &f, &o, &bad, 21591, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "quantity") != NULL, "%s", err.msg);
    cr_assert_eq(record_abs(st, "paper", &f, &o, &p, INFINITY, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "cash") != NULL, "%s", err.msg);
    cr_assert_eq(record_abs(st, "live", &f, &o, &p, 21591, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "account") != NULL, "%s", err.msg);
    assert_same_state(stored("qf-f-1"), before);

    /* A fill of an order never stored. */
    qf_fill_row ghost = fill_row("qf-ghost-1", "T-1", 0.2, 42000, 1);
    qf_order_row go = o;
    strcpy(go.order.client_id, "qf-ghost-1");
    cr_assert_eq(record_abs(st, "paper", &ghost, &go, &p, 21591, &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "qf-ghost-1") != NULL, "%s", err.msg);
    assert_same_state(stored("qf-f-1"), before);
}

Test(sqlite_orders, portfolio_save_and_load)
{
    double cash = -1;
    qf_position *pos = (qf_position *)&cash; /* must stay untouched */
    size_t n = 77;
    bool found = true;
    qf_err err;
    cr_assert_eq(qf_store_load_portfolio(st, "paper", &cash, &pos, &n, &found, &err), QF_OK);
    cr_assert(!found);
    cr_assert_eq(cash, -1);
    cr_assert_eq(n, 77);

    qf_position ps[2] = {position(0.25, 40000, 12.5, 3), position(-3, 2500, -1, 0.5)};
    strcpy(ps[1].symbol, "ETH/USDT");
    ps[0].mark_price = 41000.125;
    cr_assert_eq(qf_store_save_portfolio(st, "paper", 12345.678, ps, 2, T0, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(qf_store_load_portfolio(st, "paper", &cash, &pos, &n, &found, &err), QF_OK);
    cr_assert(found);
    cr_assert_eq(cash, 12345.678);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(pos[0].symbol, "BTC/USDT");
    cr_assert_eq(pos[0].quantity, 0.25);
    cr_assert_eq(pos[0].avg_entry, 40000);
    cr_assert_eq(pos[0].realized_pnl, 12.5);
    cr_assert_eq(pos[0].fees, 3);
    cr_assert_eq(pos[0].mark_price, 41000.125);
    cr_assert_str_eq(pos[1].symbol, "ETH/USDT");
    cr_assert_eq(pos[1].quantity, -3);
    cr_assert(isnan(pos[1].mark_price));
    free(pos);

    /* A position absent from the next save stays as stored. */
    qf_position btc = position(0, 0, 20, 4);
    cr_assert_eq(qf_store_save_portfolio(st, "paper", 9000, &btc, 1, T0 + 1, &err), QF_OK);
    cr_assert_eq(qf_store_load_portfolio(st, "paper", &cash, &pos, &n, &found, &err), QF_OK);
    cr_assert_eq(cash, 9000);
    cr_assert_eq(n, 2);
    cr_assert_eq(pos[0].quantity, 0);
    cr_assert_eq(pos[1].quantity, -3);
    free(pos);

    /* Bad positions are refused whole. */
    qf_position two[2] = {position(1, 100, 0, 0), position(1, 0, 0, 0)};
    strcpy(two[1].symbol, "SOL/USDT");
    cr_assert_eq(qf_store_save_portfolio(st, "paper", 1, two, 2, T0 + 2, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "avg_entry") != NULL, "%s", err.msg);
    two[1] = two[0];
    cr_assert_eq(qf_store_save_portfolio(st, "paper", 1, two, 2, T0 + 2, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "twice") != NULL, "%s", err.msg);
    two[1] = position(1, 100, 0, -1);
    strcpy(two[1].symbol, "SOL/USDT");
    cr_assert_eq(qf_store_save_portfolio(st, "paper", 1, two, 2, T0 + 2, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "fees") != NULL, "%s", err.msg);
    cr_assert_eq(qf_store_save_portfolio(st, "paper", NAN, NULL, 0, T0 + 2, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "cash") != NULL, "%s", err.msg);
    cr_assert_eq(count("SELECT count(*) FROM positions WHERE symbol = 'SOL/USDT'"), 0);
    cr_assert_eq(qf_store_load_portfolio(st, "paper", &cash, &pos, &n, &found, &err), QF_OK);
    cr_assert_eq(cash, 9000);
    free(pos);
}

Test(sqlite_orders, snapshots_upsert_by_time_and_list_a_range)
{
    qf_err err;
    for (int i = 0; i < 5; i++) {
        qf_snapshot s = {T0 + i * 1000, 100.0 + i, 1000.0 + i, 900.0 - i, 0.01 * i};
        cr_assert_eq(qf_store_insert_snapshot(st, "paper", &s, i == 2 ? "[{\"s\":1}]" : NULL, &err),
                     QF_OK, "%s", err.msg);
    }
    qf_snapshot again = {T0 + 2000, 7, 8, 9, 0.5};
    cr_assert_eq(qf_store_insert_snapshot(st, "paper", &again, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(count("SELECT count(*) FROM portfolio_snapshots"), 5);
    qf_snapshot *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_snapshots(st, "paper", T0 + 1000, T0 + 3000, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(v[0].time, T0 + 1000);
    cr_assert_eq(v[0].equity, 1001.0);
    cr_assert_eq(v[1].cash, 7);
    cr_assert_eq(v[1].equity, 8);
    cr_assert_eq(v[1].gross_exposure, 9);
    cr_assert_eq(v[1].drawdown, 0.5);
    cr_assert_eq(v[2].time, T0 + 3000);
    free(v);

    qf_snapshot bad = {T0, 1, 2, 3, -0.1};
    cr_assert_eq(qf_store_insert_snapshot(st, "paper", &bad, NULL, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "drawdown") != NULL, "%s", err.msg);
    bad.drawdown = 0.1;
    cr_assert_eq(qf_store_insert_snapshot(st, "paper", &bad, "[1,", &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "positions_json") != NULL, "%s", err.msg);
    bad.equity = NAN;
    cr_assert_eq(qf_store_insert_snapshot(st, "paper", &bad, NULL, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "equity") != NULL, "%s", err.msg);
    cr_assert_eq(count("SELECT count(*) FROM portfolio_snapshots WHERE time = 1767700800000 AND "
                       "equity = 1000"),
                 1);
}

Test(sqlite_orders, readonly_handle_writes_nothing)
{
    qf_order_row o = setup_fill_order();
    qf_store *ro = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &ro, &err), QF_OK, "%s", err.msg);
    qf_order_row b = order_row("qf-ro-1");
    cr_assert_eq(qf_store_insert_order(ro, &b, &err), QF_ESTORE);
    cr_assert(strstr(err.msg, "readonly") != NULL, "%s", err.msg);
    o.order.status = QF_ORDER_CANCELLED;
    cr_assert_eq(qf_store_update_order(ro, &o, &err), QF_ESTORE);
    qf_fill_row f = fill_row("qf-f-1", "T-1", 0.2, 42000, 1);
    o.order.filled_qty = 0.2;
    o.order.avg_fill_price = 42000;
    qf_position p = position(0.2, 42000, -1, 1);
    cr_assert_eq(record_abs(ro, "paper", &f, &o, &p, 1, &err), QF_ESTORE);
    cr_assert_eq(qf_store_save_portfolio(ro, "paper", 1, &p, 1, T0, &err), QF_ESTORE);
    qf_snapshot s = {T0, 1, 1, 0, 0};
    cr_assert_eq(qf_store_insert_snapshot(ro, "paper", &s, NULL, &err), QF_ESTORE);
    /* Reads work. */
    double cash = 0;
    qf_position *pos = NULL;
    size_t n = 0;
    bool found = false;
    cr_assert_eq(qf_store_load_portfolio(ro, "paper", &cash, &pos, &n, &found, &err), QF_OK, "%s",
                 err.msg);
    cr_assert(found);
    cr_assert_eq(cash, 30000);
    qf_order_row got;
    cr_assert_eq(qf_store_get_order(ro, "qf-f-1", &got, &err), QF_OK);
    cr_assert_eq(got.order.status, QF_ORDER_OPEN);
    qf_store_close(ro);
    cr_assert_eq(count("SELECT count(*) FROM orders"), 1);
    cr_assert_eq(count("SELECT count(*) FROM fills"), 0);
    cr_assert_eq(count("SELECT count(*) FROM portfolio_snapshots"), 0);
}

/* ---- a writer killed mid-transaction -------------------------------------- */

#define KILL_ORDERS 4000
#define KILL_CASH   1e6

/* A qf_store_fill_fn that adds the fill to the position and cash as stored
 * (quantity, fees and cash; the entry kept at 100). */
static qf_rc apply_add(void *ctx, const qf_fill_row *fill, qf_position *pos, double *cash,
                       qf_err *err)
{
    (void)ctx;
    (void)err;
    const qf_fill *f = &fill->fill;
    pos->quantity += f->side * f->quantity;
    pos->avg_entry = 100;
    pos->fees += f->fee;
    *cash -= f->side * f->quantity * f->price + f->fee;
    return QF_OK;
}

/* The child records, for each order i, one fill (buy or sell 0.01 * (i % 7
 * + 1) at 100 + i % 50) applied to the position and cash as stored, until
 * it is killed. Orders are inserted first, one transaction each. */
static void fill_writer_child(int ready_fd)
{
    qf_store *w = NULL;
    qf_err err;
    if (qf_store_open_sqlite(db, &w, &err) != QF_OK)
        _exit(2);
    if (write(ready_fd, "r", 1) != 1)
        _exit(3);
    for (int i = 0; i < KILL_ORDERS; i++) {
        char id[32];
        snprintf(id, sizeof id, "qf-k-%d", i);
        qf_order_row o = order_row(id);
        o.order.type = QF_ORDER_MARKET;
        o.order.limit_price = NAN;
        o.order.side = i % 3 == 2 ? QF_SIDE_SELL : QF_SIDE_BUY;
        o.order.quantity = 0.01 * (i % 7 + 1);
        if (qf_store_insert_order(w, &o, &err) != QF_OK)
            _exit(4);
        qf_fill_row f = fill_row(id, "T-1", o.order.quantity, 100 + i % 50, 0.01);
        f.fill.side = o.order.side;
        o.order.filled_qty = o.order.quantity;
        o.order.avg_fill_price = f.fill.price;
        o.order.status = QF_ORDER_FILLED;
        if (qf_store_record_fill(w, "paper", &f, &o, apply_add, NULL, NULL, NULL, NULL, &err) !=
            QF_OK)
            _exit(5);
    }
    _exit(0);
}

Test(sqlite_orders, killed_writer_leaves_whole_fills_only)
{
    srand((unsigned)time(NULL));
    for (int round = 0; round < 5; round++) {
        qf_err err;
        cr_assert_eq(qf_store_create_account(st, "paper", KILL_CASH, T0, NULL, &err), QF_OK, "%s",
                     err.msg);
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(fds[0]);
            fill_writer_child(fds[1]);
        }
        close(fds[1]);
        char c;
        cr_assert_eq(read(fds[0], &c, 1), 1);
        close(fds[0]);
        usleep((useconds_t)(20000 + rand() % 60000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        cr_assert(WIFSIGNALED(status), "the writer ended before it was killed (status %d)", status);

        cr_assert_eq(qf_store_integrity_check(st, &err), QF_OK, "%s", err.msg);
        /* Every fill has its order marked filled, and only those. */
        cr_assert_eq(count("SELECT count(*) FROM orders WHERE status = 'filled'"),
                     count("SELECT count(*) FROM fills"));
        cr_assert_eq(count("SELECT count(*) FROM orders o JOIN fills f USING (client_id) WHERE "
                           "o.filled_qty = f.quantity AND o.status = 'filled'"),
                     count("SELECT count(*) FROM fills"));
        int64_t fills = count("SELECT count(*) FROM fills");
        if (fills == 0) {
            cr_assert_eq(count("SELECT count(*) FROM positions"), 0);
        } else {
            /* The position and cash match exactly the fills that are there. */
            cr_assert_eq(count("SELECT count(*) FROM positions p WHERE abs(p.quantity - (SELECT "
                               "sum(CASE side WHEN 'buy' THEN quantity ELSE -quantity END) FROM "
                               "fills)) < 1e-9 AND abs(p.fees - 0.01 * (SELECT count(*) FROM "
                               "fills)) < 1e-9"),
                         1, "round %d: position does not match %lld fills", round,
                         (long long)fills);
            cr_assert_eq(count("SELECT count(*) FROM accounts a WHERE abs(a.cash - (1e6 - (SELECT "
                               "sum(CASE side WHEN 'buy' THEN quantity * price ELSE -quantity * "
                               "price END + fee) FROM fills))) < 1e-6"),
                         1, "round %d: cash does not match %lld fills", round, (long long)fills);
        }
        /* Start over for the next round. */
        td_sql(db, "DELETE FROM fills; DELETE FROM orders; DELETE FROM positions; DELETE FROM "
                   "accounts");
    }
}

/* ---- several writers: merged order updates, fills on stored values -------- */

Test(sqlite_orders, a_stale_update_never_moves_an_order_back)
{
    qf_order_row a = order_row("qf-m-1");
    insert_ok(&a);
    qf_order_row stale = a; /* another process's copy, read before the fill */
    stale.order.status = QF_ORDER_OPEN;
    qf_order_row now = a;
    now.order.status = QF_ORDER_PARTIALLY_FILLED;
    now.order.filled_qty = 0.3;
    now.order.avg_fill_price = 42000;
    now.order.updated_at = T0 + 2000;
    strcpy(now.venue_order_id, "8812733");
    qf_err err;
    cr_assert_eq(qf_store_update_order(st, &now, &err), QF_OK, "%s", err.msg);

    /* filled_qty 0 and no venue id over 0.3: both kept, and an order with a
     * fill is partially filled, not open; updated_at stays the later one. */
    stale.order.updated_at = T0 + 1000;
    stale.attempt = 2;
    cr_assert_eq(qf_store_update_order(st, &stale, &err), QF_OK, "%s", err.msg);
    qf_order_row got = get_ok("qf-m-1");
    cr_assert_eq(got.order.filled_qty, 0.3);
    cr_assert_eq(got.order.avg_fill_price, 42000);
    cr_assert_eq(got.order.status, QF_ORDER_PARTIALLY_FILLED);
    cr_assert_str_eq(got.venue_order_id, "8812733");
    cr_assert_eq(got.order.updated_at, T0 + 2000);
    cr_assert_eq(got.attempt, 2); /* not a monotonic field: the row's */

    /* Closed is final: cancelled is not reopened by open, nor turned into
     * rejected; its reason stays. */
    qf_order_row cancel = got;
    cancel.order.status = QF_ORDER_CANCELLED;
    strcpy(cancel.reason, "timed out after 30 s");
    cr_assert_eq(qf_store_update_order(st, &cancel, &err), QF_OK, "%s", err.msg);
    qf_order_row reopen = got;
    reopen.order.status = QF_ORDER_OPEN;
    cr_assert_eq(qf_store_update_order(st, &reopen, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(get_ok("qf-m-1").order.status, QF_ORDER_CANCELLED);
    qf_order_row rejected = got;
    rejected.order.status = QF_ORDER_REJECTED;
    strcpy(rejected.reason, "late reject");
    cr_assert_eq(qf_store_update_order(st, &rejected, &err), QF_OK, "%s", err.msg);
    got = get_ok("qf-m-1");
    cr_assert_eq(got.order.status, QF_ORDER_CANCELLED);
    cr_assert_str_eq(got.reason, "timed out after 30 s");
    /* filled below the quantity does not make it filled either... */
    qf_order_row part = got;
    part.order.status = QF_ORDER_FILLED;
    part.order.filled_qty = 0.4;
    part.order.avg_fill_price = 42001;
    cr_assert_eq(qf_store_update_order(st, &part, &err), QF_OK, "%s", err.msg);
    got = get_ok("qf-m-1");
    cr_assert_eq(got.order.status, QF_ORDER_CANCELLED);
    cr_assert_eq(got.order.filled_qty, 0.4); /* more filled is news: taken */
    /* ...but the whole quantity filled (fills that raced the cancel) does. */
    qf_order_row full = got;
    full.order.status = QF_ORDER_FILLED;
    full.order.filled_qty = 0.5;
    full.order.avg_fill_price = 42002;
    full.reason[0] = '\0';
    cr_assert_eq(qf_store_update_order(st, &full, &err), QF_OK, "%s", err.msg);
    got = get_ok("qf-m-1");
    cr_assert_eq(got.order.status, QF_ORDER_FILLED);
    cr_assert_eq(got.order.filled_qty, 0.5);
    cr_assert_str_eq(got.reason, "");
    /* And filled is final. */
    cr_assert_eq(qf_store_update_order(st, &cancel, &err), QF_OK, "%s", err.msg);
    got = get_ok("qf-m-1");
    cr_assert_eq(got.order.status, QF_ORDER_FILLED);
    cr_assert_eq(got.order.filled_qty, 0.5);
    cr_assert_eq(got.order.avg_fill_price, 42002);
}

Test(sqlite_orders, apply_gets_the_stored_position_and_cash_and_its_result_is_checked)
{
    qf_order_row o = setup_fill_order(); /* cash 30000 */
    qf_position eth = position(2, 2500, 0, 0);
    strcpy(eth.symbol, "ETH/USDT");
    eth.mark_price = 2600;
    qf_err err;
    cr_assert_eq(qf_store_save_portfolio(st, "paper", 30000, &eth, 1, T0, &err), QF_OK, "%s",
                 err.msg);
    qf_fill_row f = fill_row("qf-f-1", "T-1", 0.2, 42000, 1);
    o.order.filled_qty = 0.2;
    o.order.avg_fill_price = 42000;
    fixed_apply a;
    memset(&a, 0, sizeof a);
    a.pos = position(0.2, 42000, -1, 1);
    a.cash = 21599;
    double cash = 0;
    qf_position *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_record_fill(st, "paper", &f, &o, apply_fixed, &a, &cash, &v, &n, &err),
                 QF_OK, "%s", err.msg);
    /* Never traded: a flat position of the symbol, mark unknown. */
    cr_assert_eq(a.calls, 1);
    cr_assert_str_eq(a.seen_pos.symbol, "BTC/USDT");
    cr_assert_eq(a.seen_pos.quantity, 0);
    cr_assert_eq(a.seen_pos.avg_entry, 0);
    cr_assert_eq(a.seen_pos.fees, 0);
    cr_assert(isnan(a.seen_pos.mark_price));
    cr_assert_eq(a.seen_cash, 30000);
    /* The account as committed, by symbol. */
    cr_assert_eq(cash, 21599);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].symbol, "BTC/USDT");
    cr_assert_eq(v[0].quantity, 0.2);
    cr_assert_str_eq(v[1].symbol, "ETH/USDT");
    cr_assert_eq(v[1].quantity, 2);
    cr_assert_eq(v[1].mark_price, 2600);
    free(v);

    /* A cash row changed by someone else since: apply sees that value. */
    td_sql(db, "UPDATE accounts SET cash = 12345 WHERE account = 'paper'");
    qf_fill_row g = fill_row("qf-f-1", "T-2", 0.1, 42100, 0.5);
    o.order.filled_qty = 0.3;
    a.pos = position(0.3, 42033, -1.5, 1.5);
    a.cash = 8134;
    cr_assert_eq(qf_store_record_fill(st, "paper", &g, &o, apply_fixed, &a, NULL, NULL, NULL, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(a.seen_cash, 12345);
    cr_assert_eq(a.seen_pos.quantity, 0.2);
    cr_assert_eq(a.seen_pos.realized_pnl, -1);

    /* apply refusing, or returning a bad position or cash: nothing written. */
    stored_state before = stored("qf-f-1");
    qf_fill_row h = fill_row("qf-f-1", "T-3", 0.1, 42100, 0.5);
    o.order.filled_qty = 0.4;
    a.fail = QF_ERANGE;
    cr_assert_eq(qf_store_record_fill(st, "paper", &h, &o, apply_fixed, &a, NULL, NULL, NULL, &err),
                 QF_ERANGE);
    assert_same_state(stored("qf-f-1"), before);
    a.fail = QF_OK;
    a.pos.avg_entry = -1;
    cr_assert_eq(qf_store_record_fill(st, "paper", &h, &o, apply_fixed, &a, NULL, NULL, NULL, &err),
                 QF_EINVAL);
    cr_assert(strstr(err.msg, "avg_entry") != NULL, "%s", err.msg);
    a.pos.avg_entry = 42000;
    strcpy(a.pos.symbol, "ETH/USDT");
    cr_assert_eq(qf_store_record_fill(st, "paper", &h, &o, apply_fixed, &a, NULL, NULL, NULL, &err),
                 QF_EINVAL);
    cr_assert(strstr(err.msg, "position") != NULL, "%s", err.msg);
    assert_same_state(stored("qf-f-1"), before);
    cr_assert_eq(qf_store_record_fill(st, "paper", &h, &o, NULL, NULL, NULL, NULL, NULL, &err),
                 QF_EINVAL);
    assert_same_state(stored("qf-f-1"), before);
}

Test(sqlite_orders, a_fill_needs_the_account_stored)
{
    qf_order_row o = order_row("qf-f-1");
    insert_ok(&o);
    qf_fill_row f = fill_row("qf-f-1", "T-1", 0.2, 42000, 1);
    o.order.filled_qty = 0.2;
    o.order.avg_fill_price = 42000;
    qf_position p = position(0.2, 42000, -1, 1);
    qf_err err;
    cr_assert_eq(record_abs(st, "paper", &f, &o, &p, 1, &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "paper") != NULL, "%s", err.msg);
    cr_assert_eq(count("SELECT count(*) FROM fills"), 0);
    cr_assert_eq(count("SELECT count(*) FROM positions"), 0);
    cr_assert_eq(count("SELECT count(*) FROM accounts"), 0);
    cr_assert_eq(get_ok("qf-f-1").order.filled_qty, 0);
}

Test(sqlite_orders, trades_recorded_by_two_handles_both_count_in_the_order)
{
    qf_order_row o = setup_fill_order(); /* buy 0.5 */
    qf_store *other = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &other, &err), QF_OK, "%s", err.msg);
    /* Both hold the order as open with nothing filled; each records one
     * trade and believes it is the first. */
    qf_order_row mine = o;
    mine.order.filled_qty = 0.2;
    mine.order.avg_fill_price = 42000;
    mine.order.status = QF_ORDER_PARTIALLY_FILLED;
    qf_order_row theirs = o;
    theirs.order.filled_qty = 0.3;
    theirs.order.avg_fill_price = 42010;
    theirs.order.status = QF_ORDER_PARTIALLY_FILLED;
    qf_fill_row f1 = fill_row("qf-f-1", "T-1", 0.2, 42000, 1);
    qf_fill_row f2 = fill_row("qf-f-1", "T-2", 0.3, 42010, 1);
    cr_assert_eq(
        qf_store_record_fill(other, "paper", &f2, &theirs, apply_add, NULL, NULL, NULL, NULL, &err),
        QF_OK, "%s", err.msg);
    cr_assert_eq(
        qf_store_record_fill(st, "paper", &f1, &mine, apply_add, NULL, NULL, NULL, NULL, &err),
        QF_OK, "%s", err.msg);
    qf_order_row got = get_ok("qf-f-1");
    cr_assert_eq(got.order.filled_qty, 0.2 + 0.3);
    cr_assert_eq(got.order.avg_fill_price, (0.2 * 42000 + 0.3 * 42010) / (0.2 + 0.3));
    cr_assert_eq(got.order.status, QF_ORDER_FILLED);
    /* ...and both in the position and cash (apply_add on stored values). */
    stored_state s = stored("qf-f-1");
    cr_assert_eq(s.qty, 0.3 + 0.2);
    cr_assert_eq(s.cash, 30000 - (0.3 * 42010 + 1) - (0.2 * 42000 + 1));
    /* The stale one's later update (0.2 filled, partially) changes nothing. */
    cr_assert_eq(qf_store_update_order(st, &mine, &err), QF_OK, "%s", err.msg);
    qf_order_row again = get_ok("qf-f-1");
    cr_assert_eq(again.order.filled_qty, got.order.filled_qty);
    cr_assert_eq(again.order.status, QF_ORDER_FILLED);
    qf_store_close(other);
}

Test(sqlite_orders, create_account_once_and_marks_only_write_marks)
{
    qf_err err;
    bool created = false;
    cr_assert_eq(qf_store_create_account(st, "live", 5000, T0, &created, &err), QF_OK, "%s",
                 err.msg);
    cr_assert(created);
    cr_assert_eq(qf_store_create_account(st, "live", 1, T0, &created, &err), QF_OK, "%s", err.msg);
    cr_assert(!created);
    cr_assert_eq(count("SELECT count(*) FROM accounts WHERE account = 'live' AND cash = 5000"), 1);
    cr_assert_eq(qf_store_create_account(st, "live", NAN, T0, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_create_account(st, "bad name", 1, T0, NULL, &err), QF_EINVAL);

    qf_position ps[2] = {position(0.25, 40000, 12.5, 3), position(-3, 2500, -1, 0.5)};
    strcpy(ps[1].symbol, "ETH/USDT");
    cr_assert_eq(qf_store_save_portfolio(st, "paper", 777, ps, 2, T0, &err), QF_OK, "%s", err.msg);
    /* Marks from a process whose copy is stale (quantity 9, cash ignored). */
    qf_position marks[3] = {position(9, 1, 0, 0), position(9, 1, 0, 0), position(9, 1, 0, 0)};
    marks[0].mark_price = 41000;
    strcpy(marks[1].symbol, "ETH/USDT"); /* NaN: left as stored */
    strcpy(marks[2].symbol, "SOL/USDT"); /* not stored: skipped */
    marks[2].mark_price = 150;
    double cash = 0;
    qf_position *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_mark_positions(st, "paper", marks, 3, T0 + 1, &cash, &v, &n, &err), QF_OK,
                 "%s", err.msg);
    cr_assert_eq(cash, 777);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].symbol, "BTC/USDT");
    cr_assert_eq(v[0].quantity, 0.25);
    cr_assert_eq(v[0].mark_price, 41000);
    cr_assert_eq(v[0].realized_pnl, 12.5);
    cr_assert_eq(v[1].quantity, -3);
    cr_assert(isnan(v[1].mark_price));
    free(v);
    cr_assert_eq(count("SELECT count(*) FROM positions WHERE account = 'paper' AND symbol = "
                       "'BTC/USDT' AND quantity = 0.25 AND mark_price = 41000"),
                 1);
    cr_assert_eq(count("SELECT count(*) FROM positions WHERE symbol = 'SOL/USDT'"), 0);
    cr_assert_eq(count("SELECT count(*) FROM accounts WHERE account = 'paper' AND cash = 777"), 1);

    marks[0].mark_price = -1;
    cr_assert_eq(qf_store_mark_positions(st, "paper", marks, 1, T0, NULL, NULL, NULL, &err),
                 QF_EINVAL);
    cr_assert(strstr(err.msg, "mark_price") != NULL, "%s", err.msg);
    marks[0].mark_price = 1;
    cr_assert_eq(qf_store_mark_positions(st, "nobody", marks, 1, T0, NULL, NULL, NULL, &err),
                 QF_ENOTFOUND);
    cr_assert_eq(count("SELECT count(*) FROM positions WHERE mark_price = 1"), 0);

    qf_store *ro = NULL;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &ro, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_create_account(ro, "other", 1, T0, NULL, &err), QF_ESTORE);
    cr_assert_eq(qf_store_mark_positions(ro, "paper", marks, 1, T0, NULL, NULL, NULL, &err),
                 QF_ESTORE);
    qf_store_close(ro);
}
