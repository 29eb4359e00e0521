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
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

qf_rc qf_err_prefix(qf_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return QF_OK;
    char prefix[QF_ERR_MSG_MAX];
    char old[QF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
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
