/*
 * spectrum-internal.h: what the analysis sees of the spectrum engine beyond rmtk.h: a run that
 * leaves the singular vectors in the plan instead of copying them out (the analysis's vectors
 * stage reads them in place: no worker copies of U and V).
 */
#ifndef RMTK_SPECTRUM_INTERNAL_H
#define RMTK_SPECTRUM_INTERNAL_H

#include "internal.h"

#include <stdbool.h>
#include <stdint.h>

/* rmtk_spectrum_run on the loaded matrix; when want_vectors (the plan computes vectors, else
 * RMTK_ERR_ARG) *u and *v point to the plan's left and right vectors (vector j at *u + j rows and
 * *v + j cols, unit norm, u_j^T W v_j = sigma_j), valid until the next load or run on the plan
 * that computes vectors (a values-only run leaves them). Same values and status codes as
 * rmtk_spectrum_run. */
int rmtk__spectrum_run_keep(rmtk_spectrum_plan *p, double *sv, bool want_vectors,
                            const double **u, const double **v, rmtk_spectrum_info *info);

/* Values only, streamed (docs/methods/spectrum.md, "Streaming the Gram matrix"): in a plan that
 * computes no vectors and may take the Gram route, forms G = W^T W or W W^T (the smaller side)
 * from the view one block of about 8 MB at a time (converted, checked and scaled exactly as
 * rmtk_spectrum_load does), never the dense copy of W; the view may be unmapped afterwards. Other
 * plans: rmtk_spectrum_load. The next run (rmtk__spectrum_run_keep or rmtk_spectrum_run) returns
 * the Gram values when the accuracy contract accepts them (bitwise those of a dense load: the
 * same blocks), else RMTK__NEED_DENSE: the caller then loads the same view with
 * rmtk_spectrum_load (A converted into a buffer allocated for that run) and runs again, which
 * goes straight to dgesdd (info.fallback = 1). Same error codes as rmtk_spectrum_load. */
int rmtk__spectrum_load_gram(rmtk_spectrum_plan *p, rmtk_matrix_view v);
#define RMTK__NEED_DENSE (-1)

/* Bytes a streaming plan allocates, for one run, when a matrix of its largest shape needs the
 * dense A (rmtk_spectrum_load: A, unless it fits in the plan's block buffer, and the
 * transposition bitmap); 0 for other plans, whose rmtk_spectrum_plan_bytes includes them. */
uint64_t rmtk__spectrum_dense_bytes(const rmtk_spectrum_plan *p);

/* The plan's left-vector buffer (max_rows * max_cols doubles) when it computes vectors, else NULL.
 * Free for the caller between a vectors run and the next one: load and values-only runs (no u,
 * no v) never touch it. The analysis builds the null stage's replicas in it (after the vectors
 * stage is done with the vectors), instead of a third matrix-sized buffer. */
double *rmtk__spectrum_spare(rmtk_spectrum_plan *p);

#endif
