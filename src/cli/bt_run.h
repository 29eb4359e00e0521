/*
 * bt_run.h - what `quantflow backtest` and `quantflow montecarlo` share:
 * their options, loading the bars, the engine settings from the
 * configuration, running a strategy with a progress bar, and JSON helpers.
 */
#ifndef QF_CLI_BT_RUN_H
#define QF_CLI_BT_RUN_H

#include <jansson.h>
#include <stdint.h>

#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/montecarlo.h"
#include "cli/cli.h"
#include "core/types.h"
#include "signal/sentiment_event.h"

#define BT_MAX_SYMBOLS    16
#define BT_MAX_STRATEGIES 8

typedef struct bt_opts {
    const char *strategy;      /* the one being run */
    const char *strategy_list; /* --strategy as given: NAME[,NAME...] */
    char symbols[BT_MAX_SYMBOLS][QF_SYMBOL_MAX];
    size_t n_symbols;
    const char *exchange;
    const char *timeframe;
    int64_t from, to;
    int vectorized;
    double capital;
    const char *json_path;
    const char *report_path; /* backtest: HTML report */
    int trials;
    int save;
    qf_strategy_params params;
    size_t sims, block; /* montecarlo and the report's bootstrap */
    uint64_t seed;
    int threads;
    double perturb; /* montecarlo: parameter spread p, 0 = none */
} bt_opts;

/* One command's state: options, strategy, bars, engine settings, the run. */
typedef struct bt_job {
    qf_cli *cli;
    bt_opts o;
    const qf_strategy_def *def;
    qf_bars bars[BT_MAX_SYMBOLS];
    qf_engine_config ec;
    double bars_per_year;
    qf_backtest_result r;
    /* backtest with several strategies: one run each, then a comparison */
    const char *strategies[BT_MAX_STRATEGIES];
    size_t n_strategies, current;
    qf_metrics compared[BT_MAX_STRATEGIES];
    /* what strategies get beyond numbers (o.params.env points here): the
     * config, the symbols, and each symbol's news from the store */
    qf_strategy_env env;
    const char *symbol_names[BT_MAX_SYMBOLS];
    qf_sentiment_events news[BT_MAX_SYMBOLS];
    const qf_sentiment_event *news_v[BT_MAX_SYMBOLS];
    size_t news_n[BT_MAX_SYMBOLS];
    /* ablation: the same strategy run with each variant's parameters */
    const char *variant_names[BT_MAX_STRATEGIES];
    qf_strategy_params variants[BT_MAX_STRATEGIES];
    size_t n_variants;
    const qf_strategy_params *params; /* those of the current run */
    qf_quantflow_cache *cache;        /* ablation: the walk-forward the variants share */
} bt_job;

/* What bt_main runs. */
enum { BT_BACKTEST = 0, BT_MONTECARLO = 1, BT_ABLATION = 2 };

/* Runs a whole command (mode BT_*): parses argv (montecarlo: its extra
 * options), loads the bars, then for each strategy named (backtest only may
 * name several; ablation: quantflow with each switch off in turn) runs it
 * and calls finish(); at the end done() when not NULL. Returns the exit
 * code. */
int bt_main(qf_cli *cli, int argc, char **argv, int mode, qf_rc (*finish)(bt_job *j, qf_err *err),
            qf_rc (*done)(bt_job *j, qf_err *err));

/* Runs def with params p on the job's bars and engine (event, or vectorized
 * when the job says so) into out, with a progress bar on a terminal. */
QF_NODISCARD qf_rc bt_run_strategy(bt_job *j, const qf_strategy_def *def,
                                   const qf_strategy_params *p, qf_backtest_result *out,
                                   qf_err *err);

/* The metrics as the JSON object of --json (metric keys of metrics.h). */
json_t *bt_metrics_json(const qf_metrics *m);

/* v printed with fmt into buf (32 bytes), or "-" when not finite. */
const char *bt_cell(char *buf, double v, const char *fmt);

/* The metrics of the run in j->r (trials: j->o.trials). */
QF_NODISCARD qf_rc bt_metrics(const bt_job *j, qf_metrics *out, qf_err *err);

/* Block-bootstraps the bar returns of run r with the job's --sims, --block
 * (at most the number of returns), --seed and --threads. out_sims (may be
 * NULL) gets the sims rows, *out_block (may be NULL) the block used.
 * QF_EINVAL for fewer than 3 equity points. */
QF_NODISCARD qf_rc bt_bootstrap(const bt_job *j, const qf_backtest_result *r, qf_mc_summary *out,
                                double *out_sims, size_t *out_block, qf_err *err);

/* A number, or null when not finite (JSON has no NaN). */
json_t *bt_num(double v);
/* The run's settings: strategy, symbols, engine, costs, parameters. */
json_t *bt_params_json(const bt_job *j);
/* Writes doc to path through a temporary file and a rename. */
QF_NODISCARD qf_rc bt_write_json(const char *path, json_t *doc, qf_err *err);

#endif
