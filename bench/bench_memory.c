/*
 * bench_memory.c - memory of the research kernels on the tiled BTC/USDT 4h
 * series (x1, x10, x100; see bench_util.h): peak RSS, bytes per bar, and the
 * heap calls the kernels make, to show memory is linear in bars and that no
 * hot loop allocates per bar.
 *
 * Each (work, tiling) runs in a fresh process (this binary re-executed with
 * --child), because the peak RSS (getrusage ru_maxrss) only ever grows. The
 * child loads and tiles the candles, notes its resident set, runs the work
 * once, and reports its peak. Works:
 *   event     event-driven MA crossover (default engine config) and the
 *             metrics of its equity curve and trades, as `quantflow backtest`
 *   vector    vectorized backtest of bench_research's position array and
 *             its metrics
 *   features  the ten features and their rolling z-scores (window 100)
 *   mc        block bootstrap of the bar returns, bench_research's sims
 *
 * Heap calls are counted by wrapping malloc, calloc and realloc at link time
 * (-Wl,--wrap, set in CMakeLists.txt): every call made from QuantFlow's code
 * inside the kernels (the bench's own input and output arrays excepted; the
 * event work counts the trade PnL array `quantflow backtest` builds for the
 * metrics). Calls made inside libc or other libraries (glibc's qsort, pthread
 * stacks) are not seen. The RSS figures include everything.
 *
 * Usage: bench_memory [--json]
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/montecarlo.h"
#include "backtest/vector.h"
#include "bench_util.h"
#include "features/featureset.h"
#include "features/normalize.h"

/* ---- heap call counting (--wrap) ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static atomic_size_t heap_calls;
static atomic_size_t heap_bytes;
static size_t kernel_calls, kernel_bytes; /* counted between kernels_begin and kernels_end */

void *__wrap_malloc(size_t size)
{
    atomic_fetch_add(&heap_calls, 1);
    atomic_fetch_add(&heap_bytes, size);
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    atomic_fetch_add(&heap_calls, 1);
    atomic_fetch_add(&heap_bytes, n * size);
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    atomic_fetch_add(&heap_calls, 1);
    atomic_fetch_add(&heap_bytes, size);
    return __real_realloc(p, size);
}

/* The bench's own input and output buffers are allocated before
 * kernels_begin and freed after kernels_end, so only the kernels' calls
 * count. */
static void kernels_begin(void)
{
    kernel_calls = atomic_load(&heap_calls);
    kernel_bytes = atomic_load(&heap_bytes);
}

static void kernels_end(void)
{
    kernel_calls = atomic_load(&heap_calls) - kernel_calls;
    kernel_bytes = atomic_load(&heap_bytes) - kernel_bytes;
}

/* ---- the child: one work on one tiling ---- */

static const char *const works[] = {"event", "vector", "features", "mc"};
#define N_WORKS (sizeof works / sizeof works[0])
static const size_t tilings[] = {1, 10, 100};
#define N_TILINGS (sizeof tilings / sizeof tilings[0])

/* Current resident set in KiB (/proc/self/statm), 0 if unreadable. */
static long rss_now_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static long rss_peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

static void *must(void *p)
{
    if (p == NULL) {
        fprintf(stderr, "bench_memory: out of memory\n");
        exit(1);
    }
    return p;
}

static int run_event(const qf_bars *b)
{
    qf_engine_config ec = qf_engine_config_default();
    qf_backtest_result r;
    qf_err err = {0};
    kernels_begin();
    if (qf_backtest_run(&ec, qf_strategy_find("ma_crossover"), NULL, b, 1, &r, &err) != QF_OK) {
        fprintf(stderr, "bench_memory: %s\n", err.msg);
        return 1;
    }
    /* the trade PnL array of the metrics input, as `quantflow backtest` makes it */
    double *pnl = must(malloc((r.n_trades ? r.n_trades : 1) * sizeof *pnl));
    for (size_t i = 0; i < r.n_trades; i++)
        pnl[i] = r.trades[i].pnl;
    double gross = r.equity[r.n - 1] - r.equity[0] + r.fees + r.spread_cost + r.impact_cost;
    qf_metrics_input in = {
        r.equity,         r.n, 2190,  pnl,          r.n_trades, r.traded_notional,
        r.bars_in_market, 1,   gross, r.impact_cost};
    qf_metrics m;
    int bad = qf_metrics_compute(&in, &m, &err) != QF_OK;
    kernels_end();
    free(pnl);
    qf_backtest_result_free(&r);
    return bad;
}

static int run_vector(const qf_bars *b)
{
    size_t n = b->n;
    double *target = must(malloc(n * sizeof *target));
    double *equity = must(malloc(n * sizeof *equity));
    for (size_t i = 0; i < n; i++)
        target[i] = i % 200 < 100 ? 1.0 : 0.0; /* bench_research's position array */
    qf_cost_model cm = {10, 10, 5, 2, 24};
    qf_vector_stats vs;
    qf_metrics m;
    kernels_begin();
    int bad = qf_vector_run(b, target, &cm, 1e5, equity, &vs, NULL) != QF_OK;
    if (!bad) {
        qf_metrics_input in = {
            equity,        n, 2190, NULL, 0, vs.traded_notional, vs.bars_in_market, 1, vs.gross_pnl,
            vs.impact_cost};
        bad = qf_metrics_compute(&in, &m, NULL) != QF_OK;
    }
    kernels_end();
    free(target);
    free(equity);
    return bad;
}

static int run_features(const qf_bars *b)
{
    size_t n = b->n;
    double *f = must(malloc(QF_TECH_FEATURES * n * sizeof *f));
    double *z = must(malloc(QF_TECH_FEATURES * n * sizeof *z));
    qf_feature_params p = qf_feature_params_default();
    kernels_begin();
    int bad = qf_features_compute(b, &p, f, NULL) != QF_OK;
    for (size_t k = 0; k < QF_TECH_FEATURES && !bad; k++)
        bad = qf_zscore_rolling(f + k * n, n, 100, 1, z + k * n, NULL) != QF_OK;
    kernels_end();
    free(f);
    free(z);
    return bad;
}

static int run_mc(const qf_bars *b, size_t tiles)
{
    size_t n = b->n - 1;
    double *r = must(malloc(n * sizeof *r));
    for (size_t i = 0; i < n; i++)
        r[i] = b->close[i + 1] / b->close[i] - 1;
    qf_mc_config mc = {tiles == 1 ? 2000 : tiles == 10 ? 200 : 20, 24, 1, 2190, 0};
    qf_mc_summary ms;
    kernels_begin();
    int bad = qf_mc_bootstrap(r, n, &mc, &ms, NULL, NULL) != QF_OK;
    kernels_end();
    free(r);
    return bad;
}

/* Prints "bars rss_before_kib rss_peak_kib heap_calls heap_bytes". */
static int child(const char *work, size_t tiles)
{
    qf_candles c;
    bench_load(&c);
    qf_bars b = bench_tiled(&c, tiles);
    qf_candles_cleanup(&c);
    long before = rss_now_kib();
    int bad = 1;
    if (strcmp(work, "event") == 0)
        bad = run_event(&b);
    else if (strcmp(work, "vector") == 0)
        bad = run_vector(&b);
    else if (strcmp(work, "features") == 0)
        bad = run_features(&b);
    else if (strcmp(work, "mc") == 0)
        bad = run_mc(&b, tiles);
    if (bad)
        return 1;
    printf("%zu %ld %ld %zu %zu\n", b.n, before, rss_peak_kib(), kernel_calls, kernel_bytes);
    qf_bars_cleanup(&b);
    return 0;
}

/* ---- the parent: every work on every tiling, each in its own process ---- */

typedef struct result {
    size_t bars;
    long before_kib, peak_kib;
    size_t calls, bytes;
} result;

static int measure(const char *self, const char *work, size_t tiles, result *out)
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "'%s' --child %s %zu", self, work, tiles);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return 1;
    int got = fscanf(p, "%zu %ld %ld %zu %zu", &out->bars, &out->before_kib, &out->peak_kib,
                     &out->calls, &out->bytes);
    int status = pclose(p);
    return got != 5 || status != 0;
}

static void print_table(result res[N_WORKS][N_TILINGS])
{
    printf("%-9s %-5s %10s %9s %9s %9s %10s %10s %10s %10s\n", "work", "tiles", "bars", "peak MiB",
           "input MiB", "work MiB", "work B/bar", "peak B/bar", "heap calls", "heap B/bar");
    for (size_t w = 0; w < N_WORKS; w++) {
        for (size_t t = 0; t < N_TILINGS; t++) {
            const result *r = &res[w][t];
            double bars = (double)r->bars;
            printf("%-9s x%-4zu %10zu %9.1f %9.1f %9.1f %10.1f %10.1f %10zu %10.1f\n", works[w],
                   tilings[t], r->bars, (double)r->peak_kib / 1024, (double)r->before_kib / 1024,
                   (double)(r->peak_kib - r->before_kib) / 1024,
                   (double)(r->peak_kib - r->before_kib) * 1024 / bars,
                   (double)r->peak_kib * 1024 / bars, r->calls, (double)r->bytes / bars);
        }
    }
}

static void print_json(result res[N_WORKS][N_TILINGS])
{
    printf("{\"bench\": \"memory\", \"rows\": [");
    for (size_t w = 0; w < N_WORKS; w++) {
        for (size_t t = 0; t < N_TILINGS; t++) {
            const result *r = &res[w][t];
            printf("%s\n {\"work\": \"%s\", \"tiles\": %zu, \"bars\": %zu, \"rss_before_kib\": "
                   "%ld, \"rss_peak_kib\": %ld, \"heap_calls\": %zu, \"heap_bytes\": %zu}",
                   w || t ? "," : "", works[w], tilings[t], r->bars, r->before_kib, r->peak_kib,
                   r->calls, r->bytes);
        }
    }
    printf("\n]}\n");
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child(argv[2], (size_t)strtoul(argv[3], NULL, 10));
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "bench_memory: cannot find its own executable\n");
        return 1;
    }
    self[len] = '\0';
    result res[N_WORKS][N_TILINGS];
    for (size_t w = 0; w < N_WORKS; w++) {
        for (size_t t = 0; t < N_TILINGS; t++) {
            if (measure(self, works[w], tilings[t], &res[w][t])) {
                fprintf(stderr, "bench_memory: %s x%zu failed\n", works[w], tilings[t]);
                return 1;
            }
        }
    }
    if (json) {
        print_json(res);
    } else {
        printf("peak RSS (getrusage) per work in a fresh process; input = RSS after loading and "
               "tiling; heap calls from QuantFlow code during the work\n");
        print_table(res);
    }
    return 0;
}
