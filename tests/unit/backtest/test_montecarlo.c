/*
 * test_montecarlo.c - the block bootstrap: identical results for any thread
 * count, exact invariants (a block as long as the series only rotates it, so
 * every simulation compounds to the original), constant returns, the
 * percentile rule, real BTC returns, bad input.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/montecarlo.h"
#include "testutil.h"

static double *btc_returns(size_t *n)
{
    qf_bars b;
    qf_bars_init(&b);
    cr_assert_eq(qf_test_load_bars("BTCUSDT", &b, NULL), QF_OK);
    double *r = malloc(b.n * sizeof *r);
    for (size_t i = 1; i < b.n; i++)
        r[i - 1] = b.close[i] / b.close[i - 1] - 1;
    *n = b.n - 1;
    qf_bars_cleanup(&b);
    return r;
}

Test(montecarlo, same_results_whatever_the_thread_count)
{
    size_t n;
    double *r = btc_returns(&n);
    size_t sims = 257;
    double *a = malloc(3 * sims * sizeof *a), *b = malloc(3 * sims * sizeof *b);
    qf_mc_summary sa, sb;
    qf_mc_config c = {sims, 24, 42, 2190, 1};
    cr_assert_eq(qf_mc_bootstrap(r, n, &c, &sa, a, NULL), QF_OK);
    int threads[] = {2, 3, 7, 0};
    for (size_t k = 0; k < 4; k++) {
        c.threads = threads[k];
        cr_assert_eq(qf_mc_bootstrap(r, n, &c, &sb, b, NULL), QF_OK);
        cr_assert(memcmp(a, b, 3 * sims * sizeof *a) == 0, "threads=%d differs", threads[k]);
        cr_assert(memcmp(&sa, &sb, sizeof sa) == 0);
    }
    c.seed = 43;
    cr_assert_eq(qf_mc_bootstrap(r, n, &c, &sb, b, NULL), QF_OK);
    cr_expect(memcmp(a, b, 3 * sims * sizeof *a) != 0, "another seed, another sample");
    /* sanity on real data: ordered percentiles, a probability */
    cr_expect(sa.total_return.p5 < sa.total_return.p50 &&
              sa.total_return.p50 < sa.total_return.p95);
    cr_expect(sa.max_drawdown.p5 > 0 && sa.max_drawdown.p95 < 1);
    cr_expect(sa.prob_loss >= 0 && sa.prob_loss <= 1);
    free(a);
    free(b);
    free(r);
}

Test(montecarlo, full_length_block_is_a_rotation)
{
    size_t n;
    double *r = btc_returns(&n);
    n = 2000;
    long double prod = 1, sum = 0, sumsq = 0;
    for (size_t i = 0; i < n; i++) {
        prod *= 1 + (long double)r[i];
        sum += r[i];
        sumsq += (long double)r[i] * r[i];
    }
    long double mean = sum / n;
    double sharpe = (double)(mean / sqrtl((sumsq - sum * mean) / (n - 1)) * sqrtl(2190));
    size_t sims = 64;
    double *s = malloc(3 * sims * sizeof *s);
    qf_mc_summary sum_out;
    qf_mc_config c = {sims, n, 7, 2190, 0};
    cr_assert_eq(qf_mc_bootstrap(r, n, &c, &sum_out, s, NULL), QF_OK);
    for (size_t i = 0; i < sims; i++) {
        cr_expect(fabs(s[3 * i] - (double)(prod - 1)) < 1e-9 * fabs((double)prod),
                  "sim %zu: %.17g vs %.17Lg", i, s[3 * i], prod - 1);
        cr_expect(fabs(s[3 * i + 1] - sharpe) < 1e-9, "sim %zu sharpe", i);
    }
    free(s);
    free(r);
}

Test(montecarlo, constant_returns_and_percentiles)
{
    double r[100];
    for (int i = 0; i < 100; i++)
        r[i] = 0.01;
    qf_mc_summary s;
    qf_mc_config c = {10, 5, 1, 2190, 2};
    cr_assert_eq(qf_mc_bootstrap(r, 100, &c, &s, NULL, NULL), QF_OK);
    cr_expect(fabs(s.total_return.p50 - (pow(1.01, 100) - 1)) < 1e-9);
    cr_expect_eq(s.max_drawdown.p95, 0.0);
    cr_expect_eq(s.prob_loss, 0.0);
    cr_expect(isnan(s.sharpe.mean), "zero deviation: Sharpe undefined");
    /* percentiles interpolate like numpy: sims of alternating returns */
    double alt[4] = {0.1, -0.1, 0.2, -0.2};
    double sims[3 * 5];
    qf_mc_config c2 = {5, 1, 3, 4, 1};
    cr_assert_eq(qf_mc_bootstrap(alt, 4, &c2, &s, sims, NULL), QF_OK);
    double v[5];
    for (int i = 0; i < 5; i++)
        v[i] = sims[3 * i];
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (v[j] < v[i]) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    cr_expect(fabs(s.total_return.p50 - v[2]) < 1e-15);
    cr_expect(fabs(s.total_return.p5 - (v[0] + 0.2 * (v[1] - v[0]))) < 1e-15);
    cr_expect(fabs(s.total_return.p95 - (v[3] + 0.8 * (v[4] - v[3]))) < 1e-15);
}

Test(montecarlo, bad_input)
{
    double r[3] = {0.1, -1.5, 0.2};
    qf_mc_summary s;
    qf_err err = {0};
    qf_mc_config c = {10, 2, 1, 2190, 1};
    cr_expect_eq(qf_mc_bootstrap(r, 3, &c, &s, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "montecarlo: return 1 is -1.5 (must be > -1)");
    r[1] = 0;
    c.block = 4;
    cr_expect_eq(qf_mc_bootstrap(r, 3, &c, &s, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "montecarlo: block must be in [1, 3] bars, got 4");
    c.block = 1;
    c.n_sims = 0;
    cr_expect_eq(qf_mc_bootstrap(r, 3, &c, &s, NULL, &err), QF_EINVAL);
}

/* One simulation as first written: each block start drawn when needed from
 * the public stream, a division for the drawdown at every bar. */
static void naive_sim(const double *r, size_t n, const qf_mc_config *c, size_t i, double row[3])
{
    qf_rng g;
    qf_rng_seed(&g, c->seed, i);
    double eq = 1.0, peak = 1.0, worst = 0.0, sum = 0.0, sumsq = 0.0;
    for (size_t done = 0; done < n;) {
        size_t start = (size_t)(qf_rng_uniform(&g) * (double)n);
        start = start < n ? start : n - 1;
        size_t len = c->block < n - done ? c->block : n - done;
        for (size_t k = 0; k < len; k++) {
            double x = r[(start + k) % n];
            sum += x;
            sumsq += x * x;
            eq *= 1.0 + x;
            if (eq > peak)
                peak = eq;
            double dd = 1.0 - eq / peak;
            if (dd > worst)
                worst = dd;
        }
        done += len;
    }
    double mean = sum / (double)n;
    double var = (sumsq - sum * mean) / (double)(n - 1);
    double sd = var > 0 ? sqrt(var) : 0.0;
    row[0] = eq - 1.0;
    row[1] = sd > 0 ? mean / sd * sqrt(c->bars_per_year) : NAN;
    row[2] = worst;
}

/* Paths simulated in pairs with block starts drawn ahead give the same bits
 * as one path at a time: odd and even counts (the unpaired path), blocks of
 * 1, a few bars and the whole series (every block wraps), 1-3 threads. */
Test(montecarlo, paired_paths_match_one_path_at_a_time)
{
    size_t n;
    double *r = btc_returns(&n);
    size_t blocks[] = {1, 7, 24, 1000, n};
    size_t counts[] = {1, 2, 3, 8, 33};
    double *got = malloc(3 * 33 * sizeof *got);
    for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++)
        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
            qf_mc_config c = {counts[ci], blocks[bi], 11 + bi, 2190, 1 + (int)(ci % 3)};
            qf_mc_summary s;
            cr_assert_eq(qf_mc_bootstrap(r, n, &c, &s, got, NULL), QF_OK);
            for (size_t i = 0; i < counts[ci]; i++) {
                double want[3];
                naive_sim(r, n, &c, i, want);
                cr_assert(memcmp(want, got + 3 * i, sizeof want) == 0,
                          "block %zu sims %zu: sim %zu {%.17g %.17g %.17g} vs {%.17g %.17g %.17g}",
                          blocks[bi], counts[ci], i, got[3 * i], got[3 * i + 1], got[3 * i + 2],
                          want[0], want[1], want[2]);
            }
        }
    free(got);
    free(r);
}

Test(montecarlo, names_a_bad_return_anywhere)
{
    double r[1000];
    for (int i = 0; i < 1000; i++)
        r[i] = 0.001 * (i % 5);
    r[777] = INFINITY;
    qf_mc_summary s;
    qf_err err = {0};
    qf_mc_config c = {4, 10, 1, 2190, 1};
    cr_expect_eq(qf_mc_bootstrap(r, 1000, &c, &s, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "montecarlo: return 777 is inf (must be > -1)");
    r[777] = NAN;
    cr_expect_eq(qf_mc_bootstrap(r, 1000, &c, &s, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "montecarlo: return 777 is nan (must be > -1)");
    r[777] = -1;
    cr_expect_eq(qf_mc_bootstrap(r, 1000, &c, &s, NULL, &err), QF_EINVAL);
    cr_expect_str_eq(err.msg, "montecarlo: return 777 is -1 (must be > -1)");
}
