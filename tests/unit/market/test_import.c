/* Tests of importing kline CSV files into a real SQLite store: idempotency,
 * strict mode, and consistency after the importer is killed mid-way. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "market/import.h"
#include "store/store.h"
#include "testutil.h"

#define BTC QF_SOURCE_DIR "/data/BTCUSDT-4h.csv"

static char *dir;
static char db[600];

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(db, sizeof db, "%s/qf.db", dir);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(import, .init = setup, .fini = teardown);

static qf_store *open_store(void)
{
    qf_store *s = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &s, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(s, NULL, &err), QF_OK, "%s", err.msg);
    return s;
}

static const qf_series_key btc = {"binance", "BTC/USDT", "4h"};

static void load_all(qf_store *s, qf_candles *out)
{
    qf_err err;
    qf_candles_init(out);
    cr_assert_eq(qf_store_query_candles(s, &btc, INT64_MIN, INT64_MAX, 0, out, &err), QF_OK, "%s",
                 err.msg);
}

Test(import, bundled_file_twice_changes_nothing)
{
    qf_store *s = open_store();
    qf_import_report r1, r2;
    qf_err err;
    cr_assert_eq(qf_import_file(s, BTC, NULL, &r1, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(r1.inserted, 18370);
    cr_assert_eq(r1.updated + r1.unchanged, 0);
    qf_candles a, b;
    load_all(s, &a);
    cr_assert_eq(a.n, 18370);
    cr_assert_eq(qf_import_file(s, BTC, NULL, &r2, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(r2.inserted, 0);
    cr_assert_eq(r2.updated, 0);
    cr_assert_eq(r2.unchanged, 18370);
    load_all(s, &b);
    cr_assert_eq(b.n, a.n);
    for (size_t i = 0; i < a.n; i++) {
        cr_assert_eq(a.v[i].open_time, b.v[i].open_time);
        cr_assert_eq(a.v[i].open, b.v[i].open);
        cr_assert_eq(a.v[i].high, b.v[i].high);
        cr_assert_eq(a.v[i].low, b.v[i].low);
        cr_assert_eq(a.v[i].close, b.v[i].close);
        cr_assert_eq(a.v[i].volume, b.v[i].volume);
    }
    /* Values survive the round trip exactly: compare with the file itself. */
    qf_candles f;
    qf_candles_init(&f);
    cr_assert_eq(qf_import_read(BTC, NULL, &f, NULL, &err), QF_OK);
    for (size_t i = 0; i < f.n; i++)
        cr_assert(f.v[i].close == a.v[i].close && f.v[i].volume == a.v[i].volume);
    qf_series_info *infos = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_series(s, &infos, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_eq(infos[0].count, 18370);
    cr_assert_eq(infos[0].gaps, 8);
    cr_assert_eq(infos[0].missing_bars, 16);
    free(infos);
    qf_candles_cleanup(&a);
    qf_candles_cleanup(&b);
    qf_candles_cleanup(&f);
    qf_store_close(s);
}

Test(import, strict_bad_row_writes_nothing)
{
    const char *text = "open_time,open,high,low,close,volume\n"
                       "1502942400000,4261.48,4349.99,4261.32,4349.99,82.088865\n"
                       "1502956800000,4333.32,4485.39,4333.32,4427.3,-1\n";
    char *path = qf_test_write_file(dir, "BTCUSDT-4h.csv", text, strlen(text));
    qf_store *s = open_store();
    qf_import_options opt = {.strict = 1};
    qf_err err;
    cr_assert_eq(qf_import_file(s, path, &opt, NULL, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "BTCUSDT-4h.csv:3: volume") != NULL, "%s", err.msg);
    int64_t count = -1;
    cr_assert_eq(qf_store_count_candles(s, &btc, &count, &err), QF_OK);
    cr_assert_eq(count, 0);
    /* Lenient: the valid row is written, the bad one skipped. */
    qf_import_report rep;
    cr_assert_eq(qf_import_file(s, path, NULL, &rep, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.bad_rows, 1);
    cr_assert_eq(rep.inserted, 1);
    cr_assert_eq(qf_store_count_candles(s, &btc, &count, &err), QF_OK);
    cr_assert_eq(count, 1);
    free(path);
    qf_store_close(s);
}

static int batches_before_kill;

static void kill_after_batches(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    (void)total;
    if (done >= (size_t)batches_before_kill * 1000)
        raise(SIGKILL);
}

Test(import, killed_midway_is_consistent_and_resumable)
{
    qf_store *s = open_store();
    qf_store_close(s);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        qf_store *cs = NULL;
        qf_err cerr;
        if (qf_store_open_sqlite(db, &cs, &cerr) != QF_OK)
            _exit(3);
        batches_before_kill = 3;
        qf_import_options opt = {.batch_rows = 1000, .on_progress = kill_after_batches};
        qf_rc rc = qf_import_file(cs, BTC, &opt, NULL, &cerr);
        _exit(rc == QF_OK ? 4 : 5); /* not reached: the callback kills the process */
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
    s = open_store();
    qf_err err;
    cr_assert_eq(qf_store_integrity_check(s, &err), QF_OK, "%s", err.msg);
    int64_t count = -1;
    cr_assert_eq(qf_store_count_candles(s, &btc, &count, &err), QF_OK);
    cr_assert_eq(count, 3000, "only whole batches are committed");
    qf_import_report rep;
    cr_assert_eq(qf_import_file(s, BTC, NULL, &rep, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.inserted, 18370 - 3000);
    cr_assert_eq(rep.unchanged, 3000);
    cr_assert_eq(qf_store_count_candles(s, &btc, &count, &err), QF_OK);
    cr_assert_eq(count, 18370);
    qf_store_close(s);
}

Test(import, whole_file_error_leaves_store_unchanged)
{
    qf_store *s = open_store();
    qf_err err;
    cr_assert_eq(qf_import_file(s, BTC, NULL, NULL, &err), QF_OK, "%s", err.msg);
    char *junk = qf_test_write_file(dir, "BTCUSDT-4h.csv", "\x89PNG\r\n\x1a\n\0\0", 10);
    cr_assert_eq(qf_import_file(s, junk, NULL, NULL, &err), QF_EPARSE);
    int64_t count = -1;
    cr_assert_eq(qf_store_count_candles(s, &btc, &count, &err), QF_OK);
    cr_assert_eq(count, 18370);
    free(junk);
    qf_store_close(s);
}
