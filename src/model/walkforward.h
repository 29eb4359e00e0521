/*
 * walkforward.h - walk-forward splits: [train][purge][test][embargo],
 * repeated over a series.
 *
 * Fold k trains on bars [train_begin, train_end) and tests on
 * [test_begin, test_end). Between them lie `purge` bars that neither uses:
 * labels of the last training bars look h bars ahead, so the purge must be
 * at least the label horizon or training labels peek into the test window.
 * The effective purge is max(purge_bars, horizon) (qf_wf_effective_purge);
 * callers print it. After each test window `embargo` bars are skipped
 * before the next fold's test window starts, and the train window slides
 * forward with it (rolling, fixed length train_bars): fold k+1's test window
 * begins test_bars + embargo after fold k's.
 *
 * With the defaults (train 1000, purge 3 -> 12, test 100, embargo 2):
 *   fold 0: train [0, 1000), test [1012, 1112)
 *   fold 1: train [102, 1102), test [1114, 1214)
 */
#ifndef QF_MODEL_WALKFORWARD_H
#define QF_MODEL_WALKFORWARD_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"

/* model.walk_forward in the config, plus the label horizon. */
typedef struct qf_wf_params {
    size_t train_bars;   /* >= 1 */
    size_t test_bars;    /* >= 1 */
    size_t purge_bars;   /* as configured */
    size_t embargo_bars; /* >= 0 */
    size_t horizon;      /* label horizon (max_holding_bars) */
} qf_wf_params;

typedef struct qf_wf_fold {
    size_t train_begin, train_end; /* [train_begin, train_end) */
    size_t test_begin, test_end;   /* [test_begin, test_end) */
} qf_wf_fold;

/* model.walk_forward of a loaded config, the horizon from
 * model.labeling.max_holding_bars. */
qf_wf_params qf_wf_params_from_config(const qf_config *cfg);

/* max(purge_bars, horizon). */
size_t qf_wf_effective_purge(const qf_wf_params *p);

/* The number of whole folds over n bars starting at bar `first` (the first
 * bar with every feature defined); 0 when not even one fits. */
size_t qf_wf_count(const qf_wf_params *p, size_t first, size_t n);

/* Fold k (k < qf_wf_count). */
qf_wf_fold qf_wf_fold_at(const qf_wf_params *p, size_t first, size_t k);

/* QF_EINVAL naming the first bad parameter. */
QF_NODISCARD qf_rc qf_wf_params_check(const qf_wf_params *p, qf_err *err);

#endif
