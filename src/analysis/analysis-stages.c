/*
 * analysis-stages.c: the statistics of `rmtk analyze` as stages of the per-matrix pipeline. Each
 * stage calls one module's per-matrix entry point and maps its result to summary.csv columns
 * (docs/report.md) and report.json arrays. A part of a statistic that is not defined for a matrix
 * (too few values, a fit that did not converge) leaves its columns NaN (empty in the CSV, null
 * in JSON) and records the reason; it never fails the matrix.
 */
#include "analysis-internal.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The stages, in order: later stages may use earlier results (levels unfolds through the fitted
 * Marchenko-Pastur law). */
const rmtk__stage rmtk__stages[] = {
    {RMTK_STATS_BASIC, rmtk__stage_basic},
    {RMTK_STATS_MP, rmtk__stage_mp},
    {RMTK_STATS_LEVELS, rmtk__stage_levels},
    {RMTK_STATS_VECTORS, rmtk__stage_vectors},
    {RMTK_STATS_NULL, rmtk__stage_null},
    {RMTK_STATS_ALPHA, rmtk__stage_alpha},
    {RMTK_STATS_TAILS, rmtk__stage_tails},
    {RMTK_STATS_LAWS, rmtk__stage_laws},
};
const size_t rmtk__nstages = sizeof rmtk__stages / sizeof rmtk__stages[0];

/* The 1 % critical value of mp_law_ks for Gaussian matrices: the 99th percentile of the KS
 * distance between the r singular values of an N x r Gaussian matrix (N >= r) and the
 * Marchenko-Pastur law fitted to them by this stage (robust fit, its outliers included). Fitted
 * to simulations with rmtk's own Wishart sampler (bench/calib-mp-ks.c; table and fit in
 * docs/methods/mp.md): crit = 1.77 r^-0.88, within 6 % of every measured p99 for r = 50..560 and
 * q = r/N = 0.1..1 (the aspect ratio does not matter within the sampling error). Eigenvalues
 * repel, so the distance shrinks nearly like 1/r, much faster than the 1/sqrt(r) of independent
 * samples. */
static double mp_ks_crit(size_t r)
{
    return 1.77 * pow((double)r, -0.88);
}

/* The p-values of the robust fit's step-down Tracy-Widom test (rmtk.h, rmtk_mp_fit_robust),
 * recomputed step by step: with l[0..r) ascending (lambda = s^2 of the r non-null values, the fit's
 * shape big x r), step j tests l[r-1-j] against TW_1 of shape (big - j) x (r - j) under the bulk
 * estimate v_j of the r - j smallest values (mean: sum / ((r - j)(big - j)); median: median /
 * Q(1/2)). Steps j = 0..nsteps-1: the n_spikes exclusions and the first step that stopped them
 * (nsteps = n_spikes + 1, or n_spikes when capped). p[0] is the test of "no outlier at all"
 * (column mp_tw_p); the model-level control (analysis-multitest.c) adjusts them all. */
static int stepdown_pvalues(const double *l, size_t r, int64_t big, const rmtk_mp_params *p,
                            size_t nsteps, double *out)
{
    double qmed = 1.0, sum = 0.0;
    if (p->estimator == RMTK_MP_EST_MEDIAN) {
        rmtk_mp_law unit = {1.0, (double)big, (double)r, RMTK_MP_EIGEN, 0};
        int st = rmtk_mp_quantile(&unit, 0.5, &qmed);
        if (st)
            return st;
    }
    for (size_t i = 0; i < r; i++)
        sum += l[i];
    for (size_t j = 0; j < nsteps && j < r; j++) {
        size_t nb = r - j;
        double v = p->estimator == RMTK_MP_EST_MEDIAN
                       ? (nb % 2 ? l[nb / 2] : 0.5 * (l[nb / 2 - 1] + l[nb / 2])) / qmed
                       : sum / ((double)nb * ((double)big - (double)j));
        out[j] = NAN;
        if (v > 0 && isfinite(v))
            rmtk_mp_outlier_pvalue(l[r - 1 - j], v, big - (int64_t)j, (int64_t)(r - j), NULL,
                                   &out[j]);
        sum -= l[r - 1 - j];
    }
    return RMTK_OK;
}

/* Approximate p-value of mp_law_ks for Gaussian matrices. T = mp_law_ks / mp_law_ks_crit has,
 * for Gaussian matrices, a distribution that does not depend on the shape (docs/methods/mp.md:
 * median 0.70-0.75, 99th percentile 1.0 by construction of the critical value). It is modelled
 * as T = a + b K with K Kolmogorov's limiting law (median 0.8276, 99th percentile 1.6276):
 * a = 0.44, b = 0.3625 match the median 0.74 and the 99th percentile 1.03 of 1152 Gaussian
 * 200 x 400 layers (rmtk analyze, 24 seeds; docs/report.md "Multiple testing"), where the model
 * gives P(T > 1.1) = 0.0027 against 0.0017 measured: conservative in the tail the model-level
 * control reads. p = Q_K((T - a) / b), 1 for T <= a. An approximation, documented as such. */
static double mp_ks_pvalue(double ks, double crit)
{
    if (!(ks >= 0) || !(crit > 0))
        return NAN;
    double t = ks / crit;
    return t <= 0.44 ? 1.0 : rmtk_kolmogorov_sf((t - 0.44) / 0.3625);
}

/* mp: robust MP fit (mp_sigma2, edges), Tracy-Widom outliers (n_spikes) with BBP strengths, and
 * the paper's three-parameter fit beside it. REF: methods.md 1.4 B, 4.1, 4.9.
 * Only the r = numerical_rank values above the rounding noise enter: a rank-r matrix (dead
 * units, a low-rank product) is fitted as the max(N, M) x r matrix of its non-null part, so
 * mp_sigma2 is the entry variance of the live block (the 144 zero columns of a 2048 x 256 layer
 * do not pull it to 1e-21). mp_law_ks: KS distance of the bulk (those r singular values less the
 * robust fit's j outliers) to the fitted MP law of the deflated noise, (max(N, M) - j) x (r - j)
 * (singular form, no atom); mp_law_l1: L1 distance of their ESD (lambda / max(N, M)) to it.
 * mp_fit_status: too_few when r < RMTK_ANALYSIS_MIN_LEVELS (the values stay), capped when the
 * exclusions reached r/2, failed when the fit failed or mp_law_ks > mp_law_ks_crit, else ok.
 * mp_paper_status: ok; too_few (r <= 2 window + 2 for 'drop' broadening, r < 3); failed (the
 * profile has no interior minimum). */
int rmtk__stage_mp(rmtk__ctx *c)
{
    rmtk_mp_params p = c->a->p.mp;
    p.alpha = c->a->p.significance;
    double *v = c->e->values;
    size_t r = c->rank;
    int64_t big = RMTK_MAX(c->rows, c->cols);
    v[COL_MP_FIT_STATUS] = RMTK_STAT_TOO_FEW;
    v[COL_MP_PAPER_STATUS] = RMTK_STAT_TOO_FEW;
    if (r < 3 || big < 2)
        return RMTK_OK; /* a zero or rank-1/2 matrix: nothing to fit, the columns stay NaN */
    double *buf = rmtk__malloc_array(4 * r, sizeof(double));
    if (!buf)
        return RMTK_ERR_NOMEM;
    rmtk_mp_result *res = &c->mp;
    int st = rmtk_mp_analyze(c->sv, r, big, (int64_t)r, &p, res, buf, buf + r, buf + 2 * r, r);
    int too_few = r < RMTK_ANALYSIS_MIN_LEVELS;
    if (st == RMTK_OK) {
        c->have_mp = 1;
        v[COL_MP_SIGMA2] = res->sigma2;
        v[COL_MP_LAMBDA_MINUS] = res->lambda_minus;
        v[COL_MP_LAMBDA_PLUS] = res->lambda_plus;
        v[COL_N_SPIKES] = (double)res->n_spikes;
        v[COL_MP_SOFTRANK] = res->softrank;
        v[COL_MP_TW_P_TOP] = res->pvalue_top;
        if (res->paper_status == RMTK_OK) {
            v[COL_MP_PAPER_SIGMA2] = res->paper.sigma2;
            v[COL_MP_PAPER_NU_MAX] = res->paper.nu_max;
            v[COL_MP_PAPER_N_ABOVE] = (double)res->paper.n_above;
            v[COL_MP_PAPER_STATUS] = RMTK_STAT_OK;
        } else {
            size_t w = p.window > 0 ? (size_t)p.window : 0;
            int few = p.broadening == RMTK_MP_BROADEN_DROP ? r <= 2 * w + 2 : r < 3;
            v[COL_MP_PAPER_STATUS] = few ? RMTK_STAT_TOO_FEW : RMTK_STAT_FAILED;
        }
        /* KS distance of the bulk to the fitted law: the b = r - j values the robust fit kept
         * (ascending) against the Marchenko-Pastur law of the noise deflated by the j signal
         * directions, (max(N, M) - j) x b with v = mp_sigma2 (the law the robust fit estimates
         * v for; with j = 0 the plain KS distance of the r values). */
        double *asc = buf + 3 * r;
        for (size_t i = 0; i < r; i++)
            asc[i] = c->sv[r - 1 - i];
        size_t nj = res->robust.n_excluded > 0 ? (size_t)res->robust.n_excluded : 0;
        size_t b = nj < r ? r - nj : 0;
        rmtk_mp_law ml = {res->sigma2, (double)big - (double)nj, (double)b, RMTK_MP_SINGULAR, 0};
        double ks = NAN;
        if (res->sigma2 > 0 && b > 0 && rmtk_ks_statistic(asc, b, rmtk_mp_cdf, &ml, &ks) == RMTK_OK)
            v[COL_MP_LAW_KS] = ks;
        double crit = mp_ks_crit(r);
        v[COL_MP_LAW_KS_CRIT] = crit;
        v[COL_MP_LAW_KS_P] = mp_ks_pvalue(ks, crit);
        /* L1 distance of the ESD (lambda / max(N, M), the r non-null values) to the law, through
         * the theory module (the scale rmtk simulate --theory uses). */
        for (size_t i = 0; i < r; i++)
            asc[i] = asc[i] * asc[i] / (double)big;
        rmtk_law_params law;
        rmtk_law_params_default(&law);
        law.law = RMTK_LAW_MP;
        law.ratio = (double)r / (double)big;
        law.sigma2 = res->sigma2;
        rmtk_law_comparison cmp;
        if (res->sigma2 > 0 && rmtk_law_compare(&law, asc, r, 1e-8, 50, &cmp) == RMTK_OK)
            v[COL_MP_LAW_L1] = cmp.l1;
        v[COL_MP_FIT_STATUS] = too_few                ? RMTK_STAT_TOO_FEW
                               : res->robust.capped   ? RMTK_STAT_CAPPED
                               : !(ks <= crit)        ? RMTK_STAT_FAILED
                                                      : RMTK_STAT_OK;
        size_t ns = (size_t)res->n_spikes < r ? (size_t)res->n_spikes : r;
        /* the step-down p-values, on lambda = s^2 ascending */
        size_t nsteps = res->robust.capped ? ns : ns + 1;
        nsteps = nsteps < r ? nsteps : r;
        for (size_t i = 0; i < r; i++)
            asc[i] = c->sv[r - 1 - i] * c->sv[r - 1 - i];
        double *steps = rmtk__malloc_array(nsteps ? nsteps : 1, sizeof(double));
        if (!steps) {
            rmtk__free(buf);
            return RMTK_ERR_NOMEM;
        }
        st = stepdown_pvalues(asc, r, big, &p, nsteps, steps);
        if (!st && nsteps)
            v[COL_MP_TW_P] = steps[0];
        if (!st)
            st = rmtk__entry_set_array(c->e, "mp_tw_p_steps", steps, nsteps);
        rmtk__free(steps);
        if (!st)
            st = rmtk__entry_set_array(c->e, "spike_lambda", buf, ns);
        if (!st)
            st = rmtk__entry_set_array(c->e, "spike_theta", buf + r, ns);
        if (!st)
            st = rmtk__entry_set_array(c->e, "spike_tw_pvalue", buf + 2 * r, ns);
    } else if (st == RMTK_ERR_NUMERIC) {
        v[COL_MP_FIT_STATUS] = too_few ? RMTK_STAT_TOO_FEW : RMTK_STAT_FAILED;
        st = RMTK_OK; /* the columns stay NaN */
    }
    rmtk__free(buf);
    return st;
}

static double ok_or_nan(int reason, double x)
{
    return reason == RMTK_TAIL_OK ? x : NAN;
}

/* alpha: WeightWatcher's default power-law fit (rmtk_ww_fit_run: every xmin candidate, the
 * smallest KS distance) on lambda = sigma^2 of the numerical_rank values above the rounding
 * noise, and its companions alpha_weighted = alpha log10 lambda_max, log_alpha_norm = log10 sum
 * lambda^alpha. One sort and an O(n) scan per candidate set: cheap, on by default (the CSN fit
 * with its bootstrap is the tails stage, on request). tails_status: degenerate (flat spectrum),
 * ok (n_tail >= RMTK_ANALYSIS_MIN_TAIL), else too_few. ww_warning: WeightWatcher's
 * 'over-trained' (alpha < 2) = 1 and 'under-trained' (alpha > 6) = 2 flags, 0 otherwise; a
 * heuristic of that literature (Martin & Mahoney, JMLR 22 (2021) 165; weightwatcher's
 * ALPHA_WARNING thresholds), kept out of rmtk's verdict. With --fit tpl|e_tpl also
 * WeightWatcher's truncated power law (rmtk_tpl_fit_run; tpl_* columns, O(n^2)). REF: methods.md
 * 1.4 G. */
int rmtk__stage_alpha(rmtk__ctx *c)
{
    size_t k = c->rank;
    double *v = c->e->values;
    v[COL_TAILS_STATUS] = c->degenerate ? RMTK_STAT_DEGENERATE : RMTK_STAT_TOO_FEW;
    if (c->degenerate || k == 0)
        return RMTK_OK;
    double *lam = rmtk__malloc_array(k, sizeof(double));
    if (!lam)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < k; i++)
        lam[i] = c->sv[i] * c->sv[i];
    rmtk_ww_fit ww;
    memset(&ww, 0, sizeof ww);
    int st = rmtk_ww_fit_ex(lam, k, &c->a->p.tails.ww, &ww);
    if ((st == RMTK_OK || st == RMTK_ERR_NUMERIC || st == RMTK_ERR_ARG) &&
        c->a->p.tails.ww.fit != RMTK_WW_FIT_PL) {
        /* --fit tpl|e_tpl: WeightWatcher's truncated power law beside the power law */
        rmtk_tpl_fit t;
        int st2 = rmtk_tpl_fit_run(lam, k, &c->a->p.tails.ww, &t);
        if (st2 == RMTK_ERR_NOMEM) {
            rmtk__free(lam);
            return st2;
        }
        if (st2 == RMTK_OK && t.reason == RMTK_TAIL_OK) {
            v[COL_TPL_ALPHA] = t.alpha;
            v[COL_TPL_LAMBDA] = t.lambda;
            v[COL_TPL_XMIN] = t.xmin;
            v[COL_TPL_KS_D] = t.ks_d;
            v[COL_TPL_N_TAIL] = (double)t.n_tail;
            v[COL_TPL_R] = t.lr_norm;
            v[COL_TPL_P] = t.p;
        }
    }
    rmtk__free(lam);
    if (st == RMTK_ERR_NUMERIC || st == RMTK_ERR_ARG)
        return RMTK_OK; /* fewer than 2 kept values, all equal, no xmin_peak candidate, an
                           integer xmax above half the values: no fit, columns NaN */
    if (st)
        return st;
    int w = ww.reason;
    v[COL_ALPHA] = ok_or_nan(w, ww.alpha);
    v[COL_ALPHA_ERR] = ok_or_nan(w, ww.alpha_err);
    v[COL_ALPHA_WEIGHTED] = ok_or_nan(w, ww.alpha_weighted);
    v[COL_LOG_ALPHA_NORM] = ok_or_nan(w, ww.log_alpha_norm);
    v[COL_XMIN] = ok_or_nan(w, ww.xmin);
    v[COL_KS_D] = ok_or_nan(w, ww.ks_d);
    v[COL_N_TAIL] = ok_or_nan(w, (double)ww.num_pl_spikes);
    if (w == RMTK_TAIL_OK)
        v[COL_WW_WARNING] = ww.alpha < 2.0 ? 1 : ww.alpha > 6.0 ? 2 : 0;
    if (w == RMTK_TAIL_OK && c->a->p.tails.ww.fix_fingers == RMTK_WW_CLIP_XMAX)
        v[COL_NUM_FINGERS] = (double)ww.num_fingers;
    v[COL_TAILS_STATUS] = w == RMTK_TAIL_OK && ww.num_pl_spikes >= RMTK_ANALYSIS_MIN_TAIL
                              ? RMTK_STAT_OK
                              : RMTK_STAT_TOO_FEW;
    return RMTK_OK;
}

/* tails: rmtk's CSN power-law fit with bootstrap goodness of fit,
 * likelihood-ratio tests, Hill plateau; all on lambda = sigma^2 of the numerical_rank values
 * above the rounding noise. tails_status: degenerate (flat spectrum: no tail, columns empty), ok
 * (the WeightWatcher fit has n_tail >= RMTK_ANALYSIS_MIN_TAIL), else too_few (values stay in the
 * CSV, no tail verdict). REF: methods.md 1.4 G-H, 4.10. */
int rmtk__stage_tails(rmtk__ctx *c)
{
    rmtk_tails_params p = c->a->p.tails;
    p.powerlaw.seed = c->seed;
    p.powerlaw.threads = (uint32_t)(c->inner_threads > 0 ? c->inner_threads : 1);
    size_t k = c->rank; /* the values above the rounding noise */
    if (c->degenerate || k == 0)
        return RMTK_OK; /* a flat spectrum has no tail (alpha would be 1e8), a zero one neither */
    double *buf = rmtk__malloc_array(5 * k, sizeof(double));
    if (!buf)
        return RMTK_ERR_NOMEM;
    rmtk_tails_result r;
    memset(&r, 0, sizeof r);
    int st = rmtk_tails_analyze(c->sv, k, &p, &r, buf, buf + k, k, buf + 2 * k, buf + 3 * k,
                                buf + 4 * k, k);
    if (st == RMTK_OK) {
        double *v = c->e->values;
        int s = r.csn.reason;
        v[COL_CSN_ALPHA] = ok_or_nan(s, r.csn.alpha);
        v[COL_CSN_ALPHA_ERR] = ok_or_nan(s, r.csn.alpha_err);
        v[COL_CSN_XMIN] = ok_or_nan(s, r.csn.xmin);
        v[COL_CSN_KS_D] = ok_or_nan(s, r.csn.ks_d);
        v[COL_CSN_N_TAIL] = ok_or_nan(s, (double)r.csn.n_tail);
        v[COL_CSN_P_GOF] = ok_or_nan(s, r.csn.p_gof);
        v[COL_LR_LOGNORMAL] = ok_or_nan(r.lr_lognormal.reason, r.lr_lognormal.r_norm);
        v[COL_LR_LOGNORMAL_P] = ok_or_nan(r.lr_lognormal.reason, r.lr_lognormal.p);
        v[COL_LR_EXPONENTIAL] = ok_or_nan(r.lr_exponential.reason, r.lr_exponential.r_norm);
        v[COL_LR_EXPONENTIAL_P] = ok_or_nan(r.lr_exponential.reason, r.lr_exponential.p);
        v[COL_HILL_DEFINED] = r.hill.reason == RMTK_TAIL_TOO_FEW ? NAN : (double)r.hill.defined;
        v[COL_HILL_ALPHA] = r.hill.defined ? r.hill.alpha : NAN;
        st = rmtk__entry_set_array(c->e, "hill_alpha", buf, r.hill_len);
        if (!st)
            st = rmtk__entry_set_array(c->e, "hill_alpha_err", buf + k, r.hill_len);
        if (!st)
            st = rmtk__entry_set_array(c->e, "ks_xmin", buf + 2 * k, r.ks_len);
        if (!st)
            st = rmtk__entry_set_array(c->e, "ks_alpha", buf + 3 * k, r.ks_len);
        if (!st)
            st = rmtk__entry_set_array(c->e, "ks_d", buf + 4 * k, r.ks_len);
    } else if (st == RMTK_ERR_ARG) {
        /* Only a zero matrix gets here (sv >= 0 and finite): no tail to fit. */
        st = RMTK_OK;
    }
    rmtk__free(buf);
    return st;
}

/* Simes' combination of the non-NaN p-values of x[0..n): min_i m p_(i) / i (m of them), a
 * valid p-value for "every vector follows Porter-Thomas" under independence or positive
 * dependence. REF: Simes, Biometrika 73 (1986) 751. Sorts a copy in place of x (x is the
 * caller's scratch, reordered). */
static double simes(double *x, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            x[m++] = x[i];
    if (m == 0)
        return NAN;
    rmtk_sort(x, m);
    double best = 1.0;
    for (size_t i = 0; i < m; i++)
        best = fmin(best, (double)m * x[i] / (double)(i + 1));
    return best;
}

/* vectors: Porter-Thomas tests (exact finite-N component law, Monte-Carlo-calibrated null by
 * default) and IPRs of the left and right singular vectors whose singular value is above the
 * numerical-rank threshold sigma_1 max(N, M) eps(stored dtype): below it a vector is an arbitrary direction of
 * the null space that dgesdd happened to return (identity columns for a zero matrix), not a
 * property of the layer. Untested vectors get NaN p-values and IPRs.
 * REF: methods.md 1.4 E-F, 4.5. */
int rmtk__stage_vectors(rmtk__ctx *c)
{
    size_t k = c->k;
    if (!c->u || !c->v)
        return RMTK_OK; /* a given spectrum: no vectors */
    size_t kt = c->rank;
    c->e->values[COL_PT_N_TESTED] = (double)(2 * kt);
    if (kt == 0)
        return RMTK_OK; /* a zero matrix: no vector means anything (columns stay NaN) */
    double *buf = rmtk__malloc_array(4 * k, sizeof(double));
    if (!buf)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < 4 * k; i++)
        buf[i] = NAN;
    rmtk_vectors_result r;
    memset(&r, 0, sizeof r);
    r.p_left = buf;
    r.p_right = buf + k;
    r.ipr_left = buf + 2 * k;
    r.ipr_right = buf + 3 * k;
    int st = rmtk_vectors_analyze(c->vws, c->u, (size_t)c->rows, c->v, (size_t)c->cols, kt, c->sv,
                                  &r);
    if (st == RMTK_OK) {
        double *v = c->e->values;
        v[COL_PT_FRAC_REJECTED] = r.pt_frac_rejected;
        v[COL_PT_TOP_DECILE_FRAC_REJECTED] = r.pt_top_decile_frac_rejected;
        v[COL_IPR_MEAN] = r.ipr_mean;
        v[COL_IPR_REF] = r.ipr_ref;
        st = rmtk__entry_set_array(c->e, "pt_p_left", r.p_left, k);
        if (!st)
            st = rmtk__entry_set_array(c->e, "pt_p_right", r.p_right, k);
        if (!st)
            st = rmtk__entry_set_array(c->e, "ipr_left", r.ipr_left, k);
        if (!st)
            st = rmtk__entry_set_array(c->e, "ipr_right", r.ipr_right, k);
        if (!st)
            st = rmtk__entry_set_array(c->e, "pt_decile_frac_rejected",
                                       r.pt_decile_frac_rejected, 10);
        /* Two whole left vectors for the component histograms of the report: the top one
         * (largest singular value) and one from the middle of the bulk (index k / 2). */
        if (!st)
            st = rmtk__entry_set_array(c->e, "vec_top_left", c->u, (size_t)c->rows);
        if (!st)
            st = rmtk__entry_set_array(c->e, "vec_bulk_left", c->u + (kt / 2) * (size_t)c->rows,
                                       (size_t)c->rows);
        if (!st) /* last: simes reorders p_left, p_right (buf[0..2k)) */
            v[COL_PT_P_SIMES] = simes(buf, 2 * k);
    } else if (st == RMTK_ERR_ARG && (c->rows < 3 || c->cols < 3 || kt < k)) {
        st = RMTK_OK; /* vectors of dimension < 3, or too few tested vectors for a pooled
                         method: no test (columns stay NaN) */
    } else if (st == RMTK_ERR_NUMERIC) {
        rmtk__fail(c->errmsg, st, "Porter-Thomas test: a zero or non-finite singular vector");
    }
    rmtk__free(buf);
    return st;
}

/* WeightWatcher's randomised columns (apply_random_esd, apply_mp_fit(random=True); read and
 * rewritten) from the first element shuffle rep[0..k) (lambda = sigma^2, largest first) and the
 * layer's lambda eig[0..k) (largest first): rand_distance = rmtk_null_js_distance of the two
 * sorted ascending; max_rand_eval = the shuffle's lambda_max; ww_softrank = max_rand_eval /
 * lambda_max; ww_maxdist = lambda_max - max_rand_eval; rand_num_spikes = n_spikes of rmtk's
 * robust MP fit of the shuffle (WeightWatcher uses its own MP fit there, and a second shuffle
 * for rand_distance; one seeded shuffle serves all here). Only the numerical_rank values of each
 * enter the MP fit, as in the mp stage. */
static int ww_random_columns(rmtk__ctx *c, const double *eig, const double *rep)
{
    size_t k = c->k;
    double *v = c->e->values;
    double *buf = rmtk__malloc_array(2 * k + 4 * k, sizeof(double));
    if (!buf)
        return RMTK_ERR_NOMEM;
    double *a = buf, *b = buf + k, *sv = buf + 2 * k;
    for (size_t i = 0; i < k; i++) {
        a[i] = eig[k - 1 - i];
        b[i] = rep[k - 1 - i];
    }
    double js;
    if (rmtk_null_js_distance(a, b, k, &js) == RMTK_OK)
        v[COL_RAND_DISTANCE] = js;
    double lmax = eig[0], rmax = rep[0];
    v[COL_MAX_RAND_EVAL] = rmax;
    v[COL_WW_SOFTRANK] = lmax > 0 ? rmax / lmax : NAN;
    v[COL_WW_MAXDIST] = lmax - rmax;
    for (size_t i = 0; i < k; i++)
        sv[i] = sqrt(rep[i] > 0 ? rep[i] : 0.0);
    size_t r = rmtk__numerical_rank(sv, k, c->rows, c->cols, DBL_EPSILON);
    int64_t big = RMTK_MAX(c->rows, c->cols);
    rmtk_mp_params p = c->a->p.mp;
    p.alpha = c->a->p.significance;
    rmtk_mp_result res;
    if (r >= 3 && rmtk_mp_analyze(sv, r, big, (int64_t)r, &p, &res, sv + k, sv + 2 * k,
                                  sv + 3 * k, r) == RMTK_OK)
        v[COL_RAND_NUM_SPIKES] = (double)res.n_spikes;
    rmtk__free(buf);
    return RMTK_OK;
}

/* null: R element shuffles and R matched Gaussians of the matrix, their spectra through the
 * worker's plan, and the KS / Wasserstein-1 distances of the layer's ESD (lambda = sigma^2) to
 * theirs. REF: docs/methods/nullmodel.md. */
int rmtk__stage_null(rmtk__ctx *c)
{
    const rmtk_null_params *np = &c->a->p.null;
    size_t k = c->k, R = (size_t)np->replicas, rows = (size_t)c->rows, cols = (size_t)c->cols;
    if (R == 0 || !c->mat)
        return RMTK_OK; /* no replicas asked, or a given spectrum (no matrix to shuffle) */
    double *eig = rmtk__malloc_array((2 * R + 1) * k + 4 * R, sizeof(double));
    if (!eig)
        return RMTK_ERR_NOMEM;
    double *rep = eig + k, *ks_each = eig + (2 * R + 1) * k, *w1_each = ks_each + 2 * R;
    for (size_t i = 0; i < k; i++)
        eig[i] = c->sv[i] * c->sv[i];
    rmtk_matrix_view view = {c->scratch, c->rows, c->cols, c->cols, 1, RMTK_DTYPE_F64, 0, 0, 0};
    int st = RMTK_OK;
    for (size_t r = 0; r < 2 * R && !st; r++) {
        bool shuffle = r < R;
        st = shuffle ? rmtk_null_shuffle(c->mat, rows, cols, c->seed, r, c->scratch)
                     : rmtk_null_gaussian(c->mat, rows, cols, c->seed, r - R, c->scratch);
        if (!st)
            st = rmtk_spectrum_execute(c->plan, view, rep + r * k, NULL, NULL, NULL);
        if (st)
            rmtk__fail(c->errmsg, st, "null model replica %zu: %s", r,
                       rmtk_spectrum_errmsg(c->plan));
        for (size_t i = 0; !st && i < k; i++)
            rep[r * k + i] *= rep[r * k + i];
    }
    rmtk_null_result res;
    if (!st)
        st = ww_random_columns(c, eig, rep);
    if (!st)
        st = rmtk_null_compare(eig, k, rep, R, rep + R * k, R, &res, ks_each, w1_each);
    if (!st) {
        double *v = c->e->values;
        v[COL_NULL_KS] = res.null_ks;
        v[COL_NULL_KS_SD] = res.shuffle_ks.sd;
        v[COL_NULL_W1] = res.shuffle_w1.mean;
        v[COL_NULL_GAUSS_KS] = res.gauss_ks.mean;
        st = rmtk__entry_set_array(c->e, "null_ks_each", ks_each, 2 * R);
        if (!st)
            st = rmtk__entry_set_array(c->e, "null_w1_each", w1_each, 2 * R);
    }
    rmtk__free(eig);
    return st;
}

/* Two-sided p-value P(|T| >= |t|) of Student's t with nu >= 1 degrees of freedom, by the
 * finite series of Abramowitz & Stegun 26.7.3-4: theta = atan(|t| / sqrt nu),
 *   nu odd:  A = (2/pi) (theta + sin theta cos theta [1 + 2/3 cos^2 + (2 4)/(3 5) cos^4 + ...
 *            + (2 4 ... (nu-3))/(3 5 ... (nu-2)) cos^(nu-3)])   (A = 2 theta / pi for nu = 1),
 *   nu even: A = sin theta [1 + 1/2 cos^2 + (1 3)/(2 4) cos^4 + ... + (1 3 ... (nu-3))/(2 4 ...
 *            (nu-2)) cos^(nu-2)],
 * p = 1 - A. O(nu); absolute error ~1e-16 (tests/test-analysis.c checks it against scipy). */
static double student_t_p2(double t, size_t nu)
{
    if (isnan(t) || nu == 0)
        return NAN;
    double th = atan(fabs(t) / sqrt((double)nu)), c = cos(th), sn = sin(th), c2 = c * c, a;
    if (nu % 2) {
        double term = 1.0, sum = nu > 1 ? 1.0 : 0.0;
        for (size_t k = 3; k + 2 <= nu; k += 2) {
            term *= c2 * (double)(k - 1) / (double)k;
            sum += term;
        }
        a = 2.0 / RMTK_PI * (th + sn * c * sum);
    } else {
        double term = 1.0, sum = 1.0;
        for (size_t k = 2; k + 2 <= nu; k += 2) {
            term *= c2 * (double)(k - 1) / (double)k;
            sum += term;
        }
        a = sn * sum;
    }
    return fmin(1.0, fmax(0.0, 1.0 - a));
}

/* levels: spacing ratios, unfolded spacings (KS vs Wigner surmise, exact GOE, Poisson), Brody
 * fits, number variance and spectral rigidity. REF: methods.md 1.4 A, C, D; 4.3, 4.4. On the
 * numerical_rank values above the rounding noise. levels_status: degenerate (flat spectrum:
 * columns empty), ok (n_unfolded >= RMTK_ANALYSIS_MIN_LEVELS), too_few (fewer: the values stay
 * in the CSV when there are at least 3 levels, no verdict), failed (unfolding through the MP
 * law without an MP fit). With
 * unfolding through the fitted MP law, the bulk (the values below the spikes) is unfolded with
 * the mp stage's singular-value CDF scaled to the bulk count. */
int rmtk__stage_levels(rmtk__ctx *c)
{
    rmtk_levels_params p = c->a->p.levels;
    p.seed = c->seed;
    const double *lev = c->sv;
    /* the values above the rounding noise of a rank-deficient matrix (largest first) */
    size_t n = c->rank;
    double *status = &c->e->values[COL_LEVELS_STATUS];
    *status = RMTK_STAT_TOO_FEW;
    if (c->degenerate) {
        *status = RMTK_STAT_DEGENERATE; /* spacings of rounding noise: no statistic */
        return RMTK_OK;
    }
    rmtk_mp_law law;
    if (p.unfold.method == RMTK_UNFOLD_CDF && !p.unfold.cdf) {
        if (!c->have_mp) {
            *status = n < RMTK_ANALYSIS_MIN_LEVELS ? RMTK_STAT_TOO_FEW : RMTK_STAT_FAILED;
            return RMTK_OK; /* no MP fit for this matrix: the columns stay NaN */
        }
        size_t spikes = (size_t)c->mp.n_spikes;
        lev = c->sv + (spikes < n ? spikes : n); /* largest first: skip the spikes */
        n -= spikes < n ? spikes : n;
        memset(&law, 0, sizeof law);
        law.sigma2 = c->mp.sigma2;
        law.rows = (double)RMTK_MAX(c->rows, c->cols); /* the mp stage's shape: max(N, M) x r */
        law.cols = (double)c->rank;
        law.form = RMTK_MP_SINGULAR;
        law.atom = 0;
        p.unfold.cdf = rmtk_mp_cdf;
        p.unfold.cdf_params = &law;
        p.unfold.cdf_scale = (double)n;
    }
    size_t nl = p.L && p.n_L ? p.n_L : 32, bins = p.ratio_bins ? p.ratio_bins : 1;
    size_t total = 2 * n + 3 * bins + 7 * nl;
    double *buf = rmtk__malloc_array(total ? total : 1, sizeof(double));
    if (!buf)
        return RMTK_ERR_NOMEM;
    rmtk_levels_result r;
    memset(&r, 0, sizeof r);
    double *q = buf;
    r.spacings = q, r.spacings_cap = n, q += n;
    r.ratios = q, r.ratios_cap = n, q += n;
    r.ratio_hist = q, q += bins;
    r.ratio_hist_goe = q, q += bins;
    r.ratio_hist_poisson = q, q += bins;
    r.curve_L = q, q += nl;
    r.sigma2 = q, q += nl;
    r.sigma2_goe = q, q += nl;
    r.sigma2_poisson = q, q += nl;
    r.delta3 = q, q += nl;
    r.delta3_goe = q, q += nl;
    r.delta3_poisson = q;
    int st = n >= 3 ? rmtk_levels_analyze(lev, n, &p, &r) : RMTK_ERR_NUMERIC;
    if (st == RMTK_OK) {
        double *v = c->e->values;
        v[COL_R_MEAN] = r.r_mean;
        v[COL_R_SEM] = r.r_sem;
        /* r_p_goe: two-sided Student-t p of t = (r_mean - <r~>_GOE) / r_sem, <r~>_GOE =
         * 4 - 2 sqrt 3 (Atas et al., PRL 110, 084101, 2013), with the degrees of freedom of
         * r_sem (rmtk_ratio_mean: batch means over blocks of 10 ratios, B - 1 for B = m / 10
         * blocks when m >= 100 ratios; m - 1 otherwise). */
        if (r.r_sem > 0 && r.n_ratios >= 2) {
            size_t m = r.n_ratios, df = m >= 100 ? m / 10 - 1 : m - 1;
            v[COL_R_P_GOE] = student_t_p2((r.r_mean - (4.0 - 2.0 * sqrt(3.0))) / r.r_sem, df);
        }
        v[COL_KS_P_WIGNER] = r.ks_p_wigner;
        v[COL_KS_P_GOE] = r.ks_p_goe;
        v[COL_KS_P_POISSON] = r.ks_p_poisson;
        v[COL_BRODY_BETA] = r.brody_beta;
        v[COL_BRODY_BETA_ERR] = r.brody_beta_err;
        v[COL_BRODY_BETA_LS] = r.brody_beta_ls;
        v[COL_BRODY_BETA_LS_ERR] = r.brody_beta_ls_err;
        v[COL_SIGMA2_L1] = r.sigma2_L1;
        v[COL_SIGMA2_L5] = r.sigma2_L5;
        v[COL_DELTA3_L5] = r.delta3_L5;
        v[COL_N_UNFOLDED] = (double)r.n_unfolded;
        *status = r.n_unfolded >= RMTK_ANALYSIS_MIN_LEVELS ? RMTK_STAT_OK : RMTK_STAT_TOO_FEW;
        struct {
            const char *key;
            const double *x;
            size_t n;
        } arrays[] = {
            {"unfolded_spacings", r.spacings, r.n_spacings},
            {"spacing_ratios", r.ratios, r.n_ratios},
            {"ratio_hist", r.ratio_hist, bins},
            {"ratio_hist_goe", r.ratio_hist_goe, bins},
            {"ratio_hist_poisson", r.ratio_hist_poisson, bins},
            {"curve_L", r.curve_L, r.n_curve},
            {"sigma2", r.sigma2, r.n_curve},
            {"sigma2_goe", r.sigma2_goe, r.n_curve},
            {"sigma2_poisson", r.sigma2_poisson, r.n_curve},
            {"delta3", r.delta3, r.n_curve},
            {"delta3_goe", r.delta3_goe, r.n_curve},
            {"delta3_poisson", r.delta3_poisson, r.n_curve},
        };
        for (size_t i = 0; !st && i < sizeof arrays / sizeof arrays[0]; i++)
            st = rmtk__entry_set_array(c->e, arrays[i].key, arrays[i].x, arrays[i].n);
    } else if (st == RMTK_ERR_NUMERIC) {
        st = RMTK_OK; /* fewer than 3 levels or all equal: the columns stay NaN */
    }
    rmtk__free(buf);
    return st;
}

/* laws: law selection of the bulk (rmtk_fitlaw; docs/methods/laws.md). The bulk is the
 * numerical_rank values above the rounding noise less the MP stage's outliers (the robust fit's
 * n_spikes; the fit is run here when the mp stage is off), as lambda = s^2 / max(N, M) of the
 * deflated (max(N, M) - j) x (r - j) noise, as in the mp stage; the null part (cols - r zero
 * eigenvalues of W^T W) is set aside and reported as law_zero_atom = 1 - r / cols. Needs
 * RMTK_ANALYSIS_MIN_LEVELS bulk values,
 * else the columns stay empty. Arrays: law_codes, law_scales, law_shapes (every candidate, in
 * the order of rmtk_fitlaw_result) for the figure. */
int rmtk__stage_laws(rmtk__ctx *c)
{
    double *v = c->e->values;
    size_t r = c->rank;
    int64_t big = RMTK_MAX(c->rows, c->cols);
    if (r < RMTK_ANALYSIS_MIN_LEVELS || c->degenerate)
        return RMTK_OK;
    int64_t j = 0;
    if (c->have_mp) {
        j = c->mp.n_spikes;
    } else {
        rmtk_mp_params mp = c->a->p.mp;
        mp.alpha = c->a->p.significance;
        rmtk_mp_robust_fit fit;
        if (rmtk_mp_fit_robust(c->sv, r, big, (int64_t)r, &mp, &fit) == RMTK_OK)
            j = fit.n_excluded;
    }
    size_t nb = r - (size_t)j;
    if (nb < RMTK_ANALYSIS_MIN_LEVELS)
        return RMTK_OK;
    double *y = rmtk__malloc_array(nb, sizeof *y);
    if (!y)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < nb; i++) {
        double s = c->sv[(size_t)j + i];
        y[i] = s * s / (double)big;
    }
    rmtk_fitlaw_params p = c->a->p.laws;
    p.seed = c->seed;
    rmtk_fitlaw_result res;
    int st = rmtk_fitlaw(y, nb, big - j, (int64_t)nb, &p, &res);
    rmtk__free(y);
    if (st == RMTK_ERR_NOMEM)
        return st;
    if (st || res.best < 0)
        return RMTK_OK; /* no law could be fitted: columns stay empty */
    const rmtk_fitlaw_candidate *b = &res.cand[res.best];
    v[COL_LAW_BEST] = b->code;
    v[COL_LAW_SCALE] = b->scale;
    v[COL_LAW_SCALE_ERR] = b->scale_se;
    v[COL_LAW_SHAPE] = b->shape;
    v[COL_LAW_SHAPE_ERR] = b->shape_se;
    v[COL_LAW_KS_BEST] = b->ks;
    v[COL_LAW_P_BEST] = b->ks_p;
    v[COL_LAW_ZERO_ATOM] = 1.0 - (double)r / (double)c->cols;
    v[COL_LAW_N] = (double)nb;
    int alt = -1;
    for (size_t k = 1; k < res.n_cand; k++)
        if (!res.cand[k].status && (alt < 0 || res.cand[k].bic < res.cand[alt].bic))
            alt = (int)k;
    if (alt >= 0) {
        v[COL_LAW_ALT] = res.cand[alt].code;
        v[COL_LAW_DELTA_BIC] = res.cand[0].bic - res.cand[alt].bic;
    }
    double codes[RMTK_FITLAW_MAX_CAND], scales[RMTK_FITLAW_MAX_CAND],
        shapes[RMTK_FITLAW_MAX_CAND];
    for (size_t k = 0; k < res.n_cand; k++) {
        const rmtk_fitlaw_candidate *cd = &res.cand[k];
        int col = cd->code == RMTK_FITLAW_MP                ? COL_LAW_KS_MP
                  : cd->code == RMTK_FITLAW_MP_SEMICIRCLE ? COL_LAW_KS_MPSC
                  : cd->code == RMTK_FITLAW_SPARSE        ? COL_LAW_KS_SPARSE
                                                          : COL_LAW_KS_W2 + 3 * (cd->code - 2);
        if (!cd->status) {
            v[col] = cd->ks;
            v[col + 1] = cd->ks_p;
            v[col + 2] = cd->bic;
        }
        codes[k] = cd->code;
        scales[k] = cd->status ? NAN : cd->scale;
        shapes[k] = cd->shape;
    }
    st = rmtk__entry_set_array(c->e, "law_codes", codes, res.n_cand);
    if (!st)
        st = rmtk__entry_set_array(c->e, "law_scales", scales, res.n_cand);
    if (!st)
        st = rmtk__entry_set_array(c->e, "law_shapes", shapes, res.n_cand);
    return st;
}

static const char *law_long_name(double code, char *tmp, size_t size)
{
    if (code == RMTK_FITLAW_MP)
        return "MP";
    if (code == RMTK_FITLAW_MP_SEMICIRCLE)
        return "MP free-plus semicircle";
    if (code == RMTK_FITLAW_SPARSE)
        return "a sparse percolated Wishart matrix";
    snprintf(tmp, size, "a product of %d Wishart matrices", (int)code);
    return tmp;
}

/* "bulk better described by a product of 2 Wishart matrices than by MP: dBIC = 153.2 (KS 0.012,
 * p 0.61; MP: ...)" or "bulk best described by MP (KS 0.003, p 0.9); next best: ..., worse by
 * dBIC = 12.0"; the same text as rmtk_fitlaw_verdict. When the best law's KS p-value is below the
 * significance level: "no candidate law describes the bulk ..." (BIC only ranks the candidates). */
void rmtk__law_verdict(const double *v, double significance, char *buf, size_t size)
{
    if (!size)
        return;
    buf[0] = 0;
    if (!isfinite(v[COL_LAW_BEST]))
        return;
    char t1[64], t2[64];
    if (v[COL_LAW_P_BEST] < significance) /* the best by BIC is rejected too */
        snprintf(buf, size,
                 "no candidate law describes the bulk (KS p < %.2g); smallest BIC: %s (KS %.3g, "
                 "p %.2g; MP: KS %.3g)",
                 significance, law_long_name(v[COL_LAW_BEST], t1, sizeof t1), v[COL_LAW_KS_BEST],
                 v[COL_LAW_P_BEST], v[COL_LAW_KS_MP]);
    else if (v[COL_LAW_BEST] == RMTK_FITLAW_MP)
        snprintf(buf, size,
                 "bulk best described by MP (KS %.3g, p %.2g); next best: %s, worse by dBIC = "
                 "%.1f",
                 v[COL_LAW_KS_BEST], v[COL_LAW_P_BEST],
                 law_long_name(v[COL_LAW_ALT], t1, sizeof t1), -v[COL_LAW_DELTA_BIC]);
    else
        snprintf(buf, size,
                 "bulk better described by %s than by MP: dBIC = %.1f (KS %.3g, p %.2g; MP: KS "
                 "%.3g, p %.2g)",
                 law_long_name(v[COL_LAW_BEST], t2, sizeof t2), v[COL_LAW_DELTA_BIC],
                 v[COL_LAW_KS_BEST], v[COL_LAW_P_BEST], v[COL_LAW_KS_MP], v[COL_LAW_P_MP]);
}
