/*
 * spectrum.c: the CPU spectrum engine (LAPACK through OpenBLAS) behind a plan/execute interface.
 *
 * A plan allocates, once, the converted matrix A (float64), the Gram matrix and the LAPACK
 * workspaces for the largest shape it serves; execute converts a view of any dtype into A and
 * runs one of two routes:
 *
 *  - Gram (values only): G = A A^T or A^T A of the smaller side (dsyrk), eigenvalues by dsyevd,
 *    sigma_i = sqrt(max(lambda_i, 0)). About 3x faster than dgesdd, but forming G squares the
 *    condition number: the absolute error of each lambda_i is bounded by
 *        delta = (m + n) * eps * lambda_max          (first-order; m, n the sides of A)
 *    so sigma_i has relative error about delta / (2 lambda_i).
 *  - SVD: dgesdd (jobz 'N' for values, 'S' for vectors): relative accuracy ~ k eps sigma_max/sigma_i.
 *
 * The accuracy guard of RMTK_SPECTRUM_AUTO: the Gram result is kept only if every sigma_i has
 * guaranteed relative error <= gram_rtol (default 1e-10), i.e. lambda_min >= delta / (2 gram_rtol).
 * Otherwise the same buffer A (which dsyrk does not modify) goes through dgesdd. So every value
 * the engine returns is as trustworthy as dgesdd's for what follows (ranks, condition numbers,
 * the small end of level statistics): ill-conditioned and rank-deficient matrices take dgesdd.
 * The shape rule saves the wasted attempt: when even a pure noise matrix of this shape would fail
 * the guard, AUTO goes to dgesdd directly. For an m x n (m >= n) noise matrix the extreme singular
 * values are about sqrt(m) + sqrt(n) and sqrt(m) - sqrt(n - 1) (the finite-size form of the
 * Marchenko-Pastur edges, which stays positive for square matrices: 1 / (2 sqrt n)); the attempt
 * is skipped when the square of their ratio is below (m + n) eps / (2 gram_rtol). With the default
 * tolerance that skips square and near-square shapes. The rule only ever picks the slower, more
 * accurate route. REF: Rudelson & Vershynin, CPAM 62 (2009) 1707 (smallest singular value).
 *
 * Layout: a row-major view (col_stride 1) is copied row by row into A = W^T, column-major
 * (cols x rows): a contiguous copy, no transpose. A column-major view becomes A = W. Other strides
 * (convolution slices) are gathered into A = W^T. Singular values are the same for A and W; the
 * vectors of A are mapped back (U_W, V_W swap when A = W^T).
 * REF: Golub & Van Loan, Matrix Computations, 4th ed., 8.6 (SVD via the eigenproblem of A^T A)
 * and 5.4; LAPACK Users' Guide, 4.9 (error bounds for the SVD).
 */
#include "internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

struct rmtk_spectrum_plan {
    rmtk_spectrum_params p;
    int64_t big, small;  /* the largest shape served */
    double *a;           /* big * small: the converted matrix */
    double *g;           /* small * small: the Gram matrix (values-only routes) */
    double *w;           /* small: eigenvalues */
    double *ua, *vta;    /* vectors of A (dgesdd jobz 'S'): big*small and small*big */
    double *work;        /* LAPACK double workspace */
    lapack_int *iwork;   /* LAPACK integer workspace */
    lapack_int lwork, liwork;
    uint64_t bytes;
    int64_t am, an;      /* the loaded matrix: A is am x an */
    int64_t rows, cols;  /* the loaded matrix's shape as W */
    bool transposed;     /* A = W^T */
    bool loaded;
    char errmsg[RMTK_ERRMSG_SIZE];
};

rmtk_spectrum_params rmtk_spectrum_params_default(void)
{
    rmtk_spectrum_params p;
    memset(&p, 0, sizeof p);
    p.method = RMTK_SPECTRUM_AUTO;
    p.vectors = 0;
    p.gram_rtol = 1e-10;
    return p;
}

const char *rmtk_spectrum_errmsg(const rmtk_spectrum_plan *p)
{
    return p ? p->errmsg : "";
}

uint64_t rmtk_spectrum_plan_bytes(const rmtk_spectrum_plan *p)
{
    return p ? p->bytes : 0;
}

void rmtk_spectrum_plan_free(rmtk_spectrum_plan *p)
{
    if (!p)
        return;
    rmtk__free(p->a);
    rmtk__free(p->g);
    rmtk__free(p->w);
    rmtk__free(p->ua);
    rmtk__free(p->vta);
    rmtk__free(p->work);
    rmtk__free(p->iwork);
    rmtk__free(p);
}

/* Workspace sizes for the routes the plan may take on a matrix m x n (m, n the sides of A). The
 * sizes queried for the largest shape serve every smaller one (LAPACK's needs grow with m, n). */
static int query_workspace(rmtk_spectrum_plan *p, lapack_int m, lapack_int n)
{
    lapack_int k = m < n ? m : n;
    double wq;
    lapack_int iq, info;
    lapack_int lwork = 1, liwork = 1;
    bool gram = p->p.method != RMTK_SPECTRUM_SVD && !p->p.vectors;
    bool svd = p->p.method != RMTK_SPECTRUM_GRAM || p->p.vectors;
    if (gram) {
        info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', k, NULL, k, NULL, &wq, -1, &iq, -1);
        if (info != 0)
            return RMTK_ERR_LAPACK;
        lwork = RMTK_MAX(lwork, (lapack_int)wq);
        liwork = RMTK_MAX(liwork, iq);
    }
    if (svd) {
        char jobz = p->p.vectors ? 'S' : 'N';
        /* Both orientations: A may be m x n or n x m. */
        for (int t = 0; t < 2; t++) {
            lapack_int mm = t ? n : m, nn = t ? m : n;
            info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, mm, nn, NULL, mm, NULL, NULL, mm,
                                       NULL, k, &wq, -1, NULL);
            if (info != 0)
                return RMTK_ERR_LAPACK;
            lwork = RMTK_MAX(lwork, (lapack_int)wq + 1);
        }
        liwork = RMTK_MAX(liwork, 8 * k);
    }
    p->lwork = lwork;
    p->liwork = liwork;
    return RMTK_OK;
}

int rmtk_spectrum_plan_alloc(int64_t max_rows, int64_t max_cols, const rmtk_spectrum_params *prm,
                             rmtk_spectrum_plan **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    if (max_rows < 1 || max_cols < 1 || max_rows > INT32_MAX || max_cols > INT32_MAX)
        return RMTK_ERR_ARG;
    rmtk_spectrum_params p = prm ? *prm : rmtk_spectrum_params_default();
    if (p.method < RMTK_SPECTRUM_AUTO || p.method > RMTK_SPECTRUM_SVD ||
        !(p.gram_rtol > 0))
        return RMTK_ERR_ARG;
    if (p.method == RMTK_SPECTRUM_GRAM && p.vectors)
        return RMTK_ERR_ARG; /* vectors always come from dgesdd */
    rmtk_spectrum_plan *pl = rmtk__calloc(1, sizeof *pl);
    if (!pl)
        return RMTK_ERR_NOMEM;
    pl->p = p;
    pl->big = RMTK_MAX(max_rows, max_cols);
    pl->small = RMTK_MIN(max_rows, max_cols);
    uint64_t na, ng;
    if (!rmtk__mul_u64((uint64_t)pl->big, (uint64_t)pl->small, &na) ||
        !rmtk__mul_u64((uint64_t)pl->small, (uint64_t)pl->small, &ng) ||
        na > SIZE_MAX / 8) {
        rmtk_spectrum_plan_free(pl);
        return RMTK_ERR_RANGE;
    }
    int st = query_workspace(pl, (lapack_int)pl->small, (lapack_int)pl->big);
    if (st) {
        rmtk_spectrum_plan_free(pl);
        return st;
    }
    bool gram = p.method != RMTK_SPECTRUM_SVD && !p.vectors;
    pl->a = rmtk__malloc_aligned(na * sizeof(double));
    pl->w = rmtk__malloc_array((size_t)pl->small, sizeof(double));
    pl->work = rmtk__malloc_array((size_t)pl->lwork, sizeof(double));
    pl->iwork = rmtk__malloc_array((size_t)pl->liwork, sizeof(lapack_int));
    if (gram)
        pl->g = rmtk__malloc_aligned(ng * sizeof(double));
    if (p.vectors) {
        pl->ua = rmtk__malloc_aligned(na * sizeof(double));
        pl->vta = rmtk__malloc_aligned(na * sizeof(double));
    }
    if (!pl->a || !pl->w || !pl->work || !pl->iwork || (gram && !pl->g) ||
        (p.vectors && (!pl->ua || !pl->vta))) {
        rmtk_spectrum_plan_free(pl);
        return RMTK_ERR_NOMEM;
    }
    pl->bytes = 8 * (na + (gram ? ng : 0) + (p.vectors ? 2 * na : 0) + (uint64_t)pl->small +
                     (uint64_t)pl->lwork) + sizeof(lapack_int) * (uint64_t)pl->liwork;
    *out = pl;
    return RMTK_OK;
}

/* Convert the view into p->a. Sets *am, *an (A is am x an, column-major, lda = am) and
 * *transposed (A = W^T). Checks every value is finite. */
static int load_matrix(rmtk_spectrum_plan *p, rmtk_matrix_view v, int64_t *am, int64_t *an,
                       bool *transposed)
{
    size_t esz = rmtk_dtype_size(v.dtype), bel = 1, bby = 0;
    const unsigned char *base = v.data;
    int st = RMTK_OK;
    if (rmtk_dtype_block(v.dtype, &bel, &bby) == RMTK_OK && bel > 1) {
        /* block-quantised (GGUF): whole rows of whole blocks, as rmtk_matrix_to_double */
        *transposed = true;
        *am = v.cols;
        *an = v.rows;
        if (v.col_stride != 1 || v.row_stride < 0 || (uint64_t)v.cols % bel ||
            (uint64_t)v.row_stride % bel)
            st = RMTK_ERR_UNSUPPORTED;
        for (int64_t i = 0; i < v.rows && !st; i++)
            st = rmtk_dtype_to_double(v.dtype, 0,
                                      base + (size_t)i * ((size_t)v.row_stride / bel) * bby,
                                      (size_t)v.cols, p->a + (size_t)i * (size_t)v.cols);
    } else if (v.row_stride == 1 && v.col_stride != 1) {
        /* Column-major storage: column j of W is contiguous; A = W. */
        *transposed = false;
        *am = v.rows;
        *an = v.cols;
        for (int64_t j = 0; j < v.cols && !st; j++)
            st = rmtk__convert_strided(v.dtype, v.big_endian,
                                       base + (size_t)(j * v.col_stride) * esz, 1,
                                       (size_t)v.rows, p->a + (size_t)j * (size_t)v.rows);
    } else {
        /* Row i of W becomes column i of A = W^T (contiguous when col_stride == 1). */
        *transposed = true;
        *am = v.cols;
        *an = v.rows;
        for (int64_t i = 0; i < v.rows && !st; i++)
            st = rmtk__convert_strided(v.dtype, v.big_endian,
                                       base + (size_t)(i * v.row_stride) * esz, v.col_stride,
                                       (size_t)v.cols, p->a + (size_t)i * (size_t)v.cols);
    }
    if (st)
        return rmtk__fail(p->errmsg, st, "cannot convert dtype %s", rmtk_dtype_name(v.dtype));
    size_t total = (size_t)(*am) * (size_t)(*an);
    for (size_t t = 0; t < total; t++) {
        if (!isfinite(p->a[t])) {
            size_t col = t / (size_t)(*am), row = t % (size_t)(*am);
            size_t wi = *transposed ? col : row, wj = *transposed ? row : col;
            return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC,
                              "non-finite value %g at element (%zu, %zu) of the %lld x %lld matrix",
                              p->a[t], wi, wj, (long long)v.rows, (long long)v.cols);
        }
    }
    return RMTK_OK;
}

/* Whether a noise matrix of this shape would pass the accuracy guard (the shape rule above):
 * ((sqrt(m) - sqrt(n - 1)) / (sqrt(m) + sqrt(n)))^2 >= (m + n) eps / (2 gram_rtol), m >= n. */
static bool gram_shape_can_pass(const rmtk_spectrum_plan *p, int64_t am, int64_t an)
{
    double m = (double)RMTK_MAX(am, an), n = (double)RMTK_MIN(am, an);
    double r = (sqrt(m) - sqrt(n - 1.0)) / (sqrt(m) + sqrt(n));
    return r * r >= (m + n) * DBL_EPSILON / (2.0 * p->p.gram_rtol);
}

/* Values through the Gram matrix. Returns whether the accuracy guard accepts the result. */
static bool gram_values(rmtk_spectrum_plan *p, int64_t am, int64_t an, double *sv, double *bound,
                        int *st)
{
    int64_t k = RMTK_MIN(am, an);
    if (am <= an) /* G = A A^T (am x am), A is am x an with lda am */
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)am, (int)an, 1.0, p->a, (int)am,
                    0.0, p->g, (int)k);
    else /* G = A^T A (an x an) */
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)an, (int)am, 1.0, p->a, (int)am,
                    0.0, p->g, (int)k);
    lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', (lapack_int)k, p->g,
                                          (lapack_int)k, p->w, p->work, p->lwork, p->iwork,
                                          p->liwork);
    if (info != 0) {
        *st = rmtk__fail(p->errmsg, RMTK_ERR_LAPACK, "dsyevd failed (info %d) on a %lld x %lld "
                         "Gram matrix", (int)info, (long long)k, (long long)k);
        return false;
    }
    double lmax = p->w[k - 1] > 0 ? p->w[k - 1] : 0.0;
    double delta = (double)(am + an) * DBL_EPSILON * lmax;
    bool ok = p->w[0] >= delta / (2.0 * p->p.gram_rtol);
    for (int64_t i = 0; i < k; i++) {
        double l = p->w[k - 1 - i];
        sv[i] = l > 0 ? sqrt(l) : 0.0;
    }
    *bound = delta;
    *st = RMTK_OK;
    return ok;
}

int rmtk_spectrum_load(rmtk_spectrum_plan *p, rmtk_matrix_view v)
{
    if (!p || !v.data)
        return RMTK_ERR_ARG;
    p->errmsg[0] = '\0';
    p->loaded = false;
    if (v.rows < 1 || v.cols < 1)
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "empty matrix %lld x %lld",
                          (long long)v.rows, (long long)v.cols);
    int64_t big = RMTK_MAX(v.rows, v.cols), small = RMTK_MIN(v.rows, v.cols);
    if (big > p->big || small > p->small)
        return rmtk__fail(p->errmsg, RMTK_ERR_RANGE, "matrix %lld x %lld exceeds the plan's "
                          "%lld x %lld", (long long)v.rows, (long long)v.cols,
                          (long long)p->big, (long long)p->small);
    if (!rmtk_dtype_is_numeric(v.dtype))
        return rmtk__fail(p->errmsg, RMTK_ERR_UNSUPPORTED, "dtype %s is not numeric",
                          rmtk_dtype_name(v.dtype));
    int st = load_matrix(p, v, &p->am, &p->an, &p->transposed);
    if (st)
        return st;
    p->rows = v.rows;
    p->cols = v.cols;
    p->loaded = true;
    return RMTK_OK;
}

int rmtk_spectrum_run(rmtk_spectrum_plan *p, double *sv, double *u, double *vv,
                      rmtk_spectrum_info *info)
{
    if (!p || !sv)
        return RMTK_ERR_ARG;
    if (!p->loaded)
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "no matrix loaded (rmtk_spectrum_load)");
    p->loaded = false;
    int64_t am = p->am, an = p->an, k = RMTK_MIN(am, an);
    bool transposed = p->transposed;
    int st = RMTK_OK;
    rmtk_spectrum_info inf = {RMTK_SPECTRUM_SVD, 0, k, 0.0};
    bool want_vectors = p->p.vectors && (u || vv);
    bool try_gram = !want_vectors && p->p.method != RMTK_SPECTRUM_SVD && !p->p.vectors;
    if (try_gram && p->p.method == RMTK_SPECTRUM_AUTO && !gram_shape_can_pass(p, am, an)) {
        try_gram = false;
        inf.fallback = 2;
    }
    if (try_gram) {
        double bound = 0.0;
        bool ok = gram_values(p, am, an, sv, &bound, &st);
        if (st)
            return st;
        if (ok || p->p.method == RMTK_SPECTRUM_GRAM) {
            inf.method = RMTK_SPECTRUM_GRAM;
            inf.err_bound = bound;
            if (info)
                *info = inf;
            return RMTK_OK;
        }
        inf.fallback = 1;
    }
    char jobz = want_vectors ? 'S' : 'N';
    lapack_int lm = (lapack_int)am, ln = (lapack_int)an, lk = (lapack_int)k;
    lapack_int linfo = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, lm, ln, p->a, lm, sv,
                                           want_vectors ? p->ua : NULL, lm,
                                           want_vectors ? p->vta : NULL, lk, p->work, p->lwork,
                                           p->iwork);
    if (linfo != 0)
        return rmtk__fail(p->errmsg, RMTK_ERR_LAPACK, "dgesdd failed (info %d) on a %lld x %lld "
                          "matrix", (int)linfo, (long long)p->rows, (long long)p->cols);
    inf.err_bound = (double)k * DBL_EPSILON * sv[0] * sv[0];
    if (want_vectors) {
        /* A = U_A S VT_A. Columns of U_A are contiguous; rows of VT_A are strided (ldvt = k). */
        double *left = transposed ? vv : u, *right = transposed ? u : vv;
        if (left)
            memcpy(left, p->ua, sizeof(double) * (size_t)am * (size_t)k);
        if (right)
            for (int64_t j = 0; j < k; j++)
                for (int64_t i = 0; i < an; i++)
                    right[j * an + i] = p->vta[j + i * k];
    }
    if (info)
        *info = inf;
    return RMTK_OK;
}

int rmtk_spectrum_execute(rmtk_spectrum_plan *p, rmtk_matrix_view v, double *sv, double *u,
                          double *vv, rmtk_spectrum_info *info)
{
    if (!sv)
        return RMTK_ERR_ARG;
    int st = rmtk_spectrum_load(p, v);
    return st ? st : rmtk_spectrum_run(p, sv, u, vv, info);
}
