/*
 * test_config.c - loading, validating and printing the configuration:
 * defaults equal config/default.yaml, every kind of bad input gives its
 * precise message and leaves the struct unchanged, ${VAR:default}
 * substitution, --set assignments and masked secrets.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/config_int.h"
#include "core/log.h"
#include "testutil.h"

#define DEFAULT_YAML QF_SOURCE_DIR "/config/default.yaml"

static char *tmp;
static char *logbuf;
static size_t loglen;
static FILE *logstream;

static const char *const env_vars[] = {
    "BINANCE_API_KEY",    "BINANCE_API_SECRET", "COINBASE_API_KEY",  "COINBASE_API_SECRET",
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID",   "POSTGRES_HOST",     "POSTGRES_PORT",
    "POSTGRES_DB",        "POSTGRES_USER",      "POSTGRES_PASSWORD", "POSTGRES_SSLMODE",
    "REDIS_URL",          "QF_TEST_VAR",        "QF_TEST_EMPTY"};

static void setup(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
    tmp = qf_test_tmpdir();
    cr_assert_not_null(tmp);
    logstream = open_memstream(&logbuf, &loglen);
    qf_log_set_stream(logstream);
    qf_log_set_level(QF_LOG_INFO);
}

static void teardown(void)
{
    qf_log_set_stream(NULL);
    fclose(logstream);
    free(logbuf);
    qf_test_rmtree(tmp);
    free(tmp);
}

TestSuite(config, .init = setup, .fini = teardown);

static const char *logged(void)
{
    fflush(logstream);
    return logbuf != NULL ? logbuf : "";
}

static int same(const qf_config *a, const qf_config *b)
{
    json_t *ja = qf_config_to_json(a, 0);
    json_t *jb = qf_config_to_json(b, 0);
    int eq = ja != NULL && jb != NULL && json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return eq;
}

/* Loads text over the defaults as "t.yaml": must fail with code and msg and
 * leave the struct as it was. */
static void expect_fail(const char *text, size_t len, qf_rc code, const char *msg)
{
    qf_config cfg, before;
    qf_config_init(&cfg);
    before = cfg;
    qf_err err = {0};
    qf_rc rc = qf_config_load_string(&cfg, text, len, "t.yaml", &err);
    cr_expect_eq(rc, code, "rc %d for: %s", rc, text);
    cr_expect_str_eq(err.msg, msg);
    cr_expect(same(&cfg, &before), "cfg changed by a failed load");
    cr_expect_eq(memcmp(&cfg, &before, sizeof cfg), 0);
}

static void expect_fail_str(const char *text, qf_rc code, const char *msg)
{
    expect_fail(text, strlen(text), code, msg);
}

static void expect_set_fail(const char *assignment, const char *msg)
{
    qf_config cfg, before;
    qf_config_init(&cfg);
    before = cfg;
    qf_err err = {0};
    cr_expect_eq(qf_config_set(&cfg, assignment, &err), QF_ECONFIG, "%s", assignment);
    cr_expect_str_eq(err.msg, msg);
    cr_expect_eq(memcmp(&cfg, &before, sizeof cfg), 0);
}

static void load_ok(qf_config *cfg, const char *text)
{
    qf_err err = {0};
    qf_rc rc = qf_config_load_string(cfg, text, strlen(text), "t.yaml", &err);
    cr_assert_eq(rc, QF_OK, "%s", err.msg);
}

static void set_ok(qf_config *cfg, const char *assignment)
{
    qf_err err = {0};
    qf_rc rc = qf_config_set(cfg, assignment, &err);
    cr_assert_eq(rc, QF_OK, "%s: %s", assignment, err.msg);
}

/* ---- defaults ----------------------------------------------------------------------- */

Test(config, init_equals_default_yaml)
{
    qf_config def, file;
    qf_config_init(&def);
    memset(&file, 0, sizeof file); /* every key must come from the file */
    qf_err err = {0};
    cr_assert_eq(qf_config_load_file(&file, DEFAULT_YAML, &err), QF_OK, "%s", err.msg);
    cr_assert(same(&def, &file));
    cr_expect_str_eq(logged(), "", "default.yaml gave warnings: %s", logged());
    /* A few spot checks of the issue's values. */
    cr_expect_eq(def.universe.n_symbols, 5);
    cr_expect_str_eq(def.universe.symbols[4], "DOGE/USDT");
    cr_expect_str_eq(def.universe.timeframe, "4h");
    cr_expect_eq(def.features.technical.bars_per_year, 2190.0);
    cr_expect_eq(def.model.n_quantiles, 5);
    cr_expect_eq(def.model.quantiles[1], 0.25);
    cr_expect_eq(def.signals.fusion.regime_weights.choppy.sentiment, 0.4);
    cr_expect_eq(def.exchanges.coinbase.fees_bps.taker, 60.0);
    cr_expect_str_eq(def.database.driver, "sqlite");
    cr_expect_str_eq(def.database.sqlite_path, "var/quantflow.db");
    cr_expect_str_eq(def.database.host, "localhost");
    cr_expect_eq(def.database.port, 5432);
    cr_expect_str_eq(def.database.password, "changeme");
    cr_expect_str_eq(def.database.sslmode, "");
    cr_expect_str_eq(def.monitoring.alert_webhook_url, "");
    cr_expect_str_eq(def.server.bind, "127.0.0.1");
    cr_expect_eq(def.server.port, 8000);
    cr_expect_eq(qf_config_validate(&def, &err), QF_OK, "%s", err.msg);
}

Test(config, default_yaml_names_every_key)
{
    size_t len;
    char *text = qf_test_read_file(DEFAULT_YAML, &len);
    cr_assert_not_null(text);
    qf_ynode *root;
    qf_err err = {0};
    cr_assert_eq(qf_cfg_yaml_parse(text, len, "default.yaml", &root, &err), QF_OK, "%s", err.msg);
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        const char *path = qf_cfg_keys[i].path;
        if (qf_cfg_keys[i].type == QF_CT_STRING || qf_cfg_keys[i].type == QF_CT_ENUM ||
            qf_cfg_keys[i].type == QF_CT_STRLIST)
            cr_expect_leq(qf_cfg_keys[i].size, QF_CONFIG_PATH_MAX, "%s", path);
        const qf_ynode *n = root;
        for (size_t d = 0; n != NULL && d < qf_cfg_depth(path); d++) {
            size_t sl;
            const char *seg = qf_cfg_segment(path, d, &sl);
            n = qf_cfg_yaml_get(n, seg, sl);
        }
        cr_expect_not_null(n, "default.yaml lacks %s", path);
        /* The table's default text is what the file writes. */
        if (n != NULL && n->has_span)
            cr_expect(strlen(qf_cfg_keys[i].def) == n->end - n->start &&
                          memcmp(qf_cfg_keys[i].def, text + n->start, n->end - n->start) == 0,
                      "%s: table says %s, file says %.*s", path, qf_cfg_keys[i].def,
                      (int)(n->end - n->start), text + n->start);
    }
    qf_cfg_yaml_free(root);
    free(text);
}

Test(config, defaults_follow_the_environment)
{
    setenv("POSTGRES_HOST", "db.internal", 1);
    setenv("POSTGRES_PORT", "6543", 1);
    setenv("BINANCE_API_KEY", "key-from-env", 1);
    qf_config def, file;
    qf_config_init(&def);
    memset(&file, 0, sizeof file);
    qf_err err = {0};
    cr_assert_eq(qf_config_load_file(&file, DEFAULT_YAML, &err), QF_OK, "%s", err.msg);
    cr_assert(same(&def, &file));
    cr_expect_str_eq(def.database.host, "db.internal");
    cr_expect_eq(def.database.port, 6543);
    cr_expect_str_eq(def.exchanges.binance.api_key, "key-from-env");
}

Test(config, init_ignores_an_invalid_environment_value)
{
    setenv("POSTGRES_PORT", "not-a-port", 1);
    char long_secret[400] = "hunter2";
    memset(long_secret + 7, 'x', 300);
    setenv("POSTGRES_PASSWORD", long_secret, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    cr_expect_eq(cfg.database.port, 5432);
    cr_expect_str_eq(cfg.database.password, "changeme");
    cr_expect(strstr(logged(), "config: database.port must be an integer, got 'not-a-port' "
                               "(environment); the environment variable is ignored, using "
                               "${POSTGRES_PORT:5432}") != NULL,
              "%s", logged());
    cr_expect(strstr(logged(), "database.password is too long") != NULL, "%s", logged());
    cr_expect(strstr(logged(), "hunter2") == NULL, "a secret reached the log");
    /* Loading the file itself reports the bad value with its line. */
    qf_err err = {0};
    cr_expect_eq(qf_config_load_file(&cfg, DEFAULT_YAML, &err), QF_ECONFIG);
    cr_expect(strstr(err.msg, "config: database.port must be an integer, got 'not-a-port' (") ==
                  err.msg,
              "%s", err.msg);
    cr_expect(strstr(err.msg, "default.yaml:") != NULL, "%s", err.msg);
}

Test(config, cleanup_clears)
{
    qf_config cfg;
    qf_config_init(&cfg);
    qf_config_cleanup(&cfg);
    cr_expect_eq(cfg.universe.n_symbols, 0);
    qf_config_cleanup(NULL);
}

/* ---- overlaying a file ---------------------------------------------------------------- */

Test(config, file_overrides_only_its_keys)
{
    qf_config cfg, def;
    qf_config_init(&cfg);
    qf_config_init(&def);
    load_ok(&cfg, "risk:\n"
                  "  vol_target: 0.2   # comment\n"
                  "universe:\n"
                  "  symbols:\n"
                  "    - BTC/USDT\n"
                  "    - FDUSD/USDT\n"
                  "  timeframe: \"1h\"\n"
                  "features:\n"
                  "  use_orderbook: yes\n"
                  "  technical: {rsi_period: 7}\n"
                  "backtest:\n"
                  "execution:\n"
                  "  slippage_model:\n"
                  "    fixed_spread_bps: 3\n");
    cr_expect_eq(cfg.risk.vol_target, 0.2);
    cr_expect_eq(cfg.risk.max_position_pct, def.risk.max_position_pct);
    cr_expect_eq(cfg.universe.n_symbols, 2);
    cr_expect_str_eq(cfg.universe.symbols[1], "FDUSD/USDT");
    cr_expect_str_eq(cfg.universe.timeframe, "1h");
    cr_expect(cfg.features.use_orderbook);
    cr_expect_eq(cfg.features.technical.rsi_period, 7);
    cr_expect_eq(cfg.features.technical.atr_period, 14);
    cr_expect_eq(cfg.execution.slippage_model.fixed_spread_bps, 3.0);
    cr_expect_eq(cfg.backtest.order_timeout_bars, def.backtest.order_timeout_bars);
}

Test(config, scalar_forms)
{
    qf_config cfg;
    qf_config_init(&cfg);
    load_ok(&cfg, "backtest: {allow_short: True, latency_bars: '+2'}\n"
                  "features: {use_orderbook: off}\n"
                  "monitoring: {alert_webhook_url: ~, telegram_chat_id: -100123}\n"
                  "database: {port: \"6000\", sslmode: verify-full}\n"
                  "model: {type: xgboost, max_depth: -1, learning_rate: 1e-1}\n");
    cr_expect(cfg.backtest.allow_short);
    cr_expect_eq(cfg.backtest.latency_bars, 2);
    cr_expect(!cfg.features.use_orderbook);
    cr_expect_str_eq(cfg.monitoring.alert_webhook_url, "");
    cr_expect_str_eq(cfg.monitoring.telegram_chat_id, "-100123");
    cr_expect_eq(cfg.database.port, 6000);
    cr_expect_str_eq(cfg.database.sslmode, "verify-full");
    cr_expect_str_eq(cfg.model.type, "xgboost");
    cr_expect_eq(cfg.model.max_depth, -1);
    cr_expect_eq(cfg.model.learning_rate, 0.1);
}

Test(config, single_quoted_escapes)
{
    /* libfyaml 0.7.12 alone reads 'a''''b' as "a'''" and drops the 'b'. */
    qf_config cfg;
    qf_config_init(&cfg);
    load_ok(&cfg, "api:\n  version: 'a''''b'\nserver:\n  bind: 'it''s'\n");
    cr_expect_str_eq(cfg.api.version, "a''b");
    cr_expect_str_eq(cfg.server.bind, "it's");
}

Test(config, comments_only_is_no_overrides)
{
    qf_config cfg, def;
    qf_config_init(&cfg);
    qf_config_init(&def);
    load_ok(&cfg, "# nothing here yet\n\n# risk:\n#   vol_target: 0.3\n");
    cr_expect(same(&cfg, &def));
}

Test(config, unknown_top_level_section_is_a_warning)
{
    qf_config cfg;
    qf_config_init(&cfg);
    load_ok(&cfg, "risk:\n  vol_target: 0.3\nfuture_feature:\n  knob: 1\n");
    cr_expect_eq(cfg.risk.vol_target, 0.3);
    cr_expect(strstr(logged(), "WARN") != NULL, "%s", logged());
    cr_expect(strstr(logged(), "config: unknown section 'future_feature' ignored (t.yaml:3)") !=
                  NULL,
              "%s", logged());
}

/* ---- bad input -------------------------------------------------------------------------- */

Test(config, syntax_error)
{
    expect_fail_str("risk:\n  vol_target: [0.1\nexecution:\n  mode: paper\n", QF_EPARSE,
                    "config: YAML syntax error: wrongly indented flow sequence (t.yaml:4)");
    expect_fail_str("risk:\n  vol_target: 0.1\n bad indent: 1\n", QF_EPARSE,
                    "config: YAML syntax error: invalid indentation in mapping (t.yaml:3)");
}

Test(config, unknown_key_in_a_section)
{
    expect_fail_str("risk:\n  vol_target: 0.2\n  max_positon_pct: 0.1\n", QF_ECONFIG,
                    "config: unknown key risk.max_positon_pct (t.yaml:3)");
    expect_fail_str("signals:\n  fusion:\n    regime_weights:\n      bullish: {ml: 1}\n",
                    QF_ECONFIG,
                    "config: unknown key signals.fusion.regime_weights.bullish (t.yaml:4)");
    expect_fail_str("risk:\n  vol_target.x: 0.2\n", QF_ECONFIG,
                    "config: unknown key risk.vol_target.x (t.yaml:2)");
}

Test(config, wrong_types)
{
    expect_fail_str("risk:\n  staleness_threshold_minutes: soon\n", QF_ECONFIG,
                    "config: risk.staleness_threshold_minutes must be an integer, got 'soon' "
                    "(t.yaml:2)");
    expect_fail_str("model:\n  n_estimators: 200.5\n", QF_ECONFIG,
                    "config: model.n_estimators must be an integer, got '200.5' (t.yaml:2)");
    expect_fail_str("risk:\n  vol_target: high\n", QF_ECONFIG,
                    "config: risk.vol_target must be a number, got 'high' (t.yaml:2)");
    expect_fail_str("risk:\n  vol_target: .inf\n", QF_ECONFIG,
                    "config: risk.vol_target must be a number, got '.inf' (t.yaml:2)");
    expect_fail_str("risk:\n  vol_target: 1e999\n", QF_ECONFIG,
                    "config: risk.vol_target must be a finite number, got 1e999 (t.yaml:2)");
    expect_fail_str("risk:\n  vol_target: [0.1]\n", QF_ECONFIG,
                    "config: risk.vol_target must be a single value, got a list (t.yaml:2)");
    expect_fail_str("risk:\n  vol_target:\n    a: 1\n", QF_ECONFIG,
                    "config: risk.vol_target must be a single value, got a mapping (t.yaml:3)");
    expect_fail_str("risk: 0.2\n", QF_ECONFIG,
                    "config: risk is a section and takes a mapping, got a scalar (t.yaml:1)");
    expect_fail_str("backtest:\n  allow_short: maybe\n", QF_ECONFIG,
                    "config: backtest.allow_short must be true or false, got 'maybe' (t.yaml:2)");
    expect_fail_str("universe:\n  symbols: BTC/USDT\n", QF_ECONFIG,
                    "config: universe.symbols must be a list (e.g. [a, b]), got a scalar "
                    "(t.yaml:2)");
    expect_fail_str("universe:\n  symbols: [[BTC/USDT]]\n", QF_ECONFIG,
                    "config: universe.symbols[0] must be a single value, got a list (t.yaml:2)");
    expect_fail_str("server:\n  port: 99999999999\n", QF_ECONFIG,
                    "config: server.port must be in [1, 65535], got 99999999999 (t.yaml:2)");
    expect_fail_str("- a\n- b\n", QF_ECONFIG,
                    "config: the document must be a mapping of sections, got a list (t.yaml:1)");
    expect_fail_str("just text\n", QF_ECONFIG,
                    "config: the document must be a mapping of sections, got a scalar "
                    "(t.yaml:1)");
}

Test(config, out_of_range)
{
    expect_fail_str("risk:\n  vol_target: 0.15\n  max_position_pct: 1.5\n", QF_ECONFIG,
                    "config: risk.max_position_pct must be in (0, 1], got 1.5 (t.yaml:3)");
    expect_fail_str("risk:\n  max_position_pct: 0\n", QF_ECONFIG,
                    "config: risk.max_position_pct must be in (0, 1], got 0 (t.yaml:2)");
    expect_fail_str("features:\n  technical:\n    rsi_period: 0\n", QF_ECONFIG,
                    "config: features.technical.rsi_period must be >= 1, got 0 (t.yaml:3)");
    expect_fail_str("portfolio:\n  initial_equity: -5\n", QF_ECONFIG,
                    "config: portfolio.initial_equity must be > 0, got -5 (t.yaml:2)");
}

Test(config, bad_enum_and_strings)
{
    expect_fail_str("execution:\n  mode: yolo\n", QF_ECONFIG,
                    "config: execution.mode must be one of paper, live, got 'yolo' (t.yaml:2)");
    expect_fail_str("database:\n  sslmode: sometimes\n", QF_ECONFIG,
                    "config: database.sslmode must be one of '', disable, allow, prefer, require, "
                    "verify-ca, verify-full, got 'sometimes' (t.yaml:2)");
    expect_fail_str("universe:\n  timeframe: 3h\n", QF_ECONFIG,
                    "config: universe.timeframe must be one of 1m, 5m, 15m, 1h, 4h, 1d, got '3h' "
                    "(t.yaml:2)");
    expect_fail_str("exchanges:\n  binance:\n    base_url: ftp://x\n", QF_ECONFIG,
                    "config: exchanges.binance.base_url must start with http:// or https://, got "
                    "'ftp://x' (t.yaml:3)");
    expect_fail_str("database:\n  sqlite_path: ''\n", QF_ECONFIG,
                    "config: database.sqlite_path must not be empty, got '' (t.yaml:2)");
    expect_fail_str("regime:\n  features: [log_returns, volume]\n", QF_ECONFIG,
                    "config: regime.features[1] must be one of log_returns, realized_vol, got "
                    "'volume' (t.yaml:2)");
    expect_fail_str("server:\n  bind: \"a\\tb\\u0001\"\n", QF_ECONFIG,
                    "config: server.bind must not contain control characters, got 'a?b?' "
                    "(t.yaml:2)");
    char text[600] = "api:\n  version: ";
    memset(text + strlen(text), 'v', 40);
    expect_fail_str(text, QF_ECONFIG,
                    "config: api.version is too long (at most 31 bytes), got "
                    "'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv' (t.yaml:2)");
}

Test(config, bad_symbols)
{
    expect_fail_str("universe:\n  symbols:\n    - BTC/USDT\n    - btcusdt\n", QF_ECONFIG,
                    "config: universe.symbols[1] must be BASE/QUOTE in upper case (e.g. "
                    "BTC/USDT), got 'btcusdt' (t.yaml:4)");
    expect_fail_str("universe:\n  symbols: [BTC/USDT, ETH/USDT, BTC/USDT]\n", QF_ECONFIG,
                    "config: universe.symbols lists 'BTC/USDT' twice (t.yaml:2)");
    expect_fail_str("universe:\n  symbols: []\n", QF_ECONFIG,
                    "config: universe.symbols must not be empty (t.yaml:2)");
    char text[4096] = "universe:\n  symbols: [";
    for (int i = 0; i < 65; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%sA%d/USDT", i ? ", " : "", i);
    strcat(text, "]\n");
    expect_fail_str(text, QF_ECONFIG,
                    "config: universe.symbols has 65 elements, at most 64 allowed (t.yaml:2)");
}

Test(config, quantiles)
{
    expect_fail_str("model:\n  quantiles: [0.1, 0.5, 0.25, 0.75]\n", QF_ECONFIG,
                    "config: model.quantiles must be strictly increasing, got 0.25 after 0.5 "
                    "(t.yaml:2)");
    expect_fail_str("model:\n  quantiles: [0.25, 0.5, 0.5, 0.75]\n", QF_ECONFIG,
                    "config: model.quantiles must be strictly increasing, got 0.5 after 0.5 "
                    "(t.yaml:2)");
    expect_fail_str("model:\n  quantiles: [0.25, 0.5, 1.0]\n", QF_ECONFIG,
                    "config: model.quantiles[2] must be in (0, 1), got 1.0 (t.yaml:2)");
    expect_fail_str("model:\n  quantiles: [0.1, 0.5, 0.9]\n", QF_ECONFIG,
                    "config: model.quantiles must include 0.25, 0.5 and 0.75 (the median and "
                    "the interquartile range fusion uses) (t.yaml:2)");
    qf_config cfg;
    qf_config_init(&cfg);
    load_ok(&cfg, "model:\n  quantiles: [0.05, 0.25, 0.5, 0.75, 0.95]\n");
    cr_expect_eq(cfg.model.quantiles[4], 0.95);
}

Test(config, cross_field_rules)
{
    expect_fail_str("signals:\n  fusion:\n    confidence_min_iqr: 3\n", QF_ECONFIG,
                    "config: signals.fusion.confidence_min_iqr must be less than "
                    "signals.fusion.confidence_max_iqr (2), got 3 (t.yaml:3)");
    expect_fail_str("features:\n  normalization:\n    window: 10\n    shift: 10\n", QF_ECONFIG,
                    "config: features.normalization.shift must be less than "
                    "features.normalization.window (10), got 10 (t.yaml:4)");
    expect_fail_str("portfolio:\n  min_train_bars: 5000\n", QF_ECONFIG,
                    "config: portfolio.min_train_bars must be at most "
                    "portfolio.signal_lookback_bars (1200), got 5000 (t.yaml:2)");
    expect_fail_str("signals:\n  fusion:\n    regime_weights:\n      choppy: {technical: 0, ml: "
                    "0, sentiment: 0}\n",
                    QF_ECONFIG,
                    "config: signals.fusion.regime_weights.choppy must not be all 0 (t.yaml:4)");
    expect_fail_str("database:\n  driver: postgres\n  host: ''\n", QF_ECONFIG,
                    "config: database.host must not be empty when database.driver is postgres "
                    "(t.yaml:3)");
}

Test(config, structural_errors)
{
    expect_fail_str("risk:\n  vol_target: 0.1\n  vol_target: 0.2\n", QF_EPARSE,
                    "config: duplicate key 'vol_target' (first given on line 2) (t.yaml:3)");
    expect_fail_str("risk: {vol_target: 0.1}\n---\nrisk: {vol_target: 0.2}\n", QF_EPARSE,
                    "config: more than one YAML document ('---') (t.yaml:2)");
    expect_fail_str("a: &x 1\nrisk:\n  vol_target: *x\n", QF_EPARSE,
                    "config: YAML aliases (*name) are not supported (t.yaml:3)");
    expect_fail_str("risk:\n  vol_target: !!float 0.1\n", QF_EPARSE,
                    "config: YAML tags (!!str, !foo) are not supported (t.yaml:2)");
    expect_fail_str("? [a, b]\n: 1\n", QF_EPARSE,
                    "config: mapping keys must be plain names (t.yaml:1)");
    char deep[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    expect_fail_str(deep, QF_EPARSE, "config: nesting deeper than 32 levels (t.yaml:1)");
}

Test(config, empty_and_non_text_input)
{
    expect_fail_str("", QF_ECONFIG, "config: empty configuration (no YAML document) (t.yaml)");
    expect_fail_str(" \n\t\n", QF_ECONFIG,
                    "config: empty configuration (no YAML document) (t.yaml)");
    expect_fail("risk:\n  vol_target: 0.1\0junk\n", 25, QF_EPARSE,
                "config: not a YAML text: it holds a NUL byte (t.yaml:2)");
    expect_fail_str("risk:\n\n  vol_target: \xff\xfe\n", QF_EPARSE,
                    "config: not a YAML text: invalid UTF-8 (t.yaml:3)");
    char *big = malloc(QF_CONFIG_FILE_MAX + 2);
    memset(big, '#', QF_CONFIG_FILE_MAX + 1);
    big[QF_CONFIG_FILE_MAX + 1] = '\0';
    expect_fail(big, QF_CONFIG_FILE_MAX + 1, QF_EPARSE,
                "config: input is too large (1048577 bytes, at most 1048576) (t.yaml)");
    free(big);
}

static void expect_file_fail(const char *path, qf_rc code, const char *msg)
{
    qf_config cfg, before;
    qf_config_init(&cfg);
    before = cfg;
    qf_err err = {0};
    cr_expect_eq(qf_config_load_file(&cfg, path, &err), code, "%s", path);
    cr_expect_str_eq(err.msg, msg);
    cr_expect_eq(memcmp(&cfg, &before, sizeof cfg), 0);
}

Test(config, bad_files)
{
    char msg[1024];
    char path[600];
    snprintf(path, sizeof path, "%s/missing.yaml", tmp);
    snprintf(msg, sizeof msg, "config: cannot open %s: No such file or directory", path);
    expect_file_fail(path, QF_EIO, msg);

    snprintf(msg, sizeof msg, "config: cannot read %s: Is a directory", tmp);
    expect_file_fail(tmp, QF_EIO, msg);

    char *p = qf_test_write_file(tmp, "empty.yaml", "", 0);
    snprintf(msg, sizeof msg, "config: empty configuration (no YAML document) (%s)", p);
    expect_file_fail(p, QF_ECONFIG, msg);
    free(p);

    unsigned char junk[512];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 37 + 11);
    p = qf_test_write_file(tmp, "junk.bin", (const char *)junk, sizeof junk);
    snprintf(msg, sizeof msg, "config: not a YAML text: invalid UTF-8 (%s:1)", p);
    expect_file_fail(p, QF_EPARSE, msg);
    free(p);

    size_t n = QF_CONFIG_FILE_MAX + 10;
    char *big = malloc(n);
    memset(big, '\n', n);
    p = qf_test_write_file(tmp, "huge.yaml", big, n);
    snprintf(msg, sizeof msg, "config: %s is too large (1048586 bytes, at most 1048576)", p);
    expect_file_fail(p, QF_EIO, msg);
    free(p);
    free(big);

    p = qf_test_write_file(tmp, "bad.yaml", "risk:\n  max_position_pct: 1.5\n", 30);
    snprintf(msg, sizeof msg, "config: risk.max_position_pct must be in (0, 1], got 1.5 (%s:2)", p);
    expect_file_fail(p, QF_ECONFIG, msg);
    free(p);
}

/* ---- ${VAR} substitution ------------------------------------------------------------------ */

Test(config, env_substitution)
{
    setenv("QF_TEST_VAR", "db.example.org", 1);
    setenv("QF_TEST_EMPTY", "", 1);
    setenv("POSTGRES_PORT", "7000", 1);
    qf_config cfg;
    qf_config_init(&cfg);
    load_ok(&cfg, "database:\n"
                  "  host: ${QF_TEST_VAR}\n"
                  "  name: pre-${QF_TEST_VAR:x}-post\n"
                  "  user: ${QF_TEST_UNSET_VAR:fallback}\n"
                  "  password: '${QF_TEST_UNSET_VAR}'\n"
                  "  sslmode: ${QF_TEST_EMPTY:require}\n"
                  "  port: ${POSTGRES_PORT:5432}\n"
                  "api:\n"
                  "  version: '$${NOT_A_VAR}'\n"
                  "universe:\n"
                  "  symbols: ['${QF_TEST_UNSET_VAR:BTC/USDT}', ETH/USDT]\n"
                  "monitoring:\n"
                  "  telegram_chat_id: cost$5\n");
    cr_expect_str_eq(cfg.database.host, "db.example.org");
    cr_expect_str_eq(cfg.database.name, "pre-db.example.org-post");
    cr_expect_str_eq(cfg.database.user, "fallback");
    cr_expect_str_eq(cfg.database.password, "");
    cr_expect_str_eq(cfg.database.sslmode, ""); /* set but empty wins over the default */
    cr_expect_eq(cfg.database.port, 7000);
    cr_expect_str_eq(cfg.api.version, "${NOT_A_VAR}");
    cr_expect_str_eq(cfg.universe.symbols[0], "BTC/USDT");
    cr_expect_str_eq(cfg.monitoring.telegram_chat_id, "cost$5");
}

Test(config, env_substitution_errors)
{
    expect_fail_str("database:\n  host: ${UNCLOSED\n", QF_ECONFIG,
                    "config: database.host has an unterminated ${ (t.yaml:2)");
    expect_fail_str("database:\n  host: ${1BAD}\n", QF_ECONFIG,
                    "config: database.host has an invalid ${...} reference (expected ${NAME} or "
                    "${NAME:default}) (t.yaml:2)");
    setenv("QF_TEST_VAR", "abc", 1);
    expect_fail_str("\n\nserver:\n  port: ${QF_TEST_VAR:8000}\n", QF_ECONFIG,
                    "config: server.port must be an integer, got 'abc' (t.yaml:4)");
    /* A secret's value never appears in a message. */
    setenv("QF_TEST_VAR", "ftp://user:sekrit@example.org/hook", 1);
    expect_fail_str("monitoring:\n  alert_webhook_url: ${QF_TEST_VAR}\n", QF_ECONFIG,
                    "config: monitoring.alert_webhook_url must start with http:// or https:// "
                    "(t.yaml:2)");
}

/* ---- --set ------------------------------------------------------------------------------- */

Test(config, set_assignments)
{
    qf_config cfg;
    qf_config_init(&cfg);
    set_ok(&cfg, "risk.vol_target=0.2");
    cr_expect_eq(cfg.risk.vol_target, 0.2);
    set_ok(&cfg, "universe.symbols=[BTC/USDT, SOL/USDT]");
    cr_expect_eq(cfg.universe.n_symbols, 2);
    cr_expect_str_eq(cfg.universe.symbols[1], "SOL/USDT");
    set_ok(&cfg, "model.quantiles=[0.25, 0.5, 0.75]");
    cr_expect_eq(cfg.model.n_quantiles, 3);
    set_ok(&cfg, "monitoring.telegram_chat_id='a # b'");
    cr_expect_str_eq(cfg.monitoring.telegram_chat_id, "a # b");
    set_ok(&cfg, "monitoring.telegram_chat_id=");
    cr_expect_str_eq(cfg.monitoring.telegram_chat_id, "");
    set_ok(&cfg, " execution.mode = live");
    cr_expect_str_eq(cfg.execution.mode, "live");
    set_ok(&cfg, "exchanges.binance.fees_bps={maker: 2, taker: 4}");
    cr_expect_eq(cfg.exchanges.binance.fees_bps.maker, 2.0);
    cr_expect_eq(cfg.exchanges.binance.fees_bps.taker, 4.0);
    set_ok(&cfg, "database.password=p@ss=word");
    cr_expect_str_eq(cfg.database.password, "p@ss=word");
    setenv("QF_TEST_VAR", "9001", 1);
    set_ok(&cfg, "server.port=${QF_TEST_VAR}");
    cr_expect_eq(cfg.server.port, 9001);
}

Test(config, set_errors_leave_cfg_unchanged)
{
    expect_set_fail("risk.max_position_pct=1.5",
                    "config: risk.max_position_pct must be in (0, 1], got 1.5 (--set)");
    expect_set_fail("risk.nope=1", "config: unknown key 'risk.nope' (--set)");
    expect_set_fail("nope=1", "config: unknown key 'nope' (--set)");
    expect_set_fail("=1", "config: unknown key '' (--set)");
    expect_set_fail("risk.vol_target", "config: --set needs KEY=VALUE, got 'risk.vol_target'");
    expect_set_fail("universe.symbols=[BTC/USDT, eth]",
                    "config: universe.symbols[1] must be BASE/QUOTE in upper case (e.g. "
                    "BTC/USDT), got 'eth' (--set)");
    expect_set_fail("universe.symbols=BTC/USDT",
                    "config: universe.symbols must be a list (e.g. [a, b]), got a scalar (--set)");
    expect_set_fail("risk={vol_target: 0.1, bogus: 2}", "config: unknown key risk.bogus (--set)");
    expect_set_fail("features.normalization.shift=100",
                    "config: features.normalization.shift must be less than "
                    "features.normalization.window (100), got 100 (--set)");
    qf_config cfg;
    qf_config_init(&cfg);
    qf_err err = {0};
    cr_expect_eq(qf_config_set(&cfg, "risk.vol_target=[1", &err), QF_EPARSE);
    cr_expect(strncmp(err.msg, "config: YAML syntax error: ", 27) == 0, "%s", err.msg);
    cr_expect_eq(qf_config_set(&cfg, NULL, &err), QF_EINVAL);
}

/* ---- output and secrets -------------------------------------------------------------------- */

static void set_secrets(qf_config *cfg)
{
    set_ok(cfg, "exchanges.binance.api_key=AKIA-binance-key");
    set_ok(cfg, "exchanges.coinbase.api_secret=cb-secret-value");
    set_ok(cfg, "monitoring.telegram_bot_token='123:telegram-token'");
    set_ok(cfg, "monitoring.alert_webhook_url=https://hooks.example/T0/secret-path");
    set_ok(cfg, "database.password=pg-password");
}

static const char *const secret_values[] = {"AKIA-binance-key", "cb-secret-value",
                                            "123:telegram-token", "secret-path", "pg-password"};

Test(config, secrets_masked_in_yaml_and_json)
{
    qf_config cfg;
    qf_config_init(&cfg);
    set_secrets(&cfg);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    qf_err err = {0};
    cr_assert_eq(qf_config_write_yaml(&cfg, f, 1, &err), QF_OK);
    fclose(f);
    for (size_t i = 0; i < sizeof secret_values / sizeof secret_values[0]; i++)
        cr_expect(strstr(out, secret_values[i]) == NULL, "%s leaked", secret_values[i]);
    cr_expect(strstr(out, "  api_key: '***'\n") != NULL, "%s", out);
    cr_expect(strstr(out, "  password: '***'\n") != NULL);
    cr_expect(strstr(out, "  api_secret: ''\n") != NULL, "empty secrets stay empty");
    free(out);

    json_t *j = qf_config_to_json(&cfg, 1);
    char *dump = json_dumps(j, JSON_COMPACT);
    for (size_t i = 0; i < sizeof secret_values / sizeof secret_values[0]; i++)
        cr_expect(strstr(dump, secret_values[i]) == NULL, "%s leaked", secret_values[i]);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "database"), "password")),
                     "***");
    free(dump);
    json_decref(j);

    j = qf_config_to_json(&cfg, 0);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "database"), "password")),
                     "pg-password");
    json_decref(j);
}

Test(config, register_secrets_masks_the_log)
{
    qf_config cfg;
    qf_config_init(&cfg);
    set_secrets(&cfg);
    qf_config_register_secrets(&cfg);
    qf_log_info("connecting with %s and %s", cfg.database.password,
                cfg.monitoring.telegram_bot_token);
    cr_expect(strstr(logged(), "pg-password") == NULL, "%s", logged());
    cr_expect(strstr(logged(), "telegram-token") == NULL, "%s", logged());
    cr_expect(strstr(logged(), "***") != NULL, "%s", logged());
}

Test(config, yaml_output_reads_back)
{
    qf_config cfg, back;
    qf_config_init(&cfg);
    set_ok(&cfg, "monitoring.telegram_chat_id='yes'");
    set_ok(&cfg, "api.version='1.0'");
    set_ok(&cfg, "database.user=\"it's $${HOME} \\t# x\"");
    set_ok(&cfg, "database.name='-dash: [x]'");
    set_ok(&cfg, "server.bind=\"quotes '' twice\"");
    set_ok(&cfg, "features.technical.bars_per_year=2190.5");
    set_ok(&cfg, "risk.min_trade_usd=1e-7");
    set_ok(&cfg, "universe.symbols=[BTC/USDT, '1INCH/USDT']");
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    qf_err err = {0};
    cr_assert_eq(qf_config_write_yaml(&cfg, f, 0, &err), QF_OK);
    fclose(f);
    memset(&back, 0, sizeof back);
    cr_assert_eq(qf_config_load_string(&back, out, len, "out.yaml", &err), QF_OK, "%s\n%s", err.msg,
                 out);
    cr_expect(same(&cfg, &back), "%s", out);
    cr_expect_str_eq(back.database.user, "it's ${HOME} \t# x");
    cr_expect(strstr(out, "telegram_chat_id: 'yes'\n") != NULL, "%s", out);
    cr_expect(strstr(out, "bars_per_year: 2190.5\n") != NULL, "%s", out);
    free(out);
}

Test(config, validate_checks_programmatic_changes)
{
    qf_config cfg;
    qf_config_init(&cfg);
    qf_err err = {0};
    cfg.risk.max_position_pct = 2;
    cr_expect_eq(qf_config_validate(&cfg, &err), QF_ECONFIG);
    cr_expect_str_eq(err.msg, "config: risk.max_position_pct must be in (0, 1], got 2.0");
    qf_config_init(&cfg);
    cfg.universe.n_symbols = 0;
    cr_expect_eq(qf_config_validate(&cfg, &err), QF_ECONFIG);
    cr_expect_str_eq(err.msg, "config: universe.symbols must not be empty");
    qf_config_init(&cfg);
    memset(cfg.server.bind, 'x', sizeof cfg.server.bind);
    cr_expect_eq(qf_config_validate(&cfg, &err), QF_ECONFIG);
    cr_expect_str_eq(err.msg, "config: server.bind is too long (not NUL-terminated)");
}
