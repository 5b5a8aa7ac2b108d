/* fuzz-npy.c: the .npy reader (magic, versions 1-3, the header dict parser, Fortran order, byte
 * order), then conversion and layer extraction. Seeds: seeds-npy.py. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_model_bytes(data, size, ".npy");
}
