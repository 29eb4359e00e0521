/*
 * binance_int.h - what the Binance adapter's files share (binance.c holds the
 * ops table; binance_market.c the public endpoints). Private to src/market/.
 */
#ifndef QF_MARKET_BINANCE_INT_H
#define QF_MARKET_BINANCE_INT_H

#include "market/exchange_int.h"

/* Turns a non-2xx Binance answer into an error naming the endpoint:
 * -1121 / HTTP 404 -> QF_ENOTFOUND, other 4xx with {"code","msg"} ->
 * QF_EREJECTED "(-1013 Filter failure: LOT_SIZE)", a body that is not a
 * Binance error (an HTML page) -> QF_EREJECTED naming the status. QF_OK for
 * 2xx. `endpoint` is "GET /api/v3/klines" (never a query string). */
QF_NODISCARD qf_rc qf_binance_check_status(const qf_http_resp *resp, const char *endpoint,
                                           qf_err *err);

qf_rc qf_binance_server_time(qf_exchange *ex, int64_t *out_ms, qf_err *err);
qf_rc qf_binance_candles_page(qf_exchange *ex, const char *symbol, const char *timeframe,
                              int64_t start_ms, qf_candles *out, int64_t *out_next, bool *out_done,
                              qf_err *err);
qf_rc qf_binance_ticker(qf_exchange *ex, const char *symbol, qf_ticker *out, qf_err *err);
qf_rc qf_binance_depth(qf_exchange *ex, const char *symbol, int limit, qf_book *out, qf_err *err);
qf_rc qf_binance_load_rules(qf_exchange *ex, qf_err *err);

#endif
