/*
 * cmd_sentiment.c - `quantflow sentiment import FILE...` (news sentiment
 * events, JSON Lines or the headlines CSV, into sentiment_events) and
 * `quantflow sentiment score --symbol S [--at TIME]` (the score the strategy
 * would see as of TIME, with the events behind it).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/time.h"
#include "signal/sentiment.h"
#include "signal/sentiment_parse.h"

/* Larger files are refused (a JSON Lines export of years of news is far
 * smaller). */
#define FILE_MAX (256L * 1024 * 1024)

static void sentiment_usage(FILE *out)
{
    fprintf(out,
            "usage: quantflow sentiment import [--quiet] FILE...\n"
            "       quantflow sentiment score --symbol S [--at TIME] [--all]\n\n"
            "import  loads news sentiment events into the store. FILE is JSON Lines (one\n"
            "        object per line: published_at (ISO 8601 UTC or ms), source, title,\n"
            "        score in [-1, 1], confidence in [0, 1], optional symbol, url, label) or\n"
            "        the headlines CSV (published_at_utc,source,title,label, e.g.\n"
            "        data/news/headlines.csv; labels positive/neutral/negative become\n"
            "        scores +1/0/-1 with confidence %.1f). Any bad line rejects the whole\n"
            "        file, naming the line; nothing of it is written. Re-importing a file\n"
            "        changes nothing (events are keyed by time, source, symbol and title).\n"
            "score   prints the sentiment score of a market as of TIME (ISO 8601 UTC or ms;\n"
            "        default now) from the events published at or before it, after the\n"
            "        filters of the sentiment.* configuration, and the events counted.\n\n"
            "options:\n"
            "  --quiet       import: print only errors\n"
            "  --symbol S    score: the market, BASE/QUOTE (its asset's and market-wide\n"
            "                news count too)\n"
            "  --at TIME     score: the time, default now\n"
            "  --all         score: list every event of the window with what the filters\n"
            "                did to it, not only those counted\n",
            QF_SENTIMENT_WEAK_LABEL_CONFIDENCE);
}

/* ---- import ------------------------------------------------------------------- */

/* Reads a whole regular file into a malloc'd buffer. */
static qf_rc read_file(const char *path, char **out, size_t *out_len, qf_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return qf_err_set(err, QF_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    qf_rc rc = QF_OK;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode))
        rc = qf_err_set(err, QF_EIO, "%s: not a regular file", path);
    else if (sb.st_size > FILE_MAX)
        rc = qf_err_set(err, QF_EINVAL, "%s: larger than %ld MiB", path, FILE_MAX >> 20);
    char *buf = rc == QF_OK ? malloc((size_t)sb.st_size + 1) : NULL;
    if (rc == QF_OK && buf == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "%s: out of memory", path);
    size_t n = rc == QF_OK ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
    if (rc == QF_OK && (n != (size_t)sb.st_size || ferror(f)))
        rc = qf_err_set(err, QF_EIO, "%s: read error", path);
    fclose(f);
    if (rc != QF_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return QF_OK;
}

typedef struct import_result {
    qf_sentiment_parse_report rep;
    qf_upsert_stats stats;
    double seconds;
} import_result;

static qf_rc import_file(qf_store *store, const char *path, import_result *res, qf_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int64_t t0 = qf_time_now_ms();
    qf_rc rc = read_file(path, &text, &len, err);
    if (rc != QF_OK)
        return rc;
    qf_sentiment_events ev;
    qf_sentiment_events_init(&ev);
    rc = qf_sentiment_parse_text(text, len, path, &ev, &res->rep, err);
    free(text);
    if (rc == QF_OK)
        rc = qf_store_insert_sentiment_events(store, ev.v, ev.n, &res->stats, err);
    qf_sentiment_events_cleanup(&ev);
    res->seconds = (double)(qf_time_now_ms() - t0) / 1000.0;
    return rc;
}

static void print_import(const char *path, const import_result *r)
{
    size_t kept = r->rep.events - r->rep.duplicates;
    printf("%s: %s: %zu events read, %lld new, %lld updated, %lld unchanged, %zu duplicate "
           "lines, %zu tagged with an asset or symbol, %zu market-wide, %.2f s\n",
           path, qf_sentiment_format_name(r->rep.format), r->rep.events,
           (long long)r->stats.inserted, (long long)r->stats.updated, (long long)r->stats.unchanged,
           r->rep.duplicates, r->rep.tagged, kept - r->rep.tagged, r->seconds);
}

static json_t *import_json(const char *path, const import_result *r, const qf_err *err)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(path));
    if (err != NULL) {
        json_object_set_new(o, "error", json_string(err->msg));
        return o;
    }
    json_object_set_new(o, "format", json_string(qf_sentiment_format_name(r->rep.format)));
    json_object_set_new(o, "events", json_integer((json_int_t)r->rep.events));
    json_object_set_new(o, "inserted", json_integer(r->stats.inserted));
    json_object_set_new(o, "updated", json_integer(r->stats.updated));
    json_object_set_new(o, "unchanged", json_integer(r->stats.unchanged));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)r->rep.duplicates));
    json_object_set_new(o, "tagged", json_integer((json_int_t)r->rep.tagged));
    json_object_set_new(o, "seconds", json_real(r->seconds));
    return o;
}

static int cmd_import(qf_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int quiet = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        if (c == 'q') {
            quiet = 1;
        } else if (c == 'h') {
            sentiment_usage(stdout);
            return QF_EXIT_OK;
        } else {
            sentiment_usage(stderr);
            return QF_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "quantflow sentiment import: no file given\n");
        return QF_EXIT_USAGE;
    }
    qf_store *store = NULL;
    qf_err err;
    if (qf_cli_open_store(cli, &store, &err) != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    json_t *all = cli->json ? json_array() : NULL;
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        import_result res;
        memset(&res, 0, sizeof res);
        qf_rc rc = import_file(store, argv[i], &res, &err);
        if (rc != QF_OK) {
            qf_cli_error(&err);
            failed = 1;
        } else if (!quiet && all == NULL) {
            print_import(argv[i], &res);
        }
        if (all != NULL)
            json_array_append_new(all, import_json(argv[i], &res, rc != QF_OK ? &err : NULL));
    }
    if (all != NULL) {
        json_dumpf(all, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
        json_decref(all);
    }
    qf_store_close(store);
    return failed ? QF_EXIT_FAIL : QF_EXIT_OK;
}

/* ---- score -------------------------------------------------------------------- */

typedef struct score_args {
    const char *symbol;
    int64_t at;
    int all;
} score_args;

/* ISO 8601, integer ms or "now". */
static qf_rc parse_at(const char *s, int64_t *out, qf_err *err)
{
    if (strcmp(s, "now") == 0) {
        *out = qf_time_now_ms();
        return QF_OK;
    }
    char *end = NULL;
    errno = 0;
    long long ms = strtoll(s, &end, 10);
    if (end != s && *end == '\0' && errno == 0 && s[0] != '-') {
        *out = ms;
        return QF_OK;
    }
    if (qf_time_parse_iso(s, out, NULL) != QF_OK)
        return qf_err_set(err, QF_EINVAL,
                          "--at '%s' is neither an ISO 8601 time (2022-05-10T08:00:00Z) nor "
                          "milliseconds",
                          s);
    return QF_OK;
}

static int parse_score_args(int argc, char **argv, score_args *a)
{
    static const struct option opts[] = {{"symbol", required_argument, NULL, 's'},
                                         {"at", required_argument, NULL, 't'},
                                         {"all", no_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *at = "now";
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's') {
            a->symbol = optarg;
        } else if (c == 't') {
            at = optarg;
        } else if (c == 'a') {
            a->all = 1;
        } else if (c == 'h') {
            sentiment_usage(stdout);
            return -1;
        } else {
            sentiment_usage(stderr);
            return QF_EXIT_USAGE;
        }
    }
    qf_err err;
    if (a->symbol == NULL || optind < argc) {
        fprintf(stderr, "quantflow sentiment score: %s\n",
                a->symbol == NULL ? "--symbol is required" : "unexpected arguments");
        return QF_EXIT_USAGE;
    }
    if (parse_at(at, &a->at, &err) != QF_OK) {
        fprintf(stderr, "quantflow sentiment score: %s\n", err.msg);
        return QF_EXIT_USAGE;
    }
    return QF_EXIT_OK;
}

/* Whether an event's status is about the window [at - staleness, at]. */
static int in_window(qf_sentiment_status st)
{
    return st != QF_SENTIMENT_FUTURE && st != QF_SENTIMENT_STALE;
}

/* What a score shows: the events of the window and what happened to them. */
typedef struct score_view {
    qf_sentiment_events ev;
    qf_sentiment_result res;
    qf_sentiment_status *status;
    double *weight;
} score_view;

static qf_rc compute(qf_store *store, const qf_sentiment_params *p, const score_args *a,
                     score_view *v, qf_err *err)
{
    int64_t stale = (int64_t)llround(p->staleness_hours * 3600000.0);
    int64_t from = a->at < INT64_MIN + stale ? INT64_MIN : a->at - stale;
    qf_rc rc = qf_store_query_sentiment_events(store, a->symbol, from, a->at, &v->ev, err);
    if (rc != QF_OK)
        return rc;
    size_t n = v->ev.n > 0 ? v->ev.n : 1;
    v->status = malloc(n * sizeof *v->status);
    v->weight = malloc(n * sizeof *v->weight);
    if (v->status == NULL || v->weight == NULL)
        return qf_err_set(err, QF_ENOMEM, "out of memory scoring %zu events", v->ev.n);
    qf_sentiment_scorer *s = NULL;
    rc = qf_sentiment_scorer_new(p, v->ev.v, v->ev.n, &s, err);
    if (rc != QF_OK)
        return rc;
    qf_sentiment_scorer_explain(s, a->at, &v->res, v->status, v->weight);
    qf_sentiment_scorer_free(s);
    return QF_OK;
}

static void print_score(const score_args *a, const qf_sentiment_params *p, const score_view *v)
{
    char iso[QF_ISO_MAX];
    const qf_sentiment_result *r = &v->res;
    qf_time_format_iso(a->at, iso, sizeof iso);
    if (r->visible == 0) {
        printf("%s sentiment as of %s: 0 (neutral): no news in the %g h before it\n", a->symbol,
               iso, p->staleness_hours);
        return;
    }
    printf("%s sentiment as of %s: %+.4f from %zu event(s) (%zu in the %g h before it: %zu "
           "duplicate(s), %zu burst repeat(s), %zu over the per-source cap of %d)\n",
           a->symbol, iso, r->score, r->counted, r->visible, p->staleness_hours, r->duplicates,
           r->bursts, r->capped, p->max_events_per_source);
    printf("  %-20s  %-16s %6s %5s %8s  %-9s %s\n", "PUBLISHED (UTC)", "SOURCE", "SCORE", "CONF",
           "WEIGHT", "STATUS", "TITLE");
    for (size_t i = v->ev.n; i-- > 0;) {
        if (v->status[i] != QF_SENTIMENT_COUNTED && !(a->all && in_window(v->status[i])))
            continue;
        const qf_sentiment_event *e = &v->ev.v[i];
        printf("  %-20s  %-16.16s %+6.2f %5.2f %8.4f  %-9s %s\n",
               qf_time_format_iso(e->time, iso, sizeof iso), e->source, e->score, e->confidence,
               v->weight[i], qf_sentiment_status_name(v->status[i]), e->title);
    }
}

static void print_score_json(const score_args *a, const score_view *v)
{
    char iso[QF_ISO_MAX];
    const qf_sentiment_result *r = &v->res;
    json_t *o = json_object();
    json_object_set_new(o, "symbol", json_string(a->symbol));
    json_object_set_new(o, "at", json_string(qf_time_format_iso(a->at, iso, sizeof iso)));
    json_object_set_new(o, "at_ms", json_integer(a->at));
    json_object_set_new(o, "score", json_real(r->score));
    json_object_set_new(o, "weight", json_real(r->weight));
    json_object_set_new(o, "visible", json_integer((json_int_t)r->visible));
    json_object_set_new(o, "counted", json_integer((json_int_t)r->counted));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)r->duplicates));
    json_object_set_new(o, "bursts", json_integer((json_int_t)r->bursts));
    json_object_set_new(o, "capped", json_integer((json_int_t)r->capped));
    json_t *events = json_array();
    for (size_t i = 0; i < v->ev.n; i++) {
        if (!in_window(v->status[i]))
            continue;
        const qf_sentiment_event *e = &v->ev.v[i];
        json_t *j = json_object();
        json_object_set_new(j, "published_at", json_integer(e->time));
        json_object_set_new(j, "source", json_string(e->source));
        json_object_set_new(j, "title", json_string(e->title));
        json_object_set_new(j, "symbol", e->symbol ? json_string(e->symbol) : json_null());
        json_object_set_new(j, "score", json_real(e->score));
        json_object_set_new(j, "confidence", json_real(e->confidence));
        json_object_set_new(j, "status", json_string(qf_sentiment_status_name(v->status[i])));
        json_object_set_new(j, "weight", json_real(v->weight[i]));
        json_array_append_new(events, j);
    }
    json_object_set_new(o, "events", events);
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    fputc('\n', stdout);
    json_decref(o);
}

static int cmd_score(qf_cli *cli, int argc, char **argv)
{
    score_args a = {NULL, 0, 0};
    int code = parse_score_args(argc, argv, &a);
    if (code != QF_EXIT_OK)
        return code < 0 ? QF_EXIT_OK : code;
    qf_err err;
    qf_sentiment_params p;
    qf_store *store = NULL;
    score_view v;
    memset(&v, 0, sizeof v);
    qf_sentiment_events_init(&v.ev);
    qf_rc rc = qf_sentiment_params_from_config(&cli->cfg.sentiment, &p, &err);
    if (rc == QF_OK)
        rc = qf_cli_open_store(cli, &store, &err);
    if (rc == QF_OK)
        rc = compute(store, &p, &a, &v, &err);
    qf_store_close(store);
    if (rc == QF_OK && cli->json)
        print_score_json(&a, &v);
    else if (rc == QF_OK)
        print_score(&a, &p, &v);
    else
        qf_cli_error(&err);
    free(v.status);
    free(v.weight);
    qf_sentiment_events_cleanup(&v.ev);
    return rc == QF_OK ? QF_EXIT_OK : QF_EXIT_FAIL;
}

int qf_cmd_sentiment(qf_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        sentiment_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? QF_EXIT_USAGE : QF_EXIT_OK;
    }
    if (strcmp(argv[1], "import") == 0)
        return cmd_import(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "score") == 0)
        return cmd_score(cli, argc - 1, argv + 1);
    fprintf(stderr, "quantflow sentiment: unknown subcommand '%s'\n\n", argv[1]);
    sentiment_usage(stderr);
    return QF_EXIT_USAGE;
}
