/*
 * sqlite_order_send.c - an order's sends in SQLite (migration 3, column
 * orders.sent_at): the time written immediately before every send, and the
 * close of an order the venue does not know. Each is ONE conditional UPDATE,
 * so the check and the write cannot be split by another process: a send is
 * recorded only on an order still pending or unconfirmed, and a close
 * happens only when no send was recorded after the caller's cut-off.
 */
#include "store/sqlite_int.h"

#include <string.h>

static const char mark_sql[] = "UPDATE orders SET sent_at = max(coalesce(sent_at, 0), ?2) "
                               "WHERE client_id = ?1 AND status IN ('pending', 'unconfirmed')";

static const char close_sql[] = "UPDATE orders SET status = ?2, reason = ?3, updated_at = ?4 "
                                "WHERE client_id = ?1 AND status IN ('pending', 'unconfirmed') "
                                "AND coalesce(sent_at, created_at) <= ?5";

static const char status_sql[] = "SELECT status FROM orders WHERE client_id = ?1";

/* After an UPDATE that changed nothing: QF_ENOTFOUND, or QF_ESTATE naming
 * the status the order has now. */
static qf_rc why_unchanged(sqlite_store *s, const char *client_id, const char *what, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, status_sql, -1, &st, NULL);
    if (src != SQLITE_OK)
        return sq_fail(s, src, "preparing an order lookup", err);
    qf_rc rc = sq_bind_text(s, st, 1, client_id, err);
    if (rc == QF_OK) {
        src = sqlite3_step(st);
        if (src == SQLITE_DONE)
            rc = qf_err_set(err, QF_ENOTFOUND, "store: no order with client_id %s", client_id);
        else if (src == SQLITE_ROW)
            rc = qf_err_set(err, QF_ESTATE, "store: order %s is %s: %s", client_id,
                            (const char *)sqlite3_column_text(st, 0), what);
        else
            rc = sq_fail(s, src, "reading an order", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Steps a prepared, bound UPDATE once and finalizes it; *out_changes gets
 * the rows it changed. */
static qf_rc run_update(sqlite_store *s, sqlite3_stmt *st, const char *what, int *out_changes,
                        qf_err *err)
{
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, what, err);
    *out_changes = sqlite3_changes(s->db);
    return QF_OK;
}

qf_rc sq_order_sending(qf_store *store, const char *client_id, int64_t sent_at, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    qf_rc rc = sq_writable(s, "record an order's send", err);
    if (rc != QF_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, mark_sql, -1, &st, NULL);
    if (src != SQLITE_OK)
        return sq_fail(s, src, "preparing an order's send", err);
    rc = sq_bind_text(s, st, 1, client_id, err);
    sqlite3_bind_int64(st, 2, sent_at);
    if (rc != QF_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    int changes = 0;
    rc = run_update(s, st, "recording an order's send", &changes, err);
    if (rc != QF_OK || changes == 1)
        return rc;
    return why_unchanged(s, client_id, "closed meanwhile, not sent", err);
}

qf_rc sq_close_unsent(qf_store *store, const qf_order_row *row, int64_t sent_before, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    const char *id = row->order.client_id;
    qf_rc rc = sq_writable(s, "close an order", err);
    if (rc != QF_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, close_sql, -1, &st, NULL);
    if (src != SQLITE_OK)
        return sq_fail(s, src, "preparing an order's close", err);
    rc = sq_bind_text(s, st, 1, id, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 2, qf_order_status_name(row->order.status), err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 3, row->reason[0] != '\0' ? row->reason : NULL, err);
    sqlite3_bind_int64(st, 4, row->order.updated_at);
    sqlite3_bind_int64(st, 5, sent_before);
    if (rc != QF_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    int changes = 0;
    rc = run_update(s, st, "closing an order", &changes, err);
    if (rc != QF_OK)
        return rc;
    if (changes == 1)
        return QF_OK;
    return why_unchanged(s, id, "sent again or changed since, not closed", err);
}
