/*
 * parallel.h - runs n independent work items on a few threads.
 *
 * The items are split into contiguous equal shares, one per thread; the
 * calling thread runs the last share itself (and any share whose thread
 * could not start), so the call always completes. Results must not depend
 * on the split: each item writes only its own output.
 */
#ifndef QF_CORE_PARALLEL_H
#define QF_CORE_PARALLEL_H

#include <stddef.h>

/* Calls fn(user, first, last) for consecutive ranges covering [0, n), on
 * `threads` threads (<= 0: one per online core; never more than n or 256).
 * fn is called on the calling thread with is_caller = 1. */
void qf_parallel_for(size_t n, int threads,
                     void (*fn)(void *user, size_t first, size_t last, int is_caller), void *user);

#endif
