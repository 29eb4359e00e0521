/*
 * order_manager_int.h - what order_manager.c (submit, local checks) and
 * order_sync.c (lookups, fills, cancels, reconciliation) share. Not a
 * public header: only src/exec/ includes it.
 */
#ifndef QF_EXEC_ORDER_MANAGER_INT_H
#define QF_EXEC_ORDER_MANAGER_INT_H

#include "exec/order_manager.h"
#include "exec/slippage.h"

struct qf_order_manager {
    qf_venue venue;
    qf_store *store;
    qf_portfolio *pf;
    qf_killswitch *ks; /* NULL: none */
    qf_om_options opt;
    int64_t grace_ms;
    qf_slippage slippage; /* fills recorded by this manager */
};

int64_t qf_om__now(const qf_order_manager *om);
void qf_om__sleep(const qf_order_manager *om, int64_t ms);

/* Writes the row's mutable fields with updated_at = now. */
QF_NODISCARD qf_rc qf_om__persist(qf_order_manager *om, qf_order_row *row, qf_err *err);

/* Applies what the venue says about the order: venue id, the fills carried
 * (trades, may be NULL) and any the venue counts but we have not recorded
 * (fetched), then the status, closed only once every fill is recorded. */
QF_NODISCARD qf_rc qf_om__apply_report(qf_order_manager *om, qf_order_row *row,
                                       const qf_order_report *rep, const qf_trade *trades,
                                       size_t n_trades, qf_err *err);

/* Resolves a pending / unconfirmed order by lookups (recovery rules). */
QF_NODISCARD qf_rc qf_om__resolve(qf_order_manager *om, qf_order_row *row, qf_err *err);

/* Cancels a working order at the venue, fetches its fills, closes it with
 * `reason`. */
QF_NODISCARD qf_rc qf_om__cancel_and_close(qf_order_manager *om, qf_order_row *row,
                                           const char *reason, qf_err *err);

#endif
