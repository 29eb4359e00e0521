/*
 * mock_match.c - the mock's order book, balances and matching engine.
 *
 * The book is synthetic (a test fixture): around the last price of the path
 * (mock_data.c), bids at last - i ticks and asks at last + (i + 1) ticks,
 * each level worth about 2,000 quote (1, 2 or 3 times that, cycling), so a
 * large market order walks several levels and gets several fills. Taker
 * orders fill against it at once; the part of a limit order that does not
 * cross rests and fills at its limit price (maker) when the price path of
 * the bars passing crosses it, at most 5% of the volume traded meanwhile
 * (so big orders fill partially). Commission is 0.1% for maker and taker:
 * Binance takes it in the asset received, Coinbase in the quote currency.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

#define FEE_DIV 1000 /* 0.1% */

mock_balance *mock_balance_of(qf_mock *m, const char *asset)
{
    for (int i = 0; i < m->nbal; i++)
        if (strcmp(m->bal[i].asset, asset) == 0)
            return &m->bal[i];
    if (m->nbal >= MOCK_MAX_BALANCES)
        return &m->bal[MOCK_MAX_BALANCES - 1]; /* never with the mock's few assets */
    mock_balance *b = &m->bal[m->nbal++];
    char name[sizeof b->asset]; /* asset may point into the slot being cleared */
    snprintf(name, sizeof name, "%s", asset);
    memset(b, 0, sizeof *b);
    memcpy(b->asset, name, sizeof name);
    return b;
}

void mock_book_level(const qf_mock *m, int sym, bool bid, int i, int64_t now, mock_u *price,
                     mock_u *qty)
{
    const mock_symbol *s = &m->syms[sym];
    mock_u last = mock_price_at(s, now);
    *price = bid ? last - (mock_u)i * s->tick : last + (mock_u)(i + 1) * s->tick;
    if (*price < s->tick)
        *price = s->tick;
    mock_u q0 = mock_floor_to((mock_u)((mock_i128)2000 * MOCK_UNIT * MOCK_UNIT / last), s->step);
    if (q0 < s->step)
        q0 = s->step;
    *qty = q0 * (1 + i % 3);
}

bool mock_order_open(const mock_order *o)
{
    return o->status == MO_NEW || o->status == MO_PARTIALLY_FILLED;
}

size_t mock_order_add(qf_mock *m, const mock_order *o)
{
    if (m->norders == m->cap_orders) {
        size_t cap = m->cap_orders ? m->cap_orders * 2 : 64;
        mock_order *n = realloc(m->orders, cap * sizeof *n);
        if (!n)
            return SIZE_MAX;
        m->orders = n;
        m->cap_orders = cap;
    }
    mock_order *d = &m->orders[m->norders];
    *d = *o;
    d->id = m->next_order_id++;
    unsigned long long h = (unsigned long long)d->id * 0x9E3779B97F4A7C15ULL;
    snprintf(d->uuid, sizeof d->uuid, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
             (h >> 32) & 0xffffffffULL, (h >> 16) & 0xffffULL, h & 0xfffULL,
             (unsigned long long)(d->id >> 12) & 0xfffULL, (unsigned long long)d->id);
    m->stats.orders_created++;
    return m->norders++;
}

static mock_u fee_of(mock_u amount)
{
    return amount / FEE_DIV;
}

/* Records one fill of order idx and moves the balances. Taker fills spend
 * free balance; maker fills spend what the order locked. */
static void fill(qf_mock *m, size_t idx, mock_u price, mock_u qty, bool maker, int64_t now)
{
    if (m->ntrades == m->cap_trades) {
        size_t cap = m->cap_trades ? m->cap_trades * 2 : 64;
        mock_trade *n = realloc(m->trades, cap * sizeof *n);
        if (!n)
            return;
        m->trades = n;
        m->cap_trades = cap;
    }
    mock_order *o = &m->orders[idx];
    const mock_symbol *s = &m->syms[o->sym];
    mock_balance *base = mock_balance_of(m, s->base), *quote = mock_balance_of(m, s->quote);
    mock_u cost = mock_mul(price, qty);
    mock_trade *t = &m->trades[m->ntrades++];
    memset(t, 0, sizeof *t);
    t->id = m->next_trade_id++;
    t->order = idx;
    t->price = price;
    t->qty = qty;
    t->quote = cost;
    t->maker = maker;
    t->time = now;
    bool fee_in_base = o->buy && !o->coinbase;
    t->commission = fee_in_base ? fee_of(qty) : fee_of(cost);
    snprintf(t->commission_asset, sizeof t->commission_asset, "%s",
             fee_in_base ? s->base : s->quote);
    mock_balance *spend = o->buy ? quote : base;
    mock_u spent = o->buy ? cost + (o->coinbase ? t->commission : 0) : qty;
    if (maker) {
        mock_u from_lock = spent < o->locked ? spent : o->locked;
        o->locked -= from_lock;
        spend->locked -= from_lock;
        spend->free -= spent - from_lock;
    } else {
        spend->free -= spent;
    }
    if (o->buy)
        base->free += qty - (fee_in_base ? t->commission : 0);
    else
        quote->free += cost - t->commission;
    o->exec_qty += qty;
    o->cum_quote += cost;
    o->fees += t->commission;
    o->update_time = now;
}

/* Walks the opposite side of the book as a taker for order o (a snapshot);
 * with apply, fills order idx. *out_qty base and *out_cost quote are what
 * trades; returns false when the book ran out first. */
static bool walk(qf_mock *m, mock_order o, size_t idx, int64_t now, bool apply, mock_u *out_qty,
                 mock_u *out_cost)
{
    const mock_symbol *s = &m->syms[o.sym];
    mock_u want = o.orig_qty ? o.orig_qty - o.exec_qty : 0;
    mock_u quote_left = o.orig_quote ? o.orig_quote - o.cum_quote : 0;
    *out_qty = *out_cost = 0;
    for (int i = 0; i < MOCK_BOOK_LEVELS; i++) {
        mock_u p, lq;
        mock_book_level(m, o.sym, !o.buy, i, now, &p, &lq);
        if (!o.market && (o.buy ? p > o.price : p < o.price))
            return true;
        mock_u q = lq;
        if (o.orig_quote) {
            mock_u afford = mock_floor_to((mock_u)((mock_i128)quote_left * MOCK_UNIT / p), s->step);
            if (afford < q)
                q = afford;
        } else if (want - *out_qty < q) {
            q = want - *out_qty;
        }
        if (q <= 0)
            return true;
        mock_u cost = mock_mul(p, q);
        *out_qty += q;
        *out_cost += cost;
        quote_left -= cost;
        if (apply)
            fill(m, idx, p, q, false, now);
        if (!o.orig_quote && *out_qty >= want)
            return true;
    }
    return false;
}

mock_u mock_taker_cost(const qf_mock *m, const mock_order *o, int64_t now)
{
    mock_u q, c;
    (void)walk((qf_mock *)m, *o, SIZE_MAX, now, false, &q, &c);
    if (o->buy)
        return c + (o->coinbase ? fee_of(c) : 0);
    return q;
}

static void lock_rest(qf_mock *m, mock_order *o)
{
    const mock_symbol *s = &m->syms[o->sym];
    mock_u rem = o->orig_qty - o->exec_qty;
    mock_u amount = o->buy ? mock_mul(o->price, rem) : rem;
    if (o->buy && o->coinbase)
        amount += fee_of(amount);
    mock_balance *b = mock_balance_of(m, o->buy ? s->quote : s->base);
    if (amount > b->free)
        amount = b->free;
    b->free -= amount;
    b->locked += amount;
    o->locked = amount;
}

static void unlock_rest(qf_mock *m, mock_order *o)
{
    const mock_symbol *s = &m->syms[o->sym];
    mock_balance *b = mock_balance_of(m, o->buy ? s->quote : s->base);
    b->locked -= o->locked;
    b->free += o->locked;
    o->locked = 0;
}

void mock_order_execute(qf_mock *m, size_t idx, int64_t now)
{
    mock_order *o = &m->orders[idx];
    o->time = o->update_time = now;
    mock_u q, c;
    if (o->tif == MO_FOK && !o->market) {
        (void)walk(m, *o, idx, now, false, &q, &c);
        if (q < o->orig_qty) {
            o->status = MO_EXPIRED;
            return;
        }
    }
    bool whole = walk(m, *o, idx, now, true, &q, &c);
    o = &m->orders[idx];
    if (o->market) {
        /* done when the book lasted (by quote: until the quote was spent) */
        o->status = q > 0 && whole ? MO_FILLED : MO_EXPIRED;
        return;
    }
    if (o->exec_qty >= o->orig_qty) {
        o->status = MO_FILLED;
    } else if (o->tif != MO_GTC) {
        o->status = MO_EXPIRED;
    } else {
        o->status = o->exec_qty ? MO_PARTIALLY_FILLED : MO_NEW;
        lock_rest(m, o);
    }
}

void mock_order_cancel(qf_mock *m, size_t idx, int64_t now)
{
    mock_order *o = &m->orders[idx];
    unlock_rest(m, o);
    o->status = MO_CANCELED;
    o->update_time = now;
}

void mock_match_to(qf_mock *m, int64_t now)
{
    if (now <= m->matched_to)
        return;
    int64_t t0 = m->matched_to;
    m->matched_to = now;
    for (size_t i = 0; i < m->norders; i++) {
        mock_order *o = &m->orders[i];
        if (!mock_order_open(o) || o->market || o->time >= now)
            continue;
        const mock_symbol *s = &m->syms[o->sym];
        mock_u lo, hi, vol;
        mock_path_range(s, t0 > o->time ? t0 : o->time, now, &lo, &hi, &vol);
        if (o->buy ? lo > o->price : hi < o->price)
            continue;
        mock_u rem = o->orig_qty - o->exec_qty;
        mock_u cap = mock_floor_to(vol / 20, s->step);
        mock_u q = rem < cap ? rem : cap;
        if (q <= 0)
            continue;
        fill(m, i, o->price, q, true, now);
        o = &m->orders[i];
        if (o->exec_qty >= o->orig_qty) {
            o->status = MO_FILLED;
            unlock_rest(m, o); /* rounding leftovers go back */
        } else {
            o->status = MO_PARTIALLY_FILLED;
        }
    }
}
