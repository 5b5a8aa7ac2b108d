/* fuzz-safetensors-index.c: the shard index reader (*.safetensors.index.json): JSON, metadata,
 * weight_map, shard-name confinement, and the check that every listed tensor is in its shard.
 * The input is the index; two valid shards, shard-1.safetensors (tensors "a" F32 [6, 4] and
 * "b" F16 [4, 2]) and shard-2.safetensors ("c" BF16 [3, 5]), are written next to it once, so
 * that inputs naming them reach the whole path (seeds-safetensors-index.py names them).
 * Shards that an input names but that do not exist give the I/O error path. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char shard_path[2][512];

static void write_shard(int k, const char *header, size_t nbytes)
{
    snprintf(shard_path[k], sizeof shard_path[k], "%s/shard-%d.safetensors", fuzz_tmpdir(),
             k + 1);
    FILE *f = fopen(shard_path[k], "wb");
    if (!f)
        abort();
    uint64_t n = strlen(header);
    unsigned char len[8];
    for (int b = 0; b < 8; b++)
        len[b] = (unsigned char)(n >> (8 * b));
    fwrite(len, 1, 8, f);
    fwrite(header, 1, (size_t)n, f);
    for (size_t i = 0; i < nbytes; i++)
        fputc((int)(i * 37u % 251u), f);
    fclose(f);
}

static void remove_shards(void)
{
    unlink(shard_path[0]);
    unlink(shard_path[1]);
    rmdir(fuzz_tmpdir());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!shard_path[0][0]) {
        write_shard(0,
                    "{\"__metadata__\": {\"format\": \"pt\"}, "
                    "\"a\": {\"dtype\": \"F32\", \"shape\": [6, 4], \"data_offsets\": [0, 96]}, "
                    "\"b\": {\"dtype\": \"F16\", \"shape\": [4, 2], \"data_offsets\": [96, 112]}}",
                    112);
        write_shard(1,
                    "{\"c\": {\"dtype\": \"BF16\", \"shape\": [3, 5], \"data_offsets\": [0, 30]}}",
                    30);
        atexit(remove_shards);
    }
    return fuzz_model_bytes(data, size, ".safetensors.index.json");
}
