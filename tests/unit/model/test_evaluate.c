/*
 * test_evaluate.c - accuracy, log loss, pinball loss and coverage on
 * hand-computed cases.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "model/evaluate.h"

Test(evaluate, classifier_by_hand)
{
    const double p[] = {0.7, 0.2, 0.1,  /* label 0: hit */
                        0.1, 0.3, 0.6,  /* label 1: miss */
                        0.2, 0.2, 0.6,  /* label -1: skipped */
                        0.0, 0.5, 0.5,  /* label 0: miss, p clipped to 1e-15; tie -> class 1 */
                        0.3, 0.3, 0.4}; /* label 2: hit */
    const int8_t y[] = {0, 1, -1, 0, 2};
    qf_class_scores s = qf_eval_classifier(p, y, 5);
    cr_expect_eq(s.n, 4);
    cr_expect_eq(s.accuracy, 0.5);
    double want = (-log(0.7) - log(0.3) - log(1e-15) - log(0.4)) / 4.0;
    cr_expect(fabs(s.log_loss - want) < 1e-12, "%.17g vs %.17g", s.log_loss, want);
}

Test(evaluate, ties_go_to_the_lowest_class)
{
    const double p[] = {0.4, 0.4, 0.2};
    const int8_t a[] = {0}, b[] = {1};
    cr_expect_eq(qf_eval_classifier(p, a, 1).accuracy, 1.0);
    cr_expect_eq(qf_eval_classifier(p, b, 1).accuracy, 0.0);
}

Test(evaluate, quantile_by_hand)
{
    const double q[] = {0.0, 0.0, 0.0, 0.0, 1.0};
    const double y[] = {1.0, -1.0, 2.0, NAN, 0.5};
    /* alpha 0.25: 0.25*1, 0.75*1, 0.25*2, skipped, 0.75*0.5 */
    qf_quantile_scores s = qf_eval_quantile(q, y, 5, 0.25);
    cr_expect_eq(s.n, 4);
    cr_expect(fabs(s.pinball - (0.25 + 0.75 + 0.5 + 0.375) / 4.0) < 1e-15);
    cr_expect_eq(s.coverage, 0.5, "y below q at rows 1 and 4");
    cr_expect_eq(qf_pinball(1.0, 1.0, 0.9), 0.0);
}

Test(evaluate, nothing_to_score_is_nan)
{
    const double q[] = {0.0};
    const double y[] = {NAN};
    const int8_t l[] = {-1};
    const double p[] = {1, 0, 0};
    cr_expect(isnan(qf_eval_quantile(q, y, 1, 0.5).pinball));
    cr_expect(isnan(qf_eval_classifier(p, l, 1).accuracy));
    cr_expect_eq(qf_eval_classifier(p, l, 1).n, 0);
}
