/*
 * config_write.c - the configuration as YAML (block or flow) and as JSON.
 *
 * Output reads back to the same values: strings are written plain only when
 * YAML (ours and PyYAML) would read them back as the same string, otherwise
 * single-quoted, or double-quoted with escapes when they hold a tab; "${"
 * inside a value is written "$${" so that substitution leaves it alone.
 * Doubles use the shortest text that round-trips.
 */
#include "core/config_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define OPEN_MAX 8 /* section levels below the skipped prefix */

/* ---- scalars
 * ---------------------------------------------------------------------- */

static int looks_special(const char *s)
{
    static const char *const words[] = {"null",  "Null",  "NULL",  "~",   "true", "True", "TRUE",
                                        "false", "False", "FALSE", "yes", "Yes",  "YES",  "no",
                                        "No",    "NO",    "on",    "On",  "ON",   "off",  "Off",
                                        "OFF",   "y",     "Y",     "n",   "N",    ".inf", ".nan"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i]) == 0)
            return 1;
    char *end;
    (void)strtod(s, &end);
    if (*end == '\0')
        return 1; /* a number to any YAML reader */
    return strspn(s, "0123456789_+-.") == strlen(s);
}

static int plain_ok(const char *s)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_./+@:-";
    size_t n = strlen(s);
    if (n == 0 || strspn(s, safe) != n || s[n - 1] == ':' || s[0] == '-' || s[0] == ':' ||
        s[0] == '@')
        return 0;
    return !looks_special(s);
}

static void write_string(FILE *out, const char *s)
{
    if (plain_ok(s)) {
        fputs(s, out);
        return;
    }
    /* Double quotes for tabs, and for "''": libfyaml 0.7.12 misreads ''''. */
    int tab = strchr(s, '\t') != NULL || strstr(s, "''") != NULL;
    char q = tab ? '"' : '\'';
    fputc(q, out);
    for (const char *p = s; *p != '\0'; p++) {
        if (p[0] == '$' && p[1] == '{')
            fputc('$', out); /* "${" as "$${": not a reference */
        if (*p == '\'' && !tab)
            fputc('\'', out);
        if (tab && (*p == '"' || *p == '\\'))
            fputc('\\', out);
        if (*p == '\t')
            fputs("\\t", out);
        else
            fputc(*p, out);
    }
    fputc(q, out);
}

static const char *str_at(const qf_config *cfg, const qf_cfg_key *k, size_t i)
{
    return (const char *)qf_cfg_cfield(cfg, k) + i * k->size;
}

void qf_cfg_write_value(FILE *out, const qf_config *cfg, const qf_cfg_key *k, int flags)
{
    char buf[40];
    const void *f = qf_cfg_cfield(cfg, k);
    switch (k->type) {
    case QF_CT_STRING:
    case QF_CT_ENUM:
        if ((flags & QF_CFG_OUT_MASK) && (k->flags & QF_CF_SECRET) && str_at(cfg, k, 0)[0] != '\0')
            fputs("'***'", out);
        else
            write_string(out, str_at(cfg, k, 0));
        return;
    case QF_CT_INT:
        fprintf(out, "%d", *(const int *)f);
        return;
    case QF_CT_DOUBLE:
        qf_cfg_format_double(*(const double *)f, buf, sizeof buf);
        fputs(buf, out);
        return;
    case QF_CT_BOOL:
        fputs(*(const bool *)f ? "true" : "false", out);
        return;
    case QF_CT_STRLIST:
    case QF_CT_DBLLIST:
        break;
    }
    size_t n = qf_cfg_count(cfg, k);
    fputc('[', out);
    for (size_t i = 0; i < n && i < k->max_n; i++) {
        if (i > 0)
            fputs(", ", out);
        if (k->type == QF_CT_STRLIST) {
            write_string(out, str_at(cfg, k, i));
        } else {
            qf_cfg_format_double(((const double *)f)[i], buf, sizeof buf);
            fputs(buf, out);
        }
    }
    fputc(']', out);
}

void qf_cfg_write_items(FILE *out, const qf_config *cfg, const qf_cfg_key *k, int col)
{
    char buf[40];
    size_t n = qf_cfg_count(cfg, k);
    for (size_t i = 0; i < n && i < k->max_n; i++) {
        if (i > 0)
            fprintf(out, "\n%*s", col, "");
        fputs("- ", out);
        if (k->type == QF_CT_STRLIST) {
            write_string(out, str_at(cfg, k, i));
        } else {
            qf_cfg_format_double(((const double *)qf_cfg_cfield(cfg, k))[i], buf, sizeof buf);
            fputs(buf, out);
        }
    }
}

/* ---- sections
 * ---------------------------------------------------------------------- */

typedef struct opened {
    const char *seg[OPEN_MAX];
    size_t len[OPEN_MAX];
    size_t n;
} opened;

/* Levels of k's sections (after skip) that are already open. */
static size_t common_levels(const opened *o, const char *path, size_t skip, size_t levels)
{
    size_t c = 0;
    while (c < o->n && c < levels) {
        size_t len;
        const char *seg = qf_cfg_segment(path, skip + c, &len);
        if (len != o->len[c] || strncmp(seg, o->seg[c], len) != 0)
            break;
        c++;
    }
    return c;
}

void qf_cfg_write_block(FILE *out, const qf_config *cfg, const qf_config *defaults,
                        const unsigned char *want, size_t skip, int indent, int step, int flags)
{
    opened o = {.n = 0};
    int wrote = 0;
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        const qf_cfg_key *k = &qf_cfg_keys[i];
        if (!want[i])
            continue;
        size_t levels = qf_cfg_depth(k->path) - 1 - skip; /* sections below skip */
        size_t c = common_levels(&o, k->path, skip, levels);
        o.n = c;
        for (size_t lvl = c; lvl < levels && lvl < OPEN_MAX; lvl++) {
            size_t len;
            const char *seg = qf_cfg_segment(k->path, skip + lvl, &len);
            if (lvl == 0 && indent == 0 && wrote)
                fputc('\n', out); /* a blank line between top-level sections */
            fprintf(out, "%*s%.*s:\n", indent + (int)lvl * step, "", (int)len, seg);
            o.seg[lvl] = seg;
            o.len[lvl] = len;
            o.n = lvl + 1;
        }
        size_t len;
        const char *leaf = qf_cfg_segment(k->path, levels + skip, &len);
        fprintf(out, "%*s%.*s: ", indent + (int)o.n * step, "", (int)len, leaf);
        if ((flags & QF_CFG_OUT_DEFAULTS) && defaults != NULL && qf_cfg_equal(cfg, defaults, k))
            fputs(k->def, out);
        else
            qf_cfg_write_value(out, cfg, k, flags);
        if (flags & QF_CFG_OUT_DOCS)
            fprintf(out, "  # %s", k->doc);
        fputc('\n', out);
        wrote = 1;
    }
}

void qf_cfg_write_flow(FILE *out, const qf_config *cfg, const unsigned char *want, size_t skip,
                       int flags)
{
    opened o = {.n = 0};
    int comma = 0;
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        const qf_cfg_key *k = &qf_cfg_keys[i];
        if (!want[i])
            continue;
        size_t levels = qf_cfg_depth(k->path) - 1 - skip;
        size_t c = common_levels(&o, k->path, skip, levels);
        for (; o.n > c; o.n--)
            fputc('}', out);
        if (comma)
            fputs(", ", out);
        for (size_t lvl = c; lvl < levels && lvl < OPEN_MAX; lvl++) {
            size_t len;
            const char *seg = qf_cfg_segment(k->path, skip + lvl, &len);
            fprintf(out, "%.*s: {", (int)len, seg);
            o.seg[lvl] = seg;
            o.len[lvl] = len;
            o.n = lvl + 1;
        }
        size_t len;
        const char *leaf = qf_cfg_segment(k->path, levels + skip, &len);
        fprintf(out, "%.*s: ", (int)len, leaf);
        qf_cfg_write_value(out, cfg, k, flags);
        comma = 1;
    }
    for (; o.n > 0; o.n--)
        fputc('}', out);
}

qf_rc qf_config_write_yaml(const qf_config *cfg, FILE *out, int mask_secrets, qf_err *err)
{
    unsigned char want[QF_CFG_KEYS_MAX];
    memset(want, 1, sizeof want);
    qf_cfg_write_block(out, cfg, NULL, want, 0, 0, 2, mask_secrets ? QF_CFG_OUT_MASK : 0);
    if (fflush(out) != 0 || ferror(out))
        return qf_err_set(err, QF_EIO, "config: cannot write the configuration");
    return QF_OK;
}

/* ---- JSON
 * ----------------------------------------------------------------------------
 */

/* A JSON string of s; bytes that are not UTF-8 (an odd environment value)
 * become '?'. */
static json_t *json_str(const char *s)
{
    json_t *j = json_string(s);
    if (j != NULL)
        return j;
    char *copy = strdup(s);
    if (copy == NULL)
        return NULL;
    for (char *p = copy; *p != '\0'; p++)
        if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *json_value(const qf_config *cfg, const qf_cfg_key *k, int mask)
{
    const void *f = qf_cfg_cfield(cfg, k);
    switch (k->type) {
    case QF_CT_STRING:
    case QF_CT_ENUM:
        if (mask && (k->flags & QF_CF_SECRET) && str_at(cfg, k, 0)[0] != '\0')
            return json_string("***");
        return json_str(str_at(cfg, k, 0));
    case QF_CT_INT:
        return json_integer(*(const int *)f);
    case QF_CT_DOUBLE:
        return json_real(*(const double *)f);
    case QF_CT_BOOL:
        return json_boolean(*(const bool *)f);
    case QF_CT_STRLIST:
    case QF_CT_DBLLIST:
        break;
    }
    json_t *a = json_array();
    size_t n = qf_cfg_count(cfg, k);
    for (size_t i = 0; a != NULL && i < n && i < k->max_n; i++) {
        json_t *v = k->type == QF_CT_STRLIST ? json_str(str_at(cfg, k, i))
                                             : json_real(((const double *)f)[i]);
        if (json_array_append_new(a, v) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* The object at the section path of k (created as needed). */
static json_t *json_section(json_t *root, const char *path)
{
    json_t *obj = root;
    size_t depth = qf_cfg_depth(path);
    for (size_t i = 0; obj != NULL && i + 1 < depth; i++) {
        size_t len;
        const char *seg = qf_cfg_segment(path, i, &len);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)len, seg);
        json_t *next = json_object_get(obj, name);
        if (next == NULL) {
            next = json_object();
            if (json_object_set_new(obj, name, next) != 0)
                return NULL;
        }
        obj = next;
    }
    return obj;
}

json_t *qf_config_to_json(const qf_config *cfg, int mask_secrets)
{
    json_t *root = json_object();
    for (size_t i = 0; root != NULL && i < qf_cfg_n_keys; i++) {
        const qf_cfg_key *k = &qf_cfg_keys[i];
        json_t *obj = json_section(root, k->path);
        size_t len;
        const char *leaf = qf_cfg_segment(k->path, qf_cfg_depth(k->path) - 1, &len);
        if (obj == NULL || json_object_set_new(obj, leaf, json_value(cfg, k, mask_secrets)) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    return root;
}
