/*
 * feat_int.h - constants and small rules shared by the batch and streaming
 * feature computations (private to src/features).
 */
#ifndef QF_FEATURES_FEAT_INT_H
#define QF_FEATURES_FEAT_INT_H

#include <math.h>

#define FEAT_EMA_FAST 10
#define FEAT_EMA_SLOW 30

/* volume / SMA(volume) - 1; NaN when the average is not positive (a window
 * without trading) or not yet defined. */
static inline double feat_volume_ratio(double volume, double avg)
{
    return avg > 0.0 ? volume / avg - 1.0 : NAN;
}

#endif
