/*
 * sqlite_orderbook.c - order-book snapshots in SQLite (orderbook_snapshots,
 * migration 1): the idempotent upsert and the range query.
 *
 * Rows are keyed by (exchange, symbol, time), whose UNIQUE index also serves
 * the range query and the counts. The levels go in as JSON text (the codec in
 * store.c, shared with other backends) and the best level of each side in
 * its own columns, so plain SQL can read top of book. As with candles, the
 * upsert's ON CONFLICT ... WHERE rewrites a row only when a value differs:
 * identical JSON text means identical levels, since the text is a function
 * of the doubles. Counting the market's rows in [first, last] before and
 * after splits sqlite3_changes() into inserted and updated.
 */
#include "store/sqlite_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static qf_rc count_range(sqlite_store *s, const char *exchange, const char *symbol, int64_t from,
                         int64_t to, int64_t *out_n, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_BOOK_COUNT_RANGE, &st, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 1, exchange, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 2, symbol, err);
    if (rc != QF_OK) {
        if (st != NULL)
            sq_done(st);
        return rc;
    }
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to);
    return sq_step_int(s, st, "counting order book snapshots", out_n, err);
}

/* Binds a side's best price and quantity at col, col + 1 (NULL when empty). */
static void bind_best(sqlite3_stmt *st, int col, const qf_book_level *lv, size_t n)
{
    if (n == 0) {
        sqlite3_bind_null(st, col);
        sqlite3_bind_null(st, col + 1);
        return;
    }
    sqlite3_bind_double(st, col, lv[0].price);
    sqlite3_bind_double(st, col + 1, lv[0].qty);
}

/* Upserts one snapshot with the statement whose exchange and symbol are
 * bound; *changes grows by the rows it inserted or rewrote. */
static qf_rc write_row(sqlite_store *s, sqlite3_stmt *st, const qf_book *r, int64_t *changes,
                       qf_err *err)
{
    char *bids = NULL;
    char *asks = NULL;
    qf_rc rc = qf_store_book_levels_format(r->bids, r->n_bids, &bids, err);
    if (rc == QF_OK)
        rc = qf_store_book_levels_format(r->asks, r->n_asks, &asks, err);
    if (rc == QF_OK) {
        sqlite3_bind_int64(st, 3, r->time);
        bind_best(st, 4, r->bids, r->n_bids);
        bind_best(st, 6, r->asks, r->n_asks);
        /* SQLITE_STATIC saves a copy: the texts are freed only after 8 and 9
         * are rebound to NULL below. */
        sqlite3_bind_text(st, 8, bids, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, asks, -1, SQLITE_STATIC);
        int src = sqlite3_step(st);
        sqlite3_reset(st);
        if (src != SQLITE_DONE)
            rc = sq_fail(s, src, "upserting order book snapshots", err);
        else
            *changes += sqlite3_changes64(s->db);
    }
    sqlite3_bind_null(st, 8);
    sqlite3_bind_null(st, 9);
    free(bids);
    free(asks);
    return rc;
}

static qf_rc write_all(sqlite_store *s, const char *exchange, const char *symbol,
                       const qf_book *rows, size_t n, int64_t *changes, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_BOOK_UPSERT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, exchange, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 2, symbol, err);
    for (size_t i = 0; i < n && rc == QF_OK; i++)
        rc = write_row(s, st, &rows[i], changes, err);
    sq_done(st);
    return rc;
}

static qf_rc insert_locked(sqlite_store *s, const char *exchange, const char *symbol,
                           const qf_book *rows, size_t n, int64_t lo, int64_t hi,
                           qf_upsert_stats *out_stats, qf_err *err)
{
    int64_t before = 0;
    int64_t after = 0;
    int64_t changes = 0;
    qf_rc rc = count_range(s, exchange, symbol, lo, hi, &before, err);
    if (rc == QF_OK)
        rc = write_all(s, exchange, symbol, rows, n, &changes, err);
    if (rc == QF_OK)
        rc = count_range(s, exchange, symbol, lo, hi, &after, err);
    if (rc != QF_OK)
        return rc;
    out_stats->inserted = after - before;
    out_stats->updated = changes - out_stats->inserted;
    out_stats->unchanged = (int64_t)n - changes;
    return QF_OK;
}

qf_rc sq_insert_orderbook(qf_store *store, const char *exchange, const char *symbol,
                          const qf_book *rows, size_t n, int64_t min_time, int64_t max_time,
                          qf_upsert_stats *out_stats, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    qf_rc rc = sq_writable(s, "insert order book snapshots", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting the order book upsert", err);
    if (rc == QF_OK)
        rc = insert_locked(s, exchange, symbol, rows, n, min_time, max_time, out_stats, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing the order book upsert", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        memset(out_stats, 0, sizeof *out_stats);
        qf_err_prefix(err, "%s %s order book", exchange, symbol);
    }
    return rc;
}

static double column_or_nan(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(st, col);
}

/* A text column (NULL stays NULL) and its length. */
static const char *column_text(sqlite3_stmt *st, int col, size_t *out_len)
{
    *out_len = 0;
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    const char *t = (const char *)sqlite3_column_text(st, col);
    *out_len = (size_t)sqlite3_column_bytes(st, col);
    return t != NULL ? t : "";
}

/* Steps st to the end, decoding every row into out. */
static qf_rc read_rows(sqlite_store *s, sqlite3_stmt *st, qf_book_level *scratch, qf_books *out,
                       qf_err *err)
{
    int src = SQLITE_DONE;
    qf_rc rc = QF_OK;
    while (rc == QF_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        qf_book_row row;
        row.id = sqlite3_column_int64(st, 0);
        row.time = sqlite3_column_int64(st, 1);
        for (int i = 0; i < 4; i++)
            row.best[i] = column_or_nan(st, i + 2);
        row.bids = column_text(st, 6, &row.bids_len);
        row.asks = column_text(st, 7, &row.asks_len);
        rc = qf_store_book_decode(&row, scratch, out, err);
    }
    if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "reading order book snapshots", err);
    else if (rc != QF_OK)
        qf_err_prefix(err, "%s", s->path);
    return rc;
}

qf_rc sq_query_orderbook(qf_store *store, const char *exchange, const char *symbol, int64_t from,
                         int64_t to, qf_books *out, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    qf_book_level *scratch = malloc(2 * QF_BOOK_LEVELS_MAX * sizeof *scratch);
    if (scratch == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory reading order book snapshots");
    size_t n0 = out->n;
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_BOOK_RANGE, &st, err);
    if (rc == QF_OK) {
        rc = sq_bind_text(s, st, 1, exchange, err);
        if (rc == QF_OK)
            rc = sq_bind_text(s, st, 2, symbol, err);
        sqlite3_bind_int64(st, 3, from);
        sqlite3_bind_int64(st, 4, to);
        if (rc == QF_OK)
            rc = read_rows(s, st, scratch, out, err);
        sq_done(st);
    }
    free(scratch);
    if (rc != QF_OK)
        qf_books_truncate(out, n0);
    return rc;
}
