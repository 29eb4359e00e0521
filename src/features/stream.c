/*
 * stream.c - the streaming twin of qf_features_compute: one closed bar at a
 * time, O(1) work and no allocation per bar. Every running quantity is
 * updated with the same operations, in the same order, as the batch kernels
 * (ma.c, oscillators.c, volatility.c, volume.c, featureset.c), so both modes
 * give bit-identical values; test_featureset.c holds them to that.
 */
#include <stdlib.h>

#include "features/feat_int.h"
#include "features/featureset.h"
#include "features/ind_int.h"

struct qf_feature_stream {
    qf_feature_params p;
    size_t i;    /* index of the bar being pushed */
    size_t mask; /* ring capacity - 1 (a power of two) */
    double *close, *volume, *lr;
    double *scratch; /* one window, oldest first, for re-anchoring */
    double annual;
    double rsi_gain, rsi_loss;
    double atr;
    double bb_sum;
    ind_win bb_win;
    double vw_pv, vw_v;
    ind_win rv_win;
    double ema_fast, ema_slow;
    double vol_sum;
};

qf_rc qf_feature_stream_new(const qf_feature_params *p, qf_feature_stream **out_stream, qf_err *err)
{
    qf_rc rc = qf_feature_params_check(p, err);
    if (rc != QF_OK)
        return rc;
    int longest = FEAT_EMA_SLOW;
    int periods[] = {p->rsi_period, p->atr_period, p->bb_period, p->vol_window, p->vwap_period};
    for (size_t k = 0; k < sizeof periods / sizeof periods[0]; k++)
        if (periods[k] > longest)
            longest = periods[k];
    size_t cap = 1;
    while (cap < (size_t)longest + 2)
        cap <<= 1;
    qf_feature_stream *s = calloc(1, sizeof *s);
    double *block = malloc((3 * cap + (size_t)longest) * sizeof *block);
    if (s == NULL || block == NULL) {
        free(s);
        free(block);
        return qf_err_set(err, QF_ENOMEM, "features: out of memory for the streaming state");
    }
    s->p = *p;
    s->mask = cap - 1;
    s->close = block;
    s->volume = block + cap;
    s->lr = block + 2 * cap;
    s->scratch = block + 3 * cap;
    s->annual = sqrt(p->bars_per_year);
    *out_stream = s;
    return QF_OK;
}

void qf_feature_stream_free(qf_feature_stream *s)
{
    if (s == NULL)
        return;
    free(s->close);
    free(s);
}

/* Value of ring r at bar j (j within the ring's reach of s->i). */
static double at(const qf_feature_stream *s, const double *r, size_t j)
{
    return r[j & s->mask];
}

/* Copies the window of p bars ending at bar i into scratch, oldest first. */
static const double *window(qf_feature_stream *s, const double *r, size_t i, size_t p)
{
    for (size_t j = 0; j < p; j++)
        s->scratch[j] = at(s, r, i + 1 - p + j);
    return s->scratch;
}

static double rsi_step(qf_feature_stream *s, size_t i, double c)
{
    int period = s->p.rsi_period;
    size_t p = (size_t)period;
    if (i == 0)
        return NAN;
    double d = c - at(s, s->close, i - 1);
    if (i > p) {
        s->rsi_loss *= period - 1;
        s->rsi_gain *= period - 1;
    }
    if (d < 0.0)
        s->rsi_loss -= d;
    else
        s->rsi_gain += d;
    if (i < p)
        return NAN;
    s->rsi_gain /= period;
    s->rsi_loss /= period;
    double total = s->rsi_gain + s->rsi_loss;
    return IND_IS_ZERO(total) ? 0.0 : 100.0 * (s->rsi_gain / total);
}

static double atr_step(qf_feature_stream *s, size_t i, double h, double l)
{
    int period = s->p.atr_period;
    size_t p = (size_t)period;
    if (i == 0)
        return NAN;
    double pc = at(s, s->close, i - 1);
    double tr = ind_true_range(h, l, pc);
    if (i < p) {
        s->atr += tr; /* the seed sum */
        return NAN;
    }
    if (i == p) {
        s->atr += tr;
        s->atr = s->atr / period;
        return s->atr;
    }
    s->atr *= period - 1;
    s->atr += tr;
    s->atr /= period;
    return s->atr;
}

static double pct_b_step(qf_feature_stream *s, size_t i, double c)
{
    int period = s->p.bb_period;
    size_t p = (size_t)period;
    if (i + 1 < p) {
        s->bb_sum += c;
        return NAN;
    }
    if (IND_WIN_REANCHOR(i, p - 1, p))
        ind_win_anchor(&s->bb_win, window(s, s->close, i, p), p);
    else
        ind_win_slide(&s->bb_win, at(s, s->close, i - p), c);
    double sigma = sqrt(ind_win_m2(&s->bb_win, p) / (double)p);
    s->bb_sum += c;
    double mid = s->bb_sum / period;
    s->bb_sum -= at(s, s->close, i + 1 - p);
    double k = s->p.bb_std;
    double width = 2.0 * k * sigma;
    return width > 0.0 ? (c - (mid - k * sigma)) / width : NAN;
}

static double vwap_dev_step(qf_feature_stream *s, size_t i, double c)
{
    size_t p = (size_t)s->p.vwap_period;
    if (i + 1 < p)
        return NAN;
    if (i == p - 1 || (i & 4095) == 0) {
        s->vw_pv = 0.0;
        s->vw_v = 0.0;
        for (size_t j = i + 1 - p; j <= i; j++) {
            s->vw_pv += at(s, s->close, j) * at(s, s->volume, j);
            s->vw_v += at(s, s->volume, j);
        }
    } else {
        double v = at(s, s->volume, i);
        s->vw_pv += c * v - at(s, s->close, i - p) * at(s, s->volume, i - p);
        s->vw_v += v - at(s, s->volume, i - p);
    }
    double vwap = s->vw_v > 0.0 ? s->vw_pv / s->vw_v : NAN;
    return (c - vwap) / vwap;
}

static double realized_vol_step(qf_feature_stream *s, size_t i)
{
    size_t w = (size_t)s->p.vol_window;
    if (i < w)
        return NAN;
    if (IND_WIN_REANCHOR(i, w, w))
        ind_win_anchor(&s->rv_win, window(s, s->lr, i, w), w);
    else
        ind_win_slide(&s->rv_win, at(s, s->lr, i - w), at(s, s->lr, i));
    return sqrt(ind_win_m2(&s->rv_win, w) / (double)(w - 1)) * s->annual;
}

/* EMA seeded with the SMA of its first period values (ma.c). */
static double ema_step(qf_feature_stream *s, double *state, size_t i, double c, int period)
{
    size_t p = (size_t)period;
    if (i + 1 < p)
        return NAN;
    if (i + 1 == p) {
        double sum = 0.0;
        for (size_t j = 0; j < p; j++)
            sum += at(s, s->close, j);
        *state = sum / period;
        return *state;
    }
    *state = (c - *state) * (2.0 / (period + 1.0)) + *state;
    return *state;
}

static double volume_ratio_step(qf_feature_stream *s, size_t i, double v)
{
    int period = s->p.vol_window;
    size_t p = (size_t)period;
    s->vol_sum += v;
    if (i + 1 < p)
        return NAN;
    double total = s->vol_sum;
    s->vol_sum -= at(s, s->volume, i + 1 - p);
    return feat_volume_ratio(v, total / period);
}

void qf_feature_stream_push(qf_feature_stream *s, double high, double low, double close,
                            double volume, double out[QF_TECH_FEATURES])
{
    size_t i = s->i;
    s->close[i & s->mask] = close;
    s->volume[i & s->mask] = volume;
    double lr = i >= 1 ? log(close / at(s, s->close, i - 1)) : NAN;
    s->lr[i & s->mask] = lr;
    out[QF_F_LOG_RETURNS] = lr;
    out[QF_F_RSI] = rsi_step(s, i, close);
    out[QF_F_ATR] = atr_step(s, i, high, low);
    out[QF_F_BB_PCT_B] = pct_b_step(s, i, close);
    out[QF_F_VWAP_DEVIATION] = vwap_dev_step(s, i, close);
    out[QF_F_REALIZED_VOL] = realized_vol_step(s, i);
    out[QF_F_MOMENTUM_4] = i >= 4 ? close / at(s, s->close, i - 4) - 1.0 : NAN;
    out[QF_F_MOMENTUM_12] = i >= 12 ? close / at(s, s->close, i - 12) - 1.0 : NAN;
    double fast = ema_step(s, &s->ema_fast, i, close, FEAT_EMA_FAST);
    double slow = ema_step(s, &s->ema_slow, i, close, FEAT_EMA_SLOW);
    out[QF_F_EMA_RATIO] = fast / slow - 1.0;
    out[QF_F_VOLUME_RATIO] = volume_ratio_step(s, i, volume);
    s->i = i + 1;
}
