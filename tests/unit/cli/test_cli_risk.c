/* End-to-end tests of `quantflow risk status|kill|reset` on a temporary
 * store: the switch engaged by hand survives separate processes, a reset
 * without a reason is a usage error that changes nothing, every change is
 * one audit row, accounts are separate, and --json is machine-readable. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define QF QF_CLI_PATH

static char *dir;
static char db[600];

static void setup(void)
{
    dir = qf_test_tmpdir();
    cr_assert_not_null(dir);
    snprintf(db, sizeof db, "%s/qf.db", dir);
}

static void teardown(void)
{
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli_risk, .init = setup, .fini = teardown);

/* Runs quantflow with the temp db; returns the exit code. */
static int qf(const char *args, char **out, char **errout)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' %s", QF, db, args);
    return qf_test_run(cmd, out, errout);
}

static json_t *status_json(const char *extra)
{
    char args[256];
    char *out = NULL;
    snprintf(args, sizeof args, "--json risk status %s", extra);
    cr_assert_eq(qf(args, &out, NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", out);
    free(out);
    return j;
}

static int engaged(json_t *j)
{
    return json_is_true(json_object_get(json_object_get(j, "kill_switch"), "engaged"));
}

static size_t n_events(json_t *j)
{
    return json_array_size(json_object_get(j, "events"));
}

Test(cli_risk, fresh_store_is_released)
{
    char *out = NULL;
    cr_assert_eq(qf("risk status", &out, NULL), 0);
    cr_assert(strstr(out, "account paper: kill switch released (never engaged)") != NULL, "%s",
              out);
    cr_assert(strstr(out, "no risk events recorded") != NULL, "%s", out);
    free(out);
    json_t *j = status_json("");
    cr_assert(!engaged(j));
    cr_assert(json_is_null(json_object_get(json_object_get(j, "kill_switch"), "reason")));
    cr_assert_eq(n_events(j), 0);
    json_decref(j);
}

Test(cli_risk, kill_then_reset_with_reason)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("risk kill --reason 'exchange outage' --actor alice", &out, &err), 0, "%s",
                 err);
    cr_assert(strstr(out, "kill switch ENGAGED by alice: exchange outage") != NULL, "%s", out);
    free(out);
    free(err);

    /* Another process sees it; a second kill changes nothing. */
    cr_assert_eq(qf("risk kill --reason 'second' --actor bob", &out, NULL), 0);
    cr_assert(strstr(out, "already engaged; nothing changed") != NULL, "%s", out);
    free(out);
    json_t *j = status_json("");
    cr_assert(engaged(j));
    json_t *k = json_object_get(j, "kill_switch");
    cr_assert_str_eq(json_string_value(json_object_get(k, "reason")), "exchange outage");
    cr_assert_str_eq(json_string_value(json_object_get(k, "changed_by")), "alice");
    cr_assert_str_eq(json_string_value(json_object_get(k, "account")), "paper");
    cr_assert_eq(n_events(j), 1);
    json_t *e = json_array_get(json_object_get(j, "events"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "kind")), "kill_switch_engaged");
    cr_assert_str_eq(json_string_value(json_object_get(e, "actor")), "alice");
    json_decref(j);

    /* Reset without a reason: usage error, still engaged, nothing recorded. */
    cr_assert_eq(qf("risk reset", NULL, &err), 2);
    cr_assert(strstr(err, "risk reset needs --reason TEXT") != NULL, "%s", err);
    free(err);
    cr_assert_eq(qf("risk reset --reason '  '", NULL, &err), 2);
    free(err);
    cr_assert_eq(qf("risk reset --reason ''", NULL, &err), 2);
    free(err);
    j = status_json("");
    cr_assert(engaged(j));
    cr_assert_eq(n_events(j), 1);
    json_decref(j);

    cr_assert_eq(qf("risk reset --reason 'outage over' --actor bob", &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "kill switch released by bob: outage over") != NULL, "%s", out);
    free(out);
    free(err);
    cr_assert_eq(qf("risk status", &out, NULL), 0);
    cr_assert(strstr(out, "kill switch released since ") != NULL, "%s", out);
    cr_assert(strstr(out, "reason: outage over") != NULL, "%s", out);
    cr_assert(strstr(out, "kill_switch_reset") != NULL, "%s", out);
    free(out);
    j = status_json("--events 1");
    cr_assert(!engaged(j));
    cr_assert_eq(n_events(j), 1, "--events 1 shows the newest only");
    e = json_array_get(json_object_get(j, "events"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "kind")), "kill_switch_reset");
    json_decref(j);

    /* Resetting a released switch changes nothing. */
    cr_assert_eq(qf("risk reset --reason again", &out, NULL), 0);
    cr_assert(strstr(out, "not engaged; nothing changed") != NULL, "%s", out);
    free(out);
    j = status_json("");
    cr_assert_eq(n_events(j), 2);
    json_decref(j);
}

Test(cli_risk, accounts_are_separate)
{
    cr_assert_eq(qf("risk kill --account live --reason 'live only' --actor alice", NULL, NULL), 0);
    json_t *j = status_json("--account live");
    cr_assert(engaged(j));
    json_decref(j);
    j = status_json("");
    cr_assert(!engaged(j), "paper (the default account) is untouched");
    json_decref(j);
    /* execution.mode picks the default account. */
    cr_assert_eq(qf("--set execution.mode=live risk status", NULL, NULL), 0);
    char *out = NULL;
    cr_assert_eq(qf("--set execution.mode=live risk status", &out, NULL), 0);
    cr_assert(strstr(out, "account live: kill switch ENGAGED") != NULL, "%s", out);
    free(out);
}

Test(cli_risk, usage_errors)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(qf("risk --help", &out, NULL), 0);
    cr_assert(strstr(out, "usage: quantflow risk status") != NULL, "%s", out);
    cr_assert(strstr(out, "--reason TEXT") != NULL, "%s", out);
    free(out);
    cr_assert_eq(qf("risk reset --help", &out, NULL), 0);
    free(out);
    cr_assert_eq(qf("risk", NULL, &err), 2);
    free(err);
    cr_assert_eq(qf("risk explode", NULL, &err), 2);
    cr_assert(strstr(err, "unknown action 'explode'") != NULL, "%s", err);
    free(err);
    cr_assert_eq(qf("risk kill", NULL, &err), 2);
    cr_assert(strstr(err, "risk kill needs --reason") != NULL, "%s", err);
    free(err);
    cr_assert_eq(qf("risk status --events -1", NULL, &err), 2);
    free(err);
    cr_assert_eq(qf("risk status --reason x", NULL, &err), 2);
    free(err);
    cr_assert_eq(qf("risk kill --reason x --account 'bad name'", NULL, &err), 1);
    cr_assert(strstr(err, "account") != NULL, "%s", err);
    free(err);
    cr_assert_eq(qf("--help", &out, NULL), 0);
    cr_assert(strstr(out, "risk ") != NULL, "%s", out);
    free(out);
    json_t *j = status_json("");
    cr_assert_eq(n_events(j), 0, "nothing was written by the refused calls");
    cr_assert(!engaged(j));
    json_decref(j);
}
