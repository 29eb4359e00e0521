/*
 * mock_binance_public.c - Binance Spot market data: /api/v3/ping, time,
 * exchangeInfo, klines, depth, ticker/bookTicker, ticker/price, avgPrice,
 * and the request weight of every Binance endpoint.
 *
 * Closed klines are the bundled candles exactly as written (8 decimals like
 * Binance); the CSV has no quote volume, trade count or taker volumes, so
 * those are served as "0.00000000" / 0. The kline containing now is still
 * forming: open is the real open, high/low/close/volume cover only the part
 * of the bar's path elapsed so far. Intervals finer than the data (1s..30m)
 * or 1M answer -1120.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

#define HOUR_MS (3600LL * 1000)

static const struct {
    const char *name;
    int64_t ms;
} INTERVALS[] = {
    {"1s", 1000},         {"1m", 60000},        {"3m", 180000},        {"5m", 300000},
    {"15m", 900000},      {"30m", 1800000},     {"1h", HOUR_MS},       {"2h", 2 * HOUR_MS},
    {"4h", 4 * HOUR_MS},  {"6h", 6 * HOUR_MS},  {"8h", 8 * HOUR_MS},   {"12h", 12 * HOUR_MS},
    {"1d", 24 * HOUR_MS}, {"3d", 72 * HOUR_MS}, {"1w", 168 * HOUR_MS}, {"1M", 0}};

static int64_t interval_ms(const char *s, bool *valid)
{
    *valid = false;
    for (size_t i = 0; s && i < sizeof INTERVALS / sizeof INTERVALS[0]; i++)
        if (strcmp(INTERVALS[i].name, s) == 0) {
            *valid = true;
            return INTERVALS[i].ms;
        }
    return 0;
}

static long depth_weight(const char *limit)
{
    int64_t n = 100;
    if (limit && !mock_parse_i64(limit, &n))
        return 5;
    return n <= 100 ? 5 : n <= 500 ? 25 : n <= 1000 ? 50 : 250;
}

long mock_binance_weight(const mock_req *r)
{
    const char *p = r->path, *me = r->method;
    if (strcmp(p, "/api/v3/exchangeInfo") == 0 || strcmp(p, "/api/v3/account") == 0)
        return 20;
    if (strcmp(p, "/api/v3/klines") == 0 || strcmp(p, "/api/v3/avgPrice") == 0)
        return 2;
    if (strcmp(p, "/api/v3/depth") == 0)
        return depth_weight(req_param(r, "limit"));
    if (strcmp(p, "/api/v3/ticker/bookTicker") == 0 || strcmp(p, "/api/v3/ticker/price") == 0)
        return req_param(r, "symbol") ? 2 : 4;
    if (strcmp(p, "/api/v3/order") == 0)
        return strcmp(me, "GET") == 0 ? 4 : 1;
    if (strcmp(p, "/api/v3/openOrders") == 0)
        return req_param(r, "symbol") ? 6 : 80;
    if (strcmp(p, "/api/v3/myTrades") == 0)
        return req_param(r, "orderId") ? 5 : 20;
    return 1;
}

/* Symbol from `symbol`; answers -1102/-1121 and returns -1 when bad. */
int mock_binance_symbol(qf_mock *m, const mock_req *r, mock_resp *out)
{
    const char *s = req_param(r, "symbol");
    if (!s || !*s) {
        resp_binance_err(out, 400, -1102,
                         "Mandatory parameter 'symbol' was not sent, was empty/null, or "
                         "malformed.");
        return -1;
    }
    int i = mock_find_symbol(m, s);
    if (i < 0)
        resp_binance_err(out, 400, -1121, "Invalid symbol.");
    return i;
}

/* The symbols of `symbols=["A","B"]` into idx (a flag per symbol); false
 * with the error answered when malformed or unknown. */
static bool symbols_param(qf_mock *m, const char *v, bool idx[MOCK_NSYM], mock_resp *out)
{
    json_t *a = json_loads(v, JSON_DECODE_ANY, NULL);
    bool ok = json_is_array(a) && json_array_size(a) > 0;
    for (size_t i = 0; ok && i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));
        int k = s ? mock_find_symbol(m, s) : -1;
        if (!s) {
            ok = false;
        } else if (k < 0) {
            json_decref(a);
            resp_binance_err(out, 400, -1121, "Invalid symbol.");
            return false;
        } else {
            idx[k] = true;
        }
    }
    json_decref(a);
    if (!ok)
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter 'symbols'; legal range is "
                         "'^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
    return ok;
}

/* Which symbols a request names (symbol or symbols; neither: all). */
static bool which_symbols(qf_mock *m, const mock_req *r, bool idx[MOCK_NSYM], bool *single,
                          mock_resp *out)
{
    memset(idx, 0, MOCK_NSYM * sizeof idx[0]);
    *single = false;
    if (req_param(r, "symbol") && req_param(r, "symbols")) {
        resp_binance_err(out, 400, -1101, "Parameter 'symbol' and 'symbols' cannot be combined.");
        return false;
    }
    if (req_param(r, "symbol")) {
        int i = mock_binance_symbol(m, r, out);
        if (i < 0)
            return false;
        idx[i] = true;
        *single = true;
        return true;
    }
    if (req_param(r, "symbols"))
        return symbols_param(m, req_param(r, "symbols"), idx, out);
    for (int i = 0; i < MOCK_NSYM; i++)
        idx[i] = true;
    return true;
}

static json_t *filter_json(const char *type, const char *k1, mock_u v1, const char *k2, mock_u v2,
                           const char *k3, mock_u v3)
{
    return json_pack("{s:s,s:o,s:o,s:o}", "filterType", type, k1, json_units(v1), k2,
                     json_units(v2), k3, json_units(v3));
}

static json_t *symbol_json(const mock_symbol *s)
{
    json_t *filters = json_array();
    json_array_append_new(filters, filter_json("PRICE_FILTER", "minPrice", s->min_price, "maxPrice",
                                               s->max_price, "tickSize", s->tick));
    json_array_append_new(filters, filter_json("LOT_SIZE", "minQty", s->min_qty, "maxQty",
                                               s->max_qty, "stepSize", s->step));
    json_array_append_new(
        filters, json_pack("{s:s,s:o,s:b,s:o,s:b,s:i}", "filterType", "NOTIONAL", "minNotional",
                           json_units(s->min_notional), "applyMinToMarket", 1, "maxNotional",
                           json_units(s->max_notional), "applyMaxToMarket", 0, "avgPriceMins", 5));
    json_array_append_new(
        filters, json_pack("{s:s,s:i}", "filterType", "MAX_NUM_ORDERS", "maxNumOrders", 200));
    json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:s,s:i,s:i,s:i,s:i,s:[ss],s:b,s:b,s:b,s:b,s:b}",
                          "symbol", s->name, "status", "TRADING", "baseAsset", s->base,
                          "baseAssetPrecision", 8, "quoteAsset", s->quote, "quotePrecision", 8,
                          "quoteAssetPrecision", 8, "baseCommissionPrecision", 8,
                          "quoteCommissionPrecision", 8, "orderTypes", "LIMIT", "MARKET",
                          "icebergAllowed", 0, "ocoAllowed", 0, "quoteOrderQtyMarketAllowed", 1,
                          "isSpotTradingAllowed", 1, "isMarginTradingAllowed", 0);
    json_object_set_new(j, "filters", filters);
    json_object_set_new(j, "permissions", json_array());
    json_object_set_new(j, "permissionSets", json_pack("[[s]]", "SPOT"));
    json_object_set_new(j, "defaultSelfTradePreventionMode", json_string("EXPIRE_MAKER"));
    json_object_set_new(j, "allowedSelfTradePreventionModes",
                        json_pack("[sss]", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"));
    return j;
}

static void exchange_info(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    bool idx[MOCK_NSYM], single;
    if (!which_symbols(m, r, idx, &single, out))
        return;
    json_t *syms = json_array();
    for (int i = 0; i < MOCK_NSYM; i++)
        if (idx[i])
            json_array_append_new(syms, symbol_json(&m->syms[i]));
    json_t *limits =
        json_pack("[{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i}]",
                  "rateLimitType", "REQUEST_WEIGHT", "interval", "MINUTE", "intervalNum", 1,
                  "limit", m->weight_limit, "rateLimitType", "ORDERS", "interval", "SECOND",
                  "intervalNum", 10, "limit", 100, "rateLimitType", "ORDERS", "interval", "DAY",
                  "intervalNum", 1, "limit", 200000, "rateLimitType", "RAW_REQUESTS", "interval",
                  "MINUTE", "intervalNum", 5, "limit", 61000);
    resp_json(out, 200,
              json_pack("{s:s,s:I,s:o,s:[],s:o}", "timezone", "UTC", "serverTime", (json_int_t)now,
                        "rateLimits", limits, "exchangeFilters", "symbols", syms));
}

/* An optional integer parameter; answers -1100 and returns false when bad. */
static bool int_param(const mock_req *r, const char *name, int64_t *v, mock_resp *out)
{
    const char *s = req_param(r, name);
    if (!s)
        return true;
    if (!mock_parse_i64(s, v) || *v < 0) {
        resp_binance_err(
            out, 400, -1100,
            "Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'.", name);
        return false;
    }
    return true;
}

static json_t *kline_json(const mock_bar *b, int64_t interval)
{
    return json_pack("[I,o,o,o,o,o,I,o,i,o,o,s]", (json_int_t)b->open_time, json_units(b->o),
                     json_units(b->h), json_units(b->l), json_units(b->c), json_units(b->v),
                     (json_int_t)(b->open_time + interval - 1), json_units(0), 0, json_units(0),
                     json_units(0), "0");
}

static void klines(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    int sym = mock_binance_symbol(m, r, out);
    if (sym < 0)
        return;
    const char *iv = req_param(r, "interval");
    if (!iv || !*iv) {
        resp_binance_err(out, 400, -1102,
                         "Mandatory parameter 'interval' was not sent, was empty/null, or "
                         "malformed.");
        return;
    }
    bool valid;
    int64_t ims = interval_ms(iv, &valid);
    if (!valid) {
        resp_binance_err(out, 400, -1120, "Invalid interval.");
        return;
    }
    int64_t limit = 500, start = -1, end = -1;
    if (!int_param(r, "limit", &limit, out) || !int_param(r, "startTime", &start, out) ||
        !int_param(r, "endTime", &end, out))
        return;
    if (limit < 1 || limit > 1000) {
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter 'limit'; legal range is '1000'.");
        return;
    }
    if (start >= 0 && end >= 0 && start > end) {
        resp_binance_err(out, 400, -1023, "Start time is greater than end time.");
        return;
    }
    mock_bar *rows = ims ? malloc((size_t)limit * sizeof *rows) : NULL;
    long n = -1;
    if (rows)
        n = mock_buckets(&m->syms[sym], ims, start >= 0 ? start : INT64_MIN / 2,
                         end >= 0 ? end : INT64_MAX / 2, (long)limit, start < 0, now, rows);
    if (n < 0) {
        free(rows);
        resp_binance_err(out, 400, -1120, "Invalid interval. (mock: %s has no data finer than %s)",
                         m->syms[sym].name,
                         m->syms[sym].series[0].interval_ms == HOUR_MS ? "1h" : "4h");
        return;
    }
    json_t *a = json_array();
    for (long i = 0; i < n; i++)
        json_array_append_new(a, kline_json(&rows[i], ims));
    free(rows);
    resp_json(out, 200, a);
}

static void depth(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    int sym = mock_binance_symbol(m, r, out);
    int64_t limit = 100;
    if (sym < 0 || !int_param(r, "limit", &limit, out))
        return;
    if (limit < 1 || limit > 5000) {
        resp_binance_err(out, 400, -1100,
                         "Illegal characters found in parameter 'limit'; legal range is '5000'.");
        return;
    }
    json_t *bids = json_array(), *asks = json_array();
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < limit; i++) {
            mock_u p, q;
            mock_book_level(m, sym, side == 0, i, now, &p, &q);
            json_array_append_new(side == 0 ? bids : asks,
                                  json_pack("[o,o]", json_units(p), json_units(q)));
        }
    resp_json(out, 200,
              json_pack("{s:I,s:o,s:o}", "lastUpdateId", (json_int_t)(now / 100), "bids", bids,
                        "asks", asks));
}

static void book_ticker(qf_mock *m, const mock_req *r, int64_t now, bool price_only, mock_resp *out)
{
    bool idx[MOCK_NSYM], single;
    if (!which_symbols(m, r, idx, &single, out))
        return;
    json_t *a = json_array();
    for (int i = 0; i < MOCK_NSYM; i++) {
        if (!idx[i])
            continue;
        mock_u bp, bq, ap, aq;
        mock_book_level(m, i, true, 0, now, &bp, &bq);
        mock_book_level(m, i, false, 0, now, &ap, &aq);
        if (price_only)
            json_array_append_new(a, json_pack("{s:s,s:o}", "symbol", m->syms[i].name, "price",
                                               json_units(mock_price_at(&m->syms[i], now))));
        else
            json_array_append_new(a,
                                  json_pack("{s:s,s:o,s:o,s:o,s:o}", "symbol", m->syms[i].name,
                                            "bidPrice", json_units(bp), "bidQty", json_units(bq),
                                            "askPrice", json_units(ap), "askQty", json_units(aq)));
    }
    if (single) {
        json_t *one = json_incref(json_array_get(a, 0));
        json_decref(a);
        a = one;
    }
    resp_json(out, 200, a);
}

bool mock_binance_public(qf_mock *m, mock_req *r, mock_resp *out)
{
    if (strcmp(r->method, "GET") != 0)
        return false;
    int64_t now = mock_now_locked(m);
    const char *p = r->path;
    if (strcmp(p, "/api/v3/ping") == 0) {
        resp_json(out, 200, json_object());
    } else if (strcmp(p, "/api/v3/time") == 0) {
        resp_json(out, 200, json_pack("{s:I}", "serverTime", (json_int_t)now));
    } else if (strcmp(p, "/api/v3/exchangeInfo") == 0) {
        exchange_info(m, r, now, out);
    } else if (strcmp(p, "/api/v3/klines") == 0) {
        klines(m, r, now, out);
    } else if (strcmp(p, "/api/v3/depth") == 0) {
        depth(m, r, now, out);
    } else if (strcmp(p, "/api/v3/ticker/bookTicker") == 0) {
        book_ticker(m, r, now, false, out);
    } else if (strcmp(p, "/api/v3/ticker/price") == 0) {
        book_ticker(m, r, now, true, out);
    } else if (strcmp(p, "/api/v3/avgPrice") == 0) {
        int sym = mock_binance_symbol(m, r, out);
        if (sym >= 0)
            resp_json(out, 200,
                      json_pack("{s:i,s:o,s:I}", "mins", 5, "price",
                                json_units(mock_price_at(&m->syms[sym], now)), "closeTime",
                                (json_int_t)now));
    } else {
        return false;
    }
    return true;
}
