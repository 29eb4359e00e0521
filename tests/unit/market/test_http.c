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

#include "market/http.h"
#include "mock/mock_exchange.h"

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
