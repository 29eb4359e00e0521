/*
 * coinbase_int.h - what the Coinbase adapter's files share (coinbase.c holds
 * the ops table; coinbase_market.c the public Advanced Trade endpoints).
 * Private to src/market/.
 */
#ifndef QF_MARKET_COINBASE_INT_H
#define QF_MARKET_COINBASE_INT_H

#include "market/exchange_int.h"

/* Turns a non-2xx Coinbase answer into an error naming the endpoint: 404 or
 * NOT_FOUND -> QF_ENOTFOUND; other 4xx -> QF_EREJECTED with the body's
 * error/message (or "HTTP 401" for a plain-text body). QF_OK for 2xx. */
QF_NODISCARD qf_rc qf_coinbase_check_status(const qf_http_resp *resp, const char *endpoint,
                                            qf_err *err);

qf_rc qf_coinbase_server_time(qf_exchange *ex, int64_t *out_ms, qf_err *err);
qf_rc qf_coinbase_candles_page(qf_exchange *ex, const char *symbol, const char *timeframe,
                               int64_t start_ms, qf_candles *out, int64_t *out_next, bool *out_done,
                               qf_err *err);
qf_rc qf_coinbase_ticker(qf_exchange *ex, const char *symbol, qf_ticker *out, qf_err *err);
qf_rc qf_coinbase_depth(qf_exchange *ex, const char *symbol, int limit, qf_book *out, qf_err *err);
qf_rc qf_coinbase_load_rules(qf_exchange *ex, qf_err *err);

#endif
