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
 * unless shorting is allowed). Strategies keep O(1) running state between
 * calls so a bar costs O(1); when t does not follow the previous call they
 * must rebuild it from the history.
 */
#ifndef QF_STRATEGY_STRATEGY_H
#define QF_STRATEGY_STRATEGY_H

#include <stddef.h>

#include "core/bars.h"
#include "core/err.h"

#define QF_STRATEGY_PARAMS_MAX 16
#define QF_STRATEGY_NAME_MAX   32

/* Numeric parameters by name ("fast" = 20). */
typedef struct qf_strategy_params {
    char names[QF_STRATEGY_PARAMS_MAX][QF_STRATEGY_NAME_MAX];
    double values[QF_STRATEGY_PARAMS_MAX];
    size_t n;
} qf_strategy_params;

/* What the strategy sees at the close of bar t. */
typedef struct qf_strategy_ctx {
    const qf_bars *bars; /* one view per symbol, each ending at bar t */
    size_t n_symbols;
    size_t t;                /* index of the bar that just closed */
    const double *positions; /* current position per symbol, fraction of equity */
    double equity;
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

/* QF_EINVAL when p names a parameter def does not take. */
QF_NODISCARD qf_rc qf_strategy_params_check_names(const qf_strategy_def *def,
                                                  const qf_strategy_params *p, qf_err *err);

#endif
