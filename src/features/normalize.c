/*
 * normalize.c - rolling z-score (see normalize.h).
 *
 * Each column keeps the statistics of its window as sums of deviations from
 * an anchor k: O(1) per bar. Every `window` bars the sums are taken afresh
 * about the running mean, so rounding never accumulates for more than one
 * window, and at once when cancellation threatens the variance (after a
 * jump in level). A NaN restarts the column's run of finite values and so
 * its schedule. The batch form walks a column from one re-anchoring to the next
 * with the sums in registers, keeps them per bar in a small tile, and turns
 * the tile into z-scores with vectorized arithmetic (the square root and
 * the division per value are most of the cost). The streaming form runs the
 * same schedule and the same operations one row at a time, so the two agree
 * bit for bit.
 */
#include "features/normalize.h"

#include <float.h>
#include <stdlib.h>

#include "core/parallel.h"
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

/* Window statistics: s1 = sum(x - k), s2 = sum((x - k)^2) over the window. */
typedef struct zwin {
    double k, s1, s2;
} zwin;

/* Constants of a window length: 1/w and 1/(w-1) (a multiplication per
 * value instead of a division). */
typedef struct zconst {
    size_t w;
    double inv_w, inv_wm1;
} zconst;

static zconst zconst_of(size_t w)
{
    zconst c = {w, 1.0 / (double)w, 1.0 / (double)(w - 1)};
    return c;
}

/* Both sums over x[0 .. w-1] about k. Four partial sums (value i goes to
 * sum i mod 4), not one chain of w dependent additions; batch and
 * streaming share this function, so the order is the same in both. */
static void zwin_sums(zwin *z, const double *x, size_t w, double k)
{
    double p0 = 0, p1 = 0, p2 = 0, p3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    size_t i = 0;
    for (; i + 4 <= w; i += 4) {
        double d0 = x[i] - k, d1 = x[i + 1] - k, d2 = x[i + 2] - k, d3 = x[i + 3] - k;
        p0 += d0;
        p1 += d1;
        p2 += d2;
        p3 += d3;
        q0 += d0 * d0;
        q1 += d1 * d1;
        q2 += d2 * d2;
        q3 += d3 * d3;
    }
    double dt[3] = {0, 0, 0};
    for (size_t j = 0; i + j < w; j++)
        dt[j] = x[i + j] - k;
    p0 += dt[0];
    p1 += dt[1];
    p2 += dt[2];
    q0 += dt[0] * dt[0];
    q1 += dt[1] * dt[1];
    q2 += dt[2] * dt[2];
    z->k = k;
    z->s1 = (p0 + p1) + (p2 + p3);
    z->s2 = (q0 + q1) + (q2 + q3);
}

/* First window of a run of finite values: anchors at its mean. */
static void zwin_anchor(zwin *z, const double *x, size_t w)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t i = 0;
    for (; i + 4 <= w; i += 4) {
        a0 += x[i];
        a1 += x[i + 1];
        a2 += x[i + 2];
        a3 += x[i + 3];
    }
    double tail[3] = {0, 0, 0};
    for (size_t j = 0; i + j < w; j++)
        tail[j] = x[i + j];
    a0 += tail[0];
    a1 += tail[1];
    a2 += tail[2];
    zwin_sums(z, x, w, ((a0 + a1) + (a2 + a3)) / (double)w);
}

/* Every w-th window after: the sums are taken afresh (so rounding never
 * accumulates for longer than a window) about the running mean of the
 * previous window, which is as good an anchor as the exact mean and saves
 * a pass. */
static void zwin_reanchor(zwin *z, const double *x, size_t w, double inv_w)
{
    zwin_sums(z, x, w, z->k + z->s1 * inv_w);
}

static inline void zwin_slide(zwin *z, double x_old, double x_new)
{
    double d_old = x_old - z->k;
    double d_new = x_new - z->k;
    z->s1 += d_new - d_old;
    z->s2 += d_new * d_new - d_old * d_old;
}

/* The sample variance of the window: (s2 - s1^2 / w) / (w - 1), >= 0. */
static inline double zvar(double s1, double s2, const zconst *c)
{
    double m2 = s2 - s1 * (s1 * c->inv_w);
    m2 = m2 > 0.0 ? m2 : 0.0;
    return m2 * c->inv_wm1;
}

/* Too much cancellation: after a jump in level the anchor k can sit
 * hundreds of deviations from the window (s2 >> s1^2/w), and s2 - s1^2/w
 * loses the variance to rounding (a z off by orders of magnitude) until
 * the next re-anchoring. When the window's variance falls below 2^-12 of
 * s2 (its mean more than 64 deviations from k), the window is re-anchored
 * at once, so the variance keeps at least ~40 of its 53 bits. Ordinary
 * data never comes near this. */
#define ZCANCEL 0x1p-12

static inline int zcancel(double s1, double s2, const zconst *c)
{
    return s2 - s1 * (s1 * c->inv_w) < s2 * ZCANCEL;
}

/* z of x from the window's k, s1 and standard deviation sd. x - mean is
 * taken as (x - k) - s1/w: x - k is exact when x is near the window, where
 * rounding the mean itself to a double would cost the digits of a small
 * deviation on a large level. NaN when x is not finite (x - x is 0 for
 * finite x and NaN otherwise, which keeps the loop free of branches). */
static inline double zval(double x, double k, double s1, double sd, const zconst *c)
{
    sd = sd < QF_ZSCORE_SD_FLOOR ? QF_ZSCORE_SD_FLOOR : sd;
    return ((x - k) - s1 * c->inv_w) / sd * (1.0 + (x - x));
}

static int is_finite(double x)
{
    return fabs(x) <= DBL_MAX;
}

/* Values per tile: the sums of a tile's windows wait in three small arrays
 * (L1) until the tile is turned into z-scores. */
#define ZTILE 256

/* The variances of a tile's windows; whether a window from `from` on has
 * too much cancellation. */
QF_WIDE static int tile_var(const double *restrict s1, const double *restrict s2, size_t m,
                            size_t from, const zconst *c, double *restrict var)
{
    zconst cc = *c;
    int bad = 0;
    for (size_t i = 0; i < m; i++) {
        var[i] = zvar(s1[i], s2[i], &cc);
        bad |= (i >= from) & zcancel(s1[i], s2[i], &cc);
    }
    return bad;
}

QF_WIDE static void tile_z(const double *restrict x, double k, const double *restrict s1,
                           const double *restrict sd, size_t m, const zconst *c,
                           double *restrict out)
{
    zconst cc = *c;
    for (size_t i = 0; i < m; i++)
        out[i] = zval(x[i], k, s1[i], sd[i], &cc);
}

QF_WIDE static int all_finite(const double *x, size_t m)
{
    int ok = 1;
    for (size_t i = 0; i < m; i++)
        ok &= fabs(x[i]) <= DBL_MAX;
    return ok;
}

/* How many of x[0 .. m-1] come before the first value that is not finite. */
static size_t finite_prefix(const double *x, size_t m)
{
    if (all_finite(x, m))
        return m;
    size_t i = 0;
    while (is_finite(x[i]))
        i++;
    return i;
}

/* The windows ending at e, e+1, ... e+len-1 of column x, from a re-anchoring
 * at e (x[e-w+1 .. e] finite; fresh: the first full window of a run or one
 * with too much cancellation, else z holds the window ending at e-1) until
 * len windows are done, x[e+i] is not finite, or window e+i needs a fresh
 * anchor (then *fresh_next is set); z goes to out[e+shift+i]. Returns the
 * windows done. */
static size_t zsegment(const double *x, size_t e, size_t len, size_t shift, const zconst *c,
                       int fresh, zwin *z, double *out, int *fresh_next)
{
    double s1b[ZTILE], s2b[ZTILE], sdb[ZTILE];
    size_t w = c->w;
    if (fresh)
        zwin_anchor(z, x + e + 1 - w, w);
    else
        zwin_reanchor(z, x + e + 1 - w, w, c->inv_w);
    s1b[0] = z->s1;
    s2b[0] = z->s2;
    *fresh_next = 0;
    size_t done = 0, first = 1, from = fresh ? 1 : 0;
    while (done < len) {
        size_t m = len - done < ZTILE ? len - done : ZTILE;
        size_t ok = first + finite_prefix(x + e + done + first, m - first);
        for (size_t i = first; i < ok; i++) {
            zwin_slide(z, x[e + done + i - w], x[e + done + i]);
            s1b[i] = z->s1;
            s2b[i] = z->s2;
        }
        if (tile_var(s1b, s2b, ok, from, c, sdb)) {
            size_t j = from;
            while (j < ok && !zcancel(s1b[j], s2b[j], c))
                j++;
            ok = j;
            *fresh_next = 1;
        }
        ind_sqrt_n(sdb, sdb, ok);
        tile_z(x + e + done + shift, z->k, s1b, sdb, ok, c, out + e + done + shift);
        done += ok;
        if (ok < m || *fresh_next)
            break;
        first = 0;
        from = 0;
    }
    return done;
}

qf_rc qf_zscore_rolling(const double *x, size_t n, int window, int shift, double *out, qf_err *err)
{
    qf_rc rc = qf_zscore_check(window, shift, err);
    if (rc != QF_OK)
        return rc;
    if (n > 0 && (x == NULL || out == NULL))
        return qf_err_set(err, QF_EINVAL, "normalization: NULL column");
    zconst c = zconst_of((size_t)window);
    size_t w = c.w;
    size_t sh = (size_t)shift;
    ind_fill_nan(out, 0, sh < n ? sh : n);
    size_t end = n > sh ? n - sh : 0; /* window ends e = t - shift */
    size_t run = 0;                   /* finite values ending at e - 1 */
    int fresh = 1;                    /* no window of this run yet */
    zwin z = {0, 0, 0};
    size_t e = 0;
    while (e < end) {
        if (!is_finite(x[e])) {
            run = 0;
            fresh = 1;
            out[e++ + sh] = NAN;
        } else if (run + 1 < w) {
            run++;
            out[e++ + sh] = NAN;
        } else {
            /* Re-anchor here, as on every w-th full window of a run. */
            size_t len = end - e < w ? end - e : w;
            size_t done = zsegment(x, e, len, sh, &c, fresh, &z, out, &fresh);
            e += done;
            run = w - 1; /* a value that is not finite comes next if done < len */
        }
    }
    return QF_OK;
}

/* Streaming state of one column: the run of finite values ending at the
 * window's newest bar, and once it is a full window, the statistics and the
 * windows since the last re-anchoring. */
typedef struct zcol {
    size_t run;
    size_t since;
    zwin win;
} zcol;

struct qf_zscore_stream {
    size_t columns;
    size_t shift;
    zconst c;
    size_t t;        /* rows pushed */
    size_t mask;     /* ring rows - 1 */
    double *ring;    /* rows x columns, row-major */
    double *scratch; /* one window of one column, oldest first */
    zcol *cols;
};

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
    s->shift = (size_t)shift;
    s->c = zconst_of((size_t)window);
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

static double ring_at(const qf_zscore_stream *s, size_t j, size_t col)
{
    return s->ring[(j & s->mask) * s->columns + col];
}

/* Copies column col's window ending at bar e to scratch, oldest first. */
static void window_to_scratch(qf_zscore_stream *s, size_t col, size_t e)
{
    size_t w = s->c.w;
    for (size_t j = 0; j < w; j++)
        s->scratch[j] = ring_at(s, e + 1 - w + j, col);
}

/* Advances column col to the window ending at bar e; 1 when that window is
 * complete and finite. The batch schedule: a fresh anchor on the first full
 * window of a run and on a window with too much cancellation, and a
 * re-anchoring every w windows after the last fresh one. */
static int zcol_advance(qf_zscore_stream *s, size_t col, size_t e)
{
    zcol *zc = &s->cols[col];
    size_t w = s->c.w;
    double x_e = ring_at(s, e, col);
    if (!is_finite(x_e)) {
        zc->run = 0;
        return 0;
    }
    zc->run++;
    if (zc->run < w)
        return 0;
    int fresh = zc->run == w;
    if (!fresh) {
        if (++zc->since == w) {
            window_to_scratch(s, col, e);
            zwin_reanchor(&zc->win, s->scratch, w, s->c.inv_w);
            zc->since = 0;
        } else {
            zwin_slide(&zc->win, ring_at(s, e - w, col), x_e);
        }
        fresh = zcancel(zc->win.s1, zc->win.s2, &s->c);
    }
    if (fresh) {
        window_to_scratch(s, col, e);
        zwin_anchor(&zc->win, s->scratch, w);
        zc->since = 0;
    }
    return 1;
}

void qf_zscore_stream_push(qf_zscore_stream *s, const double *row, double *out)
{
    size_t t = s->t;
    for (size_t k = 0; k < s->columns; k++)
        s->ring[(t & s->mask) * s->columns + k] = row[k];
    for (size_t k = 0; k < s->columns; k++) {
        out[k] = NAN;
        if (t >= s->shift && zcol_advance(s, k, t - s->shift)) {
            const zwin *z = &s->cols[k].win;
            double sd = sqrt(zvar(z->s1, z->s2, &s->c));
            out[k] = zval(row[k], z->k, z->s1, sd, &s->c);
        }
    }
    s->t = t + 1;
}

typedef struct zcols {
    const double *x;
    size_t n;
    int window, shift;
    double *out;
} zcols;

static void zcols_run(void *user, size_t first, size_t last, int is_caller)
{
    const zcols *z = user;
    (void)is_caller;
    for (size_t c = first; c < last; c++) {
        /* cannot fail: the arguments were checked by the caller */
        qf_rc rc =
            qf_zscore_rolling(z->x + c * z->n, z->n, z->window, z->shift, z->out + c * z->n, NULL);
        (void)rc;
    }
}

qf_rc qf_zscore_rolling_columns(const double *x, size_t n, size_t columns, int window, int shift,
                                int threads, double *out, qf_err *err)
{
    qf_rc rc = qf_zscore_check(window, shift, err);
    if (rc != QF_OK)
        return rc;
    if (columns > 0 && n > 0 && (x == NULL || out == NULL))
        return qf_err_set(err, QF_EINVAL, "normalization: NULL columns");
    /* a thread is worth starting only for a long series */
    if (n < 4096)
        threads = 1;
    zcols z = {x, n, window, shift, out};
    qf_parallel_for(columns, threads, zcols_run, &z);
    return QF_OK;
}
