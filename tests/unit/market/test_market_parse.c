/*
 * test_market_parse.c - the pure Binance and Coinbase parsers on hand-written
 * bodies: exact values, the errors that name field and row, wrong types,
 * truncation, HTML, and the error bodies.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "market/binance_parse.h"
#include "market/coinbase_parse.h"
#include "market/venue_json.h"

#define H1 INT64_C(3600000)

static const char KLINES[] =
    "[[1717977600000,\"69650.01000000\",\"69820.00000000\",\"69512.30000000\",\"69745.88000000\","
    "\"512.33410000\",1717981199999,\"35707843.12045100\",41873,\"260.10020000\","
    "\"18128044.90210330\",\"0\"],"
    "[1717981200000,\"69745.89000000\",\"69790.00000000\",\"69401.15000000\",\"69433.02000000\","
    "\"640.91875000\",1717984799999,\"44583337.55120000\",50210,\"301.55000000\","
    "\"20977912.61000000\",\"0\"]]";

static qf_rc klines(const char *body, qf_candles *c, qf_err *err)
{
    return qf_binance_parse_klines(body, strlen(body), H1, c, err);
}

Test(market_parse, binance_klines_exact_values)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_err err;
    cr_assert_eq(klines(KLINES, &c, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.v[0].open_time, INT64_C(1717977600000));
    cr_assert_eq(c.v[0].open, 69650.01);
    cr_assert_eq(c.v[0].high, 69820.0);
    cr_assert_eq(c.v[0].low, 69512.3);
    cr_assert_eq(c.v[0].close, 69745.88);
    cr_assert_eq(c.v[0].volume, 512.3341);
    cr_assert_eq(c.v[0].quote_volume, 35707843.120451);
    cr_assert_eq(c.v[0].trades, 41873);
    cr_assert_eq(c.v[1].taker_buy_quote, 20977912.61);
    qf_candles_cleanup(&c);
}

/* Replaces the first occurrence of `from` in KLINES by `to`, parses, and
 * checks the error names `want`; `out` keeps its previous content. */
static void assert_klines_error(const char *from, const char *to, const char *want)
{
    char body[2048];
    const char *at = strstr(KLINES, from);
    cr_assert_not_null(at, "%s", from);
    size_t pre = (size_t)(at - KLINES);
    snprintf(body, sizeof body, "%.*s%s%s", (int)pre, KLINES, to, at + strlen(from));
    qf_candles c;
    qf_candles_init(&c);
    qf_candle keep = qf_candle_blank();
    keep.open_time = 42;
    qf_err err;
    cr_assert_eq(qf_candles_push(&c, &keep, &err), QF_OK);
    cr_assert_eq(klines(body, &c, &err), QF_EPARSE, "%s", body);
    cr_assert(strstr(err.msg, want) != NULL, "'%s' not in '%s'", want, err.msg);
    cr_assert_eq(c.n, 1, "out untouched");
    cr_assert_eq(c.v[0].open_time, 42);
    qf_candles_cleanup(&c);
}

Test(market_parse, binance_klines_errors_name_field_and_row)
{
    /* A number where a string is expected, and the reverse. */
    assert_klines_error("\"69650.01000000\"", "69650.01", "row 0 field open: expected a decimal");
    assert_klines_error("1717981199999", "\"1717981199999\"", "row 0 field closeTime");
    assert_klines_error("41873", "41873.5", "row 0 field trades: expected an integer");
    /* Decimal syntax is checked before strtod. */
    assert_klines_error("\"640.91875000\"", "\"6.4e2\"", "row 1 field volume");
    assert_klines_error("\"640.91875000\"", "\"nan\"", "row 1 field volume");
    assert_klines_error("\"640.91875000\"", "\"-1.0\"", "row 1 field volume");
    assert_klines_error("\"640.91875000\"", "\" 640\"", "row 1 field volume");
    /* Shape and consistency. */
    assert_klines_error("1717981199999", "1717981199998", "closeTime");
    assert_klines_error("\"69820.00000000\"", "\"69000.00000000\"", "outside [low, high]");
    assert_klines_error("1717981199999", "1717984799999", "row 0 field closeTime");
    assert_klines_error(",\"20977912.61000000\",\"0\"]]", "]]", "row 1: expected an array of 12");
}

Test(market_parse, binance_bad_documents)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_err err;
    cr_assert_eq(klines("", &c, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "empty") != NULL, "%s", err.msg);
    cr_assert_eq(klines("<html><body>502 Bad Gateway</body></html>", &c, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "HTML") != NULL, "%s", err.msg);
    char half[sizeof KLINES];
    memcpy(half, KLINES, sizeof KLINES / 2);
    half[sizeof KLINES / 2] = '\0';
    cr_assert_eq(klines(half, &c, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
    cr_assert_eq(klines("{\"code\":-1121,\"msg\":\"Invalid symbol.\"}", &c, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "expected an array") != NULL, "%s", err.msg);
    /* Rows out of order (interval 0 skips the closeTime check). */
    const char *twice = "[[1,\"1\",\"1\",\"1\",\"1\",\"1\",2,\"1\",1,\"1\",\"1\",\"0\"],"
                        "[1,\"1\",\"1\",\"1\",\"1\",\"1\",2,\"1\",1,\"1\",\"1\",\"0\"]]";
    cr_assert_eq(qf_binance_parse_klines(twice, strlen(twice), 0, &c, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "row 1 field openTime: not after") != NULL, "%s", err.msg);
    cr_assert_eq(klines("[]", &c, &err), QF_OK);
    cr_assert_eq(c.n, 0);
    qf_candles_cleanup(&c);
}

Test(market_parse, binance_exchange_info_filters)
{
    const char *body =
        "{\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
        "\"intervalNum\":1,\"limit\":6000}],\"symbols\":["
        "{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"baseAsset\":\"BTC\",\"quoteAsset\":"
        "\"USDT\",\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.01000000\","
        "\"maxPrice\":\"0.00000000\",\"tickSize\":\"0.01000000\"},{\"filterType\":\"LOT_SIZE\","
        "\"minQty\":\"0.00001000\",\"maxQty\":\"9000.00000000\",\"stepSize\":\"0.00001000\"},"
        "{\"filterType\":\"MARKET_LOT_SIZE\",\"minQty\":\"0.00000000\",\"maxQty\":\"120.5\","
        "\"stepSize\":\"0.00000000\"},{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5.00000000\","
        "\"applyMinToMarket\":true,\"maxNotional\":\"9000000.00000000\",\"applyMaxToMarket\":"
        "false,\"avgPriceMins\":5},{\"filterType\":\"MAX_NUM_ORDERS\",\"maxNumOrders\":200}]},"
        "{\"symbol\":\"LTCBTC\",\"status\":\"BREAK\",\"baseAsset\":\"LTC\",\"quoteAsset\":\"BTC\","
        "\"filters\":[{\"filterType\":\"MIN_NOTIONAL\",\"minNotional\":\"0.0001\","
        "\"applyToMarket\":false}]}]}";
    qf_symbol_rules *r = NULL;
    size_t n = 0;
    int wl = 0;
    qf_err err;
    cr_assert_eq(qf_binance_parse_exchange_info(body, strlen(body), 7, &r, &n, &wl, &err), QF_OK,
                 "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(wl, 6000);
    cr_assert_str_eq(r[0].symbol, "BTC/USDT");
    cr_assert(r[0].trading);
    cr_assert_eq(r[0].tick_size, 0.01);
    cr_assert_eq(r[0].max_price, 0, "0 = rule disabled, kept as 0");
    cr_assert_eq(r[0].step_size, 0.00001);
    cr_assert_eq(r[0].max_qty, 9000);
    cr_assert_eq(r[0].market_max_qty, 120.5);
    cr_assert_eq(r[0].market_step_size, 0);
    cr_assert_eq(r[0].min_notional, 5);
    cr_assert_eq(r[0].max_notional, 9000000);
    cr_assert(r[0].min_notional_market && !r[0].max_notional_market);
    cr_assert_eq(r[0].fetched_at, 7);
    cr_assert_str_eq(r[1].symbol, "LTC/BTC");
    cr_assert(!r[1].trading);
    cr_assert_eq(r[1].min_notional, 0.0001);
    cr_assert(!r[1].min_notional_market);
    free(r);
    const char *bad = "{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\","
                      "\"baseAsset\":\"BTC\",\"quoteAsset\":\"USDT\",\"filters\":[{\"filterType\":"
                      "\"LOT_SIZE\",\"minQty\":0.001,\"maxQty\":\"1\",\"stepSize\":\"0.001\"}]}]}";
    cr_assert_eq(qf_binance_parse_exchange_info(bad, strlen(bad), 0, &r, &n, &wl, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "symbol BTCUSDT filter LOT_SIZE field minQty") != NULL, "%s",
              err.msg);
}

Test(market_parse, binance_ticker_depth_time_error)
{
    qf_err err;
    qf_ticker t;
    const char *tk = "{\"symbol\":\"BTCUSDT\",\"bidPrice\":\"100.10\",\"bidQty\":\"1.5\","
                     "\"askPrice\":\"100.20\",\"askQty\":\"2\"}";
    cr_assert_eq(qf_binance_parse_book_ticker(tk, strlen(tk), &t, &err), QF_OK, "%s", err.msg);
    cr_assert(t.bid == 100.10 && t.bid_qty == 1.5 && t.ask == 100.20 && t.ask_qty == 2);
    const char *d = "{\"lastUpdateId\":1,\"bids\":[[\"10.0\",\"1\"],[\"9.9\",\"2\"]],"
                    "\"asks\":[[\"10.1\",\"3\"]]}";
    qf_book_level *lv = NULL;
    size_t nb = 0, na = 0;
    cr_assert_eq(qf_binance_parse_depth(d, strlen(d), &lv, &nb, &na, &err), QF_OK, "%s", err.msg);
    cr_assert(nb == 2 && na == 1 && lv[1].price == 9.9 && lv[2].qty == 3);
    free(lv);
    const char *crossed = "{\"bids\":[[\"10.2\",\"1\"]],\"asks\":[[\"10.1\",\"3\"]]}";
    cr_assert_eq(qf_binance_parse_depth(crossed, strlen(crossed), &lv, &nb, &na, &err), QF_EPARSE);
    int64_t ms = 0;
    cr_assert_eq(qf_binance_parse_time("{\"serverTime\":1499827319559}", 28, &ms, &err), QF_OK);
    cr_assert_eq(ms, INT64_C(1499827319559));
    cr_assert_eq(qf_binance_parse_time("{\"serverTime\":\"1\"}", 18, &ms, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "serverTime") != NULL, "%s", err.msg);
    int code = 0;
    char msg[16];
    const char *e = "{\"code\":-1121,\"msg\":\"Invalid symbol, really long text.\"}";
    cr_assert_eq(qf_binance_parse_error(e, strlen(e), &code, msg, sizeof msg, &err), QF_OK);
    cr_assert_eq(code, -1121);
    cr_assert_str_eq(msg, "Invalid symbol,");
    cr_assert_eq(qf_binance_parse_error("<html>", 6, &code, msg, sizeof msg, &err), QF_EPARSE);
}

static const char CANDLES[] =
    "{\"candles\":["
    "{\"start\":\"1717988400\",\"low\":\"1\",\"high\":\"4\",\"open\":\"2\",\"close\":\"3\","
    "\"volume\":\"10\"},"
    "{\"start\":\"1717984800\",\"low\":\"69380.5\",\"high\":\"69610\",\"open\":\"69433.02\","
    "\"close\":\"69598.44\",\"volume\":\"35.12040811\"},"
    "{\"start\":\"1717988400\",\"low\":\"1\",\"high\":\"4\",\"open\":\"2\",\"close\":\"3\","
    "\"volume\":\"10\"}]}";

Test(market_parse, coinbase_candles_sorted_deduplicated)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_err err;
    cr_assert_eq(qf_coinbase_parse_candles(CANDLES, strlen(CANDLES), &c, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(c.n, 2, "the identical duplicate is dropped");
    cr_assert_eq(c.v[0].open_time, INT64_C(1717984800000), "ascending, in ms");
    cr_assert_eq(c.v[0].low, 69380.5);
    cr_assert_eq(c.v[0].high, 69610);
    cr_assert_eq(c.v[0].open, 69433.02, "open is not the first field on the wire");
    cr_assert_eq(c.v[0].close, 69598.44);
    cr_assert_eq(c.v[0].volume, 35.12040811);
    cr_assert(isnan(c.v[0].quote_volume) && c.v[0].trades == -1);
    cr_assert_eq(c.v[1].open_time, INT64_C(1717988400000));
    /* Two different rows for one bucket: refused. */
    char body[sizeof CANDLES];
    memcpy(body, CANDLES, sizeof CANDLES);
    char *last = strstr(strstr(body, "\"volume\":\"35") + 1, "\"volume\":\"10\"");
    last[11] = '9';
    cr_assert_eq(qf_coinbase_parse_candles(body, strlen(body), &c, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "two different candles") != NULL, "%s", err.msg);
    cr_assert_eq(c.n, 2, "out untouched");
    /* Numbers (the Exchange API's types) where strings are expected. */
    const char *nums = "{\"candles\":[{\"start\":1717984800,\"low\":\"1\",\"high\":\"2\","
                       "\"open\":\"1\",\"close\":\"1\",\"volume\":\"1\"}]}";
    cr_assert_eq(qf_coinbase_parse_candles(nums, strlen(nums), &c, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "candles[0] field start: expected an integer string") != NULL, "%s",
              err.msg);
    qf_candles_cleanup(&c);
}

Test(market_parse, coinbase_products_ticker_time_errors)
{
    const char *p = "{\"products\":[{\"product_id\":\"BTC-USD\",\"price_increment\":\"0.01\","
                    "\"base_increment\":\"0.00000001\",\"base_min_size\":\"0.00000001\","
                    "\"base_max_size\":\"3400\",\"quote_min_size\":\"1\",\"quote_max_size\":"
                    "\"150000000\",\"status\":\"online\",\"trading_disabled\":false,"
                    "\"cancel_only\":false},{\"product_id\":\"ETH-USDC\",\"status\":\"delisted\","
                    "\"quote_increment\":\"0.01\"}],\"num_products\":2}";
    qf_symbol_rules *r = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_coinbase_parse_products(p, strlen(p), 5, &r, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(r[0].symbol, "BTC/USD");
    cr_assert_str_eq(r[0].venue_symbol, "BTC-USD");
    cr_assert(r[0].trading);
    cr_assert(r[0].tick_size == 0.01 && r[0].step_size == 0.00000001 && r[0].max_qty == 3400);
    cr_assert(r[0].min_notional == 1 && r[0].max_notional == 150000000);
    cr_assert(!r[1].trading);
    cr_assert_eq(r[1].tick_size, 0.01, "quote_increment when no price_increment");
    free(r);
    qf_ticker t;
    const char *tk = "{\"trades\":[],\"best_bid\":\"100.5\",\"best_ask\":\"100.6\"}";
    cr_assert_eq(qf_coinbase_parse_ticker(tk, strlen(tk), &t, &err), QF_OK, "%s", err.msg);
    cr_assert(t.bid == 100.5 && t.ask == 100.6 && isnan(t.bid_qty));
    int64_t ms;
    const char *tm = "{\"iso\":\"x\",\"epochSeconds\":\"1704067200\","
                     "\"epochMillis\":\"1704067200123\"}";
    cr_assert_eq(qf_coinbase_parse_time(tm, strlen(tm), &ms, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(ms, INT64_C(1704067200123));
    char msg[64];
    bool nf = false;
    const char *e = "{\"error\":\"NOT_FOUND\",\"error_details\":\"x\",\"message\":\"no product\"}";
    cr_assert_eq(qf_coinbase_parse_error(e, strlen(e), msg, sizeof msg, &nf, &err), QF_OK);
    cr_assert(nf);
    cr_assert_str_eq(msg, "NOT_FOUND: no product");
    cr_assert_eq(qf_coinbase_parse_error("Unauthorized\n", 13, msg, sizeof msg, &nf, &err), QF_OK);
    cr_assert_str_eq(msg, "Unauthorized ");
    cr_assert(!nf);
    cr_assert_eq(qf_coinbase_parse_error("{\"message\":\"Invalid granularity\"}", 33, msg,
                                         sizeof msg, &nf, &err),
                 QF_OK);
    cr_assert_str_eq(msg, "Invalid granularity");
    cr_assert_eq(qf_coinbase_parse_error("<html></html>", 13, msg, sizeof msg, &nf, &err),
                 QF_EPARSE);
}

Test(market_parse, decimal_syntax)
{
    cr_assert(qf_decimal_syntax_ok("0.00100000", false));
    cr_assert(qf_decimal_syntax_ok("12", false));
    cr_assert(!qf_decimal_syntax_ok("1e-05", false));
    cr_assert(!qf_decimal_syntax_ok(".5", false));
    cr_assert(!qf_decimal_syntax_ok("5.", false));
    cr_assert(!qf_decimal_syntax_ok("-1", false));
    cr_assert(qf_decimal_syntax_ok("-1", true));
    cr_assert(!qf_decimal_syntax_ok("inf", false));
    cr_assert(!qf_decimal_syntax_ok("", false));
    cr_assert(!qf_decimal_syntax_ok("1 ", false));
}
