/*
 * bench_strategy.c - the QuantFlow strategy on the bundled BTC/USDT 4h
 * series (18,370 bars) through the event engine with the realistic fill
 * model and the default configuration, XGBoost on one thread (per core):
 * the whole backtest with walk-forward retraining every test_bars bars, and
 * with one training only; and the strategy step (features, z-scores, regime
 * filter, prediction, sentiment, fusion, sizing, risk checks, plus the
 * engine's fills and accounting) in bars per second, excluding the time
 * spent training (issue 4's target: >= 200,000 bars/s per core).
 */
#include <stdio.h>
#include <stdlib.h>

#include "backtest/engine.h"
#include "bench_util.h"
#include "core/config.h"
#include "strategy/quantflow.h"

/* The engine frees the strategy's state, and its counters with it: this
 * wrapper keeps a copy of them when it does. */
static qf_quantflow_stats last;

static void keep_stats_free(void *state)
{
    last = *qf_quantflow_stats_of(state);
    qf_strategy_quantflow.free(state);
}

static int run(const qf_config *cfg, const qf_bars *b, const char *param, const char *label)
{
    static const char *const syms[1] = {"BTC/USDT"};
    qf_strategy_env env = {.cfg = cfg, .symbols = syms, .n_symbols = 1, .bar_ms = 4 * 3600000};
    qf_strategy_params p;
    qf_strategy_params_init(&p);
    p.env = &env;
    if (param != NULL && qf_strategy_params_parse(&p, param, NULL) != QF_OK)
        return 1;
    qf_strategy_def def = qf_strategy_quantflow;
    def.free = keep_stats_free;
    qf_engine_config ec = qf_engine_config_default();
    qf_backtest_result r;
    qf_err err = {0};
    double t0 = bench_now();
    if (qf_backtest_run(&ec, &def, &p, b, 1, &r, &err) != QF_OK) {
        fprintf(stderr, "bench_strategy: %s\n", err.msg);
        return 1;
    }
    double total = bench_now() - t0;
    double step = total - last.train_seconds;
    printf("%-22s %9.2f %11.2f %10zu %8zu %12.0f %12.2f\n", label, total, last.train_seconds,
           last.trainings, last.hmm_fits, (double)b->n / step, step / (double)b->n * 1e6);
    qf_backtest_result_free(&r);
    return 0;
}

int main(void)
{
    qf_candles cs;
    bench_load(&cs);
    qf_bars b = bench_tiled(&cs, 1);
    qf_config cfg;
    qf_config_init(&cfg);
    if (qf_config_set(&cfg, "model.n_threads=1", NULL) != QF_OK)
        return 1;
    printf("QuantFlow strategy, BTC/USDT 4h, %zu bars, event engine, default config "
           "(%d trees, train %d / test %d bars), XGBoost on 1 thread\n",
           b.n, cfg.model.n_estimators, cfg.model.walk_forward.train_bars,
           cfg.model.walk_forward.test_bars);
    printf("%-22s %9s %11s %10s %8s %12s %12s\n", "run", "total s", "training s", "trainings",
           "HMM fits", "step bars/s", "step us/bar");
    int bad =
        run(&cfg, &b, "retrain=0", "one training") || run(&cfg, &b, NULL, "walk-forward retrain");
    qf_config_cleanup(&cfg);
    qf_bars_cleanup(&b);
    qf_candles_cleanup(&cs);
    return bad;
}
