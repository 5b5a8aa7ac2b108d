/*
 * theory-internal.h: private interface between the theory modules (theory.c: closed-form laws,
 * grids, integration, comparison; theory-jacobian.c: mean field, kappa laws, characteristic
 * equations and their continuation). Never exported.
 */
#ifndef RMTK_THEORY_INTERNAL_H
#define RMTK_THEORY_INTERNAL_H

#include "internal.h"

#include <complex.h>

typedef double complex rmtk__cplx;

/* How the root of the characteristic equation is chosen at each x. CONTINUATION is the only
 * correct method (methods.md 3.5 step 4); MOST_NEG_IM exists so that a test can show that the
 * naive rule gives the wrong mass. */
enum { RMTK__BRANCH_CONTINUATION = 0, RMTK__BRANCH_MOST_NEG_IM = 1 };

/* Validate p (law kind, ranges, dims). */
int rmtk__law_check(const rmtk_law_params *p);

/* Density of the laws solved through a characteristic equation (MP_SEMICIRCLE,
 * WISHART_PRODUCT, JACOBIAN) at x[0..n) sorted DESCENDING. */
int rmtk__law_eq_density(const rmtk_law_params *p, const double *x_desc, size_t n, int branch,
                         double *density);

/* Atom, mean, variance, edges for those laws. */
int rmtk__law_eq_info(const rmtk_law_params *p, rmtk_law_info *info);

/* Mean-field pre-activation variances q[0..L) of layers 1..L, fraction p_nz[l] of nonzero
 * derivatives, E kappa_l and E kappa_l^2 (methods.md 3.3). Any output may be NULL. */
int rmtk__jacobian_mean_field(const rmtk_law_params *p, double *q, double *p_nz, double *ek,
                              double *ek2);

/* rmtk_law_integrate with a chosen branch rule (tests of the continuation). */
int rmtk__law_integrate_branch(const rmtk_law_params *p, double a, double b, int k, int branch,
                               double *value);

/* phi(y) and phi'(y) of an activation. */
double rmtk__act_phi(int act, double slope, double y);
double rmtk__act_dphi(int act, double slope, double y);

#endif /* RMTK_THEORY_INTERNAL_H */
