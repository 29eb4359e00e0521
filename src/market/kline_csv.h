/*
 * kline_csv.h - parsing Binance kline CSV text into candles.
 *
 * Two layouts are understood:
 * - QuantFlow/bundled: a header line naming the columns (open_time, open,
 *   high, low, close, volume, then optional close_time, quote_volume,
 *   trades|count, taker_buy_base|taker_buy_volume, taker_buy_quote|
 *   taker_buy_quote_volume, ignore); columns are matched by name.
 * - Binance public data dumps: no header, 12 columns in Binance's order
 *   (open_time, o, h, l, c, volume, close_time, quote_volume, trades,
 *   taker_buy_base, taker_buy_quote, ignore).
 * Timestamps are epoch milliseconds, or microseconds (Binance's dumps since
 * 2025), told apart per row by magnitude (>= 1e14 is microseconds).
 *
 * Everything here is pure: no I/O, no allocation. The fuzz target drives
 * qf_kline_csv_parse_header and qf_kline_csv_parse_row directly.
 */
#ifndef QF_MARKET_KLINE_CSV_H
#define QF_MARKET_KLINE_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/types.h"

#define QF_KLINE_MAX_COLS 16

typedef enum {
    QF_KCOL_IGNORE = 0,
    QF_KCOL_OPEN_TIME,
    QF_KCOL_OPEN,
    QF_KCOL_HIGH,
    QF_KCOL_LOW,
    QF_KCOL_CLOSE,
    QF_KCOL_VOLUME,
    QF_KCOL_CLOSE_TIME,
    QF_KCOL_QUOTE_VOLUME,
    QF_KCOL_TRADES,
    QF_KCOL_TAKER_BUY_BASE,
    QF_KCOL_TAKER_BUY_QUOTE
} qf_kline_col;

/* Column layout of one file. */
typedef struct qf_kline_layout {
    int has_header;                       /* 1 if line 1 is a header */
    size_t n_cols;                        /* exact column count of every data row */
    qf_kline_col cols[QF_KLINE_MAX_COLS]; /* meaning of each column */
} qf_kline_layout;

/* Decides the layout from the first line (without its newline): a header
 * (matched by column names) or a headerless 12-column Binance dump row.
 * Fails with QF_EPARSE naming the problem (missing required column,
 * duplicate column, unknown layout). */
QF_NODISCARD qf_rc qf_kline_csv_layout(const char *line, size_t len, qf_kline_layout *out_layout,
                                       qf_err *err);

/* Parses one data row (without its newline; a trailing '\r' is tolerated)
 * into *out_candle. Timestamps in microseconds are converted to ms. Checks
 * numbers only (parseable, finite, exact column count), not bar consistency.
 * On failure *out_candle is unspecified and err names the column. */
QF_NODISCARD qf_rc qf_kline_csv_parse_row(const char *line, size_t len,
                                          const qf_kline_layout *layout, qf_candle *out_candle,
                                          int64_t *out_close_time, qf_err *err);

/* Bar consistency: prices > 0, low <= min(open, close), high >= max(open,
 * close), volume >= 0, open_time aligned to tf_ms, and close_time (if not
 * INT64_MIN) == open_time + tf_ms - 1. */
QF_NODISCARD qf_rc qf_kline_check(const qf_candle *c, int64_t close_time, int64_t tf_ms,
                                  qf_err *err);

#endif
