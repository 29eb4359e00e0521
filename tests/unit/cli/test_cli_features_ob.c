/*
 * test_cli_features_ob.c - `quantflow features` with features.use_orderbook:
 * the ob_imbalance and ob_depth_ratio columns at the bars whose close has a
 * snapshot at most one bar old (at the close exactly: used; 1 ms after: the
 * next bar's; older than a bar: not used), empty elsewhere, z-scored with
 * --normalized, absent (with one line on stderr) when the store holds no
 * snapshots, and a stored row with malformed levels named in the error.
 *
 * The candles are the bundled real BTC/USDT 4h bars. Real order-book history
 * does not exist on this machine (no network), so the snapshots are
 * hand-made: prices around the close of the real bar they belong to,
 * quantities chosen so the expected values are easy to compute by hand.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "testutil.h"

#define QF   QF_CLI_PATH
#define DATA QF_SOURCE_DIR "/data"
#define H    INT64_C(14400000) /* one 4h bar */
#define OB   "--set features.use_orderbook=true "

static char *dir;
static char db[600];
static char csv[700];

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(db, sizeof db, "%s/qf.db", dir);
    snprintf(csv, sizeof csv, "%s/f.csv", dir);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli_features_ob, .init = setup, .fini = teardown);

/* Runs quantflow with the temp db; returns the exit code. */
static int qf(const char *args, char **out, char **errout)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' %s", QF, db, args);
    return qf_test_run(cmd, out, errout);
}

/* Real BTC/USDT 4h bars (open time, close price in the data): */
#define G1 INT64_C(1767528000000) /* close 91334.94 */
#define G2 INT64_C(1767542400000) /* close 91138.07 */
#define G3 INT64_C(1767556800000) /* close 91529.73 */
#define A  INT64_C(1767614400000) /* close 93957.73 */
#define B  INT64_C(1767628800000) /* close 94303.4 */
#define C  INT64_C(1767643200000) /* close 93859.71 */
#define D  INT64_C(1767657600000) /* close 93769.24 */

static const qf_book_level g1b[] = {{91334.9, 1}}, g1a[] = {{91335.0, 1}};
static const qf_book_level g2b[] = {{91138.0, 3}}, g2a[] = {{91138.1, 1}};
static const qf_book_level g3b[] = {{91529.7, 4}}, g3a[] = {{91529.8, 1}};
static const qf_book_level s1b[] = {{93957.72, 2}, {93957.5, 1}, {93957, 1.5},
                                    {93956, 0.5},  {93955, 1},   {93950, 9}};
static const qf_book_level s1a[] = {{93957.73, 1}, {93958, 0.5}, {93959, 0.5},
                                    {93960, 1},    {93961, 1},   {93970, 7}};
static const qf_book_level s2b[] = {{94303.3, 0.25}}, s2a[] = {{94303.5, 0.75}, {94304, 1.25}};
static const qf_book_level s3b[] = {{93859.7, 3}, {93859, 1}}, s3a[] = {{93859.71, 1}};

/* The bars that get values and the values, by hand. */
typedef struct expect {
    int64_t open_time;
    double imbalance, depth_ratio;
} expect;

static const expect want[] = {
    {G1, 0.0, 1.0},
    {G2, (3.0 - 1) / (3 + 1), 3.0},
    {G3, (4.0 - 1) / (4 + 1), 4.0},
    {A, (2.0 - 1) / (2 + 1), 6.0 / 4.0},          /* 5 levels: 2+1+1.5+.5+1 vs 1+.5+.5+1+1 */
    {B, (0.25 - 0.75) / (0.25 + 0.75), 0.25 / 2}, /* one bid level against two asks */
    {D, (3.0 - 1) / (3 + 1), 4.0},
};

static void insert_snapshots(void)
{
    const qf_book rows[] = {
        /* one hour before each G close: used there, stale at the next close */
        {G1 + H - 3600000, g1b, 1, g1a, 1},
        {G2 + H - 3600000, g2b, 1, g2a, 1},
        {G3 + H - 3600000, g3b, 1, g3a, 1},
        /* exactly at A's close: A's; one bar old at B's close, but S2 is newer */
        {A + H, s1b, 6, s1a, 6},
        /* half an hour before B's close: B's; 1.125 bars old at C's close */
        {B + H - 1800000, s2b, 1, s2a, 2},
        /* 1 ms after C's close: not C's, D's (one bar minus 1 ms old) */
        {C + H + 1, s3b, 2, s3a, 1},
    };
    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &st, &err), QF_OK, "%s", err.msg);
    qf_upsert_stats stats;
    cr_assert_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", rows, 6, &stats, &err), QF_OK,
                 "%s", err.msg);
    cr_assert_eq(stats.inserted, 6);
    qf_store_close(st);
}

/* Splits a CSV line in place into at most max fields; returns the count. */
static size_t fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p != '\0' && n < max; p++) {
        if (*p == ',') {
            *p = '\0';
            f[n++] = p + 1;
        }
    }
    return n;
}

/* Reads csv and checks its header and the last two columns: the values of
 * `want` at its bars, empty at every other bar. */
static void check_ob_columns(void)
{
    char *text = qf_test_read_file(csv, NULL);
    cr_assert_not_null(text);
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    cr_assert(strstr(line, ",volume_ratio,ob_imbalance,ob_depth_ratio") != NULL, "%s", line);
    size_t rows = 0, valued = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[16];
        cr_assert_eq(fields(line, f, 16), 13, "row %zu", rows);
        rows++;
        long long t = strtoll(f[0], NULL, 10);
        const expect *e = NULL;
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            e = want[i].open_time == t ? &want[i] : e;
        if (e == NULL) {
            cr_expect(f[11][0] == '\0' && f[12][0] == '\0', "bar %lld: '%s' '%s'", t, f[11], f[12]);
            continue;
        }
        valued++;
        cr_expect_eq(strtod(f[11], NULL), e->imbalance, "bar %lld: ob_imbalance %s", t, f[11]);
        cr_expect_eq(strtod(f[12], NULL), e->depth_ratio, "bar %lld: ob_depth_ratio %s", t, f[12]);
    }
    cr_expect_eq(rows, 18370);
    cr_expect_eq(valued, sizeof want / sizeof want[0]);
    free(text);
}

/* Copies the CSV row of bar t into line and splits it into its 13 fields. */
static void row_fields(const char *text, int64_t t, char *line, size_t size, char **f)
{
    char key[32];
    snprintf(key, sizeof key, "\n%lld,", (long long)t);
    const char *row = strstr(text, key);
    cr_assert_not_null(row, "no row for %lld", (long long)t);
    row++;
    size_t len = (size_t)(strchr(row, '\n') - row);
    cr_assert_lt(len, size);
    memcpy(line, row, len);
    line[len] = '\0';
    cr_assert_eq(fields(line, f, 16), 13, "%s", line);
}

static void import_btc(void)
{
    cr_assert_eq(qf("import --quiet " DATA "/BTCUSDT-4h.csv", NULL, NULL), 0);
}

Test(cli_features_ob, columns_at_aligned_bars)
{
    import_btc();
    insert_snapshots();
    char args[1400], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, OB "features --symbol BTC/USDT --out '%s'", csv);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "18370 bars x 12 raw features (technical v1 + order book)") != NULL, "%s",
              out);
    cr_expect_str_eq(err, "");
    free(out);
    free(err);
    check_ob_columns();
    /* --from/--to bound the bars: snapshots outside them do not matter. */
    snprintf(args, sizeof args,
             OB "features --symbol BTC/USDT --from 2026-01-05T12:00:00Z --out -");
    cr_assert_eq(qf(args, &out, NULL), 0);
    cr_expect(strstr(out, "ob_depth_ratio\n1767614400000,") != NULL, "%.300s", out);
    free(out);
}

Test(cli_features_ob, normalized_like_the_others)
{
    import_btc();
    insert_snapshots();
    char args[1400];
    /* A window of 2 so three consecutive snapshots (G1..G3) give a z-score at G3. */
    snprintf(args, sizeof args,
             OB "--set features.normalization.window=2 features --symbol BTC/USDT --normalized "
                "--out '%s'",
             csv);
    cr_assert_eq(qf(args, NULL, NULL), 0);
    char *text = qf_test_read_file(csv, NULL);
    cr_assert(strstr(text, ",ob_imbalance,ob_depth_ratio\n") != NULL);
    char line[1024], *f[16];
    /* z = (x3 - mean(x1, x2)) / sample sd(x1, x2) */
    row_fields(text, G3, line, sizeof line, f);
    cr_expect_float_eq(strtod(f[11], NULL), (0.6 - 0.25) / sqrt(0.125), 1e-12, "%s", f[11]);
    cr_expect_float_eq(strtod(f[12], NULL), (4.0 - 2.0) / sqrt(2.0), 1e-12, "%s", f[12]);
    /* G2's window reaches the bar before G1, which has no snapshot. */
    row_fields(text, G2, line, sizeof line, f);
    cr_expect(f[11][0] == '\0' && f[12][0] == '\0', "G2: '%s' '%s'", f[11], f[12]);
    free(text);
}

Test(cli_features_ob, absent_without_snapshots)
{
    import_btc();
    char args[1400], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, OB "features --symbol BTC/USDT --out '%s'", csv);
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_expect(strstr(err, "features: no order-book snapshots of binance BTC/USDT for these bars; "
                          "ob_imbalance and ob_depth_ratio left out\n") != NULL,
              "%s", err);
    cr_expect_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
    cr_expect(strstr(out, "x 10 raw features (technical v1)") != NULL, "%s", out);
    free(out);
    free(err);
    char *text = qf_test_read_file(csv, NULL);
    cr_expect(strstr(text, "ob_") == NULL);
    cr_expect(strncmp(strchr(text, '\n') - 13, ",volume_ratio\n", 14) == 0);
    free(text);
    /* Snapshots of another market do not count. */
    qf_store *st = NULL;
    qf_err e;
    cr_assert_eq(qf_store_open_sqlite(db, &st, &e), QF_OK);
    qf_book eth = {A + H, s1b, 1, s1a, 1};
    cr_assert_eq(qf_store_insert_orderbook(st, "binance", "ETH/USDT", &eth, 1, NULL, &e), QF_OK);
    qf_store_close(st);
    cr_assert_eq(qf(args, NULL, &err), 0);
    cr_expect(strstr(err, "no order-book snapshots") != NULL, "%s", err);
    free(err);
    /* use_orderbook off (the default): no columns and nothing said, snapshots or not. */
    insert_snapshots();
    snprintf(args, sizeof args, "features --symbol BTC/USDT --out '%s'", csv);
    cr_assert_eq(qf(args, NULL, &err), 0);
    cr_expect_str_eq(err, "");
    free(err);
    text = qf_test_read_file(csv, NULL);
    cr_expect(strstr(text, "ob_") == NULL);
    free(text);
}

Test(cli_features_ob, malformed_snapshot_named)
{
    import_btc();
    insert_snapshots();
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(h,
                              "INSERT INTO orderbook_snapshots(id, exchange, symbol, time, bids, "
                              "asks) VALUES (99, 'binance', 'BTC/USDT', 1767690000000, "
                              "'[[93255, 1]', '[[93256, 1]]')",
                              NULL, NULL, &msg),
                 SQLITE_OK, "%s", msg);
    sqlite3_close(h);
    char args[1400], *err = NULL;
    snprintf(args, sizeof args, OB "features --symbol BTC/USDT --out '%s'", csv);
    cr_expect_eq(qf(args, NULL, &err), 1);
    cr_expect(strstr(err, "orderbook_snapshots id 99 (time 1767690000000): bids: not JSON") != NULL,
              "%s", err);
    free(err);
    /* Without order-book features the store's snapshots are not read. */
    snprintf(args, sizeof args, "features --symbol BTC/USDT --out '%s'", csv);
    cr_expect_eq(qf(args, NULL, NULL), 0);
}
