/*
 * cmd_risk.c - `quantflow risk status|kill|reset`: the persisted kill switch
 * of a live or paper account and its audit trail.
 *
 *   status   the switch (engaged or released, since when, by whom, why) and
 *            the newest risk events
 *   kill     engages the switch by hand (--reason required)
 *   reset    releases it (--reason required): the only way trading resumes
 *            after the switch tripped
 *
 * The account defaults to execution.mode ("paper" or "live"), the actor to
 * the login name ($USER, else $LOGNAME, else "operator").
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/time.h"
#include "risk/killswitch.h"

#define EVENTS_DEFAULT 10
#define EVENTS_MAX     1000

typedef struct risk_opts {
    const char *account;
    const char *actor;
    const char *reason; /* kill, reset */
    long events;        /* status */
} risk_opts;

static int risk_usage(FILE *out, int code)
{
    fprintf(out,
            "usage: quantflow risk status [--account NAME] [--events N]\n"
            "       quantflow risk kill --reason TEXT [--actor NAME] [--account NAME]\n"
            "       quantflow risk reset --reason TEXT [--actor NAME] [--account NAME]\n\n"
            "The kill switch stops an account from taking new risk: while it is engaged\n"
            "the risk checks refuse every order except those that only reduce a position.\n"
            "The risk checks ask for it when the drawdown reaches risk.max_drawdown_pct;\n"
            "'risk kill' engages it by hand. It stays engaged across restarts until\n"
            "'risk reset' releases it. Every change is recorded with its time, actor and\n"
            "reason (table risk_events).\n\n"
            "status   shows the switch and the newest risk events (--json for JSON)\n"
            "kill     engages the switch by hand\n"
            "reset    releases the switch; a reason is required\n\n"
            "options:\n"
            "  --account NAME   account (default: execution.mode, i.e. paper or live)\n"
            "  --reason TEXT    why (kill, reset; required, 1..511 bytes)\n"
            "  --actor NAME     who (default: $USER)\n"
            "  --events N       events shown by status (default %d, at most %d)\n",
            EVENTS_DEFAULT, EVENTS_MAX);
    return code;
}

static const char *default_actor(void)
{
    const char *names[] = {"USER", "LOGNAME"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        if (v != NULL && v[0] != '\0')
            return v;
    }
    return "operator";
}

/* Nothing but spaces and tabs (or nothing at all). */
static int blank(const char *s)
{
    return s == NULL || s[strspn(s, " \t")] == '\0';
}

static int parse_events(const char *arg, long *out)
{
    char *end = NULL;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || v < 0 || v > EVENTS_MAX)
        return -1;
    *out = v;
    return 0;
}

static int events_usage(void)
{
    fprintf(stderr, "quantflow: --events must be a whole number 0..%d\n", EVENTS_MAX);
    return QF_EXIT_USAGE;
}

/* Parses the options after the action; returns -1 when fine, else the exit
 * code (help or a usage error). */
static int parse_opts(int argc, char **argv, risk_opts *o)
{
    static const struct option opts[] = {
        {"account", required_argument, NULL, 'a'}, {"actor", required_argument, NULL, 'u'},
        {"reason", required_argument, NULL, 'r'},  {"events", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'a')
            o->account = optarg;
        else if (c == 'u')
            o->actor = optarg;
        else if (c == 'r')
            o->reason = optarg;
        else if (c == 'n' && parse_events(optarg, &o->events) != 0)
            return events_usage();
        else if (c == 'n')
            continue;
        else if (c == 'h')
            return risk_usage(stdout, QF_EXIT_OK);
        else
            return risk_usage(stderr, QF_EXIT_USAGE);
    }
    if (optind < argc)
        return risk_usage(stderr, QF_EXIT_USAGE);
    return -1;
}

static json_t *switch_json(const char *account, const qf_kill_switch_state *k)
{
    char iso[QF_ISO_MAX];
    json_t *o = json_object();
    json_object_set_new(o, "account", json_string(account));
    json_object_set_new(o, "engaged", json_boolean(k->engaged));
    if (k->changed_at == 0) {
        json_object_set_new(o, "changed_at", json_null());
        json_object_set_new(o, "changed_at_utc", json_null());
        json_object_set_new(o, "changed_by", json_null());
        json_object_set_new(o, "reason", json_null());
        return o;
    }
    json_object_set_new(o, "changed_at", json_integer(k->changed_at));
    json_object_set_new(o, "changed_at_utc",
                        json_string(qf_time_format_iso(k->changed_at, iso, sizeof iso)));
    json_object_set_new(o, "changed_by", json_string(k->changed_by));
    json_object_set_new(o, "reason", json_string(k->reason));
    return o;
}

static json_t *event_json(const qf_risk_event *e)
{
    char iso[QF_ISO_MAX];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "time", json_integer(e->time));
    json_object_set_new(o, "time_utc", json_string(qf_time_format_iso(e->time, iso, sizeof iso)));
    json_object_set_new(o, "kind", json_string(e->kind));
    json_object_set_new(o, "symbol", e->symbol[0] ? json_string(e->symbol) : json_null());
    json_object_set_new(o, "actor", json_string(e->actor));
    json_object_set_new(o, "message", json_string(e->message));
    json_t *detail = e->detail[0] ? json_loads(e->detail, JSON_DECODE_ANY, NULL) : NULL;
    json_object_set_new(o, "detail", detail != NULL ? detail : json_null());
    return o;
}

static void print_json(json_t *doc)
{
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(doc);
}

static void print_switch(const char *account, const qf_kill_switch_state *k)
{
    char iso[QF_ISO_MAX];
    if (k->changed_at == 0) {
        printf("account %s: kill switch released (never engaged)\n", account);
        return;
    }
    printf("account %s: kill switch %s since %s by %s\n  reason: %s\n", account,
           k->engaged ? "ENGAGED" : "released", qf_time_format_iso(k->changed_at, iso, sizeof iso),
           k->changed_by, k->reason);
}

static void print_events(const qf_risk_event *v, size_t n)
{
    if (n == 0) {
        printf("no risk events recorded\n");
        return;
    }
    printf("last %zu risk event(s), oldest first:\n", n);
    for (size_t i = 0; i < n; i++) {
        char iso[QF_ISO_MAX];
        printf("  %s  %-20s %-10s %-12s %s\n", qf_time_format_iso(v[i].time, iso, sizeof iso),
               v[i].kind, v[i].symbol[0] ? v[i].symbol : "-", v[i].actor, v[i].message);
    }
}

static int risk_status(qf_cli *cli, const risk_opts *o)
{
    qf_store *store = NULL;
    qf_kill_switch_state k;
    qf_risk_event *ev = NULL;
    size_t n = 0;
    qf_err err;
    qf_rc rc = qf_cli_open_store(cli, &store, &err);
    if (rc == QF_OK)
        rc = qf_store_get_kill_switch(store, o->account, &k, &err);
    if (rc == QF_OK && o->events > 0)
        rc = qf_store_list_risk_events(store, o->account, INT64_MIN, INT64_MAX, (size_t)o->events,
                                       &ev, &n, &err);
    qf_store_close(store);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    if (cli->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "kill_switch", switch_json(o->account, &k));
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, event_json(&ev[i]));
        json_object_set_new(doc, "events", arr);
        print_json(doc);
    } else {
        print_switch(o->account, &k);
        if (o->events > 0)
            print_events(ev, n);
    }
    free(ev);
    return QF_EXIT_OK;
}

static void print_change(qf_cli *cli, const qf_killswitch *ks, int engage, int changed)
{
    if (cli->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "changed", json_boolean(changed));
        json_object_set_new(doc, "kill_switch", switch_json(ks->account, &ks->state));
        print_json(doc);
        return;
    }
    if (changed)
        printf("account %s: kill switch %s by %s: %s\n", ks->account,
               engage ? "ENGAGED" : "released", ks->state.changed_by, ks->state.reason);
    else if (engage)
        printf("account %s: kill switch was already engaged; nothing changed\n", ks->account);
    else
        printf("account %s: kill switch is not engaged; nothing changed\n", ks->account);
    if (!changed)
        print_switch(ks->account, &ks->state);
}

static int risk_flip(qf_cli *cli, const risk_opts *o, int engage)
{
    if (blank(o->reason)) {
        fprintf(stderr, "quantflow: risk %s needs --reason TEXT (%s)\n", engage ? "kill" : "reset",
                engage ? "why trading must stop" : "why trading may resume");
        return QF_EXIT_USAGE;
    }
    qf_store *store = NULL;
    qf_killswitch ks;
    int changed = 0;
    qf_err err;
    qf_rc rc = qf_cli_open_store(cli, &store, &err);
    if (rc == QF_OK)
        rc = qf_killswitch_open(&ks, store, o->account, &err);
    if (rc == QF_OK && engage)
        rc = qf_killswitch_trip(&ks, o->reason, o->actor, qf_time_now_ms(), &changed, &err);
    else if (rc == QF_OK)
        rc = qf_killswitch_reset(&ks, o->reason, o->actor, qf_time_now_ms(), &changed, &err);
    if (rc == QF_OK)
        print_change(cli, &ks, engage, changed);
    qf_store_close(store);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return QF_EXIT_OK;
}

int qf_cmd_risk(qf_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return risk_usage(stderr, QF_EXIT_USAGE);
    const char *action = argv[1];
    if (strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0)
        return risk_usage(stdout, QF_EXIT_OK);
    int kind = strcmp(action, "status") == 0  ? 0
               : strcmp(action, "kill") == 0  ? 1
               : strcmp(action, "reset") == 0 ? 2
                                              : -1;
    if (kind < 0) {
        fprintf(stderr, "quantflow risk: unknown action '%s'\n", action);
        return risk_usage(stderr, QF_EXIT_USAGE);
    }
    risk_opts o = {cli->cfg.execution.mode, default_actor(), NULL, EVENTS_DEFAULT};
    int code = parse_opts(argc - 1, argv + 1, &o);
    if (code >= 0)
        return code;
    if (kind == 0 && o.reason != NULL) {
        fprintf(stderr, "quantflow: risk status takes no --reason\n");
        return QF_EXIT_USAGE;
    }
    return kind == 0 ? risk_status(cli, &o) : risk_flip(cli, &o, kind == 1);
}
