/*
 * sentiment.c - the sentiment scorer (sentiment.h): parameters, the
 * per-event facts the filters need (prepared once), and the score as of a
 * time over the visible window.
 *
 * Every filter reduces to a comparison with the window's start, so a score
 * is one pass over the window: an event is a duplicate when its latest
 * earlier copy (same source, same normalised title, within the dedup
 * window) is still visible, i.e. published at or after t - staleness; it is
 * part of a burst when its latest earlier near-identical title (within the
 * burst window) is still visible. Both times are found once per event, in
 * qf_sentiment_scorer_new. The per-source cap counts, newest first, what is
 * left.
 */
#include "signal/sentiment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MS_PER_HOUR 3600000.0
#define NONE        INT64_MIN /* no earlier copy / near-identical title */

struct qf_sentiment_scorer {
    size_t n;           /* events */
    int64_t *time;      /* [n] published at, ascending */
    double *score;      /* [n] */
    double *conf;       /* [n] */
    uint32_t *src;      /* [n] source id */
    int64_t *dup_prev;  /* [n] time of the latest earlier copy in the dedup window, or NONE */
    int64_t *near_prev; /* [n] time of the latest earlier near-identical title, or NONE */
    size_t n_src;       /* distinct sources */
    double *cred;       /* [n_src] credibility */
    uint32_t *count;    /* [n_src] scratch of the cap, all 0 between calls */
    int64_t stale_ms;   /* staleness in ms */
    double half_life_h; /* hours */
    uint32_t cap;       /* max_events_per_source */
};

const char *qf_sentiment_status_name(qf_sentiment_status s)
{
    static const char *const names[] = {"future", "stale",  "duplicate",
                                        "burst",  "capped", "counted"};
    if ((unsigned)s >= sizeof names / sizeof names[0])
        return "unknown";
    return names[s];
}

/* ---- parameters ------------------------------------------------------------ */

static qf_rc parse_source_weight(const char *entry, qf_sentiment_source_weight *out, qf_err *err)
{
    const char *eq = strchr(entry, '=');
    size_t len = eq != NULL ? (size_t)(eq - entry) : 0;
    if (eq == NULL || len == 0 || len > QF_SENTIMENT_SOURCE_MAX)
        return qf_err_set(err, QF_EINVAL,
                          "sentiment.source_weights: '%s' is not name=weight with a name of "
                          "1..%d bytes",
                          entry, QF_SENTIMENT_SOURCE_MAX);
    char *end = NULL;
    double w = strtod(eq + 1, &end);
    if (end == eq + 1 || *end != '\0' || !(w >= 0 && w <= 1))
        return qf_err_set(err, QF_EINVAL, "sentiment.source_weights: '%s' needs a weight in [0, 1]",
                          entry);
    memcpy(out->name, entry, len);
    out->name[len] = '\0';
    out->weight = w;
    return QF_OK;
}

qf_rc qf_sentiment_params_from_config(const qf_config_sentiment *cfg, qf_sentiment_params *out,
                                      qf_err *err)
{
    memset(out, 0, sizeof *out);
    out->half_life_hours = cfg->decay_halflife_hours;
    out->staleness_hours = cfg->staleness_hours;
    out->dedup_window_hours = cfg->dedup_window_hours;
    out->max_events_per_source = cfg->max_events_per_source;
    out->burst_window_hours = cfg->burst_window_hours;
    out->burst_similarity = cfg->burst_similarity;
    out->unknown_source_weight = cfg->unknown_source_weight;
    if (cfg->n_source_weights > QF_SENTIMENT_SOURCES_MAX)
        return qf_err_set(err, QF_EINVAL, "sentiment.source_weights: more than %d entries",
                          QF_SENTIMENT_SOURCES_MAX);
    for (size_t i = 0; i < cfg->n_source_weights; i++) {
        qf_rc rc = parse_source_weight(cfg->source_weights[i], &out->sources[i], err);
        if (rc != QF_OK)
            return rc;
    }
    out->n_sources = cfg->n_source_weights;
    return qf_sentiment_params_check(out, err);
}

static int in01(double x)
{
    return x >= 0.0 && x <= 1.0;
}

static qf_rc check_sources(const qf_sentiment_params *p, qf_err *err)
{
    if (p->n_sources > QF_SENTIMENT_SOURCES_MAX)
        return qf_err_set(err, QF_EINVAL, "sentiment: more than %d source weights",
                          QF_SENTIMENT_SOURCES_MAX);
    for (size_t i = 0; i < p->n_sources; i++) {
        const qf_sentiment_source_weight *s = &p->sources[i];
        if (s->name[0] == '\0' || memchr(s->name, '\0', sizeof s->name) == NULL)
            return qf_err_set(err, QF_EINVAL, "sentiment: source weight %zu has no name", i);
        if (!in01(s->weight))
            return qf_err_set(err, QF_EINVAL, "sentiment: weight of source %s must be in [0, 1]",
                              s->name);
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(p->sources[j].name, s->name) == 0)
                return qf_err_set(err, QF_EINVAL, "sentiment: source %s has two weights", s->name);
    }
    return QF_OK;
}

qf_rc qf_sentiment_params_check(const qf_sentiment_params *p, qf_err *err)
{
    if (p == NULL)
        return qf_err_set(err, QF_EINVAL, "sentiment: no parameters");
    if (!(p->half_life_hours > 0) || !isfinite(p->half_life_hours))
        return qf_err_set(err, QF_EINVAL, "sentiment: decay half-life must be > 0 hours");
    if (!(p->staleness_hours > 0) || !isfinite(p->staleness_hours))
        return qf_err_set(err, QF_EINVAL, "sentiment: staleness must be > 0 hours");
    if (!(p->dedup_window_hours >= 0) || !isfinite(p->dedup_window_hours))
        return qf_err_set(err, QF_EINVAL, "sentiment: dedup window must be >= 0 hours");
    if (p->max_events_per_source < 1)
        return qf_err_set(err, QF_EINVAL, "sentiment: max_events_per_source must be >= 1");
    if (!(p->burst_window_hours >= 0) || !isfinite(p->burst_window_hours))
        return qf_err_set(err, QF_EINVAL, "sentiment: burst window must be >= 0 hours");
    if (!(p->burst_similarity > 0 && p->burst_similarity <= 1))
        return qf_err_set(err, QF_EINVAL, "sentiment: burst similarity must be in (0, 1]");
    if (!in01(p->unknown_source_weight))
        return qf_err_set(err, QF_EINVAL, "sentiment: unknown_source_weight must be in [0, 1]");
    return check_sources(p, err);
}

double qf_sentiment_credibility(const qf_sentiment_params *p, const char *source)
{
    for (size_t i = 0; i < p->n_sources && i < QF_SENTIMENT_SOURCES_MAX; i++)
        if (strcasecmp(p->sources[i].name, source) == 0)
            return p->sources[i].weight;
    return p->unknown_source_weight;
}

/* Hours to ms, saturating far beyond any real span (so t - span cannot
 * overflow after saturate_sub). */
static int64_t hours_to_ms(double hours)
{
    double ms = hours * MS_PER_HOUR;
    if (ms >= 4e18)
        return INT64_C(4000000000000000000);
    return (int64_t)llround(ms);
}

static int64_t saturate_sub(int64_t t, int64_t d)
{
    return t < INT64_MIN + d ? INT64_MIN : t - d;
}

/* ---- preparing ------------------------------------------------------------- */

static uint64_t fnv_byte(uint64_t h, unsigned char c)
{
    return (h ^ c) * UINT64_C(1099511628211);
}

#define FNV_OFFSET UINT64_C(14695981039346656037)

static uint64_t lower_hash(const char *s)
{
    uint64_t h = FNV_OFFSET;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        h = fnv_byte(h, (unsigned char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
    }
    return h;
}

typedef struct keyed {
    uint64_t a;       /* primary key */
    uint64_t b;       /* secondary key */
    uint32_t idx;     /* event index (ascending time) */
    const char *text; /* source name, for exact comparison of equal hashes */
} keyed;

static int cmp_keyed(const void *pa, const void *pb)
{
    const keyed *x = pa;
    const keyed *y = pb;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    if (x->text != NULL && y->text != NULL) {
        int c = strcasecmp(x->text, y->text);
        if (c != 0)
            return c;
    }
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static int same_source(const keyed *x, const keyed *y)
{
    return x->a == y->a && strcasecmp(x->text, y->text) == 0;
}

/* Source ids (dense, from 0) and their credibility. k: n scratch entries. */
static qf_rc assign_sources(qf_sentiment_scorer *s, const qf_sentiment_params *p,
                            const qf_sentiment_event *ev, keyed *k, qf_err *err)
{
    for (size_t i = 0; i < s->n; i++)
        k[i] = (keyed){lower_hash(ev[i].source), 0, (uint32_t)i, ev[i].source};
    qsort(k, s->n, sizeof *k, cmp_keyed);
    size_t ids = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (i == 0 || !same_source(&k[i - 1], &k[i]))
            ids++;
        s->src[k[i].idx] = (uint32_t)(ids - 1);
    }
    s->n_src = ids;
    s->cred = malloc((ids > 0 ? ids : 1) * sizeof *s->cred);
    s->count = calloc(ids > 0 ? ids : 1, sizeof *s->count);
    if (s->cred == NULL || s->count == NULL)
        return qf_err_set(err, QF_ENOMEM, "sentiment: out of memory for %zu sources", ids);
    for (size_t i = 0; i < s->n; i++)
        s->cred[s->src[k[i].idx]] = qf_sentiment_credibility(p, k[i].text);
    return QF_OK;
}

/* Title words: for event i, words[off[i] .. off[i + 1]) hold the sorted,
 * distinct hashes of its first QF_SENTIMENT_WORDS_MAX words. */
typedef struct title_words {
    uint64_t *words;
    size_t *off;
    uint64_t *title_hash; /* [n] hash of the whole normalised title */
} title_words;

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t x = *(const uint64_t *)pa;
    uint64_t y = *(const uint64_t *)pb;
    return (x > y) - (x < y);
}

/* Hashes the words of a normalised title into out (room for
 * QF_SENTIMENT_WORDS_MAX; NULL to count only); returns how many. */
static size_t hash_words(const char *norm, uint64_t *out)
{
    size_t n = 0;
    const char *p = norm;
    while (*p != '\0' && n < QF_SENTIMENT_WORDS_MAX) {
        uint64_t h = FNV_OFFSET;
        for (; *p != '\0' && *p != ' '; p++)
            h = fnv_byte(h, (unsigned char)*p);
        if (out != NULL)
            out[n] = h;
        n++;
        if (*p == ' ')
            p++;
    }
    return n;
}

static uint64_t text_hash(const char *s)
{
    uint64_t h = FNV_OFFSET;
    for (; *s != '\0'; s++)
        h = fnv_byte(h, (unsigned char)*s);
    return h;
}

static qf_rc build_words(const qf_sentiment_event *ev, size_t n, title_words *tw, qf_err *err)
{
    char norm[QF_SENTIMENT_TITLE_MAX + 1];
    tw->off = malloc((n + 1) * sizeof *tw->off);
    tw->title_hash = malloc((n > 0 ? n : 1) * sizeof *tw->title_hash);
    if (tw->off == NULL || tw->title_hash == NULL)
        return qf_err_set(err, QF_ENOMEM, "sentiment: out of memory for %zu titles", n);
    tw->off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        qf_sentiment_normalize_title(ev[i].title, norm, sizeof norm);
        tw->title_hash[i] = text_hash(norm);
        tw->off[i + 1] = tw->off[i] + hash_words(norm, NULL);
    }
    tw->words = malloc((tw->off[n] > 0 ? tw->off[n] : 1) * sizeof *tw->words);
    if (tw->words == NULL)
        return qf_err_set(err, QF_ENOMEM, "sentiment: out of memory for %zu title words",
                          tw->off[n]);
    for (size_t i = 0; i < n; i++) {
        qf_sentiment_normalize_title(ev[i].title, norm, sizeof norm);
        uint64_t *w = tw->words + tw->off[i];
        size_t m = hash_words(norm, w);
        qsort(w, m, sizeof *w, cmp_u64);
    }
    return QF_OK;
}

/* Distinct elements of a sorted run. */
static size_t distinct(const uint64_t *a, size_t n)
{
    size_t d = n > 0;
    for (size_t i = 1; i < n; i++)
        d += a[i] != a[i - 1];
    return d;
}

/* Jaccard similarity of two sorted word runs (as sets) >= threshold. Two
 * titles without words are not similar. */
static int similar(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, double threshold)
{
    size_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (b[j] < a[i]) {
            j++;
        } else {
            uint64_t v = a[i];
            inter++;
            while (i < na && a[i] == v)
                i++;
            while (j < nb && b[j] == v)
                j++;
        }
    }
    size_t uni = distinct(a, na) + distinct(b, nb) - inter;
    return uni > 0 && (double)inter >= threshold * (double)uni;
}

/* dup_prev: the previous event of the same source and title, when within
 * the dedup window. k: n scratch entries. */
static void find_duplicates(qf_sentiment_scorer *s, const title_words *tw, int64_t window, keyed *k)
{
    for (size_t i = 0; i < s->n; i++) {
        k[i] = (keyed){s->src[i], tw->title_hash[i], (uint32_t)i, NULL};
        s->dup_prev[i] = NONE;
    }
    qsort(k, s->n, sizeof *k, cmp_keyed);
    for (size_t i = 1; i < s->n; i++) {
        if (k[i].a != k[i - 1].a || k[i].b != k[i - 1].b)
            continue;
        int64_t prev = s->time[k[i - 1].idx];
        if (s->time[k[i].idx] - prev <= window)
            s->dup_prev[k[i].idx] = prev;
    }
}

/* near_prev: the latest earlier event (of the last QF_SENTIMENT_BURST_SCAN)
 * within the burst window whose title is near-identical. */
static void find_bursts(qf_sentiment_scorer *s, const title_words *tw, int64_t window,
                        double threshold)
{
    for (size_t i = 0; i < s->n; i++) {
        s->near_prev[i] = NONE;
        const uint64_t *wi = tw->words + tw->off[i];
        size_t ni = tw->off[i + 1] - tw->off[i];
        size_t floor = i > QF_SENTIMENT_BURST_SCAN ? i - QF_SENTIMENT_BURST_SCAN : 0;
        for (size_t j = i; j-- > floor;) {
            if (s->time[i] - s->time[j] > window)
                break;
            if (similar(wi, ni, tw->words + tw->off[j], tw->off[j + 1] - tw->off[j], threshold)) {
                s->near_prev[i] = s->time[j];
                break;
            }
        }
    }
}

static qf_rc check_events(const qf_sentiment_event *ev, size_t n, qf_err *err)
{
    if (n > 0 && ev == NULL)
        return qf_err_set(err, QF_EINVAL, "sentiment: %zu events but no array", n);
    if (n > UINT32_MAX)
        return qf_err_set(err, QF_EINVAL, "sentiment: too many events (%zu)", n);
    for (size_t i = 0; i < n; i++) {
        if (qf_sentiment_event_check(&ev[i], err) != QF_OK)
            return qf_err_prefix(err, "sentiment: event %zu", i);
        if (i > 0 && ev[i].time < ev[i - 1].time)
            return qf_err_set(err, QF_EINVAL,
                              "sentiment: event %zu is older than event %zu (events must be "
                              "sorted by time)",
                              i, i - 1);
    }
    return QF_OK;
}

void qf_sentiment_scorer_free(qf_sentiment_scorer *s)
{
    if (s == NULL)
        return;
    free(s->time);
    free(s->score);
    free(s->conf);
    free(s->src);
    free(s->dup_prev);
    free(s->near_prev);
    free(s->cred);
    free(s->count);
    free(s);
}

static qf_rc alloc_arrays(qf_sentiment_scorer *s, qf_err *err)
{
    size_t m = s->n > 0 ? s->n : 1;
    s->time = malloc(m * sizeof *s->time);
    s->score = malloc(m * sizeof *s->score);
    s->conf = malloc(m * sizeof *s->conf);
    s->src = malloc(m * sizeof *s->src);
    s->dup_prev = malloc(m * sizeof *s->dup_prev);
    s->near_prev = malloc(m * sizeof *s->near_prev);
    if (s->time == NULL || s->score == NULL || s->conf == NULL || s->src == NULL ||
        s->dup_prev == NULL || s->near_prev == NULL)
        return qf_err_set(err, QF_ENOMEM, "sentiment: out of memory for %zu events", s->n);
    return QF_OK;
}

static qf_rc prepare(qf_sentiment_scorer *s, const qf_sentiment_params *p,
                     const qf_sentiment_event *ev, qf_err *err)
{
    qf_rc rc = alloc_arrays(s, err);
    if (rc != QF_OK)
        return rc;
    for (size_t i = 0; i < s->n; i++) {
        s->time[i] = ev[i].time;
        s->score[i] = ev[i].score;
        s->conf[i] = ev[i].confidence;
    }
    keyed *k = malloc((s->n > 0 ? s->n : 1) * sizeof *k);
    title_words tw = {NULL, NULL, NULL};
    if (k == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "sentiment: out of memory for %zu events", s->n);
    if (rc == QF_OK)
        rc = assign_sources(s, p, ev, k, err);
    if (rc == QF_OK)
        rc = build_words(ev, s->n, &tw, err);
    if (rc == QF_OK) {
        find_duplicates(s, &tw, hours_to_ms(p->dedup_window_hours), k);
        find_bursts(s, &tw, hours_to_ms(p->burst_window_hours), p->burst_similarity);
    }
    free(k);
    free(tw.words);
    free(tw.off);
    free(tw.title_hash);
    return rc;
}

qf_rc qf_sentiment_scorer_new(const qf_sentiment_params *p, const qf_sentiment_event *events,
                              size_t n, qf_sentiment_scorer **out_scorer, qf_err *err)
{
    qf_err_clear(err);
    if (out_scorer == NULL)
        return qf_err_set(err, QF_EINVAL, "sentiment: no output scorer");
    qf_rc rc = qf_sentiment_params_check(p, err);
    if (rc == QF_OK)
        rc = check_events(events, n, err);
    if (rc != QF_OK)
        return rc;
    qf_sentiment_scorer *s = calloc(1, sizeof *s);
    if (s == NULL)
        return qf_err_set(err, QF_ENOMEM, "sentiment: out of memory");
    s->n = n;
    s->stale_ms = hours_to_ms(p->staleness_hours);
    s->half_life_h = p->half_life_hours;
    s->cap = (uint32_t)p->max_events_per_source;
    rc = prepare(s, p, events, err);
    if (rc != QF_OK) {
        qf_sentiment_scorer_free(s);
        return rc;
    }
    *out_scorer = s;
    return QF_OK;
}

/* ---- scoring ----------------------------------------------------------------- */

/* First index in t[0..n) with t[i] > v (upper) or t[i] >= v (lower). */
static size_t bound(const int64_t *t, size_t n, int64_t v, int upper)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (upper ? t[mid] <= v : t[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static qf_sentiment_status classify(qf_sentiment_scorer *s, size_t k, int64_t start)
{
    if (s->dup_prev[k] != NONE && s->dup_prev[k] >= start)
        return QF_SENTIMENT_DUPLICATE;
    if (s->near_prev[k] != NONE && s->near_prev[k] >= start)
        return QF_SENTIMENT_BURST;
    if (++s->count[s->src[k]] > s->cap)
        return QF_SENTIMENT_CAPPED;
    return QF_SENTIMENT_COUNTED;
}

void qf_sentiment_scorer_explain(qf_sentiment_scorer *s, int64_t t, qf_sentiment_result *out,
                                 qf_sentiment_status *out_status, double *out_weight)
{
    int64_t start = saturate_sub(t, s->stale_ms);
    size_t hi = bound(s->time, s->n, t, 1);
    size_t lo = bound(s->time, hi, start, 0);
    memset(out, 0, sizeof *out);
    out->stale = lo;
    out->visible = hi - lo;
    for (size_t k = 0; k < s->n && (out_status != NULL || out_weight != NULL); k++) {
        if (out_status != NULL && (k < lo || k >= hi))
            out_status[k] = k < lo ? QF_SENTIMENT_STALE : QF_SENTIMENT_FUTURE;
        if (out_weight != NULL)
            out_weight[k] = 0;
    }
    double sum_w = 0, sum_ws = 0;
    for (size_t k = hi; k-- > lo;) { /* newest first: the cap keeps the most recent */
        qf_sentiment_status st = classify(s, k, start);
        if (st == QF_SENTIMENT_COUNTED) {
            double age_h = (double)(t - s->time[k]) / MS_PER_HOUR;
            double w = s->conf[k] * s->cred[s->src[k]] * exp2(-age_h / s->half_life_h);
            sum_w += w;
            sum_ws += w * s->score[k];
            out->counted++;
            if (out_weight != NULL)
                out_weight[k] = w;
        }
        out->duplicates += st == QF_SENTIMENT_DUPLICATE;
        out->bursts += st == QF_SENTIMENT_BURST;
        out->capped += st == QF_SENTIMENT_CAPPED;
        if (out_status != NULL)
            out_status[k] = st;
    }
    for (size_t k = lo; k < hi; k++)
        s->count[s->src[k]] = 0;
    out->weight = sum_w;
    if (sum_w > 0) {
        double m = sum_ws / sum_w;
        out->score = m < -1 ? -1 : m > 1 ? 1 : m;
    }
}

void qf_sentiment_scorer_score(qf_sentiment_scorer *s, int64_t t, qf_sentiment_result *out)
{
    qf_sentiment_scorer_explain(s, t, out, NULL, NULL);
}

void qf_sentiment_scorer_series(qf_sentiment_scorer *s, const int64_t *times, size_t m,
                                double *out_score, size_t *out_counted)
{
    for (size_t i = 0; i < m; i++) {
        qf_sentiment_result r;
        qf_sentiment_scorer_explain(s, times[i], &r, NULL, NULL);
        out_score[i] = r.score;
        if (out_counted != NULL)
            out_counted[i] = r.counted;
    }
}

qf_rc qf_sentiment_score_at(const qf_sentiment_params *p, const qf_sentiment_event *events,
                            size_t n, int64_t t, qf_sentiment_result *out, qf_err *err)
{
    qf_err_clear(err);
    if (out == NULL || (n > 0 && events == NULL))
        return qf_err_set(err, QF_EINVAL, "sentiment: no events or no output");
    qf_rc rc = qf_sentiment_params_check(p, err);
    if (rc != QF_OK)
        return rc;
    /* The window [t - staleness, t] by binary search over the times. */
    int64_t start = saturate_sub(t, hours_to_ms(p->staleness_hours));
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (events[mid].time < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t first = lo;
    hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (events[mid].time <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    qf_sentiment_scorer *s = NULL;
    rc = qf_sentiment_scorer_new(p, lo > first ? events + first : NULL, lo - first, &s, err);
    if (rc != QF_OK)
        return rc;
    qf_sentiment_scorer_score(s, t, out);
    out->stale = first;
    qf_sentiment_scorer_free(s);
    return QF_OK;
}
