/*
 * cmd_data.c - `quantflow data list`: what market data the store holds.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/time.h"

static void data_usage(FILE *out)
{
    fprintf(out, "usage: quantflow data list\n\n"
                 "Lists every stored series (exchange, symbol, timeframe) with its first and\n"
                 "last bar (open time, UTC), bar count and gaps (runs of missing bars).\n"
                 "With the global --json, prints a JSON array instead.\n");
}

static void print_table(const qf_series_info *s, size_t n)
{
    if (n == 0) {
        printf("no market data stored yet (import some with 'quantflow import FILE')\n");
        return;
    }
    printf("%-10s %-12s %-4s %-20s %-20s %8s %5s %8s\n", "EXCHANGE", "SYMBOL", "TF", "FIRST (UTC)",
           "LAST (UTC)", "BARS", "GAPS", "MISSING");
    for (size_t i = 0; i < n; i++) {
        char a[QF_ISO_MAX], b[QF_ISO_MAX];
        printf("%-10s %-12s %-4s %-20s %-20s %8lld %5lld %8lld\n", s[i].key.exchange,
               s[i].key.symbol, s[i].key.timeframe,
               qf_time_format_iso(s[i].first_open_time, a, sizeof a),
               qf_time_format_iso(s[i].last_open_time, b, sizeof b), (long long)s[i].count,
               (long long)s[i].gaps, (long long)s[i].missing_bars);
    }
}

static void print_json(const qf_series_info *s, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char a[QF_ISO_MAX], b[QF_ISO_MAX];
        json_t *o = json_object();
        json_object_set_new(o, "exchange", json_string(s[i].key.exchange));
        json_object_set_new(o, "symbol", json_string(s[i].key.symbol));
        json_object_set_new(o, "timeframe", json_string(s[i].key.timeframe));
        json_object_set_new(o, "first_open_time", json_integer(s[i].first_open_time));
        json_object_set_new(o, "last_open_time", json_integer(s[i].last_open_time));
        json_object_set_new(o, "first",
                            json_string(qf_time_format_iso(s[i].first_open_time, a, sizeof a)));
        json_object_set_new(o, "last",
                            json_string(qf_time_format_iso(s[i].last_open_time, b, sizeof b)));
        json_object_set_new(o, "bars", json_integer(s[i].count));
        json_object_set_new(o, "gaps", json_integer(s[i].gaps));
        json_object_set_new(o, "missing_bars", json_integer(s[i].missing_bars));
        json_array_append_new(arr, o);
    }
    json_dumpf(arr, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(arr);
}

int qf_cmd_data(qf_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        data_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? QF_EXIT_USAGE : QF_EXIT_OK;
    }
    if (strcmp(argv[1], "list") != 0 || argc > 2) {
        fprintf(stderr, "quantflow data: unknown arguments\n");
        data_usage(stderr);
        return QF_EXIT_USAGE;
    }
    qf_store *store = NULL;
    qf_err err;
    qf_series_info *infos = NULL;
    size_t n = 0;
    qf_rc rc = qf_cli_open_store(cli, &store, &err);
    if (rc == QF_OK)
        rc = qf_store_list_series(store, &infos, &n, &err);
    qf_store_close(store);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    if (cli->json)
        print_json(infos, n);
    else
        print_table(infos, n);
    free(infos);
    return QF_EXIT_OK;
}
