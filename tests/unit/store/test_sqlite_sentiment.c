/*
 * test_sqlite_sentiment.c - news sentiment events in the SQLite store: a
 * round trip keeps every field (doubles bit for bit), re-inserting is
 * idempotent and changes no byte, a changed value is an update, a market
 * sees its symbol's, its asset's and the market-wide events, a bad row or a
 * repeated event writes nothing and is named, a read-only handle refuses to
 * write, a row another program stored out of range is a QF_EPARSE naming
 * it; and the 5,000 bundled real headlines go in and come back.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/sentiment_parse.h"
#include "store/store.h"
#define TD_STORE_FIXTURE
#include "store_testdata.h"

#define T0 INT64_C(1652169600000) /* 2022-05-10T08:00:00Z */
#define H  INT64_C(3600000)

TestSuite(sqlite_sentiment, .init = td_store_setup, .fini = td_store_teardown);

static qf_sentiment_event rows[] = {
    {T0, "CoinTelegraph", "Bitcoin falls below $30K", "BTC", "https://example.com/a", "negative",
     -0.8, 0.1 + 0.2},
    {T0, "CryptoNews", "Terra's UST loses its peg", NULL, NULL, NULL, -1.0, 1.0 / 3.0},
    {T0 + H, "Desk", "ETH/USDT funding turns positive", "ETH/USDT", NULL, "positive", 0.25, 1},
    {T0 + 2 * H, "Desk", "BTC/USDT basis widens", "BTC/USDT", NULL, NULL, 0.5, 0.5},
    {T0 + 2 * H, "Desk", "BTC/USD premium on Coinbase", "BTC/USD", NULL, NULL, 0.125, 0.5},
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static int64_t rows_stored(void)
{
    return td_sql_int(db, "SELECT count(*) FROM sentiment_events");
}

/* FNV-1a over every column of every row, straight from the file. */
static uint64_t table_checksum(void)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT * FROM sentiment_events ORDER BY id", -1, &q, NULL),
                 SQLITE_OK);
    uint64_t sum = 14695981039346656037ULL;
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(q); i++) {
            int type = sqlite3_column_type(q, i);
            sum = td_fnv(sum, &type, sizeof type);
            if (type == SQLITE_FLOAT) {
                double v = sqlite3_column_double(q, i);
                sum = td_fnv(sum, &v, sizeof v);
            } else if (type != SQLITE_NULL) {
                sum = td_fnv(sum, sqlite3_column_blob(q, i), (size_t)sqlite3_column_bytes(q, i));
            }
        }
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    return sum;
}

static void expect_text(const char *got, const char *want)
{
    if (want == NULL)
        cr_expect_null(got);
    else
        cr_expect_str_eq(got, want);
}

static void expect_same(const qf_sentiment_event *got, const qf_sentiment_event *want)
{
    cr_expect_eq(got->time, want->time);
    cr_expect_str_eq(got->source, want->source);
    cr_expect_str_eq(got->title, want->title);
    expect_text(got->symbol, want->symbol);
    expect_text(got->url, want->url);
    expect_text(got->label, want->label);
    cr_expect(memcmp(&got->score, &want->score, sizeof got->score) == 0);
    cr_expect(memcmp(&got->confidence, &want->confidence, sizeof got->confidence) == 0);
}

static void insert_ok(const qf_sentiment_event *r, size_t n, int64_t ins, int64_t upd, int64_t same)
{
    qf_err err;
    qf_upsert_stats stats;
    cr_assert_eq(qf_store_insert_sentiment_events(st, r, n, &stats, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(stats.inserted, ins);
    cr_expect_eq(stats.updated, upd);
    cr_expect_eq(stats.unchanged, same);
}

Test(sqlite_sentiment, round_trip_and_idempotent)
{
    insert_ok(rows, N_ROWS, N_ROWS, 0, 0);
    qf_sentiment_events out;
    qf_sentiment_events_init(&out);
    qf_err err;
    cr_assert_eq(qf_store_query_sentiment_events(st, NULL, INT64_MIN, INT64_MAX, &out, &err), QF_OK,
                 "%s", err.msg);
    cr_assert_eq(out.n, N_ROWS);
    for (size_t i = 0; i < N_ROWS; i++)
        expect_same(&out.v[i], &rows[i]);
    uint64_t sum = table_checksum();
    insert_ok(rows, N_ROWS, 0, 0, N_ROWS);
    cr_expect_eq(table_checksum(), sum, "an idempotent re-insert changed the table");
    cr_expect_eq(rows_stored(), (int64_t)N_ROWS);
    /* the same event spelt differently (title case, blanks, source case) is the same row */
    qf_sentiment_event again = rows[0];
    again.title = "BITCOIN falls below $30K ";
    again.source = "cointelegraph";
    insert_ok(&again, 1, 0, 1, 0);
    cr_expect_eq(rows_stored(), (int64_t)N_ROWS);
    /* a new score is an update; the next write of it is unchanged */
    again = rows[1];
    again.score = -0.5;
    insert_ok(&again, 1, 0, 1, 0);
    insert_ok(&again, 1, 0, 0, 1);
    /* another time, symbol or source is another event */
    again.time += 1;
    insert_ok(&again, 1, 1, 0, 0);
    again.symbol = "LUNA";
    insert_ok(&again, 1, 1, 0, 0);
    cr_expect_eq(rows_stored(), (int64_t)N_ROWS + 2);
    qf_sentiment_events_cleanup(&out);
}

static size_t query_n(const char *symbol, int64_t from, int64_t to)
{
    qf_sentiment_events out;
    qf_sentiment_events_init(&out);
    qf_err err;
    cr_assert_eq(qf_store_query_sentiment_events(st, symbol, from, to, &out, &err), QF_OK, "%s",
                 err.msg);
    size_t n = out.n;
    for (size_t i = 1; i < out.n; i++)
        cr_expect(out.v[i].time >= out.v[i - 1].time);
    qf_sentiment_events_cleanup(&out);
    return n;
}

Test(sqlite_sentiment, what_a_market_sees)
{
    insert_ok(rows, N_ROWS, N_ROWS, 0, 0);
    /* BTC/USDT: the BTC-tagged, the BTC/USDT one and the market-wide one */
    cr_expect_eq(query_n("BTC/USDT", INT64_MIN, INT64_MAX), 3);
    /* BTC/USD: BTC, BTC/USD, market-wide */
    cr_expect_eq(query_n("BTC/USD", INT64_MIN, INT64_MAX), 3);
    cr_expect_eq(query_n("ETH/USDT", INT64_MIN, INT64_MAX), 2);
    cr_expect_eq(query_n("SOL/USDT", INT64_MIN, INT64_MAX), 1);
    cr_expect_eq(query_n(NULL, INT64_MIN, INT64_MAX), N_ROWS);
    /* inclusive bounds */
    cr_expect_eq(query_n(NULL, T0, T0), 2);
    cr_expect_eq(query_n(NULL, T0 + 1, T0 + 2 * H), 3);
    cr_expect_eq(query_n(NULL, T0 + 2 * H + 1, INT64_MAX), 0);
    cr_expect_eq(query_n(NULL, T0 + H, T0), 0);
    qf_sentiment_events out;
    qf_sentiment_events_init(&out);
    qf_err err;
    cr_expect_eq(qf_store_query_sentiment_events(st, "btcusdt", 0, T0, &out, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "BASE/QUOTE") != NULL, "%s", err.msg);
    cr_expect_eq(qf_store_query_sentiment_events(st, NULL, 0, T0, NULL, &err), QF_EINVAL);
    cr_expect_eq(qf_store_query_sentiment_events(NULL, NULL, 0, T0, &out, &err), QF_EINVAL);
    qf_sentiment_events_cleanup(&out);
}

Test(sqlite_sentiment, bad_rows_write_nothing)
{
    insert_ok(rows, 2, 2, 0, 0);
    uint64_t sum = table_checksum();
    qf_sentiment_event bad[N_ROWS];
    memcpy(bad, rows, sizeof bad);
    qf_err err;
    qf_upsert_stats stats;
    bad[3].score = 1.5;
    cr_expect_eq(qf_store_insert_sentiment_events(st, bad, N_ROWS, &stats, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "sentiment event 3: score 1.5") != NULL, "%s", err.msg);
    cr_expect_eq(stats.inserted, 0);
    bad[3] = rows[3];
    bad[4].symbol = "btc/usdt";
    cr_expect_eq(qf_store_insert_sentiment_events(st, bad, N_ROWS, &stats, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "sentiment event 4: symbol") != NULL, "%s", err.msg);
    bad[4] = rows[4];
    bad[4].time = QF_STORE_TIME_MAX + 1;
    cr_expect_eq(qf_store_insert_sentiment_events(st, bad, N_ROWS, &stats, &err), QF_EINVAL);
    /* the same event twice in one call */
    bad[4] = rows[2];
    bad[4].score = 0.5;
    cr_expect_eq(qf_store_insert_sentiment_events(st, bad, N_ROWS, &stats, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "sentiment events 2 and 4 are the same event") != NULL, "%s",
              err.msg);
    cr_expect_eq(qf_store_insert_sentiment_events(st, NULL, 2, &stats, &err), QF_EINVAL);
    cr_expect_eq(qf_store_insert_sentiment_events(st, NULL, 0, &stats, &err), QF_OK);
    cr_expect_eq(table_checksum(), sum);
}

Test(sqlite_sentiment, readonly_handle_refused)
{
    insert_ok(rows, 1, 1, 0, 0);
    qf_store *ro = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &ro, &err), QF_OK, "%s", err.msg);
    qf_upsert_stats stats;
    cr_expect_eq(qf_store_insert_sentiment_events(ro, rows + 1, 1, &stats, &err), QF_ESTORE);
    cr_expect(strstr(err.msg, "readonly") != NULL, "%s", err.msg);
    qf_sentiment_events out;
    qf_sentiment_events_init(&out);
    cr_expect_eq(qf_store_query_sentiment_events(ro, "BTC/USDT", 0, INT64_MAX, &out, &err), QF_OK);
    cr_expect_eq(out.n, 1);
    qf_sentiment_events_cleanup(&out);
    qf_store_close(ro);
    cr_expect_eq(rows_stored(), 1);
}

Test(sqlite_sentiment, foreign_rows_are_named)
{
    insert_ok(rows, 2, 2, 0, 0);
    td_sql(db, "INSERT INTO sentiment_events(id, published_at, source, title, score, confidence, "
               "dedup_key, created_at) VALUES (77, 1652169600001, 'x', 'y', 3.0, 1, 'k', 0)");
    qf_sentiment_events out;
    qf_sentiment_events_init(&out);
    qf_err err;
    cr_assert_eq(qf_sentiment_events_push(&out, &rows[4], &err), QF_OK);
    cr_expect_eq(qf_store_query_sentiment_events(st, NULL, INT64_MIN, INT64_MAX, &out, &err),
                 QF_EPARSE);
    cr_expect(strstr(err.msg, "sentiment_events id 77: score 3") != NULL, "%s", err.msg);
    cr_expect_eq(out.n, 1);
    cr_expect_str_eq(out.v[0].title, rows[4].title);
    /* a range without it reads fine */
    cr_expect_eq(query_n(NULL, T0, T0), 2);
    td_sql(db, "UPDATE sentiment_events SET score = 0, symbol = 'btc' WHERE id = 77");
    cr_expect_eq(qf_store_query_sentiment_events(st, "BTC/USDT", T0, T0 + 1, &out, &err), QF_OK,
                 "market-wide and BTC only: id 77 is 'btc'");
    cr_expect_eq(qf_store_query_sentiment_events(st, NULL, T0, T0 + 1, &out, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "id 77: symbol 'btc'") != NULL, "%s", err.msg);
    qf_sentiment_events_cleanup(&out);
}

Test(sqlite_sentiment, bundled_headlines)
{
    size_t len = 0;
    unsigned char *text = td_read_file(QF_SOURCE_DIR "/data/news/headlines.csv", &len);
    qf_sentiment_events ev;
    qf_sentiment_events_init(&ev);
    qf_err err;
    cr_assert_eq(qf_sentiment_parse_text((const char *)text, len, "headlines.csv", &ev, NULL, &err),
                 QF_OK, "%s", err.msg);
    free(text);
    cr_assert_eq(ev.n, 5000);
    insert_ok(ev.v, ev.n, 5000, 0, 0);
    insert_ok(ev.v, ev.n, 0, 0, 5000);
    /* BTC/USDT sees the 1,052 Bitcoin headlines and the 3,363 market-wide ones */
    cr_expect_eq(query_n("BTC/USDT", INT64_MIN, INT64_MAX), 1052 + 3363);
    qf_sentiment_events back;
    qf_sentiment_events_init(&back);
    cr_assert_eq(qf_store_query_sentiment_events(st, NULL, INT64_MIN, INT64_MAX, &back, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(back.n, 5000);
    for (size_t i = 0; i < back.n; i++)
        expect_same(&back.v[i], &ev.v[i]); /* the file is sorted by time, inserted in order */
    qf_sentiment_events_cleanup(&back);
    qf_sentiment_events_cleanup(&ev);
}
