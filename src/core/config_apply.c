/*
 * config_apply.c - a parsed YAML tree onto the configuration struct.
 *
 * Walks the tree alongside the key table: a mapping entry is a key (its value
 * converted and checked), a section (recurse; an empty section is no
 * overrides) or unknown. Unknown keys inside a known section are errors;
 * unknown top-level sections are a newer version's and only warned about
 * when loading a file. `${VAR:default}` is replaced in every scalar value
 * before it is converted.
 */
#include "core/config_int.h"

#include <string.h>

#include "core/log.h"

static const char *kind_name(const qf_ynode *n)
{
    if (n->kind == QF_YN_MAP)
        return "a mapping";
    if (n->kind == QF_YN_SEQ)
        return "a list";
    return n->is_null ? "nothing" : "a scalar";
}

/* The scalar's text after ${...} substitution, into buf. */
static qf_rc subst(const qf_cfg_load *ld, const qf_cfg_key *k, long idx, const qf_ynode *n,
                   char *buf, size_t *out_len, qf_err *err)
{
    if (n->is_null) {
        buf[0] = '\0'; /* no value: the empty string */
        *out_len = 0;
        return QF_OK;
    }
    const char *why = qf_cfg_env_subst(n->text, n->len, 1, buf, QF_CFG_VALUE_MAX, out_len);
    if (why == NULL)
        return QF_OK;
    if (idx >= 0)
        return qf_cfg_fail(err, QF_ECONFIG, ld->src, n->line, "%s[%ld] %s", k->path, idx, why);
    return qf_cfg_fail(err, QF_ECONFIG, ld->src, n->line, "%s %s", k->path, why);
}

static qf_rc apply_list(qf_cfg_load *ld, const qf_cfg_key *k, const qf_ynode *n, qf_err *err)
{
    char buf[QF_CFG_VALUE_MAX];
    qf_cfg_where w = {ld->src, n->line};
    if (n->kind == QF_YN_SCALAR && !n->is_null)
        return qf_cfg_fail(err, QF_ECONFIG, ld->src, n->line,
                           "%s must be a list (e.g. [a, b]), got a scalar", k->path);
    if (n->kind == QF_YN_MAP)
        return qf_cfg_fail(err, QF_ECONFIG, ld->src, n->line,
                           "%s must be a list (e.g. [a, b]), got a mapping", k->path);
    size_t count = n->kind == QF_YN_SEQ ? n->n : 0;
    if (count > k->max_n)
        return qf_cfg_fail(err, QF_ECONFIG, ld->src, n->line,
                           "%s has %zu elements, at most %zu allowed", k->path, count, k->max_n);
    for (size_t i = 0; i < count; i++) {
        const qf_ynode *item = n->kids[i];
        qf_cfg_where iw = {ld->src, item->line};
        if (item->kind != QF_YN_SCALAR)
            return qf_cfg_fail(err, QF_ECONFIG, ld->src, item->line,
                               "%s[%zu] must be a single value, got %s", k->path, i,
                               kind_name(item));
        size_t len;
        qf_rc rc = subst(ld, k, (long)i, item, buf, &len, err);
        if (rc == QF_OK)
            rc = qf_cfg_parse_elem(ld->cfg, k, i, buf, len, &iw, err);
        if (rc != QF_OK)
            return rc;
    }
    qf_cfg_set_count(ld->cfg, k, count);
    return qf_cfg_check_list(ld->cfg, k, &w, err);
}

static qf_rc apply_key(qf_cfg_load *ld, int idx, const qf_ynode *n, qf_err *err)
{
    char buf[QF_CFG_VALUE_MAX];
    const qf_cfg_key *k = &qf_cfg_keys[idx];
    ld->lines[idx] = n->line != 0 ? n->line : 1; /* -1: --set */
    if (strcmp(k->path, "redis.url") == 0)
        ld->redis_set = 1;
    if (k->type == QF_CT_STRLIST || k->type == QF_CT_DBLLIST)
        return apply_list(ld, k, n, err);
    if (n->kind != QF_YN_SCALAR)
        return qf_cfg_fail(err, QF_ECONFIG, ld->src, n->line, "%s must be a single value, got %s",
                           k->path, kind_name(n));
    size_t len;
    qf_rc rc = subst(ld, k, -1, n, buf, &len, err);
    if (rc != QF_OK)
        return rc;
    qf_cfg_where w = {ld->src, n->line};
    return qf_cfg_parse_scalar(ld->cfg, k, buf, len, &w, err);
}

static qf_rc apply_map(qf_cfg_load *ld, const qf_ynode *map, const char *path, qf_err *err)
{
    size_t plen = strlen(path);
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const qf_ynode *key = map->kids[i];
        const qf_ynode *val = map->kids[i + 1];
        char child[QF_CFG_PATH_MAX];
        int ok = key->len < sizeof child - plen - 1 && memchr(key->text, '\0', key->len) == NULL &&
                 memchr(key->text, '.', key->len) == NULL;
        size_t clen = 0;
        if (ok) {
            if (plen > 0) {
                memcpy(child, path, plen);
                child[plen] = '.';
                clen = plen + 1;
            }
            memcpy(child + clen, key->text, key->len);
            clen += key->len;
            child[clen] = '\0';
        }
        int idx = ok ? qf_cfg_find(child, clen) : -1;
        qf_rc rc = QF_OK;
        if (idx >= 0) {
            rc = apply_key(ld, idx, val, err);
        } else if (ok && qf_cfg_is_section(child, clen)) {
            rc = qf_cfg_apply(ld, val, child, err);
        } else if (plen == 0 && ld->warn_unknown_top) {
            if (ld->warn_unknown_top == 1)
                qf_log_warn("config: unknown section '%.64s' ignored (%s:%d)", key->text,
                            ld->src != NULL ? ld->src : "<string>", key->line);
        } else {
            rc = qf_cfg_fail(err, QF_ECONFIG, ld->src, key->line, "unknown key %s%s%.64s", path,
                             plen > 0 ? "." : "", key->text);
        }
        if (rc != QF_OK)
            return rc;
    }
    return QF_OK;
}

qf_rc qf_cfg_apply(qf_cfg_load *ld, const qf_ynode *node, const char *path, qf_err *err)
{
    if (path[0] != '\0') {
        int idx = qf_cfg_find(path, strlen(path));
        if (idx >= 0)
            return apply_key(ld, idx, node, err);
    }
    if (node->kind == QF_YN_MAP)
        return apply_map(ld, node, path, err);
    if (node->kind == QF_YN_SCALAR && node->is_null)
        return QF_OK; /* an empty section: every key keeps its value */
    if (path[0] == '\0')
        return qf_cfg_fail(err, QF_ECONFIG, ld->src, node->line,
                           "the document must be a mapping of sections, got %s", kind_name(node));
    return qf_cfg_fail(err, QF_ECONFIG, ld->src, node->line,
                       "%s is a section and takes a mapping, got %s", path, kind_name(node));
}
