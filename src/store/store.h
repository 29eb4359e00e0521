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
 * - Opening a database whose schema is newer than this binary knows fails
 *   with QF_EVERSION and a message naming both versions.
 */
#ifndef QF_STORE_STORE_H
#define QF_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/candles.h"
#include "core/err.h"
#include "core/types.h"

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

/* Closes the store; NULL does nothing. */
void qf_store_close(qf_store *store);

/* The newest schema version this binary knows. */
int qf_store_latest_version(void);

/* Current schema version of the open database (0 = empty). */
QF_NODISCARD qf_rc qf_store_schema_version(qf_store *store, int *out_version, qf_err *err);

/* Applies pending migrations in order, each in its own transaction, recording
 * each in schema_migrations. *out_applied (may be NULL) gets how many ran. */
QF_NODISCARD qf_rc qf_store_migrate(qf_store *store, int *out_applied, qf_err *err);

/* Upserts n candles of one series in ONE transaction (all or nothing).
 * Rows must have distinct open_times. out_stats may be NULL. */
QF_NODISCARD qf_rc qf_store_upsert_candles(qf_store *store, const qf_series_key *key,
                                           const qf_candle *rows, size_t n,
                                           qf_upsert_stats *out_stats, qf_err *err);

/* Appends to `out` the candles of a series with from <= open_time <= to,
 * ascending. If last_n > 0 only the newest last_n of that range are returned
 * (still ascending). Use INT64_MIN/INT64_MAX for an open range. An unknown
 * series yields zero rows, not an error. */
QF_NODISCARD qf_rc qf_store_query_candles(qf_store *store, const qf_series_key *key,
                                          int64_t from, int64_t to, size_t last_n,
                                          qf_candles *out, qf_err *err);

/* Lists every stored series ordered by exchange, symbol, timeframe. On
 * success *out_infos is a malloc'd array the caller frees (NULL when none). */
QF_NODISCARD qf_rc qf_store_list_series(qf_store *store, qf_series_info **out_infos,
                                        size_t *out_n, qf_err *err);

/* Number of stored candles of a series (0 for an unknown series). */
QF_NODISCARD qf_rc qf_store_count_candles(qf_store *store, const qf_series_key *key,
                                          int64_t *out_count, qf_err *err);

#endif
