/*
 * analysis-internal.h: the per-matrix pipeline's private types. A statistic plugs in as a stage:
 * a function over the matrix context that fills numeric columns (enum below, names in
 * analysis.c's column table) and named arrays of the entry. Stages run in table order.
 */
#ifndef RMTK_ANALYSIS_INTERNAL_H
#define RMTK_ANALYSIS_INTERNAL_H

#include "internal.h"

#include <pthread.h>

/* Statistics implemented, on by default, and needing vectors / the matrix as doubles. */
#define RMTK__STATS_IMPLEMENTED                                                                    \
    (RMTK_STATS_BASIC | RMTK_STATS_MP | RMTK_STATS_LEVELS | RMTK_STATS_TAILS |                    \
     RMTK_STATS_VECTORS | RMTK_STATS_NULL | RMTK_STATS_LAWS | RMTK_STATS_ALPHA)
#define RMTK__STATS_DEFAULT                                                                        \
    (RMTK_STATS_BASIC | RMTK_STATS_MP | RMTK_STATS_LEVELS | RMTK_STATS_ALPHA)
#define RMTK__STATS_NEED_VECTORS (RMTK_STATS_VECTORS)
#define RMTK__STATS_NEED_MATRIX (RMTK_STATS_NULL)

/* Numeric columns of summary.csv, in output order. */
enum rmtk__col {
    COL_Q,
    COL_FRO_NORM2,
    COL_SPECTRAL_NORM,
    COL_LAMBDA_MAX,
    COL_STABLE_RANK,
    COL_LOG_NORM,
    COL_LOG_SPECTRAL_NORM,
    COL_NUMERICAL_RANK,
    COL_SPECTRAL_ENTROPY,
    COL_EFFECTIVE_RANK,
    COL_CONDITION_NUMBER,
    COL_MP_SIGMA2_NAIVE,
    COL_MP_EDGE_NAIVE,
    COL_N_ABOVE_MP_EDGE,
    COL_LAMBDA_ERR_BOUND,
    COL_ESD_MEAN,
    COL_ESD_VAR,
    COL_ZERO_ATOM,
    COL_N_NULL,
    COL_DEGENERATE,
    COL_FACTOR_INNER,
    COL_CONV_POOLED,
    COL_DELTA_FRO2_FRAC,
    /* mp */
    COL_MP_SIGMA2,
    COL_MP_LAMBDA_MINUS,
    COL_MP_LAMBDA_PLUS,
    COL_N_SPIKES,
    COL_MP_SOFTRANK,
    COL_MP_TW_P_TOP,
    COL_MP_TW_P,
    COL_MP_TW_P_ADJ,
    COL_N_SPIKES_CTL,
    COL_MP_PAPER_SIGMA2,
    COL_MP_PAPER_NU_MAX,
    COL_MP_PAPER_N_ABOVE,
    COL_MP_LAW_KS,
    COL_MP_LAW_L1,
    COL_MP_LAW_KS_CRIT,
    COL_MP_LAW_KS_P,
    COL_MP_LAW_KS_P_ADJ,
    COL_MP_FIT_STATUS,
    COL_MP_PAPER_STATUS,
    /* levels */
    COL_R_MEAN,
    COL_R_SEM,
    COL_R_P_GOE,
    COL_R_P_GOE_ADJ,
    COL_KS_P_WIGNER,
    COL_KS_P_GOE,
    COL_KS_P_GOE_ADJ,
    COL_KS_P_POISSON,
    COL_BRODY_BETA,
    COL_BRODY_BETA_ERR,
    COL_BRODY_BETA_LS,
    COL_BRODY_BETA_LS_ERR,
    COL_SIGMA2_L1,
    COL_SIGMA2_L5,
    COL_DELTA3_L5,
    COL_N_UNFOLDED,
    COL_LEVELS_STATUS,
    /* tails */
    COL_ALPHA,
    COL_ALPHA_ERR,
    COL_ALPHA_WEIGHTED,
    COL_LOG_ALPHA_NORM,
    COL_XMIN,
    COL_KS_D,
    COL_N_TAIL,
    COL_CSN_ALPHA,
    COL_CSN_ALPHA_ERR,
    COL_CSN_XMIN,
    COL_CSN_KS_D,
    COL_CSN_N_TAIL,
    COL_CSN_P_GOF,
    COL_LR_LOGNORMAL,
    COL_LR_LOGNORMAL_P,
    COL_LR_EXPONENTIAL,
    COL_LR_EXPONENTIAL_P,
    COL_HILL_DEFINED,
    COL_HILL_ALPHA,
    COL_TAILS_STATUS,
    COL_WW_WARNING,
    COL_NUM_FINGERS,
    COL_TPL_ALPHA,
    COL_TPL_LAMBDA,
    COL_TPL_XMIN,
    COL_TPL_KS_D,
    COL_TPL_N_TAIL,
    COL_TPL_R,
    COL_TPL_P,
    /* vectors */
    COL_PT_FRAC_REJECTED,
    COL_PT_TOP_DECILE_FRAC_REJECTED,
    COL_IPR_MEAN,
    COL_IPR_REF,
    COL_PT_N_TESTED,
    COL_PT_P_SIMES,
    COL_PT_P_ADJ,
    COL_PT_TOP_DECILE_FRAC_CTL,
    /* null */
    COL_NULL_KS,
    COL_NULL_KS_SD,
    COL_NULL_W1,
    COL_NULL_GAUSS_KS,
    /* laws */
    COL_LAW_BEST,
    COL_LAW_ALT,
    COL_LAW_DELTA_BIC,
    COL_LAW_SCALE,
    COL_LAW_SCALE_ERR,
    COL_LAW_SHAPE,
    COL_LAW_SHAPE_ERR,
    COL_LAW_KS_BEST,
    COL_LAW_P_BEST,
    COL_LAW_ZERO_ATOM,
    COL_LAW_N,
    COL_LAW_KS_MP,
    COL_LAW_P_MP,
    COL_LAW_BIC_MP,
    COL_LAW_KS_MPSC,
    COL_LAW_P_MPSC,
    COL_LAW_BIC_MPSC,
    COL_LAW_KS_W2,
    COL_LAW_P_W2,
    COL_LAW_BIC_W2,
    COL_LAW_KS_W3,
    COL_LAW_P_W3,
    COL_LAW_BIC_W3,
    COL_LAW_KS_W4,
    COL_LAW_P_W4,
    COL_LAW_BIC_W4,
    COL_LAW_KS_W5,
    COL_LAW_P_W5,
    COL_LAW_BIC_W5,
    COL_LAW_KS_W6,
    COL_LAW_P_W6,
    COL_LAW_BIC_W6,
    COL_LAW_KS_SPARSE,
    COL_LAW_P_SPARSE,
    COL_LAW_BIC_SPARSE,
    COL_RAND_DISTANCE,
    COL_WW_SOFTRANK,
    COL_WW_MAXDIST,
    COL_MAX_RAND_EVAL,
    COL_RAND_NUM_SPIKES,
    RMTK__NCOLS
};

typedef struct {
    const char *name;
    uint32_t stats; /* the statistics flag that computes it */
    int status;     /* 1: a status column (enum rmtk_stat_status codes, written by name in CSV) */
    int integer;    /* 1: integer values (counts, 0/1 flags, status codes): no decimal point */
    const char *desc; /* one-line description (rmtk_report_key_describe; docs/report.md) */
} rmtk__column;

extern const rmtk__column rmtk__columns[RMTK__NCOLS];

#define RMTK__MAX_ARRAYS 40
#define RMTK__NO_MODEL SIZE_MAX

typedef struct {
    const char *key; /* static string */
    double *x;
    size_t n;
} rmtk__array;

typedef struct {
    rmtk_matrix_entry e; /* strings owned by the model's layer list (or by the entry) */
    size_t model;        /* RMTK__NO_MODEL for a given spectrum */
    double *given_sv;    /* rmtk_analysis_add_spectrum: the singular values (owned) */
    char *given_name;    /* and the name (owned; also of a caller's matrix, of add_factors and
                            add_base entries) */
    char *given_reason;  /* rmtk__analysis_add_entry: the skip reason (owned) */
    rmtk_matrix_view view; /* rmtk_analysis_add_matrix: the caller's matrix (borrowed) */
    int has_view;
    /* rmtk_analysis_add_tensor_fn: view.data is a byte offset into the block fetch returns
     * when the worker loads the matrix; release is called once it is converted */
    rmtk_tensor_fetch_fn fetch;
    rmtk_tensor_release_fn release;
    void *fetch_user;
    /* A product entry (e.inner > 0): rmtk_analysis_add_factors keeps L (rows x inner) and R
     * (inner x cols) as row-major doubles (owned) and their storage precision; a PEFT pair of a
     * model is read through rmtk_layers_factor_view (analysis-factors.c). */
    double *given_l, *given_r;
    double given_eps;
    /* A merged entry (rmtk_analysis_add_base): e is the base weight's entry in the base model
     * (models[model]), fe the product entry of the adapter (models[fmodel]; its strings owned by
     * that model's layer list), delta_t 1 when W + X^T. fmodel = RMTK__NO_MODEL otherwise. */
    size_t fmodel;
    rmtk_matrix_entry fe;
    int delta_t;
    int status;          /* RMTK_OK or the error of this matrix */
    char *errmsg;
    int32_t method, fallback;
    double values[RMTK__NCOLS];
    rmtk__array arrays[RMTK__MAX_ARRAYS];
    size_t narrays;
} rmtk__entry;

typedef struct {
    rmtk_model *model;
    rmtk_layers *layers;
    char *path;
    char *source; /* the input's label (rmtk_analysis_add_model_labeled); "" when none */
} rmtk__model_ref;

/* One key of report.json's "provenance" (rmtk_analysis_provenance_set): text, or the number
 * when text is NULL. */
#define RMTK__MAX_PROVENANCE 16
typedef struct {
    char *key, *text;
    double number;
} rmtk__provenance;

struct rmtk_analysis {
    rmtk_analysis_params p;
    char *include, *exclude;
    rmtk__model_ref *models;
    size_t nmodels;
    rmtk__entry *entries;
    size_t nentries;
    int active[RMTK__NCOLS]; /* the columns of the statistics requested */
    size_t nactive;
    rmtk__provenance prov[RMTK__MAX_PROVENANCE]; /* analysis-transfer.c */
    size_t nprov;
    char **groups;           /* model summary (analysis-summary.c): "all" and the modules */
    size_t ngroups;
    rmtk_model_summary_row *summary;
    size_t nsummary;
    /* Porter-Thomas workspaces kept from one run to the next (rmtk_analysis_run_entries is
     * called once per chunk by the MPI worker): the simulated nulls, one per dimension and seeded
     * by dimension, are drawn once per analysis instead of once per run. The parameters are
     * fixed at rmtk_analysis_new, so a kept workspace always matches. */
    rmtk_vectors_ws **vws_pool;
    size_t nvws_pool;
    char errmsg[RMTK_ERRMSG_SIZE];
};

/* What a stage sees of one matrix. */
typedef struct {
    const rmtk_analysis *a;
    rmtk__entry *e;
    int64_t rows, cols;
    size_t k;               /* min(rows, cols) */
    const double *sv;       /* singular values, largest first */
    /* Precision of the stored values: eps = rmtk_dtype_eps(stored dtype) (F64 for a given
     * spectrum). The one place a format with block scales sets its block precision instead. */
    double eps;
    double tol;             /* numerical-rank tolerance rmtk__rank_tol(sv, k, rows, cols, eps) */
    size_t rank;            /* #{sv_i > tol}: the values every stage uses (sv[0..rank)) */
    int degenerate;         /* rank >= 2 and sv_1 - sv_rank <= 2 tol */
    const double *u, *v;    /* vectors (vector-major) when a stage needs them, else NULL */
    const double *mat;      /* the matrix as rows x cols doubles when needed, else NULL */
    rmtk_spectrum_plan *plan; /* the worker's plan (free after the matrix's spectrum) */
    rmtk_spectrum_info info;
    uint64_t seed;          /* this matrix's seed */
    int inner_threads;      /* threads a stage may use itself (1 when matrices run in parallel) */
    rmtk_vectors_ws *vws;   /* the worker's Porter-Thomas workspace (VECTORS) */
    double *scratch;        /* rows x cols doubles for replicas (NULL) */
    rmtk_mp_result mp;      /* the mp stage's result, for later stages (valid when have_mp) */
    int have_mp;
    char errmsg[RMTK_ERRMSG_SIZE];
} rmtk__ctx;

typedef struct {
    uint32_t stats;
    int (*run)(rmtk__ctx *c);
} rmtk__stage;

extern const rmtk__stage rmtk__stages[];
extern const size_t rmtk__nstages;

/* The stages of the statistics (analysis-stages.c); stage_basic is in analysis.c. */
/* #{sigma_i > tol} for sv largest first, tol = rmtk__rank_tol = sigma_1 max(rows, cols) eps_F64
 * + (eps / sqrt 3) rms(W) (sqrt rows + sqrt cols), rms(W)^2 = sum sv^2 / (rows cols), with eps
 * the resolution of the stored dtype (rmtk_dtype_eps): numpy's matrix_rank rule for the float64
 * SVD plus twice the norm of the rounding of the stored entries (stage_basic's comment). Below it the values are rounding noise of a (numerically) rank-deficient matrix and
 * their singular vectors arbitrary directions of the null space: column numerical_rank, and
 * every stage (mp, levels, vectors, tails) leaves them out (n_null = k - rank). */
double rmtk__rank_tol(const double *sv, size_t k, int64_t rows, int64_t cols, double eps);
size_t rmtk__numerical_rank(const double *sv, size_t k, int64_t rows, int64_t cols, double eps);
int rmtk__stage_basic(rmtk__ctx *c);
/* The model-reference setup of rmtk_analysis_add_model_labeled and rmtk_analysis_add_base
 * (analysis.c): a new slot a->models[a->nmodels] (not counted: the caller increments nmodels
 * once the model is in) holding m, copies of path and source (NULL: ""), and m's layers under
 * extract (NULL: a->p.extract); *out points to it. On failure (RMTK_ERR_NOMEM, or the layers'
 * error with a->errmsg naming path) nothing it allocated is kept. */
int rmtk__add_model_ref(rmtk_analysis *a, rmtk_model *m, const char *path, const char *source,
                        const rmtk_extract_params *extract, rmtk__model_ref **out);
/* Append an entry that belongs to no model (analysis.c): a caller's matrix (view non-NULL,
 * skip RMTK_SKIP_NONE; the view is borrowed until rmtk_analysis_run returns) or a listed but
 * skipped tensor (view NULL, skip and reason as rmtk_layers gives them). name and reason are
 * copied. RMTK_ERR_NOMEM. */
int rmtk__analysis_add_entry(rmtk_analysis *a, const char *name, const rmtk_matrix_view *view,
                             int32_t skip, int32_t dtype, int64_t rows, int64_t cols,
                             const char *reason);
int rmtk__stage_mp(rmtk__ctx *c);
int rmtk__stage_tails(rmtk__ctx *c);
int rmtk__stage_alpha(rmtk__ctx *c);
int rmtk__stage_levels(rmtk__ctx *c);
int rmtk__stage_vectors(rmtk__ctx *c);
int rmtk__stage_null(rmtk__ctx *c);
int rmtk__stage_laws(rmtk__ctx *c);
/* The law-selection verdict phrase of an entry's columns (laws stage; report.json law_verdict);
 * "" when the stage gave no result. */
void rmtk__law_verdict(const double *values, double significance, char *buf, size_t size);

/* Matrices given as factors (analysis-factors.c). rmtk__product_spectrum: the singular values
 * of a product entry (e.inner > 0) into sv[0..k) by the low-rank route, its factors mapped and
 * converted under lock (a model maps one tensor at a time), *eps the factors' storage precision.
 * rmtk__merged_load: the dense W + X of a merged entry (fmodel set) into mat (rows x cols
 * doubles; allocated for the call when NULL) and the plan, *frac = ||X||_F^2 / ||W||_F^2.
 * Both set e->errmsg on failure. */
int rmtk__product_spectrum(rmtk_analysis *a, rmtk__entry *e, pthread_mutex_t *lock, double *sv,
                           rmtk_spectrum_info *info, double *eps);
int rmtk__merged_load(rmtk_analysis *a, rmtk__entry *e, pthread_mutex_t *lock,
                      rmtk_spectrum_plan *plan, double *mat, double *frac);
/* The report's method of a product entry. */
#define RMTK__METHOD_FACTORS (-2)

/* Attach a copy of x[0..n) to the entry under a static key. */
int rmtk__entry_set_array(rmtk__entry *e, const char *key, const double *x, size_t n);

/* The seed of the randomised statistics of entry idx: splitmix64(seed ^ splitmix64(idx))
 * (report.json records it per matrix, so a single statistic can be rerun with it). */
uint64_t rmtk__matrix_seed(uint64_t seed, size_t idx);
/* Model-level multiple testing (analysis-multitest.c): pools the raw p-values of every analysed
 * entry of each model into one family, adjusts it by a->p.multitest and fills the *_adj columns,
 * n_spikes_ctl and pt_top_decile_frac_ctl. Called by rmtk_analysis_run after every matrix. */
int rmtk__multitest_apply(rmtk_analysis *a);
/* The model summary of a run analysis into a->summary (analysis-summary.c); _free releases it;
 * _json writes report.json's "model_summary" object (a key and its value) into a sink. */
int rmtk__summary_compute(rmtk_analysis *a);
void rmtk__summary_free(rmtk_analysis *a);
struct rmtk__sink;
void rmtk__summary_json(struct rmtk__sink *s, const rmtk_analysis *a);
/* The verdict text of entry i into buf[0..size) and its enum rmtk_verdict_class (skipped or
 * failed: "" and RMTK_VERDICT_UNDETERMINED); analysis-verdict.c. */
int rmtk__entry_verdict(const rmtk_analysis *a, size_t i, char *buf, size_t size);
/* Frees the provenance keys of a (analysis-transfer.c; rmtk_analysis_free). */
void rmtk__provenance_free(rmtk_analysis *a);
/* The worker threads of a run: params.threads, or the online cores when it is 0. */
int32_t rmtk__threads_used(const rmtk_analysis *a);

#endif /* RMTK_ANALYSIS_INTERNAL_H */
