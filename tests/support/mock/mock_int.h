/*
 * mock_int.h - the mock exchange's state, shared by its files (not public).
 *
 * Money is exact: prices, quantities and balances are int64 counts of 1e-8
 * (Binance's 8 decimals), "units" below. One mutex (qf_mock.mu) guards all
 * state; handlers run with it held, replies are sent after it is released.
 */
#ifndef QF_TESTS_MOCK_INT_H
#define QF_TESTS_MOCK_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mock/mock_exchange.h"

typedef int64_t mock_u; /* 1e-8 units */
#define MOCK_UNIT 100000000LL

__extension__ typedef __int128 mock_i128;

/* ---- data ---- */

typedef struct mock_bar {
    int64_t open_time;    /* ms */
    mock_u o, h, l, c, v; /* as written in the CSV */
} mock_bar;

typedef struct mock_series {
    int64_t interval_ms;
    mock_bar *bars; /* ascending open_time, gaps where the data has outages */
    size_t n;
} mock_series;

typedef struct mock_symbol {
    char name[16];    /* BTCUSDT */
    char base[8];     /* BTC */
    char quote[8];    /* USDT */
    char product[16]; /* BTC-USDT (Coinbase) */
    mock_u tick, min_price, max_price;
    mock_u step, min_qty, max_qty;
    mock_u min_notional, max_notional;
    mock_series series[2]; /* [0] finest (1h or 4h), [1] 4h when [0] is 1h, else empty */
} mock_symbol;

#define MOCK_NSYM 3

/* ---- orders ---- */

typedef enum {
    MO_NEW,
    MO_PARTIALLY_FILLED,
    MO_FILLED,
    MO_CANCELED,
    MO_EXPIRED,
    MO_REJECTED
} mock_ostatus;

typedef enum { MO_GTC, MO_IOC, MO_FOK } mock_tif;

typedef struct mock_order {
    int64_t id;         /* Binance orderId */
    char uuid[40];      /* Coinbase order_id */
    char client_id[40]; /* newClientOrderId / client_order_id */
    bool coinbase;      /* placed through Advanced Trade */
    int sym;            /* index into qf_mock.syms */
    bool buy, market;
    mock_tif tif;
    mock_u price;      /* limit price; 0 for market */
    mock_u orig_qty;   /* base; 0 for a market order by quote */
    mock_u orig_quote; /* quoteOrderQty / quote_size; 0 otherwise */
    mock_u exec_qty, cum_quote;
    mock_u fees;   /* total commission (Coinbase total_fees, quote) */
    mock_u locked; /* still locked for the resting part (quote for buys, base for sells) */
    mock_ostatus status;
    int64_t time, update_time;
} mock_order;

typedef struct mock_trade {
    int64_t id;
    size_t order; /* index into qf_mock.orders */
    mock_u price, qty, quote, commission;
    char commission_asset[8];
    bool maker;
    int64_t time;
} mock_trade;

typedef struct mock_balance {
    char asset[8];
    mock_u free, locked;
} mock_balance;

typedef struct mock_fault {
    char prefix[128]; /* "" = any path */
    qf_mock_fault_kind kind;
    int count;
    long param;
} mock_fault;

#define MOCK_MAX_FAULTS   32
#define MOCK_MAX_BALANCES 16

struct qf_mock {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled on release and stop (held and slow replies wait on it) */
    struct MHD_Daemon *daemon;
    int port;
    char url[64];
    bool stopping;
    unsigned release_gen; /* bumped by qf_mock_release */

    /* clock */
    int64_t start_ms, wall0_ms, advanced_ms, skew_ms;
    bool frozen;
    int64_t matched_to; /* resting orders have been matched up to this mock time */

    /* options */
    int weight_limit;
    int ban_after_429s;
    long ban_seconds, retry_after_429_s;

    /* Binance weight: the window is the mock-clock minute, or ends early at
     * a 429's Retry-After (so a client that waits as told starts afresh). */
    int64_t w_window_start, w_window_end;
    long w_used;
    int64_t w_backoff_until; /* a 429 told the client to wait until then */
    int w_strikes;           /* 429s answered while the client should have waited */
    int64_t ban_until;
    /* ORDERS limiter windows (10 s and 1 day of mock time) */
    int64_t oc10_start, oc1d_start;
    long oc10, oc1d;

    mock_symbol syms[MOCK_NSYM];
    mock_balance bal[MOCK_MAX_BALANCES];
    int nbal;

    mock_order *orders;
    size_t norders, cap_orders;
    mock_trade *trades;
    size_t ntrades, cap_trades;
    int64_t next_order_id, next_trade_id;
    long update_id;

    mock_fault faults[MOCK_MAX_FAULTS];
    int nfaults;
    int query_unknown; /* order lookups still to answer "unknown" */

    qf_mock_stats stats;

    /* Coinbase JWT verification keys (derived from the test keys) */
    void *cb_es256_pkey, *cb_ed25519_pkey; /* EVP_PKEY * */
};

/* ---- requests and replies ---- */

#define MOCK_MAX_PARAMS 64

typedef struct mock_param {
    char *name, *value; /* percent-decoded */
} mock_param;

typedef struct mock_req {
    const char *method;
    const char *path;
    const char *query; /* raw, as sent, without '?'; "" when none */
    const char *body;  /* raw, NUL-terminated */
    size_t body_len;
    const char *host, *apikey, *auth, *ctype; /* headers, NULL when absent */
    mock_param params[MOCK_MAX_PARAMS];       /* query string first (it wins), then a form body */
    int nparams;
    bool params_overflow;
    bool lookup_unknown; /* a QUERY_UNKNOWN fault: answer "order does not exist" */
} mock_req;

#define MOCK_MAX_HEADERS 6

typedef struct mock_resp {
    int status;
    char *body; /* malloc'd */
    const char *ctype;
    char hname[MOCK_MAX_HEADERS][40];
    char hval[MOCK_MAX_HEADERS][64];
    int nheaders;
    bool is_order; /* an order placement (ACK faults describe its acceptance) */
} mock_resp;

/* ---- helpers (mock_util.c) ---- */

void resp_header(mock_resp *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes the reference to j. */
void resp_json(mock_resp *r, int status, json_t *j);
void resp_text(mock_resp *r, int status, const char *ctype, const char *text);
/* Binance error {"code":code,"msg":msg} */
void resp_binance_err(mock_resp *r, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Coinbase error {"error":err,"error_details":msg,"message":msg} */
void resp_coinbase_err(mock_resp *r, int status, const char *error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

const char *req_param(const mock_req *r, const char *name);
/* Units from a decimal string "123.45" (^[0-9]{1,20}(\.[0-9]{1,20})?$):
 * 0 ok, -1 bad format, -2 more than 8 decimals that are not zero, -3 too large. */
int mock_parse_units(const char *s, mock_u *out);
/* "123.45000000" (8 decimals) into buf. */
void mock_fmt_units(mock_u u, char *buf, size_t size);
/* Same without trailing zeros ("123.45", "0"), for Coinbase strings. */
void mock_fmt_units_short(mock_u u, char *buf, size_t size);
json_t *json_units(mock_u u);
json_t *json_units_short(mock_u u);
double mock_units_d(mock_u u);
/* Strict integer; false when absent digits, trailing junk or overflow. */
bool mock_parse_i64(const char *s, int64_t *out);
mock_u mock_floor_to(mock_u v, mock_u step);
mock_u mock_mul(mock_u price, mock_u qty); /* price * qty in units, truncated */
/* RFC 3339 "2025-03-01T00:00:00Z" / with fraction, from ms. */
void mock_fmt_iso(int64_t ms, char *buf, size_t size);
/* ISO 8601 / RFC 3339 to ms (Z or +hh:mm; date only ok); false when malformed. */
bool mock_parse_iso(const char *s, int64_t *out);

/* ---- clock, data, prices (mock_data.c) ---- */

int64_t mock_now_locked(const qf_mock *m);
qf_rc mock_load_data(qf_mock *m, const char *dir, qf_err *err);
void mock_free_data(qf_mock *m);
int mock_find_symbol(const qf_mock *m, const char *name); /* Binance name; -1 unknown */
int mock_find_product(const qf_mock *m, const char *id);  /* Coinbase id; -1 unknown */
/* The series serving bars at time t (the 1h one while it has data). */
const mock_series *mock_series_at(const mock_symbol *s, int64_t t);
/* Price path inside a bar: open -> low -> high -> close (or open -> high ->
 * low -> close when the bar falls), each leg a third of the bar. */
mock_u mock_price_at(const mock_symbol *s, int64_t t);
/* Lowest and highest price and traded volume of the path in [t0, t1]. */
void mock_path_range(const mock_symbol *s, int64_t t0, int64_t t1, mock_u *lo, mock_u *hi,
                     mock_u *vol);
/* Candle buckets of `interval_ms` from the symbol's data, open_time in
 * [from, to], at most `limit`, oldest first; newest=true takes the newest
 * `limit` of the range. The bucket containing `now` is partial. Returns the
 * number written to out (caller-sized, >= limit). -1 when the interval is
 * finer than the data or not a multiple of it. */
long mock_buckets(const mock_symbol *s, int64_t interval_ms, int64_t from, int64_t to, long limit,
                  bool newest, int64_t now, mock_bar *out);

/* ---- book and matching (mock_match.c) ---- */

#define MOCK_BOOK_LEVELS 5000
/* Synthetic level i (0 = best) of one side at time now. */
void mock_book_level(const qf_mock *m, int sym, bool bid, int i, int64_t now, mock_u *price,
                     mock_u *qty);
mock_balance *mock_balance_of(qf_mock *m, const char *asset); /* created at 0 when missing */
/* Index of a new order (copied from o), its id assigned; SIZE_MAX on OOM. */
size_t mock_order_add(qf_mock *m, const mock_order *o);
/* Fills a new order against the book as a taker (market, or a limit that
 * crosses), then rests, expires or finishes it; moves the balances. */
void mock_order_execute(qf_mock *m, size_t idx, int64_t now);
/* Cancels an open order, unlocking what it held. */
void mock_order_cancel(qf_mock *m, size_t idx, int64_t now);
bool mock_order_open(const mock_order *o);
/* Fills resting orders crossed by the price path up to now. */
void mock_match_to(qf_mock *m, int64_t now);
/* Would a taker order fill? The cost (buy: quote spent, sell: base sold)
 * of executing it now, for the balance check. */
mock_u mock_taker_cost(const qf_mock *m, const mock_order *o, int64_t now);

/* ---- endpoints ---- */

/* Binance weight of a request (0 for non-Binance paths). */
long mock_binance_weight(const mock_req *r);
/* Symbol index from the `symbol` parameter; answers -1102/-1121, returns -1. */
int mock_binance_symbol(qf_mock *m, const mock_req *r, mock_resp *out);
bool mock_binance_public(qf_mock *m, mock_req *r, mock_resp *out);
bool mock_binance_signed(qf_mock *m, mock_req *r, mock_resp *out);
bool mock_coinbase(qf_mock *m, mock_req *r, mock_resp *out);
bool mock_control(qf_mock *m, mock_req *r, mock_resp *out);
/* Binance order JSON (query / open orders shape). */
json_t *mock_binance_order_json(const qf_mock *m, const mock_order *o);
qf_rc mock_jwt_init(qf_mock *m, qf_err *err);
void mock_jwt_free(qf_mock *m);
/* NULL when the Authorization header carries a valid JWT for this request,
 * else the reason (for the mock's own log; the reply is a bare 401). */
const char *mock_jwt_check(qf_mock *m, const mock_req *r, int64_t now);

#endif
