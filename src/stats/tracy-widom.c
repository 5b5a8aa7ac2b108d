/*
 * tracy-widom.c: the Tracy-Widom distributions TW_1 (real symmetric / real Wishart, beta = 1) and
 * TW_2 (complex Hermitian, beta = 2) computed from Fredholm determinants by Bornemann's Nystrom
 * method, with quantiles by root finding and the mean and standard deviation by quadrature. The
 * mp module uses TW_1 for the p-value of the largest eigenvalues of a real weight matrix
 * (Johnstone's centring and scaling). Nothing is tabulated: every number comes from the
 * determinants.
 *
 *   F_2(s) = det(I - K_Ai) on L^2(s, inf),  K_Ai(x, y) = (Ai(x) Ai'(y) - Ai'(x) Ai(y)) / (x - y),
 *            K_Ai(x, x) = Ai'(x)^2 - x Ai(x)^2;
 *   F_1(s) = det(I - A_s) on L^2(0, inf),  A_s(x, y) = Ai((x + y)/2 + s) / 2.
 * REF: F. Bornemann, "On the numerical evaluation of distributions in random matrix theory",
 * Markov Process. Related Fields 16 (2010) 803, eqs. (3.8) and (3.10) (and Math. Comp. 79 (2010)
 * 871 for the Nystrom method); Ferrari-Spohn (2005) for the F_1 formula.
 *
 * Truncation: Ai(x) < 3e-19 for x >= 16, so the kernels are cut where their argument exceeds 16:
 * F_1 on (0, L) with L = max(16 - s, 2), F_2 on (s, max(16, s + 2)). The Gauss-Legendre order
 * m = 40 + 4 ceil(L) resolves the oscillations of Ai on the negative axis (checked against
 * doubling m in tests). F = 1 for s >= 16 and F = 0 for s <= -16 (F_1(-16) ~ e^{-170}).
 * Accuracy: about 1e-12 absolute in F (so 1 - F is an absolute-accuracy p-value).
 */
#include "internal.h"
#include "tw-internal.h"

#include <math.h>

#define TW_SMAX 16.0
#define TW_SMIN -16.0

typedef struct {
    double s;
} tw_ctx;

static double kernel_tw1(double x, double y, const void *p)
{
    const tw_ctx *c = p;
    double ai, aip;
    rmtk__airy(0.5 * (x + y) + c->s, &ai, &aip);
    return 0.5 * ai;
}

static double kernel_tw2(double x, double y, const void *p)
{
    (void)p;
    double ax, apx, ay, apy;
    rmtk__airy(x, &ax, &apx);
    if (x == y)
        return apx * apx - x * ax * ax;
    rmtk__airy(y, &ay, &apy);
    return (ax * apy - apx * ay) / (x - y);
}

double rmtk__tw_cdf(int beta, double s, int *status)
{
    *status = RMTK_OK;
    if (s >= TW_SMAX)
        return 1.0;
    if (s <= TW_SMIN)
        return 0.0;
    tw_ctx c = {s};
    double det = NAN;
    if (beta == 1) {
        double L = RMTK_MAX(TW_SMAX - s, 2.0);
        size_t m = 40 + 4 * (size_t)ceil(L);
        *status = rmtk_fredholm_det(kernel_tw1, &c, 0.0, L, 1.0, m, &det);
    } else {
        double b = RMTK_MAX(TW_SMAX, s + 2.0);
        size_t m = 40 + 4 * (size_t)ceil(b - s);
        *status = rmtk_fredholm_det(kernel_tw2, &c, s, b, 1.0, m, &det);
    }
    if (*status != RMTK_OK)
        return NAN;
    /* Clamp rounding excursions to the unit interval. */
    return RMTK_MIN(RMTK_MAX(det, 0.0), 1.0);
}

int rmtk_tw_cdf(int beta, double s, double *F)
{
    if (!F || (beta != 1 && beta != 2) || isnan(s))
        return RMTK_ERR_ARG;
    int st;
    double v = rmtk__tw_cdf(beta, s, &st);
    if (st != RMTK_OK)
        return st;
    *F = v;
    return RMTK_OK;
}

/* Quantile: solve F(s) = p by a safeguarded secant (regula falsi, Illinois variant) on the
 * bracket [-10, 14], which holds every p in [1e-12, 1 - 1e-12] for beta = 1, 2 (F_1(-10) < 1e-12,
 * 1 - F_1(14) < 1e-14); stops when the bracket is below 1e-12 or F matches p to 1e-15. */
int rmtk_tw_quantile(int beta, double p, double *s)
{
    if (!s || (beta != 1 && beta != 2) || !(p > 0.0 && p < 1.0))
        return RMTK_ERR_ARG;
    int st;
    double a = -10.0, b = 14.0;
    double fa = rmtk__tw_cdf(beta, a, &st) - p;
    if (st != RMTK_OK)
        return st;
    double fb = rmtk__tw_cdf(beta, b, &st) - p;
    if (st != RMTK_OK)
        return st;
    if (fa > 0.0 || fb < 0.0)
        return RMTK_ERR_NUMERIC; /* p too close to 0 or 1 for double precision */
    int side = 0;
    double x = 0.5 * (a + b);
    for (int it = 0; it < 200 && b - a > 1e-12; it++) {
        x = (a * fb - b * fa) / (fb - fa);
        if (!(x > a && x < b))
            x = 0.5 * (a + b);
        double fx = rmtk__tw_cdf(beta, x, &st) - p;
        if (st != RMTK_OK)
            return st;
        if (fabs(fx) < 1e-15)
            break;
        if (fx < 0.0) {
            a = x;
            fa = fx;
            if (side == -1)
                fb *= 0.5;
            side = -1;
        } else {
            b = x;
            fb = fx;
            if (side == 1)
                fa *= 0.5;
            side = 1;
        }
    }
    *s = x;
    return RMTK_OK;
}

/* Mean and standard deviation from the CDF alone (integration by parts of the density):
 *   E S   = int_0^inf (1 - F) ds - int_-inf^0 F ds,
 *   E S^2 = int_0^inf 2 s (1 - F) ds + int_-inf^0 2 |s| F ds,
 * each integral by Gauss-Legendre on [-12, -4], [-4, 0], [0, 4], [4, 14] with 32 nodes per
 * piece (the tails beyond are below 1e-15: F_1(-12) ~ e^{-72}, 1 - F_1(14) ~ 1e-15). */
int rmtk_tw_moments(int beta, double *mean, double *sd)
{
    if (!mean || !sd || (beta != 1 && beta != 2))
        return RMTK_ERR_ARG;
    static const double cuts[5] = {-12.0, -4.0, 0.0, 4.0, 14.0};
    enum { NQ = 32 };
    double x[NQ], w[NQ], m1 = 0.0, m2 = 0.0;
    for (int piece = 0; piece < 4; piece++) {
        rmtk_gauss_legendre(NQ, cuts[piece], cuts[piece + 1], x, w);
        for (int i = 0; i < NQ; i++) {
            int st;
            double F = rmtk__tw_cdf(beta, x[i], &st);
            if (st != RMTK_OK)
                return st;
            if (x[i] < 0.0) {
                m1 -= w[i] * F;
                m2 += w[i] * 2.0 * (-x[i]) * F;
            } else {
                m1 += w[i] * (1.0 - F);
                m2 += w[i] * 2.0 * x[i] * (1.0 - F);
            }
        }
    }
    double var = m2 - m1 * m1;
    if (!(var > 0.0))
        return RMTK_ERR_NUMERIC;
    *mean = m1;
    *sd = sqrt(var);
    return RMTK_OK;
}

/* Johnstone (2001): for X n x p with i.i.d. N(0, 1) entries, the largest eigenvalue l of X^T X
 * satisfies (l - mu) / sigma -> TW_1 with mu = (sqrt(n-1) + sqrt p)^2 and
 * sigma = (sqrt(n-1) + sqrt p) (1/sqrt(n-1) + 1/sqrt p)^{1/3}. REF: I. M. Johnstone, Ann. Statist.
 * 29 (2001) 295, Theorem 1.1; methods.md 4.9. */
int rmtk_tw_johnstone(double n, double p, double *mu, double *sigma)
{
    if (!mu || !sigma || !(n > 1.0) || !(p > 0.0) || !isfinite(n) || !isfinite(p))
        return RMTK_ERR_ARG;
    double a = sqrt(n - 1.0), b = sqrt(p);
    *mu = (a + b) * (a + b);
    *sigma = (a + b) * cbrt(1.0 / a + 1.0 / b);
    return RMTK_OK;
}
