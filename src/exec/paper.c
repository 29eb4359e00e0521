/* paper.c - the paper venue (paper.h): a simulated exchange in memory. */
#include "exec/paper.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

typedef struct paper_order {
    qf_order_report rep;
    qf_time_in_force tif;
    bool has_trade;
    qf_trade trade;
} paper_order;

typedef struct paper_price {
    char symbol[QF_SYMBOL_MAX];
    double price;
    int64_t time;
} paper_price;

struct qf_paper {
    qf_paper_options opt;
    paper_order *orders;
    size_t n_orders, cap_orders;
    paper_price *prices;
    size_t n_prices;
    qf_symbol_rules *rules;
    size_t n_rules;
    const qf_portfolio *pf;
    char cash_asset[QF_ASSET_MAX];
};

static bool bad_bps(double v)
{
    return !isfinite(v) || v < 0.0;
}

qf_paper_options qf_paper_options_from_config(const qf_config *cfg, const char *exchange)
{
    qf_paper_options o;
    memset(&o, 0, sizeof o);
    snprintf(o.exchange, sizeof o.exchange, "%s", exchange ? exchange : "binance");
    const qf_config_exchange *ex =
        strcmp(o.exchange, "coinbase") == 0 ? &cfg->exchanges.coinbase : &cfg->exchanges.binance;
    o.half_spread_bps = cfg->execution.slippage_model.fixed_spread_bps;
    o.taker_fee_bps = ex->fees_bps.taker;
    o.maker_fee_bps = ex->fees_bps.maker;
    return o;
}

qf_rc qf_paper_new(const qf_paper_options *opts, qf_paper **out, qf_err *err)
{
    if (!opts || !out)
        return qf_err_set(err, QF_EINVAL, "paper: no options");
    if (bad_bps(opts->half_spread_bps) || bad_bps(opts->taker_fee_bps) ||
        bad_bps(opts->maker_fee_bps))
        return qf_err_set(err, QF_EINVAL, "paper: spread and fees must be finite and >= 0 bps");
    if (!opts->exchange[0])
        return qf_err_set(err, QF_EINVAL, "paper: no exchange named");
    qf_paper *p = calloc(1, sizeof *p);
    if (!p)
        return qf_err_set(err, QF_ENOMEM, "paper: out of memory");
    p->opt = *opts;
    *out = p;
    return QF_OK;
}

void qf_paper_free(qf_paper *p)
{
    if (!p)
        return;
    free(p->orders);
    free(p->prices);
    free(p->rules);
    free(p);
}

void qf_paper_set_portfolio(qf_paper *p, const qf_portfolio *pf, const char *cash_asset)
{
    p->pf = pf;
    snprintf(p->cash_asset, sizeof p->cash_asset, "%s", cash_asset ? cash_asset : "USDT");
}

static paper_order *find_order(qf_paper *p, const char *client_id)
{
    for (size_t i = p->n_orders; i-- > 0;)
        if (strcmp(p->orders[i].rep.client_id, client_id) == 0)
            return &p->orders[i];
    return NULL;
}

static paper_price *find_price(qf_paper *p, const char *symbol)
{
    for (size_t i = 0; i < p->n_prices; i++)
        if (strcmp(p->prices[i].symbol, symbol) == 0)
            return &p->prices[i];
    return NULL;
}

qf_rc qf_paper_set_rules(qf_paper *p, const qf_symbol_rules *rules, qf_err *err)
{
    if (!rules || !rules->symbol[0])
        return qf_err_set(err, QF_EINVAL, "paper: rules without a symbol");
    for (size_t i = 0; i < p->n_rules; i++) {
        if (strcmp(p->rules[i].symbol, rules->symbol) == 0) {
            p->rules[i] = *rules;
            return QF_OK;
        }
    }
    qf_symbol_rules *r = realloc(p->rules, (p->n_rules + 1) * sizeof *r);
    if (!r)
        return qf_err_set(err, QF_ENOMEM, "paper: out of memory");
    p->rules = r;
    p->rules[p->n_rules++] = *rules;
    return QF_OK;
}

static bool is_open(qf_order_status s)
{
    return s == QF_ORDER_OPEN || s == QF_ORDER_PARTIALLY_FILLED;
}

/* The whole remaining quantity fills at `price`; the fee (quote) is the
 * maker's for a resting order filled later, else the taker's. */
static void fill(qf_paper *p, paper_order *o, double price, bool maker, int64_t time)
{
    double fee_bps = maker ? p->opt.maker_fee_bps : p->opt.taker_fee_bps;
    qf_order_report *r = &o->rep;
    double qty = r->quantity - r->filled_qty;
    qf_trade *t = &o->trade;
    memset(t, 0, sizeof *t);
    snprintf(t->trade_id, sizeof t->trade_id, "%s-1", r->client_id);
    snprintf(t->client_id, sizeof t->client_id, "%s", r->client_id);
    snprintf(t->venue_order_id, sizeof t->venue_order_id, "%s", r->venue_order_id);
    snprintf(t->symbol, sizeof t->symbol, "%s", r->symbol);
    t->side = r->side;
    t->quantity = qty;
    t->price = price;
    t->fee = qty * price * fee_bps / 1e4;
    t->maker = maker;
    t->time = time;
    o->has_trade = true;
    r->cum_quote += qty * price;
    r->filled_qty = r->quantity;
    r->avg_fill_price = r->cum_quote / r->filled_qty;
    r->status = QF_ORDER_FILLED;
    r->update_time = time;
}

/* The price a buy / sell executes at now: price * (1 +/- h). */
static double touch(const qf_paper *p, qf_side side, double price)
{
    return price * (1.0 + (double)side * p->opt.half_spread_bps / 1e4);
}

static bool crosses(qf_side side, double exec_price, double limit)
{
    return side == QF_SIDE_BUY ? exec_price <= limit : exec_price >= limit;
}

qf_rc qf_paper_set_price(qf_paper *p, const char *symbol, double price, int64_t time,
                         size_t *out_filled, qf_err *err)
{
    if (!symbol || !symbol[0] || !isfinite(price) || price <= 0.0)
        return qf_err_set(err, QF_EINVAL, "paper: price of %s must be finite and > 0",
                          symbol ? symbol : "(null)");
    paper_price *pp = find_price(p, symbol);
    if (!pp) {
        paper_price *np = realloc(p->prices, (p->n_prices + 1) * sizeof *np);
        if (!np)
            return qf_err_set(err, QF_ENOMEM, "paper: out of memory");
        p->prices = np;
        pp = &p->prices[p->n_prices++];
        memset(pp, 0, sizeof *pp);
        snprintf(pp->symbol, sizeof pp->symbol, "%s", symbol);
    }
    pp->price = price;
    pp->time = time;
    size_t filled = 0;
    for (size_t i = 0; i < p->n_orders; i++) {
        paper_order *o = &p->orders[i];
        if (!is_open(o->rep.status) || strcmp(o->rep.symbol, symbol) != 0)
            continue;
        if (crosses(o->rep.side, touch(p, o->rep.side, price), o->rep.limit_price)) {
            fill(p, o, o->rep.limit_price, true, time);
            filled++;
        }
    }
    if (out_filled)
        *out_filled = filled;
    return QF_OK;
}

/* A new zeroed order slot; NULL when out of memory. */
static paper_order *add_order(qf_paper *p)
{
    if (p->n_orders == p->cap_orders) {
        size_t cap = p->cap_orders ? 2 * p->cap_orders : 16;
        paper_order *n = realloc(p->orders, cap * sizeof *n);
        if (!n)
            return NULL;
        p->orders = n;
        p->cap_orders = cap;
    }
    paper_order *o = &p->orders[p->n_orders++];
    memset(o, 0, sizeof *o);
    return o;
}

static qf_rc copy_trade(const paper_order *o, qf_trade **out, size_t *out_n, qf_err *err)
{
    if (out)
        *out = NULL;
    if (out_n)
        *out_n = 0;
    if (!o->has_trade || !out)
        return QF_OK;
    qf_trade *t = malloc(sizeof *t);
    if (!t)
        return qf_err_set(err, QF_ENOMEM, "paper: out of memory");
    *t = o->trade;
    *out = t;
    if (out_n)
        *out_n = 1;
    return QF_OK;
}

/* What the account can still commit: base for sells, quote for buys, less
 * what its resting orders hold (a spot venue: no shorts, no credit). */
static double available(const qf_paper *p, const char *symbol, qf_side side)
{
    double avail = side == QF_SIDE_SELL ? qf_portfolio_position(p->pf, symbol).quantity
                                        : qf_portfolio_cash(p->pf);
    for (size_t i = 0; i < p->n_orders; i++) {
        const qf_order_report *r = &p->orders[i].rep;
        if (!is_open(r->status) || r->side != side)
            continue;
        double rest = r->quantity - r->filled_qty;
        if (side == QF_SIDE_SELL && strcmp(r->symbol, symbol) == 0)
            avail -= rest;
        else if (side == QF_SIDE_BUY)
            avail -= rest * r->limit_price * (1.0 + p->opt.taker_fee_bps / 1e4);
    }
    return avail;
}

static bool insufficient(const qf_paper *p, const qf_order_req *req, double exec)
{
    if (!p->pf)
        return false;
    double need = req->quantity;
    if (req->side == QF_SIDE_BUY) {
        double price = req->type == QF_ORDER_LIMIT ? req->limit_price : exec;
        need = req->quantity * price * (1.0 + p->opt.taker_fee_bps / 1e4);
    }
    return need > available(p, req->symbol, req->side) * (1.0 + 1e-12);
}

static qf_rc paper_submit(void *ctx, const qf_order_req *req, qf_order_report *out,
                          qf_trade **out_trades, size_t *out_n_trades, qf_err *err)
{
    qf_paper *p = ctx;
    if (out_trades)
        *out_trades = NULL;
    if (out_n_trades)
        *out_n_trades = 0;
    paper_order *dup = find_order(p, req->client_id);
    if (dup && is_open(dup->rep.status))
        return qf_err_set(err, QF_EREJECTED, "paper: -2010 Duplicate order sent.");
    paper_price *pp = find_price(p, req->symbol);
    if (!pp)
        return qf_err_set(err, QF_EREJECTED, "paper: no price for %s", req->symbol);
    bool limit = req->type == QF_ORDER_LIMIT;
    if (!isfinite(req->quantity) || req->quantity <= 0.0 ||
        (limit && (!isfinite(req->limit_price) || req->limit_price <= 0.0)))
        return qf_err_set(err, QF_EREJECTED, "paper: bad quantity or price");
    double exec = touch(p, req->side, pp->price);
    if (insufficient(p, req, exec))
        return qf_err_set(err, QF_EREJECTED,
                          "paper: -2010 Account has insufficient balance for requested action.");
    paper_order *o = add_order(p);
    if (o == NULL)
        return qf_err_set(err, QF_ENOMEM, "paper: out of memory");
    qf_order_report *r = &o->rep;
    snprintf(r->client_id, sizeof r->client_id, "%s", req->client_id);
    snprintf(r->venue_order_id, sizeof r->venue_order_id, "paper-%zu", p->n_orders);
    snprintf(r->symbol, sizeof r->symbol, "%s", req->symbol);
    r->side = req->side;
    r->type = req->type;
    r->quantity = req->quantity;
    r->avg_fill_price = NAN;
    r->limit_price = limit ? req->limit_price : NAN;
    r->status = QF_ORDER_OPEN;
    r->update_time = pp->time;
    o->tif = req->tif;
    if (!limit || crosses(req->side, exec, req->limit_price))
        fill(p, o, exec, false, pp->time);
    else if (req->tif != QF_TIF_GTC)
        r->status = QF_ORDER_EXPIRED; /* IOC / FOK not marketable: nothing fills */
    *out = *r;
    return copy_trade(o, out_trades, out_n_trades, err);
}

static qf_rc paper_query(void *ctx, const char *symbol, const char *client_id, qf_order_report *out,
                         qf_err *err)
{
    (void)symbol;
    paper_order *o = find_order(ctx, client_id);
    if (!o)
        return qf_err_set(err, QF_ENOTFOUND, "paper: order %s does not exist", client_id);
    *out = o->rep;
    return QF_OK;
}

static qf_rc paper_cancel(void *ctx, const char *symbol, const char *client_id,
                          qf_order_report *out, qf_err *err)
{
    qf_paper *p = ctx;
    paper_order *o = find_order(p, client_id);
    if (!o)
        return qf_err_set(err, QF_ENOTFOUND, "paper: -2011 Unknown order sent (%s)", client_id);
    if (!is_open(o->rep.status))
        return qf_err_set(err, QF_EREJECTED, "paper: order %s is already closed", client_id);
    paper_price *pp = find_price(p, symbol);
    o->rep.status = QF_ORDER_CANCELLED;
    o->rep.update_time = pp ? pp->time : qf_time_now_ms();
    *out = o->rep;
    return QF_OK;
}

static qf_rc paper_open_orders(void *ctx, const char *symbol, qf_order_report **out, size_t *out_n,
                               qf_err *err)
{
    qf_paper *p = ctx;
    *out = NULL;
    *out_n = 0;
    qf_order_report *list = malloc((p->n_orders ? p->n_orders : 1) * sizeof *list);
    if (!list)
        return qf_err_set(err, QF_ENOMEM, "paper: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < p->n_orders; i++) {
        const qf_order_report *r = &p->orders[i].rep;
        if (is_open(r->status) && (!symbol || strcmp(r->symbol, symbol) == 0))
            list[n++] = *r;
    }
    if (n == 0) {
        free(list);
        return QF_OK;
    }
    *out = list;
    *out_n = n;
    return QF_OK;
}

static qf_rc paper_trades(void *ctx, const char *symbol, const char *client_id, qf_trade **out,
                          size_t *out_n, qf_err *err)
{
    (void)symbol;
    paper_order *o = find_order(ctx, client_id);
    if (!o)
        return qf_err_set(err, QF_ENOTFOUND, "paper: order %s does not exist", client_id);
    return copy_trade(o, out, out_n, err);
}

static void base_of(const char *symbol, char *out, size_t size)
{
    const char *slash = strchr(symbol, '/');
    size_t n = slash ? (size_t)(slash - symbol) : strlen(symbol);
    if (n >= size)
        n = size - 1;
    memcpy(out, symbol, n);
    out[n] = '\0';
}

static qf_rc paper_balances(void *ctx, qf_balance **out, size_t *out_n, qf_err *err)
{
    qf_paper *p = ctx;
    *out = NULL;
    *out_n = 0;
    if (!p->pf)
        return QF_OK;
    size_t n_pos = 0;
    const qf_position *pos = qf_portfolio_positions(p->pf, &n_pos);
    qf_balance *b = calloc(n_pos + 1, sizeof *b);
    if (!b)
        return qf_err_set(err, QF_ENOMEM, "paper: out of memory");
    snprintf(b[0].asset, sizeof b[0].asset, "%s", p->cash_asset);
    b[0].free = qf_portfolio_cash(p->pf);
    for (size_t i = 0; i < n_pos; i++) {
        base_of(pos[i].symbol, b[i + 1].asset, sizeof b[i + 1].asset);
        b[i + 1].free = pos[i].quantity;
    }
    *out = b;
    *out_n = n_pos + 1;
    return QF_OK;
}

static qf_rc paper_rules(void *ctx, const char *symbol, qf_symbol_rules *out, qf_err *err)
{
    qf_paper *p = ctx;
    (void)err;
    for (size_t i = 0; i < p->n_rules; i++) {
        if (strcmp(p->rules[i].symbol, symbol) == 0) {
            *out = p->rules[i];
            return QF_OK;
        }
    }
    memset(out, 0, sizeof *out);
    snprintf(out->symbol, sizeof out->symbol, "%s", symbol);
    base_of(symbol, out->base, sizeof out->base);
    const char *slash = strchr(symbol, '/');
    snprintf(out->quote, sizeof out->quote, "%s", slash ? slash + 1 : "");
    out->trading = true;
    out->tick_size = 1e-8;
    out->step_size = 1e-8;
    return QF_OK;
}

static qf_rc paper_ticker(void *ctx, const char *symbol, qf_ticker *out, qf_err *err)
{
    qf_paper *p = ctx;
    paper_price *pp = find_price(p, symbol);
    if (!pp)
        return qf_err_set(err, QF_ENOTFOUND, "paper: no price for %s", symbol);
    memset(out, 0, sizeof *out);
    out->bid = touch(p, QF_SIDE_SELL, pp->price);
    out->ask = touch(p, QF_SIDE_BUY, pp->price);
    out->time = pp->time;
    return QF_OK;
}

static const qf_venue_ops paper_ops = {
    .rules = paper_rules,
    .ticker = paper_ticker,
    .submit = paper_submit,
    .cancel = paper_cancel,
    .query = paper_query,
    .open_orders = paper_open_orders,
    .trades = paper_trades,
    .balances = paper_balances,
};

qf_venue qf_paper_venue(qf_paper *p)
{
    qf_venue v;
    memset(&v, 0, sizeof v);
    v.ops = &paper_ops;
    v.ctx = p;
    snprintf(v.exchange, sizeof v.exchange, "%s", p->opt.exchange);
    snprintf(v.account, sizeof v.account, "paper");
    v.unknown_grace_ms = 0;
    return v;
}

static qf_rc restore_one(qf_paper *p, const qf_order_row *row, qf_err *err)
{
    if (find_order(p, row->order.client_id))
        return QF_OK;
    paper_order *o = add_order(p);
    if (o == NULL)
        return qf_err_set(err, QF_ENOMEM, "paper: out of memory");
    qf_order_report *r = &o->rep;
    const qf_order *ord = &row->order;
    snprintf(r->client_id, sizeof r->client_id, "%s", ord->client_id);
    snprintf(r->venue_order_id, sizeof r->venue_order_id, "%s", row->venue_order_id);
    snprintf(r->symbol, sizeof r->symbol, "%s", ord->symbol);
    r->side = ord->side;
    r->type = ord->type;
    r->quantity = ord->quantity;
    r->filled_qty = ord->filled_qty;
    r->avg_fill_price = ord->avg_fill_price;
    r->cum_quote = ord->filled_qty > 0.0 ? ord->filled_qty * ord->avg_fill_price : 0.0;
    r->limit_price = ord->limit_price;
    r->status = ord->status;
    r->update_time = ord->updated_at;
    o->tif = ord->tif;
    return QF_OK;
}

qf_rc qf_paper_restore(qf_paper *p, qf_store *store, qf_err *err)
{
    qf_order_row *rows = NULL;
    size_t n = 0;
    unsigned mask = (1u << QF_ORDER_OPEN) | (1u << QF_ORDER_PARTIALLY_FILLED);
    qf_rc rc = qf_store_list_orders(store, "paper", mask, &rows, &n, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "paper: restoring open orders");
    for (size_t i = 0; i < n && rc == QF_OK; i++)
        if (strcmp(rows[i].order.exchange, p->opt.exchange) == 0 &&
            rows[i].order.type == QF_ORDER_LIMIT)
            rc = restore_one(p, &rows[i], err);
    free(rows);
    return rc;
}
