/* Coinbase Advanced Trade execution (src/market/coinbase_trade.c) over real
 * HTTP against the mock exchange: JWT accepted (ES256 and EdDSA), a wrong
 * key refused with a clear error, orders, cancel and client_order_id
 * idempotency counted at the mock. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "market/exchange.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

static qf_mock *mock;
static qf_exchange *ex;
static char *dir;

static qf_exchange *open_coinbase(const char *key, const char *secret)
{
    qf_config cfg;
    qf_config_init(&cfg);
    snprintf(cfg.exchanges.coinbase.base_url, sizeof cfg.exchanges.coinbase.base_url, "%s",
             qf_mock_url(mock));
    snprintf(cfg.exchanges.coinbase.api_key, sizeof cfg.exchanges.coinbase.api_key, "%s", key);
    snprintf(cfg.exchanges.coinbase.api_secret, sizeof cfg.exchanges.coinbase.api_secret, "%s",
             secret);
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
    /* quote_size = qty x ask: what fills is about 0.01 BTC. */
    cr_assert_float_eq(rep.filled_qty, 0.01, 0.0005);
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
