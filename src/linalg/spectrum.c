/*
 * spectrum.c: the CPU spectrum engine (LAPACK through OpenBLAS) behind a plan/execute interface.
 *
 * A plan allocates, once, the Gram matrix and the LAPACK workspaces for the largest shape it
 * serves, and the converted matrix A (float64) when it computes vectors or only runs dgesdd;
 * execute converts a view of any dtype into A and runs one of two routes. A values-only plan that
 * may take the Gram route streams instead (rmtk__spectrum_load_gram): G accumulated from blocks
 * of ~8 MB converted from the view, A converted whole (into memory allocated for that run) only
 * when the contract below rejects the Gram values (see RMTK__GRAM_BLOCK_DOUBLES):
 *
 *  - Gram (values only): G = A A^T or A^T A of the smaller side (dsyrk), eigenvalues by dsyevd,
 *    sigma_i = sqrt(max(lambda_i, 0)). About 3x faster than dgesdd. Forming G squares the
 *    condition number: each lambda_i carries an absolute error of at most
 *        delta = c (m + n) eps lambda_1,   c = 1          (m, n the sides of A)
 *    (dsyrk's dot products of length max(m, n) and dsyevd's backward error p(n) eps ||G||; c = 1
 *    covers the worst error measured over the test matrices, ~0.02 (m + n) eps lambda_1, 50x
 *    below: docs/methods/spectrum.md), hence, since |sigma^ - sigma| = |lambda^ - lambda| /
 *    (sigma^ + sigma),
 *        |sigma^_i - sigma_i| <= b_i = delta / sigma^_i = c (m + n) eps sigma_1^2 / sigma^_i.
 *  - SVD: dgesdd (jobz 'N' for values, 'S' for vectors), always on the tall orientation of A
 *    (m >= n: the wide one takes the LQ-first path, 2x slower): absolute error p(m, n) eps sigma_1.
 *
 * The accuracy contract of RMTK_SPECTRUM_AUTO (docs/methods/spectrum.md): the Gram result is kept
 * when its errors change no statistic that follows. With tol the numerical-rank tolerance of the
 * analysis (sigma_1 max(m, n) 2^-52 + (eps_d / sqrt 3) rms(W) (sqrt m + sqrt n), eps_d the stored
 * dtype's resolution: params dtype_eps, else rmtk_dtype_eps of the view) and r = #{sigma^_i > tol}
 * (the used spectrum), all of
 *   (1) levels: b_i <= f min(s_i, sigma^_i) for every i < r, s_i the local mean level spacing
 *       (over up to 16 neighbouring spacings), f = gram_rtol (default 1e-3): every level moves by
 *       at most f of a mean spacing, so unfolded statistics are unchanged to that fraction, and
 *       every used value is accurate to f relative (condition_number, log-scale spectra);
 *   (2) rank, above: sigma^_r-1 - b_r-1 > tol: every used value is certainly above tol;
 *   (3) rank, below (when r < k): sigma^_r^2 + delta <= tol^2: every value set aside is certainly
 *       below tol (for F64/F32-stored rank-deficient matrices Gram's noise floor sqrt(delta) is
 *       above tol, so they take dgesdd; for BF16 and coarser it is far below).
 * Otherwise the same buffer A (which dsyrk does not modify) goes through dgesdd; after a
 * streamed G, the caller loads the view dense first (RMTK__NEED_DENSE). Checking the
 * contract costs O(k) after the decomposition: there is no shape rule any more (fallback 2 is
 * not produced).
 *
 * Tall orientation: A is loaded as W^T for row-major views (a contiguous copy). When dgesdd runs
 * on a wide A, A is first transposed: out of place from the vectors copy when the plan has one,
 * else in place by cycle following (one pass, a bitmap of k big / 64 words in the plan).
 * REF: Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., 3.1 (inner products,
 * |fl(x^T y) - x^T y| <= gamma_n |x|^T |y|); Golub & Van Loan, Matrix Computations, 4th ed.,
 * 8.1.2 (Weyl) and 8.6 (SVD via the eigenproblem of A^T A); LAPACK Users' Guide 4.7, 4.9;
 * Cate & Twigg, ACM TOMS 3 (1977) 104 (in-place transposition).
 *
 * Same input, same answer: the singular values are a function of the matrix alone, never of the
 * plan around it or of what else was asked. (1) A plan that computes vectors returns the values
 * of the values-only route (the copy of A kept for the vectors goes through dgesdd jobz 'S'
 * separately): dgesdd 'S' (divide and conquer on the bidiagonal) and 'N' (dqds) round
 * differently, and on a rank-deficient matrix the rounding-level values below the numerical rank
 * differ completely. (2) Every LAPACK call gets the workspace queried for its own shape, so the
 * blocking (nb) is the same whatever the largest shape the plan serves. (3) The BLAS thread count
 * is the caller's: OpenBLAS splits some level-1/2 sums across threads, so the rounding depends on
 * it (rmtk_analysis_run pins it to one thread and parallelises over matrices).
 *
 * Workspace: dgesdd's need is not monotone in the shape. For m >= n it takes the QR-first path
 * when m >= mnthr = floor(11 n / 6), which needs more workspace than the direct path of a larger
 * matrix just below the switch (130 x 70 with vectors needs more than 140 x 80). The plan takes
 * the maximum of the queries over the shapes where each path needs most among those it serves:
 * the largest shape, the largest shape of the direct path (min side n, max side below mnthr(n))
 * and the largest of the QR path (max side, the largest n with mnthr(n) <= max side); within a
 * path LAPACK's formulas grow with both sides. Each run queries its own shape again and gets a
 * named error, never dgesdd's "info -13", if that ever exceeded the plan's.
 *
 * Magnitudes: A is scaled by 2^-e (exact) when its largest entry 2^e is outside
 * [2^-RMTK__SCALE_EXP, 2^RMTK__SCALE_EXP], before the Gram matrix squares it (1e-170 would
 * underflow, 1e155 overflow), and the values are scaled back; a singular value beyond the
 * double range is a named RMTK_ERR_RANGE.
 *
 * Layout: a row-major view (col_stride 1) is copied row by row into A = W^T, column-major
 * (cols x rows): a contiguous copy, no transpose. A column-major view becomes A = W. Other strides
 * (convolution slices) are gathered into A = W^T. Singular values are the same for A and W; the
 * vectors of A are mapped back (U_W, V_W swap when A = W^T).
 * REF: Golub & Van Loan, Matrix Computations, 4th ed., 8.6 (SVD via the eigenproblem of A^T A)
 * and 5.4; LAPACK Users' Guide, 4.9 (error bounds for the SVD).
 */
#include "internal.h"
#include "spectrum-internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* A is rescaled by a power of two when its largest entry is outside 2^-E .. 2^E. With E = 200,
 * sigma_1^2 <= min(m, n) max|a|^2 stays far inside the double range in the Gram route. */
#define RMTK__SCALE_EXP 200

/* c of the Gram route's error bound delta = c (m + n) eps lambda_1 (see the top). */
#define RMTK__GRAM_C 1.0

/* The Gram matrix is accumulated over blocks of A's longer side (the contraction): G = sum_b
 * A_b A_b^T (or A_b^T A_b), one dsyrk per block (beta = 1 after the first). A block holds about
 * RMTK__GRAM_BLOCK_DOUBLES doubles (8 MB), a multiple of RMTK__GRAM_BLOCK_STEP rows/columns (whole
 * blocks of every quantised dtype), at least one step. The block length is a function of the
 * Gram order k only, and the dense and the streamed routes cut the same blocks, so the Gram
 * matrix (hence the values) is bitwise the same whether A was converted whole or streamed from
 * the stored tensor a block at a time (dsyrk packs its operand: the leading dimension does not
 * enter the arithmetic). */
#define RMTK__GRAM_BLOCK_DOUBLES (1 << 20)
#define RMTK__GRAM_BLOCK_STEP 256

static int64_t gram_block(int64_t k)
{
    int64_t nb = RMTK__GRAM_BLOCK_DOUBLES / k / RMTK__GRAM_BLOCK_STEP * RMTK__GRAM_BLOCK_STEP;
    return nb < RMTK__GRAM_BLOCK_STEP ? RMTK__GRAM_BLOCK_STEP : nb;
}

/* From this order up, the Gram matrix's eigenvalues come from LAPACK's two-stage dsyevd_2stage
 * (dense -> band by blocked Householder, band -> tridiagonal by bulge chasing; values only)
 * instead of dsyevd, whose one-stage dsytrd is half BLAS-2 and bound by memory bandwidth.
 * bench/bench-syevd.c on this machine (one BLAS thread, shared): 2stage/1stage time 1.07-1.18 at
 * 1024, 0.74-1.22 at 2048, 1.13 at 3072, 0.26-1.00 at 4096 (docs/methods/spectrum.md). Both are
 * backward stable (the same bound); a function of k only, so the values stay a function of the
 * matrix. REF: Haidar, Ltaief, Dongarra, SC'11; LAPACK 3.7 dsyevd_2stage. */
#define RMTK__SYEVD_2STAGE_MIN 4096

/* dsyevd or dsyevd_2stage (values only) on the k x k matrix g (lwork = -1: the query). */
static lapack_int syevd_values(lapack_int k, double *g, double *w, double *work, lapack_int lwork,
                               lapack_int *iwork, lapack_int liwork)
{
    if (k >= RMTK__SYEVD_2STAGE_MIN)
        return LAPACKE_dsyevd_2stage_work(LAPACK_COL_MAJOR, 'N', 'U', k, g, k, w, work, lwork,
                                          iwork, liwork);
    return LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', k, g, k, w, work, lwork, iwork,
                               liwork);
}

struct rmtk_spectrum_plan {
    rmtk_spectrum_params p;
    int64_t big, small;  /* the largest shape served */
    double *a;           /* the converted matrix: big * small, allocated with the plan; in a
                            streaming plan dense_cap doubles, allocated by a dense load and
                            freed after the run */
    uint64_t dense_cap;  /* doubles a holds */
    double *g;           /* small * small: the Gram matrix (values-only routes) */
    double *w;           /* small: eigenvalues */
    double *ua;          /* big * small: left vectors of the tall A (dgesdd jobz 'S'); before
                            that, the copy of A that the values route may overwrite */
    double *vta;         /* small * small: V^T of the tall A, then V (transposed in place) */
    uint64_t *seen;      /* big * small bits: the in-place transposition's bitmap */
    double *work;        /* LAPACK double workspace */
    lapack_int *iwork;   /* LAPACK integer workspace */
    lapack_int lwork, liwork;
    uint64_t bytes;
    int64_t am, an;      /* the loaded matrix: A is am x an */
    int64_t rows, cols;  /* the loaded matrix's shape as W */
    int scale_exp;       /* A holds W^(T) * 2^-scale_exp */
    double eps_d;        /* resolution of the stored values (the contract's rank tolerance) */
    bool transposed;     /* A = W^T */
    bool loaded;
    bool stream;         /* values only and the Gram route allowed: G streamed from the view */
    bool gram_ready;     /* the loaded matrix is G, streamed (A was never converted) */
    bool force_svd;      /* the streamed G failed the contract: the next dense run is dgesdd */
    double *blk;         /* streaming: one block of A (blk_cap doubles) */
    uint64_t blk_cap;
    char errmsg[RMTK_ERRMSG_SIZE];
};

rmtk_spectrum_params rmtk_spectrum_params_default(void)
{
    rmtk_spectrum_params p;
    memset(&p, 0, sizeof p);
    p.method = RMTK_SPECTRUM_AUTO;
    p.vectors = 0;
    p.gram_rtol = 1e-3;
    p.dtype_eps = 0.0;
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
    if (p->a != p->blk)
        rmtk__free(p->a);
    rmtk__free(p->blk);
    rmtk__free(p->g);
    rmtk__free(p->w);
    rmtk__free(p->ua);
    rmtk__free(p->vta);
    rmtk__free(p->seen);
    rmtk__free(p->work);
    rmtk__free(p->iwork);
    rmtk__free(p);
}

/* Whether the values may go through the Gram route / through dgesdd. A plan that computes vectors
 * computes its values exactly as a values-only plan with the same method does. */
static bool plan_may_gram(const rmtk_spectrum_plan *p)
{
    return p->p.method != RMTK_SPECTRUM_SVD;
}

static bool plan_may_svd_values(const rmtk_spectrum_plan *p)
{
    return p->p.method != RMTK_SPECTRUM_GRAM;
}

/* Optimal LAPACK workspace of the routes the plan may take on one matrix A, m x n (lda = m). */
static int shape_workspace(const rmtk_spectrum_plan *p, lapack_int m, lapack_int n,
                           lapack_int *lwork, lapack_int *liwork)
{
    lapack_int k = m < n ? m : n;
    double wq;
    lapack_int iq, info;
    *lwork = 1;
    *liwork = 1;
    if (plan_may_gram(p)) {
        /* both solvers: the plan serves every k below its largest */
        for (lapack_int kk = k; kk > 0; kk = kk >= RMTK__SYEVD_2STAGE_MIN ?
                                                 RMTK__SYEVD_2STAGE_MIN - 1 : 0) {
            info = syevd_values(kk, NULL, NULL, &wq, -1, &iq, -1);
            if (info != 0)
                return RMTK_ERR_LAPACK;
            *lwork = RMTK_MAX(*lwork, (lapack_int)wq);
            *liwork = RMTK_MAX(*liwork, iq);
        }
    }
    for (int v = 0; v < 2; v++) {
        if (v == 0 ? !plan_may_svd_values(p) : !p->p.vectors)
            continue;
        char jobz = v ? 'S' : 'N';
        info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, m, n, NULL, m, NULL, NULL, m, NULL, k,
                                   &wq, -1, NULL);
        if (info != 0)
            return RMTK_ERR_LAPACK;
        *lwork = RMTK_MAX(*lwork, (lapack_int)wq + 1);
        *liwork = RMTK_MAX(*liwork, 8 * k);
    }
    return RMTK_OK;
}

/* dgesdd's switch to the QR (LQ) first path: max side >= floor(11 min side / 6). */
static int64_t gesdd_mnthr(int64_t mn)
{
    return mn * 11 / 6;
}

/* The plan's workspace: the maximum of the optimal sizes over the shapes (min side <= small, max
 * side <= big, both orientations) where each of dgesdd's paths needs most (see the top). */
static int query_workspace(rmtk_spectrum_plan *p, int64_t small, int64_t big)
{
    int64_t cand[3][2];
    size_t nc = 0;
    cand[nc][0] = small, cand[nc][1] = big, nc++;
    /* the direct path's largest shape: min side small, max side just below the switch */
    int64_t mx = RMTK_MIN(big, gesdd_mnthr(small) - 1);
    if (mx >= small)
        cand[nc][0] = small, cand[nc][1] = mx, nc++;
    /* the QR path's largest shape: max side big, the largest min side that still takes it */
    int64_t mn = RMTK_MIN(small, big * 6 / 11 + 1);
    while (mn > 0 && gesdd_mnthr(mn) > big)
        mn--;
    if (mn > 0)
        cand[nc][0] = mn, cand[nc][1] = big, nc++;
    lapack_int lwork = 1, liwork = 1;
    for (size_t c = 0; c < nc; c++)
        for (int t = 0; t < 2; t++) {
            lapack_int m = (lapack_int)cand[c][t], n = (lapack_int)cand[c][1 - t], lw, liw;
            int st = shape_workspace(p, m, n, &lw, &liw);
            if (st)
                return st;
            lwork = RMTK_MAX(lwork, lw);
            liwork = RMTK_MAX(liwork, liw);
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
        !(p.gram_rtol > 0) || !(p.dtype_eps >= 0 && p.dtype_eps < 1))
        return RMTK_ERR_ARG;
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
    int st = query_workspace(pl, pl->small, pl->big);
    if (st) {
        rmtk_spectrum_plan_free(pl);
        return st;
    }
    bool gram = plan_may_gram(pl);
    /* Values only with the Gram route allowed: no dense copy of A is held; G is streamed from
     * the view a block at a time (rmtk__spectrum_load_gram), and A is converted (then freed)
     * only for a matrix whose Gram values fail the contract, or by rmtk_spectrum_load. */
    pl->stream = gram && !p.vectors;
    uint64_t nseen = na / 64 + 1;
    if (pl->stream) {
        pl->blk_cap = RMTK_MIN(na, RMTK_MAX((uint64_t)RMTK__GRAM_BLOCK_DOUBLES,
                                            (uint64_t)RMTK__GRAM_BLOCK_STEP * (uint64_t)pl->small));
        pl->blk = rmtk__malloc_aligned((size_t)pl->blk_cap * sizeof(double));
    } else {
        pl->a = rmtk__malloc_aligned(na * sizeof(double));
        pl->seen = rmtk__malloc_array((size_t)nseen, sizeof(uint64_t));
        pl->dense_cap = na;
    }
    pl->w = rmtk__malloc_array((size_t)pl->small, sizeof(double));
    pl->work = rmtk__malloc_aligned((size_t)pl->lwork * sizeof(double));
    pl->iwork = rmtk__malloc_array((size_t)pl->liwork, sizeof(lapack_int));
    if (gram)
        pl->g = rmtk__malloc_aligned(ng * sizeof(double));
    if (p.vectors) {
        pl->ua = rmtk__malloc_aligned(na * sizeof(double));
        pl->vta = rmtk__malloc_aligned(ng * sizeof(double));
    }
    if ((pl->stream ? !pl->blk : !pl->a || !pl->seen) || !pl->w || !pl->work || !pl->iwork ||
        (gram && !pl->g) || (p.vectors && (!pl->ua || !pl->vta))) {
        rmtk_spectrum_plan_free(pl);
        return RMTK_ERR_NOMEM;
    }
    pl->bytes = 8 * ((pl->stream ? pl->blk_cap : na + nseen) + (gram ? ng : 0) +
                     (p.vectors ? na + ng : 0) + (uint64_t)pl->small + (uint64_t)pl->lwork) +
                sizeof(lapack_int) * (uint64_t)pl->liwork;
    *out = pl;
    return RMTK_OK;
}

/* Convert the view into p->a. Sets *am, *an (A is am x an, column-major, lda = am) and
 * *transposed (A = W^T). Checks every value is finite. */
/* The largest |x_i| of a segment into *amax (running), and whether every x_i is finite. Called on
 * each converted row or column while it is still in cache (one pass over memory, not two). */
static bool scan_segment(const double *x, size_t n, double *amax)
{
    double m = *amax;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]);
        m = a > m ? a : m;
        bad |= !(a <= DBL_MAX);
    }
    *amax = m;
    return !bad;
}

/* A (and the transposition bitmap) for an am x an matrix: the plan's own in a plan that holds
 * one, else allocated here (a streaming plan's dense load; freed after the run by drop_dense). */
static int ensure_dense(rmtk_spectrum_plan *p, uint64_t na)
{
    if (p->a && p->dense_cap >= na)
        return RMTK_OK;
    if (p->a != p->blk)
        rmtk__free(p->a);
    rmtk__free(p->seen);
    p->dense_cap = 0;
    /* a matrix that fits in the block buffer (one block: small matrices) is converted there */
    p->a = na <= p->blk_cap ? p->blk : rmtk__malloc_aligned((size_t)na * sizeof(double));
    p->seen = rmtk__malloc_array((size_t)(na / 64 + 1), sizeof(uint64_t));
    if (!p->a || !p->seen) {
        if (p->a != p->blk)
            rmtk__free(p->a);
        rmtk__free(p->seen);
        p->a = NULL;
        p->seen = NULL;
        return rmtk__fail(p->errmsg, RMTK_ERR_NOMEM, "out of memory for the dense %llu-element "
                          "copy of the matrix (dgesdd)", (unsigned long long)na);
    }
    p->dense_cap = na;
    return RMTK_OK;
}

static void drop_dense(rmtk_spectrum_plan *p)
{
    if (!p->stream)
        return;
    if (p->a != p->blk)
        rmtk__free(p->a);
    rmtk__free(p->seen);
    p->a = NULL;
    p->seen = NULL;
    p->dense_cap = 0;
}

uint64_t rmtk__spectrum_dense_bytes(const rmtk_spectrum_plan *p)
{
    if (!p || !p->stream)
        return 0;
    uint64_t na = (uint64_t)p->big * (uint64_t)p->small;
    return 8 * ((na <= p->blk_cap ? 0 : na) + na / 64 + 1);
}

/* The segments of A: column j of A is row j of W (SEG_ROWS: A = W^T; SEG_QUANT: the same, in
 * whole quantisation blocks) or column j of W (SEG_COLS: column-major storage, A = W). */
enum { SEG_ROWS, SEG_COLS, SEG_QUANT };

static int seg_kind(const rmtk_matrix_view *v, size_t *bel, size_t *bby)
{
    *bel = 1;
    *bby = 0;
    if (rmtk_dtype_block(v->dtype, bel, bby) == RMTK_OK && *bel > 1)
        return SEG_QUANT;
    if (v->row_stride == 1 && v->col_stride != 1 && v->row_group <= 0)
        return SEG_COLS;
    return SEG_ROWS;
}

/* Elements [t0, t0 + n) of column j of A, converted from the view into out (the same
 * conversions as load_matrix: the same doubles). */
static int convert_segment(const rmtk_matrix_view *v, int kind, size_t bel, size_t bby, int64_t j,
                           int64_t t0, size_t n, double *out)
{
    const unsigned char *base = v->data;
    size_t esz = rmtk_dtype_size(v->dtype);
    if (kind == SEG_QUANT) {
        int64_t o = rmtk__view_row_offset(v, j) + t0;
        if (o < 0 || (uint64_t)o % bel)
            return RMTK_ERR_UNSUPPORTED;
        return rmtk_dtype_to_double(v->dtype, 0, base + (size_t)o / bel * bby, n, out);
    }
    if (kind == SEG_COLS)
        return rmtk__convert_strided(v->dtype, v->big_endian,
                                     base + (size_t)(j * v->col_stride + t0) * esz, 1, n, out);
    return rmtk__convert_strided(v->dtype, v->big_endian,
                                 base + (size_t)(rmtk__view_row_offset(v, j) +
                                                 t0 * v->col_stride) * esz,
                                 v->col_stride, n, out);
}

static int load_matrix(rmtk_spectrum_plan *p, rmtk_matrix_view v, int64_t *am, int64_t *an,
                       bool *transposed)
{
    int sta = ensure_dense(p, (uint64_t)v.rows * (uint64_t)v.cols);
    if (sta)
        return sta;
    double amax = 0.0;
    bool finite = true;
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
        for (int64_t i = 0; i < v.rows && !st && finite; i++) {
            double *seg = p->a + (size_t)i * (size_t)v.cols;
            int64_t o = rmtk__view_row_offset(&v, i);
            if (o < 0 || (uint64_t)o % bel)
                st = RMTK_ERR_UNSUPPORTED;
            else
                st = rmtk_dtype_to_double(v.dtype, 0, base + (size_t)o / bel * bby,
                                          (size_t)v.cols, seg);
            finite = st || scan_segment(seg, (size_t)v.cols, &amax);
        }
    } else if (v.row_stride == 1 && v.col_stride != 1 && v.row_group <= 0) {
        /* Column-major storage: column j of W is contiguous; A = W. */
        *transposed = false;
        *am = v.rows;
        *an = v.cols;
        for (int64_t j = 0; j < v.cols && !st && finite; j++) {
            double *seg = p->a + (size_t)j * (size_t)v.rows;
            st = rmtk__convert_strided(v.dtype, v.big_endian,
                                       base + (size_t)(j * v.col_stride) * esz, 1,
                                       (size_t)v.rows, seg);
            finite = st || scan_segment(seg, (size_t)v.rows, &amax);
        }
    } else if (p->p.method == RMTK_SPECTRUM_SVD && v.rows > v.cols &&
               (uint64_t)(p->big * p->small) / 64 + 1 >= (uint64_t)v.cols) {
        /* --exact on a tall row-major view: A = W, tall, directly (dgesdd's orientation; no
         * transposition afterwards, which costs 60 % of dgesdd's time on 22528 x 1024). B rows
         * at a time are converted into the transposition bitmap's memory (unused: A is tall),
         * checked, and scattered into the columns of A. */
        *transposed = false;
        *am = v.rows;
        *an = v.cols;
        double *tmp = (double *)p->seen;
        size_t cap = (size_t)(p->big * p->small) / 64 + 1;
        int64_t nbk = RMTK_MIN(64, (int64_t)(cap / (size_t)v.cols));
        for (int64_t i0 = 0; i0 < v.rows && !st; i0 += nbk) {
            int64_t nb = RMTK_MIN(nbk, v.rows - i0);
            for (int64_t r = 0; r < nb && !st; r++)
                st = rmtk__convert_strided(v.dtype, v.big_endian,
                                           base + (size_t)((i0 + r) * v.row_stride) * esz,
                                           v.col_stride, (size_t)v.cols,
                                           tmp + (size_t)r * (size_t)v.cols);
            size_t nt = (size_t)nb * (size_t)v.cols;
            if (!st && !scan_segment(tmp, nt, &amax))
                for (size_t t = 0; t < nt; t++)
                    if (!isfinite(tmp[t]))
                        return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC, "non-finite value %g at "
                                          "element (%lld, %zu) of the %lld x %lld matrix", tmp[t],
                                          (long long)(i0 + (int64_t)(t / (size_t)v.cols)),
                                          t % (size_t)v.cols, (long long)v.rows,
                                          (long long)v.cols);
            for (int64_t j = 0; j < v.cols && !st; j++)
                for (int64_t r = 0; r < nb; r++)
                    p->a[(size_t)(i0 + r) + (size_t)j * (size_t)v.rows] =
                        tmp[(size_t)r * (size_t)v.cols + (size_t)j];
        }
    } else {
        /* Row i of W becomes column i of A = W^T (contiguous when col_stride == 1). */
        *transposed = true;
        *am = v.cols;
        *an = v.rows;
        for (int64_t i = 0; i < v.rows && !st && finite; i++) {
            double *seg = p->a + (size_t)i * (size_t)v.cols;
            st = rmtk__convert_strided(v.dtype, v.big_endian,
                                       base + (size_t)rmtk__view_row_offset(&v, i) * esz,
                                       v.col_stride, (size_t)v.cols, seg);
            finite = st || scan_segment(seg, (size_t)v.cols, &amax);
        }
    }
    if (st)
        return rmtk__fail(p->errmsg, st, "cannot convert dtype %s", rmtk_dtype_name(v.dtype));
    size_t total = (size_t)(*am) * (size_t)(*an);
    for (size_t t = 0; !finite && t < total; t++) { /* the first non-finite value, named */
        if (!isfinite(p->a[t])) {
            size_t col = t / (size_t)(*am), row = t % (size_t)(*am);
            size_t wi = *transposed ? col : row, wj = *transposed ? row : col;
            return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC,
                              "non-finite value %g at element (%zu, %zu) of the %lld x %lld matrix",
                              p->a[t], wi, wj, (long long)v.rows, (long long)v.cols);
        }
    }
    /* Exact power-of-two scaling of extreme magnitudes (see the top): max|a| = f 2^e, f in
     * [0.5, 1); A <- A 2^-e. Entries below 2^-1074 of the largest vanish: far below its rounding. */
    p->scale_exp = 0;
    int e = 0;
    if (amax > 0) {
        (void)frexp(amax, &e);
        if (e > RMTK__SCALE_EXP || e < -RMTK__SCALE_EXP) {
            p->scale_exp = e;
            for (size_t t = 0; t < total; t++)
                p->a[t] = ldexp(p->a[t], -e);
        }
    }
    return RMTK_OK;
}

/* The accuracy contract (see the top) on the Gram values sv[0..k) (largest first) of the loaded
 * rows x cols matrix, delta the bound on every lambda_i, f = gram_rtol, eps_d the stored dtype's
 * resolution. tol is the analysis's rank tolerance (rmtk__rank_tol in analysis.c, the same
 * formula). The local spacing s_i = (sv[lo] - sv[hi]) / (hi - lo), lo = max(0, i - H),
 * hi = min(r - 1, i + H), H = 8: the mean of up to 16 neighbouring spacings (one spacing of a
 * Poisson-like spectrum can be arbitrarily small; the unfolded statistics measure spacings in
 * units of the local mean). O(k). */
#define RMTK__CONTRACT_HALF_WINDOW 8
static bool gram_contract(const double *sv, int64_t k, int64_t rows, int64_t cols, double delta,
                          double f, double eps_d)
{
    if (!(sv[0] > 0))
        return true; /* the zero matrix: exact on every route */
    double fro2 = 0.0;
    for (int64_t i = 0; i < k; i++)
        fro2 += sv[i] * sv[i];
    double n = (double)rows, m = (double)cols;
    double tol = sv[0] * RMTK_MAX(n, m) * DBL_EPSILON +
                 eps_d / sqrt(3.0) * sqrt(fro2 / (n * m)) * (sqrt(n) + sqrt(m));
    int64_t r = 0;
    while (r < k && sv[r] > tol)
        r++;
    if (r < k && sv[r] * sv[r] + delta > tol * tol)
        return false; /* (3) a value set aside might be above tol */
    if (r == 0)
        return true;
    if (sv[r - 1] - delta / sv[r - 1] <= tol)
        return false; /* (2) the smallest used value might be below tol */
    for (int64_t i = 0; i < r; i++) { /* (1) */
        int64_t lo = RMTK_MAX(0, i - RMTK__CONTRACT_HALF_WINDOW);
        int64_t hi = RMTK_MIN(r - 1, i + RMTK__CONTRACT_HALF_WINDOW);
        double s = sv[i]; /* r == 1: relative accuracy only */
        if (hi > lo)
            s = RMTK_MIN(s, (sv[lo] - sv[hi]) / (double)(hi - lo));
        if (!(delta / sv[i] <= f * s))
            return false;
    }
    return true;
}

/* One block of the Gram accumulation (see RMTK__GRAM_BLOCK_DOUBLES): x holds A's columns
 * [t0, t0 + n) (am <= an: G += X X^T, X am x n) or A's rows [t0, t0 + n) (am > an: G += X^T X,
 * X n x an), with leading dimension ld; first: beta = 0. */
static void gram_add(rmtk_spectrum_plan *p, int64_t am, int64_t an, const double *x, int64_t n,
                     int64_t ld, bool first)
{
    int64_t k = RMTK_MIN(am, an);
    double beta = first ? 0.0 : 1.0;
    if (am <= an) /* G = A A^T (am x am) */
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)am, (int)n, 1.0, x, (int)ld,
                    beta, p->g, (int)k);
    else /* G = A^T A (an x an) */
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)an, (int)n, 1.0, x, (int)ld, beta,
                    p->g, (int)k);
}

/* G from the dense A (am x an, lda am), in the blocks the streamed route cuts. */
static void gram_dense(rmtk_spectrum_plan *p, int64_t am, int64_t an)
{
    int64_t k = RMTK_MIN(am, an), len = RMTK_MAX(am, an), nb = gram_block(k);
    for (int64_t t0 = 0; t0 < len; t0 += nb) {
        int64_t n = RMTK_MIN(nb, len - t0);
        gram_add(p, am, an, am <= an ? p->a + (size_t)t0 * (size_t)am : p->a + t0, n, am,
                 t0 == 0);
    }
}

/* G streamed from the view, one block of A at a time into p->blk: the doubles of load_matrix
 * (the same conversions, the same finiteness check, the same power-of-two scaling: when the
 * largest entry turns out to be outside the range, a second pass with the scale), the blocks of
 * gram_dense. The full A is never formed. Sets p->am, p->an, p->transposed, p->scale_exp. */
static int stream_gram(rmtk_spectrum_plan *p, const rmtk_matrix_view *v)
{
    size_t bel, bby;
    int kind = seg_kind(v, &bel, &bby);
    if (kind == SEG_QUANT && (v->col_stride != 1 || v->row_stride < 0 ||
                              (uint64_t)v->cols % bel || (uint64_t)v->row_stride % bel))
        return rmtk__fail(p->errmsg, RMTK_ERR_UNSUPPORTED, "cannot convert dtype %s",
                          rmtk_dtype_name(v->dtype));
    bool tr = kind != SEG_COLS;
    int64_t am = tr ? v->cols : v->rows, an = tr ? v->rows : v->cols;
    int64_t k = RMTK_MIN(am, an), len = RMTK_MAX(am, an), nb = gram_block(k);
    p->am = am;
    p->an = an;
    p->transposed = tr;
    p->scale_exp = 0;
    /* Native doubles with contiguous rows need no conversion: dsyrk reads each block in place
     * (leading dimension row_stride; dsyrk packs its operand, so the sums are those of the
     * converted block, bitwise). Only scanned here (finite, largest entry); a block with a
     * non-finite value, or a second pass (scaled), goes through the conversion instead. */
    bool direct = v->dtype == RMTK_DTYPE_F64 && !v->big_endian && kind == SEG_ROWS &&
                  v->col_stride == 1 && v->row_group <= 0 && v->row_stride >= v->cols &&
                  (uintptr_t)v->data % sizeof(double) == 0;
    for (int pass = 0; pass < 2; pass++) {
        double amax = 0.0;
        for (int64_t t0 = 0; t0 < len; t0 += nb) {
            int64_t n = RMTK_MIN(nb, len - t0);
            if (direct && p->scale_exp == 0) {
                const double *w = v->data;
                int64_t ld = v->row_stride;
                /* am <= an: W's rows [t0, t0 + n) (A's columns); else W's columns [t0, t0 + n)
                 * of every row (A's rows) */
                const double *x0 = am <= an ? w + (size_t)t0 * (size_t)ld : w + t0;
                int64_t segs = am <= an ? n : an, seglen = am <= an ? am : n;
                bool finite = true;
                for (int64_t s = 0; s < segs; s++)
                    finite &= scan_segment(x0 + (size_t)s * (size_t)ld, (size_t)seglen, &amax);
                if (finite) {
                    gram_add(p, am, an, x0, n, ld, t0 == 0);
                    continue;
                }
            }
            double *x = p->blk;
            int st = RMTK_OK;
            if (am <= an) /* A's columns [t0, t0 + n), whole: x is am x n */
                for (int64_t s = 0; s < n && !st; s++)
                    st = convert_segment(v, kind, bel, bby, t0 + s, 0, (size_t)am,
                                         x + (size_t)s * (size_t)am);
            else /* A's rows [t0, t0 + n) of every column: x is n x an */
                for (int64_t j = 0; j < an && !st; j++)
                    st = convert_segment(v, kind, bel, bby, j, t0, (size_t)n,
                                         x + (size_t)j * (size_t)n);
            if (st)
                return rmtk__fail(p->errmsg, st, "cannot convert dtype %s",
                                  rmtk_dtype_name(v->dtype));
            size_t nt = (size_t)n * (size_t)k;
            if (!scan_segment(x, nt, &amax))
                for (size_t t = 0; t < nt; t++)
                    if (!isfinite(x[t])) {
                        size_t ld = (size_t)(am <= an ? am : n);
                        int64_t ai = (int64_t)(t % ld), aj = (int64_t)(t / ld);
                        if (am <= an)
                            aj += t0;
                        else
                            ai += t0;
                        return rmtk__fail(p->errmsg, RMTK_ERR_NUMERIC, "non-finite value %g at "
                                          "element (%lld, %lld) of the %lld x %lld matrix", x[t],
                                          (long long)(tr ? aj : ai), (long long)(tr ? ai : aj),
                                          (long long)v->rows, (long long)v->cols);
                    }
            if (p->scale_exp != 0)
                for (size_t t = 0; t < nt; t++)
                    x[t] = ldexp(x[t], -p->scale_exp);
            gram_add(p, am, an, x, n, am <= an ? am : n, t0 == 0);
        }
        int e = 0;
        if (pass > 0 || !(amax > 0))
            break;
        (void)frexp(amax, &e);
        if (e <= RMTK__SCALE_EXP && e >= -RMTK__SCALE_EXP)
            break;
        p->scale_exp = e; /* see load_matrix: again, scaled */
    }
    return RMTK_OK;
}

/* Values through the Gram matrix (formed here from the dense A unless streamed). Returns whether
 * the accuracy contract accepts the result. */
static bool gram_values(rmtk_spectrum_plan *p, int64_t am, int64_t an, double *sv, double *bound,
                        int *st)
{
    int64_t k = RMTK_MIN(am, an);
    if (!p->gram_ready)
        gram_dense(p, am, an);
    /* the workspace queried for this k (the same blocking whatever the plan's largest shape) */
    double wq;
    lapack_int iq, info;
    info = syevd_values((lapack_int)k, NULL, NULL, &wq, -1, &iq, -1);
    if (info == 0 && ((lapack_int)wq > p->lwork || iq > p->liwork))
        info = -8;
    if (info == 0)
        info = syevd_values((lapack_int)k, p->g, p->w, p->work, (lapack_int)wq, p->iwork, iq);
    if (info != 0) {
        *st = rmtk__fail(p->errmsg, RMTK_ERR_LAPACK, "%s failed (info %d) on a %lld x %lld "
                         "Gram matrix", k >= RMTK__SYEVD_2STAGE_MIN ? "dsyevd_2stage" : "dsyevd",
                         (int)info, (long long)k, (long long)k);
        return false;
    }
    double lmax = p->w[k - 1] > 0 ? p->w[k - 1] : 0.0;
    double delta = RMTK__GRAM_C * (double)(am + an) * DBL_EPSILON * lmax;
    for (int64_t i = 0; i < k; i++) {
        double l = p->w[k - 1 - i];
        sv[i] = l > 0 ? sqrt(l) : 0.0;
    }
    bool ok = gram_contract(sv, k, p->rows, p->cols, delta, p->p.gram_rtol, p->eps_d);
    *bound = delta;
    *st = RMTK_OK;
    return ok;
}

/* In-place transposition of the column-major m x n matrix a into the column-major n x m one: the
 * element at t = i + j m moves to j + i n (0 and m n - 1 stay). Cycle following: each cycle of the
 * permutation is rotated once, a bitmap marks the elements already placed (Cate & Twigg 1977).
 * One pass over the matrix, but with a random access per element: about 1 s for 23M doubles. */
static void transpose_inplace(double *a, uint64_t m, uint64_t n, uint64_t *seen)
{
    uint64_t nn = m * n;
    if (m == 1 || n == 1)
        return; /* a vector: the same layout */
    memset(seen, 0, sizeof(uint64_t) * (size_t)(nn / 64 + 1));
    for (uint64_t s = 1; s + 1 < nn; s++) {
        if ((seen[s >> 6] >> (s & 63)) & 1)
            continue;
        uint64_t t = s;
        double val = a[s];
        do {
            uint64_t d = t / m + (t % m) * n;
            double nxt = a[d];
            a[d] = val;
            seen[d >> 6] |= 1ull << (d & 63);
            val = nxt;
            t = d;
        } while (t != s);
    }
}

/* Out-of-place transposition: src column-major m x n into dst column-major n x m, in tiles. */
static void transpose_copy(const double *src, double *dst, int64_t m, int64_t n)
{
    enum { T = 32 };
    for (int64_t j0 = 0; j0 < n; j0 += T)
        for (int64_t i0 = 0; i0 < m; i0 += T) {
            int64_t j1 = RMTK_MIN(n, j0 + T), i1 = RMTK_MIN(m, i0 + T);
            for (int64_t j = j0; j < j1; j++)
                for (int64_t i = i0; i < i1; i++)
                    dst[j + i * n] = src[i + j * m];
        }
}

/* Makes the loaded A tall (am >= an) for dgesdd: from the copy src (the original A) when given,
 * else in place. Flips p->transposed (A = W or W^T) accordingly. */
static void make_tall(rmtk_spectrum_plan *p, const double *src)
{
    if (p->am >= p->an)
        return;
    if (src)
        transpose_copy(src, p->a, p->am, p->an);
    else
        transpose_inplace(p->a, (uint64_t)p->am, (uint64_t)p->an, p->seen);
    int64_t t = p->am;
    p->am = p->an;
    p->an = t;
    p->transposed = !p->transposed;
}

/* dgesdd on the loaded A (overwritten), jobz 'N' (values into sv) or 'S' (also ua, vta), with
 * the workspace queried for this shape (the same blocking whatever the plan's largest shape). */
static int run_gesdd(rmtk_spectrum_plan *p, char jobz, double *sv)
{
    lapack_int lm = (lapack_int)p->am, ln = (lapack_int)p->an;
    lapack_int lk = lm < ln ? lm : ln;
    bool vec = jobz == 'S';
    double wq;
    lapack_int linfo = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, lm, ln, NULL, lm, NULL, NULL,
                                           lm, NULL, lk, &wq, -1, NULL);
    lapack_int lwork = (lapack_int)wq + 1;
    if (linfo != 0 || lwork > p->lwork || 8 * lk > p->liwork)
        return rmtk__fail(p->errmsg, RMTK_ERR_INTERNAL, "dgesdd (jobz %c) on a %lld x %lld "
                          "matrix needs a workspace of %lld doubles, the plan holds %lld "
                          "(query info %d)", jobz, (long long)p->rows, (long long)p->cols,
                          (long long)lwork, (long long)p->lwork, (int)linfo);
    linfo = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, lm, ln, p->a, lm, sv, vec ? p->ua : NULL,
                                lm, vec ? p->vta : NULL, lk, p->work, lwork, p->iwork);
    if (linfo != 0)
        return rmtk__fail(p->errmsg, RMTK_ERR_LAPACK, "dgesdd (jobz %c) failed (info %d) on a "
                          "%lld x %lld matrix", jobz, (int)linfo, (long long)p->rows,
                          (long long)p->cols);
    return RMTK_OK;
}

/* The checks of a load (p->loaded cleared; the error message reset). */
static int check_view(rmtk_spectrum_plan *p, rmtk_matrix_view v)
{
    if (!p || !v.data)
        return RMTK_ERR_ARG;
    p->errmsg[0] = '\0';
    p->loaded = false;
    p->gram_ready = false;
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
    return RMTK_OK;
}

/* A dense load keeps force_svd (set by a streamed run whose Gram values failed the contract:
 * the run after this load goes straight to dgesdd). */
int rmtk_spectrum_load(rmtk_spectrum_plan *p, rmtk_matrix_view v)
{
    int st = check_view(p, v);
    if (st)
        return st;
    st = load_matrix(p, v, &p->am, &p->an, &p->transposed);
    if (st)
        return st;
    p->rows = v.rows;
    p->cols = v.cols;
    p->eps_d = p->p.dtype_eps > 0 ? p->p.dtype_eps : rmtk_dtype_eps(v.dtype);
    p->loaded = true;
    return RMTK_OK;
}

int rmtk__spectrum_load_gram(rmtk_spectrum_plan *p, rmtk_matrix_view v)
{
    if (!p || !p->stream || p->p.method == RMTK_SPECTRUM_SVD)
        return rmtk_spectrum_load(p, v);
    int st = check_view(p, v);
    if (st)
        return st;
    p->force_svd = false;
    if ((st = stream_gram(p, &v)))
        return st;
    p->rows = v.rows;
    p->cols = v.cols;
    p->eps_d = p->p.dtype_eps > 0 ? p->p.dtype_eps : rmtk_dtype_eps(v.dtype);
    p->gram_ready = true;
    p->loaded = true;
    return RMTK_OK;
}

/* Values of the loaded A (overwritten) into sv by the values route: the Gram route when the
 * method and the accuracy contract allow, else dgesdd jobz 'N' (tall). The same for every plan. */
static int values_route(rmtk_spectrum_plan *p, const double *orig, double *sv,
                        rmtk_spectrum_info *inf)
{
    int64_t am = p->am, an = p->an, k = RMTK_MIN(am, an);
    int st = RMTK_OK;
    if (plan_may_gram(p) && !p->force_svd) {
        double bound = 0.0;
        bool ok = gram_values(p, am, an, sv, &bound, &st);
        if (st)
            return st;
        if (ok || p->p.method == RMTK_SPECTRUM_GRAM) {
            inf->method = RMTK_SPECTRUM_GRAM;
            inf->err_bound = bound;
            return RMTK_OK;
        }
        if (p->gram_ready) { /* streamed: dgesdd needs the dense A, which the caller loads */
            p->force_svd = true;
            return RMTK__NEED_DENSE;
        }
    }
    if (plan_may_gram(p))
        inf->fallback = 1;
    p->force_svd = false;
    make_tall(p, orig); /* orig: a copy of A (the vectors' copy), else in place */
    st = run_gesdd(p, 'N', sv);
    if (st)
        return st;
    inf->method = RMTK_SPECTRUM_SVD;
    inf->err_bound = (double)k * DBL_EPSILON * sv[0] * sv[0];
    return RMTK_OK;
}

/* rmtk_spectrum_run, with the vectors (when want_vectors) left in the plan: *uo, *vo (vector j
 * at + j rows, + j cols). The values route first (a copy of A kept in ua, since dgesdd 'N'
 * overwrites A; the Gram route leaves A intact), then dgesdd 'S' on the tall A: A = U_A S V_A^T
 * with U_A (am x k) in ua and V_A^T (k x k, square since A is tall) in vta, transposed in place
 * into V_A. A = W: u = U_A, v = V_A; A = W^T: W = V_A S U_A^T, u = V_A, v = U_A. */
static int run_keep(rmtk_spectrum_plan *p, double *sv, bool want_vectors, const double **uo,
                    const double **vo, rmtk_spectrum_info *info);

int rmtk__spectrum_run_keep(rmtk_spectrum_plan *p, double *sv, bool want_vectors,
                            const double **uo, const double **vo, rmtk_spectrum_info *info)
{
    if (!p || !sv || (want_vectors && (!p->p.vectors || !uo || !vo)))
        return RMTK_ERR_ARG;
    int st = run_keep(p, sv, want_vectors, uo, vo, info);
    p->gram_ready = false;
    drop_dense(p); /* a streaming plan holds the dense A for one run only */
    return st;
}

static int run_keep(rmtk_spectrum_plan *p, double *sv, bool want_vectors, const double **uo,
                    const double **vo, rmtk_spectrum_info *info)
{
    if (!p->loaded)
        return rmtk__fail(p->errmsg, RMTK_ERR_ARG, "no matrix loaded (rmtk_spectrum_load)");
    p->loaded = false;
    int64_t am = p->am, an = p->an, k = RMTK_MIN(am, an);
    bool transposed0 = p->transposed;
    rmtk_spectrum_info inf = {RMTK_SPECTRUM_SVD, 0, k, 0.0};
    size_t na = (size_t)am * (size_t)an;
    if (want_vectors)
        memcpy(p->ua, p->a, na * sizeof(double));
    int st = values_route(p, want_vectors ? p->ua : NULL, sv, &inf);
    if (st)
        return st;
    if (want_vectors) {
        /* The vectors from a separate dgesdd 'S' on the original A; its values (into w) are not
         * returned, so sv is bitwise what a values-only plan gives. */
        bool intact = inf.method == RMTK_SPECTRUM_GRAM; /* dsyrk reads A only */
        p->am = am;
        p->an = an;
        p->transposed = transposed0;
        if (am < an)
            make_tall(p, p->ua);
        else if (!intact)
            memcpy(p->a, p->ua, na * sizeof(double));
        st = run_gesdd(p, 'S', p->w);
        if (st)
            return st;
        int64_t kk = p->an; /* = k: A is tall */
        double *vt = p->vta;
        for (int64_t j = 0; j < kk; j++) /* V^T (ldvt = k) -> V, vector j at vt + j k */
            for (int64_t i = j + 1; i < kk; i++) {
                double t = vt[i + j * kk];
                vt[i + j * kk] = vt[j + i * kk];
                vt[j + i * kk] = t;
            }
        *uo = p->transposed ? p->vta : p->ua;
        *vo = p->transposed ? p->ua : p->vta;
    }
    if (p->scale_exp != 0) {
        /* Undo the power-of-two scaling of A (exact unless a value leaves the double range). */
        if (!(ldexp(sv[0], p->scale_exp) <= DBL_MAX))
            return rmtk__fail(p->errmsg, RMTK_ERR_RANGE, "the largest singular value %.17g * "
                              "2^%d of the %lld x %lld matrix overflows a double", sv[0],
                              p->scale_exp, (long long)p->rows, (long long)p->cols);
        for (int64_t i = 0; i < k; i++)
            sv[i] = ldexp(sv[i], p->scale_exp);
        inf.err_bound = ldexp(inf.err_bound, 2 * p->scale_exp);
    }
    if (info)
        *info = inf;
    return RMTK_OK;
}

double *rmtk__spectrum_spare(rmtk_spectrum_plan *p)
{
    return p && p->p.vectors ? p->ua : NULL;
}

int rmtk_spectrum_run(rmtk_spectrum_plan *p, double *sv, double *u, double *vv,
                      rmtk_spectrum_info *info)
{
    if (!p || !sv)
        return RMTK_ERR_ARG;
    bool want_vectors = p->p.vectors && (u || vv);
    const double *pu = NULL, *pv = NULL;
    int64_t rows = p->rows, cols = p->cols, k = RMTK_MIN(rows, cols);
    int st = rmtk__spectrum_run_keep(p, sv, want_vectors, &pu, &pv, info);
    if (st || !want_vectors)
        return st;
    if (u)
        memcpy(u, pu, sizeof(double) * (size_t)rows * (size_t)k);
    if (vv)
        memcpy(vv, pv, sizeof(double) * (size_t)cols * (size_t)k);
    return RMTK_OK;
}

int rmtk_spectrum_execute(rmtk_spectrum_plan *p, rmtk_matrix_view v, double *sv, double *u,
                          double *vv, rmtk_spectrum_info *info)
{
    if (!sv)
        return RMTK_ERR_ARG;
    /* A streaming plan forms G from the view directly; the dense A only when the contract sends
     * the matrix to dgesdd. */
    int st = rmtk__spectrum_load_gram(p, v);
    if (!st)
        st = rmtk_spectrum_run(p, sv, u, vv, info);
    if (st == RMTK__NEED_DENSE) {
        st = rmtk_spectrum_load(p, v);
        if (!st)
            st = rmtk_spectrum_run(p, sv, u, vv, info);
    }
    return st;
}
