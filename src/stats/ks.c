/*
 * ks.c: the null distribution of the two-sided one-sample Kolmogorov-Smirnov statistic D_n,
 * P(D_n >= d), computed as a survival function with relative accuracy from p ~ 1 down to the
 * smallest normal double, and Kolmogorov's limiting law. The regions and methods follow
 * Simard & L'Ecuyer (2011), as scipy.stats.kstwo does, except that the far tail is a
 * positive sum evaluated in log space, so nothing is computed as 1 - CDF once p is small.
 *
 * REF: R. Simard, P. L'Ecuyer, "Computing the two-sided Kolmogorov-Smirnov distribution",
 *      J. Stat. Softw. 39(11), 2011.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

double rmtk_kolmogorov_sf(double lambda)
{
    if (lambda <= 0.0)
        return 1.0;
    if (lambda < 0.2) {
        /* Q is 1 to double precision here (the alternating series converges slowly). */
        return 1.0;
    }
    double sum = 0.0;
    for (int j = 1; j <= 100; j++) {
        double t = exp(-2.0 * j * j * lambda * lambda);
        sum += (j % 2 ? t : -t);
        if (t < 1e-17)
            break;
    }
    double q = 2.0 * sum;
    return q < 0 ? 0 : (q > 1 ? 1 : q);
}

/*
 * Exact P(D_n < d) by Marsaglia, Tsang & Wang, "Evaluating Kolmogorov's distribution",
 * J. Stat. Softw. 8(18), 2003: with k = floor(n d) + 1, m = 2k - 1, h = k - n d, the m x m matrix
 * H_ij = 1/(i-j+1)! for i-j+1 >= 0 (0 otherwise), corrected in its first column and last row by
 * powers of h, gives P = n!/n^n (H^n)_{kk}. Powers are taken by squaring with a decimal exponent
 * kept aside to avoid overflow. Used for n <= KS_SMALL_N and n d^2 < KS_TAIL_ND2 only, where
 * m <= KS_MTW_MAXM and the result agrees with Pomeranz's recursion (scipy) to 3e-13.
 */
#define KS_SMALL_N 140
#define KS_TAIL_ND2 2.2
#define KS_MTW_MAXM 37

static void mat_mul(const double *x, const double *y, double *z, int m)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            double s = 0;
            for (int k = 0; k < m; k++)
                s += x[i * m + k] * y[k * m + j];
            z[i * m + j] = s;
        }
}

/* out = h^e / 10^(*ev); t1, t2 are m x m scratch. */
static void mat_pow(const double *h, int m, size_t e, double *out, int *ev, double *t1, double *t2)
{
    if (e == 1) {
        memcpy(out, h, sizeof(double) * (size_t)m * m);
        *ev = 0;
        return;
    }
    int eh;
    mat_pow(h, m, e / 2, t1, &eh, out, t2);
    mat_mul(t1, t1, out, m);
    int eo = 2 * eh;
    if (e % 2 == 1) {
        memcpy(t1, out, sizeof(double) * (size_t)m * m);
        mat_mul(h, t1, out, m);
    }
    if (out[(m / 2) * m + m / 2] > 1e140) {
        for (int i = 0; i < m * m; i++)
            out[i] *= 1e-140;
        eo += 140;
    }
    *ev = eo;
}

/* P(D_n < d) by MTW; *ok = false when m exceeds the stack workspace (never in rmtk_ks_pvalue's
 * region). */
static double ks_cdf_mtw(size_t n, double d, bool *ok)
{
    int k = (int)((double)n * d) + 1, m = 2 * k - 1;
    *ok = m <= KS_MTW_MAXM;
    if (!*ok)
        return NAN;
    double h = k - (double)n * d;
    double buf[4 * KS_MTW_MAXM * KS_MTW_MAXM];
    size_t mm = (size_t)m * m;
    memset(buf, 0, 4 * mm * sizeof *buf);
    double *H = buf, *Q = buf + mm, *t1 = buf + 2 * mm, *t2 = buf + 3 * mm;
    for (int i = 0; i < m; i++)
        for (int j = 0; j <= i + 1 && j < m; j++)
            H[i * m + j] = 1.0;
    for (int i = 0; i < m; i++) {
        H[i * m] -= pow(h, i + 1);
        H[(m - 1) * m + i] -= pow(h, m - i);
    }
    H[(m - 1) * m] += (2 * h - 1 > 0 ? pow(2 * h - 1, m) : 0);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            if (i - j + 1 > 0)
                for (int g = 1; g <= i - j + 1; g++)
                    H[i * m + j] /= g;
    int eq;
    mat_pow(H, m, n, Q, &eq, t1, t2);
    double s = Q[(k - 1) * m + k - 1];
    for (size_t i = 1; i <= n; i++) {
        s = s * (double)i / (double)n;
        if (s < 1e-140) {
            s *= 1e140;
            eq -= 140;
        }
    }
    return s * pow(10.0, eq);
}

/*
 * P(D_n < d) by the Pelz-Good (1976) expansion of the Li-Chien/Korolyuk asymptotic series
 * P(D_n < d) ~ K0(z) + K1(z)/sqrt n + K2(z)/n + K3(z)/n^{3/2}, z = sqrt(n) d, with each K_i
 * rewritten by the Jacobi theta transformation into sums over q = exp(-pi^2 / (8 z^2)) that
 * converge fast for small z (the form of Simard & L'Ecuyer 2011, Sec. 2.3; scipy's
 * _kolmogn_PelzGood). Used for n > KS_SMALL_N and n d^2 < KS_TAIL_ND2, where its absolute error
 * against the exact MTW value is <= 3.1e-6 at n = 141 and falls like n^-2 (4.7e-7 relative on
 * the survival function at n = 1000), i.e. <= 2.5e-5 relative on P(D_n >= d) >= 0.02.
 * REF: W. Pelz, I. J. Good, J. R. Stat. Soc. B 38(2), 152-156, 1976.
 */
static double ks_cdf_pelz_good(size_t n, double d)
{
    const double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    const double sqrt2pi = sqrt(2.0 * M_PI);
    double z = sqrt((double)n) * d;
    double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4;
    double qlog = -pi2 / 8.0 / z2;
    if (qlog < -708.0)
        return 0.0; /* z < 0.0417: every term underflows */
    double q = exp(qlog);
    double k1a = -z2, k1b = pi2 / 4;
    double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
    double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
    double k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * z8;
    double K[4] = {0, 0, 0, 0};
    int maxk = (int)ceil(16 * z / M_PI);
    /* Horner in q over odd m = 2k - 1: sum_k c_k q^{m^2}, consecutive exponents differ by 8(k-1). */
    for (int k = maxk; k >= 1; k--) {
        double m = 2.0 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
        double qp = pow(q, 8.0 * k);
        double c[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                       k3a + k3b * m2 + k3c * m4 + k3d * m6};
        for (int i = 0; i < 4; i++)
            K[i] = K[i] * qp + c[i];
    }
    double div[4] = {z, 6 * z4, 72 * z4 * z3, 6480 * z4 * z6};
    for (int i = 0; i < 4; i++)
        K[i] *= q * sqrt2pi / div[i];
    /* The terms over all integers k in K2 and K3: pi^2 k^2 q2^{k^2} and
     * (3 z^2 - pi^2 k^2) pi^2 k^2 q2^{k^2} with q2 = exp(-pi^2 / (2 z^2)). */
    double q2 = exp(-pi2 / 2 / z2), s2 = 0, s3 = 0;
    for (int k = maxk; k >= 1; k--) {
        double kk = (double)k * k, qk = pow(q2, kk);
        s2 += kk * qk;
        s3 += (3 * z2 - pi2 * kk) * kk * qk;
    }
    K[2] += s2 * pi2 * sqrt2pi / (-36 * z3);
    K[3] += s3 * pi2 * sqrt2pi / (216 * z6);
    double sn = sqrt((double)n);
    return K[0] + K[1] / sn + K[2] / (double)n + K[3] / ((double)n * sn);
}

/*
 * ln P(D_n^+ >= d) for the one-sided statistic D_n^+ = sup (F_n - F), 0 < d < 1, by the exact
 * Birnbaum-Tingey (1951) / Smirnov formula, a sum of positive terms (the probabilities that the
 * empirical process first reaches the line F + d at its j-th point):
 *   P(D_n^+ >= d) = d sum_{j=0}^{floor(n(1-d))} C(n,j) (d + j/n)^{j-1} (1 - d - j/n)^{n-j}.
 * Each term is formed in log space (ln C(n,j) accumulated as ln C(n,j-1) + ln((n-j+1)/j) with
 * Kahan compensation; the
 * two bases as (nd + j)/n and (n - nd - j)/n, so 1 - d - j/n does not cancel) and summed relative
 * to the largest, so the result is accurate to ~n eps relative however small it is. Cost O(n);
 * in the tail (n d^2 >= KS_TAIL_ND2) the terms are unimodal in j (checked on n = 3..1e6) and the
 * sum stops once they fall e^-60 below the largest past it.
 * REF: Z. W. Birnbaum, F. H. Tingey, Ann. Math. Stat. 22, 592-596, 1951.
 */
static double smirnov_log_sf(size_t n, double d)
{
    double dn = (double)n, nd = dn * d, nc = dn - nd;
    bool early = nd * d >= KS_TAIL_ND2;
    double lmax = -INFINITY, s = 0.0, lc = 0.0, lc_err = 0.0;
    size_t jmax = 0;
    for (size_t j = 0; (double)j < nc; j++) {
        if (j > 0) {
            /* Kahan-compensated: ln C(n,j) reaches n ln 2, and a plain running sum over 5e5
             * steps drifts by ~5e-8 (measured against mpmath at n = 1e6). */
            double y = log((dn - (double)(j - 1)) / (double)j) - lc_err, tsum = lc + y;
            lc_err = (tsum - lc) - y;
            lc = tsum;
        }
        double r = (nc - (double)j) / dn;
        if (r <= 0.0)
            break;
        double l = lc + ((double)j - 1.0) * log((nd + (double)j) / dn) + (dn - (double)j) * log(r);
        if (l > lmax) {
            s = s * exp(lmax - l) + 1.0;
            lmax = l;
            jmax = j;
        } else {
            s += exp(l - lmax);
            if (early && j > jmax && l < lmax - 60.0)
                break;
        }
    }
    return log(d) + lmax + log(s);
}

/* ln(n!/n^n): the product for small n, Stirling's series (error < 1e-14 for n > 140) beyond. */
static double log_nfact_over_npow(size_t n)
{
    double dn = (double)n;
    if (n <= KS_SMALL_N) {
        double s = 0;
        for (size_t i = 1; i < n; i++)
            s += log((double)i / dn);
        return s;
    }
    double r = 1.0 / dn;
    return 0.5 * log(dn) - dn + 0.5 * log(2.0 * M_PI) + r * (1.0 / 12 - r * r * (1.0 / 360 - r * r / 1260));
}

/*
 * P(D_n >= d), n >= 1, by region (t = n d; Simard & L'Ecuyer 2011, Sec. 3):
 *   t <= 1/2: 1.  d >= 1: 0.
 *   1/2 < t <= 1: 1 - n!/n^n (2t - 1)^n exactly (Ruben & Gambino 1982).
 *   t >= n - 1: 2 (1 - d)^n exactly (Ruben & Gambino 1982).
 *   d >= 1/2: 2 P(D_n^+ >= d) exactly (the events D^+ >= d and D^- >= d are disjoint).
 *   n d^2 >= 2.2: 2 P(D_n^+ >= d) (Miller 1956): too large by P(D^+ >= d and D^- >= d), which
 *     is <= 2e-6 of the result there (measured against Pomeranz's exact recursion for
 *     n = 10..300; e^{-6 n d^2} in the limit) and falls with d; p <= 0.025 in this region.
 *   else n <= 140: 1 - P(D_n < d) by the exact MTW matrix method (p >= 0.015 here).
 *   else: 1 - P(D_n < d) by Pelz-Good (p >= 0.02 here).
 * So the result is a relative-accuracy survival function down to DBL_MIN (~2.2e-308); below that
 * it is subnormal and then 0.
 */
double rmtk_ks_pvalue(size_t n, double d)
{
    if (n == 0 || isnan(d))
        return NAN;
    double dn = (double)n, t = dn * d;
    if (t <= 0.5)
        return 1.0; /* D_n >= 1/(2n) always */
    if (d >= 1.0)
        return 0.0;
    double p;
    if (t <= 1.0)
        p = -expm1(log_nfact_over_npow(n) + dn * log(2.0 * t - 1.0));
    else if (t >= dn - 1.0)
        p = 2.0 * exp(dn * log1p(-d));
    else if (d >= 0.5 || t * d >= KS_TAIL_ND2)
        p = exp(M_LN2 + smirnov_log_sf(n, d));
    else {
        bool ok = false;
        double c = n <= KS_SMALL_N ? ks_cdf_mtw(n, d, &ok) : NAN;
        if (!ok)
            c = ks_cdf_pelz_good(n, d);
        p = 1.0 - c;
    }
    return p < 0 ? 0 : (p > 1 ? 1 : p);
}
