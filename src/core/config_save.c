/*
 * config_save.c - writing a changed configuration back to its YAML file.
 *
 * libfyaml's comment support is experimental, so we patch the text instead of
 * re-emitting a document: the file is parsed into our tree (with byte spans)
 * and loaded over the defaults, which tells what the file yields now. Every
 * key whose value differs from cfg becomes one edit: its value's span is
 * replaced, an empty value gets one, and keys the file lacks are inserted
 * after the last line of their deepest existing section (or into its flow
 * mapping, or appended as new sections). Everything else - comments, layout,
 * `${VAR:default}` placeholders whose value did not change - is copied byte
 * for byte. The result is loaded again and must yield cfg before it replaces
 * the file (temporary file in the same directory, fsync, rename).
 */
#include "core/config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One change to the text: replace [pos, pos + del) by ins. */
typedef struct edit {
    size_t pos, del;
    int depth; /* insertions at the same place: deeper sections first */
    size_t seq;
    char *ins;
} edit;

/* Where keys missing from the file go: into this mapping (or empty section). */
typedef struct anchor {
    const qf_ynode *node; /* the mapping, a null section value, or NULL for an empty document */
    const qf_ynode *key;  /* the key of a null section value */
    size_t depth;         /* path segments leading to node */
    unsigned char want[QF_CFG_KEYS_MAX];
} anchor;

typedef struct saver {
    const qf_config *cfg;
    const char *text;
    size_t len;
    edit *edits;
    size_t n_edits;
    anchor *anchors;
    size_t n_anchors;
} saver;

static qf_rc oom(qf_err *err)
{
    return qf_err_set(err, QF_ENOMEM, "config: out of memory");
}

static qf_rc add_edit(saver *s, size_t pos, size_t del, int depth, char *ins, qf_err *err)
{
    if (ins == NULL)
        return oom(err);
    edit *e = realloc(s->edits, (s->n_edits + 1) * sizeof *e);
    if (e == NULL) {
        free(ins);
        return oom(err);
    }
    s->edits = e;
    s->edits[s->n_edits] = (edit){pos, del, depth, s->n_edits, ins};
    s->n_edits++;
    return QF_OK;
}

/* ---- text of new values ------------------------------------------------------------ */

static char *value_text(const qf_config *cfg, const qf_cfg_key *k, const char *before,
                        const char *after)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    fputs(before, f);
    qf_cfg_write_value(f, cfg, k, 0);
    fputs(after, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *items_text(const qf_config *cfg, const qf_cfg_key *k, int col)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    if (qf_cfg_count(cfg, k) == 0)
        fputs("[]", f);
    else
        qf_cfg_write_items(f, cfg, k, col);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- finding keys in the tree -------------------------------------------------------- */

/* Position after the end of the line holding pos (after its '\n', or the end). */
static size_t line_end(const saver *s, size_t pos)
{
    if (pos > 0 && s->text[pos - 1] == '\n')
        return pos; /* a block scalar already ends with its line */
    const char *nl = memchr(s->text + pos, '\n', s->len - pos);
    return nl != NULL ? (size_t)(nl - s->text) + 1 : s->len;
}

static anchor *anchor_for(saver *s, const qf_ynode *node, const qf_ynode *key, size_t depth,
                          qf_err *err)
{
    for (size_t i = 0; i < s->n_anchors; i++)
        if (s->anchors[i].node == node)
            return &s->anchors[i];
    anchor *a = realloc(s->anchors, (s->n_anchors + 1) * sizeof *a);
    if (a == NULL) {
        oom(err);
        return NULL;
    }
    s->anchors = a;
    a = &s->anchors[s->n_anchors++];
    memset(a, 0, sizeof *a);
    a->node = node;
    a->key = key;
    a->depth = depth;
    return a;
}

/* The edit that gives key k (found as val under key) cfg's value. */
static qf_rc replace_value(saver *s, const qf_cfg_key *k, const qf_ynode *key, const qf_ynode *val,
                           size_t depth, qf_err *err)
{
    int is_list = k->type == QF_CT_STRLIST || k->type == QF_CT_DBLLIST;
    if (!val->has_span) /* "key:" with nothing: the value goes after the ':' */
        return add_edit(s, val->start, 0, (int)depth, value_text(s->cfg, k, " ", ""), err);
    if (val->kind == QF_YN_SCALAR && (val->style == FYSS_LITERAL || val->style == FYSS_FOLDED)) {
        /* A block scalar: replace from its key's ':' through its last line. */
        size_t from = key->end;
        while (from < val->start && s->text[from] != ':')
            from++;
        int nl = val->end > 0 && s->text[val->end - 1] == '\n';
        return add_edit(s, from + 1, val->end - from - 1, (int)depth,
                        value_text(s->cfg, k, " ", nl ? "\n" : ""), err);
    }
    char *ins = is_list && val->kind == QF_YN_SEQ && val->style == 1
                    ? items_text(s->cfg, k, val->col)
                    : value_text(s->cfg, k, "", "");
    return add_edit(s, val->start, val->end - val->start, (int)depth, ins, err);
}

/* Locates key i in the tree: an edit when present, else an anchor entry. */
static qf_rc plan_key(saver *s, const qf_ynode *root, size_t i, qf_err *err)
{
    const qf_cfg_key *k = &qf_cfg_keys[i];
    size_t depth = qf_cfg_depth(k->path);
    const qf_ynode *node = root;
    const qf_ynode *node_key = NULL;
    for (size_t d = 0; d < depth; d++) {
        size_t len;
        const char *seg = qf_cfg_segment(k->path, d, &len);
        if (node == NULL || node->kind != QF_YN_MAP) {
            anchor *a = anchor_for(s, node, node_key, d, err);
            if (a == NULL)
                return QF_ENOMEM;
            a->want[i] = 1;
            return QF_OK;
        }
        const qf_ynode *child = NULL;
        const qf_ynode *child_key = NULL;
        for (size_t j = 0; j + 1 < node->n; j += 2) {
            const qf_ynode *kk = node->kids[j];
            if (kk->len == len && memcmp(kk->text, seg, len) == 0) {
                child_key = kk;
                child = node->kids[j + 1];
            }
        }
        if (child == NULL) {
            anchor *a = anchor_for(s, node, node_key, d, err);
            if (a == NULL)
                return QF_ENOMEM;
            a->want[i] = 1;
            return QF_OK;
        }
        if (d + 1 == depth)
            return replace_value(s, k, child_key, child, depth, err);
        node = child;
        node_key = child_key;
    }
    return QF_OK;
}

/* ---- inserting missing keys ------------------------------------------------------------- */

static qf_rc insert_anchor(saver *s, const anchor *a, qf_err *err)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (f == NULL)
        return oom(err);
    size_t pos;
    const qf_ynode *n = a->node;
    if (n == NULL) {
        /* No document (comments only): append whole sections. */
        pos = s->len;
        if (s->len > 0 && s->text[s->len - 1] != '\n')
            fputc('\n', f);
        qf_cfg_write_block(f, s->cfg, NULL, a->want, 0, 0, 2, 0);
    } else if (n->kind == QF_YN_MAP && n->style == 0) {
        /* A flow mapping: before its '}'. */
        pos = n->end > 0 ? n->end - 1 : 0;
        if (s->text[pos] != '}') {
            fclose(f);
            free(buf);
            return qf_cfg_fail(err, QF_EUNSUPPORTED, NULL, 0,
                               "cannot insert into the mapping on line %d", n->line);
        }
        if (n->n > 0)
            fputs(", ", f);
        qf_cfg_write_flow(f, s->cfg, a->want, a->depth, 0);
    } else if (n->kind == QF_YN_MAP) {
        /* A block mapping: after the line of its last value, at its keys' indent. */
        pos = line_end(s, n->end);
        if (pos == s->len && s->len > 0 && s->text[s->len - 1] != '\n')
            fputc('\n', f);
        if (a->depth == 0)
            fputc('\n', f); /* new top-level sections after a blank line */
        qf_cfg_write_block(f, s->cfg, NULL, a->want, a->depth, n->col, 2, 0);
    } else if (n->kind == QF_YN_SCALAR && n->is_null && a->key != NULL) {
        /* "section:" with nothing below: after that line, indented under it. */
        pos = line_end(s, a->key->end);
        if (pos == s->len && s->len > 0 && s->text[s->len - 1] != '\n')
            fputc('\n', f);
        qf_cfg_write_block(f, s->cfg, NULL, a->want, a->depth, a->key->col + 2, 2, 0);
    } else {
        fclose(f);
        free(buf);
        return qf_cfg_fail(err, QF_EUNSUPPORTED, NULL, 0, "cannot insert below line %d", n->line);
    }
    if (fclose(f) != 0) {
        free(buf);
        return oom(err);
    }
    return add_edit(s, pos, 0, (int)a->depth, buf, err);
}

/* ---- applying the edits ------------------------------------------------------------------ */

static int edit_order(const void *pa, const void *pb)
{
    const edit *a = pa;
    const edit *b = pb;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    if (a->depth != b->depth)
        return a->depth > b->depth ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

static char *apply_edits(saver *s, size_t *out_len)
{
    if (s->n_edits > 1)
        qsort(s->edits, s->n_edits, sizeof *s->edits, edit_order);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < s->n_edits; i++) {
        const edit *e = &s->edits[i];
        if (e->pos < at)
            continue; /* overlapping edits cannot happen; be safe */
        fwrite(s->text + at, 1, e->pos - at, f);
        fputs(e->ins, f);
        at = e->pos + e->del;
    }
    fwrite(s->text + at, 1, s->len - at, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *out_len = len;
    return buf;
}

static void saver_free(saver *s)
{
    for (size_t i = 0; i < s->n_edits; i++)
        free(s->edits[i].ins);
    free(s->edits);
    free(s->anchors);
}

/* ---- producing the new text ------------------------------------------------------------------ */

/* The file's new text: text patched so that it yields cfg. */
static qf_rc patch_text(const qf_config *cfg, const qf_config *defaults, const char *path,
                        const char *text, size_t len, char **out, size_t *out_len, qf_err *err)
{
    qf_config *base = malloc(sizeof *base);
    if (base == NULL)
        return oom(err);
    *base = *defaults;
    int blank = strspn(text, " \t\r\n") == len;
    qf_ynode *root = NULL;
    qf_rc rc = blank ? QF_OK : qf_cfg_load_text(base, text, len, path, 1, err);
    if (rc == QF_OK && !blank)
        rc = qf_cfg_yaml_parse(text, len, path, &root, err);
    saver s = {.cfg = cfg, .text = text, .len = len};
    for (size_t i = 0; rc == QF_OK && i < qf_cfg_n_keys; i++)
        if (!qf_cfg_equal(base, cfg, &qf_cfg_keys[i]))
            rc = plan_key(&s, root, i, err);
    for (size_t i = 0; rc == QF_OK && i < s.n_anchors; i++)
        rc = insert_anchor(&s, &s.anchors[i], err);
    if (rc == QF_OK) {
        *out = apply_edits(&s, out_len);
        if (*out == NULL)
            rc = oom(err);
    }
    saver_free(&s);
    qf_cfg_yaml_free(root);
    free(base);
    return rc;
}

/* The whole configuration, for a file that does not exist yet. */
static char *full_text(const qf_config *cfg, const qf_config *defaults, size_t *out_len)
{
    unsigned char want[QF_CFG_KEYS_MAX];
    memset(want, 1, sizeof want);
    char *buf = NULL;
    FILE *f = open_memstream(&buf, out_len);
    if (f == NULL)
        return NULL;
    fputs("# QuantFlow configuration (see docs/config.md). ${VAR:default} reads the\n"
          "# environment; keys left out take their built-in defaults.\n\n",
          f);
    qf_cfg_write_block(f, cfg, defaults, want, 0, 0, 2, QF_CFG_OUT_DEFAULTS | QF_CFG_OUT_DOCS);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Nonzero when the new file would hold a secret in clear text. */
static int holds_secret(const qf_config *cfg, const qf_config *defaults)
{
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        const qf_cfg_key *k = &qf_cfg_keys[i];
        if ((k->flags & QF_CF_SECRET) && ((const char *)qf_cfg_cfield(cfg, k))[0] != '\0' &&
            !qf_cfg_equal(cfg, defaults, k))
            return 1;
    }
    return 0;
}

/* Loading text over the defaults must give cfg back. */
static qf_rc verify(const qf_config *cfg, const qf_config *defaults, const char *text, size_t len,
                    const char *path, qf_err *err)
{
    qf_config *back = malloc(sizeof *back);
    if (back == NULL)
        return oom(err);
    *back = *defaults;
    qf_rc rc = qf_cfg_load_text(back, text, len, path, 1, err);
    for (size_t i = 0; rc == QF_OK && i < qf_cfg_n_keys; i++)
        if (!qf_cfg_equal(back, cfg, &qf_cfg_keys[i]))
            rc = qf_cfg_fail(err, QF_ESTATE, path, 0, "%s would not read back as saved",
                             qf_cfg_keys[i].path);
    free(back);
    return rc;
}

/* ---- the atomic write -------------------------------------------------------------------------
 */

static qf_rc write_atomic(const char *path, const char *text, size_t len, mode_t mode, qf_err *err)
{
    char tmpl[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int n = slash != NULL ? snprintf(tmpl, sizeof tmpl, "%.*s/.%s.XXXXXX", (int)(slash - path),
                                     path, slash + 1)
                          : snprintf(tmpl, sizeof tmpl, ".%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmpl)
        return qf_err_set(err, QF_EINVAL, "config: path too long: %.64s", path);
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return qf_err_set(err, QF_EIO, "config: cannot create a file next to %s: %s", path,
                          strerror(errno));
    size_t done = 0;
    int ok = 1;
    while (ok && done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok)
            done += (size_t)w;
    }
    ok = ok && fchmod(fd, mode) == 0 && fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmpl, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmpl);
        return qf_err_set(err, QF_EIO, "config: cannot write %s: %s", path, strerror(e));
    }
    /* Make the rename itself durable. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash != NULL ? (int)(slash - path) : 1,
             slash != NULL ? path : ".");
    int dfd = open(dir[0] != '\0' ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return QF_OK;
}

qf_rc qf_config_save(const qf_config *cfg, const char *path, qf_err *err)
{
    if (cfg == NULL || path == NULL)
        return qf_err_set(err, QF_EINVAL, "config: nothing to save");
    qf_rc rc = qf_config_validate(cfg, err);
    if (rc != QF_OK)
        return rc;
    qf_config *defaults = malloc(sizeof *defaults);
    if (defaults == NULL)
        return oom(err);
    qf_config_init(defaults);
    /* Write through a symlink to its target, as editors do. */
    char real[PATH_MAX];
    struct stat st;
    int exists = stat(path, &st) == 0;
    const char *target = exists && realpath(path, real) != NULL ? real : path;
    char *text = NULL;
    size_t len = 0;
    char *out = NULL;
    size_t out_len = 0;
    mode_t mode = 0644;
    if (!exists && errno != ENOENT) {
        rc = qf_err_set(err, QF_EIO, "config: cannot save %s: %s", path, strerror(errno));
    } else if (!exists) {
        out = full_text(cfg, defaults, &out_len);
        rc = out != NULL ? QF_OK : oom(err);
        mode = holds_secret(cfg, defaults) ? 0600 : 0644;
    } else {
        mode = st.st_mode & 07777;
        rc = qf_cfg_read_file(path, &text, &len, err);
        if (rc == QF_OK)
            rc = patch_text(cfg, defaults, path, text, len, &out, &out_len, err);
    }
    int same = rc == QF_OK && text != NULL && out_len == len && memcmp(out, text, len) == 0;
    if (rc == QF_OK && !same)
        rc = verify(cfg, defaults, out, out_len, path, err);
    if (rc == QF_OK && !same)
        rc = write_atomic(target, out, out_len, mode, err);
    free(out);
    free(text);
    free(defaults);
    return rc;
}
