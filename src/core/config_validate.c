/*
 * config_validate.c - rules that tie several keys together, run after every
 * key passed its own rule (each load, each --set, qf_config_validate).
 *
 * A message names the key that breaks the rule and the other key's value,
 * located at the line of whichever of them the input being loaded set.
 */
#include "core/config_int.h"

#include <stdarg.h>
#include <string.h>

typedef struct rules {
    const qf_config *cfg;
    const int *lines; /* per key, 0 = not set by this input; may be NULL */
    const char *src;
    qf_err *err;
} rules;

static int key_index(const char *path)
{
    return qf_cfg_find(path, strlen(path));
}

/* Fails with the location of the later of the two keys set by this input. */
static qf_rc cross_fail(const rules *r, const char *a, const char *b, const char *fmt, ...)
    QF_PRINTF(4, 5);

static qf_rc cross_fail(const rules *r, const char *a, const char *b, const char *fmt, ...)
{
    char msg[QF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = 0;
    if (r->lines != NULL) {
        int la = r->lines[key_index(a)];
        int lb = b != NULL ? r->lines[key_index(b)] : 0;
        line = la != 0 && lb != 0 ? (la > lb ? la : lb) : la + lb;
    }
    return qf_cfg_fail(r->err, QF_ECONFIG, line != 0 ? r->src : NULL, line, "%s", msg);
}

static int has_quantile(const qf_config *cfg, double q)
{
    for (size_t i = 0; i < cfg->model.n_quantiles && i < QF_CONFIG_QUANTILES_MAX; i++)
        if (cfg->model.quantiles[i] == q)
            return 1;
    return 0;
}

static qf_rc check_weights(const rules *r, const qf_config_expert_weights *w, const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "signals.fusion.regime_weights.%s.technical", name);
    if (w->technical + w->ml + w->sentiment > 0)
        return QF_OK;
    return cross_fail(r, path, NULL, "signals.fusion.regime_weights.%s must not be all 0", name);
}

static qf_rc check_database(const rules *r)
{
    const qf_config_database *db = &r->cfg->database;
    if (strcmp(db->driver, "postgres") != 0)
        return QF_OK;
    if (db->host[0] == '\0')
        return cross_fail(r, "database.host", "database.driver",
                          "database.host must not be empty when database.driver is postgres");
    if (db->name[0] == '\0')
        return cross_fail(r, "database.name", "database.driver",
                          "database.name must not be empty when database.driver is postgres");
    if (db->user[0] == '\0')
        return cross_fail(r, "database.user", "database.driver",
                          "database.user must not be empty when database.driver is postgres");
    return QF_OK;
}

static qf_rc cross_rules(const rules *r)
{
    const qf_config *c = r->cfg;
    if (c->features.normalization.shift >= c->features.normalization.window)
        return cross_fail(r, "features.normalization.shift", "features.normalization.window",
                          "features.normalization.shift must be less than "
                          "features.normalization.window (%d), got %d",
                          c->features.normalization.window, c->features.normalization.shift);
    if (c->signals.fusion.confidence_min_iqr >= c->signals.fusion.confidence_max_iqr)
        return cross_fail(
            r, "signals.fusion.confidence_min_iqr", "signals.fusion.confidence_max_iqr",
            "signals.fusion.confidence_min_iqr must be less than "
            "signals.fusion.confidence_max_iqr (%g), got %g",
            c->signals.fusion.confidence_max_iqr, c->signals.fusion.confidence_min_iqr);
    if (!has_quantile(c, 0.25) || !has_quantile(c, 0.5) || !has_quantile(c, 0.75))
        return cross_fail(r, "model.quantiles", NULL,
                          "model.quantiles must include 0.25, 0.5 and 0.75 (the median and "
                          "the interquartile range fusion uses)");
    if (c->portfolio.min_train_bars > c->portfolio.signal_lookback_bars)
        return cross_fail(r, "portfolio.min_train_bars", "portfolio.signal_lookback_bars",
                          "portfolio.min_train_bars must be at most "
                          "portfolio.signal_lookback_bars (%d), got %d",
                          c->portfolio.signal_lookback_bars, c->portfolio.min_train_bars);
    const qf_config_regime_weights *w = &c->signals.fusion.regime_weights;
    qf_rc rc = check_weights(r, &w->trending, "trending");
    if (rc == QF_OK)
        rc = check_weights(r, &w->mean_reverting, "mean_reverting");
    if (rc == QF_OK)
        rc = check_weights(r, &w->choppy, "choppy");
    if (rc == QF_OK)
        rc = check_database(r);
    return rc;
}

qf_rc qf_cfg_validate(const qf_config *cfg, const int *lines, const char *src, qf_err *err)
{
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        int line = lines != NULL ? lines[i] : 0;
        qf_cfg_where w = {line != 0 ? src : NULL, line};
        qf_rc rc = qf_cfg_check(cfg, &qf_cfg_keys[i], &w, err);
        if (rc != QF_OK)
            return rc;
    }
    rules r = {cfg, lines, src, err};
    return cross_rules(&r);
}
