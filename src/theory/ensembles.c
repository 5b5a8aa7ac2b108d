/*
 * ensembles.c: seeded samplers of random-matrix ensembles and their spectra.
 *
 * Each sample is generated from the counter-based RNG with stream (index << 8 | tag), tag naming
 * the factor, mask, bias or input, so sample k is the same whatever the thread count and
 * whichever other samples are drawn. Gaussian matrices use rmtk_rng_fill_normal (a pure
 * function of the element index); other weight laws are drawn sequentially from their stream.
 * Workspaces (matrices and the LAPACK workspaces of dsyevd / zheevd / dgesdd, queried once) are
 * allocated once per sampler. The matrix whose spectrum is returned:
 *   GOE/GUE: H = sigma (A + A^H) / sqrt(2N) (off-diagonal variance sigma2/N, methods.md 4.2);
 *   Wishart: C = W^H W / N, W N x M with entry variance sigma2 (MP with q = M/N, 4.1);
 *   Wishart product: P P^T, P = X_L .. X_1, X_l ~ N(0, 1/N_{l-1}) (2.3);
 *   Wigner product: P P^T, P = W_1 .. W_k, W_i GOE with sigma2 = 1 (FC_k, 2.3);
 *   percolated Wigner / Wishart: Bernoulli(p) masks, symmetric for Wigner (2.4);
 *   spiked: singular values of X + theta sum_{i<r} e_i e_i^T, X ~ N(0, 1/m) n x m; because X is
 *     orthogonally invariant the spectrum has the law of any rank-r spike with unit vectors (4.9);
 *   Jacobian: J = D_L X_L .. D_1 X_1, X_l = sigma_w W_l / sqrt(n_{l-1}), D_l = phi'(y^l) from a
 *     forward pass y^l = X_l x^{l-1} + b^l, x^l = phi(y^l), |x^0|^2 = q0 n_0 (coupled), or from
 *     independent y ~ N(0, q^l) with the mean-field q^l (decoupled); eigenvalues of J J^T (3.2).
 */
#include "ensembles-internal.h"
#include "theory-internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* Gaussian fills use the threads BLAS was given: sampling runs between BLAS calls, and the
 * counter-based stream gives the same numbers for any thread count (rmtk__fill_normal_mt). */
static void fill_normal(uint64_t seed, uint64_t stream, double *x, size_t n)
{
    rmtk__fill_normal_mt(seed, stream, x, n, openblas_get_num_threads());
}

struct rmtk_ensemble {
    rmtk_ensemble_params p;
    size_t nout;       /* values per sample */
    size_t gdim;       /* order of the Hermitian matrix passed to the eigensolver */
    int complex_eig;   /* zheevd */
    int svd;           /* dgesdd (SPIKED) */
    double *a, *b, *c; /* work matrices */
    double *g;         /* the Hermitian matrix (complex: interleaved) or the SVD input */
    double *x, *y;     /* Jacobian: activations and pre-activations */
    double q[RMTK_MAX_LAYERS];
    double *work, *rwork;
    lapack_int *iwork;
    lapack_int lwork, lrwork, liwork;
    size_t maxab;
};

void rmtk_ensemble_params_default(rmtk_ensemble_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->ensemble = RMTK_ENS_GOE;
    p->weight_law = RMTK_WEIGHTS_GAUSSIAN;
    p->n = 500;
    p->k = 2;
    p->activation = RMTK_ACT_RELU;
    p->sigma2 = 1;
    p->p = 0.5;
    p->c = 0;
    p->rank = 1;
    p->theta = 2;
    p->leaky_slope = 0.01;
    p->sigma_w2 = 2;
    p->sigma_b2 = 0;
    p->q0 = 1;
    p->student_nu = 5;
    p->weight_density = 0.1;
    p->coupled = 1;
    p->seed = 1;
}

static int dims_ok(const rmtk_ensemble_params *p, size_t lo, size_t hi)
{
    if (p->n_dims < lo || p->n_dims > hi)
        return 0;
    for (size_t i = 0; i < p->n_dims; i++)
        if (p->dims[i] <= 0 || p->dims[i] > 100000)
            return 0;
    return 1;
}

static int check(const rmtk_ensemble_params *p)
{
    if (!p || !(p->sigma2 > 0) || !isfinite(p->sigma2))
        return RMTK_ERR_ARG;
    switch (p->ensemble) {
    case RMTK_ENS_GOE:
    case RMTK_ENS_GUE: return p->n >= 2 && p->n <= 100000 ? RMTK_OK : RMTK_ERR_ARG;
    case RMTK_ENS_WIGNER_PRODUCT:
        return p->n >= 2 && p->n <= 100000 && p->k >= 1 && p->k <= RMTK_MAX_LAYERS
                   ? RMTK_OK
                   : RMTK_ERR_ARG;
    case RMTK_ENS_PERCOLATED_WIGNER:
        if (!(p->n >= 2 && p->n <= 100000))
            return RMTK_ERR_ARG;
        return (p->c > 0 && p->c < (double)p->n) || (p->c == 0 && p->p > 0 && p->p <= 1)
                   ? RMTK_OK
                   : RMTK_ERR_ARG;
    case RMTK_ENS_WISHART:
    case RMTK_ENS_WISHART_COMPLEX: return dims_ok(p, 2, 2) ? RMTK_OK : RMTK_ERR_ARG;
    case RMTK_ENS_PERCOLATED_WISHART:
        if (!dims_ok(p, 2, 2))
            return RMTK_ERR_ARG;
        return (p->c > 0 && p->c < (double)p->dims[1]) || (p->c == 0 && p->p > 0 && p->p <= 1)
                   ? RMTK_OK
                   : RMTK_ERR_ARG;
    case RMTK_ENS_SPIKED:
        if (!dims_ok(p, 2, 2) || p->rank < 0 || p->rank > RMTK_MIN(p->dims[0], p->dims[1]) ||
            !(p->theta >= 0) || !isfinite(p->theta))
            return RMTK_ERR_ARG;
        return RMTK_OK;
    case RMTK_ENS_WISHART_PRODUCT:
        return dims_ok(p, 2, RMTK_MAX_LAYERS + 1) ? RMTK_OK : RMTK_ERR_ARG;
    case RMTK_ENS_JACOBIAN:
        if (!dims_ok(p, 2, RMTK_MAX_LAYERS + 1))
            return RMTK_ERR_ARG;
        if (p->activation < RMTK_ACT_LINEAR || p->activation > RMTK_ACT_ERF)
            return RMTK_ERR_ARG;
        if (p->weight_law < RMTK_WEIGHTS_GAUSSIAN || p->weight_law > RMTK_WEIGHTS_SPARSE)
            return RMTK_ERR_ARG;
        if (p->weight_law == RMTK_WEIGHTS_STUDENT_T && !(p->student_nu > 4))
            return RMTK_ERR_ARG;
        if (p->weight_law == RMTK_WEIGHTS_SPARSE &&
            !(p->weight_density > 0 && p->weight_density <= 1))
            return RMTK_ERR_ARG;
        if (!(p->sigma_w2 > 0) || !(p->sigma_b2 >= 0) || !(p->q0 >= 0) ||
            p->q0 + p->sigma_b2 <= 0 || !isfinite(p->sigma_w2 + p->sigma_b2 + p->q0))
            return RMTK_ERR_ARG;
        if (p->activation == RMTK_ACT_LEAKY_RELU && !(p->leaky_slope > 0 && p->leaky_slope < 1))
            return RMTK_ERR_ARG;
        return RMTK_OK;
    default: return RMTK_ERR_ARG;
    }
}

int rmtk_ensemble_law(const rmtk_ensemble_params *p, struct rmtk_law_params *law)
{
    if (!law)
        return RMTK_ERR_ARG;
    int st = check(p);
    if (st)
        return st;
    rmtk_law_params_default(law);
    switch (p->ensemble) {
    case RMTK_ENS_GOE:
    case RMTK_ENS_GUE:
        law->law = RMTK_LAW_SEMICIRCLE;
        law->sigma2 = p->sigma2;
        return RMTK_OK;
    case RMTK_ENS_PERCOLATED_WIGNER:
        if (p->c > 0)
            return RMTK_ERR_UNSUPPORTED;
        law->law = RMTK_LAW_SEMICIRCLE;
        law->sigma2 = p->sigma2 * p->p;
        return RMTK_OK;
    case RMTK_ENS_WISHART:
    case RMTK_ENS_WISHART_COMPLEX:
    case RMTK_ENS_PERCOLATED_WISHART:
        if (p->ensemble == RMTK_ENS_PERCOLATED_WISHART && p->c > 0)
            return RMTK_ERR_UNSUPPORTED;
        law->law = RMTK_LAW_MP;
        law->ratio = (double)p->dims[1] / (double)p->dims[0];
        law->sigma2 = p->sigma2 * (p->ensemble == RMTK_ENS_PERCOLATED_WISHART ? p->p : 1.0);
        return RMTK_OK;
    case RMTK_ENS_WIGNER_PRODUCT:
        law->law = RMTK_LAW_FUSS_CATALAN;
        law->L = p->k;
        return RMTK_OK;
    case RMTK_ENS_WISHART_PRODUCT:
    case RMTK_ENS_JACOBIAN:
        law->law = p->ensemble == RMTK_ENS_JACOBIAN ? RMTK_LAW_JACOBIAN : RMTK_LAW_WISHART_PRODUCT;
        law->n_dims = p->n_dims;
        memcpy(law->dims, p->dims, p->n_dims * sizeof *p->dims);
        law->activation = p->activation;
        law->leaky_slope = p->leaky_slope;
        law->sigma_w2 = p->sigma_w2;
        law->sigma_b2 = p->sigma_b2;
        law->q0 = p->q0;
        return RMTK_OK;
    default: return RMTK_ERR_UNSUPPORTED;
    }
}

void rmtk_ensemble_free(rmtk_ensemble *e)
{
    if (!e)
        return;
    rmtk__free(e->a);
    rmtk__free(e->b);
    rmtk__free(e->c);
    rmtk__free(e->g);
    rmtk__free(e->x);
    rmtk__free(e->y);
    rmtk__free(e->work);
    rmtk__free(e->rwork);
    rmtk__free(e->iwork);
    rmtk__free(e);
}

size_t rmtk_ensemble_size(const rmtk_ensemble *e)
{
    return e ? e->nout : 0;
}

int rmtk_ensemble_alloc(const rmtk_ensemble_params *p, rmtk_ensemble **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    int st = check(p);
    if (st)
        return st;
    rmtk_ensemble *e = rmtk__calloc(1, sizeof *e);
    if (!e)
        return RMTK_ERR_NOMEM;
    e->p = *p;
    size_t n = (size_t)p->n, maxab = 0, gsz = 0;
    switch (p->ensemble) {
    case RMTK_ENS_GOE:
    case RMTK_ENS_PERCOLATED_WIGNER:
        e->gdim = n;
        maxab = n * n;
        break;
    case RMTK_ENS_GUE:
        e->gdim = n;
        e->complex_eig = 1;
        maxab = 2 * n * n;
        break;
    case RMTK_ENS_WIGNER_PRODUCT:
        e->gdim = n;
        maxab = n * n;
        break;
    case RMTK_ENS_WISHART:
    case RMTK_ENS_PERCOLATED_WISHART:
        e->gdim = (size_t)p->dims[1];
        maxab = (size_t)p->dims[0] * (size_t)p->dims[1];
        break;
    case RMTK_ENS_WISHART_COMPLEX:
        e->gdim = (size_t)p->dims[1];
        e->complex_eig = 1;
        maxab = 2 * (size_t)p->dims[0] * (size_t)p->dims[1];
        break;
    case RMTK_ENS_SPIKED:
        e->svd = 1;
        e->gdim = RMTK_MIN((size_t)p->dims[0], (size_t)p->dims[1]);
        gsz = (size_t)p->dims[0] * (size_t)p->dims[1];
        maxab = 1;
        break;
    case RMTK_ENS_WISHART_PRODUCT:
    case RMTK_ENS_JACOBIAN: {
        size_t L = p->n_dims - 1;
        e->gdim = (size_t)p->dims[L];
        for (size_t l = 1; l <= L; l++) {
            maxab = RMTK_MAX(maxab, (size_t)p->dims[l] * (size_t)p->dims[0]);
            maxab = RMTK_MAX(maxab, (size_t)p->dims[l] * (size_t)p->dims[l - 1]);
        }
        size_t wmax = 0;
        for (size_t l = 0; l <= L; l++)
            wmax = RMTK_MAX(wmax, (size_t)p->dims[l]);
        e->x = rmtk__malloc_array(wmax, sizeof *e->x);
        e->y = rmtk__malloc_array(wmax, sizeof *e->y);
        if (!e->x || !e->y)
            goto nomem;
        if (p->ensemble == RMTK_ENS_JACOBIAN && !p->coupled) {
            rmtk_law_params lp;
            rmtk_ensemble_law(p, &lp);
            st = rmtk__jacobian_mean_field(&lp, e->q, NULL, NULL, NULL);
            if (st) {
                rmtk_ensemble_free(e);
                return st;
            }
        }
        break;
    }
    default: rmtk_ensemble_free(e); return RMTK_ERR_ARG;
    }
    e->nout = e->gdim;
    e->maxab = maxab;
    if (!gsz)
        gsz = e->gdim * e->gdim * (e->complex_eig ? 2 : 1);
    e->a = rmtk__malloc_array(maxab, sizeof *e->a);
    e->b = rmtk__malloc_array(maxab, sizeof *e->b);
    e->c = rmtk__malloc_array(maxab, sizeof *e->c);
    e->g = rmtk__malloc_array(gsz, sizeof *e->g);
    if (!e->a || !e->b || !e->c || !e->g)
        goto nomem;
    /* workspace queries, once */
    lapack_int nn = (lapack_int)e->gdim, info;
    if (e->svd) {
        double wq;
        lapack_int m = (lapack_int)p->dims[0], nc = (lapack_int)p->dims[1];
        e->iwork = rmtk__malloc_array(8 * e->gdim + 8, sizeof *e->iwork);
        if (!e->iwork)
            goto nomem;
        info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', m, nc, e->g, m, e->a, NULL, 1, NULL, 1,
                                   &wq, -1, e->iwork);
        e->lwork = (lapack_int)wq + 1;
    } else if (e->complex_eig) {
        lapack_complex_double wq;
        double rq;
        lapack_int iq;
        info = LAPACKE_zheevd_work(LAPACK_COL_MAJOR, 'N', 'L', nn, (lapack_complex_double *)e->g,
                                   nn, e->a, &wq, -1, &rq, -1, &iq, -1);
        e->lwork = (lapack_int)creal(wq) + 1;
        e->lrwork = (lapack_int)rq + 1;
        e->liwork = iq + 1;
        e->rwork = rmtk__malloc_array((size_t)e->lrwork, sizeof *e->rwork);
        e->iwork = rmtk__malloc_array((size_t)e->liwork, sizeof *e->iwork);
        if (!e->rwork || !e->iwork)
            goto nomem;
    } else {
        double wq;
        lapack_int iq;
        info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'L', nn, e->g, nn, e->a, &wq, -1, &iq,
                                   -1);
        e->lwork = (lapack_int)wq + 1;
        e->liwork = iq + 1;
        e->iwork = rmtk__malloc_array((size_t)e->liwork, sizeof *e->iwork);
        if (!e->iwork)
            goto nomem;
    }
    if (info != 0) {
        rmtk_ensemble_free(e);
        return RMTK_ERR_LAPACK;
    }
    e->work = rmtk__malloc_array((size_t)e->lwork * (e->complex_eig ? 2 : 1), sizeof *e->work);
    if (!e->work)
        goto nomem;
    *out = e;
    return RMTK_OK;
nomem:
    rmtk_ensemble_free(e);
    return RMTK_ERR_NOMEM;
}

/* ---- random draws -------------------------------------------------------------------------- */

static uint64_t stream_of(uint64_t index, unsigned tag)
{
    return (index << 8) | (uint64_t)tag;
}

/* Gamma(shape >= 1, 1) by Marsaglia-Tsang (ACM TOMS 26, 2000). */
static double gamma_draw(rmtk_rng *r, double shape)
{
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = rmtk_rng_normal(r), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = rmtk_rng_uniform(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

/* n weights of unit variance from the law, times scale, into w. */
static void fill_weights(const rmtk_ensemble_params *p, uint64_t stream, double scale, double *w,
                         size_t n)
{
    if (p->weight_law == RMTK_WEIGHTS_GAUSSIAN) {
        fill_normal(p->seed, stream, w, n);
        for (size_t i = 0; i < n; i++)
            w[i] *= scale;
        return;
    }
    rmtk_rng r;
    rmtk_rng_init(&r, p->seed, stream);
    double nu = p->student_nu, rho = p->weight_density;
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (p->weight_law) {
        case RMTK_WEIGHTS_UNIFORM: v = sqrt(3.0) * (2 * rmtk_rng_uniform(&r) - 1); break;
        case RMTK_WEIGHTS_RADEMACHER: v = (rmtk_rng_u32(&r) & 1u) ? 1.0 : -1.0; break;
        case RMTK_WEIGHTS_STUDENT_T: {
            double z = rmtk_rng_normal(&r), chi2 = 2 * gamma_draw(&r, 0.5 * nu);
            v = z / sqrt(chi2 / nu) * sqrt((nu - 2) / nu);
            break;
        }
        default: {
            double u = rmtk_rng_uniform(&r);
            v = u < rho ? ((u < 0.5 * rho) ? 1.0 : -1.0) / sqrt(rho) : 0.0;
        }
        }
        w[i] = scale * v;
    }
}

/* GOE-type symmetric matrix sigma (A + A^T)/sqrt(2N) into g (column-major, lower used), with an
 * optional symmetric Bernoulli(p) mask (stream tag 200). */
static void fill_goe(rmtk_ensemble *e, uint64_t index, unsigned tag, double sigma2, double pmask,
                     double *g)
{
    size_t n = e->gdim;
    fill_normal(e->p.seed, stream_of(index, tag), e->a, n * n);
    double s = sqrt(sigma2 / (2.0 * (double)n));
    for (size_t j = 0; j < n; j++)
        for (size_t i = j; i < n; i++)
            g[j * n + i] = g[i * n + j] = s * (e->a[j * n + i] + e->a[i * n + j]);
    if (pmask < 1) {
        rmtk_rng r;
        rmtk_rng_init(&r, e->p.seed, stream_of(index, 200));
        for (size_t j = 0; j < n; j++)
            for (size_t i = j; i < n; i++)
                if (!(rmtk_rng_uniform(&r) < pmask))
                    g[j * n + i] = g[i * n + j] = 0;
        if (e->p.c > 0) /* sparse: an Erdos-Renyi pattern without self-loops (Bauer-Golinelli) */
            for (size_t j = 0; j < n; j++)
                g[j * n + j] = 0;
    }
}

/* Draw sample `index` and form the matrix whose spectrum is wanted (in e->g). */
int rmtk__ensemble_draw(rmtk_ensemble *e, uint64_t index)
{
    const rmtk_ensemble_params *p = &e->p;
    size_t n = e->gdim;
    switch (p->ensemble) {
    case RMTK_ENS_GOE: fill_goe(e, index, 0, p->sigma2, 1.0, e->g); return RMTK_OK;
    case RMTK_ENS_PERCOLATED_WIGNER: {
        double pm = p->c > 0 ? p->c / (double)n : p->p;
        fill_goe(e, index, 0, p->sigma2, pm, e->g);
        return RMTK_OK;
    }
    case RMTK_ENS_GUE: {
        /* A = (X + iY)/sqrt 2; H = sigma (A + A^H)/sqrt(2N): E|H_ij|^2 = sigma2/N */
        double *re = e->a, *im = e->a + n * n;
        fill_normal(p->seed, stream_of(index, 0), re, n * n);
        fill_normal(p->seed, stream_of(index, 1), im, n * n);
        double s = sqrt(p->sigma2 / (2.0 * (double)n)) / sqrt(2.0);
        for (size_t j = 0; j < n; j++)
            for (size_t i = j; i < n; i++) {
                double hr = s * (re[j * n + i] + re[i * n + j]);
                double hi = s * (im[j * n + i] - im[i * n + j]);
                e->g[2 * (j * n + i)] = hr;
                e->g[2 * (j * n + i) + 1] = hi;
            }
        return RMTK_OK;
    }
    case RMTK_ENS_WISHART:
    case RMTK_ENS_PERCOLATED_WISHART: {
        size_t N = (size_t)p->dims[0], M = (size_t)p->dims[1];
        fill_normal(p->seed, stream_of(index, 0), e->a, N * M);
        if (p->ensemble == RMTK_ENS_PERCOLATED_WISHART) {
            double pm = p->c > 0 ? p->c / (double)M : p->p;
            rmtk_rng r;
            rmtk_rng_init(&r, p->seed, stream_of(index, 200));
            for (size_t i = 0; i < N * M; i++)
                if (!(rmtk_rng_uniform(&r) < pm))
                    e->a[i] = 0;
        }
        /* C = sigma2 W^T W / N, W N x M column-major */
        cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)M, (int)N, p->sigma2 / (double)N,
                    e->a, (int)N, 0.0, e->g, (int)M);
        return RMTK_OK;
    }
    case RMTK_ENS_WISHART_COMPLEX: {
        size_t N = (size_t)p->dims[0], M = (size_t)p->dims[1];
        double *w = e->a; /* interleaved complex N x M, E|w|^2 = 1 */
        fill_normal(p->seed, stream_of(index, 0), w, 2 * N * M);
        double s = sqrt(0.5);
        for (size_t i = 0; i < 2 * N * M; i++)
            w[i] *= s;
        cblas_zherk(CblasColMajor, CblasLower, CblasConjTrans, (int)M, (int)N,
                    p->sigma2 / (double)N, w, (int)N, 0.0, e->g, (int)M);
        return RMTK_OK;
    }
    case RMTK_ENS_WIGNER_PRODUCT: {
        /* P = W_1 .. W_k; eigenvalues of P P^T */
        fill_goe(e, index, 0, 1.0, 1.0, e->b);
        for (int f = 1; f < p->k; f++) {
            fill_goe(e, index, (unsigned)f, 1.0, 1.0, e->c);
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0,
                        e->b, (int)n, e->c, (int)n, 0.0, e->a, (int)n);
            memcpy(e->b, e->a, n * n * sizeof *e->a);
        }
        cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)n, (int)n, 1.0, e->b, (int)n,
                    0.0, e->g, (int)n);
        return RMTK_OK;
    }
    case RMTK_ENS_SPIKED: {
        size_t N = (size_t)p->dims[0], M = (size_t)p->dims[1];
        fill_normal(p->seed, stream_of(index, 0), e->g, N * M);
        double s = 1.0 / sqrt((double)M);
        for (size_t i = 0; i < N * M; i++)
            e->g[i] *= s;
        for (int64_t r = 0; r < p->rank; r++)
            e->g[(size_t)r * N + (size_t)r] += p->theta;
        return RMTK_OK;
    }
    case RMTK_ENS_WISHART_PRODUCT:
    case RMTK_ENS_JACOBIAN: {
        int jac = p->ensemble == RMTK_ENS_JACOBIAN;
        size_t L = p->n_dims - 1, n0 = (size_t)p->dims[0];
        double w = jac ? sqrt(p->sigma_w2) : 1.0;
        if (jac && p->coupled) {
            /* input with |x0|^2 = q0 n0 exactly (tag 150) */
            fill_normal(p->seed, stream_of(index, 150), e->x, n0);
            double ss = 0;
            for (size_t i = 0; i < n0; i++)
                ss += e->x[i] * e->x[i];
            double f = ss > 0 ? sqrt(p->q0 * (double)n0 / ss) : 0.0;
            for (size_t i = 0; i < n0; i++)
                e->x[i] *= f;
        }
        double *J = e->b, *T = e->c, *X = e->a;
        for (size_t l = 1; l <= L; l++) {
            size_t nl = (size_t)p->dims[l], np = (size_t)p->dims[l - 1];
            double sc = w / sqrt((double)np);
            if (jac)
                fill_weights(p, stream_of(index, (unsigned)l), sc, X, nl * np);
            else {
                fill_normal(p->seed, stream_of(index, (unsigned)l), X, nl * np);
                for (size_t i = 0; i < nl * np; i++)
                    X[i] *= sc;
            }
            /* diagonal D_l into e->y */
            if (jac) {
                if (p->coupled) {
                    cblas_dgemv(CblasColMajor, CblasNoTrans, (int)nl, (int)np, 1.0, X, (int)nl,
                                e->x, 1, 0.0, e->y, 1);
                    if (p->sigma_b2 > 0) {
                        double *bb = e->x; /* x^{l-1} no longer needed after y */
                        fill_normal(p->seed, stream_of(index, 100 + (unsigned)l), bb,
                                             nl);
                        for (size_t i = 0; i < nl; i++)
                            e->y[i] += sqrt(p->sigma_b2) * bb[i];
                    }
                    for (size_t i = 0; i < nl; i++)
                        e->x[i] = rmtk__act_phi(p->activation, p->leaky_slope, e->y[i]);
                } else {
                    fill_normal(p->seed, stream_of(index, 100 + (unsigned)l), e->y,
                                         nl);
                    for (size_t i = 0; i < nl; i++)
                        e->y[i] *= sqrt(e->q[l - 1]);
                }
                for (size_t i = 0; i < nl; i++)
                    e->y[i] = rmtk__act_dphi(p->activation, p->leaky_slope, e->y[i]);
            }
            /* J_l = D_l X_l J_{l-1} (nl x n0) */
            if (l == 1) {
                memcpy(J, X, nl * n0 * sizeof *J);
            } else {
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)nl, (int)n0, (int)np,
                            1.0, X, (int)nl, J, (int)np, 0.0, T, (int)nl);
                double *t = J;
                J = T;
                T = t;
            }
            if (jac)
                for (size_t j = 0; j < n0; j++)
                    for (size_t i = 0; i < nl; i++)
                        J[j * nl + i] *= e->y[i];
        }
        size_t nL = (size_t)p->dims[L];
        cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)nL, (int)n0, 1.0, J, (int)nL,
                    0.0, e->g, (int)nL);
        return RMTK_OK;
    }
    default: return RMTK_ERR_ARG;
    }
}

/* The eigen- (or singular-) values of the matrix formed by rmtk__ensemble_draw. */
int rmtk__ensemble_eig(rmtk_ensemble *e, double *values)
{
    lapack_int n = (lapack_int)e->gdim, info;
    if (e->svd) {
        lapack_int m = (lapack_int)e->p.dims[0], nc = (lapack_int)e->p.dims[1];
        info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', m, nc, e->g, m, values, NULL, 1, NULL, 1,
                                   e->work, e->lwork, e->iwork);
    } else if (e->complex_eig) {
        info = LAPACKE_zheevd_work(LAPACK_COL_MAJOR, 'N', 'L', n, (lapack_complex_double *)e->g,
                                   n, values, (lapack_complex_double *)e->work, e->lwork,
                                   e->rwork, e->lrwork, e->iwork, e->liwork);
    } else {
        info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'L', n, e->g, n, values, e->work,
                                   e->lwork, e->iwork, e->liwork);
    }
    return info == 0 ? RMTK_OK : RMTK_ERR_LAPACK;
}

int rmtk_ensemble_sample(rmtk_ensemble *e, uint64_t index, double *values)
{
    if (!e || !values || index >= ((uint64_t)1 << 55))
        return RMTK_ERR_ARG;
    int st = rmtk__ensemble_draw(e, index);
    return st ? st : rmtk__ensemble_eig(e, values);
}

/* ---- statistics of a spectrum -------------------------------------------------------------- */

int rmtk_spectrum_stats_compute(const double *v, size_t n, double eps, rmtk_spectrum_stats *out)
{
    if (!v || !out || n == 0 || !(eps >= 0))
        return RMTK_ERR_ARG;
    memset(out, 0, sizeof *out);
    double mx = 0, mn = INFINITY, hi = -INFINITY, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return RMTK_ERR_ARG;
        mx = fmax(mx, fabs(v[i]));
        mn = fmin(mn, v[i]);
        hi = fmax(hi, v[i]);
        double x = v[i];
        s1 += x;
        s2 += x * x;
        s3 += x * x * x;
        s4 += x * x * x * x;
    }
    out->n = n;
    out->eps_abs = eps * fmax(1.0, mx);
    size_t z = 0;
    for (size_t i = 0; i < n; i++)
        z += fabs(v[i]) < out->eps_abs;
    double dn = (double)n;
    out->mean = s1 / dn;
    double var = 0;
    for (size_t i = 0; i < n; i++)
        var += (v[i] - out->mean) * (v[i] - out->mean);
    out->variance = var / dn;
    out->m2 = s2 / dn;
    out->m3 = s3 / dn;
    out->m4 = s4 / dn;
    out->atom = (double)z / dn;
    out->min = mn;
    out->max = hi;
    return RMTK_OK;
}

int rmtk_histogram_density(const double *v, size_t n, double lo, double hi, size_t nbins,
                           double *density)
{
    if (!v || !density || n == 0 || nbins == 0 || !(lo < hi) || !isfinite(lo) || !isfinite(hi))
        return RMTK_ERR_ARG;
    for (size_t b = 0; b < nbins; b++)
        density[b] = 0;
    double w = (hi - lo) / (double)nbins;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] >= lo && v[i] <= hi))
            continue;
        size_t b = (size_t)((v[i] - lo) / w);
        if (b >= nbins)
            b = nbins - 1;
        density[b] += 1;
    }
    for (size_t b = 0; b < nbins; b++)
        density[b] /= (double)n * w;
    return RMTK_OK;
}

/* lambda_i = sv_i^2 / N for the k singular values given, M - k zeros for the rest. */
int rmtk_layer_spectrum_stats(const double *sv, size_t k, int64_t rows, int64_t cols,
                              double eps, rmtk_spectrum_stats *out)
{
    if (!sv || !out || rows <= 0 || cols <= 0 || k == 0 || k > (size_t)RMTK_MIN(rows, cols))
        return RMTK_ERR_ARG;
    size_t m = (size_t)cols;
    double *lam = rmtk__calloc(m, sizeof *lam);
    if (!lam)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < k; i++)
        lam[i] = sv[i] * sv[i] / (double)rows;
    int st = rmtk_spectrum_stats_compute(lam, m, eps, out);
    rmtk__free(lam);
    return st;
}
