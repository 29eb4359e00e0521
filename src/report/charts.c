/*
 * charts.c - the report's chart sections (report_int.h): equity against
 * buy-and-hold, drawdown, the monthly returns heatmap, the rolling Sharpe
 * ratio and the Monte Carlo distributions.
 */
#include <math.h>
#include <stdlib.h>

#include "report/report_int.h"

#define CHART_W 1000
#define CHART_H 340
#define HIST_W  420
#define HIST_H  260
#define N_BINS  40

/* Log scale once the curves span a factor of 10: a decade of BTC would
 * otherwise flatten everything before the last run-up. */
static void equity_range(const qf_report_input *in, qf__chart *c)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < in->n; i++) {
        lo = fmin(lo, in->equity[i]);
        hi = fmax(hi, in->equity[i]);
        if (in->benchmark != NULL) {
            lo = fmin(lo, in->benchmark[i]);
            hi = fmax(hi, in->benchmark[i]);
        }
    }
    c->log_y = hi / lo >= 10;
    if (c->log_y) {
        double pad = 0.03 * (log10(hi) - log10(lo));
        c->y0 = log10(lo) - pad;
        c->y1 = log10(hi) + pad;
    } else {
        c->y0 = lo;
        c->y1 = hi;
        qf__chart_nice(&c->y0, &c->y1, 5);
    }
}

void qf__report_equity(FILE *f, const qf__report_data *d)
{
    const qf_report_input *in = d->in;
    qf__chart c;
    fprintf(f, "<section id=\"equity\"><h2>Equity%s</h2>\n",
            in->benchmark != NULL ? " against buy-and-hold" : "");
    qf__chart_begin(&c, f, "Equity curve of the strategy and of buy-and-hold", CHART_W, CHART_H);
    c.x0 = (double)in->time[0];
    c.x1 = (double)in->time[in->n - 1];
    equity_range(in, &c);
    qf__chart_y_axis(&c, QF__FMT_MONEY);
    qf__chart_time_axis(&c);
    if (in->benchmark != NULL)
        qf__chart_series(&c, in->time, in->benchmark, 1, in->n, d->idx, "bh", 0);
    qf__chart_series(&c, in->time, in->equity, 1, in->n, d->idx, "eq", 0);
    qf__chart_legend(&c, 0, "eq", in->strategy != NULL ? in->strategy : "strategy");
    if (in->benchmark != NULL)
        qf__chart_legend(&c, 1, "bh", "buy-and-hold");
    qf__chart_end(&c);
    char a[48], b[48];
    qf__fmt_value(in->equity[in->n - 1], QF__FMT_MONEY, a, sizeof a);
    fprintf(f, "<p class=\"note\">%s scale, quote currency. The strategy ends at %s",
            c.log_y ? "Logarithmic" : "Linear", a);
    if (in->benchmark != NULL) {
        qf__fmt_value(in->benchmark[in->n - 1], QF__FMT_MONEY, b, sizeof b);
        fprintf(f, ", buy-and-hold at %s", b);
    }
    fputs(".</p></section>\n", f);
}

void qf__report_drawdown(FILE *f, const qf__report_data *d)
{
    const qf_report_input *in = d->in;
    double worst = 0;
    for (size_t i = 0; i < in->n; i++)
        worst = fmax(worst, d->drawdown[i]);
    qf__chart c;
    fputs("<section id=\"drawdown\"><h2>Drawdown</h2>\n", f);
    qf__chart_begin(&c, f, "Drawdown from the running peak", CHART_W, 220);
    c.x0 = (double)in->time[0];
    c.x1 = (double)in->time[in->n - 1];
    c.y0 = -(worst > 0 ? worst : 0.01);
    c.y1 = 0;
    qf__chart_nice(&c.y0, &c.y1, 4);
    qf__chart_y_axis(&c, QF__FMT_PCT);
    qf__chart_time_axis(&c);
    qf__chart_series(&c, in->time, d->drawdown, -1, in->n, d->idx, "dd", 1);
    char lab[64], v[48];
    qf__fmt_value(worst, QF__FMT_PCT, v, sizeof v);
    snprintf(lab, sizeof lab, "max drawdown %s", v);
    qf__chart_hline(&c, -worst, "refline", lab);
    qf__chart_end(&c);
    fputs("<p class=\"note\">1 − equity / running peak, shown below zero.</p></section>\n", f);
}

/* White to green (gains) or red (losses), saturating at |r| = cap. */
static void heat_cell(FILE *f, double r, double cap, const char *cls)
{
    if (isnan(r)) {
        fprintf(f, "<td class=\"%s\"></td>", cls);
        return;
    }
    double t = fmin(fabs(r) / cap, 1.0) * 0.85;
    int g[3] = {26, 152, 80}, red[3] = {215, 48, 39};
    const int *to = r >= 0 ? g : red;
    int rgb[3];
    for (int k = 0; k < 3; k++)
        rgb[k] = (int)lround(255 + (to[k] - 255) * t);
    double pct = fabs(r) < 0.0005 ? 0 : r * 100; /* no "-0.0%" */
    fprintf(f, "<td class=\"%s%s\" style=\"background:#%02x%02x%02x\">%.1f%%</td>", cls,
            t > 0.55 ? " dark" : "", rgb[0], rgb[1], rgb[2], pct);
}

void qf__report_monthly(FILE *f, const qf__report_data *d)
{
    static const char *const names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    fputs("<section id=\"monthly\"><h2>Monthly returns</h2>\n<table class=\"heat\"><thead><tr>"
          "<th>Year</th>",
          f);
    for (int m = 0; m < 12; m++)
        fprintf(f, "<th>%s</th>", names[m]);
    fputs("<th>Year</th></tr></thead><tbody>\n", f);
    double cap = 0;
    for (size_t k = 0; k < d->n_months; k++)
        cap = fmax(cap, fabs(d->months[k].ret));
    cap = fmin(fmax(cap, 0.05), 0.5);
    for (size_t k = 0; k < d->n_months;) {
        int year = d->months[k].year;
        double row[12], compound = 1;
        for (int m = 0; m < 12; m++)
            row[m] = NAN;
        for (; k < d->n_months && d->months[k].year == year; k++) {
            row[d->months[k].month - 1] = d->months[k].ret;
            compound *= 1 + d->months[k].ret;
        }
        fprintf(f, "<tr><th>%d</th>", year);
        for (int m = 0; m < 12; m++)
            heat_cell(f, row[m], cap, "m");
        heat_cell(f, compound - 1, cap * 3, "y");
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n<p class=\"note\">Return of each UTC calendar month: its last "
          "equity / the previous month's last equity − 1 (the first month from the first "
          "point). The last column compounds the year's months. Green gains, red losses; "
          "an empty cell has no data.</p></section>\n",
          f);
}

void qf__report_rolling(FILE *f, const qf__report_data *d)
{
    const qf_report_input *in = d->in;
    double lo = 0, hi = 0;
    size_t finite = 0;
    for (size_t i = 0; i < in->n; i++) {
        if (isfinite(d->rolling[i])) {
            lo = fmin(lo, d->rolling[i]);
            hi = fmax(hi, d->rolling[i]);
            finite++;
        }
    }
    fprintf(f, "<section id=\"rolling\"><h2>Rolling Sharpe ratio (%zu bars)</h2>\n", d->window);
    if (finite == 0 && in->n <= d->window) {
        fprintf(f, "<p>Too few bars for a window of %zu returns.</p></section>\n", d->window);
        return;
    }
    if (finite == 0) {
        fputs("<p>Undefined in every window: the equity does not move.</p></section>\n", f);
        return;
    }
    double full = in->metrics->sharpe;
    if (isfinite(full)) {
        lo = fmin(lo, full);
        hi = fmax(hi, full);
    }
    qf__chart c;
    qf__chart_begin(&c, f, "Rolling Sharpe ratio", CHART_W, 260);
    c.x0 = (double)in->time[0];
    c.x1 = (double)in->time[in->n - 1];
    c.y0 = lo;
    c.y1 = hi;
    qf__chart_nice(&c.y0, &c.y1, 5);
    qf__chart_y_axis(&c, QF__FMT_NUM);
    qf__chart_time_axis(&c);
    qf__chart_hline(&c, 0, "zero", NULL);
    qf__chart_series(&c, in->time, d->rolling, 1, in->n, d->idx, "roll", 0);
    if (isfinite(full)) {
        char lab[64];
        snprintf(lab, sizeof lab, "whole period %.2f", full);
        qf__chart_hline(&c, full, "refline", lab);
    }
    qf__chart_end(&c);
    fprintf(f,
            "<p class=\"note\">Sharpe ratio of the last %zu bar returns (mean / sd with ddof 1 "
            "× √%g), plotted from the first full window; gaps are flat stretches.</p>"
            "</section>\n",
            d->window, in->bars_per_year);
}

/* Total returns of a bootstrap spread over orders of magnitude (compounding
 * is multiplicative), so past a factor of 10 between the smallest and the
 * largest equity multiple they are binned on a log scale of 1 + r. Fills
 * d->scratch with the values to bin and returns 1 for log. */
static int total_return_values(const qf__report_data *d)
{
    const qf_report_input *in = d->in;
    size_t n = in->mc->n_sims;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        d->scratch[i] = 1 + in->mc_sims[3 * i];
        lo = fmin(lo, d->scratch[i]);
        hi = fmax(hi, d->scratch[i]);
    }
    int log_x = lo > 0 && hi / lo > 10;
    for (size_t i = 0; i < n; i++)
        d->scratch[i] = log_x ? log10(d->scratch[i]) : d->scratch[i] - 1;
    return log_x;
}

/* One histogram of column col of the simulations (0 total return, 1
 * Sharpe, 2 max drawdown) with the 5/50/95 percentile marks and the
 * backtest's own value. */
static void mc_histogram(FILE *f, const qf__report_data *d, size_t col, const char *title,
                         const qf_mc_dist *dist, double actual, qf__fmt fmt)
{
    const qf_mc_summary *mc = d->in->mc;
    size_t counts[N_BINS], top = 0;
    double lo, hi;
    int log_x = col == 0 && total_return_values(d);
    if (col == 0)
        qf_report_histogram(d->scratch, mc->n_sims, 1, N_BINS, counts, &lo, &hi);
    else
        qf_report_histogram(d->in->mc_sims + col, mc->n_sims, 3, N_BINS, counts, &lo, &hi);
    for (size_t b = 0; b < N_BINS; b++)
        top = counts[b] > top ? counts[b] : top;
    /* on the log scale points are equity multiples 1 + r */
    double shift = log_x ? 1 : 0;
    double a = log_x ? log10(1 + actual) : actual;
    fputs("<figure>", f);
    qf__chart c;
    qf__chart_begin(&c, f, title, HIST_W, HIST_H);
    c.left = 48;
    c.right = HIST_W - 14;
    c.top = 50;
    c.log_x = log_x;
    c.x0 = isfinite(a) ? fmin(lo, a) : lo;
    c.x1 = isfinite(a) ? fmax(hi, a) : hi;
    c.y0 = 0;
    c.y1 = (double)top;
    qf__chart_nice(&c.y0, &c.y1, 4);
    qf__chart_y_axis(&c, QF__FMT_NUM);
    qf__chart_x_axis(&c, log_x ? QF__FMT_MULT : fmt);
    double w = (hi - lo) / N_BINS;
    for (size_t b = 0; b < N_BINS; b++) {
        if (counts[b] == 0)
            continue;
        double e0 = lo + (double)b * w, e1 = lo + (double)(b + 1) * w;
        double x0 = qf__chart_px(&c, log_x ? pow(10, e0) : e0);
        double x1 = qf__chart_px(&c, log_x ? pow(10, e1) : e1);
        double y = qf__chart_py(&c, (double)counts[b]);
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x0,
                y, fmax(x1 - x0 - 0.5, 0.5), c.bottom - y);
    }
    fputs("\n", f);
    /* The marks' labels sit above the plot, one row each, so they never overlap. */
    const double marks[3] = {dist->p5, dist->p50, dist->p95};
    const char *const names[3] = {"p5", "p50", "p95"};
    for (int k = 0; k < 3; k++) {
        char v[48], lab[64];
        qf__fmt_value(marks[k], fmt, v, sizeof v);
        snprintf(lab, sizeof lab, "%s %s", names[k], v);
        qf__chart_vline(&c, marks[k] + shift, "pmark", NULL, 0);
        qf__chart_label(&c, marks[k] + shift, 14 + 12 * k, lab);
    }
    if (isfinite(actual))
        qf__chart_vline(&c, actual + shift, "actual", NULL, 0);
    qf__chart_end(&c);
    fputs("<figcaption>", f);
    qf__html_text(f, title);
    if (log_x)
        fputs(" (log scale of the equity multiple 1 + r)", f);
    fputs("</figcaption></figure>\n", f);
}

static void mc_row(FILE *f, const char *name, const qf_mc_dist *dd, double actual, qf__fmt fmt)
{
    const double v[5] = {dd->mean, dd->p5, dd->p50, dd->p95, actual};
    fprintf(f, "<tr><th>%s</th>", name);
    for (int k = 0; k < 5; k++) {
        char buf[48];
        if (fmt == QF__FMT_PCT && isfinite(v[k]))
            snprintf(buf, sizeof buf, "%.2f%%", 100 * v[k]);
        else if (isfinite(v[k]))
            snprintf(buf, sizeof buf, "%.3f", v[k]);
        else
            qf__fmt_value(v[k], fmt, buf, sizeof buf);
        fprintf(f, "<td>%s</td>", buf);
    }
    fputs("</tr>\n", f);
}

void qf__report_montecarlo(FILE *f, const qf__report_data *d)
{
    const qf_report_input *in = d->in;
    const qf_mc_summary *mc = in->mc;
    const qf_metrics *m = in->metrics;
    fputs("<section id=\"montecarlo\"><h2>Monte Carlo (block bootstrap)</h2>\n", f);
    if (mc == NULL) {
        fputs("<p>Not run for this report.</p></section>\n", f);
        return;
    }
    fprintf(f,
            "<p>%zu simulations resampling the bar returns in circular blocks. Probability of "
            "loss (ending below the start): <b>%.2f%%</b>.</p>\n",
            mc->n_sims, 100 * mc->prob_loss);
    fputs("<table class=\"num\"><thead><tr><th></th><th>mean</th><th>p5</th><th>p50</th>"
          "<th>p95</th><th>backtest</th></tr></thead><tbody>\n",
          f);
    mc_row(f, "Sharpe", &mc->sharpe, m->sharpe, QF__FMT_NUM);
    mc_row(f, "total return", &mc->total_return, m->total_return, QF__FMT_PCT);
    mc_row(f, "max drawdown", &mc->max_drawdown, m->max_drawdown, QF__FMT_PCT);
    fputs("</tbody></table>\n", f);
    if (in->mc_sims != NULL) {
        fputs("<div class=\"mc\">\n", f);
        mc_histogram(f, d, 1, "Sharpe ratio", &mc->sharpe, m->sharpe, QF__FMT_NUM);
        mc_histogram(f, d, 0, "Total return", &mc->total_return, m->total_return, QF__FMT_PCT);
        mc_histogram(f, d, 2, "Maximum drawdown", &mc->max_drawdown, m->max_drawdown, QF__FMT_PCT);
        fputs("</div>\n<p class=\"note\">Bars: simulations per bin. Dashed lines: 5th, 50th "
              "and 95th percentiles; red line: the backtest itself.</p>\n",
              f);
    }
    fputs("</section>\n", f);
}
