/*
 * bench_exchange.c - the exchange path against the mock exchange on
 * 127.0.0.1 (issue 5's speed points):
 *   1. backfill of two years of 4h bars for BTC/USDT, ETH/USDT and SOL/USDT
 *      into a fresh SQLite store: rows/s, requests and request weight used;
 *   2. order round trip through the order manager (client id persisted,
 *      signed POST, FULL reply, fills recorded through the portfolio):
 *      median and p99 latency of market orders, and of a signed query.
 * Over real HTTP on loopback, so the figures are QuantFlow's own overhead
 * plus the mock's; a real venue adds its network round trip.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "core/config.h"
#include "core/time.h"
#include "exec/order_manager.h"
#include "market/backfill.h"
#include "market/exchange.h"
#include "mock/mock_exchange.h"
#include "risk/portfolio.h"
#include "store/store.h"

#define N_ORDERS 285 /* three bursts of 95: under Binance's 100 orders per 10 s */
#define DAY_MS   86400000LL

static int fail(const char *what, const qf_err *err)
{
    fprintf(stderr, "bench_exchange: %s: %s\n", what, err->msg);
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted sample. */
static double pct(const double *s, size_t n, double q)
{
    size_t k = (size_t)ceil(q * (double)n);
    return s[k == 0 ? 0 : k - 1];
}

int main(void)
{
    char dir[] = "/tmp/qf-bench-exchange-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("QF_RATELIMIT_DIR", dir, 1);
    qf_err err;
    qf_mock *mock = NULL;
    qf_mock_opts mo = {0};
    mo.data_dir = QF_SOURCE_DIR "/data";
    if (qf_mock_start(&mo, &mock, &err) != QF_OK)
        return fail("mock", &err);
    qf_config cfg;
    qf_config_init(&cfg);
    /* The request bucket (1200/min by default) would pace the order loop:
     * the bench measures the round trip, not our own throttle. */
    cfg.exchanges.binance.rate_limit_rpm = 60000;
    qf_mock_config_urls(mock, &cfg);
    qf_mock_config_keys(&cfg);
    qf_exchange *ex = NULL;
    if (qf_exchange_open(&cfg, "binance", &ex, &err) != QF_OK)
        return fail("exchange", &err);
    char path[256];
    snprintf(path, sizeof path, "%s/qf.db", dir);
    qf_store *store = NULL;
    if (qf_store_open_sqlite(path, &store, &err) != QF_OK ||
        qf_store_migrate(store, NULL, &err) != QF_OK)
        return fail("store", &err);

    /* 1. Backfill: two years up to the mock's clock. */
    static const char *const symbols[] = {"BTC/USDT", "ETH/USDT", "SOL/USDT"};
    qf_backfill_opts bo = {0};
    bo.symbols = symbols;
    bo.n_symbols = 3;
    bo.timeframe = "4h";
    bo.since_ms = qf_mock_now(mock) - 730 * DAY_MS;
    qf_mock_stats s0 = qf_mock_get_stats(mock);
    qf_backfill_stats bs;
    double t0 = bench_now();
    if (qf_backfill(store, ex, &bo, &bs, &err) != QF_OK)
        return fail("backfill", &err);
    double t_bf = bench_now() - t0;
    qf_mock_stats s1 = qf_mock_get_stats(mock);
    printf(
        "backfill from the mock over HTTP: 3 symbols x 2 years of 4h bars, fresh SQLite store\n");
    printf("%-10s %10s %10s %12s %10s %10s %14s\n", "rows", "seconds", "rows/s", "requests",
           "at mock", "weight", "max weight/min");
    printf("%-10lld %10.3f %10.0f %12lld %10ld %10lld %14ld\n\n", (long long)bs.inserted, t_bf,
           (double)bs.inserted / t_bf, (long long)bs.requests, s1.requests - s0.requests,
           (long long)bs.weight, s1.max_weight_1m);

    /* 2. Order round trips through the order manager. */
    qf_portfolio *pf = NULL;
    if (qf_portfolio_load(store, "live", 100000.0, &pf, &err) != QF_OK)
        return fail("portfolio", &err);
    qf_venue venue = qf_venue_live(ex);
    qf_om_options o = qf_om_options_from_config(&cfg);
    o.limits.max_position_pct = 1.0;
    o.limits.max_concentration_pct = 1.0;
    qf_order_manager *om = NULL;
    if (qf_om_new(&venue, store, pf, NULL, &o, &om, &err) != QF_OK)
        return fail("order manager", &err);
    double *lat = malloc(N_ORDERS * sizeof *lat), *qlat = malloc(N_ORDERS * sizeof *qlat);
    if (lat == NULL || qlat == NULL)
        return 1;
    int64_t bar0 = qf_mock_now(mock) - 400 * 4 * 3600000LL;
    size_t filled = 0;
    for (int i = 0; i < N_ORDERS; i++) {
        if (i > 0 && i % 95 == 0) { /* next ORDERS window, not timed */
            struct timespec ts = {10, 200000000L};
            nanosleep(&ts, NULL);
        }
        qf_order_intent in;
        memset(&in, 0, sizeof in);
        strcpy(in.symbol, "BTC/USDT");
        in.side = i % 2 == 0 ? QF_SIDE_BUY : QF_SIDE_SELL; /* flat after each pair */
        in.type = QF_ORDER_MARKET;
        in.quantity = 0.001;
        in.limit_price = NAN;
        in.bar_time = bar0 + (int64_t)(i / 2) * 4 * 3600000LL;
        in.expected_price = NAN;
        in.data_time = -1;
        qf_order_row row;
        double a = bench_now();
        if (qf_om_submit(om, &in, &row, &err) != QF_OK)
            return fail("submit", &err);
        lat[i] = (bench_now() - a) * 1e3;
        filled += row.order.status == QF_ORDER_FILLED;
        qf_order_report rep;
        a = bench_now();
        if (qf_exchange_query(ex, "BTC/USDT", row.order.client_id, &rep, &err) != QF_OK)
            return fail("query", &err);
        qlat[i] = (bench_now() - a) * 1e3;
    }
    qsort(lat, N_ORDERS, sizeof *lat, cmp_double);
    qsort(qlat, N_ORDERS, sizeof *qlat, cmp_double);
    printf("order round trip to the mock over HTTP (%d market orders of 0.001 BTC, %zu filled)\n",
           N_ORDERS, filled);
    printf("%-44s %10s %10s %10s\n", "", "median ms", "p99 ms", "max ms");
    printf("%-44s %10.3f %10.3f %10.3f\n", "order manager submit -> filled, fills stored",
           pct(lat, N_ORDERS, 0.5), pct(lat, N_ORDERS, 0.99), lat[N_ORDERS - 1]);
    printf("%-44s %10.3f %10.3f %10.3f\n", "signed query by client id (GET)",
           pct(qlat, N_ORDERS, 0.5), pct(qlat, N_ORDERS, 0.99), qlat[N_ORDERS - 1]);
    printf("orders at the mock: %zu (one per signal)\n", qf_mock_count_orders(mock, NULL));

    free(lat);
    free(qlat);
    qf_om_free(om);
    qf_portfolio_free(pf);
    qf_store_close(store);
    qf_exchange_close(ex);
    qf_mock_stop(mock);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
