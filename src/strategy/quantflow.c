/*
 * quantflow.c - QuantFlow's own strategy, behind the engines' strategy
 * interface: at the close of each bar, per symbol,
 *
 *   streaming features -> rolling z-scores (the model's inputs)
 *   -> filtered HMM regime -> GBDT prediction (class probabilities and
 *   return quantiles) -> sentiment as of the close -> regime-gated fusion
 *   -> volatility-target sizing -> risk checks -> target position.
 *
 * Walk-forward inside the run: the model in use at bar t was trained on the
 * z-scored features of the last model.walk_forward.train_bars bars whose
 * labels are known at t (label i looks max_holding_bars ahead, so rows
 * i <= t - h), and is retrained every test_bars bars; the HMM is refitted on
 * the same schedule on the last train_bars bars of (regime.features) and its
 * filter replayed over them, so the regime at t is P(state_t | obs <= t).
 * Nothing at bar t reads a bar after t.
 *
 * Until the first model exists (train_bars + h bars of history) the ML
 * expert has no score and fusion stays flat, unless ML is switched off.
 *
 * Parameters (ablation switches, 1 = on): ml, technical, sentiment,
 * regime_gating (0: fixed weights, no regime), vol_target (0: a fixed
 * max_position_pct in the signal's direction), risk (0: no drawdown kill
 * switch and no pre-trade checks), retrain (0: train once, never again).
 * Everything else comes from the configuration (params->env->cfg).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "features/featureset.h"
#include "features/normalize.h"
#include "model/gbdt.h"
#include "model/labels.h"
#include "risk/checks.h"
#include "risk/sizer.h"
#include "signal/fusion.h"
#include "signal/hmm.h"
#include "signal/regime.h"
#include "signal/sentiment.h"
#include "strategy/quantflow.h"

#define NF QF_TECH_FEATURES

static const char *const qf_param_names[] = {
    "ml", "technical", "sentiment", "regime_gating", "vol_target", "risk", "retrain"};
static const double qf_param_defaults[] = {1, 1, 1, 1, 1, 1, 1};
enum { P_ML, P_TECH, P_SENT, P_REGIME, P_VOL, P_RISK, P_RETRAIN, P_COUNT };

typedef struct sym_state {
    qf_feature_stream *fs;
    qf_zscore_stream *zs;
    double *raw; /* n rows of NF raw features, row-major */
    double *z;   /* n rows of NF z-scores */
    size_t n, cap;
    qf_gbdt *model;
    size_t trained_at; /* bar of the last (re)training attempt */
    int tried;
    qf_hmm hmm;
    qf_regime_map map;
    qf_hmm_filter filt;
    int have_hmm;
    double peak; /* running peak of equity (risk) */
    int killed;  /* drawdown kill switch tripped: flat for the rest of the run */
    qf_sentiment_scorer *sent;
} sym_state;

/* What the regime detector and the model say at one bar: the part of a
 * decision that only depends on the bars and the configuration, which a
 * cache can share between runs (the ablation variants). */
typedef struct model_out {
    int8_t regime;    /* qf_regime */
    int8_t have_pred; /* a model prediction exists */
    double proba[QF_GBDT_CLASSES];
    double q[QF_GBDT_QUANTILES_MAX];
} model_out;

typedef struct cache_sym {
    model_out *v;
    uint8_t *have; /* bar recorded */
    size_t cap;
} cache_sym;

struct qf_quantflow_cache {
    size_t n_sym;
    int retrain; /* the retrain switch of the run that recorded it; -1: empty */
    cache_sym *s;
};

struct qf_quantflow_state {
    int on[P_COUNT];
    qf_feature_params fp;
    qf_label_params lp;
    qf_gbdt_params gp;
    qf_hmm_fit_params hp;
    qf_fusion_params fu;
    qf_sizer_params sz;
    qf_risk_limits rl;
    int zwindow, zshift;
    size_t train_bars, test_bars;
    int hmm_dims[QF_HMM_MAX_DIM];
    int n_hmm_dims, vol_dim;
    int q25, q75; /* indices of the 0.25 and 0.75 quantiles, -1 when absent */
    const char *const *symbols;
    int64_t bar_ms;
    size_t n_sym;
    sym_state *s;
    /* training scratch: train_bars rows */
    double *close_buf;
    int8_t *lab;
    double *fwd;
    qf_quantflow_cache *cache; /* NULL: none */
    int use_cache, record_cache;
    qf_quantflow_stats stats;
};

static const char *feature_name(size_t k)
{
    return qf_feature_set_technical()->feature_names[k];
}

static int feature_index(const char *name)
{
    for (size_t k = 0; k < NF; k++)
        if (strcmp(feature_name(k), name) == 0)
            return (int)k;
    return -1;
}

static void sym_free(sym_state *y)
{
    qf_feature_stream_free(y->fs);
    qf_zscore_stream_free(y->zs);
    free(y->raw);
    free(y->z);
    qf_gbdt_free(y->model);
    qf_sentiment_scorer_free(y->sent);
    memset(y, 0, sizeof *y);
}

static void qf_free(void *state)
{
    qf_quantflow_state *q = state;
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->n_sym && q->s != NULL; i++)
        sym_free(&q->s[i]);
    free(q->s);
    free(q->close_buf);
    free(q->lab);
    free(q->fwd);
    free(q);
}

static qf_rc sym_reset(qf_quantflow_state *q, sym_state *y, qf_err *err)
{
    qf_feature_stream_free(y->fs);
    qf_zscore_stream_free(y->zs);
    y->fs = NULL;
    y->zs = NULL;
    y->n = 0;
    qf_gbdt_free(y->model);
    y->model = NULL;
    y->tried = 0;
    y->have_hmm = 0;
    y->peak = 0.0;
    y->killed = 0;
    qf_rc rc = qf_feature_stream_new(&q->fp, &y->fs, err);
    if (rc == QF_OK)
        rc = qf_zscore_stream_new(NF, q->zwindow, q->zshift, &y->zs, err);
    return rc;
}

static qf_rc qf_init(const qf_strategy_params *p, size_t n_symbols, void **out_state, qf_err *err)
{
    const qf_strategy_env *env = p != NULL ? p->env : NULL;
    if (env == NULL || env->cfg == NULL)
        return qf_err_set(err, QF_EINVAL, "quantflow: needs the configuration (strategy env)");
    if (env->n_symbols != n_symbols || env->symbols == NULL)
        return qf_err_set(err, QF_EINVAL,
                          "quantflow: the environment names %zu symbols, the run %zu",
                          env->n_symbols, n_symbols);
    const qf_config *cfg = env->cfg;
    qf_quantflow_state *q = calloc(1, sizeof *q);
    if (q == NULL)
        return qf_err_set(err, QF_ENOMEM, "quantflow: out of memory");
    qf_rc rc = QF_OK;
    for (int k = 0; k < P_COUNT; k++) {
        double v = qf_strategy_params_get(p, qf_param_names[k], qf_param_defaults[k]);
        if (v != 0.0 && v != 1.0) {
            rc = qf_err_set(err, QF_EINVAL, "quantflow: %s must be 0 or 1, got %g",
                            qf_param_names[k], v);
            break;
        }
        q->on[k] = v == 1.0;
    }
    const qf_config_technical *t = &cfg->features.technical;
    q->fp = (qf_feature_params){t->rsi_period, t->atr_period,  t->bb_period,    t->bb_std,
                                t->vol_window, t->vwap_period, t->bars_per_year};
    q->lp = qf_label_params_from_config(&cfg->model.labeling);
    q->gp = qf_gbdt_params_from_config(cfg);
    q->hp = qf_hmm_fit_params_from_config(&cfg->regime);
    qf_fusion_params_from_config(&cfg->signals.fusion, &q->fu);
    q->sz = qf_sizer_params_from_config(&cfg->risk);
    q->rl = qf_risk_limits_from_config(&cfg->risk);
    q->zwindow = cfg->features.normalization.window;
    q->zshift = cfg->features.normalization.shift;
    q->train_bars = (size_t)cfg->model.walk_forward.train_bars;
    q->test_bars = (size_t)cfg->model.walk_forward.test_bars;
    q->symbols = env->symbols;
    q->cache = env->quantflow_cache;
    q->bar_ms = env->bar_ms;
    q->n_sym = n_symbols;
    if (!q->on[P_TECH])
        q->fu.disabled |= QF_EXPERT_BIT(QF_EXPERT_TECHNICAL);
    if (!q->on[P_ML])
        q->fu.disabled |= QF_EXPERT_BIT(QF_EXPERT_ML);
    if (!q->on[P_SENT])
        q->fu.disabled |= QF_EXPERT_BIT(QF_EXPERT_SENTIMENT);
    if (!q->on[P_REGIME])
        q->fu.fixed_weights = 1;
    if (rc == QF_OK)
        rc = qf_feature_params_check(&q->fp, err);
    if (rc == QF_OK)
        rc = qf_label_params_check(&q->lp, err);
    if (rc == QF_OK)
        rc = qf_gbdt_params_check(&q->gp, err);
    if (rc == QF_OK)
        rc = qf_hmm_fit_params_check(&q->hp, err);
    if (rc == QF_OK)
        rc = qf_fusion_params_check(&q->fu, err);
    if (rc == QF_OK)
        rc = qf_sizer_params_check(&q->sz, err);
    if (rc == QF_OK)
        rc = qf_risk_limits_check(&q->rl, err);
    if (rc == QF_OK && (q->train_bars < 2 || q->test_bars < 1))
        rc = qf_err_set(err, QF_EINVAL, "quantflow: walk-forward train_bars %zu / test_bars %zu",
                        q->train_bars, q->test_bars);
    /* the regime inputs, by feature name */
    q->n_hmm_dims = (int)cfg->regime.n_features;
    for (int d = 0; rc == QF_OK && d < q->n_hmm_dims; d++) {
        q->hmm_dims[d] = feature_index(cfg->regime.features[d]);
        if (q->hmm_dims[d] < 0)
            rc = qf_err_set(err, QF_EINVAL,
                            "quantflow: regime.features: '%s' is not a feature of %s",
                            cfg->regime.features[d], qf_feature_set_technical()->name);
    }
    q->vol_dim = qf_regime_vol_dim(&cfg->regime);
    q->q25 = q->q75 = -1;
    for (size_t k = 0; k < q->gp.n_quantiles; k++) {
        if (q->gp.quantiles[k] == 0.25)
            q->q25 = (int)k;
        if (q->gp.quantiles[k] == 0.75)
            q->q75 = (int)k;
    }
    if (rc == QF_OK && q->fu.confidence_source == QF_CONFIDENCE_IQR && q->on[P_ML] &&
        (q->q25 < 0 || q->q75 < 0))
        rc = qf_err_set(err, QF_EINVAL,
                        "quantflow: confidence_source iqr needs the 0.25 and 0.75 quantiles in "
                        "model.quantiles");
    if (rc == QF_OK) {
        q->s = calloc(n_symbols, sizeof *q->s);
        q->close_buf = malloc((q->train_bars + (size_t)q->lp.max_holding_bars) * sizeof(double));
        q->lab = malloc(q->train_bars + (size_t)q->lp.max_holding_bars);
        q->fwd = malloc((q->train_bars + (size_t)q->lp.max_holding_bars) * sizeof(double));
        if (q->s == NULL || q->close_buf == NULL || q->lab == NULL || q->fwd == NULL)
            rc = qf_err_set(err, QF_ENOMEM, "quantflow: out of memory");
    }
    qf_sentiment_params sp;
    if (rc == QF_OK)
        rc = qf_sentiment_params_from_config(&cfg->sentiment, &sp, err);
    if (rc == QF_OK && q->cache != NULL) {
        if (q->cache->n_sym != n_symbols)
            rc = qf_err_set(err, QF_EINVAL, "quantflow: the cache is for %zu symbols, the run %zu",
                            q->cache->n_sym, n_symbols);
        else if (q->cache->retrain < 0 && q->on[P_ML])
            q->record_cache = 1;
        else if (q->cache->retrain == q->on[P_RETRAIN])
            q->use_cache = 1;
        if (q->record_cache)
            q->cache->retrain = q->on[P_RETRAIN];
    }
    for (size_t i = 0; rc == QF_OK && i < n_symbols; i++) {
        rc = sym_reset(q, &q->s[i], err);
        if (rc == QF_OK)
            rc = qf_sentiment_scorer_new(&sp, env->events != NULL ? env->events[i] : NULL,
                                         env->events != NULL ? env->n_events[i] : 0, &q->s[i].sent,
                                         err);
    }
    if (rc != QF_OK) {
        qf_free(q);
        return rc;
    }
    *out_state = q;
    return QF_OK;
}

static qf_rc grow(sym_state *y, size_t need, qf_err *err)
{
    if (need <= y->cap)
        return QF_OK;
    size_t cap = y->cap ? y->cap : 1024;
    while (cap < need)
        cap *= 2;
    double *raw = realloc(y->raw, cap * NF * sizeof *raw);
    if (raw == NULL)
        return qf_err_set(err, QF_ENOMEM, "quantflow: out of memory");
    y->raw = raw;
    double *z = realloc(y->z, cap * NF * sizeof *z);
    if (z == NULL)
        return qf_err_set(err, QF_ENOMEM, "quantflow: out of memory");
    y->z = z;
    y->cap = cap;
    return QF_OK;
}

/* The regime inputs of row i. */
static void hmm_obs(const qf_quantflow_state *q, const sym_state *y, size_t i, double *x)
{
    for (int d = 0; d < q->n_hmm_dims; d++)
        x[d] = y->raw[i * NF + (size_t)q->hmm_dims[d]];
}

/* Refits the HMM on rows [lo, i] and replays its filter over them. A fit
 * that fails on the data (too few finite rows) keeps the previous model. */
static qf_rc refit_hmm(qf_quantflow_state *q, sym_state *y, size_t lo, size_t i, qf_err *err)
{
    qf_hmm_series s = {.n = i - lo + 1, .n_dims = q->n_hmm_dims};
    /* the series is by column; the rows are by bar (one allocation a refit) */
    double *cols = malloc((size_t)q->n_hmm_dims * s.n * sizeof *cols);
    if (cols == NULL)
        return qf_err_set(err, QF_ENOMEM, "quantflow: out of memory");
    for (int d = 0; d < q->n_hmm_dims; d++) {
        for (size_t r = 0; r < s.n; r++)
            cols[(size_t)d * s.n + r] = y->raw[(lo + r) * NF + (size_t)q->hmm_dims[d]];
        s.col[d] = cols + (size_t)d * s.n;
    }
    qf_hmm m;
    qf_hmm_fit_report rep;
    qf_err e2;
    qf_err_clear(&e2);
    /* From the model in use when there is one (Baum-Welch warm start: a few
     * ms instead of the restarts' tens), from k-means++ restarts otherwise. */
    qf_rc rc = y->have_hmm ? qf_hmm_refit(&s, &q->hp, &y->hmm, &m, &rep, &e2)
                           : qf_hmm_fit(&s, &q->hp, &m, &rep, &e2);
    free(cols);
    if (rc == QF_EINVAL) {
        q->stats.hmm_fit_failures++;
        return QF_OK;
    }
    if (rc != QF_OK) {
        *err = e2;
        return rc;
    }
    qf_regime_map map;
    rc = qf_regime_map_build(&m, q->vol_dim, &map, err);
    if (rc != QF_OK)
        return rc;
    y->hmm = m;
    y->map = map;
    y->have_hmm = 1;
    qf_hmm_filter_init(&y->filt, &y->hmm);
    double x[QF_HMM_MAX_DIM];
    for (size_t r = lo; r <= i; r++) {
        hmm_obs(q, y, r, x);
        (void)qf_hmm_filter_step(&y->filt, x, NULL);
    }
    q->stats.hmm_fits++;
    return QF_OK;
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Trains the model at bar i on the rows whose labels are known at i. */
static qf_rc retrain_at(qf_quantflow_state *q, sym_state *y, const qf_bars *b, size_t i,
                        qf_err *err)
{
    size_t h = (size_t)q->lp.max_holding_bars;
    y->tried = 1;
    y->trained_at = i;
    size_t lo_hmm = i + 1 > q->train_bars ? i + 1 - q->train_bars : 0;
    qf_rc rc = refit_hmm(q, y, lo_hmm, i, err);
    if (rc != QF_OK || !q->on[P_ML] || i < h)
        return rc;
    size_t hi = i - h; /* the last row whose label is known at i */
    size_t lo = hi + 1 > q->train_bars ? hi + 1 - q->train_bars : 0;
    size_t n = hi - lo + 1;
    /* labels from the closes lo .. i only: rows hi+1 .. i stay unlabeled */
    memcpy(q->close_buf, b->close + lo, (i - lo + 1) * sizeof(double));
    rc = qf_label_triple_barrier(q->close_buf, i - lo + 1, &q->lp, q->lab, err);
    if (rc == QF_OK)
        rc = qf_forward_log_return(q->close_buf, i - lo + 1, (int)h, q->fwd, err);
    if (rc != QF_OK)
        return rc;
    qf_gbdt_data d = {
        .x = y->z + lo * NF, .n_rows = n, .n_features = NF, .label = q->lab, .target = q->fwd};
    qf_gbdt *m = NULL;
    qf_err e2;
    qf_err_clear(&e2);
    rc = qf_gbdt_train(&d, &q->gp, &m, NULL, &e2);
    if (rc == QF_EINVAL) { /* too few rows, one class: keep the model in use */
        q->stats.train_failures++;
        return QF_OK;
    }
    if (rc != QF_OK) {
        *err = e2;
        return rc;
    }
    qf_gbdt_free(y->model);
    y->model = m;
    q->stats.trainings++;
    return QF_OK;
}

/* retrain_at, timed (the benchmarks report the strategy step without it). */
static qf_rc retrain(qf_quantflow_state *q, sym_state *y, const qf_bars *b, size_t i, qf_err *err)
{
    double t0 = mono_seconds();
    qf_rc rc = retrain_at(q, y, b, i, err);
    q->stats.train_seconds += mono_seconds() - t0;
    return rc;
}

/* Feeds bar i of b (the next one) through the features and the filter. */
static void push_bar(qf_quantflow_state *q, sym_state *y, const qf_bars *b, size_t i)
{
    double *raw = y->raw + i * NF, *z = y->z + i * NF;
    qf_feature_stream_push(y->fs, b->high[i], b->low[i], b->close[i], b->volume[i], raw);
    qf_zscore_stream_push(y->zs, raw, z);
    y->n = i + 1;
    if (y->have_hmm) {
        double x[QF_HMM_MAX_DIM];
        hmm_obs(q, y, i, x);
        (void)qf_hmm_filter_step(&y->filt, x, NULL);
    }
}

static qf_rc cache_put(cache_sym *c, size_t i, const model_out *mo, qf_err *err)
{
    if (i >= c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (cap <= i)
            cap *= 2;
        model_out *v = realloc(c->v, cap * sizeof *v);
        if (v == NULL)
            return qf_err_set(err, QF_ENOMEM, "quantflow: out of memory");
        c->v = v;
        uint8_t *have = realloc(c->have, cap);
        if (have == NULL)
            return qf_err_set(err, QF_ENOMEM, "quantflow: out of memory");
        memset(have + c->cap, 0, cap - c->cap);
        c->have = have;
        c->cap = cap;
    }
    c->v[i] = *mo;
    c->have[i] = 1;
    return QF_OK;
}

/* The regime and the model's prediction at bar i: from the cache when the
 * run reads one, else from the filter and the model (recorded when the run
 * writes the cache). */
static qf_rc model_view(qf_quantflow_state *q, size_t si, size_t i, model_out *mo, qf_err *err)
{
    sym_state *y = &q->s[si];
    if (q->use_cache) {
        const cache_sym *c = &q->cache->s[si];
        if (i >= c->cap || !c->have[i])
            return qf_err_set(err, QF_EINVAL,
                              "quantflow: the shared model cache has no bar %zu of symbol %zu "
                              "(it was recorded on other bars)",
                              i, si);
        *mo = c->v[i];
        return QF_OK;
    }
    memset(mo, 0, sizeof *mo);
    mo->regime = QF_REGIME_UNKNOWN;
    if (y->have_hmm && y->filt.started)
        mo->regime = (int8_t)qf_regime_of_probs(&y->map, y->filt.prob, NULL);
    if (q->on[P_ML] && y->model != NULL) {
        const double *z = y->z + i * NF;
        int finite = 1;
        for (size_t k = 0; k < NF; k++)
            finite &= isfinite(z[k]) != 0;
        if (finite) {
            qf_rc rc = qf_gbdt_predict_row(y->model, z, mo->proba, mo->q, err);
            if (rc != QF_OK)
                return rc;
            q->stats.predictions++;
            mo->have_pred = 1;
        }
    }
    return q->record_cache ? cache_put(&q->cache->s[si], i, mo, err) : QF_OK;
}

/* The target of one symbol at its bar i (everything about bar i is known). */
static qf_rc decide(qf_quantflow_state *q, size_t si, const qf_strategy_ctx *ctx, size_t i,
                    double *out, qf_err *err)
{
    sym_state *y = &q->s[si];
    const qf_bars *b = &ctx->bars[si];
    const double *raw = y->raw + i * NF;
    double pos = ctx->positions != NULL ? ctx->positions[si] : 0.0;
    int64_t close_time = b->open_time[i] + q->bar_ms;

    /* first, whatever the risk state: a run recording the cache records
     * every bar, also those after its kill switch (the replaying variants
     * may not trip it) */
    model_out mo;
    qf_rc rc = model_view(q, si, i, &mo, err);
    if (rc != QF_OK)
        return rc;
    if (q->on[P_RISK]) {
        /* post-trade check on marked-to-market equity: a breach flattens
         * the symbol for the rest of the run (no one resets a backtest) */
        if (ctx->equity > y->peak)
            y->peak = ctx->equity;
        if (!y->killed && y->peak > 0 && 1.0 - ctx->equity / y->peak >= q->rl.max_drawdown_pct) {
            y->killed = 1;
            q->stats.kill_switch_trips++;
        }
        if (y->killed) {
            *out = 0.0;
            return QF_OK;
        }
    }

    qf_fusion_inputs in = {.technical = qf_fusion_technical_score(raw[QF_F_RSI], raw[QF_F_BB_PCT_B],
                                                                  raw[QF_F_VWAP_DEVIATION]),
                           .ml = NAN,
                           .sentiment = 0.0,
                           .confidence = 1.0,
                           .regime = mo.regime};
    if (q->on[P_SENT]) {
        qf_sentiment_result sr;
        qf_sentiment_scorer_score(y->sent, close_time, &sr);
        in.sentiment = sr.score;
    }
    if (q->on[P_ML] && mo.have_pred) {
        in.ml = qf_fusion_ml_score_proba(mo.proba);
        if (q->fu.confidence_source == QF_CONFIDENCE_CLASSIFIER)
            in.confidence = qf_fusion_confidence_classifier(mo.proba);
        else
            in.confidence = qf_fusion_confidence_iqr(
                qf_fusion_iqr_norm(mo.q[q->q25], mo.q[q->q75],
                                   raw[QF_F_REALIZED_VOL] / sqrt(q->fp.bars_per_year),
                                   q->lp.max_holding_bars),
                q->fu.confidence_min_iqr, q->fu.confidence_max_iqr);
    }
    qf_fusion_result fr;
    qf_fusion_fuse(&q->fu, &in, &fr);
    q->stats.regime_bars[fr.regime < QF_REGIME_COUNT ? fr.regime : QF_REGIME_CHOPPY]++;

    double frac;
    if (q->on[P_VOL])
        frac = qf_sizer_target_fraction(&q->sz, raw[QF_F_REALIZED_VOL], fr.strength, 1.0,
                                        fr.direction);
    else
        frac = (double)fr.direction * q->sz.max_position_pct;
    if (!isfinite(frac))
        frac = 0.0;

    if (q->on[P_RISK] && frac != pos) {
        double price = b->close[i], eq = ctx->equity;
        qf_position held[1];
        memset(held, 0, sizeof held);
        snprintf(held[0].symbol, sizeof held[0].symbol, "%s", q->symbols[si]);
        held[0].quantity = pos * eq / price;
        held[0].mark_price = price;
        qf_risk_portfolio pf = {.equity = eq,
                                .peak_equity = y->peak,
                                .positions = held,
                                .n_positions = pos != 0.0 ? 1 : 0,
                                .kill_switch_engaged = 0};
        qf_risk_order o = {.symbol = q->symbols[si],
                           .quantity = (frac - pos) * eq / price,
                           .price = price,
                           .working_qty = 0.0,
                           .data_time = close_time};
        qf_risk_verdict v;
        if (eq > 0 && isfinite(o.quantity) && o.quantity != 0.0) {
            rc = qf_risk_pre_trade(&q->rl, &pf, &o, close_time, &v, err);
            if (rc != QF_OK)
                return rc;
            if (v.reason != QF_RISK_OK) {
                q->stats.risk_rejections[v.reason < QF_RISK_REASON_COUNT ? v.reason : 0]++;
                frac = pos; /* rejected: keep the position as it is */
            }
        }
    }
    *out = frac;
    return QF_OK;
}

static qf_rc qf_on_bar(void *state, const qf_strategy_ctx *ctx, double *out, qf_err *err)
{
    qf_quantflow_state *q = state;
    for (size_t si = 0; si < ctx->n_symbols; si++) {
        const qf_bars *b = &ctx->bars[si];
        sym_state *y = &q->s[si];
        out[si] = NAN;
        if (b->n == 0)
            continue;
        size_t i = b->n - 1;
        qf_rc rc = QF_OK;
        if (i < y->n) /* not the next bar: rebuild from the history */
            rc = sym_reset(q, y, err);
        if (rc == QF_OK)
            rc = grow(y, i + 1, err);
        if (rc != QF_OK)
            return rc;
        while (y->n <= i)
            push_bar(q, y, b, y->n);
        if (q->use_cache) {
            /* the recorded regime and predictions stand in for training */
        } else if (!y->tried || (q->on[P_RETRAIN] && i - y->trained_at >= q->test_bars) ||
                   (y->model == NULL && q->on[P_ML] && i - y->trained_at >= q->test_bars)) {
            if (i + 1 >= q->train_bars) {
                rc = retrain(q, y, b, i, err);
                if (rc != QF_OK)
                    return rc;
            }
        }
        rc = decide(q, si, ctx, i, &out[si], err);
        if (rc != QF_OK)
            return rc;
    }
    return QF_OK;
}

/* Features (30 bars), the z-score window, and one training window. */
static size_t qf_warmup(const void *state)
{
    const qf_quantflow_state *q = state;
    return (size_t)qf_features_start(&q->fp) + (size_t)q->zwindow + q->train_bars;
}

qf_rc qf_quantflow_cache_new(size_t n_symbols, qf_quantflow_cache **out, qf_err *err)
{
    qf_quantflow_cache *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->s = calloc(n_symbols ? n_symbols : 1, sizeof *c->s);
    if (c == NULL || c->s == NULL) {
        free(c);
        return qf_err_set(err, QF_ENOMEM, "quantflow: out of memory");
    }
    c->n_sym = n_symbols;
    c->retrain = -1;
    *out = c;
    return QF_OK;
}

void qf_quantflow_cache_free(qf_quantflow_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_sym; i++) {
        free(c->s[i].v);
        free(c->s[i].have);
    }
    free(c->s);
    free(c);
}

const qf_quantflow_stats *qf_quantflow_stats_of(const void *state)
{
    return state != NULL ? &((const qf_quantflow_state *)state)->stats : NULL;
}

const qf_strategy_def qf_strategy_quantflow = {
    .name = "quantflow",
    .summary = "QuantFlow: features, HMM regime, GBDT, sentiment, regime-gated fusion, "
               "vol-target sizing, risk checks; walk-forward retraining inside the run",
    .param_names = qf_param_names,
    .param_defaults = qf_param_defaults,
    .n_params = P_COUNT,
    .init = qf_init,
    .on_bar = qf_on_bar,
    .free = qf_free,
    .warmup = qf_warmup,
};
