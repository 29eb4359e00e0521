/*
 * store.c - the backend-independent half of qf_store: argument checks, series
 * key and candle validation, then dispatch through the backend vtable
 * (store_int.h). Validation lives here so every backend rejects the same
 * input with the same message, and a backend only ever sees valid rows.
 */
#include "store/store_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "core/book.h"
#include "core/time.h"

int qf_store_latest_version(void)
{
    return QF_STORE_SCHEMA_VERSION;
}

const char *qf_store_backend_name(const qf_store *store)
{
    if (store == NULL)
        return "none";
    return store->backend->name;
}

void qf_store_close(qf_store *store)
{
    if (store == NULL)
        return;
    store->backend->close(store);
}

static qf_rc check_store(qf_store *store, qf_err *err)
{
    qf_err_clear(err);
    if (store == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no open store");
    return QF_OK;
}

/* A field of a fixed char array must hold a NUL-terminated, non-empty string. */
static int field_ok(const char *s, size_t size)
{
    return s[0] != '\0' && memchr(s, '\0', size) != NULL;
}

static int exchange_ok(const char *s)
{
    for (; *s != '\0'; s++) {
        int c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static qf_rc check_key(const qf_series_key *key, qf_err *err)
{
    if (key == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no series key");
    if (!field_ok(key->exchange, sizeof key->exchange) || !exchange_ok(key->exchange))
        return qf_err_set(err, QF_EINVAL, "store: exchange must be 1..%d characters of a-z 0-9 _ -",
                          QF_EXCHANGE_MAX - 1);
    if (!field_ok(key->symbol, sizeof key->symbol))
        return qf_err_set(err, QF_EINVAL, "store: symbol missing or too long");
    qf_rc rc = qf_symbol_validate(key->symbol, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "store");
    if (!field_ok(key->timeframe, sizeof key->timeframe))
        return qf_err_set(err, QF_EINVAL, "store: timeframe missing or too long");
    qf_timeframe tf;
    rc = qf_timeframe_parse(key->timeframe, &tf, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "store");
    return QF_OK;
}

static int optional_ok(double v)
{
    return isnan(v) || isfinite(v);
}

static qf_rc check_row(const qf_series_key *key, const qf_candle *r, size_t i, qf_err *err)
{
    if (r->open_time < QF_STORE_TIME_MIN || r->open_time > QF_STORE_TIME_MAX)
        return qf_err_set(err, QF_EINVAL,
                          "store: %s %s: row %zu: open_time %lld outside 1970..9999 (ms since "
                          "the epoch)",
                          key->symbol, key->timeframe, i, (long long)r->open_time);
    if (!isfinite(r->open) || !isfinite(r->high) || !isfinite(r->low) || !isfinite(r->close) ||
        !isfinite(r->volume))
        return qf_err_set(err, QF_EINVAL,
                          "store: %s %s: row %zu (open_time %lld): non-finite open, high, low, "
                          "close or volume",
                          key->symbol, key->timeframe, i, (long long)r->open_time);
    if (!optional_ok(r->quote_volume) || !optional_ok(r->taker_buy_base) ||
        !optional_ok(r->taker_buy_quote) || r->trades < -1)
        return qf_err_set(err, QF_EINVAL,
                          "store: %s %s: row %zu (open_time %lld): infinite quote_volume or "
                          "taker_buy field, or trades < -1",
                          key->symbol, key->timeframe, i, (long long)r->open_time);
    return QF_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts t (n >= 2 times) and returns the index of a time equal to its
 * predecessor, or 0 when all are distinct. */
static size_t sort_find_duplicate(int64_t *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_i64);
    for (size_t i = 1; i < n; i++) {
        if (t[i] == t[i - 1])
            return i;
    }
    return 0;
}

/* Unsorted input: sort a copy of the times and look for equal neighbours. */
static qf_rc check_distinct_sorted_copy(const qf_series_key *key, const qf_candle *rows, size_t n,
                                        qf_err *err)
{
    int64_t *t = malloc(n * sizeof *t);
    if (t == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory checking %zu rows", n);
    for (size_t i = 0; i < n; i++)
        t[i] = rows[i].open_time;
    size_t dup = sort_find_duplicate(t, n);
    qf_rc rc = QF_OK;
    if (dup > 0)
        rc = qf_err_set(err, QF_EINVAL, "store: %s %s: open_time %lld appears twice", key->symbol,
                        key->timeframe, (long long)t[dup]);
    free(t);
    return rc;
}

/* Validates every row and finds the time range; ascending input (the usual
 * case) is checked for duplicates in the same pass. */
static qf_rc check_rows(const qf_series_key *key, const qf_candle *rows, size_t n, int64_t *out_min,
                        int64_t *out_max, qf_err *err)
{
    int64_t lo = rows[0].open_time;
    int64_t hi = rows[0].open_time;
    int ascending = 1;
    for (size_t i = 0; i < n; i++) {
        qf_rc rc = check_row(key, &rows[i], i, err);
        if (rc != QF_OK)
            return rc;
        if (i > 0 && rows[i].open_time <= rows[i - 1].open_time)
            ascending = 0;
        lo = rows[i].open_time < lo ? rows[i].open_time : lo;
        hi = rows[i].open_time > hi ? rows[i].open_time : hi;
    }
    if (!ascending) {
        qf_rc rc = check_distinct_sorted_copy(key, rows, n, err);
        if (rc != QF_OK)
            return rc;
    }
    *out_min = lo;
    *out_max = hi;
    return QF_OK;
}

qf_rc qf_store_schema_version(qf_store *store, int *out_version, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc != QF_OK)
        return rc;
    if (out_version == NULL)
        return qf_err_set(err, QF_EINVAL, "store: schema_version: no output");
    return store->backend->schema_version(store, out_version, err);
}

qf_rc qf_store_migrate(qf_store *store, int *out_applied, qf_err *err)
{
    int applied = 0;
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = store->backend->migrate(store, &applied, err);
    if (out_applied != NULL)
        *out_applied = applied;
    return rc;
}

qf_rc qf_store_integrity_check(qf_store *store, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc != QF_OK)
        return rc;
    return store->backend->integrity_check(store, err);
}

qf_rc qf_store_upsert_candles(qf_store *store, const qf_series_key *key, const qf_candle *rows,
                              size_t n, qf_upsert_stats *out_stats, qf_err *err)
{
    qf_upsert_stats stats = {0, 0, 0};
    if (out_stats != NULL)
        *out_stats = stats;
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_key(key, err);
    if (rc != QF_OK || n == 0)
        return rc;
    if (rows == NULL)
        return qf_err_set(err, QF_EINVAL, "store: upsert of %zu rows without rows", n);
    int64_t lo = 0;
    int64_t hi = 0;
    rc = check_rows(key, rows, n, &lo, &hi, err);
    if (rc != QF_OK)
        return rc;
    rc = store->backend->upsert_candles(store, key, rows, n, lo, hi, &stats, err);
    if (rc == QF_OK && out_stats != NULL)
        *out_stats = stats;
    return rc;
}

qf_rc qf_store_query_candles(qf_store *store, const qf_series_key *key, int64_t from, int64_t to,
                             size_t last_n, qf_candles *out, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_key(key, err);
    if (rc != QF_OK)
        return rc;
    if (out == NULL)
        return qf_err_set(err, QF_EINVAL, "store: query_candles: no output array");
    if (from > to)
        return QF_OK;
    return store->backend->query_candles(store, key, from, to, last_n, out, err);
}

qf_rc qf_store_list_series(qf_store *store, qf_series_info **out_infos, size_t *out_n, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc != QF_OK)
        return rc;
    if (out_infos == NULL || out_n == NULL)
        return qf_err_set(err, QF_EINVAL, "store: list_series: no output");
    qf_series_info *infos = NULL;
    size_t n = 0;
    rc = store->backend->list_series(store, &infos, &n, err);
    if (rc != QF_OK)
        return rc;
    *out_infos = infos;
    *out_n = n;
    return QF_OK;
}

qf_rc qf_store_count_candles(qf_store *store, const qf_series_key *key, int64_t *out_count,
                             qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_key(key, err);
    if (rc != QF_OK)
        return rc;
    if (out_count == NULL)
        return qf_err_set(err, QF_EINVAL, "store: count_candles: no output");
    return store->backend->count_candles(store, key, out_count, err);
}

qf_rc qf_store_delete_series(qf_store *store, const qf_series_key *key, int64_t *out_deleted,
                             qf_err *err)
{
    int64_t deleted = 0;
    if (out_deleted != NULL)
        *out_deleted = 0;
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_key(key, err);
    if (rc != QF_OK)
        return rc;
    rc = store->backend->delete_series(store, key, &deleted, err);
    if (rc == QF_OK && out_deleted != NULL)
        *out_deleted = deleted;
    return rc;
}

static int text_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) < 256;
}

/* NULL is allowed (nothing stored); anything else must parse as JSON. */
static qf_rc check_json(const char *what, const char *text, qf_err *err)
{
    if (text == NULL)
        return QF_OK;
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (doc == NULL)
        return qf_err_set(err, QF_EINVAL, "store: backtest run: %s is not JSON: %d:%d: %s", what,
                          jerr.line, jerr.column, jerr.text);
    json_decref(doc);
    return QF_OK;
}

qf_rc qf_store_insert_backtest_run(qf_store *store, const char *strategy, const char *symbol,
                                   const char *timeframe, const char *params_json,
                                   const char *metrics_json, int64_t *out_id, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc != QF_OK)
        return rc;
    if (!text_ok(strategy) || !text_ok(symbol) || !text_ok(timeframe))
        return qf_err_set(err, QF_EINVAL,
                          "store: backtest run needs a strategy, symbol and timeframe "
                          "(1..255 characters each)");
    rc = check_json("params_json", params_json, err);
    if (rc == QF_OK)
        rc = check_json("metrics_json", metrics_json, err);
    if (rc != QF_OK)
        return rc;
    int64_t id = 0;
    rc = store->backend->insert_backtest_run(store, strategy, symbol, timeframe, params_json,
                                             metrics_json, &id, err);
    if (rc == QF_OK && out_id != NULL)
        *out_id = id;
    return rc;
}

void qf_gap_scan_init(qf_gap_scan *scan, int64_t bar_ms)
{
    memset(scan, 0, sizeof *scan);
    scan->bar_ms = bar_ms;
}

void qf_gap_scan_feed(qf_gap_scan *scan, int64_t open_time)
{
    if (scan->count > 0) {
        /* Unsigned: times written by other tools may span more than INT64_MAX. */
        uint64_t step = (uint64_t)open_time - (uint64_t)scan->prev;
        if (step > (uint64_t)scan->bar_ms) {
            scan->gaps++;
            scan->missing_bars += (int64_t)(step / (uint64_t)scan->bar_ms - 1);
        }
    }
    scan->prev = open_time;
    scan->count++;
}

/* Exchange and symbol of an order-book call, checked as a series key's. */
static qf_rc check_market(const char *exchange, const char *symbol, qf_err *err)
{
    if (exchange == NULL || exchange[0] == '\0' || strlen(exchange) >= QF_EXCHANGE_MAX ||
        !exchange_ok(exchange))
        return qf_err_set(err, QF_EINVAL, "store: exchange must be 1..%d characters of a-z 0-9 _ -",
                          QF_EXCHANGE_MAX - 1);
    if (symbol == NULL || symbol[0] == '\0' || strlen(symbol) >= QF_SYMBOL_MAX)
        return qf_err_set(err, QF_EINVAL, "store: symbol missing or too long");
    if (qf_symbol_validate(symbol, err) != QF_OK)
        return qf_err_prefix(err, "store");
    return QF_OK;
}

static qf_rc check_book_row(const char *exchange, const char *symbol, const qf_book *r, size_t i,
                            qf_err *err)
{
    if (r->time < QF_STORE_TIME_MIN || r->time > QF_STORE_TIME_MAX)
        return qf_err_set(err, QF_EINVAL,
                          "store: %s %s: order book row %zu: time %lld outside 1970..9999 (ms "
                          "since the epoch)",
                          exchange, symbol, i, (long long)r->time);
    if (qf_book_check(r, err) != QF_OK)
        return qf_err_prefix(err, "store: %s %s: order book row %zu (time %lld)", exchange, symbol,
                             i, (long long)r->time);
    return QF_OK;
}

/* Validates every snapshot and finds the time range; times must be distinct
 * (ascending input, the usual case, is checked in the same pass). */
static qf_rc check_book_rows(const char *exchange, const char *symbol, const qf_book *rows,
                             size_t n, int64_t *out_min, int64_t *out_max, qf_err *err)
{
    int64_t lo = rows[0].time;
    int64_t hi = rows[0].time;
    int ascending = 1;
    for (size_t i = 0; i < n; i++) {
        qf_rc rc = check_book_row(exchange, symbol, &rows[i], i, err);
        if (rc != QF_OK)
            return rc;
        if (i > 0 && rows[i].time <= rows[i - 1].time)
            ascending = 0;
        lo = rows[i].time < lo ? rows[i].time : lo;
        hi = rows[i].time > hi ? rows[i].time : hi;
    }
    *out_min = lo;
    *out_max = hi;
    if (ascending)
        return QF_OK;
    int64_t *t = malloc(n * sizeof *t);
    if (t == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory checking %zu rows", n);
    for (size_t i = 0; i < n; i++)
        t[i] = rows[i].time;
    size_t dup = sort_find_duplicate(t, n);
    qf_rc rc = QF_OK;
    if (dup > 0)
        rc = qf_err_set(err, QF_EINVAL, "store: %s %s: order book time %lld appears twice",
                        exchange, symbol, (long long)t[dup]);
    free(t);
    return rc;
}

qf_rc qf_store_insert_orderbook(qf_store *store, const char *exchange, const char *symbol,
                                const qf_book *rows, size_t n, qf_upsert_stats *out_stats,
                                qf_err *err)
{
    qf_upsert_stats stats = {0, 0, 0};
    if (out_stats != NULL)
        *out_stats = stats;
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_market(exchange, symbol, err);
    if (rc != QF_OK || n == 0)
        return rc;
    if (rows == NULL)
        return qf_err_set(err, QF_EINVAL, "store: insert of %zu order book rows without rows", n);
    int64_t lo = 0;
    int64_t hi = 0;
    rc = check_book_rows(exchange, symbol, rows, n, &lo, &hi, err);
    if (rc != QF_OK)
        return rc;
    rc = store->backend->insert_orderbook(store, exchange, symbol, rows, n, lo, hi, &stats, err);
    if (rc == QF_OK && out_stats != NULL)
        *out_stats = stats;
    return rc;
}

qf_rc qf_store_query_orderbook(qf_store *store, const char *exchange, const char *symbol,
                               int64_t from, int64_t to, qf_books *out, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_market(exchange, symbol, err);
    if (rc != QF_OK)
        return rc;
    if (out == NULL)
        return qf_err_set(err, QF_EINVAL, "store: query_orderbook: no output array");
    if (from > to)
        return QF_OK;
    return store->backend->query_orderbook(store, exchange, symbol, from, to, out, err);
}

/* ---- sentiment events ----------------------------------------------------- */

typedef struct keyed_row {
    const char *key;
    size_t i;
} keyed_row;

static int cmp_keyed_row(const void *a, const void *b)
{
    const keyed_row *x = a;
    const keyed_row *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* The dedup keys of n checked rows: (*out_keys)[i] points into *out_pool;
 * both are malloc'd and the caller frees them. */
static qf_rc sentiment_keys(const qf_sentiment_event *rows, size_t n, char ***out_keys,
                            char **out_pool, qf_err *err)
{
    char buf[QF_SENTIMENT_KEY_MAX];
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += qf_sentiment_event_key(&rows[i], buf, sizeof buf) + 1;
    char *pool = malloc(total);
    char **keys = malloc(n * sizeof *keys);
    if (pool == NULL || keys == NULL) {
        free(pool);
        free(keys);
        return qf_err_set(err, QF_ENOMEM, "store: out of memory keying %zu sentiment events", n);
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = qf_sentiment_event_key(&rows[i], buf, sizeof buf) + 1;
        memcpy(pool + off, buf, len);
        keys[i] = pool + off;
        off += len;
    }
    *out_keys = keys;
    *out_pool = pool;
    return QF_OK;
}

/* QF_EINVAL naming two rows with the same key. */
static qf_rc check_distinct_keys(char *const *keys, size_t n, qf_err *err)
{
    keyed_row *k = malloc(n * sizeof *k);
    if (k == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory checking %zu sentiment events", n);
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed_row){keys[i], i};
    qsort(k, n, sizeof *k, cmp_keyed_row);
    qf_rc rc = QF_OK;
    for (size_t i = 1; i < n && rc == QF_OK; i++)
        if (strcmp(k[i].key, k[i - 1].key) == 0)
            rc = qf_err_set(err, QF_EINVAL,
                            "store: sentiment events %zu and %zu are the same event (time, source, "
                            "symbol and normalised title)",
                            k[i - 1].i, k[i].i);
    free(k);
    return rc;
}

qf_rc qf_store_insert_sentiment_events(qf_store *store, const qf_sentiment_event *rows, size_t n,
                                       qf_upsert_stats *out_stats, qf_err *err)
{
    qf_upsert_stats stats = {0, 0, 0};
    if (out_stats != NULL)
        *out_stats = stats;
    qf_rc rc = check_store(store, err);
    if (rc != QF_OK || n == 0)
        return rc;
    if (rows == NULL)
        return qf_err_set(err, QF_EINVAL, "store: insert of %zu sentiment events without rows", n);
    for (size_t i = 0; i < n; i++)
        if (qf_sentiment_event_check(&rows[i], err) != QF_OK)
            return qf_err_prefix(err, "store: sentiment event %zu", i);
    char **keys = NULL;
    char *pool = NULL;
    rc = sentiment_keys(rows, n, &keys, &pool, err);
    if (rc == QF_OK)
        rc = check_distinct_keys(keys, n, err);
    if (rc == QF_OK)
        rc = store->backend->insert_sentiment(store, rows, (const char *const *)keys, n, &stats,
                                              err);
    free(keys);
    free(pool);
    if (rc == QF_OK && out_stats != NULL)
        *out_stats = stats;
    return rc;
}

qf_rc qf_store_query_sentiment_events(qf_store *store, const char *symbol, int64_t from, int64_t to,
                                      qf_sentiment_events *out, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc != QF_OK)
        return rc;
    if (out == NULL)
        return qf_err_set(err, QF_EINVAL, "store: query_sentiment_events: no output array");
    char asset[QF_SYMBOL_MAX];
    if (symbol != NULL) {
        if (strlen(symbol) >= QF_SYMBOL_MAX || qf_symbol_validate(symbol, err) != QF_OK)
            return qf_err_set(err, QF_EINVAL,
                              "store: sentiment events: symbol must be BASE/QUOTE (e.g. BTC/USDT)");
        size_t base = (size_t)(strchr(symbol, '/') - symbol);
        memcpy(asset, symbol, base);
        asset[base] = '\0';
    }
    if (from > to)
        return QF_OK;
    return store->backend->query_sentiment(store, symbol, symbol != NULL ? asset : NULL, from, to,
                                           out, err);
}

/* Risk: account names, actors, kinds and texts as store.h describes them. */

static int account_ok(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) >= QF_STORE_ACCOUNT_MAX)
        return 0;
    for (; *s != '\0'; s++) {
        int c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static qf_rc check_account(const char *account, qf_err *err)
{
    if (!account_ok(account))
        return qf_err_set(err, QF_EINVAL,
                          "store: account must be 1..%d characters of A-Z a-z "
                          "0-9 . _ -",
                          QF_STORE_ACCOUNT_MAX - 1);
    return QF_OK;
}

/* 1..size-1 bytes, no control characters, something besides spaces. */
static int risk_text_ok(const char *s, size_t size)
{
    if (s == NULL || memchr(s, '\0', size) == NULL)
        return 0;
    int visible = 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return 0;
        visible |= c != ' ';
    }
    return visible;
}

static int kind_ok(const char *s)
{
    if (s[0] == '\0' || memchr(s, '\0', QF_STORE_RISK_KIND_MAX) == NULL)
        return 0;
    for (; *s != '\0'; s++) {
        int c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

static qf_rc check_risk_time(int64_t time, qf_err *err)
{
    if (time < QF_STORE_TIME_MIN || time > QF_STORE_TIME_MAX)
        return qf_err_set(err, QF_EINVAL,
                          "store: risk time %lld outside 1970..9999 (ms since the epoch)",
                          (long long)time);
    return QF_OK;
}

static qf_rc check_actor_reason(const char *actor, const char *reason, qf_err *err)
{
    if (!risk_text_ok(actor, QF_STORE_ACTOR_MAX))
        return qf_err_set(err, QF_EINVAL,
                          "store: an actor is required (1..%d bytes, no control characters)",
                          QF_STORE_ACTOR_MAX - 1);
    if (!risk_text_ok(reason, QF_STORE_RISK_TEXT_MAX))
        return qf_err_set(err, QF_EINVAL,
                          "store: a reason is required (1..%d bytes, no control characters, "
                          "not only spaces)",
                          QF_STORE_RISK_TEXT_MAX - 1);
    return QF_OK;
}

qf_rc qf_store_get_kill_switch(qf_store *store, const char *account, qf_kill_switch_state *out,
                               qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK && out == NULL)
        rc = qf_err_set(err, QF_EINVAL, "store: get_kill_switch: no output");
    if (rc != QF_OK)
        return rc;
    return store->backend->get_kill_switch(store, account, out, err);
}

qf_rc qf_store_set_kill_switch(qf_store *store, const char *account, int engaged,
                               const char *reason, const char *actor, int64_t time,
                               int *out_changed, qf_err *err)
{
    int changed = 0;
    if (out_changed != NULL)
        *out_changed = 0;
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK && engaged != 0 && engaged != 1)
        rc =
            qf_err_set(err, QF_EINVAL, "store: kill switch state must be 0 or 1 (got %d)", engaged);
    if (rc == QF_OK)
        rc = check_actor_reason(actor, reason, err);
    if (rc == QF_OK)
        rc = check_risk_time(time, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "kill switch %s", engaged ? "engage" : "reset");
    rc = store->backend->set_kill_switch(store, account, engaged, reason, actor, time, &changed,
                                         err);
    if (rc == QF_OK && out_changed != NULL)
        *out_changed = changed;
    return rc;
}

static qf_rc check_detail(const char *detail, qf_err *err)
{
    if (detail[0] == '\0')
        return QF_OK;
    json_error_t jerr;
    json_t *doc = json_loads(detail, JSON_DECODE_ANY, &jerr);
    if (doc == NULL)
        return qf_err_set(err, QF_EINVAL, "store: risk event detail is not JSON: %d:%d: %s",
                          jerr.line, jerr.column, jerr.text);
    json_decref(doc);
    return QF_OK;
}

static qf_rc check_event(const qf_risk_event *ev, qf_err *err)
{
    if (ev == NULL)
        return qf_err_set(err, QF_EINVAL, "store: no risk event");
    qf_rc rc =
        check_account(memchr(ev->account, '\0', sizeof ev->account) ? ev->account : NULL, err);
    if (rc == QF_OK)
        rc = check_risk_time(ev->time, err);
    if (rc == QF_OK && !kind_ok(ev->kind))
        rc = qf_err_set(err, QF_EINVAL,
                        "store: risk event kind must be 1..%d characters of a-z "
                        "0-9 _",
                        QF_STORE_RISK_KIND_MAX - 1);
    if (rc == QF_OK && memchr(ev->symbol, '\0', sizeof ev->symbol) == NULL)
        rc = qf_err_set(err, QF_EINVAL, "store: risk event symbol too long");
    if (rc == QF_OK && ev->symbol[0] != '\0' && qf_symbol_validate(ev->symbol, err) != QF_OK)
        rc = qf_err_prefix(err, "store: risk event");
    if (rc == QF_OK)
        rc = check_actor_reason(ev->actor, ev->message, err);
    if (rc == QF_OK && memchr(ev->detail, '\0', sizeof ev->detail) == NULL)
        rc = qf_err_set(err, QF_EINVAL, "store: risk event detail longer than %d bytes",
                        QF_STORE_RISK_DETAIL_MAX - 1);
    if (rc == QF_OK)
        rc = check_detail(ev->detail, err);
    return rc;
}

qf_rc qf_store_insert_risk_event(qf_store *store, const qf_risk_event *ev, int64_t *out_id,
                                 qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_event(ev, err);
    if (rc != QF_OK)
        return rc;
    int64_t id = 0;
    rc = store->backend->insert_risk_event(store, ev, &id, err);
    if (rc == QF_OK && out_id != NULL)
        *out_id = id;
    return rc;
}

qf_rc qf_store_list_risk_events(qf_store *store, const char *account, int64_t from, int64_t to,
                                size_t last_n, qf_risk_event **out_events, size_t *out_n,
                                qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK && (out_events == NULL || out_n == NULL))
        rc = qf_err_set(err, QF_EINVAL, "store: list_risk_events: no output");
    if (rc != QF_OK)
        return rc;
    *out_events = NULL;
    *out_n = 0;
    if (from > to)
        return QF_OK;
    return store->backend->list_risk_events(store, account, from, to, last_n, out_events, out_n,
                                            err);
}

static int nan_or_finite(double v)
{
    return isnan(v) || isfinite(v);
}

static qf_rc check_metric(const qf_risk_metric *m, size_t i, qf_err *err)
{
    if (check_risk_time(m->time, err) != QF_OK)
        return qf_err_prefix(err, "store: risk metrics row %zu", i);
    const double v[9] = {m->equity,  m->drawdown,       m->max_drawdown, m->volatility, m->var_95,
                         m->cvar_95, m->gross_exposure, m->net_exposure, m->leverage};
    for (int k = 0; k < 9; k++) {
        if (!nan_or_finite(v[k]))
            return qf_err_set(err, QF_EINVAL,
                              "store: risk metrics row %zu (time %lld): infinite value", i,
                              (long long)m->time);
    }
    return QF_OK;
}

qf_rc qf_store_upsert_risk_metrics(qf_store *store, const char *account, const qf_risk_metric *rows,
                                   size_t n, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc != QF_OK || n == 0)
        return rc;
    if (rows == NULL)
        return qf_err_set(err, QF_EINVAL, "store: upsert of %zu risk metric rows without rows", n);
    int64_t *t = malloc(n * sizeof *t);
    if (t == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory checking %zu rows", n);
    for (size_t i = 0; i < n && rc == QF_OK; i++) {
        rc = check_metric(&rows[i], i, err);
        t[i] = rows[i].time;
    }
    size_t dup = rc == QF_OK && n > 1 ? sort_find_duplicate(t, n) : 0;
    if (dup > 0)
        rc = qf_err_set(err, QF_EINVAL, "store: risk metrics time %lld appears twice",
                        (long long)t[dup]);
    free(t);
    if (rc != QF_OK)
        return rc;
    return store->backend->upsert_risk_metrics(store, account, rows, n, err);
}

qf_rc qf_store_query_risk_metrics(qf_store *store, const char *account, int64_t from, int64_t to,
                                  qf_risk_metric **out_rows, size_t *out_n, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK)
        rc = check_account(account, err);
    if (rc == QF_OK && (out_rows == NULL || out_n == NULL))
        rc = qf_err_set(err, QF_EINVAL, "store: query_risk_metrics: no output");
    if (rc != QF_OK)
        return rc;
    *out_rows = NULL;
    *out_n = 0;
    if (from > to)
        return QF_OK;
    return store->backend->query_risk_metrics(store, account, from, to, out_rows, out_n, err);
}

/* ---- model artifacts ---------------------------------------------------- */

void qf_model_record_init(qf_model_record *r)
{
    memset(r, 0, sizeof *r);
}

void qf_model_record_cleanup(qf_model_record *r)
{
    if (r == NULL)
        return;
    free(r->feature_names);
    free(r->params);
    free(r->metrics);
    free(r->path);
    qf_model_record_init(r);
}

void qf_model_records_free(qf_model_record *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        qf_model_record_cleanup(&v[i]);
    free(v);
}

/* 1..max-1 characters (NUL-terminated within max), each one of a-z 0-9,
 * A-Z when `upper`, or a character of `allowed`. */
static int name_ok(const char *s, size_t max, const char *allowed, int upper)
{
    size_t n = strnlen(s, max);
    if (n == 0 || n == max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(allowed, c) != NULL;
        if (upper)
            ok = ok || (c >= 'A' && c <= 'Z');
        if (!ok)
            return 0;
    }
    return 1;
}

static qf_rc check_model_json(const char *what, const char *text, qf_err *err)
{
    if (text == NULL)
        return QF_OK;
    if (strlen(text) >= QF_STORE_MODEL_TEXT_MAX)
        return qf_err_set(err, QF_EINVAL, "store: model: %s is larger than %d bytes", what,
                          QF_STORE_MODEL_TEXT_MAX - 1);
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (doc == NULL)
        return qf_err_set(err, QF_EINVAL, "store: model: %s is not JSON: %d:%d: %s", what,
                          jerr.line, jerr.column, jerr.text);
    json_decref(doc);
    return QF_OK;
}

static int hex64_ok(const char *s)
{
    if (s[0] == '\0')
        return 1;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

static int model_status_ok(const char *s)
{
    return s[0] == '\0' || strcmp(s, "candidate") == 0 || strcmp(s, "active") == 0 ||
           strcmp(s, "retired") == 0;
}

static qf_rc check_model_names(const qf_model_record *r, qf_err *err)
{
    if (!name_ok(r->model_id, sizeof r->model_id, "._-", 1) || r->model_id[0] == '.')
        return qf_err_set(err, QF_EINVAL,
                          "store: model id must be 1..%d characters of A-Z a-z 0-9 . _ - "
                          "(not starting with .)",
                          QF_STORE_MODEL_ID_MAX - 1);
    if (r->version < 1)
        return qf_err_set(err, QF_EINVAL, "store: model %s: version must be >= 1, got %d",
                          r->model_id, r->version);
    if (!name_ok(r->kind, sizeof r->kind, "_", 0))
        return qf_err_set(err, QF_EINVAL, "store: model %s: kind must be 1..%d of a-z 0-9 _",
                          r->model_id, QF_STORE_MODEL_KIND_MAX - 1);
    if (memchr(r->exchange, '\0', sizeof r->exchange) == NULL ||
        memchr(r->symbol, '\0', sizeof r->symbol) == NULL)
        return qf_err_set(err, QF_EINVAL, "store: model %s: exchange or symbol too long",
                          r->model_id);
    qf_rc rc = check_market(r->exchange, r->symbol, err);
    qf_timeframe tf;
    if (rc == QF_OK && memchr(r->timeframe, '\0', sizeof r->timeframe) == NULL)
        rc = qf_err_set(err, QF_EINVAL, "store: model %s: timeframe too long", r->model_id);
    if (rc == QF_OK && qf_timeframe_parse(r->timeframe, &tf, err) != QF_OK)
        rc = qf_err_prefix(err, "store: model %s", r->model_id);
    return rc;
}

static int time_ok(int64_t t)
{
    return t >= QF_STORE_TIME_MIN && t <= QF_STORE_TIME_MAX;
}

static qf_rc check_model_record(const qf_model_record *r, qf_err *err)
{
    qf_rc rc = check_model_names(r, err);
    if (rc != QF_OK)
        return rc;
    if (!time_ok(r->created_at) || !time_ok(r->train_from) || !time_ok(r->train_to) ||
        r->train_from > r->train_to)
        return qf_err_set(err, QF_EINVAL,
                          "store: model %s: created_at, train_from and train_to must be in "
                          "1970..9999 (ms since the epoch) with train_from <= train_to",
                          r->model_id);
    rc = check_model_json("feature_names", r->feature_names, err);
    if (rc == QF_OK)
        rc = check_model_json("params", r->params, err);
    if (rc == QF_OK)
        rc = check_model_json("metrics", r->metrics, err);
    if (rc == QF_OK && r->path != NULL &&
        (r->path[0] == '\0' || strlen(r->path) >= QF_STORE_MODEL_TEXT_MAX))
        rc = qf_err_set(err, QF_EINVAL, "store: model %s: empty or too long path", r->model_id);
    if (rc == QF_OK && (memchr(r->sha256, '\0', sizeof r->sha256) == NULL || !hex64_ok(r->sha256)))
        rc = qf_err_set(err, QF_EINVAL, "store: model %s: sha256 must be 64 lowercase hex digits",
                        r->model_id);
    if (rc == QF_OK &&
        (memchr(r->status, '\0', sizeof r->status) == NULL || !model_status_ok(r->status)))
        rc =
            qf_err_set(err, QF_EINVAL,
                       "store: model %s: status must be candidate, active or retired", r->model_id);
    return rc;
}

qf_rc qf_store_insert_model(qf_store *store, const qf_model_record *r, int64_t *out_id, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc == QF_OK && r == NULL)
        rc = qf_err_set(err, QF_EINVAL, "store: no model record");
    if (rc == QF_OK)
        rc = check_model_record(r, err);
    if (rc != QF_OK)
        return rc;
    int64_t id = 0;
    rc = store->backend->insert_model(store, r, &id, err);
    if (rc == QF_OK && out_id != NULL)
        *out_id = id;
    return rc;
}

qf_rc qf_store_list_models(qf_store *store, const char *symbol, qf_model_record **out_records,
                           size_t *out_n, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc != QF_OK)
        return rc;
    if (out_records == NULL || out_n == NULL)
        return qf_err_set(err, QF_EINVAL, "store: list_models: no output");
    *out_records = NULL;
    *out_n = 0;
    if (symbol != NULL && (strlen(symbol) >= QF_SYMBOL_MAX || qf_symbol_validate(symbol, err)))
        return qf_err_set(err, QF_EINVAL, "store: list_models: bad symbol '%.40s'", symbol);
    return store->backend->list_models(store, symbol, out_records, out_n, err);
}

qf_rc qf_store_get_model(qf_store *store, const char *model_id, qf_model_record *out, qf_err *err)
{
    qf_rc rc = check_store(store, err);
    if (rc != QF_OK)
        return rc;
    if (out == NULL)
        return qf_err_set(err, QF_EINVAL, "store: get_model: no output");
    if (model_id == NULL || model_id[0] == '\0' || strlen(model_id) >= QF_STORE_MODEL_ID_MAX)
        return qf_err_set(err, QF_EINVAL, "store: get_model: model id missing or too long");
    return store->backend->get_model(store, model_id, out, err);
}

qf_rc qf_store_book_levels_format(const qf_book_level *levels, size_t n, char **out_text,
                                  qf_err *err)
{
    json_t *arr = json_array();
    int bad = arr == NULL;
    for (size_t i = 0; i < n && !bad; i++) {
        json_t *pair = json_pack("[ff]", levels[i].price, levels[i].qty);
        bad = pair == NULL || json_array_append_new(arr, pair) != 0;
    }
    char *text = bad ? NULL : json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(arr);
    if (text == NULL)
        return qf_err_set(err, QF_ENOMEM, "store: out of memory formatting %zu levels", n);
    *out_text = text;
    return QF_OK;
}

/* One [price, qty] element. */
static qf_rc parse_level(const json_t *el, size_t i, qf_book_level *out, qf_err *err)
{
    if (!json_is_array(el) || json_array_size(el) != 2)
        return qf_err_set(err, QF_EPARSE, "level %zu is not a [price, qty] pair", i);
    const json_t *p = json_array_get(el, 0);
    const json_t *q = json_array_get(el, 1);
    if (!json_is_number(p) || !json_is_number(q))
        return qf_err_set(err, QF_EPARSE, "level %zu: price and qty must be numbers", i);
    out->price = json_number_value(p);
    out->qty = json_number_value(q);
    return QF_OK;
}

qf_rc qf_store_book_levels_parse(const char *text, size_t len, qf_book_level *out, size_t *out_n,
                                 qf_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    if (doc == NULL)
        return qf_err_set(err, QF_EPARSE, "not JSON: %d:%d: %s", jerr.line, jerr.column, jerr.text);
    qf_rc rc = QF_OK;
    size_t n = json_array_size(doc);
    if (!json_is_array(doc))
        rc = qf_err_set(err, QF_EPARSE, "not a JSON array of [price, qty] levels");
    else if (n > QF_BOOK_LEVELS_MAX)
        rc = qf_err_set(err, QF_EPARSE, "%zu levels, at most %d allowed", n, QF_BOOK_LEVELS_MAX);
    for (size_t i = 0; i < n && rc == QF_OK; i++)
        rc = parse_level(json_array_get(doc, i), i, &out[i], err);
    json_decref(doc);
    if (rc == QF_OK)
        *out_n = n;
    return rc;
}

/* One side of a stored row: its JSON, else its best level columns. */
static qf_rc decode_side(const char *name, const char *text, size_t len, const double best[2],
                         qf_book_level *out, size_t *out_n, qf_err *err)
{
    *out_n = 0;
    if (text != NULL) {
        qf_rc rc = qf_store_book_levels_parse(text, len, out, out_n, err);
        return rc != QF_OK ? qf_err_prefix(err, "%s", name) : QF_OK;
    }
    if (!isnan(best[0]) && !isnan(best[1])) {
        out[0].price = best[0];
        out[0].qty = best[1];
        *out_n = 1;
    }
    return QF_OK;
}

qf_rc qf_store_book_decode(const qf_book_row *row, qf_book_level *scratch, qf_books *out,
                           qf_err *err)
{
    qf_book b = {row->time, scratch, 0, scratch + QF_BOOK_LEVELS_MAX, 0};
    qf_rc rc =
        decode_side("bids", row->bids, row->bids_len, &row->best[0], scratch, &b.n_bids, err);
    if (rc == QF_OK)
        rc = decode_side("asks", row->asks, row->asks_len, &row->best[2],
                         scratch + QF_BOOK_LEVELS_MAX, &b.n_asks, err);
    if (rc == QF_OK && qf_book_check(&b, err) != QF_OK)
        rc = QF_EPARSE;
    if (rc == QF_OK)
        return qf_books_push(out, &b, err);
    /* qf_book_check says EINVAL; stored data that does not decode is EPARSE. */
    if (err != NULL)
        err->code = QF_EPARSE;
    qf_err_prefix(err, "orderbook_snapshots id %lld (time %lld)", (long long)row->id,
                  (long long)row->time);
    return QF_EPARSE;
}
