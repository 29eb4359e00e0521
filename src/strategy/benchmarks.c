/*
 * benchmarks.c - the benchmark strategies: buy and hold, moving-average
 * crossover, mean reversion. Each symbol gets an equal share (1 / symbols).
 *
 * The window statistics are summed afresh at every bar (O(window), exact, no
 * state to drift or rebuild): with windows of 20-50 bars that is a few tens
 * of nanoseconds a bar.
 */
#include <math.h>
#include <stdlib.h>

#include "strategy/strategy.h"

/* Mean of close[from .. to] inclusive. */
static double mean_of(const double *x, size_t from, size_t to)
{
    double s = 0;
    for (size_t i = from; i <= to; i++)
        s += x[i];
    return s / (double)(to - from + 1);
}

static qf_rc period_param(const qf_strategy_params *p, const char *strategy, const char *name,
                          double def, int *out, qf_err *err)
{
    double v = qf_strategy_params_get(p, name, def);
    if (!(v >= 1 && v <= 100000) || v != floor(v))
        return qf_err_set(err, QF_EINVAL,
                          "%s: %s must be a whole number of bars in [1, 100000], "
                          "got %g",
                          strategy, name, v);
    *out = (int)v;
    return QF_OK;
}

/* ---- buy and hold ---- */

static qf_rc bh_init(const qf_strategy_params *p, size_t n_symbols, void **out_state, qf_err *err)
{
    (void)p;
    (void)n_symbols;
    (void)err;
    *out_state = NULL;
    return QF_OK;
}

static qf_rc bh_on_bar(void *state, const qf_strategy_ctx *ctx, double *out, qf_err *err)
{
    (void)state;
    (void)err;
    for (size_t s = 0; s < ctx->n_symbols; s++)
        out[s] = 1.0 / (double)ctx->n_symbols;
    return QF_OK;
}

static void no_free(void *state)
{
    (void)state;
}

const qf_strategy_def qf_strategy_buy_and_hold = {"buy_and_hold",
                                                  "long from the first bar to the last",
                                                  NULL,
                                                  NULL,
                                                  0,
                                                  bh_init,
                                                  bh_on_bar,
                                                  no_free,
                                                  NULL};

/* ---- MA crossover ---- */

typedef struct ma_state {
    int fast, slow;
} ma_state;

static const char *const ma_names[] = {"fast", "slow"};
static const double ma_defaults[] = {20, 50};

static qf_rc ma_init(const qf_strategy_params *p, size_t n_symbols, void **out_state, qf_err *err)
{
    (void)n_symbols;
    ma_state st;
    qf_rc rc = period_param(p, "ma_crossover", "fast", 20, &st.fast, err);
    if (rc == QF_OK)
        rc = period_param(p, "ma_crossover", "slow", 50, &st.slow, err);
    if (rc != QF_OK)
        return rc;
    if (st.fast >= st.slow)
        return qf_err_set(err, QF_EINVAL, "ma_crossover: fast (%d) must be below slow (%d)",
                          st.fast, st.slow);
    ma_state *s = malloc(sizeof *s);
    if (s == NULL)
        return qf_err_set(err, QF_ENOMEM, "ma_crossover: out of memory");
    *s = st;
    *out_state = s;
    return QF_OK;
}

/* Long while SMA(fast) > SMA(slow), both over bars <= t-1; flat before the
 * slow window is full (t >= slow). */
static qf_rc ma_on_bar(void *state, const qf_strategy_ctx *ctx, double *out, qf_err *err)
{
    (void)err;
    const ma_state *st = state;
    for (size_t s = 0; s < ctx->n_symbols; s++) {
        out[s] = 0.0;
        size_t t = ctx->bars[s].n - 1; /* this symbol's latest bar (n = 0 wraps: skipped) */
        if (ctx->bars[s].n == 0 || t < (size_t)st->slow)
            continue;
        const double *c = ctx->bars[s].close;
        double fast = mean_of(c, t - (size_t)st->fast, t - 1);
        double slow = mean_of(c, t - (size_t)st->slow, t - 1);
        out[s] = fast > slow ? 1.0 / (double)ctx->n_symbols : 0.0;
    }
    return QF_OK;
}

static size_t ma_warmup(const void *state)
{
    return (size_t)((const ma_state *)state)->slow;
}

const qf_strategy_def qf_strategy_ma_crossover = {
    "ma_crossover",
    "long while SMA(fast) > SMA(slow) over bars <= t-1",
    ma_names,
    ma_defaults,
    2,
    ma_init,
    ma_on_bar,
    free,
    ma_warmup};

/* ---- mean reversion ---- */

typedef struct mr_state {
    int lookback;
    double entry_z, exit_z;
    unsigned char *in_trade; /* per symbol */
} mr_state;

static const char *const mr_names[] = {"lookback", "entry_z", "exit_z"};
static const double mr_defaults[] = {20, -1.5, 0};

static qf_rc mr_init(const qf_strategy_params *p, size_t n_symbols, void **out_state, qf_err *err)
{
    int lookback = 0;
    qf_rc rc = period_param(p, "mean_reversion", "lookback", 20, &lookback, err);
    if (rc != QF_OK)
        return rc;
    if (lookback < 2)
        return qf_err_set(err, QF_EINVAL, "mean_reversion: lookback must be >= 2, got %d",
                          lookback);
    double entry = qf_strategy_params_get(p, "entry_z", -1.5);
    double exit_z = qf_strategy_params_get(p, "exit_z", 0.0);
    if (!(entry < exit_z))
        return qf_err_set(err, QF_EINVAL, "mean_reversion: entry_z (%g) must be below exit_z (%g)",
                          entry, exit_z);
    mr_state *s = calloc(1, sizeof *s);
    unsigned char *flags = calloc(n_symbols > 0 ? n_symbols : 1, 1);
    if (s == NULL || flags == NULL) {
        free(s);
        free(flags);
        return qf_err_set(err, QF_ENOMEM, "mean_reversion: out of memory");
    }
    s->lookback = lookback;
    s->entry_z = entry;
    s->exit_z = exit_z;
    s->in_trade = flags;
    *out_state = s;
    return QF_OK;
}

/* z = (close_t - mean) / sd over bars t-lookback .. t-1 (sample sd); enter
 * long below entry_z, exit above exit_z, hold in between. A flat window
 * (sd 0) changes nothing. The in-trade flag is the strategy's own, not the
 * portfolio's, so every engine (and a partial fill) sees the same signal. */
static qf_rc mr_on_bar(void *state, const qf_strategy_ctx *ctx, double *out, qf_err *err)
{
    (void)err;
    mr_state *st = state;
    size_t w = (size_t)st->lookback;
    for (size_t s = 0; s < ctx->n_symbols; s++) {
        int in = st->in_trade[s];
        size_t t = ctx->bars[s].n - 1; /* this symbol's latest bar */
        if (ctx->bars[s].n > w) {
            const double *c = ctx->bars[s].close;
            double m = mean_of(c, t - w, t - 1);
            double ss = 0;
            for (size_t i = t - w; i < t; i++)
                ss += (c[i] - m) * (c[i] - m);
            double sd = sqrt(ss / (double)(w - 1));
            if (sd > 0) {
                double z = (c[t] - m) / sd;
                if (!in && z < st->entry_z)
                    in = 1;
                else if (in && z > st->exit_z)
                    in = 0;
            }
        } else {
            in = 0;
        }
        st->in_trade[s] = (unsigned char)in;
        out[s] = in ? 1.0 / (double)ctx->n_symbols : 0.0;
    }
    return QF_OK;
}

static void mr_free(void *state)
{
    mr_state *st = state;
    if (st == NULL)
        return;
    free(st->in_trade);
    free(st);
}

static size_t mr_warmup(const void *state)
{
    return (size_t)((const mr_state *)state)->lookback;
}

const qf_strategy_def qf_strategy_mean_reversion = {
    "mean_reversion",
    "long below z = entry_z, flat above exit_z (z over the lookback bars <= t-1)",
    mr_names,
    mr_defaults,
    3,
    mr_init,
    mr_on_bar,
    mr_free,
    mr_warmup};
