/*
 * normalize.c - rolling z-score (see normalize.h). The statistics slide with
 * ind_win (re-anchored every window), restarting after a NaN; the streaming
 * form keeps the same per-column state and schedule over a ring buffer.
 */
#include "features/normalize.h"

#include <stdlib.h>

#include "features/ind_int.h"

qf_rc qf_zscore_check(int window, int shift, qf_err *err)
{
    if (window < 2 || window > QF_IND_PERIOD_MAX)
        return qf_err_set(err, QF_EINVAL, "normalization: window must be in [2, %d], got %d",
                          QF_IND_PERIOD_MAX, window);
    if (shift < 0 || shift > QF_IND_PERIOD_MAX)
        return qf_err_set(err, QF_EINVAL, "normalization: shift must be in [0, %d], got %d",
                          QF_IND_PERIOD_MAX, shift);
    return QF_OK;
}

/* Per-column state: the run of consecutive finite values ending at the
 * window's newest bar, and the window statistics once the run is long
 * enough. */
typedef struct zcol {
    size_t run;
    ind_win win;
} zcol;

/* Advances the statistics to the window ending at bar e (whose value is
 * x_e; window values are read through get(ctx, j)). Returns 1 when the
 * window is complete and finite. */
typedef double (*getter)(const void *ctx, size_t j);

static int zcol_advance(zcol *c, size_t e, double x_e, size_t w, getter get, const void *ctx,
                        double *scratch)
{
    if (!isfinite(x_e)) {
        c->run = 0;
        return 0;
    }
    c->run++;
    if (c->run < w)
        return 0;
    if ((c->run - w) % w == 0) {
        for (size_t j = 0; j < w; j++)
            scratch[j] = get(ctx, e + 1 - w + j);
        ind_win_anchor(&c->win, scratch, w);
    } else {
        ind_win_slide(&c->win, get(ctx, e - w), x_e);
    }
    return 1;
}

static double zvalue(const zcol *c, size_t w, double x)
{
    double sd = sqrt(ind_win_m2(&c->win, w) / (double)(w - 1));
    if (sd < QF_ZSCORE_SD_FLOOR)
        sd = QF_ZSCORE_SD_FLOOR;
    return (x - ind_win_mean(&c->win, w)) / sd;
}

qf_rc qf_zscore_rolling(const double *x, size_t n, int window, int shift, double *out, qf_err *err)
{
    qf_rc rc = qf_zscore_check(window, shift, err);
    if (rc != QF_OK)
        return rc;
    if (n > 0 && (x == NULL || out == NULL))
        return qf_err_set(err, QF_EINVAL, "normalization: NULL column");
    size_t w = (size_t)window;
    size_t sh = (size_t)shift;
    zcol c = {0, {0.0, 0.0, 0.0}};
    /* No scratch allocation: anchoring reads the window straight from x. */
    for (size_t t = 0; t < n; t++) {
        int ok = 0;
        if (t >= sh) {
            size_t e = t - sh;
            ok = 0;
            if (!isfinite(x[e])) {
                c.run = 0;
            } else {
                c.run++;
                if (c.run >= w) {
                    if ((c.run - w) % w == 0)
                        ind_win_anchor(&c.win, x + e + 1 - w, w);
                    else
                        ind_win_slide(&c.win, x[e - w], x[e]);
                    ok = 1;
                }
            }
        }
        out[t] = ok && isfinite(x[t]) ? zvalue(&c, w, x[t]) : NAN;
    }
    return QF_OK;
}

struct qf_zscore_stream {
    size_t columns;
    size_t w, shift;
    size_t t;     /* rows pushed */
    size_t mask;  /* ring rows - 1 */
    double *ring; /* rows x columns, row-major */
    double *scratch;
    zcol *cols;
};

typedef struct ring_ctx {
    const qf_zscore_stream *s;
    size_t col;
} ring_ctx;

static double get_ring(const void *ctx, size_t j)
{
    const ring_ctx *r = ctx;
    return r->s->ring[(j & r->s->mask) * r->s->columns + r->col];
}

qf_rc qf_zscore_stream_new(size_t columns, int window, int shift, qf_zscore_stream **out_stream,
                           qf_err *err)
{
    qf_rc rc = qf_zscore_check(window, shift, err);
    if (rc != QF_OK)
        return rc;
    if (columns == 0 || columns > 4096)
        return qf_err_set(err, QF_EINVAL, "normalization: columns must be in [1, 4096]");
    size_t rows = 1;
    while (rows < (size_t)window + (size_t)shift + 2)
        rows <<= 1;
    qf_zscore_stream *s = calloc(1, sizeof *s);
    double *ring = calloc(rows * columns + (size_t)window, sizeof *ring);
    zcol *cols = calloc(columns, sizeof *cols);
    if (s == NULL || ring == NULL || cols == NULL) {
        free(s);
        free(ring);
        free(cols);
        return qf_err_set(err, QF_ENOMEM, "normalization: out of memory");
    }
    s->columns = columns;
    s->w = (size_t)window;
    s->shift = (size_t)shift;
    s->mask = rows - 1;
    s->ring = ring;
    s->scratch = ring + rows * columns;
    s->cols = cols;
    *out_stream = s;
    return QF_OK;
}

void qf_zscore_stream_free(qf_zscore_stream *s)
{
    if (s == NULL)
        return;
    free(s->ring);
    free(s->cols);
    free(s);
}

void qf_zscore_stream_push(qf_zscore_stream *s, const double *row, double *out)
{
    size_t t = s->t;
    for (size_t k = 0; k < s->columns; k++)
        s->ring[(t & s->mask) * s->columns + k] = row[k];
    for (size_t k = 0; k < s->columns; k++) {
        int ok = 0;
        if (t >= s->shift) {
            size_t e = t - s->shift;
            ring_ctx ctx = {s, k};
            ok = zcol_advance(&s->cols[k], e, get_ring(&ctx, e), s->w, get_ring, &ctx, s->scratch);
        }
        out[k] = ok && isfinite(row[k]) ? zvalue(&s->cols[k], s->w, row[k]) : NAN;
    }
    s->t = t + 1;
}
