/*
 * quantflow.h - QuantFlow's own strategy ("quantflow" in the registry of
 * strategy.h; see quantflow.c for what it does at each bar) and what it
 * counts while it runs.
 */
#ifndef QF_STRATEGY_QUANTFLOW_H
#define QF_STRATEGY_QUANTFLOW_H

#include <stddef.h>

#include "core/types.h"
#include "risk/checks.h"
#include "strategy/strategy.h"

typedef struct qf_quantflow_state qf_quantflow_state;

/* What happened during a run, for the output and the tests. */
typedef struct qf_quantflow_stats {
    size_t trainings;      /* models trained (walk-forward steps) */
    size_t train_failures; /* trainings refused by the data (kept the previous model) */
    size_t hmm_fits;       /* HMM refits */
    size_t hmm_fit_failures;
    size_t predictions;    /* bars with a model prediction */
    size_t regime_bars[3]; /* decisions taken in each regime (unknown counts as choppy) */
    size_t kill_switch_trips;
    size_t risk_rejections[QF_RISK_REASON_COUNT]; /* pre-trade rejections by reason */
    double train_seconds; /* spent training models and fitting the HMM (monotonic clock) */
} qf_quantflow_stats;

extern const qf_strategy_def qf_strategy_quantflow;

/* The regime and model outputs of every bar of a run, recorded by the first
 * run given it (with ML on) and replayed by the runs after it instead of
 * training again: the ablation's variants share one walk-forward. Training
 * is deterministic, so a replayed run decides exactly as if it had trained
 * (the ablation test checks it). Valid only for runs on the same bars and
 * configuration with the same retrain switch (a different switch ignores
 * it). Passed through qf_strategy_env.quantflow_cache. */
QF_NODISCARD qf_rc qf_quantflow_cache_new(size_t n_symbols, qf_quantflow_cache **out, qf_err *err);
void qf_quantflow_cache_free(qf_quantflow_cache *c);

/* The counters of a state made by qf_strategy_quantflow.init. */
const qf_quantflow_stats *qf_quantflow_stats_of(const void *state);

#endif
