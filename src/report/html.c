/*
 * html.c - qf_report_write_html (report.h): checks the input, derives the
 * plotted series, writes the document (head and CSS, summary, metrics with
 * definitions, parameters, trades; the charts come from charts.c) into a
 * temporary file beside the target and renames it into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/time.h"
#include "report/report_int.h"

/* How a metric is shown in the table. */
typedef enum mfmt { M_PCT, M_RATIO, M_INT, M_USD, M_PROB, M_TIMES } mfmt;

/* One line per metric, from the formulas at the top of backtest/metrics.h. */
static const struct {
    const char *key, *label;
    mfmt fmt;
    const char *def;
} metric_docs[] = {
    {"final_equity", "Final equity", M_USD, "Equity at the last point, quote currency."},
    {"total_return", "Total return", M_PCT, "equity_end / equity_0 − 1."},
    {"cagr", "CAGR", M_PCT, "(equity_end / equity_0)^(1 / years) − 1, years = T / bpy."},
    {"sharpe", "Sharpe ratio", M_RATIO, "mean(r) / sd(r) × √bpy, sd with ddof 1."},
    {"sortino", "Sortino ratio", M_RATIO, "mean(r) / √mean(min(r, 0)²) × √bpy."},
    {"calmar", "Calmar ratio", M_RATIO, "CAGR / max drawdown."},
    {"max_drawdown", "Max drawdown", M_PCT,
     "max over t of 1 − equity_t / max_{s≤t} equity_s (a positive loss)."},
    {"max_drawdown_duration_bars", "Max drawdown duration (bars)", M_INT,
     "Longest run of bars spent below a prior peak."},
    {"hit_rate", "Hit rate", M_PCT, "Winning closed trades / closed trades (PnL after costs > 0)."},
    {"profit_factor", "Profit factor", M_RATIO, "Sum of winning PnL / |sum of losing PnL|."},
    {"trades", "Closed trades", M_INT, "Trades from flat to flat (or to a reversal)."},
    {"turnover_annual", "Annual turnover", M_TIMES, "Traded notional / mean equity / years."},
    {"exposure", "Exposure", M_PCT, "Bars holding a position / T."},
    {"var_5", "VaR 5% (bar)", M_PCT,
     "Empirical 5% quantile of r (the ⌈0.05 T⌉-th smallest), as a positive loss."},
    {"cvar_5", "CVaR 5% (bar)", M_PCT,
     "Mean of the returns at or below the 5% quantile, as a positive loss."},
    {"psr", "PSR (vs 0)", M_PROB,
     "Probabilistic Sharpe ratio: Φ(SR √(T−1) / √(1 − g3·SR + (g4−1)/4·SR²)) with the per-bar "
     "SR, skewness g3 and kurtosis g4."},
    {"dsr", "DSR", M_PROB,
     "Deflated Sharpe ratio: the PSR against SR* = √V ((1−γ) Z(1−1/N) + γ Z(1−1/(N e))), N "
     "trials, V the variance of the SR estimator; equals the PSR when N = 1."},
    {"capacity_usd", "Capacity", M_USD,
     "Capital at which linear impact eats half the gross return: 0.5 × gross PnL / impact cost "
     "× capital (∞ without impact, 0 without gross profit)."},
};

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "color:#1f2328;background:#f6f8fa;margin:0}\n"
    "main{max-width:1160px;margin:0 auto;padding:16px 24px 48px}\n"
    "h1{font-size:24px;margin:16px 0 4px}h2{font-size:18px;margin:0 0 10px}\n"
    "section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:16px 20px;"
    "margin:16px 0}\n"
    ".sub{color:#57606a;margin:0 0 8px}nav a{margin-right:12px;color:#0969da}\n"
    ".note{color:#57606a;font-size:13px;margin:6px 0 0}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:12px}\n"
    ".card{flex:1 1 110px;border:1px solid #d0d7de;border-radius:6px;padding:8px 12px}\n"
    ".card .k{font-size:12px;color:#57606a}.card .v{font-size:20px;font-weight:600}\n"
    "table{border-collapse:collapse;font-size:13px}\n"
    "th,td{padding:4px 8px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}\n"
    "td.r,table.num td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "table.heat{width:100%}table.heat td{text-align:center;font-variant-numeric:tabular-nums;"
    "border:1px solid #fff;padding:4px 2px}\n"
    "table.heat td.dark{color:#fff}table.heat td.y{font-weight:600;border-left:3px solid #fff}\n"
    "table.heat th{text-align:center}table.num thead th{text-align:right}\n"
    ".trades{max-height:640px;overflow:auto;border:1px solid #eaeef2}\n"
    ".trades th{position:sticky;top:0;background:#f6f8fa}\n"
    ".pos{color:#1a7f37}.neg{color:#cf222e}.gap td{text-align:center;color:#57606a}\n"
    "svg.chart{width:100%;height:auto;display:block}\n"
    ".plot{fill:#fff}.frame{fill:none;stroke:#afb8c1}.grid{stroke:#eaeef2}\n"
    ".yl{font-size:12px;fill:#57606a;text-anchor:end}.xl{font-size:12px;fill:#57606a;"
    "text-anchor:middle}\n"
    ".legend,.ref{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}\n"
    ".legend{font-size:13px;fill:#1f2328}.ref{font-size:12px;fill:#1f2328}\n"
    ".eq{fill:none;stroke:#0969da;stroke-width:1.6}.bh{fill:none;stroke:#e8833a;"
    "stroke-width:1.3}\n"
    ".dd{fill:rgba(207,34,46,.25);stroke:#cf222e;stroke-width:1}\n"
    ".roll{fill:none;stroke:#8250df;stroke-width:1.2}.zero{stroke:#6e7781}\n"
    ".refline{stroke:#1f2328;stroke-dasharray:5 4}\n"
    ".bar{fill:#80ccff}.pmark{stroke:#57606a;stroke-dasharray:4 3}"
    ".actual{stroke:#cf222e;stroke-width:2}\n"
    ".mc{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px;"
    "margin-top:12px}\n"
    "figure{margin:0}figcaption{text-align:center;font-size:13px;color:#57606a}\n";

/* "%.2f" with thousands separators: 1234567.891 -> "1,234,567.89". */
static void fmt_grouped(double v, char *buf, size_t size)
{
    char plain[64];
    int len = snprintf(plain, sizeof plain, "%.2f", v);
    if (len < 0 || (size_t)len >= sizeof plain || fabs(v) >= 1e15) {
        snprintf(buf, size, "%.6g", v);
        return;
    }
    const char *digits = plain + (plain[0] == '-');
    size_t int_len = strcspn(digits, ".");
    size_t o = 0;
    if (plain[0] == '-' && o + 1 < size)
        buf[o++] = '-';
    for (size_t i = 0; digits[i] != '\0' && o + 2 < size; i++) {
        if (i > 0 && i < int_len && (int_len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

static void fmt_metric(double v, mfmt fmt, char *buf, size_t size)
{
    if (!isfinite(v)) {
        qf__fmt_value(v, QF__FMT_NUM, buf, size);
        return;
    }
    switch (fmt) {
    case M_PCT:
        snprintf(buf, size, "%.2f%%", 100 * v);
        break;
    case M_INT:
        snprintf(buf, size, "%.0f", v);
        break;
    case M_USD:
        fmt_grouped(v, buf, size);
        break;
    case M_PROB:
        snprintf(buf, size, "%.4f", v);
        break;
    case M_TIMES:
        snprintf(buf, size, "%.2f×", v);
        break;
    default:
        snprintf(buf, size, "%.3f", v);
    }
}

static void head(FILE *f, const qf_report_input *in)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"QuantFlow " QF_VERSION "\">\n<title>",
          f);
    qf__html_text(f, in->title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", css);
}

static void header(FILE *f, const qf_report_input *in)
{
    char a[QF_ISO_MAX], b[QF_ISO_MAX];
    fputs("<header id=\"header\"><h1>", f);
    qf__html_text(f, in->title);
    fputs("</h1>\n<p class=\"sub\">Strategy <b>", f);
    qf__html_text(f, in->strategy != NULL ? in->strategy : "—");
    fputs("</b>", f);
    for (size_t s = 0; s < in->n_symbols; s++) {
        fputs(s == 0 ? " on " : ", ", f);
        qf__html_text(f, in->symbol_names[s]);
    }
    fprintf(f, " · %s → %s · %zu points · %g bars per year</p>\n",
            qf_time_format_iso(in->time[0], a, sizeof a),
            qf_time_format_iso(in->time[in->n - 1], b, sizeof b), in->n, in->bars_per_year);
    fputs("<nav><a href=\"#equity\">Equity</a><a href=\"#drawdown\">Drawdown</a>"
          "<a href=\"#monthly\">Monthly</a><a href=\"#rolling\">Rolling Sharpe</a>"
          "<a href=\"#metrics\">Metrics</a><a href=\"#montecarlo\">Monte Carlo</a>"
          "<a href=\"#parameters\">Parameters</a><a href=\"#trades\">Trades</a></nav>\n"
          "<p class=\"note\">Generated by QuantFlow " QF_VERSION
          ". All times UTC (ISO 8601); money in the quote currency.</p></header>\n",
          f);
}

static void card(FILE *f, const char *k, double v, mfmt fmt)
{
    char buf[64];
    fmt_metric(v, fmt, buf, sizeof buf);
    fprintf(f, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div></div>\n", k,
            buf);
}

static void summary(FILE *f, const qf_report_input *in)
{
    const qf_metrics *m = in->metrics;
    fputs("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">\n", f);
    card(f, "Total return", m->total_return, M_PCT);
    if (in->benchmark != NULL)
        card(f, "Buy-and-hold return", in->benchmark[in->n - 1] / in->benchmark[0] - 1, M_PCT);
    card(f, "CAGR", m->cagr, M_PCT);
    card(f, "Sharpe", m->sharpe, M_RATIO);
    card(f, "Max drawdown", m->max_drawdown, M_PCT);
    card(f, "Closed trades", (double)m->trades, M_INT);
    card(f, "Final equity", m->final_equity, M_USD);
    fputs("</div></section>\n", f);
}

static void metrics_table(FILE *f, const qf_report_input *in)
{
    fputs("<section id=\"metrics\"><h2>Metrics</h2>\n<p class=\"note\">r = bar returns "
          "equity_t / equity_{t−1} − 1, T of them; bpy = bars per year. Percent values are "
          "the metric's fraction × 100 (the JSON output and the store keep fractions). "
          "— marks an undefined value.</p>\n<table><thead><tr><th>Metric</th><th>Value</th>"
          "<th>Definition</th></tr></thead><tbody>\n",
          f);
    size_t n_docs = sizeof metric_docs / sizeof metric_docs[0];
    for (size_t i = 0; i < QF_METRICS_COUNT; i++) {
        size_t k = 0;
        while (k < n_docs && strcmp(metric_docs[k].key, qf_metric_names[i]) != 0)
            k++;
        char buf[64];
        fmt_metric(qf_metrics_get(in->metrics, i), k < n_docs ? metric_docs[k].fmt : M_RATIO, buf,
                   sizeof buf);
        fprintf(f,
                "<tr id=\"m-%s\"><th>%s</th><td class=\"r\">%s</td><td>%s <code>%s</code></td>"
                "</tr>\n",
                qf_metric_names[i], k < n_docs ? metric_docs[k].label : qf_metric_names[i], buf,
                k < n_docs ? metric_docs[k].def : "", qf_metric_names[i]);
    }
    fputs("</tbody></table></section>\n", f);
}

static void parameters(FILE *f, const qf_report_input *in)
{
    fputs("<section id=\"parameters\"><h2>Parameters and settings</h2>\n<table><tbody>\n", f);
    for (size_t i = 0; i < in->n_params; i++) {
        fputs("<tr><th>", f);
        qf__html_text(f, in->param_names[i]);
        fprintf(f, "</th><td class=\"r\">%.10g</td></tr>\n", in->param_values[i]);
    }
    for (size_t i = 0; i < in->n_settings; i++) {
        fputs("<tr><th>", f);
        qf__html_text(f, in->settings_k[i]);
        fputs("</th><td>", f);
        qf__html_text(f, in->settings_v[i]);
        fputs("</td></tr>\n", f);
    }
    if (in->n_params + in->n_settings == 0)
        fputs("<tr><td>none given</td></tr>\n", f);
    fputs("</tbody></table></section>\n", f);
}

/* Prices to a precision that suits their size: 2 decimals for BTC, 4 for
 * a dollar coin, 6 significant digits below a dollar. */
static void fmt_price(double v, char *buf, size_t size)
{
    if (!isfinite(v))
        qf__fmt_value(v, QF__FMT_NUM, buf, size);
    else if (fabs(v) >= 1000)
        snprintf(buf, size, "%.2f", v);
    else if (fabs(v) >= 1)
        snprintf(buf, size, "%.4f", v);
    else
        snprintf(buf, size, "%.6g", v);
}

static void trade_row(FILE *f, const qf_report_input *in, size_t i)
{
    const qf_bt_trade *t = &in->trades[i];
    char a[QF_ISO_MAX], b[QF_ISO_MAX], p0[48], p1[48];
    fmt_price(t->entry_price, p0, sizeof p0);
    fmt_price(t->exit_price, p1, sizeof p1);
    fprintf(f, "<tr><td class=\"r\">%zu</td><td>", i + 1);
    if (t->symbol < in->n_symbols)
        qf__html_text(f, in->symbol_names[t->symbol]);
    else
        fprintf(f, "#%zu", t->symbol);
    fprintf(f,
            "</td><td>%s</td><td>%s</td><td>%s</td><td class=\"r\">%s</td>"
            "<td class=\"r\">%s</td><td class=\"r\">%.6g</td><td class=\"r %s\">%.2f</td></tr>\n",
            t->side > 0 ? "long" : "short", qf_time_format_iso(t->entry_time, a, sizeof a),
            qf_time_format_iso(t->exit_time, b, sizeof b), p0, p1, t->max_qty,
            t->pnl > 0   ? "pos"
            : t->pnl < 0 ? "neg"
                         : "",
            t->pnl);
}

static void trades(FILE *f, const qf_report_input *in)
{
    size_t n = in->n_trades, wins = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        total += in->trades[i].pnl;
        wins += in->trades[i].pnl > 0;
    }
    char sum[64];
    fmt_grouped(total, sum, sizeof sum);
    fprintf(f,
            "<section id=\"trades\"><h2>Trades</h2>\n<p>%zu closed trades, %zu winners, total "
            "PnL %s after costs.",
            n, wins, sum);
    int cut = n > QF_REPORT_TRADES_MAX;
    if (cut)
        fprintf(f, " Showing the first and last %d; %zu in between are left out.",
                QF_REPORT_TRADES_EDGE, n - 2 * QF_REPORT_TRADES_EDGE);
    fputs("</p>\n<div class=\"trades\"><table><thead><tr><th>#</th><th>Symbol</th><th>Side</th>"
          "<th>Entry (UTC)</th><th>Exit (UTC)</th><th>Entry price</th><th>Exit price</th>"
          "<th>Quantity</th><th>PnL</th></tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < n; i++) {
        if (cut && i == QF_REPORT_TRADES_EDGE) {
            fprintf(f, "<tr class=\"gap\"><td colspan=\"9\">… %zu trades left out …</td></tr>\n",
                    n - 2 * QF_REPORT_TRADES_EDGE);
            i = n - QF_REPORT_TRADES_EDGE;
        }
        trade_row(f, in, i);
    }
    fputs("</tbody></table></div>\n<p class=\"note\">Entry and exit prices are quantity-weighted "
          "averages of the fills; quantity is the largest held, base asset; PnL is realized "
          "minus every fee, quote currency.</p></section>\n",
          f);
}

static void document(FILE *f, const qf__report_data *d)
{
    head(f, d->in);
    header(f, d->in);
    summary(f, d->in);
    qf__report_equity(f, d);
    qf__report_drawdown(f, d);
    qf__report_monthly(f, d);
    qf__report_rolling(f, d);
    metrics_table(f, d->in);
    qf__report_montecarlo(f, d);
    parameters(f, d->in);
    trades(f, d->in);
    fputs("</main>\n</body>\n</html>\n", f);
}

static qf_rc check_series(const qf_report_input *in, qf_err *err)
{
    for (size_t i = 0; i < in->n; i++) {
        if (!(in->equity[i] > 0) || !isfinite(in->equity[i]))
            return qf_err_set(err, QF_EINVAL, "report: equity[%zu] = %g is not a positive number",
                              i, in->equity[i]);
        if (in->benchmark != NULL && (!(in->benchmark[i] > 0) || !isfinite(in->benchmark[i])))
            return qf_err_set(err, QF_EINVAL,
                              "report: benchmark[%zu] = %g is not a positive number", i,
                              in->benchmark[i]);
        if (i > 0 && in->time[i] <= in->time[i - 1])
            return qf_err_set(err, QF_EINVAL, "report: time[%zu] is not after time[%zu]", i, i - 1);
    }
    return QF_OK;
}

static qf_rc check_input(const char *path, const qf_report_input *in, qf_err *err)
{
    if (path == NULL || path[0] == '\0' || in == NULL)
        return qf_err_set(err, QF_EINVAL, "report: no output path or no input");
    if (in->n < 2 || in->time == NULL || in->equity == NULL)
        return qf_err_set(err, QF_EINVAL, "report: need at least two equity points, got %zu",
                          in->n);
    if (!(in->bars_per_year > 0) || !isfinite(in->bars_per_year))
        return qf_err_set(err, QF_EINVAL, "report: bars_per_year must be positive, got %g",
                          in->bars_per_year);
    if (in->metrics == NULL)
        return qf_err_set(err, QF_EINVAL, "report: metrics missing");
    if ((in->n_trades > 0 && in->trades == NULL) ||
        (in->n_params > 0 && (in->param_names == NULL || in->param_values == NULL)) ||
        (in->n_settings > 0 && (in->settings_k == NULL || in->settings_v == NULL)) ||
        (in->n_symbols > 0 && in->symbol_names == NULL))
        return qf_err_set(err, QF_EINVAL, "report: a list has a count but no array");
    if (in->mc_sims != NULL && in->mc == NULL)
        return qf_err_set(err, QF_EINVAL, "report: Monte Carlo simulations without a summary");
    return check_series(in, err);
}

/* The rolling window: as given, else about a month of bars, but at most a
 * quarter of the returns so a short run still gets a line. */
static size_t rolling_window(const qf_report_input *in)
{
    if (in->rolling_window > 0)
        return in->rolling_window;
    size_t w = (size_t)(in->bars_per_year / 12);
    if (w > (in->n - 1) / 4)
        w = (in->n - 1) / 4;
    return w < 2 ? 2 : w;
}

static qf_rc derive(const qf_report_input *in, qf__report_data *d, qf_err *err)
{
    memset(d, 0, sizeof *d);
    d->in = in;
    d->window = rolling_window(in);
    d->n_months = qf_report_month_count(in->time, in->n);
    d->drawdown = malloc(in->n * sizeof *d->drawdown);
    d->rolling = malloc(in->n * sizeof *d->rolling);
    d->months = malloc(d->n_months * sizeof *d->months);
    d->idx = malloc((2 * QF__REPORT_COLS + 2) * sizeof *d->idx);
    if (in->mc_sims != NULL)
        d->scratch = malloc((in->mc->n_sims ? in->mc->n_sims : 1) * sizeof *d->scratch);
    if (d->drawdown == NULL || d->rolling == NULL || d->months == NULL || d->idx == NULL ||
        (in->mc_sims != NULL && d->scratch == NULL))
        return qf_err_set(err, QF_ENOMEM, "report: out of memory for %zu points", in->n);
    qf_report_drawdown(in->equity, in->n, d->drawdown);
    qf_report_rolling_sharpe(in->equity, in->n, d->window, in->bars_per_year, d->rolling);
    qf_report_monthly_returns(in->time, in->equity, in->n, d->months);
    return QF_OK;
}

static void release(qf__report_data *d)
{
    free(d->drawdown);
    free(d->rolling);
    free(d->months);
    free(d->idx);
    free(d->scratch);
}

/* Creates path.XXXXXX beside path (so the rename stays on one file system)
 * as a stream; mkstemp makes it 0600 and a report is meant to be shared, so
 * it becomes 0644. */
static qf_rc open_temp(const char *path, char **out_tmp, FILE **out_f, qf_err *err)
{
    size_t len = strlen(path) + 8;
    char *tmp = malloc(len);
    if (tmp == NULL)
        return qf_err_set(err, QF_ENOMEM, "report: out of memory");
    snprintf(tmp, len, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return qf_err_set(err, QF_EIO, "report: cannot create %s: %s", path, strerror(e));
    }
    FILE *f = fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return qf_err_set(err, QF_EIO, "report: cannot write %s: %s", path, strerror(e));
    }
    *out_tmp = tmp;
    *out_f = f;
    return QF_OK;
}

/* Flushes, syncs and closes f, then renames tmp over path and syncs the
 * directory so the new name survives a crash. On failure tmp is removed. */
static qf_rc commit_temp(FILE *f, char *tmp, const char *path, qf_err *err)
{
    int failed = ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;
    if (fclose(f) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (!failed && rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return qf_err_set(err, QF_EIO, "report: cannot write %s: %s", path, strerror(e));
    }
    if (failed) {
        unlink(tmp);
        return qf_err_set(err, QF_EIO, "report: cannot write %s: %s", path,
                          e != 0 ? strerror(e) : "write error");
    }
    int dfd = open(dirname(tmp), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd); /* best effort: the file itself is already complete */
        close(dfd);
    }
    return QF_OK;
}

qf_rc qf_report_write_html(const char *path, const qf_report_input *in, qf_err *err)
{
    qf_rc rc = check_input(path, in, err);
    if (rc != QF_OK)
        return rc;
    qf_report_input copy = *in;
    if (copy.title == NULL)
        copy.title = "Backtest report";
    qf__report_data d;
    rc = derive(&copy, &d, err);
    char *tmp = NULL;
    FILE *f = NULL;
    if (rc == QF_OK)
        rc = open_temp(path, &tmp, &f, err);
    if (rc == QF_OK) {
        errno = 0;
        document(f, &d);
        rc = commit_temp(f, tmp, path, err);
    }
    free(tmp);
    release(&d);
    return rc;
}
