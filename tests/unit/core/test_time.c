/*
 * test_time.c - ISO 8601 parsing/formatting, civil conversion, floors and
 * timeframes, checked against values computed outside QuantFlow.
 *
 * Reference values were obtained with `date -u -d @SECONDS` / `date -u -d ISO +%s`
 * (GNU coreutils) or python3's datetime (`(dt - epoch) // timedelta(milliseconds=1)`)
 * and are hard-coded here; the comment next to each group says which.
 */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"

#define H4 (4 * QF_MS_PER_HOUR)

static int64_t parse_ok(const char *s)
{
    int64_t t = INT64_C(0x5eed);
    qf_err err;
    qf_err_clear(&err);
    qf_rc rc = qf_time_parse_iso(s, &t, &err);
    cr_assert_eq(rc, QF_OK, "parse '%s' failed: %s", s, err.msg);
    cr_assert_eq(err.code, QF_OK);
    return t;
}

static void parse_fails(const char *s)
{
    int64_t t = INT64_C(0x5eed);
    qf_err err;
    qf_err_clear(&err);
    qf_rc rc = qf_time_parse_iso(s, &t, &err);
    cr_assert_eq(rc, QF_EPARSE, "'%s' was accepted (t=%" PRId64 ")", s ? s : "(null)", t);
    cr_assert_eq(err.code, QF_EPARSE);
    cr_assert_neq(err.msg[0], '\0');
    cr_assert_eq(t, INT64_C(0x5eed), "'%s': output written on failure", s ? s : "(null)");
    if (s != NULL && s[0] != '\0')
        cr_assert_not_null(strstr(err.msg, s), "message '%s' does not name the input", err.msg);
    /* NULL err is tolerated and gives the same code. */
    cr_assert_eq(qf_time_parse_iso(s, &t, NULL), QF_EPARSE);
}

static void format_is(int64_t t, const char *want)
{
    char buf[QF_ISO_MAX];
    memset(buf, 'X', sizeof buf);
    char *r = qf_time_format_iso(t, buf, sizeof buf);
    cr_assert_eq(r, buf);
    cr_assert_str_eq(buf, want, "format(%" PRId64 ")", t);
}

/* ---- reference instants ------------------------------------------------ */

struct ref {
    int64_t ms;
    const char *iso;
};

/* Hand-picked instants. ms from python3:
 *   (datetime(Y,M,D,h,m,s, us, tzinfo=timezone.utc) - epoch) // timedelta(milliseconds=1)
 * cross-checked with `date -u -d @SECONDS +%FT%TZ` for the post-1900 ones. */
static const struct ref fixed_refs[] = {
    {INT64_C(0), "1970-01-01T00:00:00Z"},
    {INT64_C(1), "1970-01-01T00:00:00.001Z"},
    {INT64_C(-1), "1969-12-31T23:59:59.999Z"},
    {INT64_C(-315619200000), "1960-01-01T00:00:00Z"},
    {INT64_C(1502942400000), "2017-08-17T04:00:00Z"}, /* first row of BTCUSDT-4h.csv */
    {INT64_C(1502956800000), "2017-08-17T08:00:00Z"}, /* second row */
    {INT64_C(1635436800000), "2021-10-28T16:00:00Z"}, /* middle row */
    {INT64_C(1767686400000), "2026-01-06T08:00:00Z"}, /* last row */
    {INT64_C(1582934400000), "2020-02-29T00:00:00Z"},
    {INT64_C(951827696000), "2000-02-29T12:34:56Z"},
    {INT64_C(-2203891200000), "1900-03-01T00:00:00Z"},
    {INT64_C(-2203891201000), "1900-02-28T23:59:59Z"},
    {INT64_C(-11670912000000), "1600-03-01T00:00:00Z"},
    {INT64_C(1709251199500), "2024-02-29T23:59:59.500Z"},
    {INT64_C(-62135596800000), "0001-01-01T00:00:00Z"},
    {INT64_C(-62167219200000), "0000-01-01T00:00:00Z"}, /* date -u -d @-62167219200 */
    {INT64_C(253402300799999), "9999-12-31T23:59:59.999Z"},
};

/* Random instants over years 1..9999 and around the epoch. python3:
 *   random.seed(42); v = random.randint(lo, hi) (every third truncated to whole seconds)
 *   d = epoch + timedelta(milliseconds=v); '%04d-%02d-%02dT%02d:%02d:%02d' % (...) [+ '.%03d'] +
 * 'Z' */
static const struct ref random_refs[] = {
    {INT64_C(539312300000), "1987-02-03T00:58:20Z"},
    {INT64_C(75725444708951), "4369-08-23T21:45:08.951Z"},
    {INT64_C(16416018759390), "2490-03-15T05:12:39.390Z"},
    {INT64_C(-4433843026000), "1829-07-01T08:56:14Z"},
    {INT64_C(244881087334736), "9729-12-21T20:15:34.736Z"},
    {INT64_C(-44245245871719), "0567-12-04T05:55:28.281Z"},
    {INT64_C(-9393270428000), "1672-05-03T14:12:52Z"},
    {INT64_C(68840369934475), "4151-06-19T12:58:54.475Z"},
    {INT64_C(174034110410998), "7484-12-02T16:26:50.998Z"},
    {INT64_C(190744434439000), "8014-06-14T05:07:19Z"},
    {INT64_C(94474326590892), "4963-10-09T20:29:50.892Z"},
    {INT64_C(27744349803453), "2849-03-08T03:50:03.453Z"},
    {INT64_C(175774230145000), "7540-01-24T23:02:25Z"},
    {INT64_C(94292868452470), "4958-01-08T15:27:32.470Z"},
    {INT64_C(59073343039792), "3841-12-17T05:57:19.792Z"},
    {INT64_C(-4598769241000), "1824-04-09T12:05:59Z"},
    {INT64_C(571628990737), "1988-02-12T01:49:50.737Z"},
    {INT64_C(477156763543), "1985-02-13T15:32:43.543Z"},
    {INT64_C(415956821000), "1983-03-08T07:33:41Z"},
    {INT64_C(62722525699), "1971-12-27T22:55:25.699Z"},
    {INT64_C(-907066477185), "1941-04-04T13:05:22.815Z"},
    {INT64_C(922257175000), "1999-03-24T06:32:55Z"},
    {INT64_C(-551747699067), "1952-07-08T00:45:00.933Z"},
    {INT64_C(-754288451309), "1946-02-05T19:25:48.691Z"},
    {INT64_C(185498000), "1970-01-03T03:31:38Z"},
    {INT64_C(-370404448), "1969-12-27T17:06:35.552Z"},
    {INT64_C(781132953), "1970-01-10T00:58:52.953Z"},
    {INT64_C(349993000), "1970-01-05T01:13:13Z"},
};

static void check_refs(const struct ref *refs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        format_is(refs[i].ms, refs[i].iso);
        cr_assert_eq(parse_ok(refs[i].iso), refs[i].ms, "parse(%s)", refs[i].iso);
    }
}

Test(time_iso, fixed_reference_instants)
{
    check_refs(fixed_refs, sizeof fixed_refs / sizeof fixed_refs[0]);
}

Test(time_iso, random_reference_instants)
{
    check_refs(random_refs, sizeof random_refs / sizeof random_refs[0]);
}

Test(time_iso, from_civil_matches_references)
{
    /* Same python3 references as fixed_refs. */
    cr_assert_eq(qf_time_from_civil(1970, 1, 1, 0, 0, 0, 0), 0);
    cr_assert_eq(qf_time_from_civil(1969, 12, 31, 23, 59, 59, 999), -1);
    cr_assert_eq(qf_time_from_civil(2017, 8, 17, 4, 0, 0, 0), INT64_C(1502942400000));
    cr_assert_eq(qf_time_from_civil(2020, 2, 29, 0, 0, 0, 0), INT64_C(1582934400000));
    cr_assert_eq(qf_time_from_civil(2000, 2, 29, 12, 34, 56, 0), INT64_C(951827696000));
    cr_assert_eq(qf_time_from_civil(1900, 3, 1, 0, 0, 0, 0), INT64_C(-2203891200000));
    cr_assert_eq(qf_time_from_civil(1, 1, 1, 0, 0, 0, 0), INT64_C(-62135596800000));
    cr_assert_eq(qf_time_from_civil(9999, 12, 31, 23, 59, 59, 999), INT64_C(253402300799999));
    cr_assert_eq(qf_time_from_civil(0, 1, 1, 0, 0, 0, 0), INT64_C(-62167219200000));
}

/* A deliberately naive calendar, independent of time.c, used as an oracle. */
static int naive_dim(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

static void naive_next_day(int *y, int *m, int *d)
{
    if (++*d > naive_dim(*y, *m)) {
        *d = 1;
        if (++*m > 12) {
            *m = 1;
            ++*y;
        }
    }
}

Test(time_iso, every_day_from_1600_to_2400_against_naive_calendar)
{
    /* 1600-01-01 = -11676096000000 ms (python3 datetime). */
    int y = 1600, m = 1, d = 1;
    int64_t t = INT64_C(-11676096000000);
    char want[QF_ISO_MAX], got[QF_ISO_MAX];
    while (y <= 2400) {
        cr_assert_eq(qf_time_from_civil(y, m, d, 0, 0, 0, 0), t, "%04d-%02d-%02d", y, m, d);
        snprintf(want, sizeof want, "%04d-%02d-%02dT00:00:00Z", y, m, d);
        qf_time_format_iso(t, got, sizeof got);
        if (strcmp(want, got) != 0)
            cr_assert_str_eq(got, want);
        /* Date-only input is midnight UTC. */
        char date_only[40];
        snprintf(date_only, sizeof date_only, "%04d-%02d-%02d", y, m, d);
        int64_t back = 0;
        if (qf_time_parse_iso(date_only, &back, NULL) != QF_OK || back != t)
            cr_assert_fail("parse(%s) = %" PRId64 ", want %" PRId64, date_only, back, t);
        naive_next_day(&y, &m, &d);
        t += QF_MS_PER_DAY;
    }
    /* 2401-01-01 = 13601088000000 ms (python3 datetime). */
    cr_assert_eq(t, INT64_C(13601088000000));
}

Test(time_iso, every_4h_bar_from_first_to_last_btcusdt_row)
{
    /* First and last open_time of data/BTCUSDT-4h.csv; their ISO text from
     * `date -u -d @1502942400` and `date -u -d @1767686400`. */
    int64_t first = INT64_C(1502942400000), last = INT64_C(1767686400000);
    int y = 2017, m = 8, d = 17, h = 4;
    char want[QF_ISO_MAX], got[QF_ISO_MAX];
    size_t bars = 0;
    for (int64_t t = first; t <= last; t += H4, bars++) {
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:00:00Z", y, m, d, h);
        qf_time_format_iso(t, got, sizeof got);
        if (strcmp(want, got) != 0)
            cr_assert_str_eq(got, want, "t=%" PRId64, t);
        int64_t back = 0;
        if (qf_time_parse_iso(got, &back, NULL) != QF_OK || back != t)
            cr_assert_fail("round trip of %s gave %" PRId64, got, back);
        if (qf_time_floor(t + H4 - 1, H4) != t || qf_time_floor(t, H4) != t)
            cr_assert_fail("floor at %s", got);
        if ((h += 4) == 24) {
            h = 0;
            naive_next_day(&y, &m, &d);
        }
    }
    cr_assert_str_eq(got, "2026-01-06T08:00:00Z");
    /* (last - first) / 4h + 1, computed with python3. */
    cr_assert_eq(bars, 18386);
}

Test(time_iso, every_open_time_in_btcusdt_file_round_trips)
{
    FILE *f = fopen(QF_SOURCE_DIR "/data/BTCUSDT-4h.csv", "r");
    cr_assert_not_null(f);
    char line[512];
    cr_assert_not_null(fgets(line, sizeof line, f)); /* header */
    size_t rows = 0;
    int64_t prev = INT64_MIN;
    char iso[QF_ISO_MAX];
    while (fgets(line, sizeof line, f) != NULL) {
        char *end = NULL;
        int64_t t = strtoll(line, &end, 10);
        cr_assert_eq(*end, ',');
        cr_assert_gt(t, prev);
        prev = t;
        cr_assert_eq(qf_time_floor(t, H4), t);
        qf_time_format_iso(t, iso, sizeof iso);
        int64_t back = 0;
        if (qf_time_parse_iso(iso, &back, NULL) != QF_OK || back != t)
            cr_assert_fail("row %zu: %s -> %" PRId64, rows + 2, iso, back);
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, 18370); /* wc -l minus the header */
    cr_assert_eq(prev, INT64_C(1767686400000));
}

Test(time_iso, extreme_instants_format)
{
    /* `date -u -d @-9223372036854776` = -292275055-05-16T16:47:04 (INT64_MIN ms is
     * 0.192 s after that second); `date -u -d @9223372036854775` =
     * 292278994-08-17T07:12:55, plus .807. */
    format_is(INT64_MIN, "-292275055-05-16T16:47:04.192Z");
    format_is(INT64_MAX, "292278994-08-17T07:12:55.807Z");
    cr_assert_lt(strlen("-292275055-05-16T16:47:04.192Z") + 1, QF_ISO_MAX);
    /* Before year 0: `date -u -d @-62167219201` prints "-001-12-31T23:59:59"; ISO 8601
     * pads the year to four digits after the sign. */
    format_is(INT64_C(-62167219201000), "-0001-12-31T23:59:59Z");
    /* `date -u -d @-62198755200` = -001-01-01T00:00:00 */
    format_is(INT64_C(-62198755200000), "-0001-01-01T00:00:00Z");
}

Test(time_iso, format_into_small_buffers_stays_terminated)
{
    char buf[8];
    memset(buf, 'X', sizeof buf);
    qf_time_format_iso(INT64_C(1704168000000), buf, 5);
    cr_assert_str_eq(buf, "2024");
    cr_assert_eq(buf[5], 'X');
    memset(buf, 'X', sizeof buf);
    qf_time_format_iso(INT64_C(1704168000000), buf, 1);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(buf[1], 'X');
}

/* ---- accepted variants ------------------------------------------------- */

Test(time_iso, accepted_spellings)
{
    /* 2024-01-02T04:00:00Z = 1704168000000 (python3 datetime). */
    const int64_t want = INT64_C(1704168000000);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00Z"), want);
    cr_assert_eq(parse_ok("2024-01-02t04:00:00z"), want);
    cr_assert_eq(parse_ok("2024-01-02 04:00:00Z"), want);
    cr_assert_eq(parse_ok("2024-01-02 04:00:00"), want);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00"), want);
    cr_assert_eq(parse_ok("2024-01-02T04:00"), want);
    cr_assert_eq(parse_ok("2024-01-02T04:00Z"), want);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.000Z"), want);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00+00:00"), want);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00-00:00"), want);
    /* Date only = midnight UTC: 1704153600000 (python3). */
    cr_assert_eq(parse_ok("2024-01-02"), INT64_C(1704153600000));
}

Test(time_iso, fractional_milliseconds)
{
    const int64_t base = INT64_C(1704168000000); /* 2024-01-02T04:00:00Z */
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.5Z"), base + 500);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.05Z"), base + 50);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.005Z"), base + 5);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.123Z"), base + 123);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.999Z"), base + 999);
    /* Digits below the millisecond are truncated, never rounded into the next second. */
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.123456Z"), base + 123);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.9999999999999999999Z"), base + 999);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.0009Z"), base);
    cr_assert_eq(parse_ok("2024-01-02T04:00:00.5"), base + 500);
    /* Before the epoch the fraction still counts forward from the second. */
    cr_assert_eq(parse_ok("1969-12-31T23:59:59.999Z"), -1);
    cr_assert_eq(parse_ok("1969-12-31T23:59:59.5Z"), -500);
}

Test(time_iso, offsets)
{
    /* `date -u -d '2024-01-02T12:00:00+05:30' +%s` = 1704177000 */
    cr_assert_eq(parse_ok("2024-01-02T12:00:00+05:30"), INT64_C(1704177000000));
    cr_assert_eq(parse_ok("2024-01-02T12:00:00+0530"), INT64_C(1704177000000));
    cr_assert_eq(parse_ok("2024-01-02T12:00+05:30"), INT64_C(1704177000000));
    cr_assert_eq(parse_ok("2024-01-02T12:00:00.123+05:30"), INT64_C(1704177000123));
    /* `date -u -d '2024-01-02T12:00:00-08:00' +%s` = 1704225600 */
    cr_assert_eq(parse_ok("2024-01-02T12:00:00-08:00"), INT64_C(1704225600000));
    /* Offsets that cross a day, a year and a leap day:
     * `date -u -d '2024-01-01T00:30:00+05:30' +%s` = 1704049200 (2023-12-31T19:00:00Z)
     * `date -u -d '2024-12-31T23:00:00-08:00' +%s` = 1735714800 (2025-01-01T07:00:00Z)
     * `date -u -d '2024-03-01T01:00:00+05:30' +%s` = 1709235000 (2024-02-29T19:30:00Z) */
    cr_assert_eq(parse_ok("2024-01-01T00:30:00+05:30"), INT64_C(1704049200000));
    cr_assert_eq(parse_ok("2024-12-31T23:00:00-08:00"), INT64_C(1735714800000));
    cr_assert_eq(parse_ok("2024-03-01T01:00:00+05:30"), INT64_C(1709235000000));
    char buf[QF_ISO_MAX];
    cr_assert_str_eq(qf_time_format_iso(INT64_C(1709235000000), buf, sizeof buf),
                     "2024-02-29T19:30:00Z");
    /* Extreme but valid offsets. */
    cr_assert_eq(parse_ok("2024-01-02T00:00:00+23:59"),
                 INT64_C(1704153600000) - 23 * QF_MS_PER_HOUR - 59 * QF_MS_PER_MINUTE);
    cr_assert_eq(parse_ok("2024-01-02T00:00:00-23:59"),
                 INT64_C(1704153600000) + 23 * QF_MS_PER_HOUR + 59 * QF_MS_PER_MINUTE);
}

/* ---- rejections -------------------------------------------------------- */

Test(time_iso, impossible_dates_and_times_rejected)
{
    parse_fails("2023-02-29");
    parse_fails("2023-02-29T00:00:00Z");
    parse_fails("1900-02-29");
    parse_fails("2100-02-29");
    parse_fails("2023-02-30");
    parse_fails("2023-04-31");
    parse_fails("2023-13-01");
    parse_fails("2023-00-10");
    parse_fails("2023-01-00");
    parse_fails("2023-01-32");
    parse_fails("2024-01-02T24:00:00Z");
    parse_fails("2024-01-02T24:00");
    parse_fails("2024-01-02T12:60:00Z");
    parse_fails("2024-01-02T12:00:60Z"); /* no leap seconds */
    parse_fails("2024-01-02T99:99:99Z");
}

Test(time_iso, malformed_text_rejected)
{
    parse_fails(NULL);
    parse_fails("");
    parse_fails("2024-1-2");
    parse_fails("2024-01-2");
    parse_fails("24-01-02");
    parse_fails("20240102");
    parse_fails("2024/01/02");
    parse_fails(" 2024-01-02");
    parse_fails("-2024-01-02");
    parse_fails("+2024-01-02");
    parse_fails("2024-01-02T");
    parse_fails("2024-01-02 ");
    parse_fails("2024-01-02T12");
    parse_fails("2024-01-02T1:00");
    parse_fails("2024-01-02T12:0");
    parse_fails("2024-01-02T12:00:");
    parse_fails("2024-01-02T12:00:5");
    parse_fails("2024-01-02T12:00:5Z");
    parse_fails("2024-01-02T12:00:00.");
    parse_fails("2024-01-02T12:00:00.Z");
    parse_fails("2024-01-02T12:00.5");
    parse_fails("2024-01-02T12:00:00,5Z");
    parse_fails("2024-01-02X12:00:00");
    parse_fails("2024-01-02T12-00-00");
    parse_fails("2024-01-02T12:00:00Zjunk");
    parse_fails("2024-01-02T12:00:00Z ");
    parse_fails("2024-01-02T12:00:00ZZ");
    parse_fails("2024-01-02T12:00:00 Z");
    parse_fails("2024-01-02x");
    parse_fails("2024-01-02T12:00:00+5:30");
    parse_fails("2024-01-02T12:00:00+05");
    parse_fails("2024-01-02T12:00:00+05:3");
    parse_fails("2024-01-02T12:00:00+05:60");
    parse_fails("2024-01-02T12:00:00+24:00");
    parse_fails("2024-01-02T12:00:00+05:30Z");
    parse_fails("2024-01-02T12:00:00+");
    parse_fails("abcd-ef-gh");
}

Test(time_iso, long_input_named_in_message_without_overflow)
{
    char s[2048];
    memset(s, '9', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    qf_err err;
    int64_t t;
    cr_assert_eq(qf_time_parse_iso(s, &t, &err), QF_EPARSE);
    cr_assert_lt(strlen(err.msg), sizeof err.msg);
}

/* ---- floor ------------------------------------------------------------- */

Test(time_floor, positive_and_negative)
{
    cr_assert_eq(qf_time_floor(0, 1000), 0);
    cr_assert_eq(qf_time_floor(999, 1000), 0);
    cr_assert_eq(qf_time_floor(1000, 1000), 1000);
    cr_assert_eq(qf_time_floor(1001, 1000), 1000);
    cr_assert_eq(qf_time_floor(-1, 1000), -1000);
    cr_assert_eq(qf_time_floor(-999, 1000), -1000);
    cr_assert_eq(qf_time_floor(-1000, 1000), -1000);
    cr_assert_eq(qf_time_floor(-1001, 1000), -2000);
    cr_assert_eq(qf_time_floor(-1, H4), -H4);
    cr_assert_eq(qf_time_floor(-H4, H4), -H4);
    cr_assert_eq(qf_time_floor(-H4 - 1, H4), -2 * H4);
    /* 1969-12-31T22:30:00Z floors to 1969-12-31T20:00:00Z on 4h bars. */
    cr_assert_eq(qf_time_floor(-90 * QF_MS_PER_MINUTE, H4), -H4);
    /* 1900-03-01T01:00:00Z -> 1900-03-01T00:00:00Z (python3: -2203891200000) */
    cr_assert_eq(qf_time_floor(INT64_C(-2203891200000) + QF_MS_PER_HOUR, QF_MS_PER_DAY),
                 INT64_C(-2203891200000));
    cr_assert_eq(qf_time_floor(INT64_C(1502942400000) + 123, H4), INT64_C(1502942400000));
    cr_assert_eq(qf_time_floor(INT64_C(1502942400000) - 1, H4), INT64_C(1502942400000) - H4);
    cr_assert_eq(qf_time_floor(7, 1), 7);
    cr_assert_eq(qf_time_floor(-7, 1), -7);
    cr_assert_eq(qf_time_floor(INT64_MAX, 1000), INT64_MAX - 807);
    cr_assert_eq(qf_time_floor(INT64_MIN, 1), INT64_MIN);
    cr_assert_eq(qf_time_floor(INT64_MIN + 808, 1000), INT64_MIN + 808);
}

Test(time_floor, brute_force_against_definition)
{
    const int64_t steps[] = {1, 2, 3, 7, 1000, QF_MS_PER_MINUTE, H4, QF_MS_PER_DAY};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        int64_t step = steps[s];
        for (int64_t t = -3 * step - 5; t <= 3 * step + 5; t += (step > 100 ? step / 7 : 1)) {
            int64_t f = qf_time_floor(t, step);
            /* floor: largest multiple of step that is <= t */
            if (!(f <= t && t - f < step && f % step == 0))
                cr_assert_fail("floor(%" PRId64 ", %" PRId64 ") = %" PRId64, t, step, f);
        }
    }
}

Test(time_floor, non_positive_step_returns_t)
{
    cr_assert_eq(qf_time_floor(12345, 0), 12345);
    cr_assert_eq(qf_time_floor(-12345, 0), -12345);
    cr_assert_eq(qf_time_floor(12345, -1000), 12345);
    cr_assert_eq(qf_time_floor(INT64_MIN, -1), INT64_MIN);
}

/* ---- timeframes -------------------------------------------------------- */

Test(timeframe, all_six_names)
{
    static const struct {
        const char *name;
        int64_t ms;
        double bars_per_year; /* 365 * 86400000 / ms, by hand */
    } want[] = {
        {"1m", INT64_C(60000), 525600.0},  {"5m", INT64_C(300000), 105120.0},
        {"15m", INT64_C(900000), 35040.0}, {"1h", INT64_C(3600000), 8760.0},
        {"4h", INT64_C(14400000), 2190.0}, {"1d", INT64_C(86400000), 365.0},
    };
    size_t n = 0;
    const qf_timeframe *all = qf_timeframe_all(&n);
    cr_assert_eq(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        qf_timeframe tf;
        memset(&tf, 0, sizeof tf);
        qf_err err;
        cr_assert_eq(qf_timeframe_parse(want[i].name, &tf, &err), QF_OK);
        cr_assert_str_eq(tf.name, want[i].name);
        cr_assert_eq(tf.ms, want[i].ms);
        cr_assert_eq(tf.bars_per_year, want[i].bars_per_year);
        cr_assert_eq(tf.bars_per_year, 365.0 * 86400000.0 / (double)tf.ms);
        cr_assert_str_eq(all[i].name, want[i].name);
        cr_assert_eq(all[i].ms, want[i].ms);
        if (i > 0)
            cr_assert_gt(all[i].ms, all[i - 1].ms);
    }
}

Test(timeframe, four_hours_is_2190_bars_per_year)
{
    qf_timeframe tf;
    cr_assert_eq(qf_timeframe_parse("4h", &tf, NULL), QF_OK);
    cr_assert_eq(tf.bars_per_year, 2190.0);
    cr_assert_eq(tf.ms, H4);
}

Test(timeframe, unknown_names_list_valid_ones)
{
    const char *bad[] = {"2h", "4H", "1M", "", "4h ", " 4h", "h", "60m", "1w", "4hh"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qf_timeframe tf;
        memset(&tf, 0x55, sizeof tf);
        qf_err err;
        qf_err_clear(&err);
        cr_assert_eq(qf_timeframe_parse(bad[i], &tf, &err), QF_EINVAL, "'%s'", bad[i]);
        cr_assert_eq(err.code, QF_EINVAL);
        cr_assert_not_null(strstr(err.msg, "1m 5m 15m 1h 4h 1d"), "%s", err.msg);
        char quoted[16];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        cr_assert_not_null(strstr(err.msg, quoted), "%s", err.msg);
        cr_assert_eq(qf_timeframe_parse(bad[i], &tf, NULL), QF_EINVAL);
    }
    qf_timeframe tf;
    cr_assert_eq(qf_timeframe_parse(NULL, &tf, NULL), QF_EINVAL);
}

Test(timeframe, long_unknown_name_is_truncated_in_message)
{
    char name[600];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    qf_timeframe tf;
    qf_err err;
    cr_assert_eq(qf_timeframe_parse(name, &tf, &err), QF_EINVAL);
    cr_assert_lt(strlen(err.msg), sizeof err.msg);
    cr_assert_not_null(strstr(err.msg, "1m 5m 15m 1h 4h 1d"));
}

/* ---- clock ------------------------------------------------------------- */

Test(time_now, close_to_time_of_day)
{
    int64_t before = (int64_t)time(NULL) * 1000;
    int64_t now = qf_time_now_ms();
    int64_t after = ((int64_t)time(NULL) + 1) * 1000;
    cr_assert_geq(now, before);
    cr_assert_leq(now, after);
    /* 2020-01-01T00:00:00Z = 1577836800000 (python3) */
    cr_assert_gt(now, INT64_C(1577836800000));
}
