/*
 * test_engine.c - the event-driven engine on the bundled real candles:
 * agreement with the vectorized engine, the accounting identity after every
 * fill, next-open and latency timing, partial fills, long-only, bad input.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backtest/engine.h"
#include "backtest/vector.h"
#include "testutil.h"

/* The strategy's targets bar by bar, as the vectorized engine takes them. */
static double *targets_of(const qf_strategy_def *def, const qf_bars *b)
{
    double *tg = malloc(b->n * sizeof *tg);
    void *st = NULL;
    cr_assert_eq(def->init(NULL, 1, &st, NULL), QF_OK);
    for (size_t t = 0; t < b->n; t++) {
        qf_bars view = *b;
        view.n = t + 1;
        qf_strategy_ctx ctx = {&view, 1, t, NULL, 1, NULL};
        cr_assert_eq(def->on_bar(st, &ctx, &tg[t], NULL), QF_OK);
    }
    def->free(st);
    return tg;
}

static qf_engine_config frictionless(void)
{
    qf_engine_config c = qf_engine_config_default();
    c.fill_at = QF_FILL_CLOSE;
    c.costs = (qf_cost_model){0, 0, 0, 0, 24};
    c.max_participation = 1.0;
    c.min_trade_usd = 0;
    return c;
}

static void agree(const char *name, qf_engine_config c, double tol)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    const qf_strategy_def *def = qf_strategy_find(name);
    qf_backtest_result r;
    qf_err err = {0};
    cr_assert_eq(qf_backtest_run(&c, def, NULL, &b, 1, &r, &err), QF_OK, "%s", err.msg);
    double *tg = targets_of(def, &b);
    double *eq = malloc(b.n * sizeof *eq);
    cr_assert_eq(qf_vector_run(&b, tg, &c.costs, c.initial_equity, eq, NULL, &err), QF_OK);
    cr_assert_eq(r.n, b.n);
    double ev = r.equity[r.n - 1], ve = eq[b.n - 1];
    cr_log_info("%s: event %.10f vector %.10f rel %.3e, %zu fills", name, ev, ve,
                fabs(ev - ve) / ve, r.n_fills);
    cr_expect(fabs(ev - ve) <= tol * ve, "%s: event %.17g vs vectorized %.17g (rel %.3e > %g)",
              name, ev, ve, fabs(ev - ve) / ve, tol);
    cr_expect_gt(r.n_fills, 0);
    free(tg);
    free(eq);
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b);
}

Test(engine, agrees_with_vectorized_without_costs)
{
    agree("buy_and_hold", frictionless(), 1e-9);
    agree("ma_crossover", frictionless(), 1e-9);
    agree("mean_reversion", frictionless(), 1e-9);
}

/* With costs the engines differ only in second-order terms: the event engine
 * pays the fee on the notional after spread and buys what the cash affords,
 * the vectorized one charges cost * |dp| * equity. Over ~200 round trips of
 * 15-25 bps each that stays below 1e-3 of final equity. */
Test(engine, agrees_with_vectorized_with_costs)
{
    qf_engine_config c = frictionless();
    c.costs = (qf_cost_model){10, 10, 5, 2, 24};
    agree("buy_and_hold", c, 1e-3);
    agree("ma_crossover", c, 1e-3);
}

typedef struct audit {
    double initial;
    size_t fills;
    double worst;
} audit;

/* equity - initial == realized + unrealized - fees, and cash + sum(qty *
 * mark) == the same equity, after every fill. */
static void check_identity(void *user, const qf_ledger *l, const qf_bt_fill *f, const double *m)
{
    audit *a = user;
    (void)f;
    double equity = qf_ledger_equity(l, m);
    double pnl = 0;
    for (size_t s = 0; s < l->n_symbols; s++)
        pnl +=
            l->pos[s].realized_pnl + l->pos[s].qty * (m[s] - l->pos[s].avg_entry) - l->pos[s].fees;
    double diff = fabs(equity - a->initial - pnl);
    if (diff > a->worst)
        a->worst = diff;
    a->fills++;
}

Test(engine, accounting_identity_after_every_fill)
{
    qf_bars b[2] = {qf_test_bars("BTCUSDT"), qf_test_bars("SOLUSDT")}; /* SOL starts in 2020 */
    qf_engine_config c = qf_engine_config_default();
    audit a = {c.initial_equity, 0, 0};
    c.on_fill = check_identity;
    c.user = &a;
    qf_backtest_result r;
    qf_err err = {0};
    cr_assert_eq(qf_backtest_run(&c, qf_strategy_find("ma_crossover"), NULL, b, 2, &r, &err), QF_OK,
                 "%s", err.msg);
    cr_expect_eq(a.fills, r.n_fills);
    cr_expect_gt(a.fills, 100);
    cr_expect_lt(a.worst, 1e-6, "identity off by %g", a.worst);
    cr_expect_eq(r.n, 18370, "timeline is the union of both symbols' bars");
    /* the fill list alone reproduces the final cash */
    double cash = c.initial_equity;
    for (size_t i = 0; i < r.n_fills; i++)
        cash -= r.fills[i].qty * r.fills[i].price + r.fills[i].fee;
    cr_expect(fabs(cash - r.cash) < 1e-6, "%.10f vs %.10f", cash, r.cash);
    /* closed trades' PnL plus the open position's value add up */
    double trade_pnl = 0;
    for (size_t i = 0; i < r.n_trades; i++)
        trade_pnl += r.trades[i].pnl;
    cr_expect_gt(r.n_trades, 50);
    cr_expect(r.cash > -1e-6, "long-only without leverage never borrows: cash %g", r.cash);
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b[0]);
    qf_bars_cleanup(&b[1]);
}

Test(engine, next_open_and_latency)
{
    qf_bars b = qf_test_bars("ETHUSDT");
    qf_engine_config c = qf_engine_config_default();
    c.max_participation = 1.0;
    for (int lat = 0; lat <= 2; lat++) {
        c.latency_bars = lat;
        qf_backtest_result r;
        cr_assert_eq(qf_backtest_run(&c, qf_strategy_find("buy_and_hold"), NULL, &b, 1, &r, NULL),
                     QF_OK);
        cr_assert_geq(r.n_fills, 1);
        size_t bar = 1 + (size_t)lat; /* decided at the close of bar 0 */
        cr_expect_eq(r.fills[0].time, b.open_time[bar]);
        cr_expect(r.fills[0].price > b.open[bar] && r.fills[0].price < b.open[bar] * 1.01,
                  "buy pays spread and impact over the open: %g vs %g", r.fills[0].price,
                  b.open[bar]);
        for (size_t k = 0; k < bar; k++)
            cr_expect_eq(r.positions[k], 0.0, "nothing held before the fill bar");
        qf_backtest_result_free(&r);
    }
    qf_bars_cleanup(&b);
}

Test(engine, partial_fills_respect_participation)
{
    qf_bars b = qf_test_bars("SOLUSDT");
    qf_engine_config c = qf_engine_config_default();
    c.initial_equity = 5e8; /* far more than a 4h bar of early SOL trades */
    c.max_participation = 0.05;
    qf_backtest_result r;
    cr_assert_eq(qf_backtest_run(&c, qf_strategy_find("buy_and_hold"), NULL, &b, 1, &r, NULL),
                 QF_OK);
    cr_assert_gt(r.n_fills, 3, "the order is worked over several bars");
    for (size_t i = 0; i < r.n_fills && i < 50; i++) {
        size_t bar = 0;
        while (b.open_time[bar] != r.fills[i].time)
            bar++;
        cr_expect(fabs(r.fills[i].qty) <= 0.05 * b.volume[bar] * (1 + 1e-12),
                  "fill %zu: %g > 5%% of %g", i, r.fills[i].qty, b.volume[bar]);
    }
    qf_backtest_result_free(&r);
    qf_bars_cleanup(&b);
}

static qf_rc short_init(const qf_strategy_params *p, size_t n, void **st, qf_err *err)
{
    (void)p, (void)n, (void)err;
    *st = NULL;
    return QF_OK;
}

static qf_rc short_bar(void *st, const qf_strategy_ctx *ctx, double *out, qf_err *err)
{
    (void)st, (void)err;
    out[0] = (ctx->t / 50) % 2 ? -1.0 : 1.0;
    return QF_OK;
}

static void short_free(void *st)
{
    (void)st;
}

static const qf_strategy_def flipper = {"flipper",  "",        NULL,       NULL, 0,
                                        short_init, short_bar, short_free, NULL};

Test(engine, spot_is_long_only_unless_allowed)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    b.n = 1000;
    qf_engine_config c = qf_engine_config_default();
    qf_backtest_result r;
    cr_assert_eq(qf_backtest_run(&c, &flipper, NULL, &b, 1, &r, NULL), QF_OK);
    for (size_t k = 0; k < r.n; k++)
        cr_assert_geq(r.positions[k], 0.0, "short position at %zu", k);
    qf_backtest_result_free(&r);
    c.allow_short = true;
    cr_assert_eq(qf_backtest_run(&c, &flipper, NULL, &b, 1, &r, NULL), QF_OK);
    size_t shorts = 0;
    for (size_t k = 0; k < r.n; k++)
        shorts += r.positions[k] < 0;
    cr_expect_gt(shorts, 100);
    qf_backtest_result_free(&r);
    b.n = 18370;
    qf_bars_cleanup(&b);
}

Test(engine, bad_input_rejected)
{
    qf_bars b = qf_test_bars("BTCUSDT");
    qf_engine_config c = qf_engine_config_default();
    qf_backtest_result r;
    qf_err err = {0};
    qf_strategy_params p;
    qf_strategy_params_init(&p);
    cr_assert_eq(qf_strategy_params_parse(&p, "fast=60", NULL), QF_OK);
    cr_expect_eq(qf_backtest_run(&c, qf_strategy_find("ma_crossover"), &p, &b, 1, &r, &err),
                 QF_EINVAL);
    cr_expect_str_eq(err.msg, "ma_crossover: fast (60) must be below slow (50)");
    cr_expect_eq(r.n, 0);
    double keep = b.close[100];
    b.close[100] = NAN;
    cr_expect_eq(qf_backtest_run(&c, qf_strategy_find("buy_and_hold"), NULL, &b, 1, &r, &err),
                 QF_EINVAL);
    b.close[100] = keep;
    c.max_participation = 0;
    cr_expect_eq(qf_backtest_run(&c, qf_strategy_find("buy_and_hold"), NULL, &b, 1, &r, &err),
                 QF_EINVAL);
    cr_expect_str_eq(err.msg, "backtest: max_participation must be in (0, 1], got 0");
    c.max_participation = 0.1;
    b.n = 51; /* slow 50: no bar left to decide and fill */
    cr_expect_eq(qf_backtest_run(&c, qf_strategy_find("ma_crossover"), NULL, &b, 1, &r, &err),
                 QF_EINVAL);
    cr_expect_str_eq(err.msg, "ma_crossover needs at least 52 bars (a warm-up of 50, a bar to "
                              "decide at and one to fill in); symbol #1 has 51");
    b.n = 52;
    cr_expect_eq(qf_backtest_run(&c, qf_strategy_find("ma_crossover"), NULL, &b, 1, &r, &err),
                 QF_OK);
    qf_backtest_result_free(&r);
    b.n = 18370;
    qf_bars_cleanup(&b);
}
