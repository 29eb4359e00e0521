/* Coinbase Advanced Trade execution (src/market/coinbase_trade.c) over real
 * HTTP against the mock exchange: JWT accepted (ES256 and EdDSA), a wrong
 * key refused with a clear error, orders, cancel and client_order_id
 * idempotency counted at the mock; faults on POST /orders (accepted then 500,
 * dropped or held acknowledgement, garbled replies, 5xx and HTML before
 * processing, 429, 418) are QF_EUNKNOWN / QF_ERATELIMIT as documented, never
 * a crash, and a lookup by client id finds the one order. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "market/exchange.h"
#include "market/exchange_int.h"
#include "market/http.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

static qf_mock *mock;
static qf_exchange *ex;
static char *dir;

static qf_exchange *open_coinbase(const char *key, const char *secret)
{
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(mock, &cfg);
    snprintf(cfg.exchanges.coinbase.api_key, sizeof cfg.exchanges.coinbase.api_key, "%s", key);
    snprintf(cfg.exchanges.coinbase.api_secret, sizeof cfg.exchanges.coinbase.api_secret, "%s",
             secret);
    /* The client-side budget (10 requests/s by default) is test_ratelimit's
     * subject; here it would only make the clock-walking tests slow. */
    cfg.exchanges.coinbase.rate_limit_rpm = 60000;
    qf_exchange *e = NULL;
    qf_err err;
    cr_assert_eq(qf_exchange_open(&cfg, "coinbase", &e, &err), QF_OK, "%s", err.msg);
    return e;
}

static void setup(void)
{
    dir = qf_test_tmpdir();
    setenv("QF_RATELIMIT_DIR", dir, 1);
    qf_mock_opts o = {0};
    qf_err err;
    cr_assert_eq(qf_mock_start(&o, &mock, &err), QF_OK, "%s", err.msg);
    ex = open_coinbase(QF_MOCK_COINBASE_KEY_NAME, QF_MOCK_COINBASE_PRIVATE_PEM);
}

static void teardown(void)
{
    qf_exchange_close(ex);
    qf_mock_stop(mock);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(coinbase_trade, .init = setup, .fini = teardown, .timeout = 60);

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

Test(coinbase_trade, es256_and_eddsa_jwts_are_accepted)
{
    qf_balance *b = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_exchange_balances(ex, &b, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_gt(n, 0);
    free(b);
    qf_exchange *ed =
        open_coinbase(QF_MOCK_COINBASE_ED25519_KEY_NAME, QF_MOCK_COINBASE_ED25519_SECRET);
    cr_assert_eq(qf_exchange_balances(ed, &b, &n, &err), QF_OK, "%s", err.msg);
    free(b);
    qf_exchange_close(ed);
}

Test(coinbase_trade, wrong_key_is_401_with_a_clear_error)
{
    qf_exchange *bad =
        open_coinbase("organizations/x/apiKeys/not-this-one", QF_MOCK_COINBASE_PRIVATE_PEM);
    qf_balance *b = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_exchange_balances(bad, &b, &n, &err), QF_EREJECTED);
    cr_assert(strstr(err.msg, "401") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "MHcCAQEE") == NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "Bearer") == NULL, "%s", err.msg);
    qf_exchange_close(bad);
}

Test(coinbase_trade, market_buy_fills_and_repeat_client_id_is_one_order)
{
    qf_order_req r = order("qf-cb-mkt-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.01, NAN);
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, &t, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED, "status %d", rep.status);
    cr_assert_str_eq(rep.client_id, "qf-cb-mkt-1");
    cr_assert_gt(n, 0);
    double q = 0;
    for (size_t i = 0; i < n; i++)
        q += t[i].quantity;
    cr_assert_float_eq(q, rep.filled_qty, 1e-9);
    /* quote_size = qty x ask rounded up to the tick: the top level (0.0237
     * BTC) fills exactly 0.01 BTC. */
    cr_assert_float_eq(rep.filled_qty, 0.01, 1e-12);
    free(t);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-cb-mkt-1"), 1);
    /* The same client_order_id again: Coinbase's idempotency, no second order. */
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-cb-mkt-1"), 1);
}

Test(coinbase_trade, limit_rests_is_found_by_client_id_and_cancels)
{
    qf_ticker tk;
    qf_err err;
    cr_assert_eq(qf_exchange_ticker(ex, "BTC/USDT", &tk, &err), QF_OK, "%s", err.msg);
    double limit = floor(tk.bid * 0.5);
    qf_order_req r = order("qf-cb-lim-1", QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, limit);
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_OPEN, "status %d", rep.status);
    cr_assert_float_eq(rep.limit_price, limit, 1e-9);
    qf_order_report q;
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-cb-lim-1", &q, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(q.venue_order_id, rep.venue_order_id);
    qf_order_report *open = NULL;
    size_t n = 0;
    cr_assert_eq(qf_exchange_open_orders(ex, "BTC/USDT", &open, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    free(open);
    cr_assert_eq(qf_exchange_cancel(ex, "BTC/USDT", "qf-cb-lim-1", &q, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(q.status, QF_ORDER_CANCELLED);
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-cb-never-1", &q, &err), QF_ENOTFOUND);
}

Test(coinbase_trade, limit_rests_then_fills_after_the_venue_clock_moves)
{
    /* The JWT's nbf/exp are judged by the venue's clock: after it moves by
     * hours the adapter must follow (it resynchronises on a 401). */
    qf_ticker tk;
    qf_err err;
    cr_assert_eq(qf_exchange_ticker(ex, "BTC/USDT", &tk, &err), QF_OK, "%s", err.msg);
    double limit = floor(tk.ask * 0.99 * 100) / 100; /* 1% under the ask: rests */
    qf_order_req r = order("qf-cb-lim-2", QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, limit);
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_OPEN, "status %d", rep.status);
    qf_order_report q;
    int hours = 0;
    for (; hours < 24 * 30; hours++) {
        qf_mock_advance(mock, 3600 * 1000LL);
        cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-cb-lim-2", &q, &err), QF_OK,
                     "after %d h: %s", hours + 1, err.msg);
        if (q.status == QF_ORDER_FILLED)
            break;
    }
    cr_assert_eq(q.status, QF_ORDER_FILLED, "status %d", q.status);
    cr_assert_gt(hours, 0, "rested at least an hour");
    cr_assert_float_eq(q.filled_qty, 0.001, 1e-12);
    cr_assert_leq(q.avg_fill_price, limit + 1e-9, "a buy limit never fills above its price");
    qf_trade *t = NULL;
    size_t n = 0;
    cr_assert_eq(qf_exchange_trades(ex, "BTC/USDT", "qf-cb-lim-2", &t, &n, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        cr_assert(t[i].maker, "a resting order fills as maker");
        cr_assert_str_eq(t[i].fee_asset, "USDT");
        cr_assert_float_eq(t[i].fee, t[i].quantity * t[i].price * 0.001, 1e-8);
    }
    free(t);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
}

#define ORDERS_PATH "/api/v3/brokerage/orders"

/* Submits a market buy under `fault` on POST /orders; the adapter must say
 * QF_EUNKNOWN, leave *out alone and have sent the order exactly `sent`
 * times. Returns the error message. */
static void submit_unknown(qf_mock_fault_kind fault, const char *id, size_t sent, qf_err *err)
{
    qf_account_info a;
    cr_assert_eq(qf_exchange_account(ex, &a, err), QF_OK, "%s", err->msg); /* clock, keys */
    qf_mock_fault(mock, ORDERS_PATH, fault, 1, 0);
    qf_order_req r = order(id, QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    memset(&rep, 0x55, sizeof rep);
    qf_rc rc = qf_exchange_submit(ex, &r, &rep, NULL, NULL, err);
    cr_assert_eq(rc, QF_EUNKNOWN, "%s: %s (orders at the mock: %zu)", qf_rc_name(rc),
                 rc == QF_OK ? "" : err->msg, qf_mock_count_orders(mock, id));
    cr_assert_eq(((unsigned char *)&rep)[0], 0x55, "out untouched");
    cr_assert(strstr(err->msg, "POST /api/v3/brokerage/orders") != NULL, "%s", err->msg);
    cr_assert(strstr(err->msg, "eyJ") == NULL && strstr(err->msg, "Bearer") == NULL, "%s",
              err->msg);
    cr_assert_eq(qf_mock_count_orders(mock, id), sent, "sent once, never re-sent");
}

/* After an unknown outcome for an order the mock accepted: the lookup by
 * client id finds it filled, and re-POSTing the same client_order_id (the
 * idempotent recovery) returns it without a second order. */
static void recovered(const char *id)
{
    qf_order_report rep;
    qf_err err;
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", id, &rep, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED, "status %d", rep.status);
    cr_assert_str_eq(rep.client_id, id);
    cr_assert(rep.filled_qty > 0);
    char venue_id[QF_VENUE_ORDER_ID_MAX];
    snprintf(venue_id, sizeof venue_id, "%s", rep.venue_order_id);
    qf_trade *t = NULL;
    size_t n = 0;
    cr_assert_eq(qf_exchange_trades(ex, "BTC/USDT", id, &t, &n, &err), QF_OK, "%s", err.msg);
    double q = 0;
    for (size_t i = 0; i < n; i++)
        q += t[i].quantity;
    free(t);
    cr_assert_float_eq(q, rep.filled_qty, 1e-12, "the fills add up to the order");
    qf_order_req r = order(id, QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(rep.venue_order_id, venue_id);
    cr_assert_eq(qf_mock_count_orders(mock, id), 1);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1, "one order at the exchange, no more");
}

Test(coinbase_trade, ack_500_is_unknown_outcome_and_one_order)
{
    qf_err err;
    submit_unknown(QF_MOCK_FAULT_ACK_500, "qf-cb-ack500-1", 1, &err);
    cr_assert(strstr(err.msg, "500") != NULL, "%s", err.msg);
    recovered("qf-cb-ack500-1");
}

Test(coinbase_trade, dropped_ack_is_unknown_outcome_and_one_order)
{
    qf_err err;
    submit_unknown(QF_MOCK_FAULT_ACK_DROP, "qf-cb-ackdrop-1", 1, &err);
    recovered("qf-cb-ackdrop-1");
}

Test(coinbase_trade, http_408_is_unknown_outcome_not_rejected)
{
    qf_err err;
    submit_unknown(QF_MOCK_FAULT_ACK_408, "qf-cb-ack408-1", 1, &err);
    cr_assert(strstr(err.msg, "408") != NULL, "%s", err.msg);
    recovered("qf-cb-ack408-1");
}

Test(coinbase_trade, malformed_and_truncated_acks_are_unknown_outcome_and_one_order)
{
    qf_err err;
    submit_unknown(QF_MOCK_FAULT_MALFORMED, "qf-cb-garbled-1", 1, &err);
    cr_assert(strstr(err.msg, "outcome unknown") != NULL, "%s", err.msg);
    recovered("qf-cb-garbled-1");
    qf_mock_fault(mock, NULL, QF_MOCK_FAULT_NONE, 0, 0);
    submit_unknown(QF_MOCK_FAULT_TRUNCATED, "qf-cb-trunc-1", 1, &err);
    cr_assert(strstr(err.msg, "JSON") != NULL, "names what was wrong: %s", err.msg);
    qf_order_report rep;
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-cb-trunc-1", &rep, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-cb-trunc-1"), 1);
}

Test(coinbase_trade, held_ack_times_out_as_unknown_outcome_and_one_order)
{
    /* A client timeout of 1 s instead of 15 s, so the test stays fast. */
    qf_http_opts ho = {
        .venue = "coinbase", .timeout_ms = 1000, .max_retries = 1, .limiter = ex->limiter};
    qf_http *fast = NULL;
    qf_err err;
    cr_assert_eq(qf_http_new(&ho, &fast, &err), QF_OK, "%s", err.msg);
    qf_http_free(ex->http);
    ex->http = fast;
    submit_unknown(QF_MOCK_FAULT_ACK_HANG, "qf-cb-hang-1", 1, &err);
    cr_assert_eq(qf_mock_get_stats(mock).held_acks, 1, "the acknowledgement is still held");
    /* The lookup does not wait for the held reply. */
    qf_order_report rep;
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-cb-hang-1", &rep, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(rep.status, QF_ORDER_FILLED);
    qf_mock_release(mock);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
}

Test(coinbase_trade, refused_before_processing_is_unknown_and_no_order)
{
    /* A 500 or an HTML 502 page for a POST cannot tell whether the order
     * went through: unknown outcome, not resent; the lookup finds none. */
    static const qf_mock_fault_kind faults[] = {QF_MOCK_FAULT_500, QF_MOCK_FAULT_503,
                                                QF_MOCK_FAULT_HTML};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        char id[32];
        snprintf(id, sizeof id, "qf-cb-5xx-%zu", i);
        qf_err err;
        submit_unknown(faults[i], id, 0, &err);
        qf_order_report rep;
        cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", id, &rep, &err), QF_ENOTFOUND, "%s",
                     err.msg);
    }
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);
}

Test(coinbase_trade, rate_limit_429_and_ban_418_send_no_order)
{
    qf_account_info a;
    qf_err err;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg);
    qf_order_req r = order("qf-cb-429-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    qf_mock_fault(mock, ORDERS_PATH, QF_MOCK_FAULT_429, 1, 1);
    long before = qf_mock_get_stats(mock).rejected_429;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_ERATELIMIT, "%s", err.msg);
    cr_assert_eq(qf_mock_get_stats(mock).rejected_429, before + 1, "one POST, not retried");
    cr_assert(strstr(err.msg, "429") != NULL, "%s", err.msg);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);

    r = order("qf-cb-418-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_mock_fault(mock, ORDERS_PATH, QF_MOCK_FAULT_418, 1, 60);
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_ERATELIMIT, "%s", err.msg);
    cr_assert(strstr(err.msg, "418") != NULL, "%s", err.msg);
    /* Banned: nothing reaches the mock until the ban ends. */
    long requests = qf_mock_get_stats(mock).requests;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_ERATELIMIT);
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_ERATELIMIT);
    cr_assert_eq(qf_mock_get_stats(mock).requests, requests, "no request during the ban");
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);
}

Test(coinbase_trade, order_unknown_or_garbled_right_after_acceptance_is_unconfirmed)
{
    /* Accepted, but the read-back says "not found" (the venue lagging): the
     * order is reported unconfirmed with its venue id, never cancelled. */
    qf_account_info a;
    qf_err err;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg);
    qf_mock_fault(mock, ORDERS_PATH "/historical/", QF_MOCK_FAULT_QUERY_UNKNOWN, 1, 0);
    qf_order_req r = order("qf-cb-lag-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    qf_trade *t = NULL;
    size_t n = 7;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, &t, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_UNCONFIRMED, "status %d", rep.status);
    cr_assert_str_neq(rep.venue_order_id, "");
    cr_assert_str_eq(rep.client_id, "qf-cb-lag-1");
    cr_assert_null(t);
    cr_assert_eq(n, 0);
    qf_order_report q;
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-cb-lag-1", &q, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(q.status, QF_ORDER_FILLED);
    cr_assert_str_eq(q.venue_order_id, rep.venue_order_id);

    /* The read-back with numbers where strings belong: unconfirmed too. */
    qf_mock_fault(mock, ORDERS_PATH "/historical/", QF_MOCK_FAULT_WRONG_TYPES, 1, 0);
    r = order("qf-cb-types-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_UNCONFIRMED, "status %d", rep.status);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 2);
}

Test(coinbase_trade, garbled_lookups_are_clear_errors)
{
    qf_order_req r = order("qf-cb-look-1", QF_SIDE_BUY, QF_ORDER_MARKET, 0.001, NAN);
    qf_order_report rep;
    qf_err err;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    static const struct {
        qf_mock_fault_kind kind;
        const char *says;
    } faults[] = {
        {QF_MOCK_FAULT_MALFORMED, "JSON"},
        {QF_MOCK_FAULT_TRUNCATED, "JSON"},
        {QF_MOCK_FAULT_WRONG_TYPES, "filled_size"},
    };
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        qf_order_report q;
        memset(&q, 0x55, sizeof q);
        qf_mock_fault(mock, ORDERS_PATH "/historical/batch", faults[i].kind, 1, 0);
        cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-cb-look-1", &q, &err), QF_EPARSE,
                     "fault %zu: %s", i, err.msg);
        cr_assert(strstr(err.msg, "/orders/historical/batch") != NULL, "%s", err.msg);
        cr_assert(strstr(err.msg, faults[i].says) != NULL, "fault %zu: %s", i, err.msg);
        cr_assert_eq(((unsigned char *)&q)[0], 0x55, "out untouched");
    }
    qf_trade *t = NULL;
    size_t n = 0;
    qf_mock_fault(mock, ORDERS_PATH "/historical/fills", QF_MOCK_FAULT_WRONG_TYPES, 1, 0);
    cr_assert_eq(qf_exchange_trades(ex, "BTC/USDT", "qf-cb-look-1", &t, &n, &err), QF_EPARSE, "%s",
                 err.msg);
    cr_assert(strstr(err.msg, "/orders/historical/fills") != NULL, "%s", err.msg);
    cr_assert_null(t);
    cr_assert_eq(qf_exchange_query(ex, "BTC/USDT", "qf-cb-look-1", &rep, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
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

Test(coinbase_trade, on_send_runs_before_every_send_including_the_401_retry)
{
    qf_account_info a;
    qf_err err;
    qf_symbol_rules rules;
    cr_assert_eq(qf_exchange_account(ex, &a, &err), QF_OK, "%s", err.msg); /* clock synced */
    cr_assert_eq(qf_exchange_rules(ex, "BTC/USDT", false, &rules, &err), QF_OK, "%s", err.msg);
    /* The venue's clock moves on by an hour: the next JWT is refused. */
    qf_mock_advance(mock, 3600 * 1000LL);
    send_probe p = {0};
    qf_order_req r = order("qf-cb-onsend-1", QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, 1000.0);
    r.on_send = probe_on_send;
    r.on_send_ctx = &p;
    long before = qf_mock_get_stats(mock).requests;
    qf_order_report rep;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.status, QF_ORDER_OPEN, "status %d", rep.status);
    /* POST (401), GET /time, POST, GET the order: the hook ran right before
     * each POST, after its token was made. */
    cr_assert_eq(p.calls, 2);
    cr_assert_eq(p.requests_before[0], before);
    cr_assert_eq(p.requests_before[1], before + 2);
    cr_assert_eq(qf_mock_get_stats(mock).requests - before, 4);
    cr_assert_eq(qf_mock_count_orders(mock, "qf-cb-onsend-1"), 1);

    /* Lookups and cancels are not placements: no hook. */
    cr_assert_eq(qf_exchange_cancel(ex, "BTC/USDT", "qf-cb-onsend-1", &rep, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(p.calls, 2);

    /* A hook that refuses: nothing is sent, its code comes back. */
    send_probe no = {.answer = QF_ESTATE};
    r = order("qf-cb-onsend-2", QF_SIDE_BUY, QF_ORDER_LIMIT, 0.001, 1000.0);
    r.on_send = probe_on_send;
    r.on_send_ctx = &no;
    before = qf_mock_get_stats(mock).requests;
    cr_assert_eq(qf_exchange_submit(ex, &r, &rep, NULL, NULL, &err), QF_ESTATE);
    cr_assert(strstr(err.msg, "probe refuses") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "not sent") != NULL, "%s", err.msg);
    cr_assert_eq(no.calls, 1);
    cr_assert_eq(qf_mock_get_stats(mock).requests, before, "nothing reached the mock");
    cr_assert_eq(qf_mock_count_orders(mock, "qf-cb-onsend-2"), 0);
}
