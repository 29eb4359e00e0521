/* Tests of the deterministic client order ids (src/exec/client_id.c). The
 * expected hashes come from
 * `printf 'live|binance|BTC/USDT|1718000000000|buy' | sha256sum`. */
#include <criterion/criterion.h>
#include <string.h>

#include "exec/client_id.h"

static void make_at(const char *account, const char *exchange, const char *sym, int64_t t,
                    qf_side side, int attempt, char *out)
{
    qf_err err;
    cr_assert_eq(
        qf_client_id_make(account, exchange, sym, t, side, attempt, out, QF_ORDER_ID_MAX, &err),
        QF_OK, "%s", err.msg);
}

static void make(const char *sym, int64_t t, qf_side side, int attempt, char *out)
{
    make_at("live", "binance", sym, t, side, attempt, out);
}

Test(client_id, matches_sha256_of_the_signal)
{
    char id[QF_ORDER_ID_MAX];
    make("BTC/USDT", 1718000000000LL, QF_SIDE_BUY, 1, id);
    cr_assert_str_eq(id, "qf-f15b9cc11da9548e-1");
    make("BTC/USDT", 1718000000000LL, QF_SIDE_SELL, 1, id);
    cr_assert_str_eq(id, "qf-09a107e7ea3c035a-1");
    make("ETH/USDT", 1718000000000LL, QF_SIDE_BUY, 12, id);
    cr_assert_str_eq(id, "qf-0a3ecc59112b2f42-12");
    /* The account and the exchange are part of the key. */
    make_at("paper", "binance", "BTC/USDT", 1718000000000LL, QF_SIDE_BUY, 1, id);
    cr_assert_str_eq(id, "qf-5b2386b8695877c4-1");
    make_at("live", "coinbase", "BTC/USDT", 1718000000000LL, QF_SIDE_BUY, 1, id);
    cr_assert_str_eq(id, "qf-e76573821ce05aae-1");
}

Test(client_id, deterministic_and_distinct)
{
    char a[QF_ORDER_ID_MAX], b[QF_ORDER_ID_MAX];
    make("BTC/USDT", 1718000000000LL, QF_SIDE_BUY, 1, a);
    make("BTC/USDT", 1718000000000LL, QF_SIDE_BUY, 1, b);
    cr_assert_str_eq(a, b);
    make("BTC/USDT", 1718000000000LL + 3600000, QF_SIDE_BUY, 1, b);
    cr_assert_str_neq(a, b, "another bar is another signal");
    make("BTC/USDT", 1718000000000LL, QF_SIDE_BUY, 2, b);
    cr_assert_str_neq(a, b);
    cr_assert_eq(strncmp(a, b, QF_CLIENT_ID_BASE_SIZE - 1), 0, "attempts share the base");
}

Test(client_id, valid_for_binance_and_parses_back)
{
    char id[QF_ORDER_ID_MAX], base[QF_CLIENT_ID_BASE_SIZE];
    qf_err err;
    make("VERYLONGBASE/USDT", -1, QF_SIDE_SELL, 9999, id);
    cr_assert(strlen(id) <= 36, "%s", id);
    cr_assert(qf_client_id_valid(id), "%s", id);
    int attempt = 0;
    cr_assert_eq(qf_client_id_parse(id, base, sizeof base, &attempt, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(attempt, 9999);
    cr_assert_eq(strlen(base), QF_CLIENT_ID_BASE_SIZE - 1);
    cr_assert_eq(strncmp(id, base, strlen(base)), 0);
}

Test(client_id, refuses_bad_input)
{
    char id[QF_ORDER_ID_MAX] = "keep";
    qf_err err;
#define MAKE(acc, ex, sym, side, attempt, size)                                                    \
    qf_client_id_make(acc, ex, sym, 1, side, attempt, id, size, &err)
    cr_assert_eq(MAKE("live", "binance", "", QF_SIDE_BUY, 1, sizeof id), QF_EINVAL);
    cr_assert_eq(MAKE("", "binance", "BTC/USDT", QF_SIDE_BUY, 1, sizeof id), QF_EINVAL);
    cr_assert_eq(MAKE("live", "", "BTC/USDT", QF_SIDE_BUY, 1, sizeof id), QF_EINVAL);
    cr_assert_eq(MAKE(NULL, "binance", "BTC/USDT", QF_SIDE_BUY, 1, sizeof id), QF_EINVAL);
    /* '|' separates the parts: "a|b" + "c" must not equal "a" + "b|c". */
    cr_assert_eq(MAKE("live|x", "binance", "BTC/USDT", QF_SIDE_BUY, 1, sizeof id), QF_EINVAL);
    cr_assert_eq(MAKE("live", "binance", "BTC/USDT", (qf_side)0, 1, sizeof id), QF_EINVAL);
    cr_assert_eq(MAKE("live", "binance", "BTC/USDT", QF_SIDE_BUY, 0, sizeof id), QF_EINVAL);
    cr_assert_eq(MAKE("live", "binance", "BTC/USDT", QF_SIDE_BUY, 10000, sizeof id), QF_EINVAL);
    cr_assert_eq(MAKE("live", "binance", "BTC/USDT", QF_SIDE_BUY, 1, 21), QF_ERANGE);
    cr_assert_str_eq(id, "keep");
    cr_assert_eq(MAKE("live", "binance", "BTC/USDT", QF_SIDE_BUY, 1, 22), QF_OK);
#undef MAKE

    int a;
    cr_assert_eq(qf_client_id_parse("qf-ff3dc6b7ad4f34b1-0", NULL, 0, &a, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_parse("qf-ff3dc6b7ad4f34b1-", NULL, 0, &a, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_parse("qf-ff3dc6b7ad4f34bX-1", NULL, 0, &a, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_parse("xx-ff3dc6b7ad4f34b1-1", NULL, 0, &a, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_parse("qf-ff3dc6b7ad4f34b1-1x", NULL, 0, &a, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_parse("qf-ff3dc6b7ad4f34b1-12345", NULL, 0, &a, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_parse(NULL, NULL, 0, &a, &err), QF_EINVAL);

    cr_assert(!qf_client_id_valid(""));
    cr_assert(!qf_client_id_valid("has space"));
    cr_assert(!qf_client_id_valid("a/b"));
    cr_assert(!qf_client_id_valid("0123456789012345678901234567890123456"));
    cr_assert(qf_client_id_valid("012345678901234567890123456789012345"));
    cr_assert(qf_client_id_valid("A_z-9"));
}
