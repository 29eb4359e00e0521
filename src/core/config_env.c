/*
 * config_env.c - `${VAR}` and `${VAR:default}` inside configuration values.
 *
 * The variable's value replaces the reference when VAR is set (even to the
 * empty string, as Python's os.environ.get(VAR, default) did in the original);
 * otherwise the default does (empty without one). The default runs to the
 * first '}' and is taken literally. "$${" writes a literal "${"; a '$' not
 * followed by '{' is an ordinary character.
 */
#include "core/config_int.h"

#include <stdlib.h>
#include <string.h>

#define ENV_NAME_MAX 128

static int name_char(char c, int first)
{
    if (c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
        return 1;
    return !first && c >= '0' && c <= '9';
}

/* Appends n bytes to out; 0 when they do not fit (one byte kept for NUL). */
static int put(char *out, size_t size, size_t *o, const char *s, size_t n)
{
    if (n >= size - *o)
        return 0;
    memcpy(out + *o, s, n);
    *o += n;
    return 1;
}

const char *qf_cfg_env_subst(const char *in, size_t len, int use_env, char *out, size_t size,
                             size_t *out_len)
{
    static const char *const too_long = "is too long after ${...} substitution";
    size_t o = 0;
    size_t i = 0;
    while (i < len) {
        if (in[i] == '$' && i + 2 < len && in[i + 1] == '$' && in[i + 2] == '{') {
            if (!put(out, size, &o, "${", 2))
                return too_long;
            i += 3;
            continue;
        }
        if (in[i] != '$' || i + 1 >= len || in[i + 1] != '{') {
            if (!put(out, size, &o, in + i, 1))
                return too_long;
            i++;
            continue;
        }
        const char *close = memchr(in + i + 2, '}', len - i - 2);
        if (close == NULL)
            return "has an unterminated ${";
        size_t name_at = i + 2;
        size_t n = 0;
        while (name_at + n < (size_t)(close - in) && name_char(in[name_at + n], n == 0))
            n++;
        const char *rest = in + name_at + n; /* ':' or '}' when well formed */
        if (n == 0 || n >= ENV_NAME_MAX || (rest != close && *rest != ':'))
            return "has an invalid ${...} reference (expected ${NAME} or ${NAME:default})";
        char name[ENV_NAME_MAX];
        memcpy(name, in + name_at, n);
        name[n] = '\0';
        const char *val = use_env ? getenv(name) : NULL;
        int ok;
        if (val != NULL)
            ok = put(out, size, &o, val, strlen(val));
        else if (rest != close)
            ok = put(out, size, &o, rest + 1, (size_t)(close - rest - 1));
        else
            ok = 1;
        if (!ok)
            return too_long;
        i = (size_t)(close - in) + 1;
    }
    out[o] = '\0';
    *out_len = o;
    return NULL;
}

int qf_cfg_env_has_ref(const char *in, size_t len)
{
    /* Walks the text exactly as qf_cfg_env_subst does. */
    for (size_t i = 0; i + 1 < len; i++) {
        if (in[i] == '$' && i + 2 < len && in[i + 1] == '$' && in[i + 2] == '{')
            i += 2; /* "$${" is a literal "${" */
        else if (in[i] == '$' && in[i + 1] == '{')
            return 1;
    }
    return 0;
}
