/*
 * test_candles.c - the growable candle array, blank candles, and the names of
 * the shared enums in types.h.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/candles.h"
#include "core/types.h"

/* Huge requests must fail with QF_ENOMEM instead of aborting under ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

static qf_candle row(int64_t i)
{
    qf_candle c = qf_candle_blank();
    c.open_time = i * 14400000;
    c.open = (double)i;
    c.high = (double)i + 2.0;
    c.low = (double)i - 1.0;
    c.close = (double)i + 0.5;
    c.volume = (double)(i % 97);
    c.trades = i;
    return c;
}

Test(candles, init_is_empty)
{
    qf_candles c;
    memset(&c, 0x5a, sizeof c);
    qf_candles_init(&c);
    cr_assert_null(c.v);
    cr_assert_eq(c.n, 0);
    cr_assert_eq(c.cap, 0);
    qf_candles_cleanup(&c); /* cleanup of an empty array is fine */
    qf_candles_cleanup(&c); /* and idempotent */
    cr_assert_null(c.v);
}

Test(candles, push_many_keeps_every_row)
{
    qf_candles c;
    qf_candles_init(&c);
    const int64_t n = 100000;
    size_t reallocs = 0, last_cap = 0;
    for (int64_t i = 0; i < n; i++) {
        qf_candle r = row(i);
        qf_err err;
        cr_assert_eq(qf_candles_push(&c, &r, &err), QF_OK);
        cr_assert_eq(c.n, (size_t)i + 1);
        cr_assert_geq(c.cap, c.n);
        if (c.cap != last_cap) {
            reallocs++;
            last_cap = c.cap;
        }
    }
    /* Amortised O(1): geometric growth, a handful of reallocations. */
    cr_assert_leq(reallocs, 10, "%zu reallocations", reallocs);
    for (int64_t i = 0; i < n; i++) {
        qf_candle want = row(i);
        const qf_candle *got = &c.v[i];
        if (got->open_time != want.open_time || got->open != want.open || got->high != want.high ||
            got->low != want.low || got->close != want.close || got->volume != want.volume ||
            got->trades != want.trades || !isnan(got->quote_volume) ||
            !isnan(got->taker_buy_base) || !isnan(got->taker_buy_quote))
            cr_assert_fail("row %lld differs", (long long)i);
    }
    qf_candles_cleanup(&c);
    cr_assert_null(c.v);
    cr_assert_eq(c.n, 0);
    cr_assert_eq(c.cap, 0);
    /* Usable again after cleanup. */
    qf_candle r = row(7);
    cr_assert_eq(qf_candles_push(&c, &r, NULL), QF_OK);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.v[0].open_time, 7 * 14400000);
    qf_candles_cleanup(&c);
}

Test(candles, reserve_grows_only)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_err err;
    cr_assert_eq(qf_candles_reserve(&c, 0, &err), QF_OK);
    cr_assert_eq(c.cap, 0);
    cr_assert_eq(qf_candles_reserve(&c, 5000, &err), QF_OK);
    cr_assert_eq(c.cap, 5000);
    cr_assert_eq(c.n, 0);
    qf_candle *v = c.v;
    cr_assert_not_null(v);
    /* Smaller or equal requests change nothing. */
    cr_assert_eq(qf_candles_reserve(&c, 10, &err), QF_OK);
    cr_assert_eq(qf_candles_reserve(&c, 5000, &err), QF_OK);
    cr_assert_eq(c.cap, 5000);
    cr_assert_eq(c.v, v);
    /* Pushing within the reservation never reallocates. */
    for (int64_t i = 0; i < 5000; i++) {
        qf_candle r = row(i);
        cr_assert_eq(qf_candles_push(&c, &r, &err), QF_OK);
    }
    cr_assert_eq(c.v, v);
    cr_assert_eq(c.cap, 5000);
    /* Growing keeps the rows. */
    cr_assert_eq(qf_candles_reserve(&c, 20000, &err), QF_OK);
    cr_assert_eq(c.n, 5000);
    for (int64_t i = 0; i < 5000; i++)
        cr_assert_eq(c.v[i].open_time, row(i).open_time);
    qf_candles_cleanup(&c);
}

Test(candles, impossible_reserve_fails_with_enomem_and_leaves_array_unchanged)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_candle r = row(1);
    cr_assert_eq(qf_candles_push(&c, &r, NULL), QF_OK);
    qf_candle *v = c.v;
    size_t cap = c.cap;
    const size_t huge[] = {SIZE_MAX, SIZE_MAX / sizeof(qf_candle) + 1, SIZE_MAX / sizeof(qf_candle),
                           SIZE_MAX / 2 / sizeof(qf_candle)};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        qf_err err;
        qf_err_clear(&err);
        cr_assert_eq(qf_candles_reserve(&c, huge[i], &err), QF_ENOMEM, "cap %zu", huge[i]);
        cr_assert_eq(err.code, QF_ENOMEM);
        cr_assert_neq(err.msg[0], '\0');
        cr_assert_eq(qf_candles_reserve(&c, huge[i], NULL), QF_ENOMEM);
        cr_assert_eq(c.v, v);
        cr_assert_eq(c.cap, cap);
        cr_assert_eq(c.n, 1);
        cr_assert_eq(c.v[0].open_time, r.open_time);
    }
    qf_candles_cleanup(&c);
}

Test(candles, push_when_capacity_cannot_double_fails_cleanly)
{
    /* A (fake) array so large that doubling its capacity overflows size_t must
     * report QF_ENOMEM, not wrap around and write past the end. */
    qf_candle one[1];
    qf_candles c;
    c.v = one;
    c.cap = SIZE_MAX / 2 + 1;
    c.n = c.cap;
    qf_candle r = row(3);
    qf_err err;
    qf_err_clear(&err);
    cr_assert_eq(qf_candles_push(&c, &r, &err), QF_ENOMEM);
    cr_assert_eq(err.code, QF_ENOMEM);
    cr_assert_eq(c.v, one);
    cr_assert_eq(c.cap, SIZE_MAX / 2 + 1);
    cr_assert_eq(c.n, c.cap);
}

Test(candles, push_a_row_of_the_same_array_while_growing)
{
    /* c.v[0] is passed by pointer while the push has to reallocate c.v. */
    qf_candles c;
    qf_candles_init(&c);
    qf_candle r = row(42);
    cr_assert_eq(qf_candles_push(&c, &r, NULL), QF_OK);
    while (c.n < c.cap)
        cr_assert_eq(qf_candles_push(&c, &c.v[c.n - 1], NULL), QF_OK);
    size_t cap = c.cap;
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(qf_candles_push(&c, &c.v[0], NULL), QF_OK);
        cr_assert_gt(c.cap, cap);
        cap = c.cap;
        while (c.n < c.cap)
            cr_assert_eq(qf_candles_push(&c, &c.v[c.n / 2], NULL), QF_OK);
    }
    for (size_t i = 0; i < c.n; i++)
        if (c.v[i].open_time != r.open_time || c.v[i].close != r.close || c.v[i].trades != r.trades)
            cr_assert_fail("row %zu corrupted", i);
    qf_candles_cleanup(&c);
}

Test(candles, blank_marks_optional_fields_unknown)
{
    qf_candle b = qf_candle_blank();
    cr_assert_eq(b.open_time, 0);
    cr_assert_eq(b.open, 0.0);
    cr_assert_eq(b.high, 0.0);
    cr_assert_eq(b.low, 0.0);
    cr_assert_eq(b.close, 0.0);
    cr_assert_eq(b.volume, 0.0);
    cr_assert(isnan(b.quote_volume));
    cr_assert_eq(b.trades, -1);
    cr_assert(isnan(b.taker_buy_base));
    cr_assert(isnan(b.taker_buy_quote));
}

Test(types, enum_names)
{
    cr_assert_str_eq(qf_order_status_name(QF_ORDER_PENDING), "pending");
    cr_assert_str_eq(qf_order_status_name(QF_ORDER_UNCONFIRMED), "unconfirmed");
    cr_assert_str_eq(qf_order_status_name(QF_ORDER_OPEN), "open");
    cr_assert_str_eq(qf_order_status_name(QF_ORDER_PARTIALLY_FILLED), "partially_filled");
    cr_assert_str_eq(qf_order_status_name(QF_ORDER_FILLED), "filled");
    cr_assert_str_eq(qf_order_status_name(QF_ORDER_CANCELLED), "cancelled");
    cr_assert_str_eq(qf_order_status_name(QF_ORDER_REJECTED), "rejected");
    cr_assert_str_eq(qf_order_status_name(QF_ORDER_EXPIRED), "expired");
    cr_assert_str_eq(qf_order_status_name((qf_order_status)8), "unknown");
    cr_assert_str_eq(qf_order_status_name((qf_order_status)-1), "unknown");
    cr_assert_str_eq(qf_regime_name(QF_REGIME_TRENDING), "trending");
    cr_assert_str_eq(qf_regime_name(QF_REGIME_MEAN_REVERTING), "mean_reverting");
    cr_assert_str_eq(qf_regime_name(QF_REGIME_CHOPPY), "choppy");
    cr_assert_str_eq(qf_regime_name(QF_REGIME_UNKNOWN), "unknown");
    cr_assert_str_eq(qf_regime_name((qf_regime)4), "unknown");
    cr_assert_str_eq(qf_regime_name((qf_regime)-7), "unknown");
}
