/*
 * order_manager.h - every order, paper or live, goes through here: local
 * checks, a deterministic client id persisted before sending, one send, and
 * a lifecycle that survives a crash at any point without ever placing a
 * second order for one signal (docs/conventions.md, "Order lifecycle").
 *
 * Lifecycle (every transition written to the store before the next step):
 *
 *   pending      persisted, not yet (known to be) sent
 *   unconfirmed  sent, outcome unknown (timeout, 5xx, dropped reply): it is
 *                QUERIED by client id, never sent again
 *   open / partially_filled / filled / cancelled / rejected / expired
 *                as the venue reports; a closed status is written only once
 *                every fill the venue reports is recorded (fills go through
 *                the portfolio, idempotent by trade id)
 *
 * Recovery rules:
 *   - Submit of a signal (symbol, bar time, side) whose latest attempt is
 *     still working returns that order (after querying it): no request.
 *     One closed with a fill returns it too. Only one closed with NO fill
 *     (rejected, cancelled, expired) lets a new attempt (id "-2", ...) go.
 *   - The venue's clock and the symbol's rules are learnt BEFORE the
 *     pending row is written, and the adapter records the order's sent_at
 *     (qf_order_req.on_send -> qf_store_order_sending) immediately before
 *     EVERY send, after the rate-limiter wait and the signature (a -1021
 *     retry records it again). A send is refused when another process
 *     closed the order meanwhile (QF_ESTATE, nothing sent).
 *   - "Unknown order" from the venue for a pending or unconfirmed order is
 *     not an answer until the venue's grace has passed since its LAST send
 *     (its creation if never sent; qf_venue.unknown_grace_ms: Binance
 *     refuses a request older than its recvWindow, a Coinbase JWT expires)
 *     AND min_unknown_queries lookups said so; re-queried with backoff
 *     meanwhile. Then, in one atomic check-and-write
 *     (qf_store_close_unsent: refused if a send was recorded since), a
 *     pending order is closed as cancelled ("never sent"), an unconfirmed
 *     one as rejected ("never acknowledged"). Neither is re-sent
 *     automatically: the next submit of the signal takes a new attempt
 *     number.
 *   - A row read before another process moved it on (recorded a fill,
 *     closed it) is never written back over the stored one: a fill "already
 *     recorded" reloads the row, and a write finding the store ahead takes
 *     the stored row instead.
 *   - Client ids are scoped by account and exchange (exec/client_id.h): a
 *     signal's paper order never stands for its live one.
 *   - An order open longer than order_timeout_seconds is cancelled at the
 *     venue, then its fills are fetched, and only then is it closed, so a
 *     fill that raced the cancel is recorded.
 *   - Start-up (qf_om_reconcile): every pending, unconfirmed, open or
 *     partially filled order of the account at this venue is resolved as
 *     above and its fills synced.
 */
#ifndef QF_EXEC_ORDER_MANAGER_H
#define QF_EXEC_ORDER_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "exec/slippage.h"
#include "exec/venue.h"
#include "risk/checks.h"
#include "risk/killswitch.h"
#include "risk/portfolio.h"
#include "store/store.h"

typedef struct qf_order_manager qf_order_manager;

typedef struct qf_om_options {
    int order_timeout_seconds; /* > 0: open orders older than this are cancelled */
    int min_unknown_queries;   /* "unknown order" answers needed to close a never-acknowledged
                                * order (also after the grace); >= 1 */
    int max_queries;           /* lookups per resolve call, >= 1 */
    int64_t backoff_ms;        /* first pause between lookups; doubles up to 8x */
    int64_t grace_ms;          /* < 0: the venue's unknown_grace_ms */
    bool check_risk;           /* run the pre-trade risk checks (risk.* limits) */
    qf_risk_limits limits;
    /* The asset the account's cash is kept in ("USDT"): an order on a symbol
     * quoted in another asset is refused (QF_EUNSUPPORTED, nothing stored),
     * since its fills would move cash in the wrong currency. "": not checked. */
    char quote_asset[16];
    /* Clock and sleep (tests may replace them); NULL: the real ones. */
    int64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    void *clock_ctx;
} qf_om_options;

/* execution.order_timeout_seconds, risk.* limits, 3 lookups, 250 ms backoff,
 * 8 lookups per call, the venue's grace; quote_asset = the quote asset every
 * universe.symbols entry shares ("" when they differ). */
qf_om_options qf_om_options_from_config(const qf_config *cfg);

/* Binds a venue, the store, the account's portfolio (the venue's account)
 * and its kill switch (NULL: none checked). All borrowed; they must outlive
 * the manager. QF_EINVAL for bad options. */
QF_NODISCARD qf_rc qf_om_new(const qf_venue *venue, qf_store *store, qf_portfolio *pf,
                             qf_killswitch *ks, const qf_om_options *opts, qf_order_manager **out,
                             qf_err *err);
void qf_om_free(qf_order_manager *om);

/* What the strategy (or a person) wants. */
typedef struct qf_order_intent {
    char symbol[QF_SYMBOL_MAX];
    qf_side side;
    qf_order_type type;
    qf_time_in_force tif;  /* limit orders */
    double quantity;       /* base, > 0 (rounded down to the step) */
    double limit_price;    /* limit orders (rounded to the tick in the trader's favour) */
    int64_t bar_time;      /* the signal's bar (the idempotency key); < 0: a manual order,
                            * keyed by the time it is made */
    double expected_price; /* price the decision assumed; NaN: the venue's ticker mid */
    int64_t data_time;     /* when that price was current; < 0: now */
} qf_order_intent;

/* Submits an intent (see the recovery rules above). QF_OK: *out is the
 * order as stored now (any status; unconfirmed when the venue could not yet
 * say; poll it). QF_EREJECTED: refused locally (trading rules, risk; stored
 * as rejected with the reason) or by the venue; *out holds the row.
 * QF_EUNKNOWN: still unconfirmed after this call's lookups; *out holds it.
 * QF_ESTATE: another process closed the order before it was sent; *out
 * holds it as stored. Other codes: nothing was sent (store, clock or
 * venue-rules failure). */
QF_NODISCARD qf_rc qf_om_submit(qf_order_manager *om, const qf_order_intent *intent,
                                qf_order_row *out, qf_err *err);

/* One look at a stored order: resolves a pending/unconfirmed one, syncs
 * fills, cancels it when older than the timeout. *out: the row after. */
QF_NODISCARD qf_rc qf_om_poll(qf_order_manager *om, const char *client_id, qf_order_row *out,
                              qf_err *err);

/* Polls every `interval_ms` until the order is closed or `max_ms` passed. */
QF_NODISCARD qf_rc qf_om_wait(qf_order_manager *om, const char *client_id, int64_t max_ms,
                              int64_t interval_ms, qf_order_row *out, qf_err *err);

/* Cancels a working order at the venue, fetches its final fills, closes it. */
QF_NODISCARD qf_rc qf_om_cancel(qf_order_manager *om, const char *client_id, qf_order_row *out,
                                qf_err *err);

/* Start-up: resolves every pending / unconfirmed / open / partially filled
 * order of the account at this venue (one failing does not stop the rest;
 * the first error is returned). *out_checked (may be NULL): orders looked at. */
QF_NODISCARD qf_rc qf_om_reconcile(qf_order_manager *om, size_t *out_checked, qf_err *err);

/* Slippage (expected vs fill price, bps; exec/slippage.h) of the account's
 * last QF_SLIPPAGE_WINDOW fills of orders with an expected price: seeded
 * from the store when the manager is made, then every fill it records. */
const qf_slippage *qf_om_slippage(const qf_order_manager *om);

/* True for filled, cancelled, rejected and expired (names: qf_order_status_name). */
bool qf_om_status_closed(qf_order_status s);

#endif
