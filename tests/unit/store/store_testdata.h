/*
 * store_testdata.h - helpers shared by the store tests (header-only, static):
 * a small loader for the bundled real candles (data/README.md format), a
 * scratch directory per test, a table checksum computed straight from the
 * file with SQLite, and file comparison.
 *
 * The loader is deliberately minimal and lives here, not in src/: the
 * product importer (src/market/) is a separate module with its own tests.
 */
#ifndef QF_TESTS_STORE_TESTDATA_H
#define QF_TESTS_STORE_TESTDATA_H

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/candles.h"
#include "store/store.h"

#define TD_BTC_CSV  QF_SOURCE_DIR "/data/BTCUSDT-4h.csv"
#define TD_BTC_ROWS 18370

/* Parses one field ending at ',' or end of line; empty gives `empty`. */
static inline int td_field(char **p, double *out, double empty)
{
    char *end = NULL;
    if (**p == ',' || **p == '\n' || **p == '\r' || **p == '\0') {
        *out = empty;
    } else {
        errno = 0;
        *out = strtod(*p, &end);
        if (end == *p || errno != 0)
            return -1;
        *p = end;
    }
    if (**p == ',')
        (*p)++;
    return 0;
}

static inline int td_parse_line(char *line, qf_candle *c)
{
    char *end = NULL;
    errno = 0;
    long long t = strtoll(line, &end, 10);
    if (end == line || *end != ',' || errno != 0)
        return -1;
    char *p = end + 1;
    double f[10];
    for (int i = 0; i < 10; i++) {
        if (td_field(&p, &f[i], NAN) != 0)
            return -1;
    }
    *c = qf_candle_blank();
    c->open_time = t;
    c->open = f[0];
    c->high = f[1];
    c->low = f[2];
    c->close = f[3];
    c->volume = f[4];
    /* f[5] is close_time */
    c->quote_volume = f[6];
    c->trades = isnan(f[7]) ? -1 : (int64_t)f[7];
    c->taker_buy_base = f[8];
    c->taker_buy_quote = f[9];
    return 0;
}

/* Loads a bundled candle CSV into out (asserting on any problem). */
static inline void td_load_csv(const char *path, qf_candles *out)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[512];
    int lineno = 0;
    qf_candles_init(out);
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (lineno == 1)
            continue;
        qf_candle c;
        cr_assert_eq(td_parse_line(line, &c), 0, "%s:%d: bad line", path, lineno);
        qf_err err;
        cr_assert_eq(qf_candles_push(out, &c, &err), QF_OK);
    }
    fclose(f);
}

static inline void td_load_btc(qf_candles *out)
{
    td_load_csv(TD_BTC_CSV, out);
    cr_assert_eq(out->n, TD_BTC_ROWS);
}

/* `tiles` copies of base one after the other, each shifted past the end of
 * the previous one (the series gets longer and keeps its real gaps).
 * Returns a malloc'd array of base->n * tiles rows. */
static inline qf_candle *td_tile(const qf_candles *base, int tiles, int64_t bar_ms)
{
    int64_t span = base->v[base->n - 1].open_time - base->v[0].open_time + bar_ms;
    qf_candle *v = malloc(base->n * (size_t)tiles * sizeof *v);
    cr_assert_not_null(v);
    for (int k = 0; k < tiles; k++) {
        for (size_t i = 0; i < base->n; i++) {
            v[(size_t)k * base->n + i] = base->v[i];
            v[(size_t)k * base->n + i].open_time += (int64_t)k * span;
        }
    }
    return v;
}

static inline qf_series_key td_key(const char *exchange, const char *symbol, const char *tf)
{
    qf_series_key k;
    memset(&k, 0, sizeof k);
    snprintf(k.exchange, sizeof k.exchange, "%s", exchange);
    snprintf(k.symbol, sizeof k.symbol, "%s", symbol);
    snprintf(k.timeframe, sizeof k.timeframe, "%s", tf);
    return k;
}

static inline int td_rm(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* A fresh scratch directory; td_dir_remove deletes it and its contents. */
static inline void td_dir_make(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/qf-store-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static inline void td_dir_remove(const char *dir)
{
    nftw(dir, td_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens path (creating it) and migrates; asserts success. */
static inline qf_store *td_open_migrated(const char *path)
{
    qf_store *st = NULL;
    qf_err err;
    qf_rc rc = qf_store_open_sqlite(path, &st, &err);
    cr_assert_eq(rc, QF_OK, "open %s: %s", path, err.msg);
    int applied = -1;
    rc = qf_store_migrate(st, &applied, &err);
    cr_assert_eq(rc, QF_OK, "migrate: %s", err.msg);
    return st;
}

static inline uint64_t td_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* FNV-1a over every value of every candle row (typed: NULL, integer and
 * double bits are distinct), read straight from the file with SQLite.
 * *out_rows gets the row count. */
static inline uint64_t td_candles_checksum(const char *path, int64_t *out_rows)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT series_id, open_time, open, high, low, close, volume, "
                      "quote_volume, trades, taker_buy_base, taker_buy_quote FROM candles "
                      "ORDER BY series_id, open_time";
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    uint64_t h = 14695981039346656037ULL;
    int64_t rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        for (int i = 0; i < 11; i++) {
            int type = sqlite3_column_type(st, i);
            h = td_fnv(h, &type, sizeof type);
            if (type == SQLITE_INTEGER) {
                int64_t v = sqlite3_column_int64(st, i);
                h = td_fnv(h, &v, sizeof v);
            } else if (type == SQLITE_FLOAT) {
                double v = sqlite3_column_double(st, i);
                h = td_fnv(h, &v, sizeof v);
            }
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (out_rows != NULL)
        *out_rows = rows;
    return h;
}

/* Runs one statement on the file with plain SQLite (test set-up). */
static inline void td_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char *msg = NULL;
    int src = sqlite3_exec(db, sql, NULL, NULL, &msg);
    cr_assert_eq(src, SQLITE_OK, "%s: %s", sql, msg != NULL ? msg : "");
    sqlite3_close(db);
}

/* The first integer of a query's first row, with plain SQLite. */
static inline int64_t td_sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Whole-file contents (malloc'd) and size. */
static inline unsigned char *td_read_file(const char *path, size_t *out_n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *out_n = (size_t)n;
    return buf;
}

static inline int td_same_file(const char *path, const unsigned char *bytes, size_t n)
{
    size_t m = 0;
    unsigned char *now = td_read_file(path, &m);
    int same = m == n && memcmp(now, bytes, n) == 0;
    free(now);
    return same;
}

static inline int td_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static inline long long td_file_size(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    return (long long)sb.st_size;
}

/* The fixture most store tests share: a scratch directory, db = <dir>/q.db,
 * the bundled BTC/USDT 4h candles and their series key. A test file that
 * wants it defines TD_BTC_FIXTURE before including this header and names
 * td_btc_setup / td_btc_teardown in its TestSuite (or calls them from its
 * own). */
#ifdef TD_BTC_FIXTURE
static char dir[64];
static char db[128];
static qf_candles btc;
static qf_series_key key;

static void td_btc_setup(void)
{
    td_dir_make(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/q.db", dir);
    td_load_btc(&btc);
    key = td_key("binance", "BTC/USDT", "4h");
}

static void td_btc_teardown(void)
{
    qf_candles_cleanup(&btc);
    td_dir_remove(dir);
}
#endif

/* A file defining TD_STORE_FIXTURE before including this header gets an
 * empty migrated store per test: `st` on `db` in a fresh `dir`, opened by
 * td_store_setup and closed (the dir removed) by td_store_teardown. */
#ifdef TD_STORE_FIXTURE
static char dir[64];
static char db[128];
static qf_store *st;

static void td_store_setup(void)
{
    td_dir_make(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/q.db", dir);
    st = td_open_migrated(db);
}

static void td_store_teardown(void)
{
    qf_store_close(st);
    td_dir_remove(dir);
}
#endif

#endif
