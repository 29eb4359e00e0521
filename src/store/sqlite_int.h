/*
 * sqlite_int.h - the SQLite backend's handle and the helpers its files share
 * (sqlite.c: open, pragmas, statement cache, errors, transactions;
 * sqlite_migrate.c: schema versions and migrations; sqlite_candles.c: series
 * and candles; sqlite_runs.c: backtest runs; sqlite_orderbook.c: order-book
 * snapshots; sqlite_risk.c: kill switch, risk events and risk metrics;
 * sqlite_orders.c: orders and fills; sqlite_portfolio.c: cash, positions and
 * portfolio snapshots).
 * Private to src/store/.
 *
 * Every data statement is prepared once per handle, on first use, and kept
 * in `stmts` (SQLITE_PREPARE_PERSISTENT). A statement taken from the cache is
 * reset and has no bindings; whoever takes one calls sq_done() when finished
 * so no read transaction stays open behind a half-stepped SELECT.
 */
#ifndef QF_STORE_SQLITE_INT_H
#define QF_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store/store_int.h"

/* The cached statements; their SQL is in sqlite.c (stmt_sql). */
typedef enum {
    SQ_BEGIN = 0,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_HAS_TABLE,
    SQ_USER_TABLES,
    SQ_MAX_VERSION,
    SQ_MIGRATION_HAS,
    SQ_MIGRATION_RECORD,
    SQ_SERIES_FIND,
    SQ_SERIES_INSERT,
    SQ_SERIES_LIST,
    SQ_SERIES_DELETE,
    SQ_CANDLE_UPSERT,
    SQ_CANDLE_UPSERT_BLOCK,
    SQ_CANDLE_COUNT_RANGE,
    SQ_CANDLE_RANGE_ASC,
    SQ_CANDLE_RANGE_LAST,
    SQ_CANDLE_TIMES,
    SQ_CANDLE_DELETE,
    SQ_RUN_INSERT,
    SQ_BOOK_UPSERT,
    SQ_BOOK_COUNT_RANGE,
    SQ_BOOK_RANGE,
    SQ_SENT_INSERT,
    SQ_SENT_UPDATE,
    SQ_SENT_RANGE_ALL,
    SQ_SENT_RANGE_SYMBOL,
    SQ_KILL_GET,
    SQ_KILL_PUT,
    SQ_RISK_EVENT_INSERT,
    SQ_RISK_EVENT_LAST,
    SQ_RISK_METRIC_UPSERT,
    SQ_RISK_METRIC_RANGE,
    SQ_MODEL_INSERT,
    SQ_MODEL_LIST,
    SQ_MODEL_GET,
    SQ_ORDER_INSERT,
    SQ_ORDER_UPDATE,
    SQ_ORDER_GET,
    SQ_ORDER_LIST,
    SQ_FILL_INSERT,
    SQ_FILL_LIST,
    SQ_POSITION_PUT,
    SQ_POSITION_LIST,
    SQ_ACCOUNT_GET,
    SQ_ACCOUNT_PUT,
    SQ_SNAPSHOT_PUT,
    SQ_SNAPSHOT_RANGE,
    SQ_COUNT
} sq_stmt_id;

/* Rows bound per execution of SQ_CANDLE_UPSERT_BLOCK (a multi-row VALUES):
 * fewer VM round trips per row than one statement per row. */
#define SQ_UPSERT_BLOCK 32

typedef struct sqlite_store {
    qf_store base;                 /* must stay first: a qf_store * points here */
    sqlite3 *db;                   /* the connection, owned */
    int readonly;                  /* opened with qf_store_open_sqlite_readonly */
    sqlite3_stmt *stmts[SQ_COUNT]; /* lazily prepared, owned */
    char path[4096];               /* as given to open, for messages */
} sqlite_store;

static inline sqlite_store *sq_from(qf_store *store)
{
    return (sqlite_store *)store;
}

/* Records a failure of `what` (a statement's purpose) in err as
 * "<path>: <what>: <sqlite3_errmsg>", with a qf_rc chosen from the SQLite
 * result code (busy/locked and corruption are QF_ESTORE, I/O errors QF_EIO,
 * SQLITE_NOMEM QF_ENOMEM, SQLITE_INTERRUPT QF_EINTR). Returns that code. */
qf_rc sq_fail(sqlite_store *s, int src, const char *what, qf_err *err);

/* QF_OK on a handle that may write; QF_ESTORE naming the path and `what` on
 * one opened with qf_store_open_sqlite_readonly (nothing is tried). */
qf_rc sq_writable(sqlite_store *s, const char *what, qf_err *err);

/* The cached statement `id`, reset and unbound, in *out. */
qf_rc sq_stmt(sqlite_store *s, sq_stmt_id id, sqlite3_stmt **out, qf_err *err);

/* Resets a statement taken with sq_stmt (ends its read) and clears bindings. */
void sq_done(sqlite3_stmt *st);

/* Runs a bound write statement once and resets it (sq_done); a failure is
 * sq_fail naming `what`. *out_changes (may be NULL) gets the rows changed. */
qf_rc sq_step_write(sqlite_store *s, sqlite3_stmt *st, const char *what, int64_t *out_changes,
                    qf_err *err);

/* Appends one row of `size` bytes to the growing array *v (*n rows of *cap
 * capacity, doubled when full); QF_ENOMEM leaves *v as it was. */
qf_rc sq_push(void **v, size_t *n, size_t *cap, const void *row, size_t size, qf_err *err);

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to busy_timeout),
 * COMMIT, and ROLLBACK (best effort: used on the failure path only). */
qf_rc sq_begin(sqlite_store *s, const char *what, qf_err *err);
qf_rc sq_commit(sqlite_store *s, const char *what, qf_err *err);
void sq_rollback(sqlite_store *s);

/* Runs a single-row integer query whose parameters are already bound and
 * resets it: *out gets column 0 (0 when the row is NULL or absent). */
qf_rc sq_step_int(sqlite_store *s, sqlite3_stmt *st, const char *what, int64_t *out, qf_err *err);

/* Binds a string parameter (copied by SQLite). */
qf_rc sq_bind_text(sqlite_store *s, sqlite3_stmt *st, int col, const char *v, qf_err *err);

/* sqlite_migrate.c */
qf_rc sq_schema_version(qf_store *store, int *out_version, qf_err *err);
qf_rc sq_migrate(qf_store *store, int *out_applied, qf_err *err);
/* Checks an opened file before anything writes to it: that it is a SQLite
 * database, that it is empty or QuantFlow's, and that its schema is not newer
 * than this binary's. */
qf_rc sq_check_schema(sqlite_store *s, qf_err *err);

/* sqlite_candles.c */
qf_rc sq_upsert_candles(qf_store *store, const qf_series_key *key, const qf_candle *rows, size_t n,
                        int64_t min_time, int64_t max_time, qf_upsert_stats *out_stats,
                        qf_err *err);
qf_rc sq_query_candles(qf_store *store, const qf_series_key *key, int64_t from, int64_t to,
                       size_t last_n, qf_candles *out, qf_err *err);
qf_rc sq_list_series(qf_store *store, qf_series_info **out_infos, size_t *out_n, qf_err *err);
qf_rc sq_count_candles(qf_store *store, const qf_series_key *key, int64_t *out_count, qf_err *err);
qf_rc sq_delete_series(qf_store *store, const qf_series_key *key, int64_t *out_deleted,
                       qf_err *err);

/* sqlite_runs.c */
qf_rc sq_insert_backtest_run(qf_store *store, const char *strategy, const char *symbol,
                             const char *timeframe, const char *params_json,
                             const char *metrics_json, int64_t *out_id, qf_err *err);

/* sqlite_orderbook.c */
qf_rc sq_insert_orderbook(qf_store *store, const char *exchange, const char *symbol,
                          const qf_book *rows, size_t n, int64_t min_time, int64_t max_time,
                          qf_upsert_stats *out_stats, qf_err *err);
qf_rc sq_query_orderbook(qf_store *store, const char *exchange, const char *symbol, int64_t from,
                         int64_t to, qf_books *out, qf_err *err);

/* sqlite_sentiment.c: news sentiment events */
qf_rc sq_insert_sentiment(qf_store *store, const qf_sentiment_event *rows, const char *const *keys,
                          size_t n, qf_upsert_stats *out_stats, qf_err *err);
qf_rc sq_query_sentiment(qf_store *store, const char *symbol, const char *asset, int64_t from,
                         int64_t to, qf_sentiment_events *out, qf_err *err);

/* sqlite_risk.c */
qf_rc sq_get_kill_switch(qf_store *store, const char *account, qf_kill_switch_state *out,
                         qf_err *err);
qf_rc sq_set_kill_switch(qf_store *store, const char *account, int engaged, const char *reason,
                         const char *actor, int64_t time, int *out_changed, qf_err *err);
qf_rc sq_insert_risk_event(qf_store *store, const qf_risk_event *ev, int64_t *out_id, qf_err *err);
qf_rc sq_list_risk_events(qf_store *store, const char *account, int64_t from, int64_t to,
                          size_t last_n, qf_risk_event **out_events, size_t *out_n, qf_err *err);
qf_rc sq_upsert_risk_metrics(qf_store *store, const char *account, const qf_risk_metric *rows,
                             size_t n, qf_err *err);
qf_rc sq_query_risk_metrics(qf_store *store, const char *account, int64_t from, int64_t to,
                            qf_risk_metric **out_rows, size_t *out_n, qf_err *err);

/* sqlite_models.c */
qf_rc sq_insert_model(qf_store *store, const qf_model_record *r, int64_t *out_id, qf_err *err);
qf_rc sq_list_models(qf_store *store, const char *symbol, qf_model_record **out_records,
                     size_t *out_n, qf_err *err);
qf_rc sq_get_model(qf_store *store, const char *model_id, qf_model_record *out, qf_err *err);

/* sqlite_order_send.c: an order's sends (orders.sent_at) */
qf_rc sq_order_sending(qf_store *store, const char *client_id, int64_t sent_at, qf_err *err);
qf_rc sq_close_unsent(qf_store *store, const qf_order_row *row, int64_t sent_before, qf_err *err);

/* sqlite_orders.c: orders and fills */
qf_rc sq_insert_order(qf_store *store, const qf_order_row *row, qf_err *err);
qf_rc sq_update_order(qf_store *store, const qf_order_row *row, qf_err *err);
qf_rc sq_get_order(qf_store *store, const char *client_id, qf_order_row *out, qf_err *err);
qf_rc sq_list_orders(qf_store *store, const char *account, unsigned status_mask, qf_order_row **out,
                     size_t *out_n, qf_err *err);
qf_rc sq_record_fill(qf_store *store, const char *account, const qf_fill_row *fill,
                     const qf_order_row *order_after, qf_store_fill_fn apply, void *ctx,
                     double *out_cash, qf_position **out_positions, size_t *out_n, qf_err *err);
qf_rc sq_list_fills(qf_store *store, const char *account, const char *client_id, qf_fill_row **out,
                    size_t *out_n, qf_err *err);

/* sqlite_portfolio.c: cash, positions and snapshots. sq_put_position and
 * sq_put_cash write one row, sq_read_account reads the cash and every
 * position (by symbol; *out_found 0 and nothing read when the account has
 * no cash row), inside the caller's transaction. */
qf_rc sq_read_account(sqlite_store *s, const char *account, double *out_cash, int *out_found,
                      qf_position **out_positions, size_t *out_n, qf_err *err);
qf_rc sq_create_account(qf_store *store, const char *account, double cash, int64_t time,
                        bool *out_created, qf_err *err);
qf_rc sq_mark_positions(qf_store *store, const char *account, const qf_position *marks, size_t n,
                        int64_t time, double *out_cash, qf_position **out_positions, size_t *out_n,
                        qf_err *err);
qf_rc sq_put_position(sqlite_store *s, const char *account, const qf_position *p, int64_t time,
                      qf_err *err);
qf_rc sq_put_cash(sqlite_store *s, const char *account, double cash, int64_t time, qf_err *err);
qf_rc sq_load_portfolio(qf_store *store, const char *account, double *out_cash,
                        qf_position **out_positions, size_t *out_n, bool *out_found, qf_err *err);
qf_rc sq_save_portfolio(qf_store *store, const char *account, double cash,
                        const qf_position *positions, size_t n, int64_t time, qf_err *err);
qf_rc sq_insert_snapshot(qf_store *store, const char *account, const qf_snapshot *snap,
                         const char *positions_json, qf_err *err);
qf_rc sq_list_snapshots(qf_store *store, const char *account, int64_t from, int64_t to,
                        qf_snapshot **out, size_t *out_n, qf_err *err);

#endif
