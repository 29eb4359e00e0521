/*
 * sqlite_risk.c - risk state in SQLite (migration 1): the persisted kill
 * switch (kill_switch, one row per account), the audit trail (risk_events)
 * and the risk metrics history (risk_metrics, keyed by account and time).
 *
 * Flipping the kill switch reads the current row and writes the new state
 * and its audit row inside one BEGIN IMMEDIATE transaction: the write lock
 * is held from the read on, so two processes flipping at once (a worker
 * tripping it while a person resets it) are serialised, the second sees the
 * first's result, and there is never a state without its audit row or the
 * other way round.
 *
 * Texts are read back into the fixed-size fields of qf_kill_switch_state and
 * qf_risk_event; a longer text another program stored is cut at a UTF-8
 * character boundary.
 */
#include "store/sqlite_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies a text column into buf (NULL reads as ""). */
static void copy_text(sqlite3_stmt *st, int col, char *buf, size_t size)
{
    buf[0] = '\0';
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return;
    const char *t = (const char *)sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (t == NULL)
        return;
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
            n--; /* t[n] continues a character: cut before that character */
    }
    memcpy(buf, t, n);
    buf[n] = '\0';
}

static qf_rc read_kill(sqlite_store *s, const char *account, qf_kill_switch_state *out, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_KILL_GET, &st, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 1, account, err);
    if (rc != QF_OK) {
        if (st != NULL)
            sq_done(st);
        return rc;
    }
    memset(out, 0, sizeof *out);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        out->engaged = sqlite3_column_int(st, 0) != 0;
        copy_text(st, 1, out->reason, sizeof out->reason);
        copy_text(st, 2, out->changed_by, sizeof out->changed_by);
        out->changed_at = sqlite3_column_int64(st, 3);
        src = sqlite3_step(st);
    }
    sq_done(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, "reading the kill switch", err);
    return QF_OK;
}

qf_rc sq_get_kill_switch(qf_store *store, const char *account, qf_kill_switch_state *out,
                         qf_err *err)
{
    qf_kill_switch_state k;
    qf_rc rc = read_kill(sq_from(store), account, &k, err);
    if (rc == QF_OK)
        *out = k;
    return rc;
}

static qf_rc put_kill(sqlite_store *s, const char *account, int engaged, const char *reason,
                      const char *actor, int64_t time, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_KILL_PUT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    sqlite3_bind_int(st, 2, engaged);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, reason, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 4, actor, err);
    sqlite3_bind_int64(st, 5, time);
    if (rc != QF_OK) {
        sq_done(st);
        return rc;
    }
    return sq_step_write(s, st, "writing the kill switch", NULL, err);
}

/* "" is bound as NULL. */
static qf_rc bind_optional(sqlite_store *s, sqlite3_stmt *st, int col, const char *v, qf_err *err)
{
    return sq_bind_text(s, st, col, v[0] != '\0' ? v : NULL, err);
}

static qf_rc insert_event(sqlite_store *s, const qf_risk_event *ev, int64_t *out_id, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_RISK_EVENT_INSERT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, ev->account, err);
    sqlite3_bind_int64(st, 2, ev->time);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, ev->kind, err);
    if (rc == QF_OK)
        rc = bind_optional(s, st, 4, ev->symbol, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 5, ev->actor, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 6, ev->message, err);
    if (rc == QF_OK)
        rc = bind_optional(s, st, 7, ev->detail, err);
    if (rc != QF_OK) {
        sq_done(st);
        return rc;
    }
    rc = sq_step_write(s, st, "writing a risk event", NULL, err);
    if (rc == QF_OK)
        *out_id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

/* The audit row of a kill-switch flip. The texts were checked by store.c
 * against the sizes of these fields. */
static qf_rc insert_flip_event(sqlite_store *s, const char *account, int engaged,
                               const char *reason, const char *actor, int64_t time, qf_err *err)
{
    qf_risk_event ev;
    memset(&ev, 0, sizeof ev);
    strcpy(ev.account, account);
    ev.time = time;
    strcpy(ev.kind, engaged ? QF_RISK_EVENT_KILL_ENGAGED : QF_RISK_EVENT_KILL_RESET);
    strcpy(ev.actor, actor);
    strcpy(ev.message, reason);
    int64_t id = 0;
    return insert_event(s, &ev, &id, err);
}

static qf_rc set_locked(sqlite_store *s, const char *account, int engaged, const char *reason,
                        const char *actor, int64_t time, int *out_changed, qf_err *err)
{
    qf_kill_switch_state cur;
    qf_rc rc = read_kill(s, account, &cur, err);
    if (rc != QF_OK || cur.engaged == engaged)
        return rc;
    rc = put_kill(s, account, engaged, reason, actor, time, err);
    if (rc == QF_OK)
        rc = insert_flip_event(s, account, engaged, reason, actor, time, err);
    if (rc == QF_OK)
        *out_changed = 1;
    return rc;
}

qf_rc sq_set_kill_switch(qf_store *store, const char *account, int engaged, const char *reason,
                         const char *actor, int64_t time, int *out_changed, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    *out_changed = 0;
    qf_rc rc = sq_writable(s, "set the kill switch", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting the kill switch update", err);
    if (rc == QF_OK)
        rc = set_locked(s, account, engaged, reason, actor, time, out_changed, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing the kill switch update", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        *out_changed = 0;
        qf_err_prefix(err, "kill switch of account %s", account);
    }
    return rc;
}

qf_rc sq_insert_risk_event(qf_store *store, const qf_risk_event *ev, int64_t *out_id, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    qf_rc rc = sq_writable(s, "insert a risk event", err);
    if (rc == QF_OK)
        rc = insert_event(s, ev, out_id, err);
    return rc;
}

/* The array v of *cap elements of `size` bytes, doubled when n has reached
 * *cap; NULL (v untouched and still owned by the caller) when out of memory. */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t next = *cap == 0 ? 16 : *cap * 2;
    void *p = realloc(v, next * size);
    if (p != NULL)
        *cap = next;
    return p;
}

static qf_rc out_of_memory(qf_err *err)
{
    return qf_err_set(err, QF_ENOMEM, "store: out of memory reading risk rows");
}

static void read_event(sqlite3_stmt *st, const char *account, qf_risk_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->id = sqlite3_column_int64(st, 0);
    snprintf(ev->account, sizeof ev->account, "%s", account);
    ev->time = sqlite3_column_int64(st, 1);
    copy_text(st, 2, ev->kind, sizeof ev->kind);
    copy_text(st, 3, ev->symbol, sizeof ev->symbol);
    copy_text(st, 4, ev->actor, sizeof ev->actor);
    copy_text(st, 5, ev->message, sizeof ev->message);
    copy_text(st, 6, ev->detail, sizeof ev->detail);
}

/* Steps the bound statement, newest first, into *v; then puts it in
 * ascending order. */
static qf_rc read_events(sqlite_store *s, sqlite3_stmt *st, const char *account, qf_risk_event **v,
                         size_t *n, qf_err *err)
{
    size_t cap = 0;
    int src = SQLITE_DONE;
    qf_rc rc = QF_OK;
    while (rc == QF_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        qf_risk_event *bigger = grow(*v, &cap, *n, sizeof **v);
        if (bigger == NULL) {
            rc = out_of_memory(err);
            break;
        }
        *v = bigger;
        read_event(st, account, &(*v)[(*n)++]);
    }
    if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "reading risk events", err);
    for (size_t i = 0; rc == QF_OK && i < *n / 2; i++) {
        qf_risk_event t = (*v)[i];
        (*v)[i] = (*v)[*n - 1 - i];
        (*v)[*n - 1 - i] = t;
    }
    return rc;
}

qf_rc sq_list_risk_events(qf_store *store, const char *account, int64_t from, int64_t to,
                          size_t last_n, qf_risk_event **out_events, size_t *out_n, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_risk_event *v = NULL;
    size_t n = 0;
    qf_rc rc = sq_stmt(s, SQ_RISK_EVENT_LAST, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, last_n == 0 || last_n > INT64_MAX ? -1 : (int64_t)last_n);
    if (rc == QF_OK)
        rc = read_events(s, st, account, &v, &n, err);
    sq_done(st);
    if (rc != QF_OK) {
        free(v);
        return rc;
    }
    *out_events = v;
    *out_n = n;
    return QF_OK;
}

static void bind_double_or_null(sqlite3_stmt *st, int col, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_double(st, col, v);
}

static qf_rc write_metrics(sqlite_store *s, const char *account, const qf_risk_metric *rows,
                           size_t n, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_RISK_METRIC_UPSERT, &st, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 1, account, err);
    for (size_t i = 0; rc == QF_OK && i < n; i++) {
        const qf_risk_metric *m = &rows[i];
        const double v[9] = {m->equity,         m->drawdown,     m->max_drawdown,
                             m->volatility,     m->var_95,       m->cvar_95,
                             m->gross_exposure, m->net_exposure, m->leverage};
        sqlite3_bind_int64(st, 2, m->time);
        for (int k = 0; k < 9; k++)
            bind_double_or_null(st, 3 + k, v[k]);
        int src = sqlite3_step(st);
        sqlite3_reset(st);
        if (src != SQLITE_DONE)
            rc = sq_fail(s, src, "writing risk metrics", err);
    }
    if (st != NULL)
        sq_done(st);
    return rc;
}

qf_rc sq_upsert_risk_metrics(qf_store *store, const char *account, const qf_risk_metric *rows,
                             size_t n, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    qf_rc rc = sq_writable(s, "upsert risk metrics", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting the risk metrics upsert", err);
    if (rc == QF_OK)
        rc = write_metrics(s, account, rows, n, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing the risk metrics upsert", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        qf_err_prefix(err, "risk metrics of account %s", account);
    }
    return rc;
}

static double column_or_nan(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(st, col);
}

static void read_metric(sqlite3_stmt *st, qf_risk_metric *m)
{
    m->time = sqlite3_column_int64(st, 0);
    m->equity = column_or_nan(st, 1);
    m->drawdown = column_or_nan(st, 2);
    m->max_drawdown = column_or_nan(st, 3);
    m->volatility = column_or_nan(st, 4);
    m->var_95 = column_or_nan(st, 5);
    m->cvar_95 = column_or_nan(st, 6);
    m->gross_exposure = column_or_nan(st, 7);
    m->net_exposure = column_or_nan(st, 8);
    m->leverage = column_or_nan(st, 9);
}

qf_rc sq_query_risk_metrics(qf_store *store, const char *account, int64_t from, int64_t to,
                            qf_risk_metric **out_rows, size_t *out_n, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_risk_metric *v = NULL;
    size_t n = 0, cap = 0;
    qf_rc rc = sq_stmt(s, SQ_RISK_METRIC_RANGE, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    int src = SQLITE_DONE;
    while (rc == QF_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        qf_risk_metric *bigger = grow(v, &cap, n, sizeof *v);
        if (bigger == NULL) {
            rc = out_of_memory(err);
            break;
        }
        v = bigger;
        read_metric(st, &v[n++]);
    }
    if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "reading risk metrics", err);
    sq_done(st);
    if (rc != QF_OK) {
        free(v);
        return rc;
    }
    *out_rows = v;
    *out_n = n;
    return QF_OK;
}
