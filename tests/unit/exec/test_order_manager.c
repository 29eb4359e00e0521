/* The live order manager (src/exec/order_manager.c, order_sync.c) over real
 * HTTP against the mock Binance on 127.0.0.1, with a real SQLite store and
 * portfolio: every scenario counts the orders at the mock (never two for a
 * signal) and checks the store against the venue. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "exec/client_id.h"
#include "exec/order_manager.h"
#include "exec/paper.h"
#include "market/ratelimit.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

#define BAR 1740787200000LL

static qf_mock *mock;
static qf_exchange *ex;
static qf_store *store;
static qf_portfolio *pf;
static qf_venue venue;
static qf_order_manager *om;
static char *dir;
static int64_t skew_ms; /* added to the manager's clock (timeouts) */

static int64_t om_clock(void *ctx)
{
    (void)ctx;
    return qf_time_now_ms() + skew_ms;
}

static void om_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static qf_om_options options(void)
{
    qf_config cfg;
    qf_config_init(&cfg);
    qf_om_options o = qf_om_options_from_config(&cfg);
    o.limits.max_position_pct = 1.0;
    o.limits.max_concentration_pct = 1.0;
    o.backoff_ms = 50;
    o.now_ms = om_clock;
    o.sleep_ms = om_sleep;
    return o;
}

static void open_om(const qf_om_options *o)
{
    qf_err err;
    qf_om_free(om);
    om = NULL;
    cr_assert_eq(qf_om_new(&venue, store, pf, NULL, o, &om, &err), QF_OK, "%s", err.msg);
}

static void setup(void)
{
    skew_ms = 0;
    dir = qf_test_tmpdir();
    setenv("QF_RATELIMIT_DIR", dir, 1);
    qf_mock_opts mo = {0};
    mo.frozen_clock = 1;
    qf_err err;
    cr_assert_eq(qf_mock_start(&mo, &mock, &err), QF_OK, "%s", err.msg);
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(mock, &cfg);
    qf_mock_config_keys(&cfg);
    cr_assert_eq(qf_exchange_open(&cfg, "binance", &ex, &err), QF_OK, "%s", err.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/qf.db", dir);
    cr_assert_eq(qf_store_open_sqlite(path, &store, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(store, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_load(store, "live", 100000.0, &pf, &err), QF_OK, "%s", err.msg);
    venue = qf_venue_live(ex);
    cr_assert_str_eq(venue.account, "live");
    qf_om_options o = options();
    open_om(&o);
}

static void teardown(void)
{
    qf_om_free(om);
    om = NULL;
    qf_portfolio_free(pf);
    qf_store_close(store);
    qf_exchange_close(ex);
    qf_mock_stop(mock);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(order_manager, .init = setup, .fini = teardown, .timeout = 60);

static qf_order_intent intent(qf_side side, qf_order_type type, double qty, double limit)
{
    qf_order_intent in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, "BTC/USDT");
    in.side = side;
    in.type = type;
    in.tif = QF_TIF_GTC;
    in.quantity = qty;
    in.limit_price = limit;
    in.bar_time = BAR;
    in.expected_price = NAN;
    in.data_time = -1;
    return in;
}

static const char *id_of(int attempt)
{
    static char id[QF_ORDER_ID_MAX];
    qf_err err;
    cr_assert_eq(qf_client_id_make("live", "binance", "BTC/USDT", BAR, QF_SIDE_BUY, attempt, id,
                                   sizeof id, &err),
                 QF_OK);
    return id;
}

/* The store's fills of an order add up to its filled quantity. */
static double stored_fills(const char *client_id)
{
    qf_fill_row *f = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_store_list_fills(store, "live", client_id, &f, &n, &err), QF_OK, "%s", err.msg);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += f[i].fill.quantity;
    free(f);
    return sum;
}

/* The BTC the account holds from the fills of an order (NULL: every
 * order): the mock takes Binance's 0.1% commission on a buy in BTC, so each
 * buy fill adds its quantity less that fee (stored as its USDT value at the
 * fill price: fee / price BTC). */
static double held(const char *client_id)
{
    qf_fill_row *f = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_store_list_fills(store, "live", client_id, &f, &n, &err), QF_OK, "%s", err.msg);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double fee_base = strcmp(f[i].fee_asset, "BTC") == 0 ? f[i].fill.fee / f[i].fill.price : 0;
        sum += (double)f[i].fill.side * f[i].fill.quantity - fee_base;
    }
    free(f);
    return sum;
}

static void assert_filled_once(const qf_order_row *row, double qty)
{
    cr_assert_eq(row->order.status, QF_ORDER_FILLED, "status %s (%s)",
                 qf_order_status_name(row->order.status), row->reason);
    cr_assert_float_eq(row->order.filled_qty, qty, 1e-12);
    cr_assert_float_eq(stored_fills(row->order.client_id), qty, 1e-12);
    cr_assert_float_eq(qf_portfolio_position(pf, "BTC/USDT").quantity, held(NULL), 1e-12);
    cr_assert_float_eq(held(NULL), qty * 0.999, 1e-7, "%.10f", held(NULL));
    cr_assert_eq(qf_mock_count_orders(mock, row->order.client_id), 1, "%zu orders %s",
                 qf_mock_count_orders(mock, row->order.client_id), row->order.client_id);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1, "one order at the exchange, no more");
}

Test(order_manager, market_buy_fills_once_and_a_duplicate_submit_sends_nothing)
{
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.0123456, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(row.order.client_id, id_of(1));
    /* Rounded down to BTCUSDT's step 0.00001. */
    assert_filled_once(&row, 0.01234);
    cr_assert_str_neq(row.venue_order_id, "");
    /* The mock's 0.1% commission is taken in BTC: recorded in USDT at the
     * fill price, kept out of the position, not taken from the cash. */
    qf_fill_row *f = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_fills(store, "live", row.order.client_id, &f, &n, &err), QF_OK);
    double fees = 0, cost = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(f[i].fee_asset, "BTC");
        cr_assert_float_eq(f[i].fill.fee, f[i].fill.quantity * 0.001 * f[i].fill.price, 1e-9);
        fees += f[i].fill.fee;
        cost += f[i].fill.quantity * f[i].fill.price;
    }
    free(f);
    cr_assert_gt(fees, 0.0);
    cr_assert_float_eq(qf_portfolio_cash(pf), 100000.0 - cost, 1e-6);
    cr_assert_eq(qf_slippage_count(qf_om_slippage(om)), n);

    long requests = qf_mock_get_stats(mock).requests;
    qf_order_row again;
    cr_assert_eq(qf_om_submit(om, &in, &again, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(again.order.client_id, row.order.client_id);
    cr_assert_eq(qf_mock_get_stats(mock).requests, requests, "a filled signal asks nothing");
    assert_filled_once(&again, 0.01234);
}

static void unknown_outcome(qf_mock_fault_kind kind)
{
    qf_mock_fault(mock, "/api/v3/order", kind, 1, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    assert_filled_once(&row, 0.01);
}

Test(order_manager, ack_500_is_looked_up_not_resent)
{
    unknown_outcome(QF_MOCK_FAULT_ACK_500);
}

Test(order_manager, dropped_ack_is_looked_up_not_resent)
{
    unknown_outcome(QF_MOCK_FAULT_ACK_DROP);
}

Test(order_manager, order_briefly_unknown_after_submit_stays_unconfirmed_and_is_found)
{
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_ACK_500, 1, 0);
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_QUERY_UNKNOWN, 2, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    assert_filled_once(&row, 0.01);
}

Test(order_manager, unknown_past_the_grace_is_never_acknowledged_then_a_new_attempt)
{
    qf_om_options o = options();
    o.grace_ms = 300;
    open_om(&o);
    /* 503 before processing: the order never reached the book. */
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_503, 1, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row row;
    qf_err err;
    qf_rc rc = qf_om_submit(om, &in, &row, &err);
    cr_assert_eq(rc, QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_REJECTED, "%s", qf_order_status_name(row.order.status));
    cr_assert(strncmp(row.reason, "never acknowledged", 18) == 0, "%s", row.reason);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);
    /* Known closed with no fill: the same signal may now go, as attempt 2. */
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.attempt, 2);
    cr_assert_str_eq(row.order.client_id, id_of(2));
    assert_filled_once(&row, 0.01);
}

Test(order_manager, unknown_within_the_grace_stays_unconfirmed)
{
    qf_om_options o = options();
    o.max_queries = 2;
    open_om(&o);
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_503, 1, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_EUNKNOWN);
    cr_assert_eq(row.order.status, QF_ORDER_UNCONFIRMED);
    qf_order_row stored;
    cr_assert_eq(qf_store_get_order(store, id_of(1), &stored, &err), QF_OK);
    cr_assert_eq(stored.order.status, QF_ORDER_UNCONFIRMED, "never assumed cancelled");
    /* Submitting the signal again sends nothing: it looks the order up. */
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_EUNKNOWN);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);
}

Test(order_manager, timeout_cancel_keeps_the_fill_that_raced_it)
{
    qf_ticker t;
    qf_err err;
    cr_assert_eq(qf_exchange_ticker(ex, "BTC/USDT", &t, &err), QF_OK, "%s", err.msg);
    /* A buy limit at the bid rests; 0.5 BTC is more than 5% of a few
     * seconds' volume, so the crossing fills it only partly. */
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_LIMIT, 0.5, t.bid);
    qf_order_row row;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN, "%s", qf_order_status_name(row.order.status));
    cr_assert_eq(qf_om_poll(om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_float_eq(row.order.filled_qty, 0.0, 1e-12);
    /* The mock fills part of it; the manager has not looked since. */
    qf_order_report rep;
    for (int i = 0; i < 360; i++) {
        qf_mock_advance(mock, 10 * 1000);
        cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", row.order.client_id, &rep, &err), QF_OK,
                     "%s", err.msg);
        if (rep.filled_qty > 0)
            break;
    }
    cr_assert_eq(rep.status, QF_ORDER_PARTIALLY_FILLED, "status %d", rep.status);
    /* Past execution.order_timeout_seconds: cancelled, then its fills fetched. */
    skew_ms = 121 * 1000;
    cr_assert_eq(qf_om_poll(om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_CANCELLED, "%s (%s)",
                 qf_order_status_name(row.order.status), row.reason);
    cr_assert_str_eq(row.reason, "timeout: open longer than 120 s");
    cr_assert_float_eq(row.order.filled_qty, rep.filled_qty, 1e-12);
    cr_assert_float_eq(stored_fills(row.order.client_id), rep.filled_qty, 1e-12);
    cr_assert_float_eq(qf_portfolio_position(pf, "BTC/USDT").quantity, held(NULL), 1e-12);
    cr_assert_float_eq(held(NULL), rep.filled_qty * 0.999, 1e-7);
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", row.order.client_id, &rep, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_CANCELLED);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
}

Test(order_manager, reconcile_after_a_restart_syncs_fills)
{
    qf_ticker t;
    qf_err err;
    cr_assert_eq(qf_exchange_ticker(ex, "BTC/USDT", &t, &err), QF_OK, "%s", err.msg);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, t.bid);
    qf_order_row row;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN);
    qf_om_free(om);
    om = NULL;
    qf_order_report rep;
    for (int i = 0; i < 360; i++) {
        qf_mock_advance(mock, 10 * 1000);
        cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", row.order.client_id, &rep, &err), QF_OK,
                     "%s", err.msg);
        if (rep.status == QF_ORDER_FILLED)
            break;
    }
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    qf_om_options o = options();
    open_om(&o);
    size_t checked = 0;
    cr_assert_eq(qf_om_reconcile(om, &checked, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(checked, 1);
    cr_assert_eq(qf_store_get_order(store, row.order.client_id, &row, &err), QF_OK);
    assert_filled_once(&row, 0.001);
    cr_assert_leq(row.order.avg_fill_price, t.bid + 1e-9);
}

/* ---- several processes: each peer has its own exchange handle, store
 * handle (on the same database file) and portfolio, like another
 * `quantflow order` run on the host. ---- */

typedef struct peer {
    qf_exchange *ex;
    qf_store *st;
    qf_portfolio *pf;
    qf_order_manager *om;
} peer;

/* ratelimit_dir NULL: the host's (this test's) limiter state. */
static peer open_peer(const qf_om_options *o, const char *ratelimit_dir)
{
    peer p;
    memset(&p, 0, sizeof p);
    qf_err err;
    if (ratelimit_dir)
        setenv("QF_RATELIMIT_DIR", ratelimit_dir, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(mock, &cfg);
    qf_mock_config_keys(&cfg);
    cr_assert_eq(qf_exchange_open(&cfg, "binance", &p.ex, &err), QF_OK, "%s", err.msg);
    setenv("QF_RATELIMIT_DIR", dir, 1);
    char path[512];
    snprintf(path, sizeof path, "%s/qf.db", dir);
    cr_assert_eq(qf_store_open_sqlite(path, &p.st, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_load(p.st, "live", 100000.0, &p.pf, &err), QF_OK, "%s", err.msg);
    qf_venue v = qf_venue_live(p.ex);
    cr_assert_eq(qf_om_new(&v, p.st, p.pf, NULL, o, &p.om, &err), QF_OK, "%s", err.msg);
    return p;
}

static void close_peer(peer *p)
{
    qf_om_free(p->om);
    qf_portfolio_free(p->pf);
    qf_store_close(p->st);
    qf_exchange_close(p->ex);
}

/* A submit on its own thread, as another process would run it. */
typedef struct submit_job {
    qf_order_manager *om;
    qf_order_intent in;
    qf_order_row row;
    qf_err err;
    qf_rc rc;
} submit_job;

static void *run_submit(void *arg)
{
    submit_job *j = arg;
    j->rc = qf_om_submit(j->om, &j->in, &j->row, &j->err);
    return NULL;
}

/* Waits (up to 10 s) until the order is in the store. */
static void wait_for_row(qf_store *st, const char *client_id)
{
    qf_order_row row;
    qf_err err;
    for (int i = 0; i < 2000; i++) {
        if (qf_store_get_order(st, client_id, &row, &err) == QF_OK)
            return;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("order %s never stored", client_id);
}

static qf_om_options quick(int64_t grace_ms, int64_t backoff_ms)
{
    qf_om_options o = options();
    o.grace_ms = grace_ms;
    o.backoff_ms = backoff_ms;
    return o;
}

/* Review finding 1: the venue's clock was learnt AFTER the pending row was
 * written; a slow /api/v3/time then sat between the row and its send, and
 * another process counting the grace from the row closed the order as
 * "never sent" and placed attempt 2 while attempt 1 was still about to go:
 * two orders for one signal. The clock is now learnt before the row, and the
 * grace counts from the last send. */
Test(order_manager, a_slow_clock_sync_does_not_make_another_process_send_the_signal_again)
{
    /* B's 8 lookups span 0..1560 ms; a grace counted from the row (old code)
     * runs out during them, one counted from the send leaves A 1 s. */
    qf_om_options o = quick(1000, 40);
    open_om(&o); /* process A: its exchange has not learnt the clock yet */
    char *dir_b = qf_test_tmpdir();
    peer b = open_peer(&o, dir_b);
    qf_err err;
    cr_assert_eq(qf_exchange_server_time(b.ex, NULL, &err), QF_OK, "%s", err.msg);
    qf_mock_fault(mock, "/api/v3/time", QF_MOCK_FAULT_SLOW, 1, 2000);
    submit_job a = {.om = om, .in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN)};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, run_submit, &a), 0);
    /* B: the same signal's order, as soon as it is stored, then the signal again. */
    wait_for_row(b.st, id_of(1));
    qf_order_row rb;
    qf_rc rc = qf_om_poll(b.om, id_of(1), &rb, &err);
    cr_assert(rc == QF_OK || rc == QF_EUNKNOWN, "%s", err.msg);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    rc = qf_om_submit(b.om, &in, &rb, &err);
    pthread_join(th, NULL);
    cr_assert_eq(a.rc, QF_OK, "%s", a.err.msg);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1, "one signal, %zu orders at the exchange",
                 qf_mock_count_orders(mock, NULL));
    cr_assert_str_eq(rb.order.client_id, id_of(1), "no attempt 2 (%s)", rb.reason);
    qf_order_row stored;
    cr_assert_eq(qf_store_get_order(store, id_of(1), &stored, &err), QF_OK);
    cr_assert_eq(stored.order.status, QF_ORDER_FILLED, "%s (%s)",
                 qf_order_status_name(stored.order.status), stored.reason);
    cr_assert_float_eq(stored_fills(id_of(1)), 0.01, 1e-12, "its fill is recorded, once");
    close_peer(&b);
    qf_test_rmtree(dir_b);
    free(dir_b);
}

/* The send records sent_at only on an order still pending: one closed
 * meanwhile by another process (its grace ran out while this one waited for
 * the rate limit) is never sent. */
Test(order_manager, an_order_closed_by_another_process_while_waiting_for_the_rate_limit_is_not_sent)
{
    qf_om_options o = quick(300, 20);
    open_om(&o);
    qf_err err;
    qf_symbol_rules rules;
    cr_assert_eq(qf_exchange_server_time(ex, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_exchange_rules(ex, "BTC/USDT", false, &rules, &err), QF_OK, "%s", err.msg);
    qf_ticker t;
    cr_assert_eq(qf_exchange_ticker(ex, "BTC/USDT", &t, &err), QF_OK, "%s", err.msg);
    char *dir_b = qf_test_tmpdir(); /* B's requests do not wait for A's pause */
    peer b = open_peer(&o, dir_b);
    /* A 429 elsewhere on A's host: every request of A waits 1.5 s. */
    qf_ratelimit_opts ro = {.venue = "binance", .base_url = qf_mock_url(mock), .dir = dir};
    qf_ratelimit *host = NULL;
    cr_assert_eq(qf_ratelimit_new(&ro, &host, &err), QF_OK, "%s", err.msg);
    qf_ratelimit_pause(host, 1500);
    qf_ratelimit_free(host);
    submit_job a = {.om = om, .in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN)};
    a.in.expected_price = (t.bid + t.ask) / 2; /* no ticker call: the POST is A's first request */
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, run_submit, &a), 0);
    wait_for_row(b.st, id_of(1));
    qf_order_row rb;
    cr_assert_eq(qf_om_poll(b.om, id_of(1), &rb, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rb.order.status, QF_ORDER_CANCELLED, "%s", qf_order_status_name(rb.order.status));
    cr_assert(strncmp(rb.reason, "never sent", 10) == 0, "%s", rb.reason);
    pthread_join(th, NULL);
    cr_assert_eq(a.rc, QF_ESTATE, "%s: %s", qf_rc_name(a.rc), a.err.msg);
    cr_assert(strstr(a.err.msg, "nothing sent") != NULL, "%s", a.err.msg);
    cr_assert_eq(a.row.order.status, QF_ORDER_CANCELLED);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0, "attempt 1 never reached the exchange");
    /* The signal goes again as attempt 2: one order in all. */
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    cr_assert_eq(qf_om_submit(b.om, &in, &rb, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(rb.order.client_id, id_of(2));
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
    close_peer(&b);
    qf_test_rmtree(dir_b);
    free(dir_b);
}

/* Review finding 3: HTTP 408 / -1007 means the order may exist. */
Test(order_manager, http_408_execution_status_unknown_is_looked_up_not_rejected)
{
    unknown_outcome(QF_MOCK_FAULT_ACK_408);
}

/* Review finding 7: the signal's paper order must not stand for its live
 * one (the id is scoped by account and exchange). */
Test(order_manager, a_paper_order_of_the_signal_does_not_hide_the_live_one)
{
    qf_paper_options po;
    memset(&po, 0, sizeof po);
    strcpy(po.exchange, "binance");
    po.half_spread_bps = 5.0;
    po.taker_fee_bps = 10.0;
    qf_paper *paper = NULL;
    qf_portfolio *ppf = NULL;
    qf_order_manager *pom = NULL;
    qf_err err;
    cr_assert_eq(qf_paper_new(&po, &paper, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_paper_set_price(paper, "BTC/USDT", 84000.0, qf_time_now_ms(), NULL, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_load(store, "paper", 100000.0, &ppf, &err), QF_OK, "%s", err.msg);
    qf_venue pv = qf_paper_venue(paper);
    qf_om_options o = options();
    cr_assert_eq(qf_om_new(&pv, store, ppf, NULL, &o, &pom, &err), QF_OK, "%s", err.msg);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row paper_row;
    cr_assert_eq(qf_om_submit(pom, &in, &paper_row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(paper_row.order.status, QF_ORDER_FILLED);
    cr_assert_str_eq(paper_row.account, "paper");
    /* The same signal live: a live order at the exchange, not the paper fill. */
    qf_order_row row;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(row.account, "live");
    cr_assert_str_neq(row.order.client_id, paper_row.order.client_id);
    cr_assert_str_eq(row.order.client_id, id_of(1));
    assert_filled_once(&row, 0.01);
    /* And the paper signal is still its own. */
    qf_order_row again;
    cr_assert_eq(qf_om_submit(pom, &in, &again, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(again.order.client_id, paper_row.order.client_id);
    qf_om_free(pom);
    qf_portfolio_free(ppf);
    qf_paper_free(paper);
}

/* Review finding 5 (the order manager's part): a process whose row is
 * stale (another one recorded the fill meanwhile) takes the stored row
 * when its own recording says "already stored", and never writes
 * filled_qty 0 / open over the recorded fill. */
static peer *g_first;    /* the process that records the fill */
static bool g_first_ran; /* it ran once, inside the other's backoff */

static void sleep_then_first_polls(void *ctx, int64_t ms)
{
    om_sleep(ctx, ms);
    if (g_first_ran)
        return;
    g_first_ran = true;
    qf_order_row r;
    qf_err err;
    cr_assert_eq(qf_om_poll(g_first->om, id_of(1), &r, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(r.order.status, QF_ORDER_FILLED, "%s", qf_order_status_name(r.order.status));
}

Test(order_manager, a_fill_recorded_by_another_process_is_never_overwritten)
{
    qf_om_options o = options();
    peer first = open_peer(&o, NULL);
    g_first = &first;
    g_first_ran = false;
    o.sleep_ms = sleep_then_first_polls;
    open_om(&o);
    /* Acknowledgement lost, then one "does not exist": the first process
     * finds and records the fill during our backoff. */
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_ACK_500, 1, 0);
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_QUERY_UNKNOWN, 1, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert(g_first_ran);
    cr_assert_eq(row.order.status, QF_ORDER_FILLED, "%s (%s)",
                 qf_order_status_name(row.order.status), row.reason);
    cr_assert_float_eq(row.order.filled_qty, 0.01, 1e-12);
    qf_order_row stored;
    cr_assert_eq(qf_store_get_order(store, id_of(1), &stored, &err), QF_OK);
    cr_assert_eq(stored.order.status, QF_ORDER_FILLED, "%s (%s)",
                 qf_order_status_name(stored.order.status), stored.reason);
    cr_assert_float_eq(stored.order.filled_qty, 0.01, 1e-12);
    cr_assert_float_eq(stored_fills(id_of(1)), 0.01, 1e-12, "recorded once");
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
    close_peer(&first);
}
