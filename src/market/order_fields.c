/*
 * order_fields.c - typed, named field access over jansson values for the
 * order and account reply parsers (order_fields.h).
 */
#include "market/order_fields.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

qf_rc qf_of_load(const char *body, size_t len, const char *what, json_type want, json_t **out,
                 qf_err *err)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
        i++;
    if (i == len)
        return qf_err_set(err, QF_EPARSE, "%s: empty reply", what);
    if (body[i] == '<')
        return qf_err_set(err, QF_EPARSE, "%s: the reply is an HTML page, not JSON", what);
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return qf_err_set(err, QF_EPARSE, "%s: the reply is not valid JSON (%s at byte %d of %zu)",
                          what, je.text, je.position, len);
    if (json_typeof(root) != want) {
        qf_rc rc =
            qf_err_set(err, QF_EPARSE, "%s: expected %s, got %s", what,
                       want == JSON_ARRAY ? "an array" : "an object", qf_venue_json_kind(root));
        json_decref(root);
        return rc;
    }
    *out = root;
    return QF_OK;
}

static const json_t *member(const json_t *obj, const char *field)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    return v != NULL && !json_is_null(v) ? v : NULL;
}

static qf_rc missing(const char *field, const char *what, qf_err *err)
{
    return qf_err_set(err, QF_EPARSE, "%s: field %s is missing", what, field);
}

static qf_rc wrong(const json_t *v, const char *field, const char *expected, const char *what,
                   qf_err *err)
{
    return qf_err_set(err, QF_EPARSE, "%s: field %s: expected %s, got %s", what, field, expected,
                      qf_venue_json_kind(v));
}

qf_rc qf_of_str(const json_t *obj, const char *field, bool required, const char *what,
                const char **out, qf_err *err)
{
    const json_t *v = member(obj, field);
    if (v == NULL) {
        if (required)
            return missing(field, what, err);
        *out = NULL;
        return QF_OK;
    }
    if (!json_is_string(v))
        return wrong(v, field, "a string", what, err);
    *out = json_string_value(v);
    return QF_OK;
}

qf_rc qf_of_copy(const json_t *obj, const char *field, bool required, const char *what, char *dst,
                 size_t size, qf_err *err)
{
    const char *s = NULL;
    qf_rc rc = qf_of_str(obj, field, required, what, &s, err);
    if (rc != QF_OK)
        return rc;
    if (s == NULL)
        s = "";
    size_t n = strlen(s);
    if (n >= size)
        return qf_err_set(err, QF_EPARSE, "%s: field %s: %zu characters, at most %zu expected",
                          what, field, n, size - 1);
    memcpy(dst, s, n + 1);
    return QF_OK;
}

bool qf_of_parse_decimal(const char *s, double *out)
{
    const char *p = s;
    if (*p == '-')
        p++;
    size_t int_digits = strspn(p, "0123456789");
    if (int_digits == 0)
        return false;
    p += int_digits;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        if (frac == 0)
            return false;
        p += 1 + frac;
    }
    if (*p != '\0')
        return false;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end != p || !isfinite(v))
        return false;
    *out = v;
    return true;
}

qf_rc qf_of_dec(const json_t *obj, const char *field, bool required, const char *what, double *out,
                qf_err *err)
{
    const json_t *v = member(obj, field);
    if (v == NULL || (json_is_string(v) && json_string_length(v) == 0 && !required)) {
        if (required)
            return missing(field, what, err);
        *out = NAN;
        return QF_OK;
    }
    if (!json_is_string(v))
        return wrong(v, field, "a decimal string", what, err);
    double d = 0;
    if (json_string_length(v) > 64 || !qf_of_parse_decimal(json_string_value(v), &d))
        return qf_err_set(err, QF_EPARSE, "%s: field %s: \"%.40s\" is not a decimal", what, field,
                          json_string_value(v));
    *out = d;
    return QF_OK;
}

qf_rc qf_of_int(const json_t *obj, const char *field, bool required, const char *what, int64_t dflt,
                int64_t *out, qf_err *err)
{
    const json_t *v = member(obj, field);
    if (v == NULL) {
        if (required)
            return missing(field, what, err);
        *out = dflt;
        return QF_OK;
    }
    if (!json_is_integer(v))
        return wrong(v, field, "an integer", what, err);
    *out = (int64_t)json_integer_value(v);
    return QF_OK;
}

qf_rc qf_of_bool(const json_t *obj, const char *field, bool required, const char *what, bool dflt,
                 bool *out, qf_err *err)
{
    const json_t *v = member(obj, field);
    if (v == NULL) {
        if (required)
            return missing(field, what, err);
        *out = dflt;
        return QF_OK;
    }
    if (!json_is_boolean(v))
        return wrong(v, field, "a boolean", what, err);
    *out = json_is_true(v);
    return QF_OK;
}
