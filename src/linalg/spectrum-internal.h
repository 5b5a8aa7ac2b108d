/*
 * spectrum-internal.h: what the analysis sees of the spectrum engine beyond rmtk.h: a run that
 * leaves the singular vectors in the plan instead of copying them out (the analysis's vectors
 * stage reads them in place: no worker copies of U and V).
 */
#ifndef RMTK_SPECTRUM_INTERNAL_H
#define RMTK_SPECTRUM_INTERNAL_H

#include "internal.h"

#include <stdbool.h>

/* rmtk_spectrum_run on the loaded matrix; when want_vectors (the plan computes vectors, else
 * RMTK_ERR_ARG) *u and *v point to the plan's left and right vectors (vector j at *u + j rows and
 * *v + j cols, unit norm, u_j^T W v_j = sigma_j), valid until the next load or run on the plan
 * that computes vectors (a values-only run leaves them). Same values and status codes as
 * rmtk_spectrum_run. */
int rmtk__spectrum_run_keep(rmtk_spectrum_plan *p, double *sv, bool want_vectors,
                            const double **u, const double **v, rmtk_spectrum_info *info);

/* The plan's left-vector buffer (max_rows * max_cols doubles) when it computes vectors, else NULL.
 * Free for the caller between a vectors run and the next one: load and values-only runs (no u,
 * no v) never touch it. The analysis builds the null stage's replicas in it (after the vectors
 * stage is done with the vectors), instead of a third matrix-sized buffer. */
double *rmtk__spectrum_spare(rmtk_spectrum_plan *p);

#endif
