/*
 * venue_json.h - the field readers the venue parsers share: a decimal string
 * ("0.00100000") checked for decimal syntax before strtod, integers that
 * must be JSON integers, and messages naming the field (and row) that was
 * wrong. Pure: no I/O.
 */
#ifndef QF_MARKET_VENUE_JSON_H
#define QF_MARKET_VENUE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

/* True when s is [-]digits[.digits] (at most 40 characters, no exponent,
 * no spaces, no sign other than a leading '-' when allow_neg). */
bool qf_decimal_syntax_ok(const char *s, bool allow_neg);

/* Parses a decimal string; QF_EPARSE when the syntax is wrong or the value
 * is not finite. */
QF_NODISCARD qf_rc qf_decimal_parse(const char *s, double *out, qf_err *err);

/* Loads a JSON document (duplicate keys refused). An empty body, an HTML
 * page or broken JSON is QF_EPARSE with a short reason ("HTML page instead
 * of JSON", "truncated JSON at byte 118"). */
QF_NODISCARD qf_rc qf_venue_json_load(const char *body, size_t len, json_t **out, qf_err *err);

/* v must be a JSON string holding a non-negative decimal: its value. `what`
 * names the field in the message ("row 3 field open"). */
QF_NODISCARD qf_rc qf_venue_decimal(const json_t *v, const char *what, double *out, qf_err *err);
/* v must be a JSON integer. */
QF_NODISCARD qf_rc qf_venue_int(const json_t *v, const char *what, int64_t *out, qf_err *err);
/* v must be a JSON string of digits (Coinbase's "1717984800"). */
QF_NODISCARD qf_rc qf_venue_int_string(const json_t *v, const char *what, int64_t *out,
                                       qf_err *err);
/* v must be a JSON string; copies it into out (size bytes) or QF_EPARSE when
 * it does not fit. */
QF_NODISCARD qf_rc qf_venue_string(const json_t *v, const char *what, char *out, size_t size,
                                   qf_err *err);
/* v must be a JSON boolean. */
QF_NODISCARD qf_rc qf_venue_bool(const json_t *v, const char *what, bool *out, qf_err *err);

/* A JSON type's name for messages ("a number", "a string", "missing"). */
const char *qf_venue_json_kind(const json_t *v);

#endif
