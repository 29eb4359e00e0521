/*
 * test_ratelimit.c - the host-wide request budget: weight windows, the token
 * bucket, pauses and bans shared between handles, and two PROCESSES hitting
 * the mock exchange at once staying under its weight limit only when they
 * share the state (the second case proves the first can fail).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/time.h"
#include "market/exchange.h"
#include "market/ratelimit.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

static char *g_dir;

static void setup(void)
{
    g_dir = qf_test_tmpdir();
}

static void teardown(void)
{
    qf_test_rmtree(g_dir);
    free(g_dir);
}

TestSuite(ratelimit, .init = setup, .fini = teardown, .timeout = 60);

static qf_ratelimit *open_rl(const char *dir, int rpm, int weight, long window_ms)
{
    qf_err err;
    qf_ratelimit_opts o = {.venue = "binance",
                           .base_url = "http://127.0.0.1:1/",
                           .requests_per_min = rpm,
                           .weight_limit_1m = weight,
                           .dir = dir,
                           .window_ms = window_ms,
                           .guard_ms = -1};
    qf_ratelimit *rl = NULL;
    cr_assert_eq(qf_ratelimit_new(&o, &rl, &err), QF_OK, "%s", err.msg);
    return rl;
}

Test(ratelimit, weight_over_the_limit_waits_for_the_next_window)
{
    qf_err err;
    qf_ratelimit *rl = open_rl(g_dir, 0, 100, 1000);
    /* Start at the beginning of a window so the first three fit in it. */
    int64_t now = qf_time_now_ms();
    qf_ratelimit_sleep(rl, 1000 - now % 1000 + 5);
    int64_t w1, w2, w3;
    int64_t t0 = qf_time_now_ms();
    cr_assert_eq(qf_ratelimit_acquire(rl, 40, &w1, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_ratelimit_acquire(rl, 40, &w2, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(w1, w2);
    cr_assert(qf_time_now_ms() - t0 < 400, "no wait under the limit (a wait is ~1 s)");
    cr_assert_eq(qf_ratelimit_acquire(rl, 40, &w3, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(w3, w1 + 1000, "charged to the next window");
    cr_assert(qf_time_now_ms() >= w3, "waited for it");
    cr_assert_eq(qf_ratelimit_weight_charged(rl), 120);
    qf_ratelimit_free(rl);
}

Test(ratelimit, the_venue_header_raises_the_count)
{
    qf_err err;
    qf_ratelimit *rl = open_rl(g_dir, 0, 100, 2000);
    qf_ratelimit_sleep(rl, 2000 - qf_time_now_ms() % 2000 + 5);
    int64_t w, w2;
    cr_assert_eq(qf_ratelimit_acquire(rl, 10, &w, &err), QF_OK, "%s", err.msg);
    /* Someone else on the IP used 85: only 5 are left in this window. */
    qf_ratelimit_observe(rl, w, 95);
    cr_assert_eq(qf_ratelimit_acquire(rl, 5, &w2, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(w2, w);
    cr_assert_eq(qf_ratelimit_acquire(rl, 5, &w2, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(w2, w + 2000, "the 101st unit of weight waits");
    /* A lower header never lowers the count (requests in flight). */
    qf_ratelimit_observe(rl, w2, 1);
    qf_ratelimit_free(rl);
}

Test(ratelimit, token_bucket_spaces_requests)
{
    qf_err err;
    /* 600 per minute = one per 100 ms, a bucket of 100 (a sixth of a minute). */
    qf_ratelimit *rl = open_rl(g_dir, 600, 0, 0);
    int64_t t0 = qf_time_now_ms();
    for (int i = 0; i < 105; i++)
        cr_assert_eq(qf_ratelimit_acquire(rl, 1, NULL, &err), QF_OK, "%s", err.msg);
    int64_t took = qf_time_now_ms() - t0;
    cr_assert(took >= 400 && took < 2000, "5 beyond the burst need ~500 ms, took %lld",
              (long long)took);
    qf_ratelimit_free(rl);
}

Test(ratelimit, a_ban_is_seen_by_every_handle_and_ends)
{
    qf_err err;
    qf_ratelimit *a = open_rl(g_dir, 0, 6000, 0);
    qf_ratelimit *b = open_rl(g_dir, 0, 6000, 0);
    qf_ratelimit_ban(a, 1200);
    cr_assert_eq(qf_ratelimit_acquire(b, 1, NULL, &err), QF_ERATELIMIT);
    cr_assert(strstr(err.msg, "418") != NULL && strstr(err.msg, "2 more s") != NULL, "%s", err.msg);
    cr_assert(qf_ratelimit_ban_left(b) > 1000);
    qf_ratelimit_sleep(b, 1300);
    cr_assert_eq(qf_ratelimit_acquire(b, 1, NULL, &err), QF_OK, "%s", err.msg);
    /* A 429 pause delays, it does not fail. */
    qf_ratelimit_pause(a, 300);
    int64_t t0 = qf_time_now_ms();
    cr_assert_eq(qf_ratelimit_acquire(b, 1, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert(qf_time_now_ms() - t0 >= 250);
    qf_ratelimit_free(a);
    qf_ratelimit_free(b);
}

Test(ratelimit, a_foreign_state_file_is_reset)
{
    qf_err err;
    char path[600];
    snprintf(path, sizeof path, "%s/binance-127.0.0.1_1.state", g_dir);
    char *f = qf_test_write_file(g_dir, "binance-127.0.0.1_1.state", "garbage", 7);
    free(f);
    qf_ratelimit *rl = open_rl(g_dir, 0, 10, 0);
    cr_assert_eq(qf_ratelimit_acquire(rl, 1, NULL, &err), QF_OK, "%s", err.msg);
    qf_ratelimit_free(rl);
}

/* ---- two processes against the mock ---- */

#define LIMIT    60
#define PROCS    4
#define REQUESTS 10 /* bookTicker, weight 2: 20 per process, 80 together */

/* Prepares a state directory as the product would after exchangeInfo and
 * server time: the venue's limit and clock offset. */
static void prime(const char *dir, qf_mock *m)
{
    qf_ratelimit_opts o = {.venue = "binance", .base_url = qf_mock_url(m), .dir = dir};
    qf_ratelimit *rl = NULL;
    qf_err err;
    cr_assert_eq(qf_ratelimit_new(&o, &rl, &err), QF_OK, "%s", err.msg);
    qf_ratelimit_set_weight_limit(rl, LIMIT);
    qf_ratelimit_set_clock_offset(rl, qf_mock_now(m) - qf_time_now_ms());
    qf_ratelimit_free(rl);
}

static pid_t hammer(qf_mock *m, const char *dir, int64_t start_at)
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid != 0)
        return pid;
    setenv("QF_RATELIMIT_DIR", dir, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(m, &cfg);
    qf_exchange *ex = NULL;
    qf_err err;
    if (qf_exchange_open(&cfg, "binance", &ex, &err) != QF_OK)
        _exit(2);
    int failed = 0;
    /* Every process starts at once, as workers on one host would. */
    while (qf_time_now_ms() < start_at)
        ;
    for (int i = 0; i < REQUESTS; i++) {
        qf_ticker t;
        if (qf_exchange_ticker(ex, "BTC/USDT", &t, &err) != QF_OK)
            failed = 1;
    }
    qf_exchange_close(ex);
    _exit(failed);
}

/* Runs PROCS hammering processes; returns the mock's stats. */
static qf_mock_stats two_processes(bool shared)
{
    qf_err err;
    qf_mock *m = NULL;
    /* The mock's first minute ends 2.5 s after start: the run spans two windows. */
    qf_mock_opts mo = {.start_time_ms = QF_MOCK_DEFAULT_START_MS + 57500,
                       .weight_limit_1m = LIMIT,
                       .retry_after_429_s = 1,
                       .ban_after_429s = 100};
    cr_assert_eq(qf_mock_start(&mo, &m, &err), QF_OK, "%s", err.msg);
    char dirs[PROCS][600];
    pid_t pids[PROCS];
    int64_t start_at = qf_time_now_ms() + 300;
    for (int i = 0; i < PROCS; i++) {
        snprintf(dirs[i], sizeof dirs[i], "%s/%d", g_dir, shared ? 0 : i);
        if (i == 0 || !shared) {
            cr_assert_eq(mkdir(dirs[i], 0700), 0);
            prime(dirs[i], m);
        }
    }
    for (int i = 0; i < PROCS; i++)
        pids[i] = hammer(m, dirs[i], start_at);
    for (int i = 0; i < PROCS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        cr_assert(WIFEXITED(status));
        if (shared)
            cr_assert_eq(WEXITSTATUS(status), 0, "every request succeeded");
    }
    qf_mock_stats st = qf_mock_get_stats(m);
    qf_mock_stop(m);
    return st;
}

Test(ratelimit, two_processes_sharing_the_state_stay_under_the_limit)
{
    qf_mock_stats st = two_processes(true);
    cr_assert_eq(st.requests, PROCS * REQUESTS);
    cr_assert(st.max_weight_1m <= LIMIT, "max weight in a minute %ld > %d", st.max_weight_1m,
              LIMIT);
    cr_assert(st.max_weight_1m >= LIMIT - 2, "the budget was used, %ld", st.max_weight_1m);
    cr_assert_eq(st.rejected_429, 0);
    cr_assert_eq(st.ban_count, 0);
}

Test(ratelimit, two_processes_not_sharing_exceed_the_limit)
{
    qf_mock_stats st = two_processes(false);
    cr_assert(st.max_weight_1m > LIMIT, "max weight in a minute %ld", st.max_weight_1m);
    cr_assert(st.rejected_429 > 0);
}

/* Binance's ORDERS limit (100 new orders per 10 s at the mock, as at the
 * venue): 105 market orders in a burst are paced by the shared limiter into
 * the next window instead of being refused with 429 -1015. */
Test(ratelimit, new_orders_wait_for_the_orders_window_instead_of_a_429)
{
    qf_err err;
    setenv("QF_RATELIMIT_DIR", g_dir, 1);
    qf_mock *m = NULL;
    qf_mock_opts mo = {0};
    cr_assert_eq(qf_mock_start(&mo, &m, &err), QF_OK, "%s", err.msg);
    qf_config cfg;
    qf_config_init(&cfg);
    cfg.exchanges.binance.rate_limit_rpm = 60000;
    qf_mock_config_urls(m, &cfg);
    qf_mock_config_keys(&cfg);
    qf_exchange *ex = NULL;
    cr_assert_eq(qf_exchange_open(&cfg, "binance", &ex, &err), QF_OK, "%s", err.msg);
    int64_t t0 = qf_time_now_ms();
    for (int i = 0; i < 105; i++) {
        qf_order_req req;
        memset(&req, 0, sizeof req);
        snprintf(req.client_id, sizeof req.client_id, "qf-rl-%d", i);
        strcpy(req.symbol, "BTC/USDT");
        req.side = i % 2 == 0 ? QF_SIDE_BUY : QF_SIDE_SELL;
        req.type = QF_ORDER_MARKET;
        req.quantity = 0.001;
        req.limit_price = 0.0 / 0.0;
        qf_order_report rep;
        cr_assert_eq(qf_exchange_submit(ex, &req, &rep, NULL, NULL, &err), QF_OK, "order %d: %s", i,
                     err.msg);
    }
    qf_mock_stats st = qf_mock_get_stats(m);
    cr_expect_eq(st.rejected_429, 0, "no order was refused over the limit");
    cr_expect_eq(qf_mock_count_orders(m, NULL), 105);
    cr_expect(qf_time_now_ms() - t0 >= 50, "the last orders waited for the next window");
    qf_exchange_close(ex);
    qf_mock_stop(m);
}
