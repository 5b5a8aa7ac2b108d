/* fuzz-npz.c: the zip reader (end records, zip64, central and local headers, deflate, CRC) and
 * the npy headers of its members, then conversion and layer extraction. Seeds: seeds-npz.py. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_model_bytes(data, size, ".npz");
}
