/* mock_coinbase.c - Coinbase endpoints (being written). */
#include "mock/mock_int.h"

bool mock_coinbase(qf_mock *m, mock_req *r, mock_resp *out)
{
    (void)m;
    (void)r;
    (void)out;
    return false;
}

qf_rc mock_jwt_init(qf_mock *m, qf_err *err)
{
    (void)m;
    (void)err;
    return QF_OK;
}

void mock_jwt_free(qf_mock *m)
{
    (void)m;
}
