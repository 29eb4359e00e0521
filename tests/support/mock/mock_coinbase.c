/*
 * mock_coinbase.c - Coinbase: Exchange API candles (/products/{id}/candles)
 * and Advanced Trade under /api/v3/brokerage (time, products, candles,
 * ticker, product_book, orders, fills, batch cancel, accounts, key_permissions).
 *
 * Products are BTC-USDT, ETH-USDT and SOL-USDT (CONVENTIONS: BTC/USDT <->
 * BTC-USDT), priced and filled by the same book as Binance; one account.
 * Candles come from the bundled data: BTC-USDT from the 1h file at every
 * granularity, ETH/SOL only at granularities the 4h data divides (1 day).
 * Every Advanced Trade path but /time and /market/... needs a valid JWT
 * (mock_jwt.c); otherwise 401 with the plain-text body "Unauthorized".
 * Order rejections come back with HTTP 200 and success:false, as Coinbase
 * does; client_order_id is an idempotency key: a repeat returns the order
 * made first and creates nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

#define AT          "/api/v3/brokerage"
#define MAX_BUCKETS 300

static json_t *num(mock_u u)
{
    if (u % MOCK_UNIT == 0)
        return json_integer(u / MOCK_UNIT);
    return json_real(mock_units_d(u));
}

static void resp_json_numbers(mock_resp *out, json_t *j)
{
    /* 15 significant digits: 84349.95 stays 84349.95, not 84349.949999999997 */
    free(out->body);
    out->body = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(j);
    out->status = out->body ? 200 : 500;
    out->ctype = "application/json";
    if (!out->body)
        out->body = strdup("{\"message\":\"out of memory\"}");
}

static void exchange_err(mock_resp *out, int status, const char *msg)
{
    resp_json(out, status, json_pack("{s:s}", "message", msg));
}

/* ---- Exchange API candles ---- */

static bool granularity_ok(int64_t g)
{
    return g == 60 || g == 300 || g == 900 || g == 3600 || g == 21600 || g == 86400;
}

static void exchange_candles(qf_mock *m, const mock_req *r, int sym, int64_t now, mock_resp *out)
{
    const char *gs = req_param(r, "granularity"), *ss = req_param(r, "start"),
               *es = req_param(r, "end");
    int64_t g = 60, start, end;
    if (gs && (!mock_parse_i64(gs, &g) || !granularity_ok(g))) {
        exchange_err(out, 400, "Unsupported granularity");
        return;
    }
    if ((ss == NULL) != (es == NULL)) {
        exchange_err(out, 400, "start and end must both be given or both be omitted");
        return;
    }
    if (ss) {
        if (!mock_parse_iso(ss, &start) || !mock_parse_iso(es, &end)) {
            exchange_err(out, 400, "Invalid start or end: ISO 8601 expected");
            return;
        }
        if (end < start) {
            exchange_err(out, 400, "start must be before end");
            return;
        }
    } else {
        end = now;
        start = end - (MAX_BUCKETS - 1) * g * 1000;
    }
    if ((end - start) / (g * 1000) + 1 > MAX_BUCKETS) {
        exchange_err(out, 400,
                     "granularity too small for the requested time range. Count of aggregations "
                     "requested exceeds 300");
        return;
    }
    mock_bar rows[MAX_BUCKETS + 1];
    long n = mock_buckets(&m->syms[sym], g * 1000, start - start % (g * 1000), end, MAX_BUCKETS + 1,
                          false, now, rows);
    if (n < 0) {
        exchange_err(out, 400, "mock: no data at this granularity for this product");
        return;
    }
    json_t *a = json_array();
    for (long i = n - 1; i >= 0; i--) /* newest first */
        json_array_append_new(a, json_pack("[I,o,o,o,o,o]", (json_int_t)(rows[i].open_time / 1000),
                                           num(rows[i].l), num(rows[i].h), num(rows[i].o),
                                           num(rows[i].c), num(rows[i].v)));
    resp_json_numbers(out, a);
}

/* ---- Advanced Trade ---- */

static const struct {
    const char *name;
    int64_t s;
} GRANS[] = {{"ONE_MINUTE", 60},      {"FIVE_MINUTE", 300}, {"FIFTEEN_MINUTE", 900},
             {"THIRTY_MINUTE", 1800}, {"ONE_HOUR", 3600},   {"TWO_HOUR", 7200},
             {"FOUR_HOUR", 14400},    {"SIX_HOUR", 21600},  {"ONE_DAY", 86400}};

static void at_candles(qf_mock *m, const mock_req *r, int sym, int64_t now, mock_resp *out)
{
    const char *gs = req_param(r, "granularity"), *ss = req_param(r, "start"),
               *es = req_param(r, "end"), *ls = req_param(r, "limit");
    int64_t g = 0, start, end, limit = 350;
    for (size_t i = 0; gs && i < sizeof GRANS / sizeof GRANS[0]; i++)
        if (strcmp(gs, GRANS[i].name) == 0)
            g = GRANS[i].s;
    if (!g) {
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT", "granularity is missing or invalid");
        return;
    }
    if (!ss || !es || !mock_parse_i64(ss, &start) || !mock_parse_i64(es, &end) || end < start) {
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT",
                          "start and end are required: Unix seconds, start <= end");
        return;
    }
    if (ls && (!mock_parse_i64(ls, &limit) || limit < 1 || limit > 350)) {
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT", "limit must be 1..350");
        return;
    }
    if ((end - start) / g + 1 > MAX_BUCKETS) {
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT",
                          "start and end argument is invalid - number of candles requested should "
                          "be less than 350");
        return;
    }
    mock_bar rows[MAX_BUCKETS + 1];
    long n = mock_buckets(&m->syms[sym], g * 1000, (start - start % g) * 1000, end * 1000,
                          limit < MAX_BUCKETS + 1 ? limit : MAX_BUCKETS + 1, false, now, rows);
    if (n < 0) {
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT",
                          "mock: no data at this granularity for this product");
        return;
    }
    json_t *a = json_array();
    for (long i = n - 1; i >= 0; i--) {
        char t[24];
        snprintf(t, sizeof t, "%lld", (long long)(rows[i].open_time / 1000));
        json_array_append_new(
            a,
            json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "start", t, "low", json_units_short(rows[i].l),
                      "high", json_units_short(rows[i].h), "open", json_units_short(rows[i].o),
                      "close", json_units_short(rows[i].c), "volume", json_units_short(rows[i].v)));
    }
    resp_json(out, 200, json_pack("{s:o}", "candles", a));
}

static json_t *product_json(const qf_mock *m, int sym, int64_t now)
{
    const mock_symbol *s = &m->syms[sym];
    json_t *j = json_object();
    json_object_set_new(j, "product_id", json_string(s->product));
    json_object_set_new(j, "price", json_units_short(mock_price_at(s, now)));
    json_object_set_new(j, "volume_24h", json_string("0"));
    json_object_set_new(j, "price_percentage_change_24h", json_string("0"));
    json_object_set_new(j, "base_increment", json_units_short(s->step));
    json_object_set_new(j, "quote_increment", json_units_short(s->tick));
    json_object_set_new(j, "price_increment", json_units_short(s->tick));
    json_object_set_new(j, "base_min_size", json_units_short(s->min_qty));
    json_object_set_new(j, "base_max_size", json_units_short(s->max_qty));
    json_object_set_new(j, "quote_min_size", json_units_short(MOCK_UNIT));
    json_object_set_new(j, "quote_max_size", json_units_short(s->max_notional));
    json_object_set_new(j, "base_name", json_string(s->base));
    json_object_set_new(j, "quote_name", json_string(s->quote));
    json_object_set_new(j, "status", json_string("online"));
    json_object_set_new(j, "is_disabled", json_false());
    json_object_set_new(j, "trading_disabled", json_false());
    json_object_set_new(j, "cancel_only", json_false());
    json_object_set_new(j, "limit_only", json_false());
    json_object_set_new(j, "post_only", json_false());
    json_object_set_new(j, "auction_mode", json_false());
    json_object_set_new(j, "product_type", json_string("SPOT"));
    json_object_set_new(j, "base_currency_id", json_string(s->base));
    json_object_set_new(j, "quote_currency_id", json_string(s->quote));
    json_object_set_new(j, "alias", json_string(""));
    json_object_set_new(j, "alias_to", json_array());
    json_object_set_new(j, "display_name", json_string(s->product));
    return j;
}

static void ticker(qf_mock *m, int sym, int64_t now, mock_resp *out)
{
    mock_u bp, bq, ap, aq;
    mock_book_level(m, sym, true, 0, now, &bp, &bq);
    mock_book_level(m, sym, false, 0, now, &ap, &aq);
    resp_json(out, 200,
              json_pack("{s:[],s:o,s:o}", "trades", "best_bid", json_units_short(bp), "best_ask",
                        json_units_short(ap)));
}

/* GET /product_book?product_id=&limit= (and /market/product_book): the
 * synthetic book of mock_match.c, the same Binance's /depth serves; default
 * limit 100 levels a side (the real default is deeper, aggregated). */
static void product_book(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    const char *pid = req_param(r, "product_id"), *ls = req_param(r, "limit");
    int64_t limit = 100;
    if (!pid || !*pid) {
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT", "product_id is required");
        return;
    }
    int sym = mock_find_product(m, pid);
    if (sym < 0) {
        resp_coinbase_err(out, 404, "NOT_FOUND", "ProductID %.24s could not be found", pid);
        return;
    }
    if (ls && (!mock_parse_i64(ls, &limit) || limit < 1 || limit > MOCK_BOOK_LEVELS)) {
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT", "limit must be 1..%d", MOCK_BOOK_LEVELS);
        return;
    }
    json_t *side[2] = {json_array(), json_array()};
    mock_u best[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < limit; i++) {
            mock_u p, q;
            mock_book_level(m, sym, k == 0, i, now, &p, &q);
            if (i == 0)
                best[k] = p;
            json_array_append_new(side[k], json_pack("{s:o,s:o}", "price", json_units_short(p),
                                                     "size", json_units_short(q)));
        }
    char when[40], bps[32];
    mock_fmt_iso(now, when, sizeof when);
    mock_u mid2 = best[0] + best[1]; /* twice the mid, exact */
    snprintf(bps, sizeof bps, "%.12f",
             1e4 * mock_units_d(best[1] - best[0]) / (mock_units_d(mid2) / 2));
    json_t *j = json_pack("{s:{s:s,s:o,s:o,s:s},s:o,s:o,s:s,s:o}", "pricebook", "product_id",
                          m->syms[sym].product, "bids", side[0], "asks", side[1], "time", when,
                          "last", json_units_short(mock_price_at(&m->syms[sym], now)), "mid_market",
                          json_units_short(mid2 / 2), "spread_bps", bps, "spread_absolute",
                          json_units_short(best[1] - best[0]));
    resp_json(out, 200, j);
}

/* ---- orders ---- */

static const char *cb_status(const mock_order *o)
{
    switch (o->status) {
    case MO_NEW:
    case MO_PARTIALLY_FILLED:
        return "OPEN";
    case MO_FILLED:
        return "FILLED";
    case MO_CANCELED:
        return "CANCELLED";
    case MO_EXPIRED:
        return "EXPIRED";
    default:
        return "FAILED";
    }
}

static json_t *order_config(const mock_order *o)
{
    if (o->market) {
        if (o->orig_quote)
            return json_pack("{s:{s:o}}", "market_market_ioc", "quote_size",
                             json_units_short(o->orig_quote));
        return json_pack("{s:{s:o}}", "market_market_ioc", "base_size",
                         json_units_short(o->orig_qty));
    }
    if (o->tif == MO_FOK)
        return json_pack("{s:{s:o,s:o}}", "limit_limit_fok", "base_size",
                         json_units_short(o->orig_qty), "limit_price", json_units_short(o->price));
    return json_pack("{s:{s:o,s:o,s:b}}", "limit_limit_gtc", "base_size",
                     json_units_short(o->orig_qty), "limit_price", json_units_short(o->price),
                     "post_only", 0);
}

static json_t *cb_order_json(const qf_mock *m, const mock_order *o)
{
    char created[40], last_fill[40] = "";
    mock_fmt_iso(o->time, created, sizeof created);
    int fills = 0;
    for (size_t i = 0; i < m->ntrades; i++)
        if (&m->orders[m->trades[i].order] == o) {
            fills++;
            mock_fmt_iso(m->trades[i].time, last_fill, sizeof last_fill);
        }
    mock_u avg = o->exec_qty ? (mock_u)((mock_i128)o->cum_quote * MOCK_UNIT / o->exec_qty) : 0;
    mock_u base = o->orig_qty ? o->orig_qty : o->exec_qty;
    char pct[32];
    snprintf(pct, sizeof pct, "%.2f",
             base ? 100.0 * mock_units_d(o->exec_qty) / mock_units_d(base) : 0.0);
    json_t *j = json_object();
#define SET(k, v) json_object_set_new(j, k, v)
    SET("order_id", json_string(o->uuid));
    SET("product_id", json_string(m->syms[o->sym].product));
    SET("user_id", json_string("qf-mock-user"));
    SET("order_configuration", order_config(o));
    SET("side", json_string(o->buy ? "BUY" : "SELL"));
    SET("client_order_id", json_string(o->client_id));
    SET("status", json_string(cb_status(o)));
    SET("time_in_force", json_string(o->market || o->tif == MO_IOC ? "IMMEDIATE_OR_CANCEL"
                                     : o->tif == MO_FOK            ? "FILL_OR_KILL"
                                                                   : "GOOD_UNTIL_CANCELLED"));
    SET("created_time", json_string(created));
    SET("completion_percentage", json_string(pct));
    SET("filled_size", json_units_short(o->exec_qty));
    SET("average_filled_price", json_units_short(avg));
    SET("fee", json_string(""));
    SET("number_of_fills", json_sprintf("%d", fills));
    SET("filled_value", json_units_short(o->cum_quote));
    SET("pending_cancel", json_false());
    SET("size_in_quote", json_boolean(o->orig_quote != 0));
    SET("total_fees", json_units_short(o->fees));
    SET("size_inclusive_of_fees", json_false());
    SET("total_value_after_fees",
        json_units_short(o->buy ? o->cum_quote + o->fees : o->cum_quote - o->fees));
    SET("trigger_status", json_string("INVALID_ORDER_TYPE"));
    SET("order_type", json_string(o->market ? "MARKET" : "LIMIT"));
    SET("reject_reason", json_string("REJECT_REASON_UNSPECIFIED"));
    SET("settled", json_boolean(!mock_order_open(o)));
    SET("product_type", json_string("SPOT"));
    SET("reject_message", json_string(""));
    SET("cancel_message", json_string(""));
    SET("order_placement_source", json_string("RETAIL_ADVANCED"));
    SET("outstanding_hold_amount", json_units_short(o->locked));
    SET("is_liquidation", json_false());
#undef SET
    json_object_set_new(j, "last_fill_time", *last_fill ? json_string(last_fill) : json_null());
    return j;
}

static void order_fail(mock_resp *out, const char *reason, const char *preview, const char *msg)
{
    resp_json(out, 200,
              json_pack("{s:b,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "success", 0, "failure_reason",
                        "UNKNOWN_FAILURE_REASON", "order_id", "", "error_response", "error", reason,
                        "message", msg, "error_details", msg, "preview_failure_reason", preview,
                        "new_order_failure_reason", reason));
}

/* A decimal string field of the configuration; false (answered) when bad. */
static bool size_field(json_t *cfg, const char *name, mock_u *v, bool *present, mock_resp *out)
{
    json_t *f = json_object_get(cfg, name);
    *present = f != NULL;
    if (!f)
        return true;
    const char *s = json_string_value(f);
    if (!s || mock_parse_units(s, v) != 0 || *v <= 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s must be a positive decimal string", name);
        order_fail(out, "INVALID_ARGUMENT", "PREVIEW_INVALID_ORDER_CONFIG", msg);
        return false;
    }
    return true;
}

static bool parse_cb_order(qf_mock *m, json_t *body, int64_t now, mock_order *o, json_t **cfg_out,
                           mock_resp *out)
{
    memset(o, 0, sizeof *o);
    o->coinbase = true;
    const char *pid = json_string_value(json_object_get(body, "product_id"));
    const char *side = json_string_value(json_object_get(body, "side"));
    json_t *conf = json_object_get(body, "order_configuration");
    o->sym = mock_find_product(m, pid);
    if (o->sym < 0) {
        order_fail(out, "INVALID_PRODUCT_ID", "PREVIEW_INVALID_PRODUCT_ID", "unknown product_id");
        return false;
    }
    if (!side || (strcmp(side, "BUY") != 0 && strcmp(side, "SELL") != 0)) {
        order_fail(out, "INVALID_SIDE", "PREVIEW_INVALID_SIDE", "side must be BUY or SELL");
        return false;
    }
    o->buy = strcmp(side, "BUY") == 0;
    json_t *c;
    json_t *mk = json_object_get(conf, "market_market_ioc");
    json_t *gtc = json_object_get(conf, "limit_limit_gtc");
    json_t *fok = json_object_get(conf, "limit_limit_fok");
    if (!json_is_object(conf) || json_object_size(conf) != 1 || (!mk && !gtc && !fok)) {
        order_fail(out, "UNSUPPORTED_ORDER_CONFIGURATION", "PREVIEW_INVALID_ORDER_CONFIG",
                   "order_configuration: one of market_market_ioc, limit_limit_gtc, "
                   "limit_limit_fok (mock)");
        return false;
    }
    c = mk ? mk : gtc ? gtc : fok;
    *cfg_out = conf;
    bool has_base, has_quote, has_price;
    if (!size_field(c, "base_size", &o->orig_qty, &has_base, out) ||
        !size_field(c, "quote_size", &o->orig_quote, &has_quote, out) ||
        !size_field(c, "limit_price", &o->price, &has_price, out))
        return false;
    const mock_symbol *s = &m->syms[o->sym];
    if (mk) {
        o->market = true;
        if (has_base == has_quote) {
            order_fail(out, "INVALID_ARGUMENT", "PREVIEW_INVALID_ORDER_CONFIG",
                       "market_market_ioc: exactly one of base_size and quote_size");
            return false;
        }
        o->tif = MO_IOC;
    } else {
        if (!has_base || !has_price || has_quote) {
            order_fail(out, "INVALID_ARGUMENT", "PREVIEW_INVALID_ORDER_CONFIG",
                       "limit orders need base_size and limit_price");
            return false;
        }
        o->tif = fok ? MO_FOK : MO_GTC;
        if (o->price % s->tick) {
            order_fail(out, "INVALID_PRICE_PRECISION", "PREVIEW_INVALID_PRICE_PRECISION",
                       "limit_price is not a multiple of price_increment");
            return false;
        }
        json_t *po = json_object_get(c, "post_only");
        mock_u ask, bid, q;
        mock_book_level(m, o->sym, false, 0, now, &ask, &q);
        mock_book_level(m, o->sym, true, 0, now, &bid, &q);
        if (json_is_true(po) && (o->buy ? o->price >= ask : o->price <= bid)) {
            order_fail(out, "INVALID_LIMIT_PRICE_POST_ONLY",
                       "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY", "post_only order would cross");
            return false;
        }
    }
    if (has_base && o->orig_qty % s->step) {
        order_fail(out, "INVALID_SIZE_PRECISION", "PREVIEW_INVALID_SIZE_PRECISION",
                   "base_size is not a multiple of base_increment");
        return false;
    }
    if (has_base && o->orig_qty < s->min_qty) {
        order_fail(out, "INVALID_SIZE_PRECISION", "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL",
                   "base_size is below base_min_size");
        return false;
    }
    if (has_base && o->orig_qty > s->max_qty) {
        order_fail(out, "INVALID_SIZE_PRECISION", "PREVIEW_INVALID_BASE_SIZE_TOO_LARGE",
                   "base_size is above base_max_size");
        return false;
    }
    mock_u ref = o->market ? mock_price_at(s, now) : o->price;
    mock_u notional = has_quote ? o->orig_quote : mock_mul(ref, o->orig_qty);
    if (notional < MOCK_UNIT) {
        order_fail(out, "INVALID_SIZE_PRECISION", "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL",
                   "order value is below quote_min_size");
        return false;
    }
    return true;
}

static void create_order(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    json_t *body = json_loads(r->body, 0, NULL);
    const char *cid = json_string_value(json_object_get(body, "client_order_id"));
    if (!json_is_object(body) || !cid || !*cid || strlen(cid) > 128) {
        json_decref(body);
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT",
                          "body must be a JSON object with client_order_id, product_id, side and "
                          "order_configuration");
        return;
    }
    for (size_t i = 0; i < m->norders; i++) { /* idempotency key */
        const mock_order *o = &m->orders[i];
        if (o->coinbase && strcmp(o->client_id, cid) == 0) {
            resp_json(out, 200,
                      json_pack("{s:b,s:s,s:{s:s,s:s,s:s,s:s},s:o}", "success", 1, "failure_reason",
                                "UNKNOWN_FAILURE_REASON", "success_response", "order_id", o->uuid,
                                "product_id", m->syms[o->sym].product, "side",
                                o->buy ? "BUY" : "SELL", "client_order_id", o->client_id,
                                "order_configuration", order_config(o)));
            json_decref(body);
            return;
        }
    }
    mock_order o;
    json_t *cfg = NULL;
    if (!parse_cb_order(m, body, now, &o, &cfg, out)) {
        json_decref(body);
        return;
    }
    snprintf(o.client_id, sizeof o.client_id, "%.39s", cid);
    const mock_symbol *s = &m->syms[o.sym];
    mock_u need = o.market ? mock_taker_cost(m, &o, now)
                  : o.buy  ? mock_mul(o.price, o.orig_qty) + mock_mul(o.price, o.orig_qty) / 1000
                           : o.orig_qty;
    if (o.market && o.buy && o.orig_quote) /* the fee comes on top of quote_size */
        need = o.orig_quote + o.orig_quote / 1000;
    if (need > mock_balance_of(m, o.buy ? s->quote : s->base)->free) {
        order_fail(out, "INSUFFICIENT_FUND", "PREVIEW_INSUFFICIENT_FUND", "Insufficient balance");
        json_decref(body);
        return;
    }
    size_t idx = mock_order_add(m, &o);
    json_decref(body);
    if (idx == SIZE_MAX) {
        resp_coinbase_err(out, 500, "INTERNAL", "out of memory");
        return;
    }
    mock_order_execute(m, idx, now);
    const mock_order *d = &m->orders[idx];
    resp_json(out, 200,
              json_pack("{s:b,s:s,s:s,s:{s:s,s:s,s:s,s:s},s:o}", "success", 1, "failure_reason",
                        "UNKNOWN_FAILURE_REASON", "order_id", d->uuid, "success_response",
                        "order_id", d->uuid, "product_id", s->product, "side",
                        d->buy ? "BUY" : "SELL", "client_order_id", d->client_id,
                        "order_configuration", order_config(d)));
}

static size_t find_uuid(const qf_mock *m, const char *id)
{
    for (size_t i = 0; i < m->norders; i++)
        if (m->orders[i].coinbase && strcmp(m->orders[i].uuid, id) == 0)
            return i;
    return SIZE_MAX;
}

static bool param_has(const mock_req *r, const char *name, const char *value)
{
    bool any = false;
    for (int i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, name) == 0 ||
            (strncmp(r->params[i].name, name, strlen(name)) == 0 &&
             strcmp(r->params[i].name + strlen(name), "[]") == 0)) {
            if (strcmp(r->params[i].value, value) == 0)
                return true;
            any = true;
        }
    return !any; /* no such filter: everything passes */
}

static void list_orders(qf_mock *m, const mock_req *r, mock_resp *out)
{
    int64_t limit = 100, cursor = 0;
    const char *ls = req_param(r, "limit"), *cs = req_param(r, "cursor");
    if ((ls && (!mock_parse_i64(ls, &limit) || limit < 1 || limit > 1000)) ||
        (cs && *cs && (!mock_parse_i64(cs, &cursor) || cursor < 0))) {
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT", "bad limit or cursor");
        return;
    }
    json_t *a = json_array();
    int64_t seen = 0;
    bool more = false;
    for (size_t i = m->norders; i-- > 0;) { /* newest first */
        const mock_order *o = &m->orders[i];
        if (!o->coinbase || !param_has(r, "order_status", cb_status(o)) ||
            !param_has(r, "product_id", m->syms[o->sym].product) ||
            !param_has(r, "product_ids", m->syms[o->sym].product) || /* the current name */
            !param_has(r, "client_order_id", o->client_id))
            continue;
        if (seen++ < cursor)
            continue;
        if ((int64_t)json_array_size(a) >= limit) {
            more = true;
            break;
        }
        json_array_append_new(a, cb_order_json(m, o));
    }
    char next[24] = "";
    if (more)
        snprintf(next, sizeof next, "%lld", (long long)(cursor + limit));
    resp_json(out, 200,
              json_pack("{s:o,s:s,s:b,s:s}", "orders", a, "sequence", "0", "has_next", more,
                        "cursor", next));
}

static void list_fills(qf_mock *m, const mock_req *r, mock_resp *out)
{
    json_t *a = json_array();
    for (size_t i = m->ntrades; i-- > 0;) {
        const mock_trade *t = &m->trades[i];
        const mock_order *o = &m->orders[t->order];
        if (!o->coinbase || !param_has(r, "order_id", o->uuid) ||
            !param_has(r, "product_id", m->syms[o->sym].product))
            continue;
        char when[40], tid[24], eid[24];
        mock_fmt_iso(t->time, when, sizeof when);
        snprintf(tid, sizeof tid, "%lld", (long long)t->id);
        snprintf(eid, sizeof eid, "e%lld", (long long)t->id);
        json_array_append_new(
            a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:b,s:s,s:s}", "entry_id",
                         eid, "trade_id", tid, "order_id", o->uuid, "trade_time", when,
                         "trade_type", "FILL", "price", json_units_short(t->price), "size",
                         json_units_short(t->qty), "commission", json_units_short(t->commission),
                         "product_id", m->syms[o->sym].product, "sequence_timestamp", when,
                         "liquidity_indicator", t->maker ? "MAKER" : "TAKER", "size_in_quote", 0,
                         "user_id", "qf-mock-user", "side", o->buy ? "BUY" : "SELL"));
    }
    resp_json(out, 200, json_pack("{s:o,s:s}", "fills", a, "cursor", ""));
}

static void batch_cancel(qf_mock *m, const mock_req *r, int64_t now, mock_resp *out)
{
    json_t *body = json_loads(r->body, 0, NULL);
    json_t *ids = json_object_get(body, "order_ids");
    if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > 100) {
        json_decref(body);
        resp_coinbase_err(out, 400, "INVALID_ARGUMENT", "order_ids: an array of 1..100 ids");
        return;
    }
    json_t *res = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        size_t k = id ? find_uuid(m, id) : SIZE_MAX;
        const char *why = "UNKNOWN_CANCEL_FAILURE_REASON";
        bool ok = false;
        if (k == SIZE_MAX)
            why = "UNKNOWN_CANCEL_ORDER";
        else if (!mock_order_open(&m->orders[k]))
            why = "INVALID_CANCEL_REQUEST";
        else {
            mock_order_cancel(m, k, now);
            ok = true;
        }
        json_array_append_new(res, json_pack("{s:b,s:s,s:s}", "success", ok, "failure_reason", why,
                                             "order_id", id ? id : ""));
    }
    json_decref(body);
    resp_json(out, 200, json_pack("{s:o}", "results", res));
}

static void accounts(qf_mock *m, int64_t now, mock_resp *out)
{
    char when[40];
    mock_fmt_iso(now, when, sizeof when);
    json_t *a = json_array();
    for (int i = 0; i < m->nbal; i++) {
        const mock_balance *b = &m->bal[i];
        char uuid[40], name[32];
        snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012d", i + 1);
        snprintf(name, sizeof name, "%s Wallet", b->asset);
        json_array_append_new(
            a, json_pack(
                   "{s:s,s:s,s:s,s:{s:o,s:s},s:b,s:b,s:s,s:s,s:n,s:s,s:b,s:{s:o,s:s}}", "uuid",
                   uuid, "name", name, "currency", b->asset, "available_balance", "value",
                   json_units_short(b->free), "currency", b->asset, "default", 1, "active", 1,
                   "created_at", when, "updated_at", when, "deleted_at", "type",
                   strcmp(b->asset, "USDT") == 0 ? "ACCOUNT_TYPE_FIAT" : "ACCOUNT_TYPE_CRYPTO",
                   "ready", 1, "hold", "value", json_units_short(b->locked), "currency", b->asset));
    }
    resp_json(out, 200,
              json_pack("{s:o,s:b,s:s,s:i}", "accounts", a, "has_next", 0, "cursor", "", "size",
                        m->nbal));
}

/* /products/{id}<rest>: the product index and the rest of the path. */
static int product_path(qf_mock *m, const char *p, const char **rest)
{
    char id[32];
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n >= sizeof id)
        return -1;
    memcpy(id, p, n);
    id[n] = '\0';
    *rest = p + n;
    return mock_find_product(m, id);
}

static bool advanced_trade(qf_mock *m, mock_req *r, int64_t now, mock_resp *out)
{
    const char *p = r->path + strlen(AT);
    bool get = strcmp(r->method, "GET") == 0, post = strcmp(r->method, "POST") == 0;
    const char *rest;
    int sym;
    if (get && strcmp(p, "/time") == 0) {
        char iso[40], s[24], ms[24];
        mock_fmt_iso(now, iso, sizeof iso);
        snprintf(s, sizeof s, "%lld", (long long)(now / 1000));
        snprintf(ms, sizeof ms, "%lld", (long long)now);
        resp_json(out, 200,
                  json_pack("{s:s,s:s,s:s}", "iso", iso, "epochSeconds", s, "epochMillis", ms));
        return true;
    }
    bool public_path = strncmp(p, "/market/", 8) == 0;
    if (public_path)
        p += 7; /* /market/products/... serves as /products/... */
    else {
        const char *why = mock_jwt_check(m, r, now);
        if (why) {
            resp_text(out, 401, "text/plain", "Unauthorized");
            return true;
        }
    }
    if (get && strncmp(p, "/products/", 10) == 0) {
        sym = product_path(m, p + 10, &rest);
        if (sym < 0) {
            resp_coinbase_err(out, 404, "NOT_FOUND", "product not found");
        } else if (strcmp(rest, "") == 0) {
            resp_json(out, 200, product_json(m, sym, now));
        } else if (strcmp(rest, "/candles") == 0) {
            at_candles(m, r, sym, now, out);
        } else if (strcmp(rest, "/ticker") == 0) {
            ticker(m, sym, now, out);
        } else {
            return false;
        }
        return true;
    }
    if (get && strcmp(p, "/product_book") == 0) {
        product_book(m, r, now, out);
        return true;
    }
    if (get && strcmp(p, "/products") == 0) {
        json_t *a = json_array();
        for (int i = 0; i < MOCK_NSYM; i++)
            json_array_append_new(a, product_json(m, i, now));
        resp_json(out, 200, json_pack("{s:o,s:i}", "products", a, "num_products", MOCK_NSYM));
        return true;
    }
    if (public_path)
        return false;
    if (post && strcmp(p, "/orders") == 0) {
        create_order(m, r, now, out);
    } else if (post && strcmp(p, "/orders/batch_cancel") == 0) {
        batch_cancel(m, r, now, out);
    } else if (get && strcmp(p, "/orders/historical/batch") == 0) {
        list_orders(m, r, out);
    } else if (get && strcmp(p, "/orders/historical/fills") == 0) {
        list_fills(m, r, out);
    } else if (get && strncmp(p, "/orders/historical/", 19) == 0) {
        size_t k = find_uuid(m, p + 19);
        if (k == SIZE_MAX || r->lookup_unknown)
            resp_coinbase_err(out, 404, "NOT_FOUND", "order with this orderID was not found");
        else
            resp_json(out, 200, json_pack("{s:o}", "order", cb_order_json(m, &m->orders[k])));
    } else if (get && strcmp(p, "/accounts") == 0) {
        accounts(m, now, out);
    } else if (get && strcmp(p, "/key_permissions") == 0) {
        /* the test key may view and trade, not transfer (the scopes a bot needs) */
        resp_json(out, 200,
                  json_pack("{s:b,s:b,s:b,s:s,s:s}", "can_view", 1, "can_trade", 1, "can_transfer",
                            0, "portfolio_uuid", "00000000-0000-4000-8000-00000000beef",
                            "portfolio_type", "DEFAULT"));
    } else {
        return false;
    }
    return true;
}

bool mock_coinbase(qf_mock *m, mock_req *r, mock_resp *out)
{
    int64_t now = mock_now_locked(m);
    if (strncmp(r->path, AT, strlen(AT)) == 0)
        return advanced_trade(m, r, now, out);
    const char *rest;
    if (strcmp(r->method, "GET") == 0 && strncmp(r->path, "/products/", 10) == 0) {
        int sym = product_path(m, r->path + 10, &rest);
        if (sym < 0) {
            exchange_err(out, 404, "NotFound");
            return true;
        }
        if (strcmp(rest, "/candles") == 0) {
            exchange_candles(m, r, sym, now, out);
            return true;
        }
    }
    return false;
}
