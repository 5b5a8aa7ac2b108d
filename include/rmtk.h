/*
 * rmtk.h: the public interface of librmtk, a random-matrix toolkit for neural networks.
 *
 * This header is the manual. Every function says what it computes, who owns each pointer and for
 * how long, which status codes it returns and whether it is thread-safe. Anything not declared
 * here is private to the library.
 *
 * Conventions (see STYLE.md of the project):
 *  - Every fallible function returns an int status; RMTK_OK (0) is success. Results go through
 *    out parameters. Status codes are appended, never renumbered.
 *  - File-backed handles are opened with *_open and released with *_close; plans and workspaces
 *    with *_alloc / *_free. Every destructor accepts NULL.
 *  - Error detail lives on the handle (rmtk_model_errmsg, ...), never in globals. The library never
 *    prints and never aborts on bad input.
 *  - The caller owns inputs and output buffers. Variable-size outputs are "ask the size, then fill".
 *  - Parameter structs come with rmtk_<x>_params_default(); start from it and change fields.
 *  - Functions without a handle are thread-safe. A handle may be used by one thread at a time
 *    unless its functions say otherwise.
 *  - Arrays of levels are double precision. Singular values are reported largest first; level
 *    statistics take them in any order and sort their own copies where they need to.
 */
#ifndef RMTK_H
#define RMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RMTK_BUILDING)
#define RMTK_API __attribute__((visibility("default")))
#else
#define RMTK_API
#endif

/* =========================================================================================== */
/* Status codes and version                                                                     */
/* =========================================================================================== */

enum rmtk_status {
    RMTK_OK = 0,
    RMTK_ERR_NOMEM = 1,       /* an allocation failed */
    RMTK_ERR_IO = 2,          /* a file could not be opened, read, mapped or written */
    RMTK_ERR_FORMAT = 3,      /* a file is malformed (the message names file, tensor, offset) */
    RMTK_ERR_UNSUPPORTED = 4, /* well-formed input that rmtk does not handle (dtype, feature) */
    RMTK_ERR_ARG = 5,         /* an invalid argument (NULL, size, out-of-range parameter) */
    RMTK_ERR_NOTFOUND = 6,    /* a named tensor or item does not exist */
    RMTK_ERR_LAPACK = 7,      /* LAPACK reported an error or did not converge */
    RMTK_ERR_RANGE = 8,       /* a size or offset overflows, or a buffer is too small */
    RMTK_ERR_NUMERIC = 9,     /* data degenerate for the statistic (too few values, zero variance,
                                 a fit that did not converge); the result is not a number to use */
    RMTK_ERR_INTERNAL = 10    /* a broken internal invariant (a bug: please report it) */
};

/* A static English message for a status code (never NULL; unknown codes get a generic text). */
RMTK_API const char *rmtk_status_str(int status);

/* The library version as "MAJOR.MINOR.PATCH" (static storage). */
RMTK_API const char *rmtk_version(void);

/* =========================================================================================== */
/* Memory: the allocation funnel's test hook                                                    */
/* =========================================================================================== */

/* For tests: make the n-th allocation from now fail (n = 1 is the next one); n = 0 disables
 * fault injection. Returns the number of allocations made since the last call. Not thread-safe:
 * call it only while no other thread uses the library. */
RMTK_API uint64_t rmtk_alloc_fail_after(uint64_t n);

/* =========================================================================================== */
/* Random numbers: a counter-based generator (Philox4x32-10)                                    */
/* =========================================================================================== */

/* The value of draw number i of stream s under seed k is a pure function of (k, s, i), so results
 * do not depend on how work is split across threads. The state is a small public struct that
 * the caller owns; it may live on the stack. A state is used by one thread at a time. */
typedef struct rmtk_rng {
    uint64_t seed;    /* the key */
    uint64_t stream;  /* an independent stream per (seed, stream) */
    uint64_t counter; /* index of the next block of 4 x 32 random bits */
    uint32_t buf[4];  /* the current block */
    uint32_t used;    /* words of buf consumed (4 = empty) */
    uint32_t pad;
} rmtk_rng;

/* Initialise a generator at the start of (seed, stream). */
RMTK_API void rmtk_rng_init(rmtk_rng *r, uint64_t seed, uint64_t stream);
/* Move to block index `counter` (each block is 4 x 32 bits). */
RMTK_API void rmtk_rng_seek(rmtk_rng *r, uint64_t counter);
/* Next 32 random bits / 64 random bits. */
RMTK_API uint32_t rmtk_rng_u32(rmtk_rng *r);
RMTK_API uint64_t rmtk_rng_u64(rmtk_rng *r);
/* Uniform on the open interval (0, 1) with 53 random bits. */
RMTK_API double rmtk_rng_uniform(rmtk_rng *r);
/* Standard normal (Box-Muller on two uniforms; each call consumes one 64-bit block pair). */
RMTK_API double rmtk_rng_normal(rmtk_rng *r);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
RMTK_API uint64_t rmtk_rng_below(rmtk_rng *r, uint64_t n);
/* Fill x[0..n) with standard normals whose element j is draw (start + j) of (seed, stream):
 * element values are independent of how a long array is split into calls. */
RMTK_API void rmtk_rng_fill_normal(uint64_t seed, uint64_t stream, uint64_t start, double *x,
                                   size_t n);

/* =========================================================================================== */
/* Basic statistics on 1-D data (module stats)                                                  */
/* =========================================================================================== */

/* Sort x[0..n) ascending in place (NaNs last). Thread-safe. */
RMTK_API void rmtk_sort(double *x, size_t n);

/* A cumulative distribution function F(x; params) for one-sample tests. */
typedef double (*rmtk_cdf_fn)(double x, const void *params);

/* Two-sided one-sample Kolmogorov-Smirnov statistic of sorted data x[0..n) (ascending) against
 * the continuous CDF F: D = max_i max(F(x_i) - i/n, (i+1)/n - F(x_i)). Returns RMTK_ERR_ARG when
 * n == 0 or a pointer is NULL. */
RMTK_API int rmtk_ks_statistic(const double *x_sorted, size_t n, rmtk_cdf_fn cdf,
                               const void *params, double *d);

/* P(D_n >= d) for the two-sided one-sample KS statistic under the null (continuous F).
 * Exact for n <= 1000 (Marsaglia-Tsang-Wang 2003 matrix method, as scipy's 'exact' mode),
 * asymptotic Kolmogorov distribution with Stephens' correction
 * lambda = (sqrt n + 0.12 + 0.11/sqrt n) d beyond (REF: methods.md 4.10). Thread-safe. */
RMTK_API double rmtk_ks_pvalue(size_t n, double d);

/* Kolmogorov's limiting survival function Q(lambda) = 2 sum_{j>=1} (-1)^{j-1} exp(-2 j^2 lambda^2). */
RMTK_API double rmtk_kolmogorov_sf(double lambda);

/* Two-sample KS statistic of sorted samples a[0..na), b[0..nb). */
RMTK_API int rmtk_ks2_statistic(const double *a_sorted, size_t na, const double *b_sorted,
                                size_t nb, double *d);

/* Wasserstein-1 (earth mover's) distance between the empirical distributions of sorted samples
 * a[0..na) and b[0..nb): integral |F_a - F_b| dx. */
RMTK_API int rmtk_wasserstein1(const double *a_sorted, size_t na, const double *b_sorted,
                               size_t nb, double *w);

/* Mean and unbiased standard deviation of x[0..n) (sd = 0 when n < 2). */
RMTK_API int rmtk_mean_sd(const double *x, size_t n, double *mean, double *sd);

/* Quantile of sorted data by linear interpolation between order statistics (numpy's default,
 * 'linear'); p in [0, 1]. */
RMTK_API int rmtk_quantile_sorted(const double *x_sorted, size_t n, double p, double *q);

/* =========================================================================================== */
/* Quadrature and Fredholm determinants (module quad)                                           */
/* =========================================================================================== */

/* Gauss-Legendre nodes x[0..n) and weights w[0..n) on [a, b] (Newton on P_n, exact to ~1e-15).
 * Thread-safe. */
RMTK_API int rmtk_gauss_legendre(size_t n, double a, double b, double *x, double *w);

/* Gauss-Hermite nodes and weights for the standard normal weight exp(-x^2/2)/sqrt(2 pi), so that
 * sum_i w[i] f(x[i]) approximates E f(gamma), gamma ~ N(0, 1). n <= 300. Thread-safe. */
RMTK_API int rmtk_gauss_hermite_normal(size_t n, double *x, double *w);

/* A kernel K(x, y; params) of an integral operator. */
typedef double (*rmtk_kernel_fn)(double x, double y, const void *params);

/* det(I - z K) on L^2(a, b) by Bornemann's Nystrom method with an m-point Gauss-Legendre rule:
 * det(delta_ij - z sqrt(w_i) K(x_i, x_j) sqrt(w_j)). Converges exponentially for analytic
 * kernels (m = 40 gives ~5 digits for the sine kernel on (0, 3), more for larger m).
 * REF: F. Bornemann, Math. Comp. 79 (2010) 871. Thread-safe. */
RMTK_API int rmtk_fredholm_det(rmtk_kernel_fn kernel, const void *params, double a, double b,
                               double z, size_t m, double *det);

/* =========================================================================================== */
/* Data types (module dtype)                                                                    */
/* =========================================================================================== */

/* Element types of stored tensors. Values are appended, never renumbered. */
enum rmtk_dtype {
    RMTK_DTYPE_F64 = 0,
    RMTK_DTYPE_F32 = 1,
    RMTK_DTYPE_F16 = 2,     /* IEEE 754 binary16 */
    RMTK_DTYPE_BF16 = 3,    /* bfloat16: the top 16 bits of a binary32 */
    RMTK_DTYPE_F8_E4M3 = 4, /* OCP FP8 E4M3 "fn": no infinities, S.1111.111 is NaN, max 448 */
    RMTK_DTYPE_F8_E5M2 = 5, /* OCP FP8 E5M2: IEEE-like, with infinities and NaNs */
    RMTK_DTYPE_I8 = 6,
    RMTK_DTYPE_I16 = 7,
    RMTK_DTYPE_I32 = 8,
    RMTK_DTYPE_I64 = 9,
    RMTK_DTYPE_U8 = 10,
    RMTK_DTYPE_U16 = 11,
    RMTK_DTYPE_U32 = 12,
    RMTK_DTYPE_U64 = 13,
    RMTK_DTYPE_BOOL = 14,   /* listed, never analysed (not numeric data) */
    RMTK_DTYPE_OTHER = 15   /* a type rmtk does not convert (complex, strings, objects, ...) */
};

/* The dtype's name in safetensors spelling ("F32", "BF16", "F8_E4M3", "I64", "BOOL", ...). */
RMTK_API const char *rmtk_dtype_name(int dtype);
/* Bytes per element (0 for RMTK_DTYPE_OTHER or an unknown value). */
RMTK_API size_t rmtk_dtype_size(int dtype);
/* 1 when values of the dtype convert to double (floats and integers), else 0. */
RMTK_API int rmtk_dtype_is_numeric(int dtype);
/* Convert n contiguous elements at src (little-endian, or big-endian when big_endian != 0) to
 * double. Exact for every dtype except I64/U64 magnitudes above 2^53 (rounded to nearest).
 * Returns RMTK_ERR_UNSUPPORTED for BOOL/OTHER, RMTK_ERR_ARG for NULL pointers. Thread-safe. */
RMTK_API int rmtk_dtype_to_double(int dtype, int big_endian, const void *src, size_t n,
                                  double *dst);

/* =========================================================================================== */
/* Models: checkpoint files and their tensors (modules model, read-*)                           */
/* =========================================================================================== */

#define RMTK_MAX_DIMS 8

/* What rmtk knows of one stored tensor, without reading its bytes. */
typedef struct rmtk_tensor_info {
    const char *name;      /* owned by the model; valid until rmtk_model_close */
    const char *file;      /* path of the file that holds the bytes; owned by the model */
    const char *dtype_str; /* the dtype as the file spells it ("BF16", "<f4", ">i8"); owned */
    int32_t dtype;         /* enum rmtk_dtype */
    int32_t ndim;          /* 0 for a scalar */
    int64_t shape[RMTK_MAX_DIMS];
    uint64_t numel;        /* product of the shape (1 for a scalar) */
    uint64_t nbytes;       /* bytes of the (uncompressed) data = numel * dtype size; for
                              RMTK_DTYPE_OTHER the stored byte count */
    uint64_t offset;       /* byte offset of the data in file (for a deflated .npz member: of
                              the member's compressed data) */
    int32_t big_endian;    /* 1 when the stored elements are big-endian */
    int32_t fortran_order; /* 1 when stored column-major (NumPy fortran_order) */
} rmtk_tensor_info;

/* An open checkpoint: one file, a sharded set, or a directory of shards. */
typedef struct rmtk_model rmtk_model;

/* Open a checkpoint and index its tensors (names, dtypes, shapes, offsets) without reading any
 * tensor bytes. path may be: a .safetensors file; a sharded index (*.safetensors.index.json);
 * a directory holding *.safetensors shards; a .npy file (one tensor, named after the file's
 * stem); a .npz archive (one tensor per member, stored or deflated, zip64 allowed).
 * The format is detected from the file's bytes, not its name.
 * On return *out is set whenever memory allowed: on failure it holds the error message
 * (rmtk_model_errmsg) naming the file, the tensor, the byte offset and the values involved; close
 * it in every case. Returns RMTK_OK, RMTK_ERR_IO, RMTK_ERR_FORMAT, RMTK_ERR_UNSUPPORTED,
 * RMTK_ERR_RANGE, RMTK_ERR_NOMEM, RMTK_ERR_ARG, or RMTK_ERR_NOTFOUND (a directory without
 * shards). What is validated: docs/formats.md. */
RMTK_API int rmtk_model_open(const char *path, rmtk_model **out);
/* Release the model, its index and any mapping. Accepts NULL. */
RMTK_API void rmtk_model_close(rmtk_model *m);
/* The last error message of the model ("" when none). Owned by the model. */
RMTK_API const char *rmtk_model_errmsg(const rmtk_model *m);
/* The detected format: "safetensors", "npy" or "npz". Static storage. */
RMTK_API const char *rmtk_model_format(const rmtk_model *m);
/* Number of tensors in the index. */
RMTK_API size_t rmtk_model_tensor_count(const rmtk_model *m);
/* Information on tensor i (index order = file order; shards in name order). */
RMTK_API int rmtk_model_tensor_info(const rmtk_model *m, size_t i, rmtk_tensor_info *info);
/* Index of the tensor called name; RMTK_ERR_NOTFOUND if none. */
RMTK_API int rmtk_model_find(const rmtk_model *m, const char *name, size_t *index);
/* Free-form metadata (safetensors "__metadata__"): count, and key/value pair i (owned). */
RMTK_API size_t rmtk_model_metadata_count(const rmtk_model *m);
RMTK_API int rmtk_model_metadata(const rmtk_model *m, size_t i, const char **key,
                                 const char **value);
/* Make the bytes of tensor i available: mapped read-only from the file when stored raw,
 * decompressed into a buffer the model owns otherwise. *data is valid until the next
 * rmtk_model_map/rmtk_model_read_f64 on this model or rmtk_model_close. The data may be
 * big-endian or Fortran-ordered as rmtk_tensor_info says. */
RMTK_API int rmtk_model_map(rmtk_model *m, size_t i, const void **data);
/* Read tensor i converted to double in logical C (row-major) order into dst[0..n), n >= numel
 * (Fortran-ordered data is reordered, big-endian data swapped; converts in blocks, allocates
 * nothing beyond what rmtk_model_map does). RMTK_ERR_UNSUPPORTED for BOOL/OTHER tensors,
 * RMTK_ERR_RANGE when n < numel. Replaces the previous mapping like rmtk_model_map. */
RMTK_API int rmtk_model_read_f64(rmtk_model *m, size_t i, double *dst, size_t n);
/* Total tensor-data bytes mapped or read through this model so far: raw tensors count their
 * nbytes, stored zip members their whole member, deflated members their compressed bytes read.
 * 0 after open, listing and rmtk_layers_alloc: indexing reads only headers.
 * The model handle is used by one thread at a time (mapping replaces a per-model mapping);
 * open one handle per thread to read tensors concurrently. */
RMTK_API uint64_t rmtk_model_bytes_read(const rmtk_model *m);

/* =========================================================================================== */
/* Matrices: views and layer extraction (module layers)                                         */
/* =========================================================================================== */

/* A read-only view of a matrix of any stored dtype, passed by value. Element (i, j) is at
 * element offset i*row_stride + j*col_stride from data (strides in elements, not bytes). */
typedef struct rmtk_matrix_view {
    const void *data;
    int64_t rows, cols;
    int64_t row_stride, col_stride;
    int32_t dtype;      /* enum rmtk_dtype */
    int32_t big_endian; /* 1 when elements are big-endian */
} rmtk_matrix_view;

/* Copy a view into dst as rows x cols doubles, row-major, contiguous (dst[i*cols + j]).
 * Row-contiguous views convert row by row; column-contiguous ones (Fortran data) column by
 * column in blocks, reading the source sequentially. Allocates nothing. RMTK_ERR_ARG for NULL
 * or negative sizes, RMTK_ERR_UNSUPPORTED for BOOL/OTHER. Thread-safe. */
RMTK_API int rmtk_matrix_to_double(rmtk_matrix_view v, double *dst);

/* How 4-D convolution kernels (out, in, kh, kw) become matrices. */
enum rmtk_conv_mode {
    RMTK_CONV_FLATTEN = 0, /* one (out, in*kh*kw) matrix (default) */
    RMTK_CONV_SLICES = 1   /* kh*kw matrices (out, in), one per kernel position (WeightWatcher) */
};

/* Why a tensor (or matrix) is not analysed. Values are appended, never renumbered. */
enum rmtk_skip {
    RMTK_SKIP_NONE = 0,     /* analysed */
    RMTK_SKIP_NDIM = 1,     /* scalar or 1-D tensor (biases, norms) */
    RMTK_SKIP_SMALL = 2,    /* a side below min_side */
    RMTK_SKIP_FILTER = 3,   /* excluded by the include/exclude patterns */
    RMTK_SKIP_DTYPE = 4,    /* not numeric (BOOL, unknown dtype) */
    RMTK_SKIP_EMPTY = 5     /* a zero-length dimension */
};

typedef struct rmtk_extract_params {
    int32_t conv_mode;     /* enum rmtk_conv_mode; default RMTK_CONV_FLATTEN */
    int32_t pad;
    int64_t min_side;      /* matrices with min(rows, cols) < min_side are skipped; default 10 */
    const char *include;   /* POSIX extended regex: only matching tensor names; NULL = all */
    const char *exclude;   /* POSIX extended regex: drop matching names; NULL = none */
} rmtk_extract_params;

RMTK_API rmtk_extract_params rmtk_extract_params_default(void);

/* One matrix to analyse, or one skipped tensor with its reason. Strings owned by the list. */
typedef struct rmtk_matrix_entry {
    const char *name;   /* the tensor name, with "[k]" appended for a slice of a stack or kernel */
    const char *reason; /* "" when analysed; else why not, with the values ("1-D tensor", ...) */
    size_t tensor;      /* index of the tensor in the model */
    int64_t slice;      /* -1 for the whole tensor; else the stacked matrix / kernel position */
    int64_t rows, cols;
    int32_t skip;       /* enum rmtk_skip */
    int32_t dtype;
} rmtk_matrix_entry;

/* The matrices of a model under the extraction rules:
 *  - 2-D tensors as stored (rows = shape[0], cols = shape[1]);
 *  - 3-D tensors as a stack of shape[0] matrices (shape[1], shape[2]) (mixture of experts);
 *  - 4-D tensors (out, in, kh, kw) as one (out, in*kh*kw) matrix, or kh*kw (out, in) matrices
 *    with RMTK_CONV_SLICES;
 *  - tensors of 5 or more dimensions as one (shape[0], rest) matrix;
 *  - Fortran-ordered (NumPy) tensors are viewed in place with column-major strides; for the
 *    flattened 4-D and >= 5-D case the columns then come in the stored order, a permutation of
 *    the C flattening (same singular values; right singular vectors permuted accordingly);
 *  - scalars, 1-D, non-numeric, empty, filtered and small ones as skipped entries with a reason.
 * Builds from the index alone (reads no tensor bytes). Errors (a bad regex: RMTK_ERR_ARG) are
 * described in rmtk_model_errmsg(m). */
typedef struct rmtk_layers rmtk_layers;
RMTK_API int rmtk_layers_alloc(rmtk_model *m, const rmtk_extract_params *p, rmtk_layers **out);
RMTK_API void rmtk_layers_free(rmtk_layers *l);
RMTK_API size_t rmtk_layers_count(const rmtk_layers *l);
RMTK_API int rmtk_layers_get(const rmtk_layers *l, size_t i, rmtk_matrix_entry *e);
/* A view of an analysed entry's matrix (maps its tensor: valid until the next map on m). No
 * copy: slices and Fortran data are described by strides. RMTK_ERR_ARG for a skipped entry. */
RMTK_API int rmtk_layers_view(rmtk_model *m, const rmtk_matrix_entry *e, rmtk_matrix_view *v);

/* =========================================================================================== */
/* Spectrum engine (module spectrum)                                                            */
/* =========================================================================================== */

enum rmtk_spectrum_method {
    RMTK_SPECTRUM_AUTO = 0, /* Gram route, with dgesdd when the accuracy guard says so */
    RMTK_SPECTRUM_GRAM = 1, /* always the Gram route (dsyrk + dsyevd): fast, see the guard */
    RMTK_SPECTRUM_SVD = 2   /* always dgesdd (the --exact of the CLI) */
};

typedef struct rmtk_spectrum_params {
    int32_t method;    /* enum rmtk_spectrum_method; default AUTO */
    int32_t vectors;   /* 1: also compute singular vectors (dgesdd, jobz='S'); default 0 */
    double gram_rtol;  /* AUTO keeps the Gram result only if every sigma_i is guaranteed to this
                          relative accuracy; default 1e-10 */
} rmtk_spectrum_params;

RMTK_API rmtk_spectrum_params rmtk_spectrum_params_default(void);

/* What an execution did. */
typedef struct rmtk_spectrum_info {
    int32_t method;     /* RMTK_SPECTRUM_GRAM or RMTK_SPECTRUM_SVD: the route taken */
    int32_t fallback;   /* 1 when AUTO tried the Gram route and the guard sent it to dgesdd */
    int64_t k;          /* number of singular values = min(rows, cols) */
    double err_bound;   /* bound on the absolute error of each sigma^2 on the route taken
                           (Gram: k*eps*sigma_max^2; SVD: k*eps*sigma_max^2 on sigma^2 too) */
} rmtk_spectrum_info;

/* A plan owns the converted matrix, the Gram matrix and the LAPACK workspaces for every matrix
 * with max(rows, cols) <= max(max_rows, max_cols) and min(rows, cols) <= min(max_rows, max_cols).
 * It allocates once; execute allocates nothing. One plan per thread. */
typedef struct rmtk_spectrum_plan rmtk_spectrum_plan;
RMTK_API int rmtk_spectrum_plan_alloc(int64_t max_rows, int64_t max_cols,
                                      const rmtk_spectrum_params *p, rmtk_spectrum_plan **out);
RMTK_API void rmtk_spectrum_plan_free(rmtk_spectrum_plan *p);
/* Bytes the plan holds. */
RMTK_API uint64_t rmtk_spectrum_plan_bytes(const rmtk_spectrum_plan *p);
/* The last error message of the plan ("" when none). */
RMTK_API const char *rmtk_spectrum_errmsg(const rmtk_spectrum_plan *p);
/* Singular values of the view into sv[0..k) (k = min(rows, cols)), largest first. When the plan
 * computes vectors and u/v are not NULL: left vectors into u (vector j at u + j*rows, unit norm)
 * and right vectors into v (vector j at v + j*cols). Non-finite entries give RMTK_ERR_NUMERIC
 * with their position in the message. info may be NULL. */
RMTK_API int rmtk_spectrum_execute(rmtk_spectrum_plan *p, rmtk_matrix_view a, double *sv,
                                   double *u, double *v, rmtk_spectrum_info *info);
/* rmtk_spectrum_execute in two steps, for callers that must release the view's memory early
 * (a mapped tensor shared between threads): load converts the view into the plan's buffer (the
 * view may be unmapped afterwards), run computes from it. run consumes the loaded matrix: load
 * again before the next run. Same status codes as execute. */
RMTK_API int rmtk_spectrum_load(rmtk_spectrum_plan *p, rmtk_matrix_view a);
RMTK_API int rmtk_spectrum_run(rmtk_spectrum_plan *p, double *sv, double *u, double *v,
                               rmtk_spectrum_info *info);

/* =========================================================================================== */
/* Marchenko-Pastur, outliers, Tracy-Widom, BBP (module mp)                                     */
/* =========================================================================================== */

/* =========================================================================================== */
/* Level statistics (module levels)                                                             */
/* =========================================================================================== */

/* =========================================================================================== */
/* Singular-vector statistics (module vectors)                                                  */
/* =========================================================================================== */

/* =========================================================================================== */
/* Randomised baselines (module nullmodel)                                                      */
/* =========================================================================================== */

/* =========================================================================================== */
/* Heavy tails (module tails)                                                                   */
/* =========================================================================================== */

/* =========================================================================================== */
/* Random-matrix ensembles (module ensembles)                                                   */
/* =========================================================================================== */

/* =========================================================================================== */
/* Limiting laws and free probability (module theory)                                           */
/* =========================================================================================== */

/* =========================================================================================== */
/* Analysis of a model and its report (module analysis, report)                                 */
/* =========================================================================================== */

/* Which statistics an analysis computes (bit flags). BASIC is always computed. */
enum rmtk_stats {
    RMTK_STATS_BASIC = 1u << 0,   /* norms, ranks, entropy, naive MP edge (docs/report.md) */
    RMTK_STATS_MP = 1u << 1,      /* Marchenko-Pastur fits, Tracy-Widom outliers, BBP */
    RMTK_STATS_LEVELS = 1u << 2,  /* unfolded level statistics, spacing ratios, Sigma^2, Delta_3 */
    RMTK_STATS_VECTORS = 1u << 3, /* Porter-Thomas tests and IPR of singular vectors */
    RMTK_STATS_NULL = 1u << 4,    /* randomised baselines (element shuffles, Gaussians) */
    RMTK_STATS_TAILS = 1u << 5    /* Hill, power-law fits, WeightWatcher-compatible alpha */
};

typedef struct rmtk_analysis_params {
    rmtk_extract_params extract;   /* which matrices (default: rmtk_extract_params_default) */
    rmtk_spectrum_params spectrum; /* how spectra are computed (vectors set as stats need) */
    uint32_t stats;                /* enum rmtk_stats flags; default: every implemented
                                      statistic except VECTORS and NULL (on request) */
    int32_t threads;               /* worker threads; 0 = the number of online cores */
    uint64_t seed;                 /* seed of every randomised statistic; default 1 */
    double alpha;                  /* significance level of the tests; default 0.05 */
} rmtk_analysis_params;

RMTK_API rmtk_analysis_params rmtk_analysis_params_default(void);

/* An analysis: a list of matrices from one or more models, their statistics, and the report.
 * Thread-safety: one thread drives a handle; rmtk_analysis_run uses worker threads itself. */
typedef struct rmtk_analysis rmtk_analysis;

/* Called by rmtk_analysis_run after each matrix (from the calling thread, in order of
 * completion): done of total matrices finished, name the last one finished. */
typedef void (*rmtk_progress_fn)(void *user, size_t done, size_t total, const char *name);

RMTK_API int rmtk_analysis_alloc(const rmtk_analysis_params *p, rmtk_analysis **out);
RMTK_API void rmtk_analysis_free(rmtk_analysis *a);
RMTK_API const char *rmtk_analysis_errmsg(const rmtk_analysis *a);
/* Add every matrix of a model (analysed and skipped entries). The model stays owned by the
 * caller and must stay open until the analysis is freed. path is recorded in the report. */
RMTK_API int rmtk_analysis_add_model(rmtk_analysis *a, rmtk_model *m, const char *path);
/* Compute every analysed matrix. A matrix that fails (non-finite values, LAPACK failure) gets
 * status "error" with its message and the run goes on; the return value is RMTK_OK, or the
 * status of the first failed matrix, or a global error (NOMEM). Sets OpenBLAS's thread count
 * for the run: 1 per worker when several matrices run in parallel, all threads otherwise, and
 * restores it afterwards. */
RMTK_API int rmtk_analysis_run(rmtk_analysis *a, rmtk_progress_fn progress, void *user);

/* Results. Entries are in model order; columns are the numeric columns of summary.csv for the
 * statistics requested (docs/report.md documents each). */
RMTK_API size_t rmtk_analysis_count(const rmtk_analysis *a);
RMTK_API size_t rmtk_analysis_column_count(const rmtk_analysis *a);
RMTK_API const char *rmtk_analysis_column_name(const rmtk_analysis *a, size_t c);
/* Index of the column called name, or RMTK_ERR_NOTFOUND. */
RMTK_API int rmtk_analysis_column_find(const rmtk_analysis *a, const char *name, size_t *c);

typedef struct rmtk_analysis_row {
    const char *name;    /* matrix name (owned by the analysis) */
    const char *status;  /* "ok", "skipped" or "error" */
    const char *reason;  /* why skipped / the error message; "" when ok */
    const char *method;  /* spectrum route: "gram", "svd" ("" when not computed) */
    const char *dtype;   /* stored dtype */
    int64_t rows, cols;
    int32_t skip;        /* enum rmtk_skip */
    int32_t error;       /* status code when status is "error", else 0 */
} rmtk_analysis_row;

RMTK_API int rmtk_analysis_row_get(const rmtk_analysis *a, size_t i, rmtk_analysis_row *row);
/* Value of numeric column c for entry i; NaN when not computed or not defined. */
RMTK_API double rmtk_analysis_value(const rmtk_analysis *a, size_t i, size_t c);
/* Array `key` of entry i ("singular_values", ...): *x (owned by the analysis) and *n. */
RMTK_API int rmtk_analysis_array(const rmtk_analysis *a, size_t i, const char *key,
                                 const double **x, size_t *n);

/* A sink for reports: writes n bytes, returns n on success. */
typedef size_t (*rmtk_write_fn)(const void *buf, size_t n, void *user);

/* summary.csv: one row per matrix (skipped and failed ones too, with status and reason).
 * report.json: schema version, rmtk version, backend, precision, every parameter, the inputs and
 * their metadata, per-matrix metrics and arrays (singular values, ...), and the skipped list with
 * reasons. The path forms write atomically (a temporary file in the same directory, renamed). */
RMTK_API int rmtk_analysis_write_csv(const rmtk_analysis *a, const char *path);
RMTK_API int rmtk_analysis_write_json(const rmtk_analysis *a, const char *path);
RMTK_API int rmtk_analysis_write_csv_fn(const rmtk_analysis *a, rmtk_write_fn fn, void *user);
RMTK_API int rmtk_analysis_write_json_fn(const rmtk_analysis *a, rmtk_write_fn fn, void *user);

#define RMTK_REPORT_SCHEMA_VERSION 1

#ifdef __cplusplus
}
#endif
#endif /* RMTK_H */
