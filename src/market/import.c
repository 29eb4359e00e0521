/*
 * import.c - kline CSV files into the store: read, check, sort, dedupe,
 * report gaps, upsert in batches (see import.h for the contract).
 */
#include "market/import.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/symbol.h"
#include "core/time.h"
#include "market/kline_csv.h"

#define MAX_FILE_BYTES (INT64_C(4) << 30)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

qf_rc qf_import_series_from_name(const char *path, const qf_import_options *opt,
                                 qf_series_key *out_key, qf_err *err)
{
    const char *base = base_name(path);
    char stem[64] = "";
    char sym_part[QF_SYMBOL_MAX] = "";
    char tf_part[8] = "";
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strchr(stem, '.');
    if (dot != NULL)
        *dot = '\0';
    char *dash = strchr(stem, '-');
    if (dash != NULL) {
        if ((size_t)(dash - stem) >= sizeof sym_part)
            return qf_err_set(err, QF_EINVAL, "%s: symbol part of the file name is too long", base);
        snprintf(sym_part, sizeof sym_part, "%.*s", (int)(dash - stem), stem);
        char *dash2 = strchr(dash + 1, '-');
        snprintf(tf_part, sizeof tf_part, "%.*s",
                 (int)(dash2 != NULL ? dash2 - dash - 1 : (long)strlen(dash + 1)), dash + 1);
    }
    memset(out_key, 0, sizeof *out_key);
    const char *exchange = opt != NULL && opt->exchange != NULL ? opt->exchange : "binance";
    size_t exlen = strlen(exchange);
    if (exlen == 0 || exlen >= sizeof out_key->exchange)
        return qf_err_set(err, QF_EINVAL, "exchange name must be 1 to %zu characters, got \"%s\"",
                          sizeof out_key->exchange - 1, exchange);
    memcpy(out_key->exchange, exchange, exlen + 1);
    qf_rc rc = QF_OK;
    if (opt != NULL && opt->symbol != NULL) {
        rc = qf_symbol_validate(opt->symbol, err);
        snprintf(out_key->symbol, sizeof out_key->symbol, "%s", opt->symbol);
    } else if (strchr(sym_part, '_') != NULL) {
        *strchr(sym_part, '_') = '/';
        rc = qf_symbol_validate(sym_part, err);
        snprintf(out_key->symbol, sizeof out_key->symbol, "%s", sym_part);
    } else if (sym_part[0] != '\0') {
        rc = qf_symbol_from_concat(sym_part, out_key->symbol, sizeof out_key->symbol, err);
    } else {
        rc = qf_err_set(err, QF_EINVAL,
                        "%s: cannot tell the symbol from the file name; use --symbol", base);
    }
    if (rc != QF_OK)
        return qf_err_prefix(err, "%s", base);
    const char *tf = opt != NULL && opt->timeframe != NULL ? opt->timeframe : tf_part;
    if (tf[0] == '\0')
        return qf_err_set(err, QF_EINVAL,
                          "%s: cannot tell the timeframe from the file name; use --timeframe",
                          base);
    qf_timeframe parsed;
    rc = qf_timeframe_parse(tf, &parsed, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "%s", base);
    snprintf(out_key->timeframe, sizeof out_key->timeframe, "%s", parsed.name);
    return QF_OK;
}

/* Reads a whole regular file into a NUL-terminated malloc'd buffer. */
static qf_rc slurp(const char *path, char **out_buf, size_t *out_len, qf_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return qf_err_set(err, QF_EIO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return qf_err_set(err, QF_EIO, "%s: is a directory, not a CSV file", path);
    if (!S_ISREG(st.st_mode))
        return qf_err_set(err, QF_EIO, "%s: not a regular file", path);
    if (st.st_size > MAX_FILE_BYTES)
        return qf_err_set(err, QF_EIO, "%s: larger than 4 GiB", path);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return qf_err_set(err, QF_EIO, "%s: %s", path, strerror(errno));
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        fclose(f);
        return qf_err_set(err, QF_ENOMEM, "%s: out of memory reading %zu bytes", path, size);
    }
    size_t got = fread(buf, 1, size, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || got != size) {
        free(buf);
        return qf_err_set(err, QF_EIO, "%s: read error", path);
    }
    buf[size] = '\0';
    *out_buf = buf;
    *out_len = size;
    return QF_OK;
}

/* Rejects binary content: NUL bytes or a high share of control characters. */
static qf_rc check_text(const char *path, const char *buf, size_t len, qf_err *err)
{
    size_t ctrl = 0;
    size_t probe = len < 65536 ? len : 65536;
    if (memchr(buf, '\0', len) != NULL)
        return qf_err_set(err, QF_EPARSE, "%s: binary data (NUL bytes), not a CSV text file", path);
    for (size_t i = 0; i < probe; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
            ctrl++;
    }
    if (ctrl > 0)
        return qf_err_set(err, QF_EPARSE, "%s: binary data (control bytes), not a CSV text file",
                          path);
    return QF_OK;
}

typedef struct row_ref {
    qf_candle c;
    size_t line; /* physical line number, 1-based */
} row_ref;

static int cmp_rows(const void *a, const void *b)
{
    const row_ref *x = a;
    const row_ref *y = b;
    if (x->c.open_time != y->c.open_time)
        return x->c.open_time < y->c.open_time ? -1 : 1;
    return x->line < y->line ? -1 : (x->line > y->line);
}

static int same_value(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static int same_candle(const qf_candle *a, const qf_candle *b)
{
    return a->open_time == b->open_time && a->open == b->open && a->high == b->high &&
           a->low == b->low && a->close == b->close && a->volume == b->volume &&
           same_value(a->quote_volume, b->quote_volume) && a->trades == b->trades &&
           same_value(a->taker_buy_base, b->taker_buy_base) &&
           same_value(a->taker_buy_quote, b->taker_buy_quote);
}

/* Reports a bad row: strict mode turns it into the call's error. */
static qf_rc bad_row(const char *name, size_t line, const qf_err *why, const qf_import_options *opt,
                     qf_import_report *rep, qf_err *err)
{
    char msg[QF_ERR_MSG_MAX + 64];
    snprintf(msg, sizeof msg, "%s:%zu: %s", name, line, why->msg);
    if (opt != NULL && opt->strict)
        return qf_err_set(err, QF_EPARSE, "%s (--strict: nothing imported)", msg);
    rep->bad_rows++;
    if (opt != NULL && opt->on_bad_row != NULL)
        opt->on_bad_row(opt->ctx, msg);
    return QF_OK;
}

/* Parses every data line of buf into rows (valid ones only). */
static qf_rc parse_lines(const char *name, const char *buf, size_t len, int64_t tf_ms,
                         const qf_import_options *opt, row_ref **out_rows, size_t *out_n,
                         qf_import_report *rep, qf_err *err)
{
    const char *eol = memchr(buf, '\n', len);
    size_t first_len = eol != NULL ? (size_t)(eol - buf) : len;
    qf_kline_layout layout;
    qf_rc rc = qf_kline_csv_layout(buf, first_len, &layout, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "%s:1", name);
    size_t cap = len / 40 + 16;
    row_ref *rows = malloc(cap * sizeof *rows);
    if (rows == NULL)
        return qf_err_set(err, QF_ENOMEM, "%s: out of memory", name);
    size_t n = 0;
    size_t line = 1;
    const char *p = layout.has_header ? (eol != NULL ? eol + 1 : buf + len) : buf;
    if (layout.has_header)
        line = 2;
    const char *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        rep->rows_read++;
        qf_err why;
        qf_candle c;
        int64_t close_time;
        rc = qf_kline_csv_parse_row(p, l, &layout, &c, &close_time, &why);
        if (rc == QF_OK)
            rc = qf_kline_check(&c, close_time, tf_ms, &why);
        if (rc != QF_OK) {
            rc = bad_row(name, line, &why, opt, rep, err);
            if (rc != QF_OK) {
                free(rows);
                return rc;
            }
        } else {
            if (n == cap) {
                row_ref *grown = realloc(rows, cap * 2 * sizeof *rows);
                if (grown == NULL) {
                    free(rows);
                    return qf_err_set(err, QF_ENOMEM, "%s: out of memory", name);
                }
                rows = grown;
                cap *= 2;
            }
            rows[n].c = c;
            rows[n].line = line;
            n++;
        }
        p += l + 1;
        line++;
    }
    *out_rows = rows;
    *out_n = n;
    return QF_OK;
}

/* Sorts if needed, then collapses repeated open_times: identical repeats are
 * duplicates, conflicting ones are bad rows (the later line is dropped). */
static qf_rc dedupe(const char *name, row_ref *rows, size_t *n, const qf_import_options *opt,
                    qf_import_report *rep, qf_err *err)
{
    for (size_t i = 1; i < *n && !rep->unsorted; i++)
        rep->unsorted = rows[i].c.open_time < rows[i - 1].c.open_time;
    if (rep->unsorted)
        qsort(rows, *n, sizeof *rows, cmp_rows);
    size_t w = 0;
    for (size_t i = 0; i < *n; i++) {
        if (w > 0 && rows[i].c.open_time == rows[w - 1].c.open_time) {
            if (same_candle(&rows[i].c, &rows[w - 1].c)) {
                rep->duplicates++;
                continue;
            }
            qf_err why;
            qf_err_set(&why, QF_EPARSE, "open_time %lld repeats line %zu with different values",
                       (long long)rows[i].c.open_time, rows[w - 1].line);
            qf_rc rc = bad_row(name, rows[i].line, &why, opt, rep, err);
            if (rc != QF_OK)
                return rc;
            continue;
        }
        rows[w++] = rows[i];
    }
    *n = w;
    return QF_OK;
}

void qf_import_find_gaps(const qf_candle *rows, size_t n, int64_t tf_ms, qf_import_report *report)
{
    report->gaps = 0;
    report->missing_bars = 0;
    report->n_gap_samples = 0;
    for (size_t i = 1; i < n; i++) {
        int64_t d = rows[i].open_time - rows[i - 1].open_time;
        if (d <= tf_ms)
            continue;
        int64_t missing = d / tf_ms - 1;
        report->gaps++;
        report->missing_bars += (size_t)missing;
        if (report->n_gap_samples < QF_IMPORT_GAP_SAMPLES) {
            report->gap_first_missing[report->n_gap_samples] = rows[i - 1].open_time + tf_ms;
            report->gap_bars[report->n_gap_samples] = missing;
            report->n_gap_samples++;
        }
    }
}

qf_rc qf_import_read(const char *path, const qf_import_options *opt, qf_candles *out,
                     qf_import_report *report, qf_err *err)
{
    qf_import_report rep;
    memset(&rep, 0, sizeof rep);
    const char *name = base_name(path);
    qf_rc rc = qf_import_series_from_name(path, opt, &rep.key, err);
    if (rc != QF_OK)
        return rc;
    qf_timeframe tf;
    rc = qf_timeframe_parse(rep.key.timeframe, &tf, err);
    if (rc != QF_OK)
        return rc;
    char *buf = NULL;
    size_t len = 0;
    rc = slurp(path, &buf, &len, err);
    if (rc == QF_OK)
        rc = check_text(name, buf, len, err);
    if (rc == QF_OK && len == 0)
        rc = qf_err_set(err, QF_EPARSE, "%s: empty file", name);
    row_ref *rows = NULL;
    size_t n = 0;
    if (rc == QF_OK)
        rc = parse_lines(name, buf, len, tf.ms, opt, &rows, &n, &rep, err);
    free(buf);
    if (rc == QF_OK && rep.rows_read == 0)
        rc = qf_err_set(err, QF_EPARSE, "%s: no data rows after the header", name);
    if (rc == QF_OK)
        rc = dedupe(name, rows, &n, opt, &rep, err);
    if (rc == QF_OK)
        rc = qf_candles_reserve(out, out->n + n, err);
    if (rc != QF_OK) {
        free(rows);
        return rc;
    }
    size_t base = out->n;
    for (size_t i = 0; i < n; i++)
        out->v[out->n++] = rows[i].c;
    free(rows);
    rep.valid = n;
    qf_import_find_gaps(out->v + base, n, tf.ms, &rep);
    if (n > 0) {
        rep.first_open_time = out->v[base].open_time;
        rep.last_open_time = out->v[out->n - 1].open_time;
    }
    if (report != NULL)
        *report = rep;
    return QF_OK;
}

qf_rc qf_import_file(qf_store *store, const char *path, const qf_import_options *opt,
                     qf_import_report *out_report, qf_err *err)
{
    double t0 = now_seconds();
    qf_candles rows;
    qf_candles_init(&rows);
    qf_import_report rep;
    qf_rc rc = qf_import_read(path, opt, &rows, &rep, err);
    if (rc != QF_OK) {
        qf_candles_cleanup(&rows);
        return rc;
    }
    size_t batch = opt != NULL && opt->batch_rows > 0 ? opt->batch_rows : QF_IMPORT_DEFAULT_BATCH;
    for (size_t done = 0; done < rows.n && rc == QF_OK;) {
        size_t k = rows.n - done < batch ? rows.n - done : batch;
        qf_upsert_stats st;
        rc = qf_store_upsert_candles(store, &rep.key, rows.v + done, k, &st, err);
        if (rc != QF_OK)
            break;
        rep.inserted += st.inserted;
        rep.updated += st.updated;
        rep.unchanged += st.unchanged;
        done += k;
        if (opt != NULL && opt->on_progress != NULL)
            opt->on_progress(opt->ctx, done, rows.n);
    }
    qf_candles_cleanup(&rows);
    rep.seconds = now_seconds() - t0;
    if (out_report != NULL)
        *out_report = rep;
    if (rc != QF_OK)
        return qf_err_prefix(err, "%s", base_name(path));
    return QF_OK;
}
