/* testutil.c - test helpers (see testutil.h). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "market/import.h"

char *qf_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/qftest-XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(tmpl) == NULL)
        return NULL;
    return strdup(tmpl);
}

void qf_test_rmtree(const char *path)
{
    char cmd[1024];
    if (path == NULL || strlen(path) < 8)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", path);
}

char *qf_test_write_file(const char *dir, const char *name, const char *data, size_t len)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        free(path);
        return NULL;
    }
    fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

char *qf_test_read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (out_len != NULL)
        *out_len = n;
    return buf;
}

int qf_test_run(const char *cmd, char **out_stdout, char **out_stderr)
{
    char *dir = qf_test_tmpdir();
    if (dir == NULL)
        return -1;
    size_t n = strlen(cmd) + 2 * strlen(dir) + 64;
    char *full = malloc(n);
    snprintf(full, n, "(%s) >'%s/out' 2>'%s/err' </dev/null", cmd, dir, dir);
    int status = system(full);
    free(full);
    char path[600];
    if (out_stdout != NULL) {
        snprintf(path, sizeof path, "%s/out", dir);
        *out_stdout = qf_test_read_file(path, NULL);
    }
    if (out_stderr != NULL) {
        snprintf(path, sizeof path, "%s/err", dir);
        *out_stderr = qf_test_read_file(path, NULL);
    }
    qf_test_rmtree(dir);
    free(dir);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

qf_rc qf_test_load_bars(const char *stem, qf_bars *out, qf_err *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data/%s-4h.csv", QF_TEST_SOURCE_DIR, stem);
    qf_candles c;
    qf_candles_init(&c);
    qf_import_report rep;
    qf_rc rc = qf_import_read(path, NULL, &c, &rep, err);
    if (rc == QF_OK)
        rc = qf_bars_from_candles(out, &c, err);
    qf_candles_cleanup(&c);
    return rc;
}

qf_bars qf_test_bars(const char *stem)
{
    qf_bars b;
    qf_bars_init(&b);
    qf_err err = {0};
    if (qf_test_load_bars(stem, &b, &err) != QF_OK) {
        fprintf(stderr, "test data %s: %s\n", stem, err.msg);
        abort();
    }
    return b;
}
