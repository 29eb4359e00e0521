/*
 * test_backfill.c - qf_backfill over real HTTP against the mock exchange and
 * a real SQLite store: the stored rows equal data/BTCUSDT-4h.csv exactly over
 * the range, the forming bar is not stored, a re-run inserts nothing, a run
 * killed mid-way resumes to the complete series, and injected faults never
 * leave a wrong row.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/time.h"
#include "market/backfill.h"
#include "mock/mock_exchange.h"
#include "store/store.h"
#include "testutil.h"

#define H4     (4 * QF_MS_PER_HOUR)
#define SINCE  INT64_C(1685577600000) /* 2023-06-01T00:00:00Z: 3 pages and a bit */
#define SYMBOL "BTC/USDT"

static qf_mock *g_mock;
static char *g_dir;
static char g_db[512];
static qf_bars g_csv;

static void setup(void)
{
    qf_err err;
    qf_mock_opts mo = {.retry_after_429_s = 1, .ban_seconds = 1};
    cr_assert_eq(qf_mock_start(&mo, &g_mock, &err), QF_OK, "%s", err.msg);
    g_dir = qf_test_tmpdir();
    setenv("QF_RATELIMIT_DIR", g_dir, 1);
    snprintf(g_db, sizeof g_db, "%s/qf.db", g_dir);
    g_csv = qf_test_bars("BTCUSDT");
}

static void teardown(void)
{
    qf_mock_stop(g_mock);
    qf_test_rmtree(g_dir);
    free(g_dir);
    qf_bars_cleanup(&g_csv);
}

TestSuite(backfill, .init = setup, .fini = teardown, .timeout = 60);

static qf_exchange *open_ex(void)
{
    qf_err err;
    qf_config cfg;
    qf_config_init(&cfg);
    qf_mock_config_urls(g_mock, &cfg);
    cfg.execution.max_retries = 2;
    qf_exchange *ex = NULL;
    cr_assert_eq(qf_exchange_open(&cfg, "binance", &ex, &err), QF_OK, "%s", err.msg);
    return ex;
}

static qf_store *open_store(void)
{
    qf_err err;
    qf_store *s = NULL;
    cr_assert_eq(qf_store_open_sqlite(g_db, &s, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(s, NULL, &err), QF_OK, "%s", err.msg);
    return s;
}

/* Progress callbacks see one call per page: after `pages` of them the run
 * stops (stop) or the process hangs (hang, for the kill test). */
typedef struct page_ctl {
    int pages, seen;
    bool hang;
    volatile sig_atomic_t stop;
} page_ctl;

static void on_page(void *ctx, const char *symbol, size_t i, size_t n, double fraction)
{
    (void)symbol, (void)i, (void)n, (void)fraction;
    page_ctl *c = ctx;
    if (c->pages <= 0 || ++c->seen < c->pages)
        return;
    if (c->hang)
        for (;;)
            pause();
    c->stop = 1;
}

static qf_rc run_backfill_ctl(page_ctl *ctl, qf_backfill_stats *st, qf_err *err)
{
    static const char *const syms[] = {SYMBOL};
    qf_exchange *ex = open_ex();
    qf_store *s = open_store();
    qf_backfill_opts o = {.symbols = syms,
                          .n_symbols = 1,
                          .timeframe = "4h",
                          .since_ms = SINCE,
                          .progress = ctl != NULL ? on_page : NULL,
                          .progress_ctx = ctl,
                          .stop = ctl != NULL ? &ctl->stop : NULL};
    qf_rc rc = qf_backfill(s, ex, &o, st, err);
    qf_store_close(s);
    qf_exchange_close(ex);
    return rc;
}

static qf_rc run_backfill(qf_backfill_stats *st, qf_err *err)
{
    return run_backfill_ctl(NULL, st, err);
}

/* Commits the first page only, so a fault queued next hits the second. */
static void first_page_only(void)
{
    page_ctl ctl = {.pages = 1};
    qf_err err;
    qf_backfill_stats st;
    cr_assert_eq(run_backfill_ctl(&ctl, &st, &err), QF_EINTR, "%s", err.msg);
    cr_assert_eq(st.inserted, 1000);
}

/* Every stored row is the CSV's row with that open_time; with `complete`,
 * the store also holds every CSV row from SINCE to the last closed bar. */
static void assert_store_matches_csv(bool complete)
{
    qf_err err;
    qf_store *s = open_store();
    qf_series_key key = {"binance", SYMBOL, "4h"};
    qf_candles c;
    qf_candles_init(&c);
    cr_assert_eq(qf_store_query_candles(s, &key, INT64_MIN, INT64_MAX, 0, &c, &err), QF_OK, "%s",
                 err.msg);
    int64_t now = qf_mock_now(g_mock);
    size_t k = 0;
    while (k < g_csv.n && g_csv.open_time[k] < SINCE)
        k++;
    size_t expected = 0;
    for (size_t j = k; j < g_csv.n && g_csv.open_time[j] + H4 <= now; j++)
        expected++;
    for (size_t i = 0; i < c.n; i++) {
        const qf_candle *r = &c.v[i];
        while (k < g_csv.n && g_csv.open_time[k] < r->open_time)
            k++;
        cr_assert(k < g_csv.n && g_csv.open_time[k] == r->open_time,
                  "stored row %zu (%lld) is not a CSV row", i, (long long)r->open_time);
        cr_assert(r->open_time + H4 <= now, "the forming bar was stored");
        cr_assert(r->open == g_csv.open[k] && r->high == g_csv.high[k] && r->low == g_csv.low[k] &&
                      r->close == g_csv.close[k] && r->volume == g_csv.volume[k],
                  "row %zu differs from the CSV", i);
    }
    if (complete)
        cr_assert_eq(c.n, expected, "stored %zu rows, the CSV has %zu", c.n, expected);
    qf_candles_cleanup(&c);
    qf_store_close(s);
}

Test(backfill, stores_exactly_the_csv_rows_and_a_rerun_inserts_nothing)
{
    qf_err err;
    qf_backfill_stats st;
    cr_assert_eq(run_backfill(&st, &err), QF_OK, "%s", err.msg);
    cr_assert(st.inserted > 3000, "%lld", (long long)st.inserted);
    cr_assert_eq(st.updated, 0);
    cr_assert(st.requests >= 4);
    cr_assert(st.weight >= 2 * st.requests);
    cr_assert_eq(st.gaps_found, st.gaps_repaired + st.gaps_real);
    assert_store_matches_csv(true);
    qf_backfill_stats again;
    cr_assert_eq(run_backfill(&again, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(again.inserted, 0);
    cr_assert_eq(again.updated, 0);
    cr_assert(again.requests <= 1 + st.gaps_real, "resumed at the end, %lld requests",
              (long long)again.requests);
    /* Time passes: the next run fetches exactly the bars that closed. */
    qf_mock_advance(g_mock, 3 * H4);
    cr_assert_eq(run_backfill(&again, &err), QF_OK, "%s", err.msg);
    cr_assert(again.inserted == 3 || again.inserted == 2, "%lld", (long long)again.inserted);
    assert_store_matches_csv(true);
}

Test(backfill, a_killed_run_resumes_to_the_complete_series)
{
    /* The child commits two pages, then hangs until it is killed. */
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        page_ctl ctl = {.pages = 2, .hang = true};
        qf_err err;
        qf_backfill_stats st;
        _exit(run_backfill_ctl(&ctl, &st, &err) == QF_OK ? 0 : 1);
    }
    qf_series_key key = {"binance", SYMBOL, "4h"};
    int64_t count = 0;
    for (int i = 0; i < 400 && count < 2000; i++) {
        struct timespec ts = {0, 25000000};
        nanosleep(&ts, NULL);
        qf_err err;
        qf_store *s = NULL;
        if (access(g_db, F_OK) == 0 && qf_store_open_sqlite_readonly(g_db, &s, &err) == QF_OK) {
            if (qf_store_count_candles(s, &key, &count, &err) != QF_OK)
                count = 0;
            qf_store_close(s);
        }
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status), "the child was killed mid-way");
    cr_assert_eq(count, 2000, "two pages committed before the kill");
    assert_store_matches_csv(false);
    qf_err err;
    qf_backfill_stats st;
    cr_assert_eq(run_backfill(&st, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(st.updated, 0);
    cr_assert(st.inserted > 0);
    assert_store_matches_csv(true);
}

Test(backfill, faults_give_errors_or_retries_never_a_wrong_row)
{
    static const qf_mock_fault_kind kinds[] = {QF_MOCK_FAULT_MALFORMED,   QF_MOCK_FAULT_TRUNCATED,
                                               QF_MOCK_FAULT_WRONG_TYPES, QF_MOCK_FAULT_HTML,
                                               QF_MOCK_FAULT_500,         QF_MOCK_FAULT_429};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        /* The fault hits the second page (the first goes through). */
        first_page_only();
        qf_mock_fault(g_mock, "/api/v3/klines", kinds[i], kinds[i] == QF_MOCK_FAULT_HTML ? 5 : 1,
                      0);
        qf_err err;
        qf_backfill_stats st;
        qf_rc rc = run_backfill(&st, &err);
        if (kinds[i] == QF_MOCK_FAULT_500 || kinds[i] == QF_MOCK_FAULT_429)
            cr_assert_eq(rc, QF_OK, "fault %zu retried: %s", i, err.msg);
        else
            cr_assert_neq(rc, QF_OK, "fault %zu must fail", i);
        if (rc != QF_OK)
            cr_assert(strstr(err.msg, "/api/v3/klines") != NULL, "%s", err.msg);
        assert_store_matches_csv(false);
        qf_mock_fault(g_mock, NULL, QF_MOCK_FAULT_NONE, 0, 0);
        qf_test_rmtree(g_db);
        char side[600];
        snprintf(side, sizeof side, "%s-wal", g_db);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", g_db);
        unlink(side);
    }
}

Test(backfill, a_ban_stops_the_run_and_the_store_stays_correct)
{
    first_page_only();
    qf_mock_fault(g_mock, "/api/v3/klines", QF_MOCK_FAULT_429, 1, 0);
    qf_mock_fault(g_mock, "/api/v3/klines", QF_MOCK_FAULT_418, 1, 0);
    qf_err err;
    qf_backfill_stats st;
    cr_assert_eq(run_backfill(&st, &err), QF_ERATELIMIT, "%s", err.msg);
    cr_assert(strstr(err.msg, "418") != NULL, "%s", err.msg);
    assert_store_matches_csv(false);
    /* After the ban (1 s here) a re-run completes the series. */
    struct timespec ts = {1, 200000000};
    nanosleep(&ts, NULL);
    cr_assert_eq(run_backfill(&st, &err), QF_OK, "%s", err.msg);
    assert_store_matches_csv(true);
}
