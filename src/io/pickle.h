/*
 * pickle.h: a restricted Python pickle machine for PyTorch checkpoints (pickle.c). It runs the
 * opcodes of protocols 2 to 5 that torch.save writes and builds a graph of plain values (None,
 * bools, ints, floats, strings, tuples, lists, dicts, sets) plus the few torch objects a
 * checkpoint holds (storages, tensors). Globals resolve only through an allowlist of names with
 * fixed, data-only meanings (pickle.c lists them); any other global is an error that names it.
 * Nothing is ever imported, called or executed.
 */
#ifndef RMTK_PICKLE_H
#define RMTK_PICKLE_H

#include "internal.h"

enum pk_kind {
    PK_NONE = 0,
    PK_BOOL,
    PK_INT,     /* i; sub = 1 when the value does not fit 64 bits (i is then 0) */
    PK_FLOAT,   /* f */
    PK_STR,     /* s[0..len): str (UTF-8) */
    PK_BYTES,   /* s[0..len) */
    PK_TUPLE,   /* items[0..n) */
    PK_LIST,    /* items[0..n) */
    PK_SET,     /* items[0..n) */
    PK_DICT,    /* items[0..n): key, value, key, value, ... (n/2 pairs) */
    PK_GLOBAL,  /* an allowlisted global: sub = PG_*, dtype/itemsize for storage types, dtypes */
    PK_STORAGE, /* a persistent storage: items = {key, location}; dtype, itemsize, i = numel */
    PK_TENSOR,  /* items = {storage, offset, size, stride}; dtype, itemsize from the storage or
                   a _rebuild_tensor_v3 dtype; sub = PT_* */
    PK_OPAQUE   /* an allowlisted value rmtk does not look into (torch.device, a layout) */
};

/* What an allowlisted global means. */
enum pk_global {
    PG_ORDERED_DICT = 1, /* collections.OrderedDict: a dict */
    PG_DEFAULTDICT,      /* collections.defaultdict: a dict (the factory is not kept) */
    PG_SET,              /* builtins.set / builtins.frozenset: a set */
    PG_ATTRDICT,         /* Lightning's AttributeDict: a dict */
    PG_NAMESPACE,        /* argparse.Namespace: a dict of its attributes */
    PG_REBUILD_TENSOR,   /* torch._utils._rebuild_tensor(storage, offset, size, stride) */
    PG_REBUILD_TENSOR_V2, /* torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) */
    PG_REBUILD_TENSOR_V3, /* torch._utils._rebuild_tensor_v3(..., dtype, ...) */
    PG_REBUILD_PARAMETER, /* torch._utils._rebuild_parameter(data, requires_grad, hooks) */
    PG_REBUILD_PARAMETER_STATE, /* torch._utils._rebuild_parameter_with_state(data, ..., state) */
    PG_REBUILD_FROM_TYPE, /* torch._tensor._rebuild_from_type_v2(func, type, args, state) */
    PG_REBUILD_QTENSOR,  /* torch._utils._rebuild_qtensor: listed, not converted */
    PG_REBUILD_SPARSE,   /* torch._utils._rebuild_sparse_tensor / _csr: listed, not converted */
    PG_REBUILD_META,     /* torch._utils._rebuild_meta_tensor_no_storage: listed, no data */
    PG_TENSOR_CLASS,     /* torch.Tensor, torch.nn.parameter.Parameter (a type argument) */
    PG_STORAGE_TYPE,     /* torch.FloatStorage, ...: dtype, itemsize */
    PG_DTYPE,            /* torch.float32, ...: dtype, itemsize */
    PG_DEVICE,           /* torch.device: an opaque value */
    PG_GET_LAYOUT,       /* torch.serialization._get_layout: an opaque value */
    PG_LAYOUT,           /* torch.strided, torch.sparse_coo, torch.per_tensor_affine, ...: value */
};

/* Tensor kinds (PK_TENSOR sub). */
enum { PT_DENSE = 0, PT_QUANTISED = 1, PT_SPARSE = 2, PT_META = 3 };

typedef struct pk_val {
    int32_t kind; /* enum pk_kind */
    int32_t sub;
    int32_t dtype;     /* enum rmtk_dtype (storage types, dtypes, tensors) */
    int32_t itemsize;  /* bytes per element (storage types, dtypes, tensors) */
    int64_t i;
    double f;
    const char *s; /* PK_STR/PK_BYTES: into the pickle bytes (not NUL-terminated); PK_GLOBAL:
                      the global's dotted name (static) */
    size_t len;
    uint32_t *items;
    size_t n, cap; /* PK_DICT: n = 2 x pairs */
} pk_val;

typedef struct pk_machine {
    pk_val *v;
    size_t nv, capv;
    uint32_t *stack;
    size_t nstack, capstack;
    size_t *marks;
    size_t nmarks, capmarks;
    uint32_t *memo; /* value index + 1; 0 = unset */
    size_t nmemo;
    uint64_t memo_count; /* keys set (the next MEMOIZE key) */
    uint64_t end;  /* byte offset just after STOP */
    int truncated; /* set when the run failed because the bytes ended (more may help) */
} pk_machine;

/* Run the pickle p[0..n) (file and member name messages; base = the byte offset of p[0] in the
 * file, for messages) up to its STOP opcode. On success *root is the index of the result in
 * pm->v and pm->end the offset (relative to p) just after STOP. Errors (RMTK_ERR_FORMAT for
 * malformed data, RMTK_ERR_UNSUPPORTED for a global outside the allowlist or an opcode rmtk
 * does not run, RMTK_ERR_NOMEM) are written to err and name the file, member, byte offset,
 * opcode and global. Free pm with rmtk__pickle_free in every case. */
int rmtk__pickle_run(pk_machine *pm, const unsigned char *p, size_t n, const char *file,
                     const char *member, uint64_t base, uint32_t *root, char *err);
void rmtk__pickle_free(pk_machine *pm);

/* A short name of a value's kind ("dict", "tensor", ...) for messages. */
const char *rmtk__pickle_kind_name(int kind);

#endif /* RMTK_PICKLE_H */
