/* fuzz-safetensors.c: the safetensors reader (header JSON, offsets, tiling, dtypes), then the
 * index, conversion and layer extraction of whatever opens. Seeds: seeds-safetensors.py. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_model_bytes(data, size, ".safetensors");
}
