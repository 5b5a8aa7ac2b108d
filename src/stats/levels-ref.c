/*
 * levels-ref.c: the reference laws of level statistics. Special functions (Si, Ci, digamma,
 * trigamma), the Wigner, Brody and Atas surmises, the exact GOE/GUE spacing law from Fredholm
 * determinants of the sine kernel, and the exact GOE/GUE/Poisson number variance and spectral
 * rigidity. These are what the measured statistics of levels.c are compared with, so each is
 * computed to near double precision and checked against methods.md T2/T3 and scipy.
 */
#include "levels-internal.h"

#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

/* ---- digamma and trigamma ---------------------------------------------------------------- */

/* psi(x) = psi(x + 1) - 1/x until x >= 8, then
 * psi(x) ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k). REF: Abramowitz-Stegun 6.3.5, 6.3.18. */
double rmtk__digamma(double x)
{
    double acc = 0.0;
    while (x < 8.0) {
        acc -= 1.0 / x;
        x += 1.0;
    }
    double z = 1.0 / (x * x);
    double s = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 -
                    z * (1.0 / 132 - z * (691.0 / 32760 - z / 12.0))))));
    return acc + log(x) - 0.5 / x - s;
}

/* psi'(x) = psi'(x + 1) + 1/x^2 until x >= 8, then
 * psi'(x) ~ 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1). REF: Abramowitz-Stegun 6.4.6, 6.4.12. */
double rmtk__trigamma(double x)
{
    double acc = 0.0;
    while (x < 8.0) {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    double z = 1.0 / (x * x);
    double s = z * (1.0 / 6 - z * (1.0 / 30 - z * (1.0 / 42 - z * (1.0 / 30 -
                    z * (5.0 / 66 - z * (691.0 / 2730 - z * 7.0 / 6))))));
    return acc + 1.0 / x + 0.5 * z + s / x;
}

/* ---- sine and cosine integrals ----------------------------------------------------------- */

/* Cin(x) = int_0^x (1 - cos t)/t dt = gamma + ln x - Ci(x), and Si(x), by their power series
 *   Si(x) = sum_k (-1)^k x^(2k+1) / ((2k+1) (2k+1)!),
 *   Cin(x) = sum_k>=1 (-1)^(k+1) x^2k / (2k (2k)!)
 * for 0 <= x <= 4 (largest term < 11: rounding ~1e-15). REF: Abramowitz-Stegun 5.2.14, 5.2.16. */
static void sici_series(double x, double *si, double *cin)
{
    double x2 = x * x, t = x, u = 0.5 * x2, s = 0.0, c = 0.0;
    for (int k = 0; k < 40; k++) {
        s += t / (2.0 * k + 1.0);
        c += u / (2.0 * k + 2.0);
        t *= -x2 / ((2.0 * k + 2.0) * (2.0 * k + 3.0));
        u *= -x2 / ((2.0 * k + 3.0) * (2.0 * k + 4.0));
        if (fabs(t) < 1e-18 * fabs(s) && fabs(u) < 1e-18 * (fabs(c) + 1e-300))
            break;
    }
    *si = s;
    *cin = c;
}

/* For x > 4: E1(ix) = -Ci(x) + i (Si(x) - pi/2) from its continued fraction
 *   E1(z) = e^-z (1/(z+1-) 1^2/(z+3-) 2^2/(z+5-) ...)
 * evaluated by the modified Lentz method. REF: Numerical Recipes 3rd ed. 6.8 (cisi). */
static void sici_cf(double x, double *si, double *ci)
{
    double complex b = 1.0 + I * x, c = 1.0 / 1e-300, d = 1.0 / b, h = d;
    for (int i = 2; i < 200; i++) {
        double a = -(double)(i - 1) * (double)(i - 1);
        b += 2.0;
        d = 1.0 / (a * d + b);
        c = b + a / c;
        double complex del = c * d;
        h *= del;
        if (fabs(creal(del) - 1.0) + fabs(cimag(del)) < 1e-16)
            break;
    }
    h *= cos(x) - I * sin(x);
    *ci = -creal(h);
    *si = 0.5 * RMTK_PI + cimag(h);
}

void rmtk_sici(double x, double *si, double *ci)
{
    double s, c;
    if (isnan(x)) {
        s = c = NAN;
    } else if (x == 0.0) {
        s = 0.0;
        c = -INFINITY;
    } else if (fabs(x) <= 4.0) {
        double cin;
        sici_series(fabs(x), &s, &cin);
        c = x > 0 ? RMTK_EULER_GAMMA + log(x) - cin : NAN;
        s = x > 0 ? s : -s;
    } else if (isinf(x)) {
        s = x > 0 ? 0.5 * RMTK_PI : -0.5 * RMTK_PI;
        c = x > 0 ? 0.0 : NAN;
    } else {
        sici_cf(fabs(x), &s, &c);
        if (x < 0) {
            s = -s;
            c = NAN;
        }
    }
    if (si)
        *si = s;
    if (ci)
        *ci = c;
}

/* Cin(x) = gamma + ln x - Ci(x) for x >= 0, without the cancellation at small x. */
static double cin(double x)
{
    double s, c;
    if (x <= 4.0) {
        sici_series(x, &s, &c);
        return c;
    }
    sici_cf(x, &s, &c);
    return RMTK_EULER_GAMMA + log(x) - c;
}

/* ---- Sigma^2 and Delta_3 references -------------------------------------------------------- */

/* GUE: Sigma_2^2(L) = (1/pi^2)[ln(2 pi L) + gamma + 1 - cos(2 pi L) - Ci(2 pi L)]
 *                     + L [1 - (2/pi) Si(2 pi L)],
 * written with Cin = gamma + ln - Ci so that small L loses nothing. GOE:
 * Sigma_1^2(L) = 2 Sigma_2^2(L) + (Si(pi L)/pi)^2 - Si(pi L)/pi. Poisson: L.
 * REF: methods.md 4.4; Mehta, Random Matrices (3rd ed.) 16.1. */
double rmtk_sigma2_ref(int beta, double L)
{
    if (!(L >= 0.0))
        return NAN;
    if (beta == 0)
        return L;
    if (beta != 1 && beta != 2)
        return NAN;
    if (L == 0.0)
        return 0.0;
    double x = 2.0 * RMTK_PI * L, si2;
    rmtk_sici(x, &si2, NULL);
    double s2 = (cin(x) + 1.0 - cos(x)) / (RMTK_PI * RMTK_PI) + L * (1.0 - 2.0 / RMTK_PI * si2);
    if (beta == 2)
        return s2;
    double si1;
    rmtk_sici(RMTK_PI * L, &si1, NULL);
    si1 /= RMTK_PI;
    return 2.0 * s2 + si1 * si1 - si1;
}

/* Delta_3(L) = (2/L^4) int_0^L (L^3 - 2 L^2 r + r^3) Sigma^2(r) dr, by composite 16-point
 * Gauss-Legendre on panels of length <= 1/4 (the integrand is entire and oscillates with period
 * 1 in r: error ~1e-15). REF: methods.md 4.4; Pandey 1979. */
double rmtk_delta3_ref(int beta, double L)
{
    if (!(L >= 0.0) || (beta != 0 && beta != 1 && beta != 2))
        return NAN;
    if (beta == 0)
        return L / 15.0;
    if (L == 0.0)
        return 0.0;
    enum { Q = 16 };
    double t[Q], w[Q];
    rmtk_gauss_legendre(Q, 0.0, 1.0, t, w);
    size_t panels = (size_t)ceil(L / 0.25);
    if (panels < 1)
        panels = 1;
    double h = L / (double)panels, sum = 0.0;
    for (size_t p = 0; p < panels; p++) {
        double a = (double)p * h, part = 0.0;
        for (int q = 0; q < Q; q++) {
            double r = a + h * t[q];
            part += w[q] * (L * L * L - 2.0 * L * L * r + r * r * r) * rmtk_sigma2_ref(beta, r);
        }
        sum += part * h;
    }
    return 2.0 * sum / (L * L * L * L);
}

double rmtk_delta3_asymptotic(int beta, double L)
{
    if (!(L > 0.0))
        return NAN;
    double lg = log(2.0 * RMTK_PI * L) + RMTK_EULER_GAMMA - 1.25;
    switch (beta) {
    case 0:
        return L / 15.0;
    case 1:
        return (lg - RMTK_PI * RMTK_PI / 8.0) / (RMTK_PI * RMTK_PI);
    case 2:
        return lg / (2.0 * RMTK_PI * RMTK_PI);
    default:
        return NAN;
    }
}

/* ---- surmises ---------------------------------------------------------------------------- */

/* Wigner surmises with unit mean spacing (REF: methods.md 4.3):
 * GOE (pi/2) s e^{-pi s^2/4}; GUE (32/pi^2) s^2 e^{-4 s^2/pi};
 * GSE (2^18/(3^6 pi^3)) s^4 e^{-64 s^2/(9 pi)}; Poisson e^{-s}. */
double rmtk_wigner_surmise_pdf(int beta, double s)
{
    if (isnan(s))
        return NAN;
    if (s < 0.0)
        return (beta == 0 || beta == 1 || beta == 2 || beta == 4) ? 0.0 : NAN;
    const double pi = RMTK_PI;
    switch (beta) {
    case 0:
        return exp(-s);
    case 1:
        return 0.5 * pi * s * exp(-0.25 * pi * s * s);
    case 2:
        return 32.0 / (pi * pi) * s * s * exp(-4.0 * s * s / pi);
    case 4:
        return 262144.0 / (729.0 * pi * pi * pi) * pow(s, 4) * exp(-64.0 * s * s / (9.0 * pi));
    default:
        return NAN;
    }
}

/* CDFs: GOE 1 - e^{-pi s^2/4}; Poisson 1 - e^{-s}; GUE and GSE by integrating x^k e^{-a x^2}:
 * with u = sqrt(a) s, int_0^s x^2 e^{-a x^2} = a^{-3/2} [sqrt(pi)/4 erf(u) - u e^{-u^2}/2],
 * int_0^s x^4 e^{-a x^2} = a^{-5/2} [3 sqrt(pi)/8 erf(u) - (3u/4 + u^3/2) e^{-u^2}]. */
double rmtk_wigner_surmise_cdf(int beta, double s)
{
    if (isnan(s))
        return NAN;
    if (beta != 0 && beta != 1 && beta != 2 && beta != 4)
        return NAN;
    if (s <= 0.0)
        return 0.0;
    const double pi = RMTK_PI;
    switch (beta) {
    case 0:
        return -expm1(-s);
    case 1:
        return -expm1(-0.25 * pi * s * s);
    case 2: {
        double a = 4.0 / pi, u = sqrt(a) * s;
        double i2 = pow(a, -1.5) * (0.25 * sqrt(pi) * erf(u) - 0.5 * u * exp(-u * u));
        return 32.0 / (pi * pi) * i2;
    }
    default: {
        double a = 64.0 / (9.0 * pi), u = sqrt(a) * s;
        double i4 = pow(a, -2.5) * (0.375 * sqrt(pi) * erf(u) -
                                    (0.75 * u + 0.5 * u * u * u) * exp(-u * u));
        return 262144.0 / (729.0 * pi * pi * pi) * i4;
    }
    }
}

/* Brody: c = Gamma((b+2)/(b+1))^(b+1), P = (b+1) c s^b e^{-c s^(b+1)}, F = 1 - e^{-c s^(b+1)}.
 * REF: methods.md 4.3; Brody 1973. */
double rmtk_brody_pdf(double beta, double s)
{
    if (!(beta >= 0.0) || isnan(s))
        return NAN;
    if (s < 0.0)
        return 0.0;
    double a = beta + 1.0, c = exp(a * lgamma(1.0 + 1.0 / a));
    if (s == 0.0)
        return beta == 0.0 ? a * c : 0.0;
    return a * c * pow(s, beta) * exp(-c * pow(s, a));
}

double rmtk_brody_cdf(double beta, double s)
{
    if (!(beta >= 0.0) || isnan(s))
        return NAN;
    if (s <= 0.0)
        return 0.0;
    double a = beta + 1.0, c = exp(a * lgamma(1.0 + 1.0 / a));
    return -expm1(-c * pow(s, a));
}

/* Atas et al. 2013 surmise for r in [0, inf): P_b(r) = (r + r^2)^b / (Z_b (1 + r + r^2)^(1+3b/2)),
 * Z_1 = 8/27, Z_2 = 4 pi/(81 sqrt 3), Z_4 = 4 pi/(729 sqrt 3); r~ = min(r, 1/r) has density
 * 2 P_b(r) on [0, 1] because P_b(1/r)/r^2 = P_b(r). Poisson: 2/(1 + r)^2. REF: methods.md 4.3. */
double rmtk_ratio_surmise_pdf(int beta, double r)
{
    if (isnan(r))
        return NAN;
    double z;
    switch (beta) {
    case 0:
        return (r < 0.0 || r > 1.0) ? 0.0 : 2.0 / ((1.0 + r) * (1.0 + r));
    case 1:
        z = 8.0 / 27.0;
        break;
    case 2:
        z = 4.0 * RMTK_PI / (81.0 * sqrt(3.0));
        break;
    case 4:
        z = 4.0 * RMTK_PI / (729.0 * sqrt(3.0));
        break;
    default:
        return NAN;
    }
    if (r < 0.0 || r > 1.0)
        return 0.0;
    double b = (double)beta;
    return 2.0 * pow(r + r * r, b) / (z * pow(1.0 + r + r * r, 1.0 + 1.5 * b));
}

/* CDF of r~ on [0, 1]: Poisson 2r/(1 + r); otherwise int_0^r 2 P_b by 20-point Gauss-Legendre
 * (the integrand is analytic in a Bernstein ellipse of parameter ~5 around [0, 1]: error far below
 * 1e-15). */
double rmtk_ratio_surmise_cdf(int beta, double r)
{
    if (isnan(r) || (beta != 0 && beta != 1 && beta != 2 && beta != 4))
        return NAN;
    if (r <= 0.0)
        return 0.0;
    if (r >= 1.0)
        return 1.0;
    if (beta == 0)
        return 2.0 * r / (1.0 + r);
    enum { Q = 20 };
    double x[Q], w[Q], s = 0.0;
    rmtk_gauss_legendre(Q, 0.0, r, x, w);
    for (int q = 0; q < Q; q++)
        s += w[q] * rmtk_ratio_surmise_pdf(beta, x[q]);
    return s;
}

/* ---- exact GOE/GUE spacing law ------------------------------------------------------------- */

static double sinc_pi(double x)
{
    double y = RMTK_PI * x;
    if (fabs(y) < 1e-4)
        return 1.0 - y * y / 6.0;
    return sin(y) / y;
}

/* Sine kernel S(x - y) (GUE) and K+(x, y) = S(x - y) + S(x + y) (GOE, even part). */
static double kernel_sine(double x, double y, const void *p)
{
    (void)p;
    return sinc_pi(x - y);
}

static double kernel_plus(double x, double y, const void *p)
{
    (void)p;
    return sinc_pi(x - y) + sinc_pi(x + y);
}

/* E_beta(0; s): GUE det(I - K_sine) on L^2(0, s); GOE det(I - K+) on L^2(0, s/2), by
 * Bornemann's Nystrom method with a 48-node Gauss-Legendre rule, which resolves both to ~1e-15 for
 * s <= 8: det(delta_ij - sqrt(w_i) K(x_i, x_j) sqrt(w_j)) by LU. This is rmtk_fredholm_det
 * specialised to fixed-size stack storage, so that the shared table below is built without
 * allocation and cannot fail. REF: methods.md 4.3; Bornemann, Math. Comp. 79 (2010) 871. */
#define GAP_NODES 48
static double gap_probability(int beta, double s)
{
    enum { M = GAP_NODES };
    double x[M], w[M], A[M * M];
    lapack_int ipiv[M];
    double b = beta == 2 ? s : 0.5 * s;
    if (b <= 0.0)
        return 1.0;
    rmtk_gauss_legendre(M, 0.0, b, x, w);
    for (int i = 0; i < M; i++)
        w[i] = sqrt(w[i]);
    for (int j = 0; j < M; j++)
        for (int i = 0; i < M; i++) {
            double k = beta == 2 ? kernel_sine(x[i], x[j], NULL) : kernel_plus(x[i], x[j], NULL);
            A[i + j * M] = (i == j ? 1.0 : 0.0) - w[i] * k * w[j];
        }
    lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, M, M, A, M, ipiv);
    if (info < 0)
        return NAN;
    double d = 1.0;
    for (int i = 0; i < M; i++) {
        d *= A[i + i * M];
        if (ipiv[i] != i + 1)
            d = -d;
    }
    return d;
}

/* Chebyshev derivative coefficients (Numerical Recipes 5.9, chder), same convention as chebev:
 * f = sum_k c_k T_k(y) - c_0/2 on [0, smax]. */
static void cheb_der(const double *c, double *d, int n, double smax)
{
    d[n - 1] = 0.0;
    d[n - 2] = 2.0 * (n - 1) * c[n - 1];
    for (int j = n - 3; j >= 0; j--)
        d[j] = d[j + 2] + 2.0 * (j + 1) * c[j + 1];
    for (int j = 0; j < n; j++)
        d[j] *= 2.0 / smax;
}

static double cheb_eval(const double *c, int n, double smax, double s)
{
    double y = (2.0 * s - smax) / smax, y2 = 2.0 * y, d = 0.0, dd = 0.0;
    for (int j = n - 1; j >= 1; j--) {
        double sv = d;
        d = y2 * d - dd + c[j];
        dd = sv;
    }
    return y * d - dd + 0.5 * c[0];
}

static void spacing_table_build(rmtk__spacing_table *t, int beta)
{
    enum { N = RMTK__SPACING_NCHEB };
    double f[N];
    t->beta = beta;
    t->smax = 8.0;
    for (int k = 0; k < N; k++)
        f[k] = gap_probability(beta, 0.5 * t->smax * (1.0 + cos(RMTK_PI * (k + 0.5) / N)));
    for (int j = 0; j < N; j++) {
        double sum = 0.0;
        for (int k = 0; k < N; k++)
            sum += f[k] * cos(RMTK_PI * j * (k + 0.5) / N);
        t->c0[j] = 2.0 * sum / N;
    }
    cheb_der(t->c0, t->c1, N, t->smax);
    cheb_der(t->c1, t->c2, N, t->smax);
}

/* The two tables are built once per process (~20 ms each) under pthread_once, then shared
 * read-only by every thread. */
static rmtk__spacing_table spacing_tables[2];
static pthread_once_t spacing_once = PTHREAD_ONCE_INIT;

static void spacing_tables_build(void)
{
    spacing_table_build(&spacing_tables[0], 1);
    spacing_table_build(&spacing_tables[1], 2);
}

const rmtk__spacing_table *rmtk__spacing_table_get(int beta)
{
    if (beta != 1 && beta != 2)
        return NULL;
    pthread_once(&spacing_once, spacing_tables_build);
    return &spacing_tables[beta - 1];
}

void rmtk__spacing_table_eval(const rmtk__spacing_table *t, double s, double *E, double *F,
                              double *p)
{
    double e, f, q;
    if (isnan(s)) {
        e = f = q = NAN;
    } else if (s <= 0.0) {
        e = 1.0;
        f = 0.0;
        q = 0.0;
    } else if (s >= t->smax) {
        e = 0.0;
        f = 1.0;
        q = 0.0;
    } else {
        enum { N = RMTK__SPACING_NCHEB };
        e = cheb_eval(t->c0, N, t->smax, s);
        f = 1.0 + cheb_eval(t->c1, N, t->smax, s);
        q = cheb_eval(t->c2, N, t->smax, s);
        f = f < 0.0 ? 0.0 : (f > 1.0 ? 1.0 : f);
    }
    if (E)
        *E = e;
    if (F)
        *F = f;
    if (p)
        *p = q;
}

double rmtk__spacing_table_cdf(double s, const void *params)
{
    double F;
    rmtk__spacing_table_eval((const rmtk__spacing_table *)params, s, NULL, &F, NULL);
    return F;
}

int rmtk_spacing_exact(int beta, const double *s, size_t n, double *E, double *cdf, double *pdf)
{
    if ((beta != 1 && beta != 2) || (!s && n > 0))
        return RMTK_ERR_ARG;
    const rmtk__spacing_table *t = rmtk__spacing_table_get(beta);
    for (size_t i = 0; i < n; i++)
        rmtk__spacing_table_eval(t, s[i], E ? &E[i] : NULL, cdf ? &cdf[i] : NULL,
                                 pdf ? &pdf[i] : NULL);
    return RMTK_OK;
}
