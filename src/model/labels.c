/*
 * labels.c - triple-barrier labels and forward log returns.
 */
#include "model/labels.h"

#include <math.h>

qf_label_params qf_label_params_default(void)
{
    return (qf_label_params){.profit_taking_pct = 0.03,
                             .stop_loss_pct = 0.015,
                             .max_holding_bars = 12,
                             .neutral_pct = 0.005};
}

qf_label_params qf_label_params_from_config(const qf_config_labeling *c)
{
    return (qf_label_params){.profit_taking_pct = c->profit_taking_pct,
                             .stop_loss_pct = c->stop_loss_pct,
                             .max_holding_bars = c->max_holding_bars,
                             .neutral_pct = c->neutral_pct};
}

qf_rc qf_label_params_check(const qf_label_params *p, qf_err *err)
{
    if (p == NULL)
        return qf_err_set(err, QF_EINVAL, "labels: no parameters");
    if (!(p->profit_taking_pct > 0.0) || !isfinite(p->profit_taking_pct))
        return qf_err_set(err, QF_EINVAL, "labels: profit_taking_pct must be > 0, got %g",
                          p->profit_taking_pct);
    if (!(p->stop_loss_pct > 0.0 && p->stop_loss_pct < 1.0))
        return qf_err_set(err, QF_EINVAL, "labels: stop_loss_pct must be in (0, 1), got %g",
                          p->stop_loss_pct);
    if (p->max_holding_bars < 1)
        return qf_err_set(err, QF_EINVAL, "labels: max_holding_bars must be >= 1, got %d",
                          p->max_holding_bars);
    if (!(p->neutral_pct >= 0.0) || !isfinite(p->neutral_pct))
        return qf_err_set(err, QF_EINVAL, "labels: neutral_pct must be >= 0, got %g",
                          p->neutral_pct);
    return QF_OK;
}

static int good_price(double c)
{
    return isfinite(c) && c > 0.0;
}

qf_rc qf_label_triple_barrier(const double *close, size_t n, const qf_label_params *p, int8_t *out,
                              qf_err *err)
{
    if (qf_label_params_check(p, err) != QF_OK)
        return QF_EINVAL;
    if (n > 0 && (close == NULL || out == NULL))
        return qf_err_set(err, QF_EINVAL, "labels: no %s array",
                          close == NULL ? "close" : "output");
    size_t h = (size_t)p->max_holding_bars;
    double up_k = 1.0 + p->profit_taking_pct, dn_k = 1.0 - p->stop_loss_pct;
    /* A bar whose window holds a bad close is unlabeled: find, for each i,
     * whether i..i+h is clean from the index of the next bad close. */
    size_t next_bad = n;
    for (size_t k = n; k-- > 0;) {
        if (!good_price(close[k]))
            next_bad = k;
        if (k + h >= n || next_bad <= k + h) {
            out[k] = QF_LABEL_NONE;
            continue;
        }
        double c0 = close[k];
        double upper = c0 * up_k, lower = c0 * dn_k;
        int8_t lab = -1;
        for (size_t j = k + 1; j <= k + h; j++) {
            if (close[j] >= upper) {
                lab = QF_LABEL_UP;
                break;
            }
            if (close[j] <= lower) {
                lab = QF_LABEL_DOWN;
                break;
            }
        }
        if (lab < 0) {
            double r = close[k + h] / c0 - 1.0;
            lab = r > p->neutral_pct    ? QF_LABEL_UP
                  : r < -p->neutral_pct ? QF_LABEL_DOWN
                                        : QF_LABEL_NEUTRAL;
        }
        out[k] = lab;
    }
    return QF_OK;
}

qf_rc qf_forward_log_return(const double *close, size_t n, int horizon, double *out, qf_err *err)
{
    if (horizon < 1)
        return qf_err_set(err, QF_EINVAL, "labels: forward return horizon must be >= 1, got %d",
                          horizon);
    if (n > 0 && (close == NULL || out == NULL))
        return qf_err_set(err, QF_EINVAL, "labels: no %s array",
                          close == NULL ? "close" : "output");
    size_t h = (size_t)horizon;
    for (size_t i = 0; i < n; i++) {
        if (i + h >= n || !good_price(close[i]) || !good_price(close[i + h]))
            out[i] = NAN;
        else
            out[i] = log(close[i + h] / close[i]);
    }
    return QF_OK;
}
