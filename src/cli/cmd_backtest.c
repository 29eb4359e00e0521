/*
 * cmd_backtest.c - `quantflow backtest`: run a strategy over stored candles
 * with the event-driven or the vectorized engine, print the metrics, write
 * the JSON and the HTML report on request, and save the run (parameters and
 * metrics) in the store's backtest_runs.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/metrics.h"
#include "backtest/montecarlo.h"
#include "cli/bt_run.h"
#include "core/time.h"
#include "report/report.h"

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
        json_object_set_new(o, "entry_price", bt_num(t->entry_price));
        json_object_set_new(o, "exit_price", bt_num(t->exit_price));
        json_object_set_new(o, "pnl", bt_num(t->pnl));
        json_array_append_new(tr, o);
    }
    json_object_set_new(doc, "trades", tr);
    return doc;
}

/* One line of the metrics table. */
static void row(const char *label, double v, const char *fmt)
{
    char buf[32];
    printf("  %-28s %16s\n", label, bt_cell(buf, v, fmt));
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
    row("final equity", m->final_equity, "%.2f");
    row("total return", 100 * m->total_return, "%.2f%%");
    row("CAGR", 100 * m->cagr, "%.2f%%");
    row("Sharpe", m->sharpe, "%.3f");
    row("Sortino", m->sortino, "%.3f");
    row("Calmar", m->calmar, "%.3f");
    row("max drawdown", 100 * m->max_drawdown, "%.2f%%");
    printf("  %-28s %16lld\n", "max drawdown duration (bars)",
           (long long)m->max_drawdown_duration_bars);
    printf("  %-28s %16lld\n", "closed trades", (long long)m->trades);
    row("hit rate", 100 * m->hit_rate, "%.2f%%");
    row("profit factor", m->profit_factor, "%.3f");
    row("turnover (per year)", m->turnover_annual, "%.2f");
    row("exposure", 100 * m->exposure, "%.2f%%");
    row("VaR 5% (bar)", 100 * m->var_5, "%.3f%%");
    row("CVaR 5% (bar)", 100 * m->cvar_5, "%.3f%%");
    row("PSR (vs 0)", m->psr, "%.4f");
    row("DSR", m->dsr, "%.4f");
    row("capacity (USD)", m->capacity_usd, "%.0f");
    row("fees + spread + impact", r->fees + r->spread_cost + r->impact_cost, "%.2f");
}

/* The report's settings table: what the run assumed, as text. */
typedef struct settings {
    const char *k[16];
    const char *v[16];
    char buf[16][96];
    size_t n;
} settings;

static void setting(settings *s, const char *k, const char *fmt, double v)
{
    s->k[s->n] = k;
    snprintf(s->buf[s->n], sizeof s->buf[s->n], fmt, v);
    s->v[s->n] = s->buf[s->n];
    s->n++;
}

static void fill_settings(const bt_job *j, settings *s)
{
    const qf_engine_config *c = &j->ec;
    memset(s, 0, sizeof *s);
    s->k[s->n] = "engine";
    s->v[s->n++] = j->o.vectorized ? "vectorized" : "event-driven";
    s->k[s->n] = "fill at";
    s->v[s->n++] = c->fill_at == QF_FILL_CLOSE ? "close of the decision bar" : "next open";
    setting(s, "starting equity (USD)", "%.2f", c->initial_equity);
    setting(s, "latency (bars)", "%.0f", c->latency_bars);
    setting(s, "taker fee (bps)", "%.2f", c->costs.taker_fee_bps);
    setting(s, "maker fee (bps)", "%.2f", c->costs.maker_fee_bps);
    setting(s, "half spread (bps)", "%.2f", c->costs.fixed_spread_bps);
    setting(s, "linear impact (bps per participation)", "%.2f", c->costs.linear_impact_bps);
    setting(s, "ADV window (bars)", "%.0f", c->costs.adv_window);
    setting(s, "max participation", "%.4g", c->max_participation);
    setting(s, "order timeout (bars)", "%.0f", c->order_timeout_bars);
    s->k[s->n] = "shorting";
    s->v[s->n++] = c->allow_short ? "allowed" : "long only";
    setting(s, "trials (deflated Sharpe)", "%.0f", j->o.trials);
    setting(s, "bars per year", "%.0f", j->bars_per_year);
}

/* The report's file: --report as given for one strategy; with several,
 * FILE.html becomes FILE-STRATEGY.html. */
static void report_path(const bt_job *j, char *out, size_t size)
{
    const char *path = j->o.report_path;
    if (j->n_strategies < 2) {
        snprintf(out, size, "%s", path);
        return;
    }
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    int stem =
        dot != NULL && (slash == NULL || dot > slash) ? (int)(dot - path) : (int)strlen(path);
    snprintf(out, size, "%.*s-%s%s", stem, path, j->o.strategy, path + stem);
}

/* The HTML report: the run against buy-and-hold on the same bars and
 * engine, and a block bootstrap of the run's bar returns. */
static qf_rc write_report(bt_job *j, const qf_metrics *m, qf_err *err)
{
    const bt_opts *o = &j->o;
    const qf_backtest_result *r = &j->r;
    qf_backtest_result bh;
    memset(&bh, 0, sizeof bh);
    qf_rc rc = bt_run_strategy(j, qf_strategy_find("buy_and_hold"), NULL, &bh, err);
    if (rc != QF_OK)
        return rc;
    double *sims = malloc(3 * o->sims * sizeof *sims);
    qf_mc_summary mc;
    int have_mc = 0;
    if (sims == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "report: out of memory");
    if (rc == QF_OK && r->n > 2) {
        rc = bt_bootstrap(j, r, &mc, sims, NULL, err);
        have_mc = rc == QF_OK;
    }
    const char *names[QF_STRATEGY_PARAMS_MAX];
    double values[QF_STRATEGY_PARAMS_MAX];
    for (size_t k = 0; k < j->def->n_params; k++) {
        names[k] = j->def->param_names[k];
        values[k] = qf_strategy_params_get(&o->params, names[k], j->def->param_defaults[k]);
    }
    const char *syms[BT_MAX_SYMBOLS];
    char title[256];
    int len = snprintf(title, sizeof title, "%s on %s", o->strategy, o->exchange);
    for (size_t s = 0; s < o->n_symbols; s++) {
        syms[s] = o->symbols[s];
        if (len > 0 && (size_t)len < sizeof title)
            len += snprintf(title + len, sizeof title - (size_t)len, "%s%s", s ? ", " : " ",
                            o->symbols[s]);
    }
    if (len > 0 && (size_t)len < sizeof title)
        snprintf(title + len, sizeof title - (size_t)len, " %s", o->timeframe);
    settings st;
    fill_settings(j, &st);
    if (rc == QF_OK) {
        qf_report_input in = {.title = title,
                              .strategy = o->strategy,
                              .param_names = names,
                              .param_values = values,
                              .n_params = j->def->n_params,
                              .settings_k = st.k,
                              .settings_v = st.v,
                              .n_settings = st.n,
                              .time = r->time,
                              .equity = r->equity,
                              .benchmark = bh.n == r->n ? bh.equity : NULL,
                              .n = r->n,
                              .bars_per_year = j->bars_per_year,
                              .metrics = m,
                              .trades = r->trades,
                              .n_trades = r->n_trades,
                              .symbol_names = syms,
                              .n_symbols = o->n_symbols,
                              .mc = have_mc ? &mc : NULL,
                              .mc_sims = have_mc ? sims : NULL};
        char path[4096];
        report_path(j, path, sizeof path);
        rc = qf_report_write_html(path, &in, err);
        if (rc == QF_OK && j->n_strategies > 1 && !j->cli->json)
            fprintf(stderr, "report: %s\n", path);
    }
    free(sims);
    qf_backtest_result_free(&bh);
    return rc;
}

static qf_rc finish(bt_job *j, qf_err *err)
{
    qf_cli *cli = j->cli;
    const bt_opts *o = &j->o;
    const qf_backtest_result *r = &j->r;
    qf_metrics m;
    qf_rc rc = bt_metrics(j, &m, err);
    if (rc != QF_OK)
        return rc;
    json_t *params = bt_params_json(j);
    json_t *metrics = bt_metrics_json(&m);
    if (o->json_path != NULL) {
        json_t *doc = result_json(o, params, metrics, r);
        rc = bt_write_json(o->json_path, doc, err);
        json_decref(doc);
    }
    if (rc == QF_OK && o->report_path != NULL)
        rc = write_report(j, &m, err);
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
    if (rc == QF_OK && j->n_strategies > 1) {
        j->compared[j->current] = m; /* printed together by compare() */
    } else if (rc == QF_OK) {
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

/* Several strategies: one table, a row each (or one JSON document). */
static qf_rc compare(bt_job *j, qf_err *err)
{
    (void)err;
    if (j->n_strategies < 2)
        return QF_OK;
    const bt_opts *o = &j->o;
    if (j->cli->json) {
        json_t *doc = json_array();
        for (size_t k = 0; k < j->n_strategies; k++) {
            json_t *row = json_object();
            json_object_set_new(row, "strategy", json_string(j->strategies[k]));
            json_object_set_new(row, "metrics", bt_metrics_json(&j->compared[k]));
            json_array_append_new(doc, row);
        }
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
        json_decref(doc);
        return QF_OK;
    }
    printf("%zu strategies on", j->n_strategies);
    for (size_t s = 0; s < o->n_symbols; s++)
        printf(" %s", o->symbols[s]);
    printf(" %s, %s engine, %zu bars, starting equity %.0f\n", o->timeframe,
           o->vectorized ? "vectorized" : "event", j->bars[0].n, j->ec.initial_equity);
    printf("  %-16s %11s %8s %7s %8s %8s %7s %7s %6s %8s %14s\n", "strategy", "total ret", "CAGR",
           "Sharpe", "Sortino", "max DD", "Calmar", "trades", "hit", "exposure", "final equity");
    for (size_t k = 0; k < j->n_strategies; k++) {
        const qf_metrics *m = &j->compared[k];
        char c[11][32];
        printf("  %-16s %11s %8s %7s %8s %8s %7s %7lld %6s %8s %14.2f\n", j->strategies[k],
               bt_cell(c[0], 100 * m->total_return, "%.1f%%"),
               bt_cell(c[1], 100 * m->cagr, "%.2f%%"), bt_cell(c[2], m->sharpe, "%.3f"),
               bt_cell(c[3], m->sortino, "%.3f"), bt_cell(c[4], 100 * m->max_drawdown, "%.2f%%"),
               bt_cell(c[5], m->calmar, "%.3f"), (long long)m->trades,
               bt_cell(c[6], 100 * m->hit_rate, "%.1f%%"),
               bt_cell(c[7], 100 * m->exposure, "%.1f%%"), m->final_equity);
    }
    return QF_OK;
}

int qf_cmd_backtest(qf_cli *cli, int argc, char **argv)
{
    return bt_main(cli, argc, argv, BT_BACKTEST, finish, compare);
}
