/*
 * mock_data.c - the mock's history and prices: the bundled Binance candles
 * (data/<SYMBOL>-<tf>.csv), the clock, the price path inside a bar and the
 * candle buckets both venues serve.
 *
 * The price at time t walks open -> low -> high -> close (open -> high ->
 * low -> close when the bar falls), a third of the bar per leg, so a resting
 * limit order anywhere inside a bar's range is crossed while that bar passes.
 * Inside an outage (missing bars) the price stays at the last close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock/mock_int.h"

#define HOUR_MS (3600LL * 1000)

int64_t mock_now_locked(const qf_mock *m)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return m->start_ms + (m->frozen ? 0 : wall - m->wall0_ms) + m->advanced_ms + m->skew_ms;
}

/* Reads one CSV (open_time,open,high,low,close,volume,...) into ser. */
static qf_rc load_csv(const char *path, int64_t interval, mock_series *ser, qf_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return qf_err_set(err, QF_EIO, "%s: %s", path, strerror(errno));
    char line[512];
    size_t cap = 0, lineno = 0;
    qf_rc rc = QF_OK;
    ser->interval_ms = interval;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1)
            continue; /* header */
        char *fields[7] = {0};
        char *p = line;
        int nf = 0;
        while (nf < 7) {
            fields[nf++] = p;
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            *comma = '\0';
            p = comma + 1;
        }
        mock_bar b;
        int64_t t;
        if (nf < 7 || !mock_parse_i64(fields[0], &t) || mock_parse_units(fields[1], &b.o) ||
            mock_parse_units(fields[2], &b.h) || mock_parse_units(fields[3], &b.l) ||
            mock_parse_units(fields[4], &b.c) || mock_parse_units(fields[5], &b.v) ||
            (ser->n && t <= ser->bars[ser->n - 1].open_time)) {
            rc = qf_err_set(err, QF_EPARSE, "%s:%zu: malformed candle row", path, lineno);
            break;
        }
        b.open_time = t;
        if (ser->n == cap) {
            cap = cap ? cap * 2 : 4096;
            mock_bar *nb = realloc(ser->bars, cap * sizeof *nb);
            if (!nb) {
                rc = qf_err_set(err, QF_ENOMEM, "%s: out of memory", path);
                break;
            }
            ser->bars = nb;
        }
        ser->bars[ser->n++] = b;
    }
    fclose(f);
    if (rc == QF_OK && ser->n == 0)
        rc = qf_err_set(err, QF_EPARSE, "%s: no candles", path);
    return rc;
}

typedef struct sym_def {
    const char *name, *base, *quote, *tick, *step, *max_qty;
    const char *files[2];
    int64_t intervals[2];
} sym_def;

static const sym_def SYMS[MOCK_NSYM] = {
    {"BTCUSDT",
     "BTC",
     "USDT",
     "0.01",
     "0.00001",
     "9000",
     {"BTCUSDT-1h.csv", "BTCUSDT-4h.csv"},
     {HOUR_MS, 4 * HOUR_MS}},
    {"ETHUSDT",
     "ETH",
     "USDT",
     "0.01",
     "0.0001",
     "9000",
     {"ETHUSDT-4h.csv", NULL},
     {4 * HOUR_MS, 0}},
    {"SOLUSDT",
     "SOL",
     "USDT",
     "0.01",
     "0.001",
     "9000000",
     {"SOLUSDT-4h.csv", NULL},
     {4 * HOUR_MS, 0}},
};

qf_rc mock_load_data(qf_mock *m, const char *dir, qf_err *err)
{
    for (int i = 0; i < MOCK_NSYM; i++) {
        const sym_def *d = &SYMS[i];
        mock_symbol *s = &m->syms[i];
        snprintf(s->name, sizeof s->name, "%s", d->name);
        snprintf(s->base, sizeof s->base, "%s", d->base);
        snprintf(s->quote, sizeof s->quote, "%s", d->quote);
        snprintf(s->product, sizeof s->product, "%s-%s", d->base, d->quote);
        (void)mock_parse_units(d->tick, &s->tick);
        (void)mock_parse_units(d->tick, &s->min_price);
        (void)mock_parse_units("1000000", &s->max_price);
        (void)mock_parse_units(d->step, &s->step);
        (void)mock_parse_units(d->step, &s->min_qty);
        (void)mock_parse_units(d->max_qty, &s->max_qty);
        (void)mock_parse_units("5", &s->min_notional);
        (void)mock_parse_units("9000000", &s->max_notional);
        for (int k = 0; k < 2 && d->files[k]; k++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, d->files[k]);
            qf_rc rc = load_csv(path, d->intervals[k], &s->series[k], err);
            if (rc != QF_OK)
                return rc;
        }
    }
    return QF_OK;
}

void mock_free_data(qf_mock *m)
{
    for (int i = 0; i < MOCK_NSYM; i++)
        for (int k = 0; k < 2; k++) {
            free(m->syms[i].series[k].bars);
            m->syms[i].series[k].bars = NULL;
            m->syms[i].series[k].n = 0;
        }
}

int mock_find_symbol(const qf_mock *m, const char *name)
{
    for (int i = 0; name && i < MOCK_NSYM; i++)
        if (strcmp(m->syms[i].name, name) == 0)
            return i;
    return -1;
}

int mock_find_product(const qf_mock *m, const char *id)
{
    for (int i = 0; id && i < MOCK_NSYM; i++)
        if (strcmp(m->syms[i].product, id) == 0)
            return i;
    return -1;
}

static int64_t series_end(const mock_series *ser)
{
    return ser->n ? ser->bars[ser->n - 1].open_time + ser->interval_ms : 0;
}

const mock_series *mock_series_at(const mock_symbol *s, int64_t t)
{
    if (s->series[1].n && t >= series_end(&s->series[0]))
        return &s->series[1];
    return &s->series[0];
}

/* Index of the last bar with open_time <= t, or -1. */
static long bar_at_or_before(const mock_series *ser, int64_t t)
{
    long lo = 0, hi = (long)ser->n - 1, ans = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (ser->bars[mid].open_time <= t) {
            ans = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return ans;
}

/* The four corners of the bar's path and the leg boundaries (ms offsets). */
static void bar_path(const mock_bar *b, int64_t interval, mock_u pt[4], int64_t at[4])
{
    pt[0] = b->o;
    pt[1] = b->c >= b->o ? b->l : b->h;
    pt[2] = b->c >= b->o ? b->h : b->l;
    pt[3] = b->c;
    for (int k = 0; k < 4; k++)
        at[k] = interval * k / 3;
}

/* Price of the path at offset dt (0 <= dt <= interval) inside bar b. */
static mock_u path_price(const mock_bar *b, int64_t interval, int64_t dt)
{
    mock_u pt[4];
    int64_t at[4];
    bar_path(b, interval, pt, at);
    for (int k = 0; k < 3; k++)
        if (dt <= at[k + 1]) {
            int64_t span = at[k + 1] - at[k];
            mock_i128 d = (mock_i128)(pt[k + 1] - pt[k]) * (dt - at[k]);
            return pt[k] + (mock_u)(span ? d / span : 0);
        }
    return pt[3];
}

mock_u mock_price_at(const mock_symbol *s, int64_t t)
{
    const mock_series *ser = mock_series_at(s, t);
    long i = bar_at_or_before(ser, t);
    if (i < 0)
        return ser->n ? ser->bars[0].o : MOCK_UNIT;
    const mock_bar *b = &ser->bars[i];
    mock_u p;
    if (t >= b->open_time + ser->interval_ms)
        p = b->c; /* in an outage or past the data: the last close */
    else
        p = path_price(b, ser->interval_ms, t - b->open_time);
    p = mock_floor_to(p, s->tick);
    return p > 0 ? p : s->tick;
}

static void widen(mock_u p, mock_u *lo, mock_u *hi)
{
    if (p < *lo)
        *lo = p;
    if (p > *hi)
        *hi = p;
}

void mock_path_range(const mock_symbol *s, int64_t t0, int64_t t1, mock_u *lo, mock_u *hi,
                     mock_u *vol)
{
    mock_u p0 = mock_price_at(s, t0);
    *lo = *hi = p0;
    *vol = 0;
    int64_t t = t0;
    while (t < t1) {
        const mock_series *ser = mock_series_at(s, t);
        long i = bar_at_or_before(ser, t);
        if (i < 0)
            i = 0;
        const mock_bar *b = &ser->bars[i];
        int64_t bend = b->open_time + ser->interval_ms;
        if (t >= bend) { /* outage or past the data: flat; jump to the next bar */
            if ((size_t)i + 1 >= ser->n) {
                if (ser == &s->series[0] && s->series[1].n) {
                    t = bend;
                    continue;
                }
                break;
            }
            t = ser->bars[i + 1].open_time;
            continue;
        }
        if (t < b->open_time) {
            t = b->open_time;
            continue;
        }
        int64_t a = t - b->open_time, z = (t1 < bend ? t1 : bend) - b->open_time;
        mock_u pt[4];
        int64_t at[4];
        bar_path(b, ser->interval_ms, pt, at);
        widen(path_price(b, ser->interval_ms, a), lo, hi);
        widen(path_price(b, ser->interval_ms, z), lo, hi);
        for (int k = 1; k < 3; k++)
            if (at[k] > a && at[k] < z)
                widen(pt[k], lo, hi);
        *vol += (mock_u)((mock_i128)b->v * (z - a) / ser->interval_ms);
        t = b->open_time + z;
    }
    *lo = mock_floor_to(*lo, s->tick);
    *hi = mock_floor_to(*hi, s->tick);
}

/* ---- candle buckets ---- */

static int64_t bucket_start(int64_t t, int64_t interval)
{
    /* weeks start on Monday (1970-01-05), everything else on the epoch */
    int64_t align = interval == 7 * 24 * HOUR_MS ? 4 * 24 * HOUR_MS : 0;
    int64_t r = (t - align) % interval;
    if (r < 0)
        r += interval;
    return t - r;
}

/* The bucket of bars [i, j) of ser; partial when it contains now. */
static void make_bucket(const mock_symbol *s, const mock_series *ser, long i, long j,
                        int64_t interval, int64_t now, mock_bar *out)
{
    const mock_bar *first = &ser->bars[i];
    int64_t start = bucket_start(first->open_time, interval);
    out->open_time = start;
    out->o = first->o;
    out->h = first->h;
    out->l = first->l;
    out->c = ser->bars[j - 1].c;
    out->v = 0;
    for (long k = i; k < j; k++) {
        widen(ser->bars[k].h, &out->l, &out->h);
        widen(ser->bars[k].l, &out->l, &out->h);
        out->v += ser->bars[k].v;
    }
    if (now < start + interval) { /* still forming: only what happened so far */
        mock_u lo, hi, vol;
        mock_path_range(s, first->open_time, now, &lo, &hi, &vol);
        out->c = mock_price_at(s, now);
        out->h = out->o;
        out->l = out->o;
        widen(lo, &out->l, &out->h);
        widen(hi, &out->l, &out->h);
        widen(out->c, &out->l, &out->h);
        out->v = vol;
    }
}

long mock_buckets(const mock_symbol *s, int64_t interval, int64_t from, int64_t to, long limit,
                  bool newest, int64_t now, mock_bar *out)
{
    const mock_series *ser = NULL;
    for (int k = 0; k < 2; k++) {
        const mock_series *c = &s->series[k];
        if (!c->n || interval % c->interval_ms)
            continue;
        if (!ser || c->interval_ms == interval ||
            (ser->interval_ms != interval && c->interval_ms > ser->interval_ms))
            ser = c;
    }
    if (!ser || limit <= 0)
        return ser ? 0 : -1;
    if (to > now)
        to = now;
    if (to < from)
        return 0;
    long n = 0;
    if (!newest) {
        long i = bar_at_or_before(ser, from - 1) + 1;
        while (i < (long)ser->n && n < limit) {
            int64_t b0 = bucket_start(ser->bars[i].open_time, interval);
            if (b0 > to || ser->bars[i].open_time > now)
                break;
            long j = i + 1;
            while (j < (long)ser->n && ser->bars[j].open_time < b0 + interval &&
                   ser->bars[j].open_time <= now)
                j++;
            if (b0 >= from)
                make_bucket(s, ser, i, j, interval, now, &out[n++]);
            i = j;
        }
        return n;
    }
    long j = bar_at_or_before(ser, to) + 1; /* bars [.., j) */
    if (j > 0) { /* the newest bucket also holds its bars after `to` (up to now) */
        int64_t b0 = bucket_start(ser->bars[j - 1].open_time, interval);
        while (j < (long)ser->n && ser->bars[j].open_time < b0 + interval &&
               ser->bars[j].open_time <= now)
            j++;
    }
    while (j > 0 && n < limit) {
        int64_t b0 = bucket_start(ser->bars[j - 1].open_time, interval);
        if (b0 < from)
            break;
        long i = j - 1;
        while (i > 0 && ser->bars[i - 1].open_time >= b0)
            i--;
        make_bucket(s, ser, i, j, interval, now, &out[n++]);
        j = i;
    }
    for (long a = 0, b = n - 1; a < b; a++, b--) {
        mock_bar t = out[a];
        out[a] = out[b];
        out[b] = t;
    }
    return n;
}
