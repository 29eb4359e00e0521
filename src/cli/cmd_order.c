/*
 * cmd_order.c - `quantflow order`: one order, paper or live, through the
 * order manager (exec/order_manager.h), after reconciling the account's
 * working orders. The same --bar-time (and symbol, side) is the same signal:
 * re-running the command after a crash finds the order it may have sent
 * instead of sending another.
 *
 * A manual order (no --bar-time) is keyed by the time the command runs, so
 * an identical re-run would be a new order. Two guards keep a re-run from
 * doubling an order whose outcome is unknown: the key is printed with every
 * "unconfirmed" outcome (re-run with --bar-time to look it up), and a manual
 * order is refused while an earlier run left an order of the same symbol and
 * side pending or unconfirmed: that order is looked up and shown instead.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/time.h"
#include "exec/order_manager.h"
#include "exec/paper.h"
#include "market/exchange.h"
#include "market/secrets.h"

static void order_usage(FILE *out)
{
    fprintf(out, "usage: quantflow order --symbol S --side buy|sell --qty Q [options]\n\n"
                 "Places one order through the order manager and prints its state. Quantity\n"
                 "and price are rounded to the symbol's step and tick; an order the exchange\n"
                 "would refuse, or the risk checks refuse, is refused here with the reason.\n"
                 "Working orders of the account are reconciled with the venue first.\n\n"
                 "options:\n"
                 "  --symbol S         BASE/QUOTE, e.g. BTC/USDT\n"
                 "  --side buy|sell\n"
                 "  --qty Q            base quantity (rounded down to the step)\n"
                 "  --limit P          limit price (default: a market order)\n"
                 "  --tif gtc|ioc|fok  time in force of a limit order (default gtc)\n"
                 "  --paper | --live   default: execution.mode\n"
                 "  --exchange NAME    binance (default) or coinbase\n"
                 "  --bar-time T       the signal's bar (ms or ISO 8601): the idempotency key;\n"
                 "                     the same signal never gives two orders (default: a new\n"
                 "                     manual order keyed by the time of the run; refused while\n"
                 "                     an earlier run's order of the symbol and side is still\n"
                 "                     unconfirmed: that one is looked up instead)\n"
                 "  --price P          paper: the latest price (default: the store's latest\n"
                 "                     close, else the exchange's ticker)\n"
                 "  --wait SECONDS     poll until the order is closed (timeouts cancel it)\n"
                 "  --json             print the order as JSON\n\n"
                 "Live orders need the exchange's API key and secret (configuration,\n"
                 "BINANCE_API_KEY / BINANCE_API_SECRET, COINBASE_API_KEY / COINBASE_API_SECRET or\n"
                 "the 0600 secrets file); nothing is asked interactively.\n");
}

typedef struct order_args {
    const char *symbol, *side, *exchange, *tif;
    double qty, limit, price;
    int64_t bar_time;
    int mode; /* 0 config, 1 paper, 2 live */
    int wait_s, json;
} order_args;

static int bad_arg(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "quantflow order: %s '%s': %s\n", opt, val, want);
    return QF_EXIT_USAGE;
}

static int parse_positive(const char *opt, const char *val, double *out)
{
    char *end = NULL;
    double v = strtod(val, &end);
    if (end == val || *end != '\0' || !isfinite(v) || v <= 0.0)
        return bad_arg(opt, val, "expected a positive number");
    *out = v;
    return QF_EXIT_OK;
}

static int parse_bar_time(const char *val, int64_t *out)
{
    char *end = NULL;
    long long v = strtoll(val, &end, 10);
    if (end != val && *end == '\0' && v >= 0) {
        *out = (int64_t)v;
        return QF_EXIT_OK;
    }
    qf_err err;
    if (qf_time_parse_iso(val, out, &err) != QF_OK || *out < 0)
        return bad_arg("--bar-time", val, "expected milliseconds or an ISO 8601 time");
    return QF_EXIT_OK;
}

static int parse_one(int c, const char *val, order_args *a)
{
    switch (c) {
    case 's':
        a->symbol = val;
        return QF_EXIT_OK;
    case 'S':
        a->side = val;
        return QF_EXIT_OK;
    case 'q':
        return parse_positive("--qty", val, &a->qty);
    case 'l':
        return parse_positive("--limit", val, &a->limit);
    case 'p':
        return parse_positive("--price", val, &a->price);
    case 't':
        a->tif = val;
        return QF_EXIT_OK;
    case 'e':
        a->exchange = val;
        return QF_EXIT_OK;
    case 'b':
        return parse_bar_time(val, &a->bar_time);
    case 'P':
        a->mode = 1;
        return QF_EXIT_OK;
    case 'L':
        a->mode = 2;
        return QF_EXIT_OK;
    case 'j':
        a->json = 1;
        return QF_EXIT_OK;
    case 'w': {
        double w;
        int rc = parse_positive("--wait", val, &w);
        a->wait_s = rc == QF_EXIT_OK ? (int)fmin(w, 86400.0) : 0;
        return rc;
    }
    default:
        order_usage(stderr);
        return QF_EXIT_USAGE;
    }
}

static int parse_args(int argc, char **argv, order_args *a)
{
    static const struct option opts[] = {
        {"symbol", required_argument, NULL, 's'},   {"side", required_argument, NULL, 'S'},
        {"qty", required_argument, NULL, 'q'},      {"limit", required_argument, NULL, 'l'},
        {"tif", required_argument, NULL, 't'},      {"paper", no_argument, NULL, 'P'},
        {"live", no_argument, NULL, 'L'},           {"exchange", required_argument, NULL, 'e'},
        {"bar-time", required_argument, NULL, 'b'}, {"price", required_argument, NULL, 'p'},
        {"wait", required_argument, NULL, 'w'},     {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->limit = a->price = NAN;
    a->bar_time = -1;
    a->exchange = "binance";
    a->tif = "gtc";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            order_usage(stdout);
            return -1;
        }
        int rc = parse_one(c, optarg, a);
        if (rc != QF_EXIT_OK)
            return rc;
    }
    if (optind < argc)
        return bad_arg("argument", argv[optind], "unexpected");
    if (!a->symbol || !a->side || a->qty <= 0.0) {
        fprintf(stderr, "quantflow order: --symbol, --side and --qty are required\n");
        return QF_EXIT_USAGE;
    }
    if (strcmp(a->side, "buy") != 0 && strcmp(a->side, "sell") != 0)
        return bad_arg("--side", a->side, "expected buy or sell");
    if (strcmp(a->tif, "gtc") != 0 && strcmp(a->tif, "ioc") != 0 && strcmp(a->tif, "fok") != 0)
        return bad_arg("--tif", a->tif, "expected gtc, ioc or fok");
    if (strcmp(a->exchange, "binance") != 0 && strcmp(a->exchange, "coinbase") != 0)
        return bad_arg("--exchange", a->exchange, "expected binance or coinbase");
    return QF_EXIT_OK;
}

static qf_order_intent make_intent(const order_args *a)
{
    qf_order_intent in;
    memset(&in, 0, sizeof in);
    snprintf(in.symbol, sizeof in.symbol, "%s", a->symbol);
    in.side = strcmp(a->side, "buy") == 0 ? QF_SIDE_BUY : QF_SIDE_SELL;
    in.type = isnan(a->limit) ? QF_ORDER_MARKET : QF_ORDER_LIMIT;
    in.tif = strcmp(a->tif, "ioc") == 0   ? QF_TIF_IOC
             : strcmp(a->tif, "fok") == 0 ? QF_TIF_FOK
                                          : QF_TIF_GTC;
    in.quantity = a->qty;
    in.limit_price = a->limit;
    in.bar_time = a->bar_time;
    in.expected_price = NAN;
    in.data_time = -1;
    return in;
}

/* Everything one run holds; released by ctx_close. */
typedef struct order_ctx {
    qf_store *store;
    qf_exchange *ex;
    qf_paper *paper;
    qf_portfolio *pf;
    qf_killswitch ks;
    qf_venue venue;
    qf_order_manager *om;
} order_ctx;

static void ctx_close(order_ctx *c)
{
    qf_om_free(c->om);
    qf_portfolio_free(c->pf);
    qf_paper_free(c->paper);
    qf_exchange_close(c->ex);
    qf_store_close(c->store);
}

static qf_rc open_live(qf_cli *cli, const order_args *a, order_ctx *c, qf_err *err)
{
    qf_rc rc = qf_secrets_apply(&cli->cfg, err);
    if (rc != QF_OK)
        return rc;
    const qf_config_exchange *x = strcmp(a->exchange, "coinbase") == 0
                                      ? &cli->cfg.exchanges.coinbase
                                      : &cli->cfg.exchanges.binance;
    if (!x->api_key[0] || !x->api_secret[0])
        return qf_err_set(err, QF_ECONFIG,
                          "live orders need exchanges.%s.api_key and api_secret (configuration, "
                          "environment or the secrets file)",
                          a->exchange);
    rc = qf_exchange_open(&cli->cfg, a->exchange, &c->ex, err);
    if (rc == QF_OK)
        c->venue = qf_venue_live(c->ex);
    return rc;
}

/* The latest close stored for the symbol (universe.timeframe), if any. */
static bool stored_close(qf_cli *cli, const order_args *a, qf_store *store, double *out_price,
                         int64_t *out_time)
{
    qf_series_key key;
    memset(&key, 0, sizeof key);
    snprintf(key.exchange, sizeof key.exchange, "%s", a->exchange);
    snprintf(key.symbol, sizeof key.symbol, "%s", a->symbol);
    snprintf(key.timeframe, sizeof key.timeframe, "%s", cli->cfg.universe.timeframe);
    qf_timeframe tf;
    qf_candles cs;
    qf_candles_init(&cs);
    qf_err err;
    bool ok = qf_timeframe_parse(key.timeframe, &tf, &err) == QF_OK &&
              qf_store_query_candles(store, &key, INT64_MIN, INT64_MAX, 1, &cs, &err) == QF_OK &&
              cs.n == 1;
    if (ok) {
        *out_price = cs.v[0].close;
        *out_time = cs.v[0].open_time + tf.ms;
    }
    qf_candles_cleanup(&cs);
    return ok;
}

static qf_rc open_paper(qf_cli *cli, const order_args *a, order_ctx *c, qf_order_intent *in,
                        qf_err *err)
{
    qf_paper_options po = qf_paper_options_from_config(&cli->cfg, a->exchange);
    qf_rc rc = qf_paper_new(&po, &c->paper, err);
    if (rc == QF_OK)
        rc = qf_paper_restore(c->paper, c->store, err);
    if (rc != QF_OK)
        return rc;
    double price = a->price;
    int64_t time = qf_time_now_ms();
    /* The exchange's public data (rules, ticker) when it answers; none needs keys. */
    qf_err xerr;
    if (qf_exchange_open(&cli->cfg, a->exchange, &c->ex, &xerr) == QF_OK) {
        qf_symbol_rules rules;
        if (qf_exchange_rules(c->ex, a->symbol, false, &rules, &xerr) == QF_OK)
            rc = qf_paper_set_rules(c->paper, &rules, err);
        else
            fprintf(stderr, "quantflow order: paper: no trading rules for %s (%s); steps of 1e-8\n",
                    a->symbol, xerr.msg);
    }
    if (rc != QF_OK)
        return rc;
    if (isnan(price) && stored_close(cli, a, c->store, &price, &time))
        in->data_time = time;
    qf_ticker t;
    if (isnan(price) && c->ex && qf_exchange_ticker(c->ex, a->symbol, &t, &xerr) == QF_OK &&
        t.bid > 0.0 && t.ask > 0.0)
        price = (t.bid + t.ask) / 2.0;
    if (isnan(price))
        return qf_err_set(err, QF_ENOTFOUND,
                          "paper: no price for %s: give --price, backfill candles or reach the "
                          "exchange",
                          a->symbol);
    in->expected_price = price;
    rc = qf_paper_set_price(c->paper, a->symbol, price, time, NULL, err);
    c->venue = qf_paper_venue(c->paper);
    return rc;
}

static qf_rc open_all(qf_cli *cli, const order_args *a, bool live, order_ctx *c,
                      qf_order_intent *in, qf_err *err)
{
    qf_rc rc = qf_cli_open_store(cli, &c->store, err);
    if (rc == QF_OK)
        rc = live ? open_live(cli, a, c, err) : open_paper(cli, a, c, in, err);
    const char *account = live ? "live" : "paper";
    if (rc == QF_OK)
        rc = qf_portfolio_load(c->store, account, cli->cfg.portfolio.initial_equity, &c->pf, err);
    if (rc == QF_OK && c->paper)
        qf_paper_set_portfolio(c->paper, c->pf, "USDT");
    if (rc == QF_OK)
        rc = qf_killswitch_open(&c->ks, c->store, account, err);
    if (rc != QF_OK)
        return rc;
    qf_om_options o = qf_om_options_from_config(&cli->cfg);
    return qf_om_new(&c->venue, c->store, c->pf, &c->ks, &o, &c->om, err);
}

static json_t *row_json(const qf_order_row *r)
{
    const qf_order *o = &r->order;
    json_t *j = json_object();
    json_object_set_new(j, "client_id", json_string(o->client_id));
    json_object_set_new(j, "account", json_string(r->account));
    json_object_set_new(j, "exchange", json_string(o->exchange));
    json_object_set_new(j, "symbol", json_string(o->symbol));
    json_object_set_new(j, "side", json_string(o->side == QF_SIDE_BUY ? "buy" : "sell"));
    json_object_set_new(j, "type", json_string(o->type == QF_ORDER_LIMIT ? "limit" : "market"));
    json_object_set_new(j, "tif",
                        json_string(o->tif == QF_TIF_IOC   ? "ioc"
                                    : o->tif == QF_TIF_FOK ? "fok"
                                                           : "gtc"));
    json_object_set_new(j, "quantity", json_real(o->quantity));
    json_object_set_new(j, "limit_price",
                        isfinite(o->limit_price) ? json_real(o->limit_price) : json_null());
    json_object_set_new(j, "status", json_string(qf_order_status_name(o->status)));
    json_object_set_new(j, "filled_qty", json_real(o->filled_qty));
    json_object_set_new(j, "avg_fill_price",
                        isfinite(o->avg_fill_price) ? json_real(o->avg_fill_price) : json_null());
    json_object_set_new(j, "attempt", json_integer(r->attempt));
    json_object_set_new(j, "bar_time", r->bar_time >= 0 ? json_integer(r->bar_time) : json_null());
    json_object_set_new(j, "venue_order_id", json_string(r->venue_order_id));
    json_object_set_new(j, "reason", json_string(r->reason));
    return j;
}

/* The latest order of the account at this exchange for the symbol and
 * side that is pending or unconfirmed (an earlier run did not learn its
 * outcome). */
static bool earlier_unconfirmed(order_ctx *c, const qf_order_intent *in, qf_order_row *out)
{
    qf_order_row *rows = NULL;
    size_t n = 0;
    qf_err err;
    unsigned mask = (1u << QF_ORDER_PENDING) | (1u << QF_ORDER_UNCONFIRMED);
    bool found = false;
    if (qf_store_list_orders(c->store, c->venue.account, mask, &rows, &n, &err) != QF_OK)
        return false; /* submit meets the same store and says what is wrong */
    for (size_t i = 0; i < n; i++) {
        const qf_order *o = &rows[i].order;
        if (strcmp(o->exchange, c->venue.exchange) == 0 && strcmp(o->symbol, in->symbol) == 0 &&
            o->side == in->side) {
            *out = rows[i];
            found = true;
        }
    }
    free(rows);
    return found;
}

/* Live slippage of the account's last fills (exec/slippage.h); NULL or
 * empty prints nothing. */
static json_t *slippage_json(const qf_slippage *sl)
{
    if (sl == NULL || qf_slippage_count(sl) == 0)
        return json_null();
    return json_pack("{s:I,s:f,s:f}", "fills", (json_int_t)qf_slippage_count(sl), "mean_bps",
                     qf_slippage_mean(sl), "p95_bps", qf_slippage_p95(sl));
}

static void print_row(const qf_order_row *r, const qf_slippage *sl, int json)
{
    if (json) {
        json_t *j = row_json(r);
        json_object_set_new(j, "slippage", slippage_json(sl));
        char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
        return;
    }
    const qf_order *o = &r->order;
    printf("order %s  %s %s %s %.8f", o->client_id, o->symbol,
           o->side == QF_SIDE_BUY ? "buy" : "sell", o->type == QF_ORDER_LIMIT ? "limit" : "market",
           o->quantity);
    if (isfinite(o->limit_price))
        printf(" @ %.8f", o->limit_price);
    printf("  (%s, %s)\n", r->account, o->exchange);
    printf("status %s  filled %.8f", qf_order_status_name(o->status), o->filled_qty);
    if (o->filled_qty > 0.0 && isfinite(o->avg_fill_price))
        printf(" @ avg %.8f", o->avg_fill_price);
    printf("\n");
    if (r->reason[0])
        printf("reason %s\n", r->reason);
    if (sl != NULL && qf_slippage_count(sl) > 0)
        printf("slippage over the account's last %zu fills: mean %+.2f bps, p95 %+.2f bps "
               "(positive = worse than expected)\n",
               qf_slippage_count(sl), qf_slippage_mean(sl), qf_slippage_p95(sl));
}

/* A manual order while an earlier run's order of the symbol and side was
 * unconfirmed: that order (reconciled just now) is shown, nothing is sent. */
static int show_earlier(order_ctx *c, const qf_order_row *earlier, const order_args *a)
{
    qf_order_row row = *earlier;
    qf_err err;
    if (qf_store_get_order(c->store, earlier->order.client_id, &row, &err) != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    print_row(&row, qf_om_slippage(c->om), a->json);
    const qf_order *o = &row.order;
    const char *side = o->side == QF_SIDE_BUY ? "buy" : "sell";
    if (!qf_om_status_closed(o->status)) {
        char key[48] = "";
        if (row.bar_time >= 0)
            snprintf(key, sizeof key, " with --bar-time %lld", (long long)row.bar_time);
        fprintf(stderr,
                "quantflow order: order %s (%s %s), left unconfirmed by an earlier run, is still "
                "%s: no new order is sent while it is; run the command again%s to look it up\n",
                o->client_id, o->symbol, side, qf_order_status_name(o->status), key);
        return QF_EXIT_FAIL;
    }
    fprintf(stderr,
            "quantflow order: order %s (%s %s), left unconfirmed by an earlier run, is %s: shown "
            "instead of sending a new order; run again to place a new one\n",
            o->client_id, o->symbol, side, qf_order_status_name(o->status));
    return o->filled_qty > 0.0 ? QF_EXIT_OK : QF_EXIT_FAIL;
}

int qf_cmd_order(qf_cli *cli, int argc, char **argv)
{
    order_args a;
    int code = parse_args(argc, argv, &a);
    if (code != QF_EXIT_OK)
        return code < 0 ? QF_EXIT_OK : code;
    a.json = a.json || cli->json;
    bool live = a.mode == 2 || (a.mode == 0 && strcmp(cli->cfg.execution.mode, "live") == 0);
    order_ctx c;
    memset(&c, 0, sizeof c);
    qf_order_intent in = make_intent(&a);
    bool manual = in.bar_time < 0;
    if (manual) /* the key, so a re-run can name this order */
        in.bar_time = qf_time_now_ms();
    qf_err err;
    qf_rc rc = open_all(cli, &a, live, &c, &in, &err);
    qf_order_row earlier;
    bool blocked = rc == QF_OK && manual && earlier_unconfirmed(&c, &in, &earlier);
    size_t checked = 0;
    if (rc == QF_OK && qf_om_reconcile(c.om, &checked, &err) != QF_OK) {
        /* Not fatal: the order of this signal is resolved again by submit. */
        fprintf(stderr, "quantflow order: reconcile: %s\n", err.msg);
    }
    if (rc != QF_OK) {
        qf_cli_error(&err);
        ctx_close(&c);
        return QF_EXIT_FAIL;
    }
    if (blocked) {
        code = show_earlier(&c, &earlier, &a);
        ctx_close(&c);
        return code;
    }
    qf_order_row row;
    memset(&row, 0, sizeof row);
    rc = qf_om_submit(c.om, &in, &row, &err);
    if ((rc == QF_OK || rc == QF_EUNKNOWN) && a.wait_s > 0 &&
        !qf_om_status_closed(row.order.status))
        rc = qf_om_wait(c.om, row.order.client_id, (int64_t)a.wait_s * 1000, 500, &row, &err);
    if (row.order.client_id[0])
        print_row(&row, qf_om_slippage(c.om), a.json);
    if (rc == QF_EUNKNOWN)
        fprintf(stderr,
                "quantflow order: %s; it is never sent twice: run the command again with "
                "--bar-time %lld to look it up\n",
                err.msg, (long long)in.bar_time);
    else if (rc != QF_OK)
        qf_cli_error(&err);
    ctx_close(&c);
    return rc == QF_OK ? QF_EXIT_OK : QF_EXIT_FAIL;
}
