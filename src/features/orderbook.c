/*
 * orderbook.c - order-book feature kernels and their as-of alignment to bars
 * (see orderbook.h for the definitions).
 */
#include "features/orderbook.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
