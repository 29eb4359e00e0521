/*
 * coinbase.c - the Coinbase Advanced Trade ops table: market data from
 * coinbase_market.c, execution from coinbase_trade.c (a NULL slot is
 * QF_EUNSUPPORTED).
 */
#include "market/coinbase_int.h"
#include "market/coinbase_trade.h"

const qf_exchange_ops qf_coinbase_ops = {
    .venue = "coinbase",
    .server_time = qf_coinbase_server_time,
    .candles_page = qf_coinbase_candles_page,
    .ticker = qf_coinbase_ticker,
    .depth = qf_coinbase_depth,
    .load_rules = qf_coinbase_load_rules,
    .submit = qf_coinbase_submit,
    .cancel = qf_coinbase_cancel,
    .query = qf_coinbase_query,
    .open_orders = qf_coinbase_open_orders,
    .trades = qf_coinbase_trades,
    .balances = qf_coinbase_balances,
    .account = qf_coinbase_account,
};
