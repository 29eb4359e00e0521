/*
 * series.c - the series the report draws (report.h): drawdown, rolling
 * Sharpe, monthly returns, histogram, decimation. Pure functions over the
 * caller's arrays.
 */
#include "report/report.h"

#include <math.h>

#include "core/time.h"
#include "report/report_int.h"

/* Months since year 0, so consecutive calendar months differ by one. */
static int64_t month_key(int64_t ms)
{
    int y, m, d;
    qf_time_to_civil(ms, &y, &m, &d);
    return (int64_t)y * 12 + (m - 1);
}

void qf_report_drawdown(const double *equity, size_t n, double *out_dd)
{
    double peak = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (equity[i] > peak)
            peak = equity[i];
        out_dd[i] = 1.0 - equity[i] / peak;
    }
}

static void window_sums(const double *equity, size_t end, size_t window, double *s1, double *s2)
{
    *s1 = 0;
    *s2 = 0;
    for (size_t k = end + 1 - window; k <= end; k++) {
        double r = equity[k] / equity[k - 1] - 1.0;
        *s1 += r;
        *s2 += r * r;
    }
}

void qf_report_rolling_sharpe(const double *equity, size_t n, size_t window, double bars_per_year,
                              double *out)
{
    double ann = sqrt(bars_per_year), w = (double)window;
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = NAN;
        if (window < 2 || i < window)
            continue;
        /* Running sums, recomputed from scratch once per window so rounding
         * cannot drift over millions of bars (still O(n) overall). */
        if ((i - window) % window == 0) {
            window_sums(equity, i, window, &s1, &s2);
        } else {
            double add = equity[i] / equity[i - 1] - 1.0;
            double drop = equity[i - window] / equity[i - window - 1] - 1.0;
            s1 += add - drop;
            s2 += add * add - drop * drop;
        }
        double mean = s1 / w;
        double var = (s2 - w * mean * mean) / (w - 1.0);
        /* A flat stretch leaves a variance of rounding noise: call it zero. */
        if (var > 1e-14 * (s2 / w) && var > 0)
            out[i] = mean / sqrt(var) * ann;
    }
}

size_t qf_report_month_count(const int64_t *time, size_t n)
{
    size_t count = 0;
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t key = month_key(time[i]);
        if (i == 0 || key != prev)
            count++;
        prev = key;
    }
    return count;
}

size_t qf_report_monthly_returns(const int64_t *time, const double *equity, size_t n,
                                 qf_month_return *out)
{
    size_t count = 0;
    double base = n > 0 ? equity[0] : 0;
    for (size_t i = 0; i < n; i++) {
        int64_t key = month_key(time[i]);
        /* i closes its month when it is the last point or the next is in another month */
        if (i + 1 < n && month_key(time[i + 1]) == key)
            continue;
        out[count].year = (int)(key >= 0 ? key / 12 : (key - 11) / 12);
        out[count].month = (int)(key - (int64_t)out[count].year * 12) + 1;
        out[count].ret = equity[i] / base - 1.0;
        base = equity[i];
        count++;
    }
    return count;
}

size_t qf_report_histogram(const double *x, size_t n, size_t stride, size_t n_bins,
                           size_t *out_counts, double *out_lo, double *out_hi)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t used = 0;
    for (size_t b = 0; b < n_bins; b++)
        out_counts[b] = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (!isfinite(v))
            continue;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        used++;
    }
    if (used == 0) {
        *out_lo = 0;
        *out_hi = 0;
        return 0;
    }
    if (hi == lo) {
        double pad = lo != 0 ? fabs(lo) * 0.01 : 1.0;
        lo -= pad;
        hi += pad;
    }
    double width = (hi - lo) / (double)n_bins;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (!isfinite(v))
            continue;
        size_t b = (size_t)((v - lo) / width);
        out_counts[b < n_bins ? b : n_bins - 1]++;
    }
    *out_lo = lo;
    *out_hi = hi;
    return used;
}

/* Appends the min and max finite indices of y[a..b) in order, or a when
 * none is finite. */
static size_t column_extremes(const double *y, size_t a, size_t b, size_t *out)
{
    size_t lo = b, hi = b;
    for (size_t i = a; i < b; i++) {
        if (!isfinite(y[i]))
            continue;
        if (lo == b || y[i] < y[lo])
            lo = i;
        if (hi == b || y[i] > y[hi])
            hi = i;
    }
    if (lo == b) {
        out[0] = a;
        return 1;
    }
    if (lo == hi) {
        out[0] = lo;
        return 1;
    }
    out[0] = lo < hi ? lo : hi;
    out[1] = lo < hi ? hi : lo;
    return 2;
}

size_t qf_report_decimate(const double *y, size_t n, size_t cols, size_t *out_idx)
{
    if (cols == 0 || n <= 2 * cols) {
        for (size_t i = 0; i < n; i++)
            out_idx[i] = i;
        return n;
    }
    size_t m = 0;
    for (size_t c = 0; c < cols; c++) {
        size_t a = c * n / cols, b = (c + 1) * n / cols;
        m += column_extremes(y, a, b, out_idx + m);
    }
    return m;
}
