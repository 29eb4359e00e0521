/*
 * registry_meta.c - qf_model_meta and its JSON (metadata.json): building it
 * when a model is saved and reading it back, strictly, when one is loaded.
 *
 * The reader names the key that is missing or of the wrong type, so a
 * hand-edited or truncated metadata.json fails as "…/metadata.json:
 * feature_set.version: missing or not an integer" rather than later and
 * obscurely.
 */
#include "model/registry.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "model/registry_int.h"

void qf_model_meta_init(qf_model_meta *m)
{
    memset(m, 0, sizeof *m);
    strcpy(m->normalization, "none");
}

void qf_model_meta_cleanup(qf_model_meta *m)
{
    if (m == NULL)
        return;
    json_decref(m->config);
    json_decref(m->metrics);
    qf_model_meta_init(m);
}

qf_rc qf_model_meta_set_features(qf_model_meta *m, const qf_feature_set_info *fs, qf_err *err)
{
    if (fs == NULL || fs->name == NULL || strlen(fs->name) >= QF_MODEL_NAME_MAX)
        return qf_err_set(err, QF_EINVAL, "registry: feature set name missing or too long");
    if (fs->n_features < 1 || fs->n_features > QF_GBDT_FEATURES_MAX)
        return qf_err_set(err, QF_EINVAL, "registry: feature set %s has %zu features (1..%d)",
                          fs->name, fs->n_features, QF_GBDT_FEATURES_MAX);
    for (size_t f = 0; f < fs->n_features; f++)
        if (strlen(fs->feature_names[f]) >= QF_MODEL_NAME_MAX)
            return qf_err_set(err, QF_EINVAL, "registry: feature name '%s' is too long",
                              fs->feature_names[f]);
    strcpy(m->feature_set, fs->name);
    m->feature_set_version = fs->version;
    m->n_features = fs->n_features;
    for (size_t f = 0; f < fs->n_features; f++)
        strcpy(m->feature_names[f], fs->feature_names[f]);
    return QF_OK;
}

/* ---- writing ------------------------------------------------------------ */

static json_t *feature_set_json(const qf_model_meta *m)
{
    json_t *names = json_array();
    for (size_t f = 0; names != NULL && f < m->n_features; f++)
        if (json_array_append_new(names, json_string(m->feature_names[f])) != 0) {
            json_decref(names);
            names = NULL;
        }
    if (names == NULL)
        return NULL;
    return json_pack("{sssiso s{sssisi}}", "name", m->feature_set, "version",
                     m->feature_set_version, "features", names, "normalization", "method",
                     m->normalization, "window", m->norm_window, "shift", m->norm_shift);
}

static json_t *data_json(const qf_model_meta *m)
{
    char first[QF_ISO_MAX];
    char last[QF_ISO_MAX];
    qf_time_format_iso(m->first_open_time, first, sizeof first);
    qf_time_format_iso(m->last_open_time, last, sizeof last);
    return json_pack("{ss ss ss sI sI ss ss}", "exchange", m->series.exchange, "symbol",
                     m->series.symbol, "timeframe", m->series.timeframe, "first_open_time",
                     (json_int_t)m->first_open_time, "last_open_time",
                     (json_int_t)m->last_open_time, "first", first, "last", last);
}

static json_t *quantiles_json(const qf_model_meta *m)
{
    json_t *q = json_array();
    for (size_t k = 0; q != NULL && k < m->n_quantiles; k++)
        if (json_array_append_new(q, json_real(m->quantiles[k])) != 0) {
            json_decref(q);
            q = NULL;
        }
    return q;
}

static json_t *or_null(json_t *j)
{
    return j != NULL ? json_incref(j) : json_null();
}

json_t *qf_model_meta_to_json(const qf_model_meta *m)
{
    char created[QF_ISO_MAX];
    qf_time_format_iso(m->created_at, created, sizeof created);
    return json_pack("{ss si ss ss ss sI ss so so so so so so}", "format", QF_MODEL_FORMAT,
                     "format_version", QF_MODEL_FORMAT_VER, "model_id", m->model_id, "kind",
                     QF_MODEL_KIND, "created_at", created, "created_at_ms",
                     (json_int_t)m->created_at, "xgboost_version", m->xgboost_version,
                     "feature_set", feature_set_json(m), "data", data_json(m), "rows",
                     qf_gbdt_rows_to_json(&m->rows), "quantiles", quantiles_json(m), "config",
                     or_null(m->config), "metrics", or_null(m->metrics));
}

/* ---- reading ------------------------------------------------------------ */

/* Where a value is read from, for messages. */
typedef struct reader {
    const char *file; /* the metadata file's path */
    qf_err *err;
} reader;

static qf_rc bad(const reader *r, const char *key, const char *what)
{
    return qf_err_set(r->err, QF_EPARSE, "%s: %s: %s", r->file, key, what);
}

static qf_rc get_str(const reader *r, json_t *obj, const char *key, const char *path, char *out,
                     size_t size)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (v == NULL)
        return bad(r, path, "missing or not a string");
    if (strlen(v) >= size)
        return bad(r, path, "too long");
    strcpy(out, v);
    return QF_OK;
}

static qf_rc get_int(const reader *r, json_t *obj, const char *key, const char *path, int64_t lo,
                     int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return bad(r, path, "missing or not an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return bad(r, path, "out of range");
    *out = (int64_t)x;
    return QF_OK;
}

static qf_rc get_obj(const reader *r, json_t *obj, const char *key, json_t **out)
{
    *out = json_object_get(obj, key);
    if (!json_is_object(*out))
        return bad(r, key, "missing or not an object");
    return QF_OK;
}

static qf_rc read_header(const reader *r, json_t *j, qf_model_meta *m)
{
    char format[32];
    char kind[32];
    int64_t version = 0;
    qf_rc rc = get_str(r, j, "format", "format", format, sizeof format);
    if (rc == QF_OK && strcmp(format, QF_MODEL_FORMAT) != 0)
        rc = bad(r, "format", "not a QuantFlow model (\"" QF_MODEL_FORMAT "\")");
    if (rc == QF_OK)
        rc = get_int(r, j, "format_version", "format_version", 1, INT32_MAX, &version);
    if (rc == QF_OK && version != QF_MODEL_FORMAT_VER)
        return qf_err_set(r->err, QF_EVERSION,
                          "%s: format_version %lld; this build reads version %d: retrain or "
                          "upgrade",
                          r->file, (long long)version, QF_MODEL_FORMAT_VER);
    if (rc == QF_OK)
        rc = get_str(r, j, "kind", "kind", kind, sizeof kind);
    if (rc == QF_OK && strcmp(kind, QF_MODEL_KIND) != 0)
        rc = bad(r, "kind", "not a gbdt model");
    if (rc == QF_OK)
        rc = get_str(r, j, "model_id", "model_id", m->model_id, sizeof m->model_id);
    if (rc == QF_OK && qf_registry_check_id(m->model_id, NULL) != QF_OK)
        rc = bad(r, "model_id", "not a valid model id");
    if (rc == QF_OK)
        rc = get_int(r, j, "created_at_ms", "created_at_ms", 0, QF_STORE_TIME_MAX, &m->created_at);
    if (rc == QF_OK)
        rc = get_str(r, j, "xgboost_version", "xgboost_version", m->xgboost_version,
                     sizeof m->xgboost_version);
    return rc;
}

static qf_rc read_names(const reader *r, json_t *names, qf_model_meta *m)
{
    size_t n = json_array_size(names);
    if (!json_is_array(names) || n < 1 || n > QF_GBDT_FEATURES_MAX)
        return bad(r, "feature_set.features", "missing, empty or too long an array");
    m->n_features = n;
    for (size_t f = 0; f < n; f++) {
        const char *v = json_string_value(json_array_get(names, f));
        if (v == NULL || v[0] == '\0' || strlen(v) >= QF_MODEL_NAME_MAX)
            return bad(r, "feature_set.features", "a name is missing, empty or too long");
        strcpy(m->feature_names[f], v);
    }
    return QF_OK;
}

static qf_rc read_feature_set(const reader *r, json_t *j, qf_model_meta *m)
{
    json_t *fs = NULL;
    json_t *norm = NULL;
    int64_t v = 0;
    qf_rc rc = get_obj(r, j, "feature_set", &fs);
    if (rc == QF_OK)
        rc = get_str(r, fs, "name", "feature_set.name", m->feature_set, sizeof m->feature_set);
    if (rc == QF_OK)
        rc = get_int(r, fs, "version", "feature_set.version", 0, INT32_MAX, &v);
    m->feature_set_version = (int)v;
    if (rc == QF_OK)
        rc = read_names(r, json_object_get(fs, "features"), m);
    if (rc == QF_OK && !json_is_object(norm = json_object_get(fs, "normalization")))
        rc = bad(r, "feature_set.normalization", "missing or not an object");
    if (rc == QF_OK)
        rc = get_str(r, norm, "method", "feature_set.normalization.method", m->normalization,
                     sizeof m->normalization);
    if (rc == QF_OK)
        rc = get_int(r, norm, "window", "feature_set.normalization.window", 0, INT32_MAX, &v);
    m->norm_window = (int)v;
    if (rc == QF_OK)
        rc = get_int(r, norm, "shift", "feature_set.normalization.shift", 0, INT32_MAX, &v);
    m->norm_shift = (int)v;
    return rc;
}

static qf_rc read_data(const reader *r, json_t *j, qf_model_meta *m)
{
    json_t *d = NULL;
    qf_series_key *k = &m->series;
    qf_rc rc = get_obj(r, j, "data", &d);
    if (rc == QF_OK)
        rc = get_str(r, d, "exchange", "data.exchange", k->exchange, sizeof k->exchange);
    if (rc == QF_OK)
        rc = get_str(r, d, "symbol", "data.symbol", k->symbol, sizeof k->symbol);
    if (rc == QF_OK)
        rc = get_str(r, d, "timeframe", "data.timeframe", k->timeframe, sizeof k->timeframe);
    if (rc == QF_OK)
        rc = get_int(r, d, "first_open_time", "data.first_open_time", QF_STORE_TIME_MIN,
                     QF_STORE_TIME_MAX, &m->first_open_time);
    if (rc == QF_OK)
        rc = get_int(r, d, "last_open_time", "data.last_open_time", m->first_open_time,
                     QF_STORE_TIME_MAX, &m->last_open_time);
    return rc;
}

static qf_rc read_count(const reader *r, json_t *obj, const char *key, size_t *out)
{
    char path[64];
    snprintf(path, sizeof path, "rows.%s", key);
    int64_t v = 0;
    qf_rc rc = get_int(r, obj, key, path, 0, INT64_MAX, &v);
    *out = (size_t)v;
    return rc;
}

static qf_rc read_rows(const reader *r, json_t *j, qf_model_meta *m)
{
    json_t *rows = NULL;
    qf_gbdt_rows *w = &m->rows;
    qf_rc rc = get_obj(r, j, "rows", &rows);
    if (rc == QF_OK)
        rc = read_count(r, rows, "total", &w->total);
    if (rc == QF_OK)
        rc = read_count(r, rows, "used", &w->used);
    if (rc == QF_OK)
        rc = read_count(r, rows, "nan_skipped", &w->nan_skipped);
    if (rc == QF_OK)
        rc = read_count(r, rows, "unlabeled", &w->unlabeled);
    json_t *cc = json_object_get(rows, "class_counts");
    for (size_t c = 0; rc == QF_OK && c < QF_GBDT_CLASSES; c++) {
        json_t *v = json_array_get(cc, c);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_array_size(cc) != 3)
            return bad(r, "rows.class_counts", "not three counts");
        w->class_counts[c] = (size_t)json_integer_value(v);
    }
    json_t *constant = json_object_get(rows, "constant_features");
    if (rc == QF_OK && !json_is_array(constant))
        return bad(r, "rows.constant_features", "missing or not an array");
    for (size_t i = 0; rc == QF_OK && i < json_array_size(constant); i++) {
        json_t *v = json_array_get(constant, i);
        json_int_t f = json_integer_value(v);
        if (!json_is_integer(v) || f < 0 || (size_t)f >= m->n_features)
            return bad(r, "rows.constant_features", "not feature indices");
        w->constant_mask |= UINT64_C(1) << f;
    }
    w->n_constant = json_array_size(constant);
    return rc;
}

static qf_rc read_quantiles(const reader *r, json_t *j, qf_model_meta *m)
{
    json_t *q = json_object_get(j, "quantiles");
    size_t n = json_array_size(q);
    if (!json_is_array(q) || n > QF_GBDT_QUANTILES_MAX)
        return bad(r, "quantiles", "missing or not an array of at most 16");
    for (size_t k = 0; k < n; k++) {
        json_t *v = json_array_get(q, k);
        double a = json_number_value(v);
        if (!json_is_number(v) || !(a > 0 && a < 1) || (k > 0 && !(a > m->quantiles[k - 1])))
            return bad(r, "quantiles", "not increasing numbers in (0, 1)");
        m->quantiles[k] = a;
    }
    m->n_quantiles = n;
    return QF_OK;
}

qf_rc qf_registry_meta_from_json(json_t *j, const char *file, qf_model_meta *out, qf_err *err)
{
    reader r = {file, err};
    if (!json_is_object(j))
        return qf_err_set(err, QF_EPARSE, "%s: not a JSON object", file);
    qf_model_meta m;
    qf_model_meta_init(&m);
    qf_rc rc = read_header(&r, j, &m);
    if (rc == QF_OK)
        rc = read_feature_set(&r, j, &m);
    if (rc == QF_OK)
        rc = read_data(&r, j, &m);
    if (rc == QF_OK)
        rc = read_rows(&r, j, &m);
    if (rc == QF_OK)
        rc = read_quantiles(&r, j, &m);
    if (rc != QF_OK)
        return rc;
    json_t *config = json_object_get(j, "config");
    json_t *metrics = json_object_get(j, "metrics");
    m.config = json_is_null(config) ? NULL : json_incref(config);
    m.metrics = json_is_null(metrics) ? NULL : json_incref(metrics);
    qf_model_meta_cleanup(out);
    *out = m;
    return QF_OK;
}

void qf_registry_part_file(const qf_model_meta *m, size_t part, char *out, size_t size)
{
    if (part == 0)
        snprintf(out, size, "classifier.json");
    else
        snprintf(out, size, "q%.10g.json", 100.0 * m->quantiles[part - 1]);
}
