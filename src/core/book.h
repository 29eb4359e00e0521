/*
 * book.h - order-book snapshots as QuantFlow holds them: levels of {price,
 * qty} best first (bids strictly falling, asks strictly rising; prices in
 * the quote asset, quantities in the base asset, times UTC ms), their
 * validation, and qf_books, a growable array that owns its levels (what a
 * store query fills). The features computed from them are in
 * features/orderbook.h.
 */
#ifndef QF_CORE_BOOK_H
#define QF_CORE_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Most levels a side may hold: Binance's deepest REST snapshot. Bounds what a
 * stored snapshot (outside input) can make a reader allocate. */
#define QF_BOOK_LEVELS_MAX 5000
/* One price level. */
typedef struct qf_book_level {
    double price; /* quote asset, > 0 */
    double qty;   /* base asset, >= 0 */
} qf_book_level;

/* One snapshot: a view of levels someone else owns. */
typedef struct qf_book {
    int64_t time;              /* UTC ms */
    const qf_book_level *bids; /* n_bids levels, highest price first */
    size_t n_bids;
    const qf_book_level *asks; /* n_asks levels, lowest price first */
    size_t n_asks;
} qf_book;

/* Checks one snapshot: at most QF_BOOK_LEVELS_MAX levels a side, finite
 * prices > 0, finite quantities >= 0, bids strictly falling, asks strictly
 * rising, and best bid < best ask when both sides have levels (a crossed or
 * locked book is an error). QF_EINVAL naming the side and level. Either side
 * may be empty. */
QF_NODISCARD qf_rc qf_book_check(const qf_book *b, qf_err *err);

/* Snapshots that own their levels: v[i].bids and v[i].asks point into
 * `levels`, which holds v[0]'s bids, v[0]'s asks, v[1]'s bids, ... in order.
 * The pointers stay valid until the next push, truncate or cleanup. */
typedef struct qf_books {
    qf_book *v;            /* owned; NULL when empty */
    size_t n;              /* snapshots in use */
    size_t cap;            /* snapshots allocated */
    qf_book_level *levels; /* owned; every snapshot's levels */
    size_t n_levels;       /* levels in use */
    size_t cap_levels;     /* levels allocated */
} qf_books;

/* Empty array; cannot fail. */
void qf_books_init(qf_books *b);
/* Frees everything and leaves an empty array. */
void qf_books_cleanup(qf_books *b);
/* Appends a snapshot, copying its levels (which must not point into b). Does
 * not check it. On failure (QF_ENOMEM) b is unchanged. */
QF_NODISCARD qf_rc qf_books_push(qf_books *b, const qf_book *snap, qf_err *err);
/* Keeps the first n snapshots (n <= b->n) and their levels. */
void qf_books_truncate(qf_books *b, size_t n);

#endif
