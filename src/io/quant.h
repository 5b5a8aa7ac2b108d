/*
 * quant.h: ggml's block-quantised formats (quant.c), private to the library. dtype.c dispatches
 * rmtk_dtype_to_double to rmtk__quant_to_double for the RMTK_DTYPE_Q* / MXFP4 values.
 */
#ifndef RMTK_QUANT_H
#define RMTK_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* 1 when dtype is one of rmtk's block-quantised dtypes; then *elems / *bytes describe a block. */
int rmtk__quant_block(int dtype, size_t *elems, size_t *bytes);

/* Dequantise nblocks whole blocks at src into dst (nblocks * elems doubles), bit for bit the
 * float32 values of ggml's dequantize_row_* widened to double. Returns RMTK_ERR_UNSUPPORTED for
 * a dtype that is not block-quantised. */
int rmtk__quant_to_double(int dtype, const unsigned char *src, size_t nblocks, double *dst);

/* The effective relative resolution of a quantised dtype: one quantisation step relative to the
 * largest magnitude its block (or sub-block) scale covers, 2^-(bits - 1) for a b-bit symmetric
 * code (Q8_0: 2^-7, Q4_0: 2^-3, Q4_K: 2^-3, Q2_K: 2^-1; MXFP4: 2^-1, its E2M1 values have one
 * mantissa bit; TQ1_0, TQ2_0: 1, a ternary code's step is its whole scale). Values below it
 * relative to a block's largest entry are quantisation noise:
 * the rank and noise rule should use this instead of the float eps for these matrices.
 * 0 for a dtype that is not block-quantised. */
double rmtk__quant_resolution(int dtype);

#endif /* RMTK_QUANT_H */
