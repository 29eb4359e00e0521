/*
 * http.c - the exchange HTTP client (http.h): one curl easy handle per
 * qf_http, reset before each request (curl keeps its live connections and
 * DNS cache across a reset), the retry policy, and the rate budget.
 */
#include "market/http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/time.h"
#include "market/ratelimit.h"

#define MAX_BODY_DEFAULT ((size_t)64 << 20)

struct qf_http {
    qf_http_opts o;
    char venue[32];
    CURL *curl;
    uint64_t rng; /* jitter */
};

/* What one attempt produced. */
typedef struct attempt {
    char *body;
    size_t len, cap, max;
    bool too_big;
    long retry_after_s, used_weight, order_count;
} attempt;

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void qf_http_global_init(void)
{
    pthread_once(&global_once, global_init_once);
}

qf_rc qf_http_new(const qf_http_opts *opts, qf_http **out, qf_err *err)
{
    if (opts == NULL || out == NULL)
        return qf_err_set(err, QF_EINVAL, "qf_http_new: missing options");
    qf_http_global_init();
    qf_http *h = calloc(1, sizeof *h);
    if (h == NULL)
        return qf_err_set(err, QF_ENOMEM, "http client: out of memory");
    h->o = *opts;
    snprintf(h->venue, sizeof h->venue, "%s", opts->venue != NULL ? opts->venue : "http");
    h->o.venue = h->venue;
    if (h->o.connect_timeout_ms <= 0)
        h->o.connect_timeout_ms = 5000;
    if (h->o.timeout_ms <= 0)
        h->o.timeout_ms = 15000;
    if (h->o.max_retries < 0)
        h->o.max_retries = 3;
    if (h->o.backoff_base_ms <= 0)
        h->o.backoff_base_ms = 250;
    if (h->o.backoff_max_ms <= 0)
        h->o.backoff_max_ms = 8000;
    if (h->o.max_body == 0)
        h->o.max_body = MAX_BODY_DEFAULT;
    h->curl = curl_easy_init();
    if (h->curl == NULL) {
        free(h);
        return qf_err_set(err, QF_ENOMEM, "http client: curl_easy_init failed");
    }
    h->rng = (uint64_t)qf_time_now_ms() ^ ((uint64_t)(uintptr_t)h << 17) ^ 0x9e3779b97f4a7c15u;
    *out = h;
    return QF_OK;
}

void qf_http_free(qf_http *h)
{
    if (h == NULL)
        return;
    curl_easy_cleanup(h->curl);
    free(h);
}

void qf_http_resp_free(qf_http_resp *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

/* The path of url without scheme, host or query: what messages may show. */
static void url_path(const char *url, char *out, size_t size)
{
    const char *p = strstr(url, "://");
    p = p != NULL ? strchr(p + 3, '/') : url;
    if (p == NULL)
        p = "/";
    size_t n = strcspn(p, "?#");
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    attempt *a = userp;
    size_t n = size * nmemb;
    if (n > a->max - a->len) {
        a->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap != 0 ? a->cap : 4096;
        while (cap < a->len + n + 1)
            cap *= 2;
        char *p = realloc(a->body, cap);
        if (p == NULL)
            return 0;
        a->body = p;
        a->cap = cap;
    }
    memcpy(a->body + a->len, data, n);
    a->len += n;
    a->body[a->len] = '\0';
    return n;
}

/* A header's value when `line` is "name: value" (name case-insensitive). */
static const char *header_value(const char *line, size_t len, const char *name)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return NULL;
    return line + nl + 1;
}

static long header_long(const char *v, const char *end)
{
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    long x = 0;
    bool any = false;
    for (; v < end && isdigit((unsigned char)*v); v++) {
        if (x > 100000000L)
            return -1;
        x = x * 10 + (*v - '0');
        any = true;
    }
    return any ? x : -1;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    attempt *a = userp;
    size_t n = size * nmemb;
    const char *end = data + n;
    const char *v;
    if ((v = header_value(data, n, "Retry-After")) != NULL)
        a->retry_after_s = header_long(v, end);
    else if ((v = header_value(data, n, "X-MBX-USED-WEIGHT-1M")) != NULL)
        a->used_weight = header_long(v, end);
    else if ((v = header_value(data, n, "X-MBX-ORDER-COUNT-10S")) != NULL)
        a->order_count = header_long(v, end);
    return n;
}

static qf_rc setup(qf_http *h, const qf_http_req *req, attempt *a, struct curl_slist **hdrs,
                   qf_err *err)
{
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->o.insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->o.insecure ? 0L : 2L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    /* libcurl silently re-sends a request whose reused connection died before
     * any reply ("retrying a fresh connect"), and a dropped acknowledgement
     * looks exactly like that: an order placement would reach the venue
     * twice. A non-idempotent request therefore always gets a fresh
     * connection, where libcurl never retries (costs one handshake). */
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, req->idempotent ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "quantflow/" QF_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    struct curl_slist *l = NULL;
    for (const char *const *p = req->headers; p != NULL && *p != NULL; p++) {
        struct curl_slist *nl = curl_slist_append(l, *p);
        if (nl == NULL) {
            curl_slist_free_all(l);
            return qf_err_set(err, QF_ENOMEM, "http client: out of memory");
        }
        l = nl;
    }
    if (req->method != QF_HTTP_GET) {
        struct curl_slist *nl = curl_slist_append(l, "Expect:"); /* no 100-continue round trip */
        if (nl == NULL) {
            curl_slist_free_all(l);
            return qf_err_set(err, QF_ENOMEM, "http client: out of memory");
        }
        l = nl;
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
    *hdrs = l;
    if (req->method == QF_HTTP_POST || (req->method == QF_HTTP_DELETE && req->body != NULL)) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
    }
    if (req->method == QF_HTTP_DELETE)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    return QF_OK;
}

static const char *method_name(qf_http_method m)
{
    return m == QF_HTTP_POST ? "POST" : m == QF_HTTP_DELETE ? "DELETE" : "GET";
}

/* Full-jitter backoff: uniform in [0, min(max, base * 2^attempt)]. */
static long backoff_ms(qf_http *h, int n)
{
    long cap = h->o.backoff_base_ms;
    for (int i = 0; i < n && cap < h->o.backoff_max_ms; i++)
        cap *= 2;
    if (cap > h->o.backoff_max_ms)
        cap = h->o.backoff_max_ms;
    h->rng ^= h->rng << 13;
    h->rng ^= h->rng >> 7;
    h->rng ^= h->rng << 17;
    return (long)(h->rng % (uint64_t)(cap + 1));
}

static void sleep_ms(qf_http *h, long ms)
{
    qf_ratelimit_sleep(h->o.limiter, ms);
}

/* The outcome of one attempt, and what to do next. */
typedef enum { NEXT_DONE, NEXT_RETRY, NEXT_FAIL } next_step;

static void take_response(qf_http *h, attempt *a, long status, int attempts, qf_http_resp *resp)
{
    double secs = 0;
    curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME, &secs);
    if (a->body == NULL) {
        a->body = calloc(1, 1);
        a->len = 0;
    }
    resp->status = status;
    resp->body = a->body;
    resp->len = a->len;
    resp->retry_after_s = a->retry_after_s;
    resp->used_weight_1m = a->used_weight;
    resp->order_count_10s = a->order_count;
    resp->attempts = attempts;
    resp->seconds = secs;
    a->body = NULL;
}

qf_rc qf_http_do(qf_http *h, const qf_http_req *req, qf_http_resp *resp, qf_err *err)
{
    if (h == NULL || req == NULL || (req->url == NULL && req->prepare == NULL) || resp == NULL)
        return qf_err_set(err, QF_EINVAL, "qf_http_do: missing argument");
    memset(resp, 0, sizeof *resp);
    char path[256] = "/";
    if (req->url != NULL)
        url_path(req->url, path, sizeof path);
    const char *m = method_name(req->method);
    int max_attempts = req->idempotent ? h->o.max_retries + 1 : 1;
    qf_rc last = QF_ENET;
    char last_msg[160] = "no attempt";
    for (int n = 0; n < max_attempts; n++) {
        int64_t window = INT64_MIN, order_window = INT64_MIN;
        if (h->o.limiter != NULL) {
            qf_rc rc = qf_ratelimit_acquire(h->o.limiter, req->weight, &window, err);
            if (rc == QF_OK && req->new_order)
                rc = qf_ratelimit_acquire_order(h->o.limiter, &order_window, err);
            if (rc != QF_OK)
                return qf_err_prefix(err, "%s %s", m, path);
        }
        /* Signed after the wait: a timestamp or token taken before it could
         * be stale (Binance -1021) by the time the request leaves. */
        qf_http_req cur = *req;
        if (req->prepare != NULL) {
            qf_rc rc = req->prepare(req->prepare_ctx, &cur, err);
            if (rc == QF_OK && cur.url == NULL)
                rc = qf_err_set(err, QF_EINVAL, "%s %s %s: no URL was prepared", h->venue, m, path);
            if (rc != QF_OK)
                return rc;
            url_path(cur.url, path, sizeof path);
        }
        attempt a = {
            .max = h->o.max_body, .retry_after_s = -1, .used_weight = -1, .order_count = -1};
        struct curl_slist *hdrs = NULL;
        qf_rc rc = setup(h, &cur, &a, &hdrs, err);
        if (rc != QF_OK)
            return rc;
        CURLcode cc = curl_easy_perform(h->curl);
        curl_slist_free_all(hdrs);
        long status = 0;
        long sent = 0;
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &sent);
        if (h->o.limiter != NULL) {
            qf_ratelimit_observe(h->o.limiter, window, a.used_weight);
            qf_ratelimit_observe_orders(h->o.limiter, order_window, a.order_count);
        }
        if (a.too_big) {
            free(a.body);
            return qf_err_set(err, QF_ERANGE, "%s %s %s: response larger than %zu bytes", h->venue,
                              m, path, h->o.max_body);
        }
        if (cc != CURLE_OK) {
            free(a.body);
            /* Nothing sent (connect, DNS): the server never saw it. */
            bool maybe_sent = sent > 0;
            last = maybe_sent ? QF_EUNKNOWN : QF_ENET;
            snprintf(last_msg, sizeof last_msg, "%s", curl_easy_strerror(cc));
            if (!req->idempotent && maybe_sent)
                return qf_err_set(err, QF_EUNKNOWN,
                                  "%s %s %s: %s after the request was sent: outcome unknown",
                                  h->venue, m, path, last_msg);
            if (!req->idempotent)
                return qf_err_set(err, QF_ENET, "%s %s %s: %s (not sent)", h->venue, m, path,
                                  last_msg);
            if (n + 1 < max_attempts)
                sleep_ms(h, backoff_ms(h, n));
            continue;
        }
        if (status == 418) {
            long ban = a.retry_after_s > 0 ? a.retry_after_s : 120;
            qf_ratelimit_ban(h->o.limiter, ban * 1000);
            free(a.body);
            return qf_err_set(err, QF_ERATELIMIT,
                              "%s %s %s: HTTP 418, IP banned for %ld s: every call to %s waits "
                              "it out",
                              h->venue, m, path, ban, h->venue);
        }
        if (status == 429) {
            long wait = a.retry_after_s >= 0 ? a.retry_after_s * 1000 : backoff_ms(h, n);
            free(a.body);
            last = QF_ERATELIMIT;
            snprintf(last_msg, sizeof last_msg, "HTTP 429 (Retry-After %ld s)", a.retry_after_s);
            /* The pause is shared whatever this request was (an order, the
             * last attempt): every process on the host waits it out in
             * acquire, so nobody runs into the ban that follows more 429s. */
            if (h->o.limiter != NULL)
                qf_ratelimit_pause(h->o.limiter, wait);
            if (!req->idempotent || n + 1 >= max_attempts)
                break;
            if (h->o.limiter == NULL)
                sleep_ms(h, wait);
            continue;
        }
        if (status >= 500) {
            free(a.body);
            last = QF_EUNKNOWN;
            snprintf(last_msg, sizeof last_msg, "HTTP %ld", status);
            if (!req->idempotent)
                return qf_err_set(err, QF_EUNKNOWN, "%s %s %s: HTTP %ld: outcome unknown", h->venue,
                                  m, path, status);
            if (n + 1 < max_attempts)
                sleep_ms(h, backoff_ms(h, n));
            continue;
        }
        take_response(h, &a, status, n + 1, resp);
        if (resp->body == NULL)
            return qf_err_set(err, QF_ENOMEM, "%s %s %s: out of memory", h->venue, m, path);
        return QF_OK;
    }
    return qf_err_set(err, last, "%s %s %s: %s (%d attempt%s)", h->venue, m, path, last_msg,
                      max_attempts, max_attempts == 1 ? "" : "s");
}

qf_rc qf_http_urlencode(const char *s, char *out, size_t size, qf_err *err)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        bool keep = isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        size_t need = keep ? 1 : 3;
        if (n + need >= size)
            return qf_err_set(err, QF_ERANGE, "url-encoded value longer than %zu bytes", size);
        if (keep) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    if (size == 0)
        return qf_err_set(err, QF_ERANGE, "url-encode: empty buffer");
    out[n] = '\0';
    return QF_OK;
}
