/*
 * binance_order_parse.c - Binance Spot order, trade and account replies to
 * QuantFlow's types (binance_order_parse.h). Pure: no I/O.
 *
 * Each parser fills local copies and hands them over only when the whole
 * reply was read, so a failure leaves the caller's variables as they were.
 */
#include "market/binance_order_parse.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "market/order_fields.h"

bool qf_binance_status(const char *s, qf_order_status *out)
{
    static const struct {
        const char *name;
        qf_order_status st;
    } map[] = {
        {"NEW", QF_ORDER_OPEN},
        {"PENDING_NEW", QF_ORDER_UNCONFIRMED},
        {"PARTIALLY_FILLED", QF_ORDER_PARTIALLY_FILLED},
        {"FILLED", QF_ORDER_FILLED},
        {"CANCELED", QF_ORDER_CANCELLED},
        {"PENDING_CANCEL", QF_ORDER_OPEN},
        {"REJECTED", QF_ORDER_REJECTED},
        {"EXPIRED", QF_ORDER_EXPIRED},
        {"EXPIRED_IN_MATCH", QF_ORDER_EXPIRED},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(s, map[i].name) == 0) {
            *out = map[i].st;
            return true;
        }
    }
    return false;
}

static qf_rc field_side(const json_t *o, const char *field, const char *what, qf_side *out,
                        qf_err *err)
{
    const char *s = NULL;
    qf_rc rc = qf_of_str(o, field, true, what, &s, err);
    if (rc != QF_OK)
        return rc;
    if (strcmp(s, "BUY") == 0)
        *out = QF_SIDE_BUY;
    else if (strcmp(s, "SELL") == 0)
        *out = QF_SIDE_SELL;
    else
        return qf_err_set(err, QF_EPARSE, "%s: field %s: unknown side \"%.20s\"", what, field, s);
    return QF_OK;
}

static qf_rc field_type(const json_t *o, const char *what, qf_order_type *out, qf_err *err)
{
    const char *s = NULL;
    qf_rc rc = qf_of_str(o, "type", true, what, &s, err);
    if (rc != QF_OK)
        return rc;
    if (strcmp(s, "MARKET") == 0 || strcmp(s, "STOP_LOSS") == 0 || strcmp(s, "TAKE_PROFIT") == 0)
        *out = QF_ORDER_MARKET;
    else if (strcmp(s, "LIMIT") == 0 || strcmp(s, "LIMIT_MAKER") == 0 ||
             strcmp(s, "STOP_LOSS_LIMIT") == 0 || strcmp(s, "TAKE_PROFIT_LIMIT") == 0)
        *out = QF_ORDER_LIMIT;
    else
        return qf_err_set(err, QF_EPARSE, "%s: field type: unknown order type \"%.24s\"", what, s);
    return QF_OK;
}

/* "BTCUSDT" -> "BTC/USDT" into out (QF_SYMBOL_MAX). */
static qf_rc field_symbol(const json_t *o, const char *what, char *out, qf_err *err)
{
    const char *s = NULL;
    qf_rc rc = qf_of_str(o, "symbol", true, what, &s, err);
    if (rc != QF_OK)
        return rc;
    if (qf_symbol_from_concat(s, out, QF_SYMBOL_MAX, NULL) != QF_OK)
        return qf_err_set(err, QF_EPARSE, "%s: field symbol: \"%.24s\" is not a known symbol", what,
                          s);
    return QF_OK;
}

/* An id the venue sends as a JSON integer, as a decimal string. */
static qf_rc field_id(const json_t *o, const char *field, const char *what, char *out, size_t size,
                      qf_err *err)
{
    int64_t id = 0;
    qf_rc rc = qf_of_int(o, field, true, what, 0, &id, err);
    if (rc != QF_OK)
        return rc;
    snprintf(out, size, "%" PRId64, id);
    return QF_OK;
}

static qf_rc order_fields(const json_t *o, const char *what, qf_order_report *r, qf_err *err)
{
    memset(r, 0, sizeof *r);
    const char *st = NULL;
    int64_t t1 = 0;
    int64_t t2 = 0;
    int64_t t3 = 0;
    double price = NAN;
    qf_rc rc = field_symbol(o, what, r->symbol, err);
    if (rc == QF_OK)
        rc = field_id(o, "orderId", what, r->venue_order_id, sizeof r->venue_order_id, err);
    if (rc == QF_OK && json_object_get(o, "origClientOrderId") != NULL)
        rc = qf_of_copy(o, "origClientOrderId", true, what, r->client_id, sizeof r->client_id, err);
    else if (rc == QF_OK)
        rc = qf_of_copy(o, "clientOrderId", true, what, r->client_id, sizeof r->client_id, err);
    if (rc == QF_OK)
        rc = qf_of_str(o, "status", true, what, &st, err);
    if (rc == QF_OK && !qf_binance_status(st, &r->status))
        rc = qf_err_set(err, QF_EPARSE, "%s: field status: unknown status \"%.24s\"", what, st);
    if (rc == QF_OK)
        rc = field_side(o, "side", what, &r->side, err);
    if (rc == QF_OK)
        rc = field_type(o, what, &r->type, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "origQty", true, what, &r->quantity, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "executedQty", true, what, &r->filled_qty, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "cummulativeQuoteQty", true, what, &r->cum_quote, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "price", false, what, &price, err);
    if (rc == QF_OK)
        rc = qf_of_int(o, "updateTime", false, what, 0, &t1, err);
    if (rc == QF_OK)
        rc = qf_of_int(o, "transactTime", false, what, 0, &t2, err);
    if (rc == QF_OK)
        rc = qf_of_int(o, "time", false, what, 0, &t3, err);
    if (rc != QF_OK)
        return rc;
    /* Market orders carry price "0.00000000". */
    r->limit_price = r->type == QF_ORDER_LIMIT && price > 0 ? price : NAN;
    r->avg_fill_price = r->filled_qty > 0 ? r->cum_quote / r->filled_qty : NAN;
    r->update_time = t1 != 0 ? t1 : t2 != 0 ? t2 : t3;
    return QF_OK;
}

static qf_rc fill_fields(const json_t *f, const qf_order_report *r, int64_t time, const char *what,
                         qf_trade *t, qf_err *err)
{
    memset(t, 0, sizeof *t);
    if (!json_is_object(f))
        return qf_err_set(err, QF_EPARSE, "%s: field fills: expected objects, got %s", what,
                          qf_venue_json_kind(f));
    qf_rc rc = field_id(f, "tradeId", what, t->trade_id, sizeof t->trade_id, err);
    if (rc == QF_OK)
        rc = qf_of_dec(f, "price", true, what, &t->price, err);
    if (rc == QF_OK)
        rc = qf_of_dec(f, "qty", true, what, &t->quantity, err);
    if (rc == QF_OK)
        rc = qf_of_dec(f, "commission", true, what, &t->fee, err);
    if (rc == QF_OK)
        rc = qf_of_copy(f, "commissionAsset", true, what, t->fee_asset, sizeof t->fee_asset, err);
    if (rc != QF_OK)
        return rc;
    memcpy(t->client_id, r->client_id, sizeof t->client_id);
    memcpy(t->venue_order_id, r->venue_order_id, sizeof t->venue_order_id);
    memcpy(t->symbol, r->symbol, sizeof t->symbol);
    t->side = r->side;
    t->time = time;
    return QF_OK;
}

static qf_rc parse_fills(const json_t *o, const qf_order_report *r, const char *what,
                         qf_trade **out, size_t *out_n, qf_err *err)
{
    const json_t *fills = json_object_get(o, "fills");
    *out = NULL;
    *out_n = 0;
    if (fills == NULL || json_is_null(fills))
        return QF_OK;
    if (!json_is_array(fills))
        return qf_err_set(err, QF_EPARSE, "%s: field fills: expected an array, got %s", what,
                          qf_venue_json_kind(fills));
    size_t n = json_array_size(fills);
    if (n == 0)
        return QF_OK;
    qf_trade *t = calloc(n, sizeof *t);
    if (t == NULL)
        return qf_err_set(err, QF_ENOMEM, "%s: out of memory", what);
    for (size_t i = 0; i < n; i++) {
        qf_rc rc = fill_fields(json_array_get(fills, i), r, r->update_time, what, &t[i], err);
        if (rc != QF_OK) {
            free(t);
            return rc;
        }
    }
    *out = t;
    *out_n = n;
    return QF_OK;
}

qf_rc qf_binance_parse_order(const char *body, size_t len, const char *what, qf_order_report *out,
                             qf_trade **out_trades, size_t *out_n_trades, qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    qf_order_report r;
    qf_trade *t = NULL;
    size_t n = 0;
    rc = order_fields(root, what, &r, err);
    if (rc == QF_OK && out_trades != NULL)
        rc = parse_fills(root, &r, what, &t, &n, err);
    json_decref(root);
    if (rc != QF_OK)
        return rc;
    *out = r;
    if (out_trades != NULL) {
        *out_trades = t;
        *out_n_trades = n;
    }
    return QF_OK;
}

qf_rc qf_binance_parse_orders(const char *body, size_t len, const char *what, qf_order_report **out,
                              size_t *out_n, qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_ARRAY, &root, err);
    if (rc != QF_OK)
        return rc;
    size_t n = json_array_size(root);
    qf_order_report *r = n > 0 ? calloc(n, sizeof *r) : NULL;
    if (n > 0 && r == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "%s: out of memory", what);
    for (size_t i = 0; rc == QF_OK && i < n; i++) {
        const json_t *o = json_array_get(root, i);
        if (!json_is_object(o))
            rc = qf_err_set(err, QF_EPARSE, "%s: element %zu: expected an object, got %s", what, i,
                            qf_venue_json_kind(o));
        else
            rc = order_fields(o, what, &r[i], err);
    }
    json_decref(root);
    if (rc != QF_OK) {
        free(r);
        return rc;
    }
    *out = r;
    *out_n = n;
    return QF_OK;
}

static qf_rc trade_row(const json_t *o, const char *what, const char *client_id, qf_trade *t,
                       qf_err *err)
{
    memset(t, 0, sizeof *t);
    bool buyer = false;
    qf_rc rc = field_symbol(o, what, t->symbol, err);
    if (rc == QF_OK)
        rc = field_id(o, "id", what, t->trade_id, sizeof t->trade_id, err);
    if (rc == QF_OK)
        rc = field_id(o, "orderId", what, t->venue_order_id, sizeof t->venue_order_id, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "price", true, what, &t->price, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "qty", true, what, &t->quantity, err);
    if (rc == QF_OK)
        rc = qf_of_dec(o, "commission", true, what, &t->fee, err);
    if (rc == QF_OK)
        rc = qf_of_copy(o, "commissionAsset", true, what, t->fee_asset, sizeof t->fee_asset, err);
    if (rc == QF_OK)
        rc = qf_of_int(o, "time", true, what, 0, &t->time, err);
    if (rc == QF_OK)
        rc = qf_of_bool(o, "isBuyer", true, what, false, &buyer, err);
    if (rc == QF_OK)
        rc = qf_of_bool(o, "isMaker", false, what, false, &t->maker, err);
    if (rc != QF_OK)
        return rc;
    t->side = buyer ? QF_SIDE_BUY : QF_SIDE_SELL;
    snprintf(t->client_id, sizeof t->client_id, "%s", client_id != NULL ? client_id : "");
    return QF_OK;
}

qf_rc qf_binance_parse_trades(const char *body, size_t len, const char *what, const char *order_id,
                              const char *client_id, qf_trade **out, size_t *out_n, qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_ARRAY, &root, err);
    if (rc != QF_OK)
        return rc;
    size_t n = json_array_size(root);
    qf_trade *t = n > 0 ? calloc(n, sizeof *t) : NULL;
    size_t k = 0;
    if (n > 0 && t == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "%s: out of memory", what);
    for (size_t i = 0; rc == QF_OK && i < n; i++) {
        const json_t *o = json_array_get(root, i);
        if (!json_is_object(o)) {
            rc = qf_err_set(err, QF_EPARSE, "%s: element %zu: expected an object, got %s", what, i,
                            qf_venue_json_kind(o));
            break;
        }
        rc = trade_row(o, what, client_id, &t[k], err);
        if (rc == QF_OK && (order_id == NULL || strcmp(t[k].venue_order_id, order_id) == 0))
            k++;
    }
    json_decref(root);
    if (rc != QF_OK || k == 0) {
        free(t);
        t = NULL;
    }
    if (rc != QF_OK)
        return rc;
    *out = t;
    *out_n = k;
    return QF_OK;
}

static qf_rc permissions_of(const json_t *root, const char *what, char *out, size_t size,
                            qf_err *err)
{
    const json_t *p = json_object_get(root, "permissions");
    out[0] = '\0';
    if (p == NULL || json_is_null(p))
        return QF_OK;
    if (!json_is_array(p))
        return qf_err_set(err, QF_EPARSE, "%s: field permissions: expected an array, got %s", what,
                          qf_venue_json_kind(p));
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(p); i++) {
        const json_t *s = json_array_get(p, i);
        if (!json_is_string(s))
            return qf_err_set(err, QF_EPARSE, "%s: field permissions: expected strings, got %s",
                              what, qf_venue_json_kind(s));
        int n =
            snprintf(out + used, size - used, "%s%s", used > 0 ? "," : "", json_string_value(s));
        if (n < 0 || (size_t)n >= size - used)
            break; /* the list is informative: keep what fits */
        used += (size_t)n;
    }
    return QF_OK;
}

static qf_rc fees_of(const json_t *root, const char *what, qf_account_info *a, qf_err *err)
{
    const json_t *rates = json_object_get(root, "commissionRates");
    if (rates != NULL && !json_is_null(rates)) {
        if (!json_is_object(rates))
            return qf_err_set(err, QF_EPARSE,
                              "%s: field commissionRates: expected an object, got %s", what,
                              qf_venue_json_kind(rates));
        qf_rc rc = qf_of_dec(rates, "maker", true, what, &a->maker_fee, err);
        if (rc == QF_OK)
            rc = qf_of_dec(rates, "taker", true, what, &a->taker_fee, err);
        return rc;
    }
    /* Older replies: makerCommission / takerCommission in bps as integers. */
    int64_t m = -1;
    int64_t t = -1;
    qf_rc rc = qf_of_int(root, "makerCommission", false, what, -1, &m, err);
    if (rc == QF_OK)
        rc = qf_of_int(root, "takerCommission", false, what, -1, &t, err);
    a->maker_fee = m >= 0 ? (double)m / 10000.0 : NAN;
    a->taker_fee = t >= 0 ? (double)t / 10000.0 : NAN;
    return rc;
}

static qf_rc balances_of(const json_t *root, const char *what, qf_balance **out, size_t *out_n,
                         qf_err *err)
{
    const json_t *b = json_object_get(root, "balances");
    if (!json_is_array(b))
        return b == NULL
                   ? qf_err_set(err, QF_EPARSE, "%s: field balances is missing", what)
                   : qf_err_set(err, QF_EPARSE, "%s: field balances: expected an array, got %s",
                                what, qf_venue_json_kind(b));
    size_t n = json_array_size(b);
    qf_balance *v = n > 0 ? calloc(n, sizeof *v) : NULL;
    if (n > 0 && v == NULL)
        return qf_err_set(err, QF_ENOMEM, "%s: out of memory", what);
    size_t k = 0;
    qf_rc rc = QF_OK;
    for (size_t i = 0; rc == QF_OK && i < n; i++) {
        const json_t *o = json_array_get(b, i);
        rc = qf_of_copy(o, "asset", true, what, v[k].asset, sizeof v[k].asset, err);
        if (rc == QF_OK)
            rc = qf_of_dec(o, "free", true, what, &v[k].free, err);
        if (rc == QF_OK)
            rc = qf_of_dec(o, "locked", true, what, &v[k].locked, err);
        if (rc == QF_OK && (v[k].free != 0 || v[k].locked != 0))
            k++;
    }
    if (rc != QF_OK || k == 0) {
        free(v);
        v = NULL;
    }
    if (rc != QF_OK)
        return rc;
    *out = v;
    *out_n = k;
    return QF_OK;
}

qf_rc qf_binance_parse_account(const char *body, size_t len, const char *what,
                               qf_account_info *out_info, qf_balance **out_balances, size_t *out_n,
                               qf_err *err)
{
    json_t *root = NULL;
    qf_rc rc = qf_of_load(body, len, what, JSON_OBJECT, &root, err);
    if (rc != QF_OK)
        return rc;
    qf_account_info a;
    memset(&a, 0, sizeof a);
    qf_balance *b = NULL;
    size_t n = 0;
    rc = qf_of_bool(root, "canTrade", true, what, false, &a.can_trade, err);
    if (rc == QF_OK)
        rc = qf_of_bool(root, "canWithdraw", false, what, false, &a.can_withdraw, err);
    if (rc == QF_OK)
        rc = qf_of_bool(root, "canDeposit", false, what, false, &a.can_deposit, err);
    if (rc == QF_OK)
        rc = permissions_of(root, what, a.permissions, sizeof a.permissions, err);
    if (rc == QF_OK)
        rc = fees_of(root, what, &a, err);
    if (rc == QF_OK)
        rc = balances_of(root, what, &b, &n, err);
    json_decref(root);
    if (rc != QF_OK)
        return rc;
    if (out_info != NULL)
        *out_info = a;
    if (out_balances != NULL) {
        *out_balances = b;
        *out_n = n;
    } else {
        free(b);
    }
    return QF_OK;
}
