/*
 * portfolio.h - portfolio accounting of one account (paper or live): cash,
 * positions (signed quantity, average entry weighted on adds, realized PnL
 * on reduces, fees), marks, equity and snapshots.
 *
 * The arithmetic (qf_portfolio_apply) is pure; qf_portfolio_record_fill
 * applies a fill AND persists it with the order in one store transaction,
 * computed from the cash and position AS STORED, so several processes may
 * share one account without losing a fill, and memory is then what was
 * committed. Invariant after every fill:
 * equity == cash + sum(quantity * mark_price), to rounding.
 *
 * Fees (qf_fill.fee is always the fee's quote value; qf_fill_row.fee_asset
 * names the asset the venue charged):
 * - quote asset ("" or e.g. USDT): cash -= side * qty * price + fee;
 * - base asset (BTC of BTC/USDT: fee / price BTC kept by the venue): the
 *   position moves by side * qty - fee / price, cash -= side * qty * price
 *   only, realized PnL still drops by the fee;
 * - another asset (BNB): taken as a quote fee of the value given (cash and
 *   realized PnL drop by it). The order manager cannot price BNB and gives
 *   0, so such a fee changes nothing but the stored fee_asset.
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
 * one with initial_cash when never saved (it is created then, so a restart
 * finds it; initial_cash is ignored for an account already stored, also
 * when another process created it at the same time). */
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

/* Applies a fill in memory only (pure accounting, fee in the quote asset):
 * QF_EINVAL naming the field for a bad symbol or side, a non-positive
 * quantity or price, a negative fee, or a non-finite value (QF_ERANGE if
 * the result overflows); nothing changes then. Adds: avg_entry weighted by
 * quantity; reduces: realized += (price - avg_entry) * closed qty * sign; a
 * flip closes the old side and opens the rest at the fill price; a reduce
 * within a relative 1e-9 of the position closes it to exactly 0 (avg_entry
 * 0 when flat). Fees reduce realized PnL and add to the position's fees.
 * Fills do not move the mark. Shorts (negative quantity) are allowed:
 * pre-trade checks decide whether an account may sell what it does not
 * hold. Memory only: a later record_fill or save_snapshot replaces memory
 * with the stored account. */
QF_NODISCARD qf_rc qf_portfolio_apply(qf_portfolio *p, const qf_fill *fill, qf_err *err);
/* The same with the fee asset of a stored fill (the rule above): a fee in
 * the base asset is applied as a fill of qty - side * fee / price with cash
 * charged side * qty * price; QF_EINVAL when that fee is not less than the
 * quantity bought. */
QF_NODISCARD qf_rc qf_portfolio_apply_row(qf_portfolio *p, const qf_fill_row *fill, qf_err *err);

/* Records the fill with order_after (qf_store_record_fill): inside the
 * store's write transaction the fill is applied (the fee rule above) to the
 * account's cash and the symbol's position as stored, which another process
 * may have moved since this one loaded them, and written; then memory
 * becomes the account as committed (cash and every position; a mark this
 * process set is kept and written with the fill's position). A fill already
 * stored (same client_id and trade_id) is QF_EEXIST and changes nothing;
 * any other failure changes nothing either (QF_ENOMEM refreshing memory
 * after the commit excepted: reload then). The stored order keeps the
 * merge rules of qf_store_update_order (reload it to see them). */
QF_NODISCARD qf_rc qf_portfolio_record_fill(qf_portfolio *p, qf_store *store,
                                            const qf_fill_row *fill,
                                            const qf_order_row *order_after, qf_err *err);

/* Equity snapshot at `time`: cash, equity, gross exposure sum |qty * mark|
 * and drawdown = 1 - equity / peak (>= 0; 0 while the peak is not positive),
 * the peak being the highest equity of the snapshots taken so far (this one
 * included). qf_portfolio_save_snapshot writes this process's marks on the
 * stored positions (qf_store_mark_positions: never cash or quantities, so no
 * fill another process recorded is undone), makes memory the account as
 * stored, and upserts the snapshot of it on (account, time), with the
 * non-zero positions as JSON [{symbol, quantity, avg_entry, mark_price
 * (null: never marked), realized_pnl, fees}]. An account never stored (a
 * portfolio from qf_portfolio_new) is saved whole first. */
qf_snapshot qf_portfolio_snapshot(qf_portfolio *p, int64_t time);
QF_NODISCARD qf_rc qf_portfolio_save_snapshot(qf_portfolio *p, qf_store *store, int64_t time,
                                              qf_err *err);

#endif
