/*
 * config.h - QuantFlow's configuration: one plain struct whose nested
 * sections mirror config/default.yaml key for key.
 *
 * The effective configuration is layered: built-in defaults
 * (qf_config_init, identical to config/default.yaml) < a YAML file
 * (qf_config_load_file) < command-line assignments (qf_config_set). Values
 * may hold `${VAR}` or `${VAR:default}` anywhere inside a scalar; they are
 * replaced from the environment before the value is converted and checked.
 * Every key is described once, in a table (config_schema.c): its type,
 * default, allowed values, whether it is a secret, and a one-line doc.
 *
 * The struct owns no heap memory: every string and list is a fixed-size
 * array, so it may be copied by assignment, and qf_config_init cannot fail.
 * Loaders fill a copy and commit it only when the whole input converted and
 * validated, so a failed load or set leaves the caller's struct unchanged.
 *
 * Units follow the key names: *_bars in bars, *_days/_hours/_minutes/_seconds
 * in that unit, *_bps in basis points, *_pct and other fractions as plain
 * fractions (0.25 = 25 %), money in the quote currency (USD).
 */
#ifndef QF_CORE_CONFIG_H
#define QF_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "core/err.h"
#include "core/types.h"

#define QF_CONFIG_NAME_MAX         32            /* enum-like values: "paper", "rolling_zscore" */
#define QF_CONFIG_STR_MAX          256           /* hosts, URLs, keys, tokens */
#define QF_CONFIG_PATH_MAX         1024          /* file paths */
#define QF_CONFIG_SYMBOLS_MAX      64            /* universe.symbols capacity */
#define QF_CONFIG_QUANTILES_MAX    16            /* model.quantiles capacity */
#define QF_CONFIG_REGIME_FEATS_MAX 8             /* regime.features capacity */
#define QF_CONFIG_TIMEFRAME_MAX    8             /* same size as qf_series_key.timeframe */
#define QF_CONFIG_FILE_MAX         (1024 * 1024) /* larger config files are refused */

typedef struct qf_config_universe {
    char symbols[QF_CONFIG_SYMBOLS_MAX][QF_SYMBOL_MAX]; /* traded symbols, "BASE/QUOTE" */
    size_t n_symbols;                                   /* entries used in symbols, >= 1 */
    char timeframe[QF_CONFIG_TIMEFRAME_MAX];            /* bar length: 1m 5m 15m 1h 4h 1d */
    int lookback_days;                                  /* history backfill fetches, days */
} qf_config_universe;

typedef struct qf_config_technical {
    int rsi_period;       /* bars */
    int atr_period;       /* bars */
    int bb_period;        /* Bollinger window, bars */
    double bb_std;        /* Bollinger band width, standard deviations */
    int vol_window;       /* bars of realized volatility */
    int vwap_period;      /* bars of rolling VWAP */
    double bars_per_year; /* annualisation (2190 for 4h bars) */
} qf_config_technical;

typedef struct qf_config_normalization {
    char method[QF_CONFIG_NAME_MAX]; /* "rolling_zscore" */
    int window;                      /* bars of rolling statistics */
    int shift;                       /* statistics from bars t-window .. t-shift; < window */
} qf_config_normalization;

typedef struct qf_config_features {
    bool use_orderbook; /* compute order-book features */
    qf_config_technical technical;
    qf_config_normalization normalization;
} qf_config_features;

typedef struct qf_config_walk_forward {
    int train_bars;   /* bars in each training window */
    int test_bars;    /* bars in each test window (the step) */
    int purge_bars;   /* gap before the test window; raised to the label horizon at run time */
    int embargo_bars; /* gap after the test window */
} qf_config_walk_forward;

typedef struct qf_config_labeling {
    char method[QF_CONFIG_NAME_MAX]; /* "triple_barrier" */
    double profit_taking_pct;        /* upper barrier, fraction */
    double stop_loss_pct;            /* lower barrier, fraction */
    int max_holding_bars;            /* time barrier, bars (the label horizon) */
    double neutral_pct;              /* |return| below this at the time barrier is neutral */
} qf_config_labeling;

typedef struct qf_config_model {
    char type[QF_CONFIG_NAME_MAX]; /* "lightgbm_quantile" (alias) or "xgboost": both our GBDT */
    int n_estimators;              /* boosting rounds */
    double learning_rate;
    int max_depth;                             /* -1 or 0: no limit */
    int num_leaves;                            /* XGBoost max_leaves with lossguide */
    double quantiles[QF_CONFIG_QUANTILES_MAX]; /* strictly increasing, each in (0, 1) */
    size_t n_quantiles;
    int seed;                              /* new: XGBoost seed (same seed and data: same model) */
    int n_threads;                         /* new: XGBoost threads; 0 = one per core */
    double min_child_weight;               /* new: least hessian (rows) in a leaf */
    double subsample;                      /* new: share of rows sampled per tree, (0, 1] */
    char registry_dir[QF_CONFIG_PATH_MAX]; /* new: model registry root (var/models) */
    qf_config_walk_forward walk_forward;
    qf_config_labeling labeling;
} qf_config_model;

typedef struct qf_config_regime {
    char model[QF_CONFIG_NAME_MAX];                                /* "gaussian_hmm" */
    int n_states;                                                  /* hidden states */
    char features[QF_CONFIG_REGIME_FEATS_MAX][QF_CONFIG_NAME_MAX]; /* HMM inputs */
    size_t n_features;
    int retrain_interval_days; /* refit period, days of bars */
    int n_restarts;            /* HMM fit: k-means++ starts; the best likelihood wins */
    int max_iter;              /* HMM fit: Baum-Welch iterations per start */
    double tol;                /* HMM fit: stop when the log-likelihood gains less per bar */
    double covariance_reg;     /* HMM fit: covariance ridge, fraction of a feature's variance */
    int seed;                  /* HMM fit: same seed and data, same model */
} qf_config_regime;

/* Expert weights in one regime, each in [0, 1]. */
typedef struct qf_config_expert_weights {
    double technical;
    double ml;
    double sentiment;
} qf_config_expert_weights;

typedef struct qf_config_regime_weights {
    qf_config_expert_weights trending;
    qf_config_expert_weights mean_reverting;
    qf_config_expert_weights choppy;
} qf_config_regime_weights;

typedef struct qf_config_fusion {
    char method[QF_CONFIG_NAME_MAX]; /* "regime_gated_moe" */
    qf_config_regime_weights regime_weights;
    double choppy_scale;        /* strength multiplier in the choppy regime, [0, 1] */
    double direction_threshold; /* |strength| below this is flat */
    double confidence_min_iqr;  /* normalised IQR at or below which confidence is 1 */
    double confidence_max_iqr;  /* normalised IQR at or above which confidence is 0 */
    char confidence_source[QF_CONFIG_NAME_MAX]; /* "iqr" or "classifier" */
} qf_config_fusion;

typedef struct qf_config_signals {
    qf_config_fusion fusion;
} qf_config_signals;

typedef struct qf_config_risk {
    double vol_target;               /* annualised volatility target, fraction */
    double max_position_pct;         /* of equity, per symbol */
    double max_portfolio_leverage;   /* gross exposure / equity */
    double max_drawdown_pct;         /* kill switch threshold, fraction below peak */
    double max_concentration_pct;    /* exposure committed in one symbol / equity */
    double min_trade_usd;            /* smaller orders are skipped, quote currency */
    int staleness_threshold_minutes; /* data older than this blocks trading */
} qf_config_risk;

typedef struct qf_config_slippage_model {
    double fixed_spread_bps;  /* cost per trade (half the quoted spread), bps */
    double linear_impact_bps; /* impact per unit of participation, bps */
} qf_config_slippage_model;

typedef struct qf_config_execution {
    char mode[QF_CONFIG_NAME_MAX]; /* "paper" or "live" */
    int order_timeout_seconds;
    int max_retries;
    qf_config_slippage_model slippage_model;
} qf_config_execution;

typedef struct qf_config_fees_bps {
    double maker; /* bps, >= 0 */
    double taker; /* bps, >= 0 */
} qf_config_fees_bps;

/* One exchange's settings; Binance and Coinbase share the shape. */
typedef struct qf_config_exchange {
    bool sandbox;       /* use the exchange's test environment */
    int rate_limit_rpm; /* requests per minute we allow ourselves */
    qf_config_fees_bps fees_bps;
    char base_url[QF_CONFIG_STR_MAX];   /* REST endpoint, http(s):// */
    char api_key[QF_CONFIG_STR_MAX];    /* secret */
    char api_secret[QF_CONFIG_STR_MAX]; /* secret */
} qf_config_exchange;

typedef struct qf_config_exchanges {
    qf_config_exchange binance;
    qf_config_exchange coinbase;
} qf_config_exchanges;

typedef struct qf_config_monitoring {
    int prometheus_port;
    char alert_webhook_url[QF_CONFIG_STR_MAX];  /* secret (URLs embed tokens); "" = off */
    double drift_psi_threshold;                 /* PSI above this raises a drift alert */
    char telegram_bot_token[QF_CONFIG_STR_MAX]; /* secret; "" = off */
    char telegram_chat_id[QF_CONFIG_STR_MAX];
} qf_config_monitoring;

typedef struct qf_config_database {
    char driver[QF_CONFIG_NAME_MAX];      /* "sqlite" or "postgres" */
    char sqlite_path[QF_CONFIG_PATH_MAX]; /* SQLite file */
    char host[QF_CONFIG_STR_MAX];         /* PostgreSQL */
    int port;
    char name[QF_CONFIG_STR_MAX];
    char user[QF_CONFIG_STR_MAX];
    char password[QF_CONFIG_STR_MAX]; /* secret */
    char sslmode[QF_CONFIG_NAME_MAX]; /* "" (libpq default), disable ... verify-full */
} qf_config_database;

typedef struct qf_config_redis {
    char url[QF_CONFIG_STR_MAX]; /* accepted for compatibility with the original; unused */
} qf_config_redis;

typedef struct qf_config_worker {
    int signal_interval_hours;
    int candle_interval_hours;
    int sentiment_interval_minutes;
    int health_interval_seconds;
    int loop_sleep_seconds;
    int candle_backfill_hours;
    int sentiment_retention_hours;
} qf_config_worker;

typedef struct qf_config_portfolio {
    double initial_equity;    /* quote currency */
    int signal_lookback_bars; /* bars of history the live pipeline loads */
    int min_train_bars;       /* fewer bars: no model, no ML signal */
    int min_valid_labels;
    int vol_lookback_bars; /* bars of realized volatility for sizing */
} qf_config_portfolio;

typedef struct qf_config_api {
    char version[QF_CONFIG_NAME_MAX];
} qf_config_api;

#define QF_CONFIG_SOURCES_MAX       32 /* sentiment.source_weights capacity */
#define QF_CONFIG_SOURCE_WEIGHT_MAX 64 /* one "name=weight" entry */

typedef struct qf_config_sentiment {
    double decay_halflife_hours;
    int max_events_per_source;
    double staleness_hours;
    double dedup_window_hours;
    char source_weights[QF_CONFIG_SOURCES_MAX][QF_CONFIG_SOURCE_WEIGHT_MAX]; /* "name=weight" */
    size_t n_source_weights;
    double unknown_source_weight; /* credibility of sources not listed, [0, 1] */
    double burst_window_hours;    /* near-identical titles within this count once */
    double burst_similarity;      /* Jaccard similarity of title words, (0, 1] */
} qf_config_sentiment;

typedef struct qf_config_server {
    char bind[QF_CONFIG_STR_MAX]; /* listen address */
    int port;
} qf_config_server;

typedef struct qf_config_backtest {
    char fill_at[QF_CONFIG_NAME_MAX]; /* "next_open" or "close" */
    int latency_bars;                 /* extra bars before a next_open fill */
    int adv_window;                   /* bars of average dollar volume for impact */
    double max_participation;         /* share of a bar's volume that can fill, (0, 1] */
    int order_timeout_bars;           /* unfilled remainder is cancelled after this */
    bool allow_short;
} qf_config_backtest;

/* The whole configuration. Field paths equal YAML key paths. */
typedef struct qf_config {
    qf_config_universe universe;
    qf_config_features features;
    qf_config_model model;
    qf_config_regime regime;
    qf_config_signals signals;
    qf_config_risk risk;
    qf_config_execution execution;
    qf_config_exchanges exchanges;
    qf_config_monitoring monitoring;
    qf_config_database database;
    qf_config_redis redis;
    qf_config_worker worker;
    qf_config_portfolio portfolio;
    qf_config_api api;
    qf_config_sentiment sentiment;
    qf_config_server server;
    qf_config_backtest backtest;
} qf_config;

/* Fills cfg with the built-in defaults: the values config/default.yaml
 * yields, `${VAR:default}` placeholders included (read from the environment
 * now). An environment value that would be invalid is ignored with a warning
 * and the placeholder's default used instead, so this cannot fail. */
void qf_config_init(qf_config *cfg);

/* Releases what cfg owns (nothing today) and clears it; qf_config_init makes
 * it usable again. */
void qf_config_cleanup(qf_config *cfg);

/* Overlays the YAML file at path on cfg: keys present in the file replace
 * cfg's values, absent keys keep them. The result is validated as a whole
 * (qf_config_validate). On any failure - unreadable file (QF_EIO), YAML syntax
 * (QF_EPARSE; also NUL bytes, invalid UTF-8, nested deeper than 32 levels,
 * duplicate keys, aliases, tags), unknown key, wrong type or invalid value
 * (QF_ECONFIG) - cfg is unchanged and err names the key path, the reason and
 * the file:line. An empty or blank file is an error (QF_ECONFIG: most likely
 * a truncated or wrong file); one holding only comments is no overrides. An
 * unknown top-level section is logged as a warning and ignored (a newer
 * version's section); an unknown key inside a known section is an error. */
QF_NODISCARD qf_rc qf_config_load_file(qf_config *cfg, const char *path, qf_err *err);

/* Same as qf_config_load_file on len bytes of text; source_name is used in
 * messages ("myconf.yaml:23") and may be NULL ("<string>"). */
QF_NODISCARD qf_rc qf_config_load_string(qf_config *cfg, const char *text, size_t len,
                                         const char *source_name, qf_err *err);

/* Applies one "key.path=value" assignment. The value is YAML: a scalar
 * ("0.2", "'a # b'") or a flow sequence ("[BTC/USDT, ETH/USDT]"); a section
 * path takes a flow mapping. Converted and validated exactly like the file;
 * on failure cfg is unchanged. */
QF_NODISCARD qf_rc qf_config_set(qf_config *cfg, const char *assignment, qf_err *err);

/* Checks every key's rule and the cross-field rules (e.g. confidence_min_iqr
 * < confidence_max_iqr). Returns QF_ECONFIG with the first problem found. */
QF_NODISCARD qf_rc qf_config_validate(const qf_config *cfg, qf_err *err);

/* Writes cfg as YAML (every section, every key, effective values). With
 * mask_secrets, non-empty secrets are written as "***". QF_EIO if out fails. */
QF_NODISCARD qf_rc qf_config_write_yaml(const qf_config *cfg, FILE *out, int mask_secrets,
                                        qf_err *err);

/* cfg as nested JSON objects mirroring the YAML; the caller owns the result
 * (json_decref). NULL on out-of-memory. */
json_t *qf_config_to_json(const qf_config *cfg, int mask_secrets);

/* Rewrites the YAML file at path so that loading it over the defaults yields
 * cfg. Only values that differ from what the file already yields are
 * touched: each is replaced in place in the text, and missing keys are
 * inserted into their section (or a new section appended). Comments, layout
 * and `${...}` placeholders that still resolve to the value are kept byte for
 * byte. A file that does not exist is written in full, placeholders kept for
 * values equal to the defaults. The write is atomic (temporary file in the
 * same directory, fsync, rename) and the file keeps its mode; on failure the
 * file is untouched. cfg must validate. */
QF_NODISCARD qf_rc qf_config_save(const qf_config *cfg, const char *path, qf_err *err);

/* Registers every non-empty secret value of cfg with qf_log_add_secret() so
 * that no log line can show it. */
void qf_config_register_secrets(const qf_config *cfg);

#endif
