/*
 * err.h - QuantFlow's one error vocabulary.
 *
 * Every function that can fail returns a qf_rc and takes a `qf_err *err` last.
 * The caller owns the qf_err; it receives the code and a message that names
 * what was wrong ("BTCUSDT-4h.csv:118: high < low"). `err` may be NULL when
 * the caller only wants the code. Codes, names and default messages come from
 * one X-macro table so they never drift apart; new codes go at the end.
 */
#ifndef QF_CORE_ERR_H
#define QF_CORE_ERR_H

#include <stddef.h>

#define QF_NODISCARD         __attribute__((warn_unused_result))
#define QF_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* X(name, default message) */
#define QF_RC_MAP(X)                                                                               \
    X(OK, "success")                                                                               \
    X(EINVAL, "invalid argument")                                                                  \
    X(ENOMEM, "out of memory")                                                                     \
    X(EIO, "input/output error")                                                                   \
    X(EPARSE, "malformed input")                                                                   \
    X(ENOTFOUND, "not found")                                                                      \
    X(ESTORE, "storage error")                                                                     \
    X(EVERSION, "incompatible version")                                                            \
    X(ECONFIG, "invalid configuration")                                                            \
    X(ERANGE, "value out of range")                                                                \
    X(EEXIST, "already exists")                                                                    \
    X(EINTR, "interrupted")                                                                        \
    X(EUNSUPPORTED, "not supported")                                                               \
    X(ESTATE, "invalid state")                                                                     \
    X(ENET, "network error")                                                                       \
    X(EUNKNOWN, "outcome unknown")                                                                 \
    X(EREJECTED, "rejected by the exchange")                                                       \
    X(ERATELIMIT, "rate limited")

typedef enum {
#define QF_RC_ENUM(name, msg) QF_##name,
    QF_RC_MAP(QF_RC_ENUM)
#undef QF_RC_ENUM
        QF_RC_COUNT
} qf_rc;

#define QF_ERR_MSG_MAX 256

typedef struct qf_err {
    qf_rc code;               /* QF_OK when nothing went wrong */
    char msg[QF_ERR_MSG_MAX]; /* human-readable, NUL-terminated, never holds secrets */
} qf_err;

/* Resets err to QF_OK with an empty message. err may be NULL. */
void qf_err_clear(qf_err *err);

/* Records code and a printf-style message in err (if not NULL); returns code
 * so a caller can write `return qf_err_set(err, QF_EINVAL, "...")`. Messages
 * longer than QF_ERR_MSG_MAX - 1 are truncated; the arguments may include
 * err->msg itself. */
qf_rc qf_err_set(qf_err *err, qf_rc code, const char *fmt, ...) QF_PRINTF(3, 4);

/* Prepends "prefix: " to the message already in err (context on the way up) and
 * returns err->code (QF_OK when err is NULL). An empty message stands for the
 * code's default text ("ctx: out of memory"); with QF_OK and no text the
 * result is just "prefix". */
qf_rc qf_err_prefix(qf_err *err, const char *fmt, ...) QF_PRINTF(2, 3);

/* Stable symbolic name ("EINVAL") and default message of a code. */
const char *qf_rc_name(qf_rc rc);
const char *qf_rc_str(qf_rc rc);

#endif
