/*
 * config_value.c - one value at a time: text to field, the key's own rule,
 * and the message when either fails.
 *
 * A message names the key path, the reason and the value as given, then
 * where it came from: `config: risk.max_position_pct must be in (0, 1], got
 * 1.5 (my.yaml:42)`. Secret values are never shown. Texts follow YAML as the
 * original (PyYAML) read them: integers in decimal, floats with strtod's
 * decimal syntax (no hex, inf or nan), booleans true/false/yes/no/on/off.
 * Quoting does not change how a number or a boolean is read, so
 * `port: "${POSTGRES_PORT:5432}"` works as well as the plain form.
 */
#include "core/config_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define GOT_MAX 48 /* bytes of a bad value shown in a message */

/* ---- field access -------------------------------------------------------- */

void *qf_cfg_field(qf_config *cfg, const qf_cfg_key *k)
{
    return (char *)cfg + k->off;
}

const void *qf_cfg_cfield(const qf_config *cfg, const qf_cfg_key *k)
{
    return (const char *)cfg + k->off;
}

size_t qf_cfg_count(const qf_config *cfg, const qf_cfg_key *k)
{
    size_t n;
    memcpy(&n, (const char *)cfg + k->count_off, sizeof n);
    return n;
}

void qf_cfg_set_count(qf_config *cfg, const qf_cfg_key *k, size_t n)
{
    memcpy((char *)cfg + k->count_off, &n, sizeof n);
}

static const char *str_at(const qf_config *cfg, const qf_cfg_key *k, size_t idx)
{
    return (const char *)qf_cfg_cfield(cfg, k) + idx * k->size;
}

static double dbl_at(const qf_config *cfg, const qf_cfg_key *k, size_t idx)
{
    return ((const double *)qf_cfg_cfield(cfg, k))[idx];
}

int qf_cfg_equal(const qf_config *a, const qf_config *b, const qf_cfg_key *k)
{
    switch (k->type) {
    case QF_CT_STRING:
    case QF_CT_ENUM:
        return strncmp(str_at(a, k, 0), str_at(b, k, 0), k->size) == 0;
    case QF_CT_INT:
        return *(const int *)qf_cfg_cfield(a, k) == *(const int *)qf_cfg_cfield(b, k);
    case QF_CT_DOUBLE:
        return dbl_at(a, k, 0) == dbl_at(b, k, 0);
    case QF_CT_BOOL:
        return *(const bool *)qf_cfg_cfield(a, k) == *(const bool *)qf_cfg_cfield(b, k);
    case QF_CT_STRLIST:
    case QF_CT_DBLLIST:
        break;
    }
    size_t n = qf_cfg_count(a, k);
    if (n != qf_cfg_count(b, k) || n > k->max_n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int same = k->type == QF_CT_STRLIST
                       ? strncmp(str_at(a, k, i), str_at(b, k, i), k->size) == 0
                       : dbl_at(a, k, i) == dbl_at(b, k, i);
        if (!same)
            return 0;
    }
    return 1;
}

void qf_cfg_format_double(double v, char *buf, size_t size)
{
    /* Fixed notation for ordinary magnitudes ("2190", "0.05"), %g beyond. */
    int fixed = isfinite(v) && (v == 0 || (fabs(v) >= 1e-4 && fabs(v) < 1e16));
    for (int prec = fixed ? 0 : 1; prec <= 17; prec++) {
        snprintf(buf, size, fixed ? "%.*f" : "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (isfinite(v) && strpbrk(buf, ".e") == NULL && strlen(buf) + 3 <= size)
        strcat(buf, ".0");
}

/* ---- messages --------------------------------------------------------------
 */

qf_rc qf_cfg_fail(qf_err *err, qf_rc code, const char *src, int line, const char *fmt, ...)
{
    char msg[QF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (src != NULL && line > 0)
        return qf_err_set(err, code, "config: %s (%s:%d)", msg, src, line);
    if (src != NULL)
        return qf_err_set(err, code, "config: %s (%s)", msg, src);
    return qf_err_set(err, code, "config: %s", msg);
}

/* Printable copy of text for a message: control bytes become '?', long
 * texts are cut with "...", quoted in '' when quote is set. */
static void show(const char *text, size_t len, int quote, char *buf, size_t size)
{
    size_t o = 0;
    size_t room = size - 6; /* quotes, "...", NUL */
    if (quote)
        buf[o++] = '\'';
    for (size_t i = 0; i < len && i < GOT_MAX && o < room; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (len > GOT_MAX || o >= room) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    if (quote)
        buf[o++] = '\'';
    buf[o] = '\0';
}

/* "config: <path>[idx] <reason>, got <got> (src:line)"; secrets never show
 * their value, got may be NULL. */
static qf_rc key_fail(const qf_cfg_key *k, long idx, const char *reason, const char *got,
                      const qf_cfg_where *w, qf_err *err)
{
    char path[QF_CFG_PATH_MAX + 24];
    if (idx >= 0)
        snprintf(path, sizeof path, "%s[%ld]", k->path, idx);
    else
        snprintf(path, sizeof path, "%s", k->path);
    const char *src = w != NULL ? w->src : NULL;
    int line = w != NULL ? w->line : 0;
    if (got == NULL || (k->flags & QF_CF_SECRET))
        return qf_cfg_fail(err, QF_ECONFIG, src, line, "%s %s", path, reason);
    return qf_cfg_fail(err, QF_ECONFIG, src, line, "%s %s, got %s", path, reason, got);
}

/* ---- rules
 * ------------------------------------------------------------------- */

static int in_range(const qf_cfg_range *r, double v)
{
    if (r->has_lo && (r->lo_open ? v <= r->lo : v < r->lo))
        return 0;
    if (r->has_hi && (r->hi_open ? v >= r->hi : v > r->hi))
        return 0;
    return 1;
}

/* "must be in (0, 1]", "must be >= 1", ... */
static const char *range_reason(const qf_cfg_range *r, char *buf, size_t size)
{
    if (r->has_lo && r->has_hi)
        snprintf(buf, size, "must be in %c%g, %g%c", r->lo_open ? '(' : '[', r->lo, r->hi,
                 r->hi_open ? ')' : ']');
    else if (r->has_lo)
        snprintf(buf, size, "must be %s %g", r->lo_open ? ">" : ">=", r->lo);
    else
        snprintf(buf, size, "must be %s %g", r->hi_open ? "<" : "<=", r->hi);
    return buf;
}

static int choice_ok(const char *choices, const char *s)
{
    size_t n = strlen(s);
    const char *c = choices;
    for (;;) {
        const char *bar = strchr(c, '|');
        size_t len = bar != NULL ? (size_t)(bar - c) : strlen(c);
        if (len == n && strncmp(c, s, n) == 0)
            return 1;
        if (bar == NULL)
            return 0;
        c = bar + 1;
    }
}

/* "must be one of paper, live" ("''" for the empty choice). */
static const char *choices_reason(const char *choices, char *buf, size_t size)
{
    size_t o = (size_t)snprintf(buf, size, "must be one of ");
    for (const char *c = choices; o < size;) {
        const char *bar = strchr(c, '|');
        int len = bar != NULL ? (int)(bar - c) : (int)strlen(c);
        o += (size_t)snprintf(buf + o, size - o, "%s%.*s", c == choices ? "" : ", ",
                              len != 0 ? len : 2, len != 0 ? c : "''");
        if (bar == NULL)
            break;
        c = bar + 1;
    }
    return buf;
}

/* Rule of one string (a scalar or a list element); NULL when it is fine. */
static const char *string_reason(const qf_cfg_key *k, const char *s, int elem, char *buf,
                                 size_t size)
{
    if (!elem && (k->flags & QF_CF_NONEMPTY) && s[0] == '\0')
        return "must not be empty";
    if (elem && s[0] == '\0')
        return "must not be empty";
    if (k->choices != NULL && !choice_ok(k->choices, s))
        return choices_reason(k->choices, buf, size);
    if (k->check != NULL)
        return k->check(s);
    return NULL;
}

/* ---- conversions
 * -------------------------------------------------------------- */

/* Copies text into dst (size bytes); a reason when it does not fit or holds
 * bytes a configuration string never needs. */
static const char *store_string(char *dst, size_t size, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return "must not contain control characters";
    }
    if (len >= size)
        return "is too long";
    memcpy(dst, text, len);
    dst[len] = '\0';
    return NULL;
}

/* 0 ok, 1 not an integer, 2 out of range of int. */
static int parse_int(const char *text, size_t len, int *out)
{
    char buf[32];
    size_t i = len > 0 && (text[0] == '+' || text[0] == '-') ? 1 : 0;
    if (i == len)
        return 1;
    for (size_t j = i; j < len; j++)
        if (text[j] < '0' || text[j] > '9')
            return 1;
    if (len >= sizeof buf)
        return 2;
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
        return 2;
    *out = (int)v;
    return 0;
}

/* 0 ok, 1 not a number, 2 not finite. */
static int parse_double(const char *text, size_t len, double *out)
{
    char buf[64];
    int digits = 0;
    if (len == 0 || len >= sizeof buf)
        return 1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c >= '0' && c <= '9')
            digits = 1;
        else if (c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E')
            return 1;
    }
    if (!digits)
        return 1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len)
        return 1;
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
        return 2;
    *out = v;
    return 0;
}

static int parse_bool(const char *text, size_t len, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strlen(yes[i]) == len && memcmp(yes[i], text, len) == 0) {
            *out = true;
            return 0;
        }
        if (strlen(no[i]) == len && memcmp(no[i], text, len) == 0) {
            *out = false;
            return 0;
        }
    }
    return 1;
}

static qf_rc parse_string_into(char *dst, const qf_cfg_key *k, long idx, const char *text,
                               size_t len, const qf_cfg_where *w, qf_err *err)
{
    char got[GOT_MAX + 8];
    char buf[160];
    show(text, len, 1, got, sizeof got);
    const char *why = store_string(dst, k->size, text, len);
    if (why != NULL && strcmp(why, "is too long") == 0) {
        snprintf(buf, sizeof buf, "is too long (at most %zu bytes)", k->size - 1);
        why = buf;
    }
    if (why == NULL)
        why = string_reason(k, dst, idx >= 0, buf, sizeof buf);
    return why != NULL ? key_fail(k, idx, why, got, w, err) : QF_OK;
}

static qf_rc parse_double_into(double *dst, const qf_cfg_key *k, long idx, const char *text,
                               size_t len, const qf_cfg_where *w, qf_err *err)
{
    char got[GOT_MAX + 8];
    char buf[96];
    int bad = parse_double(text, len, dst);
    show(text, len, bad == 1, got, sizeof got);
    if (bad == 1)
        return key_fail(k, idx, "must be a number", got, w, err);
    if (bad == 2)
        return key_fail(k, idx, "must be a finite number", got, w, err);
    if (!in_range(&k->range, *dst))
        return key_fail(k, idx, range_reason(&k->range, buf, sizeof buf), got, w, err);
    return QF_OK;
}

static qf_rc parse_int_into(int *dst, const qf_cfg_key *k, const char *text, size_t len,
                            const qf_cfg_where *w, qf_err *err)
{
    char got[GOT_MAX + 8];
    char buf[96];
    int bad = parse_int(text, len, dst);
    show(text, len, bad == 1, got, sizeof got);
    if (bad == 1)
        return key_fail(k, -1, "must be an integer", got, w, err);
    if (bad == 2 || !in_range(&k->range, *dst)) {
        const char *why = "is out of range";
        if (k->range.has_lo || k->range.has_hi)
            why = range_reason(&k->range, buf, sizeof buf);
        return key_fail(k, -1, why, got, w, err);
    }
    return QF_OK;
}

qf_rc qf_cfg_parse_scalar(qf_config *cfg, const qf_cfg_key *k, const char *text, size_t len,
                          const qf_cfg_where *w, qf_err *err)
{
    char got[GOT_MAX + 8];
    void *f = qf_cfg_field(cfg, k);
    switch (k->type) {
    case QF_CT_STRING:
    case QF_CT_ENUM:
        return parse_string_into(f, k, -1, text, len, w, err);
    case QF_CT_DOUBLE:
        return parse_double_into(f, k, -1, text, len, w, err);
    case QF_CT_INT:
        return parse_int_into(f, k, text, len, w, err);
    case QF_CT_BOOL:
        if (parse_bool(text, len, f) != 0) {
            show(text, len, 1, got, sizeof got);
            return key_fail(k, -1, "must be true or false", got, w, err);
        }
        return QF_OK;
    case QF_CT_STRLIST:
    case QF_CT_DBLLIST:
        break;
    }
    return key_fail(k, -1, "must be a list", NULL, w, err);
}

qf_rc qf_cfg_parse_elem(qf_config *cfg, const qf_cfg_key *k, size_t idx, const char *text,
                        size_t len, const qf_cfg_where *w, qf_err *err)
{
    char *base = qf_cfg_field(cfg, k);
    if (k->type == QF_CT_STRLIST)
        return parse_string_into(base + idx * k->size, k, (long)idx, text, len, w, err);
    return parse_double_into((double *)base + idx, k, (long)idx, text, len, w, err);
}

/* ---- whole-value checks
 * ------------------------------------------------------- */

qf_rc qf_cfg_check_list(const qf_config *cfg, const qf_cfg_key *k, const qf_cfg_where *w,
                        qf_err *err)
{
    char a[40];
    char b[40];
    char many[64];
    size_t n = qf_cfg_count(cfg, k);
    if (n > k->max_n) {
        snprintf(many, sizeof many, "has more than %zu elements", k->max_n);
        return key_fail(k, -1, many, NULL, w, err);
    }
    if (n == 0 && (k->flags & QF_CF_NONEMPTY))
        return key_fail(k, -1, "must not be empty", NULL, w, err);
    for (size_t i = 1; i < n && (k->flags & QF_CF_INCREASING); i++) {
        if (dbl_at(cfg, k, i) <= dbl_at(cfg, k, i - 1)) {
            qf_cfg_format_double(dbl_at(cfg, k, i), a, sizeof a);
            qf_cfg_format_double(dbl_at(cfg, k, i - 1), b, sizeof b);
            char why[120];
            snprintf(why, sizeof why, "must be strictly increasing, got %s after %s", a, b);
            return key_fail(k, -1, why, NULL, w, err);
        }
    }
    for (size_t i = 0; i < n && (k->flags & QF_CF_UNIQUE); i++) {
        for (size_t j = 0; j < i; j++) {
            if (strncmp(str_at(cfg, k, i), str_at(cfg, k, j), k->size) == 0) {
                char why[120];
                snprintf(why, sizeof why, "lists '%.40s' twice", str_at(cfg, k, i));
                return key_fail(k, -1, why, NULL, w, err);
            }
        }
    }
    return QF_OK;
}

/* Re-checks a stored string: terminated, then the same rules as on input. */
static qf_rc check_string(const qf_config *cfg, const qf_cfg_key *k, long idx,
                          const qf_cfg_where *w, qf_err *err)
{
    const char *s = str_at(cfg, k, idx < 0 ? 0 : (size_t)idx);
    const char *nul = memchr(s, '\0', k->size);
    if (nul == NULL)
        return key_fail(k, idx, "is too long (not NUL-terminated)", NULL, w, err);
    char tmp[QF_CONFIG_PATH_MAX]; /* no string field is larger (a test checks it) */
    if (k->size > sizeof tmp)
        return key_fail(k, idx, "is larger than any string field may be", NULL, w, err);
    return parse_string_into(tmp, k, idx, s, (size_t)(nul - s), w, err);
}

qf_rc qf_cfg_check(const qf_config *cfg, const qf_cfg_key *k, const qf_cfg_where *w, qf_err *err)
{
    char text[40];
    switch (k->type) {
    case QF_CT_STRING:
    case QF_CT_ENUM:
        return check_string(cfg, k, -1, w, err);
    case QF_CT_INT: {
        int tmp;
        snprintf(text, sizeof text, "%d", *(const int *)qf_cfg_cfield(cfg, k));
        return parse_int_into(&tmp, k, text, strlen(text), w, err);
    }
    case QF_CT_DOUBLE: {
        double tmp;
        qf_cfg_format_double(dbl_at(cfg, k, 0), text, sizeof text);
        return parse_double_into(&tmp, k, -1, text, strlen(text), w, err);
    }
    case QF_CT_BOOL:
        return QF_OK;
    case QF_CT_STRLIST:
    case QF_CT_DBLLIST:
        break;
    }
    size_t n = qf_cfg_count(cfg, k);
    for (size_t i = 0; i < n && i < k->max_n; i++) {
        qf_rc rc;
        if (k->type == QF_CT_STRLIST) {
            rc = check_string(cfg, k, (long)i, w, err);
        } else {
            double tmp;
            qf_cfg_format_double(dbl_at(cfg, k, i), text, sizeof text);
            rc = parse_double_into(&tmp, k, (long)i, text, strlen(text), w, err);
        }
        if (rc != QF_OK)
            return rc;
    }
    return qf_cfg_check_list(cfg, k, w, err);
}
