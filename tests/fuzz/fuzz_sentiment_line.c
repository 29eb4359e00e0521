/*
 * fuzz_sentiment_line.c - libFuzzer target for the sentiment event parsers
 * (signal/sentiment_parse.h): the input as one JSON Lines line, as one
 * headlines CSV row, and as a whole text. Whatever a parser accepts must be
 * an event qf_sentiment_event_check accepts (the store relies on it); a
 * parser that fails must leave its output as it was; a whole text yields
 * distinct dedup keys, and its report adds up.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/sentiment_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char key_a[QF_SENTIMENT_KEY_MAX];
static char key_b[QF_SENTIMENT_KEY_MAX];

static void check_events(const qf_sentiment_events *ev, size_t from)
{
    qf_err err;
    for (size_t i = from; i < ev->n; i++)
        if (qf_sentiment_event_check(&ev->v[i], &err) != QF_OK)
            abort();
}

/* Dedup keys of ev[from..] are distinct (quadratic: inputs are small). */
static void check_keys(const qf_sentiment_events *ev, size_t from)
{
    for (size_t i = from; i < ev->n && i < from + 64; i++) {
        qf_sentiment_event_key(&ev->v[i], key_a, sizeof key_a);
        for (size_t j = from; j < i; j++) {
            qf_sentiment_event_key(&ev->v[j], key_b, sizeof key_b);
            if (strcmp(key_a, key_b) == 0)
                abort();
        }
    }
}

static void one_line(qf_rc (*parse)(const char *, size_t, qf_sentiment_events *, qf_err *),
                     const char *p, size_t size, qf_sentiment_events *ev)
{
    qf_err err;
    size_t before = ev->n;
    qf_rc rc = parse(p, size, ev, &err);
    if (rc != QF_OK && ev->n != before)
        abort();
    if (rc == QF_OK && ev->n > before + 1)
        abort();
    check_events(ev, before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    qf_sentiment_events ev;
    qf_sentiment_events_init(&ev);
    one_line(qf_sentiment_parse_jsonl_line, p, size, &ev);
    one_line(qf_sentiment_parse_csv_line, p, size, &ev);
    size_t before = ev.n;
    qf_sentiment_parse_report rep;
    qf_err err;
    qf_rc rc = qf_sentiment_parse_text(p, size, "fuzz", &ev, &rep, &err);
    if (rc != QF_OK && ev.n != before)
        abort();
    if (rc == QF_OK) {
        check_events(&ev, before);
        check_keys(&ev, before);
        if (rep.events - rep.duplicates != ev.n - before || rep.tagged > ev.n - before)
            abort();
    }
    (void)qf_sentiment_tag_title(ev.n > 0 ? ev.v[0].title : "");
    qf_sentiment_events_cleanup(&ev);
    return 0;
}
