/* venue.c - the live venue: qf_venue over a qf_exchange adapter (venue.h). */
#include "exec/venue.h"

#include <stdio.h>
#include <string.h>

static qf_rc live_rules(void *ctx, const char *symbol, qf_symbol_rules *out, qf_err *err)
{
    return qf_exchange_rules(ctx, symbol, false, out, err);
}

static qf_rc live_ticker(void *ctx, const char *symbol, qf_ticker *out, qf_err *err)
{
    return qf_exchange_ticker(ctx, symbol, out, err);
}

static qf_rc live_submit(void *ctx, const qf_order_req *req, qf_order_report *out,
                         qf_trade **out_trades, size_t *out_n_trades, qf_err *err)
{
    return qf_exchange_submit(ctx, req, out, out_trades, out_n_trades, err);
}

static qf_rc live_cancel(void *ctx, const char *symbol, const char *client_id, qf_order_report *out,
                         qf_err *err)
{
    return qf_exchange_cancel(ctx, symbol, client_id, out, err);
}

static qf_rc live_query(void *ctx, const char *symbol, const char *client_id, qf_order_report *out,
                        qf_err *err)
{
    return qf_exchange_query(ctx, symbol, client_id, out, err);
}

static qf_rc live_open_orders(void *ctx, const char *symbol, qf_order_report **out, size_t *out_n,
                              qf_err *err)
{
    return qf_exchange_open_orders(ctx, symbol, out, out_n, err);
}

static qf_rc live_trades(void *ctx, const char *symbol, const char *client_id, qf_trade **out,
                         size_t *out_n, qf_err *err)
{
    return qf_exchange_trades(ctx, symbol, client_id, out, out_n, err);
}

static qf_rc live_balances(void *ctx, qf_balance **out, size_t *out_n, qf_err *err)
{
    return qf_exchange_balances(ctx, out, out_n, err);
}

static qf_rc live_sync_clock(void *ctx, qf_err *err)
{
    return qf_exchange_sync_clock(ctx, err);
}

static const qf_venue_ops live_ops = {
    .rules = live_rules,
    .ticker = live_ticker,
    .submit = live_submit,
    .cancel = live_cancel,
    .query = live_query,
    .open_orders = live_open_orders,
    .trades = live_trades,
    .balances = live_balances,
    .sync_clock = live_sync_clock,
};

int64_t qf_venue_default_grace_ms(const char *exchange)
{
    if (exchange && strcmp(exchange, "binance") == 0)
        return 6000;
    if (exchange && strcmp(exchange, "coinbase") == 0)
        return 125000;
    return 0;
}

qf_venue qf_venue_live(qf_exchange *ex)
{
    qf_venue v;
    memset(&v, 0, sizeof v);
    v.ops = &live_ops;
    v.ctx = ex;
    snprintf(v.exchange, sizeof v.exchange, "%s", ex ? qf_exchange_venue(ex) : "");
    snprintf(v.account, sizeof v.account, "live");
    v.unknown_grace_ms = qf_venue_default_grace_ms(v.exchange);
    return v;
}
