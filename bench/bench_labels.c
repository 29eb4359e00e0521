/*
 * bench_labels.c - triple-barrier labeling and forward returns on the
 * bundled BTC/USDT 4h series tiled x1, x10, x100 (issue 4's target:
 * >= 20 M bars/s; the original's Python loop, bench/python_labels.py,
 * about 0.75 M bars/s). One core, best of several runs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "model/labels.h"

int main(void)
{
    qf_candles cs;
    bench_load(&cs);
    qf_label_params p = qf_label_params_default();
    printf("triple-barrier labels (pt %.3f, sl %.3f, h %d, neutral %.3f) and forward log returns,\n"
           "BTC/USDT 4h tiled; M bars/s, best of several runs, one core\n",
           p.profit_taking_pct, p.stop_loss_pct, p.max_holding_bars, p.neutral_pct);
    printf("%-8s %10s %14s %14s\n", "tiles", "bars", "labels", "forward ret");
    static const size_t tiles[3] = {1, 10, 100};
    for (int k = 0; k < 3; k++) {
        qf_bars b = bench_tiled(&cs, tiles[k]);
        int8_t *l = malloc(b.n);
        double *f = malloc(b.n * sizeof *f);
        if (l == NULL || f == NULL)
            return 1;
        int reps = k == 2 ? 5 : 20;
        double t_l = 1e30, t_f = 1e30;
        for (int r = 0; r < reps; r++) {
            double t0 = bench_now();
            if (qf_label_triple_barrier(b.close, b.n, &p, l, NULL) != QF_OK)
                return 1;
            double t1 = bench_now();
            if (qf_forward_log_return(b.close, b.n, p.max_holding_bars, f, NULL) != QF_OK)
                return 1;
            double t2 = bench_now();
            t_l = t1 - t0 < t_l ? t1 - t0 : t_l;
            t_f = t2 - t1 < t_f ? t2 - t1 : t_f;
        }
        printf("x%-7zu %10zu %14.1f %14.1f\n", tiles[k], b.n, (double)b.n / t_l / 1e6,
               (double)b.n / t_f / 1e6);
        free(l);
        free(f);
        qf_bars_cleanup(&b);
    }
    qf_candles_cleanup(&cs);
    return 0;
}
