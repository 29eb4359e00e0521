/*
 * http.h - the one HTTP client every exchange adapter uses (libcurl).
 *
 * One qf_http per venue: it keeps a curl easy handle (connection reuse),
 * connect and total timeouts, TLS verification (on unless the URL is
 * http://127.0.0.1 style plain HTTP, which has nothing to verify), and the
 * venue's shared rate budget (ratelimit.h).
 *
 * Retry policy (PROTOCOLS.md, section 1):
 * - An idempotent request (GET, or a query by id) is retried up to
 *   max_retries times on a transport failure (timeout, reset, refused) and
 *   on HTTP 5xx, after an exponential backoff with full jitter.
 * - HTTP 429: every process on the host pauses for Retry-After (or the
 *   backoff when absent), whatever the request; idempotent requests are
 *   retried after it, others return QF_ERATELIMIT.
 * - HTTP 418: the venue is banned until now + Retry-After: this call and
 *   every later call to the venue (from any process on the host) fail at
 *   once with QF_ERATELIMIT until the ban ends. Never retried.
 * - A non-idempotent request (an order placement) is sent once. A timeout
 *   after the request may have reached the server, or a 5xx, returns
 *   QF_EUNKNOWN: the caller must query the order, never resend blindly.
 *
 * Return codes of qf_http_do:
 *   QF_OK         a response arrived (any status other than the retried ones;
 *                 4xx and non-retried 5xx included): look at resp->status.
 *   QF_ENET       no response; the request did not reach the server
 *                 (connect failure, DNS), retries exhausted.
 *   QF_EUNKNOWN   no usable response and the request may have been
 *                 executed (timeout after send, 5xx) for a non-idempotent
 *                 call, or retries exhausted for an idempotent one.
 *   QF_ERATELIMIT a 418 ban is in effect (message gives the seconds left),
 *                 or 429s outlasted the retries.
 * The message never contains a query string, header or body that could
 * hold a secret: only the method, the path and the status.
 */
#ifndef QF_MARKET_HTTP_H
#define QF_MARKET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct qf_http qf_http;
typedef struct qf_ratelimit qf_ratelimit;

typedef struct qf_http_opts {
    const char *venue;       /* "binance", "coinbase": names errors and the shared ban */
    long connect_timeout_ms; /* 0: 5000 */
    long timeout_ms;         /* total per attempt; 0: 15000 */
    int max_retries;         /* idempotent requests only; < 0: 3 */
    long backoff_base_ms;    /* first backoff; 0: 250 */
    long backoff_max_ms;     /* cap; 0: 8000 */
    bool insecure;           /* true turns TLS verification off (never by default) */
    qf_ratelimit *limiter;   /* shared budget, borrowed; may be NULL */
    size_t max_body;         /* response body cap (QF_ERANGE above); 0: 64 MiB */
} qf_http_opts;

typedef enum { QF_HTTP_GET = 0, QF_HTTP_POST, QF_HTTP_DELETE } qf_http_method;

typedef struct qf_http_req qf_http_req;

/* Builds what must be fresh when a request leaves (a signed timestamp, a
 * JWT): called AFTER the rate-limiter wait, immediately before each attempt
 * (retries included). It may point req->url, headers and body at new memory
 * it owns (valid until its next call or the end of qf_http_do). Any code but
 * QF_OK: that attempt is not sent and qf_http_do returns the code and
 * message as they are. */
typedef qf_rc (*qf_http_prepare_fn)(void *ctx, qf_http_req *req, qf_err *err);

struct qf_http_req {
    qf_http_method method;
    const char *url;            /* full URL, query string included (prepare may set it) */
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const char *body;           /* may be NULL */
    size_t body_len;
    bool idempotent;            /* false: sent exactly once (order placement) */
    int weight;                 /* request weight charged to the limiter before the call */
    bool new_order;             /* an order placement: also charged to the ORDERS limit */
    qf_http_prepare_fn prepare; /* NULL: the request is sent as given */
    void *prepare_ctx;
};

typedef struct qf_http_resp {
    long status; /* HTTP status */
    char *body;  /* NUL-terminated, malloc'd (may be empty) */
    size_t len;
    long retry_after_s;   /* Retry-After header, -1 when absent */
    long used_weight_1m;  /* X-MBX-USED-WEIGHT-1M, -1 when absent */
    long order_count_10s; /* X-MBX-ORDER-COUNT-10S, -1 when absent */
    int attempts;         /* how many times the request was sent */
    double seconds;       /* wall time of the last attempt */
} qf_http_resp;

/* A process-wide curl_global_init; call once before threads start (the
 * qf_http_new call does it too, guarded by pthread_once). */
void qf_http_global_init(void);

QF_NODISCARD qf_rc qf_http_new(const qf_http_opts *opts, qf_http **out, qf_err *err);
void qf_http_free(qf_http *h);

/* Sends the request with the policy above. On QF_OK resp holds the answer
 * (free with qf_http_resp_free); otherwise resp is left empty. */
QF_NODISCARD qf_rc qf_http_do(qf_http *h, const qf_http_req *req, qf_http_resp *resp, qf_err *err);
void qf_http_resp_free(qf_http_resp *resp);

/* Percent-encodes s (RFC 3986 unreserved characters kept) into out; returns
 * QF_ERANGE when it does not fit. */
QF_NODISCARD qf_rc qf_http_urlencode(const char *s, char *out, size_t size, qf_err *err);

#endif
