/*
 * test_mock_binance_orders.c - the mock's Binance SIGNED endpoints over real
 * HTTP: authentication and timing, filters, balances, duplicate client ids,
 * fills against the book (hand-computed), resting orders filled as the clock
 * advances, cancels, and the unknown-outcome faults.
 *
 * The clock is frozen at 2025-03-01 00:00:00 (the 1h bar opens at
 * 84349.95, goes up to 84628.93, down to 83824.78, closes 83857.92), so the
 * book is: bids 84349.95, 84349.94, ...; asks 84349.96 (0.02371 BTC),
 * 84349.97 (0.04742), 84349.98 (0.07113), ...
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "mock/mock_client.h"
#include "mock/mock_exchange.h"

static qf_mock *M;

static void setup(void)
{
    qf_mock_opts o = {.frozen_clock = 1};
    qf_err err = {0};
    cr_assert_eq(qf_mock_start(&o, &M, &err), QF_OK, "%s", err.msg);
}

static void teardown(void)
{
    qf_mock_stop(M);
    M = NULL;
}

typedef struct call_opts {
    const char *key;    /* NULL: the test key; "" no header */
    const char *secret; /* NULL: the test secret */
    int64_t ts_offset;  /* added to the mock clock */
    int in_body;        /* params in a form body instead of the query string */
    long timeout_ms;
} call_opts;

/* A signed Binance call; returns the parsed JSON (NULL when not JSON). */
static json_t *call(const char *method, const char *path, const char *params, const call_opts *co,
                    qf_mock_http_resp *r)
{
    call_opts d = {0};
    if (!co)
        co = &d;
    char payload[2048], sig[65], url[4096], hkey[256];
    snprintf(payload, sizeof payload, "%s%stimestamp=%lld", params, *params ? "&" : "",
             (long long)(qf_mock_now(M) + co->ts_offset));
    qf_mock_hmac_hex(co->secret ? co->secret : QF_MOCK_BINANCE_SECRET, payload, sig);
    snprintf(hkey, sizeof hkey, "X-MBX-APIKEY: %s", co->key ? co->key : QF_MOCK_BINANCE_KEY);
    const char *hdrs[] = {hkey, NULL};
    const char *const *h = co->key && !*co->key ? NULL : hdrs;
    char body[2200];
    if (co->in_body) {
        snprintf(url, sizeof url, "%s%s", qf_mock_url(M), path);
        snprintf(body, sizeof body, "%s&signature=%s", payload, sig);
        qf_mock_http(method, url, body, h, co->timeout_ms, r);
    } else {
        snprintf(url, sizeof url, "%s%s?%s&signature=%s", qf_mock_url(M), path, payload, sig);
        qf_mock_http(method, url, NULL, h, co->timeout_ms, r);
    }
    return json_loads(r->body, JSON_DECODE_ANY, NULL);
}

static const char *sget(json_t *j, const char *k)
{
    const char *s = json_string_value(json_object_get(j, k));
    cr_assert_not_null(s, "field %s missing or not a string", k);
    return s;
}

static int code_of(json_t *j)
{
    return (int)json_integer_value(json_object_get(j, "code"));
}

/* Expect an error: HTTP status and Binance code. */
static void expect_err(const char *method, const char *path, const char *params,
                       const call_opts *co, long status, int code)
{
    qf_mock_http_resp r;
    json_t *j = call(method, path, params, co, &r);
    cr_assert_eq(r.status, status, "%s %s: status %ld: %s", method, params, r.status, r.body);
    cr_assert_eq(code_of(j), code, "%s: %s", params, r.body);
    json_decref(j);
    qf_mock_http_free(&r);
}

static const char *balance(const char *asset, char *buf, size_t size, int locked)
{
    qf_mock_http_resp r;
    json_t *j = call("GET", "/api/v3/account", "", NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *b;
    size_t i;
    buf[0] = '\0';
    json_array_foreach(json_object_get(j, "balances"), i, b)
    {
        if (strcmp(sget(b, "asset"), asset) == 0)
            snprintf(buf, size, "%s", sget(b, locked ? "locked" : "free"));
    }
    json_decref(j);
    qf_mock_http_free(&r);
    return buf;
}

Test(mock_orders, hmac_helper_matches_the_binance_docs_vector)
{
    char sig[65];
    qf_mock_hmac_hex("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
                     "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
                     "recvWindow=5000&timestamp=1499827319559",
                     sig);
    cr_assert_str_eq(sig, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

Test(mock_orders, authentication_and_timing, .init = setup, .fini = teardown)
{
    call_opts nokey = {.key = ""}, badkey = {.key = "someoneElsesKey"};
    call_opts badsecret = {.secret = "wrong"}, old = {.ts_offset = -6000};
    call_opts ahead = {.ts_offset = 1500}, body = {.in_body = 1};
    expect_err("GET", "/api/v3/account", "", &nokey, 401, -2014);
    expect_err("GET", "/api/v3/account", "", &badkey, 401, -2015);
    expect_err("GET", "/api/v3/account", "", &badsecret, 400, -1022);
    expect_err("GET", "/api/v3/account", "", &old, 400, -1021);
    expect_err("GET", "/api/v3/account", "", &ahead, 400, -1021);
    expect_err("GET", "/api/v3/account", "recvWindow=70000", NULL, 400, -1131);
    /* a larger recvWindow admits the older timestamp */
    qf_mock_http_resp r;
    json_t *j = call("GET", "/api/v3/account", "recvWindow=10000", &old, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(json_is_true(json_object_get(j, "canTrade")));
    json_decref(j);
    qf_mock_http_free(&r);
    /* signed body */
    j = call("POST", "/api/v3/order/test",
             "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=80000", &body,
             &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(r.body, "{}");
    json_decref(j);
    qf_mock_http_free(&r);
    /* skew: the server clock jumps; a client on the old offset is refused */
    qf_mock_set_skew(M, 10000);
    call_opts stale = {.ts_offset = -10000};
    expect_err("GET", "/api/v3/account", "", &stale, 400, -1021);
    expect_err("GET", "/api/v3/openOrders", "symbol=BTCUSDT", NULL, 200, 0);
    cr_assert_eq(qf_mock_count_orders(M, NULL), 0, "order/test creates nothing");
}

Test(mock_orders, market_by_quote_rounds_to_step, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = call("POST", "/api/v3/order",
                     "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100&newClientOrderId=qf-m1",
                     NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    /* 100 / 84349.96 = 0.0011855.. -> 0.00118; 0.00118 * 84349.96 = 99.5329528 */
    cr_assert_str_eq(sget(j, "status"), "FILLED");
    cr_assert_str_eq(sget(j, "executedQty"), "0.00118000");
    cr_assert_str_eq(sget(j, "origQty"), "0.00000000");
    cr_assert_str_eq(sget(j, "origQuoteOrderQty"), "100.00000000");
    cr_assert_str_eq(sget(j, "cummulativeQuoteQty"), "99.53295280");
    cr_assert_str_eq(sget(j, "clientOrderId"), "qf-m1");
    cr_assert(json_is_integer(json_object_get(j, "orderId")));
    cr_assert_eq(json_integer_value(json_object_get(j, "orderListId")), -1);
    json_t *fills = json_object_get(j, "fills");
    cr_assert_eq(json_array_size(fills), 1);
    json_t *f = json_array_get(fills, 0);
    cr_assert_str_eq(sget(f, "price"), "84349.96000000");
    cr_assert_str_eq(sget(f, "commission"), "0.00000118");
    cr_assert_str_eq(sget(f, "commissionAsset"), "BTC");
    char b[64];
    cr_assert_not_null(qf_mock_http_header(&r, "X-MBX-ORDER-COUNT-10S", b, sizeof b));
    cr_assert_str_eq(b, "1");
    cr_assert_not_null(qf_mock_http_header(&r, "X-MBX-ORDER-COUNT-1D", b, sizeof b));
    json_decref(j);
    qf_mock_http_free(&r);
    cr_assert_str_eq(balance("BTC", b, sizeof b, 0), "10.00117882");
    cr_assert_str_eq(balance("USDT", b, sizeof b, 0), "99900.46704720");
}

Test(mock_orders, big_market_order_walks_the_book, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j =
        call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1", NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(sget(j, "status"), "FILLED");
    cr_assert_str_eq(sget(j, "executedQty"), "0.10000000");
    json_t *fills = json_object_get(j, "fills");
    cr_assert_eq(json_array_size(fills), 3, "%s", r.body);
    cr_assert_str_eq(sget(json_array_get(fills, 0), "qty"), "0.02371000");
    cr_assert_str_eq(sget(json_array_get(fills, 1), "qty"), "0.04742000");
    cr_assert_str_eq(sget(json_array_get(fills, 2), "qty"), "0.02887000");
    cr_assert_str_eq(sget(json_array_get(fills, 2), "price"), "84349.98000000");
    /* 0.02371*84349.96 + 0.04742*84349.97 + 0.02887*84349.98 */
    cr_assert_str_eq(sget(j, "cummulativeQuoteQty"), "8434.99705160");
    long long first = json_integer_value(json_object_get(json_array_get(fills, 0), "tradeId"));
    long long oid = json_integer_value(json_object_get(j, "orderId"));
    json_decref(j);
    qf_mock_http_free(&r);

    char params[128];
    snprintf(params, sizeof params, "symbol=BTCUSDT&orderId=%lld", oid);
    j = call("GET", "/api/v3/myTrades", params, NULL, &r);
    cr_assert_eq(json_array_size(j), 3, "%s", r.body);
    json_t *t = json_array_get(j, 0);
    cr_assert_eq(json_integer_value(json_object_get(t, "id")), first);
    cr_assert_str_eq(sget(t, "quoteQty"), "1999.93755160");
    cr_assert(json_is_true(json_object_get(t, "isBuyer")));
    cr_assert(json_is_false(json_object_get(t, "isMaker")));
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_orders, limit_partial_fill_then_rest_then_fill, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = call("POST", "/api/v3/order",
                     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price="
                     "84349.97&newClientOrderId=qf-p1",
                     NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(sget(j, "status"), "PARTIALLY_FILLED");
    cr_assert_str_eq(sget(j, "executedQty"), "0.07113000");
    cr_assert_eq(json_array_size(json_object_get(j, "fills")), 2);
    json_decref(j);
    qf_mock_http_free(&r);
    char b[64];
    /* the rest (0.02887 at 84349.97) is locked */
    cr_assert_str_eq(balance("USDT", b, sizeof b, 1), "2435.18363390");

    j = call("GET", "/api/v3/openOrders", "symbol=BTCUSDT", NULL, &r);
    cr_assert_eq(json_array_size(j), 1);
    json_decref(j);
    qf_mock_http_free(&r);

    /* a bid resting at 84000 (below the whole first third of the bar) */
    j = call("POST", "/api/v3/order",
             "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=84000&"
             "newClientOrderId=qf-p2",
             NULL, &r);
    cr_assert_str_eq(sget(j, "status"), "NEW");
    json_decref(j);
    qf_mock_http_free(&r);

    /* the bar rises first (to 84628.93 by 00:20), then falls to 83824.78 by
     * 00:40: the rest of qf-p1 (above the last price) fills at once, qf-p2
     * only once the fall passes 84000 */
    qf_mock_advance(M, 10 * 60000);
    j = call("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-p1", NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(sget(j, "status"), "FILLED");
    cr_assert_str_eq(sget(j, "executedQty"), "0.10000000");
    cr_assert(json_is_integer(json_object_get(j, "updateTime")));
    cr_assert(json_is_string(json_object_get(j, "stopPrice")));
    json_decref(j);
    qf_mock_http_free(&r);
    j = call("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-p2", NULL, &r);
    cr_assert_str_eq(sget(j, "status"), "NEW", "not crossed while rising");
    json_decref(j);
    qf_mock_http_free(&r);
    cr_assert_str_eq(balance("USDT", b, sizeof b, 1), "84.00000000");
    qf_mock_advance(M, 30 * 60000);
    j = call("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-p2", NULL, &r);
    cr_assert_str_eq(sget(j, "status"), "FILLED");
    json_decref(j);
    qf_mock_http_free(&r);
    cr_assert_str_eq(balance("USDT", b, sizeof b, 1), "0.00000000");
    j = call("GET", "/api/v3/myTrades", "symbol=BTCUSDT", NULL, &r);
    cr_assert_eq(json_array_size(j), 4);
    cr_assert(json_is_true(json_object_get(json_array_get(j, 2), "isMaker")));
    cr_assert_str_eq(sget(json_array_get(j, 2), "price"), "84349.97000000");
    cr_assert_str_eq(sget(json_array_get(j, 3), "price"), "84000.00000000");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_orders, big_resting_order_fills_in_parts, .init = setup, .fini = teardown)
{
    /* sell 9 BTC at 84400: crossed on the way up within the first 20 min;
     * at most 5% of the volume traded meanwhile fills each time */
    qf_mock_http_resp r;
    json_t *j = call("POST", "/api/v3/order",
                     "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=9&price=84400",
                     NULL, &r);
    cr_assert_str_eq(sget(j, "status"), "NEW", "%s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);
    qf_mock_advance(M, 60000 * 10);
    j = call("GET", "/api/v3/openOrders", "", NULL, &r);
    cr_assert_eq(json_array_size(j), 1);
    json_t *o = json_array_get(j, 0);
    cr_assert_str_eq(sget(o, "status"), "PARTIALLY_FILLED");
    double got = strtod(sget(o, "executedQty"), NULL);
    /* 10 min of 636.60016 BTC/h: 106.1 BTC traded, 5% = 5.305 */
    cr_assert(got > 5.2 && got < 5.4, "%f", got);
    json_decref(j);
    qf_mock_http_free(&r);
    qf_mock_advance(M, 60000 * 10);
    j = call("GET", "/api/v3/openOrders", "", NULL, &r);
    cr_assert_eq(json_array_size(j), 0, "filled: %s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);
    j = call("GET", "/api/v3/myTrades", "symbol=BTCUSDT", NULL, &r);
    cr_assert_geq(json_array_size(j), 2, "several fills");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_orders, ioc_and_fok_expire, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = call(
        "POST", "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.1&price=84349.97", NULL, &r);
    cr_assert_str_eq(sget(j, "status"), "EXPIRED");
    cr_assert_str_eq(sget(j, "executedQty"), "0.07113000");
    json_decref(j);
    qf_mock_http_free(&r);
    j = call("POST", "/api/v3/order",
             "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=FOK&quantity=0.2&price=84349.97", NULL,
             &r);
    cr_assert_str_eq(sget(j, "status"), "EXPIRED");
    cr_assert_str_eq(sget(j, "executedQty"), "0.00000000");
    cr_assert_eq(json_array_size(json_object_get(j, "fills")), 0);
    json_decref(j);
    qf_mock_http_free(&r);
    j = call("POST", "/api/v3/order",
             "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=FOK&quantity=0.05&price=84349.97",
             NULL, &r);
    cr_assert_str_eq(sget(j, "status"), "FILLED");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_orders, filters_and_formats, .init = setup, .fini = teardown)
{
    const char *base = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC";
    static const struct {
        const char *p;
        int code;
        const char *msg;
    } cases[] = {
        {"&quantity=0.001&price=80000.001", -1013, "Filter failure: PRICE_FILTER"},
        {"&quantity=0.000015&price=80000", -1013, "Filter failure: LOT_SIZE"},
        {"&quantity=0.000001&price=80000", -1013, "Filter failure: LOT_SIZE"},
        {"&quantity=9001&price=80000", -1013, "Filter failure: LOT_SIZE"},
        {"&quantity=0.00005&price=80000", -1013, "Filter failure: NOTIONAL"},
        {"&quantity=0.001&price=80000.000000001", -1111, NULL},
        {"&quantity=1e-05&price=80000", -1100, NULL},
        {"&quantity=0.001", -1102, NULL},
        {"&quantity=2&price=80000", -2010,
         "Account has insufficient balance for requested action."},
        {"&quantity=0.001&price=80000&newClientOrderId=bad%20id", -1100, NULL},
    };
    char params[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(params, sizeof params, "%s%s", base, cases[i].p);
        qf_mock_http_resp r;
        json_t *j = call("POST", "/api/v3/order", params, NULL, &r);
        cr_assert_eq(r.status, 400, "%s: %s", cases[i].p, r.body);
        cr_assert_eq(code_of(j), cases[i].code, "%s: %s", cases[i].p, r.body);
        if (cases[i].msg)
            cr_assert_str_eq(sget(j, "msg"), cases[i].msg);
        json_decref(j);
        qf_mock_http_free(&r);
    }
    expect_err("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET", NULL, 400, -1102);
    expect_err("POST", "/api/v3/order", "symbol=BTCUSDT&side=HOLD&type=MARKET&quantity=1", NULL,
               400, -1117);
    expect_err("POST", "/api/v3/order", "symbol=XRPUSDT&side=BUY&type=MARKET&quantity=1", NULL, 400,
               -1121);
    cr_assert_eq(qf_mock_count_orders(M, NULL), 0, "nothing created by a rejection");
    char b[64];
    cr_assert_str_eq(balance("USDT", b, sizeof b, 0), "100000.00000000");
}

Test(mock_orders, duplicate_open_client_id_and_cancel, .init = setup, .fini = teardown)
{
    const char *p = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=80000"
                    "&newClientOrderId=qf-dup-1";
    qf_mock_http_resp r;
    json_t *j = call("POST", "/api/v3/order", p, NULL, &r);
    cr_assert_str_eq(sget(j, "status"), "NEW");
    long long oid = json_integer_value(json_object_get(j, "orderId"));
    json_decref(j);
    qf_mock_http_free(&r);
    expect_err("POST", "/api/v3/order", p, NULL, 400, -2010);
    cr_assert_eq(qf_mock_count_orders(M, "qf-dup-1"), 1);

    expect_err("GET", "/api/v3/order", "symbol=BTCUSDT&orderId=1", NULL, 400, -2013);
    expect_err("GET", "/api/v3/order", "symbol=BTCUSDT", NULL, 400, -1102);
    expect_err("DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=nope", NULL, 400,
               -2011);

    j = call("DELETE", "/api/v3/order",
             "symbol=BTCUSDT&origClientOrderId=qf-dup-1&newClientOrderId=cxl-1", NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(sget(j, "status"), "CANCELED");
    cr_assert_str_eq(sget(j, "origClientOrderId"), "qf-dup-1");
    cr_assert_str_eq(sget(j, "clientOrderId"), "cxl-1");
    cr_assert_eq(json_integer_value(json_object_get(j, "orderId")), oid);
    json_decref(j);
    qf_mock_http_free(&r);
    char b[64];
    cr_assert_str_eq(balance("USDT", b, sizeof b, 1), "0.00000000", "unlocked");
    expect_err("DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-dup-1", NULL, 400,
               -2011);
    /* closed: the id may be used again */
    j = call("POST", "/api/v3/order", p, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);
    cr_assert_eq(qf_mock_count_orders(M, "qf-dup-1"), 2);
}

Test(mock_orders, response_types, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j =
        call("POST", "/api/v3/order",
             "symbol=ETHUSDT&side=SELL&type=MARKET&quantity=0.01&newOrderRespType=ACK", NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_object_size(j), 5, "%s", r.body);
    cr_assert(json_is_integer(json_object_get(j, "transactTime")));
    json_decref(j);
    qf_mock_http_free(&r);
    j = call("POST", "/api/v3/order",
             "symbol=ETHUSDT&side=SELL&type=MARKET&quantity=0.01&newOrderRespType=RESULT", NULL,
             &r);
    cr_assert_null(json_object_get(j, "fills"));
    cr_assert_str_eq(sget(j, "status"), "FILLED");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_orders, lookup_unknown_right_after_submission, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = call("POST", "/api/v3/order",
                     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price="
                     "80000&newClientOrderId=qf-u1",
                     NULL, &r);
    json_decref(j);
    qf_mock_http_free(&r);
    qf_mock_fault(M, "/api/v3/order", QF_MOCK_FAULT_QUERY_UNKNOWN, 2, 0);
    expect_err("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-u1", NULL, 400, -2013);
    expect_err("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-u1", NULL, 400, -2013);
    j = call("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-u1", NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(sget(j, "status"), "NEW");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_orders, accepted_then_500_or_dropped, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    qf_mock_fault(M, "/api/v3/order", QF_MOCK_FAULT_ACK_500, 1, 0);
    json_t *j =
        call("POST", "/api/v3/order",
             "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=qf-a1", NULL, &r);
    cr_assert_eq(r.status, 500);
    cr_assert_eq(code_of(j), -1001);
    json_decref(j);
    qf_mock_http_free(&r);
    cr_assert_eq(qf_mock_count_orders(M, "qf-a1"), 1, "the order exists anyway");
    j = call("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-a1", NULL, &r);
    cr_assert_str_eq(sget(j, "status"), "FILLED");
    json_decref(j);
    qf_mock_http_free(&r);

    qf_mock_fault(M, "/api/v3/order", QF_MOCK_FAULT_ACK_DROP, 1, 0);
    j = call("POST", "/api/v3/order",
             "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=qf-a2", NULL, &r);
    cr_assert_eq(r.status, 0);
    json_decref(j);
    qf_mock_http_free(&r);
    cr_assert_eq(qf_mock_count_orders(M, "qf-a2"), 1);
}

static void *post_hung(void *arg)
{
    (void)arg;
    qf_mock_http_resp r;
    call_opts co = {.timeout_ms = 5000};
    json_t *j =
        call("POST", "/api/v3/order",
             "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=qf-h1", &co, &r);
    long status = r.status;
    json_decref(j);
    qf_mock_http_free(&r);
    return (void *)(intptr_t)status;
}

Test(mock_orders, accepted_then_held_until_released, .init = setup, .fini = teardown)
{
    qf_mock_fault(M, "/api/v3/order", QF_MOCK_FAULT_ACK_HANG, 1, 0);
    pthread_t th;
    pthread_create(&th, NULL, post_hung, NULL);
    for (int i = 0; i < 200 && qf_mock_get_stats(M).held_acks == 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    cr_assert_eq(qf_mock_get_stats(M).held_acks, 1);
    cr_assert_eq(qf_mock_count_orders(M, "qf-h1"), 1, "accepted before the hang");
    /* other connections are served meanwhile */
    qf_mock_http_resp r;
    json_t *j = call("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=qf-h1", NULL, &r);
    cr_assert_eq(r.status, 200);
    json_decref(j);
    qf_mock_http_free(&r);
    qf_mock_release(M);
    void *status;
    pthread_join(th, &status);
    cr_assert_eq((long)(intptr_t)status, 200, "released reply arrives");
    cr_assert_eq(qf_mock_get_stats(M).held_acks, 0);
}
