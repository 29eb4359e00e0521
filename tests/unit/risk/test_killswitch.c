/*
 * test_killswitch.c - the kill switch: it stays engaged until reset with a
 * reason, survives a close and reopen of a real SQLite store, writes one
 * audit row per change (time, actor, reason), and refuses changes without a
 * reason or an actor while changing nothing. Also the loop the worker runs:
 * a drawdown verdict trips the switch, new risk is refused afterwards and
 * the way out is not, and rejections land in the audit trail.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "risk/checks.h"
#include "risk/killswitch.h"
#include "risk/persist.h"
#include "store/store.h"
#include "testutil.h"

#define T0 INT64_C(1767700800000)

static char *dir;
static char path[512];
static qf_store *st;

static qf_store *open_store(void)
{
    qf_store *s = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(path, &s, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(s, NULL, &err), QF_OK, "%s", err.msg);
    return s;
}

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(path, sizeof path, "%s/ks.db", dir);
    st = open_store();
}

static void teardown(void)
{
    qf_store_close(st);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(killswitch, .init = setup, .fini = teardown);

static qf_risk_event *events(size_t *n)
{
    qf_risk_event *v = NULL;
    qf_err err;
    cr_assert_eq(qf_store_list_risk_events(st, "paper", INT64_MIN, INT64_MAX, 0, &v, n, &err),
                 QF_OK, "%s", err.msg);
    return v;
}

Test(killswitch, memory_switch_stays_on_until_reset_with_reason)
{
    qf_killswitch ks;
    qf_killswitch_init_memory(&ks);
    cr_assert(!qf_killswitch_engaged(&ks));
    qf_err err;
    int changed = -1;
    cr_assert_eq(qf_killswitch_trip(&ks, "drawdown 16%", "backtest", T0, &changed, &err), QF_OK);
    cr_assert_eq(changed, 1);
    cr_assert(qf_killswitch_engaged(&ks));
    cr_assert_eq(qf_killswitch_trip(&ks, "again", "backtest", T0 + 1, &changed, &err), QF_OK);
    cr_assert_eq(changed, 0);
    cr_assert_str_eq(ks.state.reason, "drawdown 16%");
    cr_assert_eq(ks.state.changed_at, T0);

    qf_killswitch before = ks;
    const char *bad[] = {NULL, "", "   ", "tab\there"};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(qf_killswitch_reset(&ks, bad[i], "alice", T0 + 2, &changed, &err), QF_EINVAL);
        cr_assert(strstr(err.msg, "reason is required") != NULL, "%s", err.msg);
        cr_assert_eq(changed, 0);
    }
    cr_assert_eq(qf_killswitch_reset(&ks, "reviewed", "", T0 + 2, &changed, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "actor is required") != NULL, "%s", err.msg);
    cr_assert_eq(memcmp(&ks, &before, sizeof ks), 0, "refused resets change nothing");

    cr_assert_eq(qf_killswitch_reset(&ks, "reviewed", "alice", T0 + 3, &changed, &err), QF_OK);
    cr_assert_eq(changed, 1);
    cr_assert(!qf_killswitch_engaged(&ks));
    cr_assert_str_eq(ks.state.changed_by, "alice");
    cr_assert_eq(ks.state.changed_at, T0 + 3);
}

Test(killswitch, survives_restart_and_audits_every_change)
{
    qf_killswitch ks;
    qf_err err;
    cr_assert_eq(qf_killswitch_open(&ks, st, "paper", &err), QF_OK, "%s", err.msg);
    cr_assert(!qf_killswitch_engaged(&ks));
    int changed = 0;
    cr_assert_eq(qf_killswitch_trip(&ks, "drawdown 16.00% >= 15.00%", "risk", T0, &changed, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(changed, 1);
    cr_assert(qf_killswitch_engaged(&ks));

    /* Restart: close the store, open it again, open the switch. */
    qf_store_close(st);
    st = open_store();
    qf_killswitch after;
    cr_assert_eq(qf_killswitch_open(&after, st, "paper", &err), QF_OK, "%s", err.msg);
    cr_assert(qf_killswitch_engaged(&after), "the switch must survive the restart");
    cr_assert_str_eq(after.state.reason, "drawdown 16.00% >= 15.00%");
    cr_assert_str_eq(after.state.changed_by, "risk");
    cr_assert_eq(after.state.changed_at, T0);

    /* No reason, no reset: still engaged, in memory and in the store. */
    cr_assert_eq(qf_killswitch_reset(&after, "", "alice", T0 + 10, &changed, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "reason is required") != NULL, "%s", err.msg);
    cr_assert(qf_killswitch_engaged(&after));
    size_t n = 0;
    free(events(&n));
    cr_assert_eq(n, 1);

    cr_assert_eq(qf_killswitch_reset(&after, "losses reviewed, limits unchanged", "alice", T0 + 20,
                                     &changed, &err),
                 QF_OK, "%s", err.msg);
    cr_assert_eq(changed, 1);
    cr_assert(!qf_killswitch_engaged(&after));

    qf_risk_event *v = events(&n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].kind, "kill_switch_engaged");
    cr_assert_str_eq(v[0].actor, "risk");
    cr_assert_str_eq(v[0].message, "drawdown 16.00% >= 15.00%");
    cr_assert_eq(v[0].time, T0);
    cr_assert_str_eq(v[1].kind, "kill_switch_reset");
    cr_assert_str_eq(v[1].actor, "alice");
    cr_assert_str_eq(v[1].message, "losses reviewed, limits unchanged");
    cr_assert_eq(v[1].time, T0 + 20);
    free(v);

    /* And the release survives a restart too. */
    qf_store_close(st);
    st = open_store();
    cr_assert_eq(qf_killswitch_open(&after, st, "paper", &err), QF_OK);
    cr_assert(!qf_killswitch_engaged(&after));
}

Test(killswitch, refresh_sees_another_process)
{
    qf_store *other = open_store();
    qf_killswitch a, b;
    qf_err err;
    cr_assert_eq(qf_killswitch_open(&a, st, "paper", &err), QF_OK);
    cr_assert_eq(qf_killswitch_open(&b, other, "paper", &err), QF_OK);
    cr_assert_eq(qf_killswitch_trip(&a, "manual", "alice", T0, NULL, &err), QF_OK);
    cr_assert(!qf_killswitch_engaged(&b), "b has not looked yet");
    cr_assert_eq(qf_killswitch_refresh(&b, &err), QF_OK);
    cr_assert(qf_killswitch_engaged(&b));
    /* b trips too: nothing changes, b learns the first reason. */
    int changed = -1;
    cr_assert_eq(qf_killswitch_trip(&b, "drawdown", "risk", T0 + 1, &changed, &err), QF_OK);
    cr_assert_eq(changed, 0);
    cr_assert_str_eq(b.state.reason, "manual");
    qf_store_close(other);
}

Test(killswitch, bad_open_changes_nothing)
{
    qf_killswitch ks;
    qf_killswitch_init_memory(&ks);
    qf_killswitch before = ks;
    qf_err err;
    cr_assert_eq(qf_killswitch_open(&ks, st, "no spaces allowed", &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "account") != NULL, "%s", err.msg);
    cr_assert_eq(qf_killswitch_open(&ks, NULL, "paper", &err), QF_EINVAL);
    cr_assert_eq(memcmp(&ks, &before, sizeof ks), 0);
    cr_assert_eq(qf_killswitch_trip(NULL, "x", "y", T0, NULL, &err), QF_EINVAL);
}

/* The worker's loop over the pure checks and the persisted switch. */
Test(killswitch, drawdown_verdict_trips_then_only_reducing_orders_go)
{
    qf_killswitch ks;
    qf_err err;
    cr_assert_eq(qf_killswitch_open(&ks, st, "paper", &err), QF_OK);
    qf_risk_limits lim = {0.25, 1.0, 0.15, 0.3, 10, 360};
    qf_position btc;
    memset(&btc, 0, sizeof btc);
    strcpy(btc.symbol, "BTC/USDT");
    btc.quantity = 0.2;
    btc.mark_price = 42000;
    qf_risk_portfolio pf = {84000, 100000, &btc, 1, qf_killswitch_engaged(&ks)};
    qf_risk_order buy = {"BTC/USDT", 0.05, 42000, 0, T0};
    qf_risk_verdict v;
    cr_assert_eq(qf_risk_pre_trade(&lim, &pf, &buy, T0, &v, &err), QF_OK);
    cr_assert_eq(v.reason, QF_RISK_DRAWDOWN);
    cr_assert(v.trip_kill_switch);
    cr_assert_eq(qf_killswitch_trip(&ks, v.message, "risk", T0, NULL, &err), QF_OK, "%s", err.msg);
    int64_t id = 0;
    cr_assert_eq(qf_risk_record_rejection(st, "paper", &buy, &v, "worker", T0, &id, &err), QF_OK,
                 "%s", err.msg);
    cr_assert(id > 0);

    /* Equity recovers above the limit: the switch stays on regardless. */
    pf.equity = 99000;
    pf.kill_switch_engaged = qf_killswitch_engaged(&ks);
    cr_assert_eq(qf_risk_pre_trade(&lim, &pf, &buy, T0 + 1, &v, &err), QF_OK);
    cr_assert_eq(v.reason, QF_RISK_KILL_SWITCH);
    qf_risk_order sell = {"BTC/USDT", -0.2, 42000, 0, T0};
    cr_assert_eq(qf_risk_pre_trade(&lim, &pf, &sell, T0 + 1, &v, &err), QF_OK);
    cr_assert_eq(v.reason, QF_RISK_OK, "%s", v.message);

    size_t n = 0;
    qf_risk_event *ev = events(&n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ev[0].kind, "kill_switch_engaged");
    cr_assert(strstr(ev[0].message, "drawdown 16.00%") != NULL, "%s", ev[0].message);
    cr_assert_str_eq(ev[1].kind, "order_rejected");
    cr_assert_str_eq(ev[1].symbol, "BTC/USDT");
    cr_assert_str_eq(ev[1].actor, "worker");
    json_t *d = json_loads(ev[1].detail, 0, NULL);
    cr_assert_not_null(d, "%s", ev[1].detail);
    cr_assert_str_eq(json_string_value(json_object_get(d, "reason")), "drawdown");
    cr_assert_float_eq(json_real_value(json_object_get(d, "value")), 0.16, 1e-12);
    cr_assert_eq(json_real_value(json_object_get(d, "limit")), 0.15);
    cr_assert_eq(json_real_value(json_object_get(d, "quantity")), 0.05);
    json_decref(d);
    free(ev);
}

Test(killswitch, passing_verdict_is_not_a_rejection)
{
    qf_risk_verdict v;
    memset(&v, 0, sizeof v);
    v.reason = QF_RISK_OK;
    qf_risk_order o = {"BTC/USDT", 1, 50000, 0, T0};
    qf_err err;
    cr_assert_eq(qf_risk_record_rejection(st, "paper", &o, &v, "worker", T0, NULL, &err),
                 QF_EINVAL);
    cr_assert(strstr(err.msg, "rejects nothing") != NULL, "%s", err.msg);
    v.reason = QF_RISK_MIN_TRADE;
    v.message[0] = '\0'; /* a verdict without a message is refused by the store */
    cr_assert_eq(qf_risk_record_rejection(st, "paper", &o, &v, "worker", T0, NULL, &err),
                 QF_EINVAL);
    size_t n = 0;
    free(events(&n));
    cr_assert_eq(n, 0);
}
