/*
 * ind_common.c - argument checks shared by the indicator kernels.
 */
#include "features/ind_int.h"

qf_rc ind_check_period(const char *kernel, const char *name, int period, qf_err *err)
{
    if (period < 1 || period > QF_IND_PERIOD_MAX)
        return qf_err_set(err, QF_EINVAL, "%s: %s must be in [1, %d], got %d", kernel, name,
                          QF_IND_PERIOD_MAX, period);
    return QF_OK;
}

qf_rc ind_check_ptr(const char *kernel, const void *p, const char *name, size_t n, qf_err *err)
{
    if (p == NULL && n > 0)
        return qf_err_set(err, QF_EINVAL, "%s: %s is NULL", kernel, name);
    return QF_OK;
}

void ind_fill_nan(double *out, size_t from, size_t to)
{
    if (out == NULL)
        return;
    for (size_t i = from; i < to; i++)
        out[i] = NAN;
}
