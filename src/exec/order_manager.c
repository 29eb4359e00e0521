/*
 * order_manager.c - submitting an order (order_manager.h): the signal's
 * latest attempt, trading rules and risk checks, the pending row written
 * before the one send, and what the send's answer makes of it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "exec/client_id.h"
#include "exec/order_manager_int.h"
#include "market/rules.h"

qf_om_options qf_om_options_from_config(const qf_config *cfg)
{
    qf_om_options o;
    memset(&o, 0, sizeof o);
    o.order_timeout_seconds = cfg->execution.order_timeout_seconds;
    o.min_unknown_queries = 3;
    o.max_queries = 8;
    o.backoff_ms = 250;
    o.grace_ms = -1;
    o.check_risk = true;
    o.limits = qf_risk_limits_from_config(&cfg->risk);
    for (size_t i = 0; i < cfg->universe.n_symbols; i++) {
        const char *q = strchr(cfg->universe.symbols[i], '/');
        if (q == NULL || (i > 0 && strcmp(o.quote_asset, q + 1) != 0)) {
            o.quote_asset[0] = '\0';
            break;
        }
        snprintf(o.quote_asset, sizeof o.quote_asset, "%s", q + 1);
    }
    return o;
}

int64_t qf_om__now(const qf_order_manager *om)
{
    return om->opt.now_ms ? om->opt.now_ms(om->opt.clock_ctx) : qf_time_now_ms();
}

void qf_om__sleep(const qf_order_manager *om, int64_t ms)
{
    if (om->opt.sleep_ms) {
        om->opt.sleep_ms(om->opt.clock_ctx, ms);
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* The estimator covers the account's last fills, not only this process's:
 * a restarted worker (or one `quantflow order` run) reports the same
 * figures. Walks the stored fills newest first, keeping those whose order
 * had an expected price, then records them oldest first. */
static qf_rc seed_slippage(qf_order_manager *om, qf_err *err)
{
    qf_fill_row *f = NULL;
    size_t n = 0;
    qf_rc rc = qf_store_list_fills(om->store, om->venue.account, NULL, &f, &n, err);
    if (rc != QF_OK)
        return rc;
    size_t keep[QF_SLIPPAGE_WINDOW];
    double expected[QF_SLIPPAGE_WINDOW];
    size_t k = 0;
    qf_order_row row;
    row.order.client_id[0] = '\0';
    for (size_t i = n; i-- > 0 && k < QF_SLIPPAGE_WINDOW && rc == QF_OK;) {
        if (strcmp(row.order.client_id, f[i].fill.client_id) != 0)
            rc = qf_store_get_order(om->store, f[i].fill.client_id, &row, err);
        if (rc == QF_OK && isfinite(row.expected_price) && row.expected_price > 0.0) {
            keep[k] = i;
            expected[k++] = row.expected_price;
        }
    }
    while (rc == QF_OK && k-- > 0) {
        const qf_fill *x = &f[keep[k]].fill;
        qf_rc src = qf_slippage_record(&om->slippage, expected[k], x->price, x->side, x->quantity,
                                       NULL, NULL);
        (void)src; /* a stored value the estimator refuses is only left out */
    }
    free(f);
    return rc;
}

qf_rc qf_om_new(const qf_venue *venue, qf_store *store, qf_portfolio *pf, qf_killswitch *ks,
                const qf_om_options *opts, qf_order_manager **out, qf_err *err)
{
    if (!venue || !venue->ops || !store || !pf || !opts || !out)
        return qf_err_set(err, QF_EINVAL, "order manager: venue, store and portfolio required");
    if (opts->min_unknown_queries < 1 || opts->max_queries < 1 || opts->backoff_ms < 0 ||
        opts->order_timeout_seconds < 0)
        return qf_err_set(err, QF_EINVAL,
                          "order manager: lookups must be >= 1, backoff and timeout >= 0");
    if (opts->check_risk) {
        qf_rc rc = qf_risk_limits_check(&opts->limits, err);
        if (rc != QF_OK)
            return qf_err_prefix(err, "order manager");
    }
    qf_order_manager *om = calloc(1, sizeof *om);
    if (!om)
        return qf_err_set(err, QF_ENOMEM, "order manager: out of memory");
    om->venue = *venue;
    om->store = store;
    om->pf = pf;
    om->ks = ks;
    om->opt = *opts;
    qf_slippage_init(&om->slippage);
    qf_rc rc = seed_slippage(om, err);
    if (rc != QF_OK) {
        free(om);
        return qf_err_prefix(err, "order manager: slippage of the stored fills");
    }
    om->grace_ms = opts->grace_ms >= 0 ? opts->grace_ms : venue->unknown_grace_ms;
    if (om->grace_ms == 0 && opts->min_unknown_queries > 1)
        om->opt.min_unknown_queries = 1; /* a venue that knows at once (paper) */
    *out = om;
    return QF_OK;
}

void qf_om_free(qf_order_manager *om)
{
    free(om);
}

const qf_slippage *qf_om_slippage(const qf_order_manager *om)
{
    return &om->slippage;
}

static qf_rc check_intent(const qf_order_intent *in, qf_err *err)
{
    if (!in || !in->symbol[0])
        return qf_err_set(err, QF_EINVAL, "order: no symbol");
    if (in->side != QF_SIDE_BUY && in->side != QF_SIDE_SELL)
        return qf_err_set(err, QF_EINVAL, "order: side must be buy or sell");
    if (in->type != QF_ORDER_MARKET && in->type != QF_ORDER_LIMIT)
        return qf_err_set(err, QF_EINVAL, "order: type must be market or limit");
    if (in->tif != QF_TIF_GTC && in->tif != QF_TIF_IOC && in->tif != QF_TIF_FOK)
        return qf_err_set(err, QF_EINVAL, "order: time in force must be gtc, ioc or fok");
    if (!isfinite(in->quantity) || in->quantity <= 0.0)
        return qf_err_set(err, QF_EINVAL, "order: quantity must be a positive number");
    if (in->type == QF_ORDER_LIMIT && (!isfinite(in->limit_price) || in->limit_price <= 0.0))
        return qf_err_set(err, QF_EINVAL, "order: limit price must be a positive number");
    return QF_OK;
}

static qf_rc make_id(const qf_order_manager *om, const char *symbol, int64_t key_time, qf_side side,
                     int attempt, char *out, qf_err *err)
{
    return qf_client_id_make(om->venue.account, om->venue.exchange, symbol, key_time, side, attempt,
                             out, QF_ORDER_ID_MAX, err);
}

/* The signal's latest attempt at this account and exchange: *out_attempt =
 * 0 when it has none. The id is scoped by both, so a row of another account
 * or exchange under it is a hash collision: refused, never taken for ours. */
static qf_rc latest_attempt(qf_order_manager *om, const char *symbol, int64_t key_time,
                            qf_side side, qf_order_row *out, int *out_attempt, qf_err *err)
{
    *out_attempt = 0;
    for (int a = 1; a <= QF_CLIENT_ID_MAX_ATTEMPT; a++) {
        char id[QF_ORDER_ID_MAX];
        qf_rc rc = make_id(om, symbol, key_time, side, a, id, err);
        if (rc != QF_OK)
            return rc;
        qf_order_row row;
        qf_err gerr;
        rc = qf_store_get_order(om->store, id, &row, &gerr);
        if (rc == QF_ENOTFOUND)
            return QF_OK;
        if (rc != QF_OK) {
            if (err)
                *err = gerr;
            return qf_err_prefix(err, "order %s", id);
        }
        if (strcmp(row.account, om->venue.account) != 0 ||
            strcmp(row.order.exchange, om->venue.exchange) != 0 ||
            strcmp(row.order.symbol, symbol) != 0 || row.order.side != side)
            return qf_err_set(err, QF_EEXIST,
                              "order %s: the id is taken by a %s order of %s at %s (%s %s); "
                              "not this signal's",
                              id, row.account, row.order.symbol, row.order.exchange,
                              qf_order_status_name(row.order.status),
                              row.order.side == QF_SIDE_BUY ? "buy" : "sell");
        *out = row;
        *out_attempt = a;
    }
    return qf_err_set(err, QF_ERANGE, "order: the signal has used every attempt number");
}

/* The price the order is judged at: the intent's, else the ticker's mid. */
static qf_rc reference_price(qf_order_manager *om, const qf_order_intent *in, double *out_price,
                             int64_t *out_time, qf_err *err)
{
    *out_time = in->data_time >= 0 ? in->data_time : qf_om__now(om);
    if (isfinite(in->expected_price) && in->expected_price > 0.0) {
        *out_price = in->expected_price;
        return QF_OK;
    }
    qf_ticker t;
    qf_rc rc = om->venue.ops->ticker(om->venue.ctx, in->symbol, &t, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order: price of %s", in->symbol);
    if (!isfinite(t.bid) || !isfinite(t.ask) || t.bid <= 0.0 || t.ask <= 0.0)
        return qf_err_set(err, QF_EPARSE, "order: ticker of %s has no bid/ask", in->symbol);
    *out_price = (t.bid + t.ask) / 2.0;
    if (in->data_time < 0 && t.time > 0)
        *out_time = t.time;
    return QF_OK;
}

static void init_row(qf_order_manager *om, const qf_order_intent *in, const char *client_id,
                     int attempt, double qty, double price, double expected, qf_order_row *row)
{
    memset(row, 0, sizeof *row);
    qf_order *o = &row->order;
    snprintf(o->client_id, sizeof o->client_id, "%s", client_id);
    snprintf(o->exchange, sizeof o->exchange, "%s", om->venue.exchange);
    snprintf(o->symbol, sizeof o->symbol, "%s", in->symbol);
    o->side = in->side;
    o->type = in->type;
    o->tif = in->tif;
    o->quantity = qty;
    o->limit_price = in->type == QF_ORDER_LIMIT ? price : NAN;
    o->avg_fill_price = NAN;
    o->status = QF_ORDER_PENDING;
    o->created_at = qf_om__now(om);
    o->updated_at = o->created_at;
    snprintf(row->account, sizeof row->account, "%s", om->venue.account);
    row->bar_time = in->bar_time >= 0 ? in->bar_time : -1;
    row->attempt = attempt;
    row->expected_price = expected;
}

/* Stores an order refused before sending, as rejected with the reason. */
static qf_rc store_refused(qf_order_manager *om, qf_order_row *row, const char *reason, qf_err *err)
{
    row->order.status = QF_ORDER_REJECTED;
    snprintf(row->reason, sizeof row->reason, "%s", reason);
    qf_rc rc = qf_store_insert_order(om->store, row, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order %s", row->order.client_id);
    return qf_err_set(err, QF_EREJECTED, "order %s refused: %s", row->order.client_id, reason);
}

/* The risk checks' view of the portfolio, marked at ref for the symbol. */
static qf_rc run_risk(qf_order_manager *om, qf_order_row *row, double ref, int64_t data_time,
                      qf_risk_verdict *v, qf_err *err)
{
    qf_rc rc = qf_portfolio_mark(om->pf, row->order.symbol, ref, err);
    if (rc != QF_OK)
        return rc;
    size_t n = 0;
    const qf_position *pos = qf_portfolio_positions(om->pf, &n);
    qf_position *marked = n ? malloc(n * sizeof *marked) : NULL;
    if (n && !marked)
        return qf_err_set(err, QF_ENOMEM, "order: out of memory");
    for (size_t i = 0; i < n; i++) {
        marked[i] = pos[i];
        if (!isfinite(marked[i].mark_price) || marked[i].mark_price <= 0.0)
            marked[i].mark_price = marked[i].avg_entry;
    }
    int64_t now = qf_om__now(om);
    qf_snapshot snap = qf_portfolio_snapshot(om->pf, now);
    qf_risk_portfolio rp = {
        .equity = snap.equity,
        .peak_equity = snap.drawdown < 1.0 ? snap.equity / (1.0 - snap.drawdown) : 0.0,
        .positions = marked,
        .n_positions = n,
        .kill_switch_engaged = om->ks ? qf_killswitch_engaged(om->ks) : 0,
    };
    double working = 0.0;
    qf_order_row *open = NULL;
    size_t n_open = 0;
    unsigned mask = (1u << QF_ORDER_PENDING) | (1u << QF_ORDER_UNCONFIRMED) |
                    (1u << QF_ORDER_OPEN) | (1u << QF_ORDER_PARTIALLY_FILLED);
    rc = qf_store_list_orders(om->store, om->venue.account, mask, &open, &n_open, err);
    for (size_t i = 0; rc == QF_OK && i < n_open; i++)
        if (strcmp(open[i].order.symbol, row->order.symbol) == 0)
            working +=
                (double)open[i].order.side * (open[i].order.quantity - open[i].order.filled_qty);
    free(open);
    qf_risk_order ro = {
        .symbol = row->order.symbol,
        .quantity = (double)row->order.side * row->order.quantity,
        .price = ref,
        .working_qty = working,
        .data_time = data_time,
    };
    if (rc == QF_OK)
        rc = qf_risk_pre_trade(&om->opt.limits, &rp, &ro, now, v, err);
    free(marked);
    return rc;
}

static qf_rc check_risk(qf_order_manager *om, qf_order_row *row, double ref, int64_t data_time,
                        qf_err *err)
{
    qf_risk_verdict v;
    qf_rc rc = run_risk(om, row, ref, data_time, &v, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "order: risk checks");
    if (v.trip_kill_switch && om->ks) {
        qf_err kerr;
        if (qf_killswitch_trip(om->ks, v.message, "order_manager", qf_om__now(om), NULL, &kerr) !=
            QF_OK)
            return qf_err_set(err, kerr.code, "order: tripping the kill switch: %s", kerr.msg);
    }
    if (v.reason == QF_RISK_OK)
        return QF_OK;
    char reason[160];
    snprintf(reason, sizeof reason, "risk %s: %.130s", qf_risk_reason_name(v.reason), v.message);
    return store_refused(om, row, reason, err);
}

/* Codes after which the order certainly did not reach the venue. */
static bool not_sent(qf_rc rc)
{
    return rc == QF_ECONFIG || rc == QF_EINVAL || rc == QF_EUNSUPPORTED || rc == QF_ERATELIMIT;
}

/* What the adapter's on_send hook needs: it records sent_at immediately
 * before every send (after the rate-limiter wait and the signature), so
 * the "unknown order" grace counts from the last request the venue may
 * still accept, not from the pending row. */
typedef struct send_hook {
    qf_order_manager *om;
    const char *client_id;
    int sends;    /* requests handed to the venue */
    bool refused; /* closed by another process before a send: nothing sent */
    bool failed;  /* the hook failed (refused or a store error): that request not sent */
} send_hook;

static qf_rc on_send(void *ctx, qf_err *err)
{
    send_hook *h = ctx;
    qf_rc rc = qf_store_order_sending(h->om->store, h->client_id, qf_om__now(h->om), err);
    h->refused = rc == QF_ESTATE;
    h->failed = rc != QF_OK;
    if (rc == QF_OK)
        h->sends++;
    return rc;
}

/* The one send, and what its answer makes of the pending row. */
static qf_rc send(qf_order_manager *om, qf_order_row *row, qf_err *err)
{
    qf_order_req req;
    memset(&req, 0, sizeof req);
    snprintf(req.client_id, sizeof req.client_id, "%s", row->order.client_id);
    snprintf(req.symbol, sizeof req.symbol, "%s", row->order.symbol);
    req.side = row->order.side;
    req.type = row->order.type;
    req.tif = row->order.tif;
    req.quantity = row->order.quantity;
    req.limit_price = row->order.limit_price;
    send_hook hook = {.om = om, .client_id = row->order.client_id};
    req.on_send = on_send;
    req.on_send_ctx = &hook;
    qf_order_report rep;
    qf_trade *trades = NULL;
    size_t n_trades = 0;
    qf_err serr;
    qf_rc rc = om->venue.ops->submit(om->venue.ctx, &req, &rep, &trades, &n_trades, &serr);
    if (hook.refused) {
        /* Another process closed it (its grace ran out while we waited for
         * the rate limit) before this send: not sent (an earlier send of
         * this call, if any, was refused by the venue, else the adapter
         * would not have signed again); the row is theirs. */
        free(trades);
        qf_err gerr;
        if (qf_store_get_order(om->store, row->order.client_id, row, &gerr) != QF_OK) {
            if (err)
                *err = gerr;
            return qf_err_prefix(err, "order %s", req.client_id);
        }
        return qf_err_set(err, QF_ESTATE,
                          "order %s: closed by another process before it was sent (%s); "
                          "nothing sent",
                          req.client_id, row->reason);
    }
    if (rc == QF_OK) {
        rc = qf_om__apply_report(om, row, &rep, trades, n_trades, err);
        free(trades);
        if (rc == QF_OK && row->order.status == QF_ORDER_REJECTED)
            return qf_err_set(err, QF_EREJECTED, "order %s rejected by the venue",
                              row->order.client_id);
        return rc;
    }
    free(trades);
    /* A failed hook stopped the request before it left (any earlier one of
     * this call was refused by the venue, else the adapter would not have
     * signed again): not sent. */
    if (rc == QF_EREJECTED || rc == QF_ENOTFOUND || not_sent(rc) || (rc != QF_OK && hook.failed)) {
        row->order.status = QF_ORDER_REJECTED;
        snprintf(row->reason, sizeof row->reason, "%.159s", serr.msg);
        qf_rc prc = qf_om__persist(om, row, err);
        if (prc != QF_OK)
            return prc;
        return qf_err_set(err, rc == QF_ENOTFOUND ? QF_EREJECTED : rc, "order %s: %s",
                          row->order.client_id, serr.msg);
    }
    /* Unknown outcome: never re-sent, looked up by its client id. */
    row->order.status = QF_ORDER_UNCONFIRMED;
    snprintf(row->reason, sizeof row->reason, "%.159s", serr.msg);
    rc = qf_om__persist(om, row, err);
    if (rc != QF_OK || qf_om_status_closed(row->order.status))
        return rc; /* (closed: another process resolved it meanwhile) */
    return qf_om__resolve(om, row, err);
}

static qf_rc existing(qf_order_manager *om, qf_order_row *row, qf_order_row *out, qf_err *err)
{
    qf_rc rc = qf_om_poll(om, row->order.client_id, out, err);
    if (rc == QF_OK && out->order.status == QF_ORDER_REJECTED)
        return qf_err_set(err, QF_EREJECTED, "order %s rejected: %s", out->order.client_id,
                          out->reason);
    return rc;
}

qf_rc qf_om_submit(qf_order_manager *om, const qf_order_intent *in, qf_order_row *out, qf_err *err)
{
    qf_rc rc = check_intent(in, err);
    if (rc != QF_OK)
        return rc;
    const char *quote = strchr(in->symbol, '/');
    if (om->opt.quote_asset[0] && (quote == NULL || strcmp(quote + 1, om->opt.quote_asset) != 0))
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "order: the %s account's cash is kept in %s (the quote asset of "
                          "universe.symbols); %s is quoted in %s, whose fills it cannot book",
                          om->venue.account, om->opt.quote_asset, in->symbol,
                          quote != NULL ? quote + 1 : "?");
    int64_t key_time = in->bar_time >= 0 ? in->bar_time : qf_om__now(om);
    qf_order_row row;
    int attempt = 0;
    rc = latest_attempt(om, in->symbol, key_time, in->side, &row, &attempt, err);
    if (rc != QF_OK)
        return rc;
    /* The signal already has an order still working or that traded: that one. */
    if (attempt > 0 && (!qf_om_status_closed(row.order.status) || row.order.filled_qty > 0.0))
        return existing(om, &row, out, err);

    double ref = NAN;
    int64_t data_time = 0;
    rc = reference_price(om, in, &ref, &data_time, err);
    qf_symbol_rules rules;
    if (rc == QF_OK)
        rc = om->venue.ops->rules(om->venue.ctx, in->symbol, &rules, err);
    /* The venue's clock too, BEFORE the pending row: a slow time call must
     * not sit between the row and its send (the send records sent_at). */
    if (rc == QF_OK && om->venue.ops->sync_clock)
        rc = om->venue.ops->sync_clock(om->venue.ctx, err);
    if (rc != QF_OK)
        return rc;
    char id[QF_ORDER_ID_MAX];
    rc = make_id(om, in->symbol, key_time, in->side, attempt + 1, id, err);
    if (rc != QF_OK)
        return rc;

    double qty, price;
    char why[160];
    qf_rules_reason rr = qf_rules_apply(&rules, in->side, in->type, in->quantity, in->limit_price,
                                        ref, &qty, &price, why, sizeof why);
    init_row(om, in, id, attempt + 1, isfinite(qty) ? qty : in->quantity,
             isfinite(price) ? price : in->limit_price, ref, &row);
    if (rr != QF_RULES_OK) {
        char reason[160];
        snprintf(reason, sizeof reason, "%s: %.130s", qf_rules_reason_name(rr), why);
        rc = store_refused(om, &row, reason, err);
    } else if (om->opt.check_risk) {
        rc = check_risk(om, &row, in->type == QF_ORDER_LIMIT ? price : ref, data_time, err);
    }
    if (rc == QF_OK) {
        rc = qf_store_insert_order(om->store, &row, err); /* pending, BEFORE the send */
        if (rc == QF_OK)
            rc = send(om, &row, err);
        else if (rc == QF_EEXIST) /* another process got there first: its order */
            return existing(om, &row, out, err);
    }
    *out = row;
    return rc;
}
