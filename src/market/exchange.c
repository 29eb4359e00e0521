/*
 * exchange.c - qf_exchange's venue-independent half: opening a venue from
 * the config (HTTP client, shared rate budget), the public calls that
 * dispatch to the venue's ops table, the symbol-rules cache and the clock
 * offset.
 */
#include "market/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"

#define RULES_TTL_MS (10 * QF_MS_PER_MINUTE)

static const qf_exchange_ops *find_ops(const char *venue)
{
    if (venue == NULL)
        return NULL;
    if (strcmp(venue, "binance") == 0)
        return &qf_binance_ops;
    if (strcmp(venue, "coinbase") == 0)
        return &qf_coinbase_ops;
    return NULL;
}

static qf_rc copy_url(qf_exchange *ex, const char *venue, const char *url, qf_err *err)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    if (n == 0)
        return qf_err_set(err, QF_ECONFIG, "exchanges.%s.base_url is empty", venue);
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return qf_err_set(err, QF_ECONFIG, "exchanges.%s.base_url must start with http(s)://",
                          venue);
    if (n >= sizeof ex->base_url)
        return qf_err_set(err, QF_ECONFIG, "exchanges.%s.base_url is too long", venue);
    memcpy(ex->base_url, url, n);
    ex->base_url[n] = '\0';
    return QF_OK;
}

qf_rc qf_exchange_open(const qf_config *cfg, const char *venue, qf_exchange **out, qf_err *err)
{
    const qf_exchange_ops *ops = find_ops(venue);
    if (cfg == NULL || out == NULL)
        return qf_err_set(err, QF_EINVAL, "qf_exchange_open: missing argument");
    if (ops == NULL)
        return qf_err_set(err, QF_EINVAL, "unknown exchange '%s' (binance, coinbase)",
                          venue != NULL ? venue : "");
    const qf_config_exchange *c =
        ops == &qf_binance_ops ? &cfg->exchanges.binance : &cfg->exchanges.coinbase;
    qf_exchange *ex = calloc(1, sizeof *ex);
    if (ex == NULL)
        return qf_err_set(err, QF_ENOMEM, "%s: out of memory", venue);
    ex->ops = ops;
    ex->recv_window_ms = 5000;
    qf_rc rc = copy_url(ex, ops->venue, c->base_url, err);
    if (rc != QF_OK) {
        free(ex);
        return rc;
    }
    snprintf(ex->api_key, sizeof ex->api_key, "%s", c->api_key);
    snprintf(ex->api_secret, sizeof ex->api_secret, "%s", c->api_secret);
    if (ex->api_key[0] != '\0')
        qf_log_add_secret(ex->api_key);
    if (ex->api_secret[0] != '\0')
        qf_log_add_secret(ex->api_secret);
    qf_ratelimit_opts ro = {
        .venue = ops->venue,
        .base_url = ex->base_url,
        .requests_per_min = c->rate_limit_rpm,
        .weight_limit_1m = ops == &qf_binance_ops ? 6000 : 0,
    };
    rc = qf_ratelimit_new(&ro, &ex->limiter, err);
    /* Binance spot's ORDERS limiter: 100 new orders per 10 s (exchangeInfo
     * rateLimits); a burst above it would be refused with 429 -1015. */
    if (rc == QF_OK && ops == &qf_binance_ops)
        qf_ratelimit_set_order_limit(ex->limiter, 100);
    if (rc == QF_OK) {
        qf_http_opts ho = {
            .venue = ops->venue, .max_retries = cfg->execution.max_retries, .limiter = ex->limiter};
        if (ho.max_retries <= 0)
            ho.max_retries = 3;
        rc = qf_http_new(&ho, &ex->http, err);
    }
    if (rc != QF_OK) {
        qf_exchange_close(ex);
        return qf_err_prefix(err, "%s", ops->venue);
    }
    *out = ex;
    return QF_OK;
}

void qf_exchange_close(qf_exchange *ex)
{
    if (ex == NULL)
        return;
    if (ex->venue_free != NULL)
        ex->venue_free(ex->venue_state);
    qf_http_free(ex->http);
    qf_ratelimit_free(ex->limiter);
    free(ex->rules);
    free(ex->book_levels);
    /* The keys are secrets: do not leave them in freed memory. */
    memset(ex->api_key, 0, sizeof ex->api_key);
    memset(ex->api_secret, 0, sizeof ex->api_secret);
    free(ex);
}

void qf_exchange_set_stop(qf_exchange *ex, const volatile sig_atomic_t *stop)
{
    if (ex != NULL)
        qf_ratelimit_set_stop(ex->limiter, stop);
}

const char *qf_exchange_venue(const qf_exchange *ex)
{
    return ex != NULL ? ex->ops->venue : "";
}

int64_t qf_exchange_venue_now(const qf_exchange *ex)
{
    return qf_time_now_ms() + ex->clock_offset_ms;
}

qf_rc qf_exchange_get(qf_exchange *ex, const char *path_query, int weight, qf_http_resp *resp,
                      qf_err *err)
{
    char url[2048];
    int n = snprintf(url, sizeof url, "%s%s", ex->base_url, path_query);
    if (n < 0 || (size_t)n >= sizeof url)
        return qf_err_set(err, QF_ERANGE, "%s: request URL too long", ex->ops->venue);
    qf_http_req req = {.method = QF_HTTP_GET, .url = url, .idempotent = true, .weight = weight};
    return qf_http_do(ex->http, &req, resp, err);
}

void qf_exchange_note_server_time(qf_exchange *ex, int64_t server_ms, int64_t sent_at_ms,
                                  int64_t received_at_ms)
{
    int64_t mid = sent_at_ms + (received_at_ms - sent_at_ms) / 2;
    ex->clock_offset_ms = server_ms - mid;
    ex->clock_synced = true;
    qf_ratelimit_set_clock_offset(ex->limiter, ex->clock_offset_ms);
}

static qf_rc unsupported(const qf_exchange *ex, const char *what, qf_err *err)
{
    return qf_err_set(err, QF_EUNSUPPORTED, "%s: %s is not supported", ex->ops->venue, what);
}

qf_rc qf_exchange_server_time(qf_exchange *ex, int64_t *out_ms, qf_err *err)
{
    if (ex->ops->server_time == NULL)
        return unsupported(ex, "server time", err);
    return ex->ops->server_time(ex, out_ms, err);
}

qf_rc qf_exchange_sync_clock(qf_exchange *ex, qf_err *err)
{
    if (ex->clock_synced)
        return QF_OK;
    return qf_exchange_server_time(ex, NULL, err);
}

qf_rc qf_exchange_candles_page(qf_exchange *ex, const char *symbol, const char *timeframe,
                               int64_t start_ms, qf_candles *out, int64_t *out_next, bool *out_done,
                               qf_err *err)
{
    if (ex->ops->candles_page == NULL)
        return unsupported(ex, "candles", err);
    return ex->ops->candles_page(ex, symbol, timeframe, start_ms, out, out_next, out_done, err);
}

qf_rc qf_exchange_ticker(qf_exchange *ex, const char *symbol, qf_ticker *out, qf_err *err)
{
    if (ex->ops->ticker == NULL)
        return unsupported(ex, "ticker", err);
    return ex->ops->ticker(ex, symbol, out, err);
}

qf_rc qf_exchange_depth(qf_exchange *ex, const char *symbol, int limit, qf_book *out, qf_err *err)
{
    if (ex->ops->depth == NULL)
        return unsupported(ex, "depth", err);
    return ex->ops->depth(ex, symbol, limit, out, err);
}

qf_rc qf_exchange_rules(qf_exchange *ex, const char *symbol, bool force_refresh,
                        qf_symbol_rules *out, qf_err *err)
{
    if (ex->ops->load_rules == NULL)
        return unsupported(ex, "symbol rules", err);
    int64_t now = qf_time_now_ms();
    if (force_refresh || ex->rules_loaded_at == 0 || now - ex->rules_loaded_at >= RULES_TTL_MS) {
        qf_rc rc = ex->ops->load_rules(ex, err);
        if (rc != QF_OK)
            return rc;
        ex->rules_loaded_at = now;
    }
    for (size_t i = 0; i < ex->n_rules; i++) {
        if (strcmp(ex->rules[i].symbol, symbol) == 0) {
            *out = ex->rules[i];
            return QF_OK;
        }
    }
    return qf_err_set(err, QF_ENOTFOUND, "%s: unknown symbol %s", ex->ops->venue, symbol);
}

qf_rc qf_exchange_submit(qf_exchange *ex, const qf_order_req *req, qf_order_report *out,
                         qf_trade **out_trades, size_t *out_n_trades, qf_err *err)
{
    if (ex->ops->submit == NULL)
        return unsupported(ex, "order submission", err);
    return ex->ops->submit(ex, req, out, out_trades, out_n_trades, err);
}

qf_rc qf_exchange_cancel(qf_exchange *ex, const char *symbol, const char *client_id,
                         qf_order_report *out, qf_err *err)
{
    if (ex->ops->cancel == NULL)
        return unsupported(ex, "order cancel", err);
    return ex->ops->cancel(ex, symbol, client_id, out, err);
}

qf_rc qf_exchange_query(qf_exchange *ex, const char *symbol, const char *client_id,
                        qf_order_report *out, qf_err *err)
{
    if (ex->ops->query == NULL)
        return unsupported(ex, "order query", err);
    return ex->ops->query(ex, symbol, client_id, out, err);
}

qf_rc qf_exchange_open_orders(qf_exchange *ex, const char *symbol, qf_order_report **out,
                              size_t *out_n, qf_err *err)
{
    if (ex->ops->open_orders == NULL)
        return unsupported(ex, "open orders", err);
    return ex->ops->open_orders(ex, symbol, out, out_n, err);
}

qf_rc qf_exchange_trades(qf_exchange *ex, const char *symbol, const char *client_id, qf_trade **out,
                         size_t *out_n, qf_err *err)
{
    if (ex->ops->trades == NULL)
        return unsupported(ex, "trades", err);
    return ex->ops->trades(ex, symbol, client_id, out, out_n, err);
}

qf_rc qf_exchange_balances(qf_exchange *ex, qf_balance **out, size_t *out_n, qf_err *err)
{
    if (ex->ops->balances == NULL)
        return unsupported(ex, "balances", err);
    return ex->ops->balances(ex, out, out_n, err);
}

qf_rc qf_exchange_account(qf_exchange *ex, qf_account_info *out, qf_err *err)
{
    if (ex->ops->account == NULL)
        return unsupported(ex, "account", err);
    return ex->ops->account(ex, out, err);
}
