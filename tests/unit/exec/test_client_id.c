/* Tests of the deterministic client order ids (src/exec/client_id.c). The
 * expected hashes come from `printf 'BTC/USDT|1718000000000|buy' | sha256sum`. */
#include <criterion/criterion.h>
#include <string.h>

#include "exec/client_id.h"

static void make(const char *sym, int64_t t, qf_side side, int attempt, char *out)
{
    qf_err err;
    cr_assert_eq(qf_client_id_make(sym, t, side, attempt, out, QF_ORDER_ID_MAX, &err), QF_OK, "%s",
                 err.msg);
}

Test(client_id, matches_sha256_of_the_signal)
{
    char id[QF_ORDER_ID_MAX];
    make("BTC/USDT", 1718000000000LL, QF_SIDE_BUY, 1, id);
    cr_assert_str_eq(id, "qf-ff3dc6b7ad4f34b1-1");
    make("BTC/USDT", 1718000000000LL, QF_SIDE_SELL, 1, id);
    cr_assert_str_eq(id, "qf-e1debd61c8b14d85-1");
    make("ETH/USDT", 1718000000000LL, QF_SIDE_BUY, 12, id);
    cr_assert_str_eq(id, "qf-0240e4e708dc67a1-12");
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
    cr_assert_eq(qf_client_id_make("", 1, QF_SIDE_BUY, 1, id, sizeof id, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_make("BTC/USDT", 1, (qf_side)0, 1, id, sizeof id, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_make("BTC/USDT", 1, QF_SIDE_BUY, 0, id, sizeof id, &err), QF_EINVAL);
    cr_assert_eq(qf_client_id_make("BTC/USDT", 1, QF_SIDE_BUY, 10000, id, sizeof id, &err),
                 QF_EINVAL);
    cr_assert_eq(qf_client_id_make("BTC/USDT", 1, QF_SIDE_BUY, 1, id, 21, &err), QF_ERANGE);
    cr_assert_str_eq(id, "keep");
    cr_assert_eq(qf_client_id_make("BTC/USDT", 1, QF_SIDE_BUY, 1, id, 22, &err), QF_OK);

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
