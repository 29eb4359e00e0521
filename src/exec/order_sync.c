/*
 * order_sync.c - keeping a stored order in step with the venue: lookups by
 * client id with backoff, fills recorded through the portfolio, cancels
 * that fetch the final fills before closing, start-up reconciliation
 * (order_manager.h, recovery rules).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/order_manager_int.h"

#define WORKING_MASK                                                                               \
    ((1u << QF_ORDER_PENDING) | (1u << QF_ORDER_UNCONFIRMED) | (1u << QF_ORDER_OPEN) |             \
     (1u << QF_ORDER_PARTIALLY_FILLED))

bool qf_om_status_closed(qf_order_status s)
{
    return s == QF_ORDER_FILLED || s == QF_ORDER_CANCELLED || s == QF_ORDER_REJECTED ||
           s == QF_ORDER_EXPIRED;
}

static double qty_eps(double qty)
{
    return 1e-9 * fmax(1.0, fabs(qty));
}

/* The stored row is ahead of ours: more of it filled, or closed while ours
 * is still working (another process recorded a fill or resolved it since
 * ours was read). */
static bool stored_ahead(const qf_order_row *stored, const qf_order_row *row)
{
    return stored->order.filled_qty > row->order.filled_qty + qty_eps(stored->order.quantity) ||
           (qf_om_status_closed(stored->order.status) && !qf_om_status_closed(row->order.status));
}

/* *row becomes the stored order (our venue id kept when it has none). */
static qf_rc reload(qf_order_manager *om, qf_order_row *row, qf_err *err)
{
    qf_order_row stored;
    qf_rc rc = qf_store_get_order(om->store, row->order.client_id, &stored, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s", row->order.client_id);
    if (stored.venue_order_id[0] == '\0')
        snprintf(stored.venue_order_id, sizeof stored.venue_order_id, "%s", row->venue_order_id);
    *row = stored;
    return QF_OK;
}

qf_rc qf_om__persist(qf_order_manager *om, qf_order_row *row, qf_err *err)
{
    /* Never a stale row over a newer one: when the store is ahead, ours is
     * what is out of date; take the stored row (the next look moves it on). */
    qf_order_row stored;
    qf_rc rc = qf_store_get_order(om->store, row->order.client_id, &stored, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s", row->order.client_id);
    if (stored_ahead(&stored, row))
        return reload(om, row, err);
    row->order.updated_at = qf_om__now(om);
    rc = qf_store_update_order(om->store, row, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s", row->order.client_id);
    return QF_OK;
}

static void set_reason(qf_order_row *row, const char *fmt, const char *arg)
{
    snprintf(row->reason, sizeof row->reason, fmt, arg);
}

/* The venue's fee in the quote asset: as is when in the quote asset, at the
 * fill price when in the base asset; another asset (BNB) cannot be priced
 * here and counts 0 (fee_asset keeps its name). */
static double fee_in_quote(const qf_trade *t, const char *symbol, char *fee_asset, size_t size)
{
    const char *slash = strchr(symbol, '/');
    size_t base_len = slash ? (size_t)(slash - symbol) : 0;
    fee_asset[0] = '\0';
    if (!t->fee_asset[0] || (slash && strcmp(t->fee_asset, slash + 1) == 0))
        return t->fee;
    snprintf(fee_asset, size, "%s", t->fee_asset);
    if (slash && strlen(t->fee_asset) == base_len && strncmp(t->fee_asset, symbol, base_len) == 0)
        return t->fee * t->price;
    return 0.0;
}

static qf_rc check_trade(const qf_order_row *row, const qf_trade *t, qf_err *err)
{
    if (!t->trade_id[0])
        return qf_err_set(err, QF_EPARSE, "order %s: a trade without an id", row->order.client_id);
    if (!isfinite(t->quantity) || t->quantity <= 0.0 || !isfinite(t->price) || t->price <= 0.0 ||
        !isfinite(t->fee) || t->fee < 0.0)
        return qf_err_set(err, QF_EPARSE, "order %s: trade %s has a bad quantity, price or fee",
                          row->order.client_id, t->trade_id);
    if (t->client_id[0] && strcmp(t->client_id, row->order.client_id) != 0)
        return qf_err_set(err, QF_EPARSE, "order %s: trade %s belongs to order %s",
                          row->order.client_id, t->trade_id, t->client_id);
    return QF_OK;
}

/* Records one trade (fill + order + position + cash in one transaction); a
 * trade already recorded changes nothing. */
static qf_rc record_trade(qf_order_manager *om, qf_order_row *row, const qf_trade *t, qf_err *err)
{
    qf_rc rc = check_trade(row, t, err);
    if (rc != QF_OK)
        return rc;
    qf_fill_row f;
    memset(&f, 0, sizeof f);
    snprintf(f.fill.client_id, sizeof f.fill.client_id, "%s", row->order.client_id);
    snprintf(f.fill.symbol, sizeof f.fill.symbol, "%s", row->order.symbol);
    f.fill.side = row->order.side;
    f.fill.quantity = t->quantity;
    f.fill.price = t->price;
    f.fill.fee = fee_in_quote(t, row->order.symbol, f.fee_asset, sizeof f.fee_asset);
    f.fill.time = t->time > 0 ? t->time : qf_om__now(om);
    snprintf(f.trade_id, sizeof f.trade_id, "%s", t->trade_id);
    f.liquidity = t->maker ? 1 : 2;

    qf_order_row after = *row;
    double old = row->order.filled_qty;
    double filled = old + t->quantity;
    double old_avg =
        old > 0.0 && isfinite(row->order.avg_fill_price) ? row->order.avg_fill_price : 0.0;
    after.order.filled_qty = filled;
    after.order.avg_fill_price = (old_avg * old + t->price * t->quantity) / filled;
    after.order.status = filled >= after.order.quantity - qty_eps(after.order.quantity)
                             ? QF_ORDER_FILLED
                             : QF_ORDER_PARTIALLY_FILLED;
    after.order.updated_at = qf_om__now(om);
    if (after.venue_order_id[0] == '\0')
        snprintf(after.venue_order_id, sizeof after.venue_order_id, "%s", t->venue_order_id);
    rc = qf_portfolio_record_fill(om->pf, om->store, &f, &after, err);
    if (rc == QF_EEXIST) /* recorded already (by another process?): the order as stored */
        return reload(om, row, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s: recording trade %s", row->order.client_id,
                             t->trade_id);
    *row = after;
    if (isfinite(row->expected_price) && row->expected_price > 0.0) {
        /* The fill is recorded; a value the estimator refuses is only left out of it. */
        qf_rc src = qf_slippage_record(&om->slippage, row->expected_price, t->price,
                                       row->order.side, t->quantity, NULL, NULL);
        (void)src;
    }
    return QF_OK;
}

static qf_rc record_trades(qf_order_manager *om, qf_order_row *row, const qf_trade *t, size_t n,
                           qf_err *err)
{
    for (size_t i = 0; i < n; i++) {
        qf_rc rc = record_trade(om, row, &t[i], err);
        if (rc != QF_OK)
            return rc;
    }
    return QF_OK;
}

/* Fetches the order's trades from the venue and records those not yet. */
static qf_rc fetch_trades(qf_order_manager *om, qf_order_row *row, qf_err *err)
{
    qf_trade *t = NULL;
    size_t n = 0;
    qf_rc rc =
        om->venue.ops->trades(om->venue.ctx, row->order.symbol, row->order.client_id, &t, &n, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s: fetching fills", row->order.client_id);
    rc = record_trades(om, row, t, n, err);
    free(t);
    return rc;
}

qf_rc qf_om__apply_report(qf_order_manager *om, qf_order_row *row, const qf_order_report *rep,
                          const qf_trade *trades, size_t n_trades, qf_err *err)
{
    if (rep->venue_order_id[0])
        snprintf(row->venue_order_id, sizeof row->venue_order_id, "%s", rep->venue_order_id);
    qf_rc rc = record_trades(om, row, trades, n_trades, err);
    if (rc == QF_OK && rep->filled_qty > row->order.filled_qty + qty_eps(rep->filled_qty))
        rc = fetch_trades(om, row, err);
    if (rc != QF_OK)
        return rc;
    bool covered = row->order.filled_qty >= rep->filled_qty - qty_eps(rep->filled_qty);
    if (covered) {
        row->order.status = rep->status;
        if (rep->status == QF_ORDER_OPEN && row->order.filled_qty > 0.0)
            row->order.status = QF_ORDER_PARTIALLY_FILLED;
    } else {
        /* Closed only once every fill is recorded: look again later. */
        row->order.status = row->order.filled_qty > 0.0 ? QF_ORDER_PARTIALLY_FILLED : QF_ORDER_OPEN;
        set_reason(row, "%s: fills reported by the venue not yet available",
                   qf_order_status_name(rep->status));
    }
    return qf_om__persist(om, row, err);
}

static int64_t backoff(const qf_order_manager *om, int attempt)
{
    int shift = attempt < 3 ? attempt : 3;
    return om->opt.backoff_ms << shift;
}

/* Closes an order the venue still did not know when asked at `asked`,
 * unless a send of it was recorded within the grace before that (by this
 * process or another: one atomic check-and-write in the store). QF_ESTATE:
 * sent again or moved on by another process; *row is then reloaded. */
static qf_rc close_never_placed(qf_order_manager *om, qf_order_row *row, int lookups, int64_t asked,
                                qf_err *err)
{
    qf_order_row closed = *row;
    bool pending = row->order.status == QF_ORDER_PENDING;
    closed.order.status = pending ? QF_ORDER_CANCELLED : QF_ORDER_REJECTED;
    closed.order.updated_at = qf_om__now(om);
    snprintf(closed.reason, sizeof closed.reason,
             "%s: unknown to the venue after %d lookups, the last one past the grace after "
             "its last send (grace %lld ms)",
             pending ? "never sent" : "never acknowledged", lookups, (long long)om->grace_ms);
    qf_rc rc = qf_store_close_unsent(om->store, &closed, asked - om->grace_ms, err);
    if (rc == QF_OK) {
        *row = closed;
        return QF_OK;
    }
    if (rc != QF_ESTATE)
        return qf_err_prefix(err, "order %s", row->order.client_id);
    rc = reload(om, row, err);
    return rc == QF_OK ? QF_ESTATE : rc;
}

qf_rc qf_om__resolve(qf_order_manager *om, qf_order_row *row, qf_err *err)
{
    int unknown = 0, asked_n = 0;
    qf_err last;
    qf_err_clear(&last);
    for (int q = 0; q < om->opt.max_queries; q++) {
        if (q > 0)
            qf_om__sleep(om, backoff(om, q - 1));
        asked_n++;
        qf_order_report rep;
        qf_err qerr;
        int64_t asked = qf_om__now(om); /* the answer holds from here on */
        qf_rc rc = om->venue.ops->query(om->venue.ctx, row->order.symbol, row->order.client_id,
                                        &rep, &qerr);
        if (rc == QF_OK && rep.status != QF_ORDER_UNCONFIRMED && rep.status != QF_ORDER_PENDING)
            return qf_om__apply_report(om, row, &rep, NULL, 0, err);
        if (rc == QF_ENOTFOUND) {
            unknown++;
            /* created_at <= sent_at: before this the grace cannot have run
             * out; the store checks the last send itself. */
            bool graced = asked - row->order.created_at >= om->grace_ms;
            if (graced && unknown >= om->opt.min_unknown_queries) {
                qf_err cerr;
                rc = close_never_placed(om, row, unknown, asked, &cerr);
                if (rc == QF_OK)
                    return QF_OK;
                if (rc != QF_ESTATE) {
                    if (err)
                        *err = cerr;
                    return rc;
                }
                /* Sent again within the grace: keep looking. Moved on by
                 * another process: that is the answer. */
                if (row->order.status != QF_ORDER_PENDING &&
                    row->order.status != QF_ORDER_UNCONFIRMED)
                    return QF_OK;
            }
        } else if (rc != QF_OK) {
            last = qerr;
            if (rc == QF_ERATELIMIT)
                break; /* a ban, or 429s the client already waited out: asking again
                        * now only adds requests */
        }
    }
    if (last.code != QF_OK)
        return qf_err_set(err, QF_EUNKNOWN, "order %s still unconfirmed after %d lookup%s: %s",
                          row->order.client_id, asked_n, asked_n == 1 ? "" : "s", last.msg);
    return qf_err_set(err, QF_EUNKNOWN,
                      "order %s still unconfirmed after %d lookups (the venue may not show it "
                      "yet); look again later",
                      row->order.client_id, asked_n);
}

qf_rc qf_om__cancel_and_close(qf_order_manager *om, qf_order_row *row, const char *reason,
                              qf_err *err)
{
    qf_order_report rep;
    qf_err cerr;
    qf_rc rc =
        om->venue.ops->cancel(om->venue.ctx, row->order.symbol, row->order.client_id, &rep, &cerr);
    if (rc == QF_ENOTFOUND || rc == QF_EREJECTED) {
        /* Already closed at the venue (filled meanwhile?): ask what it became. */
        rc = om->venue.ops->query(om->venue.ctx, row->order.symbol, row->order.client_id, &rep,
                                  &cerr);
    }
    if (rc != QF_OK) {
        if (err)
            *err = cerr;
        return qf_err_prefix(err, "order %s: cancel", row->order.client_id);
    }
    rc = qf_om__apply_report(om, row, &rep, NULL, 0, err);
    if (rc != QF_OK)
        return rc;
    if (row->order.status == QF_ORDER_CANCELLED && reason) {
        set_reason(row, "%s", reason);
        return qf_om__persist(om, row, err);
    }
    return QF_OK;
}

static qf_rc load(qf_order_manager *om, const char *client_id, qf_order_row *row, qf_err *err)
{
    qf_rc rc = qf_store_get_order(om->store, client_id, row, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s", client_id);
    return QF_OK;
}

static bool timed_out(const qf_order_manager *om, const qf_order_row *row)
{
    return om->opt.order_timeout_seconds > 0 &&
           qf_om__now(om) - row->order.created_at > (int64_t)om->opt.order_timeout_seconds * 1000;
}

static qf_rc poll_row(qf_order_manager *om, qf_order_row *row, qf_err *err)
{
    qf_order_status s = row->order.status;
    if (qf_om_status_closed(s))
        return QF_OK;
    if (s == QF_ORDER_PENDING || s == QF_ORDER_UNCONFIRMED) {
        qf_rc rc = qf_om__resolve(om, row, err);
        if (rc != QF_OK || qf_om_status_closed(row->order.status))
            return rc;
    } else {
        qf_order_report rep;
        qf_rc rc =
            om->venue.ops->query(om->venue.ctx, row->order.symbol, row->order.client_id, &rep, err);
        if (rc == QF_OK)
            rc = qf_om__apply_report(om, row, &rep, NULL, 0, err);
        if (rc != QF_OK)
            return qf_err_prefix(err, "order %s: lookup", row->order.client_id);
    }
    if (!qf_om_status_closed(row->order.status) && timed_out(om, row)) {
        char why[96];
        snprintf(why, sizeof why, "timeout: open longer than %d s", om->opt.order_timeout_seconds);
        return qf_om__cancel_and_close(om, row, why, err);
    }
    return QF_OK;
}

qf_rc qf_om_poll(qf_order_manager *om, const char *client_id, qf_order_row *out, qf_err *err)
{
    qf_order_row row;
    qf_rc rc = load(om, client_id, &row, err);
    if (rc != QF_OK)
        return rc;
    rc = poll_row(om, &row, err);
    *out = row;
    return rc;
}

qf_rc qf_om_wait(qf_order_manager *om, const char *client_id, int64_t max_ms, int64_t interval_ms,
                 qf_order_row *out, qf_err *err)
{
    int64_t end = qf_om__now(om) + max_ms;
    for (;;) {
        qf_rc rc = qf_om_poll(om, client_id, out, err);
        if (rc != QF_OK && rc != QF_EUNKNOWN)
            return rc;
        if (qf_om_status_closed(out->order.status) || qf_om__now(om) >= end)
            return rc;
        qf_om__sleep(om, interval_ms > 0 ? interval_ms : 200);
    }
}

qf_rc qf_om_cancel(qf_order_manager *om, const char *client_id, qf_order_row *out, qf_err *err)
{
    qf_order_row row;
    qf_rc rc = load(om, client_id, &row, err);
    if (rc != QF_OK)
        return rc;
    if (row.order.status == QF_ORDER_PENDING || row.order.status == QF_ORDER_UNCONFIRMED)
        rc = qf_om__resolve(om, &row, err);
    if (rc == QF_OK && !qf_om_status_closed(row.order.status))
        rc = qf_om__cancel_and_close(om, &row, "cancelled by request", err);
    *out = row;
    return rc;
}

qf_rc qf_om_reconcile(qf_order_manager *om, size_t *out_checked, qf_err *err)
{
    qf_order_row *rows = NULL;
    size_t n = 0;
    qf_rc rc = qf_store_list_orders(om->store, om->venue.account, WORKING_MASK, &rows, &n, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "reconcile: listing working orders");
    qf_rc first = QF_OK;
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].order.exchange, om->venue.exchange) != 0)
            continue;
        checked++;
        qf_err e;
        rc = poll_row(om, &rows[i], &e);
        if (rc != QF_OK && first == QF_OK) {
            first = rc;
            if (err)
                *err = e;
        }
    }
    free(rows);
    if (out_checked)
        *out_checked = checked;
    return first;
}
