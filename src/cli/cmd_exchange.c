/*
 * cmd_exchange.c - `quantflow exchange test --exchange binance|coinbase`: one
 * signed account call that says whether the configured API keys work and
 * what they may do (canTrade, permissions / scopes, fees).
 *
 * Keys come from the configuration or the environment, else the 0600
 * secrets file (market/secrets.h). Nothing printed here ever contains a key,
 * a secret or a token: the output names the venue, the base URL, the key's
 * length and the venue's answer.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "market/exchange.h"
#include "market/secrets.h"

static int usage(FILE *out, int rc)
{
    fprintf(out, "usage: quantflow exchange test --exchange binance|coinbase\n\n"
                 "Makes one signed account call with the configured API keys and reports\n"
                 "whether they work and what they may do (trading, permissions, fees).\n"
                 "Keys: exchanges.<venue>.api_key/api_secret in the config, whose defaults\n"
                 "read BINANCE_API_KEY/BINANCE_API_SECRET or COINBASE_API_KEY (the CDP key\n"
                 "name)/COINBASE_API_SECRET (its private key); else the secrets file\n"
                 "$QF_SECRETS_FILE or ~/.config/quantflow/secrets (mode 0600, NAME=value lines).\n"
                 "The secret is never printed. Exit 0 when the keys work, 1 otherwise.\n");
    return rc;
}

static void print_text(const char *venue, const char *url, const qf_account_info *a)
{
    printf("%s: API keys accepted by %s\n", venue, url);
    printf("  can trade:    %s\n", a->can_trade ? "yes" : "no");
    printf("  can withdraw: %s\n", a->can_withdraw ? "yes" : "no");
    printf("  permissions:  %s\n", a->permissions[0] != '\0' ? a->permissions : "(none listed)");
    if (!isnan(a->maker_fee) && !isnan(a->taker_fee))
        printf("  fees:         maker %.4f%%, taker %.4f%%\n", a->maker_fee * 100,
               a->taker_fee * 100);
    if (!a->can_trade)
        printf("warning: these keys cannot place orders\n");
}

static void print_json(const char *venue, const char *url, const qf_account_info *a)
{
    json_t *j = json_pack("{s:s,s:s,s:b,s:b,s:b,s:b,s:s}", "exchange", venue, "base_url", url, "ok",
                          1, "can_trade", a->can_trade, "can_withdraw", a->can_withdraw,
                          "can_deposit", a->can_deposit, "permissions", a->permissions);
    if (j == NULL)
        return;
    if (!isnan(a->maker_fee))
        json_object_set_new(j, "maker_fee", json_real(a->maker_fee));
    if (!isnan(a->taker_fee))
        json_object_set_new(j, "taker_fee", json_real(a->taker_fee));
    json_dumpf(j, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(j);
}

static int run_test(qf_cli *cli, const char *venue)
{
    qf_err err;
    qf_exchange *ex = NULL;
    qf_account_info info;
    qf_rc rc = qf_secrets_apply(&cli->cfg, &err);
    if (rc == QF_OK)
        rc = qf_exchange_open(&cli->cfg, venue, &ex, &err);
    if (rc == QF_OK)
        rc = qf_exchange_account(ex, &info, &err);
    const qf_config_exchange *c =
        strcmp(venue, "binance") == 0 ? &cli->cfg.exchanges.binance : &cli->cfg.exchanges.coinbase;
    qf_exchange_close(ex);
    if (rc != QF_OK) {
        qf_err_prefix(&err, "exchange test %s", venue);
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    if (cli->json)
        print_json(venue, c->base_url, &info);
    else
        print_text(venue, c->base_url, &info);
    return QF_EXIT_OK;
}

int qf_cmd_exchange(qf_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return usage(argc < 2 ? stderr : stdout, argc < 2 ? QF_EXIT_USAGE : QF_EXIT_OK);
    if (strcmp(argv[1], "test") != 0) {
        fprintf(stderr, "quantflow exchange: unknown action '%s' (expected: test)\n", argv[1]);
        return usage(stderr, QF_EXIT_USAGE);
    }
    const char *venue = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--exchange") == 0 && i + 1 < argc) {
            venue = argv[++i];
        } else if (strncmp(argv[i], "--exchange=", 11) == 0) {
            venue = argv[i] + 11;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return usage(stdout, QF_EXIT_OK);
        } else {
            fprintf(stderr, "quantflow exchange test: unknown option '%s'\n", argv[i]);
            return usage(stderr, QF_EXIT_USAGE);
        }
    }
    if (venue == NULL || (strcmp(venue, "binance") != 0 && strcmp(venue, "coinbase") != 0)) {
        fprintf(stderr, "quantflow exchange test: --exchange must be binance or coinbase\n");
        return QF_EXIT_USAGE;
    }
    return run_test(cli, venue);
}
