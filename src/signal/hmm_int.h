/*
 * hmm_int.h - what hmm.c, hmm_fit.c and hmm_json.c share: the random
 * number generator, the small Cholesky factorisation and the scaled
 * emission row.
 */
#ifndef QF_SIGNAL_HMM_INT_H
#define QF_SIGNAL_HMM_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "signal/hmm.h"

/* Emission densities are scaled per row by their maximum; a state whose
 * density is more than e^650 below the best one is given e^-650 instead of
 * underflowing to 0. The filter's normaliser then stays above
 * (1/K) e^-650 > DBL_MIN even when the prediction puts no mass on the best
 * state, so a wild outlier can never produce 0/0; the fit's forward pass
 * relies on the same bound (see forward_kd). Ratios below e^-650 (1e-282)
 * change no probability a double can show. */
#define HMM_LOG_FLOOR (-650.0)

/* xoshiro256** seeded through splitmix64 (Blackman and Vigna): small,
 * fast, and ours, so a seed means the same numbers everywhere (no rand(),
 * no global state). */
typedef struct hmm_rng {
    uint64_t s[4];
} hmm_rng;

static inline uint64_t hmm_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void hmm_rng_seed(hmm_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = hmm_splitmix64(&seed);
}

static inline uint64_t hmm_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t hmm_rng_next(hmm_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = hmm_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = hmm_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1). */
static inline double hmm_rng_uniform(hmm_rng *r)
{
    return (double)(hmm_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Standard normal (Box-Muller; one of the pair is dropped to keep the
 * generator stateless beyond its four words). */
static inline double hmm_rng_normal(hmm_rng *r)
{
    double u1 = 1.0 - hmm_rng_uniform(r); /* (0, 1]: log stays finite */
    double u2 = hmm_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Lower Cholesky factor L of the d x d matrix a (row stride QF_HMM_MAX_DIM):
 * a = L L^T. Returns 0, or -1 when a pivot is not positive and finite (a is
 * not positive definite). Written here rather than taken from GSL: GSL
 * reports a non-positive-definite matrix through its process-wide error
 * handler, which aborts unless switched off globally, and for d <= 8 the
 * factorisation is a dozen lines with no matrix views to set up. */
int hmm_cholesky(int d, const double a[][QF_HMM_MAX_DIM], double l[][QF_HMM_MAX_DIM]);

/* L^-1 of a lower-triangular l with a positive diagonal (forward
 * substitution column by column); the upper triangle of out is zeroed. */
void hmm_tri_inverse(int d, const double l[][QF_HMM_MAX_DIM], double out[][QF_HMM_MAX_DIM]);

/* Derives linv and log_norm of state k from cov[k]; -1 when cov[k] is not
 * positive definite (m unchanged then). */
int hmm_prepare_state(qf_hmm *m, int k);

/* log N(x; mean[k], cov[k]) through the derived factors. */
static inline double hmm_logpdf(const qf_hmm *m, int k, const double *x)
{
    int d = m->n_dims;
    double diff[QF_HMM_MAX_DIM];
    for (int j = 0; j < d; j++)
        diff[j] = x[j] - m->mean[k][j];
    double q = 0.0;
    for (int i = 0; i < d; i++) {
        double z = 0.0;
        for (int j = 0; j <= i; j++)
            z += m->linv[k][i][j] * diff[j];
        q += z * z;
    }
    return m->log_norm[k] - 0.5 * q;
}

#endif
