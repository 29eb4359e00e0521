/*
 * ledger.h - backtest accounting: cash, per-symbol quantity, average entry
 * price, realized PnL and fees, and the closed-trade list.
 *
 * Rules: a fill that adds to a position moves the average entry to the
 * quantity-weighted mean; a fill that reduces it realizes (price - avg) * qty
 * (sign-adjusted for shorts) and keeps the average; a fill that crosses zero
 * closes the old position at the fill price and opens the rest at it. Fees
 * are paid from cash. Equity = cash + sum(qty * mark). A trade runs from flat
 * to flat (or to a reversal); its PnL is the realized PnL minus every fee
 * paid on its fills.
 */
#ifndef QF_BACKTEST_LEDGER_H
#define QF_BACKTEST_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct qf_bt_position {
    double qty;          /* signed, base asset */
    double avg_entry;    /* quantity-weighted entry price of the open quantity */
    double realized_pnl; /* over the whole run, before fees */
    double fees;         /* over the whole run */
} qf_bt_position;

typedef struct qf_bt_trade {
    size_t symbol;
    int64_t entry_time, exit_time; /* UTC ms of the first and the closing fill */
    double max_qty;                /* largest |quantity| held */
    double entry_price;            /* average entry */
    double exit_price;             /* quantity-weighted average of the reducing fills */
    double pnl;                    /* realized minus fees, quote currency */
    int side;                      /* +1 long, -1 short */
} qf_bt_trade;

typedef struct qf_ledger {
    double cash;
    double fees;
    size_t n_symbols;
    qf_bt_position *pos; /* n_symbols */
    /* open trade bookkeeping per symbol */
    struct qf_open_trade {
        int open;
        int64_t entry_time;
        double max_qty, realized, fees, exit_qty, exit_value;
    } * open;
    qf_bt_trade *trades;
    size_t n_trades, cap_trades;
} qf_ledger;

/* Allocates the per-symbol state; cash = initial cash. */
QF_NODISCARD qf_rc qf_ledger_init(qf_ledger *l, size_t n_symbols, double cash, qf_err *err);
void qf_ledger_cleanup(qf_ledger *l);

/* Applies a fill of signed quantity qty at price, paying fee (>= 0). On
 * QF_ENOMEM (growing the trade list) nothing changed. */
QF_NODISCARD qf_rc qf_ledger_fill(qf_ledger *l, size_t symbol, int64_t time, double qty,
                                  double price, double fee, qf_err *err);

/* cash + sum(qty * marks[s]). */
double qf_ledger_equity(const qf_ledger *l, const double *marks);

#endif
