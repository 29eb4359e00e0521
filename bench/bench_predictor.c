/*
 * bench_predictor.c - how much of a kernel's speed in a "best of N runs on
 * the same series" benchmark is the branch predictor having learnt the
 * series. OBV adds or subtracts the volume as the close goes up or down: a
 * branch on a coin flip. TA-Lib writes it with branches; QuantFlow with a
 * select. Each is timed on the same BTC closes run after run (as
 * bench_talib does), and on a fresh random walk each run (as live data
 * arrives: nothing to learn).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "features/indicators.h"

/* The textbook branchy loop (TA-Lib's shape), for comparison. */
__attribute__((noinline)) static void obv_branchy(const double *c, const double *v, size_t n,
                                                  double *out)
{
    double obv = v[0], prev = c[0];
    out[0] = obv;
    for (size_t i = 1; i < n; i++) {
        double x = c[i];
        if (x > prev)
            obv += v[i];
        else if (x < prev)
            obv -= v[i];
        out[i] = obv;
        prev = x;
    }
}

/* A random walk of +-0.1 % steps from c[0] (xorshift, fixed seed per run). */
static void random_walk(double *c, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (size_t i = 1; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        c[i] = c[i - 1] * (s & 1 ? 1.001 : 0.999);
    }
}

int main(void)
{
    qf_candles cs;
    bench_load(&cs);
    size_t n = cs.n;
    double *c = malloc(n * sizeof *c), *v = malloc(n * sizeof *v), *o = malloc(n * sizeof *o);
    if (c == NULL || v == NULL || o == NULL)
        return 1;
    printf("OBV over %zu bars, ns/bar, best of 20 runs\n", n);
    printf("%-40s %10s %10s\n", "series", "branchy", "select");
    for (int fresh = 0; fresh < 2; fresh++) {
        double best[2] = {1e30, 1e30};
        for (int k = 0; k < 2; k++)
            for (int rep = 0; rep < 20; rep++) {
                for (size_t i = 0; i < n; i++) {
                    c[i] = cs.v[i].close;
                    v[i] = cs.v[i].volume;
                }
                if (fresh)
                    random_walk(c, n, (uint64_t)rep + 1);
                double t0 = bench_now();
                if (k == 0)
                    obv_branchy(c, v, n, o);
                else if (qf_ind_obv(c, v, n, o, NULL) != QF_OK)
                    return 1;
                double dt = bench_now() - t0;
                best[k] = dt < best[k] ? dt : best[k];
            }
        printf("%-40s %10.2f %10.2f\n",
               fresh ? "a fresh random walk each run" : "the same BTC closes each run",
               best[0] / (double)n * 1e9, best[1] / (double)n * 1e9);
    }
    free(c);
    free(v);
    free(o);
    qf_candles_cleanup(&cs);
    return 0;
}
