/*
 * cmd_walkforward.c - `quantflow walkforward --symbol S`: purged
 * walk-forward validation of the model on a stored series. Each fold trains
 * the classifier and the quantile models on its training window and scores
 * its test window; the purge between them is max(purge_bars,
 * max_holding_bars), said in the output, so no training label reaches into
 * the test window. Prints the per-fold table (or --json).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bt_run.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "core/time.h"
#include "model/gbdt.h"
#include "model/walkforward.h"
#include "store/store.h"

static int wf_usage(FILE *out, int code)
{
    fprintf(out, "usage: quantflow walkforward --symbol S [options]\n\n"
                 "Purged walk-forward validation of the model (model.* and model.walk_forward):\n"
                 "folds of [train][purge][test][embargo] over the series; each trains the\n"
                 "classifier and the quantile models on its train window and is scored on its\n"
                 "test window: accuracy (and the majority-class baseline), log loss, pinball\n"
                 "loss and coverage of each quantile. The purge is max(purge_bars,\n"
                 "max_holding_bars): a label looks max_holding_bars ahead.\n\n"
                 "options:\n"
                 "  --symbol S          BASE/QUOTE\n"
                 "  --from, --to TIME   ISO 8601 bounds on the bars' open time\n"
                 "  --exchange NAME     default binance;  --timeframe TF: universe.timeframe\n"
                 "  --out FILE          also write the folds as JSON to FILE\n"
                 "  --quiet             no progress bar\n"
                 "With the global --json the JSON goes to stdout instead of the table.\n");
    return code;
}

static void on_fold(void *ud, size_t done, size_t total)
{
    qf_progress_update(ud, done, total);
}

static const char *day(int64_t ms, char *buf)
{
    qf_time_format_iso(ms, buf, 32);
    buf[10] = '\0'; /* the date is enough in the table */
    return buf;
}

static void print_table(const qf_bars *b, const qf_gbdt_cv *cv, const qf_wf_params *wf,
                        const char *symbol)
{
    printf("%s: %zu folds over %zu bars; train %zu, purge %zu, test %zu, embargo %zu bars\n",
           symbol, cv->n_folds, b->n, wf->train_bars, cv->purge, wf->test_bars, wf->embargo_bars);
    printf("  fold  %-10s  %-10s  %-10s  %5s  %8s  %8s  %8s", "train from", "test from", "test to",
           "rows", "accuracy", "baseline", "log loss");
    for (size_t k = 0; k < cv->n_quantiles; k++)
        printf("  pin q%-4g cov q%-4g", cv->quantiles[k], cv->quantiles[k]);
    printf("\n");
    char d1[32], d2[32], d3[32];
    for (size_t f = 0; f < cv->n_folds; f++) {
        const qf_gbdt_cv_fold *fd = &cv->folds[f];
        const qf_gbdt_scores *s = &fd->test;
        printf("  %4zu  %-10s  %-10s  %-10s  %5zu  %8.4f  %8.4f  %8.4f", f,
               day(b->open_time[fd->split.train_begin], d1),
               day(b->open_time[fd->split.test_begin], d2),
               day(b->open_time[fd->split.test_end - 1], d3), s->n, s->accuracy,
               s->baseline_accuracy, s->log_loss);
        for (size_t k = 0; k < cv->n_quantiles; k++)
            printf("  %9.6f %8.4f", s->pinball[k], s->coverage[k]);
        printf("\n");
    }
    const qf_gbdt_scores *o = &cv->overall;
    printf("  %-4s  %-34s  %5zu  %8.4f  %8.4f  %8.4f", "all", "", o->n, o->accuracy,
           o->baseline_accuracy, o->log_loss);
    for (size_t k = 0; k < cv->n_quantiles; k++)
        printf("  %9.6f %8.4f", o->pinball[k], o->coverage[k]);
    printf("\n");
}

int qf_cmd_walkforward(qf_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"symbol", required_argument, NULL, 's'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"exchange", required_argument, NULL, 'x'},
                                         {"timeframe", required_argument, NULL, 'T'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *symbol = NULL, *exchange = "binance", *timeframe = cli->cfg.universe.timeframe;
    const char *out = NULL;
    int quiet = 0;
    int64_t from = INT64_MIN, to = INT64_MAX;
    qf_err err;
    qf_err_clear(&err);
    qf_rc rc = QF_OK;
    int c;
    while (rc == QF_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's')
            symbol = optarg;
        else if (c == 'f')
            rc = qf_time_parse_iso(optarg, &from, &err);
        else if (c == 't')
            rc = qf_time_parse_iso(optarg, &to, &err);
        else if (c == 'x')
            exchange = optarg;
        else if (c == 'T')
            timeframe = optarg;
        else if (c == 'o')
            out = optarg;
        else if (c == 'q')
            quiet = 1;
        else if (c == 'h')
            return wf_usage(stdout, QF_EXIT_OK);
        else
            return wf_usage(stderr, QF_EXIT_USAGE);
    }
    if (rc == QF_OK && (optind < argc || symbol == NULL))
        return wf_usage(stderr, QF_EXIT_USAGE);
    qf_wf_params wf = qf_wf_params_from_config(&cli->cfg);
    qf_gbdt_params gp = qf_gbdt_params_from_config(&cli->cfg);
    qf_bars b;
    qf_bars_init(&b);
    qf_gbdt_dataset ds;
    qf_gbdt_dataset_init(&ds);
    qf_gbdt_cv cv;
    qf_gbdt_cv_init(&cv);
    qf_store *store = NULL;
    if (rc == QF_OK)
        rc = qf_wf_params_check(&wf, &err);
    if (rc == QF_OK)
        rc = qf_gbdt_params_check(&gp, &err);
    if (rc == QF_OK)
        rc = qf_cli_open_store(cli, &store, &err);
    if (rc == QF_OK)
        rc = qf_cli_load_bars(store, exchange, symbol, timeframe, from, to, 2, &b, &err);
    qf_store_close(store);
    if (rc == QF_OK)
        rc = qf_gbdt_dataset_build(&b, &cli->cfg, &ds, &err);
    size_t purge = qf_wf_effective_purge(&wf);
    /* say the purge before the long part, so it is seen while it runs */
    if (rc == QF_OK && !cli->json) {
        if (purge > wf.purge_bars)
            printf("purge: %zu bars = the label horizon (model.labeling.max_holding_bars), not "
                   "the configured purge_bars %zu, which would let the last %zu training labels "
                   "see into each test window\n",
                   purge, wf.purge_bars, purge - wf.purge_bars);
        else
            printf("purge: %zu bars (purge_bars; at least the label horizon %zu)\n", purge,
                   wf.horizon);
        fflush(stdout);
    }
    if (rc == QF_OK) {
        qf_progress bar;
        qf_progress_init(&bar, cli->tty && !quiet && !cli->json, "walk-forward");
        rc = qf_gbdt_cross_validate(&ds.data, &gp, &wf, ds.first, on_fold, &bar, &cv, &err);
        qf_progress_done(&bar);
    }
    json_t *doc = NULL;
    if (rc == QF_OK) {
        doc = qf_gbdt_cv_to_json(&cv, 1);
        json_object_set_new(doc, "symbol", json_string(symbol));
        json_object_set_new(doc, "exchange", json_string(exchange));
        json_object_set_new(doc, "timeframe", json_string(timeframe));
        json_object_set_new(doc, "purge_bars_configured", json_integer((json_int_t)wf.purge_bars));
        json_object_set_new(doc, "label_horizon_bars", json_integer((json_int_t)wf.horizon));
        json_object_set_new(doc, "purge_bars_effective", json_integer((json_int_t)purge));
        /* each fold's bar times, for people reading the file */
        json_t *folds = json_object_get(doc, "per_fold");
        for (size_t f = 0; f < cv.n_folds && json_is_array(folds); f++) {
            json_t *jf = json_array_get(folds, f);
            const qf_wf_fold *s = &cv.folds[f].split;
            json_object_set_new(jf, "train_from_ms", json_integer(b.open_time[s->train_begin]));
            json_object_set_new(jf, "test_from_ms", json_integer(b.open_time[s->test_begin]));
            json_object_set_new(jf, "test_to_ms", json_integer(b.open_time[s->test_end - 1]));
        }
        if (out != NULL && (rc = bt_write_json(out, doc, &err)) != QF_OK)
            qf_err_prefix(&err, "--out");
    }
    if (rc == QF_OK && cli->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
    } else if (rc == QF_OK) {
        print_table(&b, &cv, &wf, symbol);
    }
    json_decref(doc);
    qf_gbdt_cv_cleanup(&cv);
    qf_gbdt_dataset_cleanup(&ds);
    qf_bars_cleanup(&b);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return QF_EXIT_OK;
}
