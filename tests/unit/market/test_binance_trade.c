/* Binance execution (src/market/binance_trade.c) over real HTTP against the
 * mock exchange on 127.0.0.1: orders, fills, cancels, duplicate ids, clock
 * skew, unknown outcomes and bans, counted at the mock. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "market/exchange.h"
#include "market/exchange_int.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

static qf_mock *mock;
static qf_exchange *ex;
static char *dir;

static qf_exchange *open_binance(const char *key, const char *secret)
{
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(mock, &cfg);
    snprintf(cfg.exchanges.binance.api_key, sizeof cfg.exchanges.binance.api_key, "%s", key);
    snprintf(cfg.exchanges.binance.api_secret, sizeof cfg.exchanges.binance.api_secret, "%s",
             secret);
    qf_exchange *e = NULL;
    qf_err err;
    cr_assert_eq(qf_exchange_open(&cfg, "binance", &e, &err), QF_OK, "%s", err.msg);
    return e;
}

static void setup(void)
{
    dir = qf_test_tmpdir();
    setenv("QF_RATELIMIT_DIR", dir, 1);
    qf_mock_opts o = {0};
    qf_err err;
    cr_assert_eq(qf_mock_start(&o, &mock, &err), QF_OK, "%s", err.msg);
    ex = open_binance(QF_MOCK_BINANCE_KEY, QF_MOCK_BINANCE_SECRET);
}

static void teardown(void)
{
    qf_exchange_close(ex);
    qf_mock_stop(mock);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(binance_trade, .init = setup, .fini = teardown, .timeout = 60);

static qf_order_req order(const char *id, qf_side side, qf_order_type type, double qty,
                          double price)
{
    qf_order_req r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "%s", id);
    snprintf(r.symbol, sizeof r.symbol, "%s", "BTC/USDT");
    r.side = side;
    r.type = type;
    r.tif = QF_TIF_GTC;
    r.quantity = qty;
    r.limit_price = price;
    return r;
}

static double ask(void)
{
    qf_ticker t;
    qf_err err;
    cr_assert_eq(qf_exchange_ticker(ex, "BTC/USDT", &t, &err), QF_OK, "%s", err.msg);
    return t.ask;
}

static double balance(const char *asset)
{
    qf_balance *b = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_exchange_balances(ex, &b, &n, &err), QF_OK, "%s", err.msg);
    double v = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(b[i].asset, asset) == 0)
            v = b[i].free + b[i].locked;
    free(b);
    return v;
}

Test(binance_trade, market_buy_full_with_several_fills)
{
    double btc0 = balance("BTC");
    qf_order_req r = order("qf-test-mkt-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.1, NAN);
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, &t, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    cr_assert_str_eq(rep.client_id, "qf-test-mkt-1");
    cr_assert_str_eq(rep.symbol, "BTC/USDT");
    cr_assert_float_eq(rep.filled_qty, 0.1, 1e-12);
    cr_assert_geq(n, 2, "0.1 BTC walks several ~2,000 USDT levels, got %zu fills", n);
    double q = 0;
    double quote = 0;
    double fee = 0;
    for (size_t i = 0; i < n; i++) {
        q += t[i].quantity;
        quote += t[i].quantity * t[i].price;
        fee += t[i].fee;
        cr_assert_str_eq(t[i].fee_asset, "BTC", "Binance takes the fee in the asset received");
        cr_assert(i == 0 || t[i].price >= t[i - 1].price, "a buy walks the asks upwards");
    }
    cr_assert_float_eq(q, rep.filled_qty, 1e-12);
    cr_assert_float_eq(quote, rep.cum_quote, 1e-6);
    cr_assert_float_eq(rep.avg_fill_price, rep.cum_quote / rep.filled_qty, 1e-9);
    cr_assert_float_eq(fee, 0.1 * 0.001, 1e-9, "0.1%% commission");
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-mkt-1"), 1);
    cr_assert_float_eq(balance("BTC") - btc0, 0.1 - fee, 1e-9);

    /* myTrades for the order gives the same fills. */
    qf_trade *t2 = NULL;
    size_t n2 = 0;
    cr_assert_eq(qf_exchange_trades(ex, "BTC/USDT", "qf-test-mkt-1", &t2, &n2, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(n2, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(t2[i].trade_id, t[i].trade_id);
        cr_assert_float_eq(t2[i].quantity, t[i].quantity, 1e-12);
        cr_assert_str_eq(t2[i].client_id, "qf-test-mkt-1");
    }
    free(t);
    free(t2);
}

Test(binance_trade, limit_rests_then_fills_after_the_clock_moves)
{
    double a = ask();
    double limit = floor(a * 0.99 * 100) / 100; /* 1% under the ask: rests */
    qf_order_req r = order("qf-test-lim-1", QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, limit);
    qf_order_report rep;
    qf_err err;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_OPEN);
    cr_assert_float_eq(rep.limit_price, limit, 1e-9);
    qf_order_report *open = NULL;
    size_t n = 0;
    cr_assert_eq(qf_exchange_open_orders(ex, "BTC/USDT", &open, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(open[0].client_id, "qf-test-lim-1");
    free(open);
    /* Walk the mock clock an hour at a time until the real BTC path crosses. */
    qf_order_report q;
    for (int h = 0; h < 24 * 30; h++) {
        qf_mock_advance(mock, 3600 * 1000LL);
        cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-test-lim-1", &q, &err), QF_OK, "%s",
                     err.msg);
        if (q.status == QF_ORDER_FILLED)
            break;
    }
    cr_assert_eq(q.status, QF_ORDER_FILLED, "status %d", q.status);
    cr_assert_float_eq(q.filled_qty, 0.001, 1e-12);
    cr_assert_leq(q.avg_fill_price, limit + 1e-9, "a buy limit never fills above its price");
    cr_assert_eq(qf_exchange_open_orders(ex, "BTC/USDT", &open, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 0);
    free(open);
}

Test(binance_trade, cancel_then_cancel_again_is_not_found)
{
    double limit = floor(ask() * 0.5);
    qf_order_req r = order("qf-test-cxl-1", QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, limit);
    qf_order_report rep;
    qf_err err;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_exchange_cancel(ex, "BTC/USDT", "qf-test-cxl-1", &rep, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(rep.status, QF_ORDER_CANCELLED);
    cr_assert_str_eq(rep.client_id, "qf-test-cxl-1", "the order's id, not the cancel's");
    memset(&rep, 0x33, sizeof rep);
    cr_assert_eq(qf_exchange_cancel(ex, "BTC/USDT", "qf-test-cxl-1", &rep, &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "-2011") != NULL, "%s", err.msg);
    cr_assert_eq(((unsigned char *)&rep)[0], 0x33, "out untouched");
}

Test(binance_trade, duplicate_open_client_id_is_rejected_and_not_a_second_order)
{
    double limit = floor(ask() * 0.5);
    qf_order_req r = order("qf-test-dup-1", QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, limit);
    qf_order_report rep;
    qf_err err;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_EREJECTED);
    cr_assert(strstr(err.msg, "binance -2010: Duplicate order sent.") != NULL, "%s", err.msg);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-dup-1"), 1);
}

Test(binance_trade, unknown_order_query_is_not_found)
{
    qf_order_report rep;
    memset(&rep, 0x44, sizeof rep);
    qf_err err;
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-never-sent-1", &rep, &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "-2013") != NULL, "%s", err.msg);
    cr_assert_eq(((unsigned char *)&rep)[0], 0x44);
}

Test(binance_trade, bad_secret_is_rejected_without_the_secret_in_the_message)
{
    const char *secret = "wrongSECRETvalue0123456789wrongSECRETvalue0123456789";
    qf_exchange *bad = open_binance(QF_MOCK_BINANCE_KEY, secret);
    qf_account_info a;
    qf_err err;
    cr_assert_eq(qf_exchange_account(bad, &a, &err), QF_EREJECTED);
    cr_assert(strstr(err.msg, "-1022") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "wrongSECRET") == NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, QF_MOCK_BINANCE_KEY) == NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "signature") == NULL || strstr(err.msg, "=") == NULL, "%s", err.msg);
    qf_exchange_close(bad);
    /* No key at all is a configuration error naming where keys come from. */
    qf_exchange *none = open_binance("", "");
    cr_assert_eq(qf_exchange_account(none, &a, &err), QF_ECONFIG);
    cr_assert(strstr(err.msg, "BINANCE_API_KEY") != NULL, "%s", err.msg);
    qf_exchange_close(none);
}

Test(binance_trade, account_reports_trading_permission_and_fees)
{
    qf_account_info a;
    qf_err err;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg);
    cr_assert(a.can_trade);
    cr_assert(strstr(a.permissions, "SPOT") != NULL, "%s", a.permissions);
    cr_assert_float_eq(balance("USDT"), 100000.0, 1e-6);
}

Test(binance_trade, clock_skew_resyncs_once_and_succeeds)
{
    qf_account_info a;
    qf_err err;
    qf_symbol_rules rules;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg); /* synced */
    cr_assert_eq(qf_exchange_rules(ex, "BTC/USDT", false, &rules, &err), QF_OK, "%s", err.msg);
    qf_mock_set_skew(mock, 60000); /* a minute ahead */
    long before = qf_mock_get_stats(mock).requests;
    qf_order_req r = order("qf-test-skew-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    /* -1021, GET /api/v3/time, the accepted retry: three requests, one order. */
    cr_assert_eq(qf_mock_get_stats(mock).requests - before, 3, "%ld requests",
                 qf_mock_get_stats(mock).requests - before);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-skew-1"), 1);
}

Test(binance_trade, clock_skew_that_a_resync_cannot_fix_is_a_clear_error)
{
    qf_account_info a;
    qf_err err;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg);
    qf_mock_set_skew(mock, 60000);
    /* The resync's answer is garbage: the offset stays stale. */
    qf_mock_fault(mock, "/api/v3/time", QF_MOCK_FAULT_MALFORMED, 1, 0);
    qf_order_req r = order("qf-test-skew-2", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    qf_rc rc = qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err);
    cr_assert_neq(rc, QF_OK);
    cr_assert(strstr(err.msg, "-1021") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "resync") != NULL, "%s", err.msg);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-skew-2"), 0);
}

static void unknown_outcome(qf_mock_fault_kind kind, const char *id)
{
    qf_account_info a;
    qf_err err;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg);
    qf_mock_fault(mock, "/api/v3/order", kind, 1, 0);
    qf_order_req r = order(id, QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    memset(&rep, 0x55, sizeof rep);
    qf_rc rc = qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err);
    cr_assert_eq(rc, QF_EUNKNOWN, "%s: %s (orders at the mock: %zu)", qf_rc_name(rc),
                 rc == QF_OK ? "" : err.msg, qf_mock_count_orders(mock, id));
    cr_assert_eq(((unsigned char *)&rep)[0], 0x55);
    cr_assert_eq(qf_mock_count_orders(mock, id), 1, "sent exactly once");
    /* Querying by the client id recovers the outcome. */
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", id, &rep, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    cr_assert_eq(qf_mock_count_orders(mock, id), 1);
}

Test(binance_trade, ack_500_is_unknown_outcome_and_one_order)
{
    unknown_outcome(QF_MOCK_FAULT_ACK_500, "qf-test-ack500-1");
}

Test(binance_trade, dropped_ack_is_unknown_outcome_and_one_order)
{
    unknown_outcome(QF_MOCK_FAULT_ACK_DROP, "qf-test-ackdrop-1");
}

Test(binance_trade, garbled_ack_is_unknown_outcome_and_one_order)
{
    unknown_outcome(QF_MOCK_FAULT_TRUNCATED, "qf-test-trunc-1");
}

Test(binance_trade, ban_418_is_rate_limit_and_nothing_reaches_the_mock_meanwhile)
{
    qf_account_info a;
    qf_err err;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg);
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_418, 1, 0);
    qf_order_req r = order("qf-test-ban-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_ERATELIMIT);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-ban-1"), 0);
    long before = qf_mock_get_stats(mock).requests;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_ERATELIMIT);
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_ERATELIMIT);
    cr_assert_eq(qf_mock_get_stats(mock).requests, before, "no request during the ban");
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);
}

/* Binance documents HTTP 408 / -1007 ("Send status unknown; execution
 * status unknown") and -1006 as an unknown outcome: the order may exist. */
Test(binance_trade, http_408_and_1007_are_unknown_outcome_not_rejected)
{
    unknown_outcome(QF_MOCK_FAULT_ACK_408, "qf-test-ack408-1");
}

Test(binance_trade, code_1006_is_unknown_outcome_not_rejected)
{
    qf_account_info a;
    qf_err err;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg);
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_ACK_408, 1, 1006);
    qf_order_req r = order("qf-test-ack1006-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_EUNKNOWN, "%s", err.msg);
    cr_assert(strstr(err.msg, "-1006") != NULL && strstr(err.msg, "outcome unknown") != NULL, "%s",
              err.msg);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-ack1006-1"), 1);
}

/* Counts the adapter's on_send calls and what the mock had seen by then. */
typedef struct send_probe {
    int calls;
    long requests_before[4];
    qf_rc answer;
} send_probe;

static qf_rc probe_on_send(void *ctx, qf_err *err)
{
    send_probe *p = ctx;
    if (p->calls < 4)
        p->requests_before[p->calls] = qf_mock_get_stats(mock).requests;
    p->calls++;
    if (p->answer != QF_OK)
        return qf_err_set(err, p->answer, "probe refuses");
    return QF_OK;
}

Test(binance_trade, on_send_runs_before_every_send_including_the_1021_retry)
{
    qf_account_info a;
    qf_err err;
    qf_symbol_rules rules;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg); /* synced */
    cr_assert_eq(qf_exchange_rules(ex, "BTC/USDT", false, &rules, &err), QF_OK, "%s", err.msg);
    qf_mock_set_skew(mock, 60000); /* -1021 first */
    send_probe p = {0};
    qf_order_req r = order("qf-test-onsend-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    r.on_send = probe_on_send;
    r.on_send_ctx = &p;
    long before = qf_mock_get_stats(mock).requests;
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    /* POST (-1021), GET /time, POST: the hook ran right before each POST. */
    cr_assert_eq(p.calls, 2);
    cr_assert_eq(p.requests_before[0], before);
    cr_assert_eq(p.requests_before[1], before + 2);
    cr_assert_eq(qf_mock_get_stats(mock).requests - before, 3);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-onsend-1"), 1);

    /* A hook that refuses: nothing is sent, its code comes back. */
    send_probe no = {.answer = QF_ESTATE};
    r = order("qf-test-onsend-2", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    r.on_send = probe_on_send;
    r.on_send_ctx = &no;
    before = qf_mock_get_stats(mock).requests;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_ESTATE);
    cr_assert(strstr(err.msg, "probe refuses") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "not sent") != NULL, "%s", err.msg);
    cr_assert_eq(no.calls, 1);
    cr_assert_eq(qf_mock_get_stats(mock).requests, before, "nothing reached the mock");
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-onsend-2"), 0);
}

/* A wait for the rate limit longer than recvWindow: the timestamp is taken
 * after it, so the venue accepts the first request (no -1021, no resync). */
Test(binance_trade, timestamp_is_taken_after_the_rate_limit_wait)
{
    qf_account_info a;
    qf_err err;
    qf_symbol_rules rules;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg); /* synced */
    cr_assert_eq(qf_exchange_rules(ex, "BTC/USDT", false, &rules, &err), QF_OK, "%s", err.msg);
    ex->recv_window_ms = 500;
    /* Another process on the host was told to pause (a 429's Retry-After). */
    qf_ratelimit_opts ro = {.venue = "binance", .base_url = qf_mock_url(mock)};
    qf_ratelimit *other = NULL;
    cr_assert_eq(qf_ratelimit_new(&ro, &other, &err), QF_OK, "%s", err.msg);
    qf_ratelimit_pause(other, 1000);
    qf_ratelimit_free(other);
    long before = qf_mock_get_stats(mock).requests;
    int64_t t0 = qf_time_now_ms();
    qf_order_req r = order("qf-test-wait-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_geq(qf_time_now_ms() - t0, 900, "the pause was waited out");
    cr_assert_eq(qf_mock_get_stats(mock).requests - before, 1,
                 "one POST, accepted: %ld requests (a -1021 and a resync mean a stale timestamp)",
                 qf_mock_get_stats(mock).requests - before);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-test-wait-1"), 1);
}

/* myTrades returns at most 1000 trades a call (500 by default): an order
 * with more fills is read page by page (fromId), none missing or twice. */
Test(binance_trade, trades_of_an_order_with_more_than_1000_fills_are_all_read)
{
    qf_mock_set_balance(mock, "USDT", 20000000.0);
    /* ~2,000-6,000 USDT a level: 60 BTC walks well over 1000 levels. */
    qf_order_req r = order("qf-test-many-1", QF_SIDE_BUY, QF_ORDER_MARKET, 60.0, NAN);
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, &t, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    cr_assert_gt(n, 1000, "%zu fills", n);
    long before = qf_mock_get_stats(mock).requests;
    qf_trade *t2 = NULL;
    size_t n2 = 0;
    cr_assert_eq(qf_exchange_trades(ex, "BTC/USDT", "qf-test-many-1", &t2, &n2, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(n2, n, "%zu trades read, %zu in the acknowledgement", n2, n);
    double q = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(t2[i].trade_id, t[i].trade_id, "trade %zu", i);
        q += t2[i].quantity;
    }
    cr_assert_float_eq(q, 60.0, 1e-9);
    /* The lookup of the order id, then ceil(n / 1000) pages. */
    cr_assert_eq(qf_mock_get_stats(mock).requests - before, 1 + (long)(n / 1000 + 1));
    free(t);
    free(t2);
}
