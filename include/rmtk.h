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
/* sizeof the public struct called name ("rmtk_analysis_params", "rmtk_analysis_row", ...; every
 * struct this header defines by value), or 0 for an unknown name. Bindings that mirror the
 * structs (the Python package) compare their layout with it at load time. Thread-safe. */
RMTK_API size_t rmtk_struct_size(const char *name);

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

/* P(D_n >= d) for the two-sided one-sample KS statistic under the null (n i.i.d. values from a
 * continuous F), computed as a survival function (never 1 - CDF once small) by the regions of
 * Simard & L'Ecuyer (2011), as scipy.stats.kstwo.sf: exact formulas at the ends, the one-sided
 * Smirnov sum in log space (exact for d >= 1/2, Miller's approximation for n d^2 >= 2.2), the
 * exact Marsaglia-Tsang-Wang matrix method (n <= 140) or Pelz-Good (n > 140) in the body.
 * Relative error <= 3e-5 for every n >= 1, d in (0, 1], down to 2.2e-308 (subnormal, then 0,
 * below). Cost O(1) in the body, O(n) in the tail. NaN when n == 0 or d is NaN; 1 for d <= 1/(2n);
 * 0 for d >= 1. See docs/methods/ks.md. Thread-safe. */
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
    RMTK_DTYPE_OTHER = 15,  /* a type rmtk does not convert (complex, strings, objects, ...) */
    /* ggml's block-quantised types (GGUF files). A block of E elements takes B bytes
     * (rmtk_dtype_block); values are dequantised exactly as ggml's dequantize_row_* do, in
     * float32, then widened to double. Layouts: docs/formats.md ("GGUF"). */
    RMTK_DTYPE_Q4_0 = 16,   /* 32 elements in 18 bytes: fp16 scale d, 4-bit q: (q - 8) d */
    RMTK_DTYPE_Q4_1 = 17,   /* 32 in 20: fp16 d and m, 4-bit q: q d + m */
    RMTK_DTYPE_Q5_0 = 18,   /* 32 in 22: fp16 d, 5-bit q: (q - 16) d */
    RMTK_DTYPE_Q5_1 = 19,   /* 32 in 24: fp16 d and m, 5-bit q: q d + m */
    RMTK_DTYPE_Q8_0 = 20,   /* 32 in 34: fp16 d, int8 q: q d */
    RMTK_DTYPE_Q2_K = 21,   /* 256 in 84: 16 sub-blocks, 4-bit scales and mins, 2-bit q */
    RMTK_DTYPE_Q3_K = 22,   /* 256 in 110: 16 sub-blocks, 6-bit scales, 3-bit q */
    RMTK_DTYPE_Q4_K = 23,   /* 256 in 144: 8 sub-blocks, 6-bit scales and mins, 4-bit q */
    RMTK_DTYPE_Q5_K = 24,   /* 256 in 176: 8 sub-blocks, 6-bit scales and mins, 5-bit q */
    RMTK_DTYPE_Q6_K = 25,   /* 256 in 210: 16 sub-blocks, int8 scales, 6-bit q */
    RMTK_DTYPE_Q8_K = 26,   /* 256 in 292: fp32 d, int8 q, 16 int16 block sums (unused) */
    RMTK_DTYPE_MXFP4 = 27,  /* 32 in 17: E8M0 shared exponent, FP4 (E2M1) values (OCP MX) */
    RMTK_DTYPE_TQ1_0 = 28,  /* 256 in 54: fp16 d, ternary codes 5 per byte (base 3): (t - 1) d */
    RMTK_DTYPE_TQ2_0 = 29,  /* 256 in 66: fp16 d, ternary codes in 2 bits: (t - 1) d */
    RMTK_DTYPE_IQ4_NL = 30, /* 32 in 18: fp16 d, 4-bit indices into a 16-value non-linear grid */
    RMTK_DTYPE_IQ4_XS = 31  /* 256 in 136: fp16 d, 6-bit sub-block scales, IQ4_NL's grid */
};

/* The dtype's name in safetensors spelling ("F32", "BF16", "F8_E4M3", "I64", "BOOL", ...). */
RMTK_API const char *rmtk_dtype_name(int dtype);
/* Bytes per element (0 for RMTK_DTYPE_OTHER, a block-quantised type or an unknown value). */
RMTK_API size_t rmtk_dtype_size(int dtype);
/* The storage unit of a dtype: *elems elements in *bytes bytes. Scalar types give 1 and
 * rmtk_dtype_size; block-quantised types (RMTK_DTYPE_Q4_0 ... RMTK_DTYPE_IQ4_XS) their block
 * (Q4_0: 32 elements in 18 bytes). Returns RMTK_ERR_UNSUPPORTED (and 0, 0) for OTHER or an
 * unknown value, RMTK_ERR_ARG for NULL pointers. Thread-safe. */
RMTK_API int rmtk_dtype_block(int dtype, size_t *elems, size_t *bytes);
/* Machine epsilon of the stored format, 2^-(stored mantissa bits): F64 2^-52, F32 2^-23, F16
 * 2^-10, BF16 2^-7, F8_E4M3 2^-3, F8_E5M2 2^-2 (numpy's finfo(dtype).eps; ml_dtypes for the FP8
 * formats). Integer dtypes are exact and get F64's 2^-52 (the analysis works on the integers
 * converted to double), as do BOOL, OTHER and unknown values. Block-quantised types give one
 * quantisation step relative to the block's scale (Q8_0 2^-7, Q4_K 2^-3; docs/formats.md, GGUF). The analysis takes its numerical
 * rank tolerance sigma_1 (max(N, M) 2^-52 + eps) from it (docs/methods/spectrum.md).
 * Thread-safe. */
RMTK_API double rmtk_dtype_eps(int dtype);
/* 1 when values of the dtype convert to double (floats, integers, block-quantised types),
 * else 0. */
RMTK_API int rmtk_dtype_is_numeric(int dtype);
/* Convert n contiguous elements at src (little-endian, or big-endian when big_endian != 0) to
 * double. Exact for every dtype except I64/U64 magnitudes above 2^53 (rounded to nearest).
 * Block-quantised types convert whole blocks (n must be a multiple of the block's elements, else
 * RMTK_ERR_ARG; big_endian is ignored: GGUF data is little-endian) and give ggml's float32
 * dequantisation exactly. Returns RMTK_ERR_UNSUPPORTED for BOOL/OTHER, RMTK_ERR_ARG for NULL
 * pointers. Thread-safe. */
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
    uint64_t nbytes;       /* bytes of the (uncompressed) data = numel * dtype size (block
                              types: numel / block elements * block bytes); for
                              RMTK_DTYPE_OTHER the stored byte count */
    uint64_t offset;       /* byte offset of the data in file (for a deflated .npz member: of
                              the member's compressed data) */
    int32_t big_endian;    /* 1 when the stored elements are big-endian */
    int32_t fortran_order; /* 1 when stored column-major (NumPy fortran_order) */
    const char *layout;    /* NULL when the tensor is presented as stored; else the stored axis
                              order of a tensor the reader permuted so that every format presents
                              (out features, in features, kernel...) like PyTorch: "in,out" (a
                              TF/Keras/TF.js dense kernel, an ONNX MatMul weight), "HWIO" (a TF
                              convolution kernel, presented OIHW; "WIO", "DHWIO" for 1-D and 3-D
                              ones), "HWOI" (a TF transposed convolution, presented OIHW).
                              Static storage. */
} rmtk_tensor_info;

/* An open checkpoint: one file, a sharded set, or a directory of shards. */
typedef struct rmtk_model rmtk_model;

/* Open a checkpoint and index its tensors (names, dtypes, shapes, offsets) without reading any
 * tensor bytes. path may be: a .safetensors file; a sharded index (*.safetensors.index.json);
 * a directory holding *.safetensors shards; a .npy file (one tensor, named after the file's
 * stem); a .npz archive (one tensor per member, stored or deflated, zip64 allowed); a GGUF
 * file of llama.cpp (versions 2 and 3; a split set NAME-00001-of-0000N.gguf opens every part),
 * whose key/values become metadata strings and whose 2-D tensors read as [ne1][ne0] (rows =
 * out features), quantised blocks as RMTK_DTYPE_Q4_0 ... (IQ*, TQ* and other ggml types are
 * listed as RMTK_DTYPE_OTHER with the ggml type name in dtype_str); a PyTorch
 * torch.save file (.pt/.pth/.bin/.ckpt: the zip format, or the legacy pre-1.6 format; tensors
 * named by their dotted path in the pickled dicts, "state_dict.fc.weight"; optimizer state
 * listed and skipped; non-contiguous views presented in C order) or its sharded index
 * (*.bin.index.json); a TensorFlow.js model.json (layers or graph model) or bare weights
 * manifest (a JSON array of {paths, weights} groups) with the shards it lists, which must lie in
 * its directory (weights end to end across a group's shards; uint8/uint16 affine and float16
 * quantisation dequantised as tfjs-core does, presented as F32 with dtype_str "uint8 (affine)"
 * etc.; TF kernels presented (out, in, kernel...) with info.layout "in,out", "HWIO", ...;
 * depthwise kernels listed and skipped; docs/formats.md, "TensorFlow.js"); an ONNX model
 * (.onnx, read from its protobuf bytes: graph initializers, Constant nodes' values named after
 * their outputs, tensors of If/Loop/Scan subgraphs named "NODE/ATTRIBUTE/NAME", raw_data mapped
 * in place, typed fields decoded, external data from regular files in the model's directory
 * only; a 2-D MatMul weight or Gemm B with transB = 0, stored [in, out], is presented [out, in]
 * with info.layout "in,out"). A PyTorch pickle is run by a restricted machine that resolves
 * only an allowlist of globals and executes no code: any other global (a whole pickled
 * nn.Module, an os.system payload) is RMTK_ERR_UNSUPPORTED naming it (docs/formats.md,
 * "PyTorch"). Keras weights through libhdf5: an HDF5 file (.h5/.hdf5: Keras 2 model.save or
 * save_weights, Keras 3 .weights.h5) or a Keras 3 .keras zip (its model.weights.h5, held in
 * memory); tensors named
 * "<layer>.<weight>" ("dense_1.kernel"), Dense/RNN kernels presented [out, in] and convolution
 * kernels [out, in, k...] like PyTorch (info.layout gives the stored order, "in,out", "HWIO"),
 * depthwise kernels and optimizer state listed and skipped (docs/formats.md, "Keras"). libhdf5 is
 * not thread-safe: no two threads may open or read Keras models at the same time.
 * The format is detected from the file's bytes first, then its name; a file of another format is
 * RMTK_ERR_FORMAT naming what it looks like and the formats rmtk reads. Only regular files are
 * opened (a FIFO or device is RMTK_ERR_IO, without blocking).
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
/* The detected format: "safetensors", "npy", "npz", "gguf", "pytorch", "tfjs", "onnx" or
 * "keras". Static storage. */
RMTK_API const char *rmtk_model_format(const rmtk_model *m);
/* Number of tensors in the index. */
RMTK_API size_t rmtk_model_tensor_count(const rmtk_model *m);
/* Information on tensor i (index order = file order; shards in name order). */
RMTK_API int rmtk_model_tensor_info(const rmtk_model *m, size_t i, rmtk_tensor_info *info);
/* Index of the tensor called name; RMTK_ERR_NOTFOUND if none. */
RMTK_API int rmtk_model_find(const rmtk_model *m, const char *name, size_t *index);
/* Free-form metadata (safetensors "__metadata__", GGUF key/values as strings: numbers in
 * decimal, booleans "true"/"false", arrays as "[1, 2, 3]" up to 16 elements, else
 * "array<TYPE>[N]"): count, and key/value pair i (owned). */
RMTK_API size_t rmtk_model_metadata_count(const rmtk_model *m);
RMTK_API int rmtk_model_metadata(const rmtk_model *m, size_t i, const char **key,
                                 const char **value);
/* Make the bytes of tensor i available: mapped read-only from the file when stored raw,
 * decompressed into a buffer the model owns otherwise (a non-contiguous PyTorch view is
 * gathered into C order in a buffer the model owns). *data is valid until the next
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
 * 0 after open, listing and rmtk_layers_alloc: indexing reads only headers (exception:
 * rmtk_layers_alloc reads an lm_head and an embedding table of equal shape and dtype to find
 * whether they are tied).
 * The model handle is used by one thread at a time (mapping replaces a per-model mapping);
 * open one handle per thread to read tensors concurrently. */
RMTK_API uint64_t rmtk_model_bytes_read(const rmtk_model *m);

/* The architecture of a model, as far as its files say: the Hugging Face config.json in the
 * checkpoint's directory (beside the file, or in the directory passed), else GGUF metadata
 * (general.architecture, <arch>.block_count, <arch>.embedding_length,
 * <arch>.feed_forward_length, <arch>.attention.head_count, .head_count_kv,
 * .key_length), else nothing (every count 0, source ""): the layer extraction then falls back
 * to tensor names and shapes. Used by rmtk_layers_alloc to split fused projections by head
 * (docs/formats.md, "Model structure"). */
typedef struct rmtk_architecture {
    const char *type;      /* config.json "model_type" (or the first "architectures" entry
                              when model_type is absent), GGUF general.architecture ("llama",
                              "gpt2", "falcon", ...); "" unknown. Owned by the model */
    const char *source;    /* "config.json", "gguf" or "" (static storage) */
    int64_t layers;        /* num_hidden_layers / n_layer / block_count; 0 unknown */
    int64_t heads;         /* num_attention_heads / n_head; 0 unknown */
    int64_t kv_heads;      /* num_key_value_heads / num_kv_heads / multi_query_group_num /
                              head_count_kv (Falcon multi_query without new_decoder_architecture:
                              1); defaults to heads when heads is known */
    int64_t hidden;        /* hidden_size / n_embd / d_model / embedding_length; 0 unknown */
    int64_t head_dim;      /* head_dim / key_length, else hidden / heads; 0 unknown */
    int64_t intermediate;  /* intermediate_size / n_inner / ffn_dim / moe_intermediate_size
                              (the expert's size when the model has experts); 0 unknown */
    int32_t tie_embeddings; /* tie_word_embeddings: 1 true, 0 false, -1 unknown */
    int32_t new_decoder;   /* Falcon new_decoder_architecture: 1 true, 0 false, -1 unknown */
    int32_t multi_query;   /* Falcon multi_query: 1, 0, -1 unknown */
    int32_t pad;
} rmtk_architecture;

/* Fill *a with what the model's files say of its architecture (see above). Strings valid until
 * rmtk_model_close. RMTK_ERR_ARG for NULL. A config.json that is not valid JSON is ignored here
 * (rmtk_model_open does not fail on it). Thread-safe. */
RMTK_API int rmtk_model_architecture(const rmtk_model *m, rmtk_architecture *a);

/* =========================================================================================== */
/* Matrices: views and layer extraction (module layers)                                         */
/* =========================================================================================== */

/* A read-only view of a matrix of any stored dtype, passed by value. Element (i, j) is at
 * element offset i*row_stride + j*col_stride from data (strides in elements, not bytes).
 * Row groups (row_group > 0): the rows come in groups of row_group consecutive rows, group g
 * starting group_stride elements after group g-1, so row i starts at element
 *   (i / row_group) * group_stride + (i % row_group) * row_stride.
 * This is how a head-interleaved fused projection (GPT-NeoX/Bloom query_key_value, per head
 * [q k v]; Falcon's per-kv-group [q..q k v]) presents its q, k or v rows without copying.
 * row_group == 0 (a zero-initialised view, the two fields omitted) means no groups. */
typedef struct rmtk_matrix_view {
    const void *data;
    int64_t rows, cols;
    int64_t row_stride, col_stride;
    int32_t dtype;        /* enum rmtk_dtype */
    int32_t big_endian;   /* 1 when elements are big-endian */
    int64_t row_group;    /* rows per group, 0 = none (see above) */
    int64_t group_stride; /* elements from one group's first row to the next group's */
} rmtk_matrix_view;

/* Copy a view into dst as rows x cols doubles, row-major, contiguous (dst[i*cols + j]).
 * Row-contiguous views convert row by row; column-contiguous ones (Fortran data) column by
 * column in blocks, reading the source sequentially; row groups are gathered row by row. Allocates nothing. RMTK_ERR_ARG for NULL
 * or negative sizes, RMTK_ERR_UNSUPPORTED for BOOL/OTHER. Block-quantised dtypes need a
 * row-contiguous view (col_stride 1) whose cols and row_stride are multiples of the block's
 * elements (rows start on block boundaries): RMTK_ERR_UNSUPPORTED otherwise. Thread-safe. */
RMTK_API int rmtk_matrix_to_double(rmtk_matrix_view v, double *dst);

/* How 4-D convolution kernels (out, in, kh, kw) become matrices. */
enum rmtk_conv_mode {
    RMTK_CONV_FLATTEN = 0, /* one (out, in*kh*kw) matrix (default) */
    RMTK_CONV_SLICES = 1,  /* kh*kw matrices (out, in), one per kernel position (WeightWatcher's
                              pool=False / ww2x) */
    /* One entry per 4-D kernel whose spectrum pools the singular values of its kh*kw slices
     * W[:, :, i, j] (out, in) into one ESD: WeightWatcher's default (pool=True). The entry has
     * slice -1, rows x cols = out x in and pooled = kh*kw (rmtk_matrix_entry). 3-D Conv1d kernels
     * are flattened as with RMTK_CONV_FLATTEN. */
    RMTK_CONV_POOLED = 2
};

/* Why a tensor (or matrix) is not analysed. Values are appended, never renumbered. */
enum rmtk_skip {
    RMTK_SKIP_NONE = 0,     /* analysed */
    RMTK_SKIP_NDIM = 1,     /* scalar or 1-D tensor (biases, norms) */
    RMTK_SKIP_SMALL = 2,    /* a side below min_side */
    RMTK_SKIP_FILTER = 3,   /* excluded by the include/exclude patterns */
    RMTK_SKIP_DTYPE = 4,    /* not numeric (BOOL, unknown dtype) */
    RMTK_SKIP_EMPTY = 5,    /* a zero-length dimension */
    RMTK_SKIP_STATE = 6,    /* training state, not weights (PyTorch optimizer state_dicts) */
    RMTK_SKIP_FACTOR = 7,   /* a factor of a product (a PEFT lora_A / lora_B): analysed as the
                               product entry its reason names, or unpaired (the reason says) */
    RMTK_SKIP_TIED = 8,     /* the same weights as an analysed tensor (shared storage or equal
                               bytes: lm_head tied to embed_tokens); reason "tied to NAME" */
    RMTK_SKIP_EMBED = 9,    /* an embedding table, skipped on request (skip_embeddings) */
    RMTK_SKIP_FUSED = 10    /* a fused tensor (qkv, gate_up, recurrent gates) analysed as its
                               parts; reason names them (fused = RMTK_FUSED_KEEP keeps it) */
};

/* A short name for a skip reason: "none", "ndim", "small", "filter", "dtype", "empty", "state",
 * "factor", "tied", "embed", "fused" ("unknown" otherwise). Static storage. */
RMTK_API const char *rmtk_skip_name(int skip);

/* Fused projections (q/k/v in one tensor, gate and up in one, recurrent gates stacked). */
enum rmtk_fused_mode {
    RMTK_FUSED_SPLIT = 0, /* analyse the parts (attn_q, attn_k, ...); the fused tensor is listed
                             as skipped RMTK_SKIP_FUSED naming them (default) */
    RMTK_FUSED_KEEP = 1,  /* analyse the fused matrix as one (presented out x in) */
    RMTK_FUSED_BOTH = 2   /* both: the parts and the fused matrix */
};

/* How 3-D tensors whose meaning is not known from the architecture or name are read. */
enum rmtk_stack3d_mode {
    RMTK_STACK3D_AUTO = 0,  /* Conv1d kernel when the name or architecture says so (a "conv"
                               segment, a Conv1d model), else a stack of shape[0] matrices */
    RMTK_STACK3D_STACK = 1, /* always a stack of shape[0] (shape[1], shape[2]) matrices */
    RMTK_STACK3D_CONV = 2   /* always a Conv1d kernel (out, in, k), read per conv_mode */
};

typedef struct rmtk_extract_params {
    int32_t conv_mode;     /* enum rmtk_conv_mode; default RMTK_CONV_FLATTEN (also Conv1d
                              kernels: (out, in*k), or k matrices (out, in) per tap) */
    int32_t pad;
    int64_t min_side;      /* matrices with min(rows, cols) < min_side are skipped; default 10 */
    const char *include;   /* POSIX extended regex: only matching tensor names; NULL = all */
    const char *exclude;   /* POSIX extended regex: drop matching names; NULL = none */
    int32_t fused;         /* enum rmtk_fused_mode; default RMTK_FUSED_SPLIT */
    int32_t stack3d;       /* enum rmtk_stack3d_mode; default RMTK_STACK3D_AUTO */
    int32_t skip_embeddings; /* 1: embedding tables (module embed, embed_pos, embed_type) are
                                skipped RMTK_SKIP_EMBED; default 0 (analysed) */
    int32_t keep_tied;     /* 1: tied tensors are analysed twice; default 0 (RMTK_SKIP_TIED) */
    int32_t as_stored;     /* 1: every matrix as stored, by the shape rules alone (no splits,
                              no transposed presentation, no Conv1d or expert reading, no tied
                              weights): each matrix is a contiguous slice of its tensor, as a
                              tool that writes tensors back (rmtk denoise) needs; default 0 */
    int32_t pad2;
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
    int32_t block;      /* layer (block) index from the name, -1 when none (rmtk_name_structure) */
    int32_t expert;     /* expert index of a mixture-of-experts weight, -1 when none */
    const char *module; /* normalised module type ("attn_q", "mlp_up", ...; "" unknown); static */
    /* A product of two stored factors, X = scale * L * R (a PEFT LoRA update Delta W =
     * (alpha / r) lora_B lora_A, named "<module>.lora_delta"; docs/formats.md, "PEFT adapters"):
     * inner = r >= 1; L is tensor `tensor` read as a (shape[0], rest) C-order matrix and R is
     * tensor `tensor2` likewise, each transposed first when factors_t = 1 (lora_embedding_A/B:
     * Delta W = (B A)^T); rows x cols is the product's shape (rmtk_layers_factor_view). For
     * every other entry inner = 0 and tensor2, scale, factors_t, base_t are unused. */
    int64_t inner;
    size_t tensor2;
    double scale;
    int32_t factors_t;
    int32_t base_t;     /* 1: the adapter's fan_in_fan_out: the base layer stores its weight
                           (in, out) (GPT-2 Conv1D), so the merged weight adds X^T */
    /* Where the matrix lies in its tensor, as rmtk_layers_view presents it (set by
     * rmtk_layers_alloc when geometry is 1; an entry with geometry 0 is viewed from its slice as
     * before): element offset of (0, 0), strides and row groups as in rmtk_matrix_view. */
    int64_t offset, row_stride, col_stride, row_group, group_stride;
    int32_t geometry;   /* 1 when the five fields above are set */
    int32_t part;       /* index of a split part (q 0, k 1, v 2; gate 0, up 1; recurrent gates
                           in stored order), -1 when the matrix is not a part */
    int64_t pooled;     /* RMTK_CONV_POOLED: P = kh*kw >= 1, the number of kernel slices (rows x
                           cols each) whose singular values form the entry's spectrum (slice -1);
                           rmtk_layers_view views slice k of a copy with slice = k. 0 otherwise */
} rmtk_matrix_entry;

/* What a tensor name means in a transformer-style architecture, from the name alone. */
typedef struct rmtk_structure {
    int32_t block;      /* the layer index: the number after a container segment "layers",
                           "layer", "h", "blk", "blocks", "block" ("model.layers.7.", "h.7.",
                           "blk.7.", "encoder.layer.7."), else the first numeric segment that is
                           not an expert index ("features.3.weight"); -1 when none */
    int32_t expert;     /* the number after "experts"/"expert" ("experts.5.w1"); -1 when none */
    const char *module; /* normalised module type, static storage: "attn_q", "attn_k", "attn_v",
                           "attn_o", "attn_qkv" (fused), "mlp_gate", "mlp_up", "mlp_down",
                           "mlp_gate_up" (fused), "router", "embed", "embed_pos", "embed_type",
                           "lm_head", "rnn_ih", "rnn_hh" (the layer N of weight_ih_lN is the
                           block), "conv"; "" when the name says
                           nothing known. The naming conventions recognised (Hugging Face
                           Llama/Mistral/Mixtral/Qwen/GPT-2/GPT-NeoX/Falcon/Bloom/Phi/BERT/
                           DistilBERT, original Llama, GGUF) are listed in docs/report.md
                           ("Model structure"). */
} rmtk_structure;

/* Parse a tensor name ("model.layers.3.self_attn.q_proj.weight": block 3, module "attn_q").
 * Segments are separated by '.' or '/'. RMTK_ERR_ARG for NULL. Thread-safe. */
RMTK_API int rmtk_name_structure(const char *name, rmtk_structure *s);

/* The matrices of a model under the extraction rules:
 *  - 2-D tensors as stored (rows = shape[0], cols = shape[1]);
 *  - 3-D tensors as a stack of shape[0] matrices (shape[1], shape[2]) (mixture of experts);
 *  - what the architecture says (config.json / GGUF metadata, rmtk_model_architecture, and the
 *    names, rmtk_name_structure; docs/formats.md, "Model structure"), before the rules above:
 *    fused projections are split into parts named NAME[q], NAME[k], NAME[v] (modules attn_q,
 *    attn_k, attn_v), NAME[gate], NAME[up] (mlp_gate, mlp_up) or per recurrent gate NAME[i],
 *    [f], [g], [o] (LSTM: PyTorch i f g o, Keras i f c o), NAME[r], [z], [n] (GRU: PyTorch
 *    r z n, Keras z r h; ONNX LSTM/GRU W and R [dirs, gH, X], found by the node using them, per
 *    direction NAME[d][gate], LSTM i o f c, GRU z r h), modules rnn_ih_<gate> /
 *    rnn_hh_<gate>; the fused tensor itself is
 *    listed skipped RMTK_SKIP_FUSED naming its parts (p->fused: keep it, or both). Layouts:
 *    GPT-2 Conv1D weights (c_attn, c_proj, c_fc; model_type gpt2, or without config a c_attn
 *    stored [d, 3d]) are presented (out x in) by strides, c_attn split into thirds [q|k|v];
 *    GPT-NeoX/Bloom query_key_value per head [q k v] (row groups of head_dim rows); Falcon
 *    new_decoder_architecture per kv group [q x heads/kv, k, v], Falcon multi_query
 *    [q heads; k; v]; Phi-3 qkv_proj, Phi Wqkv, gpt_bigcode c_attn, GGUF attn_qkv and any other
 *    fused q/k/v [q; k; v] with the config's kv heads (equal thirds without a config);
 *    gate_up_proj [gate; up] halves. Stacked experts (a name "...experts.gate_up_proj" with no
 *    expert index, GGUF ffn_*_exps): one matrix per expert, NAME[e], expert = e, presented
 *    (out x in): [E, out, in] as stored, [E, in, out] (GPT-OSS, Llama 4: told apart by the
 *    config's hidden size, else the wider side is the output of gate_up) by strides; gate_up
 *    split per expert (GPT-OSS: gate and up interleaved, columns 0, 2, 4, ... and 1, 3, ...);
 *  - 3-D Conv1d kernels [out, in, k] (a name containing "conv", a Conv1d architecture such as
 *    whisper, wav2vec2, mamba, or p->stack3d RMTK_STACK3D_CONV) as one (out, in*k) matrix or, with
 *    RMTK_CONV_SLICES, k matrices (out, in) per tap NAME[t]; other 3-D tensors stay stacks, and
 *    when their matrices are too small the reason suggests --stack3d conv;
 *  - tied weights (the same file and offset and shape, or an lm_head whose bytes equal an
 *    embedding's) are analysed once, the later one skipped RMTK_SKIP_TIED "tied to NAME (same
 *    storage|equal bytes)" (p->keep_tied analyses both); embeddings are analysed unless
 *    p->skip_embeddings (RMTK_SKIP_EMBED);
 *  - 4-D tensors (out, in, kh, kw) as one (out, in*kh*kw) matrix, or kh*kw (out, in) matrices
 *    with RMTK_CONV_SLICES;
 *  - tensors of 5 or more dimensions as one (shape[0], rest) matrix;
 *  - Fortran-ordered (NumPy) tensors are viewed in place with column-major strides; for the
 *    flattened 4-D and >= 5-D case the columns then come in the stored order, a permutation of
 *    the C flattening (same singular values; right singular vectors permuted accordingly);
 *  - scalars, 1-D, non-numeric, empty, filtered and small ones as skipped entries with a reason.
 * Builds from the index alone (reads no tensor bytes, except to compare a candidate tied
 * lm_head and embedding). Errors (a bad regex, a fused, stack3d or conv mode out of range:
 * RMTK_ERR_ARG; a read error while comparing tied candidates) are described in
 * rmtk_model_errmsg(m). */
typedef struct rmtk_layers rmtk_layers;
RMTK_API int rmtk_layers_alloc(rmtk_model *m, const rmtk_extract_params *p, rmtk_layers **out);
RMTK_API void rmtk_layers_free(rmtk_layers *l);
RMTK_API size_t rmtk_layers_count(const rmtk_layers *l);
RMTK_API int rmtk_layers_get(const rmtk_layers *l, size_t i, rmtk_matrix_entry *e);
/* A view of an analysed entry's matrix (maps its tensor: valid until the next map on m). No
 * copy: slices and Fortran data are described by strides. RMTK_ERR_ARG for a skipped entry and
 * for a product entry (inner > 0: use rmtk_layers_factor_view). */
RMTK_API int rmtk_layers_view(rmtk_model *m, const rmtk_matrix_entry *e, rmtk_matrix_view *v);
/* A view of factor `which` (0: L, rows x inner; 1: R, inner x cols) of a product entry (inner
 * > 0), X = e->scale * L * R. Maps the factor's tensor: valid until the next map on m, so
 * convert L (rmtk_matrix_to_double) before viewing R. RMTK_ERR_ARG for another entry or which
 * not 0 or 1. */
RMTK_API int rmtk_layers_factor_view(rmtk_model *m, const rmtk_matrix_entry *e, int which,
                                     rmtk_matrix_view *v);

/* =========================================================================================== */
/* Spectrum engine (module spectrum)                                                            */
/* =========================================================================================== */

enum rmtk_spectrum_method {
    RMTK_SPECTRUM_AUTO = 0, /* Gram route, with dgesdd when the accuracy contract says so */
    RMTK_SPECTRUM_GRAM = 1, /* always the Gram route (dsyrk + dsyevd): fast, no contract */
    RMTK_SPECTRUM_SVD = 2   /* always dgesdd, tall orientation (the --exact of the CLI) */
};

typedef struct rmtk_spectrum_params {
    int32_t method;    /* enum rmtk_spectrum_method; default AUTO */
    int32_t vectors;   /* 1: also compute singular vectors (dgesdd, jobz='S', on a copy; the
                          values stay those of the values-only route); default 0 */
    double gram_rtol;  /* f of the accuracy contract: AUTO keeps the Gram result when the error
                          bound b_i = (m + n) eps sigma_1^2 / sigma_i of every used singular value
                          is at most f times the local mean level spacing there, and the rank
                          at the tolerance of the stored dtype is certain (below);
                          default 1e-3; > 0 */
    double dtype_eps;  /* resolution of the stored values for the contract's rank tolerance
                          tol = sigma_1 max(m, n) 2^-52 + (dtype_eps / sqrt 3) rms(W)
                          (sqrt m + sqrt n) (the analysis's numerical rank); 0 (default):
                          rmtk_dtype_eps of the view's dtype. Set it when passing F64 data
                          converted from a coarser stored dtype (BF16: 2^-7); in [0, 1) */
} rmtk_spectrum_params;

RMTK_API rmtk_spectrum_params rmtk_spectrum_params_default(void);

/* What an execution did. */
typedef struct rmtk_spectrum_info {
    int32_t method;     /* RMTK_SPECTRUM_GRAM or RMTK_SPECTRUM_SVD: the route taken */
    int32_t fallback;   /* AUTO only: 0 Gram result kept; 1 the accuracy contract rejected the
                           Gram result and dgesdd ran (2, the former shape rule, is no longer
                           produced) */
    int64_t k;          /* number of singular values = min(rows, cols) */
    double err_bound;   /* bound on the absolute error of each lambda = sigma^2 on the route
                           taken (Gram: (m+n)*eps*sigma_max^2, so each sigma_i is within
                           err_bound / sigma_i; SVD: k*eps*sigma_max^2) */
} rmtk_spectrum_info;

/* A plan owns the converted matrix, the Gram matrix and the LAPACK workspaces for every matrix
 * with max(rows, cols) <= max(max_rows, max_cols) and min(rows, cols) <= min(max_rows, max_cols)
 * (dgesdd's workspace is not monotone in the shape: the plan is sized over every shape served).
 * It allocates once; execute allocates nothing. One plan per thread.
 * The accuracy contract of AUTO (docs/methods/spectrum.md, with its derivation): with
 * delta = (m + n) eps sigma_1^2 (eps = 2^-52) the Gram route's bound on every lambda_i, tol the
 * numerical-rank tolerance above (dtype_eps) and r = #{sigma_i > tol}, the Gram result is kept
 * when (1) delta / sigma_i <= gram_rtol x the local mean spacing of the singular values for every
 * i < r, (2) sigma_r-1 - delta / sigma_r-1 > tol and (3) sigma_r^2 + delta <= tol^2 when r < k;
 * else dgesdd runs on the same matrix, in its tall orientation (a wide one is transposed first).
 * Well-conditioned matrices (square Gaussian ones up to about 5000, every BF16 layer) take Gram;
 * F64/F32-stored rank-deficient and ill-conditioned ones take dgesdd.
 * Same input, same answer: the singular values are bitwise a function of the matrix (and the
 * method, gram_rtol and dtype_eps), never of the plan's size or of whether it computes vectors (a vectors
 * plan returns the values of the values-only route and takes the vectors from a separate dgesdd
 * on a copy). They do depend on the BLAS thread count (OpenBLAS partitions its work by it):
 * rmtk_analysis_run uses one BLAS thread; other callers fix theirs for reproducible bits.
 * Entries of extreme magnitude (largest outside 2^-200 .. 2^200) are scaled by an exact power of
 * two before the Gram matrix or dgesdd and the values scaled back; RMTK_ERR_RANGE (naming it)
 * when a singular value exceeds the double range. */
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
 * with their position in the message; a singular value beyond the double range RMTK_ERR_RANGE.
 * info may be NULL. */
RMTK_API int rmtk_spectrum_execute(rmtk_spectrum_plan *p, rmtk_matrix_view a, double *sv,
                                   double *u, double *v, rmtk_spectrum_info *info);
/* rmtk_spectrum_execute in two steps, for callers that must release the view's memory early
 * (a mapped tensor shared between threads): load converts the view into the plan's buffer (the
 * view may be unmapped afterwards), run computes from it. run consumes the loaded matrix: load
 * again before the next run. Same status codes as execute. */
RMTK_API int rmtk_spectrum_load(rmtk_spectrum_plan *p, rmtk_matrix_view a);
RMTK_API int rmtk_spectrum_run(rmtk_spectrum_plan *p, double *sv, double *u, double *v,
                               rmtk_spectrum_info *info);

/* ---- Matrices given as factors (module lowrank) ----
 * X = s L R with L rows x r and R r x cols (a LoRA update (alpha / r) B A): singular values from
 * the thin QR of L and of R^T and the SVD of the r x r core R_L R_R^T (dgeqrf, dgesdd, dormqr),
 * O((rows + cols) r^2), never forming the rows x cols product. Exact in exact arithmetic;
 * backward stable. Formula and reference: src/linalg/lowrank.c, docs/methods/spectrum.md
 * ("Matrices given as factors"). */
typedef struct rmtk_lowrank_info {
    int64_t inner;    /* r, the inner dimension of the factors */
    int64_t k;        /* min(rows, cols): values written to sv (the last k - min(r, ..) are 0) */
    int64_t rank;     /* numerical rank: #{sigma_i > tol} (the rule of rmtk analyze) */
    int64_t nvec;     /* vectors written: min(rows, cols, r) when asked, else 0 */
    double tol;       /* the rank tolerance: sigma_1 max(rows, cols) eps_F64 + (eps / sqrt 3)
                         rms(X) (sqrt rows + sqrt cols), rms(X)^2 = sum sigma^2 / (rows cols) */
    double err_bound; /* bound on the absolute error of each sigma^2: 2 sigma_1 eps_F64
                         (rows + cols + r) |s| ||L||_F ||R||_F */
} rmtk_lowrank_info;

/* A workspace for every product with rows <= max_rows, cols <= max_cols and r <= max_inner
 * (all >= 1; max_inner <= 2^20), with vectors when vectors != 0. Memory: (2 max_rows + max_cols)
 * max_inner + 6 max_inner^2 doubles and LAPACK's workspace. One plan per thread. RMTK_ERR_ARG,
 * RMTK_ERR_NOMEM. */
typedef struct rmtk_lowrank_plan rmtk_lowrank_plan;
RMTK_API int rmtk_lowrank_plan_alloc(int64_t max_rows, int64_t max_cols, int64_t max_inner,
                                     int32_t vectors, rmtk_lowrank_plan **out);
RMTK_API void rmtk_lowrank_plan_free(rmtk_lowrank_plan *p);
/* The last error message of the plan ("" when none). */
RMTK_API const char *rmtk_lowrank_errmsg(const rmtk_lowrank_plan *p);
/* Singular values of X = scale * L * R into sv[0..k), k = min(L.rows, R.cols), largest first,
 * padded with exact zeros after the min(rows, cols, r) values of the core. The views may have
 * any dtype and strides (rmtk_matrix_to_double; each is read once). eps: the storage precision
 * for the rank tolerance; 0 means the larger rmtk_dtype_eps of the two views' dtypes. When u or v
 * is not NULL (a vectors plan): the left vectors into u (vector j at u + j*rows, rows * nvec
 * doubles) and the right into v (vector j at v + j*cols), nvec = min(rows, cols, r); the zero
 * values have no vectors. info may be NULL. Errors (message in rmtk_lowrank_errmsg):
 * RMTK_ERR_ARG (NULL, L.cols != R.rows, beyond the plan, non-finite scale, vectors from a
 * values-only plan), RMTK_ERR_NUMERIC (a non-finite factor entry, named; LAPACK failure),
 * RMTK_ERR_RANGE (a singular value beyond the double range), RMTK_ERR_UNSUPPORTED (dtype).
 * Allocates nothing. Thread-safe on distinct plans. */
RMTK_API int rmtk_lowrank_execute(rmtk_lowrank_plan *p, rmtk_matrix_view l, rmtk_matrix_view r,
                                  double scale, double eps, double *sv, double *u, double *v,
                                  rmtk_lowrank_info *info);

/* =========================================================================================== */
/* Marchenko-Pastur, outliers, Tracy-Widom, BBP (module mp)                                     */
/* =========================================================================================== */

/* ---- Airy function and Tracy-Widom laws ---------------------------------------------------- */

/* Ai(x) and Ai'(x) for finite real x: asymptotic expansions for |x| >= 9, high-order Taylor steps
 * from a table (built once, thread-safely) inside; about 1e-15 relative to the envelope
 * (|x|^{-1/4} for x < 0, exp(-2/3 x^{3/2}) x^{-1/4} for x > 0). Either out-pointer may be NULL
 * (not both). RMTK_ERR_ARG for a non-finite x or two NULLs. REF: DLMF 9.7. Thread-safe. */
RMTK_API int rmtk_airy(double x, double *ai, double *aip);

/* The Tracy-Widom CDF F_beta(s), beta = 1 (real: GOE, real Wishart) or 2 (complex), as a Fredholm
 * determinant by Bornemann's Nystrom method: F_2(s) = det(I - K_Airy) on L^2(s, inf), F_1(s) =
 * det(I - A_s) on L^2(0, inf) with A_s(x, y) = Ai((x+y)/2 + s)/2. About 1e-12 absolute.
 * RMTK_ERR_ARG for beta not 1 or 2, NaN s or NULL F; RMTK_ERR_NOMEM.
 * REF: Bornemann, Markov Process. Related Fields 16 (2010) 803; methods.md 4.9. Thread-safe. */
RMTK_API int rmtk_tw_cdf(int beta, double s, double *F);

/* The p-quantile of TW_beta (F_beta(s) = p) by safeguarded regula falsi on [-10, 14]; p in
 * (0, 1). RMTK_ERR_NUMERIC when p is too close to 0 or 1 (outside [F(-10), F(14)]). Thread-safe. */
RMTK_API int rmtk_tw_quantile(int beta, double p, double *s);

/* Mean and standard deviation of TW_beta by quadrature of the CDF (integration by parts of the
 * density). Reference values (methods.md 4.9): TW_1 -1.2065, 1.2680; TW_2 -1.7711, 0.9018.
 * Costs about 130 determinant evaluations (milliseconds). Thread-safe. */
RMTK_API int rmtk_tw_moments(int beta, double *mean, double *sd);

/* Johnstone's centring and scaling for the largest eigenvalue l of X^T X, X an n x p matrix with
 * i.i.d. N(0, 1) entries: (l - mu) / sigma -> TW_1, mu = (sqrt(n-1) + sqrt p)^2, sigma =
 * (sqrt(n-1) + sqrt p)(1/sqrt(n-1) + 1/sqrt p)^{1/3}. n > 1, p > 0 (real numbers accepted).
 * For a matrix with entries of variance v, l/v is the statistic. REF: Johnstone, Ann. Statist.
 * 29 (2001) 295; methods.md 4.9. Thread-safe. */
RMTK_API int rmtk_tw_johnstone(double n, double p, double *mu, double *sigma);

/* ---- The Marchenko-Pastur law -------------------------------------------------------------- */

/* Conventions. W is an N x M matrix (rows x cols) with i.i.d. entries of mean 0 and variance
 * sigma2 (= v). rmtk reports eigenvalues as lambda_i = s_i^2, the squared singular values of W
 * itself, with NO 1/N. With n = max(N, M) and m = min(N, M), the m nonzero lambda_i fill
 *     [lambda_-, lambda_+] = [v (sqrt n - sqrt m)^2, v (sqrt n + sqrt m)^2]
 * with density rho(l) = sqrt((lambda_+ - l)(l - lambda_-)) / (2 pi v m l) (mean v n, so that
 * l / n follows the textbook MP(v, q = m/n) of methods.md 4.1). Singular-value form (x = s):
 * rho(s) = sqrt((s_+^2 - s^2)(s^2 - s_-^2)) / (pi v m s), s_pm = sqrt(v) (sqrt n pm sqrt m).
 * With atom = 1 the law is that of all n eigenvalues of the larger Gram matrix (n - m of them 0):
 * mass 1 - m/n at 0 and the continuous part scaled by m/n. The textbook normalised law MP(v, q)
 * of W^T W / N is rows = 1, cols = q (rows and cols may be any positive reals). */
enum rmtk_mp_form {
    RMTK_MP_EIGEN = 0,   /* x = lambda = s^2 */
    RMTK_MP_SINGULAR = 1 /* x = s */
};

typedef struct rmtk_mp_law {
    double sigma2; /* v > 0: variance of the matrix entries */
    double rows;   /* N > 0 */
    double cols;   /* M > 0 */
    int32_t form;  /* enum rmtk_mp_form */
    int32_t atom;  /* 0: law of the min(N, M) nonzero values; 1: of max(N, M) values with the atom */
} rmtk_mp_law;

/* Support [lo, hi] of the continuous part (in the law's form) and the atom's mass at 0 (0 when
 * atom = 0 or N = M). Any out-pointer may be NULL. RMTK_ERR_ARG for an invalid law (NULL,
 * non-positive or non-finite sigma2/rows/cols, unknown form, atom not 0/1). Thread-safe. */
RMTK_API int rmtk_mp_support(const rmtk_mp_law *law, double *lo, double *hi, double *atom_mass);

/* Density of the continuous part at x (the atom excluded; with atom = 1 it integrates to m/n).
 * `law` points to an rmtk_mp_law. Returns NaN for an invalid law. Thread-safe. */
RMTK_API double rmtk_mp_pdf(double x, const void *law);

/* CDF at x, closed form (the arcsin terms written as atan2 for accuracy at the edges):
 * with R = sqrt((b - l)(l - a)), a = lambda_-, b = lambda_+,
 *   F(l) = [ R + (a+b)/2 atan2(2R, a+b-2l) - sqrt(ab) atan2(2 sqrt(ab) R, 2ab-(a+b)l) ]
 *          / (2 pi v m),
 * plus the atom (jump at 0) when atom = 1; the singular form is F(s^2). An rmtk_cdf_fn: pass it
 * with a const rmtk_mp_law * to rmtk_ks_statistic or to unfold through it. NaN for an invalid law.
 * REF: methods.md 4.1 (density); the antiderivative is elementary. Thread-safe. */
RMTK_API double rmtk_mp_cdf(double x, const void *law);

/* The p-quantile (p in [0, 1]) by safeguarded Newton-bisection on the closed-form CDF to ~1e-15
 * relative; p at or below the atom's mass gives 0. RMTK_ERR_ARG for an invalid law, NULL x or p
 * outside [0, 1]. Thread-safe. */
RMTK_API int rmtk_mp_quantile(const rmtk_mp_law *law, double p, double *x);

/* ---- BBP transition ------------------------------------------------------------------------ */

/* Normalisation (methods.md 4.9): X is n x m with entries of variance 1/m, c = n/m in (0, 1].
 * The top singular value of X + theta u v^T (unit u, v) tends to
 *   y = sqrt((1 + theta^2)(c + theta^2)) / theta   for theta > c^{1/4},
 * and to the bulk edge 1 + sqrt c otherwise. A real W (N x M, entry variance v) is normalised as
 * X = W / sqrt(v max(N, M)), c = min(N, M) / max(N, M): a singular value s of W has y = s /
 * sqrt(v max(N, M)), and theta corresponds to a rank-one signal of singular value
 * theta sqrt(v max(N, M)) in W's units. */

/* y(theta) as above (the edge for theta <= c^{1/4}). RMTK_ERR_ARG for theta < 0 or c outside
 * (0, 1]. Thread-safe. */
RMTK_API int rmtk_bbp_top(double theta, double c, double *y);

/* The inverse: theta from an outlier y > 1 + sqrt c,
 *   theta^2 = [ (y^2 - 1 - c) + sqrt((y^2 - 1 - c)^2 - 4c) ] / 2  (the root with theta > c^{1/4}).
 * RMTK_ERR_NUMERIC when y <= 1 + sqrt c (inside the bulk: no estimate); RMTK_ERR_ARG for bad c or
 * a NULL pointer. Thread-safe. */
RMTK_API int rmtk_bbp_theta(double y, double c, double *theta);

/* ---- Fits, outliers and the per-matrix entry point ------------------------------------------ */

enum rmtk_mp_broadening {
    RMTK_MP_BROADEN_DROP = 0,     /* Gaussians at s_w .. s_{n-w-1}, divided by n (paper default) */
    RMTK_MP_BROADEN_REPLICATE = 1 /* pad w copies of each end value; all n Gaussians, / (n+2w) */
};

enum rmtk_mp_estimator {
    RMTK_MP_EST_MEAN = 0,  /* bulk mean = MP mean v max(N, M) (the mean squared entry) */
    RMTK_MP_EST_MEDIAN = 1 /* bulk median = MP median (Gavish-Donoho style matching) */
};

typedef struct rmtk_mp_params {
    double alpha;       /* significance of the Tracy-Widom outlier test; default 0.05 */
    int32_t window;     /* broadening window w of the paper fit; default 15 */
    int32_t broadening; /* enum rmtk_mp_broadening; default RMTK_MP_BROADEN_DROP */
    int32_t n_samples;  /* grid points per level gap of the paper fit; default 10 */
    int32_t estimator;  /* enum rmtk_mp_estimator of the robust fit; default RMTK_MP_EST_MEAN */
    double fit_range;   /* paper fit keeps x <= argmax pdf or pdf > fit_range max; default 0.7 */
} rmtk_mp_params;

RMTK_API rmtk_mp_params rmtk_mp_params_default(void);

/* The paper's three-parameter singular-value fit (methods.md 1.4 B), on singular values s[0..k)
 * (any order) of an N x M matrix: f(x) = (a/x) sqrt((nu_max^2 - x^2)(x^2 - nu_min^2)) (0 outside)
 * fitted by least squares to the Gaussian-broadened density (window w, methods.md 1.4 A) on the
 * pdf_from_spectrum grid (n_samples points per gap; 500 gaps of right padding), keeping x > 0 and
 * x <= argmax or pdf > fit_range * max; nu_min = the smallest singular value; (a, nu_max) >= 0.
 * rmtk solves the bounded least squares exactly by profiling: for fixed nu_max, a is a
 * closed-form linear least-squares value (clipped at 0), and nu_max minimises the profiled
 * residual by a 400-point scan over (nu_min, nu_min + 4 (x_fit_max - nu_min)] refined by golden
 * section (the paper used scipy's local TRF from p0 = (0.5, 2.0)). */
typedef struct rmtk_mp_paper_fit {
    double a;            /* fitted amplitude (MP theory: 1/(pi v m) times the density's mass) */
    double nu_min;       /* fixed: smallest singular value */
    double nu_max;       /* fitted upper edge */
    double sigma2;       /* nu_max^2 / (sqrt N + sqrt M)^2: entry variance from the edge */
    double lambda_minus; /* nu_min^2 */
    double lambda_plus;  /* nu_max^2 */
    double rss;          /* residual sum of squares over the fitted points */
    int64_t n_points;    /* grid points in the fit */
    int64_t n_above;     /* singular values > nu_max (the port's "bulk threshold" count) */
} rmtk_mp_paper_fit;

/* Returns RMTK_ERR_ARG (NULL, rows/cols < 1, k != min(rows, cols), negative or non-finite value,
 * window < 1 or n_samples < 1), RMTK_ERR_NUMERIC (k <= 2 window + 2 for 'drop', k < 3, a profile
 * without an interior minimum), RMTK_ERR_NOMEM. Thread-safe. */
RMTK_API int rmtk_mp_fit_paper(const double *s, size_t k, int64_t rows, int64_t cols,
                               const rmtk_mp_params *params, rmtk_mp_paper_fit *out);

/* The robust fit of the entry variance v and the edges, excluding outliers one by one from the
 * top (a step-down Tracy-Widom test). With l_i = s_i^2 ascending and j values excluded so far:
 *  1. v_j = mean(bulk) / (max(N, M) - j) (RMTK_MP_EST_MEAN: the bulk left by j spikes is the
 *     spectrum of the (N - j) x (M - j) noise deflated by the signal directions, whose mean
 *     eigenvalue is v (max(N, M) - j)) or median(bulk) / Q(1/2) (RMTK_MP_EST_MEDIAN,
 *     Gavish-Donoho style; Q the MP median for v = 1), bulk = the k - j smallest values;
 *  2. if the TW_1 p-value (rmtk_mp_outlier_pvalue, shape (N - j) x (M - j)) of the largest bulk
 *     value under v_j is below alpha, exclude it (j += 1) and go to 1; otherwise stop.
 * The value under test is part of the bulk that sets the scale (the null hypothesis of that
 * step), so exclusions do not feed on themselves; at most k/2 values are excluded (capped = 1
 * then). The excluded values are the spikes. lambda_pm = v (sqrt N pm sqrt M)^2. */
typedef struct rmtk_mp_robust_fit {
    double sigma2;       /* fitted entry variance v = v_j at the stop */
    double lambda_minus; /* v (sqrt N - sqrt M)^2 */
    double lambda_plus;  /* v (sqrt N + sqrt M)^2 */
    int64_t n_excluded;  /* j: values excluded as outliers (the spikes) */
    int32_t steps;       /* tests made (j + 1, or j when capped) */
    int32_t capped;      /* 1 when the k/2 limit stopped the exclusions */
} rmtk_mp_robust_fit;

/* Errors as rmtk_mp_fit_paper; RMTK_ERR_NUMERIC when all values are 0. Thread-safe. */
RMTK_API int rmtk_mp_fit_robust(const double *s, size_t k, int64_t rows, int64_t cols,
                                const rmtk_mp_params *params, rmtk_mp_robust_fit *out);

/* Tracy-Widom p-value of an eigenvalue l = s^2 of an N x M matrix with entry variance v:
 * t = (l / v - mu) / sigma with Johnstone's mu, sigma for n = max(N, M), p = min(N, M)
 * (rmtk_tw_johnstone), p = 1 - F_1(t). Exact in the limit for the largest eigenvalue; for the
 * second, third, ... largest it is conservative (they are stochastically smaller). Outputs may be
 * NULL (not both). Thread-safe. */
RMTK_API int rmtk_mp_outlier_pvalue(double lambda, double sigma2, int64_t rows, int64_t cols,
                                    double *tw_stat, double *pvalue);

/* Everything of module mp for one matrix. Fields and the summary.csv columns they feed: */
typedef struct rmtk_mp_result {
    double sigma2;       /* summary.csv mp_sigma2: robust-fit entry variance v */
    double lambda_minus; /* summary.csv mp_lambda_minus: v (sqrt N - sqrt M)^2 (lambda = s^2) */
    double lambda_plus;  /* summary.csv mp_lambda_plus: v (sqrt N + sqrt M)^2 */
    int64_t n_spikes;    /* summary.csv n_spikes: the robust fit's excluded values (step-down
                            TW_1 test at level alpha) */
    double softrank;     /* summary.csv mp_softrank: lambda_plus / lambda_max (lambda_max = s_1^2) */
    double lambda_max;   /* s_1^2 */
    double tw_mu;        /* v mu (Johnstone centring, lambda units) */
    double tw_sigma;     /* v sigma (Johnstone scale, lambda units) */
    double tw_stat_top;  /* (lambda_max - tw_mu) / tw_sigma */
    double pvalue_top;   /* 1 - F_1(tw_stat_top) */
    double bbp_c;        /* min(N, M) / max(N, M) */
    rmtk_mp_robust_fit robust;
    rmtk_mp_paper_fit paper; /* NaN fields when paper_status != RMTK_OK */
    int32_t paper_status;    /* status of rmtk_mp_fit_paper (e.g. RMTK_ERR_NUMERIC: too few) */
    int32_t pad;
} rmtk_mp_result;

/* Per-matrix entry point: s[0..k) the singular values (largest first, as the spectrum engine
 * reports them; any order accepted), k = min(rows, cols). Runs the robust fit, the TW outlier
 * test and the paper fit (its failure is reported in paper_status, not as the return value).
 * Spikes (largest first): for i < min(n_spikes, cap), spike_lambda[i] = s_i^2, spike_theta[i] =
 * the BBP estimate of theta from y = s_i / sqrt(v max(N, M)) (0 when y <= 1 + sqrt c, i.e. not
 * resolvable above the BBP transition), spike_pvalue[i] its TW_1 p-value. Arrays of length k
 * always suffice; cap = 0 (arrays may be NULL) just counts. Returns the robust fit's errors.
 * Thread-safe. */
RMTK_API int rmtk_mp_analyze(const double *s, size_t k, int64_t rows, int64_t cols,
                             const rmtk_mp_params *params, rmtk_mp_result *res,
                             double *spike_lambda, double *spike_theta, double *spike_pvalue,
                             size_t cap);

/* =========================================================================================== */
/* Level statistics (module levels)                                                             */
/* =========================================================================================== */

/* Level statistics of a spectrum (REF: methods.md 1.4 A, C, D, 1.6, 4.3, 4.4; the formulas, the
 * paper-faithful variants and where rmtk differs are in docs/methods/levels.md). Levels may be
 * passed in any order (singular values largest first, eigenvalues ascending...): functions that
 * need them sorted sort a private copy. Every function here is thread-safe (the only shared state
 * is the constant exact-spacing table, built once under pthread_once). */

/* ---- unfolding --------------------------------------------------------------------------- */

enum rmtk_unfold_method {
    RMTK_UNFOLD_GAUSS = 0, /* Gaussian broadening of the staircase (the paper's method) */
    RMTK_UNFOLD_POLY = 1,  /* least-squares polynomial (Chebyshev basis) fit of the staircase */
    RMTK_UNFOLD_CDF = 2    /* a caller-supplied smooth CDF: xi = scale * F(s) (e.g. fitted MP) */
};

enum rmtk_gauss_edge {
    RMTK_GAUSS_DROP = 0,     /* the paper's unfold_spectrum: n - 4w unfolded levels */
    RMTK_GAUSS_REPLICATE = 1 /* pad w copies of the end levels: n - 2w unfolded levels */
};

typedef struct rmtk_unfold_params {
    int32_t method;      /* enum rmtk_unfold_method; default RMTK_UNFOLD_GAUSS */
    int32_t gauss_edge;  /* enum rmtk_gauss_edge; default RMTK_GAUSS_DROP */
    uint32_t window;     /* Gaussian window w >= 1; default 15 */
    uint32_t poly_degree; /* polynomial degree D in [1, 40]; default 9 */
    double sigma_floor;  /* Gaussian widths below sigma_floor * max|s| (at least DBL_MIN) are
                            raised to it and counted; default 1e-15 (the paper adds 1e-15) */
    rmtk_cdf_fn cdf;     /* RMTK_UNFOLD_CDF: the CDF F of the levels (borrowed during the call) */
    const void *cdf_params;
    double cdf_scale;    /* RMTK_UNFOLD_CDF: xi = cdf_scale * F(s); 0 means n (the level count) */
} rmtk_unfold_params;

RMTK_API rmtk_unfold_params rmtk_unfold_params_default(void);

/* The number of unfolded levels rmtk_unfold produces from n levels: n - 4w (gauss, drop),
 * n - 2w (gauss, replicate), n (poly, cdf). RMTK_ERR_ARG for bad params or a NULL pointer;
 * RMTK_ERR_NUMERIC when n is too small (fewer than 2 unfolded levels, or n <= D + 1 for poly). */
RMTK_API int rmtk_unfold_count(size_t n, const rmtk_unfold_params *p, size_t *n_out);

/* Unfold the n levels (any order; not modified) to xi[0..n_out), sorted ascending, mean spacing
 * about 1. Gauss: sigma_i = (s_{i+w} - s_{i-w})/2 and
 *   xi_j = sum_i (1/2)[1 + erf((s_j - s_i) / (sqrt 2 sigma_i))]
 * (drop: kernels i in [w, n-w), evaluated at j in [2w, n-2w); replicate: the sorted levels padded
 * with w copies of each end value, kernels at every original level, evaluated at j in [w, n-w)).
 * Kernels whose erf is saturated (|argument| > 6.5) are summed as exact 0/1 without evaluating
 * erf (absolute error < n * 1e-20), which makes the cost O(n w) instead of O(n^2).
 * Poly: least squares of the staircase N(s_(i)) = i + 1/2 by sum_k c_k T_k(t), t the levels mapped
 * to [-1, 1]; xi = the fit at each level (then sorted). Cdf: xi = scale * F(s).
 * xi must hold cap >= n_out values (ask rmtk_unfold_count). n_floored (may be NULL) receives the
 * number of Gaussian widths raised to the floor (degenerate levels; 0 for poly and cdf).
 * RMTK_ERR_ARG (NULL, bad params, non-finite levels), RMTK_ERR_RANGE (cap too small),
 * RMTK_ERR_NUMERIC (too few levels, all levels equal), RMTK_ERR_LAPACK, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_unfold(const double *levels, size_t n, const rmtk_unfold_params *p, double *xi,
                         size_t cap, size_t *n_out, size_t *n_floored);

/* The Gaussian-broadened density of the paper at x[0..m) (REF: methods.md 1.4 A):
 * rho(x) = (1/n') sum_i Normal(x; s_i, sigma_i + floor) over the kernels of rmtk_unfold (drop:
 * i in [w, n-w), n' = n; replicate: every level, n' = n + 2w, the code quirk, so that rho
 * integrates to (n - 2w)/n resp. n/(n + 2w)). floor = sigma_floor * max|s| as in rmtk_unfold.
 * RMTK_ERR_ARG, RMTK_ERR_NUMERIC (n <= 2w), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_gauss_density(const double *levels, size_t n, uint32_t window, int32_t edge,
                                double sigma_floor, const double *x, size_t m, double *rho);

/* ---- spacing laws ------------------------------------------------------------------------ */

/* Wigner surmise density / CDF at s for beta = 1 (GOE), 2 (GUE), 4 (GSE); beta = 0 gives Poisson
 * exp(-s). Unit mean spacing (methods.md 4.3). NaN for another beta. */
RMTK_API double rmtk_wigner_surmise_pdf(int beta, double s);
RMTK_API double rmtk_wigner_surmise_cdf(int beta, double s);

/* Brody density and CDF, P = (b+1) c s^b exp(-c s^{b+1}), c = Gamma((b+2)/(b+1))^{b+1}. */
RMTK_API double rmtk_brody_pdf(double beta, double s);
RMTK_API double rmtk_brody_cdf(double beta, double s);

/* The exact large-N spacing law of GOE (beta = 1) or GUE (beta = 2) at s[0..n) (Gaudin-Mehta,
 * REF: methods.md 4.3; Bornemann 2010): E_2(0; s) = det(I - K_sine) on L^2(0, s),
 * E_1(0; s) = det(I - K+) on L^2(0, s/2), K+(x, y) = S(x - y) + S(x + y), S(x) = sin(pi x)/(pi x).
 * With unit mean spacing, E(0; s) = int_s^inf (t - s) p(t) dt, so the CDF of the spacing is
 * F(s) = 1 + dE/ds and the density p(s) = d^2E/ds^2. E is tabulated by Nystrom determinants
 * (48 Gauss-Legendre nodes) at 96 Chebyshev points on [0, 8] and differentiated analytically as
 * a Chebyshev series (beyond 8: E = 0, F = 1, p = 0; error < 1e-12 in E and F, ~1e-8 in p).
 * The table is built once per process (~20 ms per beta, thread-safe) and shared. Any of E, cdf,
 * pdf may be NULL. RMTK_ERR_ARG (beta not 1 or 2, s NULL). */
RMTK_API int rmtk_spacing_exact(int beta, const double *s, size_t n, double *E, double *cdf,
                                double *pdf);

/* Nearest-neighbour spacings d[j] = xi[j+1] - xi[j], j < n - 1, of sorted levels xi. */
RMTK_API int rmtk_spacings(const double *xi_sorted, size_t n, double *d);

/* ---- Brody fits -------------------------------------------------------------------------- */

/* Maximum-likelihood Brody parameter of spacings d[0..n) (any order, unit mean assumed) over
 * beta in [0, 50] (safeguarded Newton on the score), and its bootstrap standard error from
 * n_boot resamples with replacement (stream 0 of seed; err = 0 when n_boot < 2). Spacings <= 0
 * are excluded (their count goes to *n_excluded, may be NULL). RMTK_ERR_ARG, RMTK_ERR_NUMERIC
 * (fewer than 3 positive spacings), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_brody_fit_ml(const double *d, size_t n, size_t n_boot, uint64_t seed,
                               double *beta, double *err, size_t *n_excluded);

/* The paper's fit (REF: methods.md 1.4 C, fit_Brody_bootstrap): least squares of the Brody CDF to
 * the empirical CDF points (x = sorted spacings, y = i/n, i = 0..n-1), beta >= 0, repeated on
 * n_boot bootstrap resamples (stream 1 of seed); beta = mean and err = sd over the resamples as in
 * the paper (paper: n_boot = 1000). n_boot = 0 fits the sample itself (err = 0).
 * RMTK_ERR_ARG (NULL, NaN), RMTK_ERR_NUMERIC (fewer than 3 positive spacings), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_brody_fit_ls(const double *d, size_t n, size_t n_boot, uint64_t seed,
                               double *beta, double *err);

/* ---- spacing ratios ---------------------------------------------------------------------- */

/* Spacing ratios r~_i = min(g_i, g_{i-1}) / max(g_i, g_{i-1}) of consecutive gaps g of the sorted
 * levels (no unfolding; REF: methods.md 4.3, Oganesyan-Huse, Atas et al. 2013). Pairs of zero
 * gaps are skipped. r must hold n - 2 values; *m receives the number written. RMTK_ERR_ARG,
 * RMTK_ERR_NUMERIC (n < 3), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_spacing_ratios(const double *levels, size_t n, double *r, size_t *m);

/* Mean of r[0..m) and its standard error by batch means over consecutive blocks of 10 ratios (so
 * that the correlation of neighbouring ratios, which share a gap, is accounted for); plain
 * sd/sqrt(m) when m < 100. Reference means: GOE 0.5307, GUE 0.5996, GSE 0.6744, Poisson
 * 2 ln 2 - 1 = 0.3863. */
RMTK_API int rmtk_ratio_mean(const double *r, size_t m, double *mean, double *sem);

/* The Atas surmise for r~ on [0, 1]: density 2 P_beta(r) and its CDF, beta = 1, 2, 4, and the
 * Poisson law (beta = 0): density 2/(1+r)^2, CDF 2r/(1+r). NaN for another beta. The CDF is a
 * 40-node Gauss-Legendre integral of the density (smooth integrand: error ~1e-15). */
RMTK_API double rmtk_ratio_surmise_pdf(int beta, double r);
RMTK_API double rmtk_ratio_surmise_cdf(int beta, double r);

/* ---- number variance and spectral rigidity ----------------------------------------------- */

/* Number variance of unfolded sorted levels xi[0..n) at window length L, EXACT over all window
 * centres c uniform in [xi_0 + L/2, xi_{n-1} - L/2]: n(c) = #{xi in [c - L/2, c + L/2]} is
 * piecewise constant in c, so <n> and <n^2> are computed exactly from the sorted jump points
 * (O(n)). RMTK_ERR_ARG (NULL, L <= 0), RMTK_ERR_NUMERIC (xi_{n-1} - xi_0 <= L). */
RMTK_API int rmtk_number_variance(const double *xi_sorted, size_t n, double L, double *sigma2);

typedef struct rmtk_nv_mc_params {
    double tol;          /* stop when the last min_iter running estimates span < tol; 1e-3 */
    uint64_t min_iter;   /* ring-buffer size and minimum iterations; 1000 */
    uint64_t max_iter;   /* hard stop; 1000000 */
    uint64_t seed;       /* rmtk_rng seed (stream 2); 0 */
} rmtk_nv_mc_params;

RMTK_API rmtk_nv_mc_params rmtk_nv_mc_params_default(void);

/* The paper's Monte-Carlo number variance (REF: methods.md 1.4 D): random window centres until
 * the running estimate settles. *se receives the standard error of the estimate of the
 * all-window value (delta method, sqrt((m4 - s^4)/K)), *iters (may be NULL) the count K.
 * RMTK_ERR_ARG, RMTK_ERR_NUMERIC as rmtk_number_variance. */
RMTK_API int rmtk_number_variance_mc(const double *xi_sorted, size_t n, double L,
                                     const rmtk_nv_mc_params *p, double *sigma2, double *se,
                                     uint64_t *iters);

/* Dyson-Mehta Delta_3(L) of unfolded sorted levels: the mean over windows [x, x + L] of
 * (1/L) min_{A,B} int (N(E) - A E - B)^2 dE, with the closed-form least squares per window
 * (Bohigas-Giannoni) from the positions e_k of the window's levels. Window starts x form the
 * deterministic grid xi_0 + k * step, k = 0, 1, ... while x + L <= xi_{n-1}; step <= 0 means
 * 0.25. RMTK_ERR_ARG, RMTK_ERR_NUMERIC (xi_{n-1} - xi_0 < L). */
RMTK_API int rmtk_delta3(const double *xi_sorted, size_t n, double L, double step, double *delta3);

/* Sine and cosine integrals Si(x) = int_0^x sin t/t dt, Ci(x) = gamma + ln x + int_0^x
 * (cos t - 1)/t dt for x > 0 (power series for x <= 4, the continued fraction of E1(ix) beyond;
 * ~1e-15 absolute). x <= 0: Si odd, Ci NaN. Either output may be NULL. */
RMTK_API void rmtk_sici(double x, double *si, double *ci);

/* Exact reference number variance Sigma^2(L) for beta = 1 (GOE), 2 (GUE), 0 (Poisson: L)
 * (REF: methods.md 4.4), and Delta_3(L) = (2/L^4) int_0^L (L^3 - 2 L^2 r + r^3) Sigma^2(r) dr by
 * composite Gauss-Legendre (Poisson: L/15). NaN for another beta or L < 0. T2 of methods.md 5. */
RMTK_API double rmtk_sigma2_ref(int beta, double L);
RMTK_API double rmtk_delta3_ref(int beta, double L);
/* The large-L forms: GOE (1/pi^2)[ln(2 pi L) + gamma - 5/4 - pi^2/8], GUE
 * (1/(2 pi^2))[ln(2 pi L) + gamma - 5/4], Poisson L/15. */
RMTK_API double rmtk_delta3_asymptotic(int beta, double L);

/* ---- everything for one matrix ------------------------------------------------------------ */

typedef struct rmtk_levels_params {
    rmtk_unfold_params unfold; /* default: gauss, w = 15, drop */
    const double *L;           /* L grid of the Sigma^2 / Delta_3 curves (borrowed); NULL: the
                                  default grid 0.5, 1, 2, 3, 5, 7, 10, 15, 20 (n_L ignored) */
    size_t n_L;
    uint32_t brody_boot;       /* bootstrap resamples of both Brody fits; default 1000 (paper) */
    uint32_t sigma2_mc;        /* 0: exact Sigma^2 (default); 1: the paper's Monte-Carlo */
    rmtk_nv_mc_params mc;      /* for sigma2_mc = 1 (its seed is replaced by `seed`) */
    double delta3_step;        /* window-start step of Delta_3; default 0.25 */
    uint32_t ratio_bins;       /* bins of the r~ histogram on [0, 1]; default 20 */
    uint32_t pad;
    uint64_t seed;             /* seeds the bootstraps and the Monte-Carlo; default 0 */
} rmtk_levels_params;

RMTK_API rmtk_levels_params rmtk_levels_params_default(void);

/* Results. Scalars that cannot be computed (too few levels for the unfolding or the window, a
 * degenerate fit) are NaN. The array pointers and capacities are set by the caller (NULL / 0 to
 * skip); the function writes min(count, cap) values and reports the count. */
typedef struct rmtk_levels_result {
    /* counts */
    size_t n_levels;       /* input levels */
    size_t n_unfolded;     /* unfolded levels (rmtk_unfold_count) */
    size_t n_spacings;     /* n_unfolded - 1 */
    size_t n_ratios;       /* spacing ratios (pairs of zero gaps skipped) */
    size_t n_sigma_floored; /* Gaussian widths raised to the floor (degenerate levels) */
    /* spacing ratios (no unfolding) */
    double r_mean, r_sem;  /* summary.csv r_mean, r_sem */
    double ks_p_ratio_goe; /* KS p-value of r~ against the GOE Atas surmise */
    /* unfolded spacings */
    double mean_spacing;
    double ks_d_wigner, ks_p_wigner;   /* summary.csv ks_p_wigner (GOE surmise, the paper's) */
    double ks_d_goe, ks_p_goe;         /* summary.csv ks_p_goe (exact GOE law) */
    double ks_d_poisson, ks_p_poisson; /* Poisson exp(-s) */
    double brody_beta, brody_beta_err; /* summary.csv brody_beta, brody_beta_err (ML, bootstrap) */
    double brody_beta_ls, brody_beta_ls_err; /* the paper's LS-on-ECDF bootstrap mean and sd */
    double sigma2_L1, sigma2_L5, delta3_L5; /* summary.csv sigma2_L1, sigma2_L5, delta3_L5 */
    /* arrays for report.json */
    double *spacings; size_t spacings_cap; /* unfolded spacings, in level order */
    double *ratios; size_t ratios_cap;     /* r~ in level order */
    /* r~ histogram: ratio_bins densities and the GOE / Poisson surmise densities averaged over
     * each bin (bin k = [k/B, (k+1)/B)); each array NULL or ratio_bins long */
    double *ratio_hist, *ratio_hist_goe, *ratio_hist_poisson;
    /* curves at the n_L lengths L (default grid: 9); each array NULL or that long. The curve
     * values are NaN where L exceeds the unfolded range. */
    double *curve_L, *sigma2, *sigma2_goe, *sigma2_poisson, *delta3, *delta3_goe,
        *delta3_poisson;
    size_t n_curve; /* the number of L values */
} rmtk_levels_result;

/* Every level statistic of one spectrum: levels[0..n) in any order (singular values largest
 * first as the spectrum engine gives them). Ratios come from the raw sorted levels; spacings,
 * KS tests, Brody fits, Sigma^2 and Delta_3 from the unfolded levels. Deterministic for a given
 * seed. RMTK_ERR_ARG (NULL, non-finite levels, bad params), RMTK_ERR_NUMERIC (n < 3 or all
 * levels equal), RMTK_ERR_NOMEM, RMTK_ERR_LAPACK (poly unfolding). Too few levels for the
 * unfolding is not an error: the unfolded statistics are then NaN and n_unfolded = 0. */
RMTK_API int rmtk_levels_analyze(const double *levels, size_t n, const rmtk_levels_params *p,
                                 rmtk_levels_result *res);

/* =========================================================================================== */
/* Singular-vector statistics (module vectors)                                                  */
/* =========================================================================================== */

/* The exact finite-N Porter-Thomas law, the Porter-Thomas Kolmogorov-Smirnov tests of the
 * singular vectors (REF: methods.md 1.4 E, F and 4.5) and the inverse participation ratio.
 * Vectors are given vector-major: vector j of dimension dim starts at x + j * dim (LAPACK's
 * column-major U is already in this layout; the rows of V^T must be copied or V passed). Unit
 * norm is expected; every test normalises its own copy, and a vector's sign does not matter. */

/* Regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0 and
 * 0 <= x <= 1, by the continued fraction of Numerical Recipes (modified Lentz) with the symmetry
 * switch I_x(a, b) = 1 - I_{1-x}(b, a) when x > (a + 1)/(a + b + 2); ln B(a, b) from lgamma, with
 * Stirling's series for the difference ln Gamma(b) - ln Gamma(a + b) when b is large (so that
 * a = 1/2, b = 10^5 stays accurate). Accuracy about 1e-13 absolute (tested against mpmath).
 * Returns RMTK_ERR_ARG for a or b <= 0, x outside [0, 1] or NaN, out NULL; RMTK_ERR_NUMERIC if
 * the continued fraction did not converge. Thread-safe. */
RMTK_API int rmtk_betainc(double a, double b, double x, double *out);

/* CDF of one component u of a uniformly distributed real unit vector in R^n (n >= 2):
 * u^2 ~ Beta(1/2, (n-1)/2), so F(u) = 1/2 + sign(u) I_{u^2}(1/2, (n-1)/2) / 2 (methods.md 4.5).
 * Returns NaN for n < 2 or NaN u; 0 for u <= -1 and 1 for u >= 1. Thread-safe. */
RMTK_API double rmtk_pt_cdf(double u, size_t n);

/* Inverse participation ratio IPR(v) = sum_i v_i^4 / (sum_i v_i^2)^2 (= sum v_i^4 for a unit
 * vector). Reference for a uniform unit vector in R^n: E IPR = 3/(n + 2) (methods.md 1.4 F).
 * RMTK_ERR_ARG for NULL or n == 0, RMTK_ERR_NUMERIC for a zero vector. Thread-safe. */
RMTK_API int rmtk_ipr(const double *v, size_t n, double *ipr);

/* The Porter-Thomas test variants. All are Kolmogorov-Smirnov tests of the n components of a
 * vector against the component law of a uniform unit vector; they differ in the reference CDF,
 * the statistic and how the p-value is calibrated. */
typedef enum rmtk_pt_method {
    /* Default. Exact CDF rmtk_pt_cdf, the textbook statistic
     * D = max_i max(F(x_(i)) - i/n, (i+1)/n - F(x_(i))), and its null distribution at the same n
     * from nsamples seeded random unit vectors: p = (1 + #{D_null >= D}) / (nsamples + 1).
     * Exact size: P(p <= alpha) <= alpha for any n (components on a sphere are not i.i.d., so
     * Kolmogorov's law does not hold exactly; this calibration does not need it). */
    RMTK_PT_EXACT_MC = 0,
    /* Exact CDF and the same D, with the p-value of Kolmogorov's law for n i.i.d. values
     * (rmtk_ks_pvalue: relative error <= 3e-5 to the far tail). An approximation: the sphere
     * constraint sum u_i^2 = 1 makes D smaller than for i.i.d. values, so this test is
     * conservative (measured rejection rate at alpha = 0.05 is 0.040 on random vectors,
     * see docs/methods/vectors.md). No null is simulated. */
    RMTK_PT_EXACT_KOLMOGOROV = 1,
    /* The released code of Thamm et al. (methods.md 1.4 E): reference CDF Cbar pooled from
     * nsamples random unit vectors (linear interpolation of (sorted entries, j/(K-1))),
     * D = max_i |Cbar(x_(i)) - i/(n-1)|, null D from nsamples fresh unit vectors,
     * p = 1 - C(D) with C the linear interpolation of (sorted null D, j/(nsamples-1)), clamped.
     * With pooling_window w > 0 the pooled variant: pools of 2w consecutive vectors are tested
     * jointly (entries concatenated, plotting position i/(2wn-1)), null from pools of 2w random
     * unit vectors. */
    RMTK_PT_PAPER = 2,
    /* Staats' older code (methods.md 1.4 E, `ptd`): Gaussian reference CDF of variance 1/n,
     * D = max_i |F(x_(i)) - (i+1)/n|, null from nsamples random unit vectors,
     * p = 1 - ECDF_null(D) = #{D_null > D} / nsamples. That code also moving-averaged the
     * p-values over +-15 neighbours: set ma_window = 15 for the full older variant. */
    RMTK_PT_STAATS = 3
} rmtk_pt_method;

typedef struct rmtk_pt_params {
    int32_t method;          /* rmtk_pt_method; default RMTK_PT_EXACT_MC */
    uint32_t pad;            /* zero */
    uint64_t nsamples;       /* Monte-Carlo null size; 0 = the method's default: 2000
                                (EXACT_MC), 5000 (PAPER), 10000 (STAATS); unused by
                                EXACT_KOLMOGOROV. Minimum 20. */
    uint64_t pooling_window; /* RMTK_PT_PAPER only: 0 = single vectors (default), w > 0 =
                                pools of 2w consecutive vectors */
    uint64_t ma_window;      /* moving average of the p-values, any method: p_i is replaced by
                                the mean of p over vectors [i - w, i + w) clipped to [0, k)
                                (Staats' convention); 0 = off (default) */
    uint64_t seed;           /* seed of the simulated nulls (default 0); stream per dimension */
    double alpha;            /* significance for the rejection fractions; default 0.05 */
} rmtk_pt_params;

RMTK_API rmtk_pt_params rmtk_pt_params_default(void);

/* A Porter-Thomas plan: the null distribution (and for RMTK_PT_PAPER the reference CDF) of one
 * dimension n, simulated once at alloc and shared by every vector of that dimension. Cost at
 * alloc: nsamples * n normals, sorts and CDF evaluations (EXACT_MC at n = 4096: about 1.7 s;
 * testing 2 x 4096 vectors then takes about 5 s, against 65 s for dgesdd with vectors);
 * RMTK_PT_PAPER also holds n * nsamples doubles (160 MB at n = 4096, nsamples = 5000) and, when
 * pooled, simulates nsamples * 2w vectors. A plan holds scratch space: use it from one thread
 * at a time (or one plan per thread). */
typedef struct rmtk_pt_plan rmtk_pt_plan;

/* Build the plan for dimension n >= 2 (n >= 3 for RMTK_PT_PAPER) and params (NULL = defaults).
 * RMTK_ERR_ARG on bad arguments, RMTK_ERR_NOMEM. *out is NULL on failure. */
RMTK_API int rmtk_pt_plan_alloc(size_t n, const rmtk_pt_params *params, rmtk_pt_plan **out);
RMTK_API void rmtk_pt_plan_free(rmtk_pt_plan *plan);

/* Quantile q in [0, 1] of the plan's simulated null distribution of D (linear interpolation of
 * the sorted null sample). RMTK_ERR_ARG for RMTK_PT_EXACT_KOLMOGOROV (no simulated null). */
RMTK_API int rmtk_pt_plan_null_quantile(const rmtk_pt_plan *plan, double q, double *d);

/* Test the k vectors x[j * n .. j * n + n) of the plan's dimension: statistic d[j] and p-value
 * p[j] per vector (either output may be NULL). Pooled plans give every vector of a pool the
 * pool's D and p; pools are disjoint blocks of 2w vectors from the first, and when 2w does not
 * divide k the last pool is the last 2w vectors (it overlaps the one before; those vectors get
 * the smaller of the two p-values). A pooled plan needs k >= 2w. With ma_window the p-values
 * are then moving-averaged (d is not). RMTK_ERR_ARG (NULL plan or x, k == 0, k < 2w),
 * RMTK_ERR_NUMERIC (a zero or non-finite vector). Not thread-safe on one plan. */
RMTK_API int rmtk_pt_test(rmtk_pt_plan *plan, const double *x, size_t k, double *d, double *p);

/* Per-matrix analysis of the singular vectors, with a cache of plans keyed by dimension so that
 * every matrix of a model with the same dimension shares one null. */
typedef struct rmtk_vectors_ws rmtk_vectors_ws;

/* params NULL = defaults. The parameters are fixed for the workspace's lifetime. */
RMTK_API int rmtk_vectors_ws_alloc(const rmtk_pt_params *params, rmtk_vectors_ws **out);
RMTK_API void rmtk_vectors_ws_free(rmtk_vectors_ws *ws);

/* Result of rmtk_vectors_analyze. Scalars are filled always; the four arrays are caller-owned,
 * of length k each, and filled when non-NULL (set them before the call). "Combined" means over
 * the 2k vectors: k left and k right, each vector counted once. summary.csv columns:
 * pt_frac_rejected, pt_top_decile_frac_rejected, ipr_mean. */
typedef struct rmtk_vectors_result {
    double pt_frac_rejected;            /* fraction of the 2k vectors with p <= alpha */
    double pt_top_decile_frac_rejected; /* same within decile 1 (largest singular values) */
    double pt_decile_frac_rejected[10]; /* combined fraction per decile; decile of rank r (0 =
                                           largest singular value) is floor(10 r / k); NaN for
                                           an empty decile (k < 10) */
    double pt_frac_rejected_left;       /* over the k left vectors only */
    double pt_frac_rejected_right;      /* over the k right vectors only */
    double ipr_mean;                    /* mean IPR over the 2k vectors */
    double ipr_ref;                     /* its random-vector reference:
                                           (3/(rows + 2) + 3/(cols + 2)) / 2 */
    double ipr_mean_left, ipr_mean_right; /* means over the left / right vectors */
    double alpha;                       /* the significance used */
    uint64_t k;                         /* number of singular triplets analysed */
    double *p_left;                     /* [k] p-value of left vector j (caller-owned or NULL) */
    double *p_right;                    /* [k] p-value of right vector j */
    double *ipr_left;                   /* [k] IPR of left vector j */
    double *ipr_right;                  /* [k] IPR of right vector j */
} rmtk_vectors_result;

/* Porter-Thomas tests and IPRs of the k singular triplets of a rows x cols matrix:
 * u = left vectors (vector j at u + j * rows), v = right vectors (vector j at v + j * cols),
 * s = singular values (s[j] belongs to vector j; any order, ranks are taken largest first;
 * NULL means already largest first). Builds (and keeps in ws) the plans for rows and cols.
 * RMTK_ERR_ARG (NULL ws/u/v/res, k == 0, rows or cols < 2 (3 for the paper's method), k larger
 * than min(rows, cols), k < 2w for a pooled method), RMTK_ERR_NOMEM, RMTK_ERR_NUMERIC (a zero
 * or non-finite vector). Not thread-safe on one workspace. */
RMTK_API int rmtk_vectors_analyze(rmtk_vectors_ws *ws, const double *u, size_t rows,
                                  const double *v, size_t cols, size_t k, const double *s,
                                  rmtk_vectors_result *res);

/* =========================================================================================== */
/* Randomised baselines (module nullmodel)                                                      */
/* =========================================================================================== */

/* Randomised baselines for one weight matrix (REF: methods.md 1.4 and DESIGN.md; WeightWatcher's
 * "randomize" is the element shuffle). Two kinds of replica of a rows x cols matrix a (row-major
 * doubles): an element shuffle (the same multiset of entries at uniformly permuted positions:
 * it keeps the entry distribution, heavy tails included, and destroys every correlation) and a
 * matched Gaussian (i.i.d. normal entries with a's entry mean and variance). Replica r of a kind
 * is a pure function of (seed, r): it uses its own counter-based RNG stream, so replicas can be
 * generated in any order or in parallel. The spectrum engine computes each replica's spectrum;
 * rmtk_null_compare then measures how far the layer's ESD is from the replicas'. */

typedef struct rmtk_null_params {
    uint64_t replicas; /* replicas R per kind; default 5 */
    uint64_t seed;     /* default 0 */
} rmtk_null_params;

RMTK_API rmtk_null_params rmtk_null_params_default(void);

/* Replica `replica` of the element shuffle: out = the rows * cols entries of a permuted by a
 * Fisher-Yates shuffle whose draws (rmtk_rng_below) come from the stream
 * (seed, 0x4E554C4C00000000 + 2 replica). out may equal a (in place); otherwise they must not
 * overlap. RMTK_ERR_ARG for NULL, rows or cols 0, or rows * cols overflowing. Thread-safe. */
RMTK_API int rmtk_null_shuffle(const double *a, size_t rows, size_t cols, uint64_t seed,
                               uint64_t replica, double *out);

/* Replica `replica` of the matched Gaussian: out_ij = m + s g_ij with m the mean and s^2 the
 * population variance (divisor rows * cols) of a's entries, and g the standard normals of the
 * stream (seed, 0x4E554C4C00000000 + 2 replica + 1) (rmtk_rng_fill_normal). out may equal a.
 * RMTK_ERR_ARG as rmtk_null_shuffle; RMTK_ERR_NUMERIC if a has a non-finite entry.
 * Thread-safe. */
RMTK_API int rmtk_null_gaussian(const double *a, size_t rows, size_t cols, uint64_t seed,
                                uint64_t replica, double *out);

/* Spread of one distance over the replicas of one kind (NaN everywhere when there are none). */
typedef struct rmtk_null_spread {
    double mean, sd, min, max; /* sd: unbiased, 0 for one replica */
} rmtk_null_spread;

/* summary.csv: null_ks = shuffle_ks.mean. */
typedef struct rmtk_null_result {
    rmtk_null_spread shuffle_ks; /* two-sample KS distance layer ESD vs each shuffle's */
    rmtk_null_spread shuffle_w1; /* Wasserstein-1 distance, in the units of the eigenvalues */
    rmtk_null_spread gauss_ks;   /* the same against the matched Gaussians */
    rmtk_null_spread gauss_w1;
    uint64_t n_shuffle, n_gauss; /* replicas compared */
    double null_ks;              /* = shuffle_ks.mean (the summary.csv column) */
} rmtk_null_result;

/* Compare the layer's eigenvalues eig[0..n) (any order; any one convention, e.g. sigma^2 or
 * sigma^2 / cols, used for all arrays) with those of n_shuffle shuffled replicas (replica r at
 * shuf + r * n) and n_gauss matched Gaussians (replica r at gauss + r * n): KS distance
 * (rmtk_ks2_statistic) and Wasserstein-1 distance (rmtk_wasserstein1) between the empirical
 * distributions, per replica and summarised over the replicas of each kind. ks_each and w1_each
 * (optional, caller-owned, n_shuffle + n_gauss entries: the shuffles first) receive the
 * per-replica distances. shuf may be NULL when n_shuffle = 0, gauss when n_gauss = 0.
 * RMTK_ERR_ARG (NULL eig/res, n == 0, no replica at all, NaN eigenvalues), RMTK_ERR_NOMEM.
 * Thread-safe. */
RMTK_API int rmtk_null_compare(const double *eig, size_t n, const double *shuf, size_t n_shuffle,
                               const double *gauss, size_t n_gauss, rmtk_null_result *res,
                               double *ks_each, double *w1_each);

/* WeightWatcher's rand_distance: the Jensen-Shannon distance between two vectors of n
 * eigenvalues each SORTED ASCENDING (the layer's and a shuffled replica's), taken as
 * probability vectors indexed by rank (not histograms): p = a / sum a, q = b / sum b,
 * m = (p + q) / 2 (as scipy.stats.entropy normalises (a + b) / 2),
 * JS = sqrt((KL(p || m) + KL(q || m)) / 2), natural logarithms, 0 ln 0 = 0; in [0, sqrt(ln 2)].
 * REF: weightwatcher 0.7.5 RMT_Util.jensen_shannon_distance (read, rewritten).
 * RMTK_ERR_ARG: NULL, n == 0, a negative or non-finite value, a zero sum. Thread-safe. */
RMTK_API int rmtk_null_js_distance(const double *a, const double *b, size_t n, double *out);

/* =========================================================================================== */
/* Heavy tails (module tails)                                                                   */
/* =========================================================================================== */

/* Every function here takes 1-D data x[0..n) in any order (the caller's array is never modified)
 * and is thread-safe. All values must be finite and > 0 (RMTK_ERR_ARG otherwise; the per-matrix
 * entry point filters them for you). REF: methods.md 1.4 G-H and 4.10; docs/methods/tails.md.
 *
 * Exponent conventions (stated in every result):
 *  - a Hill "alpha" is the CCDF exponent of the data fed in, P(X > x) ~ x^(-alpha);
 *  - a power-law-fit "alpha" (CSN, WeightWatcher) is the DENSITY exponent, p(x) ~ x^(-alpha),
 *    so alpha_density = alpha_ccdf + 1;
 *  - for eigenvalues lambda = sigma^2 of the same matrix, alpha_ccdf(lambda) = alpha_ccdf(sigma)/2,
 *    and the Martin-Mahoney ESD exponent is alpha_MM = alpha_ccdf(lambda) + 1 (a density exponent
 *    on lambda, what WeightWatcher and rmtk's CSN fit on lambda report). */

/* Why a fit carries no usable number (field `reason` of the results below). */
enum rmtk_tail_reason {
    RMTK_TAIL_OK = 0,          /* the result is valid */
    RMTK_TAIL_TOO_FEW = 1,     /* fewer values than the fit needs */
    RMTK_TAIL_DEGENERATE = 2,  /* every candidate tail is constant (all values equal) */
    RMTK_TAIL_NO_CONVERGE = 3, /* an optimiser or root finder did not converge */
    RMTK_TAIL_NO_PLATEAU = 4   /* Hill: no plateau, the tail index is not defined */
};
/* A static English text for a reason (never NULL). */
RMTK_API const char *rmtk_tail_reason_str(int reason);

/* ---- Hill estimators ------------------------------------------------------------------------ */

/* Classic Hill plot. With X_(1) >= X_(2) >= ... the order statistics (largest first),
 *   H_k = (1/k) sum_{i=1}^{k} ln X_(i) - ln X_(k+1),   alpha_k = 1 / H_k,   k = 1 .. n-1,
 * and the asymptotic standard error from sqrt(k) (H_k - 1/alpha) -> N(0, 1/alpha^2):
 * err_k = alpha_k / sqrt(k) (a z-band is alpha_k +- z err_k). Writes alpha[k-1], err[k-1] for
 * k = 1..n-1 (arrays of n-1 doubles, caller-owned; err may be NULL). alpha_k = +inf when H_k = 0
 * (ties at the top). alpha is the CCDF exponent of x. RMTK_ERR_ARG: NULL, n < 2, x <= 0 or not
 * finite. RMTK_ERR_NOMEM. */
RMTK_API int rmtk_hill_curve(const double *x, size_t n, double *alpha, double *err);

/* Number of points of the windowed estimator below: m = n - njump values of zeta, then the
 * moving mean gives m - 2 floor(navg/2) + 1 points (m when navg = 1); 0 if that is < 1. */
RMTK_API size_t rmtk_hill_windowed_size(size_t n, size_t navg, size_t njump);

/* Windowed local inverse-slope Hill estimator, exactly as the Thamm et al. code
 * hill_estimator_avg(data, navg, avg_inverse, njump) (methods.md 1.4 G):
 *   sort ascending M_0 <= ... <= M_{n-1}; S_i = 1 - i/n;
 *   zeta^(j)_i = -ln(M_{i+j}/M_i) / ln(S_{i+j}/S_i), i = 0 .. n-1-njump, averaged over lags
 *   j = 1..njump (each truncated to the common length n - njump);
 *   movmean(v, navg)[i] = mean(v[i .. min(i + 2 floor(navg/2), len-1)]) for
 *   i = 0 .. len - 2 floor(navg/2) (centred windows of 2 floor(navg/2) + 1 points, the last one
 *   truncated, as the code's movmean; with navg = 1 the code's final empty window is dropped);
 *   alpha_hat = 1 / movmean(zeta) when avg_inverse, else movmean(1 / zeta);
 *   g_inv = 1 / movmean(M_0 .. M_{n-1-njump}).
 * alpha_hat is the CCDF exponent of x; a power law shows a plateau as g_inv -> its smallest
 * values. Fills alpha_hat[0..len), g_inv[0..len) (caller-owned, len from
 * rmtk_hill_windowed_size) and *len. Values may be +inf where slopes vanish (tied data).
 * RMTK_ERR_ARG: NULL, navg == 0, njump == 0, bad x, or len < 1; RMTK_ERR_RANGE: cap < len. */
RMTK_API int rmtk_hill_windowed(const double *x, size_t n, size_t navg, size_t njump,
                                int avg_inverse, double *alpha_hat, double *g_inv, size_t cap,
                                size_t *len);

/* Plateau criterion on the classic Hill curve (docs/methods/tails.md, "Hill plateau").
 * A window [k1, k2] with k2 = floor(span_ratio * k1), k_min <= k1, k2 <= k_max_frac * n, is
 * flat when every k in it satisfies
 *   |H_k - H_k2| <= z * H_k2 * sqrt(1/k - 1/k2),
 * the z-sigma band of H_k - H_k2 for exact Pareto data (Renyi representation: var = (1/k -
 * 1/k2)/alpha^2). Consecutive flat windows merge; the plateau is the merged run with the largest
 * k2, reported as alpha = 1/H_k2 +- alpha/sqrt(k2) over [k1 of its first window, k2 of its last].
 * The defaults (k_min = 20: a window [20, 80] is long enough to reject the curvature of a
 * bounded spectrum's edge; span 4; z = 3; k_max_frac = 0.5) are argued in the methods doc. */
typedef struct rmtk_hill_params {
    uint64_t k_min;    /* smallest k1 (default 20) */
    double span_ratio; /* k2 / k1 of a window, > 1 (default 4) */
    double z;          /* band half-width in standard errors (default 3) */
    double k_max_frac; /* largest k2 as a fraction of n, in (0, 1] (default 0.5) */
} rmtk_hill_params;
RMTK_API rmtk_hill_params rmtk_hill_params_default(void);

typedef struct rmtk_hill_plateau {
    int32_t defined;  /* 1: "tail index defined: alpha +- alpha_err over k in [k1, k2]"; 0: not */
    int32_t reason;   /* RMTK_TAIL_OK, or RMTK_TAIL_NO_PLATEAU / RMTK_TAIL_TOO_FEW when 0 */
    double alpha;     /* CCDF exponent of the data fed in (NaN when not defined) */
    double alpha_err; /* alpha / sqrt(k2) (NaN when not defined) */
    uint64_t k1, k2;  /* the plateau (0 when not defined) */
    uint64_t windows; /* number of flat windows found (diagnostic) */
} rmtk_hill_plateau;

/* Run the plateau criterion on x[0..n). "Not defined" is a result (RMTK_OK with defined = 0 and
 * a reason), not an error. RMTK_ERR_ARG: NULL, bad x, bad params. RMTK_ERR_NOMEM. */
RMTK_API int rmtk_hill_plateau_find(const double *x, size_t n, const rmtk_hill_params *params,
                                    rmtk_hill_plateau *out);

/* ---- Continuous power law, Clauset-Shalizi-Newman 2009 -------------------------------------- */

typedef struct rmtk_powerlaw_params {
    double xmax;        /* > 0: drop values above xmax and fit the power law truncated to
                           [xmin, xmax] (as the powerlaw package's xmax); 0 = none (default) */
    uint64_t min_tail;  /* smallest tail size of a candidate xmin, >= 2 (default 2: every
                           distinct value but the largest, as CSN and powerlaw) */
    uint64_t bootstrap; /* goodness-of-fit replicas (default 1000; 0 = no p-value) */
    uint64_t seed;      /* RNG seed of the bootstrap (default 0); replica r uses stream r */
    uint32_t threads;   /* bootstrap threads (default 1); the result does not depend on it */
    uint32_t pad;
} rmtk_powerlaw_params;
RMTK_API rmtk_powerlaw_params rmtk_powerlaw_params_default(void);

typedef struct rmtk_powerlaw_fit {
    int32_t reason;     /* RMTK_TAIL_OK or why the numbers below are not to be used */
    int32_t plausible;  /* 1 when p_gof >= 0.1 (CSN's rule), 0 otherwise or without bootstrap */
    double alpha;       /* density exponent p(x) ~ x^-alpha of the data fed in */
    double alpha_err;   /* (alpha - 1) / sqrt(n_tail); with xmax the Fisher-information
                           standard error of the truncated model (docs) */
    double xmin;        /* chosen by minimum KS distance */
    double xmax;        /* the truncation used (+inf when none) */
    double ks_d;        /* KS distance D of the tail against the fit (two-sided ECDF) */
    uint64_t n_tail;    /* values in [xmin, xmax] */
    uint64_t n;         /* values used (after dropping x > xmax) */
    uint64_t n_candidates; /* candidate xmin scanned */
    double p_gof;       /* bootstrap p = #(D* > D) / replicas_ok; NaN without bootstrap */
    uint64_t replicas_ok;  /* bootstrap replicas whose refit succeeded */
} rmtk_powerlaw_fit;

/* Fit a continuous power law p(x) = (alpha-1)/xmin (x/xmin)^-alpha, x >= xmin, by maximum
 * likelihood for EVERY candidate xmin (each distinct value leaving >= min_tail values), and
 * choose xmin by minimum KS distance (the first, i.e. smallest, xmin on ties):
 *   alpha(xmin) = 1 + m / sum_{x_i >= xmin} ln(x_i / xmin)        (m = tail size)
 *   D(xmin) = max_j max(F(x_j) - j/m, (j+1)/m - F(x_j)), x_j the sorted tail, j = 0..m-1,
 *   F(x) = 1 - exp((1 - alpha) ln(x / xmin)).
 * The scan: one sort, suffix sums of ln x (alpha in O(1) per candidate), a hull tree built in
 * O(n log n), and an exact branch-and-bound maximisation of the KS deviation per candidate
 * (typically O(log^2 n) work each, so O(n log^2 n) total; 0.3 s CPU at n = 1e5; results
 * bit-for-bit those of the direct O(n^2) scan; docs/methods/tails.md). With xmax, alpha solves
 * the truncated-model likelihood equation (bisection) and F is the truncated CDF. Standard error
 * (alpha - 1)/sqrt(m) (Fisher information; with xmax that of the truncated model). With
 * params->bootstrap > 0, the semi-parametric bootstrap p-value of CSN (methods.md 1.4 H),
 * threaded (pthreads), identical for any thread count.
 * Optional scan output (for plots): for candidate c (ascending xmin) scan_xmin[c], scan_alpha[c],
 * scan_d[c] (caller arrays of scan_cap; any may be NULL; pass scan_cap = 0 to skip);
 * *scan_len (may be NULL) gets the number of candidates; RMTK_ERR_RANGE if scan_cap is nonzero
 * but too small. params NULL = defaults.
 * Status: RMTK_OK (check fit->reason); RMTK_ERR_NUMERIC with fit->reason set when no candidate
 * exists (too few values, all equal); RMTK_ERR_ARG (NULL, bad x, bad params); RMTK_ERR_NOMEM. */
RMTK_API int rmtk_powerlaw_fit_run(const double *x, size_t n, const rmtk_powerlaw_params *params,
                                   rmtk_powerlaw_fit *fit, double *scan_xmin, double *scan_alpha,
                                   double *scan_d, size_t scan_cap, size_t *scan_len);

/* Alternatives of the likelihood-ratio tests, each fitted by maximum likelihood on the same tail
 * [xmin, xmax] (normalised there). */
enum rmtk_tail_alt {
    RMTK_TAIL_ALT_EXPONENTIAL = 0, /* p ~ exp(-lambda x); params[0] = lambda */
    RMTK_TAIL_ALT_LOGNORMAL = 1,   /* ln x ~ N(mu, s^2) truncated; params = mu, s */
    RMTK_TAIL_ALT_STRETCHED_EXP = 2, /* p ~ x^(beta-1) exp(-lambda x^beta); params = lambda, beta */
    RMTK_TAIL_ALT_TRUNCATED_PL = 3 /* p ~ x^-a exp(-lambda x); params = a, lambda (nested) */
};

typedef struct rmtk_lr_test {
    int32_t reason;   /* RMTK_TAIL_OK, or RMTK_TAIL_NO_CONVERGE when the alternative's fit failed */
    int32_t nested;   /* 1 for the truncated power law (Wilks chi^2_1 p-value), else 0 (Vuong) */
    double r;         /* log-likelihood ratio sum_i ln p_pl(x_i) - ln p_alt(x_i): > 0 favours the
                         power law, < 0 the alternative */
    double r_norm;    /* R / (sd of the pointwise differences * sqrt(n_tail)) */
    double p;         /* non-nested: Vuong p = erfc(|r_norm| / sqrt 2) (two-sided: is the sign
                         significant?); nested: P(chi^2_1 > 2|R|) = erfc(sqrt |R|) */
    double params[2]; /* the alternative's MLE (see rmtk_tail_alt) */
} rmtk_lr_test;

/* Likelihood-ratio test of the power law `fit` (from rmtk_powerlaw_fit_run on the same x,
 * reason OK) against one alternative, on the tail x in [fit->xmin, fit->xmax]. The alternative
 * is fitted by Nelder-Mead on its log-likelihood (exponential: closed-form start). REF: Vuong
 * 1989; Clauset, Shalizi, Newman, SIAM Rev. 51 (2009) 661, Sec. 5.
 * RMTK_ERR_ARG: NULL, bad x, fit not OK, unknown alt. RMTK_ERR_NUMERIC (with out->reason): the
 * alternative's fit failed or the tail has < 2 values / zero variance of the differences. */
RMTK_API int rmtk_powerlaw_compare(const double *x, size_t n, const rmtk_powerlaw_fit *fit,
                                   int alt, rmtk_lr_test *out);

/* ---- WeightWatcher-compatible power-law fit ------------------------------------------------- */

/* WeightWatcher's default alpha, reproduced so that numbers compare. On eigenvalues lam[0..n)
 * (any order; lam = sigma^2 of a layer): keep the values > 1e-5 (its absolute threshold) and
 * sort them, x_0 <= ... <= x_{n-1}; every position s < n - 1 is a candidate, xmin = x_s with the
 * tail x_s..x_{n-1} (m = n - s values; a value tied k times is k candidates, as in WeightWatcher's
 * WWFit, which takes data[i:]; a tail of equal values has no fit and is skipped):
 *   alpha = 1 + m / (sum ln x_i - m ln xmin),
 *   D = max_{i=0..m-1} |1 - (x_i/xmin)^(1-alpha) - i/m|   (sorted tail, lower ECDF only),
 * the smallest D wins (the smallest s on ties); sigma = (alpha - 1)/sqrt(m). Example:
 * lam = 1,1,1,1,2,2,2,4,4,8 gives alpha 2.2984255368000674, D 0.2600970069260677, m = 9 (xmin
 * the second 1), WeightWatcher's own numbers. The CSN fit (rmtk_powerlaw_fit_run) keeps one
 * candidate per distinct value.
 * alpha is the density exponent on lambda (alpha_MM). */
typedef struct rmtk_ww_fit {
    int32_t reason;        /* RMTK_TAIL_OK or why there is no fit */
    int32_t pad;
    double alpha;          /* summary.csv alpha */
    double alpha_err;      /* sigma = (alpha-1)/sqrt(num_pl_spikes): summary.csv alpha_err */
    double alpha_weighted; /* alpha * log10(lambda_max): summary.csv alpha_weighted */
    double log_alpha_norm; /* log10 sum_i lambda_i^alpha over all kept lambda: log_alpha_norm */
    double xmin;           /* summary.csv xmin */
    double ks_d;           /* D: summary.csv ks_d */
    uint64_t num_pl_spikes;/* tail size m: summary.csv n_tail */
    uint64_t n_kept;       /* eigenvalues above the threshold */
    double lambda_max;
    uint64_t num_fingers;  /* rmtk_ww_fit_ex with RMTK_WW_CLIP_XMAX: values clipped (else 0) */
    double raw_alpha;      /* rmtk_ww_fit_ex with RMTK_WW_CLIP_XMAX: alpha before clipping */
} rmtk_ww_fit;

/* Status: RMTK_OK; RMTK_ERR_NUMERIC with out->reason (fewer than 2 kept values, all equal);
 * RMTK_ERR_ARG (NULL, a NaN); RMTK_ERR_NOMEM. Values <= 1e-5 (including negative round-off
 * eigenvalues) are dropped, not errors. */
RMTK_API int rmtk_ww_fit_run(const double *lam, size_t n, rmtk_ww_fit *out);

/* WeightWatcher's fit variants (weightwatcher 0.7.5, WeightWatcher.analyze(fix_fingers=..., xmax=...);
 * docs/methods/tails.md, "WeightWatcher's fit variants"). */
enum rmtk_ww_fingers {
    RMTK_WW_FINGERS_NONE = 0, /* the default fit (rmtk_ww_fit_run) */
    /* 'xmin_peak': xmin restricted to the range WeightWatcher builds from the peak of the ESD:
     * peak = 10^e_i, e_i the left edge of the fullest of 100 equal bins of log10 lambda (numpy's
     * histogram, first maximum); candidates xmin in [log10(0.95 peak), 1.5 peak] (sic: the lower
     * end is a log10, the upper a value, as WeightWatcher passes them to the powerlaw package),
     * one per distinct value but the largest (the powerlaw package's Fit, the only package with
     * which WeightWatcher runs this variant); D and alpha as in rmtk_ww_fit_run. */
    RMTK_WW_XMIN_PEAK = 1,
    /* 'clip_xmax': fit all values (first fit), then the values without their idx largest for
     * idx = 2 .. max_fingers - 1, stopping at the first fit with alpha + finger_thresh < first
     * alpha (taken: num_fingers = idx - 1) or with alpha <= 2 (not taken); otherwise the first
     * fit stays. n_tail counts the values >= xmin among all of them (fingers included). */
    RMTK_WW_CLIP_XMAX = 2
};
typedef struct rmtk_ww_params {
    int32_t fix_fingers;  /* enum rmtk_ww_fingers; default RMTK_WW_FINGERS_NONE */
    int32_t max_fingers;  /* clip_xmax: WeightWatcher's max_fingers, default 10 */
    double finger_thresh; /* clip_xmax: WeightWatcher's finger_thresh, default 1.0 */
    int64_t xmax_clip;    /* WeightWatcher's integer xmax = K: the K largest values are dropped
                             before any fit (n_tail counts the rest); 0 = none (default). Must be
                             <= half the values (else RMTK_ERR_ARG, as WeightWatcher's FAILED) */
    int32_t fit;          /* enum rmtk_ww_fit_kind: WeightWatcher's fit= ; RMTK_WW_FIT_PL (default)
                             = the power law only; TPL / E_TPL add rmtk_tpl_fit_run (rmtk analyze:
                             the tpl_* columns). The alpha columns stay the power law's. */
    int32_t pad;
} rmtk_ww_params;
RMTK_API rmtk_ww_params rmtk_ww_params_default(void);
/* rmtk_ww_fit_run with a variant. alpha_weighted and log_alpha_norm use every kept value (those
 * clipped too) and their lambda_max, as WeightWatcher. p NULL = defaults (then it equals
 * rmtk_ww_fit_run). Errors as rmtk_ww_fit_run; RMTK_ERR_NUMERIC with reason RMTK_TAIL_TOO_FEW when
 * no xmin candidate lies in the xmin_peak range; RMTK_ERR_ARG for bad params. Thread-safe. */
RMTK_API int rmtk_ww_fit_ex(const double *lam, size_t n, const rmtk_ww_params *p,
                            rmtk_ww_fit *out);

/* WeightWatcher's fit='TPL' / 'E_TPL': the truncated power law (docs/methods/tails.md,
 * "Truncated power law"). REF: weightwatcher 0.7.5 fit_powerlaw with the powerlaw package 1.5
 * (Alstott et al., PLoS ONE 9 (2014) e85777): Fit(..., distribution='truncated_power_law',
 * xmin_distribution='truncated_power_law'); Clauset, Shalizi, Newman, SIAM Rev. 51 (2009) 661,
 * Sec. 5. */
enum rmtk_ww_fit_kind {
    RMTK_WW_FIT_PL = 0,   /* fit='PL' (default): the power law of rmtk_ww_fit_ex */
    /* fit='TPL': on lambda > 1e-5 (after an integer xmax_clip), every distinct value but the
     * largest is an xmin candidate; at each, the maximum-likelihood truncated power law
     * p(x) = x^-alpha e^{-lambda x} lambda^{1-alpha} / Gamma(1 - alpha, lambda xmin) on x >= xmin
     * (alpha >= 1, lambda >= 0, as the powerlaw package keeps alpha > 1, lambda > 0) and its KS
     * distance against the lower ECDF at the distinct tail values; xmin = the smallest D (first on
     * ties). */
    RMTK_WW_FIT_TPL = 1,
    /* fit='E_TPL' (WeightWatcher: TPL with fix_fingers='xmin_peak'): as TPL with the candidates
     * restricted to [log10(0.95 peak), 1.5 peak] (the xmin_peak range of rmtk_ww_params), the
     * largest distinct value in that range excluded (the powerlaw package's unique(...)[:-1]).
     * Not with xmax_clip (RMTK_ERR_ARG, as WeightWatcher). */
    RMTK_WW_FIT_E_TPL = 2
};

typedef struct rmtk_tpl_fit {
    int32_t reason;  /* RMTK_TAIL_OK or why there is no fit */
    int32_t pad;
    double alpha;    /* TPL exponent: WeightWatcher's alpha with fit='TPL' [tpl_alpha] */
    double lambda;   /* cutoff rate in the units of the eigenvalues: WW's Lambda [tpl_lambda] */
    double xmin;     /* [tpl_xmin] */
    double ks_d;     /* KS distance of the TPL at xmin: WW's D with fit='TPL' [tpl_ks_d] */
    uint64_t n_tail; /* values >= xmin: WW's num_pl_spikes [tpl_n_tail] */
    double pl_alpha; /* the power law fitted at the same xmin: 1 + m / sum ln(x/xmin) */
    double lr;       /* R = sum_i ln p_TPL(x_i) - ln p_PL(x_i) over the tail, >= 0 (> 0 favours
                        the TPL; 0 when the MLE has lambda = 0, the power law itself) */
    double lr_norm;  /* R / (sd sqrt(n_tail)), sd^2 the 1/n variance of the pointwise log-ratios
                        (powerlaw's normalized_ratio; WW's pl_compare(fit, 'power_law') returns
                        -lr_norm) [tpl_R]; 0 when lambda = 0 */
    double p;        /* nested (Wilks) p-value P(chi2_1 > 2R) = erfc(sqrt R): a small p rejects
                        the pure power law in favour of the cutoff [tpl_p]; 1 when lambda = 0 */
} rmtk_tpl_fit;

/* The truncated power law of p->fit (TPL or E_TPL) on the eigenvalues lam[0..n) (any order;
 * values <= 1e-5 dropped), with p->xmax_clip; the other fields of p are ignored. Cost: one 2-D
 * maximisation per candidate (sufficient statistics, O(1) each) and an O(n_tail) KS distance
 * with one incomplete gamma function per distinct value: O(n^2) in all. Status: RMTK_OK;
 * RMTK_ERR_NUMERIC with out->reason (fewer than 2 values, no candidate in range, all equal);
 * RMTK_ERR_ARG (NULL, a NaN, p->fit not TPL/E_TPL, xmax_clip < 0 or > half the values, or with
 * E_TPL); RMTK_ERR_NOMEM. Thread-safe. */
RMTK_API int rmtk_tpl_fit_run(const double *lam, size_t n, const rmtk_ww_params *p,
                              rmtk_tpl_fit *out);

/* ---- Per-matrix entry point (for rmtk analyze) ---------------------------------------------- */

typedef struct rmtk_tails_params {
    rmtk_powerlaw_params powerlaw; /* CSN fit on lambda (bootstrap replicas, seed, threads) */
    rmtk_hill_params hill;         /* plateau criterion, on lambda */
    rmtk_ww_params ww;             /* WeightWatcher's fit variant of the alpha columns (rmtk
                                      analyze's alpha stage; rmtk_tails_analyze's ww field) */
} rmtk_tails_params;
RMTK_API rmtk_tails_params rmtk_tails_params_default(void);

/* Which data each field uses: WW fields on lambda = sigma^2 > 1e-5; CSN, LR and Hill fields on
 * lambda = sigma^2 > 0. Columns of summary.csv in brackets. A field whose *_reason is not OK must
 * be written as empty/NaN and kept out of averages. */
typedef struct rmtk_tails_result {
    rmtk_ww_fit ww;           /* [alpha, alpha_err, alpha_weighted, log_alpha_norm, xmin, ks_d,
                                 n_tail] = ww.alpha, .alpha_err, .alpha_weighted,
                                 .log_alpha_norm, .xmin, .ks_d, .num_pl_spikes */
    rmtk_powerlaw_fit csn;    /* [csn_alpha, csn_alpha_err, csn_xmin, csn_ks_d, csn_n_tail,
                                 csn_p_gof] = csn.alpha, .alpha_err, .xmin, .ks_d, .n_tail,
                                 .p_gof (density exponent on lambda) */
    rmtk_lr_test lr_lognormal;   /* [lr_lognormal, lr_lognormal_p] = .r_norm, .p */
    rmtk_lr_test lr_exponential; /* [lr_exponential, lr_exponential_p] = .r_norm, .p */
    rmtk_hill_plateau hill;   /* [hill_defined, hill_alpha] = .defined, .alpha (CCDF exponent
                                 on lambda; alpha_sigma = 2 hill.alpha, alpha_MM = hill.alpha+1) */
    /* Curves for report.json, filled when the caller gives the buffers (NULL = skip):
     * hill_alpha_curve/hill_err_curve: k = 1..k-1 on lambda (curve_cap >= nsv - 1);
     * ks_xmin/ks_alpha/ks_d: the CSN scan (ks_cap >= nsv). Lengths written back below. */
    size_t hill_len;
    size_t ks_len;
} rmtk_tails_result;

/* Heavy-tail analysis of one matrix from its singular values sv[0..nsv) (largest first, as the
 * spectrum engine returns them; any order works). Runs rmtk_ww_fit_run, rmtk_powerlaw_fit_run
 * (+ bootstrap), rmtk_powerlaw_compare vs lognormal and exponential, and the Hill plateau, all on
 * lambda = sv^2, and fills *out. Each part carries its own reason; the function returns RMTK_OK
 * even when a part failed numerically (look at the reasons) and an error only for RMTK_ERR_ARG
 * (NULL, nsv == 0, a NaN or negative sv) or RMTK_ERR_NOMEM. Curve buffers as described above
 * (each may be NULL). params NULL = defaults. Thread-safe. */
RMTK_API int rmtk_tails_analyze(const double *sv, size_t nsv, const rmtk_tails_params *params,
                                rmtk_tails_result *out, double *hill_alpha_curve,
                                double *hill_err_curve, size_t curve_cap, double *ks_xmin,
                                double *ks_alpha, double *ks_d, size_t ks_cap);


/* =========================================================================================== */
/* Random-matrix ensembles (module ensembles)                                                   */
/* =========================================================================================== */


/* Seeded samplers of random-matrix ensembles and their spectra. Sample number k of a given
 * (params, seed) is a pure function of them (the counter-based RNG with one stream per sample
 * and factor), so results do not depend on thread count or on which samples are drawn.
 * REF: methods.md 2.3, 2.4, 3.2, 4.1, 4.2, 4.9. */

enum rmtk_ensemble_kind {
    RMTK_ENS_GOE = 0,             /* (A + A^T) sigma / sqrt(2N), N = n: semicircle(sigma2) */
    RMTK_ENS_GUE = 1,             /* complex Hermitian analogue (zheevd): semicircle(sigma2) */
    RMTK_ENS_WISHART = 2,         /* W N x M (dims N, M), entries var sigma2: eig W^T W / N */
    RMTK_ENS_WISHART_COMPLEX = 3, /* complex W, eig W^H W / N (zheevd) */
    RMTK_ENS_WISHART_PRODUCT = 4, /* P = X_L..X_1, X_l N_l x N_{l-1} Gaussian var 1/N_{l-1}:
                                     eig P P^T (N_L values) */
    RMTK_ENS_WIGNER_PRODUCT = 5,  /* P = W_1..W_k of k GOE(n) (sigma2 = 1): eig P P^T = FC_k */
    RMTK_ENS_PERCOLATED_WIGNER = 6, /* B o W, symmetric Bernoulli(p) mask on GOE(n, sigma2) */
    RMTK_ENS_PERCOLATED_WISHART = 7,/* X_p = B o X (N x M), eig X_p^T X_p / N */
    RMTK_ENS_SPIKED = 8,          /* singular values of X + theta sum_{i<r} e_i e_i^T,
                                     X n x m (dims) entries var 1/m (largest first) */
    RMTK_ENS_JACOBIAN = 9         /* eig J J^T, J = D_L X_L .. D_1 X_1 of a deep network */
};

enum rmtk_weight_law {
    RMTK_WEIGHTS_GAUSSIAN = 0,
    RMTK_WEIGHTS_UNIFORM = 1,     /* uniform on [-sqrt 3, sqrt 3] */
    RMTK_WEIGHTS_RADEMACHER = 2,  /* +-1 */
    RMTK_WEIGHTS_STUDENT_T = 3,   /* t_nu * sqrt((nu-2)/nu), nu > 4 */
    RMTK_WEIGHTS_SPARSE = 4       /* +-1/sqrt(rho) with probability rho, else 0 */
};

#define RMTK_MAX_LAYERS 64 /* most factors of a product / layers of a network */

struct rmtk_law_params; /* module theory, below */

typedef struct rmtk_ensemble_params {
    int32_t ensemble;       /* enum rmtk_ensemble_kind */
    int32_t weight_law;     /* JACOBIAN: enum rmtk_weight_law (default GAUSSIAN) */
    int64_t n;              /* GOE, GUE, WIGNER_PRODUCT, PERCOLATED_WIGNER: size (default 500) */
    size_t n_dims;          /* WISHART*, SPIKED: 2 (N, M); products and JACOBIAN: L + 1 */
    int64_t dims[RMTK_MAX_LAYERS + 1];
    int32_t k;              /* WIGNER_PRODUCT: number of factors (default 2) */
    int32_t activation;     /* JACOBIAN: enum rmtk_activation (default RELU) */
    double sigma2;          /* entry variance scale (default 1) */
    double p;               /* PERCOLATED_*: keep probability in (0, 1] (default 0.5) */
    double c;               /* PERCOLATED_*: if > 0, sparse: p = c / n (Wigner), c / M
                               (Wishart), i.e. mean degree c (default 0) */
    int64_t rank;           /* SPIKED: r (default 1) */
    double theta;           /* SPIKED: signal strength (default 2) */
    double leaky_slope;     /* JACOBIAN (default 0.01) */
    double sigma_w2;        /* JACOBIAN (default 2) */
    double sigma_b2;        /* JACOBIAN (default 0) */
    double q0;              /* JACOBIAN: |x0|^2 / n_0 (default 1) */
    double student_nu;      /* STUDENT_T: nu > 4 (default 5) */
    double weight_density;  /* SPARSE weights: rho in (0, 1] (default 0.1) */
    int32_t coupled;        /* JACOBIAN: 1 = forward pass (default), 0 = independent D */
    int32_t pad0;
    uint64_t seed;          /* default 1 */
} rmtk_ensemble_params;

typedef struct rmtk_ensemble rmtk_ensemble;

RMTK_API void rmtk_ensemble_params_default(rmtk_ensemble_params *p);

/* Check p and allocate a sampler with every workspace (matrices, LAPACK workspaces queried once
 * for this size). *out is owned by the caller: rmtk_ensemble_free. RMTK_ERR_ARG, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_ensemble_alloc(const rmtk_ensemble_params *p, rmtk_ensemble **out);
RMTK_API void rmtk_ensemble_free(rmtk_ensemble *e);

/* Number of values one sample produces (eigenvalues, or singular values for SPIKED). */
RMTK_API size_t rmtk_ensemble_size(const rmtk_ensemble *e);

/* Draw sample number `index` and write its values to values[0..rmtk_ensemble_size(e)):
 * eigenvalues ascending (dsyevd / zheevd), singular values largest first for SPIKED (dgesdd).
 * A handle is used by one thread at a time; separate handles may run in parallel. Like the
 * BLAS calls it makes, the Gaussian draws use up to openblas_get_num_threads() threads (the
 * values do not depend on it); callers running handles in parallel set BLAS to one thread.
 * RMTK_ERR_ARG, RMTK_ERR_LAPACK. */
RMTK_API int rmtk_ensemble_sample(rmtk_ensemble *e, uint64_t index, double *values);

/* The limiting law matching an ensemble (GOE/GUE/percolated Wigner dense: semicircle with
 * variance sigma2 (times p); Wishart: MP(M/N, sigma2 (times p)); Wishart product; Wigner
 * product: FC_k; Jacobian: the Jacobian law). RMTK_ERR_UNSUPPORTED for SPIKED and sparse
 * percolation (c > 0; use rmtk_sparse_zero_atom for the latter's atom). */
RMTK_API int rmtk_ensemble_law(const rmtk_ensemble_params *p, struct rmtk_law_params *law);

/* Summary of a spectrum: moments, zero atom, range. */
typedef struct rmtk_spectrum_stats {
    size_t n;
    double mean, variance;   /* population variance (1/n) */
    double m2, m3, m4;       /* raw moments E v^k */
    double atom;             /* fraction with |v| < eps_abs */
    double eps_abs;          /* eps * max(1, max |v|) */
    double min, max;
} rmtk_spectrum_stats;

/* Statistics of v[0..n) (n >= 1). eps >= 0 is relative: a value counts in the zero atom when
 * |v| < eps * max(1, max|v|); rmtk's default is 1e-8 (exact zeros of rank-deficient products
 * come out of dsyevd at ~1e-13 relative; the continuous part has negligible mass there). */
RMTK_API int rmtk_spectrum_stats_compute(const double *v, size_t n, double eps,
                                         rmtk_spectrum_stats *out);

/* Per-matrix entry point (for rmtk analyze): the statistics above for the M eigenvalues of
 * W^T W / N of an N x M weight matrix (rows N = `rows`, cols M = `cols`), given its singular
 * values sv[0..k) (largest first, k <= min(N, M)): lambda_i = sv_i^2 / N, and M - k exact zeros
 * (the eigenvalues not passed, e.g. the M - N zeros when M > N). This is the scale on which the
 * MP law rmtk_law (MP, ratio M/N, sigma2 = entry variance) applies, so the same eigenvalues can be
 * passed to rmtk_law_compare. Allocates a temporary copy. RMTK_ERR_ARG, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_layer_spectrum_stats(const double *sv, size_t k, int64_t rows, int64_t cols,
                                       double eps, rmtk_spectrum_stats *out);

/* Histogram density on nbins equal bins of [lo, hi): density[b] = count_b / (n width), values
 * outside [lo, hi] are ignored (hi itself falls in the last bin). */
RMTK_API int rmtk_histogram_density(const double *v, size_t n, double lo, double hi,
                                    size_t nbins, double *density);

/* =========================================================================================== */
/* Limiting laws and free probability (module theory)                                           */
/* =========================================================================================== */

/* Limiting spectral laws of random-matrix ensembles on a grid: each law has an atom at 0, a
 * continuous density, its mean and variance (closed forms) and its support edges.
 * REF: methods.md 2.3-2.4, 3.3-3.5, 4.1-4.2, 4.6-4.9. All functions are thread-safe (no global
 * state) and allocate only temporary workspaces through the library's funnel. */

#define RMTK_LAW_MAX_EDGES 16

enum rmtk_law_kind {
    RMTK_LAW_SEMICIRCLE = 0,      /* Wigner semicircle of variance sigma2 */
    RMTK_LAW_MP = 1,              /* Marchenko-Pastur: ratio q = M/N, variance sigma2 */
    RMTK_LAW_MP_SEMICIRCLE = 2,   /* MP(ratio, sigma2) free-plus semicircle(sigma2_wigner) */
    RMTK_LAW_FUSS_CATALAN = 3,    /* FC_L: squared singular values of L square Ginibre factors */
    RMTK_LAW_WISHART_PRODUCT = 4, /* eigenvalues of P P^T, P = X_L..X_1, dims N_0..N_L */
    RMTK_LAW_JACOBIAN = 5         /* eigenvalues of J J^T of a deep network, widths n_0..n_L */
};

enum rmtk_activation {
    RMTK_ACT_LINEAR = 0,
    RMTK_ACT_RELU = 1,
    RMTK_ACT_LEAKY_RELU = 2, /* phi(y) = y for y > 0, leaky_slope * y otherwise */
    RMTK_ACT_TANH = 3,
    RMTK_ACT_HARD_TANH = 4,  /* phi(y) = max(-1, min(1, y)) */
    RMTK_ACT_SIGMOID = 5,    /* 1 / (1 + exp(-y)) */
    RMTK_ACT_ERF = 6         /* erf(y) */
};

/* Parameters of a law. Start from rmtk_law_params_default() and set the fields the law uses. */
typedef struct rmtk_law_params {
    int32_t law;           /* enum rmtk_law_kind */
    int32_t L;             /* FUSS_CATALAN: number of factors, >= 1 (default 2) */
    double sigma2;         /* SEMICIRCLE, MP, MP_SEMICIRCLE: variance (default 1) */
    double ratio;          /* MP, MP_SEMICIRCLE: q = M/N > 0 (default 0.5) */
    double sigma2_wigner;  /* MP_SEMICIRCLE: variance of the Wigner part, > 0 (default 1) */
    size_t n_dims;         /* WISHART_PRODUCT, JACOBIAN: number of dims (>= 2) */
    int64_t dims[RMTK_MAX_LAYERS + 1]; /* N_0..N_L (matrix X_l is N_l x N_{l-1}) */
    int32_t activation;    /* JACOBIAN: enum rmtk_activation (default RELU) */
    int32_t pad0;
    double leaky_slope;    /* LEAKY_RELU slope a (default 0.01) */
    double sigma_w2;       /* JACOBIAN: weight variance w^2 (default 2) */
    double sigma_b2;       /* JACOBIAN: bias variance (default 0) */
    double q0;             /* JACOBIAN: input norm |x0|^2 / n_0 (default 1) */
    size_t quad_nodes;     /* JACOBIAN: Gauss-Hermite nodes, 100..300 (default 128) */
    double eta_rel;        /* imaginary part of z as a fraction of x (default 1e-9) */
} rmtk_law_params;

/* The scalars of a law. */
typedef struct rmtk_law_info {
    char name[32];         /* "semicircle", "mp", "mp-semicircle", "fuss-catalan", ... */
    double atom;           /* weight of the atom at 0 (exact: rank / dimension formula) */
    double mean;           /* first moment of the whole law (atom included), closed form */
    double variance;       /* variance of the whole law, closed form */
    size_t n_edges;        /* support = [edges[0], edges[1]] u [edges[2], edges[3]] ... */
    double edges[RMTK_LAW_MAX_EDGES];
    int32_t diverges_at_0; /* 1 when the density diverges at x -> 0+ */
    int32_t pad0;
} rmtk_law_info;

/* Fill p with defaults (law = SEMICIRCLE, sigma2 = 1, ratio = 0.5, sigma2_wigner = 1, L = 2,
 * activation RELU, leaky_slope 0.01, sigma_w2 2, sigma_b2 0, q0 1, quad_nodes 128,
 * eta_rel 1e-9, no dims). */
RMTK_API void rmtk_law_params_default(rmtk_law_params *p);

/* Atom, mean, variance and support edges of the law. Mean and variance are closed forms
 * (MP: sigma2, sigma2^2 q; FC_L: 1, L; Jacobian: m1 = prod_l w^2 E kappa_l and
 * Var/m1^2 = sum_l [Var kappa_l / (E kappa_l)^2 / c_l + 1/c_{l-1}], REF: methods.md 3.4).
 * Edges are the critical values of the functional inverse x(u) (z(G) for MP-semicircle) on the
 * real axis that bound the support, checked by evaluating the density on both sides; for
 * smooth activations the lower edge comes from a 400-point scan (relative accuracy ~1e-3) and
 * the upper edge from min_{u>0} x(u). Returns RMTK_ERR_ARG for NULL or invalid parameters,
 * RMTK_ERR_NUMERIC when the continuation fails, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_law_info_compute(const rmtk_law_params *p, rmtk_law_info *info);

/* The continuous density at x[0..n) (any order) into density[0..n) (the atom is not included).
 * Closed forms for semicircle, MP and FC_L (Haagerup-Moller parametrisation, inverted by
 * bisection); MP-semicircle and products / Jacobians by continuation of the physical root of
 * the characteristic equation from above the support (methods.md 3.5 step 4): polynomial
 * roots (companion matrix, LAPACK zhseqr) with the root closest to the extrapolated previous
 * one for linear, ReLU and hard-tanh networks and Wishart products, Newton from the previous
 * root for smooth activations and leaky ReLU. Status as rmtk_law_info_compute. */
RMTK_API int rmtk_law_density(const rmtk_law_params *p, const double *x, size_t n,
                              double *density);

/* A grid of n >= 2 points on [a, b] (a < b) into x[0..n), ascending. Linear, except when the
 * law's density diverges at 0 and a <= 0: then the grid starts at max(a, b * 1e-9), its first
 * half log-spaced up to b / 20 and its second half linear. */
RMTK_API int rmtk_law_grid(const rmtk_law_params *p, double a, double b, size_t n, double *x);

/* integral_a^b x^k rho(x) dx of the continuous part (k = 0, 1, 2, ...), by tanh-sinh
 * quadrature on each piece of [a, b] cut at the support edges (robust to the x^{-alpha}
 * divergence at 0 and the square-root edges). */
RMTK_API int rmtk_law_integrate(const rmtk_law_params *p, double a, double b, int k,
                                double *value);

/* Comparison of a simulated sample with the law. */
typedef struct rmtk_law_comparison {
    double ks;             /* sup |F_n - F| (atom included: the values with |v| < e, e = eps
                              max(1, max|v|), count as 0 and are compared with F(e), the atom
                              plus the continuous mass below e) */
    double l1;             /* sum_b |h_b - rho_b| w_b over nbins bins of the continuous part */
    double atom_sim, atom_theory;
    double mean_sim, mean_theory, mean_err;         /* err = sim - theory */
    double var_sim, var_theory, var_err;
} rmtk_law_comparison;

/* Compare values[0..n) (eigenvalues, any order; not modified) with the law: KS distance between
 * the ECDF and the theory CDF (theory CDF tabulated by integrating the density on 2000 cells that
 * resolve both support edges, log-spaced towards them; docs/methods/theory.md), L1 distance
 * between the histogram (nbins >= 2 bins between the smallest and largest value with
 * |v| >= eps*max(1, max|v|)) and the bin-averaged theory density, atom masses and moment errors.
 * eps >= 0 (default choice 1e-8). RMTK_ERR_NUMERIC when the tabulated continuous mass is off
 * 1 - atom by more than 25 % (an unresolved density). */
RMTK_API int rmtk_law_compare(const rmtk_law_params *p, const double *values, size_t n,
                              double eps, size_t nbins, rmtk_law_comparison *out);

/* m_k of FC_L: binom((L+1)k, k) / (Lk + 1) (REF: methods.md 4.7). */
RMTK_API int rmtk_fuss_catalan_moment(int L, int k, double *m);

/* Zero-eigenvalue atom of a sparse Erdos-Renyi matrix with mean degree c (0 < c <= e) and
 * generic nonzero weights: w0 = 2W(c)/c + W(c)^2/c - 1 (Lambert W; Bauer-Golinelli 2001,
 * methods.md 2.4). RMTK_ERR_ARG for c outside (0, e]. */
RMTK_API int rmtk_sparse_zero_atom(double c, double *w0);

/* BBP: limit of the top singular value of X + theta u v^T, X n x m with entry variance 1/m,
 * c = n/m in (0, 1]: sqrt((1+theta^2)(c+theta^2))/theta for theta > c^{1/4}, else 1 + sqrt c
 * (methods.md 4.9). */
RMTK_API int rmtk_bbp_top_singular(double c, double theta, double *s);

/* =========================================================================================== */
/* Law selection for a spectrum (module laws)                                                   */
/* =========================================================================================== */

/* Which limiting law describes the bulk of one spectrum, with which parameters, and how much
 * better than Marchenko-Pastur (docs/methods/laws.md; REF: methods.md 2.3-2.4, 4.1, 4.6-4.8;
 * Granziol, "Beyond Random Matrix Theory for Deep Networks"). The bulk is given as the nonzero
 * eigenvalues y_1..y_n of an r x big Gram matrix, r = n (+ outliers set aside) <= big; every
 * candidate is the law of the nonzero eigenvalues for that shape at unit scale, F_1, and enters
 * as F(y) = F_1(y / s) with a free scale s:
 *   RMTK_FITLAW_MP (code 1):        MP(ratio q = r / big, sigma2 = s), 1 parameter;
 *   code L = 2..6:                  eigenvalues of P P^T, P = X_L..X_1 (free multiplicative
 *                                   convolution of L MP laws), dims N_0 = big, N_1..N_{L-1} =
 *                                   round(product_width big), N_L = r (ratios fixed by the shape:
 *                                   equal intermediate widths), scale s, 1 parameter; with
 *                                   r = big and product_width = 1 this is Fuss-Catalan FC_L;
 *   RMTK_FITLAW_MP_SEMICIRCLE (10): MP(q, sigma2 = s) free-plus semicircle(sigma2_wigner =
 *                                   (t s)^2) (Pennington-Bahri), shape t on a grid, 2 params;
 *   RMTK_FITLAW_SPARSE (20, when params.sparse): the nonzero eigenvalues of B o X, X r' x big'
 *                                   Gaussian, B Bernoulli(c / r') (rmtk's PERCOLATED_WISHART
 *                                   sampler), mean degree c on a grid, by matched simulation:
 *                                   r' = min(r, sparse_size), big' = round(r' big / r), pooled
 *                                   over sparse_samples seeded samples; 2 params. (The dense
 *                                   percolated Wishart, p fixed, has the MP limit with variance
 *                                   p sigma2: it is the MP candidate, not a separate law.)
 * Fit: minimum Cramer-von Mises distance W^2 = 1/(12n) + sum_i (F(y_(i)) - (2i-1)/(2n))^2,
 * golden section in log s (t by profile over its grid). Goodness of fit: KS distance with a
 * parametric-bootstrap p-value (replicas drawn from the fitted law by inverse CDF on its table
 * and refitted), L1 between the histogram and the law, log-likelihood of the eps-contaminated
 * density (1 - 1e-3) rho + 1e-3 / (1.1 y_max) at the fitted parameters, AIC and BIC. */
enum rmtk_fitlaw_code {
    RMTK_FITLAW_MP = 1,              /* 2..6: product of that many Wishart factors */
    RMTK_FITLAW_MP_SEMICIRCLE = 10,
    RMTK_FITLAW_SPARSE = 20          /* sparse percolated Wishart (p = c / r), by simulation */
};

#define RMTK_FITLAW_MAX_L 6
#define RMTK_FITLAW_MAX_CAND 8

typedef struct rmtk_fitlaw_params {
    int32_t max_L;          /* products of L = 2..max_L factors (1..6; default 6; 1 = MP only) */
    int32_t mp_semicircle;  /* 1: include MP free-plus semicircle (default 1) */
    int32_t bootstrap;      /* parametric-bootstrap replicas for the KS p-value and standard
                               errors (0: none, p and errors NaN; default 39) */
    int32_t sparse;         /* 1: include the sparse percolated Wishart (default 0: it costs
                               sparse_samples eigensolves of sparse_size per grid value) */
    int32_t sparse_size;    /* smaller side of the matched simulation (default 300) */
    int32_t sparse_samples; /* samples pooled per grid value of c (default 8) */
    double product_width;   /* intermediate widths of the products / big (default 1) */
    uint64_t seed;          /* of the bootstrap (default 1) */
} rmtk_fitlaw_params;

RMTK_API rmtk_fitlaw_params rmtk_fitlaw_params_default(void);

typedef struct rmtk_fitlaw_candidate {
    int32_t code;           /* enum rmtk_fitlaw_code, or L for a product of L factors */
    int32_t n_params;       /* k of AIC = 2k - 2 logL and BIC = k ln n - 2 logL */
    char name[32];          /* "mp", "wishart-product-2", ..., "mp-semicircle" */
    int32_t status;         /* RMTK_OK, else the error of this candidate (others go on) */
    int32_t pad0;
    double scale, scale_se; /* s and its bootstrap standard error */
    double shape, shape_se; /* MP-semicircle: t = sqrt(sigma2_wigner) / sigma2; sparse: c */
    double atom;            /* sparse: the zero atom of the fitted law (simulated fraction of
                               zero eigenvalues); others: NaN (their atom is the shape's) */
    double cvm;             /* W^2 at the fit */
    double ks, ks_p;        /* KS distance and its bootstrap p-value */
    double l1;              /* sum_b |n_b / n - (F(b_1) - F(b_0))| over max(10, sqrt n) bins */
    double loglik, aic, bic;
} rmtk_fitlaw_candidate;

typedef struct rmtk_fitlaw_result {
    size_t n;               /* bulk values fitted (zeros and negatives in the input set aside) */
    size_t n_zero;          /* values <= 0 given (not fitted) */
    size_t n_cand;
    rmtk_fitlaw_candidate cand[RMTK_FITLAW_MAX_CAND]; /* MP first */
    int32_t best;           /* index of the smallest BIC (-1 when every candidate failed) */
    int32_t best_code;
    double delta_bic;       /* BIC(MP) - BIC(best) >= 0 */
} rmtk_fitlaw_result;

/* Fit every candidate to y[0..n) (any order; not modified), the bulk eigenvalues of a Gram
 * matrix whose nonzero part is r x big (r = n - #zeros when r_total is 0, else r_total, the
 * count with the outliers the caller set aside; big >= r; big = 0 means big = r). Needs >= 20
 * positive values. Thread-safe; allocates tables of each law (2000 cells) once per call, shared
 * by the bootstrap. RMTK_ERR_ARG (NULL, too few values, non-finite values, bad params),
 * RMTK_ERR_NOMEM; a candidate whose law fails keeps its own status and NaN fields. */
RMTK_API int rmtk_fitlaw(const double *y, size_t n, int64_t big, int64_t r_total,
                         const rmtk_fitlaw_params *p, rmtk_fitlaw_result *out);

/* The verdict phrase of a result into buf[0..size): "bulk better described by a product of 2
 * Wishart matrices than by MP: dBIC = 153.2 (KS 0.012, p 0.61; MP: KS 0.13, p 0.025)", or "bulk
 * best described by MP (KS 0.0064, p 1); next best: MP free-plus semicircle, worse by dBIC =
 * 330.6"; when the best law's bootstrap KS p-value is below 0.05 (rmtk analyze: its
 * significance), "no candidate law describes the bulk (KS p < 0.05); smallest BIC: ...": BIC only
 * ranks the candidates, it does not say that one fits. Always NUL-terminated when size > 0. */
RMTK_API int rmtk_fitlaw_verdict(const rmtk_fitlaw_result *r, char *buf, size_t size);

/* The fitted candidate's continuous density at x[0..nx) (the law of the bulk values, scale
 * included), for the shape given to rmtk_fitlaw (big, r). RMTK_ERR_UNSUPPORTED for the sparse
 * candidate (its law is a simulation), RMTK_ERR_ARG. */
RMTK_API int rmtk_fitlaw_density(const rmtk_fitlaw_candidate *c, int64_t big, int64_t r,
                                 double product_width, const double *x, size_t nx,
                                 double *density);

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
    RMTK_STATS_TAILS = 1u << 5,   /* the full tail analysis: the CSN power-law fit with its
                                     bootstrap goodness of fit (1000 replicas by default, the
                                     costly part), likelihood-ratio tests, Hill plateau; implies
                                     ALPHA */
    RMTK_STATS_LAWS = 1u << 6,    /* law selection of the bulk: MP, products of Wisharts, MP
                                     free-plus semicircle (rmtk_fitlaw; docs/methods/laws.md) */
    RMTK_STATS_ALPHA = 1u << 7    /* WeightWatcher-compatible alpha and its companions
                                     (alpha_weighted, log_alpha_norm, xmin, ks_d, n_tail,
                                     ww_warning): one O(n log n) scan, on by default */
};

typedef struct rmtk_analysis_params {
    rmtk_extract_params extract;   /* which matrices (default: rmtk_extract_params_default) */
    rmtk_spectrum_params spectrum; /* how spectra are computed (vectors set as stats need) */
    uint32_t stats;                /* enum rmtk_stats flags; default BASIC | MP | LEVELS |
                                      ALPHA (VECTORS, NULL and TAILS on request) */
    int32_t threads;               /* worker threads; 0 = the number of online cores */
    uint64_t seed;                 /* seed of every randomised statistic; default 1 (each matrix
                                      derives its own from it and its index) */
    double significance;           /* significance level of the tests (report.json parameter
                                      "significance", `--significance`); default 0.05 (overrides
                                      the alpha of the module parameters below). Not an
                                      exponent: in the report "alpha" is only the power-law
                                      exponent of the tails statistics */
    rmtk_mp_params mp;             /* RMTK_STATS_MP (default rmtk_mp_params_default) */
    rmtk_tails_params tails;       /* RMTK_STATS_TAILS (seed and threads are set per matrix) */
    rmtk_pt_params vectors;        /* RMTK_STATS_VECTORS (alpha from above; the null's seed is
                                      `seed`, shared by every matrix of one dimension) */
    rmtk_null_params null;         /* RMTK_STATS_NULL (the seed is set per matrix) */
    rmtk_fitlaw_params laws;       /* RMTK_STATS_LAWS (the seed is set per matrix) */
    rmtk_levels_params levels;     /* RMTK_STATS_LEVELS (the seed is set per matrix). Unfolding
                                      method RMTK_UNFOLD_CDF with cdf NULL means "through the
                                      fitted Marchenko-Pastur law": the bulk (spikes removed) is
                                      unfolded with the mp stage's CDF, and MP is turned on. */
    uint64_t max_memory;           /* bytes the workers' buffers may hold together (`--max-memory`);
                                      0 (default): no limit. Matrices run largest first and each
                                      worker holds at most the buffers (spectrum plan, and with
                                      RMTK_STATS_NULL two matrices of doubles) of its first
                                      matrix, so the peak is the sum over the `threads` largest;
                                      rmtk_analysis_run lowers the worker count until that fits
                                      and leaves a note in rmtk_analysis_errmsg (status OK), or
                                      returns RMTK_ERR_NOMEM naming the largest matrix when even
                                      one worker does not fit. Not counted: the mapped tensor
                                      being read, the results, ~100 MB of libraries and stacks */
    int32_t multitest;             /* enum rmtk_multitest: how the tests of all the matrices of
                                      one model are controlled together (report.json parameter
                                      "multitest", `--multitest`); default RMTK_MULTITEST_BH */
    int32_t pad_multitest;
} rmtk_analysis_params;

/* Model-level multiple testing (docs/report.md, "Multiple testing"). Every test that can make a
 * verdict say "structure" gives a raw p-value per matrix: the Tracy-Widom step-down outlier test
 * (each step: mp_tw_p for the first), the goodness of fit of the Marchenko-Pastur law
 * (mp_law_ks_p), the spacing-ratio and KS tests of the unfolded levels against GOE (r_p_goe,
 * ks_p_goe) and the Simes combination of a matrix's Porter-Thomas vector tests (pt_p_simes).
 * rmtk_analysis_run pools them, per model, into one family and adjusts it; the verdicts use the
 * adjusted p-values (the *_adj columns, n_spikes_ctl, pt_top_decile_frac_ctl), so that on a model
 * of pure noise the probability that any matrix is called "structure" is at most the significance
 * level (BH under independence or positive dependence, Holm always). */
enum rmtk_multitest {
    RMTK_MULTITEST_BH = 0,   /* Benjamini-Hochberg step-up: false discovery rate <= significance
                                (independent or PRDS p-values; under the global null it is the
                                Simes test, so the family-wise error is then <= significance) */
    RMTK_MULTITEST_HOLM = 1, /* Holm step-down: family-wise error rate <= significance under any
                                dependence (fewer discoveries) */
    RMTK_MULTITEST_NONE = 2  /* each matrix at the significance level on its own (the former
                                rules; the *_adj columns stay empty) */
};
/* "bh", "holm", "none"; "" for an unknown value. */
RMTK_API const char *rmtk_multitest_name(int method);
/* Adjusted p-values of p[0..m) into adj[0..m) (may alias p): BH adj_(i) = min_{j >= i} m p_(j)/j,
 * Holm adj_(i) = max_{j <= i} (m - j + 1) p_(j), both capped at 1 (p_(i) the i-th smallest); a
 * hypothesis is rejected at level q when adj <= q. NaN entries are not hypotheses (adj NaN, not
 * counted in m). RMTK_MULTITEST_NONE copies p. RMTK_ERR_ARG (NULL with m > 0, unknown method),
 * RMTK_ERR_NOMEM. REF: Benjamini & Hochberg, JRSS B 57 (1995) 289; Holm, Scand. J. Stat. 6 (1979)
 * 65. Thread-safe. */
RMTK_API int rmtk_pvalues_adjust(const double *p, size_t m, int method, double *adj);

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
/* rmtk_analysis_add_model with a label for the input (copied; NULL or "" for none): every
 * summary.csv row and report.json matrix, skipped entry and input of this model carries it as
 * "source", so that rows of several inputs with the same tensor names stay distinguishable
 * ((source, name) is unique when the labels are). rmtk_analysis_add_model is this with NULL. */
RMTK_API int rmtk_analysis_add_model_labeled(rmtk_analysis *a, rmtk_model *m, const char *path,
                                             const char *source);
/* Add a spectrum computed elsewhere (a simulated sample, say) as one matrix of the analysis:
 * sv[0..k) are the singular values (any order; copied) of a rows x cols matrix, k ==
 * min(rows, cols) (pad exact zeros). The statistics that need the matrix or its vectors
 * (vectors, null) leave their columns NaN for it; its report method is "given". name is copied.
 * RMTK_ERR_ARG (NULL, k != min(rows, cols), negative or non-finite values), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_analysis_add_spectrum(rmtk_analysis *a, const char *name, const double *sv,
                                        size_t k, int64_t rows, int64_t cols);
/* Add one matrix that lives in the caller's memory (a NumPy array, a torch tensor's storage),
 * without a copy: the view (rmtk_matrix_view: any scalar dtype the library reads, BF16 and FP8
 * as their raw bits, big-endian allowed, any non-negative element strides, so a transposed or
 * sliced array needs no copy) is BORROWED: its data must stay valid and unchanged until
 * rmtk_analysis_run returns (the analysis reads it from its worker threads, converting one
 * matrix at a time into a worker's buffer, like a mapped tensor). name is copied. A matrix with
 * min(rows, cols) < params.extract.min_side, or of a non-numeric dtype, is listed as skipped with
 * the reason, as a file's tensor would be. Its report rows have an empty tensor and file.
 * RMTK_ERR_ARG (NULL, data NULL, rows or cols < 1), RMTK_ERR_UNSUPPORTED (a negative stride),
 * RMTK_ERR_NOMEM. */
RMTK_API int rmtk_analysis_add_matrix(rmtk_analysis *a, const char *name, rmtk_matrix_view view);
/* Add one caller-owned tensor of any rank under the extraction rules of a file's tensors
 * (rmtk_layers_alloc with params.extract: 2-D as stored, 3-D as a stack, 4-D convolution kernels
 * flattened or sliced, >= 5-D as (shape[0], rest); scalars, 1-D, empty, filtered, small and
 * non-numeric tensors listed as skipped with the same reasons), each matrix added as by
 * rmtk_analysis_add_matrix (borrowed until rmtk_analysis_run returns). data holds elements of
 * `dtype` (little-endian, a scalar dtype: not block-quantised); strides[0..ndim) are element
 * strides (NULL = C-contiguous); a flattened kernel needs its trailing dimensions to collapse
 * into one stride (RMTK_ERR_UNSUPPORTED naming the dimension otherwise: pass a contiguous copy).
 * data may be NULL when the tensor is skipped anyway (a bool mask, a 1-D bias).
 * RMTK_ERR_ARG (NULL, ndim outside 0..RMTK_MAX_DIMS, a negative dimension, a bad regex in
 * params.extract), RMTK_ERR_UNSUPPORTED, RMTK_ERR_RANGE (the element count overflows),
 * RMTK_ERR_NOMEM. Errors are described in rmtk_analysis_errmsg. */
RMTK_API int rmtk_analysis_add_tensor(rmtk_analysis *a, const char *name, const void *data,
                                      int32_t dtype, int32_t ndim, const int64_t *shape,
                                      const int64_t *strides);
/* Tensors produced on demand (a GPU tensor copied to the host, a dtype converted), so that an
 * analysis never holds every converted tensor at once. fetch(user, &data) makes the tensor's
 * elements available in C order (contiguous, little-endian, the dtype given at add time) and
 * returns RMTK_OK, or a status that fails that matrix (status "error"); data stays valid until
 * release(user) (may be NULL), which is called once the matrix has been converted into a
 * worker's buffer. Both are called from the analysis's worker threads, at most one at a time,
 * once per analysed matrix of the tensor (a stack of k matrices is fetched k times). */
typedef int (*rmtk_tensor_fetch_fn)(void *user, const void **data);
typedef void (*rmtk_tensor_release_fn)(void *user);
/* rmtk_analysis_add_tensor for a tensor fetched on demand during rmtk_analysis_run: the same
 * entries and skip reasons; nothing is fetched for skipped tensors or before the run. user must
 * stay valid until the run returns. Errors as rmtk_analysis_add_tensor (RMTK_ERR_ARG for a NULL
 * fetch). */
RMTK_API int rmtk_analysis_add_tensor_fn(rmtk_analysis *a, const char *name, int32_t dtype,
                                         int32_t ndim, const int64_t *shape,
                                         rmtk_tensor_fetch_fn fetch,
                                         rmtk_tensor_release_fn release, void *user);
/* Add a matrix given as factors, X = scale * L * R (L rows x r, R r x cols, any dtypes and
 * strides; copied as doubles, so the views need to stay valid during the call only): its
 * singular values come from the low-rank route (rmtk_lowrank_execute: O((rows + cols) r^2),
 * the product is never formed), padded with exact zeros to min(rows, cols); numerical_rank uses
 * the storage precision of the factors (the larger rmtk_dtype_eps of the two); report method
 * "factors", column factor_inner = r. A product of inner dimension r has at most r non-zero
 * singular values, so the bulk statistics (Marchenko-Pastur, levels, tails) are not computed
 * for it: their statuses are too_few, their columns empty, and the verdict says "low-rank
 * product" (docs/report.md); vectors and null-model columns stay empty. name is copied.
 * RMTK_ERR_ARG (NULL, empty, L.cols != R.rows, non-finite scale), RMTK_ERR_NUMERIC (a
 * non-finite factor entry, named in rmtk_analysis_errmsg), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_analysis_add_factors(rmtk_analysis *a, const char *name, rmtk_matrix_view l,
                                       rmtk_matrix_view r, double scale);
/* For every product entry of the models added so far (PEFT adapters: "<module>.lora_delta"),
 * add the merged matrix W + Delta W, "<module>.lora_merged", analysed densely like any matrix,
 * where W is the base model's weight of the module: the tensor "<module>.weight" with the PEFT
 * prefix "base_model.model." removed (or "<module>.base_layer.weight"), as rmtk_layers_alloc
 * lists it; Delta W is added transposed when W is stored (in, out) (the shapes say so, or for a
 * square W the adapter's fan_in_fan_out). Column delta_fro2_frac = ||Delta W||_F^2 / ||W||_F^2.
 * A module without a base weight, or with one of another shape, becomes a skipped entry with
 * the reason. The base model stays owned by the caller and must stay open until the analysis is
 * freed; path is recorded in the report's inputs. RMTK_ERR_ARG, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_analysis_add_base(rmtk_analysis *a, rmtk_model *base, const char *path);
/* Compute every analysed matrix. A matrix that fails (non-finite values, LAPACK failure) gets
 * status "error" with its message and the run goes on; the return value is RMTK_OK, or the
 * status of the first failed matrix, or a global error (NOMEM). Sets OpenBLAS's thread count
 * for the run: 1 per worker when several matrices run in parallel, all threads otherwise, and
 * restores it afterwards. Matrices run largest first (results stay in model order and do not
 * depend on the schedule); while one computes, the next one's tensor is mapped and read ahead
 * (madvise WILLNEED). Memory: each worker holds one spectrum plan (and with RMTK_STATS_NULL two
 * matrices of doubles) for its largest matrix; max_memory (params) caps the sum. */
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
    const char *method;  /* spectrum route: "gram", "svd", "given", "factors" ("" when not
                            computed) */
    const char *dtype;   /* stored dtype */
    int64_t rows, cols;
    int32_t skip;        /* enum rmtk_skip */
    int32_t error;       /* status code when status is "error", else 0 */
    int32_t block;       /* layer index, -1 when none (rmtk_matrix_entry) */
    int32_t expert;      /* expert index, -1 when none */
    const char *module;  /* normalised module type, "" when unknown (rmtk_structure) */
} rmtk_analysis_row;

RMTK_API int rmtk_analysis_row_get(const rmtk_analysis *a, size_t i, rmtk_analysis_row *row);
/* Value of numeric column c for entry i; NaN when not computed or not defined. */
RMTK_API double rmtk_analysis_value(const rmtk_analysis *a, size_t i, size_t c);
/* Status columns (mp_fit_status, mp_paper_status, levels_status, tails_status) hold one of these
 * codes as their numeric value (NaN when the statistic was not requested); summary.csv writes
 * the name (rmtk_stat_status_name), report.json the code in "metrics" and the name in
 * "statuses". Meaning per column: docs/report.md ("Status columns"). */
enum rmtk_stat_status {
    RMTK_STAT_OK = 0,         /* computed and usable for a verdict */
    RMTK_STAT_CAPPED = 1,     /* mp: the robust fit's exclusions reached k/2 */
    RMTK_STAT_FAILED = 2,     /* the fit did not converge, or its law does not describe the data
                                 (mp: mp_law_ks above mp_law_ks_crit) */
    RMTK_STAT_TOO_FEW = 3,    /* fewer values than the documented minimum (values may remain) */
    RMTK_STAT_DEGENERATE = 4  /* the spectrum's spread is at the storage precision */
};
/* "ok", "capped", "failed", "too_few", "degenerate"; "" for an unknown code. */
RMTK_API const char *rmtk_stat_status_name(int status);
/* Minimum sizes below which a statistic gives no verdict (its value may remain in summary.csv):
 * unfolded levels for <r~>, the KS tests and Brody; non-null singular values for the MP fit and
 * its Tracy-Widom outliers; tail values (n_tail) for a power-law tail verdict. At 50 levels the
 * standard error of <r~> (0.25/sqrt 50 = 0.036) is a quarter of the GOE-Poisson gap (0.144) and
 * the 5 % KS critical distance 0.19; the MLE of alpha - 1 from 50 tail values has relative standard error
 * 1/sqrt(50) = 14 % (docs/report.md, "Minimum sizes"). */
#define RMTK_ANALYSIS_MIN_LEVELS 50
#define RMTK_ANALYSIS_MIN_TAIL 50
/* 1 when column c is a status column (values enum rmtk_stat_status), else 0. */
RMTK_API int rmtk_analysis_column_is_status(const rmtk_analysis *a, size_t c);
/* The vocabulary of the report: one name per number, the same in summary.csv, report.json
 * ("metrics" keys and the matrix object's fields), the terminal table's legend and report.html.
 * rmtk_report_key_describe returns a one-line description of a key (a numeric column, or one of
 * the descriptive fields name, tensor, file, slice, rows, cols, dtype, method, status, reason,
 * verdict, looks_random), or NULL for an unknown key; static storage. The full definitions are
 * in docs/report.md, whose anchor for the key's section rmtk_report_key_anchor returns ("basic",
 * "mp", "levels", "vectors", "null", "tails", "descriptive"; NULL when unknown).
 * rmtk_report_key_is_integer is 1 for a column that holds integers (counts, 0/1 flags, status
 * codes), written without a decimal point in summary.csv and report.json; 0 otherwise (and for
 * an unknown key). */
RMTK_API const char *rmtk_report_key_describe(const char *key);
RMTK_API const char *rmtk_report_key_anchor(const char *key);
RMTK_API int rmtk_report_key_is_integer(const char *key);

/* ---- Verdicts ----
 * The one-line verdict of a matrix, from its summary statistics only, by the rules of
 * docs/report.md ("Verdicts"); the same function gives summary.csv's and report.json's `verdict`
 * and `looks_random`, the terminal table and report.html, so they agree by construction.
 * A statistic enters only when its status column is RMTK_STAT_OK (too few levels or tail values,
 * a capped or failed fit are left out, and the text says why). */
enum rmtk_verdict_class {
    RMTK_VERDICT_RANDOM = 1,       /* looks random: a GOE bulk, or (levels not computed) an ok
                                      Marchenko-Pastur fit without outliers; looks_random = 1 */
    RMTK_VERDICT_STRUCTURE = 0,    /* carries structure; looks_random = 0 */
    RMTK_VERDICT_UNDETERMINED = -1 /* the evidence allows neither (all-zero, too few levels);
                                      looks_random empty in summary.csv, null in report.json */
};
/* A getter of named statistics (a report key, rmtk_report_key_describe; NaN when absent). */
typedef double (*rmtk_metric_fn)(const void *ctx, const char *key);
/* Verdict of one matrix whose statistics get(ctx, key) returns (a report.json read back, say):
 * writes the text into buf[0..size) (truncated, always NUL-terminated when size > 0) and returns
 * its enum rmtk_verdict_class. significance outside (0, 1) means 0.05. Reports of older versions
 * without status columns are read with the former rules (no statuses: every value usable). */
RMTK_API int rmtk_verdict_eval(rmtk_metric_fn get, const void *ctx, double significance,
                               char *buf, size_t size);
/* Verdict of entry i of a run analysis, at the analysis's significance: text into buf (may be
 * NULL when size is 0) and *looks_random (may be NULL) = the enum rmtk_verdict_class value
 * (1, 0, -1). A skipped or failed entry has no verdict: "" and -1, return RMTK_ERR_NOTFOUND.
 * RMTK_ERR_ARG for NULL a or i out of range; else RMTK_OK. */
RMTK_API int rmtk_analysis_verdict(const rmtk_analysis *a, size_t i, char *buf, size_t size,
                                   int *looks_random);
/* The status column that says whether column `key` may be read (mp_fit_status for n_spikes,
 * levels_status for r_mean, tails_status for alpha, ...), or NULL. rmtk_report_value_usable
 * returns get(ctx, key), or NaN when that status is present and not RMTK_STAT_OK. */
RMTK_API const char *rmtk_report_key_status(const char *key);
RMTK_API double rmtk_report_value_usable(rmtk_metric_fn get, const void *ctx, const char *key);

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

/* ---- Model summary ----
 * After rmtk_analysis_run: the mean and median of every numeric column (status columns
 * excepted) and of looks_random (the fraction of matrices that look random among those with a
 * verdict) over the analysed matrices, for the group "all" and per module (the matrix name
 * without its block indices: the dot-separated components that are all digits dropped, the
 * slice suffix cut; "h.3.attn.c_attn.weight" -> "h.attn.c_attn.weight"; no module rows when
 * there is only one). Rows come group by group ("all" first), in column order; NaN values are
 * left out (n counts the rest); mean and median are NaN when n is 0. WeightWatcher's
 * get_summary() is the "all" group's mean of log_norm, alpha, alpha_weighted, log_alpha_norm,
 * log_spectral_norm, stable_rank and mp_softrank (docs/report.md, "Model summary"). Strings
 * owned by the analysis, valid until it is freed or run again. */
typedef struct rmtk_model_summary_row {
    const char *group; /* "all" or a module */
    const char *key;   /* a column name of summary.csv, or "looks_random" */
    uint64_t n;        /* matrices with a value */
    double mean, median;
} rmtk_model_summary_row;
RMTK_API size_t rmtk_analysis_summary_count(const rmtk_analysis *a);
/* RMTK_ERR_ARG for NULL or i out of range. */
RMTK_API int rmtk_analysis_summary_get(const rmtk_analysis *a, size_t i,
                                       rmtk_model_summary_row *row);
/* model_summary.csv: a header "group,key,n,mean,median" and one line per row (numbers at
 * %.17g, empty for NaN); written atomically like rmtk_analysis_write_csv. */
RMTK_API int rmtk_analysis_write_summary_csv(const rmtk_analysis *a, const char *path);

#define RMTK_REPORT_SCHEMA_VERSION 1

/* ---- An analysis computed in pieces (several processes: the CLI's MPI driver) ----
 * Every process builds the same analysis (same models, same parameters: the same entries in
 * the same order), computes a part of it, and sends each computed entry to one process that
 * imports it and writes the report. Each entry's results depend only on its matrix, the
 * parameters and its index, so the report equals that of one rmtk_analysis_run byte for byte.
 *
 * rmtk_analysis_run_entries: compute entries idx[0..n) only (skipped ones among them are
 * ignored), as rmtk_analysis_run would (same pool of params.threads workers, same seeds);
 * progress counts those entries. An entry computes once: RMTK_ERR_ARG for an index out of range
 * or an entry computed (or imported) already, with the message on the handle. Returns
 * RMTK_OK, or the status of the first failed listed entry (each keeps its status and message,
 * as in rmtk_analysis_run), or an error that stopped the run (NOMEM) before every listed entry
 * was computed. While it runs, the other entries must not be read (one thread drives a handle).
 *
 * rmtk_analysis_entry_export: entry i's complete results (status, error message, spectrum
 * method, every numeric column, every array) as a byte blob, "ask the size, then fill": with
 * buf NULL and size 0 it sets *needed and returns RMTK_OK; with a buffer it fills buf[0..*needed)
 * and returns RMTK_OK, or RMTK_ERR_RANGE when size < *needed (nothing usable written). The blob
 * is in the native byte order and carries the entry's index, name and shape. An entry not
 * computed exports as such (no arrays; importing it leaves the entry uncomputed).
 *
 * rmtk_analysis_entry_import: replaces entry i's results with those of a blob exported from
 * entry i of an identical analysis (any process). RMTK_ERR_FORMAT, with a message naming the
 * entry, when the blob is malformed or truncated, comes from another byte order or rmtk version
 * (column set), or from another entry (index, name or shape differ): the entry is then
 * untouched. RMTK_ERR_NOMEM leaves the entry failed with that status. buf is only read during
 * the call.
 *
 * rmtk_analysis_provenance_set: records key = text (a JSON string), or = number when text is
 * NULL, in report.json's "provenance" object, its last member, written only when at least one
 * key is set. For facts about the run that are not results (rank count, host names, wall time),
 * so that the rest of the report stays comparable byte for byte. Setting a key again replaces
 * its value; at most 16 keys (RMTK_ERR_RANGE). key and text are copied. RMTK_ERR_ARG for NULL
 * a or an empty key. Not in summary.csv. */
RMTK_API int rmtk_analysis_run_entries(rmtk_analysis *a, const size_t *idx, size_t n,
                                       rmtk_progress_fn progress, void *user);
RMTK_API int rmtk_analysis_entry_export(const rmtk_analysis *a, size_t i, void *buf,
                                        size_t size, size_t *needed);
RMTK_API int rmtk_analysis_entry_import(rmtk_analysis *a, size_t i, const void *buf,
                                        size_t size);
/* The model-level steps that rmtk_analysis_run applies after its matrices: the multiple-testing
 * control across the model's matrices (params.multitest: the *_adj and *_ctl columns the
 * verdicts read) and the model summary (model_summary.csv). They depend on every entry, so after
 * entries were imported (rmtk_analysis_entry_import) call this once, before writing the report,
 * for the report to equal that of one rmtk_analysis_run. Recomputes from the raw columns: calling
 * it again gives the same result. RMTK_ERR_ARG for NULL, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_analysis_finish(rmtk_analysis *a);
RMTK_API int rmtk_analysis_provenance_set(rmtk_analysis *a, const char *key, const char *text,
                                          double number);

/* =========================================================================================== */
/* Lanczos and stochastic Lanczos quadrature (module lanczos)                                   */
/* =========================================================================================== */

/* y[0..n) = A x[0..n) for a symmetric operator A of order n (a dense matrix, W^T W without forming
 * it, a Hessian-vector product from Python). Return 0 on success; any other value stops the
 * caller, which returns RMTK_ERR_ARG. x and y never alias. */
typedef int (*rmtk_matvec_fn)(void *user, const double *x, double *y, int64_t n);

enum rmtk_reorth {
    RMTK_REORTH_FULL = 0, /* every new vector projected twice against the stored basis (CGS2):
                             orthonormal to working precision, m n doubles of memory */
    RMTK_REORTH_NONE = 1  /* the plain three-term recurrence: 3 n doubles; converged Ritz values
                             repeat ("ghosts", Paige 1976) but quadrature weights and moments stay
                             usable (docs/methods/slq.md) */
};

typedef struct rmtk_lanczos_params {
    int64_t steps;  /* m, Lanczos steps per start (clipped to n); default 100 */
    int64_t starts; /* SLQ: random start vectors averaged; default 5 */
    int32_t reorth; /* enum rmtk_reorth; default RMTK_REORTH_FULL */
    int32_t pad;
    uint64_t seed;  /* starts are normalised Rademacher vectors (entries +-1/sqrt n) from the
                       counter-based generator, start l = stream l of this seed; default 1 */
} rmtk_lanczos_params;

RMTK_API rmtk_lanczos_params rmtk_lanczos_params_default(void);

/* m = min(p->steps, n) Lanczos steps on op from q1 (any nonzero vector, normalised here; NULL =
 * the Rademacher start of p->seed, stream 0): the tridiagonal T = Q^T A Q with diagonal
 * alpha[0..k) and off-diagonal beta[0..k-1), k = *steps_done <= m (fewer when the Krylov space is
 * exhausted: beta at rounding level, n eps ||T||). Golub & Van Loan, Matrix Computations, 4th
 * ed., Alg. 10.1.1. alpha, beta hold m values. RMTK_ERR_ARG (NULL, n < 1, bad params, a zero q1,
 * op returning nonzero), RMTK_ERR_NUMERIC (op gave a non-finite value), RMTK_ERR_NOMEM (the m n
 * basis of full reorthogonalisation). Thread-safe when op is. */
RMTK_API int rmtk_lanczos(rmtk_matvec_fn op, void *user, int64_t n, const double *q1,
                          const rmtk_lanczos_params *p, double *alpha, double *beta,
                          int64_t *steps_done);

typedef struct rmtk_slq_info {
    int64_t nodes_per_start; /* m = min(steps, n): start l's rule is at [l m, (l + 1) m) */
    int64_t steps_done_min;  /* the fewest steps a start took (< m: invariant subspace) */
    double lambda_min;       /* smallest and largest Ritz value over all starts: they converge */
    double lambda_max;       /* to the extreme eigenvalues from inside */
} rmtk_slq_info;

/* Stochastic Lanczos quadrature: for each of p->starts normalised Rademacher starts, m Lanczos
 * steps and the Gauss rule of T (nodes = its eigenvalues theta_k, weights = (e_1^T y_k)^2 / starts
 * with y_k its unit eigenvectors). The spectral density estimate of A is
 * sum over all nodes of weights[i] delta(t - nodes[i]) (total weight 1); E[sum w f(theta)] =
 * tr f(A) / n for polynomial f of degree <= 2m - 1. nodes, weights hold starts * m values; a
 * start that stopped early pads its slots with weight 0. REF: Ubaru, Chen & Saad, SIAM J. Matrix
 * Anal. Appl. 38 (2017) 1075; Lin, Saad & Yang, SIAM Rev. 58 (2016) 34. Errors as rmtk_lanczos,
 * and RMTK_ERR_LAPACK (dstev). info may be NULL. Thread-safe when op is. */
RMTK_API int rmtk_slq_density(rmtk_matvec_fn op, void *user, int64_t n,
                              const rmtk_lanczos_params *p, double *nodes, double *weights,
                              rmtk_slq_info *info);
/* The k-th moment estimate tr(A^k)/n = mean over starts of sum tau theta^k from an SLQ rule laid
 * out as rmtk_slq_density writes it, and its Monte-Carlo standard error (the spread across
 * starts / sqrt(starts); NaN for one start). stderr_ may be NULL. */
RMTK_API int rmtk_slq_moment(const double *nodes, const double *weights, int64_t per_start,
                             int64_t starts, int order, double *mean, double *stderr_);
/* The Gaussian-smoothed density sum_k w_k N(x; theta_k, sigma^2) at x[0..nx) into density.
 * RMTK_ERR_ARG for NULL or sigma <= 0. Thread-safe. */
RMTK_API int rmtk_slq_smooth(const double *nodes, const double *weights, size_t count,
                             double sigma, const double *x, size_t nx, double *density);

/* ---- Comparing two matrices (module compare; rmtk compare, docs/report.md "compare") ---- */

/* Principal angles between the column spaces of A (n x ka) and B (n x kb), each with orthonormal
 * columns stored vector-major (column j at A + j*n: the layout of rmtk_spectrum_execute's u and
 * v). Writes min(ka, kb) angles in radians into theta, ascending (theta[0] the smallest).
 * Björck & Golub's method as scipy.linalg.subspace_angles computes it: cos theta_i = singular
 * values of A^T B; angles with cos^2 >= 1/2 are taken from the sines instead, the singular values
 * of B - A (A^T B) (ka >= kb; else A - B (B^T A)), accurate for small angles.
 * REF: Björck & Golub, Math. Comp. 27 (1973) 579; Knyazev & Argentati, SISC 23 (2002) 2008.
 * Allocates n * max(ka, kb) + ka * kb doubles. RMTK_ERR_ARG (NULL, n, ka or kb zero, ka or kb
 * above n), RMTK_ERR_NOMEM, RMTK_ERR_LAPACK. Thread-safe. */
RMTK_API int rmtk_principal_angles(const double *A, size_t n, size_t ka, const double *B,
                                   size_t kb, double *theta);
/* Overlap of each column b_j of B (n x kb, vector-major, unit norm) with the column space of A
 * (n x ka, orthonormal): ov[j] = ||A^T b_j||^2 in [0, 1] (1: b_j lies in span A; ka/n expected
 * for a random direction). Allocates nothing. RMTK_ERR_ARG. Thread-safe. */
RMTK_API int rmtk_subspace_overlap(const double *A, size_t n, size_t ka, const double *B,
                                   size_t kb, double *ov);
/* Numerical-rank tolerance of a difference D = W_target - W_base of two stored matrices
 * (rows x cols) from its singular values sd[0..k) (largest first) and the Frobenius norms of the
 * two sides: tol = sd_1 max(rows, cols) eps_F64 + (eps / sqrt 3) (rms(W_base) + rms(W_target))
 * (sqrt rows + sqrt cols), rms(W) = ||W||_F / sqrt(rows cols), eps the coarser of the two stored
 * dtypes' resolutions (rmtk_dtype_eps). It is the rule of summary.csv's numerical_rank
 * (docs/report.md) with the rounding of both sides in place of one: each stored entry carries a
 * rounding error |E_ij| <= eps/2 |W_ij|, so D = (exact update) + E_target - E_base with
 * ||E_t - E_b||_2 ~ eps/(2 sqrt 3) (rms_b + rms_t)(sqrt rows + sqrt cols) (Bai-Yin), and a
 * singular value of D below twice that may be rounding noise of an update of lower rank. The
 * delta's own scale does not enter: a rank-r update of a bf16 model shows r values above it and
 * the rest at the bf16 rounding level of the weights, below it. Thread-safe. */
RMTK_API double rmtk_delta_rank_tol(const double *sd, size_t k, int64_t rows, int64_t cols,
                                    double fro_base, double fro_target, double eps);

/* =========================================================================================== */
/* Denoising: singular-value thresholds and shrinkers (module denoise)                          */
/* =========================================================================================== */

/* Conventions (Gavish & Donoho): an N x M matrix X = S + s Z, Z with i.i.d. N(0, 1) entries and s
 * the noise level (entry standard deviation); n = max(N, M), m = min(N, M), beta = m / n. A
 * singular value s_i in "noise units" is y = s_i / (sqrt(n) s); pure noise fills y in
 * [1 - sqrt beta, 1 + sqrt beta]. Formulas, references and the estimates of s:
 * docs/methods/denoise.md. */
enum rmtk_denoise_method {
    RMTK_DENOISE_GAVISH_DONOHO = 0, /* hard threshold tau = omega(beta) median(s_i) (s unknown)
                                       or lambda*(beta) sqrt(n) s (s given); Gavish-Donoho 2014 */
    RMTK_DENOISE_MP_EDGE = 1,       /* hard threshold at the robust MP fit's edge plus the TW_1
                                       margin: tau^2 = v (mu_J + sigma_J q_{1-alpha}), mu_J and
                                       sigma_J of the fit's deflated (n - j) x (m - j) bulk: keeps
                                       the fit's j excluded values */
    RMTK_DENOISE_SHRINK = 2,        /* optimal Frobenius shrinker (Gavish-Donoho 2017) */
    RMTK_DENOISE_RANK = 3,          /* keep the `rank` largest values */
    RMTK_DENOISE_ENERGY = 4         /* keep the fewest largest values with sum s^2 >= energy
                                       times the total */
};

/* Where gavish-donoho and shrink take the noise level s from when params->noise is 0. */
enum rmtk_denoise_noise_from {
    RMTK_DENOISE_NOISE_MEDIAN = 0, /* s = median(s_i) / sqrt(n mu_beta), and gavish-donoho's
                                      unknown-noise threshold omega(beta) median(s_i) (default) */
    RMTK_DENOISE_NOISE_MP = 1      /* s = sqrt(v) of the robust MP fit (rmtk_mp_fit_robust at
                                      alpha), used as a known level: lambda*(beta) sqrt(n) s */
};

typedef struct rmtk_denoise_params {
    int32_t method; /* enum rmtk_denoise_method; default RMTK_DENOISE_GAVISH_DONOHO */
    int32_t noise_from; /* enum rmtk_denoise_noise_from, used when noise is 0; default
                           RMTK_DENOISE_NOISE_MEDIAN */
    int64_t rank;   /* RMTK_DENOISE_RANK: values kept (>= 0); default 0 */
    double energy;  /* RMTK_DENOISE_ENERGY: fraction in (0, 1]; default 0.9 */
    double noise;   /* the noise level s when known (> 0); 0 = estimate it (default) */
    double alpha;   /* RMTK_DENOISE_MP_EDGE and RMTK_DENOISE_NOISE_MP: Tracy-Widom level of the
                       robust MP fit in (0, 1); default 0.05 */
    int64_t min_values; /* gavish-donoho, mp-edge, shrink: a matrix with fewer singular values
                           (min(rows, cols) < min_values) has no usable noise estimate and is
                           RMTK_ERR_NUMERIC (left unchanged); default RMTK_ANALYSIS_MIN_LEVELS
                           (50), the minimum of the MP fit and its Tracy-Widom outliers */
} rmtk_denoise_params;

RMTK_API rmtk_denoise_params rmtk_denoise_params_default(void);
/* "gavish-donoho", "mp-edge", "shrink", "rank", "energy" ("unknown" otherwise). Static. */
RMTK_API const char *rmtk_denoise_method_name(int method);

/* lambda*(beta) = sqrt(2(beta+1) + 8 beta / ((beta+1) + sqrt(beta^2 + 14 beta + 1))), the optimal
 * hard threshold in noise units for known s (4/sqrt 3 at beta = 1). beta in (0, 1], else
 * RMTK_ERR_ARG. REF: Gavish & Donoho, IEEE Trans. Inf. Theory 60 (2014) 5040, eq. (11).
 * Thread-safe. */
RMTK_API int rmtk_denoise_gd_lambda(double beta, double *lambda);
/* omega(beta) = lambda*(beta) / sqrt(mu_beta), mu_beta the median of the MP law of ratio beta
 * (rmtk_mp_quantile): tau = omega(beta) median(s_i) for unknown s (2.858 at beta = 1).
 * REF: Gavish & Donoho 2014, eq. (4). Thread-safe. */
RMTK_API int rmtk_denoise_gd_omega(double beta, double *omega);
/* The optimal Frobenius shrinker in noise units: eta(y) = sqrt((y^2 - beta - 1)^2 - 4 beta) / y
 * for y >= 1 + sqrt beta, 0 below (NaN for NaN y; 0 for beta outside (0, 1]). REF: Gavish &
 * Donoho, IEEE Trans. Inf. Theory 63 (2017) 2137, eq. (7). Thread-safe. */
RMTK_API double rmtk_denoise_shrink_frobenius(double y, double beta);

/* What a threshold did to one matrix. */
typedef struct rmtk_denoise_result {
    int64_t kept;      /* values kept (eta_i > 0) */
    double noise;      /* the noise level s used (given or estimated; NaN for rank/energy) */
    double threshold;  /* the cut tau in singular-value units (shrink: the bulk edge
                          (1 + sqrt beta) sqrt(n) s; rank/energy: the smallest kept value) */
    double rel_change; /* ||X^ - X||_F / ||X||_F = sqrt(sum (s_i - eta_i)^2 / sum s_i^2) */
} rmtk_denoise_result;

/* The new singular values eta[0..k) of an N x M (rows x cols) matrix from its singular values
 * sv[0..k), k = min(rows, cols), largest first (as rmtk_spectrum_execute gives them); eta_i = 0
 * for a dropped value. The noise level is estimated when params->noise is 0: gavish-donoho and
 * shrink from the median, s = median(s_i) / sqrt(n mu_beta) (or, with params->noise_from =
 * RMTK_DENOISE_NOISE_MP, as mp-edge); mp-edge from the robust MP fit (rmtk_mp_fit_robust at
 * params->alpha), s = sqrt(v). Returns RMTK_ERR_ARG (NULL, k !=
 * min(rows, cols), values negative, non-finite or not descending, bad parameters),
 * RMTK_ERR_NUMERIC (a zero matrix; k < params->min_values for the RMT methods; a median of 0:
 * no noise scale; a failed MP fit). Allocates
 * nothing except the robust MP fit's buffer (mp-edge, noise_from MP). Thread-safe. */
RMTK_API int rmtk_denoise_threshold(const double *sv, size_t k, int64_t rows, int64_t cols,
                                    const rmtk_denoise_params *params, double *eta,
                                    rmtk_denoise_result *res);
/* dst (rows x cols, row-major) = sum over l < k with eta_l > 0 of eta_l u_l v_l^T, u_l at
 * u + l rows and v_l at v + l cols (the layout of rmtk_spectrum_execute). O(kept rows cols).
 * RMTK_ERR_ARG for NULL or sizes < 1. Thread-safe. */
RMTK_API int rmtk_denoise_reconstruct(const double *eta, size_t k, const double *u,
                                      const double *v, int64_t rows, int64_t cols, double *dst);
/* The factors of the same matrix, A B = X^, with r = the number of eta_l > 0 (in order):
 * a (rows x r, row-major) = U_r diag(sqrt eta), b (r x cols, row-major) = diag(sqrt eta) V_r^T.
 * a and b hold rows k and k cols doubles at least (may be NULL when r = 0). Thread-safe. */
RMTK_API int rmtk_denoise_factors(const double *eta, size_t k, const double *u, const double *v,
                                  int64_t rows, int64_t cols, double *a, double *b, size_t *r);

/* =========================================================================================== */
/* Writing safetensors (module write-safetensors)                                               */
/* =========================================================================================== */

/* A streaming writer: declare every tensor and the metadata, begin (the header is written to a
 * temporary file PATH.tmp.* in PATH's directory), put each tensor's bytes in any order and in
 * pieces, commit (checks every byte was put, fsync, rename over PATH). Freeing an uncommitted
 * writer removes its temporary file; PATH is replaced only by commit. The header lists
 * "__metadata__" (keys sorted) then the tensors sorted by name; the header is space-padded to
 * a multiple of 8 bytes and the data are laid out largest element size first, so that each
 * tensor is aligned to its element size; there are no holes (the safetensors spec). Data are
 * little-endian, C order. One thread per writer. Errors are described in
 * rmtk_safetensors_writer_errmsg. */
typedef struct rmtk_safetensors_writer rmtk_safetensors_writer;
/* RMTK_ERR_ARG (NULL), RMTK_ERR_NOMEM. Creates no file yet. */
RMTK_API int rmtk_safetensors_writer_alloc(const char *path, rmtk_safetensors_writer **out);
/* Accepts NULL; removes the temporary file unless committed. */
RMTK_API void rmtk_safetensors_writer_free(rmtk_safetensors_writer *w);
RMTK_API const char *rmtk_safetensors_writer_errmsg(const rmtk_safetensors_writer *w);
/* A metadata pair (copied; a repeated key replaces the value). Before begin. */
RMTK_API int rmtk_safetensors_writer_metadata(rmtk_safetensors_writer *w, const char *key,
                                              const char *value);
/* Declare a tensor (name copied) of dtype F64 ... BOOL (RMTK_ERR_UNSUPPORTED for quantised and
 * OTHER), ndim 0..RMTK_MAX_DIMS; *index (may be NULL) is its handle for put. RMTK_ERR_ARG for
 * a repeated or empty name or "__metadata__". Before begin. */
RMTK_API int rmtk_safetensors_writer_add(rmtk_safetensors_writer *w, const char *name,
                                         int dtype, int32_t ndim, const int64_t *shape,
                                         size_t *index);
/* Lay out and write the header. RMTK_ERR_IO naming the path. */
RMTK_API int rmtk_safetensors_writer_begin(rmtk_safetensors_writer *w);
/* Write n stored bytes of tensor index at byte offset within it. RMTK_ERR_RANGE past its end. */
RMTK_API int rmtk_safetensors_writer_put(rmtk_safetensors_writer *w, size_t index,
                                         uint64_t offset, const void *data, size_t n);
/* Write n doubles converted to the tensor's dtype (F64, F32, F16, BF16; round to nearest,
 * ties to even; overflow to infinity) starting at element elem_offset. */
RMTK_API int rmtk_safetensors_writer_put_f64(rmtk_safetensors_writer *w, size_t index,
                                             uint64_t elem_offset, const double *x, size_t n);
/* RMTK_ERR_ARG when a tensor is incomplete (naming it), RMTK_ERR_IO. */
RMTK_API int rmtk_safetensors_writer_commit(rmtk_safetensors_writer *w);
/* n doubles into dtype F64, F32, F16 or BF16 little-endian at dst (one rounding, to nearest
 * even, from the double; IEEE 754 4.3.1). RMTK_ERR_UNSUPPORTED for other dtypes. Thread-safe. */
RMTK_API int rmtk_dtype_from_double(int dtype, const double *src, size_t n, void *dst);

#ifdef __cplusplus
}
#endif
#endif /* RMTK_H */
