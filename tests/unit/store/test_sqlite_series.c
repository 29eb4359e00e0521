/*
 * test_sqlite_series.c - the per-series summary (count, first, last, gaps,
 * missing bars) on the bundled real candles, with gaps the data really has
 * (8 outages, 16 bars: data/README.md) and gaps made by deleting known rows;
 * counts and series deletion.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#define TD_BTC_FIXTURE
#include "store_testdata.h"

#define BAR_4H INT64_C(14400000)

TestSuite(sqlite_series, .init = td_btc_setup, .fini = td_btc_teardown);

static void put(qf_store *st, const qf_series_key *k, const qf_candle *rows, size_t n)
{
    qf_err err;
    cr_assert_eq(qf_store_upsert_candles(st, k, rows, n, NULL, &err), QF_OK, "%s", err.msg);
}

/* Gaps and missing bars of ascending times, counted the plain way. */
static void count_gaps(const qf_candle *v, size_t n, int64_t bar, int64_t *out_gaps,
                       int64_t *out_missing)
{
    *out_gaps = 0;
    *out_missing = 0;
    for (size_t i = 1; i < n; i++) {
        int64_t step = v[i].open_time - v[i - 1].open_time;
        if (step != bar) {
            (*out_gaps)++;
            *out_missing += step / bar - 1;
        }
    }
}

static qf_series_info *list(qf_store *st, size_t *out_n)
{
    qf_series_info *infos = NULL;
    qf_err err;
    cr_assert_eq(qf_store_list_series(st, &infos, out_n, &err), QF_OK, "%s", err.msg);
    return infos;
}

static void assert_info(const qf_series_info *info, const qf_series_key *k, int64_t count,
                        int64_t first, int64_t last, int64_t gaps, int64_t missing)
{
    cr_assert_str_eq(info->key.exchange, k->exchange);
    cr_assert_str_eq(info->key.symbol, k->symbol);
    cr_assert_str_eq(info->key.timeframe, k->timeframe);
    cr_assert_eq(info->count, count, "%s: count %lld, want %lld", k->symbol, (long long)info->count,
                 (long long)count);
    cr_assert_eq(info->first_open_time, first);
    cr_assert_eq(info->last_open_time, last);
    cr_assert_eq(info->gaps, gaps, "%s: gaps %lld, want %lld", k->symbol, (long long)info->gaps,
                 (long long)gaps);
    cr_assert_eq(info->missing_bars, missing, "%s: missing %lld, want %lld", k->symbol,
                 (long long)info->missing_bars, (long long)missing);
}

Test(sqlite_series, real_btc_summary_matches_the_csv)
{
    qf_store *st = td_open_migrated(db);
    size_t n = 99;
    qf_series_info *infos = list(st, &n);
    cr_assert_eq(n, 0);
    cr_assert_null(infos);

    put(st, &key, btc.v, btc.n);
    int64_t gaps = 0;
    int64_t missing = 0;
    count_gaps(btc.v, btc.n, BAR_4H, &gaps, &missing);
    /* The outages data/README.md documents. */
    cr_assert_eq(gaps, 8);
    cr_assert_eq(missing, 16);
    infos = list(st, &n);
    cr_assert_eq(n, 1);
    assert_info(&infos[0], &key, TD_BTC_ROWS, btc.v[0].open_time, btc.v[btc.n - 1].open_time, 8,
                16);
    free(infos);
    qf_store_close(st);
}

Test(sqlite_series, deleted_rows_make_known_gaps)
{
    qf_store *st = td_open_migrated(db);
    put(st, &key, btc.v, btc.n);
    /* Remove one bar (row 100), a run of 5 (rows 2000..2004) and the first
     * and last bars (which move first/last, not add gaps). Row 100 and rows
     * 2000..2004 lie where the data has no outage of its own, so each adds
     * exactly one gap. */
    cr_assert_eq(btc.v[1].open_time - btc.v[0].open_time, BAR_4H);
    cr_assert_eq(btc.v[btc.n - 1].open_time - btc.v[btc.n - 2].open_time, BAR_4H);
    for (size_t i = 99; i <= 100; i++)
        cr_assert_eq(btc.v[i + 1].open_time - btc.v[i].open_time, BAR_4H);
    for (size_t i = 1999; i <= 2004; i++)
        cr_assert_eq(btc.v[i + 1].open_time - btc.v[i].open_time, BAR_4H);
    char sql[256];
    snprintf(sql, sizeof sql,
             "DELETE FROM candles WHERE open_time IN (%lld, %lld, %lld) OR open_time BETWEEN "
             "%lld AND %lld",
             (long long)btc.v[0].open_time, (long long)btc.v[100].open_time,
             (long long)btc.v[btc.n - 1].open_time, (long long)btc.v[2000].open_time,
             (long long)btc.v[2004].open_time);
    td_sql(db, sql);

    size_t n = 0;
    qf_series_info *infos = list(st, &n);
    cr_assert_eq(n, 1);
    assert_info(&infos[0], &key, TD_BTC_ROWS - 8, btc.v[1].open_time, btc.v[btc.n - 2].open_time,
                8 + 2, 16 + 1 + 5);
    free(infos);
    int64_t count = 0;
    qf_err err;
    cr_assert_eq(qf_store_count_candles(st, &key, &count, &err), QF_OK);
    cr_assert_eq(count, TD_BTC_ROWS - 8);

    /* Re-upserting fills them back: the deleted rows count as inserted. */
    qf_upsert_stats s;
    cr_assert_eq(qf_store_upsert_candles(st, &key, btc.v, btc.n, &s, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(s.inserted, 8);
    cr_assert_eq(s.updated, 0);
    cr_assert_eq(s.unchanged, TD_BTC_ROWS - 8);
    infos = list(st, &n);
    assert_info(&infos[0], &key, TD_BTC_ROWS, btc.v[0].open_time, btc.v[btc.n - 1].open_time, 8,
                16);
    free(infos);
    qf_store_close(st);
}

Test(sqlite_series, several_series_are_listed_in_key_order)
{
    qf_candles eth;
    qf_candles sol;
    td_load_csv(QF_SOURCE_DIR "/data/ETHUSDT-4h.csv", &eth);
    td_load_csv(QF_SOURCE_DIR "/data/SOLUSDT-4h.csv", &sol);
    qf_series_key keth = td_key("binance", "ETH/USDT", "4h");
    qf_series_key ksol = td_key("binance", "SOL/USDT", "4h");
    qf_series_key kcb = td_key("coinbase", "BTC/USDT", "4h");
    qf_series_key k1h = td_key("binance", "BTC/USDT", "1h");
    qf_store *st = td_open_migrated(db);
    put(st, &ksol, sol.v, sol.n);
    put(st, &kcb, btc.v + 100, 50);
    put(st, &keth, eth.v, eth.n);
    put(st, &key, btc.v, btc.n);
    /* 4h bars stored as a 1h series: every step is 4 bars, 3 missing. */
    put(st, &k1h, btc.v + 200, 11);

    int64_t eg = 0;
    int64_t em = 0;
    int64_t sg = 0;
    int64_t sm = 0;
    count_gaps(eth.v, eth.n, BAR_4H, &eg, &em);
    count_gaps(sol.v, sol.n, BAR_4H, &sg, &sm);
    cr_assert_eq(sol.n, 11846);
    cr_assert(eg == 8 && em == 16 && sg == 0 && sm == 0, "data/README.md gap table");

    size_t n = 0;
    qf_series_info *infos = list(st, &n);
    cr_assert_eq(n, 5);
    assert_info(&infos[0], &k1h, 11, btc.v[200].open_time, btc.v[210].open_time, 10, 30);
    assert_info(&infos[1], &key, TD_BTC_ROWS, btc.v[0].open_time, btc.v[btc.n - 1].open_time, 8,
                16);
    assert_info(&infos[2], &keth, (int64_t)eth.n, eth.v[0].open_time, eth.v[eth.n - 1].open_time,
                eg, em);
    assert_info(&infos[3], &ksol, (int64_t)sol.n, sol.v[0].open_time, sol.v[sol.n - 1].open_time, 0,
                0);
    assert_info(&infos[4], &kcb, 50, btc.v[100].open_time, btc.v[149].open_time, 0, 0);
    free(infos);

    /* Deleting a series removes it and its rows only. */
    int64_t deleted = 0;
    qf_err err;
    uint64_t before = td_candles_checksum(db, NULL);
    cr_assert_eq(qf_store_delete_series(st, &keth, &deleted, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(deleted, (int64_t)eth.n);
    cr_assert_neq(td_candles_checksum(db, NULL), before);
    infos = list(st, &n);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(infos[2].key.symbol, "SOL/USDT");
    free(infos);
    int64_t count = -1;
    cr_assert_eq(qf_store_count_candles(st, &keth, &count, &err), QF_OK);
    cr_assert_eq(count, 0);
    cr_assert_eq(qf_store_count_candles(st, &key, &count, &err), QF_OK);
    cr_assert_eq(count, TD_BTC_ROWS);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM series WHERE symbol = 'ETH/USDT'"), 0);

    /* Again, and an unknown series: nothing deleted, not an error. */
    cr_assert_eq(qf_store_delete_series(st, &keth, &deleted, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(deleted, 0);
    qf_series_key none = td_key("kraken", "XRP/EUR", "1d");
    cr_assert_eq(qf_store_delete_series(st, &none, NULL, &err), QF_OK, "%s", err.msg);
    /* Re-import after deletion: all inserted again. */
    qf_upsert_stats s;
    cr_assert_eq(qf_store_upsert_candles(st, &keth, eth.v, eth.n, &s, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(s.inserted, (int64_t)eth.n);
    cr_assert_eq(qf_store_integrity_check(st, &err), QF_OK, "%s", err.msg);
    qf_store_close(st);
    qf_candles_cleanup(&eth);
    qf_candles_cleanup(&sol);
}

Test(sqlite_series, deleting_a_series_cascades_to_its_features)
{
    qf_store *st = td_open_migrated(db);
    put(st, &key, btc.v, 100);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO features(series_id, feature_set, open_time, vals, computed_at) "
             "SELECT series_id, 'technical-v1', open_time, '{}', 0 FROM candles");
    td_sql(db, sql);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM features"), 100);
    int64_t deleted = 0;
    qf_err err;
    cr_assert_eq(qf_store_delete_series(st, &key, &deleted, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(deleted, 100);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM features"), 0);
    cr_assert_eq(qf_store_integrity_check(st, &err), QF_OK, "%s", err.msg);
    qf_store_close(st);
}

Test(sqlite_series, series_emptied_by_hand_is_not_listed)
{
    qf_store *st = td_open_migrated(db);
    put(st, &key, btc.v, 10);
    td_sql(db, "DELETE FROM candles");
    size_t n = 7;
    qf_series_info *infos = list(st, &n);
    cr_assert_eq(n, 0);
    cr_assert_null(infos);
    qf_err err;
    cr_assert_eq(qf_store_list_series(st, NULL, &n, &err), QF_EINVAL);
    cr_assert_eq(qf_store_list_series(NULL, &infos, &n, &err), QF_EINVAL);
    qf_store_close(st);
}
