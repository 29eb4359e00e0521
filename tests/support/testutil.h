/*
 * testutil.h - small helpers for tests: temporary directories, writing and
 * reading files, running the quantflow binary.
 */
#ifndef QF_TESTS_TESTUTIL_H
#define QF_TESTS_TESTUTIL_H

#include <stddef.h>

#include "core/bars.h"
#include "core/err.h"

/* Creates a fresh directory under $TMPDIR (or /tmp) and returns its path
 * (static storage per call site is not needed: the result is malloc'd). */
char *qf_test_tmpdir(void);
/* Removes a directory tree (rm -rf); ignores errors. */
void qf_test_rmtree(const char *path);
/* Writes len bytes to dir/name; returns the malloc'd full path. */
char *qf_test_write_file(const char *dir, const char *name, const char *data, size_t len);
/* Reads a whole file into a malloc'd NUL-terminated buffer (NULL on error). */
char *qf_test_read_file(const char *path, size_t *out_len);
/* Runs a shell command, capturing stdout and stderr into malloc'd strings
 * (either pointer may be NULL); returns the exit status (or -1). */
int qf_test_run(const char *cmd, char **out_stdout, char **out_stderr);

/* Reads the bundled candles data/<stem>-4h.csv (e.g. "BTCUSDT") through the
 * product's importer into out (replacing its content). */
qf_rc qf_test_load_bars(const char *stem, qf_bars *out, qf_err *err);

/* The same as a value, for tests that cannot go on without the data: a load
 * that fails prints the reason and aborts (the test is reported crashed). */
qf_bars qf_test_bars(const char *stem);

#endif
