/*
 * sign.c - Binance HMAC-SHA256 signatures and Coinbase JWTs (ES256 / EdDSA)
 * with OpenSSL 3's libcrypto and jansson for the JWT's JSON parts.
 *
 * Every buffer that held key material is cleansed before it is freed. Error
 * messages describe the key (its kind, its length) and never quote it.
 */
#include "market/sign.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

void qf_sign_hmac_sha256_hex(const char *key, size_t key_len, const char *msg, size_t msg_len,
                             char out[QF_SIGN_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[32];
    unsigned int mac_len = 0;
    /* A zero-length key is legal for HMAC; OpenSSL wants a non-NULL pointer. */
    HMAC(EVP_sha256(), key_len > 0 ? key : "", (int)key_len, (const unsigned char *)msg, msg_len,
         mac, &mac_len);
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[QF_SIGN_HEX_LEN] = '\0';
}

qf_rc qf_sign_base64url(const unsigned char *data, size_t len, char *out, size_t size, qf_err *err)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t need = len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
    if (need + 1 > size) {
        if (size > 0)
            out[0] = '\0';
        return qf_err_set(err, QF_ERANGE, "base64url: %zu bytes need %zu characters", len, need);
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned long v = (unsigned long)data[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (unsigned long)data[i + 1] << 8;
        if (n > 2)
            v |= data[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (n > 1)
            out[o++] = alphabet[(v >> 6) & 63];
        if (n > 2)
            out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
    return QF_OK;
}

/* ---- keys ---------------------------------------------------------------- */

/* A passphrase callback that refuses: an encrypted key is an error, never a
 * prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* Copy of s with literal "\n" escapes turned into newlines and surrounding
 * white space trimmed; NULL on OOM. Free with free_secret. */
static char *unescape_key(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == 'n') {
            out[o++] = '\n';
            i++;
        } else {
            out[o++] = s[i];
        }
    }
    size_t b = 0;
    while (b < o && isspace((unsigned char)out[b]))
        b++;
    while (o > b && isspace((unsigned char)out[o - 1]))
        o--;
    memmove(out, out + b, o - b);
    out[o - b] = '\0';
    *out_len = o - b;
    return out;
}

static void free_secret(char *s, size_t len)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, len);
        free(s);
    }
}

static qf_rc check_pem_key(EVP_PKEY *pkey, qf_sign_key_kind *kind, qf_err *err)
{
    int id = EVP_PKEY_get_base_id(pkey);
    if (id == EVP_PKEY_ED25519) {
        *kind = QF_SIGN_KEY_EDDSA;
        return QF_OK;
    }
    if (id != EVP_PKEY_EC)
        return qf_err_set(err, QF_EINVAL,
                          "coinbase key: unsupported key type %s (expected EC P-256 or Ed25519)",
                          OBJ_nid2sn(id));
    char group[64] = "";
    size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &glen) != 1 ||
        strcmp(group, "prime256v1") != 0)
        return qf_err_set(err, QF_EINVAL,
                          "coinbase key: EC key on curve %s, ES256 needs P-256 (prime256v1)",
                          group[0] != '\0' ? group : "(unknown)");
    *kind = QF_SIGN_KEY_ES256;
    return QF_OK;
}

static qf_rc load_pem(const char *pem, size_t len, EVP_PKEY **out, qf_sign_key_kind *kind,
                      qf_err *err)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase key: out of memory");
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (pkey == NULL)
        return qf_err_set(err, QF_EINVAL,
                          "coinbase key: the PEM block is not a readable unencrypted private key");
    qf_rc rc = check_pem_key(pkey, kind, err);
    if (rc != QF_OK) {
        EVP_PKEY_free(pkey);
        return rc;
    }
    *out = pkey;
    return QF_OK;
}

/* Ed25519 as Coinbase hands it out: base64(seed || public key), or the bare
 * 32-byte seed. */
static qf_rc load_ed25519_b64(const char *b64, size_t len, EVP_PKEY **out, qf_err *err)
{
    if (len == 0 || len > 128 || len % 4 != 0)
        return qf_err_set(err, QF_EINVAL,
                          "coinbase key: neither a PEM block nor the base64 of an Ed25519 key "
                          "(%zu characters)",
                          len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)b64[i];
        if (!isalnum(c) && c != '+' && c != '/' && !(c == '=' && i + 2 >= len))
            return qf_err_set(err, QF_EINVAL,
                              "coinbase key: neither a PEM block nor base64 (character %zu)", i);
    }
    unsigned char raw[100];
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    if (n > 0 && b64[len - 1] == '=')
        n -= b64[len - 2] == '=' ? 2 : 1;
    qf_rc rc = QF_OK;
    if (n != 32 && n != 64) {
        rc = qf_err_set(err, QF_EINVAL,
                        "coinbase key: a base64 key must hold an Ed25519 seed (32 bytes) or "
                        "seed and public key (64), got %d bytes",
                        n < 0 ? 0 : n);
        goto done;
    }
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32);
    if (pkey == NULL) {
        rc = qf_err_set(err, QF_EINVAL, "coinbase key: not a usable Ed25519 seed");
        goto done;
    }
    if (n == 64) {
        unsigned char pub[32];
        size_t pub_len = sizeof pub;
        if (EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len) != 1 || pub_len != 32 ||
            memcmp(pub, raw + 32, 32) != 0) {
            EVP_PKEY_free(pkey);
            rc = qf_err_set(err, QF_EINVAL,
                            "coinbase key: the Ed25519 public half does not match its seed");
            goto done;
        }
    }
    *out = pkey;
done:
    OPENSSL_cleanse(raw, sizeof raw);
    return rc;
}

static qf_rc load_key(const char *private_key, EVP_PKEY **out, qf_sign_key_kind *kind, qf_err *err)
{
    if (private_key == NULL || private_key[0] == '\0')
        return qf_err_set(err, QF_EINVAL, "coinbase key: no private key (api_secret is empty)");
    size_t len = 0;
    char *key = unescape_key(private_key, &len);
    if (key == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase key: out of memory");
    qf_rc rc;
    if (strncmp(key, "-----BEGIN", 10) == 0) {
        rc = load_pem(key, len, out, kind, err);
    } else {
        rc = load_ed25519_b64(key, len, out, err);
        if (rc == QF_OK)
            *kind = QF_SIGN_KEY_EDDSA;
    }
    free_secret(key, len);
    return rc;
}

qf_rc qf_sign_key_kind_of(const char *private_key, qf_sign_key_kind *out, qf_err *err)
{
    EVP_PKEY *pkey = NULL;
    qf_sign_key_kind kind = QF_SIGN_KEY_ES256;
    qf_rc rc = load_key(private_key, &pkey, &kind, err);
    if (rc != QF_OK)
        return rc;
    EVP_PKEY_free(pkey);
    *out = kind;
    return QF_OK;
}

/* ---- JWT ----------------------------------------------------------------- */

/* Raw signature of msg: R || S (64 bytes) for ES256, 64 bytes for EdDSA. */
static qf_rc sign_raw(EVP_PKEY *pkey, qf_sign_key_kind kind, const char *msg, size_t len,
                      unsigned char raw[64], qf_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[128];
    size_t der_len = sizeof der;
    int ok = 0;
    if (ctx == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase jwt: out of memory");
    const EVP_MD *md = kind == QF_SIGN_KEY_ES256 ? EVP_sha256() : NULL;
    if (EVP_DigestSignInit(ctx, NULL, md, NULL, pkey) != 1 ||
        EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)msg, len) != 1)
        goto done;
    if (kind == QF_SIGN_KEY_EDDSA) {
        if (der_len != 64)
            goto done;
        memcpy(raw, der, 64);
        ok = 1;
        goto done;
    }
    /* OpenSSL returns ECDSA-Sig-Value (DER); JWS wants the two integers
     * left-padded to 32 bytes each (RFC 7518 section 3.4). */
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (sig == NULL)
        goto done;
    const BIGNUM *r = NULL;
    const BIGNUM *s = NULL;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
done:
    EVP_MD_CTX_free(ctx);
    return ok ? QF_OK : qf_err_set(err, QF_EINVAL, "coinbase jwt: signing failed");
}

/* base64url(compact JSON of obj) appended at out + *o; steals obj. */
static qf_rc put_json_part(json_t *obj, char *out, size_t size, size_t *o, qf_err *err)
{
    if (obj == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase jwt: out of memory");
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (text == NULL)
        return qf_err_set(err, QF_ENOMEM, "coinbase jwt: out of memory");
    qf_rc rc =
        qf_sign_base64url((const unsigned char *)text, strlen(text), out + *o, size - *o, err);
    free(text);
    if (rc != QF_OK)
        return qf_err_set(err, QF_ERANGE, "coinbase jwt: the token does not fit in %zu bytes",
                          size);
    *o += strlen(out + *o);
    return QF_OK;
}

static qf_rc build_jwt(EVP_PKEY *pkey, qf_sign_key_kind kind, const char *key_name, const char *uri,
                       int64_t now_s, char *out, size_t size, qf_err *err)
{
    unsigned char nonce_raw[16];
    char nonce[33];
    if (RAND_bytes(nonce_raw, sizeof nonce_raw) != 1)
        return qf_err_set(err, QF_EINVAL, "coinbase jwt: no random bytes for the nonce");
    for (size_t i = 0; i < sizeof nonce_raw; i++)
        snprintf(nonce + 2 * i, 3, "%02x", nonce_raw[i]);
    const char *alg = kind == QF_SIGN_KEY_ES256 ? "ES256" : "EdDSA";
    size_t o = 0;
    qf_rc rc = put_json_part(
        json_pack("{s:s,s:s,s:s,s:s}", "alg", alg, "kid", key_name, "nonce", nonce, "typ", "JWT"),
        out, size, &o, err);
    if (rc != QF_OK)
        return rc;
    if (o + 1 >= size)
        return qf_err_set(err, QF_ERANGE, "coinbase jwt: the token does not fit in %zu bytes",
                          size);
    out[o++] = '.';
    rc = put_json_part(json_pack("{s:s,s:s,s:I,s:I,s:s}", "iss", "cdp", "sub", key_name, "nbf",
                                 (json_int_t)now_s, "exp", (json_int_t)(now_s + 120), "uri", uri),
                       out, size, &o, err);
    if (rc != QF_OK)
        return rc;
    unsigned char raw[64];
    rc = sign_raw(pkey, kind, out, o, raw, err);
    if (rc != QF_OK)
        return rc;
    if (o + 1 >= size)
        return qf_err_set(err, QF_ERANGE, "coinbase jwt: the token does not fit in %zu bytes",
                          size);
    out[o++] = '.';
    rc = qf_sign_base64url(raw, sizeof raw, out + o, size - o, err);
    if (rc != QF_OK)
        return qf_err_set(err, QF_ERANGE, "coinbase jwt: the token does not fit in %zu bytes",
                          size);
    return QF_OK;
}

qf_rc qf_sign_jwt(const char *key_name, const char *private_key, const char *uri, int64_t now_s,
                  char *out, size_t size, qf_err *err)
{
    if (out == NULL || size == 0)
        return qf_err_set(err, QF_EINVAL, "coinbase jwt: no output buffer");
    out[0] = '\0';
    if (key_name == NULL || key_name[0] == '\0')
        return qf_err_set(err, QF_EINVAL, "coinbase jwt: no key name (api_key is empty)");
    if (uri == NULL || strchr(uri, ' ') == NULL || strchr(uri, '?') != NULL ||
        strstr(uri, "://") != NULL)
        return qf_err_set(err, QF_EINVAL,
                          "coinbase jwt: uri must be \"METHOD host/path\" without scheme or query");
    EVP_PKEY *pkey = NULL;
    qf_sign_key_kind kind = QF_SIGN_KEY_ES256;
    qf_rc rc = load_key(private_key, &pkey, &kind, err);
    if (rc != QF_OK)
        return rc;
    rc = build_jwt(pkey, kind, key_name, uri, now_s, out, size, err);
    EVP_PKEY_free(pkey);
    if (rc != QF_OK)
        out[0] = '\0';
    return rc;
}
