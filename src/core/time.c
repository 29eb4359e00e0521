/*
 * time.c - ISO 8601 parsing/formatting and timeframes.
 *
 * Civil-date conversion uses Howard Hinnant's days-from-civil algorithm so it
 * is exact for any year and needs neither the TZ environment nor timegm().
 */
#include "core/time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const qf_timeframe timeframes[] = {
    {"1m", QF_MS_PER_MINUTE, 525600.0},      {"5m", 5 * QF_MS_PER_MINUTE, 105120.0},
    {"15m", 15 * QF_MS_PER_MINUTE, 35040.0}, {"1h", QF_MS_PER_HOUR, 8760.0},
    {"4h", 4 * QF_MS_PER_HOUR, 2190.0},      {"1d", QF_MS_PER_DAY, 365.0},
};

const qf_timeframe *qf_timeframe_all(size_t *out_n)
{
    *out_n = sizeof timeframes / sizeof timeframes[0];
    return timeframes;
}

qf_rc qf_timeframe_parse(const char *name, qf_timeframe *out_tf, qf_err *err)
{
    if (name == NULL)
        return qf_err_set(err, QF_EINVAL, "timeframe missing");
    for (size_t i = 0; i < sizeof timeframes / sizeof timeframes[0]; i++) {
        if (strcmp(name, timeframes[i].name) == 0) {
            *out_tf = timeframes[i];
            return QF_OK;
        }
    }
    return qf_err_set(err, QF_EINVAL, "unknown timeframe '%.32s' (valid: 1m 5m 15m 1h 4h 1d)",
                      name);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void qf_time_to_civil(int64_t ms, int *out_year, int *out_month, int *out_day)
{
    int64_t days = ms / QF_MS_PER_DAY;
    if (ms % QF_MS_PER_DAY < 0)
        days--;
    int64_t y;
    civil_from_days(days, &y, out_month, out_day);
    *out_year = (int)y;
}

int64_t qf_time_from_civil(int year, int month, int day, int hour, int min, int sec, int ms)
{
    int64_t days = days_from_civil(year, month, day);
    return ((days * 24 + hour) * 60 + min) * 60000 + (int64_t)sec * 1000 + ms;
}

int64_t qf_time_floor(int64_t t, int64_t step)
{
    if (step <= 0)
        return t; /* no grid to snap to; also avoids t / 0 and INT64_MIN / -1 */
    int64_t q = t / step;
    if (t % step != 0 && t < 0)
        q--;
    return q * step;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at *p into *out and advances *p. */
static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

static qf_rc bad_iso(const char *s, qf_err *err)
{
    return qf_err_set(err, QF_EPARSE,
                      "invalid time '%.40s' (expected ISO 8601 UTC, e.g. 2024-01-02T04:00:00Z)", s);
}

/* Parses the optional "THH:MM[:SS[.fff]]" part. */
static int parse_clock(const char **p, int *hh, int *mi, int *ss, int *ms)
{
    if (**p != 'T' && **p != 't' && **p != ' ')
        return 1;
    (*p)++;
    if (!read_digits(p, 2, hh) || *(*p)++ != ':' || !read_digits(p, 2, mi))
        return 0;
    if (**p == ':') {
        (*p)++;
        if (!read_digits(p, 2, ss))
            return 0;
        if (**p == '.') {
            (*p)++;
            int scale = 100, n = 0;
            while (isdigit((unsigned char)**p)) {
                *ms += (**p - '0') * scale;
                scale /= 10;
                (*p)++;
                n++;
            }
            if (n == 0)
                return 0;
        }
    }
    return 1;
}

/* Parses the optional "Z" / "+HH:MM" / "-HH:MM" suffix into *offset_ms. */
static int parse_zone(const char **p, int64_t *offset_ms)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        return 1;
    }
    if (**p != '+' && **p != '-')
        return 1;
    int sign = **p == '-' ? -1 : 1;
    (*p)++;
    int oh, om = 0;
    if (!read_digits(p, 2, &oh))
        return 0;
    if (**p == ':')
        (*p)++;
    if (!read_digits(p, 2, &om) || oh > 23 || om > 59)
        return 0;
    *offset_ms = sign * ((int64_t)oh * QF_MS_PER_HOUR + (int64_t)om * QF_MS_PER_MINUTE);
    return 1;
}

qf_rc qf_time_parse_iso(const char *s, int64_t *out_ms, qf_err *err)
{
    if (s == NULL)
        return qf_err_set(err, QF_EPARSE, "time missing");
    const char *p = s;
    int y, mo, d, hh = 0, mi = 0, ss = 0, ms = 0;
    int64_t offset = 0;
    if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &mo) || *p++ != '-' ||
        !read_digits(&p, 2, &d))
        return bad_iso(s, err);
    if (!parse_clock(&p, &hh, &mi, &ss, &ms) || !parse_zone(&p, &offset) || *p != '\0')
        return bad_iso(s, err);
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || hh > 23 || mi > 59 || ss > 59)
        return bad_iso(s, err);
    *out_ms = qf_time_from_civil(y, mo, d, hh, mi, ss, ms) - offset;
    return QF_OK;
}

char *qf_time_format_iso(int64_t t, char *buf, size_t size)
{
    int64_t days = t / QF_MS_PER_DAY;
    int64_t rem = t % QF_MS_PER_DAY;
    if (rem < 0) {
        rem += QF_MS_PER_DAY;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int hh = (int)(rem / QF_MS_PER_HOUR);
    int mi = (int)(rem / QF_MS_PER_MINUTE % 60);
    int ss = (int)(rem / 1000 % 60);
    int ms = (int)(rem % 1000);
    /* ISO 8601 years have at least four digits, after the sign for years before 0
     * ("-0001"; plain %04lld would give "-001"). |y| < 3e8, so the negation is safe. */
    const char *sign = y < 0 ? "-" : "";
    long long ay = y < 0 ? -(long long)y : (long long)y;
    if (ms != 0)
        snprintf(buf, size, "%s%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", sign, ay, m, d, hh, mi, ss,
                 ms);
    else
        snprintf(buf, size, "%s%04lld-%02d-%02dT%02d:%02d:%02dZ", sign, ay, m, d, hh, mi, ss);
    return buf;
}

int64_t qf_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
