/* parallel.c - contiguous shares of a work list on POSIX threads. */
#include "core/parallel.h"

#include <pthread.h>
#include <unistd.h>

#define MAX_THREADS 256

typedef struct share {
    void (*fn)(void *, size_t, size_t, int);
    void *user;
    size_t first, last;
} share;

static void *run_share(void *arg)
{
    const share *s = arg;
    s->fn(s->user, s->first, s->last, 0);
    return NULL;
}

/* Threads for n items: `threads`, or one per online core, at most n and
 * MAX_THREADS. */
static size_t thread_count(size_t n, int threads)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = threads > 0 ? (size_t)threads : (size_t)(cores > 0 ? cores : 1);
    if (nt > n)
        nt = n;
    if (nt > MAX_THREADS)
        nt = MAX_THREADS;
    return nt > 0 ? nt : 1;
}

void qf_parallel_for(size_t n, int threads,
                     void (*fn)(void *user, size_t first, size_t last, int is_caller), void *user)
{
    if (n == 0)
        return;
    size_t nt = thread_count(n, threads);
    share shares[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (size_t t = 0; t < nt; t++) {
        shares[t] = (share){fn, user, n * t / nt, n * (t + 1) / nt};
        if (t + 1 < nt && pthread_create(&tid[t], NULL, run_share, &shares[t]) == 0)
            started[t] = 1;
        else
            fn(user, shares[t].first, shares[t].last, 1);
    }
    for (size_t t = 0; t < nt; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
}
