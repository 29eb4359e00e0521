/*
 * cmd_backtest.c - `quantflow backtest`: run a strategy over stored candles
 * with the event-driven or the vectorized engine, print the metrics, and
 * save the run (parameters and metrics) in the store's backtest_runs.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/montecarlo.h"
#include "backtest/vector.h"
#include "cli/cli.h"
#include "core/time.h"

#define MAX_SYMBOLS 16

typedef struct bt_opts {
    const char *strategy;
    char symbols[MAX_SYMBOLS][QF_SYMBOL_MAX];
    size_t n_symbols;
    const char *exchange;
    const char *timeframe;
    int64_t from, to;
    int vectorized;
    double capital;
    const char *json_path;
    int trials;
    int save;
    qf_strategy_params params;
    size_t sims, block; /* montecarlo */
    uint64_t seed;
    int threads;
} bt_opts;

static int bt_usage(FILE *out, int code)
{
    fprintf(out,
            "usage: quantflow backtest --strategy NAME --symbol S[,S...] [options]\n\n"
            "Runs a strategy over the stored candles and prints its metrics.\n\n"
            "options:\n"
            "  --strategy NAME      buy_and_hold, ma_crossover, mean_reversion\n"
            "  --symbol S[,S...]    BASE/QUOTE symbols (several share one portfolio)\n"
            "  --param NAME=VALUE   strategy parameter (repeatable), e.g. fast=20\n"
            "  --from, --to TIME    ISO 8601 bounds on the bars' open time (default: all)\n"
            "  --engine E           event (default) or vectorized (one symbol)\n"
            "  --capital USD        starting equity (default portfolio.initial_equity)\n"
            "  --exchange NAME      default binance;  --timeframe TF: universe.timeframe\n"
            "  --trials N           strategies tried, for the deflated Sharpe (default 1)\n"
            "  --json FILE          write parameters, metrics, equity and trades as JSON\n"
            "  --no-save            do not record the run in backtest_runs\n"
            "montecarlo only:\n"
            "  --sims N             bootstrap simulations (default 1000)\n"
            "  --block N            bars per block (default 24)\n"
            "  --seed N             random seed (default 42); --threads N (default: all cores)\n"
            "Fill model, costs and shorting come from the backtest, execution and\n"
            "exchanges sections of the configuration.\n");
    return code;
}

static qf_rc parse_symbols(bt_opts *o, const char *list, qf_err *err)
{
    const char *p = list;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= QF_SYMBOL_MAX || o->n_symbols == MAX_SYMBOLS)
            return qf_err_set(err, QF_EINVAL, "--symbol: bad list '%s' (at most %d symbols)", list,
                              MAX_SYMBOLS);
        memcpy(o->symbols[o->n_symbols], p, len);
        o->symbols[o->n_symbols][len] = '\0';
        o->n_symbols++;
        p += len + (comma != NULL);
    }
    return QF_OK;
}

static int parse_opts(qf_cli *cli, int argc, char **argv, bt_opts *o, qf_err *err)
{
    static const struct option opts[] = {{"strategy", required_argument, NULL, 's'},
                                         {"symbol", required_argument, NULL, 'y'},
                                         {"param", required_argument, NULL, 'p'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"engine", required_argument, NULL, 'e'},
                                         {"capital", required_argument, NULL, 'c'},
                                         {"exchange", required_argument, NULL, 'x'},
                                         {"timeframe", required_argument, NULL, 'T'},
                                         {"trials", required_argument, NULL, 'n'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"no-save", no_argument, NULL, 'S'},
                                         {"sims", required_argument, NULL, 'M'},
                                         {"block", required_argument, NULL, 'B'},
                                         {"seed", required_argument, NULL, 'D'},
                                         {"threads", required_argument, NULL, 'P'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->exchange = "binance";
    o->timeframe = cli->cfg.universe.timeframe;
    o->from = INT64_MIN;
    o->to = INT64_MAX;
    o->capital = cli->cfg.portfolio.initial_equity;
    o->trials = 1;
    o->save = 1;
    o->sims = 1000;
    o->block = 24;
    o->seed = 42;
    qf_strategy_params_init(&o->params);
    int c;
    qf_rc rc = QF_OK;
    while (rc == QF_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        if (c == 's')
            o->strategy = optarg;
        else if (c == 'y')
            rc = parse_symbols(o, optarg, err);
        else if (c == 'p')
            rc = qf_strategy_params_parse(&o->params, optarg, err);
        else if (c == 'f')
            rc = qf_time_parse_iso(optarg, &o->from, err);
        else if (c == 't')
            rc = qf_time_parse_iso(optarg, &o->to, err);
        else if (c == 'e' && (strcmp(optarg, "event") == 0 || strcmp(optarg, "vectorized") == 0))
            o->vectorized = optarg[0] == 'v';
        else if (c == 'e')
            rc = qf_err_set(err, QF_EINVAL, "--engine must be event or vectorized, got '%s'",
                            optarg);
        else if (c == 'c') {
            o->capital = strtod(optarg, &end);
            if (*end != '\0' || !(o->capital > 0) || !isfinite(o->capital))
                rc = qf_err_set(err, QF_EINVAL, "--capital must be a positive number, got '%s'",
                                optarg);
        } else if (c == 'x')
            o->exchange = optarg;
        else if (c == 'T')
            o->timeframe = optarg;
        else if (c == 'n') {
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 1000000)
                rc = qf_err_set(err, QF_EINVAL, "--trials must be a whole number >= 1, got '%s'",
                                optarg);
            o->trials = (int)v;
        } else if (c == 'M' || c == 'B' || c == 'D' || c == 'P') {
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end != '\0' || optarg[0] == '-' || optarg[0] == '\0' ||
                (c != 'D' && (v < 1 || v > 100000000)))
                rc = qf_err_set(err, QF_EINVAL, "--%s must be a whole number%s, got '%s'",
                                c == 'M'   ? "sims"
                                : c == 'B' ? "block"
                                : c == 'D' ? "seed"
                                           : "threads",
                                c == 'D' ? "" : " >= 1", optarg);
            else if (c == 'M')
                o->sims = (size_t)v;
            else if (c == 'B')
                o->block = (size_t)v;
            else if (c == 'D')
                o->seed = (uint64_t)v;
            else
                o->threads = v > 256 ? 256 : (int)v;
        } else if (c == 'j')
            o->json_path = optarg;
        else if (c == 'S')
            o->save = 0;
        else if (c == 'h')
            return bt_usage(stdout, -1);
        else
            return bt_usage(stderr, -2);
    }
    if (rc != QF_OK)
        return -3;
    if (optind < argc || o->strategy == NULL || o->n_symbols == 0)
        return bt_usage(stderr, -2);
    return 0;
}

/* Loads each symbol's bars in [from, to] from the store. */
static qf_rc load_bars(qf_cli *cli, const bt_opts *o, qf_bars *bars, qf_err *err)
{
    qf_store *store = NULL;
    qf_rc rc = qf_cli_open_store(cli, &store, err);
    for (size_t s = 0; rc == QF_OK && s < o->n_symbols; s++)
        rc = qf_cli_load_bars(store, o->exchange, o->symbols[s], o->timeframe, o->from, o->to, 2,
                              &bars[s], err);
    qf_store_close(store);
    return rc;
}

static qf_engine_config engine_config(const qf_cli *cli, double capital)
{
    const qf_config *cfg = &cli->cfg;
    qf_engine_config c = qf_engine_config_default();
    c.fill_at = strcmp(cfg->backtest.fill_at, "close") == 0 ? QF_FILL_CLOSE : QF_FILL_NEXT_OPEN;
    c.latency_bars = cfg->backtest.latency_bars;
    c.costs.taker_fee_bps = cfg->exchanges.binance.fees_bps.taker;
    c.costs.maker_fee_bps = cfg->exchanges.binance.fees_bps.maker;
    c.costs.fixed_spread_bps = cfg->execution.slippage_model.fixed_spread_bps;
    c.costs.linear_impact_bps = cfg->execution.slippage_model.linear_impact_bps;
    c.costs.adv_window = cfg->backtest.adv_window;
    c.max_participation = cfg->backtest.max_participation;
    c.order_timeout_bars = cfg->backtest.order_timeout_bars;
    c.allow_short = cfg->backtest.allow_short;
    c.initial_equity = capital;
    c.min_trade_usd = cfg->risk.min_trade_usd;
    return c;
}

/* Runs the vectorized engine into a result shaped like the event engine's
 * (equity curve and aggregate costs; no fill list). */
static qf_rc run_vectorized(const qf_engine_config *c, const qf_strategy_def *def,
                            const qf_strategy_params *p, const qf_bars *b, qf_backtest_result *r,
                            qf_err *err)
{
    memset(r, 0, sizeof *r);
    void *st = NULL;
    qf_rc rc = qf_strategy_params_check_names(def, p, err);
    if (rc == QF_OK)
        rc = def->init(p, 1, &st, err);
    if (rc != QF_OK)
        return rc;
    double *tg = malloc(b->n * sizeof *tg);
    r->time = malloc(b->n * sizeof *r->time);
    r->equity = malloc(b->n * sizeof *r->equity);
    if (tg == NULL || r->time == NULL || r->equity == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "backtest: out of memory");
    for (size_t t = 0; rc == QF_OK && t < b->n; t++) {
        qf_bars view = *b;
        view.n = t + 1;
        qf_strategy_ctx ctx = {&view, 1, t, NULL, 1.0, NULL};
        rc = def->on_bar(st, &ctx, &tg[t], err);
        if (rc == QF_OK && isnan(tg[t])) /* no new target: keep the position */
            tg[t] = t > 0 ? tg[t - 1] : 0.0;
        if (rc == QF_OK && !c->allow_short && tg[t] < 0)
            tg[t] = 0;
    }
    def->free(st);
    qf_vector_stats vs;
    if (rc == QF_OK)
        rc = qf_vector_run(b, tg, &c->costs, c->initial_equity, r->equity, &vs, err);
    free(tg);
    if (rc != QF_OK) {
        qf_backtest_result_free(r);
        return rc;
    }
    memcpy(r->time, b->open_time, b->n * sizeof *r->time);
    r->n = b->n;
    r->n_symbols = 1;
    r->traded_notional = vs.traded_notional;
    r->fees = vs.fees;
    r->spread_cost = vs.spread_cost;
    r->impact_cost = vs.impact_cost;
    r->bars_in_market = vs.bars_in_market;
    return QF_OK;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *metrics_json(const qf_metrics *m)
{
    json_t *o = json_object();
    for (size_t i = 0; i < QF_METRICS_COUNT; i++) {
        const char *k = qf_metric_names[i];
        double v = qf_metrics_get(m, i);
        if (strcmp(k, "trades") == 0 || strcmp(k, "max_drawdown_duration_bars") == 0)
            json_object_set_new(o, k, json_integer((json_int_t)v));
        else
            json_object_set_new(o, k, num(v));
    }
    return o;
}

static json_t *params_json(const bt_opts *o, const qf_strategy_def *def, const qf_engine_config *c)
{
    json_t *p = json_object();
    json_object_set_new(p, "strategy", json_string(o->strategy));
    json_t *syms = json_array();
    for (size_t s = 0; s < o->n_symbols; s++)
        json_array_append_new(syms, json_string(o->symbols[s]));
    json_object_set_new(p, "symbols", syms);
    json_object_set_new(p, "exchange", json_string(o->exchange));
    json_object_set_new(p, "timeframe", json_string(o->timeframe));
    json_object_set_new(p, "engine", json_string(o->vectorized ? "vectorized" : "event"));
    json_object_set_new(p, "capital", json_real(c->initial_equity));
    json_t *sp = json_object();
    for (size_t k = 0; k < def->n_params; k++)
        json_object_set_new(sp, def->param_names[k],
                            json_real(qf_strategy_params_get(&o->params, def->param_names[k],
                                                             def->param_defaults[k])));
    json_object_set_new(p, "strategy_params", sp);
    json_object_set_new(p, "fill_at",
                        json_string(c->fill_at == QF_FILL_CLOSE ? "close" : "next_open"));
    json_object_set_new(p, "latency_bars", json_integer(c->latency_bars));
    json_object_set_new(p, "taker_fee_bps", json_real(c->costs.taker_fee_bps));
    json_object_set_new(p, "fixed_spread_bps", json_real(c->costs.fixed_spread_bps));
    json_object_set_new(p, "linear_impact_bps", json_real(c->costs.linear_impact_bps));
    json_object_set_new(p, "max_participation", json_real(c->max_participation));
    json_object_set_new(p, "allow_short", json_boolean(c->allow_short));
    json_object_set_new(p, "trials", json_integer(o->trials));
    return p;
}

static json_t *result_json(const bt_opts *opt, json_t *params, json_t *metrics,
                           const qf_backtest_result *r)
{
    json_t *doc = json_object();
    json_object_set(doc, "parameters", params);
    json_object_set(doc, "metrics", metrics);
    json_t *eq = json_array();
    for (size_t k = 0; k < r->n; k++) {
        json_t *pt = json_array();
        json_array_append_new(pt, json_integer(r->time[k]));
        json_array_append_new(pt, json_real(r->equity[k]));
        json_array_append_new(eq, pt);
    }
    json_object_set_new(doc, "equity", eq);
    json_t *tr = json_array();
    for (size_t i = 0; i < r->n_trades; i++) {
        const qf_bt_trade *t = &r->trades[i];
        json_t *o = json_object();
        json_object_set_new(o, "symbol", json_string(opt->symbols[t->symbol]));
        json_object_set_new(o, "side", json_string(t->side > 0 ? "long" : "short"));
        json_object_set_new(o, "entry_time", json_integer(t->entry_time));
        json_object_set_new(o, "exit_time", json_integer(t->exit_time));
        json_object_set_new(o, "quantity", json_real(t->max_qty));
        json_object_set_new(o, "entry_price", num(t->entry_price));
        json_object_set_new(o, "exit_price", num(t->exit_price));
        json_object_set_new(o, "pnl", num(t->pnl));
        json_array_append_new(tr, o);
    }
    json_object_set_new(doc, "trades", tr);
    return doc;
}

static void print_metrics(const bt_opts *o, const qf_metrics *m, const qf_backtest_result *r)
{
    printf("%s on", o->strategy);
    for (size_t s = 0; s < o->n_symbols; s++)
        printf(" %s", o->symbols[s]);
    char a[QF_ISO_MAX], b[QF_ISO_MAX];
    printf(" %s, %s engine, %zu bars %s .. %s\n", o->timeframe,
           o->vectorized ? "vectorized" : "event", r->n,
           qf_time_format_iso(r->time[0], a, sizeof a),
           qf_time_format_iso(r->time[r->n - 1], b, sizeof b));
    printf("  %-28s %16.2f\n", "final equity", m->final_equity);
    printf("  %-28s %15.2f%%\n", "total return", 100 * m->total_return);
    printf("  %-28s %15.2f%%\n", "CAGR", 100 * m->cagr);
    printf("  %-28s %16.3f\n", "Sharpe", m->sharpe);
    printf("  %-28s %16.3f\n", "Sortino", m->sortino);
    printf("  %-28s %16.3f\n", "Calmar", m->calmar);
    printf("  %-28s %15.2f%%\n", "max drawdown", 100 * m->max_drawdown);
    printf("  %-28s %16lld\n", "max drawdown duration (bars)",
           (long long)m->max_drawdown_duration_bars);
    printf("  %-28s %16lld\n", "closed trades", (long long)m->trades);
    printf("  %-28s %15.2f%%\n", "hit rate", 100 * m->hit_rate);
    printf("  %-28s %16.3f\n", "profit factor", m->profit_factor);
    printf("  %-28s %16.2f\n", "turnover (per year)", m->turnover_annual);
    printf("  %-28s %15.2f%%\n", "exposure", 100 * m->exposure);
    printf("  %-28s %15.3f%%\n", "VaR 5% (bar)", 100 * m->var_5);
    printf("  %-28s %15.3f%%\n", "CVaR 5% (bar)", 100 * m->cvar_5);
    printf("  %-28s %16.4f\n", "PSR (vs 0)", m->psr);
    printf("  %-28s %16.4f\n", "DSR", m->dsr);
    printf("  %-28s %16.0f\n", "capacity (USD)", m->capacity_usd);
    printf("  %-28s %16.2f\n", "fees + spread + impact", r->fees + r->spread_cost + r->impact_cost);
}

static qf_rc write_json_file(const char *path, json_t *doc, qf_err *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) != 0 ||
        rename(tmp, path) != 0) {
        remove(tmp);
        return qf_err_set(err, QF_EIO, "--json: cannot write %s", path);
    }
    return QF_OK;
}

static qf_rc finish(qf_cli *cli, const bt_opts *o, const qf_strategy_def *def,
                    const qf_engine_config *ec, const qf_backtest_result *r, qf_err *err)
{
    double bpy = 0;
    qf_rc rc = qf_cli_bars_per_year(cli, o->timeframe, &bpy, err);
    if (rc != QF_OK)
        return rc;
    double *pnl = malloc((r->n_trades ? r->n_trades : 1) * sizeof *pnl);
    if (pnl == NULL)
        return qf_err_set(err, QF_ENOMEM, "backtest: out of memory");
    double gross = r->equity[r->n - 1] - r->equity[0] + r->fees + r->spread_cost + r->impact_cost;
    for (size_t i = 0; i < r->n_trades; i++)
        pnl[i] = r->trades[i].pnl;
    qf_metrics_input in = {
        r->equity,         r->n,      bpy,   pnl,           r->n_trades, r->traded_notional,
        r->bars_in_market, o->trials, gross, r->impact_cost};
    qf_metrics m;
    rc = qf_metrics_compute(&in, &m, err);
    free(pnl);
    if (rc != QF_OK)
        return rc;
    json_t *params = params_json(o, def, ec);
    json_t *metrics = metrics_json(&m);
    if (o->json_path != NULL) {
        json_t *doc = result_json(o, params, metrics, r);
        rc = write_json_file(o->json_path, doc, err);
        json_decref(doc);
    }
    if (rc == QF_OK && o->save) {
        qf_store *store = NULL;
        rc = qf_cli_open_store(cli, &store, err);
        char *pj = json_dumps(params, JSON_COMPACT | JSON_REAL_PRECISION(17));
        char *mj = json_dumps(metrics, JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (rc == QF_OK)
            rc = qf_store_insert_backtest_run(store, o->strategy, o->symbols[0], o->timeframe, pj,
                                              mj, NULL, err);
        free(pj);
        free(mj);
        qf_store_close(store);
    }
    if (rc == QF_OK) {
        if (cli->json) {
            json_t *doc = json_object();
            json_object_set(doc, "parameters", params);
            json_object_set(doc, "metrics", metrics);
            json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
            fputc('\n', stdout);
            json_decref(doc);
        } else {
            print_metrics(o, &m, r);
        }
    }
    json_decref(params);
    json_decref(metrics);
    return rc;
}

static json_t *dist_json(const qf_mc_dist *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "mean", num(d->mean));
    json_object_set_new(o, "p5", num(d->p5));
    json_object_set_new(o, "p50", num(d->p50));
    json_object_set_new(o, "p95", num(d->p95));
    return o;
}

/* Bootstraps the run's bar returns and reports the distributions. */
static qf_rc finish_montecarlo(qf_cli *cli, const bt_opts *o, const qf_backtest_result *r,
                               qf_err *err)
{
    if (r->n < 3)
        return qf_err_set(err, QF_EINVAL, "montecarlo: too few bars (%zu)", r->n);
    double *ret = malloc((r->n - 1) * sizeof *ret);
    if (ret == NULL)
        return qf_err_set(err, QF_ENOMEM, "montecarlo: out of memory");
    for (size_t k = 1; k < r->n; k++)
        ret[k - 1] = r->equity[k] / r->equity[k - 1] - 1.0;
    double bpy = 0;
    qf_rc rc = qf_cli_bars_per_year(cli, o->timeframe, &bpy, err);
    qf_mc_config mc = {o->sims, o->block < r->n - 1 ? o->block : r->n - 1, o->seed, bpy,
                       o->threads};
    qf_mc_summary s;
    if (rc == QF_OK)
        rc = qf_mc_bootstrap(ret, r->n - 1, &mc, &s, NULL, err);
    free(ret);
    if (rc != QF_OK)
        return rc;
    json_t *doc = json_object();
    json_object_set_new(doc, "strategy", json_string(o->strategy));
    json_object_set_new(doc, "simulations", json_integer((json_int_t)s.n_sims));
    json_object_set_new(doc, "block", json_integer((json_int_t)mc.block));
    json_object_set_new(doc, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(doc, "sharpe", dist_json(&s.sharpe));
    json_object_set_new(doc, "total_return", dist_json(&s.total_return));
    json_object_set_new(doc, "max_drawdown", dist_json(&s.max_drawdown));
    json_object_set_new(doc, "prob_loss", json_real(s.prob_loss));
    if (o->json_path != NULL)
        rc = write_json_file(o->json_path, doc, err);
    if (rc == QF_OK && cli->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
    } else if (rc == QF_OK) {
        printf("%s on %s: block bootstrap of %zu bar returns, %zu simulations, block %zu, "
               "seed %llu\n",
               o->strategy, o->symbols[0], r->n - 1, s.n_sims, mc.block,
               (unsigned long long)o->seed);
        printf("  %-14s %12s %12s %12s %12s\n", "", "mean", "p5", "p50", "p95");
        const qf_mc_dist *d[3] = {&s.sharpe, &s.total_return, &s.max_drawdown};
        const char *names[3] = {"Sharpe", "total return", "max drawdown"};
        for (int i = 0; i < 3; i++)
            printf("  %-14s %12.4f %12.4f %12.4f %12.4f\n", names[i], d[i]->mean, d[i]->p5,
                   d[i]->p50, d[i]->p95);
        printf("  probability of loss: %.2f%%\n", 100 * s.prob_loss);
    }
    json_decref(doc);
    return rc;
}

static int run_command(qf_cli *cli, int argc, char **argv, int montecarlo)

{
    static bt_opts o;
    qf_err err;
    qf_err_clear(&err);
    int p = parse_opts(cli, argc, argv, &o, &err);
    if (p == -1)
        return QF_EXIT_OK;
    if (p == -2)
        return QF_EXIT_USAGE;
    qf_rc rc = p == -3 ? QF_EINVAL : QF_OK;
    const qf_strategy_def *def = NULL;
    if (rc == QF_OK) {
        def = qf_strategy_find(o.strategy);
        if (def == NULL)
            rc = qf_err_set(&err, QF_EINVAL,
                            "unknown strategy '%s' (buy_and_hold, ma_crossover, mean_reversion)",
                            o.strategy);
    }
    if (rc == QF_OK && o.vectorized && o.n_symbols != 1)
        rc = qf_err_set(&err, QF_EINVAL, "the vectorized engine runs one symbol at a time");
    if (rc == QF_OK && o.from > o.to)
        rc = qf_err_set(&err, QF_EINVAL, "--from is after --to: an empty date range");
    qf_bars bars[MAX_SYMBOLS];
    for (size_t s = 0; s < MAX_SYMBOLS; s++)
        qf_bars_init(&bars[s]);
    if (rc == QF_OK)
        rc = load_bars(cli, &o, bars, &err);
    qf_engine_config ec = engine_config(cli, o.capital);
    qf_backtest_result r;
    memset(&r, 0, sizeof r);
    if (rc == QF_OK)
        rc = o.vectorized ? run_vectorized(&ec, def, &o.params, &bars[0], &r, &err)
                          : qf_backtest_run(&ec, def, &o.params, bars, o.n_symbols, &r, &err);
    if (rc == QF_OK)
        rc =
            montecarlo ? finish_montecarlo(cli, &o, &r, &err) : finish(cli, &o, def, &ec, &r, &err);
    qf_backtest_result_free(&r);
    for (size_t s = 0; s < MAX_SYMBOLS; s++)
        qf_bars_cleanup(&bars[s]);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return QF_EXIT_OK;
}

int qf_cmd_backtest(qf_cli *cli, int argc, char **argv)
{
    return run_command(cli, argc, argv, 0);
}

int qf_cmd_montecarlo(qf_cli *cli, int argc, char **argv)
{
    return run_command(cli, argc, argv, 1);
}
