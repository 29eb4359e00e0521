/*
 * params.c - strategy parameters by name, and the registry of strategies.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strategy/quantflow.h"
#include "strategy/strategy.h"

extern const qf_strategy_def qf_strategy_buy_and_hold;
extern const qf_strategy_def qf_strategy_ma_crossover;
extern const qf_strategy_def qf_strategy_mean_reversion;

static const qf_strategy_def *const registry[] = {
    &qf_strategy_buy_and_hold, &qf_strategy_ma_crossover, &qf_strategy_mean_reversion,
    &qf_strategy_quantflow};

const qf_strategy_def *const *qf_strategy_list(size_t *out_n)
{
    *out_n = sizeof registry / sizeof registry[0];
    return registry;
}

const qf_strategy_def *qf_strategy_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

void qf_strategy_params_init(qf_strategy_params *p)
{
    memset(p, 0, sizeof *p);
}

qf_rc qf_strategy_params_set(qf_strategy_params *p, const char *name, double value, qf_err *err)
{
    size_t len = strlen(name);
    if (len == 0 || len >= QF_STRATEGY_NAME_MAX)
        return qf_err_set(err, QF_EINVAL, "strategy parameter name must be 1 to %d characters",
                          QF_STRATEGY_NAME_MAX - 1);
    if (!isfinite(value))
        return qf_err_set(err, QF_EINVAL, "strategy parameter %s must be a finite number", name);
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->names[i], name) == 0) {
            p->values[i] = value;
            return QF_OK;
        }
    if (p->n == QF_STRATEGY_PARAMS_MAX)
        return qf_err_set(err, QF_EINVAL, "too many strategy parameters (max %d)",
                          QF_STRATEGY_PARAMS_MAX);
    memcpy(p->names[p->n], name, len + 1);
    p->values[p->n++] = value;
    return QF_OK;
}

qf_rc qf_strategy_params_parse(qf_strategy_params *p, const char *assignment, qf_err *err)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return qf_err_set(err, QF_EINVAL, "strategy parameter '%s': expected NAME=NUMBER",
                          assignment);
    char name[QF_STRATEGY_NAME_MAX];
    size_t len = (size_t)(eq - assignment);
    if (len >= sizeof name)
        return qf_err_set(err, QF_EINVAL, "strategy parameter name too long in '%s'", assignment);
    memcpy(name, assignment, len);
    name[len] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(eq + 1, &end);
    if (eq[1] == '\0' || *end != '\0' || errno != 0)
        return qf_err_set(err, QF_EINVAL, "strategy parameter %s: '%s' is not a number", name,
                          eq + 1);
    return qf_strategy_params_set(p, name, v, err);
}

double qf_strategy_params_get(const qf_strategy_params *p, const char *name, double def)
{
    for (size_t i = 0; p != NULL && i < p->n; i++)
        if (strcmp(p->names[i], name) == 0)
            return p->values[i];
    return def;
}

qf_rc qf_strategy_params_check_names(const qf_strategy_def *def, const qf_strategy_params *p,
                                     qf_err *err)
{
    for (size_t i = 0; p != NULL && i < p->n; i++) {
        size_t k = 0;
        while (k < def->n_params && strcmp(def->param_names[k], p->names[i]) != 0)
            k++;
        if (k == def->n_params)
            return qf_err_set(err, QF_EINVAL, "strategy %s has no parameter '%s'", def->name,
                              p->names[i]);
    }
    return QF_OK;
}

qf_rc qf_strategy_check_history(const qf_strategy_def *def, const void *state, const qf_bars *bars,
                                size_t n_symbols, qf_err *err)
{
    size_t w = def->warmup != NULL ? def->warmup(state) : 0;
    for (size_t s = 0; s < n_symbols; s++)
        if (bars[s].n < w + 2)
            return qf_err_set(err, QF_EINVAL,
                              "%s needs at least %zu bars (a warm-up of %zu, a bar to decide at "
                              "and one to fill in); symbol #%zu has %zu",
                              def->name, w + 2, w, s + 1, bars[s].n);
    return QF_OK;
}
