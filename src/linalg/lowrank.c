/*
 * lowrank.c: the singular values (and vectors) of a matrix given as factors, X = s L R with L
 * rows x r and R r x cols (a LoRA update Delta W = (alpha / r) B A, a denoised matrix's factors),
 * without ever forming the rows x cols product: O((rows + cols) r^2) time and memory instead of
 * the O(rows cols min(rows, cols)) of a dense SVD.
 *
 * The method (exact in exact arithmetic, backward stable in floating point; the values take the
 * R factors by blocks of rows that stay in cache (tall_r, TSQR), the vectors one Householder QR
 * of each whole factor, whose reflectors dormqr applies):
 *     L = Q_L R_L          thin Householder QR (dgeqrf), Q_L rows x p, R_L p x r, p = min(rows, r)
 *     R^T = Q_R R_R        thin Householder QR of the transpose, Q_R cols x q, R_R q x r,
 *                          q = min(cols, r)
 *     X = s Q_L (R_L R_R^T) Q_R^T,  C = R_L R_R^T  (p x q, the small core)
 *     C = U_c S V_c^T      dgesdd of the core
 *     X = (Q_L U_c) (|s| S) (sign(s) Q_R V_c)^T
 * Q_L and Q_R have orthonormal columns, so the singular values of X are |s| times those of the
 * core, kv = min(p, q) <= r of them; the other min(rows, cols) - kv are exact zeros (the rank of
 * X is at most r). The left vectors are U = Q_L [U_c; 0] (dormqr applies Q_L from its Householder
 * reflectors, never forming it), the right ones V = Q_R [V_c; 0].
 * Error: Householder QR is backward stable (the computed R_L is the exact factor of L + dL with
 * ||dL||_F <= c rows r eps ||L||_F), and so is dgesdd on the core; so each sigma_i has absolute
 * error about eps (rows + cols + r) ||L||_F ||R||_F |s|, which info.err_bound reports for
 * sigma^2 (times 2 sigma_1).
 * REF: Golub & Van Loan, Matrix Computations, 4th ed., 5.2 (Householder QR) and 8.6 (SVD);
 * the product SVD through the QR of the factors: Halko, Martinsson & Tropp, SIAM Review 53
 * (2011) 217, Sec. 5.1 (the "direct SVD" of a factored matrix).
 *
 * Magnitudes: each factor is scaled by an exact power of two so that its largest entry lies in
 * [0.5, 1) (no overflow or underflow in the core whatever the factors' scales); the values are
 * scaled back and a singular value beyond the double range is RMTK_ERR_RANGE.
 *
 * Numerical rank: the same rule as rmtk analyze (src/analysis/analysis.c, rmtk__rank_tol) on the
 * padded values: tol = sigma_1 max(rows, cols) eps_F64 + (eps / sqrt 3) rms(X) (sqrt rows +
 * sqrt cols), rms(X)^2 = sum sigma_i^2 / (rows cols), eps the storage precision of the factors
 * (the larger of rmtk_dtype_eps of the two dtypes unless given); rank = #{sigma_i > tol}.
 */
#include "internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

struct rmtk_lowrank_plan {
    int64_t max_rows, max_cols, max_inner;
    int vectors;
    double *lc;      /* max_rows * r (vectors plans): L, column-major, then its QR */
    double *rc;      /* max_cols * r: R^T, column-major (R row-major), then its QR (vectors) */
    double *tmp;     /* max_rows * r: L row-major as converted */
    double *blk;     /* (bmax + r) * r: the blocks of the values' QR (tall_r) */
    int64_t bmax;    /* rows per block */
    double *core2;   /* r * r: the core of the vectors run */
    double *tau_l, *tau_r; /* r each */
    double *rl, *rr; /* r * r: the triangular factors, dense */
    double *core;    /* r * r */
    double *sigma, *sigma2; /* r each: the values (jobz 'N'), the vectors run's values */
    double *uc, *vct; /* r * r: the core's vectors */
    double *work;
    lapack_int *iwork;
    lapack_int lwork;
    char errmsg[RMTK_ERRMSG_SIZE];
};

const char *rmtk_lowrank_errmsg(const rmtk_lowrank_plan *p)
{
    return p ? p->errmsg : "";
}

void rmtk_lowrank_plan_free(rmtk_lowrank_plan *p)
{
    if (!p)
        return;
    rmtk__free(p->lc);
    rmtk__free(p->rc);
    rmtk__free(p->tmp);
    rmtk__free(p->blk);
    rmtk__free(p->core2);
    rmtk__free(p->tau_l);
    rmtk__free(p->tau_r);
    rmtk__free(p->rl);
    rmtk__free(p->rr);
    rmtk__free(p->core);
    rmtk__free(p->sigma);
    rmtk__free(p->sigma2);
    rmtk__free(p->uc);
    rmtk__free(p->vct);
    rmtk__free(p->work);
    rmtk__free(p->iwork);
    rmtk__free(p);
}

/* dgeqrf's own workspace for an m x k matrix (at most cap). */
static lapack_int qr_lwork(int64_t m, int64_t k, lapack_int cap)
{
    double wq = 0;
    if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k, NULL, (lapack_int)m,
                            NULL, &wq, -1) == 0 && (lapack_int)wq <= cap && wq >= 1)
        return (lapack_int)wq;
    return cap;
}

/* The LAPACK workspace (doubles) one execution of shape rows x r x cols needs. */
static lapack_int shape_lwork(int64_t rows, int64_t cols, int64_t r, int vectors)
{
    lapack_int m = (lapack_int)rows, n = (lapack_int)cols, k = (lapack_int)r;
    lapack_int p = (lapack_int)RMTK_MIN(rows, r), q = (lapack_int)RMTK_MIN(cols, r);
    lapack_int kv = RMTK_MIN(p, q), need = 1;
    double wq = 0;
    lapack_int iq = 0;
    if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m, k, NULL, m, NULL, &wq, -1) == 0)
        need = RMTK_MAX(need, (lapack_int)wq);
    if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, n, k, NULL, n, NULL, &wq, -1) == 0)
        need = RMTK_MAX(need, (lapack_int)wq);
    for (int z = 0; z <= vectors; z++)
        if (LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, z ? 'S' : 'N', p, q, NULL, p, NULL, NULL, p,
                                NULL, kv, &wq, -1, &iq) == 0)
            need = RMTK_MAX(need, (lapack_int)wq);
    if (vectors) {
        if (LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'N', m, kv, p, NULL, m, NULL, NULL, m, &wq,
                                -1) == 0)
            need = RMTK_MAX(need, (lapack_int)wq);
        if (LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'N', n, kv, q, NULL, n, NULL, NULL, n, &wq,
                                -1) == 0)
            need = RMTK_MAX(need, (lapack_int)wq);
    }
    return need;
}

int rmtk_lowrank_plan_alloc(int64_t max_rows, int64_t max_cols, int64_t max_inner,
                            int32_t vectors, rmtk_lowrank_plan **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    if (max_rows < 1 || max_cols < 1 || max_inner < 1 || max_inner > (int64_t)1 << 20 ||
        max_rows > INT32_MAX || max_cols > INT32_MAX)
        return RMTK_ERR_ARG;
    rmtk_lowrank_plan *p = rmtk__calloc(1, sizeof *p);
    if (!p)
        return RMTK_ERR_NOMEM;
    p->max_rows = max_rows;
    p->max_cols = max_cols;
    p->max_inner = max_inner;
    p->vectors = vectors != 0;
    size_t r = (size_t)max_inner;
    /* The workspace is not monotone in the core's shape (dgesdd's paths): the maximum over
     * every core shape p x q with p or q = r and the other 1..r, at the largest outer sides. */
    lapack_int lwork = 1;
    for (int64_t s = 1; s <= max_inner; s++) {
        lwork = RMTK_MAX(lwork, shape_lwork(RMTK_MIN(max_rows, s), max_cols, max_inner,
                                            p->vectors));
        lwork = RMTK_MAX(lwork, shape_lwork(max_rows, RMTK_MIN(max_cols, s), max_inner,
                                            p->vectors));
    }
    p->lwork = lwork;
    p->bmax = RMTK_MAX(2 * max_inner, 32768 / max_inner);
    p->blk = rmtk__malloc_array((size_t)(p->bmax + max_inner) * r, sizeof(double));
    p->core2 = rmtk__malloc_array(r * r, sizeof(double));
    {
        double wq = 0;
        if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)(p->bmax + max_inner),
                                (lapack_int)max_inner, NULL, (lapack_int)(p->bmax + max_inner),
                                NULL, &wq, -1) == 0)
            lwork = RMTK_MAX(lwork, (lapack_int)wq);
    }
    p->lwork = lwork;
    p->lc = p->vectors ? rmtk__malloc_array((size_t)max_rows * r, sizeof(double)) : NULL;
    p->tmp = rmtk__malloc_array((size_t)max_rows * r, sizeof(double));
    p->rc = rmtk__malloc_array((size_t)max_cols * r, sizeof(double));
    p->tau_l = rmtk__malloc_array(r, sizeof(double));
    p->tau_r = rmtk__malloc_array(r, sizeof(double));
    p->rl = rmtk__malloc_array(r * r, sizeof(double));
    p->rr = rmtk__malloc_array(r * r, sizeof(double));
    p->core = rmtk__malloc_array(r * r, sizeof(double));
    p->sigma = rmtk__malloc_array(r, sizeof(double));
    p->sigma2 = rmtk__malloc_array(r, sizeof(double));
    p->uc = rmtk__malloc_array(r * r, sizeof(double));
    p->vct = rmtk__malloc_array(r * r, sizeof(double));
    p->work = rmtk__malloc_array((size_t)lwork, sizeof(double));
    p->iwork = rmtk__malloc_array(8 * r, sizeof(lapack_int));
    if ((p->vectors && !p->lc) || !p->blk || !p->core2 || !p->tmp || !p->rc || !p->tau_l ||
        !p->tau_r || !p->rl || !p->rr || !p->core || !p->sigma || !p->sigma2 || !p->uc ||
        !p->vct || !p->work || !p->iwork) {
        rmtk_lowrank_plan_free(p);
        return RMTK_ERR_NOMEM;
    }
    *out = p;
    return RMTK_OK;
}

/* Scale x[0..n) by the power of two that puts its largest magnitude in [0.5, 1); *e receives the
 * exponent (x_original = x 2^e). 0 for a zero array. */
static void normalise(double *x, size_t n, int *e)
{
    double amax = 0;
    for (size_t t = 0; t < n; t++)
        amax = fmax(amax, fabs(x[t]));
    *e = 0;
    if (amax == 0)
        return;
    (void)frexp(amax, e);
    if (*e != 0)
        for (size_t t = 0; t < n; t++)
            x[t] = ldexp(x[t], -*e);
}

/* The first non-finite value of x[0..rows*cols) (row-major): RMTK_ERR_NUMERIC naming it. */
static int check_finite(rmtk_lowrank_plan *p, const char *which, const double *x, int64_t rows,
                        int64_t cols)
{
    size_t n = (size_t)rows * (size_t)cols;
    for (size_t t = 0; t < n; t++)
        if (!isfinite(x[t]))
            return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC,
                              "non-finite value %g at element (%zu, %zu) of the %lld x %lld %s "
                              "factor",
                              x[t], t / (size_t)cols, t % (size_t)cols, (long long)rows,
                              (long long)cols, which);
    return RMTK_OK;
}

/* The R factor of the thin QR of an m x k matrix A (element (i, j) at a[i rs + j cs]) into
 * r (p x k, column-major, ld p, zeros below the diagonal), p = min(m, k), by blocks of bmax
 * rows: R <- qr([R; A_block]) (Householder, dgeqrf on (p + b) x k matrices that stay in cache).
 * The R of a stack of blocks is the R of the whole (up to the signs of its rows, which do not
 * change singular values): the TSQR reduction, backward stable like one Householder QR.
 * REF: Demmel, Grigori, Hoemmen & Langou, SIAM J. Sci. Comput. 34 (2012) A206 (TSQR). */
static int tall_r(rmtk_lowrank_plan *p, const double *a, int64_t m, int64_t k, int64_t rs,
                  int64_t cs, double *r)
{
    double *w = p->blk;
    int64_t have = 0, ld = p->bmax + k;
    for (int64_t i0 = 0; i0 < m;) {
        int64_t b = RMTK_MIN(p->bmax, m - i0), rows = have + b;
        for (int64_t j = 0; j < k; j++) {
            double *col = w + j * ld;
            for (int64_t i = j + 1; i < have; i++)
                col[i] = 0.0; /* below the running R's diagonal: reflectors of the last step */
            const double *src = a + i0 * rs + j * cs;
            for (int64_t i = 0; i < b; i++)
                col[have + i] = src[i * rs];
        }
        lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)k,
                                              w, (lapack_int)ld, p->tau_l, p->work,
                                              qr_lwork(rows, k, p->lwork));
        if (info)
            return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC, "dgeqrf failed (info %d)", (int)info);
        have = RMTK_MIN(rows, k);
        i0 += b;
    }
    for (int64_t j = 0; j < k; j++)
        for (int64_t i = 0; i < have; i++)
            r[i + j * have] = i <= j ? w[i + j * ld] : 0.0;
    return RMTK_OK;
}

int rmtk_lowrank_execute(rmtk_lowrank_plan *p, rmtk_matrix_view l, rmtk_matrix_view r,
                         double scale, double eps, double *sv, double *u, double *v,
                         rmtk_lowrank_info *info)
{
    if (!p || !sv)
        return RMTK_ERR_ARG;
    p->errmsg[0] = '\0';
    if (!l.data || !r.data || l.rows < 1 || l.cols < 1 || r.rows < 1 || r.cols < 1)
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "a factor is empty or NULL (%lld x %lld and "
                          "%lld x %lld)", (long long)l.rows, (long long)l.cols,
                          (long long)r.rows, (long long)r.cols);
    if (l.cols != r.rows)
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "the factors do not multiply: left %lld x %lld, "
                          "right %lld x %lld (inner dimensions %lld and %lld)", (long long)l.rows,
                          (long long)l.cols, (long long)r.rows, (long long)r.cols,
                          (long long)l.cols, (long long)r.rows);
    int64_t m = l.rows, n = r.cols, k = l.cols;
    if (m > p->max_rows || n > p->max_cols || k > p->max_inner)
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "factors %lld x %lld and %lld x %lld exceed "
                          "the plan (rows <= %lld, cols <= %lld, inner <= %lld)", (long long)m,
                          (long long)k, (long long)k, (long long)n, (long long)p->max_rows,
                          (long long)p->max_cols, (long long)p->max_inner);
    if (!isfinite(scale))
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "scale %g is not finite", scale);
    if ((u || v) && !p->vectors)
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "vectors asked of a values-only plan");
    if (!(eps >= 0))
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "eps %g is negative", eps);
    if (eps == 0)
        eps = fmax(rmtk_dtype_eps(l.dtype), rmtk_dtype_eps(r.dtype));
    int64_t pk = RMTK_MIN(m, k), qk = RMTK_MIN(n, k), kv = RMTK_MIN(pk, qk);
    size_t kk = (size_t)RMTK_MIN(m, n);
    /* L row-major (m x k) as converted; R row-major (k x n), which is R^T column-major. */
    int st = rmtk_matrix_to_double(l, p->tmp);
    if (st)
        return rmtk__fail(p->errmsg, st, "cannot convert the left factor (dtype %s)",
                          rmtk_dtype_name(l.dtype));
    if ((st = check_finite(p, "left", p->tmp, m, k)))
        return st;
    st = rmtk_matrix_to_double(r, p->rc);
    if (st)
        return rmtk__fail(p->errmsg, st, "cannot convert the right factor (dtype %s)",
                          rmtk_dtype_name(r.dtype));
    if ((st = check_finite(p, "right", p->rc, k, n)))
        return st;
    int el, er;
    normalise(p->tmp, (size_t)(m * k), &el);
    normalise(p->rc, (size_t)(n * k), &er);
    double fl = 0, fr = 0; /* Frobenius norms of the normalised factors (err_bound) */
    for (size_t t = 0; t < (size_t)(m * k); t++)
        fl += p->tmp[t] * p->tmp[t];
    for (size_t t = 0; t < (size_t)(n * k); t++)
        fr += p->rc[t] * p->rc[t];
    memset(sv, 0, kk * sizeof(double));
    rmtk_lowrank_info inf;
    memset(&inf, 0, sizeof inf);
    inf.inner = k;
    inf.k = (int64_t)kk;
    if (fl == 0 || fr == 0 || scale == 0) { /* a zero product */
        if (info)
            *info = inf;
        return RMTK_OK;
    }
    lapack_int need = shape_lwork(m, n, k, p->vectors);
    if (need > p->lwork)
        return rmtk__fail(p->errmsg, RMTK_ERR_INTERNAL, "LAPACK asks %lld doubles of workspace "
                          "for factors %lld x %lld x %lld, the plan holds %lld", (long long)need,
                          (long long)m, (long long)k, (long long)n, (long long)p->lwork);
    /* The values: R_L and R_R by blocks (tall_r), the core C = R_L R_R^T, dgesdd 'N'. */
    if ((st = tall_r(p, p->tmp, m, k, k, 1, p->rl)) || (st = tall_r(p, p->rc, n, k, 1, n, p->rr)))
        return st;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)pk, (int)qk, (int)k, 1.0, p->rl,
                (int)pk, p->rr, (int)qk, 0.0, p->core, (int)pk);
    /* Each LAPACK call gets the workspace queried for its own shape (the blocking, so the
     * rounding, never depends on the plan's size). */
    double wq = 0;
    lapack_int iq = 0, lw = p->lwork;
    if (LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', (lapack_int)pk, (lapack_int)qk, NULL,
                            (lapack_int)pk, NULL, NULL, (lapack_int)pk, NULL, (lapack_int)kv, &wq,
                            -1, &iq) == 0 && (lapack_int)wq <= p->lwork)
        lw = (lapack_int)wq;
    lapack_int info_s = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', (lapack_int)pk, (lapack_int)qk,
                                            p->core, (lapack_int)pk, p->sigma, NULL,
                                            (lapack_int)pk, NULL, (lapack_int)kv, p->work, lw,
                                            p->iwork);
    if (info_s)
        return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC, "dgesdd on the %lld x %lld core failed "
                          "(info %d)", (long long)pk, (long long)qk, (int)info_s);
    /* The vectors (asked of a vectors plan): one Householder QR of each whole factor, whose
     * reflectors dormqr applies to the core's vectors (dgesdd 'S' on that core). The values
     * stay those above: the same bits with or without vectors (as in spectrum.c). */
    int want = p->vectors && (u || v);
    lapack_int info_l = 0, info_r = 0;
    if (want) {
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++)
                p->lc[i + j * m] = p->tmp[i * k + j];
        info_l = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k, p->lc,
                                     (lapack_int)m, p->tau_l, p->work, qr_lwork(m, k, p->lwork));
        info_r = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)k, p->rc,
                                     (lapack_int)n, p->tau_r, p->work, qr_lwork(n, k, p->lwork));
        if (info_l || info_r)
            return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC, "dgeqrf failed (info %d, %d)",
                              (int)info_l, (int)info_r);
        for (int64_t j = 0; j < k; j++) {
            for (int64_t i = 0; i < pk; i++)
                p->rl[i + j * pk] = i <= j ? p->lc[i + j * m] : 0.0;
            for (int64_t i = 0; i < qk; i++)
                p->rr[i + j * qk] = i <= j ? p->rc[i + j * n] : 0.0;
        }
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)pk, (int)qk, (int)k, 1.0,
                    p->rl, (int)pk, p->rr, (int)qk, 0.0, p->core2, (int)pk);
        info_s = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', (lapack_int)pk, (lapack_int)qk,
                                     p->core2, (lapack_int)pk, p->sigma2, p->uc, (lapack_int)pk,
                                     p->vct, (lapack_int)kv, p->work, p->lwork, p->iwork);
        if (info_s)
            return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC, "dgesdd on the %lld x %lld core "
                              "failed (info %d)", (long long)pk, (long long)qk, (int)info_s);
    }
    double as = fabs(scale);
    for (int64_t i = 0; i < kv; i++) {
        sv[i] = ldexp(as * p->sigma[i], el + er);
        if (!isfinite(sv[i]))
            return rmtk__fail(p->errmsg, RMTK_ERR_RANGE, "singular value %lld of the product is "
                              "beyond the double range (%g x 2^%d)", (long long)i,
                              as * p->sigma[i], el + er);
    }
    if (want) {
        if (u) { /* U = Q_L [U_c; 0], m x kv, vector j at u + j m */
            for (int64_t j = 0; j < kv; j++)
                for (int64_t i = 0; i < m; i++)
                    u[i + j * m] = i < pk ? p->uc[i + j * pk] * (scale < 0 ? -1.0 : 1.0) : 0.0;
            lapack_int info_u = LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'N', (lapack_int)m,
                                                    (lapack_int)kv, (lapack_int)pk, p->lc,
                                                    (lapack_int)m, p->tau_l, u, (lapack_int)m,
                                                    p->work, p->lwork);
            if (info_u)
                return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC, "dormqr failed (info %d)",
                                  (int)info_u);
        }
        if (v) { /* V = Q_R [V_c; 0], n x kv, vector j at v + j n */
            for (int64_t j = 0; j < kv; j++)
                for (int64_t i = 0; i < n; i++)
                    v[i + j * n] = i < qk ? p->vct[j + i * kv] : 0.0;
            lapack_int info_v = LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'N', (lapack_int)n,
                                                    (lapack_int)kv, (lapack_int)qk, p->rc,
                                                    (lapack_int)n, p->tau_r, v, (lapack_int)n,
                                                    p->work, p->lwork);
            if (info_v)
                return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC, "dormqr failed (info %d)",
                                  (int)info_v);
        }
    }
    /* The rank rule of rmtk analyze (see the top) on the padded values. */
    double fro2 = 0;
    for (int64_t i = 0; i < kv; i++)
        fro2 += sv[i] * sv[i];
    double dm = (double)m, dn = (double)n;
    inf.tol = sv[0] * fmax(dm, dn) * DBL_EPSILON +
              eps / sqrt(3.0) * sqrt(fro2 / (dm * dn)) * (sqrt(dm) + sqrt(dn));
    while (inf.rank < kv && sv[inf.rank] > inf.tol)
        inf.rank++;
    inf.nvec = want ? kv : 0;
    /* |d sigma| <~ eps (m + n + k) |s| ||L||_F ||R||_F; on sigma^2: times 2 sigma_1. */
    inf.err_bound = 2.0 * sv[0] * DBL_EPSILON * (dm + dn + (double)k) *
                    ldexp(as * sqrt(fl) * sqrt(fr), el + er);
    if (info)
        *info = inf;
    return RMTK_OK;
}
