/*
 * gbdt_data.c - the training rows of a series: normalised technical
 * features, triple-barrier labels and forward log returns, laid out as
 * qf_gbdt_data wants them (row-major features). Shared by `quantflow
 * train`, walk-forward runs and the strategy's retraining, so all three
 * train on the same rows.
 */
#include "model/gbdt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features/featureset.h"
#include "features/normalize.h"
#include "model/labels.h"

void qf_gbdt_dataset_init(qf_gbdt_dataset *ds)
{
    memset(ds, 0, sizeof *ds);
}

void qf_gbdt_dataset_cleanup(qf_gbdt_dataset *ds)
{
    if (ds == NULL)
        return;
    free(ds->x);
    free(ds->label);
    free(ds->target);
    qf_gbdt_dataset_init(ds);
}

static qf_rc check_params(const qf_config *cfg, qf_feature_params *fp, qf_label_params *lp,
                          qf_err *err)
{
    const qf_config_technical *t = &cfg->features.technical;
    *fp = (qf_feature_params){t->rsi_period, t->atr_period,  t->bb_period,    t->bb_std,
                              t->vol_window, t->vwap_period, t->bars_per_year};
    const qf_config_labeling *l = &cfg->model.labeling;
    *lp = (qf_label_params){l->profit_taking_pct, l->stop_loss_pct, l->max_holding_bars,
                            l->neutral_pct};
    qf_rc rc = qf_feature_params_check(fp, err);
    if (rc == QF_OK)
        rc = qf_zscore_check(cfg->features.normalization.window, cfg->features.normalization.shift,
                             err);
    if (rc == QF_OK)
        rc = qf_label_params_check(lp, err);
    return rc;
}

/* Column-major z-scores (the feature set's layout) into row-major x. */
static void transpose(const double *cols, size_t n, size_t nf, double *x)
{
    for (size_t f = 0; f < nf; f++)
        for (size_t i = 0; i < n; i++)
            x[i * nf + f] = cols[f * n + i];
}

static size_t first_complete(const double *x, size_t n, size_t nf)
{
    for (size_t i = 0; i < n; i++) {
        size_t f = 0;
        while (f < nf && isfinite(x[i * nf + f]))
            f++;
        if (f == nf)
            return i;
    }
    return n;
}

static qf_rc fill(const qf_bars *b, const qf_config *cfg, const qf_feature_params *fp,
                  const qf_label_params *lp, qf_gbdt_dataset *ds, double *cols, double *z,
                  qf_err *err)
{
    size_t n = b->n;
    qf_rc rc = qf_features_compute(b, fp, cols, err);
    if (rc == QF_OK)
        rc =
            qf_zscore_rolling_columns(cols, n, QF_TECH_FEATURES, cfg->features.normalization.window,
                                      cfg->features.normalization.shift, 0, z, err);
    if (rc == QF_OK)
        rc = qf_label_triple_barrier(b->close, n, lp, ds->label, err);
    if (rc == QF_OK)
        rc = qf_forward_log_return(b->close, n, lp->max_holding_bars, ds->target, err);
    if (rc == QF_OK)
        transpose(z, n, QF_TECH_FEATURES, ds->x);
    return rc;
}

qf_rc qf_gbdt_dataset_build(const qf_bars *b, const qf_config *cfg, qf_gbdt_dataset *out,
                            qf_err *err)
{
    qf_err_clear(err);
    if (b == NULL || cfg == NULL || out == NULL)
        return qf_err_set(err, QF_EINVAL, "gbdt: dataset: no bars, config or output");
    qf_feature_params fp;
    qf_label_params lp;
    qf_rc rc = check_params(cfg, &fp, &lp, err);
    if (rc != QF_OK)
        return rc;
    size_t n = b->n, nf = QF_TECH_FEATURES;
    qf_gbdt_dataset ds;
    qf_gbdt_dataset_init(&ds);
    ds.n = n;
    ds.n_features = nf;
    size_t cells = n * nf > 0 ? n * nf : 1;
    ds.x = malloc(cells * sizeof *ds.x);
    ds.label = malloc(n > 0 ? n : 1);
    ds.target = malloc((n > 0 ? n : 1) * sizeof *ds.target);
    double *cols = malloc(cells * sizeof *cols);
    double *z = malloc(cells * sizeof *z);
    if (ds.x == NULL || ds.label == NULL || ds.target == NULL || cols == NULL || z == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "gbdt: out of memory for the rows of %zu bars", n);
    if (rc == QF_OK && n > 0)
        rc = fill(b, cfg, &fp, &lp, &ds, cols, z, err);
    free(cols);
    free(z);
    if (rc != QF_OK) {
        qf_gbdt_dataset_cleanup(&ds);
        return rc;
    }
    ds.first = first_complete(ds.x, n, nf);
    ds.data = (qf_gbdt_data){ds.x, n, nf, ds.label, ds.target};
    qf_gbdt_dataset_cleanup(out);
    *out = ds;
    return QF_OK;
}
