/*
 * sqlite.c - the SQLite backend: opening a database (parent directories,
 * schema check before anything is written, then WAL and the other pragmas),
 * the per-handle statement cache, error mapping, transactions, the integrity
 * check, and the vtable that store.c dispatches through.
 *
 * Pragmas and why:
 * - journal_mode=WAL: readers never block the writer and vice versa, and a
 *   crash leaves the database as of the last commit.
 * - synchronous=NORMAL: in WAL mode a commit is durable against an
 *   application crash, and only the last commits may be lost on power loss;
 *   fsync happens at checkpoints, not per commit.
 * - busy_timeout: a second writer waits for the lock instead of failing.
 * - foreign_keys=ON: series/candles and orders/fills stay consistent.
 * - cache_size, temp_store, mmap_size: see docs/storage.md, performance.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SQ_BUSY_TIMEOUT_MS 10000
#define SQ_CANDLE_COLS                                                                             \
    "open_time, open, high, low, close, volume, quote_volume, trades, taker_buy_base, "            \
    "taker_buy_quote"

/* The ON CONFLICT clause shared by the single-row and the block upsert: only
 * rows whose values differ are rewritten (IS NOT treats NULL as a value). */
#define SQ_UPSERT_TAIL                                                                             \
    " ON CONFLICT(series_id, open_time) DO UPDATE SET open = excluded.open, high = "               \
    "excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume, "        \
    "quote_volume = excluded.quote_volume, trades = excluded.trades, taker_buy_base = "            \
    "excluded.taker_buy_base, taker_buy_quote = excluded.taker_buy_quote WHERE open IS NOT "       \
    "excluded.open OR high IS NOT excluded.high OR low IS NOT excluded.low OR close IS NOT "       \
    "excluded.close OR volume IS NOT excluded.volume OR quote_volume IS NOT "                      \
    "excluded.quote_volume OR trades IS NOT excluded.trades OR taker_buy_base IS NOT "             \
    "excluded.taker_buy_base OR taker_buy_quote IS NOT excluded.taker_buy_quote"

/* Order-book snapshots: rewritten only when a value differs, as candles. */
#define SQ_BOOK_COLS "time, best_bid, best_bid_qty, best_ask, best_ask_qty, bids, asks"
#define SQ_BOOK_UPSERT_SQL                                                                         \
    "INSERT INTO orderbook_snapshots(exchange, symbol, " SQ_BOOK_COLS                              \
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(exchange, symbol, time) DO UPDATE " \
    "SET best_bid = excluded.best_bid, best_bid_qty = excluded.best_bid_qty, best_ask = "          \
    "excluded.best_ask, best_ask_qty = excluded.best_ask_qty, bids = excluded.bids, asks = "       \
    "excluded.asks WHERE best_bid IS NOT excluded.best_bid OR best_bid_qty IS NOT "                \
    "excluded.best_bid_qty OR best_ask IS NOT excluded.best_ask OR best_ask_qty IS NOT "           \
    "excluded.best_ask_qty OR bids IS NOT excluded.bids OR asks IS NOT excluded.asks"

/* Risk metrics, upserted on (account, time). */
#define SQ_RISK_METRIC_COLS                                                                        \
    "time, equity, drawdown, max_drawdown, volatility, var_95, cvar_95, gross_exposure, "          \
    "net_exposure, leverage"
#define SQ_RISK_METRIC_UPSERT_SQL                                                                  \
    "INSERT INTO risk_metrics(account, " SQ_RISK_METRIC_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "  \
    "?7, ?8, ?9, ?10, ?11) ON CONFLICT(account, time) DO UPDATE SET equity = excluded.equity, "    \
    "drawdown = excluded.drawdown, max_drawdown = excluded.max_drawdown, volatility = "            \
    "excluded.volatility, var_95 = excluded.var_95, cvar_95 = excluded.cvar_95, gross_exposure = " \
    "excluded.gross_exposure, net_exposure = excluded.net_exposure, leverage = excluded.leverage"

/* sentiment_events as sqlite_sentiment.c reads it (column order matters). */
#define SQ_SENT_COLS "id, published_at, source, title, url, symbol, label, score, confidence"

#define SQ_UPSERT_HEAD "INSERT INTO candles(series_id, " SQ_CANDLE_COLS ") VALUES "
#define SQ_V1          "(?,?,?,?,?,?,?,?,?,?,?)"
#define SQ_V2          SQ_V1 "," SQ_V1
#define SQ_V4          SQ_V2 "," SQ_V2
#define SQ_V8          SQ_V4 "," SQ_V4
#define SQ_V16         SQ_V8 "," SQ_V8
#define SQ_V32         SQ_V16 "," SQ_V16

/* model_artifacts as sqlite_models.c reads it (column order matters). */
#define SQ_MODEL_COLS                                                                              \
    "id, name, version, kind, exchange, symbol, timeframe, created_at, train_from, train_to, "     \
    "feature_names, params, metrics, path, sha256, status"

/* orders and fills as sqlite_orders.c binds and reads them (order matters). */
#define SQ_ORDER_COLS                                                                              \
    "client_id, exchange_order_id, account, exchange, symbol, side, type, time_in_force, "         \
    "quantity, limit_price, filled_qty, avg_fill_price, status, bar_time, attempt, reason, "       \
    "created_at, updated_at, expected_price"
#define SQ_FILL_COLS                                                                               \
    "client_id, trade_id, symbol, side, quantity, price, fee, fee_asset, liquidity, time"
#define SQ_FILL_COLS_F                                                                             \
    "f.client_id, f.trade_id, f.symbol, f.side, f.quantity, f.price, f.fee, f.fee_asset, "         \
    "f.liquidity, f.time"

static const char *const stmt_sql[SQ_COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_HAS_TABLE] = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
    [SQ_USER_TABLES] = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT "
                       "LIKE 'sqlite\\_%' ESCAPE '\\'",
    [SQ_MAX_VERSION] = "SELECT max(version) FROM schema_migrations",
    [SQ_MIGRATION_HAS] = "SELECT count(*) FROM schema_migrations WHERE version = ?1",
    [SQ_MIGRATION_RECORD] =
        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, ?2, ?3)",
    [SQ_SERIES_FIND] =
        "SELECT id FROM series WHERE exchange = ?1 AND symbol = ?2 AND timeframe = ?3",
    [SQ_SERIES_INSERT] =
        "INSERT INTO series(exchange, symbol, timeframe, created_at) VALUES (?1, ?2, ?3, ?4)",
    [SQ_SERIES_LIST] =
        "SELECT id, exchange, symbol, timeframe FROM series ORDER BY exchange, symbol, timeframe",
    [SQ_SERIES_DELETE] = "DELETE FROM series WHERE id = ?1",
    [SQ_CANDLE_UPSERT] = SQ_UPSERT_HEAD SQ_V1 SQ_UPSERT_TAIL,
    [SQ_CANDLE_UPSERT_BLOCK] = SQ_UPSERT_HEAD SQ_V32 SQ_UPSERT_TAIL,
    [SQ_CANDLE_COUNT_RANGE] =
        "SELECT count(*) FROM candles WHERE series_id = ?1 AND open_time BETWEEN ?2 AND ?3",
    [SQ_CANDLE_RANGE_ASC] = "SELECT " SQ_CANDLE_COLS " FROM candles WHERE series_id = ?1 AND "
                            "open_time BETWEEN ?2 AND ?3 ORDER BY open_time",
    [SQ_CANDLE_RANGE_LAST] = "SELECT " SQ_CANDLE_COLS " FROM candles WHERE series_id = ?1 AND "
                             "open_time BETWEEN ?2 AND ?3 ORDER BY open_time DESC LIMIT ?4",
    [SQ_CANDLE_TIMES] = "SELECT open_time FROM candles WHERE series_id = ?1 ORDER BY open_time",
    [SQ_CANDLE_DELETE] = "DELETE FROM candles WHERE series_id = ?1",
    [SQ_RUN_INSERT] = "INSERT INTO backtest_runs(created_at, strategy, symbol, timeframe, "
                      "parameters, metrics, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'done')",
    [SQ_BOOK_UPSERT] = SQ_BOOK_UPSERT_SQL,
    [SQ_BOOK_COUNT_RANGE] = "SELECT count(*) FROM orderbook_snapshots WHERE exchange = ?1 AND "
                            "symbol = ?2 AND time BETWEEN ?3 AND ?4",
    [SQ_BOOK_RANGE] = "SELECT id, " SQ_BOOK_COLS " FROM orderbook_snapshots WHERE exchange = ?1 "
                      "AND symbol = ?2 AND time BETWEEN ?3 AND ?4 ORDER BY time",
    [SQ_SENT_INSERT] = "INSERT INTO sentiment_events(dedup_key, source, title, url, label, score, "
                       "confidence, published_at, symbol, created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
                       "?6, ?7, ?8, ?9, ?10) ON CONFLICT(dedup_key) DO NOTHING",
    [SQ_SENT_UPDATE] = "UPDATE sentiment_events SET source = ?2, title = ?3, url = ?4, label = ?5, "
                       "score = ?6, confidence = ?7 WHERE dedup_key = ?1 AND (source IS NOT ?2 OR "
                       "title IS NOT ?3 OR url IS NOT ?4 OR label IS NOT ?5 OR score IS NOT ?6 OR "
                       "confidence IS NOT ?7)",
    [SQ_SENT_RANGE_ALL] = "SELECT " SQ_SENT_COLS " FROM sentiment_events WHERE published_at "
                          "BETWEEN ?1 AND ?2 ORDER BY published_at, id",
    [SQ_SENT_RANGE_SYMBOL] = "SELECT " SQ_SENT_COLS " FROM sentiment_events WHERE published_at "
                             "BETWEEN ?1 AND ?2 AND (symbol IS NULL OR symbol = ?3 OR symbol = ?4) "
                             "ORDER BY published_at, id",
    [SQ_KILL_GET] =
        "SELECT engaged, reason, changed_by, changed_at FROM kill_switch WHERE account = ?1",
    [SQ_KILL_PUT] = "INSERT INTO kill_switch(account, engaged, reason, changed_by, changed_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(account) DO UPDATE SET engaged = "
                    "excluded.engaged, reason = excluded.reason, changed_by = excluded.changed_by, "
                    "changed_at = excluded.changed_at",
    [SQ_RISK_EVENT_INSERT] = "INSERT INTO risk_events(account, time, kind, symbol, actor, "
                             "message, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_RISK_EVENT_LAST] = "SELECT id, time, kind, symbol, actor, message, detail FROM "
                           "risk_events WHERE account = ?1 AND time BETWEEN ?2 AND ?3 ORDER BY "
                           "time DESC, id DESC LIMIT ?4",
    [SQ_RISK_METRIC_UPSERT] = SQ_RISK_METRIC_UPSERT_SQL,
    [SQ_RISK_METRIC_RANGE] = "SELECT " SQ_RISK_METRIC_COLS " FROM risk_metrics WHERE account = "
                             "?1 AND time BETWEEN ?2 AND ?3 ORDER BY time",
    [SQ_MODEL_INSERT] = "INSERT INTO model_artifacts(name, version, kind, exchange, symbol, "
                        "timeframe, created_at, train_from, train_to, feature_names, params, "
                        "metrics, path, sha256, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                        "?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [SQ_MODEL_LIST] = "SELECT " SQ_MODEL_COLS " FROM model_artifacts WHERE ?1 IS NULL OR symbol = "
                      "?1 ORDER BY created_at, id",
    [SQ_MODEL_GET] = "SELECT " SQ_MODEL_COLS " FROM model_artifacts WHERE name = ?1 ORDER BY "
                     "version DESC LIMIT 1",
    [SQ_ORDER_INSERT] = "INSERT INTO orders(" SQ_ORDER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                        "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    [SQ_ORDER_UPDATE] = "UPDATE orders SET exchange_order_id = ?2, filled_qty = ?3, "
                        "avg_fill_price = ?4, status = ?5, reason = ?6, updated_at = ?7, "
                        "attempt = ?8 WHERE client_id = ?1",
    [SQ_ORDER_GET] = "SELECT " SQ_ORDER_COLS " FROM orders WHERE client_id = ?1",
    [SQ_ORDER_LIST] = "SELECT " SQ_ORDER_COLS " FROM orders WHERE ?1 IS NULL OR account = ?1 "
                      "ORDER BY created_at, id",
    [SQ_FILL_INSERT] = "INSERT INTO fills(" SQ_FILL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                       "?8, ?9, ?10) ON CONFLICT(client_id, trade_id) DO NOTHING",
    [SQ_FILL_LIST] = "SELECT " SQ_FILL_COLS_F " FROM fills f JOIN orders o ON o.client_id = "
                     "f.client_id WHERE o.account = ?1 AND (?2 IS NULL OR f.client_id = ?2) "
                     "ORDER BY f.time, f.id",
    [SQ_POSITION_PUT] = "INSERT INTO positions(account, symbol, quantity, avg_entry, "
                        "realized_pnl, fees, mark_price, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
                        "?6, ?7, ?8) ON CONFLICT(account, symbol) DO UPDATE SET quantity = "
                        "excluded.quantity, avg_entry = excluded.avg_entry, realized_pnl = "
                        "excluded.realized_pnl, fees = excluded.fees, mark_price = "
                        "excluded.mark_price, updated_at = excluded.updated_at",
    [SQ_POSITION_LIST] = "SELECT symbol, quantity, avg_entry, realized_pnl, fees, mark_price "
                         "FROM positions WHERE account = ?1 ORDER BY symbol",
    [SQ_ACCOUNT_GET] = "SELECT cash FROM accounts WHERE account = ?1",
    [SQ_ACCOUNT_PUT] = "INSERT INTO accounts(account, cash, updated_at) VALUES (?1, ?2, ?3) ON "
                       "CONFLICT(account) DO UPDATE SET cash = excluded.cash, updated_at = "
                       "excluded.updated_at",
    [SQ_SNAPSHOT_PUT] = "INSERT INTO portfolio_snapshots(account, time, cash, equity, "
                        "gross_exposure, drawdown, positions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                        "ON CONFLICT(account, time) DO UPDATE SET cash = excluded.cash, equity = "
                        "excluded.equity, gross_exposure = excluded.gross_exposure, drawdown = "
                        "excluded.drawdown, positions = excluded.positions",
    [SQ_SNAPSHOT_RANGE] = "SELECT time, cash, equity, gross_exposure, drawdown FROM "
                          "portfolio_snapshots WHERE account = ?1 AND time BETWEEN ?2 AND ?3 "
                          "ORDER BY time",
};

_Static_assert(SQ_UPSERT_BLOCK == 32, "SQ_V32 binds 32 rows");

static qf_rc code_of(int src)
{
    switch (src & 0xff) {
    case SQLITE_NOMEM:
        return QF_ENOMEM;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
        return QF_EIO;
    case SQLITE_INTERRUPT:
        return QF_EINTR;
    default:
        return QF_ESTORE;
    }
}

qf_rc sq_fail(sqlite_store *s, int src, const char *what, qf_err *err)
{
    const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(src);
    return qf_err_set(err, code_of(src), "%s: %s: %s", s->path, what, msg);
}

qf_rc sq_writable(sqlite_store *s, const char *what, qf_err *err)
{
    if (!s->readonly)
        return QF_OK;
    return qf_err_set(err, QF_ESTORE, "%s: cannot %s: the database was opened readonly", s->path,
                      what);
}

qf_rc sq_stmt(sqlite_store *s, sq_stmt_id id, sqlite3_stmt **out, qf_err *err)
{
    if (s->stmts[id] == NULL) {
        int src = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                     &s->stmts[id], NULL);
        if (src != SQLITE_OK) {
            s->stmts[id] = NULL;
            return sq_fail(s, src, "preparing a statement", err);
        }
    }
    *out = s->stmts[id];
    return QF_OK;
}

void sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

qf_rc sq_step_write(sqlite_store *s, sqlite3_stmt *st, const char *what, int64_t *out_changes,
                    qf_err *err)
{
    int src = sqlite3_step(st);
    sq_done(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, what, err);
    if (out_changes != NULL)
        *out_changes = sqlite3_changes64(s->db);
    return QF_OK;
}

qf_rc sq_push(void **v, size_t *n, size_t *cap, const void *row, size_t size, qf_err *err)
{
    if (*n == *cap) {
        size_t c = *cap == 0 ? 16 : *cap * 2;
        void *p = realloc(*v, c * size);
        if (p == NULL)
            return qf_err_set(err, QF_ENOMEM, "store: out of memory listing %zu rows", *n);
        *v = p;
        *cap = c;
    }
    memcpy((char *)*v + *n * size, row, size);
    (*n)++;
    return QF_OK;
}

static qf_rc run_simple(sqlite_store *s, sq_stmt_id id, const char *what, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, id, &st, err);
    if (rc != QF_OK)
        return rc;
    int src = sqlite3_step(st);
    sq_done(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, what, err);
    return QF_OK;
}

qf_rc sq_begin(sqlite_store *s, const char *what, qf_err *err)
{
    return run_simple(s, SQ_BEGIN, what, err);
}

qf_rc sq_commit(sqlite_store *s, const char *what, qf_err *err)
{
    return run_simple(s, SQ_COMMIT, what, err);
}

void sq_rollback(sqlite_store *s)
{
    if (sqlite3_get_autocommit(s->db))
        return; /* SQLite already rolled back (e.g. after SQLITE_FULL) */
    qf_rc rc = run_simple(s, SQ_ROLLBACK, "rollback", NULL);
    (void)rc;
}

qf_rc sq_step_int(sqlite_store *s, sqlite3_stmt *st, const char *what, int64_t *out, qf_err *err)
{
    int src = sqlite3_step(st);
    *out = 0;
    if (src == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        src = sqlite3_step(st);
    }
    sq_done(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, what, err);
    return QF_OK;
}

qf_rc sq_bind_text(sqlite_store *s, sqlite3_stmt *st, int col, const char *v, qf_err *err)
{
    int src = v == NULL ? sqlite3_bind_null(st, col)
                        : sqlite3_bind_text(st, col, v, -1, SQLITE_TRANSIENT);
    if (src != SQLITE_OK)
        return sq_fail(s, src, "binding a value", err);
    return QF_OK;
}

/* mkdir -p of the directory part of path. */
static qf_rc make_parents(const char *path, qf_err *err)
{
    char dir[4096];
    size_t len = strlen(path);
    if (len >= sizeof dir)
        return qf_err_set(err, QF_EINVAL, "database path is too long (%zu bytes)", len);
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return QF_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return qf_err_set(err, QF_EIO, "cannot create directory %s: %s", dir, strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return qf_err_set(err, QF_EIO, "cannot create directory %s: %s", dir, strerror(errno));
    return QF_OK;
}

static int is_memory(const char *path)
{
    return strcmp(path, ":memory:") == 0;
}

static qf_rc exec_pragma(sqlite_store *s, const char *sql, qf_err *err)
{
    char *msg = NULL;
    int src = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    if (src != SQLITE_OK)
        return sq_fail(s, src, sql, err);
    return QF_OK;
}

/* Runs a journal_mode pragma; *mode gets the mode in force afterwards. */
static int journal_mode(sqlite_store *s, const char *sql, char mode[16])
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    mode[0] = '\0';
    if (src == SQLITE_OK) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            const unsigned char *m = sqlite3_column_text(st, 0);
            snprintf(mode, 16, "%s", m != NULL ? (const char *)m : "");
            src = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return src != SQLITE_OK ? sqlite3_extended_errcode(s->db) : SQLITE_OK;
}

/* Failures of the switch to WAL that another process opening the same new
 * file at the same moment causes: the switch needs an exclusive lock, which
 * SQLite does not wait for, and a -wal file may vanish between open and
 * fstat while the other process switches. Both pass on retrying. */
static int wal_race(int src)
{
    return (src & 0xff) == SQLITE_BUSY || (src & 0xff) == SQLITE_LOCKED ||
           src == SQLITE_IOERR_FSTAT;
}

/* Puts the file in WAL mode (it stays so: the mode is recorded in the file,
 * so only the first open of a new file switches). journal_mode answers with
 * the mode in force; anything but "wal" (say, a file system without shared
 * memory) is an error for a file database. */
static qf_rc enable_wal(sqlite_store *s, qf_err *err)
{
    char mode[16];
    int src = journal_mode(s, "PRAGMA journal_mode", mode);
    if (src == SQLITE_OK && strcmp(mode, "wal") == 0)
        return QF_OK;
    int waited = 0;
    for (;;) {
        src = journal_mode(s, "PRAGMA journal_mode=WAL", mode);
        if (src == SQLITE_OK || !wal_race(src) || waited >= SQ_BUSY_TIMEOUT_MS)
            break;
        sqlite3_sleep(5);
        waited += 5;
    }
    if (src != SQLITE_OK)
        return sq_fail(s, src, "enabling WAL mode", err);
    if (strcmp(mode, "wal") != 0 && !is_memory(s->path))
        return qf_err_set(err, QF_ESTORE, "%s: WAL mode refused (journal_mode is '%s')", s->path,
                          mode);
    return QF_OK;
}

/* Settings of this connection. page_size only takes effect on a new file,
 * so it comes before WAL (which writes the first page). */
static qf_rc configure(sqlite_store *s, qf_err *err)
{
    static const char *const rw[] = {
        "PRAGMA page_size=8192",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA journal_size_limit=67108864",
    };
    static const char *const common[] = {
        "PRAGMA foreign_keys=ON",
        "PRAGMA cache_size=-32768",
        "PRAGMA temp_store=MEMORY",
        "PRAGMA mmap_size=268435456",
    };
    qf_rc rc = QF_OK;
    if (!s->readonly) {
        rc = exec_pragma(s, rw[0], err);
        if (rc == QF_OK)
            rc = enable_wal(s, err);
        for (size_t i = 1; i < sizeof rw / sizeof rw[0] && rc == QF_OK; i++)
            rc = exec_pragma(s, rw[i], err);
    }
    for (size_t i = 0; i < sizeof common / sizeof common[0] && rc == QF_OK; i++)
        rc = exec_pragma(s, common[i], err);
    return rc;
}

static void sq_close(qf_store *store)
{
    sqlite_store *s = sq_from(store);
    for (int i = 0; i < SQ_COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close_v2(s->db);
    free(s);
}

static qf_rc check_row_ok(sqlite_store *s, sqlite3_stmt *st, const char *what, qf_err *err)
{
    int src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        qf_rc rc = sq_fail(s, src, what, err);
        return rc;
    }
    const unsigned char *v = sqlite3_column_text(st, 0);
    if (v == NULL || strcmp((const char *)v, "ok") != 0)
        return qf_err_set(err, QF_ESTORE, "%s: %s: %s", s->path, what,
                          v != NULL ? (const char *)v : "(no answer)");
    return QF_OK;
}

static qf_rc sq_integrity_check(qf_store *store, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
    if (src != SQLITE_OK)
        return sq_fail(s, src, "integrity check", err);
    qf_rc rc = check_row_ok(s, st, "integrity check", err);
    sqlite3_finalize(st);
    if (rc != QF_OK)
        return rc;
    src = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL);
    if (src != SQLITE_OK)
        return sq_fail(s, src, "foreign key check", err);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const unsigned char *table = sqlite3_column_text(st, 0);
        rc = qf_err_set(err, QF_ESTORE, "%s: foreign key check: table %s row %lld is orphaned",
                        s->path, table != NULL ? (const char *)table : "?",
                        (long long)sqlite3_column_int64(st, 1));
    } else if (src != SQLITE_DONE) {
        rc = sq_fail(s, src, "foreign key check", err);
    }
    sqlite3_finalize(st);
    return rc;
}

static const qf_store_backend sqlite_backend = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .migrate = sq_migrate,
    .integrity_check = sq_integrity_check,
    .upsert_candles = sq_upsert_candles,
    .query_candles = sq_query_candles,
    .list_series = sq_list_series,
    .count_candles = sq_count_candles,
    .delete_series = sq_delete_series,
    .insert_backtest_run = sq_insert_backtest_run,
    .insert_orderbook = sq_insert_orderbook,
    .query_orderbook = sq_query_orderbook,
    .insert_sentiment = sq_insert_sentiment,
    .query_sentiment = sq_query_sentiment,
    .get_kill_switch = sq_get_kill_switch,
    .set_kill_switch = sq_set_kill_switch,
    .insert_risk_event = sq_insert_risk_event,
    .list_risk_events = sq_list_risk_events,
    .upsert_risk_metrics = sq_upsert_risk_metrics,
    .query_risk_metrics = sq_query_risk_metrics,
    .insert_model = sq_insert_model,
    .list_models = sq_list_models,
    .get_model = sq_get_model,
    .insert_order = sq_insert_order,
    .update_order = sq_update_order,
    .get_order = sq_get_order,
    .list_orders = sq_list_orders,
    .order_sending = sq_order_sending,
    .close_unsent = sq_close_unsent,
    .record_fill = sq_record_fill,
    .list_fills = sq_list_fills,
    .load_portfolio = sq_load_portfolio,
    .save_portfolio = sq_save_portfolio,
    .create_account = sq_create_account,
    .mark_positions = sq_mark_positions,
    .insert_snapshot = sq_insert_snapshot,
    .list_snapshots = sq_list_snapshots,
};

static qf_rc open_connection(sqlite_store *s, int readonly, qf_err *err)
{
    int flags = SQLITE_OPEN_NOMUTEX;
    flags |= readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int src = sqlite3_open_v2(s->path, &s->db, flags, NULL);
    if (src != SQLITE_OK) {
        qf_rc rc = sq_fail(s, src, "cannot open database", err);
        return rc;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, SQ_BUSY_TIMEOUT_MS);
    /* SQLite silently falls back to read-only when the file is not writable;
     * a handle meant for writing must say so now, not at its first write. */
    if (!readonly && sqlite3_db_readonly(s->db, "main") == 1)
        return qf_err_set(err, QF_EIO,
                          "%s: cannot open the database for writing (no write "
                          "permission?)",
                          s->path);
    return QF_OK;
}

static qf_rc open_store(const char *path, int readonly, qf_store **out_store, qf_err *err)
{
    qf_err_clear(err);
    if (path == NULL || path[0] == '\0' || out_store == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no database path");
    if (strlen(path) >= sizeof((sqlite_store *)0)->path)
        return qf_err_set(err, QF_EINVAL, "store: database path is too long");
    struct stat sb;
    if (readonly && !is_memory(path) && stat(path, &sb) != 0)
        return qf_err_set(err, QF_ENOTFOUND, "database %s does not exist", path);
    if (!readonly && !is_memory(path)) {
        qf_rc rc = make_parents(path, err);
        if (rc != QF_OK)
            return rc;
    }
    sqlite_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory opening %s", path);
    s->base.backend = &sqlite_backend;
    s->readonly = readonly;
    snprintf(s->path, sizeof s->path, "%s", path);
    qf_rc rc = open_connection(s, readonly, err);
    if (rc == QF_OK)
        rc = sq_check_schema(s, err);
    if (rc == QF_OK)
        rc = configure(s, err);
    if (rc != QF_OK) {
        sq_close(&s->base);
        return rc;
    }
    *out_store = &s->base;
    return QF_OK;
}

qf_rc qf_store_open_sqlite(const char *path, qf_store **out_store, qf_err *err)
{
    return open_store(path, 0, out_store, err);
}

qf_rc qf_store_open_sqlite_readonly(const char *path, qf_store **out_store, qf_err *err)
{
    return open_store(path, 1, out_store, err);
}
