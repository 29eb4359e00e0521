/*
 * regime.h - market regimes from the Gaussian HMM's states.
 *
 * States are ranked by volatility: by their mean of the volatility feature
 * (realized_vol), or, when no such feature is in use, by their standard
 * deviation of column 0 (log_returns). The lowest becomes trending, the
 * highest choppy, every other state mean_reverting: with K = 3 that is
 * lowest -> trending, middle -> mean_reverting, highest -> choppy; with
 * K = 2 there is no mean_reverting state; with K > 3 several states share
 * mean_reverting. Equal volatilities rank by state index.
 *
 * The regime at bar t is the regime of the most probable state under the
 * FILTERED probabilities P(state_t | observations <= t) (qf_hmm_filter_*),
 * never Viterbi's. Its confidence is the filtered probability of all the
 * states that map to that regime.
 */
#ifndef QF_SIGNAL_REGIME_H
#define QF_SIGNAL_REGIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/types.h"
#include "signal/hmm.h"

/* The regimes themselves (qf_regime, qf_regime_name) are core/types.h's:
 * trending, mean_reverting, choppy, and QF_REGIME_UNKNOWN for a bar with no
 * regime yet (feature warm-up). */
#define QF_REGIME_COUNT 3 /* trending, mean_reverting, choppy */

/* vol_dim for "no volatility feature: rank by the spread of column 0". */
#define QF_REGIME_VOL_SPREAD (-1)

typedef struct qf_regime_map {
    int n_states;
    qf_regime of_state[QF_HMM_MAX_STATES]; /* regime of each state */
    int by_vol[QF_HMM_MAX_STATES];         /* states from least to most volatile */
    double vol[QF_HMM_MAX_STATES];         /* the volatility that ranked each state */
} qf_regime_map;

/* The regime named name ("trending", "mean_reverting", "choppy", as
 * qf_regime_name writes them). QF_EINVAL otherwise. */
QF_NODISCARD qf_rc qf_regime_parse(const char *name, qf_regime *out, qf_err *err);

/* The volatility column among regime.features (core/config.h): the index of
 * "realized_vol", or QF_REGIME_VOL_SPREAD when it is not listed. The HMM's
 * columns are the features in that order. */
struct qf_config_regime;
int qf_regime_vol_dim(const struct qf_config_regime *rc);

/* Ranks m's states (see the top of this file). vol_dim is the volatility
 * column, in [0, d), or QF_REGIME_VOL_SPREAD. QF_EINVAL for another value;
 * *out is unchanged then. */
QF_NODISCARD qf_rc qf_regime_map_build(const qf_hmm *m, int vol_dim, qf_regime_map *out,
                                       qf_err *err);

/* The regime of a state (QF_REGIME_UNKNOWN for -1 or out of range). */
qf_regime qf_regime_of_state(const qf_regime_map *map, int state);

/* The regime of the most probable state of one filtered distribution
 * prob[0..K) (lowest index on ties) and, if out_confidence is not NULL, the
 * probability of that regime. QF_REGIME_UNKNOWN (confidence NaN) when the
 * distribution is NaN (before the first finite row). */
qf_regime qf_regime_of_probs(const qf_regime_map *map, const double *prob, double *out_confidence);

/* qf_regime_of_probs over n rows of filtered probabilities
 * (probs[t*K + k], as qf_hmm_filter_batch writes them): out_regime[t] (a
 * qf_regime value, QF_REGIME_UNKNOWN in the warm-up) and, when not NULL,
 * out_confidence[t]. Allocates nothing. */
void qf_regime_series(const qf_regime_map *map, const double *probs, size_t n, int8_t *out_regime,
                      double *out_confidence);

#endif
