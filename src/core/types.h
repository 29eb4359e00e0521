/*
 * types.h - the plain value types every module shares: candles, orders,
 * fills, positions, signals, regimes and portfolio snapshots.
 *
 * All instants are UTC milliseconds. Prices are in the quote asset,
 * quantities in the base asset, money (cash, equity, fees, PnL) in the quote
 * asset. These are values, not handles: copy them freely.
 */
#ifndef QF_CORE_TYPES_H
#define QF_CORE_TYPES_H

#include <stdint.h>

#define QF_SYMBOL_MAX   24 /* "BASE/QUOTE", NUL included */
#define QF_EXCHANGE_MAX 16 /* "binance", "coinbase", "mock" */
#define QF_ORDER_ID_MAX 48 /* client order ids are <= 36 characters */

/* One OHLCV bar. open_time is the bar's start; the bar covers
 * [open_time, open_time + timeframe). The optional Binance fields are NaN
 * (trades: -1) when the source does not have them. */
typedef struct qf_candle {
    int64_t open_time;
    double open, high, low, close;
    double volume;         /* base asset */
    double quote_volume;   /* quote asset, NaN if unknown */
    int64_t trades;        /* number of trades, -1 if unknown */
    double taker_buy_base; /* NaN if unknown */
    double taker_buy_quote;
} qf_candle;

/* Identifies one stored series. */
typedef struct qf_series_key {
    char exchange[QF_EXCHANGE_MAX]; /* "binance" */
    char symbol[QF_SYMBOL_MAX];     /* "BTC/USDT" */
    char timeframe[8];              /* "4h" */
} qf_series_key;

typedef enum { QF_SIDE_BUY = 1, QF_SIDE_SELL = -1 } qf_side;

typedef enum { QF_ORDER_MARKET = 0, QF_ORDER_LIMIT = 1 } qf_order_type;

typedef enum { QF_TIF_GTC = 0, QF_TIF_IOC = 1, QF_TIF_FOK = 2 } qf_time_in_force;

/* Order lifecycle (see the exchanges issue): pending is persisted but not yet
 * sent; unconfirmed was sent without a known outcome. */
typedef enum {
    QF_ORDER_PENDING = 0,
    QF_ORDER_UNCONFIRMED,
    QF_ORDER_OPEN,
    QF_ORDER_PARTIALLY_FILLED,
    QF_ORDER_FILLED,
    QF_ORDER_CANCELLED,
    QF_ORDER_REJECTED,
    QF_ORDER_EXPIRED
} qf_order_status;

typedef struct qf_order {
    char client_id[QF_ORDER_ID_MAX];
    char exchange[QF_EXCHANGE_MAX];
    char symbol[QF_SYMBOL_MAX];
    qf_side side;
    qf_order_type type;
    qf_time_in_force tif;
    double quantity;    /* base asset, > 0 */
    double limit_price; /* quote per base; NaN for market orders */
    double filled_qty;
    double avg_fill_price;
    qf_order_status status;
    int64_t created_at;
    int64_t updated_at;
} qf_order;

typedef struct qf_fill {
    char client_id[QF_ORDER_ID_MAX]; /* order it belongs to */
    char symbol[QF_SYMBOL_MAX];
    qf_side side;
    double quantity; /* base asset, > 0 */
    double price;    /* quote per base, costs of spread/impact included */
    double fee;      /* quote asset */
    int64_t time;
} qf_fill;

typedef struct qf_position {
    char symbol[QF_SYMBOL_MAX];
    double quantity;     /* signed base quantity; < 0 only when shorts are allowed */
    double avg_entry;    /* volume-weighted entry price of the open quantity */
    double realized_pnl; /* quote asset, after fees */
    double fees;         /* quote asset, cumulative */
    double mark_price;   /* latest close used for unrealized PnL */
} qf_position;

typedef enum {
    QF_REGIME_TRENDING = 0,
    QF_REGIME_MEAN_REVERTING = 1,
    QF_REGIME_CHOPPY = 2,
    QF_REGIME_UNKNOWN = 3
} qf_regime;

typedef enum { QF_DIR_SHORT = -1, QF_DIR_FLAT = 0, QF_DIR_LONG = 1 } qf_direction;

/* The fused decision for one symbol at one bar close. */
typedef struct qf_signal {
    char symbol[QF_SYMBOL_MAX];
    int64_t bar_time; /* open_time of the bar whose close produced it */
    qf_regime regime;
    double technical; /* component scores in [-1, 1] */
    double ml;
    double sentiment;
    double confidence; /* [0, 1] */
    double strength;   /* fused, [-1, 1] */
    qf_direction direction;
} qf_signal;

/* Portfolio state at one instant: equity = cash + sum(quantity * mark). */
typedef struct qf_snapshot {
    int64_t time;
    double cash;
    double equity;
    double gross_exposure; /* sum |quantity * mark| */
    double drawdown;       /* positive fraction below the running peak */
} qf_snapshot;

const char *qf_order_status_name(qf_order_status s);
const char *qf_regime_name(qf_regime r);

#endif
