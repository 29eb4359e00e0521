/*
 * test_binance_market.c - the Binance market-data adapter over real HTTP
 * against the mock exchange on 127.0.0.1: klines equal the bundled CSV rows,
 * the forming bar is never returned, paging, rules, ticker, depth, the clock
 * offset, unknown symbols and every injected fault.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/time.h"
#include "market/exchange.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

static qf_mock *g_mock;
static qf_exchange *g_ex;
static char *g_dir;
static qf_bars g_csv; /* data/BTCUSDT-4h.csv */

#define T2024 INT64_C(1704067200000) /* 2024-01-01T00:00:00Z */
#define H4    (4 * QF_MS_PER_HOUR)

static void open_ex(int64_t start_ms)
{
    qf_err err;
    qf_mock_opts mo = {.start_time_ms = start_ms, .retry_after_429_s = 1, .ban_seconds = 2};
    cr_assert_eq(qf_mock_start(&mo, &g_mock, &err), QF_OK, "%s", err.msg);
    g_dir = qf_test_tmpdir();
    setenv("QF_RATELIMIT_DIR", g_dir, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(g_mock, &cfg);
    cr_assert_eq(qf_exchange_open(&cfg, "binance", &g_ex, &err), QF_OK, "%s", err.msg);
    g_csv = qf_test_bars("BTCUSDT");
}

static void setup(void)
{
    open_ex(0);
}

static void teardown(void)
{
    qf_exchange_close(g_ex);
    qf_mock_stop(g_mock);
    qf_test_rmtree(g_dir);
    free(g_dir);
    qf_bars_cleanup(&g_csv);
}

/* Index of open_time t in the CSV bars, -1 when absent. */
static long csv_index(int64_t t)
{
    for (size_t i = 0; i < g_csv.n; i++)
        if (g_csv.open_time[i] == t)
            return (long)i;
    return -1;
}

static void assert_equals_csv(const qf_candles *c)
{
    for (size_t i = 0; i < c->n; i++) {
        long k = csv_index(c->v[i].open_time);
        cr_assert(k >= 0, "row %zu open_time %lld not in the CSV", i, (long long)c->v[i].open_time);
        cr_assert_eq(c->v[i].open, g_csv.open[k], "row %zu open", i);
        cr_assert_eq(c->v[i].high, g_csv.high[k], "row %zu high", i);
        cr_assert_eq(c->v[i].low, g_csv.low[k], "row %zu low", i);
        cr_assert_eq(c->v[i].close, g_csv.close[k], "row %zu close", i);
        cr_assert_eq(c->v[i].volume, g_csv.volume[k], "row %zu volume", i);
    }
}

TestSuite(binance_market, .init = setup, .fini = teardown, .timeout = 60);

Test(binance_market, server_time_sets_clock_offset)
{
    qf_err err;
    int64_t t = 0;
    cr_assert_eq(qf_exchange_server_time(g_ex, &t, &err), QF_OK, "%s", err.msg);
    int64_t mock_now = qf_mock_now(g_mock);
    cr_assert(llabs(t - mock_now) < 2000, "server time %lld vs mock %lld", (long long)t,
              (long long)mock_now);
    /* The mock runs in 2025 by default: the offset is large and negative. */
    int64_t expect = mock_now - qf_time_now_ms();
    qf_candles c;
    qf_candles_init(&c);
    int64_t next;
    bool done;
    /* The forming bar at the mock's now is the cut, not the local clock. */
    cr_assert_eq(qf_exchange_candles_page(g_ex, "BTC/USDT", "4h", mock_now - 10 * H4, &c, &next,
                                          &done, &err),
                 QF_OK, "%s", err.msg);
    cr_assert(c.n >= 8 && c.n <= 10, "%zu bars", c.n);
    cr_assert(c.v[c.n - 1].open_time + H4 <= mock_now);
    cr_assert(expect < -QF_MS_PER_DAY);
    qf_candles_cleanup(&c);
}

Test(binance_market, klines_page_equals_csv_and_pages_by_start_time)
{
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    int64_t next = 0;
    bool done = true;
    cr_assert_eq(qf_exchange_candles_page(g_ex, "BTC/USDT", "4h", T2024, &c, &next, &done, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(c.n, 1000);
    cr_assert_eq(c.v[0].open_time, T2024);
    assert_equals_csv(&c);
    cr_assert_eq(next, c.v[999].open_time + H4);
    cr_assert(!done);
    /* The next page starts where this one ended, no overlap, no hole. */
    int64_t last = c.v[999].open_time;
    cr_assert_eq(qf_exchange_candles_page(g_ex, "BTC/USDT", "4h", next, &c, &next, &done, &err),
                 QF_OK, "%s", err.msg);
    cr_assert(c.n > 0);
    cr_assert_eq(c.v[0].open_time, last + H4);
    assert_equals_csv(&c);
    qf_candles_cleanup(&c);
}

Test(binance_market, forming_bar_is_never_returned)
{
    qf_err err;
    int64_t now = qf_mock_now(g_mock);
    int64_t forming = qf_time_floor(now, H4);
    /* Half a bar into the mock clock. */
    qf_mock_advance(g_mock, forming + H4 / 2 - now);
    now = qf_mock_now(g_mock);
    qf_candles c;
    qf_candles_init(&c);
    int64_t next = 0;
    bool done = false;
    cr_assert_eq(
        qf_exchange_candles_page(g_ex, "BTC/USDT", "4h", now - 20 * H4, &c, &next, &done, &err),
        QF_OK, "%s", err.msg);
    cr_assert(done);
    cr_assert(c.n > 0);
    cr_assert_eq(c.v[c.n - 1].open_time, forming - H4, "last %lld forming %lld",
                 (long long)c.v[c.n - 1].open_time, (long long)forming);
    cr_assert_eq(next, forming);
    assert_equals_csv(&c);
    /* Asking from the forming bar gives nothing. */
    cr_assert_eq(qf_exchange_candles_page(g_ex, "BTC/USDT", "4h", forming, &c, &next, &done, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(c.n, 0);
    cr_assert(done);
    qf_candles_cleanup(&c);
}

Test(binance_market, rules_from_exchange_info)
{
    qf_err err;
    qf_symbol_rules r;
    cr_assert_eq(qf_exchange_rules(g_ex, "BTC/USDT", false, &r, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(r.venue_symbol, "BTCUSDT");
    cr_assert(r.trading);
    cr_assert_float_eq(r.tick_size, 0.01, 1e-12);
    cr_assert_float_eq(r.step_size, 0.00001, 1e-15);
    cr_assert_float_eq(r.min_qty, 0.00001, 1e-15);
    cr_assert_float_eq(r.max_qty, 9000, 1e-9);
    cr_assert_float_eq(r.min_notional, 5, 1e-12);
    cr_assert(r.min_notional_market);
    cr_assert(!r.max_notional_market);
    cr_assert_eq(qf_exchange_rules(g_ex, "SOL/USDT", false, &r, &err), QF_OK, "%s", err.msg);
    cr_assert_float_eq(r.step_size, 0.001, 1e-15);
    long before = qf_mock_get_stats(g_mock).requests;
    cr_assert_eq(qf_exchange_rules(g_ex, "ETH/USDT", false, &r, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_mock_get_stats(g_mock).requests, before, "the cache answered");
    cr_assert_eq(qf_exchange_rules(g_ex, "DOGE/USDT", false, &r, &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "DOGE/USDT") != NULL, "%s", err.msg);
}

Test(binance_market, unknown_symbol_is_not_found)
{
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    int64_t next;
    bool done;
    cr_assert_eq(qf_exchange_candles_page(g_ex, "DOGE/USDT", "4h", T2024, &c, &next, &done, &err),
                 QF_ENOTFOUND, "%s", err.msg);
    cr_assert(strstr(err.msg, "/api/v3/klines") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "-1121") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "symbol=") == NULL, "no query string: %s", err.msg);
    qf_candles_cleanup(&c);
}

Test(binance_market, ticker_and_depth)
{
    qf_err err;
    qf_ticker t;
    cr_assert_eq(qf_exchange_ticker(g_ex, "BTC/USDT", &t, &err), QF_OK, "%s", err.msg);
    cr_assert(t.bid > 0 && t.ask > t.bid && t.bid_qty > 0 && t.ask_qty > 0);
    qf_book b;
    cr_assert_eq(qf_exchange_depth(g_ex, "BTC/USDT", 5, &b, &err), QF_OK, "%s", err.msg);
    cr_assert(b.n_bids > 0 && b.n_bids <= 5 && b.n_asks > 0 && b.n_asks <= 5);
    cr_assert(b.bids[0].price < b.asks[0].price);
    cr_assert_eq(qf_book_check(&b, &err), QF_OK, "%s", err.msg);
    /* The mid is near the ticker's. */
    double mid = (b.bids[0].price + b.asks[0].price) / 2, tmid = (t.bid + t.ask) / 2;
    cr_assert(fabs(mid - tmid) / tmid < 0.01, "%f vs %f", mid, tmid);
}

/* One page request with a fault queued on klines. */
static qf_rc page_with_fault(qf_mock_fault_kind kind, int count, qf_candles *c, qf_err *err)
{
    int64_t next;
    bool done;
    /* Sync the clock first so the fault hits klines only. */
    cr_assert_eq(qf_exchange_server_time(g_ex, NULL, err), QF_OK, "%s", err->msg);
    qf_mock_fault(g_mock, "/api/v3/klines", kind, count, 0);
    return qf_exchange_candles_page(g_ex, "BTC/USDT", "4h", T2024, c, &next, &done, err);
}

Test(binance_market, a_5xx_is_retried)
{
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    long before = qf_mock_get_stats(g_mock).requests;
    cr_assert_eq(page_with_fault(QF_MOCK_FAULT_503, 2, &c, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(c.n, 1000);
    assert_equals_csv(&c);
    cr_assert_eq(qf_mock_get_stats(g_mock).requests - before, 1 + 3, "time + 2 x 503 + 1");
    qf_candles_cleanup(&c);
}

Test(binance_market, persistent_5xx_gives_up_cleanly)
{
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    cr_assert_eq(page_with_fault(QF_MOCK_FAULT_HTML, 10, &c, &err), QF_EUNKNOWN, "%s", err.msg);
    cr_assert(strstr(err.msg, "GET /api/v3/klines") != NULL, "%s", err.msg);
    cr_assert_eq(c.n, 0);
    qf_candles_cleanup(&c);
}

Test(binance_market, bad_bodies_are_parse_errors_naming_the_endpoint)
{
    static const qf_mock_fault_kind kinds[] = {QF_MOCK_FAULT_MALFORMED, QF_MOCK_FAULT_TRUNCATED,
                                               QF_MOCK_FAULT_WRONG_TYPES};
    for (size_t i = 0; i < 3; i++) {
        qf_err err;
        qf_candles c;
        qf_candles_init(&c);
        cr_assert_eq(page_with_fault(kinds[i], 1, &c, &err), QF_EPARSE, "kind %zu: %s", i, err.msg);
        cr_assert(strstr(err.msg, "binance GET /api/v3/klines") != NULL, "%s", err.msg);
        cr_assert_eq(c.n, 0);
        if (kinds[i] == QF_MOCK_FAULT_WRONG_TYPES)
            cr_assert(strstr(err.msg, "row 0 field") != NULL, "%s", err.msg);
        qf_candles_cleanup(&c);
    }
}

Test(binance_market, a_429_waits_retry_after_then_succeeds)
{
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    int64_t t0 = qf_time_now_ms();
    cr_assert_eq(page_with_fault(QF_MOCK_FAULT_429, 1, &c, &err), QF_OK, "%s", err.msg);
    cr_assert(qf_time_now_ms() - t0 >= 900, "waited Retry-After (1 s)");
    cr_assert_eq(c.n, 1000);
    qf_candles_cleanup(&c);
}

Test(binance_market, a_418_bans_every_later_call)
{
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    cr_assert_eq(page_with_fault(QF_MOCK_FAULT_418, 1, &c, &err), QF_ERATELIMIT, "%s", err.msg);
    cr_assert(strstr(err.msg, "418") != NULL, "%s", err.msg);
    long before = qf_mock_get_stats(g_mock).requests;
    qf_ticker t;
    cr_assert_eq(qf_exchange_ticker(g_ex, "BTC/USDT", &t, &err), QF_ERATELIMIT);
    cr_assert(strstr(err.msg, "banned") != NULL, "%s", err.msg);
    cr_assert_eq(qf_mock_get_stats(g_mock).requests, before, "nothing was sent during the ban");
    /* A second handle (another process would do the same) sees the ban too. */
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(g_mock, &cfg);
    qf_exchange *ex2 = NULL;
    cr_assert_eq(qf_exchange_open(&cfg, "binance", &ex2, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_exchange_ticker(ex2, "BTC/USDT", &t, &err), QF_ERATELIMIT);
    qf_exchange_close(ex2);
    /* The ban (2 s in this mock) ends. */
    struct timespec ts = {2, 200000000};
    nanosleep(&ts, NULL);
    cr_assert_eq(qf_exchange_ticker(g_ex, "BTC/USDT", &t, &err), QF_OK, "%s", err.msg);
    qf_candles_cleanup(&c);
}
