/*
 * test_config_save.c - qf_config_save: only differing values change, in
 * place; comments and ${...} placeholders survive byte for byte; missing keys
 * are inserted where they belong; new files are written in full; the write
 * is atomic and keeps the file's mode.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "testutil.h"

#define DEFAULT_YAML QF_SOURCE_DIR "/config/default.yaml"

static char *tmp;

static void setup(void)
{
    static const char *const vars[] = {"POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_PASSWORD",
                                       "BINANCE_API_KEY", "QF_TEST_VAR"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    tmp = qf_test_tmpdir();
    cr_assert_not_null(tmp);
    qf_log_set_level(QF_LOG_ERROR);
}

static void teardown(void)
{
    qf_test_rmtree(tmp);
    free(tmp);
}

TestSuite(config_save, .init = setup, .fini = teardown);

static char *slurp(const char *path)
{
    size_t len;
    char *s = qf_test_read_file(path, &len);
    cr_assert_not_null(s, "cannot read %s", path);
    return s;
}

/* s with the first occurrence of from replaced by to (malloc'd; from must occur). */
static char *replace(char *s, const char *from, const char *to)
{
    char *at = strstr(s, from);
    cr_assert_not_null(at, "'%s' not found", from);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *r = malloc(n);
    snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    free(s);
    return r;
}

static void set_ok(qf_config *cfg, const char *assignment)
{
    qf_err err = {0};
    cr_assert_eq(qf_config_set(cfg, assignment, &err), QF_OK, "%s: %s", assignment, err.msg);
}

static void save_ok(const qf_config *cfg, const char *path)
{
    qf_err err = {0};
    cr_assert_eq(qf_config_save(cfg, path, &err), QF_OK, "%s", err.msg);
}

/* Loading path over the defaults gives cfg. */
static void reads_back(const qf_config *cfg, const char *path)
{
    qf_config back;
    qf_config_init(&back);
    qf_err err = {0};
    cr_assert_eq(qf_config_load_file(&back, path, &err), QF_OK, "%s", err.msg);
    json_t *a = qf_config_to_json(cfg, 0);
    json_t *b = qf_config_to_json(&back, 0);
    cr_expect(json_equal(a, b), "%s does not read back", path);
    json_decref(a);
    json_decref(b);
}

static char *copy_default(const char *name)
{
    char *text = slurp(DEFAULT_YAML);
    char *p = qf_test_write_file(tmp, name, text, strlen(text));
    free(text);
    return p;
}

Test(config_save, unchanged_config_leaves_default_yaml_byte_for_byte)
{
    setenv("POSTGRES_HOST", "db.internal", 1); /* placeholders resolve through the env */
    char *p = copy_default("c.yaml");
    qf_config cfg;
    qf_config_init(&cfg);
    save_ok(&cfg, p);
    char *orig = slurp(DEFAULT_YAML);
    char *now = slurp(p);
    cr_expect_str_eq(now, orig);
    free(orig);
    free(now);
    free(p);
}

Test(config_save, changes_only_differing_values_in_place)
{
    char *p = copy_default("c.yaml");
    qf_config cfg;
    qf_config_init(&cfg);
    set_ok(&cfg, "risk.vol_target=0.2");
    set_ok(&cfg, "universe.symbols=[BTC/USDT, ETH/USDT]");
    set_ok(&cfg, "database.port=6000");
    set_ok(&cfg, "exchanges.binance.api_key=binance-key-1");
    set_ok(&cfg, "monitoring.telegram_chat_id='yes'");
    set_ok(&cfg, "features.technical.bars_per_year=8760");
    save_ok(&cfg, p);

    char *want = slurp(DEFAULT_YAML);
    want = replace(want, "  vol_target: 0.15             # annualised",
                   "  vol_target: 0.2             # annualised");
    want = replace(want, "symbols: [BTC/USDT, ETH/USDT, SOL/USDT, AVAX/USDT, DOGE/USDT]  # BASE",
                   "symbols: [BTC/USDT, ETH/USDT]  # BASE");
    want = replace(want, "port: ${POSTGRES_PORT:5432}\n", "port: 6000\n");
    want = replace(want, "api_key: ${BINANCE_API_KEY:}          # new; secret",
                   "api_key: binance-key-1          # new; secret");
    want = replace(want, "telegram_chat_id: ${TELEGRAM_CHAT_ID:}\n", "telegram_chat_id: 'yes'\n");
    want = replace(want, "bars_per_year: 2190  # annualisation",
                   "bars_per_year: 8760.0  # annualisation");
    char *now = slurp(p);
    cr_expect_str_eq(now, want);
    reads_back(&cfg, p);
    free(want);
    free(now);
    free(p);
}

Test(config_save, inserts_missing_keys_where_they_belong)
{
    const char *orig = "# my settings\n"
                       "risk:\n"
                       "  vol_target: 0.2   # mine\n"
                       "# about execution\n"
                       "execution: {mode: paper}\n"
                       "backtest:\n"
                       "features:\n"
                       "  technical:\n"
                       "    rsi_period: 10\n"
                       "  normalization:\n"
                       "    window: 50\n";
    char *p = qf_test_write_file(tmp, "c.yaml", orig, strlen(orig));
    qf_config cfg;
    qf_config_init(&cfg);
    qf_err err = {0};
    cr_assert_eq(qf_config_load_file(&cfg, p, &err), QF_OK, "%s", err.msg);
    set_ok(&cfg, "risk.max_position_pct=0.1");
    set_ok(&cfg, "execution.max_retries=5");
    set_ok(&cfg, "execution.slippage_model.fixed_spread_bps=1");
    set_ok(&cfg, "backtest.allow_short=true");
    set_ok(&cfg, "features.technical.atr_period=7");
    set_ok(&cfg, "features.normalization.shift=2");
    set_ok(&cfg, "features.use_orderbook=true");
    set_ok(&cfg, "server.port=9000");
    set_ok(&cfg, "exchanges.coinbase.fees_bps.maker=1.5");
    save_ok(&cfg, p);
    const char *want = "# my settings\n"
                       "risk:\n"
                       "  vol_target: 0.2   # mine\n"
                       "  max_position_pct: 0.1\n"
                       "# about execution\n"
                       "execution: {mode: paper, max_retries: 5, slippage_model: "
                       "{fixed_spread_bps: 1.0}}\n"
                       "backtest:\n"
                       "  allow_short: true\n"
                       "features:\n"
                       "  technical:\n"
                       "    rsi_period: 10\n"
                       "    atr_period: 7\n"
                       "  normalization:\n"
                       "    window: 50\n"
                       "    shift: 2\n"
                       "  use_orderbook: true\n"
                       "\n"
                       "exchanges:\n"
                       "  coinbase:\n"
                       "    fees_bps:\n"
                       "      maker: 1.5\n"
                       "\n"
                       "server:\n"
                       "  port: 9000\n";
    char *now = slurp(p);
    cr_expect_str_eq(now, want);
    reads_back(&cfg, p);
    free(now);
    free(p);
}

Test(config_save, block_lists_empty_values_and_block_scalars)
{
    const char *orig = "universe:\n"
                       "  symbols:\n"
                       "    - BTC/USDT   # first\n"
                       "    - ETH/USDT\n"
                       "monitoring:\n"
                       "  telegram_chat_id:\n"
                       "api:\n"
                       "  version: |-\n"
                       "    1.0\n"
                       "server:\n"
                       "  bind: \"0.0.0.0\"  # all\n"
                       "unknown_section:\n"
                       "  kept: [1, 2]\n";
    char *p = qf_test_write_file(tmp, "c.yaml", orig, strlen(orig));
    qf_config cfg;
    qf_config_init(&cfg);
    set_ok(&cfg, "universe.symbols=[SOL/USDT, AVAX/USDT, '1INCH/USDT']");
    set_ok(&cfg, "monitoring.telegram_chat_id=12345");
    set_ok(&cfg, "api.version=2.0.0");
    set_ok(&cfg, "server.bind=::1");
    save_ok(&cfg, p);
    const char *want = "universe:\n"
                       "  symbols:\n"
                       "    - SOL/USDT\n"
                       "    - AVAX/USDT\n"
                       "    - 1INCH/USDT\n"
                       "monitoring:\n"
                       "  telegram_chat_id: '12345'\n"
                       "api:\n"
                       "  version: '2.0.0'\n"
                       "server:\n"
                       "  bind: '::1'  # all\n"
                       "unknown_section:\n"
                       "  kept: [1, 2]\n";
    char *now = slurp(p);
    cr_expect_str_eq(now, want);
    reads_back(&cfg, p);
    free(now);
    free(p);
}

Test(config_save, placeholder_replaced_only_when_value_changes)
{
    const char *orig = "database:\n"
                       "  host: ${QF_TEST_VAR:localhost}  # env\n"
                       "  user: ${QF_TEST_VAR:someone}\n";
    setenv("QF_TEST_VAR", "from-env", 1);
    char *p = qf_test_write_file(tmp, "c.yaml", orig, strlen(orig));
    qf_config cfg;
    qf_config_init(&cfg);
    qf_err err = {0};
    cr_assert_eq(qf_config_load_file(&cfg, p, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.database.host, "from-env");
    set_ok(&cfg, "database.user=admin");
    save_ok(&cfg, p);
    char *now = slurp(p);
    cr_expect_str_eq(now, "database:\n"
                          "  host: ${QF_TEST_VAR:localhost}  # env\n"
                          "  user: admin\n");
    free(now);
    free(p);
}

Test(config_save, new_file_written_in_full)
{
    char path[600];
    snprintf(path, sizeof path, "%s/new.yaml", tmp);
    qf_config cfg;
    qf_config_init(&cfg);
    set_ok(&cfg, "risk.vol_target=0.3");
    save_ok(&cfg, path);
    reads_back(&cfg, path);
    char *now = slurp(path);
    cr_expect(strstr(now, "  host: ${POSTGRES_HOST:localhost}") != NULL, "%s", now);
    cr_expect(strstr(now, "  vol_target: 0.3  # ") != NULL, "%s", now);
    free(now);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0644);

    /* A secret written in clear makes the file private. */
    snprintf(path, sizeof path, "%s/secret.yaml", tmp);
    set_ok(&cfg, "exchanges.binance.api_key=k-123456");
    save_ok(&cfg, path);
    reads_back(&cfg, path);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
}

Test(config_save, keeps_mode_and_symlink)
{
    char *p = copy_default("real.yaml");
    cr_assert_eq(chmod(p, 0640), 0);
    char link[600];
    snprintf(link, sizeof link, "%s/link.yaml", tmp);
    cr_assert_eq(symlink(p, link), 0);
    qf_config cfg;
    qf_config_init(&cfg);
    set_ok(&cfg, "server.port=8080");
    save_ok(&cfg, link);
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "the symlink was replaced");
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0640);
    reads_back(&cfg, p);
    free(p);
}

Test(config_save, failures_leave_the_file_untouched)
{
    const char *bad = "risk:\n  vol_targt: 0.2\n";
    char *p = qf_test_write_file(tmp, "bad.yaml", bad, strlen(bad));
    qf_config cfg;
    qf_config_init(&cfg);
    set_ok(&cfg, "server.port=8080");
    qf_err err = {0};
    cr_expect_eq(qf_config_save(&cfg, p, &err), QF_ECONFIG);
    char msg[800];
    snprintf(msg, sizeof msg, "config: unknown key risk.vol_targt (%s:2)", p);
    cr_expect_str_eq(err.msg, msg);
    char *now = slurp(p);
    cr_expect_str_eq(now, bad);
    free(now);
    free(p);

    p = copy_default("c.yaml");
    cfg.risk.max_position_pct = 3;
    cr_expect_eq(qf_config_save(&cfg, p, &err), QF_ECONFIG);
    cr_expect_str_eq(err.msg, "config: risk.max_position_pct must be in (0, 1], got 3.0");
    char *orig = slurp(DEFAULT_YAML);
    now = slurp(p);
    cr_expect_str_eq(now, orig);
    free(orig);
    free(now);
    free(p);

    /* No stray temporary files were left behind. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -c '^\\.' || true", tmp);
    char *out = NULL;
    qf_test_run(cmd, &out, NULL);
    cr_expect_str_eq(out, "0\n");
    free(out);
}

Test(config_save, comments_only_file_gets_sections_appended)
{
    const char *orig = "# nothing yet";
    char *p = qf_test_write_file(tmp, "c.yaml", orig, strlen(orig));
    qf_config cfg;
    qf_config_init(&cfg);
    set_ok(&cfg, "risk.vol_target=0.25");
    save_ok(&cfg, p);
    char *now = slurp(p);
    cr_expect_str_eq(now, "# nothing yet\nrisk:\n  vol_target: 0.25\n");
    free(now);
    free(p);
}
