/*
 * fuzz_order_response.c - libFuzzer target for the venues' order replies:
 * every Binance (order, orders, myTrades, account) and Coinbase (create,
 * order, list, fills, accounts, cancel, key permissions) parser gets the
 * same bytes. A parser must either succeed with sane values or fail with a
 * message, never crash, leak or read out of bounds.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "market/binance_order_parse.h"
#include "market/coinbase_order_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_report(const qf_order_report *r)
{
    /* Strings the parsers hand over are always terminated. */
    if (memchr(r->client_id, '\0', sizeof r->client_id) == NULL ||
        memchr(r->venue_order_id, '\0', sizeof r->venue_order_id) == NULL ||
        memchr(r->symbol, '\0', sizeof r->symbol) == NULL)
        abort();
}

static void binance(const char *p, size_t n)
{
    qf_err err;
    qf_order_report r;
    qf_trade *t = NULL;
    size_t k = 0;
    if (qf_binance_parse_order(p, n, "fuzz", &r, &t, &k, &err) == QF_OK) {
        check_report(&r);
        if ((k == 0) != (t == NULL))
            abort();
        free(t);
    }
    qf_order_report *rs = NULL;
    if (qf_binance_parse_orders(p, n, "fuzz", &rs, &k, &err) == QF_OK)
        free(rs);
    if (qf_binance_parse_trades(p, n, "fuzz", "1", "c", &t, &k, &err) == QF_OK)
        free(t);
    qf_account_info a;
    qf_balance *b = NULL;
    if (qf_binance_parse_account(p, n, "fuzz", &a, &b, &k, &err) == QF_OK)
        free(b);
}

static void coinbase(const char *p, size_t n)
{
    qf_err err;
    char id[QF_VENUE_ORDER_ID_MAX];
    char cursor[QF_COINBASE_CURSOR_MAX];
    bool more = false;
    size_t k = 0;
    (void)qf_coinbase_parse_create(p, n, "fuzz", id, sizeof id, &err);
    qf_order_report r;
    if (qf_coinbase_parse_order(p, n, "fuzz", &r, &err) == QF_OK)
        check_report(&r);
    qf_order_report *rs = NULL;
    if (qf_coinbase_parse_orders(p, n, "fuzz", &rs, &k, &more, cursor, sizeof cursor, NULL, &err) ==
        QF_OK)
        free(rs);
    size_t skipped = 0;
    rs = NULL;
    if (qf_coinbase_parse_orders(p, n, "fuzz", &rs, &k, &more, cursor, sizeof cursor, &skipped,
                                 &err) == QF_OK)
        free(rs);
    qf_trade *t = NULL;
    if (qf_coinbase_parse_fills(p, n, "fuzz", "c", &t, &k, cursor, sizeof cursor, &err) == QF_OK)
        free(t);
    qf_balance *b = NULL;
    if (qf_coinbase_parse_accounts(p, n, "fuzz", &b, &k, &more, cursor, sizeof cursor, &err) ==
        QF_OK)
        free(b);
    (void)qf_coinbase_parse_cancel(p, n, "fuzz", "0000-1111", &err);
    qf_account_info a;
    (void)qf_coinbase_parse_permissions(p, n, "fuzz", &a, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The parsers read exactly n bytes (jansson's json_loadb): no NUL needed. */
    const char *p = (const char *)data;
    binance(p, size);
    coinbase(p, size);
    return 0;
}
