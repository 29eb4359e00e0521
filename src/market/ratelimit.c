/*
 * ratelimit.c - the host-wide request budget of one venue (ratelimit.h): a
 * fixed-size state record in a file, read, updated and written back under an
 * exclusive flock for every charge.
 */
#include "market/ratelimit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/time.h"

#define STATE_MAGIC   0x51464c52u /* "QFLR" */
#define STATE_VERSION 2u

/* The record every process shares. Times: window_start in venue ms; the
 * others in local wall-clock ms. */
typedef struct rl_state {
    uint32_t magic;
    uint32_t version;
    int64_t window_start; /* venue ms where the counted window begins */
    int64_t weight_used;  /* weight charged in that window */
    int64_t weight_limit; /* per window; 0: not counted */
    double tokens;        /* request bucket */
    int64_t tokens_at;    /* when tokens was computed */
    int64_t pause_until;  /* 429: no request before */
    int64_t ban_until;    /* 418: every request fails before */
    int64_t clock_offset; /* venue - local, ms */
    int64_t clock_known;  /* clock_offset is set */
    int64_t orders_start; /* venue ms where the counted ORDERS window begins */
    int64_t orders_used;  /* new orders in that window */
    int64_t orders_limit; /* per ORDERS_WINDOW_MS; 0: not counted */
} rl_state;

/* Binance's ORDERS limiter counts new orders per 10 s per account (its
 * X-MBX-ORDER-COUNT-10S header); the daily one (200,000) is out of reach. */
#define ORDERS_WINDOW_MS 10000

struct qf_ratelimit {
    qf_ratelimit_opts o;
    char venue[32];
    char path[640];
    int fd;
    int64_t charged; /* weight this handle charged */
};

static int state_lock(qf_ratelimit *rl, rl_state *s);
static void state_unlock(qf_ratelimit *rl, const rl_state *s, bool write);

static void default_sleep(long ms, void *ctx)
{
    (void)ctx;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void qf_ratelimit_sleep(qf_ratelimit *rl, long ms)
{
    if (ms <= 0)
        return;
    if (rl != NULL && rl->o.sleep_ms != NULL)
        rl->o.sleep_ms(ms, rl->o.sleep_ctx);
    else
        default_sleep(ms, NULL);
}

/* "http://127.0.0.1:8080/x" -> "127.0.0.1_8080"; anything outside
 * [A-Za-z0-9.-] becomes '_' so the key is a safe file name. */
static void host_key(const char *url, char *out, size_t size)
{
    const char *p = url != NULL ? strstr(url, "://") : NULL;
    p = p != NULL ? p + 3 : (url != NULL ? url : "");
    const char *at = strpbrk(p, "@/");
    if (at != NULL && *at == '@')
        p = at + 1; /* user:password@ never goes into a file name */
    size_t n = 0;
    for (; *p != '\0' && *p != '/' && *p != '?' && *p != '#' && n + 1 < size; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
}

static qf_rc state_dir(const qf_ratelimit_opts *o, char *out, size_t size, qf_err *err)
{
    const char *d = o->dir;
    int n;
    if (d == NULL || *d == '\0')
        d = getenv("QF_RATELIMIT_DIR");
    if (d != NULL && *d != '\0') {
        n = snprintf(out, size, "%s", d);
    } else if (getenv("XDG_RUNTIME_DIR") != NULL && *getenv("XDG_RUNTIME_DIR") != '\0') {
        n = snprintf(out, size, "%s/quantflow", getenv("XDG_RUNTIME_DIR"));
    } else {
        n = snprintf(out, size, "/tmp/quantflow-%lu", (unsigned long)getuid());
    }
    if (n < 0 || (size_t)n >= size)
        return qf_err_set(err, QF_ECONFIG, "rate-limit state directory path too long");
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return qf_err_set(err, QF_EIO, "rate-limit state directory %s: %s", out, strerror(errno));
    return QF_OK;
}

qf_rc qf_ratelimit_new(const qf_ratelimit_opts *opts, qf_ratelimit **out, qf_err *err)
{
    if (opts == NULL || opts->venue == NULL || out == NULL)
        return qf_err_set(err, QF_EINVAL, "qf_ratelimit_new: missing venue");
    char dir[400], key[128];
    qf_rc rc = state_dir(opts, dir, sizeof dir, err);
    if (rc != QF_OK)
        return rc;
    qf_ratelimit *rl = calloc(1, sizeof *rl);
    if (rl == NULL)
        return qf_err_set(err, QF_ENOMEM, "rate limiter: out of memory");
    rl->o = *opts;
    snprintf(rl->venue, sizeof rl->venue, "%s", opts->venue);
    rl->o.venue = rl->venue;
    rl->o.base_url = NULL;
    rl->o.dir = NULL;
    if (rl->o.window_ms <= 0)
        rl->o.window_ms = 60000;
    if (rl->o.guard_ms == 0)
        rl->o.guard_ms = 150;
    if (rl->o.guard_ms < 0 || rl->o.guard_ms * 4 > rl->o.window_ms)
        rl->o.guard_ms = 0;
    if (rl->o.max_wait_ms <= 0)
        rl->o.max_wait_ms = 15 * 60000L;
    host_key(opts->base_url, key, sizeof key);
    snprintf(rl->path, sizeof rl->path, "%s/%s-%s.state", dir, rl->venue, key);
    rl->fd = open(rl->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (rl->fd < 0) {
        rc = qf_err_set(err, QF_EIO, "rate-limit state %s: %s", rl->path, strerror(errno));
        free(rl);
        return rc;
    }
    *out = rl;
    /* The configured limit only fills an empty state: a limit another
     * process learnt from the venue's exchangeInfo stays. */
    rl_state s;
    if (opts->weight_limit_1m > 0 && state_lock(rl, &s) == 0) {
        bool unset = s.weight_limit <= 0;
        if (unset)
            s.weight_limit = opts->weight_limit_1m;
        state_unlock(rl, &s, unset);
    }
    return QF_OK;
}

void qf_ratelimit_free(qf_ratelimit *rl)
{
    if (rl == NULL)
        return;
    close(rl->fd);
    free(rl);
}

/* Locks the file and reads the record (a fresh one when the file is empty
 * or foreign). */
static int state_lock(qf_ratelimit *rl, rl_state *s)
{
    while (flock(rl->fd, LOCK_EX) != 0) {
        if (errno != EINTR)
            return -1;
    }
    ssize_t n = pread(rl->fd, s, sizeof *s, 0);
    if (n != (ssize_t)sizeof *s || s->magic != STATE_MAGIC || s->version != STATE_VERSION) {
        memset(s, 0, sizeof *s);
        s->magic = STATE_MAGIC;
        s->version = STATE_VERSION;
        s->tokens = -1; /* full bucket on first use */
    }
    return 0;
}

static void state_unlock(qf_ratelimit *rl, const rl_state *s, bool write)
{
    if (write && pwrite(rl->fd, s, sizeof *s, 0) != (ssize_t)sizeof *s) {
        /* A failed write loses one charge; the venue's header corrects it. */
    }
    flock(rl->fd, LOCK_UN);
}

static double bucket_cap(const qf_ratelimit *rl)
{
    double cap = rl->o.requests_per_min / 6.0;
    return cap < 1 ? 1 : cap;
}

/* Refills the bucket up to now. */
static void refill(const qf_ratelimit *rl, rl_state *s, int64_t now)
{
    double cap = bucket_cap(rl);
    if (s->tokens < 0 || s->tokens_at <= 0 || s->tokens_at > now) {
        s->tokens = s->tokens < 0 ? cap : s->tokens;
        s->tokens_at = now;
        return;
    }
    s->tokens += (double)(now - s->tokens_at) * rl->o.requests_per_min / 60000.0;
    if (s->tokens > cap)
        s->tokens = cap;
    s->tokens_at = now;
}

/* How long to wait before the request fits (0: it fits now and is charged). */
static int64_t try_charge(qf_ratelimit *rl, rl_state *s, int weight, int64_t now,
                          int64_t *out_window)
{
    if (s->pause_until > now)
        return s->pause_until - now;
    if (rl->o.requests_per_min > 0) {
        refill(rl, s, now);
        if (s->tokens < 1) {
            double need = (1 - s->tokens) * 60000.0 / rl->o.requests_per_min;
            return (int64_t)need + 1;
        }
    }
    if (s->weight_limit > 0 && weight > 0) {
        int64_t w = rl->o.window_ms;
        int64_t venue = now + (s->clock_known ? s->clock_offset : 0);
        int64_t start = qf_time_floor(venue, w);
        int64_t into = venue - start;
        if (into < rl->o.guard_ms)
            return rl->o.guard_ms - into;
        if (w - into <= rl->o.guard_ms)
            return w - into + rl->o.guard_ms;
        if (s->window_start != start) {
            s->window_start = start;
            s->weight_used = 0;
        }
        if (s->weight_used + weight > s->weight_limit) {
            if (s->weight_used == 0)
                return 0; /* a single request above the limit: let the venue answer */
            return w - into + rl->o.guard_ms;
        }
        s->weight_used += weight;
        *out_window = start;
    }
    if (rl->o.requests_per_min > 0)
        s->tokens -= 1;
    return 0;
}

qf_rc qf_ratelimit_acquire(qf_ratelimit *rl, int weight, int64_t *out_window, qf_err *err)
{
    int64_t waited = 0;
    for (;;) {
        rl_state s;
        int64_t window = INT64_MIN;
        if (state_lock(rl, &s) != 0)
            return qf_err_set(err, QF_EIO, "%s rate limit: cannot lock %s: %s", rl->venue, rl->path,
                              strerror(errno));
        int64_t now = qf_time_now_ms();
        if (s.ban_until > now) {
            int64_t left = s.ban_until - now;
            state_unlock(rl, &s, false);
            return qf_err_set(err, QF_ERATELIMIT,
                              "%s: IP banned by the exchange (HTTP 418) for %lld more s", rl->venue,
                              (long long)((left + 999) / 1000));
        }
        int64_t wait = try_charge(rl, &s, weight, now, &window);
        state_unlock(rl, &s, wait == 0);
        if (wait == 0) {
            if (weight > 0)
                rl->charged += weight;
            if (out_window != NULL)
                *out_window = window;
            return QF_OK;
        }
        if (rl->o.stop != NULL && *rl->o.stop)
            return qf_err_set(err, QF_EINTR, "%s: interrupted while waiting for the rate limit",
                              rl->venue);
        if (waited + wait > rl->o.max_wait_ms)
            return qf_err_set(err, QF_ERATELIMIT,
                              "%s: rate limit would need a wait of %lld ms (max %ld)", rl->venue,
                              (long long)wait, rl->o.max_wait_ms);
        /* Short slices so a stop request or a ban by another process is seen. */
        long slice = wait > 1000 ? 1000 : (long)wait;
        qf_ratelimit_sleep(rl, slice);
        waited += slice;
    }
}

void qf_ratelimit_observe(qf_ratelimit *rl, int64_t window, long used)
{
    if (rl == NULL || used < 0 || window == INT64_MIN)
        return;
    rl_state s;
    if (state_lock(rl, &s) != 0)
        return;
    bool write = s.window_start == window && used > s.weight_used;
    if (write)
        s.weight_used = used;
    state_unlock(rl, &s, write);
}

static void set_until(qf_ratelimit *rl, long ms, bool ban)
{
    if (rl == NULL || ms <= 0)
        return;
    rl_state s;
    if (state_lock(rl, &s) != 0)
        return;
    int64_t until = qf_time_now_ms() + ms;
    int64_t *slot = ban ? &s.ban_until : &s.pause_until;
    if (until > *slot)
        *slot = until;
    state_unlock(rl, &s, true);
}

void qf_ratelimit_pause(qf_ratelimit *rl, long ms)
{
    set_until(rl, ms, false);
}

void qf_ratelimit_ban(qf_ratelimit *rl, long ms)
{
    set_until(rl, ms, true);
}

int64_t qf_ratelimit_ban_left(qf_ratelimit *rl)
{
    rl_state s;
    if (rl == NULL || state_lock(rl, &s) != 0)
        return 0;
    int64_t left = s.ban_until - qf_time_now_ms();
    state_unlock(rl, &s, false);
    return left > 0 ? left : 0;
}

void qf_ratelimit_set_weight_limit(qf_ratelimit *rl, int limit)
{
    rl_state s;
    if (rl == NULL || limit <= 0 || state_lock(rl, &s) != 0)
        return;
    s.weight_limit = limit;
    state_unlock(rl, &s, true);
}

void qf_ratelimit_set_stop(qf_ratelimit *rl, const volatile sig_atomic_t *stop)
{
    if (rl != NULL)
        rl->o.stop = stop;
}

void qf_ratelimit_set_order_limit(qf_ratelimit *rl, int limit)
{
    rl_state s;
    if (rl == NULL || limit <= 0 || state_lock(rl, &s) != 0)
        return;
    s.orders_limit = limit;
    state_unlock(rl, &s, true);
}

/* How long before one more order fits the ORDERS window (0: charged now). */
static int64_t try_order(rl_state *s, int64_t now, int64_t *out_window)
{
    if (s->pause_until > now)
        return s->pause_until - now;
    int64_t venue = now + (s->clock_known ? s->clock_offset : 0);
    int64_t start = qf_time_floor(venue, ORDERS_WINDOW_MS);
    if (s->orders_start != start) {
        s->orders_start = start;
        s->orders_used = 0;
    }
    if (s->orders_used >= s->orders_limit)
        return start + ORDERS_WINDOW_MS - venue + 50; /* a little past the edge: clock jitter */
    s->orders_used++;
    *out_window = start;
    return 0;
}

qf_rc qf_ratelimit_acquire_order(qf_ratelimit *rl, int64_t *out_window, qf_err *err)
{
    int64_t waited = 0;
    if (out_window != NULL)
        *out_window = INT64_MIN;
    for (;;) {
        rl_state s;
        if (state_lock(rl, &s) != 0)
            return qf_err_set(err, QF_EIO, "%s rate limit: cannot lock %s: %s", rl->venue, rl->path,
                              strerror(errno));
        if (s.orders_limit <= 0) {
            state_unlock(rl, &s, false);
            return QF_OK;
        }
        int64_t window = INT64_MIN;
        int64_t wait = try_order(&s, qf_time_now_ms(), &window);
        state_unlock(rl, &s, wait == 0);
        if (wait == 0) {
            if (out_window != NULL)
                *out_window = window;
            return QF_OK;
        }
        if (rl->o.stop != NULL && *rl->o.stop)
            return qf_err_set(err, QF_EINTR, "%s: interrupted while waiting for the order limit",
                              rl->venue);
        if (waited + wait > rl->o.max_wait_ms)
            return qf_err_set(err, QF_ERATELIMIT,
                              "%s: order rate limit would need a wait of %lld ms (max %ld)",
                              rl->venue, (long long)wait, rl->o.max_wait_ms);
        long slice = wait > 1000 ? 1000 : (long)wait;
        qf_ratelimit_sleep(rl, slice);
        waited += slice;
    }
}

void qf_ratelimit_observe_orders(qf_ratelimit *rl, int64_t window, long count)
{
    if (rl == NULL || count < 0 || window == INT64_MIN)
        return;
    rl_state s;
    if (state_lock(rl, &s) != 0)
        return;
    bool write = s.orders_start == window && count > s.orders_used;
    if (write)
        s.orders_used = count;
    state_unlock(rl, &s, write);
}

void qf_ratelimit_set_clock_offset(qf_ratelimit *rl, int64_t offset_ms)
{
    rl_state s;
    if (rl == NULL || state_lock(rl, &s) != 0)
        return;
    s.clock_offset = offset_ms;
    s.clock_known = 1;
    state_unlock(rl, &s, true);
}

int64_t qf_ratelimit_weight_charged(const qf_ratelimit *rl)
{
    return rl != NULL ? rl->charged : 0;
}
