/*
 * fuzz-onnx.c: libFuzzer target of the ONNX reader (read-onnx.c, protobuf.c): the protobuf wire
 * format, ModelProto / GraphProto / NodeProto / TensorProto fields, subgraph recursion, external
 * data references and the typed-field decoding. Seeds: tests/fuzz/seeds-onnx.py. Build and
 * run: docs/formats.md ("Fuzzing").
 */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_model_bytes(data, size, ".onnx");
}
