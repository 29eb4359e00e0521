/*
 * orderbook.c - order-book feature kernels, their as-of alignment to bars,
 * and the qf_books container (see orderbook.h for the definitions).
 */
#include "features/orderbook.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Checks one side: finite prices > 0, finite quantities >= 0, prices strictly
 * moving away from the spread (dir -1 for bids, +1 for asks). */
static qf_rc check_side(const char *name, const qf_book_level *lv, size_t n, int dir, qf_err *err)
{
    if (n > QF_BOOK_LEVELS_MAX)
        return qf_err_set(err, QF_EINVAL, "%s: %zu levels, at most %d allowed", name, n,
                          QF_BOOK_LEVELS_MAX);
    if (n > 0 && lv == NULL)
        return qf_err_set(err, QF_EINVAL, "%s: %zu levels but no array", name, n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(lv[i].price) || lv[i].price <= 0)
            return qf_err_set(err, QF_EINVAL, "%s[%zu]: price %g is not a finite number > 0", name,
                              i, lv[i].price);
        if (!isfinite(lv[i].qty) || lv[i].qty < 0)
            return qf_err_set(err, QF_EINVAL, "%s[%zu]: quantity %g is not a finite number >= 0",
                              name, i, lv[i].qty);
        if (i > 0 && (dir < 0 ? lv[i].price >= lv[i - 1].price : lv[i].price <= lv[i - 1].price))
            return qf_err_set(err, QF_EINVAL,
                              "%s[%zu]: price %.17g does not come after %.17g (%s must be in "
                              "strictly %s price, best first)",
                              name, i, lv[i].price, lv[i - 1].price, name,
                              dir < 0 ? "falling" : "rising");
    }
    return QF_OK;
}

qf_rc qf_book_check(const qf_book *b, qf_err *err)
{
    if (b == NULL)
        return qf_err_set(err, QF_EINVAL, "order book: no snapshot");
    qf_rc rc = check_side("bids", b->bids, b->n_bids, -1, err);
    if (rc == QF_OK)
        rc = check_side("asks", b->asks, b->n_asks, 1, err);
    if (rc != QF_OK)
        return rc;
    if (b->n_bids > 0 && b->n_asks > 0 && b->bids[0].price >= b->asks[0].price)
        return qf_err_set(err, QF_EINVAL,
                          "crossed book: best bid %.17g is not below best ask %.17g",
                          b->bids[0].price, b->asks[0].price);
    return QF_OK;
}

/* Sum of the quantities of the first min(n, levels) levels. */
static double depth(const qf_book_level *lv, size_t n, size_t levels)
{
    double sum = 0;
    for (size_t i = 0; i < n && i < levels; i++)
        sum += lv[i].qty;
    return sum;
}

/* The kernels proper, on a checked snapshot. */
static double imbalance_of(const qf_book *b, size_t levels)
{
    if (b->n_bids == 0 || b->n_asks == 0)
        return NAN;
    double bid = depth(b->bids, b->n_bids, levels);
    double ask = depth(b->asks, b->n_asks, levels);
    if (bid + ask == 0)
        return NAN;
    return (bid - ask) / (bid + ask);
}

static double depth_ratio_of(const qf_book *b)
{
    if (b->n_bids == 0 || b->n_asks == 0)
        return NAN;
    double ask = depth(b->asks, b->n_asks, QF_BOOK_DEPTH_LEVELS);
    if (ask == 0)
        return NAN;
    return depth(b->bids, b->n_bids, QF_BOOK_DEPTH_LEVELS) / ask;
}

static qf_rc check_levels(int levels, qf_err *err)
{
    if (levels < 1 || levels > QF_BOOK_LEVELS_MAX)
        return qf_err_set(err, QF_EINVAL, "order book: imbalance levels must be in [1, %d], got %d",
                          QF_BOOK_LEVELS_MAX, levels);
    return QF_OK;
}

qf_rc qf_book_imbalance(const qf_book *b, int levels, double *out, qf_err *err)
{
    qf_rc rc = check_levels(levels, err);
    if (rc == QF_OK)
        rc = qf_book_check(b, err);
    if (rc != QF_OK)
        return rc;
    *out = imbalance_of(b, (size_t)levels);
    return QF_OK;
}

qf_rc qf_book_depth_ratio(const qf_book *b, double *out, qf_err *err)
{
    qf_rc rc = qf_book_check(b, err);
    if (rc != QF_OK)
        return rc;
    *out = depth_ratio_of(b);
    return QF_OK;
}

/* Checks the arguments shared by qf_book_asof and qf_book_features: rising
 * bar and snapshot times, and closes that fit in int64. */
static qf_rc check_timeline(const int64_t *open_time, size_t n_bars, int64_t bar_ms,
                            const qf_book *books, size_t n_books, int64_t max_age_ms, qf_err *err)
{
    if ((n_bars > 0 && open_time == NULL) || (n_books > 0 && books == NULL))
        return qf_err_set(err, QF_EINVAL, "order book: no bars or no snapshots array");
    if (bar_ms <= 0 || max_age_ms < 0)
        return qf_err_set(err, QF_EINVAL,
                          "order book: bar length (%lld ms) must be > 0 and max age (%lld ms) "
                          ">= 0",
                          (long long)bar_ms, (long long)max_age_ms);
    for (size_t t = 0; t < n_bars; t++) {
        if (t > 0 && open_time[t] <= open_time[t - 1])
            return qf_err_set(err, QF_EINVAL, "order book: bar %zu: open_time %lld not after %lld",
                              t, (long long)open_time[t], (long long)open_time[t - 1]);
        if (open_time[t] > INT64_MAX - bar_ms)
            return qf_err_set(err, QF_EINVAL, "order book: bar %zu: open_time %lld too large", t,
                              (long long)open_time[t]);
    }
    for (size_t j = 1; j < n_books; j++) {
        if (books[j].time <= books[j - 1].time)
            return qf_err_set(err, QF_EINVAL,
                              "order book: snapshot %zu: time %lld not after %lld (snapshots "
                              "must be in strictly rising time)",
                              j, (long long)books[j].time, (long long)books[j - 1].time);
    }
    return QF_OK;
}

/* One step of the as-of walk: advances *next past every snapshot taken by
 * `close` and returns the latest of them if it is at most max_age_ms old,
 * else QF_BOOK_NONE. Closes must come in rising order. */
static size_t pick(const qf_book *books, size_t n_books, size_t *next, int64_t close,
                   int64_t max_age_ms)
{
    while (*next < n_books && books[*next].time <= close)
        (*next)++;
    if (*next == 0)
        return QF_BOOK_NONE;
    size_t j = *next - 1;
    /* Unsigned: time <= close, so this is the exact age even across INT64 extremes. */
    uint64_t age = (uint64_t)close - (uint64_t)books[j].time;
    return age <= (uint64_t)max_age_ms ? j : QF_BOOK_NONE;
}

qf_rc qf_book_asof(const int64_t *open_time, size_t n_bars, int64_t bar_ms, const qf_book *books,
                   size_t n_books, int64_t max_age_ms, size_t *out_idx, qf_err *err)
{
    if (n_bars > 0 && out_idx == NULL)
        return qf_err_set(err, QF_EINVAL, "order book: as-of: no output array");
    qf_rc rc = check_timeline(open_time, n_bars, bar_ms, books, n_books, max_age_ms, err);
    if (rc != QF_OK)
        return rc;
    size_t next = 0;
    for (size_t t = 0; t < n_bars; t++)
        out_idx[t] = pick(books, n_books, &next, open_time[t] + bar_ms, max_age_ms);
    return QF_OK;
}

qf_rc qf_book_features(const int64_t *open_time, size_t n_bars, int64_t bar_ms,
                       const qf_book *books, size_t n_books, int64_t max_age_ms, int levels,
                       double *imbalance, double *depth_ratio, qf_err *err)
{
    qf_rc rc = check_levels(levels, err);
    if (rc == QF_OK)
        rc = check_timeline(open_time, n_bars, bar_ms, books, n_books, max_age_ms, err);
    for (size_t j = 0; j < n_books && rc == QF_OK; j++) {
        rc = qf_book_check(&books[j], err);
        if (rc != QF_OK)
            qf_err_prefix(err, "order book: snapshot %zu (time %lld)", j, (long long)books[j].time);
    }
    if (rc != QF_OK)
        return rc;
    size_t next = 0;
    for (size_t t = 0; t < n_bars; t++) {
        size_t j = pick(books, n_books, &next, open_time[t] + bar_ms, max_age_ms);
        const qf_book *b = j != QF_BOOK_NONE ? &books[j] : NULL;
        if (imbalance != NULL)
            imbalance[t] = b != NULL ? imbalance_of(b, (size_t)levels) : NAN;
        if (depth_ratio != NULL)
            depth_ratio[t] = b != NULL ? depth_ratio_of(b) : NAN;
    }
    return QF_OK;
}

void qf_books_init(qf_books *b)
{
    memset(b, 0, sizeof *b);
}

void qf_books_cleanup(qf_books *b)
{
    free(b->v);
    free(b->levels);
    qf_books_init(b);
}

/* Points every snapshot's bids and asks at its place in b->levels (after the
 * pool moved or shrank): the levels lie in snapshot order, bids then asks. */
static void repoint(qf_books *b)
{
    size_t off = 0;
    for (size_t i = 0; i < b->n; i++) {
        qf_book *s = &b->v[i];
        /* An empty pool stays NULL: NULL + 0 is undefined in C. */
        s->bids = b->levels != NULL ? b->levels + off : NULL;
        off += s->n_bids;
        s->asks = b->levels != NULL ? b->levels + off : NULL;
        off += s->n_asks;
    }
}

/* Grows an array to hold at least `need` elements of `size` bytes (doubling
 * from 16). Returns 0 when it already had room, 1 when it was reallocated
 * (it may have moved), -1 when out of memory (*p and *cap unchanged). */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap < 16 ? 16 : *cap;
    while (cap2 < need)
        cap2 = cap2 > SIZE_MAX / 2 ? need : cap2 * 2;
    if (cap2 > SIZE_MAX / size)
        return -1;
    void *q = realloc(*p, cap2 * size);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = cap2;
    return 1;
}

qf_rc qf_books_push(qf_books *b, const qf_book *snap, qf_err *err)
{
    if (snap->n_bids > QF_BOOK_LEVELS_MAX || snap->n_asks > QF_BOOK_LEVELS_MAX)
        return qf_err_set(err, QF_EINVAL, "order book: more than %d levels a side",
                          QF_BOOK_LEVELS_MAX);
    size_t k = snap->n_bids + snap->n_asks;
    void *v = b->v;
    void *levels = b->levels;
    if (grow(&v, &b->cap, b->n + 1, sizeof *b->v) < 0)
        return qf_err_set(err, QF_ENOMEM, "order book: out of memory");
    b->v = v;
    int moved = grow(&levels, &b->cap_levels, b->n_levels + k, sizeof *b->levels);
    if (moved < 0)
        return qf_err_set(err, QF_ENOMEM, "order book: out of memory");
    b->levels = levels;
    if (snap->n_bids > 0)
        memcpy(b->levels + b->n_levels, snap->bids, snap->n_bids * sizeof *b->levels);
    if (snap->n_asks > 0)
        memcpy(b->levels + b->n_levels + snap->n_bids, snap->asks,
               snap->n_asks * sizeof *b->levels);
    b->v[b->n] = *snap;
    b->n++;
    b->n_levels += k;
    if (moved) {
        repoint(b);
        return QF_OK;
    }
    qf_book *s = &b->v[b->n - 1];
    size_t off = b->n_levels - k;
    s->bids = b->levels != NULL ? b->levels + off : NULL;
    s->asks = b->levels != NULL ? b->levels + off + s->n_bids : NULL;
    return QF_OK;
}

void qf_books_truncate(qf_books *b, size_t n)
{
    if (n >= b->n)
        return;
    b->n = n;
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += b->v[i].n_bids + b->v[i].n_asks;
    b->n_levels = used;
}
