/*
 * binance_market.c - Binance Spot public endpoints: server time (the clock
 * offset signed calls and the closed-candle cut use), klines paged by
 * startTime, book ticker, depth and exchangeInfo into the rules cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "core/time.h"
#include "market/binance_int.h"
#include "market/binance_parse.h"

#define KLINES_LIMIT 1000

qf_rc qf_binance_check_status(const qf_http_resp *resp, const char *endpoint, qf_err *err)
{
    if (resp->status >= 200 && resp->status < 300)
        return QF_OK;
    int code = 0;
    char msg[160];
    if (qf_binance_parse_error(resp->body, resp->len, &code, msg, sizeof msg, NULL) != QF_OK)
        return qf_err_set(err, resp->status == 404 ? QF_ENOTFOUND : QF_EREJECTED,
                          "binance %s: HTTP %ld without a Binance error body", endpoint,
                          resp->status);
    if (code == -1121 || resp->status == 404)
        return qf_err_set(err, QF_ENOTFOUND, "binance %s: unknown symbol (%d %s)", endpoint, code,
                          msg);
    return qf_err_set(err, QF_EREJECTED, "binance %s: HTTP %ld (%d %s)", endpoint, resp->status,
                      code, msg);
}

/* GETs path_query and checks the status; resp is left empty on failure. */
static qf_rc get_ok(qf_exchange *ex, const char *path_query, const char *endpoint, int weight,
                    qf_http_resp *resp, qf_err *err)
{
    qf_rc rc = qf_exchange_get(ex, path_query, weight, resp, err);
    if (rc != QF_OK)
        return rc;
    rc = qf_binance_check_status(resp, endpoint, err);
    if (rc != QF_OK)
        qf_http_resp_free(resp);
    return rc;
}

qf_rc qf_binance_server_time(qf_exchange *ex, int64_t *out_ms, qf_err *err)
{
    qf_http_resp resp;
    int64_t sent = qf_time_now_ms();
    qf_rc rc = get_ok(ex, "/api/v3/time", "GET /api/v3/time", 1, &resp, err);
    if (rc != QF_OK)
        return rc;
    int64_t got = qf_time_now_ms();
    int64_t t = 0;
    rc = qf_binance_parse_time(resp.body, resp.len, &t, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK)
        return qf_err_prefix(err, "binance GET /api/v3/time");
    qf_exchange_note_server_time(ex, t, sent, got);
    if (out_ms != NULL)
        *out_ms = t;
    return QF_OK;
}

static qf_rc venue_symbol(const char *symbol, char *out, size_t size, qf_err *err)
{
    qf_rc rc = qf_symbol_to_binance(symbol, out, size, err);
    return rc != QF_OK ? qf_err_prefix(err, "binance") : QF_OK;
}

/* Keeps the rows at or after start that are closed at venue time now. */
static size_t keep_closed(qf_candles *c, int64_t start, int64_t tf_ms, int64_t now,
                          bool *out_dropped_open)
{
    size_t k = 0;
    *out_dropped_open = false;
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].open_time < start)
            continue;
        if (c->v[i].open_time + tf_ms > now) {
            *out_dropped_open = true;
            break; /* rows are ascending: the rest are later still */
        }
        c->v[k++] = c->v[i];
    }
    c->n = k;
    return k;
}

qf_rc qf_binance_candles_page(qf_exchange *ex, const char *symbol, const char *timeframe,
                              int64_t start_ms, qf_candles *out, int64_t *out_next, bool *out_done,
                              qf_err *err)
{
    qf_timeframe tf;
    char sym[QF_VENUE_SYMBOL_MAX], q[256];
    qf_rc rc = qf_timeframe_parse(timeframe, &tf, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "binance klines");
    rc = venue_symbol(symbol, sym, sizeof sym, err);
    if (rc != QF_OK)
        return rc;
    if (!ex->clock_synced) {
        rc = qf_binance_server_time(ex, NULL, err);
        if (rc != QF_OK)
            return rc;
    }
    snprintf(q, sizeof q, "/api/v3/klines?symbol=%s&interval=%s&startTime=%lld&limit=%d", sym,
             tf.name, (long long)start_ms, KLINES_LIMIT);
    qf_http_resp resp;
    rc = get_ok(ex, q, "GET /api/v3/klines", 2, &resp, err);
    if (rc != QF_OK)
        return rc;
    qf_candles page;
    qf_candles_init(&page);
    rc = qf_binance_parse_klines(resp.body, resp.len, tf.ms, &page, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK) {
        qf_candles_cleanup(&page);
        return qf_err_prefix(err, "binance GET /api/v3/klines %s %s", symbol, tf.name);
    }
    size_t raw = page.n;
    int64_t now = qf_exchange_venue_now(ex);
    bool dropped_open = false;
    size_t kept = keep_closed(&page, start_ms, tf.ms, now, &dropped_open);
    int64_t next = kept > 0 ? page.v[kept - 1].open_time + tf.ms : start_ms;
    qf_candles_cleanup(out);
    *out = page;
    *out_next = next;
    *out_done = raw < KLINES_LIMIT || dropped_open || next + tf.ms > now;
    return QF_OK;
}

qf_rc qf_binance_ticker(qf_exchange *ex, const char *symbol, qf_ticker *out, qf_err *err)
{
    char sym[QF_VENUE_SYMBOL_MAX], q[128];
    qf_rc rc = venue_symbol(symbol, sym, sizeof sym, err);
    if (rc != QF_OK)
        return rc;
    snprintf(q, sizeof q, "/api/v3/ticker/bookTicker?symbol=%s", sym);
    qf_http_resp resp;
    rc = get_ok(ex, q, "GET /api/v3/ticker/bookTicker", 2, &resp, err);
    if (rc != QF_OK)
        return rc;
    qf_ticker t;
    rc = qf_binance_parse_book_ticker(resp.body, resp.len, &t, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK)
        return qf_err_prefix(err, "binance GET /api/v3/ticker/bookTicker %s", symbol);
    t.time = qf_time_now_ms();
    *out = t;
    return QF_OK;
}

static int depth_weight(int limit)
{
    return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

qf_rc qf_binance_depth(qf_exchange *ex, const char *symbol, int limit, qf_book *out, qf_err *err)
{
    char sym[QF_VENUE_SYMBOL_MAX], q[128];
    if (limit < 1 || limit > 5000)
        return qf_err_set(err, QF_EINVAL, "binance depth: limit %d outside 1..5000", limit);
    qf_rc rc = venue_symbol(symbol, sym, sizeof sym, err);
    if (rc != QF_OK)
        return rc;
    snprintf(q, sizeof q, "/api/v3/depth?symbol=%s&limit=%d", sym, limit);
    qf_http_resp resp;
    rc = get_ok(ex, q, "GET /api/v3/depth", depth_weight(limit), &resp, err);
    if (rc != QF_OK)
        return rc;
    qf_book_level *lv = NULL;
    size_t nb = 0, na = 0;
    rc = qf_binance_parse_depth(resp.body, resp.len, &lv, &nb, &na, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK)
        return qf_err_prefix(err, "binance GET /api/v3/depth %s", symbol);
    free(ex->book_levels);
    ex->book_levels = lv;
    ex->book_cap = nb + na;
    out->time = qf_time_now_ms();
    out->bids = lv;
    out->n_bids = nb < (size_t)limit ? nb : (size_t)limit;
    out->asks = lv + nb;
    out->n_asks = na < (size_t)limit ? na : (size_t)limit;
    return QF_OK;
}

qf_rc qf_binance_load_rules(qf_exchange *ex, qf_err *err)
{
    qf_http_resp resp;
    qf_rc rc = get_ok(ex, "/api/v3/exchangeInfo", "GET /api/v3/exchangeInfo", 20, &resp, err);
    if (rc != QF_OK)
        return rc;
    qf_symbol_rules *v = NULL;
    size_t n = 0;
    int wl = -1;
    rc = qf_binance_parse_exchange_info(resp.body, resp.len, qf_time_now_ms(), &v, &n, &wl, err);
    qf_http_resp_free(&resp);
    if (rc != QF_OK)
        return qf_err_prefix(err, "binance GET /api/v3/exchangeInfo");
    free(ex->rules);
    ex->rules = v;
    ex->n_rules = n;
    if (wl > 0)
        qf_ratelimit_set_weight_limit(ex->limiter, wl);
    return QF_OK;
}
