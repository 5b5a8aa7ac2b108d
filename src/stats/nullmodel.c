/*
 * nullmodel.c: randomised baselines for a weight matrix. An element shuffle keeps the multiset
 * of entries (their law, heavy tails included) and destroys all structure; a matched Gaussian
 * keeps only the entry mean and variance. If a layer's empirical spectral distribution (ESD) is
 * close to its replicas', the layer looks random at the level of its spectrum; learned structure
 * shows as a distance larger than the replicas' spread. Replica r of each kind is drawn from its
 * own counter-based RNG stream, so any replica can be regenerated alone and in any order. The
 * spectra themselves come from the spectrum engine; this module generates replicas and compares
 * spectra (two-sample KS and Wasserstein-1 distances, mean/sd/min/max over replicas).
 */
#include "internal.h"

#include <math.h>
#include <string.h>

#define NULL_STREAM_BASE 0x4E554C4C00000000ull /* "NULL" */

rmtk_null_params rmtk_null_params_default(void)
{
    rmtk_null_params p;
    p.replicas = 5;
    p.seed = 0;
    return p;
}

static int check_shape(const double *a, size_t rows, size_t cols, const double *out, size_t *n)
{
    if (!a || !out || rows == 0 || cols == 0)
        return RMTK_ERR_ARG;
    uint64_t nn;
    if (!rmtk__mul_u64(rows, cols, &nn) || nn > SIZE_MAX / sizeof(double))
        return RMTK_ERR_ARG;
    *n = (size_t)nn;
    return RMTK_OK;
}

/*
 * Fisher-Yates (Durstenfeld): for i = n-1 down to 1, swap x_i with x_j, j uniform on [0, i].
 * Every one of the n! permutations has probability 1/n! given unbiased draws (rmtk_rng_below
 * rejects to remove modulo bias). Overwrites out.
 */
int rmtk_null_shuffle(const double *a, size_t rows, size_t cols, uint64_t seed, uint64_t replica,
                      double *out)
{
    size_t n;
    int st = check_shape(a, rows, cols, out, &n);
    if (st)
        return st;
    if (out != a)
        memcpy(out, a, n * sizeof(double));
    rmtk_rng r;
    rmtk_rng_init(&r, seed, NULL_STREAM_BASE + 2 * replica);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rmtk_rng_below(&r, (uint64_t)i + 1);
        double t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
    return RMTK_OK;
}

/* out_ij = m + s g_ij, m = (1/n) sum a, s^2 = (1/n) sum (a - m)^2 (two passes, n = rows cols). */
int rmtk_null_gaussian(const double *a, size_t rows, size_t cols, uint64_t seed, uint64_t replica,
                       double *out)
{
    size_t n;
    int st = check_shape(a, rows, cols, out, &n);
    if (st)
        return st;
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m += a[i];
    m /= (double)n;
    double v = 0.0;
    for (size_t i = 0; i < n; i++)
        v += (a[i] - m) * (a[i] - m);
    v /= (double)n;
    if (!isfinite(m) || !isfinite(v))
        return RMTK_ERR_NUMERIC;
    double s = sqrt(v);
    rmtk_rng_fill_normal(seed, NULL_STREAM_BASE + 2 * replica + 1, 0, out, n);
    for (size_t i = 0; i < n; i++)
        out[i] = m + s * out[i];
    return RMTK_OK;
}

static void spread(const double *x, size_t n, rmtk_null_spread *sp)
{
    if (n == 0) {
        sp->mean = sp->sd = sp->min = sp->max = NAN;
        return;
    }
    rmtk_mean_sd(x, n, &sp->mean, &sp->sd);
    sp->min = sp->max = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < sp->min)
            sp->min = x[i];
        if (x[i] > sp->max)
            sp->max = x[i];
    }
}

/*
 * For each replica spectrum mu_r (n values): KS_r = sup_x |F_layer(x) - F_r(x)| and
 * W1_r = integral |F_layer(x) - F_r(x)| dx over the empirical CDFs of sorted copies.
 */
int rmtk_null_compare(const double *eig, size_t n, const double *shuf, size_t n_shuffle,
                      const double *gauss, size_t n_gauss, rmtk_null_result *res,
                      double *ks_each, double *w1_each)
{
    if (!eig || !res || n == 0 || n_shuffle + n_gauss == 0 || (n_shuffle && !shuf) ||
        (n_gauss && !gauss))
        return RMTK_ERR_ARG;
    size_t R = n_shuffle + n_gauss;
    for (size_t i = 0; i < n; i++)
        if (isnan(eig[i]))
            return RMTK_ERR_ARG;
    double *base = rmtk__malloc_array(n, sizeof(double));
    double *rep = rmtk__malloc_array(n, sizeof(double));
    double *dist = rmtk__malloc_array(2 * R, sizeof(double));
    if (!base || !rep || !dist) {
        rmtk__free(base);
        rmtk__free(rep);
        rmtk__free(dist);
        return RMTK_ERR_NOMEM;
    }
    int st = RMTK_OK;
    memcpy(base, eig, n * sizeof(double));
    rmtk_sort(base, n);
    double *ks = dist, *w1 = dist + R;
    for (size_t r = 0; r < R && !st; r++) {
        const double *src = r < n_shuffle ? shuf + r * n : gauss + (r - n_shuffle) * n;
        memcpy(rep, src, n * sizeof(double));
        for (size_t i = 0; i < n; i++)
            if (isnan(rep[i]))
                st = RMTK_ERR_ARG;
        if (st)
            break;
        rmtk_sort(rep, n);
        st = rmtk_ks2_statistic(base, n, rep, n, &ks[r]);
        if (!st)
            st = rmtk_wasserstein1(base, n, rep, n, &w1[r]);
    }
    if (!st) {
        spread(ks, n_shuffle, &res->shuffle_ks);
        spread(w1, n_shuffle, &res->shuffle_w1);
        spread(ks + n_shuffle, n_gauss, &res->gauss_ks);
        spread(w1 + n_shuffle, n_gauss, &res->gauss_w1);
        res->n_shuffle = n_shuffle;
        res->n_gauss = n_gauss;
        res->null_ks = res->shuffle_ks.mean;
        if (ks_each)
            memcpy(ks_each, ks, R * sizeof(double));
        if (w1_each)
            memcpy(w1_each, w1, R * sizeof(double));
    }
    rmtk__free(base);
    rmtk__free(rep);
    rmtk__free(dist);
    return st;
}

/* Jensen-Shannon distance of two rank-indexed eigenvalue vectors (rmtk.h). With p, q the
 * normalised vectors and m = (p + q)/2 (scipy normalises (a + b)/2 to m as well: same thing),
 * KL(p || m) = sum_i p_i ln(p_i / m_i) over p_i > 0 (m_i >= p_i / 2 > 0 there). */
int rmtk_null_js_distance(const double *a, const double *b, size_t n, double *out)
{
    if (!a || !b || !out || n == 0)
        return RMTK_ERR_ARG;
    double sa = 0.0, sb = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(a[i] >= 0) || !(b[i] >= 0) || !isfinite(a[i]) || !isfinite(b[i]))
            return RMTK_ERR_ARG;
        sa += a[i];
        sb += b[i];
    }
    if (!(sa > 0) || !(sb > 0))
        return RMTK_ERR_ARG;
    double kp = 0.0, kq = 0.0;
    for (size_t i = 0; i < n; i++) {
        double p = a[i] / sa, q = b[i] / sb, m = 0.5 * (p + q);
        if (p > 0)
            kp += p * log(p / m);
        if (q > 0)
            kq += q * log(q / m);
    }
    double js = 0.5 * (kp + kq);
    *out = sqrt(js > 0 ? js : 0.0);
    return RMTK_OK;
}
