/*
 * mock_client.h - a tiny libcurl client for the mock's own tests: one
 * request, status, body and response headers; Binance signing and a
 * Coinbase JWT made with OpenSSL directly (independent of src/market, so a
 * misreading of the protocol there is not shared by the tests here).
 */
#ifndef QF_TESTS_MOCK_CLIENT_H
#define QF_TESTS_MOCK_CLIENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct qf_mock_http_resp {
    long status;   /* 0 when no reply arrived (timeout, dropped connection) */
    int curl_code; /* CURLcode */
    char *body;    /* NUL-terminated, "" when empty */
    char *headers; /* raw header block */
} qf_mock_http_resp;

/* One request; headers is a NULL-terminated list of "Name: value" (may be
 * NULL); body NULL for none (a POST body is sent form-encoded unless a
 * Content-Type header is given). timeout_ms 0: 10 s. Returns out->status. */
long qf_mock_http(const char *method, const char *url, const char *body, const char *const *headers,
                  long timeout_ms, qf_mock_http_resp *out);
/* Value of a response header (case-insensitive name) into buf; NULL when absent. */
const char *qf_mock_http_header(const qf_mock_http_resp *r, const char *name, char *buf,
                                size_t size);
void qf_mock_http_free(qf_mock_http_resp *r);

/* hex(HMAC-SHA256(secret, payload)) into out[65]. */
void qf_mock_hmac_hex(const char *secret, const char *payload, char out[65]);
/* A Coinbase JWT for `uri` ("GET 127.0.0.1:PORT/api/v3/brokerage/...") signed
 * with the mock's ES256 test key (or Ed25519 when ed25519), claims at now_s.
 * malloc'd; NULL on failure. */
char *qf_mock_jwt(const char *uri, int64_t now_s, int ed25519);

#endif
