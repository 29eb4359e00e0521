/*
 * report_int.h - private to src/report: the SVG chart primitives (svg.c),
 * the report's sections (html.c, charts.c) and small text helpers. Every
 * writer prints to a stdio stream and ignores its errors: the caller checks
 * ferror() once at the end (the error flag is sticky).
 */
#ifndef QF_REPORT_REPORT_INT_H
#define QF_REPORT_REPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "report/report.h"

/* Pixel columns a chart's lines are decimated to (the plot is ~900 wide). */
#define QF__REPORT_COLS 900

/* What the writer derived from the input, shared by the sections. */
typedef struct qf__report_data {
    const qf_report_input *in;
    double *drawdown;        /* n, qf_report_drawdown */
    double *rolling;         /* n, qf_report_rolling_sharpe */
    size_t window;           /* bars of the rolling Sharpe actually used */
    qf_month_return *months; /* n_months */
    size_t n_months;
    size_t *idx;     /* decimation scratch, 2 * QF__REPORT_COLS + 2 */
    double *scratch; /* mc->n_sims values when mc_sims is given, else NULL */
} qf__report_data;

/* Writes s HTML-escaped (& < > " '); NULL writes nothing. */
void qf__html_text(FILE *f, const char *s);

/* How a value on an axis or in a table is written. */
typedef enum qf__fmt {
    QF__FMT_NUM,   /* 1.23 */
    QF__FMT_PCT,   /* a fraction as a percent: 0.123 -> 12.3% */
    QF__FMT_MONEY, /* compact: 12k, 1.5M */
    QF__FMT_MULT,  /* a multiple: x2.5 */
} qf__fmt;

/* Formats v into buf ("—" for NaN). */
void qf__fmt_value(double v, qf__fmt fmt, char *buf, size_t size);

/* A chart: an SVG viewBox with a rectangular plot area mapping data x
 * (time in ms, or a value) and y onto it; on a log axis the range is in
 * log10 units while the points drawn are given as plain values. */
typedef struct qf__chart {
    FILE *f;
    double w, h;        /* viewBox size */
    double left, right; /* plot area edges in viewBox units */
    double top, bottom;
    double x0, x1; /* data range on x, log10 units when log_x */
    double y0, y1; /* data range on y, log10 units when log_y */
    int log_x, log_y;
} qf__chart;

/* Opens <svg> of w x h with an accessible label; the plot area leaves room
 * for the axes. Set x0..y1, log_x and log_y before drawing. */
void qf__chart_begin(qf__chart *c, FILE *f, const char *label, double w, double h);
void qf__chart_end(qf__chart *c);

/* Rounds [*lo, *hi] out to nice steps for about `target` ticks. */
void qf__chart_nice(double *lo, double *hi, int target);

/* Gridlines and labels: value ticks on y or x (1-2-5 per decade on a log
 * axis), or calendar time ticks on x. */
void qf__chart_y_axis(qf__chart *c, qf__fmt fmt);
void qf__chart_time_axis(qf__chart *c);
void qf__chart_x_axis(qf__chart *c, qf__fmt fmt);

/* Data to viewBox coordinates (plain values: the log is applied here). */
double qf__chart_px(const qf__chart *c, double x);
double qf__chart_py(const qf__chart *c, double y);

/* Draws scale * y against time as one path of class cls, decimated to the
 * plot's columns (idx: 2 * QF__REPORT_COLS + 2 scratch), broken at NaN
 * (scale -1 draws drawdowns below zero). With fill_to_zero the path is closed
 * down to y = 0 as an area. */
void qf__chart_series(qf__chart *c, const int64_t *t, const double *y, double scale, size_t n,
                      size_t *idx, const char *cls, int fill_to_zero);

/* A horizontal or vertical reference line across the plot with an optional
 * label (escaped); row picks the label's line from the top for vertical ones. */
void qf__chart_hline(qf__chart *c, double y, const char *cls, const char *label);
void qf__chart_vline(qf__chart *c, double x, const char *cls, const char *label, int row);

/* A label beside data x at viewBox height y, to its left near the right edge. */
void qf__chart_label(qf__chart *c, double x, double y, const char *label);

/* A legend entry at row i in the plot's top-left corner. */
void qf__chart_legend(qf__chart *c, int i, const char *cls, const char *label);

/* The chart sections (charts.c). */
void qf__report_equity(FILE *f, const qf__report_data *d);
void qf__report_drawdown(FILE *f, const qf__report_data *d);
void qf__report_monthly(FILE *f, const qf__report_data *d);
void qf__report_rolling(FILE *f, const qf__report_data *d);
void qf__report_montecarlo(FILE *f, const qf__report_data *d);

#endif
