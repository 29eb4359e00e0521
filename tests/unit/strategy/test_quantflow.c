/*
 * test_quantflow.c - the QuantFlow strategy on the bundled BTC candles with
 * a small model (20 trees, train 300 / test 100 bars) so it runs in seconds:
 * no lookahead (the targets up to t are the same when every later bar is
 * changed), determinism, walk-forward retraining on schedule, the ablation
 * switches doing what they say, the engine's accounting holding, and bad
 * input refused.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/engine.h"
#include "core/config.h"
#include "strategy/quantflow.h"
#include "testutil.h"

#define N_BARS 1500

static qf_config cfg;
static qf_bars bars;
static const char *const symbols[1] = {"BTC/USDT"};
static qf_strategy_env env;

static void setup(void)
{
    qf_config_init(&cfg);
    const char *sets[] = {"model.n_estimators=20", "model.walk_forward.train_bars=300",
                          "model.walk_forward.test_bars=100", "model.n_threads=1",
                          "regime.n_restarts=2"};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        qf_err err = {0};
        cr_assert_eq(qf_config_set(&cfg, sets[k], &err), QF_OK, "%s: %s", sets[k], err.msg);
    }
    qf_bars all = qf_test_bars("BTCUSDT");
    qf_bars_init(&bars);
    cr_assert_eq(qf_bars_alloc(&bars, N_BARS, NULL), QF_OK);
    for (size_t i = 0; i < N_BARS; i++) {
        size_t j = all.n - N_BARS + i; /* the latest bars */
        bars.open_time[i] = all.open_time[j];
        bars.open[i] = all.open[j];
        bars.high[i] = all.high[j];
        bars.low[i] = all.low[j];
        bars.close[i] = all.close[j];
        bars.volume[i] = all.volume[j];
    }
    bars.n = N_BARS;
    qf_bars_cleanup(&all);
    env = (qf_strategy_env){
        .cfg = &cfg, .symbols = symbols, .n_symbols = 1, .bar_ms = 4 * 3600 * 1000};
}

static void teardown(void)
{
    qf_bars_cleanup(&bars);
    qf_config_cleanup(&cfg);
}

TestSuite(quantflow, .init = setup, .fini = teardown, .timeout = 120);

/* Runs the strategy bar by bar over b (views that end at t) with a flat
 * portfolio of equity 1e5; returns its stats. */
static qf_quantflow_stats run(const qf_bars *b, const qf_strategy_params *p, double *targets)
{
    void *st = NULL;
    qf_err err = {0};
    cr_assert_eq(qf_strategy_quantflow.init(p, 1, &st, &err), QF_OK, "%s", err.msg);
    double pos = 0.0;
    for (size_t t = 0; t < b->n; t++) {
        qf_bars view = *b;
        view.n = t + 1;
        qf_strategy_ctx ctx = {&view, 1, t, &pos, 1e5, NULL};
        cr_assert_eq(qf_strategy_quantflow.on_bar(st, &ctx, &targets[t], &err), QF_OK,
                     "bar %zu: %s", t, err.msg);
        if (!isnan(targets[t]))
            pos = targets[t];
    }
    qf_quantflow_stats s = *qf_quantflow_stats_of(st);
    qf_strategy_quantflow.free(st);
    return s;
}

static qf_strategy_params params(const char *assignments)
{
    qf_strategy_params p;
    qf_strategy_params_init(&p);
    p.env = &env;
    if (assignments != NULL) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", assignments);
        for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ","))
            cr_assert_eq(qf_strategy_params_parse(&p, tok, NULL), QF_OK, "%s", tok);
    }
    return p;
}

Test(quantflow, trades_retrains_on_schedule_and_is_deterministic)
{
    double *a = malloc(N_BARS * sizeof *a), *b = malloc(N_BARS * sizeof *b);
    qf_strategy_params p = params(NULL);
    qf_quantflow_stats s = run(&bars, &p, a);
    /* first attempt at bar 299, then every 100 bars: 299, 399, ..., 1499 */
    cr_expect_eq(s.hmm_fits, 13, "%zu", s.hmm_fits);
    cr_expect_eq(s.trainings + s.train_failures, 13, "%zu + %zu", s.trainings, s.train_failures);
    cr_expect_geq(s.trainings, 12);
    cr_expect_gt(s.predictions, 1000, "%zu", s.predictions);
    size_t nonzero = 0;
    for (size_t t = 0; t < N_BARS; t++) {
        cr_assert(isfinite(a[t]), "bar %zu", t);
        cr_assert(a[t] >= -0.25 - 1e-12 && a[t] <= 0.25 + 1e-12, "bar %zu: %g", t, a[t]);
        nonzero += a[t] != 0.0;
        if (t < 299)
            cr_assert_eq(a[t], 0.0, "no model before bar 299: %g at %zu", a[t], t);
    }
    cr_expect_gt(nonzero, 50, "it takes positions: %zu bars", nonzero);
    qf_quantflow_stats s2 = run(&bars, &p, b);
    cr_expect_eq(memcmp(a, b, N_BARS * sizeof *a), 0, "the same targets twice");
    cr_expect_eq(s2.predictions, s.predictions);
    free(a);
    free(b);
}

/* Every bar after t replaced by a different path: the targets through t
 * must not move (features, labels, model, regime and sentiment all see bars
 * <= t only). */
Test(quantflow, no_lookahead)
{
    double *a = malloc(N_BARS * sizeof *a), *b = malloc(N_BARS * sizeof *b);
    qf_strategy_params p = params(NULL);
    run(&bars, &p, a);
    const size_t cut = 1150;
    for (size_t i = cut + 1; i < N_BARS; i++) {
        double k = 1.0 + 0.02 * (double)((i * 7919) % 11) - 0.1;
        bars.open[i] *= k;
        bars.high[i] *= k * 1.01;
        bars.low[i] *= k * 0.99;
        bars.close[i] *= k;
        bars.volume[i] *= 2.0;
    }
    run(&bars, &p, b);
    for (size_t t = 0; t <= cut; t++)
        cr_assert_eq(a[t], b[t], "bar %zu: %.17g vs %.17g", t, a[t], b[t]);
    size_t differ = 0;
    for (size_t t = cut + 1; t < N_BARS; t++)
        differ += a[t] != b[t];
    cr_expect_gt(differ, 0, "the changed bars do change later targets");
    free(a);
    free(b);
}

Test(quantflow, ablation_switches)
{
    double *a = malloc(N_BARS * sizeof *a);
    qf_strategy_params p = params("ml=0");
    qf_quantflow_stats s = run(&bars, &p, a);
    cr_expect_eq(s.trainings, 0, "no model without ML");
    cr_expect_eq(s.predictions, 0);
    cr_expect_eq(s.hmm_fits, 13, "the regime still is");
    size_t nonzero = 0;
    for (size_t t = 0; t < N_BARS; t++)
        nonzero += a[t] != 0.0;
    cr_expect_gt(nonzero, 0, "technical and sentiment alone still trade");
    p = params("ml=0,technical=0,sentiment=0");
    run(&bars, &p, a);
    for (size_t t = 0; t < N_BARS; t++)
        cr_assert_eq(a[t], 0.0, "no expert left: flat (bar %zu)", t);
    p = params("vol_target=0");
    run(&bars, &p, a);
    for (size_t t = 0; t < N_BARS; t++)
        cr_assert(a[t] == 0.0 || fabs(a[t]) == 0.25, "fixed size: %g at %zu", a[t], t);
    free(a);
}

/* Through the event engine with the realistic fill model: cash + positions
 * = equity holds (the engine's own check) and the run ends with the
 * strategy's trades. */
Test(quantflow, event_engine_run)
{
    qf_engine_config ec = qf_engine_config_default();
    qf_strategy_params p = params(NULL);
    qf_backtest_result r;
    qf_err err = {0};
    cr_assert_eq(qf_backtest_run(&ec, &qf_strategy_quantflow, &p, &bars, 1, &r, &err), QF_OK, "%s",
                 err.msg);
    cr_expect_eq(r.n, N_BARS);
    cr_expect_gt(r.n_trades, 0);
    cr_expect(isfinite(r.equity[r.n - 1]) && r.equity[r.n - 1] > 0);
    qf_backtest_result_free(&r);
}

/* The ablation's shared walk-forward: a run that records the cache, then
 * variants replaying it decide exactly as they do training on their own. */
Test(quantflow, cache_replays_exactly)
{
    double *own = malloc(N_BARS * sizeof *own), *replay = malloc(N_BARS * sizeof *replay);
    qf_quantflow_cache *cache = NULL;
    cr_assert_eq(qf_quantflow_cache_new(1, &cache, NULL), QF_OK);
    qf_strategy_params p = params(NULL);
    run(&bars, &p, own); /* no cache */
    env.quantflow_cache = cache;
    qf_quantflow_stats rec = run(&bars, &p, replay);
    cr_expect_gt(rec.trainings, 10, "the first run with a cache trains and records");
    cr_expect_eq(memcmp(own, replay, N_BARS * sizeof *own), 0, "recording changes nothing");
    const char *variants[] = {"sentiment=0", "technical=0", "regime_gating=0", "vol_target=0",
                              "risk=0"};
    for (size_t k = 0; k < 5; k++) {
        p = params(variants[k]);
        env.quantflow_cache = NULL;
        run(&bars, &p, own);
        env.quantflow_cache = cache;
        qf_quantflow_stats st = run(&bars, &p, replay);
        cr_expect_eq(st.trainings, 0, "%s: replayed, not trained", variants[k]);
        cr_expect_eq(st.hmm_fits, 0);
        for (size_t t = 0; t < N_BARS; t++)
            cr_assert_eq(own[t], replay[t], "%s at bar %zu: %.17g vs %.17g", variants[k], t, own[t],
                         replay[t]);
    }
    /* a different retrain switch does not read it */
    p = params("retrain=0");
    qf_quantflow_stats once = run(&bars, &p, replay);
    cr_expect_eq(once.trainings, 1);
    env.quantflow_cache = NULL;
    qf_quantflow_cache_free(cache);
    free(own);
    free(replay);
}

/* A recording run whose drawdown kill switch trips still records every bar:
 * the variant without risk checks, which trades on, replays them. */
Test(quantflow, cache_recorded_past_a_kill_switch)
{
    cr_assert_eq(qf_config_set(&cfg, "risk.max_drawdown_pct=0.0001", NULL), QF_OK);
    double *own = malloc(N_BARS * sizeof *own), *replay = malloc(N_BARS * sizeof *replay);
    qf_quantflow_cache *cache = NULL;
    cr_assert_eq(qf_quantflow_cache_new(1, &cache, NULL), QF_OK);
    env.quantflow_cache = cache;
    qf_strategy_params p = params(NULL);
    /* equity falls below its peak as soon as the portfolio is not flat:
     * feed a falling equity so the switch trips */
    void *st = NULL;
    qf_err err = {0};
    cr_assert_eq(qf_strategy_quantflow.init(&p, 1, &st, &err), QF_OK, "%s", err.msg);
    double pos = 0.0;
    for (size_t t = 0; t < N_BARS; t++) {
        qf_bars view = bars;
        view.n = t + 1;
        double equity = t < 600 ? 1e5 : 9e4; /* a 10 % drawdown at bar 600 */
        qf_strategy_ctx ctx = {&view, 1, t, &pos, equity, NULL};
        cr_assert_eq(qf_strategy_quantflow.on_bar(st, &ctx, &own[t], &err), QF_OK, "%s", err.msg);
    }
    cr_expect_eq(qf_quantflow_stats_of(st)->kill_switch_trips, 1);
    qf_strategy_quantflow.free(st);
    for (size_t t = 600; t < N_BARS; t++)
        cr_assert_eq(own[t], 0.0, "flat after the trip (bar %zu)", t);
    p = params("risk=0");
    env.quantflow_cache = NULL;
    run(&bars, &p, own);
    env.quantflow_cache = cache;
    qf_quantflow_stats st2 = run(&bars, &p, replay);
    cr_expect_eq(st2.trainings, 0);
    cr_expect_eq(memcmp(own, replay, N_BARS * sizeof *own), 0, "replayed past the trip");
    env.quantflow_cache = NULL;
    qf_quantflow_cache_free(cache);
    free(own);
    free(replay);
}

Test(quantflow, bad_input)
{
    void *st = NULL;
    qf_err err = {0};
    qf_strategy_params p;
    qf_strategy_params_init(&p);
    cr_expect_eq(qf_strategy_quantflow.init(&p, 1, &st, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "needs the configuration") != NULL, "%s", err.msg);
    p = params("ml=2");
    cr_expect_eq(qf_strategy_quantflow.init(&p, 1, &st, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "ml must be 0 or 1") != NULL, "%s", err.msg);
    p = params(NULL);
    cr_expect_eq(qf_strategy_quantflow.init(&p, 2, &st, &err), QF_EINVAL, "env names 1 symbol");
    cr_expect_null(st);
}
