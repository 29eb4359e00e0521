/*
 * client_id.h - deterministic client order ids: the idempotency key of an
 * order at the venue (docs/conventions.md, "Exchanges").
 *
 * "qf-" + the first 16 hex digits of
 * SHA-256("<account>|<exchange>|<symbol>|<bar time>|<side>") + "-" + the
 * attempt number: the same signal always gives the same id, so a restarted
 * process finds the order it may already have sent instead of sending
 * another. The account and exchange are part of the key: a paper order and a
 * live one (or a Binance and a Coinbase one) for the same signal are
 * different orders with different ids. At most 36 characters of
 * [A-Za-z0-9-_] (Binance's newClientOrderId rule; Coinbase accepts it too):
 * "qf-0123456789abcdef-1" is 21.
 */
#ifndef QF_EXEC_CLIENT_ID_H
#define QF_EXEC_CLIENT_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/types.h"

#define QF_CLIENT_ID_HASH_HEX    16
#define QF_CLIENT_ID_MAX_ATTEMPT 9999
/* "qf-" + hash + "-" (the part every attempt of a signal shares) + NUL */
#define QF_CLIENT_ID_BASE_SIZE (3 + QF_CLIENT_ID_HASH_HEX + 1 + 1)

/* Writes the id of attempt `attempt` (1..9999) of the signal (symbol,
 * bar_time, side) of `account` ("live", "paper") at `exchange` ("binance",
 * "coinbase") into out. QF_EINVAL for an empty account, exchange or symbol,
 * one holding '|', a bad side or attempt; QF_ERANGE when out is too small
 * (out then untouched). */
QF_NODISCARD qf_rc qf_client_id_make(const char *account, const char *exchange, const char *symbol,
                                     int64_t bar_time, qf_side side, int attempt, char *out,
                                     size_t size, qf_err *err);

/* Splits an id made by qf_client_id_make into its shared base ("qf-<hash>-",
 * may be NULL) and attempt. QF_EINVAL when the id is not one of ours. */
QF_NODISCARD qf_rc qf_client_id_parse(const char *id, char *out_base, size_t base_size,
                                      int *out_attempt, qf_err *err);

/* True for 1..36 characters of [A-Za-z0-9-_]. */
bool qf_client_id_valid(const char *id);

#endif
