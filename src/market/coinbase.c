/*
 * coinbase.c - the Coinbase Advanced Trade ops table: market data from
 * coinbase_market.c, execution from coinbase_trade.c (a NULL slot is
 * QF_EUNSUPPORTED).
 */
#include "market/coinbase_int.h"

const qf_exchange_ops qf_coinbase_ops = {
    .venue = "coinbase",
    .server_time = qf_coinbase_server_time,
    .candles_page = qf_coinbase_candles_page,
    .ticker = qf_coinbase_ticker,
    .load_rules = qf_coinbase_load_rules,
};
