/*
 * binance_order_parse.h - pure parsers of Binance Spot's signed replies
 * (PROTOCOLS.md section 1): an order (new order FULL, query, cancel), a
 * list of orders (openOrders), trades (myTrades) and the account (the
 * {"code","msg"} error body is binance_parse.h's).
 *
 * No I/O. `what` names the request in messages ("binance POST
 * /api/v3/order"). Every field is type-checked: a number where a decimal
 * string belongs is QF_EPARSE naming the field; conditional fields
 * (stopPrice, icebergQty, fills, ...) may be absent. On any failure every
 * out-parameter is left untouched.
 */
#ifndef QF_MARKET_BINANCE_ORDER_PARSE_H
#define QF_MARKET_BINANCE_ORDER_PARSE_H

#include <stddef.h>

#include "core/err.h"
#include "market/exchange.h"

/* One order object. A cancel reply's clientOrderId is the cancel's own id:
 * origClientOrderId, when present, is the order's. The FULL reply's fills
 * become trades (malloc'd, caller frees; NULL/0 when none) when out_trades
 * is not NULL. */
QF_NODISCARD qf_rc qf_binance_parse_order(const char *body, size_t len, const char *what,
                                          qf_order_report *out, qf_trade **out_trades,
                                          size_t *out_n_trades, qf_err *err);

/* An array of order objects (openOrders). malloc'd, caller frees. */
QF_NODISCARD qf_rc qf_binance_parse_orders(const char *body, size_t len, const char *what,
                                           qf_order_report **out, size_t *out_n, qf_err *err);

/* myTrades rows of the order `order_id` (others skipped), stamped with
 * client_id. malloc'd, caller frees (NULL/0 when none). */
QF_NODISCARD qf_rc qf_binance_parse_trades(const char *body, size_t len, const char *what,
                                           const char *order_id, const char *client_id,
                                           qf_trade **out, size_t *out_n, qf_err *err);

/* GET /api/v3/account: flags, permissions, fees (commissionRates, else the
 * older makerCommission in bps) and the non-zero balances (malloc'd, caller
 * frees; out_balances may be NULL). */
QF_NODISCARD qf_rc qf_binance_parse_account(const char *body, size_t len, const char *what,
                                            qf_account_info *out_info, qf_balance **out_balances,
                                            size_t *out_n, qf_err *err);

/* Venue status / side / type words to QuantFlow's; false when unknown. */
bool qf_binance_status(const char *s, qf_order_status *out);

#endif
