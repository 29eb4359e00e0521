/*
 * store_order_send.c - the backend-independent half of an order's sends
 * (store.h, qf_store_order_sending and qf_store_close_unsent): arguments
 * checked here, then dispatched through the backend vtable.
 */
#include "store/store_int.h"

#include <string.h>

#define CLIENT_ID_MAX_LEN 36 /* CONVENTIONS.md, "Exchanges" */

static int client_id_ok(const char *id, size_t size)
{
    if (id == NULL || memchr(id, '\0', size) == NULL)
        return 0;
    size_t n = strlen(id);
    return n >= 1 && n <= CLIENT_ID_MAX_LEN &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static int time_ok(int64_t t)
{
    return t >= QF_STORE_TIME_MIN && t <= QF_STORE_TIME_MAX;
}

qf_rc qf_store_order_sending(qf_store *store, const char *client_id, int64_t sent_at, qf_err *err)
{
    qf_err_clear(err);
    if (store == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no open store");
    if (!client_id_ok(client_id, CLIENT_ID_MAX_LEN + 1))
        return qf_err_set(err, QF_EINVAL,
                          "store: client_id must be 1..%d characters of A-Z a-z 0-9 - _",
                          CLIENT_ID_MAX_LEN);
    if (!time_ok(sent_at))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: sent_at outside 1970..9999 (ms since the epoch)",
                          client_id);
    return store->backend->order_sending(store, client_id, sent_at, err);
}

qf_rc qf_store_close_unsent(qf_store *store, const qf_order_row *row, int64_t sent_before,
                            qf_err *err)
{
    qf_err_clear(err);
    if (store == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no open store");
    if (row == NULL || !client_id_ok(row->order.client_id, sizeof row->order.client_id))
        return qf_err_set(err, QF_EINVAL,
                          "store: close_unsent: client_id must be 1..%d characters of A-Z a-z "
                          "0-9 - _",
                          CLIENT_ID_MAX_LEN);
    const char *id = row->order.client_id;
    qf_order_status s = row->order.status;
    if (s != QF_ORDER_CANCELLED && s != QF_ORDER_REJECTED && s != QF_ORDER_EXPIRED)
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: an unsent order closes as cancelled, rejected or "
                          "expired, not %s",
                          id, qf_order_status_name(s));
    if (memchr(row->reason, '\0', sizeof row->reason) == NULL)
        return qf_err_set(err, QF_EINVAL, "store: order %s: reason not terminated", id);
    for (const char *p = row->reason; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return qf_err_set(err, QF_EINVAL,
                              "store: order %s: reason must not hold control characters", id);
    if (!time_ok(row->order.updated_at))
        return qf_err_set(err, QF_EINVAL,
                          "store: order %s: updated_at outside 1970..9999 (ms since the epoch)",
                          id);
    return store->backend->close_unsent(store, row, sent_before, err);
}
