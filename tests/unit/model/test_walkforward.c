/*
 * test_walkforward.c - purged walk-forward folds: the documented default
 * layout, the purge raised to the label horizon, no training label reaching
 * into its test window, and fold counting at the edges.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "model/walkforward.h"

static qf_wf_params defaults(void)
{
    return (qf_wf_params){
        .train_bars = 1000, .test_bars = 100, .purge_bars = 3, .embargo_bars = 2, .horizon = 12};
}

Test(walkforward, default_layout)
{
    qf_wf_params p = defaults();
    cr_expect_eq(qf_wf_effective_purge(&p), 12, "purge 3 raised to the horizon 12");
    qf_wf_fold f0 = qf_wf_fold_at(&p, 0, 0), f1 = qf_wf_fold_at(&p, 0, 1);
    cr_expect(f0.train_begin == 0 && f0.train_end == 1000 && f0.test_begin == 1012 &&
              f0.test_end == 1112);
    cr_expect(f1.train_begin == 102 && f1.train_end == 1102 && f1.test_begin == 1114 &&
              f1.test_end == 1214);
    qf_wf_fold g = qf_wf_fold_at(&p, 30, 0);
    cr_expect(g.train_begin == 30 && g.test_end == 1142, "starts at the first usable bar");
}

Test(walkforward, configured_purge_longer_than_horizon_is_kept)
{
    qf_wf_params p = defaults();
    p.purge_bars = 20;
    cr_expect_eq(qf_wf_effective_purge(&p), 20);
    cr_expect_eq(qf_wf_fold_at(&p, 0, 0).test_begin, 1020);
}

Test(walkforward, no_training_label_sees_the_test_window)
{
    for (size_t h = 1; h <= 40; h += 3) {
        qf_wf_params p = defaults();
        p.horizon = h;
        size_t n = 18370, k = qf_wf_count(&p, 29, n);
        cr_assert(k > 100);
        for (size_t i = 0; i < k; i++) {
            qf_wf_fold f = qf_wf_fold_at(&p, 29, i);
            /* the last training label is known at train_end - 1 + h */
            cr_assert_lt(f.train_end - 1 + h, f.test_begin, "h %zu fold %zu", h, i);
            cr_assert_leq(f.test_end, n);
            cr_assert_eq(f.test_end - f.test_begin, 100);
        }
        cr_assert_gt(qf_wf_fold_at(&p, 29, k).test_end, n, "fold %zu would not fit", k);
    }
}

Test(walkforward, counting_at_the_edges)
{
    qf_wf_params p = defaults();
    size_t span = 1000 + 12 + 100;
    cr_expect_eq(qf_wf_count(&p, 0, span - 1), 0);
    cr_expect_eq(qf_wf_count(&p, 0, span), 1);
    cr_expect_eq(qf_wf_count(&p, 0, span + 101), 1);
    cr_expect_eq(qf_wf_count(&p, 0, span + 102), 2);
    cr_expect_eq(qf_wf_count(&p, 5, span + 102), 1);
    cr_expect_eq(qf_wf_count(&p, 200, 100), 0);
}

Test(walkforward, bad_parameters)
{
    qf_err err = {0};
    qf_wf_params p = defaults();
    cr_expect_eq(qf_wf_params_check(&p, &err), QF_OK);
    p.test_bars = 0;
    cr_expect_eq(qf_wf_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "test_bars") != NULL, "%s", err.msg);
    p = defaults();
    p.train_bars = 0;
    cr_expect_eq(qf_wf_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "train_bars") != NULL, "%s", err.msg);
}
