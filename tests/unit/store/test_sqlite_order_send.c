/*
 * test_sqlite_order_send.c - an order's sends in the SQLite store
 * (migration 3, orders.sent_at): qf_store_order_sending records the time of
 * a send only on a pending or unconfirmed order and never moves it back;
 * qf_store_close_unsent closes such an order only when its last send (or,
 * never sent, its creation) is at or before the cut-off, atomically with
 * that check, also against a second handle on the same file; bad arguments
 * are QF_EINVAL and a read-only handle QF_ESTORE, with nothing written.
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

TestSuite(sqlite_order_send, .init = td_store_setup, .fini = td_store_teardown);

/* A pending market buy of 0.01 BTC/USDT, live, created at T0. */
static void insert_pending(const char *client_id)
{
    qf_order_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.order.client_id, sizeof r.order.client_id, "%s", client_id);
    strcpy(r.order.exchange, "binance");
    strcpy(r.order.symbol, "BTC/USDT");
    r.order.side = QF_SIDE_BUY;
    r.order.type = QF_ORDER_MARKET;
    r.order.tif = QF_TIF_GTC;
    r.order.quantity = 0.01;
    r.order.limit_price = NAN;
    r.order.avg_fill_price = NAN;
    r.order.status = QF_ORDER_PENDING;
    r.order.created_at = T0;
    r.order.updated_at = T0;
    strcpy(r.account, "live");
    r.bar_time = T0 - 14400000;
    r.attempt = 1;
    r.expected_price = NAN;
    qf_err err;
    cr_assert_eq(qf_store_insert_order(st, &r, &err), QF_OK, "%s", err.msg);
}

static qf_order_row get(const char *client_id)
{
    qf_order_row r;
    qf_err err;
    cr_assert_eq(qf_store_get_order(st, client_id, &r, &err), QF_OK, "%s", err.msg);
    return r;
}

/* The row as the closer writes it: cancelled "never sent" at `at`. */
static qf_order_row closing(const char *client_id, int64_t at)
{
    qf_order_row r = get(client_id);
    r.order.status = QF_ORDER_CANCELLED;
    r.order.updated_at = at;
    snprintf(r.reason, sizeof r.reason, "never sent: test");
    return r;
}

static int64_t sent_at(const char *client_id)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT coalesce(sent_at, -1) FROM orders WHERE client_id = '%s'",
             client_id);
    return td_sql_int(db, sql);
}

Test(sqlite_order_send, a_send_is_recorded_and_never_moves_back)
{
    insert_pending("qf-a-1");
    cr_assert_eq(sent_at("qf-a-1"), -1, "never sent: NULL");
    qf_err err;
    cr_assert_eq(qf_store_order_sending(st, "qf-a-1", T0 + 500, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(sent_at("qf-a-1"), T0 + 500);
    cr_assert_eq(qf_store_order_sending(st, "qf-a-1", T0 + 9000, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(sent_at("qf-a-1"), T0 + 9000, "the retry's send is the last");
    cr_assert_eq(qf_store_order_sending(st, "qf-a-1", T0 + 100, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(sent_at("qf-a-1"), T0 + 9000, "an older time never moves it back");
    /* Unconfirmed is still sendable (the -1021 retry of a pending row's send). */
    qf_order_row r = get("qf-a-1");
    r.order.status = QF_ORDER_UNCONFIRMED;
    r.order.updated_at = T0 + 9100;
    cr_assert_eq(qf_store_update_order(st, &r, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_order_sending(st, "qf-a-1", T0 + 9200, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(sent_at("qf-a-1"), T0 + 9200);
    cr_assert_eq(qf_store_order_sending(st, "qf-none-1", T0, &err), QF_ENOTFOUND);
}

Test(sqlite_order_send, close_only_once_the_last_send_is_past_the_cut_off)
{
    insert_pending("qf-b-1");
    qf_err err;
    /* Never sent: judged from its creation. */
    qf_order_row c = closing("qf-b-1", T0 + 7000);
    cr_assert_eq(qf_store_close_unsent(st, &c, T0 - 1, &err), QF_ESTATE);
    cr_assert(strstr(err.msg, "qf-b-1 is pending") != NULL, "%s", err.msg);
    cr_assert_eq(get("qf-b-1").order.status, QF_ORDER_PENDING, "nothing written");
    /* Sent at T0 + 5000: a cut-off before that refuses, at it closes. */
    cr_assert_eq(qf_store_order_sending(st, "qf-b-1", T0 + 5000, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_close_unsent(st, &c, T0 + 4999, &err), QF_ESTATE);
    cr_assert_eq(get("qf-b-1").order.status, QF_ORDER_PENDING);
    cr_assert_eq(qf_store_close_unsent(st, &c, T0 + 5000, &err), QF_OK, "%s", err.msg);
    qf_order_row after = get("qf-b-1");
    cr_assert_eq(after.order.status, QF_ORDER_CANCELLED);
    cr_assert_str_eq(after.reason, "never sent: test");
    cr_assert_eq(after.order.updated_at, T0 + 7000);
    /* Closed: no send is recorded any more, no second close. */
    cr_assert_eq(qf_store_order_sending(st, "qf-b-1", T0 + 8000, &err), QF_ESTATE);
    cr_assert(strstr(err.msg, "cancelled") != NULL, "%s", err.msg);
    cr_assert_eq(sent_at("qf-b-1"), T0 + 5000);
    cr_assert_eq(qf_store_close_unsent(st, &c, T0 + 9000, &err), QF_ESTATE);
    cr_assert_eq(qf_store_close_unsent(st, &(qf_order_row){0}, T0, &err), QF_EINVAL);
}

/* Two handles on one file stand for two processes: whichever writes first
 * wins, and the other learns it (never a send after a close, never a
 * close after a send within the grace). */
Test(sqlite_order_send, two_processes_never_both_win)
{
    insert_pending("qf-c-1");
    insert_pending("qf-c-2");
    qf_store *other = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(db, &other, &err), QF_OK, "%s", err.msg);
    /* The other closes first: our send is refused. */
    qf_order_row c = closing("qf-c-1", T0 + 7000);
    cr_assert_eq(qf_store_close_unsent(other, &c, T0 + 1000, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_order_sending(st, "qf-c-1", T0 + 7001, &err), QF_ESTATE);
    /* We send first: the other's close with an older cut-off is refused. */
    cr_assert_eq(qf_store_order_sending(st, "qf-c-2", T0 + 7000, &err), QF_OK, "%s", err.msg);
    c = closing("qf-c-2", T0 + 8000);
    cr_assert_eq(qf_store_close_unsent(other, &c, T0 + 2000, &err), QF_ESTATE);
    cr_assert_eq(get("qf-c-2").order.status, QF_ORDER_PENDING);
    qf_store_close(other);
}

Test(sqlite_order_send, bad_arguments_and_a_readonly_handle_write_nothing)
{
    insert_pending("qf-d-1");
    qf_err err;
    cr_assert_eq(qf_store_order_sending(NULL, "qf-d-1", T0, &err), QF_EINVAL);
    cr_assert_eq(qf_store_order_sending(st, "bad id", T0, &err), QF_EINVAL);
    cr_assert_eq(qf_store_order_sending(st, NULL, T0, &err), QF_EINVAL);
    cr_assert_eq(qf_store_order_sending(st, "qf-d-1", -5, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "sent_at") != NULL, "%s", err.msg);
    qf_order_row c = closing("qf-d-1", T0 + 7000);
    c.order.status = QF_ORDER_FILLED;
    cr_assert_eq(qf_store_close_unsent(st, &c, T0 + 9000, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "not filled") != NULL, "%s", err.msg);
    c = closing("qf-d-1", T0 + 7000);
    c.reason[3] = '\n';
    cr_assert_eq(qf_store_close_unsent(st, &c, T0 + 9000, &err), QF_EINVAL);
    c = closing("qf-d-1", -1);
    cr_assert_eq(qf_store_close_unsent(st, &c, T0 + 9000, &err), QF_EINVAL);
    cr_assert_eq(sent_at("qf-d-1"), -1);
    cr_assert_eq(get("qf-d-1").order.status, QF_ORDER_PENDING);

    qf_store *ro = NULL;
    cr_assert_eq(qf_store_open_sqlite_readonly(db, &ro, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_order_sending(ro, "qf-d-1", T0 + 1, &err), QF_ESTORE);
    c = closing("qf-d-1", T0 + 7000);
    cr_assert_eq(qf_store_close_unsent(ro, &c, T0 + 9000, &err), QF_ESTORE);
    qf_store_close(ro);
    cr_assert_eq(sent_at("qf-d-1"), -1);
    cr_assert_eq(get("qf-d-1").order.status, QF_ORDER_PENDING);
}
