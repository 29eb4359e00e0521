/*
 * regime.c - HMM states to market regimes (see regime.h).
 */
#include "signal/regime.h"

#include <math.h>
#include <string.h>

#include "core/config.h"

qf_rc qf_regime_parse(const char *name, qf_regime *out, qf_err *err)
{
    for (int r = 0; name && r < QF_REGIME_COUNT; r++)
        if (strcmp(name, qf_regime_name((qf_regime)r)) == 0) {
            *out = (qf_regime)r;
            return QF_OK;
        }
    return qf_err_set(err, QF_EINVAL,
                      "regime: '%s' is not a regime (trending, mean_reverting, choppy)",
                      name ? name : "(null)");
}

int qf_regime_vol_dim(const struct qf_config_regime *rc)
{
    for (size_t i = 0; i < rc->n_features; i++)
        if (strcmp(rc->features[i], "realized_vol") == 0)
            return (int)i;
    return QF_REGIME_VOL_SPREAD;
}

qf_rc qf_regime_map_build(const qf_hmm *m, int vol_dim, qf_regime_map *out, qf_err *err)
{
    if (vol_dim != QF_REGIME_VOL_SPREAD && (vol_dim < 0 || vol_dim >= m->n_dims))
        return qf_err_set(err, QF_EINVAL,
                          "regime: volatility column must be in [0, %d) or %d (spread of column "
                          "0), got %d",
                          m->n_dims, QF_REGIME_VOL_SPREAD, vol_dim);
    qf_regime_map map;
    int K = m->n_states;
    memset(&map, 0, sizeof map);
    map.n_states = K;
    for (int k = 0; k < K; k++) {
        map.vol[k] = vol_dim == QF_REGIME_VOL_SPREAD ? sqrt(m->cov[k][0][0]) : m->mean[k][vol_dim];
        map.by_vol[k] = k;
    }
    /* Insertion sort by (volatility, index): K <= 16 and stable. */
    for (int i = 1; i < K; i++) {
        int s = map.by_vol[i], j = i;
        while (j > 0 && map.vol[map.by_vol[j - 1]] > map.vol[s]) {
            map.by_vol[j] = map.by_vol[j - 1];
            j--;
        }
        map.by_vol[j] = s;
    }
    for (int r = 0; r < K; r++) {
        qf_regime g = QF_REGIME_MEAN_REVERTING;
        if (r == 0)
            g = QF_REGIME_TRENDING;
        else if (r == K - 1)
            g = QF_REGIME_CHOPPY;
        map.of_state[map.by_vol[r]] = g;
    }
    *out = map;
    return QF_OK;
}

qf_regime qf_regime_of_state(const qf_regime_map *map, int state)
{
    if (state < 0 || state >= map->n_states)
        return QF_REGIME_UNKNOWN;
    return map->of_state[state];
}

qf_regime qf_regime_of_probs(const qf_regime_map *map, const double *prob, double *out_confidence)
{
    int K = map->n_states, best = 0;
    for (int k = 0; k < K; k++)
        if (isnan(prob[k])) {
            if (out_confidence)
                *out_confidence = NAN;
            return QF_REGIME_UNKNOWN;
        }
    for (int k = 1; k < K; k++)
        if (prob[k] > prob[best])
            best = k;
    qf_regime r = map->of_state[best];
    if (out_confidence) {
        double c = 0.0;
        for (int k = 0; k < K; k++)
            if (map->of_state[k] == r)
                c += prob[k];
        *out_confidence = c;
    }
    return r;
}

void qf_regime_series(const qf_regime_map *map, const double *probs, size_t n, int8_t *out_regime,
                      double *out_confidence)
{
    size_t K = (size_t)map->n_states;
    for (size_t t = 0; t < n; t++)
        out_regime[t] = (int8_t)qf_regime_of_probs(map, probs + t * K,
                                                   out_confidence ? out_confidence + t : NULL);
}
