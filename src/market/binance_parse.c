/*
 * binance_parse.c - Binance Spot REST bodies to structs (binance_parse.h).
 */
#include "market/binance_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "market/venue_json.h"

#define KLINE_FIELDS 12

/* One kline row; *c is written only when every field is valid. */
static qf_rc kline_row(const json_t *row, size_t i, int64_t interval_ms, qf_candle *c, qf_err *err)
{
    static const char *const names[KLINE_FIELDS] = {
        "openTime",  "open",        "high",   "low",          "close",         "volume",
        "closeTime", "quoteVolume", "trades", "takerBuyBase", "takerBuyQuote", "ignore"};
    char what[64];
    if (!json_is_array(row) || json_array_size(row) < KLINE_FIELDS - 1)
        return qf_err_set(err, QF_EPARSE, "row %zu: expected an array of %d fields, got %s", i,
                          KLINE_FIELDS, json_is_array(row) ? "fewer" : qf_venue_json_kind(row));
    qf_candle k = qf_candle_blank();
    int64_t close_time = 0;
    double *dec[] = {NULL,
                     &k.open,
                     &k.high,
                     &k.low,
                     &k.close,
                     &k.volume,
                     NULL,
                     &k.quote_volume,
                     NULL,
                     &k.taker_buy_base,
                     &k.taker_buy_quote};
    for (size_t f = 0; f < KLINE_FIELDS - 1; f++) {
        snprintf(what, sizeof what, "row %zu field %s", i, names[f]);
        const json_t *v = json_array_get(row, f);
        qf_rc rc;
        if (f == 0)
            rc = qf_venue_int(v, what, &k.open_time, err);
        else if (f == 6)
            rc = qf_venue_int(v, what, &close_time, err);
        else if (f == 8)
            rc = qf_venue_int(v, what, &k.trades, err);
        else
            rc = qf_venue_decimal(v, what, dec[f], err);
        if (rc != QF_OK)
            return rc;
    }
    if (k.open_time < 0 || k.trades < 0)
        return qf_err_set(err, QF_EPARSE, "row %zu: negative openTime or trades", i);
    if (interval_ms > 0 && close_time != k.open_time + interval_ms - 1)
        return qf_err_set(err, QF_EPARSE,
                          "row %zu field closeTime: %lld is not openTime + interval - 1", i,
                          (long long)close_time);
    if (!(k.low <= k.open && k.low <= k.close && k.high >= k.open && k.high >= k.close))
        return qf_err_set(err, QF_EPARSE, "row %zu: open/close outside [low, high]", i);
    *c = k;
    return QF_OK;
}

qf_rc qf_binance_parse_klines(const char *body, size_t len, int64_t interval_ms, qf_candles *out,
                              qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    qf_candles tmp;
    qf_candles_init(&tmp);
    if (!json_is_array(doc)) {
        rc = qf_err_set(err, QF_EPARSE, "expected an array of klines, got %s",
                        qf_venue_json_kind(doc));
        goto done;
    }
    size_t n = json_array_size(doc);
    rc = qf_candles_reserve(&tmp, n, err);
    for (size_t i = 0; rc == QF_OK && i < n; i++) {
        qf_candle c;
        rc = kline_row(json_array_get(doc, i), i, interval_ms, &c, err);
        if (rc == QF_OK && i > 0 && c.open_time <= tmp.v[i - 1].open_time)
            rc =
                qf_err_set(err, QF_EPARSE, "row %zu field openTime: not after the previous row", i);
        if (rc == QF_OK)
            rc = qf_candles_push(&tmp, &c, err);
    }
    if (rc == QF_OK) {
        qf_candles_cleanup(out);
        *out = tmp;
        qf_candles_init(&tmp);
    }
done:
    qf_candles_cleanup(&tmp);
    json_decref(doc);
    return rc;
}

qf_rc qf_binance_parse_time(const char *body, size_t len, int64_t *out_ms, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    int64_t t = 0;
    if (!json_is_object(doc))
        rc = qf_err_set(err, QF_EPARSE, "expected an object, got %s", qf_venue_json_kind(doc));
    else
        rc = qf_venue_int(json_object_get(doc, "serverTime"), "serverTime", &t, err);
    if (rc == QF_OK && t <= 0)
        rc = qf_err_set(err, QF_EPARSE, "serverTime: %lld is not a time", (long long)t);
    if (rc == QF_OK)
        *out_ms = t;
    json_decref(doc);
    return rc;
}

/* Reads a decimal member of a filter object. */
static qf_rc filter_dec(const json_t *f, const char *sym, const char *type, const char *key,
                        double *out, qf_err *err)
{
    char what[96];
    snprintf(what, sizeof what, "symbol %s filter %s field %s", sym, type, key);
    return qf_venue_decimal(json_object_get(f, key), what, out, err);
}

static qf_rc filter_flag(const json_t *f, const char *sym, const char *type, const char *key,
                         bool *out, qf_err *err)
{
    const json_t *v = json_object_get(f, key);
    if (v == NULL) {
        *out = true; /* the documented default */
        return QF_OK;
    }
    char what[96];
    snprintf(what, sizeof what, "symbol %s filter %s field %s", sym, type, key);
    return qf_venue_bool(v, what, out, err);
}

static qf_rc apply_filter(const json_t *f, qf_symbol_rules *r, qf_err *err)
{
    const char *sym = r->venue_symbol;
    const json_t *t = json_object_get(f, "filterType");
    if (!json_is_string(t))
        return qf_err_set(err, QF_EPARSE, "symbol %s: filter without a filterType string", sym);
    const char *type = json_string_value(t);
    qf_rc rc = QF_OK;
    if (strcmp(type, "PRICE_FILTER") == 0) {
        rc = filter_dec(f, sym, type, "minPrice", &r->min_price, err);
        if (rc == QF_OK)
            rc = filter_dec(f, sym, type, "maxPrice", &r->max_price, err);
        if (rc == QF_OK)
            rc = filter_dec(f, sym, type, "tickSize", &r->tick_size, err);
    } else if (strcmp(type, "LOT_SIZE") == 0 || strcmp(type, "MARKET_LOT_SIZE") == 0) {
        bool market = type[0] == 'M';
        rc = filter_dec(f, sym, type, "minQty", market ? &r->market_min_qty : &r->min_qty, err);
        if (rc == QF_OK)
            rc = filter_dec(f, sym, type, "maxQty", market ? &r->market_max_qty : &r->max_qty, err);
        if (rc == QF_OK)
            rc = filter_dec(f, sym, type, "stepSize", market ? &r->market_step_size : &r->step_size,
                            err);
    } else if (strcmp(type, "NOTIONAL") == 0) {
        rc = filter_dec(f, sym, type, "minNotional", &r->min_notional, err);
        if (rc == QF_OK && json_object_get(f, "maxNotional") != NULL)
            rc = filter_dec(f, sym, type, "maxNotional", &r->max_notional, err);
        if (rc == QF_OK)
            rc = filter_flag(f, sym, type, "applyMinToMarket", &r->min_notional_market, err);
        if (rc == QF_OK)
            rc = filter_flag(f, sym, type, "applyMaxToMarket", &r->max_notional_market, err);
    } else if (strcmp(type, "MIN_NOTIONAL") == 0) {
        rc = filter_dec(f, sym, type, "minNotional", &r->min_notional, err);
        if (rc == QF_OK)
            rc = filter_flag(f, sym, type, "applyToMarket", &r->min_notional_market, err);
    }
    return rc;
}

/* One symbols[] entry. *out_skip is set for a symbol QuantFlow cannot
 * spell (an exotic quote asset); that is not an error. */
static qf_rc symbol_rules(const json_t *s, size_t i, int64_t fetched_at, qf_symbol_rules *r,
                          bool *out_skip, qf_err *err)
{
    char what[64];
    memset(r, 0, sizeof *r);
    *out_skip = false;
    if (!json_is_object(s))
        return qf_err_set(err, QF_EPARSE, "symbols[%zu]: expected an object, got %s", i,
                          qf_venue_json_kind(s));
    snprintf(what, sizeof what, "symbols[%zu].symbol", i);
    qf_rc rc = qf_venue_string(json_object_get(s, "symbol"), what, r->venue_symbol,
                               sizeof r->venue_symbol, err);
    char status[32];
    if (rc == QF_OK) {
        snprintf(what, sizeof what, "symbol %s field status", r->venue_symbol);
        rc = qf_venue_string(json_object_get(s, "status"), what, status, sizeof status, err);
    }
    if (rc == QF_OK) {
        snprintf(what, sizeof what, "symbol %s field baseAsset", r->venue_symbol);
        rc = qf_venue_string(json_object_get(s, "baseAsset"), what, r->base, sizeof r->base, err);
    }
    if (rc == QF_OK) {
        snprintf(what, sizeof what, "symbol %s field quoteAsset", r->venue_symbol);
        rc =
            qf_venue_string(json_object_get(s, "quoteAsset"), what, r->quote, sizeof r->quote, err);
    }
    if (rc != QF_OK)
        return rc;
    int n = snprintf(r->symbol, sizeof r->symbol, "%s/%s", r->base, r->quote);
    if (n < 0 || (size_t)n >= sizeof r->symbol || qf_symbol_validate(r->symbol, NULL) != QF_OK) {
        *out_skip = true;
        return QF_OK;
    }
    r->trading = strcmp(status, "TRADING") == 0;
    r->fetched_at = fetched_at;
    const json_t *filters = json_object_get(s, "filters");
    if (!json_is_array(filters))
        return qf_err_set(err, QF_EPARSE, "symbol %s field filters: expected an array, got %s",
                          r->venue_symbol, qf_venue_json_kind(filters));
    for (size_t k = 0; k < json_array_size(filters); k++) {
        rc = apply_filter(json_array_get(filters, k), r, err);
        if (rc != QF_OK)
            return rc;
    }
    return QF_OK;
}

static int weight_limit(const json_t *doc)
{
    const json_t *limits = json_object_get(doc, "rateLimits");
    for (size_t i = 0; json_is_array(limits) && i < json_array_size(limits); i++) {
        const json_t *l = json_array_get(limits, i);
        const char *type = json_string_value(json_object_get(l, "rateLimitType"));
        const char *iv = json_string_value(json_object_get(l, "interval"));
        const json_t *num = json_object_get(l, "intervalNum");
        const json_t *lim = json_object_get(l, "limit");
        if (type != NULL && iv != NULL && strcmp(type, "REQUEST_WEIGHT") == 0 &&
            strcmp(iv, "MINUTE") == 0 && json_is_integer(num) && json_integer_value(num) == 1 &&
            json_is_integer(lim) && json_integer_value(lim) > 0 &&
            json_integer_value(lim) < 1000000000)
            return (int)json_integer_value(lim);
    }
    return -1;
}

qf_rc qf_binance_parse_exchange_info(const char *body, size_t len, int64_t fetched_at,
                                     qf_symbol_rules **out, size_t *out_n, int *out_weight_limit,
                                     qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    const json_t *syms = json_is_object(doc) ? json_object_get(doc, "symbols") : NULL;
    qf_symbol_rules *v = NULL;
    size_t n = 0;
    if (!json_is_array(syms)) {
        rc = qf_err_set(err, QF_EPARSE, "field symbols: expected an array, got %s",
                        qf_venue_json_kind(syms));
        goto done;
    }
    v = calloc(json_array_size(syms) + 1, sizeof *v);
    if (v == NULL) {
        rc = qf_err_set(err, QF_ENOMEM, "exchangeInfo: out of memory");
        goto done;
    }
    for (size_t i = 0; i < json_array_size(syms); i++) {
        bool skip = false;
        rc = symbol_rules(json_array_get(syms, i), i, fetched_at, &v[n], &skip, err);
        if (rc != QF_OK)
            goto done;
        if (!skip)
            n++;
    }
    *out = v;
    *out_n = n;
    v = NULL;
    if (out_weight_limit != NULL)
        *out_weight_limit = weight_limit(doc);
done:
    free(v);
    json_decref(doc);
    return rc;
}

qf_rc qf_binance_parse_book_ticker(const char *body, size_t len, qf_ticker *out, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    qf_ticker t = {0};
    if (!json_is_object(doc))
        rc = qf_err_set(err, QF_EPARSE, "expected an object, got %s", qf_venue_json_kind(doc));
    if (rc == QF_OK)
        rc = qf_venue_decimal(json_object_get(doc, "bidPrice"), "bidPrice", &t.bid, err);
    if (rc == QF_OK)
        rc = qf_venue_decimal(json_object_get(doc, "bidQty"), "bidQty", &t.bid_qty, err);
    if (rc == QF_OK)
        rc = qf_venue_decimal(json_object_get(doc, "askPrice"), "askPrice", &t.ask, err);
    if (rc == QF_OK)
        rc = qf_venue_decimal(json_object_get(doc, "askQty"), "askQty", &t.ask_qty, err);
    if (rc == QF_OK && t.bid > 0 && t.ask > 0 && t.bid > t.ask)
        rc = qf_err_set(err, QF_EPARSE, "bidPrice above askPrice");
    if (rc == QF_OK)
        *out = t;
    json_decref(doc);
    return rc;
}

static qf_rc depth_side(const json_t *side, const char *name, qf_book_level *lv, qf_err *err)
{
    char what[64];
    for (size_t i = 0; i < json_array_size(side); i++) {
        const json_t *l = json_array_get(side, i);
        if (!json_is_array(l) || json_array_size(l) < 2)
            return qf_err_set(err, QF_EPARSE, "%s[%zu]: expected [\"price\",\"qty\"]", name, i);
        snprintf(what, sizeof what, "%s[%zu] price", name, i);
        qf_rc rc = qf_venue_decimal(json_array_get(l, 0), what, &lv[i].price, err);
        if (rc != QF_OK)
            return rc;
        snprintf(what, sizeof what, "%s[%zu] qty", name, i);
        rc = qf_venue_decimal(json_array_get(l, 1), what, &lv[i].qty, err);
        if (rc != QF_OK)
            return rc;
    }
    return QF_OK;
}

qf_rc qf_binance_parse_depth(const char *body, size_t len, qf_book_level **out_levels,
                             size_t *out_n_bids, size_t *out_n_asks, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    const json_t *bids = json_object_get(doc, "bids");
    const json_t *asks = json_object_get(doc, "asks");
    qf_book_level *lv = NULL;
    if (!json_is_array(bids) || !json_is_array(asks)) {
        rc = qf_err_set(err, QF_EPARSE, "field %s: expected an array, got %s",
                        json_is_array(bids) ? "asks" : "bids",
                        qf_venue_json_kind(json_is_array(bids) ? asks : bids));
        goto done;
    }
    size_t nb = json_array_size(bids), na = json_array_size(asks);
    if (nb > QF_BOOK_LEVELS_MAX || na > QF_BOOK_LEVELS_MAX) {
        rc = qf_err_set(err, QF_EPARSE, "more than %d levels on a side", QF_BOOK_LEVELS_MAX);
        goto done;
    }
    lv = malloc((nb + na + 1) * sizeof *lv);
    if (lv == NULL) {
        rc = qf_err_set(err, QF_ENOMEM, "depth: out of memory");
        goto done;
    }
    rc = depth_side(bids, "bids", lv, err);
    if (rc == QF_OK)
        rc = depth_side(asks, "asks", lv + nb, err);
    if (rc == QF_OK) {
        qf_book b = {.bids = lv, .n_bids = nb, .asks = lv + nb, .n_asks = na};
        rc = qf_book_check(&b, err);
        if (rc != QF_OK)
            rc = qf_err_set(err, QF_EPARSE, "%s", err != NULL ? err->msg : "invalid book");
    }
    if (rc == QF_OK) {
        *out_levels = lv;
        *out_n_bids = nb;
        *out_n_asks = na;
        lv = NULL;
    }
done:
    free(lv);
    json_decref(doc);
    return rc;
}

qf_rc qf_binance_parse_error(const char *body, size_t len, int *out_code, char *msg,
                             size_t msg_size, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    const json_t *code = json_object_get(doc, "code");
    const json_t *m = json_object_get(doc, "msg");
    if (!json_is_integer(code) || !json_is_string(m) || json_integer_value(code) < -1000000 ||
        json_integer_value(code) > 1000000) {
        rc = qf_err_set(err, QF_EPARSE, "not a Binance error body {\"code\",\"msg\"}");
    } else {
        *out_code = (int)json_integer_value(code);
        if (msg_size > 0)
            snprintf(msg, msg_size, "%s", json_string_value(m));
    }
    json_decref(doc);
    return rc;
}
