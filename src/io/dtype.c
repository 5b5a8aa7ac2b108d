/*
 * dtype.c: the one traits table of element types (name, size, numeric or not) and conversion of
 * stored elements to double. Every float format converts exactly (binary16, bfloat16 and both FP8
 * formats are subsets of double); 64-bit integers round to nearest above 2^53.
 * REF: IEEE 754-2008 binary16; OCP 8-bit Floating Point Specification (OFP8) rev. 1.0, 2023
 * (E4M3 "fn": bias 7, no infinities, S.1111.111 = NaN; E5M2: bias 15, IEEE-style specials).
 * ggml's block-quantised types convert whole blocks through quant.c.
 */
#include "internal.h"
#include "quant.h"

#include <math.h>
#include <string.h>

typedef struct {
    const char *name;
    size_t size;
    int numeric;
    double eps; /* unit roundoff 2^-p of the stored format (machine epsilon, numpy's finfo.eps) */
} dtype_traits;

/* eps: 2^-(mantissa bits); integers are exact, so the analysis of an integer matrix (converted
 * to double) uses F64's eps; BOOL and OTHER are never analysed (F64's eps too). */
#define EPS64 0x1p-52
static const dtype_traits traits[] = {
    [RMTK_DTYPE_F64] = {"F64", 8, 1, EPS64},
    [RMTK_DTYPE_F32] = {"F32", 4, 1, 0x1p-23},
    [RMTK_DTYPE_F16] = {"F16", 2, 1, 0x1p-10},
    [RMTK_DTYPE_BF16] = {"BF16", 2, 1, 0x1p-7},
    [RMTK_DTYPE_F8_E4M3] = {"F8_E4M3", 1, 1, 0x1p-3},
    [RMTK_DTYPE_F8_E5M2] = {"F8_E5M2", 1, 1, 0x1p-2},
    [RMTK_DTYPE_I8] = {"I8", 1, 1, EPS64},
    [RMTK_DTYPE_I16] = {"I16", 2, 1, EPS64},
    [RMTK_DTYPE_I32] = {"I32", 4, 1, EPS64},
    [RMTK_DTYPE_I64] = {"I64", 8, 1, EPS64},
    [RMTK_DTYPE_U8] = {"U8", 1, 1, EPS64},
    [RMTK_DTYPE_U16] = {"U16", 2, 1, EPS64},
    [RMTK_DTYPE_U32] = {"U32", 4, 1, EPS64},
    [RMTK_DTYPE_U64] = {"U64", 8, 1, EPS64},
    [RMTK_DTYPE_BOOL] = {"BOOL", 1, 0, EPS64},
    [RMTK_DTYPE_OTHER] = {"OTHER", 0, 0, EPS64},
    /* block-quantised (quant.c): size 0 per element, see rmtk_dtype_block; eps: the
       quantisation step, rmtk__quant_resolution */
    [RMTK_DTYPE_Q4_0] = {"Q4_0", 0, 1, 0},   [RMTK_DTYPE_Q4_1] = {"Q4_1", 0, 1, 0},
    [RMTK_DTYPE_Q5_0] = {"Q5_0", 0, 1, 0},   [RMTK_DTYPE_Q5_1] = {"Q5_1", 0, 1, 0},
    [RMTK_DTYPE_Q8_0] = {"Q8_0", 0, 1, 0},   [RMTK_DTYPE_Q2_K] = {"Q2_K", 0, 1, 0},
    [RMTK_DTYPE_Q3_K] = {"Q3_K", 0, 1, 0},   [RMTK_DTYPE_Q4_K] = {"Q4_K", 0, 1, 0},
    [RMTK_DTYPE_Q5_K] = {"Q5_K", 0, 1, 0},   [RMTK_DTYPE_Q6_K] = {"Q6_K", 0, 1, 0},
    [RMTK_DTYPE_Q8_K] = {"Q8_K", 0, 1, 0},   [RMTK_DTYPE_MXFP4] = {"MXFP4", 0, 1, 0},
    [RMTK_DTYPE_TQ1_0] = {"TQ1_0", 0, 1, 0}, [RMTK_DTYPE_TQ2_0] = {"TQ2_0", 0, 1, 0},
    [RMTK_DTYPE_IQ4_NL] = {"IQ4_NL", 0, 1, 0}, [RMTK_DTYPE_IQ4_XS] = {"IQ4_XS", 0, 1, 0},
};

static const dtype_traits *get_traits(int dtype)
{
    if (dtype < 0 || (size_t)dtype >= sizeof traits / sizeof traits[0])
        return NULL;
    return &traits[dtype];
}

const char *rmtk_dtype_name(int dtype)
{
    const dtype_traits *t = get_traits(dtype);
    return t ? t->name : "INVALID";
}

size_t rmtk_dtype_size(int dtype)
{
    const dtype_traits *t = get_traits(dtype);
    return t ? t->size : 0;
}

int rmtk_dtype_block(int dtype, size_t *elems, size_t *bytes)
{
    if (!elems || !bytes)
        return RMTK_ERR_ARG;
    *elems = *bytes = 0;
    if (rmtk__quant_block(dtype, elems, bytes))
        return RMTK_OK;
    const dtype_traits *t = get_traits(dtype);
    if (!t || t->size == 0)
        return RMTK_ERR_UNSUPPORTED;
    *elems = 1;
    *bytes = t->size;
    return RMTK_OK;
}

int rmtk__dtype_bytes(int dtype, uint64_t n, uint64_t *bytes)
{
    size_t el, by;
    uint64_t nb;
    if (rmtk_dtype_block(dtype, &el, &by) != RMTK_OK || n % el != 0 ||
        !rmtk__mul_u64(n / el, by, &nb))
        return 0;
    *bytes = nb;
    return 1;
}

double rmtk_dtype_eps(int dtype)
{
    const dtype_traits *t = get_traits(dtype);
    if (t && t->size == 0 && t->numeric)
        return rmtk__quant_resolution(dtype);
    return t ? t->eps : EPS64;
}

int rmtk_dtype_is_numeric(int dtype)
{
    const dtype_traits *t = get_traits(dtype);
    return t ? t->numeric : 0;
}

/* binary16: s eeeee mmmmmmmmmm, bias 15; subnormals m * 2^-24. */
static double half_to_double(uint16_t h)
{
    /* Normal numbers, infinities and NaNs map onto binary64 fields directly: the sign moves to
     * bit 63, the exponent is re-biased (15 -> 1023; 31 -> 2047) and the 10-bit fraction moves
     * to the top of the 52-bit one. Subnormals are m * 2^-24, exact in double. */
    uint64_t s = (uint64_t)(h >> 15) << 63, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    uint64_t bits;
    double v;
    if (e == 0) {
        v = (double)m * 0x1p-24;
        memcpy(&bits, &v, 8);
        bits |= s;
    } else {
        bits = s | ((e == 31 ? 2047 : e - 15 + 1023) << 52) | (m << 42);
    }
    memcpy(&v, &bits, 8);
    return v;
}

/* bfloat16: the high half of a binary32. */
static double bf16_to_double(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return (double)f;
}

/* E4M3 fn: s eeee mmm, bias 7; e = 0 subnormal m * 2^-9; 0x7f / 0xff NaN; no infinities. */
static double e4m3_to_double(uint8_t b)
{
    int s = b >> 7, e = (b >> 3) & 0xf, m = b & 7;
    double v;
    if (e == 15 && m == 7)
        v = NAN;
    else if (e == 0)
        v = ldexp((double)m, -9);
    else
        v = ldexp((double)(m | 8), e - 10);
    return s ? -v : v;
}

/* E5M2: s eeeee mm, bias 15; e = 0 subnormal m * 2^-16; e = 31 inf (m = 0) or NaN. */
static double e5m2_to_double(uint8_t b)
{
    int s = b >> 7, e = (b >> 2) & 0x1f, m = b & 3;
    double v;
    if (e == 0)
        v = ldexp((double)m, -16);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp((double)(m | 4), e - 17);
    return s ? -v : v;
}

/* Load a little- or big-endian unsigned integer of `size` bytes. */
static inline uint64_t load_uint(const unsigned char *p, size_t size, int big)
{
    uint64_t u = 0;
    if (big)
        for (size_t i = 0; i < size; i++)
            u = (u << 8) | p[i];
    else
        for (size_t i = size; i-- > 0;)
            u = (u << 8) | p[i];
    return u;
}

static inline int64_t sign_extend(uint64_t u, size_t size)
{
    unsigned shift = (unsigned)(64 - 8 * size);
    return (int64_t)(u << shift) >> shift;
}

/* Host is little-endian (x86-64, aarch64): the common case avoids byte assembly. */
static int host_is_little(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

int rmtk_dtype_to_double(int dtype, int big_endian, const void *src, size_t n, double *dst)
{
    const dtype_traits *t = get_traits(dtype);
    if (!t || !src || (!dst && n))
        return RMTK_ERR_ARG;
    if (!t->numeric)
        return RMTK_ERR_UNSUPPORTED;
    const unsigned char *p = src;
    size_t sz = t->size, qel, qby;
    if (rmtk__quant_block(dtype, &qel, &qby)) {
        if (n % qel != 0)
            return RMTK_ERR_ARG;
        return rmtk__quant_to_double(dtype, p, n / qel, dst);
    }
    int native = (big_endian != 0) != host_is_little();

    if (native && dtype == RMTK_DTYPE_F32) {
        for (size_t i = 0; i < n; i++) {
            float f;
            memcpy(&f, p + 4 * i, 4);
            dst[i] = f;
        }
        return RMTK_OK;
    }
    if (native && (dtype == RMTK_DTYPE_BF16 || dtype == RMTK_DTYPE_F16)) {
        /* the common half-precision checkpoints: no per-element byte assembly or dispatch */
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            dst[i] = dtype == RMTK_DTYPE_BF16 ? bf16_to_double(h) : half_to_double(h);
        }
        return RMTK_OK;
    }
    if (native && dtype == RMTK_DTYPE_F64) {
        memcpy(dst, p, 8 * n);
        return RMTK_OK;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t u = load_uint(p + sz * i, sz, big_endian != 0);
        double v;
        switch ((enum rmtk_dtype)dtype) {
        case RMTK_DTYPE_F64: {
            memcpy(&v, &u, 8);
            break;
        }
        case RMTK_DTYPE_F32: {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, 4);
            v = f;
            break;
        }
        case RMTK_DTYPE_F16:
            v = half_to_double((uint16_t)u);
            break;
        case RMTK_DTYPE_BF16:
            v = bf16_to_double((uint16_t)u);
            break;
        case RMTK_DTYPE_F8_E4M3:
            v = e4m3_to_double((uint8_t)u);
            break;
        case RMTK_DTYPE_F8_E5M2:
            v = e5m2_to_double((uint8_t)u);
            break;
        case RMTK_DTYPE_I8:
        case RMTK_DTYPE_I16:
        case RMTK_DTYPE_I32:
        case RMTK_DTYPE_I64:
            v = (double)sign_extend(u, sz);
            break;
        case RMTK_DTYPE_U8:
        case RMTK_DTYPE_U16:
        case RMTK_DTYPE_U32:
        case RMTK_DTYPE_U64:
            v = (double)u;
            break;
        case RMTK_DTYPE_BOOL:
        case RMTK_DTYPE_OTHER:
        case RMTK_DTYPE_Q4_0:
        case RMTK_DTYPE_Q4_1:
        case RMTK_DTYPE_Q5_0:
        case RMTK_DTYPE_Q5_1:
        case RMTK_DTYPE_Q8_0:
        case RMTK_DTYPE_Q2_K:
        case RMTK_DTYPE_Q3_K:
        case RMTK_DTYPE_Q4_K:
        case RMTK_DTYPE_Q5_K:
        case RMTK_DTYPE_Q6_K:
        case RMTK_DTYPE_Q8_K:
        case RMTK_DTYPE_MXFP4:
        case RMTK_DTYPE_TQ1_0:
        case RMTK_DTYPE_TQ2_0:
        case RMTK_DTYPE_IQ4_NL:
        case RMTK_DTYPE_IQ4_XS:
        default:
            return RMTK_ERR_UNSUPPORTED;
        }
        dst[i] = v;
    }
    return RMTK_OK;
}

int rmtk__convert_strided(int dtype, int big_endian, const void *base, int64_t stride, size_t n,
                          double *dst)
{
    if (stride == 1)
        return rmtk_dtype_to_double(dtype, big_endian, base, n, dst);
    size_t sz = rmtk_dtype_size(dtype);
    if (sz == 0)
        return RMTK_ERR_UNSUPPORTED;
    const unsigned char *p = base;
    for (size_t i = 0; i < n; i++) {
        int st = rmtk_dtype_to_double(dtype, big_endian, p + (ptrdiff_t)i * stride * (ptrdiff_t)sz,
                                      1, dst + i);
        if (st)
            return st;
    }
    return RMTK_OK;
}
