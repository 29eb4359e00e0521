/*
 * portfolio.c - accounting of one account: cash and a position per symbol
 * (signed quantity, average entry, realized PnL after fees, fees, mark).
 *
 * A fill of side s (+1 buy, -1 sell), quantity q at price p with fee f
 * (its quote value) on a position of quantity Q and average entry A is
 * applied as a quote-fee fill of quantity q' at p:
 * - fee in the quote asset ("" or e.g. USDT) or another one (BNB): q' = q,
 *   cash -= s * q * p + f;
 * - fee in the base asset (f / p units of it, which the venue keeps):
 *   q' = q - s * f / p (a buy credits less, a sell debits more) and
 *   cash -= s * q * p only, since q' * p + f == q * p;
 * then, with q' for q:
 * - adding (Q == 0 or sign Q == s): A = (|Q| * A + q * p) / (|Q| + q);
 * - reducing: the closed part c = min(q, |Q|) realizes (p - A) * c * sign Q;
 *   what is left of q (a flip through zero) opens at p;
 * - realized -= f, fees += f.
 * A reduce within a relative 1e-9 of the whole position closes it exactly
 * (no 1e-17 dust of a position left from decimal quantities). Then
 * equity = cash + sum Q * mark holds by construction, and
 * equity - initial cash = sum realized + sum Q * (mark - A).
 *
 * Every position ever traded is kept (a flat one holds its realized PnL and
 * fees); qf_portfolio_positions shows the non-zero ones. Recording a fill
 * applies it, inside the store's write transaction, to the cash and
 * position AS STORED (another process may share the account), then memory
 * becomes what was committed; memory never runs ahead of the store.
 */
#include "risk/portfolio.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbol.h"
#include "core/time.h"

/* A reduce this close (relative) to the whole position closes it. */
#define FLAT_EPS 1e-9

struct qf_portfolio {
    char account[QF_ACCOUNT_MAX];
    double cash;      /* quote */
    double peak;      /* highest equity a snapshot saw, NaN before the first */
    qf_position *pos; /* every symbol traded (by symbol once read from the store) */
    size_t n;
    size_t cap;
    qf_position *open; /* the non-zero ones (rebuilt on change), cap entries */
    size_t n_open;
};

static int account_ok(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        int c = (unsigned char)s[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (n >= QF_ACCOUNT_MAX - 1 || !ok)
            return 0;
    }
    return n > 0;
}

qf_rc qf_portfolio_new(const char *account, double cash, qf_portfolio **out, qf_err *err)
{
    qf_err_clear(err);
    if (out == NULL)
        return qf_err_set(err, QF_EINVAL, "portfolio: no output");
    if (account == NULL || !account_ok(account))
        return qf_err_set(err, QF_EINVAL,
                          "portfolio: account must be 1..%d characters of A-Z a-z 0-9 . _ -",
                          QF_ACCOUNT_MAX - 1);
    if (!isfinite(cash))
        return qf_err_set(err, QF_EINVAL, "portfolio %s: cash must be finite", account);
    qf_portfolio *p = calloc(1, sizeof *p);
    if (p == NULL)
        return qf_err_set(err, QF_ENOMEM, "portfolio %s: out of memory", account);
    strcpy(p->account, account);
    p->cash = cash;
    p->peak = NAN;
    *out = p;
    return QF_OK;
}

void qf_portfolio_free(qf_portfolio *p)
{
    if (p == NULL)
        return;
    free(p->pos);
    free(p->open);
    free(p);
}

const char *qf_portfolio_account(const qf_portfolio *p)
{
    return p->account;
}

double qf_portfolio_cash(const qf_portfolio *p)
{
    return p->cash;
}

/* The price a position is valued at: its mark, or its entry before any. */
static double value_price(const qf_position *q)
{
    return isnan(q->mark_price) ? q->avg_entry : q->mark_price;
}

double qf_portfolio_equity(const qf_portfolio *p)
{
    double e = p->cash;
    for (size_t i = 0; i < p->n; i++) {
        if (p->pos[i].quantity != 0)
            e += p->pos[i].quantity * value_price(&p->pos[i]);
    }
    return e;
}

static qf_position *find(const qf_portfolio *p, const char *symbol)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->pos[i].symbol, symbol) == 0)
            return &p->pos[i];
    }
    return NULL;
}

static qf_position flat(const char *symbol)
{
    qf_position q;
    memset(&q, 0, sizeof q);
    if (symbol != NULL && strlen(symbol) < sizeof q.symbol)
        strcpy(q.symbol, symbol);
    q.mark_price = NAN;
    return q;
}

qf_position qf_portfolio_position(const qf_portfolio *p, const char *symbol)
{
    const qf_position *q = symbol != NULL ? find(p, symbol) : NULL;
    return q != NULL ? *q : flat(symbol);
}

static void rebuild_open(qf_portfolio *p)
{
    p->n_open = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->pos[i].quantity != 0)
            p->open[p->n_open++] = p->pos[i];
    }
}

const qf_position *qf_portfolio_positions(const qf_portfolio *p, size_t *out_n)
{
    if (out_n != NULL)
        *out_n = p->n_open;
    return p->open;
}

/* Room for one more symbol in both arrays (nothing else changes). */
static qf_rc reserve(qf_portfolio *p, qf_err *err)
{
    if (p->n < p->cap)
        return QF_OK;
    size_t cap = p->cap == 0 ? 4 : p->cap * 2;
    qf_position *a = realloc(p->pos, cap * sizeof *a);
    if (a == NULL)
        return qf_err_set(err, QF_ENOMEM, "portfolio %s: out of memory", p->account);
    p->pos = a;
    qf_position *b = realloc(p->open, cap * sizeof *b);
    if (b == NULL)
        return qf_err_set(err, QF_ENOMEM, "portfolio %s: out of memory", p->account);
    p->open = b;
    p->cap = cap;
    return QF_OK;
}

static qf_rc check_symbol(const qf_portfolio *p, const char *symbol, size_t size, qf_err *err)
{
    if (symbol == NULL || memchr(symbol, '\0', size) == NULL ||
        qf_symbol_validate(symbol, err) != QF_OK)
        return qf_err_set(err, QF_EINVAL, "portfolio %s: symbol must be BASE/QUOTE", p->account);
    return QF_OK;
}

qf_rc qf_portfolio_mark(qf_portfolio *p, const char *symbol, double price, qf_err *err)
{
    qf_err_clear(err);
    qf_rc rc = check_symbol(p, symbol, QF_SYMBOL_MAX, err);
    if (rc != QF_OK)
        return rc;
    if (!isfinite(price) || price <= 0)
        return qf_err_set(err, QF_EINVAL, "portfolio %s: mark price of %s must be finite and > 0",
                          p->account, symbol);
    qf_position *q = find(p, symbol);
    if (q == NULL)
        return QF_OK; /* nothing held: nothing to value */
    q->mark_price = price;
    rebuild_open(p);
    return QF_OK;
}

static qf_rc check_fill(const qf_portfolio *p, const qf_fill *f, qf_err *err)
{
    if (f == NULL)
        return qf_err_set(err, QF_EINVAL, "portfolio %s: no fill", p->account);
    qf_rc rc = check_symbol(p, f->symbol, sizeof f->symbol, err);
    if (rc != QF_OK)
        return rc;
    const char *s = f->symbol;
    if (f->side != QF_SIDE_BUY && f->side != QF_SIDE_SELL)
        return qf_err_set(err, QF_EINVAL, "portfolio %s: fill of %s: side must be buy or sell",
                          p->account, s);
    if (!isfinite(f->quantity) || f->quantity <= 0)
        return qf_err_set(err, QF_EINVAL,
                          "portfolio %s: fill of %s: quantity must be finite and > 0", p->account,
                          s);
    if (!isfinite(f->price) || f->price <= 0)
        return qf_err_set(err, QF_EINVAL, "portfolio %s: fill of %s: price must be finite and > 0",
                          p->account, s);
    if (!isfinite(f->fee) || f->fee < 0)
        return qf_err_set(err, QF_EINVAL, "portfolio %s: fill of %s: fee must be finite and >= 0",
                          p->account, s);
    return QF_OK;
}

/* The position after a quote-fee fill f (pure): see the file comment. */
static qf_position position_after(const qf_position *old, const qf_fill *f)
{
    qf_position q = *old;
    double s = (double)f->side;
    double held = fabs(q.quantity);
    if (q.quantity == 0 || (q.quantity > 0) == (s > 0)) {
        q.avg_entry = (held * q.avg_entry + f->quantity * f->price) / (held + f->quantity);
        q.quantity += s * f->quantity;
    } else if (fabs(f->quantity - held) <= FLAT_EPS * held) {
        q.realized_pnl += (f->price - q.avg_entry) * held * (q.quantity > 0 ? 1 : -1);
        q.quantity = 0;
        q.avg_entry = 0;
    } else if (f->quantity < held) {
        q.realized_pnl += (f->price - q.avg_entry) * f->quantity * (q.quantity > 0 ? 1 : -1);
        q.quantity += s * f->quantity;
    } else {
        q.realized_pnl += (f->price - q.avg_entry) * held * (q.quantity > 0 ? 1 : -1);
        q.quantity = s * (f->quantity - held);
        q.avg_entry = f->price;
    }
    q.realized_pnl -= f->fee;
    q.fees += f->fee;
    return q;
}

/* fee_asset is the base asset of symbol ("BTC" of "BTC/USDT"). */
static int fee_in_base(const char *symbol, const char *fee_asset)
{
    const char *slash = strchr(symbol, '/');
    size_t n = slash != NULL ? (size_t)(slash - symbol) : 0;
    return n > 0 && strlen(fee_asset) == n && strncmp(fee_asset, symbol, n) == 0;
}

/* The fill as it moves the position (*out) and how much cash it costs
 * (*out_cost, signed: what leaves the account); see the file comment. */
static qf_rc effective_fill(const qf_portfolio *p, const qf_fill *f, const char *fee_asset,
                            qf_fill *out, double *out_cost, qf_err *err)
{
    qf_rc rc = check_fill(p, f, err);
    if (rc != QF_OK)
        return rc;
    *out = *f;
    double s = (double)f->side;
    *out_cost = s * f->quantity * f->price + f->fee;
    if (fee_asset == NULL || !fee_in_base(f->symbol, fee_asset))
        return QF_OK;
    out->quantity = f->quantity - s * (f->fee / f->price);
    *out_cost = s * f->quantity * f->price;
    if (!(out->quantity > 0))
        return qf_err_set(err, QF_EINVAL,
                          "portfolio %s: fill of %s: fee of %.17g %s is not less than the "
                          "quantity bought",
                          p->account, f->symbol, f->fee / f->price, fee_asset);
    return QF_OK;
}

/* The position and cash after fill f (checked by effective_fill) applied
 * to *pos and cash. */
static qf_rc apply_to(const qf_portfolio *p, const qf_fill *eff, double cost, qf_position *pos,
                      double *cash, qf_err *err)
{
    qf_position q = position_after(pos, eff);
    double c = *cash - cost;
    if (!isfinite(c) || !isfinite(q.realized_pnl) || !isfinite(q.quantity) ||
        !isfinite(q.avg_entry) || !isfinite(q.fees))
        return qf_err_set(err, QF_ERANGE, "portfolio %s: fill of %s overflows the accounts",
                          p->account, eff->symbol);
    *pos = q;
    *cash = c;
    return QF_OK;
}

/* Applies a fill in memory: validated first, nothing changes on failure. */
static qf_rc apply_memory(qf_portfolio *p, const qf_fill *fill, const char *fee_asset, qf_err *err)
{
    qf_err_clear(err);
    qf_fill eff;
    double cost = 0;
    qf_rc rc = effective_fill(p, fill, fee_asset, &eff, &cost, err);
    if (rc != QF_OK)
        return rc;
    qf_position *slot = find(p, fill->symbol);
    if (slot == NULL && (rc = reserve(p, err)) != QF_OK)
        return rc;
    qf_position pos = slot != NULL ? *slot : flat(fill->symbol);
    double cash = p->cash;
    rc = apply_to(p, &eff, cost, &pos, &cash, err);
    if (rc != QF_OK)
        return rc;
    if (slot == NULL)
        slot = &p->pos[p->n++];
    *slot = pos;
    p->cash = cash;
    rebuild_open(p);
    return QF_OK;
}

qf_rc qf_portfolio_apply(qf_portfolio *p, const qf_fill *fill, qf_err *err)
{
    return apply_memory(p, fill, NULL, err);
}

qf_rc qf_portfolio_apply_row(qf_portfolio *p, const qf_fill_row *fill, qf_err *err)
{
    if (fill == NULL) {
        qf_err_clear(err);
        return qf_err_set(err, QF_EINVAL, "portfolio %s: no fill", p->account);
    }
    return apply_memory(p, &fill->fill, fill->fee_asset, err);
}

/* Memory becomes the account as the store holds it (cash, every position);
 * a mark this process set is kept, it is newer than any it read. */
static qf_rc adopt(qf_portfolio *p, double cash, qf_position *v, size_t n, qf_err *err)
{
    size_t cap = n < 4 ? 4 : n;
    qf_position *open = malloc(cap * sizeof *open);
    qf_position *pos = malloc(cap * sizeof *pos);
    if (open == NULL || pos == NULL) {
        free(open);
        free(pos);
        return qf_err_set(err, QF_ENOMEM,
                          "portfolio %s: out of memory refreshing from the store (reload it)",
                          p->account);
    }
    for (size_t i = 0; i < n; i++) {
        pos[i] = v[i];
        const qf_position *mine = find(p, v[i].symbol);
        if (mine != NULL && !isnan(mine->mark_price))
            pos[i].mark_price = mine->mark_price;
    }
    free(p->pos);
    free(p->open);
    p->pos = pos;
    p->open = open;
    p->n = n;
    p->cap = cap;
    p->cash = cash;
    rebuild_open(p);
    return QF_OK;
}

typedef struct stored_apply {
    const qf_portfolio *p;
    qf_fill eff; /* the fill as it moves the position */
    double cost; /* cash it takes */
} stored_apply;

/* qf_store_fill_fn: the fill applied to the position and cash as stored;
 * the mark is this process's when it has one (fills do not move it). */
static qf_rc apply_stored(void *ctx, const qf_fill_row *fill, qf_position *position, double *cash,
                          qf_err *err)
{
    const stored_apply *a = ctx;
    (void)fill;
    const qf_position *mine = find(a->p, position->symbol);
    if (mine != NULL && !isnan(mine->mark_price))
        position->mark_price = mine->mark_price;
    return apply_to(a->p, &a->eff, a->cost, position, cash, err);
}

qf_rc qf_portfolio_record_fill(qf_portfolio *p, qf_store *store, const qf_fill_row *fill,
                               const qf_order_row *order_after, qf_err *err)
{
    qf_err_clear(err);
    if (fill == NULL)
        return qf_err_set(err, QF_EINVAL, "portfolio %s: no fill", p->account);
    stored_apply a;
    memset(&a, 0, sizeof a);
    a.p = p;
    qf_rc rc = effective_fill(p, &fill->fill, fill->fee_asset, &a.eff, &a.cost, err);
    if (rc != QF_OK)
        return rc;
    double cash = 0;
    qf_position *v = NULL;
    size_t n = 0;
    rc = qf_store_record_fill(store, p->account, fill, order_after, apply_stored, &a, &cash, &v, &n,
                              err);
    if (rc == QF_OK)
        rc = adopt(p, cash, v, n, err);
    free(v);
    return rc;
}

qf_snapshot qf_portfolio_snapshot(qf_portfolio *p, int64_t time)
{
    qf_snapshot s;
    s.time = time;
    s.cash = p->cash;
    s.equity = qf_portfolio_equity(p);
    s.gross_exposure = 0;
    for (size_t i = 0; i < p->n; i++)
        s.gross_exposure += fabs(p->pos[i].quantity * value_price(&p->pos[i]));
    if (isnan(p->peak) || s.equity > p->peak)
        p->peak = s.equity;
    s.drawdown = p->peak > 0 && s.equity < p->peak ? 1 - s.equity / p->peak : 0;
    return s;
}

/* A JSON number, or null for NaN (jansson refuses NaN). */
static json_t *number(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* The non-zero positions as a JSON array of objects; malloc'd text. */
static char *positions_json(const qf_portfolio *p)
{
    json_t *arr = json_array();
    int bad = arr == NULL;
    for (size_t i = 0; i < p->n_open && !bad; i++) {
        const qf_position *q = &p->open[i];
        json_t *o =
            json_pack("{s:s, s:f, s:f, s:o, s:f, s:f}", "symbol", q->symbol, "quantity",
                      q->quantity, "avg_entry", q->avg_entry, "mark_price", number(q->mark_price),
                      "realized_pnl", q->realized_pnl, "fees", q->fees);
        bad = o == NULL || json_array_append_new(arr, o) != 0;
    }
    char *text = bad ? NULL : json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(arr);
    return text;
}

qf_rc qf_portfolio_save_snapshot(qf_portfolio *p, qf_store *store, int64_t time, qf_err *err)
{
    qf_err_clear(err);
    double cash = 0;
    qf_position *v = NULL;
    size_t n = 0;
    qf_rc rc = qf_store_mark_positions(store, p->account, p->pos, p->n, time, &cash, &v, &n, err);
    if (rc == QF_ENOTFOUND) { /* never saved (qf_portfolio_new): saved whole */
        qf_err_clear(err);
        rc = qf_store_save_portfolio(store, p->account, p->cash, p->pos, p->n, time, err);
    } else if (rc == QF_OK) {
        rc = adopt(p, cash, v, n, err);
    }
    free(v);
    if (rc != QF_OK)
        return rc;
    char *json = positions_json(p);
    if (json == NULL)
        return qf_err_set(err, QF_ENOMEM, "portfolio %s: out of memory writing positions",
                          p->account);
    double peak = p->peak;
    qf_snapshot s = qf_portfolio_snapshot(p, time);
    rc = qf_store_insert_snapshot(store, p->account, &s, json, err);
    free(json);
    if (rc != QF_OK)
        p->peak = peak;
    return rc;
}

/* The highest equity of the account's stored snapshots (NaN when none). */
static qf_rc stored_peak(qf_store *store, const char *account, double *out_peak, qf_err *err)
{
    qf_snapshot *v = NULL;
    size_t n = 0;
    qf_rc rc = qf_store_list_snapshots(store, account, INT64_MIN, INT64_MAX, &v, &n, err);
    if (rc != QF_OK)
        return rc;
    double peak = NAN;
    for (size_t i = 0; i < n; i++) {
        if (isnan(peak) || v[i].equity > peak)
            peak = v[i].equity;
    }
    free(v);
    *out_peak = peak;
    return QF_OK;
}

/* A portfolio holding the stored positions; takes no ownership of them. */
static qf_rc from_stored(const char *account, double cash, const qf_position *v, size_t n,
                         qf_portfolio **out, qf_err *err)
{
    qf_portfolio *p = NULL;
    qf_rc rc = qf_portfolio_new(account, cash, &p, err);
    for (size_t i = 0; i < n && rc == QF_OK; i++) {
        rc = reserve(p, err);
        if (rc == QF_OK)
            p->pos[p->n++] = v[i];
    }
    if (rc != QF_OK) {
        qf_portfolio_free(p);
        return rc;
    }
    rebuild_open(p);
    *out = p;
    return QF_OK;
}

qf_rc qf_portfolio_load(qf_store *store, const char *account, double initial_cash,
                        qf_portfolio **out, qf_err *err)
{
    qf_err_clear(err);
    if (out == NULL)
        return qf_err_set(err, QF_EINVAL, "portfolio: no output");
    double cash = 0;
    qf_position *v = NULL;
    size_t n = 0;
    bool found = false;
    qf_rc rc = qf_store_load_portfolio(store, account, &cash, &v, &n, &found, err);
    if (rc == QF_OK && !found) {
        /* Created only if no other process did meanwhile; then read back
         * whichever was stored first. */
        qf_portfolio *check = NULL;
        rc = qf_portfolio_new(account, initial_cash, &check, err); /* name and cash */
        qf_portfolio_free(check);
        if (rc == QF_OK)
            rc = qf_store_create_account(store, account, initial_cash, qf_time_now_ms(), NULL, err);
        if (rc == QF_OK)
            rc = qf_store_load_portfolio(store, account, &cash, &v, &n, &found, err);
        if (rc == QF_OK && !found)
            rc = qf_err_set(err, QF_ESTORE, "portfolio %s: created but not found", account);
    }
    if (rc != QF_OK)
        return rc;
    qf_portfolio *p = NULL;
    rc = from_stored(account, cash, v, n, &p, err);
    free(v);
    if (rc == QF_OK)
        rc = stored_peak(store, account, &p->peak, err);
    if (rc != QF_OK) {
        qf_portfolio_free(p);
        return rc;
    }
    *out = p;
    return QF_OK;
}
