/*
 * binance.c - the Binance Spot ops table: market data from binance_market.c,
 * execution from binance_trade.c (a NULL slot is QF_EUNSUPPORTED).
 */
#include "market/binance_int.h"
#include "market/binance_trade.h"

const qf_exchange_ops qf_binance_ops = {
    .venue = "binance",
    .server_time = qf_binance_server_time,
    .candles_page = qf_binance_candles_page,
    .ticker = qf_binance_ticker,
    .depth = qf_binance_depth,
    .load_rules = qf_binance_load_rules,
    .submit = qf_binance_submit,
    .cancel = qf_binance_cancel,
    .query = qf_binance_query,
    .open_orders = qf_binance_open_orders,
    .trades = qf_binance_trades,
    .balances = qf_binance_balances,
    .account = qf_binance_account,
};
