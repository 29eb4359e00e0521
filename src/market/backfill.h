/*
 * backfill.h - fetching closed candles from an exchange into the store: from
 * the last stored bar (or `since` when the store has nothing before it) up to
 * the venue's newest closed bar, one upsert transaction per page, then a gap
 * pass that refetches exactly the missing ranges.
 *
 * Idempotent and resumable: every page is committed before the next one is
 * asked for, so a run killed at any point leaves only complete, correct rows,
 * and the next run continues after the last stored bar. A gap the venue also
 * does not have (an exchange outage) is reported as real after one refetch in
 * that run, never looped on. The still-forming bar is never stored (the
 * adapter drops it).
 */
#ifndef QF_MARKET_BACKFILL_H
#define QF_MARKET_BACKFILL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "market/exchange.h"
#include "store/store.h"

#define QF_BACKFILL_NO_SINCE INT64_MIN

/* Progress: symbol i of n, and the share of its time range done, [0, 1]. */
typedef void (*qf_backfill_progress_fn)(void *ctx, const char *symbol, size_t i, size_t n,
                                        double fraction);

typedef struct qf_backfill_opts {
    const char *const *symbols; /* BASE/QUOTE */
    size_t n_symbols;
    const char *timeframe;     /* 1m 5m 15m 1h 4h 1d */
    int64_t since_ms;          /* UTC ms, or QF_BACKFILL_NO_SINCE (then a series with no stored
                                * bar starts at fallback_since_ms) */
    int64_t fallback_since_ms; /* start of a series with nothing stored and no since_ms
                                * (e.g. now - universe.lookback_days); 0: none, an error */
    bool no_repair;            /* report gaps without refetching them */
    qf_backfill_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    const volatile sig_atomic_t *stop; /* set: stop after the page in flight (QF_EINTR) */
} qf_backfill_opts;

typedef struct qf_backfill_stats {
    int64_t inserted, updated, unchanged;    /* rows, every symbol */
    int64_t requests;                        /* candle pages asked for */
    int64_t weight;                          /* request weight charged (Binance) */
    int64_t gaps_found;                      /* runs of missing bars in the fetched range */
    int64_t gaps_repaired;                   /* of those, filled completely by a refetch */
    int64_t gaps_real;                       /* of those, still missing: venue outages */
    int64_t bars_missing_real;               /* bars in the real gaps */
    int64_t first_open_time, last_open_time; /* stored range after the run, last symbol */
} qf_backfill_stats;

/* Backfills every symbol in turn. On error the pages already committed stay
 * (they are correct and complete); *out_stats (may be NULL) counts what was
 * done until then. QF_EINTR when stopped; adapter and store codes otherwise,
 * prefixed with the symbol. */
QF_NODISCARD qf_rc qf_backfill(qf_store *store, qf_exchange *ex, const qf_backfill_opts *opts,
                               qf_backfill_stats *out_stats, qf_err *err);

#endif
