/*
 * mock_binance_orders.c - Binance SIGNED endpoints: POST/GET/DELETE
 * /api/v3/order, POST /api/v3/order/test, GET /api/v3/openOrders,
 * /api/v3/account and /api/v3/myTrades.
 *
 * Every signed request is checked in Binance's order: API key header
 * (-2014 missing or malformed, -2015 unknown), mandatory timestamp and
 * signature (-1102), recvWindow <= 60000 (-1131), the timestamp against the
 * mock clock (-1021), then HMAC-SHA256 over the query string followed by
 * the body exactly as sent, the signature parameter taken out (-1022).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mock/mock_int.h"

#define MAX_OPEN_PER_SYMBOL 200
#define ORDERS_10S          100
#define ORDERS_1D           200000

static void missing(mock_resp *out, const char *name)
{
    resp_binance_err(out, 400, -1102,
                     "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name);
}

/* s without its "signature=..." parameter, into dst (same size as s). */
static void strip_signature(const char *s, char *dst)
{
    dst[0] = '\0';
    const char *p = s;
    bool first = true;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (!(n >= 10 && strncmp(p, "signature=", 10) == 0)) {
            if (!first)
                strcat(dst, "&");
            strncat(dst, p, n);
            first = false;
        }
        p = amp ? amp + 1 : NULL;
    }
}

static bool signature_ok(const mock_req *r, const char *sig)
{
    size_t ql = strlen(r->query), bl = strlen(r->body);
    char *payload = malloc(ql + bl + 2), *q = malloc(ql + 1), *b = malloc(bl + 1);
    bool ok = false;
    if (payload && q && b) {
        strip_signature(r->query, q);
        strip_signature(r->body, b);
        snprintf(payload, ql + bl + 2, "%s%s", q, b);
        unsigned char md[32];
        unsigned int len = 0;
        HMAC(EVP_sha256(), QF_MOCK_BINANCE_SECRET, (int)strlen(QF_MOCK_BINANCE_SECRET),
             (const unsigned char *)payload, strlen(payload), md, &len);
        char hex[65];
        for (unsigned i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        ok = strlen(sig) == 64 && strcasecmp(hex, sig) == 0;
    }
    free(payload);
    free(q);
    free(b);
    return ok;
}

/* Authenticates a SIGNED request; answers the error and returns false. */
static bool authenticate(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    if (!r->apikey || !*r->apikey || strlen(r->apikey) > 128) {
        resp_binance_err(out, 401, -2014, "API-key format invalid.");
        return false;
    }
    if (strcmp(r->apikey, QF_MOCK_BINANCE_KEY) != 0) {
        resp_binance_err(out, 401, -2015, "Invalid API-key, IP, or permissions for action.");
        return false;
    }
    const char *ts = req_param(r, "timestamp"), *sig = req_param(r, "signature");
    const char *rw = req_param(r, "recvWindow");
    int64_t t, window = 5000;
    if (!ts || !mock_parse_i64(ts, &t)) {
        missing(out, "timestamp");
        return false;
    }
    if (!sig || !*sig) {
        missing(out, "signature");
        return false;
    }
    if (rw && (!mock_parse_i64(rw, &window) || window < 0)) {
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter 'recvWindow'; legal range is "
                         "'^[0-9]{1,20}$'.");
        return false;
    }
    if (window > 60000) {
        resp_binance_err(out, 400, -1131, "recvWindow must be less than 60000");
        return false;
    }
    if (t >= 1000000000000000LL) /* microseconds */
        t /= 1000;
    if (t >= now + 1000) {
        resp_binance_err(out, 400, -1021,
                         "Timestamp for this request was 1000ms ahead of the server's time.");
        return false;
    }
    if (now - t > window) {
        resp_binance_err(out, 400, -1021,
                         "Timestamp for this request is outside of the recvWindow.");
        return false;
    }
    if (!signature_ok(r, sig)) {
        resp_binance_err(out, 400, -1022, "Signature for this request is not valid.");
        return false;
    }
    (void)m;
    return true;
}

static const char *status_name(mock_ostatus s)
{
    static const char *names[] = {"NEW",      "PARTIALLY_FILLED", "FILLED",
                                  "CANCELED", "EXPIRED",          "REJECTED"};
    return names[s];
}

static const char *tif_name(mock_tif t)
{
    return t == MO_IOC ? "IOC" : t == MO_FOK ? "FOK" : "GTC";
}

/* The fields every order reply shares (RESULT shape). */
static json_t *result_json(const qf_mock *m, const mock_order *o)
{
    const mock_symbol *s = &m->syms[o->sym];
    return json_pack("{s:s,s:I,s:i,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:I,s:s}", "symbol",
                     s->name, "orderId", (json_int_t)o->id, "orderListId", -1, "clientOrderId",
                     o->client_id, "transactTime", (json_int_t)o->time, "price",
                     json_units(o->price), "origQty", json_units(o->orig_qty), "executedQty",
                     json_units(o->exec_qty), "origQuoteOrderQty", json_units(o->orig_quote),
                     "cummulativeQuoteQty", json_units(o->cum_quote), "status",
                     status_name(o->status), "timeInForce", tif_name(o->tif), "type",
                     o->market ? "MARKET" : "LIMIT", "side", o->buy ? "BUY" : "SELL", "workingTime",
                     (json_int_t)o->time, "selfTradePreventionMode", "EXPIRE_MAKER");
}

json_t *mock_binance_order_json(const qf_mock *m, const mock_order *o)
{
    const mock_symbol *s = &m->syms[o->sym];
    return json_pack(
        "{s:s,s:I,s:i,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:b,s:I,"
        "s:o,s:s}",
        "symbol", s->name, "orderId", (json_int_t)o->id, "orderListId", -1, "clientOrderId",
        o->client_id, "price", json_units(o->price), "origQty", json_units(o->orig_qty),
        "executedQty", json_units(o->exec_qty), "cummulativeQuoteQty", json_units(o->cum_quote),
        "status", status_name(o->status), "timeInForce", tif_name(o->tif), "type",
        o->market ? "MARKET" : "LIMIT", "side", o->buy ? "BUY" : "SELL", "stopPrice", json_units(0),
        "icebergQty", json_units(0), "time", (json_int_t)o->time, "updateTime",
        (json_int_t)o->update_time, "isWorking", mock_order_open(o) || o->status == MO_FILLED,
        "workingTime", (json_int_t)o->time, "origQuoteOrderQty", json_units(o->orig_quote),
        "selfTradePreventionMode", "EXPIRE_MAKER");
}

/* A decimal parameter: -1100 bad format, -1111 too precise. */
static bool decimal_param(const mock_req *r, const char *name, mock_u *v, bool *present,
                          mock_resp *out)
{
    const char *s = req_param(r, name);
    *present = s != NULL;
    if (!s)
        return true;
    int rc = mock_parse_units(s, v);
    if (rc == -2) {
        resp_binance_err(out, 400, -1111, "Parameter '%s' has too much precision.", name);
        return false;
    }
    if (rc != 0) {
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter '%s'; legal range is "
                         "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
                         name);
        return false;
    }
    return true;
}

static bool client_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 36)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

static bool filter_fail(mock_resp *out, const char *filter)
{
    resp_binance_err(out, 400, -1013, "Filter failure: %s", filter);
    return false;
}

/* Checks the symbol's filters; answers -1013 and returns false. */
static bool filters_ok(const qf_mock *m, const mock_order *o, int64_t now, mock_resp *out)
{
    const mock_symbol *s = &m->syms[o->sym];
    if (!o->market &&
        (o->price < s->min_price || o->price > s->max_price || (o->price - s->min_price) % s->tick))
        return filter_fail(out, "PRICE_FILTER");
    if (o->orig_qty && (o->orig_qty < s->min_qty || o->orig_qty > s->max_qty ||
                        (o->orig_qty - s->min_qty) % s->step))
        return filter_fail(out, "LOT_SIZE");
    mock_u ref = o->market ? mock_price_at(s, now) : o->price;
    mock_u notional = o->orig_quote ? o->orig_quote : mock_mul(ref, o->orig_qty);
    if (notional < s->min_notional || (!o->market && notional > s->max_notional))
        return filter_fail(out, "NOTIONAL");
    int open = 0;
    for (size_t i = 0; i < m->norders; i++)
        if (m->orders[i].sym == o->sym && mock_order_open(&m->orders[i]))
            open++;
    if (!o->market && open >= MAX_OPEN_PER_SYMBOL)
        return filter_fail(out, "MAX_NUM_ORDERS");
    return true;
}

/* Parses a new order into o; answers the error and returns false. */
static bool parse_order(qf_mock *m, const mock_req *r, int64_t now, mock_order *o, mock_resp *out)
{
    memset(o, 0, sizeof *o);
    o->sym = mock_binance_symbol(m, r, out);
    if (o->sym < 0)
        return false;
    const char *side = req_param(r, "side"), *type = req_param(r, "type");
    const char *tif = req_param(r, "timeInForce"), *cid = req_param(r, "newClientOrderId");
    const char *rt = req_param(r, "newOrderRespType");
    if (!side) {
        missing(out, "side");
        return false;
    }
    if (!type) {
        missing(out, "type");
        return false;
    }
    if (strcmp(side, "BUY") != 0 && strcmp(side, "SELL") != 0) {
        resp_binance_err(out, 400, -1117, "Invalid side.");
        return false;
    }
    o->buy = strcmp(side, "BUY") == 0;
    if (strcmp(type, "MARKET") == 0) {
        o->market = true;
    } else if (strcmp(type, "LIMIT") != 0) {
        resp_binance_err(out, 400, -1116, "Invalid orderType. (mock: LIMIT and MARKET only)");
        return false;
    }
    if (rt && strcmp(rt, "ACK") != 0 && strcmp(rt, "RESULT") != 0 && strcmp(rt, "FULL") != 0) {
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter 'newOrderRespType'.");
        return false;
    }
    if (cid && !client_id_ok(cid)) {
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                         "'^[a-zA-Z0-9-_]{1,36}$'.");
        return false;
    }
    bool has_q, has_qq, has_p;
    if (!decimal_param(r, "quantity", &o->orig_qty, &has_q, out) ||
        !decimal_param(r, "quoteOrderQty", &o->orig_quote, &has_qq, out) ||
        !decimal_param(r, "price", &o->price, &has_p, out))
        return false;
    if (o->market) {
        if (!has_q && !has_qq) {
            resp_binance_err(out, 400, -1102,
                             "Param 'quantity' or 'quoteOrderQty' must be sent, but both were "
                             "empty/null!");
            return false;
        }
        if (has_q && has_qq) {
            resp_binance_err(out, 400, -1106, "Parameter 'quoteOrderQty' sent when not required.");
            return false;
        }
        if (has_p) {
            resp_binance_err(out, 400, -1106, "Parameter 'price' sent when not required.");
            return false;
        }
        if (tif) {
            resp_binance_err(out, 400, -1106, "Parameter 'timeInForce' sent when not required.");
            return false;
        }
        o->price = 0;
    } else {
        if (!tif) {
            missing(out, "timeInForce");
            return false;
        }
        if (!has_q) {
            missing(out, "quantity");
            return false;
        }
        if (!has_p) {
            missing(out, "price");
            return false;
        }
        if (has_qq) {
            resp_binance_err(out, 400, -1106, "Parameter 'quoteOrderQty' sent when not required.");
            return false;
        }
        if (strcmp(tif, "GTC") != 0 && strcmp(tif, "IOC") != 0 && strcmp(tif, "FOK") != 0) {
            resp_binance_err(out, 400, -1115, "Invalid timeInForce.");
            return false;
        }
        o->tif = strcmp(tif, "IOC") == 0 ? MO_IOC : strcmp(tif, "FOK") == 0 ? MO_FOK : MO_GTC;
    }
    if ((has_q && o->orig_qty <= 0) || (has_qq && o->orig_quote <= 0) ||
        (has_p && o->price <= 0 && !o->market)) {
        resp_binance_err(out, 400, -1013, "Invalid quantity.");
        return false;
    }
    if (cid) {
        snprintf(o->client_id, sizeof o->client_id, "%s", cid);
    } else { /* Binance makes one up */
        static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        unsigned long long h =
            (unsigned long long)(m->next_order_id * 2654435761ULL) ^ (unsigned long long)now;
        for (int i = 0; i < 22; i++) {
            o->client_id[i] = al[h % 62];
            h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        }
        o->client_id[22] = '\0';
    }
    return filters_ok(m, o, now, out);
}

static bool duplicate_open(const qf_mock *m, const char *cid)
{
    for (size_t i = 0; i < m->norders; i++)
        if (!m->orders[i].coinbase && mock_order_open(&m->orders[i]) &&
            strcmp(m->orders[i].client_id, cid) == 0)
            return true;
    return false;
}

static bool balance_ok(qf_mock *m, const mock_order *o, int64_t now)
{
    const mock_symbol *s = &m->syms[o->sym];
    mock_u need;
    if (!o->market)
        need = o->buy ? mock_mul(o->price, o->orig_qty) : o->orig_qty;
    else if (o->buy && o->orig_quote)
        need = o->orig_quote;
    else
        need = mock_taker_cost(m, o, now);
    return need <= mock_balance_of(m, o->buy ? s->quote : s->base)->free;
}

static void order_counts(qf_mock *m, int64_t now)
{
    if (now - m->oc10_start >= 10000 || now < m->oc10_start) {
        m->oc10_start = now - now % 10000;
        m->oc10 = 0;
    }
    if (now - m->oc1d_start >= 86400000 || now < m->oc1d_start) {
        m->oc1d_start = now - now % 86400000;
        m->oc1d = 0;
    }
}

static void new_order(qf_mock *m, const mock_req *r, bool test, int64_t now, mock_resp *out)
{
    mock_order o;
    if (!parse_order(m, r, now, &o, out))
        return;
    order_counts(m, now);
    if (!test && m->oc10 >= ORDERS_10S) {
        resp_binance_err(out, 429, -1015,
                         "Too many new orders; current limit is %d orders per 10 SECOND.",
                         ORDERS_10S);
        resp_header(out, "Retry-After", "%ld", (long)((m->oc10_start + 10000 - now + 999) / 1000));
        return;
    }
    if (!test && duplicate_open(m, o.client_id)) {
        resp_binance_err(out, 400, -2010, "Duplicate order sent.");
        return;
    }
    if (!balance_ok(m, &o, now)) {
        resp_binance_err(out, 400, -2010, "Account has insufficient balance for requested action.");
        return;
    }
    if (test) {
        resp_json(out, 200, json_object());
        return;
    }
    size_t idx = mock_order_add(m, &o);
    if (idx == SIZE_MAX) {
        resp_binance_err(out, 500, -1001, "Internal error; unable to process your request.");
        return;
    }
    mock_order_execute(m, idx, now);
    m->oc10++;
    m->oc1d++;
    const mock_order *d = &m->orders[idx];
    const char *rt = req_param(r, "newOrderRespType");
    json_t *j;
    if (rt && strcmp(rt, "ACK") == 0) {
        j = json_pack("{s:s,s:I,s:i,s:s,s:I}", "symbol", m->syms[d->sym].name, "orderId",
                      (json_int_t)d->id, "orderListId", -1, "clientOrderId", d->client_id,
                      "transactTime", (json_int_t)d->time);
    } else {
        j = result_json(m, d);
        if (!rt || strcmp(rt, "FULL") == 0) {
            json_t *fills = json_array();
            for (size_t i = 0; i < m->ntrades; i++) {
                const mock_trade *t = &m->trades[i];
                if (t->order == idx)
                    json_array_append_new(
                        fills, json_pack("{s:o,s:o,s:o,s:s,s:I}", "price", json_units(t->price),
                                         "qty", json_units(t->qty), "commission",
                                         json_units(t->commission), "commissionAsset",
                                         t->commission_asset, "tradeId", (json_int_t)t->id));
            }
            json_object_set_new(j, "fills", fills);
        }
    }
    resp_json(out, 200, j);
    resp_header(out, "X-MBX-ORDER-COUNT-10S", "%ld", m->oc10);
    resp_header(out, "X-MBX-ORDER-COUNT-1D", "%ld", m->oc1d);
}

/* The order named by orderId / origClientOrderId of the symbol; SIZE_MAX
 * with the error answered (code_unknown: -2013 or -2011). */
static size_t find_order(qf_mock *m, const mock_req *r, int code_unknown, mock_resp *out)
{
    int sym = mock_binance_symbol(m, r, out);
    if (sym < 0)
        return SIZE_MAX;
    const char *oid = req_param(r, "orderId"), *cid = req_param(r, "origClientOrderId");
    int64_t id = 0;
    if (!oid && !cid) {
        resp_binance_err(out, 400, -1102,
                         "Param 'origClientOrderId' or 'orderId' must be sent, but both were "
                         "empty/null!");
        return SIZE_MAX;
    }
    if (oid && !mock_parse_i64(oid, &id)) {
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter 'orderId'; legal range is "
                         "'^[0-9]{1,20}$'.");
        return SIZE_MAX;
    }
    size_t found = SIZE_MAX;
    for (size_t i = m->norders; i-- > 0;) { /* newest first: a reused id names the latest */
        const mock_order *o = &m->orders[i];
        if (o->coinbase || o->sym != sym)
            continue;
        if (oid ? o->id == id && (!cid || strcmp(o->client_id, cid) == 0)
                : strcmp(o->client_id, cid) == 0) {
            found = i;
            break;
        }
    }
    if (found == SIZE_MAX || r->lookup_unknown) {
        if (code_unknown == -2013)
            resp_binance_err(out, 400, -2013, "Order does not exist.");
        else
            resp_binance_err(out, 400, -2011, "Unknown order sent.");
        return SIZE_MAX;
    }
    return found;
}

static void cancel_order(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    size_t idx = find_order(m, r, -2011, out);
    if (idx == SIZE_MAX)
        return;
    if (!mock_order_open(&m->orders[idx])) {
        resp_binance_err(out, 400, -2011, "Unknown order sent.");
        return;
    }
    mock_order_cancel(m, idx, now);
    const mock_order *o = &m->orders[idx];
    json_t *j = result_json(m, o);
    const char *ncid = req_param(r, "newClientOrderId");
    json_object_set_new(j, "origClientOrderId", json_string(o->client_id));
    json_object_set_new(j, "clientOrderId", json_string(ncid ? ncid : "mockCancel0000000000000"));
    json_object_set_new(j, "transactTime", json_integer(now));
    json_object_del(j, "workingTime");
    resp_json(out, 200, j);
}

static void open_orders(qf_mock *m, const mock_req *r, mock_resp *out)
{
    int sym = -1;
    if (req_param(r, "symbol") && (sym = mock_binance_symbol(m, r, out)) < 0)
        return;
    json_t *a = json_array();
    for (size_t i = 0; i < m->norders; i++) {
        const mock_order *o = &m->orders[i];
        if (!o->coinbase && mock_order_open(o) && (sym < 0 || o->sym == sym))
            json_array_append_new(a, mock_binance_order_json(m, o));
    }
    resp_json(out, 200, a);
}

static void account(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    const char *omit = req_param(r, "omitZeroBalances");
    json_t *bal = json_array();
    for (int i = 0; i < m->nbal; i++) {
        const mock_balance *b = &m->bal[i];
        if (omit && strcmp(omit, "true") == 0 && b->free == 0 && b->locked == 0)
            continue;
        json_array_append_new(bal, json_pack("{s:s,s:o,s:o}", "asset", b->asset, "free",
                                             json_units(b->free), "locked", json_units(b->locked)));
    }
    json_t *rates = json_pack("{s:o,s:o,s:o,s:o}", "maker", json_units(100000), "taker",
                              json_units(100000), "buyer", json_units(0), "seller", json_units(0));
    resp_json(out, 200,
              json_pack("{s:i,s:i,s:i,s:i,s:o,s:b,s:b,s:b,s:b,s:b,s:b,s:I,s:s,s:o,s:[s],s:i}",
                        "makerCommission", 10, "takerCommission", 10, "buyerCommission", 0,
                        "sellerCommission", 0, "commissionRates", rates, "canTrade", 1,
                        "canWithdraw", 1, "canDeposit", 1, "brokered", 0,
                        "requireSelfTradePrevention", 0, "preventSor", 0, "updateTime",
                        (json_int_t)now, "accountType", "SPOT", "balances", bal, "permissions",
                        "SPOT", "uid", 354937868));
}

static void my_trades(qf_mock *m, const mock_req *r, mock_resp *out)
{
    int sym = mock_binance_symbol(m, r, out);
    if (sym < 0)
        return;
    int64_t oid = -1, start = -1, end = -1, from = -1, limit = 500;
    const char *names[] = {"orderId", "startTime", "endTime", "fromId", "limit"};
    int64_t *vals[] = {&oid, &start, &end, &from, &limit};
    for (int k = 0; k < 5; k++) {
        const char *s = req_param(r, names[k]);
        if (s && !mock_parse_i64(s, vals[k])) {
            resp_binance_err(out, 400, -1100,
                             "Illegal characters found in parameter '%s'; legal range is "
                             "'^[0-9]{1,20}$'.",
                             names[k]);
            return;
        }
    }
    if (limit < 1 || limit > 1000) {
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter 'limit'; legal range is '1000'.");
        return;
    }
    if (oid >= 0 && (start >= 0 || end >= 0)) {
        resp_binance_err(out, 400, -1106,
                         "Parameter 'startTime' sent when not required. (orderId with a time "
                         "window)");
        return;
    }
    if (start >= 0 && end >= 0 && end - start > 86400000) {
        resp_binance_err(out, 400, -1127, "More than 24 hours between startTime and endTime.");
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < m->ntrades && (int64_t)json_array_size(a) < limit; i++) {
        const mock_trade *t = &m->trades[i];
        const mock_order *o = &m->orders[t->order];
        if (o->coinbase || o->sym != sym || (oid >= 0 && o->id != oid) ||
            (start >= 0 && t->time < start) || (end >= 0 && t->time > end) ||
            (from >= 0 && t->id < from))
            continue;
        json_array_append_new(
            a,
            json_pack("{s:s,s:I,s:I,s:i,s:o,s:o,s:o,s:o,s:s,s:I,s:b,s:b,s:b}", "symbol",
                      m->syms[sym].name, "id", (json_int_t)t->id, "orderId", (json_int_t)o->id,
                      "orderListId", -1, "price", json_units(t->price), "qty", json_units(t->qty),
                      "quoteQty", json_units(t->quote), "commission", json_units(t->commission),
                      "commissionAsset", t->commission_asset, "time", (json_int_t)t->time,
                      "isBuyer", o->buy, "isMaker", t->maker, "isBestMatch", 1));
    }
    resp_json(out, 200, a);
}

bool mock_binance_signed(qf_mock *m, mock_req *r, mock_resp *out)
{
    const char *p = r->path, *me = r->method;
    enum { NONE, NEW, TEST, QUERY, CANCEL, OPEN, ACCOUNT, TRADES } what = NONE;
    if (strcmp(p, "/api/v3/order") == 0)
        what = strcmp(me, "POST") == 0     ? NEW
               : strcmp(me, "GET") == 0    ? QUERY
               : strcmp(me, "DELETE") == 0 ? CANCEL
                                           : NONE;
    else if (strcmp(p, "/api/v3/order/test") == 0 && strcmp(me, "POST") == 0)
        what = TEST;
    else if (strcmp(p, "/api/v3/openOrders") == 0 && strcmp(me, "GET") == 0)
        what = OPEN;
    else if (strcmp(p, "/api/v3/account") == 0 && strcmp(me, "GET") == 0)
        what = ACCOUNT;
    else if (strcmp(p, "/api/v3/myTrades") == 0 && strcmp(me, "GET") == 0)
        what = TRADES;
    if (what == NONE)
        return false;
    int64_t now = mock_now_locked(m);
    if (!authenticate(m, r, now, out))
        return true;
    switch (what) {
    case NEW:
    case TEST:
        new_order(m, r, what == TEST, now, out);
        break;
    case QUERY: {
        size_t idx = find_order(m, r, -2013, out);
        if (idx != SIZE_MAX)
            resp_json(out, 200, mock_binance_order_json(m, &m->orders[idx]));
        break;
    }
    case CANCEL:
        cancel_order(m, r, now, out);
        break;
    case OPEN:
        open_orders(m, r, out);
        break;
    case ACCOUNT:
        account(m, r, now, out);
        break;
    case TRADES:
        my_trades(m, r, out);
        break;
    default:
        break;
    }
    return true;
}
