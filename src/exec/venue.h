/*
 * venue.h - qf_venue: the one interface the order manager trades through,
 * for paper (exec/paper.h) and live (market/exchange.h) alike: rules,
 * ticker, submit (market; limit GTC/IOC/FOK), cancel, query by client order
 * id, open orders, trades of an order, balances.
 *
 * Every operation has the meaning and error codes of the qf_exchange_*
 * function of the same name (exchange.h): notably submit returns
 * QF_EUNKNOWN when the outcome is unknown, and query QF_ENOTFOUND when the
 * venue does not know the client id (which right after a submit does NOT
 * mean it will not appear).
 */
#ifndef QF_EXEC_VENUE_H
#define QF_EXEC_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "market/exchange.h"

typedef struct qf_venue_ops {
    qf_rc (*rules)(void *ctx, const char *symbol, qf_symbol_rules *out, qf_err *err);
    qf_rc (*ticker)(void *ctx, const char *symbol, qf_ticker *out, qf_err *err);
    qf_rc (*submit)(void *ctx, const qf_order_req *req, qf_order_report *out, qf_trade **out_trades,
                    size_t *out_n_trades, qf_err *err);
    qf_rc (*cancel)(void *ctx, const char *symbol, const char *client_id, qf_order_report *out,
                    qf_err *err);
    qf_rc (*query)(void *ctx, const char *symbol, const char *client_id, qf_order_report *out,
                   qf_err *err);
    qf_rc (*open_orders)(void *ctx, const char *symbol, qf_order_report **out, size_t *out_n,
                         qf_err *err);
    qf_rc (*trades)(void *ctx, const char *symbol, const char *client_id, qf_trade **out,
                    size_t *out_n, qf_err *err);
    qf_rc (*balances)(void *ctx, qf_balance **out, size_t *out_n, qf_err *err);
    /* Makes the venue ready to sign (learns its clock once); NULL: nothing
     * to do (paper). Called before an order is persisted. */
    qf_rc (*sync_clock)(void *ctx, qf_err *err);
} qf_venue_ops;

typedef struct qf_venue {
    const qf_venue_ops *ops;
    void *ctx;                      /* borrowed: the qf_exchange or qf_paper */
    char exchange[QF_EXCHANGE_MAX]; /* stored with each order: "binance", "coinbase" */
    char account[16];               /* "live" or "paper" */
    /* How long after its LAST send (orders.sent_at, recorded through
     * qf_order_req.on_send immediately before every send) an order the venue
     * does not know may still appear there. Binance refuses a request older
     * than recvWindow (5 s) by its signed timestamp; a Coinbase JWT expires
     * after 120 s: past that (plus a margin for clock error) an unknown
     * order was never placed. Paper knows at once: 0. */
    int64_t unknown_grace_ms;
} qf_venue;

/* The live venue of an open adapter (borrowed; it must outlive the venue). */
qf_venue qf_venue_live(qf_exchange *ex);

/* The grace for a venue name: 6000 ms for binance (recvWindow + 1 s),
 * 125000 ms for coinbase (JWT lifetime + 5 s), 0 otherwise. */
int64_t qf_venue_default_grace_ms(const char *exchange);

#endif
