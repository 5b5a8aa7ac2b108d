/*
 * quant.c: ggml's block-quantised weight formats (the tensor types of GGUF files) and their
 * dequantisation. Each block stores a few scales and packed small integers; a value is a scale
 * times an integer code (minus a minimum for the "_1" and K types). ggml dequantises in float32
 * (dequantize_row_* in ggml-quants.c): to give ggml's values bit for bit, every routine here does
 * the same float operations on the same operands in the same order (no fused multiply-add: the
 * library is built as ISO C11, where GCC does not contract; clang is told below), then widens the
 * float to double exactly. Multi-byte fields are little-endian.
 *
 * Block layouts (byte offsets; "fp16" is IEEE binary16; QK_K = 256):
 *   Q4_0   32 el, 18 B: d fp16 @0, qs[16] @2. Element j < 16 is (qs[j] & 15) - 8, element j + 16
 *          is (qs[j] >> 4) - 8; y = x * d.
 *   Q4_1   32 el, 20 B: d fp16 @0, m fp16 @2, qs[16] @4; x as Q4_0 without the -8; y = x * d + m.
 *   Q5_0   32 el, 22 B: d fp16 @0, qh u32 @2, qs[16] @6; the fifth bit of element j is bit j of
 *          qh; x = (low 4 bits | fifth bit << 4) - 16; y = x * d.
 *   Q5_1   32 el, 24 B: d @0, m @2, qh @4, qs @8; x without the -16; y = x * d + m.
 *   Q8_0   32 el, 34 B: d fp16 @0, int8 qs[32] @2; y = qs[j] * d.
 *   Q2_K  256 el, 84 B: scales[16] @0 (low nibble: scale, high nibble: min, per 16 elements),
 *          qs[64] @16 (2-bit codes), d fp16 @80, dmin fp16 @82.
 *          y = (d * sc) * q - (dmin * m).
 *   Q3_K  256 el, 110 B: hmask[32] @0 (third bit, inverted: set means +0, clear means -4),
 *          qs[64] @32 (low 2 bits), scales[12] @96 (16 6-bit scales, offset 32), d fp16 @108.
 *          y = (d * (sc - 32)) * (q - (h ? 0 : 4)).
 *   Q4_K  256 el, 144 B: d fp16 @0, dmin fp16 @2, scales[12] @4 (8 6-bit scales and 8 6-bit
 *          mins, packed as get_scale_min_k4 below), qs[128] @16.
 *          y = (d * sc) * q - (dmin * m), per 32 elements.
 *   Q5_K  256 el, 176 B: d @0, dmin @2, scales[12] @4, qh[32] @16 (fifth bits), qs[128] @48.
 *   Q6_K  256 el, 210 B: ql[128] @0 (low 4 bits), qh[64] @128 (high 2 bits), int8 scales[16]
 *          @192, d fp16 @208. y = (d * sc) * (q - 32), per 16 elements.
 *   Q8_K  256 el, 292 B: d float32 @0, int8 qs[256] @4, int16 bsums[16] @260 (not needed).
 *   MXFP4  32 el, 17 B: e u8 @0 (E8M0 exponent; ggml stores half the scale, 2^(e - 128)),
 *          qs[16] @1, 4-bit E2M1 codes (doubled: 0 1 2 3 4 6 8 12 and negatives); y = v * d.
 *   TQ1_0 256 el, 54 B: qs[48] @0 (5 ternary digits a byte, as the fraction b / 243: digit n of
 *          byte b is the top base-3 digit of b * 3^n mod 256, i.e. ((b * 3^n mod 256) * 3) >> 8),
 *          qh[4] @48 (4 digits a byte, the same way), d fp16 @52. Element order: bytes 0..31
 *          digit 0, ..., digit 4 (160), bytes 32..47 digits 0..4 (80), qh digits 0..3 (16).
 *          y = (t - 1) * d.
 *   TQ2_0 256 el, 66 B: qs[64] @0 (2-bit codes t; bytes j..j+31 give 128 elements, bits 0-1 of
 *          each then 2-3, 4-5, 6-7), d fp16 @64. y = (t - 1) * d.
 *   IQ4_NL 32 el, 18 B: d fp16 @0, qs[16] @2 (nibbles as Q4_0) indexing the grid
 *          {-127 -104 -83 -65 -49 -35 -22 -10 1 13 25 38 53 69 89 113}; y = d * grid[q].
 *   IQ4_XS 256 el, 136 B: d fp16 @0, scales_h u16 @2 (high 2 bits of 8 scales), scales_l[4] @4
 *          (low nibbles), qs[128] @8 (32 elements per 16 bytes as IQ4_NL);
 *          y = (d * (ls - 32)) * grid[q].
 * REF: ggml (github.com/ggml-org/ggml, ggml/src/ggml-common.h block_* structs and
 * ggml/src/ggml-quants.c dequantize_row_*), llama.cpp 2025; TQ1_0/TQ2_0: compilade, llama.cpp
 * PR 8151 (2024, ternary types for BitNet b1.58 / TriLMs); OCP Microscaling Formats (MX)
 * Specification v1.0, 2023 (MXFP4).
 */
#include "quant.h"

#include "internal.h"

#include <string.h>

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define QK_K 256

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* binary16 -> float, exact (every half is a float): sign, re-biased exponent (15 -> 127),
 * fraction shifted up by 13 bits; subnormals m * 2^-24; 31 maps to the float infinities/NaNs. */
static float fp16(const unsigned char *p)
{
    uint16_t h = rd16(p);
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
    float f;
    if (e == 0) {
        f = (float)m * 0x1p-24f;
        return (h >> 15) ? -f : f;
    }
    bits = s | ((e == 31 ? 255u : e - 15 + 127) << 23) | (m << 13);
    memcpy(&f, &bits, 4);
    return f;
}

static void deq_q4_0(const unsigned char *b, double *y)
{
    const float d = fp16(b);
    const unsigned char *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        const int lo = (qs[j] & 0x0f) - 8, hi = (qs[j] >> 4) - 8;
        const float v0 = lo * d, v1 = hi * d;
        y[j] = v0;
        y[j + 16] = v1;
    }
}

static void deq_q4_1(const unsigned char *b, double *y)
{
    const float d = fp16(b), m = fp16(b + 2);
    const unsigned char *qs = b + 4;
    for (int j = 0; j < 16; j++) {
        const int lo = qs[j] & 0x0f, hi = qs[j] >> 4;
        const float v0 = lo * d + m, v1 = hi * d + m;
        y[j] = v0;
        y[j + 16] = v1;
    }
}

static void deq_q5(const unsigned char *b, double *y, int has_min)
{
    const float d = fp16(b), m = has_min ? fp16(b + 2) : 0.0f;
    const unsigned char *hb = b + (has_min ? 4 : 2), *qs = hb + 4;
    const uint32_t qh = rd32(hb);
    const int off = has_min ? 0 : 16;
    for (int j = 0; j < 16; j++) {
        /* the fifth bit of element j is bit j of qh, of element j + 16 bit j + 16 */
        const int h0 = (int)((qh >> j) & 1u) << 4, h1 = (int)((qh >> (j + 16)) & 1u) << 4;
        const int x0 = ((qs[j] & 0x0f) | h0) - off, x1 = ((qs[j] >> 4) | h1) - off;
        float v0, v1;
        if (has_min) {
            v0 = x0 * d + m;
            v1 = x1 * d + m;
        } else {
            v0 = x0 * d;
            v1 = x1 * d;
        }
        y[j] = v0;
        y[j + 16] = v1;
    }
}

static void deq_q8_0(const unsigned char *b, double *y)
{
    const float d = fp16(b);
    for (int j = 0; j < 32; j++) {
        const float v = (int8_t)b[2 + j] * d;
        y[j] = v;
    }
}

static void deq_q2_k(const unsigned char *b, double *y)
{
    const unsigned char *scales = b, *q = b + 16;
    const float d = fp16(b + 80), dmin = fp16(b + 82);
    int is = 0;
    for (int n = 0; n < QK_K; n += 128) {
        /* 128 elements from 32 bytes: four passes over the bytes taking bits 0-1, 2-3, 4-5, 6-7,
         * each pass two groups of 16 elements with their own scale and min */
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half = 0; half < 2; half++) {
                const unsigned sc = scales[is++];
                const float dl = d * (float)(sc & 0x0f), ml = dmin * (float)(sc >> 4);
                for (int l = 0; l < 16; l++) {
                    const float v = dl * (float)((q[l + 16 * half] >> shift) & 3) - ml;
                    *y++ = v;
                }
            }
        }
        q += 32;
    }
}

static void deq_q3_k(const unsigned char *b, double *y)
{
    const unsigned char *hm = b, *q = b + 32, *s = b + 96;
    const float d = fp16(b + 108);
    /* 16 6-bit scales: low 4 bits of scale k (k < 8) in the low nibble of s[k], of scale k + 8 in
     * the high nibble of s[k]; the top 2 bits of scale k in bits 2(k/4)..2(k/4)+1 of s[8 + k%4] */
    int sc[16];
    for (int k = 0; k < 16; k++) {
        const int low = k < 8 ? (s[k] & 0x0f) : (s[k - 8] >> 4);
        const int high = (s[8 + k % 4] >> (2 * (k / 4))) & 3;
        sc[k] = (low | (high << 4)) - 32;
    }
    int is = 0;
    unsigned mbit = 1;
    for (int n = 0; n < QK_K; n += 128) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half = 0; half < 2; half++) {
                const float dl = d * (float)sc[is++];
                for (int l = 0; l < 16; l++) {
                    const int k = l + 16 * half;
                    const int x = ((q[k] >> shift) & 3) - ((hm[k] & mbit) ? 0 : 4);
                    const float v = dl * (float)x;
                    *y++ = v;
                }
            }
            mbit <<= 1;
        }
        q += 32;
    }
}

/* Scale and min j (0..7) of the 12-byte Q4_K / Q5_K scale field: j < 4 in the low 6 bits of
 * s[j] and s[j + 4]; j >= 4 low nibbles in s[j + 4], top 2 bits in the top of s[j - 4] / s[j]. */
static void scale_min_k4(int j, const unsigned char *s, int *sc, int *mn)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
        *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

static void deq_q45_k(const unsigned char *b, double *y, int five)
{
    const float d = fp16(b), dmin = fp16(b + 2);
    const unsigned char *s = b + 4, *qh = b + 16, *ql = five ? b + 48 : b + 16;
    unsigned u1 = 1, u2 = 2;
    for (int j = 0, is = 0; j < QK_K; j += 64, is += 2) {
        int sc, mn;
        scale_min_k4(is, s, &sc, &mn);
        const float d1 = d * (float)sc, m1 = dmin * (float)mn;
        scale_min_k4(is + 1, s, &sc, &mn);
        const float d2 = d * (float)sc, m2 = dmin * (float)mn;
        for (int l = 0; l < 32; l++) {
            const int x = (ql[l] & 0x0f) + (five && (qh[l] & u1) ? 16 : 0);
            const float v = d1 * (float)x - m1;
            *y++ = v;
        }
        for (int l = 0; l < 32; l++) {
            const int x = (ql[l] >> 4) + (five && (qh[l] & u2) ? 16 : 0);
            const float v = d2 * (float)x - m2;
            *y++ = v;
        }
        ql += 32;
        u1 <<= 2;
        u2 <<= 2;
    }
}

static void deq_q6_k(const unsigned char *b, double *y)
{
    const unsigned char *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(const void *)(b + 192);
    const float d = fp16(b + 208);
    for (int n = 0; n < QK_K; n += 128) {
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            const float v1 = d * (float)sc[is] * (float)q1, v2 = d * (float)sc[is + 2] * (float)q2;
            const float v3 = d * (float)sc[is + 4] * (float)q3;
            const float v4 = d * (float)sc[is + 6] * (float)q4;
            y[l] = v1;
            y[l + 32] = v2;
            y[l + 64] = v3;
            y[l + 96] = v4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

static void deq_q8_k(const unsigned char *b, double *y)
{
    uint32_t u = rd32(b);
    float d;
    memcpy(&d, &u, 4);
    for (int j = 0; j < QK_K; j++) {
        const float v = d * (float)(int8_t)b[4 + j];
        y[j] = v;
    }
}

/* E2M1 code -> twice its value (ggml's kvalues_mxfp4; the scale below is halved to match). */
static const int8_t mxfp4_values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

static void deq_mxfp4(const unsigned char *b, double *y)
{
    /* d = 2^(e - 127) / 2 as a float: e >= 2 a normal float with exponent field e - 1; e = 1
     * gives 2^-127 and e = 0 gives 2^-128, subnormals with one fraction bit set */
    const unsigned e = b[0];
    uint32_t bits = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float d;
    memcpy(&d, &bits, 4);
    for (int j = 0; j < 16; j++) {
        const float v0 = (float)mxfp4_values[b[1 + j] & 0x0f] * d;
        const float v1 = (float)mxfp4_values[b[1 + j] >> 4] * d;
        y[j] = v0;
        y[j + 16] = v1;
    }
}

/* Ternary digit n of b (b read as the base-3 fraction b / 243): ggml's multiply-shift. */
static int trit(unsigned b, unsigned pow3)
{
    const unsigned q = (b * pow3) & 0xff;
    return (int)((q * 3) >> 8);
}

static void deq_tq1_0(const unsigned char *b, double *y)
{
    static const unsigned pow3[5] = {1, 3, 9, 27, 81};
    const unsigned char *qs = b, *qh = b + 48;
    const float d = fp16(b + 52);
    for (int n = 0; n < 5; n++)
        for (int m = 0; m < 32; m++) {
            const float v = (float)(trit(qs[m], pow3[n]) - 1) * d;
            *y++ = v;
        }
    for (int n = 0; n < 5; n++)
        for (int m = 0; m < 16; m++) {
            const float v = (float)(trit(qs[32 + m], pow3[n]) - 1) * d;
            *y++ = v;
        }
    for (int n = 0; n < 4; n++)
        for (int j = 0; j < 4; j++) {
            const float v = (float)(trit(qh[j], pow3[n]) - 1) * d;
            *y++ = v;
        }
}

static void deq_tq2_0(const unsigned char *b, double *y)
{
    const float d = fp16(b + 64);
    for (int j = 0; j < 64; j += 32)
        for (int l = 0; l < 4; l++)
            for (int m = 0; m < 32; m++) {
                const float v = (float)(((b[j + m] >> (2 * l)) & 3) - 1) * d;
                *y++ = v;
            }
}

/* The 16 non-linear levels of IQ4_NL / IQ4_XS (ggml-common.h kvalues_iq4nl). */
static const int8_t iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                        1,    13,   25,  38,  53,  69,  89,  113};

static void deq_iq4_nl(const unsigned char *b, double *y)
{
    const float d = fp16(b);
    for (int j = 0; j < 16; j++) {
        const float v0 = d * (float)iq4nl_values[b[2 + j] & 0x0f];
        const float v1 = d * (float)iq4nl_values[b[2 + j] >> 4];
        y[j] = v0;
        y[j + 16] = v1;
    }
}

static void deq_iq4_xs(const unsigned char *b, double *y)
{
    const float d = fp16(b);
    const unsigned sh = rd16(b + 2);
    const unsigned char *sl = b + 4, *qs = b + 8;
    for (int ib = 0; ib < 8; ib++) {
        const int ls = ((sl[ib / 2] >> (4 * (ib % 2))) & 0x0f) | (int)(((sh >> (2 * ib)) & 3) << 4);
        const float dl = d * (float)(ls - 32);
        for (int j = 0; j < 16; j++) {
            const float v0 = dl * (float)iq4nl_values[qs[j] & 0x0f];
            const float v1 = dl * (float)iq4nl_values[qs[j] >> 4];
            y[j] = v0;
            y[j + 16] = v1;
        }
        y += 32;
        qs += 16;
    }
}

static const struct {
    int dtype;
    size_t elems, bytes;
    int bits; /* resolution 2^-(bits - 1); ternary codes: 1 (one step is the whole scale) */
} blocks[] = {
    {RMTK_DTYPE_Q4_0, 32, 18, 4},   {RMTK_DTYPE_Q4_1, 32, 20, 4},   {RMTK_DTYPE_Q5_0, 32, 22, 5},
    {RMTK_DTYPE_Q5_1, 32, 24, 5},   {RMTK_DTYPE_Q8_0, 32, 34, 8},   {RMTK_DTYPE_Q2_K, 256, 84, 2},
    {RMTK_DTYPE_Q3_K, 256, 110, 3}, {RMTK_DTYPE_Q4_K, 256, 144, 4}, {RMTK_DTYPE_Q5_K, 256, 176, 5},
    {RMTK_DTYPE_Q6_K, 256, 210, 6}, {RMTK_DTYPE_Q8_K, 256, 292, 8}, {RMTK_DTYPE_MXFP4, 32, 17, 2},
    {RMTK_DTYPE_TQ1_0, 256, 54, 1}, {RMTK_DTYPE_TQ2_0, 256, 66, 1}, {RMTK_DTYPE_IQ4_NL, 32, 18, 4},
    {RMTK_DTYPE_IQ4_XS, 256, 136, 4},
};

int rmtk__quant_block(int dtype, size_t *elems, size_t *bytes)
{
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (blocks[i].dtype == dtype) {
            *elems = blocks[i].elems;
            *bytes = blocks[i].bytes;
            return 1;
        }
    return 0;
}

double rmtk__quant_resolution(int dtype)
{
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (blocks[i].dtype == dtype)
            return 1.0 / (double)(1u << (blocks[i].bits - 1));
    return 0.0;
}

int rmtk__quant_to_double(int dtype, const unsigned char *src, size_t nblocks, double *dst)
{
    size_t el, by;
    if (!rmtk__quant_block(dtype, &el, &by))
        return RMTK_ERR_UNSUPPORTED;
    for (size_t i = 0; i < nblocks; i++) {
        const unsigned char *b = src + i * by;
        double *y = dst + i * el;
        switch (dtype) {
        case RMTK_DTYPE_Q4_0:
            deq_q4_0(b, y);
            break;
        case RMTK_DTYPE_Q4_1:
            deq_q4_1(b, y);
            break;
        case RMTK_DTYPE_Q5_0:
            deq_q5(b, y, 0);
            break;
        case RMTK_DTYPE_Q5_1:
            deq_q5(b, y, 1);
            break;
        case RMTK_DTYPE_Q8_0:
            deq_q8_0(b, y);
            break;
        case RMTK_DTYPE_Q2_K:
            deq_q2_k(b, y);
            break;
        case RMTK_DTYPE_Q3_K:
            deq_q3_k(b, y);
            break;
        case RMTK_DTYPE_Q4_K:
            deq_q45_k(b, y, 0);
            break;
        case RMTK_DTYPE_Q5_K:
            deq_q45_k(b, y, 1);
            break;
        case RMTK_DTYPE_Q6_K:
            deq_q6_k(b, y);
            break;
        case RMTK_DTYPE_Q8_K:
            deq_q8_k(b, y);
            break;
        case RMTK_DTYPE_TQ1_0:
            deq_tq1_0(b, y);
            break;
        case RMTK_DTYPE_TQ2_0:
            deq_tq2_0(b, y);
            break;
        case RMTK_DTYPE_IQ4_NL:
            deq_iq4_nl(b, y);
            break;
        case RMTK_DTYPE_IQ4_XS:
            deq_iq4_xs(b, y);
            break;
        default:
            deq_mxfp4(b, y);
            break;
        }
    }
    return RMTK_OK;
}
