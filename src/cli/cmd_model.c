/*
 * cmd_model.c - `quantflow model list|show|drift`: the trained models
 * recorded in the store (model_artifacts), the metadata of one, read from
 * its registry directory (model/registry.h), and how far the data since its
 * training has drifted from what it was trained on (PSI per feature).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/time.h"
#include "model/drift.h"
#include "model/gbdt.h"
#include "model/registry.h"

static int model_usage(FILE *out, int code)
{
    fprintf(out, "usage: quantflow model list [--symbol S]\n"
                 "       quantflow model show ID [--models-dir DIR]\n"
                 "       quantflow model drift ID [--recent N] [--models-dir DIR]\n\n"
                 "list  the models `quantflow train` saved (from the store), oldest first:\n"
                 "      id, series, creation time, bars trained on, rows, cross-validated\n"
                 "      accuracy and status\n"
                 "show  one model's metadata: feature set, data range, rows, parameters and\n"
                 "      cross-validated scores (from its metadata.json; the store's record\n"
                 "      when the directory is gone). ID as `model list` prints it.\n"
                 "drift the population stability index of each input feature: the model's\n"
                 "      inputs over its training bars (10 bins at their deciles) against the\n"
                 "      last N bars after them (default 500) from the store; above\n"
                 "      monitoring.drift_psi_threshold a feature is flagged\n\n"
                 "With the global --json both print JSON.\n");
    return code;
}

/* A number from a JSON text at a path of object keys; NaN when absent. */
static double json_path_number(const char *text, const char *k1, const char *k2, const char *k3)
{
    json_t *doc = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    json_t *v = json_object_get(json_object_get(doc, k1), k2);
    if (k3 != NULL)
        v = json_object_get(v, k3);
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    json_decref(doc);
    return x;
}

static json_t *record_json(const qf_model_record *r)
{
    char c[QF_ISO_MAX], f[QF_ISO_MAX], t[QF_ISO_MAX];
    double rows = json_path_number(r->params, "rows", "used", NULL);
    double acc = json_path_number(r->metrics, "overall", "accuracy", NULL);
    return json_pack("{ss si ss ss ss ss ss ss ss so so so ss}", "model_id", r->model_id, "version",
                     r->version, "kind", r->kind, "exchange", r->exchange, "symbol", r->symbol,
                     "timeframe", r->timeframe, "created_at",
                     qf_time_format_iso(r->created_at, c, sizeof c), "train_from",
                     qf_time_format_iso(r->train_from, f, sizeof f), "train_to",
                     qf_time_format_iso(r->train_to, t, sizeof t), "rows",
                     isfinite(rows) ? json_integer((json_int_t)rows) : json_null(), "cv_accuracy",
                     isfinite(acc) ? json_real(acc) : json_null(), "path",
                     r->path != NULL ? json_string(r->path) : json_null(), "status", r->status);
}

static int print_list_json(const qf_model_record *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, record_json(&v[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    int bad = a == NULL || json_dumpf(a, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0;
    json_decref(a);
    if (bad)
        return QF_EXIT_FAIL;
    fputc('\n', stdout);
    return QF_EXIT_OK;
}

static void print_list_text(const qf_model_record *v, size_t n)
{
    if (n == 0) {
        printf("no models yet (quantflow train --symbol S trains one)\n");
        return;
    }
    printf("%-40s %-10s %-4s %-20s %-10s %-10s %7s %7s  %s\n", "MODEL", "SYMBOL", "TF", "CREATED",
           "FROM", "TO", "ROWS", "CV ACC", "STATUS");
    for (size_t i = 0; i < n; i++) {
        const qf_model_record *r = &v[i];
        char c[QF_ISO_MAX], f[QF_ISO_MAX], t[QF_ISO_MAX];
        qf_time_format_iso(r->created_at - r->created_at % 1000, c, sizeof c); /* to the second */
        qf_time_format_iso(r->train_from, f, sizeof f);
        qf_time_format_iso(r->train_to, t, sizeof t);
        f[10] = t[10] = '\0'; /* dates */
        double rows = json_path_number(r->params, "rows", "used", NULL);
        double acc = json_path_number(r->metrics, "overall", "accuracy", NULL);
        char acc_text[16];
        snprintf(acc_text, sizeof acc_text, isfinite(acc) ? "%.4f" : "-", acc);
        printf("%-40s %-10s %-4s %-20s %-10s %-10s %7.0f %7s  %s\n", r->model_id, r->symbol,
               r->timeframe, c, f, t, isfinite(rows) ? rows : 0.0, acc_text, r->status);
    }
}

static int cmd_list(qf_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"symbol", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *symbol = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's')
            symbol = optarg;
        else if (c == 'h')
            return model_usage(stdout, QF_EXIT_OK);
        else
            return model_usage(stderr, QF_EXIT_USAGE);
    }
    if (optind < argc)
        return model_usage(stderr, QF_EXIT_USAGE);
    qf_err err;
    qf_err_clear(&err);
    qf_store *store = NULL;
    qf_model_record *v = NULL;
    size_t n = 0;
    qf_rc rc = qf_cli_open_store(cli, &store, &err);
    if (rc == QF_OK)
        rc = qf_store_list_models(store, symbol, &v, &n, &err);
    qf_store_close(store);
    int code = QF_EXIT_OK;
    if (rc == QF_OK && cli->json)
        code = print_list_json(v, n);
    else if (rc == QF_OK)
        print_list_text(v, n);
    qf_model_records_free(v, n);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return code;
}

/* ---- show --------------------------------------------------------------- */

static void print_config(const json_t *config)
{
    json_t *m = json_object_get(config, "model");
    if (!json_is_object(m))
        return;
    printf("trees:      %lld rounds, learning rate %g, max depth %lld, %lld leaves, "
           "min_child_weight %g, subsample %g, seed %lld\n",
           (long long)json_integer_value(json_object_get(m, "n_estimators")),
           json_number_value(json_object_get(m, "learning_rate")),
           (long long)json_integer_value(json_object_get(m, "max_depth")),
           (long long)json_integer_value(json_object_get(m, "num_leaves")),
           json_number_value(json_object_get(m, "min_child_weight")),
           json_number_value(json_object_get(m, "subsample")),
           (long long)json_integer_value(json_object_get(m, "seed")));
    json_t *l = json_object_get(m, "labeling");
    printf("labels:     triple barrier +%g / -%g, %lld bars, neutral %g\n",
           json_number_value(json_object_get(l, "profit_taking_pct")),
           json_number_value(json_object_get(l, "stop_loss_pct")),
           (long long)json_integer_value(json_object_get(l, "max_holding_bars")),
           json_number_value(json_object_get(l, "neutral_pct")));
}

static void print_metrics(const json_t *metrics)
{
    json_t *o = json_object_get(metrics, "overall");
    if (!json_is_object(o)) {
        printf("scores:     none (trained without cross-validation)\n");
        return;
    }
    printf("scores:     cross-validated over %lld folds (purge %lld bars), %lld test rows\n",
           (long long)json_integer_value(json_object_get(metrics, "folds")),
           (long long)json_integer_value(json_object_get(metrics, "purge_bars")),
           (long long)json_integer_value(json_object_get(o, "n")));
    printf("            accuracy %.4f (majority class %.4f), log loss %.4f\n",
           json_number_value(json_object_get(o, "accuracy")),
           json_number_value(json_object_get(o, "baseline_accuracy")),
           json_number_value(json_object_get(o, "log_loss")));
    json_t *q = json_object_get(o, "quantiles");
    for (size_t k = 0; k < json_array_size(q); k++) {
        json_t *e = json_array_get(q, k);
        printf("            q%-6g pinball %.6f  coverage %.4f\n",
               json_number_value(json_object_get(e, "alpha")),
               json_number_value(json_object_get(e, "pinball")),
               json_number_value(json_object_get(e, "coverage")));
    }
}

static void print_meta_text(const qf_model_meta *m, const char *dir)
{
    char c[QF_ISO_MAX], f[QF_ISO_MAX], t[QF_ISO_MAX];
    printf("model:      %s\n", m->model_id);
    printf("created:    %s (XGBoost %s)\n", qf_time_format_iso(m->created_at, c, sizeof c),
           m->xgboost_version);
    printf("data:       %s %s %s, %s .. %s\n", m->series.exchange, m->series.symbol,
           m->series.timeframe, qf_time_format_iso(m->first_open_time, f, sizeof f),
           qf_time_format_iso(m->last_open_time, t, sizeof t));
    printf("features:   %s v%d (%s, window %d, shift %d):", m->feature_set, m->feature_set_version,
           m->normalization, m->norm_window, m->norm_shift);
    for (size_t i = 0; i < m->n_features; i++)
        printf(" %s", m->feature_names[i]);
    printf("\nrows:       %zu of %zu bars (%zu with a NaN feature, %zu unlabeled); down %zu, "
           "neutral %zu, up %zu\n",
           m->rows.used, m->rows.total, m->rows.nan_skipped, m->rows.unlabeled,
           m->rows.class_counts[0], m->rows.class_counts[1], m->rows.class_counts[2]);
    printf("quantiles: ");
    for (size_t k = 0; k < m->n_quantiles; k++)
        printf(" %g", m->quantiles[k]);
    printf("\n");
    print_config(m->config);
    print_metrics(m->metrics);
    printf("directory:  %s\n", dir);
}

static int print_meta_json(const qf_model_meta *m, const char *dir)
{
    json_t *j = qf_model_meta_to_json(m);
    int bad = j == NULL || json_object_set_new(j, "path", json_string(dir)) != 0 ||
              json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0;
    json_decref(j);
    if (bad)
        return QF_EXIT_FAIL;
    fputc('\n', stdout);
    return QF_EXIT_OK;
}

/* The registry root of a recorded model: its path without "/<id>". */
static void root_of(const qf_model_record *r, char *out, size_t size, const char *fallback)
{
    size_t n = r->path != NULL ? strlen(r->path) : 0, k = strlen(r->model_id);
    if (n > k + 1 && strcmp(r->path + n - k, r->model_id) == 0 && r->path[n - k - 1] == '/')
        snprintf(out, size, "%.*s", (int)(n - k - 1), r->path);
    else
        snprintf(out, size, "%s", fallback);
}

/* Opens the store and looks model id up in it: *out_recorded says whether
 * the store holds its record (r), root receives the registry directory the
 * model's files are under (the record's, else models_dir). The store stays
 * open in *out_store for the caller to close. */
static qf_rc find_model(qf_cli *cli, const char *id, const char *models_dir, qf_store **out_store,
                        qf_model_record *r, int *out_recorded, char *root, size_t size, qf_err *err)
{
    *out_recorded = 0;
    qf_rc rc = qf_registry_check_id(id, err);
    if (rc == QF_OK)
        rc = qf_cli_open_store(cli, out_store, err);
    if (rc == QF_OK) {
        qf_rc got = qf_store_get_model(*out_store, id, r, err);
        *out_recorded = got == QF_OK;
        rc = got == QF_ENOTFOUND ? QF_OK : got;
    }
    root_of(r, root, size, models_dir);
    return rc;
}

/* The store's record alone, when the model's directory is gone. */
static int show_record(qf_cli *cli, const qf_model_record *r, const qf_err *why)
{
    qf_log_warn("model show: %s", why->msg);
    if (cli->json) {
        json_t *j = record_json(r);
        int bad = j == NULL || json_dumpf(j, stdout, JSON_INDENT(2)) != 0;
        json_decref(j);
        fputc('\n', stdout);
        return bad ? QF_EXIT_FAIL : QF_EXIT_OK;
    }
    char c[QF_ISO_MAX];
    printf("model:      %s (store record only; its files are not readable)\n", r->model_id);
    printf("created:    %s\ndata:       %s %s %s\nparams:     %s\nmetrics:    %s\n",
           qf_time_format_iso(r->created_at, c, sizeof c), r->exchange, r->symbol, r->timeframe,
           r->params != NULL ? r->params : "-", r->metrics != NULL ? r->metrics : "-");
    return QF_EXIT_OK;
}

static int show(qf_cli *cli, const char *id, const char *models_dir)
{
    qf_err err;
    qf_err_clear(&err);
    qf_store *store = NULL;
    qf_model_record r;
    qf_model_record_init(&r);
    int recorded = 0;
    char root[4096];
    qf_rc rc = find_model(cli, id, models_dir, &store, &r, &recorded, root, sizeof root, &err);
    qf_store_close(store);
    qf_model_meta m;
    qf_model_meta_init(&m);
    int code = QF_EXIT_OK;
    if (rc == QF_OK) {
        rc = qf_registry_read_meta(root, id, &m, &err);
        if (rc == QF_ENOTFOUND && !recorded)
            qf_err_set(&err, QF_ENOTFOUND, "no model %s in the store nor in %s", id, root);
        if (rc != QF_OK && recorded) {
            code = show_record(cli, &r, &err);
            rc = QF_OK;
        } else if (rc == QF_OK) {
            char dir[4200];
            snprintf(dir, sizeof dir, "%s/%s", root, id);
            if (cli->json)
                code = print_meta_json(&m, dir);
            else
                print_meta_text(&m, dir);
        }
    }
    qf_model_meta_cleanup(&m);
    qf_model_record_cleanup(&r);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return code;
}

static int cmd_show(qf_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"models-dir", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *models_dir = cli->cfg.model.registry_dir;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd')
            models_dir = optarg;
        else if (c == 'h')
            return model_usage(stdout, QF_EXIT_OK);
        else
            return model_usage(stderr, QF_EXIT_USAGE);
    }
    if (optind + 1 != argc)
        return model_usage(stderr, QF_EXIT_USAGE);
    return show(cli, argv[optind], models_dir);
}

/* ---- drift -------------------------------------------------------------- */

static int drift(qf_cli *cli, const char *id, const char *models_dir, size_t recent)
{
    qf_err err;
    qf_err_clear(&err);
    qf_model_meta m;
    qf_model_meta_init(&m);
    qf_bars b;
    qf_bars_init(&b);
    qf_gbdt_dataset ds;
    qf_gbdt_dataset_init(&ds);
    qf_store *store = NULL;
    qf_model_record r;
    qf_model_record_init(&r);
    int recorded = 0;
    char root[4096];
    qf_rc rc = find_model(cli, id, models_dir, &store, &r, &recorded, root, sizeof root, &err);
    if (rc == QF_OK)
        rc = qf_registry_read_meta(root, id, &m, &err);
    if (rc == QF_OK)
        rc = qf_cli_load_bars(store, m.series.exchange, m.series.symbol, m.series.timeframe,
                              INT64_MIN, INT64_MAX, 2, &b, &err);
    qf_store_close(store);
    /* the model's inputs as it saw them: its normalisation, the config's
     * feature periods */
    qf_config cfg = cli->cfg;
    cfg.features.normalization.window = m.norm_window > 0 ? m.norm_window : 1;
    cfg.features.normalization.shift = m.norm_shift;
    if (rc == QF_OK)
        rc = qf_gbdt_dataset_build(&b, &cfg, &ds, &err);
    size_t ref_lo = b.n, ref_hi = 0; /* training bars [ref_lo, ref_hi) */
    for (size_t i = 0; rc == QF_OK && i < b.n; i++) {
        if (b.open_time[i] >= m.first_open_time && ref_lo == b.n)
            ref_lo = i;
        if (b.open_time[i] <= m.last_open_time)
            ref_hi = i + 1;
    }
    if (rc == QF_OK && (ref_lo >= ref_hi || ref_hi >= b.n)) {
        char t[32];
        qf_time_format_iso(m.last_open_time, t, sizeof t);
        rc = qf_err_set(&err, QF_EINVAL,
                        "model drift: the store holds no %s %s %s bars after the model's "
                        "training data (last bar %s): import newer candles first",
                        m.series.exchange, m.series.symbol, m.series.timeframe, t);
    }
    size_t lo = rc == QF_OK && b.n - ref_hi > recent ? b.n - recent : ref_hi;
    size_t nf = ds.n_features, nref = ref_hi - ref_lo, nrec = b.n - lo;
    double *col = malloc((nref > nrec ? nref : nrec) * sizeof *col);
    double *scratch = malloc(nref * sizeof *scratch);
    if (rc == QF_OK && (col == NULL || scratch == NULL))
        rc = qf_err_set(&err, QF_ENOMEM, "model drift: out of memory");
    double psi[QF_GBDT_FEATURES_MAX];
    double thr = cli->cfg.monitoring.drift_psi_threshold;
    size_t flagged = 0;
    for (size_t f = 0; rc == QF_OK && f < nf; f++) {
        qf_psi_ref ref;
        for (size_t i = 0; i < nref; i++)
            col[i] = ds.x[(ref_lo + i) * nf + f];
        rc = qf_psi_reference(col, nref, 10, scratch, &ref, &err);
        if (rc != QF_OK) {
            qf_err_prefix(&err, "feature %s", m.feature_names[f]);
            break;
        }
        for (size_t i = 0; i < nrec; i++)
            col[i] = ds.x[(lo + i) * nf + f];
        psi[f] = qf_psi(&ref, col, nrec);
        flagged += psi[f] > thr;
    }
    if (rc == QF_OK) {
        char t0[32], t1[32], t2[32], t3[32];
        qf_time_format_iso(b.open_time[ref_lo], t0, sizeof t0);
        qf_time_format_iso(b.open_time[ref_hi - 1], t1, sizeof t1);
        qf_time_format_iso(b.open_time[lo], t2, sizeof t2);
        qf_time_format_iso(b.open_time[b.n - 1], t3, sizeof t3);
        if (cli->json) {
            json_t *doc = json_object(), *feats = json_array();
            json_object_set_new(doc, "model_id", json_string(id));
            json_object_set_new(doc, "threshold", json_real(thr));
            json_object_set_new(
                doc, "reference",
                json_pack("{s:s, s:s, s:I}", "from", t0, "to", t1, "bars", (json_int_t)nref));
            json_object_set_new(
                doc, "recent",
                json_pack("{s:s, s:s, s:I}", "from", t2, "to", t3, "bars", (json_int_t)nrec));
            for (size_t f = 0; f < nf; f++)
                json_array_append_new(
                    feats, json_pack("{s:s, s:o, s:b}", "feature", m.feature_names[f], "psi",
                                     isfinite(psi[f]) ? json_real(psi[f]) : json_null(), "drift",
                                     psi[f] > thr));
            json_object_set_new(doc, "features", feats);
            json_object_set_new(doc, "flagged", json_integer((json_int_t)flagged));
            json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
            fputc('\n', stdout);
            json_decref(doc);
        } else {
            printf("model %s: inputs over its training bars %s .. %s (%zu) against %s .. %s "
                   "(%zu)\n",
                   id, t0, t1, nref, t2, t3, nrec);
            printf("  %-16s %8s\n", "feature", "PSI");
            for (size_t f = 0; f < nf; f++)
                printf("  %-16s %8.4f%s\n", m.feature_names[f], psi[f],
                       psi[f] > thr ? "  drift" : "");
            printf("%zu of %zu features above the threshold %g (monitoring.drift_psi_threshold)\n",
                   flagged, nf, thr);
        }
    }
    free(col);
    free(scratch);
    qf_gbdt_dataset_cleanup(&ds);
    qf_bars_cleanup(&b);
    qf_model_meta_cleanup(&m);
    qf_model_record_cleanup(&r);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return QF_EXIT_OK;
}

static int cmd_drift(qf_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"models-dir", required_argument, NULL, 'd'},
                                         {"recent", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *models_dir = cli->cfg.model.registry_dir;
    long recent = 500;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        if (c == 'd')
            models_dir = optarg;
        else if (c == 'r') {
            recent = strtol(optarg, &end, 10);
            if (*end != '\0' || recent < 10 || recent > 100000000) {
                fprintf(stderr, "quantflow: --recent must be a number of bars >= 10, got '%s'\n",
                        optarg);
                return QF_EXIT_USAGE;
            }
        } else if (c == 'h')
            return model_usage(stdout, QF_EXIT_OK);
        else
            return model_usage(stderr, QF_EXIT_USAGE);
    }
    if (optind + 1 != argc)
        return model_usage(stderr, QF_EXIT_USAGE);
    return drift(cli, argv[optind], models_dir, (size_t)recent);
}

int qf_cmd_model(qf_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return model_usage(stderr, QF_EXIT_USAGE);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return model_usage(stdout, QF_EXIT_OK);
    if (strcmp(argv[1], "list") == 0)
        return cmd_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return cmd_show(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "drift") == 0)
        return cmd_drift(cli, argc - 1, argv + 1);
    fprintf(stderr, "quantflow model: unknown subcommand '%s'\n", argv[1]);
    return model_usage(stderr, QF_EXIT_USAGE);
}
