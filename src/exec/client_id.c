/* client_id.c - deterministic client order ids (client_id.h). */
#include "exec/client_id.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define ID_MAX_LEN 36

static qf_rc hash_signal(const char *account, const char *exchange, const char *symbol,
                         int64_t bar_time, qf_side side, char out[QF_CLIENT_ID_HASH_HEX + 1],
                         qf_err *err)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg, "%s|%s|%s|%" PRId64 "|%s", account, exchange, symbol,
                     bar_time, side == QF_SIDE_BUY ? "buy" : "sell");
    if (n < 0 || (size_t)n >= sizeof msg)
        return qf_err_set(err, QF_EINVAL, "client id: account, exchange or symbol too long");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!EVP_Digest(msg, (size_t)n, md, &md_len, EVP_sha256(), NULL))
        return qf_err_set(err, QF_ENOMEM, "client id: SHA-256 failed");
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < QF_CLIENT_ID_HASH_HEX / 2; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[QF_CLIENT_ID_HASH_HEX] = '\0';
    return QF_OK;
}

/* A non-empty part of the key without the separator. */
static bool key_part_ok(const char *s)
{
    return s && s[0] && !strchr(s, '|');
}

qf_rc qf_client_id_make(const char *account, const char *exchange, const char *symbol,
                        int64_t bar_time, qf_side side, int attempt, char *out, size_t size,
                        qf_err *err)
{
    if (!key_part_ok(account) || !key_part_ok(exchange))
        return qf_err_set(err, QF_EINVAL, "client id: account and exchange must be named (no '|')");
    if (!key_part_ok(symbol))
        return qf_err_set(err, QF_EINVAL, "client id: empty symbol (or one with '|')");
    if (side != QF_SIDE_BUY && side != QF_SIDE_SELL)
        return qf_err_set(err, QF_EINVAL, "client id: side must be buy or sell");
    if (attempt < 1 || attempt > QF_CLIENT_ID_MAX_ATTEMPT)
        return qf_err_set(err, QF_EINVAL, "client id: attempt %d outside 1..%d", attempt,
                          QF_CLIENT_ID_MAX_ATTEMPT);
    char h[QF_CLIENT_ID_HASH_HEX + 1];
    qf_rc rc = hash_signal(account, exchange, symbol, bar_time, side, h, err);
    if (rc != QF_OK)
        return rc;
    char id[ID_MAX_LEN + 1];
    int n = snprintf(id, sizeof id, "qf-%s-%d", h, attempt);
    if (!out || n < 0 || (size_t)n >= size)
        return qf_err_set(err, QF_ERANGE, "client id: %d characters do not fit in %zu", n,
                          out ? size : 0);
    memcpy(out, id, (size_t)n + 1);
    return QF_OK;
}

qf_rc qf_client_id_parse(const char *id, char *out_base, size_t base_size, int *out_attempt,
                         qf_err *err)
{
    size_t base_len = QF_CLIENT_ID_BASE_SIZE - 1;
    if (!id || strncmp(id, "qf-", 3) != 0 || strlen(id) <= base_len || id[base_len - 1] != '-')
        return qf_err_set(err, QF_EINVAL, "client id: not a QuantFlow id");
    for (size_t i = 3; i < base_len - 1; i++)
        if (!strchr("0123456789abcdef", id[i]))
            return qf_err_set(err, QF_EINVAL, "client id: not a QuantFlow id");
    int attempt = 0;
    for (const char *p = id + base_len; *p; p++) {
        if (*p < '0' || *p > '9' || attempt > QF_CLIENT_ID_MAX_ATTEMPT)
            return qf_err_set(err, QF_EINVAL, "client id: bad attempt number");
        attempt = attempt * 10 + (*p - '0');
    }
    if (attempt < 1 || attempt > QF_CLIENT_ID_MAX_ATTEMPT || id[base_len] == '0')
        return qf_err_set(err, QF_EINVAL, "client id: bad attempt number");
    if (out_base) {
        if (base_size <= base_len)
            return qf_err_set(err, QF_ERANGE, "client id: base buffer too small");
        memcpy(out_base, id, base_len);
        out_base[base_len] = '\0';
    }
    if (out_attempt)
        *out_attempt = attempt;
    return QF_OK;
}

bool qf_client_id_valid(const char *id)
{
    if (!id)
        return false;
    size_t n = strlen(id);
    if (n < 1 || n > ID_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}
