/*
 * progress.h - a one-line progress bar on stderr, drawn only on a terminal.
 */
#ifndef QF_CLI_PROGRESS_H
#define QF_CLI_PROGRESS_H

#include <stddef.h>

typedef struct qf_progress {
    int enabled;       /* draw at all (stderr is a TTY and not --quiet) */
    const char *label; /* shown before the bar */
    int last_permille; /* last drawn value, to redraw only on change */
} qf_progress;

void qf_progress_init(qf_progress *p, int enabled, const char *label);
/* Draws done/total; cheap to call often. */
void qf_progress_update(qf_progress *p, size_t done, size_t total);
/* Clears the line so the next output starts clean. */
void qf_progress_done(qf_progress *p);

#endif
