/*
 * bench_talib.c - QuantFlow's indicator kernels against TA-Lib's own C code,
 * side by side in one process on the same tiled BTC/USDT 4h series (x1, x10,
 * x100; see bench_util.h), in ns per bar, best of several runs. The two are
 * timed alternately, rep by rep, so both see the same machine state.
 *
 * TA-Lib comes from the npm package `talib` 1.1.6 (TA-Lib C 0.6.0-dev), the
 * package the TA-Lib agreement test installs (scripts/talib_ref.sh). Its
 * sources are compiled with this build's optimisation flags plus TA-Lib's own
 * -fno-strict-aliasing -DTA_SINGLE_THREAD; they are never added to git. This
 * file is built only when the CMake cache variable QF_TALIB_SRC names those
 * sources (scripts/bench.sh sets it), never by the default build.
 *
 * Each pair of outputs is also compared, so the timing is of the same work:
 * the largest difference over every valid bar, relative to the larger of
 * |TA-Lib's value| and the indicator's natural scale (the close for price-
 * unit outputs, the volume for OBV, 1 for oscillators).
 *
 * Usage: bench_talib [--json]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ta_common.h"
#include "ta_func.h"

#include "bench_util.h"
#include "features/indicators.h"

#define MAX_OUT 3 /* outputs of the widest indicator (BBANDS, MACD) */

/* What an output's differences are measured against. */
typedef enum scale { SCALE_PRICE, SCALE_UNIT, SCALE_VOLUME } scale;

typedef struct indicator {
    const char *name; /* row name, as in bench_research */
    int outputs;
    scale scale;
    int (*ours)(const qf_bars *b, double **out);
    int (*talib)(const qf_bars *b, double **out, int *beg, int *nb);
} indicator;

/* ---- QuantFlow: out[k] holds n values aligned with the bars ---- */

static int q_sma(const qf_bars *b, double **o)
{
    return qf_ind_sma(b->close, b->n, 20, o[0], NULL);
}

static int q_ema(const qf_bars *b, double **o)
{
    return qf_ind_ema(b->close, b->n, 10, o[0], NULL);
}

static int q_wma(const qf_bars *b, double **o)
{
    return qf_ind_wma(b->close, b->n, 20, o[0], NULL);
}

static int q_rsi(const qf_bars *b, double **o)
{
    return qf_ind_rsi(b->close, b->n, 14, o[0], NULL);
}

static int q_trange(const qf_bars *b, double **o)
{
    return qf_ind_trange(b->high, b->low, b->close, b->n, o[0], NULL);
}

static int q_atr(const qf_bars *b, double **o)
{
    return qf_ind_atr(b->high, b->low, b->close, b->n, 14, o[0], NULL);
}

static int q_stddev(const qf_bars *b, double **o)
{
    return qf_ind_stddev(b->close, b->n, 20, 1.0, o[0], NULL);
}

static int q_bbands(const qf_bars *b, double **o)
{
    return qf_ind_bbands(b->close, b->n, 20, 2.0, 2.0, o[0], o[1], o[2], NULL);
}

static int q_macd(const qf_bars *b, double **o)
{
    return qf_ind_macd(b->close, b->n, 12, 26, 9, o[0], o[1], o[2], NULL);
}

static int q_roc(const qf_bars *b, double **o)
{
    return qf_ind_roc(b->close, b->n, 10, o[0], NULL);
}

static int q_mom(const qf_bars *b, double **o)
{
    return qf_ind_mom(b->close, b->n, 10, o[0], NULL);
}

static int q_adx(const qf_bars *b, double **o)
{
    return qf_ind_adx(b->high, b->low, b->close, b->n, 14, o[0], NULL);
}

static int q_obv(const qf_bars *b, double **o)
{
    return qf_ind_obv(b->close, b->volume, b->n, o[0], NULL);
}

static int q_stoch(const qf_bars *b, double **o)
{
    return qf_ind_stoch(b->high, b->low, b->close, b->n, 14, 3, 3, o[0], o[1], NULL);
}

/* ---- TA-Lib: out[k][j] belongs to bar *beg + j, for j < *nb ---- */

#define LAST ((int)b->n - 1)

static int t_sma(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_SMA(0, LAST, b->close, 20, beg, nb, o[0]);
}

static int t_ema(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_EMA(0, LAST, b->close, 10, beg, nb, o[0]);
}

static int t_wma(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_WMA(0, LAST, b->close, 20, beg, nb, o[0]);
}

static int t_rsi(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_RSI(0, LAST, b->close, 14, beg, nb, o[0]);
}

static int t_trange(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_TRANGE(0, LAST, b->high, b->low, b->close, beg, nb, o[0]);
}

static int t_atr(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_ATR(0, LAST, b->high, b->low, b->close, 14, beg, nb, o[0]);
}

static int t_stddev(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_STDDEV(0, LAST, b->close, 20, 1.0, beg, nb, o[0]);
}

static int t_bbands(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_BBANDS(0, LAST, b->close, 20, 2.0, 2.0, TA_MAType_SMA, beg, nb, o[0], o[1], o[2]);
}

static int t_macd(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_MACD(0, LAST, b->close, 12, 26, 9, beg, nb, o[0], o[1], o[2]);
}

static int t_roc(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_ROC(0, LAST, b->close, 10, beg, nb, o[0]);
}

static int t_mom(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_MOM(0, LAST, b->close, 10, beg, nb, o[0]);
}

static int t_adx(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_ADX(0, LAST, b->high, b->low, b->close, 14, beg, nb, o[0]);
}

static int t_obv(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_OBV(0, LAST, b->close, b->volume, beg, nb, o[0]);
}

static int t_stoch(const qf_bars *b, double **o, int *beg, int *nb)
{
    return TA_STOCH(0, LAST, b->high, b->low, b->close, 14, 3, TA_MAType_SMA, 3, TA_MAType_SMA, beg,
                    nb, o[0], o[1]);
}

static const indicator indicators[] = {
    {"SMA(20) ns/bar", 1, SCALE_PRICE, q_sma, t_sma},
    {"EMA(10) ns/bar", 1, SCALE_PRICE, q_ema, t_ema},
    {"RSI(14) ns/bar", 1, SCALE_UNIT, q_rsi, t_rsi},
    {"ATR(14) ns/bar", 1, SCALE_PRICE, q_atr, t_atr},
    {"BBANDS(20,2) ns/bar", 3, SCALE_PRICE, q_bbands, t_bbands},
    {"MACD ns/bar", 3, SCALE_PRICE, q_macd, t_macd},
    {"ADX(14) ns/bar", 1, SCALE_UNIT, q_adx, t_adx},
    {"WMA(20) ns/bar", 1, SCALE_PRICE, q_wma, t_wma},
    {"STDDEV(20) ns/bar", 1, SCALE_PRICE, q_stddev, t_stddev},
    {"STOCH(14,3,3) ns/bar", 2, SCALE_UNIT, q_stoch, t_stoch},
    {"TRANGE ns/bar", 1, SCALE_PRICE, q_trange, t_trange},
    {"ROC(10) ns/bar", 1, SCALE_UNIT, q_roc, t_roc},
    {"MOM(10) ns/bar", 1, SCALE_PRICE, q_mom, t_mom},
    {"OBV ns/bar", 1, SCALE_VOLUME, q_obv, t_obv},
};

#define N_IND (sizeof indicators / sizeof indicators[0])

typedef struct row {
    double ours[3], talib[3]; /* ns per bar at x1, x10, x100 */
    double max_rel_diff;      /* over all three sizes */
} row;

static double natural_scale(const qf_bars *b, scale s, size_t i)
{
    switch (s) {
    case SCALE_PRICE:
        return fabs(b->close[i]);
    case SCALE_VOLUME:
        return fabs(b->volume[i]);
    case SCALE_UNIT:
        break;
    }
    return 1.0;
}

/* Largest relative difference between ours and TA-Lib's outputs over the
 * bars TA-Lib defines; infinity when one is NaN and the other is not. */
static double compare(const indicator *ind, const qf_bars *b, double **ours, double **ta, int beg,
                      int nb)
{
    double worst = 0.0;
    for (int k = 0; k < ind->outputs; k++) {
        for (int j = 0; j < nb; j++) {
            size_t i = (size_t)beg + (size_t)j;
            double a = ours[k][i], t = ta[k][j];
            if (isnan(a) != isnan(t))
                return INFINITY;
            double den = fmax(fabs(t), natural_scale(b, ind->scale, i));
            double d = den > 0 ? fabs(a - t) / den : fabs(a - t);
            if (d > worst)
                worst = d;
        }
    }
    return worst;
}

/* Times one indicator both ways on b, alternating rep by rep. */
static int time_pair(const indicator *ind, const qf_bars *b, int reps, double **ours, double **ta,
                     double *out_ours, double *out_ta, double *out_diff)
{
    double best_q = 1e30, best_t = 1e30;
    int beg = 0, nb = 0, bad = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        bad |= ind->ours(b, ours);
        double t1 = bench_now();
        bad |= ind->talib(b, ta, &beg, &nb) != TA_SUCCESS;
        double t2 = bench_now();
        best_q = fmin(best_q, t1 - t0);
        best_t = fmin(best_t, t2 - t1);
    }
    *out_ours = best_q / (double)b->n * 1e9;
    *out_ta = best_t / (double)b->n * 1e9;
    *out_diff = compare(ind, b, ours, ta, beg, nb);
    return bad;
}

static void print_table(const row *rows)
{
    static const char *sizes[3] = {"x1", "x10", "x100"};
    printf("%-22s", "indicator (ns/bar)");
    for (int t = 0; t < 3; t++)
        printf(" %9s %9s", "ours", "TA-Lib");
    printf("  %s\n%-22s", "max rel diff", "");
    for (int t = 0; t < 3; t++)
        printf(" %19s", sizes[t]);
    printf("\n");
    for (size_t k = 0; k < N_IND; k++) {
        printf("%-22s", indicators[k].name);
        for (int t = 0; t < 3; t++)
            printf(" %9.2f %9.2f", rows[k].ours[t], rows[k].talib[t]);
        printf("  %.1e\n", rows[k].max_rel_diff);
    }
}

static void print_json(const row *rows, size_t bars)
{
    printf("{\"bench\": \"talib\", \"talib_version\": \"%s\", \"bars\": %zu, \"rows\": [",
           TA_GetVersionString(), bars);
    for (size_t k = 0; k < N_IND; k++) {
        const row *r = &rows[k];
        printf("%s\n {\"name\": \"%s\", \"ours\": [%.4f, %.4f, %.4f], \"talib\": [%.4f, %.4f, "
               "%.4f], \"max_rel_diff\": %.3e}",
               k ? "," : "", indicators[k].name, r->ours[0], r->ours[1], r->ours[2], r->talib[0],
               r->talib[1], r->talib[2], r->max_rel_diff);
    }
    printf("\n]}\n");
}

int main(int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (TA_Initialize() != TA_SUCCESS) {
        fprintf(stderr, "bench_talib: TA_Initialize failed\n");
        return 1;
    }
    qf_candles c;
    bench_load(&c);
    static const size_t tiles[3] = {1, 10, 100};
    static const int reps[3] = {50, 20, 10};
    row rows[N_IND];
    memset(rows, 0, sizeof rows);
    for (int t = 0; t < 3; t++) {
        qf_bars b = bench_tiled(&c, tiles[t]);
        double *ours[MAX_OUT], *ta[MAX_OUT];
        for (int k = 0; k < MAX_OUT; k++) {
            ours[k] = malloc(b.n * sizeof(double));
            ta[k] = malloc(b.n * sizeof(double));
            if (ours[k] == NULL || ta[k] == NULL) {
                fprintf(stderr, "bench_talib: out of memory\n");
                return 1;
            }
        }
        for (size_t k = 0; k < N_IND; k++) {
            double diff = 0;
            if (time_pair(&indicators[k], &b, reps[t], ours, ta, &rows[k].ours[t],
                          &rows[k].talib[t], &diff)) {
                fprintf(stderr, "bench_talib: %s failed at x%zu\n", indicators[k].name, tiles[t]);
                return 1;
            }
            rows[k].max_rel_diff = fmax(rows[k].max_rel_diff, diff);
        }
        for (int k = 0; k < MAX_OUT; k++) {
            free(ours[k]);
            free(ta[k]);
        }
        qf_bars_cleanup(&b);
    }
    if (json) {
        print_json(rows, c.n);
    } else {
        printf("TA-Lib C %s vs QuantFlow; BTC/USDT 4h (%zu bars) tiled; %ld cores, one used\n",
               TA_GetVersionString(), c.n, sysconf(_SC_NPROCESSORS_ONLN));
        print_table(rows);
    }
    qf_candles_cleanup(&c);
    TA_Shutdown();
    return 0;
}
