/*
 * sqlite_runs.c - research records in SQLite: backtest runs. (Orders, fills,
 * signals and the other tables of migration 1 get their functions from the
 * issues that write them.)
 */
#include "store/sqlite_int.h"

#include "core/time.h"

static qf_rc insert_run(sqlite_store *s, sqlite3_stmt *st, const char *const text[5],
                        int64_t *out_id, qf_err *err)
{
    sqlite3_bind_int64(st, 1, qf_time_now_ms());
    qf_rc rc = QF_OK;
    for (int i = 0; i < 5 && rc == QF_OK; i++)
        rc = sq_bind_text(s, st, i + 2, text[i], err);
    if (rc != QF_OK)
        return rc;
    int src = sqlite3_step(st);
    if (src != SQLITE_DONE)
        return sq_fail(s, src, "recording a backtest run", err);
    *out_id = sqlite3_last_insert_rowid(s->db);
    return QF_OK;
}

qf_rc sq_insert_backtest_run(qf_store *store, const char *strategy, const char *symbol,
                             const char *timeframe, const char *params_json,
                             const char *metrics_json, int64_t *out_id, qf_err *err)
{
    sqlite_store *s = sq_from(store);
    const char *const text[5] = {strategy, symbol, timeframe, params_json, metrics_json};
    sqlite3_stmt *st = NULL;
    qf_rc rc = sq_writable(s, "record a backtest run", err);
    if (rc == QF_OK)
        rc = sq_stmt(s, SQ_RUN_INSERT, &st, err);
    if (rc != QF_OK)
        return rc;
    rc = insert_run(s, st, text, out_id, err);
    sq_done(st);
    return rc;
}
