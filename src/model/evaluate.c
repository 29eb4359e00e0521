/*
 * evaluate.c - accuracy, log loss, pinball loss and coverage.
 */
#include "model/evaluate.h"

#include <math.h>

qf_class_scores qf_eval_classifier(const double *prob, const int8_t *label, size_t n)
{
    size_t m = 0, hit = 0;
    double loss = 0.0;
    for (size_t i = 0; i < n; i++) {
        int y = label[i];
        if (y < 0 || y >= QF_EVAL_CLASSES)
            continue;
        const double *p = prob + i * QF_EVAL_CLASSES;
        int best = 0;
        for (int c = 1; c < QF_EVAL_CLASSES; c++)
            if (p[c] > p[best])
                best = c;
        hit += best == y;
        double py = p[y] < 1e-15 ? 1e-15 : p[y] > 1.0 ? 1.0 : p[y];
        loss -= log(py);
        m++;
    }
    qf_class_scores s = {.n = m, .accuracy = NAN, .log_loss = NAN};
    if (m > 0) {
        s.accuracy = (double)hit / (double)m;
        s.log_loss = loss / (double)m;
    }
    return s;
}

qf_quantile_scores qf_eval_quantile(const double *q, const double *y, size_t n, double alpha)
{
    size_t m = 0, below = 0;
    double loss = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]) || !isfinite(q[i]))
            continue;
        loss += qf_pinball(y[i], q[i], alpha);
        below += y[i] < q[i];
        m++;
    }
    qf_quantile_scores s = {.n = m, .pinball = NAN, .coverage = NAN};
    if (m > 0) {
        s.pinball = loss / (double)m;
        s.coverage = (double)below / (double)m;
    }
    return s;
}
