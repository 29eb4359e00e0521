/*
 * test_slippage.c - the slippage estimator by hand: the sign (positive =
 * worse: bought above or sold below the expected price), mean,
 * quantity-weighted mean and the 95th percentile with numpy's linear
 * method (reference values from numpy.percentile noted beside each case),
 * the window of the last 100 fills evicting the oldest, an empty window,
 * and bad input that is QF_EINVAL and leaves the estimator as it was.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "exec/slippage.h"

static void assert_near(double a, double b)
{
    cr_assert(fabs(a - b) <= 1e-9 * (1 + fabs(b)), "%.17g != %.17g", a, b);
}

static double record(qf_slippage *s, double expected, double fill, qf_side side, double qty)
{
    double bps = NAN;
    qf_err err;
    cr_assert_eq(qf_slippage_record(s, expected, fill, side, qty, &bps, &err), QF_OK, "%s",
                 err.msg);
    return bps;
}

Test(slippage, sign_is_positive_when_worse_for_us)
{
    qf_slippage s;
    qf_slippage_init(&s);
    assert_near(record(&s, 100, 100.5, QF_SIDE_BUY, 1), 50);   /* bought above */
    assert_near(record(&s, 100, 99.8, QF_SIDE_SELL, 2), 20);   /* sold below */
    assert_near(record(&s, 100, 100.1, QF_SIDE_SELL, 3), -10); /* sold above: better */
    assert_near(record(&s, 100, 99.9, QF_SIDE_BUY, 4), -10);   /* bought below: better */
    cr_assert_eq(qf_slippage_count(&s), 4);
    assert_near(qf_slippage_mean(&s), 12.5);
    assert_near(qf_slippage_weighted_mean(&s), 2); /* (50 + 40 - 30 - 40) / 10 */
    /* sorted -10 -10 20 50, h = 0.95 * 3 = 2.85: 20 + 0.85 * 30 (numpy: 45.5) */
    assert_near(qf_slippage_p95(&s), 45.5);
}

Test(slippage, empty_and_single_fill)
{
    qf_slippage s;
    qf_slippage_init(&s);
    cr_assert_eq(qf_slippage_count(&s), 0);
    cr_assert(isnan(qf_slippage_mean(&s)));
    cr_assert(isnan(qf_slippage_weighted_mean(&s)));
    cr_assert(isnan(qf_slippage_p95(&s)));
    record(&s, 40000, 40012, QF_SIDE_BUY, 0.5); /* 3 bps */
    assert_near(qf_slippage_mean(&s), 3);
    assert_near(qf_slippage_p95(&s), 3);        /* numpy: 3.0 */
    record(&s, 40000, 40004, QF_SIDE_BUY, 0.5); /* 1 bps */
    /* sorted 1 3, h = 0.95: 1 + 0.95 * 2 (numpy of [1, 2] scaled: 2.9) */
    assert_near(qf_slippage_p95(&s), 2.9);
}

Test(slippage, window_keeps_the_last_100_fills)
{
    qf_slippage s;
    qf_slippage_init(&s);
    /* Fill k (1..150) is k bps worse than expected. */
    for (int k = 1; k <= 150; k++) {
        double bps = record(&s, 100, 100 + k * 0.01, QF_SIDE_BUY, 1);
        assert_near(bps, k);
        cr_assert_eq(qf_slippage_count(&s), k < 100 ? (size_t)k : 100);
        if (k == 100) {
            assert_near(qf_slippage_mean(&s), 50.5);
            assert_near(qf_slippage_p95(&s), 95.05); /* numpy.percentile(1..100, 95) */
        }
    }
    /* The window is 51..150 now. */
    assert_near(qf_slippage_mean(&s), 100.5);
    assert_near(qf_slippage_p95(&s), 145.05); /* numpy.percentile(range(51, 151), 95) */
    cr_assert_eq(s.total, 150);
}

Test(slippage, unsorted_window_matches_numpy)
{
    qf_slippage s;
    qf_slippage_init(&s);
    /* values ((i * 37) % 101) - 50 for i = 0..99, recorded as sells */
    for (int i = 0; i < 100; i++) {
        double v = (double)((i * 37) % 101 - 50);
        record(&s, 2000, 2000 * (1 - v / 1e4), QF_SIDE_SELL, 1);
    }
    assert_near(qf_slippage_mean(&s), -0.14); /* numpy.mean */
    assert_near(qf_slippage_p95(&s), 45.05);  /* numpy.percentile(x, 95) */
}

Test(slippage, bad_input_changes_nothing)
{
    qf_slippage s;
    qf_slippage_init(&s);
    record(&s, 100, 101, QF_SIDE_BUY, 1);
    qf_slippage before = s;
    const struct {
        double expected, fill;
        qf_side side;
        double qty;
        const char *field;
    } bad[] = {
        {0, 100, QF_SIDE_BUY, 1, "expected"},      {NAN, 100, QF_SIDE_BUY, 1, "expected"},
        {100, -1, QF_SIDE_BUY, 1, "fill"},         {100, INFINITY, QF_SIDE_BUY, 1, "fill"},
        {100, 100, (qf_side)0, 1, "side"},         {100, 100, QF_SIDE_SELL, 0, "quantity"},
        {100, 100, QF_SIDE_SELL, NAN, "quantity"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qf_err err;
        double out = 7;
        cr_assert_eq(qf_slippage_record(&s, bad[i].expected, bad[i].fill, bad[i].side, bad[i].qty,
                                        &out, &err),
                     QF_EINVAL, "case %zu", i);
        cr_assert(strstr(err.msg, bad[i].field) != NULL, "case %zu: %s", i, err.msg);
        cr_assert_eq(out, 7);
        cr_assert_eq(memcmp(&s, &before, sizeof s), 0, "case %zu changed the estimator", i);
    }
}
