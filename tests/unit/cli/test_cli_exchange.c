/* End-to-end tests of `quantflow exchange test` against the mock exchange on
 * 127.0.0.1: working keys (Binance HMAC, Coinbase CDP ES256 and Ed25519)
 * report their permissions, a bad secret or a world-readable secrets file is
 * exit 1 with a clear reason, and no key, secret or token ever appears in
 * the output. */
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
    cr_assert(strstr(s, "PRIVATE KEY") == NULL, "%s", s);
    cr_assert(strstr(s, "Rs3EVBy97z7") == NULL, "%s", s); /* the Ed25519 test secret */
    cr_assert(strstr(s, "eyJ") == NULL, "%s", s);         /* a JWT (base64 of '{"') */
    cr_assert(strstr(s, "Bearer") == NULL, "%s", s);
    cr_assert(strstr(s, "wrongSECRET") == NULL, "%s", s);
}

/* COINBASE_API_KEY=<key name> COINBASE_API_SECRET=<secret>, the PEM's
 * newlines written as the two characters \n, as in the CDP key file's JSON
 * (the documented form: a configuration string holds no control character). */
static void coinbase_env(char *buf, size_t size, const char *key, const char *secret)
{
    char esc[512];
    size_t k = 0;
    for (const char *p = secret; *p != '\0' && k + 3 < sizeof esc; p++) {
        if (*p == '\n') {
            esc[k++] = '\\';
            esc[k++] = 'n';
        } else {
            esc[k++] = *p;
        }
    }
    esc[k] = '\0';
    snprintf(buf, size, "COINBASE_API_KEY='%s' COINBASE_API_SECRET='%s'", key, esc);
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

Test(cli_exchange, coinbase_keys_from_the_environment_work)
{
    char env[1024];
    coinbase_env(env, sizeof env, QF_MOCK_COINBASE_KEY_NAME, QF_MOCK_COINBASE_PRIVATE_PEM);
    char *out = NULL;
    char *err = NULL;
    int rc = run(env, "exchange test --exchange coinbase", &out, &err);
    cr_assert_eq(rc, 0, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(out, "coinbase: API keys accepted") != NULL, "%s", out);
    /* The mock's key_permissions: can_view, can_trade, not can_transfer. */
    cr_assert(strstr(out, "can trade:    yes") != NULL, "%s", out);
    cr_assert(strstr(out, "can withdraw: no") != NULL, "%s", out);
    cr_assert(strstr(out, "permissions:  view,trade\n") != NULL, "%s", out);
    cr_assert(strstr(out, "fees:") == NULL, "key_permissions says nothing of fees: %s", out);
    cr_assert(strstr(out, QF_MOCK_COINBASE_KEY_NAME) == NULL, "the key name is not echoed: %s",
              out);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);

    rc = run(env, "--json exchange test --exchange coinbase", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", out);
    cr_assert_str_eq(json_string_value(json_object_get(j, "exchange")), "coinbase");
    cr_assert(json_is_true(json_object_get(j, "can_trade")));
    cr_assert(json_is_false(json_object_get(j, "can_withdraw")));
    cr_assert_str_eq(json_string_value(json_object_get(j, "permissions")), "view,trade");
    cr_assert_null(json_object_get(j, "taker_fee"));
    json_decref(j);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);

    /* An Ed25519 CDP key (the portal's recommended kind) works the same. */
    coinbase_env(env, sizeof env, QF_MOCK_COINBASE_ED25519_KEY_NAME,
                 QF_MOCK_COINBASE_ED25519_SECRET);
    rc = run(env, "exchange test --exchange coinbase", &out, &err);
    cr_assert_eq(rc, 0, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(out, "permissions:  view,trade\n") != NULL, "%s", out);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);
}

Test(cli_exchange, coinbase_wrong_key_is_exit_1_with_401_and_no_secret)
{
    /* A valid private key under another key name: the mock's JWT check
     * refuses it (401 Unauthorized, plain text). */
    char env[1024];
    coinbase_env(env, sizeof env, "organizations/x/apiKeys/not-this-one",
                 QF_MOCK_COINBASE_PRIVATE_PEM);
    char *out = NULL;
    char *err = NULL;
    int rc = run(env, "exchange test --exchange coinbase", &out, &err);
    cr_assert_eq(rc, 1, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(err, "401") != NULL, "%s", err);
    cr_assert(strstr(err, "/key_permissions") != NULL, "the endpoint is named: %s", err);
    cr_assert_str_eq(out, "");
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);

    /* Not a key at all: refused locally, naming no part of it. */
    coinbase_env(env, sizeof env, QF_MOCK_COINBASE_KEY_NAME, "wrongSECRETwrongSECRET");
    rc = run(env, "exchange test --exchange coinbase", &out, &err);
    cr_assert_eq(rc, 1, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(err, "coinbase") != NULL, "%s", err);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);

    /* The PEM with real newlines in the environment is refused by the
     * configuration (control characters), saying so without quoting it. */
    snprintf(env, sizeof env, "COINBASE_API_KEY='%s' COINBASE_API_SECRET='%s'",
             QF_MOCK_COINBASE_KEY_NAME, QF_MOCK_COINBASE_PRIVATE_PEM);
    rc = run(env, "exchange test --exchange coinbase", &out, &err);
    cr_assert_eq(rc, 1, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(err, "control characters") != NULL, "%s", err);
    no_secret_in(out);
    no_secret_in(err);
    free(out);
    free(err);

    rc = run("", "exchange test --exchange coinbase", &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(err, "no API key") != NULL, "%s", err);
    cr_assert(strstr(err, "COINBASE_API_KEY") != NULL, "%s", err);
    free(out);
    free(err);
}
