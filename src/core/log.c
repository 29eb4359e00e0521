/*
 * log.c - the process-wide logger. A mutex keeps lines whole when several
 * threads log; messages are formatted, redacted, then written in one call.
 */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

#define MAX_SECRETS 32
#define LINE_MAX_LEN 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static qf_log_level cur_level = QF_LOG_INFO;
static qf_log_format cur_format = QF_LOG_TEXT;
static FILE *cur_stream;
static char *secrets[MAX_SECRETS];
static size_t n_secrets;

void qf_log_set_level(qf_log_level level)
{
    cur_level = level;
}

void qf_log_set_format(qf_log_format format)
{
    cur_format = format;
}

void qf_log_set_stream(FILE *stream)
{
    pthread_mutex_lock(&lock);
    cur_stream = stream;
    pthread_mutex_unlock(&lock);
}

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

qf_rc qf_log_parse_level(const char *s, qf_log_level *out, qf_err *err)
{
    for (int i = 0; i <= QF_LOG_OFF; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (qf_log_level)i;
            return QF_OK;
        }
    }
    return qf_err_set(err, QF_EINVAL, "unknown log level '%.32s' (debug, info, warn, error, off)",
                      s);
}

qf_rc qf_log_parse_format(const char *s, qf_log_format *out, qf_err *err)
{
    if (strcmp(s, "text") == 0)
        *out = QF_LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = QF_LOG_JSON;
    else
        return qf_err_set(err, QF_EINVAL, "unknown log format '%.32s' (text, json)", s);
    return QF_OK;
}

void qf_log_add_secret(const char *secret)
{
    if (secret == NULL || strlen(secret) < 4)
        return;
    pthread_mutex_lock(&lock);
    int known = 0;
    for (size_t i = 0; i < n_secrets; i++)
        known |= strcmp(secrets[i], secret) == 0;
    if (!known && n_secrets < MAX_SECRETS) {
        char *copy = strdup(secret);
        if (copy != NULL)
            secrets[n_secrets++] = copy;
    }
    pthread_mutex_unlock(&lock);
}

void qf_log_clear_secrets(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_secrets; i++)
        free(secrets[i]);
    n_secrets = 0;
    pthread_mutex_unlock(&lock);
}

/* Caller holds the lock. */
static void redact_locked(const char *src, char *dst, size_t size)
{
    size_t o = 0;
    while (*src != '\0' && o + 1 < size) {
        size_t hit = 0;
        for (size_t i = 0; i < n_secrets && hit == 0; i++) {
            size_t n = strlen(secrets[i]);
            if (strncmp(src, secrets[i], n) == 0)
                hit = n;
        }
        if (hit > 0) {
            for (const char *m = "***"; *m != '\0' && o + 1 < size; m++)
                dst[o++] = *m;
            src += hit;
        } else {
            dst[o++] = *src++;
        }
    }
    dst[o] = '\0';
}

void qf_log_redact(const char *src, char *dst, size_t size)
{
    if (size == 0)
        return;
    pthread_mutex_lock(&lock);
    redact_locked(src, dst, size);
    pthread_mutex_unlock(&lock);
}

/* Writes s as the body of a JSON string (quotes not included). */
static void json_escape(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

void qf_log(qf_log_level level, const char *fmt, ...)
{
    if (level < cur_level || level >= QF_LOG_OFF)
        return;
    char raw[LINE_MAX_LEN];
    char clean[LINE_MAX_LEN];
    char ts[QF_ISO_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    qf_time_format_iso(qf_time_now_ms(), ts, sizeof ts);
    pthread_mutex_lock(&lock);
    redact_locked(raw, clean, sizeof clean);
    FILE *f = cur_stream != NULL ? cur_stream : stderr;
    if (cur_format == QF_LOG_JSON) {
        fprintf(f, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[level]);
        json_escape(f, clean);
        fputs("\"}\n", f);
    } else {
        static const char *const tags[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
        fprintf(f, "%s %s %s\n", ts, tags[level], clean);
    }
    fflush(f);
    pthread_mutex_unlock(&lock);
}
