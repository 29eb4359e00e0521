/*
 * candles.h - a growable array of candles (struct-of-records), the unit every
 * importer, store query and research kernel passes around.
 */
#ifndef QF_CORE_CANDLES_H
#define QF_CORE_CANDLES_H

#include <stddef.h>

#include "core/err.h"
#include "core/types.h"

typedef struct qf_candles {
    qf_candle *v; /* owned; NULL when empty */
    size_t n;     /* rows in use */
    size_t cap;   /* rows allocated */
} qf_candles;

/* Empty array; cannot fail. */
void qf_candles_init(qf_candles *c);
/* Frees the rows and leaves an empty array. */
void qf_candles_cleanup(qf_candles *c);
/* Ensures room for `cap` rows; on failure (QF_ENOMEM) c is unchanged. */
QF_NODISCARD qf_rc qf_candles_reserve(qf_candles *c, size_t cap, qf_err *err);
/* Appends a copy of *row (amortised O(1)); row may point into c->v itself. On
 * failure (QF_ENOMEM) c is unchanged. */
QF_NODISCARD qf_rc qf_candles_push(qf_candles *c, const qf_candle *row, qf_err *err);
/* A candle with the optional fields marked unknown (NaN, trades -1). */
qf_candle qf_candle_blank(void);

#endif
