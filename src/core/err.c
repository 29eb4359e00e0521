/* err.c - qf_err helpers and the code tables generated from QF_RC_MAP. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const rc_names[] = {
#define QF_RC_NAME(name, msg) #name,
    QF_RC_MAP(QF_RC_NAME)
#undef QF_RC_NAME
};

static const char *const rc_msgs[] = {
#define QF_RC_MSG(name, msg) msg,
    QF_RC_MAP(QF_RC_MSG)
#undef QF_RC_MSG
};

void qf_err_clear(qf_err *err)
{
    if (err == NULL)
        return;
    err->code = QF_OK;
    err->msg[0] = '\0';
}

qf_rc qf_err_set(qf_err *err, qf_rc code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    /* Format into a scratch buffer first: callers may pass err->msg itself as an
     * argument ("%s (while saving)", err->msg), and vsnprintf must not overlap. */
    char msg[QF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        msg[0] = '\0';
    va_end(ap);
    err->code = code;
    memcpy(err->msg, msg, sizeof msg);
    return code;
}

qf_rc qf_err_prefix(qf_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return QF_OK;
    char prefix[QF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(prefix, sizeof prefix, fmt, ap) < 0)
        prefix[0] = '\0';
    va_end(ap);
    /* An error recorded without text still says what went wrong. */
    const char *old = err->msg;
    if (old[0] == '\0')
        old = err->code != QF_OK ? qf_rc_str(err->code) : NULL;
    /* Assemble "prefix: old" by hand, truncating at QF_ERR_MSG_MAX - 1 (snprintf
     * with two 256-byte strings trips -Wformat-truncation). */
    char out[QF_ERR_MSG_MAX];
    size_t n = 0;
    const char *parts[3] = {prefix, old != NULL ? ": " : "", old != NULL ? old : ""};
    for (size_t i = 0; i < 3; i++)
        for (const char *c = parts[i]; *c != '\0' && n + 1 < sizeof out; c++)
            out[n++] = *c;
    out[n] = '\0';
    memcpy(err->msg, out, n + 1);
    return err->code;
}

const char *qf_rc_name(qf_rc rc)
{
    if ((int)rc < 0 || rc >= QF_RC_COUNT)
        return "EUNKNOWN";
    return rc_names[rc];
}

const char *qf_rc_str(qf_rc rc)
{
    if ((int)rc < 0 || rc >= QF_RC_COUNT)
        return "unknown error";
    return rc_msgs[rc];
}
