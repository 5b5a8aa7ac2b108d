/*
 * compare.c: what two matrices of the same shape have in common and what changed between them,
 * for `rmtk compare` (base model against a fine-tuned one) and `rmtk track` (checkpoints of a
 * run): the principal angles between their top singular subspaces, the overlap of each top
 * vector of one with the top subspace of the other, and the numerical-rank tolerance of their
 * difference at the precision they were stored in. The spectra themselves come from the
 * spectrum engine; everything here works on singular vectors and values already computed.
 */
#include "internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* Singular values (descending) of the m x n column-major matrix a (overwritten) into s. */
static int svdvals(double *a, size_t m, size_t n, double *s)
{
    lapack_int lm = (lapack_int)m, ln = (lapack_int)n;
    double q;
    lapack_int info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', lm, ln, a, lm, s, NULL, 1,
                                          NULL, 1, &q, -1);
    if (info)
        return RMTK_ERR_LAPACK;
    lapack_int lwork = (lapack_int)q;
    double *work = rmtk__malloc((size_t)lwork * sizeof *work);
    if (!work)
        return RMTK_ERR_NOMEM;
    info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', lm, ln, a, lm, s, NULL, 1, NULL, 1,
                               work, lwork);
    rmtk__free(work);
    return info ? RMTK_ERR_LAPACK : RMTK_OK;
}

/*
 * Principal angles (Björck & Golub 1973): for orthonormal bases A (n x ka), B (n x kb) the
 * cosines of the angles are the singular values of M = A^T B (ka x kb). For angles near zero the
 * cosine loses precision (cos t = 1 - t^2/2), so those with cos^2 >= 1/2 (t <= 45 degrees) are
 * taken as arcsin of the singular values of the residual R = B - A M (ka >= kb; else
 * R = A - B M^T), the part of one basis orthogonal to the other, whose singular values are the
 * sines. scipy.linalg.subspace_angles does the same; theta here is ascending.
 * REF: Björck & Golub, Math. Comp. 27 (1973) 579, Sec. 3; Knyazev & Argentati, SISC 23 (2002).
 */
int rmtk_principal_angles(const double *A, size_t n, size_t ka, const double *B, size_t kb,
                          double *theta)
{
    if (!A || !B || !theta || n == 0 || ka == 0 || kb == 0 || ka > n || kb > n)
        return RMTK_ERR_ARG;
    size_t k = RMTK_MIN(ka, kb), kr = ka >= kb ? kb : ka;
    double *m = rmtk__malloc((ka * kb + n * kr + 2 * k) * sizeof *m);
    if (!m)
        return RMTK_ERR_NOMEM;
    double *r = m + ka * kb, *cosv = r + n * kr, *sinv = cosv + k;
    int in = (int)n, ika = (int)ka, ikb = (int)kb;
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, ika, ikb, in, 1.0, A, in, B, in, 0.0, m,
                ika);
    if (ka >= kb) {
        memcpy(r, B, n * kb * sizeof *r);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, in, ikb, ika, -1.0, A, in, m, ika,
                    1.0, r, in);
    } else {
        memcpy(r, A, n * ka * sizeof *r);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, in, ika, ikb, -1.0, B, in, m, ika,
                    1.0, r, in);
    }
    int st = svdvals(m, ka, kb, cosv);
    if (!st)
        st = svdvals(r, n, kr, sinv);
    if (!st)
        for (size_t i = 0; i < k; i++) {
            double c = cosv[i], s = sinv[k - 1 - i]; /* the i-th smallest angle */
            theta[i] = c * c >= 0.5 ? asin(s < 1.0 ? s : 1.0) : acos(c < 1.0 ? c : 1.0);
        }
    rmtk__free(m);
    return st;
}

/* ov[j] = sum_i (a_i . b_j)^2 = ||A^T b_j||^2: the squared cosine of the angle between b_j and
 * span A (Parseval). */
int rmtk_subspace_overlap(const double *A, size_t n, size_t ka, const double *B, size_t kb,
                          double *ov)
{
    if (!A || !B || !ov || n == 0 || ka == 0 || ka > n)
        return RMTK_ERR_ARG;
    for (size_t j = 0; j < kb; j++) {
        double s = 0.0;
        for (size_t i = 0; i < ka; i++) {
            double d = cblas_ddot((int)n, A + i * n, 1, B + j * n, 1);
            s += d * d;
        }
        ov[j] = s;
    }
    return RMTK_OK;
}

/* The rank rule of analysis.c (rmtk__rank_tol) with the rounding noise of both stored sides:
 * see the header for the derivation. */
double rmtk_delta_rank_tol(const double *sd, size_t k, int64_t rows, int64_t cols,
                           double fro_base, double fro_target, double eps)
{
    if (!sd || k == 0 || rows < 1 || cols < 1)
        return 0.0;
    double n = (double)rows, m = (double)cols, nm = sqrt(n * m);
    double rms = fro_base / nm + fro_target / nm;
    return sd[0] * RMTK_MAX(n, m) * DBL_EPSILON + eps / sqrt(3.0) * rms * (sqrt(n) + sqrt(m));
}
