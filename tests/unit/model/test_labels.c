/*
 * test_labels.c - triple-barrier labels and forward returns: hand-computed
 * cases for each way a label is decided, the unlabeled tail, bad prices, and
 * on the bundled BTC closes a direct re-derivation and the no-lookahead
 * property (a label is the same whatever follows its window).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/labels.h"
#include "testutil.h"

static qf_label_params params(int h)
{
    qf_label_params p = qf_label_params_default();
    p.max_holding_bars = h;
    return p;
}

static void label(const double *c, size_t n, int h, int8_t *out)
{
    qf_label_params p = params(h);
    qf_err err = {0};
    cr_assert_eq(qf_label_triple_barrier(c, n, &p, out, &err), QF_OK, "%s", err.msg);
}

Test(labels, upper_barrier_first)
{
    /* upper 103, lower 98.5: 101 touches nothing, 103.5 the upper. */
    const double c[] = {100, 101, 103.5, 97};
    int8_t l[4];
    label(c, 4, 3, l);
    cr_expect_eq(l[0], QF_LABEL_UP);
    cr_expect_eq(l[1], QF_LABEL_NONE);
}

Test(labels, lower_barrier_first)
{
    const double c[] = {100, 98.4, 104, 100};
    int8_t l[4];
    label(c, 4, 3, l);
    cr_expect_eq(l[0], QF_LABEL_DOWN, "98.4 <= 98.5 comes before 104");
}

Test(labels, touching_the_barrier_counts)
{
    /* 1 * 1.03 is the double 1.03 itself: at the barrier is a touch. */
    const double up[] = {1.0, 1.03, 1.0};
    const double dn[] = {1.0, 0.985, 1.0};
    int8_t l[3];
    label(up, 3, 2, l);
    cr_expect_eq(l[0], QF_LABEL_UP);
    label(dn, 3, 2, l);
    cr_expect_eq(l[0], QF_LABEL_DOWN);
}

Test(labels, time_barrier_decides)
{
    int8_t l[3];
    const double a[] = {100, 100.2, 100.6}; /* +0.6 % > 0.5 % */
    label(a, 3, 2, l);
    cr_expect_eq(l[0], QF_LABEL_UP);
    const double b[] = {100, 100.2, 100.4}; /* +0.4 %: neutral */
    label(b, 3, 2, l);
    cr_expect_eq(l[0], QF_LABEL_NEUTRAL);
    const double c[] = {100, 99.9, 99.4}; /* -0.6 % */
    label(c, 3, 2, l);
    cr_expect_eq(l[0], QF_LABEL_DOWN);
    const double d[] = {100, 102.9, 100.5}; /* near the upper, back to +0.5 %: not > */
    label(d, 3, 2, l);
    cr_expect_eq(l[0], QF_LABEL_NEUTRAL);
}

Test(labels, partial_window_is_unlabeled_even_when_touched)
{
    /* Bar 1's window (bars 2, 3) is cut by the end: unlabeled although bar
     * 2 is above its upper barrier. */
    const double c[] = {100, 100, 110};
    int8_t l[3];
    label(c, 3, 2, l);
    cr_expect_eq(l[0], QF_LABEL_UP);
    cr_expect_eq(l[1], QF_LABEL_NONE);
    cr_expect_eq(l[2], QF_LABEL_NONE);
}

Test(labels, bad_prices_unlabel_their_windows)
{
    const double c[] = {100, 101, NAN, 102, 103, 104, 0.0, 105, 106};
    int8_t l[9];
    label(c, 9, 2, l);
    /* windows i..i+2 holding index 2 (i = 0, 1, 2) or 6 (i = 4, 5, 6) */
    const int8_t want_none[] = {1, 1, 1, 0, 1, 1, 1, 1, 1};
    for (int i = 0; i < 9; i++)
        cr_expect_eq(l[i] == QF_LABEL_NONE, want_none[i], "bar %d: %d", i, l[i]);
    cr_expect_eq(l[3], QF_LABEL_UP, "102 -> 104: +1.96 %");
}

Test(labels, bad_parameters_change_nothing)
{
    const double c[] = {1, 2, 3};
    int8_t l[3] = {7, 7, 7};
    qf_err err = {0};
    qf_label_params p = params(0);
    cr_expect_eq(qf_label_triple_barrier(c, 3, &p, l, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "max_holding_bars") != NULL, "%s", err.msg);
    p = params(2);
    p.stop_loss_pct = 1.0;
    cr_expect_eq(qf_label_triple_barrier(c, 3, &p, l, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "stop_loss_pct") != NULL, "%s", err.msg);
    p = params(2);
    p.profit_taking_pct = NAN;
    cr_expect_eq(qf_label_triple_barrier(c, 3, &p, l, &err), QF_EINVAL);
    cr_expect(l[0] == 7 && l[1] == 7 && l[2] == 7);
    double f[3] = {7, 7, 7};
    cr_expect_eq(qf_forward_log_return(c, 3, 0, f, &err), QF_EINVAL);
    cr_expect(f[0] == 7);
}

Test(labels, forward_log_return)
{
    const double c[] = {100, 110, 121, NAN, 130};
    double f[5];
    cr_assert_eq(qf_forward_log_return(c, 5, 2, f, NULL), QF_OK);
    cr_expect_eq(f[0], log(121.0 / 100.0));
    cr_expect(isnan(f[1]), "bar 3 is NaN");
    cr_expect_eq(f[2], log(130.0 / 121.0));
    cr_expect(isnan(f[3]) && isnan(f[4]));
}

/* On the real closes: every label re-derived from its definition written
 * differently (returns of the window), the tail unlabeled, all three
 * classes present, and each label unchanged on a prefix that ends right
 * after its window (nothing beyond the window matters). */
Test(labels, btc_definition_and_no_lookahead)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    size_t n = b.n;
    qf_label_params p = qf_label_params_default();
    int h = p.max_holding_bars;
    int8_t *l = malloc(n), *pre = malloc(n);
    double *f = malloc(n * sizeof *f);
    cr_assert_eq(qf_label_triple_barrier(b.close, n, &p, l, NULL), QF_OK);
    cr_assert_eq(qf_forward_log_return(b.close, n, h, f, NULL), QF_OK);
    size_t count[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (i + (size_t)h >= n) {
            cr_assert_eq(l[i], QF_LABEL_NONE, "tail bar %zu", i);
            cr_assert(isnan(f[i]));
            continue;
        }
        int want = -1;
        for (int j = 1; j <= h && want < 0; j++) {
            if (b.close[i + j] >= b.close[i] * 1.03)
                want = 2;
            else if (b.close[i + j] <= b.close[i] * 0.985)
                want = 0;
        }
        if (want < 0) {
            double r = exp(f[i]) - 1.0; /* the time-barrier return, via the log return */
            double direct = b.close[i + (size_t)h] / b.close[i] - 1.0;
            cr_assert(fabs(r - direct) < 1e-12);
            want = direct > 0.005 ? 2 : direct < -0.005 ? 0 : 1;
        }
        cr_assert_eq(l[i], want, "bar %zu: %d, want %d", i, l[i], want);
        count[l[i]]++;
    }
    cr_expect(count[0] > 1000 && count[1] > 1000 && count[2] > 1000, "%zu %zu %zu", count[0],
              count[1], count[2]);
    for (size_t t = 100; t < n; t += 997) {
        cr_assert_eq(qf_label_triple_barrier(b.close, t + 1, &p, pre, NULL), QF_OK);
        for (size_t i = 0; i + (size_t)h <= t; i++)
            cr_assert_eq(pre[i], l[i], "bar %zu on the prefix ending at %zu", i, t);
    }
    free(l);
    free(pre);
    free(f);
    qf_bars_cleanup(&b);
}
