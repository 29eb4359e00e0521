/*
 * sign.h - request signatures of the venues (PROTOCOLS.md sections 1 and 2):
 * Binance's hex HMAC-SHA256 over the query string and body as sent, and
 * Coinbase Advanced Trade's per-request JWT (ES256 with an EC P-256 key, or
 * EdDSA with an Ed25519 key), all through OpenSSL's libcrypto.
 *
 * Pure functions: no I/O, no logging. Key material is wiped from every
 * buffer this module fills, and no error message ever quotes a key, a
 * secret or a token.
 */
#ifndef QF_MARKET_SIGN_H
#define QF_MARKET_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define QF_SIGN_HEX_LEN 64   /* hex HMAC-SHA256, NUL not included */
#define QF_SIGN_JWT_MAX 1024 /* room for a Coinbase JWT with a long key name */

/* hex(HMAC-SHA256(key, msg)) in lower case into out (QF_SIGN_HEX_LEN + 1
 * bytes). Cannot fail for valid pointers. */
void qf_sign_hmac_sha256_hex(const char *key, size_t key_len, const char *msg, size_t msg_len,
                             char out[QF_SIGN_HEX_LEN + 1]);

/* Base64url without padding (RFC 7515 section 2) of len bytes into out;
 * QF_ERANGE when out (size bytes, NUL included) is too small. */
QF_NODISCARD qf_rc qf_sign_base64url(const unsigned char *data, size_t len, char *out, size_t size,
                                     qf_err *err);

/* The kind of a Coinbase private key, as qf_sign_jwt reads it. */
typedef enum { QF_SIGN_KEY_ES256 = 1, QF_SIGN_KEY_EDDSA = 2 } qf_sign_key_kind;

/* Reads a Coinbase CDP private key: a PEM block ("EC PRIVATE KEY" or
 * "PRIVATE KEY", P-256 or Ed25519; literal "\n" escapes as in the key file's
 * JSON are accepted) or the base64 of an Ed25519 seed (32 bytes) or
 * seed || public key (64 bytes, the public half must match). QF_EINVAL with
 * a message naming what is wrong (never quoting the key) otherwise. */
QF_NODISCARD qf_rc qf_sign_key_kind_of(const char *private_key, qf_sign_key_kind *out, qf_err *err);

/* A fresh Coinbase JWT into out (size bytes; QF_SIGN_JWT_MAX is enough for
 * key names up to ~300 characters):
 *   header {"alg":"ES256"|"EdDSA","kid":key_name,"nonce":<32 random hex>,"typ":"JWT"}
 *   claims {"iss":"cdp","sub":key_name,"nbf":now_s,"exp":now_s+120,"uri":uri}
 * uri is "METHOD host/path" (no scheme, no query). ES256 signatures are the
 * raw R || S (64 bytes), not OpenSSL's DER. QF_EINVAL for a bad key or
 * argument, QF_ERANGE when out is too small, QF_ENOMEM; out is then empty. */
QF_NODISCARD qf_rc qf_sign_jwt(const char *key_name, const char *private_key, const char *uri,
                               int64_t now_s, char *out, size_t size, qf_err *err);

#endif
