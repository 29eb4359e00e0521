/*
 * import.h - importing kline CSV files into the store.
 *
 * An import reads the whole file, checks every row, sorts and deduplicates,
 * reports gaps (never fills them), then upserts in batches, one transaction
 * per batch. A crash or kill therefore leaves whole batches only, and
 * re-running the same import completes it (upserts are idempotent).
 *
 * Lenient mode (default) skips bad rows, reports each with file and line,
 * and writes the valid ones. Strict mode rejects the whole file on the first
 * bad row and writes nothing.
 */
#ifndef QF_MARKET_IMPORT_H
#define QF_MARKET_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/candles.h"
#include "core/err.h"
#include "core/types.h"
#include "store/store.h"

#define QF_IMPORT_GAP_SAMPLES   5
#define QF_IMPORT_DEFAULT_BATCH 50000

typedef struct qf_import_options {
    const char *exchange;  /* NULL: "binance" */
    const char *symbol;    /* NULL: from the file name (BTCUSDT-4h.csv -> BTC/USDT) */
    const char *timeframe; /* NULL: from the file name */
    int strict;            /* reject the whole file on any bad row */
    size_t batch_rows;     /* rows per transaction; 0: QF_IMPORT_DEFAULT_BATCH */
    /* Called for each bad row (lenient mode) with "file:line: reason". */
    void (*on_bad_row)(void *ctx, const char *message);
    /* Called after each committed batch: rows written so far of total. */
    void (*on_progress)(void *ctx, size_t done, size_t total);
    void *ctx;
} qf_import_options;

typedef struct qf_import_report {
    qf_series_key key;
    size_t rows_read;     /* data rows in the file (header and blank last line excluded) */
    size_t bad_rows;      /* rows skipped as invalid */
    size_t duplicates;    /* rows repeating an open_time with identical values */
    size_t valid;         /* distinct valid rows offered to the store */
    int64_t inserted;     /* new rows in the store */
    int64_t updated;      /* existing rows whose values changed */
    int64_t unchanged;    /* existing rows already identical */
    int unsorted;         /* rows were not in ascending time order (sorted before writing) */
    size_t gaps;          /* runs of missing bars inside the file's range */
    size_t missing_bars;  /* bars missing in those runs */
    size_t n_gap_samples; /* filled entries of the two arrays below */
    int64_t gap_first_missing[QF_IMPORT_GAP_SAMPLES]; /* open_time of the first missing bar */
    int64_t gap_bars[QF_IMPORT_GAP_SAMPLES];          /* bars missing in that run */
    int64_t first_open_time, last_open_time;
    double seconds; /* wall time of the whole import */
} qf_import_report;

/* Derives the series from a file name such as "BTCUSDT-4h.csv",
 * "BTCUSDT-4h-2024-01.csv" or "BTC_USDT-4h.csv". Explicit opt fields win. */
QF_NODISCARD qf_rc qf_import_series_from_name(const char *path, const qf_import_options *opt,
                                              qf_series_key *out_key, qf_err *err);

/* Reads and checks the file without touching any store: valid, sorted,
 * deduplicated rows go to `out` (appended), counts and gaps to `report`.
 * In strict mode the first bad row fails the call. */
QF_NODISCARD qf_rc qf_import_read(const char *path, const qf_import_options *opt, qf_candles *out,
                                  qf_import_report *report, qf_err *err);

/* Reads the file and upserts its valid rows into store (see the file comment).
 * On a whole-file error (missing, unreadable, binary, empty, bad header, or
 * any bad row in strict mode) nothing is written. */
QF_NODISCARD qf_rc qf_import_file(qf_store *store, const char *path, const qf_import_options *opt,
                                  qf_import_report *out_report, qf_err *err);

/* Scans a sorted candle array for gaps of more than one bar. */
void qf_import_find_gaps(const qf_candle *rows, size_t n, int64_t tf_ms, qf_import_report *report);

#endif
