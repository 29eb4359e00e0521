/*
 * test_sqlite_concurrent.c - several handles and processes on one database
 * file: two handles in one process see each other's commits; two writer
 * processes serialize on the write lock (busy_timeout) without failing and
 * end with the table a single writer makes; a reader process running beside
 * a writer only ever sees whole committed batches (WAL snapshots); a
 * database migrated to a newer schema by another process is refused.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#define TD_BTC_FIXTURE
#include "store_testdata.h"

#define BAR_4H INT64_C(14400000)
#define BATCH  500

TestSuite(sqlite_concurrent, .init = td_btc_setup, .fini = td_btc_teardown);

static void upsert(qf_store *st, const qf_series_key *k, const qf_candle *rows, size_t n,
                   qf_upsert_stats *out)
{
    qf_err err;
    cr_assert_eq(qf_store_upsert_candles(st, k, rows, n, out, &err), QF_OK, "%s", err.msg);
}

static int64_t count(qf_store *st, const qf_series_key *k)
{
    int64_t c = -1;
    qf_err err;
    cr_assert_eq(qf_store_count_candles(st, k, &c, &err), QF_OK, "%s", err.msg);
    return c;
}

Test(sqlite_concurrent, two_handles_in_one_process)
{
    qf_store *a = td_open_migrated(db);
    qf_store *b = td_open_migrated(db);
    qf_series_key eth = td_key("binance", "ETH/USDT", "4h");
    upsert(a, &key, btc.v, 10000, NULL);
    cr_assert_eq(count(b, &key), 10000);
    /* b re-writes part of a's rows and adds the rest: only the rest is new. */
    qf_upsert_stats s;
    upsert(b, &key, btc.v + 5000, btc.n - 5000, &s);
    cr_assert_eq(s.inserted, TD_BTC_ROWS - 10000);
    cr_assert_eq(s.unchanged, 5000);
    upsert(b, &eth, btc.v, 100, NULL);
    cr_assert_eq(count(a, &key), TD_BTC_ROWS);
    qf_series_info *infos = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_store_list_series(a, &infos, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    free(infos);
    /* a deletes the series b created; b no longer sees it, and can recreate it. */
    cr_assert_eq(qf_store_delete_series(a, &eth, NULL, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(count(b, &eth), 0);
    upsert(b, &eth, btc.v, 100, &s);
    cr_assert_eq(s.inserted, 100);
    cr_assert_eq(count(a, &eth), 100);
    qf_store_close(a);
    qf_store_close(b);
}

/* A writer process: upserts rows[first..] in BATCH-row calls, every `stride`
 * batch (so two writers interleave), then all rows once more. */
static pid_t spawn_writer(const qf_candle *rows, size_t n, size_t first, size_t stride)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid != 0)
        return pid;
    qf_store *st = NULL;
    qf_err err;
    if (qf_store_open_sqlite(db, &st, &err) != QF_OK || qf_store_migrate(st, NULL, &err) != QF_OK) {
        fprintf(stderr, "writer %zu: %s\n", first, err.msg);
        _exit(2);
    }
    for (size_t i = first * BATCH; i < n; i += stride * BATCH) {
        size_t k = n - i < BATCH ? n - i : BATCH;
        if (qf_store_upsert_candles(st, &key, rows + i, k, NULL, &err) != QF_OK) {
            fprintf(stderr, "writer %zu: %s\n", first, err.msg);
            _exit(3);
        }
    }
    if (qf_store_upsert_candles(st, &key, rows, n, NULL, &err) != QF_OK) {
        fprintf(stderr, "writer %zu: %s\n", first, err.msg);
        _exit(4);
    }
    qf_store_close(st);
    _exit(0);
}

static void wait_ok(pid_t pid)
{
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed (status %d)",
              (int)pid, status);
}

Test(sqlite_concurrent, two_writer_processes)
{
    qf_candle *rows = td_tile(&btc, 3, BAR_4H);
    size_t n = btc.n * 3;
    /* Both migrate an empty file at once, then write interleaved batches. */
    pid_t p1 = spawn_writer(rows, n, 0, 2);
    pid_t p2 = spawn_writer(rows, n, 1, 2);
    wait_ok(p1);
    wait_ok(p2);
    uint64_t sum = td_candles_checksum(db, NULL);
    cr_assert_eq(td_sql_int(db, "SELECT count(*) FROM schema_migrations"),
                 qf_store_latest_version());
    qf_store *st = td_open_migrated(db);
    qf_err err;
    cr_assert_eq(qf_store_integrity_check(st, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(count(st, &key), (int64_t)n);
    qf_store_close(st);

    char clean[160];
    snprintf(clean, sizeof clean, "%s/clean.db", dir);
    st = td_open_migrated(clean);
    upsert(st, &key, rows, n, NULL);
    qf_store_close(st);
    cr_assert_eq(td_candles_checksum(clean, NULL), sum);
    free(rows);
}

Test(sqlite_concurrent, reader_process_sees_whole_batches_only)
{
    qf_store *w = td_open_migrated(db);
    int fds[2];
    int ready[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(pipe(ready), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        /* The reader: counts with a read-only handle until the writer is
         * done; every count must be whole batches and never go down. */
        close(fds[1]);
        close(ready[0]);
        qf_store *r = NULL;
        qf_err err;
        if (qf_store_open_sqlite_readonly(db, &r, &err) != QF_OK || write(ready[1], "r", 1) != 1)
            _exit(2);
        int64_t prev = 0;
        int reads = 0;
        char c;
        for (;;) {
            int64_t now = -1;
            if (qf_store_count_candles(r, &key, &now, &err) != QF_OK)
                _exit(3);
            if ((now % BATCH != 0 && now != TD_BTC_ROWS) || now < prev)
                _exit(4);
            prev = now;
            reads++;
            if (now == TD_BTC_ROWS && read(fds[0], &c, 1) == 0)
                break;
        }
        qf_store_close(r);
        _exit(reads > 1 ? 0 : 5);
    }
    close(fds[0]);
    close(ready[1]);
    char c = 0;
    cr_assert_eq(read(ready[0], &c, 1), 1, "the reader did not start");
    close(ready[0]);
    for (size_t i = 0; i < btc.n; i += BATCH) {
        size_t k = btc.n - i < BATCH ? btc.n - i : BATCH;
        upsert(w, &key, btc.v + i, k, NULL);
    }
    close(fds[1]); /* tells the reader the writer is done */
    wait_ok(pid);
    qf_store_close(w);
}

Test(sqlite_concurrent, newer_schema_written_by_another_process_is_refused)
{
    qf_store *st = td_open_migrated(db);
    /* A newer quantflow, elsewhere, migrates the file to version + 1. */
    char sql[160];
    snprintf(sql, sizeof sql,
             "INSERT INTO schema_migrations VALUES (%d, 'next', '2030-01-01T00:00:00Z')",
             qf_store_latest_version() + 1);
    td_sql(db, sql);
    int applied = -1;
    qf_err err;
    cr_assert_eq(qf_store_migrate(st, &applied, &err), QF_EVERSION);
    cr_assert_eq(applied, 0);
    char want[64];
    snprintf(want, sizeof want, "schema version %d, newer than this quantflow (%d)",
             qf_store_latest_version() + 1, qf_store_latest_version());
    cr_assert(strstr(err.msg, want) != NULL, "%s", err.msg);
    int v = 0;
    cr_assert_eq(qf_store_schema_version(st, &v, &err), QF_OK);
    cr_assert_eq(v, qf_store_latest_version() + 1);
    qf_store_close(st);
    st = NULL;
    cr_assert_eq(qf_store_open_sqlite(db, &st, &err), QF_EVERSION);
    cr_assert_null(st);
}
