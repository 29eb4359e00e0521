/* Tests of the kline CSV row parser and bar checks (src/market/kline_csv.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/time.h"
#include "market/kline_csv.h"

#define H4 (4 * QF_MS_PER_HOUR)

static const char *HEADER = "open_time,open,high,low,close,volume,close_time,quote_volume,trades,"
                            "taker_buy_base,taker_buy_quote";

static qf_kline_layout header_layout(void)
{
    qf_kline_layout l;
    qf_err err;
    cr_assert_eq(qf_kline_csv_layout(HEADER, strlen(HEADER), &l, &err), QF_OK, "%s", err.msg);
    return l;
}

static qf_rc parse(const qf_kline_layout *l, const char *row, qf_candle *c, int64_t *ct,
                   qf_err *err)
{
    return qf_kline_csv_parse_row(row, strlen(row), l, c, ct, err);
}

Test(kline_csv, bundled_layout_first_row)
{
    qf_kline_layout l = header_layout();
    cr_assert_eq(l.has_header, 1);
    cr_assert_eq(l.n_cols, 11);
    /* First row of data/BTCUSDT-4h.csv. */
    const char *row = "1502942400000,4261.48,4349.99,4261.32,4349.99,82.088865,1502956799999,,,,";
    qf_candle c;
    int64_t ct;
    qf_err err;
    cr_assert_eq(parse(&l, row, &c, &ct, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(c.open_time, 1502942400000LL);
    cr_assert_eq(c.open, 4261.48);
    cr_assert_eq(c.high, 4349.99);
    cr_assert_eq(c.low, 4261.32);
    cr_assert_eq(c.close, 4349.99);
    cr_assert_eq(c.volume, 82.088865);
    cr_assert_eq(ct, 1502956799999LL);
    cr_assert(isnan(c.quote_volume));
    cr_assert_eq(c.trades, -1);
    cr_assert(isnan(c.taker_buy_base) && isnan(c.taker_buy_quote));
    cr_assert_eq(qf_kline_check(&c, ct, H4, &err), QF_OK, "%s", err.msg);
}

Test(kline_csv, header_by_name_in_any_order_with_crlf_and_bom)
{
    const char *h = "\xEF\xBB\xBFopen_time,volume,close,low,high,open\r";
    qf_kline_layout l;
    qf_err err;
    cr_assert_eq(qf_kline_csv_layout(h, strlen(h), &l, &err), QF_OK, "%s", err.msg);
    qf_candle c;
    int64_t ct;
    cr_assert_eq(parse(&l, "1502942400000,10.5,4349.99,4261.32,4349.99,4261.48\r", &c, &ct, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(c.volume, 10.5);
    cr_assert_eq(c.open, 4261.48);
    cr_assert_eq(c.high, 4349.99);
    cr_assert_eq(ct, INT64_MIN);
}

Test(kline_csv, header_missing_or_duplicate_columns)
{
    qf_kline_layout l;
    qf_err err;
    const char *a = "open_time,open,high,low,close";
    cr_assert_eq(qf_kline_csv_layout(a, strlen(a), &l, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "volume") != NULL, "%s", err.msg);
    const char *b = "open_time,open,high,low,close,volume,open";
    cr_assert_eq(qf_kline_csv_layout(b, strlen(b), &l, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "twice") != NULL, "%s", err.msg);
}

Test(kline_csv, binance_dump_ms_and_us)
{
    /* Binance public dump rows: ms (before 2025) and us (2025 on). OHLCV are the
     * real 4h bars of data/BTCUSDT-4h.csv; the last five columns (absent from
     * the bundled data) are illustrative. */
    const char *ms = "1704067200000,42283.58,42775.0,42230.08,42330.49,3948.08335,1704081599999,"
                     "167461812.96,47134,1917.3,81312345.5,0";
    const char *us = "1735689600000000,93576.0,94509.42,93489.03,93838.04,1840.29813,"
                     "1735703999999999,172785461.1,519547,902.1,84702711.3,0";
    qf_kline_layout l;
    qf_err err;
    cr_assert_eq(qf_kline_csv_layout(ms, strlen(ms), &l, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(l.has_header, 0);
    qf_candle c;
    int64_t ct;
    cr_assert_eq(parse(&l, ms, &c, &ct, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(c.open_time, 1704067200000LL);
    cr_assert_eq(c.trades, 47134);
    cr_assert_eq(c.quote_volume, 167461812.96);
    cr_assert_eq(c.close, 42330.49);
    cr_assert_eq(qf_kline_check(&c, ct, H4, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(parse(&l, us, &c, &ct, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(c.open_time, 1735689600000LL);
    cr_assert_eq(ct, 1735703999999LL);
    cr_assert_eq(qf_kline_check(&c, ct, H4, &err), QF_OK, "%s", err.msg);
}

Test(kline_csv, headerless_wrong_column_count)
{
    const char *row = "1502942400000,4261.48,4313.62,4261.32,4308.83,47.181009";
    qf_kline_layout l;
    qf_err err;
    cr_assert_eq(qf_kline_csv_layout(row, strlen(row), &l, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "12") != NULL, "%s", err.msg);
}

Test(kline_csv, rejects_bad_numbers)
{
    qf_kline_layout l = header_layout();
    const char *bad[] = {
        "1502942400000,nan,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "1502942400000,inf,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "1502942400000,0x10,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "1502942400000, 4261.48,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "1502942400000,4261.48x,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "1502942400000,,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "15029424000.5,4261.48,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "-1502942400000,4261.48,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "1502942400000,1e999,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
        "1502942400000,4261.48,4313.62,4261.32,4308.83,47.1,1502956799999,,-3,,",
        "99999999999999999999999,4261.48,4313.62,4261.32,4308.83,47.1,1502956799999,,,,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qf_candle c;
        int64_t ct;
        qf_err err;
        cr_assert_eq(parse(&l, bad[i], &c, &ct, &err), QF_EPARSE, "accepted: %s", bad[i]);
        cr_assert(strstr(err.msg, "not a valid number") != NULL, "%s", err.msg);
    }
}

Test(kline_csv, column_count_and_misplaced_header)
{
    qf_kline_layout l = header_layout();
    qf_candle c;
    int64_t ct;
    qf_err err;
    cr_assert_eq(parse(&l, "1502942400000,4261.48,4313.62", &c, &ct, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "expected 11 columns, found 3") != NULL, "%s", err.msg);
    cr_assert_eq(parse(&l, HEADER, &c, &ct, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "header in the wrong place") != NULL, "%s", err.msg);
    cr_assert_eq(parse(&l, "", &c, &ct, &err), QF_EPARSE);
    cr_assert_eq(parse(&l, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18", &c, &ct, &err),
                 QF_EPARSE);
    cr_assert(strstr(err.msg, "more than") != NULL, "%s", err.msg);
}

Test(kline_csv, bar_checks)
{
    qf_candle ok = {.open_time = 1502942400000LL,
                    .open = 100,
                    .high = 110,
                    .low = 90,
                    .close = 105,
                    .volume = 1};
    qf_err err;
    cr_assert_eq(qf_kline_check(&ok, 1502942400000LL + H4 - 1, H4, &err), QF_OK);
    qf_candle c = ok;
    c.high = 104;
    cr_assert_eq(qf_kline_check(&c, INT64_MIN, H4, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "high") != NULL, "%s", err.msg);
    c = ok;
    c.low = 101;
    cr_assert_eq(qf_kline_check(&c, INT64_MIN, H4, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "low") != NULL, "%s", err.msg);
    c = ok;
    c.volume = -0.5;
    cr_assert_eq(qf_kline_check(&c, INT64_MIN, H4, &err), QF_EPARSE);
    c = ok;
    c.low = 0;
    cr_assert_eq(qf_kline_check(&c, INT64_MIN, H4, &err), QF_EPARSE);
    c = ok;
    c.open_time += QF_MS_PER_HOUR; /* 05:00 is not on the 4h grid */
    cr_assert_eq(qf_kline_check(&c, INT64_MIN, H4, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "aligned") != NULL, "%s", err.msg);
    /* A 1h file mislabelled as 4h: close_time gives it away. */
    cr_assert_eq(qf_kline_check(&ok, ok.open_time + QF_MS_PER_HOUR - 1, H4, &err), QF_EPARSE);
    cr_assert(strstr(err.msg, "close_time") != NULL, "%s", err.msg);
    /* Zero-volume bar (2017-09-06 16:00: all prices equal) is valid. */
    qf_candle z = {.open_time = 1504713600000LL,
                   .open = 4619.43,
                   .high = 4619.43,
                   .low = 4619.43,
                   .close = 4619.43};
    cr_assert_eq(qf_kline_check(&z, INT64_MIN, H4, &err), QF_OK, "%s", err.msg);
}
