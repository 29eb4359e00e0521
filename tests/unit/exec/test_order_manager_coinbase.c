/* The live order manager (src/exec/order_manager.c, order_sync.c) against
 * the mock's Coinbase Advanced Trade over real HTTP on 127.0.0.1, with a
 * real SQLite store and portfolio: fills stored once, a repeated signal
 * sends nothing, unknown outcomes looked up (Coinbase has no lookup by
 * client id: the adapter lists orders) and never re-sent, Coinbase's 125 s
 * grace (JWT lifetime + 5 s) respected on an injected clock, resting limits
 * filled as the mock clock moves, timeout cancels and reconciliation after a
 * restart. Every scenario counts the orders at the mock.
 *
 * The mock clock is frozen at 2025-03-01T00:00Z (last 84349.95, ask
 * 84349.96, 0.02371 BTC a level, 0.1% commission in USDT) and far from the
 * wall clock: the adapter's JWTs are accepted only because it signs with
 * the venue's clock. The manager's clock is the wall clock plus skew_ms, and
 * its sleeps only move that clock, so no test waits for real. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "exec/client_id.h"
#include "exec/order_manager.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

#define BAR     1740787200000LL
#define ORDERS  "/api/v3/brokerage/orders"
#define ASK0    84349.96
#define BID0    84349.95
#define LEVEL_Q 0.02371

static qf_mock *mock;
static qf_exchange *ex;
static qf_store *store;
static qf_portfolio *pf;
static qf_venue venue;
static qf_order_manager *om;
static char *dir;
static int64_t skew_ms; /* added to the manager's clock; its sleeps add to it */

static int64_t om_clock(void *ctx)
{
    (void)ctx;
    return qf_time_now_ms() + skew_ms;
}

static void om_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    skew_ms += ms;
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
    /* The client-side budget is test_ratelimit's subject; it would only
     * slow the clock-walking scenarios here. */
    cfg.exchanges.coinbase.rate_limit_rpm = 60000;
    cr_assert_eq(qf_exchange_open(&cfg, "coinbase", &ex, &err), QF_OK, "%s", err.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/qf.db", dir);
    cr_assert_eq(qf_store_open_sqlite(path, &store, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(store, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_portfolio_load(store, "live", 100000.0, &pf, &err), QF_OK, "%s", err.msg);
    venue = qf_venue_live(ex);
    cr_assert_str_eq(venue.exchange, "coinbase");
    cr_assert_eq(venue.unknown_grace_ms, 125000, "JWT lifetime 120 s + 5 s");
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

TestSuite(order_manager_coinbase, .init = setup, .fini = teardown, .timeout = 60);

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
    cr_assert_eq(qf_client_id_make("live", "coinbase", "BTC/USDT", BAR, QF_SIDE_BUY, attempt, id,
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

static void assert_filled_once(const qf_order_row *row, double qty)
{
    cr_assert_eq(row->order.status, QF_ORDER_FILLED, "status %s (%s)",
                 qf_order_status_name(row->order.status), row->reason);
    cr_assert_str_eq(row->order.exchange, "coinbase");
    cr_assert_float_eq(row->order.filled_qty, qty, 1e-12);
    cr_assert_float_eq(stored_fills(row->order.client_id), qty, 1e-12);
    cr_assert_float_eq(qf_portfolio_position(pf, "BTC/USDT").quantity, qty, 1e-12);
    cr_assert_eq(qf_mock_count_orders(mock, row->order.client_id), 1, "%zu orders %s",
                 qf_mock_count_orders(mock, row->order.client_id), row->order.client_id);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1, "one order at the exchange, no more");
}

Test(order_manager_coinbase, market_buy_fills_once_and_a_duplicate_submit_sends_nothing)
{
    /* 0.0100123 rounds down to the step: 0.01001. Coinbase takes a market
     * buy in quote: 0.01001 x 84349.96 = 844.3430996, sent as 844.35 (up to
     * the tick) so the top level sells exactly 0.01001, not 0.01000. */
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.0100123, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(row.order.client_id, id_of(1));
    assert_filled_once(&row, 0.01001);
    cr_assert_str_neq(row.venue_order_id, "");
    cr_assert_float_eq(row.order.avg_fill_price, ASK0, 1e-9);
    cr_assert_float_eq(row.expected_price, (BID0 + ASK0) / 2, 1e-9, "the ticker's mid");
    qf_fill_row *f = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_fills(store, "live", row.order.client_id, &f, &n, &err), QF_OK);
    cr_assert_eq(n, 1);
    /* Advanced Trade's commission is in the quote asset: stored as is. */
    cr_assert_str_eq(f[0].fee_asset, "");
    cr_assert_eq(f[0].liquidity, 2, "taker");
    cr_assert_float_eq(f[0].fill.price, ASK0, 1e-9);
    /* 0.1% of 844.3430996, truncated to 1e-8 by the mock */
    cr_assert_float_eq(f[0].fill.fee, 0.84434309, 1e-9);
    cr_assert_eq(f[0].fill.time, BAR, "the venue's trade time (mock clock)");
    free(f);
    cr_assert_float_eq(qf_portfolio_cash(pf), 100000.0 - 844.3430996 - 0.84434309, 1e-6);
    cr_assert_eq(qf_slippage_count(qf_om_slippage(om)), 1);

    long requests = qf_mock_get_stats(mock).requests;
    qf_order_row again;
    cr_assert_eq(qf_om_submit(om, &in, &again, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(again.order.client_id, row.order.client_id);
    cr_assert_eq(qf_mock_get_stats(mock).requests, requests, "a filled signal asks nothing");
    assert_filled_once(&again, 0.01001);
}

static void unknown_outcome(qf_mock_fault_kind kind)
{
    qf_mock_fault(mock, ORDERS, kind, 1, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    assert_filled_once(&row, 0.01);
    cr_assert_str_neq(row.venue_order_id, "", "the venue id came from the lookup");
    qf_order_row stored;
    cr_assert_eq(qf_store_get_order(store, id_of(1), &stored, &err), QF_OK, "%s", err.msg);
    assert_filled_once(&stored, 0.01);
}

Test(order_manager_coinbase, ack_500_is_looked_up_not_resent)
{
    unknown_outcome(QF_MOCK_FAULT_ACK_500);
}

Test(order_manager_coinbase, dropped_ack_is_looked_up_not_resent)
{
    unknown_outcome(QF_MOCK_FAULT_ACK_DROP);
}

Test(order_manager_coinbase, garbled_ack_is_looked_up_not_resent)
{
    unknown_outcome(QF_MOCK_FAULT_TRUNCATED);
}

Test(order_manager_coinbase, order_unknown_right_after_acceptance_stays_unconfirmed_then_found)
{
    /* Accepted, but the read-back says "not found": unconfirmed, never
     * assumed cancelled; the next look finds it filled. */
    qf_mock_fault(mock, ORDERS "/historical/", QF_MOCK_FAULT_QUERY_UNKNOWN, 1, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_UNCONFIRMED, "%s",
                 qf_order_status_name(row.order.status));
    cr_assert_str_neq(row.venue_order_id, "", "the acknowledgement's order id is kept");
    cr_assert_float_eq(stored_fills(row.order.client_id), 0.0, 1e-12);
    cr_assert_eq(qf_om_poll(om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    assert_filled_once(&row, 0.01);
}

Test(order_manager_coinbase, unknown_within_the_125s_grace_stays_unconfirmed_then_a_new_attempt)
{
    /* 503 before processing: the order never reached the book, but a POST's
     * 5xx cannot say so. */
    qf_mock_fault(mock, ORDERS, QF_MOCK_FAULT_503, 1, 0);
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_EUNKNOWN, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_UNCONFIRMED);
    qf_order_row stored;
    cr_assert_eq(qf_store_get_order(store, id_of(1), &stored, &err), QF_OK);
    cr_assert_eq(stored.order.status, QF_ORDER_UNCONFIRMED, "never assumed cancelled");
    int64_t created = stored.order.created_at;
    /* Submitting the signal again sends nothing: it looks the order up. */
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_EUNKNOWN);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);
    /* 120 s after it was persisted (the lookups' backoff adds < 3 s): a JWT
     * signed then could still be honoured, so still unconfirmed. */
    skew_ms += created + 120000 - om_clock(NULL);
    cr_assert_eq(qf_om_poll(om, id_of(1), &row, &err), QF_EUNKNOWN, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_UNCONFIRMED);
    cr_assert_lt(om_clock(NULL) - created, 125000);
    /* Past 125 s: closed as never acknowledged, without resending. */
    skew_ms += 6000;
    cr_assert_eq(qf_om_poll(om, id_of(1), &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_REJECTED, "%s", qf_order_status_name(row.order.status));
    cr_assert(strncmp(row.reason, "never acknowledged", 18) == 0, "%s", row.reason);
    cr_assert(strstr(row.reason, "grace 125000 ms") != NULL, "%s", row.reason);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);
    /* Known closed with no fill: the same signal may now go, as attempt 2. */
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.attempt, 2);
    cr_assert_str_eq(row.order.client_id, id_of(2));
    assert_filled_once(&row, 0.01);
}

/* Moves the mock clock 10 s at a time (the manager looking each time)
 * until the order is filled; returns the row. */
static qf_order_row walk_until_filled(const char *client_id)
{
    qf_order_row row;
    qf_err err;
    for (int i = 0; i < 2000; i++) {
        qf_mock_advance(mock, 10 * 1000);
        cr_assert_eq(qf_om_poll(om, client_id, &row, &err), QF_OK, "step %d: %s", i, err.msg);
        if (row.order.status == QF_ORDER_FILLED)
            return row;
        cr_assert(row.order.status == QF_ORDER_OPEN ||
                      row.order.status == QF_ORDER_PARTIALLY_FILLED,
                  "%s", qf_order_status_name(row.order.status));
    }
    cr_assert_fail("not filled after 2000 steps");
    return row;
}

Test(order_manager_coinbase, limit_rests_then_fills_as_the_mock_clock_moves)
{
    /* 84300 is under the bid: it rests. The 2025-03-01 00:00 bar falls
     * (open 84349.95, high 84628.93, low 83824.78), so the mock's path goes
     * up for 20 minutes, then down through 84300 about 28 minutes in. */
    const double limit = 84300.0;
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, limit);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN, "%s", qf_order_status_name(row.order.status));
    cr_assert_float_eq(row.order.limit_price, limit, 1e-9);
    cr_assert_eq(qf_om_poll(om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN, "nothing moved, nothing filled");
    /* Well past the JWT lifetime on the venue's clock: the adapter follows it. */
    row = walk_until_filled(row.order.client_id);
    int64_t walked = qf_mock_now(mock) - BAR;
    cr_assert(walked > 20 * 60 * 1000 && walked < 40 * 60 * 1000, "walked %lld ms",
              (long long)walked);
    assert_filled_once(&row, 0.001);
    cr_assert_leq(row.order.avg_fill_price, limit + 1e-9, "a buy limit never fills above it");
    qf_fill_row *f = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_fills(store, "live", row.order.client_id, &f, &n, &err), QF_OK);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(f[i].liquidity, 1, "a resting order fills as maker");
        cr_assert(f[i].fill.time > BAR, "filled after it was placed");
    }
    free(f);
}

Test(order_manager_coinbase, timeout_cancel_keeps_the_fill_that_raced_it)
{
    /* 0.5 BTC at the bid: the crossing fills it only partly (the mock lets a
     * resting order take 5% of the volume the path trades). */
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_LIMIT, 0.5, BID0);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN, "%s", qf_order_status_name(row.order.status));
    /* The mock fills part of it; the manager has not looked since. */
    qf_order_report rep;
    for (int i = 0; i < 2000; i++) {
        qf_mock_advance(mock, 10 * 1000);
        cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", row.order.client_id, &rep, &err), QF_OK,
                     "%s", err.msg);
        if (rep.filled_qty > 0)
            break;
    }
    cr_assert_eq(rep.status, QF_ORDER_PARTIALLY_FILLED, "Coinbase OPEN with filled_size > 0: %d",
                 rep.status);
    /* Past execution.order_timeout_seconds: cancelled, then its fills fetched. */
    skew_ms += 121 * 1000;
    cr_assert_eq(qf_om_poll(om, row.order.client_id, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_CANCELLED, "%s (%s)",
                 qf_order_status_name(row.order.status), row.reason);
    cr_assert_str_eq(row.reason, "timeout: open longer than 120 s");
    cr_assert_float_eq(row.order.filled_qty, rep.filled_qty, 1e-12);
    cr_assert_float_eq(stored_fills(row.order.client_id), rep.filled_qty, 1e-12);
    cr_assert_float_eq(qf_portfolio_position(pf, "BTC/USDT").quantity, rep.filled_qty, 1e-12);
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", row.order.client_id, &rep, &err), QF_OK);
    cr_assert_eq(rep.status, QF_ORDER_CANCELLED);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
}

Test(order_manager_coinbase, reconcile_after_a_restart_syncs_fills)
{
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, BID0);
    qf_order_row row;
    qf_err err;
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(row.order.status, QF_ORDER_OPEN);
    qf_om_free(om); /* the process stops; the order rests at the venue */
    om = NULL;
    qf_order_report rep;
    for (int i = 0; i < 2000; i++) {
        qf_mock_advance(mock, 10 * 1000);
        cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", row.order.client_id, &rep, &err), QF_OK,
                     "%s", err.msg);
        if (rep.status == QF_ORDER_FILLED)
            break;
    }
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    cr_assert_float_eq(stored_fills(row.order.client_id), 0.0, 1e-12, "nobody recorded it yet");
    qf_om_options o = options();
    open_om(&o);
    size_t checked = 0;
    cr_assert_eq(qf_om_reconcile(om, &checked, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(checked, 1);
    cr_assert_eq(qf_store_get_order(store, row.order.client_id, &row, &err), QF_OK);
    assert_filled_once(&row, 0.001);
    cr_assert_leq(row.order.avg_fill_price, BID0 + 1e-9);
    /* A second reconcile has nothing left to do. */
    cr_assert_eq(qf_om_reconcile(om, &checked, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(checked, 0);
}

Test(order_manager_coinbase, reconcile_finds_an_order_sent_before_a_crash_and_never_resends)
{
    /* The state a kill between send and acknowledgement leaves: the row
     * persisted as pending, the order at the venue. */
    qf_order_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.order.client_id, sizeof row.order.client_id, "%s", id_of(1));
    snprintf(row.order.exchange, sizeof row.order.exchange, "coinbase");
    snprintf(row.order.symbol, sizeof row.order.symbol, "BTC/USDT");
    row.order.side = QF_SIDE_BUY;
    row.order.type = QF_ORDER_MARKET;
    row.order.tif = QF_TIF_GTC;
    row.order.quantity = 0.01;
    row.order.limit_price = NAN;
    row.order.avg_fill_price = NAN;
    row.order.status = QF_ORDER_PENDING;
    row.order.created_at = om_clock(NULL);
    row.order.updated_at = row.order.created_at;
    snprintf(row.account, sizeof row.account, "live");
    row.bar_time = BAR;
    row.attempt = 1;
    row.expected_price = NAN;
    qf_err err;
    cr_assert_eq(qf_store_insert_order(store, &row, &err), QF_OK, "%s", err.msg);
    qf_order_req req;
    memset(&req, 0, sizeof req);
    snprintf(req.client_id, sizeof req.client_id, "%s", id_of(1));
    snprintf(req.symbol, sizeof req.symbol, "BTC/USDT");
    req.side = QF_SIDE_BUY;
    req.type = QF_ORDER_MARKET;
    req.quantity = 0.01;
    req.limit_price = NAN;
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &req, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);

    qf_om_options o = options();
    open_om(&o); /* the restart */
    size_t checked = 0;
    cr_assert_eq(qf_om_reconcile(om, &checked, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(checked, 1);
    cr_assert_eq(qf_store_get_order(store, id_of(1), &row, &err), QF_OK);
    assert_filled_once(&row, 0.01);
    /* The strategy, restarted too, emits the same signal: nothing is sent. */
    long requests = qf_mock_get_stats(mock).requests;
    qf_order_intent in = intent(QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    cr_assert_eq(qf_om_submit(om, &in, &row, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_mock_get_stats(mock).requests, requests);
    assert_filled_once(&row, 0.01);
}
