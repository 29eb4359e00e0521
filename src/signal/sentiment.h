/*
 * sentiment.h - the news sentiment score of one market as of a time t: a
 * weighted mean of event scores behind anti-manipulation filters
 * (sentiment.* in the configuration).
 *
 * The score as of t sees only events published at or before t (a later
 * event is invisible: no lookahead) and no older than staleness_hours
 * (t - time <= staleness). Over those visible events, in this order:
 *
 * 1. Duplicates. An event whose source (case-insensitive) published the
 *    same normalised title (qf_sentiment_normalize_title) at most
 *    dedup_window_hours earlier, in an event that is still visible, is a
 *    duplicate: only the first of a run of repeats counts, and a repeat
 *    counts again once the gap to the previous copy exceeds the window.
 * 2. Bursts. An event whose title is near-identical to that of a visible
 *    event (any source) published at most burst_window_hours earlier is part
 *    of that burst: a burst of copies across sources counts once, as its
 *    first event. Near-identical: the Jaccard similarity of the two titles'
 *    word sets (words of the normalised title; the first 64 distinct words)
 *    is at least burst_similarity. Each event is compared with the latest
 *    512 events of the window before it.
 * 3. Per-source cap. Of what is left, at most max_events_per_source most
 *    recent events per source count; older ones are dropped.
 *
 * Each counted event weighs confidence * credibility * 0.5^(age /
 * half_life), age = t - time in hours, credibility its source's weight from
 * source_weights (matched case-insensitively) or unknown_source_weight. The
 * score is sum(weight * score) / sum(weight), in [-1, 1]; 0 (neutral) when
 * nothing counts or every weight is 0.
 *
 * The filters look only at visible events, so the score as of t is a
 * function of the events in [t - staleness, t]: computing it on any prefix
 * or window of the series that holds them gives the same value.
 *
 * Events are given sorted by time (ascending, ties in any order; the array
 * order breaks ties), already selected for the market (the store query does
 * that: the symbol's events plus the market-wide ones).
 *
 * A qf_sentiment_scorer holds what the filters need per event (source id,
 * the time of an earlier copy and of an earlier near-identical title),
 * computed once by qf_sentiment_scorer_new in O(n log n + n * burst
 * neighbours); each score then costs O(log n + events in the window), with
 * no allocation. These are pure functions: no globals, no I/O; the only
 * allocations are those named below.
 */
#ifndef QF_SIGNAL_SENTIMENT_H
#define QF_SIGNAL_SENTIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "signal/sentiment_event.h"

#define QF_SENTIMENT_SOURCES_MAX 32  /* credibility weights a scorer holds */
#define QF_SENTIMENT_WORDS_MAX   64  /* distinct title words compared for bursts */
#define QF_SENTIMENT_BURST_SCAN  512 /* earlier events compared for a burst */

typedef struct qf_sentiment_source_weight {
    char name[QF_SENTIMENT_SOURCE_MAX + 1]; /* matched case-insensitively */
    double weight;                          /* credibility, [0, 1] */
} qf_sentiment_source_weight;

typedef struct qf_sentiment_params {
    double half_life_hours;       /* decay half-life, > 0 */
    double staleness_hours;       /* older events are not visible, > 0 */
    double dedup_window_hours;    /* same source and title within it count once, >= 0 */
    int max_events_per_source;    /* most recent events counted per source, >= 1 */
    double burst_window_hours;    /* near-identical titles within it count once, >= 0 */
    double burst_similarity;      /* Jaccard threshold of title words, (0, 1] */
    double unknown_source_weight; /* credibility of unlisted sources, [0, 1] */
    qf_sentiment_source_weight sources[QF_SENTIMENT_SOURCES_MAX];
    size_t n_sources;
} qf_sentiment_params;

/* The score as of one time and what the filters did. */
typedef struct qf_sentiment_result {
    double score;      /* weighted mean, [-1, 1]; 0 when nothing counts */
    double weight;     /* sum of the counted events' weights */
    size_t visible;    /* events published in [t - staleness, t] */
    size_t stale;      /* events published before t - staleness */
    size_t duplicates; /* visible events dropped as same-source repeats */
    size_t bursts;     /* visible events dropped as part of a burst */
    size_t capped;     /* visible events dropped by the per-source cap */
    size_t counted;    /* events in the mean: visible - duplicates - bursts - capped */
} qf_sentiment_result;

/* What happened to one event as of a time (qf_sentiment_scorer_explain). */
typedef enum qf_sentiment_status {
    QF_SENTIMENT_FUTURE = 0, /* published after t: invisible */
    QF_SENTIMENT_STALE,      /* older than staleness_hours */
    QF_SENTIMENT_DUPLICATE,  /* same source and title shortly before */
    QF_SENTIMENT_BURST,      /* near-identical title shortly before */
    QF_SENTIMENT_CAPPED,     /* over max_events_per_source */
    QF_SENTIMENT_COUNTED     /* in the mean */
} qf_sentiment_status;

/* "future", "stale", "duplicate", "burst", "capped", "counted". */
const char *qf_sentiment_status_name(qf_sentiment_status s);

/* Parameters from the sentiment section: the decay, window and filter keys,
 * and source_weights parsed from its "name=weight" entries. QF_EINVAL when
 * an entry does not parse or a name appears twice (case-insensitively);
 * *out is then unspecified. */
QF_NODISCARD qf_rc qf_sentiment_params_from_config(const qf_config_sentiment *cfg,
                                                   qf_sentiment_params *out, qf_err *err);

/* QF_EINVAL naming the first bad field (ranges above; source names
 * non-empty, NUL-terminated and distinct). */
QF_NODISCARD qf_rc qf_sentiment_params_check(const qf_sentiment_params *p, qf_err *err);

/* A source's credibility: its weight in p->sources, else
 * unknown_source_weight. */
double qf_sentiment_credibility(const qf_sentiment_params *p, const char *source);

typedef struct qf_sentiment_scorer qf_sentiment_scorer;

/* Prepares n events (sorted by time, each passing qf_sentiment_event_check)
 * for scoring under p. The scorer copies what it needs: events may be freed
 * afterwards. Allocates the scorer (O(n) memory) and, while preparing,
 * scratch for the title words. QF_EINVAL for bad parameters or events
 * (naming the index), QF_ENOMEM; *out_scorer is set only on success. n == 0
 * is fine (every score is 0). */
QF_NODISCARD qf_rc qf_sentiment_scorer_new(const qf_sentiment_params *p,
                                           const qf_sentiment_event *events, size_t n,
                                           qf_sentiment_scorer **out_scorer, qf_err *err);

/* Frees a scorer; NULL does nothing. */
void qf_sentiment_scorer_free(qf_sentiment_scorer *s);

/* The score as of t (any time; no allocation). */
void qf_sentiment_scorer_score(qf_sentiment_scorer *s, int64_t t, qf_sentiment_result *out);

/* The score as of each of times[0..m) (e.g. every bar's close, in any
 * order) into out_score[i], and the events counted into out_counted[i]
 * (may be NULL). The same values as m calls of qf_sentiment_scorer_score. */
void qf_sentiment_scorer_series(qf_sentiment_scorer *s, const int64_t *times, size_t m,
                                double *out_score, size_t *out_counted);

/* As qf_sentiment_scorer_score, and for each of the n events its status as
 * of t in out_status[i] and its weight in out_weight[i] (0 unless counted).
 * Either array may be NULL. */
void qf_sentiment_scorer_explain(qf_sentiment_scorer *s, int64_t t, qf_sentiment_result *out,
                                 qf_sentiment_status *out_status, double *out_weight);

/* The score as of t from n events sorted by time: prepares a scorer over
 * the visible window only, scores, and frees it (so it allocates and frees
 * O(events in the window) inside the call). Errors as qf_sentiment_scorer_new.
 * For many times use a scorer. */
QF_NODISCARD qf_rc qf_sentiment_score_at(const qf_sentiment_params *p,
                                         const qf_sentiment_event *events, size_t n, int64_t t,
                                         qf_sentiment_result *out, qf_err *err);

#endif
