/*
 * store_orders.c - the backend-independent half of the orders, fills,
 * positions and portfolio section of store.h: every argument is checked
 * here, so each backend rejects the same input with the same message
 * (naming the field) and only ever sees valid rows, then the call is
 * dispatched through the backend vtable (store_int.h).
 *
 * A rejected call writes nothing: nothing reaches the backend.
 */
#include "store/store_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"

/* Client order ids: CONVENTIONS.md, "Exchanges". */
#define CLIENT_ID_MAX_LEN 36

static qf_rc check_store(qf_store *store, qf_err *err)
{
    qf_err_clear(err);
    if (store == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no open store");
    return QF_OK;
}

/* s is NUL-terminated within size bytes. */
static int terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

static int id_char(int c, const char *extra)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr(extra, c) != NULL);
}

/* 1..max_len characters, each alphanumeric or one of `extra`. */
static int token_ok(const char *s, size_t max_len, const char *extra)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if (n >= max_len || !id_char((unsigned char)s[n], extra))
            return 0;
    }
    return n > 0;
}

/* Printable ASCII or UTF-8 bytes, no control characters. */
static int plain_text_ok(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}

static int time_ok(int64_t t)
{
    return t >= QF_STORE_TIME_MIN && t <= QF_STORE_TIME_MAX;
}

static int positive(double v)
{
    return isfinite(v) && v > 0;
}

/* NaN (unknown) or a finite positive price. */
static int optional_price(double v)
{
    return isnan(v) || positive(v);
}

static qf_rc check_client_id(const char *id, qf_err *err)
{
    if (id == NULL || !token_ok(id, CLIENT_ID_MAX_LEN, "-_"))
        return qf_err_set(err, QF_EINVAL,
                          "store: client_id must be 1..%d characters of A-Z a-z 0-9 - _",
                          CLIENT_ID_MAX_LEN);
    return QF_OK;
}

static qf_rc check_account(const char *account, qf_err *err)
{
    if (account == NULL || !token_ok(account, QF_ACCOUNT_MAX - 1, "._-"))
        return qf_err_set(err, QF_EINVAL,
                          "store: account must be 1..%d characters of A-Z a-z 0-9 . _ -",
                          QF_ACCOUNT_MAX - 1);
    return QF_OK;
}

static qf_rc check_symbol(const char *what, const char *symbol, qf_err *err)
{
    if (!terminated(symbol, QF_SYMBOL_MAX) || qf_symbol_validate(symbol, err) != QF_OK)
        return qf_err_set(err, QF_EINVAL, "store: %s: symbol must be BASE/QUOTE (e.g. BTC/USDT)",
                          what);
    return QF_OK;
}

static int side_ok(qf_side side)
{
    return side == QF_SIDE_BUY || side == QF_SIDE_SELL;
}

/* The immutable fields of an order: what was asked for. */
static qf_rc check_order_request(const char *id, const qf_order_row *r, qf_err *err)
{
    const qf_order *o = &r->order;
    qf_rc rc = check_account(r->account, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s", id);
    if (!terminated(o->exchange, sizeof o->exchange) ||
        !token_ok(o->exchange, QF_EXCHANGE_MAX - 1, "_-"))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: exchange must be 1..%d characters of "
                          "A-Z a-z 0-9 _ -",
                          id, QF_EXCHANGE_MAX - 1);
    rc = check_symbol("order", o->symbol, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s", id);
    if (!side_ok(o->side))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: side must be buy (1) or sell (-1), got %d", id,
                          (int)o->side);
    if (o->type != QF_ORDER_MARKET && o->type != QF_ORDER_LIMIT)
        return qf_err_set(err, QF_EINVAL, "store: order %s: type must be market or limit, got %d",
                          id, (int)o->type);
    if (o->tif != QF_TIF_GTC && o->tif != QF_TIF_IOC && o->tif != QF_TIF_FOK)
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: time_in_force must be gtc, ioc or fok, got %d", id,
                          (int)o->tif);
    if (!positive(o->quantity))
        return qf_err_set(err, QF_EINVAL, "store: order %s: quantity must be finite and > 0", id);
    if (o->type == QF_ORDER_LIMIT ? !positive(o->limit_price) : !isnan(o->limit_price))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: limit_price must be finite and > 0 for a limit order, "
                          "NaN for a market order",
                          id);
    if (!optional_price(r->expected_price))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: expected_price must be NaN or finite and > 0", id);
    if (r->bar_time != -1 && !time_ok(r->bar_time))
        return qf_err_set(
            err, QF_EINVAL,
            "store: order %s: bar_time must be -1 or in 1970..9999 (ms since the epoch)", id);
    if (!time_ok(o->created_at))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: created_at outside 1970..9999 (ms since the epoch)",
                          id);
    return QF_OK;
}

/* The fields an update may change. */
static qf_rc check_order_state(const char *id, const qf_order_row *r, qf_err *err)
{
    const qf_order *o = &r->order;
    if ((unsigned)o->status > (unsigned)QF_ORDER_EXPIRED)
        return qf_err_set(err, QF_EINVAL, "store: order %s: unknown status %d", id, (int)o->status);
    if (!isfinite(o->filled_qty) || o->filled_qty < 0)
        return qf_err_set(err, QF_EINVAL, "store: order %s: filled_qty must be finite and >= 0",
                          id);
    if (o->filled_qty > o->quantity * (1 + 1e-9))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: filled_qty %.17g exceeds quantity %.17g", id,
                          o->filled_qty, o->quantity);
    if (o->filled_qty > 0 ? !positive(o->avg_fill_price) : !optional_price(o->avg_fill_price))
        return qf_err_set(
            err, QF_EINVAL,
            "store: order %s: avg_fill_price must be finite and > 0 once filled, else NaN", id);
    if (!time_ok(o->updated_at))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: updated_at outside 1970..9999 (ms since the epoch)",
                          id);
    if (r->attempt < 1)
        return qf_err_set(err, QF_EINVAL, "store: order %s: attempt must be >= 1, got %d", id,
                          r->attempt);
    if (!terminated(r->venue_order_id, sizeof r->venue_order_id) ||
        !plain_text_ok(r->venue_order_id))
        return qf_err_set(
            err, QF_EINVAL,
            "store: order %s: venue_order_id must be 0..%zu characters without control characters",
            id, sizeof r->venue_order_id - 1);
    if (!terminated(r->reason, sizeof r->reason) || !plain_text_ok(r->reason))
        return qf_err_set(
            err, QF_EINVAL,
            "store: order %s: reason must be 0..%zu characters without control characters", id,
            sizeof r->reason - 1);
    return QF_OK;
}

static qf_rc check_order_row(const qf_order_row *r, qf_err *err)
{
    if (r == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no order");
    const char *id = r->order.client_id;
    if (!terminated(id, sizeof r->order.client_id) || check_client_id(id, err) != QF_OK)
        return qf_err_set(err, QF_EINVAL,
                          "store: order: client_id must be 1..%d characters of A-Z a-z 0-9 - _",
                          CLIENT_ID_MAX_LEN);
    qf_rc rc = check_order_request(id, r, err);
    if (rc == QF_OK)
        rc = check_order_state(id, r, err);
    return rc;
}

qf_rc qf_store_insert_order(qf_store *store, const qf_order_row *row, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_order_row(row, err);
    if (rc != QF_OK)
        return rc;
    return store->backend->insert_order(store, row, err);
}

qf_rc qf_store_update_order(qf_store *store, const qf_order_row *row, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_order_row(row, err);
    if (rc != QF_OK)
        return rc;
    return store->backend->update_order(store, row, err);
}

qf_rc qf_store_get_order(qf_store *store, const char *client_id, qf_order_row *out, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_client_id(client_id, err);
    if (rc == QF_OK && out == NULL)
        rc = qf_err_set(err, QF_EINVAL, "store: get_order: no output");
    if (rc != QF_OK)
        return rc;
    return store->backend->get_order(store, client_id, out, err);
}

qf_rc qf_store_list_orders(qf_store *store, const char *account, unsigned status_mask,
                           qf_order_row **out, size_t *out_n, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK && account != NULL)
        rc = check_account(account, err);
    if (rc == QF_OK && (out == NULL || out_n == NULL))
        rc = qf_err_set(err, QF_EINVAL, "store: list_orders: no output");
    if (rc != QF_OK)
        return rc;
    *out = NULL;
    *out_n = 0;
    if (status_mask == 0)
        status_mask = ~0u;
    return store->backend->list_orders(store, account, status_mask, out, out_n, err);
}

/* ---- positions, cash, fills ------------------------------------------------ */

static qf_rc check_position(const qf_position *p, size_t i, qf_err *err)
{
    if (check_symbol("position", p->symbol, err) != QF_OK)
        return qf_err_set(err, QF_EINVAL, "store: position %zu: symbol must be BASE/QUOTE", i);
    const char *s = p->symbol;
    if (!isfinite(p->quantity))
        return qf_err_set(err, QF_EINVAL, "store: position %s: quantity must be finite", s);
    if (!isfinite(p->avg_entry) || p->avg_entry < 0)
        return qf_err_set(err, QF_EINVAL, "store: position %s: avg_entry must be finite and >= 0",
                          s);
    if (p->quantity != 0 && p->avg_entry == 0)
        return qf_err_set(err, QF_EINVAL,
                          "store: position %s: avg_entry must be > 0 while a quantity is held", s);
    if (!isfinite(p->realized_pnl))
        return qf_err_set(err, QF_EINVAL, "store: position %s: realized_pnl must be finite", s);
    if (!isfinite(p->fees) || p->fees < 0)
        return qf_err_set(err, QF_EINVAL, "store: position %s: fees must be finite and >= 0", s);
    if (!optional_price(p->mark_price))
        return qf_err_set(
            err, QF_EINVAL,
            "store: position %s: mark_price must be NaN (never marked) or finite and > 0", s);
    return QF_OK;
}

static qf_rc check_positions(const qf_position *positions, size_t n, qf_err *err)
{
    if (n > 0 && positions == NULL)
        return qf_err_set(err, QF_EINVAL, "store: %zu positions without positions", n);
    for (size_t i = 0; i < n; i++) {
        qf_rc rc = check_position(&positions[i], i, err);
        if (rc != QF_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(positions[j].symbol, positions[i].symbol) == 0)
                return qf_err_set(err, QF_EINVAL, "store: position %s appears twice",
                                  positions[i].symbol);
    }
    return QF_OK;
}

static qf_rc check_cash(double cash, qf_err *err)
{
    if (!isfinite(cash))
        return qf_err_set(err, QF_EINVAL, "store: cash must be finite");
    return QF_OK;
}

static qf_rc check_fill(const qf_fill_row *r, qf_err *err)
{
    if (r == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no fill");
    const qf_fill *f = &r->fill;
    if (!terminated(f->client_id, sizeof f->client_id) ||
        check_client_id(f->client_id, err) != QF_OK)
        return qf_err_set(err, QF_EINVAL,
                          "store: fill: client_id must be 1..%d characters of A-Z a-z 0-9 - _",
                          CLIENT_ID_MAX_LEN);
    const char *id = f->client_id;
    if (!terminated(r->trade_id, sizeof r->trade_id) || r->trade_id[0] == '\0' ||
        !plain_text_ok(r->trade_id))
        return qf_err_set(
            err, QF_EINVAL,
            "store: fill of %s: trade_id must be 1..%zu characters without control characters", id,
            sizeof r->trade_id - 1);
    if (check_symbol("fill", f->symbol, err) != QF_OK)
        return qf_err_prefix(err, "fill of %s", id);
    if (!side_ok(f->side))
        return qf_err_set(err, QF_EINVAL,
                          "store: fill of %s: side must be buy (1) or sell (-1), got %d", id,
                          (int)f->side);
    if (!positive(f->quantity))
        return qf_err_set(err, QF_EINVAL, "store: fill of %s: quantity must be finite and > 0", id);
    if (!positive(f->price))
        return qf_err_set(err, QF_EINVAL, "store: fill of %s: price must be finite and > 0", id);
    if (!isfinite(f->fee) || f->fee < 0)
        return qf_err_set(err, QF_EINVAL, "store: fill of %s: fee must be finite and >= 0", id);
    if (!time_ok(f->time))
        return qf_err_set(err, QF_EINVAL,
                          "store: fill of %s: time outside 1970..9999 (ms since the epoch)", id);
    if (!terminated(r->fee_asset, sizeof r->fee_asset) ||
        (r->fee_asset[0] != '\0' && !token_ok(r->fee_asset, sizeof r->fee_asset - 1, "")))
        return qf_err_set(err, QF_EINVAL,
                          "store: fill of %s: fee_asset must be empty or 1..%zu of A-Z a-z 0-9", id,
                          sizeof r->fee_asset - 1);
    if (r->liquidity < 0 || r->liquidity > 2)
        return qf_err_set(
            err, QF_EINVAL,
            "store: fill of %s: liquidity must be 0 (unknown), 1 (maker) or 2 (taker)", id);
    return QF_OK;
}

/* The order written with a fill must be the fill's. */
static qf_rc check_fill_order(const qf_fill_row *fill, const qf_order_row *order_after, qf_err *err)
{
    if (order_after == NULL)
        return qf_err_set(err, QF_EINVAL, "store: record_fill needs the order after the fill");
    const qf_fill *f = &fill->fill;
    const qf_order *o = &order_after->order;
    if (strcmp(o->client_id, f->client_id) != 0)
        return qf_err_set(err, QF_EINVAL, "store: fill of %s: order_after is order %s",
                          f->client_id, o->client_id);
    if (strcmp(o->symbol, f->symbol) != 0 || o->side != f->side)
        return qf_err_set(err, QF_EINVAL,
                          "store: fill of %s: symbol or side differs from the order's",
                          f->client_id);
    if (o->filled_qty <= 0)
        return qf_err_set(err, QF_EINVAL, "store: fill of %s: order_after has no filled quantity",
                          f->client_id);
    return QF_OK;
}

/* The caller's apply, and the check of what it computed: a backend only
 * ever writes a valid position of the fill's symbol and a finite cash. */
typedef struct checked_apply {
    qf_store_fill_fn apply;
    void *ctx;
} checked_apply;

static qf_rc apply_checked(void *ctx, const qf_fill_row *fill, qf_position *position, double *cash,
                           qf_err *err)
{
    const checked_apply *c = ctx;
    qf_rc rc = c->apply(c->ctx, fill, position, cash, err);
    if (rc != QF_OK)
        return rc;
    const char *id = fill->fill.client_id;
    if (!terminated(position->symbol, sizeof position->symbol) ||
        strcmp(position->symbol, fill->fill.symbol) != 0)
        return qf_err_set(err, QF_EINVAL, "store: fill of %s: the position after it is not %s's",
                          id, fill->fill.symbol);
    rc = check_position(position, 0, err);
    if (rc == QF_OK)
        rc = check_cash(*cash, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "fill of %s", id);
    return QF_OK;
}

qf_rc qf_store_record_fill(qf_store *store, const char *account, const qf_fill_row *fill,
                           const qf_order_row *order_after, qf_store_fill_fn apply, void *ctx,
                           double *out_cash, qf_position **out_positions, size_t *out_n,
                           qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK)
        rc = check_fill(fill, err);
    if (rc == QF_OK)
        rc = check_order_row(order_after, err);
    if (rc == QF_OK)
        rc = check_fill_order(fill, order_after, err);
    if (rc == QF_OK && apply == NULL)
        rc = qf_err_set(err, QF_EINVAL, "store: fill of %s: no apply function",
                        fill->fill.client_id);
    if (rc == QF_OK && out_cash != NULL && (out_positions == NULL || out_n == NULL))
        rc = qf_err_set(err, QF_EINVAL, "store: record_fill: out_cash without out_positions");
    if (rc == QF_OK && strcmp(order_after->account, account) != 0)
        rc =
            qf_err_set(err, QF_EINVAL, "store: fill of %s: the order belongs to account %s, not %s",
                       fill->fill.client_id, order_after->account, account);
    if (rc != QF_OK)
        return rc;
    checked_apply c = {apply, ctx};
    return store->backend->record_fill(store, account, fill, order_after, apply_checked, &c,
                                       out_cash, out_positions, out_n, err);
}

qf_rc qf_store_create_account(qf_store *store, const char *account, double cash, int64_t time,
                              bool *out_created, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK)
        rc = check_cash(cash, err);
    if (rc == QF_OK && !time_ok(time))
        rc = qf_err_set(err, QF_EINVAL,
                        "store: account %s: time outside 1970..9999 (ms since the epoch)", account);
    if (rc != QF_OK)
        return rc;
    return store->backend->create_account(store, account, cash, time, out_created, err);
}

qf_rc qf_store_mark_positions(qf_store *store, const char *account, const qf_position *marks,
                              size_t n, int64_t time, double *out_cash, qf_position **out_positions,
                              size_t *out_n, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK && n > 0 && marks == NULL)
        rc = qf_err_set(err, QF_EINVAL, "store: %zu marks without marks", n);
    for (size_t i = 0; i < n && rc == QF_OK; i++) {
        if (check_symbol("mark", marks[i].symbol, err) != QF_OK)
            rc = qf_err_set(err, QF_EINVAL, "store: mark %zu: symbol must be BASE/QUOTE", i);
        else if (!optional_price(marks[i].mark_price))
            rc = qf_err_set(err, QF_EINVAL,
                            "store: mark of %s: mark_price must be NaN or finite and > 0",
                            marks[i].symbol);
    }
    if (rc == QF_OK && !time_ok(time))
        rc =
            qf_err_set(err, QF_EINVAL,
                       "store: marks of %s: time outside 1970..9999 (ms since the epoch)", account);
    if (rc == QF_OK && out_cash != NULL && (out_positions == NULL || out_n == NULL))
        rc = qf_err_set(err, QF_EINVAL, "store: mark_positions: out_cash without out_positions");
    if (rc != QF_OK)
        return rc;
    return store->backend->mark_positions(store, account, marks, n, time, out_cash, out_positions,
                                          out_n, err);
}

qf_rc qf_store_list_fills(qf_store *store, const char *account, const char *client_id,
                          qf_fill_row **out, size_t *out_n, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK && client_id != NULL)
        rc = check_client_id(client_id, err);
    if (rc == QF_OK && (out == NULL || out_n == NULL))
        rc = qf_err_set(err, QF_EINVAL, "store: list_fills: no output");
    if (rc != QF_OK)
        return rc;
    *out = NULL;
    *out_n = 0;
    return store->backend->list_fills(store, account, client_id, out, out_n, err);
}

qf_rc qf_store_load_portfolio(qf_store *store, const char *account, double *out_cash,
                              qf_position **out_positions, size_t *out_n, bool *out_found,
                              qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK &&
        (out_cash == NULL || out_positions == NULL || out_n == NULL || out_found == NULL))
        rc = qf_err_set(err, QF_EINVAL, "store: load_portfolio: no output");
    if (rc != QF_OK)
        return rc;
    *out_found = false;
    return store->backend->load_portfolio(store, account, out_cash, out_positions, out_n, out_found,
                                          err);
}

qf_rc qf_store_save_portfolio(qf_store *store, const char *account, double cash,
                              const qf_position *positions, size_t n, int64_t time, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK)
        rc = check_cash(cash, err);
    if (rc == QF_OK)
        rc = check_positions(positions, n, err);
    if (rc == QF_OK && !time_ok(time))
        rc = qf_err_set(err, QF_EINVAL,
                        "store: portfolio %s: time outside 1970..9999 (ms since the epoch)",
                        account);
    if (rc != QF_OK)
        return rc;
    return store->backend->save_portfolio(store, account, cash, positions, n, time, err);
}

/* ---- snapshots ------------------------------------------------------------- */

static qf_rc check_snapshot(const qf_snapshot *s, const char *positions_json, qf_err *err)
{
    if (s == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no snapshot");
    if (!time_ok(s->time))
        return qf_err_set(err, QF_EINVAL,
                          "store: snapshot: time outside 1970..9999 (ms since the epoch)");
    if (!isfinite(s->cash) || !isfinite(s->equity))
        return qf_err_set(err, QF_EINVAL, "store: snapshot %lld: cash and equity must be finite",
                          (long long)s->time);
    if (!isfinite(s->gross_exposure) || s->gross_exposure < 0)
        return qf_err_set(err, QF_EINVAL,
                          "store: snapshot %lld: gross_exposure must be finite and >= 0",
                          (long long)s->time);
    if (!isfinite(s->drawdown) || s->drawdown < 0)
        return qf_err_set(err, QF_EINVAL,
                          "store: snapshot %lld: drawdown must be a finite fraction >= 0 (positive "
                          "below the peak)",
                          (long long)s->time);
    if (positions_json == NULL)
        return QF_OK;
    json_error_t jerr;
    json_t *doc = json_loads(positions_json, JSON_DECODE_ANY, &jerr);
    if (doc == NULL)
        return qf_err_set(err, QF_EINVAL,
                          "store: snapshot %lld: positions_json is not JSON: %d:%d: %s",
                          (long long)s->time, jerr.line, jerr.column, jerr.text);
    json_decref(doc);
    return QF_OK;
}

qf_rc qf_store_insert_snapshot(qf_store *store, const char *account, const qf_snapshot *snap,
                               const char *positions_json, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK)
        rc = check_snapshot(snap, positions_json, err);
    if (rc != QF_OK)
        return rc;
    return store->backend->insert_snapshot(store, account, snap, positions_json, err);
}

qf_rc qf_store_list_snapshots(qf_store *store, const char *account, int64_t from, int64_t to,
                              qf_snapshot **out, size_t *out_n, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK && (out == NULL || out_n == NULL))
        rc = qf_err_set(err, QF_EINVAL, "store: list_snapshots: no output");
    if (rc != QF_OK)
        return rc;
    *out = NULL;
    *out_n = 0;
    if (from > to)
        return QF_OK;
    return store->backend->list_snapshots(store, account, from, to, out, out_n, err);
}
