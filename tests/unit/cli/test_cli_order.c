/* End-to-end tests of `quantflow order` against the mock exchange on
 * 127.0.0.1, and the one that matters most: the process is killed (SIGKILL)
 * between sending an order and its acknowledgement, the same command is run
 * again, and the exchange holds exactly one order for the signal. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/client_id.h"
#include "mock/mock_exchange.h"
#include "store/store.h"
#include "testutil.h"

#define BAR "1740787200000"

static char *dir;
static qf_mock *mock;

static void setup(void)
{
    dir = qf_test_tmpdir();
    qf_mock_opts o = {0};
    qf_err err;
    cr_assert_eq(qf_mock_start(&o, &mock, &err), QF_OK, "%s", err.msg);
}

static void teardown(void)
{
    qf_mock_stop(mock);
    qf_test_rmtree(dir);
    free(dir);
}

TestSuite(cli_order, .init = setup, .fini = teardown, .timeout = 60);

static void command(char *cmd, size_t size, bool keys, const char *args)
{
    snprintf(cmd, size,
             "exec env -u BINANCE_API_KEY -u BINANCE_API_SECRET -u COINBASE_API_KEY "
             "-u COINBASE_API_SECRET -u QF_SECRETS_FILE XDG_CONFIG_HOME='%s' "
             "QF_RATELIMIT_DIR='%s' %s%s%s%s '%s' --db '%s/qf.db' "
             "--set exchanges.binance.base_url=%s order %s",
             dir, dir, keys ? "BINANCE_API_KEY=" : "", keys ? QF_MOCK_BINANCE_KEY : "",
             keys ? " BINANCE_API_SECRET=" : "", keys ? QF_MOCK_BINANCE_SECRET : "", QF_CLI_PATH,
             dir, qf_mock_url(mock), args);
}

static int run(bool keys, const char *args, char **out, char **errout)
{
    char cmd[8192];
    command(cmd, sizeof cmd, keys, args);
    return qf_test_run(cmd, out, errout);
}

static json_t *parse(const char *out)
{
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    cr_assert_not_null(j, "not JSON: %s", out);
    return j;
}

static const char *str(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    cr_assert_not_null(s, "no %s", key);
    return s;
}

static qf_order_row stored(const char *client_id)
{
    char path[512];
    snprintf(path, sizeof path, "%s/qf.db", dir);
    qf_store *s = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(path, &s, &err), QF_OK, "%s", err.msg);
    qf_order_row row;
    cr_assert_eq(qf_store_get_order(s, client_id, &row, &err), QF_OK, "%s", err.msg);
    qf_store_close(s);
    return row;
}

static const char *signal_id(void)
{
    static char id[QF_ORDER_ID_MAX];
    qf_err err;
    cr_assert_eq(qf_client_id_make("live", "binance", "BTC/USDT", 1740787200000LL, QF_SIDE_BUY, 1,
                                   id, sizeof id, &err),
                 QF_OK);
    return id;
}

Test(cli_order, killed_between_send_and_ack_then_rerun_gives_one_order)
{
    const char *args = "--live --symbol BTC/USDT --side buy --qty 0.01 --bar-time " BAR " --json";
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_ACK_HANG, 1, 0);
    char cmd[8192];
    command(cmd, sizeof cmd, true, args);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* Wait until the mock has accepted the order and holds its reply. */
    for (int i = 0; i < 400 && qf_mock_get_stats(mock).held_acks == 0; i++) {
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_eq(qf_mock_get_stats(mock).held_acks, 1, "the order never reached the mock");
    cr_assert_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    cr_assert_eq(qf_mock_count_orders(mock, signal_id()), 1);
    /* Persisted before the send, never updated: pending. */
    qf_order_row row = stored(signal_id());
    cr_assert_eq(row.order.status, QF_ORDER_PENDING, "%s", qf_order_status_name(row.order.status));

    char *out = NULL, *err = NULL;
    int rc = run(true, args, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s %s", rc, out, err);
    json_t *j = parse(out);
    cr_assert_str_eq(str(j, "client_id"), signal_id());
    cr_assert_str_eq(str(j, "status"), "filled", "%s", out);
    cr_assert_float_eq(json_real_value(json_object_get(j, "filled_qty")), 0.01, 1e-12);
    json_decref(j);
    cr_assert_eq(qf_mock_count_orders(mock, signal_id()), 1, "one order for the signal");
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1, "one order at the exchange");
    row = stored(signal_id());
    cr_assert_eq(row.order.status, QF_ORDER_FILLED);
    cr_assert_float_eq(row.order.filled_qty, 0.01, 1e-12);
    free(out);
    free(err);

    /* And a third run of the same signal sends nothing. */
    long before = qf_mock_get_stats(mock).orders_created;
    rc = run(true, args, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(qf_mock_get_stats(mock).orders_created, before);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
    free(out);
    free(err);
}

Test(cli_order, live_ack_500_is_resolved_by_lookup)
{
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_ACK_500, 1, 0);
    char *out = NULL, *err = NULL;
    int rc = run(true, "--live --symbol BTC/USDT --side buy --qty 0.01 --bar-time " BAR " --json",
                 &out, &err);
    cr_assert_eq(rc, 0, "%s %s", out, err);
    json_t *j = parse(out);
    cr_assert_str_eq(str(j, "status"), "filled");
    json_decref(j);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
    free(out);
    free(err);
}

Test(cli_order, refused_locally_with_the_reason_and_nothing_sent)
{
    char *out = NULL, *err = NULL;
    /* 0.00005 BTC at ~84,000 USDT is ~4.2 USDT, under BTCUSDT's 5 USDT minimum. */
    int rc = run(true, "--live --symbol BTC/USDT --side buy --qty 0.00005", &out, &err);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "reason min_notional: notional ") && strstr(err, "refused"), "%s | %s",
              out, err);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0);
    free(out);
    free(err);
}

Test(cli_order, live_without_keys_is_a_clear_error_and_no_secret_is_printed)
{
    char *out = NULL, *err = NULL;
    int rc = run(false, "--live --symbol BTC/USDT --side buy --qty 0.01", &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(err, "api_key"), "%s", err);
    free(out);
    free(err);
    rc = run(true, "--live --symbol BTC/USDT --side buy --qty 0.01", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(!strstr(out, QF_MOCK_BINANCE_SECRET) && !strstr(err, QF_MOCK_BINANCE_SECRET));
    cr_assert(!strstr(out, QF_MOCK_BINANCE_KEY) && !strstr(err, QF_MOCK_BINANCE_KEY));
    free(out);
    free(err);
}

Test(cli_order, paper_is_the_default_and_uses_the_exchange_rules)
{
    char *out = NULL, *err = NULL;
    /* 0.0123456 at 64000: rounded to BTCUSDT's 0.00001 step, filled at +5 bps. */
    int rc =
        run(false,
            "--symbol BTC/USDT --side buy --qty 0.0123456 --price 64000 --bar-time " BAR " --json",
            &out, &err);
    cr_assert_eq(rc, 0, "%s %s", out, err);
    json_t *j = parse(out);
    cr_assert_str_eq(str(j, "account"), "paper");
    cr_assert_str_eq(str(j, "status"), "filled");
    cr_assert_float_eq(json_real_value(json_object_get(j, "quantity")), 0.01234, 1e-12);
    cr_assert_float_eq(json_real_value(json_object_get(j, "avg_fill_price")), 64032.0, 1e-6);
    json_decref(j);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 0, "paper never reaches the exchange");
    free(out);
    free(err);
    /* Text output; a resting limit (paper) stays open. */
    rc = run(false, "--paper --symbol BTC/USDT --side buy --qty 0.01 --limit 60000 --price 64000",
             &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "status open"), "%s", out);
    free(out);
    free(err);
}

Test(cli_order, usage_errors)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(run(false, "--symbol BTC/USDT --side up --qty 1", &out, &err), 2);
    cr_assert(strstr(err, "--side"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(run(false, "--symbol BTC/USDT --side buy --qty -1", &out, &err), 2);
    free(out);
    free(err);
    cr_assert_eq(run(false, "--symbol BTC/USDT --side buy", &out, &err), 2);
    free(out);
    free(err);
    cr_assert_eq(run(false, "--symbol BTC/USDT --side buy --qty 1 --tif day", &out, &err), 2);
    free(out);
    free(err);
}

/* Runs `args` and SIGKILLs it once the mock holds its order's reply: the
 * order exists at the exchange, the run never learnt it. */
static void run_and_kill_after_send(const char *args)
{
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_ACK_HANG, 1, 0);
    char cmd[8192];
    command(cmd, sizeof cmd, true, args);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400 && qf_mock_get_stats(mock).held_acks == 0; i++) {
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_eq(qf_mock_get_stats(mock).held_acks, 1, "the order never reached the mock");
    cr_assert_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    qf_mock_release(mock);
}

/* The only working order of the account (there must be exactly one). */
static qf_order_row only_order(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/qf.db", dir);
    qf_store *s = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(path, &s, &err), QF_OK, "%s", err.msg);
    qf_order_row *rows = NULL;
    size_t n = 0;
    cr_assert_eq(qf_store_list_orders(s, "live", 0, &rows, &n, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(n, 1, "%zu orders stored", n);
    qf_order_row row = rows[0];
    free(rows);
    qf_store_close(s);
    return row;
}

/* Review finding 2: a manual order (no --bar-time) whose outcome a run did
 * not learn; the identical command run again used to reconcile it AND place
 * a new one (a new key: "now"). It now shows that order and sends nothing. */
Test(cli_order, rerunning_a_manual_order_left_unconfirmed_does_not_place_another)
{
    const char *args = "--live --symbol BTC/USDT --side buy --qty 0.01 --json";
    run_and_kill_after_send(args);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
    qf_order_row first = only_order();
    cr_assert_eq(first.order.status, QF_ORDER_PENDING);
    cr_assert_geq(first.bar_time, 0, "a manual order's key is stored");

    char *out = NULL, *err = NULL;
    int rc = run(true, args, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s %s", rc, out, err);
    json_t *j = parse(out);
    cr_assert_str_eq(str(j, "client_id"), first.order.client_id);
    cr_assert_str_eq(str(j, "status"), "filled", "%s", out);
    json_decref(j);
    cr_assert(strstr(err, "left unconfirmed by an earlier run") != NULL, "%s", err);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1, "no second order");
    free(out);
    free(err);

    /* Resolved and shown: the same command now places a new order. */
    rc = run(true, args, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s %s", rc, out, err);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 2);
    free(out);
    free(err);
}

/* While the earlier order cannot be looked up (a ban), the re-run says
 * which key looks it up and sends nothing; that key finds it afterwards. */
Test(cli_order, an_order_still_unconfirmed_names_the_key_that_looks_it_up)
{
    const char *args = "--live --symbol BTC/USDT --side buy --qty 0.01 --json";
    run_and_kill_after_send(args);
    qf_order_row first = only_order();
    /* Every lookup now meets a 1 s ban. */
    qf_mock_fault(mock, "/api/v3/order", QF_MOCK_FAULT_418, 1, 1);
    char *out = NULL, *err = NULL;
    int rc = run(true, args, &out, &err);
    cr_assert_eq(rc, 1, "exit %d: %s %s", rc, out, err);
    char key[64];
    snprintf(key, sizeof key, "--bar-time %lld", (long long)first.bar_time);
    cr_assert(strstr(err, key) != NULL, "%s names %s", err, key);
    cr_assert(strstr(err, "still pending") != NULL, "%s", err);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1, "no second order");
    free(out);
    free(err);
    struct timespec ts = {1, 100 * 1000000L}; /* the ban ends */
    nanosleep(&ts, NULL);
    char again[256];
    snprintf(again, sizeof again, "%s %s", args, key);
    rc = run(true, again, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s %s", rc, out, err);
    json_t *j = parse(out);
    cr_assert_str_eq(str(j, "client_id"), first.order.client_id);
    cr_assert_str_eq(str(j, "status"), "filled", "%s", out);
    json_decref(j);
    cr_assert_eq(qf_mock_count_orders(mock, NULL), 1);
    free(out);
    free(err);
}
