/*
 * venue_json.c - typed field readers for exchange responses (venue_json.h).
 */
#include "market/venue_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool qf_decimal_syntax_ok(const char *s, bool allow_neg)
{
    size_t n = 0, digits = 0;
    if (s == NULL)
        return false;
    if (allow_neg && s[0] == '-')
        n++;
    for (; s[n] >= '0' && s[n] <= '9'; n++)
        digits++;
    if (digits == 0)
        return false;
    if (s[n] == '.') {
        size_t frac = 0;
        for (n++; s[n] >= '0' && s[n] <= '9'; n++)
            frac++;
        if (frac == 0)
            return false;
    }
    return s[n] == '\0' && n <= 40;
}

qf_rc qf_decimal_parse(const char *s, double *out, qf_err *err)
{
    if (!qf_decimal_syntax_ok(s, true))
        return qf_err_set(err, QF_EPARSE, "'%.40s' is not a decimal", s != NULL ? s : "");
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return qf_err_set(err, QF_EPARSE, "'%.40s' is not a finite decimal", s);
    *out = v;
    return QF_OK;
}

const char *qf_venue_json_kind(const json_t *v)
{
    if (v == NULL)
        return "missing";
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

qf_rc qf_venue_json_load(const char *body, size_t len, json_t **out, qf_err *err)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
        i++;
    if (i == len)
        return qf_err_set(err, QF_EPARSE, "empty body instead of JSON");
    if (body[i] == '<')
        return qf_err_set(err, QF_EPARSE, "HTML page instead of JSON");
    json_error_t je;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL) {
        if (je.position >= (int)len)
            return qf_err_set(err, QF_EPARSE, "truncated JSON (%zu bytes)", len);
        return qf_err_set(err, QF_EPARSE, "malformed JSON at byte %d: %s", je.position, je.text);
    }
    *out = doc;
    return QF_OK;
}

qf_rc qf_venue_decimal(const json_t *v, const char *what, double *out, qf_err *err)
{
    if (!json_is_string(v))
        return qf_err_set(err, QF_EPARSE, "%s: expected a decimal string, got %s", what,
                          qf_venue_json_kind(v));
    const char *s = json_string_value(v);
    if (!qf_decimal_syntax_ok(s, false))
        return qf_err_set(err, QF_EPARSE, "%s: '%.40s' is not a decimal", what, s);
    char *end = NULL;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(x))
        return qf_err_set(err, QF_EPARSE, "%s: '%.40s' is not a finite decimal", what, s);
    *out = x;
    return QF_OK;
}

qf_rc qf_venue_int(const json_t *v, const char *what, int64_t *out, qf_err *err)
{
    if (!json_is_integer(v))
        return qf_err_set(err, QF_EPARSE, "%s: expected an integer, got %s", what,
                          json_is_real(v) ? "a fraction" : qf_venue_json_kind(v));
    *out = (int64_t)json_integer_value(v);
    return QF_OK;
}

qf_rc qf_venue_int_string(const json_t *v, const char *what, int64_t *out, qf_err *err)
{
    if (!json_is_string(v))
        return qf_err_set(err, QF_EPARSE, "%s: expected an integer string, got %s", what,
                          qf_venue_json_kind(v));
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
        return qf_err_set(err, QF_EPARSE, "%s: '%.40s' is not an integer", what, s);
    *out = strtoll(s, NULL, 10);
    return QF_OK;
}

qf_rc qf_venue_string(const json_t *v, const char *what, char *out, size_t size, qf_err *err)
{
    if (!json_is_string(v))
        return qf_err_set(err, QF_EPARSE, "%s: expected a string, got %s", what,
                          qf_venue_json_kind(v));
    size_t n = json_string_length(v);
    if (n >= size || memchr(json_string_value(v), '\0', n) != NULL)
        return qf_err_set(err, QF_EPARSE, "%s: string longer than %zu bytes", what, size - 1);
    memcpy(out, json_string_value(v), n + 1);
    return QF_OK;
}

qf_rc qf_venue_bool(const json_t *v, const char *what, bool *out, qf_err *err)
{
    if (!json_is_boolean(v))
        return qf_err_set(err, QF_EPARSE, "%s: expected a boolean, got %s", what,
                          qf_venue_json_kind(v));
    *out = json_is_true(v);
    return QF_OK;
}
