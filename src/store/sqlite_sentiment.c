/*
 * sqlite_sentiment.c - news sentiment events in SQLite (sentiment_events,
 * migration 1): the idempotent upsert and the range query.
 *
 * Rows are keyed by dedup_key (UNIQUE), which store.c computes for every
 * backend alike. An upsert is two statements per row: an INSERT that does
 * nothing on a conflicting key (sqlite3_changes() says whether it inserted)
 * and an UPDATE of that key that rewrites only when a value differs (its
 * changes say updated or unchanged), so the counts are exact without
 * counting the table. The query reads by time through
 * sentiment_events_by_time, with the market's events (its symbol, its base
 * asset, or none) selected in the same statement.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/time.h"

/* Binds a text (NULL stays NULL) without copying: the caller's string
 * outlives the step. */
static void bind_text(sqlite3_stmt *st, int col, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
}

/* Binds ?1 key and the values shared by both statements at ?2..?7. */
static void bind_values(sqlite3_stmt *st, const qf_sentiment_event *e, const char *key)
{
    bind_text(st, 1, key);
    bind_text(st, 2, e->source);
    bind_text(st, 3, e->title);
    bind_text(st, 4, e->url);
    bind_text(st, 5, e->label);
    sqlite3_bind_double(st, 6, e->score);
    sqlite3_bind_double(st, 7, e->confidence);
}

static qf_rc write_row(sqlite_store *s, sqlite3_stmt *ins, sqlite3_stmt *upd,
                       const qf_sentiment_event *e, const char *key, int64_t now,
                       qf_upsert_stats *stats, qf_err *err)
{
    int64_t changes = 0;
    bind_values(ins, e, key);
    sqlite3_bind_int64(ins, 8, e->time);
    bind_text(ins, 9, e->symbol);
    sqlite3_bind_int64(ins, 10, now);
    qf_rc rc = sq_step_write(s, ins, "writing sentiment events", &changes, err);
    if (rc != QF_OK || changes > 0) {
        stats->inserted += changes;
        return rc;
    }
    bind_values(upd, e, key);
    rc = sq_step_write(s, upd, "writing sentiment events", &changes, err);
    if (rc == QF_OK && changes > 0)
        stats->updated++;
    else if (rc == QF_OK)
        stats->unchanged++;
    return rc;
}

static qf_rc insert_locked(sqlite_store *s, const qf_sentiment_event *rows, const char *const *keys,
                           size_t n, qf_upsert_stats *stats, qf_err *err)
{
    sqlite3_stmt *ins = NULL;
    sqlite3_stmt *upd = NULL;
    qf_rc rc = sq_stmt(s, SQ_SENT_INSERT, &ins, err);
    if (rc == QF_OK)
        rc = sq_stmt(s, SQ_SENT_UPDATE, &upd, err);
    int64_t now = qf_time_now_ms();
    for (size_t i = 0; i < n && rc == QF_OK; i++)
        rc = write_row(s, ins, upd, &rows[i], keys[i], now, stats, err);
    return rc;
}

qf_rc sq_insert_sentiment(qf_store *store, const qf_sentiment_event *rows, const char *const *keys,
                          size_t n, qf_upsert_stats *out_stats, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    memset(out_stats, 0, sizeof *out_stats);
    qf_rc rc = sq_writable(s, "insert sentiment events", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting the sentiment events upsert", err);
    if (rc == QF_OK)
        rc = insert_locked(s, rows, keys, n, out_stats, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing the sentiment events upsert", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        memset(out_stats, 0, sizeof *out_stats);
    }
    return rc;
}

static const char *column_text(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t != NULL ? t : "";
}

/* Decodes the current row (SQ_SENT_COLS), checks it and appends it. */
static qf_rc read_row(sqlite_store *s, sqlite3_stmt *st, qf_sentiment_events *out, qf_err *err)
{
    qf_sentiment_event e;
    int64_t id = sqlite3_column_int64(st, 0);
    e.time = sqlite3_column_int64(st, 1);
    e.source = column_text(st, 2);
    e.title = column_text(st, 3);
    e.url = column_text(st, 4);
    e.symbol = column_text(st, 5);
    e.label = column_text(st, 6);
    e.score = sqlite3_column_double(st, 7);
    e.confidence = sqlite3_column_double(st, 8);
    if (qf_sentiment_event_check(&e, err) != QF_OK) {
        qf_err_prefix(err, "%s: sentiment_events id %lld", s->path, (long long)id);
        if (err != NULL)
            err->code = QF_EPARSE;
        return QF_EPARSE;
    }
    return qf_sentiment_events_push(out, &e, err);
}

qf_rc sq_query_sentiment(qf_store *store, const char *symbol, const char *asset, int64_t from,
                         int64_t to, qf_sentiment_events *out, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    size_t n0 = out->n;
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, symbol != NULL ? SQ_SENT_RANGE_SYMBOL : SQ_SENT_RANGE_ALL, &st, err);
    if (rc != QF_OK)
        return rc;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    if (symbol != NULL) {
        bind_text(st, 3, symbol);
        bind_text(st, 4, asset);
    }
    int src = SQLITE_DONE;
    while (rc == QF_OK && (src = sqlite3_step(st)) == SQLITE_ROW)
        rc = read_row(s, st, out, err);
    if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "reading sentiment events", err);
    sq_done(st);
    if (rc != QF_OK)
        qf_sentiment_events_truncate(out, n0);
    return rc;
}
