/*
 * test_http.c - the HTTP client over real HTTP against the mock exchange:
 * headers parsed, connection reuse, the retry policy for idempotent and
 * non-idempotent requests, the body cap, a refused connection, and no query
 * string (where signatures live) in any message.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "market/http.h"
#include "market/ratelimit.h"
#include "mock/mock_exchange.h"
#include "testutil.h"

static qf_mock *g_mock;
static qf_http *g_http;

static void setup(void)
{
    qf_err err;
    qf_mock_opts mo = {0};
    cr_assert_eq(qf_mock_start(&mo, &g_mock, &err), QF_OK, "%s", err.msg);
    qf_http_opts o = {.venue = "binance", .backoff_base_ms = 10, .max_retries = 2};
    cr_assert_eq(qf_http_new(&o, &g_http, &err), QF_OK, "%s", err.msg);
}

static void teardown(void)
{
    qf_http_free(g_http);
    qf_mock_stop(g_mock);
}

TestSuite(http, .init = setup, .fini = teardown, .timeout = 30);

static void url(char *out, size_t size, const char *path)
{
    snprintf(out, size, "%s%s", qf_mock_url(g_mock), path);
}

Test(http, get_reads_body_status_and_weight_header)
{
    char u[256];
    url(u, sizeof u, "/api/v3/time");
    qf_http_req req = {.method = QF_HTTP_GET, .url = u, .idempotent = true, .weight = 1};
    qf_http_resp resp;
    qf_err err;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(qf_http_do(g_http, &req, &resp, &err), QF_OK, "%s", err.msg);
        cr_assert_eq(resp.status, 200);
        cr_assert(strstr(resp.body, "serverTime") != NULL, "%s", resp.body);
        cr_assert_eq(resp.len, strlen(resp.body));
        cr_assert_eq(resp.used_weight_1m, i + 1, "X-MBX-USED-WEIGHT-1M counts our calls");
        cr_assert_eq(resp.attempts, 1);
        qf_http_resp_free(&resp);
    }
}

Test(http, a_4xx_is_a_response_not_a_failure)
{
    char u[256];
    url(u, sizeof u, "/api/v3/klines?symbol=NOPE&interval=4h");
    qf_http_req req = {.method = QF_HTTP_GET, .url = u, .idempotent = true, .weight = 2};
    qf_http_resp resp;
    qf_err err;
    cr_assert_eq(qf_http_do(g_http, &req, &resp, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(resp.status, 400);
    cr_assert(strstr(resp.body, "-1121") != NULL, "%s", resp.body);
    qf_http_resp_free(&resp);
}

Test(http, idempotent_5xx_is_retried_non_idempotent_is_unknown)
{
    char u[256];
    url(u, sizeof u, "/api/v3/time?signature=SECRETSIG");
    qf_http_resp resp;
    qf_err err;
    qf_mock_fault(g_mock, "/api/v3/time", QF_MOCK_FAULT_500, 2, 0);
    qf_http_req get = {.method = QF_HTTP_GET, .url = u, .idempotent = true, .weight = 1};
    cr_assert_eq(qf_http_do(g_http, &get, &resp, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(resp.attempts, 3);
    qf_http_resp_free(&resp);
    /* Retries exhausted: EUNKNOWN naming method and path only. */
    qf_mock_fault(g_mock, "/api/v3/time", QF_MOCK_FAULT_503, 3, 0);
    cr_assert_eq(qf_http_do(g_http, &get, &resp, &err), QF_EUNKNOWN);
    cr_assert(strstr(err.msg, "GET /api/v3/time") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "SECRETSIG") == NULL, "no query string: %s", err.msg);
    cr_assert(strstr(err.msg, "3 attempts") != NULL, "%s", err.msg);
    /* A POST is sent once: a 5xx means the outcome is unknown. */
    long before = qf_mock_get_stats(g_mock).requests;
    qf_mock_fault(g_mock, "/api/v3/time", QF_MOCK_FAULT_500, 5, 0);
    qf_http_req post = {.method = QF_HTTP_POST, .url = u, .body = "a=1", .body_len = 3};
    cr_assert_eq(qf_http_do(g_http, &post, &resp, &err), QF_EUNKNOWN);
    cr_assert_eq(qf_mock_get_stats(g_mock).requests - before, 1, "sent exactly once");
    cr_assert(strstr(err.msg, "SECRETSIG") == NULL && strstr(err.msg, "a=1") == NULL, "%s",
              err.msg);
}

Test(http, timeout_after_send_is_unknown_for_a_post)
{
    qf_http_opts o = {.venue = "binance", .timeout_ms = 200, .max_retries = 1};
    qf_http *h = NULL;
    qf_err err;
    cr_assert_eq(qf_http_new(&o, &h, &err), QF_OK, "%s", err.msg);
    char u[256];
    url(u, sizeof u, "/api/v3/time");
    qf_mock_fault(g_mock, "/api/v3/time", QF_MOCK_FAULT_SLOW, 1, 1000);
    qf_http_req post = {.method = QF_HTTP_POST, .url = u, .body = "", .body_len = 0};
    qf_http_resp resp;
    cr_assert_eq(qf_http_do(h, &post, &resp, &err), QF_EUNKNOWN);
    cr_assert(strstr(err.msg, "outcome unknown") != NULL, "%s", err.msg);
    /* An idempotent GET times out, is retried and succeeds. */
    qf_mock_fault(g_mock, "/api/v3/time", QF_MOCK_FAULT_SLOW, 1, 1000);
    qf_http_req get = {.method = QF_HTTP_GET, .url = u, .idempotent = true};
    cr_assert_eq(qf_http_do(h, &get, &resp, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(resp.attempts, 2);
    qf_http_resp_free(&resp);
    qf_http_free(h);
}

Test(http, body_cap_and_refused_connection)
{
    qf_http_opts o = {.venue = "binance", .max_body = 64, .backoff_base_ms = 1};
    qf_http *h = NULL;
    qf_err err;
    cr_assert_eq(qf_http_new(&o, &h, &err), QF_OK, "%s", err.msg);
    char u[256];
    url(u, sizeof u, "/api/v3/exchangeInfo");
    qf_http_req get = {.method = QF_HTTP_GET, .url = u, .idempotent = true};
    qf_http_resp resp;
    cr_assert_eq(qf_http_do(h, &get, &resp, &err), QF_ERANGE);
    cr_assert(strstr(err.msg, "larger than 64 bytes") != NULL, "%s", err.msg);
    cr_assert_null(resp.body);
    /* Port 1 on loopback: nothing listens. */
    qf_http_req dead = {.method = QF_HTTP_POST, .url = "http://127.0.0.1:1/api/v3/order?x=SECRET"};
    cr_assert_eq(qf_http_do(h, &dead, &resp, &err), QF_ENET);
    cr_assert(strstr(err.msg, "not sent") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "SECRET") == NULL, "%s", err.msg);
    qf_http_free(h);
}

Test(http, urlencode)
{
    char out[64];
    qf_err err;
    cr_assert_eq(qf_http_urlencode("[\"BTCUSDT\",\"ETH USDT\"]~-._", out, sizeof out, &err), QF_OK);
    cr_assert_str_eq(out, "%5B%22BTCUSDT%22%2C%22ETH%20USDT%22%5D~-._");
    char small[4];
    cr_assert_eq(qf_http_urlencode("a b", small, sizeof small, &err), QF_ERANGE);
}

/* A limiter on the mock's key in a fresh directory; max_wait_ms small so a
 * pending pause shows as an immediate QF_ERATELIMIT instead of a wait. */
static qf_ratelimit *limiter(const char *dir, long max_wait_ms)
{
    qf_ratelimit_opts ro = {.venue = "binance",
                            .base_url = qf_mock_url(g_mock),
                            .dir = dir,
                            .max_wait_ms = max_wait_ms,
                            .guard_ms = -1};
    qf_ratelimit *rl = NULL;
    qf_err err;
    cr_assert_eq(qf_ratelimit_new(&ro, &rl, &err), QF_OK, "%s", err.msg);
    return rl;
}

/* Whether another process on the host would be held back now. */
static bool host_paused(const char *dir)
{
    qf_ratelimit *other = limiter(dir, 100);
    qf_err err;
    qf_rc rc = qf_ratelimit_acquire(other, 1, NULL, &err);
    qf_ratelimit_free(other);
    return rc == QF_ERATELIMIT;
}

/* A 429 pauses every process on the host for Retry-After, also when the
 * request is an order (never retried) or its last attempt. */
Test(http, a_429_pauses_the_host_also_for_a_post_and_the_last_attempt)
{
    char *dir = qf_test_tmpdir();
    qf_ratelimit *rl = limiter(dir, 0);
    qf_http_opts o = {.venue = "binance", .limiter = rl, .max_retries = 0};
    qf_http *h = NULL;
    qf_err err;
    cr_assert_eq(qf_http_new(&o, &h, &err), QF_OK, "%s", err.msg);
    char u[256];
    url(u, sizeof u, "/api/v3/order");
    cr_assert(!host_paused(dir));
    qf_mock_fault(g_mock, "/api/v3/order", QF_MOCK_FAULT_429, 1, 1);
    qf_http_req post = {.method = QF_HTTP_POST, .url = u, .weight = 1};
    qf_http_resp resp;
    cr_assert_eq(qf_http_do(h, &post, &resp, &err), QF_ERATELIMIT);
    cr_assert(strstr(err.msg, "429") != NULL, "%s", err.msg);
    cr_assert(host_paused(dir), "a 429 on an order pauses the host");

    /* A GET whose only attempt (max_retries 0) gets the 429. */
    char *dir2 = qf_test_tmpdir();
    qf_ratelimit *rl2 = limiter(dir2, 0);
    qf_http_opts o2 = {.venue = "binance", .limiter = rl2, .max_retries = 0};
    qf_http *h2 = NULL;
    cr_assert_eq(qf_http_new(&o2, &h2, &err), QF_OK, "%s", err.msg);
    url(u, sizeof u, "/api/v3/time");
    qf_mock_fault(g_mock, "/api/v3/time", QF_MOCK_FAULT_429, 1, 1);
    qf_http_req get = {.method = QF_HTTP_GET, .url = u, .idempotent = true, .weight = 1};
    cr_assert_eq(qf_http_do(h2, &get, &resp, &err), QF_ERATELIMIT);
    cr_assert(host_paused(dir2), "a 429 on the last attempt pauses the host");
    qf_http_free(h2);
    qf_ratelimit_free(rl2);
    qf_test_rmtree(dir2);
    free(dir2);
    qf_http_free(h);
    qf_ratelimit_free(rl);
    qf_test_rmtree(dir);
    free(dir);
}

/* What the prepare hook saw. */
typedef struct prep {
    char url[256];
    int calls;
    int64_t at[4];
    qf_rc answer;
} prep;

static qf_rc prepare(void *ctx, qf_http_req *req, qf_err *err)
{
    prep *p = ctx;
    if (p->calls < 4)
        p->at[p->calls] = qf_time_now_ms();
    p->calls++;
    if (p->answer != QF_OK)
        return qf_err_set(err, p->answer, "prepare refuses");
    req->url = p->url;
    return QF_OK;
}

/* prepare runs after the limiter's wait and before every attempt; its URL
 * is the one sent; a refusal sends nothing and returns its code. */
Test(http, prepare_runs_after_the_wait_and_before_each_attempt)
{
    char *dir = qf_test_tmpdir();
    qf_ratelimit *rl = limiter(dir, 0);
    qf_http_opts o = {.venue = "binance", .limiter = rl, .backoff_base_ms = 10, .max_retries = 2};
    qf_http *h = NULL;
    qf_err err;
    cr_assert_eq(qf_http_new(&o, &h, &err), QF_OK, "%s", err.msg);
    prep p = {0};
    url(p.url, sizeof p.url, "/api/v3/time");
    qf_ratelimit *other = limiter(dir, 0);
    qf_ratelimit_pause(other, 300);
    qf_ratelimit_free(other);
    int64_t t0 = qf_time_now_ms();
    qf_mock_fault(g_mock, "/api/v3/time", QF_MOCK_FAULT_500, 2, 0);
    qf_http_req get = {.method = QF_HTTP_GET,
                       .idempotent = true,
                       .weight = 1,
                       .prepare = prepare,
                       .prepare_ctx = &p};
    qf_http_resp resp;
    cr_assert_eq(qf_http_do(h, &get, &resp, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(resp.status, 200);
    cr_assert(strstr(resp.body, "serverTime") != NULL, "%s", resp.body);
    cr_assert_eq(resp.attempts, 3);
    cr_assert_eq(p.calls, 3, "once per attempt");
    cr_assert_geq(p.at[0] - t0, 290, "after the pause: %lld ms", (long long)(p.at[0] - t0));
    qf_http_resp_free(&resp);

    long before = qf_mock_get_stats(g_mock).requests;
    prep no = {.answer = QF_ESTATE};
    get.prepare_ctx = &no;
    cr_assert_eq(qf_http_do(h, &get, &resp, &err), QF_ESTATE);
    cr_assert_str_eq(err.msg, "prepare refuses");
    cr_assert_eq(no.calls, 1);
    cr_assert_eq(qf_mock_get_stats(g_mock).requests, before, "nothing sent");
    cr_assert_null(resp.body);
    qf_http_free(h);
    qf_ratelimit_free(rl);
    qf_test_rmtree(dir);
    free(dir);
}
