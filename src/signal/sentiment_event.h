/*
 * sentiment_event.h - a news sentiment event as QuantFlow holds it (what
 * `sentiment_events` stores and the scorer of signal/sentiment.h reads), its
 * validation, the normalised title and the dedup key every store backend
 * uses, and qf_sentiment_events, a growable array that owns its strings
 * (what a store query or a parse fills).
 *
 * A leaf header (core only), so the store can hold events without
 * depending on the scorer. Times are UTC milliseconds.
 */
#ifndef QF_SIGNAL_SENTIMENT_EVENT_H
#define QF_SIGNAL_SENTIMENT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Longest texts an event may hold, in bytes (NUL excluded). They bound what
 * outside input can make a reader allocate. */
#define QF_SENTIMENT_SOURCE_MAX 63
#define QF_SENTIMENT_TITLE_MAX  1024
#define QF_SENTIMENT_SYMBOL_MAX 23
#define QF_SENTIMENT_URL_MAX    2048
#define QF_SENTIMENT_LABEL_MAX  31

/* Published times an event may have: 1970-01-01 .. 9999-12-31T23:59:59.999Z
 * (the store's range). */
#define QF_SENTIMENT_TIME_MIN INT64_C(0)
#define QF_SENTIMENT_TIME_MAX INT64_C(253402300799999)

/* Room for a dedup key: time, source, symbol and normalised title. */
#define QF_SENTIMENT_KEY_MAX                                                                       \
    (24 + QF_SENTIMENT_SOURCE_MAX + QF_SENTIMENT_SYMBOL_MAX + QF_SENTIMENT_TITLE_MAX + 4)

/* One event: a view of strings someone else owns. */
typedef struct qf_sentiment_event {
    int64_t time;       /* published at, UTC ms */
    const char *source; /* publisher ("CoinTelegraph"), non-empty */
    const char *title;  /* headline, non-empty */
    const char *symbol; /* "BTC/USDT", an asset ("BTC": every BTC market), NULL: market-wide */
    const char *url;    /* NULL when unknown */
    const char *label;  /* the provider's class ("positive"), NULL when none */
    double score;       /* [-1, 1], +1 bullish */
    double confidence;  /* [0, 1] */
} qf_sentiment_event;

/* Checks one event: time in [QF_SENTIMENT_TIME_MIN, QF_SENTIMENT_TIME_MAX];
 * score a finite number in [-1, 1] and confidence in [0, 1]; source and
 * title non-empty; every text valid UTF-8 without control characters and
 * within its length limit; symbol NULL, BASE/QUOTE (qf_symbol_validate) or
 * an asset of 1..10 upper-case letters and digits. QF_EINVAL naming the
 * field and what is wrong. */
QF_NODISCARD qf_rc qf_sentiment_event_check(const qf_sentiment_event *e, qf_err *err);

/* Whether symbol (NULL, BASE/QUOTE or an asset) is one an event may carry. */
int qf_sentiment_symbol_ok(const char *symbol);

/* Writes the normalised title into out (size bytes, NUL-terminated,
 * truncated to fit) and returns its length: ASCII letters lower-cased, every
 * run of other ASCII characters (punctuation, blanks) and of Unicode
 * punctuation and spaces (U+00A0, U+00AB, U+00BB, U+2000..U+206F: curly
 * quotes, dashes, ellipsis) collapsed into one space, no leading or trailing
 * space; other bytes (letters of other scripts) are kept as they are.
 * "Bitcoin’s  RALLY!" -> "bitcoin s rally". Its words are the units of the
 * scorer's burst similarity. */
size_t qf_sentiment_normalize_title(const char *title, char *out, size_t size);

/* The dedup key of an event, the same for every store backend:
 * "<time ms>|<source lower-cased>|<symbol or empty>|<normalised title>".
 * Re-importing an event gives the same key, so the store upserts it instead
 * of adding a copy. out must hold QF_SENTIMENT_KEY_MAX bytes; the event must
 * pass qf_sentiment_event_check. Returns the key's length. */
size_t qf_sentiment_event_key(const qf_sentiment_event *e, char *out, size_t size);

/* Events that own their strings: v[i]'s strings point into `text`. The
 * pointers stay valid until the next push, truncate or cleanup. */
typedef struct qf_sentiment_events {
    qf_sentiment_event *v; /* owned; NULL when empty */
    size_t n;              /* events in use */
    size_t cap;            /* events allocated */
    char *text;            /* owned; every event's strings, NUL-terminated, in order */
    size_t text_len;       /* bytes in use */
    size_t text_cap;       /* bytes allocated */
} qf_sentiment_events;

/* Empty array; cannot fail. */
void qf_sentiment_events_init(qf_sentiment_events *a);
/* Frees everything and leaves an empty array. */
void qf_sentiment_events_cleanup(qf_sentiment_events *a);
/* Appends a copy of e (its strings must not point into a). Does not check
 * it. On failure (QF_ENOMEM) a is unchanged. */
QF_NODISCARD qf_rc qf_sentiment_events_push(qf_sentiment_events *a, const qf_sentiment_event *e,
                                            qf_err *err);
/* Keeps the first n events (n <= a->n) and their strings. */
void qf_sentiment_events_truncate(qf_sentiment_events *a, size_t n);

#endif
