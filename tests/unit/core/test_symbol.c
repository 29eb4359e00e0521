/*
 * test_symbol.c - canonical BASE/QUOTE symbols and their exchange spellings.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "core/symbol.h"
#include "core/types.h"

static void concat_is(const char *in, const char *want)
{
    char out[QF_SYMBOL_MAX];
    memset(out, 'X', sizeof out);
    qf_err err;
    qf_err_clear(&err);
    qf_rc rc = qf_symbol_from_concat(in, out, sizeof out, &err);
    cr_assert_eq(rc, QF_OK, "'%s': %s", in, err.msg);
    cr_assert_str_eq(out, want, "from_concat('%s')", in);
    cr_assert_eq(qf_symbol_validate(out, NULL), QF_OK, "result '%s' is not canonical", out);
}

static void concat_fails(const char *in)
{
    char out[QF_SYMBOL_MAX];
    strcpy(out, "untouched");
    qf_err err;
    qf_err_clear(&err);
    cr_assert_eq(qf_symbol_from_concat(in, out, sizeof out, &err), QF_EINVAL, "'%s' accepted as %s",
                 in ? in : "(null)", out);
    cr_assert_eq(err.code, QF_EINVAL);
    cr_assert_neq(err.msg[0], '\0');
    cr_assert_eq(qf_symbol_from_concat(in, out, sizeof out, NULL), QF_EINVAL);
}

static void valid(const char *s)
{
    qf_err err;
    qf_err_clear(&err);
    cr_assert_eq(qf_symbol_validate(s, &err), QF_OK, "'%s': %s", s, err.msg);
}

static void invalid(const char *s)
{
    qf_err err;
    qf_err_clear(&err);
    cr_assert_eq(qf_symbol_validate(s, &err), QF_EINVAL, "'%s' accepted", s ? s : "(null)");
    cr_assert_eq(err.code, QF_EINVAL);
    cr_assert_not_null(strstr(err.msg, "BASE/QUOTE"), "%s", err.msg);
    cr_assert_eq(qf_symbol_validate(s, NULL), QF_EINVAL);
}

/* ---- from_concat ------------------------------------------------------- */

Test(symbol_concat, common_pairs)
{
    concat_is("BTCUSDT", "BTC/USDT");
    concat_is("ETHUSDT", "ETH/USDT");
    concat_is("SOLUSDT", "SOL/USDT");
    concat_is("AVAXUSDT", "AVAX/USDT");
    concat_is("ETHBTC", "ETH/BTC");
    concat_is("BNBETH", "BNB/ETH");
    concat_is("BTCEUR", "BTC/EUR");
    concat_is("BTCUSDC", "BTC/USDC");
    concat_is("BTCBUSD", "BTC/BUSD");
    concat_is("BTCTUSD", "BTC/TUSD");
    concat_is("ETHDAI", "ETH/DAI");
    concat_is("BTCTRY", "BTC/TRY");
    concat_is("BTCGBP", "BTC/GBP");
    concat_is("SOLBNB", "SOL/BNB");
    concat_is("1INCHUSDT", "1INCH/USDT");
    concat_is("X2Y2USDT", "X2Y2/USDT");
}

Test(symbol_concat, case_insensitive_in_upper_case_out)
{
    concat_is("ethusdt", "ETH/USDT");
    concat_is("EthUsdt", "ETH/USDT");
    concat_is("btcfdusd", "BTC/FDUSD");
}

Test(symbol_concat, longest_quote_wins)
{
    /* FDUSD, BUSD and TUSD all end in USD; USDT/USDC must not lose to nothing. */
    concat_is("BTCFDUSD", "BTC/FDUSD");
    concat_is("BTCUSD", "BTC/USD");
    concat_is("ETHBUSD", "ETH/BUSD");
    concat_is("ETHTUSD", "ETH/TUSD");
    /* Bases that are themselves quote assets. */
    concat_is("USDCUSDT", "USDC/USDT");
    concat_is("TUSDUSDT", "TUSD/USDT");
    concat_is("BTCUSDT", "BTC/USDT");
    concat_is("WBTCBTC", "WBTC/BTC");
    concat_is("FDUSDUSDT", "FDUSD/USDT");
    concat_is("EURUSDT", "EUR/USDT");
}

Test(symbol_concat, base_length_limits)
{
    concat_is("AUSDT", "A/USDT");
    concat_is("ABCDEFGHIJUSDT", "ABCDEFGHIJ/USDT"); /* 10-character base */
    concat_fails("ABCDEFGHIJKUSDT");                /* 11 */
}

Test(symbol_concat, only_a_quote_is_rejected)
{
    concat_fails("USDT");
    concat_fails("usdt");
    concat_fails("BTC");
    concat_fails("USD");
    /* These end in another quote ("USD") but are quote assets on their own. */
    concat_fails("FDUSD");
    concat_fails("BUSD");
    concat_fails("TUSD");
}

Test(symbol_concat, malformed_rejected)
{
    concat_fails(NULL);
    concat_fails("");
    concat_fails("BTC");
    concat_fails("BTCXYZ");
    concat_fails("BTC/USDT");
    concat_fails("BTC-USDT");
    concat_fails("BTC_USDT");
    concat_fails(" BTCUSDT");
    concat_fails("BTC USDT");
    concat_fails("BTCUSDT ");
    concat_fails("BTC\xc3\xa9USDT");
    concat_fails("BTCUSDTX");
    /* Longer than any symbol could be. */
    concat_fails("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUSDT");
    char big[4096];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big + sizeof big - 5, "USDT", 4);
    concat_fails(big);
}

Test(symbol_concat, small_output_buffers)
{
    char out[9]; /* "BTC/USDT" needs 9 */
    qf_err err;
    cr_assert_eq(qf_symbol_from_concat("BTCUSDT", out, sizeof out, &err), QF_OK);
    cr_assert_str_eq(out, "BTC/USDT");
    for (size_t size = 0; size < sizeof out; size++) {
        memset(out, 'X', sizeof out);
        qf_err_clear(&err);
        cr_assert_eq(qf_symbol_from_concat("BTCUSDT", out, size, &err), QF_EINVAL, "size %zu",
                     size);
        cr_assert_eq(err.code, QF_EINVAL);
        for (size_t i = size; i < sizeof out; i++)
            cr_assert_eq(out[i], 'X', "wrote past size %zu", size);
        if (size > 0)
            cr_assert_lt(strnlen(out, size), size, "not terminated at size %zu", size);
    }
}

/* ---- validate ---------------------------------------------------------- */

Test(symbol_validate, accepts_canonical)
{
    valid("BTC/USDT");
    valid("ETH/BTC");
    valid("AVAX/USDT");
    valid("1INCH/USDT");
    valid("A/B");
    valid("ABCDEFGHIJ/ABCDEFGHIJ");
}

Test(symbol_validate, rejects_everything_else)
{
    invalid(NULL);
    invalid("");
    invalid("BTCUSDT");
    invalid("BTC/");
    invalid("/USDT");
    invalid("/");
    invalid("btc/usdt");
    invalid("BTC/usdt");
    invalid("Btc/USDT");
    invalid("BTC-USDT");
    invalid("BTC/USDT/X");
    invalid("BTC//USDT");
    invalid(" BTC/USDT");
    invalid("BTC/USDT ");
    invalid("BTC /USDT");
    invalid("BTC/US DT");
    invalid("BTC/USDT\n");
    invalid("ABCDEFGHIJK/USDT");
    invalid("BTC/ABCDEFGHIJK");
    invalid("BT\xc3\x87/USDT");
}

/* ---- exchange spellings ------------------------------------------------ */

Test(symbol_exchange, binance_and_coinbase)
{
    static const struct {
        const char *sym, *binance, *coinbase;
    } cases[] = {
        {"BTC/USDT", "BTCUSDT", "BTC-USDT"},    {"BTC/USD", "BTCUSD", "BTC-USD"},
        {"ETH/BTC", "ETHBTC", "ETH-BTC"},       {"AVAX/USDT", "AVAXUSDT", "AVAX-USDT"},
        {"BTC/FDUSD", "BTCFDUSD", "BTC-FDUSD"}, {"1INCH/EUR", "1INCHEUR", "1INCH-EUR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[QF_SYMBOL_MAX];
        qf_err err;
        cr_assert_eq(qf_symbol_to_binance(cases[i].sym, out, sizeof out, &err), QF_OK);
        cr_assert_str_eq(out, cases[i].binance);
        /* Binance spelling goes back to the canonical one. */
        char back[QF_SYMBOL_MAX];
        cr_assert_eq(qf_symbol_from_concat(out, back, sizeof back, &err), QF_OK);
        cr_assert_str_eq(back, cases[i].sym);
        cr_assert_eq(qf_symbol_to_coinbase(cases[i].sym, out, sizeof out, &err), QF_OK);
        cr_assert_str_eq(out, cases[i].coinbase);
    }
}

Test(symbol_exchange, invalid_symbols_rejected)
{
    const char *bad[] = {NULL, "", "BTCUSDT", "btc/usdt", "BTC/", "/USDT", "BTC-USDT"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[QF_SYMBOL_MAX];
        strcpy(out, "untouched");
        qf_err err;
        qf_err_clear(&err);
        cr_assert_eq(qf_symbol_to_binance(bad[i], out, sizeof out, &err), QF_EINVAL);
        cr_assert_eq(err.code, QF_EINVAL);
        cr_assert_eq(qf_symbol_to_coinbase(bad[i], out, sizeof out, NULL), QF_EINVAL);
        cr_assert_str_eq(out, "untouched");
    }
}

Test(symbol_exchange, small_output_buffers)
{
    char out[16];
    qf_err err;
    /* "BTCUSDT" needs 8 bytes, "BTC-USDT" 9. */
    cr_assert_eq(qf_symbol_to_binance("BTC/USDT", out, 8, &err), QF_OK);
    cr_assert_str_eq(out, "BTCUSDT");
    cr_assert_eq(qf_symbol_to_coinbase("BTC/USDT", out, 9, &err), QF_OK);
    cr_assert_str_eq(out, "BTC-USDT");
    for (size_t size = 0; size < 9; size++) {
        memset(out, 'X', sizeof out);
        qf_err_clear(&err);
        qf_rc want = size >= 8 ? QF_OK : QF_EINVAL;
        cr_assert_eq(qf_symbol_to_binance("BTC/USDT", out, size, &err), want, "size %zu", size);
        for (size_t i = size; i < sizeof out; i++)
            cr_assert_eq(out[i], 'X', "binance wrote past size %zu", size);
        if (size > 0)
            cr_assert_lt(strnlen(out, size), size);
        memset(out, 'X', sizeof out);
        cr_assert_eq(qf_symbol_to_coinbase("BTC/USDT", out, size, &err), QF_EINVAL, "size %zu",
                     size);
        cr_assert_eq(err.code, QF_EINVAL);
        for (size_t i = size; i < sizeof out; i++)
            cr_assert_eq(out[i], 'X', "coinbase wrote past size %zu", size);
        if (size > 0)
            cr_assert_lt(strnlen(out, size), size);
    }
}

Test(symbol_exchange, longest_symbols_fit_qf_symbol_max)
{
    /* 10 + 1 + 10 characters and a NUL fit QF_SYMBOL_MAX, in every spelling. */
    char out[QF_SYMBOL_MAX];
    cr_assert_eq(qf_symbol_to_coinbase("ABCDEFGHIJ/KLMNOPQRST", out, sizeof out, NULL), QF_OK);
    cr_assert_str_eq(out, "ABCDEFGHIJ-KLMNOPQRST");
    cr_assert_eq(qf_symbol_from_concat("ABCDEFGHIJFDUSD", out, sizeof out, NULL), QF_OK);
    cr_assert_str_eq(out, "ABCDEFGHIJ/FDUSD");
}
