/*
 * orderbook.h - order-book features: bid/ask imbalance and depth ratio of a
 * snapshot, and their as-of alignment to bars. Pure kernels over snapshots
 * the caller holds (no I/O, no allocation). The snapshot types and their
 * check are in core/book.h.
 *
 * A snapshot's bids and asks are arrays of {price, qty}, best first: bids in
 * strictly falling price, asks in strictly rising price. Prices are in the
 * quote asset, quantities in the base asset, times UTC ms.
 *
 * Features of snapshot s:
 *   imbalance(s, L) = (sum bid qty - sum ask qty) / (sum bid qty + sum ask qty)
 *                     over the top L levels of each side (fewer when a side
 *                     has fewer); in [-1, 1], positive when bids outweigh asks.
 *   depth_ratio(s)  = sum bid qty / sum ask qty over the top 5 levels of each
 *                     side (fewer when a side has fewer).
 * Both are NaN when either side is empty (a one-sided book has no spread to
 * speak of), imbalance when both sums are 0, depth_ratio when the ask sum is 0.
 *
 * The imbalance defaults to L = 1 (QF_BOOK_IMBALANCE_LEVELS), the best bid
 * against the best ask: the table's best_bid_qty and best_ask_qty alone give
 * it, and the deeper information is the depth ratio's. With L = 5 the two
 * features would carry the same information: imbalance = (r - 1) / (r + 1)
 * for depth ratio r, a monotone function of it.
 *
 * Alignment (no lookahead): bar t covers [open_time, open_time + bar_ms) and
 * decisions are taken at its close, open_time + bar_ms. Bar t gets the latest
 * snapshot with close - max_age_ms <= time <= close; none gives NaN. A
 * snapshot exactly at the close is used, one 1 ms later belongs to the next
 * bar, and one older than max_age_ms (one bar in `quantflow features`) is
 * stale. So the features at bar t use only snapshots taken by the close of t,
 * and adding later snapshots never changes them.
 */
#ifndef QF_FEATURES_ORDERBOOK_H
#define QF_FEATURES_ORDERBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "core/book.h"
#include "core/err.h"

#define QF_BOOK_IMBALANCE_LEVELS 1 /* default L of the imbalance; see above */
#define QF_BOOK_DEPTH_LEVELS     5 /* levels per side in the depth ratio */
/* qf_book_asof's mark for a bar without a usable snapshot. */
#define QF_BOOK_NONE SIZE_MAX

/* *out = imbalance over the top `levels` levels (1..QF_BOOK_LEVELS_MAX) of
 * each side, NaN as described above. QF_EINVAL for a bad snapshot (see
 * qf_book_check) or level count; *out is then untouched. */
QF_NODISCARD qf_rc qf_book_imbalance(const qf_book *b, int levels, double *out, qf_err *err);

/* *out = depth ratio over the top QF_BOOK_DEPTH_LEVELS levels of each side.
 * QF_EINVAL for a bad snapshot; *out is then untouched. */
QF_NODISCARD qf_rc qf_book_depth_ratio(const qf_book *b, double *out, qf_err *err);

/* For each of n_bars bars (open_time strictly rising, bar_ms > 0) writes to
 * out_idx[t] the index in books (n_books snapshots, time strictly rising) of
 * the snapshot bar t uses, or QF_BOOK_NONE (see Alignment above; max_age_ms
 * >= 0). Snapshots are not inspected beyond their times. One pass, O(n_bars +
 * n_books). QF_EINVAL for unsorted times or bad arguments; out_idx is then
 * unspecified. */
QF_NODISCARD qf_rc qf_book_asof(const int64_t *open_time, size_t n_bars, int64_t bar_ms,
                                const qf_book *books, size_t n_books, int64_t max_age_ms,
                                size_t *out_idx, qf_err *err);

/* The two features per bar: imbalance[t] over the top `levels` levels and
 * depth_ratio[t] of the snapshot qf_book_asof picks for bar t, NaN where it
 * picks none. Every snapshot is checked (qf_book_check), used or not, so bad
 * data is found wherever it sits; QF_EINVAL names the snapshot. Either
 * output may be NULL. Allocates nothing; outputs are unspecified on failure. */
QF_NODISCARD qf_rc qf_book_features(const int64_t *open_time, size_t n_bars, int64_t bar_ms,
                                    const qf_book *books, size_t n_books, int64_t max_age_ms,
                                    int levels, double *imbalance, double *depth_ratio,
                                    qf_err *err);

#endif
