/*
 * coinbase_trade.c - Coinbase Advanced Trade execution (PROTOCOLS.md section
 * 2) behind the ops table's execution slots.
 *
 * Every call carries a fresh JWT (sign.h: ES256 or EdDSA) whose uri claim is
 * "METHOD host/path" with the host of exchanges.coinbase.base_url and no
 * query string, made when the request leaves (after the rate-limiter wait,
 * through the http client's prepare hook); nbf is the venue's clock (synced
 * through /time first, and again after a 401 when it has moved: see
 * cb_call). An order's on_send hook runs right after each token is made,
 * before each send of the POST.
 *
 * Orders: POST /orders with client_order_id, which Coinbase treats as an
 * idempotency key (a repeat does not create a second order). Rejections come
 * with HTTP 200 and "success": false: the reply's "success" decides, never
 * the status. Sizes: limit orders and market sells send base_size; a market
 * BUY sends quote_size (the protocol's documented form), computed as the
 * quantity times the current ask and formatted with the price tick. The
 * order is then read back (GET /orders/historical/{id}) for its status and
 * fills. Coinbase has no lookup by client_order_id: query lists the
 * historical orders of the product (cursor paging) and matches it.
 *
 * A placement is never retried; a timeout, 5xx or unreadable reply is
 * QF_EUNKNOWN. Messages never contain the key, the token or a query string.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/symbol.h"
#include "core/time.h"
#include "market/coinbase_int.h"
#include "market/coinbase_order_parse.h"
#include "market/coinbase_trade.h"
#include "market/rules.h"
#include "market/sign.h"

#define API        "/api/v3/brokerage"
#define MAX_PAGES  50
#define ORDERS_MAX 10000

typedef struct cb_req {
    qf_http_method method;
    const char *path;  /* API-relative, no query: "/orders" */
    const char *query; /* "a=b&c=d" or "" */
    const char *body;  /* JSON or NULL */
    bool idempotent;
    /* An order placement's hook (qf_order_req.on_send), or NULL. */
    qf_rc (*on_send)(void *ctx, qf_err *err);
    void *on_send_ctx;
} cb_req;

static const char *method_name(qf_http_method m)
{
    return m == QF_HTTP_POST ? "POST" : m == QF_HTTP_DELETE ? "DELETE" : "GET";
}

static qf_rc need_keys(const qf_exchange *ex, qf_err *err)
{
    if (ex->api_key[0] == '\0' || ex->api_secret[0] == '\0')
        return qf_err_set(err, QF_ECONFIG,
                          "coinbase: no API key (exchanges.coinbase.api_key/api_secret, "
                          "COINBASE_API_KEY/COINBASE_API_SECRET or the secrets file)");
    return QF_OK;
}

/* "http://127.0.0.1:8080" -> "127.0.0.1:8080" */
static const char *host_of(const char *base_url)
{
    const char *p = strstr(base_url, "://");
    return p != NULL ? p + 3 : base_url;
}

static qf_rc status_error(const qf_http_resp *resp, const char *endpoint, qf_err *err)
{
    if (resp->status == 429 || resp->status == 418)
        return qf_err_set(err, QF_ERATELIMIT, "coinbase %s: HTTP %ld (retry after %ld s)", endpoint,
                          resp->status, resp->retry_after_s);
    if (resp->status >= 500 || resp->status == 408) /* 408: the server gave up waiting */
        return qf_err_set(err, QF_EUNKNOWN, "coinbase %s: HTTP %ld, outcome unknown", endpoint,
                          resp->status);
    if (resp->status == 401)
        return qf_err_set(err, QF_EREJECTED,
                          "coinbase %s: HTTP 401 Unauthorized: the key name or private key was "
                          "refused (COINBASE_API_KEY / COINBASE_API_SECRET)",
                          endpoint);
    return qf_coinbase_check_status(resp, endpoint, err);
}

/* One call's token, made by sign_now when the request leaves. */
typedef struct signer {
    qf_exchange *ex;
    const cb_req *r;
    const char *endpoint;
    char uri[512];
    char auth[QF_SIGN_JWT_MAX + 32];
    const char *headers[3];
} signer;

/* The http client's prepare hook: runs after the rate-limiter wait, before
 * each attempt, so the JWT's nbf/exp start when the request leaves (a wait
 * could otherwise outlast its 120 s). Then the order's on_send hook, which
 * must see a time no earlier than the token's. */
static qf_rc sign_now(void *ctx, qf_http_req *req, qf_err *err)
{
    signer *g = ctx;
    memcpy(g->auth, "Authorization: Bearer ", 22);
    qf_rc rc =
        qf_sign_jwt(g->ex->api_key, g->ex->api_secret, g->uri, qf_exchange_venue_now(g->ex) / 1000,
                    g->auth + 22, sizeof g->auth - 22, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase %s", g->endpoint);
    g->headers[0] = g->auth;
    g->headers[1] = "Content-Type: application/json";
    g->headers[2] = NULL;
    req->headers = g->headers;
    if (g->r->on_send != NULL) {
        rc = g->r->on_send(g->r->on_send_ctx, err);
        if (rc != QF_OK)
            return qf_err_prefix(err, "coinbase %s: not sent", g->endpoint);
    }
    return QF_OK;
}

/* Sends the request (GETs retried per http.h), each attempt with a fresh
 * JWT; QF_OK whatever the HTTP status. */
static qf_rc send_signed(qf_exchange *ex, const cb_req *r, const char *endpoint, qf_http_resp *resp,
                         qf_err *err)
{
    signer g = {.ex = ex, .r = r, .endpoint = endpoint};
    snprintf(g.uri, sizeof g.uri, "%s %s" API "%s", method_name(r->method), host_of(ex->base_url),
             r->path);
    char url[2048];
    int n = snprintf(url, sizeof url, "%s" API "%s%s%s", ex->base_url, r->path,
                     r->query[0] != '\0' ? "?" : "", r->query);
    if (n < 0 || (size_t)n >= sizeof url)
        return qf_err_set(err, QF_ERANGE, "coinbase %s: request URL too long", endpoint);
    qf_http_req req = {.method = r->method,
                       .url = url,
                       .body = r->body,
                       .body_len = r->body != NULL ? strlen(r->body) : 0,
                       .idempotent = r->idempotent,
                       .weight = 1,
                       .prepare = sign_now,
                       .prepare_ctx = &g};
    qf_rc rc = qf_http_do(ex->http, &req, resp, err);
    memset(g.auth, 0, sizeof g.auth);
    return rc; /* the http client's message names venue, method and path */
}

/* One authenticated call; QF_OK with a 2xx reply in *resp (caller frees).
 * A 401 may be a JWT whose nbf/exp are off the venue's clock (it moved since
 * the last sync): the clock is read again and, when it moved by more than a
 * second, the request is sent once more with a fresh token. That is safe for
 * an order too: a 401 is refused before processing, and client_order_id is
 * an idempotency key. A bad key costs one /time call, not a second try. */
static qf_rc cb_call(qf_exchange *ex, const cb_req *r, qf_http_resp *resp, qf_err *err)
{
    char endpoint[160];
    snprintf(endpoint, sizeof endpoint, "%s " API "%s", method_name(r->method), r->path);
    qf_rc rc = need_keys(ex, err);
    if (rc == QF_OK && !ex->clock_synced)
        rc = qf_coinbase_server_time(ex, NULL, err);
    if (rc == QF_OK)
        rc = send_signed(ex, r, endpoint, resp, err);
    if (rc != QF_OK)
        return rc;
    if (resp->status == 401) {
        int64_t before = ex->clock_offset_ms;
        qf_err terr;
        if (qf_coinbase_server_time(ex, NULL, &terr) == QF_OK &&
            llabs((long long)(ex->clock_offset_ms - before)) > 1000) {
            qf_http_resp_free(resp);
            rc = send_signed(ex, r, endpoint, resp, err);
            if (rc != QF_OK)
                return rc;
        }
    }
    if (resp->status >= 200 && resp->status < 300)
        return QF_OK;
    rc = status_error(resp, endpoint, err);
    qf_http_resp_free(resp);
    return rc;
}

static qf_rc product_of(const char *symbol, char *out, qf_err *err)
{
    if (qf_symbol_to_coinbase(symbol, out, QF_VENUE_SYMBOL_MAX, err) != QF_OK)
        return qf_err_prefix(err, "coinbase");
    return QF_OK;
}

/* GET /orders/historical/{id}. */
static qf_rc get_order(qf_exchange *ex, const char *order_id, qf_order_report *out, qf_err *err)
{
    char path[160];
    snprintf(path, sizeof path, "/orders/historical/%s", order_id);
    cb_req r = {QF_HTTP_GET, path, "", NULL, true, NULL, NULL};
    qf_http_resp resp;
    qf_rc rc = cb_call(ex, &r, &resp, err);
    if (rc != QF_OK)
        return rc;
    rc = qf_coinbase_parse_order(resp.body, resp.len, "coinbase GET " API "/orders/historical", out,
                                 err);
    qf_http_resp_free(&resp);
    return rc;
}

/* Appends one page of k elements of `size` bytes to *all (*n so far);
 * QF_ENOMEM leaves *all as it was. */
static qf_rc append_page(void **all, size_t *n, const void *page, size_t k, size_t size,
                         qf_err *err)
{
    if (k == 0)
        return QF_OK;
    void *grown = realloc(*all, (*n + k) * size);
    if (grown == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase: out of memory");
    memcpy((char *)grown + *n * size, page, k * size);
    *all = grown;
    *n += k;
    return QF_OK;
}

/* Every page of GET /orders/historical/batch?<filter> (newest first), at
 * most MAX_PAGES; malloc'd array. *out_truncated: pages remained unread;
 * *out_skipped: orders left out because they did not parse (both may be
 * NULL: then either is an error, as an open-orders list must be whole). */
static qf_rc list_orders(qf_exchange *ex, const char *filter, qf_order_report **out, size_t *out_n,
                         bool *out_truncated, size_t *out_skipped, qf_err *err)
{
    size_t skipped_all = 0;
    void *all = NULL;
    size_t n = 0;
    char cursor[QF_COINBASE_CURSOR_MAX] = "";
    bool more = true;
    qf_rc rc = QF_OK;
    for (int page = 0; rc == QF_OK && more && page < MAX_PAGES; page++) {
        char query[768];
        snprintf(query, sizeof query, "%s%slimit=100%s%s", filter, filter[0] != '\0' ? "&" : "",
                 cursor[0] != '\0' ? "&cursor=" : "", cursor);
        cb_req r = {QF_HTTP_GET, "/orders/historical/batch", query, NULL, true, NULL, NULL};
        qf_http_resp resp;
        rc = cb_call(ex, &r, &resp, err);
        if (rc != QF_OK)
            break;
        qf_order_report *got = NULL;
        size_t k = 0;
        size_t skipped = 0;
        rc = qf_coinbase_parse_orders(
            resp.body, resp.len, "coinbase GET " API "/orders/historical/batch", &got, &k, &more,
            cursor, sizeof cursor, out_skipped != NULL ? &skipped : NULL, err);
        skipped_all += skipped;
        qf_http_resp_free(&resp);
        if (rc != QF_OK)
            break;
        if (n + k > ORDERS_MAX)
            rc = qf_err_set(err, QF_ERANGE, "coinbase: more than %d orders listed", ORDERS_MAX);
        else
            rc = append_page(&all, &n, got, k, sizeof *got, err);
        free(got);
        if (cursor[0] == '\0')
            more = false;
    }
    if (rc == QF_OK && more && out_truncated == NULL)
        rc = qf_err_set(err, QF_ERANGE, "coinbase: more than %d pages of orders listed", MAX_PAGES);
    if (rc != QF_OK) {
        free(all);
        return rc;
    }
    if (out_truncated != NULL)
        *out_truncated = more;
    if (out_skipped != NULL)
        *out_skipped = skipped_all;
    *out = all;
    *out_n = n;
    return QF_OK;
}

qf_rc qf_coinbase_query(qf_exchange *ex, const char *symbol, const char *client_id,
                        qf_order_report *out, qf_err *err)
{
    char product[QF_VENUE_SYMBOL_MAX];
    qf_rc rc = product_of(symbol, product, err);
    if (rc != QF_OK)
        return rc;
    char filter[64];
    snprintf(filter, sizeof filter, "product_ids=%s", product);
    qf_order_report *all = NULL;
    size_t n = 0;
    bool truncated = false;
    size_t skipped = 0;
    rc = list_orders(ex, filter, &all, &n, &truncated, &skipped, err);
    if (rc != QF_OK)
        return rc;
    /* "Not found" is an answer the order manager acts on (after its grace it
     * closes the order and lets a new attempt go): only say it when every
     * order of the product was read. */
    if (truncated || skipped > 0)
        rc = qf_err_set(err, QF_EUNKNOWN,
                        "coinbase: client_order_id %s not among the %zu orders read (%s): "
                        "outcome unknown",
                        client_id, n,
                        truncated ? "more pages remain" : "some orders could not be read");
    else
        rc = qf_err_set(err, QF_ENOTFOUND, "coinbase: no order with client_order_id %s", client_id);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].client_id, client_id) == 0) {
            *out = all[i];
            rc = QF_OK;
            qf_err_clear(err);
            break;
        }
    }
    free(all);
    return rc;
}

/* A market buy's quote_size for `qty` at the ask, rounded UP to the tick:
 * the venue buys what the quote affords in whole base steps, so a quote
 * rounded down (0.01001 BTC x 84349.96 = 844.343 -> 844.34) would buy a step
 * less than asked (0.01000). Up by less than a tick buys no extra step while
 * a tick is worth less than a step (else: to the nearest tick). */
static double quote_size(double qty, double ask, const qf_symbol_rules *rules)
{
    double v = qty * ask;
    double tick = rules->tick_size;
    double step = rules->step_size;
    if (!(tick > 0) || !(step > 0) || tick >= step * ask)
        return v;
    return ceil(v / tick - 1e-9) * tick;
}

/* The order_configuration member of the POST /orders body. */
static qf_rc configuration(qf_exchange *ex, const qf_order_req *req, const qf_symbol_rules *rules,
                           json_t **out, qf_err *err)
{
    char size[48];
    char price[48];
    bool market = req->type == QF_ORDER_MARKET;
    double step =
        market && rules->market_step_size > 0 ? rules->market_step_size : rules->step_size;
    qf_rc rc = qf_rules_format(req->quantity, step, size, sizeof size, err);
    if (rc == QF_OK && !market)
        rc = qf_rules_format(req->limit_price, rules->tick_size, price, sizeof price, err);
    if (rc == QF_OK && market && req->side == QF_SIDE_BUY) {
        qf_ticker t;
        rc = qf_exchange_ticker(ex, req->symbol, &t, err);
        if (rc == QF_OK && !(t.ask > 0))
            rc = qf_err_set(err, QF_EPARSE, "ticker of %s has no ask", req->symbol);
        if (rc == QF_OK)
            rc = qf_rules_format(quote_size(req->quantity, t.ask, rules), rules->tick_size, size,
                                 sizeof size, err);
    }
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase order %s", req->client_id);
    json_t *c;
    if (market && req->side == QF_SIDE_BUY)
        c = json_pack("{s:{s:s}}", "market_market_ioc", "quote_size", size);
    else if (market)
        c = json_pack("{s:{s:s}}", "market_market_ioc", "base_size", size);
    else if (req->tif == QF_TIF_FOK)
        c = json_pack("{s:{s:s,s:s}}", "limit_limit_fok", "base_size", size, "limit_price", price);
    else if (req->tif == QF_TIF_IOC)
        c = json_pack("{s:{s:s,s:s}}", "sor_limit_ioc", "base_size", size, "limit_price", price);
    else
        c = json_pack("{s:{s:s,s:s,s:b}}", "limit_limit_gtc", "base_size", size, "limit_price",
                      price, "post_only", 0);
    if (c == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase: out of memory");
    *out = c;
    return QF_OK;
}

static qf_rc order_body(qf_exchange *ex, const qf_order_req *req, char **out, qf_err *err)
{
    char product[QF_VENUE_SYMBOL_MAX];
    qf_symbol_rules rules;
    size_t idn = strlen(req->client_id);
    if (idn == 0 || idn > 36 ||
        strspn(req->client_id,
               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != idn)
        return qf_err_set(err, QF_EINVAL,
                          "coinbase: client order id must be 1-36 characters of [A-Za-z0-9-_]");
    if (!(req->quantity > 0) || (req->type == QF_ORDER_LIMIT && !(req->limit_price > 0)))
        return qf_err_set(err, QF_EINVAL, "coinbase order %s: quantity and price must be > 0",
                          req->client_id);
    qf_rc rc = product_of(req->symbol, product, err);
    if (rc == QF_OK)
        rc = qf_exchange_rules(ex, req->symbol, false, &rules, err);
    json_t *cfg = NULL;
    if (rc == QF_OK)
        rc = configuration(ex, req, &rules, &cfg, err);
    if (rc != QF_OK)
        return rc;
    json_t *body =
        json_pack("{s:s,s:s,s:s,s:o}", "client_order_id", req->client_id, "product_id", product,
                  "side", req->side == QF_SIDE_BUY ? "BUY" : "SELL", "order_configuration", cfg);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase: out of memory");
    *out = text;
    return QF_OK;
}

/* Every page of GET /orders/historical/fills?order_id=. */
static qf_rc fills_of(qf_exchange *ex, const char *order_id, const char *client_id, qf_trade **out,
                      size_t *out_n, qf_err *err)
{
    void *all = NULL;
    size_t n = 0;
    char cursor[QF_COINBASE_CURSOR_MAX] = "";
    qf_rc rc = QF_OK;
    for (int page = 0; rc == QF_OK && page < MAX_PAGES; page++) {
        char query[512];
        snprintf(query, sizeof query, "order_id=%s&limit=100%s%s", order_id,
                 cursor[0] != '\0' ? "&cursor=" : "", cursor);
        cb_req r = {QF_HTTP_GET, "/orders/historical/fills", query, NULL, true, NULL, NULL};
        qf_http_resp resp;
        rc = cb_call(ex, &r, &resp, err);
        if (rc != QF_OK)
            break;
        qf_trade *got = NULL;
        size_t k = 0;
        rc = qf_coinbase_parse_fills(resp.body, resp.len,
                                     "coinbase GET " API "/orders/historical/fills", client_id,
                                     &got, &k, cursor, sizeof cursor, err);
        qf_http_resp_free(&resp);
        if (rc != QF_OK)
            break;
        rc = append_page(&all, &n, got, k, sizeof *got, err);
        free(got);
        if (rc != QF_OK)
            break;
        if (cursor[0] == '\0' || k == 0)
            break;
    }
    if (rc != QF_OK) {
        free(all);
        return rc;
    }
    *out = all;
    *out_n = n;
    return QF_OK;
}

qf_rc qf_coinbase_submit(qf_exchange *ex, const qf_order_req *req, qf_order_report *out,
                         qf_trade **out_trades, size_t *out_n_trades, qf_err *err)
{
    char *body = NULL;
    qf_rc rc = order_body(ex, req, &body, err);
    if (rc != QF_OK)
        return rc;
    cb_req r = {QF_HTTP_POST, "/orders", "", body, false, req->on_send, req->on_send_ctx};
    qf_http_resp resp;
    rc = cb_call(ex, &r, &resp, err);
    free(body);
    if (rc != QF_OK)
        return rc;
    char order_id[QF_VENUE_ORDER_ID_MAX];
    rc = qf_coinbase_parse_create(resp.body, resp.len, "coinbase POST " API "/orders", order_id,
                                  sizeof order_id, err);
    qf_http_resp_free(&resp);
    if (rc == QF_EREJECTED)
        return rc;
    if (rc != QF_OK)
        return qf_err_set(err, QF_EUNKNOWN, "%s; outcome unknown: query order %s", err->msg,
                          req->client_id);
    /* Accepted: read the order back for its status and fills. If that fails
     * the order still exists: report it unconfirmed so it is re-queried. */
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    if (get_order(ex, order_id, &rep, NULL) != QF_OK) {
        memset(&rep, 0, sizeof rep);
        snprintf(rep.client_id, sizeof rep.client_id, "%s", req->client_id);
        snprintf(rep.venue_order_id, sizeof rep.venue_order_id, "%s", order_id);
        snprintf(rep.symbol, sizeof rep.symbol, "%s", req->symbol);
        rep.side = req->side;
        rep.type = req->type;
        rep.status = QF_ORDER_UNCONFIRMED;
        rep.quantity = req->quantity;
        rep.avg_fill_price = NAN;
        rep.limit_price = req->limit_price;
    } else if (out_trades != NULL && rep.filled_qty > 0 &&
               fills_of(ex, order_id, req->client_id, &t, &n, NULL) != QF_OK) {
        t = NULL;
        n = 0;
    }
    *out = rep;
    if (out_trades != NULL) {
        *out_trades = t;
        *out_n_trades = n;
    }
    return QF_OK;
}

qf_rc qf_coinbase_cancel(qf_exchange *ex, const char *symbol, const char *client_id,
                         qf_order_report *out, qf_err *err)
{
    qf_order_report rep;
    qf_rc rc = qf_coinbase_query(ex, symbol, client_id, &rep, err);
    if (rc != QF_OK)
        return rc;
    char *body = NULL;
    json_t *j = json_pack("{s:[s]}", "order_ids", rep.venue_order_id);
    body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (body == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase: out of memory");
    cb_req r = {QF_HTTP_POST, "/orders/batch_cancel", "", body, false, NULL, NULL};
    qf_http_resp resp;
    rc = cb_call(ex, &r, &resp, err);
    free(body);
    if (rc != QF_OK)
        return rc;
    rc = qf_coinbase_parse_cancel(resp.body, resp.len, "coinbase POST " API "/orders/batch_cancel",
                                  rep.venue_order_id, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK)
        return rc;
    rc = get_order(ex, rep.venue_order_id, &rep, err);
    if (rc == QF_OK)
        *out = rep;
    return rc;
}

qf_rc qf_coinbase_open_orders(qf_exchange *ex, const char *symbol, qf_order_report **out,
                              size_t *out_n, qf_err *err)
{
    char filter[96] = "order_status=OPEN";
    if (symbol != NULL) {
        char product[QF_VENUE_SYMBOL_MAX];
        qf_rc rc = product_of(symbol, product, err);
        if (rc != QF_OK)
            return rc;
        snprintf(filter, sizeof filter, "order_status=OPEN&product_ids=%s", product);
    }
    return list_orders(ex, filter, out, out_n, NULL, NULL, err);
}

qf_rc qf_coinbase_trades(qf_exchange *ex, const char *symbol, const char *client_id, qf_trade **out,
                         size_t *out_n, qf_err *err)
{
    qf_order_report rep;
    qf_rc rc = qf_coinbase_query(ex, symbol, client_id, &rep, err);
    if (rc != QF_OK)
        return rc;
    return fills_of(ex, rep.venue_order_id, client_id, out, out_n, err);
}

qf_rc qf_coinbase_balances(qf_exchange *ex, qf_balance **out, size_t *out_n, qf_err *err)
{
    void *all = NULL;
    size_t n = 0;
    char cursor[QF_COINBASE_CURSOR_MAX] = "";
    bool more = true;
    qf_rc rc = QF_OK;
    for (int page = 0; rc == QF_OK && more && page < MAX_PAGES; page++) {
        char query[512];
        snprintf(query, sizeof query, "limit=250%s%s", cursor[0] != '\0' ? "&cursor=" : "", cursor);
        cb_req r = {QF_HTTP_GET, "/accounts", query, NULL, true, NULL, NULL};
        qf_http_resp resp;
        rc = cb_call(ex, &r, &resp, err);
        if (rc != QF_OK)
            break;
        qf_balance *got = NULL;
        size_t k = 0;
        rc = qf_coinbase_parse_accounts(resp.body, resp.len, "coinbase GET " API "/accounts", &got,
                                        &k, &more, cursor, sizeof cursor, err);
        qf_http_resp_free(&resp);
        if (rc == QF_OK)
            rc = append_page(&all, &n, got, k, sizeof *got, err);
        free(got);
        if (cursor[0] == '\0')
            more = false;
    }
    if (rc != QF_OK) {
        free(all);
        return rc;
    }
    *out = all;
    *out_n = n;
    return QF_OK;
}

qf_rc qf_coinbase_account(qf_exchange *ex, qf_account_info *out, qf_err *err)
{
    cb_req r = {QF_HTTP_GET, "/key_permissions", "", NULL, true, NULL, NULL};
    qf_http_resp resp;
    qf_rc rc = cb_call(ex, &r, &resp, err);
    if (rc != QF_OK)
        return rc;
    rc = qf_coinbase_parse_permissions(resp.body, resp.len, "coinbase GET " API "/key_permissions",
                                       out, err);
    qf_http_resp_free(&resp);
    return rc;
}
