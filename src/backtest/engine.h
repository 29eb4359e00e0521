/*
 * engine.h - the event-driven backtest: BAR_CLOSE -> SIGNAL -> ORDER -> FILL
 * in time order over one or several symbols on a common timeline.
 *
 * At each close T of the timeline (the union of the symbols' bar times):
 *  1. FILL: every working order of a symbol that has a bar at T and is due
 *     (next_open: from the bar after the decision + latency_bars) fills at the
 *     bar's open: price * (1 +/- (fixed_spread_bps + linear_impact_bps *
 *     participation) / 1e4), participation = notional / ADV (mean close *
 *     volume over the adv_window bars before the fill bar), taker fee on the
 *     notional. At most max_participation of the bar's volume fills per bar;
 *     the rest keeps working and is cancelled after order_timeout_bars.
 *     Buys are capped by the cash available (no borrowing).
 *     Explicit orders of the strategy (ctx->orders) work from the bar after
 *     the decision + latency_bars, whatever fill_at says, except that a
 *     market order with fill_at close fills at the decision close like a
 *     target order. A limit buy fills when the bar trades at or through its
 *     limit (low <= limit) at min(limit, open), a limit sell when high >=
 *     limit at max(limit, open); limit fills pay the maker fee and neither
 *     spread nor impact. The max_participation cap is per symbol and bar,
 *     shared by every order of the symbol (target order first, then the
 *     explicit ones in the order they were placed). Orders still working at
 *     the end of the run keep the status WORKING.
 *  2. MARK: equity = cash + sum(qty * close) - recorded for T.
 *  3. SIGNAL: the strategy sees bars <= T and returns target fractions of
 *     equity; without allow_short they are clipped to [0, 1].
 *  4. ORDER: per symbol with a bar at T, the difference between target and
 *     held quantity becomes a market order. A working order on the same side
 *     is amended to the new quantity (keeping its eligibility and age); one
 *     on the other side is cancelled and replaced. A difference worth less
 *     than min_trade_usd cancels the working order and places none (no churn
 *     from drifting weights). With fill_at close it fills at once at the close of
 *     T (ADV over the bars up to T), and the equity of T is re-marked.
 */
#ifndef QF_BACKTEST_ENGINE_H
#define QF_BACKTEST_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtest/ledger.h"
#include "backtest/vector.h"
#include "core/bars.h"
#include "core/err.h"
#include "strategy/strategy.h"

typedef enum qf_fill_at { QF_FILL_NEXT_OPEN, QF_FILL_CLOSE } qf_fill_at;

typedef struct qf_bt_fill {
    int64_t time; /* open_time of the bar it filled in (its close for fill_at close) */
    size_t symbol;
    int64_t order_id;
    double qty;   /* signed */
    double price; /* after spread and impact */
    double fee;
    double spread_cost, impact_cost; /* what spread and impact cost vs the raw price */
    int maker;                       /* 1: a limit fill (maker fee), 0: taker */
} qf_bt_fill;

typedef enum qf_bt_order_status {
    QF_BT_WORKING,
    QF_BT_FILLED,
    QF_BT_CANCELLED, /* replaced by a newer decision, cancelled by the strategy, or
                        nothing could fill (a long-only sell with nothing held) */
    QF_BT_EXPIRED    /* order_timeout_bars passed */
} qf_bt_order_status;

typedef struct qf_bt_order {
    int64_t id;
    size_t symbol;
    int64_t decided_at; /* open_time of the decision bar */
    double qty;         /* signed, requested */
    double filled;      /* signed */
    qf_bt_order_status status;
    qf_order_type type;
    double limit_price; /* QF_ORDER_LIMIT */
    int explicit_order; /* placed through ctx->orders (else: from a target) */
} qf_bt_order;

typedef struct qf_engine_config {
    qf_fill_at fill_at;
    int latency_bars;
    qf_cost_model costs;
    double max_participation; /* (0, 1] */
    int order_timeout_bars;   /* >= 1 */
    bool allow_short;
    double initial_equity;
    double min_trade_usd;
    /* Called after every fill with the ledger and the latest marks (tests
     * assert invariants here); may be NULL. */
    void (*on_fill)(void *user, const qf_ledger *ledger, const qf_bt_fill *fill,
                    const double *marks);
    void *user;
    /* Called every few thousand closes with closes done of the timeline
     * (a progress bar); may be NULL. */
    void (*progress)(void *user, size_t done, size_t total);
    void *progress_user;
} qf_engine_config;

typedef struct qf_backtest_result {
    size_t n; /* timeline length */
    size_t n_symbols;
    int64_t *time;     /* n */
    double *equity;    /* n, at each close */
    double *positions; /* n x n_symbols quantities after the close's fills */
    qf_bt_fill *fills;
    size_t n_fills;
    qf_bt_order *orders;
    size_t n_orders;
    qf_bt_trade *trades; /* closed trades */
    size_t n_trades;
    double cash;
    double traded_notional, fees, spread_cost, impact_cost;
    size_t bars_in_market; /* closes with any non-zero position */
} qf_backtest_result;

/* Defaults of config/default.yaml (next_open, costs of Binance taker). */
qf_engine_config qf_engine_config_default(void);

/* QF_EINVAL naming the first bad field. */
QF_NODISCARD qf_rc qf_engine_config_check(const qf_engine_config *c, qf_err *err);

/* Runs strategy def (params p) over the symbols' bars. out is filled on
 * success (free with qf_backtest_result_free); on failure it is left empty. */
QF_NODISCARD qf_rc qf_backtest_run(const qf_engine_config *c, const qf_strategy_def *def,
                                   const qf_strategy_params *p, const qf_bars *bars,
                                   size_t n_symbols, qf_backtest_result *out, qf_err *err);

void qf_backtest_result_free(qf_backtest_result *r);

#endif
