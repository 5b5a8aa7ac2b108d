/* fuzz-tfjs.c: the TensorFlow.js reader: model.json JSON (layers and graph topologies, the
 * weights manifest, quantisation specs), shard-path confinement, the stream layout across
 * shards, and the fetch (gather across shards, affine/float16 dequantisation, permutation).
 * The input is the model.json (or a bare manifest); two shards are written next to it once:
 * w1.bin (64 bytes) and w2.bin (37 bytes), so that inputs naming them (seeds-tfjs.py) reach the
 * whole path. Shards that an input names but that do not exist give the I/O error path. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char shard_path[2][512];

static void write_shard(int k, size_t nbytes)
{
    snprintf(shard_path[k], sizeof shard_path[k], "%s/w%d.bin", fuzz_tmpdir(), k + 1);
    FILE *f = fopen(shard_path[k], "wb");
    if (!f)
        abort();
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
        write_shard(0, 64);
        write_shard(1, 37);
        atexit(remove_shards);
    }
    return fuzz_model_bytes(data, size, ".json");
}
