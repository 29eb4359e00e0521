/*
 * featureset.c - the "technical" feature set: registry entry, parameters and
 * the batch computation (one fused pass over the bars, the indicator
 * kernels' arithmetic). stream.c is the streaming twin.
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

/* The batch computation runs every feature's recurrence (Wilder sums, EMA,
 * window sums) in one pass over the bars, a tile at a time, so their chains
 * of dependent operations overlap instead of running one kernel after
 * another; the divisions and square roots that feed no recurrence are then
 * done for the whole tile with vectorized arithmetic. Every value is the
 * same operations in the same order as the indicator kernels (rsi, atr,
 * pct_b, vwap, ema, sma in ma.c, oscillators.c, volatility.c, volume.c) and
 * stream.c, so the bits are the same; test_featureset.c checks both. */
#define FTILE 256

/* Recurrence state carried from tile to tile. */
typedef struct fstate {
    double rsi_gain, rsi_loss;
    double atr;
    ind_win bb_win;
    double bb_sum;
    size_t bb_next; /* bars until the %B window re-anchors */
    double vw_pv, vw_v;
    ind_win rv_win;
    size_t rv_next;
    double ema_fast_sum, ema_fast, ema_slow_sum, ema_slow;
    double vol_sum;
} fstate;

/* Per-bar values of one tile waiting for the vectorized pass. */
typedef struct ftile {
    double ratio[FTILE];           /* close_i / close_{i-1} */
    double up[FTILE], down[FTILE]; /* the close's rise and fall, 0 for the other */
    double tr[FTILE];              /* true range */
    double rsi_gain[FTILE], rsi_loss[FTILE];
    double bb_s1[FTILE], bb_s2[FTILE], bb_total[FTILE];
    double vw_pv[FTILE], vw_v[FTILE];
    double rv_s1[FTILE], rv_s2[FTILE];
    double ema_fast[FTILE], ema_slow[FTILE];
    double vol_total[FTILE];
    double bb_sigma[FTILE], rv_sd[FTILE];
} ftile;

/* Element-wise parts that need no state, for bars i0 .. i0+m-1 (bars
 * before a part's start get a harmless stand-in, NaN-filled afterwards).
 * The rise and fall of the close are selections here, so the Wilder sums
 * need no branch on the sign of the change, which would be mispredicted
 * half the time; adding or subtracting +0.0 leaves a sum's bits alone. */
QF_WIDE static void tile_elementwise(const double *restrict c, const double *restrict h,
                                     const double *restrict l, size_t i0, size_t m,
                                     ftile *restrict tb, double *restrict mom4,
                                     double *restrict mom12)
{
    for (size_t j = 0; j < m; j++) {
        size_t i = i0 + j;
        double prev = c[i - (i >= 1)];
        tb->ratio[j] = c[i] / prev;
        double d = c[i] - prev;
        tb->down[j] = d < 0.0 ? d : 0.0; /* as "if (d < 0) loss -= d" */
        tb->up[j] = 0.0 > d ? 0.0 : d;   /* as "else gain += d", NaN included */
        tb->tr[j] = ind_true_range(h[i], l[i], prev);
        mom4[j] = c[i] / c[i - (i >= 4 ? 4 : 0)] - 1.0;
        mom12[j] = c[i] / c[i - (i >= 12 ? 12 : 0)] - 1.0;
    }
}

/* The log returns: libm calls, kept out of the recurrences' loop where
 * they would force every running sum through memory around each call. */
static void tile_log_returns(const ftile *tb, size_t i0, size_t m, double *lr)
{
    for (size_t j = i0 == 0; j < m; j++)
        lr[i0 + j] = log(tb->ratio[j]);
}

/* The recurrences for bars i0 .. i0+m-1, one bar at a time. The state is
 * copied to locals for the tile so it stays in registers: the Wilder
 * smoothing (multiply, add, divide) is the longest chain, and a trip
 * through memory per bar would lengthen it. */
static void tile_chains(const qf_bars *b, const qf_feature_params *p, size_t i0, size_t m,
                        fstate *st, ftile *restrict tb, double *const *col)
{
    const double *c = b->close, *v = b->volume;
    size_t prsi = (size_t)p->rsi_period, patr = (size_t)p->atr_period;
    size_t pbb = (size_t)p->bb_period, pvw = (size_t)p->vwap_period;
    size_t wrv = (size_t)p->vol_window, wvol = (size_t)p->vol_window;
    /* the periods as the kernels use them: int converted to double */
    double rsi_n = p->rsi_period, rsi_n1 = p->rsi_period - 1;
    double atr_n = p->atr_period, atr_n1 = p->atr_period - 1;
    double *lr = col[QF_F_LOG_RETURNS], *atr_out = col[QF_F_ATR];
    double kf = 2.0 / (FEAT_EMA_FAST + 1.0), ks = 2.0 / (FEAT_EMA_SLOW + 1.0);
    double gain = st->rsi_gain, loss = st->rsi_loss, atr = st->atr;
    double bb_sum = st->bb_sum, vw_pv = st->vw_pv, vw_v = st->vw_v;
    double ema_fast = st->ema_fast, ema_slow = st->ema_slow;
    double ema_fast_sum = st->ema_fast_sum, ema_slow_sum = st->ema_slow_sum;
    double vol_sum = st->vol_sum;
    ind_win bb_win = st->bb_win, rv_win = st->rv_win;
    size_t bb_next = st->bb_next, rv_next = st->rv_next;
    for (size_t j = 0; j < m; j++) {
        size_t i = i0 + j;
        double x = c[i];
        if (i >= 1) {
            /* RSI (Wilder): seed sums, then smoothed */
            if (i > prsi) {
                loss *= rsi_n1;
                gain *= rsi_n1;
            }
            loss -= tb->down[j];
            gain += tb->up[j];
            if (i >= prsi) {
                loss /= rsi_n;
                gain /= rsi_n;
            }
            /* ATR (Wilder) */
            if (i > patr)
                atr *= atr_n1;
            atr += tb->tr[j];
            if (i >= patr)
                atr /= atr_n;
        }
        tb->rsi_gain[j] = gain;
        tb->rsi_loss[j] = loss;
        atr_out[i] = atr;
        /* %B: sliding sigma (re-anchored every period) and the running sum
         * of the middle band. */
        bb_sum += x;
        tb->bb_total[j] = bb_sum;
        if (i + 1 >= pbb) {
            if (bb_next == 0) {
                ind_win_anchor(&bb_win, c + i + 1 - pbb, pbb);
                bb_next = pbb;
            } else {
                ind_win_slide(&bb_win, c[i - pbb], x);
            }
            bb_next--;
            bb_sum -= c[i + 1 - pbb];
        }
        tb->bb_s1[j] = bb_win.s1;
        tb->bb_s2[j] = bb_win.s2;
        /* VWAP: running sums, re-summed every 4096 bars */
        if (i + 1 >= pvw) {
            if (i + 1 == pvw || (i & 4095) == 0) {
                vw_pv = 0.0;
                vw_v = 0.0;
                for (size_t k = i + 1 - pvw; k <= i; k++) {
                    vw_pv += c[k] * v[k];
                    vw_v += v[k];
                }
            } else {
                vw_pv += x * v[i] - c[i - pvw] * v[i - pvw];
                vw_v += v[i] - v[i - pvw];
            }
        }
        tb->vw_pv[j] = vw_pv;
        tb->vw_v[j] = vw_v;
        /* realized volatility: sliding sigma of the log returns */
        if (i >= wrv) {
            if (rv_next == 0) {
                ind_win_anchor(&rv_win, lr + i + 1 - wrv, wrv);
                rv_next = wrv;
            } else {
                ind_win_slide(&rv_win, lr[i - wrv], lr[i]);
            }
            rv_next--;
        }
        tb->rv_s1[j] = rv_win.s1;
        tb->rv_s2[j] = rv_win.s2;
        /* EMAs seeded with the SMA of their first period closes */
        if (i + 1 < FEAT_EMA_FAST)
            ema_fast_sum += x;
        else if (i + 1 == FEAT_EMA_FAST)
            ema_fast = (ema_fast_sum + x) / FEAT_EMA_FAST;
        else
            ema_fast = (x - ema_fast) * kf + ema_fast;
        if (i + 1 < FEAT_EMA_SLOW)
            ema_slow_sum += x;
        else if (i + 1 == FEAT_EMA_SLOW)
            ema_slow = (ema_slow_sum + x) / FEAT_EMA_SLOW;
        else
            ema_slow = (x - ema_slow) * ks + ema_slow;
        tb->ema_fast[j] = ema_fast;
        tb->ema_slow[j] = ema_slow;
        /* SMA of the volume (TA-Lib's running sum) */
        vol_sum += v[i];
        tb->vol_total[j] = vol_sum;
        if (i + 1 >= wvol)
            vol_sum -= v[i + 1 - wvol];
    }
    st->rsi_gain = gain;
    st->rsi_loss = loss;
    st->atr = atr;
    st->bb_sum = bb_sum;
    st->vw_pv = vw_pv;
    st->vw_v = vw_v;
    st->ema_fast = ema_fast;
    st->ema_slow = ema_slow;
    st->ema_fast_sum = ema_fast_sum;
    st->ema_slow_sum = ema_slow_sum;
    st->vol_sum = vol_sum;
    st->bb_win = bb_win;
    st->rv_win = rv_win;
    st->bb_next = bb_next;
    st->rv_next = rv_next;
}

QF_WIDE static void tile_pre_sqrt(const ftile *restrict tb, size_t m, double pbb, double wrv,
                                  double *restrict bb_var, double *restrict rv_var)
{
    for (size_t j = 0; j < m; j++) {
        double m2 = tb->bb_s2[j] - tb->bb_s1[j] * tb->bb_s1[j] / pbb;
        m2 = m2 > 0.0 ? m2 : 0.0;
        bb_var[j] = m2 / pbb;
        double r2 = tb->rv_s2[j] - tb->rv_s1[j] * tb->rv_s1[j] / wrv;
        r2 = r2 > 0.0 ? r2 : 0.0;
        rv_var[j] = r2 / (wrv - 1.0);
    }
}

/* The element-wise rest. A selection after an unconditional division,
 * rather than a division in a branch, lets the loop vectorize; the values
 * are the same. */
QF_WIDE static void tile_finish(const ftile *restrict tb, const double *restrict c,
                                const double *restrict vol, size_t m, double pbb, double bb_k,
                                double wvol, double annual, double *restrict rsi,
                                double *restrict pct_b, double *restrict vwap_dev,
                                double *restrict rvol, double *restrict ema_ratio,
                                double *restrict vol_ratio)
{
    for (size_t j = 0; j < m; j++) {
        double total = tb->rsi_gain[j] + tb->rsi_loss[j];
        double r = 100.0 * (tb->rsi_gain[j] / total);
        rsi[j] = IND_IS_ZERO(total) ? 0.0 : r;
        double sigma = tb->bb_sigma[j];
        double mid = tb->bb_total[j] / pbb;
        double width = 2.0 * bb_k * sigma;
        double pb = (c[j] - (mid - bb_k * sigma)) / width;
        pct_b[j] = width > 0.0 ? pb : NAN;
        double vw = tb->vw_pv[j] / tb->vw_v[j];
        vw = tb->vw_v[j] > 0.0 ? vw : NAN;
        vwap_dev[j] = (c[j] - vw) / vw;
        rvol[j] = tb->rv_sd[j] * annual;
        ema_ratio[j] = tb->ema_fast[j] / tb->ema_slow[j] - 1.0;
        double avg = tb->vol_total[j] / wvol;
        double vr = vol[j] / avg - 1.0;
        vol_ratio[j] = avg > 0.0 ? vr : NAN;
    }
}

/* NaN before each feature's first defined bar (its start). */
static void fill_starts(const qf_feature_params *p, size_t n, double *const *col)
{
    size_t starts[QF_TECH_FEATURES];
    starts[QF_F_LOG_RETURNS] = 1;
    starts[QF_F_RSI] = (size_t)p->rsi_period;
    starts[QF_F_ATR] = (size_t)p->atr_period;
    starts[QF_F_BB_PCT_B] = (size_t)p->bb_period - 1;
    starts[QF_F_VWAP_DEVIATION] = (size_t)p->vwap_period - 1;
    starts[QF_F_REALIZED_VOL] = (size_t)p->vol_window;
    starts[QF_F_MOMENTUM_4] = 4;
    starts[QF_F_MOMENTUM_12] = 12;
    starts[QF_F_EMA_RATIO] = FEAT_EMA_SLOW - 1;
    starts[QF_F_VOLUME_RATIO] = (size_t)p->vol_window - 1;
    for (size_t f = 0; f < QF_TECH_FEATURES; f++)
        ind_fill_nan(col[f], 0, starts[f] < n ? starts[f] : n);
}

qf_rc qf_features_compute(const qf_bars *b, const qf_feature_params *p, double *out, qf_err *err)
{
    qf_rc rc = qf_feature_params_check(p, err);
    if (rc != QF_OK)
        return rc;
    if (b->n > 0 && out == NULL)
        return qf_err_set(err, QF_EINVAL, "features: output is NULL");
    size_t n = b->n;
    double *col[QF_TECH_FEATURES];
    for (size_t f = 0; f < QF_TECH_FEATURES; f++)
        col[f] = out + f * n;
    fstate st;
    memset(&st, 0, sizeof st);
    ftile tb;
    double annual = sqrt(p->bars_per_year);
    for (size_t i0 = 0; i0 < n; i0 += FTILE) {
        size_t m = n - i0 < FTILE ? n - i0 : FTILE;
        tile_elementwise(b->close, b->high, b->low, i0, m, &tb, col[QF_F_MOMENTUM_4] + i0,
                         col[QF_F_MOMENTUM_12] + i0);
        tile_log_returns(&tb, i0, m, col[QF_F_LOG_RETURNS]);
        tile_chains(b, p, i0, m, &st, &tb, col);
        tile_pre_sqrt(&tb, m, p->bb_period, p->vol_window, tb.bb_sigma, tb.rv_sd);
        ind_sqrt_n(tb.bb_sigma, tb.bb_sigma, m);
        ind_sqrt_n(tb.rv_sd, tb.rv_sd, m);
        tile_finish(&tb, b->close + i0, b->volume + i0, m, p->bb_period, p->bb_std, p->vol_window,
                    annual, col[QF_F_RSI] + i0, col[QF_F_BB_PCT_B] + i0,
                    col[QF_F_VWAP_DEVIATION] + i0, col[QF_F_REALIZED_VOL] + i0,
                    col[QF_F_EMA_RATIO] + i0, col[QF_F_VOLUME_RATIO] + i0);
    }
    fill_starts(p, n, col);
    return QF_OK;
}
