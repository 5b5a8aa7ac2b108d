/*
 * abi.c: the sizes of the public structs, so that bindings that mirror them (the Python package's
 * ctypes classes) can refuse to run against a library whose layout differs instead of reading or
 * writing past a struct.
 */
#include "internal.h"

#include <string.h>

#define ENTRY(T) {#T, sizeof(T)}

static const struct {
    const char *name;
    size_t size;
} sizes[] = {
    ENTRY(rmtk_rng),           ENTRY(rmtk_tensor_info),      ENTRY(rmtk_matrix_view),
    ENTRY(rmtk_extract_params), ENTRY(rmtk_matrix_entry),    ENTRY(rmtk_structure),
    ENTRY(rmtk_spectrum_params), ENTRY(rmtk_spectrum_info),  ENTRY(rmtk_mp_law),
    ENTRY(rmtk_mp_params),     ENTRY(rmtk_mp_paper_fit),     ENTRY(rmtk_mp_robust_fit),
    ENTRY(rmtk_mp_result),     ENTRY(rmtk_unfold_params),    ENTRY(rmtk_nv_mc_params),
    ENTRY(rmtk_levels_params), ENTRY(rmtk_levels_result),    ENTRY(rmtk_pt_params),
    ENTRY(rmtk_vectors_result), ENTRY(rmtk_null_params),     ENTRY(rmtk_null_result),
    ENTRY(rmtk_hill_params),   ENTRY(rmtk_hill_plateau),     ENTRY(rmtk_powerlaw_params),
    ENTRY(rmtk_powerlaw_fit),  ENTRY(rmtk_lr_test),          ENTRY(rmtk_ww_fit),
    ENTRY(rmtk_tails_params),  ENTRY(rmtk_tails_result),     ENTRY(rmtk_ensemble_params),
    ENTRY(rmtk_law_params),    ENTRY(rmtk_law_info),         ENTRY(rmtk_law_comparison),
    ENTRY(rmtk_analysis_params), ENTRY(rmtk_analysis_row),   ENTRY(rmtk_denoise_params),
    ENTRY(rmtk_denoise_result), ENTRY(rmtk_lanczos_params),  ENTRY(rmtk_slq_info),
    ENTRY(rmtk_fitlaw_params), ENTRY(rmtk_ww_params),     ENTRY(rmtk_tpl_fit),
    ENTRY(rmtk_fitlaw_candidate), ENTRY(rmtk_fitlaw_result),
};

size_t rmtk_struct_size(const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcmp(sizes[i].name, name))
            return sizes[i].size;
    return 0;
}
