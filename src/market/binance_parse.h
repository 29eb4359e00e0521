/*
 * binance_parse.h - Binance Spot REST responses to QuantFlow structs, pure:
 * text in, structs out. Every failure is QF_EPARSE naming the field (and row)
 * and leaves the outputs untouched; the caller prefixes the endpoint.
 */
#ifndef QF_MARKET_BINANCE_PARSE_H
#define QF_MARKET_BINANCE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/book.h"
#include "core/candles.h"
#include "core/err.h"
#include "market/exchange.h"

/* GET /api/v3/klines: an array of 12-element rows [openTime, "o", "h", "l",
 * "c", "v", closeTime, "qv", trades, "tbb", "tbq", "0"]; ids and times are
 * integers, the rest decimal strings. Rows must rise strictly in open time,
 * have closeTime = openTime + interval_ms - 1 (when interval_ms > 0) and
 * low <= open, close <= high. `out` is replaced. */
QF_NODISCARD qf_rc qf_binance_parse_klines(const char *body, size_t len, int64_t interval_ms,
                                           qf_candles *out, qf_err *err);

/* GET /api/v3/time: {"serverTime": ms}. */
QF_NODISCARD qf_rc qf_binance_parse_time(const char *body, size_t len, int64_t *out_ms,
                                         qf_err *err);

/* GET /api/v3/exchangeInfo: every symbol whose quote asset QuantFlow can
 * spell (core/symbol.h) into a malloc'd array (caller frees), and the
 * REQUEST_WEIGHT limit per minute (-1 when absent). fetched_at is stamped
 * on each rule. */
QF_NODISCARD qf_rc qf_binance_parse_exchange_info(const char *body, size_t len, int64_t fetched_at,
                                                  qf_symbol_rules **out, size_t *out_n,
                                                  int *out_weight_limit, qf_err *err);

/* GET /api/v3/ticker/bookTicker?symbol=S (one object). */
QF_NODISCARD qf_rc qf_binance_parse_book_ticker(const char *body, size_t len, qf_ticker *out,
                                                qf_err *err);

/* GET /api/v3/depth: bids and asks as [["price","qty"], ...] into one
 * malloc'd array (bids first, then asks; caller frees). */
QF_NODISCARD qf_rc qf_binance_parse_depth(const char *body, size_t len, qf_book_level **out_levels,
                                          size_t *out_n_bids, size_t *out_n_asks, qf_err *err);

/* The error body {"code": -1121, "msg": "Invalid symbol."}: QF_OK and the
 * fields when body is one, QF_EPARSE otherwise. msg is truncated to fit. */
QF_NODISCARD qf_rc qf_binance_parse_error(const char *body, size_t len, int *out_code, char *msg,
                                          size_t msg_size, qf_err *err);

#endif
