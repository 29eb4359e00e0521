/*
 * fusion.h - signal fusion: the technical, ML and sentiment experts' scores
 * combined by a regime-gated mixture of experts into one strength in
 * [-1, 1] and a direction (signals.fusion.* in the configuration).
 *
 * Every function here is a pure kernel: no globals, no I/O, no allocation.
 *
 * The experts, each a score in [-1, 1] (+1 = bullish):
 *   technical  0.4 clip((50 - RSI) / 50) + 0.3 clip((0.5 - %B) * 2)
 *              + 0.3 clip(-20 vwap_deviation), each term clipped to [-1, 1],
 *              from the raw features rsi, bb_pct_b and vwap_deviation of
 *              features/featureset.h (a mean-reversion reading: oversold,
 *              below the lower band or under the VWAP is bullish);
 *   ml         P(up) - P(down) from the 3-class classifier (classes 0 down,
 *              1 neutral, 2 up), or label - 1 for a hard label;
 *   sentiment  the decayed, filtered news score of signal/sentiment.h.
 *
 * Confidence scales the strength ONCE, here (the sizer uses |strength|). It
 * comes from signals.fusion.confidence_source:
 *   iqr         (the default) the quantile models' normalised IQR,
 *               IQR_norm = (q75 - q25) / (sigma_bar * sqrt(h)), mapped
 *               linearly from 1 at confidence_min_iqr to 0 at
 *               confidence_max_iqr and clipped to [0, 1]. sigma_bar is the
 *               per-bar standard deviation of log returns (realized_vol /
 *               sqrt(bars_per_year)), h the label horizon in bars, so the
 *               IQR is dimensionless: an N(0, sigma_bar sqrt(h)) forecast has
 *               IQR_norm = 1.349, whatever the asset or timeframe. Raw log
 *               returns (IQR ~ 0.05 at 4h, h = 12) would always sit below
 *               0.2 (confidence always 1), percent (~5) always above 2.0
 *               (always 0); the normalised value spans the configured range.
 *               The default because it adds information the ML score does
 *               not hold: the score already is the classifier's
 *               probabilities, so multiplying it by their maximum counts the
 *               classifier's certainty twice, while the IQR is the separate
 *               quantile models' view of how uncertain the return is (and the
 *               original's keys confidence_min_iqr/max_iqr configure it).
 *   classifier  the classifier's top probability, in [1/3, 1].
 *
 * Mixture: strength = sum over experts of weight[regime][e] * score[e],
 * times choppy_scale in the choppy regime, times confidence, clipped to
 * [-1, 1]; |strength| < direction_threshold is FLAT, else LONG or SHORT by
 * its sign. A regime without weights (has_weights 0) uses the choppy
 * weights. QF_REGIME_UNKNOWN (or any value out of range: no regime reading
 * yet) is treated as choppy, weights and choppy_scale: the least trusted
 * regime.
 *
 * Ablation (the `quantflow ablation` runs):
 * - disabling an expert sets its weight to 0 and scales the remaining
 *   weights up so they sum to what the regime's weights summed to before;
 *   the ablated strategy then trades at a comparable strength, and the
 *   comparison measures the expert's information rather than its share of
 *   the position size. With no weight left the strength is 0. Disabling ML
 *   also drops the model's confidence (it is then 1).
 * - fixed weights use one weight vector (by default the mean of the three
 *   regimes' vectors) whatever the regime, and no choppy_scale: no regime
 *   information enters the decision.
 *
 * Missing inputs: a NaN score of an enabled expert or a NaN confidence gives
 * strength 0 and FLAT (no decision is taken on incomplete inputs; disable
 * the expert to trade without it).
 */
#ifndef QF_SIGNAL_FUSION_H
#define QF_SIGNAL_FUSION_H

#include "core/config.h"
#include "core/err.h"
#include "core/types.h"

/* Regimes with weights of their own: trending, mean_reverting, choppy
 * (qf_regime of core/types.h; QF_REGIME_UNKNOWN has none). */
#define QF_FUSION_REGIMES 3

/* The experts, in the order of every weight vector. */
typedef enum qf_expert {
    QF_EXPERT_TECHNICAL = 0,
    QF_EXPERT_ML = 1,
    QF_EXPERT_SENTIMENT = 2,
    QF_EXPERT_COUNT
} qf_expert;

#define QF_EXPERT_BIT(e) (1u << (e))

typedef enum qf_confidence_source {
    QF_CONFIDENCE_IQR = 0,       /* quantile IQR (default) */
    QF_CONFIDENCE_CLASSIFIER = 1 /* classifier's top probability */
} qf_confidence_source;

typedef struct qf_fusion_params {
    double weights[QF_FUSION_REGIMES][QF_EXPERT_COUNT]; /* each in [0, 1] */
    int has_weights[QF_FUSION_REGIMES];                 /* 0: the regime uses the choppy weights */
    double choppy_scale;        /* strength multiplier when choppy, [0, 1] */
    double direction_threshold; /* |strength| below it is flat, [0, 1] */
    double confidence_min_iqr;  /* IQR_norm at or below which confidence is 1, >= 0 */
    double confidence_max_iqr;  /* IQR_norm at or above which it is 0, > min */
    qf_confidence_source confidence_source;
    /* Ablation switches (0 and 0 in normal use). */
    unsigned disabled;             /* QF_EXPERT_BIT()s of experts switched off */
    int fixed_weights;             /* 1: fixed[] whatever the regime */
    double fixed[QF_EXPERT_COUNT]; /* used when fixed_weights, each in [0, 1] */
} qf_fusion_params;

/* What fusion used and decided for one bar. */
typedef struct qf_fusion_result {
    double technical; /* the scores given, [-1, 1] (NaN if given so) */
    double ml;
    double sentiment;
    qf_regime regime;                /* regime given (QF_REGIME_UNKNOWN for anything unknown) */
    double weights[QF_EXPERT_COUNT]; /* effective weights after fallback and ablation */
    double confidence;               /* applied confidence, [0, 1] */
    double strength;                 /* [-1, 1] */
    qf_direction direction;          /* QF_DIR_SHORT, QF_DIR_FLAT or QF_DIR_LONG */
} qf_fusion_result;

/* One bar's inputs. */
typedef struct qf_fusion_inputs {
    double technical;  /* qf_fusion_technical_score */
    double ml;         /* qf_fusion_ml_score_proba or _label */
    double sentiment;  /* qf_sentiment score, [-1, 1] */
    double confidence; /* qf_fusion_confidence_*, [0, 1] (clamped) */
    qf_regime regime;  /* QF_REGIME_UNKNOWN (or any other value) reads as choppy */
} qf_fusion_inputs;

/* ---- expert scores -------------------------------------------------------- */

/* x clipped to [-1, 1]; NaN stays NaN. */
double qf_fusion_clip(double x);

/* The technical score from the raw rsi (0..100), bb_pct_b and
 * vwap_deviation (a fraction). NaN when any input is NaN. */
double qf_fusion_technical_score(double rsi, double bb_pct_b, double vwap_deviation);

/* P(up) - P(down) from proba[3] (down, neutral, up). NaN when a probability
 * is not finite. Not renormalised: probabilities that do not sum to 1 are
 * used as given, and the result is clipped to [-1, 1]. */
double qf_fusion_ml_score_proba(const double proba[3]);

/* label - 1 for a hard label 0, 1 or 2; NaN for anything else. */
double qf_fusion_ml_score_label(int label);

/* ---- confidence ----------------------------------------------------------- */

/* The classifier's top probability (max of proba[3]), clipped to [0, 1];
 * NaN when any is not finite. */
double qf_fusion_confidence_classifier(const double proba[3]);

/* IQR_norm = (q75 - q25) / (sigma_bar * sqrt(horizon_bars)). NaN when
 * sigma_bar <= 0, horizon_bars < 1 or an input is not finite. Crossed
 * quantiles (q75 < q25) give a negative value (full confidence). */
double qf_fusion_iqr_norm(double q25, double q75, double sigma_bar, int horizon_bars);

/* 1 at or below min_iqr, 0 at or above max_iqr, linear between; NaN for a
 * NaN iqr_norm. Requires min_iqr < max_iqr (qf_fusion_params_check). */
double qf_fusion_confidence_iqr(double iqr_norm, double min_iqr, double max_iqr);

/* ---- the mixture ---------------------------------------------------------- */

/* Parameters from signals.fusion: every regime's weights present, no
 * ablation, fixed[] = the mean of the three regimes' weights (what the
 * fixed-weights ablation uses), confidence_source from its name. */
void qf_fusion_params_from_config(const qf_config_fusion *cfg, qf_fusion_params *out);

/* QF_EINVAL naming the first bad field: weights outside [0, 1] or NaN, the
 * choppy weights missing, choppy_scale or direction_threshold outside
 * [0, 1], min_iqr < 0, max_iqr <= min_iqr, an unknown confidence_source or
 * disabled bits beyond the experts. */
QF_NODISCARD qf_rc qf_fusion_params_check(const qf_fusion_params *p, qf_err *err);

/* The effective weights for a regime (after the choppy fallback, fixed
 * weights and ablation renormalisation), written to out_w. */
void qf_fusion_weights(const qf_fusion_params *p, qf_regime regime, double out_w[QF_EXPERT_COUNT]);

/* Fuses one bar. p must have passed qf_fusion_params_check. Writes *out;
 * cannot fail. */
void qf_fusion_fuse(const qf_fusion_params *p, const qf_fusion_inputs *in, qf_fusion_result *out);

/* Copies a result's decision into a signal (symbol and bar_time are left as
 * they are: the caller knows them). */
void qf_fusion_to_signal(const qf_fusion_result *r, qf_signal *out);

/* Parses "iqr" / "classifier"; QF_EINVAL otherwise. */
QF_NODISCARD qf_rc qf_confidence_source_parse(const char *name, qf_confidence_source *out,
                                              qf_err *err);

#endif
