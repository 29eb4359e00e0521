/* End-to-end tests of `quantflow sentiment` on the bundled real headlines
 * and a temporary store: import (counts, idempotent re-import, JSON), a bad
 * file rejected whole with its line named, score (the same number the
 * library computes from the file, the empty case, --all), and usage. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "signal/sentiment.h"
#include "signal/sentiment_parse.h"
#include "testutil.h"

#define QF        QF_CLI_PATH
#define HEADLINES QF_SOURCE_DIR "/data/news/headlines.csv"

static char *dir;
static char db[600];

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(db, sizeof db, "%s/qf.db", dir);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli_sentiment, .init = setup, .fini = teardown);

/* Runs quantflow with the temp db and no config file; returns the exit code. */
static int qf(const char *args, char **out, char **errout)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' --db '%s' %s", dir, QF, db, args);
    return qf_test_run(cmd, out, errout);
}

static long long rows_stored(void)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM sentiment_events", -1, &q, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    long long n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    return n;
}

Test(cli_sentiment, import_headlines_twice)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("sentiment import " HEADLINES, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "headlines.csv: headlines csv: 5000 events read, 5000 new, 0 updated, 0 "
                          "unchanged, 0 duplicate lines, 1637 tagged with an asset or symbol, "
                          "3363 market-wide") != NULL,
              "%s", out);
    free(out);
    free(err);
    cr_assert_eq(qf("sentiment import " HEADLINES, &out, NULL), 0);
    cr_expect(strstr(out, "5000 events read, 0 new, 0 updated, 5000 unchanged") != NULL, "%s", out);
    free(out);
    cr_assert_eq(qf("--json sentiment import " HEADLINES, &out, NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    json_t *r = json_array_get(j, 0);
    cr_expect_str_eq(json_string_value(json_object_get(r, "format")), "headlines csv");
    cr_expect_eq(json_integer_value(json_object_get(r, "unchanged")), 5000);
    cr_expect_eq(json_integer_value(json_object_get(r, "tagged")), 1637);
    json_decref(j);
    free(out);
    cr_expect_eq(rows_stored(), 5000);
}

Test(cli_sentiment, bad_file_changes_nothing)
{
    const char *good = "{\"published_at\":\"2022-05-10T08:00:00Z\",\"source\":\"Desk\","
                       "\"title\":\"BTC basis widens\",\"score\":0.5,\"confidence\":1,"
                       "\"symbol\":\"BTC/USDT\"}\n";
    char *path = qf_test_write_file(dir, "good.jsonl", good, strlen(good));
    char args[800];
    snprintf(args, sizeof args, "sentiment import '%s'", path);
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf(args, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "jsonl: 1 events read, 1 new") != NULL, "%s", out);
    free(out);
    free(err);
    free(path);
    const char *bad = "{\"published_at\":\"2022-05-10T09:00:00Z\",\"source\":\"Desk\","
                      "\"title\":\"ETH basis widens\",\"score\":0.5,\"confidence\":1}\n"
                      "\n"
                      "{\"published_at\":\"2022-05-10T10:00:00Z\",\"source\":\"Desk\","
                      "\"title\":\"SOL basis widens\",\"score\":2,\"confidence\":1}\n";
    path = qf_test_write_file(dir, "bad.jsonl", bad, strlen(bad));
    snprintf(args, sizeof args, "sentiment import '%s'", path);
    cr_assert_eq(qf(args, &out, &err), 1);
    cr_expect(strstr(err, "bad.jsonl:3: score 2 is not a number in [-1, 1]") != NULL, "%s", err);
    cr_expect_eq(rows_stored(), 1);
    free(out);
    free(err);
    free(path);
    cr_assert_eq(qf("sentiment import nowhere.jsonl", NULL, &err), 1);
    cr_expect(strstr(err, "nowhere.jsonl: No such file") != NULL, "%s", err);
    free(err);
    snprintf(args, sizeof args, "sentiment import '%s'", dir);
    cr_assert_eq(qf(args, NULL, &err), 1);
    cr_expect(strstr(err, "not a regular file") != NULL, "%s", err);
    free(err);
    path = qf_test_write_file(dir, "x.csv", "a,b\n1,2\n", 8);
    snprintf(args, sizeof args, "sentiment import '%s'", path);
    cr_assert_eq(qf(args, NULL, &err), 1);
    cr_expect(strstr(err, "x.csv:1: neither JSON Lines") != NULL, "%s", err);
    free(err);
    free(path);
    cr_expect_eq(rows_stored(), 1);
}

/* The score the library computes from the file for BTC/USDT as of t. */
static double library_score(int64_t t, size_t *out_counted)
{
    size_t len = 0;
    char *text = qf_test_read_file(HEADLINES, &len);
    cr_assert_not_null(text);
    qf_sentiment_events ev;
    qf_sentiment_events_init(&ev);
    qf_err err;
    cr_assert_eq(qf_sentiment_parse_text(text, len, "h", &ev, NULL, &err), QF_OK, "%s", err.msg);
    free(text);
    qf_sentiment_event *btc = malloc(ev.n * sizeof *btc);
    size_t n = 0;
    for (size_t i = 0; i < ev.n; i++)
        if (ev.v[i].symbol == NULL || strcmp(ev.v[i].symbol, "BTC") == 0)
            btc[n++] = ev.v[i];
    qf_config cfg;
    qf_config_init(&cfg);
    qf_sentiment_params p;
    cr_assert_eq(qf_sentiment_params_from_config(&cfg.sentiment, &p, &err), QF_OK);
    qf_sentiment_result r;
    cr_assert_eq(qf_sentiment_score_at(&p, btc, n, t, &r, &err), QF_OK, "%s", err.msg);
    free(btc);
    qf_sentiment_events_cleanup(&ev);
    *out_counted = r.counted;
    return r.score;
}

Test(cli_sentiment, score_as_of_a_time)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("sentiment score --symbol BTC/USDT --at 2022-05-10T08:00:00Z", &out, &err), 0,
                 "%s", err);
    cr_expect(strstr(out, "BTC/USDT sentiment as of 2022-05-10T08:00:00Z: 0 (neutral): no news in "
                          "the 24 h before it") != NULL,
              "%s", out);
    free(out);
    free(err);
    cr_assert_eq(qf("sentiment import --quiet " HEADLINES, &out, NULL), 0);
    cr_expect_str_eq(out, "");
    free(out);
    cr_assert_eq(qf("--json sentiment score --symbol BTC/USDT --at 1652169600000", &out, &err), 0,
                 "%s", err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    size_t counted = 0;
    double want = library_score(INT64_C(1652169600000), &counted);
    double got = json_real_value(json_object_get(j, "score"));
    cr_expect(memcmp(&got, &want, sizeof got) == 0, "CLI %.17g, library %.17g", got, want);
    cr_expect_eq(json_integer_value(json_object_get(j, "counted")), (json_int_t)counted);
    cr_expect_str_eq(json_string_value(json_object_get(j, "at")), "2022-05-10T08:00:00Z");
    cr_expect_gt(json_integer_value(json_object_get(j, "capped")), 0);
    json_t *events = json_object_get(j, "events");
    cr_expect_eq(json_array_size(events), json_integer_value(json_object_get(j, "visible")));
    json_decref(j);
    free(out);
    free(err);
    cr_assert_eq(
        qf("sentiment score --symbol BTC/USDT --at 2022-05-10T08:00:00Z --all", &out, NULL), 0);
    cr_expect(strstr(out, "BTC/USDT sentiment as of 2022-05-10T08:00:00Z: +") != NULL, "%s", out);
    cr_expect(strstr(out, "over the per-source cap of 10") != NULL, "%s", out);
    cr_expect(strstr(out, " capped ") != NULL, "%s", out);
    cr_expect(strstr(out, "Terra peg mechanism in doubt as UST crashes to 67 cents") != NULL, "%s",
              out);
    free(out);
}

Test(cli_sentiment, usage)
{
    char *out = NULL, *err = NULL;
    cr_expect_eq(qf("sentiment", NULL, &err), 2);
    free(err);
    cr_expect_eq(qf("sentiment --help", &out, NULL), 0);
    cr_expect(strstr(out, "usage: quantflow sentiment import") != NULL, "%s", out);
    free(out);
    cr_expect_eq(qf("sentiment score --help", &out, NULL), 0);
    free(out);
    cr_expect_eq(qf("sentiment score --at 2022-05-10", NULL, &err), 2);
    cr_expect(strstr(err, "--symbol is required") != NULL, "%s", err);
    free(err);
    cr_expect_eq(qf("sentiment score --symbol BTC/USDT --at yesterday", NULL, &err), 2);
    cr_expect(strstr(err, "--at 'yesterday'") != NULL, "%s", err);
    free(err);
    cr_expect_eq(qf("sentiment score --symbol btcusdt", NULL, &err), 1);
    cr_expect(strstr(err, "BASE/QUOTE") != NULL, "%s", err);
    free(err);
    cr_expect_eq(qf("sentiment import", NULL, &err), 2);
    free(err);
    cr_expect_eq(qf("sentiment list", NULL, &err), 2);
    cr_expect(strstr(err, "unknown subcommand 'list'") != NULL, "%s", err);
    free(err);
}
