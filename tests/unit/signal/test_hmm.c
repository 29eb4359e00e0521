/*
 * test_hmm.c - the Gaussian HMM and the regime mapping: parameters
 * recovered from a simulated 3-state series; the filtered regime at t
 * unchanged when later real BTC bars are added (and the fit on bars <= t
 * the same from the prefix as from the full series); batch, streaming and
 * chunked filters equal bit for bit; a refit from the previous model; the
 * filter, the likelihood and Viterbi against enumeration of every state
 * path on tiny cases; the regime mapping; bad input refused with a clear
 * message and nothing changed; determinism for a seed; covariances kept
 * positive definite on degenerate data; JSON round trips and validation.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bars.h"
#include "core/config.h"
#include "features/featureset.h"
#include "signal/hmm.h"
#include "signal/regime.h"
#include "testutil.h"

/* Same bits, NaN included. */
static int same(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

static qf_hmm_series series2(const double *obs, size_t n)
{
    qf_hmm_series s = {.n = n, .n_dims = 2};
    s.col[0] = obs;
    s.col[1] = obs + n;
    return s;
}

/* A realistic 3-state model on (log_returns, realized_vol) scales: calm,
 * normal and wild markets, persistent. */
static qf_hmm true_model(void)
{
    const double sd[3][2] = {{0.006, 0.03}, {0.010, 0.05}, {0.018, 0.08}};
    const double rho[3] = {-0.2, 0.1, -0.3};
    const double mean[3 * 2] = {0.0005, 0.30, -0.0002, 0.50, -0.001, 0.80};
    const double start[3] = {0.5, 0.3, 0.2};
    const double trans[3 * 3] = {0.95, 0.03, 0.02, 0.04, 0.92, 0.04, 0.03, 0.07, 0.90};
    double cov[3 * 2 * 2];
    for (int k = 0; k < 3; k++) {
        cov[k * 4 + 0] = sd[k][0] * sd[k][0];
        cov[k * 4 + 1] = cov[k * 4 + 2] = rho[k] * sd[k][0] * sd[k][1];
        cov[k * 4 + 3] = sd[k][1] * sd[k][1];
    }
    qf_hmm m;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_from_params(3, 2, start, trans, mean, cov, &m, &err), QF_OK, "%s", err.msg);
    return m;
}

/* Fitted state matching true state k: the nearest mean in the (well
 * separated) volatility column. */
static int match_state(const qf_hmm *fit, const qf_hmm *truth, int k)
{
    int best = 0;
    for (int j = 1; j < fit->n_states; j++)
        if (fabs(fit->mean[j][1] - truth->mean[k][1]) <
            fabs(fit->mean[best][1] - truth->mean[k][1]))
            best = j;
    return best;
}

/* ---- (1) parameters recovered ------------------------------------------- */

Test(hmm, recovers_parameters_of_a_simulated_three_state_series)
{
    qf_hmm truth = true_model();
    size_t n = 6000;
    double *obs = malloc(2 * n * sizeof *obs);
    int *st = malloc(n * sizeof *st);
    qf_hmm_sample(&truth, 7, n, st, obs);
    qf_hmm_series s = series2(obs, n);
    qf_hmm_fit_params p = qf_hmm_fit_params_default();
    qf_hmm fit;
    qf_hmm_fit_report rep;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_fit(&s, &p, &fit, &rep, &err), QF_OK, "%s", err.msg);
    cr_expect(rep.converged, "stopped after %d iterations", rep.iterations);
    cr_expect_eq(rep.n_used, n);
    cr_expect_eq(rep.restarts, 5);

    /* Up to a permutation of the states. */
    int perm[3], used[3] = {0};
    for (int k = 0; k < 3; k++) {
        perm[k] = match_state(&fit, &truth, k);
        cr_assert(!used[perm[k]], "two true states match fitted state %d", perm[k]);
        used[perm[k]] = 1;
    }
    for (int k = 0; k < 3; k++) {
        int f = perm[k];
        for (int i = 0; i < 2; i++) {
            double sdi = sqrt(truth.cov[k][i][i]);
            /* Means within 0.1 sd; each state has about 2,000 rows, so the
             * standard error is about 0.02 sd. */
            cr_expect(fabs(fit.mean[f][i] - truth.mean[k][i]) < 0.1 * sdi,
                      "mean[%d][%d]: fitted %g, true %g", k, i, fit.mean[f][i], truth.mean[k][i]);
            for (int j = 0; j < 2; j++) {
                double scale = sdi * sqrt(truth.cov[k][j][j]);
                /* Variances within 10 %, correlations within 0.1. */
                cr_expect(fabs(fit.cov[f][i][j] - truth.cov[k][i][j]) < 0.1 * scale,
                          "cov[%d][%d][%d]: fitted %g, true %g", k, i, j, fit.cov[f][i][j],
                          truth.cov[k][i][j]);
            }
        }
        for (int j = 0; j < 3; j++)
            cr_expect(fabs(fit.trans[f][perm[j]] - truth.trans[k][j]) < 0.02,
                      "trans[%d][%d]: fitted %g, true %g", k, j, fit.trans[f][perm[j]],
                      truth.trans[k][j]);
    }
    /* The maximum-likelihood fit explains the data at least as well as the
     * model that generated it, and the report's likelihood is the model's. */
    double ll_true, ll_fit;
    cr_assert_eq(qf_hmm_log_likelihood(&truth, &s, &ll_true, NULL, &err), QF_OK);
    cr_assert_eq(qf_hmm_log_likelihood(&fit, &s, &ll_fit, NULL, &err), QF_OK);
    cr_expect(ll_fit >= ll_true - 1e-6 * fabs(ll_true), "fit %.6f < truth %.6f", ll_fit, ll_true);
    cr_expect(same(rep.log_likelihood, ll_fit), "report %.17g, model %.17g", rep.log_likelihood,
              ll_fit);
    /* The filtered state is the true one most of the time. */
    double *prob = malloc(n * 3 * sizeof *prob);
    int *fst = malloc(n * sizeof *fst);
    cr_assert_eq(qf_hmm_filter_batch(&fit, &s, prob, fst, &err), QF_OK);
    size_t hits = 0;
    for (size_t t = 0; t < n; t++)
        hits += fst[t] == perm[st[t]];
    cr_expect(hits > n * 9 / 10, "filtered state right on %zu of %zu bars", hits, n);
    free(prob);
    free(fst);
    free(obs);
    free(st);
}

Test(hmm, refit_from_the_previous_model)
{
    qf_hmm truth = true_model();
    size_t n = 4000;
    double *obs = malloc(2 * n * sizeof *obs);
    qf_hmm_sample(&truth, 17, n, NULL, obs);
    qf_hmm_fit_params p = qf_hmm_fit_params_default();
    p.n_restarts = 2;
    qf_hmm first, again;
    qf_hmm_fit_report r1, r2;
    qf_err err = {0};
    /* The model of the first 3,000 rows starts the fit on all 4,000. */
    qf_hmm_series head = series2(obs, n), all = series2(obs, n);
    head.n = 3000;
    head.col[1] = obs + n;
    cr_assert_eq(qf_hmm_fit(&head, &p, &first, &r1, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_hmm_refit(&all, &p, &first, &again, &r2, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(r2.restarts, 1);
    cr_expect(r2.converged && r2.iterations < 30, "refit took %d iterations", r2.iterations);
    double ll_first;
    cr_assert_eq(qf_hmm_log_likelihood(&first, &all, &ll_first, NULL, &err), QF_OK);
    cr_expect_gt(r2.log_likelihood, ll_first, "EM from the start model improves the likelihood");
    /* The state order of the start model is kept. */
    for (int k = 0; k < 3; k++)
        cr_expect(fabs(again.mean[k][1] - first.mean[k][1]) < 0.05, "state %d moved", k);
    /* In place, and refused for another K. */
    qf_hmm inplace = first;
    cr_assert_eq(qf_hmm_refit(&all, &p, &inplace, &inplace, NULL, &err), QF_OK);
    cr_expect(memcmp(&inplace, &again, sizeof again) == 0);
    p.n_states = 4;
    qf_hmm keep = again;
    cr_expect_eq(qf_hmm_refit(&all, &p, &first, &again, NULL, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "has 3 states in 2 dimensions, the fit asks for 4 in 2") != NULL,
              "%s", err.msg);
    cr_expect(memcmp(&keep, &again, sizeof again) == 0);
    free(obs);
}

/* ---- (2) no lookahead on real BTC ----------------------------------------- */

typedef struct btc {
    qf_bars bars;
    double *feats; /* column-major, QF_TECH_FEATURES x n */
    size_t n;
} btc;

static double *features_of(const qf_bars *b)
{
    qf_feature_params fp = qf_feature_params_default();
    double *f = malloc(QF_TECH_FEATURES * b->n * sizeof *f);
    qf_err err = {0};
    cr_assert_eq(qf_features_compute(b, &fp, f, &err), QF_OK, "%s", err.msg);
    return f;
}

static qf_hmm_series btc_series(const double *feats, size_t n, size_t rows)
{
    qf_hmm_series s = {.n = rows, .n_dims = 2};
    s.col[0] = feats + QF_F_LOG_RETURNS * n;
    s.col[1] = feats + QF_F_REALIZED_VOL * n;
    return s;
}

/* Bars 0..t only: what the system knows at the close of bar t. */
static qf_bars prefix(const qf_bars *b, size_t t)
{
    qf_bars p = *b;
    p.n = t + 1;
    return p;
}

Test(hmm, filtered_regime_at_t_does_not_change_when_later_bars_are_added)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    size_t n = b.n;
    cr_assert_gt(n, 10000);
    double *full = features_of(&b);
    qf_hmm_fit_params p = qf_hmm_fit_params_default();
    p.n_restarts = 2;
    qf_err err = {0};
    /* The model in use at bar t is fitted on bars <= t: from the prefix's own
     * features it is the same model, bit for bit, as from the full series'
     * features cut at t. */
    size_t fit_t = 2499;
    qf_bars pb = prefix(&b, fit_t);
    double *pf = features_of(&pb);
    qf_hmm m_prefix, m_full;
    qf_hmm_series sp = btc_series(pf, pb.n, pb.n), sf = btc_series(full, n, fit_t + 1);
    cr_assert_eq(qf_hmm_fit(&sp, &p, &m_prefix, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_hmm_fit(&sf, &p, &m_full, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert(memcmp(&m_prefix, &m_full, sizeof m_prefix) == 0,
              "the fit on bars <= t depends on later bars");
    free(pf);

    qf_regime_map map;
    cr_assert_eq(qf_regime_map_build(&m_full, 1, &map, &err), QF_OK);
    size_t K = (size_t)m_full.n_states;
    double *prob_full = malloc(n * K * sizeof *prob_full);
    int8_t *reg_full = malloc(n);
    qf_hmm_series all = btc_series(full, n, n);
    cr_assert_eq(qf_hmm_filter_batch(&m_full, &all, prob_full, NULL, &err), QF_OK);
    qf_regime_series(&map, prob_full, n, reg_full, NULL);
    size_t cuts[] = {23, 24, 25, fit_t, fit_t + 1, 4321, 9000, n - 2};
    size_t counts[QF_REGIME_COUNT] = {0};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        size_t t = cuts[c];
        qf_bars tb = prefix(&b, t);
        double *tf = features_of(&tb);
        double *prob = malloc(tb.n * K * sizeof *prob);
        int8_t *reg = malloc(tb.n);
        qf_hmm_series ts = btc_series(tf, tb.n, tb.n);
        cr_assert_eq(qf_hmm_filter_batch(&m_full, &ts, prob, NULL, &err), QF_OK);
        qf_regime_series(&map, prob, tb.n, reg, NULL);
        for (size_t i = 0; i <= t; i++) {
            for (size_t k = 0; k < K; k++)
                cr_assert(same(prob[i * K + k], prob_full[i * K + k]),
                          "prefix to %zu: P(state %zu) at bar %zu is %.17g, full series %.17g", t,
                          k, i, prob[i * K + k], prob_full[i * K + k]);
            cr_assert_eq(reg[i], reg_full[i], "prefix to %zu: regime at %zu", t, i);
        }
        free(tf);
        free(prob);
        free(reg);
    }
    /* Warm-up bars have no regime; afterwards every bar has one, and the
     * real series visits all three. realized_vol needs 24 log returns: it
     * starts at bar 24. */
    cr_expect_eq(reg_full[0], QF_REGIME_UNKNOWN);
    cr_expect_eq(reg_full[23], QF_REGIME_UNKNOWN);
    for (size_t t = 24; t < n; t++) {
        cr_assert(reg_full[t] >= 0 && reg_full[t] < QF_REGIME_COUNT, "bar %zu: regime %d", t,
                  reg_full[t]);
        counts[reg_full[t]]++;
    }
    for (int r = 0; r < QF_REGIME_COUNT; r++)
        cr_expect_gt(counts[r], n / 50, "%s on only %zu bars", qf_regime_name((qf_regime)r),
                     counts[r]);
    free(prob_full);
    free(reg_full);
    free(full);
    qf_bars_cleanup(&b);
}

/* ---- (3) batch == streaming ----------------------------------------------------- */

Test(hmm, batch_filter_equals_streaming_bit_for_bit)
{
    qf_hmm m = true_model();
    size_t n = 3000;
    double *obs = malloc(2 * n * sizeof *obs);
    qf_hmm_sample(&m, 11, n, NULL, obs);
    /* Warm-up NaNs, a NaN in one column, a gap of several rows, an infinity,
     * and an outlier far in the tail of every state. */
    for (size_t t = 0; t < 30; t++)
        obs[t] = obs[n + t] = NAN;
    obs[100] = NAN;
    obs[n + 500] = NAN;
    for (size_t t = 700; t < 710; t++)
        obs[t] = NAN;
    obs[n + 900] = INFINITY;
    obs[1200] = 5.0;
    qf_hmm_series s = series2(obs, n);
    double *pb = malloc(n * 3 * sizeof *pb);
    int *sb = malloc(n * sizeof *sb);
    qf_err err = {0};
    cr_assert_eq(qf_hmm_filter_batch(&m, &s, pb, sb, &err), QF_OK, "%s", err.msg);
    qf_hmm_filter f;
    qf_hmm_filter_init(&f, &m);
    for (size_t t = 0; t < n; t++) {
        double x[2] = {obs[t], obs[n + t]}, p[3];
        int st = qf_hmm_filter_step(&f, x, p);
        cr_assert_eq(st, sb[t], "state at %zu", t);
        for (int k = 0; k < 3; k++)
            cr_assert(same(p[k], pb[t * 3 + k]), "bar %zu state %d: stream %.17g batch %.17g", t, k,
                      p[k], pb[t * 3 + k]);
        if (t >= 30)
            cr_assert(fabs(p[0] + p[1] + p[2] - 1.0) < 1e-12 && isfinite(p[0]), "bar %zu", t);
    }
    /* The same series fed in chunks of 1, 2, 3, 7 and 13 rows. */
    const size_t chunks[] = {1, 2, 3, 7, 13};
    double *pc = malloc(n * 3 * sizeof *pc);
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        qf_hmm_filter_init(&f, &m);
        for (size_t t0 = 0; t0 < n; t0 += chunks[c]) {
            size_t len = t0 + chunks[c] <= n ? chunks[c] : n - t0;
            qf_hmm_series part = {.n = len, .n_dims = 2, .col = {obs + t0, obs + n + t0}};
            cr_assert_eq(qf_hmm_filter_run(&f, &part, pc + t0 * 3, NULL, &err), QF_OK);
        }
        for (size_t i = 0; i < n * 3; i++)
            if (!same(pc[i], pb[i])) {
                cr_expect_fail("chunks of %zu: value %zu %.17g vs %.17g", chunks[c], i, pc[i],
                               pb[i]);
                break;
            }
    }
    free(pc);
    qf_hmm_filter_init(&f, &m);
    for (size_t t = 0; t < n; t++) {
        double x[2] = {obs[t], obs[n + t]};
        qf_hmm_filter_step(&f, x, NULL);
    }
    cr_expect_eq(sb[29], -1);
    cr_expect(isnan(pb[29 * 3]));
    cr_expect_eq(f.n_steps, n);
    double ll;
    size_t used;
    cr_assert_eq(qf_hmm_log_likelihood(&m, &s, &ll, &used, &err), QF_OK);
    cr_expect(same(ll, f.log_likelihood));
    cr_expect_eq(used, n - 30 - 1 - 1 - 10 - 1);
    free(pb);
    free(sb);
    free(obs);
}

Test(hmm, a_missing_row_is_a_prediction_step)
{
    qf_hmm m = true_model();
    qf_hmm_filter f;
    qf_hmm_filter_init(&f, &m);
    double nan_row[2] = {NAN, 0.3}, p[3];
    cr_expect_eq(qf_hmm_filter_step(&f, nan_row, p), -1, "no state before the first finite row");
    cr_expect(isnan(p[0]) && isnan(p[1]) && isnan(p[2]));
    cr_expect(!f.started);
    double x[2] = {0.001, 0.52};
    int st = qf_hmm_filter_step(&f, x, p);
    cr_expect_eq(st, 1, "0.52 of realized vol is the middle state");
    double before[3] = {p[0], p[1], p[2]}, ll = f.log_likelihood;
    qf_hmm_filter_step(&f, nan_row, p);
    for (int j = 0; j < 3; j++) {
        double pred = 0;
        for (int i = 0; i < 3; i++)
            pred += before[i] * m.trans[i][j];
        cr_expect(fabs(p[j] - pred) < 1e-15, "prediction %d: %.17g, expected %.17g", j, p[j], pred);
    }
    cr_expect(same(f.log_likelihood, ll), "a missing row adds no likelihood");
}

/* ---- (4) against enumeration of every path --------------------------------------- */

/* A 1-d, 2-state model: means 0 and 1, unit variances, sticky. */
static qf_hmm tiny_model(void)
{
    const double start[2] = {0.5, 0.5}, trans[4] = {0.9, 0.1, 0.1, 0.9};
    const double mean[2] = {0.0, 1.0}, cov[2] = {1.0, 1.0};
    qf_hmm m;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_from_params(2, 1, start, trans, mean, cov, &m, &err), QF_OK, "%s", err.msg);
    return m;
}

static double lnorm(double x, double mu, double var)
{
    return -0.5 * log(2 * M_PI * var) - 0.5 * (x - mu) * (x - mu) / var;
}

Test(hmm, viterbi_on_a_hand_computed_case)
{
    qf_hmm m = tiny_model();
    /* 0.6 alone is closer to state 1, but switching costs ln 0.1 twice: the
     * best path stays in state 0. */
    double x[3] = {0.0, 0.6, 0.0};
    qf_hmm_series s = {.n = 3, .n_dims = 1, .col = {x}};
    int path[3];
    double lp;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_viterbi(&m, &s, path, &lp, &err), QF_OK, "%s", err.msg);
    cr_expect(path[0] == 0 && path[1] == 0 && path[2] == 0, "path %d %d %d", path[0], path[1],
              path[2]);
    double want =
        log(0.5) + lnorm(0, 0, 1) + log(0.9) + lnorm(0.6, 0, 1) + log(0.9) + lnorm(0, 0, 1);
    cr_expect(fabs(lp - want) < 1e-12, "ln p %.17g, by hand %.17g", lp, want);
    /* A long stay near 1 does switch: after -2.5 (3 more log-density in
     * state 0 than in state 1, against ln 0.9 - ln 0.1 = 2.2 for one switch). */
    double y[5] = {-2.5, 1.0, 1.2, 0.9, 1.1};
    s.n = 5;
    s.col[0] = y;
    int path5[5];
    cr_assert_eq(qf_hmm_viterbi(&m, &s, path5, &lp, &err), QF_OK);
    int expect5[5] = {0, 1, 1, 1, 1};
    for (int t = 0; t < 5; t++)
        cr_expect_eq(path5[t], expect5[t], "t %d", t);
    /* Leading missing rows have no state. */
    double z[4] = {NAN, NAN, 0.0, 1.5};
    s.n = 4;
    s.col[0] = z;
    int pz[4];
    cr_assert_eq(qf_hmm_viterbi(&m, &s, pz, &lp, &err), QF_OK);
    cr_expect(pz[0] == -1 && pz[1] == -1 && pz[2] >= 0 && pz[3] >= 0);
}

/* Every path of a 3-state, 1-d model over T rows (one of them missing):
 * the best path's probability is Viterbi's, the sum is the likelihood, and
 * the filtered distribution at each t is the sum over paths of the prefix. */
Test(hmm, filter_likelihood_and_viterbi_match_enumeration)
{
    const double start[3] = {0.2, 0.5, 0.3};
    const double trans[9] = {0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.25, 0.25, 0.5};
    const double mean[3] = {-1.0, 0.0, 1.5}, cov[3] = {0.5, 1.0, 2.0};
    qf_hmm m;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_from_params(3, 1, start, trans, mean, cov, &m, &err), QF_OK, "%s", err.msg);
    enum { T = 6 };
    double x[T] = {0.3, -1.2, NAN, 2.0, 0.1, -0.4};
    qf_hmm_series s = {.n = T, .n_dims = 1, .col = {x}};
    double prob[T * 3];
    cr_assert_eq(qf_hmm_filter_batch(&m, &s, prob, NULL, &err), QF_OK);
    int vpath[T];
    double vlp, ll;
    cr_assert_eq(qf_hmm_viterbi(&m, &s, vpath, &vlp, &err), QF_OK);
    cr_assert_eq(qf_hmm_log_likelihood(&m, &s, &ll, NULL, &err), QF_OK);
    for (int len = 1; len <= T; len++) {
        long double mass[3] = {0}, total = 0, best = -1;
        int bestpath[T] = {0}, npaths = 1;
        for (int i = 0; i < len; i++)
            npaths *= 3;
        for (int code = 0; code < npaths; code++) {
            int path[T], c = code;
            for (int i = 0; i < len; i++, c /= 3)
                path[i] = c % 3;
            long double p = start[path[0]] * expl(lnorm(x[0], mean[path[0]], cov[path[0]]));
            for (int i = 1; i < len; i++) {
                p *= trans[path[i - 1] * 3 + path[i]];
                if (!isnan(x[i]))
                    p *= expl(lnorm(x[i], mean[path[i]], cov[path[i]]));
            }
            mass[path[len - 1]] += p;
            total += p;
            if (p > best) {
                best = p;
                memcpy(bestpath, path, sizeof path);
            }
        }
        for (int k = 0; k < 3; k++)
            cr_expect(fabs((double)(mass[k] / total) - prob[(len - 1) * 3 + k]) < 1e-12,
                      "P(state %d at %d): enumerated %.17Lg, filter %.17g", k, len - 1,
                      mass[k] / total, prob[(len - 1) * 3 + k]);
        if (len == T) {
            cr_expect(fabs((double)logl(total) - ll) < 1e-10, "ln L %.17Lg vs %.17g", logl(total),
                      ll);
            cr_expect(fabs((double)logl(best) - vlp) < 1e-10, "viterbi %.17Lg vs %.17g", logl(best),
                      vlp);
            for (int i = 0; i < T; i++)
                cr_expect_eq(vpath[i], bestpath[i], "viterbi state at %d", i);
        }
    }
}

/* ---- (5) regime mapping ------------------------------------------------------------ */

/* A model with the given volatility-column means (d = 2, column 1). */
static qf_hmm vol_model(int K, const double *vol)
{
    double start[QF_HMM_MAX_STATES], trans[QF_HMM_MAX_STATES * QF_HMM_MAX_STATES];
    double mean[QF_HMM_MAX_STATES * 2], cov[QF_HMM_MAX_STATES * 4];
    for (int i = 0; i < K; i++) {
        start[i] = 1.0 / K;
        for (int j = 0; j < K; j++)
            trans[i * K + j] = 1.0 / K;
        mean[i * 2] = 0.0;
        mean[i * 2 + 1] = vol[i];
        /* spread of column 0 opposite to the vol means, to tell the rules apart */
        cov[i * 4] = 1.0 / (1.0 + i);
        cov[i * 4 + 1] = cov[i * 4 + 2] = 0.0;
        cov[i * 4 + 3] = 1.0;
    }
    qf_hmm m;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_from_params(K, 2, start, trans, mean, cov, &m, &err), QF_OK, "%s", err.msg);
    return m;
}

Test(regime, states_map_by_mean_volatility)
{
    qf_err err = {0};
    qf_regime_map map;
    const double v3[3] = {0.7, 0.2, 0.4};
    qf_hmm m = vol_model(3, v3);
    cr_assert_eq(qf_regime_map_build(&m, 1, &map, &err), QF_OK);
    cr_expect_eq(map.of_state[0], QF_REGIME_CHOPPY);
    cr_expect_eq(map.of_state[1], QF_REGIME_TRENDING);
    cr_expect_eq(map.of_state[2], QF_REGIME_MEAN_REVERTING);
    cr_expect(map.by_vol[0] == 1 && map.by_vol[1] == 2 && map.by_vol[2] == 0);
    cr_expect_eq(qf_regime_of_state(&map, 2), QF_REGIME_MEAN_REVERTING);
    cr_expect_eq(qf_regime_of_state(&map, -1), QF_REGIME_UNKNOWN);
    cr_expect_eq(qf_regime_of_state(&map, 3), QF_REGIME_UNKNOWN);

    /* Without a volatility column: the spread of column 0 ranks them
     * (state 0 widest, state 2 narrowest). */
    cr_assert_eq(qf_regime_map_build(&m, QF_REGIME_VOL_SPREAD, &map, &err), QF_OK);
    cr_expect_eq(map.of_state[0], QF_REGIME_CHOPPY);
    cr_expect_eq(map.of_state[1], QF_REGIME_MEAN_REVERTING);
    cr_expect_eq(map.of_state[2], QF_REGIME_TRENDING);

    /* K = 2: no mean_reverting state. */
    const double v2[2] = {0.9, 0.1};
    qf_hmm m2 = vol_model(2, v2);
    cr_assert_eq(qf_regime_map_build(&m2, 1, &map, &err), QF_OK);
    cr_expect(map.of_state[0] == QF_REGIME_CHOPPY && map.of_state[1] == QF_REGIME_TRENDING);

    /* K = 5: lowest trending, highest choppy, the rest mean_reverting; a
     * tie ranks by state index. */
    const double v5[5] = {0.5, 0.3, 0.9, 0.3, 0.6};
    qf_hmm m5 = vol_model(5, v5);
    cr_assert_eq(qf_regime_map_build(&m5, 1, &map, &err), QF_OK);
    const qf_regime want5[5] = {QF_REGIME_MEAN_REVERTING, QF_REGIME_TRENDING, QF_REGIME_CHOPPY,
                                QF_REGIME_MEAN_REVERTING, QF_REGIME_MEAN_REVERTING};
    for (int k = 0; k < 5; k++)
        cr_expect_eq(map.of_state[k], want5[k], "state %d: %s", k, qf_regime_name(map.of_state[k]));

    /* The regime of a filtered distribution and its confidence. */
    const double p5[5] = {0.30, 0.05, 0.10, 0.35, 0.20};
    double conf;
    cr_expect_eq(qf_regime_of_probs(&map, p5, &conf), QF_REGIME_MEAN_REVERTING);
    cr_expect(fabs(conf - 0.85) < 1e-12, "confidence %g: states 0, 3 and 4", conf);
    const double pnan[5] = {NAN, NAN, NAN, NAN, NAN};
    cr_expect_eq(qf_regime_of_probs(&map, pnan, &conf), QF_REGIME_UNKNOWN);
    cr_expect(isnan(conf));

    /* A bad column is refused and the map is left alone. */
    qf_regime_map keep = map;
    cr_expect_eq(qf_regime_map_build(&m5, 2, &map, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "volatility column") != NULL, "%s", err.msg);
    cr_expect(memcmp(&keep, &map, sizeof map) == 0);
}

Test(regime, names_and_config)
{
    qf_regime r;
    qf_err err = {0};
    for (int i = 0; i < QF_REGIME_COUNT; i++) {
        cr_assert_eq(qf_regime_parse(qf_regime_name((qf_regime)i), &r, &err), QF_OK);
        cr_expect_eq((int)r, i);
    }
    cr_expect_str_eq(qf_regime_name(QF_REGIME_TRENDING), "trending");
    cr_expect_str_eq(qf_regime_name(QF_REGIME_MEAN_REVERTING), "mean_reverting");
    cr_expect_str_eq(qf_regime_name(QF_REGIME_CHOPPY), "choppy");
    cr_expect_eq(qf_regime_parse("bullish", &r, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "'bullish' is not a regime") != NULL, "%s", err.msg);

    qf_config cfg;
    qf_config_init(&cfg);
    cr_expect_eq(qf_regime_vol_dim(&cfg.regime), 1, "[log_returns, realized_vol]");
    qf_hmm_fit_params p = qf_hmm_fit_params_from_config(&cfg.regime);
    qf_hmm_fit_params d = qf_hmm_fit_params_default();
    cr_expect(p.n_states == d.n_states && p.n_restarts == d.n_restarts &&
                  p.max_iter == d.max_iter && p.tol == d.tol &&
                  p.covariance_reg == d.covariance_reg && p.seed == d.seed,
              "the defaults of hmm.h and config/default.yaml differ");
    cfg.regime.n_features = 1;
    cr_expect_eq(qf_regime_vol_dim(&cfg.regime), QF_REGIME_VOL_SPREAD);
}

/* ---- (6) bad input ------------------------------------------------------------------ */

/* Fits that must fail with QF_EINVAL and a message containing want,
 * leaving the model and the report as they were. */
static void expect_fit_fails(const qf_hmm_series *s, const qf_hmm_fit_params *p, const char *want)
{
    qf_hmm m, before;
    qf_hmm_fit_report rep, rep_before;
    memset(&m, 0xA5, sizeof m);
    memset(&rep, 0x5A, sizeof rep);
    before = m;
    rep_before = rep;
    qf_err err = {0};
    cr_expect_eq(qf_hmm_fit(s, p, &m, &rep, &err), QF_EINVAL, "expected EINVAL for '%s'", want);
    cr_expect(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    cr_expect(memcmp(&m, &before, sizeof m) == 0, "model changed on failure ('%s')", want);
    cr_expect(memcmp(&rep, &rep_before, sizeof rep) == 0, "report changed on failure");
}

Test(hmm, bad_fit_input_is_refused_and_changes_nothing)
{
    qf_hmm truth = true_model();
    size_t n = 400;
    double *obs = malloc(2 * n * sizeof *obs);
    qf_hmm_sample(&truth, 3, n, NULL, obs);
    qf_hmm_series s = series2(obs, n);
    qf_hmm_fit_params p = qf_hmm_fit_params_default();

    p.n_states = 1;
    expect_fit_fails(&s, &p, "n_states must be in [2, 16], got 1");
    p.n_states = 17;
    expect_fit_fails(&s, &p, "n_states must be in [2, 16], got 17");
    p = qf_hmm_fit_params_default();
    p.n_restarts = 0;
    expect_fit_fails(&s, &p, "n_restarts must be in [1, 1000], got 0");
    p = qf_hmm_fit_params_default();
    p.max_iter = 0;
    expect_fit_fails(&s, &p, "max_iter must be >= 1");
    p = qf_hmm_fit_params_default();
    p.tol = NAN;
    expect_fit_fails(&s, &p, "tol must be finite");
    p = qf_hmm_fit_params_default();
    p.covariance_reg = 0.0;
    expect_fit_fails(&s, &p, "covariance_reg must be in (0, 1]");
    p = qf_hmm_fit_params_default();

    /* Too few finite rows: 3 states in 2 dimensions need 60. */
    qf_hmm_series few = s;
    few.n = 59;
    expect_fit_fails(&few, &p, "need at least 60 rows with every value finite, got 59 (of 59");
    cr_expect_eq(qf_hmm_min_rows(3, 2), 60);
    /* 100 rows, 45 with a NaN: too few again, and the message counts both. */
    few.n = 100;
    for (size_t t = 0; t < 45; t++)
        obs[n + t * 2] = NAN;
    expect_fit_fails(&few, &p, "got 55 (of 100 rows)");
    /* Nothing finite at all. */
    for (size_t t = 0; t < n; t++)
        obs[t] = NAN;
    expect_fit_fails(&s, &p, "no row has every value finite (400 rows)");
    qf_hmm_sample(&truth, 3, n, NULL, obs);

    /* Values whose variance overflows a double. */
    obs[5] = 1e300;
    obs[6] = -1e300;
    expect_fit_fails(&s, &p, "column 0's values are too large for a finite variance");
    qf_hmm_sample(&truth, 3, n, NULL, obs);

    qf_hmm_series bad = s;
    bad.n_dims = 0;
    expect_fit_fails(&bad, &p, "n_dims must be in [1, 8], got 0");
    bad.n_dims = 9;
    expect_fit_fails(&bad, &p, "n_dims must be in [1, 8], got 9");
    bad = s;
    bad.col[1] = NULL;
    expect_fit_fails(&bad, &p, "column 1 is NULL");

    /* The filter refuses a series of another width. */
    qf_err err = {0};
    double prob[3];
    qf_hmm_series one = {.n = 1, .n_dims = 1, .col = {obs}};
    cr_expect_eq(qf_hmm_filter_batch(&truth, &one, prob, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "hmm filter: the series has 1 columns, the model 2");
    free(obs);
}

/* qf_hmm_from_params failing with want in the message, *out unchanged. */
static void expect_params_fail(int K, int d, const double *start, const double *trans,
                               const double *mean, const double *cov, const char *want)
{
    qf_hmm m, before;
    memset(&m, 0x3C, sizeof m);
    before = m;
    qf_err err = {0};
    cr_expect_eq(qf_hmm_from_params(K, d, start, trans, mean, cov, &m, &err), QF_EINVAL,
                 "expected EINVAL for '%s'", want);
    cr_expect(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    cr_expect(memcmp(&m, &before, sizeof m) == 0, "model changed on failure ('%s')", want);
}

Test(hmm, non_finite_or_inconsistent_parameters_are_refused)
{
    double start[2] = {0.5, 0.5}, trans[4] = {0.9, 0.1, 0.2, 0.8};
    double mean[4] = {0, 1, 2, 3}, cov[8] = {1, 0.5, 0.5, 1, 2, 0, 0, 2};
    qf_hmm m;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_from_params(2, 2, start, trans, mean, cov, &m, &err), QF_OK, "%s", err.msg);

    expect_params_fail(1, 2, start, trans, mean, cov, "n_states must be in [2, 16], got 1");
    expect_params_fail(17, 2, start, trans, mean, cov, "n_states must be in [2, 16], got 17");
    expect_params_fail(2, 9, start, trans, mean, cov, "n_dims must be in [1, 8], got 9");
    mean[3] = NAN;
    expect_params_fail(2, 2, start, trans, mean, cov, "mean[1][1] is not finite");
    mean[3] = 3;
    cov[5] = INFINITY;
    expect_params_fail(2, 2, start, trans, mean, cov, "cov[1][0][1] is not finite");
    cov[5] = 0;
    start[1] = NAN;
    expect_params_fail(2, 2, start, trans, mean, cov, "start[1] is not finite");
    start[1] = 0.6;
    expect_params_fail(2, 2, start, trans, mean, cov, "start sums to 1.1");
    start[1] = 0.5;
    trans[2] = -0.2;
    trans[3] = 1.2;
    expect_params_fail(2, 2, start, trans, mean, cov, "trans[1][0] must be in [0, 1], got -0.2");
    trans[2] = 0.3;
    trans[3] = 0.8;
    expect_params_fail(2, 2, start, trans, mean, cov, "trans[1] sums to 1.1");
    trans[2] = 0.2;
    /* correlation 1.5: not positive definite */
    cov[1] = cov[2] = 1.5;
    expect_params_fail(2, 2, start, trans, mean, cov, "cov[0] is not positive definite");
    cov[1] = 0.4;
    cov[2] = 0.5;
    expect_params_fail(2, 2, start, trans, mean, cov, "cov[0] is not symmetric");
    cov[1] = 0.5;
    cov[4] = 0.0;
    expect_params_fail(2, 2, start, trans, mean, cov, "cov[1] is not positive definite");
}

/* ---- (7) determinism ------------------------------------------------------------------ */

Test(hmm, same_seed_same_model)
{
    qf_hmm truth = true_model();
    size_t n = 1500;
    double *obs = malloc(2 * n * sizeof *obs);
    qf_hmm_sample(&truth, 5, n, NULL, obs);
    obs[10] = NAN; /* a missing row inside */
    qf_hmm_series s = series2(obs, n);
    qf_hmm_fit_params p = qf_hmm_fit_params_default();
    p.n_restarts = 3;
    qf_hmm a, b;
    qf_hmm_fit_report ra, rb;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_fit(&s, &p, &a, &ra, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_hmm_fit(&s, &p, &b, &rb, &err), QF_OK, "%s", err.msg);
    cr_expect(memcmp(&a, &b, sizeof a) == 0, "two fits with seed 42 differ");
    cr_expect(memcmp(&ra, &rb, sizeof ra) == 0, "two reports with seed 42 differ");
    cr_expect_eq(ra.n_skipped, 1);
    cr_expect_eq(ra.restarts, 3);
    cr_expect(ra.best_restart >= 0 && ra.best_restart < 3);
    cr_expect(ra.iterations_total >= ra.iterations);
    /* The seed drives the starts: a one-iteration fit shows them. */
    p.max_iter = 1;
    p.n_restarts = 1;
    cr_assert_eq(qf_hmm_fit(&s, &p, &a, NULL, &err), QF_OK);
    p.seed = 43;
    cr_assert_eq(qf_hmm_fit(&s, &p, &b, NULL, &err), QF_OK);
    cr_expect(memcmp(&a, &b, sizeof a) != 0, "seeds 42 and 43 gave the same start");
    free(obs);
}

/* ---- (8) degenerate data ----------------------------------------------------------------- */

/* Every covariance of m factors with positive pivots (re-validated through
 * qf_hmm_from_params) and the filter stays finite on s. */
static void expect_healthy(const qf_hmm *m, const qf_hmm_series *s)
{
    int K = m->n_states, d = m->n_dims;
    double start[QF_HMM_MAX_STATES], trans[QF_HMM_MAX_STATES * QF_HMM_MAX_STATES];
    double mean[QF_HMM_MAX_STATES * QF_HMM_MAX_DIM];
    double cov[QF_HMM_MAX_STATES * QF_HMM_MAX_DIM * QF_HMM_MAX_DIM];
    for (int i = 0; i < K; i++) {
        start[i] = m->start[i];
        for (int j = 0; j < K; j++)
            trans[i * K + j] = m->trans[i][j];
        for (int j = 0; j < d; j++) {
            mean[i * d + j] = m->mean[i][j];
            for (int l = 0; l < d; l++)
                cov[(i * d + j) * d + l] = m->cov[i][j][l];
            cr_expect_gt(m->cov[i][j][j], 0.0, "cov[%d][%d][%d]", i, j, j);
        }
    }
    qf_hmm check;
    qf_err err = {0};
    cr_expect_eq(qf_hmm_from_params(K, d, start, trans, mean, cov, &check, &err), QF_OK, "%s",
                 err.msg);
    double *prob = malloc(s->n * (size_t)K * sizeof *prob);
    cr_assert_eq(qf_hmm_filter_batch(m, s, prob, NULL, &err), QF_OK);
    for (size_t i = 0; i < s->n * (size_t)K; i++)
        cr_assert(isfinite(prob[i]), "filtered probability %zu is %g", i, prob[i]);
    double ll;
    cr_assert_eq(qf_hmm_log_likelihood(m, s, &ll, NULL, &err), QF_OK);
    cr_expect(isfinite(ll));
    free(prob);
}

Test(hmm, covariance_stays_positive_definite_on_degenerate_data)
{
    qf_hmm truth = true_model();
    size_t n = 600;
    double *obs = malloc(2 * n * sizeof *obs);
    qf_hmm_sample(&truth, 9, n, NULL, obs);
    qf_hmm_series s = series2(obs, n);
    qf_hmm_fit_params p = qf_hmm_fit_params_default();
    p.n_restarts = 2;
    qf_hmm m;
    qf_err err = {0};

    /* A constant column (a halted market's volatility). */
    for (size_t t = 0; t < n; t++)
        obs[n + t] = 0.25;
    cr_assert_eq(qf_hmm_fit(&s, &p, &m, NULL, &err), QF_OK, "%s", err.msg);
    expect_healthy(&m, &s);
    for (int k = 0; k < 3; k++)
        cr_expect(fabs(m.mean[k][1] - 0.25) < 1e-12, "mean of the constant column %.17g",
                  m.mean[k][1]);

    /* Two collinear columns: the covariance of the data is singular. */
    for (size_t t = 0; t < n; t++)
        obs[n + t] = 3.0 * obs[t] + 1.0;
    cr_assert_eq(qf_hmm_fit(&s, &p, &m, NULL, &err), QF_OK, "%s", err.msg);
    expect_healthy(&m, &s);

    /* Every row the same, and only a few distinct rows. */
    for (size_t t = 0; t < n; t++) {
        obs[t] = 0.01;
        obs[n + t] = 0.5;
    }
    cr_assert_eq(qf_hmm_fit(&s, &p, &m, NULL, &err), QF_OK, "%s", err.msg);
    expect_healthy(&m, &s);
    for (size_t t = 0; t < n; t++) {
        obs[t] = (double)(t % 2) * 0.02;
        obs[n + t] = 0.5 + (double)(t % 2);
    }
    cr_assert_eq(qf_hmm_fit(&s, &p, &m, NULL, &err), QF_OK, "%s", err.msg);
    expect_healthy(&m, &s);
    free(obs);
}

/* ---- serialisation ------------------------------------------------------------------------ */

Test(hmm, json_round_trip_is_exact)
{
    qf_hmm truth = true_model();
    size_t n = 1000;
    double *obs = malloc(2 * n * sizeof *obs);
    qf_hmm_sample(&truth, 21, n, NULL, obs);
    qf_hmm_series s = series2(obs, n);
    qf_hmm_fit_params p = qf_hmm_fit_params_default();
    p.n_restarts = 1;
    qf_hmm m, back;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_fit(&s, &p, &m, NULL, &err), QF_OK, "%s", err.msg);
    char *text = NULL;
    cr_assert_eq(qf_hmm_to_json_text(&m, &text, &err), QF_OK);
    cr_expect(strstr(text, "\"format\": \"quantflow.gaussian_hmm\"") != NULL, "%s", text);
    cr_assert_eq(qf_hmm_from_json_text(text, &back, &err), QF_OK, "%s", err.msg);
    cr_expect(memcmp(&m, &back, sizeof m) == 0, "the model read back differs");
    free(text);
    free(obs);
}

static const char *GOOD_JSON =
    "{\"format\": \"quantflow.gaussian_hmm\", \"version\": 1, \"n_states\": 2, \"n_dims\": 1,"
    " \"start\": [0.5, 0.5], \"trans\": [[0.9, 0.1], [0.2, 0.8]],"
    " \"mean\": [[0], [1]], \"cov\": [[[1]], [[2]]]}";

/* GOOD_JSON with `from` replaced by `to`, then loaded: code and message. */
static void expect_json_fails(const char *from, const char *to, qf_rc code, const char *want)
{
    char text[1024];
    const char *at = strstr(GOOD_JSON, from);
    cr_assert_not_null(at, "%s", from);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - GOOD_JSON), GOOD_JSON, to,
             at + strlen(from));
    qf_hmm m, before;
    memset(&m, 0x77, sizeof m);
    before = m;
    qf_err err = {0};
    cr_expect_eq(qf_hmm_from_json_text(text, &m, &err), code, "%s -> %s: %s", from, to, err.msg);
    cr_expect(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    cr_expect(memcmp(&m, &before, sizeof m) == 0, "model changed on failure");
}

Test(hmm, json_load_validates_everything)
{
    qf_hmm m;
    qf_err err = {0};
    cr_assert_eq(qf_hmm_from_json_text(GOOD_JSON, &m, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(m.n_states, 2);
    cr_expect_eq(m.cov[1][0][0], 2.0);

    expect_json_fails("[[0], [1]]", "[[1e400], [1]]", QF_EINVAL, "overflow");
    expect_json_fails("[[[1]], [[2]]]", "[[[1]], [[-2]]]", QF_EINVAL,
                      "cov[1] is not positive definite");
    expect_json_fails("[0.2, 0.8]", "[0.3, 0.8]", QF_EINVAL, "trans[1] sums to 1.1");
    expect_json_fails("\"n_states\": 2", "\"n_states\": 1", QF_EINVAL,
                      "n_states must be in [2, 16], got 1");
    expect_json_fails("\"n_dims\": 1", "\"n_dims\": 2", QF_EINVAL,
                      "mean[0] must have 2 entries, has 1");
    expect_json_fails("\"n_dims\": 1", "\"n_dims\": 1.0", QF_EINVAL,
                      "\"n_dims\" must be an integer");
    expect_json_fails("[[0], [1]]", "[[0], [\"1\"]]", QF_EINVAL, "mean[1][0] is not a number");
    expect_json_fails(" \"start\": [0.5, 0.5],", "", QF_EINVAL, "start must be an array");
    expect_json_fails("[[[1]], [[2]]]", "[[[1]]]", QF_EINVAL, "cov must be an array of 2");
    expect_json_fails("\"version\": 1", "\"version\": 2", QF_EVERSION, "format version 2");
    expect_json_fails("gaussian_hmm", "hmm", QF_EINVAL, "\"format\" must be");
    expect_json_fails("}", "", QF_EPARSE, "JSON line 1");
}
