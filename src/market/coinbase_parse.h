/*
 * coinbase_parse.h - Coinbase Advanced Trade REST bodies to QuantFlow
 * structs, pure: text in, structs out. Every failure is QF_EPARSE naming the
 * field (and row) and leaves the outputs untouched; the caller prefixes the
 * endpoint.
 */
#ifndef QF_MARKET_COINBASE_PARSE_H
#define QF_MARKET_COINBASE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/book.h"
#include "core/candles.h"
#include "core/err.h"
#include "market/exchange.h"

/* {"candles":[{"start":"1717984800","low":"…","high":"…","open":"…",
 * "close":"…","volume":"…"}, …]}: every field a string, start in Unix
 * seconds, rows newest first. Returned ascending by open_time (ms) with
 * identical duplicates dropped; two different rows for one start are an
 * error. Optional Binance fields are NaN / -1. `out` is replaced. */
QF_NODISCARD qf_rc qf_coinbase_parse_candles(const char *body, size_t len, qf_candles *out,
                                             qf_err *err);

/* GET /api/v3/brokerage/time: {"iso","epochSeconds","epochMillis"} (strings). */
QF_NODISCARD qf_rc qf_coinbase_parse_time(const char *body, size_t len, int64_t *out_ms,
                                          qf_err *err);

/* GET /api/v3/brokerage/market/products ({"products":[…]}) or one product
 * object: rules for every product QuantFlow can spell, in a malloc'd array
 * (caller frees). price_increment -> tick, base_increment -> step,
 * base_min/max_size -> min/max qty, quote_min/max_size -> notional;
 * trading = status "online" and neither trading_disabled nor cancel_only. */
QF_NODISCARD qf_rc qf_coinbase_parse_products(const char *body, size_t len, int64_t fetched_at,
                                              qf_symbol_rules **out, size_t *out_n, qf_err *err);

/* GET …/market/products/{id}/ticker: best_bid / best_ask (strings). The
 * quantities are not in this reply: NaN. */
QF_NODISCARD qf_rc qf_coinbase_parse_ticker(const char *body, size_t len, qf_ticker *out,
                                            qf_err *err);

/* GET …/market/product_book?product_id=…&limit=N:
 * {"pricebook":{"product_id","bids":[{"price","size"}, …],"asks":[…],
 * "time":"RFC 3339"}, …}, every price and size a decimal string. The levels
 * go into one malloc'd array (bids best first, then asks best first; caller
 * frees) that must pass qf_book_check: bids strictly falling, asks strictly
 * rising, not crossed, at most QF_BOOK_LEVELS_MAX a side. *out_product gets
 * pricebook.product_id (product_size bytes), *out_time pricebook.time (ms). */
QF_NODISCARD qf_rc qf_coinbase_parse_book(const char *body, size_t len, char *out_product,
                                          size_t product_size, int64_t *out_time,
                                          qf_book_level **out_levels, size_t *out_n_bids,
                                          size_t *out_n_asks, qf_err *err);

/* An error body: {"message": …} (Exchange API), {"error": …, "message": …,
 * "error_details": …} (Advanced Trade) or plain text ("Unauthorized"). QF_OK
 * with a printable one-line summary in msg; *out_not_found when the error is
 * NOT_FOUND. QF_EPARSE when the body says nothing usable (empty, HTML). */
QF_NODISCARD qf_rc qf_coinbase_parse_error(const char *body, size_t len, char *msg, size_t msg_size,
                                           bool *out_not_found, qf_err *err);

#endif
