/*
 * test-dtype.c: element conversions against independent writers. Every one of the 65 536
 * binary16 and bfloat16 bit patterns must convert exactly to the value numpy (float16) and torch
 * (bfloat16) give, sign of zero included, NaN as NaN; all 256 patterns of both FP8 formats
 * likewise (torch when it has them, else an exact rational decoder: see gen-dtype.py). Then
 * big-endian variants, integer sign extension and the traits table.
 */
#include "harness.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

/* Exact equality: same value and sign of zero, or both NaN. */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void check_all(const char *file, int dtype, size_t count)
{
    size_t n = 0;
    double *want = harness_read_f64(harness_data(file), &n);
    CHECK(want != NULL && n == count);
    if (!want || n != count) {
        free(want);
        return;
    }
    size_t sz = rmtk_dtype_size(dtype);
    unsigned char *le = malloc(count * sz), *be = malloc(count * sz);
    double *got = malloc(count * sizeof *got);
    for (size_t i = 0; i < count; i++)
        for (size_t b = 0; b < sz; b++) {
            le[i * sz + b] = (unsigned char)(i >> (8 * b));
            be[i * sz + (sz - 1 - b)] = (unsigned char)(i >> (8 * b));
        }
    size_t bad = 0, bad_be = 0, first = (size_t)-1;
    CHECK_OK(rmtk_dtype_to_double(dtype, 0, le, count, got));
    for (size_t i = 0; i < count; i++)
        if (!same(got[i], want[i])) {
            if (first == (size_t)-1)
                first = i;
            bad++;
        }
    CHECK_OK(rmtk_dtype_to_double(dtype, 1, be, count, got));
    for (size_t i = 0; i < count; i++)
        bad_be += !same(got[i], want[i]);
    if (bad)
        fprintf(stderr, "%s: %zu mismatches, first pattern 0x%zx\n", file, bad, first);
    CHECK(bad == 0);
    CHECK(bad_be == 0);
    free(le);
    free(be);
    free(got);
    free(want);
}

static void test_f16_all(void)
{
    check_all("f16_all.f64", RMTK_DTYPE_F16, 65536);
}

static void test_bf16_all(void)
{
    check_all("bf16_all.f64", RMTK_DTYPE_BF16, 65536);
}

static void test_fp8_all(void)
{
    check_all("e4m3_all.f64", RMTK_DTYPE_F8_E4M3, 256);
    check_all("e5m2_all.f64", RMTK_DTYPE_F8_E5M2, 256);
    /* spot values from the OCP OFP8 spec: E4M3 max 448 (0x7e), min subnormal 2^-9 (0x01);
     * E5M2 max 57344 (0x7b), +inf 0x7c */
    unsigned char b[4] = {0x7e, 0x01, 0x7f, 0xff};
    double v[4];
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_F8_E4M3, 0, b, 4, v));
    CHECK(v[0] == 448.0 && v[1] == ldexp(1, -9) && isnan(v[2]) && isnan(v[3]));
    unsigned char c[3] = {0x7b, 0x7c, 0xfc};
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_F8_E5M2, 0, c, 3, v));
    CHECK(v[0] == 57344.0 && isinf(v[1]) && v[1] > 0 && isinf(v[2]) && v[2] < 0);
}

static void test_integers(void)
{
    double v[4];
    const unsigned char i8[4] = {0x80, 0xff, 0x00, 0x7f};
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_I8, 0, i8, 4, v));
    CHECK(v[0] == -128 && v[1] == -1 && v[2] == 0 && v[3] == 127);
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_U8, 0, i8, 4, v));
    CHECK(v[0] == 128 && v[1] == 255 && v[2] == 0 && v[3] == 127);
    const unsigned char i16le[4] = {0x00, 0x80, 0xfe, 0xff}; /* -32768, -2 */
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_I16, 0, i16le, 2, v));
    CHECK(v[0] == -32768 && v[1] == -2);
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_U16, 0, i16le, 2, v));
    CHECK(v[0] == 32768 && v[1] == 65534);
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_I16, 1, i16le, 2, v)); /* 0x0080, 0xfeff */
    CHECK(v[0] == 128 && v[1] == -257);
    const unsigned char i32be[8] = {0xff, 0xff, 0xff, 0xfd, 0x7f, 0xff, 0xff, 0xff};
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_I32, 1, i32be, 2, v));
    CHECK(v[0] == -3 && v[1] == 2147483647.0);
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_U32, 1, i32be, 2, v));
    CHECK(v[0] == 4294967293.0 && v[1] == 2147483647.0);
    const unsigned char i64le[16] = {0x01, 0, 0, 0, 0, 0, 0, 0x80, /* INT64_MIN + 1 */
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_I64, 0, i64le, 2, v));
    CHECK(v[0] == -9223372036854775807.0 && v[1] == -1);
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_U64, 0, i64le, 2, v));
    CHECK(v[0] == 9223372036854775809.0 && v[1] == 18446744073709551615.0);
    /* 2^53 + 1 rounds to nearest even: 2^53 */
    const unsigned char big[8] = {0x01, 0, 0, 0, 0, 0, 0x20, 0};
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_I64, 0, big, 1, v));
    CHECK(v[0] == 9007199254740992.0);
}

static void test_floats_be(void)
{
    /* 1.5f = 0x3fc00000, -2.25 (f64) = 0xc002000000000000 */
    const unsigned char f32be[4] = {0x3f, 0xc0, 0x00, 0x00};
    const unsigned char f64be[8] = {0xc0, 0x02, 0, 0, 0, 0, 0, 0};
    const unsigned char f64le[8] = {0, 0, 0, 0, 0, 0, 0x02, 0xc0};
    double v;
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_F32, 1, f32be, 1, &v));
    CHECK(v == 1.5);
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_F64, 1, f64be, 1, &v));
    CHECK(v == -2.25);
    CHECK_OK(rmtk_dtype_to_double(RMTK_DTYPE_F64, 0, f64le, 1, &v));
    CHECK(v == -2.25);
}

static void test_traits(void)
{
    static const struct {
        int dt;
        const char *name;
        size_t size;
        int numeric;
    } t[] = {{RMTK_DTYPE_F64, "F64", 8, 1},       {RMTK_DTYPE_F32, "F32", 4, 1},
             {RMTK_DTYPE_F16, "F16", 2, 1},       {RMTK_DTYPE_BF16, "BF16", 2, 1},
             {RMTK_DTYPE_F8_E4M3, "F8_E4M3", 1, 1}, {RMTK_DTYPE_F8_E5M2, "F8_E5M2", 1, 1},
             {RMTK_DTYPE_I8, "I8", 1, 1},         {RMTK_DTYPE_I16, "I16", 2, 1},
             {RMTK_DTYPE_I32, "I32", 4, 1},       {RMTK_DTYPE_I64, "I64", 8, 1},
             {RMTK_DTYPE_U8, "U8", 1, 1},         {RMTK_DTYPE_U16, "U16", 2, 1},
             {RMTK_DTYPE_U32, "U32", 4, 1},       {RMTK_DTYPE_U64, "U64", 8, 1},
             {RMTK_DTYPE_BOOL, "BOOL", 1, 0},     {RMTK_DTYPE_OTHER, "OTHER", 0, 0}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        CHECK(strcmp(rmtk_dtype_name(t[i].dt), t[i].name) == 0);
        CHECK(rmtk_dtype_size(t[i].dt) == t[i].size);
        CHECK(rmtk_dtype_is_numeric(t[i].dt) == t[i].numeric);
    }
    CHECK(rmtk_dtype_size(99) == 0 && rmtk_dtype_size(-1) == 0);
    CHECK(rmtk_dtype_is_numeric(99) == 0);
    double v;
    unsigned char b = 1;
    CHECK_STATUS(rmtk_dtype_to_double(RMTK_DTYPE_BOOL, 0, &b, 1, &v), RMTK_ERR_UNSUPPORTED);
    CHECK_STATUS(rmtk_dtype_to_double(RMTK_DTYPE_OTHER, 0, &b, 1, &v), RMTK_ERR_UNSUPPORTED);
    CHECK_STATUS(rmtk_dtype_to_double(99, 0, &b, 1, &v), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_dtype_to_double(RMTK_DTYPE_F32, 0, NULL, 1, &v), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_dtype_to_double(RMTK_DTYPE_F32, 0, &b, 1, NULL), RMTK_ERR_ARG);
}

/* rmtk_dtype_eps against the decoders (checked bit for bit against torch above): eps is the gap
 * from 1 to the next representable value, found by decoding every bit pattern; F32/F64 against
 * <float.h>; integers get F64's. */
static void test_eps(void)
{
    static const int small[] = {RMTK_DTYPE_F16, RMTK_DTYPE_BF16, RMTK_DTYPE_F8_E4M3,
                                RMTK_DTYPE_F8_E5M2};
    for (size_t d = 0; d < sizeof small / sizeof small[0]; d++) {
        size_t size = rmtk_dtype_size(small[d]), n = (size_t)1 << (8 * size);
        double next = INFINITY;
        for (size_t b = 0; b < n; b++) {
            unsigned char raw[2] = {(unsigned char)(b & 0xff), (unsigned char)(b >> 8)};
            double x;
            CHECK_OK(rmtk_dtype_to_double(small[d], 0, raw, 1, &x));
            if (x > 1.0 && x < next)
                next = x;
        }
        CHECK(rmtk_dtype_eps(small[d]) == next - 1.0);
    }
    CHECK(rmtk_dtype_eps(RMTK_DTYPE_F16) == 0x1p-10 && rmtk_dtype_eps(RMTK_DTYPE_BF16) == 0x1p-7);
    CHECK(rmtk_dtype_eps(RMTK_DTYPE_F8_E4M3) == 0x1p-3);
    CHECK(rmtk_dtype_eps(RMTK_DTYPE_F8_E5M2) == 0x1p-2);
    CHECK(rmtk_dtype_eps(RMTK_DTYPE_F32) == FLT_EPSILON);
    CHECK(rmtk_dtype_eps(RMTK_DTYPE_F64) == DBL_EPSILON);
    static const int ints[] = {RMTK_DTYPE_I8, RMTK_DTYPE_I16, RMTK_DTYPE_I32, RMTK_DTYPE_I64,
                               RMTK_DTYPE_U8, RMTK_DTYPE_U16, RMTK_DTYPE_U32, RMTK_DTYPE_U64};
    for (size_t d = 0; d < sizeof ints / sizeof ints[0]; d++)
        CHECK(rmtk_dtype_eps(ints[d]) == DBL_EPSILON);
    CHECK(rmtk_dtype_eps(99) == DBL_EPSILON && rmtk_dtype_eps(-1) == DBL_EPSILON);
}

int main(void)
{
    RUN(test_eps);
    RUN(test_f16_all);
    RUN(test_bf16_all);
    RUN(test_fp8_all);
    RUN(test_integers);
    RUN(test_floats_be);
    RUN(test_traits);
    return harness_done();
}
