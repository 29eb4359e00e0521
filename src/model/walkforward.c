/*
 * walkforward.c - purged walk-forward splits.
 */
#include "model/walkforward.h"

qf_wf_params qf_wf_params_from_config(const qf_config *cfg)
{
    const qf_config_walk_forward *w = &cfg->model.walk_forward;
    return (qf_wf_params){.train_bars = (size_t)w->train_bars,
                          .test_bars = (size_t)w->test_bars,
                          .purge_bars = (size_t)w->purge_bars,
                          .embargo_bars = (size_t)w->embargo_bars,
                          .horizon = (size_t)cfg->model.labeling.max_holding_bars};
}

size_t qf_wf_effective_purge(const qf_wf_params *p)
{
    return p->purge_bars > p->horizon ? p->purge_bars : p->horizon;
}

qf_rc qf_wf_params_check(const qf_wf_params *p, qf_err *err)
{
    if (p == NULL)
        return qf_err_set(err, QF_EINVAL, "walk-forward: no parameters");
    if (p->train_bars < 1)
        return qf_err_set(err, QF_EINVAL, "walk-forward: train_bars must be >= 1");
    if (p->test_bars < 1)
        return qf_err_set(err, QF_EINVAL, "walk-forward: test_bars must be >= 1");
    if (p->train_bars > ((size_t)1 << 40) || p->test_bars > ((size_t)1 << 40) ||
        p->purge_bars > ((size_t)1 << 40) || p->embargo_bars > ((size_t)1 << 40) ||
        p->horizon > ((size_t)1 << 40))
        return qf_err_set(err, QF_EINVAL, "walk-forward: a window of more than 2^40 bars");
    return QF_OK;
}

qf_wf_fold qf_wf_fold_at(const qf_wf_params *p, size_t first, size_t k)
{
    size_t step = p->test_bars + p->embargo_bars;
    qf_wf_fold f;
    f.train_begin = first + k * step;
    f.train_end = f.train_begin + p->train_bars;
    f.test_begin = f.train_end + qf_wf_effective_purge(p);
    f.test_end = f.test_begin + p->test_bars;
    return f;
}

size_t qf_wf_count(const qf_wf_params *p, size_t first, size_t n)
{
    size_t span = p->train_bars + qf_wf_effective_purge(p) + p->test_bars;
    if (first > n || n - first < span)
        return 0;
    return (n - first - span) / (p->test_bars + p->embargo_bars) + 1;
}
