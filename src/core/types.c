/* types.c - names of the shared enums, as written in the store and the API. */
#include "core/types.h"

const char *qf_order_status_name(qf_order_status s)
{
    static const char *const names[] = {"pending", "unconfirmed", "open",     "partially_filled",
                                        "filled",  "cancelled",   "rejected", "expired"};
    if ((int)s < 0 || (unsigned)s >= sizeof names / sizeof names[0])
        return "unknown";
    return names[s];
}

const char *qf_regime_name(qf_regime r)
{
    static const char *const names[] = {"trending", "mean_reverting", "choppy", "unknown"};
    if ((int)r < 0 || (unsigned)r >= sizeof names / sizeof names[0])
        return "unknown";
    return names[r];
}
