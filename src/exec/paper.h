/*
 * paper.h - the paper venue: a simulated exchange behind the same qf_venue
 * interface as the live adapters, so paper orders go through the same order
 * manager, portfolio and store as live ones (account "paper").
 *
 * Prices come from qf_paper_set_price (the store's latest close or a
 * ticker). Fills, with unlimited liquidity at the quoted price:
 *   - market: at once at price * (1 + h) for buys, price * (1 - h) for
 *     sells, h = half_spread_bps / 1e4 (execution.slippage_model.
 *     fixed_spread_bps is half the quoted spread), taker fee;
 *   - limit, marketable on arrival (buy: ask <= limit; sell: bid >= limit):
 *     at once at the ask / bid (never worse than the limit), taker fee;
 *   - limit, not marketable: GTC rests (OPEN) and fills whole at its limit
 *     price on the first later price whose ask / bid crosses it, with the
 *     maker fee (it was in the book); IOC and FOK expire with no fill.
 * With a portfolio set (qf_paper_set_portfolio) it is a spot account: a
 * sell needs the base quantity, a buy the quote cost with the taker fee,
 * less what resting orders hold; else -2010 "insufficient balance".
 * Every paper order fills whole or not at all (no partial fills), so one
 * order has at most one trade, id "<client_id>-1". Fees are in the quote
 * asset. Resting orders live in memory; qf_paper_restore re-reads the open
 * paper orders of the store after a restart.
 */
#ifndef QF_EXEC_PAPER_H
#define QF_EXEC_PAPER_H

#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "exec/venue.h"
#include "risk/portfolio.h"
#include "store/store.h"

typedef struct qf_paper qf_paper;

typedef struct qf_paper_options {
    char exchange[QF_EXCHANGE_MAX]; /* the venue simulated: stored with each order */
    double half_spread_bps;         /* >= 0 */
    double taker_fee_bps;           /* >= 0 */
    double maker_fee_bps;           /* >= 0 */
} qf_paper_options;

/* exchange (binance | coinbase) fees and execution.slippage_model.fixed_spread_bps. */
qf_paper_options qf_paper_options_from_config(const qf_config *cfg, const char *exchange);

/* QF_EINVAL for a negative or non-finite spread or fee, or an empty exchange. */
QF_NODISCARD qf_rc qf_paper_new(const qf_paper_options *opts, qf_paper **out, qf_err *err);
void qf_paper_free(qf_paper *p);

/* The venue (borrows p; the venue's account is "paper"). */
qf_venue qf_paper_venue(qf_paper *p);

/* The rules orders of `rules->symbol` are rounded to (else, for a symbol
 * never given, no minimums and steps of 1e-8). */
QF_NODISCARD qf_rc qf_paper_set_rules(qf_paper *p, const qf_symbol_rules *rules, qf_err *err);

/* The latest price of a symbol (> 0, finite) at `time`; resting limit
 * orders it crosses fill now. *out_filled (may be NULL) gets how many did. */
QF_NODISCARD qf_rc qf_paper_set_price(qf_paper *p, const char *symbol, double price, int64_t time,
                                      size_t *out_filled, qf_err *err);

/* Balances reported by the venue: the portfolio's cash (in cash_asset, e.g.
 * "USDT") and its positions' base assets. Borrowed; NULL: no balances. */
void qf_paper_set_portfolio(qf_paper *p, const qf_portfolio *pf, const char *cash_asset);

/* Re-creates in memory the open / partially filled orders of the paper
 * account stored for this exchange (after a restart). */
QF_NODISCARD qf_rc qf_paper_restore(qf_paper *p, qf_store *store, qf_err *err);

#endif
