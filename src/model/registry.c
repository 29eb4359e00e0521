/*
 * registry.c - saving and loading models under <root>/<model_id>/ and
 * recording them in the store (see registry.h for the layout, the id and
 * the guarantees).
 *
 * Save: serialise every part and hash it, fill the id, render
 * metadata.json, write all files into <root>/.tmp-<id>-<pid>/ (each
 * fsync'ed), fsync that directory, rename it to <root>/<id>, fsync <root>,
 * then insert the store row; if the row fails the directory is removed
 * again. Load: parse and check metadata.json, compare the feature set with
 * the caller's, then for each file listed check its name, size and SHA-256
 * before XGBoost reads it (and checks it is the part it must be).
 */
#include "model/registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/symbol.h"
#include "core/time.h"
#include "model/registry_int.h"

#define PATH_CAP   4096
#define META_MAX   (16L * 1024 * 1024) /* larger metadata.json files are refused */
#define PARTS_MAX  (1 + QF_GBDT_QUANTILES_MAX)
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(17))

qf_rc qf_registry_check_id(const char *id, qf_err *err)
{
    size_t n = id != NULL ? strnlen(id, QF_MODEL_ID_MAX) : 0;
    int ok = n > 0 && n < QF_MODEL_ID_MAX && id[0] != '.';
    for (size_t i = 0; ok && i < n; i++) {
        int c = (unsigned char)id[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    }
    if (!ok)
        return qf_err_set(err, QF_EINVAL,
                          "registry: '%.*s' is not a model id (1..%d of A-Z a-z 0-9 . _ -, not "
                          "starting with .)",
                          100, id != NULL ? id : "", QF_MODEL_ID_MAX - 1);
    return QF_OK;
}

/* ---- files -------------------------------------------------------------- */

static qf_rc join(char *out, size_t size, const char *a, const char *b, qf_err *err)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= size)
        return qf_err_set(err, QF_EINVAL, "registry: path too long: %s/%s", a, b);
    return QF_OK;
}

/* Creates path and its missing parents (mode 0755). */
static qf_rc mkdir_p(const char *path, qf_err *err)
{
    char buf[PATH_CAP];
    if (strlen(path) >= sizeof buf)
        return qf_err_set(err, QF_EINVAL, "registry: path too long: %s", path);
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char keep = *p;
        *p = '\0';
        struct stat stt;
        if (mkdir(buf, 0755) != 0 &&
            (errno != EEXIST || stat(buf, &stt) != 0 || !S_ISDIR(stt.st_mode)))
            return qf_err_set(err, QF_EIO, "registry: cannot create directory %s: %s", buf,
                              strerror(errno != EEXIST ? errno : ENOTDIR));
        *p = keep;
        if (keep == '\0')
            return QF_OK;
    }
}

static qf_rc fsync_path(const char *path, int flags, qf_err *err)
{
    int fd = open(path, flags);
    if (fd < 0)
        return qf_err_set(err, QF_EIO, "registry: cannot open %s: %s", path, strerror(errno));
    int bad = fsync(fd) != 0;
    int e = errno;
    close(fd);
    if (bad)
        return qf_err_set(err, QF_EIO, "registry: cannot sync %s: %s", path, strerror(e));
    return QF_OK;
}

/* Writes a new file dir/name holding len bytes, synced to disk. */
static qf_rc write_file(const char *dir, const char *name, const char *data, size_t len,
                        qf_err *err)
{
    char path[PATH_CAP];
    qf_rc rc = join(path, sizeof path, dir, name, err);
    if (rc != QF_OK)
        return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return qf_err_set(err, QF_EIO, "registry: cannot create %s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int e = errno;
    int bad = done < len || fsync(fd) != 0;
    e = bad && done == len ? errno : e;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad)
        return qf_err_set(err, QF_EIO, "registry: cannot write %s: %s", path, strerror(e));
    return QF_OK;
}

/* Removes a directory holding plain files only (best effort). */
static void remove_flat(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        char path[PATH_CAP];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Reads a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer. QF_ENOTFOUND when it does not exist. */
static qf_rc read_file(const char *path, long max, char **out, size_t *out_len, qf_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return qf_err_set(err, errno == ENOENT ? QF_ENOTFOUND : QF_EIO, "%s: %s", path,
                          strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    qf_rc rc = QF_OK;
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        rc = qf_err_set(err, QF_EIO, "%s: cannot read (not a regular file?)", path);
    else if (size > max)
        rc = qf_err_set(err, QF_EPARSE, "%s: %ld bytes, more than the %ld a model file may have",
                        path, size, max);
    char *buf = rc == QF_OK ? malloc((size_t)size + 1) : NULL;
    if (rc == QF_OK && buf == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "%s: out of memory", path);
    if (rc == QF_OK && fread(buf, 1, (size_t)size, f) != (size_t)size)
        rc = qf_err_set(err, QF_EIO, "%s: cannot read", path);
    fclose(f);
    if (rc != QF_OK) {
        free(buf);
        return rc;
    }
    buf[size] = '\0';
    *out = buf;
    *out_len = (size_t)size;
    return QF_OK;
}

/* ---- save --------------------------------------------------------------- */

/* The serialised parts of a model and their hashes. */
typedef struct parts {
    size_t n;
    char *text[PARTS_MAX];
    size_t len[PARTS_MAX];
    char sha[PARTS_MAX][QF_SHA256_HEX];
} parts;

static void parts_free(parts *p)
{
    for (size_t k = 0; k < p->n; k++)
        free(p->text[k]);
}

static qf_rc serialize(qf_gbdt *m, parts *p, qf_err *err)
{
    memset(p, 0, sizeof *p);
    size_t n = 1 + qf_gbdt_n_quantiles(m);
    for (size_t k = 0; k < n; k++) {
        qf_rc rc = qf_gbdt_part_json(m, k, &p->text[k], &p->len[k], err);
        if (rc != QF_OK)
            return rc;
        p->n = k + 1;
        qf_sha256_hex(p->text[k], p->len[k], p->sha[k]);
    }
    return QF_OK;
}

static qf_rc check_series(const qf_series_key *k, qf_err *err)
{
    qf_timeframe tf;
    if (memchr(k->exchange, '\0', sizeof k->exchange) == NULL || k->exchange[0] == '\0' ||
        memchr(k->symbol, '\0', sizeof k->symbol) == NULL ||
        memchr(k->timeframe, '\0', sizeof k->timeframe) == NULL)
        return qf_err_set(err, QF_EINVAL, "registry: the model's series is missing");
    if (qf_symbol_validate(k->symbol, err) != QF_OK ||
        qf_timeframe_parse(k->timeframe, &tf, err) != QF_OK)
        return qf_err_prefix(err, "registry");
    return QF_OK;
}

static qf_rc check_for_save(qf_gbdt *model, const qf_model_meta *meta, qf_err *err)
{
    if (model == NULL || meta == NULL)
        return qf_err_set(err, QF_EINVAL, "registry: no model or metadata to save");
    if (meta->model_id[0] != '\0' && qf_registry_check_id(meta->model_id, err) != QF_OK)
        return err != NULL ? err->code : QF_EINVAL;
    if (meta->n_features != qf_gbdt_n_features(model) || meta->feature_set[0] == '\0')
        return qf_err_set(err, QF_EINVAL,
                          "registry: the metadata names %zu features of feature set '%s'; the "
                          "model takes %zu",
                          meta->n_features, meta->feature_set, qf_gbdt_n_features(model));
    int same = meta->n_quantiles == qf_gbdt_n_quantiles(model);
    for (size_t k = 0; same && k < meta->n_quantiles; k++)
        same = meta->quantiles[k] == qf_gbdt_alpha(model, k);
    if (!same)
        return qf_err_set(err, QF_EINVAL, "registry: the metadata's quantiles are not the model's");
    if (meta->first_open_time > meta->last_open_time)
        return qf_err_set(err, QF_EINVAL, "registry: first_open_time after last_open_time");
    return check_series(&meta->series, err);
}

/* <BASE><QUOTE>-<tf>-<YYYYmmddTHHMMSS>-<hash6> (registry.h). */
static void make_id(const qf_model_meta *m, const parts *p, char out[QF_MODEL_ID_MAX])
{
    char sym[QF_SYMBOL_MAX];
    size_t j = 0;
    for (const char *s = m->series.symbol; *s != '\0'; s++)
        if (*s != '/')
            sym[j++] = *s;
    sym[j] = '\0';
    char iso[QF_ISO_MAX];
    char stamp[16];
    qf_time_format_iso(m->created_at, iso, sizeof iso); /* YYYY-MM-DDTHH:MM:SS... */
    j = 0;
    for (size_t i = 0; i < 19 && iso[i] != '\0'; i++)
        if (iso[i] != '-' && iso[i] != ':')
            stamp[j++] = iso[i];
    stamp[j] = '\0';
    char seed[2048];
    int n = snprintf(seed, sizeof seed, "%s\n%s\n%s\n%lld\n%lld\n%lld", m->series.exchange,
                     m->series.symbol, m->series.timeframe, (long long)m->first_open_time,
                     (long long)m->last_open_time, (long long)m->created_at);
    for (size_t k = 0; k < p->n && n > 0 && (size_t)n < sizeof seed; k++)
        n += snprintf(seed + n, sizeof seed - (size_t)n, "\n%s", p->sha[k]);
    char hash[QF_SHA256_HEX];
    qf_sha256_hex(seed, strlen(seed), hash);
    snprintf(out, QF_MODEL_ID_MAX, "%s-%s-%s-%.6s", sym, m->series.timeframe, stamp, hash);
}

static json_t *files_json(const qf_model_meta *m, const parts *p)
{
    json_t *a = json_array();
    for (size_t k = 0; a != NULL && k < p->n; k++) {
        char name[64];
        qf_registry_part_file(m, k, name, sizeof name);
        json_t *e = k == 0 ? json_pack("{ss}", "part", "classifier")
                           : json_pack("{sssf}", "part", "quantile", "alpha", m->quantiles[k - 1]);
        if (e == NULL || json_object_set_new(e, "file", json_string(name)) != 0 ||
            json_object_set_new(e, "bytes", json_integer((json_int_t)p->len[k])) != 0 ||
            json_object_set_new(e, "sha256", json_string(p->sha[k])) != 0 ||
            json_array_append_new(a, e) != 0) {
            json_decref(e);
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* metadata.json's text (malloc'd). */
static qf_rc metadata_text(const qf_model_meta *m, const parts *p, char **out, qf_err *err)
{
    json_t *j = qf_model_meta_to_json(m);
    json_t *files = files_json(m, p);
    char *text = NULL;
    if (j != NULL && files != NULL && json_object_set_new(j, "files", files) == 0) {
        files = NULL;
        text = json_dumps(j, JSON_FLAGS);
    }
    json_decref(files);
    json_decref(j);
    if (text == NULL)
        return qf_err_set(err, QF_ENOMEM, "registry: out of memory writing metadata");
    *out = text;
    return QF_OK;
}

static qf_rc write_all(const char *dir, const qf_model_meta *m, const parts *p,
                       const char *meta_text, qf_err *err)
{
    qf_rc rc = QF_OK;
    for (size_t k = 0; rc == QF_OK && k < p->n; k++) {
        char name[64];
        qf_registry_part_file(m, k, name, sizeof name);
        rc = write_file(dir, name, p->text[k], p->len[k], err);
    }
    if (rc == QF_OK)
        rc = write_file(dir, QF_MODEL_META_FILE, meta_text, strlen(meta_text), err);
    if (rc == QF_OK)
        rc = fsync_path(dir, O_RDONLY | O_DIRECTORY, err);
    return rc;
}

static char *dumps_or_null(json_t *j)
{
    return j != NULL ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)
                     : NULL;
}

/* The store row's params: what the model is, without the metrics. */
static json_t *params_json(const qf_model_meta *m)
{
    json_t *j = qf_model_meta_to_json(m);
    if (j == NULL)
        return NULL;
    json_t *p = json_pack("{sOsOsOsO}", "feature_set", json_object_get(j, "feature_set"),
                          "quantiles", json_object_get(j, "quantiles"), "rows",
                          json_object_get(j, "rows"), "config", json_object_get(j, "config"));
    json_decref(j);
    return p;
}

static qf_rc fill_record(const qf_model_meta *m, const char *dir, const char *meta_text,
                         qf_model_record *r, qf_err *err)
{
    qf_model_record_init(r);
    strcpy(r->model_id, m->model_id);
    r->version = 1;
    strcpy(r->kind, QF_MODEL_KIND);
    strcpy(r->exchange, m->series.exchange);
    strcpy(r->symbol, m->series.symbol);
    snprintf(r->timeframe, sizeof r->timeframe, "%s", m->series.timeframe);
    r->created_at = m->created_at;
    r->train_from = m->first_open_time;
    r->train_to = m->last_open_time;
    json_t *fs = qf_model_meta_to_json(m);
    json_t *params = params_json(m);
    r->feature_names =
        dumps_or_null(json_object_get(json_object_get(fs, "feature_set"), "features"));
    r->params = dumps_or_null(params);
    r->metrics = dumps_or_null(m->metrics);
    r->path = realpath(dir, NULL);
    json_decref(fs);
    json_decref(params);
    qf_sha256_hex(meta_text, strlen(meta_text), r->sha256);
    if (r->feature_names == NULL || r->params == NULL || r->path == NULL ||
        (m->metrics != NULL && r->metrics == NULL))
        return qf_err_set(err, QF_ENOMEM, "registry: out of memory recording %s", m->model_id);
    return QF_OK;
}

static qf_rc record(qf_store *store, const qf_model_meta *m, const char *dir, const char *meta_text,
                    qf_err *err)
{
    qf_model_record r;
    qf_rc rc = fill_record(m, dir, meta_text, &r, err);
    if (rc == QF_OK)
        rc = qf_store_insert_model(store, &r, NULL, err);
    qf_model_record_cleanup(&r);
    return rc;
}

/* Writes everything into a temporary directory and renames it to final. */
static qf_rc publish(const char *root, const char *final, const qf_model_meta *m, const parts *p,
                     const char *meta_text, qf_err *err)
{
    char tmp[PATH_CAP];
    char name[QF_MODEL_ID_MAX + 32];
    snprintf(name, sizeof name, ".tmp-%s-%ld", m->model_id, (long)getpid());
    qf_rc rc = join(tmp, sizeof tmp, root, name, err);
    if (rc != QF_OK)
        return rc;
    remove_flat(tmp); /* a leftover of a crashed save by a process of the same id */
    if (mkdir(tmp, 0755) != 0)
        return qf_err_set(err, QF_EIO, "registry: cannot create %s: %s", tmp, strerror(errno));
    rc = write_all(tmp, m, p, meta_text, err);
    if (rc == QF_OK && rename(tmp, final) != 0)
        rc = qf_err_set(err, errno == EEXIST || errno == ENOTEMPTY ? QF_EEXIST : QF_EIO,
                        "registry: cannot move the model into %s: %s", final, strerror(errno));
    if (rc != QF_OK) {
        remove_flat(tmp);
        return rc;
    }
    return fsync_path(root, O_RDONLY | O_DIRECTORY, err);
}

static qf_rc save_parts(const char *root, qf_model_meta *m, const parts *p, qf_store *store,
                        char *final, qf_err *err)
{
    char *meta_text = NULL;
    qf_rc rc = metadata_text(m, p, &meta_text, err);
    if (rc == QF_OK)
        rc = mkdir_p(root, err);
    if (rc == QF_OK)
        rc = join(final, PATH_CAP, root, m->model_id, err);
    struct stat stt;
    if (rc == QF_OK && stat(final, &stt) == 0)
        rc = qf_err_set(err, QF_EEXIST, "registry: model %s already exists in %s", m->model_id,
                        root);
    if (rc == QF_OK)
        rc = publish(root, final, m, p, meta_text, err);
    if (rc == QF_OK && store != NULL) {
        rc = record(store, m, final, meta_text, err);
        if (rc != QF_OK) {
            remove_flat(final);
            qf_err_prefix(err, "registry: %s not saved", m->model_id);
        }
    }
    free(meta_text);
    return rc;
}

qf_rc qf_registry_save(const char *root, qf_gbdt *model, qf_model_meta *meta, qf_store *store,
                       char *out_dir, size_t out_size, qf_err *err)
{
    qf_err_clear(err);
    if (root == NULL || root[0] == '\0')
        return qf_err_set(err, QF_EINVAL, "registry: no registry directory");
    qf_rc rc = check_for_save(model, meta, err);
    if (rc != QF_OK)
        return rc;
    parts p;
    rc = serialize(model, &p, err);
    qf_model_meta m = *meta; /* meta itself changes only on success */
    if (m.created_at == 0)
        m.created_at = qf_time_now_ms();
    if (m.xgboost_version[0] == '\0')
        qf_gbdt_library_version(m.xgboost_version, sizeof m.xgboost_version);
    if (rc == QF_OK && m.model_id[0] == '\0')
        make_id(&m, &p, m.model_id);
    char final[PATH_CAP];
    if (rc == QF_OK)
        rc = save_parts(root, &m, &p, store, final, err);
    parts_free(&p);
    if (rc != QF_OK)
        return rc;
    memcpy(meta->model_id, m.model_id, sizeof m.model_id);
    meta->created_at = m.created_at;
    memcpy(meta->xgboost_version, m.xgboost_version, sizeof m.xgboost_version);
    if (out_dir != NULL && out_size > 0)
        snprintf(out_dir, out_size, "%s", final);
    return QF_OK;
}

/* ---- load --------------------------------------------------------------- */

/* Reads root/id/metadata.json: the parsed document in *out_json (caller
 * decrefs) and the metadata in *m; dir gets root/id. */
static qf_rc load_meta(const char *root, const char *id, char *dir, qf_model_meta *m,
                       json_t **out_json, qf_err *err)
{
    char path[PATH_CAP];
    qf_rc rc = qf_registry_check_id(id, err);
    if (rc == QF_OK && (root == NULL || root[0] == '\0'))
        rc = qf_err_set(err, QF_EINVAL, "registry: no registry directory");
    if (rc == QF_OK)
        rc = join(dir, PATH_CAP, root, id, err);
    if (rc == QF_OK)
        rc = join(path, sizeof path, dir, QF_MODEL_META_FILE, err);
    if (rc != QF_OK)
        return rc;
    char *text = NULL;
    size_t len = 0;
    rc = read_file(path, META_MAX, &text, &len, err);
    if (rc == QF_ENOTFOUND)
        return qf_err_set(err, QF_ENOTFOUND, "registry: no model %s in %s (%s missing)", id, root,
                          path);
    if (rc != QF_OK)
        return rc;
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    free(text);
    if (j == NULL)
        return qf_err_set(err, QF_EPARSE, "%s:%d:%d: not valid JSON: %s", path, jerr.line,
                          jerr.column, jerr.text);
    rc = qf_registry_meta_from_json(j, path, m, err);
    if (rc == QF_OK && strcmp(m->model_id, id) != 0)
        rc = qf_err_set(err, QF_EPARSE, "%s: model_id '%s' is not the directory's '%s'", path,
                        m->model_id, id);
    if (rc != QF_OK) {
        json_decref(j);
        return rc;
    }
    *out_json = j;
    return QF_OK;
}

qf_rc qf_registry_read_meta(const char *root, const char *id, qf_model_meta *out_meta, qf_err *err)
{
    qf_err_clear(err);
    char dir[PATH_CAP];
    qf_model_meta m;
    qf_model_meta_init(&m);
    json_t *j = NULL;
    qf_rc rc = load_meta(root, id, dir, &m, &j, err);
    json_decref(j);
    if (rc != QF_OK) {
        qf_model_meta_cleanup(&m);
        return rc;
    }
    qf_model_meta_cleanup(out_meta);
    *out_meta = m;
    return QF_OK;
}

static qf_rc check_expected(const qf_model_meta *m, const qf_feature_set_info *fs, qf_err *err)
{
    if (strcmp(m->feature_set, fs->name) != 0)
        return qf_err_set(err, QF_EINVAL,
                          "registry: model %s was trained on feature set '%s', not '%s'",
                          m->model_id, m->feature_set, fs->name);
    if (m->feature_set_version != fs->version)
        return qf_err_set(err, QF_EVERSION,
                          "registry: model %s was trained on %s v%d; this build computes %s v%d: "
                          "retrain it",
                          m->model_id, m->feature_set, m->feature_set_version, fs->name,
                          fs->version);
    if (m->n_features != fs->n_features)
        return qf_err_set(
            err, QF_EINVAL, "registry: model %s takes %zu features of %s v%d, expected %zu",
            m->model_id, m->n_features, m->feature_set, m->feature_set_version, fs->n_features);
    for (size_t f = 0; f < fs->n_features; f++)
        if (strcmp(m->feature_names[f], fs->feature_names[f]) != 0)
            return qf_err_set(err, QF_EINVAL,
                              "registry: model %s: feature %zu is '%s', expected '%s'", m->model_id,
                              f, m->feature_names[f], fs->feature_names[f]);
    return QF_OK;
}

/* The files entry of part k must name the expected file and part. */
static qf_rc check_entry(const qf_model_meta *m, json_t *e, size_t k, const char *meta_path,
                         qf_err *err)
{
    char want[64];
    qf_registry_part_file(m, k, want, sizeof want);
    const char *file = json_string_value(json_object_get(e, "file"));
    const char *part = json_string_value(json_object_get(e, "part"));
    const char *sha = json_string_value(json_object_get(e, "sha256"));
    json_t *bytes = json_object_get(e, "bytes");
    if (file == NULL || strcmp(file, want) != 0 || part == NULL ||
        strcmp(part, k == 0 ? "classifier" : "quantile") != 0 || sha == NULL || strlen(sha) != 64 ||
        !json_is_integer(bytes) || json_integer_value(bytes) < 0)
        return qf_err_set(err, QF_EPARSE,
                          "%s: files[%zu]: expected %s with its part, bytes and "
                          "sha256",
                          meta_path, k, want);
    return QF_OK;
}

/* Reads, verifies and loads part k from dir. */
static qf_rc load_part(const char *dir, const qf_model_meta *m, json_t *e, size_t k, qf_gbdt *g,
                       qf_err *err)
{
    char name[64];
    char path[PATH_CAP];
    qf_registry_part_file(m, k, name, sizeof name);
    qf_rc rc = join(path, sizeof path, dir, name, err);
    char *text = NULL;
    size_t len = 0;
    if (rc == QF_OK)
        rc = read_file(path, QF_MODEL_FILE_MAX, &text, &len, err);
    if (rc != QF_OK)
        return rc;
    char sha[QF_SHA256_HEX];
    qf_sha256_hex(text, len, sha);
    if ((json_int_t)len != json_integer_value(json_object_get(e, "bytes")) ||
        strcmp(sha, json_string_value(json_object_get(e, "sha256"))) != 0)
        rc = qf_err_set(err, QF_EPARSE,
                        "%s: checksum mismatch: the file is corrupt or was changed after the "
                        "model was saved",
                        path);
    if (rc == QF_OK && qf_gbdt_load_part(g, k, text, len, err) != QF_OK)
        rc = qf_err_prefix(err, "%s", path);
    free(text);
    return rc;
}

static qf_rc load_parts(const char *dir, const qf_model_meta *m, json_t *j, qf_gbdt *g, qf_err *err)
{
    char meta_path[PATH_CAP];
    qf_rc rc = join(meta_path, sizeof meta_path, dir, QF_MODEL_META_FILE, err);
    json_t *files = json_object_get(j, "files");
    if (rc == QF_OK && json_array_size(files) != 1 + m->n_quantiles)
        rc = qf_err_set(err, QF_EPARSE, "%s: files: expected %zu entries", meta_path,
                        1 + m->n_quantiles);
    for (size_t k = 0; rc == QF_OK && k <= m->n_quantiles; k++) {
        json_t *e = json_array_get(files, k);
        rc = check_entry(m, e, k, meta_path, err);
        if (rc == QF_OK)
            rc = load_part(dir, m, e, k, g, err);
    }
    return rc;
}

qf_rc qf_registry_load(const char *root, const char *id, const qf_feature_set_info *expect,
                       int n_threads, qf_gbdt **out_model, qf_model_meta *out_meta, qf_err *err)
{
    qf_err_clear(err);
    if (out_model == NULL)
        return qf_err_set(err, QF_EINVAL, "registry: no output model");
    char dir[PATH_CAP];
    qf_model_meta m;
    qf_model_meta_init(&m);
    json_t *j = NULL;
    qf_gbdt *g = NULL;
    qf_rc rc = load_meta(root, id, dir, &m, &j, err);
    if (rc == QF_OK && expect != NULL)
        rc = check_expected(&m, expect, err);
    if (rc == QF_OK)
        rc = qf_gbdt_new(m.n_features, m.quantiles, m.n_quantiles, n_threads, &g, err);
    if (rc == QF_OK)
        rc = load_parts(dir, &m, j, g, err);
    json_decref(j);
    if (rc != QF_OK) {
        qf_gbdt_free(g);
        qf_model_meta_cleanup(&m);
        return rc;
    }
    *out_model = g;
    if (out_meta != NULL) {
        qf_model_meta_cleanup(out_meta);
        *out_meta = m;
    } else {
        qf_model_meta_cleanup(&m);
    }
    return QF_OK;
}
