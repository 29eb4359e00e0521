/*
 * portfolio.h - portfolio accounting of one account (paper or live): cash,
 * positions (signed quantity, average entry weighted on adds, realized PnL
 * on reduces, fees), marks, equity and snapshots.
 *
 * The arithmetic (qf_portfolio_apply) is pure; qf_portfolio_record_fill
 * applies a fill AND persists it with the order in one store transaction, so
 * memory and store never disagree. Invariant after every fill:
 * equity == cash + sum(quantity * mark_price), to rounding.
 *
 * Fees are in the quote asset (a venue fee in the base asset is converted
 * at the fill price by the caller). Cash moves by -side * qty * price - fee.
 */
#ifndef QF_RISK_PORTFOLIO_H
#define QF_RISK_PORTFOLIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/types.h"
#include "store/store.h"

typedef struct qf_portfolio qf_portfolio;

/* A fresh portfolio holding `cash` (finite) of quote currency and no
 * position. QF_EINVAL for a bad account name (1..15 of A-Z a-z 0-9 . _ -). */
QF_NODISCARD qf_rc qf_portfolio_new(const char *account, double cash, qf_portfolio **out,
                                    qf_err *err);
/* The account as stored (cash, every position with its mark, and the
 * drawdown peak: the highest equity of its stored snapshots), or a fresh
 * one with initial_cash when never saved (it is saved then, so a restart
 * finds it; initial_cash is ignored for an account already stored). */
QF_NODISCARD qf_rc qf_portfolio_load(qf_store *store, const char *account, double initial_cash,
                                     qf_portfolio **out, qf_err *err);
void qf_portfolio_free(qf_portfolio *p);

const char *qf_portfolio_account(const qf_portfolio *p);
double qf_portfolio_cash(const qf_portfolio *p);
/* cash + sum quantity * mark (a position never marked counts at avg_entry). */
double qf_portfolio_equity(const qf_portfolio *p);
/* The position of one symbol (zero quantity when none). */
qf_position qf_portfolio_position(const qf_portfolio *p, const char *symbol);
/* Positions with non-zero quantity; borrowed until the next change. */
const qf_position *qf_portfolio_positions(const qf_portfolio *p, size_t *out_n);

/* Marks a symbol to the latest close (unrealized PnL); memory only, stored
 * by the next fill of the symbol or qf_portfolio_save_snapshot. QF_EINVAL
 * for a bad symbol or a price not finite and > 0. A symbol never traded has
 * nothing to value: QF_OK, nothing changes. */
QF_NODISCARD qf_rc qf_portfolio_mark(qf_portfolio *p, const char *symbol, double price,
                                     qf_err *err);

/* Applies a fill in memory only (pure accounting): QF_EINVAL naming the
 * field for a bad symbol or side, a non-positive quantity or price, a
 * negative fee, or a non-finite value (QF_ERANGE if the result overflows);
 * nothing changes then. Adds: avg_entry weighted by quantity; reduces:
 * realized += (price - avg_entry) * closed qty * sign; a flip closes the old
 * side and opens the rest at the fill price; a reduce within a relative
 * 1e-9 of the position closes it to exactly 0 (avg_entry 0 when flat).
 * Fees reduce realized PnL and add to the position's fees. Fills do not move
 * the mark. Shorts (negative quantity) are allowed: pre-trade checks decide
 * whether an account may sell what it does not hold. */
QF_NODISCARD qf_rc qf_portfolio_apply(qf_portfolio *p, const qf_fill *fill, qf_err *err);

/* Applies the fill and persists fill + order_after + position + cash in one
 * store transaction (qf_store_record_fill); memory changes only once the
 * store committed. A fill already stored (same client_id and trade_id) is
 * QF_EEXIST and changes nothing; any other failure changes nothing either. */
QF_NODISCARD qf_rc qf_portfolio_record_fill(qf_portfolio *p, qf_store *store,
                                            const qf_fill_row *fill,
                                            const qf_order_row *order_after, qf_err *err);

/* Equity snapshot at `time`: cash, equity, gross exposure sum |qty * mark|
 * and drawdown = 1 - equity / peak (>= 0; 0 while the peak is not positive),
 * the peak being the highest equity of the snapshots taken so far (this one
 * included). qf_portfolio_save_snapshot also saves the portfolio (cash and
 * every position with its mark) and then the snapshot, upserted on (account,
 * time), with the non-zero positions as JSON [{symbol, quantity, avg_entry,
 * mark_price (null: never marked), realized_pnl, fees}]. */
qf_snapshot qf_portfolio_snapshot(qf_portfolio *p, int64_t time);
QF_NODISCARD qf_rc qf_portfolio_save_snapshot(qf_portfolio *p, qf_store *store, int64_t time,
                                              qf_err *err);

#endif
