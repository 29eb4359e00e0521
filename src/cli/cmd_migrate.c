/*
 * cmd_migrate.c - `quantflow migrate`: apply pending schema migrations.
 * (Every command migrates a new database on first use; this one is for
 * explicit upgrades and reports what it did.)
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int qf_cmd_migrate(qf_cli *cli, int argc, char **argv)
{
    if (argc > 1) {
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fprintf(help ? stdout : stderr,
                "usage: quantflow migrate\n\nApplies pending schema migrations to the database "
                "(--db, $QUANTFLOW_DB or\ndatabase.sqlite_path) and prints the schema version.\n");
        return help ? QF_EXIT_OK : QF_EXIT_USAGE;
    }
    qf_store *store = NULL;
    qf_err err;
    int before = 0, applied = 0, after = 0;
    qf_rc rc = qf_store_open_sqlite(cli->db_path, &store, &err);
    if (rc == QF_OK)
        rc = qf_store_schema_version(store, &before, &err);
    if (rc == QF_OK)
        rc = qf_store_migrate(store, &applied, &err);
    if (rc == QF_OK)
        rc = qf_store_schema_version(store, &after, &err);
    qf_store_close(store);
    if (rc != QF_OK) {
        qf_cli_error(&err);
        return QF_EXIT_FAIL;
    }
    if (cli->json)
        printf(
            "{\"database\": \"%s\", \"from_version\": %d, \"to_version\": %d, \"applied\": %d}\n",
            cli->db_path, before, after, applied);
    else if (applied == 0)
        printf("%s: schema at version %d, nothing to migrate\n", cli->db_path, after);
    else
        printf("%s: migrated from version %d to %d (%d migration(s) applied)\n", cli->db_path,
               before, after, applied);
    return QF_EXIT_OK;
}
