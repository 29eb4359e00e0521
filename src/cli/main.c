/*
 * main.c - the `quantflow` command: global options, configuration layering
 * (built-in defaults < config file < --set), then one subcommand.
 *
 *   quantflow [--config FILE] [--db PATH] [--set KEY=VALUE]... [--json]
 *             [--log-format text|json] [--log-level LEVEL] COMMAND [ARGS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"

#define DEFAULT_CONFIG "config/default.yaml"
#define MAX_SETS       128

typedef struct command {
    const char *name;
    int (*fn)(qf_cli *cli, int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"import", qf_cmd_import, "import Binance kline CSV files into the store"},
    {"data", qf_cmd_data, "list stored market data (data list)"},
    {"backfill", qf_cmd_backfill, "fetch candles from an exchange into the store, resumable"},
    {"features", qf_cmd_features, "write a series' technical features as CSV"},
    {"train", qf_cmd_train, "train the GBDT models on a series, cross-validate, save them"},
    {"model", qf_cmd_model, "trained models: model list | model show ID"},
    {"walkforward", qf_cmd_walkforward, "purged walk-forward validation of the model, per fold"},
    {"backtest", qf_cmd_backtest, "run a strategy over stored candles and print its metrics"},
    {"montecarlo", qf_cmd_montecarlo, "block-bootstrap a backtest's returns (robustness)"},
    {"ablation", qf_cmd_ablation, "run quantflow with each part switched off in turn"},
    {"risk", qf_cmd_risk, "kill switch and risk audit trail (risk status|kill|reset)"},
    {"sentiment", qf_cmd_sentiment, "import news sentiment events; score a market as of a time"},
    {"order", qf_cmd_order, "place an order, paper or live, through the order manager"},
    {"exchange", qf_cmd_exchange, "check an exchange's API keys (exchange test)"},
    {"mock-exchange", qf_cmd_mock_exchange, "run the mock Binance/Coinbase exchange on 127.0.0.1"},
    {"migrate", qf_cmd_migrate, "apply pending database migrations"},
    {"config", qf_cmd_config, "show, check or change the configuration (config show|check|set)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: quantflow [global options] COMMAND [options]\n\n"
                 "global options:\n"
                 "  --config FILE        configuration file (default: $QUANTFLOW_CONFIG, else\n"
                 "                       " DEFAULT_CONFIG " if present, else built-in defaults)\n"
                 "  --db PATH            SQLite database (default: $QUANTFLOW_DB, else\n"
                 "                       database.sqlite_path)\n"
                 "  --set KEY=VALUE      override a config value by dotted path (repeatable)\n"
                 "  --json               machine-readable output on stdout\n"
                 "  --log-format FMT     text (default) or json, on stderr\n"
                 "  --log-level LEVEL    debug, info (default), warn, error, off\n"
                 "  --version            print the version\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'quantflow COMMAND --help' shows a command's options.\n");
}

typedef struct globals {
    const char *config_path;
    const char *db_path;
    const char *sets[MAX_SETS];
    size_t n_sets;
    int json;
} globals;

/* Global options come before the command (docs/conventions.md), as
 * --opt VALUE or --opt=VALUE; everything from the command on belongs to it
 * (so `backtest --json FILE` is the subcommand's own option). */
static const char *const with_value[] = {"--config", "--db", "--set", "--log-format",
                                         "--log-level"};

/* Returns the option's index in with_value and sets *value, -1 when arg is
 * not a global option taking a value. *consumed is 2 when the value is the
 * next argument. */
static int value_option(int argc, char **argv, int i, const char **value, int *consumed)
{
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
        size_t len = strlen(with_value[k]);
        if (strncmp(argv[i], with_value[k], len) != 0)
            continue;
        if (argv[i][len] == '=') {
            *value = argv[i] + len + 1;
            *consumed = 1;
            return (int)k;
        }
        if (argv[i][len] == '\0') {
            *value = i + 1 < argc ? argv[i + 1] : NULL;
            *consumed = 2;
            return (int)k;
        }
    }
    return -1;
}

static qf_rc apply_option(globals *g, int k, const char *value, qf_err *err)
{
    if (value == NULL)
        return qf_err_set(err, QF_EINVAL, "%s needs a value", with_value[k]);
    if (k == 0) {
        g->config_path = value;
    } else if (k == 1) {
        g->db_path = value;
    } else if (k == 2) {
        if (g->n_sets == MAX_SETS)
            return qf_err_set(err, QF_EINVAL, "too many --set options (max %d)", MAX_SETS);
        g->sets[g->n_sets++] = value;
    } else if (k == 3) {
        qf_log_format fmt;
        qf_rc rc = qf_log_parse_format(value, &fmt, err);
        if (rc != QF_OK)
            return rc;
        qf_log_set_format(fmt);
    } else {
        qf_log_level lvl;
        qf_rc rc = qf_log_parse_level(value, &lvl, err);
        if (rc != QF_OK)
            return rc;
        qf_log_set_level(lvl);
    }
    return QF_OK;
}

/* Extracts the global options; *argc/argv keep the rest (argv[0] = the
 * command). Returns 0 to run the command, -1 to exit with success (--help
 * or --version before the command), -2 on a usage error. */
static int parse_globals(int *argc, char **argv, globals *g)
{
    int out = 0;
    int in_command = 0;
    int done = 0;
    qf_err err;
    qf_err_clear(&err);
    for (int i = 1; i < *argc; i++) {
        const char *value = NULL;
        int consumed = 1;
        if (in_command) {
            argv[out++] = argv[i];
            continue;
        }
        int k = done ? -1 : value_option(*argc, argv, i, &value, &consumed);
        if (k >= 0) {
            if (apply_option(g, k, value, &err) != QF_OK) {
                qf_cli_error(&err);
                return -2;
            }
            i += consumed - 1;
        } else if (!done && strcmp(argv[i], "--json") == 0) {
            g->json = 1;
        } else if (!done && !in_command &&
                   (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
            usage(stdout);
            return -1;
        } else if (!done && !in_command && strcmp(argv[i], "--version") == 0) {
            printf("quantflow %s\n", QF_VERSION);
            return -1;
        } else if (!done && !in_command && argv[i][0] == '-' && strcmp(argv[i], "--") != 0) {
            fprintf(stderr, "quantflow: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return -2;
        } else {
            if (strcmp(argv[i], "--") == 0 && !done) {
                done = 1;
                if (!in_command)
                    continue;
            }
            argv[out++] = argv[i];
            in_command = 1;
        }
    }
    *argc = out;
    if (out == 0) {
        usage(stderr);
        return -2;
    }
    return 0;
}

static qf_rc load_config(qf_cli *cli, const globals *g, qf_err *err)
{
    qf_config_init(&cli->cfg);
    const char *path = g->config_path;
    if (path == NULL)
        path = getenv("QUANTFLOW_CONFIG");
    if (path == NULL && access(DEFAULT_CONFIG, R_OK) == 0)
        path = DEFAULT_CONFIG;
    cli->config_path = path;
    qf_rc rc = QF_OK;
    if (path != NULL)
        rc = qf_config_load_file(&cli->cfg, path, err);
    for (size_t i = 0; rc == QF_OK && i < g->n_sets; i++)
        rc = qf_config_set(&cli->cfg, g->sets[i], err);
    if (rc == QF_OK)
        rc = qf_config_validate(&cli->cfg, err);
    if (rc == QF_OK)
        qf_config_register_secrets(&cli->cfg);
    return rc;
}

int main(int argc, char **argv)
{
    globals g;
    memset(&g, 0, sizeof g);
    int rest = argc;
    int status = parse_globals(&rest, argv, &g);
    if (status < 0)
        return status == -1 ? QF_EXIT_OK : QF_EXIT_USAGE;
    const command *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[0], commands[i].name) == 0)
            cmd = &commands[i];
    if (cmd == NULL) {
        fprintf(stderr, "quantflow: unknown command '%s'\n\n", argv[0]);
        usage(stderr);
        return QF_EXIT_USAGE;
    }
    static qf_cli cli;
    qf_err err;
    qf_err_clear(&err);
    cli.json = g.json;
    cli.tty = isatty(STDERR_FILENO);
    if (load_config(&cli, &g, &err) != QF_OK) {
        qf_cli_error(&err);
        qf_config_cleanup(&cli.cfg);
        return QF_EXIT_FAIL;
    }
    cli.db_path = g.db_path;
    if (cli.db_path == NULL)
        cli.db_path = getenv("QUANTFLOW_DB");
    if (cli.db_path == NULL || cli.db_path[0] == '\0')
        cli.db_path = cli.cfg.database.sqlite_path;
    optind = 0; /* glibc: full re-initialisation for the subcommand's getopt_long */
    int code = cmd->fn(&cli, rest, argv);
    qf_config_cleanup(&cli.cfg);
    return code;
}
