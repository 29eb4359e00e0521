/*
 * persist.h - what the live or paper risk layer keeps in the store besides
 * the kill switch (killswitch.h): rejected orders in the audit trail
 * (risk_events) and drawdown marks in the metrics history (risk_metrics),
 * from which the drawdown monitor is seeded on restart.
 *
 * A backtest keeps none of this (docs/conventions.md): its checks and
 * monitor live and die with the run.
 */
#ifndef QF_RISK_PERSIST_H
#define QF_RISK_PERSIST_H

#include <stdint.h>

#include "core/err.h"
#include "risk/checks.h"
#include "risk/drawdown.h"
#include "store/store.h"

/* The event kind of a rejected order. */
#define QF_RISK_EVENT_REJECTED "order_rejected"

/* Appends the rejection of `order` (verdict v, reason != QF_RISK_OK) to the
 * account's audit trail at `now`: kind "order_rejected", the order's symbol,
 * the actor (the component that asked, e.g. "worker"), the verdict's message,
 * and as detail the JSON object {"reason": "<stable name>", "value": ...,
 * "limit": ..., "quantity": ..., "price": ..., "drawdown": ...} (null for NaN).
 * *out_id (may be NULL) gets the row's id. A passing verdict is QF_EINVAL;
 * nothing is written on failure. */
QF_NODISCARD qf_rc qf_risk_record_rejection(qf_store *store, const char *account,
                                            const qf_risk_order *order, const qf_risk_verdict *v,
                                            const char *actor, int64_t now, int64_t *out_id,
                                            qf_err *err);

/* Upserts the monitor's latest mark (time, equity, drawdown, max_drawdown;
 * the other metrics unknown) into the account's risk_metrics. A monitor
 * without a mark is QF_EINVAL; nothing is written on failure. */
QF_NODISCARD qf_rc qf_risk_record_drawdown(qf_store *store, const char *account,
                                           const qf_drawdown *dd, qf_err *err);

/* Seeds dd from the account's stored equity history (risk_metrics rows with
 * a known equity, in time order; qf_drawdown_seed): after a restart the
 * peak is the largest equity ever recorded. No history leaves an empty
 * monitor. On failure dd is unchanged. */
QF_NODISCARD qf_rc qf_risk_load_drawdown(qf_store *store, const char *account, qf_drawdown *dd,
                                         qf_err *err);

#endif
