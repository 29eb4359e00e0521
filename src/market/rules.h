/*
 * rules.h - an order against a symbol's trading rules, before it is sent:
 * rounding to step and tick, the local refusal of what the venue would
 * reject, and the decimal strings that go on the wire.
 *
 * Pure functions over qf_symbol_rules (exchange.h); no I/O. The arithmetic is
 * done in integer multiples of the step / tick (a double that is 1e-9 short
 * of a multiple counts as that multiple), so 0.1 + 0.2 never becomes a
 * quantity the venue calls "too much precision".
 */
#ifndef QF_MARKET_RULES_H
#define QF_MARKET_RULES_H

#include <stddef.h>

#include "core/err.h"
#include "core/types.h"
#include "market/exchange.h"

/* Why an order is refused locally (stable names, used in messages and the
 * orders table's reason column). */
#define QF_RULES_REASON_MAP(X)                                                                     \
    X(OK, "ok")                                                                                    \
    X(NOT_TRADING, "symbol_not_trading")                                                           \
    X(QTY_TOO_SMALL, "min_qty")                                                                    \
    X(QTY_TOO_LARGE, "max_qty")                                                                    \
    X(PRICE_TOO_LOW, "min_price")                                                                  \
    X(PRICE_TOO_HIGH, "max_price")                                                                 \
    X(NOTIONAL_TOO_SMALL, "min_notional")                                                          \
    X(NOTIONAL_TOO_LARGE, "max_notional")                                                          \
    X(BAD_INPUT, "bad_input")

typedef enum {
#define QF_RULES_REASON_ENUM(name, str) QF_RULES_##name,
    QF_RULES_REASON_MAP(QF_RULES_REASON_ENUM)
#undef QF_RULES_REASON_ENUM
        QF_RULES_REASON_COUNT
} qf_rules_reason;

const char *qf_rules_reason_name(qf_rules_reason r);

/* Rounds quantity DOWN to the step (market orders use market_step_size when
 * set) and a limit price to the tick: buys round down, sells up (never a
 * worse price than asked). ref_price is the price a market order's notional
 * is judged at (the last price / mid); ignored for limit orders. Fills
 * *out_qty / *out_price (NaN price for market) and returns the first rule
 * the rounded order breaks (QF_RULES_OK when none); `why` (may be NULL)
 * gets a sentence naming the numbers ("quantity 0.00000400 below min_qty
 * 0.00001000 of BTC/USDT"). */
qf_rules_reason qf_rules_apply(const qf_symbol_rules *rules, qf_side side, qf_order_type type,
                               double quantity, double limit_price, double ref_price,
                               double *out_qty, double *out_price, char *why, size_t why_size);

/* Number of decimals a step / tick needs ("0.00001000" -> 5; 1 -> 0; 0 -> 8). */
int qf_rules_decimals(double step);

/* Writes value as a plain decimal with the decimals of `step`
 * ("0.00156", never "1.56e-03"); QF_ERANGE when it does not fit, QF_EINVAL
 * for a non-finite or negative value. */
QF_NODISCARD qf_rc qf_rules_format(double value, double step, char *out, size_t size, qf_err *err);

#endif
