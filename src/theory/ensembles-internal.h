/*
 * ensembles-internal.h: the two halves of rmtk_ensemble_sample, separated so that the benchmark
 * can time sampling (random draws, products, Gram matrix) against the eigensolver. Private.
 */
#ifndef RMTK_ENSEMBLES_INTERNAL_H
#define RMTK_ENSEMBLES_INTERNAL_H

#include "internal.h"

/* Draw sample `index` and form the Hermitian matrix (or the SVD input) in the handle. */
int rmtk__ensemble_draw(rmtk_ensemble *e, uint64_t index);
/* Eigen- (singular) values of the matrix formed by rmtk__ensemble_draw (destroys it). */
int rmtk__ensemble_eig(rmtk_ensemble *e, double *values);

#endif /* RMTK_ENSEMBLES_INTERNAL_H */
