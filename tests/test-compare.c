/*
 * test-compare.c: the comparison routines of src/analysis/compare.c against exact geometry:
 * principal angles of subspaces built with known angles (tiny ones through the sine branch,
 * large ones, bases of different sizes, invariance under a change of basis), the overlap of a
 * vector with a subspace, and the delta rank tolerance against its formula. rmtk compare as a
 * whole is tested against numpy and scipy in tests/test_compare.py.
 */
#include "harness.h"

enum { N = 7 };

/* Column j of a vector-major n x k basis. */
static double *col(double *a, int j)
{
    return a + (size_t)j * N;
}

static void test_angles_exact(void)
{
    /* A = [e0, e1]; B = [cos a e0 + sin a e2, cos b e1 + sin b e3]: angles a and b. */
    const double cases[][2] = {{0.3, 1.2}, {1e-9, 0.7}, {1.4, 3e-12}, {0.0, 0.0},
                               {1.5707963267948966, 0.25}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double A[2 * N] = {0}, B[2 * N] = {0}, th[2];
        double a = cases[c][0], b = cases[c][1];
        col(A, 0)[0] = 1, col(A, 1)[1] = 1;
        col(B, 0)[0] = cos(a), col(B, 0)[2] = sin(a);
        col(B, 1)[1] = cos(b), col(B, 1)[3] = sin(b);
        CHECK_OK(rmtk_principal_angles(A, N, 2, B, 2, th));
        double lo = a < b ? a : b, hi = a < b ? b : a;
        /* the sine branch keeps tiny angles to relative accuracy (acos would give ~1e-8) */
        CHECK_NEAR(th[0], lo, 1e-15 + 1e-12 * lo);
        CHECK_NEAR(th[1], hi, 1e-15 + 1e-12 * hi);
        /* symmetric in its arguments */
        double th2[2];
        CHECK_OK(rmtk_principal_angles(B, N, 2, A, 2, th2));
        CHECK_NEAR(th2[0], th[0], 1e-15 + 1e-12 * th[0]);
        CHECK_NEAR(th2[1], th[1], 1e-15 + 1e-12 * th[1]);
    }
}

static void test_angles_basis_and_sizes(void)
{
    /* a change of basis of B (a rotation by 0.9 within its span) changes no angle */
    double A[2 * N] = {0}, B[2 * N] = {0}, R[2 * N] = {0}, th[2], thr[2];
    double a = 0.2, b = 0.6, r = 0.9;
    col(A, 0)[0] = 1, col(A, 1)[1] = 1;
    col(B, 0)[0] = cos(a), col(B, 0)[2] = sin(a);
    col(B, 1)[1] = cos(b), col(B, 1)[3] = sin(b);
    for (int i = 0; i < N; i++) {
        col(R, 0)[i] = cos(r) * col(B, 0)[i] + sin(r) * col(B, 1)[i];
        col(R, 1)[i] = -sin(r) * col(B, 0)[i] + cos(r) * col(B, 1)[i];
    }
    CHECK_OK(rmtk_principal_angles(A, N, 2, B, 2, th));
    CHECK_OK(rmtk_principal_angles(A, N, 2, R, 2, thr));
    CHECK_NEAR(thr[0], th[0], 1e-14);
    CHECK_NEAR(thr[1], th[1], 1e-14);
    /* ka != kb: A = [e0, e1, e2], b = cos t e0 + sin t e5: one angle, t; either order */
    double A3[3 * N] = {0}, b1[N] = {0}, t = 0.45, one;
    col(A3, 0)[0] = col(A3, 1)[1] = col(A3, 2)[2] = 1;
    b1[0] = cos(t), b1[5] = sin(t);
    CHECK_OK(rmtk_principal_angles(A3, N, 3, b1, 1, &one));
    CHECK_NEAR(one, t, 1e-14);
    CHECK_OK(rmtk_principal_angles(b1, N, 1, A3, 3, &one));
    CHECK_NEAR(one, t, 1e-14);
    /* errors and the allocation failure */
    CHECK_STATUS(rmtk_principal_angles(NULL, N, 1, b1, 1, &one), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_principal_angles(A3, N, 0, b1, 1, &one), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_principal_angles(A3, 2, 3, b1, 1, &one), RMTK_ERR_ARG);
    rmtk_alloc_fail_after(1);
    CHECK_STATUS(rmtk_principal_angles(A3, N, 3, b1, 1, &one), RMTK_ERR_NOMEM);
    rmtk_alloc_fail_after(0);
}

static void test_overlap(void)
{
    /* span(e0, e1) and b = cos a e0 + sin a e3 (overlap cos^2 a), c = e1 (1), d = e6 (0) */
    double A[2 * N] = {0}, B[3 * N] = {0}, ov[3], a = 0.8;
    col(A, 0)[0] = 1, col(A, 1)[1] = 1;
    col(B, 0)[0] = cos(a), col(B, 0)[3] = sin(a);
    col(B, 1)[1] = 1;
    col(B, 2)[6] = 1;
    CHECK_OK(rmtk_subspace_overlap(A, N, 2, B, 3, ov));
    CHECK_NEAR(ov[0], cos(a) * cos(a), 1e-15);
    CHECK_NEAR(ov[1], 1.0, 1e-15);
    CHECK_NEAR(ov[2], 0.0, 1e-15);
    CHECK_STATUS(rmtk_subspace_overlap(A, N, 0, B, 3, ov), RMTK_ERR_ARG);
}

static void test_delta_tol(void)
{
    /* tol = sd_1 max(N, M) eps64 + eps/sqrt3 (||Wb||_F + ||Wt||_F)/sqrt(NM) (sqrt N + sqrt M) */
    double sd[3] = {2.0, 1.0, 0.5}, eps = 0x1p-7;
    double want = 2.0 * 100 * 0x1p-52 + eps / sqrt(3.0) * (3.0 + 5.0) / sqrt(100.0 * 40.0) *
                                            (sqrt(100.0) + sqrt(40.0));
    CHECK_REL(rmtk_delta_rank_tol(sd, 3, 100, 40, 3.0, 5.0, eps), want, 1e-14);
    /* a zero delta: only the storage term */
    double z[3] = {0, 0, 0};
    CHECK_REL(rmtk_delta_rank_tol(z, 3, 100, 40, 3.0, 5.0, eps), want - 2.0 * 100 * 0x1p-52,
              1e-14);
    CHECK(rmtk_delta_rank_tol(NULL, 3, 100, 40, 3.0, 5.0, eps) == 0.0);
}

int main(void)
{
    RUN(test_angles_exact);
    RUN(test_angles_basis_and_sizes);
    RUN(test_overlap);
    RUN(test_delta_tol);
    return harness_done();
}
