/*
 * sqlite_candles.c - series and candles in SQLite: the idempotent bulk
 * upsert, range and last-N queries, the per-series summary with gaps, counts
 * and deletion.
 *
 * The upsert binds SQ_UPSERT_BLOCK rows per statement execution inside one
 * BEGIN IMMEDIATE transaction. Its ON CONFLICT ... DO UPDATE ... WHERE clause
 * rewrites a row only when a value differs, so sqlite3_changes() counts
 * inserted + updated rows; counting the series' rows in [first, last] before
 * and after splits that sum into inserted and updated, and the rest of the
 * batch is unchanged.
 */
#include "store/sqlite_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

#define CANDLE_PARAMS  11                /* bound values per row, series_id included */
#define SQ_RESERVE_MAX ((size_t)1 << 17) /* rows reserved up front by a last_n query */

/* Looks up the series id; with `create`, inserts the series when missing
 * (the caller holds a write transaction). *out_id is 0 when not found. */
static qf_rc find_series(sqlite_store *s, const qf_series_key *key, int create, int64_t *out_id,
                         qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_SERIES_FIND, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, key->exchange, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 2, key->symbol, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, key->timeframe, err);
    if (rc == QF_OK)
        rc = sq_step_int(s, st, "looking up the series", out_id, err);
    sq_done(st);
    if (rc != QF_OK || *out_id != 0 || !create)
        return rc;
    rc = sq_stmt(s, SQ_SERIES_INSERT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, key->exchange, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 2, key->symbol, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, key->timeframe, err);
    if (rc == QF_OK) {
        sqlite3_bind_int64(st, 4, qf_time_now_ms());
        int src = sqlite3_step(st);
        if (src != SQLITE_DONE)
            rc = sq_fail(s, src, "creating the series", err);
    }
    sq_done(st);
    if (rc == QF_OK)
        *out_id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static qf_rc count_range(sqlite_store *s, int64_t series_id, int64_t from, int64_t to,
                         int64_t *out_n, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_CANDLE_COUNT_RANGE, &st, err);
    if (rc != QF_OK)
        return rc;
    sqlite3_bind_int64(st, 1, series_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    return sq_step_int(s, st, "counting candles", out_n, err);
}

static void bind_optional(sqlite3_stmt *st, int col, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_double(st, col, v);
}

/* Binds one row at parameter `col` (1-based) onwards. */
static void bind_candle(sqlite3_stmt *st, int col, int64_t series_id, const qf_candle *r)
{
    sqlite3_bind_int64(st, col, series_id);
    sqlite3_bind_int64(st, col + 1, r->open_time);
    sqlite3_bind_double(st, col + 2, r->open);
    sqlite3_bind_double(st, col + 3, r->high);
    sqlite3_bind_double(st, col + 4, r->low);
    sqlite3_bind_double(st, col + 5, r->close);
    sqlite3_bind_double(st, col + 6, r->volume);
    bind_optional(st, col + 7, r->quote_volume);
    if (r->trades < 0)
        sqlite3_bind_null(st, col + 8);
    else
        sqlite3_bind_int64(st, col + 8, r->trades);
    bind_optional(st, col + 9, r->taker_buy_base);
    bind_optional(st, col + 10, r->taker_buy_quote);
}

/* Executes `st` once over rows[0..k) (k = rows the statement binds). */
static qf_rc write_rows(sqlite_store *s, sqlite3_stmt *st, int64_t series_id, const qf_candle *rows,
                        size_t k, int64_t *changes, qf_err *err)
{
    for (size_t i = 0; i < k; i++)
        bind_candle(st, (int)(i * CANDLE_PARAMS) + 1, series_id, &rows[i]);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, "upserting candles", err);
    *changes += sqlite3_changes64(s->db);
    return QF_OK;
}

static qf_rc write_all(sqlite_store *s, int64_t series_id, const qf_candle *rows, size_t n,
                       int64_t *out_changes, qf_err *err)
{
    sqlite3_stmt *block = NULL;
    sqlite3_stmt *one = NULL;
    qf_rc rc = sq_stmt(s, SQ_CANDLE_UPSERT_BLOCK, &block, err);
    if (rc == QF_OK)
        rc = sq_stmt(s, SQ_CANDLE_UPSERT, &one, err);
    size_t i = 0;
    *out_changes = 0;
    for (; rc == QF_OK && i + SQ_UPSERT_BLOCK <= n; i += SQ_UPSERT_BLOCK)
        rc = write_rows(s, block, series_id, rows + i, SQ_UPSERT_BLOCK, out_changes, err);
    for (; rc == QF_OK && i < n; i++)
        rc = write_rows(s, one, series_id, rows + i, 1, out_changes, err);
    return rc;
}

static qf_rc upsert_locked(sqlite_store *s, const qf_series_key *key, const qf_candle *rows,
                           size_t n, int64_t lo, int64_t hi, qf_upsert_stats *out_stats,
                           qf_err *err)
{
    int64_t id = 0;
    int64_t before = 0;
    int64_t after = 0;
    int64_t changes = 0;
    qf_rc rc = find_series(s, key, 1, &id, err);
    if (rc == QF_OK)
        rc = count_range(s, id, lo, hi, &before, err);
    if (rc == QF_OK)
        rc = write_all(s, id, rows, n, &changes, err);
    if (rc == QF_OK)
        rc = count_range(s, id, lo, hi, &after, err);
    if (rc != QF_OK)
        return rc;
    out_stats->inserted = after - before;
    out_stats->updated = changes - out_stats->inserted;
    out_stats->unchanged = (int64_t)n - changes;
    return QF_OK;
}

qf_rc sq_upsert_candles(qf_store *store, const qf_series_key *key, const qf_candle *rows, size_t n,
                        int64_t min_time, int64_t max_time, qf_upsert_stats *out_stats, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    qf_rc rc = sq_writable(s, "upsert candles", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting the candle upsert", err);
    if (rc == QF_OK)
        rc = upsert_locked(s, key, rows, n, min_time, max_time, out_stats, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing the candle upsert", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        memset(out_stats, 0, sizeof *out_stats);
        qf_err_prefix(err, "%s %s %s", key->exchange, key->symbol, key->timeframe);
    }
    return rc;
}

static double column_optional(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(st, col);
}

static void read_candle(sqlite3_stmt *st, qf_candle *c)
{
    c->open_time = sqlite3_column_int64(st, 0);
    c->open = sqlite3_column_double(st, 1);
    c->high = sqlite3_column_double(st, 2);
    c->low = sqlite3_column_double(st, 3);
    c->close = sqlite3_column_double(st, 4);
    c->volume = sqlite3_column_double(st, 5);
    c->quote_volume = column_optional(st, 6);
    c->trades = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
    c->taker_buy_base = column_optional(st, 8);
    c->taker_buy_quote = column_optional(st, 9);
}

/* Steps st to the end, appending every row to out. */
static qf_rc read_rows(sqlite_store *s, sqlite3_stmt *st, qf_candles *out, qf_err *err)
{
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == out->cap) {
            qf_rc rc = qf_candles_reserve(out, out->cap < 1024 ? 1024 : out->cap * 2, err);
            if (rc != QF_OK)
                return rc;
        }
        read_candle(st, &out->v[out->n]);
        out->n++;
    }
    if (src != SQLITE_DONE)
        return sq_fail(s, src, "reading candles", err);
    return QF_OK;
}

static void reverse(qf_candle *v, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        qf_candle t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
}

qf_rc sq_query_candles(qf_store *store, const qf_series_key *key, int64_t from, int64_t to,
                       size_t last_n, qf_candles *out, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    int64_t id = 0;
    qf_rc rc = find_series(s, key, 0, &id, err);
    if (rc != QF_OK || id == 0)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sq_stmt(s, last_n > 0 ? SQ_CANDLE_RANGE_LAST : SQ_CANDLE_RANGE_ASC, &st, err);
    if (rc != QF_OK)
        return rc;
    size_t n0 = out->n;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    if (last_n > 0) {
        sqlite3_bind_int64(st, 4, last_n > (size_t)INT64_MAX ? INT64_MAX : (int64_t)last_n);
        /* One allocation for the usual "last few thousand bars"; a larger
         * last_n may far exceed the series, so beyond the cap read_rows grows
         * the array by doubling instead of reserving last_n rows up front. */
        rc = qf_candles_reserve(out, n0 + (last_n < SQ_RESERVE_MAX ? last_n : SQ_RESERVE_MAX), err);
    }
    if (rc == QF_OK)
        rc = read_rows(s, st, out, err);
    sq_done(st);
    if (rc != QF_OK) {
        out->n = n0;
        return rc;
    }
    if (last_n > 0)
        reverse(out->v + n0, out->n - n0);
    return QF_OK;
}

qf_rc sq_count_candles(qf_store *store, const qf_series_key *key, int64_t *out_count, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    int64_t id = 0;
    *out_count = 0;
    qf_rc rc = find_series(s, key, 0, &id, err);
    if (rc != QF_OK || id == 0)
        return rc;
    return count_range(s, id, INT64_MIN, INT64_MAX, out_count, err);
}

static qf_rc delete_locked(sqlite_store *s, const qf_series_key *key, int64_t *out_deleted,
                           qf_err *err)
{
    int64_t id = 0;
    qf_rc rc = find_series(s, key, 0, &id, err);
    if (rc != QF_OK || id == 0)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sq_stmt(s, SQ_CANDLE_DELETE, &st, err);
    if (rc != QF_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st);
    sq_done(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, "deleting candles", err);
    *out_deleted = sqlite3_changes64(s->db);
    rc = sq_stmt(s, SQ_SERIES_DELETE, &st, err);
    if (rc != QF_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    src = sqlite3_step(st);
    sq_done(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, "deleting the series", err);
    return QF_OK;
}

qf_rc sq_delete_series(qf_store *store, const qf_series_key *key, int64_t *out_deleted, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    *out_deleted = 0;
    qf_rc rc = sq_writable(s, "delete a series", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting the series deletion", err);
    if (rc == QF_OK)
        rc = delete_locked(s, key, out_deleted, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing the series deletion", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        *out_deleted = 0;
    }
    return rc;
}

/* Growable array of series being listed. */
typedef struct series_list {
    qf_series_info *v;
    int64_t *ids;
    size_t n, cap;
} series_list;

static qf_rc list_push(series_list *l, int64_t id, sqlite3_stmt *st, qf_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap < 16 ? 16 : l->cap * 2;
        qf_series_info *v = realloc(l->v, cap * sizeof *v);
        if (v != NULL)
            l->v = v;
        int64_t *ids = realloc(l->ids, cap * sizeof *ids);
        if (ids != NULL)
            l->ids = ids;
        if (v == NULL || ids == NULL)
            return qf_err_set(err, QF_ENOMEM, "store: out of memory listing series");
        l->cap = cap;
    }
    qf_series_info *info = &l->v[l->n];
    memset(info, 0, sizeof *info);
    const char *cols[3];
    for (int i = 0; i < 3; i++) {
        const unsigned char *t = sqlite3_column_text(st, i + 1);
        cols[i] = t != NULL ? (const char *)t : "";
    }
    snprintf(info->key.exchange, sizeof info->key.exchange, "%s", cols[0]);
    snprintf(info->key.symbol, sizeof info->key.symbol, "%s", cols[1]);
    snprintf(info->key.timeframe, sizeof info->key.timeframe, "%s", cols[2]);
    l->ids[l->n++] = id;
    return QF_OK;
}

static qf_rc read_series(sqlite_store *s, series_list *l, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_SERIES_LIST, &st, err);
    if (rc != QF_OK)
        return rc;
    int src;
    while (rc == QF_OK && (src = sqlite3_step(st)) == SQLITE_ROW)
        rc = list_push(l, sqlite3_column_int64(st, 0), st, err);
    sq_done(st);
    if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "listing series", err);
    return rc;
}

/* One ordered scan of the series' open_times (the primary key, so no sort):
 * count, first, last, gaps and missing bars. */
static qf_rc summarize(sqlite_store *s, int64_t id, qf_series_info *info, qf_err *err)
{
    qf_timeframe tf;
    int64_t bar_ms = INT64_MAX; /* unknown timeframe: no gaps reported */
    if (qf_timeframe_parse(info->key.timeframe, &tf, NULL) == QF_OK)
        bar_ms = tf.ms;
    qf_gap_scan scan;
    qf_gap_scan_init(&scan, bar_ms);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_CANDLE_TIMES, &st, err);
    if (rc != QF_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int src;
    int64_t first = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 0);
        if (scan.count == 0)
            first = t;
        qf_gap_scan_feed(&scan, t);
    }
    sq_done(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, "scanning candle times", err);
    info->first_open_time = first;
    info->last_open_time = scan.prev;
    info->count = scan.count;
    info->gaps = scan.gaps;
    info->missing_bars = scan.missing_bars;
    return QF_OK;
}

qf_rc sq_list_series(qf_store *store, qf_series_info **out_infos, size_t *out_n, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    series_list l = {NULL, NULL, 0, 0};
    qf_rc rc = read_series(s, &l, err);
    size_t kept = 0;
    for (size_t i = 0; i < l.n && rc == QF_OK; i++) {
        l.v[kept] = l.v[i];
        rc = summarize(s, l.ids[i], &l.v[kept], err);
        if (rc == QF_OK && l.v[kept].count > 0)
            kept++;
    }
    free(l.ids);
    if (rc != QF_OK || kept == 0) {
        free(l.v);
        l.v = NULL;
        kept = 0;
    }
    *out_infos = l.v;
    *out_n = kept;
    return rc;
}
