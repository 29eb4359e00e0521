/*
 * test_err.c - qf_err set/prefix/clear and the rc tables.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "core/err.h"

static qf_err dirty(void)
{
    qf_err e;
    memset(&e, 'Z', sizeof e);
    e.code = QF_EIO;
    e.msg[sizeof e.msg - 1] = '\0';
    return e;
}

Test(err, clear_resets_code_and_message)
{
    qf_err e = dirty();
    qf_err_clear(&e);
    cr_assert_eq(e.code, QF_OK);
    cr_assert_str_eq(e.msg, "");
    qf_err_clear(NULL); /* tolerated */
}

Test(err, set_records_code_and_formatted_message)
{
    qf_err e = dirty();
    qf_rc rc = qf_err_set(&e, QF_EPARSE, "%s:%d: %s", "BTCUSDT-4h.csv", 118, "high < low");
    cr_assert_eq(rc, QF_EPARSE);
    cr_assert_eq(e.code, QF_EPARSE);
    cr_assert_str_eq(e.msg, "BTCUSDT-4h.csv:118: high < low");
    /* A second set replaces, never appends. */
    cr_assert_eq(qf_err_set(&e, QF_ENOTFOUND, "gone"), QF_ENOTFOUND);
    cr_assert_eq(e.code, QF_ENOTFOUND);
    cr_assert_str_eq(e.msg, "gone");
    cr_assert_eq(qf_err_set(&e, QF_EINVAL, "%s", ""), QF_EINVAL);
    cr_assert_str_eq(e.msg, "");
}

Test(err, set_with_null_err_returns_code)
{
    for (int c = 0; c < QF_RC_COUNT; c++)
        cr_assert_eq(qf_err_set(NULL, (qf_rc)c, "x %d", c), (qf_rc)c);
}

Test(err, prefix_adds_context_on_the_way_up)
{
    qf_err e;
    qf_err_clear(&e);
    (void)qf_err_set(&e, QF_EPARSE, "line 3: bad number");
    cr_assert_eq(qf_err_prefix(&e, "%s", "BTCUSDT-4h.csv"), QF_EPARSE);
    cr_assert_str_eq(e.msg, "BTCUSDT-4h.csv: line 3: bad number");
    cr_assert_eq(qf_err_prefix(&e, "import %s", "binance"), QF_EPARSE);
    cr_assert_str_eq(e.msg, "import binance: BTCUSDT-4h.csv: line 3: bad number");
    cr_assert_eq(e.code, QF_EPARSE);
}

Test(err, prefix_with_null_err_is_ok)
{
    cr_assert_eq(qf_err_prefix(NULL, "ctx %d", 1), QF_OK);
}

Test(err, prefix_on_empty_message_uses_the_code_default)
{
    qf_err e;
    qf_err_clear(&e);
    (void)qf_err_set(&e, QF_ENOMEM, "%s", "");
    cr_assert_eq(qf_err_prefix(&e, "loading candles"), QF_ENOMEM);
    cr_assert_str_eq(e.msg, "loading candles: out of memory");
    /* Nothing went wrong and nothing was said: just the context, no dangling ": ". */
    qf_err_clear(&e);
    cr_assert_eq(qf_err_prefix(&e, "loading candles"), QF_OK);
    cr_assert_str_eq(e.msg, "loading candles");
}

Test(err, set_may_use_its_own_message_as_argument)
{
    qf_err e;
    qf_err_clear(&e);
    (void)qf_err_set(&e, QF_EIO, "read failed");
    cr_assert_eq(qf_err_set(&e, QF_ESTORE, "%s (while saving)", e.msg), QF_ESTORE);
    cr_assert_str_eq(e.msg, "read failed (while saving)");
    cr_assert_eq(qf_err_prefix(&e, "%s", e.msg), QF_ESTORE);
    cr_assert_str_eq(e.msg, "read failed (while saving): read failed (while saving)");
}

Test(err, long_message_truncated_at_255_and_terminated)
{
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    qf_err e = dirty();
    cr_assert_eq(qf_err_set(&e, QF_EINVAL, "%s", big), QF_EINVAL);
    cr_assert_eq(strlen(e.msg), QF_ERR_MSG_MAX - 1);
    cr_assert_eq(e.msg[QF_ERR_MSG_MAX - 1], '\0');
    cr_assert_eq(e.msg[254], 'a');

    /* Exactly 255 characters fit. */
    big[255] = '\0';
    (void)qf_err_set(&e, QF_EINVAL, "%s", big);
    cr_assert_eq(strlen(e.msg), 255);
    cr_assert_eq(memcmp(e.msg, big, 255), 0);
}

Test(err, prefix_truncates_and_stays_terminated)
{
    char big[400];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    qf_err e;
    (void)qf_err_set(&e, QF_EIO, "%s", big);
    cr_assert_eq(qf_err_prefix(&e, "ctx"), QF_EIO);
    cr_assert_eq(strlen(e.msg), QF_ERR_MSG_MAX - 1);
    cr_assert_eq(strncmp(e.msg, "ctx: mmm", 8), 0);

    /* A prefix longer than the whole message keeps its start and the terminator. */
    memset(big, 'p', sizeof big - 1);
    (void)qf_err_set(&e, QF_EIO, "inner");
    cr_assert_eq(qf_err_prefix(&e, "%s", big), QF_EIO);
    cr_assert_eq(strlen(e.msg), QF_ERR_MSG_MAX - 1);
    cr_assert_eq(e.msg[0], 'p');
    cr_assert_eq(e.msg[QF_ERR_MSG_MAX - 2], 'p');
    cr_assert_eq(e.code, QF_EIO);
}

Test(err, every_code_has_distinct_name_and_message)
{
    static const struct {
        qf_rc rc;
        const char *name;
        const char *msg;
    } want[] = {
        {QF_OK, "OK", "success"},
        {QF_EINVAL, "EINVAL", "invalid argument"},
        {QF_ENOMEM, "ENOMEM", "out of memory"},
        {QF_EIO, "EIO", "input/output error"},
        {QF_EPARSE, "EPARSE", "malformed input"},
        {QF_ENOTFOUND, "ENOTFOUND", "not found"},
        {QF_ESTORE, "ESTORE", "storage error"},
        {QF_EVERSION, "EVERSION", "incompatible version"},
        {QF_ECONFIG, "ECONFIG", "invalid configuration"},
        {QF_ERANGE, "ERANGE", "value out of range"},
        {QF_EEXIST, "EEXIST", "already exists"},
        {QF_EINTR, "EINTR", "interrupted"},
        {QF_EUNSUPPORTED, "EUNSUPPORTED", "not supported"},
        {QF_ESTATE, "ESTATE", "invalid state"},
        {QF_ENET, "ENET", "network error"},
        {QF_EUNKNOWN, "EUNKNOWN", "outcome unknown"},
        {QF_EREJECTED, "EREJECTED", "rejected by the exchange"},
        {QF_ERATELIMIT, "ERATELIMIT", "rate limited"},
    };
    size_t n = sizeof want / sizeof want[0];
    /* New codes must be added here too. */
    cr_assert_eq(n, (size_t)QF_RC_COUNT);
    cr_assert_eq(QF_OK, 0);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq((size_t)want[i].rc, i, "codes are numbered in table order");
        cr_assert_str_eq(qf_rc_name(want[i].rc), want[i].name);
        cr_assert_str_eq(qf_rc_str(want[i].rc), want[i].msg);
        for (size_t j = 0; j < i; j++) {
            cr_assert_str_neq(qf_rc_name(want[i].rc), qf_rc_name(want[j].rc));
            cr_assert_str_neq(qf_rc_str(want[i].rc), qf_rc_str(want[j].rc));
        }
    }
}

Test(err, out_of_range_codes)
{
    const int bad[] = {-1,    -1000,           (int)QF_RC_COUNT, (int)QF_RC_COUNT + 1,
                       12345, -2147483647 - 1, 2147483647};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_str_eq(qf_rc_name((qf_rc)bad[i]), "EUNKNOWN", "%d", bad[i]);
        cr_assert_str_eq(qf_rc_str((qf_rc)bad[i]), "unknown error", "%d", bad[i]);
    }
}
