/*
 * store_int.h - what a storage backend implements. Private to src/store/.
 *
 * A backend (SQLite today, PostgreSQL later) fills one qf_store_backend with
 * its functions and embeds a qf_store as the FIRST member of its own handle
 * struct, so a qf_store * and the backend's handle pointer are the same
 * address (the pattern of curl's lib/vtls/vtls_int.h, struct Curl_ssl).
 *
 * store.c owns everything backend-independent: NULL checks, series-key and
 * candle-row validation, and resetting `err`. By the time a backend function
 * runs, its arguments are valid: keys are NUL-terminated with a known
 * timeframe, candle rows have finite OHLCV, distinct open_times and n > 0.
 * Each backend function keeps the contract of its public twin in store.h.
 */
#ifndef QF_STORE_STORE_INT_H
#define QF_STORE_STORE_INT_H

#include "store/store.h"

/* The schema version every backend's migration table ends at. Backends share
 * version numbers: version N means the same logical tables everywhere. */
#define QF_STORE_SCHEMA_VERSION 1

typedef struct qf_store_backend {
    const char *name; /* "sqlite", "postgres" */

    void (*close)(qf_store *store);
    qf_rc (*schema_version)(qf_store *store, int *out_version, qf_err *err);
    qf_rc (*migrate)(qf_store *store, int *out_applied, qf_err *err);
    qf_rc (*integrity_check)(qf_store *store, qf_err *err);

    qf_rc (*upsert_candles)(qf_store *store, const qf_series_key *key, const qf_candle *rows,
                            size_t n, int64_t min_time, int64_t max_time,
                            qf_upsert_stats *out_stats, qf_err *err);
    qf_rc (*query_candles)(qf_store *store, const qf_series_key *key, int64_t from, int64_t to,
                           size_t last_n, qf_candles *out, qf_err *err);
    qf_rc (*list_series)(qf_store *store, qf_series_info **out_infos, size_t *out_n, qf_err *err);
    qf_rc (*count_candles)(qf_store *store, const qf_series_key *key, int64_t *out_count,
                           qf_err *err);
    qf_rc (*delete_series)(qf_store *store, const qf_series_key *key, int64_t *out_deleted,
                           qf_err *err);

    qf_rc (*insert_backtest_run)(qf_store *store, const char *strategy, const char *symbol,
                                 const char *timeframe, const char *params_json,
                                 const char *metrics_json, int64_t *out_id, qf_err *err);
} qf_store_backend;

/* The part of every handle store.c sees. */
struct qf_store {
    const qf_store_backend *backend; /* never NULL in an open store */
};

/* Gap statistics over ascending open_times, shared by backends that scan the
 * times themselves. Feed every time in order, then read the fields. */
typedef struct qf_gap_scan {
    int64_t bar_ms;       /* timeframe length */
    int64_t prev;         /* last time fed */
    int64_t count;        /* times fed */
    int64_t gaps;         /* steps longer than one bar */
    int64_t missing_bars; /* sum over those steps of (step / bar_ms - 1) */
} qf_gap_scan;

/* Starts a scan for bars of bar_ms milliseconds (> 0). */
void qf_gap_scan_init(qf_gap_scan *scan, int64_t bar_ms);
/* Feeds the next open_time (>= the previous one). */
void qf_gap_scan_feed(qf_gap_scan *scan, int64_t open_time);

#endif
