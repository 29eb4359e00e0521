/* symbol.c - canonical "BASE/QUOTE" symbols and their exchange spellings. */
#include "core/symbol.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Known quote assets, longest first so "FDUSD" wins over "USD". */
static const char *const quotes[] = {"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "DAI", "BTC",
                                     "ETH",   "BNB",  "EUR",  "USD",  "TRY",  "GBP"};

static int asset_ok(const char *s, size_t n)
{
    if (n < 1 || n > 10)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

qf_rc qf_symbol_validate(const char *symbol, qf_err *err)
{
    const char *slash = symbol ? strchr(symbol, '/') : NULL;
    if (slash == NULL || !asset_ok(symbol, (size_t)(slash - symbol)) ||
        !asset_ok(slash + 1, strlen(slash + 1)))
        return qf_err_set(err, QF_EINVAL,
                          "invalid symbol '%.32s' (expected BASE/QUOTE, e.g. BTC/USDT)",
                          symbol ? symbol : "");
    return QF_OK;
}

qf_rc qf_symbol_from_concat(const char *concat, char *out, size_t size, qf_err *err)
{
    char up[32];
    if (concat == NULL)
        return qf_err_set(err, QF_EINVAL, "symbol missing");
    size_t n = strlen(concat);
    if (n == 0 || n >= sizeof up)
        return qf_err_set(err, QF_EINVAL, "invalid symbol '%.32s'", concat);
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)concat[i]);
    size_t best = 0;
    for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
        size_t q = strlen(quotes[i]);
        /* A name that is a quote asset by itself ("FDUSD", "BUSD") is not a pair,
         * even though it ends in a shorter quote ("USD"). */
        if (q == n && strcmp(up, quotes[i]) == 0)
            return qf_err_set(err, QF_EINVAL, "'%.32s' is a quote asset, not a pair", concat);
        if (q < n && q > best && strcmp(up + n - q, quotes[i]) == 0)
            best = q;
    }
    if (best == 0 || !asset_ok(up, n - best))
        return qf_err_set(err, QF_EINVAL, "cannot tell base and quote apart in '%.32s'", concat);
    if ((size_t)snprintf(out, size, "%.*s/%s", (int)(n - best), up, up + n - best) >= size)
        return qf_err_set(err, QF_EINVAL, "symbol '%.32s' too long", concat);
    return QF_OK;
}

static qf_rc join(const char *symbol, const char *sep, char *out, size_t size, qf_err *err)
{
    qf_rc rc = qf_symbol_validate(symbol, err);
    if (rc != QF_OK)
        return rc;
    const char *slash = strchr(symbol, '/');
    if ((size_t)snprintf(out, size, "%.*s%s%s", (int)(slash - symbol), symbol, sep, slash + 1) >=
        size)
        return qf_err_set(err, QF_EINVAL, "symbol '%.32s' too long", symbol);
    return QF_OK;
}

qf_rc qf_symbol_to_binance(const char *symbol, char *out, size_t size, qf_err *err)
{
    return join(symbol, "", out, size, err);
}

qf_rc qf_symbol_to_coinbase(const char *symbol, char *out, size_t size, qf_err *err)
{
    return join(symbol, "-", out, size, err);
}
