/*
 * coinbase_trade.h - Coinbase Advanced Trade's execution slots
 * (coinbase_trade.c), for the ops table in coinbase.c. Private to
 * src/market/; the contracts are those of the matching qf_exchange_* calls
 * in exchange.h.
 */
#ifndef QF_MARKET_COINBASE_TRADE_H
#define QF_MARKET_COINBASE_TRADE_H

#include "market/exchange_int.h"

qf_rc qf_coinbase_submit(qf_exchange *ex, const qf_order_req *req, qf_order_report *out,
                         qf_trade **out_trades, size_t *out_n_trades, qf_err *err);
qf_rc qf_coinbase_cancel(qf_exchange *ex, const char *symbol, const char *client_id,
                         qf_order_report *out, qf_err *err);
qf_rc qf_coinbase_query(qf_exchange *ex, const char *symbol, const char *client_id,
                        qf_order_report *out, qf_err *err);
qf_rc qf_coinbase_open_orders(qf_exchange *ex, const char *symbol, qf_order_report **out,
                              size_t *out_n, qf_err *err);
qf_rc qf_coinbase_trades(qf_exchange *ex, const char *symbol, const char *client_id, qf_trade **out,
                         size_t *out_n, qf_err *err);
qf_rc qf_coinbase_balances(qf_exchange *ex, qf_balance **out, size_t *out_n, qf_err *err);
qf_rc qf_coinbase_account(qf_exchange *ex, qf_account_info *out, qf_err *err);

#endif
