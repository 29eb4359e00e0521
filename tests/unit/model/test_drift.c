/*
 * test_drift.c - PSI: bins at the reference's deciles, a hand-computed
 * shift, the same data scoring 0, ties and constants, and on real BTC log
 * returns a volatility change flagged where a resample is not.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features/featureset.h"
#include "model/drift.h"
#include "testutil.h"

Test(drift, deciles_of_0_to_99)
{
    double x[100], s[100];
    for (int i = 0; i < 100; i++)
        x[99 - i] = i; /* unsorted on purpose */
    qf_psi_ref r;
    cr_assert_eq(qf_psi_reference(x, 100, 10, s, &r, NULL), QF_OK);
    cr_assert_eq(r.n_bins, 10);
    for (int k = 1; k < 10; k++)
        cr_expect(fabs(r.edges[k - 1] - 9.9 * k) < 1e-12, "edge %d: %.17g", k, r.edges[k - 1]);
    for (int j = 0; j < 10; j++)
        cr_expect_eq(r.share[j], 0.1, "bin %d", j);
    cr_expect_eq(qf_psi(&r, x, 100), 0.0, "the reference against itself");
    cr_expect_eq(qf_psi_bin(&r, 9.9), 0, "an edge belongs to the bin below");
    cr_expect_eq(qf_psi_bin(&r, 9.90001), 1);
    cr_expect_eq(qf_psi_bin(&r, -1e300), 0);
    cr_expect_eq(qf_psi_bin(&r, 1e300), 9);
    /* recent: half in the top bin, half in the bottom */
    double y[4] = {1000, 1000, -5, -5};
    double want = 2 * (0.5 - 0.1) * log(0.5 / 0.1) + 8 * (1e-4 - 0.1) * log(1e-4 / 0.1);
    cr_expect(fabs(qf_psi(&r, y, 4) - want) < 1e-12, "%.17g vs %.17g", qf_psi(&r, y, 4), want);
}

Test(drift, nan_skipped_and_constant_reference)
{
    double x[12] = {NAN, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, NAN}, s[12];
    qf_psi_ref r;
    cr_assert_eq(qf_psi_reference(x, 12, 10, s, &r, NULL), QF_OK);
    cr_expect_eq(r.n_bins, 2, "ties merged into one edge");
    cr_expect_eq(qf_psi(&r, x, 12), 0.0);
    double up[3] = {4, 4, NAN};
    cr_expect_gt(qf_psi(&r, up, 3), 5.0, "a constant that moves is drift");
    double none[2] = {NAN, NAN};
    cr_expect(isnan(qf_psi(&r, none, 2)));
}

Test(drift, bad_input_changes_nothing)
{
    double x[5] = {1, 2, 3, 4, 5}, s[5];
    qf_psi_ref r;
    memset(&r, 0x5a, sizeof r);
    qf_err err = {0};
    cr_expect_eq(qf_psi_reference(x, 5, 10, s, &r, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "at least 10 finite values, has 5") != NULL, "%s", err.msg);
    cr_expect_eq(qf_psi_reference(x, 5, 1, s, &r, &err), QF_EINVAL);
    cr_expect_eq(qf_psi_reference(x, 5, 65, s, &r, &err), QF_EINVAL);
    cr_expect_eq(r.n_bins, (size_t)0x5a5a5a5a5a5a5a5aULL, "output untouched");
}

/* Real BTC log returns: the second half against the first is stable
 * enough; the same returns scaled up 3x (a volatility regime change) are
 * flagged at the 0.2 threshold. */
Test(drift, btc_log_returns)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    size_t n = b.n;
    double *f = malloc(QF_TECH_FEATURES * n * sizeof *f), *s = malloc(n * sizeof *s);
    qf_feature_params p = qf_feature_params_default();
    cr_assert_eq(qf_features_compute(&b, &p, f, NULL), QF_OK);
    const double *lr = f + QF_F_LOG_RETURNS * n;
    size_t half = n / 2, recent = 2000;
    qf_psi_ref r;
    cr_assert_eq(qf_psi_reference(lr + half - 4000, 4000, 10, s, &r, NULL), QF_OK);
    double same = qf_psi(&r, lr + half, recent);
    double *scaled = malloc(recent * sizeof *scaled);
    for (size_t i = 0; i < recent; i++)
        scaled[i] = 3.0 * lr[half + i];
    double shifted = qf_psi(&r, scaled, recent);
    cr_expect_lt(same, 0.2, "next 2000 bars: %g", same);
    cr_expect_gt(shifted, 0.2, "3x volatility: %g", shifted);
    free(scaled);
    free(f);
    free(s);
    qf_bars_cleanup(&b);
}
