/*
 * mock_client.c - the tests' own HTTP client and signers (see mock_client.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "mock/mock_client.h"
#include "mock/mock_exchange.h"

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    size_t add = size * nmemb;
    char *np = realloc(b->p, b->n + add + 1);
    if (!np)
        return 0;
    memcpy(np + b->n, ptr, add);
    b->n += add;
    np[b->n] = '\0';
    b->p = np;
    return add;
}

long qf_mock_http(const char *method, const char *url, const char *body, const char *const *headers,
                  long timeout_ms, qf_mock_http_resp *out)
{
    memset(out, 0, sizeof *out);
    buf b = {0}, h = {0};
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    out->curl_code = (int)curl_easy_perform(c);
    if (out->curl_code == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    out->body = b.p ? b.p : strdup("");
    out->headers = h.p ? h.p : strdup("");
    return out->status;
}

const char *qf_mock_http_header(const qf_mock_http_resp *r, const char *name, char *dst,
                                size_t size)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strchr(line, '\n');
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t len = eol ? (size_t)(eol - v) : strlen(v);
            while (len && (v[len - 1] == '\r' || v[len - 1] == ' '))
                len--;
            snprintf(dst, size, "%.*s", (int)len, v);
            return dst;
        }
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

void qf_mock_http_free(qf_mock_http_resp *r)
{
    free(r->body);
    free(r->headers);
    r->body = r->headers = NULL;
}

void qf_mock_hmac_hex(const char *secret, const char *payload, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)payload, strlen(payload),
         md, &len);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void b64url(const unsigned char *d, size_t n, char *out)
{
    static const char *T = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        out[o++] = T[(v >> 18) & 63];
        out[o++] = T[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = T[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = T[v & 63];
    }
    out[o] = '\0';
}

static EVP_PKEY *load_key(int ed25519)
{
    if (!ed25519) {
        BIO *bio = BIO_new_mem_buf(QF_MOCK_COINBASE_PRIVATE_PEM, -1);
        EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        return k;
    }
    unsigned char raw[96];
    int n = EVP_DecodeBlock(raw, (const unsigned char *)QF_MOCK_COINBASE_ED25519_SECRET,
                            (int)strlen(QF_MOCK_COINBASE_ED25519_SECRET));
    if (n < 32)
        return NULL;
    return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32);
}

char *qf_mock_jwt(const char *uri, int64_t now_s, int ed25519)
{
    const char *kid = ed25519 ? QF_MOCK_COINBASE_ED25519_KEY_NAME : QF_MOCK_COINBASE_KEY_NAME;
    unsigned char nonce[16];
    RAND_bytes(nonce, sizeof nonce);
    char nhex[33];
    for (int i = 0; i < 16; i++)
        snprintf(nhex + 2 * i, 3, "%02x", nonce[i]);
    char header[512], claims[1024];
    snprintf(header, sizeof header,
             "{\"alg\":\"%s\",\"kid\":\"%s\",\"nonce\":\"%s\",\"typ\":\"JWT\"}",
             ed25519 ? "EdDSA" : "ES256", kid, nhex);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"cdp\",\"sub\":\"%s\",\"nbf\":%lld,\"exp\":%lld,\"uri\":\"%s\"}", kid,
             (long long)now_s, (long long)now_s + 120, uri);
    char *tok = malloc(4096);
    char h64[1024], c64[2048], s64[128];
    b64url((const unsigned char *)header, strlen(header), h64);
    b64url((const unsigned char *)claims, strlen(claims), c64);
    snprintf(tok, 4096, "%s.%s", h64, c64);
    EVP_PKEY *k = load_key(ed25519);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[256];
    size_t slen = sizeof sig;
    int ok = k && md && EVP_DigestSignInit(md, NULL, ed25519 ? NULL : EVP_sha256(), NULL, k) == 1 &&
             EVP_DigestSign(md, sig, &slen, (const unsigned char *)tok, strlen(tok)) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    if (!ok) {
        free(tok);
        return NULL;
    }
    unsigned char rs[64];
    if (!ed25519) { /* DER -> raw R || S */
        const unsigned char *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)slen);
        if (!es) {
            free(tok);
            return NULL;
        }
        BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32);
        ECDSA_SIG_free(es);
        b64url(rs, 64, s64);
    } else {
        b64url(sig, slen, s64);
    }
    strcat(tok, ".");
    strcat(tok, s64);
    return tok;
}
