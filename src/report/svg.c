/*
 * svg.c - the chart primitives of the report (report_int.h): a plot area in
 * an SVG viewBox, nice linear, log and calendar ticks, decimated paths and
 * reference lines. Styling is by CSS class; the page's <style> holds it.
 */
#include <math.h>
#include <string.h>

#include "core/time.h"
#include "report/report_int.h"

void qf__html_text(FILE *f, const char *s)
{
    if (s == NULL)
        return;
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

void qf__fmt_value(double v, qf__fmt fmt, char *buf, size_t size)
{
    if (isnan(v)) {
        snprintf(buf, size, "—");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, "%s∞", v < 0 ? "−" : "");
        return;
    }
    if (v == 0)
        v = 0; /* no "-0" */
    double a = fabs(v);
    if (fmt == QF__FMT_PCT && a >= 10)
        snprintf(buf, size, "%.0f%%", v * 100); /* 12377%, never 1.238e+04% */
    else if (fmt == QF__FMT_PCT)
        snprintf(buf, size, "%.4g%%", v * 100);
    else if (fmt == QF__FMT_MULT && a >= 1e3) {
        char m[40];
        qf__fmt_value(v, QF__FMT_MONEY, m, sizeof m);
        snprintf(buf, size, "×%s", m);
    } else if (fmt == QF__FMT_MULT)
        snprintf(buf, size, "×%.4g", v);
    else if (fmt == QF__FMT_MONEY && a >= 1e9)
        snprintf(buf, size, "%.4gB", v / 1e9);
    else if (fmt == QF__FMT_MONEY && a >= 1e6)
        snprintf(buf, size, "%.4gM", v / 1e6);
    else if (fmt == QF__FMT_MONEY && a >= 1e3)
        snprintf(buf, size, "%.4gk", v / 1e3);
    else
        snprintf(buf, size, "%.4g", v);
}

void qf__chart_begin(qf__chart *c, FILE *f, const char *label, double w, double h)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    c->w = w;
    c->h = h;
    c->left = 72;
    c->right = w - 24;
    c->top = 12;
    c->bottom = h - 28;
    c->x1 = 1;
    c->y1 = 1;
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %g %g\" role=\"img\" aria-label=\"", w, h);
    qf__html_text(f, label);
    fputs("\">\n", f);
    fprintf(f, "<rect class=\"plot\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\"/>\n", c->left,
            c->top, c->right - c->left, c->bottom - c->top);
}

void qf__chart_end(qf__chart *c)
{
    fprintf(c->f, "<rect class=\"frame\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\"/>\n", c->left,
            c->top, c->right - c->left, c->bottom - c->top);
    fputs("</svg>\n", c->f);
}

double qf__chart_px(const qf__chart *c, double x)
{
    double v = c->log_x ? log10(x) : x;
    if (!(c->x1 > c->x0))
        return (c->left + c->right) / 2;
    return c->left + (v - c->x0) / (c->x1 - c->x0) * (c->right - c->left);
}

double qf__chart_py(const qf__chart *c, double y)
{
    double v = c->log_y ? log10(y) : y;
    if (!(c->y1 > c->y0))
        return (c->top + c->bottom) / 2;
    return c->bottom - (v - c->y0) / (c->y1 - c->y0) * (c->bottom - c->top);
}

/* A 1-2-5 step giving about `target` intervals over range. */
static double nice_step(double range, int target)
{
    double raw = range / target;
    double mag = pow(10, floor(log10(raw)));
    double m = raw / mag;
    return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * mag;
}

void qf__chart_nice(double *lo, double *hi, int target)
{
    if (!(*hi > *lo)) {
        double pad = *lo != 0 ? fabs(*lo) * 0.1 : 1;
        *lo -= pad;
        *hi += pad;
    }
    double step = nice_step(*hi - *lo, target);
    *lo = floor(*lo / step) * step;
    *hi = ceil(*hi / step) * step;
}

static void y_tick(qf__chart *c, double py, double v, qf__fmt fmt)
{
    char buf[48];
    if (!isfinite(py))
        return;
    qf__fmt_value(v, fmt, buf, sizeof buf);
    fprintf(c->f, "<line class=\"grid\" x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\"/>", c->left, py,
            c->right, py);
    fprintf(c->f, "<text class=\"yl\" x=\"%g\" y=\"%.1f\">%s</text>\n", c->left - 6, py + 4, buf);
}

/* Tick values on a log axis spanning [lo, hi] in log10 units: 1-2-5 per
 * decade over a short span, 1-3 over a few decades, every decade (or every
 * other) over a long one. Writes at most max values and returns how many. */
static int log_ticks(double lo, double hi, double *out, int max)
{
    static const double three[3] = {1, 2, 5}, two[2] = {1, 3}, one[1] = {1};
    double decades = hi - lo;
    const double *mults = decades <= 2.5 ? three : decades <= 5 ? two : one;
    int n_mults = decades <= 2.5 ? 3 : decades <= 5 ? 2 : 1;
    int every = decades > 8 ? 2 : 1;
    int n = 0;
    for (int e = (int)floor(lo); e <= (int)ceil(hi) && n < max; e++) {
        if (e % every != 0)
            continue;
        for (int k = 0; k < n_mults && n < max; k++) {
            double v = mults[k] * pow(10, e);
            if (log10(v) >= lo - 1e-9 && log10(v) <= hi + 1e-9)
                out[n++] = v;
        }
    }
    return n;
}

void qf__chart_y_axis(qf__chart *c, qf__fmt fmt)
{
    if (c->log_y) {
        double v[40];
        int n = log_ticks(c->y0, c->y1, v, 40);
        for (int k = 0; k < n; k++)
            y_tick(c, qf__chart_py(c, v[k]), v[k], fmt);
        return;
    }
    if (!(c->y1 > c->y0))
        return;
    double step = nice_step(c->y1 - c->y0, 5);
    for (double k = ceil(c->y0 / step - 1e-9); k <= floor(c->y1 / step + 1e-9); k++) {
        double v = k * step;
        y_tick(c, qf__chart_py(c, v), fabs(v) < step * 1e-9 ? 0 : v, fmt);
    }
}

static void x_tick(qf__chart *c, double x, const char *label)
{
    double px = qf__chart_px(c, x);
    if (!isfinite(px))
        return;
    fprintf(c->f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\"/>", px, c->top,
            px, c->bottom);
    fprintf(c->f, "<text class=\"xl\" x=\"%.1f\" y=\"%g\">", px, c->bottom + 18);
    qf__html_text(c->f, label);
    fputs("</text>\n", c->f);
}

void qf__chart_x_axis(qf__chart *c, qf__fmt fmt)
{
    if (!(c->x1 > c->x0))
        return;
    if (c->log_x) {
        double v[40];
        int n = log_ticks(c->x0, c->x1, v, 40);
        for (int k = 0; k < n; k++) {
            char buf[48];
            qf__fmt_value(v[k], fmt, buf, sizeof buf);
            x_tick(c, v[k], buf);
        }
        return;
    }
    /* about one label per 80 units, so labels like "-12%" never touch */
    int target = (int)((c->right - c->left) / 80);
    double step = nice_step(c->x1 - c->x0, target > 2 ? target : 2);
    for (double k = ceil(c->x0 / step - 1e-9); k <= floor(c->x1 / step + 1e-9); k++) {
        char buf[48];
        double v = k * step;
        qf__fmt_value(fabs(v) < step * 1e-9 ? 0 : v, fmt, buf, sizeof buf);
        x_tick(c, v, buf);
    }
}

/* Calendar steps for the time axis, shortest first: fixed lengths below a
 * month, whole months above. */
static const struct {
    int64_t ms;
    int months;
} time_steps[] = {
    {QF_MS_PER_HOUR, 0},
    {2 * QF_MS_PER_HOUR, 0},
    {6 * QF_MS_PER_HOUR, 0},
    {12 * QF_MS_PER_HOUR, 0},
    {QF_MS_PER_DAY, 0},
    {2 * QF_MS_PER_DAY, 0},
    {7 * QF_MS_PER_DAY, 0},
    {14 * QF_MS_PER_DAY, 0},
    {0, 1},
    {0, 2},
    {0, 3},
    {0, 6},
    {0, 12},
    {0, 24},
    {0, 60},
    {0, 120},
    {0, 600},
};

static void month_ticks(qf__chart *c, int months)
{
    int y, m, d;
    qf_time_to_civil((int64_t)c->x0, &y, &m, &d);
    int64_t key = (int64_t)y * 12 + (m - 1);
    key = (key / months) * months; /* years are positive here */
    for (;; key += months) {
        int ty = (int)(key / 12), tm = (int)(key % 12) + 1;
        double t = (double)qf_time_from_civil(ty, tm, 1, 0, 0, 0, 0);
        if (t > c->x1)
            break;
        if (t < c->x0)
            continue;
        char buf[24];
        if (months % 12 == 0)
            snprintf(buf, sizeof buf, "%d", ty);
        else
            snprintf(buf, sizeof buf, "%d-%02d", ty, tm);
        x_tick(c, t, buf);
    }
}

void qf__chart_time_axis(qf__chart *c)
{
    double span = c->x1 - c->x0;
    if (!(span > 0))
        return;
    size_t k = 0, n_steps = sizeof time_steps / sizeof time_steps[0];
    for (; k + 1 < n_steps; k++) {
        double len = time_steps[k].ms > 0 ? (double)time_steps[k].ms
                                          : time_steps[k].months * 30.44 * QF_MS_PER_DAY;
        if (span / len <= 10)
            break;
    }
    if (time_steps[k].months > 0 && c->x0 >= 0) {
        month_ticks(c, time_steps[k].months);
        return;
    }
    int64_t step = time_steps[k].ms > 0 ? time_steps[k].ms : 365 * QF_MS_PER_DAY;
    for (int64_t t = qf_time_floor((int64_t)c->x0, step); (double)t <= c->x1; t += step) {
        if ((double)t < c->x0)
            continue;
        char iso[QF_ISO_MAX], buf[24];
        qf_time_format_iso(t, iso, sizeof iso);
        /* "YYYY-MM-DD" for whole days, "MM-DD HH:MM" within a day */
        if (step % QF_MS_PER_DAY == 0)
            snprintf(buf, sizeof buf, "%.10s", iso);
        else
            snprintf(buf, sizeof buf, "%.5s %.5s", iso + 5, iso + 11);
        x_tick(c, (double)t, buf);
    }
}

void qf__chart_series(qf__chart *c, const int64_t *t, const double *y, double scale, size_t n,
                      size_t *idx, const char *cls, int fill_to_zero)
{
    size_t m = qf_report_decimate(y, n, QF__REPORT_COLS, idx);
    fprintf(c->f, "<path class=\"%s\" d=\"", cls);
    int pen = 0;
    double first_x = NAN, last_x = NAN;
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        if (!isfinite(y[i])) {
            pen = 0;
            continue;
        }
        double px = qf__chart_px(c, (double)t[i]), py = qf__chart_py(c, scale * y[i]);
        fprintf(c->f, "%s%c%.1f %.1f", j > 0 ? " " : "", pen ? 'L' : 'M', px, py);
        pen = 1;
        if (isnan(first_x))
            first_x = px;
        last_x = px;
    }
    /* Areas are drawn for series without gaps (drawdown): close to y = 0. */
    if (fill_to_zero && !isnan(first_x)) {
        double zero = qf__chart_py(c, 0);
        fprintf(c->f, " L%.1f %.1f L%.1f %.1f Z", last_x, zero, first_x, zero);
    }
    fputs("\"/>\n", c->f);
}

void qf__chart_hline(qf__chart *c, double y, const char *cls, const char *label)
{
    double py = qf__chart_py(c, y);
    if (!isfinite(py))
        return; /* an undefined reference (NaN Sharpe) is not drawn */
    fprintf(c->f, "<line class=\"%s\" x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\"/>\n", cls,
            c->left, py, c->right, py);
    /* At the left end: drawdowns start at a peak and rolling ratios start
     * empty, so the label rarely sits on the curve there. */
    if (label != NULL) {
        fprintf(c->f, "<text class=\"ref\" x=\"%g\" y=\"%.1f\">", c->left + 6, py - 5);
        qf__html_text(c->f, label);
        fputs("</text>\n", c->f);
    }
}

void qf__chart_vline(qf__chart *c, double x, const char *cls, const char *label, int row)
{
    double px = qf__chart_px(c, x);
    if (!isfinite(px))
        return;
    fprintf(c->f, "<line class=\"%s\" x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\"/>\n", cls, px,
            c->top, px, c->bottom);
    if (label != NULL)
        qf__chart_label(c, x, c->top + 14 + 14 * row, label);
}

void qf__chart_label(qf__chart *c, double x, double y, const char *label)
{
    double px = qf__chart_px(c, x);
    if (!isfinite(px))
        return;
    /* Labels near the right edge go to the left of their x. */
    int right_side = px < c->left + 0.75 * (c->right - c->left);
    fprintf(c->f, "<text class=\"ref\" x=\"%.1f\" y=\"%g\" text-anchor=\"%s\">",
            right_side ? px + 4 : px - 4, y, right_side ? "start" : "end");
    qf__html_text(c->f, label);
    fputs("</text>\n", c->f);
}

void qf__chart_legend(qf__chart *c, int i, const char *cls, const char *label)
{
    double x = c->left + 12, y = c->top + 18 + 18 * i;
    fprintf(c->f, "<line class=\"%s\" x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/>", cls, x, y - 4,
            x + 22, y - 4);
    fprintf(c->f, "<text class=\"legend\" x=\"%g\" y=\"%g\">", x + 28, y);
    qf__html_text(c->f, label);
    fputs("</text>\n", c->f);
}
