/*
 * hmm_json.c - the Gaussian HMM to and from JSON (see hmm.h), the form a
 * model registry stores. Reading checks the shape of every member here
 * and leaves the numbers' checks (finite, stochastic, positive definite)
 * to qf_hmm_from_params, so a file and a caller's arrays pass the same
 * rules.
 */
#include "signal/hmm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HMM_FORMAT  "quantflow.gaussian_hmm"
#define HMM_VERSION 1

/* ---- writing ---------------------------------------------------------------- */

static json_t *vec(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* rows x cols numbers from base, rows `stride` doubles apart. */
static json_t *mat(const double *base, int nrows, int cols, int stride)
{
    json_t *a = json_array();
    for (int i = 0; a && i < nrows; i++)
        if (json_array_append_new(a, vec(base + (size_t)i * (size_t)stride, cols)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *covs(const qf_hmm *m)
{
    json_t *a = json_array();
    for (int k = 0; a && k < m->n_states; k++)
        if (json_array_append_new(a, mat(&m->cov[k][0][0], m->n_dims, m->n_dims, QF_HMM_MAX_DIM)) !=
            0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

qf_rc qf_hmm_to_json(const qf_hmm *m, json_t **out_json, qf_err *err)
{
    json_t *o = json_object();
    /* json_object_set_new takes the value and frees it on failure, also a
     * NULL one; any failure anywhere is out of memory. */
    int bad = !o;
    if (o) {
        bad |= json_object_set_new(o, "format", json_string(HMM_FORMAT));
        bad |= json_object_set_new(o, "version", json_integer(HMM_VERSION));
        bad |= json_object_set_new(o, "n_states", json_integer(m->n_states));
        bad |= json_object_set_new(o, "n_dims", json_integer(m->n_dims));
        bad |= json_object_set_new(o, "start", vec(m->start, m->n_states));
        bad |= json_object_set_new(
            o, "trans", mat(&m->trans[0][0], m->n_states, m->n_states, QF_HMM_MAX_STATES));
        bad |= json_object_set_new(o, "mean",
                                   mat(&m->mean[0][0], m->n_states, m->n_dims, QF_HMM_MAX_DIM));
        bad |= json_object_set_new(o, "cov", covs(m));
    }
    if (bad) {
        json_decref(o);
        return qf_err_set(err, QF_ENOMEM, "hmm: out of memory writing JSON");
    }
    *out_json = o;
    return QF_OK;
}

qf_rc qf_hmm_to_json_text(const qf_hmm *m, char **out_text, qf_err *err)
{
    json_t *o = NULL;
    qf_rc rc = qf_hmm_to_json(m, &o, err);
    if (rc != QF_OK)
        return rc;
    /* 17 significant digits: every double reads back to the same bits. */
    char *text = json_dumps(o, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (!text)
        return qf_err_set(err, QF_ENOMEM, "hmm: out of memory writing JSON");
    *out_text = text;
    return QF_OK;
}

/* ---- reading ------------------------------------------------------------------ */

static qf_rc get_int(const json_t *j, const char *key, long long *out, qf_err *err)
{
    const json_t *v = json_object_get(j, key);
    if (!v)
        return qf_err_set(err, QF_EINVAL, "hmm: JSON lacks \"%s\"", key);
    if (!json_is_integer(v))
        return qf_err_set(err, QF_EINVAL, "hmm: \"%s\" must be an integer", key);
    *out = json_integer_value(v);
    return QF_OK;
}

/* Reads an array of exactly n numbers into out (integers accepted). */
static qf_rc get_vec(const json_t *a, size_t n, double *out, const char *name, qf_err *err)
{
    if (!json_is_array(a))
        return qf_err_set(err, QF_EINVAL, "hmm: %s must be an array", name);
    if (json_array_size(a) != n)
        return qf_err_set(err, QF_EINVAL, "hmm: %s must have %zu entries, has %zu", name, n,
                          json_array_size(a));
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_number(v))
            return qf_err_set(err, QF_EINVAL, "hmm: %s[%zu] is not a number", name, i);
        out[i] = json_number_value(v);
    }
    return QF_OK;
}

/* An array of `outer` arrays of `inner` numbers, row-major into out. */
static qf_rc get_mat(const json_t *a, size_t outer, size_t inner, double *out, const char *name,
                     qf_err *err)
{
    if (!json_is_array(a))
        return qf_err_set(err, QF_EINVAL, "hmm: %s must be an array", name);
    if (json_array_size(a) != outer)
        return qf_err_set(err, QF_EINVAL, "hmm: %s must have %zu rows, has %zu", name, outer,
                          json_array_size(a));
    for (size_t i = 0; i < outer; i++) {
        char sub[48];
        snprintf(sub, sizeof sub, "%s[%zu]", name, i);
        qf_rc rc = get_vec(json_array_get(a, i), inner, out + i * inner, sub, err);
        if (rc != QF_OK)
            return rc;
    }
    return QF_OK;
}

static qf_rc check_header(const json_t *j, int *out_k, int *out_d, qf_err *err)
{
    if (!json_is_object(j))
        return qf_err_set(err, QF_EINVAL, "hmm: JSON is not an object");
    const char *fmt = json_string_value(json_object_get(j, "format"));
    if (!fmt || strcmp(fmt, HMM_FORMAT) != 0)
        return qf_err_set(err, QF_EINVAL, "hmm: \"format\" must be \"%s\"", HMM_FORMAT);
    long long v = 0, k = 0, d = 0;
    qf_rc rc = get_int(j, "version", &v, err);
    if (rc == QF_OK && v != HMM_VERSION)
        return qf_err_set(err, QF_EVERSION, "hmm: format version %lld, this build reads %d", v,
                          HMM_VERSION);
    if (rc == QF_OK)
        rc = get_int(j, "n_states", &k, err);
    if (rc == QF_OK)
        rc = get_int(j, "n_dims", &d, err);
    if (rc != QF_OK)
        return rc;
    if (k < QF_HMM_MIN_STATES || k > QF_HMM_MAX_STATES)
        return qf_err_set(err, QF_EINVAL, "hmm: n_states must be in [%d, %d], got %lld",
                          QF_HMM_MIN_STATES, QF_HMM_MAX_STATES, k);
    if (d < 1 || d > QF_HMM_MAX_DIM)
        return qf_err_set(err, QF_EINVAL, "hmm: n_dims must be in [1, %d], got %lld",
                          QF_HMM_MAX_DIM, d);
    *out_k = (int)k;
    *out_d = (int)d;
    return QF_OK;
}

qf_rc qf_hmm_from_json(const json_t *j, qf_hmm *out, qf_err *err)
{
    int K = 0, d = 0;
    qf_rc rc = check_header(j, &K, &d, err);
    if (rc != QF_OK)
        return rc;
    double start[QF_HMM_MAX_STATES], trans[QF_HMM_MAX_STATES * QF_HMM_MAX_STATES];
    double mean[QF_HMM_MAX_STATES * QF_HMM_MAX_DIM];
    double *cov = malloc(sizeof(double) * QF_HMM_MAX_STATES * QF_HMM_MAX_DIM * QF_HMM_MAX_DIM);
    if (!cov)
        return qf_err_set(err, QF_ENOMEM, "hmm: out of memory reading JSON");
    size_t k = (size_t)K, dd = (size_t)d;
    rc = get_vec(json_object_get(j, "start"), k, start, "start", err);
    if (rc == QF_OK)
        rc = get_mat(json_object_get(j, "trans"), k, k, trans, "trans", err);
    if (rc == QF_OK)
        rc = get_mat(json_object_get(j, "mean"), k, dd, mean, "mean", err);
    const json_t *cj = json_object_get(j, "cov");
    if (rc == QF_OK && (!json_is_array(cj) || json_array_size(cj) != k))
        rc = qf_err_set(err, QF_EINVAL, "hmm: cov must be an array of %zu matrices", k);
    for (size_t s = 0; s < k && rc == QF_OK; s++) {
        char name[32];
        snprintf(name, sizeof name, "cov[%zu]", s);
        rc = get_mat(json_array_get(cj, s), dd, dd, cov + s * dd * dd, name, err);
    }
    if (rc == QF_OK)
        rc = qf_hmm_from_params(K, d, start, trans, mean, cov, out, err);
    free(cov);
    return rc;
}

qf_rc qf_hmm_from_json_text(const char *text, qf_hmm *out, qf_err *err)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) {
        /* JSON has no NaN or infinity; a number beyond a double's range is
         * the one way to spell a non-finite parameter: bad input, not bad
         * syntax. */
        qf_rc code = json_error_code(&je) == json_error_numeric_overflow ? QF_EINVAL : QF_EPARSE;
        return qf_err_set(err, code, "hmm: JSON line %d column %d: %s", je.line, je.column,
                          je.text);
    }
    qf_rc rc = qf_hmm_from_json(j, out, err);
    json_decref(j);
    return rc;
}
