/*
 * test_mock_binance_public.c - the mock's Binance market data over real HTTP
 * on 127.0.0.1: shapes and types, klines equal to the bundled CSV, paging,
 * gaps, the forming bar, weights, 429 -> 418, and fault injection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "mock/mock_client.h"
#include "mock/mock_exchange.h"

static qf_mock *M;

static void start_with(int weight_limit)
{
    qf_mock_opts o = {.weight_limit_1m = weight_limit};
    qf_err err = {0};
    cr_assert_eq(qf_mock_start(&o, &M, &err), QF_OK, "%s", err.msg);
}

static void setup(void)
{
    start_with(0);
}

static void teardown(void)
{
    qf_mock_stop(M);
    M = NULL;
}

/* GET path on the mock; parsed JSON (NULL when not JSON). */
static json_t *get(const char *path, qf_mock_http_resp *r)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", qf_mock_url(M), path);
    qf_mock_http("GET", url, NULL, NULL, 0, r);
    return json_loads(r->body, JSON_DECODE_ANY, NULL);
}

static long weight_header(const qf_mock_http_resp *r)
{
    char b[32];
    cr_assert_not_null(qf_mock_http_header(r, "X-MBX-USED-WEIGHT-1M", b, sizeof b),
                       "no X-MBX-USED-WEIGHT-1M in %s", r->headers);
    return strtol(b, NULL, 10);
}

static int binance_code(json_t *j)
{
    return (int)json_integer_value(json_object_get(j, "code"));
}

Test(mock_public, time_is_the_mock_clock, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 200);
    json_t *t = json_object_get(j, "serverTime");
    cr_assert(json_is_integer(t), "serverTime must be a JSON integer: %s", r.body);
    long long st = json_integer_value(t);
    cr_assert(st >= QF_MOCK_DEFAULT_START_MS && st < QF_MOCK_DEFAULT_START_MS + 5000, "%lld", st);
    cr_assert_eq(weight_header(&r), 1);
    json_decref(j);
    qf_mock_http_free(&r);

    qf_mock_advance(M, 3600000);
    j = get("/api/v3/time", &r);
    st = json_integer_value(json_object_get(j, "serverTime"));
    cr_assert(st >= QF_MOCK_DEFAULT_START_MS + 3600000, "advance moves serverTime");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_public, exchange_info_filters_as_strings, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = get("/api/v3/exchangeInfo?symbol=BTCUSDT", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(weight_header(&r), 20);
    json_t *syms = json_object_get(j, "symbols");
    cr_assert_eq(json_array_size(syms), 1);
    json_t *s = json_array_get(syms, 0);
    cr_assert_str_eq(json_string_value(json_object_get(s, "symbol")), "BTCUSDT");
    cr_assert_str_eq(json_string_value(json_object_get(s, "status")), "TRADING");
    cr_assert_str_eq(json_string_value(json_object_get(s, "baseAsset")), "BTC");
    cr_assert_str_eq(json_string_value(json_object_get(s, "quoteAsset")), "USDT");
    json_t *f;
    size_t i;
    int seen = 0;
    json_array_foreach(json_object_get(s, "filters"), i, f)
    {
        const char *type = json_string_value(json_object_get(f, "filterType"));
        if (strcmp(type, "PRICE_FILTER") == 0) {
            cr_assert_str_eq(json_string_value(json_object_get(f, "tickSize")), "0.01000000");
            seen++;
        } else if (strcmp(type, "LOT_SIZE") == 0) {
            cr_assert_str_eq(json_string_value(json_object_get(f, "stepSize")), "0.00001000");
            cr_assert_str_eq(json_string_value(json_object_get(f, "minQty")), "0.00001000");
            seen++;
        } else if (strcmp(type, "NOTIONAL") == 0) {
            cr_assert_str_eq(json_string_value(json_object_get(f, "minNotional")), "5.00000000");
            cr_assert(json_is_true(json_object_get(f, "applyMinToMarket")));
            seen++;
        }
    }
    cr_assert_eq(seen, 3);
    json_t *rl = json_array_get(json_object_get(j, "rateLimits"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(rl, "rateLimitType")), "REQUEST_WEIGHT");
    cr_assert_eq(json_integer_value(json_object_get(rl, "limit")), 6000);
    json_decref(j);
    qf_mock_http_free(&r);

    j = get("/api/v3/exchangeInfo?symbols=%5B%22ETHUSDT%22,%22SOLUSDT%22%5D", &r);
    cr_assert_eq(json_array_size(json_object_get(j, "symbols")), 2, "%s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);

    j = get("/api/v3/exchangeInfo?symbol=DOGEUSDT", &r);
    cr_assert_eq(r.status, 400);
    cr_assert_eq(binance_code(j), -1121, "%s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);
}

/* The CSV row of data/<file> with this open time, fields split. */
static int csv_row(const char *file, long long open_time, char fields[6][32])
{
    char path[1024], line[512], key[32];
    snprintf(path, sizeof path, "%s/data/%s", QF_SOURCE_DIR, file);
    snprintf(key, sizeof key, "%lld,", open_time);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) != 0)
            continue;
        char *p = line;
        for (int k = 0; k < 6; k++) {
            char *c = strchr(p, ',');
            *c = '\0';
            snprintf(fields[k], 32, "%.31s", p);
            p = c + 1;
        }
        found = 1;
    }
    fclose(f);
    return found;
}

/* "85678.11" -> "85678.11000000" */
static void pad8(const char *s, char *out, size_t size)
{
    const char *dot = strchr(s, '.');
    size_t nf = dot ? strlen(dot + 1) : 0;
    snprintf(out, size, "%s%s%.*s", s, dot ? "" : ".", (int)(8 - nf), "00000000");
}

static void assert_row_is_csv(json_t *row, const char *file, long long interval)
{
    cr_assert_eq(json_array_size(row), 12);
    long long t = json_integer_value(json_array_get(row, 0));
    char f[6][32], want[40];
    cr_assert(csv_row(file, t, f), "row %lld not in %s", t, file);
    for (int k = 1; k <= 5; k++) {
        json_t *v = json_array_get(row, (size_t)k);
        cr_assert(json_is_string(v), "field %d must be a string", k);
        pad8(f[k], want, sizeof want);
        cr_assert_str_eq(json_string_value(v), want, "row %lld field %d", t, k);
    }
    cr_assert(json_is_integer(json_array_get(row, 6)));
    cr_assert_eq(json_integer_value(json_array_get(row, 6)), t + interval - 1);
    cr_assert(json_is_integer(json_array_get(row, 8)), "trades is an integer");
    cr_assert_str_eq(json_string_value(json_array_get(row, 11)), "0");
}

Test(mock_public, klines_are_the_bundled_candles, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j =
        get("/api/v3/klines?symbol=BTCUSDT&interval=4h&startTime=1740787200000&limit=2", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(weight_header(&r), 2);
    /* the first 4h bar of 2025-03-01 is still forming at the mock's start,
     * so ask for older ones: 2025-02-28 */
    cr_assert_leq(json_array_size(j), 1, "only the forming bar exists from startTime=now: %s",
                  r.body);
    json_decref(j);
    qf_mock_http_free(&r);

    j = get("/api/v3/klines?symbol=BTCUSDT&interval=4h&startTime=1740700800000&limit=3", &r);
    cr_assert_eq(json_array_size(j), 3, "%s", r.body);
    json_t *row0 = json_array_get(j, 0), *row2 = json_array_get(j, 2);
    cr_assert_eq(json_integer_value(json_array_get(row0, 0)), 1740700800000LL);
    assert_row_is_csv(row0, "BTCUSDT-4h.csv", 14400000);
    assert_row_is_csv(json_array_get(j, 1), "BTCUSDT-4h.csv", 14400000);
    /* paging: next startTime = closeTime + 1 */
    cr_assert_eq(json_integer_value(json_array_get(row2, 0)), 1740729600000LL);
    json_decref(j);
    qf_mock_http_free(&r);

    /* 1h comes from the 1h file, exactly */
    j = get("/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1740700800000&limit=5", &r);
    cr_assert_eq(json_array_size(j), 5);
    for (size_t i = 0; i < 5; i++)
        assert_row_is_csv(json_array_get(j, i), "BTCUSDT-1h.csv", 3600000);
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_public, klines_keep_outages_missing, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j =
        get("/api/v3/klines?symbol=BTCUSDT&interval=4h&startTime=1518048000000&limit=2", &r);
    cr_assert_eq(json_array_size(j), 2);
    cr_assert_eq(json_integer_value(json_array_get(json_array_get(j, 0), 0)), 1518048000000LL);
    cr_assert_eq(json_integer_value(json_array_get(json_array_get(j, 1), 0)), 1518163200000LL,
                 "the outage stays a gap");
    assert_row_is_csv(json_array_get(j, 1), "BTCUSDT-4h.csv", 14400000);
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_public, newest_klines_end_with_the_forming_bar, .init = setup, .fini = teardown)
{
    qf_mock_advance(M, 2 * 3600000 + 1800000); /* 02:30 into the 00:00 4h bar */
    qf_mock_http_resp r;
    json_t *j = get("/api/v3/klines?symbol=BTCUSDT&interval=4h&limit=3", &r);
    cr_assert_eq(json_array_size(j), 3, "%s", r.body);
    json_t *last = json_array_get(j, 2);
    cr_assert_eq(json_integer_value(json_array_get(last, 0)), 1740787200000LL);
    char f[6][32], want[40];
    cr_assert(csv_row("BTCUSDT-4h.csv", 1740787200000LL, f));
    pad8(f[1], want, sizeof want);
    cr_assert_str_eq(json_string_value(json_array_get(last, 1)), want, "open is the real open");
    pad8(f[5], want, sizeof want);
    cr_assert_str_neq(json_string_value(json_array_get(last, 5)), want,
                      "the forming bar's volume is partial");
    double v = strtod(json_string_value(json_array_get(last, 5)), NULL);
    cr_assert(v > 0 && v < strtod(f[5], NULL));
    assert_row_is_csv(json_array_get(j, 1), "BTCUSDT-4h.csv", 14400000);

    /* endTime only: the newest up to it */
    json_decref(j);
    qf_mock_http_free(&r);
    j = get("/api/v3/klines?symbol=ETHUSDT&interval=4h&endTime=1740700800000&limit=2", &r);
    cr_assert_eq(json_array_size(j), 2);
    cr_assert_eq(json_integer_value(json_array_get(json_array_get(j, 1), 0)), 1740700800000LL);
    assert_row_is_csv(json_array_get(j, 0), "ETHUSDT-4h.csv", 14400000);
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_public, klines_reject_bad_parameters, .init = setup, .fini = teardown)
{
    static const struct {
        const char *q;
        int code;
    } cases[] = {{"symbol=BTCUSDT", -1102},
                 {"interval=1h", -1102},
                 {"symbol=BTCUSDT&interval=7h", -1120},
                 {"symbol=BTCUSDT&interval=1H", -1120},
                 {"symbol=BTCUSDT&interval=1h&limit=1001", -1100},
                 {"symbol=BTCUSDT&interval=1h&limit=abc", -1100},
                 {"symbol=BTCUSDT&interval=1h&startTime=5&endTime=4", -1023},
                 {"symbol=NOPE&interval=1h", -1121},
                 {"symbol=BTCUSDT&interval=1h&startTime=%zz", -1100},
                 {"symbol=BTCUSDT&interval=1h&startTime=-5", -1100}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "/api/v3/klines?%s", cases[i].q);
        qf_mock_http_resp r;
        json_t *j = get(path, &r);
        cr_assert_eq(r.status, 400, "%s: %ld", cases[i].q, r.status);
        cr_assert_eq(binance_code(j), cases[i].code, "%s: %s", cases[i].q, r.body);
        cr_assert(json_is_string(json_object_get(j, "msg")));
        json_decref(j);
        qf_mock_http_free(&r);
    }
}

Test(mock_public, depth_and_book_ticker, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    json_t *j = get("/api/v3/depth?symbol=BTCUSDT", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(weight_header(&r), 5);
    json_t *bids = json_object_get(j, "bids"), *asks = json_object_get(j, "asks");
    cr_assert_eq(json_array_size(bids), 100);
    cr_assert_eq(json_array_size(asks), 100);
    cr_assert(json_is_integer(json_object_get(j, "lastUpdateId")));
    double prev_bid = 1e18, prev_ask = 0;
    for (size_t i = 0; i < 100; i++) {
        double b = strtod(json_string_value(json_array_get(json_array_get(bids, i), 0)), NULL);
        double a = strtod(json_string_value(json_array_get(json_array_get(asks, i), 0)), NULL);
        cr_assert(b < prev_bid && a > prev_ask, "levels sorted");
        prev_bid = b;
        prev_ask = a;
    }
    double best_bid = strtod(json_string_value(json_array_get(json_array_get(bids, 0), 0)), NULL);
    double best_ask = strtod(json_string_value(json_array_get(json_array_get(asks, 0), 0)), NULL);
    cr_assert(best_bid < best_ask);
    /* around the 2025-03-01 00:00 open */
    cr_assert(best_bid > 84000 && best_bid < 84700, "%f", best_bid);
    json_decref(j);
    qf_mock_http_free(&r);

    j = get("/api/v3/depth?symbol=BTCUSDT&limit=500", &r);
    cr_assert_eq(weight_header(&r), 5 + 25);
    json_decref(j);
    qf_mock_http_free(&r);

    j = get("/api/v3/ticker/bookTicker?symbol=ETHUSDT", &r);
    cr_assert(json_is_object(j), "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(j, "symbol")), "ETHUSDT");
    cr_assert(json_is_string(json_object_get(j, "bidPrice")));
    cr_assert(json_is_string(json_object_get(j, "askQty")));
    json_decref(j);
    qf_mock_http_free(&r);

    j = get("/api/v3/ticker/bookTicker", &r);
    cr_assert(json_is_array(j));
    cr_assert_eq(json_array_size(j), 3);
    cr_assert_eq(weight_header(&r), 30 + 2 + 4);
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_public, over_the_weight_limit_429_then_418, .fini = teardown)
{
    start_with(50);
    qf_mock_http_resp r;
    json_t *j = get("/api/v3/exchangeInfo", &r); /* 20 */
    json_decref(j);
    qf_mock_http_free(&r);
    j = get("/api/v3/exchangeInfo", &r); /* 40 */
    cr_assert_eq(r.status, 200);
    json_decref(j);
    qf_mock_http_free(&r);
    j = get("/api/v3/exchangeInfo", &r); /* 60 > 50 */
    cr_assert_eq(r.status, 429);
    cr_assert_eq(binance_code(j), -1003);
    char b[32];
    cr_assert_str_eq(qf_mock_http_header(&r, "Retry-After", b, sizeof b), "1");
    cr_assert_eq(weight_header(&r), 60);
    json_decref(j);
    qf_mock_http_free(&r);
    /* keeps going without waiting: more 429s, then the ban */
    for (int i = 0; i < 2; i++) {
        j = get("/api/v3/time", &r);
        cr_assert_eq(r.status, 429, "strike %d", i);
        json_decref(j);
        qf_mock_http_free(&r);
    }
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 418);
    cr_assert_str_eq(qf_mock_http_header(&r, "Retry-After", b, sizeof b), "120");
    json_decref(j);
    qf_mock_http_free(&r);
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 418, "banned until it expires");
    json_decref(j);
    qf_mock_http_free(&r);
    qf_mock_stats st = qf_mock_get_stats(M);
    cr_assert_eq(st.ban_count, 2);
    cr_assert_gt(st.max_weight_1m, 50);
    qf_mock_advance(M, 121000);
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 200, "the ban is over");
    json_decref(j);
    qf_mock_http_free(&r);
}

Test(mock_public, a_client_that_waits_as_told_is_served_again, .fini = teardown)
{
    start_with(30);
    qf_mock_http_resp r;
    json_t *j = get("/api/v3/exchangeInfo", &r);
    json_decref(j);
    qf_mock_http_free(&r);
    j = get("/api/v3/exchangeInfo", &r);
    cr_assert_eq(r.status, 429);
    json_decref(j);
    qf_mock_http_free(&r);
    qf_mock_advance(M, 1000); /* Retry-After: 1 */
    for (int i = 0; i < 3; i++) {
        j = get("/api/v3/time", &r);
        cr_assert_eq(r.status, 200, "after the wait the count starts afresh");
        cr_assert_eq(weight_header(&r), i + 1);
        json_decref(j);
        qf_mock_http_free(&r);
    }
}

Test(mock_public, injected_faults, .init = setup, .fini = teardown)
{
    qf_mock_http_resp r;
    char b[64];
    json_t *j;

    qf_mock_fault(M, "/api/v3/time", QF_MOCK_FAULT_500, 1, 0);
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 500);
    cr_assert_eq(binance_code(j), -1001);
    weight_header(&r);
    json_decref(j);
    qf_mock_http_free(&r);

    qf_mock_fault(M, NULL, QF_MOCK_FAULT_503, 1, 0);
    j = get("/api/v3/depth?symbol=BTCUSDT", &r);
    cr_assert_eq(r.status, 503);
    json_decref(j);
    qf_mock_http_free(&r);

    qf_mock_fault(M, "/api/v3/klines", QF_MOCK_FAULT_HTML, 1, 0);
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 200, "another path does not take the fault");
    json_decref(j);
    qf_mock_http_free(&r);
    j = get("/api/v3/klines?symbol=BTCUSDT&interval=1h", &r);
    cr_assert_eq(r.status, 502);
    cr_assert_null(j);
    cr_assert(strstr(qf_mock_http_header(&r, "Content-Type", b, sizeof b), "text/html"));
    qf_mock_http_free(&r);

    qf_mock_fault(M, "/api/v3/time", QF_MOCK_FAULT_MALFORMED, 1, 0);
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_null(j, "malformed: %s", r.body);
    qf_mock_http_free(&r);

    qf_mock_fault(M, "/api/v3/exchangeInfo", QF_MOCK_FAULT_TRUNCATED, 1, 0);
    j = get("/api/v3/exchangeInfo", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_null(j);
    cr_assert_gt(strlen(r.body), 100, "half of the real body");
    qf_mock_http_free(&r);

    qf_mock_fault(M, "/api/v3/time", QF_MOCK_FAULT_WRONG_TYPES, 1, 0);
    j = get("/api/v3/time", &r);
    cr_assert(json_is_string(json_object_get(j, "serverTime")), "%s", r.body);
    json_decref(j);
    qf_mock_http_free(&r);

    qf_mock_fault(M, "/api/v3/time", QF_MOCK_FAULT_429, 1, 0);
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 429);
    cr_assert_not_null(qf_mock_http_header(&r, "Retry-After", b, sizeof b));
    json_decref(j);
    qf_mock_http_free(&r);

    qf_mock_fault(M, "/api/v3/time", QF_MOCK_FAULT_ACK_DROP, 1, 0);
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 0, "connection closed without a reply");
    json_decref(j);
    qf_mock_http_free(&r);

    /* slow: a client with a short timeout gives up; the mock goes on serving */
    qf_mock_fault(M, "/api/v3/time", QF_MOCK_FAULT_SLOW, 1, 1500);
    char url[256];
    snprintf(url, sizeof url, "%s/api/v3/time", qf_mock_url(M));
    qf_mock_http("GET", url, NULL, NULL, 200, &r);
    cr_assert_eq(r.status, 0, "timed out");
    qf_mock_http_free(&r);
    j = get("/api/v3/time", &r);
    cr_assert_eq(r.status, 200);
    json_decref(j);
    qf_mock_http_free(&r);

    /* three queued: each request takes one */
    qf_mock_fault(M, "/api/v3/time", QF_MOCK_FAULT_500, 2, 0);
    for (int i = 0; i < 3; i++) {
        j = get("/api/v3/time", &r);
        cr_assert_eq(r.status, i < 2 ? 500 : 200);
        json_decref(j);
        qf_mock_http_free(&r);
    }
}
