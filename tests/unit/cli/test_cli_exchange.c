/* End-to-end tests of `quantflow exchange test` against the mock exchange on
 * 127.0.0.1: working keys report their permissions, a bad secret or a
 * world-readable secrets file is exit 1 with a clear reason, and no key or
 * secret ever appears in the output. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mock/mock_exchange.h"
#include "testutil.h"

static char *dir;
static qf_mock *mock;

static void setup(void)
{
    dir = qf_test_tmpdir();
    qf_mock_opts o = {0};
    qf_err err;
    cr_assert_eq(qf_mock_start(&o, &mock, &err), QF_OK, "%s", err.msg);
}

static void teardown(void)
{
    qf_mock_stop(mock);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli_exchange, .init = setup, .fini = teardown, .timeout = 60);

/* Runs quantflow with the environment given (NAME=value ... prefix), both
 * venues pointed at the mock and no keys from the caller's environment. */
static int run(const char *env, const char *args, char **out, char **errout)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "env -u BINANCE_API_KEY -u BINANCE_API_SECRET -u COINBASE_API_KEY "
             "-u COINBASE_API_SECRET -u QF_SECRETS_FILE XDG_CONFIG_HOME='%s' "
             "QF_RATELIMIT_DIR='%s' %s '%s' --set exchanges.binance.base_url=%s "
             "--set exchanges.coinbase.base_url=%s %s",
             dir, dir, env, QF_CLI_PATH, qf_mock_url(mock), qf_mock_url(mock), args);
    return qf_test_run(cmd, out, errout);
}

static void no_secret_in(const char *s)
{
    cr_assert(strstr(s, QF_MOCK_BINANCE_SECRET) == NULL, "%s", s);
    cr_assert(strstr(s, QF_MOCK_BINANCE_KEY) == NULL, "%s", s);
    cr_assert(strstr(s, "MHcCAQEE") == NULL, "%s", s);
    cr_assert(strstr(s, "wrongSECRET") == NULL, "%s", s);
}

Test(cli_exchange, binance_keys_from_the_environment_work)
{
    char *out = NULL;
    char *err = NULL;
    int rc =
        run("BINANCE_API_KEY=" QF_MOCK_BINANCE_KEY " BINANCE_API_SECRET=" QF_MOCK_BINANCE_SECRET,
            "exchange test --exchange binance", &out, &err);
    cr_assert_eq(rc, 0, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(out, "API keys accepted") != NULL, "%s", out);
    cr_assert(strstr(out, "can trade:    yes") != NULL, "%s", out);
    cr_assert(strstr(out, "SPOT") != NULL, "%s", out);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);

    rc = run("BINANCE_API_KEY=" QF_MOCK_BINANCE_KEY " BINANCE_API_SECRET=" QF_MOCK_BINANCE_SECRET,
             "--json exchange test --exchange binance", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", out);
    cr_assert(json_is_true(json_object_get(j, "can_trade")));
    cr_assert_str_eq(json_string_value(json_object_get(j, "exchange")), "binance");
    json_decref(j);
    no_secret_in(out);
    free(out);
    free(err);
}

Test(cli_exchange, bad_secret_is_exit_1_with_the_venue_reason_and_no_secret)
{
    char *out = NULL;
    char *err = NULL;
    int rc = run("BINANCE_API_KEY=" QF_MOCK_BINANCE_KEY
                 " BINANCE_API_SECRET=wrongSECRETwrongSECRETwrongSECRET",
                 "exchange test --exchange binance", &out, &err);
    cr_assert_eq(rc, 1, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(err, "-1022") != NULL, "%s", err);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);

    rc = run("", "exchange test --exchange binance", &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(err, "no API key") != NULL, "%s", err);
    free(out);
    free(err);

    rc = run("", "exchange test --exchange kraken", &out, &err);
    cr_assert_eq(rc, 2);
    free(out);
    free(err);
}

Test(cli_exchange, secrets_file_must_be_private)
{
    char text[1024];
    snprintf(text, sizeof text, "BINANCE_API_KEY=%s\nBINANCE_API_SECRET=%s\n", QF_MOCK_BINANCE_KEY,
             QF_MOCK_BINANCE_SECRET);
    char *path = qf_test_write_file(dir, "secrets", text, strlen(text));
    char env[1200];
    snprintf(env, sizeof env, "QF_SECRETS_FILE='%s'", path);
    cr_assert_eq(chmod(path, 0644), 0);
    char *out = NULL;
    char *err = NULL;
    int rc = run(env, "exchange test --exchange binance", &out, &err);
    cr_assert_eq(rc, 1, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(err, "mode 0644") != NULL, "%s", err);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);

    cr_assert_eq(chmod(path, 0600), 0);
    rc = run(env, "exchange test --exchange binance", &out, &err);
    cr_assert_eq(rc, 0, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(out, "can trade:    yes") != NULL, "%s", out);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);
    free(path);
}
