/*
 * analysis-internal.h: the per-matrix pipeline's private types. A statistic plugs in as a stage:
 * a function over the matrix context that fills numeric columns (enum below, names in
 * analysis.c's column table) and named arrays of the entry. Stages run in table order.
 */
#ifndef RMTK_ANALYSIS_INTERNAL_H
#define RMTK_ANALYSIS_INTERNAL_H

#include "internal.h"

/* Statistics implemented, on by default, and needing vectors / the matrix as doubles. */
#define RMTK__STATS_IMPLEMENTED (RMTK_STATS_BASIC)
#define RMTK__STATS_DEFAULT (RMTK_STATS_BASIC)
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
    RMTK__NCOLS
};

typedef struct {
    const char *name;
    uint32_t stats; /* the statistics flag that computes it */
} rmtk__column;

extern const rmtk__column rmtk__columns[RMTK__NCOLS];

#define RMTK__MAX_ARRAYS 24

typedef struct {
    const char *key; /* static string */
    double *x;
    size_t n;
} rmtk__array;

typedef struct {
    rmtk_matrix_entry e; /* strings owned by the model's layer list */
    size_t model;
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
} rmtk__model_ref;

struct rmtk_analysis {
    rmtk_analysis_params p;
    char *include, *exclude;
    rmtk__model_ref *models;
    size_t nmodels;
    rmtk__entry *entries;
    size_t nentries;
    int active[RMTK__NCOLS]; /* the columns of the statistics requested */
    size_t nactive;
    char errmsg[RMTK_ERRMSG_SIZE];
};

/* What a stage sees of one matrix. */
typedef struct {
    const rmtk_analysis *a;
    rmtk__entry *e;
    int64_t rows, cols;
    size_t k;               /* min(rows, cols) */
    const double *sv;       /* singular values, largest first */
    const double *u, *v;    /* vectors (vector-major) when a stage needs them, else NULL */
    const double *mat;      /* the matrix as rows x cols doubles when needed, else NULL */
    rmtk_spectrum_plan *plan; /* the worker's plan (free after the matrix's spectrum) */
    rmtk_spectrum_info info;
    uint64_t seed;          /* this matrix's seed */
    char errmsg[RMTK_ERRMSG_SIZE];
} rmtk__ctx;

typedef struct {
    uint32_t stats;
    int (*run)(rmtk__ctx *c);
} rmtk__stage;

extern const rmtk__stage rmtk__stages[];
extern const size_t rmtk__nstages;

/* Attach a copy of x[0..n) to the entry under a static key. */
int rmtk__entry_set_array(rmtk__entry *e, const char *key, const double *x, size_t n);

#endif /* RMTK_ANALYSIS_INTERNAL_H */
