/*
 * bars.c - candle columns in one allocation.
 */
#include "core/bars.h"

#include <stdlib.h>
#include <string.h>

void qf_bars_init(qf_bars *b)
{
    memset(b, 0, sizeof *b);
}

void qf_bars_cleanup(qf_bars *b)
{
    free(b->open_time); /* the block; the other columns point into it */
    qf_bars_init(b);
}

qf_rc qf_bars_alloc(qf_bars *b, size_t n, qf_err *err)
{
    size_t rows = n > 0 ? n : 1;
    /* six 8-byte columns */
    if (rows > SIZE_MAX / (6 * sizeof(double)))
        return qf_err_set(err, QF_ENOMEM, "bars: %zu rows is too many", n);
    char *block = malloc(rows * 6 * sizeof(double));
    if (block == NULL)
        return qf_err_set(err, QF_ENOMEM, "bars: out of memory for %zu rows", n);
    qf_bars_cleanup(b);
    b->open_time = (int64_t *)(void *)block;
    b->open = (double *)(void *)(block + rows * 8);
    b->high = b->open + rows;
    b->low = b->high + rows;
    b->close = b->low + rows;
    b->volume = b->close + rows;
    b->n = n;
    return QF_OK;
}

qf_rc qf_bars_from_candles(qf_bars *b, const qf_candles *c, qf_err *err)
{
    qf_bars tmp;
    qf_bars_init(&tmp);
    qf_rc rc = qf_bars_alloc(&tmp, c->n, err);
    if (rc != QF_OK)
        return rc;
    for (size_t i = 0; i < c->n; i++) {
        const qf_candle *k = &c->v[i];
        tmp.open_time[i] = k->open_time;
        tmp.open[i] = k->open;
        tmp.high[i] = k->high;
        tmp.low[i] = k->low;
        tmp.close[i] = k->close;
        tmp.volume[i] = k->volume;
    }
    qf_bars_cleanup(b);
    *b = tmp;
    return QF_OK;
}
