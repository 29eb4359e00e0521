/*
 * mock_server.c - the mock exchange's HTTP side: libmicrohttpd with a thread
 * per connection (a held or slow reply never blocks another connection), the
 * router, Binance request weight and bans, fault injection, and the public
 * qf_mock_* calls.
 *
 * The raw request URI is kept (MHD_OPTION_URI_LOG_CALLBACK) because Binance
 * signs the query string exactly as sent.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "mock/mock_int.h"

#ifndef QF_MOCK_DEFAULT_DATA_DIR
#define QF_MOCK_DEFAULT_DATA_DIR "data"
#endif

#define MAX_BODY (1 << 20)

/* Per-request state, from the URI log callback to the completion callback. */
typedef struct conn_ctx {
    char *uri; /* raw, as sent */
    char *body;
    size_t len;
    bool started, too_big;
} conn_ctx;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    conn_ctx *x = calloc(1, sizeof *x);
    if (x)
        x->uri = strdup(uri ? uri : "/");
    return x;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn_ctx *x = *con_cls;
    if (x) {
        free(x->uri);
        free(x->body);
        free(x);
    }
    *con_cls = NULL;
}

/* ---- parameters ---- */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = tolower(ch);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Percent-decodes s[0..n) ('+' is a space, as in forms); NULL on a bad escape. */
static char *pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = hi >= 0 && i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
            if (i + 2 >= n || hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
            continue;
        }
        *o++ = s[i] == '+' ? ' ' : s[i];
    }
    *o = '\0';
    return out;
}

static void parse_params(mock_req *r, const char *s)
{
    while (s && *s) {
        const char *amp = strchr(s, '&');
        size_t n = amp ? (size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', n);
        if (n) {
            if (r->nparams >= MOCK_MAX_PARAMS) {
                r->params_overflow = true;
                return;
            }
            size_t kn = eq ? (size_t)(eq - s) : n;
            char *k = pct_decode(s, kn);
            char *v = eq ? pct_decode(eq + 1, n - kn - 1) : strdup("");
            if (!k || !v) {
                free(k);
                free(v);
                r->params_overflow = true; /* reported as illegal characters */
            } else {
                r->params[r->nparams].name = k;
                r->params[r->nparams].value = v;
                r->nparams++;
            }
        }
        s = amp ? amp + 1 : NULL;
    }
}

static void free_params(mock_req *r)
{
    for (int i = 0; i < r->nparams; i++) {
        free(r->params[i].name);
        free(r->params[i].value);
    }
    r->nparams = 0;
}

/* ---- weight, bans ---- */

static bool is_binance(const char *path)
{
    return strncmp(path, "/api/v3/", 8) == 0 && strncmp(path, "/api/v3/brokerage", 17) != 0;
}

static long secs_until(int64_t until, int64_t now)
{
    int64_t d = until - now;
    return d <= 0 ? 1 : (long)((d + 999) / 1000);
}

/* Charges the request's weight; answers 429/418 into out and returns true
 * when the client is over the limit or banned. */
static bool charge_weight(qf_mock *m, mock_req *r, int64_t now, mock_resp *out)
{
    if (m->ban_until && now >= m->ban_until) {
        m->ban_until = 0;
        m->w_strikes = 0;
    }
    if (m->ban_until > now) {
        m->stats.ban_count++;
        resp_binance_err(out, 418, -1003,
                         "Way too much request weight used; IP banned until %lld. Please use "
                         "WebSocket Streams for live updates to avoid bans.",
                         (long long)m->ban_until);
        resp_header(out, "Retry-After", "%ld", secs_until(m->ban_until, now));
        return true;
    }
    if (now >= m->w_window_end || now < m->w_window_start) {
        m->w_window_start = now - now % 60000;
        m->w_window_end = m->w_window_start + 60000;
        m->w_used = 0;
    }
    m->w_used += mock_binance_weight(r);
    if (m->w_used > m->stats.max_weight_1m)
        m->stats.max_weight_1m = m->w_used;
    if (now < m->w_backoff_until) { /* told to wait, came back early */
        if (m->w_strikes >= m->ban_after_429s) {
            m->ban_until = now + m->ban_seconds * 1000;
            m->w_backoff_until = 0;
            m->stats.ban_count++;
            resp_binance_err(out, 418, -1003,
                             "Way too much request weight used; IP banned until %lld. Please use "
                             "WebSocket Streams for live updates to avoid bans.",
                             (long long)m->ban_until);
            resp_header(out, "Retry-After", "%ld", m->ban_seconds);
            return true;
        }
        m->w_strikes++;
        m->stats.rejected_429++;
        resp_binance_err(out, 429, -1003,
                         "Too much request weight used; current limit is %d request weight per "
                         "1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                         "polling the API.",
                         m->weight_limit);
        resp_header(out, "Retry-After", "%ld", secs_until(m->w_backoff_until, now));
        return true;
    }
    if (m->w_used > m->weight_limit) {
        m->w_strikes++;
        m->stats.rejected_429++;
        m->w_backoff_until = now + m->retry_after_429_s * 1000;
        m->w_window_end = m->w_backoff_until; /* after the wait the count starts afresh */
        resp_binance_err(out, 429, -1003,
                         "Too much request weight used; current limit is %d request weight per "
                         "1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                         "polling the API.",
                         m->weight_limit);
        resp_header(out, "Retry-After", "%ld", m->retry_after_429_s);
        return true;
    }
    m->w_strikes = 0;
    return false;
}

/* ---- faults ---- */

static bool is_lookup(const mock_req *r)
{
    if (strcmp(r->method, "GET") != 0)
        return false;
    if (strcmp(r->path, "/api/v3/order") == 0)
        return true;
    const char *p = "/api/v3/brokerage/orders/historical/";
    return strncmp(r->path, p, strlen(p)) == 0 && strcmp(r->path + strlen(p), "batch") != 0 &&
           strcmp(r->path + strlen(p), "fills") != 0 && strchr(r->path + strlen(p), '/') == NULL;
}

static mock_fault take_fault(qf_mock *m, const mock_req *r)
{
    mock_fault none = {.kind = QF_MOCK_FAULT_NONE};
    for (int i = 0; i < m->nfaults; i++) {
        mock_fault *f = &m->faults[i];
        if (strncmp(r->path, f->prefix, strlen(f->prefix)) != 0)
            continue;
        if (f->kind == QF_MOCK_FAULT_QUERY_UNKNOWN && !is_lookup(r))
            continue;
        mock_fault got = *f;
        if (--f->count <= 0) {
            memmove(f, f + 1, (size_t)(m->nfaults - i - 1) * sizeof *f);
            m->nfaults--;
        }
        return got;
    }
    return none;
}

static bool venue_coinbase(const char *path)
{
    return strncmp(path, "/api/v3/brokerage", 17) == 0 || strncmp(path, "/products", 9) == 0;
}

/* A reply the fault stands for, instead of processing the request. */
static bool pre_fault(const mock_fault *f, const mock_req *r, mock_resp *out, qf_mock *m)
{
    bool cb = venue_coinbase(r->path);
    switch (f->kind) {
    case QF_MOCK_FAULT_429:
        m->stats.rejected_429++;
        if (cb)
            resp_coinbase_err(out, 429, "RESOURCE_EXHAUSTED", "Too many requests");
        else
            resp_binance_err(out, 429, -1003,
                             "Too much request weight used; current limit is %d request weight "
                             "per 1 MINUTE.",
                             m->weight_limit);
        resp_header(out, "Retry-After", "%ld", f->param > 0 ? f->param : m->retry_after_429_s);
        return true;
    case QF_MOCK_FAULT_418:
        m->stats.ban_count++;
        resp_binance_err(out, 418, -1003, "Way too much request weight used; IP banned.");
        resp_header(out, "Retry-After", "%ld", f->param > 0 ? f->param : m->ban_seconds);
        return true;
    case QF_MOCK_FAULT_500:
        if (cb)
            resp_coinbase_err(out, 500, "INTERNAL", "internal error");
        else
            resp_binance_err(out, 500, -1001,
                             "Internal error; unable to process your request. Please try again.");
        return true;
    case QF_MOCK_FAULT_503:
        if (cb)
            resp_coinbase_err(out, 503, "UNAVAILABLE", "service unavailable");
        else
            resp_binance_err(out, 503, -1008,
                             "Service Unavailable. Server is currently overloaded with other "
                             "requests. Please try again in a few minutes.");
        return true;
    case QF_MOCK_FAULT_HTML:
        resp_text(out, 502, "text/html",
                  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                  "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n");
        return true;
    default:
        return false;
    }
}

/* Strings that hold numbers become numbers and numbers become strings. */
static json_t *swap_types(json_t *j)
{
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) json_object_set_new(j, k, swap_types(json_incref(v)));
        return j;
    }
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            json_array_set_new(j, i, swap_types(json_incref(json_array_get(j, i))));
        return j;
    }
    json_t *r = j;
    if (json_is_string(j)) {
        char *end = NULL;
        double d = strtod(json_string_value(j), &end);
        if (end != json_string_value(j) && !*end)
            r = json_real(d);
    } else if (json_is_integer(j)) {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)json_integer_value(j));
        r = json_string(b);
    } else if (json_is_real(j)) {
        char b[64];
        snprintf(b, sizeof b, "%.17g", json_real_value(j));
        r = json_string(b);
    }
    if (r != j)
        json_decref(j);
    return r;
}

static void post_fault(const mock_fault *f, const mock_req *r, mock_resp *out)
{
    switch (f->kind) {
    case QF_MOCK_FAULT_MALFORMED:
        resp_text(out, 200, "application/json;charset=UTF-8",
                  "{\"code\":200,\"data\":[1,2,,\"x\"}oops");
        break;
    case QF_MOCK_FAULT_TRUNCATED:
        if (out->body)
            out->body[strlen(out->body) / 2] = '\0';
        break;
    case QF_MOCK_FAULT_WRONG_TYPES: {
        json_t *j = out->body ? json_loads(out->body, 0, NULL) : NULL;
        if (j)
            resp_json(out, out->status, swap_types(j));
        break;
    }
    case QF_MOCK_FAULT_ACK_500:
        out->nheaders = 0;
        if (venue_coinbase(r->path))
            resp_coinbase_err(out, 500, "INTERNAL", "internal error");
        else
            resp_binance_err(out, 500, -1001,
                             "Internal error; unable to process your request. Please try again.");
        break;
    case QF_MOCK_FAULT_ACK_408:
        out->nheaders = 0;
        if (venue_coinbase(r->path))
            resp_coinbase_err(out, 408, "DEADLINE_EXCEEDED", "request timed out");
        else if (f->param == 1006)
            resp_binance_err(out, 400, -1006,
                             "An unexpected response was received from the message bus. "
                             "Execution status unknown.");
        else
            resp_binance_err(out, 408, -1007,
                             "Timeout waiting for response from backend server. Send status "
                             "unknown; execution status unknown.");
        break;
    default:
        break;
    }
}

/* ---- dispatch ---- */

static void route(qf_mock *m, mock_req *r, mock_resp *out)
{
    if (strncmp(r->path, "/__mock/", 8) == 0) {
        if (!mock_control(m, r, out))
            resp_text(out, 404, "application/json", "{\"error\":\"no such control endpoint\"}");
        return;
    }
    if (venue_coinbase(r->path)) {
        if (!mock_coinbase(m, r, out))
            resp_coinbase_err(out, 404, "NOT_FOUND", "Not Found");
        return;
    }
    if (is_binance(r->path)) {
        if (r->params_overflow) {
            resp_binance_err(out, 400, -1100, "Illegal characters found in a parameter.");
            return;
        }
        if (mock_binance_public(m, r, out) || mock_binance_signed(m, r, out))
            return;
        resp_binance_err(out, 404, -1000, "Unknown endpoint %s %s.", r->method, r->path);
        return;
    }
    resp_text(out, 404, "text/plain", "Not Found");
}

static const char *hdr(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Waits on the condition variable until the predicate holds or the mock
 * stops; deadline_ms < 0 means no deadline. Called with the lock held. */
static void wait_for(qf_mock *m, unsigned gen, int64_t delay_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = until.tv_nsec + (delay_ms % 1000) * 1000000;
    until.tv_sec += (time_t)(delay_ms / 1000 + ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    while (!m->stopping && m->release_gen == gen) {
        if (delay_ms < 0) {
            pthread_cond_wait(&m->cv, &m->mu);
        } else if (pthread_cond_timedwait(&m->cv, &m->mu, &until) != 0) {
            break;
        }
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    qf_mock *m = cls;
    conn_ctx *x = *con_cls;
    if (!x || !x->uri)
        return MHD_NO;
    if (!x->started) {
        x->started = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (x->len + *upload_size > MAX_BODY) {
            x->too_big = true;
        } else {
            char *nb = realloc(x->body, x->len + *upload_size + 1);
            if (!nb)
                return MHD_NO;
            memcpy(nb + x->len, upload_data, *upload_size);
            x->body = nb;
            x->len += *upload_size;
            x->body[x->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }

    /* the whole request is in: split the raw URI */
    char *q = strchr(x->uri, '?');
    char *path = q ? strndup(x->uri, (size_t)(q - x->uri)) : strdup(x->uri);
    if (!path)
        return MHD_NO;
    mock_req r = {.method = method,
                  .path = path,
                  .query = q ? q + 1 : "",
                  .body = x->body ? x->body : "",
                  .body_len = x->len,
                  .host = hdr(c, "Host"),
                  .apikey = hdr(c, "X-MBX-APIKEY"),
                  .auth = hdr(c, "Authorization"),
                  .ctype = hdr(c, "Content-Type")};
    parse_params(&r, r.query);
    bool form = r.ctype ? strstr(r.ctype, "x-www-form-urlencoded") != NULL
                        : (x->len && x->body[0] != '{' && x->body[0] != '[');
    if (form && x->len)
        parse_params(&r, r.body);

    mock_resp out = {.status = 200};
    bool binance = is_binance(path);
    bool control = strncmp(path, "/__mock/", 8) == 0;
    pthread_mutex_lock(&m->mu);
    m->stats.requests++;
    mock_fault f = {.kind = QF_MOCK_FAULT_NONE};
    if (!control)
        f = take_fault(m, &r);
    if (f.kind == QF_MOCK_FAULT_SLOW && f.param > 0)
        wait_for(m, m->release_gen, f.param);
    int64_t now = mock_now_locked(m);
    if (!control)
        mock_match_to(m, now);
    bool answered = false;
    if (x->too_big) {
        resp_text(&out, 413, "text/plain", "Request Entity Too Large");
        answered = true;
    }
    if (!answered && binance)
        answered = charge_weight(m, &r, now, &out);
    if (!answered)
        answered = pre_fault(&f, &r, &out, m);
    if (!answered) {
        r.lookup_unknown = f.kind == QF_MOCK_FAULT_QUERY_UNKNOWN;
        route(m, &r, &out);
        post_fault(&f, &r, &out);
    }
    if (binance)
        resp_header(&out, "X-MBX-USED-WEIGHT-1M", "%ld", m->w_used);
    if (f.kind == QF_MOCK_FAULT_ACK_HANG) {
        m->stats.held_acks++;
        wait_for(m, m->release_gen, -1);
        m->stats.held_acks--;
    }
    pthread_mutex_unlock(&m->mu);
    free_params(&r);
    free(path);

    if (f.kind == QF_MOCK_FAULT_ACK_DROP || !out.body) {
        free(out.body);
        return MHD_NO; /* MHD closes the connection without a reply */
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(out.body), out.body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(out.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", out.ctype ? out.ctype : "application/json");
    for (int i = 0; i < out.nheaders; i++)
        MHD_add_response_header(resp, out.hname[i], out.hval[i]);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)out.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- public API ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_default_balances(qf_mock *m)
{
    static const struct {
        const char *asset;
        long long whole;
    } def[] = {{"USDT", 100000}, {"BTC", 10}, {"ETH", 100}, {"SOL", 1000}};
    for (size_t i = 0; i < sizeof def / sizeof def[0]; i++)
        mock_balance_of(m, def[i].asset)->free = def[i].whole * MOCK_UNIT;
}

qf_rc qf_mock_start(const qf_mock_opts *opts, qf_mock **out, qf_err *err)
{
    *out = NULL;
    qf_mock_opts o = opts ? *opts : (qf_mock_opts){0};
    qf_mock *m = calloc(1, sizeof *m);
    if (!m)
        return qf_err_set(err, QF_ENOMEM, "mock exchange: out of memory");
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    m->start_ms = o.start_time_ms ? o.start_time_ms : QF_MOCK_DEFAULT_START_MS;
    m->wall0_ms = mono_ms();
    m->frozen = o.frozen_clock != 0;
    m->matched_to = m->start_ms;
    m->weight_limit = o.weight_limit_1m > 0 ? o.weight_limit_1m : 6000;
    m->ban_after_429s = o.ban_after_429s > 0 ? o.ban_after_429s : 3;
    m->ban_seconds = o.ban_seconds > 0 ? o.ban_seconds : 120;
    m->retry_after_429_s = o.retry_after_429_s > 0 ? o.retry_after_429_s : 1;
    m->next_order_id = 4871000;
    m->next_trade_id = 901000;
    set_default_balances(m);
    qf_rc rc = mock_load_data(m, o.data_dir ? o.data_dir : QF_MOCK_DEFAULT_DATA_DIR, err);
    if (rc == QF_OK)
        rc = mock_jwt_init(m, err);
    if (rc != QF_OK) {
        qf_mock_stop(m);
        return rc;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)(o.port > 0 ? o.port : 0));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                         NULL, on_request, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_URI_LOG_CALLBACK, on_uri, m, MHD_OPTION_NOTIFY_COMPLETED,
                         on_done, m, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (!m->daemon) {
        qf_mock_stop(m);
        return qf_err_set(err, QF_ENET, "mock exchange: cannot listen on 127.0.0.1:%d", o.port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = di ? di->port : o.port;
    snprintf(m->url, sizeof m->url, "http://127.0.0.1:%d", m->port);
    *out = m;
    return QF_OK;
}

void qf_mock_stop(qf_mock *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    mock_jwt_free(m);
    mock_free_data(m);
    free(m->orders);
    free(m->trades);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

const char *qf_mock_url(const qf_mock *m)
{
    return m->url;
}

void qf_mock_config_urls(const qf_mock *m, qf_config *cfg)
{
    snprintf(cfg->exchanges.binance.base_url, sizeof cfg->exchanges.binance.base_url, "%s", m->url);
    snprintf(cfg->exchanges.coinbase.base_url, sizeof cfg->exchanges.coinbase.base_url, "%s",
             m->url);
}

void qf_mock_config_keys(qf_config *cfg)
{
    qf_config_exchange *b = &cfg->exchanges.binance, *c = &cfg->exchanges.coinbase;
    snprintf(b->api_key, sizeof b->api_key, "%s", QF_MOCK_BINANCE_KEY);
    snprintf(b->api_secret, sizeof b->api_secret, "%s", QF_MOCK_BINANCE_SECRET);
    snprintf(c->api_key, sizeof c->api_key, "%s", QF_MOCK_COINBASE_KEY_NAME);
    snprintf(c->api_secret, sizeof c->api_secret, "%s", QF_MOCK_COINBASE_PRIVATE_PEM);
}

int qf_mock_port(const qf_mock *m)
{
    return m->port;
}

int64_t qf_mock_now(qf_mock *m)
{
    pthread_mutex_lock(&m->mu);
    int64_t t = mock_now_locked(m);
    pthread_mutex_unlock(&m->mu);
    return t;
}

void qf_mock_advance(qf_mock *m, int64_t ms)
{
    if (ms <= 0)
        return;
    pthread_mutex_lock(&m->mu);
    mock_match_to(m, mock_now_locked(m));
    m->advanced_ms += ms;
    mock_match_to(m, mock_now_locked(m));
    pthread_mutex_unlock(&m->mu);
}

void qf_mock_set_skew(qf_mock *m, int64_t ms)
{
    pthread_mutex_lock(&m->mu);
    mock_match_to(m, mock_now_locked(m));
    m->skew_ms = ms;
    /* the jump itself fills nothing */
    int64_t now = mock_now_locked(m);
    if (now > m->matched_to)
        m->matched_to = now;
    pthread_mutex_unlock(&m->mu);
}

void qf_mock_fault(qf_mock *m, const char *path_prefix, qf_mock_fault_kind kind, int count,
                   long param)
{
    pthread_mutex_lock(&m->mu);
    if (count <= 0 || kind == QF_MOCK_FAULT_NONE) {
        m->nfaults = 0;
    } else if (m->nfaults < MOCK_MAX_FAULTS) {
        mock_fault *f = &m->faults[m->nfaults++];
        snprintf(f->prefix, sizeof f->prefix, "%s", path_prefix ? path_prefix : "");
        f->kind = kind;
        f->count = count;
        f->param = param;
    }
    pthread_mutex_unlock(&m->mu);
}

void qf_mock_release(qf_mock *m)
{
    pthread_mutex_lock(&m->mu);
    m->release_gen++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

qf_mock_stats qf_mock_get_stats(qf_mock *m)
{
    pthread_mutex_lock(&m->mu);
    qf_mock_stats s = m->stats;
    pthread_mutex_unlock(&m->mu);
    return s;
}

size_t qf_mock_count_orders(qf_mock *m, const char *client_id)
{
    pthread_mutex_lock(&m->mu);
    size_t n = 0;
    for (size_t i = 0; i < m->norders; i++)
        if (!client_id || strcmp(m->orders[i].client_id, client_id) == 0)
            n++;
    pthread_mutex_unlock(&m->mu);
    return n;
}

void qf_mock_set_balance(qf_mock *m, const char *asset, double free_amount)
{
    pthread_mutex_lock(&m->mu);
    mock_balance *b = mock_balance_of(m, asset);
    if (b && free_amount >= 0)
        b->free = (mock_u)(free_amount * (double)MOCK_UNIT + 0.5);
    pthread_mutex_unlock(&m->mu);
}
