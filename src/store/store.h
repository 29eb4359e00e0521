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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/candles.h"
#include "core/err.h"
#include "core/types.h"
#include "core/book.h"
#include "signal/sentiment_event.h"

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

/* Upserts n news sentiment events (signal/sentiment_event.h) in ONE
 * transaction (all or nothing), keyed by their dedup key
 * (qf_sentiment_event_key: time, source, symbol, normalised title): writing
 * the same events twice leaves the same rows, counted as unchanged; a stored
 * key whose title, source spelling, url, label, score or confidence differ
 * is rewritten and counted as updated. Each row must pass
 * qf_sentiment_event_check and have a key distinct from the other rows';
 * otherwise QF_EINVAL naming the row (its index in `rows`) and nothing is
 * written. A read-only handle fails with QF_ESTORE. n == 0 writes nothing;
 * out_stats may be NULL. */
QF_NODISCARD qf_rc qf_store_insert_sentiment_events(qf_store *store, const qf_sentiment_event *rows,
                                                    size_t n, qf_upsert_stats *out_stats,
                                                    qf_err *err);

/* Appends to `out` the sentiment events with from <= published_at <= to,
 * ascending by time (ties in insertion order; INT64_MIN/INT64_MAX for an
 * open range). symbol NULL gives every event; a BASE/QUOTE symbol gives what
 * scoring that market sees: events tagged with the symbol, with its base
 * asset ("BTC" for BTC/USDT), or market-wide (no symbol). None is not an
 * error. A stored row qf_sentiment_event_check refuses (rows other programs
 * wrote) fails with QF_EPARSE naming its id; out is then as it was. */
QF_NODISCARD qf_rc qf_store_query_sentiment_events(qf_store *store, const char *symbol,
                                                   int64_t from, int64_t to,
                                                   qf_sentiment_events *out, qf_err *err);

/* Risk: the persisted kill switch (kill_switch), the audit trail
 * (risk_events) and the risk metrics history (risk_metrics), per account
 * (the live or paper portfolio: "paper", "live", ...). */

#define QF_STORE_ACCOUNT_MAX   64 /* account: 1..63 of A-Z a-z 0-9 . _ - */
#define QF_STORE_ACTOR_MAX     64 /* who acted: 1..63 bytes, no control characters */
#define QF_STORE_RISK_KIND_MAX 32 /* event kind: 1..31 of a-z 0-9 _ */
#define QF_STORE_RISK_TEXT_MAX                                                                     \
    512                               /* reason, message: 1..511 bytes, no control characters,     \
                                       * not only spaces */
#define QF_STORE_RISK_DETAIL_MAX 1024 /* detail: a JSON document of up to 1023 bytes */

/* The event kinds qf_store_set_kill_switch writes. */
#define QF_RISK_EVENT_KILL_ENGAGED "kill_switch_engaged"
#define QF_RISK_EVENT_KILL_RESET   "kill_switch_reset"

/* One account's kill switch. An account never set reads as not engaged,
 * with changed_at 0 and empty texts. */
typedef struct qf_kill_switch_state {
    int engaged;                         /* 1 on, 0 off */
    int64_t changed_at;                  /* UTC ms of the last change */
    char changed_by[QF_STORE_ACTOR_MAX]; /* actor of the last change */
    char reason[QF_STORE_RISK_TEXT_MAX]; /* reason given for it */
} qf_kill_switch_state;

/* One audit-trail row. Texts read back from rows other programs wrote are
 * cut to the field's size. */
typedef struct qf_risk_event {
    int64_t id;                            /* set by the store; ignored on insert */
    char account[QF_STORE_ACCOUNT_MAX];    /* whose */
    int64_t time;                          /* UTC ms */
    char kind[QF_STORE_RISK_KIND_MAX];     /* kill_switch_engaged, order_rejected, ... */
    char symbol[QF_SYMBOL_MAX];            /* BASE/QUOTE, "" when none (stored NULL) */
    char actor[QF_STORE_ACTOR_MAX];        /* person or component that acted */
    char message[QF_STORE_RISK_TEXT_MAX];  /* for people */
    char detail[QF_STORE_RISK_DETAIL_MAX]; /* JSON document, "" when none (stored NULL) */
} qf_risk_event;

/* One row of an account's risk metrics. NaN means unknown (stored NULL). */
typedef struct qf_risk_metric {
    int64_t time;          /* UTC ms */
    double equity;         /* marked to market, quote */
    double drawdown;       /* positive fraction below the running peak */
    double max_drawdown;   /* largest so far */
    double volatility;     /* annualised, fraction */
    double var_95;         /* positive loss fraction */
    double cvar_95;        /* positive loss fraction */
    double gross_exposure; /* sum |qty * mark|, quote */
    double net_exposure;   /* sum qty * mark, quote */
    double leverage;       /* gross exposure / equity */
} qf_risk_metric;

/* Reads an account's kill switch into *out (never set: not engaged).
 * QF_EINVAL for a bad account name. */
QF_NODISCARD qf_rc qf_store_get_kill_switch(qf_store *store, const char *account,
                                            qf_kill_switch_state *out, qf_err *err);

/* Engages (engaged = 1) or resets (0) an account's kill switch, in ONE
 * transaction that reads the current state and, only when it differs,
 * writes the new state AND its audit row in risk_events (kind
 * QF_RISK_EVENT_KILL_ENGAGED or QF_RISK_EVENT_KILL_RESET, the actor, the
 * reason as message). *out_changed (may be NULL) gets 1 when it changed, 0
 * when the switch already was in that state (nothing written: the first
 * trip's reason stays). A reason and an actor are required for both
 * directions; time within [QF_STORE_TIME_MIN, QF_STORE_TIME_MAX]. Bad input
 * is QF_EINVAL and a read-only handle QF_ESTORE; nothing is written then. */
QF_NODISCARD qf_rc qf_store_set_kill_switch(qf_store *store, const char *account, int engaged,
                                            const char *reason, const char *actor, int64_t time,
                                            int *out_changed, qf_err *err);

/* Appends one audit row (a rejected order, a note). account, kind, actor and
 * message are required, symbol may be "" and detail "" or a JSON document.
 * *out_id (may be NULL) gets its id. QF_EINVAL for bad input, QF_ESTORE on
 * a read-only handle; nothing is written then. */
QF_NODISCARD qf_rc qf_store_insert_risk_event(qf_store *store, const qf_risk_event *ev,
                                              int64_t *out_id, qf_err *err);

/* The events of an account with from <= time <= to, ascending by (time, id);
 * with last_n > 0 only the newest last_n of them. On success *out_events is
 * a malloc'd array the caller frees (NULL when none). */
QF_NODISCARD qf_rc qf_store_list_risk_events(qf_store *store, const char *account, int64_t from,
                                             int64_t to, size_t last_n, qf_risk_event **out_events,
                                             size_t *out_n, qf_err *err);

/* Upserts n metric rows of an account in ONE transaction, keyed by
 * (account, time): times distinct within the call and in range, values
 * finite or NaN (infinities are QF_EINVAL naming the row). Nothing is
 * written on failure; n == 0 writes nothing. */
QF_NODISCARD qf_rc qf_store_upsert_risk_metrics(qf_store *store, const char *account,
                                                const qf_risk_metric *rows, size_t n, qf_err *err);

/* The metric rows of an account with from <= time <= to, ascending. On
 * success *out_rows is a malloc'd array the caller frees (NULL when none). */
QF_NODISCARD qf_rc qf_store_query_risk_metrics(qf_store *store, const char *account, int64_t from,
                                               int64_t to, qf_risk_metric **out_rows, size_t *out_n,
                                               qf_err *err);

/* Trained models (model_artifacts): one row per model the registry saved
 * (model/registry.h writes the files; this is their index). Rows are keyed
 * by (model_id, version): recording a model id and version twice is
 * QF_EEXIST. The JSON texts are stored as given, after a parse check. */

#define QF_STORE_MODEL_ID_MAX   96 /* model id: 1..95 of A-Z a-z 0-9 . _ -, not starting with . */
#define QF_STORE_MODEL_KIND_MAX 32 /* kind: 1..31 of a-z 0-9 _ ("gbdt") */
#define QF_STORE_MODEL_TEXT_MAX (16 * 1024 * 1024) /* each JSON text and the path, bytes */

typedef struct qf_model_record {
    int64_t id;                           /* row id: set by the store, ignored on insert */
    char model_id[QF_STORE_MODEL_ID_MAX]; /* the registry's model id (column name) */
    int version;                          /* >= 1 */
    char kind[QF_STORE_MODEL_KIND_MAX];   /* "gbdt" */
    char exchange[QF_EXCHANGE_MAX];       /* the series trained on */
    char symbol[QF_SYMBOL_MAX];
    char timeframe[8];
    int64_t created_at;  /* UTC ms */
    int64_t train_from;  /* open_time of the first bar trained on, UTC ms */
    int64_t train_to;    /* open_time of the last, >= train_from */
    char *feature_names; /* JSON array of names, malloc'd; NULL: none */
    char *params;        /* JSON: feature set, parameters, rows; malloc'd or NULL */
    char *metrics;       /* JSON: cross-validated scores; malloc'd or NULL */
    char *path;          /* the model's directory; malloc'd or NULL */
    char sha256[65];     /* hex SHA-256 of metadata.json, "" when unknown (NULL) */
    char status[16];     /* candidate | active | retired; "" on insert = candidate */
} qf_model_record;

/* An empty record (texts NULL); cannot fail. */
void qf_model_record_init(qf_model_record *r);
/* Frees the record's texts and empties it; NULL does nothing. */
void qf_model_record_cleanup(qf_model_record *r);
/* Cleans up n records and frees the array (as qf_store_list_models returns it). */
void qf_model_records_free(qf_model_record *v, size_t n);

/* Records a model. Every field but the texts, sha256 and status is required
 * and checked (ids, names and times as above, exchange and symbol as for
 * order books, a known timeframe, train_from <= train_to); the JSON texts
 * must parse. Bad input is QF_EINVAL, an id and version already recorded
 * QF_EEXIST, a read-only handle QF_ESTORE; nothing is written then.
 * *out_id (may be NULL) gets the row id. */
QF_NODISCARD qf_rc qf_store_insert_model(qf_store *store, const qf_model_record *r, int64_t *out_id,
                                         qf_err *err);

/* Every recorded model, or those of one symbol (symbol NULL: all), ordered
 * by (created_at, id). On success *out_records is a malloc'd array the
 * caller frees with qf_model_records_free (NULL when none). */
QF_NODISCARD qf_rc qf_store_list_models(qf_store *store, const char *symbol,
                                        qf_model_record **out_records, size_t *out_n, qf_err *err);

/* The newest version of one model id into *out, which must be initialised
 * (qf_model_record_init) or hold an earlier result: its texts are freed and
 * replaced; clean it up afterwards. QF_ENOTFOUND naming the id when there
 * is none; *out is unchanged on failure. */
QF_NODISCARD qf_rc qf_store_get_model(qf_store *store, const char *model_id, qf_model_record *out,
                                      qf_err *err);

/* ---- orders, fills, positions and portfolio (exec/, risk/portfolio) ----
 * An account is "paper" or "live". Orders are keyed by client_id (the
 * idempotency key, persisted BEFORE the order is sent); fills by
 * (client_id, trade_id). Applying a fill is ONE transaction: the fill, the
 * order's new filled quantity/status, the position and the account's cash
 * are written together or not at all, computed from what is stored when the
 * transaction begins, so several processes may share one account (two
 * `quantflow order` runs, a worker and the CLI) without losing a fill. */

#define QF_ACCOUNT_MAX 16

typedef struct qf_order_row {
    qf_order order;               /* client_id, exchange, symbol, side, type, tif,
                                   * quantity, limit_price (NaN: none), filled_qty,
                                   * avg_fill_price (NaN: none), status, created_at,
                                   * updated_at */
    char account[QF_ACCOUNT_MAX]; /* paper | live */
    char venue_order_id[64];      /* "" until the venue gave one */
    int64_t bar_time;             /* the signal's bar, -1 when none (manual order) */
    int attempt;                  /* >= 1 */
    double expected_price;        /* price the decision assumed, NaN when unknown */
    char reason[160];             /* why rejected / cancelled / expired, "" otherwise */
} qf_order_row;

typedef struct qf_fill_row {
    qf_fill fill;       /* client_id, symbol, side, quantity, price, fee (quote), time */
    char trade_id[64];  /* venue trade id (paper: generated), unique per order */
    char fee_asset[16]; /* the asset the venue charged: "" or the quote asset,
                         * the base asset (fill.fee / fill.price units of it),
                         * or another (BNB); fill.fee is its quote value */
    int liquidity;      /* 0 unknown, 1 maker, 2 taker */
} qf_fill_row;

/* Inserts a new order (normally status pending). A client_id already stored
 * is QF_EEXIST and nothing is written; a bad field is QF_EINVAL naming it
 * (client_id [A-Za-z0-9_-]{1,36}, account, exchange, BASE/QUOTE symbol,
 * side, type, tif, status, quantity finite > 0, limit_price finite > 0 for
 * limit orders and NaN for market ones, 0 <= filled_qty <= quantity,
 * avg_fill_price set once filled, bar_time -1 or a time, attempt >= 1,
 * expected_price NaN or > 0, texts without control characters); a
 * read-only handle is QF_ESTORE. */
QF_NODISCARD qf_rc qf_store_insert_order(qf_store *store, const qf_order_row *row, qf_err *err);
/* Rewrites the mutable fields (venue_order_id, filled_qty, avg_fill_price,
 * status, reason, updated_at, attempt) of the order with row->order.client_id;
 * QF_ENOTFOUND when there is none. The whole row is checked as for an
 * insert, and filled_qty must not exceed the STORED quantity (QF_EINVAL);
 * nothing is written on failure.
 * The row is merged with the stored one (read in the same write
 * transaction), so a writer holding an older copy of the order (another
 * process) never moves it back:
 * - filled_qty never decreases: a row with less filled than stored keeps
 *   the stored filled_qty and avg_fill_price;
 * - a closed status (filled, cancelled, rejected, expired) is final: the
 *   stored status and reason stay; the one change allowed is cancelled,
 *   rejected or expired to filled once the kept filled_qty reaches the
 *   quantity (within a relative 1e-9: fills that raced a cancel);
 * - an order with filled_qty > 0 is never pending, unconfirmed or open: such
 *   a status becomes partially_filled;
 * - venue_order_id "" never erases a stored id; updated_at never goes back.
 * The rest (a status among the open ones, reason, attempt) is the row's.
 * qf_store_get_order reads what was kept. */
QF_NODISCARD qf_rc qf_store_update_order(qf_store *store, const qf_order_row *row, qf_err *err);
/* QF_ENOTFOUND when client_id is not stored; *out unchanged then. */
QF_NODISCARD qf_rc qf_store_get_order(qf_store *store, const char *client_id, qf_order_row *out,
                                      qf_err *err);
/* Orders of an account (NULL: every account) whose status bit is set in
 * status_mask (bit 1u << qf_order_status; 0: every status), oldest first.
 * *out is malloc'd (NULL when none); the caller frees it. */
QF_NODISCARD qf_rc qf_store_list_orders(qf_store *store, const char *account, unsigned status_mask,
                                        qf_order_row **out, size_t *out_n, qf_err *err);

/* An order's sends (orders.sent_at): when it was last handed to the venue,
 * in ms of the order manager's clock, written immediately before EVERY send
 * (a re-signed retry included). "Unknown at the venue" only means "never
 * placed" once the venue would refuse the last request sent.
 *
 * qf_store_order_sending records a send at sent_at (never moves it back),
 * only on an order still pending or unconfirmed: one closed meanwhile (by
 * another process) is QF_ESTATE and must not be sent; QF_ENOTFOUND when not
 * stored. qf_store_close_unsent writes row's status (a closed one), reason
 * and updated_at only if, at that instant, the stored order is still pending
 * or unconfirmed and was last sent (never sent: created) at or before
 * sent_before; else QF_ESTATE (sent again or changed meanwhile) and nothing
 * is written. Each is one atomic check-and-write. */
QF_NODISCARD qf_rc qf_store_order_sending(qf_store *store, const char *client_id, int64_t sent_at,
                                          qf_err *err);
QF_NODISCARD qf_rc qf_store_close_unsent(qf_store *store, const qf_order_row *row,
                                         int64_t sent_before, qf_err *err);

/* The account's cash and positions as last saved. *out_found = false (and
 * cash/positions untouched) for an account never saved. *out_positions is
 * malloc'd (NULL when none). */
QF_NODISCARD qf_rc qf_store_load_portfolio(qf_store *store, const char *account, double *out_cash,
                                           qf_position **out_positions, size_t *out_n,
                                           bool *out_found, qf_err *err);
/* Writes the account's cash and every given position (a position absent from
 * the list is left as stored) in one transaction. Cash finite; positions of
 * distinct BASE/QUOTE symbols with finite quantity, avg_entry >= 0 (> 0
 * while a quantity is held), finite realized_pnl, fees >= 0, mark_price NaN
 * (never marked) or > 0; time a valid UTC ms. QF_EINVAL naming the field
 * otherwise, QF_ESTORE on a read-only handle; nothing is written then.
 * The values are written as given, over whatever another process recorded:
 * fills go through qf_store_record_fill, marks through
 * qf_store_mark_positions. */
QF_NODISCARD qf_rc qf_store_save_portfolio(qf_store *store, const char *account, double cash,
                                           const qf_position *positions, size_t n, int64_t time,
                                           qf_err *err);
/* qf_store_record_fill's accounting, called inside its transaction: *position
 * is the position of the fill's symbol as stored (symbol set, everything else
 * 0 and mark_price NaN when never traded) and *cash the account's cash as
 * stored; it replaces both with their values after the fill. A code other
 * than QF_OK aborts the transaction (nothing written) and is returned. */
typedef qf_rc (*qf_store_fill_fn)(void *ctx, const qf_fill_row *fill, qf_position *position,
                                  double *cash, qf_err *err);

/* One BEGIN IMMEDIATE transaction: inserts the fill; merges order_after into
 * the stored order as qf_store_update_order does, its filled quantity being
 * at least the sum of the order's stored fills, this one included (with
 * their volume-weighted price; filled once that reaches the quantity), so
 * two processes recording different trades of one order both count; reads
 * the account's cash and the fill's symbol's position AS STORED, has
 * apply(ctx, ...) compute them after the fill, and writes them. Computing
 * from the stored values, not from a copy loaded earlier, is what keeps a
 * fill another process committed in the meantime.
 * On success, when out_cash is not NULL, *out_cash, *out_positions (malloc'd:
 * every stored position of the account, flat ones too, by symbol) and *out_n
 * are the account as committed.
 * A fill whose (client_id, trade_id) is already stored is QF_EEXIST and
 * nothing is written (a replayed fill is never applied twice; the caller
 * reloads the order to see it). The fill needs a trade_id, quantity and
 * price finite > 0, fee >= 0; order_after must be the fill's order (same
 * client_id, symbol, side, account) with filled_qty > 0; what apply returns
 * must be a valid position of the fill's symbol (as for
 * qf_store_save_portfolio) and a finite cash: QF_EINVAL naming the field
 * otherwise. An order not stored is QF_ENOTFOUND, one stored under another
 * account or symbol/side QF_EINVAL, an account without stored cash
 * (qf_store_create_account first) QF_ENOTFOUND; nothing is written then. */
QF_NODISCARD qf_rc qf_store_record_fill(qf_store *store, const char *account,
                                        const qf_fill_row *fill, const qf_order_row *order_after,
                                        qf_store_fill_fn apply, void *ctx, double *out_cash,
                                        qf_position **out_positions, size_t *out_n, qf_err *err);
/* Creates the account with `cash` (finite) and no position, unless it is
 * stored already: then nothing is written (its cash is not reset). One
 * transaction, so two processes creating one account make it once.
 * *out_created (may be NULL) tells which. QF_ESTORE on a read-only handle. */
QF_NODISCARD qf_rc qf_store_create_account(qf_store *store, const char *account, double cash,
                                           int64_t time, bool *out_created, qf_err *err);
/* Writes the mark_price of the account's stored positions named in marks
 * (only symbol and mark_price are read; a NaN mark or a symbol not stored is
 * skipped) in one transaction, and gives the account as then stored (outputs
 * as qf_store_record_fill's, may be NULL). Nothing else is written, so a
 * mark never undoes a fill another process recorded. QF_ENOTFOUND when the
 * account has no stored cash; QF_EINVAL for a bad symbol or a mark not NaN
 * and not finite > 0. */
QF_NODISCARD qf_rc qf_store_mark_positions(qf_store *store, const char *account,
                                           const qf_position *marks, size_t n, int64_t time,
                                           double *out_cash, qf_position **out_positions,
                                           size_t *out_n, qf_err *err);
/* Fills of one order (client_id) or of an account (client_id NULL), oldest
 * first; *out malloc'd. */
QF_NODISCARD qf_rc qf_store_list_fills(qf_store *store, const char *account, const char *client_id,
                                       qf_fill_row **out, size_t *out_n, qf_err *err);
/* Upserts an equity snapshot keyed by (account, time); positions_json may be
 * NULL, else must parse. cash and equity finite, gross_exposure and
 * drawdown finite >= 0, else QF_EINVAL and nothing is written. */
QF_NODISCARD qf_rc qf_store_insert_snapshot(qf_store *store, const char *account,
                                            const qf_snapshot *snap, const char *positions_json,
                                            qf_err *err);
/* Snapshots of an account with from <= time <= to, ascending; *out malloc'd. */
QF_NODISCARD qf_rc qf_store_list_snapshots(qf_store *store, const char *account, int64_t from,
                                           int64_t to, qf_snapshot **out, size_t *out_n,
                                           qf_err *err);

/* The backend's name ("sqlite"); "none" for NULL. */
const char *qf_store_backend_name(const qf_store *store);

#endif
