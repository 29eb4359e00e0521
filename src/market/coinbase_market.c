/*
 * coinbase_market.c - Coinbase Advanced Trade public endpoints
 * (/api/v3/brokerage/time, /market/products, /market/products/{id}/candles
 * and /ticker, /market/product_book).
 *
 * Candles: at most PAGE_BUCKETS buckets a request, asked as [start, start +
 * K * granularity - 1] so the count is K whether the venue treats `end` as
 * inclusive or not. Coinbase has no 4h granularity on the public endpoint:
 * 4h bars are built from 1h ones (open of the first, max high, min low,
 * close of the last, summed volume) over 4h buckets aligned to UTC; a bucket
 * is emitted only once all of it is in the past, and one where the venue has
 * no trade for some hours is built from the hours present, as exchanges
 * build their own bars.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "core/time.h"
#include "market/coinbase_int.h"
#include "market/coinbase_parse.h"

#define PAGE_BUCKETS 300
#define API          "/api/v3/brokerage"

qf_rc qf_coinbase_check_status(const qf_http_resp *resp, const char *endpoint, qf_err *err)
{
    if (resp->status >= 200 && resp->status < 300)
        return QF_OK;
    char msg[160];
    bool not_found = false;
    if (qf_coinbase_parse_error(resp->body, resp->len, msg, sizeof msg, &not_found, NULL) != QF_OK)
        return qf_err_set(err, resp->status == 404 ? QF_ENOTFOUND : QF_EREJECTED,
                          "coinbase %s: HTTP %ld without a Coinbase error body", endpoint,
                          resp->status);
    if (not_found || resp->status == 404)
        return qf_err_set(err, QF_ENOTFOUND, "coinbase %s: not found (HTTP %ld %s)", endpoint,
                          resp->status, msg);
    return qf_err_set(err, QF_EREJECTED, "coinbase %s: HTTP %ld (%s)", endpoint, resp->status, msg);
}

static qf_rc get_ok(qf_exchange *ex, const char *path_query, const char *endpoint,
                    qf_http_resp *resp, qf_err *err)
{
    qf_rc rc = qf_exchange_get(ex, path_query, 1, resp, err);
    if (rc != QF_OK)
        return rc;
    rc = qf_coinbase_check_status(resp, endpoint, err);
    if (rc != QF_OK)
        qf_http_resp_free(resp);
    return rc;
}

qf_rc qf_coinbase_server_time(qf_exchange *ex, int64_t *out_ms, qf_err *err)
{
    qf_http_resp resp;
    int64_t sent = qf_time_now_ms();
    qf_rc rc = get_ok(ex, API "/time", "GET " API "/time", &resp, err);
    if (rc != QF_OK)
        return rc;
    int64_t got = qf_time_now_ms();
    int64_t t = 0;
    rc = qf_coinbase_parse_time(resp.body, resp.len, &t, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase GET " API "/time");
    qf_exchange_note_server_time(ex, t, sent, got);
    if (out_ms != NULL)
        *out_ms = t;
    return QF_OK;
}

/* Granularity name for a timeframe Coinbase serves directly; 4h is NULL
 * (built from 1h). */
static const char *granularity(int64_t tf_ms)
{
    switch (tf_ms) {
    case 60000:
        return "ONE_MINUTE";
    case 300000:
        return "FIVE_MINUTE";
    case 900000:
        return "FIFTEEN_MINUTE";
    case 3600000:
        return "ONE_HOUR";
    case 86400000:
        return "ONE_DAY";
    default:
        return NULL;
    }
}

/* Folds ascending 1h bars into 4h bars over buckets aligned to 4h; keeps
 * only buckets at or after start that closed before now. In place. */
static void build_4h(qf_candles *c, int64_t start, int64_t now)
{
    const int64_t tf = 4 * QF_MS_PER_HOUR;
    size_t k = 0;
    for (size_t i = 0; i < c->n;) {
        int64_t b = qf_time_floor(c->v[i].open_time, tf);
        qf_candle agg = c->v[i];
        agg.open_time = b;
        size_t j = i + 1;
        for (; j < c->n && c->v[j].open_time < b + tf; j++) {
            agg.high = fmax(agg.high, c->v[j].high);
            agg.low = fmin(agg.low, c->v[j].low);
            agg.close = c->v[j].close;
            agg.volume += c->v[j].volume;
        }
        if (b >= start && b + tf <= now)
            c->v[k++] = agg;
        i = j;
    }
    c->n = k;
}

static void keep_closed(qf_candles *c, int64_t start, int64_t end, int64_t tf_ms, int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        int64_t t = c->v[i].open_time;
        if (t >= start && t < end && t + tf_ms <= now)
            c->v[k++] = c->v[i];
    }
    c->n = k;
}

qf_rc qf_coinbase_candles_page(qf_exchange *ex, const char *symbol, const char *timeframe,
                               int64_t start_ms, qf_candles *out, int64_t *out_next, bool *out_done,
                               qf_err *err)
{
    qf_timeframe tf;
    char id[QF_VENUE_SYMBOL_MAX], q[320], ep[160];
    qf_rc rc = qf_timeframe_parse(timeframe, &tf, err);
    if (rc == QF_OK)
        rc = qf_symbol_to_coinbase(symbol, id, sizeof id, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase candles");
    bool from_1h = tf.ms == 4 * QF_MS_PER_HOUR;
    const char *g = from_1h ? "ONE_HOUR" : granularity(tf.ms);
    if (g == NULL)
        return qf_err_set(err, QF_EUNSUPPORTED, "coinbase candles: no %s granularity", tf.name);
    if (!ex->clock_synced) {
        rc = qf_coinbase_server_time(ex, NULL, err);
        if (rc != QF_OK)
            return rc;
    }
    int64_t gms = from_1h ? QF_MS_PER_HOUR : tf.ms;
    int64_t start = qf_time_floor(start_ms < 0 ? 0 : start_ms, tf.ms);
    if (start < start_ms)
        start += tf.ms;
    int64_t buckets = from_1h ? PAGE_BUCKETS / 4 * 4 : PAGE_BUCKETS;
    int64_t end = start + buckets * gms; /* exclusive */
    snprintf(q, sizeof q, API "/market/products/%s/candles?start=%lld&end=%lld&granularity=%s", id,
             (long long)(start / 1000), (long long)((end - 1) / 1000), g);
    snprintf(ep, sizeof ep, "GET " API "/market/products/%s/candles", id);
    qf_http_resp resp;
    rc = get_ok(ex, q, ep, &resp, err);
    if (rc != QF_OK)
        return rc;
    qf_candles page;
    qf_candles_init(&page);
    rc = qf_coinbase_parse_candles(resp.body, resp.len, &page, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK) {
        qf_candles_cleanup(&page);
        return qf_err_prefix(err, "coinbase %s %s", ep, tf.name);
    }
    int64_t now = qf_exchange_venue_now(ex);
    keep_closed(&page, start, end, gms, now);
    if (from_1h)
        build_4h(&page, start, now);
    int64_t forming = qf_time_floor(now, tf.ms); /* open time of the bar still forming */
    qf_candles_cleanup(out);
    *out = page;
    *out_done = end >= forming;
    *out_next = *out_done ? (forming > start ? forming : start) : end;
    return QF_OK;
}

qf_rc qf_coinbase_ticker(qf_exchange *ex, const char *symbol, qf_ticker *out, qf_err *err)
{
    char id[QF_VENUE_SYMBOL_MAX], q[160], ep[160];
    qf_rc rc = qf_symbol_to_coinbase(symbol, id, sizeof id, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase ticker");
    snprintf(q, sizeof q, API "/market/products/%s/ticker?limit=1", id);
    snprintf(ep, sizeof ep, "GET " API "/market/products/%s/ticker", id);
    qf_http_resp resp;
    rc = get_ok(ex, q, ep, &resp, err);
    if (rc != QF_OK)
        return rc;
    qf_ticker t;
    rc = qf_coinbase_parse_ticker(resp.body, resp.len, &t, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase %s", ep);
    t.time = qf_time_now_ms();
    *out = t;
    return QF_OK;
}

/* The book asked for, or its documented alias: BTC-USD and BTC-USDC share
 * one book, so the reply may name either (PROTOCOLS.md section 2). */
static bool same_book(const char *asked, const char *got)
{
    if (strcmp(asked, got) == 0)
        return true;
    const char *a = strchr(asked, '-'), *g = strchr(got, '-');
    if (a == NULL || g == NULL || a - asked != g - got || strncmp(asked, got, (size_t)(a - asked)))
        return false;
    bool a_usd = strcmp(a, "-USD") == 0 || strcmp(a, "-USDC") == 0;
    bool g_usd = strcmp(g, "-USD") == 0 || strcmp(g, "-USDC") == 0;
    return a_usd && g_usd;
}

qf_rc qf_coinbase_depth(qf_exchange *ex, const char *symbol, int limit, qf_book *out, qf_err *err)
{
    char id[QF_VENUE_SYMBOL_MAX], got[QF_VENUE_SYMBOL_MAX], q[160];
    const char *ep = "GET " API "/market/product_book";
    if (limit < 1 || limit > QF_BOOK_LEVELS_MAX)
        return qf_err_set(err, QF_EINVAL, "coinbase depth: limit %d outside 1..%d", limit,
                          QF_BOOK_LEVELS_MAX);
    qf_rc rc = qf_symbol_to_coinbase(symbol, id, sizeof id, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase depth");
    snprintf(q, sizeof q, API "/market/product_book?product_id=%s&limit=%d", id, limit);
    qf_http_resp resp;
    rc = get_ok(ex, q, ep, &resp, err);
    if (rc != QF_OK)
        return rc;
    qf_book_level *lv = NULL;
    size_t nb = 0, na = 0;
    int64_t venue_time = 0;
    rc = qf_coinbase_parse_book(resp.body, resp.len, got, sizeof got, &venue_time, &lv, &nb, &na,
                                err);
    qf_http_resp_free(&resp);
    if (rc == QF_OK && !same_book(id, got)) {
        free(lv);
        rc = qf_err_set(err, QF_EPARSE, "pricebook.product_id: asked for %s, got %.24s", id, got);
    }
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase %s %s", ep, id);
    free(ex->book_levels);
    ex->book_levels = lv;
    ex->book_cap = nb + na;
    out->time = qf_time_now_ms(); /* receipt, as for every venue (exchange.h) */
    out->bids = lv;
    out->n_bids = nb < (size_t)limit ? nb : (size_t)limit;
    out->asks = lv + nb;
    out->n_asks = na < (size_t)limit ? na : (size_t)limit;
    return QF_OK;
}

qf_rc qf_coinbase_load_rules(qf_exchange *ex, qf_err *err)
{
    qf_http_resp resp;
    qf_rc rc = get_ok(ex, API "/market/products", "GET " API "/market/products", &resp, err);
    if (rc != QF_OK)
        return rc;
    qf_symbol_rules *v = NULL;
    size_t n = 0;
    rc = qf_coinbase_parse_products(resp.body, resp.len, qf_time_now_ms(), &v, &n, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK)
        return qf_err_prefix(err, "coinbase GET " API "/market/products");
    free(ex->rules);
    ex->rules = v;
    ex->n_rules = n;
    return QF_OK;
}
