/*
 * lanczos.c: the Lanczos tridiagonalisation of a symmetric operator given as a matrix-vector
 * callback, and stochastic Lanczos quadrature (SLQ) of its spectral density.
 *
 * Lanczos (Golub & Van Loan, Matrix Computations, 4th ed., Algorithm 10.1.1): from a unit q_1,
 *   w = A q_j - beta_{j-1} q_{j-1};  alpha_j = q_j^T w;  w -= alpha_j q_j;
 *   beta_j = ||w||;  q_{j+1} = w / beta_j,
 * gives the m x m tridiagonal T_m = Q_m^T A Q_m (diagonal alpha, off-diagonal beta). With full
 * reorthogonalisation w is projected twice against every stored q_i (classical Gram-Schmidt
 * twice through dgemv, "twice is enough": Giraud, Langou, Rozloznik 2005), which keeps Q_m orthonormal to
 * working precision at the cost of m n doubles; without it the three-term recurrence loses
 * orthogonality as Ritz values converge and copies ("ghosts") of converged values appear (Paige
 * 1976): the quadrature weights of the copies add up, so densities and moments stay usable, but
 * the Ritz values do not count multiplicities (docs/methods/slq.md).
 *
 * SLQ (Ubaru, Chen & Saad, SIAM J. Matrix Anal. Appl. 38 (2017) 1075, Sec. 3; Lin, Saad & Yang,
 * SIAM Rev. 58 (2016) 34): for a start v with E[v v^T] = I/n (a normalised Rademacher vector), the
 * Gauss quadrature rule of T_m, nodes theta_k (eigenvalues of T_m) and weights tau_k = (e_1^T
 * y_k)^2 (squared first components of its unit eigenvectors), satisfies
 *   v^T f(A) v ~ sum_k tau_k f(theta_k),
 * exact for polynomials f of degree <= 2m - 1 (in exact arithmetic), and E[v^T f(A) v] =
 * tr f(A) / n. Averaging over n_v starts gives the density estimate
 *   phi(t) = (1/n_v) sum_l sum_k tau_k^(l) delta(t - theta_k^(l)).
 * The Monte-Carlo error of the moment estimate from one Rademacher start is
 *   Var[v^T B v] = (2/n^2) (||B||_F^2 - sum_i B_ii^2) <= 2 ||B||_F^2 / n^2  (B = A^k),
 * (Hutchinson 1990; Avron & Toledo 2011), divided by n_v for the average.
 */
#include "internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

rmtk_lanczos_params rmtk_lanczos_params_default(void)
{
    rmtk_lanczos_params p;
    memset(&p, 0, sizeof p);
    p.steps = 100;
    p.starts = 5;
    p.reorth = RMTK_REORTH_FULL;
    p.seed = 1;
    return p;
}

/* A normalised Rademacher vector (entries +-1/sqrt n) from (seed, stream). */
static void rademacher(double *v, int64_t n, uint64_t seed, uint64_t stream)
{
    rmtk_rng r;
    rmtk_rng_init(&r, seed, stream);
    double s = 1.0 / sqrt((double)n);
    for (int64_t i = 0; i < n; i += 64) {
        uint64_t bits = rmtk_rng_u64(&r);
        for (int64_t b = 0; b < 64 && i + b < n; b++)
            v[i + b] = (bits >> b) & 1u ? s : -s;
    }
}

static int check_params(const rmtk_lanczos_params *p, int64_t n)
{
    if (!p || n < 1 || p->steps < 1 || p->starts < 1 ||
        (p->reorth != RMTK_REORTH_FULL && p->reorth != RMTK_REORTH_NONE))
        return RMTK_ERR_ARG;
    return RMTK_OK;
}

/* The Lanczos recurrence from the unit vector q (overwritten), with workspace w, prev (n each),
 * basis (m n) and h (m), used with full reorthogonalisation. */
static int lanczos_run(rmtk_matvec_fn op, void *user, int64_t n, int64_t m, int reorth,
                       double *q, double *w, double *prev, double *basis, double *h,
                       double *alpha, double *beta, int64_t *done)
{
    double tnorm = 0.0;
    int64_t j;
    memset(prev, 0, (size_t)n * sizeof *prev);
    for (j = 0; j < m; j++) {
        if (reorth == RMTK_REORTH_FULL)
            memcpy(basis + (size_t)j * (size_t)n, q, (size_t)n * sizeof *q);
        if (op(user, q, w, n) != 0)
            return RMTK_ERR_ARG;
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(w[i]))
                return RMTK_ERR_NUMERIC;
        if (j > 0)
            cblas_daxpy((int)n, -beta[j - 1], prev, 1, w, 1);
        alpha[j] = cblas_ddot((int)n, q, 1, w, 1);
        cblas_daxpy((int)n, -alpha[j], q, 1, w, 1);
        if (reorth == RMTK_REORTH_FULL) {
            /* w -= Q (Q^T w), twice (CGS2); the basis is (j+1) x n row-major. */
            for (int pass = 0; pass < 2; pass++) {
                cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)(j + 1), (int)n, 1.0, basis, (int)n,
                            w, 1, 0.0, h, 1);
                cblas_dgemv(CblasRowMajor, CblasTrans, (int)(j + 1), (int)n, -1.0, basis, (int)n,
                            h, 1, 1.0, w, 1);
            }
        }
        double b = cblas_dnrm2((int)n, w, 1);
        double scale = fabs(alpha[j]) + (j > 0 ? beta[j - 1] : 0.0) + b;
        if (scale > tnorm)
            tnorm = scale;
        if (j + 1 == m) {
            j++;
            break;
        }
        /* An invariant subspace: the Krylov space is exhausted (beta at rounding level). */
        if (b <= (double)n * DBL_EPSILON * tnorm || b == 0.0) {
            j++;
            break;
        }
        beta[j] = b;
        memcpy(prev, q, (size_t)n * sizeof *q);
        for (int64_t i = 0; i < n; i++)
            q[i] = w[i] / b;
    }
    *done = j;
    return RMTK_OK;
}

int rmtk_lanczos(rmtk_matvec_fn op, void *user, int64_t n, const double *q1,
                 const rmtk_lanczos_params *p, double *alpha, double *beta, int64_t *steps_done)
{
    if (!op || !alpha || !beta || !steps_done || check_params(p, n) != RMTK_OK)
        return RMTK_ERR_ARG;
    int64_t m = p->steps < n ? p->steps : n;
    size_t nb = p->reorth == RMTK_REORTH_FULL ? (size_t)m * (size_t)n : 0;
    if (p->reorth == RMTK_REORTH_FULL && (size_t)m > SIZE_MAX / sizeof(double) / (size_t)n)
        return RMTK_ERR_NOMEM;
    double *ws = rmtk__malloc(((size_t)3 * (size_t)n + nb + (size_t)m) * sizeof *ws);
    if (!ws)
        return RMTK_ERR_NOMEM;
    double *q = ws, *w = ws + n, *prev = ws + 2 * n, *h = ws + 3 * n;
    double *basis = nb ? h + m : NULL;
    int st = RMTK_OK;
    if (q1) {
        double nrm = cblas_dnrm2((int)n, q1, 1);
        if (!(nrm > 0.0) || !isfinite(nrm))
            st = RMTK_ERR_ARG;
        else
            for (int64_t i = 0; i < n; i++)
                q[i] = q1[i] / nrm;
    } else {
        rademacher(q, n, p->seed, 0);
    }
    if (st == RMTK_OK)
        st = lanczos_run(op, user, n, m, p->reorth, q, w, prev, basis, h, alpha, beta,
                         steps_done);
    rmtk__free(ws);
    return st;
}

int rmtk_slq_density(rmtk_matvec_fn op, void *user, int64_t n, const rmtk_lanczos_params *p,
                     double *nodes, double *weights, rmtk_slq_info *info)
{
    if (!op || !nodes || !weights || check_params(p, n) != RMTK_OK)
        return RMTK_ERR_ARG;
    int64_t m = p->steps < n ? p->steps : n;
    size_t nb = p->reorth == RMTK_REORTH_FULL ? (size_t)m * (size_t)n : 0;
    if (p->reorth == RMTK_REORTH_FULL && (size_t)m > SIZE_MAX / sizeof(double) / (size_t)n / 2)
        return RMTK_ERR_NOMEM;
    size_t need = (size_t)3 * (size_t)n + nb + (size_t)5 * (size_t)m + (size_t)m * (size_t)m +
                  (size_t)2 * (size_t)m;
    double *ws = rmtk__malloc(need * sizeof *ws);
    if (!ws)
        return RMTK_ERR_NOMEM;
    double *q = ws, *w = q + n, *prev = w + n, *basis = prev + n;
    double *alpha = basis + nb, *beta = alpha + m, *d = beta + m, *e = d + m, *h = e + m;
    double *z = h + m;
    double *work = z + (size_t)m * (size_t)m;
    double lmin = INFINITY, lmax = -INFINITY;
    int st = RMTK_OK;
    for (int64_t l = 0; l < p->starts && st == RMTK_OK; l++) {
        double *nd = nodes + (size_t)l * (size_t)m, *wt = weights + (size_t)l * (size_t)m;
        rademacher(q, n, p->seed, (uint64_t)l);
        int64_t k = 0;
        st = lanczos_run(op, user, n, m, p->reorth, q, w, prev, nb ? basis : NULL, h, alpha,
                         beta, &k);
        if (st != RMTK_OK)
            break;
        memcpy(d, alpha, (size_t)k * sizeof *d);
        if (k > 1)
            memcpy(e, beta, (size_t)(k - 1) * sizeof *e);
        lapack_int li = LAPACKE_dstev_work(LAPACK_COL_MAJOR, 'V', (lapack_int)k, d, e, z,
                                           (lapack_int)k, work);
        if (li != 0) {
            st = RMTK_ERR_LAPACK;
            break;
        }
        for (int64_t i = 0; i < m; i++) {
            nd[i] = i < k ? d[i] : 0.0;
            /* the first component of eigenvector i (column i of z, leading dimension k) */
            wt[i] = i < k ? z[(size_t)i * (size_t)k] * z[(size_t)i * (size_t)k] /
                                (double)p->starts
                          : 0.0;
        }
        if (d[0] < lmin)
            lmin = d[0];
        if (d[k - 1] > lmax)
            lmax = d[k - 1];
        if (info && l == 0)
            info->steps_done_min = k;
        if (info && k < info->steps_done_min)
            info->steps_done_min = k;
    }
    rmtk__free(ws);
    if (st == RMTK_OK && info) {
        info->nodes_per_start = m;
        info->lambda_min = lmin;
        info->lambda_max = lmax;
    }
    return st;
}

int rmtk_slq_moment(const double *nodes, const double *weights, int64_t per_start,
                    int64_t starts, int order, double *mean, double *stderr_)
{
    if (!nodes || !weights || !mean || per_start < 1 || starts < 1 || order < 0)
        return RMTK_ERR_ARG;
    double s = 0.0, s2 = 0.0;
    for (int64_t l = 0; l < starts; l++) {
        double ml = 0.0;
        for (int64_t i = 0; i < per_start; i++) {
            size_t k = (size_t)l * (size_t)per_start + (size_t)i;
            ml += weights[k] * (double)starts * pow(nodes[k], order);
        }
        s += ml;
        s2 += ml * ml;
    }
    *mean = s / (double)starts;
    if (stderr_) {
        double var = starts > 1 ? (s2 - s * s / (double)starts) / (double)(starts - 1) : NAN;
        *stderr_ = starts > 1 ? sqrt(fmax(var, 0.0) / (double)starts) : NAN;
    }
    return RMTK_OK;
}

int rmtk_slq_smooth(const double *nodes, const double *weights, size_t count, double sigma,
                    const double *x, size_t nx, double *density)
{
    if (!nodes || !weights || !x || !density || !(sigma > 0.0) || !isfinite(sigma))
        return RMTK_ERR_ARG;
    /* phi_sigma(t) = sum_k tau_k N(t; theta_k, sigma^2): the Gaussian-smoothed SLQ density
     * (Lin, Saad & Yang 2016, eq. 3.6). */
    double c = 1.0 / (sigma * sqrt(2.0 * M_PI));
    for (size_t j = 0; j < nx; j++) {
        double acc = 0.0;
        for (size_t k = 0; k < count; k++) {
            if (weights[k] == 0.0)
                continue;
            double u = (x[j] - nodes[k]) / sigma;
            acc += weights[k] * exp(-0.5 * u * u);
        }
        density[j] = c * acc;
    }
    return RMTK_OK;
}
