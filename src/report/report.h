/*
 * report.h - the self-contained HTML backtest report, and the series it
 * plots.
 *
 * qf_report_write_html writes one HTML file with inline CSS and inline SVG
 * charts drawn here: no JavaScript, no external URL, no web font, so it
 * opens offline and can be mailed as one attachment. It holds the metrics
 * with a one-line definition each, equity against buy-and-hold, drawdown,
 * the monthly returns heatmap, the rolling Sharpe ratio, the Monte Carlo
 * distributions, the parameters and settings, and the trade list. Long series
 * are decimated (min and max per pixel column), so the file stays within a
 * few MB whatever the number of bars.
 *
 * The series helpers below are pure functions over caller-supplied arrays
 * (no I/O, no allocation) and are what the charts draw; they are public so
 * they can be tested and reused.
 */
#ifndef QF_REPORT_REPORT_H
#define QF_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "backtest/ledger.h"
#include "backtest/metrics.h"
#include "backtest/montecarlo.h"
#include "core/err.h"

/* Trade lists longer than this show their first and last QF_REPORT_TRADES_EDGE
 * trades and say how many were left out. */
#define QF_REPORT_TRADES_MAX  2000
#define QF_REPORT_TRADES_EDGE 1000

/* Everything the report shows. The writer only reads it; every pointer is
 * borrowed for the duration of the call. Text may hold any characters: it is
 * HTML-escaped. */
typedef struct qf_report_input {
    const char *title;    /* e.g. "ma_crossover on binance BTC/USDT 4h"; NULL: a default */
    const char *strategy; /* strategy name; may be NULL */
    const char *const *param_names; /* n_params strategy parameters */
    const double *param_values;
    size_t n_params;
    const char *const *settings_k; /* n_settings engine settings as text */
    const char *const *settings_v; /* (engine, fill_at, fees, capital ...) */
    size_t n_settings;
    const int64_t *time;     /* n UTC ms, strictly increasing: the time of each equity point */
    const double *equity;    /* n > 1 points, finite and > 0 */
    const double *benchmark; /* buy-and-hold equity on the same timeline (n); may be NULL */
    size_t n;
    double bars_per_year;      /* annualisation, e.g. 2190 for 4h */
    const qf_metrics *metrics; /* of this equity curve (backtest/metrics.h) */
    const qf_bt_trade *trades; /* closed trades (backtest/ledger.h); may be NULL when none */
    size_t n_trades;
    const char *const *symbol_names; /* indexed by qf_bt_trade.symbol */
    size_t n_symbols;
    const qf_mc_summary *mc; /* Monte Carlo summary; NULL: the section says it was not run */
    const double *mc_sims;   /* mc->n_sims rows {total_return, sharpe, max_drawdown}; may be NULL */
    size_t rolling_window;   /* bars of the rolling Sharpe; 0: bars_per_year / 12 (a month), */
                             /* at most a quarter of the series */
} qf_report_input;

/* Writes the report to path atomically: a temporary file in the same
 * directory is written, flushed, fsync'd and renamed over path, so a failure
 * leaves no file (and an existing file at path untouched). QF_EINVAL names a
 * bad input (nothing is written); QF_EIO names the path and the reason;
 * QF_ENOMEM. Memory used is linear in n. */
QF_NODISCARD qf_rc qf_report_write_html(const char *path, const qf_report_input *in, qf_err *err);

/* Drawdown at each point: out_dd[i] = 1 - equity[i] / max(equity[0..i]),
 * positive below a peak, 0 at a new high. Its maximum is the max_drawdown
 * metric. */
void qf_report_drawdown(const double *equity, size_t n, double *out_dd);

/* Rolling Sharpe ratio over `window` bar returns r_k = equity[k] /
 * equity[k-1] - 1: out[i] = mean / sd (ddof 1) of r_{i-window+1} .. r_i,
 * times sqrt(bars_per_year). NaN for i < window (the window is not full yet),
 * where sd is 0 (a flat stretch), and everywhere when window < 2. O(n). */
void qf_report_rolling_sharpe(const double *equity, size_t n, size_t window, double bars_per_year,
                              double *out);

/* One calendar month's return. */
typedef struct qf_month_return {
    int year;
    int month; /* 1 .. 12 */
    double ret;
} qf_month_return;

/* The number of distinct UTC calendar months among n ascending times. */
size_t qf_report_month_count(const int64_t *time, size_t n);

/* Monthly returns by UTC calendar month of time (ascending): each month's
 * return is its last equity / the last equity of the previous month present
 * - 1, the first month's relative to equity[0]. So compounding them all gives
 * equity[n-1] / equity[0] - 1. A month without any point is absent. Writes
 * qf_report_month_count(time, n) entries to out and returns that count. */
size_t qf_report_monthly_returns(const int64_t *time, const double *equity, size_t n,
                                 qf_month_return *out);

/* Histogram of the finite values x[0], x[stride], ... x[(n-1) * stride] in
 * n_bins equal bins over [min, max] (a bin holds [lo, hi), the last also its
 * upper edge). All equal values get a range padded around them. Writes the
 * counts and the range (0, 0 when nothing is finite) and returns how many
 * values were binned. n_bins >= 1. */
size_t qf_report_histogram(const double *x, size_t n, size_t stride, size_t n_bins,
                           size_t *out_counts, double *out_lo, double *out_hi);

/* Picks the points of y worth drawing on `cols` pixel columns: all n indices
 * when n <= 2 * cols, else per column (a run of consecutive indices) the
 * indices of its minimum and maximum finite value in order, or its first
 * index when none is finite (so a drawn line breaks there). out_idx holds at
 * least min(n, 2 * cols) entries; returns how many were written, ascending. */
size_t qf_report_decimate(const double *y, size_t n, size_t cols, size_t *out_idx);

#endif
