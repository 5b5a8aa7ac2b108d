/*
 * quad.c: quadrature rules and Fredholm determinants.
 *  - Gauss-Legendre by Newton's method on the three-term recurrence of P_n.
 *  - Gauss-Hermite for the standard normal weight by Golub-Welsch (eigen-decomposition of the
 *    Jacobi matrix of the probabilists' Hermite polynomials, LAPACK dstev).
 *  - det(I - z K) for integral operators by Bornemann's Nystrom discretisation, used for the exact
 *    GOE/GUE spacing laws (sine kernel) and the Tracy-Widom distribution (Airy kernel).
 */
#include "internal.h"

#include <lapacke.h>
#include <math.h>

int rmtk_gauss_legendre(size_t n, double a, double b, double *x, double *w)
{
    if (n == 0 || !x || !w || !(b > a))
        return RMTK_ERR_ARG;
    double mid = 0.5 * (a + b), half = 0.5 * (b - a);
    for (size_t i = 0; i < (n + 1) / 2; i++) {
        /* Initial guess (Tricomi), then Newton on P_n. REF: Numerical Recipes 3rd ed., 4.6. */
        double z = cos(RMTK_PI * ((double)i + 0.75) / ((double)n + 0.5)), pp = 1;
        for (int it = 0; it < 100; it++) {
            double p1 = 1.0, p2 = 0.0;
            for (size_t j = 1; j <= n; j++) {
                double p3 = p2;
                p2 = p1;
                p1 = ((2.0 * j - 1.0) * z * p2 - (j - 1.0) * p3) / (double)j;
            }
            pp = (double)n * (z * p1 - p2) / (z * z - 1.0);
            double z1 = z;
            z = z1 - p1 / pp;
            if (fabs(z - z1) < 1e-15)
                break;
        }
        x[i] = mid - half * z;
        x[n - 1 - i] = mid + half * z;
        w[i] = 2.0 * half / ((1.0 - z * z) * pp * pp);
        w[n - 1 - i] = w[i];
    }
    return RMTK_OK;
}

int rmtk_gauss_hermite_normal(size_t n, double *x, double *w)
{
    if (n == 0 || n > 300 || !x || !w)
        return RMTK_ERR_ARG;
    /* Jacobi matrix of He_k: zero diagonal, off-diagonal sqrt(k). Nodes are its eigenvalues, the
     * weights the squared first components of the normalised eigenvectors (total mass 1). */
    double *e = rmtk__malloc_array(n, sizeof(double));
    double *z = rmtk__malloc_array(n * n, sizeof(double));
    double *work = rmtk__malloc_array(2 * n + 2, sizeof(double));
    int st = RMTK_OK;
    if (!e || !z || !work) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        x[k] = 0.0;
        e[k] = sqrt((double)(k + 1));
    }
    lapack_int info = LAPACKE_dstev_work(LAPACK_COL_MAJOR, 'V', (lapack_int)n, x, e, z,
                                         (lapack_int)n, work);
    if (info != 0) {
        st = RMTK_ERR_LAPACK;
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        w[k] = z[k * n] * z[k * n];
    /* Symmetrise: the rule is exactly symmetric, the eigen-solver only to rounding. */
    for (size_t k = 0; k < n / 2; k++) {
        double xs = 0.5 * (x[n - 1 - k] - x[k]), ws = 0.5 * (w[k] + w[n - 1 - k]);
        x[k] = -xs;
        x[n - 1 - k] = xs;
        w[k] = w[n - 1 - k] = ws;
    }
    if (n % 2)
        x[n / 2] = 0.0;
done:
    rmtk__free(e);
    rmtk__free(z);
    rmtk__free(work);
    return st;
}

int rmtk_fredholm_det(rmtk_kernel_fn kernel, const void *params, double a, double b, double z,
                      size_t m, double *det)
{
    if (!kernel || !det || m == 0 || m > 2000 || !(b >= a))
        return RMTK_ERR_ARG;
    if (b == a) {
        *det = 1.0;
        return RMTK_OK;
    }
    double *x = rmtk__malloc_array(m, sizeof(double));
    double *w = rmtk__malloc_array(m, sizeof(double));
    double *A = rmtk__malloc_array(m * m, sizeof(double));
    lapack_int *ipiv = rmtk__malloc_array(m, sizeof(lapack_int));
    int st = RMTK_OK;
    if (!x || !w || !A || !ipiv) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    rmtk_gauss_legendre(m, a, b, x, w);
    for (size_t i = 0; i < m; i++)
        w[i] = sqrt(w[i]);
    /* A_ij = delta_ij - z w_i K(x_i, x_j) w_j, column-major. */
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < m; i++)
            A[i + j * m] = (i == j ? 1.0 : 0.0) - z * w[i] * kernel(x[i], x[j], params) * w[j];
    lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)m, A,
                                          (lapack_int)m, ipiv);
    if (info < 0) {
        st = RMTK_ERR_LAPACK;
        goto done;
    }
    double d = 1.0;
    for (size_t i = 0; i < m; i++) {
        d *= A[i + i * m];
        if (ipiv[i] != (lapack_int)(i + 1))
            d = -d;
    }
    *det = d;
done:
    rmtk__free(x);
    rmtk__free(w);
    rmtk__free(A);
    rmtk__free(ipiv);
    return st;
}
