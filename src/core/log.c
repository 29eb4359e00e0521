/*
 * log.c - the process-wide logger.
 *
 * A message is formatted into a bounded stack buffer outside the lock. Under
 * the lock it is timestamped (so timestamps follow the order of the lines),
 * redacted, rendered into one static line buffer and written with a single
 * fwrite, so lines are whole and ordered whichever thread logs them.
 *
 * Redaction masks the union of every occurrence of every registered secret:
 * overlapping or nested occurrences, and occurrences that touch, become one
 * "***". When the message was cut by the length limit, a secret that would run
 * past the cut is masked too, so no prefix of a secret can leak. The secret
 * list grows without limit; if it cannot grow (out of memory) the logger fails
 * closed and masks every message until qf_log_clear_secrets().
 */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

#define LINE_MAX_LEN   4096 /* message bytes kept per line, NUL included */
#define SECRET_MIN_LEN 4
#define MASK           "***"
/* Worst case: every message byte escaped as \u00XX, plus ts, level and quotes. */
#define RENDER_MAX (6 * LINE_MAX_LEN + 2 * QF_ISO_MAX + 64)

typedef struct {
    char *text;
    size_t len;
} secret;

/* Level and format are read on every call without the lock. */
static atomic_int cur_level = QF_LOG_INFO;
static atomic_int cur_format = QF_LOG_TEXT;

/* Everything below is guarded by lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *cur_stream;
static secret *secrets;
static size_t n_secrets;
static size_t cap_secrets;
static bool secret_starts[256]; /* some secret begins with this byte */
static bool secrets_lost;       /* a secret could not be stored: mask everything */
static char clean[LINE_MAX_LEN];
static char rendered[RENDER_MAX];

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};
static const char *const level_tags[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

void qf_log_set_level(qf_log_level level)
{
    atomic_store(&cur_level, (int)level);
}

void qf_log_set_format(qf_log_format format)
{
    atomic_store(&cur_format, (int)format);
}

void qf_log_set_stream(FILE *stream)
{
    pthread_mutex_lock(&lock);
    cur_stream = stream;
    pthread_mutex_unlock(&lock);
}

qf_rc qf_log_parse_level(const char *s, qf_log_level *out, qf_err *err)
{
    for (int i = 0; s != NULL && i <= QF_LOG_OFF; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (qf_log_level)i;
            return QF_OK;
        }
    }
    return qf_err_set(err, QF_EINVAL, "unknown log level '%.32s' (debug, info, warn, error, off)",
                      s != NULL ? s : "(null)");
}

qf_rc qf_log_parse_format(const char *s, qf_log_format *out, qf_err *err)
{
    if (s != NULL && strcmp(s, "text") == 0)
        *out = QF_LOG_TEXT;
    else if (s != NULL && strcmp(s, "json") == 0)
        *out = QF_LOG_JSON;
    else
        return qf_err_set(err, QF_EINVAL, "unknown log format '%.32s' (text, json)",
                          s != NULL ? s : "(null)");
    return QF_OK;
}

/* ---- secrets ------------------------------------------------------------- */

static void write_line_locked(qf_log_level level, const char *msg, size_t len);

/* Caller holds the lock. */
static bool secret_known_locked(const char *s, size_t len)
{
    for (size_t i = 0; i < n_secrets; i++) {
        if (secrets[i].len == len && memcmp(secrets[i].text, s, len) == 0)
            return true;
    }
    return false;
}

/* Caller holds the lock. Returns false (list unchanged) when out of memory. */
static bool secret_store_locked(const char *s, size_t len)
{
    if (n_secrets == cap_secrets) {
        size_t cap = cap_secrets == 0 ? 8 : cap_secrets * 2;
        secret *grown = realloc(secrets, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        secrets = grown;
        cap_secrets = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return false;
    memcpy(copy, s, len + 1);
    secrets[n_secrets].text = copy;
    secrets[n_secrets].len = len;
    n_secrets++;
    secret_starts[(unsigned char)s[0]] = true;
    return true;
}

void qf_log_add_secret(const char *s)
{
    if (s == NULL)
        return;
    size_t len = strlen(s);
    if (len < SECRET_MIN_LEN)
        return;
    static const char lost[] = "log: out of memory storing a secret; every message is masked "
                               "until qf_log_clear_secrets()";
    pthread_mutex_lock(&lock);
    if (!secret_known_locked(s, len) && !secret_store_locked(s, len)) {
        if (!secrets_lost)
            write_line_locked(QF_LOG_ERROR, lost, sizeof lost - 1);
        secrets_lost = true;
    }
    pthread_mutex_unlock(&lock);
}

void qf_log_clear_secrets(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_secrets; i++)
        free(secrets[i].text);
    free(secrets);
    secrets = NULL;
    n_secrets = 0;
    cap_secrets = 0;
    memset(secret_starts, 0, sizeof secret_starts);
    secrets_lost = false;
    pthread_mutex_unlock(&lock);
}

/*
 * Caller holds the lock. End of the longest secret starting at s[i], or i if
 * none does. When `cut` (the text went on past len), a secret whose start
 * fills the rest of s counts as a match: it may continue past the cut.
 */
static size_t secret_end_locked(const char *s, size_t len, size_t i, bool cut)
{
    size_t end = i;
    if (!secret_starts[(unsigned char)s[i]])
        return end;
    for (size_t k = 0; k < n_secrets; k++) {
        size_t n = secrets[k].len;
        if (n > len - i) {
            if (!cut)
                continue;
            n = len - i;
        }
        if (memcmp(s + i, secrets[k].text, n) == 0 && i + secrets[k].len > end)
            end = i + secrets[k].len;
    }
    return end;
}

/* Appends up to n bytes of p to dst, keeping room for the NUL. */
static size_t put(char *dst, size_t size, size_t o, const char *p, size_t n)
{
    while (n-- > 0 && o + 1 < size)
        dst[o++] = *p++;
    return o;
}

/*
 * Caller holds the lock. Copies src[0..len) to dst (size > 0 bytes, always
 * NUL-terminated, truncated to fit) with each maximal run of bytes covered by
 * secret occurrences replaced by one MASK. Returns the length written.
 */
static size_t redact_locked(const char *src, size_t len, bool cut, char *dst, size_t size)
{
    size_t o = 0;
    if (secrets_lost && len > 0) {
        o = put(dst, size, o, MASK, strlen(MASK));
        len = 0;
    }
    size_t covered = 0; /* bytes before this index are inside a secret */
    bool masking = false;
    for (size_t i = 0; i < len && o + 1 < size; i++) {
        size_t end = secret_end_locked(src, len, i, cut);
        if (end > covered)
            covered = end;
        if (i < covered) {
            if (!masking)
                o = put(dst, size, o, MASK, strlen(MASK));
            masking = true;
        } else {
            o = put(dst, size, o, src + i, 1);
            masking = false;
        }
    }
    dst[o] = '\0';
    return o;
}

void qf_log_redact(const char *src, char *dst, size_t size)
{
    if (dst == NULL || size == 0)
        return;
    if (src == NULL)
        src = "";
    pthread_mutex_lock(&lock);
    redact_locked(src, strlen(src), false, dst, size);
    pthread_mutex_unlock(&lock);
}

/* ---- rendering ------------------------------------------------------------ */

/*
 * Length of the well-formed UTF-8 sequence at s (n > 0 bytes available), or 0
 * when s[0] does not start one (stray continuation, overlong form, surrogate,
 * above U+10FFFF, or cut short).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0; /* overlong */
    else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* overlong */
    else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    return len;
}

/* Length of s[0..len) without a multi-byte character cut off at its end. */
static size_t trim_cut_char(const char *s, size_t len)
{
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = (unsigned char)s[len - back];
        if ((c & 0xC0) == 0x80)
            continue; /* continuation byte: keep looking for the lead */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? len - back : len;
    }
    return len;
}

/* Appends s[0..n) to rendered as the body of a JSON string: escapes quotes,
 * backslashes and controls, and turns each byte that is not part of valid
 * UTF-8 into U+FFFD so the line stays valid JSON. */
static size_t json_escape(size_t o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t len = utf8_len(p + i, n - i);
        if (len == 0) {
            o = put(rendered, sizeof rendered, o, "\xef\xbf\xbd", 3);
            i++;
        } else if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            o = put(rendered, sizeof rendered, o, esc, 2);
            i++;
        } else if (c == '\n' || c == '\t') {
            o = put(rendered, sizeof rendered, o, c == '\n' ? "\\n" : "\\t", 2);
            i++;
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            o = put(rendered, sizeof rendered, o, esc, 6);
            i++;
        } else {
            o = put(rendered, sizeof rendered, o, s + i, len);
            i += len;
        }
    }
    return o;
}

/* Caller holds the lock. Timestamps msg (already redacted) and writes it as
 * one line with a single fwrite. */
static void write_line_locked(qf_log_level level, const char *msg, size_t len)
{
    char ts[QF_ISO_MAX];
    qf_time_format_iso(qf_time_now_ms(), ts, sizeof ts);
    size_t o = 0;
    if (atomic_load(&cur_format) == QF_LOG_JSON) {
        const char *parts[] = {"{\"ts\":\"", ts, "\",\"level\":\"", level_names[level],
                               "\",\"msg\":\""};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            o = put(rendered, sizeof rendered, o, parts[i], strlen(parts[i]));
        o = json_escape(o, msg, len);
        o = put(rendered, sizeof rendered, o, "\"}\n", 3);
    } else {
        const char *parts[] = {ts, " ", level_tags[level], " "};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            o = put(rendered, sizeof rendered, o, parts[i], strlen(parts[i]));
        o = put(rendered, sizeof rendered, o, msg, len);
        o = put(rendered, sizeof rendered, o, "\n", 1);
    }
    FILE *f = cur_stream != NULL ? cur_stream : stderr;
    (void)fwrite(rendered, 1, o, f);
    (void)fflush(f);
}

void qf_log(qf_log_level level, const char *fmt, ...)
{
    int l = (int)level;
    if (l < atomic_load(&cur_level) || l < 0 || l >= QF_LOG_OFF)
        return;
    char raw[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(raw, sizeof raw, "(log: bad format '%.64s')", fmt);
    size_t len = strlen(raw);
    bool cut = n >= (int)sizeof raw && len == sizeof raw - 1;
    pthread_mutex_lock(&lock);
    size_t clean_len = redact_locked(raw, len, cut, clean, sizeof clean);
    if (cut)
        clean_len = trim_cut_char(clean, clean_len);
    write_line_locked(level, clean, clean_len);
    pthread_mutex_unlock(&lock);
}
