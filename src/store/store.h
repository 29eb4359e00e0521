/*
 * store.h - the qf_store interface: QuantFlow's persistence behind one opaque
 * handle. The SQLite backend is the embedded default; PostgreSQL comes behind
 * the same functions (store_int.h holds the backend vtable).
 *
 * Contracts shared by every backend:
 * - Every function returns qf_rc and fills `err` with what went wrong.
 * - A write that fails changes nothing (each call is one transaction).
 * - Candle upserts are keyed by (exchange, symbol, timeframe, open_time) and
 *   idempotent: writing the same rows twice leaves the same rows, and rows
 *   whose values did not change are counted as unchanged, not rewritten.
 * - Order-book snapshots are keyed by (exchange, symbol, time) and upserted
 *   the same way.
 * - Opening a database whose schema is newer than this binary knows fails
 *   with QF_EVERSION and a message naming both versions.
 * - A handle is used by one thread at a time; separate processes (or separate
 *   handles) may share one database file.
 */
#ifndef QF_STORE_STORE_H
#define QF_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/candles.h"
#include "core/err.h"
#include "core/types.h"
#include "core/book.h"

typedef struct qf_store qf_store;

/* Per-series summary for `quantflow data list`. */
typedef struct qf_series_info {
    qf_series_key key;
    int64_t first_open_time; /* ms */
    int64_t last_open_time;  /* ms */
    int64_t count;           /* stored bars */
    int64_t gaps;            /* runs of missing bars between first and last */
    int64_t missing_bars;    /* bars missing in all those runs */
} qf_series_info;

typedef struct qf_upsert_stats {
    int64_t inserted;  /* rows that were not there */
    int64_t updated;   /* rows that existed with different values */
    int64_t unchanged; /* rows that existed with identical values */
} qf_upsert_stats;

/* Opens (creating if needed) the SQLite database at `path`, in WAL mode, and
 * checks its schema version. Parent directories are created. Does NOT migrate:
 * call qf_store_migrate. *out_store is set only on success. */
QF_NODISCARD qf_rc qf_store_open_sqlite(const char *path, qf_store **out_store, qf_err *err);

/* Opens an existing SQLite database read-only (for readers running beside a
 * writer process; WAL lets them read while it writes). Nothing is created and
 * no pragma that writes is issued; every write through this handle fails with
 * QF_ESTORE. A missing file fails with QF_ENOTFOUND; the schema version is
 * checked as in qf_store_open_sqlite. *out_store is set only on success. */
QF_NODISCARD qf_rc qf_store_open_sqlite_readonly(const char *path, qf_store **out_store,
                                                 qf_err *err);

/* Closes the store; NULL does nothing. */
void qf_store_close(qf_store *store);

/* The newest schema version this binary knows. */
int qf_store_latest_version(void);

/* Current schema version of the open database (0 = empty). */
QF_NODISCARD qf_rc qf_store_schema_version(qf_store *store, int *out_version, qf_err *err);

/* Applies pending migrations in order, each in its own transaction, recording
 * each in schema_migrations. *out_applied (may be NULL) gets how many ran. */
QF_NODISCARD qf_rc qf_store_migrate(qf_store *store, int *out_applied, qf_err *err);

/* The open_times a store accepts: 1970-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999Z in ms (what ISO 8601 can print, and small enough
 * that differences of two times never overflow). */
#define QF_STORE_TIME_MIN INT64_C(0)
#define QF_STORE_TIME_MAX INT64_C(253402300799999)

/* Upserts n candles of one series in ONE transaction (all or nothing).
 * Rows must have distinct open_times (any order) within [QF_STORE_TIME_MIN,
 * QF_STORE_TIME_MAX] and finite open, high, low, close and volume, else
 * QF_EINVAL naming the row and nothing is written. A read-only handle fails
 * with QF_ESTORE.
 * NaN optional fields (quote_volume, taker_buy_*) and trades == -1 are stored
 * as unknown and read back as NaN / -1. The series is created on first use;
 * n == 0 writes nothing. out_stats may be NULL. */
QF_NODISCARD qf_rc qf_store_upsert_candles(qf_store *store, const qf_series_key *key,
                                           const qf_candle *rows, size_t n,
                                           qf_upsert_stats *out_stats, qf_err *err);

/* Appends to `out` the candles of a series with from <= open_time <= to,
 * ascending. If last_n > 0 only the newest last_n of that range are returned
 * (still ascending). Use INT64_MIN/INT64_MAX for an open range. An unknown
 * series yields zero rows, not an error. */
QF_NODISCARD qf_rc qf_store_query_candles(qf_store *store, const qf_series_key *key, int64_t from,
                                          int64_t to, size_t last_n, qf_candles *out, qf_err *err);

/* Lists every stored series ordered by exchange, symbol, timeframe. On
 * success *out_infos is a malloc'd array the caller frees (NULL when none).
 * A series holding no candles is not listed. gaps counts the places where
 * consecutive open_times are more than one bar (of the series' timeframe)
 * apart; missing_bars sums (step / bar - 1) over those places. */
QF_NODISCARD qf_rc qf_store_list_series(qf_store *store, qf_series_info **out_infos, size_t *out_n,
                                        qf_err *err);

/* Number of stored candles of a series (0 for an unknown series). */
QF_NODISCARD qf_rc qf_store_count_candles(qf_store *store, const qf_series_key *key,
                                          int64_t *out_count, qf_err *err);

/* Runs the backend's full consistency check (SQLite: PRAGMA integrity_check
 * and foreign_key_check). QF_OK when the database is sound; QF_ESTORE with
 * the first problem reported otherwise. Reads only. */
QF_NODISCARD qf_rc qf_store_integrity_check(qf_store *store, qf_err *err);

/* Deletes a series and everything keyed by it (its candles and features) in
 * one transaction. *out_deleted (may be NULL) gets the number of candles
 * deleted; an unknown series deletes nothing and is not an error (0). On
 * failure (a read-only handle: QF_ESTORE) nothing is deleted. */
QF_NODISCARD qf_rc qf_store_delete_series(qf_store *store, const qf_series_key *key,
                                          int64_t *out_deleted, qf_err *err);

/* Records one backtest run (created_at = now, UTC ms). strategy, symbol and
 * timeframe are required; params_json and metrics_json are JSON documents or
 * NULL (stored as NULL) and are rejected with QF_EINVAL when malformed. The
 * strings are copied. *out_id (may be NULL) gets the new run's id. On failure
 * (a read-only handle: QF_ESTORE) nothing is written. */
QF_NODISCARD qf_rc qf_store_insert_backtest_run(qf_store *store, const char *strategy,
                                                const char *symbol, const char *timeframe,
                                                const char *params_json, const char *metrics_json,
                                                int64_t *out_id, qf_err *err);

/* Upserts n order-book snapshots of one market (exchange as in a series
 * key, symbol BASE/QUOTE) in ONE transaction (all or nothing), keyed by
 * (exchange, symbol, time): writing the same snapshots twice leaves the same
 * rows, and out_stats (may be NULL) counts them as unchanged. Each row must
 * have a time within [QF_STORE_TIME_MIN, QF_STORE_TIME_MAX], distinct from
 * the other rows' (any order), and pass qf_book_check; otherwise QF_EINVAL
 * naming the row (its index in `rows`) and nothing is written. A read-only
 * handle fails with QF_ESTORE. The levels are stored as JSON [[price, qty],
 * ...] at full precision (they read back bit for bit), the best level of
 * each side also in its own columns (NULL for an empty side). n == 0 writes
 * nothing. */
QF_NODISCARD qf_rc qf_store_insert_orderbook(qf_store *store, const char *exchange,
                                             const char *symbol, const qf_book *rows, size_t n,
                                             qf_upsert_stats *out_stats, qf_err *err);

/* Appends to `out` the snapshots of one market with from <= time <= to,
 * ascending (INT64_MIN/INT64_MAX for an open range); none is not an error.
 * A stored row that does not decode (malformed JSON levels, or a snapshot
 * qf_book_check refuses: rows other programs wrote) fails with QF_EPARSE
 * naming its id and time; out is then as it was before the call. */
QF_NODISCARD qf_rc qf_store_query_orderbook(qf_store *store, const char *exchange,
                                            const char *symbol, int64_t from, int64_t to,
                                            qf_books *out, qf_err *err);

/* The backend's name ("sqlite"); "none" for NULL. */
const char *qf_store_backend_name(const qf_store *store);

#endif
