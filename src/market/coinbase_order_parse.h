/*
 * coinbase_order_parse.h - pure parsers of Coinbase Advanced Trade's
 * replies (PROTOCOLS.md section 2): order creation, an order, order lists,
 * fills, accounts, batch cancel and key permissions (error bodies:
 * coinbase_parse.h).
 *
 * No I/O. `what` names the request in messages ("coinbase POST
 * /api/v3/brokerage/orders"). Decimal fields are strings; a number there is
 * QF_EPARSE naming the field. On any failure every out-parameter is left
 * untouched. Paged replies give *out_has_next and the cursor for the next
 * page (cursor "" when none).
 */
#ifndef QF_MARKET_COINBASE_ORDER_PARSE_H
#define QF_MARKET_COINBASE_ORDER_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "market/exchange.h"

#define QF_COINBASE_CURSOR_MAX 256

/* POST /orders. Branches on "success" only (rejections come with HTTP 200):
 * true gives the venue's order id; false is QF_EREJECTED with
 * "coinbase <reason>: <message>". */
QF_NODISCARD qf_rc qf_coinbase_parse_create(const char *body, size_t len, const char *what,
                                            char *out_order_id, size_t size, qf_err *err);

/* GET /orders/historical/{id}: {"order": {...}}. */
QF_NODISCARD qf_rc qf_coinbase_parse_order(const char *body, size_t len, const char *what,
                                           qf_order_report *out, qf_err *err);

/* GET /orders/historical/batch: {"orders":[...],"has_next","cursor"}.
 * malloc'd array, caller frees (NULL/0 when empty). With out_skipped NULL
 * an order that does not parse fails the page; otherwise it is left out and
 * counted there (a foreign order of a kind QuantFlow never places must not
 * hide ours), while a malformed envelope still fails. */
QF_NODISCARD qf_rc qf_coinbase_parse_orders(const char *body, size_t len, const char *what,
                                            qf_order_report **out, size_t *out_n,
                                            bool *out_has_next, char *out_cursor,
                                            size_t cursor_size, size_t *out_skipped, qf_err *err);

/* GET /orders/historical/fills: {"fills":[...],"cursor"}; each stamped with
 * client_id. A fill whose size is in quote (size_in_quote) is converted to
 * base at its price. malloc'd, caller frees. */
QF_NODISCARD qf_rc qf_coinbase_parse_fills(const char *body, size_t len, const char *what,
                                           const char *client_id, qf_trade **out, size_t *out_n,
                                           char *out_cursor, size_t cursor_size, qf_err *err);

/* GET /accounts: non-zero balances (available_balance free, hold locked). */
QF_NODISCARD qf_rc qf_coinbase_parse_accounts(const char *body, size_t len, const char *what,
                                              qf_balance **out, size_t *out_n, bool *out_has_next,
                                              char *out_cursor, size_t cursor_size, qf_err *err);

/* POST /orders/batch_cancel for one order: QF_OK when its result says
 * success; QF_ENOTFOUND for UNKNOWN_CANCEL_ORDER / NOT_FOUND style reasons;
 * QF_EREJECTED with the reason otherwise. */
QF_NODISCARD qf_rc qf_coinbase_parse_cancel(const char *body, size_t len, const char *what,
                                            const char *order_id, qf_err *err);

/* GET /key_permissions: can_view, can_trade, can_transfer, portfolio. */
QF_NODISCARD qf_rc qf_coinbase_parse_permissions(const char *body, size_t len, const char *what,
                                                 qf_account_info *out, qf_err *err);

/* Coinbase status with filled_size to QuantFlow's; false when unknown. */
bool qf_coinbase_status(const char *s, double filled_size, qf_order_status *out);

#endif
