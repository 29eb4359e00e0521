/*
 * killswitch.h - the kill switch: once engaged it stays engaged until a
 * person resets it, giving a reason.
 *
 * A live or paper portfolio's switch is persisted in the store, one per
 * account (the kill_switch table), so it survives restarts: opening it
 * reads the state left by the last run. Every change is written together
 * with its audit row (risk_events: time, actor, reason) in one transaction
 * (qf_store_set_kill_switch), and only changes are written: tripping an
 * engaged switch, or resetting a released one, changes nothing and keeps
 * the first reason. A backtest's switch lives and dies with the run
 * (docs/conventions.md): qf_killswitch_init_memory keeps it in the struct
 * only, with the same rules and no audit trail.
 *
 * While engaged, the pre-trade checks (checks.h) refuse every order that
 * adds risk and let through orders that only reduce a position.
 *
 * Who may reset is the caller's business: the `quantflow risk reset`
 * command is the person's way, and nothing in QuantFlow resets the switch
 * by itself. A reason (1..511 bytes, no control characters, not only
 * spaces) and an actor (1..63 bytes) are required for every change;
 * without them the call is QF_EINVAL and nothing changes.
 */
#ifndef QF_RISK_KILLSWITCH_H
#define QF_RISK_KILLSWITCH_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef struct qf_killswitch {
    qf_store *store;                    /* borrowed; NULL: in memory only (backtests) */
    char account[QF_STORE_ACCOUNT_MAX]; /* whose switch (persisted only) */
    qf_kill_switch_state state;         /* as last read from or written to the store */
} qf_killswitch;

/* A released switch kept in memory only. Cannot fail. */
void qf_killswitch_init_memory(qf_killswitch *ks);

/* Binds ks to an account's persisted switch and reads its state. The store
 * is borrowed and must outlive ks. On failure ks is unchanged. */
QF_NODISCARD qf_rc qf_killswitch_open(qf_killswitch *ks, qf_store *store, const char *account,
                                      qf_err *err);

/* Re-reads the persisted state (another process may have changed it). A
 * memory-only switch has nothing to re-read. On failure ks is unchanged. */
QF_NODISCARD qf_rc qf_killswitch_refresh(qf_killswitch *ks, qf_err *err);

/* Non-zero while engaged, as last read or written. */
int qf_killswitch_engaged(const qf_killswitch *ks);

/* Engages the switch at `now` (UTC ms). *out_changed (may be NULL) gets 1
 * when this call engaged it, 0 when it already was engaged. Afterwards
 * ks->state is the stored state. On failure nothing changes. */
QF_NODISCARD qf_rc qf_killswitch_trip(qf_killswitch *ks, const char *reason, const char *actor,
                                      int64_t now, int *out_changed, qf_err *err);

/* Releases the switch: what a person does, with the reason why trading may
 * resume. *out_changed as for qf_killswitch_trip (0: it was not engaged).
 * On failure nothing changes. */
QF_NODISCARD qf_rc qf_killswitch_reset(qf_killswitch *ks, const char *reason, const char *actor,
                                       int64_t now, int *out_changed, qf_err *err);

#endif
