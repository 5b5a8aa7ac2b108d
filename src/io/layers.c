/*
 * layers.c: from a model's tensor index to the list of matrices to analyse, and strided views of
 * them. The rules (documented in rmtk.h and docs/formats.md): 2-D tensors as stored; 3-D as a
 * stack of matrices; 4-D convolution kernels (out, in, kh, kw) flattened to (out, in*kh*kw) or
 * split into kh*kw per-position (out, in) matrices, or one entry pooling those (WeightWatcher's
 * pooled ESD: the analysis views each slice); 5-D and up as (shape[0], rest). Everything
 * else becomes a skipped entry whose reason names the values. Views carry strides, so slices of
 * stacks and kernels and Fortran-ordered data are used in place without copies;
 * rmtk_matrix_to_double gathers any view into row-major doubles, walking the source in its
 * memory order.
 *
 * What the tensors mean (docs/formats.md, "Model structure"): with the architecture from
 * config.json or GGUF metadata (architecture.c) and the tensor names (structure.c), fused
 * projections are split into their parts as views (GPT-2 Conv1D weights presented out x in by
 * strides; q/k/v slabs by row offsets; head-interleaved GPT-NeoX/Bloom/Falcon layouts by row
 * groups), stacked experts become one matrix per expert, Conv1d kernels are flattened, recurrent
 * weights split into their gates, embeddings can be skipped, and a tensor with the same storage
 * or bytes as an earlier one (a tied lm_head) is listed as tied.
 */
#include "model-internal.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rmtk_layers {
    rmtk_matrix_entry *e;
    size_t n, cap;
};

rmtk_extract_params rmtk_extract_params_default(void)
{
    rmtk_extract_params p;
    memset(&p, 0, sizeof p);
    p.conv_mode = RMTK_CONV_FLATTEN;
    p.min_side = 10;
    p.include = NULL;
    p.exclude = NULL;
    p.fused = RMTK_FUSED_SPLIT;
    p.stack3d = RMTK_STACK3D_AUTO;
    p.skip_embeddings = 0;
    p.keep_tied = 0;
    p.as_stored = 0;
    return p;
}

void rmtk_layers_free(rmtk_layers *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        rmtk__free((void *)l->e[i].name);
        rmtk__free((void *)l->e[i].reason);
    }
    rmtk__free(l->e);
    rmtk__free(l);
}

/* One matrix of a tensor: a slice of a stack and/or a part of a fused tensor, with the geometry
 * of its view when it is not the plain one of its slice (geometry 1). */
typedef struct piece {
    int64_t slice;      /* -1, or the stacked matrix / kernel position ("[k]" in the name) */
    const char *suffix; /* NULL, or appended to the name after the slice ("[q]", "[gate]") */
    int64_t rows, cols;
    int32_t geometry;   /* 1: the five fields below are the view */
    int32_t part;       /* -1, or the index of the part */
    int64_t offset, rs, cs, rg, gs;
    const char *module; /* NULL: from the name */
    int32_t expert;     /* -2: from the name */
} piece;

static piece plain(int64_t slice, int64_t rows, int64_t cols)
{
    piece pc;
    memset(&pc, 0, sizeof pc);
    pc.slice = slice;
    pc.rows = rows;
    pc.cols = cols;
    pc.part = -1;
    pc.expert = -2;
    return pc;
}

static int push_piece(rmtk_layers *l, const rmtk_tensor_info *ti, size_t tensor, const piece *pc,
                      int skip, const char *reason)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        rmtk_matrix_entry *e = rmtk__realloc(l->e, cap * sizeof *e);
        if (!e)
            return RMTK_ERR_NOMEM;
        l->e = e;
        l->cap = cap;
    }
    size_t len = strlen(ti->name) + 24 + (pc->suffix ? strlen(pc->suffix) : 0);
    char *name = rmtk__malloc(len);
    if (name) {
        if (pc->slice >= 0)
            snprintf(name, len, "%s[%lld]%s", ti->name, (long long)pc->slice,
                     pc->suffix ? pc->suffix : "");
        else
            snprintf(name, len, "%s%s", ti->name, pc->suffix ? pc->suffix : "");
    }
    char *rs = name ? rmtk__strdup(reason) : NULL;
    if (!rs) {
        rmtk__free(name);
        return RMTK_ERR_NOMEM;
    }
    rmtk_matrix_entry *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->reason = rs;
    e->tensor = tensor;
    e->slice = pc->slice;
    e->rows = pc->rows;
    e->cols = pc->cols;
    e->skip = skip;
    e->dtype = ti->dtype;
    rmtk_structure st;
    rmtk_name_structure(ti->name, &st);
    if (!*st.module && (ti->ndim == 4 || (ti->ndim == 3 && strstr(ti->name, "conv"))))
        st.module = "conv";
    e->block = st.block;
    e->expert = pc->expert >= -1 ? pc->expert : st.expert;
    e->module = pc->module ? pc->module : st.module;
    e->part = pc->part;
    e->geometry = pc->geometry;
    if (pc->geometry) {
        e->offset = pc->offset;
        e->row_stride = pc->rs;
        e->col_stride = pc->cs;
        e->row_group = pc->rg;
        e->group_stride = pc->gs;
    }
    return RMTK_OK;
}

/* Append an entry for the whole tensor (slice -1) or slice k of a stack or kernel. */
static int push(rmtk_layers *l, const rmtk_tensor_info *ti, size_t tensor, int64_t slice,
                int64_t rows, int64_t cols, int skip, const char *reason)
{
    piece pc = plain(slice, rows, cols);
    return push_piece(l, ti, tensor, &pc, skip, reason);
}

static void fmt_shape(char *buf, size_t size, const rmtk_tensor_info *ti)
{
    size_t k = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ti->ndim && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", i ? ", " : "",
                              (long long)ti->shape[i]);
    if (k < size)
        snprintf(buf + k, size - k, "]");
}

/* ------------------------------------------------------------------------------------------ */
/* What the tensors mean: fused splits, stacked experts, Conv1d kernels, recurrent gates.      */
/* ------------------------------------------------------------------------------------------ */

/* What rmtk_layers_alloc knows of the model while it lists the tensors. */
typedef struct ctx {
    rmtk_model *m;
    const rmtk_extract_params *p;
    const char *type; /* architecture type, "" unknown */
    int gguf;         /* GGUF: llama.cpp's converters store every fused q/k/v as [q; k; v] */
    int gpt2_conv1d;  /* GPT-2 Conv1D weights (c_attn, c_proj, c_fc) stored [in, out] */
    int conv_arch;    /* an audio/state-space model whose 3-D weights are Conv1d kernels */
} ctx;

static int type_is(const ctx *c, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(c->type, *list) == 0)
            return 1;
    return 0;
}

/* The last dotted segment of a name that is not "weight"; its length in *n. */
static const char *last_seg(const char *name, size_t *n)
{
    size_t len = strlen(name);
    if (len > 7 && strcmp(name + len - 7, ".weight") == 0)
        len -= 7;
    size_t b = len;
    while (b > 0 && name[b - 1] != '.' && name[b - 1] != '/')
        b--;
    *n = len - b;
    return name + b;
}

static int last_is(const char *name, const char *seg)
{
    size_t n;
    const char *s = last_seg(name, &n);
    return strlen(seg) == n && memcmp(s, seg, n) == 0;
}

/* A part of a fused matrix: presented rows first + (r / group) * gstride + (r % group) * step
 * for r in [0, rows) (group 0: first + r * step). */
typedef struct part_rows {
    const char *suffix, *module;
    int64_t rows, first, group, gstride, step;
} part_rows;

static part_rows prow(const char *suffix, const char *module, int64_t rows, int64_t first,
                      int64_t group, int64_t gstride)
{
    part_rows r = {suffix, module, rows, first, group, gstride, 1};
    return r;
}

/* Push pc analysed, or skipped when a side is below min_side. */
static int push_checked(rmtk_layers *l, const ctx *c, const rmtk_tensor_info *ti, size_t i,
                        const piece *pc, const char *shp)
{
    int64_t side = RMTK_MIN(pc->rows, pc->cols);
    if (side < c->p->min_side) {
        char why[400];
        snprintf(why, sizeof why, "min side %lld < min_side %lld (matrix %lld x %lld of shape %s)",
                 (long long)side, (long long)c->p->min_side, (long long)pc->rows,
                 (long long)pc->cols, shp);
        return push_piece(l, ti, i, pc, RMTK_SKIP_SMALL, why);
    }
    return push_piece(l, ti, i, pc, RMTK_SKIP_NONE, "");
}

/* The fused matrix (R x C presented at offset0 with strides rs, cs) and its parts, per
 * p->fused. layout describes the split for the fused entry's reason. */
static int emit_parts(rmtk_layers *l, const ctx *c, const rmtk_tensor_info *ti, size_t i,
                      int64_t slice, int32_t expert, int64_t R, int64_t C, int64_t offset0,
                      int64_t rs, int64_t cs, const part_rows *parts, int np, const char *layout,
                      const char *shp)
{
    piece pc = plain(slice, R, C);
    pc.geometry = 1;
    pc.offset = offset0;
    pc.rs = rs;
    pc.cs = cs;
    pc.expert = expert;
    int st;
    if (c->p->fused == RMTK_FUSED_SPLIT) {
        char why[400];
        size_t k = (size_t)snprintf(why, sizeof why, "fused: analysed as its parts");
        for (int q = 0; q < np && k < sizeof why; q++)
            k += (size_t)snprintf(why + k, sizeof why - k, " %s", parts[q].suffix);
        if (k < sizeof why)
            snprintf(why + k, sizeof why - k, " (%s; --fused keep analyses it whole)", layout);
        st = push_piece(l, ti, i, &pc, RMTK_SKIP_FUSED, why);
    } else {
        st = push_checked(l, c, ti, i, &pc, shp);
    }
    if (st || c->p->fused == RMTK_FUSED_KEEP)
        return st;
    for (int q = 0; q < np && !st; q++) {
        piece pp = pc;
        pp.suffix = parts[q].suffix;
        pp.module = parts[q].module;
        pp.part = q;
        pp.rows = parts[q].rows;
        pp.offset = offset0 + parts[q].first * rs;
        pp.rs = parts[q].step * rs;
        pp.rg = parts[q].group;
        pp.gs = parts[q].group ? parts[q].gstride * rs : 0;
        st = push_checked(l, c, ti, i, &pp, shp);
    }
    return st;
}

/* The q/k/v parts of a fused attention projection with R presented rows (out features), by the
 * layout its architecture documents; 0 when the head counts do not fit R. */
static int qkv_parts(const ctx *c, int64_t R, part_rows *out, char *layout, size_t lsz)
{
    rmtk_architecture a;
    rmtk_model_architecture(c->m, &a);
    int64_t H = a.heads, KV = a.kv_heads, hd = a.head_dim;
    static const char *const interleaved[] = {"gpt_neox", "bloom", "gptj", "persimmon", NULL};
    static const char *const falcon[] = {"falcon", "RefinedWeb", "RefinedWebModel", NULL};
    enum { SLAB, INTERLEAVED, GROUPED } kind = SLAB;
    if (!c->gguf && type_is(c, interleaved)) {
        kind = INTERLEAVED;
    } else if (!c->gguf && type_is(c, falcon)) {
        if (a.new_decoder == 1)
            kind = GROUPED;
        else if (a.multi_query != 0)
            KV = 1; /* Falcon's default: multi_query, [q heads; k; v] */
        else
            kind = INTERLEAVED;
    }
    if (H > 0 && hd > 0 && KV > 0) {
        if (kind == INTERLEAVED && R == 3 * H * hd) {
            out[0] = prow("[q]", "attn_q", H * hd, 0, hd, 3 * hd);
            out[1] = prow("[k]", "attn_k", H * hd, hd, hd, 3 * hd);
            out[2] = prow("[v]", "attn_v", H * hd, 2 * hd, hd, 3 * hd);
            snprintf(layout, lsz, "per-head interleaved [q k v] x %lld heads of %lld rows",
                     (long long)H, (long long)hd);
            return 1;
        }
        if (kind == GROUPED && H % KV == 0 && R == (H + 2 * KV) * hd) {
            int64_t g = H / KV, gs = (g + 2) * hd;
            out[0] = prow("[q]", "attn_q", H * hd, 0, g * hd, gs);
            out[1] = prow("[k]", "attn_k", KV * hd, g * hd, hd, gs);
            out[2] = prow("[v]", "attn_v", KV * hd, (g + 1) * hd, hd, gs);
            snprintf(layout, lsz,
                     "per kv group [%lld q heads, k, v] x %lld groups of %lld-row heads",
                     (long long)g, (long long)KV, (long long)hd);
            return 1;
        }
        if (kind == SLAB && R == (H + 2 * KV) * hd) {
            out[0] = prow("[q]", "attn_q", H * hd, 0, 0, 0);
            out[1] = prow("[k]", "attn_k", KV * hd, H * hd, 0, 0);
            out[2] = prow("[v]", "attn_v", KV * hd, (H + KV) * hd, 0, 0);
            snprintf(layout, lsz, "[q; k; v] with %lld q and %lld kv heads of %lld rows",
                     (long long)H, (long long)KV, (long long)hd);
            return 1;
        }
        return 0;
    }
    if (kind == SLAB && R % 3 == 0) { /* no head counts: equal thirds (multi-head attention) */
        out[0] = prow("[q]", "attn_q", R / 3, 0, 0, 0);
        out[1] = prow("[k]", "attn_k", R / 3, R / 3, 0, 0);
        out[2] = prow("[v]", "attn_v", R / 3, 2 * R / 3, 0, 0);
        snprintf(layout, lsz, "[q; k; v] in equal thirds (no head counts in config.json)");
        return 1;
    }
    return 0;
}

/* Recurrent gate modules and suffixes, by gate letter. */
static const char *gate_module(int hh, char g)
{
    switch (g) {
    case 'i':
        return hh ? "rnn_hh_i" : "rnn_ih_i";
    case 'f':
        return hh ? "rnn_hh_f" : "rnn_ih_f";
    case 'g':
        return hh ? "rnn_hh_g" : "rnn_ih_g";
    case 'o':
        return hh ? "rnn_hh_o" : "rnn_ih_o";
    case 'r':
        return hh ? "rnn_hh_r" : "rnn_ih_r";
    case 'z':
        return hh ? "rnn_hh_z" : "rnn_ih_z";
    default:
        return hh ? "rnn_hh_n" : "rnn_ih_n";
    }
}

static const char *gate_suffix(char g)
{
    switch (g) {
    case 'i':
        return "[i]";
    case 'f':
        return "[f]";
    case 'g':
        return "[g]";
    case 'o':
        return "[o]";
    case 'r':
        return "[r]";
    case 'z':
        return "[z]";
    default:
        return "[n]";
    }
}

/* Recurrent weights: PyTorch weight_ih_lN / weight_hh_lN ([gH, in], [gH, H]: LSTM gates i f g o,
 * GRU r z n) and Keras kernel / recurrent_kernel (presented [gH, in], [gH, H]: LSTM i f c o,
 * GRU z r h). The gate count g = rows / H with H the columns of the recurrent matrix. Returns 1
 * when handled. */
static int rnn_split(rmtk_layers *l, const ctx *c, const rmtk_tensor_info *ti, size_t i,
                     const char *shp, int *st)
{
    size_t n;
    const char *seg = last_seg(ti->name, &n);
    int torch_ih = n > 11 && memcmp(seg, "weight_ih_l", 11) == 0;
    int torch_hh = n > 11 && memcmp(seg, "weight_hh_l", 11) == 0;
    int keras_k = last_is(ti->name, "kernel"), keras_r = last_is(ti->name, "recurrent_kernel");
    if (!torch_ih && !torch_hh && !keras_k && !keras_r)
        return 0;
    /* the recurrent sibling's name */
    size_t len = strlen(ti->name);
    char sib[512];
    if (len + 16 >= sizeof sib)
        return 0;
    if (torch_ih || torch_hh) {
        memcpy(sib, ti->name, len + 1);
        sib[(size_t)(seg - ti->name) + 7] = 'h'; /* weight_ih -> weight_hh */
    } else {
        size_t pre = (size_t)(seg - ti->name);
        memcpy(sib, ti->name, pre);
        snprintf(sib + pre, sizeof sib - pre, "recurrent_kernel");
    }
    size_t si;
    rmtk_tensor_info hi;
    if (rmtk_model_find(c->m, sib, &si) || rmtk_model_tensor_info(c->m, si, &hi) ||
        hi.ndim != 2 || hi.shape[1] <= 0)
        return 0;
    int64_t H = hi.shape[1], R = ti->shape[0], C = ti->shape[1];
    if (R % H || (R / H != 3 && R / H != 4))
        return 0;
    int lstm = R / H == 4;
    const char *order = torch_ih || torch_hh ? (lstm ? "ifgo" : "rzn") : (lstm ? "ifgo" : "zrn");
    int hh = torch_hh || keras_r;
    part_rows parts[4];
    for (int q = 0; q < (lstm ? 4 : 3); q++)
        parts[q] = prow(gate_suffix(order[q]), gate_module(hh, order[q]), H, q * H, 0, 0);
    char layout[200];
    snprintf(layout, sizeof layout, "%s gates %s of %lld rows", lstm ? "LSTM" : "GRU",
             torch_ih || torch_hh ? (lstm ? "i f g o" : "r z n") : (lstm ? "i f c o" : "z r h"),
             (long long)H);
    *st = emit_parts(l, c, ti, i, -1, -2, R, C, 0, C, 1, parts, lstm ? 4 : 3, layout, shp);
    return 1;
}

/* ONNX LSTM/GRU weights W [dirs, gH, in] and R [dirs, gH, H] (the reader marks them by the
 * node that uses them): per direction NAME[d], split into the gates (LSTM i o f c: suffixes
 * [i] [o] [f] [g], GRU z r h: [z] [r] [n]). */
static int onnx_rnn_split(rmtk_layers *l, const ctx *c, const rmtk_tensor_info *ti, size_t i,
                          const char *shp, int *st)
{
    int role = c->m->t[i].rnn_role;
    if (role == MODEL_RNN_NONE || ti->ndim != 3 || ti->fortran_order)
        return 0;
    int lstm = role == MODEL_RNN_LSTM_W || role == MODEL_RNN_LSTM_R;
    int hh = role == MODEL_RNN_LSTM_R || role == MODEL_RNN_GRU_R;
    int g = lstm ? 4 : 3;
    int64_t dirs = ti->shape[0], R = ti->shape[1], C = ti->shape[2];
    if (R % g)
        return 0;
    const char *order = lstm ? "iofg" : "zrn";
    part_rows parts[4];
    for (int q = 0; q < g; q++)
        parts[q] = prow(gate_suffix(order[q]), gate_module(hh, order[q]), R / g, q * (R / g), 0,
                        0);
    char layout[120];
    snprintf(layout, sizeof layout, "ONNX %s gates %s of %lld rows", lstm ? "LSTM" : "GRU",
             lstm ? "i o f c" : "z r h", (long long)(R / g));
    *st = RMTK_OK;
    for (int64_t d = 0; d < dirs && !*st; d++)
        *st = emit_parts(l, c, ti, i, d, -2, R, C, d * R * C, C, 1, parts, g, layout, shp);
    return 1;
}

/* Orientation of a stacked expert tensor [E, A, B]: 1 when stored (in, out) (GPT-OSS, Llama 4:
 * x @ W), 0 when (out, in) (transformers' fused experts: F.linear). out_is_hidden: the output
 * side is the hidden size (down_proj). Known hidden size first, else the larger side is the
 * wider one (2*ff for gate_up, ff for down). */
static int expert_transposed(const ctx *c, int64_t A, int64_t B, int out_is_hidden, int gate_up)
{
    rmtk_architecture a;
    rmtk_model_architecture(c->m, &a);
    int64_t d = a.hidden;
    if (d > 0 && A != B) {
        if (out_is_hidden)
            return B == d;
        return A == d;
    }
    if (out_is_hidden)
        return A > B;
    (void)gate_up;
    return A < B;
}

/* Stacked experts [E, A, B] under a name with an "experts" segment and no expert index, or a
 * GGUF ffn_*_exps tensor (already [E, out, in]). Returns 1 when handled. */
static int experts_split(rmtk_layers *l, const ctx *c, const rmtk_tensor_info *ti, size_t i,
                         const char *shp, int *st)
{
    rmtk_structure s;
    rmtk_name_structure(ti->name, &s);
    int gguf_exps = strstr(ti->name, "_exps") != NULL;
    int hf = s.expert < 0 && (strstr(ti->name, "experts.") || strstr(ti->name, "experts/"));
    if (ti->ndim != 3 || ti->fortran_order || (!gguf_exps && !hf))
        return 0;
    int64_t E = ti->shape[0], A = ti->shape[1], B = ti->shape[2];
    int gate_up = strcmp(s.module, "mlp_gate_up") == 0;
    int down = strcmp(s.module, "mlp_down") == 0;
    int tr = gguf_exps ? 0 : expert_transposed(c, A, B, down, gate_up);
    int64_t R = tr ? B : A, C = tr ? A : B, rs = tr ? 1 : B, cs = tr ? B : 1;
    static const char *const interleaved_gu[] = {"gpt_oss", NULL};
    *st = RMTK_OK;
    for (int64_t k = 0; k < E && !*st; k++) {
        int64_t off = k * A * B;
        if (gate_up && R % 2 == 0) {
            part_rows parts[2];
            char layout[120];
            if (type_is(c, interleaved_gu)) {
                parts[0] = prow("[gate]", "mlp_gate", R / 2, 0, 0, 0);
                parts[1] = prow("[up]", "mlp_up", R / 2, 1, 0, 0);
                parts[0].step = parts[1].step = 2;
                snprintf(layout, sizeof layout, "gate and up interleaved, %lld rows each",
                         (long long)(R / 2));
            } else {
                parts[0] = prow("[gate]", "mlp_gate", R / 2, 0, 0, 0);
                parts[1] = prow("[up]", "mlp_up", R / 2, R / 2, 0, 0);
                snprintf(layout, sizeof layout, "[gate; up] halves of %lld rows",
                         (long long)(R / 2));
            }
            *st = emit_parts(l, c, ti, i, k, (int32_t)k, R, C, off, rs, cs, parts, 2, layout,
                             shp);
        } else {
            piece pc = plain(k, R, C);
            pc.geometry = 1;
            pc.offset = off;
            pc.rs = rs;
            pc.cs = cs;
            pc.expert = (int32_t)k;
            *st = push_checked(l, c, ti, i, &pc, shp);
        }
    }
    return 1;
}

/* Conv1d kernel [out, in, k]: one (out, in*k) matrix, or k (out, in) matrices per tap. */
static int conv1d(rmtk_layers *l, const ctx *c, const rmtk_tensor_info *ti, size_t i,
                  const char *shp)
{
    const int64_t *s = ti->shape;
    if (c->p->conv_mode != RMTK_CONV_SLICES) {
        piece pc = plain(-1, s[0], s[1] * s[2]);
        pc.module = "conv";
        return push_checked(l, c, ti, i, &pc, shp);
    }
    int st = RMTK_OK;
    for (int64_t t = 0; t < s[2] && !st; t++) {
        piece pc = plain(t, s[0], s[1]);
        pc.module = "conv";
        pc.geometry = 1;
        if (!ti->fortran_order) {
            pc.offset = t;
            pc.rs = s[1] * s[2];
            pc.cs = s[2];
        } else {
            pc.offset = t * s[0] * s[1];
            pc.rs = 1;
            pc.cs = s[0];
        }
        st = push_checked(l, c, ti, i, &pc, shp);
    }
    return st;
}

/* The structure-aware rules for one numeric, non-empty tensor of >= 2 dimensions; returns 1 when
 * they handled it (status in *st), 0 for the generic rules. */
static int structured(rmtk_layers *l, const ctx *c, const rmtk_tensor_info *ti, size_t i,
                      const char *shp, int *st)
{
    rmtk_structure s;
    rmtk_name_structure(ti->name, &s);
    const rmtk_extract_params *p = c->p;
    *st = RMTK_OK;
    if (p->skip_embeddings && ti->ndim == 2 && !strncmp(s.module, "embed", 5)) {
        piece pc = plain(-1, ti->shape[0], ti->shape[1]);
        *st = push_piece(l, ti, i, &pc, RMTK_SKIP_EMBED,
                         "embedding table (skipped on request: --skip-embeddings)");
        return 1;
    }
    if (p->as_stored)
        return 0;
    /* A PEFT LoRA factor (peft.c pairs it into a product entry): never split or re-presented by
     * the name of the module it adapts ("...c_attn.lora_B.weight" is r columns of the update,
     * not a fused q|k|v weight). */
    if (strstr(ti->name, ".lora_A.") || strstr(ti->name, ".lora_B.") ||
        strstr(ti->name, ".lora_embedding_A") || strstr(ti->name, ".lora_embedding_B"))
        return 0;
    if (ti->ndim == 3) {
        if (onnx_rnn_split(l, c, ti, i, shp, st))
            return 1;
        if (experts_split(l, c, ti, i, shp, st))
            return 1;
        if (p->stack3d == RMTK_STACK3D_CONV ||
            (p->stack3d == RMTK_STACK3D_AUTO && (strstr(ti->name, "conv") || c->conv_arch))) {
            *st = conv1d(l, c, ti, i, shp);
            return 1;
        }
        return 0;
    }
    if (ti->ndim != 2 || ti->fortran_order)
        return 0;
    int64_t R = ti->shape[0], C = ti->shape[1];
    /* GPT-2 Conv1D: stored [in, out]; presented (out x in) by strides, c_attn split in thirds */
    if (c->gpt2_conv1d && (last_is(ti->name, "c_attn") || last_is(ti->name, "c_proj") ||
                           last_is(ti->name, "c_fc") || last_is(ti->name, "q_attn"))) {
        int64_t out = C, in = R;
        if (last_is(ti->name, "c_attn") && out % 3 == 0) {
            part_rows parts[3] = {prow("[q]", "attn_q", out / 3, 0, 0, 0),
                                  prow("[k]", "attn_k", out / 3, out / 3, 0, 0),
                                  prow("[v]", "attn_v", out / 3, 2 * out / 3, 0, 0)};
            *st = emit_parts(l, c, ti, i, -1, -2, out, in, 0, 1, C, parts, 3,
                             "GPT-2 Conv1D [in, q|k|v] presented transposed", shp);
            return 1;
        }
        piece pc = plain(-1, out, in);
        pc.geometry = 1;
        pc.rs = 1;
        pc.cs = C;
        *st = push_checked(l, c, ti, i, &pc, shp);
        return 1;
    }
    if (!strcmp(s.module, "attn_qkv")) {
        part_rows parts[3];
        char layout[200];
        if (qkv_parts(c, R, parts, layout, sizeof layout)) {
            *st = emit_parts(l, c, ti, i, -1, -2, R, C, 0, C, 1, parts, 3, layout, shp);
            return 1;
        }
        return 0;
    }
    if (!strcmp(s.module, "mlp_gate_up") && R % 2 == 0) {
        part_rows parts[2] = {prow("[gate]", "mlp_gate", R / 2, 0, 0, 0),
                              prow("[up]", "mlp_up", R / 2, R / 2, 0, 0)};
        char layout[120];
        snprintf(layout, sizeof layout, "[gate; up] halves of %lld rows", (long long)(R / 2));
        *st = emit_parts(l, c, ti, i, -1, -2, R, C, 0, C, 1, parts, 2, layout, shp);
        return 1;
    }
    return rnn_split(l, c, ti, i, shp, st);
}

/* The entries of one tensor. */
static int extract(rmtk_layers *l, const ctx *c, const rmtk_tensor_info *ti, size_t i,
                   const regex_t *inc, const regex_t *exc)
{
    const rmtk_extract_params *p = c->p;
    char why[400], shp[200];
    fmt_shape(shp, sizeof shp, ti);
    if (inc && regexec(inc, ti->name, 0, NULL, 0) != 0) {
        snprintf(why, sizeof why, "name does not match --include '%s'", p->include);
        return push(l, ti, i, -1, 0, 0, RMTK_SKIP_FILTER, why);
    }
    if (exc && regexec(exc, ti->name, 0, NULL, 0) == 0) {
        snprintf(why, sizeof why, "name matches --exclude '%s'", p->exclude);
        return push(l, ti, i, -1, 0, 0, RMTK_SKIP_FILTER, why);
    }
    if (!rmtk_dtype_is_numeric(ti->dtype)) {
        if (strcmp(ti->dtype_str, rmtk_dtype_name(ti->dtype)) == 0)
            snprintf(why, sizeof why, "dtype %s is not numeric", ti->dtype_str);
        else
            snprintf(why, sizeof why, "dtype %s ('%s') is not numeric",
                     rmtk_dtype_name(ti->dtype), ti->dtype_str);
        return push(l, ti, i, -1, 0, 0, RMTK_SKIP_DTYPE, why);
    }
    if (ti->ndim < 2) {
        if (ti->ndim == 0)
            snprintf(why, sizeof why, "scalar (0-D tensor)");
        else
            snprintf(why, sizeof why, "1-D tensor %s", shp);
        return push(l, ti, i, -1, ti->ndim ? ti->shape[0] : 1, 1, RMTK_SKIP_NDIM, why);
    }
    for (int k = 0; k < ti->ndim; k++)
        if (ti->shape[k] == 0) {
            snprintf(why, sizeof why, "empty: dimension %d has size 0 (shape %s)", k, shp);
            return push(l, ti, i, -1, 0, 0, RMTK_SKIP_EMPTY, why);
        }
    int sst;
    if (structured(l, c, ti, i, shp, &sst))
        return sst;
    int64_t rows, cols, count = 1;
    int sliced = 0;
    if (ti->ndim == 2) {
        rows = ti->shape[0];
        cols = ti->shape[1];
    } else if (ti->ndim == 3) {
        count = ti->shape[0];
        rows = ti->shape[1];
        cols = ti->shape[2];
        sliced = 1;
    } else if (ti->ndim == 4 && p->conv_mode == RMTK_CONV_SLICES) {
        count = ti->shape[2] * ti->shape[3];
        rows = ti->shape[0];
        cols = ti->shape[1];
        sliced = 1;
    } else if (ti->ndim == 4 && p->conv_mode == RMTK_CONV_POOLED) {
        count = ti->shape[2] * ti->shape[3]; /* one entry pooling its count slices */
        rows = ti->shape[0];
        cols = ti->shape[1];
    } else {
        rows = ti->shape[0];
        cols = (int64_t)(ti->numel / (uint64_t)rows);
    }
    int64_t side = RMTK_MIN(rows, cols);
    if (side < p->min_side) {
        snprintf(why, sizeof why, "min side %lld < min_side %lld (%s%lld x %lld of shape %s)%s",
                 (long long)side, (long long)p->min_side, sliced ? "matrices " : "matrix ",
                 (long long)rows, (long long)cols, shp,
                 ti->ndim == 3 ? "; if it is a Conv1d kernel [out, in, k], --stack3d conv "
                                 "reads it as one (out, in*k) matrix"
                               : "");
        return push(l, ti, i, -1, rows, cols, RMTK_SKIP_SMALL, why);
    }
    if (!sliced) {
        int st = push(l, ti, i, -1, rows, cols, RMTK_SKIP_NONE, "");
        if (!st && ti->ndim == 4 && p->conv_mode == RMTK_CONV_POOLED)
            l->e[l->n - 1].pooled = count;
        return st;
    }
    for (int64_t k = 0; k < count; k++) {
        int st = push(l, ti, i, k, rows, cols, RMTK_SKIP_NONE, "");
        if (st)
            return st;
    }
    return RMTK_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Tied weights                                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct tkey {
    const char *file;
    uint64_t offset;
    size_t tensor;
} tkey;

static int cmp_tkey(const void *a, const void *b)
{
    const tkey *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return x->tensor < y->tensor ? -1 : x->tensor > y->tensor;
}

static int same_shape(const rmtk_tensor_info *a, const rmtk_tensor_info *b)
{
    if (a->ndim != b->ndim || a->dtype != b->dtype || a->nbytes != b->nbytes ||
        a->fortran_order != b->fortran_order || a->big_endian != b->big_endian)
        return 0;
    for (int k = 0; k < a->ndim; k++)
        if (a->shape[k] != b->shape[k])
            return 0;
    return 1;
}

/* 64-bit FNV-1a of tensor i's bytes (REF: Fowler, Noll, Vo; offset basis 14695981039346656037,
 * prime 1099511628211). */
static int tensor_hash(rmtk_model *m, size_t i, uint64_t nbytes, uint64_t *h)
{
    const void *data;
    int st = rmtk_model_map(m, i, &data);
    if (st)
        return st;
    const unsigned char *b = data;
    uint64_t x = 14695981039346656037ull;
    for (uint64_t k = 0; k < nbytes; k++) {
        x ^= b[k];
        x *= 1099511628211ull;
    }
    *h = x;
    return RMTK_OK;
}

/* Mark every analysed entry of tensor b as tied to tensor a. */
static int mark_tied(rmtk_layers *l, size_t b, const char *aname, const char *how)
{
    for (size_t k = 0; k < l->n; k++) {
        rmtk_matrix_entry *e = &l->e[k];
        if (e->tensor != b || e->skip != RMTK_SKIP_NONE)
            continue;
        size_t len = strlen(aname) + strlen(how) + 32;
        char *r = rmtk__malloc(len);
        if (!r)
            return RMTK_ERR_NOMEM;
        snprintf(r, len, "tied to %s (%s)", aname, how);
        rmtk__free((void *)e->reason);
        e->reason = r;
        e->skip = RMTK_SKIP_TIED;
    }
    return RMTK_OK;
}

/* Tensors with analysed entries that are the same weights as another: the same file and offset
 * with the same shape and dtype (PyTorch shares the storage of tied parameters), or, for an
 * lm_head and an embedding of equal shape and dtype (the only pairs whose bytes are read), equal
 * bytes (64-bit FNV-1a). The later tensor (an lm_head: always that one) becomes RMTK_SKIP_TIED. */
static int find_tied(rmtk_model *m, rmtk_layers *l)
{
    size_t nt = rmtk_model_tensor_count(m), nk = 0;
    unsigned char *live = rmtk__calloc(nt ? nt : 1, 1);
    tkey *keys = rmtk__malloc_array(nt ? nt : 1, sizeof *keys);
    int st = live && keys ? RMTK_OK : RMTK_ERR_NOMEM;
    for (size_t k = 0; k < l->n && !st; k++)
        if (l->e[k].skip == RMTK_SKIP_NONE)
            live[l->e[k].tensor] = 1;
    for (size_t i = 0; i < nt && !st; i++) {
        rmtk_tensor_info ti;
        if (live[i] && rmtk_model_tensor_info(m, i, &ti) == RMTK_OK && ti.nbytes > 0 &&
            m->t[i].store != MODEL_STORE_FETCH) {
            keys[nk].file = ti.file;
            keys[nk].offset = ti.offset;
            keys[nk].tensor = i;
            nk++;
        }
    }
    if (!st)
        qsort(keys, nk, sizeof *keys, cmp_tkey);
    /* runs of keys at the same file and offset: the first tensor that is not an lm_head (else
     * the first) is analysed, the others of its shape are tied to it */
    for (size_t k0 = 0, k1; k0 < nk && !st; k0 = k1) {
        for (k1 = k0 + 1; k1 < nk && !strcmp(keys[k1].file, keys[k0].file) &&
                          keys[k1].offset == keys[k0].offset;
             k1++)
            ;
        if (k1 - k0 < 2)
            continue;
        size_t rep = keys[k0].tensor;
        for (size_t k = k0; k < k1; k++) {
            rmtk_tensor_info ti;
            rmtk_structure ts;
            rmtk_model_tensor_info(m, keys[k].tensor, &ti);
            rmtk_name_structure(ti.name, &ts);
            if (strcmp(ts.module, "lm_head")) {
                rep = keys[k].tensor;
                break;
            }
        }
        rmtk_tensor_info ri;
        rmtk_model_tensor_info(m, rep, &ri);
        for (size_t k = k0; k < k1 && !st; k++) {
            size_t t = keys[k].tensor;
            rmtk_tensor_info ti;
            rmtk_model_tensor_info(m, t, &ti);
            if (t == rep || !same_shape(&ri, &ti) || m->t[t].strided || m->t[rep].strided)
                continue;
            st = mark_tied(l, t, ri.name, "same storage");
            live[t] = 0;
        }
    }
    /* lm_head vs embeddings: equal bytes */
    for (size_t h = 0; h < nt && !st; h++) {
        rmtk_tensor_info hi;
        rmtk_structure hs;
        if (!live[h] || rmtk_model_tensor_info(m, h, &hi) ||
            rmtk_name_structure(hi.name, &hs) || strcmp(hs.module, "lm_head"))
            continue;
        uint64_t hh = 0;
        int hashed = 0;
        for (size_t e = 0; e < nt && !st && live[h]; e++) {
            rmtk_tensor_info ei;
            rmtk_structure es;
            if (e == h || !live[e] || rmtk_model_tensor_info(m, e, &ei) ||
                rmtk_name_structure(ei.name, &es) || strcmp(es.module, "embed") ||
                !same_shape(&hi, &ei))
                continue;
            /* the first 64 KiB first: untied tables differ there, and mmap then touches
             * only those pages */
            uint64_t he, ph, pe, np = RMTK_MIN(hi.nbytes, (uint64_t)65536);
            if ((st = tensor_hash(m, h, np, &ph)) || (st = tensor_hash(m, e, np, &pe)) ||
                ph != pe)
                continue;
            if (!hashed && !(st = tensor_hash(m, h, hi.nbytes, &hh)))
                hashed = 1;
            if (!st && !(st = tensor_hash(m, e, ei.nbytes, &he)) && he == hh) {
                st = mark_tied(l, h, ei.name, "equal bytes");
                live[h] = 0;
            }
        }
    }
    rmtk__free(keys);
    rmtk__free(live);
    return st; /* a read error carries the model's message */
}

int rmtk_layers_alloc(rmtk_model *m, const rmtk_extract_params *p, rmtk_layers **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    if (!m)
        return RMTK_ERR_ARG;
    rmtk_extract_params def = rmtk_extract_params_default();
    if (!p)
        p = &def;
    if (p->conv_mode != RMTK_CONV_FLATTEN && p->conv_mode != RMTK_CONV_SLICES &&
        p->conv_mode != RMTK_CONV_POOLED)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "conv_mode %d is not a rmtk_conv_mode",
                          (int)p->conv_mode);
    if (p->min_side < 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "min_side %lld is negative",
                          (long long)p->min_side);
    if (p->fused < RMTK_FUSED_SPLIT || p->fused > RMTK_FUSED_BOTH)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "fused %d is not a rmtk_fused_mode",
                          (int)p->fused);
    if (p->stack3d < RMTK_STACK3D_AUTO || p->stack3d > RMTK_STACK3D_CONV)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "stack3d %d is not a rmtk_stack3d_mode",
                          (int)p->stack3d);
    ctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.p = p;
    c.type = m->arch_type ? m->arch_type : "";
    c.gguf = m->format && strcmp(m->format, "gguf") == 0;
    static const char *const conv_archs[] = {"whisper", "wav2vec2", "hubert", "wavlm",
                                             "data2vec-audio", "sew", "sew-d", "unispeech",
                                             "unispeech-sat", "encodec", "mamba", "mamba2",
                                             "speech_to_text", "seamless_m4t", NULL};
    c.conv_arch = type_is(&c, conv_archs);
    if (!strcmp(c.type, "gpt2")) {
        c.gpt2_conv1d = 1;
    } else if (!*c.type && !c.gguf) {
        /* no config: a c_attn stored [d, 3d] is GPT-2's Conv1D (Linear would be [3d, d]) */
        for (size_t i = 0; i < rmtk_model_tensor_count(m) && !c.gpt2_conv1d; i++) {
            rmtk_tensor_info ti;
            if (rmtk_model_tensor_info(m, i, &ti) == RMTK_OK && ti.ndim == 2 &&
                last_is(ti.name, "c_attn") && ti.shape[1] == 3 * ti.shape[0])
                c.gpt2_conv1d = 1;
        }
    }
    regex_t inc, exc;
    int have_inc = 0, have_exc = 0, st = RMTK_OK;
    const char *pats[2] = {p->include, p->exclude};
    regex_t *res[2] = {&inc, &exc};
    int *have[2] = {&have_inc, &have_exc};
    for (int k = 0; k < 2; k++) {
        if (!pats[k])
            continue;
        int rc = regcomp(res[k], pats[k], REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[200];
            regerror(rc, res[k], msg, sizeof msg);
            regfree(res[k]);
            st = rmtk__fail(m->errmsg, rc == REG_ESPACE ? RMTK_ERR_NOMEM : RMTK_ERR_ARG,
                            "--%s: invalid regular expression '%s': %s",
                            k ? "exclude" : "include", pats[k], msg);
            break;
        }
        *have[k] = 1;
    }
    rmtk_layers *l = st ? NULL : rmtk__calloc(1, sizeof *l);
    if (!st && !l)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory listing matrices");
    size_t nt = rmtk_model_tensor_count(m);
    for (size_t i = 0; i < nt && !st; i++) {
        rmtk_tensor_info ti;
        st = rmtk_model_tensor_info(m, i, &ti);
        if (!st && m->t[i].skip_reason) /* the reader says: not weights (optimizer state) */
            st = push(l, &ti, i, -1, ti.ndim ? ti.shape[0] : 1, 1, RMTK_SKIP_STATE,
                      m->t[i].skip_reason);
        else if (!st)
            st = extract(l, &c, &ti, i, have_inc ? &inc : NULL, have_exc ? &exc : NULL);
        if (st == RMTK_ERR_NOMEM)
            rmtk__fail(m->errmsg, st, "out of memory listing matrices");
    }
    if (!st) /* PEFT LoRA factors: lora_A/lora_B pairs become product entries (peft.c) */
        st = rmtk__peft_pair(m, p, l->e, l->n);
    if (have_inc)
        regfree(&inc);
    if (have_exc)
        regfree(&exc);
    if (!st && !p->keep_tied && !p->as_stored)
        st = find_tied(m, l);
    if (st) {
        rmtk_layers_free(l);
        return st;
    }
    *out = l;
    return RMTK_OK;
}

size_t rmtk_layers_count(const rmtk_layers *l)
{
    return l ? l->n : 0;
}

int rmtk_layers_get(const rmtk_layers *l, size_t i, rmtk_matrix_entry *e)
{
    if (!l || !e)
        return RMTK_ERR_ARG;
    if (i >= l->n)
        return RMTK_ERR_NOTFOUND;
    *e = l->e[i];
    return RMTK_OK;
}

/* Element strides of an entry's matrix within its tensor (see the table in docs/formats.md).
 * C order, shape (n0, n1, ...):
 *   2-D: (i, j) at i*n1 + j; 3-D slice k: k*n1*n2 + i*n2 + j;
 *   4-D slice p = b*n3 + c: i*n1*n2*n3 + j*n2*n3 + p; flattened: i*cols + j.
 * Fortran order (first index fastest):
 *   2-D: i + j*n0; 3-D slice k: k + i*n0 + j*n0*n1;
 *   4-D slice (b, c): i + j*n0 + b*n0*n1 + c*n0*n1*n2;
 *   flattened (>= 4-D): i + j'*n0, where j' enumerates the trailing indices first-fastest: the
 *   columns of the C flattening in a permuted order (same singular values; right singular
 *   vectors permuted accordingly). */
int rmtk_layers_view(rmtk_model *m, const rmtk_matrix_entry *e, rmtk_matrix_view *v)
{
    if (!m || !e || !v)
        return RMTK_ERR_ARG;
    if (e->skip != RMTK_SKIP_NONE)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "'%s' is skipped (%s): no matrix to view",
                          e->name, e->reason);
    if (e->inner > 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "'%s' is a product of two factors: view them "
                          "with rmtk_layers_factor_view", e->name);
    if (e->pooled > 0 && (e->slice < 0 || e->slice >= e->pooled))
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "'%s' pools %lld kernel slices: view slice k "
                          "(0 <= k < %lld) through a copy of the entry with slice = k", e->name,
                          (long long)e->pooled, (long long)e->pooled);
    rmtk_tensor_info ti;
    int st = rmtk_model_tensor_info(m, e->tensor, &ti);
    if (st)
        return rmtk__fail(m->errmsg, st, "entry '%s': tensor %zu is not in the model", e->name,
                          e->tensor);
    if (ti.ndim < 2 || !rmtk_dtype_is_numeric(ti.dtype))
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "entry '%s' does not belong to this model",
                          e->name);
    const int64_t *s = ti.shape;
    int64_t off = 0, rs, cs;
    if (e->geometry) {
        off = e->offset;
        rs = e->row_stride;
        cs = e->col_stride;
    } else if (!ti.fortran_order) {
        if (ti.ndim == 3 && e->slice >= 0) {
            off = e->slice * s[1] * s[2];
            rs = s[2];
            cs = 1;
        } else if (ti.ndim == 4 && e->slice >= 0) {
            off = e->slice;
            rs = s[1] * s[2] * s[3];
            cs = s[2] * s[3];
        } else {
            rs = e->cols;
            cs = 1;
        }
    } else {
        if (ti.ndim == 3 && e->slice >= 0) {
            off = e->slice;
            rs = s[0];
            cs = s[0] * s[1];
        } else if (ti.ndim == 4 && e->slice >= 0) {
            int64_t b = e->slice / s[3], c = e->slice % s[3];
            off = b * s[0] * s[1] + c * s[0] * s[1] * s[2];
            rs = 1;
            cs = s[0];
        } else {
            rs = 1;
            cs = s[0];
        }
    }
    uint64_t off_bytes;
    if (!rmtk__dtype_bytes(ti.dtype, (uint64_t)off, &off_bytes))
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': matrix '%s' starts at element %lld, inside a %s block",
                          ti.file, ti.name, e->name, (long long)off, rmtk_dtype_name(ti.dtype));
    const void *data;
    st = rmtk_model_map(m, e->tensor, &data);
    if (st)
        return st;
    v->data = (const unsigned char *)data + (size_t)off_bytes;
    v->rows = e->rows;
    v->cols = e->cols;
    v->row_stride = rs;
    v->col_stride = cs;
    v->dtype = ti.dtype;
    v->big_endian = ti.big_endian;
    v->row_group = e->geometry ? e->row_group : 0;
    v->group_stride = e->geometry ? e->group_stride : 0;
    return RMTK_OK;
}

/* Gather a strided view into row-major doubles dst[i*cols + j]. Contiguous rows convert in one
 * call; column-contiguous data (Fortran order) converts each column in blocks and scatters, so
 * the source is read sequentially; other strides go element by element in the order of the
 * smaller stride. */
int rmtk_matrix_to_double(rmtk_matrix_view v, double *dst)
{
    if (!dst || v.rows < 0 || v.cols < 0 || (!v.data && v.rows && v.cols))
        return RMTK_ERR_ARG;
    if (!rmtk_dtype_is_numeric(v.dtype))
        return RMTK_ERR_UNSUPPORTED;
    if (v.rows == 0 || v.cols == 0)
        return RMTK_OK;
    size_t esz = rmtk_dtype_size(v.dtype);
    const unsigned char *base = v.data;
    int be = v.big_endian;
    size_t bel, bby;
    if (v.row_group < 0 || (v.row_group > 0 && v.group_stride < 0))
        return RMTK_ERR_ARG;
    if (v.row_group > 0) {
        /* row groups (a head-interleaved part): row by row at rmtk__view_row_offset */
        int blocked = rmtk_dtype_block(v.dtype, &bel, &bby) == RMTK_OK && bel > 1;
        for (int64_t i = 0; i < v.rows; i++) {
            int64_t o = rmtk__view_row_offset(&v, i);
            int st;
            if (blocked) {
                if (v.col_stride != 1 || (uint64_t)v.cols % bel || (uint64_t)o % bel)
                    return RMTK_ERR_UNSUPPORTED;
                st = rmtk_dtype_to_double(v.dtype, be, base + (size_t)o / bel * bby,
                                          (size_t)v.cols, dst + (size_t)(i * v.cols));
            } else {
                st = rmtk__convert_strided(v.dtype, be, base + (size_t)o * esz, v.col_stride,
                                           (size_t)v.cols, dst + (size_t)(i * v.cols));
            }
            if (st)
                return st;
        }
        return RMTK_OK;
    }
    if (rmtk_dtype_block(v.dtype, &bel, &bby) == RMTK_OK && bel > 1) {
        /* block-quantised: whole rows of whole blocks only */
        if (v.col_stride != 1 || v.row_stride < 0 || (uint64_t)v.cols % bel ||
            (uint64_t)v.row_stride % bel)
            return RMTK_ERR_UNSUPPORTED;
        for (int64_t i = 0; i < v.rows; i++) {
            int st = rmtk_dtype_to_double(v.dtype, be,
                                          base + (size_t)i * ((size_t)v.row_stride / bel) * bby,
                                          (size_t)v.cols, dst + (size_t)(i * v.cols));
            if (st)
                return st;
        }
        return RMTK_OK;
    }
    if (v.col_stride == 1) {
        for (int64_t i = 0; i < v.rows; i++)
            rmtk_dtype_to_double(v.dtype, be, base + (size_t)(i * v.row_stride) * esz,
                                 (size_t)v.cols, dst + (size_t)(i * v.cols));
        return RMTK_OK;
    }
    if (v.row_stride == 1) {
        /* Column-contiguous: convert a tile of TC columns x TR rows (each column segment is
         * contiguous in the source), then write it out row by row, TC contiguous doubles at a
         * time, so neither the reads nor the writes stride through memory element by element. */
        enum { TC = 16, TR = 256 };
        double tile[TC][TR];
        for (int64_t j0 = 0; j0 < v.cols; j0 += TC) {
            int64_t nc = RMTK_MIN(v.cols - j0, (int64_t)TC);
            for (int64_t i0 = 0; i0 < v.rows; i0 += TR) {
                int64_t nr = RMTK_MIN(v.rows - i0, (int64_t)TR);
                for (int64_t c = 0; c < nc; c++)
                    rmtk_dtype_to_double(v.dtype, be,
                                         base + (size_t)((j0 + c) * v.col_stride + i0) * esz,
                                         (size_t)nr, tile[c]);
                for (int64_t b = 0; b < nr; b++) {
                    double *row = dst + (size_t)((i0 + b) * v.cols + j0);
                    for (int64_t c = 0; c < nc; c++)
                        row[c] = tile[c][b];
                }
            }
        }
        return RMTK_OK;
    }
    int rows_inner = (v.row_stride < 0 ? -v.row_stride : v.row_stride) <
                     (v.col_stride < 0 ? -v.col_stride : v.col_stride);
    int64_t outer = rows_inner ? v.cols : v.rows, inner = rows_inner ? v.rows : v.cols;
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            int64_t i = rows_inner ? b : a, j = rows_inner ? a : b;
            rmtk_dtype_to_double(v.dtype, be,
                                 base + (ptrdiff_t)(i * v.row_stride + j * v.col_stride) *
                                            (ptrdiff_t)esz,
                                 1, dst + (size_t)(i * v.cols + j));
        }
    return RMTK_OK;
}

const char *rmtk_skip_name(int skip)
{
    switch ((enum rmtk_skip)skip) {
    case RMTK_SKIP_NONE:
        return "none";
    case RMTK_SKIP_NDIM:
        return "ndim";
    case RMTK_SKIP_SMALL:
        return "small";
    case RMTK_SKIP_FILTER:
        return "filter";
    case RMTK_SKIP_DTYPE:
        return "dtype";
    case RMTK_SKIP_EMPTY:
        return "empty";
    case RMTK_SKIP_STATE:
        return "state";
    case RMTK_SKIP_FACTOR:
        return "factor";
    case RMTK_SKIP_TIED:
        return "tied";
    case RMTK_SKIP_EMBED:
        return "embed";
    case RMTK_SKIP_FUSED:
        return "fused";
    }
    return "unknown";
}
