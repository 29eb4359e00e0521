/*
 * exchange_int.h - what the venue adapters share behind qf_exchange: the
 * handle's layout and the per-venue operation table. Not a public header:
 * only src/market/ includes it.
 *
 * Market data (binance_market.c, coinbase_market.c) and execution
 * (binance_trade.c, coinbase_trade.c) fill separate slots of one ops table
 * per venue (binance.c, coinbase.c); a NULL slot makes the public call fail
 * with QF_EUNSUPPORTED.
 */
#ifndef QF_MARKET_EXCHANGE_INT_H
#define QF_MARKET_EXCHANGE_INT_H

#include "market/exchange.h"
#include "market/http.h"
#include "market/ratelimit.h"

typedef struct qf_exchange_ops {
    const char *venue;
    qf_rc (*server_time)(qf_exchange *ex, int64_t *out_ms, qf_err *err);
    qf_rc (*candles_page)(qf_exchange *ex, const char *symbol, const char *timeframe,
                          int64_t start_ms, qf_candles *out, int64_t *out_next, bool *out_done,
                          qf_err *err);
    qf_rc (*ticker)(qf_exchange *ex, const char *symbol, qf_ticker *out, qf_err *err);
    qf_rc (*depth)(qf_exchange *ex, const char *symbol, int limit, qf_book *out, qf_err *err);
    /* Fetches every symbol's rules into ex->rules (the cache logic is shared). */
    qf_rc (*load_rules)(qf_exchange *ex, qf_err *err);

    qf_rc (*submit)(qf_exchange *ex, const qf_order_req *req, qf_order_report *out,
                    qf_trade **out_trades, size_t *out_n_trades, qf_err *err);
    qf_rc (*cancel)(qf_exchange *ex, const char *symbol, const char *client_id,
                    qf_order_report *out, qf_err *err);
    qf_rc (*query)(qf_exchange *ex, const char *symbol, const char *client_id, qf_order_report *out,
                   qf_err *err);
    qf_rc (*open_orders)(qf_exchange *ex, const char *symbol, qf_order_report **out, size_t *out_n,
                         qf_err *err);
    qf_rc (*trades)(qf_exchange *ex, const char *symbol, const char *client_id, qf_trade **out,
                    size_t *out_n, qf_err *err);
    qf_rc (*balances)(qf_exchange *ex, qf_balance **out, size_t *out_n, qf_err *err);
    qf_rc (*account)(qf_exchange *ex, qf_account_info *out, qf_err *err);
} qf_exchange_ops;

struct qf_exchange {
    const qf_exchange_ops *ops;
    char base_url[QF_CONFIG_STR_MAX];   /* no trailing slash */
    char api_key[QF_CONFIG_STR_MAX];    /* secret: never logged */
    char api_secret[QF_CONFIG_STR_MAX]; /* secret: never logged */
    qf_http *http;
    qf_ratelimit *limiter;
    int64_t clock_offset_ms; /* venue clock - local clock, from server_time */
    bool clock_synced;
    int recv_window_ms;     /* Binance recvWindow, 5000 */
    qf_symbol_rules *rules; /* cache, every symbol of the venue */
    size_t n_rules;
    int64_t rules_loaded_at; /* local ms; 0 = never */
    void *venue_state;       /* adapter-private, freed by venue_free */
    void (*venue_free)(void *state);
    qf_book_level *book_levels; /* qf_exchange_depth's levels, valid until the next call */
    size_t book_cap;
};

/* Venue clock now: local wall clock + clock_offset_ms (0 until synced). */
int64_t qf_exchange_venue_now(const qf_exchange *ex);

/* GET base_url + path_query (idempotent: retried per http.h) charging
 * `weight`. QF_OK whatever the status: the caller reads resp->status. */
QF_NODISCARD qf_rc qf_exchange_get(qf_exchange *ex, const char *path_query, int weight,
                                   qf_http_resp *resp, qf_err *err);

/* Records a server time: sets clock_offset_ms (venue - local, using the
 * middle of the request's round trip) and shares it with the limiter. */
void qf_exchange_note_server_time(qf_exchange *ex, int64_t server_ms, int64_t sent_at_ms,
                                  int64_t received_at_ms);

extern const qf_exchange_ops qf_binance_ops;
extern const qf_exchange_ops qf_coinbase_ops;

#endif
