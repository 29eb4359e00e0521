/*
 * cmd_import.c - `quantflow import FILE...`: Binance kline CSV into the store.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/time.h"
#include "market/import.h"

#define MAX_BAD_PRINTED 20

static void import_usage(FILE *out)
{
    fprintf(out,
            "usage: quantflow import [options] FILE...\n\n"
            "Imports Binance kline CSV files (the bundled layout with a header, or the\n"
            "headerless 12-column layout of Binance's public dumps, ms or us timestamps).\n"
            "Symbol and timeframe come from the file name (BTCUSDT-4h.csv -> BTC/USDT 4h)\n"
            "unless given. Bad rows are reported with file:line and skipped; gaps are\n"
            "reported, never filled. Re-importing the same file changes no row.\n\n"
            "options:\n"
            "  --exchange NAME    exchange of the data (default binance)\n"
            "  --symbol S         symbol as BASE/QUOTE, e.g. BTC/USDT\n"
            "  --timeframe TF     1m 5m 15m 1h 4h 1d\n"
            "  --strict           reject a file with any bad row; write nothing from it\n"
            "  --skip-existing    skip a file whose series already has stored bars\n"
            "  --batch N          rows per transaction (default %d)\n"
            "  --quiet            print only errors\n",
            QF_IMPORT_DEFAULT_BATCH);
}

typedef struct import_ctx {
    const char *file;
    size_t bad_printed;
    size_t bad_total;
    qf_progress progress;
} import_ctx;

static void on_bad_row(void *p, const char *message)
{
    import_ctx *ctx = p;
    ctx->bad_total++;
    if (ctx->bad_printed < MAX_BAD_PRINTED) {
        ctx->bad_printed++;
        fprintf(stderr, "%s\n", message);
    } else if (ctx->bad_printed == MAX_BAD_PRINTED) {
        ctx->bad_printed++;
        fprintf(stderr, "%s: more bad rows; only the first %d are shown\n", ctx->file,
                MAX_BAD_PRINTED);
    }
}

static void on_progress(void *p, size_t done, size_t total)
{
    import_ctx *ctx = p;
    qf_progress_update(&ctx->progress, done, total);
}

static void print_report(const char *path, const qf_import_report *r)
{
    printf("%s: %s %s %s: %zu rows read, %lld imported (%lld new, %lld updated, %lld unchanged), "
           "%zu skipped, %zu duplicates, %zu gaps (%zu bars missing), %.2f s\n",
           path, r->key.exchange, r->key.symbol, r->key.timeframe, r->rows_read,
           (long long)(r->inserted + r->updated), (long long)r->inserted, (long long)r->updated,
           (long long)r->unchanged, r->bad_rows, r->duplicates, r->gaps, r->missing_bars,
           r->seconds);
    for (size_t i = 0; i < r->n_gap_samples; i++) {
        char iso[QF_ISO_MAX];
        printf("  gap: %lld bar(s) missing from %s\n", (long long)r->gap_bars[i],
               qf_time_format_iso(r->gap_first_missing[i], iso, sizeof iso));
    }
    if (r->gaps > r->n_gap_samples)
        printf("  ... and %zu more gap(s)\n", r->gaps - r->n_gap_samples);
    if (r->unsorted)
        printf("  note: rows were out of time order and were sorted\n");
}

static json_t *report_json(const char *path, const qf_import_report *r, const qf_err *err)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(path));
    if (err != NULL) {
        json_object_set_new(o, "error", json_string(err->msg));
        return o;
    }
    json_object_set_new(o, "exchange", json_string(r->key.exchange));
    json_object_set_new(o, "symbol", json_string(r->key.symbol));
    json_object_set_new(o, "timeframe", json_string(r->key.timeframe));
    json_object_set_new(o, "rows_read", json_integer((json_int_t)r->rows_read));
    json_object_set_new(o, "inserted", json_integer(r->inserted));
    json_object_set_new(o, "updated", json_integer(r->updated));
    json_object_set_new(o, "unchanged", json_integer(r->unchanged));
    json_object_set_new(o, "skipped", json_integer((json_int_t)r->bad_rows));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)r->duplicates));
    json_object_set_new(o, "gaps", json_integer((json_int_t)r->gaps));
    json_object_set_new(o, "missing_bars", json_integer((json_int_t)r->missing_bars));
    json_object_set_new(o, "first_open_time", json_integer(r->first_open_time));
    json_object_set_new(o, "last_open_time", json_integer(r->last_open_time));
    json_object_set_new(o, "seconds", json_real(r->seconds));
    return o;
}

/* Returns 1 when --skip-existing applies to this file's series. */
static int already_stored(qf_store *store, const char *path, const qf_import_options *opt)
{
    qf_series_key key;
    qf_err err;
    int64_t count = 0;
    if (qf_import_series_from_name(path, opt, &key, &err) != QF_OK)
        return 0;
    if (qf_store_count_candles(store, &key, &count, &err) != QF_OK)
        return 0;
    return count > 0;
}

static int parse_import_args(int argc, char **argv, qf_import_options *opt, int *skip, int *quiet)
{
    static const struct option opts[] = {{"exchange", required_argument, NULL, 'e'},
                                         {"symbol", required_argument, NULL, 's'},
                                         {"timeframe", required_argument, NULL, 't'},
                                         {"strict", no_argument, NULL, 'S'},
                                         {"skip-existing", no_argument, NULL, 'k'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'e':
            opt->exchange = optarg;
            break;
        case 's':
            opt->symbol = optarg;
            break;
        case 't':
            opt->timeframe = optarg;
            break;
        case 'S':
            opt->strict = 1;
            break;
        case 'k':
            *skip = 1;
            break;
        case 'q':
            *quiet = 1;
            break;
        case 'b':
            opt->batch_rows = (size_t)strtoull(optarg, &end, 10);
            if (*end != '\0' || opt->batch_rows == 0 || optarg[0] == '-') {
                fprintf(stderr, "quantflow import: --batch must be a positive integer\n");
                return QF_EXIT_USAGE;
            }
            break;
        case 'h':
            import_usage(stdout);
            return -1;
        default:
            import_usage(stderr);
            return QF_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "quantflow import: no file given\n");
        import_usage(stderr);
        return QF_EXIT_USAGE;
    }
    return QF_EXIT_OK;
}

int qf_cmd_import(qf_cli *cli, int argc, char **argv)
{
    qf_import_options opt;
    memset(&opt, 0, sizeof opt);
    int skip = 0, quiet = 0;
    int code = parse_import_args(argc, argv, &opt, &skip, &quiet);
    if (code != QF_EXIT_OK)
        return code < 0 ? QF_EXIT_OK : code;
    qf_store *store = NULL;
    qf_err err;
    if (qf_cli_open_store(cli, &store, &err) != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    json_t *all = cli->json ? json_array() : NULL;
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        if (skip && already_stored(store, path, &opt)) {
            if (!quiet && !cli->json)
                printf("%s: series already stored, skipped (--skip-existing)\n", path);
            continue;
        }
        import_ctx ctx = {.file = path};
        qf_progress_init(&ctx.progress, cli->tty && !quiet, path);
        opt.on_bad_row = on_bad_row;
        opt.on_progress = on_progress;
        opt.ctx = &ctx;
        qf_import_report rep;
        qf_rc rc = qf_import_file(store, path, &opt, &rep, &err);
        qf_progress_done(&ctx.progress);
        if (rc != QF_OK) {
            qf_cli_error(&err);
            failed = 1;
        } else if (!quiet && !cli->json) {
            print_report(path, &rep);
        }
        if (all != NULL)
            json_array_append_new(all, report_json(path, &rep, rc != QF_OK ? &err : NULL));
    }
    if (all != NULL) {
        json_dumpf(all, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
        json_decref(all);
    }
    qf_store_close(store);
    return failed ? QF_EXIT_FAIL : QF_EXIT_OK;
}
