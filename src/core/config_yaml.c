/*
 * config_yaml.c - a small YAML tree built from libfyaml's event stream.
 *
 * The configuration needs more than values: messages name the line of each
 * value, and qf_config_save patches values in the file's text, so every node
 * keeps its byte span. libfyaml's document API hides some of that, so we
 * build our own tree from parser events. The tree refuses what a
 * configuration never needs and what would make patching ambiguous:
 * several documents, aliases, tags, non-scalar keys and duplicate keys.
 *
 * Marks from libfyaml: a quoted scalar's span excludes its quotes (we widen
 * it), a block collection ends where the next token starts (we end it at its
 * last child instead), an empty scalar has no mark (we place it after its
 * key's ':').
 */
#include "core/config_int.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder {
    const char *text; /* the whole input */
    size_t len;
    const char *src;
    qf_ynode *root;
    qf_ynode *stack[QF_CFG_YAML_DEPTH_MAX + 1]; /* open collections */
    size_t depth;
    int docs; /* documents seen */
} builder;

static qf_ynode *node_new(qf_yn_kind kind)
{
    qf_ynode *n = calloc(1, sizeof *n);
    if (n != NULL)
        n->kind = kind;
    return n;
}

void qf_cfg_yaml_free(qf_ynode *node)
{
    if (node == NULL)
        return;
    for (size_t i = 0; i < node->n; i++)
        qf_cfg_yaml_free(node->kids[i]);
    free(node->kids);
    free(node->text);
    free(node);
}

static int add_kid(qf_ynode *parent, qf_ynode *kid)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap != 0 ? parent->cap * 2 : 8;
        qf_ynode **k = realloc(parent->kids, cap * sizeof *k);
        if (k == NULL)
            return 0;
        parent->kids = k;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return 1;
}

static void set_start(qf_ynode *n, const struct fy_mark *m)
{
    n->has_span = 1;
    n->start = m->input_pos;
    n->end = m->input_pos;
    n->line = m->line + 1;
    n->col = m->column;
}

/* Position just after the ':' that follows a key ending at pos (or pos). */
static size_t after_colon(const builder *b, size_t pos)
{
    size_t p = pos;
    while (p < b->len && (b->text[p] == ' ' || b->text[p] == '\t'))
        p++;
    return p < b->len && b->text[p] == ':' ? p + 1 : pos;
}

static int key_equal(const qf_ynode *a, const qf_ynode *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Attaches a finished node to the open collection (or makes it the root). */
static qf_rc attach(builder *b, qf_ynode *n, qf_err *err)
{
    if (b->depth == 0) {
        b->root = n;
        return QF_OK;
    }
    qf_ynode *parent = b->stack[b->depth - 1];
    int is_key = parent->kind == QF_YN_MAP && parent->n % 2 == 0;
    if (is_key) {
        if (n->kind != QF_YN_SCALAR || n->is_null) {
            int line = n->line;
            qf_cfg_yaml_free(n);
            return qf_cfg_fail(err, QF_EPARSE, b->src, line, "mapping keys must be plain names");
        }
        for (size_t i = 0; i < parent->n; i += 2) {
            if (key_equal(parent->kids[i], n)) {
                int first = parent->kids[i]->line;
                int line = n->line;
                char name[65];
                snprintf(name, sizeof name, "%s", n->text);
                qf_cfg_yaml_free(n);
                return qf_cfg_fail(err, QF_EPARSE, b->src, line,
                                   "duplicate key '%s' (first given on line %d)", name, first);
            }
        }
    } else if (parent->kind == QF_YN_MAP && !n->has_span) {
        /* An empty value: place it right after its key's ':'. */
        const qf_ynode *key = parent->kids[parent->n - 1];
        n->start = n->end = after_colon(b, key->end);
        n->line = key->line;
        n->col = key->col;
    } else if (!n->has_span) {
        n->line = parent->line;
    }
    if (!add_kid(parent, n)) {
        qf_cfg_yaml_free(n);
        return qf_err_set(err, QF_ENOMEM, "config: out of memory");
    }
    return QF_OK;
}

/* libfyaml 0.7.12 decodes '''' inside a single-quoted scalar as three quotes
 * and drops the scalar's last character. A one-line single-quoted scalar is
 * easy to decode from its span ('' is ', nothing else is special), so we do. */
static void redecode_single(const builder *b, qf_ynode *n)
{
    if (n->end < n->start + 2 || b->text[n->start] != '\'' || b->text[n->end - 1] != '\'')
        return;
    const char *raw = b->text + n->start + 1;
    size_t len = n->end - n->start - 2;
    if (memchr(raw, '\n', len) != NULL || memchr(raw, '\r', len) != NULL)
        return;
    char *t = malloc(len + 1);
    if (t == NULL)
        return; /* keep libfyaml's text */
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        t[o++] = raw[i];
        if (raw[i] == '\'' && i + 1 < len && raw[i + 1] == '\'')
            i++;
    }
    t[o] = '\0';
    free(n->text);
    n->text = t;
    n->len = o;
}

static qf_rc on_scalar(builder *b, struct fy_event *e, qf_err *err)
{
    if (e->scalar.tag != NULL) {
        const struct fy_mark *m = fy_event_start_mark(e);
        return qf_cfg_fail(err, QF_EPARSE, b->src, m != NULL ? m->line + 1 : 0,
                           "YAML tags (!!str, !foo) are not supported");
    }
    qf_ynode *n = node_new(QF_YN_SCALAR);
    size_t len = 0;
    const char *t = fy_token_get_text(e->scalar.value, &len);
    if (n != NULL)
        n->text = malloc(len + 1);
    if (n == NULL || n->text == NULL) {
        qf_cfg_yaml_free(n);
        return qf_err_set(err, QF_ENOMEM, "config: out of memory");
    }
    if (len > 0)
        memcpy(n->text, t, len);
    n->text[len] = '\0';
    n->len = len;
    n->style = fy_token_scalar_style(e->scalar.value);
    const struct fy_mark *s = fy_event_start_mark(e);
    const struct fy_mark *en = fy_event_end_mark(e);
    if (s != NULL && en != NULL) {
        set_start(n, s);
        n->end = en->input_pos;
        if (n->style == FYSS_SINGLE_QUOTED || n->style == FYSS_DOUBLE_QUOTED) {
            /* Widen the span to the quotes, which libfyaml's marks leave out. */
            char q = n->style == FYSS_SINGLE_QUOTED ? '\'' : '"';
            if (n->start > 0 && b->text[n->start - 1] == q) {
                n->start--;
                n->col--;
            }
            if (n->end < b->len && b->text[n->end] == q)
                n->end++;
        }
        if (n->style == FYSS_SINGLE_QUOTED)
            redecode_single(b, n);
    }
    n->is_null = n->style == FYSS_PLAIN &&
                 (len == 0 || (len == 1 && t[0] == '~') ||
                  (len == 4 && (memcmp(t, "null", 4) == 0 || memcmp(t, "Null", 4) == 0 ||
                                memcmp(t, "NULL", 4) == 0)));
    return attach(b, n, err);
}

static qf_rc on_start(builder *b, struct fy_event *e, qf_yn_kind kind, qf_err *err)
{
    struct fy_token *tag = kind == QF_YN_MAP ? e->mapping_start.tag : e->sequence_start.tag;
    const struct fy_mark *s = fy_event_start_mark(e);
    int line = s != NULL ? s->line + 1 : 0;
    if (tag != NULL)
        return qf_cfg_fail(err, QF_EPARSE, b->src, line, "YAML tags are not supported");
    if (b->depth >= QF_CFG_YAML_DEPTH_MAX)
        return qf_cfg_fail(err, QF_EPARSE, b->src, line, "nesting deeper than %d levels",
                           QF_CFG_YAML_DEPTH_MAX);
    qf_ynode *n = node_new(kind);
    if (n == NULL)
        return qf_err_set(err, QF_ENOMEM, "config: out of memory");
    n->style = fy_event_get_node_style(e) == FYNS_FLOW ? 0 : 1;
    if (s != NULL)
        set_start(n, s);
    b->stack[b->depth++] = n;
    return QF_OK;
}

static qf_rc on_end(builder *b, struct fy_event *e, qf_err *err)
{
    qf_ynode *n = b->stack[--b->depth];
    if (n->style == 0) {
        const struct fy_mark *m = fy_event_end_mark(e);
        if (m != NULL)
            n->end = m->input_pos;
    } else if (n->n > 0) {
        n->end = n->kids[n->n - 1]->end; /* a block collection ends with its last child */
    }
    return attach(b, n, err);
}

static qf_rc on_event(builder *b, struct fy_event *e, qf_err *err)
{
    const struct fy_mark *m = fy_event_start_mark(e);
    int line = m != NULL ? m->line + 1 : 0;
    switch (e->type) {
    case FYET_DOCUMENT_START:
        if (++b->docs > 1)
            return qf_cfg_fail(err, QF_EPARSE, b->src, line, "more than one YAML document ('---')");
        return QF_OK;
    case FYET_ALIAS:
        return qf_cfg_fail(err, QF_EPARSE, b->src, line, "YAML aliases (*name) are not supported");
    case FYET_SCALAR:
        return on_scalar(b, e, err);
    case FYET_MAPPING_START:
        return on_start(b, e, QF_YN_MAP, err);
    case FYET_SEQUENCE_START:
        return on_start(b, e, QF_YN_SEQ, err);
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END:
        return on_end(b, e, err);
    default:
        return QF_OK;
    }
}

/* The first error libfyaml collected, as our message. */
static qf_rc syntax_error(struct fy_diag *diag, const char *src, qf_err *err)
{
    void *it = NULL;
    struct fy_diag_error *de = diag != NULL ? fy_diag_errors_iterate(diag, &it) : NULL;
    if (de == NULL)
        return qf_cfg_fail(err, QF_EPARSE, src, 0, "YAML syntax error");
    return qf_cfg_fail(err, QF_EPARSE, src, de->line, "YAML syntax error: %.120s",
                       de->msg != NULL ? de->msg : "?");
}

qf_rc qf_cfg_yaml_parse(const char *text, size_t len, const char *src, qf_ynode **out_root,
                        qf_err *err)
{
    *out_root = NULL;
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dc);
    if (diag == NULL)
        return qf_err_set(err, QF_ENOMEM, "config: out of memory");
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_JSON_NONE,
                              .diag = diag};
    struct fy_parser *fyp = fy_parser_create(&pc);
    if (fyp == NULL || fy_parser_set_string(fyp, text, len) != 0) {
        if (fyp != NULL)
            fy_parser_destroy(fyp);
        fy_diag_destroy(diag);
        return qf_err_set(err, QF_ENOMEM, "config: out of memory");
    }
    builder b = {.text = text, .len = len, .src = src};
    qf_rc rc = QF_OK;
    while (rc == QF_OK) {
        struct fy_event *e = fy_parser_parse(fyp);
        if (e == NULL)
            break;
        rc = on_event(&b, e, err);
        fy_parser_event_free(fyp, e);
    }
    if (rc == QF_OK && (fy_parser_get_stream_error(fyp) || b.depth != 0))
        rc = syntax_error(diag, src, err);
    while (b.depth > 0)
        qf_cfg_yaml_free(b.stack[--b.depth]);
    fy_parser_destroy(fyp);
    fy_diag_destroy(diag);
    if (rc != QF_OK) {
        qf_cfg_yaml_free(b.root);
        return rc;
    }
    *out_root = b.root;
    return QF_OK;
}

const qf_ynode *qf_cfg_yaml_get(const qf_ynode *map, const char *key, size_t len)
{
    if (map == NULL || map->kind != QF_YN_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const qf_ynode *k = map->kids[i];
        if (k->len == len && memcmp(k->text, key, len) == 0)
            return map->kids[i + 1];
    }
    return NULL;
}
