/*
 * strategy.h - the one strategy interface the backtest engines and the live
 * worker call on every closed bar.
 *
 * At each close on the common timeline the engine calls on_bar with a
 * context whose per-symbol bars end at that symbol's latest closed bar
 * (bars[s].n - 1 is its index; later bars are not reachable; n = 0 before
 * the symbol's history starts)
 * and the portfolio as it stands; the strategy writes one target position
 * per symbol, a fraction of equity in [-1, 1] (the engine clips shorts to 0
 * unless shorting is allowed), or NaN to leave that symbol's target order
 * as it is. A strategy may instead (or as well) place explicit market or
 * limit orders through ctx->orders, which the event engine provides and the
 * vectorized engine does not (NULL). Strategies keep O(1) running state between
 * calls so a bar costs O(1); when t does not follow the previous call they
 * must rebuild it from the history.
 */
#ifndef QF_STRATEGY_STRATEGY_H
#define QF_STRATEGY_STRATEGY_H

#include <stddef.h>

#include "core/bars.h"
#include "core/err.h"
#include "core/types.h"

#define QF_STRATEGY_PARAMS_MAX 16
#define QF_STRATEGY_NAME_MAX   32

struct qf_config;
struct qf_sentiment_event;
typedef struct qf_quantflow_cache qf_quantflow_cache;

/* What a strategy that needs more than numbers gets from its caller: the
 * configuration, the symbols and bar length, the news. The benchmark
 * strategies ignore it; the QuantFlow strategy needs it. Borrowed: it must
 * outlive the run. */
typedef struct qf_strategy_env {
    const struct qf_config *cfg;
    const char *const *symbols; /* one BASE/QUOTE name per symbol */
    size_t n_symbols;
    int64_t bar_ms; /* bar length */
    /* per symbol: the news its scoring sees, sorted by time (events NULL:
     * none for any symbol) */
    const struct qf_sentiment_event *const *events;
    const size_t *n_events;
    /* quantflow: model outputs shared by runs on the same bars (NULL: none;
     * strategy/quantflow.h) */
    qf_quantflow_cache *quantflow_cache;
} qf_strategy_env;

/* Numeric parameters by name ("fast" = 20), and the environment. */
typedef struct qf_strategy_params {
    char names[QF_STRATEGY_PARAMS_MAX][QF_STRATEGY_NAME_MAX];
    double values[QF_STRATEGY_PARAMS_MAX];
    size_t n;
    const qf_strategy_env *env; /* NULL: none given */
} qf_strategy_params;

/* An explicit order. It works from the bar after the decision (plus the
 * latency), next to and independent of the target order of its symbol. */
typedef struct qf_order_request {
    size_t symbol;
    double qty; /* signed base quantity: > 0 buys, < 0 sells */
    qf_order_type type;
    double limit_price; /* QF_ORDER_LIMIT: the worst price accepted */
    int timeout_bars;   /* bars it may work; 0: the engine's order_timeout_bars */
} qf_order_request;

/* The venue's order entry, as the strategy sees it. */
typedef struct qf_order_api {
    void *venue;
    /* Places o; *out_id (may be NULL) receives its order id. QF_EINVAL
     * naming what is wrong with o (unknown symbol, zero or non-finite
     * quantity, non-positive limit, negative timeout). */
    qf_rc (*submit)(void *venue, const qf_order_request *o, int64_t *out_id, qf_err *err);
    /* Cancels a working order (a done or unknown id is QF_ENOTFOUND). */
    qf_rc (*cancel)(void *venue, int64_t id, qf_err *err);
    /* The signed quantity filled so far and whether it still works. */
    qf_rc (*query)(void *venue, int64_t id, double *out_filled, int *out_working, qf_err *err);
} qf_order_api;

/* What the strategy sees at the close of bar t. */
typedef struct qf_strategy_ctx {
    const qf_bars *bars; /* one view per symbol, each ending at bar t */
    size_t n_symbols;
    size_t t;                /* index of the bar that just closed */
    const double *positions; /* current position per symbol, fraction of equity */
    double equity;
    const qf_order_api *orders; /* NULL when the engine takes targets only */
} qf_strategy_ctx;

typedef struct qf_strategy_def {
    const char *name;
    const char *summary;
    /* The parameters it takes with their defaults (names used by --param). */
    const char *const *param_names;
    const double *param_defaults;
    size_t n_params;
    /* Validates params and allocates the state. */
    qf_rc (*init)(const qf_strategy_params *params, size_t n_symbols, void **out_state,
                  qf_err *err);
    /* Writes ctx->n_symbols targets. */
    qf_rc (*on_bar)(void *state, const qf_strategy_ctx *ctx, double *out_targets, qf_err *err);
    void (*free)(void *state);
    /* Bars of history before the first bar a decision can use (the longest
     * lookback); NULL: none. Engines refuse a series too short to decide
     * and fill at least once after it. */
    size_t (*warmup)(const void *state);
} qf_strategy_def;

/* The registered strategies; NULL when unknown. */
const qf_strategy_def *qf_strategy_find(const char *name);
const qf_strategy_def *const *qf_strategy_list(size_t *out_n);

/* Empty parameter list. */
void qf_strategy_params_init(qf_strategy_params *p);

/* Sets name = value (replacing an earlier value). QF_EINVAL when the list
 * is full or the name too long / empty. */
QF_NODISCARD qf_rc qf_strategy_params_set(qf_strategy_params *p, const char *name, double value,
                                          qf_err *err);

/* Parses "name=value"; QF_EINVAL naming the problem. */
QF_NODISCARD qf_rc qf_strategy_params_parse(qf_strategy_params *p, const char *assignment,
                                            qf_err *err);

/* The value of name, or def when absent. */
double qf_strategy_params_get(const qf_strategy_params *p, const char *name, double def);

/* QF_EINVAL naming the strategy, its warm-up and the shortest series when a
 * symbol has fewer than warmup + 2 bars (a bar to decide at after the
 * warm-up and one to fill in). state is the strategy's, after init. */
QF_NODISCARD qf_rc qf_strategy_check_history(const qf_strategy_def *def, const void *state,
                                             const qf_bars *bars, size_t n_symbols, qf_err *err);

/* QF_EINVAL when p names a parameter def does not take. */
QF_NODISCARD qf_rc qf_strategy_params_check_names(const qf_strategy_def *def,
                                                  const qf_strategy_params *p, qf_err *err);

#endif
