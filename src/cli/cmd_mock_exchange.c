/*
 * cmd_mock_exchange.c - `quantflow mock-exchange`: the protocol-faithful
 * Binance + Coinbase mock (tests/support/mock) in the foreground, for trying
 * QuantFlow without keys and for tests that run it as a separate process.
 * It serves until SIGINT or SIGTERM; /__mock/... steers it over HTTP.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#ifdef QF_HAVE_MOCK
#include "mock/mock_exchange.h"
#endif

static void usage(FILE *f)
{
    fprintf(
        f, "usage: quantflow mock-exchange [--port N] [--data DIR] [--start ISO8601]\n"
           "                               [--weight-limit N]\n"
           "Serves Binance Spot (/api/v3/...) and Coinbase (/products/..., /api/v3/brokerage/...)\n"
           "on http://127.0.0.1:PORT from the bundled candles until SIGINT/SIGTERM.\n"
           "  --port N          TCP port (default 0: any free port; the one chosen is printed)\n"
           "  --data DIR        candle files (default: the source tree's data/)\n"
           "  --start ISO8601   mock clock at start (default 2025-03-01T00:00:00Z)\n"
           "  --weight-limit N  Binance request weight per minute (default 6000)\n"
           "Control: POST /__mock/advance?ms=N, /__mock/skew?ms=N, /__mock/release,\n"
           "  /__mock/fault?kind=K&path=P&count=N&param=X, /__mock/balance?asset=A&free=D;\n"
           "  GET /__mock/stats, /__mock/orders?client_id=C\n");
}

#ifdef QF_HAVE_MOCK
/* A positive int option; prints the error and returns false when bad. */
static bool int_opt(const char *name, const char *s, int min, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > 65535 * 1000L) {
        fprintf(stderr, "quantflow mock-exchange: --%s must be an integer >= %d\n", name, min);
        return false;
    }
    *out = (int)v;
    return true;
}

static int64_t parse_start(const char *s, bool *ok)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    char z = 'Z';
    int n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z);
    *ok = (n == 3 || n == 7) && z == 'Z' && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 &&
          mi < 60 && se < 61 && y >= 1970;
    if (!*ok)
        return 0;
    int yy = y - (mo <= 2);
    int era = yy / 400, yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t days = (int64_t)era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000;
}
#endif

int qf_cmd_mock_exchange(qf_cli *cli, int argc, char **argv)
{
    (void)cli;
#ifndef QF_HAVE_MOCK
    (void)argc;
    fprintf(stderr, "quantflow %s: this build has no mock exchange\n", argv[0]);
    return QF_EXIT_FAIL;
#else
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},  {"data", required_argument, NULL, 'd'},
        {"start", required_argument, NULL, 's'}, {"weight-limit", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    qf_mock_opts mo = {0};
    int c;
    bool ok = true;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!int_opt("port", optarg, 0, &mo.port))
                return QF_EXIT_USAGE;
            if (mo.port > 65535) {
                fprintf(stderr, "quantflow mock-exchange: --port must be 0..65535\n");
                return QF_EXIT_USAGE;
            }
            break;
        case 'd':
            mo.data_dir = optarg;
            break;
        case 's':
            mo.start_time_ms = parse_start(optarg, &ok);
            if (!ok) {
                fprintf(stderr, "quantflow mock-exchange: --start must be like "
                                "2025-03-01T00:00:00Z or 2025-03-01\n");
                return QF_EXIT_USAGE;
            }
            break;
        case 'w':
            if (!int_opt("weight-limit", optarg, 1, &mo.weight_limit_1m))
                return QF_EXIT_USAGE;
            break;
        case 'h':
            usage(stdout);
            return QF_EXIT_OK;
        default:
            usage(stderr);
            return QF_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "quantflow mock-exchange: unexpected argument '%s'\n", argv[optind]);
        return QF_EXIT_USAGE;
    }
    /* Block the signals before the server's threads start, so they inherit
     * the mask and only sigwait below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    qf_mock *m = NULL;
    qf_err err = {0};
    if (qf_mock_start(&mo, &m, &err) != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    printf("mock-exchange: listening on %s\n", qf_mock_url(m));
    printf("mock-exchange: Binance and Coinbase base_url %s; test credentials: "
           "QF_MOCK_BINANCE_KEY / QF_MOCK_BINANCE_SECRET, QF_MOCK_COINBASE_KEY_NAME / "
           "QF_MOCK_COINBASE_PRIVATE_PEM (tests/support/mock/mock_exchange.h)\n",
           qf_mock_url(m));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    qf_mock_stop(m);
    fprintf(stderr, "mock-exchange: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    return QF_EXIT_OK;
#endif
}
