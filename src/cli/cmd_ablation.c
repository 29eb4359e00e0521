/*
 * cmd_ablation.c - `quantflow ablation`: the QuantFlow strategy with each of
 * its parts switched off in turn (no ML, no technical, no sentiment, fixed
 * weights instead of regime gating, no vol targeting, no risk checks), on
 * the same bars with the same fill model, in one table. The deflated Sharpe
 * ratio of every run counts all the variants as trials (--trials raises it
 * further). Each run is saved in backtest_runs; --json FILE writes the
 * comparison.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/bt_run.h"
#include "store/store.h"

static qf_rc finish(bt_job *j, qf_err *err)
{
    qf_metrics m;
    qf_rc rc = bt_metrics(j, &m, err);
    if (rc != QF_OK)
        return rc;
    j->compared[j->current] = m;
    if (j->o.save) {
        json_t *params = bt_params_json(j);
        json_object_set_new(params, "ablation", json_string(j->variant_names[j->current]));
        json_t *metrics = bt_metrics_json(&m);
        char *pj = json_dumps(params, JSON_COMPACT | JSON_REAL_PRECISION(17));
        char *mj = json_dumps(metrics, JSON_COMPACT | JSON_REAL_PRECISION(17));
        qf_store *store = NULL;
        rc = qf_cli_open_store(j->cli, &store, err);
        if (rc == QF_OK)
            rc = qf_store_insert_backtest_run(store, j->o.strategy, j->o.symbols[0], j->o.timeframe,
                                              pj, mj, NULL, err);
        qf_store_close(store);
        free(pj);
        free(mj);
        json_decref(params);
        json_decref(metrics);
    }
    if (!j->cli->json && j->cli->tty)
        fprintf(stderr, "ablation: %s done\n", j->variant_names[j->current]);
    return rc;
}

static qf_rc done(bt_job *j, qf_err *err)
{
    const bt_opts *o = &j->o;
    json_t *doc = json_object();
    json_object_set_new(doc, "trials", json_integer(o->trials));
    json_t *runs = json_array();
    for (size_t k = 0; k < j->n_variants; k++) {
        json_t *r = json_object();
        json_object_set_new(r, "ablation", json_string(j->variant_names[k]));
        json_t *sp = json_object();
        const qf_strategy_def *def = j->def;
        for (size_t p = 0; p < def->n_params; p++)
            json_object_set_new(sp, def->param_names[p],
                                json_real(qf_strategy_params_get(
                                    &j->variants[k], def->param_names[p], def->param_defaults[p])));
        json_object_set_new(r, "strategy_params", sp);
        json_object_set_new(r, "metrics", bt_metrics_json(&j->compared[k]));
        json_array_append_new(runs, r);
    }
    json_object_set_new(doc, "runs", runs);
    qf_rc rc = QF_OK;
    if (o->json_path != NULL)
        rc = bt_write_json(o->json_path, doc, err);
    if (rc == QF_OK && j->cli->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
    } else if (rc == QF_OK) {
        printf("ablation of quantflow on");
        for (size_t s = 0; s < o->n_symbols; s++)
            printf(" %s", o->symbols[s]);
        printf(" %s, %s engine, %zu bars; deflated Sharpe over %d trials\n", o->timeframe,
               o->vectorized ? "vectorized" : "event", j->bars[0].n, o->trials);
        printf("  %-15s %10s %8s %7s %8s %8s %7s %7s %8s %8s %9s\n", "variant", "total ret", "CAGR",
               "Sharpe", "dSharpe", "max DD", "trades", "hit", "exposure", "DSR", "PSR");
        const qf_metrics *full = &j->compared[0];
        for (size_t k = 0; k < j->n_variants; k++) {
            const qf_metrics *m = &j->compared[k];
            char c[10][32];
            printf("  %-15s %10s %8s %7s %8s %8s %7lld %7s %8s %8s %9s\n", j->variant_names[k],
                   bt_cell(c[0], 100 * m->total_return, "%.1f%%"),
                   bt_cell(c[1], 100 * m->cagr, "%.2f%%"), bt_cell(c[2], m->sharpe, "%.3f"),
                   k == 0 ? "" : bt_cell(c[3], m->sharpe - full->sharpe, "%+.3f"),
                   bt_cell(c[4], 100 * m->max_drawdown, "%.2f%%"), (long long)m->trades,
                   bt_cell(c[5], 100 * m->hit_rate, "%.1f%%"),
                   bt_cell(c[6], 100 * m->exposure, "%.1f%%"), bt_cell(c[7], m->dsr, "%.4f"),
                   bt_cell(c[8], m->psr, "%.4f"));
        }
        printf("dSharpe: the variant's Sharpe minus the full strategy's (negative: the part "
               "removed was helping)\n");
    }
    json_decref(doc);
    return rc;
}

int qf_cmd_ablation(qf_cli *cli, int argc, char **argv)
{
    return bt_main(cli, argc, argv, BT_ABLATION, finish, done);
}
