/*
 * order_fields.h - typed field access for the venues' order and account
 * replies (binance_order_parse.c, coinbase_order_parse.c). Private to
 * src/market/.
 *
 * Every accessor checks the JSON type, names the reply and the field in its
 * error ("binance GET /api/v3/order: field price: expected a decimal string,
 * got a number") and writes its out-parameter only on success. Decimal
 * strings are plain decimals ("0.00100000", "-1.5"): no exponent, no spaces,
 * no hex, no inf/nan. Type names in messages come from qf_venue_json_kind.
 */
#ifndef QF_MARKET_ORDER_FIELDS_H
#define QF_MARKET_ORDER_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "market/venue_json.h"

/* Parses a reply body whose top level must be of type `want` (JSON_OBJECT
 * or JSON_ARRAY). An empty body, an HTML page, anything that is not JSON or
 * a top level of another type is QF_EPARSE naming `what`; *out (a new
 * reference) on success. */
QF_NODISCARD qf_rc qf_of_load(const char *body, size_t len, const char *what, json_type want,
                              json_t **out, qf_err *err);

/* A string field. Absent or null: QF_EPARSE when required, else *out = NULL. */
QF_NODISCARD qf_rc qf_of_str(const json_t *obj, const char *field, bool required, const char *what,
                             const char **out, qf_err *err);
/* A string field copied into dst (size bytes); too long is QF_EPARSE.
 * Absent and optional: dst = "". */
QF_NODISCARD qf_rc qf_of_copy(const json_t *obj, const char *field, bool required, const char *what,
                              char *dst, size_t size, qf_err *err);
/* A decimal string field. Absent, null or "" and optional: *out = NaN. */
QF_NODISCARD qf_rc qf_of_dec(const json_t *obj, const char *field, bool required, const char *what,
                             double *out, qf_err *err);
/* An integer field (a JSON integer). Absent and optional: *out = dflt. */
QF_NODISCARD qf_rc qf_of_int(const json_t *obj, const char *field, bool required, const char *what,
                             int64_t dflt, int64_t *out, qf_err *err);
/* A boolean field. Absent and optional: *out = dflt. */
QF_NODISCARD qf_rc qf_of_bool(const json_t *obj, const char *field, bool required, const char *what,
                              bool dflt, bool *out, qf_err *err);

/* A plain decimal string to a double; false when s is not one. */
bool qf_of_parse_decimal(const char *s, double *out);

#endif
