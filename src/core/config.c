/*
 * config.c - the configuration's life cycle: built-in defaults, loading a
 * file or a string, --set assignments, validation and secrets.
 *
 * Every change works on a heap copy of the caller's struct: the input is
 * parsed, applied key by key (each key's own rule), the copy is validated as
 * a whole (cross-field rules), and only then copied back. A failure at any
 * step therefore leaves the caller's struct as it was.
 */
#include "core/config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

/* ---- defaults --------------------------------------------------------------
 */

/* Applies key k's default text (as config/default.yaml writes it) to cfg. */
static qf_rc apply_default(qf_config *cfg, const qf_cfg_key *k, int use_env, qf_err *err)
{
    char buf[QF_CFG_VALUE_MAX];
    size_t len;
    const char *def = k->def;
    qf_cfg_where w = {use_env ? "environment" : "built-in default", 0};
    if (def[0] != '[') {
        if (strcmp(def, "''") == 0)
            def = "";
        const char *why = qf_cfg_env_subst(def, strlen(def), use_env, buf, sizeof buf, &len);
        if (why != NULL)
            return qf_cfg_fail(err, QF_ECONFIG, w.src, 0, "%s %s", k->path, why);
        return qf_cfg_parse_scalar(cfg, k, buf, len, &w, err);
    }
    /* "[a, b, c]": the table's lists are plain, comma-separated. */
    const char *p = def + 1;
    size_t n = 0;
    while (*p != ']' && *p != '\0' && n < k->max_n) {
        while (*p == ' ')
            p++;
        size_t item = strcspn(p, ",]");
        const char *why = qf_cfg_env_subst(p, item, use_env, buf, sizeof buf, &len);
        if (why != NULL)
            return qf_cfg_fail(err, QF_ECONFIG, w.src, 0, "%s %s", k->path, why);
        qf_rc rc = qf_cfg_parse_elem(cfg, k, n++, buf, len, &w, err);
        if (rc != QF_OK)
            return rc;
        p += item;
        if (*p == ',')
            p++;
    }
    qf_cfg_set_count(cfg, k, n);
    return qf_cfg_check_list(cfg, k, &w, err);
}

void qf_config_init(qf_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        const qf_cfg_key *k = &qf_cfg_keys[i];
        qf_err e;
        if (apply_default(cfg, k, 1, &e) == QF_OK)
            continue;
        /* The message never holds a secret's value (see key_fail). */
        qf_log_warn("%s; the environment variable is ignored, using %s", e.msg, k->def);
        qf_rc rc = apply_default(cfg, k, 0, &e);
        (void)rc; /* the table's own defaults always convert (a test checks it) */
    }
}

void qf_config_cleanup(qf_config *cfg)
{
    if (cfg != NULL)
        memset(cfg, 0, sizeof *cfg);
}

/* ---- loading
 * ------------------------------------------------------------------ */

qf_rc qf_cfg_read_file(const char *path, char **out_text, size_t *out_len, qf_err *err)
{
    *out_text = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return qf_err_set(err, QF_EIO, "config: cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return qf_err_set(err, QF_EIO, "config: cannot read %s: %s", path, strerror(e));
    }
    if (S_ISREG(st.st_mode) && st.st_size > QF_CONFIG_FILE_MAX) {
        close(fd);
        return qf_err_set(err, QF_EIO, "config: %s is too large (%lld bytes, at most %d)", path,
                          (long long)st.st_size, QF_CONFIG_FILE_MAX);
    }
    char *buf = malloc(QF_CONFIG_FILE_MAX + 1);
    if (buf == NULL) {
        close(fd);
        return qf_err_set(err, QF_ENOMEM, "config: out of memory");
    }
    size_t len = 0;
    for (;;) {
        ssize_t got = read(fd, buf + len, QF_CONFIG_FILE_MAX + 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return qf_err_set(err, QF_EIO, "config: cannot read %s: %s", path, strerror(e));
        }
        if (got == 0)
            break;
        len += (size_t)got;
        if (len > QF_CONFIG_FILE_MAX) {
            close(fd);
            free(buf);
            return qf_err_set(err, QF_EIO, "config: %s is too large (more than %d bytes)", path,
                              QF_CONFIG_FILE_MAX);
        }
    }
    close(fd);
    buf[len] = '\0';
    *out_text = buf;
    *out_len = len;
    return QF_OK;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || len > n || (s[0] >= 0xf0 && len != 4))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
        return 0; /* overlong, surrogate or beyond U+10FFFF */
    return len;
}

/* Text that is not YAML at all: NUL bytes, invalid UTF-8, nothing but blanks.
 */
static qf_rc check_text(const char *text, size_t len, const char *src, int allow_blank, qf_err *err)
{
    if (len > QF_CONFIG_FILE_MAX)
        return qf_cfg_fail(err, QF_EPARSE, src, 0, "input is too large (%zu bytes, at most %d)",
                           len, QF_CONFIG_FILE_MAX);
    int line = 1;
    int blank = 1;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        if (s[i] == '\0')
            return qf_cfg_fail(err, QF_EPARSE, src, line, "not a YAML text: it holds a NUL byte");
        size_t n = utf8_seq(s + i, len - i);
        if (n == 0)
            return qf_cfg_fail(err, QF_EPARSE, src, line, "not a YAML text: invalid UTF-8");
        if (s[i] == '\n')
            line++;
        else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            blank = 0;
        i += n;
    }
    if (blank && !allow_blank)
        return qf_cfg_fail(err, QF_ECONFIG, src, 0, "empty configuration (no YAML document)");
    return QF_OK;
}

/* Applies a parsed tree to a copy of cfg, validates and commits it. */
static qf_rc apply_tree(qf_config *cfg, const qf_ynode *root, const char *path, const char *src,
                        int warn_unknown_top, qf_err *err)
{
    qf_cfg_load *ld = calloc(1, sizeof *ld);
    qf_config *copy = malloc(sizeof *copy);
    if (ld == NULL || copy == NULL) {
        free(ld);
        free(copy);
        return qf_err_set(err, QF_ENOMEM, "config: out of memory");
    }
    *copy = *cfg;
    ld->cfg = copy;
    ld->src = src;
    ld->warn_unknown_top = warn_unknown_top;
    qf_rc rc = qf_cfg_apply(ld, root, path, err);
    if (rc == QF_OK)
        rc = qf_cfg_validate(copy, ld->lines, src, err);
    if (rc == QF_OK) {
        if (ld->redis_set)
            qf_log_debug("config: redis.url is accepted for compatibility and not used");
        *cfg = *copy;
    }
    free(copy);
    free(ld);
    return rc;
}

qf_rc qf_cfg_load_text(qf_config *cfg, const char *text, size_t len, const char *src, int quiet,
                       qf_err *err)
{
    if (src == NULL)
        src = "<string>";
    if (text == NULL && len > 0)
        return qf_cfg_fail(err, QF_EINVAL, src, 0, "no text");
    qf_rc rc = check_text(text != NULL ? text : "", len, src, 0, err);
    if (rc != QF_OK)
        return rc;
    qf_ynode *root;
    rc = qf_cfg_yaml_parse(text, len, src, &root, err);
    if (rc != QF_OK)
        return rc;
    if (root != NULL)
        rc = apply_tree(cfg, root, "", src, quiet ? 2 : 1, err);
    qf_cfg_yaml_free(root);
    return rc;
}

qf_rc qf_config_load_string(qf_config *cfg, const char *text, size_t len, const char *source_name,
                            qf_err *err)
{
    return qf_cfg_load_text(cfg, text, len, source_name, 0, err);
}

qf_rc qf_config_load_file(qf_config *cfg, const char *path, qf_err *err)
{
    if (path == NULL)
        return qf_err_set(err, QF_EINVAL, "config: no file name");
    char *text;
    size_t len;
    qf_rc rc = qf_cfg_read_file(path, &text, &len, err);
    if (rc != QF_OK)
        return rc;
    rc = qf_cfg_load_text(cfg, text, len, path, 0, err);
    free(text);
    return rc;
}

/* ---- --set
 * ------------------------------------------------------------------------ */

/* --set values have no lines worth showing: -1 makes messages say "(--set)". */
static void forget_lines(qf_ynode *n)
{
    n->line = -1;
    for (size_t i = 0; i < n->n; i++)
        forget_lines(n->kids[i]);
}

qf_rc qf_config_set(qf_config *cfg, const char *assignment, qf_err *err)
{
    static const char *const src = "--set";
    if (assignment == NULL)
        return qf_err_set(err, QF_EINVAL, "config: --set needs KEY=VALUE");
    const char *eq = strchr(assignment, '=');
    if (eq == NULL)
        return qf_err_set(err, QF_ECONFIG, "config: --set needs KEY=VALUE, got '%.64s'",
                          assignment);
    const char *key = assignment;
    size_t klen = (size_t)(eq - assignment);
    while (klen > 0 && (*key == ' ' || *key == '\t')) {
        key++;
        klen--;
    }
    while (klen > 0 && (key[klen - 1] == ' ' || key[klen - 1] == '\t'))
        klen--;
    char path[QF_CFG_PATH_MAX];
    if (klen == 0 || klen >= sizeof path ||
        (qf_cfg_find(key, klen) < 0 && !qf_cfg_is_section(key, klen)))
        return qf_cfg_fail(err, QF_ECONFIG, src, 0, "unknown key '%.*s'",
                           klen < 64 ? (int)klen : 64, key);
    memcpy(path, key, klen);
    path[klen] = '\0';
    const char *value = eq + 1;
    size_t vlen = strlen(value);
    qf_rc rc = QF_OK;
    if (vlen > 0)
        rc = check_text(value, vlen, src, 1, err);
    qf_ynode *root = NULL;
    if (rc == QF_OK && vlen > 0)
        rc = qf_cfg_yaml_parse(value, vlen, src, &root, err);
    if (rc != QF_OK)
        return rc;
    qf_ynode empty = {.kind = QF_YN_SCALAR, .is_null = 1, .text = (char *)"", .line = -1};
    if (root != NULL)
        forget_lines(root);
    rc = apply_tree(cfg, root != NULL ? root : &empty, path, src, 0, err);
    qf_cfg_yaml_free(root);
    return rc;
}

/* ---- checks and secrets
 * --------------------------------------------------------------- */

qf_rc qf_config_validate(const qf_config *cfg, qf_err *err)
{
    if (cfg == NULL)
        return qf_err_set(err, QF_EINVAL, "config: no configuration");
    return qf_cfg_validate(cfg, NULL, NULL, err);
}

void qf_config_register_secrets(const qf_config *cfg)
{
    for (size_t i = 0; i < qf_cfg_n_keys; i++) {
        const qf_cfg_key *k = &qf_cfg_keys[i];
        if (!(k->flags & QF_CF_SECRET) || k->type != QF_CT_STRING)
            continue;
        const char *s = qf_cfg_cfield(cfg, k);
        if (memchr(s, '\0', k->size) != NULL && s[0] != '\0')
            qf_log_add_secret(s);
    }
}
