/*
 * denoise.c: random-matrix denoising of one matrix from its singular values and vectors. The
 * numerics of `rmtk denoise`: the optimal hard threshold of Gavish & Donoho (2014), the edge of
 * the robust Marchenko-Pastur fit plus a Tracy-Widom margin, the optimal Frobenius shrinker of
 * Gavish & Donoho (2017), and plain truncation (rank K, energy fraction F); then the
 * reconstruction X^ = U diag(eta) V^T or its factors U sqrt(eta), sqrt(eta) V^T. Each method maps
 * the singular values s_1 >= ... >= s_k of an N x M matrix to new values eta_i (0 = dropped);
 * the singular vectors are kept. Formulas and references: docs/methods/denoise.md.
 *
 * Conventions (Gavish-Donoho): n = max(N, M), m = min(N, M), beta = m / n in (0, 1]. The noise
 * model is X = S + s Z with Z of i.i.d. N(0, 1) entries, so that s Z has its singular values in
 * the bulk [s sqrt n (1 - sqrt beta), s sqrt n (1 + sqrt beta)]; "noise units" are y = s_i /
 * (sqrt(n) s).
 */
#include "internal.h"
#include "rmtk.h"

#include <math.h>
#include <string.h>

rmtk_denoise_params rmtk_denoise_params_default(void)
{
    rmtk_denoise_params p;
    memset(&p, 0, sizeof p);
    p.method = RMTK_DENOISE_GAVISH_DONOHO;
    p.rank = 0;
    p.energy = 0.9;
    p.noise = 0.0;
    p.alpha = 0.05;
    p.noise_from = RMTK_DENOISE_NOISE_MEDIAN;
    p.min_values = RMTK_ANALYSIS_MIN_LEVELS;
    return p;
}

const char *rmtk_denoise_method_name(int method)
{
    switch (method) {
    case RMTK_DENOISE_GAVISH_DONOHO:
        return "gavish-donoho";
    case RMTK_DENOISE_MP_EDGE:
        return "mp-edge";
    case RMTK_DENOISE_SHRINK:
        return "shrink";
    case RMTK_DENOISE_RANK:
        return "rank";
    case RMTK_DENOISE_ENERGY:
        return "energy";
    }
    return "unknown";
}

/* lambda*(beta) = sqrt( 2 (beta + 1) + 8 beta / ( (beta + 1) + sqrt(beta^2 + 14 beta + 1) ) ):
 * the optimal hard threshold in noise units when the noise level is known (tau = lambda* sqrt(n)
 * s). lambda*(1) = 4 / sqrt 3. REF: Gavish & Donoho, IEEE Trans. Inf. Theory 60 (2014) 5040,
 * eq. (11). */
int rmtk_denoise_gd_lambda(double beta, double *lambda)
{
    if (!lambda || !(beta > 0.0 && beta <= 1.0))
        return RMTK_ERR_ARG;
    double b1 = beta + 1.0;
    *lambda = sqrt(2.0 * b1 + 8.0 * beta / (b1 + sqrt(beta * beta + 14.0 * beta + 1.0)));
    return RMTK_OK;
}

/* omega(beta) = lambda*(beta) / sqrt(mu_beta), mu_beta the median of the Marchenko-Pastur law of
 * ratio beta (eigenvalues of Z Z^T / n, support [(1 - sqrt beta)^2, (1 + sqrt beta)^2]); the
 * threshold for unknown noise is tau = omega(beta) median(s_i). mu_beta is rmtk_mp_quantile of
 * the law {v = 1, rows = 1, cols = beta} at 1/2. REF: Gavish & Donoho 2014, eq. (4) and Sec. III.E
 * (their approximation omega ~ 0.56 beta^3 - 0.95 beta^2 + 1.82 beta + 1.43 is within 0.02). */
int rmtk_denoise_gd_omega(double beta, double *omega)
{
    double lam, mu;
    if (!omega || !(beta > 0.0 && beta <= 1.0))
        return RMTK_ERR_ARG;
    int st = rmtk_denoise_gd_lambda(beta, &lam);
    if (st)
        return st;
    rmtk_mp_law law = {1.0, 1.0, beta, RMTK_MP_EIGEN, 0};
    if ((st = rmtk_mp_quantile(&law, 0.5, &mu)))
        return st;
    if (!(mu > 0.0))
        return RMTK_ERR_NUMERIC;
    *omega = lam / sqrt(mu);
    return RMTK_OK;
}

/* eta(y) = sqrt((y^2 - beta - 1)^2 - 4 beta) / y for y >= 1 + sqrt beta, else 0: the optimal
 * shrinker for Frobenius loss in noise units. It inverts the BBP map y(x) = sqrt((x + 1/x)(x +
 * beta/x)) and multiplies by the cosines: eta = x c(x) c~(x). REF: Gavish & Donoho, "Optimal
 * shrinkage of singular values", IEEE Trans. Inf. Theory 63 (2017) 2137, eq. (7). */
double rmtk_denoise_shrink_frobenius(double y, double beta)
{
    if (!(beta > 0.0 && beta <= 1.0) || !(y >= 1.0 + sqrt(beta)) || !isfinite(y))
        return isnan(y) ? NAN : 0.0;
    double t = y * y - beta - 1.0;
    double d = t * t - 4.0 * beta;
    return d > 0.0 ? sqrt(d) / y : 0.0;
}

/* median of s[0..k) sorted descending: the middle value (mean of the two middle ones). */
static double median_desc(const double *s, size_t k)
{
    return k % 2 ? s[k / 2] : 0.5 * (s[k / 2 - 1] + s[k / 2]);
}

/* The robust Marchenko-Pastur fit at TW level alpha (rmtk_mp_fit_robust, docs/methods/mp.md):
 * the step-down Tracy-Widom exclusions and the bulk's entry variance v. */
static int robust_noise(const double *sv, size_t k, int64_t rows, int64_t cols, double alpha,
                        rmtk_mp_robust_fit *fit)
{
    if (!(alpha > 0.0 && alpha < 1.0))
        return RMTK_ERR_ARG;
    rmtk_mp_params mpp = rmtk_mp_params_default();
    mpp.alpha = alpha;
    return rmtk_mp_fit_robust(sv, k, rows, cols, &mpp, fit);
}

/* The noise level s of gavish-donoho and shrink: the given one (p->noise > 0), sqrt(v) of the
 * robust MP fit (p->noise_from = RMTK_DENOISE_NOISE_MP), or the median estimate s = median(s_i)
 * / sqrt(n mu_beta) (the MP median of s_i^2 is n s^2 mu_beta; Gavish & Donoho 2014, eq. (4)).
 * *known = 0 for the median estimate, 1 otherwise. */
static int noise_level(const double *sv, size_t k, int64_t rows, int64_t cols,
                       const rmtk_denoise_params *p, double n, double mu, double *s, int *known)
{
    *known = 1;
    if (p->noise > 0.0) {
        *s = p->noise;
        return RMTK_OK;
    }
    if (p->noise_from == RMTK_DENOISE_NOISE_MP) {
        rmtk_mp_robust_fit fit;
        int st = robust_noise(sv, k, rows, cols, p->alpha, &fit);
        if (st)
            return st;
        *s = sqrt(fit.sigma2);
        return RMTK_OK;
    }
    if (p->noise_from != RMTK_DENOISE_NOISE_MEDIAN)
        return RMTK_ERR_ARG;
    *known = 0;
    double med = median_desc(sv, k);
    if (!(med > 0.0))
        return RMTK_ERR_NUMERIC; /* half the values are 0: no noise scale */
    *s = med / sqrt(n * mu);
    return RMTK_OK;
}

int rmtk_denoise_threshold(const double *sv, size_t k, int64_t rows, int64_t cols,
                           const rmtk_denoise_params *p, double *eta, rmtk_denoise_result *res)
{
    if (!sv || !p || !eta || !res || rows < 1 || cols < 1 ||
        k != (size_t)(rows < cols ? rows : cols))
        return RMTK_ERR_ARG;
    for (size_t i = 0; i < k; i++)
        if (!(sv[i] >= 0.0) || !isfinite(sv[i]) || (i > 0 && sv[i] > sv[i - 1]))
            return RMTK_ERR_ARG;
    memset(res, 0, sizeof *res);
    res->noise = NAN;
    res->threshold = NAN;
    double n = (double)(rows > cols ? rows : cols);
    double beta = (double)k / n;
    double total = 0.0;
    for (size_t i = 0; i < k; i++)
        total += sv[i] * sv[i];
    if (!(total > 0.0))
        return RMTK_ERR_NUMERIC; /* a zero matrix: nothing to denoise */
    int st;
    double lam, omega, mu;
    if ((p->method == RMTK_DENOISE_GAVISH_DONOHO || p->method == RMTK_DENOISE_MP_EDGE ||
         p->method == RMTK_DENOISE_SHRINK) &&
        (int64_t)k < p->min_values)
        return RMTK_ERR_NUMERIC; /* too few values for a noise level */
    rmtk_mp_law law = {1.0, 1.0, beta, RMTK_MP_EIGEN, 0};
    switch (p->method) {
    case RMTK_DENOISE_GAVISH_DONOHO: {
        int known;
        if ((st = rmtk_denoise_gd_lambda(beta, &lam)) || (st = rmtk_mp_quantile(&law, 0.5, &mu)) ||
            (st = noise_level(sv, k, rows, cols, p, n, mu, &res->noise, &known)))
            return st;
        if (known) {
            res->threshold = lam * sqrt(n) * res->noise; /* eq. (11) */
        } else {
            if ((st = rmtk_denoise_gd_omega(beta, &omega)))
                return st;
            res->threshold = omega * median_desc(sv, k); /* eq. (4) */
        }
        for (size_t i = 0; i < k; i++)
            eta[i] = sv[i] > res->threshold ? sv[i] : 0.0;
        break;
    }
    case RMTK_DENOISE_SHRINK: {
        int known;
        if ((st = rmtk_mp_quantile(&law, 0.5, &mu)) ||
            (st = noise_level(sv, k, rows, cols, p, n, mu, &res->noise, &known)))
            return st;
        res->threshold = (1.0 + sqrt(beta)) * sqrt(n) * res->noise;
        for (size_t i = 0; i < k; i++) {
            double scale = sqrt(n) * res->noise;
            eta[i] = scale * rmtk_denoise_shrink_frobenius(sv[i] / scale, beta);
        }
        break;
    }
    case RMTK_DENOISE_MP_EDGE: {
        rmtk_mp_robust_fit fit;
        if ((st = robust_noise(sv, k, rows, cols, p->alpha, &fit)))
            return st;
        /* The robust fit's bulk, after its j exclusions, is the spectrum of an (n - j) x (m - j)
         * noise matrix of entry variance v (docs/methods/mp.md); the cut is the (1 - alpha)
         * quantile of its largest eigenvalue (Johnstone 2001): tau^2 = v (mu_J + sigma_J
         * q_{1-alpha}) with mu_J, sigma_J for (n - j) x (m - j), i.e. that bulk's upper edge
         * v (sqrt(n - j) + sqrt(m - j))^2 plus the Tracy-Widom margin (tau^2 is never below the
         * edge). The values above it are exactly the fit's j exclusions (each passed the same
         * test under a larger v and shape), unless the fit was capped. */
        double nj = n - (double)fit.n_excluded, mj = (double)k - (double)fit.n_excluded;
        double mu_j, sig_j, q;
        if ((st = rmtk_tw_johnstone(nj, mj, &mu_j, &sig_j)) ||
            (st = rmtk_tw_quantile(1, 1.0 - p->alpha, &q)))
            return st;
        double edge = fit.sigma2 * (sqrt(nj) + sqrt(mj)) * (sqrt(nj) + sqrt(mj));
        double t2 = fit.sigma2 * (mu_j + sig_j * q);
        if (t2 < edge)
            t2 = edge;
        res->noise = sqrt(fit.sigma2);
        res->threshold = sqrt(t2);
        for (size_t i = 0; i < k; i++)
            eta[i] = sv[i] > res->threshold ? sv[i] : 0.0;
        break;
    }
    case RMTK_DENOISE_RANK:
        if (p->rank < 0)
            return RMTK_ERR_ARG;
        for (size_t i = 0; i < k; i++)
            eta[i] = (int64_t)i < p->rank ? sv[i] : 0.0;
        if (p->rank > 0)
            res->threshold = sv[((size_t)p->rank < k ? (size_t)p->rank : k) - 1];
        else
            res->threshold = 0.0;
        break;
    case RMTK_DENOISE_ENERGY: {
        if (!(p->energy > 0.0 && p->energy <= 1.0))
            return RMTK_ERR_ARG;
        double acc = 0.0;
        size_t r = 0;
        while (r < k && acc < p->energy * total)
            acc += sv[r] * sv[r], r++;
        for (size_t i = 0; i < k; i++)
            eta[i] = i < r ? sv[i] : 0.0;
        res->threshold = r > 0 ? sv[r - 1] : 0.0;
        break;
    }
    default:
        return RMTK_ERR_ARG;
    }
    /* ||X^ - X||_F^2 = sum (s_i - eta_i)^2: X and X^ share the singular vectors. */
    double diff = 0.0;
    int64_t kept = 0;
    for (size_t i = 0; i < k; i++) {
        diff += (sv[i] - eta[i]) * (sv[i] - eta[i]);
        kept += eta[i] > 0.0;
    }
    res->kept = kept;
    res->rel_change = sqrt(diff / total);
    return RMTK_OK;
}

/* X^[i][j] = sum_{l < k, eta_l > 0} eta_l u_l[i] v_l[j] (u_l at u + l rows, v_l at v + l cols,
 * the layout of rmtk_spectrum_execute), a rank-one update per kept value: O(kept N M). */
int rmtk_denoise_reconstruct(const double *eta, size_t k, const double *u, const double *v,
                             int64_t rows, int64_t cols, double *dst)
{
    if (!eta || !u || !v || !dst || rows < 1 || cols < 1)
        return RMTK_ERR_ARG;
    memset(dst, 0, (size_t)rows * (size_t)cols * sizeof *dst);
    for (size_t l = 0; l < k; l++) {
        if (!(eta[l] > 0.0))
            continue;
        const double *ul = u + l * (size_t)rows, *vl = v + l * (size_t)cols;
        for (int64_t i = 0; i < rows; i++) {
            double a = eta[l] * ul[i];
            double *row = dst + (size_t)i * (size_t)cols;
            for (int64_t j = 0; j < cols; j++)
                row[j] += a * vl[j];
        }
    }
    return RMTK_OK;
}

/* Factors of X^ = A B with the r kept values (eta_l > 0, in order): A = U_r sqrt(E) (rows x r,
 * row-major), B = sqrt(E) V_r^T (r x cols, row-major). */
int rmtk_denoise_factors(const double *eta, size_t k, const double *u, const double *v,
                         int64_t rows, int64_t cols, double *a, double *b, size_t *r)
{
    if (!eta || !u || !v || !r || rows < 1 || cols < 1)
        return RMTK_ERR_ARG;
    size_t kept = 0;
    for (size_t l = 0; l < k; l++)
        kept += eta[l] > 0.0;
    if (kept && (!a || !b))
        return RMTK_ERR_ARG;
    size_t c = 0;
    for (size_t l = 0; l < k; l++) {
        if (!(eta[l] > 0.0))
            continue;
        double sq = sqrt(eta[l]);
        const double *ul = u + l * (size_t)rows, *vl = v + l * (size_t)cols;
        for (int64_t i = 0; i < rows; i++)
            a[(size_t)i * kept + c] = sq * ul[i];
        for (int64_t j = 0; j < cols; j++)
            b[c * (size_t)cols + (size_t)j] = sq * vl[j];
        c++;
    }
    *r = kept;
    return RMTK_OK;
}
