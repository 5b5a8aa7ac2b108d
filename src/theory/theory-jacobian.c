/*
 * theory-jacobian.c: laws defined by a characteristic equation, solved on the physical branch
 * by continuation from above the support.
 *
 *  - Deep-network Jacobians J = D_L X_L ... D_1 X_1 (widths n_0..n_L; M = J J^T, n_L x n_L) and
 *    their linear special case, products of rectangular Gaussian factors (Wishart products).
 *    Mean-field recursion for the pre-activation variances q^l, laws kappa_l of phi'(y)^2, and
 *    the S-transform statement of Pastur-Slavin / Pennington-Schoenholz-Ganguli:
 *        chi(u) = u/(1+u) prod_l S_kappa_l(u/c_l) / (w^2 (1 + u/c_{l-1})) = 1/z,  c_l = n_l/n_L.
 *    For linear, ReLU and hard-tanh layers kappa = (1-p) delta_0 + p delta_1 and
 *    S_kappa(v) = (1+v)/(p+v), so the equation is the polynomial
 *        z u prod_l (1 + u/c_l) = (1+u) prod_l w^2 (p_l + u/c_l)(1 + u/c_{l-1})
 *    (factors with p_l = 1 cancel), whose roots are the eigenvalues of the companion matrix
 *    (LAPACK zhseqr). For smooth activations and leaky ReLU kappa is a discrete measure
 *    (Gauss-Hermite nodes, or two atoms) and S_kappa(v) = t (1+v)/v with psi_kappa(t) = v,
 *    solved by an inner Newton iteration; the outer equation by Newton on u.
 *  - MP(q, s^2) free-plus semicircle(s_w^2): G = G_MP(z - s_w^2 G), the cubic
 *        z (s^2 q G^2 - G) - (s^2 q s_w^2 G^3 - s_w^2 G^2 - s^2 (1-q) G - 1) = 0.
 *  Branch selection (methods.md 3.5 step 4): start at x well above the support where the
 *  physical root is real (u ~ m_1/x, G ~ 1/x), step x downwards and, at each step, take the root
 *  closest to the linear extrapolation of the previous two (polynomial case) or start Newton
 *  there; a step whose root is ambiguous (closest root not clearly closer than the next) or
 *  jumps is halved. Density: rho = -Im G(x + i eta)/pi with G = (1 + u)/z for the Jacobian.
 * REF: methods.md 3.3-3.5, 4.6, 4.8; Pennington, Schoenholz, Ganguli, AISTATS 2018;
 *      Pastur & Slavin, arXiv:2011.11439.
 */
#include "theory-internal.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXDEG (4 * RMTK_MAX_LAYERS + 8)

/* ---- activations --------------------------------------------------------------------------- */

double rmtk__act_phi(int act, double a, double y)
{
    switch (act) {
    case RMTK_ACT_LINEAR: return y;
    case RMTK_ACT_RELU: return y > 0 ? y : 0.0;
    case RMTK_ACT_LEAKY_RELU: return y > 0 ? y : a * y;
    case RMTK_ACT_TANH: return tanh(y);
    case RMTK_ACT_HARD_TANH: return y > 1 ? 1.0 : (y < -1 ? -1.0 : y);
    case RMTK_ACT_SIGMOID: return 1.0 / (1.0 + exp(-y));
    case RMTK_ACT_ERF: return erf(y);
    default: return NAN;
    }
}

double rmtk__act_dphi(int act, double a, double y)
{
    switch (act) {
    case RMTK_ACT_LINEAR: return 1.0;
    case RMTK_ACT_RELU: return y > 0 ? 1.0 : 0.0;
    case RMTK_ACT_LEAKY_RELU: return y > 0 ? 1.0 : a;
    case RMTK_ACT_TANH: {
        double t = tanh(y);
        return 1.0 - t * t;
    }
    case RMTK_ACT_HARD_TANH: return fabs(y) < 1 ? 1.0 : 0.0;
    case RMTK_ACT_SIGMOID: {
        double s = 1.0 / (1.0 + exp(-y));
        return s * (1.0 - s);
    }
    case RMTK_ACT_ERF: return 2.0 / sqrt(RMTK_PI) * exp(-y * y);
    default: return NAN;
    }
}

static int act_is_smooth(int act)
{
    return act == RMTK_ACT_TANH || act == RMTK_ACT_SIGMOID || act == RMTK_ACT_ERF;
}

/* ---- mean field ------------------------------------------------------------------------------ */

/* q^1 = w^2 q0 + sb^2; q^l = w^2 E[phi(sqrt(q^{l-1}) g)^2] + sb^2 (methods.md 3.3). E phi^2 in
 * closed form for the piecewise-linear activations (Gauss-Hermite converges slowly across a
 * kink), by Gauss-Hermite quadrature otherwise. kappa_l = Law(phi'(sqrt(q^l) g)^2):
 * ReLU p = 1/2; hard-tanh p = erf(1/sqrt(2 q)) (E phi^2 = q (P - 2 a pdf(a)) + 1 - P with
 * a = 1/sqrt q, P = erf(a/sqrt 2)); leaky ReLU kappa = (delta_{a^2} + delta_1)/2. */
int rmtk__jacobian_mean_field(const rmtk_law_params *p, double *q, double *p_nz, double *ek,
                              double *ek2)
{
    size_t L = p->n_dims - 1, nq = p->quad_nodes;
    int act = p->law == RMTK_LAW_WISHART_PRODUCT ? RMTK_ACT_LINEAR : p->activation;
    double w2 = p->law == RMTK_LAW_WISHART_PRODUCT ? 1.0 : p->sigma_w2;
    double sb2 = p->law == RMTK_LAW_WISHART_PRODUCT ? 0.0 : p->sigma_b2;
    double q0 = p->law == RMTK_LAW_WISHART_PRODUCT ? 1.0 : p->q0, a = p->leaky_slope;
    double *gx = NULL, *gw = NULL;
    if (act_is_smooth(act)) {
        gx = rmtk__malloc_array(nq, sizeof *gx);
        gw = rmtk__malloc_array(nq, sizeof *gw);
        int st = (!gx || !gw) ? RMTK_ERR_NOMEM : rmtk_gauss_hermite_normal(nq, gx, gw);
        if (st) {
            rmtk__free(gx);
            rmtk__free(gw);
            return st;
        }
    }
    double ql = w2 * q0 + sb2;
    for (size_t l = 0; l < L; l++) {
        double pz = 1, m1 = 1, m2 = 1, ephi2 = ql;
        switch (act) {
        case RMTK_ACT_LINEAR: break;
        case RMTK_ACT_RELU: pz = m1 = m2 = 0.5; ephi2 = 0.5 * ql; break;
        case RMTK_ACT_LEAKY_RELU:
            m1 = 0.5 * (1 + a * a);
            m2 = 0.5 * (1 + a * a * a * a);
            pz = a != 0 ? 1.0 : 0.5;
            ephi2 = m1 * ql;
            break;
        case RMTK_ACT_HARD_TANH: {
            double al = 1.0 / sqrt(ql), P = erf(al / sqrt(2.0));
            double pdf = exp(-0.5 * al * al) / sqrt(2 * RMTK_PI);
            pz = m1 = m2 = P;
            ephi2 = ql * (P - 2 * al * pdf) + (1 - P);
            break;
        }
        default: {
            double s = sqrt(ql);
            m1 = m2 = ephi2 = 0;
            for (size_t i = 0; i < nq; i++) {
                double d = rmtk__act_dphi(act, a, s * gx[i]), f = rmtk__act_phi(act, a, s * gx[i]);
                m1 += gw[i] * d * d;
                m2 += gw[i] * d * d * d * d;
                ephi2 += gw[i] * f * f;
            }
            pz = 1;
        }
        }
        if (q)
            q[l] = ql;
        if (p_nz)
            p_nz[l] = pz;
        if (ek)
            ek[l] = m1;
        if (ek2)
            ek2[l] = m2;
        ql = w2 * ephi2 + sb2;
    }
    rmtk__free(gx);
    rmtk__free(gw);
    return RMTK_OK;
}

/* ---- polynomials with real coefficients (c[k] multiplies u^k) ------------------------------- */

typedef struct {
    int deg;
    double c[MAXDEG + 1];
    double lead;          /* product form: lead * prod_i (u - root[i]) (when nroot == deg) */
    int nroot;
    rmtk__cplx root[MAXDEG + 1];
} poly;

static void poly_set(poly *P, double c0)
{
    P->deg = 0;
    P->c[0] = c0;
    P->lead = c0;
    P->nroot = 0;
}

/* P *= (a + b u) */
static void poly_mul_lin(poly *P, double a, double b)
{
    P->c[P->deg + 1] = 0;
    for (int k = P->deg + 1; k >= 0; k--)
        P->c[k] = a * P->c[k] + (k > 0 ? b * P->c[k - 1] : 0.0);
    P->deg++;
    P->lead *= b;
    P->root[P->nroot++] = -a / b;
}

/* P(u) and P'(u) from the product form (accurate near clustered roots). */
static rmtk__cplx poly_eval_prod(const poly *P, rmtk__cplx u, rmtk__cplx *der)
{
    rmtk__cplx s = 1, d = 0;
    for (int i = 0; i < P->nroot; i++) {
        d = s + (u - P->root[i]) * d;
        s = (u - P->root[i]) * s;
    }
    *der = P->lead * d;
    return P->lead * s;
}

static double poly_eval_r(const poly *P, double u)
{
    double s = 0;
    for (int k = P->deg; k >= 0; k--)
        s = s * u + P->c[k];
    return s;
}

static void poly_deriv(const poly *P, poly *D)
{
    D->deg = P->deg > 0 ? P->deg - 1 : 0;
    D->c[0] = 0;
    for (int k = 1; k <= P->deg; k++)
        D->c[k - 1] = k * P->c[k];
}

static void poly_mul(const poly *A, const poly *B, poly *R)
{
    R->deg = A->deg + B->deg;
    for (int k = 0; k <= R->deg; k++)
        R->c[k] = 0;
    for (int i = 0; i <= A->deg; i++)
        for (int j = 0; j <= B->deg; j++)
            R->c[i + j] += A->c[i] * B->c[j];
}

/* ---- the equation ------------------------------------------------------------------------ */

/* z A(u) - B(u) = 0 (polynomial case) or chi(u) = 1/z (Newton case). */
typedef struct {
    int is_poly;
    int is_jac;        /* unknown u with G = (1+u)/z (else the unknown is G itself) */
    poly A, B;
    size_t L;
    double c[RMTK_MAX_LAYERS + 1]; /* c_l = n_l / n_L */
    double w2, m1, scale;
    double atom;       /* subtracted from G: rho = -Im(G - atom/z)/pi (no Lorentzian leak) */
    /* Newton case: kappa_l as discrete measures kk[l*nk + i], kw[...] */
    size_t nk;
    double *kk, *kw;
    rmtk__cplx t[RMTK_MAX_LAYERS]; /* warm starts of the inner solves (s = 1/t) */
    /* workspace for zhseqr */
    rmtk__cplx *H, *roots, *work;
    lapack_int lwork;
} law_eq;

static void eq_free(law_eq *e)
{
    rmtk__free(e->kk);
    rmtk__free(e->kw);
    rmtk__free(e->H);
    rmtk__free(e->roots);
    rmtk__free(e->work);
}

static int eq_alloc_roots(law_eq *e)
{
    int d = e->A.deg > e->B.deg ? e->A.deg : e->B.deg;
    if (d < 1)
        return RMTK_ERR_INTERNAL;
    e->H = rmtk__malloc_array((size_t)d * (size_t)d, sizeof *e->H);
    e->roots = rmtk__malloc_array((size_t)d, sizeof *e->roots);
    e->lwork = 4 * d + 16;
    e->work = rmtk__malloc_array((size_t)e->lwork, sizeof *e->work);
    return (e->H && e->roots && e->work) ? RMTK_OK : RMTK_ERR_NOMEM;
}

/* All roots of P(u) = sum_k c_k u^k (complex coefficients, leading ones below 1e-300 relative
 * dropped) as the eigenvalues of the companion matrix (upper Hessenberg, LAPACK zhseqr). */
static int companion_roots(law_eq *e, const rmtk__cplx *c, int deg, int *nroots)
{
    double big = 0;
    for (int k = 0; k <= deg; k++)
        big = fmax(big, cabs(c[k]));
    while (deg > 0 && cabs(c[deg]) <= 1e-14 * big)
        deg--;
    *nroots = deg;
    if (deg == 0)
        return RMTK_OK;
    rmtk__cplx *H = e->H;
    size_t d = (size_t)deg;
    for (size_t i = 0; i < d * d; i++)
        H[i] = 0;
    for (size_t j = 0; j < d; j++)
        H[j * d] = -c[deg - 1 - (int)j] / c[deg]; /* first row (column-major) */
    for (size_t i = 1; i < d; i++)
        H[(i - 1) * d + i] = 1;
    lapack_int info = LAPACKE_zhseqr_work(LAPACK_COL_MAJOR, 'E', 'N', (lapack_int)d, 1,
                                          (lapack_int)d, (lapack_complex_double *)H,
                                          (lapack_int)d, (lapack_complex_double *)e->roots, NULL,
                                          1, (lapack_complex_double *)e->work, e->lwork);
    return info == 0 ? RMTK_OK : RMTK_ERR_LAPACK;
}

/* The roots of z A(u) - B(u) = 0. */
static int poly_roots_at(law_eq *e, rmtk__cplx z, int *nr)
{
    rmtk__cplx c[MAXDEG + 1];
    int d = e->A.deg > e->B.deg ? e->A.deg : e->B.deg;
    for (int k = 0; k <= d; k++)
        c[k] = (k <= e->A.deg ? z * e->A.c[k] : 0) - (k <= e->B.deg ? e->B.c[k] : 0);
    int st = companion_roots(e, c, d, nr);
    if (st || *nr != d)
        return st;
    /* Aberth-Ehrlich refinement with f = z A - B evaluated in product form: the expanded
     * coefficients lose the L-fold cluster of roots near u = -p c (ReLU) to eps^{1/L}. */
    rmtk__cplx *r = e->roots;
    for (int it = 0; it < 8; it++) {
        double worst = 0;
        for (int k = 0; k < d; k++) {
            rmtk__cplx da, db;
            rmtk__cplx fa = poly_eval_prod(&e->A, r[k], &da), fb = poly_eval_prod(&e->B, r[k], &db);
            rmtk__cplx f = z * fa - fb, fp = z * da - db;
            if (f == 0 || fp == 0)
                continue;
            rmtk__cplx N = f / fp, sum = 0;
            for (int j = 0; j < d; j++)
                if (j != k && r[j] != r[k])
                    sum += 1.0 / (r[k] - r[j]);
            rmtk__cplx w = N / (1.0 - N * sum);
            if (!isfinite(creal(w)) || !isfinite(cimag(w)))
                continue;
            r[k] -= w;
            worst = fmax(worst, cabs(w) / (1e-300 + cabs(r[k])));
        }
        if (worst < 1e-13)
            break;
    }
    return RMTK_OK;
}

/* Newton polish of a root of z A - B. */
static rmtk__cplx poly_polish(const law_eq *e, rmtk__cplx z, rmtk__cplx u)
{
    for (int it = 0; it < 3; it++) {
        rmtk__cplx da, db;
        rmtk__cplx f = z * poly_eval_prod(&e->A, u, &da) - poly_eval_prod(&e->B, u, &db);
        rmtk__cplx fp = z * da - db;
        if (fp == 0)
            break;
        rmtk__cplx du = f / fp;
        if (!(cabs(du) < 1e-3 * (1 + cabs(u))))
            break;
        u -= du;
    }
    return u;
}

/* Inner solve of psi_kappa(t) = v, psi(t) = sum_i w_i k_i t / (1 - k_i t), in the variable
 * s = 1/t: psi = sum_i w_i k_i / (s - k_i), which stays well conditioned when t -> infinity
 * (v -> -kappa(k > 0), the small-x end). Newton from *s; returns ds/dv = 1/psi'(s). */
static int kappa_solve(const double *kk, const double *kw, size_t nk, rmtk__cplx v,
                       rmtk__cplx *s, rmtk__cplx *dsdv)
{
    rmtk__cplx x = *s;
    for (int it = 0; it < 100; it++) {
        rmtk__cplx f = -v, fp = 0;
        for (size_t i = 0; i < nk; i++) {
            rmtk__cplx den = 1.0 / (x - kk[i]);
            f += kw[i] * kk[i] * den;
            fp -= kw[i] * kk[i] * den * den;
        }
        rmtk__cplx dx = f / fp;
        x -= dx;
        if (!isfinite(creal(x)) || !isfinite(cimag(x)))
            return RMTK_ERR_NUMERIC;
        if (cabs(dx) <= 1e-14 * (1e-300 + cabs(x))) {
            fp = 0;
            for (size_t i = 0; i < nk; i++) {
                rmtk__cplx den = 1.0 / (x - kk[i]);
                fp -= kw[i] * kk[i] * den * den;
            }
            *s = x;
            *dsdv = 1.0 / fp;
            return RMTK_OK;
        }
    }
    return RMTK_ERR_NUMERIC;
}

/* chi(u) and chi'(u) for the Newton case, with S_kappa(v) = (1+v)/(v s); updates the warm
 * starts e->t (which hold s = 1/t). d log S / dv = -s'/s + 1/(1+v) - 1/v. */
static int chi_eval(law_eq *e, rmtk__cplx u, rmtk__cplx *chi, rmtk__cplx *dchi)
{
    rmtk__cplx lg = 1.0 / u - 1.0 / (1.0 + u), val = u / (1.0 + u);
    for (size_t l = 1; l <= e->L; l++) {
        rmtk__cplx v = u / e->c[l], ds;
        int st = kappa_solve(e->kk + (l - 1) * e->nk, e->kw + (l - 1) * e->nk, e->nk, v,
                             &e->t[l - 1], &ds);
        if (st)
            return st;
        rmtk__cplx sv = e->t[l - 1];
        val *= (1.0 + v) / (v * sv) / (e->w2 * (1.0 + u / e->c[l - 1]));
        lg += (-ds / sv + 1.0 / (1.0 + v) - 1.0 / v) / e->c[l] -
              1.0 / (e->c[l - 1] * (1.0 + u / e->c[l - 1]));
    }
    *chi = val;
    *dchi = val * lg;
    return RMTK_OK;
}

/* Newton on chi(u) = 1/z from u (<= 60 iterations, tolerance 1e-12 relative). */
static int newton_at(law_eq *e, rmtk__cplx z, rmtk__cplx *u)
{
    rmtk__cplx x = *u, iz = 1.0 / z;
    for (int it = 0; it < 60; it++) {
        rmtk__cplx chi, dchi;
        int st = chi_eval(e, x, &chi, &dchi);
        if (st)
            return st;
        rmtk__cplx dx = (chi - iz) / dchi;
        x -= dx;
        if (!isfinite(creal(x)) || !isfinite(cimag(x)))
            return RMTK_ERR_NUMERIC;
        if (cabs(dx) <= 1e-12 * (1e-300 + cabs(x))) {
            *u = x;
            return RMTK_OK;
        }
    }
    return RMTK_ERR_NUMERIC;
}

/* z on the path: x + i eta, eta = eta_rel * max(|x|, scale * 1e-3) for MP-semicircle and
 * eta_rel * x for the positive laws. */
static rmtk__cplx path_z(const law_eq *e, double x, double eta_rel)
{
    double eta = e->is_jac ? eta_rel * x : eta_rel * fmax(fabs(x), 1e-3 * e->scale);
    return x + I * eta;
}

/* Nevanlinna check: a Stieltjes transform has Im G(z) <= 0 for Im z > 0. A candidate root that
 * violates it is not on the physical branch (a necessary condition used to reject a step, not
 * a rule to pick a root). */
static int nevanlinna_ok(const law_eq *e, rmtk__cplx z, rmtk__cplx u)
{
    rmtk__cplx G = e->is_jac ? (1.0 + u) / z : u;
    return cimag(G) <= 1e-10 * cabs(G);
}

/* One step: the root at z near the prediction. Returns 1 when accepted. */
static int step_root(law_eq *e, rmtk__cplx z, rmtk__cplx pred, rmtk__cplx cur, int force,
                     rmtk__cplx *out, int *err)
{
    *err = 0;
    if (e->is_poly && !force) {
        /* fast path: Newton on z A - B in product form from the prediction; accepted under the
         * same rules as a companion-matrix selection (closer to the prediction than half the
         * step's move, Nevanlinna); otherwise all roots are computed below */
        rmtk__cplx u = pred;
        int conv = 0;
        for (int it = 0; it < 20; it++) {
            rmtk__cplx da, db;
            rmtk__cplx f = z * poly_eval_prod(&e->A, u, &da) - poly_eval_prod(&e->B, u, &db);
            rmtk__cplx fp = z * da - db;
            if (fp == 0)
                break;
            rmtk__cplx du = f / fp;
            u -= du;
            if (!(cabs(du) < 1e300))
                break;
            if (cabs(du) <= 1e-14 * (1e-300 + cabs(u))) {
                conv = 1;
                break;
            }
        }
        double move = cabs(pred - cur);
        if (conv && cabs(u - pred) <= 0.25 * move + 1e-9 * (1 + cabs(cur)) &&
            nevanlinna_ok(e, z, u)) {
            *out = u;
            return 1;
        }
    }
    if (e->is_poly) {
        int nr;
        int st = poly_roots_at(e, z, &nr);
        if (st || nr == 0) {
            *err = st ? st : RMTK_ERR_NUMERIC;
            return 0;
        }
        double d1 = INFINITY, d2 = INFINITY;
        int best = 0;
        for (int i = 0; i < nr; i++) {
            double d = cabs(e->roots[i] - pred);
            if (d < d1) {
                d2 = d1;
                d1 = d;
                best = i;
            } else if (d < d2) {
                d2 = d;
            }
        }
        double move = cabs(pred - cur);
        if (!force && !(d1 < 0.25 * d2 && d1 <= 0.5 * move + 1e-9 * (1 + cabs(cur)) &&
                        nevanlinna_ok(e, z, e->roots[best])))
            return 0;
        if (force && !nevanlinna_ok(e, z, e->roots[best])) {
            /* a forced step (at a branch point): the closest root with Im G <= 0 */
            double db = INFINITY;
            for (int i = 0; i < nr; i++)
                if (nevanlinna_ok(e, z, e->roots[i]) && cabs(e->roots[i] - pred) < db) {
                    db = cabs(e->roots[i] - pred);
                    best = i;
                }
        }
        *out = poly_polish(e, z, e->roots[best]);
        return 1;
    }
    rmtk__cplx tsave[RMTK_MAX_LAYERS];
    memcpy(tsave, e->t, sizeof tsave);
    rmtk__cplx u = pred;
    int st = newton_at(e, z, &u);
    double move = cabs(pred - cur);
    if (!force && !st && cabs(u - pred) <= 0.5 * move + 1e-9 * (1 + cabs(cur)) &&
        nevanlinna_ok(e, z, u)) {
        *out = u;
        return 1;
    }
    if (force) {
        /* a forced (tiny) step at a branch point: past an upper edge two real roots become a
         * nearly conjugate pair, and Newton from the real root stays on the real (unphysical)
         * one; start it below the real axis first, on the side of the physical root (Im G
         * <= 0), then on it; the root must stay near the last one */
        static const double nudge[3] = {1e-3, 1e-6, 0};
        for (int k = 0; k < 3; k++) {
            memcpy(e->t, tsave, sizeof tsave);
            u = pred - I * nudge[k] * (1e-6 + cabs(pred));
            if (newton_at(e, z, &u) == RMTK_OK && nevanlinna_ok(e, z, u) &&
                cabs(u - pred) <= 0.05 * (1e-6 + cabs(pred))) {
                *out = u;
                return 1;
            }
        }
    }
    memcpy(e->t, tsave, sizeof tsave);
    if (force) {
        /* a step shorter than 1e-13 x that Newton cannot resolve sits on a branch point (an
         * edge, where chi' = 0): keep the extrapolated root for this one x */
        *out = pred;
        return 1;
    }
    return 0;
}

/* The density from the root. */
static double root_density(const law_eq *e, rmtk__cplx z, rmtk__cplx u)
{
    rmtk__cplx G = e->is_jac ? (1.0 + u - e->atom) / z : u;
    double r = -cimag(G) / RMTK_PI;
    return r > 0 ? r : 0.0;
}

/* March from x_start (root u0 there) down through x_desc[0..n), storing roots. Steps in log x
 * for the positive laws, in x otherwise. */
static int track(law_eq *e, double x_start, rmtk__cplx u0, const double *x_desc, size_t n,
                 double eta_rel, rmtk__cplx *out)
{
    double xc = x_start, xp = NAN;
    rmtk__cplx uc = u0, up = u0;
    int nforced = 0;
    for (size_t j = 0; j < n; j++) {
        double target = x_desc[j];
        /* x <= 0 for the positive laws; below 1e-12 of the scale for the Newton case, where
         * kappa is a discrete (quadrature) measure and the march would be long for nothing */
        if (e->is_jac && (!(target > 0) || (!e->is_poly && target < 1e-12 * e->scale))) {
            out[j] = NAN;
            continue;
        }
        if (target > xc) { /* unsorted input: not expected */
            return RMTK_ERR_INTERNAL;
        }
        double s_c = e->is_jac ? log(xc) : xc, s_t = e->is_jac ? log(target) : target;
        double s_p = isnan(xp) ? NAN : (e->is_jac ? log(xp) : xp);
        /* steps of at most 5% of x (log x) or 0.5% of the scale (x) */
        double hmax = e->is_jac ? 0.05 : 5e-3 * e->scale;
        double h = fmin(s_c - s_t, hmax), hmin = 1e-11 * (1 + fabs(s_c));
        int guard = 0;
        while (s_c > s_t) {
            if (h > s_c - s_t)
                h = s_c - s_t;
            /* Halving below hmin means a branch point (an edge: the root moves like a square
             * root there and no linear prediction is close). Newton path: one tiny forced step
             * (2e-5 hmax) from the last root, after which the normal steps grow again. Never a
             * forced leap to a distant target: Newton then lands on whichever root is near
             * (a density of 4e13 instead of 4e8 at 1e-11 for a square sigmoid chain when the
             * requested x jumped from the edge to 1e-11; KS 4499 in simulate --theory). */
            int force = (h < hmin) || guard > 200000;
            if (force && !e->is_poly && ++nforced > 200) {
                /* a long run of forced steps: the root is no longer resolved (a smooth
                 * activation's discrete kappa far below the scale of the law); the rest of
                 * the path stays unresolved (density 0) rather than wrong */
                for (; j < n; j++)
                    out[j] = NAN;
                return RMTK_OK;
            }
            /* the polynomial case picks among all the roots at the target (companion matrix,
             * closest to the prediction with Im G <= 0), so a forced step may go there at once;
             * the Newton path takes a tiny forced step past the branch point */
            double s_n = !force ? s_c - h : e->is_poly ? s_t : fmax(s_t, s_c - 2e-5 * hmax);
            double xn = e->is_jac ? exp(s_n) : s_n;
            if (s_n == s_t)
                xn = target;
            /* the linear prediction (none for a forced step: at a branch point the derivative
             * of the root is unbounded and the extrapolation lands anywhere) */
            rmtk__cplx pred = uc;
            if ((!force || e->is_poly) && !isnan(s_p) && s_c != s_p)
                pred = uc + (uc - up) * ((s_n - s_c) / (s_c - s_p));
            rmtk__cplx un;
            int err;
            int ok = step_root(e, path_z(e, xn, eta_rel), pred, uc, force, &un, &err);
            if (err)
                return err;
            guard++;
            if (ok && !force)
                nforced = 0;
            if (!ok) {
                h *= 0.5;
                continue;
            }
            s_p = s_c;
            up = uc;
            s_c = s_n;
            uc = un;
            xp = xc;
            xc = xn;
            h = fmin(2 * h, hmax);
        }
        out[j] = uc;
    }
    return RMTK_OK;
}

/* ---- building the equation ------------------------------------------------------------------ */

static int eq_build(const rmtk_law_params *p, law_eq *e)
{
    memset(e, 0, sizeof *e);
    if (p->law == RMTK_LAW_MP_SEMICIRCLE) {
        double s = p->sigma2, q = p->ratio, sw = p->sigma2_wigner;
        e->is_poly = 1;
        e->is_jac = 0;
        e->A.deg = 2;
        e->A.c[0] = 0;
        e->A.c[1] = -1;
        e->A.c[2] = s * q;
        e->B.deg = 3;
        e->B.c[0] = -1;
        e->B.c[1] = -s * (1 - q);
        e->B.c[2] = -sw;
        e->B.c[3] = s * q * sw;
        e->A.lead = s * q;
        e->A.nroot = 2;
        e->A.root[0] = 0;
        e->A.root[1] = 1.0 / (s * q);
        e->m1 = s;
        e->scale = s * (1 + sqrt(q)) * (1 + sqrt(q)) + 2 * sqrt(sw);
        int st0 = eq_alloc_roots(e);
        if (st0)
            return st0;
        /* roots of the cubic B (well conditioned) for the product form */
        rmtk__cplx cb[4] = {e->B.c[0], e->B.c[1], e->B.c[2], e->B.c[3]};
        int nr;
        st0 = companion_roots(e, cb, 3, &nr);
        e->B.lead = e->B.c[3];
        e->B.nroot = nr;
        for (int i = 0; i < nr; i++)
            e->B.root[i] = e->roots[i];
        return st0;
    }
    size_t L = p->n_dims - 1;
    double q[RMTK_MAX_LAYERS], pnz[RMTK_MAX_LAYERS], ek[RMTK_MAX_LAYERS];
    int st = rmtk__jacobian_mean_field(p, q, pnz, ek, NULL);
    if (st)
        return st;
    int act = p->law == RMTK_LAW_WISHART_PRODUCT ? RMTK_ACT_LINEAR : p->activation;
    e->w2 = p->law == RMTK_LAW_WISHART_PRODUCT ? 1.0 : p->sigma_w2;
    e->L = L;
    e->is_jac = 1;
    for (size_t l = 0; l <= L; l++)
        e->c[l] = (double)p->dims[l] / (double)p->dims[L];
    e->m1 = 1;
    for (size_t l = 0; l < L; l++)
        e->m1 *= e->w2 * ek[l];
    e->scale = e->m1;
    double rank = (double)p->dims[0];
    for (size_t l = 1; l <= L; l++)
        rank = fmin(rank, pnz[l - 1] * (double)p->dims[l]);
    e->atom = fmax(0.0, 1.0 - rank / (double)p->dims[L]);
    if (act == RMTK_ACT_LINEAR || act == RMTK_ACT_RELU || act == RMTK_ACT_HARD_TANH) {
        /* z u prod (1 + u/c_l)[p_l<1] = (1+u) prod w^2 (p_l + u/c_l)[p_l<1] (1 + u/c_{l-1}) */
        e->is_poly = 1;
        poly_set(&e->A, 1);
        poly_mul_lin(&e->A, 0, 1);
        poly_set(&e->B, 1);
        poly_mul_lin(&e->B, 1, 1);
        for (size_t l = 1; l <= L; l++) {
            double pl = pnz[l - 1];
            if (pl < 1) {
                poly_mul_lin(&e->A, 1, 1.0 / e->c[l]);
                poly_mul_lin(&e->B, pl, 1.0 / e->c[l]);
            }
            poly_mul_lin(&e->B, e->w2, e->w2 / e->c[l - 1]);
        }
        return eq_alloc_roots(e);
    }
    /* Newton case: kappa_l as a discrete measure. */
    e->is_poly = 0;
    size_t nq = p->quad_nodes;
    e->nk = act == RMTK_ACT_LEAKY_RELU ? 2 : nq;
    e->kk = rmtk__malloc_array(L * e->nk, sizeof *e->kk);
    e->kw = rmtk__malloc_array(L * e->nk, sizeof *e->kw);
    double *gx = rmtk__malloc_array(nq, sizeof *gx), *gw = rmtk__malloc_array(nq, sizeof *gw);
    if (!e->kk || !e->kw || !gx || !gw) {
        rmtk__free(gx);
        rmtk__free(gw);
        return RMTK_ERR_NOMEM;
    }
    st = rmtk_gauss_hermite_normal(nq, gx, gw);
    for (size_t l = 0; l < L && !st; l++) {
        if (act == RMTK_ACT_LEAKY_RELU) {
            double a = p->leaky_slope;
            e->kk[l * 2] = a * a;
            e->kk[l * 2 + 1] = 1;
            e->kw[l * 2] = e->kw[l * 2 + 1] = 0.5;
        } else {
            double sq = sqrt(q[l]);
            for (size_t i = 0; i < nq; i++) {
                double d = rmtk__act_dphi(act, p->leaky_slope, sq * gx[i]);
                e->kk[l * nq + i] = d * d;
                e->kw[l * nq + i] = gw[i];
            }
        }
        e->t[l] = 0;
    }
    rmtk__free(gx);
    rmtk__free(gw);
    return st;
}

/* x(u) = 1/chi(u) on the real axis u > 0, or B(u)/A(u). In the Newton case the inner
 * equation psi_kappa(s) = v > 0 has exactly one root s > k_max (psi decreases there from +inf
 * to 0, and psi(k_max + E kappa / v) <= v): safeguarded bisection-Newton in that bracket. */
static double x_of_u(law_eq *e, double u)
{
    if (e->is_poly)
        return poly_eval_r(&e->B, u) / poly_eval_r(&e->A, u);
    double logchi = log(u / (1 + u));
    for (size_t l = 1; l <= e->L; l++) {
        const double *kk = e->kk + (l - 1) * e->nk, *kw = e->kw + (l - 1) * e->nk;
        double v = u / e->c[l], kmax = 0, ek = 0;
        for (size_t i = 0; i < e->nk; i++) {
            kmax = fmax(kmax, kk[i]);
            ek += kw[i] * kk[i];
        }
        double lo = kmax, hi = kmax + ek / v, x = hi;
        for (int it = 0; it < 200; it++) {
            double f = -v, fp = 0;
            for (size_t i = 0; i < e->nk; i++) {
                double den = 1.0 / (x - kk[i]);
                f += kw[i] * kk[i] * den;
                fp -= kw[i] * kk[i] * den * den;
            }
            if (f > 0)
                lo = x;
            else
                hi = x;
            double xn = x - f / fp;
            if (!(xn > lo && xn < hi))
                xn = 0.5 * (lo + hi);
            if (fabs(xn - x) <= 1e-15 * x || hi - lo <= 1e-15 * hi) {
                x = xn;
                break;
            }
            x = xn;
        }
        e->t[l - 1] = x;
        logchi += log((1 + v) / (v * x)) - log(e->w2 * (1 + u / e->c[l - 1]));
    }
    return exp(-logchi);
}

/* Upper edge = min_{u > 0} x(u): log scan, then golden-section refinement. */
static double upper_edge(law_eq *e)
{
    double best = INFINITY, ub = 1;
    int nscan = 240;
    for (int i = 0; i <= nscan; i++) {
        double u = pow(10.0, -6.0 + 12.0 * i / nscan);
        double x = x_of_u(e, u);
        if (isfinite(x) && x > 0 && x < best) {
            best = x;
            ub = u;
        }
    }
    double a = log(ub) - 12.0 * log(10.0) / nscan, b = log(ub) + 12.0 * log(10.0) / nscan;
    const double g = 0.6180339887498949;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = x_of_u(e, exp(c)), fd = x_of_u(e, exp(d));
    for (int it = 0; it < 200 && b - a > 1e-13; it++) {
        if (fc < fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = x_of_u(e, exp(c));
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = x_of_u(e, exp(d));
        }
    }
    double x = x_of_u(e, exp(0.5 * (a + b)));
    return fmin(x, best);
}

/* The physical root at x_start above the support (u ~ m1/x, G ~ 1/x). */
static int start_root(law_eq *e, double x_start, double eta_rel, rmtk__cplx *u0)
{
    rmtk__cplx guess = e->is_jac ? e->m1 / x_start : 1.0 / x_start;
    rmtk__cplx z = path_z(e, x_start, eta_rel);
    if (e->is_poly) {
        int nr;
        int st = poly_roots_at(e, z, &nr);
        if (st)
            return st;
        int best = -1;
        double d1 = INFINITY;
        for (int i = 0; i < nr; i++)
            if (cabs(e->roots[i] - guess) < d1) {
                d1 = cabs(e->roots[i] - guess);
                best = i;
            }
        if (best < 0)
            return RMTK_ERR_NUMERIC;
        *u0 = poly_polish(e, z, e->roots[best]);
        return RMTK_OK;
    }
    for (size_t l = 0; l < e->L; l++) {
        double ekl = 0;
        for (size_t i = 0; i < e->nk; i++)
            ekl += e->kw[l * e->nk + i] * e->kk[l * e->nk + i];
        e->t[l] = ekl * (1 + creal(guess) / e->c[l + 1]) / (creal(guess) / e->c[l + 1]);
    }
    *u0 = guess;
    return newton_at(e, z, u0);
}

static double start_x(law_eq *e, double xmax, double upper)
{
    double s = fmax(upper, e->scale);
    return fmax(2.0 * s, 1.5 * fabs(xmax)) + 1e-3 * e->scale;
}

/* Density at x_desc (sorted descending) with the chosen branch rule. */
static int eq_density(law_eq *e, double upper, const double *x_desc, size_t n, double eta_rel,
                      int branch, double *dens)
{
    if (n == 0)
        return RMTK_OK;
    rmtk__cplx *r = rmtk__malloc_array(n, sizeof *r);
    if (!r)
        return RMTK_ERR_NOMEM;
    int st = RMTK_OK;
    if (branch == RMTK__BRANCH_MOST_NEG_IM) {
        for (size_t j = 0; j < n && !st; j++) {
            if (e->is_jac && !(x_desc[j] > 0)) {
                r[j] = NAN;
                continue;
            }
            int nr;
            rmtk__cplx z = path_z(e, x_desc[j], eta_rel);
            st = poly_roots_at(e, z, &nr);
            double bi = INFINITY;
            for (int i = 0; i < nr; i++) {
                rmtk__cplx G = e->is_jac ? (1.0 + e->roots[i]) / z : e->roots[i];
                if (cimag(G) < bi) {
                    bi = cimag(G);
                    r[j] = e->roots[i];
                }
            }
        }
    } else {
        double xs = start_x(e, x_desc[0], upper);
        rmtk__cplx u0;
        st = start_root(e, xs, eta_rel, &u0);
            if (!st)
            st = track(e, xs, u0, x_desc, n, eta_rel, r);
    }
    for (size_t j = 0; j < n && !st; j++) {
        if (e->is_jac && isnan(creal(r[j])))
            dens[j] = 0;
        else
            dens[j] = root_density(e, path_z(e, x_desc[j], eta_rel), r[j]);
    }
    rmtk__free(r);
    return st;
}

static double eq_upper_bound(law_eq *e, const rmtk_law_params *p)
{
    if (e->is_jac)
        return upper_edge(e);
    double s = p->sigma2, q = p->ratio;
    return s * (1 + sqrt(q)) * (1 + sqrt(q)) + 2 * sqrt(p->sigma2_wigner);
}

int rmtk__law_eq_density(const rmtk_law_params *p, const double *x_desc, size_t n, int branch,
                         double *density)
{
    law_eq e;
    int st = eq_build(p, &e);
    if (!st) {
        if (branch == RMTK__BRANCH_MOST_NEG_IM && !e.is_poly)
            st = RMTK_ERR_ARG;
        else
            st = eq_density(&e, eq_upper_bound(&e, p), x_desc, n, p->eta_rel, branch, density);
    }
    eq_free(&e);
    return st;
}

/*
 * Inside or outside the support at x from the density at two heights of the path, eta and
 * f eta (f = 100, or 1/100 when eta_rel > 1e-5): outside the support -Im G(x + i eta)/pi is
 * the Lorentzian leak of the mass nearby, (eta/pi) int rho(t)/(t - x)^2 dt, proportional to
 * eta; inside it is the density, independent of eta (to O(eta)). So x is inside when the two
 * agree within a factor sqrt(f) and the density is above thr. An absolute threshold alone cannot
 * tell them apart: a biased tanh chain (widths 500-800-600-700, sigma_w^2 = 1.5,
 * sigma_b^2 = 0.05) leaks 1e-7 at x = 9e-6, below its edge 1.45e-5, where the density just above
 * the edge is ~400, and the edge was reported as 0.
 */
static int support_scan(law_eq *e, double upper, const double *x_desc, size_t n, double eta_rel,
                        double thr, int *inside)
{
    double f = eta_rel <= 1e-5 ? 100.0 : 0.01, sf = sqrt(f > 1 ? f : 1 / f);
    double *d = rmtk__malloc_array(2 * n, sizeof *d);
    if (!d)
        return RMTK_ERR_NOMEM;
    int st = eq_density(e, upper, x_desc, n, eta_rel, RMTK__BRANCH_CONTINUATION, d);
    if (!st)
        st = eq_density(e, upper, x_desc, n, f * eta_rel, RMTK__BRANCH_CONTINUATION, d + n);
    for (size_t i = 0; i < n && !st; i++) {
        double r = d[n + i] / d[i];
        inside[i] = d[i] > thr && r < sf && r > 1 / sf;
    }
    rmtk__free(d);
    return st;
}

/* Lower edge of a Newton-case law: *lower = 0 when the density is positive at 1e-9 upper (a
 * hard edge at 0), else the lowest x of a 136-point log scan down from the upper edge that is
 * inside the support (support_scan), refined by a 512-point log scan of the bracket (steps of
 * 3e-4 relative; the edge of the discretised kappa is fuzzy at ~1e-4: three nested 32-point
 * scans, 5e-6 steps and twice the cost, move it by that much); -1 when no point is inside. */
static int lower_edge(law_eq *e, double upper, double eta_rel, double thr, double *lower)
{
    enum { NS = 136, NR = 512 };
    double sx[NS];
    int in[NS];
    *lower = -1;
    for (int i = 0; i < NS; i++)
        sx[i] = upper * pow(10.0, -9.0 * (double)i / (NS - 1)) * (1 - 1e-9);
    int st = support_scan(e, upper, sx, NS, eta_rel, thr, in);
    if (st)
        return st;
    if (in[NS - 1]) {
        *lower = 0;
        return RMTK_OK;
    }
    int k = -1; /* sx[k] inside, sx[k + 1] outside, k the lowest such */
    for (int i = NS - 1; i > 0; i--)
        if (in[i - 1]) {
            k = i - 1;
            break;
        }
    if (k < 0)
        return RMTK_OK;
    double hi = sx[k], lo = sx[k + 1];
    double *rx = rmtk__malloc_array(NR, sizeof *rx);
    int *rin = rmtk__malloc_array(NR, sizeof *rin);
    if (!rx || !rin) {
        rmtk__free(rx);
        rmtk__free(rin);
        return RMTK_ERR_NOMEM;
    }
    for (int i = 0; i < NR; i++)
        rx[i] = hi * pow(lo / hi, (double)(i + 1) / (NR + 1));
    st = support_scan(e, upper, rx, NR, eta_rel, thr, rin);
    if (!st) {
        double nhi = hi, nlo = lo;
        for (int i = 0; i < NR; i++) {
            if (!rin[i]) {
                nlo = rx[i];
                break;
            }
            nhi = rx[i];
        }
        hi = nhi;
        lo = nlo;
    }
    rmtk__free(rx);
    rmtk__free(rin);
    if (st)
        return st;
    *lower = sqrt(hi * lo);
    return RMTK_OK;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Edges: the real critical values of x(u) = B(u)/A(u) (roots of B'A - BA'), kept when the
 * density is positive on exactly one side; for the Newton case the upper edge min_{u>0} x(u)
 * and the lower edge of lower_edge (a log scan telling the density from the leak of nearby mass
 * by its eta-dependence). 0 is the lower edge when the density is positive at x = 1e-9 * upper
 * (Jacobian laws). */
int rmtk__law_eq_info(const rmtk_law_params *p, rmtk_law_info *info)
{
    law_eq e;
    int st = eq_build(p, &e);
    if (st) {
        eq_free(&e);
        return st;
    }
    double upper = eq_upper_bound(&e, p);
    double cand[2 * MAXDEG + 4];
    size_t nc = 0;
    double thr = 1e-13 / e.scale;
    if (e.is_poly) {
        poly dA, dB, t1, t2, D;
        poly_deriv(&e.A, &dA);
        poly_deriv(&e.B, &dB);
        poly_mul(&dB, &e.A, &t1);
        poly_mul(&e.B, &dA, &t2);
        D.deg = t1.deg > t2.deg ? t1.deg : t2.deg;
        for (int k = 0; k <= D.deg; k++)
            D.c[k] = (k <= t1.deg ? t1.c[k] : 0) - (k <= t2.deg ? t2.c[k] : 0);
        rmtk__cplx cc[2 * MAXDEG + 2];
        for (int k = 0; k <= D.deg; k++)
            cc[k] = D.c[k];
        /* the companion workspace may be too small for D: use a local law_eq workspace */
        law_eq w;
        memset(&w, 0, sizeof w);
        w.A.deg = D.deg;
        w.B.deg = 0;
        int nr = 0;
        st = eq_alloc_roots(&w);
        if (!st)
            st = companion_roots(&w, cc, D.deg, &nr);
        for (int i = 0; i < nr && !st; i++) {
            rmtk__cplx r = w.roots[i];
            if (fabs(cimag(r)) > 1e-7 * (1 + cabs(r)))
                continue;
            double u = creal(r), a = poly_eval_r(&e.A, u);
            if (a == 0)
                continue;
            double x = poly_eval_r(&e.B, u) / a;
            if (!isfinite(x) || (e.is_jac && !(x > 0)))
                continue;
            cand[nc++] = x;
        }
        eq_free(&w);
        /* test each candidate: density at x (1 +- 1e-6) */
        double tx[4 * MAXDEG + 8], td[4 * MAXDEG + 8];
        size_t nt = 0;
        for (size_t i = 0; i < nc; i++) {
            double d = 1e-5 * (e.is_jac ? cand[i] : fmax(fabs(cand[i]), 1e-3 * e.scale));
            tx[nt++] = cand[i] + d;
            tx[nt++] = cand[i] - d;
        }
        size_t ncand = nc;
        if (e.is_jac)
            tx[nt++] = 1e-9 * upper;
        /* evaluate in descending order, keep the pairing */
        double sx[4 * MAXDEG + 8];
        memcpy(sx, tx, nt * sizeof *tx);
        qsort(sx, nt, sizeof *sx, cmp_desc);
        double sd[4 * MAXDEG + 8];
        if (!st)
            st = eq_density(&e, upper, sx, nt, p->eta_rel, RMTK__BRANCH_CONTINUATION, sd);
        for (size_t i = 0; i < nt && !st; i++) {
            for (size_t j = 0; j < nt; j++)
                if (sx[j] == tx[i]) {
                    td[i] = sd[j];
                    break;
                }
        }
        nc = 0;
        for (size_t i = 0; i < ncand && !st; i++) {
            double dmax = fmax(td[2 * i], td[2 * i + 1]), dmin = fmin(td[2 * i], td[2 * i + 1]);
            if ((dmax > thr && dmin < 1e-2 * dmax) || fabs(cand[i] - upper) < 1e-6 * upper)
                cand[nc++] = cand[i];
        }
        if (!st && e.is_jac && td[nt - 1] > thr)
            cand[nc++] = 0;
    } else {
        /* Newton case: the lower edge from a log scan (15 points per decade over 9 decades
         * below the upper edge), refined by nested log scans of the bracket. */
        cand[nc++] = upper;
        double lower;
        st = lower_edge(&e, upper, p->eta_rel, thr, &lower);
        if (!st && lower >= 0)
            cand[nc++] = lower;
    }
    if (!st) {
        qsort(cand, nc, sizeof *cand, cmp_desc);
        size_t k = 0;
        for (size_t i = 0; i < nc && k < RMTK_LAW_MAX_EDGES; i++) {
            if (k > 0 && fabs(cand[i] - info->edges[k - 1]) <=
                             1e-9 * fmax(fabs(cand[i]), fabs(info->edges[k - 1])))
                continue;
            info->edges[k++] = cand[i];
        }
        for (size_t i = 0; i < k / 2; i++) { /* ascending */
            double t = info->edges[i];
            info->edges[i] = info->edges[k - 1 - i];
            info->edges[k - 1 - i] = t;
        }
        info->n_edges = k;
        info->diverges_at_0 = 0;
        if (e.is_jac && k > 0 && info->edges[0] == 0) {
            /* divergence: density at 1e-9 upper much larger than at 1e-6 upper */
            double sx[2] = {1e-6 * upper, 1e-9 * upper}, sd[2];
            st = eq_density(&e, upper, sx, 2, p->eta_rel, RMTK__BRANCH_CONTINUATION, sd);
            if (!st && sd[1] > 2 * sd[0])
                info->diverges_at_0 = 1;
        }
    }
    /* atom, mean, variance */
    if (!st && e.is_jac) {
        double pnz[RMTK_MAX_LAYERS], ek[RMTK_MAX_LAYERS], ek2[RMTK_MAX_LAYERS];
        st = rmtk__jacobian_mean_field(p, NULL, pnz, ek, ek2);
        size_t L = e.L;
        double rank = (double)p->dims[0], v = 0;
        for (size_t l = 1; l <= L; l++) {
            rank = fmin(rank, pnz[l - 1] * (double)p->dims[l]);
            double vk = ek2[l - 1] - ek[l - 1] * ek[l - 1];
            v += vk / (ek[l - 1] * ek[l - 1]) / e.c[l] + 1.0 / e.c[l - 1];
        }
        info->atom = fmax(0.0, 1.0 - rank / (double)p->dims[L]);
        info->mean = e.m1;
        info->variance = v * e.m1 * e.m1;
    } else if (!st) {
        info->atom = 0;
        info->mean = p->sigma2;
        info->variance = p->sigma2 * p->sigma2 * p->ratio + p->sigma2_wigner;
    }
    eq_free(&e);
    return st;
}
