/*
 * engine.c - the event-driven backtest (the sequence is in engine.h).
 */
#include "backtest/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

qf_engine_config qf_engine_config_default(void)
{
    qf_engine_config c;
    memset(&c, 0, sizeof c);
    c.fill_at = QF_FILL_NEXT_OPEN;
    c.latency_bars = 0;
    c.costs = (qf_cost_model){10.0, 10.0, 5.0, 2.0, 24};
    c.max_participation = 0.1;
    c.order_timeout_bars = 6;
    c.allow_short = false;
    c.initial_equity = 100000.0;
    c.min_trade_usd = 10.0;
    return c;
}

qf_rc qf_engine_config_check(const qf_engine_config *c, qf_err *err)
{
    qf_rc rc = qf_cost_model_check(&c->costs, err);
    if (rc != QF_OK)
        return rc;
    if (c->fill_at != QF_FILL_NEXT_OPEN && c->fill_at != QF_FILL_CLOSE)
        return qf_err_set(err, QF_EINVAL, "backtest: fill_at must be next_open or close");
    if (c->latency_bars < 0)
        return qf_err_set(err, QF_EINVAL, "backtest: latency_bars must be >= 0, got %d",
                          c->latency_bars);
    if (!(c->max_participation > 0 && c->max_participation <= 1))
        return qf_err_set(err, QF_EINVAL, "backtest: max_participation must be in (0, 1], got %g",
                          c->max_participation);
    if (c->order_timeout_bars < 1)
        return qf_err_set(err, QF_EINVAL, "backtest: order_timeout_bars must be >= 1, got %d",
                          c->order_timeout_bars);
    if (!(c->initial_equity > 0) || !isfinite(c->initial_equity))
        return qf_err_set(err, QF_EINVAL, "backtest: initial equity must be positive, got %g",
                          c->initial_equity);
    if (!(c->min_trade_usd >= 0) || !isfinite(c->min_trade_usd))
        return qf_err_set(err, QF_EINVAL, "backtest: min_trade_usd must be >= 0, got %g",
                          c->min_trade_usd);
    return QF_OK;
}

/* A working order: the target order of a symbol or an explicit one. */
typedef struct working {
    int active;
    size_t rec; /* index into the order records */
    size_t sym;
    double remaining;    /* signed */
    size_t eligible_bar; /* first bar index of the symbol it may fill in */
    int bars_worked;
    int timeout;
    int limit; /* 1: a limit order at limit_price */
    double limit_price;
    int fill_now; /* explicit market order with fill_at close, placed this close */
} working;

typedef struct engine {
    const qf_engine_config *c;
    const qf_bars *bars;
    size_t n_sym;
    qf_ledger ledger;
    qf_backtest_result *r;
    size_t cap_fills, cap_orders;
    working *work; /* target order per symbol */
    working *xw;   /* explicit orders in the order they were placed */
    size_t n_xw, cap_xw;
    double *vol_left; /* what max_participation still allows in the current bar */
    double *marks;
    double *dv_sum; /* close*volume over the ADV window ending at the last bar seen */
    size_t *cursor; /* next bar index per symbol */
    qf_bars *views;
    double *targets;
    double *held; /* position fractions for the strategy context */
    int64_t now;  /* the close being decided */
    int deciding; /* inside on_bar: explicit orders accepted */
    qf_order_api api;
} engine;

static qf_rc grow(void **arr, size_t *cap, size_t need, size_t size, qf_err *err)
{
    if (need <= *cap)
        return QF_OK;
    size_t n = *cap ? *cap * 2 : 256;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * size);
    if (p == NULL)
        return qf_err_set(err, QF_ENOMEM, "backtest: out of memory");
    *arr = p;
    *cap = n;
    return QF_OK;
}

/* ADV over the window ending at the last bar added (count bars). */
static double adv(const engine *e, size_t s, size_t count)
{
    size_t w = (size_t)e->c->costs.adv_window;
    size_t k = count < w ? count : w;
    return k > 0 ? e->dv_sum[s] / (double)k : 0.0;
}

static void add_bar_to_adv(engine *e, size_t s, size_t i)
{
    const qf_bars *b = &e->bars[s];
    size_t w = (size_t)e->c->costs.adv_window;
    e->dv_sum[s] += b->close[i] * b->volume[i];
    if (i >= w)
        e->dv_sum[s] -= b->close[i - w] * b->volume[i - w];
}

/* Fills what it can of working order w in the current bar at raw price (the
 * open or close for a market order, the limit or a better open for a limit
 * one), within what the bar's participation cap still allows. */
static qf_rc fill_at(engine *e, working *w, double raw, double adv_value, int64_t time, qf_err *err)
{
    const qf_engine_config *c = e->c;
    size_t s = w->sym;
    double side = w->remaining > 0 ? 1.0 : -1.0;
    double qty = fabs(w->remaining);
    int capped_by_cash = 0;
    if (qty > e->vol_left[s])
        qty = e->vol_left[s];
    double held = e->ledger.pos[s].qty;
    if (!c->allow_short && side < 0 && qty > held)
        qty = held > 0 ? held : 0; /* long-only: sell at most what is held */
    double notional = qty * raw;
    double part = 0, slip = 0, fee_rate = c->costs.maker_fee_bps / 1e4;
    if (!w->limit) { /* a taker crosses half the spread and moves the price */
        part = adv_value > 0 ? notional / adv_value : 0.0;
        slip = (c->costs.fixed_spread_bps + c->costs.linear_impact_bps * part) / 1e4;
        fee_rate = c->costs.taker_fee_bps / 1e4;
    }
    double price = raw * (1.0 + side * slip);
    if (side > 0) {
        double afford = e->ledger.cash / (price * (1.0 + fee_rate));
        if (qty > afford) {
            qty = afford > 0 ? afford : 0;
            capped_by_cash = 1;
        }
    }
    if (qty * raw <= 1e-9) {
        if (capped_by_cash || (!c->allow_short && side < 0 && held <= 0))
            w->remaining = 0;
        return QF_OK;
    }
    double fee = qty * price * fee_rate;
    qf_rc rc =
        grow((void **)&e->r->fills, &e->cap_fills, e->r->n_fills + 1, sizeof(qf_bt_fill), err);
    if (rc == QF_OK)
        rc = qf_ledger_fill(&e->ledger, s, time, side * qty, price, fee, err);
    if (rc != QF_OK)
        return rc;
    qf_bt_fill *f = &e->r->fills[e->r->n_fills++];
    qf_bt_order *o = &e->r->orders[w->rec];
    double spread_cost = w->limit ? 0.0 : qty * raw * c->costs.fixed_spread_bps / 1e4;
    double impact_cost = w->limit ? 0.0 : qty * raw * c->costs.linear_impact_bps * part / 1e4;
    *f = (qf_bt_fill){.time = time,
                      .symbol = s,
                      .order_id = o->id,
                      .qty = side * qty,
                      .price = price,
                      .fee = fee,
                      .spread_cost = spread_cost,
                      .impact_cost = impact_cost,
                      .maker = w->limit};
    e->vol_left[s] -= qty;
    e->r->traded_notional += qty * price;
    e->r->fees += fee;
    e->r->spread_cost += f->spread_cost;
    e->r->impact_cost += f->impact_cost;
    o->filled += side * qty;
    w->remaining -= side * qty;
    if (capped_by_cash || fabs(w->remaining) <= 1e-12 * fabs(o->qty))
        w->remaining = 0;
    if (c->on_fill != NULL)
        c->on_fill(c->user, &e->ledger, f, e->marks);
    return QF_OK;
}

/* After an attempt: closes a done order, or counts a bar towards expiry. */
static void settle(engine *e, working *w)
{
    if (!w->active)
        return;
    qf_bt_order *o = &e->r->orders[w->rec];
    if (w->remaining == 0) {
        o->status = o->filled != 0 ? QF_BT_FILLED : QF_BT_CANCELLED;
        w->active = 0;
    } else if (++w->bars_worked >= w->timeout) {
        o->status = QF_BT_EXPIRED;
        w->active = 0;
    }
}

/* Works order w in bar i of its symbol (next_open timing): a market order at
 * the open, a limit order when the bar reaches its limit. */
static qf_rc work_order(engine *e, working *w, size_t i, int64_t t, qf_err *err)
{
    const qf_bars *b = &e->bars[w->sym];
    qf_rc rc = QF_OK;
    if (!w->limit)
        rc = fill_at(e, w, b->open[i], adv(e, w->sym, i), t, err);
    else if (w->remaining > 0 && b->low[i] <= w->limit_price)
        rc = fill_at(e, w, fmin(w->limit_price, b->open[i]), 0, t, err);
    else if (w->remaining < 0 && b->high[i] >= w->limit_price)
        rc = fill_at(e, w, fmax(w->limit_price, b->open[i]), 0, t, err);
    settle(e, w);
    return rc;
}

static qf_rc new_order(engine *e, size_t s, double qty, int64_t time, const qf_order_request *req,
                       size_t *out_rec, qf_err *err)
{
    qf_rc rc =
        grow((void **)&e->r->orders, &e->cap_orders, e->r->n_orders + 1, sizeof(qf_bt_order), err);
    if (rc != QF_OK)
        return rc;
    size_t k = e->r->n_orders++;
    e->r->orders[k] = (qf_bt_order){.id = (int64_t)k + 1,
                                    .symbol = s,
                                    .decided_at = time,
                                    .qty = qty,
                                    .status = QF_BT_WORKING,
                                    .type = req ? req->type : QF_ORDER_MARKET,
                                    .limit_price = req ? req->limit_price : 0.0,
                                    .explicit_order = req != NULL};
    *out_rec = k;
    return QF_OK;
}

static qf_rc decide(engine *e, size_t s, size_t i, double equity, double target, int64_t time,
                    qf_err *err)
{
    const qf_engine_config *c = e->c;
    working *w = &e->work[s];
    if (isnan(target)) /* the strategy leaves this symbol's target order alone */
        return QF_OK;
    if (!c->allow_short && target < 0)
        target = 0;
    if (target > 1)
        target = 1;
    if (target < -1)
        target = -1;
    double close = e->bars[s].close[i];
    double delta = target * equity / close - e->ledger.pos[s].qty;
    if (w->active && (delta > 0) == (w->remaining > 0) && fabs(delta) * close >= c->min_trade_usd &&
        c->fill_at == QF_FILL_NEXT_OPEN) {
        /* Same side: amend the working order's quantity. It keeps its place
         * (eligibility, age), so latency is not paid again every bar. */
        qf_bt_order *o = &e->r->orders[w->rec];
        w->remaining = delta;
        o->qty = o->filled + delta;
        return QF_OK;
    }
    if (w->active) {
        e->r->orders[w->rec].status = QF_BT_CANCELLED;
        w->active = 0;
    }
    if (!(fabs(delta) * close >= c->min_trade_usd) || fabs(delta) * close <= 1e-9)
        return QF_OK;
    size_t k;
    qf_rc rc = new_order(e, s, delta, time, NULL, &k, err);
    if (rc != QF_OK)
        return rc;
    *w = (working){.active = 1,
                   .rec = k,
                   .sym = s,
                   .remaining = delta,
                   .eligible_bar = i + 1 + (size_t)c->latency_bars,
                   .timeout = c->order_timeout_bars};
    if (c->fill_at == QF_FILL_CLOSE) {
        rc = fill_at(e, w, close, adv(e, s, i + 1), time, err);
        if (rc != QF_OK)
            return rc;
        /* a close fill is all or nothing for this bar: the next decision
         * replaces any remainder */
        settle(e, w);
    }
    return QF_OK;
}

/* ctx->orders->submit of the event engine. */
static qf_rc api_submit(void *venue, const qf_order_request *o, int64_t *out_id, qf_err *err)
{
    engine *e = venue;
    if (!e->deciding)
        return qf_err_set(err, QF_ESTATE, "backtest: orders can only be placed from on_bar");
    if (o->symbol >= e->n_sym)
        return qf_err_set(err, QF_EINVAL, "backtest: order for symbol %zu, only %zu symbols",
                          o->symbol, e->n_sym);
    if (!isfinite(o->qty) || o->qty == 0)
        return qf_err_set(err, QF_EINVAL,
                          "backtest: order quantity must be finite and non-zero, got %g", o->qty);
    if (o->type != QF_ORDER_MARKET && o->type != QF_ORDER_LIMIT)
        return qf_err_set(err, QF_EINVAL, "backtest: unknown order type %d", (int)o->type);
    if (o->type == QF_ORDER_LIMIT && (!(o->limit_price > 0) || !isfinite(o->limit_price)))
        return qf_err_set(err, QF_EINVAL, "backtest: limit price must be positive, got %g",
                          o->limit_price);
    if (o->timeout_bars < 0)
        return qf_err_set(err, QF_EINVAL, "backtest: order timeout_bars must be >= 0, got %d",
                          o->timeout_bars);
    qf_rc rc = grow((void **)&e->xw, &e->cap_xw, e->n_xw + 1, sizeof *e->xw, err);
    size_t k = 0;
    if (rc == QF_OK)
        rc = new_order(e, o->symbol, o->qty, e->now, o, &k, err);
    if (rc != QF_OK)
        return rc;
    size_t next = e->views[o->symbol].n; /* the symbol's next bar */
    int close_now = e->c->fill_at == QF_FILL_CLOSE && o->type == QF_ORDER_MARKET && next > 0 &&
                    e->bars[o->symbol].open_time[next - 1] == e->now;
    e->xw[e->n_xw++] =
        (working){.active = 1,
                  .rec = k,
                  .sym = o->symbol,
                  .remaining = o->qty,
                  .eligible_bar = next + (close_now ? 0 : (size_t)e->c->latency_bars),
                  .timeout = o->timeout_bars > 0 ? o->timeout_bars : e->c->order_timeout_bars,
                  .limit = o->type == QF_ORDER_LIMIT,
                  .limit_price = o->limit_price,
                  .fill_now = close_now};
    if (out_id != NULL)
        *out_id = e->r->orders[k].id;
    return QF_OK;
}

static working *find_working(engine *e, int64_t id)
{
    if (id < 1 || (size_t)id > e->r->n_orders)
        return NULL;
    size_t rec = (size_t)id - 1;
    for (size_t j = 0; j < e->n_xw; j++)
        if (e->xw[j].active && e->xw[j].rec == rec)
            return &e->xw[j];
    working *w = &e->work[e->r->orders[rec].symbol];
    return w->active && w->rec == rec ? w : NULL;
}

static qf_rc api_cancel(void *venue, int64_t id, qf_err *err)
{
    engine *e = venue;
    working *w = find_working(e, id);
    if (w == NULL)
        return qf_err_set(err, QF_ENOTFOUND, "backtest: order %lld is not working", (long long)id);
    e->r->orders[w->rec].status = QF_BT_CANCELLED;
    w->active = 0;
    return QF_OK;
}

static qf_rc api_query(void *venue, int64_t id, double *out_filled, int *out_working, qf_err *err)
{
    engine *e = venue;
    if (id < 1 || (size_t)id > e->r->n_orders)
        return qf_err_set(err, QF_ENOTFOUND, "backtest: no order %lld", (long long)id);
    const qf_bt_order *o = &e->r->orders[id - 1];
    if (out_filled != NULL)
        *out_filled = o->filled;
    if (out_working != NULL)
        *out_working = o->status == QF_BT_WORKING;
    return QF_OK;
}

/* Drops the explicit orders that are done, keeping the placement order. */
static void compact_explicit(engine *e)
{
    size_t k = 0;
    for (size_t j = 0; j < e->n_xw; j++)
        if (e->xw[j].active)
            e->xw[k++] = e->xw[j];
    e->n_xw = k;
}

static size_t timeline_length(const qf_bars *bars, size_t n_sym, size_t *cursor)
{
    size_t n = 0;
    memset(cursor, 0, n_sym * sizeof *cursor);
    for (;;) {
        int64_t t = INT64_MAX;
        for (size_t s = 0; s < n_sym; s++)
            if (cursor[s] < bars[s].n && bars[s].open_time[cursor[s]] < t)
                t = bars[s].open_time[cursor[s]];
        if (t == INT64_MAX)
            break;
        for (size_t s = 0; s < n_sym; s++)
            if (cursor[s] < bars[s].n && bars[s].open_time[cursor[s]] == t)
                cursor[s]++;
        n++;
    }
    memset(cursor, 0, n_sym * sizeof *cursor);
    return n;
}

static qf_rc setup(engine *e, const qf_engine_config *c, const qf_bars *bars, size_t n_sym,
                   qf_backtest_result *r, qf_err *err)
{
    memset(e, 0, sizeof *e);
    e->c = c;
    e->bars = bars;
    e->n_sym = n_sym;
    e->r = r;
    e->work = calloc(n_sym, sizeof *e->work);
    e->marks = calloc(n_sym, sizeof *e->marks);
    e->dv_sum = calloc(n_sym, sizeof *e->dv_sum);
    e->cursor = calloc(n_sym, sizeof *e->cursor);
    e->views = calloc(n_sym, sizeof *e->views);
    e->targets = calloc(n_sym, sizeof *e->targets);
    e->held = calloc(n_sym, sizeof *e->held);
    e->vol_left = calloc(n_sym, sizeof *e->vol_left);
    e->api = (qf_order_api){e, api_submit, api_cancel, api_query};
    if (!e->vol_left || !e->work || !e->marks || !e->dv_sum || !e->cursor || !e->views ||
        !e->targets || !e->held)
        return qf_err_set(err, QF_ENOMEM, "backtest: out of memory");
    size_t n = timeline_length(bars, n_sym, e->cursor);
    r->n = n;
    r->n_symbols = n_sym;
    r->time = malloc((n ? n : 1) * sizeof *r->time);
    r->equity = malloc((n ? n : 1) * sizeof *r->equity);
    r->positions = malloc((n ? n : 1) * n_sym * sizeof *r->positions);
    if (!r->time || !r->equity || !r->positions)
        return qf_err_set(err, QF_ENOMEM, "backtest: out of memory for %zu bars", n);
    for (size_t s = 0; s < n_sym; s++) {
        e->views[s] = bars[s];
        e->views[s].n = 0;
    }
    return qf_ledger_init(&e->ledger, n_sym, c->initial_equity, err);
}

static void teardown(engine *e)
{
    free(e->work);
    free(e->marks);
    free(e->dv_sum);
    free(e->cursor);
    free(e->views);
    free(e->targets);
    free(e->held);
    free(e->vol_left);
    free(e->xw);
    qf_ledger_cleanup(&e->ledger);
}

/* One close of the timeline. has[s] is the symbol's bar index or SIZE_MAX. */
static qf_rc step(engine *e, size_t k, int64_t t, const size_t *has, const qf_strategy_def *def,
                  void *state, qf_err *err)
{
    const qf_engine_config *c = e->c;
    qf_rc rc = QF_OK;
    for (size_t s = 0; s < e->n_sym; s++)
        if (has[s] != SIZE_MAX)
            e->vol_left[s] = c->max_participation * e->bars[s].volume[has[s]];
    /* FILL: target orders first, then explicit ones in placement order */
    for (size_t s = 0; s < e->n_sym && rc == QF_OK; s++) {
        working *w = &e->work[s];
        if (has[s] != SIZE_MAX && c->fill_at == QF_FILL_NEXT_OPEN && w->active &&
            has[s] >= w->eligible_bar)
            rc = work_order(e, w, has[s], t, err);
    }
    for (size_t j = 0; j < e->n_xw && rc == QF_OK; j++) {
        working *w = &e->xw[j];
        size_t i = has[w->sym];
        if (w->active && i != SIZE_MAX && i >= w->eligible_bar)
            rc = work_order(e, w, i, t, err);
    }
    compact_explicit(e);
    if (rc != QF_OK)
        return rc;
    for (size_t s = 0; s < e->n_sym; s++) {
        size_t i = has[s];
        if (i == SIZE_MAX)
            continue;
        add_bar_to_adv(e, s, i);
        e->marks[s] = e->bars[s].close[i];
        e->views[s].n = i + 1;
    }
    /* MARK */
    double equity = qf_ledger_equity(&e->ledger, e->marks);
    int in_market = 0;
    for (size_t s = 0; s < e->n_sym; s++) {
        in_market |= e->ledger.pos[s].qty != 0;
        e->held[s] = e->ledger.pos[s].qty * e->marks[s] / equity;
    }
    e->r->bars_in_market += (size_t)in_market;
    if (k + 1 < e->r->n) { /* no decision at the last close: nothing follows it */
        /* SIGNAL, ORDER */
        qf_strategy_ctx ctx = {e->views, e->n_sym, k, e->held, equity, &e->api};
        e->now = t;
        e->deciding = 1;
        rc = def->on_bar(state, &ctx, e->targets, err);
        e->deciding = 0;
        for (size_t s = 0; s < e->n_sym && rc == QF_OK; s++)
            if (has[s] != SIZE_MAX)
                rc = decide(e, s, has[s], equity, e->targets[s], t, err);
        /* explicit market orders with fill_at close, after the target orders */
        for (size_t j = 0; j < e->n_xw && rc == QF_OK; j++) {
            working *w = &e->xw[j];
            if (!w->fill_now)
                continue;
            w->fill_now = 0;
            size_t i = has[w->sym];
            rc = fill_at(e, w, e->bars[w->sym].close[i], adv(e, w->sym, i + 1), t, err);
            settle(e, w);
        }
        compact_explicit(e);
        if (rc != QF_OK)
            return rc;
        if (c->fill_at == QF_FILL_CLOSE)
            equity = qf_ledger_equity(&e->ledger, e->marks);
    }
    e->r->time[k] = t;
    e->r->equity[k] = equity;
    for (size_t s = 0; s < e->n_sym; s++)
        e->r->positions[k * e->n_sym + s] = e->ledger.pos[s].qty;
    return QF_OK;
}

static qf_rc check_bars(const qf_bars *bars, size_t n_sym, qf_err *err)
{
    if (n_sym == 0 || bars == NULL)
        return qf_err_set(err, QF_EINVAL, "backtest: no symbols");
    for (size_t s = 0; s < n_sym; s++) {
        if (bars[s].n < 2)
            return qf_err_set(err, QF_EINVAL, "backtest: symbol %zu has %zu bars, need at least 2",
                              s, bars[s].n);
        for (size_t i = 0; i < bars[s].n; i++) {
            double o = bars[s].open[i], cl = bars[s].close[i], v = bars[s].volume[i];
            if (!(o > 0) || !(cl > 0) || !isfinite(o) || !isfinite(cl) || !(v >= 0) ||
                !isfinite(v) || (i > 0 && bars[s].open_time[i] <= bars[s].open_time[i - 1]))
                return qf_err_set(err, QF_EINVAL,
                                  "backtest: symbol %zu bar %zu is not a valid candle (NaN, "
                                  "non-positive price or time out of order)",
                                  s, i);
        }
    }
    return QF_OK;
}

qf_rc qf_backtest_run(const qf_engine_config *c, const qf_strategy_def *def,
                      const qf_strategy_params *p, const qf_bars *bars, size_t n_symbols,
                      qf_backtest_result *out, qf_err *err)
{
    memset(out, 0, sizeof *out);
    qf_rc rc = qf_engine_config_check(c, err);
    if (rc == QF_OK)
        rc = check_bars(bars, n_symbols, err);
    if (rc == QF_OK && def != NULL)
        rc = qf_strategy_params_check_names(def, p, err);
    if (rc != QF_OK)
        return rc;
    void *state = NULL;
    rc = def->init(p, n_symbols, &state, err);
    if (rc != QF_OK)
        return rc;
    rc = qf_strategy_check_history(def, state, bars, n_symbols, err);
    if (rc != QF_OK) {
        def->free(state);
        return rc;
    }
    engine e;
    qf_backtest_result r;
    memset(&r, 0, sizeof r);
    rc = setup(&e, c, bars, n_symbols, &r, err);
    size_t *has = calloc(n_symbols, sizeof *has);
    if (rc == QF_OK && has == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "backtest: out of memory");
    for (size_t k = 0; rc == QF_OK && k < r.n; k++) {
        int64_t t = INT64_MAX;
        for (size_t s = 0; s < n_symbols; s++)
            if (e.cursor[s] < bars[s].n && bars[s].open_time[e.cursor[s]] < t)
                t = bars[s].open_time[e.cursor[s]];
        for (size_t s = 0; s < n_symbols; s++) {
            has[s] = SIZE_MAX;
            if (e.cursor[s] < bars[s].n && bars[s].open_time[e.cursor[s]] == t)
                has[s] = e.cursor[s]++;
        }
        rc = step(&e, k, t, has, def, state, err);
        if (c->progress != NULL && (k % 256 == 255 || k + 1 == r.n))
            c->progress(c->progress_user, k + 1, r.n);
    }
    free(has);
    def->free(state);
    if (rc == QF_OK) {
        r.cash = e.ledger.cash;
        r.trades = e.ledger.trades; /* ownership moves to the result */
        r.n_trades = e.ledger.n_trades;
        e.ledger.trades = NULL;
        *out = r;
    } else {
        qf_backtest_result_free(&r);
    }
    teardown(&e);
    return rc;
}

void qf_backtest_result_free(qf_backtest_result *r)
{
    free(r->time);
    free(r->equity);
    free(r->positions);
    free(r->fills);
    free(r->orders);
    free(r->trades);
    memset(r, 0, sizeof *r);
}
