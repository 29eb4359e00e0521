/*
 * test_coinbase_market.c - the Coinbase Advanced Trade market-data adapter
 * over real HTTP against the mock exchange (which serves BTC-USDT from the
 * bundled BTCUSDT 1h candles): pages of <= 300 buckets in ascending order,
 * 4h bars built from 1h equal to Binance's own 4h bars in data/BTCUSDT-4h.csv,
 * the forming bar dropped, products -> rules, ticker, unknown product.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/time.h"
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
    snprintf(cfg.exchanges.coinbase.base_url, sizeof cfg.exchanges.coinbase.base_url, "%s",
             qf_mock_url(g_mock));
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
