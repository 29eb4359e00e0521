/*
 * test_mock_cli.c - `quantflow mock-exchange` as a separate process: the
 * "listening on" line with the real port, the /__mock/ control API (advance,
 * fault, stats, orders, balance), bad control parameters, SIGTERM stops it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "mock/mock_client.h"
#include "testutil.h"

static pid_t start_cli(char *url, size_t size)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execl(QF_CLI_PATH, QF_CLI_PATH, "mock-exchange", "--port", "0", "--start",
              "2025-03-01T00:00:00Z", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char line[512] = "";
    cr_assert_not_null(fgets(line, sizeof line, f), "no output from mock-exchange");
    fclose(f);
    const char *p = strstr(line, "listening on http://127.0.0.1:");
    cr_assert_not_null(p, "%s", line);
    snprintf(url, size, "%s", p + strlen("listening on "));
    url[strcspn(url, "\n")] = '\0';
    cr_assert_gt(atoi(strrchr(url, ':') + 1), 0, "a real port, not 0");
    return pid;
}

static json_t *req(const char *method, const char *url, const char *path, long status)
{
    char full[512];
    snprintf(full, sizeof full, "%s%s", url, path);
    qf_mock_http_resp r;
    qf_mock_http(method, full, NULL, NULL, 0, &r);
    cr_assert_eq(r.status, status, "%s %s: %ld %s", method, path, r.status, r.body);
    json_t *j = json_loads(r.body, JSON_DECODE_ANY, NULL);
    qf_mock_http_free(&r);
    return j;
}

Test(mock_cli, serves_and_is_steered_over_http)
{
    char url[128];
    pid_t pid = start_cli(url, sizeof url);
    json_t *j = req("GET", url, "/api/v3/time", 200);
    long long t0 = json_integer_value(json_object_get(j, "serverTime"));
    cr_assert(t0 >= 1740787200000LL && t0 < 1740787200000LL + 10000);
    json_decref(j);
    j = req("POST", url, "/__mock/advance?ms=3600000", 200);
    cr_assert_geq(json_integer_value(json_object_get(j, "now")), t0 + 3600000);
    json_decref(j);
    j = req("POST", url, "/__mock/fault?kind=503&path=/api/v3/time&count=1", 200);
    json_decref(j);
    json_decref(req("GET", url, "/api/v3/time", 503));
    json_decref(req("GET", url, "/api/v3/time", 200));
    json_decref(req("POST", url, "/__mock/fault?kind=nope", 400));
    json_decref(req("POST", url, "/__mock/advance?ms=abc", 400));
    json_decref(req("POST", url, "/__mock/balance?asset=USDT&free=1e5", 400));
    json_decref(req("POST", url, "/__mock/balance?asset=USDT&free=5", 200));
    j = req("GET", url, "/__mock/stats", 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "max_weight_1m")), 2,
                 "after the advance: /time answered 503 (still charged) and /time again");
    cr_assert_geq(json_integer_value(json_object_get(j, "requests")), 9);
    json_decref(j);
    j = req("GET", url, "/__mock/orders?client_id=x", 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "count")), 0);
    json_decref(j);
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clean exit on SIGTERM");
}

Test(mock_cli, bad_options_are_usage_errors)
{
    char *err = NULL;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s mock-exchange --start yesterday", QF_CLI_PATH);
    cr_assert_eq(qf_test_run(cmd, NULL, &err), 2);
    cr_assert(strstr(err, "--start"), "%s", err);
    free(err);
}
