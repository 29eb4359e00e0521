/* Tests of the venue signatures (src/market/sign.c): Binance's documented
 * HMAC vector, base64url, and Coinbase JWTs verified with the public key
 * (ES256 raw R||S and EdDSA), never compared as strings (they are random). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#include "market/sign.h"

/* A P-256 key made for these tests (openssl ecparam -genkey -name prime256v1). */
static const char *EC_PEM = "-----BEGIN EC PRIVATE KEY-----\n"
                            "MHcCAQEEIKEZZ/ifgBZtqJKs2uyqzZ+iaOy3N9JlEok0AZqQcbmSoAoGCCqGSM49\n"
                            "AwEHoUQDQgAE9zu9IPrR6t5hj/h3Q9P74mgUm6BxH6kQk8PdTnseq0dJrxqjLIGN\n"
                            "PgJJ0nUnLDz/qdYnVuRwGcMJOwsaaVc1Rw==\n"
                            "-----END EC PRIVATE KEY-----\n";

/* base64 of an Ed25519 seed (bytes 0..31) followed by its public key. */
static char ed_b64[100];

static EVP_PKEY *load_pem(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    cr_assert_not_null(k);
    return k;
}

static EVP_PKEY *ed_key(void)
{
    unsigned char seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (unsigned char)i;
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    cr_assert_not_null(k);
    unsigned char both[64];
    memcpy(both, seed, 32);
    size_t n = 32;
    cr_assert_eq(EVP_PKEY_get_raw_public_key(k, both + 32, &n), 1);
    EVP_EncodeBlock((unsigned char *)ed_b64, both, 64);
    return k;
}

/* base64url decode (no padding) into out; returns the length or -1. */
static int b64url_decode(const char *s, size_t n, unsigned char *out)
{
    char buf[2048];
    cr_assert_lt(n + 4, sizeof buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    size_t pad = (4 - n % 4) % 4;
    for (size_t i = 0; i < pad; i++)
        buf[n + i] = '=';
    int len = EVP_DecodeBlock(out, (unsigned char *)buf, (int)(n + pad));
    return len < 0 ? -1 : len - (int)pad;
}

static json_t *part_json(const char *s, size_t n)
{
    unsigned char raw[2048];
    int len = b64url_decode(s, n, raw);
    cr_assert_gt(len, 0);
    json_t *j = json_loadb((const char *)raw, (size_t)len, 0, NULL);
    cr_assert_not_null(j, "%.*s", len, raw);
    return j;
}

/* Splits a JWT, checks header and claims, verifies the signature with pub. */
static void verify_jwt(const char *jwt, EVP_PKEY *pub, const char *alg)
{
    const char *d1 = strchr(jwt, '.');
    cr_assert_not_null(d1);
    const char *d2 = strchr(d1 + 1, '.');
    cr_assert_not_null(d2);
    cr_assert_null(strchr(d2 + 1, '.'));
    cr_assert_null(strchr(jwt, '='), "base64url carries no padding");

    json_t *h = part_json(jwt, (size_t)(d1 - jwt));
    cr_assert_str_eq(json_string_value(json_object_get(h, "alg")), alg);
    cr_assert_str_eq(json_string_value(json_object_get(h, "kid")), "organizations/o1/apiKeys/k1");
    cr_assert_str_eq(json_string_value(json_object_get(h, "typ")), "JWT");
    const char *nonce = json_string_value(json_object_get(h, "nonce"));
    cr_assert_not_null(nonce);
    cr_assert_eq(strlen(nonce), 32);
    cr_assert_eq(strspn(nonce, "0123456789abcdef"), 32);
    json_decref(h);

    json_t *c = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
    cr_assert_str_eq(json_string_value(json_object_get(c, "iss")), "cdp");
    cr_assert_str_eq(json_string_value(json_object_get(c, "sub")), "organizations/o1/apiKeys/k1");
    cr_assert_eq(json_integer_value(json_object_get(c, "nbf")), 1718000000);
    cr_assert_eq(json_integer_value(json_object_get(c, "exp")), 1718000120);
    cr_assert_str_eq(json_string_value(json_object_get(c, "uri")),
                     "POST api.coinbase.com/api/v3/brokerage/orders");
    json_decref(c);

    unsigned char sig[128];
    int sig_len = b64url_decode(d2 + 1, strlen(d2 + 1), sig);
    cr_assert_eq(sig_len, 64, "raw signature is 64 bytes, got %d", sig_len);

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok;
    if (strcmp(alg, "ES256") == 0) {
        /* Rebuild the DER OpenSSL verifies from the raw R || S. */
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
        unsigned char *der = NULL;
        int der_len = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        cr_assert_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub), 1);
        ok = EVP_DigestVerify(ctx, der, (size_t)der_len, (const unsigned char *)jwt,
                              (size_t)(d2 - jwt));
        OPENSSL_free(der);
    } else {
        cr_assert_eq(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub), 1);
        ok = EVP_DigestVerify(ctx, sig, 64, (const unsigned char *)jwt, (size_t)(d2 - jwt));
    }
    EVP_MD_CTX_free(ctx);
    cr_assert_eq(ok, 1, "signature verifies with the public key");
}

Test(sign, binance_documented_vector)
{
    const char *secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const char *payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
                          "recvWindow=5000&timestamp=1499827319559";
    char hex[QF_SIGN_HEX_LEN + 1];
    qf_sign_hmac_sha256_hex(secret, strlen(secret), payload, strlen(payload), hex);
    cr_assert_str_eq(hex, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    /* One byte of the payload changes everything. */
    qf_sign_hmac_sha256_hex(secret, strlen(secret), payload, strlen(payload) - 1, hex);
    cr_assert_str_neq(hex, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

Test(sign, base64url_rfc4648_vectors)
{
    /* RFC 4648 section 10, in the URL alphabet and without padding. */
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[16];
    for (size_t i = 0; i < 7; i++) {
        cr_assert_eq(
            qf_sign_base64url((const unsigned char *)in[i], strlen(in[i]), out, sizeof out, NULL),
            QF_OK);
        cr_assert_str_eq(out, want[i]);
    }
    const unsigned char hi[] = {0xfb, 0xff, 0xbf};
    cr_assert_eq(qf_sign_base64url(hi, 3, out, sizeof out, NULL), QF_OK);
    cr_assert_str_eq(out, "-_-_", "URL alphabet: - and _ instead of + and /");
    qf_err err;
    cr_assert_eq(qf_sign_base64url((const unsigned char *)"foobar", 6, out, 8, &err), QF_ERANGE);
    cr_assert_eq(qf_sign_base64url((const unsigned char *)"foobar", 6, out, 9, &err), QF_OK);
}

Test(sign, es256_jwt_verifies_with_public_key)
{
    EVP_PKEY *k = load_pem(EC_PEM);
    char jwt[QF_SIGN_JWT_MAX];
    qf_err err;
    /* Several tokens: the raw R||S conversion must hold for short R or S too
     * (a leading zero byte happens in 1 of 128 signatures). */
    for (int i = 0; i < 64; i++) {
        cr_assert_eq(qf_sign_jwt("organizations/o1/apiKeys/k1", EC_PEM,
                                 "POST api.coinbase.com/api/v3/brokerage/orders", 1718000000, jwt,
                                 sizeof jwt, &err),
                     QF_OK, "%s", err.msg);
        verify_jwt(jwt, k, "ES256");
    }
    qf_sign_key_kind kind = 0;
    cr_assert_eq(qf_sign_key_kind_of(EC_PEM, &kind, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(kind, QF_SIGN_KEY_ES256);
    EVP_PKEY_free(k);
}

Test(sign, es256_key_with_escaped_newlines_as_in_the_key_json)
{
    char escaped[512];
    size_t o = 0;
    for (const char *p = EC_PEM; *p != '\0'; p++) {
        if (*p == '\n') {
            escaped[o++] = '\\';
            escaped[o++] = 'n';
        } else {
            escaped[o++] = *p;
        }
    }
    escaped[o] = '\0';
    EVP_PKEY *k = load_pem(EC_PEM);
    char jwt[QF_SIGN_JWT_MAX];
    qf_err err;
    cr_assert_eq(qf_sign_jwt("organizations/o1/apiKeys/k1", escaped,
                             "POST api.coinbase.com/api/v3/brokerage/orders", 1718000000, jwt,
                             sizeof jwt, &err),
                 QF_OK, "%s", err.msg);
    verify_jwt(jwt, k, "ES256");
    EVP_PKEY_free(k);
}

Test(sign, eddsa_jwt_from_base64_seed_and_public_key)
{
    EVP_PKEY *k = ed_key();
    char jwt[QF_SIGN_JWT_MAX];
    qf_err err;
    cr_assert_eq(qf_sign_jwt("organizations/o1/apiKeys/k1", ed_b64,
                             "POST api.coinbase.com/api/v3/brokerage/orders", 1718000000, jwt,
                             sizeof jwt, &err),
                 QF_OK, "%s", err.msg);
    verify_jwt(jwt, k, "EdDSA");
    qf_sign_key_kind kind = 0;
    cr_assert_eq(qf_sign_key_kind_of(ed_b64, &kind, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(kind, QF_SIGN_KEY_EDDSA);

    /* A public half that does not belong to the seed is refused. */
    char bad[100];
    strcpy(bad, ed_b64);
    bad[60] = bad[60] == 'A' ? 'B' : 'A';
    cr_assert_eq(qf_sign_jwt("k", bad, "GET h/p", 1, jwt, sizeof jwt, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "public half") != NULL, "%s", err.msg);
    cr_assert_str_eq(jwt, "");
    EVP_PKEY_free(k);
}

Test(sign, bad_keys_and_arguments_are_named_never_quoted)
{
    char jwt[QF_SIGN_JWT_MAX];
    qf_err err;
    const char *uri = "GET api.coinbase.com/api/v3/brokerage/accounts";
    cr_assert_eq(qf_sign_jwt("k", "", uri, 1, jwt, sizeof jwt, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "empty") != NULL, "%s", err.msg);
    cr_assert_eq(qf_sign_jwt("", EC_PEM, uri, 1, jwt, sizeof jwt, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "key name") != NULL, "%s", err.msg);

    const char *junk = "not-a-key-SECRETSECRET";
    cr_assert_eq(qf_sign_jwt("k", junk, uri, 1, jwt, sizeof jwt, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "SECRETSECRET") == NULL, "%s", err.msg);

    char broken[512];
    strcpy(broken, EC_PEM);
    broken[40] = '!';
    cr_assert_eq(qf_sign_jwt("k", broken, uri, 1, jwt, sizeof jwt, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "PEM") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "MHcCAQEE") == NULL, "%s", err.msg);

    /* A P-384 key is an EC key ES256 cannot use. */
    EVP_PKEY *p384 = EVP_EC_gen("secp384r1");
    cr_assert_not_null(p384);
    BIO *bio = BIO_new(BIO_s_mem());
    cr_assert_eq(PEM_write_bio_PrivateKey(bio, p384, NULL, NULL, 0, NULL, NULL), 1);
    char *pem = NULL;
    long n = BIO_get_mem_data(bio, &pem);
    char *copy = strndup(pem, (size_t)n);
    cr_assert_eq(qf_sign_jwt("k", copy, uri, 1, jwt, sizeof jwt, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "P-256") != NULL, "%s", err.msg);
    free(copy);
    BIO_free(bio);
    EVP_PKEY_free(p384);

    /* An RSA key is the wrong kind altogether. */
    EVP_PKEY *rsa = EVP_RSA_gen(1024);
    bio = BIO_new(BIO_s_mem());
    cr_assert_eq(PEM_write_bio_PrivateKey(bio, rsa, NULL, NULL, 0, NULL, NULL), 1);
    n = BIO_get_mem_data(bio, &pem);
    copy = strndup(pem, (size_t)n);
    cr_assert_eq(qf_sign_jwt("k", copy, uri, 1, jwt, sizeof jwt, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "unsupported key type") != NULL, "%s", err.msg);
    free(copy);
    BIO_free(bio);
    EVP_PKEY_free(rsa);

    /* The uri carries neither scheme nor query string. */
    cr_assert_eq(
        qf_sign_jwt("k", EC_PEM, "GET https://api.coinbase.com/x", 1, jwt, sizeof jwt, &err),
        QF_EINVAL);
    cr_assert_eq(qf_sign_jwt("k", EC_PEM, "GET api.coinbase.com/x?a=1", 1, jwt, sizeof jwt, &err),
                 QF_EINVAL);
    /* Too small a buffer is ERANGE, and leaves an empty string. */
    cr_assert_eq(qf_sign_jwt("k", EC_PEM, uri, 1, jwt, 100, &err), QF_ERANGE);
    cr_assert_str_eq(jwt, "");
}
