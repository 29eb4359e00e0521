/*
 * bench_store.c - SQLite store throughput on the bundled real candles.
 *
 * The 18,370 BTC/USDT 4h bars of data/BTCUSDT-4h.csv are tiled x1, x10 and
 * x100 (each copy shifted past the previous one, so the series just gets
 * longer and keeps the real gaps) and upserted into a fresh file database, one
 * qf_store_upsert_candles call (one transaction) per copy. Then the same rows
 * are upserted again (all unchanged), and the newest 100,000 candles (or all
 * of them when fewer) are read back with a last_n query, median of several
 * runs. Wall time and the process's CPU time are both reported: the store is
 * single-threaded, so CPU time is one core's.
 *
 * Usage: bench_store [DIR]   (scratch databases go in DIR, default $TMPDIR or
 * /tmp; use a real disk, not tmpfs, for figures worth recording).
 * Targets (issue 2): >= 500,000 candles/s imported, 100k candles read < 50 ms.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/candles.h"
#include "market/kline_csv.h"
#include "store/store.h"

#define BTC_CSV     QF_SOURCE_DIR "/data/BTCUSDT-4h.csv"
#define QUERY_N     100000
#define QUERY_RUNS  9
#define IMPORT_RUNS 3

typedef struct timer {
    struct timespec wall, cpu;
} timer;

static void timer_start(timer *t)
{
    clock_gettime(CLOCK_MONOTONIC, &t->wall);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t->cpu);
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Seconds of wall and CPU time since timer_start. */
static void timer_stop(const timer *t, double *out_wall, double *out_cpu)
{
    timer now;
    timer_start(&now);
    *out_wall = elapsed(&t->wall, &now.wall);
    *out_cpu = elapsed(&t->cpu, &now.cpu);
}

static int die(const char *what, const qf_err *err)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, err->msg);
    exit(1);
}

/* Reads the bundled CSV with the product parser. */
static void load_csv(const char *path, qf_candles *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bench_store: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    char line[1024];
    qf_kline_layout layout;
    qf_err err;
    int first = 1;
    qf_candles_init(out);
    while (fgets(line, sizeof line, f) != NULL) {
        size_t len = strcspn(line, "\n");
        if (first && qf_kline_csv_layout(line, len, &layout, &err) != QF_OK)
            die(path, &err);
        if (first && layout.has_header) {
            first = 0;
            continue;
        }
        first = 0;
        qf_candle c;
        int64_t close_time = 0;
        if (qf_kline_csv_parse_row(line, len, &layout, &c, &close_time, &err) != QF_OK)
            die(path, &err);
        if (qf_candles_push(out, &c, &err) != QF_OK)
            die(path, &err);
    }
    fclose(f);
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

static qf_store *open_fresh(const char *dir, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    qf_store *st = NULL;
    qf_err err;
    if (qf_store_open_sqlite(path, &st, &err) != QF_OK)
        die("open", &err);
    int applied = 0;
    if (qf_store_migrate(st, &applied, &err) != QF_OK)
        die("migrate", &err);
    return st;
}

/* Upserts `tiles` shifted copies of base, one call each; returns the stats
 * summed over the calls. */
static qf_upsert_stats upsert_tiles(qf_store *st, const qf_series_key *key, const qf_candles *base,
                                    int tiles, qf_candle *scratch)
{
    int64_t span = base->v[base->n - 1].open_time - base->v[0].open_time + 4 * 3600000LL;
    qf_upsert_stats sum = {0, 0, 0};
    for (int k = 0; k < tiles; k++) {
        for (size_t i = 0; i < base->n; i++) {
            scratch[i] = base->v[i];
            scratch[i].open_time += (int64_t)k * span;
        }
        qf_upsert_stats s;
        qf_err err;
        if (qf_store_upsert_candles(st, key, scratch, base->n, &s, &err) != QF_OK)
            die("upsert", &err);
        sum.inserted += s.inserted;
        sum.updated += s.updated;
        sum.unchanged += s.unchanged;
    }
    return sum;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median wall time (ms) of QUERY_RUNS last_n queries; *out_rows gets the
 * rows one query returned. */
static double query_ms(qf_store *st, const qf_series_key *key, size_t last_n, size_t *out_rows)
{
    double ms[QUERY_RUNS];
    for (int r = 0; r < QUERY_RUNS; r++) {
        qf_candles out;
        qf_candles_init(&out);
        qf_err err;
        timer t;
        double wall = 0;
        double cpu = 0;
        timer_start(&t);
        if (qf_store_query_candles(st, key, INT64_MIN, INT64_MAX, last_n, &out, &err) != QF_OK)
            die("query", &err);
        timer_stop(&t, &wall, &cpu);
        ms[r] = wall * 1e3;
        *out_rows = out.n;
        qf_candles_cleanup(&out);
    }
    qsort(ms, QUERY_RUNS, sizeof ms[0], cmp_double);
    return ms[QUERY_RUNS / 2];
}

static void check_stats(const char *what, qf_upsert_stats s, int64_t inserted, int64_t unchanged)
{
    if (s.inserted != inserted || s.updated != 0 || s.unchanged != unchanged) {
        fprintf(
            stderr,
            "bench_store: %s: inserted %lld updated %lld unchanged %lld, expected %lld/0/%lld\n",
            what, (long long)s.inserted, (long long)s.updated, (long long)s.unchanged,
            (long long)inserted, (long long)unchanged);
        exit(1);
    }
}

typedef struct result {
    double import_wall, import_cpu; /* best of IMPORT_RUNS, seconds */
    double again_wall, again_cpu;
    double query_ms;
    size_t query_rows;
    long long file_bytes;
} result;

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static void run_tiles(const char *dir, const qf_candles *base, int tiles, qf_candle *scratch,
                      result *res)
{
    qf_series_key key;
    memset(&key, 0, sizeof key);
    snprintf(key.exchange, sizeof key.exchange, "binance");
    snprintf(key.symbol, sizeof key.symbol, "BTC/USDT");
    snprintf(key.timeframe, sizeof key.timeframe, "4h");
    int64_t rows = (int64_t)base->n * tiles;
    memset(res, 0, sizeof *res);
    for (int run = 0; run < IMPORT_RUNS; run++) {
        char name[64];
        char path[4200];
        snprintf(name, sizeof name, "x%d-%d.db", tiles, run);
        qf_store *st = open_fresh(dir, name, path, sizeof path);
        timer t;
        double wall = 0;
        double cpu = 0;
        timer_start(&t);
        qf_upsert_stats s = upsert_tiles(st, &key, base, tiles, scratch);
        timer_stop(&t, &wall, &cpu);
        check_stats("import", s, rows, 0);
        if (run == 0 || wall < res->import_wall) {
            res->import_wall = wall;
            res->import_cpu = cpu;
        }
        timer_start(&t);
        s = upsert_tiles(st, &key, base, tiles, scratch);
        timer_stop(&t, &wall, &cpu);
        check_stats("re-upsert", s, 0, rows);
        if (run == 0 || wall < res->again_wall) {
            res->again_wall = wall;
            res->again_cpu = cpu;
        }
        if (run == IMPORT_RUNS - 1)
            res->query_ms = query_ms(st, &key, QUERY_N, &res->query_rows);
        qf_store_close(st); /* checkpoints the WAL into the file */
        res->file_bytes = file_size(path);
    }
}

int main(int argc, char **argv)
{
    const char *base_dir = argc > 1 ? argv[1] : getenv("TMPDIR");
    if (base_dir == NULL || base_dir[0] == '\0')
        base_dir = "/tmp";
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/qf-bench-store-XXXXXX", base_dir);
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "bench_store: mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    qf_candles base;
    load_csv(BTC_CSV, &base);
    qf_candle *scratch = malloc(base.n * sizeof *scratch);
    if (scratch == NULL || base.n == 0) {
        fprintf(stderr, "bench_store: no data\n");
        return 1;
    }
    static const int tiles[] = {1, 10, 100};
    printf("SQLite store, %zu real BTC/USDT 4h candles tiled; one upsert call per copy; "
           "best of %d imports, query median of %d\n",
           base.n, IMPORT_RUNS, QUERY_RUNS);
    printf("%-6s %10s %14s %10s %16s %10s %12s %10s %9s\n", "tiles", "candles", "import rows/s",
           "cpu s", "re-upsert rows/s", "cpu s", "query rows", "query ms", "DB MiB");
    for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++) {
        result r;
        run_tiles(dir, &base, tiles[i], scratch, &r);
        double rows = (double)base.n * tiles[i];
        printf("x%-5d %10.0f %14.0f %10.3f %16.0f %10.3f %12zu %10.2f %9.1f\n", tiles[i], rows,
               rows / r.import_wall, r.import_cpu, rows / r.again_wall, r.again_cpu, r.query_rows,
               r.query_ms, (double)r.file_bytes / 1048576.0);
        fflush(stdout);
    }
    free(scratch);
    qf_candles_cleanup(&base);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
