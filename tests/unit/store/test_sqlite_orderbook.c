/*
 * test_sqlite_orderbook.c - order-book snapshots in the SQLite store: a round
 * trip keeps every double bit for bit, re-inserting is idempotent, a bad row
 * writes nothing and is named, a read-only handle refuses to write, and a row
 * another program stored with malformed levels is a QF_EPARSE naming it.
 * Also the levels codec (store_int.h) on its own.
 *
 * Real order-book data does not exist on this machine (no network); the
 * snapshots are hand-made around real BTC/USDT prices.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"
#define TD_STORE_FIXTURE
#include "store_testdata.h"

#define T0 INT64_C(1767700800000) /* 2026-01-06T12:00:00Z */

TestSuite(sqlite_orderbook, .init = td_store_setup, .fini = td_store_teardown);

/* Prices and quantities that only survive a full-precision round trip. */
static const qf_book_level bids[] = {
    {93105.12345678901, 0.1 + 0.2}, {93105.1, 1.0 / 3.0}, {93000, 5e-324}, {1e-300, 1234567.875}};
static const qf_book_level asks[] = {{93105.12345678903, 2.0 / 3.0}, {93200.5, 0}, {DBL_MAX, 17}};

static qf_book snap(int64_t t, size_t nb, size_t na)
{
    qf_book b = {t, bids, nb, asks, na};
    return b;
}

static int64_t rows_stored(void)
{
    return td_sql_int(db, "SELECT count(*) FROM orderbook_snapshots");
}

/* FNV-1a over every column of every row (typed), straight from the file. */
static uint64_t table_checksum(void)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    cr_assert_eq(
        sqlite3_prepare_v2(h, "SELECT * FROM orderbook_snapshots ORDER BY id", -1, &q, NULL),
        SQLITE_OK);
    uint64_t sum = 14695981039346656037ULL;
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(q); i++) {
            int type = sqlite3_column_type(q, i);
            sum = td_fnv(sum, &type, sizeof type);
            if (type == SQLITE_FLOAT) {
                double v = sqlite3_column_double(q, i); /* its bits: text would round */
                sum = td_fnv(sum, &v, sizeof v);
            } else if (type != SQLITE_NULL) {
                const void *bytes = sqlite3_column_blob(q, i);
                sum = td_fnv(sum, bytes, (size_t)sqlite3_column_bytes(q, i));
            }
        }
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    return sum;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void expect_same_book(const qf_book *got, const qf_book *want)
{
    cr_assert_eq(got->time, want->time);
    cr_assert_eq(got->n_bids, want->n_bids, "time %lld", (long long)want->time);
    cr_assert_eq(got->n_asks, want->n_asks, "time %lld", (long long)want->time);
    for (size_t i = 0; i < want->n_bids; i++)
        cr_expect(same_bits(got->bids[i].price, want->bids[i].price) &&
                      same_bits(got->bids[i].qty, want->bids[i].qty),
                  "bids[%zu]: %.17g %.17g", i, got->bids[i].price, got->bids[i].qty);
    for (size_t i = 0; i < want->n_asks; i++)
        cr_expect(same_bits(got->asks[i].price, want->asks[i].price) &&
                      same_bits(got->asks[i].qty, want->asks[i].qty),
                  "asks[%zu]: %.17g %.17g", i, got->asks[i].price, got->asks[i].qty);
}

Test(sqlite_orderbook, round_trip_full_precision)
{
    /* Out of order on purpose; one-sided and empty books are stored too. */
    qf_book in[] = {snap(T0 + 2000, 4, 3), snap(T0, 1, 1), snap(T0 + 1000, 0, 2),
                    snap(T0 + 3000, 3, 0), snap(T0 + 4000, 0, 0)};
    qf_upsert_stats stats;
    qf_err err;
    cr_assert_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", in, 5, &stats, &err), QF_OK,
                 "%s", err.msg);
    cr_expect_eq(stats.inserted, 5);
    cr_expect_eq(stats.updated + stats.unchanged, 0);
    qf_books out;
    qf_books_init(&out);
    cr_assert_eq(
        qf_store_query_orderbook(st, "binance", "BTC/USDT", INT64_MIN, INT64_MAX, &out, &err),
        QF_OK, "%s", err.msg);
    cr_assert_eq(out.n, 5);
    expect_same_book(&out.v[0], &in[1]);
    expect_same_book(&out.v[1], &in[2]);
    expect_same_book(&out.v[2], &in[0]);
    expect_same_book(&out.v[3], &in[3]);
    expect_same_book(&out.v[4], &in[4]);
    /* Inclusive bounds; another market sees nothing. */
    qf_books_cleanup(&out);
    cr_assert_eq(
        qf_store_query_orderbook(st, "binance", "BTC/USDT", T0 + 1000, T0 + 2000, &out, &err),
        QF_OK);
    cr_expect_eq(out.n, 2);
    cr_expect_eq(out.v[0].time, T0 + 1000);
    cr_assert_eq(
        qf_store_query_orderbook(st, "binance", "ETH/USDT", INT64_MIN, INT64_MAX, &out, &err),
        QF_OK);
    cr_assert_eq(
        qf_store_query_orderbook(st, "coinbase", "BTC/USDT", INT64_MIN, INT64_MAX, &out, &err),
        QF_OK);
    cr_assert_eq(qf_store_query_orderbook(st, "binance", "BTC/USDT", T0 + 1, T0, &out, &err),
                 QF_OK);
    cr_expect_eq(out.n, 2, "appends, and nothing for other markets or an empty range");
    qf_books_cleanup(&out);
    /* What plain SQL sees: top of book in its columns, NULL for an empty side. */
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM orderbook_snapshots WHERE time = %lld AND best_bid = "
             "93105.12345678901 AND best_ask_qty = 2.0 / 3.0 AND json_array_length(bids) = 4 AND "
             "json_array_length(asks) = 3",
             (long long)(T0 + 2000));
    cr_expect_eq(td_sql_int(db, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM orderbook_snapshots WHERE time = %lld AND best_bid IS NULL AND "
             "best_bid_qty IS NULL AND bids = '[]' AND best_ask = 93105.12345678903",
             (long long)(T0 + 1000));
    cr_expect_eq(td_sql_int(db, sql), 1);
}

Test(sqlite_orderbook, reinsert_is_idempotent)
{
    qf_book in[] = {snap(T0, 4, 3), snap(T0 + 1000, 2, 2), snap(T0 + 2000, 1, 1)};
    qf_upsert_stats stats;
    qf_err err;
    cr_assert_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", in, 3, &stats, &err), QF_OK);
    uint64_t before = table_checksum();
    int64_t max_id = td_sql_int(db, "SELECT max(id) FROM orderbook_snapshots");
    cr_assert_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", in, 3, &stats, &err), QF_OK);
    cr_expect_eq(stats.inserted, 0);
    cr_expect_eq(stats.updated, 0);
    cr_expect_eq(stats.unchanged, 3);
    cr_expect_eq(table_checksum(), before, "a re-insert rewrote something");
    cr_expect_eq(td_sql_int(db, "SELECT max(id) FROM orderbook_snapshots"), max_id);
    /* One changed quantity and one new snapshot. */
    qf_book_level moved[] = {{93105.12345678901, 2.5}};
    qf_book again[] = {
        snap(T0 + 1000, 2, 2), {T0 + 2000, moved, 1, asks, 1}, snap(T0 + 3000, 1, 1)};
    cr_assert_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", again, 3, &stats, &err),
                 QF_OK);
    cr_expect_eq(stats.inserted, 1);
    cr_expect_eq(stats.updated, 1);
    cr_expect_eq(stats.unchanged, 1);
    cr_expect_eq(rows_stored(), 4);
    cr_expect_eq(td_sql_int(db, "SELECT best_bid_qty * 10 FROM orderbook_snapshots WHERE time = "
                                "1767700802000"),
                 25);
    cr_expect_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", in, 0, &stats, &err), QF_OK);
}

/* Expects the insert of rows to fail with EINVAL and `what` in the message. */
static void expect_refused(const char *exchange, const char *symbol, const qf_book *rows, size_t n,
                           const char *what)
{
    qf_upsert_stats stats = {7, 7, 7};
    qf_err err;
    cr_expect_eq(qf_store_insert_orderbook(st, exchange, symbol, rows, n, &stats, &err), QF_EINVAL,
                 "accepted: %s", what);
    cr_expect(strstr(err.msg, what) != NULL, "'%s' not in '%s'", what, err.msg);
    cr_expect(stats.inserted == 0 && stats.updated == 0 && stats.unchanged == 0);
}

Test(sqlite_orderbook, bad_row_writes_nothing)
{
    const qf_book_level crossed[] = {{93105.2, 1}};
    const qf_book_level neg[] = {{93105.2, 1}, {93104, -0.5}};
    qf_book rows[] = {snap(T0, 2, 2), snap(T0 + 1000, 1, 1), {T0 + 2000, crossed, 1, asks, 1}};
    expect_refused("binance", "BTC/USDT", rows, 3,
                   "store: binance BTC/USDT: order book row 2 (time 1767700802000): crossed book");
    rows[2] = (qf_book){T0 + 2000, bids, 1, neg, 2};
    expect_refused("binance", "BTC/USDT", rows, 3, "row 2 (time 1767700802000): asks[1]: quantity");
    rows[2] = snap(T0, 1, 1);
    expect_refused("binance", "BTC/USDT", rows, 3, "order book time 1767700800000 appears twice");
    rows[2] = snap(-1, 1, 1);
    expect_refused("binance", "BTC/USDT", rows, 3, "row 2: time -1 outside 1970..9999");
    expect_refused("Binance", "BTC/USDT", rows, 2, "exchange must be");
    expect_refused(NULL, "BTC/USDT", rows, 2, "exchange must be");
    expect_refused("binance", "BTCUSDT", rows, 2, "store");
    expect_refused("binance", NULL, rows, 2, "symbol missing");
    expect_refused("binance", "BTC/USDT", NULL, 2, "without rows");
    cr_expect_eq(rows_stored(), 0);
    qf_err err;
    cr_expect_eq(qf_store_insert_orderbook(NULL, "binance", "BTC/USDT", rows, 2, NULL, &err),
                 QF_EINVAL);
    cr_expect_eq(qf_store_query_orderbook(st, "binance", "BTC/USDT", 0, 1, NULL, &err), QF_EINVAL);
    /* The same rows, fixed, go in whole. */
    rows[2] = snap(T0 + 2000, 1, 1);
    cr_expect_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", rows, 3, NULL, &err), QF_OK);
    cr_expect_eq(rows_stored(), 3);
}

Test(sqlite_orderbook, readonly_handle_refused)
{
    qf_book one = snap(T0, 2, 2);
    qf_err err;
    cr_assert_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", &one, 1, NULL, &err), QF_OK);
    qf_store *ro = NULL;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &ro, &err), QF_OK, "%s", err.msg);
    qf_book two = snap(T0 + 1000, 1, 1);
    qf_upsert_stats stats = {7, 7, 7};
    cr_expect_eq(qf_store_insert_orderbook(ro, "binance", "BTC/USDT", &two, 1, &stats, &err),
                 QF_ESTORE);
    cr_expect(strstr(err.msg, "readonly") != NULL, "%s", err.msg);
    cr_expect_eq(stats.inserted + stats.updated + stats.unchanged, 0);
    qf_books out;
    qf_books_init(&out);
    cr_expect_eq(
        qf_store_query_orderbook(ro, "binance", "BTC/USDT", INT64_MIN, INT64_MAX, &out, &err),
        QF_OK, "%s", err.msg);
    cr_expect_eq(out.n, 1);
    qf_books_cleanup(&out);
    qf_store_close(ro);
    cr_expect_eq(rows_stored(), 1);
}

/* Stores one row with plain SQLite, as another program might. */
static void raw_row(int64_t id, int64_t t, const char *best, const char *bids_sql,
                    const char *asks_sql)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO orderbook_snapshots(id, exchange, symbol, time, best_bid, best_bid_qty, "
             "best_ask, best_ask_qty, bids, asks) VALUES (%lld, 'binance', 'BTC/USDT', %lld, %s, "
             "%s, %s)",
             (long long)id, (long long)t, best, bids_sql, asks_sql);
    td_sql(db, sql);
}

/* Expects the query to fail with EPARSE, every `what` in the message, and
 * out left with the one snapshot it held before. */
static void expect_parse_error(const char *const *what, size_t n_what)
{
    qf_books out;
    qf_books_init(&out);
    qf_book keep = snap(1, 1, 1);
    qf_err err;
    cr_assert_eq(qf_books_push(&out, &keep, &err), QF_OK);
    cr_expect_eq(
        qf_store_query_orderbook(st, "binance", "BTC/USDT", INT64_MIN, INT64_MAX, &out, &err),
        QF_EPARSE, "%s", err.msg);
    for (size_t i = 0; i < n_what; i++)
        cr_expect(strstr(err.msg, what[i]) != NULL, "'%s' not in '%s'", what[i], err.msg);
    cr_expect_eq(out.n, 1);
    cr_expect_eq(out.n_levels, 2);
    cr_expect_eq(out.v[0].bids[0].price, bids[0].price);
    qf_books_cleanup(&out);
}

Test(sqlite_orderbook, malformed_rows_are_named)
{
    qf_book good = snap(T0, 2, 2);
    qf_err err;
    cr_assert_eq(qf_store_insert_orderbook(st, "binance", "BTC/USDT", &good, 1, NULL, &err), QF_OK);
    raw_row(41, T0 + 1000, "93100, 1, 93101, 1", "'[[93100, 1], '", "'[[93101, 1]]'");
    const char *w1[] = {db, "orderbook_snapshots id 41 (time 1767700801000): bids: not JSON"};
    expect_parse_error(w1, 2);
    td_sql(db, "DELETE FROM orderbook_snapshots WHERE id = 41");
    raw_row(42, T0 + 1000, "NULL, NULL, NULL, NULL", "'[[93100, 1]]'", "'[[93101]]'");
    const char *w2[] = {"id 42", "asks: level 0 is not a [price, qty] pair"};
    expect_parse_error(w2, 2);
    td_sql(db, "UPDATE orderbook_snapshots SET asks = '[[\"93101\", 1]]' WHERE id = 42");
    const char *w3[] = {"id 42", "asks: level 0: price and qty must be numbers"};
    expect_parse_error(w3, 2);
    td_sql(db, "UPDATE orderbook_snapshots SET asks = '{\"p\": 1}' WHERE id = 42");
    const char *w4[] = {"id 42", "asks: not a JSON array"};
    expect_parse_error(w4, 2);
    /* Well-formed JSON, but a crossed book. */
    td_sql(db, "UPDATE orderbook_snapshots SET asks = '[[93000, 1]]' WHERE id = 42");
    const char *w5[] = {"id 42 (time 1767700801000): crossed book"};
    expect_parse_error(w5, 1);
    /* NULL JSON: top of book from the best columns (or an empty side). */
    td_sql(db, "UPDATE orderbook_snapshots SET bids = NULL, asks = NULL, best_bid = 93100, "
               "best_bid_qty = 3, best_ask = 93101, best_ask_qty = 1 WHERE id = 42");
    qf_books out;
    qf_books_init(&out);
    cr_assert_eq(
        qf_store_query_orderbook(st, "binance", "BTC/USDT", INT64_MIN, INT64_MAX, &out, &err),
        QF_OK, "%s", err.msg);
    cr_assert_eq(out.n, 2);
    cr_expect(out.v[1].n_bids == 1 && out.v[1].bids[0].qty == 3 && out.v[1].asks[0].price == 93101);
    qf_books_cleanup(&out);
    td_sql(db, "UPDATE orderbook_snapshots SET best_ask = NULL WHERE id = 42");
    cr_assert_eq(
        qf_store_query_orderbook(st, "binance", "BTC/USDT", INT64_MIN, INT64_MAX, &out, &err),
        QF_OK, "%s", err.msg);
    cr_expect(out.v[1].n_bids == 1 && out.v[1].n_asks == 0);
    qf_books_cleanup(&out);
}

Test(sqlite_orderbook, levels_codec)
{
    char *text = NULL;
    qf_err err;
    cr_assert_eq(qf_store_book_levels_format(bids, 4, &text, &err), QF_OK);
    static qf_book_level got[QF_BOOK_LEVELS_MAX];
    size_t n = 0;
    cr_assert_eq(qf_store_book_levels_parse(text, strlen(text), got, &n, &err), QF_OK, "%s: %s",
                 text, err.msg);
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < 4; i++)
        cr_expect(same_bits(got[i].price, bids[i].price) && same_bits(got[i].qty, bids[i].qty),
                  "%s", text);
    free(text);
    cr_assert_eq(qf_store_book_levels_format(NULL, 0, &text, &err), QF_OK);
    cr_expect_str_eq(text, "[]");
    free(text);
    /* Integers, spaces and a text without its NUL are fine. */
    const char *ok = "[ [1, 2], [0.5,3e2] ]xyz";
    cr_assert_eq(qf_store_book_levels_parse(ok, strlen(ok) - 3, got, &n, &err), QF_OK, "%s",
                 err.msg);
    cr_expect(n == 2 && got[0].price == 1 && got[1].qty == 300);
    const char *bad[] = {"",      "[",     "[[1,2]",     "[[1,2,3]]",
                         "[[1]]", "[1,2]", "[[1,null]]", "[[true,1]]",
                         "{}",    "\"x\"", "[[1,2]] [",  "[[1e999,1]]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(qf_store_book_levels_parse(bad[i], strlen(bad[i]), got, &n, &err), QF_EPARSE,
                     "accepted '%s'", bad[i]);
    /* More levels than a side may hold. */
    size_t big = (QF_BOOK_LEVELS_MAX + 1) * 6 + 2;
    char *many = malloc(big + 1);
    size_t len = 0;
    many[len++] = '[';
    for (int i = 0; i <= QF_BOOK_LEVELS_MAX; i++)
        len += (size_t)snprintf(many + len, big + 1 - len, "%s[1,1]", i > 0 ? "," : "");
    many[len++] = ']';
    cr_expect_eq(qf_store_book_levels_parse(many, len, got, &n, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "5001 levels, at most 5000") != NULL, "%s", err.msg);
    free(many);
}
