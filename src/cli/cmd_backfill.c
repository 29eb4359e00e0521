/*
 * cmd_backfill.c - `quantflow backfill`: closed candles from an exchange
 * into the store (market/backfill.h), with a progress bar on a terminal, a
 * clean stop on SIGINT after the page in flight, and a summary.
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/time.h"
#include "market/backfill.h"

#define MAX_SYMBOLS 64

static volatile sig_atomic_t g_stop;

static void on_sigint(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void backfill_usage(FILE *out)
{
    fprintf(out, "usage: quantflow backfill [options]\n\n"
                 "Fetches closed candles from the exchange into the store: from the last stored\n"
                 "bar (or --since when nothing before it is stored) up to the newest closed bar,\n"
                 "one transaction per page, then refetches the gaps it finds. Re-running is\n"
                 "safe and resumes; Ctrl-C stops after the page in flight. The bar still\n"
                 "forming is never stored.\n\n"
                 "options:\n"
                 "  --exchange NAME    binance (default) or coinbase\n"
                 "  --symbols LIST     comma-separated BASE/QUOTE (default universe.symbols)\n"
                 "  --timeframe TF     1m 5m 15m 1h 4h 1d (default universe.timeframe)\n"
                 "  --since DATE       ISO 8601 start when nothing before it is stored\n"
                 "                     (default: now - universe.lookback_days for a new series)\n"
                 "  --no-repair        report gaps without refetching them\n"
                 "  --json             print the summary as JSON\n"
                 "  --quiet            print only errors\n");
}

typedef struct bf_args {
    const char *exchange;
    char *symbols_arg;
    const char *symbols[MAX_SYMBOLS];
    size_t n_symbols;
    const char *timeframe;
    int64_t since;
    int no_repair, json, quiet;
} bf_args;

static int split_symbols(bf_args *a)
{
    for (char *p = a->symbols_arg; p != NULL && *p != '\0';) {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        if (*p != '\0') {
            if (a->n_symbols == MAX_SYMBOLS) {
                fprintf(stderr, "quantflow backfill: more than %d symbols\n", MAX_SYMBOLS);
                return QF_EXIT_USAGE;
            }
            a->symbols[a->n_symbols++] = p;
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    if (a->n_symbols == 0) {
        fprintf(stderr, "quantflow backfill: --symbols is empty\n");
        return QF_EXIT_USAGE;
    }
    return QF_EXIT_OK;
}

static int parse_args(int argc, char **argv, bf_args *a)
{
    static const struct option opts[] = {{"exchange", required_argument, NULL, 'e'},
                                         {"symbols", required_argument, NULL, 's'},
                                         {"timeframe", required_argument, NULL, 't'},
                                         {"since", required_argument, NULL, 'S'},
                                         {"no-repair", no_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    qf_err err;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            a->exchange = optarg;
            break;
        case 's':
            a->symbols_arg = optarg;
            break;
        case 't':
            a->timeframe = optarg;
            break;
        case 'S':
            if (qf_time_parse_iso(optarg, &a->since, &err) != QF_OK) {
                fprintf(stderr, "quantflow backfill: --since: %s\n", err.msg);
                return QF_EXIT_USAGE;
            }
            break;
        case 'n':
            a->no_repair = 1;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'q':
            a->quiet = 1;
            break;
        case 'h':
            backfill_usage(stdout);
            return -1;
        default:
            backfill_usage(stderr);
            return QF_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "quantflow backfill: unexpected argument '%s'\n", argv[optind]);
        return QF_EXIT_USAGE;
    }
    return a->symbols_arg != NULL ? split_symbols(a) : QF_EXIT_OK;
}

typedef struct bf_progress {
    qf_progress bar;
    char label[64];
    size_t shown; /* symbol index the bar is labelled for, +1 */
} bf_progress;

static void on_progress(void *ctx, const char *symbol, size_t i, size_t n, double fraction)
{
    bf_progress *p = ctx;
    if (p->shown != i + 1) {
        qf_progress_done(&p->bar);
        snprintf(p->label, sizeof p->label, "%s (%zu/%zu)", symbol, i + 1, n);
        qf_progress_init(&p->bar, p->bar.enabled, p->label);
        p->shown = i + 1;
    }
    qf_progress_update(&p->bar, (size_t)(fraction * 1000.0 + 0.5), 1000);
}

static void print_summary(const bf_args *a, const qf_backfill_stats *s, qf_rc rc)
{
    printf("backfill %s %s: %lld inserted, %lld updated, %lld unchanged; %lld requests, "
           "weight %lld; gaps %lld found, %lld repaired, %lld real (%lld bars the exchange "
           "does not have)%s\n",
           a->exchange, a->timeframe, (long long)s->inserted, (long long)s->updated,
           (long long)s->unchanged, (long long)s->requests, (long long)s->weight,
           (long long)s->gaps_found, (long long)s->gaps_repaired, (long long)s->gaps_real,
           (long long)s->bars_missing_real, rc == QF_EINTR ? " (interrupted)" : "");
}

static void print_json(const bf_args *a, const qf_backfill_stats *s, qf_rc rc, const qf_err *err)
{
    json_t *o = json_object();
    json_t *syms = json_array();
    for (size_t i = 0; i < a->n_symbols; i++)
        json_array_append_new(syms, json_string(a->symbols[i]));
    json_object_set_new(o, "exchange", json_string(a->exchange));
    json_object_set_new(o, "symbols", syms);
    json_object_set_new(o, "timeframe", json_string(a->timeframe));
    json_object_set_new(o, "inserted", json_integer(s->inserted));
    json_object_set_new(o, "updated", json_integer(s->updated));
    json_object_set_new(o, "unchanged", json_integer(s->unchanged));
    json_object_set_new(o, "requests", json_integer(s->requests));
    json_object_set_new(o, "weight", json_integer(s->weight));
    json_object_set_new(o, "gaps_found", json_integer(s->gaps_found));
    json_object_set_new(o, "gaps_repaired", json_integer(s->gaps_repaired));
    json_object_set_new(o, "gaps_real", json_integer(s->gaps_real));
    json_object_set_new(o, "bars_missing_real", json_integer(s->bars_missing_real));
    json_object_set_new(o, "interrupted", json_boolean(rc == QF_EINTR));
    json_object_set_new(o, "error", rc == QF_OK ? json_null() : json_string(err->msg));
    json_dumpf(o, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(o);
}

int qf_cmd_backfill(qf_cli *cli, int argc, char **argv)
{
    bf_args a = {.exchange = "binance", .since = QF_BACKFILL_NO_SINCE};
    int code = parse_args(argc, argv, &a);
    if (code != QF_EXIT_OK)
        return code < 0 ? QF_EXIT_OK : code;
    if (a.symbols_arg == NULL) {
        for (size_t i = 0; i < cli->cfg.universe.n_symbols && i < MAX_SYMBOLS; i++)
            a.symbols[a.n_symbols++] = cli->cfg.universe.symbols[i];
    }
    if (a.timeframe == NULL)
        a.timeframe = cli->cfg.universe.timeframe;
    a.json = a.json || cli->json;
    qf_err err;
    qf_store *store = NULL;
    qf_exchange *ex = NULL;
    if (qf_exchange_open(&cli->cfg, a.exchange, &ex, &err) != QF_OK ||
        qf_cli_open_store(cli, &store, &err) != QF_OK) {
        qf_cli_error(&err);
        qf_exchange_close(ex);
        return QF_EXIT_FAIL;
    }
    bf_progress prog = {0};
    qf_progress_init(&prog.bar, cli->tty && !a.quiet && !a.json, "backfill");
    int64_t lookback = (int64_t)cli->cfg.universe.lookback_days * QF_MS_PER_DAY;
    qf_backfill_opts o = {
        .symbols = a.symbols,
        .n_symbols = a.n_symbols,
        .timeframe = a.timeframe,
        .since_ms = a.since,
        .fallback_since_ms = lookback > 0 ? qf_time_now_ms() - lookback : 0,
        .no_repair = a.no_repair != 0,
        .progress = on_progress,
        .progress_ctx = &prog,
        .stop = &g_stop,
    };
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    qf_exchange_set_stop(ex, &g_stop); /* also ends a wait for the rate limit */
    qf_backfill_stats st;
    qf_rc rc = qf_backfill(store, ex, &o, &st, &err);
    qf_exchange_set_stop(ex, NULL);
    sigaction(SIGINT, &old, NULL);
    qf_progress_done(&prog.bar);
    if (rc != QF_OK && rc != QF_EINTR)
        qf_cli_error(&err);
    if (a.json)
        print_json(&a, &st, rc, &err);
    else if (!a.quiet)
        print_summary(&a, &st, rc);
    qf_exchange_close(ex);
    qf_store_close(store);
    return rc == QF_OK ? QF_EXIT_OK : QF_EXIT_FAIL;
}
