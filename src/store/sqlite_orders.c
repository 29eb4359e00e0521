/*
 * sqlite_orders.c - orders and fills in SQLite (migrations 1 and 2).
 *
 * An order row is written (pending) before the order is sent, keyed by its
 * client_id; a second insert of the same id is QF_EEXIST. An update is
 * merged with the stored row in its write transaction (filled_qty never
 * decreases, a closed status stays closed: store.h). Recording a fill is
 * ONE BEGIN IMMEDIATE transaction: the fill row (unique per client_id and
 * trade_id: a replay is QF_EEXIST), the order's new state, and the position
 * of the fill's symbol and the account's cash (sqlite_portfolio.c), both
 * re-read in the transaction and passed through the caller's apply, are
 * written together or not at all: a crash between two of them cannot
 * happen, and a fill another process committed first is never overwritten.
 *
 * Enums are stored as the texts the tables' CHECK constraints allow ('buy',
 * 'market', 'gtc', 'pending', ...); unknowns are NULL (NaN prices, "" ids,
 * bar_time -1). Rows other programs wrote that do not decode are QF_EPARSE
 * naming the row.
 */
#include "store/sqlite_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {"market", "limit"};
static const char *const tif_names[] = {"gtc", "ioc", "fok"};
static const char *const liquidity_names[] = {NULL, "maker", "taker"};

#define N_STATUS (QF_ORDER_EXPIRED + 1)

static const char *side_name(qf_side side)
{
    return side == QF_SIDE_BUY ? "buy" : "sell";
}

/* Index of text in names[0..n), or -1. */
static int lookup(const char *const *names, int n, const unsigned char *text)
{
    for (int i = 0; text != NULL && i < n; i++) {
        if (names[i] != NULL && strcmp(names[i], (const char *)text) == 0)
            return i;
    }
    return -1;
}

static int parse_status(const unsigned char *text)
{
    for (int i = 0; text != NULL && i < N_STATUS; i++) {
        if (strcmp(qf_order_status_name((qf_order_status)i), (const char *)text) == 0)
            return i;
    }
    return -1;
}

static int parse_side(const unsigned char *text, qf_side *out)
{
    if (text != NULL && strcmp((const char *)text, "buy") == 0)
        *out = QF_SIDE_BUY;
    else if (text != NULL && strcmp((const char *)text, "sell") == 0)
        *out = QF_SIDE_SELL;
    else
        return -1;
    return 0;
}

static void bind_price(sqlite3_stmt *st, int col, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_double(st, col, v);
}

static double column_price(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

/* "" is bound as NULL. */
static qf_rc bind_optional(sqlite_store *s, sqlite3_stmt *st, int col, const char *v, qf_err *err)
{
    return sq_bind_text(s, st, col, v[0] != '\0' ? v : NULL, err);
}

/* Copies a text column (NULL reads as ""); 0 when it does not fit. */
static int copy_text(sqlite3_stmt *st, int col, char *buf, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    buf[0] = '\0';
    if (t == NULL)
        return 1;
    if (n >= size)
        return 0;
    memcpy(buf, t, n + 1);
    return 1;
}

/* Binds every column of SQ_ORDER_COLS (rows checked by store_orders.c). */
static qf_rc bind_order(sqlite_store *s, sqlite3_stmt *st, const qf_order_row *r, qf_err *err)
{
    const qf_order *o = &r->order;
    qf_rc rc = sq_bind_text(s, st, 1, o->client_id, err);
    if (rc == QF_OK)
        rc = bind_optional(s, st, 2, r->venue_order_id, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, r->account, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 4, o->exchange, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 5, o->symbol, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 6, side_name(o->side), err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 7, type_names[o->type], err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 8, tif_names[o->tif], err);
    sqlite3_bind_double(st, 9, o->quantity);
    bind_price(st, 10, o->limit_price);
    sqlite3_bind_double(st, 11, o->filled_qty);
    bind_price(st, 12, o->avg_fill_price);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 13, qf_order_status_name(o->status), err);
    if (r->bar_time == -1)
        sqlite3_bind_null(st, 14);
    else
        sqlite3_bind_int64(st, 14, r->bar_time);
    sqlite3_bind_int(st, 15, r->attempt);
    if (rc == QF_OK)
        rc = bind_optional(s, st, 16, r->reason, err);
    sqlite3_bind_int64(st, 17, o->created_at);
    sqlite3_bind_int64(st, 18, o->updated_at);
    bind_price(st, 19, r->expected_price);
    return rc;
}

/* The enum columns of an order row; -1 when one does not decode. */
static int read_order_enums(sqlite3_stmt *st, qf_order *o)
{
    int type = lookup(type_names, 2, sqlite3_column_text(st, 6));
    int tif = lookup(tif_names, 3, sqlite3_column_text(st, 7));
    int status = parse_status(sqlite3_column_text(st, 12));
    if (parse_side(sqlite3_column_text(st, 5), &o->side) != 0 || type < 0 || tif < 0 || status < 0)
        return -1;
    o->type = (qf_order_type)type;
    o->tif = (qf_time_in_force)tif;
    o->status = (qf_order_status)status;
    return 0;
}

/* Decodes the current row of a SELECT of SQ_ORDER_COLS. */
static qf_rc read_order(sqlite_store *s, sqlite3_stmt *st, qf_order_row *out, qf_err *err)
{
    qf_order_row r;
    memset(&r, 0, sizeof r);
    qf_order *o = &r.order;
    int ok = copy_text(st, 0, o->client_id, sizeof o->client_id) &&
             copy_text(st, 1, r.venue_order_id, sizeof r.venue_order_id) &&
             copy_text(st, 2, r.account, sizeof r.account) &&
             copy_text(st, 3, o->exchange, sizeof o->exchange) &&
             copy_text(st, 4, o->symbol, sizeof o->symbol) &&
             copy_text(st, 15, r.reason, sizeof r.reason) && read_order_enums(st, o) == 0;
    if (!ok)
        return qf_err_set(err, QF_EPARSE,
                          "%s: orders row %.40s: a text too long or an unknown "
                          "side, type, time_in_force or status",
                          s->path, (const char *)sqlite3_column_text(st, 0));
    o->quantity = sqlite3_column_double(st, 8);
    o->limit_price = column_price(st, 9);
    o->filled_qty = sqlite3_column_double(st, 10);
    o->avg_fill_price = column_price(st, 11);
    r.bar_time = sqlite3_column_type(st, 13) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 13);
    r.attempt = sqlite3_column_int(st, 14);
    o->created_at = sqlite3_column_int64(st, 16);
    o->updated_at = sqlite3_column_int64(st, 17);
    r.expected_price = column_price(st, 18);
    *out = r;
    return QF_OK;
}

qf_rc sq_insert_order(qf_store *store, const qf_order_row *row, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    const char *id = row->order.client_id;
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_writable(s, "insert an order", err);
    if (rc == QF_OK)
        rc = sq_stmt(s, SQ_ORDER_INSERT, &st, err);
    if (rc == QF_OK)
        rc = bind_order(s, st, row, err);
    if (rc != QF_OK) {
        if (st != NULL)
            sq_done(st);
        return rc;
    }
    int src = sqlite3_step(st);
    sq_done(st);
    if (src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY)
        return qf_err_set(err, QF_EEXIST, "store: order %s already exists", id);
    if (src != SQLITE_DONE) {
        sq_fail(s, src, "inserting an order", err);
        return qf_err_prefix(err, "order %s", id);
    }
    return QF_OK;
}

/* Reads the order with client_id into *out; QF_ENOTFOUND when none. */
static qf_rc find_order(sqlite_store *s, const char *client_id, qf_order_row *out, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_ORDER_GET, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, client_id, err);
    int src = rc == QF_OK ? sqlite3_step(st) : SQLITE_OK;
    if (src == SQLITE_ROW)
        rc = read_order(s, st, out, err);
    else if (rc == QF_OK && src == SQLITE_DONE)
        rc = qf_err_set(err, QF_ENOTFOUND, "store: no order with client_id %s", client_id);
    else if (rc == QF_OK)
        rc = sq_fail(s, src, "reading an order", err);
    sq_done(st);
    return rc;
}

qf_rc sq_get_order(qf_store *store, const char *client_id, qf_order_row *out, qf_err *err)
{
    qf_order_row r;
    qf_rc rc = find_order(sq_from(store), client_id, &r, err);
    if (rc == QF_OK)
        *out = r;
    return rc;
}

static int closed(qf_order_status st)
{
    return st == QF_ORDER_FILLED || st == QF_ORDER_CANCELLED || st == QF_ORDER_REJECTED ||
           st == QF_ORDER_EXPIRED;
}

/* What an update of cur by row writes (store.h, qf_store_update_order): a
 * writer with an older copy of the order never moves it back. */
static qf_order_row merge_order(const qf_order_row *cur, const qf_order_row *row)
{
    qf_order_row m = *row;
    qf_order *o = &m.order;
    const qf_order *c = &cur->order;
    if (o->filled_qty < c->filled_qty) {
        o->filled_qty = c->filled_qty;
        o->avg_fill_price = c->avg_fill_price;
    }
    int to_filled = c->status != QF_ORDER_FILLED && o->status == QF_ORDER_FILLED &&
                    o->filled_qty >= c->quantity * (1 - 1e-9);
    if (closed(c->status) && !to_filled) {
        o->status = c->status;
        memcpy(m.reason, cur->reason, sizeof m.reason);
    }
    if (o->filled_qty > 0 && (o->status == QF_ORDER_PENDING || o->status == QF_ORDER_UNCONFIRMED ||
                              o->status == QF_ORDER_OPEN))
        o->status = QF_ORDER_PARTIALLY_FILLED;
    if (m.venue_order_id[0] == '\0')
        memcpy(m.venue_order_id, cur->venue_order_id, sizeof m.venue_order_id);
    if (o->updated_at < c->updated_at)
        o->updated_at = c->updated_at;
    return m;
}

/* Inside a transaction: the order must exist, and the new filled quantity
 * must not exceed the stored quantity; the row is merged with the stored
 * one (merge_order). */
static qf_rc update_locked(sqlite_store *s, const qf_order_row *row, qf_err *err)
{
    qf_order_row cur;
    qf_rc rc = find_order(s, row->order.client_id, &cur, err);
    if (rc != QF_OK)
        return rc;
    if (row->order.filled_qty > cur.order.quantity * (1 + 1e-9))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: filled_qty %.17g exceeds its quantity %.17g",
                          row->order.client_id, row->order.filled_qty, cur.order.quantity);
    qf_order_row m = merge_order(&cur, row);
    const qf_order *o = &m.order;
    sqlite3_stmt *st = NULL;
    rc = sq_stmt(s, SQ_ORDER_UPDATE, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, o->client_id, err);
    if (rc == QF_OK)
        rc = bind_optional(s, st, 2, m.venue_order_id, err);
    sqlite3_bind_double(st, 3, o->filled_qty);
    bind_price(st, 4, o->avg_fill_price);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 5, qf_order_status_name(o->status), err);
    if (rc == QF_OK)
        rc = bind_optional(s, st, 6, m.reason, err);
    sqlite3_bind_int64(st, 7, o->updated_at);
    sqlite3_bind_int(st, 8, m.attempt);
    if (rc != QF_OK) {
        sq_done(st);
        return rc;
    }
    return sq_step_write(s, st, "updating an order", NULL, err);
}

/* BEGIN IMMEDIATE, body, COMMIT; ROLLBACK on any failure. */
static qf_rc in_transaction(sqlite_store *s, const char *what,
                            qf_rc (*body)(sqlite_store *s, void *arg, qf_err *err), void *arg,
                            qf_err *err)
{
    qf_rc rc = sq_writable(s, what, err);
    if (rc == QF_OK)
        rc = sq_begin(s, what, err);
    if (rc == QF_OK)
        rc = body(s, arg, err);
    if (rc == QF_OK)
        rc = sq_commit(s, what, err);
    if (rc != QF_OK)
        sq_rollback(s);
    return rc;
}

static qf_rc update_body(sqlite_store *s, void *arg, qf_err *err)
{
    return update_locked(s, arg, err);
}

qf_rc sq_update_order(qf_store *store, const qf_order_row *row, qf_err *err)
{
    return in_transaction(sq_from(store), "update an order", update_body, (void *)row, err);
}

qf_rc sq_list_orders(qf_store *store, const char *account, unsigned status_mask, qf_order_row **out,
                     size_t *out_n, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_ORDER_LIST, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    void *v = NULL;
    size_t n = 0;
    size_t cap = 0;
    int src = SQLITE_DONE;
    while (rc == QF_OK) {
        src = sqlite3_step(st);
        if (src != SQLITE_ROW)
            break;
        qf_order_row r;
        rc = read_order(s, st, &r, err);
        if (rc == QF_OK && (status_mask & (1u << r.order.status)) != 0)
            rc = sq_push(&v, &n, &cap, &r, sizeof r, err);
    }
    if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "listing orders", err);
    sq_done(st);
    if (rc != QF_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *out_n = n;
    return QF_OK;
}

/* ---- fills ------------------------------------------------------------------ */

static qf_rc insert_fill(sqlite_store *s, const qf_fill_row *r, int64_t *out_changes, qf_err *err)
{
    const qf_fill *f = &r->fill;
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_FILL_INSERT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, f->client_id, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 2, r->trade_id, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, f->symbol, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 4, side_name(f->side), err);
    sqlite3_bind_double(st, 5, f->quantity);
    sqlite3_bind_double(st, 6, f->price);
    sqlite3_bind_double(st, 7, f->fee);
    if (rc == QF_OK)
        rc = bind_optional(s, st, 8, r->fee_asset, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 9, liquidity_names[r->liquidity], err);
    sqlite3_bind_int64(st, 10, f->time);
    if (rc != QF_OK) {
        sq_done(st);
        return rc;
    }
    return sq_step_write(s, st, "inserting a fill", out_changes, err);
}

static qf_rc read_fill(sqlite_store *s, sqlite3_stmt *st, qf_fill_row *out, qf_err *err)
{
    qf_fill_row r;
    memset(&r, 0, sizeof r);
    qf_fill *f = &r.fill;
    int liq = sqlite3_column_type(st, 8) == SQLITE_NULL
                  ? 0
                  : lookup(liquidity_names, 3, sqlite3_column_text(st, 8));
    int ok = copy_text(st, 0, f->client_id, sizeof f->client_id) &&
             copy_text(st, 1, r.trade_id, sizeof r.trade_id) &&
             copy_text(st, 2, f->symbol, sizeof f->symbol) &&
             copy_text(st, 7, r.fee_asset, sizeof r.fee_asset) &&
             parse_side(sqlite3_column_text(st, 3), &f->side) == 0 && liq >= 0;
    if (!ok)
        return qf_err_set(err, QF_EPARSE,
                          "%s: fills row of order %.40s: a text too long or an "
                          "unknown side or liquidity",
                          s->path, (const char *)sqlite3_column_text(st, 0));
    f->quantity = sqlite3_column_double(st, 4);
    f->price = sqlite3_column_double(st, 5);
    f->fee = sqlite3_column_double(st, 6);
    r.liquidity = liq;
    f->time = sqlite3_column_int64(st, 9);
    *out = r;
    return QF_OK;
}

typedef struct fill_args {
    const char *account;
    const qf_fill_row *fill;
    const qf_order_row *order_after;
    qf_store_fill_fn apply;
    void *ctx;
    double cash;            /* the account after the fill */
    qf_position *positions; /* malloc'd */
    size_t n;
} fill_args;

/* The stored order must be the account's and match the fill. */
static qf_rc check_fill_order(sqlite_store *s, const fill_args *a, qf_err *err)
{
    const qf_fill *f = &a->fill->fill;
    qf_order_row cur;
    qf_rc rc = find_order(s, f->client_id, &cur, err);
    if (rc != QF_OK)
        return rc;
    if (strcmp(cur.account, a->account) != 0)
        return qf_err_set(err, QF_EINVAL,
                          "store: fill of %s: the order belongs to account %s, not %s",
                          f->client_id, cur.account, a->account);
    if (strcmp(cur.order.symbol, f->symbol) != 0 || cur.order.side != f->side)
        return qf_err_set(err, QF_EINVAL,
                          "store: fill of %s: symbol or side differs from the "
                          "stored order's (%s %s)",
                          f->client_id, side_name(cur.order.side), cur.order.symbol);
    return QF_OK;
}

/* Sum of quantity and of quantity * price over the stored fills of one
 * order (the one being recorded included); by the (client_id, trade_id)
 * index. Prepared per call: recording a fill is rare next to its cost. */
static qf_rc fill_totals(sqlite_store *s, const char *client_id, double *out_qty, double *out_value,
                         qf_err *err)
{
    static const char sql[] =
        "SELECT total(quantity), total(quantity * price) FROM fills WHERE client_id = ?1";
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK)
        return sq_fail(s, src, "summing an order's fills", err);
    qf_rc rc = sq_bind_text(s, st, 1, client_id, err);
    src = rc == QF_OK ? sqlite3_step(st) : SQLITE_DONE;
    if (src == SQLITE_ROW) {
        *out_qty = sqlite3_column_double(st, 0);
        *out_value = sqlite3_column_double(st, 1);
    } else if (rc == QF_OK) {
        rc = sq_fail(s, src, "summing an order's fills", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* order_after, its filled quantity raised to the sum of the order's stored
 * fills when that is more (another process recorded a trade this caller
 * had not seen). */
static qf_rc order_with_fills(sqlite_store *s, const fill_args *a, qf_order_row *out, qf_err *err)
{
    *out = *a->order_after;
    double q = 0;
    double v = 0;
    qf_rc rc = fill_totals(s, out->order.client_id, &q, &v, err);
    if (rc != QF_OK)
        return rc;
    qf_order *o = &out->order;
    if (q > o->filled_qty * (1 + 1e-9)) {
        o->filled_qty = q;
        o->avg_fill_price = v / q;
        if (q >= o->quantity * (1 - 1e-9))
            o->status = QF_ORDER_FILLED;
    }
    return QF_OK;
}

/* The account's positions with the fill's symbol's one in *slot (a flat one
 * inserted in symbol order when never traded). */
static qf_rc position_slot(fill_args *a, const char *symbol, size_t *slot, qf_err *err)
{
    size_t i = 0;
    while (i < a->n && strcmp(a->positions[i].symbol, symbol) < 0)
        i++;
    if (i < a->n && strcmp(a->positions[i].symbol, symbol) == 0) {
        *slot = i;
        return QF_OK;
    }
    qf_position *v = realloc(a->positions, (a->n + 1) * sizeof *v);
    if (v == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory recording a fill");
    a->positions = v;
    memmove(&v[i + 1], &v[i], (a->n - i) * sizeof *v);
    memset(&v[i], 0, sizeof v[i]);
    memcpy(v[i].symbol, symbol, strlen(symbol) + 1);
    v[i].mark_price = NAN;
    a->n++;
    *slot = i;
    return QF_OK;
}

static qf_rc record_fill_body(sqlite_store *s, void *arg, qf_err *err)
{
    fill_args *a = arg;
    const qf_fill *f = &a->fill->fill;
    qf_rc rc = check_fill_order(s, a, err);
    int64_t changes = 0;
    if (rc == QF_OK)
        rc = insert_fill(s, a->fill, &changes, err);
    if (rc == QF_OK && changes == 0)
        return qf_err_set(err, QF_EEXIST, "store: fill %s of order %s is already recorded",
                          a->fill->trade_id, f->client_id);
    qf_order_row order;
    if (rc == QF_OK)
        rc = order_with_fills(s, a, &order, err);
    if (rc == QF_OK)
        rc = update_locked(s, &order, err);
    int found = 0;
    if (rc == QF_OK)
        rc = sq_read_account(s, a->account, &a->cash, &found, &a->positions, &a->n, err);
    if (rc == QF_OK && !found)
        rc = qf_err_set(err, QF_ENOTFOUND,
                        "store: fill of %s: account %s has no stored cash (create it first)",
                        f->client_id, a->account);
    size_t slot = 0;
    if (rc == QF_OK)
        rc = position_slot(a, f->symbol, &slot, err);
    if (rc == QF_OK)
        rc = a->apply(a->ctx, a->fill, &a->positions[slot], &a->cash, err);
    if (rc == QF_OK)
        rc = sq_put_position(s, a->account, &a->positions[slot], f->time, err);
    if (rc == QF_OK)
        rc = sq_put_cash(s, a->account, a->cash, f->time, err);
    return rc;
}

qf_rc sq_record_fill(qf_store *store, const char *account, const qf_fill_row *fill,
                     const qf_order_row *order_after, qf_store_fill_fn apply, void *ctx,
                     double *out_cash, qf_position **out_positions, size_t *out_n, qf_err *err)
{
    fill_args a = {account, fill, order_after, apply, ctx, 0, NULL, 0};
    qf_rc rc = in_transaction(sq_from(store), "record a fill", record_fill_body, &a, err);
    if (rc != QF_OK || out_cash == NULL) {
        free(a.positions);
        return rc;
    }
    *out_cash = a.cash;
    *out_positions = a.positions;
    *out_n = a.n;
    return QF_OK;
}

qf_rc sq_list_fills(qf_store *store, const char *account, const char *client_id, qf_fill_row **out,
                    size_t *out_n, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_FILL_LIST, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 2, client_id, err);
    void *v = NULL;
    size_t n = 0;
    size_t cap = 0;
    int src = SQLITE_DONE;
    while (rc == QF_OK) {
        src = sqlite3_step(st);
        if (src != SQLITE_ROW)
            break;
        qf_fill_row r;
        rc = read_fill(s, st, &r, err);
        if (rc == QF_OK)
            rc = sq_push(&v, &n, &cap, &r, sizeof r, err);
    }
    if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "listing fills", err);
    sq_done(st);
    if (rc != QF_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *out_n = n;
    return QF_OK;
}
