/*
 * test_mock_coinbase.c - the mock's Coinbase over real HTTP: Exchange API
 * candles (numbers, newest first, [time, low, high, open, close, volume],
 * equal to the bundled 1h data, 6h aggregated), Advanced Trade candles
 * (strings), the JWT check (ES256 and EdDSA; uri, nbf/exp, signature),
 * key_permissions, product_book,
 * orders with client_order_id idempotency, fills, listing and cancels.
 */
#include <math.h>
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

static json_t *get_public(const char *path, qf_mock_http_resp *r)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", qf_mock_url(M), path);
    qf_mock_http("GET", url, NULL, NULL, 0, r);
    return json_loads(r->body, JSON_DECODE_ANY, NULL);
}

typedef struct jwt_opts {
    int ed25519;
    int64_t time_offset_s;
    const char *uri_path; /* sign another path than requested */
    int tamper;
} jwt_opts;

/* An authenticated Advanced Trade call (path under /api/v3/brokerage). */
static json_t *at(const char *method, const char *path, const char *body, const jwt_opts *jo,
                  qf_mock_http_resp *r)
{
    jwt_opts d = {0};
    if (!jo)
        jo = &d;
    char full[512], uri[600], url[700], auth[4200];
    snprintf(full, sizeof full, "/api/v3/brokerage%s", path);
    char *q = strchr(full, '?');
    snprintf(uri, sizeof uri, "%s %s%.*s", method, qf_mock_url(M) + strlen("http://"),
             jo->uri_path ? (int)strlen(jo->uri_path)
             : q          ? (int)(q - full)
                          : (int)strlen(full),
             jo->uri_path ? jo->uri_path : full);
    char *tok = qf_mock_jwt(uri, qf_mock_now(M) / 1000 + jo->time_offset_s, jo->ed25519);
    cr_assert_not_null(tok);
    if (jo->tamper)
        tok[strlen(tok) - 3] = tok[strlen(tok) - 3] == 'A' ? 'B' : 'A';
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    free(tok);
    const char *hdrs[] = {auth, "Content-Type: application/json", NULL};
    snprintf(url, sizeof url, "%s%s", qf_mock_url(M), full);
    qf_mock_http(method, url, body, hdrs, 0, r);
    return json_loads(r->body, JSON_DECODE_ANY, NULL);
}

static const char *sget(json_t *j, const char *k)
{
    const char *s = json_string_value(json_object_get(j, k));
    cr_assert_not_null(s, "field %s missing or not a string", k);
    return s;
}

/* The bundled 1h row at open_time (seconds): o, h, l, c, v. */
static void csv_1h(long long t_s, double out[5])
{
    char path[1024], line[512], key[32];
    snprintf(path, sizeof path, "%s/data/BTCUSDT-1h.csv", QF_SOURCE_DIR);
    snprintf(key, sizeof key, "%lld000,", t_s);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0) {
            char *p = strchr(line, ',') + 1;
            for (int k = 0; k < 5; k++) {
                out[k] = strtod(p, &p);
                p++;
            }
            found = 1;
        }
    fclose(f);
    cr_assert(found, "no 1h row at %lld", t_s);
}

Test(mock_coinbase, exchange_candles_newest_first_numbers, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = get_public("/products/BTC-USDT/candles?granularity=3600&start=2025-02-28T00:00:00Z"
                           "&end=2025-02-28T03:00:00Z",
                           &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(j), 4, "%s", r.body);
    long long prev = 1LL << 62;
    for (size_t i = 0; i < 4; i++) {
        json_t *row = json_array_get(j, i);
        cr_assert_eq(json_array_size(row), 6);
        for (size_t k = 0; k < 6; k++)
            cr_assert(json_is_number(json_array_get(row, k)), "numbers, not strings");
        long long t = json_integer_value(json_array_get(row, 0));
        cr_assert_lt(t, prev, "newest first");
        prev = t;
        double c[5];
        csv_1h(t, c);
        /* [time, low, high, open, close, volume] */
        cr_assert_float_eq(json_number_value(json_array_get(row, 1)), c[2], 1e-9);
        cr_assert_float_eq(json_number_value(json_array_get(row, 2)), c[1], 1e-9);
        cr_assert_float_eq(json_number_value(json_array_get(row, 3)), c[0], 1e-9);
        cr_assert_float_eq(json_number_value(json_array_get(row, 4)), c[3], 1e-9);
        cr_assert_float_eq(json_number_value(json_array_get(row, 5)), c[4], 1e-9);
    }
    cr_assert_eq(prev, 1740700800LL);
    json_decref(j);
    qf_mock_http_free(&r);

    /* 6h from 1h: open of the first, max high, min low, close of the last, sum */
    j = get_public("/products/BTC-USDT/candles?granularity=21600&start=2025-02-28T00:00:00Z"
                   "&end=2025-02-28T00:00:00Z",
                   &r);
    cr_assert_eq(json_array_size(j), 1, "%s", r.body);
    json_t *row = json_array_get(j, 0);
    double o = 0, h = -1, l = 1e18, cl = 0, v = 0;
    for (int k = 0; k < 6; k++) {
        double c[5];
        csv_1h(1740700800LL + k * 3600, c);
        if (k == 0)
            o = c[0];
        h = fmax(h, c[1]);
        l = fmin(l, c[2]);
        cl = c[3];
        v += c[4];
    }
    cr_assert_float_eq(json_number_value(json_array_get(row, 1)), l, 1e-9);
    cr_assert_float_eq(json_number_value(json_array_get(row, 2)), h, 1e-9);
    cr_assert_float_eq(json_number_value(json_array_get(row, 3)), o, 1e-9);
    cr_assert_float_eq(json_number_value(json_array_get(row, 4)), cl, 1e-9);
    cr_assert_float_eq(json_number_value(json_array_get(row, 5)), v, 1e-6);
    json_decref(j);
    qf_mock_http_free(&r);

    static const char *bad[] = {
        "/products/BTC-USDT/candles?granularity=7200",
        "/products/BTC-USDT/candles?granularity=14400",
        "/products/BTC-USDT/candles?granularity=3600&start=2025-01-01&end=2025-02-01",
        "/products/BTC-USDT/candles?granularity=3600&start=2025-01-01T00:00:00Z",
        "/products/BTC-USDT/candles?granularity=3600&start=yesterday&end=today",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = get_public(bad[i], &r);
        cr_assert_eq(r.status, 400, "%s: %s", bad[i], r.body);
        cr_assert(json_is_string(json_object_get(j, "message")));
        json_decref(j);
        qf_mock_http_free(&r);
    }
    j = get_public("/products/BTC-USD/candles?granularity=3600", &r);
    cr_assert_eq(r.status, 404);
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_coinbase, advanced_trade_candles_are_strings, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = get_public("/api/v3/brokerage/market/products/BTC-USDT/candles?start=1740700800&"
                           "end=1740708000&granularity=ONE_HOUR",
                           &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *c = json_object_get(j, "candles");
    cr_assert_eq(json_array_size(c), 3);
    json_t *first = json_array_get(c, 0);
    cr_assert_str_eq(sget(first, "start"), "1740708000", "newest first");
    double want[5];
    csv_1h(1740708000LL, want);
    cr_assert_float_eq(strtod(sget(first, "open"), NULL), want[0], 1e-9);
    cr_assert_float_eq(strtod(sget(first, "low"), NULL), want[2], 1e-9);
    cr_assert_float_eq(strtod(sget(first, "volume"), NULL), want[4], 1e-9);
    json_decref(j);
    qf_mock_http_free(&r);

    j = get_public("/api/v3/brokerage/market/products/BTC-USDT/candles?start=1700000000&"
                   "end=1740708000&granularity=ONE_HOUR",
                   &r);
    cr_assert_eq(r.status, 400, "more than 300 buckets");
    cr_assert_str_eq(sget(j, "error"), "INVALID_ARGUMENT");
    json_decref(j);
    qf_mock_http_free(&r);

    /* the authenticated path serves the same */
    j = at("GET", "/products/BTC-USDT/candles?start=1740700800&end=1740708000&granularity=ONE_HOUR",
           NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(j, "candles")), 3);
    json_decref(j);
    qf_mock_http_free(&r);

    j = get_public("/api/v3/brokerage/time", &r);
    cr_assert_str_eq(sget(j, "epochSeconds"), "1740787200");
    cr_assert_str_eq(sget(j, "iso"), "2025-03-01T00:00:00Z");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_coinbase, jwt_is_checked, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = get_public("/api/v3/brokerage/accounts", &r);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(r.body, "Unauthorized");
    json_decref(j);
    qf_mock_http_free(&r);

    j = at("GET", "/accounts", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_geq(json_array_size(json_object_get(j, "accounts")), 4);
    json_decref(j);
    qf_mock_http_free(&r);

    jwt_opts ed = {.ed25519 = 1};
    j = at("GET", "/accounts", NULL, &ed, &r);
    cr_assert_eq(r.status, 200, "EdDSA: %s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);

    jwt_opts bad[] = {{.uri_path = "/api/v3/brokerage/orders"},
                      {.time_offset_s = -121},
                      {.time_offset_s = 30},
                      {.tamper = 1},
                      {.ed25519 = 1, .tamper = 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = at("GET", "/accounts", NULL, &bad[i], &r);
        cr_assert_eq(r.status, 401, "case %zu: %s", i, r.body);
        json_decref(j);
        qf_mock_http_free(&r);
    }
}

Test(mock_coinbase, key_permissions_need_a_jwt, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = get_public("/api/v3/brokerage/key_permissions", &r);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(r.body, "Unauthorized");
    json_decref(j);
    qf_mock_http_free(&r);

    jwt_opts late = {.time_offset_s = -121};
    j = at("GET", "/key_permissions", NULL, &late, &r);
    cr_assert_eq(r.status, 401, "expired JWT: %s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);

    jwt_opts kinds[] = {{0}, {.ed25519 = 1}};
    for (size_t i = 0; i < 2; i++) {
        j = at("GET", "/key_permissions", NULL, &kinds[i], &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        cr_assert(json_is_true(json_object_get(j, "can_view")), "%s", r.body);
        cr_assert(json_is_true(json_object_get(j, "can_trade")), "%s", r.body);
        cr_assert(json_is_false(json_object_get(j, "can_transfer")), "%s", r.body);
        cr_assert_eq(strlen(sget(j, "portfolio_uuid")), 36);
        cr_assert_str_eq(sget(j, "portfolio_type"), "DEFAULT");
        json_decref(j);
        qf_mock_http_free(&r);
    }
    j = at("POST", "/key_permissions", "{}", NULL, &r);
    cr_assert_eq(r.status, 404, "GET only: %s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_coinbase, product_book_is_the_shared_book_in_strings, .init = setup, .fini = teardown)
{
    /* Frozen at 2025-03-01T00:00Z: the price is the 1h bar's open, 84349.95;
     * levels one tick (0.01) apart, bids from it down, asks from a tick up;
     * sizes floor(2000 USDT / price, step 0.00001) x 1, 2, 3, 1, ... */
    static const char *const bid_px[] = {"84349.95", "84349.94", "84349.93", "84349.92"};
    static const char *const ask_px[] = {"84349.96", "84349.97", "84349.98", "84349.99"};
    static const char *const size[] = {"0.02371", "0.04742", "0.07113", "0.02371"};
    qf_mock_http_resp r;
    json_t *j = get_public("/api/v3/brokerage/market/product_book?product_id=BTC-USDT&limit=4", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *pb = json_object_get(j, "pricebook");
    cr_assert_str_eq(sget(pb, "product_id"), "BTC-USDT");
    cr_assert_str_eq(sget(pb, "time"), "2025-03-01T00:00:00Z");
    json_t *bids = json_object_get(pb, "bids"), *asks = json_object_get(pb, "asks");
    cr_assert_eq(json_array_size(bids), 4, "%s", r.body);
    cr_assert_eq(json_array_size(asks), 4, "%s", r.body);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(sget(json_array_get(bids, i), "price"), bid_px[i]);
        cr_assert_str_eq(sget(json_array_get(bids, i), "size"), size[i]);
        cr_assert_str_eq(sget(json_array_get(asks, i), "price"), ask_px[i]);
        cr_assert_str_eq(sget(json_array_get(asks, i), "size"), size[i]);
    }
    cr_assert_str_eq(sget(j, "mid_market"), "84349.955");
    cr_assert_str_eq(sget(j, "spread_absolute"), "0.01");
    json_decref(j);
    qf_mock_http_free(&r);

    /* Binance's /depth serves the same book at the same moment. */
    j = get_public("/api/v3/depth?symbol=BTCUSDT&limit=4", &r);
    for (size_t i = 0; i < 4; i++) {
        json_t *b = json_array_get(json_object_get(j, "bids"), i);
        cr_assert_float_eq(strtod(json_string_value(json_array_get(b, 0)), NULL),
                           strtod(bid_px[i], NULL), 1e-9);
        cr_assert_float_eq(strtod(json_string_value(json_array_get(b, 1)), NULL),
                           strtod(size[i], NULL), 1e-12);
    }
    json_decref(j);
    qf_mock_http_free(&r);

    /* The authenticated path serves it too; limit defaults to 100. */
    j = at("GET", "/product_book?product_id=ETH-USDT", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(json_object_get(j, "pricebook"), "bids")), 100);
    json_decref(j);
    qf_mock_http_free(&r);
    j = get_public("/api/v3/brokerage/product_book?product_id=ETH-USDT", &r);
    cr_assert_eq(r.status, 401, "no JWT on the private path");
    json_decref(j);
    qf_mock_http_free(&r);

    static const struct {
        const char *path;
        long status;
        const char *error;
    } bad[] = {
        {"/api/v3/brokerage/market/product_book?product_id=DOGE-USDT", 404, "NOT_FOUND"},
        {"/api/v3/brokerage/market/product_book?limit=5", 400, "INVALID_ARGUMENT"},
        {"/api/v3/brokerage/market/product_book?product_id=BTC-USDT&limit=0", 400,
         "INVALID_ARGUMENT"},
        {"/api/v3/brokerage/market/product_book?product_id=BTC-USDT&limit=5001", 400,
         "INVALID_ARGUMENT"},
        {"/api/v3/brokerage/market/product_book?product_id=BTC-USDT&limit=ten", 400,
         "INVALID_ARGUMENT"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = get_public(bad[i].path, &r);
        cr_assert_eq(r.status, bad[i].status, "%s: %s", bad[i].path, r.body);
        cr_assert_str_eq(sget(j, "error"), bad[i].error);
        json_decref(j);
        qf_mock_http_free(&r);
    }
}

static json_t *place(const char *cid, const char *side, const char *cfg, qf_mock_http_resp *r)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"client_order_id\":\"%s\",\"product_id\":\"BTC-USDT\",\"side\":\"%s\","
             "\"order_configuration\":%s}",
             cid, side, cfg);
    return at("POST", "/orders", body, NULL, r);
}

Test(mock_coinbase, limit_order_idempotent_list_cancel, .init = setup, .fini = teardown)
{
    const char *cfg = "{\"limit_limit_gtc\":{\"base_size\":\"0.001\",\"limit_price\":\"80000.00\","
                      "\"post_only\":false}}";
    qf_mock_http_resp r;
    json_t *j = place("qf-cb-1", "BUY", cfg, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(json_is_true(json_object_get(j, "success")), "%s", r.body);
    json_t *sr = json_object_get(j, "success_response");
    char oid[64];
    snprintf(oid, sizeof oid, "%s", sget(sr, "order_id"));
    cr_assert_str_eq(sget(sr, "client_order_id"), "qf-cb-1");
    json_decref(j);
    qf_mock_http_free(&r);

    /* the same client_order_id again: the same order, no second one */
    j = place("qf-cb-1", "BUY", cfg, &r);
    cr_assert(json_is_true(json_object_get(j, "success")));
    cr_assert_str_eq(sget(json_object_get(j, "success_response"), "order_id"), oid);
    json_decref(j);
    qf_mock_http_free(&r);
    cr_assert_eq(qf_mock_count_orders(M, "qf-cb-1"), 1);

    char path[256];
    snprintf(path, sizeof path, "/orders/historical/%s", oid);
    j = at("GET", path, NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *o = json_object_get(j, "order");
    cr_assert_str_eq(sget(o, "status"), "OPEN");
    cr_assert_str_eq(sget(o, "filled_size"), "0");
    cr_assert_str_eq(sget(o, "client_order_id"), "qf-cb-1");
    cr_assert_str_eq(sget(o, "time_in_force"), "GOOD_UNTIL_CANCELLED");
    cr_assert_str_eq(sget(o, "created_time"), "2025-03-01T00:00:00Z");
    json_decref(j);
    qf_mock_http_free(&r);

    j = at("GET", "/orders/historical/batch?order_status=OPEN&product_id=BTC-USDT", NULL, NULL, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "orders")), 1, "%s", r.body);
    cr_assert(json_is_false(json_object_get(j, "has_next")));
    json_decref(j);
    qf_mock_http_free(&r);
    j = at("GET", "/orders/historical/batch?product_ids=BTC-USDT", NULL, NULL, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "orders")), 1, "%s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);
    j = at("GET", "/orders/historical/batch?product_ids=ETH-USDT", NULL, NULL, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "orders")), 0, "%s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);
    j = at("GET", "/orders/historical/batch?client_order_id=qf-cb-1", NULL, NULL, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "orders")), 1);
    json_decref(j);
    qf_mock_http_free(&r);
    j = at("GET", "/orders/historical/batch?client_order_id=other", NULL, NULL, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "orders")), 0);
    json_decref(j);
    qf_mock_http_free(&r);

    qf_mock_fault(M, "/api/v3/brokerage/orders/historical/", QF_MOCK_FAULT_QUERY_UNKNOWN, 1, 0);
    j = at("GET", path, NULL, NULL, &r);
    cr_assert_eq(r.status, 404, "unknown right after submission");
    json_decref(j);
    qf_mock_http_free(&r);

    char body[256];
    snprintf(body, sizeof body, "{\"order_ids\":[\"%s\",\"nope\"]}", oid);
    j = at("POST", "/orders/batch_cancel", body, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *res = json_object_get(j, "results");
    cr_assert(json_is_true(json_object_get(json_array_get(res, 0), "success")));
    cr_assert(json_is_false(json_object_get(json_array_get(res, 1), "success")));
    json_decref(j);
    qf_mock_http_free(&r);
    j = at("GET", path, NULL, NULL, &r);
    cr_assert_str_eq(sget(json_object_get(j, "order"), "status"), "CANCELLED");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_coinbase, market_order_fills_and_rejections, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = place("qf-cb-m", "BUY", "{\"market_market_ioc\":{\"quote_size\":\"100\"}}", &r);
    cr_assert(json_is_true(json_object_get(j, "success")), "%s", r.body);
    char oid[64], path[256];
    snprintf(oid, sizeof oid, "%s", sget(json_object_get(j, "success_response"), "order_id"));
    json_decref(j);
    qf_mock_http_free(&r);
    snprintf(path, sizeof path, "/orders/historical/%s", oid);
    j = at("GET", path, NULL, NULL, &r);
    json_t *o = json_object_get(j, "order");
    cr_assert_str_eq(sget(o, "status"), "FILLED");
    /* 100 / 84349.96 -> 0.00118 BTC for 99.5329528; fee 0.1% in quote */
    cr_assert_str_eq(sget(o, "filled_size"), "0.00118");
    cr_assert_str_eq(sget(o, "filled_value"), "99.5329528");
    cr_assert_str_eq(sget(o, "total_fees"), "0.09953295");
    cr_assert_str_eq(sget(o, "average_filled_price"), "84349.96");
    json_decref(j);
    qf_mock_http_free(&r);

    snprintf(path, sizeof path, "/orders/historical/fills?order_id=%s", oid);
    j = at("GET", path, NULL, NULL, &r);
    json_t *f = json_array_get(json_object_get(j, "fills"), 0);
    cr_assert_not_null(f, "%s", r.body);
    cr_assert_str_eq(sget(f, "price"), "84349.96");
    cr_assert_str_eq(sget(f, "size"), "0.00118");
    cr_assert_str_eq(sget(f, "liquidity_indicator"), "TAKER");
    json_decref(j);
    qf_mock_http_free(&r);

    j = place("qf-cb-r1", "BUY",
              "{\"limit_limit_gtc\":{\"base_size\":\"0.0000001\",\"limit_price\":\"80000\"}}", &r);
    cr_assert_eq(r.status, 200, "rejections come with HTTP 200");
    cr_assert(json_is_false(json_object_get(j, "success")));
    cr_assert_str_eq(sget(json_object_get(j, "error_response"), "error"), "INVALID_SIZE_PRECISION");
    json_decref(j);
    qf_mock_http_free(&r);
    j = place("qf-cb-r2", "BUY",
              "{\"limit_limit_gtc\":{\"base_size\":\"5\",\"limit_price\":\"80000\"}}", &r);
    cr_assert_str_eq(sget(json_object_get(j, "error_response"), "error"), "INSUFFICIENT_FUND");
    json_decref(j);
    qf_mock_http_free(&r);
    j = place("qf-cb-f", "BUY",
              "{\"limit_limit_fok\":{\"base_size\":\"0.2\",\"limit_price\":\"84349.97\"}}", &r);
    cr_assert(json_is_true(json_object_get(j, "success")));
    snprintf(path, sizeof path, "/orders/historical/%s",
             sget(json_object_get(j, "success_response"), "order_id"));
    json_decref(j);
    qf_mock_http_free(&r);
    j = at("GET", path, NULL, NULL, &r);
    cr_assert_str_eq(sget(json_object_get(j, "order"), "status"), "EXPIRED");
    json_decref(j);
    qf_mock_http_free(&r);
    cr_assert_eq(qf_mock_count_orders(M, "qf-cb-r1") + qf_mock_count_orders(M, "qf-cb-r2"), 0);

    j = at("POST", "/orders", "{not json", NULL, &r);
    cr_assert_eq(r.status, 400);
    json_decref(j);
    qf_mock_http_free(&r);
}
