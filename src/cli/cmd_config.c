/*
 * cmd_config.c - `quantflow config show|check|set`.
 *
 *   show            the effective configuration (defaults < file < --set) as
 *                   YAML, or JSON with --json; secrets masked
 *   check FILE...   validates each file over the built-in defaults
 *   set KEY=VALUE.. changes the config file in place (comments and ${...}
 *                   placeholders kept), after validating the result
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int config_usage(FILE *out, int code)
{
    fprintf(out, "usage: quantflow config show\n"
                 "       quantflow config check FILE...\n"
                 "       quantflow config set KEY=VALUE...\n\n"
                 "show   prints the effective configuration (built-in defaults < --config\n"
                 "       file < --set overrides) with secrets masked; --json for JSON.\n"
                 "check  validates each FILE over the built-in defaults; exit 1 on the first\n"
                 "       problem, naming the key, the reason and file:line.\n"
                 "set    writes the assignments into the config file (--config, else\n"
                 "       $QUANTFLOW_CONFIG, else config/default.yaml), keeping comments and\n"
                 "       ${...} placeholders; nothing is written when a value is invalid.\n");
    return code;
}

static int config_show(qf_cli *cli)
{
    qf_err err;
    qf_err_clear(&err);
    if (cli->json) {
        json_t *doc = qf_config_to_json(&cli->cfg, 1);
        if (doc == NULL) {
            qf_err_set(&err, QF_ENOMEM, "config: out of memory");
            qf_cli_error(&err);
            return QF_EXIT_FAIL;
        }
        int bad = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        fputc('\n', stdout);
        return bad == 0 ? QF_EXIT_OK : QF_EXIT_FAIL;
    }
    printf("# effective configuration (source: %s)\n",
           cli->config_path != NULL ? cli->config_path : "built-in defaults");
    if (qf_config_write_yaml(&cli->cfg, stdout, 1, &err) != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    return QF_EXIT_OK;
}

static int config_check(qf_cli *cli, int argc, char **argv)
{
    if (argc < 1)
        return config_usage(stderr, QF_EXIT_USAGE);
    int failed = 0;
    for (int i = 0; i < argc; i++) {
        static qf_config cfg; /* large; one at a time */
        qf_err err;
        qf_err_clear(&err);
        qf_config_init(&cfg);
        qf_rc rc = qf_config_load_file(&cfg, argv[i], &err);
        if (rc == QF_OK)
            rc = qf_config_validate(&cfg, &err);
        qf_config_cleanup(&cfg);
        if (rc != QF_OK) {
            qf_cli_error(&err);
            failed = 1;
        } else if (cli->json) {
            json_t *o = json_pack("{s:s, s:b}", "file", argv[i], "valid", 1);
            if (o != NULL) {
                json_dumpf(o, stdout, JSON_COMPACT);
                fputc('\n', stdout);
                json_decref(o);
            }
        } else {
            printf("%s: ok\n", argv[i]);
        }
    }
    return failed ? QF_EXIT_FAIL : QF_EXIT_OK;
}

static int config_set(qf_cli *cli, int argc, char **argv)
{
    if (argc < 1)
        return config_usage(stderr, QF_EXIT_USAGE);
    const char *path = cli->config_path != NULL ? cli->config_path : "config/default.yaml";
    static qf_config cfg;
    qf_err err;
    qf_err_clear(&err);
    /* Start from the file alone (not this run's --set overrides). */
    qf_config_init(&cfg);
    qf_rc rc = QF_OK;
    FILE *probe = fopen(path, "r");
    if (probe != NULL) {
        fclose(probe);
        rc = qf_config_load_file(&cfg, path, &err);
    }
    for (int i = 0; rc == QF_OK && i < argc; i++)
        rc = qf_config_set(&cfg, argv[i], &err);
    if (rc == QF_OK)
        rc = qf_config_validate(&cfg, &err);
    if (rc == QF_OK)
        rc = qf_config_save(&cfg, path, &err);
    qf_config_cleanup(&cfg);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    if (!cli->json)
        printf("%s: saved %d assignment(s)\n", path, argc);
    return QF_EXIT_OK;
}

int qf_cmd_config(qf_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return config_usage(stderr, QF_EXIT_USAGE);
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
        return config_usage(stdout, QF_EXIT_OK);
    if (strcmp(sub, "show") == 0 && argc == 2)
        return config_show(cli);
    if (strcmp(sub, "check") == 0)
        return config_check(cli, argc - 2, argv + 2);
    if (strcmp(sub, "set") == 0)
        return config_set(cli, argc - 2, argv + 2);
    fprintf(stderr, "quantflow config: unknown subcommand '%s'\n", sub);
    return config_usage(stderr, QF_EXIT_USAGE);
}
