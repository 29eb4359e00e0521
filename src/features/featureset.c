/*
 * featureset.c - the "technical" feature set: registry entry, parameters and
 * the batch computation (column kernels). stream.c is the streaming twin.
 */
#include "features/featureset.h"

#include <string.h>

#include "features/feat_int.h"
#include "features/ind_int.h"

static const char *const technical_names[QF_TECH_FEATURES] = {
    "log_returns",  "rsi",        "atr",         "bb_pct_b",  "vwap_deviation",
    "realized_vol", "momentum_4", "momentum_12", "ema_ratio", "volume_ratio"};

static const qf_feature_set_info technical = {"technical", 1, QF_TECH_FEATURES, technical_names};

const qf_feature_set_info *qf_feature_set_technical(void)
{
    return &technical;
}

const qf_feature_set_info *qf_feature_set_find(const char *name)
{
    if (name != NULL && strcmp(name, technical.name) == 0)
        return &technical;
    return NULL;
}

qf_feature_params qf_feature_params_default(void)
{
    qf_feature_params p = {14, 14, 20, 2.0, 24, 24, 2190.0};
    return p;
}

qf_rc qf_feature_params_check(const qf_feature_params *p, qf_err *err)
{
    struct {
        const char *name;
        int value;
        int min;
    } periods[] = {{"rsi_period", p->rsi_period, 1},
                   {"atr_period", p->atr_period, 1},
                   {"bb_period", p->bb_period, 2},
                   {"vol_window", p->vol_window, 2},
                   {"vwap_period", p->vwap_period, 1}};
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if (periods[i].value < periods[i].min || periods[i].value > QF_IND_PERIOD_MAX)
            return qf_err_set(err, QF_EINVAL, "features: %s must be in [%d, %d] bars, got %d",
                              periods[i].name, periods[i].min, QF_IND_PERIOD_MAX, periods[i].value);
    if (!(p->bb_std > 0.0) || !isfinite(p->bb_std))
        return qf_err_set(err, QF_EINVAL, "features: bb_std must be positive, got %g", p->bb_std);
    if (!(p->bars_per_year > 0.0) || !isfinite(p->bars_per_year))
        return qf_err_set(err, QF_EINVAL, "features: bars_per_year must be positive, got %g",
                          p->bars_per_year);
    return QF_OK;
}

int qf_features_start(const qf_feature_params *p)
{
    if (qf_feature_params_check(p, NULL) != QF_OK)
        return -1;
    int starts[] = {1,
                    p->rsi_period,
                    p->atr_period,
                    p->bb_period - 1,
                    p->vwap_period - 1,
                    p->vol_window,
                    4,
                    12,
                    FEAT_EMA_SLOW - 1,
                    p->vol_window - 1};
    int start = 0;
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
        if (starts[i] > start)
            start = starts[i];
    return start;
}

/* Sample standard deviation of the log returns (defined from bar 1) over w
 * bars, times sqrt(bars_per_year); from bar w on. */
static void realized_vol(const double *lr, size_t n, size_t w, double annual, double *out)
{
    ind_fill_nan(out, 0, w < n ? w : n);
    if (n <= w)
        return;
    ind_win win = {0.0, 0.0, 0.0};
    for (size_t i = w; i < n; i++) {
        if (IND_WIN_REANCHOR(i, w, w))
            ind_win_anchor(&win, lr + i + 1 - w, w);
        else
            ind_win_slide(&win, lr[i - w], lr[i]);
        out[i] = sqrt(ind_win_m2(&win, w) / (double)(w - 1)) * annual;
    }
}

static void momentum(const double *c, size_t n, size_t lag, double *out)
{
    ind_fill_nan(out, 0, lag < n ? lag : n);
    for (size_t i = lag; i < n; i++)
        out[i] = c[i] / c[i - lag] - 1.0;
}

qf_rc qf_features_compute(const qf_bars *b, const qf_feature_params *p, double *out, qf_err *err)
{
    qf_rc rc = qf_feature_params_check(p, err);
    if (rc != QF_OK)
        return rc;
    if (b->n > 0 && out == NULL)
        return qf_err_set(err, QF_EINVAL, "features: output is NULL");
    size_t n = b->n;
    const double *c = b->close;
    double *col[QF_TECH_FEATURES];
    for (size_t f = 0; f < QF_TECH_FEATURES; f++)
        col[f] = out + f * n;
    ind_fill_nan(col[QF_F_LOG_RETURNS], 0, n < 1 ? n : 1);
    for (size_t i = 1; i < n; i++)
        col[QF_F_LOG_RETURNS][i] = log(c[i] / c[i - 1]);
    /* The kernels cannot fail on checked parameters and non-NULL arrays. */
    rc = qf_ind_rsi(c, n, p->rsi_period, col[QF_F_RSI], err);
    if (rc == QF_OK)
        rc = qf_ind_atr(b->high, b->low, c, n, p->atr_period, col[QF_F_ATR], err);
    if (rc == QF_OK)
        rc = qf_ind_pct_b(c, n, p->bb_period, p->bb_std, col[QF_F_BB_PCT_B], err);
    if (rc == QF_OK)
        rc = qf_ind_vwap(c, b->volume, n, p->vwap_period, col[QF_F_VWAP_DEVIATION], err);
    /* EMA(30) goes to the volume column as scratch before its own turn. */
    if (rc == QF_OK)
        rc = qf_ind_ema(c, n, FEAT_EMA_SLOW, col[QF_F_VOLUME_RATIO], err);
    if (rc == QF_OK)
        rc = qf_ind_ema(c, n, FEAT_EMA_FAST, col[QF_F_EMA_RATIO], err);
    if (rc != QF_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        double vwap = col[QF_F_VWAP_DEVIATION][i];
        col[QF_F_VWAP_DEVIATION][i] = (c[i] - vwap) / vwap;
        col[QF_F_EMA_RATIO][i] = col[QF_F_EMA_RATIO][i] / col[QF_F_VOLUME_RATIO][i] - 1.0;
    }
    rc = qf_ind_sma(b->volume, n, p->vol_window, col[QF_F_VOLUME_RATIO], err);
    if (rc != QF_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        col[QF_F_VOLUME_RATIO][i] = feat_volume_ratio(b->volume[i], col[QF_F_VOLUME_RATIO][i]);
    realized_vol(col[QF_F_LOG_RETURNS], n, (size_t)p->vol_window, sqrt(p->bars_per_year),
                 col[QF_F_REALIZED_VOL]);
    momentum(c, n, 4, col[QF_F_MOMENTUM_4]);
    momentum(c, n, 12, col[QF_F_MOMENTUM_12]);
    return QF_OK;
}
