/*
 * backfill.c - exchange candles into the store, page by page, then the gap
 * pass (backfill.h).
 */
#include "market/backfill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "core/time.h"
#include "market/exchange_int.h"

/* One series being filled. */
typedef struct run {
    qf_store *store;
    qf_exchange *ex;
    const qf_backfill_opts *o;
    qf_series_key key;
    qf_timeframe tf;
    size_t index;     /* symbol number, for progress */
    int64_t from, to; /* progress range */
    qf_backfill_stats *st;
} run;

static void report(const run *r, int64_t at)
{
    if (r->o->progress == NULL)
        return;
    double f = r->to > r->from ? (double)(at - r->from) / (double)(r->to - r->from) : 1.0;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    r->o->progress(r->o->progress_ctx, r->key.symbol, r->index, r->o->n_symbols, f);
}

/* Keeps rows with open_time < end. */
static void trim_before(qf_candles *c, int64_t end)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].open_time < end)
            c->v[k++] = c->v[i];
    c->n = k;
}

/* Pages [start, end) (end = INT64_MAX: up to the newest closed bar) into the
 * store, one transaction per page. */
static qf_rc fetch_range(run *r, int64_t start, int64_t end, qf_err *err)
{
    qf_candles page;
    qf_candles_init(&page);
    qf_rc rc = QF_OK;
    for (;;) {
        if (r->o->stop != NULL && *r->o->stop) {
            rc = qf_err_set(err, QF_EINTR, "interrupted");
            break;
        }
        int64_t next = start;
        bool done = true;
        rc = qf_exchange_candles_page(r->ex, r->key.symbol, r->tf.name, start, &page, &next, &done,
                                      err);
        if (rc != QF_OK)
            break;
        r->st->requests++;
        trim_before(&page, end);
        if (page.n > 0) {
            qf_upsert_stats us = {0};
            rc = qf_store_upsert_candles(r->store, &r->key, page.v, page.n, &us, err);
            if (rc != QF_OK)
                break;
            r->st->inserted += us.inserted;
            r->st->updated += us.updated;
            r->st->unchanged += us.unchanged;
        }
        report(r, next);
        if (done || next <= start || next >= end)
            break;
        start = next;
    }
    qf_candles_cleanup(&page);
    return rc;
}

/* First and last stored open_time of the series; *out_any false when empty. */
static qf_rc stored_range(run *r, int64_t *first, int64_t *last, bool *out_any, qf_err *err)
{
    qf_series_info *infos = NULL;
    size_t n = 0;
    *out_any = false;
    qf_rc rc = qf_store_list_series(r->store, &infos, &n, err);
    if (rc != QF_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const qf_series_key *k = &infos[i].key;
        if (strcmp(k->exchange, r->key.exchange) == 0 && strcmp(k->symbol, r->key.symbol) == 0 &&
            strcmp(k->timeframe, r->key.timeframe) == 0 && infos[i].count > 0) {
            *first = infos[i].first_open_time;
            *last = infos[i].last_open_time;
            *out_any = true;
        }
    }
    free(infos);
    return QF_OK;
}

static qf_rc count_between(run *r, int64_t from, int64_t to, int64_t *out, qf_err *err)
{
    qf_candles c;
    qf_candles_init(&c);
    qf_rc rc = qf_store_query_candles(r->store, &r->key, from, to, 0, &c, err);
    *out = (int64_t)c.n;
    qf_candles_cleanup(&c);
    return rc;
}

/* Finds runs of missing bars in [from, last stored] and refetches each. */
static qf_rc repair_gaps(run *r, int64_t from, qf_err *err)
{
    qf_candles all;
    qf_candles_init(&all);
    qf_rc rc = qf_store_query_candles(r->store, &r->key, from, INT64_MAX, 0, &all, err);
    for (size_t i = 1; rc == QF_OK && i < all.n; i++) {
        int64_t a = all.v[i - 1].open_time, b = all.v[i].open_time;
        if (b - a <= r->tf.ms)
            continue;
        int64_t missing = (b - a) / r->tf.ms - 1;
        if (missing <= 0)
            continue; /* a bar off the grid, not a gap */
        r->st->gaps_found++;
        int64_t have = 0;
        if (!r->o->no_repair) {
            rc = fetch_range(r, a + r->tf.ms, b, err);
            if (rc == QF_OK)
                rc = count_between(r, a + 1, b - 1, &have, err);
        }
        if (rc != QF_OK)
            break;
        if (have >= missing) {
            r->st->gaps_repaired++;
        } else {
            r->st->gaps_real++;
            r->st->bars_missing_real += missing - have;
        }
    }
    qf_candles_cleanup(&all);
    return rc;
}

static qf_rc backfill_one(run *r, qf_err *err)
{
    int64_t first = 0, last = 0;
    bool any = false;
    qf_rc rc = stored_range(r, &first, &last, &any, err);
    if (rc != QF_OK)
        return rc;
    int64_t since = r->o->since_ms;
    if (!any && since == QF_BACKFILL_NO_SINCE && r->o->fallback_since_ms > 0)
        since = r->o->fallback_since_ms;
    if (!any && since == QF_BACKFILL_NO_SINCE)
        return qf_err_set(err, QF_EINVAL, "no stored %s %s %s candles: give --since",
                          r->key.exchange, r->key.symbol, r->key.timeframe);
    int64_t start;
    if (any && (since == QF_BACKFILL_NO_SINCE || since >= first))
        start = last + r->tf.ms; /* resume after the last stored bar */
    else
        start = since; /* nothing before `since` stored yet: from there */
    if (start < 0)
        start = 0;
    if (!r->ex->clock_synced) {
        rc = qf_exchange_server_time(r->ex, NULL, err);
        if (rc != QF_OK)
            return rc;
    }
    r->from = start;
    r->to = qf_exchange_venue_now(r->ex);
    rc = fetch_range(r, start, INT64_MAX, err);
    if (rc == QF_OK) {
        int64_t scan = since != QF_BACKFILL_NO_SINCE ? since : (any ? first : start);
        rc = repair_gaps(r, scan, err);
    }
    if (stored_range(r, &first, &last, &any, NULL) == QF_OK && any) {
        r->st->first_open_time = first;
        r->st->last_open_time = last;
    }
    return rc;
}

qf_rc qf_backfill(qf_store *store, qf_exchange *ex, const qf_backfill_opts *opts,
                  qf_backfill_stats *out_stats, qf_err *err)
{
    qf_backfill_stats st;
    memset(&st, 0, sizeof st);
    if (out_stats != NULL)
        *out_stats = st;
    if (store == NULL || ex == NULL || opts == NULL || opts->timeframe == NULL ||
        (opts->n_symbols > 0 && opts->symbols == NULL))
        return qf_err_set(err, QF_EINVAL, "qf_backfill: missing argument");
    qf_timeframe tf;
    qf_rc rc = qf_timeframe_parse(opts->timeframe, &tf, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "backfill");
    for (size_t i = 0; i < opts->n_symbols; i++) {
        rc = qf_symbol_validate(opts->symbols[i], err);
        if (rc != QF_OK)
            return qf_err_prefix(err, "backfill");
    }
    int64_t weight0 = qf_ratelimit_weight_charged(ex->limiter);
    for (size_t i = 0; rc == QF_OK && i < opts->n_symbols; i++) {
        run r = {.store = store, .ex = ex, .o = opts, .tf = tf, .index = i, .st = &st};
        snprintf(r.key.exchange, sizeof r.key.exchange, "%s", qf_exchange_venue(ex));
        snprintf(r.key.symbol, sizeof r.key.symbol, "%s", opts->symbols[i]);
        snprintf(r.key.timeframe, sizeof r.key.timeframe, "%s", tf.name);
        rc = backfill_one(&r, err);
        if (rc != QF_OK && rc != QF_EINTR)
            qf_err_prefix(err, "backfill %s %s", opts->symbols[i], tf.name);
    }
    st.weight = qf_ratelimit_weight_charged(ex->limiter) - weight0;
    if (out_stats != NULL)
        *out_stats = st;
    return rc;
}
