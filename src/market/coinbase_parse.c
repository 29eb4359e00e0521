/*
 * coinbase_parse.c - Coinbase Advanced Trade bodies to structs
 * (coinbase_parse.h).
 */
#include "market/coinbase_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "core/time.h"
#include "market/venue_json.h"

static qf_rc candle_row(const json_t *row, size_t i, qf_candle *c, qf_err *err)
{
    char what[64];
    if (!json_is_object(row))
        return qf_err_set(err, QF_EPARSE, "candles[%zu]: expected an object, got %s", i,
                          qf_venue_json_kind(row));
    qf_candle k = qf_candle_blank();
    int64_t start = 0;
    snprintf(what, sizeof what, "candles[%zu] field start", i);
    qf_rc rc = qf_venue_int_string(json_object_get(row, "start"), what, &start, err);
    static const char *const names[] = {"open", "high", "low", "close", "volume"};
    double *dst[] = {&k.open, &k.high, &k.low, &k.close, &k.volume};
    for (size_t f = 0; rc == QF_OK && f < 5; f++) {
        snprintf(what, sizeof what, "candles[%zu] field %s", i, names[f]);
        rc = qf_venue_decimal(json_object_get(row, names[f]), what, dst[f], err);
    }
    if (rc != QF_OK)
        return rc;
    if (start > INT64_C(253402300799))
        return qf_err_set(err, QF_EPARSE, "candles[%zu] field start: out of range", i);
    if (!(k.low <= k.open && k.low <= k.close && k.high >= k.open && k.high >= k.close))
        return qf_err_set(err, QF_EPARSE, "candles[%zu]: open/close outside [low, high]", i);
    k.open_time = start * 1000;
    *c = k;
    return QF_OK;
}

static int by_time(const void *a, const void *b)
{
    int64_t x = ((const qf_candle *)a)->open_time, y = ((const qf_candle *)b)->open_time;
    return (x > y) - (x < y);
}

static bool same_values(const qf_candle *a, const qf_candle *b)
{
    return a->open == b->open && a->high == b->high && a->low == b->low && a->close == b->close &&
           a->volume == b->volume;
}

/* Sorts ascending and drops identical duplicates; QF_EPARSE on a conflict. */
static qf_rc sort_dedup(qf_candles *c, qf_err *err)
{
    if (c->n > 1)
        qsort(c->v, c->n, sizeof *c->v, by_time);
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (k > 0 && c->v[k - 1].open_time == c->v[i].open_time) {
            if (!same_values(&c->v[k - 1], &c->v[i]))
                return qf_err_set(err, QF_EPARSE, "two different candles start at %lld",
                                  (long long)(c->v[i].open_time / 1000));
            continue;
        }
        c->v[k++] = c->v[i];
    }
    c->n = k;
    return QF_OK;
}

qf_rc qf_coinbase_parse_candles(const char *body, size_t len, qf_candles *out, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    const json_t *rows = json_is_object(doc) ? json_object_get(doc, "candles") : NULL;
    qf_candles tmp;
    qf_candles_init(&tmp);
    if (!json_is_array(rows)) {
        rc = qf_err_set(err, QF_EPARSE, "field candles: expected an array, got %s",
                        qf_venue_json_kind(rows));
        goto done;
    }
    rc = qf_candles_reserve(&tmp, json_array_size(rows), err);
    for (size_t i = 0; rc == QF_OK && i < json_array_size(rows); i++) {
        qf_candle c;
        rc = candle_row(json_array_get(rows, i), i, &c, err);
        if (rc == QF_OK)
            rc = qf_candles_push(&tmp, &c, err);
    }
    if (rc == QF_OK)
        rc = sort_dedup(&tmp, err);
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

qf_rc qf_coinbase_parse_time(const char *body, size_t len, int64_t *out_ms, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    int64_t t = 0;
    if (!json_is_object(doc))
        rc = qf_err_set(err, QF_EPARSE, "expected an object, got %s", qf_venue_json_kind(doc));
    else
        rc = qf_venue_int_string(json_object_get(doc, "epochMillis"), "epochMillis", &t, err);
    if (rc == QF_OK && t <= 0)
        rc = qf_err_set(err, QF_EPARSE, "epochMillis: %lld is not a time", (long long)t);
    if (rc == QF_OK)
        *out_ms = t;
    json_decref(doc);
    return rc;
}

/* An optional decimal member (absent or "" = 0 = no rule). */
static qf_rc opt_dec(const json_t *p, const char *id, const char *key, double *out, qf_err *err)
{
    const json_t *v = json_object_get(p, key);
    if (v == NULL || (json_is_string(v) && json_string_length(v) == 0)) {
        *out = 0;
        return QF_OK;
    }
    char what[96];
    snprintf(what, sizeof what, "product %s field %s", id, key);
    return qf_venue_decimal(v, what, out, err);
}

static qf_rc opt_flag(const json_t *p, const char *id, const char *key, bool *out, qf_err *err)
{
    const json_t *v = json_object_get(p, key);
    *out = false;
    if (v == NULL)
        return QF_OK;
    char what[96];
    snprintf(what, sizeof what, "product %s field %s", id, key);
    return qf_venue_bool(v, what, out, err);
}

/* One product; *out_skip for a product id QuantFlow cannot spell. */
static qf_rc product_rules(const json_t *p, size_t i, int64_t fetched_at, qf_symbol_rules *r,
                           bool *out_skip, qf_err *err)
{
    char what[64], status[32] = "";
    memset(r, 0, sizeof *r);
    *out_skip = false;
    if (!json_is_object(p))
        return qf_err_set(err, QF_EPARSE, "products[%zu]: expected an object, got %s", i,
                          qf_venue_json_kind(p));
    snprintf(what, sizeof what, "products[%zu].product_id", i);
    qf_rc rc = qf_venue_string(json_object_get(p, "product_id"), what, r->venue_symbol,
                               sizeof r->venue_symbol, err);
    if (rc != QF_OK)
        return rc;
    const char *id = r->venue_symbol;
    const char *dash = strchr(id, '-');
    if (dash == NULL || (size_t)(dash - id) >= sizeof r->base ||
        strlen(dash + 1) >= sizeof r->quote) {
        *out_skip = true;
        return QF_OK;
    }
    memcpy(r->base, id, (size_t)(dash - id));
    r->base[dash - id] = '\0';
    snprintf(r->quote, sizeof r->quote, "%s", dash + 1);
    int n = snprintf(r->symbol, sizeof r->symbol, "%s/%s", r->base, r->quote);
    if (n < 0 || (size_t)n >= sizeof r->symbol || qf_symbol_validate(r->symbol, NULL) != QF_OK) {
        *out_skip = true;
        return QF_OK;
    }
    const json_t *st = json_object_get(p, "status");
    if (st != NULL) {
        snprintf(what, sizeof what, "product %s field status", id);
        rc = qf_venue_string(st, what, status, sizeof status, err);
    }
    bool disabled = false, cancel_only = false;
    if (rc == QF_OK)
        rc = opt_flag(p, id, "trading_disabled", &disabled, err);
    if (rc == QF_OK)
        rc = opt_flag(p, id, "cancel_only", &cancel_only, err);
    if (rc == QF_OK)
        rc = opt_dec(p, id, "price_increment", &r->tick_size, err);
    if (rc == QF_OK && r->tick_size == 0)
        rc = opt_dec(p, id, "quote_increment", &r->tick_size, err);
    if (rc == QF_OK)
        rc = opt_dec(p, id, "base_increment", &r->step_size, err);
    if (rc == QF_OK)
        rc = opt_dec(p, id, "base_min_size", &r->min_qty, err);
    if (rc == QF_OK)
        rc = opt_dec(p, id, "base_max_size", &r->max_qty, err);
    if (rc == QF_OK)
        rc = opt_dec(p, id, "quote_min_size", &r->min_notional, err);
    if (rc == QF_OK)
        rc = opt_dec(p, id, "quote_max_size", &r->max_notional, err);
    if (rc != QF_OK)
        return rc;
    r->trading = (status[0] == '\0' || strcmp(status, "online") == 0) && !disabled && !cancel_only;
    r->min_notional_market = r->min_notional > 0;
    r->max_notional_market = r->max_notional > 0;
    r->fetched_at = fetched_at;
    return QF_OK;
}

qf_rc qf_coinbase_parse_products(const char *body, size_t len, int64_t fetched_at,
                                 qf_symbol_rules **out, size_t *out_n, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    qf_symbol_rules *v = NULL;
    size_t n = 0;
    const json_t *list = json_is_object(doc) ? json_object_get(doc, "products") : NULL;
    bool single = json_is_object(doc) && list == NULL && json_object_get(doc, "product_id");
    if (!single && !json_is_array(list)) {
        rc = qf_err_set(err, QF_EPARSE, "field products: expected an array, got %s",
                        qf_venue_json_kind(list));
        goto done;
    }
    size_t total = single ? 1 : json_array_size(list);
    v = calloc(total + 1, sizeof *v);
    if (v == NULL) {
        rc = qf_err_set(err, QF_ENOMEM, "products: out of memory");
        goto done;
    }
    for (size_t i = 0; i < total; i++) {
        bool skip = false;
        rc =
            product_rules(single ? doc : json_array_get(list, i), i, fetched_at, &v[n], &skip, err);
        if (rc != QF_OK)
            goto done;
        if (!skip)
            n++;
    }
    *out = v;
    *out_n = n;
    v = NULL;
done:
    free(v);
    json_decref(doc);
    return rc;
}

qf_rc qf_coinbase_parse_ticker(const char *body, size_t len, qf_ticker *out, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    qf_ticker t = {.bid_qty = NAN, .ask_qty = NAN};
    if (!json_is_object(doc))
        rc = qf_err_set(err, QF_EPARSE, "expected an object, got %s", qf_venue_json_kind(doc));
    if (rc == QF_OK)
        rc = qf_venue_decimal(json_object_get(doc, "best_bid"), "best_bid", &t.bid, err);
    if (rc == QF_OK)
        rc = qf_venue_decimal(json_object_get(doc, "best_ask"), "best_ask", &t.ask, err);
    if (rc == QF_OK && t.bid > 0 && t.ask > 0 && t.bid > t.ask)
        rc = qf_err_set(err, QF_EPARSE, "best_bid above best_ask");
    if (rc == QF_OK)
        *out = t;
    json_decref(doc);
    return rc;
}

/* One side of the pricebook into lv: [{"price":"…","size":"…"}, …]. */
static qf_rc book_side(const json_t *side, const char *name, qf_book_level *lv, qf_err *err)
{
    char what[64];
    for (size_t i = 0; i < json_array_size(side); i++) {
        const json_t *l = json_array_get(side, i);
        if (!json_is_object(l))
            return qf_err_set(err, QF_EPARSE, "pricebook.%s[%zu]: expected an object, got %s", name,
                              i, qf_venue_json_kind(l));
        snprintf(what, sizeof what, "pricebook.%s[%zu].price", name, i);
        qf_rc rc = qf_venue_decimal(json_object_get(l, "price"), what, &lv[i].price, err);
        if (rc != QF_OK)
            return rc;
        snprintf(what, sizeof what, "pricebook.%s[%zu].size", name, i);
        rc = qf_venue_decimal(json_object_get(l, "size"), what, &lv[i].qty, err);
        if (rc != QF_OK)
            return rc;
    }
    return QF_OK;
}

qf_rc qf_coinbase_parse_book(const char *body, size_t len, char *out_product, size_t product_size,
                             int64_t *out_time, qf_book_level **out_levels, size_t *out_n_bids,
                             size_t *out_n_asks, qf_err *err)
{
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    qf_book_level *lv = NULL;
    char product[QF_VENUE_SYMBOL_MAX], when[64];
    int64_t t = 0;
    const json_t *pb = json_is_object(doc) ? json_object_get(doc, "pricebook") : NULL;
    const json_t *bids = json_object_get(pb, "bids");
    const json_t *asks = json_object_get(pb, "asks");
    if (!json_is_object(pb)) {
        rc = qf_err_set(err, QF_EPARSE, "field pricebook: expected an object, got %s",
                        qf_venue_json_kind(pb));
        goto done;
    }
    rc = qf_venue_string(json_object_get(pb, "product_id"), "pricebook.product_id", product,
                         sizeof product, err);
    if (rc == QF_OK)
        rc = qf_venue_string(json_object_get(pb, "time"), "pricebook.time", when, sizeof when, err);
    if (rc != QF_OK)
        goto done;
    if (qf_time_parse_iso(when, &t, NULL) != QF_OK) {
        rc = qf_err_set(err, QF_EPARSE, "pricebook.time: \"%.40s\" is not an RFC 3339 time", when);
        goto done;
    }
    if (!json_is_array(bids) || !json_is_array(asks)) {
        rc = qf_err_set(err, QF_EPARSE, "pricebook.%s: expected an array, got %s",
                        json_is_array(bids) ? "asks" : "bids",
                        qf_venue_json_kind(json_is_array(bids) ? asks : bids));
        goto done;
    }
    size_t nb = json_array_size(bids), na = json_array_size(asks);
    if (nb > QF_BOOK_LEVELS_MAX || na > QF_BOOK_LEVELS_MAX) {
        rc = qf_err_set(err, QF_EPARSE, "pricebook: more than %d levels on a side",
                        QF_BOOK_LEVELS_MAX);
        goto done;
    }
    lv = malloc((nb + na + 1) * sizeof *lv);
    if (lv == NULL) {
        rc = qf_err_set(err, QF_ENOMEM, "pricebook: out of memory");
        goto done;
    }
    rc = book_side(bids, "bids", lv, err);
    if (rc == QF_OK)
        rc = book_side(asks, "asks", lv + nb, err);
    if (rc == QF_OK) {
        qf_book b = {.bids = lv, .n_bids = nb, .asks = lv + nb, .n_asks = na};
        qf_err why;
        if (qf_book_check(&b, &why) != QF_OK)
            rc = qf_err_set(err, QF_EPARSE, "pricebook: %s", why.msg);
    }
    if (rc == QF_OK && strlen(product) >= product_size)
        rc = qf_err_set(err, QF_ERANGE, "pricebook.product_id: too long");
    if (rc == QF_OK) {
        memcpy(out_product, product, strlen(product) + 1);
        *out_time = t;
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

/* Printable copy: control characters become spaces. */
static void printable(const char *s, size_t n, char *out, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++)
        out[k++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
    if (size > 0)
        out[k] = '\0';
}

qf_rc qf_coinbase_parse_error(const char *body, size_t len, char *msg, size_t msg_size,
                              bool *out_not_found, qf_err *err)
{
    *out_not_found = false;
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
        i++;
    if (i == len || body[i] == '<')
        return qf_err_set(err, QF_EPARSE, "not a Coinbase error body (%s)",
                          i == len ? "empty" : "HTML page");
    if (body[i] != '{' && body[i] != '[') {
        size_t n = len - i < 80 ? len - i : 80; /* "Unauthorized" */
        printable(body + i, n, msg, msg_size);
        return QF_OK;
    }
    json_t *doc = NULL;
    qf_rc rc = qf_venue_json_load(body, len, &doc, err);
    if (rc != QF_OK)
        return rc;
    const char *e = json_string_value(json_object_get(doc, "error"));
    const char *m = json_string_value(json_object_get(doc, "message"));
    if (e == NULL && m == NULL) {
        json_decref(doc);
        return qf_err_set(err, QF_EPARSE, "not a Coinbase error body (no error or message)");
    }
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s%s%s", e != NULL ? e : "", e != NULL && m != NULL ? ": " : "",
             m != NULL ? m : "");
    printable(tmp, strlen(tmp), msg, msg_size);
    *out_not_found =
        (e != NULL && strcmp(e, "NOT_FOUND") == 0) || (m != NULL && strcmp(m, "NotFound") == 0);
    json_decref(doc);
    return QF_OK;
}
