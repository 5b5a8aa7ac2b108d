/*
 * levels-internal.h: private helpers shared by the level-statistics sources (levels-ref.c,
 * unfold.c, levels.c). Not exported.
 */
#ifndef RMTK_LEVELS_INTERNAL_H
#define RMTK_LEVELS_INTERNAL_H

#include "internal.h"

/* Digamma psi(x) and trigamma psi'(x) for x > 0 (recurrence to x >= 8, then the asymptotic
 * series; ~1e-15 relative). */
double rmtk__digamma(double x);
double rmtk__trigamma(double x);

/* A Chebyshev table of the exact spacing law E_beta(0; s) on [0, smax]: coefficients of E, E'
 * and E'' (the latter two in the same basis). */
#define RMTK__SPACING_NCHEB 96
typedef struct rmtk__spacing_table {
    int beta;
    double smax;
    double c0[RMTK__SPACING_NCHEB], c1[RMTK__SPACING_NCHEB], c2[RMTK__SPACING_NCHEB];
} rmtk__spacing_table;

/* The table of beta = 1 (GOE) or 2 (GUE), built once per process (thread-safe, cannot fail);
 * NULL for another beta. */
const rmtk__spacing_table *rmtk__spacing_table_get(int beta);
/* E, F = 1 + E' and p = E'' at s (any pointer may be NULL). */
void rmtk__spacing_table_eval(const rmtk__spacing_table *t, double s, double *E, double *F,
                              double *p);
/* rmtk_cdf_fn adaptor: params is a const rmtk__spacing_table *. */
double rmtk__spacing_table_cdf(double s, const void *params);

#endif /* RMTK_LEVELS_INTERNAL_H */
