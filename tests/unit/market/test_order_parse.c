/* Tests of the pure order / account reply parsers (src/market/
 * binance_order_parse.c, coinbase_order_parse.c, order_fields.c): the
 * documented replies by hand, wrong types named by field, HTML and truncated
 * bodies, and out-parameters untouched on every failure. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "market/binance_order_parse.h"
#include "market/coinbase_order_parse.h"
#include "market/order_fields.h"

#define W "binance POST /api/v3/order"

/* PROTOCOLS.md section 1: a market buy for 100 USDT, FULL. */
static const char *FULL =
    "{\"symbol\":\"BTCUSDT\",\"orderId\":4871023,\"orderListId\":-1,\"clientOrderId\":"
    "\"qf-7f3a9c21-0001\",\"transactTime\":1718000000123,\"price\":\"0.00000000\",\"origQty\":"
    "\"0.00156000\",\"executedQty\":\"0.00156000\",\"origQuoteOrderQty\":\"100.00000000\","
    "\"cummulativeQuoteQty\":\"99.84056000\",\"status\":\"FILLED\",\"timeInForce\":\"GTC\","
    "\"type\":\"MARKET\",\"side\":\"BUY\",\"workingTime\":1718000000123,"
    "\"selfTradePreventionMode\":\"EXPIRE_MAKER\",\"fills\":[{\"price\":\"64000.00000000\","
    "\"qty\":\"0.00100000\",\"commission\":\"0.00000100\",\"commissionAsset\":\"BTC\","
    "\"tradeId\":901},{\"price\":\"64001.00000000\",\"qty\":\"0.00056000\",\"commission\":"
    "\"0.00000056\",\"commissionAsset\":\"BTC\",\"tradeId\":902}]}";

static qf_rc parse_b(const char *body, qf_order_report *r, qf_trade **t, size_t *n, qf_err *err)
{
    return qf_binance_parse_order(body, strlen(body), W, r, t, n, err);
}

Test(order_parse, binance_full_market_buy_by_hand)
{
    qf_order_report r;
    qf_trade *t = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(parse_b(FULL, &r, &t, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(r.symbol, "BTC/USDT");
    cr_assert_str_eq(r.client_id, "qf-7f3a9c21-0001");
    cr_assert_str_eq(r.venue_order_id, "4871023");
    cr_assert_eq(r.status, QF_ORDER_FILLED);
    cr_assert_eq(r.side, QF_SIDE_BUY);
    cr_assert_eq(r.type, QF_ORDER_MARKET);
    cr_assert_float_eq(r.quantity, 0.00156, 1e-15);
    cr_assert_float_eq(r.filled_qty, 0.00156, 1e-15);
    cr_assert_float_eq(r.cum_quote, 99.84056, 1e-9);
    /* 99.84056 / 0.00156 = 64000.359 */
    cr_assert_float_eq(r.avg_fill_price, 64000.358974358974, 1e-6);
    cr_assert(isnan(r.limit_price), "market orders carry price 0: no limit");
    cr_assert_eq(r.update_time, 1718000000123LL);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(t[0].trade_id, "901");
    cr_assert_str_eq(t[1].trade_id, "902");
    cr_assert_float_eq(t[0].price, 64000.0, 1e-9);
    cr_assert_float_eq(t[1].quantity, 0.00056, 1e-15);
    cr_assert_float_eq(t[1].fee, 0.00000056, 1e-15);
    cr_assert_str_eq(t[1].fee_asset, "BTC");
    cr_assert_str_eq(t[1].client_id, "qf-7f3a9c21-0001");
    cr_assert_str_eq(t[1].venue_order_id, "4871023");
    cr_assert_str_eq(t[1].symbol, "BTC/USDT");
    cr_assert_eq(t[1].side, QF_SIDE_BUY);
    /* Invariant: the fills add up to the executed quantity and quote. */
    double q = 0;
    double quote = 0;
    for (size_t i = 0; i < n; i++) {
        q += t[i].quantity;
        quote += t[i].quantity * t[i].price;
    }
    cr_assert_float_eq(q, r.filled_qty, 1e-12);
    cr_assert_float_eq(quote, r.cum_quote, 1e-6);
    free(t);
}

Test(order_parse, binance_statuses_and_cancel_reply_ids)
{
    const char *words[] = {"NEW",      "PARTIALLY_FILLED", "FILLED",           "CANCELED",
                           "REJECTED", "EXPIRED",          "EXPIRED_IN_MATCH", "PENDING_NEW"};
    qf_order_status want[] = {QF_ORDER_OPEN,      QF_ORDER_PARTIALLY_FILLED, QF_ORDER_FILLED,
                              QF_ORDER_CANCELLED, QF_ORDER_REJECTED,         QF_ORDER_EXPIRED,
                              QF_ORDER_EXPIRED,   QF_ORDER_UNCONFIRMED};
    for (size_t i = 0; i < 8; i++) {
        qf_order_status s;
        cr_assert(qf_binance_status(words[i], &s), "%s", words[i]);
        cr_assert_eq(s, want[i], "%s", words[i]);
    }
    qf_order_status s = QF_ORDER_PENDING;
    cr_assert_not(qf_binance_status("new", &s));
    cr_assert_eq(s, QF_ORDER_PENDING);

    /* A cancel reply: clientOrderId is the cancel's own id. */
    const char *cancel =
        "{\"symbol\":\"ETHUSDT\",\"origClientOrderId\":\"qf-order-1\",\"orderId\":7,"
        "\"orderListId\":-1,\"clientOrderId\":\"cancelMyOrder1\",\"transactTime\":1684804350068,"
        "\"price\":\"2000.50000000\",\"origQty\":\"1.00000000\",\"executedQty\":\"0.25000000\","
        "\"cummulativeQuoteQty\":\"500.12500000\",\"status\":\"CANCELED\",\"timeInForce\":\"GTC\","
        "\"type\":\"LIMIT\",\"side\":\"SELL\",\"selfTradePreventionMode\":\"NONE\"}";
    qf_order_report r;
    qf_err err;
    cr_assert_eq(qf_binance_parse_order(cancel, strlen(cancel), W, &r, NULL, NULL, &err), QF_OK,
                 "%s", err.msg);
    cr_assert_str_eq(r.client_id, "qf-order-1");
    cr_assert_str_eq(r.symbol, "ETH/USDT");
    cr_assert_eq(r.status, QF_ORDER_CANCELLED);
    cr_assert_eq(r.side, QF_SIDE_SELL);
    cr_assert_eq(r.type, QF_ORDER_LIMIT);
    cr_assert_float_eq(r.limit_price, 2000.5, 1e-9);
    cr_assert_float_eq(r.avg_fill_price, 2000.5, 1e-9);
}

Test(order_parse, binance_optional_fields_absent_or_present)
{
    /* A query reply with stopPrice/icebergQty, no fills, no transactTime. */
    const char *q = "{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"orderListId\":-1,\"clientOrderId\":"
                    "\"c1\",\"price\":\"60000.00\",\"origQty\":\"0.01\",\"executedQty\":\"0\","
                    "\"cummulativeQuoteQty\":\"0\",\"status\":\"NEW\",\"timeInForce\":\"GTC\","
                    "\"type\":\"LIMIT\",\"side\":\"BUY\",\"stopPrice\":\"0.0\",\"icebergQty\":"
                    "\"0.0\",\"time\":1,\"updateTime\":2,\"isWorking\":true}";
    qf_order_report r;
    qf_trade *t = (qf_trade *)1;
    size_t n = 99;
    qf_err err;
    cr_assert_eq(parse_b(q, &r, &t, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_null(t);
    cr_assert_eq(n, 0);
    cr_assert(isnan(r.avg_fill_price));
    cr_assert_eq(r.update_time, 2);
    cr_assert_eq(r.status, QF_ORDER_OPEN);
}

/* Every failure leaves the out-parameters as they were. */
static void expect_fail_b(const char *body, qf_rc want, const char *fragment)
{
    qf_order_report r;
    memset(&r, 0x7b, sizeof r);
    qf_trade *t = (qf_trade *)0x1234;
    size_t n = 77;
    qf_err err;
    cr_assert_eq(qf_binance_parse_order(body, strlen(body), W, &r, &t, &n, &err), want, "%s", body);
    cr_assert(strstr(err.msg, fragment) != NULL, "'%s' lacks '%s'", err.msg, fragment);
    cr_assert(strncmp(err.msg, W, strlen(W)) == 0, "%s", err.msg);
    cr_assert_eq(((unsigned char *)&r)[0], 0x7b);
    cr_assert_eq(((unsigned char *)&r)[sizeof r - 1], 0x7b);
    cr_assert_eq(t, (qf_trade *)0x1234);
    cr_assert_eq(n, 77);
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    cr_assert_not_null(at, "%s", from);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

Test(order_parse, binance_wrong_types_html_truncation_are_named)
{
    struct {
        const char *from, *to, *fragment;
    } cases[] = {
        {"\"executedQty\":\"0.00156000\"", "\"executedQty\":0.00156",
         "field executedQty: expected a decimal string, got a number"},
        {"\"orderId\":4871023", "\"orderId\":\"4871023\"",
         "field orderId: expected an integer, got a string"},
        {"\"status\":\"FILLED\"", "\"status\":\"DONE\"", "field status: unknown status \"DONE\""},
        {"\"side\":\"BUY\"", "\"side\":1", "field side: expected a string"},
        {"\"symbol\":\"BTCUSDT\"", "\"symbol\":\"XYZ\"", "field symbol"},
        {"\"origQty\":\"0.00156000\"", "\"origQty\":\"1e-3\"", "field origQty: \"1e-3\" is not"},
        {"\"origQty\":\"0.00156000\"", "\"origQty\":\" 1\"", "field origQty"},
        {"\"origQty\":\"0.00156000\"", "\"origQty\":\"nan\"", "field origQty"},
        {"\"qty\":\"0.00100000\"", "\"qty\":0.001", "field qty: expected a decimal string"},
        {"\"tradeId\":901", "\"tradeId\":null", "field tradeId is missing"},
        {"\"fills\":[", "\"fills\":{\"a\":[", "not valid JSON"},
        {"\"clientOrderId\":\"qf-7f3a9c21-0001\",", "", "field clientOrderId is missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = replace(FULL, cases[i].from, cases[i].to);
        expect_fail_b(body, QF_EPARSE, cases[i].fragment);
        free(body);
    }
    expect_fail_b("<html><body>502 Bad Gateway</body></html>", QF_EPARSE, "HTML page");
    expect_fail_b("", QF_EPARSE, "empty reply");
    expect_fail_b("[1,2]", QF_EPARSE, "expected an object, got an array");
    /* Every truncation of the documented reply fails cleanly. */
    size_t len = strlen(FULL);
    for (size_t cut = 0; cut < len; cut++) {
        char *body = strndup(FULL, cut);
        qf_order_report r;
        qf_trade *t = NULL;
        size_t n = 0;
        cr_assert_eq(parse_b(body, &r, &t, &n, NULL), QF_EPARSE, "cut at %zu", cut);
        cr_assert_null(t);
        free(body);
    }
}

Test(order_parse, binance_open_orders_trades_account_and_errors)
{
    char list[4096];
    snprintf(list, sizeof list, "[%s,%s]", FULL, FULL);
    qf_order_report *r = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_binance_parse_orders(list, strlen(list), W, &r, &n, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(r[1].venue_order_id, "4871023");
    free(r);
    cr_assert_eq(qf_binance_parse_orders("[]", 2, W, &r, &n, &err), QF_OK);
    cr_assert_eq(n, 0);
    cr_assert_null(r);

    const char *trades =
        "[{\"symbol\":\"BTCUSDT\",\"id\":28457,\"orderId\":100234,\"orderListId\":-1,\"price\":"
        "\"4.00000100\",\"qty\":\"12.00000000\",\"quoteQty\":\"48.000012\",\"commission\":"
        "\"10.10000000\",\"commissionAsset\":\"BNB\",\"time\":1499865549590,\"isBuyer\":true,"
        "\"isMaker\":false,\"isBestMatch\":true},"
        "{\"symbol\":\"BTCUSDT\",\"id\":28458,\"orderId\":999,\"orderListId\":-1,\"price\":"
        "\"4.0\",\"qty\":\"1.0\",\"quoteQty\":\"4.0\",\"commission\":\"0\",\"commissionAsset\":"
        "\"USDT\",\"time\":1499865549591,\"isBuyer\":false,\"isMaker\":true,\"isBestMatch\":true}]";
    qf_trade *t = NULL;
    cr_assert_eq(
        qf_binance_parse_trades(trades, strlen(trades), W, "100234", "qf-x-1", &t, &n, &err), QF_OK,
        "%s", err.msg);
    cr_assert_eq(n, 1, "trades of other orders are skipped");
    cr_assert_str_eq(t[0].trade_id, "28457");
    cr_assert_str_eq(t[0].fee_asset, "BNB");
    cr_assert_float_eq(t[0].fee, 10.1, 1e-12);
    cr_assert_eq(t[0].side, QF_SIDE_BUY);
    cr_assert_not(t[0].maker);
    cr_assert_eq(t[0].time, 1499865549590LL);
    cr_assert_str_eq(t[0].client_id, "qf-x-1");
    free(t);

    const char *acct =
        "{\"makerCommission\":15,\"takerCommission\":15,\"commissionRates\":{\"maker\":"
        "\"0.00150000\",\"taker\":\"0.00150000\",\"buyer\":\"0.00000000\",\"seller\":"
        "\"0.00000000\"},\"canTrade\":true,\"canWithdraw\":false,\"canDeposit\":true,"
        "\"accountType\":\"SPOT\",\"balances\":[{\"asset\":\"BTC\",\"free\":\"4723846.89208129\","
        "\"locked\":\"0.00000000\"},{\"asset\":\"LTC\",\"free\":\"0.00000000\",\"locked\":"
        "\"0.00000000\"},{\"asset\":\"USDT\",\"free\":\"1.5\",\"locked\":\"2.25\"}],"
        "\"permissions\":[\"SPOT\",\"MARGIN\"],\"uid\":354937868}";
    qf_account_info a;
    qf_balance *b = NULL;
    cr_assert_eq(qf_binance_parse_account(acct, strlen(acct), W, &a, &b, &n, &err), QF_OK, "%s",
                 err.msg);
    cr_assert(a.can_trade && !a.can_withdraw && a.can_deposit);
    cr_assert_str_eq(a.permissions, "SPOT,MARGIN");
    cr_assert_float_eq(a.maker_fee, 0.0015, 1e-12);
    cr_assert_eq(n, 2, "zero balances are dropped");
    cr_assert_str_eq(b[1].asset, "USDT");
    cr_assert_float_eq(b[1].locked, 2.25, 1e-12);
    free(b);
    char *bad = replace(acct, "\"canTrade\":true", "\"canTrade\":\"true\"");
    memset(&a, 0x11, sizeof a);
    cr_assert_eq(qf_binance_parse_account(bad, strlen(bad), W, &a, &b, &n, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "field canTrade: expected a boolean") != NULL, "%s", err.msg);
    cr_assert_eq(((unsigned char *)&a)[0], 0x11);
    free(bad);
}

/* ---- Coinbase ---- */

#define C "coinbase GET /api/v3/brokerage/orders/historical"

static const char *CB_ORDER =
    "{\"order\":{\"order_id\":\"0000-1111\",\"product_id\":\"BTC-USD\",\"user_id\":\"u\","
    "\"order_configuration\":{\"limit_limit_gtc\":{\"base_size\":\"0.0015\",\"limit_price\":"
    "\"64000.00\",\"post_only\":false}},\"side\":\"BUY\",\"client_order_id\":\"qf-7f3a9c21-0002\","
    "\"status\":\"OPEN\",\"time_in_force\":\"GOOD_UNTIL_CANCELLED\",\"created_time\":"
    "\"2024-06-10T06:13:20.123Z\",\"completion_percentage\":\"50\",\"filled_size\":\"0.00075\","
    "\"average_filled_price\":\"63990.5\",\"fee\":\"\",\"number_of_fills\":\"2\","
    "\"filled_value\":\"47.992875\",\"pending_cancel\":false,\"size_in_quote\":false,"
    "\"total_fees\":\"0.28\",\"order_type\":\"LIMIT\",\"last_fill_time\":"
    "\"2024-06-10T06:14:00Z\"}}";

Test(order_parse, coinbase_order_partial_is_open_with_filled_size)
{
    qf_order_report r;
    qf_err err;
    cr_assert_eq(qf_coinbase_parse_order(CB_ORDER, strlen(CB_ORDER), C, &r, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_str_eq(r.venue_order_id, "0000-1111");
    cr_assert_str_eq(r.client_id, "qf-7f3a9c21-0002");
    cr_assert_str_eq(r.symbol, "BTC/USD");
    cr_assert_eq(r.status, QF_ORDER_PARTIALLY_FILLED, "OPEN with filled_size > 0");
    cr_assert_eq(r.type, QF_ORDER_LIMIT);
    cr_assert_float_eq(r.quantity, 0.0015, 1e-15);
    cr_assert_float_eq(r.limit_price, 64000.0, 1e-9);
    cr_assert_float_eq(r.filled_qty, 0.00075, 1e-15);
    cr_assert_float_eq(r.avg_fill_price, 63990.5, 1e-9);
    cr_assert_float_eq(r.cum_quote, 47.992875, 1e-9);
    cr_assert_eq(r.update_time, 1717999990000LL + 50000, "last_fill_time 06:14:00Z");

    char *open0 = replace(CB_ORDER, "\"filled_size\":\"0.00075\"", "\"filled_size\":\"0\"");
    cr_assert_eq(qf_coinbase_parse_order(open0, strlen(open0), C, &r, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(r.status, QF_ORDER_OPEN);
    free(open0);
    const char *st[] = {"PENDING", "QUEUED", "FILLED", "CANCELLED", "EXPIRED", "FAILED"};
    qf_order_status want[] = {QF_ORDER_UNCONFIRMED, QF_ORDER_UNCONFIRMED, QF_ORDER_FILLED,
                              QF_ORDER_CANCELLED,   QF_ORDER_EXPIRED,     QF_ORDER_REJECTED};
    for (size_t i = 0; i < 6; i++) {
        qf_order_status s;
        cr_assert(qf_coinbase_status(st[i], 0, &s));
        cr_assert_eq(s, want[i], "%s", st[i]);
    }
}

Test(order_parse, coinbase_wrong_types_and_failures_leave_out_untouched)
{
    struct {
        const char *from, *to, *fragment;
    } cases[] = {
        {"\"filled_size\":\"0.00075\"", "\"filled_size\":0.00075",
         "field filled_size: expected a decimal string, got a number"},
        {"\"product_id\":\"BTC-USD\"", "\"product_id\":\"BTCUSD\"", "field product_id"},
        {"\"status\":\"OPEN\"", "\"status\":\"WEIRD\"", "unknown status"},
        {"\"limit_price\":\"64000.00\"", "\"limit_price\":64000", "field limit_price"},
        {"\"created_time\":\"2024-06-10T06:13:20.123Z\"", "\"created_time\":\"yesterday\"",
         "field created_time"},
        {"\"order\":{", "\"orderx\":{", "field order is missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = replace(CB_ORDER, cases[i].from, cases[i].to);
        qf_order_report r;
        memset(&r, 0x42, sizeof r);
        qf_err err;
        cr_assert_eq(qf_coinbase_parse_order(body, strlen(body), C, &r, &err), QF_EPARSE, "%s",
                     body);
        cr_assert(strstr(err.msg, cases[i].fragment) != NULL, "'%s' lacks '%s'", err.msg,
                  cases[i].fragment);
        cr_assert_eq(((unsigned char *)&r)[0], 0x42);
        free(body);
    }
    size_t len = strlen(CB_ORDER);
    for (size_t cut = 0; cut < len; cut++) {
        char *body = strndup(CB_ORDER, cut);
        qf_order_report r;
        cr_assert_eq(qf_coinbase_parse_order(body, cut, C, &r, NULL), QF_EPARSE);
        free(body);
    }
}

Test(order_parse, coinbase_create_success_and_rejection_with_http_200)
{
    const char *ok = "{\"success\":true,\"failure_reason\":\"UNKNOWN_FAILURE_REASON\",\"order_id\":"
                     "\"abc\",\"success_response\":{\"order_id\":\"abc-123\",\"product_id\":"
                     "\"BTC-USD\",\"side\":\"BUY\",\"client_order_id\":\"qf-1\"},"
                     "\"order_configuration\":{}}";
    char id[64] = "unchanged";
    qf_err err;
    cr_assert_eq(qf_coinbase_parse_create(ok, strlen(ok), C, id, sizeof id, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_str_eq(id, "abc-123");
    const char *no = "{\"success\":false,\"failure_reason\":\"UNKNOWN_FAILURE_REASON\","
                     "\"order_id\":\"\",\"error_response\":{\"error\":\"INSUFFICIENT_FUND\","
                     "\"message\":\"Insufficient balance in source account\","
                     "\"error_details\":\"\",\"preview_failure_reason\":"
                     "\"PREVIEW_INSUFFICIENT_FUND\",\"new_order_failure_reason\":"
                     "\"UNKNOWN_FAILURE_REASON\"}}";
    strcpy(id, "unchanged");
    cr_assert_eq(qf_coinbase_parse_create(no, strlen(no), C, id, sizeof id, &err), QF_EREJECTED);
    cr_assert_str_eq(err.msg,
                     "coinbase PREVIEW_INSUFFICIENT_FUND: Insufficient balance in source account");
    cr_assert_str_eq(id, "unchanged");
    cr_assert_eq(qf_coinbase_parse_create("{\"success\":\"yes\"}", 17, C, id, sizeof id, &err),
                 QF_EPARSE);
    cr_assert(strstr(err.msg, "field success: expected a boolean") != NULL, "%s", err.msg);
}

Test(order_parse, coinbase_lists_fills_accounts_cancel_permissions)
{
    char list[4096];
    const char *inner = strchr(CB_ORDER, ':') + 1;
    snprintf(list, sizeof list,
             "{\"orders\":[%.*s],\"sequence\":\"0\",\"has_next\":true,"
             "\"cursor\":\"next-page\"}",
             (int)(strlen(inner) - 1), inner);
    qf_order_report *r = NULL;
    size_t n = 0;
    bool more = false;
    char cursor[QF_COINBASE_CURSOR_MAX];
    qf_err err;
    cr_assert_eq(qf_coinbase_parse_orders(list, strlen(list), C, &r, &n, &more, cursor,
                                          sizeof cursor, NULL, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert(more);
    cr_assert_str_eq(cursor, "next-page");
    cr_assert_str_eq(r[0].client_id, "qf-7f3a9c21-0002");
    free(r);

    /* A foreign order QuantFlow cannot read (here: a status it does not
     * know) fails a strict parse, and is left out and counted by a lenient
     * one, which still returns ours. */
    char mixed[4608];
    snprintf(mixed, sizeof mixed,
             "{\"orders\":[{\"order_id\":\"f-1\",\"status\":\"BRACKETED\"},%.*s],"
             "\"has_next\":false,\"cursor\":\"\"}",
             (int)(strlen(inner) - 1), inner);
    r = NULL;
    cr_assert_eq(qf_coinbase_parse_orders(mixed, strlen(mixed), C, &r, &n, &more, cursor,
                                          sizeof cursor, NULL, &err),
                 QF_EPARSE);
    size_t skipped = 0;
    cr_assert_eq(qf_coinbase_parse_orders(mixed, strlen(mixed), C, &r, &n, &more, cursor,
                                          sizeof cursor, &skipped, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_eq(skipped, 1);
    cr_assert_str_eq(r[0].client_id, "qf-7f3a9c21-0002");
    free(r);

    const char *fills =
        "{\"fills\":[{\"entry_id\":\"e1\",\"trade_id\":\"t1\",\"order_id\":\"0000-1111\","
        "\"trade_time\":\"2024-06-10T06:14:00Z\",\"trade_type\":\"FILL\",\"price\":\"64000\","
        "\"size\":\"32\",\"commission\":\"0.192\",\"product_id\":\"BTC-USD\",\"liquidity_"
        "indicator\":\"MAKER\",\"size_in_quote\":true,\"user_id\":\"u\",\"side\":\"BUY\"}],"
        "\"cursor\":\"\"}";
    qf_trade *t = NULL;
    cr_assert_eq(qf_coinbase_parse_fills(fills, strlen(fills), C, "qf-1", &t, &n, cursor,
                                         sizeof cursor, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_float_eq(t[0].quantity, 0.0005, 1e-15, "32 USD at 64000 = 0.0005 BTC");
    cr_assert(t[0].maker);
    cr_assert_str_eq(t[0].fee_asset, "USD");
    cr_assert_str_eq(t[0].client_id, "qf-1");
    free(t);

    const char *acc =
        "{\"accounts\":[{\"uuid\":\"a\",\"name\":\"BTC Wallet\",\"currency\":\"BTC\","
        "\"available_balance\":{\"value\":\"1.25\",\"currency\":\"BTC\"},\"hold\":{\"value\":"
        "\"0.5\",\"currency\":\"BTC\"}},{\"uuid\":\"b\",\"currency\":\"ETH\",\"available_balance\":"
        "{\"value\":\"0\",\"currency\":\"ETH\"}}],\"has_next\":false,\"cursor\":\"\",\"size\":2}";
    qf_balance *b = NULL;
    cr_assert_eq(
        qf_coinbase_parse_accounts(acc, strlen(acc), C, &b, &n, &more, cursor, sizeof cursor, &err),
        QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_not(more);
    cr_assert_float_eq(b[0].free, 1.25, 1e-12);
    cr_assert_float_eq(b[0].locked, 0.5, 1e-12);
    free(b);

    const char *cok = "{\"results\":[{\"success\":true,\"failure_reason\":"
                      "\"UNKNOWN_CANCEL_FAILURE_REASON\",\"order_id\":\"0000-1111\"}]}";
    cr_assert_eq(qf_coinbase_parse_cancel(cok, strlen(cok), C, "0000-1111", &err), QF_OK, "%s",
                 err.msg);
    const char *cno = "{\"results\":[{\"success\":false,\"failure_reason\":"
                      "\"UNKNOWN_CANCEL_ORDER\",\"order_id\":\"0000-1111\"}]}";
    cr_assert_eq(qf_coinbase_parse_cancel(cno, strlen(cno), C, "0000-1111", &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "UNKNOWN_CANCEL_ORDER") != NULL, "%s", err.msg);
    cr_assert_eq(qf_coinbase_parse_cancel(cok, strlen(cok), C, "other", &err), QF_EPARSE);

    const char *perm = "{\"can_view\":true,\"can_trade\":true,\"can_transfer\":false,"
                       "\"portfolio_uuid\":\"p\",\"portfolio_type\":\"DEFAULT\"}";
    qf_account_info a;
    cr_assert_eq(qf_coinbase_parse_permissions(perm, strlen(perm), C, &a, &err), QF_OK, "%s",
                 err.msg);
    cr_assert(a.can_trade);
    cr_assert_not(a.can_withdraw);
    cr_assert_str_eq(a.permissions, "view,trade");
}
