/*
 * config_schema.c - the one table describing every configuration key: its
 * dotted path (equal to the member path in qf_config), type, default text
 * (as config/default.yaml writes it), rule, flags and a one-line doc.
 *
 * Adding a key is adding a member to qf_config, a line here and a line to
 * config/default.yaml. Keep each section's keys together: the writers group
 * consecutive keys that share a prefix into one YAML section.
 */
#include "core/config_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "core/time.h"

/* ---- rules that are more than a range or a list of choices -------------- */

static const char *check_timeframe(const char *value)
{
    qf_timeframe tf;
    if (qf_timeframe_parse(value, &tf, NULL) != QF_OK)
        return "must be one of 1m, 5m, 15m, 1h, 4h, 1d";
    return NULL;
}

static const char *check_symbol(const char *value)
{
    if (qf_symbol_validate(value, NULL) != QF_OK)
        return "must be BASE/QUOTE in upper case (e.g. BTC/USDT)";
    return NULL;
}

/* "" passes: an empty URL switches the feature off (QF_CF_NONEMPTY forbids it). */
static const char *check_url(const char *value)
{
    if (value[0] == '\0' || strncmp(value, "http://", 7) == 0 || strncmp(value, "https://", 8) == 0)
        return NULL;
    return "must start with http:// or https://";
}

/* sentiment.source_weights entries: "name=weight", a name without '=' or
 * surrounding blanks, a weight in [0, 1]. */
static const char *check_source_weight(const char *value)
{
    const char *eq = strchr(value, '=');
    if (eq == NULL || eq == value || eq[-1] == ' ' || value[0] == ' ')
        return "must be name=weight (e.g. CoinTelegraph=1.0)";
    char *end = NULL;
    double w = strtod(eq + 1, &end);
    if (end == eq + 1 || *end != '\0' || !(w >= 0 && w <= 1))
        return "must be name=weight with a weight in [0, 1]";
    return NULL;
}

/* ---- table-building macros --------------------------------------------- */

#define MEMBER(m) (((qf_config *)0)->m)
#define FIELD(m)  .path = #m, .off = offsetof(qf_config, m), .size = sizeof MEMBER(m)
#define LFIELD(m, count)                                                                           \
    .path = #m, .off = offsetof(qf_config, m), .size = sizeof MEMBER(m)[0],                        \
    .count_off = offsetof(qf_config, count), .max_n = sizeof MEMBER(m) / sizeof MEMBER(m)[0]

#define ANY                                                                                        \
    {                                                                                              \
        0                                                                                          \
    }
#define GE(a)                                                                                      \
    {                                                                                              \
        .lo = (a), .has_lo = 1                                                                     \
    }
#define GT(a)                                                                                      \
    {                                                                                              \
        .lo = (a), .has_lo = 1, .lo_open = 1                                                       \
    }
#define CC(a, b)                                                                                   \
    {                                                                                              \
        .lo = (a), .hi = (b), .has_lo = 1, .has_hi = 1                                             \
    }
#define OC(a, b)                                                                                   \
    {                                                                                              \
        .lo = (a), .hi = (b), .has_lo = 1, .has_hi = 1, .lo_open = 1                               \
    }
#define OO(a, b)                                                                                   \
    {                                                                                              \
        .lo = (a), .hi = (b), .has_lo = 1, .has_hi = 1, .lo_open = 1, .hi_open = 1                 \
    }
#define PERIOD   GE(1)
#define FRACTION OC(0, 1)
#define PORT     CC(1, 65535)

#define K_STR(m, dflt, chk, fl, d)                                                                 \
    {                                                                                              \
        FIELD(m), .type = QF_CT_STRING, .def = dflt, .check = chk, .flags = fl, .doc = d           \
    }
#define K_ENUM(m, dflt, ch, fl, d)                                                                 \
    {                                                                                              \
        FIELD(m), .type = QF_CT_ENUM, .def = dflt, .choices = ch, .flags = fl, .doc = d            \
    }
#define K_INT(m, dflt, rng, fl, d)                                                                 \
    {                                                                                              \
        FIELD(m), .type = QF_CT_INT, .def = dflt, .range = rng, .flags = fl, .doc = d              \
    }
#define K_DBL(m, dflt, rng, fl, d)                                                                 \
    {                                                                                              \
        FIELD(m), .type = QF_CT_DOUBLE, .def = dflt, .range = rng, .flags = fl, .doc = d           \
    }
#define K_BOOL(m, dflt, fl, d)                                                                     \
    {                                                                                              \
        FIELD(m), .type = QF_CT_BOOL, .def = dflt, .flags = fl, .doc = d                           \
    }
#define K_SLIST(m, count, dflt, ch, chk, fl, d)                                                    \
    {                                                                                              \
        LFIELD(m, count), .type = QF_CT_STRLIST, .def = dflt, .choices = ch, .check = chk,         \
                          .flags = fl, .doc = d                                                    \
    }
#define K_DLIST(m, count, dflt, rng, fl, d)                                                        \
    {                                                                                              \
        LFIELD(m, count), .type = QF_CT_DBLLIST, .def = dflt, .range = rng, .flags = fl, .doc = d  \
    }

#define SECRET   QF_CF_SECRET
#define NONEMPTY QF_CF_NONEMPTY
#define NEW      QF_CF_NEW

/* clang-format off */
const qf_cfg_key qf_cfg_keys[] = {
    K_SLIST(universe.symbols, universe.n_symbols, "[BTC/USDT, ETH/USDT, SOL/USDT, AVAX/USDT, DOGE/USDT]",
            NULL, check_symbol, NONEMPTY | QF_CF_UNIQUE, "traded symbols, BASE/QUOTE"),
    K_STR(universe.timeframe, "4h", check_timeframe, 0, "bar length: 1m 5m 15m 1h 4h 1d"),
    K_INT(universe.lookback_days, "730", PERIOD, 0, "history backfill fetches, days"),

    K_BOOL(features.use_orderbook, "false", 0, "compute order-book features"),
    K_INT(features.technical.rsi_period, "14", PERIOD, 0, "RSI lookback, bars"),
    K_INT(features.technical.atr_period, "14", PERIOD, 0, "ATR lookback, bars"),
    K_INT(features.technical.bb_period, "20", GE(2), 0, "Bollinger window, bars"),
    K_DBL(features.technical.bb_std, "2.0", GT(0), 0, "Bollinger band width, standard deviations"),
    K_INT(features.technical.vol_window, "24", GE(2), 0, "realized volatility window, bars"),
    K_INT(features.technical.vwap_period, "24", PERIOD, 0, "rolling VWAP window, bars"),
    K_DBL(features.technical.bars_per_year, "2190", GT(0), 0,
          "annualisation, bars per year (2190 for 4h bars)"),
    K_ENUM(features.normalization.method, "rolling_zscore", "rolling_zscore", 0,
           "feature normalisation: rolling_zscore"),
    K_INT(features.normalization.window, "100", GE(2), 0, "rolling statistics window, bars"),
    K_INT(features.normalization.shift, "1", GE(0), 0,
          "statistics from bars t-window .. t-shift; < window"),

    K_ENUM(model.type, "lightgbm_quantile", "lightgbm_quantile|xgboost", 0,
           "quantile GBDT (XGBoost); lightgbm_quantile is the original's name, an alias"),
    K_INT(model.n_estimators, "200", PERIOD, 0, "boosting rounds"),
    K_DBL(model.learning_rate, "0.05", FRACTION, 0, "shrinkage per round, (0, 1]"),
    K_INT(model.max_depth, "6", CC(-1, 64), 0, "tree depth limit; -1 or 0 = none"),
    K_INT(model.num_leaves, "31", GE(2), 0, "leaves per tree (XGBoost max_leaves, lossguide)"),
    K_DLIST(model.quantiles, model.n_quantiles, "[0.1, 0.25, 0.5, 0.75, 0.9]", OO(0, 1),
            NONEMPTY | QF_CF_INCREASING, "predicted quantiles, strictly increasing in (0, 1)"),
    K_INT(model.seed, "42", GE(0), NEW, "XGBoost seed: same seed and data, same model"),
    K_INT(model.n_threads, "0", CC(0, 1024), NEW, "XGBoost threads; 0 = one per core"),
    K_DBL(model.min_child_weight, "1.0", GE(0), NEW, "least hessian in a leaf (rows, quantiles)"),
    K_DBL(model.subsample, "1.0", FRACTION, NEW, "share of rows sampled per tree, (0, 1]"),
    K_STR(model.registry_dir, "var/models", NULL, NONEMPTY | NEW,
          "model registry: one directory per trained model"),
    K_INT(model.walk_forward.train_bars, "1000", PERIOD, 0, "training window, bars"),
    K_INT(model.walk_forward.test_bars, "100", PERIOD, 0, "test window and step, bars"),
    K_INT(model.walk_forward.purge_bars, "3", GE(0), 0,
          "gap before each test window, bars; raised to the label horizon at run time"),
    K_INT(model.walk_forward.embargo_bars, "2", GE(0), 0, "gap after each test window, bars"),
    K_ENUM(model.labeling.method, "triple_barrier", "triple_barrier", 0, "labels: triple_barrier"),
    K_DBL(model.labeling.profit_taking_pct, "0.03", FRACTION, 0, "upper barrier, fraction"),
    K_DBL(model.labeling.stop_loss_pct, "0.015", FRACTION, 0, "lower barrier, fraction"),
    K_INT(model.labeling.max_holding_bars, "12", PERIOD, 0, "time barrier (label horizon), bars"),
    K_DBL(model.labeling.neutral_pct, "0.005", CC(0, 1), 0,
          "|return| below this at the time barrier is neutral, fraction"),

    K_ENUM(regime.model, "gaussian_hmm", "gaussian_hmm", 0, "regime detector: gaussian_hmm"),
    K_INT(regime.n_states, "3", CC(2, 16), 0, "hidden states"),
    K_SLIST(regime.features, regime.n_features, "[log_returns, realized_vol]",
            "log_returns|realized_vol", NULL, NONEMPTY | QF_CF_UNIQUE,
            "HMM inputs: log_returns, realized_vol"),
    K_INT(regime.retrain_interval_days, "7", PERIOD, 0, "refit period, days of bars"),
    K_INT(regime.n_restarts, "5", CC(1, 1000), NEW,
          "HMM fit: k-means++ starts, the best likelihood wins"),
    K_INT(regime.max_iter, "200", CC(1, 100000), NEW, "HMM fit: Baum-Welch iterations per start"),
    K_DBL(regime.tol, "1.0e-6", GE(0), NEW,
          "HMM fit: stop when the log-likelihood gains less than this per bar"),
    K_DBL(regime.covariance_reg, "1.0e-3", OC(0, 1), NEW,
          "HMM fit: covariance ridge, fraction of each feature's variance"),
    K_INT(regime.seed, "42", GE(0), NEW, "HMM fit seed: same seed and data, same model"),

    K_ENUM(signals.fusion.method, "regime_gated_moe", "regime_gated_moe", 0,
           "fusion: regime_gated_moe"),
    K_DBL(signals.fusion.regime_weights.trending.technical, "0.4", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.regime_weights.trending.ml, "0.5", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.regime_weights.trending.sentiment, "0.1", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.regime_weights.mean_reverting.technical, "0.5", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.regime_weights.mean_reverting.ml, "0.3", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.regime_weights.mean_reverting.sentiment, "0.2", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.regime_weights.choppy.technical, "0.3", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.regime_weights.choppy.ml, "0.3", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.regime_weights.choppy.sentiment, "0.4", CC(0, 1), 0, "weight, [0, 1]"),
    K_DBL(signals.fusion.choppy_scale, "0.5", CC(0, 1), 0, "strength multiplier when choppy, [0, 1]"),
    K_DBL(signals.fusion.direction_threshold, "0.02", CC(0, 1), 0, "|strength| below this is flat"),
    K_DBL(signals.fusion.confidence_min_iqr, "0.2", GE(0), 0,
          "normalised IQR at or below which confidence is 1"),
    K_DBL(signals.fusion.confidence_max_iqr, "2.0", GT(0), 0,
          "normalised IQR at or above which confidence is 0; > confidence_min_iqr"),
    K_ENUM(signals.fusion.confidence_source, "iqr", "iqr|classifier", NEW,
           "model confidence from: iqr (quantile IQR) | classifier (top probability)"),

    K_DBL(risk.vol_target, "0.15", FRACTION, 0, "annualised volatility target, fraction"),
    K_DBL(risk.max_position_pct, "0.25", FRACTION, 0, "largest position, fraction of equity"),
    K_DBL(risk.max_portfolio_leverage, "1.0", GT(0), 0, "gross exposure / equity"),
    K_DBL(risk.max_drawdown_pct, "0.15", FRACTION, 0, "kill switch drawdown, fraction below peak"),
    K_DBL(risk.max_concentration_pct, "0.3", FRACTION, 0,
          "exposure committed in one symbol (position + working orders), fraction of equity"),
    K_DBL(risk.min_trade_usd, "10.0", GE(0), 0, "smaller orders are skipped, USD"),
    K_INT(risk.staleness_threshold_minutes, "360", PERIOD, 0,
          "data older than this blocks trading, minutes"),

    K_ENUM(execution.mode, "paper", "paper|live", 0, "paper | live"),
    K_INT(execution.order_timeout_seconds, "120", PERIOD, 0, "cancel unfilled orders after, s"),
    K_INT(execution.max_retries, "3", CC(0, 100), 0, "re-sends of a failed order"),
    K_DBL(execution.slippage_model.fixed_spread_bps, "5.0", GE(0), 0,
          "cost per trade (half the quoted spread), bps"),
    K_DBL(execution.slippage_model.linear_impact_bps, "2.0", GE(0), 0,
          "impact per unit of volume participation, bps"),

    K_BOOL(exchanges.binance.sandbox, "false", 0, "use the Binance testnet"),
    K_INT(exchanges.binance.rate_limit_rpm, "1200", PERIOD, 0, "requests per minute"),
    K_DBL(exchanges.binance.fees_bps.maker, "10.0", GE(0), 0, "maker fee, bps"),
    K_DBL(exchanges.binance.fees_bps.taker, "10.0", GE(0), 0, "taker fee, bps"),
    K_STR(exchanges.binance.base_url, "https://api.binance.com", check_url, NONEMPTY | NEW,
          "REST endpoint"),
    K_STR(exchanges.binance.api_key, "${BINANCE_API_KEY:}", NULL, SECRET, "API key (secret)"),
    K_STR(exchanges.binance.api_secret, "${BINANCE_API_SECRET:}", NULL, SECRET,
          "API secret (secret)"),
    K_BOOL(exchanges.coinbase.sandbox, "false", 0, "use the Coinbase sandbox"),
    K_INT(exchanges.coinbase.rate_limit_rpm, "600", PERIOD, 0, "requests per minute"),
    K_DBL(exchanges.coinbase.fees_bps.maker, "40.0", GE(0), 0, "maker fee, bps"),
    K_DBL(exchanges.coinbase.fees_bps.taker, "60.0", GE(0), 0, "taker fee, bps"),
    K_STR(exchanges.coinbase.base_url, "https://api.coinbase.com", check_url, NONEMPTY | NEW,
          "REST endpoint"),
    K_STR(exchanges.coinbase.api_key, "${COINBASE_API_KEY:}", NULL, SECRET, "API key (secret)"),
    K_STR(exchanges.coinbase.api_secret, "${COINBASE_API_SECRET:}", NULL, SECRET,
          "API secret (secret)"),

    K_INT(monitoring.prometheus_port, "9090", PORT, 0, "Prometheus exporter port"),
    K_STR(monitoring.alert_webhook_url, "''", check_url, SECRET,
          "alert webhook, '' = off (secret: URLs embed tokens)"),
    K_DBL(monitoring.drift_psi_threshold, "0.2", GT(0), 0, "PSI above this is drift"),
    K_STR(monitoring.telegram_bot_token, "${TELEGRAM_BOT_TOKEN:}", NULL, SECRET,
          "Telegram bot token (secret), '' = off"),
    K_STR(monitoring.telegram_chat_id, "${TELEGRAM_CHAT_ID:}", NULL, 0, "Telegram chat id"),

    K_ENUM(database.driver, "sqlite", "sqlite|postgres", NEW, "sqlite | postgres"),
    K_STR(database.sqlite_path, "var/quantflow.db", NULL, NONEMPTY | NEW, "SQLite database file"),
    K_STR(database.host, "${POSTGRES_HOST:localhost}", NULL, 0, "PostgreSQL host"),
    K_INT(database.port, "${POSTGRES_PORT:5432}", PORT, 0, "PostgreSQL port"),
    K_STR(database.name, "${POSTGRES_DB:trading}", NULL, 0, "PostgreSQL database"),
    K_STR(database.user, "${POSTGRES_USER:trading}", NULL, 0, "PostgreSQL user"),
    K_STR(database.password, "${POSTGRES_PASSWORD:changeme}", NULL, SECRET,
          "PostgreSQL password (secret)"),
    K_ENUM(database.sslmode, "${POSTGRES_SSLMODE:}",
           "|disable|allow|prefer|require|verify-ca|verify-full", 0,
           "libpq sslmode, '' = libpq default"),

    K_STR(redis.url, "${REDIS_URL:redis://localhost:6379/0}", NULL, 0,
          "accepted for compatibility with the original; unused"),

    K_INT(worker.signal_interval_hours, "1", PERIOD, 0, "signal pipeline period, hours"),
    K_INT(worker.candle_interval_hours, "1", PERIOD, 0, "candle ingest period, hours"),
    K_INT(worker.sentiment_interval_minutes, "5", PERIOD, 0, "sentiment poll period, minutes"),
    K_INT(worker.health_interval_seconds, "60", PERIOD, 0, "health check period, s"),
    K_INT(worker.loop_sleep_seconds, "10", PERIOD, 0, "scheduler tick, s"),
    K_INT(worker.candle_backfill_hours, "2", PERIOD, 0, "re-fetch window on each ingest, hours"),
    K_INT(worker.sentiment_retention_hours, "24", PERIOD, 0, "sentiment events kept, hours"),

    K_DBL(portfolio.initial_equity, "100000.0", GT(0), 0, "starting equity, USD"),
    K_INT(portfolio.signal_lookback_bars, "1200", PERIOD, 0, "history the live pipeline loads, bars"),
    K_INT(portfolio.min_train_bars, "200", PERIOD, 0,
          "fewer bars: no model; <= signal_lookback_bars"),
    K_INT(portfolio.min_valid_labels, "200", PERIOD, 0, "fewer labels: no model"),
    K_INT(portfolio.vol_lookback_bars, "90", GE(2), 0, "realized volatility for sizing, bars"),

    K_STR(api.version, "0.1.0", NULL, NONEMPTY, "API version reported by the server"),

    K_DBL(sentiment.decay_halflife_hours, "12.0", GT(0), 0, "score half-life, hours"),
    K_INT(sentiment.max_events_per_source, "10", PERIOD, 0, "events counted per source"),
    K_DBL(sentiment.staleness_hours, "24.0", GT(0), 0, "older events are ignored, hours"),
    K_DBL(sentiment.dedup_window_hours, "6.0", GE(0), 0, "same headline within this is one, hours"),
    K_SLIST(sentiment.source_weights, sentiment.n_source_weights,
            "[CoinTelegraph=1.0, CryptoNews=1.0, CryptoPotato=1.0]", NULL, check_source_weight,
            QF_CF_UNIQUE | NEW, "credibility per source: name=weight, weight in [0, 1]"),
    K_DBL(sentiment.unknown_source_weight, "0.3", CC(0, 1), NEW,
          "credibility of a source not in source_weights"),
    K_DBL(sentiment.burst_window_hours, "1.0", GE(0), NEW,
          "near-identical titles within this count once, hours"),
    K_DBL(sentiment.burst_similarity, "0.8", OC(0, 1), NEW,
          "title word-set Jaccard similarity that makes titles near-identical"),

    K_STR(server.bind, "127.0.0.1", NULL, NONEMPTY | NEW, "listen address"),
    K_INT(server.port, "8000", PORT, NEW, "listen port"),

    K_ENUM(backtest.fill_at, "next_open", "next_open|close", NEW,
           "next_open | close: fill price of an order decided at bar t"),
    K_INT(backtest.latency_bars, "0", GE(0), NEW, "extra bars before a next_open fill"),
    K_INT(backtest.adv_window, "24", PERIOD, NEW, "average dollar volume window for impact, bars"),
    K_DBL(backtest.max_participation, "0.1", FRACTION, NEW, "share of a bar's volume that can fill"),
    K_INT(backtest.order_timeout_bars, "6", PERIOD, NEW, "unfilled remainder cancelled after, bars"),
    K_BOOL(backtest.allow_short, "false", NEW, "allow short positions"),
};
/* clang-format on */

const size_t qf_cfg_n_keys = sizeof qf_cfg_keys / sizeof qf_cfg_keys[0];

_Static_assert(sizeof qf_cfg_keys / sizeof qf_cfg_keys[0] <= QF_CFG_KEYS_MAX,
               "raise QF_CFG_KEYS_MAX");

int qf_cfg_find(const char *path, size_t len)
{
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        const char *p = qf_cfg_keys[i].path;
        if (strncmp(p, path, len) == 0 && p[len] == '\0')
            return (int)i;
    }
    return -1;
}

int qf_cfg_is_section(const char *path, size_t len)
{
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        const char *p = qf_cfg_keys[i].path;
        if (strncmp(p, path, len) == 0 && p[len] == '.')
            return 1;
    }
    return 0;
}

size_t qf_cfg_depth(const char *path)
{
    size_t n = 1;
    for (const char *p = path; *p != '\0'; p++)
        n += *p == '.';
    return n;
}

const char *qf_cfg_segment(const char *path, size_t i, size_t *out_len)
{
    const char *s = path;
    for (; i > 0; i--) {
        const char *dot = strchr(s, '.');
        if (dot == NULL) {
            *out_len = 0;
            return s + strlen(s);
        }
        s = dot + 1;
    }
    const char *dot = strchr(s, '.');
    *out_len = dot != NULL ? (size_t)(dot - s) : strlen(s);
    return s;
}
