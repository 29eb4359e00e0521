/*
 * binance_trade.c - Binance Spot execution: the SIGNED endpoints (PROTOCOLS.md
 * section 1) behind the ops table's execution slots.
 *
 * Every signed call puts its parameters in the query string (also for POST
 * and DELETE, which the protocol allows), appends recvWindow and a timestamp
 * on the venue's clock (local clock + ex->clock_offset_ms, synced through
 * server_time first), signs exactly that string with HMAC-SHA256 and adds
 * the signature last. The key travels in X-MBX-APIKEY. A -1021 (timestamp
 * outside recvWindow) resyncs the clock once and retries once: the venue did
 * not accept the request, so this holds for an order placement too.
 *
 * An order placement is never retried otherwise: a timeout, a 5xx, a dropped
 * connection or an acknowledgement that cannot be read is QF_EUNKNOWN, and
 * the caller queries by client order id. Error messages carry the method,
 * the path and the venue's code and text; never the query string, the key,
 * the secret or the signature.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "market/binance_int.h"
#include "market/binance_order_parse.h"
#include "market/binance_parse.h"
#include "market/binance_trade.h"
#include "market/rules.h"
#include "market/sign.h"

#define PARAMS_MAX 1024

/* One signed call: method, path, unsigned parameters, weight, whether it may
 * be retried, and the name used in messages ("POST /api/v3/order"). */
typedef struct signed_req {
    qf_http_method method;
    const char *path;
    const char *params;
    int weight;
    bool idempotent;
    const char *endpoint;
    /* An order placement's hook (qf_order_req.on_send), or NULL. */
    qf_rc (*on_send)(void *ctx, qf_err *err);
    void *on_send_ctx;
} signed_req;

static qf_rc need_keys(const qf_exchange *ex, qf_err *err)
{
    if (ex->api_key[0] == '\0')
        return qf_err_set(err, QF_ECONFIG,
                          "binance: no API key (exchanges.binance.api_key, BINANCE_API_KEY or the "
                          "secrets file)");
    if (ex->api_secret[0] == '\0')
        return qf_err_set(err, QF_ECONFIG,
                          "binance: no API secret (exchanges.binance.api_secret, "
                          "BINANCE_API_SECRET or the secrets file)");
    return QF_OK;
}

/* One signed call's URL, built by sign_now when the request leaves. */
typedef struct signer {
    qf_exchange *ex;
    const signed_req *r;
    char url[QF_CONFIG_STR_MAX + PARAMS_MAX + 256];
} signer;

/* The http client's prepare hook: runs after the rate-limiter wait, before
 * each attempt, so the timestamp is taken when the request leaves (a wait
 * longer than recvWindow would otherwise guarantee a -1021). Then the
 * order's on_send hook, which must see a time no earlier than this one. */
static qf_rc sign_now(void *ctx, qf_http_req *req, qf_err *err)
{
    signer *g = ctx;
    qf_exchange *ex = g->ex;
    const signed_req *r = g->r;
    char query[PARAMS_MAX + 128];
    int n =
        snprintf(query, sizeof query, "%s%srecvWindow=%d&timestamp=%" PRId64, r->params,
                 r->params[0] != '\0' ? "&" : "", ex->recv_window_ms, qf_exchange_venue_now(ex));
    if (n < 0 || (size_t)n >= sizeof query)
        return qf_err_set(err, QF_ERANGE, "binance %s: parameters too long", r->endpoint);
    /* The payload is the query string followed by the (empty) body. */
    char sig[QF_SIGN_HEX_LEN + 1];
    qf_sign_hmac_sha256_hex(ex->api_secret, strlen(ex->api_secret), query, (size_t)n, sig);
    n = snprintf(g->url, sizeof g->url, "%s%s?%s&signature=%s", ex->base_url, r->path, query, sig);
    memset(sig, 0, sizeof sig);
    if (n < 0 || (size_t)n >= sizeof g->url)
        return qf_err_set(err, QF_ERANGE, "binance %s: request URL too long", r->endpoint);
    req->url = g->url;
    if (r->on_send != NULL) {
        qf_rc rc = r->on_send(r->on_send_ctx, err);
        if (rc != QF_OK)
            return qf_err_prefix(err, "binance %s: not sent", r->endpoint);
    }
    return QF_OK;
}

/* Sends one signed attempt; QF_OK whatever the HTTP status. */
static qf_rc send_signed(qf_exchange *ex, const signed_req *r, qf_http_resp *resp, qf_err *err)
{
    signer g = {.ex = ex, .r = r};
    /* Until sign_now runs: the path alone, for messages. */
    snprintf(g.url, sizeof g.url, "%s%s", ex->base_url, r->path);
    char key_header[sizeof ex->api_key + 16];
    snprintf(key_header, sizeof key_header, "X-MBX-APIKEY: %s", ex->api_key);
    const char *headers[] = {key_header, NULL};
    qf_http_req req = {.method = r->method,
                       .url = g.url,
                       .headers = headers,
                       .idempotent = r->idempotent,
                       .weight = r->weight,
                       .new_order =
                           r->method == QF_HTTP_POST && strcmp(r->path, "/api/v3/order") == 0,
                       .prepare = sign_now,
                       .prepare_ctx = &g};
    qf_rc rc = qf_http_do(ex->http, &req, resp, err);
    memset(key_header, 0, sizeof key_header);
    memset(g.url, 0, sizeof g.url);
    return rc;
}

/* The venue's error as a code: 429/418 rate limits; 5xx, HTTP 408 and the
 * codes Binance documents as "execution status unknown" (-1006 unexpected
 * response from the message bus, -1007 timeout waiting for the backend)
 * unknown outcome; other 4xx rejected "binance -2010: Duplicate order sent.
 * (POST /api/v3/order)". *out_code gets the venue's code (0 when the body
 * has none). */
static qf_rc venue_error(const qf_http_resp *resp, const signed_req *r, int *out_code, qf_err *err)
{
    int code = 0;
    char msg[160] = "";
    bool has = qf_binance_parse_error(resp->body, resp->len, &code, msg, sizeof msg, NULL) == QF_OK;
    *out_code = has ? code : 0;
    if (resp->status == 429 || resp->status == 418)
        return qf_err_set(err, QF_ERATELIMIT, "binance %s: HTTP %ld%s (retry after %ld s)",
                          r->endpoint, resp->status, resp->status == 418 ? " IP ban" : "",
                          resp->retry_after_s);
    if (has && (code == -1006 || code == -1007))
        return qf_err_set(err, QF_EUNKNOWN, "binance %d: %s (%s, HTTP %ld): outcome unknown", code,
                          msg, r->endpoint, resp->status);
    if (resp->status >= 500 || resp->status == 408)
        return qf_err_set(err, QF_EUNKNOWN, "binance %s: HTTP %ld, outcome unknown", r->endpoint,
                          resp->status);
    if (!has)
        return qf_err_set(err, QF_EREJECTED, "binance %s: HTTP %ld without a Binance error body",
                          r->endpoint, resp->status);
    return qf_err_set(err, QF_EREJECTED, "binance %d: %s (%s)", code, msg, r->endpoint);
}

/* A signed call with the -1021 resync. QF_OK: a 2xx reply in *resp (caller
 * frees). Otherwise resp is empty and *out_code holds the venue's code. */
static qf_rc call_signed(qf_exchange *ex, const signed_req *r, qf_http_resp *resp, int *out_code,
                         qf_err *err)
{
    *out_code = 0;
    qf_rc rc = need_keys(ex, err);
    if (rc == QF_OK && !ex->clock_synced)
        rc = qf_binance_server_time(ex, NULL, err);
    if (rc != QF_OK)
        return rc;
    for (int attempt = 0;; attempt++) {
        rc = send_signed(ex, r, resp, err);
        if (rc != QF_OK)
            return rc; /* the http client's message names venue, method and path */
        if (resp->status >= 200 && resp->status < 300)
            return QF_OK;
        rc = venue_error(resp, r, out_code, err);
        qf_http_resp_free(resp);
        if (*out_code != -1021)
            return rc;
        if (attempt > 0)
            return qf_err_set(err, QF_EREJECTED,
                              "binance -1021: timestamp outside recvWindow again after a clock "
                              "resync (%s); check this machine's clock",
                              r->endpoint);
        qf_err sync_err;
        if (qf_binance_server_time(ex, NULL, &sync_err) != QF_OK)
            return qf_err_set(err, sync_err.code, "%s; resync failed: %s", err->msg, sync_err.msg);
    }
}

static qf_rc binance_symbol(const char *symbol, char *out, qf_err *err)
{
    if (qf_symbol_to_binance(symbol, out, QF_VENUE_SYMBOL_MAX, err) != QF_OK)
        return qf_err_prefix(err, "binance");
    return QF_OK;
}

static qf_rc check_client_id(const char *id, qf_err *err)
{
    size_t n = id != NULL ? strlen(id) : 0;
    if (n == 0 || n > 36 ||
        strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != n)
        return qf_err_set(err, QF_EINVAL,
                          "binance: client order id must be 1-36 characters of [A-Za-z0-9-_]");
    return QF_OK;
}

/* "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=..&price=.." */
static qf_rc order_params(qf_exchange *ex, const qf_order_req *req, char *out, size_t size,
                          qf_err *err)
{
    char sym[QF_VENUE_SYMBOL_MAX];
    qf_symbol_rules rules;
    qf_rc rc = check_client_id(req->client_id, err);
    if (rc == QF_OK)
        rc = binance_symbol(req->symbol, sym, err);
    if (rc == QF_OK)
        rc = qf_exchange_rules(ex, req->symbol, false, &rules, err);
    if (rc != QF_OK)
        return rc;
    bool market = req->type == QF_ORDER_MARKET;
    double step = market && rules.market_step_size > 0 ? rules.market_step_size : rules.step_size;
    char qty[48];
    char price[48] = "";
    rc = qf_rules_format(req->quantity, step, qty, sizeof qty, err);
    if (rc == QF_OK && !market)
        rc = qf_rules_format(req->limit_price, rules.tick_size, price, sizeof price, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "binance order %s", req->client_id);
    if (!(req->quantity > 0) || (!market && !(req->limit_price > 0)))
        return qf_err_set(err, QF_EINVAL, "binance order %s: quantity and price must be > 0",
                          req->client_id);
    static const char *const tif[] = {"GTC", "IOC", "FOK"};
    int n;
    const char *side = req->side == QF_SIDE_BUY ? "BUY" : "SELL";
    if (market)
        n = snprintf(out, size,
                     "symbol=%s&side=%s&type=MARKET&quantity=%s&newClientOrderId=%s&"
                     "newOrderRespType=FULL",
                     sym, side, qty, req->client_id);
    else
        n = snprintf(out, size,
                     "symbol=%s&side=%s&type=LIMIT&timeInForce=%s&quantity=%s&price=%s&"
                     "newClientOrderId=%s&newOrderRespType=FULL",
                     sym, side, tif[req->tif <= QF_TIF_FOK ? req->tif : 0], qty, price,
                     req->client_id);
    if (n < 0 || (size_t)n >= size)
        return qf_err_set(err, QF_ERANGE, "binance order %s: parameters too long", req->client_id);
    return QF_OK;
}

qf_rc qf_binance_submit(qf_exchange *ex, const qf_order_req *req, qf_order_report *out,
                        qf_trade **out_trades, size_t *out_n_trades, qf_err *err)
{
    char params[PARAMS_MAX];
    qf_rc rc = order_params(ex, req, params, sizeof params, err);
    if (rc != QF_OK)
        return rc;
    signed_req r = {QF_HTTP_POST, "/api/v3/order",      params,       1,
                    false,        "POST /api/v3/order", req->on_send, req->on_send_ctx};
    qf_http_resp resp;
    int code = 0;
    rc = call_signed(ex, &r, &resp, &code, err);
    if (rc != QF_OK)
        return rc;
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    rc = qf_binance_parse_order(resp.body, resp.len, "binance POST /api/v3/order", &rep, &t, &n,
                                err);
    qf_http_resp_free(&resp);
    /* The order reached the venue but its acknowledgement is unreadable. */
    if (rc != QF_OK)
        return qf_err_set(err, QF_EUNKNOWN, "%s; outcome unknown: query order %s", err->msg,
                          req->client_id);
    *out = rep;
    if (out_trades != NULL) {
        *out_trades = t;
        *out_n_trades = n;
    } else {
        free(t);
    }
    return QF_OK;
}

/* GET /api/v3/order by origClientOrderId. */
qf_rc qf_binance_query(qf_exchange *ex, const char *symbol, const char *client_id,
                       qf_order_report *out, qf_err *err)
{
    char sym[QF_VENUE_SYMBOL_MAX];
    char params[PARAMS_MAX];
    qf_rc rc = check_client_id(client_id, err);
    if (rc == QF_OK)
        rc = binance_symbol(symbol, sym, err);
    if (rc != QF_OK)
        return rc;
    snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", sym, client_id);
    signed_req r = {QF_HTTP_GET, "/api/v3/order", params, 4, true, "GET /api/v3/order", NULL, NULL};
    qf_http_resp resp;
    int code = 0;
    rc = call_signed(ex, &r, &resp, &code, err);
    if (rc != QF_OK) {
        if (code == -2013)
            return qf_err_set(err, QF_ENOTFOUND, "binance -2013: order %s does not exist (%s)",
                              client_id, r.endpoint);
        return rc;
    }
    qf_order_report rep;
    rc = qf_binance_parse_order(resp.body, resp.len, "binance GET /api/v3/order", &rep, NULL, NULL,
                                err);
    qf_http_resp_free(&resp);
    if (rc == QF_OK)
        *out = rep;
    return rc;
}

qf_rc qf_binance_cancel(qf_exchange *ex, const char *symbol, const char *client_id,
                        qf_order_report *out, qf_err *err)
{
    char sym[QF_VENUE_SYMBOL_MAX];
    char params[PARAMS_MAX];
    qf_rc rc = check_client_id(client_id, err);
    if (rc == QF_OK)
        rc = binance_symbol(symbol, sym, err);
    if (rc != QF_OK)
        return rc;
    snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", sym, client_id);
    signed_req r = {QF_HTTP_DELETE, "/api/v3/order",        params, 1,
                    false,          "DELETE /api/v3/order", NULL,   NULL};
    qf_http_resp resp;
    int code = 0;
    rc = call_signed(ex, &r, &resp, &code, err);
    if (rc != QF_OK) {
        /* -2011 "Unknown order sent." : the venue has no open order by that id. */
        if (code == -2011 && strstr(err->msg, "Unknown order") != NULL)
            return qf_err_set(err, QF_ENOTFOUND, "%s", err->msg);
        return rc;
    }
    qf_order_report rep;
    rc = qf_binance_parse_order(resp.body, resp.len, "binance DELETE /api/v3/order", &rep, NULL,
                                NULL, err);
    qf_http_resp_free(&resp);
    if (rc == QF_OK)
        *out = rep;
    return rc;
}

qf_rc qf_binance_open_orders(qf_exchange *ex, const char *symbol, qf_order_report **out,
                             size_t *out_n, qf_err *err)
{
    char params[64] = "";
    if (symbol != NULL) {
        char sym[QF_VENUE_SYMBOL_MAX];
        qf_rc rc = binance_symbol(symbol, sym, err);
        if (rc != QF_OK)
            return rc;
        snprintf(params, sizeof params, "symbol=%s", sym);
    }
    signed_req r = {QF_HTTP_GET, "/api/v3/openOrders",     params, symbol != NULL ? 6 : 80,
                    true,        "GET /api/v3/openOrders", NULL,   NULL};
    qf_http_resp resp;
    int code = 0;
    qf_rc rc = call_signed(ex, &r, &resp, &code, err);
    if (rc != QF_OK)
        return rc;
    rc = qf_binance_parse_orders(resp.body, resp.len, "binance GET /api/v3/openOrders", out, out_n,
                                 err);
    qf_http_resp_free(&resp);
    return rc;
}

/* myTrades pages: Binance's maximum page, and a bound on the pages of one
 * order (100k fills) so a venue that never stops paging cannot hang us. */
#define TRADES_PAGE      1000
#define TRADES_MAX_PAGES 100

/* Appends a page of trades to *all (malloc'd). */
static qf_rc append_trades(qf_trade **all, size_t *n, const qf_trade *t, size_t k, qf_err *err)
{
    if (k == 0)
        return QF_OK;
    qf_trade *p = realloc(*all, (*n + k) * sizeof *p);
    if (p == NULL)
        return qf_err_set(err, QF_ENOMEM, "binance GET /api/v3/myTrades: out of memory");
    memcpy(p + *n, t, k * sizeof *t);
    *all = p;
    *n += k;
    return QF_OK;
}

/* The trade id as a number, for fromId; -1 when it is not one. */
static int64_t trade_id_num(const char *id)
{
    char *end = NULL;
    long long v = strtoll(id, &end, 10);
    return end != id && *end == '\0' && v >= 0 ? (int64_t)v : -1;
}

/* The order's trades: its orderId from a query, then every page of
 * myTrades for it (limit=1000, paged with fromId: symbol + orderId + fromId
 * is one of the combinations Binance accepts; without paging an order of
 * more than 500 fills would never be complete). */
qf_rc qf_binance_trades(qf_exchange *ex, const char *symbol, const char *client_id, qf_trade **out,
                        size_t *out_n, qf_err *err)
{
    qf_order_report rep;
    qf_rc rc = qf_binance_query(ex, symbol, client_id, &rep, err);
    if (rc != QF_OK)
        return rc;
    *out = NULL;
    *out_n = 0;
    if (!(rep.filled_qty > 0))
        return QF_OK;
    char sym[QF_VENUE_SYMBOL_MAX];
    rc = binance_symbol(symbol, sym, err);
    if (rc != QF_OK)
        return rc;
    qf_trade *all = NULL;
    size_t n = 0;
    int64_t from = 0;
    for (int page = 0;; page++) {
        if (page == TRADES_MAX_PAGES) {
            rc = qf_err_set(err, QF_ERANGE,
                            "binance GET /api/v3/myTrades: order %s has more than %d fills",
                            client_id, TRADES_PAGE * TRADES_MAX_PAGES);
            break;
        }
        char params[PARAMS_MAX];
        snprintf(params, sizeof params, "symbol=%s&orderId=%s&limit=%d&fromId=%" PRId64, sym,
                 rep.venue_order_id, TRADES_PAGE, from);
        signed_req r = {QF_HTTP_GET, "/api/v3/myTrades",     params, 5,
                        true,        "GET /api/v3/myTrades", NULL,   NULL};
        qf_http_resp resp;
        int code = 0;
        rc = call_signed(ex, &r, &resp, &code, err);
        if (rc != QF_OK)
            break;
        qf_trade *t = NULL;
        size_t k = 0;
        rc = qf_binance_parse_trades(resp.body, resp.len, "binance GET /api/v3/myTrades",
                                     rep.venue_order_id, client_id, &t, &k, err);
        qf_http_resp_free(&resp);
        int64_t last = k > 0 ? trade_id_num(t[k - 1].trade_id) : -1;
        if (rc == QF_OK && k > 0 && last < from)
            rc = qf_err_set(err, QF_EPARSE,
                            "binance GET /api/v3/myTrades: trade id %s is not a number at or "
                            "after fromId %" PRId64,
                            t[k - 1].trade_id, from);
        if (rc == QF_OK)
            rc = append_trades(&all, &n, t, k, err);
        free(t);
        if (rc != QF_OK || k < TRADES_PAGE)
            break;
        from = last + 1;
    }
    if (rc != QF_OK) {
        free(all);
        return rc;
    }
    *out = all;
    *out_n = n;
    return QF_OK;
}

static qf_rc account_call(qf_exchange *ex, qf_account_info *info, qf_balance **bal, size_t *n,
                          qf_err *err)
{
    signed_req r = {QF_HTTP_GET, "/api/v3/account",     "",   20,
                    true,        "GET /api/v3/account", NULL, NULL};
    qf_http_resp resp;
    int code = 0;
    qf_rc rc = call_signed(ex, &r, &resp, &code, err);
    if (rc != QF_OK)
        return rc;
    rc = qf_binance_parse_account(resp.body, resp.len, "binance GET /api/v3/account", info, bal, n,
                                  err);
    qf_http_resp_free(&resp);
    return rc;
}

qf_rc qf_binance_balances(qf_exchange *ex, qf_balance **out, size_t *out_n, qf_err *err)
{
    return account_call(ex, NULL, out, out_n, err);
}

qf_rc qf_binance_account(qf_exchange *ex, qf_account_info *out, qf_err *err)
{
    return account_call(ex, out, NULL, NULL, err);
}
