/*
 * sentiment_parse.h - reading sentiment events from text: JSON Lines and the
 * bundled headlines CSV (data/news/headlines.csv), strictly. Pure: the
 * caller reads the file (cli/cmd_sentiment.c) and stores the events.
 *
 * JSON Lines: one object per line with
 *   published_at  ISO 8601 ("2022-05-10T08:00:00Z"; an offset is converted,
 *                 no zone means UTC) or integer milliseconds since the epoch
 *   source, title strings
 *   score         number in [-1, 1];  confidence  number in [0, 1]
 *   symbol        optional: BASE/QUOTE, an asset ("BTC": every BTC market)
 *                 or null/absent: market-wide (it counts for every symbol)
 *   url, label    optional strings (or null)
 * Any other key, a duplicate key, a wrong type or a value out of range is
 * an error. Blank lines are skipped.
 *
 * Headlines CSV: the header published_at_utc,source,title,label, then one
 * row per headline (RFC 4180 quoting, one physical line per row). label is
 * positive, neutral or negative, an automatic (TextBlob polarity) class, so
 * it maps to score +1 / 0 / -1 with the low confidence
 * QF_SENTIMENT_WEAK_LABEL_CONFIDENCE (0.5). The file has no symbol column:
 * a title naming exactly one asset (qf_sentiment_tag_title) is tagged with
 * it, any other headline is market-wide.
 *
 * Errors name the input and the physical line (the header is line 1):
 * "headlines.csv:12: label 'good' must be positive, neutral or negative".
 */
#ifndef QF_SIGNAL_SENTIMENT_PARSE_H
#define QF_SIGNAL_SENTIMENT_PARSE_H

#include <stddef.h>

#include "core/err.h"
#include "signal/sentiment_event.h"

/* Confidence of a weak, automatic label (the headlines CSV). */
#define QF_SENTIMENT_WEAK_LABEL_CONFIDENCE 0.5
/* Longest line accepted, in bytes (the longest valid event fits easily). */
#define QF_SENTIMENT_LINE_MAX 16384
/* The headlines CSV header. */
#define QF_SENTIMENT_CSV_HEADER "published_at_utc,source,title,label"

typedef enum qf_sentiment_format {
    QF_SENTIMENT_JSONL = 0,        /* JSON Lines */
    QF_SENTIMENT_HEADLINES_CSV = 1 /* published_at_utc,source,title,label */
} qf_sentiment_format;

/* What a parse read. */
typedef struct qf_sentiment_parse_report {
    qf_sentiment_format format;
    size_t lines;      /* physical lines, header included */
    size_t events;     /* events read (duplicates included) */
    size_t duplicates; /* lines repeating an earlier event exactly, dropped */
    size_t tagged;     /* events kept that carry a symbol */
} qf_sentiment_parse_report;

/* "jsonl" or "headlines csv". */
const char *qf_sentiment_format_name(qf_sentiment_format f);

/* Parses one JSON Lines line (len bytes, no newline needed, no NUL) and
 * appends its event to out; a blank line appends nothing. A bad line is
 * QF_EPARSE saying what is wrong (no line number: the caller adds it), and
 * out is unchanged; QF_ENOMEM when out cannot grow. Fuzzed by
 * tests/fuzz/fuzz_sentiment_line.c. */
QF_NODISCARD qf_rc qf_sentiment_parse_jsonl_line(const char *line, size_t len,
                                                 qf_sentiment_events *out, qf_err *err);

/* The same for one headlines CSV row (not the header). */
QF_NODISCARD qf_rc qf_sentiment_parse_csv_line(const char *line, size_t len,
                                               qf_sentiment_events *out, qf_err *err);

/* The asset a title names when it names exactly one of the known ones
 * (Bitcoin/BTC, Ethereum/Ether/ETH, Solana/SOL, Avalanche/AVAX,
 * Dogecoin/DOGE, XRP/Ripple, Cardano/ADA, BNB, LUNA, Polkadot/DOT,
 * Litecoin/LTC, SHIB, Polygon/MATIC; names in any case, tickers that are
 * also words (SOL, ADA, DOT) only in capitals), else NULL. Whole words
 * only: "Bitcoin's" names BTC, "Bitcoiners" does not. */
const char *qf_sentiment_tag_title(const char *title);

/* Parses a whole text (len bytes; a UTF-8 byte-order mark is skipped): the
 * format is taken from its first non-blank line (a '{' starts JSON Lines,
 * the CSV header the headlines format). Appends every event to out in file
 * order, except lines that repeat an earlier line's event exactly (same
 * dedup key, score, confidence, title, url and label), which are counted as
 * duplicates and dropped; the same key with different values is an error
 * naming both lines. name prefixes messages ("FILE:LINE: reason"). Empty
 * input, an unknown format, a NUL byte (binary data) or any bad line is
 * QF_EPARSE and out is unchanged; QF_ENOMEM when memory runs out.
 * out_report may be NULL. */
QF_NODISCARD qf_rc qf_sentiment_parse_text(const char *text, size_t len, const char *name,
                                           qf_sentiment_events *out,
                                           qf_sentiment_parse_report *out_report, qf_err *err);

#endif
