/*
 * test_orderbook.c - order-book feature kernels: hand-computed imbalance and
 * depth ratio (NaN cases included), rejected snapshots, the as-of alignment
 * at its edges (a snapshot exactly at the close, 1 ms after it, older than a
 * bar), against a brute-force search on the real BTC/USDT bar times (gaps
 * included), no lookahead (prefixes and later snapshots change nothing at
 * bar t), and the qf_books container.
 *
 * Real order-book history does not exist on this machine (no network), so
 * the snapshots are hand-made; the long tests place them around the real
 * BTC/USDT closes.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bars.h"
#include "features/orderbook.h"
#include "testutil.h"

#define H          INT64_C(14400000)      /* one 4h bar in ms */
#define T0         INT64_C(1700006400000) /* 2023-11-15T00:00:00Z, on the 4h grid */
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Six levels a side: the 5-level sums are 9 (bids) and 6 (asks). */
static const qf_book_level bids6[] = {{100, 2}, {99, 1}, {98, 3}, {97, 1}, {96, 2}, {95, 10}};
static const qf_book_level asks6[] = {{101, 1}, {102, 2}, {103, 1}, {104, 1}, {105, 1}, {106, 50}};

static qf_book book(int64_t t, const qf_book_level *b, size_t nb, const qf_book_level *a, size_t na)
{
    qf_book s = {t, b, nb, a, na};
    return s;
}

static double imb(const qf_book *b, int levels)
{
    double v = -7;
    qf_err err;
    cr_assert_eq(qf_book_imbalance(b, levels, &v, &err), QF_OK, "%s", err.msg);
    return v;
}

static double ratio(const qf_book *b)
{
    double v = -7;
    qf_err err;
    cr_assert_eq(qf_book_depth_ratio(b, &v, &err), QF_OK, "%s", err.msg);
    return v;
}

Test(orderbook, hand_computed)
{
    qf_book b = book(T0, bids6, 6, asks6, 6);
    cr_expect_float_eq(imb(&b, 1), 1.0 / 3.0, 1e-15);      /* (2 - 1) / (2 + 1) */
    cr_expect_float_eq(imb(&b, 2), 0.0, 1e-15);            /* (3 - 3) / 6 */
    cr_expect_float_eq(imb(&b, 5), 0.2, 1e-15);            /* (9 - 6) / 15 */
    cr_expect_float_eq(imb(&b, 100), -37.0 / 75.0, 1e-15); /* all: (19 - 56) / 75 */
    cr_expect_float_eq(ratio(&b), 1.5, 1e-15);             /* 9 / 6: the 6th level is left out */
    /* With 5 levels the imbalance is a function of the depth ratio r. */
    double r = ratio(&b);
    cr_expect_float_eq(imb(&b, 5), (r - 1) / (r + 1), 1e-15);
    /* Fewer than 5 levels: what exists is used. */
    const qf_book_level bb[] = {{10, 1}, {9, 3}};
    const qf_book_level ab[] = {{11, 2}, {12, 0}};
    qf_book s = book(T0, bb, 2, ab, 2);
    cr_expect_float_eq(ratio(&s), 2.0, 1e-15); /* 4 / 2 */
    cr_expect_float_eq(imb(&s, 1), -1.0 / 3.0, 1e-15);
    cr_expect_float_eq(imb(&s, QF_BOOK_IMBALANCE_LEVELS), -1.0 / 3.0, 1e-15);
}

Test(orderbook, nan_cases)
{
    const qf_book_level b1[] = {{10, 1}};
    const qf_book_level a0[] = {{11, 0}};
    const qf_book_level b0[] = {{10, 0}};
    qf_book no_bids = book(T0, NULL, 0, asks6, 6);
    qf_book no_asks = book(T0, bids6, 6, NULL, 0);
    qf_book empty = book(T0, NULL, 0, NULL, 0);
    qf_book zero_ask = book(T0, b1, 1, a0, 1);
    qf_book zero_both = book(T0, b0, 1, a0, 1);
    cr_expect(isnan(imb(&no_bids, 1)) && isnan(ratio(&no_bids)));
    cr_expect(isnan(imb(&no_asks, 1)) && isnan(ratio(&no_asks)));
    cr_expect(isnan(imb(&empty, 5)) && isnan(ratio(&empty)));
    cr_expect(isnan(ratio(&zero_ask)), "no ask depth: NaN");
    cr_expect_float_eq(imb(&zero_ask, 1), 1.0, 1e-15, "only bids have quantity");
    cr_expect(isnan(imb(&zero_both, 1)), "0 / 0");
    cr_expect_float_eq(ratio(&(qf_book){T0, b0, 1, asks6, 1}), 0.0, 1e-15);
}

/* Expects qf_book_check (and both kernels) to refuse s with a message
 * holding `what`, leaving the output alone. */
static void expect_rejected(const qf_book *s, const char *what)
{
    qf_err err;
    double v = 42;
    cr_expect_eq(qf_book_check(s, &err), QF_EINVAL, "accepted: %s", what);
    cr_expect(strstr(err.msg, what) != NULL, "'%s' not in '%s'", what, err.msg);
    cr_expect_eq(qf_book_imbalance(s, 1, &v, &err), QF_EINVAL);
    cr_expect_eq(qf_book_depth_ratio(s, &v, &err), QF_EINVAL);
    cr_expect_eq(v, 42);
}

Test(orderbook, rejects)
{
    const qf_book_level neg[] = {{100, 2}, {99, -1}};
    const qf_book_level nanq[] = {{100, NAN}};
    const qf_book_level infp[] = {{INFINITY, 1}};
    const qf_book_level zerop[] = {{0, 1}};
    const qf_book_level rising[] = {{99, 1}, {100, 1}};
    const qf_book_level dup[] = {{100, 1}, {100, 2}};
    const qf_book_level falling[] = {{102, 1}, {101, 1}};
    const qf_book_level at100[] = {{100, 1}};
    const qf_book_level below[] = {{99.5, 1}};
    expect_rejected(&(qf_book){T0, neg, 2, asks6, 6}, "bids[1]: quantity -1");
    expect_rejected(&(qf_book){T0, bids6, 6, nanq, 1}, "asks[0]: quantity nan");
    expect_rejected(&(qf_book){T0, infp, 1, NULL, 0}, "bids[0]: price inf");
    expect_rejected(&(qf_book){T0, zerop, 1, NULL, 0}, "bids[0]: price 0");
    expect_rejected(&(qf_book){T0, rising, 2, asks6, 6}, "bids[1]: price 100 does not come");
    expect_rejected(&(qf_book){T0, dup, 2, asks6, 6}, "strictly falling");
    expect_rejected(&(qf_book){T0, bids6, 6, falling, 2}, "asks[1]: price 101 does not come");
    expect_rejected(&(qf_book){T0, at100, 1, at100, 1}, "crossed book: best bid 100");
    expect_rejected(&(qf_book){T0, bids6, 6, below, 1}, "crossed book");
    expect_rejected(&(qf_book){T0, NULL, 3, NULL, 0}, "bids: 3 levels but no array");
    qf_book_level *deep = malloc((QF_BOOK_LEVELS_MAX + 1) * sizeof *deep);
    for (size_t i = 0; i <= QF_BOOK_LEVELS_MAX; i++)
        deep[i] = (qf_book_level){1000.0 + (double)i, 1};
    expect_rejected(&(qf_book){T0, bids6, 1, deep, QF_BOOK_LEVELS_MAX + 1}, "at most 5000");
    /* exactly the maximum is fine */
    cr_expect_eq(qf_book_check(&(qf_book){T0, bids6, 1, deep, QF_BOOK_LEVELS_MAX}, NULL), QF_OK);
    free(deep);
    qf_err err;
    double v = 42;
    qf_book ok = book(T0, bids6, 6, asks6, 6);
    cr_expect_eq(qf_book_imbalance(&ok, 0, &v, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "levels must be in [1, 5000], got 0") != NULL, "%s", err.msg);
    cr_expect_eq(qf_book_imbalance(&ok, QF_BOOK_LEVELS_MAX + 1, &v, &err), QF_EINVAL);
    cr_expect_eq(qf_book_check(NULL, &err), QF_EINVAL);
    cr_expect_eq(v, 42);
}

/* Runs qf_book_asof and qf_book_features on bars opening at open[0..n). */
static void asof(const int64_t *open, size_t n, const qf_book *books, size_t nb, size_t *idx)
{
    qf_err err;
    cr_assert_eq(qf_book_asof(open, n, H, books, nb, H, idx, &err), QF_OK, "%s", err.msg);
}

Test(orderbook, alignment_edges)
{
    const int64_t open[] = {T0, T0 + H, T0 + 2 * H, T0 + 3 * H};
    size_t idx[4];
    /* Exactly at bar 0's close: bar 0 uses it, and so does bar 1 (one bar
     * old, the oldest allowed); bar 2's close is two bars later. */
    qf_book at_close = book(T0 + H, bids6, 6, asks6, 6);
    asof(open, 4, &at_close, 1, idx);
    cr_expect_eq(idx[0], 0);
    cr_expect_eq(idx[1], 0);
    cr_expect_eq(idx[2], QF_BOOK_NONE);
    cr_expect_eq(idx[3], QF_BOOK_NONE);
    /* 1 ms after bar 0's close: not there yet at that close. */
    qf_book after = book(T0 + H + 1, bids6, 6, asks6, 6);
    asof(open, 4, &after, 1, idx);
    cr_expect_eq(idx[0], QF_BOOK_NONE);
    cr_expect_eq(idx[1], 0);
    cr_expect_eq(idx[2], QF_BOOK_NONE, "one bar and 1 ms old at bar 2's close");
    /* More than a bar before bar 0's close: stale. Exactly a bar: used. */
    qf_book stale = book(T0 - 1, bids6, 6, asks6, 6);
    asof(open, 1, &stale, 1, idx);
    cr_expect_eq(idx[0], QF_BOOK_NONE);
    qf_book oldest = book(T0, bids6, 6, asks6, 6);
    asof(open, 1, &oldest, 1, idx);
    cr_expect_eq(idx[0], 0);
    /* Several per bar: the latest by the close wins. */
    qf_book many[] = {book(T0 + 10, bids6, 6, asks6, 6), book(T0 + H - 5, bids6, 1, asks6, 1),
                      book(T0 + H, bids6, 2, asks6, 2), book(T0 + 2 * H + 1, bids6, 3, asks6, 3)};
    asof(open, 4, many, 4, idx);
    cr_expect_eq(idx[0], 2);
    cr_expect_eq(idx[1], 2);
    cr_expect_eq(idx[2], 3);
    cr_expect_eq(idx[3], QF_BOOK_NONE, "snapshot 3 is 2 bars - 1 ms old at bar 3's close");
    /* max_age 0: only a snapshot exactly at the close. */
    qf_err err;
    cr_assert_eq(qf_book_asof(open, 4, H, many, 4, 0, idx, &err), QF_OK);
    cr_expect_eq(idx[0], 2);
    cr_expect_eq(idx[1], QF_BOOK_NONE);
    /* The features follow the same choice. */
    double im[4], dr[4];
    cr_assert_eq(qf_book_features(open, 4, H, many, 4, H, 1, im, dr, &err), QF_OK, "%s", err.msg);
    cr_expect_float_eq(im[0], 1.0 / 3.0, 1e-15); /* snapshot 2: top 2 levels, imbalance at 1 */
    cr_expect_float_eq(dr[0], 1.0, 1e-15);       /* (2 + 1) / (1 + 2) */
    cr_expect_float_eq(dr[2], 6.0 / 4.0, 1e-15); /* snapshot 3: 3 levels, 6 / 4 */
    cr_assert_eq(qf_book_features(open, 4, H, &at_close, 1, H, 1, im, NULL, &err), QF_OK);
    cr_expect(!isnan(im[1]) && isnan(im[2]) && isnan(im[3]));
    /* No snapshots at all: every bar NaN. */
    cr_assert_eq(qf_book_features(open, 4, H, NULL, 0, H, 1, im, dr, &err), QF_OK);
    for (int t = 0; t < 4; t++)
        cr_expect(isnan(im[t]) && isnan(dr[t]));
}

Test(orderbook, alignment_rejects)
{
    const int64_t open[] = {T0, T0 + H, T0 + H};
    qf_book two[] = {book(T0, bids6, 6, asks6, 6), book(T0, bids6, 6, asks6, 6)};
    size_t idx[3];
    double im[3];
    qf_err err;
    cr_expect_eq(qf_book_asof(open, 3, H, two, 1, H, idx, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "bar 2: open_time") != NULL, "%s", err.msg);
    cr_expect_eq(qf_book_asof(open, 2, H, two, 2, H, idx, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "snapshot 1: time") != NULL, "%s", err.msg);
    cr_expect_eq(qf_book_asof(open, 2, 0, two, 1, H, idx, &err), QF_EINVAL);
    cr_expect_eq(qf_book_asof(open, 2, H, two, 1, -1, idx, &err), QF_EINVAL);
    cr_expect_eq(qf_book_asof(open, 2, H, two, 1, H, NULL, &err), QF_EINVAL);
    const int64_t huge[] = {INT64_MAX - 5};
    cr_expect_eq(qf_book_asof(huge, 1, H, two, 1, H, idx, &err), QF_EINVAL);
    /* A bad snapshot is found even where no bar uses it. */
    const qf_book_level neg[] = {{100, -1}};
    qf_book bad[] = {book(T0, bids6, 6, asks6, 6), book(T0 + 100 * H, neg, 1, NULL, 0)};
    cr_expect_eq(qf_book_features(open, 2, H, bad, 2, H, 1, im, NULL, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "snapshot 1 (time") != NULL && strstr(err.msg, "quantity -1"), "%s",
              err.msg);
    cr_expect_eq(qf_book_features(open, 2, H, two, 1, H, 0, im, NULL, &err), QF_EINVAL);
}

/* Deterministic generator (64-bit LCG, top bits). */
static uint64_t rnd_state = 88172645463325252ULL;
static double rnd(void)
{
    rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rnd_state >> 11) / 9007199254740992.0;
}

/* Hand-made snapshots around the real BTC/USDT closes: for about two bars in
 * three, one to three snapshots somewhere in the last 1.5 bars before the
 * close or just after it, with 1..7 levels a side spaced 0.01% apart. All
 * levels live in one array the caller frees. */
typedef struct gen {
    qf_book *books;
    qf_book_level *levels;
    size_t n;
} gen;

static gen make_books(const qf_bars *b)
{
    gen g = {malloc(3 * b->n * sizeof *g.books), malloc(3 * b->n * 14 * sizeof *g.levels), 0};
    size_t used = 0;
    int64_t last = INT64_MIN;
    for (size_t t = 0; t < b->n; t++) {
        if (rnd() < 0.33)
            continue;
        int k = 1 + (int)(rnd() * 3);
        for (int j = 0; j < k; j++) {
            int64_t at = b->open_time[t] + H - (int64_t)(rnd() * 1.5 * (double)H) + 1000;
            if (at <= last)
                continue;
            last = at;
            size_t nb = 1 + (size_t)(rnd() * 7), na = 1 + (size_t)(rnd() * 7);
            qf_book_level *lv = g.levels + used;
            double mid = b->close[t];
            for (size_t i = 0; i < nb; i++)
                lv[i] = (qf_book_level){mid * (1 - 1e-4 * (double)(i + 1)), rnd() * 5};
            for (size_t i = 0; i < na; i++)
                lv[nb + i] = (qf_book_level){mid * (1 + 1e-4 * (double)(i + 1)), rnd() * 5};
            g.books[g.n++] = book(at, lv, nb, lv + nb, na);
            used += nb + na;
        }
    }
    return g;
}

static int same(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

Test(orderbook, asof_matches_brute_force_on_real_bars)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    gen g = make_books(&b);
    cr_assert_gt(g.n, b.n / 2);
    size_t *idx = malloc(b.n * sizeof *idx);
    qf_err err;
    cr_assert_eq(qf_book_asof(b.open_time, b.n, H, g.books, g.n, H, idx, &err), QF_OK, "%s",
                 err.msg);
    size_t used = 0, bad = 0;
    for (size_t t = 0; t < b.n; t++) {
        int64_t close = b.open_time[t] + H;
        size_t want = QF_BOOK_NONE;
        for (size_t j = 0; j < g.n; j++) {
            if (g.books[j].time <= close && close - g.books[j].time <= H)
                want = j; /* ascending: the last match is the latest */
        }
        used += want != QF_BOOK_NONE;
        if (idx[t] != want && bad++ < 5)
            cr_expect_fail("bar %zu: as-of %zu, brute force %zu", t, idx[t], want);
    }
    cr_expect_eq(bad, 0);
    cr_expect_gt(used, b.n / 2, "most bars have a snapshot");
    cr_expect_lt(used, b.n, "some bars have none");
    free(idx);
    free(g.books);
    free(g.levels);
    qf_bars_cleanup(&b);
}

Test(orderbook, no_lookahead)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    gen g = make_books(&b);
    size_t n = b.n;
    double *im = malloc(n * sizeof *im), *dr = malloc(n * sizeof *dr);
    double *pim = malloc(n * sizeof *pim), *pdr = malloc(n * sizeof *pdr);
    qf_err err;
    cr_assert_eq(qf_book_features(b.open_time, n, H, g.books, g.n, H, 1, im, dr, &err), QF_OK, "%s",
                 err.msg);
    size_t checked = 0;
    for (size_t t = 0; t < n; t += 397) {
        /* Only the snapshots taken by the close of t, on the bars up to t. */
        size_t k = 0;
        while (k < g.n && g.books[k].time <= b.open_time[t] + H)
            k++;
        cr_assert_eq(qf_book_features(b.open_time, t + 1, H, g.books, k, H, 1, pim, pdr, &err),
                     QF_OK);
        cr_expect(same(pim[t], im[t]) && same(pdr[t], dr[t]), "bar %zu: prefix %g %g, full %g %g",
                  t, pim[t], pdr[t], im[t], dr[t]);
        /* Every later snapshot added (all bars): bars <= t unchanged. */
        cr_assert_eq(qf_book_features(b.open_time, n, H, g.books, k, H, 1, pim, pdr, &err), QF_OK);
        for (size_t u = 0; u <= t; u++) {
            if (!same(pim[u], im[u]) || !same(pdr[u], dr[u]))
                cr_assert_fail("bar %zu changed when snapshots after bar %zu's close came", u, t);
        }
        checked++;
    }
    cr_expect_gt(checked, 40);
    free(im);
    free(dr);
    free(pim);
    free(pdr);
    free(g.books);
    free(g.levels);
    qf_bars_cleanup(&b);
}

Test(orderbook, books_container)
{
    qf_books bs;
    qf_books_init(&bs);
    qf_err err;
    /* Enough snapshots and levels to move both arrays several times. */
    for (int i = 0; i < 300; i++) {
        size_t nb = (size_t)(i % 7), na = (size_t)((i * 3) % 5);
        qf_book s = book(T0 + i, bids6, nb > 6 ? 6 : nb, asks6, na);
        cr_assert_eq(qf_books_push(&bs, &s, &err), QF_OK, "%s", err.msg);
    }
    cr_assert_eq(bs.n, 300);
    size_t total = 0;
    for (int i = 0; i < 300; i++) {
        const qf_book *s = &bs.v[i];
        cr_assert_eq(s->time, T0 + i);
        cr_assert_eq(s->n_bids, (size_t)(i % 7 > 6 ? 6 : i % 7));
        cr_assert_eq(s->n_asks, (size_t)((i * 3) % 5));
        for (size_t j = 0; j < s->n_bids; j++)
            cr_assert(s->bids[j].price == bids6[j].price && s->bids[j].qty == bids6[j].qty);
        for (size_t j = 0; j < s->n_asks; j++)
            cr_assert(s->asks[j].price == asks6[j].price && s->asks[j].qty == asks6[j].qty);
        total += s->n_bids + s->n_asks;
    }
    cr_expect_eq(bs.n_levels, total);
    qf_books_truncate(&bs, 10);
    cr_expect_eq(bs.n, 10);
    size_t ten = 0;
    for (int i = 0; i < 10; i++)
        ten += (size_t)(i % 7) + (size_t)((i * 3) % 5);
    cr_expect_eq(bs.n_levels, ten);
    qf_book last = book(T0 + 999, bids6, 6, asks6, 6);
    cr_assert_eq(qf_books_push(&bs, &last, &err), QF_OK);
    cr_expect_eq(bs.v[10].bids[5].qty, 10);
    cr_expect_eq(bs.v[10].asks[5].qty, 50);
    qf_books_cleanup(&bs);
    cr_expect(bs.v == NULL && bs.n == 0 && bs.levels == NULL);
    qf_books_cleanup(&bs); /* twice is fine */
}
