/*
 * sentiment_event.c - sentiment event validation, title normalisation, the
 * dedup key and the owning array (sentiment_event.h).
 */
#include "signal/sentiment_event.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"

/* Length of the valid UTF-8 sequence at s (1..4), 0 when s does not start
 * one (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* NULL when text is fine, else why not. */
static const char *text_problem(const char *text, size_t max)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);
    if (len > max)
        return "is too long";
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return "contains a control character";
        size_t n = utf8_len(s + i);
        if (n == 0)
            return "is not valid UTF-8";
        i += n;
    }
    return NULL;
}

static qf_rc check_text(const char *name, const char *text, size_t max, int required, qf_err *err)
{
    if (text == NULL || text[0] == '\0') {
        if (!required)
            return QF_OK;
        return qf_err_set(err, QF_EINVAL, "%s is missing or empty", name);
    }
    const char *why = text_problem(text, max);
    if (why != NULL)
        return qf_err_set(err, QF_EINVAL, "%s %s (at most %zu bytes of UTF-8 text)", name, why,
                          max);
    return QF_OK;
}

static int asset_ok(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
            return 0;
    return n >= 1 && n <= 10;
}

int qf_sentiment_symbol_ok(const char *symbol)
{
    if (symbol == NULL)
        return 1;
    if (strlen(symbol) > QF_SENTIMENT_SYMBOL_MAX)
        return 0;
    if (strchr(symbol, '/') != NULL)
        return qf_symbol_validate(symbol, NULL) == QF_OK;
    return asset_ok(symbol);
}

qf_rc qf_sentiment_event_check(const qf_sentiment_event *e, qf_err *err)
{
    if (e == NULL)
        return qf_err_set(err, QF_EINVAL, "no event");
    if (e->time < QF_SENTIMENT_TIME_MIN || e->time > QF_SENTIMENT_TIME_MAX)
        return qf_err_set(err, QF_EINVAL, "published time %" PRId64 " ms is outside 1970..9999",
                          e->time);
    if (!(e->score >= -1.0 && e->score <= 1.0))
        return qf_err_set(err, QF_EINVAL, "score %g is not a number in [-1, 1]", e->score);
    if (!(e->confidence >= 0.0 && e->confidence <= 1.0))
        return qf_err_set(err, QF_EINVAL, "confidence %g is not a number in [0, 1]", e->confidence);
    qf_rc rc = check_text("source", e->source, QF_SENTIMENT_SOURCE_MAX, 1, err);
    if (rc == QF_OK)
        rc = check_text("title", e->title, QF_SENTIMENT_TITLE_MAX, 1, err);
    if (rc == QF_OK)
        rc = check_text("url", e->url, QF_SENTIMENT_URL_MAX, 0, err);
    if (rc == QF_OK)
        rc = check_text("label", e->label, QF_SENTIMENT_LABEL_MAX, 0, err);
    if (rc == QF_OK && e->symbol != NULL && !qf_sentiment_symbol_ok(e->symbol))
        rc = qf_err_set(err, QF_EINVAL,
                        "symbol '%.40s' is neither BASE/QUOTE (BTC/USDT) nor an asset (BTC)",
                        e->symbol);
    return rc;
}

/* Bytes of Unicode punctuation or space starting at s (treated as one
 * separator), 0 when s starts none. */
static size_t unicode_separator(const unsigned char *s)
{
    if (s[0] == 0xc2 && (s[1] == 0xa0 || s[1] == 0xab || s[1] == 0xbb))
        return 2;
    if (s[0] == 0xe2 && (s[1] == 0x80 || (s[1] == 0x81 && s[2] >= 0x80 && s[2] <= 0xaf)) &&
        s[2] >= 0x80 && s[2] <= 0xbf)
        return 3;
    return 0;
}

static int ascii_alnum(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

size_t qf_sentiment_normalize_title(const char *title, char *out, size_t size)
{
    const unsigned char *s = (const unsigned char *)title;
    size_t n = 0;
    int gap = 0; /* a separator is pending (only between words) */
    if (size == 0)
        return 0;
    for (size_t i = 0; s[i] != '\0';) {
        size_t sep = s[i] < 0x80 ? !ascii_alnum(s[i]) : unicode_separator(s + i);
        if (sep > 0) {
            gap = n > 0;
            i += sep;
            continue;
        }
        if (n + gap + 1 >= size)
            break;
        if (gap)
            out[n++] = ' ';
        gap = 0;
        out[n++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i]);
        i++;
    }
    out[n] = '\0';
    return n;
}

size_t qf_sentiment_event_key(const qf_sentiment_event *e, char *out, size_t size)
{
    char source[QF_SENTIMENT_SOURCE_MAX + 1];
    size_t i = 0;
    for (; e->source[i] != '\0' && i < QF_SENTIMENT_SOURCE_MAX; i++) {
        char c = e->source[i];
        source[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    source[i] = '\0';
    int head = snprintf(out, size, "%" PRId64 "|%s|%s|", e->time, source,
                        e->symbol != NULL ? e->symbol : "");
    if (head < 0 || (size_t)head >= size)
        return size > 0 ? strlen(out) : 0;
    return (size_t)head + qf_sentiment_normalize_title(e->title, out + head, size - (size_t)head);
}

/* ---- the owning array --------------------------------------------------- */

void qf_sentiment_events_init(qf_sentiment_events *a)
{
    memset(a, 0, sizeof *a);
}

void qf_sentiment_events_cleanup(qf_sentiment_events *a)
{
    free(a->v);
    free(a->text);
    qf_sentiment_events_init(a);
}

/* The strings of an event in pool order; NULL ones take no room. */
static const char **field(qf_sentiment_event *e, int k)
{
    switch (k) {
    case 0:
        return &e->source;
    case 1:
        return &e->title;
    case 2:
        return &e->symbol;
    case 3:
        return &e->url;
    default:
        return &e->label;
    }
}

#define N_FIELDS 5

/* Points every event's strings at their place in a->text (after the pool
 * moved): they lie in event order, fields in field() order. */
static void repoint(qf_sentiment_events *a)
{
    size_t off = 0;
    for (size_t i = 0; i < a->n; i++) {
        for (int k = 0; k < N_FIELDS; k++) {
            const char **f = field(&a->v[i], k);
            if (*f == NULL)
                continue;
            *f = a->text + off;
            off += strlen(a->text + off) + 1;
        }
    }
}

/* Grows *p (cap elements of size bytes) to hold need; 0 when it had room, 1
 * when it was reallocated, -1 when out of memory (nothing changed). */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap > 0 ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return -1;
        c *= 2;
    }
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = c;
    return 1;
}

qf_rc qf_sentiment_events_push(qf_sentiment_events *a, const qf_sentiment_event *e, qf_err *err)
{
    qf_sentiment_event copy = *e;
    size_t bytes = 0;
    for (int k = 0; k < N_FIELDS; k++) {
        const char *s = *field(&copy, k);
        if (s != NULL)
            bytes += strlen(s) + 1;
    }
    if (grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v) < 0)
        return qf_err_set(err, QF_ENOMEM, "out of memory holding %zu sentiment events", a->n + 1);
    int moved = grow((void **)&a->text, &a->text_cap, a->text_len + bytes, 1);
    if (moved < 0)
        return qf_err_set(err, QF_ENOMEM, "out of memory holding %zu sentiment events", a->n + 1);
    if (moved > 0)
        repoint(a);
    for (int k = 0; k < N_FIELDS; k++) {
        const char **f = field(&copy, k);
        if (*f == NULL)
            continue;
        size_t len = strlen(*f) + 1;
        memcpy(a->text + a->text_len, *f, len);
        *f = a->text + a->text_len;
        a->text_len += len;
    }
    a->v[a->n++] = copy;
    return QF_OK;
}

void qf_sentiment_events_truncate(qf_sentiment_events *a, size_t n)
{
    if (n >= a->n)
        return;
    a->n = n;
    a->text_len = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < N_FIELDS; k++) {
            const char *s = *field(&a->v[i], k);
            if (s != NULL)
                a->text_len += strlen(s) + 1;
        }
}
