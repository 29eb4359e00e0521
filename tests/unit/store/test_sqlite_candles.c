/*
 * test_sqlite_candles.c - candle upserts and queries on the bundled real
 * BTC/USDT 4h candles: idempotence (same checksum, every row counted
 * unchanged), updates counted as such, queries exact against the CSV, and
 * invalid batches rejected with nothing written.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#define TD_BTC_FIXTURE
#include "store_testdata.h"

TestSuite(sqlite_candles, .init = td_btc_setup, .fini = td_btc_teardown);

static void upsert_ok(qf_store *st, const qf_candle *rows, size_t n, int64_t ins, int64_t upd,
                      int64_t same)
{
    qf_upsert_stats s = {-1, -1, -1};
    qf_err err;
    cr_assert_eq(qf_store_upsert_candles(st, &key, rows, n, &s, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(s.inserted, ins, "inserted %lld, want %lld", (long long)s.inserted,
                 (long long)ins);
    cr_assert_eq(s.updated, upd, "updated %lld, want %lld", (long long)s.updated, (long long)upd);
    cr_assert_eq(s.unchanged, same, "unchanged %lld, want %lld", (long long)s.unchanged,
                 (long long)same);
}

/* Same value, NaN equal to NaN (unknown optional fields). */
static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void assert_same_candle(const qf_candle *got, const qf_candle *want, size_t i)
{
    cr_assert_eq(got->open_time, want->open_time, "row %zu: open_time %lld != %lld", i,
                 (long long)got->open_time, (long long)want->open_time);
    cr_assert(got->open == want->open && got->high == want->high && got->low == want->low &&
                  got->close == want->close && got->volume == want->volume,
              "row %zu (open_time %lld): OHLCV differ", i, (long long)want->open_time);
    cr_assert(same_double(got->quote_volume, want->quote_volume) &&
                  same_double(got->taker_buy_base, want->taker_buy_base) &&
                  same_double(got->taker_buy_quote, want->taker_buy_quote) &&
                  got->trades == want->trades,
              "row %zu (open_time %lld): optional fields differ", i, (long long)want->open_time);
}

static void assert_rows(const qf_candles *got, const qf_candle *want, size_t n)
{
    cr_assert_eq(got->n, n, "%zu rows, want %zu", got->n, n);
    for (size_t i = 0; i < n; i++)
        assert_same_candle(&got->v[i], &want[i], i);
}

static void query(qf_store *st, int64_t from, int64_t to, size_t last_n, qf_candles *out)
{
    qf_err err;
    qf_candles_init(out);
    cr_assert_eq(qf_store_query_candles(st, &key, from, to, last_n, out, &err), QF_OK, "%s",
                 err.msg);
}

Test(sqlite_candles, upsert_twice_is_idempotent)
{
    qf_store *st = td_open_migrated(db);
    upsert_ok(st, btc.v, btc.n, TD_BTC_ROWS, 0, 0);
    int64_t rows = 0;
    uint64_t sum1 = td_candles_checksum(db, &rows);
    cr_assert_eq(rows, TD_BTC_ROWS);

    upsert_ok(st, btc.v, btc.n, 0, 0, TD_BTC_ROWS);
    cr_assert_eq(td_candles_checksum(db, &rows), sum1, "re-upsert changed the table");
    cr_assert_eq(rows, TD_BTC_ROWS);

    /* Reopened, in batches of 1000 in reverse batch order: still nothing to do. */
    qf_store_close(st);
    st = td_open_migrated(db);
    for (size_t end = btc.n; end > 0;) {
        size_t start = end > 1000 ? end - 1000 : 0;
        upsert_ok(st, btc.v + start, end - start, 0, 0, (int64_t)(end - start));
        end = start;
    }
    cr_assert_eq(td_candles_checksum(db, NULL), sum1);
    int64_t count = 0;
    qf_err err;
    cr_assert_eq(qf_store_count_candles(st, &key, &count, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(count, TD_BTC_ROWS);
    cr_assert_eq(qf_store_integrity_check(st, &err), QF_OK, "%s", err.msg);
    qf_store_close(st);
}

Test(sqlite_candles, batches_in_any_order_give_the_same_table)
{
    qf_store *st = td_open_migrated(db);
    upsert_ok(st, btc.v, btc.n, TD_BTC_ROWS, 0, 0);
    uint64_t want = td_candles_checksum(db, NULL);
    qf_store_close(st);
    td_dir_remove(dir);
    td_dir_make(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/q.db", dir);

    /* Rows reversed within one call (not ascending: the sorted duplicate
     * check), then written in uneven batches from the end. */
    qf_candle *rev = malloc(btc.n * sizeof *rev);
    cr_assert_not_null(rev);
    for (size_t i = 0; i < btc.n; i++)
        rev[i] = btc.v[btc.n - 1 - i];
    st = td_open_migrated(db);
    upsert_ok(st, rev, 7777, 7777, 0, 0);
    upsert_ok(st, rev + 7777, 1, 1, 0, 0);
    upsert_ok(st, rev, btc.n, TD_BTC_ROWS - 7778, 0, 7778);
    free(rev);
    qf_store_close(st);
    cr_assert_eq(td_candles_checksum(db, NULL), want);
}

Test(sqlite_candles, changed_rows_count_as_updated)
{
    qf_store *st = td_open_migrated(db);
    upsert_ok(st, btc.v, btc.n, TD_BTC_ROWS, 0, 0);
    uint64_t before = td_candles_checksum(db, NULL);

    /* A correction from the exchange: one close, one volume, plus one
     * optional field becoming known, in a batch with 97 unchanged rows and 2
     * new bars after the end. */
    qf_candle batch[102];
    memcpy(batch, btc.v + btc.n - 100, 100 * sizeof batch[0]);
    batch[10].close += 0.01;
    batch[20].volume *= 2;
    batch[30].trades = 12345;
    for (int i = 0; i < 2; i++) {
        batch[100 + i] = btc.v[btc.n - 1];
        batch[100 + i].open_time += (int64_t)(i + 1) * 4 * 3600000;
    }
    upsert_ok(st, batch, 102, 2, 3, 97);
    cr_assert_neq(td_candles_checksum(db, NULL), before);

    qf_candles got;
    query(st, batch[0].open_time, INT64_MAX, 0, &got);
    assert_rows(&got, batch, 102);
    qf_candles_cleanup(&got);

    /* Writing the same corrected batch again: nothing to do. */
    upsert_ok(st, batch, 102, 0, 0, 102);
    /* Back to the original values: the three rows are updated again. */
    upsert_ok(st, btc.v + btc.n - 100, 100, 0, 3, 97);
    /* A known optional field turning unknown again is a change too. */
    batch[30].trades = -1;
    batch[40].quote_volume = 1.5;
    upsert_ok(st, batch + 40, 1, 0, 1, 0);
    batch[40].quote_volume = NAN;
    upsert_ok(st, batch + 40, 1, 0, 1, 0);
    qf_store_close(st);
}

Test(sqlite_candles, optional_fields_round_trip)
{
    /* The bundled files leave the optional columns empty; give the first
     * 1000 bars values derived from them (quote volume = volume x close,
     * and so on) and leave every fifth row's fields unknown. */
    size_t n = 1000;
    for (size_t i = 0; i < n; i++) {
        qf_candle *c = &btc.v[i];
        if (i % 5 == 0)
            continue;
        c->quote_volume = c->volume * c->close;
        c->trades = (int64_t)i * 3;
        c->taker_buy_base = c->volume / 2;
        c->taker_buy_quote = c->quote_volume / 2;
    }
    btc.v[7].trades = 0;
    btc.v[8].quote_volume = 0.0;
    qf_store *st = td_open_migrated(db);
    upsert_ok(st, btc.v, n, (int64_t)n, 0, 0);
    qf_candles got;
    query(st, INT64_MIN, INT64_MAX, 0, &got);
    assert_rows(&got, btc.v, n);
    qf_candles_cleanup(&got);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM candles WHERE quote_volume IS NULL"), 200);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM candles WHERE trades IS NULL"), 200);
    upsert_ok(st, btc.v, n, 0, 0, (int64_t)n);
    qf_store_close(st);
}

Test(sqlite_candles, range_and_last_n_queries_match_the_csv)
{
    qf_store *st = td_open_migrated(db);
    upsert_ok(st, btc.v, btc.n, TD_BTC_ROWS, 0, 0);
    qf_candles got;

    query(st, INT64_MIN, INT64_MAX, 0, &got);
    assert_rows(&got, btc.v, btc.n);
    qf_candles_cleanup(&got);

    /* Bounds are inclusive: rows 1000..1999 exactly. */
    query(st, btc.v[1000].open_time, btc.v[1999].open_time, 0, &got);
    assert_rows(&got, btc.v + 1000, 1000);
    qf_candles_cleanup(&got);

    /* Bounds between bars: one ms after row 1000 to one ms before row 2000. */
    query(st, btc.v[1000].open_time + 1, btc.v[2000].open_time - 1, 0, &got);
    assert_rows(&got, btc.v + 1001, 999);
    qf_candles_cleanup(&got);

    /* A range inside the real 7-bar outage of 2018-02-08: nothing. */
    int64_t gap_from = 1518048000000 + 1;
    int64_t gap_to = 1518163200000 - 1;
    query(st, gap_from, gap_to, 0, &got);
    cr_assert_eq(got.n, 0);
    qf_candles_cleanup(&got);

    /* The newest 500, ascending. */
    query(st, INT64_MIN, INT64_MAX, 500, &got);
    assert_rows(&got, btc.v + btc.n - 500, 500);
    qf_candles_cleanup(&got);

    /* The last 10 of a range ending at row 5000. */
    query(st, INT64_MIN, btc.v[5000].open_time, 10, &got);
    assert_rows(&got, btc.v + 4991, 10);
    qf_candles_cleanup(&got);

    /* last_n beyond the series (and absurdly large): all rows. */
    query(st, INT64_MIN, INT64_MAX, TD_BTC_ROWS + 1, &got);
    assert_rows(&got, btc.v, btc.n);
    qf_candles_cleanup(&got);
    query(st, INT64_MIN, INT64_MAX, SIZE_MAX, &got);
    assert_rows(&got, btc.v, btc.n);
    qf_candles_cleanup(&got);

    /* from > to, before the first bar, after the last: nothing. */
    query(st, 10, 5, 0, &got);
    cr_assert_eq(got.n, 0);
    qf_candles_cleanup(&got);
    query(st, 0, btc.v[0].open_time - 1, 3, &got);
    cr_assert_eq(got.n, 0);
    qf_candles_cleanup(&got);
    query(st, btc.v[btc.n - 1].open_time + 1, INT64_MAX, 0, &got);
    cr_assert_eq(got.n, 0);
    qf_candles_cleanup(&got);
    qf_store_close(st);
}

Test(sqlite_candles, query_appends_to_the_array)
{
    qf_store *st = td_open_migrated(db);
    upsert_ok(st, btc.v, btc.n, TD_BTC_ROWS, 0, 0);
    qf_candles got;
    query(st, INT64_MIN, btc.v[99].open_time, 0, &got);
    qf_err err;
    cr_assert_eq(qf_store_query_candles(st, &key, btc.v[100].open_time, INT64_MAX, 0, &got, &err),
                 QF_OK, "%s", err.msg);
    assert_rows(&got, btc.v, btc.n);
    qf_candles_cleanup(&got);
    qf_store_close(st);
}

Test(sqlite_candles, unknown_series_is_empty_not_an_error)
{
    qf_store *st = td_open_migrated(db);
    upsert_ok(st, btc.v, 10, 10, 0, 0);
    qf_series_key other[] = {td_key("binance", "ETH/USDT", "4h"),
                             td_key("binance", "BTC/USDT", "1h"),
                             td_key("coinbase", "BTC/USDT", "4h")};
    for (size_t i = 0; i < 3; i++) {
        qf_candles got;
        qf_candles_init(&got);
        qf_err err;
        cr_assert_eq(qf_store_query_candles(st, &other[i], INT64_MIN, INT64_MAX, 0, &got, &err),
                     QF_OK, "%s", err.msg);
        cr_assert_eq(got.n, 0);
        int64_t count = -1;
        cr_assert_eq(qf_store_count_candles(st, &other[i], &count, &err), QF_OK);
        cr_assert_eq(count, 0);
    }
    /* Reading created no series. */
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM series"), 1);
    qf_store_close(st);
}

/* Tries a bad batch: QF_EINVAL, a message containing `want`, stats zero and
 * the table unchanged. */
static void reject(qf_store *st, const qf_series_key *k, const qf_candle *rows, size_t n,
                   const char *want)
{
    int64_t series = td_sql_int(db, "SELECT count(*) FROM series");
    uint64_t before = td_candles_checksum(db, NULL);
    qf_upsert_stats s = {-1, -1, -1};
    qf_err err;
    cr_assert_eq(qf_store_upsert_candles(st, k, rows, n, &s, &err), QF_EINVAL, "accepted: %s",
                 want);
    cr_assert(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    cr_assert(s.inserted == 0 && s.updated == 0 && s.unchanged == 0);
    cr_assert_eq(td_candles_checksum(db, NULL), before, "a rejected batch wrote rows");
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM series"), series);
}

Test(sqlite_candles, invalid_batches_write_nothing)
{
    qf_store *st = td_open_migrated(db);
    upsert_ok(st, btc.v, 1000, 1000, 0, 0);
    /* Every bad batch mixes in new rows and changed rows that a partial
     * write would have stored. */
    qf_candle *b = malloc(2000 * sizeof *b);
    cr_assert_not_null(b);
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (int field = 0; field < 5; field++) {
        for (int j = 0; j < 3; j++) {
            memcpy(b, btc.v + 500, 2000 * sizeof *b);
            b[0].close *= 1.01;
            double *f[5] = {&b[1999].open, &b[1999].high, &b[1999].low, &b[1999].close,
                            &b[1999].volume};
            *f[field] = bad[j];
            reject(st, &key, b, 2000, "row 1999");
        }
    }
    memcpy(b, btc.v + 500, 2000 * sizeof *b);
    b[1500].quote_volume = INFINITY;
    reject(st, &key, b, 2000, "row 1500");
    memcpy(b, btc.v + 500, 2000 * sizeof *b);
    b[3].trades = -2;
    reject(st, &key, b, 2000, "row 3");

    /* Duplicate open_time in one call, ascending input and shuffled input. */
    char want[64];
    memcpy(b, btc.v + 500, 2000 * sizeof *b);
    b[1200].open_time = b[1199].open_time;
    snprintf(want, sizeof want, "open_time %lld appears twice", (long long)b[1199].open_time);
    reject(st, &key, b, 2000, want);
    qf_candle t = b[0];
    b[0] = b[1999];
    b[1999] = t;
    reject(st, &key, b, 2000, want);
    b[1200] = b[1201];
    b[1200].close += 1;
    snprintf(want, sizeof want, "open_time %lld appears twice", (long long)b[1201].open_time);
    reject(st, &key, b, 2000, want);

    /* Times outside 1970..9999. */
    memcpy(b, btc.v + 500, 2000 * sizeof *b);
    b[7].open_time = -14400000;
    reject(st, &key, b, 2000, "row 7: open_time -14400000 outside");
    b[7].open_time = INT64_MAX;
    reject(st, &key, b, 2000, "outside 1970..9999");

    /* A new series with a bad batch is not created. */
    qf_series_key eth = td_key("binance", "ETH/USDT", "4h");
    memcpy(b, btc.v, 10 * sizeof *b);
    b[9].low = NAN;
    reject(st, &eth, b, 10, "row 9");
    free(b);
    qf_store_close(st);
}

Test(sqlite_candles, invalid_keys_and_arguments)
{
    qf_store *st = td_open_migrated(db);
    qf_err err;
    const qf_series_key bad[] = {
        td_key("", "BTC/USDT", "4h"),         td_key("Binance", "BTC/USDT", "4h"),
        td_key("bin ance", "BTC/USDT", "4h"), td_key("binance", "", "4h"),
        td_key("binance", "BTCUSDT", "4h"),   td_key("binance", "BTC/USDT", "3h"),
        td_key("binance", "BTC/USDT", ""),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(qf_store_upsert_candles(st, &bad[i], btc.v, 10, NULL, &err), QF_EINVAL,
                     "key %zu accepted", i);
        qf_candles got;
        qf_candles_init(&got);
        cr_assert_eq(qf_store_query_candles(st, &bad[i], 0, INT64_MAX, 0, &got, &err), QF_EINVAL);
    }
    /* An unterminated field. */
    qf_series_key k = key;
    memset(k.timeframe, 'h', sizeof k.timeframe);
    cr_assert_eq(qf_store_upsert_candles(st, &k, btc.v, 10, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_upsert_candles(st, NULL, btc.v, 10, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_upsert_candles(st, &key, NULL, 10, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_upsert_candles(NULL, &key, btc.v, 10, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_query_candles(st, &key, 0, 1, 0, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_count_candles(st, &key, NULL, &err), QF_EINVAL);
    /* n == 0 writes nothing, not even the series. */
    qf_upsert_stats s = {-1, -1, -1};
    cr_assert_eq(qf_store_upsert_candles(st, &key, NULL, 0, &s, &err), QF_OK, "%s", err.msg);
    cr_assert(s.inserted == 0 && s.updated == 0 && s.unchanged == 0);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM series"), 0);
    qf_store_close(st);
}

Test(sqlite_candles, readonly_handle_refuses_every_write)
{
    qf_store *w = td_open_migrated(db);
    upsert_ok(w, btc.v, btc.n, TD_BTC_ROWS, 0, 0);
    qf_store *r = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &r, &err), QF_OK, "%s", err.msg);
    uint64_t before = td_candles_checksum(db, NULL);

    btc.v[0].close += 1;
    qf_upsert_stats s = {-1, -1, -1};
    cr_assert_eq(qf_store_upsert_candles(r, &key, btc.v, btc.n, &s, &err), QF_ESTORE);
    cr_assert(strstr(err.msg, "readonly") != NULL, "%s", err.msg);
    cr_assert(s.inserted == 0 && s.updated == 0 && s.unchanged == 0);
    int64_t deleted = -1;
    cr_assert_eq(qf_store_delete_series(r, &key, &deleted, &err), QF_ESTORE);
    cr_assert(strstr(err.msg, "readonly") != NULL, "%s", err.msg);
    cr_assert_eq(deleted, 0);
    int64_t id = -1;
    cr_assert_eq(qf_store_insert_backtest_run(r, "sma", "BTC/USDT", "4h", "{}", "{}", &id, &err),
                 QF_ESTORE);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM backtest_runs"), 0);
    int applied = -1;
    cr_assert_eq(qf_store_migrate(r, &applied, &err), QF_ESTORE);
    cr_assert_eq(applied, 0);
    cr_assert_eq(td_candles_checksum(db, NULL), before);

    /* It still reads, including what the writer commits after it opened. */
    upsert_ok(w, btc.v, 1, 0, 1, 0);
    qf_candles got;
    qf_candles_init(&got);
    cr_assert_eq(qf_store_query_candles(r, &key, INT64_MIN, INT64_MAX, 0, &got, &err), QF_OK, "%s",
                 err.msg);
    assert_rows(&got, btc.v, btc.n);
    qf_candles_cleanup(&got);
    cr_assert_eq(qf_store_integrity_check(r, &err), QF_OK, "%s", err.msg);
    qf_store_close(r);
    qf_store_close(w);
}
