/*
 * mock_util.c - replies, parameters, exact decimals and times for the mock.
 *
 * Decimals never go through binary floating point: "0.00100000" is 100000
 * units of 1e-8, formatted back with integer arithmetic.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock/mock_int.h"

void resp_header(mock_resp *r, const char *name, const char *fmt, ...)
{
    if (r->nheaders >= MOCK_MAX_HEADERS)
        return;
    snprintf(r->hname[r->nheaders], sizeof r->hname[0], "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->hval[r->nheaders], sizeof r->hval[0], fmt, ap);
    va_end(ap);
    r->nheaders++;
}

void resp_json(mock_resp *r, int status, json_t *j)
{
    free(r->body);
    r->body = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!r->body) { /* out of memory while building the reply */
        resp_text(r, 500, "text/plain", "mock: out of memory");
        return;
    }
    r->status = status;
    r->ctype = "application/json;charset=UTF-8";
}

void resp_text(mock_resp *r, int status, const char *ctype, const char *text)
{
    free(r->body);
    r->body = strdup(text);
    r->status = status;
    r->ctype = ctype;
}

void resp_binance_err(mock_resp *r, int status, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    resp_json(r, status, json_pack("{s:i,s:s}", "code", code, "msg", msg));
}

void resp_coinbase_err(mock_resp *r, int status, const char *error, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    resp_json(r, status,
              json_pack("{s:s,s:s,s:s}", "error", error, "error_details", msg, "message", msg));
}

const char *req_param(const mock_req *r, const char *name)
{
    for (int i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}

int mock_parse_units(const char *s, mock_u *out)
{
    size_t ni = 0, nf = 0;
    const char *p = s;
    while (isdigit((unsigned char)p[ni]))
        ni++;
    if (ni < 1 || ni > 20)
        return -1;
    p += ni;
    const char *frac = NULL;
    if (*p == '.') {
        frac = ++p;
        while (isdigit((unsigned char)p[nf]))
            nf++;
        if (nf < 1 || nf > 20)
            return -1;
        p += nf;
    }
    if (*p)
        return -1;
    for (size_t i = 8; frac && i < nf; i++)
        if (frac[i] != '0')
            return -2;
    mock_u v = 0;
    for (size_t i = 0; i < ni; i++) {
        if (v > (INT64_MAX / 10 - 9) / MOCK_UNIT)
            return -3;
        v = v * 10 + (s[i] - '0');
    }
    v *= MOCK_UNIT;
    mock_u scale = MOCK_UNIT / 10;
    for (size_t i = 0; frac && i < nf && i < 8; i++, scale /= 10)
        v += (frac[i] - '0') * scale;
    *out = v;
    return 0;
}

void mock_fmt_units(mock_u u, char *buf, size_t size)
{
    const char *sign = u < 0 ? "-" : "";
    if (u < 0)
        u = -u;
    snprintf(buf, size, "%s%lld.%08lld", sign, (long long)(u / MOCK_UNIT),
             (long long)(u % MOCK_UNIT));
}

void mock_fmt_units_short(mock_u u, char *buf, size_t size)
{
    mock_fmt_units(u, buf, size);
    char *dot = strchr(buf, '.');
    if (!dot)
        return;
    char *end = buf + strlen(buf) - 1;
    while (end > dot && *end == '0')
        *end-- = '\0';
    if (end == dot)
        *end = '\0';
}

json_t *json_units(mock_u u)
{
    char b[40];
    mock_fmt_units(u, b, sizeof b);
    return json_string(b);
}

json_t *json_units_short(mock_u u)
{
    char b[40];
    mock_fmt_units_short(u, b, sizeof b);
    return json_string(b);
}

double mock_units_d(mock_u u)
{
    return (double)(u / MOCK_UNIT) + (double)(u % MOCK_UNIT) / (double)MOCK_UNIT;
}

bool mock_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '-'))
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

mock_u mock_floor_to(mock_u v, mock_u step)
{
    if (step <= 0)
        return v;
    return v - v % step;
}

mock_u mock_mul(mock_u price, mock_u qty)
{
    mock_i128 p = (mock_i128)price * qty / MOCK_UNIT;
    if (p > INT64_MAX)
        return INT64_MAX;
    return (mock_u)p;
}

void mock_fmt_iso(int64_t ms, char *buf, size_t size)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms % 1000)
        snprintf(buf, size, "%s.%03dZ", d, (int)(ms % 1000));
    else
        snprintf(buf, size, "%sZ", d);
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool mock_parse_iso(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
    size_t n = strlen(s);
    if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return false;
    const char *p = s + 10;
    int64_t off = 0;
    if (*p == 'T' || *p == ' ') {
        if (strlen(p) < 9 || !digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi) ||
            p[6] != ':' || !digits(p + 7, 2, &se))
            return false;
        p += 9;
        if (*p == '.') {
            p++;
            int nd = 0;
            while (isdigit((unsigned char)p[nd]))
                nd++;
            if (nd == 0)
                return false;
            for (int i = 0; i < 3; i++)
                ms = ms * 10 + (i < nd ? p[i] - '0' : 0);
            p += nd;
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (strlen(p) != 6 || !digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
                return false;
            off = (int64_t)(oh * 60 + om) * 60000 * (*p == '+' ? 1 : -1);
            p += 6;
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    /* days from civil (Howard Hinnant) */
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    *out = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000 + ms - off;
    return true;
}
