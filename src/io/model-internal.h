/*
 * model-internal.h: the reader interface behind rmtk_model. A reader parses one file's headers
 * and appends format-neutral index entries through the helpers below; it never reads tensor
 * bytes. model.c owns detection, the index, the name lookup, mapping and conversion.
 */
#ifndef RMTK_MODEL_INTERNAL_H
#define RMTK_MODEL_INTERNAL_H

#include "internal.h"

/* How a tensor's bytes are stored in its file. */
enum {
    MODEL_STORE_RAW = 0,     /* info.nbytes raw bytes at info.offset */
    MODEL_STORE_ZIP_RAW = 1, /* a stored (method 0) zip member: header + data, CRC-checked */
    MODEL_STORE_DEFLATE = 2, /* a deflated (method 8) zip member: inflate, CRC-check */
    MODEL_STORE_FETCH = 3    /* produced by the reader's fetch callback (rmtk_model.fetch):
                                decoded, gathered across files or read through a library */
};

/* The role of a tensor in a recurrent ONNX node (model_tensor.rnn_role): [dirs, gates*H, in]
 * W or [dirs, gates*H, H] R of an LSTM (gates i o f c) or GRU (gates z r h). */
enum model_rnn_role {
    MODEL_RNN_NONE = 0,
    MODEL_RNN_LSTM_W = 1,
    MODEL_RNN_LSTM_R = 2,
    MODEL_RNN_GRU_W = 3,
    MODEL_RNN_GRU_R = 4
};

typedef struct model_tensor {
    rmtk_tensor_info info; /* name, dtype_str point into strings the model owns */
    size_t file;           /* index into model->files */
    int32_t store;         /* MODEL_STORE_* */
    int32_t crc_ok;        /* zip members: CRC verified once */
    uint64_t member_offset; /* zip members: offset of the member's (compressed) data */
    uint64_t member_csize;  /* compressed size */
    uint64_t member_usize;  /* uncompressed size (npy header + data) */
    uint64_t member_hdr;    /* bytes of npy header at the start of the uncompressed member */
    uint32_t member_crc;
    uint32_t itemsize;      /* bytes per stored element (strided gathers) */
    int32_t strided;        /* 1: a non-contiguous view (PyTorch): element k_0..k_{d-1} is at
                               element sum k_i strides[i] from the data start (member_hdr);
                               rmtk_model_map gathers it into C order */
    int32_t rnn_role;       /* ONNX: the W (input) or R (recurrent) weight of an LSTM or GRU
                               node, an enum model_rnn_role (read-onnx.c); 0 none */
    int64_t strides[RMTK_MAX_DIMS];
    const char *skip_reason; /* static text: listed but never analysed (optimizer state) */
} model_tensor;

struct rmtk_model {
    char errmsg[RMTK_ERRMSG_SIZE];
    const char *format;      /* "safetensors", "npy", "npz", "gguf", "pytorch", "onnx" */
    char **files;            /* paths of the files holding tensor data */
    size_t nfiles, cap_files;
    model_tensor *t;         /* the index */
    size_t n, cap;
    size_t *by_name;         /* tensor indices sorted by name (built after indexing) */
    char **meta;             /* key, value, key, value, ... */
    size_t nmeta, cap_meta;
    void *map_base;          /* the current mapping (munmap'd on the next map) */
    const void *cur_data;    /* bytes of the tensor mapped last (reused while it is the same) */
    size_t cur;              /* its index, valid when has_cur */
    int has_cur;
    size_t map_len;
    const char *map_path;    /* the current mapping's file and page-aligned offset */
    uint64_t map_off;
    unsigned char *buf;      /* inflated member bytes, reused and grown */
    size_t buf_cap;
    unsigned char *gbuf;     /* strided tensors gathered into C order, reused and grown */
    size_t gbuf_cap;
    uint64_t bytes_read;     /* tensor-data bytes mapped or read */
    uint64_t bytes_inflated; /* bytes produced by zlib, headers included (tests watch it) */
    /* MODEL_STORE_FETCH: the reader's callback writes tensor i's info.nbytes bytes, in
     * info.dtype, C order, little-endian unless info.big_endian, to dst (a buffer the model owns
     * and reuses, like the gather buffer), adds the file bytes it read to m->bytes_read, and
     * returns a status with m->errmsg set. reader_state is the reader's own (an open library
     * handle, decoding parameters), freed by reader_state_free at rmtk_model_close. */
    int (*fetch)(rmtk_model *m, size_t i, unsigned char *dst);
    void *reader_state;
    void (*reader_state_free)(void *state);
    rmtk_architecture arch;  /* config.json / GGUF metadata (architecture.c); type in arch_type */
    char *arch_type;
};

/* Fill m->arch from config.json beside path (in it when is_dir) or the GGUF metadata; only
 * RMTK_ERR_NOMEM fails (a missing or invalid config is "unknown"). architecture.c */
/* A second, private read-only mapping of the file bytes p points into, when p lies in the
 * model's current file mapping (a raw tensor): *q is the same byte in it; munmap(*base, *len)
 * when done. It stays valid when the model maps another tensor, so a worker can read it outside
 * the model's lock. RMTK_ERR_UNSUPPORTED when p is not in a file mapping (an inflated member, a
 * gathered strided tensor); RMTK_ERR_IO/NOMEM (named in the model's errmsg) when mmap fails. */
int rmtk__model_remap(rmtk_model *m, const void *p, const void **q, void **base, size_t *len);
int rmtk__model_load_arch(rmtk_model *m, const char *path, int is_dir);

/* Append path to the model's file list; *idx receives its index. */
int rmtk__model_add_file(rmtk_model *m, const char *path, size_t *idx);
/* Append a zeroed tensor entry whose name (a copy of name[0..len)) and dtype_str (a copy) the
 * model owns; *out points to it until the next append. */
int rmtk__model_add_tensor(rmtk_model *m, const char *name, size_t len, const char *dtype_str,
                           model_tensor **out);
/* Append a metadata key/value pair (copied). */
int rmtk__model_add_meta(rmtk_model *m, const char *key, const char *value);
/* pread exactly n bytes at off; RMTK_ERR_IO (with a message naming path) on error or EOF. */
int rmtk__pread_full(rmtk_model *m, int fd, const char *path, void *buf, size_t n, uint64_t off);

/* Why a file name found inside a model (a shard of an index, a TF.js shard, ONNX external data)
 * may not be opened, or NULL: it must be a non-empty relative path with no ".." component, no
 * backslash and no URL syntax, so it stays inside the directory of the file that names it (a
 * symbolic link there is followed, as the Hugging Face cache's snapshot links need; callers open
 * only regular files). */
const char *rmtk__relpath_problem(const char *s);

/* The formats rmtk reads, "; "-separated, into buf (for messages); returns the length. */
size_t rmtk__formats_read(char *buf, size_t size);

/* Readers: parse the file at path (open as fd, size bytes) and append its tensors. */
int rmtk__read_safetensors(rmtk_model *m, const char *path, int fd, uint64_t size);
int rmtk__read_safetensors_index(rmtk_model *m, const char *path, int fd, uint64_t size);
int rmtk__read_npy(rmtk_model *m, const char *path, int fd, uint64_t size);
int rmtk__read_npz(rmtk_model *m, const char *path, int fd, uint64_t size);
/* GGUF (read-gguf.c); a split set's first part opens every part. */
int rmtk__read_gguf(rmtk_model *m, const char *path, int fd, uint64_t size);
/* PyTorch (read-pytorch.c): the torch.save zip format (and, seen from its first bytes, the
 * legacy pickle stream); rmtk__read_pytorch_legacy: the legacy format only.
 * rmtk__pytorch_sniff: 1 when the zip fd has a data.pkl member (or path a torch extension:
 * .pt, .pth, .bin, .ckpt), 0 when not (or unreadable: the npz reader reports why), -1 when out
 * of memory. */
int rmtk__read_pytorch(rmtk_model *m, const char *path, int fd, uint64_t size);
int rmtk__read_pytorch_legacy(rmtk_model *m, const char *path, int fd, uint64_t size);
int rmtk__pytorch_sniff(int fd, uint64_t size, const char *path);
/* ONNX (read-onnx.c): a ModelProto; initializers, Constant nodes and subgraphs' tensors.
 * rmtk__onnx_probe: 1 when the first bytes look like a ModelProto (ir_version first). */
int rmtk__read_onnx(rmtk_model *m, const char *path, int fd, uint64_t size);
int rmtk__onnx_probe(const unsigned char *head, size_t have);

/* TensorFlow.js (read-tfjs.c): a model.json (layers or graph model) or a bare weights manifest
 * and the shards it lists; values through MODEL_STORE_FETCH (dequantised, permuted to
 * (out, in, kernel...)). */
int rmtk__read_tfjs(rmtk_model *m, const char *path, int fd, uint64_t size);

/* Keras (read-keras.c, through libhdf5): rmtk__read_keras_h5 an HDF5 file (Keras 2 .h5/.hdf5,
 * Keras 3 .weights.h5), rmtk__read_keras_zip a Keras 3 .keras zip (its model.weights.h5).
 * rmtk__keras_sniff: 1 when the zip fd has a model.weights.h5 member (or path ends in .keras),
 * 0 when not (or unreadable), -1 when out of memory. */
int rmtk__read_keras_h5(rmtk_model *m, const char *path, int fd, uint64_t size);
int rmtk__read_keras_zip(rmtk_model *m, const char *path, int fd, uint64_t size);
int rmtk__keras_sniff(int fd, uint64_t size, const char *path);

/* PEFT adapters (peft.c): in the entries e[0..n) of rmtk_layers_alloc (tensor order), pair each
 * module's lora_A/lora_B (and lora_embedding_A/B) factors into one product entry (inner > 0,
 * "<module>.lora_delta", scale from the adapter_config.json beside the file) and list the factor
 * tensors' other entries, and unpaired factors, as RMTK_SKIP_FACTOR with the reason. Renames in
 * place (entry strings are the list's). RMTK_ERR_FORMAT for an unreadable adapter_config.json,
 * RMTK_ERR_NOMEM; the message in m->errmsg. */
int rmtk__peft_pair(rmtk_model *m, const rmtk_extract_params *p, rmtk_matrix_entry *e, size_t n);

/* The npy header, parsed (read-npy.c). */
typedef struct npy_header {
    int version;          /* 1, 2 or 3 */
    uint64_t header_len;  /* total bytes before the data (magic + lengths + dict) */
    int32_t dtype;
    int32_t big_endian;
    int32_t fortran_order;
    int32_t ndim;
    int64_t shape[RMTK_MAX_DIMS];
    uint64_t numel, nbytes, itemsize;
    char descr[32];
} npy_header;

/* Parse an npy header from its first `have` bytes. Returns RMTK_OK, or RMTK_ERR_RANGE with
 * *need set when more bytes are needed, or an error with a message naming file and tensor. */
int rmtk__npy_parse(rmtk_model *m, const char *file, const char *tensor, const unsigned char *p,
                    size_t have, npy_header *h, uint64_t *need);

#endif /* RMTK_MODEL_INTERNAL_H */
