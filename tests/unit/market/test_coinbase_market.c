/*
 * test_coinbase_market.c - the Coinbase Advanced Trade market-data adapter
 * over real HTTP against the mock exchange (which serves BTC-USDT from the
 * bundled BTCUSDT 1h candles): pages of <= 300 buckets in ascending order,
 * 4h bars built from 1h equal to Binance's own 4h bars in data/BTCUSDT-4h.csv,
 * the forming bar dropped, products -> rules, ticker, unknown product; the
 * order book (product_book) hand-computed from the mock's synthetic book and
 * equal to Binance's /depth of the same mock, its faults, and the strict
 * book parser (types, order of levels, crossed book).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/time.h"
#include "market/coinbase_parse.h"
#include "market/exchange.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

#define H1    QF_MS_PER_HOUR
#define H4    (4 * QF_MS_PER_HOUR)
#define T2024 INT64_C(1704067200000) /* 2024-01-01T00:00:00Z */

static qf_mock *g_mock;
static qf_exchange *g_ex;
static char *g_dir;
static qf_bars g_csv4; /* data/BTCUSDT-4h.csv */

static void setup(void)
{
    qf_err err;
    qf_mock_opts mo = {0};
    cr_assert_eq(qf_mock_start(&mo, &g_mock, &err), QF_OK, "%s", err.msg);
    g_dir = qf_test_tmpdir();
    setenv("QF_RATELIMIT_DIR", g_dir, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(g_mock, &cfg);
    cr_assert_eq(qf_exchange_open(&cfg, "coinbase", &g_ex, &err), QF_OK, "%s", err.msg);
    g_csv4 = qf_test_bars("BTCUSDT");
}

static void teardown(void)
{
    qf_exchange_close(g_ex);
    qf_mock_stop(g_mock);
    qf_test_rmtree(g_dir);
    free(g_dir);
    qf_bars_cleanup(&g_csv4);
}

TestSuite(coinbase_market, .init = setup, .fini = teardown, .timeout = 60);

static long csv4_index(int64_t t)
{
    for (size_t i = 0; i < g_csv4.n; i++)
        if (g_csv4.open_time[i] == t)
            return (long)i;
    return -1;
}

Test(coinbase_market, one_hour_pages_ascending_without_overlap)
{
    qf_err err;
    qf_candles a, b;
    qf_candles_init(&a);
    qf_candles_init(&b);
    int64_t next = 0;
    bool done = true;
    cr_assert_eq(qf_exchange_candles_page(g_ex, "BTC/USDT", "1h", T2024, &a, &next, &done, &err),
                 QF_OK, "%s", err.msg);
    cr_assert(!done);
    cr_assert(a.n > 250 && a.n <= 300, "%zu", a.n);
    cr_assert_eq(a.v[0].open_time, T2024);
    for (size_t i = 1; i < a.n; i++)
        cr_assert(a.v[i].open_time > a.v[i - 1].open_time, "ascending at %zu", i);
    cr_assert_eq(next, T2024 + 300 * H1);
    cr_assert(a.v[a.n - 1].open_time < next);
    cr_assert_eq(qf_exchange_candles_page(g_ex, "BTC/USDT", "1h", next, &b, &next, &done, &err),
                 QF_OK, "%s", err.msg);
    cr_assert(b.n > 0);
    cr_assert(b.v[0].open_time > a.v[a.n - 1].open_time);
    /* Four 1h bars fold into the CSV's 4h bar (Binance's own aggregation). */
    long k = csv4_index(a.v[0].open_time);
    cr_assert(k >= 0);
    cr_assert_eq(a.v[0].open, g_csv4.open[k]);
    cr_assert_eq(a.v[3].close, g_csv4.close[k]);
    qf_candles_cleanup(&a);
    qf_candles_cleanup(&b);
}

Test(coinbase_market, four_hour_bars_built_from_one_hour_equal_binance_4h)
{
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    int64_t next = 0;
    bool done = true;
    cr_assert_eq(
        qf_exchange_candles_page(g_ex, "BTC/USDT", "4h", T2024 + H1, &c, &next, &done, &err), QF_OK,
        "%s", err.msg);
    cr_assert(c.n >= 70 && c.n <= 75, "%zu 4h bars from <= 300 1h buckets", c.n);
    cr_assert_eq(c.v[0].open_time, T2024 + H4, "aligned to 4h, at or after start");
    size_t compared = 0;
    for (size_t i = 0; i < c.n; i++) {
        cr_assert_eq(c.v[i].open_time % H4, 0);
        long k = csv4_index(c.v[i].open_time);
        cr_assert(k >= 0);
        cr_assert_eq(c.v[i].open, g_csv4.open[k], "bar %zu open", i);
        cr_assert_eq(c.v[i].high, g_csv4.high[k], "bar %zu high", i);
        cr_assert_eq(c.v[i].low, g_csv4.low[k], "bar %zu low", i);
        cr_assert_eq(c.v[i].close, g_csv4.close[k], "bar %zu close", i);
        cr_assert(fabs(c.v[i].volume - g_csv4.volume[k]) <= 1e-6 * g_csv4.volume[k] + 1e-9,
                  "bar %zu volume %.8f vs %.8f", i, c.v[i].volume, g_csv4.volume[k]);
        compared++;
    }
    cr_assert(compared > 0);
    cr_assert_eq(next, c.v[c.n - 1].open_time + H4);
    qf_candles_cleanup(&c);
}

Test(coinbase_market, forming_bar_is_never_returned)
{
    qf_err err;
    int64_t now = qf_mock_now(g_mock);
    int64_t forming = qf_time_floor(now, H4);
    qf_mock_advance(g_mock, forming + H4 / 2 + H1 / 2 - now); /* 2.5 h into a 4h bar */
    qf_candles c;
    qf_candles_init(&c);
    int64_t next = 0;
    bool done = false;
    cr_assert_eq(
        qf_exchange_candles_page(g_ex, "BTC/USDT", "4h", forming - 10 * H4, &c, &next, &done, &err),
        QF_OK, "%s", err.msg);
    cr_assert(done);
    cr_assert_eq(c.v[c.n - 1].open_time, forming - H4,
                 "the 4h bar with only 2 closed hours "
                 "is not built");
    cr_assert_eq(next, forming);
    cr_assert_eq(qf_exchange_candles_page(g_ex, "BTC/USDT", "1h", forming, &c, &next, &done, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(c.n, 2, "two closed hours, not the third forming one");
    cr_assert(done);
    qf_candles_cleanup(&c);
}

Test(coinbase_market, products_ticker_and_unknown_product)
{
    qf_err err;
    qf_symbol_rules r;
    cr_assert_eq(qf_exchange_rules(g_ex, "BTC/USDT", false, &r, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(r.venue_symbol, "BTC-USDT");
    cr_assert(r.trading);
    cr_assert(r.tick_size > 0 && r.step_size > 0 && r.min_qty > 0, "%g %g %g", r.tick_size,
              r.step_size, r.min_qty);
    qf_ticker t;
    cr_assert_eq(qf_exchange_ticker(g_ex, "BTC/USDT", &t, &err), QF_OK, "%s", err.msg);
    cr_assert(t.bid > 0 && t.ask >= t.bid);
    qf_candles c;
    qf_candles_init(&c);
    int64_t next;
    bool done;
    cr_assert_eq(qf_exchange_candles_page(g_ex, "DOGE/USDT", "1h", T2024, &c, &next, &done, &err),
                 QF_ENOTFOUND, "%s", err.msg);
    cr_assert(strstr(err.msg, "/market/products/DOGE-USDT/candles") != NULL, "%s", err.msg);
    qf_candles_cleanup(&c);
}

/* A mock frozen at 2025-03-01T00:00Z and an adapter of `venue` on it. */
static qf_mock *frozen_mock(void)
{
    qf_mock *m = NULL;
    qf_err err;
    qf_mock_opts mo = {.frozen_clock = 1};
    cr_assert_eq(qf_mock_start(&mo, &m, &err), QF_OK, "%s", err.msg);
    return m;
}

static qf_exchange *open_on(qf_mock *m, const char *venue)
{
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(m, &cfg);
    qf_exchange *e = NULL;
    qf_err err;
    cr_assert_eq(qf_exchange_open(&cfg, venue, &e, &err), QF_OK, "%s", err.msg);
    return e;
}

Test(coinbase_market, depth_is_the_mocks_book_and_equals_binance_depth)
{
    qf_mock *m = frozen_mock();
    qf_exchange *cb = open_on(m, "coinbase");
    qf_exchange *bn = open_on(m, "binance");
    qf_err err;
    qf_book b;
    int64_t before = qf_time_now_ms();
    cr_assert_eq(qf_exchange_depth(cb, "BTC/USDT", 10, &b, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(b.n_bids, 10);
    cr_assert_eq(b.n_asks, 10);
    cr_assert(b.time >= before && b.time <= qf_time_now_ms(), "time = receipt");
    cr_assert_eq(qf_book_check(&b, &err), QF_OK, "%s", err.msg);
    /* Hand-computed: last 84349.95 (the 2025-03-01 00:00 1h open), bids down
     * from it and asks up from a tick above, 0.01 apart; sizes
     * floor(2000 / 84349.95, 0.00001) = 0.02371 times 1, 2, 3, 1, 2, ... */
    for (size_t i = 0; i < 10; i++) {
        cr_assert_float_eq(b.bids[i].price, 84349.95 - 0.01 * (double)i, 1e-7, "bid %zu", i);
        cr_assert_float_eq(b.asks[i].price, 84349.96 + 0.01 * (double)i, 1e-7, "ask %zu", i);
        cr_assert_float_eq(b.bids[i].qty, 0.02371 * (double)(1 + i % 3), 1e-12, "bid qty %zu", i);
        cr_assert_float_eq(b.asks[i].qty, 0.02371 * (double)(1 + i % 3), 1e-12, "ask qty %zu", i);
    }
    /* The mock's Binance /depth serves the same book: the adapters agree. */
    qf_book_level saved[20];
    memcpy(saved, b.bids, 10 * sizeof *saved);
    memcpy(saved + 10, b.asks, 10 * sizeof *saved);
    qf_book d;
    cr_assert_eq(qf_exchange_depth(bn, "BTC/USDT", 10, &d, &err), QF_OK, "%s", err.msg);
    for (size_t i = 0; i < 10; i++) {
        cr_assert_eq(d.bids[i].price, saved[i].price, "bid %zu", i);
        cr_assert_eq(d.bids[i].qty, saved[i].qty, "bid qty %zu", i);
        cr_assert_eq(d.asks[i].price, saved[10 + i].price, "ask %zu", i);
        cr_assert_eq(d.asks[i].qty, saved[10 + i].qty, "ask qty %zu", i);
    }
    /* The ticker's best bid/ask are the book's top. */
    qf_ticker t;
    cr_assert_eq(qf_exchange_ticker(cb, "BTC/USDT", &t, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(t.bid, saved[0].price);
    cr_assert_eq(t.ask, saved[10].price);
    /* One level; another symbol. */
    cr_assert_eq(qf_exchange_depth(cb, "ETH/USDT", 1, &b, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(b.n_bids, 1);
    cr_assert_eq(b.n_asks, 1);
    cr_assert(b.bids[0].price > 100 && b.bids[0].price < 10000, "%f", b.bids[0].price);
    cr_assert(b.asks[0].price > b.bids[0].price);
    qf_exchange_close(bn);
    qf_exchange_close(cb);
    qf_mock_stop(m);
}

Test(coinbase_market, depth_bad_arguments_and_unknown_product)
{
    qf_err err;
    qf_book b = {.time = 7};
    long before = qf_mock_get_stats(g_mock).requests;
    cr_assert_eq(qf_exchange_depth(g_ex, "BTC/USDT", 0, &b, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "limit 0") != NULL, "%s", err.msg);
    cr_assert_eq(qf_exchange_depth(g_ex, "BTC/USDT", QF_BOOK_LEVELS_MAX + 1, &b, &err), QF_EINVAL);
    cr_assert_eq(qf_exchange_depth(g_ex, "BTCUSDT", 5, &b, &err), QF_EINVAL, "%s", err.msg);
    cr_assert_eq(qf_mock_get_stats(g_mock).requests, before, "refused before any request");
    cr_assert_eq(qf_exchange_depth(g_ex, "DOGE/USDT", 5, &b, &err), QF_ENOTFOUND, "%s", err.msg);
    cr_assert(strstr(err.msg, "/market/product_book") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "product_id=") == NULL, "no query string: %s", err.msg);
    cr_assert_eq(b.time, 7, "out untouched on error");
}

Test(coinbase_market, depth_faults_are_clear_errors_and_keep_the_last_book)
{
    qf_err err;
    qf_book good;
    cr_assert_eq(qf_exchange_depth(g_ex, "BTC/USDT", 5, &good, &err), QF_OK, "%s", err.msg);
    double top = good.bids[0].price;
    static const struct {
        qf_mock_fault_kind kind;
        const char *says;
    } faults[] = {
        {QF_MOCK_FAULT_MALFORMED, "JSON"},
        {QF_MOCK_FAULT_TRUNCATED, "JSON"},
        {QF_MOCK_FAULT_WRONG_TYPES, "pricebook.bids[0].price"},
    };
    const char *path = "/api/v3/brokerage/market/product_book";
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        qf_book b = {.time = 7};
        qf_mock_fault(g_mock, path, faults[i].kind, 1, 0);
        cr_assert_eq(qf_exchange_depth(g_ex, "BTC/USDT", 5, &b, &err), QF_EPARSE, "fault %zu: %s",
                     i, err.msg);
        cr_assert(strstr(err.msg, "/market/product_book") != NULL, "%s", err.msg);
        cr_assert(strstr(err.msg, faults[i].says) != NULL, "fault %zu: %s", i, err.msg);
        cr_assert_eq(b.time, 7, "out untouched");
        cr_assert_eq(good.bids[0].price, top, "the previous book's levels stay valid");
    }
    /* A 502 HTML page is retried (GET): once, then the real book. */
    qf_mock_fault(g_mock, path, QF_MOCK_FAULT_HTML, 1, 0);
    qf_book b;
    cr_assert_eq(qf_exchange_depth(g_ex, "BTC/USDT", 5, &b, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(b.n_bids, 5);
    /* Every attempt an HTML page: an error naming the endpoint, no crash. */
    qf_mock_fault(g_mock, path, QF_MOCK_FAULT_HTML, 10, 0);
    cr_assert_neq(qf_exchange_depth(g_ex, "BTC/USDT", 5, &b, &err), QF_OK);
    cr_assert(strstr(err.msg, "product_book") != NULL, "%s", err.msg);
    qf_mock_fault(g_mock, NULL, QF_MOCK_FAULT_NONE, 0, 0);
}

/* Parses one pricebook body; QF_OK or the error, outputs checked untouched on error. */
static qf_rc parse_book(const char *body, qf_err *err, size_t *nb, size_t *na, qf_book_level **lv)
{
    char product[16] = "unset";
    int64_t t = -1;
    *lv = NULL;
    *nb = *na = 99;
    qf_rc rc =
        qf_coinbase_parse_book(body, strlen(body), product, sizeof product, &t, lv, nb, na, err);
    if (rc != QF_OK) {
        cr_assert_str_eq(product, "unset");
        cr_assert_eq(t, -1);
        cr_assert_null(*lv);
        cr_assert_eq(*nb, 99);
    } else {
        cr_assert_str_eq(product, "BTC-USD");
        cr_assert_eq(t, INT64_C(1775521739662), "RFC 3339 with microseconds, to ms");
    }
    return rc;
}

#define BOOK(bids, asks)                                                                           \
    "{\"pricebook\":{\"product_id\":\"BTC-USD\",\"bids\":[" bids "],\"asks\":[" asks               \
    "],\"time\":\"2026-04-07T00:28:59.662782Z\"},\"last\":\"68923.665\"}"

Test(coinbase_market, book_parser_is_strict)
{
    qf_err err;
    size_t nb, na;
    qf_book_level *lv;
    /* A real reply's shape (levels with gaps, whole prices without decimals). */
    cr_assert_eq(parse_book(BOOK("{\"price\":\"68923.66\",\"size\":\"0.17189468\"},"
                                 "{\"price\":\"68923\",\"size\":\"0.05795895\"}",
                                 "{\"price\":\"68923.67\",\"size\":\"0.16987193\"},"
                                 "{\"price\":\"68926\",\"size\":\"0.058\"}"),
                            &err, &nb, &na, &lv),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(nb, 2);
    cr_assert_eq(na, 2);
    cr_assert_float_eq(lv[0].price, 68923.66, 1e-9);
    cr_assert_float_eq(lv[1].price, 68923.0, 1e-9);
    cr_assert_float_eq(lv[1].qty, 0.05795895, 1e-12);
    cr_assert_float_eq(lv[2].price, 68923.67, 1e-9);
    cr_assert_float_eq(lv[3].qty, 0.058, 1e-12);
    free(lv);
    /* An empty side is a valid book. */
    cr_assert_eq(parse_book(BOOK("", "{\"price\":\"1\",\"size\":\"2\"}"), &err, &nb, &na, &lv),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(nb, 0);
    free(lv);

    static const struct {
        const char *body, *says;
    } bad[] = {
        {BOOK("{\"price\":68923.66,\"size\":\"1\"}", ""), "pricebook.bids[0].price"},
        {BOOK("{\"price\":\"2\",\"size\":\"1\"}", "{\"price\":\"3\",\"size\":1}"),
         "pricebook.asks[0].size"},
        {BOOK("{\"price\":\"2\",\"size\":\"1\"},{\"price\":\"2.5\",\"size\":\"1\"}", ""), "bids"},
        {BOOK("", "{\"price\":\"3\",\"size\":\"1\"},{\"price\":\"3\",\"size\":\"1\"}"), "asks"},
        {BOOK("{\"price\":\"3\",\"size\":\"1\"}", "{\"price\":\"3\",\"size\":\"1\"}"), "pricebook"},
        {BOOK("{\"price\":\"-1\",\"size\":\"1\"}", ""), "pricebook.bids[0].price"},
        {BOOK("{\"price\":\"1e3\",\"size\":\"1\"}", ""), "pricebook.bids[0].price"},
        {BOOK("[\"2\",\"1\"]", ""), "pricebook.bids[0]: expected an object"},
        {BOOK("{\"size\":\"1\"}", ""), "pricebook.bids[0].price"},
        {"{\"pricebook\":{\"product_id\":\"BTC-USD\",\"bids\":[],\"asks\":[],\"time\":"
         "\"yesterday\"}}",
         "pricebook.time"},
        {"{\"pricebook\":{\"product_id\":\"BTC-USD\",\"bids\":[],\"asks\":[],\"time\":17}}",
         "pricebook.time"},
        {"{\"pricebook\":{\"product_id\":\"BTC-USD\",\"bids\":{},\"asks\":[],\"time\":"
         "\"2026-04-07T00:28:59Z\"}}",
         "pricebook.bids"},
        {"{\"pricebook\":{\"bids\":[],\"asks\":[],\"time\":\"2026-04-07T00:28:59Z\"}}",
         "pricebook.product_id"},
        {"{\"bids\":[],\"asks\":[]}", "field pricebook"},
        {"[]", "field pricebook"},
        {"<html><body>502 Bad Gateway</body></html>", "HTML"},
        {"{\"pricebook\":{\"product_id\":\"BTC-USD\",\"bids\":[{\"price\":\"1\"", "truncated"},
        {"", "empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(parse_book(bad[i].body, &err, &nb, &na, &lv), QF_EPARSE, "case %zu", i);
        cr_assert(strstr(err.msg, bad[i].says) != NULL, "case %zu: %s", i, err.msg);
    }
}
