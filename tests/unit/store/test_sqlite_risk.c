/*
 * test_sqlite_risk.c - risk state in the SQLite store: the kill switch
 * (state and audit row written together, only on a change, surviving a
 * close and reopen of the file, two handles seeing each other's change),
 * the audit trail (insert, newest-N listing, NULL for empty optional
 * fields, long foreign texts cut at a character boundary), the metrics
 * history (NaN as NULL and back, upsert, range), and bad input that is
 * refused with QF_EINVAL and writes nothing.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#define TD_STORE_FIXTURE
#include "store_testdata.h"

#define T0 INT64_C(1767700800000) /* 2026-01-06T12:00:00Z */

TestSuite(sqlite_risk, .init = td_store_setup, .fini = td_store_teardown);

static int64_t count(const char *sql)
{
    return td_sql_int(db, sql);
}

static qf_kill_switch_state get(qf_store *s, const char *account)
{
    qf_kill_switch_state k;
    qf_err err;
    memset(&k, 0x5a, sizeof k);
    cr_assert_eq(qf_store_get_kill_switch(s, account, &k, &err), QF_OK, "%s", err.msg);
    return k;
}

Test(sqlite_risk, never_set_reads_released)
{
    qf_kill_switch_state k = get(st, "paper");
    cr_assert_eq(k.engaged, 0);
    cr_assert_eq(k.changed_at, 0);
    cr_assert_str_empty(k.reason);
    cr_assert_str_empty(k.changed_by);
}

Test(sqlite_risk, engage_writes_state_and_audit_row_once)
{
    qf_err err;
    int changed = -1;
    cr_assert_eq(
        qf_store_set_kill_switch(st, "paper", 1, "drawdown 16% >= 15%", "risk", T0, &changed, &err),
        QF_OK, "%s", err.msg);
    cr_assert_eq(changed, 1);
    qf_kill_switch_state k = get(st, "paper");
    cr_assert_eq(k.engaged, 1);
    cr_assert_eq(k.changed_at, T0);
    cr_assert_str_eq(k.reason, "drawdown 16% >= 15%");
    cr_assert_str_eq(k.changed_by, "risk");
    cr_assert_eq(count("SELECT count(*) FROM risk_events WHERE account = 'paper' AND kind = "
                       "'kill_switch_engaged' AND actor = 'risk' AND message = 'drawdown 16% >= "
                       "15%' AND time = 1767700800000 AND symbol IS NULL AND detail IS NULL"),
                 1);

    /* Already engaged: nothing written, the first reason stays. */
    cr_assert_eq(
        qf_store_set_kill_switch(st, "paper", 1, "by hand", "alice", T0 + 1, &changed, &err), QF_OK,
        "%s", err.msg);
    cr_assert_eq(changed, 0);
    k = get(st, "paper");
    cr_assert_str_eq(k.reason, "drawdown 16% >= 15%");
    cr_assert_eq(k.changed_at, T0);
    cr_assert_eq(count("SELECT count(*) FROM risk_events"), 1);

    cr_assert_eq(qf_store_set_kill_switch(st, "paper", 0, "losses reviewed", "alice", T0 + 2,
                                          &changed, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(changed, 1);
    k = get(st, "paper");
    cr_assert_eq(k.engaged, 0);
    cr_assert_str_eq(k.changed_by, "alice");
    cr_assert_str_eq(k.reason, "losses reviewed");
    cr_assert_eq(count("SELECT count(*) FROM risk_events WHERE kind = 'kill_switch_reset' AND "
                       "actor = 'alice' AND message = 'losses reviewed'"),
                 1);

    /* Releasing a released switch writes nothing. */
    cr_assert_eq(qf_store_set_kill_switch(st, "paper", 0, "again", "bob", T0 + 3, &changed, &err),
                 QF_OK);
    cr_assert_eq(changed, 0);
    cr_assert_eq(count("SELECT count(*) FROM risk_events"), 2);
}

Test(sqlite_risk, survives_close_and_reopen)
{
    qf_err err;
    cr_assert_eq(qf_store_set_kill_switch(st, "live", 1, "manual stop", "alice", T0, NULL, &err),
                 QF_OK, "%s", err.msg);
    qf_store_close(st);
    st = NULL;
    qf_store *again = td_open_migrated(db);
    qf_kill_switch_state k = get(again, "live");
    cr_assert_eq(k.engaged, 1);
    cr_assert_str_eq(k.reason, "manual stop");
    cr_assert_str_eq(k.changed_by, "alice");
    cr_assert_eq(k.changed_at, T0);
    cr_assert_eq(get(again, "paper").engaged, 0, "accounts are separate");
    st = again;
}

Test(sqlite_risk, second_handle_sees_the_change)
{
    qf_store *other = td_open_migrated(db);
    qf_err err;
    int changed = -1;
    cr_assert_eq(qf_store_set_kill_switch(st, "paper", 1, "first", "worker", T0, &changed, &err),
                 QF_OK);
    cr_assert_eq(changed, 1);
    cr_assert_eq(
        qf_store_set_kill_switch(other, "paper", 1, "second", "alice", T0 + 5, &changed, &err),
        QF_OK, "%s", err.msg);
    cr_assert_eq(changed, 0, "the other handle saw it engaged");
    cr_assert_str_eq(get(other, "paper").reason, "first");
    qf_store_close(other);
}

/* Every refused call below must leave both tables empty. */
static void expect_einval_kill(const char *account, int engaged, const char *reason,
                               const char *actor, int64_t t, const char *needle)
{
    qf_err err;
    int changed = -1;
    qf_rc rc = qf_store_set_kill_switch(st, account, engaged, reason, actor, t, &changed, &err);
    cr_assert_eq(rc, QF_EINVAL, "%s / %s / %s", account ? account : "(null)",
                 reason ? reason : "(null)", actor ? actor : "(null)");
    cr_assert_eq(changed, 0);
    cr_assert(strstr(err.msg, needle) != NULL, "'%s' lacks '%s'", err.msg, needle);
    cr_assert_eq(count("SELECT count(*) FROM kill_switch"), 0);
    cr_assert_eq(count("SELECT count(*) FROM risk_events"), 0);
}

Test(sqlite_risk, kill_switch_bad_input_changes_nothing)
{
    expect_einval_kill("paper", 0, NULL, "alice", T0, "a reason is required");
    expect_einval_kill("paper", 0, "", "alice", T0, "a reason is required");
    expect_einval_kill("paper", 0, "   ", "alice", T0, "a reason is required");
    expect_einval_kill("paper", 1, "two\nlines", "alice", T0, "a reason is required");
    expect_einval_kill("paper", 1, "why", NULL, T0, "an actor is required");
    expect_einval_kill("paper", 1, "why", "", T0, "an actor is required");
    expect_einval_kill("", 1, "why", "alice", T0, "account");
    expect_einval_kill("paper account", 1, "why", "alice", T0, "account");
    expect_einval_kill(NULL, 1, "why", "alice", T0, "account");
    expect_einval_kill("paper", 2, "why", "alice", T0, "0 or 1");
    expect_einval_kill("paper", 1, "why", "alice", -1, "outside");
    char longtext[600];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    expect_einval_kill("paper", 1, longtext, "alice", T0, "a reason is required");
    qf_err err;
    cr_assert_eq(qf_store_get_kill_switch(st, "bad name", &(qf_kill_switch_state){0}, &err),
                 QF_EINVAL);
    cr_assert_eq(qf_store_get_kill_switch(st, "paper", NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_get_kill_switch(NULL, "paper", &(qf_kill_switch_state){0}, &err),
                 QF_EINVAL);
}

Test(sqlite_risk, readonly_handle_refuses_to_write)
{
    qf_store *ro = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &ro, &err), QF_OK, "%s", err.msg);
    int changed = -1;
    cr_assert_eq(qf_store_set_kill_switch(ro, "paper", 1, "why", "alice", T0, &changed, &err),
                 QF_ESTORE);
    cr_assert_eq(changed, 0);
    cr_assert(strstr(err.msg, "readonly") != NULL, "%s", err.msg);
    cr_assert_eq(get(ro, "paper").engaged, 0);
    qf_store_close(ro);
    cr_assert_eq(count("SELECT count(*) FROM risk_events"), 0);
}

static qf_risk_event event(int64_t t, const char *kind, const char *symbol, const char *msg)
{
    qf_risk_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.account, sizeof ev.account, "paper");
    ev.time = t;
    snprintf(ev.kind, sizeof ev.kind, "%s", kind);
    snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
    snprintf(ev.actor, sizeof ev.actor, "worker");
    snprintf(ev.message, sizeof ev.message, "%s", msg);
    return ev;
}

Test(sqlite_risk, events_insert_and_list_newest)
{
    qf_err err;
    /* Inserted out of time order; two share a time (ordered by id). */
    const int64_t times[] = {T0 + 30, T0 + 10, T0 + 20, T0 + 20, T0 + 40};
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "event %d", i);
        qf_risk_event ev = event(times[i], "order_rejected", i % 2 ? "" : "BTC/USDT", msg);
        if (i == 0)
            snprintf(ev.detail, sizeof ev.detail, "{\"reason\":\"min_trade\",\"value\":5.5}");
        cr_assert_eq(qf_store_insert_risk_event(st, &ev, &ids[i], &err), QF_OK, "%s", err.msg);
    }
    cr_assert(ids[1] > ids[0] && ids[4] > ids[3]);
    qf_risk_event other = event(T0 + 50, "note", "", "another account");
    snprintf(other.account, sizeof other.account, "live");
    cr_assert_eq(qf_store_insert_risk_event(st, &other, NULL, &err), QF_OK);
    cr_assert_eq(count("SELECT count(*) FROM risk_events WHERE symbol IS NULL"), 3);
    cr_assert_eq(count("SELECT count(*) FROM risk_events WHERE detail IS NULL"), 5);

    qf_risk_event *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_risk_events(st, "paper", INT64_MIN, INT64_MAX, 3, &v, &n, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    /* Newest three, ascending: event 2 and 3 (both T0+20, by id), then 0 and 4 ... */
    cr_assert_str_eq(v[0].message, "event 3");
    cr_assert_str_eq(v[1].message, "event 0");
    cr_assert_str_eq(v[2].message, "event 4");
    cr_assert_str_eq(v[1].symbol, "BTC/USDT");
    cr_assert_str_eq(v[1].detail, "{\"reason\":\"min_trade\",\"value\":5.5}");
    cr_assert_str_eq(v[1].account, "paper");
    cr_assert_eq(v[1].id, ids[0]);
    cr_assert_eq(v[1].time, T0 + 30);
    cr_assert_str_empty(v[0].symbol);
    cr_assert_str_empty(v[0].detail);
    free(v);

    cr_assert_eq(qf_store_list_risk_events(st, "paper", T0 + 10, T0 + 20, 0, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(v[0].message, "event 1");
    cr_assert_str_eq(v[1].message, "event 2");
    cr_assert_str_eq(v[2].message, "event 3");
    free(v);

    cr_assert_eq(qf_store_list_risk_events(st, "paper", T0 + 20, T0 + 10, 0, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 0);
    cr_assert_null(v);
    cr_assert_eq(qf_store_list_risk_events(st, "nobody", INT64_MIN, INT64_MAX, 0, &v, &n, &err),
                 QF_OK);
    cr_assert_eq(n, 0);
}

Test(sqlite_risk, bad_events_write_nothing)
{
    qf_err err;
    qf_risk_event ev = event(T0, "order_rejected", "BTC/USDT", "x");
    snprintf(ev.detail, sizeof ev.detail, "{not json");
    cr_assert_eq(qf_store_insert_risk_event(st, &ev, NULL, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "not JSON") != NULL, "%s", err.msg);
    ev = event(T0, "Order Rejected", "BTC/USDT", "x");
    cr_assert_eq(qf_store_insert_risk_event(st, &ev, NULL, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "kind") != NULL, "%s", err.msg);
    ev = event(T0, "order_rejected", "BTCUSDT", "x");
    cr_assert_eq(qf_store_insert_risk_event(st, &ev, NULL, &err), QF_EINVAL);
    ev = event(T0, "order_rejected", "BTC/USDT", "");
    cr_assert_eq(qf_store_insert_risk_event(st, &ev, NULL, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "reason is required") != NULL, "%s", err.msg);
    ev = event(T0, "order_rejected", "BTC/USDT", "x");
    ev.actor[0] = '\0';
    cr_assert_eq(qf_store_insert_risk_event(st, &ev, NULL, &err), QF_EINVAL);
    ev = event(-5, "order_rejected", "BTC/USDT", "x");
    cr_assert_eq(qf_store_insert_risk_event(st, &ev, NULL, &err), QF_EINVAL);
    ev = event(T0, "order_rejected", "BTC/USDT", "x");
    memset(ev.account, 'a', sizeof ev.account); /* not terminated */
    cr_assert_eq(qf_store_insert_risk_event(st, &ev, NULL, &err), QF_EINVAL);
    cr_assert_eq(qf_store_insert_risk_event(st, NULL, NULL, &err), QF_EINVAL);
    cr_assert_eq(count("SELECT count(*) FROM risk_events"), 0);
}

Test(sqlite_risk, foreign_long_texts_are_cut_at_a_character)
{
    /* 300 two-byte characters (600 bytes) in the message, 100 in the actor. */
    char sql[2048];
    char msg[601], actor[201];
    for (int i = 0; i < 300; i++)
        memcpy(msg + 2 * i, "\xc3\xa9", 2);
    msg[600] = '\0';
    for (int i = 0; i < 100; i++)
        memcpy(actor + 2 * i, "\xc3\xa9", 2);
    actor[200] = '\0';
    snprintf(sql, sizeof sql,
             "INSERT INTO risk_events(account, time, kind, actor, message) VALUES ('paper', 1, "
             "'note', '%s', '%s')",
             actor, msg);
    td_sql(db, sql);
    qf_risk_event *v = NULL;
    size_t n = 0;
    qf_err err;
    cr_assert_eq(qf_store_list_risk_events(st, "paper", INT64_MIN, INT64_MAX, 0, &v, &n, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_eq(strlen(v[0].message), 510, "cut before the character that does not fit");
    cr_assert_eq(memcmp(v[0].message, msg, 510), 0);
    cr_assert_eq(strlen(v[0].actor), 62);
    free(v);
}

static qf_risk_metric metric(int64_t t, double equity, double dd)
{
    qf_risk_metric m = {t, equity, dd, dd, NAN, NAN, NAN, NAN, NAN, NAN};
    return m;
}

Test(sqlite_risk, metrics_round_trip_and_upsert)
{
    qf_err err;
    qf_risk_metric rows[3] = {metric(T0 + 2, 90000.5, 0.1), metric(T0, 100000, 0),
                              metric(T0 + 1, 0.1 + 0.2, NAN)};
    rows[1].leverage = 1.0 / 3.0;
    cr_assert_eq(qf_store_upsert_risk_metrics(st, "paper", rows, 3, &err), QF_OK, "%s", err.msg);
    qf_risk_metric *v = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_query_risk_metrics(st, "paper", INT64_MIN, INT64_MAX, &v, &n, &err),
                 QF_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(v[0].time, T0);
    cr_assert_eq(v[0].leverage, 1.0 / 3.0);
    cr_assert_eq(v[1].equity, 0.1 + 0.2);
    cr_assert(isnan(v[1].drawdown));
    cr_assert(isnan(v[1].var_95));
    cr_assert_eq(v[2].equity, 90000.5);
    free(v);

    qf_risk_metric again = metric(T0 + 2, 95000, 0.05);
    cr_assert_eq(qf_store_upsert_risk_metrics(st, "paper", &again, 1, &err), QF_OK);
    cr_assert_eq(count("SELECT count(*) FROM risk_metrics"), 3);
    cr_assert_eq(qf_store_query_risk_metrics(st, "paper", T0 + 1, T0 + 2, &v, &n, &err), QF_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[1].equity, 95000);
    free(v);
    cr_assert_eq(qf_store_query_risk_metrics(st, "live", INT64_MIN, INT64_MAX, &v, &n, &err),
                 QF_OK);
    cr_assert_eq(n, 0);
}

Test(sqlite_risk, bad_metrics_write_nothing)
{
    qf_err err;
    qf_risk_metric rows[2] = {metric(T0, 100000, 0), metric(T0, 99000, 0.01)};
    cr_assert_eq(qf_store_upsert_risk_metrics(st, "paper", rows, 2, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "appears twice") != NULL, "%s", err.msg);
    rows[1].time = T0 + 1;
    rows[1].equity = INFINITY;
    cr_assert_eq(qf_store_upsert_risk_metrics(st, "paper", rows, 2, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "row 1") != NULL, "%s", err.msg);
    cr_assert_eq(qf_store_upsert_risk_metrics(st, "pa per", rows, 1, &err), QF_EINVAL);
    cr_assert_eq(qf_store_upsert_risk_metrics(st, "paper", NULL, 1, &err), QF_EINVAL);
    cr_assert_eq(count("SELECT count(*) FROM risk_metrics"), 0);
}
