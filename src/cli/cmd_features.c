/*
 * cmd_features.c - `quantflow features`: the technical feature set of a
 * stored series as CSV (open_time, then one column per feature), raw or
 * rolling-z-score normalized, with the periods of features.* in the config.
 * With features.use_orderbook, two order-book columns follow when the store
 * holds snapshots of the market for those bars (features/orderbook.h).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/bars.h"
#include "core/time.h"
#include "features/featureset.h"
#include "features/normalize.h"
#include "features/orderbook.h"
#include "model/labels.h"

/* The order-book columns, after the technical ones. */
#define OB_FEATURES 2
static const char *const ob_names[OB_FEATURES] = {"ob_imbalance", "ob_depth_ratio"};

static int feat_usage(FILE *out, int code)
{
    fprintf(out, "usage: quantflow features --symbol S --out FILE.csv [options]\n\n"
                 "Writes the ten technical features of a stored series, one row per bar:\n"
                 "open_time (ms) then log_returns rsi atr bb_pct_b vwap_deviation\n"
                 "realized_vol momentum_4 momentum_12 ema_ratio volume_ratio. Empty cells\n"
                 "where a feature has too little history. Periods: features.technical.\n\n"
                 "options:\n"
                 "  --symbol S          BASE/QUOTE\n"
                 "  --out FILE          CSV to write ('-' for stdout)\n"
                 "  --normalized        rolling z-scores (features.normalization) instead\n"
                 "  --labels            add the triple-barrier label (0 down, 1 neutral, 2 up;\n"
                 "                      empty for the last max_holding_bars bars) and\n"
                 "                      forward_log_return, ln(close[t+h] / close[t]) with\n"
                 "                      h = model.labeling.max_holding_bars\n"
                 "  --from, --to TIME   ISO 8601 bounds on open time\n"
                 "  --exchange NAME     default binance; --timeframe TF: universe.timeframe\n\n"
                 "With --set features.use_orderbook=true, ob_imbalance (best bid vs best ask\n"
                 "quantity) and ob_depth_ratio (bid / ask quantity over 5 levels) follow, from\n"
                 "the latest stored order-book snapshot at most one bar old at each bar's\n"
                 "close; they are left out when the store holds no snapshots for the bars.\n");
    return code;
}

static void put(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.17g", v);
    else
        fputs(",", f);
}

/* Writes open_time and n_cols columns (column k at cols[k * b->n]): the
 * technical features, then the order-book ones when n_cols says so, then
 * the label and forward return when labels is not NULL. */
static qf_rc write_csv(const char *path, const qf_bars *b, const double *cols, size_t n_cols,
                       const int8_t *labels, const double *fwd, qf_err *err)
{
    char tmp[4096];
    FILE *f = stdout;
    if (strcmp(path, "-") != 0) {
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        f = fopen(tmp, "w");
        if (f == NULL)
            return qf_err_set(err, QF_EIO, "--out: cannot write %s", path);
    }
    const qf_feature_set_info *fs = qf_feature_set_technical();
    fputs("open_time", f);
    for (size_t k = 0; k < n_cols; k++)
        fprintf(f, ",%s", k < fs->n_features ? fs->feature_names[k] : ob_names[k - fs->n_features]);
    if (labels != NULL)
        fputs(",label,forward_log_return", f);
    fputc('\n', f);
    for (size_t i = 0; i < b->n; i++) {
        fprintf(f, "%lld", (long long)b->open_time[i]);
        for (size_t k = 0; k < n_cols; k++)
            put(f, cols[k * b->n + i]);
        if (labels != NULL) {
            if (labels[i] >= 0)
                fprintf(f, ",%d", labels[i]);
            else
                fputs(",", f);
            put(f, fwd[i]);
        }
        fputc('\n', f);
    }
    if (f == stdout)
        return fflush(f) == 0 ? QF_OK : qf_err_set(err, QF_EIO, "cannot write stdout");
    int bad = ferror(f) | fclose(f);
    if (bad != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return qf_err_set(err, QF_EIO, "--out: cannot write %s", path);
    }
    return QF_OK;
}

/* Reads the snapshots that can serve the bars (the latest at most one bar
 * old at each close: times from the first open to the last close) into
 * books; none is not an error. */
static qf_rc load_books(qf_store *store, const char *exchange, const char *symbol, const qf_bars *b,
                        int64_t bar_ms, qf_books *books, qf_err *err)
{
    if (b->n == 0)
        return QF_OK;
    int64_t from = b->open_time[0]; /* bar 0's close minus the one-bar maximum age */
    int64_t to = b->open_time[b->n - 1] + bar_ms;
    return qf_store_query_orderbook(store, exchange, symbol, from, to, books, err);
}

int qf_cmd_features(qf_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"symbol", required_argument, NULL, 's'},   {"out", required_argument, NULL, 'o'},
        {"normalized", no_argument, NULL, 'n'},     {"labels", no_argument, NULL, 'l'},
        {"from", required_argument, NULL, 'f'},     {"to", required_argument, NULL, 't'},
        {"exchange", required_argument, NULL, 'x'}, {"timeframe", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *symbol = NULL, *out = NULL, *exchange = "binance";
    const char *timeframe = cli->cfg.universe.timeframe;
    int normalized = 0, with_labels = 0;
    int64_t from = INT64_MIN, to = INT64_MAX;
    qf_err err;
    qf_err_clear(&err);
    qf_rc rc = QF_OK;
    int c;
    while (rc == QF_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's')
            symbol = optarg;
        else if (c == 'o')
            out = optarg;
        else if (c == 'n')
            normalized = 1;
        else if (c == 'l')
            with_labels = 1;
        else if (c == 'f')
            rc = qf_time_parse_iso(optarg, &from, &err);
        else if (c == 't')
            rc = qf_time_parse_iso(optarg, &to, &err);
        else if (c == 'x')
            exchange = optarg;
        else if (c == 'T')
            timeframe = optarg;
        else if (c == 'h')
            return feat_usage(stdout, QF_EXIT_OK);
        else
            return feat_usage(stderr, QF_EXIT_USAGE);
    }
    if (rc == QF_OK && (optind < argc || symbol == NULL || out == NULL))
        return feat_usage(stderr, QF_EXIT_USAGE);
    const qf_config_technical *t = &cli->cfg.features.technical;
    qf_feature_params p = {t->rsi_period, t->atr_period,  t->bb_period,    t->bb_std,
                           t->vol_window, t->vwap_period, t->bars_per_year};
    if (rc == QF_OK)
        rc = qf_feature_params_check(&p, &err);
    qf_label_params lp = qf_label_params_from_config(&cli->cfg.model.labeling);
    if (rc == QF_OK && with_labels)
        rc = qf_label_params_check(&lp, &err);
    qf_timeframe tf = {"", 0, 0};
    qf_bars b;
    qf_bars_init(&b);
    qf_books books;
    qf_books_init(&books);
    double *cols = NULL, *z = NULL, *fwd = NULL;
    int8_t *labels = NULL;
    qf_store *store = NULL;
    if (rc == QF_OK)
        rc = qf_cli_open_store(cli, &store, &err);
    if (rc == QF_OK)
        rc = qf_cli_load_bars(store, exchange, symbol, timeframe, from, to, 1, &b, &err);
    if (rc == QF_OK && cli->cfg.features.use_orderbook)
        rc = qf_timeframe_parse(timeframe, &tf, &err);
    if (rc == QF_OK && cli->cfg.features.use_orderbook)
        rc = load_books(store, exchange, symbol, &b, tf.ms, &books, &err);
    qf_store_close(store);
    size_t n_cols = QF_TECH_FEATURES + (books.n > 0 ? OB_FEATURES : 0);
    if (rc == QF_OK && cli->cfg.features.use_orderbook && books.n == 0)
        fprintf(stderr,
                "features: no order-book snapshots of %s %s for these bars; ob_imbalance and "
                "ob_depth_ratio left out\n",
                exchange, symbol);
    if (rc == QF_OK) {
        cols = malloc(n_cols * b.n * sizeof *cols);
        z = malloc(n_cols * b.n * sizeof *z);
        if (with_labels) {
            labels = malloc(b.n ? b.n : 1);
            fwd = malloc(b.n * sizeof *fwd);
        }
        if (cols == NULL || z == NULL || (with_labels && (labels == NULL || fwd == NULL)))
            rc = qf_err_set(&err, QF_ENOMEM, "features: out of memory");
    }
    if (rc == QF_OK && with_labels)
        rc = qf_label_triple_barrier(b.close, b.n, &lp, labels, &err);
    if (rc == QF_OK && with_labels)
        rc = qf_forward_log_return(b.close, b.n, lp.max_holding_bars, fwd, &err);
    if (rc == QF_OK)
        rc = qf_features_compute(&b, &p, cols, &err);
    /* Bar t's snapshot is at most one bar old at its close. */
    if (rc == QF_OK && books.n > 0)
        rc = qf_book_features(b.open_time, b.n, tf.ms, books.v, books.n, tf.ms,
                              QF_BOOK_IMBALANCE_LEVELS, cols + QF_TECH_FEATURES * b.n,
                              cols + (QF_TECH_FEATURES + 1) * b.n, &err);
    if (rc == QF_OK && normalized) {
        rc = qf_zscore_rolling_columns(cols, b.n, n_cols, cli->cfg.features.normalization.window,
                                       cli->cfg.features.normalization.shift, 0, z, &err);
        double *raw = cols; /* the z-scores are what gets written */
        cols = z;
        z = raw;
    }
    if (rc == QF_OK)
        rc = write_csv(out, &b, cols, n_cols, labels, fwd, &err);
    if (rc == QF_OK && strcmp(out, "-") != 0 && !cli->json)
        printf("%s: %zu bars x %zu %s features (technical v1%s)%s\n", out, b.n, n_cols,
               normalized ? "normalized" : "raw", books.n > 0 ? " + order book" : "",
               with_labels ? " + label, forward_log_return" : "");
    free(cols);
    free(z);
    free(labels);
    free(fwd);
    qf_books_cleanup(&books);
    qf_bars_cleanup(&b);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return QF_EXIT_OK;
}
