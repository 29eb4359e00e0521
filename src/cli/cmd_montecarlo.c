/*
 * cmd_montecarlo.c - `quantflow montecarlo`: how robust a backtest is. A
 * circular block bootstrap of its bar returns and, with --perturb P, the
 * same backtest re-run with every numeric parameter scaled by U(1-P, 1+P).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "backtest/montecarlo.h"
#include "backtest/perturb.h"
#include "cli/bt_run.h"
#include "cli/progress.h"

static json_t *dist_json(const qf_mc_dist *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "mean", bt_num(d->mean));
    json_object_set_new(o, "p5", bt_num(d->p5));
    json_object_set_new(o, "p50", bt_num(d->p50));
    json_object_set_new(o, "p95", bt_num(d->p95));
    return o;
}

static void summary_json(json_t *doc, const qf_mc_summary *s)
{
    json_object_set_new(doc, "simulations", json_integer((json_int_t)s->n_sims));
    json_object_set_new(doc, "sharpe", dist_json(&s->sharpe));
    json_object_set_new(doc, "total_return", dist_json(&s->total_return));
    json_object_set_new(doc, "max_drawdown", dist_json(&s->max_drawdown));
    json_object_set_new(doc, "prob_loss", bt_num(s->prob_loss));
}

static void print_summary(const qf_mc_summary *s)
{
    printf("  %-14s %12s %12s %12s %12s\n", "", "mean", "p5", "p50", "p95");
    const qf_mc_dist *d[3] = {&s->sharpe, &s->total_return, &s->max_drawdown};
    const char *names[3] = {"Sharpe", "total return", "max drawdown"};
    for (int i = 0; i < 3; i++)
        printf("  %-14s %12.4f %12.4f %12.4f %12.4f\n", names[i], d[i]->mean, d[i]->p5, d[i]->p50,
               d[i]->p95);
    printf("  probability of loss: %.2f%%\n", 100 * s->prob_loss);
}

static void on_progress(void *user, size_t done, size_t total)
{
    qf_progress_update(user, done, total);
}

/* The perturbation section: summary plus each parameter's range. */
static qf_rc perturb(bt_job *j, json_t *doc, qf_err *err)
{
    const bt_opts *o = &j->o;
    qf_progress bar;
    qf_progress_init(&bar, j->cli->tty && !j->cli->json, "perturbation");
    qf_perturb_config pc = {o->sims,    o->perturb,  o->seed, j->bars_per_year,
                            o->threads, on_progress, &bar};
    qf_perturb_result pr;
    qf_engine_config ec = j->ec;
    qf_rc rc = qf_perturb_run(&ec, j->def, &o->params, j->bars, o->n_symbols, &pc, &pr, err);
    qf_progress_done(&bar);
    if (rc != QF_OK)
        return rc;
    json_t *p = json_object();
    json_object_set_new(p, "spread", json_real(o->perturb));
    summary_json(p, &pr.summary);
    json_object_set_new(p, "redraws", json_integer((json_int_t)pr.redraws));
    /* the range each parameter took over the simulations */
    double lo[QF_STRATEGY_PARAMS_MAX], hi[QF_STRATEGY_PARAMS_MAX];
    json_t *ranges = json_object();
    for (size_t k = 0; k < pr.n_params; k++) {
        lo[k] = hi[k] = pr.params[k];
        for (size_t i = 1; i < pr.summary.n_sims; i++) {
            double v = pr.params[i * pr.n_params + k];
            lo[k] = v < lo[k] ? v : lo[k];
            hi[k] = v > hi[k] ? v : hi[k];
        }
        json_t *r = json_array();
        json_array_append_new(r, json_real(lo[k]));
        json_array_append_new(r, json_real(hi[k]));
        json_object_set_new(ranges, j->def->param_names[k], r);
    }
    json_object_set_new(p, "parameter_ranges", ranges);
    json_object_set_new(doc, "perturbation", p);
    if (!j->cli->json) {
        printf("\n%s: %zu re-runs with every parameter x U(%.3g, %.3g) (%zu rejected draws "
               "redrawn)\n",
               o->strategy, pr.summary.n_sims, 1 - o->perturb, 1 + o->perturb, pr.redraws);
        for (size_t k = 0; k < pr.n_params; k++)
            printf("  %-12s %g .. %g\n", j->def->param_names[k], lo[k], hi[k]);
        print_summary(&pr.summary);
    }
    qf_perturb_result_free(&pr);
    return QF_OK;
}

/* Bootstraps the run's bar returns and reports the distributions. */
static qf_rc finish(bt_job *j, qf_err *err)
{
    const bt_opts *o = &j->o;
    const qf_backtest_result *r = &j->r;
    size_t block = 0;
    qf_mc_summary s;
    qf_rc rc = bt_bootstrap(j, r, &s, NULL, &block, err);
    if (rc != QF_OK)
        return rc;
    json_t *doc = json_object();
    json_object_set_new(doc, "strategy", json_string(o->strategy));
    json_object_set_new(doc, "block", json_integer((json_int_t)block));
    json_object_set_new(doc, "seed", json_integer((json_int_t)o->seed));
    summary_json(doc, &s);
    if (!j->cli->json) {
        printf("%s on %s: block bootstrap of %zu bar returns, %zu simulations, block %zu, "
               "seed %llu\n",
               o->strategy, o->symbols[0], r->n - 1, s.n_sims, block, (unsigned long long)o->seed);
        print_summary(&s);
    }
    if (o->perturb > 0)
        rc = perturb(j, doc, err);
    if (rc == QF_OK && o->json_path != NULL)
        rc = bt_write_json(o->json_path, doc, err);
    if (rc == QF_OK && j->cli->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
    }
    json_decref(doc);
    return rc;
}

int qf_cmd_montecarlo(qf_cli *cli, int argc, char **argv)
{
    return bt_main(cli, argc, argv, BT_MONTECARLO, finish, NULL);
}
