/*
 * hmm.c - the Gaussian HMM outside fitting (see hmm.h): building and
 * validating a model, the filter (streaming and batch), the likelihood,
 * Viterbi and sampling. hmm_fit.c fits; hmm_json.c reads and writes JSON.
 */
#include "signal/hmm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "signal/hmm_int.h"

#define LOG_2PI 1.8378770664093454836

/* ---- linear algebra ------------------------------------------------------ */

int hmm_cholesky(int d, const double a[][QF_HMM_MAX_DIM], double l[][QF_HMM_MAX_DIM])
{
    for (int i = 0; i < d; i++) {
        for (int j = 0; j <= i; j++) {
            double s = a[i][j];
            for (int k = 0; k < j; k++)
                s -= l[i][k] * l[j][k];
            if (i == j) {
                /* !(s > 0) also catches NaN. */
                if (!(s > 0.0) || !isfinite(s))
                    return -1;
                l[i][i] = sqrt(s);
            } else {
                l[i][j] = s / l[j][j];
            }
        }
        for (int j = i + 1; j < d; j++)
            l[i][j] = 0.0;
    }
    return 0;
}

void hmm_tri_inverse(int d, const double l[][QF_HMM_MAX_DIM], double out[][QF_HMM_MAX_DIM])
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            out[i][j] = 0.0;
    for (int c = 0; c < d; c++) {
        /* Column c of L^-1 solves L y = e_c; rows above c are 0. */
        out[c][c] = 1.0 / l[c][c];
        for (int i = c + 1; i < d; i++) {
            double s = 0.0;
            for (int k = c; k < i; k++)
                s -= l[i][k] * out[k][c];
            out[i][c] = s / l[i][i];
        }
    }
}

int hmm_prepare_state(qf_hmm *m, int k)
{
    int d = m->n_dims;
    double l[QF_HMM_MAX_DIM][QF_HMM_MAX_DIM];
    if (hmm_cholesky(d, (const double(*)[QF_HMM_MAX_DIM])m->cov[k], l) != 0)
        return -1;
    double logdet = 0.0;
    for (int i = 0; i < d; i++)
        logdet += 2.0 * log(l[i][i]);
    double ln = -0.5 * ((double)d * LOG_2PI + logdet);
    if (!isfinite(ln))
        return -1;
    hmm_tri_inverse(d, (const double(*)[QF_HMM_MAX_DIM])l, m->linv[k]);
    m->log_norm[k] = ln;
    return 0;
}

double qf_hmm_log_density(const qf_hmm *m, int k, const double *x)
{
    return hmm_logpdf(m, k, x);
}

/* ---- building a model ----------------------------------------------------- */

static qf_rc check_prob_vector(const double *p, int n, const char *what, int row, qf_err *err)
{
    char name[32];
    if (row < 0)
        snprintf(name, sizeof name, "%s", what);
    else
        snprintf(name, sizeof name, "%s[%d]", what, row);
    double sum = 0.0;
    for (int j = 0; j < n; j++) {
        if (!isfinite(p[j]))
            return qf_err_set(err, QF_EINVAL, "hmm: %s[%d] is not finite", name, j);
        if (p[j] < 0.0 || p[j] > 1.0)
            return qf_err_set(err, QF_EINVAL, "hmm: %s[%d] must be in [0, 1], got %.17g", name, j,
                              p[j]);
        sum += p[j];
    }
    if (fabs(sum - 1.0) > 1e-8)
        return qf_err_set(err, QF_EINVAL, "hmm: %s sums to %.17g, not 1", name, sum);
    return QF_OK;
}

/* Finite entries, positive definite, symmetric within 1e-9 relative. */
static qf_rc check_cov(qf_hmm *m, int k, qf_err *err)
{
    int d = m->n_dims;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            if (!isfinite(m->cov[k][i][j]))
                return qf_err_set(err, QF_EINVAL, "hmm: cov[%d][%d][%d] is not finite", k, i, j);
    if (hmm_prepare_state(m, k) != 0)
        return qf_err_set(err, QF_EINVAL, "hmm: cov[%d] is not positive definite", k);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) {
            double tol = 1e-9 * sqrt(m->cov[k][i][i] * m->cov[k][j][j]);
            if (fabs(m->cov[k][i][j] - m->cov[k][j][i]) > tol)
                return qf_err_set(err, QF_EINVAL,
                                  "hmm: cov[%d] is not symmetric ([%d][%d] %.17g, "
                                  "[%d][%d] %.17g)",
                                  k, i, j, m->cov[k][i][j], j, i, m->cov[k][j][i]);
        }
    return QF_OK;
}

qf_rc qf_hmm_from_params(int n_states, int n_dims, const double *start, const double *trans,
                         const double *mean, const double *cov, qf_hmm *out, qf_err *err)
{
    if (n_states < QF_HMM_MIN_STATES || n_states > QF_HMM_MAX_STATES)
        return qf_err_set(err, QF_EINVAL, "hmm: n_states must be in [%d, %d], got %d",
                          QF_HMM_MIN_STATES, QF_HMM_MAX_STATES, n_states);
    if (n_dims < 1 || n_dims > QF_HMM_MAX_DIM)
        return qf_err_set(err, QF_EINVAL, "hmm: n_dims must be in [1, %d], got %d", QF_HMM_MAX_DIM,
                          n_dims);
    if (!start || !trans || !mean || !cov || !out)
        return qf_err_set(err, QF_EINVAL, "hmm: a parameter array is NULL");
    int K = n_states, d = n_dims;
    qf_rc rc = check_prob_vector(start, K, "start", -1, err);
    for (int i = 0; i < K && rc == QF_OK; i++)
        rc = check_prob_vector(trans + (size_t)i * K, K, "trans", i, err);
    if (rc != QF_OK)
        return rc;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < d; j++)
            if (!isfinite(mean[k * d + j]))
                return qf_err_set(err, QF_EINVAL, "hmm: mean[%d][%d] is not finite", k, j);
    /* Built in a heap copy so that *out stays unchanged on failure without
     * a second 20 KB on the caller's stack. */
    qf_hmm *m = calloc(1, sizeof *m);
    if (!m)
        return qf_err_set(err, QF_ENOMEM, "hmm: out of memory");
    m->n_states = K;
    m->n_dims = d;
    for (int i = 0; i < K; i++) {
        m->start[i] = start[i];
        for (int j = 0; j < K; j++)
            m->trans[i][j] = trans[i * K + j];
        for (int j = 0; j < d; j++) {
            m->mean[i][j] = mean[i * d + j];
            for (int l = 0; l < d; l++)
                m->cov[i][j][l] = cov[((size_t)i * d + j) * d + l];
        }
    }
    for (int k = 0; k < K && rc == QF_OK; k++)
        rc = check_cov(m, k, err);
    if (rc == QF_OK)
        *out = *m;
    free(m);
    return rc;
}

/* ---- fit parameters ------------------------------------------------------- */

qf_hmm_fit_params qf_hmm_fit_params_default(void)
{
    qf_hmm_fit_params p = {.n_states = 3,
                           .n_restarts = 5,
                           .max_iter = 200,
                           .tol = 1e-6,
                           .covariance_reg = 1e-3,
                           .seed = 42};
    return p;
}

qf_hmm_fit_params qf_hmm_fit_params_from_config(const struct qf_config_regime *rc)
{
    qf_hmm_fit_params p = {.n_states = rc->n_states,
                           .n_restarts = rc->n_restarts,
                           .max_iter = rc->max_iter,
                           .tol = rc->tol,
                           .covariance_reg = rc->covariance_reg,
                           .seed = (uint64_t)rc->seed};
    return p;
}

qf_rc qf_hmm_fit_params_check(const qf_hmm_fit_params *p, qf_err *err)
{
    if (p->n_states < QF_HMM_MIN_STATES || p->n_states > QF_HMM_MAX_STATES)
        return qf_err_set(err, QF_EINVAL, "hmm fit: n_states must be in [%d, %d], got %d",
                          QF_HMM_MIN_STATES, QF_HMM_MAX_STATES, p->n_states);
    if (p->n_restarts < 1 || p->n_restarts > 1000)
        return qf_err_set(err, QF_EINVAL, "hmm fit: n_restarts must be in [1, 1000], got %d",
                          p->n_restarts);
    if (p->max_iter < 1)
        return qf_err_set(err, QF_EINVAL, "hmm fit: max_iter must be >= 1, got %d", p->max_iter);
    if (!isfinite(p->tol) || p->tol < 0.0)
        return qf_err_set(err, QF_EINVAL, "hmm fit: tol must be finite and >= 0, got %g", p->tol);
    if (!isfinite(p->covariance_reg) || p->covariance_reg <= 0.0 || p->covariance_reg > 1.0)
        return qf_err_set(err, QF_EINVAL, "hmm fit: covariance_reg must be in (0, 1], got %g",
                          p->covariance_reg);
    return QF_OK;
}

size_t qf_hmm_min_rows(int n_states, int n_dims)
{
    size_t k = (size_t)n_states, d = (size_t)n_dims;
    size_t a = 20 * k, b = 2 * k * (d + d * (d + 1) / 2 + k);
    return a > b ? a : b;
}

/* ---- filtering ------------------------------------------------------------ */

static bool row_finite(const double *x, int d)
{
    for (int j = 0; j < d; j++)
        if (!isfinite(x[j]))
            return false;
    return true;
}

/* pred[j] = sum_i p[i] trans[i][j], i in order (the same order everywhere,
 * so batch and streaming agree bit for bit). */
static void predict(const qf_hmm *m, const double *p, double *pred)
{
    int K = m->n_states;
    for (int j = 0; j < K; j++)
        pred[j] = 0.0;
    for (int i = 0; i < K; i++) {
        double pi = p[i];
        for (int j = 0; j < K; j++)
            pred[j] += pi * m->trans[i][j];
    }
}

void qf_hmm_filter_init(qf_hmm_filter *f, const qf_hmm *m)
{
    memset(f, 0, sizeof *f);
    f->model = m;
    f->started = false;
    f->log_likelihood = 0.0;
}

static int argmax(const double *p, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (p[k] > p[best])
            best = k;
    return best;
}

int qf_hmm_filter_step(qf_hmm_filter *f, const double *x, double *out_prob)
{
    const qf_hmm *m = f->model;
    int K = m->n_states;
    double pred[QF_HMM_MAX_STATES];
    f->n_steps++;
    if (!row_finite(x, m->n_dims)) {
        if (!f->started) {
            if (out_prob)
                for (int k = 0; k < K; k++)
                    out_prob[k] = NAN;
            return -1;
        }
        predict(m, f->prob, pred);
        memcpy(f->prob, pred, (size_t)K * sizeof *pred);
    } else {
        if (f->started)
            predict(m, f->prob, pred);
        else
            memcpy(pred, m->start, (size_t)K * sizeof *pred);
        double lb[QF_HMM_MAX_STATES], mx = -INFINITY;
        for (int k = 0; k < K; k++) {
            lb[k] = hmm_logpdf(m, k, x);
            if (lb[k] > mx)
                mx = lb[k];
        }
        double s = 0.0;
        for (int k = 0; k < K; k++) {
            pred[k] *= exp(fmax(lb[k] - mx, HMM_LOG_FLOOR));
            s += pred[k];
        }
        for (int k = 0; k < K; k++)
            f->prob[k] = pred[k] / s;
        f->log_likelihood += log(s) + mx;
        f->started = true;
    }
    if (out_prob)
        memcpy(out_prob, f->prob, (size_t)K * sizeof *out_prob);
    return argmax(f->prob, K);
}

static qf_rc check_series(const qf_hmm *m, const qf_hmm_series *s, const char *who, qf_err *err)
{
    if (s->n_dims != m->n_dims)
        return qf_err_set(err, QF_EINVAL, "%s: the series has %d columns, the model %d", who,
                          s->n_dims, m->n_dims);
    for (int j = 0; j < s->n_dims; j++)
        if (!s->col[j] && s->n > 0)
            return qf_err_set(err, QF_EINVAL, "%s: column %d is NULL", who, j);
    return QF_OK;
}

static void row_at(const qf_hmm_series *s, size_t t, double *x)
{
    for (int j = 0; j < s->n_dims; j++)
        x[j] = s->col[j][t];
}

qf_rc qf_hmm_filter_run(qf_hmm_filter *f, const qf_hmm_series *s, double *out_prob, int *out_state,
                        qf_err *err)
{
    qf_rc rc = check_series(f->model, s, "hmm filter", err);
    if (rc != QF_OK)
        return rc;
    size_t K = (size_t)f->model->n_states;
    for (size_t t = 0; t < s->n; t++) {
        double x[QF_HMM_MAX_DIM];
        row_at(s, t, x);
        int st = qf_hmm_filter_step(f, x, out_prob ? out_prob + t * K : NULL);
        if (out_state)
            out_state[t] = st;
    }
    return QF_OK;
}

qf_rc qf_hmm_filter_batch(const qf_hmm *m, const qf_hmm_series *s, double *out_prob, int *out_state,
                          qf_err *err)
{
    qf_hmm_filter f;
    qf_hmm_filter_init(&f, m);
    return qf_hmm_filter_run(&f, s, out_prob, out_state, err);
}

qf_rc qf_hmm_log_likelihood(const qf_hmm *m, const qf_hmm_series *s, double *out_log_likelihood,
                            size_t *out_n_used, qf_err *err)
{
    qf_rc rc = check_series(m, s, "hmm log-likelihood", err);
    if (rc != QF_OK)
        return rc;
    qf_hmm_filter f;
    qf_hmm_filter_init(&f, m);
    size_t used = 0;
    for (size_t t = 0; t < s->n; t++) {
        double x[QF_HMM_MAX_DIM];
        row_at(s, t, x);
        used += row_finite(x, s->n_dims);
        qf_hmm_filter_step(&f, x, NULL);
    }
    *out_log_likelihood = f.log_likelihood;
    if (out_n_used)
        *out_n_used = used;
    return QF_OK;
}

/* ---- Viterbi -------------------------------------------------------------- */

qf_rc qf_hmm_viterbi(const qf_hmm *m, const qf_hmm_series *s, int *out_states, double *out_log_prob,
                     qf_err *err)
{
    qf_rc rc = check_series(m, s, "hmm viterbi", err);
    if (rc != QF_OK)
        return rc;
    int K = m->n_states, d = m->n_dims;
    size_t n = s->n, t0 = 0;
    double x[QF_HMM_MAX_DIM];
    for (; t0 < n; t0++) {
        row_at(s, t0, x);
        if (row_finite(x, d))
            break;
    }
    for (size_t t = 0; t < n; t++)
        out_states[t] = -1;
    if (t0 == n) {
        if (out_log_prob)
            *out_log_prob = NAN;
        return QF_OK;
    }
    /* K <= 16: a back-pointer fits a byte. */
    unsigned char *bp = malloc((n - t0) * (size_t)K);
    if (!bp)
        return qf_err_set(err, QF_ENOMEM, "hmm viterbi: out of memory for %zu rows", n);
    double la[QF_HMM_MAX_STATES][QF_HMM_MAX_STATES], delta[QF_HMM_MAX_STATES];
    double next[QF_HMM_MAX_STATES];
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++)
            la[i][j] = log(m->trans[i][j]);
    for (int k = 0; k < K; k++)
        delta[k] = log(m->start[k]) + hmm_logpdf(m, k, x);
    for (size_t t = t0 + 1; t < n; t++) {
        row_at(s, t, x);
        bool fin = row_finite(x, d);
        unsigned char *b = bp + (t - t0) * (size_t)K;
        for (int j = 0; j < K; j++) {
            int bi = 0;
            double best = delta[0] + la[0][j];
            for (int i = 1; i < K; i++) {
                double v = delta[i] + la[i][j];
                if (v > best) {
                    best = v;
                    bi = i;
                }
            }
            b[j] = (unsigned char)bi;
            next[j] = best + (fin ? hmm_logpdf(m, j, x) : 0.0);
        }
        memcpy(delta, next, (size_t)K * sizeof *delta);
    }
    int st = argmax(delta, K);
    if (out_log_prob)
        *out_log_prob = delta[st];
    for (size_t t = n; t-- > t0;) {
        out_states[t] = st;
        if (t > t0)
            st = bp[(t - t0) * (size_t)K + (size_t)st];
    }
    free(bp);
    return QF_OK;
}

/* ---- sampling ------------------------------------------------------------- */

/* A draw from the distribution p[0..K) (the last state with mass when
 * rounding leaves u above the total). */
static int draw(hmm_rng *r, const double *p, int K)
{
    double u = hmm_rng_uniform(r), c = 0.0;
    int last = 0;
    for (int k = 0; k < K; k++) {
        if (p[k] > 0.0)
            last = k;
        c += p[k];
        if (u < c)
            return k;
    }
    return last;
}

void qf_hmm_sample(const qf_hmm *m, uint64_t seed, size_t n, int *out_states, double *out_obs)
{
    int K = m->n_states, d = m->n_dims;
    double l[QF_HMM_MAX_STATES][QF_HMM_MAX_DIM][QF_HMM_MAX_DIM];
    for (int k = 0; k < K; k++)
        (void)hmm_cholesky(d, (const double(*)[QF_HMM_MAX_DIM])m->cov[k], l[k]); /* validated */
    hmm_rng r;
    hmm_rng_seed(&r, seed);
    int st = 0;
    for (size_t t = 0; t < n; t++) {
        st = t == 0 ? draw(&r, m->start, K) : draw(&r, m->trans[st], K);
        if (out_states)
            out_states[t] = st;
        double z[QF_HMM_MAX_DIM];
        for (int j = 0; j < d; j++)
            z[j] = hmm_rng_normal(&r);
        for (int i = 0; i < d; i++) {
            double v = m->mean[st][i];
            for (int j = 0; j <= i; j++)
                v += l[st][i][j] * z[j];
            out_obs[(size_t)i * n + t] = v;
        }
    }
}
