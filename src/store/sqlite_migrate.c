/*
 * sqlite_migrate.c - the SQLite schema: its versioned migrations, the check
 * made when a file is opened, and qf_store_migrate.
 *
 * Migrations are an ordered table of (version, name, statements). Each one
 * runs in its own BEGIN IMMEDIATE transaction together with its row in
 * schema_migrations, so a database is always at exactly one version, and two
 * processes migrating at once serialize on the write lock (the second finds
 * the version recorded and skips it). A migration, once released, is never
 * edited: a change is a new migration at the end (docs/storage.md).
 *
 * Times are INTEGER milliseconds since the epoch, UTC; JSON documents are
 * TEXT. Statements stay under 4095 characters each (ISO C string limit).
 */
#include "store/sqlite_int.h"

#include <string.h>

#include "core/time.h"

typedef struct migration {
    int version;
    const char *name;
    const char *const *sql; /* statements, NULL-terminated */
} migration;

static const char *const m1_sql[] = {
    /* Market data. A series is one (exchange, symbol, timeframe); candles are
     * keyed by (series_id, open_time) in a WITHOUT ROWID table: one b-tree,
     * rows clustered by series and time, ~60 bytes a row. NULL optional
     * fields mean "unknown" (qf_candle's NaN and trades -1). */
    "CREATE TABLE series ("
    " id INTEGER PRIMARY KEY,"
    " exchange TEXT NOT NULL,"
    " symbol TEXT NOT NULL,"
    " timeframe TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " UNIQUE (exchange, symbol, timeframe))",

    "CREATE TABLE candles ("
    " series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,"
    " open_time INTEGER NOT NULL,"
    " open REAL NOT NULL,"
    " high REAL NOT NULL,"
    " low REAL NOT NULL,"
    " close REAL NOT NULL,"
    " volume REAL NOT NULL,"
    " quote_volume REAL,"
    " trades INTEGER,"
    " taker_buy_base REAL,"
    " taker_buy_quote REAL,"
    " PRIMARY KEY (series_id, open_time)) WITHOUT ROWID",

    /* Top of book plus depth levels as JSON [[price, qty], ...]. */
    "CREATE TABLE orderbook_snapshots ("
    " id INTEGER PRIMARY KEY,"
    " exchange TEXT NOT NULL,"
    " symbol TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " best_bid REAL,"
    " best_bid_qty REAL,"
    " best_ask REAL,"
    " best_ask_qty REAL,"
    " bids TEXT,"
    " asks TEXT,"
    " UNIQUE (exchange, symbol, time))",

    /* One row per bar and feature set ("technical-v1"): values as a JSON
     * object {"rsi_14": 55.1, ...}. */
    "CREATE TABLE features ("
    " series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,"
    " feature_set TEXT NOT NULL,"
    " open_time INTEGER NOT NULL,"
    " vals TEXT NOT NULL,"
    " computed_at INTEGER NOT NULL,"
    " PRIMARY KEY (series_id, feature_set, open_time)) WITHOUT ROWID",

    /* Trained models (registry): the file or the bytes, with what produced
     * them. status: candidate, active (the one the worker uses), retired. */
    "CREATE TABLE model_artifacts ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " exchange TEXT,"
    " symbol TEXT,"
    " timeframe TEXT,"
    " created_at INTEGER NOT NULL,"
    " train_from INTEGER,"
    " train_to INTEGER,"
    " feature_names TEXT,"
    " params TEXT,"
    " metrics TEXT,"
    " path TEXT,"
    " sha256 TEXT,"
    " data BLOB,"
    " status TEXT NOT NULL DEFAULT 'candidate'"
    "  CHECK (status IN ('candidate', 'active', 'retired')),"
    " UNIQUE (name, version))",
    "CREATE INDEX model_artifacts_by_symbol ON model_artifacts(symbol, timeframe, created_at)",

    /* Quantile forecasts of the return over horizon_bars, made at bar_time. */
    "CREATE TABLE model_predictions ("
    " id INTEGER PRIMARY KEY,"
    " model_id INTEGER NOT NULL REFERENCES model_artifacts(id) ON DELETE CASCADE,"
    " exchange TEXT NOT NULL,"
    " symbol TEXT NOT NULL,"
    " timeframe TEXT NOT NULL,"
    " bar_time INTEGER NOT NULL,"
    " horizon_bars INTEGER NOT NULL,"
    " q25 REAL,"
    " q50 REAL,"
    " q75 REAL,"
    " extra TEXT,"
    " created_at INTEGER NOT NULL,"
    " UNIQUE (model_id, exchange, symbol, timeframe, bar_time))",
    "CREATE INDEX model_predictions_by_time ON model_predictions(symbol, timeframe, bar_time)",

    /* Headlines and their scores; symbol NULL = market-wide. dedup_key makes
     * re-imports idempotent. */
    "CREATE TABLE sentiment_events ("
    " id INTEGER PRIMARY KEY,"
    " published_at INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " title TEXT NOT NULL,"
    " url TEXT,"
    " symbol TEXT,"
    " label TEXT,"
    " score REAL NOT NULL,"
    " confidence REAL NOT NULL,"
    " dedup_key TEXT NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL)",
    "CREATE INDEX sentiment_events_by_symbol ON sentiment_events(symbol, published_at)",
    "CREATE INDEX sentiment_events_by_time ON sentiment_events(published_at)",

    /* Fused decisions (qf_signal); source: live, paper, replay. */
    "CREATE TABLE signals ("
    " id INTEGER PRIMARY KEY,"
    " source TEXT NOT NULL,"
    " exchange TEXT NOT NULL,"
    " symbol TEXT NOT NULL,"
    " timeframe TEXT NOT NULL,"
    " bar_time INTEGER NOT NULL,"
    " regime TEXT NOT NULL,"
    " technical REAL,"
    " ml REAL,"
    " sentiment REAL,"
    " confidence REAL NOT NULL,"
    " strength REAL NOT NULL,"
    " direction INTEGER NOT NULL CHECK (direction IN (-1, 0, 1)),"
    " detail TEXT,"
    " created_at INTEGER NOT NULL,"
    " UNIQUE (source, exchange, symbol, timeframe, bar_time))",
    "CREATE INDEX signals_by_time ON signals(symbol, bar_time)",

    /* Orders are written (pending) before they are sent: client_id is the
     * idempotency key. account: paper or live. */
    "CREATE TABLE orders ("
    " id INTEGER PRIMARY KEY,"
    " client_id TEXT NOT NULL UNIQUE,"
    " exchange_order_id TEXT,"
    " account TEXT NOT NULL,"
    " exchange TEXT NOT NULL,"
    " symbol TEXT NOT NULL,"
    " side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),"
    " type TEXT NOT NULL CHECK (type IN ('market', 'limit')),"
    " time_in_force TEXT NOT NULL DEFAULT 'gtc' CHECK (time_in_force IN ('gtc', 'ioc', 'fok')),"
    " quantity REAL NOT NULL CHECK (quantity > 0),"
    " limit_price REAL,"
    " filled_qty REAL NOT NULL DEFAULT 0,"
    " avg_fill_price REAL,"
    " status TEXT NOT NULL CHECK (status IN ('pending', 'unconfirmed', 'open',"
    "  'partially_filled', 'filled', 'cancelled', 'rejected', 'expired')),"
    " bar_time INTEGER,"
    " attempt INTEGER NOT NULL DEFAULT 1,"
    " reason TEXT,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL)",
    "CREATE INDEX orders_by_time ON orders(symbol, created_at)",
    "CREATE INDEX orders_by_status ON orders(status)",

    "CREATE TABLE fills ("
    " id INTEGER PRIMARY KEY,"
    " client_id TEXT NOT NULL REFERENCES orders(client_id),"
    " trade_id TEXT,"
    " symbol TEXT NOT NULL,"
    " side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),"
    " quantity REAL NOT NULL CHECK (quantity > 0),"
    " price REAL NOT NULL,"
    " fee REAL NOT NULL DEFAULT 0,"
    " fee_asset TEXT,"
    " liquidity TEXT CHECK (liquidity IN ('maker', 'taker')),"
    " time INTEGER NOT NULL,"
    " UNIQUE (client_id, trade_id))",
    "CREATE INDEX fills_by_time ON fills(symbol, time)",

    /* Current holdings per account (qf_position). */
    "CREATE TABLE positions ("
    " account TEXT NOT NULL,"
    " symbol TEXT NOT NULL,"
    " quantity REAL NOT NULL,"
    " avg_entry REAL,"
    " realized_pnl REAL NOT NULL DEFAULT 0,"
    " fees REAL NOT NULL DEFAULT 0,"
    " mark_price REAL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (account, symbol)) WITHOUT ROWID",

    /* qf_snapshot over time; positions as JSON. */
    "CREATE TABLE portfolio_snapshots ("
    " account TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " cash REAL NOT NULL,"
    " equity REAL NOT NULL,"
    " gross_exposure REAL NOT NULL,"
    " drawdown REAL NOT NULL,"
    " positions TEXT,"
    " PRIMARY KEY (account, time)) WITHOUT ROWID",

    /* Fractions, positive losses (CONVENTIONS.md: numbers and units). */
    "CREATE TABLE risk_metrics ("
    " account TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " equity REAL,"
    " drawdown REAL,"
    " max_drawdown REAL,"
    " volatility REAL,"
    " var_95 REAL,"
    " cvar_95 REAL,"
    " gross_exposure REAL,"
    " net_exposure REAL,"
    " leverage REAL,"
    " detail TEXT,"
    " PRIMARY KEY (account, time)) WITHOUT ROWID",

    /* The persisted kill switch of the live/paper portfolio (one row per
     * account) and the audit trail of every risk decision and switch flip. */
    "CREATE TABLE kill_switch ("
    " account TEXT PRIMARY KEY,"
    " engaged INTEGER NOT NULL CHECK (engaged IN (0, 1)),"
    " reason TEXT,"
    " changed_by TEXT NOT NULL,"
    " changed_at INTEGER NOT NULL)",
    "CREATE TABLE risk_events ("
    " id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " symbol TEXT,"
    " actor TEXT NOT NULL,"
    " message TEXT NOT NULL,"
    " detail TEXT)",
    "CREATE INDEX risk_events_by_time ON risk_events(account, time)",

    "CREATE TABLE backtest_runs ("
    " id INTEGER PRIMARY KEY,"
    " created_at INTEGER NOT NULL,"
    " strategy TEXT NOT NULL,"
    " exchange TEXT,"
    " symbol TEXT NOT NULL,"
    " timeframe TEXT NOT NULL,"
    " engine TEXT,"
    " from_time INTEGER,"
    " to_time INTEGER,"
    " parameters TEXT,"
    " metrics TEXT,"
    " status TEXT NOT NULL DEFAULT 'done',"
    " report_path TEXT,"
    " notes TEXT)",
    "CREATE INDEX backtest_runs_by_strategy ON backtest_runs(strategy, symbol, timeframe,"
    " created_at)",
    "CREATE INDEX backtest_runs_by_time ON backtest_runs(created_at)",

    "CREATE TABLE alerts ("
    " id INTEGER PRIMARY KEY,"
    " rule TEXT NOT NULL,"
    " severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),"
    " state TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),"
    " message TEXT NOT NULL,"
    " labels TEXT,"
    " fired_at INTEGER NOT NULL,"
    " resolved_at INTEGER,"
    " notified_at INTEGER)",
    "CREATE INDEX alerts_by_time ON alerts(fired_at)",
    "CREATE INDEX alerts_by_rule ON alerts(rule, state)",
    NULL,
};

/* Orders and portfolio accounting (issue 5): the price a decision assumed
 * (slippage is measured against it), each account's cash (positions hold
 * the rest of its state), and orders listed per account. */
static const char *const m2_sql[] = {
    "ALTER TABLE orders ADD COLUMN expected_price REAL",
    "CREATE TABLE accounts ("
    " account TEXT PRIMARY KEY,"
    " cash REAL NOT NULL,"
    " updated_at INTEGER NOT NULL)",
    "CREATE INDEX orders_by_account ON orders(account, created_at)",
    NULL,
};

/* When an order was last handed to the venue (ms, the order manager's
 * clock; NULL: never), written immediately before every send: an order the
 * venue does not know is judged from its last send (store.h). */
static const char *const m3_sql[] = {
    "ALTER TABLE orders ADD COLUMN sent_at INTEGER",
    NULL,
};

static const migration migrations[] = {
    {1, "initial schema", m1_sql},
    {2, "order expected price, account cash", m2_sql},
    {3, "order sent_at", m3_sql},
};

#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

_Static_assert(sizeof migrations / sizeof migrations[0] == QF_STORE_SCHEMA_VERSION,
               "the last migration is QF_STORE_SCHEMA_VERSION");

static const char bootstrap_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                    " version INTEGER PRIMARY KEY,"
                                    " name TEXT NOT NULL,"
                                    " applied_at TEXT NOT NULL)";

static qf_rc has_table(sqlite_store *s, const char *name, int *out_has, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_HAS_TABLE, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, name, err);
    int64_t n = 0;
    if (rc == QF_OK)
        rc = sq_step_int(s, st, "looking up a table", &n, err);
    sq_done(st);
    *out_has = n > 0;
    return rc;
}

static qf_rc read_version(sqlite_store *s, int *out_version, qf_err *err)
{
    int has = 0;
    *out_version = 0;
    qf_rc rc = has_table(s, "schema_migrations", &has, err);
    if (rc != QF_OK || !has)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sq_stmt(s, SQ_MAX_VERSION, &st, err);
    int64_t v = 0;
    if (rc == QF_OK)
        rc = sq_step_int(s, st, "reading the schema version", &v, err);
    *out_version = (int)v;
    return rc;
}

static qf_rc too_new(sqlite_store *s, int version, qf_err *err)
{
    return qf_err_set(err, QF_EVERSION,
                      "database %s has schema version %d, newer than this quantflow (%d): "
                      "upgrade quantflow",
                      s->path, version, QF_STORE_SCHEMA_VERSION);
}

qf_rc sq_schema_version(qf_store *store, int *out_version, qf_err *err)
{
    return read_version(sq_from(store), out_version, err);
}

/* The first read of the file: SQLite reports SQLITE_NOTADB (or a corrupt
 * header) here, before any pragma could write to it. */
static qf_rc count_user_tables(sqlite_store *s, int64_t *out_n, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_USER_TABLES, &st, err);
    if (rc == QF_OK)
        rc = sq_step_int(s, st, "reading the schema", out_n, err);
    if (rc == QF_OK)
        return QF_OK;
    int src = sqlite3_errcode(s->db) & 0xff;
    if (src == SQLITE_NOTADB || src == SQLITE_CORRUPT)
        return qf_err_set(err, QF_ESTORE, "%s is not a QuantFlow/SQLite database (%s)", s->path,
                          sqlite3_errmsg(s->db));
    return rc;
}

qf_rc sq_check_schema(sqlite_store *s, qf_err *err)
{
    int64_t tables = 0;
    qf_rc rc = count_user_tables(s, &tables, err);
    if (rc != QF_OK)
        return rc;
    int has = 0;
    rc = has_table(s, "schema_migrations", &has, err);
    if (rc != QF_OK)
        return rc;
    if (tables > 0 && !has)
        return qf_err_set(err, QF_ESTORE,
                          "%s is not a QuantFlow/SQLite database (it has %lld tables but no "
                          "schema_migrations)",
                          s->path, (long long)tables);
    int version = 0;
    rc = read_version(s, &version, err);
    if (rc == QF_OK && version > QF_STORE_SCHEMA_VERSION)
        return too_new(s, version, err);
    return rc;
}

/* Runs one static statement (DDL of a migration). */
static qf_rc exec_once(sqlite_store *s, const char *sql, const char *what, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_step(st);
        if (src == SQLITE_DONE || src == SQLITE_ROW)
            src = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_OK)
        return sq_fail(s, src, what, err);
    return QF_OK;
}

static qf_rc record(sqlite_store *s, const migration *m, qf_err *err)
{
    char now[QF_ISO_MAX];
    qf_time_format_iso(qf_time_now_ms(), now, sizeof now);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_MIGRATION_RECORD, &st, err);
    if (rc != QF_OK)
        return rc;
    sqlite3_bind_int(st, 1, m->version);
    rc = sq_bind_text(s, st, 2, m->name, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, now, err);
    if (rc == QF_OK) {
        int src = sqlite3_step(st);
        if (src != SQLITE_DONE)
            rc = sq_fail(s, src, "recording a migration", err);
    }
    sq_done(st);
    return rc;
}

/* Inside the migration's transaction: re-reads the version (another process
 * may have migrated since we looked) and applies m unless it is recorded. */
static qf_rc apply_locked(sqlite_store *s, const migration *m, int *out_ran, qf_err *err)
{
    *out_ran = 0;
    qf_rc rc = exec_once(s, bootstrap_sql, "creating schema_migrations", err);
    int version = 0;
    if (rc == QF_OK)
        rc = read_version(s, &version, err);
    if (rc != QF_OK)
        return rc;
    if (version > QF_STORE_SCHEMA_VERSION)
        return too_new(s, version, err);
    sqlite3_stmt *st = NULL;
    rc = sq_stmt(s, SQ_MIGRATION_HAS, &st, err);
    int64_t done = 0;
    if (rc == QF_OK) {
        sqlite3_bind_int(st, 1, m->version);
        rc = sq_step_int(s, st, "reading schema_migrations", &done, err);
    }
    if (rc != QF_OK || done > 0)
        return rc;
    for (const char *const *sql = m->sql; *sql != NULL && rc == QF_OK; sql++)
        rc = exec_once(s, *sql, "running a statement", err);
    if (rc == QF_OK)
        rc = record(s, m, err);
    *out_ran = rc == QF_OK;
    return rc;
}

static qf_rc apply(sqlite_store *s, const migration *m, int *out_ran, qf_err *err)
{
    qf_rc rc = sq_begin(s, "starting a migration", err);
    if (rc == QF_OK)
        rc = apply_locked(s, m, out_ran, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing a migration", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        *out_ran = 0;
        if (rc != QF_EVERSION)
            qf_err_prefix(err, "migration %d (%s)", m->version, m->name);
    }
    return rc;
}

qf_rc sq_migrate(qf_store *store, int *out_applied, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    *out_applied = 0;
    qf_rc rc = sq_writable(s, "migrate", err);
    if (rc != QF_OK)
        return rc;
    int version = 0;
    rc = read_version(s, &version, err);
    if (rc != QF_OK)
        return rc;
    if (version > QF_STORE_SCHEMA_VERSION)
        return too_new(s, version, err);
    for (size_t i = 0; i < N_MIGRATIONS && rc == QF_OK; i++) {
        if (migrations[i].version <= version)
            continue;
        int ran = 0;
        rc = apply(s, &migrations[i], &ran, err);
        *out_applied += ran;
    }
    return rc;
}
