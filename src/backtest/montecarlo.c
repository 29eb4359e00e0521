/*
 * montecarlo.c - circular block bootstrap on all cores (montecarlo.h).
 * xoshiro256** and splitmix64 are a dozen lines each and have no Debian
 * library of their own (GSL's generators cannot be split into independent
 * per-index streams this cheaply), so they are written here.
 */
#include "backtest/montecarlo.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void qf_rng_seed(qf_rng *g, uint64_t seed, uint64_t index)
{
    uint64_t x = seed ^ (index * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t qf_rng_next(qf_rng *g)
{
    uint64_t *s = g->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double qf_rng_uniform(qf_rng *g)
{
    return (double)(qf_rng_next(g) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n): a 53-bit uniform scaled (n far below 2^53, so
 * the bias is below 1e-9). */
static size_t below(qf_rng *g, size_t n)
{
    size_t k = (size_t)(qf_rng_uniform(g) * (double)n);
    return k < n ? k : n - 1;
}

typedef struct job {
    const double *r;
    size_t n;
    const qf_mc_config *c;
    double *sims; /* n_sims x 3 */
} job;

/* Block starts are drawn this many blocks ahead of their use so their
 * returns can be prefetched: at x100 the series is 14.7 MB and every block
 * start is a cache miss otherwise. A power of two. */
#define AHEAD 8

/* Returns prefetched per block start (eight cache lines at most: a long
 * block's tail is streamed by the hardware prefetcher anyway). */
#define PREFETCH_SPAN 64

/* One simulated path, compounded on the fly: nothing is written per bar.
 * Kept apart from the draws so that it never has its address taken and
 * lives in registers at -O2 as at -O3. */
typedef struct path {
    double eq, peak, trough, worst, sum, sumsq;
} path;

/* A path's random stream and the starts of its next AHEAD blocks, in draw
 * order. */
typedef struct draws {
    qf_rng g;
    size_t next[AHEAD];
} draws;

static void prefetch_block(const double *r, size_t n, size_t start, size_t block)
{
#if defined(__GNUC__)
    size_t span = block < PREFETCH_SPAN ? block : PREFETCH_SPAN;
    for (size_t o = 0; o < span; o += 8)
        __builtin_prefetch(r + (start + o < n ? start + o : start + o - n));
    __builtin_prefetch(r + (start + span - 1 < n ? start + span - 1 : start + span - 1 - n));
#else
    (void)r, (void)n, (void)start, (void)block;
#endif
}

static path path_new(void)
{
    path p = {1.0, 1.0, 1.0, 0.0, 0.0, 0.0};
    return p;
}

static void draws_init(draws *d, const job *j, size_t i)
{
    qf_rng_seed(&d->g, j->c->seed, i);
    for (size_t a = 0; a < AHEAD; a++) {
        d->next[a] = below(&d->g, j->n);
        prefetch_block(j->r, j->n, d->next[a], j->c->block);
    }
}

/* The start of block b, replaced by the start of block b + AHEAD: the draws
 * stay in block order, so the stream gives the same starts as drawing each
 * when needed. */
static size_t draws_take(draws *d, const job *j, size_t b)
{
    size_t start = d->next[b % AHEAD];
    size_t ahead = below(&d->g, j->n);
    d->next[b % AHEAD] = ahead;
    prefetch_block(j->r, j->n, ahead, j->c->block);
    return start;
}

/* One bar. Below a peak, 1 - eq / peak is largest at the lowest equity
 * (rounding is monotone), so only the trough of each run below a peak is
 * divided, when the run ends: the same maximum drawdown, bit for bit, as
 * dividing at every bar. */
static inline path path_step(path p, double x)
{
    p.sum += x;
    p.sumsq += x * x;
    p.eq *= 1.0 + x;
    if (p.eq > p.peak) {
        double dd = 1.0 - p.trough / p.peak;
        p.worst = dd > p.worst ? dd : p.worst;
        p.peak = p.eq;
        p.trough = p.eq;
    } else {
        p.trough = p.eq < p.trough ? p.eq : p.trough;
    }
    return p;
}

/* The return at circular position i (i < 2n). */
static inline double circular(const double *r, size_t n, size_t i)
{
    return r[i < n ? i : i - n];
}

static void path_finish(path p, const job *j, size_t i)
{
    size_t n = j->n;
    double dd = 1.0 - p.trough / p.peak;
    p.worst = dd > p.worst ? dd : p.worst;
    double mean = p.sum / (double)n;
    double var = (p.sumsq - p.sum * mean) / (double)(n - 1);
    double sd = var > 0 ? sqrt(var) : 0.0;
    double *row = j->sims + 3 * i;
    row[0] = p.eq - 1.0;
    row[1] = sd > 0 ? mean / sd * sqrt(j->c->bars_per_year) : NAN;
    row[2] = p.worst;
}

/* Simulations i and i+1 in lockstep: both have the same block lengths, and
 * their independent chains of products and sums overlap where one path
 * alone waits on each multiplication. (Four paths would not fit in the
 * sixteen SSE registers.) */
static void simulate_pair(const job *j, size_t i)
{
    const double *r = j->r;
    size_t n = j->n, block = j->c->block;
    draws da, db;
    draws_init(&da, j, i);
    draws_init(&db, j, i + 1);
    path a = path_new(), b = path_new();
    size_t done = 0;
    for (size_t blk = 0; done < n; blk++) {
        size_t len = block < n - done ? block : n - done;
        size_t sa = draws_take(&da, j, blk), sb = draws_take(&db, j, blk);
        if (sa + len <= n && sb + len <= n) {
            for (size_t k = 0; k < len; k++) {
                a = path_step(a, r[sa + k]);
                b = path_step(b, r[sb + k]);
            }
        } else { /* a block runs past the end: wrap around */
            for (size_t k = 0; k < len; k++) {
                a = path_step(a, circular(r, n, sa + k));
                b = path_step(b, circular(r, n, sb + k));
            }
        }
        done += len;
    }
    path_finish(a, j, i);
    path_finish(b, j, i + 1);
}

static void simulate_one(const job *j, size_t i)
{
    size_t n = j->n, block = j->c->block;
    draws d;
    draws_init(&d, j, i);
    path a = path_new();
    size_t done = 0;
    for (size_t blk = 0; done < n; blk++) {
        size_t len = block < n - done ? block : n - done;
        size_t s = draws_take(&d, j, blk);
        for (size_t k = 0; k < len; k++)
            a = path_step(a, circular(j->r, n, s + k));
        done += len;
    }
    path_finish(a, j, i);
}

/* Simulations [first, last) on one thread (qf_parallel_for). */
static void worker(void *user, size_t first, size_t last, int is_caller)
{
    const job *j = user;
    (void)is_caller;
    size_t i = first;
    for (; i + 2 <= last; i += 2)
        simulate_pair(j, i);
    if (i < last)
        simulate_one(j, i);
}

/* -1 < r[i] <= DBL_MAX for all i (NaN fails), without an early exit so
 * the loop vectorizes; the caller looks for the culprit only on failure. */
static int all_above_minus_one(const double *r, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= (r[i] > -1.0) & (r[i] <= DBL_MAX);
    return ok;
}

static qf_rc check(const double *r, size_t n, const qf_mc_config *c, qf_err *err)
{
    if (r == NULL || n < 2)
        return qf_err_set(err, QF_EINVAL, "montecarlo: need at least 2 returns, got %zu", n);
    if (c->n_sims < 1 || c->n_sims > 100000000)
        return qf_err_set(err, QF_EINVAL, "montecarlo: simulations must be in [1, 1e8], got %zu",
                          c->n_sims);
    if (c->block < 1 || c->block > n)
        return qf_err_set(err, QF_EINVAL, "montecarlo: block must be in [1, %zu] bars, got %zu", n,
                          c->block);
    if (!(c->bars_per_year > 0) || !isfinite(c->bars_per_year))
        return qf_err_set(err, QF_EINVAL, "montecarlo: bars_per_year must be positive");
    if (!all_above_minus_one(r, n))
        for (size_t i = 0; i < n; i++)
            if (!(r[i] > -1.0) || !isfinite(r[i]))
                return qf_err_set(err, QF_EINVAL, "montecarlo: return %zu is %g (must be > -1)", i,
                                  r[i]);
    return QF_OK;
}

qf_rc qf_mc_bootstrap(const double *r, size_t n, const qf_mc_config *c, qf_mc_summary *out,
                      double *out_sims, qf_err *err)
{
    qf_rc rc = check(r, n, c, err);
    if (rc != QF_OK)
        return rc;
    double *sims = out_sims != NULL ? out_sims : malloc(3 * c->n_sims * sizeof *sims);
    if (sims == NULL)
        return qf_err_set(err, QF_ENOMEM, "montecarlo: out of memory for %zu simulations",
                          c->n_sims);
    job j = {r, n, c, sims};
    qf_parallel_for(c->n_sims, c->threads, worker, &j);
    rc = qf_mc_summarize(sims, c->n_sims, out, err);
    if (out_sims == NULL)
        free(sims);
    return rc;
}
