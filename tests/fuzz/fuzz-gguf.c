/*
 * fuzz-gguf.c: libFuzzer target of the GGUF reader (read-gguf.c, quant.c): header, key/values,
 * tensor infos, alignment, and the dequantisation of every block type. Seeds:
 * tests/fuzz/seeds-gguf.py. Build and run: docs/formats.md ("Fuzzing").
 */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_model_bytes(data, size, ".gguf");
}
