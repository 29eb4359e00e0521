/*
 * bt_run.c - options and the run shared by `quantflow backtest` and
 * `quantflow montecarlo` (bt_run.h).
 */
#include "cli/bt_run.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/vector.h"
#include "cli/progress.h"
#include "core/time.h"
#include "store/store.h"
#include "strategy/quantflow.h"

static int bt_usage(FILE *out, int code)
{
    fprintf(out,
            "usage: quantflow backtest|montecarlo|ablation --strategy NAME --symbol S[,S...]\n"
            "       [options]\n\n"
            "Runs a strategy over the stored candles and prints its metrics.\n\n"
            "options:\n"
            "  --strategy NAME      buy_and_hold, ma_crossover, mean_reversion, quantflow;\n"
            "                       backtest takes several (a,b,c): one run each and a\n"
            "                       comparison table, the report of each as FILE-NAME.html;\n"
            "                       ablation runs quantflow (the default) with each part\n"
            "                       switched off in turn\n"
            "  --symbol S[,S...]    BASE/QUOTE symbols (several share one portfolio)\n"
            "  --param NAME=VALUE   strategy parameter (repeatable), e.g. fast=20\n"
            "  --from, --to TIME    ISO 8601 bounds on the bars' open time (default: all)\n"
            "  --engine E           event (default) or vectorized (one symbol)\n"
            "  --capital USD        starting equity (default portfolio.initial_equity)\n"
            "  --exchange NAME      default binance;  --timeframe TF: universe.timeframe\n"
            "  --trials N           strategies tried, for the deflated Sharpe (default 1)\n"
            "  --json FILE          write parameters, metrics, equity and trades as JSON\n"
            "  --report FILE.html   backtest: a self-contained HTML report (charts, trades,\n"
            "                       a bootstrap of --sims runs)\n"
            "  --no-save            do not record the run in backtest_runs\n"
            "montecarlo (and the report's bootstrap):\n"
            "  --sims N             simulations (default 1000)\n"
            "  --block N            bars per block (default 24)\n"
            "  --seed N             random seed (default 42); --threads N (default: all cores)\n"
            "  --perturb P          montecarlo: also re-run with every numeric parameter\n"
            "                       scaled by U(1-P, 1+P), 0 < P < 1\n"
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
        if (len == 0 || len >= QF_SYMBOL_MAX || o->n_symbols == BT_MAX_SYMBOLS)
            return qf_err_set(err, QF_EINVAL, "--symbol: bad list '%s' (at most %d symbols)", list,
                              BT_MAX_SYMBOLS);
        memcpy(o->symbols[o->n_symbols], p, len);
        o->symbols[o->n_symbols][len] = '\0';
        o->n_symbols++;
        p += len + (comma != NULL);
    }
    return QF_OK;
}

static int parse_opts(qf_cli *cli, int argc, char **argv, int mode, bt_opts *o, qf_err *err)
{
    int montecarlo = mode == BT_MONTECARLO;
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
                                         {"report", required_argument, NULL, 'R'},
                                         {"perturb", required_argument, NULL, 'Q'},
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
            o->strategy_list = optarg;
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
        else if (c == 'R' && !montecarlo)
            o->report_path = optarg;
        else if (c == 'Q' && montecarlo) {
            o->perturb = strtod(optarg, &end);
            if (*end != '\0' || !(o->perturb > 0 && o->perturb < 1))
                rc = qf_err_set(err, QF_EINVAL, "--perturb must be a number in (0, 1), got '%s'",
                                optarg);
        } else if (c == 'S')
            o->save = 0;
        else if (c == 'h')
            return bt_usage(stdout, -1);
        else
            return bt_usage(stderr, -2);
    }
    if (rc != QF_OK)
        return -3;
    if (mode == BT_ABLATION && o->strategy_list == NULL)
        o->strategy_list = "quantflow";
    if (optind < argc || o->strategy_list == NULL || o->n_symbols == 0)
        return bt_usage(stderr, -2);
    return 0;
}

/* Loads each symbol's bars in [from, to] from the store, and the news
 * scoring can see over them (from staleness_hours before the first bar to
 * the last close) into the job's strategy environment. */
static qf_rc load_bars(bt_job *j, qf_err *err)
{
    qf_cli *cli = j->cli;
    const bt_opts *o = &j->o;
    qf_store *store = NULL;
    qf_timeframe tf = {"", 0, 0};
    qf_rc rc = qf_timeframe_parse(o->timeframe, &tf, err);
    if (rc == QF_OK)
        rc = qf_cli_open_store(cli, &store, err);
    for (size_t s = 0; rc == QF_OK && s < o->n_symbols; s++) {
        rc = qf_cli_load_bars(store, o->exchange, o->symbols[s], o->timeframe, o->from, o->to, 2,
                              &j->bars[s], err);
        const qf_bars *b = &j->bars[s];
        if (rc == QF_OK && b->n > 0) {
            int64_t from = b->open_time[0] - (int64_t)(cli->cfg.sentiment.staleness_hours * 3.6e6);
            rc = qf_store_query_sentiment_events(store, o->symbols[s], from,
                                                 b->open_time[b->n - 1] + tf.ms, &j->news[s], err);
        }
        j->symbol_names[s] = o->symbols[s];
        j->news_v[s] = j->news[s].v;
        j->news_n[s] = j->news[s].n;
    }
    qf_store_close(store);
    j->env = (qf_strategy_env){.cfg = &cli->cfg,
                               .symbols = j->symbol_names,
                               .n_symbols = o->n_symbols,
                               .bar_ms = tf.ms,
                               .events = j->news_v,
                               .n_events = j->news_n,
                               .quantflow_cache = j->cache};
    j->o.params.env = &j->env;
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
    rc = qf_strategy_check_history(def, st, b, 1, err);
    if (rc != QF_OK) {
        def->free(st);
        return rc;
    }
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

json_t *bt_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *bt_params_json(const bt_job *j)
{
    const bt_opts *o = &j->o;
    const qf_strategy_def *def = j->def;
    const qf_engine_config *c = &j->ec;
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
        json_object_set_new(
            sp, def->param_names[k],
            json_real(qf_strategy_params_get(j->params ? j->params : &o->params,
                                             def->param_names[k], def->param_defaults[k])));
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

qf_rc bt_write_json(const char *path, json_t *doc, qf_err *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) != 0 ||
        rename(tmp, path) != 0) {
        remove(tmp);
        return qf_err_set(err, QF_EIO, "cannot write %s", path);
    }
    return QF_OK;
}

static void on_progress(void *user, size_t done, size_t total)
{
    qf_progress_update(user, done, total);
}

qf_rc bt_run_strategy(bt_job *j, const qf_strategy_def *def, const qf_strategy_params *p,
                      qf_backtest_result *out, qf_err *err)
{
    qf_progress bar;
    char label[64];
    snprintf(label, sizeof label, "%s", def->name);
    /* a bar only where a run takes long enough to watch: long series, or a
     * strategy that trains models as it goes */
    int slow = j->bars[0].n > 200000 || strcmp(def->name, "quantflow") == 0;
    qf_progress_init(&bar, j->cli->tty && !j->cli->json && slow, label);
    qf_engine_config c = j->ec;
    c.progress = on_progress;
    c.progress_user = &bar;
    qf_rc rc = j->o.vectorized ? run_vectorized(&c, def, p, &j->bars[0], out, err)
                               : qf_backtest_run(&c, def, p, j->bars, j->o.n_symbols, out, err);
    qf_progress_done(&bar);
    return rc;
}

json_t *bt_metrics_json(const qf_metrics *m)
{
    json_t *o = json_object();
    for (size_t i = 0; i < QF_METRICS_COUNT; i++) {
        const char *k = qf_metric_names[i];
        double v = qf_metrics_get(m, i);
        if (strcmp(k, "trades") == 0 || strcmp(k, "max_drawdown_duration_bars") == 0)
            json_object_set_new(o, k, json_integer((json_int_t)v));
        else
            json_object_set_new(o, k, bt_num(v));
    }
    return o;
}

const char *bt_cell(char *buf, double v, const char *fmt)
{
    if (!isfinite(v))
        return "-";
    snprintf(buf, 32, fmt, v == 0 ? 0.0 : v); /* no "-0.000" */
    return buf;
}

qf_rc bt_metrics(const bt_job *j, qf_metrics *out, qf_err *err)
{
    const qf_backtest_result *r = &j->r;
    double *pnl = malloc((r->n_trades ? r->n_trades : 1) * sizeof *pnl);
    if (pnl == NULL)
        return qf_err_set(err, QF_ENOMEM, "backtest: out of memory");
    double gross = r->equity[r->n - 1] - r->equity[0] + r->fees + r->spread_cost + r->impact_cost;
    for (size_t i = 0; i < r->n_trades; i++)
        pnl[i] = r->trades[i].pnl;
    qf_metrics_input in = {r->equity,
                           r->n,
                           j->bars_per_year,
                           pnl,
                           r->n_trades,
                           r->traded_notional,
                           r->bars_in_market,
                           j->o.trials,
                           gross,
                           r->impact_cost};
    qf_rc rc = qf_metrics_compute(&in, out, err);
    free(pnl);
    return rc;
}

qf_rc bt_bootstrap(const bt_job *j, const qf_backtest_result *r, qf_mc_summary *out,
                   double *out_sims, size_t *out_block, qf_err *err)
{
    if (r->n < 3)
        return qf_err_set(err, QF_EINVAL, "montecarlo: too few bars (%zu)", r->n);
    double *ret = malloc((r->n - 1) * sizeof *ret);
    if (ret == NULL)
        return qf_err_set(err, QF_ENOMEM, "montecarlo: out of memory");
    for (size_t k = 1; k < r->n; k++)
        ret[k - 1] = r->equity[k] / r->equity[k - 1] - 1.0;
    const bt_opts *o = &j->o;
    qf_mc_config mc = {o->sims, o->block < r->n - 1 ? o->block : r->n - 1, o->seed,
                       j->bars_per_year, o->threads};
    qf_rc rc = qf_mc_bootstrap(ret, r->n - 1, &mc, out, out_sims, err);
    free(ret);
    if (out_block != NULL)
        *out_block = mc.block;
    return rc;
}

/* Splits --strategy into names and checks what several strategies allow. */
static qf_rc split_strategies(bt_job *j, int montecarlo, qf_err *err)
{
    static char buf[512];
    const bt_opts *o = &j->o;
    if (strlen(o->strategy_list) >= sizeof buf)
        return qf_err_set(err, QF_EINVAL, "--strategy: list too long");
    strcpy(buf, o->strategy_list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        if (j->n_strategies == BT_MAX_STRATEGIES)
            return qf_err_set(err, QF_EINVAL, "--strategy: at most %d strategies",
                              BT_MAX_STRATEGIES);
        if (qf_strategy_find(t) == NULL) {
            char names[256] = "";
            size_t n = 0;
            const qf_strategy_def *const *all = qf_strategy_list(&n);
            for (size_t k = 0; k < n; k++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? ", " : "",
                         all[k]->name);
            return qf_err_set(err, QF_EINVAL, "unknown strategy '%s' (%s)", t, names);
        }
        j->strategies[j->n_strategies++] = t;
    }
    if (j->n_strategies == 0)
        return qf_err_set(err, QF_EINVAL, "--strategy: no strategy named");
    if (j->n_strategies > 1 && montecarlo)
        return qf_err_set(err, QF_EINVAL, "montecarlo runs one strategy at a time");
    if (j->n_strategies > 1 && o->params.n > 0)
        return qf_err_set(err, QF_EINVAL, "--param needs a single --strategy");
    if (j->n_strategies > 1 && o->json_path != NULL)
        return qf_err_set(err, QF_EINVAL, "--json FILE needs a single --strategy");
    return QF_OK;
}

/* The ablation runs: everything, then each part switched off in turn. */
static const struct {
    const char *name, *param;
} ablations[] = {{"full", NULL},
                 {"no_ml", "ml=0"},
                 {"no_technical", "technical=0"},
                 {"no_sentiment", "sentiment=0"},
                 {"fixed_weights", "regime_gating=0"},
                 {"no_vol_target", "vol_target=0"},
                 {"no_risk_checks", "risk=0"}};

static qf_rc setup_ablation(bt_job *j, qf_err *err)
{
    size_t n = sizeof ablations / sizeof ablations[0];
    if (j->n_strategies != 1 || strcmp(j->strategies[0], "quantflow") != 0)
        return qf_err_set(err, QF_EINVAL, "ablation runs the quantflow strategy only");
    for (size_t k = 0; k < n; k++) {
        j->variants[k] = j->o.params;
        j->variants[k].env = &j->env; /* filled when the bars are loaded */
        if (ablations[k].param != NULL) {
            qf_rc rc = qf_strategy_params_parse(&j->variants[k], ablations[k].param, err);
            if (rc != QF_OK)
                return rc;
        }
        j->variant_names[k] = ablations[k].name;
        j->strategies[k] = j->strategies[0];
    }
    j->n_variants = j->n_strategies = n;
    /* the variants that keep ML replay the full run's regimes and
     * predictions instead of training the same models again */
    qf_rc rc = qf_quantflow_cache_new(j->o.n_symbols, &j->cache, err);
    if (rc != QF_OK)
        return rc;
    if (j->o.trials < (int)n)
        j->o.trials = (int)n; /* the deflated Sharpe counts every variant tried */
    return QF_OK;
}

int bt_main(qf_cli *cli, int argc, char **argv, int mode, qf_rc (*finish)(bt_job *j, qf_err *err),
            qf_rc (*done)(bt_job *j, qf_err *err))
{
    static bt_job job;
    bt_job *j = &job;
    memset(j, 0, sizeof *j);
    j->cli = cli;
    for (size_t s = 0; s < BT_MAX_SYMBOLS; s++) {
        qf_bars_init(&j->bars[s]);
        qf_sentiment_events_init(&j->news[s]);
    }
    qf_err err;
    qf_err_clear(&err);
    int montecarlo = mode == BT_MONTECARLO;
    int p = parse_opts(cli, argc, argv, mode, &j->o, &err);
    if (p == -1)
        return QF_EXIT_OK;
    if (p == -2)
        return QF_EXIT_USAGE;
    qf_rc rc = p == -3 ? QF_EINVAL : QF_OK;
    bt_opts *o = &j->o;
    if (rc == QF_OK)
        rc = split_strategies(j, montecarlo, &err);
    if (rc == QF_OK && mode == BT_ABLATION)
        rc = setup_ablation(j, &err);
    if (rc == QF_OK && o->vectorized && o->n_symbols != 1)
        rc = qf_err_set(&err, QF_EINVAL, "the vectorized engine runs one symbol at a time");
    if (rc == QF_OK && o->from > o->to)
        rc = qf_err_set(&err, QF_EINVAL, "--from is after --to: an empty date range");
    if (rc == QF_OK)
        rc = qf_cli_bars_per_year(cli, o->timeframe, &j->bars_per_year, &err);
    if (rc == QF_OK)
        rc = load_bars(j, &err);
    j->ec = engine_config(cli, o->capital);
    for (j->current = 0; rc == QF_OK && j->current < j->n_strategies; j->current++) {
        o->strategy = j->strategies[j->current];
        j->def = qf_strategy_find(o->strategy);
        j->params = j->n_variants ? &j->variants[j->current] : &o->params;
        rc = bt_run_strategy(j, j->def, j->params, &j->r, &err);
        if (rc == QF_OK)
            rc = finish(j, &err);
        qf_backtest_result_free(&j->r);
    }
    if (rc == QF_OK && done != NULL)
        rc = done(j, &err);
    for (size_t s = 0; s < BT_MAX_SYMBOLS; s++) {
        qf_bars_cleanup(&j->bars[s]);
        qf_sentiment_events_cleanup(&j->news[s]);
    }
    qf_quantflow_cache_free(j->cache);
    j->cache = NULL;
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return QF_EXIT_OK;
}
