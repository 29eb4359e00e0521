/*
 * sqlite_portfolio.c - an account's cash (accounts, migration 2), its
 * positions (positions: one row per account and symbol, flat ones kept for
 * their realized PnL and fees) and its equity snapshots
 * (portfolio_snapshots, upserted on account and time).
 *
 * sq_put_position, sq_put_cash and sq_read_account work inside a
 * transaction the caller holds (sqlite_orders.c records a fill with them);
 * save_portfolio, create_account and mark_positions are each one
 * transaction. A mark price never set is NULL (NaN in qf_position).
 */
#include "store/sqlite_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

qf_rc sq_put_position(sqlite_store *s, const char *account, const qf_position *p, int64_t time,
                      qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_POSITION_PUT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 2, p->symbol, err);
    sqlite3_bind_double(st, 3, p->quantity);
    sqlite3_bind_double(st, 4, p->avg_entry);
    sqlite3_bind_double(st, 5, p->realized_pnl);
    sqlite3_bind_double(st, 6, p->fees);
    if (isnan(p->mark_price))
        sqlite3_bind_null(st, 7);
    else
        sqlite3_bind_double(st, 7, p->mark_price);
    sqlite3_bind_int64(st, 8, time);
    if (rc != QF_OK) {
        sq_done(st);
        return rc;
    }
    return sq_step_write(s, st, "writing a position", NULL, err);
}

qf_rc sq_put_cash(sqlite_store *s, const char *account, double cash, int64_t time, qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_ACCOUNT_PUT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    sqlite3_bind_double(st, 2, cash);
    sqlite3_bind_int64(st, 3, time);
    if (rc != QF_OK) {
        sq_done(st);
        return rc;
    }
    return sq_step_write(s, st, "writing the account's cash", NULL, err);
}

/* The account's cash; *out_found 0 when it has no row. */
static qf_rc read_cash(sqlite_store *s, const char *account, double *out_cash, int *out_found,
                       qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_ACCOUNT_GET, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    int src = rc == QF_OK ? sqlite3_step(st) : SQLITE_DONE;
    *out_found = src == SQLITE_ROW;
    if (src == SQLITE_ROW)
        *out_cash = sqlite3_column_double(st, 0);
    else if (rc == QF_OK && src != SQLITE_DONE)
        rc = sq_fail(s, src, "reading the account's cash", err);
    sq_done(st);
    return rc;
}

static qf_rc read_position(sqlite_store *s, sqlite3_stmt *st, qf_position *out, qf_err *err)
{
    memset(out, 0, sizeof *out);
    const unsigned char *sym = sqlite3_column_text(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    if (sym == NULL || n == 0 || n >= sizeof out->symbol)
        return qf_err_set(err, QF_EPARSE, "%s: positions: a symbol is empty or too long", s->path);
    memcpy(out->symbol, sym, n + 1);
    out->quantity = sqlite3_column_double(st, 1);
    out->avg_entry = sqlite3_column_double(st, 2); /* NULL reads as 0: flat */
    out->realized_pnl = sqlite3_column_double(st, 3);
    out->fees = sqlite3_column_double(st, 4);
    out->mark_price =
        sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5);
    return QF_OK;
}

static qf_rc read_positions(sqlite_store *s, const char *account, qf_position **out, size_t *out_n,
                            qf_err *err)
{
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_POSITION_LIST, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    void *v = NULL;
    size_t n = 0;
    size_t cap = 0;
    while (rc == QF_OK) {
        int src = sqlite3_step(st);
        if (src != SQLITE_ROW) {
            if (src != SQLITE_DONE)
                rc = sq_fail(s, src, "reading positions", err);
            break;
        }
        qf_position p;
        rc = read_position(s, st, &p, err);
        if (rc == QF_OK)
            rc = sq_push(&v, &n, &cap, &p, sizeof p, err);
    }
    sq_done(st);
    if (rc != QF_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *out_n = n;
    return QF_OK;
}

qf_rc sq_read_account(sqlite_store *s, const char *account, double *out_cash, int *out_found,
                      qf_position **out_positions, size_t *out_n, qf_err *err)
{
    *out_positions = NULL;
    *out_n = 0;
    qf_rc rc = read_cash(s, account, out_cash, out_found, err);
    if (rc == QF_OK && *out_found)
        rc = read_positions(s, account, out_positions, out_n, err);
    return rc;
}

/* Both reads see one snapshot of the database (a fill committed between
 * them by another process would otherwise pair old cash with new
 * positions). */
qf_rc sq_load_portfolio(qf_store *store, const char *account, double *out_cash,
                        qf_position **out_positions, size_t *out_n, bool *out_found, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    char *msg = NULL;
    int src = sqlite3_exec(s->db, "BEGIN DEFERRED", NULL, NULL, &msg);
    sqlite3_free(msg);
    if (src != SQLITE_OK)
        return sq_fail(s, src, "starting to read a portfolio", err);
    double cash = 0;
    int found = 0;
    qf_position *v = NULL;
    size_t n = 0;
    qf_rc rc = sq_read_account(s, account, &cash, &found, &v, &n, err);
    src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc == QF_OK && src != SQLITE_OK)
        rc = sq_fail(s, src, "finishing reading a portfolio", err);
    if (rc != QF_OK) {
        if (!sqlite3_get_autocommit(s->db))
            (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        free(v);
        return rc;
    }
    *out_found = found != 0;
    if (found) {
        *out_cash = cash;
        *out_positions = v;
        *out_n = n;
    }
    return QF_OK;
}

qf_rc sq_create_account(qf_store *store, const char *account, double cash, int64_t time,
                        bool *out_created, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    double stored = 0;
    int found = 0;
    qf_rc rc = sq_writable(s, "create an account", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting to create an account", err);
    if (rc == QF_OK)
        rc = read_cash(s, account, &stored, &found, err);
    if (rc == QF_OK && !found)
        rc = sq_put_cash(s, account, cash, time, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing a new account", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        return qf_err_prefix(err, "account %s", account);
    }
    if (out_created != NULL)
        *out_created = !found;
    return QF_OK;
}

/* The stored position of `symbol` in v[0..n), or NULL. */
static qf_position *find_position(qf_position *v, size_t n, const char *symbol)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].symbol, symbol) == 0)
            return &v[i];
    }
    return NULL;
}

/* Only marks are written, each on the row as stored inside this
 * transaction: quantities, PnL and cash other processes wrote stay. */
static qf_rc mark_locked(sqlite_store *s, const char *account, const qf_position *marks, size_t n,
                         int64_t time, double *cash, qf_position **v, size_t *nv, qf_err *err)
{
    int found = 0;
    qf_rc rc = sq_read_account(s, account, cash, &found, v, nv, err);
    if (rc == QF_OK && !found)
        rc = qf_err_set(err, QF_ENOTFOUND, "store: account %s has no stored cash", account);
    for (size_t i = 0; i < n && rc == QF_OK; i++) {
        qf_position *q = find_position(*v, *nv, marks[i].symbol);
        if (q == NULL || isnan(marks[i].mark_price))
            continue;
        q->mark_price = marks[i].mark_price;
        rc = sq_put_position(s, account, q, time, err);
    }
    return rc;
}

qf_rc sq_mark_positions(qf_store *store, const char *account, const qf_position *marks, size_t n,
                        int64_t time, double *out_cash, qf_position **out_positions, size_t *out_n,
                        qf_err *err)
{
    sqlite_store *s = sq_from(store);
    double cash = 0;
    qf_position *v = NULL;
    size_t nv = 0;
    qf_rc rc = sq_writable(s, "mark positions", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting to mark positions", err);
    if (rc == QF_OK)
        rc = mark_locked(s, account, marks, n, time, &cash, &v, &nv, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing marks", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        free(v);
        return rc == QF_ENOTFOUND ? rc : qf_err_prefix(err, "portfolio %s", account);
    }
    if (out_cash != NULL) {
        *out_cash = cash;
        *out_positions = v;
        *out_n = nv;
    } else {
        free(v);
    }
    return QF_OK;
}

qf_rc sq_save_portfolio(qf_store *store, const char *account, double cash,
                        const qf_position *positions, size_t n, int64_t time, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    qf_rc rc = sq_writable(s, "save a portfolio", err);
    if (rc == QF_OK)
        rc = sq_begin(s, "starting to save a portfolio", err);
    if (rc == QF_OK)
        rc = sq_put_cash(s, account, cash, time, err);
    for (size_t i = 0; i < n && rc == QF_OK; i++)
        rc = sq_put_position(s, account, &positions[i], time, err);
    if (rc == QF_OK)
        rc = sq_commit(s, "committing a portfolio", err);
    if (rc != QF_OK) {
        sq_rollback(s);
        qf_err_prefix(err, "portfolio %s", account);
    }
    return rc;
}

qf_rc sq_insert_snapshot(qf_store *store, const char *account, const qf_snapshot *snap,
                         const char *positions_json, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_writable(s, "insert a portfolio snapshot", err);
    if (rc == QF_OK)
        rc = sq_stmt(s, SQ_SNAPSHOT_PUT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    sqlite3_bind_int64(st, 2, snap->time);
    sqlite3_bind_double(st, 3, snap->cash);
    sqlite3_bind_double(st, 4, snap->equity);
    sqlite3_bind_double(st, 5, snap->gross_exposure);
    sqlite3_bind_double(st, 6, snap->drawdown);
    if (rc == QF_OK)
        rc = sq_bind_text(s, st, 7, positions_json, err);
    if (rc != QF_OK) {
        sq_done(st);
        return rc;
    }
    return sq_step_write(s, st, "writing a portfolio snapshot", NULL, err);
}

qf_rc sq_list_snapshots(qf_store *store, const char *account, int64_t from, int64_t to,
                        qf_snapshot **out, size_t *out_n, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_stmt(s, SQ_SNAPSHOT_RANGE, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = sq_bind_text(s, st, 1, account, err);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    void *v = NULL;
    size_t n = 0;
    size_t cap = 0;
    while (rc == QF_OK) {
        int src = sqlite3_step(st);
        if (src != SQLITE_ROW) {
            if (src != SQLITE_DONE)
                rc = sq_fail(s, src, "reading portfolio snapshots", err);
            break;
        }
        qf_snapshot snap;
        snap.time = sqlite3_column_int64(st, 0);
        snap.cash = sqlite3_column_double(st, 1);
        snap.equity = sqlite3_column_double(st, 2);
        snap.gross_exposure = sqlite3_column_double(st, 3);
        snap.drawdown = sqlite3_column_double(st, 4);
        rc = sq_push(&v, &n, &cap, &snap, sizeof snap, err);
    }
    sq_done(st);
    if (rc != QF_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *out_n = n;
    return QF_OK;
}
