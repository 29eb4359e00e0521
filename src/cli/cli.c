/* cli.c - helpers shared by the subcommands. */
#include "cli/cli.h"

#include <string.h>

#include "core/log.h"
#include "core/time.h"

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

qf_rc qf_cli_load_bars(qf_store *store, const char *exchange, const char *symbol,
                       const char *timeframe, int64_t from, int64_t to, size_t min_bars,
                       qf_bars *out, qf_err *err)
{
    qf_series_key key;
    memset(&key, 0, sizeof key);
    if (strlen(exchange) >= sizeof key.exchange || strlen(symbol) >= sizeof key.symbol ||
        strlen(timeframe) >= sizeof key.timeframe)
        return qf_err_set(err, QF_EINVAL, "series name too long: %s %s %s", exchange, symbol,
                          timeframe);
    strcpy(key.exchange, exchange);
    strcpy(key.symbol, symbol);
    strcpy(key.timeframe, timeframe);
    qf_candles c;
    qf_candles_init(&c);
    qf_rc rc = qf_store_query_candles(store, &key, from, to, 0, &c, err);
    if (rc == QF_OK && c.n < min_bars)
        rc = qf_err_set(err, QF_EINVAL,
                        "no %s %s %s candles in the requested range (%zu stored there); "
                        "import or backfill them first",
                        exchange, symbol, timeframe, c.n);
    if (rc == QF_OK)
        rc = qf_bars_from_candles(out, &c, err);
    qf_candles_cleanup(&c);
    return rc;
}

qf_rc qf_cli_bars_per_year(const qf_cli *cli, const char *timeframe, double *out, qf_err *err)
{
    qf_timeframe tf;
    qf_rc rc = qf_timeframe_parse(timeframe, &tf, err);
    if (rc != QF_OK)
        return rc;
    *out = strcmp(timeframe, cli->cfg.universe.timeframe) == 0
               ? cli->cfg.features.technical.bars_per_year
               : tf.bars_per_year;
    return QF_OK;
}
