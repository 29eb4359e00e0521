/*
 * mock_jwt.c - verifies Coinbase Advanced Trade JWTs (PROTOCOLS.md section 2):
 * "Authorization: Bearer <jwt>", header alg ES256 (raw R || S signature) or
 * EdDSA with the mock's test key names as kid, claims iss "cdp", sub = kid,
 * nbf <= now < exp on the mock clock, uri = "METHOD host/path" with host as
 * the client sent it in Host (with or without its port) and no query string.
 * The verification keys are derived from the public test keys in
 * mock_exchange.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mock/mock_int.h"

qf_rc mock_jwt_init(qf_mock *m, qf_err *err)
{
    BIO *bio = BIO_new_mem_buf(QF_MOCK_COINBASE_PRIVATE_PEM, -1);
    EVP_PKEY *ec = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    unsigned char raw[96];
    int n = EVP_DecodeBlock(raw, (const unsigned char *)QF_MOCK_COINBASE_ED25519_SECRET,
                            (int)strlen(QF_MOCK_COINBASE_ED25519_SECRET));
    EVP_PKEY *ed = n >= 64 ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32) : NULL;
    if (!ec || !ed) {
        EVP_PKEY_free(ec);
        EVP_PKEY_free(ed);
        return qf_err_set(err, QF_EINVAL, "mock exchange: cannot load the Coinbase test keys");
    }
    m->cb_es256_pkey = ec;
    m->cb_ed25519_pkey = ed;
    return QF_OK;
}

void mock_jwt_free(qf_mock *m)
{
    EVP_PKEY_free(m->cb_es256_pkey);
    EVP_PKEY_free(m->cb_ed25519_pkey);
    m->cb_es256_pkey = m->cb_ed25519_pkey = NULL;
}

/* Base64url (no padding) of s[0..n) into a malloc'd buffer; NULL when bad. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
    if (n % 4 == 1)
        return NULL;
    size_t padded = (n + 3) / 4 * 4;
    char *t = malloc(padded + 1);
    unsigned char *out = malloc(padded / 4 * 3 + 1);
    if (!t || !out) {
        free(t);
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (c == '+' || c == '/' || c == '=')
            c = '!'; /* standard base64 characters are not base64url */
        t[i] = c;
    }
    for (size_t i = n; i < padded; i++)
        t[i] = '=';
    t[padded] = '\0';
    int len = EVP_DecodeBlock(out, (unsigned char *)t, (int)padded);
    free(t);
    if (len < 0) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)len - (padded - n); /* EVP_DecodeBlock counts the padding */
    out[*out_len] = '\0';
    return out;
}

static json_t *json_part(const char *s, size_t n)
{
    size_t len;
    unsigned char *d = b64url_decode(s, n, &len);
    json_t *j = d ? json_loadb((const char *)d, len, 0, NULL) : NULL;
    free(d);
    return json_is_object(j) ? j : (json_decref(j), NULL);
}

static bool verify(EVP_PKEY *k, bool es256, const char *msg, size_t msg_len,
                   const unsigned char *sig, size_t sig_len)
{
    unsigned char der[80];
    const unsigned char *s = sig;
    size_t slen = sig_len;
    if (es256) { /* raw R || S -> DER for OpenSSL */
        if (sig_len != 64)
            return false;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
        if (!es || !r || !sv || ECDSA_SIG_set0(es, r, sv) != 1) {
            ECDSA_SIG_free(es);
            BN_free(r);
            BN_free(sv);
            return false;
        }
        unsigned char *p = der;
        int n = i2d_ECDSA_SIG(es, &p);
        ECDSA_SIG_free(es);
        if (n <= 0)
            return false;
        s = der;
        slen = (size_t)n;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, NULL, es256 ? EVP_sha256() : NULL, NULL, k) == 1 &&
              EVP_DigestVerify(md, s, slen, (const unsigned char *)msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static bool uri_ok(const mock_req *r, const char *uri)
{
    if (!r->host)
        return false;
    char want[1024];
    snprintf(want, sizeof want, "%s %s%s", r->method, r->host, r->path);
    if (strcmp(uri, want) == 0)
        return true;
    const char *colon = strrchr(r->host, ':');
    if (!colon)
        return false;
    snprintf(want, sizeof want, "%s %.*s%s", r->method, (int)(colon - r->host), r->host, r->path);
    return strcmp(uri, want) == 0;
}

static const char *check_claims(const mock_req *r, json_t *h, json_t *c, int64_t now, bool *es256)
{
    const char *alg = json_string_value(json_object_get(h, "alg"));
    const char *kid = json_string_value(json_object_get(h, "kid"));
    if (!alg || !kid)
        return "header without alg or kid";
    *es256 = strcmp(alg, "ES256") == 0;
    if (*es256 ? strcmp(kid, QF_MOCK_COINBASE_KEY_NAME) != 0
               : strcmp(alg, "EdDSA") != 0 || strcmp(kid, QF_MOCK_COINBASE_ED25519_KEY_NAME) != 0)
        return "unknown alg/kid";
    const char *iss = json_string_value(json_object_get(c, "iss"));
    const char *sub = json_string_value(json_object_get(c, "sub"));
    const char *uri = json_string_value(json_object_get(c, "uri"));
    json_t *nbf = json_object_get(c, "nbf"), *exp = json_object_get(c, "exp");
    if (!iss || strcmp(iss, "cdp") != 0)
        return "iss is not cdp";
    if (!sub || strcmp(sub, kid) != 0)
        return "sub is not the key name";
    if (!json_is_integer(nbf) || !json_is_integer(exp))
        return "nbf/exp missing or not integers";
    int64_t now_s = now / 1000;
    if (json_integer_value(nbf) > now_s + 1)
        return "not valid yet (nbf)";
    if (json_integer_value(exp) <= now_s)
        return "expired (exp)";
    if (!uri || !uri_ok(r, uri))
        return "uri does not match the request";
    return NULL;
}

const char *mock_jwt_check(qf_mock *m, const mock_req *r, int64_t now)
{
    if (!r->auth || strncmp(r->auth, "Bearer ", 7) != 0)
        return "no bearer token";
    const char *tok = r->auth + 7;
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.'))
        return "not a JWS compact token";
    json_t *h = json_part(tok, (size_t)(d1 - tok));
    json_t *c = json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    size_t slen = 0;
    unsigned char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &slen);
    bool es256 = false;
    const char *why = !h || !c || !sig ? "malformed token" : check_claims(r, h, c, now, &es256);
    if (!why && !verify(es256 ? m->cb_es256_pkey : m->cb_ed25519_pkey, es256, tok,
                        (size_t)(d2 - tok), sig, slen))
        why = "bad signature";
    json_decref(h);
    json_decref(c);
    free(sig);
    return why;
}
