/*
 * hmm.h - a Gaussian hidden Markov model with full covariances: fitting
 * (Baum-Welch), filtering, likelihood, Viterbi, sampling and JSON.
 *
 * Model: K hidden states (2..QF_HMM_MAX_STATES) follow a Markov chain with
 * start distribution `start` and transition matrix `trans`
 * (trans[i][j] = P(state_{t+1} = j | state_t = i)); in state k the
 * d-dimensional observation (1..QF_HMM_MAX_DIM) is N(mean[k], cov[k]).
 * QuantFlow uses d = 2 (log_returns, realized_vol) and K = 3 (regime.*).
 *
 * Observations are columns: series->col[j][t] is feature j at bar t, the
 * layout qf_features_compute writes (col[j] = feats + f * n).
 *
 * Missing values. A row with any non-finite value (the features are NaN
 * during their warm-up) carries no observation. The chain starts at the
 * first row with every value finite: rows before it have no state
 * (filtered probabilities NaN, Viterbi state -1). A non-finite row after it
 * is a step with no evidence: the state still moves by the transition
 * matrix (prediction only), and it adds nothing to the likelihood. The fit
 * uses the same convention, so its means and covariances come only from
 * rows where every value is finite; trailing non-finite rows are ignored.
 *
 * For trading, the state at bar t comes from the FILTERED probabilities
 * P(state_t | observations <= t) (qf_hmm_filter_step / qf_hmm_filter_batch,
 * identical bit for bit), never from Viterbi, which looks at the whole
 * series; Viterbi is for analysis.
 *
 * A qf_hmm is a plain fixed-size value (about 20 KB, no heap), so it may
 * be copied by assignment. Its fields are read-only for users: build one
 * with qf_hmm_fit, qf_hmm_from_params or qf_hmm_from_json, which validate
 * the parameters and derive the factors the densities use. Every function
 * here is pure: no globals, no I/O; the only allocations are those named
 * in a function's comment.
 */
#ifndef QF_SIGNAL_HMM_H
#define QF_SIGNAL_HMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

#define QF_HMM_MIN_STATES 2
#define QF_HMM_MAX_STATES 16
#define QF_HMM_MAX_DIM    8

typedef struct qf_hmm {
    int n_states;                                       /* K */
    int n_dims;                                         /* d */
    double start[QF_HMM_MAX_STATES];                    /* P(state_0 = k), sums to 1 */
    double trans[QF_HMM_MAX_STATES][QF_HMM_MAX_STATES]; /* row-stochastic */
    double mean[QF_HMM_MAX_STATES][QF_HMM_MAX_DIM];
    double cov[QF_HMM_MAX_STATES][QF_HMM_MAX_DIM][QF_HMM_MAX_DIM]; /* symmetric, pos. definite */
    /* Derived from cov (not serialised): */
    double linv[QF_HMM_MAX_STATES][QF_HMM_MAX_DIM][QF_HMM_MAX_DIM]; /* L^-1, cov = L L^T */
    double log_norm[QF_HMM_MAX_STATES]; /* -(d ln 2pi + ln det cov) / 2 */
} qf_hmm;

/* A view of n rows of d columns; the columns are not owned. */
typedef struct qf_hmm_series {
    size_t n;
    int n_dims;
    const double *col[QF_HMM_MAX_DIM]; /* col[j][t], t < n */
} qf_hmm_series;

/* ---- building a model --------------------------------------------------- */

/* Builds a model from flat row-major arrays: start[K], trans[K*K],
 * mean[K*d], cov[K*d*d] (cov[(k*d + i)*d + j]). QF_EINVAL naming the first
 * problem: K or d out of range, a non-finite number, a probability outside
 * [0, 1], a row (or start) not summing to 1 within 1e-8, a covariance not
 * symmetric (relative 1e-9) or not positive definite; QF_ENOMEM (it builds
 * the model in a heap copy). On failure *out is unchanged. */
QF_NODISCARD qf_rc qf_hmm_from_params(int n_states, int n_dims, const double *start,
                                      const double *trans, const double *mean, const double *cov,
                                      qf_hmm *out, qf_err *err);

/* ---- fitting ------------------------------------------------------------ */

typedef struct qf_hmm_fit_params {
    int n_states;          /* K, 2..16 (regime.n_states) */
    int n_restarts;        /* k-means++ initialisations, 1..1000; best likelihood wins */
    int max_iter;          /* Baum-Welch iterations per restart, >= 1 */
    double tol;            /* stop when the log-likelihood gains less than tol per row */
    double covariance_reg; /* ridge, as a fraction of each column's variance; > 0 */
    uint64_t seed;         /* same seed, same data -> same model, bit for bit */
} qf_hmm_fit_params;

/* What a fit did. */
typedef struct qf_hmm_fit_report {
    double log_likelihood; /* of the returned model on the series (qf_hmm_log_likelihood) */
    size_t n_used;         /* rows with every value finite */
    size_t n_skipped;      /* the other rows */
    int iterations;        /* Baum-Welch iterations of the winning restart */
    int iterations_total;  /* over all restarts */
    int restarts;          /* restarts run */
    int best_restart;      /* index of the winner */
    bool converged;        /* the winner stopped by tol, not by max_iter */
} qf_hmm_fit_report;

/* K 3, 5 restarts, 200 iterations, tol 1e-6, covariance_reg 1e-3, seed 42:
 * the defaults of config/default.yaml. */
qf_hmm_fit_params qf_hmm_fit_params_default(void);

/* The regime section of the configuration (core/config.h) as fit
 * parameters; the config loader has checked the ranges. */
struct qf_config_regime;
qf_hmm_fit_params qf_hmm_fit_params_from_config(const struct qf_config_regime *rc);

/* QF_EINVAL naming the first bad parameter. */
QF_NODISCARD qf_rc qf_hmm_fit_params_check(const qf_hmm_fit_params *p, qf_err *err);

/* The fewest rows with every value finite that a fit of K states in d
 * dimensions accepts: max(20 K, 2 K (d + d(d+1)/2 + K)), 60 for K 3, d 2. */
size_t qf_hmm_min_rows(int n_states, int n_dims);

/* Fits a model to the rows of s with every value finite (see the top of
 * this file for the others), by Baum-Welch in scaled space.
 *
 * Starts: n_restarts k-means++ clusterings (restart r draws from its own
 * stream of the seed), each giving the means and covariances of a start
 * with uniform start probabilities and persistent transitions. Each start
 * runs until an iteration gains less than tol * (usable rows) in
 * log-likelihood, or max_iter iterations; the highest final likelihood
 * wins (the earlier restart on a tie). States come in no particular order:
 * name them with qf_regime_map_build.
 *
 * Internally the columns are standardised (a constant column is only
 * centred), so the fit does not depend on the features' units. Each
 * state's covariance gets covariance_reg times the column's variance added
 * to its diagonal on every update, and the ridge grows tenfold until the
 * covariance factors, so no covariance becomes singular (a constant column
 * gets a variance of covariance_reg).
 *
 * Allocates scratch of n (8 d + 16 K + 13) bytes plus about 60 KB and frees
 * it before returning (QF_ENOMEM). QF_EINVAL for bad parameters, d out of
 * range, a NULL column, values too large for a finite variance, or fewer
 * usable rows than qf_hmm_min_rows; QF_ESTATE if no start reaches a finite
 * likelihood. On failure *out and *out_report are unchanged. out_report
 * may be NULL. */
QF_NODISCARD qf_rc qf_hmm_fit(const qf_hmm_series *s, const qf_hmm_fit_params *p, qf_hmm *out,
                              qf_hmm_fit_report *out_report, qf_err *err);

/* Baum-Welch from init instead of k-means++ starts, for periodic refits:
 * the previous model is a good start and a few iterations suffice. init
 * must have p->n_states states and s's dimension; n_restarts and seed are
 * not used (the report says 1 restart). Otherwise as qf_hmm_fit; out may
 * be init. */
QF_NODISCARD qf_rc qf_hmm_refit(const qf_hmm_series *s, const qf_hmm_fit_params *p,
                                const qf_hmm *init, qf_hmm *out, qf_hmm_fit_report *out_report,
                                qf_err *err);

/* ---- filtering ---------------------------------------------------------- */

/* Streaming filter: P(state_t | observations <= t), O(K^2 + K d^2) per step,
 * no allocation. The caller places it; the model must outlive it and not
 * change while it is used. */
typedef struct qf_hmm_filter {
    const qf_hmm *model;
    bool started;                   /* a finite row has been seen */
    double prob[QF_HMM_MAX_STATES]; /* filtered distribution after the last step */
    double log_likelihood;          /* ln p(observations so far) */
    size_t n_steps;                 /* rows fed, finite or not */
} qf_hmm_filter;

/* Resets f to "no observation yet" for model m. Cannot fail. */
void qf_hmm_filter_init(qf_hmm_filter *f, const qf_hmm *m);

/* Feeds the next row x[0..d) and writes the filtered distribution to
 * out_prob[0..K) (may be NULL; f->prob holds it too). A row with any
 * non-finite value is a prediction step (prob <- prob * trans); before the
 * first finite row it changes nothing and out_prob is NaN. Returns the most
 * probable state (the lowest index on ties), -1 before the first finite row. */
int qf_hmm_filter_step(qf_hmm_filter *f, const double *x, double *out_prob);

/* Batch: runs qf_hmm_filter_step over every row, writing out_prob[t*K + k]
 * (n*K doubles) and, when out_state is not NULL, the most probable state
 * per row (-1 before the first finite row). Same numbers as the streaming
 * filter, bit for bit. QF_EINVAL when d differs from the model's or a
 * column is NULL. Allocates nothing. */
QF_NODISCARD qf_rc qf_hmm_filter_batch(const qf_hmm *m, const qf_hmm_series *s, double *out_prob,
                                       int *out_state, qf_err *err);

/* Continues f over the rows of s (the next chunk of a series), writing as
 * qf_hmm_filter_batch; out_prob may be NULL too. A series fed in chunks
 * gives the same bits as in one piece: after a refit, run the new model
 * over the history, then step it bar by bar. QF_EINVAL as the batch (f
 * unchanged then). */
QF_NODISCARD qf_rc qf_hmm_filter_run(qf_hmm_filter *f, const qf_hmm_series *s, double *out_prob,
                                     int *out_state, qf_err *err);

/* ln p(observations) under m, the sum of the filter's step likelihoods, and
 * the number of finite rows (out_n_used may be NULL). QF_EINVAL as
 * qf_hmm_filter_batch. Allocates nothing. */
QF_NODISCARD qf_rc qf_hmm_log_likelihood(const qf_hmm *m, const qf_hmm_series *s,
                                         double *out_log_likelihood, size_t *out_n_used,
                                         qf_err *err);

/* ---- analysis ----------------------------------------------------------- */

/* The most probable state path given the WHOLE series (log space), so it
 * looks ahead: for analysis only. out_states[t] is -1 before the first
 * finite row; out_log_prob (may be NULL) is ln p(path, observations).
 * Allocates n*K bytes of back-pointers (QF_ENOMEM). */
QF_NODISCARD qf_rc qf_hmm_viterbi(const qf_hmm *m, const qf_hmm_series *s, int *out_states,
                                  double *out_log_prob, qf_err *err);

/* Draws n rows from m (deterministic for a seed): out_states[t] (may be
 * NULL) and observations column-major, out_obs[j*n + t]. For tests and
 * simulations. Allocates nothing. */
void qf_hmm_sample(const qf_hmm *m, uint64_t seed, size_t n, int *out_states, double *out_obs);

/* The log density ln N(x; mean[k], cov[k]) of one finite row. */
double qf_hmm_log_density(const qf_hmm *m, int k, const double *x);

/* ---- serialisation ------------------------------------------------------ */

/* {"format": "quantflow.gaussian_hmm", "version": 1, "n_states": K,
 *  "n_dims": d, "start": [K], "trans": [[K] x K], "mean": [[d] x K],
 *  "cov": [[[d] x d] x K]}, numbers at full precision. The caller owns the
 * returned object (json_decref). QF_ENOMEM. */
QF_NODISCARD qf_rc qf_hmm_to_json(const qf_hmm *m, json_t **out_json, qf_err *err);

/* Reads and validates that object: every member present with the right
 * shape, then everything qf_hmm_from_params checks. QF_EINVAL naming the
 * member ("hmm: cov[1] is not positive definite"); QF_EVERSION for another
 * format version. On failure *out is unchanged. */
QF_NODISCARD qf_rc qf_hmm_from_json(const json_t *j, qf_hmm *out, qf_err *err);

/* The same as text: the caller frees *out_text with free(). */
QF_NODISCARD qf_rc qf_hmm_to_json_text(const qf_hmm *m, char **out_text, qf_err *err);

/* Parses text, then qf_hmm_from_json. QF_EPARSE for text that is not JSON
 * (with line and column); QF_EINVAL for a number too large for a double. */
QF_NODISCARD qf_rc qf_hmm_from_json_text(const char *text, qf_hmm *out, qf_err *err);

#endif
