/*
 * exchange.h - qf_exchange: one venue's market data and execution behind one
 * handle (Binance Spot, Coinbase; the paper executor lives in exec/).
 *
 * Symbols are always BASE/QUOTE here (core/symbol.h translates them to
 * BTCUSDT / BTC-USDT on the wire). Times are UTC ms; prices and quantities
 * are doubles inside QuantFlow and decimal strings on the wire, formatted
 * from the symbol's tick and step (rules.h), never with %g.
 *
 * Error codes (besides those of http.h):
 *   QF_EPARSE     the venue answered something malformed (truncated JSON, an
 *                 HTML error page, a field of the wrong type); the message
 *                 names the endpoint and the field. Nothing is returned.
 *   QF_EREJECTED  the venue refused the request for good (an order failing a
 *                 filter, insufficient balance, a duplicate client id, a bad
 *                 key); the message carries the venue's code and text.
 *   QF_ENOTFOUND  the venue does not know the order / symbol.
 *   QF_EUNKNOWN   an order placement whose outcome is unknown: query it.
 * On any error the out-parameters are untouched or emptied, never half set.
 */
#ifndef QF_MARKET_EXCHANGE_H
#define QF_MARKET_EXCHANGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/book.h"
#include "core/candles.h"
#include "core/config.h"
#include "core/err.h"
#include "core/types.h"

typedef struct qf_exchange qf_exchange;

#define QF_VENUE_SYMBOL_MAX   32
#define QF_VENUE_ORDER_ID_MAX 64
#define QF_ASSET_MAX          16

/* Trading rules of one symbol (Binance exchangeInfo filters, Coinbase
 * product increments). A value of 0 means "no such rule". */
typedef struct qf_symbol_rules {
    char symbol[QF_SYMBOL_MAX];             /* BTC/USDT */
    char venue_symbol[QF_VENUE_SYMBOL_MAX]; /* BTCUSDT, BTC-USDT */
    char base[QF_ASSET_MAX], quote[QF_ASSET_MAX];
    bool trading;                           /* open for new orders */
    double tick_size, min_price, max_price; /* PRICE_FILTER / price_increment */
    double step_size, min_qty, max_qty;     /* LOT_SIZE / base_increment, base_min/max_size */
    double market_step_size, market_min_qty, market_max_qty; /* MARKET_LOT_SIZE; 0 = as LOT_SIZE */
    double min_notional, max_notional; /* NOTIONAL / MIN_NOTIONAL / quote_min/max_size */
    bool min_notional_market, max_notional_market; /* applyMinToMarket / applyMaxToMarket */
    int64_t fetched_at;                            /* when the venue said so */
} qf_symbol_rules;

typedef struct qf_ticker {
    double bid, bid_qty, ask, ask_qty;
    int64_t time; /* when we received it */
} qf_ticker;

/* An order as sent. quantity and limit_price are already rounded to the
 * rules (rules.h); the adapter formats them from the rules' step and tick.
 *
 * on_send (may be NULL) is called by the adapter immediately before EVERY
 * send of the placement (a re-signed retry after -1021 or a refused JWT
 * included), after the rate-limiter wait and after the request's timestamp
 * or token was taken, so the time it records is never earlier than the one
 * the venue judges the request by. Any code but QF_OK: that request is not
 * sent and submit returns the code (the order manager records sent_at here,
 * and refuses when another process closed the order meanwhile). */
typedef struct qf_order_req {
    char client_id[QF_ORDER_ID_MAX];
    char symbol[QF_SYMBOL_MAX];
    qf_side side;
    qf_order_type type;
    qf_time_in_force tif; /* limit orders */
    double quantity;      /* base, > 0 */
    double limit_price;   /* NaN for market orders */
    qf_rc (*on_send)(void *ctx, qf_err *err);
    void *on_send_ctx;
} qf_order_req;

/* What the venue says about one order. */
typedef struct qf_order_report {
    char client_id[QF_ORDER_ID_MAX];
    char venue_order_id[QF_VENUE_ORDER_ID_MAX];
    char symbol[QF_SYMBOL_MAX];
    qf_side side;
    qf_order_type type;
    qf_order_status status; /* NEW -> OPEN; PARTIALLY_FILLED; FILLED; CANCELED -> CANCELLED;
                             * REJECTED; EXPIRED / EXPIRED_IN_MATCH -> EXPIRED. Coinbase OPEN
                             * with filled_size > 0 -> PARTIALLY_FILLED; PENDING/QUEUED ->
                             * UNCONFIRMED */
    double quantity;        /* ordered, base */
    double filled_qty;      /* executed, base */
    double cum_quote;       /* executed, quote (cummulativeQuoteQty) */
    double avg_fill_price;  /* cum_quote / filled_qty; NaN when nothing filled */
    double limit_price;     /* NaN for market */
    int64_t update_time;
} qf_order_report;

/* One trade of one of our orders. */
typedef struct qf_trade {
    char trade_id[QF_VENUE_ORDER_ID_MAX];
    char client_id[QF_ORDER_ID_MAX];
    char venue_order_id[QF_VENUE_ORDER_ID_MAX];
    char symbol[QF_SYMBOL_MAX];
    qf_side side;
    double quantity; /* base, > 0 */
    double price;
    double fee;
    char fee_asset[QF_ASSET_MAX];
    bool maker;
    int64_t time;
} qf_trade;

typedef struct qf_balance {
    char asset[QF_ASSET_MAX];
    double free, locked;
} qf_balance;

typedef struct qf_account_info {
    bool can_trade, can_withdraw, can_deposit;
    char permissions[128];       /* e.g. "SPOT" or the venue's scopes, comma-separated */
    double maker_fee, taker_fee; /* fractions; NaN when the venue does not say */
} qf_account_info;

/* Opens the adapter for `venue` ("binance" or "coinbase") from the config's
 * exchanges.<venue> section: base_url, rate_limit_rpm, api_key/api_secret
 * (may be empty: public endpoints only; signed calls then fail with
 * QF_ECONFIG naming the missing key). The adapter never logs a secret. */
QF_NODISCARD qf_rc qf_exchange_open(const qf_config *cfg, const char *venue, qf_exchange **out,
                                    qf_err *err);
void qf_exchange_close(qf_exchange *ex);
const char *qf_exchange_venue(const qf_exchange *ex);
/* A flag (set by a SIGINT handler, say) that makes a call waiting for the
 * rate limit give up with QF_EINTR instead of sleeping out the window;
 * NULL clears it. Borrowed: it must outlive the handle or be cleared. */
void qf_exchange_set_stop(qf_exchange *ex, const volatile sig_atomic_t *stop);

/* ---- market data ---- */

/* Venue clock in ms; also refreshes the clock offset used by signed calls. */
QF_NODISCARD qf_rc qf_exchange_server_time(qf_exchange *ex, int64_t *out_ms, qf_err *err);
/* Learns the clock offset (server_time) unless it is known already: done
 * before an order is persisted, so a slow time call never sits between the
 * pending row and its send. */
QF_NODISCARD qf_rc qf_exchange_sync_clock(qf_exchange *ex, qf_err *err);

/* One page of CLOSED candles of `symbol`/`timeframe` with open_time >=
 * start_ms, ascending, deduplicated, at most one request's worth (Binance
 * 1000 rows; Coinbase 300 buckets, 4h built from 1h). The bar still forming
 * at the venue's "now" is never returned. *out_next is the open_time to ask
 * for next; *out_done is true once the page reached the newest closed bar.
 * Missing intervals (exchange outages) are simply absent. `out` is replaced. */
QF_NODISCARD qf_rc qf_exchange_candles_page(qf_exchange *ex, const char *symbol,
                                            const char *timeframe, int64_t start_ms,
                                            qf_candles *out, int64_t *out_next, bool *out_done,
                                            qf_err *err);

QF_NODISCARD qf_rc qf_exchange_ticker(qf_exchange *ex, const char *symbol, qf_ticker *out,
                                      qf_err *err);
/* Order book snapshot, up to `limit` levels per side (out->time = receipt).
 * The levels belong to ex and stay valid until the next depth call or close. */
QF_NODISCARD qf_rc qf_exchange_depth(qf_exchange *ex, const char *symbol, int limit, qf_book *out,
                                     qf_err *err);
/* Symbol rules, from a cache refreshed after 10 minutes (or on force). An
 * unknown symbol is QF_ENOTFOUND. */
QF_NODISCARD qf_rc qf_exchange_rules(qf_exchange *ex, const char *symbol, bool force_refresh,
                                     qf_symbol_rules *out, qf_err *err);

/* ---- execution (signed) ---- */

/* Places the order once (never retried). QF_OK: *out is the venue's answer
 * (status may already be FILLED), and *out_trades (may be NULL) gets the
 * fills the reply carried (malloc'd, caller frees; NULL/0 when none).
 * QF_EUNKNOWN: no trustworthy answer (timeout, 5xx, dropped or garbled
 * acknowledgement): query by client id. QF_EREJECTED: refused for good. */
QF_NODISCARD qf_rc qf_exchange_submit(qf_exchange *ex, const qf_order_req *req,
                                      qf_order_report *out, qf_trade **out_trades,
                                      size_t *out_n_trades, qf_err *err);
/* Cancels by client id; *out is the order after the cancel. An order
 * already closed is QF_ENOTFOUND / QF_EREJECTED with the venue's text. */
QF_NODISCARD qf_rc qf_exchange_cancel(qf_exchange *ex, const char *symbol, const char *client_id,
                                      qf_order_report *out, qf_err *err);
/* Looks an order up by client id; QF_ENOTFOUND when the venue does not know
 * it (which, right after a submit, does NOT mean it will not appear). */
QF_NODISCARD qf_rc qf_exchange_query(qf_exchange *ex, const char *symbol, const char *client_id,
                                     qf_order_report *out, qf_err *err);
/* Open orders of one symbol (NULL: all). malloc'd array, caller frees. */
QF_NODISCARD qf_rc qf_exchange_open_orders(qf_exchange *ex, const char *symbol,
                                           qf_order_report **out, size_t *out_n, qf_err *err);
/* The trades of one order. malloc'd array, caller frees. */
QF_NODISCARD qf_rc qf_exchange_trades(qf_exchange *ex, const char *symbol, const char *client_id,
                                      qf_trade **out, size_t *out_n, qf_err *err);
/* Non-zero balances. malloc'd array, caller frees. */
QF_NODISCARD qf_rc qf_exchange_balances(qf_exchange *ex, qf_balance **out, size_t *out_n,
                                        qf_err *err);
/* The signed account call `quantflow exchange test` makes. */
QF_NODISCARD qf_rc qf_exchange_account(qf_exchange *ex, qf_account_info *out, qf_err *err);

#endif
