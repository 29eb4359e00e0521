/*
 * test_orders.c - explicit orders in the event-driven engine on the bundled
 * real candles: limit buys and sells fill when the bar reaches the limit at
 * the limit or a better open with the maker fee, marketable limits at the
 * open, expiry after the timeout, cancels, partial fills under the
 * per-bar participation cap, explicit market orders, and bad requests.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/engine.h"
#include "testutil.h"

/* A strategy that places scripted orders: at bar `at`, the request with
 * limit_price given as a multiple of that bar's close (0: market). */
typedef struct action {
    size_t at;
    size_t symbol;
    double qty;
    double limit_mult;
    int timeout;
    int cancel_at; /* bar at which to cancel it (0: never) */
} action;

typedef struct script {
    const action *acts;
    size_t n;
    int64_t ids[64];
    int working[64]; /* query of ids[0] at bars at .. at + 63 */
    qf_rc cancel_rc, submit_rc;
    char msg[QF_ERR_MSG_MAX];
} script;

static script *g_script;

static qf_rc sc_init(const qf_strategy_params *p, size_t n, void **st, qf_err *err)
{
    (void)p, (void)n, (void)err;
    *st = g_script;
    return QF_OK;
}

static qf_rc sc_bar(void *st, const qf_strategy_ctx *ctx, double *out, qf_err *err)
{
    script *sc = st;
    (void)err;
    for (size_t s = 0; s < ctx->n_symbols; s++)
        out[s] = NAN; /* no targets: explicit orders only */
    cr_assert_not_null(ctx->orders, "the event engine offers order entry");
    for (size_t k = 0; k < sc->n; k++) {
        const action *a = &sc->acts[k];
        if (ctx->t == a->at) {
            const qf_bars *b = &ctx->bars[a->symbol < ctx->n_symbols ? a->symbol : 0];
            qf_order_request rq = {a->symbol, a->qty,
                                   a->limit_mult != 0 ? QF_ORDER_LIMIT : QF_ORDER_MARKET,
                                   a->limit_mult * b->close[b->n - 1], a->timeout};
            qf_err e2 = {0};
            sc->submit_rc = ctx->orders->submit(ctx->orders->venue, &rq, &sc->ids[k], &e2);
            if (sc->submit_rc != QF_OK) {
                snprintf(sc->msg, sizeof sc->msg, "%s", e2.msg);
                return qf_err_set(err, sc->submit_rc, "%s", e2.msg);
            }
        }
        if (a->cancel_at > 0 && ctx->t == (size_t)a->cancel_at)
            sc->cancel_rc = ctx->orders->cancel(ctx->orders->venue, sc->ids[k], NULL);
    }
    if (sc->n > 0 && ctx->t >= sc->acts[0].at && ctx->t < sc->acts[0].at + 64) {
        int w = -1;
        double filled;
        cr_assert_eq(ctx->orders->query(ctx->orders->venue, sc->ids[0], &filled, &w, NULL), QF_OK);
        sc->working[ctx->t - sc->acts[0].at] = w;
    }
    return QF_OK;
}

static void sc_free(void *st)
{
    (void)st;
}

static const qf_strategy_def scripted = {"scripted", "",     NULL,    NULL, 0,
                                         sc_init,    sc_bar, sc_free, NULL};

static qf_engine_config cfg(void)
{
    qf_engine_config c = qf_engine_config_default();
    c.costs = (qf_cost_model){10, 2, 5, 2, 24}; /* maker 2 bps, taker 10 */
    c.max_participation = 1.0;
    return c;
}

static void run(qf_engine_config c, const qf_bars *b, size_t n_sym, script *sc,
                qf_backtest_result *r)
{
    g_script = sc;
    qf_err err = {0};
    cr_assert_eq(qf_backtest_run(&c, &scripted, NULL, b, n_sym, r, &err), QF_OK, "%s", err.msg);
}

Test(orders, limit_buy_fills_when_the_low_reaches_the_limit)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    const size_t t0 = 2000;
    action a[] = {{t0, 0, 1.5, 0.97, 500, 0}};
    script sc = {a, 1, {0}, {0}, QF_OK, QF_OK, ""};
    qf_backtest_result r;
    run(cfg(), &b, 1, &sc, &r);
    double limit = 0.97 * b.close[t0];
    size_t j = t0 + 1;
    while (j < b.n && b.low[j] > limit)
        j++;
    cr_assert_lt(j, t0 + 500, "the real series reaches -3 %% within the timeout");
    cr_assert_gt(j, t0 + 1, "and not at once, so the wait is tested");
    cr_assert_eq(r.n_fills, 1);
    const qf_bt_fill *f = &r.fills[0];
    cr_expect_eq(f->time, b.open_time[j], "fills in the first bar whose low reaches the limit");
    cr_expect_eq(f->price, fmin(limit, b.open[j]));
    cr_expect_eq(f->qty, 1.5);
    cr_expect(fabs(f->fee - 1.5 * f->price * 2e-4) < 1e-9, "maker fee: %g", f->fee);
    cr_expect_eq(f->maker, 1);
    cr_expect_eq(f->spread_cost, 0.0);
    cr_expect_eq(f->impact_cost, 0.0);
    cr_expect_eq(r.orders[0].status, QF_BT_FILLED);
    cr_expect_eq(r.orders[0].type, QF_ORDER_LIMIT);
    cr_expect_eq(r.orders[0].explicit_order, 1);
    cr_expect_eq(r.positions[j - 1], 0.0);
    cr_expect_eq(r.positions[j], 1.5);
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b);
}

Test(orders, limit_sell_fills_when_the_high_reaches_the_limit)
{
    qf_bars b = qf_test_bars("ETHUSDT");
    const size_t t0 = 5000, t1 = 5010;
    action a[] = {{t0, 0, 2.0, 0, 0, 0}, {t1, 0, -2.0, 1.04, 1000, 0}};
    script sc = {a, 2, {0}, {0}, QF_OK, QF_OK, ""};
    qf_backtest_result r;
    run(cfg(), &b, 1, &sc, &r);
    double limit = 1.04 * b.close[t1];
    size_t j = t1 + 1;
    while (j < b.n && b.high[j] < limit)
        j++;
    cr_assert_lt(j, b.n);
    cr_assert_eq(r.n_fills, 2);
    cr_expect_eq(r.fills[0].time, b.open_time[t0 + 1], "the market buy at the next open");
    cr_expect_eq(r.fills[0].maker, 0);
    cr_expect_gt(r.fills[0].price, b.open[t0 + 1], "a taker buy pays the spread");
    cr_expect_eq(r.fills[1].time, b.open_time[j]);
    cr_expect_eq(r.fills[1].price, fmax(limit, b.open[j]));
    cr_expect_eq(r.fills[1].qty, -2.0);
    cr_expect_eq(r.positions[r.n - 1], 0.0);
    cr_expect_eq(r.n_trades, 1);
    double pnl = 2.0 * (r.fills[1].price - r.fills[0].price) - r.fills[0].fee - r.fills[1].fee;
    cr_expect(fabs(r.trades[0].pnl - pnl) < 1e-9, "%g vs %g", r.trades[0].pnl, pnl);
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b);
}

Test(orders, marketable_limit_fills_at_the_open)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    const size_t t0 = 7000;
    action a[] = {{t0, 0, 1.0, 1.05, 0, 0}};
    script sc = {a, 1, {0}, {0}, QF_OK, QF_OK, ""};
    qf_backtest_result r;
    run(cfg(), &b, 1, &sc, &r);
    cr_assert_lt(b.open[t0 + 1], 1.05 * b.close[t0]);
    cr_assert_eq(r.n_fills, 1);
    cr_expect_eq(r.fills[0].time, b.open_time[t0 + 1]);
    cr_expect_eq(r.fills[0].price, b.open[t0 + 1], "the better open, not the limit");
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b);
}

Test(orders, unfilled_limit_expires_after_the_timeout)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    const size_t t0 = 3000;
    for (int timeout = 0; timeout <= 3; timeout += 3) {
        action a[] = {{t0, 0, 1.0, 0.5, timeout, 0}};
        script sc = {a, 1, {0}, {0}, QF_OK, QF_OK, ""};
        qf_backtest_result r;
        qf_engine_config c = cfg();
        run(c, &b, 1, &sc, &r);
        int bars = timeout > 0 ? timeout : c.order_timeout_bars;
        cr_expect_eq(r.n_fills, 0);
        cr_expect_eq(r.orders[0].status, QF_BT_EXPIRED);
        for (int k = 0; k < bars; k++)
            cr_expect_eq(sc.working[k], 1, "timeout %d: working at the close of t0 + %d", bars, k);
        cr_expect_eq(sc.working[bars], 0, "expired after %d bars", bars);
        qf_backtest_result_free(&r);
    }
    qf_bars_cleanup(&b);
}

Test(orders, cancel_stops_a_working_order)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    action a[] = {{100, 0, 1.0, 0.5, 50, 103}};
    script sc = {a, 1, {0}, {0}, QF_OK, QF_OK, ""};
    qf_backtest_result r;
    run(cfg(), &b, 1, &sc, &r);
    cr_expect_eq(sc.cancel_rc, QF_OK);
    cr_expect_eq(r.orders[0].status, QF_BT_CANCELLED);
    cr_expect_eq(sc.working[2], 1);
    cr_expect_eq(sc.working[3], 0);
    qf_backtest_result_free(&r);
    /* cancelling it again: not working any more */
    action a2[] = {{100, 0, 1.0, 0.5, 2, 110}};
    script sc2 = {a2, 1, {0}, {0}, QF_OK, QF_OK, ""};
    run(cfg(), &b, 1, &sc2, &r);
    cr_expect_eq(sc2.cancel_rc, QF_ENOTFOUND, "an expired order cannot be cancelled");
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b);
}

/* Large limit order against a 0.2 % participation cap: it fills over many
 * bars, only in bars that reach the limit, never above the cap. */
Test(orders, partial_limit_fills_respect_participation)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    const size_t t0 = 9000;
    qf_engine_config c = cfg();
    c.max_participation = 0.002;
    c.initial_equity = 1e8;
    action a[] = {{t0, 0, 60.0, 0.995, 200, 0}};
    script sc = {a, 1, {0}, {0}, QF_OK, QF_OK, ""};
    qf_backtest_result r;
    run(c, &b, 1, &sc, &r);
    double limit = 0.995 * b.close[t0];
    cr_assert_gt(r.n_fills, 3, "worked over several bars");
    double total = 0;
    size_t bar = t0;
    for (size_t k = 0; k < r.n_fills; k++) {
        while (b.open_time[bar] != r.fills[k].time)
            bar++;
        cr_expect_leq(b.low[bar], limit, "fill %zu in a bar that reached the limit", k);
        cr_expect_leq(r.fills[k].price, limit);
        cr_expect_leq(r.fills[k].qty, 0.002 * b.volume[bar] * (1 + 1e-12));
        total += r.fills[k].qty;
    }
    cr_expect_leq(total, 60.0 * (1 + 1e-12));
    cr_expect_eq(r.orders[0].filled, total);
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b);
}

Test(orders, explicit_market_orders_follow_fill_at)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    const size_t t0 = 4000;
    action a[] = {{t0, 0, 2.0, 0, 0, 0}};
    script sc = {a, 1, {0}, {0}, QF_OK, QF_OK, ""};
    qf_backtest_result r;
    qf_engine_config c = cfg();
    c.latency_bars = 2;
    run(c, &b, 1, &sc, &r);
    cr_assert_eq(r.n_fills, 1);
    cr_expect_eq(r.fills[0].time, b.open_time[t0 + 3], "next open after two bars of latency");
    cr_expect_gt(r.fills[0].price, b.open[t0 + 3]);
    cr_expect(fabs(r.fills[0].fee - 2.0 * r.fills[0].price * 1e-3) < 1e-9, "taker fee");
    qf_backtest_result_free(&r);
    c.fill_at = QF_FILL_CLOSE;
    run(c, &b, 1, &sc, &r);
    cr_assert_eq(r.n_fills, 1);
    cr_expect_eq(r.fills[0].time, b.open_time[t0]);
    cr_expect_gt(r.fills[0].price, b.close[t0]);
    cr_expect_lt(r.fills[0].price, b.close[t0] * 1.001);
    cr_expect_eq(r.positions[t0], 2.0, "held at the decision close");
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b);
}

typedef struct audit {
    double initial, worst;
    size_t fills;
} audit;

static void identity(void *user, const qf_ledger *l, const qf_bt_fill *f, const double *m)
{
    audit *a = user;
    (void)f;
    double pnl = 0;
    for (size_t s = 0; s < l->n_symbols; s++)
        pnl +=
            l->pos[s].realized_pnl + l->pos[s].qty * (m[s] - l->pos[s].avg_entry) - l->pos[s].fees;
    double d = fabs(qf_ledger_equity(l, m) - a->initial - pnl);
    a->worst = d > a->worst ? d : a->worst;
    a->fills++;
}

/* Many limit and market orders on two symbols: the accounting identity after
 * every fill, and per symbol and bar all fills together within the cap. */
Test(orders, many_orders_two_symbols_identity_and_shared_cap)
{
    qf_bars b[2] = {qf_test_bars("BTCUSDT"), qf_test_bars("ETHUSDT")};
    action acts[40];
    size_t n = 0;
    for (size_t k = 0; k < 20; k++) {
        size_t t = 1000 + 600 * k;
        acts[n++] = (action){t, k % 2, 5.0, 0.99, 30, 0};
        acts[n++] = (action){t + 40, k % 2, -5.0, k % 3 ? 1.01 : 0, 30, 0};
    }
    qf_engine_config c = cfg();
    c.max_participation = 0.01;
    audit au = {c.initial_equity, 0, 0};
    c.on_fill = identity;
    c.user = &au;
    script sc = {acts, n, {0}, {0}, QF_OK, QF_OK, ""};
    qf_backtest_result r;
    run(c, b, 2, &sc, &r);
    cr_expect_gt(r.n_fills, 20);
    cr_expect_eq(au.fills, r.n_fills);
    cr_expect_lt(au.worst, 1e-6, "identity off by %g", au.worst);
    for (size_t k = 0; k < r.n_fills;) {
        size_t s = r.fills[k].symbol;
        double sum = 0;
        size_t j = k;
        while (j < r.n_fills && r.fills[j].time == r.fills[k].time && r.fills[j].symbol == s)
            sum += fabs(r.fills[j++].qty);
        size_t bar = 0;
        while (b[s].open_time[bar] != r.fills[k].time)
            bar++;
        cr_expect_leq(sum, 0.01 * b[s].volume[bar] * (1 + 1e-12));
        k = j;
    }
    for (size_t k = 0; k < r.n_orders; k++)
        cr_expect(r.orders[k].status != QF_BT_WORKING ||
                  r.orders[k].decided_at > b[0].open_time[17000]);
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b[0]);
    qf_bars_cleanup(&b[1]);
}

Test(orders, bad_requests_fail_the_run_naming_the_problem)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    struct {
        action a;
        const char *msg;
    } bad[] = {
        {{10, 3, 1.0, 0, 0, 0}, "backtest: order for symbol 3, only 1 symbols"},
        {{10, 0, NAN, 0, 0, 0}, "backtest: order quantity must be finite and non-zero, got nan"},
        {{10, 0, 0.0, 0, 0, 0}, "backtest: order quantity must be finite and non-zero, got 0"},
        {{10, 0, 1.0, -1.0, 0, 0}, "backtest: limit price must be positive, got"},
        {{10, 0, 1.0, 0, -2, 0}, "backtest: order timeout_bars must be >= 0, got -2"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        script sc = {&bad[k].a, 1, {0}, {0}, QF_OK, QF_OK, ""};
        g_script = &sc;
        qf_engine_config c = cfg();
        qf_backtest_result r;
        qf_err err = {0};
        cr_expect_eq(qf_backtest_run(&c, &scripted, NULL, &b, 1, &r, &err), QF_EINVAL);
        cr_expect(strncmp(err.msg, bad[k].msg, strlen(bad[k].msg)) == 0, "got '%s'", err.msg);
        cr_expect_eq(r.n, 0, "nothing returned");
    }
    qf_bars_cleanup(&b);
}
