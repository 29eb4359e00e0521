/*
 * ratelimit.h - one venue's request budget, shared by every QuantFlow
 * process on the host.
 *
 * Two limits per (venue, host:port of the base URL):
 * - a token bucket of requests per minute (exchanges.<venue>.rate_limit_rpm),
 *   holding at most a sixth of a minute's tokens so no minute sees much more
 *   than the configured rate;
 * - Binance's request weight: a fixed window per minute of the VENUE's clock
 *   (local clock + the offset learnt from its server time) with a limit
 *   (6000 by default, or exchangeInfo's REQUEST_WEIGHT). Each request charges
 *   its weight before it is sent, waiting for the next window when it would
 *   exceed the limit; the count is raised to the venue's X-MBX-USED-WEIGHT-1M
 *   when that is higher (a client we do not know about shares the IP).
 *   Requests are not sent in the first and last guard_ms of a window, so a
 *   clock offset off by a few ms never lands a charge in the wrong window.
 * Besides, a 429's Retry-After pauses every process until it passes, and a
 * 418 ban makes every call fail fast with QF_ERATELIMIT until it ends.
 *
 * The state is a small file per key in a directory (opts.dir, else
 * $QF_RATELIMIT_DIR, else $XDG_RUNTIME_DIR/quantflow, else
 * /tmp/quantflow-<uid>), read and written under flock(2): a process that dies
 * holding the lock releases it with its descriptor. A file with a foreign
 * layout is reset. Pauses and bans are kept in local wall-clock ms.
 */
#ifndef QF_MARKET_RATELIMIT_H
#define QF_MARKET_RATELIMIT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

typedef struct qf_ratelimit qf_ratelimit;

typedef struct qf_ratelimit_opts {
    const char *venue;    /* "binance": names the state file and messages */
    const char *base_url; /* its host:port keys the state (testnet != live) */
    int requests_per_min; /* token bucket; <= 0: none */
    int weight_limit_1m;  /* request weight per window; <= 0: weight not counted */
    const char *dir;      /* state directory; NULL: see above */
    long window_ms;       /* weight window; 0: 60000 */
    long guard_ms;        /* quiet time at each window edge; 0: 150, < 0: none */
    long max_wait_ms;     /* one acquire waits at most this long; 0: 15 minutes */
    /* Sleeps (tests inject a short or recording sleep); NULL: nanosleep. */
    void (*sleep_ms)(long ms, void *ctx);
    void *sleep_ctx;
    /* Set (e.g. by a SIGINT handler) to make a waiting acquire give up with
     * QF_EINTR; may be NULL. */
    const volatile sig_atomic_t *stop;
} qf_ratelimit_opts;

/* Opens (creating if needed) the shared state. QF_EIO naming the path when
 * the directory or file cannot be made. *out is set only on success. */
QF_NODISCARD qf_rc qf_ratelimit_new(const qf_ratelimit_opts *opts, qf_ratelimit **out, qf_err *err);
/* NULL does nothing. */
void qf_ratelimit_free(qf_ratelimit *rl);

/* Waits until a request of `weight` fits both limits and charges it.
 * QF_ERATELIMIT while a ban is in effect (the message gives the seconds
 * left) or when the wait would exceed max_wait_ms; QF_EINTR when *stop was
 * set; QF_EIO when the state file cannot be read. *out_window (may be NULL)
 * gets the window the weight was charged to, for qf_ratelimit_observe. */
QF_NODISCARD qf_rc qf_ratelimit_acquire(qf_ratelimit *rl, int weight, int64_t *out_window,
                                        qf_err *err);
/* After a response: raises the window's count to the venue's used weight
 * (X-MBX-USED-WEIGHT-1M) when higher. Ignored when used < 0 or the window
 * has moved on since `window`. */
void qf_ratelimit_observe(qf_ratelimit *rl, int64_t window, long used);
/* HTTP 429: nobody on the host sends to the venue for `ms`. */
void qf_ratelimit_pause(qf_ratelimit *rl, long ms);
/* HTTP 418: the venue is banned for `ms` from now. */
void qf_ratelimit_ban(qf_ratelimit *rl, long ms);
/* Ms left of a ban (0: none). */
int64_t qf_ratelimit_ban_left(qf_ratelimit *rl);
/* The venue's REQUEST_WEIGHT limit per window (exchangeInfo); ignored when <= 0. */
void qf_ratelimit_set_weight_limit(qf_ratelimit *rl, int limit);

/* Sets (or clears, NULL) the flag that makes a waiting acquire give up with
 * QF_EINTR (a SIGINT handler sets it). */
void qf_ratelimit_set_stop(qf_ratelimit *rl, const volatile sig_atomic_t *stop);

/* Binance's ORDERS limit (new orders per 10 s, shared like the weight):
 * set_order_limit sets it (<= 0 ignored; never set: orders not counted);
 * acquire_order waits until one more order fits the current window and
 * charges it (*out_window gets the window for observe_orders, INT64_MIN when
 * not counted); observe_orders corrects the count from the venue's
 * X-MBX-ORDER-COUNT-10S. A placement refused over the limit (429, -1015) is
 * never accepted, so waiting here costs latency, never a duplicate. */
void qf_ratelimit_set_order_limit(qf_ratelimit *rl, int limit);
QF_NODISCARD qf_rc qf_ratelimit_acquire_order(qf_ratelimit *rl, int64_t *out_window, qf_err *err);
void qf_ratelimit_observe_orders(qf_ratelimit *rl, int64_t window, long count);
/* venue clock - local clock, ms; shared so every process uses the venue's windows. */
void qf_ratelimit_set_clock_offset(qf_ratelimit *rl, int64_t offset_ms);
/* Sleeps ms through the injected sleep (the HTTP client's backoff uses it). */
void qf_ratelimit_sleep(qf_ratelimit *rl, long ms);
/* Total weight this handle charged (for summaries). */
int64_t qf_ratelimit_weight_charged(const qf_ratelimit *rl);

#endif
