/* Tests of the secrets file (src/market/secrets.c): permissions refused by
 * mode, the NAME=value format, precedence of the configuration, and no
 * secret in any error message. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "market/secrets.h"
#include "testutil.h"

static char *dir;

static void setup(void)
{
    dir = qf_test_tmpdir();
    unsetenv("QF_SECRETS_FILE");
    setenv("XDG_CONFIG_HOME", dir, 1);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(secrets, .init = setup, .fini = teardown);

static char *write_secrets(const char *text, mode_t mode)
{
    char *path = qf_test_write_file(dir, "secrets", text, strlen(text));
    cr_assert_eq(chmod(path, mode), 0);
    return path;
}

static const char *GOOD = "# QuantFlow keys\n"
                          "BINANCE_API_KEY=bkey-1234\n"
                          "  BINANCE_API_SECRET = \"bsecret-5678==\"  \r\n"
                          "\n"
                          "COINBASE_API_KEY=organizations/o/apiKeys/k\n"
                          "COINBASE_API_SECRET=-----BEGIN EC PRIVATE KEY-----\\nAAA\\n-----END EC "
                          "PRIVATE KEY-----\\n\n";

Test(secrets, reads_names_values_quotes_and_comments)
{
    char *path = write_secrets(GOOD, 0600);
    qf_secrets s;
    qf_err err;
    cr_assert_eq(qf_secrets_read(path, &s, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(s.binance_key, "bkey-1234");
    cr_assert_str_eq(s.binance_secret, "bsecret-5678==", "= inside a value, quotes stripped");
    cr_assert_str_eq(s.coinbase_key, "organizations/o/apiKeys/k");
    cr_assert(strncmp(s.coinbase_secret, "-----BEGIN EC PRIVATE KEY-----\\nAAA", 35) == 0);
    qf_secrets_wipe(&s);
    cr_assert_str_eq(s.binance_secret, "");
    free(path);
}

Test(secrets, group_or_world_readable_file_is_refused_by_mode)
{
    const mode_t modes[] = {0640, 0604, 0644, 0660, 0610};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char *path = write_secrets(GOOD, modes[i]);
        qf_secrets s;
        memset(&s, 0x5a, sizeof s);
        qf_err err;
        cr_assert_eq(qf_secrets_read(path, &s, &err), QF_EINVAL);
        char want[16];
        snprintf(want, sizeof want, "mode %04o", (unsigned)modes[i]);
        cr_assert(strstr(err.msg, want) != NULL, "%s", err.msg);
        cr_assert(strstr(err.msg, "chmod 600") != NULL, "%s", err.msg);
        cr_assert(strstr(err.msg, "bsecret") == NULL, "%s", err.msg);
        cr_assert_eq(((unsigned char *)&s)[0], 0x5a, "out untouched on failure");
        free(path);
    }
    char *path = write_secrets(GOOD, 0400);
    qf_secrets s;
    cr_assert_eq(qf_secrets_read(path, &s, NULL), QF_OK, "read-only for the owner is fine");
    free(path);
}

Test(secrets, bad_lines_name_the_line_never_the_value)
{
    struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"BINANCE_API_KEY=ok\nBINANCE_SECRET=topsecretvalue\n", ":2: unknown name BINANCE_SECRET"},
        {"BINANCE_API_KEY ok topsecretvalue\n", ":1: expected NAME=value"},
        {"=topsecretvalue\n", ":1: expected NAME=value"},
    };
    for (size_t i = 0; i < 3; i++) {
        char *path = write_secrets(cases[i].text, 0600);
        qf_secrets s;
        qf_err err;
        cr_assert_eq(qf_secrets_read(path, &s, &err), QF_EPARSE);
        cr_assert(strstr(err.msg, cases[i].want) != NULL, "%s", err.msg);
        cr_assert(strstr(err.msg, "topsecret") == NULL, "%s", err.msg);
        free(path);
    }
    char longv[400] = "BINANCE_API_SECRET=";
    memset(longv + strlen(longv), 'x', 300);
    char *path = write_secrets(longv, 0600);
    qf_err err;
    qf_secrets s;
    cr_assert_eq(qf_secrets_read(path, &s, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "longer than 255") != NULL, "%s", err.msg);
    free(path);
}

Test(secrets, apply_fills_only_what_the_config_left_empty)
{
    char *path = write_secrets(GOOD, 0600);
    setenv("QF_SECRETS_FILE", path, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    snprintf(cfg.exchanges.binance.api_key, sizeof cfg.exchanges.binance.api_key, "%s", "from-env");
    cfg.exchanges.binance.api_secret[0] = '\0';
    cfg.exchanges.coinbase.api_key[0] = '\0';
    cfg.exchanges.coinbase.api_secret[0] = '\0';
    qf_err err;
    cr_assert_eq(qf_secrets_apply(&cfg, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.exchanges.binance.api_key, "from-env", "the configuration wins");
    cr_assert_str_eq(cfg.exchanges.binance.api_secret, "bsecret-5678==");
    cr_assert_str_eq(cfg.exchanges.coinbase.api_key, "organizations/o/apiKeys/k");

    /* A world-readable file leaves the configuration as it was. */
    cr_assert_eq(chmod(path, 0644), 0);
    qf_config cfg2;
    qf_config_init(&cfg2);
    cfg2.exchanges.binance.api_secret[0] = '\0';
    cr_assert_eq(qf_secrets_apply(&cfg2, &err), QF_EINVAL);
    cr_assert_str_eq(cfg2.exchanges.binance.api_secret, "", "unchanged on failure");

    /* A named file that does not exist is an error; the default one is optional. */
    setenv("QF_SECRETS_FILE", "/nonexistent/qf-secrets", 1);
    cr_assert_eq(qf_secrets_apply(&cfg2, &err), QF_ENOTFOUND);
    cr_assert(strstr(err.msg, "QF_SECRETS_FILE") != NULL, "%s", err.msg);
    unsetenv("QF_SECRETS_FILE");
    cr_assert_eq(qf_secrets_apply(&cfg2, &err), QF_OK, "%s", err.msg);
    free(path);
}

Test(secrets, default_path_is_under_xdg_config_home)
{
    char path[4096];
    int explicit_path = 1;
    cr_assert_eq(qf_secrets_path(path, sizeof path, &explicit_path, NULL), QF_OK);
    cr_assert_eq(explicit_path, 0);
    char want[4096];
    snprintf(want, sizeof want, "%s/quantflow/secrets", dir);
    cr_assert_str_eq(path, want);
}

/* A process holding keys writes no core dump and is not dumpable (nothing of
 * it can be read through a crash file or a ptrace attach). */
Test(secrets, apply_makes_the_process_undumpable)
{
    cr_assert_eq(prctl(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L), 1, "dumpable before");
    qf_config cfg;
    qf_config_init(&cfg);
    qf_err err;
    cr_assert_eq(qf_secrets_apply(&cfg, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(prctl(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L), 0);
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_CORE, &rl), 0);
    cr_expect_eq(rl.rlim_cur, 0);
}

/* A FIFO or a symlink at the secrets path is refused at once, never waited
 * on or followed. */
Test(secrets, a_fifo_or_a_symlink_is_refused_without_blocking)
{
    char path[512], target[512];
    snprintf(path, sizeof path, "%s/fifo", dir);
    cr_assert_eq(mkfifo(path, 0600), 0);
    setenv("QF_SECRETS_FILE", path, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    qf_err err;
    cr_expect_neq(qf_secrets_apply(&cfg, &err), QF_OK);
    cr_expect(strstr(err.msg, "not a regular file") != NULL, "%s", err.msg);
    char *real = write_secrets(GOOD, 0600);
    snprintf(target, sizeof target, "%s/link", dir);
    cr_assert_eq(symlink(real, target), 0);
    setenv("QF_SECRETS_FILE", target, 1);
    cr_expect_neq(qf_secrets_apply(&cfg, &err), QF_OK);
    cr_expect_str_empty(cfg.exchanges.binance.api_key);
    free(real);
    unsetenv("QF_SECRETS_FILE");
}
