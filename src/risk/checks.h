/*
 * checks.h - pre-trade and post-trade risk checks.
 *
 * Pure functions over four inputs: the limits (risk.* in the config), the
 * portfolio (marked-to-market equity, its running peak, the open positions,
 * whether the kill switch is engaged), the proposed order and the clock. They
 * decide; they change nothing. Engaging the kill switch and recording the
 * decision are the caller's (killswitch.h, persist.h).
 *
 * Pre-trade checks run in this order and the FIRST that fails is reported:
 *
 *   1. kill_switch     the kill switch is engaged
 *   2. drawdown        1 - equity / peak >= max_drawdown_pct; the verdict
 *                      also asks the caller to trip the kill switch
 *   3. min_trade       |quantity| * price < min_trade_usd
 *   4. concentration   |position + working orders + this order| * price / equity
 *                      > max_concentration_pct (exposure committed in the symbol)
 *   5. leverage        gross exposure after the order / equity
 *                      > max_portfolio_leverage (every position at its mark, this
 *                      symbol at the order's price; working orders not counted)
 *   6. position_limit  |position + this order| * price / equity > max_position_pct
 *   7. stale_data      now - data_time > staleness_threshold_minutes
 *
 * Orders that only reduce risk. An order is "reducing" when it moves the
 * symbol's position toward zero without passing it (a sell of at most the
 * long quantity, a buy of at most the short quantity). The kill switch blocks
 * NEW risk, not the way out: a reducing order passes the kill switch, a
 * drawdown breach (which still asks for the trip), concentration, leverage
 * and the position limit, because refusing it would trap the account in the
 * very exposure those checks exist to limit. It still needs min_trade (dust
 * is dust; exchanges refuse it too) and fresh data (its price is read from
 * that data). A flip (long to short in one order) is not reducing: send the
 * closing part on its own. See docs/conventions.md, "Risk".
 *
 * "Exceeds" (checks 4-6) means above the limit by more than one part in 10^9,
 * so the sizer's own cap (fraction * equity / price, multiplied back) is not
 * refused for a rounding error. The drawdown test is exact.
 */
#ifndef QF_RISK_CHECKS_H
#define QF_RISK_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/types.h"

/* X(enum suffix, stable name, what it means). In check order; the names are
 * written to the audit trail and JSON and never change. New reasons go at
 * the end. */
#define QF_RISK_REASON_MAP(X)                                                                      \
    X(OK, "ok", "the order passes every check")                                                    \
    X(KILL_SWITCH, "kill_switch", "the kill switch is engaged")                                    \
    X(DRAWDOWN, "drawdown", "drawdown at or past max_drawdown_pct")                                \
    X(MIN_TRADE, "min_trade", "order notional below min_trade_usd")                                \
    X(CONCENTRATION, "concentration", "exposure in the symbol above max_concentration_pct")        \
    X(LEVERAGE, "leverage", "gross exposure above max_portfolio_leverage")                         \
    X(POSITION_LIMIT, "position_limit", "position above max_position_pct")                         \
    X(STALE_DATA, "stale_data", "data older than staleness_threshold_minutes")

typedef enum {
#define QF_RISK_REASON_ENUM(name, str, doc) QF_RISK_##name,
    QF_RISK_REASON_MAP(QF_RISK_REASON_ENUM)
#undef QF_RISK_REASON_ENUM
        QF_RISK_REASON_COUNT
} qf_risk_reason;

/* Stable name ("concentration"); "unknown" for a value outside the enum. */
const char *qf_risk_reason_name(qf_risk_reason r);
/* One-line description of the reason. */
const char *qf_risk_reason_doc(qf_risk_reason r);
/* The reason named `name`; QF_EINVAL when there is none. */
QF_NODISCARD qf_rc qf_risk_reason_parse(const char *name, qf_risk_reason *out_reason, qf_err *err);

typedef struct qf_risk_limits {
    double max_position_pct;         /* |position| / equity, (0, 1] */
    double max_portfolio_leverage;   /* gross exposure / equity, > 0 */
    double max_drawdown_pct;         /* below the running peak, (0, 1] */
    double max_concentration_pct;    /* committed exposure in one symbol / equity, (0, 1] */
    double min_trade_usd;            /* smallest order notional, quote currency, >= 0 */
    int staleness_threshold_minutes; /* oldest usable data, minutes, >= 1 */
} qf_risk_limits;

/* The limits from the risk section of the configuration. */
qf_risk_limits qf_risk_limits_from_config(const qf_config_risk *risk);

/* QF_OK when every limit is finite and in its range (above); QF_EINVAL
 * naming the first that is not. */
QF_NODISCARD qf_rc qf_risk_limits_check(const qf_risk_limits *limits, qf_err *err);

/* The portfolio as the checks see it. Borrowed, never kept. */
typedef struct qf_risk_portfolio {
    double equity;                /* marked to market: cash + sum qty * mark, quote; finite */
    double peak_equity;           /* running peak of equity (qf_drawdown); values below
                                   * equity (or <= 0: no peak yet) count as equity */
    const qf_position *positions; /* open positions: symbol, quantity and mark_price are read;
                                   * symbols distinct; NULL when n_positions is 0 */
    size_t n_positions;
    int kill_switch_engaged; /* non-zero: the kill switch is on */
} qf_risk_portfolio;

/* The order proposed. Borrowed, never kept. */
typedef struct qf_risk_order {
    const char *symbol; /* BASE/QUOTE, as in positions */
    double quantity;    /* signed base quantity: > 0 buys, < 0 sells; finite, != 0 */
    double price;       /* expected fill price, quote per base; finite, > 0 */
    double working_qty; /* signed base quantity of this symbol's orders already sent and
                         * not yet filled (0 when none); counts toward concentration */
    int64_t data_time;  /* when the newest data behind the order was current (the bar's
                         * close), UTC ms, >= 0 */
} qf_risk_order;

#define QF_RISK_MESSAGE_MAX 256

typedef struct qf_risk_verdict {
    qf_risk_reason reason; /* QF_RISK_OK: the order may go; else the first failed check */
    int trip_kill_switch;  /* drawdown at or past the limit while the switch is off: the
                            * caller must engage it (qf_killswitch_trip) */
    int reducing;          /* the order only reduces the symbol's position (see above) */
    double drawdown;       /* 1 - equity / peak, >= 0 (> 1 when equity is negative) */
    double value;          /* the failed check's measure (fraction, USD or minutes); NaN
                            * when the order passes or for kill_switch */
    double limit;          /* that check's limit; NaN likewise */
    char message[QF_RISK_MESSAGE_MAX]; /* for people: what failed and by how much */
} qf_risk_verdict;

/* Runs the pre-trade checks of `order` at time `now` (UTC ms, >= 0) and
 * writes the verdict to *out. Returns QF_OK whenever the checks could be
 * evaluated, whether the order passes or not (read out->reason). Bad input
 * (a NULL pointer, a limit out of range, NaN equity, no positive equity or
 * peak, a position with a non-finite quantity or a bad mark, duplicate
 * symbols, a zero, NaN or infinite quantity, a price <= 0, a negative time)
 * is QF_EINVAL naming it, and *out is left unchanged. */
QF_NODISCARD qf_rc qf_risk_pre_trade(const qf_risk_limits *limits, const qf_risk_portfolio *pf,
                                     const qf_risk_order *order, int64_t now, qf_risk_verdict *out,
                                     qf_err *err);

/* The post-trade check: re-evaluates the drawdown of the portfolio after a
 * fill (or any new mark). out->reason is QF_RISK_DRAWDOWN when the drawdown
 * is at or past max_drawdown_pct (trip_kill_switch set when the switch is
 * off), QF_RISK_OK otherwise. Bad input as for qf_risk_pre_trade: QF_EINVAL,
 * *out unchanged. */
QF_NODISCARD qf_rc qf_risk_post_trade(const qf_risk_limits *limits, const qf_risk_portfolio *pf,
                                      qf_risk_verdict *out, qf_err *err);

#endif
