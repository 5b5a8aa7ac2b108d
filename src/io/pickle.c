/*
 * pickle.c: a restricted pickle machine. torch.save writes a checkpoint's object tree as a
 * Python pickle; an ordinary unpickler imports and calls whatever globals the pickle names,
 * which is how a malicious checkpoint runs code (a GLOBAL of os.system then a REDUCE). This
 * machine never imports or calls anything: it interprets the stack opcodes of protocols 2 to 5
 * and resolves a GLOBAL only when its module.name is in the fixed allowlist below, where each
 * name has a data-only meaning (OrderedDict -> a dict, torch._utils._rebuild_tensor_v2 -> a
 * tensor record, torch.FloatStorage -> a dtype). Every other global, and every opcode that can
 * only serve code execution (EXT*, INST, OBJ) or that rmtk does not need (protocol-0 text
 * strings, out-of-band buffers), is an error that names it and its byte offset. The result is a
 * graph of values in an arena (indices, not pointers); memo references share values as pickle
 * semantics require, so a state dict's tied weights and shared storages stay shared.
 * REF: CPython Lib/pickle.py and Lib/pickletools.py (opcode table); PEP 307 (protocol 2),
 * PEP 3154 (protocol 4), PEP 574 (protocol 5); torch/serialization.py and torch/_utils.py
 * (what torch pickles).
 */
#include "pickle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *mod, *name;
    int32_t g, dtype, itemsize;
} allow_entry;

/* The allowlist: every global rmtk resolves, with its meaning. "builtins" also matches
 * "__builtin__" (protocol-2 pickles written with fix_imports). */
static const allow_entry allow[] = {
    {"collections", "OrderedDict", PG_ORDERED_DICT, 0, 0},
    {"collections", "defaultdict", PG_DEFAULTDICT, 0, 0},
    {"builtins", "set", PG_SET, 0, 0},
    {"builtins", "frozenset", PG_SET, 0, 0},
    {"pytorch_lightning.utilities.parsing", "AttributeDict", PG_ATTRDICT, 0, 0},
    {"lightning_fabric.utilities.data", "AttributeDict", PG_ATTRDICT, 0, 0},
    {"lightning.fabric.utilities.data", "AttributeDict", PG_ATTRDICT, 0, 0},
    {"argparse", "Namespace", PG_NAMESPACE, 0, 0},
    {"torch._utils", "_rebuild_tensor", PG_REBUILD_TENSOR, 0, 0},
    {"torch._utils", "_rebuild_tensor_v2", PG_REBUILD_TENSOR_V2, 0, 0},
    {"torch._utils", "_rebuild_tensor_v3", PG_REBUILD_TENSOR_V3, 0, 0},
    {"torch._utils", "_rebuild_parameter", PG_REBUILD_PARAMETER, 0, 0},
    {"torch._utils", "_rebuild_parameter_with_state", PG_REBUILD_PARAMETER_STATE, 0, 0},
    {"torch._tensor", "_rebuild_from_type_v2", PG_REBUILD_FROM_TYPE, 0, 0},
    {"torch._utils", "_rebuild_qtensor", PG_REBUILD_QTENSOR, 0, 0},
    {"torch._utils", "_rebuild_sparse_tensor", PG_REBUILD_SPARSE, 0, 0},
    {"torch._utils", "_rebuild_sparse_csr_tensor", PG_REBUILD_SPARSE, 0, 0},
    {"torch._utils", "_rebuild_meta_tensor_no_storage", PG_REBUILD_META, 0, 0},
    {"torch", "Tensor", PG_TENSOR_CLASS, 0, 0},
    {"torch._tensor", "Tensor", PG_TENSOR_CLASS, 0, 0},
    {"torch.nn.parameter", "Parameter", PG_TENSOR_CLASS, 0, 0},
    {"torch", "DoubleStorage", PG_STORAGE_TYPE, RMTK_DTYPE_F64, 8},
    {"torch", "FloatStorage", PG_STORAGE_TYPE, RMTK_DTYPE_F32, 4},
    {"torch", "HalfStorage", PG_STORAGE_TYPE, RMTK_DTYPE_F16, 2},
    {"torch", "BFloat16Storage", PG_STORAGE_TYPE, RMTK_DTYPE_BF16, 2},
    {"torch", "Float8_e4m3fnStorage", PG_STORAGE_TYPE, RMTK_DTYPE_F8_E4M3, 1},
    {"torch", "Float8_e5m2Storage", PG_STORAGE_TYPE, RMTK_DTYPE_F8_E5M2, 1},
    {"torch", "LongStorage", PG_STORAGE_TYPE, RMTK_DTYPE_I64, 8},
    {"torch", "IntStorage", PG_STORAGE_TYPE, RMTK_DTYPE_I32, 4},
    {"torch", "ShortStorage", PG_STORAGE_TYPE, RMTK_DTYPE_I16, 2},
    {"torch", "CharStorage", PG_STORAGE_TYPE, RMTK_DTYPE_I8, 1},
    {"torch", "ByteStorage", PG_STORAGE_TYPE, RMTK_DTYPE_U8, 1},
    {"torch", "UInt16Storage", PG_STORAGE_TYPE, RMTK_DTYPE_U16, 2},
    {"torch", "UInt32Storage", PG_STORAGE_TYPE, RMTK_DTYPE_U32, 4},
    {"torch", "UInt64Storage", PG_STORAGE_TYPE, RMTK_DTYPE_U64, 8},
    {"torch", "BoolStorage", PG_STORAGE_TYPE, RMTK_DTYPE_BOOL, 1},
    {"torch", "ComplexFloatStorage", PG_STORAGE_TYPE, RMTK_DTYPE_OTHER, 8},
    {"torch", "ComplexDoubleStorage", PG_STORAGE_TYPE, RMTK_DTYPE_OTHER, 16},
    {"torch", "QInt8Storage", PG_STORAGE_TYPE, RMTK_DTYPE_OTHER, 1},
    {"torch", "QUInt8Storage", PG_STORAGE_TYPE, RMTK_DTYPE_OTHER, 1},
    {"torch", "QInt32Storage", PG_STORAGE_TYPE, RMTK_DTYPE_OTHER, 4},
    {"torch", "QUInt4x2Storage", PG_STORAGE_TYPE, RMTK_DTYPE_OTHER, 1},
    {"torch", "QUInt2x4Storage", PG_STORAGE_TYPE, RMTK_DTYPE_OTHER, 1},
    {"torch", "UntypedStorage", PG_STORAGE_TYPE, RMTK_DTYPE_U8, 1},
    {"torch", "float64", PG_DTYPE, RMTK_DTYPE_F64, 8},
    {"torch", "float32", PG_DTYPE, RMTK_DTYPE_F32, 4},
    {"torch", "float16", PG_DTYPE, RMTK_DTYPE_F16, 2},
    {"torch", "bfloat16", PG_DTYPE, RMTK_DTYPE_BF16, 2},
    {"torch", "float8_e4m3fn", PG_DTYPE, RMTK_DTYPE_F8_E4M3, 1},
    {"torch", "float8_e5m2", PG_DTYPE, RMTK_DTYPE_F8_E5M2, 1},
    {"torch", "int64", PG_DTYPE, RMTK_DTYPE_I64, 8},
    {"torch", "int32", PG_DTYPE, RMTK_DTYPE_I32, 4},
    {"torch", "int16", PG_DTYPE, RMTK_DTYPE_I16, 2},
    {"torch", "int8", PG_DTYPE, RMTK_DTYPE_I8, 1},
    {"torch", "uint8", PG_DTYPE, RMTK_DTYPE_U8, 1},
    {"torch", "uint16", PG_DTYPE, RMTK_DTYPE_U16, 2},
    {"torch", "uint32", PG_DTYPE, RMTK_DTYPE_U32, 4},
    {"torch", "uint64", PG_DTYPE, RMTK_DTYPE_U64, 8},
    {"torch", "bool", PG_DTYPE, RMTK_DTYPE_BOOL, 1},
    {"torch", "complex64", PG_DTYPE, RMTK_DTYPE_OTHER, 8},
    {"torch", "complex128", PG_DTYPE, RMTK_DTYPE_OTHER, 16},
    {"torch", "device", PG_DEVICE, 0, 0},
    {"torch.serialization", "_get_layout", PG_GET_LAYOUT, 0, 0},
    {"torch", "strided", PG_LAYOUT, 0, 0},
    {"torch", "sparse_coo", PG_LAYOUT, 0, 0},
    {"torch", "sparse_csr", PG_LAYOUT, 0, 0},
    {"torch", "per_tensor_affine", PG_LAYOUT, 0, 0},
    {"torch", "per_channel_affine", PG_LAYOUT, 0, 0},
    {"torch", "per_channel_affine_float_qparams", PG_LAYOUT, 0, 0},
};

const char *rmtk__pickle_kind_name(int kind)
{
    switch (kind) {
    case PK_NONE:
        return "None";
    case PK_BOOL:
        return "bool";
    case PK_INT:
        return "int";
    case PK_FLOAT:
        return "float";
    case PK_STR:
        return "str";
    case PK_BYTES:
        return "bytes";
    case PK_TUPLE:
        return "tuple";
    case PK_LIST:
        return "list";
    case PK_SET:
        return "set";
    case PK_DICT:
        return "dict";
    case PK_GLOBAL:
        return "global";
    case PK_STORAGE:
        return "storage";
    case PK_TENSOR:
        return "tensor";
    case PK_OPAQUE:
        return "object";
    default:
        return "?";
    }
}

void rmtk__pickle_free(pk_machine *pm)
{
    if (!pm)
        return;
    for (size_t i = 0; i < pm->nv; i++)
        rmtk__free(pm->v[i].items);
    rmtk__free(pm->v);
    rmtk__free(pm->stack);
    rmtk__free(pm->marks);
    rmtk__free(pm->memo);
    memset(pm, 0, sizeof *pm);
}

/* The running machine's context for messages. */
typedef struct {
    pk_machine *pm;
    const unsigned char *p;
    size_t n, pos;   /* pos: offset of the opcode being run */
    const char *file, *member;
    uint64_t base;
    char *err;
    int op;
} run_ctx;

#define FAIL(c, status, ...) fail_at(c, status, __VA_ARGS__)

static int fail_at(run_ctx *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(run_ctx *c, int status, const char *fmt, ...)
{
    char what[RMTK_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rmtk__fail(c->err, status, "%s: pickle '%s', opcode 0x%02x at byte offset %llu: %s",
                      c->file, c->member, (unsigned)c->op, (unsigned long long)(c->base + c->pos),
                      what);
}

static int new_val(run_ctx *c, int kind, uint32_t *out)
{
    pk_machine *pm = c->pm;
    if (pm->nv >= UINT32_MAX - 1)
        return FAIL(c, RMTK_ERR_RANGE, "more than 2^32 values");
    if (pm->nv == pm->capv) {
        size_t cap = pm->capv ? 2 * pm->capv : 64;
        pk_val *v = rmtk__realloc(pm->v, cap * sizeof *v);
        if (!v)
            return FAIL(c, RMTK_ERR_NOMEM, "out of memory");
        pm->v = v;
        pm->capv = cap;
    }
    pk_val *v = &pm->v[pm->nv];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    *out = (uint32_t)pm->nv++;
    return RMTK_OK;
}

static int push(run_ctx *c, uint32_t idx)
{
    pk_machine *pm = c->pm;
    if (pm->nstack == pm->capstack) {
        size_t cap = pm->capstack ? 2 * pm->capstack : 64;
        uint32_t *s = rmtk__realloc(pm->stack, cap * sizeof *s);
        if (!s)
            return FAIL(c, RMTK_ERR_NOMEM, "out of memory");
        pm->stack = s;
        pm->capstack = cap;
    }
    pm->stack[pm->nstack++] = idx;
    return RMTK_OK;
}

static int push_new(run_ctx *c, int kind, uint32_t *out)
{
    uint32_t idx = 0;
    int st = new_val(c, kind, &idx);
    if (!st)
        st = push(c, idx);
    if (!st && out)
        *out = idx;
    return st;
}

static int pop(run_ctx *c, uint32_t *out)
{
    pk_machine *pm = c->pm;
    size_t floor = pm->nmarks ? pm->marks[pm->nmarks - 1] : 0;
    if (pm->nstack <= floor)
        return FAIL(c, RMTK_ERR_FORMAT, "stack underflow");
    *out = pm->stack[--pm->nstack];
    return RMTK_OK;
}

static int top(run_ctx *c, uint32_t *out)
{
    pk_machine *pm = c->pm;
    size_t floor = pm->nmarks ? pm->marks[pm->nmarks - 1] : 0;
    if (pm->nstack <= floor)
        return FAIL(c, RMTK_ERR_FORMAT, "stack underflow");
    *out = pm->stack[pm->nstack - 1];
    return RMTK_OK;
}

/* Pop back to the last MARK: the items are stack[*from .. nstack) (still there until the caller
 * truncates the stack to *from). */
static int pop_mark(run_ctx *c, size_t *from)
{
    pk_machine *pm = c->pm;
    if (pm->nmarks == 0)
        return FAIL(c, RMTK_ERR_FORMAT, "no MARK on the stack");
    *from = pm->marks[--pm->nmarks];
    return RMTK_OK;
}

static int add_item(run_ctx *c, uint32_t container, uint32_t item)
{
    pk_val *v = &c->pm->v[container];
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 4;
        uint32_t *it = rmtk__realloc(v->items, cap * sizeof *it);
        if (!it)
            return FAIL(c, RMTK_ERR_NOMEM, "out of memory");
        v->items = it;
        v->cap = cap;
    }
    v->items[v->n++] = item;
    return RMTK_OK;
}

/* Dicts keep their pairs as consecutive items (n = 2 x pairs). */
static int dict_set(run_ctx *c, uint32_t d, uint32_t k, uint32_t val)
{
    pk_val *v = &c->pm->v[d];
    if (v->kind != PK_DICT)
        return FAIL(c, RMTK_ERR_FORMAT, "SETITEM on a %s, not a dict",
                    rmtk__pickle_kind_name(v->kind));
    /* pairs are stored as consecutive items; v->n counts items */
    int st = add_item(c, d, k);
    if (!st)
        st = add_item(c, d, val);
    return st;
}

static int make_seq(run_ctx *c, int kind, const uint32_t *items, size_t k, uint32_t *out)
{
    uint32_t idx = 0;
    int st = new_val(c, kind, &idx);
    for (size_t i = 0; i < k && !st; i++)
        st = add_item(c, idx, items[i]);
    if (!st)
        *out = idx;
    return st;
}

static uint64_t rd_le(const unsigned char *p, int nb)
{
    uint64_t x = 0;
    for (int i = nb - 1; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}

/* Resolve module.name through the allowlist. */
static int resolve_global(run_ctx *c, const char *mod, size_t mlen, const char *name,
                          size_t nlen, uint32_t *out)
{
    for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++) {
        const allow_entry *a = &allow[i];
        int mod_ok = strlen(a->mod) == mlen && memcmp(a->mod, mod, mlen) == 0;
        if (!mod_ok && strcmp(a->mod, "builtins") == 0)
            mod_ok = mlen == 11 && memcmp(mod, "__builtin__", 11) == 0;
        if (!mod_ok || strlen(a->name) != nlen || memcmp(a->name, name, nlen) != 0)
            continue;
        uint32_t idx;
        int st = new_val(c, PK_GLOBAL, &idx);
        if (st)
            return st;
        pk_val *v = &c->pm->v[idx];
        v->sub = a->g;
        v->dtype = a->dtype;
        v->itemsize = a->itemsize;
        v->s = a->name;
        v->len = nlen;
        *out = idx;
        return RMTK_OK;
    }
    char shown[256];
    size_t k = 0;
    for (size_t i = 0; i < mlen + 1 + nlen && k + 1 < sizeof shown; i++) {
        char ch = i < mlen ? mod[i] : i == mlen ? '.' : name[i - mlen - 1];
        shown[k++] = (ch >= 32 && ch < 127) ? ch : '?';
    }
    shown[k] = '\0';
    return FAIL(c, RMTK_ERR_UNSUPPORTED,
                "global '%s' is not in rmtk's allowlist: it is neither imported nor called "
                "(a pickle runs code only through globals; rmtk resolves only torch's tensor "
                "and storage rebuilders, dtypes and plain containers - docs/formats.md, "
                "\"PyTorch\"). A whole pickled nn.Module or another object cannot be read: "
                "save model.state_dict() instead",
                shown);
}

static int is_int(const pk_val *v)
{
    return (v->kind == PK_INT && v->sub == 0) || v->kind == PK_BOOL;
}

/* Apply an allowlisted callable g to the argument tuple args: data-only meanings. */
static int apply(run_ctx *c, uint32_t fn, uint32_t args, int depth, uint32_t *out)
{
    pk_machine *pm = c->pm;
    const pk_val *f = &pm->v[fn];
    if (f->kind != PK_GLOBAL)
        return FAIL(c, RMTK_ERR_FORMAT, "REDUCE of a %s, not a global",
                    rmtk__pickle_kind_name(f->kind));
    const pk_val *a = &pm->v[args];
    if (a->kind != PK_TUPLE)
        return FAIL(c, RMTK_ERR_FORMAT, "REDUCE of %s with a %s for arguments, not a tuple",
                    f->s, rmtk__pickle_kind_name(a->kind));
    size_t na = a->n;
    int g = f->sub;
    const char *fname = f->s;
    uint32_t idx = 0;
    int st;
    switch (g) {
    case PG_ORDERED_DICT:
    case PG_DEFAULTDICT:
    case PG_ATTRDICT:
    case PG_NAMESPACE: {
        st = new_val(c, PK_DICT, &idx);
        if (st)
            return st;
        pm->v[idx].sub = g;
        /* OrderedDict([(k, v), ...]) */
        if (g != PG_DEFAULTDICT && na >= 1) {
            uint32_t src = pm->v[args].items[0];
            const pk_val *l = &pm->v[src];
            if (l->kind != PK_LIST && l->kind != PK_TUPLE)
                return FAIL(c, RMTK_ERR_FORMAT, "%s called with a %s, not a list of pairs",
                            fname, rmtk__pickle_kind_name(l->kind));
            for (size_t i = 0; i < pm->v[src].n; i++) {
                const pk_val *pr = &pm->v[pm->v[src].items[i]];
                if ((pr->kind != PK_TUPLE && pr->kind != PK_LIST) || pr->n != 2)
                    return FAIL(c, RMTK_ERR_FORMAT, "%s called with an item that is not a pair",
                                fname);
                uint32_t k = pr->items[0], v = pr->items[1];
                st = dict_set(c, idx, k, v);
                if (st)
                    return st;
            }
        }
        *out = idx;
        return RMTK_OK;
    }
    case PG_SET: {
        st = new_val(c, PK_SET, &idx);
        if (st)
            return st;
        if (na >= 1) {
            uint32_t src = pm->v[args].items[0];
            if (pm->v[src].kind != PK_LIST && pm->v[src].kind != PK_TUPLE &&
                pm->v[src].kind != PK_SET)
                return FAIL(c, RMTK_ERR_FORMAT, "set called with a %s",
                            rmtk__pickle_kind_name(pm->v[src].kind));
            for (size_t i = 0; i < pm->v[src].n && !st; i++)
                st = add_item(c, idx, pm->v[src].items[i]);
        }
        if (!st)
            *out = idx;
        return st;
    }
    case PG_REBUILD_TENSOR:
    case PG_REBUILD_TENSOR_V2:
    case PG_REBUILD_TENSOR_V3:
    case PG_REBUILD_QTENSOR:
    case PG_REBUILD_META: {
        size_t need = g == PG_REBUILD_TENSOR ? 4 : g == PG_REBUILD_TENSOR_V3 ? 7
                      : g == PG_REBUILD_META ? 3 : 6;
        if (na < need)
            return FAIL(c, RMTK_ERR_FORMAT, "%s called with %zu arguments (it takes %zu)", fname,
                        na, need);
        const uint32_t *it = pm->v[args].items;
        uint32_t stor = 0, off = 0, size, stride;
        int32_t dtype = RMTK_DTYPE_OTHER, isz = 0;
        if (g == PG_REBUILD_META) {
            /* (dtype, size, stride, requires_grad) */
            const pk_val *dt = &pm->v[it[0]];
            if (dt->kind != PK_GLOBAL || dt->sub != PG_DTYPE)
                return FAIL(c, RMTK_ERR_FORMAT, "%s: argument 1 is a %s, not a torch dtype",
                            fname, rmtk__pickle_kind_name(dt->kind));
            dtype = dt->dtype;
            isz = dt->itemsize;
            size = it[1];
            stride = it[2];
        } else {
            stor = it[0];
            off = it[1];
            size = it[2];
            stride = it[3];
            const pk_val *s = &pm->v[stor];
            if (s->kind != PK_STORAGE)
                return FAIL(c, RMTK_ERR_FORMAT, "%s: argument 1 is a %s, not a storage", fname,
                            rmtk__pickle_kind_name(s->kind));
            if (!is_int(&pm->v[off]) || pm->v[off].i < 0)
                return FAIL(c, RMTK_ERR_FORMAT,
                            "%s: argument 2 (storage offset) is not a non-negative int", fname);
            dtype = s->dtype;
            isz = s->itemsize;
            if (g == PG_REBUILD_TENSOR_V3) {
                const pk_val *dt = &pm->v[it[6]];
                if (dt->kind != PK_GLOBAL || dt->sub != PG_DTYPE)
                    return FAIL(c, RMTK_ERR_FORMAT, "%s: argument 7 is a %s, not a torch dtype",
                                fname, rmtk__pickle_kind_name(dt->kind));
                dtype = dt->dtype;
                isz = dt->itemsize;
            }
        }
        if (pm->v[size].kind != PK_TUPLE)
            return FAIL(c, RMTK_ERR_FORMAT, "%s: the size is a %s, not a tuple", fname,
                        rmtk__pickle_kind_name(pm->v[size].kind));
        if (pm->v[stride].kind != PK_TUPLE)
            return FAIL(c, RMTK_ERR_FORMAT, "%s: the stride is a %s, not a tuple", fname,
                        rmtk__pickle_kind_name(pm->v[stride].kind));
        st = new_val(c, PK_TENSOR, &idx);
        if (st)
            return st;
        pk_val *t = &pm->v[idx];
        t->sub = g == PG_REBUILD_QTENSOR ? PT_QUANTISED : g == PG_REBUILD_META ? PT_META
                                                                                 : PT_DENSE;
        t->dtype = dtype;
        t->itemsize = isz;
        st = add_item(c, idx, stor);
        if (!st)
            st = add_item(c, idx, off);
        if (!st)
            st = add_item(c, idx, size);
        if (!st)
            st = add_item(c, idx, stride);
        if (!st)
            *out = idx;
        return st;
    }
    case PG_REBUILD_SPARSE: {
        st = new_val(c, PK_TENSOR, &idx);
        if (st)
            return st;
        pm->v[idx].sub = PT_SPARSE;
        pm->v[idx].dtype = RMTK_DTYPE_OTHER;
        *out = idx;
        return RMTK_OK;
    }
    case PG_REBUILD_PARAMETER:
    case PG_REBUILD_PARAMETER_STATE: {
        if (na < 3)
            return FAIL(c, RMTK_ERR_FORMAT, "%s called with %zu arguments (it takes 3 or 4)",
                        fname, na);
        uint32_t d = pm->v[args].items[0];
        if (pm->v[d].kind != PK_TENSOR)
            return FAIL(c, RMTK_ERR_FORMAT, "%s: argument 1 is a %s, not a tensor", fname,
                        rmtk__pickle_kind_name(pm->v[d].kind));
        *out = d;
        return RMTK_OK;
    }
    case PG_REBUILD_FROM_TYPE: {
        /* _rebuild_from_type_v2(func, type, args, state) = func(*args) for the tensor types */
        if (na < 3)
            return FAIL(c, RMTK_ERR_FORMAT, "%s called with %zu arguments (it takes 4)", fname,
                        na);
        const uint32_t *it = pm->v[args].items;
        const pk_val *ty = &pm->v[it[1]];
        if (ty->kind != PK_GLOBAL || ty->sub != PG_TENSOR_CLASS)
            return FAIL(c, RMTK_ERR_FORMAT, "%s: argument 2 is not torch.Tensor or Parameter",
                        fname);
        if (depth > 0)
            return FAIL(c, RMTK_ERR_FORMAT, "%s nested in itself", fname);
        return apply(c, it[0], it[2], depth + 1, out);
    }
    case PG_DEVICE:
    case PG_GET_LAYOUT:
        st = new_val(c, PK_OPAQUE, &idx);
        if (!st) {
            pm->v[idx].sub = g;
            *out = idx;
        }
        return st;
    default:
        return FAIL(c, RMTK_ERR_UNSUPPORTED,
                    "global '%s' is allowlisted as a value, not as something to call", fname);
    }
}

/* NEWOBJ cls(*args): only the dict-like data classes. */
static int newobj(run_ctx *c, uint32_t cls, uint32_t args, uint32_t *out)
{
    const pk_val *f = &c->pm->v[cls];
    if (f->kind != PK_GLOBAL)
        return FAIL(c, RMTK_ERR_FORMAT, "NEWOBJ of a %s, not a class",
                    rmtk__pickle_kind_name(f->kind));
    switch (f->sub) {
    case PG_ORDERED_DICT:
    case PG_DEFAULTDICT:
    case PG_ATTRDICT:
    case PG_NAMESPACE:
    case PG_SET:
        return apply(c, cls, args, 0, out);
    default:
        return FAIL(c, RMTK_ERR_UNSUPPORTED, "NEWOBJ of '%s', which is not a class rmtk builds",
                    f->s);
    }
}

/* BUILD: set an object's state. Dicts from OrderedDict keep their items and drop attributes
 * (torch's _metadata); a Namespace's state dict becomes its items. */
static int build(run_ctx *c, uint32_t obj, uint32_t state)
{
    pk_machine *pm = c->pm;
    pk_val *o = &pm->v[obj];
    if (o->kind == PK_TENSOR || o->kind == PK_OPAQUE || o->kind == PK_SET)
        return RMTK_OK;
    if (o->kind != PK_DICT)
        return FAIL(c, RMTK_ERR_FORMAT, "BUILD on a %s", rmtk__pickle_kind_name(o->kind));
    if (o->sub != PG_NAMESPACE && o->sub != PG_ATTRDICT)
        return RMTK_OK;
    const pk_val *s = &pm->v[state];
    if (s->kind != PK_DICT)
        return RMTK_OK;
    size_t n = s->n;
    for (size_t i = 0; i + 1 < n; i += 2) {
        int st = dict_set(c, obj, pm->v[state].items[i], pm->v[state].items[i + 1]);
        if (st)
            return st;
    }
    return RMTK_OK;
}

/* A persistent id ('storage', storage_type, key, location, numel[, view_metadata]). */
static int persistent(run_ctx *c, uint32_t pid, uint32_t *out)
{
    pk_machine *pm = c->pm;
    const pk_val *t = &pm->v[pid];
    if (t->kind != PK_TUPLE || t->n < 5)
        return FAIL(c, RMTK_ERR_FORMAT,
                    "persistent id is a %s of %zu items, not ('storage', type, key, location, "
                    "numel)",
                    rmtk__pickle_kind_name(t->kind), t->n);
    const uint32_t *it = t->items;
    const pk_val *tag = &pm->v[it[0]], *ty = &pm->v[it[1]], *key = &pm->v[it[2]],
                 *numel = &pm->v[it[4]];
    if (tag->kind == PK_STR && tag->len == 6 && memcmp(tag->s, "module", 6) == 0)
        return FAIL(c, RMTK_ERR_UNSUPPORTED,
                    "persistent id ('module', ...): a pickled nn.Module class with its source "
                    "code; rmtk reads tensors only: save model.state_dict() instead");
    if (tag->kind != PK_STR || tag->len != 7 || memcmp(tag->s, "storage", 7) != 0)
        return FAIL(c, RMTK_ERR_FORMAT, "persistent id tag is not 'storage'");
    if (ty->kind != PK_GLOBAL || ty->sub != PG_STORAGE_TYPE)
        return FAIL(c, RMTK_ERR_FORMAT, "persistent id: item 2 is a %s, not a torch storage type",
                    rmtk__pickle_kind_name(ty->kind));
    if (key->kind != PK_STR)
        return FAIL(c, RMTK_ERR_FORMAT, "persistent id: the storage key is a %s, not a str",
                    rmtk__pickle_kind_name(key->kind));
    if (!is_int(numel) || numel->i < 0)
        return FAIL(c, RMTK_ERR_FORMAT,
                    "persistent id: the storage size is not a non-negative int");
    uint32_t idx = 0;
    int st = new_val(c, PK_STORAGE, &idx);
    if (st)
        return st;
    pk_val *s = &pm->v[idx];
    const pk_val *ty2 = &pm->v[pm->v[pid].items[1]];
    s->dtype = ty2->dtype;
    s->itemsize = ty2->itemsize;
    s->s = ty2->s;
    s->i = pm->v[pm->v[pid].items[4]].i;
    st = add_item(c, idx, pm->v[pid].items[2]);
    if (!st)
        st = add_item(c, idx, pm->v[pid].items[3]);
    if (!st)
        *out = idx;
    return st;
}

static int memo_put(run_ctx *c, uint64_t key, uint32_t val)
{
    pk_machine *pm = c->pm;
    /* Python's pickler numbers memo entries 0, 1, 2, ...: a key far beyond the pickle's size is
     * hostile (and would make the memo huge) */
    if (key > (uint64_t)c->n + 16)
        return FAIL(c, RMTK_ERR_FORMAT, "memo key %llu out of range (pickle of %zu bytes)",
                    (unsigned long long)key, c->n);
    if (key >= pm->nmemo) {
        size_t cap = pm->nmemo ? pm->nmemo : 64;
        while (cap <= key)
            cap *= 2;
        uint32_t *mm = rmtk__realloc(pm->memo, cap * sizeof *mm);
        if (!mm)
            return FAIL(c, RMTK_ERR_NOMEM, "out of memory");
        memset(mm + pm->nmemo, 0, (cap - pm->nmemo) * sizeof *mm);
        pm->memo = mm;
        pm->nmemo = cap;
    }
    pm->memo_count += pm->memo[key] == 0;
    pm->memo[key] = val + 1;
    return RMTK_OK;
}

static int memo_get(run_ctx *c, uint64_t key)
{
    pk_machine *pm = c->pm;
    if (key >= pm->nmemo || pm->memo[key] == 0)
        return FAIL(c, RMTK_ERR_FORMAT, "memo key %llu was never stored",
                    (unsigned long long)key);
    return push(c, pm->memo[key] - 1);
}

/* A decimal argument line of the text opcodes (PUT, GET, INT): digits then '\n'. */
static int text_int(run_ctx *c, size_t *pos, int64_t *out, int *is_bool)
{
    size_t q = *pos;
    const unsigned char *p = c->p;
    size_t e = q;
    while (e < c->n && p[e] != '\n')
        e++;
    if (e >= c->n) {
        c->pm->truncated = 1;
        return FAIL(c, RMTK_ERR_FORMAT, "unterminated text argument");
    }
    *is_bool = 0;
    if (e - q == 2 && p[q] == '0' && (p[q + 1] == '0' || p[q + 1] == '1')) {
        *is_bool = 1;
        *out = p[q + 1] - '0';
        *pos = e + 1;
        return RMTK_OK;
    }
    int neg = 0;
    if (q < e && p[q] == '-') {
        neg = 1;
        q++;
    }
    if (q == e)
        return FAIL(c, RMTK_ERR_FORMAT, "empty integer argument");
    uint64_t v = 0;
    for (; q < e; q++) {
        if (p[q] < '0' || p[q] > '9' || v > (UINT64_MAX / 2 - 9) / 10)
            return FAIL(c, RMTK_ERR_FORMAT, "bad integer argument");
        v = v * 10 + (uint64_t)(p[q] - '0');
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    *pos = e + 1;
    return RMTK_OK;
}

static int need(run_ctx *c, size_t pos, uint64_t k)
{
    if (k > c->n - pos) {
        c->pm->truncated = 1;
        return FAIL(c, RMTK_ERR_FORMAT, "truncated: the opcode needs %llu bytes, %zu remain",
                    (unsigned long long)k, c->n - pos);
    }
    return RMTK_OK;
}

static int push_str(run_ctx *c, int kind, size_t pos, uint64_t len)
{
    int st = need(c, pos, len);
    uint32_t idx = 0;
    if (!st)
        st = push_new(c, kind, &idx);
    if (!st) {
        c->pm->v[idx].s = (const char *)c->p + pos;
        c->pm->v[idx].len = (size_t)len;
    }
    return st;
}

int rmtk__pickle_run(pk_machine *pm, const unsigned char *p, size_t n, const char *file,
                     const char *member, uint64_t base, uint32_t *root, char *err)
{
    memset(pm, 0, sizeof *pm);
    run_ctx cx = {pm, p, n, 0, file, member, base, err, 0};
    run_ctx *c = &cx;
    size_t pos = 0;
    int st = RMTK_OK;
    uint32_t a = 0, b = 0, d = 0;
    while (!st) {
        if (pos >= n) {
            c->pos = pos;
            c->op = 0;
            pm->truncated = 1;
            return FAIL(c, RMTK_ERR_FORMAT, "the pickle ends without a STOP opcode");
        }
        c->pos = pos;
        int op = p[pos++];
        c->op = op;
        switch (op) {
        case 0x80: /* PROTO */
            st = need(c, pos, 1);
            if (!st && (p[pos] < 2 || p[pos] > 5))
                st = FAIL(c, RMTK_ERR_UNSUPPORTED,
                          "pickle protocol %d (rmtk runs protocols 2 to 5)", p[pos]);
            pos++;
            break;
        case 0x95: /* FRAME: an 8-byte length, then the frame's opcodes */
            st = need(c, pos, 8);
            if (!st && rd_le(p + pos, 8) > n - pos - 8) {
                pm->truncated = 1;
                st = FAIL(c, RMTK_ERR_FORMAT, "frame of %llu bytes exceeds the pickle",
                          (unsigned long long)rd_le(p + pos, 8));
            }
            pos += 8;
            break;
        case '.': /* STOP */
            st = pop(c, root);
            if (!st) {
                pm->end = pos;
                return RMTK_OK;
            }
            break;
        case '(': /* MARK */
            if (pm->nmarks == pm->capmarks) {
                size_t cap = pm->capmarks ? 2 * pm->capmarks : 16;
                size_t *mk = rmtk__realloc(pm->marks, cap * sizeof *mk);
                if (!mk) {
                    st = FAIL(c, RMTK_ERR_NOMEM, "out of memory");
                    break;
                }
                pm->marks = mk;
                pm->capmarks = cap;
            }
            pm->marks[pm->nmarks++] = pm->nstack;
            break;
        case '0': /* POP */
            if (pm->nmarks && pm->marks[pm->nmarks - 1] == pm->nstack)
                pm->nmarks--; /* POP of a MARK */
            else
                st = pop(c, &a);
            break;
        case '1': { /* POP_MARK */
            size_t from = 0;
            st = pop_mark(c, &from);
            if (!st)
                pm->nstack = from;
            break;
        }
        case '2': /* DUP */
            st = top(c, &a);
            if (!st)
                st = push(c, a);
            break;
        case 'N':
            st = push_new(c, PK_NONE, NULL);
            break;
        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
            st = push_new(c, PK_BOOL, &a);
            if (!st)
                pm->v[a].i = op == 0x88;
            break;
        case 'J': /* BININT */
            st = need(c, pos, 4);
            if (!st)
                st = push_new(c, PK_INT, &a);
            if (!st)
                pm->v[a].i = (int32_t)(uint32_t)rd_le(p + pos, 4);
            pos += 4;
            break;
        case 'K': /* BININT1 */
        case 'M': { /* BININT2 */
            int nb = op == 'K' ? 1 : 2;
            st = need(c, pos, (uint64_t)nb);
            if (!st)
                st = push_new(c, PK_INT, &a);
            if (!st)
                pm->v[a].i = (int64_t)rd_le(p + pos, nb);
            pos += (size_t)nb;
            break;
        }
        case 0x8a: /* LONG1 */
        case 0x8b: { /* LONG4 */
            int hb = op == 0x8a ? 1 : 4;
            st = need(c, pos, (uint64_t)hb);
            if (st)
                break;
            uint64_t len = rd_le(p + pos, hb);
            pos += (size_t)hb;
            st = need(c, pos, len);
            if (!st)
                st = push_new(c, PK_INT, &a);
            if (st)
                break;
            if (len <= 8) {
                uint64_t x = len ? rd_le(p + pos, (int)len) : 0;
                if (len && len < 8 && (p[pos + len - 1] & 0x80))
                    x |= ~(uint64_t)0 << (8 * len); /* sign-extend */
                pm->v[a].i = (int64_t)x;
            } else {
                pm->v[a].sub = 1; /* too large for 64 bits */
            }
            pos += (size_t)len;
            break;
        }
        case 'I': { /* INT (text) */
            int64_t v;
            int isb;
            st = text_int(c, &pos, &v, &isb);
            if (!st)
                st = push_new(c, isb ? PK_BOOL : PK_INT, &a);
            if (!st)
                pm->v[a].i = v;
            break;
        }
        case 'G': /* BINFLOAT: big-endian IEEE double */
            st = need(c, pos, 8);
            if (!st)
                st = push_new(c, PK_FLOAT, &a);
            if (!st) {
                uint64_t bits = 0;
                for (int i = 0; i < 8; i++)
                    bits = (bits << 8) | p[pos + (size_t)i];
                double x;
                memcpy(&x, &bits, 8);
                pm->v[a].f = x;
            }
            pos += 8;
            break;
        case 'X':  /* BINUNICODE */
        case 'T':  /* BINSTRING */
        case 'B':  /* BINBYTES */
        case 0x8c: /* SHORT_BINUNICODE */
        case 'U':  /* SHORT_BINSTRING */
        case 'C':  /* SHORT_BINBYTES */
        case 0x8d: /* BINUNICODE8 */
        case 0x8e: { /* BINBYTES8 */
            int hb = (op == 0x8c || op == 'U' || op == 'C') ? 1
                     : (op == 0x8d || op == 0x8e)           ? 8
                                                            : 4;
            st = need(c, pos, (uint64_t)hb);
            if (st)
                break;
            uint64_t len = rd_le(p + pos, hb);
            pos += (size_t)hb;
            int kind = (op == 'X' || op == 0x8c || op == 0x8d || op == 'T' || op == 'U')
                           ? PK_STR
                           : PK_BYTES;
            st = push_str(c, kind, pos, len);
            if (!st)
                pos += (size_t)len;
            break;
        }
        case ')': /* EMPTY_TUPLE */
            st = push_new(c, PK_TUPLE, NULL);
            break;
        case ']': /* EMPTY_LIST */
            st = push_new(c, PK_LIST, NULL);
            break;
        case '}': /* EMPTY_DICT */
            st = push_new(c, PK_DICT, NULL);
            break;
        case 0x8f: /* EMPTY_SET */
            st = push_new(c, PK_SET, NULL);
            break;
        case 0x85: /* TUPLE1 */
        case 0x86: /* TUPLE2 */
        case 0x87: { /* TUPLE3 */
            size_t k = (size_t)(op - 0x84);
            size_t floor = pm->nmarks ? pm->marks[pm->nmarks - 1] : 0;
            if (pm->nstack < floor + k) {
                st = FAIL(c, RMTK_ERR_FORMAT, "stack underflow");
                break;
            }
            uint32_t items[3];
            memcpy(items, pm->stack + pm->nstack - k, k * sizeof *items);
            pm->nstack -= k;
            st = make_seq(c, PK_TUPLE, items, k, &a);
            if (!st)
                st = push(c, a);
            break;
        }
        case 't':    /* TUPLE */
        case 0x91: { /* FROZENSET */
            size_t from = 0;
            st = pop_mark(c, &from);
            if (st)
                break;
            size_t k = pm->nstack - from;
            uint32_t *tmp = rmtk__malloc_array(k ? k : 1, sizeof *tmp);
            if (!tmp) {
                st = FAIL(c, RMTK_ERR_NOMEM, "out of memory");
                break;
            }
            if (k)
                memcpy(tmp, pm->stack + from, k * sizeof *tmp);
            pm->nstack = from;
            st = make_seq(c, op == 't' ? PK_TUPLE : PK_SET, tmp, k, &a);
            rmtk__free(tmp);
            if (!st)
                st = push(c, a);
            break;
        }
        case 'l': { /* LIST */
            size_t from = 0;
            st = pop_mark(c, &from);
            if (st)
                break;
            size_t k = pm->nstack - from;
            uint32_t *tmp = rmtk__malloc_array(k ? k : 1, sizeof *tmp);
            if (!tmp) {
                st = FAIL(c, RMTK_ERR_NOMEM, "out of memory");
                break;
            }
            if (k)
                memcpy(tmp, pm->stack + from, k * sizeof *tmp);
            pm->nstack = from;
            st = make_seq(c, PK_LIST, tmp, k, &a);
            rmtk__free(tmp);
            if (!st)
                st = push(c, a);
            break;
        }
        case 'd': { /* DICT */
            size_t from = 0;
            st = pop_mark(c, &from);
            if (st)
                break;
            size_t k = pm->nstack - from;
            if (k % 2) {
                st = FAIL(c, RMTK_ERR_FORMAT, "DICT of an odd number (%zu) of items", k);
                break;
            }
            uint32_t *tmp = rmtk__malloc_array(k ? k : 1, sizeof *tmp);
            if (!tmp) {
                st = FAIL(c, RMTK_ERR_NOMEM, "out of memory");
                break;
            }
            if (k)
                memcpy(tmp, pm->stack + from, k * sizeof *tmp);
            pm->nstack = from;
            st = make_seq(c, PK_DICT, tmp, k, &a);
            rmtk__free(tmp);
            if (!st)
                st = push(c, a);
            break;
        }
        case 'a': /* APPEND */
            st = pop(c, &b);
            if (!st)
                st = top(c, &a);
            if (!st && pm->v[a].kind != PK_LIST)
                st = FAIL(c, RMTK_ERR_FORMAT, "APPEND to a %s, not a list",
                          rmtk__pickle_kind_name(pm->v[a].kind));
            if (!st)
                st = add_item(c, a, b);
            break;
        case 'e':    /* APPENDS */
        case 0x90: { /* ADDITEMS */
            size_t from = 0;
            st = pop_mark(c, &from);
            if (st)
                break;
            if (from == 0 || (pm->nmarks && pm->marks[pm->nmarks - 1] > from - 1)) {
                st = FAIL(c, RMTK_ERR_FORMAT, "stack underflow");
                break;
            }
            a = pm->stack[from - 1];
            int want = op == 'e' ? PK_LIST : PK_SET;
            if (pm->v[a].kind != want) {
                st = FAIL(c, RMTK_ERR_FORMAT, "%s to a %s", op == 'e' ? "APPENDS" : "ADDITEMS",
                          rmtk__pickle_kind_name(pm->v[a].kind));
                break;
            }
            for (size_t i = from; i < pm->nstack && !st; i++)
                st = add_item(c, a, pm->stack[i]);
            pm->nstack = from;
            break;
        }
        case 's': /* SETITEM */
            st = pop(c, &b);
            if (!st)
                st = pop(c, &a);
            if (!st)
                st = top(c, &d);
            if (!st)
                st = dict_set(c, d, a, b);
            break;
        case 'u': { /* SETITEMS */
            size_t from = 0;
            st = pop_mark(c, &from);
            if (st)
                break;
            if (from == 0 || (pm->nmarks && pm->marks[pm->nmarks - 1] > from - 1)) {
                st = FAIL(c, RMTK_ERR_FORMAT, "stack underflow");
                break;
            }
            if ((pm->nstack - from) % 2) {
                st = FAIL(c, RMTK_ERR_FORMAT, "SETITEMS of an odd number of items");
                break;
            }
            d = pm->stack[from - 1];
            for (size_t i = from; i + 1 < pm->nstack && !st; i += 2)
                st = dict_set(c, d, pm->stack[i], pm->stack[i + 1]);
            pm->nstack = from;
            break;
        }
        case 'q':    /* BINPUT */
        case 'r': {  /* LONG_BINPUT */
            int nb = op == 'q' ? 1 : 4;
            st = need(c, pos, (uint64_t)nb);
            if (!st)
                st = top(c, &a);
            if (!st)
                st = memo_put(c, rd_le(p + pos, nb), a);
            pos += (size_t)nb;
            break;
        }
        case 0x94: /* MEMOIZE */
            st = top(c, &a);
            if (!st) /* the next key is the memo's length */
                st = memo_put(c, pm->memo_count, a);
            break;
        case 'h':   /* BINGET */
        case 'j': { /* LONG_BINGET */
            int nb = op == 'h' ? 1 : 4;
            st = need(c, pos, (uint64_t)nb);
            if (!st)
                st = memo_get(c, rd_le(p + pos, nb));
            pos += (size_t)nb;
            break;
        }
        case 'p':   /* PUT */
        case 'g': { /* GET */
            int64_t k;
            int isb;
            st = text_int(c, &pos, &k, &isb);
            if (!st && k < 0)
                st = FAIL(c, RMTK_ERR_FORMAT, "negative memo key");
            if (!st && op == 'p')
                st = top(c, &a);
            if (!st)
                st = op == 'p' ? memo_put(c, (uint64_t)k, a) : memo_get(c, (uint64_t)k);
            break;
        }
        case 'c': { /* GLOBAL: "module\nname\n" */
            size_t e1 = pos;
            while (e1 < n && p[e1] != '\n')
                e1++;
            size_t e2 = e1 + 1;
            while (e2 < n && p[e2] != '\n')
                e2++;
            if (e2 >= n) {
                pm->truncated = 1;
                st = FAIL(c, RMTK_ERR_FORMAT, "unterminated GLOBAL");
                break;
            }
            st = resolve_global(c, (const char *)p + pos, e1 - pos, (const char *)p + e1 + 1,
                                e2 - e1 - 1, &a);
            if (!st)
                st = push(c, a);
            pos = e2 + 1;
            break;
        }
        case 0x93: /* STACK_GLOBAL */
            st = pop(c, &b);
            if (!st)
                st = pop(c, &a);
            if (!st && (pm->v[a].kind != PK_STR || pm->v[b].kind != PK_STR))
                st = FAIL(c, RMTK_ERR_FORMAT, "STACK_GLOBAL of a %s and a %s, not two str",
                          rmtk__pickle_kind_name(pm->v[a].kind),
                          rmtk__pickle_kind_name(pm->v[b].kind));
            if (!st)
                st = resolve_global(c, pm->v[a].s, pm->v[a].len, pm->v[b].s, pm->v[b].len, &d);
            if (!st)
                st = push(c, d);
            break;
        case 'R': /* REDUCE */
            st = pop(c, &b);
            if (!st)
                st = pop(c, &a);
            if (!st)
                st = apply(c, a, b, 0, &d);
            if (!st)
                st = push(c, d);
            break;
        case 0x81: /* NEWOBJ */
            st = pop(c, &b);
            if (!st)
                st = pop(c, &a);
            if (!st && pm->v[b].kind != PK_TUPLE)
                st = FAIL(c, RMTK_ERR_FORMAT, "NEWOBJ arguments are a %s, not a tuple",
                          rmtk__pickle_kind_name(pm->v[b].kind));
            if (!st)
                st = newobj(c, a, b, &d);
            if (!st)
                st = push(c, d);
            break;
        case 0x92: /* NEWOBJ_EX: cls, args, kwargs */
            st = pop(c, &d);
            if (!st)
                st = pop(c, &b);
            if (!st)
                st = pop(c, &a);
            if (!st && pm->v[b].kind != PK_TUPLE)
                st = FAIL(c, RMTK_ERR_FORMAT, "NEWOBJ_EX arguments are a %s, not a tuple",
                          rmtk__pickle_kind_name(pm->v[b].kind));
            if (!st)
                st = newobj(c, a, b, &d);
            if (!st)
                st = push(c, d);
            break;
        case 'b': /* BUILD */
            st = pop(c, &b);
            if (!st)
                st = top(c, &a);
            if (!st)
                st = build(c, a, b);
            break;
        case 'Q': /* BINPERSID */
            st = pop(c, &a);
            if (!st)
                st = persistent(c, a, &d);
            if (!st)
                st = push(c, d);
            break;
        case 'i':
        case 'o':
            st = FAIL(c, RMTK_ERR_UNSUPPORTED,
                      "the %s opcode instantiates a class (protocol 0/1); rmtk does not run it",
                      op == 'i' ? "INST" : "OBJ");
            break;
        case 0x82:
        case 0x83:
        case 0x84:
            st = FAIL(c, RMTK_ERR_UNSUPPORTED,
                      "EXT%d: a global from the copyreg extension registry; rmtk does not "
                      "resolve it",
                      op == 0x82 ? 1 : op == 0x83 ? 2 : 4);
            break;
        default:
            st = FAIL(c, RMTK_ERR_UNSUPPORTED,
                      "opcode '%c' (0x%02x) is not one rmtk's pickle machine runs (it runs the "
                      "opcodes torch.save writes with protocols 2 to 5)",
                      (op >= 32 && op < 127) ? op : '?', (unsigned)op);
            break;
        }
    }
    return st;
}
