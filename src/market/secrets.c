/*
 * secrets.c - API keys from a 0600 secrets file (secrets.h), filling what the
 * configuration and the environment left empty.
 *
 * The file is opened first and checked through fstat on the open descriptor,
 * so the file checked is the file read. Every buffer that held the file is
 * wiped before it is freed.
 */
#include "market/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

void qf_secrets_wipe(qf_secrets *s)
{
    if (s == NULL)
        return;
    volatile unsigned char *p = (volatile unsigned char *)s;
    for (size_t i = 0; i < sizeof *s; i++)
        p[i] = 0;
}

static void wipe_free(char *buf, size_t len)
{
    if (buf == NULL)
        return;
    volatile char *p = buf;
    for (size_t i = 0; i < len; i++)
        p[i] = 0;
    free(buf);
}

/* Opens path, refuses anything but a private regular file of ours, and
 * reads it whole into a malloc'd NUL-terminated buffer. */
static qf_rc read_private_file(const char *path, char **out, size_t *out_len, qf_err *err)
{
    /* O_NOFOLLOW: a symlink planted at the path is refused; O_NONBLOCK: a
     * FIFO there cannot block us (it fails the regular-file check below). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return qf_err_set(err, errno == ENOENT ? QF_ENOTFOUND : QF_EIO, "secrets file %s: %s", path,
                          strerror(errno));
    struct stat st;
    qf_rc rc = QF_OK;
    if (fstat(fd, &st) != 0) {
        rc = qf_err_set(err, QF_EIO, "secrets file %s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = qf_err_set(err, QF_EINVAL, "secrets file %s: not a regular file", path);
    } else if ((st.st_mode & 077) != 0) {
        rc = qf_err_set(err, QF_EINVAL,
                        "secrets file %s: mode %04o lets other users read it; "
                        "run chmod 600 %s",
                        path, (unsigned)(st.st_mode & 07777), path);
    } else if (st.st_uid != geteuid()) {
        rc = qf_err_set(err, QF_EINVAL, "secrets file %s: owned by uid %u, not by this user", path,
                        (unsigned)st.st_uid);
    } else if (st.st_size > QF_SECRETS_FILE_MAX) {
        rc = qf_err_set(err, QF_EINVAL, "secrets file %s: %lld bytes, more than the %d allowed",
                        path, (long long)st.st_size, QF_SECRETS_FILE_MAX);
    }
    if (rc != QF_OK) {
        close(fd);
        return rc;
    }
    size_t cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        return qf_err_set(err, QF_ENOMEM, "secrets file %s: out of memory", path);
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = qf_err_set(err, QF_EIO, "secrets file %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0 || (len += (size_t)n) == cap - 1)
            break;
    }
    close(fd);
    if (rc != QF_OK) {
        wipe_free(buf, cap);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return QF_OK;
}

static char *field_of(qf_secrets *s, const char *name)
{
    if (strcmp(name, "BINANCE_API_KEY") == 0)
        return s->binance_key;
    if (strcmp(name, "BINANCE_API_SECRET") == 0)
        return s->binance_secret;
    if (strcmp(name, "COINBASE_API_KEY") == 0)
        return s->coinbase_key;
    if (strcmp(name, "COINBASE_API_SECRET") == 0)
        return s->coinbase_secret;
    return NULL;
}

static void trim(char **b, char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t' || **b == '\r'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

/* One "NAME=value" line into s; the message names the line, never the value. */
static qf_rc parse_line(const char *path, int lineno, char *b, char *e, qf_secrets *s, qf_err *err)
{
    trim(&b, &e);
    if (b == e || *b == '#')
        return QF_OK;
    char *eq = memchr(b, '=', (size_t)(e - b));
    if (eq == NULL)
        return qf_err_set(err, QF_EPARSE, "secrets file %s:%d: expected NAME=value", path, lineno);
    char *ne = eq;
    char *vb = eq + 1;
    trim(&b, &ne);
    trim(&vb, &e);
    char name[32];
    size_t nlen = (size_t)(ne - b);
    if (nlen == 0 || nlen >= sizeof name)
        return qf_err_set(err, QF_EPARSE, "secrets file %s:%d: expected NAME=value", path, lineno);
    memcpy(name, b, nlen);
    name[nlen] = '\0';
    char *field = field_of(s, name);
    if (field == NULL)
        return qf_err_set(err, QF_EPARSE,
                          "secrets file %s:%d: unknown name %.31s (expected BINANCE_API_KEY, "
                          "BINANCE_API_SECRET, COINBASE_API_KEY or COINBASE_API_SECRET)",
                          path, lineno, name);
    if (e - vb >= 2 && *vb == '"' && e[-1] == '"') {
        vb++;
        e--;
    }
    size_t vlen = (size_t)(e - vb);
    if (vlen >= QF_CONFIG_STR_MAX)
        return qf_err_set(err, QF_EPARSE, "secrets file %s:%d: %s is longer than %d characters",
                          path, lineno, name, QF_CONFIG_STR_MAX - 1);
    memcpy(field, vb, vlen);
    field[vlen] = '\0';
    return QF_OK;
}

qf_rc qf_secrets_read(const char *path, qf_secrets *out, qf_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    qf_rc rc = read_private_file(path, &buf, &len, err);
    if (rc != QF_OK)
        return rc;
    qf_secrets *s = calloc(1, sizeof *s);
    if (s == NULL) {
        wipe_free(buf, len + 1);
        return qf_err_set(err, QF_ENOMEM, "secrets file %s: out of memory", path);
    }
    if (memchr(buf, '\0', len) != NULL)
        rc = qf_err_set(err, QF_EPARSE, "secrets file %s: contains a NUL byte", path);
    char *p = buf;
    for (int lineno = 1; rc == QF_OK && p < buf + len; lineno++) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        char *e = nl != NULL ? nl : buf + len;
        rc = parse_line(path, lineno, p, e, s, err);
        p = e + 1;
    }
    if (rc == QF_OK)
        *out = *s;
    qf_secrets_wipe(s);
    free(s);
    wipe_free(buf, len + 1);
    return rc;
}

qf_rc qf_secrets_path(char *out, size_t size, int *out_explicit, qf_err *err)
{
    const char *env = getenv("QF_SECRETS_FILE");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    *out_explicit = env != NULL && env[0] != '\0';
    if (*out_explicit)
        n = snprintf(out, size, "%s", env);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, size, "%s/quantflow/secrets", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, size, "%s/.config/quantflow/secrets", home);
    else
        n = snprintf(out, size, "%s", "");
    if (n < 0 || (size_t)n >= size)
        return qf_err_set(err, QF_ERANGE, "secrets file path is longer than %zu bytes", size - 1);
    return QF_OK;
}

static void fill(char *dst, const char *src)
{
    if (dst[0] == '\0' && src[0] != '\0')
        snprintf(dst, QF_CONFIG_STR_MAX, "%s", src);
}

static void register_keys(const qf_config *cfg)
{
    const qf_config_exchange *x[2] = {&cfg->exchanges.binance, &cfg->exchanges.coinbase};
    for (int i = 0; i < 2; i++) {
        if (x[i]->api_key[0] != '\0')
            qf_log_add_secret(x[i]->api_key);
        if (x[i]->api_secret[0] != '\0')
            qf_log_add_secret(x[i]->api_secret);
    }
}

/* A process that holds API secrets writes no core dump (the keys sit in its
 * memory for the whole run) and cannot be ptrace-attached by other processes
 * of the same user. */
static void protect_process(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
}

qf_rc qf_secrets_apply(qf_config *cfg, qf_err *err)
{
    protect_process();
    char path[4096];
    int explicit_path = 0;
    qf_rc rc = qf_secrets_path(path, sizeof path, &explicit_path, err);
    if (rc != QF_OK)
        return rc;
    if (path[0] == '\0' || (!explicit_path && access(path, F_OK) != 0)) {
        register_keys(cfg);
        return QF_OK;
    }
    qf_secrets s;
    rc = qf_secrets_read(path, &s, err);
    if (rc == QF_ENOTFOUND && explicit_path)
        return qf_err_prefix(err, "QF_SECRETS_FILE");
    if (rc != QF_OK)
        return rc;
    fill(cfg->exchanges.binance.api_key, s.binance_key);
    fill(cfg->exchanges.binance.api_secret, s.binance_secret);
    fill(cfg->exchanges.coinbase.api_key, s.coinbase_key);
    fill(cfg->exchanges.coinbase.api_secret, s.coinbase_secret);
    qf_secrets_wipe(&s);
    register_keys(cfg);
    return QF_OK;
}
