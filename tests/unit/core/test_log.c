/*
 * test_log.c - the process-wide logger: text and JSON lines, level filtering,
 * JSON escaping (checked by parsing the line back with jansson), secret
 * redaction and whole lines under concurrent logging.
 *
 * Output goes to an open_memstream; Criterion runs each test in its own
 * process, and the fixture resets the logger's state anyway.
 */
#include <criterion/criterion.h>

#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"

static FILE *mem;
static char *mem_buf;
static size_t mem_len;

static void setup(void)
{
    mem = open_memstream(&mem_buf, &mem_len);
    cr_assert_not_null(mem);
    qf_log_set_stream(mem);
    qf_log_set_level(QF_LOG_INFO);
    qf_log_set_format(QF_LOG_TEXT);
    qf_log_clear_secrets();
}

static void teardown(void)
{
    qf_log_set_stream(NULL);
    qf_log_clear_secrets();
    fclose(mem);
    free(mem_buf);
}

/* Everything logged so far. */
static const char *out(void)
{
    fflush(mem);
    return mem_len > 0 ? mem_buf : "";
}

/* Forget what was logged so far. */
static void reset_out(void)
{
    qf_log_set_stream(NULL);
    fclose(mem);
    free(mem_buf);
    mem_buf = NULL;
    mem_len = 0;
    mem = open_memstream(&mem_buf, &mem_len);
    cr_assert_not_null(mem);
    qf_log_set_stream(mem);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* Parses the single JSON line in out() and returns its msg (caller frees). */
static char *json_msg(const char *want_level)
{
    const char *s = out();
    cr_assert_eq(count_lines(s), 1, "expected one line, got: %s", s);
    cr_assert_eq(s[strlen(s) - 1], '\n');
    json_error_t jerr;
    json_t *j = json_loads(s, 0, &jerr);
    cr_assert_not_null(j, "not JSON (%s): %s", jerr.text, s);
    cr_assert(json_is_object(j));
    cr_assert_eq(json_object_size(j), 3, "%s", s);
    const char *ts = json_string_value(json_object_get(j, "ts"));
    const char *lvl = json_string_value(json_object_get(j, "level"));
    const char *msg = json_string_value(json_object_get(j, "msg"));
    cr_assert_not_null(ts);
    cr_assert_not_null(lvl);
    cr_assert_not_null(msg);
    int64_t t;
    cr_assert_eq(qf_time_parse_iso(ts, &t, NULL), QF_OK, "ts '%s'", ts);
    if (want_level != NULL)
        cr_assert_str_eq(lvl, want_level);
    char *copy = strdup(msg);
    json_decref(j);
    return copy;
}

/* Text line "<ISO ts> <LEVEL> <msg>\n"; returns a copy of msg. */
static char *text_msg(const char *want_tag)
{
    const char *s = out();
    cr_assert_eq(count_lines(s), 1, "expected one line, got: %s", s);
    regex_t re;
    cr_assert_eq(regcomp(&re,
                         "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{3})?Z) "
                         "(DEBUG|INFO |WARN |ERROR) (.*)\n$",
                         REG_EXTENDED),
                 0);
    regmatch_t m[5];
    cr_assert_eq(regexec(&re, s, 5, m, 0), 0, "bad text line: '%s'", s);
    regfree(&re);
    cr_assert_eq(strncmp(s + m[3].rm_so, want_tag, 5), 0, "tag in '%s'", s);
    char ts[QF_ISO_MAX];
    int tl = (int)(m[1].rm_eo - m[1].rm_so);
    snprintf(ts, sizeof ts, "%.*s", tl, s + m[1].rm_so);
    int64_t t;
    cr_assert_eq(qf_time_parse_iso(ts, &t, NULL), QF_OK);
    return strndup(s + m[4].rm_so, (size_t)(m[4].rm_eo - m[4].rm_so));
}

TestSuite(log, .init = setup, .fini = teardown);

/* ---- formats ----------------------------------------------------------- */

Test(log, text_line_layout_and_timestamp)
{
    int64_t before = qf_time_floor(qf_time_now_ms(), 1);
    qf_log_info("import: %d rows", 18370);
    int64_t after = qf_time_now_ms();
    char *msg = text_msg("INFO ");
    cr_assert_str_eq(msg, "import: 18370 rows");
    free(msg);
    /* Timestamp is now, in UTC. */
    char ts[QF_ISO_MAX];
    snprintf(ts, sizeof ts, "%.*s", (int)strcspn(out(), " "), out());
    int64_t t;
    cr_assert_eq(qf_time_parse_iso(ts, &t, NULL), QF_OK);
    cr_assert_geq(t, before);
    cr_assert_leq(t, after);
}

Test(log, text_tags_for_each_level)
{
    static const struct {
        qf_log_level level;
        const char *tag;
    } cases[] = {{QF_LOG_DEBUG, "DEBUG"},
                 {QF_LOG_INFO, "INFO "},
                 {QF_LOG_WARN, "WARN "},
                 {QF_LOG_ERROR, "ERROR"}};
    qf_log_set_level(QF_LOG_DEBUG);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reset_out();
        qf_log(cases[i].level, "level %zu", i);
        char *msg = text_msg(cases[i].tag);
        char want[32];
        snprintf(want, sizeof want, "level %zu", i);
        cr_assert_str_eq(msg, want);
        free(msg);
    }
}

Test(log, json_line_for_each_level)
{
    qf_log_set_format(QF_LOG_JSON);
    qf_log_set_level(QF_LOG_DEBUG);
    const char *names[] = {"debug", "info", "warn", "error"};
    for (int l = QF_LOG_DEBUG; l <= QF_LOG_ERROR; l++) {
        reset_out();
        qf_log((qf_log_level)l, "import: %d rows", 18370 + l);
        char *msg = json_msg(names[l]);
        char want[32];
        snprintf(want, sizeof want, "import: %d rows", 18370 + l);
        cr_assert_str_eq(msg, want);
        free(msg);
    }
}

Test(log, macros_map_to_levels)
{
    qf_log_set_format(QF_LOG_JSON);
    qf_log_set_level(QF_LOG_DEBUG);
    qf_log_debug("d");
    qf_log_info("i");
    qf_log_warn("w");
    qf_log_error("e");
    const char *s = out();
    cr_assert_eq(count_lines(s), 4);
    cr_assert_not_null(strstr(s, "\"level\":\"debug\",\"msg\":\"d\""));
    cr_assert_not_null(strstr(s, "\"level\":\"info\",\"msg\":\"i\""));
    cr_assert_not_null(strstr(s, "\"level\":\"warn\",\"msg\":\"w\""));
    cr_assert_not_null(strstr(s, "\"level\":\"error\",\"msg\":\"e\""));
}

/* ---- level filtering --------------------------------------------------- */

Test(log, level_filtering)
{
    for (int min = QF_LOG_DEBUG; min <= QF_LOG_OFF; min++) {
        reset_out();
        qf_log_set_level((qf_log_level)min);
        for (int l = QF_LOG_DEBUG; l <= QF_LOG_ERROR; l++)
            qf_log((qf_log_level)l, "L%d", l);
        const char *s = out();
        cr_assert_eq(count_lines(s), (size_t)(QF_LOG_OFF - min), "min %d: '%s'", min, s);
        for (int l = QF_LOG_DEBUG; l <= QF_LOG_ERROR; l++) {
            char tag[8];
            snprintf(tag, sizeof tag, " L%d\n", l);
            cr_assert_eq(strstr(s, tag) != NULL, l >= min, "min %d level %d", min, l);
        }
    }
}

Test(log, default_level_is_info)
{
    /* Fresh process (Criterion forks): the fixture only set INFO explicitly, so
     * check the documented behaviour through it. */
    qf_log_debug("hidden");
    qf_log_info("shown");
    cr_assert_eq(count_lines(out()), 1);
    cr_assert_not_null(strstr(out(), "shown"));
}

Test(log, off_and_invalid_levels_never_written)
{
    qf_log_set_level(QF_LOG_DEBUG);
    qf_log(QF_LOG_OFF, "off");
    qf_log((qf_log_level)5, "five");
    qf_log((qf_log_level)1000, "big");
    qf_log((qf_log_level)-1, "negative");
    cr_assert_str_eq(out(), "");
}

Test(log, parse_level_and_format)
{
    const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i <= QF_LOG_OFF; i++) {
        qf_log_level l = (qf_log_level)99;
        cr_assert_eq(qf_log_parse_level(names[i], &l, NULL), QF_OK);
        cr_assert_eq(l, (qf_log_level)i);
    }
    const char *bad[] = {"", "INFO", "warning", "fatal", "info ", "trace"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qf_log_level l = QF_LOG_WARN;
        qf_err err;
        qf_err_clear(&err);
        cr_assert_eq(qf_log_parse_level(bad[i], &l, &err), QF_EINVAL, "'%s'", bad[i]);
        cr_assert_eq(err.code, QF_EINVAL);
        cr_assert_not_null(strstr(err.msg, "debug, info, warn, error, off"), "%s", err.msg);
        cr_assert_eq(l, QF_LOG_WARN);
    }
    qf_log_level l;
    cr_assert_eq(qf_log_parse_level(NULL, &l, NULL), QF_EINVAL);

    qf_log_format f = QF_LOG_TEXT;
    cr_assert_eq(qf_log_parse_format("json", &f, NULL), QF_OK);
    cr_assert_eq(f, QF_LOG_JSON);
    cr_assert_eq(qf_log_parse_format("text", &f, NULL), QF_OK);
    cr_assert_eq(f, QF_LOG_TEXT);
    qf_err err;
    cr_assert_eq(qf_log_parse_format("JSON", &f, &err), QF_EINVAL);
    cr_assert_not_null(strstr(err.msg, "text, json"));
    cr_assert_eq(qf_log_parse_format("", &f, NULL), QF_EINVAL);
    cr_assert_eq(qf_log_parse_format(NULL, &f, NULL), QF_EINVAL);
    cr_assert_eq(f, QF_LOG_TEXT);
}

/* ---- JSON escaping ----------------------------------------------------- */

static void json_round_trip(const char *msg, const char *want)
{
    reset_out();
    qf_log_info("%s", msg);
    char *got = json_msg("info");
    cr_assert_str_eq(got, want);
    free(got);
}

Test(log, json_escapes_quotes_backslashes_and_controls)
{
    qf_log_set_format(QF_LOG_JSON);
    json_round_trip("say \"hi\"", "say \"hi\"");
    json_round_trip("C:\\path\\to", "C:\\path\\to");
    json_round_trip("line1\nline2\n", "line1\nline2\n");
    json_round_trip("a\tb\rc", "a\tb\rc");
    json_round_trip("\b\f\x01\x02\x1b\x1f", "\b\f\x01\x02\x1b\x1f");
    json_round_trip("del\x7f", "del\x7f");
    json_round_trip("\"}\n{\"level\":\"error\"", "\"}\n{\"level\":\"error\"");
    json_round_trip("", "");
    json_round_trip("/slash/ and </script>", "/slash/ and </script>");
    /* Valid UTF-8 passes through. */
    json_round_trip("price \xe2\x82\xac 5, \xf0\x9f\x9a\x80, \xc3\xa9", "price \xe2\x82\xac 5, "
                                                                        "\xf0\x9f\x9a\x80, "
                                                                        "\xc3\xa9");
    /* Every control character. */
    char all[32], want[32];
    for (int c = 1; c < 32; c++)
        all[c - 1] = want[c - 1] = (char)c;
    all[31] = want[31] = '\0';
    json_round_trip(all, all);
}

Test(log, json_replaces_invalid_utf8)
{
    /* The line must stay valid JSON (UTF-8); bytes that are not UTF-8 become U+FFFD. */
    qf_log_set_format(QF_LOG_JSON);
    json_round_trip("a\xff"
                    "b",
                    "a\xef\xbf\xbd"
                    "b");
    json_round_trip("latin1 caf\xe9", "latin1 caf\xef\xbf\xbd");
    json_round_trip("cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd");
    json_round_trip("overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd");
    json_round_trip("surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    json_round_trip("\x80", "\xef\xbf\xbd");
}

Test(log, long_message_truncated_to_one_valid_line)
{
    qf_log_set_format(QF_LOG_JSON);
    char *big = malloc(20000);
    memset(big, 'x', 19999);
    big[19999] = '\0';
    big[100] = '"';
    big[200] = '\n';
    qf_log_info("%s", big);
    char *got = json_msg("info");
    cr_assert_gt(strlen(got), 1000);
    cr_assert_lt(strlen(got), 19999);
    cr_assert_eq(strncmp(got, big, strlen(got)), 0);
    free(got);

    /* A multi-byte character cut by the length limit does not break the JSON. */
    reset_out();
    for (size_t i = 0; i + 3 < 19999; i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3);
    big[19998] = '\0';
    qf_log_info("%s", big);
    got = json_msg("info");
    cr_assert_gt(strlen(got), 1000);
    free(got);
    free(big);
}

/* ---- secrets ----------------------------------------------------------- */

static void text_is(const char *want)
{
    char *got = text_msg("INFO ");
    cr_assert_str_eq(got, want);
    free(got);
    reset_out();
}

Test(log, registered_secret_is_masked)
{
    qf_log_add_secret("sk_live_ABCDEF123456");
    qf_log_info("key=%s end", "sk_live_ABCDEF123456");
    text_is("key=*** end");
    qf_log_info("%s", "sk_live_ABCDEF123456");
    text_is("***");
    qf_log_info("%s at start", "sk_live_ABCDEF123456");
    text_is("*** at start");
    qf_log_info("at end %s", "sk_live_ABCDEF123456");
    text_is("at end ***");
    qf_log_info("%s%s twice %s", "sk_live_ABCDEF123456", "sk_live_ABCDEF123456",
                "sk_live_ABCDEF123456");
    text_is("*** twice ***");
    /* A prefix of the secret is not the secret. */
    qf_log_info("sk_live_ABCDEF12345");
    text_is("sk_live_ABCDEF12345");
}

Test(log, secrets_masked_in_json_too)
{
    qf_log_set_format(QF_LOG_JSON);
    qf_log_add_secret("pa\"ss\\wo\nrd");
    qf_log_info("password=%s;", "pa\"ss\\wo\nrd");
    char *got = json_msg("info");
    cr_assert_str_eq(got, "password=***;");
    free(got);
    cr_assert_null(strstr(out(), "ss\\"));
    cr_assert_null(strstr(out(), "\\n"));
}

Test(log, several_secrets)
{
    qf_log_add_secret("APIKEY-1111");
    qf_log_add_secret("SECRET-2222");
    qf_log_add_secret("passphrase3333");
    qf_log_info("k=%s s=%s p=%s", "APIKEY-1111", "SECRET-2222", "passphrase3333");
    text_is("k=*** s=*** p=***");
    qf_log_info("%s/%s", "passphrase3333", "APIKEY-1111");
    text_is("***/***");
}

Test(log, longer_secret_wins_over_its_registered_prefix)
{
    /* Registered short first: the longer secret must still vanish entirely. */
    qf_log_add_secret("abcd");
    qf_log_add_secret("abcdefgh");
    qf_log_info("x abcdefgh y");
    text_is("x *** y");
    qf_log_info("x abcd y");
    text_is("x *** y");
}

Test(log, overlapping_secrets_leak_nothing)
{
    qf_log_add_secret("abcd1234");
    qf_log_add_secret("1234wxyz");
    qf_log_info("[abcd1234wxyz]");
    char *got = text_msg("INFO ");
    cr_assert_null(strstr(got, "1234"), "%s", got);
    cr_assert_null(strstr(got, "wxyz"), "%s", got);
    cr_assert_null(strstr(got, "abcd"), "%s", got);
    cr_assert_str_eq(got, "[***]");
    free(got);
    reset_out();
    /* A secret inside another secret's occurrence, and self-overlap. */
    qf_log_add_secret("XYXYXY");
    qf_log_info("<XYXYXYXY>");
    got = text_msg("INFO ");
    cr_assert_str_eq(got, "<***>");
    free(got);
}

Test(log, short_secrets_ignored)
{
    qf_log_add_secret("abc");
    qf_log_add_secret("");
    qf_log_add_secret(NULL);
    qf_log_add_secret("ab");
    qf_log_info("abc abcabc ab");
    text_is("abc abcabc ab");
    qf_log_add_secret("abcd"); /* exactly 4 bytes counts */
    qf_log_info("abc abcd");
    text_is("abc ***");
}

Test(log, duplicate_and_cleared_secrets)
{
    qf_log_add_secret("token-XYZ");
    qf_log_add_secret("token-XYZ");
    qf_log_info("t=token-XYZ");
    text_is("t=***");
    qf_log_clear_secrets();
    qf_log_info("t=token-XYZ");
    text_is("t=token-XYZ");
    qf_log_add_secret("token-XYZ");
    qf_log_info("t=token-XYZ");
    text_is("t=***");
}

Test(log, secret_is_copied)
{
    char key[] = "mutable-secret-value";
    qf_log_add_secret(key);
    memset(key, 'z', sizeof key - 1);
    qf_log_info("mutable-secret-value %s", key);
    text_is("*** zzzzzzzzzzzzzzzzzzzz");
}

Test(log, many_secrets_all_masked)
{
    /* No fixed limit may silently let a secret through. */
    enum { N = 200 };
    char s[32];
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof s, "secret-%04d-key", i);
        qf_log_add_secret(s);
    }
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof s, "secret-%04d-key", i);
        qf_log_info("<%s>", s);
        char *got = text_msg("INFO ");
        if (strcmp(got, "<***>") != 0)
            cr_assert_fail("secret %d leaked: %s", i, got);
        free(got);
        reset_out();
    }
}

Test(log, secret_cut_by_the_length_limit_leaks_no_prefix)
{
    /* The message is longer than a log line; the secret straddles the cut. */
    const char *secret = "SUPERSECRETTOKEN0123456789";
    qf_log_add_secret(secret);
    for (size_t pad = 4060; pad < 4110; pad++) {
        char *msg = malloc(pad + 64);
        memset(msg, '.', pad);
        strcpy(msg + pad, secret);
        reset_out();
        qf_log_info("%s", msg);
        const char *s = out();
        cr_assert_null(strstr(s, "SUPERS"), "pad %zu leaks a prefix", pad);
        cr_assert_eq(count_lines(s), 1);
        free(msg);
    }
}

/* ---- qf_log_redact ------------------------------------------------------ */

Test(log, redact_into_buffers_of_every_size)
{
    qf_log_add_secret("hunter22");
    const char *src = "hunter22:pw=hunter22!";
    const char *full = "***:pw=***!";
    char dst[64];
    qf_log_redact(src, dst, sizeof dst);
    cr_assert_str_eq(dst, full);
    for (size_t size = 1; size <= strlen(full) + 3; size++) {
        memset(dst, '#', sizeof dst);
        qf_log_redact(src, dst, size);
        size_t want_len = size - 1 < strlen(full) ? size - 1 : strlen(full);
        cr_assert_eq(strlen(dst), want_len, "size %zu: '%s'", size, dst);
        cr_assert_eq(strncmp(dst, full, want_len), 0, "size %zu: '%s'", size, dst);
        for (size_t i = size; i < sizeof dst; i++)
            cr_assert_eq(dst[i], '#', "size %zu wrote byte %zu", size, i);
        cr_assert_null(strstr(dst, "hun"), "size %zu", size);
    }
    /* size 0 writes nothing */
    memset(dst, '#', sizeof dst);
    qf_log_redact(src, dst, 0);
    cr_assert_eq(dst[0], '#');
    /* NULL source is an empty string. */
    qf_log_redact(NULL, dst, sizeof dst);
    cr_assert_str_eq(dst, "");
}

Test(log, redact_without_secrets_copies)
{
    char dst[8];
    qf_log_redact("hello, world", dst, sizeof dst);
    cr_assert_str_eq(dst, "hello, ");
    qf_log_redact("", dst, sizeof dst);
    cr_assert_str_eq(dst, "");
}

/* ---- threads ----------------------------------------------------------- */

enum { THREADS = 4, LINES = 2000 };

static void *log_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < LINES; i++)
        qf_log_info("thread %d line %d payload %s", id, i,
                    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz");
    return NULL;
}

/* Atomic, not volatile: the flag is shared between threads. */
static atomic_int churn_stop;

static void *secret_churn(void *arg)
{
    (void)arg;
    while (!churn_stop) {
        qf_log_add_secret("churn-secret-1");
        qf_log_add_secret("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz");
        qf_log_clear_secrets();
    }
    return NULL;
}

static void run_threads(int churn)
{
    pthread_t t[THREADS], c;
    churn_stop = 0;
    if (churn)
        cr_assert_eq(pthread_create(&c, NULL, secret_churn, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, log_worker, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    churn_stop = 1;
    if (churn)
        pthread_join(c, NULL);
}

static void check_lines(int json)
{
    char *all = strdup(out());
    int next[THREADS] = {0};
    size_t lines = 0;
    int64_t prev_ts = INT64_MIN;
    char *save = NULL;
    for (char *line = strtok_r(all, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), lines++) {
        int id = -1, seq = -1, used = 0;
        char ts[QF_ISO_MAX];
        const char *msg;
        if (json) {
            json_error_t jerr;
            json_t *j = json_loads(line, 0, &jerr);
            cr_assert_not_null(j, "line %zu not JSON: %s", lines, line);
            snprintf(ts, sizeof ts, "%s", json_string_value(json_object_get(j, "ts")));
            char m[256];
            snprintf(m, sizeof m, "%s", json_string_value(json_object_get(j, "msg")));
            json_decref(j);
            cr_assert_eq(sscanf(m, "thread %d line %d payload %n", &id, &seq, &used), 2, "%s", m);
            msg = NULL;
        } else {
            cr_assert_eq(sscanf(line, "%39s", ts), 1);
            msg = strstr(line, " INFO  thread ");
            cr_assert_not_null(msg, "torn line %zu: %s", lines, line);
            cr_assert_eq(sscanf(msg, " INFO  thread %d line %d payload %n", &id, &seq, &used), 2,
                         "torn line %zu: %s", lines, line);
            /* The churn secret is the payload minus its first ten bytes, so
             * while it is registered the payload reads "0123456789***". */
            cr_assert(strcmp(msg + used, "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij"
                                         "klmnopqrstuvwxyz") == 0 ||
                          strcmp(msg + used, "0123456789***") == 0,
                      "torn line %zu: %s", lines, line);
        }
        cr_assert(id >= 0 && id < THREADS, "line %zu: %s", lines, line);
        cr_assert_eq(seq, next[id], "thread %d out of order: %s", id, line);
        next[id]++;
        int64_t t;
        cr_assert_eq(qf_time_parse_iso(ts, &t, NULL), QF_OK, "line %zu: %s", lines, line);
        cr_assert_geq(t, prev_ts, "timestamps go backwards at line %zu", lines);
        prev_ts = t;
    }
    cr_assert_eq(lines, (size_t)THREADS * LINES);
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(next[i], LINES);
    free(all);
}

Test(log, four_threads_text_whole_lines)
{
    run_threads(0);
    check_lines(0);
}

Test(log, four_threads_json_whole_lines)
{
    qf_log_set_format(QF_LOG_JSON);
    run_threads(0);
    check_lines(1);
}

Test(log, four_threads_while_secrets_change)
{
    run_threads(1);
    check_lines(0);
}
