/*
 * test_sentiment_parse.c - reading sentiment events: every field and every
 * kind of bad JSON Lines line and CSV row (with the reason), the title
 * tagger, whole texts (format detection, BOM and CRLF, physical line numbers
 * in errors, nothing appended on failure, exact repeats dropped and
 * conflicting repeats refused), and the bundled real headlines: 5,000
 * events, their labels and tags, and the score as of every 4h bar close of
 * their range computed on the whole file equals the score computed on the
 * prefix published by then (no lookahead).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "signal/sentiment.h"
#include "signal/sentiment_parse.h"
#include "testutil.h"

#define HEADLINES QF_SOURCE_DIR "/data/news/headlines.csv"
#define T0        INT64_C(1652169600000) /* 2022-05-10T08:00:00Z */

static qf_sentiment_events ev;

static void setup(void)
{
    qf_sentiment_events_init(&ev);
}

static void teardown(void)
{
    qf_sentiment_events_cleanup(&ev);
}

TestSuite(sentiment_parse, .init = setup, .fini = teardown);

static qf_rc jsonl(const char *line, qf_err *err)
{
    return qf_sentiment_parse_jsonl_line(line, strlen(line), &ev, err);
}

static qf_rc csv(const char *line, qf_err *err)
{
    return qf_sentiment_parse_csv_line(line, strlen(line), &ev, err);
}

/* The line fails with a message containing `want`, and appends nothing. */
static void expect_bad(qf_rc (*parse)(const char *, qf_err *), const char *line, const char *want)
{
    qf_err err;
    size_t n = ev.n;
    cr_expect_eq(parse(line, &err), QF_EPARSE, "accepted: %s", line);
    cr_expect_eq(err.code, QF_EPARSE, "%s", line);
    cr_expect(strstr(err.msg, want) != NULL, "'%s' -> '%s', want '%s'", line, err.msg, want);
    cr_expect_eq(ev.n, n);
}

Test(sentiment_parse, jsonl_fields)
{
    qf_err err;
    cr_assert_eq(jsonl("{\"published_at\":\"2022-05-10T08:00:00Z\",\"source\":\"CoinTelegraph\","
                       "\"title\":\"Bitcoin falls below $30K\",\"score\":-0.8,\"confidence\":0.9,"
                       "\"symbol\":\"btc/usdt\",\"url\":\"https://example.com/a\","
                       "\"label\":\"negative\"}",
                       &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(ev.n, 1);
    cr_expect_eq(ev.v[0].time, T0);
    cr_expect_str_eq(ev.v[0].source, "CoinTelegraph");
    cr_expect_str_eq(ev.v[0].title, "Bitcoin falls below $30K");
    cr_expect_str_eq(ev.v[0].symbol, "BTC/USDT"); /* upper-cased */
    cr_expect_str_eq(ev.v[0].url, "https://example.com/a");
    cr_expect_str_eq(ev.v[0].label, "negative");
    cr_expect_float_eq(ev.v[0].score, -0.8, 1e-15);
    cr_expect_float_eq(ev.v[0].confidence, 0.9, 1e-15);
    /* integer ms, integer score, nulls, an offset, an asset */
    cr_assert_eq(
        jsonl(" {\"published_at\":1652169600000,\"source\":\"X\",\"title\":\"t\",\"score\":1,"
              "\"confidence\":0,\"symbol\":null,\"url\":null,\"label\":null} ",
              &err),
        QF_OK, "%s", err.msg);
    cr_expect_eq(ev.v[1].time, T0);
    cr_expect_null(ev.v[1].symbol);
    cr_expect_null(ev.v[1].url);
    cr_expect_null(ev.v[1].label);
    cr_assert_eq(jsonl("{\"published_at\":\"2022-05-10T10:00:00+02:00\",\"source\":\"X\","
                       "\"title\":\"t\",\"score\":0,\"confidence\":1,\"symbol\":\"sol\"}",
                       &err),
                 QF_OK, "%s", err.msg);
    cr_expect_eq(ev.v[2].time, T0);
    cr_expect_str_eq(ev.v[2].symbol, "SOL");
    /* JSONL takes the symbol it is given: no tagging from the title */
    cr_assert_eq(jsonl("{\"published_at\":1652169600000,\"source\":\"X\",\"title\":\"Bitcoin\","
                       "\"score\":0,\"confidence\":1}",
                       &err),
                 QF_OK, "%s", err.msg);
    cr_expect_null(ev.v[3].symbol);
    /* a blank line is nothing */
    cr_assert_eq(jsonl("  \t\r", &err), QF_OK);
    cr_expect_eq(ev.n, 4);
}

#define OK_HEAD "{\"published_at\":1652169600000,\"source\":\"X\",\"title\":\"t\","

Test(sentiment_parse, jsonl_bad_lines)
{
    expect_bad(jsonl, "{\"published_at\":1652169600000,", "not JSON");
    expect_bad(jsonl, "[1, 2]", "not a JSON object");
    expect_bad(jsonl, OK_HEAD "\"score\":1,\"confidence\":1} x", "not JSON");
    expect_bad(jsonl, OK_HEAD "\"score\":1,\"confidence\":1,\"symbl\":\"BTC\"}",
               "unknown key 'symbl'");
    expect_bad(jsonl, OK_HEAD "\"score\":1,\"score\":1,\"confidence\":1}", "duplicate");
    expect_bad(jsonl, "{\"source\":\"X\",\"title\":\"t\",\"score\":1,\"confidence\":1}",
               "published_at is missing");
    expect_bad(jsonl,
               "{\"published_at\":1652169600000,\"title\":\"t\",\"score\":1,\"confidence\":1}",
               "source is missing");
    expect_bad(jsonl,
               "{\"published_at\":1652169600000,\"source\":\"X\",\"score\":1,\"confidence\":1}",
               "title is missing");
    expect_bad(jsonl, OK_HEAD "\"confidence\":1}", "score is missing");
    expect_bad(jsonl, OK_HEAD "\"score\":1}", "confidence is missing");
    expect_bad(jsonl, OK_HEAD "\"score\":\"1\",\"confidence\":1}", "score must be a number");
    expect_bad(jsonl, OK_HEAD "\"score\":1.5,\"confidence\":1}",
               "score 1.5 is not a number in [-1, 1]");
    expect_bad(jsonl, OK_HEAD "\"score\":1,\"confidence\":-0.5}", "confidence -0.5");
    expect_bad(jsonl, OK_HEAD "\"score\":1,\"confidence\":1,\"url\":5}",
               "url must be a string or null");
    expect_bad(jsonl, OK_HEAD "\"score\":1,\"confidence\":1,\"symbol\":\"BTC-USDT\"}",
               "symbol 'BTC-USDT' is neither");
    expect_bad(jsonl,
               "{\"published_at\":1652169600,\"source\":\"X\",\"title\":\"t\",\"score\":1,"
               "\"confidence\":1}",
               "milliseconds expected (seconds?)");
    expect_bad(jsonl,
               "{\"published_at\":\"10/05/2022\",\"source\":\"X\",\"title\":\"t\",\"score\":1,"
               "\"confidence\":1}",
               "not an ISO 8601 time");
    expect_bad(jsonl,
               "{\"published_at\":1.6e12,\"source\":\"X\",\"title\":\"t\",\"score\":1,"
               "\"confidence\":1}",
               "integer milliseconds");
    expect_bad(jsonl,
               "{\"published_at\":9999999999999999,\"source\":\"X\",\"title\":\"t\",\"score\":1,"
               "\"confidence\":1}",
               "outside 1970..9999");
    expect_bad(jsonl,
               "{\"published_at\":1652169600000,\"source\":\"\",\"title\":\"t\",\"score\":1,"
               "\"confidence\":1}",
               "source is missing or empty");
    expect_bad(jsonl,
               "{\"published_at\":1652169600000,\"source\":\"X\",\"title\":\"a\\nb\",\"score\":1,"
               "\"confidence\":1}",
               "title contains a control character");
    expect_bad(jsonl,
               "{\"published_at\":1652169600000,\"source\":\"X\",\"title\":\"a\\u0000b\","
               "\"score\":1,\"confidence\":1}",
               "not JSON");
    char *big = malloc(QF_SENTIMENT_LINE_MAX + 2);
    memset(big, ' ', QF_SENTIMENT_LINE_MAX + 1);
    big[0] = '{';
    big[QF_SENTIMENT_LINE_MAX + 1] = '\0';
    expect_bad(jsonl, big, "longer than 16384 bytes");
    free(big);
    char title[1100];
    memset(title, 'a', sizeof title);
    title[sizeof title - 1] = '\0';
    char line[1400];
    snprintf(line, sizeof line,
             "{\"published_at\":1652169600000,\"source\":\"X\",\"title\":\"%s\",\"score\":1,"
             "\"confidence\":1}",
             title);
    expect_bad(jsonl, line, "title is too long");
}

Test(sentiment_parse, csv_rows)
{
    qf_err err;
    cr_assert_eq(
        csv("2022-03-08T04:34:00Z,CryptoNews,\"Bitcoin and Ethereum Stuck in a Range, Small "
            "Altcoins Rally\",positive",
            &err),
        QF_OK, "%s", err.msg);
    cr_expect_eq(ev.v[0].time, INT64_C(1646714040000));
    cr_expect_str_eq(ev.v[0].source, "CryptoNews");
    cr_expect_str_eq(ev.v[0].title, "Bitcoin and Ethereum Stuck in a Range, Small Altcoins Rally");
    cr_expect_float_eq(ev.v[0].score, 1.0, 0);
    cr_expect_float_eq(ev.v[0].confidence, QF_SENTIMENT_WEAK_LABEL_CONFIDENCE, 0);
    cr_expect_str_eq(ev.v[0].label, "positive");
    cr_expect_null(ev.v[0].symbol); /* two assets: market-wide */
    cr_expect_null(ev.v[0].url);
    cr_assert_eq(csv("2022-03-08T08:13:00Z,CoinTelegraph,\"Bitcoin stuck under $40K, but BTC price "
                     "hits another all-time high vs. Russian ruble\",negative",
                     &err),
                 QF_OK, "%s", err.msg);
    cr_expect_float_eq(ev.v[1].score, -1.0, 0);
    cr_expect_str_eq(ev.v[1].symbol, "BTC");
    cr_assert_eq(csv("2022-03-08T09:01:00Z,X,\"He said \"\"hold\"\"\",neutral", &err), QF_OK, "%s",
                 err.msg);
    cr_expect_str_eq(ev.v[2].title, "He said \"hold\"");
    cr_expect_float_eq(ev.v[2].score, 0.0, 0);
    cr_assert_eq(csv("2022-03-08T09:01:00Z,\"X\",Solana outage,\"negative\"", &err), QF_OK);
    cr_expect_str_eq(ev.v[3].symbol, "SOL");
}

Test(sentiment_parse, csv_bad_rows)
{
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,Bitcoin, up,positive", "more than 4 fields");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,positive", "3 field(s), expected 4");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,\"Bitcoin up,positive",
               "field 3: unterminated quoted field");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,\"Bitcoin\" up,positive",
               "field 3: text after the closing quote");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,Bitcoin \"up\",positive",
               "field 3: a quote inside an unquoted field");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,Bitcoin up,good",
               "label 'good' must be positive, neutral or negative");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,Bitcoin up,Positive", "label 'Positive'");
    expect_bad(csv, "8-3-2022 04:34,CryptoNews,Bitcoin up,positive",
               "published_at_utc '8-3-2022 04:34' is not an ISO 8601 time");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,,positive", "title is missing");
    expect_bad(csv, "2022-03-08T04:34:00Z,,Bitcoin up,positive", "source is missing");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,Bitcoin \xc3 up,positive", "UTF-8");
    expect_bad(csv, "2022-03-08T04:34:00Z,CryptoNews,Bitcoin up,positive,", "more than 4 fields");
}

Test(sentiment_parse, tagging)
{
    cr_expect_str_eq(qf_sentiment_tag_title("Bitcoin's rally stalls"), "BTC");
    cr_expect_str_eq(qf_sentiment_tag_title("BTC price, bitcoin miners"), "BTC");
    cr_expect_null(qf_sentiment_tag_title("Bitcoiners are nervous"));
    cr_expect_str_eq(qf_sentiment_tag_title("Ether gas fees drop"), "ETH");
    cr_expect_str_eq(qf_sentiment_tag_title("SOL jumps 10%"), "SOL");
    cr_expect_null(qf_sentiment_tag_title("Sol y sombra"));
    cr_expect_str_eq(qf_sentiment_tag_title("solana outage"), "SOL");
    cr_expect_null(qf_sentiment_tag_title("Bitcoin and Ethereum stuck in a range"));
    cr_expect_str_eq(qf_sentiment_tag_title("Terra's LUNA crashes"), "LUNA");
    cr_expect_str_eq(qf_sentiment_tag_title("DOT and Polkadot"), "DOT");
    cr_expect_null(qf_sentiment_tag_title("Connect the dots"));
    cr_expect_null(qf_sentiment_tag_title("Crypto markets slide"));
    cr_expect_null(qf_sentiment_tag_title(""));
}

static qf_rc text(const char *t, qf_sentiment_parse_report *rep, qf_err *err)
{
    return qf_sentiment_parse_text(t, strlen(t), "f.jsonl", &ev, rep, err);
}

#define JL(ms, title, score)                                                                       \
    "{\"published_at\":" #ms ",\"source\":\"X\",\"title\":\"" title "\",\"score\":" #score         \
    ",\"confidence\":1}"

Test(sentiment_parse, whole_texts)
{
    qf_err err;
    qf_sentiment_parse_report rep;
    cr_assert_eq(text("\xef\xbb\xbf\r\n" JL(1652169600000, "a", 1) "\r\n\r\n" JL(
                          1652169600001, "b", -1) "\n" JL(1652169600000, "a", 1),
                      &rep, &err),
                 QF_OK, "%s", err.msg);
    cr_expect_eq(rep.format, QF_SENTIMENT_JSONL);
    cr_expect_eq(rep.lines, 5);
    cr_expect_eq(rep.events, 3);
    cr_expect_eq(rep.duplicates, 1); /* line 5 repeats line 2 exactly */
    cr_expect_eq(ev.n, 2);
    cr_expect_str_eq(ev.v[0].title, "a");
    cr_expect_str_eq(ev.v[1].title, "b");
    cr_expect_str_eq(qf_sentiment_format_name(rep.format), "jsonl");

    /* a bad line: named with its physical line, nothing appended */
    cr_expect_eq(text(JL(1652169600000, "c", 1) "\n\n" JL(1652169600000, "d", 7), &rep, &err),
                 QF_EPARSE);
    cr_expect_str_eq(err.msg, "f.jsonl:3: score 7 is not a number in [-1, 1]");
    cr_expect_eq(ev.n, 2);
    /* the same event with another score: refused, naming both lines */
    cr_expect_eq(text(JL(1652169600000, "c", 1) "\n" JL(1652169600000, "C!", -1), &rep, &err),
                 QF_EPARSE);
    cr_expect(strstr(err.msg, "f.jsonl:2: repeats the event of line 1") != NULL, "%s", err.msg);
    cr_expect_eq(ev.n, 2);
    /* formats */
    cr_expect_eq(text("", &rep, &err), QF_EPARSE);
    cr_expect_str_eq(err.msg, "f.jsonl: empty input: no events");
    cr_expect_eq(text("\n  \n", &rep, &err), QF_EPARSE);
    cr_expect_eq(text("\ntime,source,title\n", &rep, &err), QF_EPARSE);
    cr_expect(strstr(err.msg, "f.jsonl:2: neither JSON Lines") != NULL, "%s", err.msg);
    static const char with_nul[] = JL(1652169600000, "c", 1) "\n\0\n";
    cr_expect_eq(qf_sentiment_parse_text(with_nul, sizeof with_nul - 1, "f.jsonl", &ev, &rep, &err),
                 QF_EPARSE);
    cr_expect(strstr(err.msg, "f.jsonl:2: binary data") != NULL, "%s", err.msg);
    cr_expect_eq(ev.n, 2);
    /* the CSV: header only is no events, not an error */
    cr_assert_eq(text(QF_SENTIMENT_CSV_HEADER "\r\n", &rep, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(rep.format, QF_SENTIMENT_HEADLINES_CSV);
    cr_expect_eq(rep.events, 0);
    cr_expect_eq(text(QF_SENTIMENT_CSV_HEADER "\n2022-03-08T04:34:00Z,X,BTC up,positive\n"
                                              "2022-03-08T04:35:00Z,X,BTC down,negativ\n",
                      &rep, &err),
                 QF_EPARSE);
    cr_expect_str_eq(err.msg, "f.jsonl:3: label 'negativ' must be positive, neutral or negative");
    cr_expect_eq(ev.n, 2);
    /* JSON after a CSV header is a bad row */
    cr_expect_eq(text(QF_SENTIMENT_CSV_HEADER "\n" JL(1652169600000, "c", 1) "\n", &rep, &err),
                 QF_EPARSE);
    cr_expect(strstr(err.msg, "f.jsonl:2:") != NULL, "%s", err.msg);
}

Test(sentiment_parse, bundled_headlines)
{
    size_t len = 0;
    char *data = qf_test_read_file(HEADLINES, &len);
    cr_assert_not_null(data, "cannot read %s", HEADLINES);
    qf_err err;
    qf_sentiment_parse_report rep;
    cr_assert_eq(qf_sentiment_parse_text(data, len, "headlines.csv", &ev, &rep, &err), QF_OK, "%s",
                 err.msg);
    free(data);
    cr_expect_eq(rep.format, QF_SENTIMENT_HEADLINES_CSV);
    cr_expect_eq(rep.lines, 5001);
    cr_expect_eq(ev.n, 5000);
    cr_expect_eq(rep.duplicates, 0);
    cr_expect_eq(rep.tagged, 1637);
    size_t pos = 0, neu = 0, neg = 0, btc = 0;
    for (size_t i = 0; i < ev.n; i++) {
        pos += ev.v[i].score == 1.0;
        neu += ev.v[i].score == 0.0;
        neg += ev.v[i].score == -1.0;
        btc += ev.v[i].symbol != NULL && strcmp(ev.v[i].symbol, "BTC") == 0;
        cr_assert(i == 0 || ev.v[i].time >= ev.v[i - 1].time, "not sorted at %zu", i);
    }
    cr_expect_eq(pos, 2305);
    cr_expect_eq(neu, 1775);
    cr_expect_eq(neg, 920);
    cr_expect_eq(btc, 1052);
    cr_expect_eq(ev.v[0].time, INT64_C(1646714040000)); /* 2022-03-08T04:34:00Z */
}

Test(sentiment_parse, headlines_score_has_no_lookahead)
{
    size_t len = 0;
    char *data = qf_test_read_file(HEADLINES, &len);
    cr_assert_not_null(data);
    qf_err err;
    cr_assert_eq(qf_sentiment_parse_text(data, len, "headlines.csv", &ev, NULL, &err), QF_OK, "%s",
                 err.msg);
    free(data);
    /* the BTC/USDT view: BTC-tagged and market-wide headlines */
    qf_sentiment_event *btc = malloc(ev.n * sizeof *btc);
    size_t n = 0;
    for (size_t i = 0; i < ev.n; i++)
        if (ev.v[i].symbol == NULL || strcmp(ev.v[i].symbol, "BTC") == 0)
            btc[n++] = ev.v[i];
    qf_config cfg;
    qf_config_init(&cfg);
    qf_sentiment_params p;
    cr_assert_eq(qf_sentiment_params_from_config(&cfg.sentiment, &p, &err), QF_OK, "%s", err.msg);
    qf_sentiment_scorer *s = NULL;
    cr_assert_eq(qf_sentiment_scorer_new(&p, btc, n, &s, &err), QF_OK, "%s", err.msg);
    const int64_t bar = INT64_C(4) * 3600000;
    int64_t first = btc[0].time - btc[0].time % bar;
    size_t bars = 0, with_events = 0, filtered = 0;
    size_t prefix = 0;
    for (int64_t close = first + bar; close <= btc[n - 1].time + 2 * bar; close += bar) {
        qf_sentiment_result full, cut;
        qf_sentiment_scorer_score(s, close, &full);
        while (prefix < n && btc[prefix].time <= close)
            prefix++;
        cr_assert_eq(qf_sentiment_score_at(&p, btc, prefix, close, &cut, &err), QF_OK, "%s",
                     err.msg);
        cr_assert(memcmp(&full.score, &cut.score, sizeof full.score) == 0,
                  "bar %lld: %.17g on the file, %.17g on its prefix", (long long)close, full.score,
                  cut.score);
        cr_assert_eq(full.counted, cut.counted);
        cr_assert(full.score >= -1 && full.score <= 1);
        cr_assert_eq(full.counted + full.duplicates + full.bursts + full.capped, full.visible);
        bars++;
        with_events += full.counted > 0;
        filtered += full.duplicates + full.bursts + full.capped;
    }
    /* about 4 months of 4h bars, nearly all with news; the cap bites */
    cr_expect_gt(bars, 700);
    cr_expect_gt(with_events, bars * 9 / 10);
    cr_expect_gt(filtered, 0);
    qf_sentiment_scorer_free(s);
    free(btc);
    qf_config_cleanup(&cfg);
}
