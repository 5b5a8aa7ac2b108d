/*
 * analysis.c: the per-model pipeline. Entries come from the layer lists of the models added;
 * rmtk_analysis_run computes every analysed matrix on a pool of worker threads, each with its own
 * spectrum plan sized once for the largest matrix (memory: workers x one plan, not the model).
 * Mapping a tensor and converting it into a plan's buffer happen under one lock (a model maps
 * one tensor at a time); the arithmetic runs in parallel. Per matrix, the stages of the
 * statistics requested fill the numeric columns and the arrays of the report.
 *
 * Determinism: each matrix's randomised statistics use a seed derived from (seed, entry index),
 * so results do not depend on the number of threads or the order of completion. The spectrum is
 * bitwise a function of the matrix alone: BLAS runs on one thread per worker whatever --threads
 * (OpenBLAS's threaded sums round differently per thread count), and the singular values are
 * those of the values-only route even when vectors are computed (spectrum.c).
 */
#include "analysis-internal.h"
#include "report-internal.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model-internal.h"
#include "spectrum-internal.h"

/* ---- columns ------------------------------------------------------------------------------- */

const rmtk__column rmtk__columns[RMTK__NCOLS] = {
    [COL_Q] = {"q", RMTK_STATS_BASIC, 0, 0,
        "min(N,M)/max(N,M), the aspect ratio"},
    [COL_FRO_NORM2] = {"fro_norm2", RMTK_STATS_BASIC, 0, 0,
        "squared Frobenius norm ||W||_F^2 = sum of lambda_i"},
    [COL_SPECTRAL_NORM] = {"spectral_norm", RMTK_STATS_BASIC, 0, 0,
        "largest singular value sigma_1 (the matrix 2-norm)"},
    [COL_LAMBDA_MAX] = {"lambda_max", RMTK_STATS_BASIC, 0, 0,
        "largest eigenvalue lambda_1 = sigma_1^2"},
    [COL_STABLE_RANK] = {"stable_rank", RMTK_STATS_BASIC, 0, 0,
        "||W||_F^2 / sigma_1^2"},
    [COL_LOG_NORM] = {"log_norm", RMTK_STATS_BASIC, 0, 0,
        "log10 ||W||_F^2 (WeightWatcher's log_norm)"},
    [COL_LOG_SPECTRAL_NORM] = {"log_spectral_norm", RMTK_STATS_BASIC, 0, 0,
        "log10 lambda_1 (WeightWatcher's log_spectral_norm)"},
    [COL_NUMERICAL_RANK] = {"numerical_rank", RMTK_STATS_BASIC, 0, 1,
        "r: singular values above the tolerance of the stored precision"},
    [COL_SPECTRAL_ENTROPY] = {"spectral_entropy", RMTK_STATS_BASIC, 0, 0,
        "normalised spectral entropy H / ln k, in [0, 1]"},
    [COL_EFFECTIVE_RANK] = {"effective_rank", RMTK_STATS_BASIC, 0, 0,
        "exp(H), Roy-Vetterli effective rank"},
    [COL_CONDITION_NUMBER] = {"condition_number", RMTK_STATS_BASIC, 0, 0,
        "sigma_1 / sigma_k (inf when sigma_k = 0)"},
    [COL_MP_SIGMA2_NAIVE] = {"mp_sigma2_naive", RMTK_STATS_BASIC, 0, 0,
        "entry variance ||W||_F^2 / (N M), no fit"},
    [COL_MP_EDGE_NAIVE] = {"mp_edge_naive", RMTK_STATS_BASIC, 0, 0,
        "Marchenko-Pastur edge for mp_sigma2_naive: sigma^2 (sqrt N + sqrt M)^2"},
    [COL_N_ABOVE_MP_EDGE] = {"n_above_mp_edge", RMTK_STATS_BASIC, 0, 1,
        "naive edge count: eigenvalues above mp_edge_naive (no fit, no Tracy-Widom "
        "margin; not the outlier count n_spikes)"},
    [COL_LAMBDA_ERR_BOUND] = {"lambda_err_bound", RMTK_STATS_BASIC, 0, 0,
        "bound on the absolute error of each lambda_i on the spectrum route taken"},
    [COL_ESD_MEAN] = {"esd_mean", RMTK_STATS_BASIC, 0, 0,
        "mean of the ESD of W^T W / N (about the entry variance)"},
    [COL_ESD_VAR] = {"esd_var", RMTK_STATS_BASIC, 0, 0,
        "variance of the ESD of W^T W / N"},
    [COL_ZERO_ATOM] = {"zero_atom", RMTK_STATS_BASIC, 0, 0,
        "fraction of the M eigenvalues of W^T W / N at zero"},
    [COL_N_NULL] = {"n_null", RMTK_STATS_BASIC, 0, 1,
        "k - r: singular values at or below the rank tolerance (dead units, rounding)"},
    [COL_DEGENERATE] = {"degenerate", RMTK_STATS_BASIC, 0, 1,
        "1 when the spread of the spectrum is at the storage precision (flat), else 0"},
    [COL_FACTOR_INNER] = {"factor_inner", RMTK_STATS_BASIC, 0, 1,
        "r, the inner dimension of a matrix given as factors X = s L R (a LoRA update): at most "
        "r non-zero singular values, no bulk statistics; empty for a dense matrix"},
    [COL_CONV_POOLED] = {"conv_pooled", RMTK_STATS_BASIC, 0, 1,
        "--conv pooled: kernel slices (kh*kw) whose singular values, scaled by WeightWatcher's "
        "conv2d_norm sqrt(1/2), form the pooled ESD (only basic, alpha, tails run); empty "
        "otherwise"},
    [COL_DELTA_FRO2_FRAC] = {"delta_fro2_frac", RMTK_STATS_BASIC, 0, 0,
        "||Delta W||_F^2 / ||W||_F^2 of a merged W + Delta W (rmtk analyze --base): the fraction "
        "of the base weight's squared Frobenius norm the adapter moves; empty otherwise"},
    [COL_MP_SIGMA2] = {"mp_sigma2", RMTK_STATS_MP, 0, 0,
        "entry variance of the robust Marchenko-Pastur fit"},
    [COL_MP_LAMBDA_MINUS] = {"mp_lambda_minus", RMTK_STATS_MP, 0, 0,
        "lower bulk edge of the fitted Marchenko-Pastur law"},
    [COL_MP_LAMBDA_PLUS] = {"mp_lambda_plus", RMTK_STATS_MP, 0, 0,
        "upper bulk edge of the fitted Marchenko-Pastur law"},
    [COL_N_SPIKES] = {"n_spikes", RMTK_STATS_MP, 0, 1,
        "Tracy-Widom outlier count: eigenvalues above the fitted law's edge by the TW1 "
        "test at the significance level (not the naive n_above_mp_edge)"},
    [COL_MP_SOFTRANK] = {"mp_softrank", RMTK_STATS_MP, 0, 0,
        "mp_lambda_plus / lambda_1"},
    [COL_MP_TW_P_TOP] = {"mp_tw_p_top", RMTK_STATS_MP, 0, 0,
        "Tracy-Widom p-value of lambda_1 under the fitted law"},
    [COL_MP_TW_P] = {"mp_tw_p", RMTK_STATS_MP, 0, 0,
        "raw p-value of 'no outlier': Tracy-Widom p of lambda_1 under the whole-bulk fit (the "
        "first step of the step-down test)"},
    [COL_MP_TW_P_ADJ] = {"mp_tw_p_adj", RMTK_STATS_MP, 0, 0,
        "mp_tw_p adjusted across the model (BH or Holm, --multitest)"},
    [COL_N_SPIKES_CTL] = {"n_spikes_ctl", RMTK_STATS_MP, 0, 1,
        "outliers under the model-level control: leading step-down steps whose adjusted "
        "p-value is <= the significance level (the count the verdict quotes)"},
    [COL_MP_PAPER_SIGMA2] = {"mp_paper_sigma2", RMTK_STATS_MP, 0, 0,
        "entry variance of the paper's three-parameter singular-value fit"},
    [COL_MP_PAPER_NU_MAX] = {"mp_paper_nu_max", RMTK_STATS_MP, 0, 0,
        "bulk edge nu_max of the paper's singular-value fit"},
    [COL_MP_PAPER_N_ABOVE] = {"mp_paper_n_above", RMTK_STATS_MP, 0, 1,
        "singular values above mp_paper_nu_max"},
    [COL_MP_LAW_KS] = {"mp_law_ks", RMTK_STATS_MP, 0, 0,
        "KS distance between the singular values and the fitted MP law"},
    [COL_MP_LAW_L1] = {"mp_law_l1", RMTK_STATS_MP, 0, 0,
        "L1 distance between the eigenvalue histogram and the MP density"},
    [COL_MP_LAW_KS_CRIT] = {"mp_law_ks_crit", RMTK_STATS_MP, 0, 0,
        "1% critical value of mp_law_ks for Gaussian matrices of this shape"},
    [COL_MP_LAW_KS_P] = {"mp_law_ks_p", RMTK_STATS_MP, 0, 0,
        "approximate p-value of mp_law_ks for Gaussian matrices (calibrated null; "
        "docs/report.md)"},
    [COL_MP_LAW_KS_P_ADJ] = {"mp_law_ks_p_adj", RMTK_STATS_MP, 0, 0,
        "mp_law_ks_p adjusted across the model"},
    [COL_MP_FIT_STATUS] = {"mp_fit_status", RMTK_STATS_MP, 1, 1,
        "status of the robust MP fit: ok, capped, failed, too_few, degenerate"},
    [COL_MP_PAPER_STATUS] = {"mp_paper_status", RMTK_STATS_MP, 1, 1,
        "status of the paper's MP fit: ok, failed, too_few"},
    [COL_R_MEAN] = {"r_mean", RMTK_STATS_LEVELS, 0, 0,
        "mean spacing ratio <r~> (GOE 0.5307, Poisson 0.3863)"},
    [COL_R_SEM] = {"r_sem", RMTK_STATS_LEVELS, 0, 0,
        "standard error of r_mean (batch means)"},
    [COL_R_P_GOE] = {"r_p_goe", RMTK_STATS_LEVELS, 0, 0,
        "two-sided normal p-value of (r_mean - 0.5307) / r_sem"},
    [COL_R_P_GOE_ADJ] = {"r_p_goe_adj", RMTK_STATS_LEVELS, 0, 0,
        "r_p_goe adjusted across the model"},
    [COL_KS_P_WIGNER] = {"ks_p_wigner", RMTK_STATS_LEVELS, 0, 0,
        "KS p-value of the unfolded spacings against the GOE Wigner surmise"},
    [COL_KS_P_GOE] = {"ks_p_goe", RMTK_STATS_LEVELS, 0, 0,
        "KS p-value of the unfolded spacings against the exact GOE spacing law"},
    [COL_KS_P_GOE_ADJ] = {"ks_p_goe_adj", RMTK_STATS_LEVELS, 0, 0,
        "ks_p_goe adjusted across the model"},
    [COL_KS_P_POISSON] = {"ks_p_poisson", RMTK_STATS_LEVELS, 0, 0,
        "KS p-value of the unfolded spacings against Poisson exp(-s)"},
    [COL_BRODY_BETA] = {"brody_beta", RMTK_STATS_LEVELS, 0, 0,
        "Brody parameter by maximum likelihood (1 GOE, 0 Poisson)"},
    [COL_BRODY_BETA_ERR] = {"brody_beta_err", RMTK_STATS_LEVELS, 0, 0,
        "bootstrap error of brody_beta"},
    [COL_BRODY_BETA_LS] = {"brody_beta_ls", RMTK_STATS_LEVELS, 0, 0,
        "Brody parameter by the paper's least squares"},
    [COL_BRODY_BETA_LS_ERR] = {"brody_beta_ls_err", RMTK_STATS_LEVELS, 0, 0,
        "bootstrap sd of brody_beta_ls"},
    [COL_SIGMA2_L1] = {"sigma2_L1", RMTK_STATS_LEVELS, 0, 0,
        "number variance Sigma^2(1) (GOE 0.4463)"},
    [COL_SIGMA2_L5] = {"sigma2_L5", RMTK_STATS_LEVELS, 0, 0,
        "number variance Sigma^2(5) (GOE 0.7684)"},
    [COL_DELTA3_L5] = {"delta3_L5", RMTK_STATS_LEVELS, 0, 0,
        "spectral rigidity Delta_3(5) (GOE 0.1738)"},
    [COL_N_UNFOLDED] = {"n_unfolded", RMTK_STATS_LEVELS, 0, 1,
        "unfolded levels used by the level statistics"},
    [COL_LEVELS_STATUS] = {"levels_status", RMTK_STATS_LEVELS, 1, 1,
        "status of the level statistics: ok, too_few, degenerate, failed"},
    [COL_ALPHA] = {"alpha", RMTK_STATS_ALPHA, 0, 0,
        "power-law exponent of the ESD density, WeightWatcher fit (density convention "
        "p(x) ~ x^-alpha)"},
    [COL_ALPHA_ERR] = {"alpha_err", RMTK_STATS_ALPHA, 0, 0,
        "error of alpha: (alpha - 1)/sqrt(n_tail)"},
    [COL_ALPHA_WEIGHTED] = {"alpha_weighted", RMTK_STATS_ALPHA, 0, 0,
        "alpha * log10 lambda_1"},
    [COL_LOG_ALPHA_NORM] = {"log_alpha_norm", RMTK_STATS_ALPHA, 0, 0,
        "log10 of sum lambda_i^alpha"},
    [COL_XMIN] = {"xmin", RMTK_STATS_ALPHA, 0, 0,
        "WeightWatcher's lower end of the power-law tail"},
    [COL_KS_D] = {"ks_d", RMTK_STATS_ALPHA, 0, 0,
        "KS distance of the WeightWatcher fit"},
    [COL_N_TAIL] = {"n_tail", RMTK_STATS_ALPHA, 0, 1,
        "tail size of the WeightWatcher fit"},
    [COL_CSN_ALPHA] = {"csn_alpha", RMTK_STATS_TAILS, 0, 0,
        "density exponent of the Clauset-Shalizi-Newman power-law fit (density convention)"},
    [COL_CSN_ALPHA_ERR] = {"csn_alpha_err", RMTK_STATS_TAILS, 0, 0,
        "error of csn_alpha"},
    [COL_CSN_XMIN] = {"csn_xmin", RMTK_STATS_TAILS, 0, 0,
        "xmin of the CSN fit"},
    [COL_CSN_KS_D] = {"csn_ks_d", RMTK_STATS_TAILS, 0, 0,
        "KS distance of the CSN fit"},
    [COL_CSN_N_TAIL] = {"csn_n_tail", RMTK_STATS_TAILS, 0, 1,
        "tail size of the CSN fit"},
    [COL_CSN_P_GOF] = {"csn_p_gof", RMTK_STATS_TAILS, 0, 0,
        "bootstrap goodness-of-fit p-value of the CSN fit (plausible if >= 0.1)"},
    [COL_LR_LOGNORMAL] = {"lr_lognormal", RMTK_STATS_TAILS, 0, 0,
        "normalised log-likelihood ratio power law vs lognormal (> 0 favours the power law)"},
    [COL_LR_LOGNORMAL_P] = {"lr_lognormal_p", RMTK_STATS_TAILS, 0, 0,
        "p-value of lr_lognormal"},
    [COL_LR_EXPONENTIAL] = {"lr_exponential", RMTK_STATS_TAILS, 0, 0,
        "normalised log-likelihood ratio power law vs exponential"},
    [COL_LR_EXPONENTIAL_P] = {"lr_exponential_p", RMTK_STATS_TAILS, 0, 0,
        "p-value of lr_exponential"},
    [COL_HILL_DEFINED] = {"hill_defined", RMTK_STATS_TAILS, 0, 1,
        "1 when the Hill plot has a plateau, else 0"},
    [COL_HILL_ALPHA] = {"hill_alpha", RMTK_STATS_TAILS, 0, 0,
        "Hill tail index at the plateau, CCDF convention P(X > x) ~ x^-hill_alpha "
        "(density exponent = hill_alpha + 1)"},
    [COL_TAILS_STATUS] = {"tails_status", RMTK_STATS_ALPHA, 1, 1,
        "status of the tail fits: ok, too_few, degenerate"},
    [COL_WW_WARNING] = {"ww_warning", RMTK_STATS_ALPHA, 0, 1,
        "WeightWatcher's warning: 1 over-trained (alpha < 2), 2 under-trained (alpha > 6), 0 "
        "neither; a heuristic of that literature, never part of rmtk's verdict"},
    [COL_NUM_FINGERS] = {"num_fingers", RMTK_STATS_ALPHA, 0, 1,
        "WeightWatcher's num_fingers: largest values clipped by --fix-fingers clip_xmax "
        "(empty with other fits)"},
    [COL_TPL_ALPHA] = {"tpl_alpha", RMTK_STATS_ALPHA, 0, 0,
        "--fit tpl|e_tpl: exponent of the truncated power law x^-alpha e^(-lambda x) "
        "(WeightWatcher's alpha with fit='TPL'/'E_TPL')"},
    [COL_TPL_LAMBDA] = {"tpl_lambda", RMTK_STATS_ALPHA, 0, 0,
        "--fit tpl|e_tpl: cutoff rate lambda of the truncated power law (WeightWatcher's Lambda)"},
    [COL_TPL_XMIN] = {"tpl_xmin", RMTK_STATS_ALPHA, 0, 0,
        "--fit tpl|e_tpl: xmin of the truncated power law (smallest KS distance of the TPL)"},
    [COL_TPL_KS_D] = {"tpl_ks_d", RMTK_STATS_ALPHA, 0, 0,
        "--fit tpl|e_tpl: KS distance of the truncated power law at tpl_xmin"},
    [COL_TPL_N_TAIL] = {"tpl_n_tail", RMTK_STATS_ALPHA, 0, 1,
        "--fit tpl|e_tpl: eigenvalues >= tpl_xmin"},
    [COL_TPL_R] = {"tpl_R", RMTK_STATS_ALPHA, 0, 0,
        "--fit tpl|e_tpl: normalised log-likelihood ratio truncated vs pure power law at "
        "tpl_xmin (> 0 favours the cutoff)"},
    [COL_TPL_P] = {"tpl_p", RMTK_STATS_ALPHA, 0, 0,
        "--fit tpl|e_tpl: nested likelihood-ratio p-value (chi2, 1 dof) of tpl_R; small = the "
        "cutoff is significant"},
    [COL_PT_FRAC_REJECTED] = {"pt_frac_rejected", RMTK_STATS_VECTORS, 0, 0,
        "fraction of ALL tested singular vectors failing the Porter-Thomas test at the "
        "significance level"},
    [COL_PT_TOP_DECILE_FRAC_REJECTED] = {"pt_top_decile_frac_rejected", RMTK_STATS_VECTORS, 0, 0,
        "the same fraction within the top decile of singular values (the one the verdict quotes)"},
    [COL_IPR_MEAN] = {"ipr_mean", RMTK_STATS_VECTORS, 0, 0,
        "mean inverse participation ratio of the singular vectors"},
    [COL_IPR_REF] = {"ipr_ref", RMTK_STATS_VECTORS, 0, 0,
        "IPR of random vectors, (3/(N+2) + 3/(M+2))/2"},
    [COL_PT_N_TESTED] = {"pt_n_tested", RMTK_STATS_VECTORS, 0, 1,
        "singular vectors tested by Porter-Thomas (2 numerical_rank)"},
    [COL_PT_P_SIMES] = {"pt_p_simes", RMTK_STATS_VECTORS, 0, 0,
        "Simes p-value of the matrix's Porter-Thomas tests: min_i n p_(i) / i over the n "
        "tested vectors"},
    [COL_PT_P_ADJ] = {"pt_p_adj", RMTK_STATS_VECTORS, 0, 0,
        "pt_p_simes adjusted across the model"},
    [COL_PT_TOP_DECILE_FRAC_CTL] = {"pt_top_decile_frac_ctl", RMTK_STATS_VECTORS, 0, 0,
        "fraction of the top decile of vectors rejected under control: BH within the matrix "
        "at the significance level when pt_p_adj rejects, else 0 (the fraction the verdict "
        "quotes)"},
    [COL_NULL_KS] = {"null_ks", RMTK_STATS_NULL, 0, 0,
        "mean KS distance between the ESD and its element shuffles"},
    [COL_NULL_KS_SD] = {"null_ks_sd", RMTK_STATS_NULL, 0, 0,
        "sd of null_ks over the shuffles"},
    [COL_NULL_W1] = {"null_w1", RMTK_STATS_NULL, 0, 0,
        "mean Wasserstein-1 distance to the shuffles' ESDs"},
    [COL_NULL_GAUSS_KS] = {"null_gauss_ks", RMTK_STATS_NULL, 0, 0,
        "mean KS distance to matched Gaussian matrices"},
    [COL_LAW_BEST] = {"law_best", RMTK_STATS_LAWS, 0, 1,
        "code of the law with the smallest BIC: 1 MP, 2..6 product of that many Wishart "
        "matrices, 10 MP free-plus semicircle, 20 sparse percolated Wishart"},
    [COL_LAW_ALT] = {"law_alt", RMTK_STATS_LAWS, 0, 1,
        "code of the best law other than MP (as law_best)"},
    [COL_LAW_DELTA_BIC] = {"law_delta_bic", RMTK_STATS_LAWS, 0, 0,
        "BIC(MP) - BIC(law_alt): > 0 when a law other than MP describes the bulk better"},
    [COL_LAW_SCALE] = {"law_scale", RMTK_STATS_LAWS, 0, 0,
        "scale s of the best law (MP: entry variance; lambda = s^2 / max(N, M))"},
    [COL_LAW_SCALE_ERR] = {"law_scale_err", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap standard error of law_scale"},
    [COL_LAW_SHAPE] = {"law_shape", RMTK_STATS_LAWS, 0, 0,
        "MP free-plus semicircle (best): t = sqrt(sigma2_wigner) / sigma2; else empty"},
    [COL_LAW_SHAPE_ERR] = {"law_shape_err", RMTK_STATS_LAWS, 0, 0,
        "bootstrap standard error of law_shape"},
    [COL_LAW_KS_BEST] = {"law_ks_best", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the best law"},
    [COL_LAW_P_BEST] = {"law_p_best", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_best"},
    [COL_LAW_ZERO_ATOM] = {"law_zero_atom", RMTK_STATS_LAWS, 0, 0,
        "weight of the null part set aside (1 - numerical_rank / cols)"},
    [COL_LAW_N] = {"law_n", RMTK_STATS_LAWS, 0, 1,
        "bulk values fitted (numerical_rank less the MP outliers)"},
    [COL_LAW_KS_MP] = {"law_ks_mp", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the fitted MP"},
    [COL_LAW_P_MP] = {"law_p_mp", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_mp"},
    [COL_LAW_BIC_MP] = {"law_bic_mp", RMTK_STATS_LAWS, 0, 0,
        "BIC of the fitted MP"},
    [COL_LAW_KS_MPSC] = {"law_ks_mpsc", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the fitted MP free-plus semicircle"},
    [COL_LAW_P_MPSC] = {"law_p_mpsc", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_mpsc"},
    [COL_LAW_BIC_MPSC] = {"law_bic_mpsc", RMTK_STATS_LAWS, 0, 0,
        "BIC of the fitted MP free-plus semicircle"},
    [COL_LAW_KS_W2] = {"law_ks_w2", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the fitted the product of 2 Wishart matrices"},
    [COL_LAW_P_W2] = {"law_p_w2", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_w2"},
    [COL_LAW_BIC_W2] = {"law_bic_w2", RMTK_STATS_LAWS, 0, 0,
        "BIC of the fitted the product of 2 Wishart matrices"},
    [COL_LAW_KS_W3] = {"law_ks_w3", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the fitted the product of 3 Wishart matrices"},
    [COL_LAW_P_W3] = {"law_p_w3", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_w3"},
    [COL_LAW_BIC_W3] = {"law_bic_w3", RMTK_STATS_LAWS, 0, 0,
        "BIC of the fitted the product of 3 Wishart matrices"},
    [COL_LAW_KS_W4] = {"law_ks_w4", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the fitted the product of 4 Wishart matrices"},
    [COL_LAW_P_W4] = {"law_p_w4", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_w4"},
    [COL_LAW_BIC_W4] = {"law_bic_w4", RMTK_STATS_LAWS, 0, 0,
        "BIC of the fitted the product of 4 Wishart matrices"},
    [COL_LAW_KS_W5] = {"law_ks_w5", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the fitted the product of 5 Wishart matrices"},
    [COL_LAW_P_W5] = {"law_p_w5", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_w5"},
    [COL_LAW_BIC_W5] = {"law_bic_w5", RMTK_STATS_LAWS, 0, 0,
        "BIC of the fitted the product of 5 Wishart matrices"},
    [COL_LAW_KS_W6] = {"law_ks_w6", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the fitted the product of 6 Wishart matrices"},
    [COL_LAW_P_W6] = {"law_p_w6", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_w6"},
    [COL_LAW_BIC_W6] = {"law_bic_w6", RMTK_STATS_LAWS, 0, 0,
        "BIC of the fitted the product of 6 Wishart matrices"},
    [COL_LAW_KS_SPARSE] = {"law_ks_sparse", RMTK_STATS_LAWS, 0, 0,
        "KS distance of the bulk to the fitted sparse percolated Wishart (when enabled)"},
    [COL_LAW_P_SPARSE] = {"law_p_sparse", RMTK_STATS_LAWS, 0, 0,
        "parametric-bootstrap p-value of law_ks_sparse"},
    [COL_LAW_BIC_SPARSE] = {"law_bic_sparse", RMTK_STATS_LAWS, 0, 0,
        "BIC of the fitted sparse percolated Wishart"},
    [COL_RAND_DISTANCE] = {"rand_distance", RMTK_STATS_NULL, 0, 0,
        "WeightWatcher's rand_distance: Jensen-Shannon distance between the sorted eigenvalues "
        "and those of the first element shuffle, as rank-indexed probability vectors"},
    [COL_WW_SOFTRANK] = {"ww_softrank", RMTK_STATS_NULL, 0, 0,
        "WeightWatcher's ww_softrank: max_rand_eval / lambda_max"},
    [COL_WW_MAXDIST] = {"ww_maxdist", RMTK_STATS_NULL, 0, 0,
        "WeightWatcher's ww_maxdist: lambda_max - max_rand_eval"},
    [COL_MAX_RAND_EVAL] = {"max_rand_eval", RMTK_STATS_NULL, 0, 0,
        "largest eigenvalue of the first element shuffle"},
    [COL_RAND_NUM_SPIKES] = {"rand_num_spikes", RMTK_STATS_NULL, 0, 1,
        "Tracy-Widom outliers (rmtk's robust MP fit) of the first element shuffle"},
};

/* ---- params -------------------------------------------------------------------------------- */

rmtk_analysis_params rmtk_analysis_params_default(void)
{
    rmtk_analysis_params p;
    memset(&p, 0, sizeof p);
    p.extract = rmtk_extract_params_default();
    p.spectrum = rmtk_spectrum_params_default();
    p.stats = RMTK__STATS_DEFAULT;
    p.threads = 0;
    p.seed = 1;
    p.significance = 0.05;
    p.mp = rmtk_mp_params_default();
    p.tails = rmtk_tails_params_default();
    p.laws = rmtk_fitlaw_params_default();
    p.vectors = rmtk_pt_params_default();
    p.null = rmtk_null_params_default();
    p.levels = rmtk_levels_params_default();
    p.multitest = RMTK_MULTITEST_BH;
    return p;
}

/* ---- handle -------------------------------------------------------------------------------- */

int rmtk_analysis_alloc(const rmtk_analysis_params *p, rmtk_analysis **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    rmtk_analysis_params prm = p ? *p : rmtk_analysis_params_default();
    if (!(prm.significance > 0 && prm.significance < 1) || prm.threads < 0 ||
        prm.tails.ww.fix_fingers < RMTK_WW_FINGERS_NONE ||
        prm.tails.ww.fix_fingers > RMTK_WW_CLIP_XMAX || prm.tails.ww.xmax_clip < 0 ||
        (prm.tails.ww.fix_fingers != RMTK_WW_FINGERS_NONE && prm.tails.ww.xmax_clip > 0) ||
        prm.tails.ww.fit < RMTK_WW_FIT_PL || prm.tails.ww.fit > RMTK_WW_FIT_E_TPL ||
        (prm.tails.ww.fit == RMTK_WW_FIT_E_TPL && prm.tails.ww.xmax_clip > 0) ||
        prm.multitest < RMTK_MULTITEST_BH || prm.multitest > RMTK_MULTITEST_NONE ||
        (prm.stats & ~(uint32_t)RMTK__STATS_IMPLEMENTED) != 0)
        return RMTK_ERR_ARG;
    prm.stats |= RMTK_STATS_BASIC;
    if ((prm.stats & RMTK_STATS_LEVELS) && prm.levels.unfold.method == RMTK_UNFOLD_CDF &&
        !prm.levels.unfold.cdf)
        prm.stats |= RMTK_STATS_MP; /* unfolding through the fitted MP law needs the fit */
    if (prm.stats & RMTK_STATS_TAILS)
        prm.stats |= RMTK_STATS_ALPHA; /* the full tail analysis includes WeightWatcher's alpha */
    rmtk_analysis *a = rmtk__calloc(1, sizeof *a);
    if (!a)
        return RMTK_ERR_NOMEM;
    a->p = prm;
    /* Keep copies of the pattern strings: the caller's may not outlive the handle. */
    if ((prm.extract.include && !(a->include = rmtk__strdup(prm.extract.include))) ||
        (prm.extract.exclude && !(a->exclude = rmtk__strdup(prm.extract.exclude)))) {
        rmtk_analysis_free(a);
        return RMTK_ERR_NOMEM;
    }
    a->p.extract.include = a->include;
    a->p.extract.exclude = a->exclude;
    for (int c = 0; c < RMTK__NCOLS; c++)
        if ((rmtk__columns[c].stats & a->p.stats) == rmtk__columns[c].stats)
            a->active[a->nactive++] = c;
    *out = a;
    return RMTK_OK;
}

void rmtk_analysis_free(rmtk_analysis *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nentries; i++) {
        rmtk__entry *e = &a->entries[i];
        rmtk__free(e->errmsg);
        rmtk__free(e->given_sv);
        rmtk__free(e->given_name);
        rmtk__free(e->given_l);
        rmtk__free(e->given_r);
        rmtk__free(e->given_reason);
        for (size_t j = 0; j < e->narrays; j++)
            rmtk__free(e->arrays[j].x);
    }
    rmtk__free(a->entries);
    rmtk__summary_free(a);
    for (size_t m = 0; m < a->nmodels; m++) {
        rmtk_layers_free(a->models[m].layers);
        rmtk__free(a->models[m].path);
        rmtk__free(a->models[m].source);
    }
    rmtk__free(a->models);
    rmtk__provenance_free(a);
    for (size_t i = 0; i < a->nvws_pool; i++)
        rmtk_vectors_ws_free(a->vws_pool[i]);
    rmtk__free(a->vws_pool);
    rmtk__free(a->include);
    rmtk__free(a->exclude);
    rmtk__free(a);
}

const char *rmtk_analysis_errmsg(const rmtk_analysis *a)
{
    return a ? a->errmsg : "";
}

int rmtk_analysis_add_model(rmtk_analysis *a, rmtk_model *m, const char *path)
{
    return rmtk_analysis_add_model_labeled(a, m, path, NULL);
}

int rmtk__add_model_ref(rmtk_analysis *a, rmtk_model *m, const char *path, const char *source,
                        const rmtk_extract_params *extract, rmtk__model_ref **out)
{
    rmtk__model_ref *models = rmtk__realloc(a->models, (a->nmodels + 1) * sizeof *models);
    if (!models)
        return RMTK_ERR_NOMEM;
    a->models = models;
    rmtk__model_ref *ref = &a->models[a->nmodels];
    memset(ref, 0, sizeof *ref);
    ref->model = m;
    if (!(ref->path = rmtk__strdup(path)))
        return RMTK_ERR_NOMEM;
    if (!(ref->source = rmtk__strdup(source ? source : ""))) {
        rmtk__free(ref->path);
        ref->path = NULL;
        return RMTK_ERR_NOMEM;
    }
    int st = rmtk_layers_alloc(m, extract ? extract : &a->p.extract, &ref->layers);
    if (st) {
        rmtk__fail(a->errmsg, st, "%s: %s", path, rmtk_model_errmsg(m));
        rmtk__free(ref->path);
        rmtk__free(ref->source);
        ref->path = ref->source = NULL;
        return st;
    }
    *out = ref;
    return RMTK_OK;
}

int rmtk_analysis_add_model_labeled(rmtk_analysis *a, rmtk_model *m, const char *path,
                                    const char *source)
{
    if (!a || !m || !path)
        return RMTK_ERR_ARG;
    rmtk__model_ref *ref;
    int st = rmtk__add_model_ref(a, m, path, source, NULL, &ref);
    if (st)
        return st;
    size_t n = rmtk_layers_count(ref->layers);
    rmtk__entry *entries = rmtk__realloc(a->entries, (a->nentries + n) * sizeof *entries);
    if (!entries) {
        rmtk_layers_free(ref->layers);
        rmtk__free(ref->path);
        rmtk__free(ref->source);
        return RMTK_ERR_NOMEM;
    }
    a->entries = entries;
    for (size_t i = 0; i < n; i++) {
        rmtk__entry *e = &a->entries[a->nentries + i];
        memset(e, 0, sizeof *e);
        e->model = a->nmodels;
        e->fmodel = RMTK__NO_MODEL;
        rmtk_layers_get(ref->layers, i, &e->e);
        for (int c = 0; c < RMTK__NCOLS; c++)
            e->values[c] = NAN;
    }
    a->nentries += n;
    a->nmodels++;
    return RMTK_OK;
}

int rmtk_analysis_add_spectrum(rmtk_analysis *a, const char *name, const double *sv, size_t k,
                               int64_t rows, int64_t cols)
{
    if (!a || !name || !sv || rows < 1 || cols < 1 || k != (size_t)RMTK_MIN(rows, cols))
        return RMTK_ERR_ARG;
    for (size_t i = 0; i < k; i++)
        if (!(sv[i] >= 0) || !isfinite(sv[i]))
            return rmtk__fail(a->errmsg, RMTK_ERR_ARG, "%s: singular value %zu is %g", name, i,
                              sv[i]);
    rmtk__entry *entries = rmtk__realloc(a->entries, (a->nentries + 1) * sizeof *entries);
    if (!entries)
        return RMTK_ERR_NOMEM;
    a->entries = entries;
    rmtk__entry *e = &a->entries[a->nentries];
    memset(e, 0, sizeof *e);
    e->given_sv = rmtk__malloc_array(k, sizeof(double));
    e->given_name = rmtk__strdup(name);
    if (!e->given_sv || !e->given_name) {
        rmtk__free(e->given_sv);
        rmtk__free(e->given_name);
        return RMTK_ERR_NOMEM;
    }
    memcpy(e->given_sv, sv, k * sizeof(double));
    rmtk_sort(e->given_sv, k);
    for (size_t i = 0; i < k / 2; i++) { /* largest first */
        double t = e->given_sv[i];
        e->given_sv[i] = e->given_sv[k - 1 - i];
        e->given_sv[k - 1 - i] = t;
    }
    e->model = RMTK__NO_MODEL;
    e->fmodel = RMTK__NO_MODEL;
    e->e.name = e->given_name;
    e->e.reason = "";
    e->e.tensor = SIZE_MAX;
    e->e.slice = -1;
    e->e.rows = rows;
    e->e.cols = cols;
    e->e.skip = RMTK_SKIP_NONE;
    e->e.dtype = RMTK_DTYPE_F64;
    e->e.block = -1;
    e->e.expert = -1;
    e->e.module = "";
    for (int c = 0; c < RMTK__NCOLS; c++)
        e->values[c] = NAN;
    a->nentries++;
    return RMTK_OK;
}

int rmtk__analysis_add_entry(rmtk_analysis *a, const char *name, const rmtk_matrix_view *view,
                             int32_t skip, int32_t dtype, int64_t rows, int64_t cols,
                             const char *reason)
{
    rmtk__entry *entries = rmtk__realloc(a->entries, (a->nentries + 1) * sizeof *entries);
    if (!entries)
        return RMTK_ERR_NOMEM;
    a->entries = entries;
    rmtk__entry *e = &a->entries[a->nentries];
    memset(e, 0, sizeof *e);
    e->given_name = rmtk__strdup(name);
    e->given_reason = rmtk__strdup(reason ? reason : "");
    if (!e->given_name || !e->given_reason) {
        rmtk__free(e->given_name);
        rmtk__free(e->given_reason);
        return RMTK_ERR_NOMEM;
    }
    if (view) {
        e->view = *view;
        e->has_view = 1;
    }
    e->model = RMTK__NO_MODEL;
    e->fmodel = RMTK__NO_MODEL;
    rmtk_structure stc;
    rmtk_name_structure(name, &stc);
    e->e.block = stc.block;
    e->e.expert = stc.expert;
    e->e.module = stc.module;
    e->e.name = e->given_name;
    e->e.reason = e->given_reason;
    e->e.tensor = SIZE_MAX;
    e->e.slice = -1;
    e->e.rows = rows;
    e->e.cols = cols;
    e->e.skip = view ? RMTK_SKIP_NONE : skip;
    e->e.dtype = dtype;
    for (int c = 0; c < RMTK__NCOLS; c++)
        e->values[c] = NAN;
    a->nentries++;
    return RMTK_OK;
}

int rmtk_analysis_add_matrix(rmtk_analysis *a, const char *name, rmtk_matrix_view view)
{
    if (!a || !name)
        return RMTK_ERR_ARG;
    if (!view.data || view.rows < 1 || view.cols < 1)
        return rmtk__fail(a->errmsg, RMTK_ERR_ARG, "%s: a matrix view needs data and rows, cols "
                          ">= 1 (got %lld x %lld)", name, (long long)view.rows,
                          (long long)view.cols);
    if (view.row_stride < 0 || view.col_stride < 0)
        return rmtk__fail(a->errmsg, RMTK_ERR_UNSUPPORTED, "%s: negative strides (%lld, %lld) "
                          "are not supported: pass a copy", name, (long long)view.row_stride,
                          (long long)view.col_stride);
    char why[200];
    int64_t side = RMTK_MIN(view.rows, view.cols);
    if (!rmtk_dtype_is_numeric(view.dtype)) {
        snprintf(why, sizeof why, "dtype %s is not numeric", rmtk_dtype_name(view.dtype));
        return rmtk__analysis_add_entry(a, name, NULL, RMTK_SKIP_DTYPE, view.dtype, 0, 0, why);
    }
    if (side < a->p.extract.min_side) {
        snprintf(why, sizeof why, "min side %lld < min_side %lld (matrix %lld x %lld)",
                 (long long)side, (long long)a->p.extract.min_side, (long long)view.rows,
                 (long long)view.cols);
        return rmtk__analysis_add_entry(a, name, NULL, RMTK_SKIP_SMALL, view.dtype, view.rows,
                                        view.cols, why);
    }
    return rmtk__analysis_add_entry(a, name, &view, RMTK_SKIP_NONE, view.dtype, view.rows,
                                    view.cols, "");
}

/* ---- per-matrix work ----------------------------------------------------------------------- */

int rmtk__entry_set_array(rmtk__entry *e, const char *key, const double *x, size_t n)
{
    if (e->narrays == RMTK__MAX_ARRAYS)
        return RMTK_ERR_INTERNAL;
    double *copy = rmtk__malloc_array(n ? n : 1, sizeof(double));
    if (!copy)
        return RMTK_ERR_NOMEM;
    if (n)
        memcpy(copy, x, n * sizeof(double));
    e->arrays[e->narrays].key = key;
    e->arrays[e->narrays].x = copy;
    e->arrays[e->narrays].n = n;
    e->narrays++;
    return RMTK_OK;
}

/*
 * Basic metrics, WeightWatcher's conventions (eigenvalues lambda_i = sigma_i^2 of W^T W, no 1/N):
 *   fro_norm2 = sum lambda_i = ||W||_F^2;  spectral_norm = sigma_max;  lambda_max = sigma_max^2;
 *   stable_rank = ||W||_F^2 / sigma_max^2;  log_norm = log10 ||W||_F^2;
 *   log_spectral_norm = log10 lambda_max;
 *   numerical_rank = #{sigma_i > tol}, tol = sigma_max max(N, M) eps_F64 + (eps_stored /
 *   sqrt 3) rms(W) (sqrt N + sqrt M), rms(W) = ||W||_F / sqrt(N M): the first term is
 *   numpy.linalg.matrix_rank's rule for the float64 SVD rmtk computes (its backward error grows
 *   with the size), the second twice the spectral norm of the rounding of each stored entry to
 *   the stored dtype (eps_stored = rmtk_dtype_eps: F32 2^-23, BF16 2^-7, Q4_K 2^-3; integers
 *   2^-52): a perturbation E with independent |E_ij| <= eps/2 |W_ij| has rms(E) = eps/(2 sqrt 3)
 *   rms(W) and ||E||_2 ~ rms(E) (sqrt N + sqrt M) (Bai-Yin), so by Weyl's inequality a singular
 *   value below it may be an artefact of rounding a lower-rank matrix. Storage rounding happens
 *   once per entry and does not grow with the size; numpy's rule applied to the stored dtype
 *   (sigma_max max(N, M) eps_stored) would call every BF16 matrix with a side >= 128 (F16: 1024)
 *   rank 0. n_null = k - numerical_rank (the values every later stage sets aside);
 *   degenerate = 1 when numerical_rank >= 2 and sigma_1 - sigma_r <= 2 tol (r = numerical_rank):
 *   the whole spread of the spectrum is within the noise floor of the storage (an orthogonal
 *   matrix stored as F32), so spacings are rounding noise;
 *   p_i = lambda_i / sum lambda, H = -sum p_i ln p_i: spectral_entropy = H / ln k (in [0, 1]),
 *   effective_rank = exp(H) (Roy & Vetterli 2007);  condition_number = sigma_max / sigma_min;
 *   naive MP: sigma^2 = ||W||_F^2 / (N M) (entry variance), bulk edge in this convention
 *   lambda_+ = sigma^2 (sqrt N + sqrt M)^2, n_above_mp_edge = #{lambda_i > lambda_+}.
 *   ESD on the scale of rmtk simulate and rmtk theory (the M eigenvalues of W^T W / N, with the
 *   M - k exact zeros when M > N): esd_mean, esd_var (population), zero_atom = (M - r) / M, the
 *   fraction of those M eigenvalues at zero (the M - k structural zeros and the k - r singular
 *   values below tol; for N >= M the fraction of singular values below tol), scale-invariant,
 *   so a layer compares line by line with a simulation.
 * REF: Martin & Mahoney, JMLR 22 (2021) 165; methods.md 4.1.
 */
double rmtk__rank_tol(const double *sv, size_t k, int64_t rows, int64_t cols, double eps)
{
    if (k == 0)
        return 0.0;
    double fro2 = 0.0;
    for (size_t i = 0; i < k; i++)
        fro2 += sv[i] * sv[i];
    double n = (double)rows, m = (double)cols;
    double rms = sqrt(fro2 / (n * m));
    return sv[0] * RMTK_MAX(n, m) * DBL_EPSILON + eps / sqrt(3.0) * rms * (sqrt(n) + sqrt(m));
}

size_t rmtk__numerical_rank(const double *sv, size_t k, int64_t rows, int64_t cols, double eps)
{
    double tol = rmtk__rank_tol(sv, k, rows, cols, eps);
    size_t r = 0;
    while (r < k && sv[r] > tol)
        r++;
    return r;
}

int rmtk__stage_basic(rmtk__ctx *c)
{
    const double *sv = c->sv;
    size_t k = c->k;
    double n = (double)c->rows, m = (double)c->cols;
    double fro2 = 0;
    for (size_t i = 0; i < k; i++)
        fro2 += sv[i] * sv[i];
    double lmax = sv[0] * sv[0];
    /* Every statistic works on lambda = sigma^2: the spectrum of a matrix with entries near
     * 1e155 or 1e-170 is right (spectrum.c scales), but lambda_max leaves the double range. A
     * named error, never an "all-zero" matrix from an underflow or an inf from an overflow. */
    if (sv[0] > 0 && !(lmax >= DBL_MIN && fro2 <= DBL_MAX))
        return rmtk__fail(c->errmsg, RMTK_ERR_RANGE, "sigma_1 = %.6g: lambda_max = sigma_1^2 "
                          "(and ||W||_F^2 = sum sigma_i^2) %s a double (normal range %.3g .. "
                          "%.3g); the statistics work on lambda = sigma^2: rescale the matrix",
                          sv[0], lmax >= DBL_MIN ? "overflows" : "underflows", DBL_MIN, DBL_MAX);
    double *v = c->e->values;
    v[COL_Q] = fmin(n, m) / fmax(n, m);
    v[COL_FRO_NORM2] = fro2;
    v[COL_SPECTRAL_NORM] = sv[0];
    v[COL_LAMBDA_MAX] = lmax;
    v[COL_STABLE_RANK] = lmax > 0 ? fro2 / lmax : NAN;
    v[COL_LOG_NORM] = fro2 > 0 ? log10(fro2) : NAN;
    v[COL_LOG_SPECTRAL_NORM] = lmax > 0 ? log10(lmax) : NAN;
    v[COL_NUMERICAL_RANK] = (double)c->rank;
    v[COL_N_NULL] = (double)(k - c->rank);
    v[COL_DEGENERATE] = c->degenerate;
    if (fro2 > 0) {
        double h = 0;
        for (size_t i = 0; i < k; i++) {
            double p = sv[i] * sv[i] / fro2;
            if (p > 0)
                h -= p * log(p);
        }
        v[COL_SPECTRAL_ENTROPY] = k > 1 ? h / log((double)k) : NAN;
        v[COL_EFFECTIVE_RANK] = exp(h);
    }
    v[COL_CONDITION_NUMBER] = sv[k - 1] > 0 ? sv[0] / sv[k - 1] : INFINITY;
    double s2 = fro2 / (n * m), edge = s2 * pow(sqrt(n) + sqrt(m), 2);
    size_t above = 0;
    for (size_t i = 0; i < k; i++)
        above += sv[i] * sv[i] > edge;
    v[COL_MP_SIGMA2_NAIVE] = s2;
    v[COL_MP_EDGE_NAIVE] = edge;
    v[COL_N_ABOVE_MP_EDGE] = (double)above;
    v[COL_LAMBDA_ERR_BOUND] = c->info.err_bound;
    rmtk_spectrum_stats es;
    int st = rmtk_layer_spectrum_stats(sv, k, c->rows, c->cols, 1e-8, &es);
    if (st)
        return st;
    v[COL_ESD_MEAN] = es.mean;
    v[COL_ESD_VAR] = es.variance;
    v[COL_ZERO_ATOM] = (m - (double)c->rank) / m;
    return rmtk__entry_set_array(c->e, "singular_values", sv, k);
}


static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t rmtk__matrix_seed(uint64_t seed, size_t idx)
{
    return splitmix64(seed ^ splitmix64((uint64_t)idx));
}

int32_t rmtk__threads_used(const rmtk_analysis *a)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return a->p.threads > 0 ? a->p.threads : (int32_t)(cores > 0 ? cores : 1);
}

typedef struct {
    rmtk_analysis *a;
    pthread_mutex_t lock;  /* queue, mapping, progress */
    pthread_mutex_t dense_lock; /* one dense fallback (dgesdd after a streamed Gram) at a time */
    pthread_cond_t cond;
    size_t next, done, total;
    size_t *order;         /* the analysed entries, largest first (schedule) */
    const char **done_names; /* [total]: the names in the order they finished (progress) */
    int global_error;
    bool vectors, need_mat;
    rmtk_spectrum_params sp;
} pool;

typedef struct {
    pool *pl;
    int inner_threads;
    rmtk_spectrum_plan *plan;
    int64_t big, small;     /* the shape the plan and the buffers serve (0: none yet) */
    uint64_t first_elems;   /* elements of the worker's first (largest) matrix */
    rmtk_vectors_ws *vws;
    double *sv, *mat, *scratch;
    bool own_scratch;       /* scratch allocated here, not the plan's spare buffer */
    size_t sv_cap;
} worker_ctx;

/* Elements of an entry's matrix (0 for a given spectrum: nothing to hold but its values). */
static uint64_t entry_elems(const rmtk__entry *e)
{
    return e->given_sv || e->e.inner > 0 ? 0 : (uint64_t)e->e.rows * (uint64_t)e->e.cols;
}

static void worker_release(worker_ctx *w)
{
    rmtk__free(w->mat);
    if (w->own_scratch)
        rmtk__free(w->scratch);
    w->own_scratch = false;
    w->mat = w->scratch = NULL;
    rmtk_spectrum_plan_free(w->plan);
    w->plan = NULL;
    w->big = w->small = 0;
}

/* The buffers of one worker for matrices up to big x small: the spectrum plan (vectors as the
 * statistics need) and, for the null stage, the matrix and a replica. */
static int worker_alloc(worker_ctx *w, int64_t big, int64_t small)
{
    pool *pl = w->pl;
    int st = rmtk_spectrum_plan_alloc(big, small, &pl->sp, &w->plan);
    if (!st && pl->need_mat) {
        /* the null stage's replicas: in the plan's vector buffer when it has one (the vectors
         * stage runs before the null stage and is done with them: spectrum-internal.h) */
        w->mat = rmtk__malloc_array((size_t)big * (size_t)small, sizeof(double));
        w->scratch = rmtk__spectrum_spare(w->plan);
        if (!w->scratch) {
            w->scratch = rmtk__malloc_array((size_t)big * (size_t)small, sizeof(double));
            w->own_scratch = true;
        }
        if (!w->mat || !w->scratch)
            st = RMTK_ERR_NOMEM;
    }
    if (st) {
        worker_release(w);
        return st;
    }
    w->big = big;
    w->small = small;
    return RMTK_OK;
}

/* Makes the worker's buffers serve a rows x cols matrix. The schedule is largest first, so a
 * worker's first matrix sizes it and the later ones fit, unless a later one is longer on one
 * side: then the buffers grow to serve both shapes when that holds no more elements than the
 * first matrix, else they are sized for the new matrix alone. Either way a worker never holds
 * more than the buffers of its first matrix (peak memory: workers x the largest matrices). The
 * spectrum does not depend on the plan's size (spectrum.c). */
static int worker_fit(worker_ctx *w, int64_t rows, int64_t cols)
{
    int64_t big = RMTK_MAX(rows, cols), small = RMTK_MIN(rows, cols);
    if (w->plan && big <= w->big && small <= w->small)
        return RMTK_OK;
    int64_t ub = RMTK_MAX(big, w->big), us = RMTK_MAX(small, w->small);
    if (!w->first_elems)
        w->first_elems = (uint64_t)big * (uint64_t)small;
    worker_release(w);
    if ((uint64_t)ub * (uint64_t)us <= w->first_elems)
        big = ub, small = us;
    return worker_alloc(w, big, small);
}

/* Start reading the tensor of the entry scheduled after position pos while this one computes:
 * mapping it releases the model's current mapping (the tensor just converted, whose pages would
 * otherwise stay in the resident set), and madvise(MADV_WILLNEED) makes the kernel read it
 * ahead, asynchronously. Called under the pool lock. Errors are left to the real mapping. */
static void prefetch_next(pool *pl, size_t pos)
{
    rmtk_analysis *a = pl->a;
    if (pos + 1 >= pl->total)
        return;
    const rmtk__entry *cur = &a->entries[pl->order[pos]];
    const rmtk__entry *nx = &a->entries[pl->order[pos + 1]];
    if (nx->given_sv || cur->given_sv || nx->model == RMTK__NO_MODEL ||
        cur->model == RMTK__NO_MODEL || nx->e.inner > 0 || nx->fmodel != RMTK__NO_MODEL ||
        nx->model != cur->model || nx->e.tensor == cur->e.tensor)
        return;
    rmtk_model *m = a->models[nx->model].model;
    rmtk_tensor_info ti;
    const void *data;
    if (rmtk_model_tensor_info(m, nx->e.tensor, &ti) || rmtk_model_map(m, nx->e.tensor, &data) ||
        ti.nbytes == 0)
        return;
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t page = pg > 0 ? (uintptr_t)pg : 4096, start = (uintptr_t)data;
    uintptr_t base = start - start % page;
    (void)madvise((void *)base, (size_t)(start - base + ti.nbytes), MADV_WILLNEED);
}

/* A pooled convolution entry (RMTK_CONV_POOLED, e->e.pooled = P slices of rows x cols): the
 * singular values of every slice W[:, :, i, j], each viewed and loaded under the lock as a model
 * matrix and decomposed alone (values only), into sv[p k .. (p+1) k), then scaled by
 * WeightWatcher's conv2d_norm factor sqrt(1/2) (weightwatcher 0.7.5 apply_normalize_Wmats:
 * W * sqrt(conv2d_count / 2) with conv2d_count = 1 when pooling, i.e. lambda / 2) and sorted
 * largest first: the pooled ESD of WeightWatcher's combined_eigenvalues. The spectra of the
 * slices are those of the block-diagonal matrix diag(W_1 .. W_P), the shape the stages see
 * (docs/report.md, "Pooled convolutions"). info: the route of the last slice, the largest
 * err_bound (scaled as lambda). */
#define RMTK__CONV2D_NORM2 0.5
static int pooled_spectrum(worker_ctx *w, rmtk__entry *e, size_t pos, rmtk_spectrum_info *info)
{
    pool *pl = w->pl;
    rmtk_analysis *a = pl->a;
    rmtk_model *model = a->models[e->model].model;
    size_t ks = (size_t)RMTK_MIN(e->e.rows, e->e.cols), P = (size_t)e->e.pooled;
    int st = worker_fit(w, e->e.rows, e->e.cols);
    double err = 0.0;
    for (size_t p = 0; !st && p < P; p++) {
        rmtk_matrix_entry se = e->e;
        se.slice = (int64_t)p;
        rmtk_matrix_view view;
        pthread_mutex_lock(&pl->lock);
        st = rmtk_layers_view(model, &se, &view);
        const char *msg = st ? rmtk_model_errmsg(model) : "";
        if (!st) {
            st = rmtk_spectrum_load(w->plan, view);
            msg = rmtk_spectrum_errmsg(w->plan);
        }
        if (st)
            e->errmsg = rmtk__strdup(msg);
        if (st || p + 1 == P)
            prefetch_next(pl, pos);
        pthread_mutex_unlock(&pl->lock);
        const double *u = NULL, *v = NULL;
        if (!st) {
            st = rmtk__spectrum_run_keep(w->plan, w->sv + p * ks, false, &u, &v, info);
            if (st)
                e->errmsg = rmtk__strdup(rmtk_spectrum_errmsg(w->plan));
            else if (info->err_bound > err)
                err = info->err_bound;
        }
    }
    if (st)
        return st;
    double s = sqrt(RMTK__CONV2D_NORM2);
    for (size_t i = 0; i < P * ks; i++)
        w->sv[i] *= s;
    rmtk_sort(w->sv, P * ks); /* ascending; reverse to largest first */
    for (size_t i = 0, j = P * ks - 1; i < j; i++, j--) {
        double t = w->sv[i];
        w->sv[i] = w->sv[j];
        w->sv[j] = t;
    }
    info->k = (int64_t)(P * ks);
    info->err_bound = err * RMTK__CONV2D_NORM2;
    return RMTK_OK;
}

/* Maps (or fetches) entry e's matrix and loads it into the worker's plan: streamed (the plan
 * forms the Gram matrix from the mapped bytes; the null stage's copy is converted too) or, when
 * dense, converted whole (the second load of a matrix whose Gram values failed the contract). A
 * caller's matrix (rmtk_analysis_add_matrix) is read in place, in parallel (no mapping to
 * share); a model's is mapped under the lock, as is a fetched tensor's, and read under it too,
 * except a raw file tensor streamed into the Gram matrix: that is read from a private second
 * mapping of its bytes after the lock is released (rmtk__model_remap: the streamed dsyrk of one
 * worker does not hold up the others' mapping). Sets e->errmsg on failure. */
static int load_entry(worker_ctx *w, rmtk__entry *e, size_t pos, bool dense)
{
    pool *pl = w->pl;
    rmtk_analysis *a = pl->a;
    rmtk_model *model = e->has_view ? NULL : a->models[e->model].model;
    bool locked = model || e->fetch; /* a fetch callback runs one at a time */

    if (locked)
        pthread_mutex_lock(&pl->lock);
    rmtk_matrix_view view = e->view;
    int st = model ? rmtk_layers_view(model, &e->e, &view) : RMTK_OK;
    const char *msg = st ? rmtk_model_errmsg(model) : "";
    const void *block = NULL;
    void *priv = NULL;
    size_t priv_len = 0;
    if (!st && e->fetch) { /* a tensor produced on demand: view.data is an offset into it */
        st = e->fetch(e->fetch_user, &block);
        if (!st && !block)
            st = RMTK_ERR_ARG;
        msg = st ? "the tensor's fetch callback failed" : "";
        if (!st)
            view.data = (const unsigned char *)block + (size_t)(uintptr_t)e->view.data;
    } else if (!st && model && !dense) {
        const void *q;
        if (rmtk__model_remap(model, view.data, &q, &priv, &priv_len) == RMTK_OK)
            view.data = q; /* else: read under the lock */
    }
    if (priv) {
        prefetch_next(pl, pos);
        pthread_mutex_unlock(&pl->lock);
    }
    if (!st) {
        st = dense ? rmtk_spectrum_load(w->plan, view) : rmtk__spectrum_load_gram(w->plan, view);
        msg = rmtk_spectrum_errmsg(w->plan);
    }
    if (!st && w->mat && !dense)
        st = rmtk_matrix_to_double(view, w->mat);
    if (st)
        e->errmsg = rmtk__strdup(msg);
    if (priv) {
        munmap(priv, priv_len);
        return st;
    }
    if (block && e->release)
        e->release(e->fetch_user);
    if (!locked)
        pthread_mutex_lock(&pl->lock);
    prefetch_next(pl, pos);
    pthread_mutex_unlock(&pl->lock);
    return st;
}

static void process(worker_ctx *w, size_t pos)
{
    pool *pl = w->pl;
    rmtk_analysis *a = pl->a;
    size_t idx = pl->order[pos];
    rmtk__entry *e = &a->entries[idx];
    rmtk__ctx c;
    memset(&c, 0, sizeof c);
    int st = RMTK_OK;
    bool given = e->given_sv != NULL, product = e->e.inner > 0;
    bool pooled = !given && !product && e->e.pooled > 0 && e->fmodel == RMTK__NO_MODEL &&
                  !e->has_view && !e->fetch && e->model != RMTK__NO_MODEL;
    double factor_eps = 0, delta_frac = NAN;
    const double *u = NULL, *v = NULL;
    size_t k = (size_t)RMTK_MIN(e->e.rows, e->e.cols) * (pooled ? (size_t)e->e.pooled : 1);
    if (k > w->sv_cap) {
        rmtk__free(w->sv);
        w->sv_cap = 0;
        if (!(w->sv = rmtk__malloc_array(k, sizeof(double))))
            st = RMTK_ERR_NOMEM;
        else
            w->sv_cap = k;
    }
    if (!st && given) {
        memcpy(w->sv, e->given_sv, sizeof(double) * k);
        c.info.method = -1;
        c.info.k = (int64_t)k;
        goto stages;
    }
    if (!st && product) { /* given as factors: the low-rank route (analysis-factors.c) */
        st = rmtk__product_spectrum(a, e, &pl->lock, w->sv, &c.info, &factor_eps);
        goto stages;
    }
    if (!st && pooled) { /* --conv pooled: the slices' values in one ESD */
        st = pooled_spectrum(w, e, pos, &c.info);
        goto stages;
    }
    if (!st)
        st = worker_fit(w, e->e.rows, e->e.cols);
    if (st) {
        e->errmsg = rmtk__strdup(rmtk_status_str(st));
        goto done;
    }
    if (e->fmodel != RMTK__NO_MODEL) { /* W + Delta W (analysis-factors.c) */
        st = rmtk__merged_load(a, e, &pl->lock, w->plan, w->mat, &delta_frac);
        if (!st) {
            st = rmtk__spectrum_run_keep(w->plan, w->sv, pl->vectors, &u, &v, &c.info);
            if (st)
                e->errmsg = rmtk__strdup(rmtk_spectrum_errmsg(w->plan));
        }
        goto stages;
    }
    st = load_entry(w, e, pos, false);
    if (!st) {
        st = rmtk__spectrum_run_keep(w->plan, w->sv, pl->vectors, &u, &v, &c.info);
        if (st == RMTK__NEED_DENSE) {
            /* The streamed Gram values failed the accuracy contract: dgesdd on the dense copy,
             * one worker at a time (the --max-memory bound counts one dense copy). */
            pthread_mutex_lock(&pl->dense_lock);
            st = load_entry(w, e, pos, true);
            if (!st)
                st = rmtk__spectrum_run_keep(w->plan, w->sv, pl->vectors, &u, &v, &c.info);
            pthread_mutex_unlock(&pl->dense_lock);
        }
        if (st && !e->errmsg)
            e->errmsg = rmtk__strdup(rmtk_spectrum_errmsg(w->plan));
    }
stages:
    if (!st) {
        e->method = c.info.method;
        e->fallback = c.info.fallback;
        c.a = a;
        c.e = e;
        /* a pooled entry is seen as diag(W_1 .. W_P): (P rows) x (P cols), k = P min */
        c.rows = e->e.rows * (pooled ? e->e.pooled : 1);
        c.cols = e->e.cols * (pooled ? e->e.pooled : 1);
        c.k = k;
        c.sv = w->sv;
        c.eps = product ? factor_eps : rmtk_dtype_eps(given ? RMTK_DTYPE_F64 : e->e.dtype);
        c.tol = rmtk__rank_tol(c.sv, c.k, c.rows, c.cols, c.eps);
        c.rank = rmtk__numerical_rank(c.sv, c.k, c.rows, c.cols, c.eps);
        c.degenerate = c.rank >= 2 && c.sv[0] - c.sv[c.rank - 1] <= 2.0 * c.tol;
        c.u = given || product || pooled ? NULL : u; /* the plan's own vectors: no copies */
        c.v = given || product || pooled ? NULL : v;
        c.mat = given || product || pooled ? NULL : w->mat;
        c.plan = w->plan;
        c.seed = rmtk__matrix_seed(a->p.seed, idx);
        c.vws = w->vws;
        c.scratch = w->scratch;
        c.inner_threads = w->inner_threads;
        /* A product of inner dimension r has at most r non-zero values: no bulk statistics
         * (MP, levels, tails), their statuses too_few (docs/report.md, "factor_inner"). */
        const uint32_t bulk = RMTK_STATS_MP | RMTK_STATS_LEVELS | RMTK_STATS_TAILS;
        /* A pooled ESD is the union of P independent spectra: no single matrix (no vectors,
         * no replica), and the MP edge, level statistics and law selection of one matrix do not
         * describe a union; only basic, alpha and tails run (docs/report.md). */
        const uint32_t one_matrix = RMTK_STATS_MP | RMTK_STATS_LEVELS | RMTK_STATS_VECTORS |
                                    RMTK_STATS_NULL | RMTK_STATS_LAWS;
        for (size_t s = 0; !st && s < rmtk__nstages; s++) {
            uint32_t f = rmtk__stages[s].stats;
            if ((a->p.stats & f) && !(product && (f & bulk)) && !(pooled && (f & one_matrix)))
                st = rmtk__stages[s].run(&c);
        }
        if (pooled) {
            e->values[COL_CONV_POOLED] = (double)e->e.pooled;
            e->values[COL_MP_FIT_STATUS] = e->values[COL_MP_PAPER_STATUS] = RMTK_STAT_TOO_FEW;
            e->values[COL_LEVELS_STATUS] = RMTK_STAT_TOO_FEW;
        }
        if (product) {
            e->values[COL_FACTOR_INNER] = (double)e->e.inner;
            e->values[COL_MP_FIT_STATUS] = e->values[COL_MP_PAPER_STATUS] = RMTK_STAT_TOO_FEW;
            e->values[COL_LEVELS_STATUS] = e->values[COL_TAILS_STATUS] = RMTK_STAT_TOO_FEW;
        }
        e->values[COL_DELTA_FRO2_FRAC] = delta_frac;
        if (st && !e->errmsg)
            e->errmsg = rmtk__strdup(c.errmsg[0] ? c.errmsg : rmtk_status_str(st));
    }
done:
    e->status = st;
    pthread_mutex_lock(&pl->lock);
    pl->done_names[pl->done++] = e->e.name;
    if (st == RMTK_ERR_NOMEM)
        pl->global_error = st;
    pthread_cond_broadcast(&pl->cond);
    pthread_mutex_unlock(&pl->lock);
}

static void *worker_main(void *arg)
{
    worker_ctx *w = arg;
    pool *pl = w->pl;
    for (;;) {
        pthread_mutex_lock(&pl->lock);
        size_t pos = pl->next < pl->total ? pl->next++ : pl->total;
        pthread_mutex_unlock(&pl->lock);
        if (pos == pl->total)
            return NULL;
        process(w, pos);
    }
}

static void worker_free(worker_ctx *w)
{
    worker_release(w);
    rmtk_vectors_ws_free(w->vws);
    rmtk__free(w->sv);
}

/* The workers' Porter-Thomas workspaces go back to the analysis for its next run (a failure to
 * grow the pool only loses the reuse). */
static void keep_vectors_ws(rmtk_analysis *a, worker_ctx *ws, int nworkers)
{
    if ((size_t)nworkers > a->nvws_pool) {
        rmtk_vectors_ws **np = rmtk__realloc(a->vws_pool, (size_t)nworkers * sizeof *np);
        if (!np)
            return;
        for (size_t i = a->nvws_pool; i < (size_t)nworkers; i++)
            np[i] = NULL;
        a->vws_pool = np;
        a->nvws_pool = (size_t)nworkers;
    }
    for (int t = 0; t < nworkers; t++)
        if (ws[t].vws && !a->vws_pool[t]) {
            a->vws_pool[t] = ws[t].vws;
            ws[t].vws = NULL;
        }
}

/* Largest first: descending elements, then model order (a deterministic schedule). */
typedef struct {
    uint64_t elems;
    size_t idx;
} sched_key;

static int by_size_desc(const void *x, const void *y)
{
    const sched_key *a = x, *b = y;
    if (a->elems != b->elems)
        return a->elems > b->elems ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Bytes one worker holds for matrices up to the entry's shape: the plan (its own accounting,
 * from an allocation that is never touched: values only, the Gram matrix k^2 and one streamed
 * block; with vectors, or --exact, the dense A m n, the vectors and dgesdd's workspace) and the
 * null stage's two matrices. *dense: what the plan allocates besides for one matrix whose Gram
 * values fail the contract (the dense A for dgesdd; one worker at a time, pool.dense_lock). */
static int worker_bytes(const pool *pl, const rmtk__entry *e, uint64_t *bytes, uint64_t *dense)
{
    int64_t big = RMTK_MAX(e->e.rows, e->e.cols), small = RMTK_MIN(e->e.rows, e->e.cols);
    rmtk_spectrum_plan *plan;
    int st = rmtk_spectrum_plan_alloc(big, small, &pl->sp, &plan);
    if (st)
        return st;
    uint64_t nmat = pl->need_mat ? (pl->sp.vectors ? 1 : 2) : 0; /* mat, scratch (spare) */
    *bytes = rmtk_spectrum_plan_bytes(plan) + 8 * (uint64_t)small +
             8 * nmat * (uint64_t)big * (uint64_t)small;
    *dense = rmtk__spectrum_dense_bytes(plan);
    rmtk_spectrum_plan_free(plan);
    return RMTK_OK;
}

int rmtk_analysis_finish(rmtk_analysis *a)
{
    if (!a)
        return RMTK_ERR_ARG;
    int st = rmtk__multitest_apply(a);
    return st ? st : rmtk__summary_compute(a);
}

int rmtk_analysis_run(rmtk_analysis *a, rmtk_progress_fn progress, void *user)
{
    if (!a)
        return RMTK_ERR_ARG;
    size_t total = 0;
    for (size_t i = 0; i < a->nentries; i++)
        total += a->entries[i].e.skip == RMTK_SKIP_NONE;
    if (total == 0)
        return RMTK_OK;
    pool pl;
    memset(&pl, 0, sizeof pl);
    pl.a = a;
    pl.total = total;
    pl.vectors = (a->p.stats & RMTK__STATS_NEED_VECTORS) != 0;
    pl.need_mat = (a->p.stats & RMTK__STATS_NEED_MATRIX) != 0;
    pl.sp = a->p.spectrum;
    if (pl.vectors)
        pl.sp.vectors = 1; /* the values stay those of the values-only route (spectrum.c) */
    pl.order = rmtk__malloc_array(total, sizeof(size_t));
    pl.done_names = rmtk__malloc_array(total, sizeof *pl.done_names);
    sched_key *keys = rmtk__malloc_array(total, sizeof(sched_key));
    if (!pl.order || !pl.done_names || !keys) {
        rmtk__free(pl.order);
        rmtk__free(pl.done_names);
        rmtk__free(keys);
        return RMTK_ERR_NOMEM;
    }
    for (size_t i = 0, n = 0; i < a->nentries; i++)
        if (a->entries[i].e.skip == RMTK_SKIP_NONE) {
            keys[n].elems = entry_elems(&a->entries[i]);
            keys[n++].idx = i;
        }
    qsort(keys, total, sizeof(sched_key), by_size_desc);
    for (size_t n = 0; n < total; n++)
        pl.order[n] = keys[n].idx;
    rmtk__free(keys);
    int threads = rmtk__threads_used(a);
    int nworkers = (size_t)threads < total ? threads : (int)total;
    /* --max-memory: workers hold at most the buffers of their first matrices, the nworkers
     * largest (worker_fit), so the peak is at most the sum of those, plus one dense copy of the
     * largest matrix for a fallback to dgesdd (values only: the workers' plans hold Gram
     * matrices, pool.dense_lock lets one worker at a time convert a matrix whole). Fewer workers
     * when it is over the limit (a note in rmtk_analysis_errmsg); none fits: RMTK_ERR_NOMEM. */
    a->errmsg[0] = '\0';
    if (a->p.max_memory > 0) {
        uint64_t need = 0;
        int fit = 0;
        int st = RMTK_OK;
        for (int t = 0; t < nworkers && !st; t++) {
            uint64_t b = 0, d = 0;
            st = worker_bytes(&pl, &a->entries[pl.order[t]], &b, &d);
            need += b + (t == 0 ? d : 0); /* entry 0 is the largest */
            if (!st && need <= a->p.max_memory)
                fit = t + 1;
        }
        if (!st && fit == 0) {
            const rmtk__entry *e0 = &a->entries[pl.order[0]];
            uint64_t b = 0, d = 0;
            (void)worker_bytes(&pl, e0, &b, &d);
            b += d;
            st = rmtk__fail(a->errmsg, RMTK_ERR_NOMEM, "--max-memory %llu bytes: the largest "
                            "matrix, %s (%lld x %lld), alone needs %llu bytes",
                            (unsigned long long)a->p.max_memory, e0->e.name,
                            (long long)e0->e.rows, (long long)e0->e.cols, (unsigned long long)b);
        }
        if (st) {
            rmtk__free(pl.order);
            rmtk__free(pl.done_names);
            return st;
        }
        if (fit < nworkers) {
            rmtk__fail(a->errmsg, RMTK_OK, "--max-memory %llu bytes: %d workers instead of %d "
                       "(the %d largest matrices need %llu bytes together)",
                       (unsigned long long)a->p.max_memory, fit, nworkers, nworkers,
                       (unsigned long long)need);
            nworkers = fit;
        }
    }
    worker_ctx *ws = rmtk__calloc((size_t)nworkers, sizeof *ws);
    if (!ws) {
        rmtk__free(pl.order);
        rmtk__free(pl.done_names);
        return RMTK_ERR_NOMEM;
    }
    int st = RMTK_OK;
    for (int t = 0; t < nworkers && !st; t++) {
        worker_ctx *w = &ws[t];
        w->pl = &pl;
        w->inner_threads = nworkers > 1 ? 1 : threads;
        if ((a->p.stats & RMTK_STATS_VECTORS) && (size_t)t < a->nvws_pool &&
            a->vws_pool[t]) {
            w->vws = a->vws_pool[t]; /* kept from an earlier run: its nulls are drawn */
            a->vws_pool[t] = NULL;
        } else if (a->p.stats & RMTK_STATS_VECTORS) {
            rmtk_pt_params pt = a->p.vectors;
            pt.alpha = a->p.significance;
            pt.seed = a->p.seed;
            st = rmtk_vectors_ws_alloc(&pt, &w->vws);
        }
    }
    if (st) {
        for (int t = 0; t < nworkers; t++)
            worker_free(&ws[t]);
        rmtk__free(ws);
        rmtk__free(pl.order);
        rmtk__free(pl.done_names);
        return st;
    }
    /* One BLAS thread, whatever --threads: OpenBLAS partitions its work by its thread count, and
     * the rounding of every singular value changed with it (measured: 1e-14 relative), and on a rank-deficient matrix the values below
     * the numerical rank change completely (nsfwjs InceptionV3 dense_1/kernel, 2048 x 256 with
     * 144 zero columns: the robust MP fit gave sigma^2 3.2e-22 with 1 thread, 1.0e-21 with 2,
     * none with 3). Parallelism is over matrices (and the bootstrap replicas of a matrix). */
    int blas_before = openblas_get_num_threads();
    openblas_set_num_threads(1);
    pthread_mutex_init(&pl.lock, NULL);
    pthread_mutex_init(&pl.dense_lock, NULL);
    pthread_cond_init(&pl.cond, NULL);
    pthread_t *tids = rmtk__calloc((size_t)nworkers, sizeof *tids);
    int started = 0;
    if (!tids) {
        st = RMTK_ERR_NOMEM;
    } else if (nworkers == 1) {
        started = 0;
    } else {
        for (int t = 0; t < nworkers; t++) {
            if (pthread_create(&tids[t], NULL, worker_main, &ws[t]) != 0)
                break;
            started++;
        }
    }
    if (!st && started == 0) {
        /* Serial: the calling thread works and reports progress itself. */
        for (size_t pos = 0; pos < total; pos++) {
            process(&ws[0], pos);
            if (progress)
                progress(user, pl.done, total, pl.done_names[pl.done - 1]);
        }
    } else if (!st) {
        pthread_mutex_lock(&pl.lock);
        size_t reported = 0;
        while (reported < total) {
            while (pl.done == reported)
                pthread_cond_wait(&pl.cond, &pl.lock);
            size_t upto = pl.done;
            pthread_mutex_unlock(&pl.lock);
            /* one call per finished matrix, even when several finished since the last wake-up
             * (done_names[0..upto) are written once and no longer change) */
            for (; reported < upto; reported++)
                if (progress)
                    progress(user, reported + 1, total, pl.done_names[reported]);
            pthread_mutex_lock(&pl.lock);
        }
        pthread_mutex_unlock(&pl.lock);
        for (int t = 0; t < started; t++)
            pthread_join(tids[t], NULL);
    }
    openblas_set_num_threads(blas_before);
    pthread_cond_destroy(&pl.cond);
    pthread_mutex_destroy(&pl.lock);
    pthread_mutex_destroy(&pl.dense_lock);
    rmtk__free(tids);
    keep_vectors_ws(a, ws, nworkers);
    for (int t = 0; t < nworkers; t++)
        worker_free(&ws[t]);
    rmtk__free(ws);
    rmtk__free(pl.order);
    rmtk__free(pl.done_names);
    if (st)
        return st;
    if (pl.global_error)
        return pl.global_error;
    if ((st = rmtk_analysis_finish(a)) != RMTK_OK)
        return st;
    for (size_t i = 0; i < a->nentries; i++)
        if (a->entries[i].status) {
            rmtk__fail(a->errmsg, a->entries[i].status, "%s: %s", a->entries[i].e.name,
                       a->entries[i].errmsg ? a->entries[i].errmsg : "");
            return a->entries[i].status;
        }
    return RMTK_OK;
}

/* ---- results ------------------------------------------------------------------------------- */

size_t rmtk_analysis_count(const rmtk_analysis *a)
{
    return a ? a->nentries : 0;
}

size_t rmtk_analysis_column_count(const rmtk_analysis *a)
{
    return a ? a->nactive : 0;
}

const char *rmtk_analysis_column_name(const rmtk_analysis *a, size_t c)
{
    if (!a || c >= a->nactive)
        return NULL;
    return rmtk__columns[a->active[c]].name;
}

int rmtk_analysis_column_find(const rmtk_analysis *a, const char *name, size_t *c)
{
    if (!a || !name || !c)
        return RMTK_ERR_ARG;
    for (size_t i = 0; i < a->nactive; i++)
        if (strcmp(rmtk__columns[a->active[i]].name, name) == 0) {
            *c = i;
            return RMTK_OK;
        }
    return RMTK_ERR_NOTFOUND;
}

static const char *method_name(const rmtk__entry *e)
{
    if (e->e.skip != RMTK_SKIP_NONE || e->status != RMTK_OK || !e->narrays)
        return "";
    if (e->given_sv)
        return "given";
    if (e->e.inner > 0)
        return "factors";
    return e->method == RMTK_SPECTRUM_GRAM ? "gram" : "svd";
}

static const char *status_name(const rmtk__entry *e)
{
    if (e->e.skip != RMTK_SKIP_NONE)
        return "skipped";
    return e->status ? "error" : "ok";
}

int rmtk_analysis_row_get(const rmtk_analysis *a, size_t i, rmtk_analysis_row *row)
{
    if (!a || !row || i >= a->nentries)
        return RMTK_ERR_ARG;
    const rmtk__entry *e = &a->entries[i];
    row->name = e->e.name;
    row->status = status_name(e);
    row->reason = e->e.skip != RMTK_SKIP_NONE ? e->e.reason : (e->errmsg ? e->errmsg : "");
    row->method = method_name(e);
    row->dtype = rmtk_dtype_name(e->e.dtype);
    row->rows = e->e.rows;
    row->cols = e->e.cols;
    row->skip = e->e.skip;
    row->error = e->status;
    row->block = e->e.block;
    row->expert = e->e.expert;
    row->module = e->e.module ? e->e.module : "";
    return RMTK_OK;
}

const char *rmtk_stat_status_name(int status)
{
    switch (status) {
    case RMTK_STAT_OK: return "ok";
    case RMTK_STAT_CAPPED: return "capped";
    case RMTK_STAT_FAILED: return "failed";
    case RMTK_STAT_TOO_FEW: return "too_few";
    case RMTK_STAT_DEGENERATE: return "degenerate";
    }
    return "";
}

int rmtk_analysis_column_is_status(const rmtk_analysis *a, size_t c)
{
    if (!a || c >= a->nactive)
        return 0;
    return rmtk__columns[a->active[c]].status;
}

double rmtk_analysis_value(const rmtk_analysis *a, size_t i, size_t c)
{
    if (!a || i >= a->nentries || c >= a->nactive)
        return NAN;
    return a->entries[i].values[a->active[c]];
}

int rmtk_analysis_array(const rmtk_analysis *a, size_t i, const char *key, const double **x,
                        size_t *n)
{
    if (!a || !key || !x || !n || i >= a->nentries)
        return RMTK_ERR_ARG;
    const rmtk__entry *e = &a->entries[i];
    for (size_t j = 0; j < e->narrays; j++)
        if (strcmp(e->arrays[j].key, key) == 0) {
            *x = e->arrays[j].x;
            *n = e->arrays[j].n;
            return RMTK_OK;
        }
    return RMTK_ERR_NOTFOUND;
}
