/* Tests of reading and checking kline CSV files (qf_import_read), on the
 * bundled real candles and on deliberately broken files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "market/import.h"
#include "testutil.h"

#define DATA QF_SOURCE_DIR "/data/"
#define HEADER                                                                                     \
    "open_time,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,"          \
    "taker_buy_quote\n"
/* Real consecutive 4h bars from data/BTCUSDT-4h.csv (lines 2-4). */
#define ROW1 "1502942400000,4261.48,4349.99,4261.32,4349.99,82.088865,1502956799999,,,,\n"
#define ROW2 "1502956800000,4333.32,4485.39,4333.32,4427.3,63.619882,1502971199999,,,,\n"
#define ROW3 "1502971200000,4436.06,4485.39,4333.42,4352.34,174.562001,1502985599999,,,,\n"

static char *dir;

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(import_read, .init = setup, .fini = teardown);

typedef struct bad_log {
    int n;
    char last[512];
} bad_log;

static void log_bad(void *ctx, const char *msg)
{
    bad_log *b = ctx;
    b->n++;
    snprintf(b->last, sizeof b->last, "%s", msg);
}

static qf_rc read_text(const char *name, const char *text, int strict, qf_candles *out,
                       qf_import_report *rep, bad_log *bad, qf_err *err)
{
    char *path = qf_test_write_file(dir, name, text, strlen(text));
    qf_import_options opt = {.strict = strict, .on_bad_row = log_bad, .ctx = bad};
    qf_rc rc = qf_import_read(path, &opt, out, rep, err);
    free(path);
    return rc;
}

Test(import_read, bundled_btc_4h)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_import_report rep;
    qf_err err;
    cr_assert_eq(qf_import_read(DATA "BTCUSDT-4h.csv", NULL, &c, &rep, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(rep.key.exchange, "binance");
    cr_assert_str_eq(rep.key.symbol, "BTC/USDT");
    cr_assert_str_eq(rep.key.timeframe, "4h");
    cr_assert_eq(rep.rows_read, 18370);
    cr_assert_eq(rep.valid, 18370);
    cr_assert_eq(rep.bad_rows, 0);
    cr_assert_eq(rep.duplicates, 0);
    cr_assert_eq(rep.unsorted, 0);
    /* shared/data/README.md: 8 gaps, 16 missing bars, the first 7 bars from
     * 2018-02-08 04:00 (the long maintenance of Feb 2018). */
    cr_assert_eq(rep.gaps, 8);
    cr_assert_eq(rep.missing_bars, 16);
    char iso[QF_ISO_MAX];
    cr_assert_str_eq(qf_time_format_iso(rep.gap_first_missing[0], iso, sizeof iso),
                     "2018-02-08T04:00:00Z");
    cr_assert_eq(rep.gap_bars[0], 7);
    cr_assert_str_eq(qf_time_format_iso(rep.first_open_time, iso, sizeof iso),
                     "2017-08-17T04:00:00Z");
    cr_assert_str_eq(qf_time_format_iso(rep.last_open_time, iso, sizeof iso),
                     "2026-01-06T08:00:00Z");
    /* Known price: the all-time high of 69,000.00 in the bar 2021-11-10 12:00. */
    double max_high = 0;
    int64_t at = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (c.v[i].high > max_high) {
            max_high = c.v[i].high;
            at = c.v[i].open_time;
        }
    }
    cr_assert(max_high >= 69000.0);
    int64_t ath = qf_time_from_civil(2021, 11, 10, 12, 0, 0, 0);
    int found = 0;
    for (size_t i = 0; i < c.n; i++)
        found |= c.v[i].open_time == ath && c.v[i].high == 69000.0;
    cr_assert(found);
    (void)at;
    qf_candles_cleanup(&c);
}

Test(import_read, bundled_sol_no_gaps)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_import_report rep;
    qf_err err;
    cr_assert_eq(qf_import_read(DATA "SOLUSDT-4h.csv", NULL, &c, &rep, &err), QF_OK, "%s", err.msg);
    cr_assert_str_eq(rep.key.symbol, "SOL/USDT");
    cr_assert_eq(c.n, 11846);
    cr_assert_eq(rep.gaps, 0);
    /* FTX week low of 12.37 on 2022-11-09. */
    double low = 1e9;
    int64_t day = qf_time_from_civil(2022, 11, 9, 0, 0, 0, 0);
    for (size_t i = 0; i < c.n; i++)
        if (c.v[i].open_time >= day && c.v[i].open_time < day + QF_MS_PER_DAY)
            low = fmin(low, c.v[i].low);
    cr_assert_eq(low, 12.37);
    qf_candles_cleanup(&c);
}

Test(import_read, series_from_names)
{
    qf_series_key k;
    qf_err err;
    cr_assert_eq(qf_import_series_from_name("/x/AVAXUSDT-4h.csv", NULL, &k, &err), QF_OK);
    cr_assert_str_eq(k.symbol, "AVAX/USDT");
    cr_assert_eq(qf_import_series_from_name("BTCUSDT-1h-2024-01.csv", NULL, &k, &err), QF_OK);
    cr_assert_str_eq(k.symbol, "BTC/USDT");
    cr_assert_str_eq(k.timeframe, "1h");
    cr_assert_eq(qf_import_series_from_name("ETH_BTC-1d.csv", NULL, &k, &err), QF_OK);
    cr_assert_str_eq(k.symbol, "ETH/BTC");
    cr_assert_eq(qf_import_series_from_name("candles.csv", NULL, &k, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "--symbol") != NULL, "%s", err.msg);
    cr_assert_eq(qf_import_series_from_name("BTCUSDT-7h.csv", NULL, &k, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "7h") != NULL, "%s", err.msg);
    qf_import_options opt = {.symbol = "SOL/USDC", .timeframe = "1d", .exchange = "coinbase"};
    cr_assert_eq(qf_import_series_from_name("whatever.csv", &opt, &k, &err), QF_OK);
    cr_assert_str_eq(k.symbol, "SOL/USDC");
    cr_assert_str_eq(k.exchange, "coinbase");
    opt.symbol = "SOLUSDC";
    cr_assert_eq(qf_import_series_from_name("whatever.csv", &opt, &k, &err), QF_EINVAL);
}

Test(import_read, whole_file_errors)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_import_report rep;
    qf_err err;
    bad_log bad = {0};
    char path[600];
    snprintf(path, sizeof path, "%s/BTCUSDT-4h.csv", dir);
    cr_assert_eq(qf_import_read(path, NULL, &c, &rep, &err), QF_EIO);
    cr_assert(strstr(err.msg, "No such file") != NULL, "%s", err.msg);
    snprintf(path, sizeof path, "%s/ETHUSDT-4h.csv", dir);
    cr_assert_eq(system("mkdir -p \"$TMPDIR\" 2>/dev/null; true"), 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir '%s'", path);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(qf_import_read(path, NULL, &c, &rep, &err), QF_EIO);
    cr_assert(strstr(err.msg, "directory") != NULL, "%s", err.msg);
    cr_assert_eq(read_text("SOLUSDT-4h.csv", "", 0, &c, &rep, &bad, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "empty file") != NULL, "%s", err.msg);
    cr_assert_eq(read_text("SOLUSDT-4h.csv", HEADER, 0, &c, &rep, &bad, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "no data rows") != NULL, "%s", err.msg);
    char *junk = qf_test_write_file(dir, "BNBUSDT-4h.csv",
                                    "\x7f"
                                    "ELF\x02\x01\x01\0\0\0",
                                    10);
    cr_assert_eq(qf_import_read(junk, NULL, &c, &rep, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "binary") != NULL, "%s", err.msg);
    free(junk);
    cr_assert_eq(read_text("XRPUSDT-4h.csv", "time;price\n1;2\n", 0, &c, &rep, &bad, &err),
                 QF_EPARSE);
    cr_assert(strstr(err.msg, "XRPUSDT-4h.csv:1") != NULL, "%s", err.msg);
    cr_assert_eq(c.n, 0, "nothing may be appended on a whole-file error");
    qf_candles_cleanup(&c);
}

Test(import_read, bad_rows_lenient_and_strict)
{
    /* Line 3: high below close; line 4: truncated; line 5: header again. */
    const char *text = HEADER ROW1 "1502956800000,4308.83,4300.00,4291.37,4315.32,23.2,"
                                   "1502971199999,,,,\n"
                                   "1502971200000,4330.29,4345\n" HEADER ROW3;
    qf_candles c;
    qf_candles_init(&c);
    qf_import_report rep;
    qf_err err;
    bad_log bad = {0};
    cr_assert_eq(read_text("BTCUSDT-4h.csv", text, 0, &c, &rep, &bad, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(rep.rows_read, 5);
    cr_assert_eq(rep.bad_rows, 3);
    cr_assert_eq(bad.n, 3);
    cr_assert(strstr(bad.last, "BTCUSDT-4h.csv:5: header in the wrong place") != NULL, "%s",
              bad.last);
    cr_assert_eq(c.n, 2);
    /* Rows 1 and 3 are 8 hours apart: one missing bar in between. */
    cr_assert_eq(rep.gaps, 1);
    cr_assert_eq(rep.missing_bars, 1);
    qf_candles_cleanup(&c);

    qf_candles_init(&c);
    bad.n = 0;
    cr_assert_eq(read_text("BTCUSDT-4h.csv", text, 1, &c, &rep, &bad, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "BTCUSDT-4h.csv:3: high") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "--strict") != NULL, "%s", err.msg);
    cr_assert_eq(c.n, 0);
    qf_candles_cleanup(&c);
}

Test(import_read, duplicates_unsorted_and_conflicts)
{
    const char *conflict =
        "1502956800000,4333.32,4485.39,4333.32,4428.0,63.619882,1502971199999,,,,\n";
    const char *text_dup = HEADER ROW3 ROW1 ROW2 ROW1;
    qf_candles c;
    qf_candles_init(&c);
    qf_import_report rep;
    qf_err err;
    bad_log bad = {0};
    cr_assert_eq(read_text("BTCUSDT-4h.csv", text_dup, 0, &c, &rep, &bad, &err), QF_OK);
    cr_assert_eq(rep.unsorted, 1);
    cr_assert_eq(rep.duplicates, 1);
    cr_assert_eq(c.n, 3);
    cr_assert(c.v[0].open_time < c.v[1].open_time && c.v[1].open_time < c.v[2].open_time);
    cr_assert_eq(rep.gaps, 0);
    qf_candles_cleanup(&c);

    char text[1024];
    snprintf(text, sizeof text, "%s%s%s%s", HEADER, ROW1, ROW2, conflict);
    qf_candles_init(&c);
    cr_assert_eq(read_text("BTCUSDT-4h.csv", text, 0, &c, &rep, &bad, &err), QF_OK);
    cr_assert_eq(rep.bad_rows, 1);
    cr_assert(strstr(bad.last, ":4: open_time 1502956800000 repeats line 3") != NULL, "%s",
              bad.last);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.v[1].close, 4427.3, "the first occurrence is kept");
    qf_candles_cleanup(&c);
}

Test(import_read, crlf_and_missing_final_newline)
{
    const char *text = "open_time,open,high,low,close,volume,close_time,quote_volume,trades,"
                       "taker_buy_base,taker_buy_quote\r\n"
                       "1502942400000,4261.48,4349.99,4261.32,4349.99,82.088865,1502956799999,,,,"
                       "\r\n"
                       "1502956800000,4333.32,4485.39,4333.32,4427.3,63.619882,1502971199999,,,,";
    qf_candles c;
    qf_candles_init(&c);
    qf_import_report rep;
    qf_err err;
    bad_log bad = {0};
    cr_assert_eq(read_text("BTCUSDT-4h.csv", text, 1, &c, &rep, &bad, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.v[1].volume, 63.619882);
    qf_candles_cleanup(&c);
}

Test(import_read, headerless_dump_file)
{
    const char *text =
        "1704067200000,42283.58,42775.0,42230.08,42330.49,3948.08335,1704081599999,"
        "167461812.96,47134,1917.3,81312345.5,0\n"
        "1704081600000000,42330.5,42500.0,42180.77,42492.46,2706.9988,1704095999999999,"
        "114843511.2,40111,1311.2,55674291.7,0\n";
    qf_candles c;
    qf_candles_init(&c);
    qf_import_report rep;
    qf_err err;
    bad_log bad = {0};
    cr_assert_eq(read_text("BTCUSDT-4h-2024-01.csv", text, 1, &c, &rep, &bad, &err), QF_OK, "%s",
                 err.msg);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.v[1].open_time, 1704081600000LL);
    cr_assert_eq(c.v[1].trades, 40111);
    qf_candles_cleanup(&c);
}
