/*
 * bench_util.h - what the side-by-side benchmarks share with bench_research:
 * the clock, best-of-N timing, and the bundled BTC/USDT 4h candles tiled x1,
 * x10, x100 exactly as bench_research tiles them (each copy's open times
 * shifted by the span of the series, its prices scaled so the path stays
 * continuous, volumes unchanged). pandas_ref.py tiles the same way.
 *
 * Header-only (static inline) so each bench stays one file; QF_SOURCE_DIR
 * comes from the bench section of CMakeLists.txt.
 */
#ifndef QF_BENCH_UTIL_H
#define QF_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/bars.h"
#include "core/candles.h"
#include "market/import.h"

#define BENCH_DATA QF_SOURCE_DIR "/data/BTCUSDT-4h.csv"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Loads the bundled BTC/USDT 4h candles into c; exits on failure (a bench
 * without its data has nothing to measure). */
static inline void bench_load(qf_candles *c)
{
    qf_import_report rep;
    qf_err err = {0};
    qf_candles_init(c);
    if (qf_import_read(BENCH_DATA, NULL, c, &rep, &err) != QF_OK || c->n < 2) {
        fprintf(stderr, "bench: %s: %s\n", BENCH_DATA, err.msg);
        exit(1);
    }
}

/* c tiled `tiles` times, as bench_research.c does; exits when out of memory. */
static inline qf_bars bench_tiled(const qf_candles *c, size_t tiles)
{
    qf_bars b;
    qf_bars_init(&b);
    if (qf_bars_alloc(&b, c->n * tiles, NULL) != QF_OK) {
        fprintf(stderr, "bench: out of memory for %zu bars\n", c->n * tiles);
        exit(1);
    }
    double scale = 1.0;
    int64_t step = c->v[1].open_time - c->v[0].open_time;
    int64_t span = c->v[c->n - 1].open_time - c->v[0].open_time + step; /* gaps included */
    for (size_t t = 0; t < tiles; t++) {
        for (size_t i = 0; i < c->n; i++) {
            size_t k = t * c->n + i;
            const qf_candle *x = &c->v[i];
            b.open_time[k] = x->open_time + (int64_t)t * span;
            b.open[k] = x->open * scale;
            b.high[k] = x->high * scale;
            b.low[k] = x->low * scale;
            b.close[k] = x->close * scale;
            b.volume[k] = x->volume;
        }
        scale *= c->v[c->n - 1].close / c->v[0].open;
    }
    return b;
}

/* secs = the fastest of reps runs of the statement(s). */
#define BENCH_BEST(reps, secs, ...)                                                                \
    do {                                                                                           \
        secs = 1e30;                                                                               \
        for (int rep_ = 0; rep_ < (reps); rep_++) {                                                \
            double t0_ = bench_now();                                                              \
            __VA_ARGS__;                                                                           \
            double dt_ = bench_now() - t0_;                                                        \
            if (dt_ < secs)                                                                        \
                secs = dt_;                                                                        \
        }                                                                                          \
    } while (0)

#endif
