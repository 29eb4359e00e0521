/*
 * sqlite_models.c - trained models in SQLite (model_artifacts, migration 1):
 * insert, list and get by model id.
 *
 * The model id goes in the table's `name` column, (name, version) being its
 * UNIQUE key; a second insert of the same pair is reported as QF_EEXIST.
 * The `data` BLOB stays NULL: the models live in the registry's directory
 * (`path`), whose metadata.json `sha256` fingerprints.
 */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Binds text, or NULL for a NULL or empty string. */
static qf_rc bind_opt(sqlite_store *s, sqlite3_stmt *st, int col, const char *v, qf_err *err)
{
    if (v == NULL || v[0] == '\0') {
        sqlite3_bind_null(st, col);
        return QF_OK;
    }
    return sq_bind_text(s, st, col, v, err);
}

static qf_rc bind_record(sqlite_store *s, sqlite3_stmt *st, const qf_model_record *r, qf_err *err)
{
    qf_rc rc = sq_bind_text(s, st, 1, r->model_id, err);
    sqlite3_bind_int(st, 2, r->version);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, r->kind, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 4, r->exchange, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 5, r->symbol, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 6, r->timeframe, err);
    sqlite3_bind_int64(st, 7, r->created_at);
    sqlite3_bind_int64(st, 8, r->train_from);
    sqlite3_bind_int64(st, 9, r->train_to);
    const char *texts[4] = {r->feature_names, r->params, r->metrics, r->path};
    for (int i = 0; i < 4 && rc == QF_OK; i++)
        rc = bind_opt(s, st, 10 + i, texts[i], err);
    if (rc == QF_OK)
        rc = bind_opt(s, st, 14, r->sha256, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 15, r->status[0] != '\0' ? r->status : "candidate", err);
    return rc;
}

qf_rc sq_insert_model(qf_store *store, const qf_model_record *r, int64_t *out_id, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_writable(s, "record a model", err);
    if (rc == QF_OK)
        rc = sq_stmt(s, SQ_MODEL_INSERT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = bind_record(s, st, r, err);
    if (rc == QF_OK) {
        int src = sqlite3_step(st);
        if ((src & 0xff) == SQLITE_CONSTRAINT &&
            sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
            rc = qf_err_set(err, QF_EEXIST, "%s: model %s version %d is already recorded", s->path,
                            r->model_id, r->version);
        else if (src != SQLITE_DONE)
            rc = sq_fail(s, src, "recording a model", err);
        else
            *out_id = sqlite3_last_insert_rowid(s->db);
    }
    sq_done(st);
    return rc;
}

/* A copy of a text column (NULL stays NULL). */
static qf_rc column_dup(sqlite3_stmt *st, int col, char **out, qf_err *err)
{
    *out = NULL;
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return QF_OK;
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *c = malloc(n + 1);
    if (c == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory reading a model");
    if (n > 0 && t != NULL)
        memcpy(c, t, n);
    c[n] = '\0';
    *out = c;
    return QF_OK;
}

/* A text column into a fixed field (cut to its size; "" for NULL). */
static void column_copy(sqlite3_stmt *st, int col, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, size, "%s", t != NULL ? (const char *)t : "");
}

/* The row under st (columns of SQ_MODEL_COLS) into r (initialised). */
static qf_rc read_record(sqlite3_stmt *st, qf_model_record *r, qf_err *err)
{
    r->id = sqlite3_column_int64(st, 0);
    column_copy(st, 1, r->model_id, sizeof r->model_id);
    r->version = sqlite3_column_int(st, 2);
    column_copy(st, 3, r->kind, sizeof r->kind);
    column_copy(st, 4, r->exchange, sizeof r->exchange);
    column_copy(st, 5, r->symbol, sizeof r->symbol);
    column_copy(st, 6, r->timeframe, sizeof r->timeframe);
    r->created_at = sqlite3_column_int64(st, 7);
    r->train_from = sqlite3_column_int64(st, 8);
    r->train_to = sqlite3_column_int64(st, 9);
    char **texts[4] = {&r->feature_names, &r->params, &r->metrics, &r->path};
    qf_rc rc = QF_OK;
    for (int i = 0; i < 4 && rc == QF_OK; i++)
        rc = column_dup(st, 10 + i, texts[i], err);
    column_copy(st, 14, r->sha256, sizeof r->sha256);
    column_copy(st, 15, r->status, sizeof r->status);
    return rc;
}

/* Grows *v to hold at least n + 1 records. */
static qf_rc reserve(qf_model_record **v, size_t n, size_t *cap, qf_err *err)
{
    if (n < *cap)
        return QF_OK;
    size_t c = *cap > 0 ? *cap * 2 : 16;
    qf_model_record *grown = realloc(*v, c * sizeof *grown);
    if (grown == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory listing models");
    *v = grown;
    *cap = c;
    return QF_OK;
}

static qf_rc read_all(sqlite_store *s, sqlite3_stmt *st, qf_model_record **out, size_t *out_n,
                      qf_err *err)
{
    qf_model_record *v = NULL;
    size_t n = 0, cap = 0;
    qf_rc rc = QF_OK;
    int src = SQLITE_DONE;
    while (rc == QF_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = reserve(&v, n, &cap, err);
        if (rc != QF_OK)
            break;
        qf_model_record_init(&v[n]);
        rc = read_record(st, &v[n], err);
        n++;
    }
    if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "listing models", err);
    if (rc != QF_OK) {
        qf_model_records_free(v, n);
        return rc;
    }
    *out = v;
    *out_n = n;
    return QF_OK;
}

qf_rc sq_list_models(qf_store *store, const char *symbol, qf_model_record **out_records,
                     size_t *out_n, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_MODEL_LIST, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = bind_opt(s, st, 1, symbol, err);
    if (rc == QF_OK)
        rc = read_all(s, st, out_records, out_n, err);
    sq_done(st);
    return rc;
}

qf_rc sq_get_model(qf_store *store, const char *model_id, qf_model_record *out, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_MODEL_GET, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, model_id, err);
    int src = rc == QF_OK ? sqlite3_step(st) : SQLITE_DONE;
    if (rc == QF_OK && src == SQLITE_ROW) {
        qf_model_record r;
        qf_model_record_init(&r);
        rc = read_record(st, &r, err);
        if (rc == QF_OK) {
            qf_model_record_cleanup(out);
            *out = r;
        } else {
            qf_model_record_cleanup(&r);
        }
    } else if (rc == QF_OK && src == SQLITE_DONE) {
        rc = qf_err_set(err, QF_ENOTFOUND, "no model %s in %s", model_id, s->path);
    } else if (rc == QF_OK) {
        rc = sq_fail(s, src, "reading a model", err);
    }
    sq_done(st);
    return rc;
}
