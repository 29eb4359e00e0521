/*
 * ledger.c - backtest accounting (rules in ledger.h).
 */
#include "backtest/ledger.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

qf_rc qf_ledger_init(qf_ledger *l, size_t n_symbols, double cash, qf_err *err)
{
    memset(l, 0, sizeof *l);
    l->pos = calloc(n_symbols ? n_symbols : 1, sizeof *l->pos);
    l->open = calloc(n_symbols ? n_symbols : 1, sizeof *l->open);
    if (l->pos == NULL || l->open == NULL) {
        qf_ledger_cleanup(l);
        return qf_err_set(err, QF_ENOMEM, "ledger: out of memory");
    }
    l->n_symbols = n_symbols;
    l->cash = cash;
    return QF_OK;
}

void qf_ledger_cleanup(qf_ledger *l)
{
    free(l->pos);
    free(l->open);
    free(l->trades);
    memset(l, 0, sizeof *l);
}

double qf_ledger_equity(const qf_ledger *l, const double *marks)
{
    double e = l->cash;
    for (size_t s = 0; s < l->n_symbols; s++)
        e += l->pos[s].qty * marks[s];
    return e;
}

static qf_rc reserve_trade(qf_ledger *l, qf_err *err)
{
    if (l->n_trades < l->cap_trades)
        return QF_OK;
    size_t cap = l->cap_trades ? 2 * l->cap_trades : 64;
    qf_bt_trade *t = realloc(l->trades, cap * sizeof *t);
    if (t == NULL)
        return qf_err_set(err, QF_ENOMEM, "ledger: out of memory for %zu trades", cap);
    l->trades = t;
    l->cap_trades = cap;
    return QF_OK;
}

static void close_trade(qf_ledger *l, size_t s, int64_t time, double entry_price, int side)
{
    struct qf_open_trade *o = &l->open[s];
    qf_bt_trade *t = &l->trades[l->n_trades++];
    t->symbol = s;
    t->entry_time = o->entry_time;
    t->exit_time = time;
    t->max_qty = o->max_qty;
    t->entry_price = entry_price;
    t->exit_price = o->exit_qty > 0 ? o->exit_value / o->exit_qty : NAN;
    t->pnl = o->realized - o->fees;
    t->side = side;
    memset(o, 0, sizeof *o);
}

qf_rc qf_ledger_fill(qf_ledger *l, size_t s, int64_t time, double qty, double price, double fee,
                     qf_err *err)
{
    if (qty == 0)
        return QF_OK;
    qf_bt_position *p = &l->pos[s];
    struct qf_open_trade *o = &l->open[s];
    int reduces = p->qty != 0 && (p->qty > 0) != (qty > 0);
    int closes = reduces && fabs(qty) >= fabs(p->qty);
    if (closes && reserve_trade(l, err) != QF_OK)
        return QF_ENOMEM;
    l->cash -= qty * price + fee;
    l->fees += fee;
    p->fees += fee;
    if (!o->open) {
        o->open = 1;
        o->entry_time = time;
    }
    if (!reduces) {
        double q = p->qty + qty;
        p->avg_entry = (p->avg_entry * fabs(p->qty) + price * fabs(qty)) / fabs(q);
        p->qty = q;
        o->fees += fee;
        if (fabs(q) > o->max_qty)
            o->max_qty = fabs(q);
        return QF_OK;
    }
    double closed = closes ? fabs(p->qty) : fabs(qty);
    double side = p->qty > 0 ? 1.0 : -1.0;
    double pnl = (price - p->avg_entry) * closed * side;
    p->realized_pnl += pnl;
    /* the fee is shared pro rata between the closing and the opening part */
    double fee_close = fee * closed / fabs(qty);
    o->realized += pnl;
    o->fees += fee_close;
    o->exit_qty += closed;
    o->exit_value += closed * price;
    if (!closes) {
        p->qty += qty;
        return QF_OK;
    }
    close_trade(l, s, time, p->avg_entry, (int)side);
    double rest = qty + p->qty; /* what remains after closing, opposite side */
    p->qty = 0;
    p->avg_entry = 0;
    if (rest != 0) {
        p->qty = rest;
        p->avg_entry = price;
        o->open = 1;
        o->entry_time = time;
        o->fees = fee - fee_close;
        o->max_qty = fabs(rest);
    }
    return QF_OK;
}
