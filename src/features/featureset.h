/*
 * featureset.h - the model's inputs: named, versioned feature sets computed
 * from candle columns, in batch over a whole series or streaming one closed
 * bar at a time (the live worker). Both modes run the same arithmetic in the
 * same order, so they agree bit for bit.
 *
 * Timing: the value at bar t uses bars <= t only; decisions are taken at the
 * close of bar t. A feature is NaN until it has enough history (its start).
 *
 * technical v1, the ten features, with p = qf_feature_params:
 *   log_returns     ln(close_t / close_{t-1})
 *   rsi             RSI(rsi_period), Wilder
 *   atr             ATR(atr_period), Wilder, in price units
 *   bb_pct_b        Bollinger %B(bb_period, bb_std)
 *   vwap_deviation  (close - VWAP(vwap_period)) / VWAP(vwap_period)
 *   realized_vol    sample sigma of log_returns over vol_window bars
 *                   * sqrt(bars_per_year)
 *   momentum_4      close_t / close_{t-4} - 1
 *   momentum_12     close_t / close_{t-12} - 1
 *   ema_ratio       EMA(10) / EMA(30) - 1
 *   volume_ratio    volume_t / SMA(vol_window)(volume)_t - 1
 */
#ifndef QF_FEATURES_FEATURESET_H
#define QF_FEATURES_FEATURESET_H

#include <stddef.h>

#include "core/bars.h"
#include "core/err.h"

#define QF_TECH_FEATURES 10

typedef enum qf_tech_feature {
    QF_F_LOG_RETURNS,
    QF_F_RSI,
    QF_F_ATR,
    QF_F_BB_PCT_B,
    QF_F_VWAP_DEVIATION,
    QF_F_REALIZED_VOL,
    QF_F_MOMENTUM_4,
    QF_F_MOMENTUM_12,
    QF_F_EMA_RATIO,
    QF_F_VOLUME_RATIO
} qf_tech_feature;

/* Periods in bars (features.technical in the config). */
typedef struct qf_feature_params {
    int rsi_period;
    int atr_period;
    int bb_period;
    double bb_std;
    int vol_window;
    int vwap_period;
    double bars_per_year;
} qf_feature_params;

/* A named, versioned feature set: what a model was trained on. */
typedef struct qf_feature_set_info {
    const char *name;
    int version;
    size_t n_features;
    const char *const *feature_names;
} qf_feature_set_info;

/* The defaults of config/default.yaml: 14, 14, 20, 2.0, 24, 24, 2190. */
qf_feature_params qf_feature_params_default(void);

/* QF_EINVAL naming the first bad parameter. */
QF_NODISCARD qf_rc qf_feature_params_check(const qf_feature_params *p, qf_err *err);

/* The feature set "technical" version 1. */
const qf_feature_set_info *qf_feature_set_technical(void);

/* Looks a feature set up by name ("technical"); NULL when unknown. */
const qf_feature_set_info *qf_feature_set_find(const char *name);

/* The first bar at which every feature is defined (30 bars of history with
 * the defaults: EMA(30) starts at bar 29). -1 on bad parameters. */
int qf_features_start(const qf_feature_params *p);

/* Batch: all ten features for every bar, column-major:
 * out[f * b->n + i] is feature f at bar i (NaN before its start). out holds
 * QF_TECH_FEATURES * b->n doubles. Allocates nothing. */
QF_NODISCARD qf_rc qf_features_compute(const qf_bars *b, const qf_feature_params *p, double *out,
                                       qf_err *err);

/* Streaming state: O(1) work and no allocation per bar. */
typedef struct qf_feature_stream qf_feature_stream;

/* Allocates the state (ring buffers sized from p). NULL-safe free. */
QF_NODISCARD qf_rc qf_feature_stream_new(const qf_feature_params *p, qf_feature_stream **out_stream,
                                         qf_err *err);
void qf_feature_stream_free(qf_feature_stream *s);

/* Feeds the next closed bar (in time order) and writes its ten features to
 * out (NaN where not yet defined). */
void qf_feature_stream_push(qf_feature_stream *s, double high, double low, double close,
                            double volume, double out[QF_TECH_FEATURES]);

#endif
