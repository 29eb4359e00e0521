/*
 * cli.h - what every `quantflow` subcommand receives: the effective
 * configuration (file + --set overrides, validated) and the global options.
 *
 * Each subcommand is `int qf_cmd_<name>(qf_cli *cli, int argc, char **argv)`:
 * argv[0] is the subcommand's name, the rest its own options. It returns the
 * process exit code: 0 success, 1 failure (error already printed), 2 usage.
 */
#ifndef QF_CLI_CLI_H
#define QF_CLI_CLI_H

#include <stdio.h>

#include "core/bars.h"
#include "core/config.h"
#include "core/err.h"
#include "store/store.h"

#define QF_EXIT_OK    0
#define QF_EXIT_FAIL  1
#define QF_EXIT_USAGE 2

typedef struct qf_cli {
    qf_config cfg;           /* effective configuration */
    const char *config_path; /* file loaded, or NULL for built-in defaults */
    const char *db_path;     /* SQLite file: --db, else QUANTFLOW_DB, else database.sqlite_path */
    int json;                /* global --json: machine-readable stdout */
    int tty;                 /* stderr is a terminal (progress bars allowed) */
} qf_cli;

/* Opens the store at cli->db_path and applies pending migrations (a new file
 * is created and migrated on first use). Prints nothing. */
QF_NODISCARD qf_rc qf_cli_open_store(qf_cli *cli, qf_store **out_store, qf_err *err);

/* Reads the bars of one stored series with open_time in [from, to] into out
 * (replacing its content). Fewer than min_bars is QF_EINVAL: "no EXCHANGE
 * SYMBOL TF candles in the requested range (N stored there); ...". */
QF_NODISCARD qf_rc qf_cli_load_bars(qf_store *store, const char *exchange, const char *symbol,
                                    const char *timeframe, int64_t from, int64_t to,
                                    size_t min_bars, qf_bars *out, qf_err *err);

/* Bars per year for annualising on timeframe: features.technical.bars_per_year
 * for the configured universe.timeframe (so a user override applies), else
 * the timeframe's own (365 days of bars). QF_EINVAL for an unknown one. */
QF_NODISCARD qf_rc qf_cli_bars_per_year(const qf_cli *cli, const char *timeframe, double *out,
                                        qf_err *err);

/* Prints "quantflow: <message>" to stderr (through the logger's redaction). */
void qf_cli_error(const qf_err *err);

int qf_cmd_config(qf_cli *cli, int argc, char **argv);
int qf_cmd_migrate(qf_cli *cli, int argc, char **argv);
int qf_cmd_import(qf_cli *cli, int argc, char **argv);
int qf_cmd_data(qf_cli *cli, int argc, char **argv);
int qf_cmd_backtest(qf_cli *cli, int argc, char **argv);
int qf_cmd_features(qf_cli *cli, int argc, char **argv);
int qf_cmd_train(qf_cli *cli, int argc, char **argv);
int qf_cmd_model(qf_cli *cli, int argc, char **argv);
int qf_cmd_walkforward(qf_cli *cli, int argc, char **argv);
int qf_cmd_montecarlo(qf_cli *cli, int argc, char **argv);
int qf_cmd_ablation(qf_cli *cli, int argc, char **argv);
int qf_cmd_sentiment(qf_cli *cli, int argc, char **argv);
int qf_cmd_risk(qf_cli *cli, int argc, char **argv);
int qf_cmd_backfill(qf_cli *cli, int argc, char **argv);
int qf_cmd_order(qf_cli *cli, int argc, char **argv);
int qf_cmd_exchange(qf_cli *cli, int argc, char **argv);
int qf_cmd_mock_exchange(qf_cli *cli, int argc, char **argv);

#endif
