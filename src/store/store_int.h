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
 * timeframe, candle rows have finite OHLCV, distinct open_times and n > 0,
 * order-book rows pass qf_book_check and have distinct times.
 * Each backend function keeps the contract of its public twin in store.h.
 */
#ifndef QF_STORE_STORE_INT_H
#define QF_STORE_STORE_INT_H

#include "store/store.h"

/* The schema version every backend's migration table ends at. Backends share
 * version numbers: version N means the same logical tables everywhere. */
#define QF_STORE_SCHEMA_VERSION 3

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

    /* min_time, max_time: the smallest and largest row time (for counting). */
    qf_rc (*insert_orderbook)(qf_store *store, const char *exchange, const char *symbol,
                              const qf_book *rows, size_t n, int64_t min_time, int64_t max_time,
                              qf_upsert_stats *out_stats, qf_err *err);
    qf_rc (*query_orderbook)(qf_store *store, const char *exchange, const char *symbol,
                             int64_t from, int64_t to, qf_books *out, qf_err *err);

    /* Sentiment events: keys[i] is rows[i]'s dedup key (distinct, checked
     * rows); a query gets symbol and its base asset, or two NULLs for all. */
    qf_rc (*insert_sentiment)(qf_store *store, const qf_sentiment_event *rows,
                              const char *const *keys, size_t n, qf_upsert_stats *out_stats,
                              qf_err *err);
    qf_rc (*query_sentiment)(qf_store *store, const char *symbol, const char *asset, int64_t from,
                             int64_t to, qf_sentiment_events *out, qf_err *err);

    /* Risk (kill switch, audit trail, metrics); out_changed and out_id are
     * never NULL here. */
    qf_rc (*get_kill_switch)(qf_store *store, const char *account, qf_kill_switch_state *out,
                             qf_err *err);
    qf_rc (*set_kill_switch)(qf_store *store, const char *account, int engaged, const char *reason,
                             const char *actor, int64_t time, int *out_changed, qf_err *err);
    qf_rc (*insert_risk_event)(qf_store *store, const qf_risk_event *ev, int64_t *out_id,
                               qf_err *err);
    qf_rc (*list_risk_events)(qf_store *store, const char *account, int64_t from, int64_t to,
                              size_t last_n, qf_risk_event **out_events, size_t *out_n,
                              qf_err *err);
    qf_rc (*upsert_risk_metrics)(qf_store *store, const char *account, const qf_risk_metric *rows,
                                 size_t n, qf_err *err);
    qf_rc (*query_risk_metrics)(qf_store *store, const char *account, int64_t from, int64_t to,
                                qf_risk_metric **out_rows, size_t *out_n, qf_err *err);

    /* model_artifacts (sqlite_models.c) */
    qf_rc (*insert_model)(qf_store *store, const qf_model_record *r, int64_t *out_id, qf_err *err);
    qf_rc (*list_models)(qf_store *store, const char *symbol, qf_model_record **out_records,
                         size_t *out_n, qf_err *err);
    qf_rc (*get_model)(qf_store *store, const char *model_id, qf_model_record *out, qf_err *err);

    /* Orders, fills, positions and portfolio (store_orders.c checks every
     * row; sqlite_orders.c, sqlite_portfolio.c). list_orders gets a non-zero
     * status_mask; outputs are set to NULL/0 and found to false before. */
    qf_rc (*insert_order)(qf_store *store, const qf_order_row *row, qf_err *err);
    qf_rc (*update_order)(qf_store *store, const qf_order_row *row, qf_err *err);
    qf_rc (*get_order)(qf_store *store, const char *client_id, qf_order_row *out, qf_err *err);
    qf_rc (*list_orders)(qf_store *store, const char *account, unsigned status_mask,
                         qf_order_row **out, size_t *out_n, qf_err *err);
    /* An order's sends (sqlite_order_send.c; arguments checked by store_order_send.c). */
    qf_rc (*order_sending)(qf_store *store, const char *client_id, int64_t sent_at, qf_err *err);
    qf_rc (*close_unsent)(qf_store *store, const qf_order_row *row, int64_t sent_before,
                          qf_err *err);
    /* apply's results are checked by store_orders.c (it wraps apply);
     * out_cash NULL: no account wanted back. */
    qf_rc (*record_fill)(qf_store *store, const char *account, const qf_fill_row *fill,
                         const qf_order_row *order_after, qf_store_fill_fn apply, void *ctx,
                         double *out_cash, qf_position **out_positions, size_t *out_n, qf_err *err);
    qf_rc (*create_account)(qf_store *store, const char *account, double cash, int64_t time,
                            bool *out_created, qf_err *err);
    qf_rc (*mark_positions)(qf_store *store, const char *account, const qf_position *marks,
                            size_t n, int64_t time, double *out_cash, qf_position **out_positions,
                            size_t *out_n, qf_err *err);
    qf_rc (*list_fills)(qf_store *store, const char *account, const char *client_id,
                        qf_fill_row **out, size_t *out_n, qf_err *err);
    qf_rc (*load_portfolio)(qf_store *store, const char *account, double *out_cash,
                            qf_position **out_positions, size_t *out_n, bool *out_found,
                            qf_err *err);
    qf_rc (*save_portfolio)(qf_store *store, const char *account, double cash,
                            const qf_position *positions, size_t n, int64_t time, qf_err *err);
    qf_rc (*insert_snapshot)(qf_store *store, const char *account, const qf_snapshot *snap,
                             const char *positions_json, qf_err *err);
    qf_rc (*list_snapshots)(qf_store *store, const char *account, int64_t from, int64_t to,
                            qf_snapshot **out, size_t *out_n, qf_err *err);
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

/* Order-book levels as stored text, the same for every backend: a JSON
 * array [[price, qty], ...], best first, numbers printed with 17 significant
 * digits so each double reads back bit for bit. */

/* Formats n levels (finite numbers: checked snapshots only) into a malloc'd,
 * NUL-terminated string the caller frees. QF_ENOMEM on failure. */
QF_NODISCARD qf_rc qf_store_book_levels_format(const qf_book_level *levels, size_t n,
                                               char **out_text, qf_err *err);

/* Parses len bytes of text (no NUL needed) written as above into out (room
 * for QF_BOOK_LEVELS_MAX levels); *out_n gets the count. Every element must
 * be an array of exactly two JSON numbers. Anything else, or more than
 * QF_BOOK_LEVELS_MAX levels, is QF_EPARSE saying what and where; out and
 * *out_n are then unspecified. Prices and quantities are not range-checked
 * here (qf_book_check does that). This reads outside input: fuzzed by
 * tests/fuzz/fuzz_book_levels.c. */
QF_NODISCARD qf_rc qf_store_book_levels_parse(const char *text, size_t len, qf_book_level *out,
                                              size_t *out_n, qf_err *err);

/* One stored snapshot row as a backend reads it. */
typedef struct qf_book_row {
    int64_t id;       /* the row's id, for messages */
    int64_t time;     /* UTC ms */
    double best[4];   /* best_bid, best_bid_qty, best_ask, best_ask_qty; NaN for NULL */
    const char *bids; /* bids JSON, NULL when the column is NULL */
    size_t bids_len;  /* its length in bytes */
    const char *asks; /* asks JSON, NULL when the column is NULL */
    size_t asks_len;  /* its length in bytes */
} qf_book_row;

/* Decodes a row into a snapshot appended to out: each side from its JSON,
 * or, when that column is NULL, from its best price and quantity (one level;
 * none if they are NULL too), then checks it (qf_book_check). scratch must
 * hold 2 * QF_BOOK_LEVELS_MAX levels. Failures are QF_EPARSE naming the row
 * id and time (QF_ENOMEM when out cannot grow); out is then unchanged. */
QF_NODISCARD qf_rc qf_store_book_decode(const qf_book_row *row, qf_book_level *scratch,
                                        qf_books *out, qf_err *err);

#endif
