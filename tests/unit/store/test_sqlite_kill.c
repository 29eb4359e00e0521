/*
 * test_sqlite_kill.c - a process killed (SIGKILL) in the middle of writing
 * candles leaves a database that passes the integrity check and holds whole
 * upsert calls only: each call is one transaction, so a batch is either all
 * there or not at all, and re-running the import finishes the job.
 *
 * A child process upserts the bundled BTC candles (tiled x4, real values) in
 * batches of BATCH rows in an endless loop; the parent kills it after a
 * random few milliseconds, reopens the file and checks what is there.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#define TD_BTC_FIXTURE
#include "store_testdata.h"

#define BAR_4H INT64_C(14400000)
#define TILES  4
#define BATCH  1000
#define ROUNDS 8

static qf_candle *rows; /* btc tiled TILES times */
static size_t n_rows;

static void setup(void)
{
    td_btc_setup();
    rows = td_tile(&btc, TILES, BAR_4H);
    n_rows = btc.n * TILES;
    srand((unsigned)time(NULL));
}

static void teardown(void)
{
    free(rows);
    td_btc_teardown();
}

TestSuite(sqlite_kill, .init = setup, .fini = teardown);

/* The child: open, tell the parent, then upsert batches forever. With
 * `alternate`, even passes write close + 1 and odd passes the real close, so
 * every batch is an update of all its rows. */
static void writer_child(int ready_fd, int alternate)
{
    qf_store *st = NULL;
    qf_err err;
    if (qf_store_open_sqlite(db, &st, &err) != QF_OK || qf_store_migrate(st, NULL, &err) != QF_OK)
        _exit(2);
    qf_candle *batch = malloc(BATCH * sizeof *batch);
    if (batch == NULL || write(ready_fd, "r", 1) != 1)
        _exit(3);
    /* Inserts resume where the last killed writer stopped, so that every
     * round is killed while adding rows; then the loop starts over. Updates
     * start at a random batch, so that every round changes rows. */
    int64_t have = 0;
    if (!alternate && qf_store_count_candles(st, &key, &have, &err) != QF_OK)
        _exit(5);
    size_t start = (size_t)have / BATCH * BATCH;
    if (alternate) { /* updates start at a random batch */
        unsigned seed = (unsigned)getpid();
        start = (size_t)rand_r(&seed) % ((n_rows + BATCH - 1) / BATCH) * BATCH;
    }
    for (unsigned gen = 0;; gen++) {
        for (size_t i = gen == 0 ? start : 0; i < n_rows; i += BATCH) {
            size_t k = n_rows - i < BATCH ? n_rows - i : BATCH;
            memcpy(batch, rows + i, k * sizeof *batch);
            for (size_t j = 0; alternate && (gen & 1) == 0 && j < k; j++)
                batch[j].close += 1;
            if (qf_store_upsert_candles(st, &key, batch, k, NULL, &err) != QF_OK)
                _exit(4);
        }
    }
}

/* Starts the writer, kills it after 2..20 ms; asserts it was killed (not
 * failed on its own). */
static void run_and_kill(int alternate)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(fds[0]);
        writer_child(fds[1], alternate);
    }
    close(fds[1]);
    char c = 0;
    cr_assert_eq(read(fds[0], &c, 1), 1, "the writer did not start");
    close(fds[0]);
    struct timespec ts = {0, (long)(2 + rand() % 19) * 1000000L};
    nanosleep(&ts, NULL);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "the writer ended on its own (status %d)", status);
}

static void read_all(qf_store *st, qf_candles *out)
{
    qf_err err;
    qf_candles_init(out);
    cr_assert_eq(qf_store_query_candles(st, &key, INT64_MIN, INT64_MAX, 0, out, &err), QF_OK, "%s",
                 err.msg);
}

static qf_store *reopen_checked(void)
{
    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &st, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_integrity_check(st, &err), QF_OK, "%s", err.msg);
    return st;
}

Test(sqlite_kill, killed_inserts_leave_whole_batches_and_resume)
{
    size_t prev = 0;
    for (int round = 0; round < ROUNDS; round++) {
        run_and_kill(0);
        qf_store *st = reopen_checked();
        qf_candles got;
        read_all(st, &got);
        /* A prefix of the sequence ending on a batch boundary. */
        cr_assert(got.n % BATCH == 0 || got.n == n_rows, "round %d: %zu rows is not whole batches",
                  round, got.n);
        cr_assert_geq(got.n, prev, "round %d: rows were lost", round);
        for (size_t i = 0; i < got.n; i++)
            cr_assert(got.v[i].open_time == rows[i].open_time && got.v[i].close == rows[i].close &&
                          got.v[i].volume == rows[i].volume,
                      "round %d: row %zu differs", round, i);
        prev = got.n;
        cr_log_info("round %d: %zu of %zu rows", round, got.n, n_rows);
        qf_candles_cleanup(&got);
        qf_store_close(st);
    }
    /* Re-running the import to the end completes it: the table is the one a
     * clean import makes. */
    qf_store *st = reopen_checked();
    qf_upsert_stats s;
    qf_err err;
    cr_assert_eq(qf_store_upsert_candles(st, &key, rows, n_rows, &s, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(s.inserted, (int64_t)(n_rows - prev));
    cr_assert_eq(s.updated, 0);
    qf_store_close(st);
    uint64_t sum = td_candles_checksum(db, NULL);

    char clean[160];
    snprintf(clean, sizeof clean, "%s/clean.db", dir);
    st = td_open_migrated(clean);
    cr_assert_eq(qf_store_upsert_candles(st, &key, rows, n_rows, NULL, &err), QF_OK, "%s", err.msg);
    qf_store_close(st);
    cr_assert_eq(td_candles_checksum(clean, NULL), sum);
}

Test(sqlite_kill, killed_updates_leave_each_batch_all_old_or_all_new)
{
    qf_store *st = td_open_migrated(db);
    qf_err err;
    cr_assert_eq(qf_store_upsert_candles(st, &key, rows, n_rows, NULL, &err), QF_OK, "%s", err.msg);
    qf_store_close(st);
    for (int round = 0; round < ROUNDS; round++) {
        run_and_kill(1);
        st = reopen_checked();
        qf_candles got;
        read_all(st, &got);
        cr_assert_eq(got.n, n_rows);
        size_t new_batches = 0;
        for (size_t b = 0; b < n_rows; b += BATCH) {
            size_t k = n_rows - b < BATCH ? n_rows - b : BATCH;
            size_t bumped = 0;
            for (size_t j = b; j < b + k; j++) {
                cr_assert_eq(got.v[j].open_time, rows[j].open_time);
                cr_assert(got.v[j].close == rows[j].close || got.v[j].close == rows[j].close + 1,
                          "row %zu: close %.17g", j, got.v[j].close);
                bumped += got.v[j].close != rows[j].close;
            }
            cr_assert(bumped == 0 || bumped == k,
                      "round %d: batch at row %zu half written (%zu of %zu rows updated)", round, b,
                      bumped, k);
            new_batches += bumped > 0;
        }
        cr_log_info("round %d: %zu batches with close + 1", round, new_batches);
        qf_candles_cleanup(&got);
        qf_store_close(st);
    }
}
