/* candles.c - growable candle array. */
#include "core/candles.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void qf_candles_init(qf_candles *c)
{
    memset(c, 0, sizeof *c);
}

void qf_candles_cleanup(qf_candles *c)
{
    free(c->v);
    qf_candles_init(c);
}

qf_rc qf_candles_reserve(qf_candles *c, size_t cap, qf_err *err)
{
    if (cap <= c->cap)
        return QF_OK;
    if (cap > SIZE_MAX / sizeof(qf_candle))
        return qf_err_set(err, QF_ENOMEM, "candle array of %zu rows is too large", cap);
    qf_candle *v = realloc(c->v, cap * sizeof(qf_candle));
    if (v == NULL)
        return qf_err_set(err, QF_ENOMEM, "out of memory for %zu candles", cap);
    c->v = v;
    c->cap = cap;
    return QF_OK;
}

qf_rc qf_candles_push(qf_candles *c, const qf_candle *row, qf_err *err)
{
    /* Copy first: row may point into c->v, which the reserve below can move. */
    qf_candle copy = *row;
    if (c->n == c->cap) {
        if (c->cap > SIZE_MAX / 2)
            return qf_err_set(err, QF_ENOMEM, "candle array of %zu rows cannot grow", c->cap);
        qf_rc rc = qf_candles_reserve(c, c->cap < 1024 ? 1024 : c->cap * 2, err);
        if (rc != QF_OK)
            return rc;
    }
    c->v[c->n++] = copy;
    return QF_OK;
}

qf_candle qf_candle_blank(void)
{
    qf_candle c;
    memset(&c, 0, sizeof c);
    c.quote_volume = NAN;
    c.trades = -1;
    c.taker_buy_base = NAN;
    c.taker_buy_quote = NAN;
    return c;
}
