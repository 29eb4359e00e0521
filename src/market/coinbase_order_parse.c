/*
 * coinbase_order_parse.c - Coinbase Advanced Trade replies to QuantFlow's
 * types (coinbase_order_parse.h). Pure: no I/O.
 *
 * Each parser fills local copies and hands them over only when the whole
 * reply was read, so a failure leaves the caller's variables as they were.
 */
#include "market/coinbase_order_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "core/time.h"
#include "market/order_fields.h"

bool qf_coinbase_status(const char *s, double filled_size, qf_order_status *out)
{
    bool partly = filled_size > 0;
    if (strcmp(s, "OPEN") == 0 || strcmp(s, "CANCEL_QUEUED") == 0)
        *out = partly ? QF_ORDER_PARTIALLY_FILLED : QF_ORDER_OPEN;
    else if (strcmp(s, "FILLED") == 0)
        *out = QF_ORDER_FILLED;
    else if (strcmp(s, "CANCELLED") == 0)
        *out = QF_ORDER_CANCELLED;
    else if (strcmp(s, "EXPIRED") == 0)
        *out = QF_ORDER_EXPIRED;
    else if (strcmp(s, "FAILED") == 0)
        *out = QF_ORDER_REJECTED;
    else if (strcmp(s, "PENDING") == 0 || strcmp(s, "QUEUED") == 0 ||
             strcmp(s, "UNKNOWN_ORDER_STATUS") == 0)
        *out = QF_ORDER_UNCONFIRMED;
    else
        return false;
    return true;
}

/* The member `field` of obj, which must be an array (absent: empty). */
static qf_rc array_field(const json_t *obj, const char *field, const char *what, const json_t **out,
                         qf_err *err)
{
    const json_t *a = json_object_get(obj, field);
    if (a == NULL || json_is_null(a)) {
        *out = NULL;
        return QF_OK;
    }
    if (!json_is_array(a))
        return qf_err_set(err, QF_EPARSE, "%s: field %s: expected an array, got %s", what, field,
                          qf_venue_json_kind(a));
    *out = a;
    return QF_OK;
}

static qf_rc paging(const json_t *root, const char *what, bool *has_next, char *cursor, size_t size,
                    qf_err *err)
{
    qf_rc rc = qf_of_bool(root, "has_next", false, what, false, has_next, err);
    if (rc == QF_OK)
        rc = qf_of_copy(root, "cursor", false, what, cursor, size, err);
    return rc;
}

static qf_rc field_side(const json_t *o, const char *what, qf_side *out, qf_err *err)
{
    const char *s = NULL;
    qf_rc rc = qf_of_str(o, "side", true, what, &s, err);
    if (rc != QF_OK)
        return rc;
    if (strcmp(s, "BUY") == 0)
        *out = QF_SIDE_BUY;
    else if (strcmp(s, "SELL") == 0)
        *out = QF_SIDE_SELL;
    else
        return qf_err_set(err, QF_EPARSE, "%s: field side: unknown side \"%.20s\"", what, s);
    return QF_OK;
}

/* "BTC-USD" -> "BTC/USD". */
static qf_rc field_product(const json_t *o, const char *what, char *out, qf_err *err)
{
    const char *s = NULL;
    qf_rc rc = qf_of_str(o, "product_id", true, what, &s, err);
    if (rc != QF_OK)
        return rc;
    char sym[QF_SYMBOL_MAX];
    size_t n = strlen(s);
    const char *dash = strchr(s, '-');
    if (n >= sizeof sym || dash == NULL)
        return qf_err_set(err, QF_EPARSE, "%s: field product_id: \"%.24s\" is not BASE-QUOTE", what,
                          s);
    memcpy(sym, s, n + 1);
    sym[dash - s] = '/';
    if (qf_symbol_validate(sym, NULL) != QF_OK)
        return qf_err_set(err, QF_EPARSE, "%s: field product_id: \"%.24s\" is not BASE-QUOTE", what,
                          s);
    memcpy(out, sym, n + 1);
    return QF_OK;
}

static qf_rc field_time(const json_t *o, const char *field, const char *what, int64_t *out,
                        qf_err *err)
{
    const char *s = NULL;
    qf_rc rc = qf_of_str(o, field, false, what, &s, err);
    if (rc != QF_OK || s == NULL || s[0] == '\0')
        return rc;
    if (qf_time_parse_iso(s, out, NULL) != QF_OK)
        return qf_err_set(err, QF_EPARSE, "%s: field %s: \"%.40s\" is not an RFC 3339 time", what,
                          field, s);
    return QF_OK;
}

/* order_configuration: {"limit_limit_gtc": {"base_size", "limit_price"}} and
 * the like: the order's type, base size and limit price. */
static qf_rc configuration(const json_t *o, const char *what, qf_order_report *r, qf_err *err)
{
    const json_t *cfg = json_object_get(o, "order_configuration");
    r->quantity = NAN;
    r->limit_price = NAN;
    if (cfg == NULL || json_is_null(cfg)) {
        const char *t = NULL;
        qf_rc rc = qf_of_str(o, "order_type", true, what, &t, err);
        if (rc != QF_OK)
            return rc;
        r->type = strcmp(t, "MARKET") == 0 ? QF_ORDER_MARKET : QF_ORDER_LIMIT;
        return QF_OK;
    }
    if (!json_is_object(cfg) || json_object_size(cfg) == 0)
        return qf_err_set(err, QF_EPARSE,
                          "%s: field order_configuration: expected one configuration, got %s", what,
                          qf_venue_json_kind(cfg));
    const char *kind = json_object_iter_key(json_object_iter((json_t *)cfg));
    const json_t *c = json_object_get(cfg, kind);
    if (!json_is_object(c))
        return qf_err_set(err, QF_EPARSE, "%s: field order_configuration.%s: expected an object",
                          what, kind);
    r->type = strncmp(kind, "market_", 7) == 0 ? QF_ORDER_MARKET : QF_ORDER_LIMIT;
    qf_rc rc = qf_of_dec(c, "base_size", false, what, &r->quantity, err);
    if (rc == QF_OK && r->type == QF_ORDER_LIMIT)
        rc = qf_of_dec(c, "limit_price", true, what, &r->limit_price, err);
    return rc;
}

static qf_rc order_fields(const json_t *o, const char *what, qf_order_report *r, qf_err *err)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(o))
        return qf_err_set(err, QF_EPARSE, "%s: expected an order object, got %s", what,
                          qf_venue_json_kind(o));
    const char *st = NULL;
    double filled = NAN;
    double avg = NAN;
    double value = NAN;
    int64_t created = 0;
    int64_t last_fill = 0;
    qf_rc rc =
        qf_of_copy(o, "order_id", true, what, r->venue_order_id, sizeof r->venue_order_id, err);
    if (rc == QF_OK)
        rc = qf_of_copy(o, "client_order_id", false, what, r->client_id, sizeof r->client_id, err);
    if (rc == QF_OK)
        rc = field_product(o, what, r->symbol, err);
    if (rc == QF_OK)
        rc = field_side(o, what, &r->side, err);
    if (rc == QF_OK)
        rc = configuration(o, what, r, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "filled_size", false, what, &filled, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "average_filled_price", false, what, &avg, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "filled_value", false, what, &value, err);
    if (rc == QF_OK)
        rc = field_time(o, "created_time", what, &created, err);
    if (rc == QF_OK)
        rc = field_time(o, "last_fill_time", what, &last_fill, err);
    if (rc == QF_OK)
        rc = qf_of_str(o, "status", true, what, &st, err);
    if (rc != QF_OK)
        return rc;
    r->filled_qty = isnan(filled) ? 0 : filled;
    if (!qf_coinbase_status(st, r->filled_qty, &r->status))
        return qf_err_set(err, QF_EPARSE, "%s: field status: unknown status \"%.24s\"", what, st);
    r->avg_fill_price = r->filled_qty > 0 && avg > 0 ? avg : NAN;
    r->cum_quote = !isnan(value)               ? value
                   : !isnan(r->avg_fill_price) ? r->filled_qty * r->avg_fill_price
                                               : 0;
    if (isnan(r->quantity)) /* a market buy sized in quote: what filled is the size */
        r->quantity = r->filled_qty;
    r->update_time = last_fill != 0 ? last_fill : created;
    return QF_OK;
}

qf_rc qf_coinbase_parse_create(const char *body, size_t len, const char *what, char *out_order_id,
                               size_t size, qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    bool ok = false;
    rc = qf_of_bool(root, "success", true, what, false, &ok, err);
    if (rc == QF_OK && ok) {
        const json_t *sr = json_object_get(root, "success_response");
        char id[QF_VENUE_ORDER_ID_MAX];
        if (json_is_object(sr))
            rc = qf_of_copy(sr, "order_id", true, what, id, sizeof id, err);
        else
            rc = qf_of_copy(root, "order_id", true, what, id, sizeof id, err);
        if (rc == QF_OK && id[0] == '\0')
            rc = qf_err_set(err, QF_EPARSE, "%s: field order_id is empty", what);
        if (rc == QF_OK && strlen(id) >= size)
            rc = qf_err_set(err, QF_ERANGE, "%s: order id too long", what);
        if (rc == QF_OK)
            memcpy(out_order_id, id, strlen(id) + 1);
    } else if (rc == QF_OK) {
        const json_t *er = json_object_get(root, "error_response");
        const char *reason = NULL;
        const char *message = NULL;
        if (json_is_object(er)) {
            const char *keys[] = {"new_order_failure_reason", "preview_failure_reason", "error"};
            for (size_t i = 0; i < 3 && reason == NULL; i++) {
                const json_t *v = json_object_get(er, keys[i]);
                if (json_is_string(v) && json_string_length(v) > 0 &&
                    strstr(json_string_value(v), "UNKNOWN_") == NULL)
                    reason = json_string_value(v);
            }
            message = json_string_value(json_object_get(er, "message"));
        }
        if (reason == NULL)
            reason = json_string_value(json_object_get(root, "failure_reason"));
        rc = qf_err_set(err, QF_EREJECTED, "coinbase %.60s: %.120s",
                        reason != NULL ? reason : "order rejected",
                        message != NULL ? message : "no message");
    }
    json_decref(root);
    return rc;
}

qf_rc qf_coinbase_parse_order(const char *body, size_t len, const char *what, qf_order_report *out,
                              qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    qf_order_report r;
    const json_t *o = json_object_get(root, "order");
    if (o == NULL)
        rc = qf_err_set(err, QF_EPARSE, "%s: field order is missing", what);
    else
        rc = order_fields(o, what, &r, err);
    json_decref(root);
    if (rc == QF_OK)
        *out = r;
    return rc;
}

qf_rc qf_coinbase_parse_orders(const char *body, size_t len, const char *what,
                               qf_order_report **out, size_t *out_n, bool *out_has_next,
                               char *out_cursor, size_t cursor_size, size_t *out_skipped,
                               qf_err *err)
{
    size_t skipped = 0;
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    const json_t *a = NULL;
    bool has_next = false;
    char cursor[QF_COINBASE_CURSOR_MAX];
    qf_order_report *r = NULL;
    size_t n = 0;
    rc = array_field(root, "orders", what, &a, err);
    if (rc == QF_OK)
        rc = paging(root, what, &has_next, cursor, sizeof cursor, err);
    if (rc == QF_OK && a != NULL && json_array_size(a) > 0) {
        n = json_array_size(a);
        r = calloc(n, sizeof *r);
        if (r == NULL)
            rc = qf_err_set(err, QF_ENOMEM, "%s: out of memory", what);
        size_t kept = 0;
        qf_err first;
        for (size_t i = 0; rc == QF_OK && i < n; i++) {
            qf_err one;
            qf_rc orc = order_fields(json_array_get(a, i), what, &r[kept], &one);
            if (orc == QF_OK) {
                kept++;
            } else if (out_skipped != NULL && orc == QF_EPARSE) {
                if (skipped++ == 0)
                    first = one;
            } else {
                rc = qf_err_set(err, orc, "%s", one.msg);
            }
        }
        /* Not one order readable: a garbled reply, not a foreign order. */
        if (rc == QF_OK && kept == 0 && skipped > 0)
            rc = qf_err_set(err, QF_EPARSE, "%s", first.msg);
        n = kept;
    }
    json_decref(root);
    if (rc == QF_OK && strlen(cursor) >= cursor_size)
        rc = qf_err_set(err, QF_EPARSE, "%s: field cursor is too long", what);
    if (rc != QF_OK) {
        free(r);
        return rc;
    }
    *out = r;
    *out_n = n;
    *out_has_next = has_next;
    memcpy(out_cursor, cursor, strlen(cursor) + 1);
    if (out_skipped != NULL)
        *out_skipped = skipped;
    return QF_OK;
}

static qf_rc fill_fields(const json_t *f, const char *what, const char *client_id, qf_trade *t,
                         qf_err *err)
{
    memset(t, 0, sizeof *t);
    if (!json_is_object(f))
        return qf_err_set(err, QF_EPARSE, "%s: field fills: expected objects, got %s", what,
                          qf_venue_json_kind(f));
    bool in_quote = false;
    const char *liq = NULL;
    qf_rc rc = qf_of_copy(f, "trade_id", true, what, t->trade_id, sizeof t->trade_id, err);
    if (rc == QF_OK)
        rc =
            qf_of_copy(f, "order_id", true, what, t->venue_order_id, sizeof t->venue_order_id, err);
    if (rc == QF_OK)
        rc = field_product(f, what, t->symbol, err);
    if (rc == QF_OK)
        rc = field_side(f, what, &t->side, err);
    if (rc == QF_OK)
        rc = qf_of_dec(f, "price", true, what, &t->price, err);
    if (rc == QF_OK)
        rc = qf_of_dec(f, "size", true, what, &t->quantity, err);
    if (rc == QF_OK)
        rc = qf_of_dec(f, "commission", true, what, &t->fee, err);
    if (rc == QF_OK)
        rc = qf_of_bool(f, "size_in_quote", false, what, false, &in_quote, err);
    if (rc == QF_OK)
        rc = qf_of_str(f, "liquidity_indicator", false, what, &liq, err);
    if (rc == QF_OK)
        rc = field_time(f, "trade_time", what, &t->time, err);
    if (rc != QF_OK)
        return rc;
    if (in_quote) {
        if (!(t->price > 0))
            return qf_err_set(err, QF_EPARSE, "%s: field price: a quote-sized fill needs a price",
                              what);
        t->quantity /= t->price;
    }
    t->maker = liq != NULL && strcmp(liq, "MAKER") == 0;
    /* Advanced Trade charges the commission in the quote currency. */
    const char *slash = strchr(t->symbol, '/');
    snprintf(t->fee_asset, sizeof t->fee_asset, "%s", slash != NULL ? slash + 1 : "");
    snprintf(t->client_id, sizeof t->client_id, "%s", client_id != NULL ? client_id : "");
    return QF_OK;
}

qf_rc qf_coinbase_parse_fills(const char *body, size_t len, const char *what, const char *client_id,
                              qf_trade **out, size_t *out_n, char *out_cursor, size_t cursor_size,
                              qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    const json_t *a = NULL;
    char cursor[QF_COINBASE_CURSOR_MAX];
    qf_trade *t = NULL;
    size_t n = 0;
    rc = array_field(root, "fills", what, &a, err);
    if (rc == QF_OK)
        rc = qf_of_copy(root, "cursor", false, what, cursor, sizeof cursor, err);
    if (rc == QF_OK && a != NULL && json_array_size(a) > 0) {
        n = json_array_size(a);
        t = calloc(n, sizeof *t);
        if (t == NULL)
            rc = qf_err_set(err, QF_ENOMEM, "%s: out of memory", what);
        for (size_t i = 0; rc == QF_OK && i < n; i++)
            rc = fill_fields(json_array_get(a, i), what, client_id, &t[i], err);
    }
    json_decref(root);
    if (rc == QF_OK && strlen(cursor) >= cursor_size)
        rc = qf_err_set(err, QF_EPARSE, "%s: field cursor is too long", what);
    if (rc != QF_OK) {
        free(t);
        return rc;
    }
    *out = t;
    *out_n = n;
    memcpy(out_cursor, cursor, strlen(cursor) + 1);
    return QF_OK;
}

/* {"value": "1.5", "currency": "BTC"} */
static qf_rc money(const json_t *o, const char *field, const char *what, double *out, qf_err *err)
{
    const json_t *m = json_object_get(o, field);
    if (m == NULL || json_is_null(m)) {
        *out = 0;
        return QF_OK;
    }
    if (!json_is_object(m))
        return qf_err_set(err, QF_EPARSE, "%s: field %s: expected an object, got %s", what, field,
                          qf_venue_json_kind(m));
    return qf_of_dec(m, "value", true, what, out, err);
}

qf_rc qf_coinbase_parse_accounts(const char *body, size_t len, const char *what, qf_balance **out,
                                 size_t *out_n, bool *out_has_next, char *out_cursor,
                                 size_t cursor_size, qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    const json_t *a = NULL;
    bool has_next = false;
    char cursor[QF_COINBASE_CURSOR_MAX];
    qf_balance *b = NULL;
    size_t k = 0;
    rc = array_field(root, "accounts", what, &a, err);
    if (rc == QF_OK && a == NULL)
        rc = qf_err_set(err, QF_EPARSE, "%s: field accounts is missing", what);
    if (rc == QF_OK)
        rc = paging(root, what, &has_next, cursor, sizeof cursor, err);
    size_t n = rc == QF_OK ? json_array_size(a) : 0;
    if (n > 0) {
        b = calloc(n, sizeof *b);
        if (b == NULL)
            rc = qf_err_set(err, QF_ENOMEM, "%s: out of memory", what);
    }
    for (size_t i = 0; rc == QF_OK && i < n; i++) {
        const json_t *o = json_array_get(a, i);
        rc = qf_of_copy(o, "currency", true, what, b[k].asset, sizeof b[k].asset, err);
        if (rc == QF_OK)
            rc = money(o, "available_balance", what, &b[k].free, err);
        if (rc == QF_OK)
            rc = money(o, "hold", what, &b[k].locked, err);
        if (rc == QF_OK && (b[k].free != 0 || b[k].locked != 0))
            k++;
    }
    json_decref(root);
    if (rc == QF_OK && strlen(cursor) >= cursor_size)
        rc = qf_err_set(err, QF_EPARSE, "%s: field cursor is too long", what);
    if (rc != QF_OK || k == 0) {
        free(b);
        b = NULL;
    }
    if (rc != QF_OK)
        return rc;
    *out = b;
    *out_n = k;
    *out_has_next = has_next;
    memcpy(out_cursor, cursor, strlen(cursor) + 1);
    return QF_OK;
}

qf_rc qf_coinbase_parse_cancel(const char *body, size_t len, const char *what, const char *order_id,
                               qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    const json_t *a = NULL;
    rc = array_field(root, "results", what, &a, err);
    const json_t *mine = NULL;
    for (size_t i = 0; rc == QF_OK && a != NULL && i < json_array_size(a); i++) {
        const char *id = NULL;
        rc = qf_of_str(json_array_get(a, i), "order_id", true, what, &id, err);
        if (rc == QF_OK && strcmp(id, order_id) == 0)
            mine = json_array_get(a, i);
    }
    if (rc == QF_OK && mine == NULL)
        rc = qf_err_set(err, QF_EPARSE, "%s: no result for order %s", what, order_id);
    bool ok = false;
    const char *reason = NULL;
    if (rc == QF_OK)
        rc = qf_of_bool(mine, "success", true, what, false, &ok, err);
    if (rc == QF_OK)
        rc = qf_of_str(mine, "failure_reason", false, what, &reason, err);
    if (rc == QF_OK && !ok) {
        bool unknown = reason != NULL && (strstr(reason, "UNKNOWN_CANCEL_ORDER") != NULL ||
                                          strstr(reason, "NOT_FOUND") != NULL);
        rc = qf_err_set(err, unknown ? QF_ENOTFOUND : QF_EREJECTED, "coinbase cancel: %.80s",
                        reason != NULL ? reason : "failed");
    }
    json_decref(root);
    return rc;
}

qf_rc qf_coinbase_parse_permissions(const char *body, size_t len, const char *what,
                                    qf_account_info *out, qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    qf_account_info a;
    memset(&a, 0, sizeof a);
    bool view = false;
    const char *ptype = NULL;
    rc = qf_of_bool(root, "can_view", true, what, false, &view, err);
    if (rc == QF_OK)
        rc = qf_of_bool(root, "can_trade", true, what, false, &a.can_trade, err);
    if (rc == QF_OK)
        rc = qf_of_bool(root, "can_transfer", false, what, false, &a.can_withdraw, err);
    if (rc == QF_OK)
        rc = qf_of_str(root, "portfolio_type", false, what, &ptype, err);
    json_decref(root);
    if (rc != QF_OK)
        return rc;
    snprintf(a.permissions, sizeof a.permissions, "%s%s%s%s%s", view ? "view" : "",
             view && a.can_trade ? "," : "", a.can_trade ? "trade" : "",
             (view || a.can_trade) && a.can_withdraw ? "," : "", a.can_withdraw ? "transfer" : "");
    a.can_deposit = a.can_withdraw;
    a.maker_fee = NAN;
    a.taker_fee = NAN;
    *out = a;
    return QF_OK;
}
