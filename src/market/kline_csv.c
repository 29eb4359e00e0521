/*
 * kline_csv.c - the Binance kline CSV row parser and bar checks.
 *
 * Numbers are parsed with strtod/strtoll on a NUL-terminated copy of each
 * field (fields are short; longer ones are rejected), with end-pointer checks
 * and a character whitelist so "nan", "inf", hex floats and stray spaces are
 * refused rather than silently accepted.
 */
#include "market/kline_csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX    64
#define US_THRESHOLD INT64_C(100000000000000) /* 1e14: ms that far out is year 5138 */

static const struct {
    const char *name;
    qf_kline_col col;
} col_names[] = {
    {"open_time", QF_KCOL_OPEN_TIME},
    {"open", QF_KCOL_OPEN},
    {"high", QF_KCOL_HIGH},
    {"low", QF_KCOL_LOW},
    {"close", QF_KCOL_CLOSE},
    {"volume", QF_KCOL_VOLUME},
    {"close_time", QF_KCOL_CLOSE_TIME},
    {"quote_volume", QF_KCOL_QUOTE_VOLUME},
    {"quote_asset_volume", QF_KCOL_QUOTE_VOLUME},
    {"trades", QF_KCOL_TRADES},
    {"count", QF_KCOL_TRADES},
    {"number_of_trades", QF_KCOL_TRADES},
    {"taker_buy_base", QF_KCOL_TAKER_BUY_BASE},
    {"taker_buy_volume", QF_KCOL_TAKER_BUY_BASE},
    {"taker_buy_base_asset_volume", QF_KCOL_TAKER_BUY_BASE},
    {"taker_buy_quote", QF_KCOL_TAKER_BUY_QUOTE},
    {"taker_buy_quote_volume", QF_KCOL_TAKER_BUY_QUOTE},
    {"taker_buy_quote_asset_volume", QF_KCOL_TAKER_BUY_QUOTE},
    {"ignore", QF_KCOL_IGNORE},
};

static const char *const col_labels[] = {
    "ignored",      "open_time", "open",           "high",
    "low",          "close",     "volume",         "close_time",
    "quote_volume", "trades",    "taker_buy_base", "taker_buy_quote"};

/* Splits line into at most max fields; returns the count (max + 1 if more). */
static size_t split(const char *line, size_t len, const char **starts, size_t *lens, size_t max)
{
    size_t n = 0;
    size_t begin = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ',') {
            if (n == max)
                return max + 1;
            starts[n] = line + begin;
            lens[n] = i - begin;
            n++;
            begin = i + 1;
        }
    }
    return n;
}

static size_t trim_cr(const char *line, size_t len)
{
    return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static qf_kline_col lookup_col(const char *s, size_t n, int *known)
{
    *known = 0;
    for (size_t i = 0; i < sizeof col_names / sizeof col_names[0]; i++) {
        if (strlen(col_names[i].name) == n && strncmp(col_names[i].name, s, n) == 0) {
            *known = 1;
            return col_names[i].col;
        }
    }
    return QF_KCOL_IGNORE;
}

static qf_rc header_layout(const char **f, const size_t *fl, size_t n, qf_kline_layout *out,
                           qf_err *err)
{
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        int known;
        size_t len = fl[i];
        const char *s = f[i];
        if (i == 0 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3; /* UTF-8 byte-order mark written by spreadsheets */
            len -= 3;
        }
        qf_kline_col c = lookup_col(s, len, &known);
        if (c != QF_KCOL_IGNORE && (seen & (1u << c)))
            return qf_err_set(err, QF_EPARSE, "header names column '%.*s' twice", (int)len, s);
        seen |= 1u << c;
        out->cols[i] = c;
    }
    for (int c = QF_KCOL_OPEN_TIME; c <= QF_KCOL_VOLUME; c++)
        if (!(seen & (1u << c)))
            return qf_err_set(err, QF_EPARSE, "header lacks required column '%s'", col_labels[c]);
    out->has_header = 1;
    out->n_cols = n;
    return QF_OK;
}

qf_rc qf_kline_csv_layout(const char *line, size_t len, qf_kline_layout *out_layout, qf_err *err)
{
    const char *f[QF_KLINE_MAX_COLS];
    size_t fl[QF_KLINE_MAX_COLS];
    len = trim_cr(line, len);
    size_t n = split(line, len, f, fl, QF_KLINE_MAX_COLS);
    if (n > QF_KLINE_MAX_COLS)
        return qf_err_set(err, QF_EPARSE, "first line has more than %d columns", QF_KLINE_MAX_COLS);
    memset(out_layout, 0, sizeof *out_layout);
    if (len > 0 && !is_digit(line[0]))
        return header_layout(f, fl, n, out_layout, err);
    if (n != 12)
        return qf_err_set(err, QF_EPARSE,
                          "no header and %zu columns (a headerless Binance dump has 12)", n);
    static const qf_kline_col dump[12] = {QF_KCOL_OPEN_TIME,
                                          QF_KCOL_OPEN,
                                          QF_KCOL_HIGH,
                                          QF_KCOL_LOW,
                                          QF_KCOL_CLOSE,
                                          QF_KCOL_VOLUME,
                                          QF_KCOL_CLOSE_TIME,
                                          QF_KCOL_QUOTE_VOLUME,
                                          QF_KCOL_TRADES,
                                          QF_KCOL_TAKER_BUY_BASE,
                                          QF_KCOL_TAKER_BUY_QUOTE,
                                          QF_KCOL_IGNORE};
    memcpy(out_layout->cols, dump, sizeof dump);
    out_layout->n_cols = 12;
    out_layout->has_header = 0;
    return QF_OK;
}

/* Copies a field into buf and checks it only holds number characters. */
static int field_copy(const char *s, size_t n, char *buf, int allow_frac)
{
    if (n == 0 || n >= FIELD_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = is_digit(c) ||
                 ((c == '-' || c == '+') && (i == 0 || s[i - 1] == 'e' || s[i - 1] == 'E'));
        ok = ok || (allow_frac && (c == '.' || c == 'e' || c == 'E'));
        if (!ok)
            return 0;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 1;
}

static int parse_double(const char *s, size_t n, double *out)
{
    char buf[FIELD_MAX];
    if (!field_copy(s, n, buf, 1))
        return 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static int parse_int(const char *s, size_t n, int64_t *out)
{
    char buf[FIELD_MAX];
    if (!field_copy(s, n, buf, 0))
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return 0;
    *out = v;
    return 1;
}

/* Microsecond timestamps (>= 1e14) become ms; a close time ends at ...999 us. */
static int normalize_time(int64_t *t, int is_close)
{
    if (*t < US_THRESHOLD)
        return 1;
    if (is_close) {
        if ((*t + 1) % 1000 != 0)
            return 0;
        *t = (*t + 1) / 1000 - 1;
    } else {
        if (*t % 1000 != 0)
            return 0;
        *t /= 1000;
    }
    return 1;
}

static qf_rc store_field(qf_kline_col col, const char *s, size_t n, qf_candle *c,
                         int64_t *close_time, qf_err *err)
{
    double *dst = NULL;
    int optional = 0;
    switch (col) {
    case QF_KCOL_IGNORE:
        return QF_OK;
    case QF_KCOL_OPEN_TIME:
    case QF_KCOL_CLOSE_TIME: {
        int64_t t;
        if (n == 0 && col == QF_KCOL_CLOSE_TIME)
            return QF_OK;
        if (!parse_int(s, n, &t) || t < 0 || !normalize_time(&t, col == QF_KCOL_CLOSE_TIME))
            break;
        if (col == QF_KCOL_OPEN_TIME)
            c->open_time = t;
        else
            *close_time = t;
        return QF_OK;
    }
    case QF_KCOL_TRADES:
        if (n == 0)
            return QF_OK;
        if (!parse_int(s, n, &c->trades) || c->trades < 0)
            break;
        return QF_OK;
    case QF_KCOL_OPEN:
        dst = &c->open;
        break;
    case QF_KCOL_HIGH:
        dst = &c->high;
        break;
    case QF_KCOL_LOW:
        dst = &c->low;
        break;
    case QF_KCOL_CLOSE:
        dst = &c->close;
        break;
    case QF_KCOL_VOLUME:
        dst = &c->volume;
        break;
    case QF_KCOL_QUOTE_VOLUME:
        dst = &c->quote_volume;
        optional = 1;
        break;
    case QF_KCOL_TAKER_BUY_BASE:
        dst = &c->taker_buy_base;
        optional = 1;
        break;
    case QF_KCOL_TAKER_BUY_QUOTE:
        dst = &c->taker_buy_quote;
        optional = 1;
        break;
    }
    if (dst != NULL && optional && n == 0)
        return QF_OK;
    if (dst != NULL && parse_double(s, n, dst))
        return QF_OK;
    return qf_err_set(err, QF_EPARSE, "%s: not a valid number: '%.*s'", col_labels[col],
                      (int)(n > 24 ? 24 : n), s);
}

qf_rc qf_kline_csv_parse_row(const char *line, size_t len, const qf_kline_layout *layout,
                             qf_candle *out_candle, int64_t *out_close_time, qf_err *err)
{
    const char *f[QF_KLINE_MAX_COLS];
    size_t fl[QF_KLINE_MAX_COLS];
    len = trim_cr(line, len);
    if (len == 0)
        return qf_err_set(err, QF_EPARSE, "empty line");
    size_t n = split(line, len, f, fl, QF_KLINE_MAX_COLS);
    int known = 0;
    if (n <= QF_KLINE_MAX_COLS)
        (void)lookup_col(f[0], fl[0], &known);
    if (known)
        return qf_err_set(err, QF_EPARSE, "header in the wrong place (only line 1 may be one)");
    if (n != layout->n_cols) {
        return qf_err_set(err, QF_EPARSE, "expected %zu columns, found %s%zu", layout->n_cols,
                          n > QF_KLINE_MAX_COLS ? "more than " : "",
                          n > QF_KLINE_MAX_COLS ? (size_t)QF_KLINE_MAX_COLS : n);
    }
    *out_candle = (qf_candle){
        .quote_volume = NAN, .trades = -1, .taker_buy_base = NAN, .taker_buy_quote = NAN};
    *out_close_time = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        qf_rc rc = store_field(layout->cols[i], f[i], fl[i], out_candle, out_close_time, err);
        if (rc != QF_OK)
            return rc;
    }
    return QF_OK;
}

qf_rc qf_kline_check(const qf_candle *c, int64_t close_time, int64_t tf_ms, qf_err *err)
{
    if (!(c->open > 0 && c->high > 0 && c->low > 0 && c->close > 0))
        return qf_err_set(err, QF_EPARSE, "prices must be > 0");
    if (c->low > c->open || c->low > c->close)
        return qf_err_set(err, QF_EPARSE, "low %.17g above open or close", c->low);
    if (c->high < c->open || c->high < c->close)
        return qf_err_set(err, QF_EPARSE, "high %.17g below open or close", c->high);
    if (c->volume < 0)
        return qf_err_set(err, QF_EPARSE, "volume %.17g < 0", c->volume);
    if (tf_ms > 0 && c->open_time % tf_ms != 0)
        return qf_err_set(err, QF_EPARSE, "open_time %lld not aligned to the timeframe",
                          (long long)c->open_time);
    if (tf_ms > 0 && close_time != INT64_MIN && close_time != c->open_time + tf_ms - 1)
        return qf_err_set(err, QF_EPARSE,
                          "close_time %lld is not open_time + bar - 1 ms (wrong timeframe?)",
                          (long long)close_time);
    return QF_OK;
}
