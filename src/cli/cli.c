/* cli.c - helpers shared by the subcommands. */
#include "cli/cli.h"

#include "core/log.h"

qf_rc qf_cli_open_store(qf_cli *cli, qf_store **out_store, qf_err *err)
{
    qf_store *store = NULL;
    qf_rc rc = qf_store_open_sqlite(cli->db_path, &store, err);
    if (rc != QF_OK)
        return rc;
    int applied = 0;
    rc = qf_store_migrate(store, &applied, err);
    if (rc != QF_OK) {
        qf_store_close(store);
        return rc;
    }
    if (applied > 0)
        qf_log_debug("store %s: applied %d migration(s)", cli->db_path, applied);
    *out_store = store;
    return QF_OK;
}

void qf_cli_error(const qf_err *err)
{
    char clean[QF_ERR_MSG_MAX + 8];
    qf_log_redact(err->msg[0] != '\0' ? err->msg : qf_rc_str(err->code), clean, sizeof clean);
    fprintf(stderr, "quantflow: %s\n", clean);
}
