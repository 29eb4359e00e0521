/* mock_binance_orders.c - Binance SIGNED endpoints (being written). */
#include "mock/mock_int.h"

bool mock_binance_signed(qf_mock *m, mock_req *r, mock_resp *out)
{
    (void)m;
    (void)r;
    (void)out;
    return false;
}
