/* perturb.c - parameter-perturbation Monte Carlo (perturb.h). */
#include "backtest/perturb.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/metrics.h"
#include "core/parallel.h"

#define MAX_REDRAWS 100

typedef struct job {
    const qf_engine_config *c;
    const qf_strategy_def *def;
    const qf_bars *bars;
    size_t n_sym;
    const qf_perturb_config *pc;
    double base[QF_STRATEGY_PARAMS_MAX];
    int whole[QF_STRATEGY_PARAMS_MAX];
    double *sims, *params;
    qf_rc *rc;      /* per simulation */
    qf_err *errs;   /* per simulation, read only where rc fails */
    size_t *redraw; /* per simulation */
    atomic_size_t done;
} job;

/* Draws parameters for simulation i into p (values also into row). */
static qf_rc draw(const job *j, qf_rng *g, qf_strategy_params *p, double *row, size_t *redraws,
                  qf_err *err)
{
    const qf_strategy_def *def = j->def;
    for (size_t tries = 0; tries <= MAX_REDRAWS; tries++) {
        qf_strategy_params_init(p);
        for (size_t k = 0; k < def->n_params; k++) {
            double f = 1.0 - j->pc->spread + 2.0 * j->pc->spread * qf_rng_uniform(g);
            double v = j->base[k] * f;
            if (j->whole[k])
                v = round(v);
            row[k] = v;
            qf_rc rc = qf_strategy_params_set(p, def->param_names[k], v, err);
            if (rc != QF_OK)
                return rc;
        }
        void *state = NULL;
        qf_err e2;
        qf_err_clear(&e2);
        qf_rc rc = def->init(p, j->n_sym, &state, &e2);
        if (rc == QF_OK) {
            def->free(state);
            return QF_OK;
        }
        if (rc != QF_EINVAL)
            return qf_err_set(err, rc, "%s", e2.msg);
        ++*redraws;
        if (tries == MAX_REDRAWS)
            return qf_err_set(err, QF_EINVAL,
                              "perturbation: no valid parameters in %d draws (last: %s)",
                              MAX_REDRAWS + 1, e2.msg);
    }
    return QF_OK;
}

static qf_rc simulate(job *j, size_t i, qf_err *err)
{
    qf_rng g;
    qf_rng_seed(&g, j->pc->seed, i);
    qf_strategy_params p;
    double *row = j->params + i * j->def->n_params;
    qf_rc rc = draw(j, &g, &p, row, &j->redraw[i], err);
    if (rc != QF_OK)
        return rc;
    qf_engine_config c = *j->c;
    c.on_fill = NULL;
    qf_backtest_result r;
    rc = qf_backtest_run(&c, j->def, &p, j->bars, j->n_sym, &r, err);
    if (rc != QF_OK)
        return rc;
    qf_metrics_input in = {.equity = r.equity,
                           .n = r.n,
                           .bars_per_year = j->pc->bars_per_year,
                           .n_trials = 1,
                           .traded_notional = r.traded_notional,
                           .bars_in_market = r.bars_in_market};
    qf_metrics m;
    rc = qf_metrics_compute(&in, &m, err);
    if (rc == QF_OK) {
        j->sims[3 * i] = m.total_return;
        j->sims[3 * i + 1] = m.sharpe;
        j->sims[3 * i + 2] = m.max_drawdown;
    }
    qf_backtest_result_free(&r);
    return rc;
}

static void worker(void *user, size_t first, size_t last, int is_caller)
{
    job *j = user;
    for (size_t i = first; i < last; i++) {
        qf_err_clear(&j->errs[i]);
        j->rc[i] = simulate(j, i, &j->errs[i]);
        size_t done = atomic_fetch_add(&j->done, 1) + 1;
        if (is_caller && j->pc->progress != NULL)
            j->pc->progress(j->pc->user, done, j->pc->n_sims);
    }
}

static qf_rc check(const qf_strategy_def *def, const qf_perturb_config *pc, qf_err *err)
{
    if (def->n_params == 0)
        return qf_err_set(err, QF_EINVAL, "perturbation: strategy %s has no numeric parameters",
                          def->name);
    if (pc->n_sims < 1 || pc->n_sims > 1000000)
        return qf_err_set(err, QF_EINVAL, "perturbation: simulations must be in [1, 1e6], got %zu",
                          pc->n_sims);
    if (!(pc->spread > 0 && pc->spread < 1))
        return qf_err_set(err, QF_EINVAL, "perturbation: spread must be in (0, 1), got %g",
                          pc->spread);
    if (!(pc->bars_per_year > 0) || !isfinite(pc->bars_per_year))
        return qf_err_set(err, QF_EINVAL, "perturbation: bars_per_year must be positive");
    return QF_OK;
}

qf_rc qf_perturb_run(const qf_engine_config *c, const qf_strategy_def *def,
                     const qf_strategy_params *base, const qf_bars *bars, size_t n_symbols,
                     const qf_perturb_config *pc, qf_perturb_result *out, qf_err *err)
{
    memset(out, 0, sizeof *out);
    qf_rc rc = check(def, pc, err);
    if (rc == QF_OK && base != NULL)
        rc = qf_strategy_params_check_names(def, base, err);
    if (rc != QF_OK)
        return rc;
    job *j = calloc(1, sizeof *j);
    size_t n = pc->n_sims, np = def->n_params;
    if (j != NULL) {
        j->sims = malloc(3 * n * sizeof *j->sims);
        j->params = malloc(n * np * sizeof *j->params);
        j->rc = malloc(n * sizeof *j->rc);
        j->errs = malloc(n * sizeof *j->errs);
        j->redraw = calloc(n, sizeof *j->redraw);
    }
    if (j == NULL || !j->sims || !j->params || !j->rc || !j->errs || !j->redraw) {
        rc = qf_err_set(err, QF_ENOMEM, "perturbation: out of memory for %zu simulations", n);
        goto done;
    }
    j->c = c;
    j->def = def;
    j->bars = bars;
    j->n_sym = n_symbols;
    j->pc = pc;
    atomic_init(&j->done, 0);
    for (size_t k = 0; k < np; k++) {
        double v = qf_strategy_params_get(base, def->param_names[k], def->param_defaults[k]);
        j->base[k] = v;
        j->whole[k] = v == floor(v) && fabs(v) < 1e15;
    }
    qf_parallel_for(n, pc->threads, worker, j);
    for (size_t i = 0; i < n && rc == QF_OK; i++)
        if (j->rc[i] != QF_OK)
            rc = qf_err_set(err, j->rc[i], "perturbation: simulation %zu: %s", i, j->errs[i].msg);
    if (rc == QF_OK)
        rc = qf_mc_summarize(j->sims, n, &out->summary, err);
    if (rc == QF_OK) {
        out->n_params = np;
        for (size_t i = 0; i < n; i++)
            out->redraws += j->redraw[i];
        out->sims = j->sims;
        out->params = j->params;
        j->sims = j->params = NULL;
    }
done:
    if (j != NULL) {
        free(j->sims);
        free(j->params);
        free(j->rc);
        free(j->errs);
        free(j->redraw);
    }
    free(j);
    return rc;
}

void qf_perturb_result_free(qf_perturb_result *r)
{
    free(r->sims);
    free(r->params);
    memset(r, 0, sizeof *r);
}
