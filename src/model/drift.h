/*
 * drift.h - population stability index (PSI) of a feature between the
 * training reference and recent data.
 *
 * The reference is cut into `bins` bins (10 by default) at its own
 * quantiles k/bins (linear interpolation between order statistics, numpy's
 * default); equal edges (ties) are merged, so a feature may have fewer
 * bins: a constant one has two, (-inf, c] holding everything and (c, inf)
 * empty, so any later value above c shows as drift. A value x falls in bin j = the number of edges
 * below it: x <= edge[0] is bin 0, x > edge[last] the last bin. With e_j and a_j the reference and
 * recent shares of bin j, PSI = sum_j (a_j - e_j) ln(a_j / e_j), each share floored at QF_PSI_FLOOR
 * so an empty bin costs a large but finite amount. NaN values are skipped. PSI < 0.1 is usually
 * read as stable, 0.1-0.25 as a moderate shift, above 0.25 as a large one; the threshold that flags
 * drift is monitoring.drift_psi_threshold (0.2).
 */
#ifndef QF_MODEL_DRIFT_H
#define QF_MODEL_DRIFT_H

#include <stddef.h>

#include "core/err.h"

#define QF_PSI_BINS_MAX 64
#define QF_PSI_FLOOR    1e-4

/* A feature's reference: what a model keeps from its training data. */
typedef struct qf_psi_ref {
    size_t n_bins;                     /* edges + 1 */
    double edges[QF_PSI_BINS_MAX - 1]; /* strictly increasing */
    double share[QF_PSI_BINS_MAX];     /* reference share of each bin, sums to 1 */
} qf_psi_ref;

/* Builds the reference of x[0..n) in `bins` bins (2..QF_PSI_BINS_MAX).
 * scratch: n doubles the caller provides (a sorted copy of the finite
 * values is made there). QF_EINVAL when bins is out of range or fewer than
 * `bins` values are finite. */
QF_NODISCARD qf_rc qf_psi_reference(const double *x, size_t n, size_t bins, double *scratch,
                                    qf_psi_ref *out, qf_err *err);

/* The bin of x (x not NaN). */
size_t qf_psi_bin(const qf_psi_ref *ref, double x);

/* PSI of the recent values y[0..n) against ref; NaN when no value of y is
 * finite. */
double qf_psi(const qf_psi_ref *ref, const double *y, size_t n);

#endif
