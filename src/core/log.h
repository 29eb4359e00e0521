/*
 * log.h - leveled logging to stderr, as text or JSON lines.
 *
 * Text:  "2026-11-24T19:40:00.123Z INFO  import: 18370 rows"
 * JSON:  {"ts":"2026-11-24T19:40:00.123Z","level":"info","msg":"import: 18370 rows"}
 *
 * Secrets never reach the log: every value registered with
 * qf_log_add_secret() (API keys, tokens, passwords, once loaded) is replaced
 * by "***" in every message before it is written. The logger is process-wide
 * state by nature; it is safe to call from several threads.
 */
#ifndef QF_CORE_LOG_H
#define QF_CORE_LOG_H

#include <stdio.h>

#include "core/err.h"

typedef enum {
    QF_LOG_DEBUG = 0,
    QF_LOG_INFO = 1,
    QF_LOG_WARN = 2,
    QF_LOG_ERROR = 3,
    QF_LOG_OFF = 4
} qf_log_level;

typedef enum { QF_LOG_TEXT = 0, QF_LOG_JSON = 1 } qf_log_format;

void qf_log_set_level(qf_log_level level);
void qf_log_set_format(qf_log_format format);
/* Redirects output (default stderr); tests use a memstream. NULL restores stderr. */
void qf_log_set_stream(FILE *stream);

/* "debug" "info" "warn" "error" "off" / "text" "json", exact and lower case.
 * Anything else (NULL included) is QF_EINVAL and leaves *out unchanged. */
QF_NODISCARD qf_rc qf_log_parse_level(const char *s, qf_log_level *out, qf_err *err);
QF_NODISCARD qf_rc qf_log_parse_format(const char *s, qf_log_format *out, qf_err *err);

/* Registers a secret to mask (copied; values shorter than 4 bytes are ignored
 * because masking them would garble ordinary text). There is no limit on the
 * number of secrets. If one cannot be stored (out of memory) the logger says
 * so once and fails closed: every message is masked whole until
 * qf_log_clear_secrets(). */
void qf_log_add_secret(const char *secret);
/* Forgets every registered secret (and leaves the fail-closed state). */
void qf_log_clear_secrets(void);

/* Copies src into dst (size bytes, always NUL-terminated when size > 0,
 * truncated to fit) with every registered secret masked: each maximal run of
 * bytes covered by secret occurrences (overlapping, nested or touching) becomes
 * one "***". src NULL is an empty string; size 0 writes nothing. */
void qf_log_redact(const char *src, char *dst, size_t size);

/* Messages longer than about 4 KB are cut; a secret running past the cut is
 * masked too. JSON lines are always valid UTF-8: each byte that is not part of
 * a well-formed UTF-8 sequence becomes U+FFFD. Each line is timestamped and
 * written under one lock, so lines are whole and their timestamps ordered. */
void qf_log(qf_log_level level, const char *fmt, ...) QF_PRINTF(2, 3);

#define qf_log_debug(...) qf_log(QF_LOG_DEBUG, __VA_ARGS__)
#define qf_log_info(...)  qf_log(QF_LOG_INFO, __VA_ARGS__)
#define qf_log_warn(...)  qf_log(QF_LOG_WARN, __VA_ARGS__)
#define qf_log_error(...) qf_log(QF_LOG_ERROR, __VA_ARGS__)

#endif
