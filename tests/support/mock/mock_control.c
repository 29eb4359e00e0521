/* mock_control.c - the /__mock/ control API (being written). */
#include "mock/mock_int.h"

bool mock_control(qf_mock *m, mock_req *r, mock_resp *out)
{
    (void)m;
    (void)r;
    (void)out;
    return false;
}
