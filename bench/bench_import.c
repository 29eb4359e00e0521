/*
 * bench_import.c - throughput of `quantflow import`: the bundled real BTC/USDT
 * 4h candles, tiled x1, x10 and x100 (each copy shifted past the previous one
 * in time), written as CSV, then (a) parsed and checked only and (b) imported
 * into a fresh SQLite file, and (c) re-imported (every row unchanged).
 * Prints a table; figures go to bench/RESULTS.md by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "market/import.h"
#include "store/store.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Writes `tiles` copies of the series to path, shifting each copy by the
 * series' span plus one bar so open times stay unique and aligned. */
static int write_tiled(const qf_candles *c, int tiles, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    const int64_t bar = 4 * 3600000LL;
    int64_t span = c->v[c->n - 1].open_time - c->v[0].open_time + bar;
    fputs("open_time,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,"
          "taker_buy_quote\n",
          f);
    for (int t = 0; t < tiles; t++) {
        for (size_t i = 0; i < c->n; i++) {
            const qf_candle *k = &c->v[i];
            int64_t ot = k->open_time + t * span;
            fprintf(f, "%lld,%.17g,%.17g,%.17g,%.17g,%.17g,%lld,,,,\n", (long long)ot, k->open,
                    k->high, k->low, k->close, k->volume, (long long)(ot + bar - 1));
        }
    }
    return fclose(f);
}

static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon != NULL) {
                snprintf(buf, size, "%s", colon + 2);
                buf[strcspn(buf, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}

int main(void)
{
    qf_candles base;
    qf_candles_init(&base);
    qf_err err;
    if (qf_import_read(QF_SOURCE_DIR "/data/BTCUSDT-4h.csv", NULL, &base, NULL, &err) != QF_OK) {
        fprintf(stderr, "bench_import: %s\n", err.msg);
        return 1;
    }
    char dir[] = "/tmp/qfbench-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char cpu[128];
    cpu_model(cpu, sizeof cpu);
    printf("machine: %ld cores, %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu);
    printf("%-6s %10s %16s %18s %18s\n", "tiles", "rows", "parse rows/s", "import rows/s",
           "re-import rows/s");
    static const int tiles[] = {1, 10, 100};
    int status = 0;
    for (size_t k = 0; k < sizeof tiles / sizeof tiles[0]; k++) {
        char csv[128], db[128];
        snprintf(csv, sizeof csv, "%s/BTCUSDT-4h.csv", dir);
        snprintf(db, sizeof db, "%s/bench-%d.db", dir, tiles[k]);
        if (write_tiled(&base, tiles[k], csv) != 0)
            return 1;
        qf_candles tmp;
        qf_candles_init(&tmp);
        double t0 = now();
        qf_rc rc = qf_import_read(csv, NULL, &tmp, NULL, &err);
        double t_parse = now() - t0;
        size_t rows = tmp.n;
        qf_candles_cleanup(&tmp);
        qf_store *s = NULL;
        if (rc == QF_OK)
            rc = qf_store_open_sqlite(db, &s, &err);
        if (rc == QF_OK)
            rc = qf_store_migrate(s, NULL, &err);
        qf_import_report r1, r2;
        if (rc == QF_OK)
            rc = qf_import_file(s, csv, NULL, &r1, &err);
        if (rc == QF_OK)
            rc = qf_import_file(s, csv, NULL, &r2, &err);
        qf_store_close(s);
        if (rc != QF_OK) {
            fprintf(stderr, "bench_import: %s\n", err.msg);
            status = 1;
            break;
        }
        printf("%-6d %10zu %16.0f %18.0f %18.0f\n", tiles[k], rows, (double)rows / t_parse,
               (double)rows / r1.seconds, (double)rows / r2.seconds);
        unlink(csv);
    }
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_import: could not remove %s\n", dir);
    qf_candles_cleanup(&base);
    return status;
}
