/*
 * time.h - UTC time in milliseconds and bar timeframes.
 *
 * QuantFlow keeps every instant as int64 milliseconds since the Unix epoch,
 * UTC. Text in and out is ISO 8601 ("2024-01-02T04:00:00Z"). A timeframe is a
 * bar length; bars_per_year = 365 days / bar length (2190 for 4h), the
 * annualisation every metric uses.
 */
#ifndef QF_CORE_TIME_H
#define QF_CORE_TIME_H

#include <stdint.h>
#include <stddef.h>

#include "core/err.h"

#define QF_MS_PER_MINUTE INT64_C(60000)
#define QF_MS_PER_HOUR   INT64_C(3600000)
#define QF_MS_PER_DAY    INT64_C(86400000)

/* Enough for the widest instant, "-292275055-05-16T16:47:04.192Z" (INT64_MIN), and a NUL. */
#define QF_ISO_MAX 40

typedef struct qf_timeframe {
    char name[8];         /* canonical spelling: "1m" "5m" "15m" "1h" "4h" "1d" */
    int64_t ms;           /* bar length in milliseconds */
    double bars_per_year; /* 365 * 86400000 / ms */
} qf_timeframe;

/* Parses a timeframe name. Unknown names fail with QF_EINVAL listing the valid ones. */
QF_NODISCARD qf_rc qf_timeframe_parse(const char *name, qf_timeframe *out_tf, qf_err *err);

/* The supported timeframes, in increasing length; *out_n receives the count. */
const qf_timeframe *qf_timeframe_all(size_t *out_n);

/* Parses ISO 8601 UTC: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with 'T', 't' or
 * ' ', an optional 'Z'/'z' or "+HH:MM"/"-HH:MM" ("+HHMM") offset. Fraction digits
 * beyond the millisecond are truncated. Anything else, including trailing junk or
 * an impossible date (2023-02-30, 24:00), fails with QF_EPARSE; *out_ms is then
 * left untouched. */
QF_NODISCARD qf_rc qf_time_parse_iso(const char *s, int64_t *out_ms, qf_err *err);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" (".mmmZ" when ms is not a whole second) into
 * buf (QF_ISO_MAX bytes fit any instant; a smaller buffer gets a truncated,
 * NUL-terminated string) and returns buf. Years before 0 are written "-YYYY". */
char *qf_time_format_iso(int64_t ms, char *buf, size_t size);

/* The proleptic Gregorian UTC date of ms (floor to the day, so negative
 * times fall on the day before the epoch correctly). */
void qf_time_to_civil(int64_t ms, int *out_year, int *out_month, int *out_day);

/* Milliseconds since the epoch for a proleptic Gregorian UTC civil time. */
int64_t qf_time_from_civil(int year, int month, int day, int hour, int min, int sec, int ms);

/* Current wall-clock time, UTC ms. */
int64_t qf_time_now_ms(void);

/* Floor of t to a multiple of step (correct for negative t). step <= 0 returns t.
 * The result must be representable: t >= INT64_MIN rounded up to a multiple of step. */
int64_t qf_time_floor(int64_t t, int64_t step);

#endif
