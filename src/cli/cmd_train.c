/*
 * cmd_train.c - `quantflow train`: trains the GBDT models (the label
 * classifier and the return quantiles) on a stored series, reports their
 * purged walk-forward cross-validated scores (never training accuracy),
 * and saves them in the model registry and the store's model_artifacts.
 *
 * Rows: the technical feature set v1, rolling-z-scored as configured, with
 * the triple-barrier label and the forward log return over
 * model.labeling.max_holding_bars (qf_gbdt_dataset_build). The saved model
 * is trained on every usable row of the range; the folds only score.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/log.h"
#include "core/time.h"
#include "features/featureset.h"
#include "model/gbdt.h"
#include "model/registry.h"

static int train_usage(FILE *out, int code)
{
    fprintf(out,
            "usage: quantflow train --symbol S [options]\n\n"
            "Trains the label classifier (down / neutral / up) and one quantile model per\n"
            "model.quantiles of the forward log return on a stored series, prints their\n"
            "walk-forward cross-validated scores (folds from model.walk_forward, purged by\n"
            "at least the label horizon), then trains on every usable bar and saves the\n"
            "models in the registry (model.registry_dir) and the store. Prints the model id.\n\n"
            "options:\n"
            "  --symbol S          BASE/QUOTE\n"
            "  --from, --to TIME   ISO 8601 bounds on open time (default: every stored bar)\n"
            "  --exchange NAME     default binance; --timeframe TF: universe.timeframe\n"
            "  --no-cv             skip the cross-validation (no scores are saved)\n"
            "  --models-dir DIR    registry directory (default model.registry_dir)\n"
            "  --quiet             no progress bar\n\n"
            "Trees: model.n_estimators, learning_rate, max_depth, num_leaves, min_child_weight,\n"
            "subsample, seed, n_threads. Too few bars (portfolio.min_train_bars) or labeled\n"
            "rows (portfolio.min_valid_labels) is an error; nothing is saved then.\n");
    return code;
}

typedef struct train_opts {
    const char *symbol, *exchange, *timeframe, *models_dir;
    int64_t from, to;
    int no_cv, quiet;
} train_opts;

/* Returns -1 to go on, else the exit code. */
static int parse(qf_cli *cli, int argc, char **argv, train_opts *o, qf_err *err)
{
    static const struct option opts[] = {{"symbol", required_argument, NULL, 's'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"exchange", required_argument, NULL, 'x'},
                                         {"timeframe", required_argument, NULL, 'T'},
                                         {"no-cv", no_argument, NULL, 'n'},
                                         {"models-dir", required_argument, NULL, 'd'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    *o = (train_opts){NULL,
                      "binance",
                      cli->cfg.universe.timeframe,
                      cli->cfg.model.registry_dir,
                      INT64_MIN,
                      INT64_MAX,
                      0,
                      0};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        qf_rc rc = QF_OK;
        if (c == 's')
            o->symbol = optarg;
        else if (c == 'f')
            rc = qf_time_parse_iso(optarg, &o->from, err);
        else if (c == 't')
            rc = qf_time_parse_iso(optarg, &o->to, err);
        else if (c == 'x')
            o->exchange = optarg;
        else if (c == 'T')
            o->timeframe = optarg;
        else if (c == 'n')
            o->no_cv = 1;
        else if (c == 'd')
            o->models_dir = optarg;
        else if (c == 'q')
            o->quiet = 1;
        else if (c == 'h')
            return train_usage(stdout, QF_EXIT_OK);
        else
            return train_usage(stderr, QF_EXIT_USAGE);
        if (rc != QF_OK) {
            qf_cli_error(err);
            return QF_EXIT_USAGE;
        }
    }
    if (optind < argc || o->symbol == NULL)
        return train_usage(stderr, QF_EXIT_USAGE);
    return -1;
}

static void on_fold(void *ud, size_t done, size_t total)
{
    qf_progress_update(ud, done, total);
}

/* Everything one run holds, freed by run_cleanup. */
typedef struct run {
    qf_bars bars;
    qf_gbdt_dataset ds;
    qf_gbdt *model;
    qf_gbdt_rows rows;
    qf_gbdt_cv cv;
    int have_cv;
    qf_model_meta meta;
    char dir[4096];
    double seconds;
} run;

static void run_cleanup(run *r)
{
    qf_bars_cleanup(&r->bars);
    qf_gbdt_dataset_cleanup(&r->ds);
    qf_gbdt_free(r->model);
    qf_gbdt_cv_cleanup(&r->cv);
    qf_model_meta_cleanup(&r->meta);
}

/* The parameters the model was trained with, as metadata records them. */
static json_t *config_json(const qf_config *cfg, const qf_wf_params *wf)
{
    json_t *all = qf_config_to_json(cfg, 1);
    if (all == NULL)
        return NULL;
    json_t *j = json_pack("{sOsOs{sisi}sI}", "model", json_object_get(all, "model"), "features",
                          json_object_get(all, "features"), "portfolio", "min_train_bars",
                          cfg->portfolio.min_train_bars, "min_valid_labels",
                          cfg->portfolio.min_valid_labels, "effective_purge_bars",
                          (json_int_t)qf_wf_effective_purge(wf));
    json_decref(all);
    return j;
}

static qf_rc fill_meta(const qf_cli *cli, const train_opts *o, run *r, const qf_wf_params *wf,
                       qf_err *err)
{
    qf_model_meta *m = &r->meta;
    qf_rc rc = qf_model_meta_set_features(m, qf_feature_set_technical(), err);
    if (rc != QF_OK)
        return rc;
    snprintf(m->normalization, sizeof m->normalization, "%s",
             cli->cfg.features.normalization.method);
    m->norm_window = cli->cfg.features.normalization.window;
    m->norm_shift = cli->cfg.features.normalization.shift;
    snprintf(m->series.exchange, sizeof m->series.exchange, "%s", o->exchange);
    snprintf(m->series.symbol, sizeof m->series.symbol, "%s", o->symbol);
    snprintf(m->series.timeframe, sizeof m->series.timeframe, "%s", o->timeframe);
    m->first_open_time = r->bars.open_time[0];
    m->last_open_time = r->bars.open_time[r->bars.n - 1];
    m->rows = r->rows;
    m->n_quantiles = qf_gbdt_n_quantiles(r->model);
    for (size_t k = 0; k < m->n_quantiles; k++)
        m->quantiles[k] = qf_gbdt_alpha(r->model, k);
    m->config = config_json(&cli->cfg, wf);
    m->metrics = r->have_cv ? qf_gbdt_cv_to_json(&r->cv, 1) : NULL;
    if (m->config == NULL || (r->have_cv && m->metrics == NULL))
        return qf_err_set(err, QF_ENOMEM, "train: out of memory");
    return QF_OK;
}

static void warn_constant(const qf_gbdt_rows *rows)
{
    const qf_feature_set_info *fs = qf_feature_set_technical();
    for (size_t f = 0; f < fs->n_features; f++)
        if (rows->constant_mask >> f & 1)
            qf_log_warn("train: feature %s is constant over the training rows (useless)",
                        fs->feature_names[f]);
}

/* Cross-validation; a series too short for one fold is a warning, not an
 * error (the model is still trained and saved, without scores). */
static qf_rc cross_validate(qf_cli *cli, const train_opts *o, run *r, const qf_gbdt_params *gp,
                            const qf_wf_params *wf, qf_err *err)
{
    size_t folds = qf_wf_count(wf, r->ds.first, r->ds.n);
    if (o->no_cv)
        return QF_OK;
    if (folds == 0) {
        qf_log_warn("train: no cross-validation: %zu usable bars hold no fold (one needs "
                    "train_bars + purge + test_bars = %zu + %zu + %zu)",
                    r->ds.n - r->ds.first, wf->train_bars, qf_wf_effective_purge(wf),
                    wf->test_bars);
        return QF_OK;
    }
    qf_progress bar;
    qf_progress_init(&bar, cli->tty && !o->quiet, "cross-validating");
    qf_rc rc = qf_gbdt_cross_validate(&r->ds.data, gp, wf, r->ds.first, on_fold, &bar, &r->cv, err);
    qf_progress_done(&bar);
    r->have_cv = rc == QF_OK;
    return rc;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static qf_rc do_train(qf_cli *cli, const train_opts *o, run *r, qf_err *err)
{
    qf_gbdt_params gp = qf_gbdt_params_from_config(&cli->cfg);
    qf_wf_params wf = qf_wf_params_from_config(&cli->cfg);
    qf_store *store = NULL;
    double t0 = now_s();
    qf_rc rc = qf_gbdt_params_check(&gp, err);
    if (rc == QF_OK)
        rc = qf_wf_params_check(&wf, err);
    if (rc == QF_OK)
        rc = qf_cli_open_store(cli, &store, err);
    if (rc == QF_OK)
        rc = qf_cli_load_bars(store, o->exchange, o->symbol, o->timeframe, o->from, o->to, 1,
                              &r->bars, err);
    if (rc == QF_OK)
        rc = qf_gbdt_dataset_build(&r->bars, &cli->cfg, &r->ds, err);
    /* The final model first: bad input fails fast, before the folds. */
    if (rc == QF_OK)
        rc = qf_gbdt_train(&r->ds.data, &gp, &r->model, &r->rows, err);
    if (rc == QF_OK)
        warn_constant(&r->rows);
    if (rc == QF_OK)
        rc = cross_validate(cli, o, r, &gp, &wf, err);
    if (rc == QF_OK)
        rc = fill_meta(cli, o, r, &wf, err);
    if (rc == QF_OK)
        rc = qf_registry_save(o->models_dir, r->model, &r->meta, store, r->dir, sizeof r->dir, err);
    qf_store_close(store);
    r->seconds = now_s() - t0;
    return rc;
}

static void print_scores(const qf_gbdt_cv *cv, const qf_wf_params *wf)
{
    const qf_gbdt_scores *s = &cv->overall;
    printf("cross-validated over %zu folds (train %zu, purge %zu, test %zu, embargo %zu bars): "
           "%zu test rows\n",
           cv->n_folds, wf->train_bars, cv->purge, wf->test_bars, wf->embargo_bars, s->n);
    printf("  accuracy %.4f (always the majority class: %.4f), log loss %.4f\n", s->accuracy,
           s->baseline_accuracy, s->log_loss);
    printf("  quantile   pinball    coverage\n");
    for (size_t k = 0; k < cv->n_quantiles; k++)
        printf("  %-8g   %.6f   %.4f\n", cv->quantiles[k], s->pinball[k], s->coverage[k]);
}

static void print_text(const train_opts *o, const run *r, const qf_wf_params *wf)
{
    char a[QF_ISO_MAX], b[QF_ISO_MAX];
    const qf_gbdt_rows *w = &r->rows;
    printf("%s %s %s: %zu bars %s .. %s\n", o->exchange, o->symbol, o->timeframe, r->bars.n,
           qf_time_format_iso(r->bars.open_time[0], a, sizeof a),
           qf_time_format_iso(r->bars.open_time[r->bars.n - 1], b, sizeof b));
    printf("trained on %zu rows (%zu skipped with a NaN feature, %zu unlabeled); labels down "
           "%zu, neutral %zu, up %zu\n",
           w->used, w->nan_skipped, w->unlabeled, w->class_counts[0], w->class_counts[1],
           w->class_counts[2]);
    if (r->have_cv)
        print_scores(&r->cv, wf);
    else
        printf("no cross-validated scores\n");
    printf("saved %s in %.1f s\nmodel %s\n", r->dir, r->seconds, r->meta.model_id);
}

static int print_json(const run *r)
{
    json_t *j = json_pack("{sssssIsfsoso}", "model_id", r->meta.model_id, "path", r->dir, "bars",
                          (json_int_t)r->bars.n, "seconds", r->seconds, "rows",
                          qf_gbdt_rows_to_json(&r->rows), "cv",
                          r->have_cv ? qf_gbdt_cv_to_json(&r->cv, 1) : json_null());
    if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) {
        json_decref(j);
        return QF_EXIT_FAIL;
    }
    fputc('\n', stdout);
    json_decref(j);
    return QF_EXIT_OK;
}

int qf_cmd_train(qf_cli *cli, int argc, char **argv)
{
    qf_err err;
    qf_err_clear(&err);
    train_opts o;
    int code = parse(cli, argc, argv, &o, &err);
    if (code >= 0)
        return code;
    run r;
    memset(&r, 0, sizeof r);
    qf_bars_init(&r.bars);
    qf_gbdt_dataset_init(&r.ds);
    qf_gbdt_cv_init(&r.cv);
    qf_model_meta_init(&r.meta);
    qf_rc rc = do_train(cli, &o, &r, &err);
    if (rc == QF_OK) {
        qf_wf_params wf = qf_wf_params_from_config(&cli->cfg);
        if (cli->json)
            code = print_json(&r);
        else
            print_text(&o, &r, &wf);
    }
    run_cleanup(&r);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return code >= 0 ? code : QF_EXIT_OK;
}
