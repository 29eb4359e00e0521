/* book.c - order-book snapshot validation and the qf_books container (book.h). */
#include "core/book.h"

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
