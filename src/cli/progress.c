/* progress.c - terminal progress bar (stderr). */
#include "cli/progress.h"

#include <stdio.h>

#define BAR_WIDTH 30

void qf_progress_init(qf_progress *p, int enabled, const char *label)
{
    p->enabled = enabled;
    p->label = label;
    p->last_permille = -1;
}

void qf_progress_update(qf_progress *p, size_t done, size_t total)
{
    if (!p->enabled || total == 0)
        return;
    int permille = (int)((double)done / (double)total * 1000.0);
    if (permille == p->last_permille)
        return;
    p->last_permille = permille;
    int fill = permille * BAR_WIDTH / 1000;
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %5.1f%% %zu/%zu", p->label, bar, permille / 10.0, done, total);
    fflush(stderr);
}

void qf_progress_done(qf_progress *p)
{
    if (!p->enabled || p->last_permille < 0)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}
