/*
 * hmm_fit.c - Baum-Welch for the Gaussian HMM (see hmm.h), from k-means++
 * starts.
 *
 * The rows from the first to the last finite one are copied, standardised
 * (column mean 0, variance 1; a constant column is only centred), into one
 * row-major block. In that space the ridge is simply covariance_reg * I
 * and k-means++ distances weigh every feature alike; the winning model is
 * mapped back to the features' units at the end.
 *
 * One E-step: scaled emissions b[t][k] = exp(log N - max_k log N) (one
 * shift per row, see HMM_LOG_FLOOR), a forward pass storing alpha[t]
 * rescaled by powers of two only when it gets small (forward_kd), then a
 * backward pass that carries beta in one K-vector and accumulates
 * everything the M-step
 * needs as it goes (expected transitions, per-state weight, first and
 * second moments about the current means), so neither beta nor gamma is
 * stored. Rows with a non-finite value have b = 1: the chain moves through
 * them by the transition matrix alone, and they add no moments.
 */
#include "signal/hmm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "signal/hmm_int.h"

#define KMEANS_ITERS 25
/* A state with less expected weight than this keeps its mean and covariance. */
#define MIN_STATE_WEIGHT 1e-8

/* The data of one fit, standardised; the scratch the E-step reuses. */
typedef struct fit_ctx {
    size_t n;             /* rows in the span (first to last finite row) */
    size_t n_used;        /* finite rows among them */
    int d, K;             /* dimensions, states */
    double reg;           /* ridge in standardised space */
    double *x;            /* n * d, row-major, standardised (garbage where !ok) */
    unsigned char *ok;    /* n: every value of the row finite */
    double *b;            /* n * K scaled emissions */
    double *alpha;        /* n * K forward variables, scaled (see forward_kd) */
    double *c;            /* n forward normalisers; k-means distances before EM */
    int *assign;          /* n k-means clusters */
    struct fit_stats *st; /* one E-step's statistics */
    double shift[QF_HMM_MAX_DIM], scale[QF_HMM_MAX_DIM];
} fit_ctx;

/* Sufficient statistics of one E-step. */
typedef struct fit_stats {
    double start[QF_HMM_MAX_STATES];
    double xi[QF_HMM_MAX_STATES][QF_HMM_MAX_STATES];
    double w[QF_HMM_MAX_STATES];                  /* sum of gamma over finite rows */
    double s1[QF_HMM_MAX_STATES][QF_HMM_MAX_DIM]; /* sum gamma (x - ref) */
    double s2[QF_HMM_MAX_STATES][QF_HMM_MAX_DIM][QF_HMM_MAX_DIM]; /* lower triangle */
} fit_stats;

/* ---- data ------------------------------------------------------------------ */

static bool row_ok(const qf_hmm_series *s, size_t t)
{
    for (int j = 0; j < s->n_dims; j++)
        if (!isfinite(s->col[j][t]))
            return false;
    return true;
}

/* Column means and scales over the finite rows of [t0, t1], two passes.
 * -1 (column j in *out_col) when the values are too large for their
 * variance to be a finite double. */
static int column_scales(const qf_hmm_series *s, size_t t0, size_t t1, size_t used, fit_ctx *c,
                         int *out_col)
{
    for (int j = 0; j < s->n_dims; j++) {
        double sum = 0.0, ss = 0.0;
        for (size_t t = t0; t <= t1; t++)
            if (c->ok[t - t0])
                sum += s->col[j][t];
        double mu = sum / (double)used;
        for (size_t t = t0; t <= t1; t++)
            if (c->ok[t - t0])
                ss += (s->col[j][t] - mu) * (s->col[j][t] - mu);
        double sd = sqrt(ss / (double)used);
        if (!isfinite(mu) || !isfinite(sd)) {
            *out_col = j;
            return -1;
        }
        /* Constant up to rounding (or so small that its square would
         * underflow on the way back): centre only. */
        if (!(sd > 1e-12 * fabs(mu) && sd > 1e-100))
            sd = 1.0;
        c->shift[j] = mu;
        c->scale[j] = sd;
    }
    return 0;
}

static qf_rc ctx_alloc(fit_ctx *c, size_t n, int d, int K, qf_err *err)
{
    size_t nd = n * (size_t)d, nk = n * (size_t)K;
    size_t doubles = nd + 2 * nk + n;
    size_t bytes = sizeof(fit_stats) + doubles * sizeof(double) + n * sizeof(int) + n;
    char *blk = malloc(bytes);
    if (!blk)
        return qf_err_set(err, QF_ENOMEM, "hmm fit: out of memory for %zu rows", n);
    c->st = (fit_stats *)(void *)blk;
    c->x = (double *)(void *)(blk + sizeof(fit_stats));
    c->b = c->x + nd;
    c->alpha = c->b + nk;
    c->c = c->alpha + nk;
    c->assign = (int *)(void *)(c->c + n);
    c->ok = (unsigned char *)(c->assign + n);
    return QF_OK;
}

/* ---- model updates --------------------------------------------------------- */

/* Adds the ridge to cov[k] and factors it; a covariance that still does not
 * factor (rounding on nearly collinear columns) gets ten times more, up to
 * 1e12 times. Returns -1 if even that fails (cov[k] is then unusable). */
static int regularise_state(qf_hmm *m, int k, double reg)
{
    double base[QF_HMM_MAX_DIM][QF_HMM_MAX_DIM];
    int d = m->n_dims;
    memcpy(base, m->cov[k], sizeof base);
    double r = reg;
    for (int tries = 0; tries < 13; tries++, r *= 10.0) {
        for (int i = 0; i < d; i++)
            m->cov[k][i][i] = base[i][i] + r;
        if (hmm_prepare_state(m, k) == 0)
            return 0;
    }
    return -1;
}

/* ---- k-means++ -------------------------------------------------------------- */

static double dist2(const double *a, const double *b, int d)
{
    double s = 0.0;
    for (int j = 0; j < d; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

/* The index of the i-th finite row. */
static size_t nth_ok(const fit_ctx *c, size_t i)
{
    for (size_t t = 0; t < c->n; t++)
        if (c->ok[t] && i-- == 0)
            return t;
    return 0; /* not reached: i < n_used */
}

/* k-means++ seeding (Arthur and Vassilvitskii): each next centre is a row
 * drawn with probability proportional to its squared distance to the
 * nearest centre so far; uniform when every row sits on a centre. */
static void kmeanspp_seed(fit_ctx *c, hmm_rng *r, double centre[][QF_HMM_MAX_DIM])
{
    int d = c->d;
    double *dist = c->c;
    size_t first = nth_ok(c, (size_t)(hmm_rng_uniform(r) * (double)c->n_used));
    memcpy(centre[0], c->x + first * (size_t)d, (size_t)d * sizeof(double));
    for (size_t t = 0; t < c->n; t++)
        dist[t] = c->ok[t] ? dist2(c->x + t * (size_t)d, centre[0], d) : 0.0;
    for (int k = 1; k < c->K; k++) {
        double total = 0.0;
        for (size_t t = 0; t < c->n; t++)
            total += dist[t];
        size_t pick = 0;
        if (total > 0.0) {
            double u = hmm_rng_uniform(r) * total, acc = 0.0;
            for (size_t t = 0; t < c->n; t++) {
                if (dist[t] > 0.0)
                    pick = t; /* the last candidate, should rounding leave u above acc */
                acc += dist[t];
                if (dist[t] > 0.0 && u < acc)
                    break;
            }
        } else {
            pick = nth_ok(c, (size_t)(hmm_rng_uniform(r) * (double)c->n_used));
        }
        memcpy(centre[k], c->x + pick * (size_t)d, (size_t)d * sizeof(double));
        for (size_t t = 0; t < c->n; t++)
            if (c->ok[t]) {
                double e = dist2(c->x + t * (size_t)d, centre[k], d);
                if (e < dist[t])
                    dist[t] = e;
            }
    }
}

/* Lloyd's iterations from the seeded centres until no row changes cluster
 * (at most KMEANS_ITERS); an empty cluster keeps its centre. */
static void kmeans(fit_ctx *c, double centre[][QF_HMM_MAX_DIM])
{
    int d = c->d, K = c->K;
    for (size_t t = 0; t < c->n; t++)
        c->assign[t] = -1;
    for (int it = 0; it < KMEANS_ITERS; it++) {
        size_t changed = 0;
        for (size_t t = 0; t < c->n; t++) {
            if (!c->ok[t])
                continue;
            const double *x = c->x + t * (size_t)d;
            int best = 0;
            double bd = dist2(x, centre[0], d);
            for (int k = 1; k < K; k++) {
                double e = dist2(x, centre[k], d);
                if (e < bd) {
                    bd = e;
                    best = k;
                }
            }
            changed += c->assign[t] != best;
            c->assign[t] = best;
        }
        if (changed == 0)
            break;
        double sum[QF_HMM_MAX_STATES][QF_HMM_MAX_DIM] = {{0}};
        size_t cnt[QF_HMM_MAX_STATES] = {0};
        for (size_t t = 0; t < c->n; t++) {
            if (!c->ok[t])
                continue;
            int k = c->assign[t];
            cnt[k]++;
            for (int j = 0; j < d; j++)
                sum[k][j] += c->x[t * (size_t)d + (size_t)j];
        }
        for (int k = 0; k < K; k++)
            if (cnt[k] > 0)
                for (int j = 0; j < d; j++)
                    centre[k][j] = sum[k][j] / (double)cnt[k];
    }
}

/* The starting model of one restart: k-means++ clusters give the means and
 * covariances (the identity, i.e. the overall covariance's scale, for a
 * cluster too small to estimate one); the start distribution is uniform and
 * the transitions persistent (0.9 + 0.1/K on the diagonal), as regimes are. */
static int init_model(fit_ctx *c, hmm_rng *r, qf_hmm *m)
{
    int d = c->d, K = c->K;
    double centre[QF_HMM_MAX_STATES][QF_HMM_MAX_DIM];
    kmeanspp_seed(c, r, centre);
    kmeans(c, centre);
    memset(m, 0, sizeof *m);
    m->n_states = K;
    m->n_dims = d;
    size_t cnt[QF_HMM_MAX_STATES] = {0};
    for (size_t t = 0; t < c->n; t++) {
        if (!c->ok[t])
            continue;
        int k = c->assign[t];
        cnt[k]++;
        const double *x = c->x + t * (size_t)d;
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
                m->cov[k][i][j] += (x[i] - centre[k][i]) * (x[j] - centre[k][j]);
    }
    for (int k = 0; k < K; k++) {
        m->start[k] = 1.0 / K;
        for (int j = 0; j < K; j++)
            m->trans[k][j] = (j == k ? 0.9 : 0.0) + 0.1 / K;
        memcpy(m->mean[k], centre[k], (size_t)d * sizeof(double));
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++) {
                double v = cnt[k] > (size_t)d ? m->cov[k][i][j] / (double)cnt[k] : (i == j);
                m->cov[k][i][j] = v;
                m->cov[k][j][i] = v;
            }
        if (regularise_state(m, k, c->reg) != 0)
            return -1;
    }
    return 0;
}

/* ---- Baum-Welch -------------------------------------------------------------- */

/* The E-step kernels below are written once for any K and d and inlined
 * into a few instances with K and d known at compile time (e_step), so the
 * loops over states and dimensions unroll and their data stays in
 * registers: for d = 2, K = 3 that is three times faster than the generic
 * instance. */
#define HOT static inline __attribute__((always_inline))

/* log N(x; mean[k], cov[k]), as hmm_logpdf, with K and d constant. */
HOT double logpdf_kd(const qf_hmm *m, int k, const double *x, int d)
{
    double diff[QF_HMM_MAX_DIM], q = 0.0;
    for (int j = 0; j < d; j++)
        diff[j] = x[j] - m->mean[k][j];
    for (int i = 0; i < d; i++) {
        double z = 0.0;
        for (int j = 0; j <= i; j++)
            z += m->linv[k][i][j] * diff[j];
        q += z * z;
    }
    return m->log_norm[k] - 0.5 * q;
}

/* Scaled emissions of every row; returns the sum of the row shifts. */
HOT double emissions_kd(const fit_ctx *c, const qf_hmm *m, int K, int d)
{
    double shift_sum = 0.0;
    for (size_t t = 0; t < c->n; t++) {
        double *b = c->b + t * (size_t)K;
        if (!c->ok[t]) {
            for (int k = 0; k < K; k++)
                b[k] = 1.0;
            continue;
        }
        const double *x = c->x + t * (size_t)d;
        double lb[QF_HMM_MAX_STATES], mx = -INFINITY;
        for (int k = 0; k < K; k++) {
            lb[k] = logpdf_kd(m, k, x, d);
            mx = lb[k] > mx ? lb[k] : mx;
        }
        for (int k = 0; k < K; k++) {
            double e = lb[k] - mx;
            /* The best state's is exp(0) = 1: one exp fewer per row. */
            b[k] = e == 0.0 ? 1.0 : exp(e > HMM_LOG_FLOOR ? e : HMM_LOG_FLOOR);
        }
        shift_sum += mx;
    }
    return shift_sum;
}

/* The forward pass, scaled lazily. alpha[t] = (alpha[t-1] trans) * b[t] / d[t]
 * with d[t] = 1 on most rows: only when the row's sum falls below 2^-64 is
 * the row multiplied by a power of two that brings its sum into [1, 2)
 * (exact, no rounding). So the chain from one row to the next is the
 * product with the transition matrix and nothing else - no division, no
 * logarithm - and the sums of the stored rows stay in [2^-64, 2). One row
 * shrinks a sum by at most e^-650 = 2^-938 (HMM_LOG_FLOOR), so no sum
 * reaches the subnormals before it is rescaled. c[t] keeps 1 / d[t] for
 * the backward pass. Returns ln p(x) less the emission shifts:
 * ln(sum of alpha[T-1]) + sum of ln d[t]. */
HOT double forward_kd(const fit_ctx *c, const qf_hmm *m, int K)
{
    double prev[QF_HMM_MAX_STATES], s = 0.0;
    long exp2_sum = 0;
    for (int k = 0; k < K; k++)
        prev[k] = m->start[k];
    for (size_t t = 0; t < c->n; t++) {
        const double *b = c->b + t * (size_t)K;
        double *a = c->alpha + t * (size_t)K, p[QF_HMM_MAX_STATES];
        if (t == 0) {
            for (int k = 0; k < K; k++)
                p[k] = prev[k];
        } else {
            for (int j = 0; j < K; j++)
                p[j] = prev[0] * m->trans[0][j];
            for (int i = 1; i < K; i++)
                for (int j = 0; j < K; j++)
                    p[j] += prev[i] * m->trans[i][j];
        }
        s = 0.0;
        for (int k = 0; k < K; k++) {
            p[k] *= b[k];
            s += p[k];
        }
        double f = 1.0;
        /* Rarely taken, and predicted so: the next row need not wait for s. */
        if (s < 0x1p-64) {
            /* s = m 2^e with m in [1, 2); f = 2^-e. s is normal here. */
            uint64_t bits;
            memcpy(&bits, &s, sizeof bits);
            int e = (int)((bits >> 52) & 0x7FF) - 1023;
            uint64_t fb = (uint64_t)(1023 - e) << 52;
            memcpy(&f, &fb, sizeof f);
            exp2_sum += e;
            s *= f;
            for (int k = 0; k < K; k++)
                p[k] *= f;
        }
        for (int k = 0; k < K; k++) {
            prev[k] = p[k];
            a[k] = p[k];
        }
        c->c[t] = f;
    }
    return log(s) + (double)exp2_sum * 0.69314718055994530942;
}

/* The backward pass, accumulating the statistics on the way, with the same
 * scale factors: beta[t-1] = trans (b[t] * beta[t]) / d[t]. Then
 * alpha[t] beta[t] sums to the same Q on every row, and gamma[t] =
 * alpha[t] beta[t] / Q adds to the weights and to the moments about m's
 * means; xi[t-1](i, j) = alpha[t-1](i) trans(i, j) b[t](j) beta[t](j) /
 * (d[t] Q) to the transition counts. As the stored rows sum to at least
 * 2^-64, beta stays below about 2^66. */
HOT void backward_kd(const fit_ctx *c, const qf_hmm *m, fit_stats *st, int K, int d)
{
    double beta[QF_HMM_MAX_STATES], g[QF_HMM_MAX_STATES], w[QF_HMM_MAX_STATES];
    memset(st, 0, sizeof *st);
    const double *last = c->alpha + (c->n - 1) * (size_t)K;
    double q = 0.0;
    for (int k = 0; k < K; k++) {
        beta[k] = 1.0;
        q += last[k];
    }
    double iq = 1.0 / q;
    for (size_t t = c->n; t-- > 0;) {
        const double *a = c->alpha + t * (size_t)K;
        for (int k = 0; k < K; k++)
            g[k] = a[k] * beta[k] * iq;
        if (c->ok[t]) {
            const double *x = c->x + t * (size_t)d;
            for (int k = 0; k < K; k++) {
                double dx[QF_HMM_MAX_DIM];
                for (int j = 0; j < d; j++)
                    dx[j] = x[j] - m->mean[k][j];
                st->w[k] += g[k];
                for (int i = 0; i < d; i++) {
                    double gi = g[k] * dx[i];
                    st->s1[k][i] += gi;
                    for (int j = 0; j <= i; j++)
                        st->s2[k][i][j] += gi * dx[j];
                }
            }
        }
        if (t == 0) {
            for (int k = 0; k < K; k++)
                st->start[k] = g[k];
            break;
        }
        const double *b = c->b + t * (size_t)K;
        const double *ap = a - K;
        double f = c->c[t];
        for (int j = 0; j < K; j++)
            w[j] = b[j] * beta[j] * f;
        for (int i = 0; i < K; i++) {
            double acc = 0.0, ai = ap[i] * iq;
            for (int j = 0; j < K; j++) {
                double tw = m->trans[i][j] * w[j];
                acc += tw;
                st->xi[i][j] += ai * tw;
            }
            beta[i] = acc;
        }
    }
}

/* One E-step with K and d fixed: returns ln p(x) under m (standardised
 * units) and, when st is not NULL, fills st. */
HOT double e_step_kd(const fit_ctx *c, const qf_hmm *m, fit_stats *st, int K, int d)
{
    double ll = emissions_kd(c, m, K, d) + forward_kd(c, m, K);
    if (st)
        backward_kd(c, m, st, K, d);
    return ll;
}

static double e_step(const fit_ctx *c, const qf_hmm *m, fit_stats *st)
{
    if (c->d == 2 && c->K == 2)
        return e_step_kd(c, m, st, 2, 2);
    if (c->d == 2 && c->K == 3)
        return e_step_kd(c, m, st, 3, 2);
    if (c->d == 2 && c->K == 4)
        return e_step_kd(c, m, st, 4, 2);
    return e_step_kd(c, m, st, c->K, c->d);
}

/* The M-step: m <- the maximiser given st (moments about m's means). */
static void mstep(const fit_ctx *c, const fit_stats *st, qf_hmm *m)
{
    int K = c->K, d = c->d;
    double s = 0.0;
    for (int k = 0; k < K; k++)
        s += st->start[k];
    for (int k = 0; k < K; k++)
        m->start[k] = st->start[k] / s;
    for (int i = 0; i < K; i++) {
        double r = 0.0;
        for (int j = 0; j < K; j++)
            r += st->xi[i][j];
        if (r > 0.0) /* a state never left keeps its row */
            for (int j = 0; j < K; j++)
                m->trans[i][j] = st->xi[i][j] / r;
    }
    for (int k = 0; k < K; k++) {
        if (!(st->w[k] > MIN_STATE_WEIGHT))
            continue;
        double old_mean[QF_HMM_MAX_DIM], old_cov[QF_HMM_MAX_DIM][QF_HMM_MAX_DIM];
        memcpy(old_mean, m->mean[k], sizeof old_mean);
        memcpy(old_cov, m->cov[k], sizeof old_cov);
        double inv = 1.0 / st->w[k], dm[QF_HMM_MAX_DIM];
        for (int j = 0; j < d; j++) {
            dm[j] = st->s1[k][j] * inv;
            m->mean[k][j] += dm[j];
        }
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++) {
                double v = st->s2[k][i][j] * inv - dm[i] * dm[j];
                m->cov[k][i][j] = v;
                m->cov[k][j][i] = v;
            }
        if (regularise_state(m, k, c->reg) != 0) {
            /* Not reached with a positive ridge; keep the state as it was. */
            memcpy(m->mean[k], old_mean, sizeof old_mean);
            memcpy(m->cov[k], old_cov, sizeof old_cov);
            (void)hmm_prepare_state(m, k);
        }
    }
}

/* One restart: EM from m until the gain per row falls below tol or max_iter
 * M-steps were made. On return m holds the model whose log-likelihood is
 * *out_ll: the E-step that found convergence scores the model it ran on,
 * and after max_iter M-steps one more E-step (without statistics) scores
 * the last one. */
static void run_em(fit_ctx *c, const qf_hmm_fit_params *p, qf_hmm *m, double *out_ll,
                   int *out_iters, bool *out_conv)
{
    double prev = -INFINITY, ll = -INFINITY;
    int it = 0;
    bool conv = false;
    for (;;) {
        bool last = it == p->max_iter;
        ll = e_step(c, m, last ? NULL : c->st);
        if (it > 0 && ll - prev < p->tol * (double)c->n_used) {
            conv = true;
            break;
        }
        if (last)
            break;
        prev = ll;
        mstep(c, c->st, m);
        it++;
    }
    *out_ll = ll;
    *out_iters = it;
    *out_conv = conv;
}

/* The standardised model in the features' units: x = shift + scale z. */
static int unscale(const fit_ctx *c, qf_hmm *m)
{
    int d = c->d;
    for (int k = 0; k < c->K; k++) {
        for (int i = 0; i < d; i++) {
            m->mean[k][i] = c->shift[i] + c->scale[i] * m->mean[k][i];
            for (int j = 0; j < d; j++)
                m->cov[k][i][j] *= c->scale[i] * c->scale[j];
        }
        if (hmm_prepare_state(m, k) != 0)
            return -1;
    }
    return 0;
}

/* ---- entry point --------------------------------------------------------------- */

static qf_rc check_input(const qf_hmm_series *s, const qf_hmm_fit_params *p, qf_err *err)
{
    qf_rc rc = qf_hmm_fit_params_check(p, err);
    if (rc != QF_OK)
        return rc;
    if (s->n_dims < 1 || s->n_dims > QF_HMM_MAX_DIM)
        return qf_err_set(err, QF_EINVAL, "hmm fit: n_dims must be in [1, %d], got %d",
                          QF_HMM_MAX_DIM, s->n_dims);
    for (int j = 0; j < s->n_dims; j++)
        if (!s->col[j] && s->n > 0)
            return qf_err_set(err, QF_EINVAL, "hmm fit: column %d is NULL", j);
    return QF_OK;
}

/* Restarts from independent streams of one seed; the highest likelihood
 * wins, the earlier restart on a tie. */
static qf_rc fit_restarts(fit_ctx *c, const qf_hmm_fit_params *p, qf_hmm *best,
                          qf_hmm_fit_report *rep, qf_err *err)
{
    qf_hmm *m = malloc(sizeof *m);
    if (!m)
        return qf_err_set(err, QF_ENOMEM, "hmm fit: out of memory");
    uint64_t master = p->seed;
    double best_ll = -INFINITY;
    rep->iterations_total = 0;
    rep->best_restart = -1;
    for (int r = 0; r < p->n_restarts; r++) {
        hmm_rng rng;
        hmm_rng_seed(&rng, hmm_splitmix64(&master));
        if (init_model(c, &rng, m) != 0)
            continue;
        double ll;
        int iters;
        bool conv;
        run_em(c, p, m, &ll, &iters, &conv);
        rep->iterations_total += iters;
        if (ll > best_ll || rep->best_restart < 0) {
            best_ll = ll;
            *best = *m;
            rep->best_restart = r;
            rep->iterations = iters;
            rep->converged = conv;
        }
    }
    free(m);
    rep->restarts = p->n_restarts;
    if (rep->best_restart < 0 || !isfinite(best_ll))
        return qf_err_set(err, QF_ESTATE, "hmm fit: no restart produced a finite likelihood");
    return QF_OK;
}

/* Checks the rows of s and fills c with their standardised copy (c->st
 * owns the block; free it). */
static qf_rc prepare(const qf_hmm_series *s, const qf_hmm_fit_params *p, fit_ctx *c, qf_err *err)
{
    size_t t0 = 0, t1 = 0, used = 0;
    for (size_t t = 0; t < s->n; t++)
        if (row_ok(s, t)) {
            if (used++ == 0)
                t0 = t;
            t1 = t;
        }
    if (used == 0)
        return qf_err_set(err, QF_EINVAL, "hmm fit: no row has every value finite (%zu rows)",
                          s->n);
    size_t need = qf_hmm_min_rows(p->n_states, s->n_dims);
    if (used < need)
        return qf_err_set(err, QF_EINVAL,
                          "hmm fit: %d states in %d dimensions need at least %zu rows with every "
                          "value finite, got %zu (of %zu rows)",
                          p->n_states, s->n_dims, need, used, s->n);
    c->n = t1 - t0 + 1;
    c->n_used = used;
    c->d = s->n_dims;
    c->K = p->n_states;
    c->reg = p->covariance_reg;
    qf_rc rc = ctx_alloc(c, c->n, c->d, c->K, err);
    if (rc != QF_OK)
        return rc;
    for (size_t t = t0; t <= t1; t++)
        c->ok[t - t0] = row_ok(s, t);
    int bad;
    if (column_scales(s, t0, t1, used, c, &bad) != 0) {
        free(c->st);
        return qf_err_set(err, QF_EINVAL,
                          "hmm fit: column %d's values are too large for a finite variance", bad);
    }
    for (size_t t = t0; t <= t1; t++)
        for (int j = 0; j < c->d; j++)
            c->x[(t - t0) * (size_t)c->d + (size_t)j] =
                c->ok[t - t0] ? (s->col[j][t] - c->shift[j]) / c->scale[j] : 0.0;
    return QF_OK;
}

/* The end of a fit: best (standardised) back in the features' units, its
 * likelihood on s, and the results committed to *out and *out_report. */
static qf_rc finish(const fit_ctx *c, const qf_hmm_series *s, qf_hmm *best, qf_hmm_fit_report *rep,
                    qf_hmm *out, qf_hmm_fit_report *out_report, qf_err *err)
{
    if (unscale(c, best) != 0)
        return qf_err_set(err, QF_ESTATE,
                          "hmm fit: a covariance lost positive definiteness when mapped back to "
                          "the features' units");
    qf_rc rc = qf_hmm_log_likelihood(best, s, &rep->log_likelihood, NULL, err);
    if (rc != QF_OK)
        return rc;
    rep->n_used = c->n_used;
    rep->n_skipped = s->n - c->n_used;
    *out = *best;
    if (out_report)
        *out_report = *rep;
    return QF_OK;
}

qf_rc qf_hmm_fit(const qf_hmm_series *s, const qf_hmm_fit_params *p, qf_hmm *out,
                 qf_hmm_fit_report *out_report, qf_err *err)
{
    fit_ctx c = {0};
    qf_rc rc = check_input(s, p, err);
    if (rc == QF_OK)
        rc = prepare(s, p, &c, err);
    if (rc != QF_OK)
        return rc;
    qf_hmm *best = malloc(sizeof *best);
    qf_hmm_fit_report rep = {0};
    if (!best)
        rc = qf_err_set(err, QF_ENOMEM, "hmm fit: out of memory");
    if (rc == QF_OK)
        rc = fit_restarts(&c, p, best, &rep, err);
    if (rc == QF_OK)
        rc = finish(&c, s, best, &rep, out, out_report, err);
    free(c.st);
    free(best);
    return rc;
}

/* init in standardised units: z = (x - shift) / scale. -1 when a
 * covariance no longer factors (scales far apart). */
static int standardise_model(const fit_ctx *c, const qf_hmm *init, qf_hmm *m)
{
    *m = *init;
    for (int k = 0; k < c->K; k++) {
        for (int i = 0; i < c->d; i++) {
            m->mean[k][i] = (init->mean[k][i] - c->shift[i]) / c->scale[i];
            for (int j = 0; j < c->d; j++)
                m->cov[k][i][j] = init->cov[k][i][j] / (c->scale[i] * c->scale[j]);
        }
        if (hmm_prepare_state(m, k) != 0)
            return -1;
    }
    return 0;
}

qf_rc qf_hmm_refit(const qf_hmm_series *s, const qf_hmm_fit_params *p, const qf_hmm *init,
                   qf_hmm *out, qf_hmm_fit_report *out_report, qf_err *err)
{
    fit_ctx c = {0};
    qf_rc rc = check_input(s, p, err);
    if (rc == QF_OK && (init->n_states != p->n_states || init->n_dims != s->n_dims))
        rc = qf_err_set(err, QF_EINVAL,
                        "hmm refit: the starting model has %d states in %d dimensions, the fit "
                        "asks for %d in %d",
                        init->n_states, init->n_dims, p->n_states, s->n_dims);
    if (rc == QF_OK)
        rc = prepare(s, p, &c, err);
    if (rc != QF_OK)
        return rc;
    qf_hmm *m = malloc(sizeof *m);
    qf_hmm_fit_report rep = {.restarts = 1, .best_restart = 0};
    if (!m)
        rc = qf_err_set(err, QF_ENOMEM, "hmm fit: out of memory");
    else if (standardise_model(&c, init, m) != 0)
        rc = qf_err_set(err, QF_EINVAL,
                        "hmm refit: a covariance of the starting model is not positive definite "
                        "in the data's units");
    if (rc == QF_OK) {
        double ll;
        run_em(&c, p, m, &ll, &rep.iterations, &rep.converged);
        rep.iterations_total = rep.iterations;
        if (!isfinite(ll))
            rc = qf_err_set(err, QF_ESTATE, "hmm refit: the likelihood is not finite");
    }
    if (rc == QF_OK)
        rc = finish(&c, s, m, &rep, out, out_report, err);
    free(c.st);
    free(m);
    return rc;
}
