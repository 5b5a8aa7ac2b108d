/*
 * tw-internal.h: private declarations of the Airy / Tracy-Widom code (airy.c, tracy-widom.c)
 * shared with mp.c.
 */
#ifndef RMTK_TW_INTERNAL_H
#define RMTK_TW_INTERNAL_H

/* Ai(x) and Ai'(x) (both outputs required, x not checked). Thread-safe. */
void rmtk__airy(double x, double *ai, double *aip);

/* TW_beta CDF for beta in {1, 2}; returns NaN on failure (allocation). */
double rmtk__tw_cdf(int beta, double s, int *status);

#endif /* RMTK_TW_INTERNAL_H */
