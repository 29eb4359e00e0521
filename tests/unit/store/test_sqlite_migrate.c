/*
 * test_sqlite_migrate.c - opening SQLite files and migrating them: new files
 * (parent directories included), the schema of migration 1, versions newer
 * than this binary, files that are not QuantFlow databases, read-only opens.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "store/store.h"
#include "store_testdata.h"

static char dir[64];
static char db[128];

static void setup(void)
{
    td_dir_make(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/var/nested/q.db", dir);
}

static void teardown(void)
{
    td_dir_remove(dir);
}

TestSuite(sqlite_migrate, .init = setup, .fini = teardown);

Test(sqlite_migrate, creates_file_and_parents_then_migrates_once)
{
    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &st, &err), QF_OK, "%s", err.msg);
    cr_assert(td_exists(db));
    cr_assert_str_eq(qf_store_backend_name(st), "sqlite");
    int v = -1;
    cr_assert_eq(qf_store_schema_version(st, &v, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(v, 0);
    int applied = -1;
    cr_assert_eq(qf_store_migrate(st, &applied, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(applied, qf_store_latest_version());
    cr_assert_eq(qf_store_migrate(st, &applied, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(applied, 0);
    cr_assert_eq(qf_store_schema_version(st, &v, &err), QF_OK);
    cr_assert_eq(v, qf_store_latest_version());
    cr_assert_eq(qf_store_integrity_check(st, &err), QF_OK, "%s", err.msg);
    qf_store_close(st);

    /* A second handle sees the version and has nothing to do. */
    st = td_open_migrated(db);
    cr_assert_eq(qf_store_migrate(st, &applied, &err), QF_OK);
    cr_assert_eq(applied, 0);
    qf_store_close(st);
    qf_store_close(NULL);
}

Test(sqlite_migrate, schema_migrations_content)
{
    int64_t before = qf_time_now_ms() - 1000;
    qf_store *st = td_open_migrated(db);
    qf_store_close(st);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM schema_migrations"),
                 qf_store_latest_version());
    cr_assert_eq(td_sql_int(db, "SELECT max(version) FROM schema_migrations"),
                 qf_store_latest_version());
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM schema_migrations WHERE version = 1 AND "
                                "name = 'initial schema'"),
                 1);

    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT applied_at FROM schema_migrations", -1, &q, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    const char *at = (const char *)sqlite3_column_text(q, 0);
    int64_t ms = 0;
    qf_err err;
    cr_assert_eq(qf_time_parse_iso(at, &ms, &err), QF_OK, "applied_at '%s': %s", at, err.msg);
    cr_assert(ms >= before && ms <= qf_time_now_ms() + 1000, "applied_at %s", at);
    cr_assert_eq(at[strlen(at) - 1], 'Z');
    sqlite3_finalize(q);
    sqlite3_close(h);
}

Test(sqlite_migrate, all_design_tables_exist)
{
    static const char *const tables[] = {
        "schema_migrations",
        "series",
        "candles",
        "orderbook_snapshots",
        "features",
        "model_predictions",
        "sentiment_events",
        "signals",
        "orders",
        "fills",
        "positions",
        "portfolio_snapshots",
        "risk_metrics",
        "kill_switch",
        "risk_events",
        "model_artifacts",
        "backtest_runs",
        "alerts",
    };
    qf_store_close(td_open_migrated(db));
    char sql[256];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        cr_expect_eq(td_sql_int(db, sql), 1, "table %s missing", tables[i]);
    }
    /* The compact candle layout and the WAL journal. */
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'candles' AND "
                                "sql LIKE '%WITHOUT ROWID%'"),
                 1);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = "
                                "'wal'"),
                 1);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                                "name = 'orders_by_time'"),
                 1);
}

Test(sqlite_migrate, newer_schema_is_refused_and_left_unchanged)
{
    qf_store_close(td_open_migrated(db));
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO schema_migrations VALUES (%d, 'from the future', "
             "'2030-01-01T00:00:00Z')",
             qf_store_latest_version() + 6);
    td_sql(db, sql);
    size_t n = 0;
    unsigned char *bytes = td_read_file(db, &n);

    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &st, &err), QF_EVERSION);
    cr_assert_null(st);
    char want[256];
    snprintf(want, sizeof want,
             "database %s has schema version %d, newer than this quantflow (%d): upgrade "
             "quantflow",
             db, qf_store_latest_version() + 6, qf_store_latest_version());
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &st, &err), QF_EVERSION, "%s", err.msg);
    cr_assert(td_same_file(db, bytes, n), "the refused database was modified");
    free(bytes);
}

Test(sqlite_migrate, junk_file_is_refused_and_left_unchanged)
{
    char path[160];
    snprintf(path, sizeof path, "%s/junk.db", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    for (int i = 0; i < 200; i++)
        fprintf(f, "open_time,open,high,low,close %d\n", i);
    fclose(f);
    size_t n = 0;
    unsigned char *bytes = td_read_file(path, &n);

    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(path, &st, &err), QF_ESTORE);
    cr_assert_null(st);
    cr_assert(strstr(err.msg, "is not a QuantFlow/SQLite database") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, path) != NULL, "%s", err.msg);
    cr_assert(td_same_file(path, bytes, n), "the junk file was modified");
    char wal[200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    cr_assert(!td_exists(wal));
    free(bytes);
}

Test(sqlite_migrate, foreign_sqlite_database_is_refused)
{
    char path[160];
    snprintf(path, sizeof path, "%s/other.db", dir);
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", 0, 0, 0),
                 SQLITE_OK);
    sqlite3_close(h);
    size_t n = 0;
    unsigned char *bytes = td_read_file(path, &n);
    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(path, &st, &err), QF_ESTORE);
    cr_assert(strstr(err.msg, "not a QuantFlow/SQLite database") != NULL, "%s", err.msg);
    cr_assert(td_same_file(path, bytes, n));
    free(bytes);
}

Test(sqlite_migrate, readonly_open)
{
    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &st, &err), QF_ENOTFOUND);
    cr_assert_null(st);
    cr_assert(!td_exists(db), "a read-only open created the file");

    qf_store_close(td_open_migrated(db));
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &st, &err), QF_OK, "%s", err.msg);
    int v = 0;
    cr_assert_eq(qf_store_schema_version(st, &v, &err), QF_OK);
    cr_assert_eq(v, qf_store_latest_version());
    int applied = 0;
    cr_assert_eq(qf_store_migrate(st, &applied, &err), QF_ESTORE);
    qf_series_key k = td_key("binance", "BTC/USDT", "4h");
    qf_candle c = qf_candle_blank();
    c.open_time = 0;
    c.open = c.high = c.low = c.close = 1.0;
    cr_assert_eq(qf_store_upsert_candles(st, &k, &c, 1, NULL, &err), QF_ESTORE);
    cr_assert(strstr(err.msg, db) != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "readonly") != NULL, "%s", err.msg);
    int64_t count = -1;
    cr_assert_eq(qf_store_count_candles(st, &k, &count, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(count, 0);
    qf_store_close(st);
}

Test(sqlite_migrate, bad_paths)
{
    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite("", &st, &err), QF_EINVAL);
    cr_assert_eq(qf_store_open_sqlite(NULL, &st, &err), QF_EINVAL);
    /* A parent that is a file. */
    char file[160];
    char path[200];
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/sub/q.db", file);
    cr_assert_neq(qf_store_open_sqlite(path, &st, &err), QF_OK);
    cr_assert_null(st);
    cr_assert(strstr(err.msg, file) != NULL, "%s", err.msg);
    /* A directory as the database. */
    cr_assert_neq(qf_store_open_sqlite(dir, &st, &err), QF_OK);
    cr_assert(strstr(err.msg, dir) != NULL, "%s", err.msg);
}

Test(sqlite_migrate, null_store_is_an_error)
{
    qf_err err;
    int v = 0;
    cr_assert_eq(qf_store_schema_version(NULL, &v, &err), QF_EINVAL);
    cr_assert_eq(qf_store_migrate(NULL, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_integrity_check(NULL, NULL), QF_EINVAL);
    cr_assert_str_eq(qf_store_backend_name(NULL), "none");
}
