/*
 * structure.c: what a tensor name means in a model's architecture. From the dotted name alone
 * (the naming conventions of Hugging Face transformers, GGUF/llama.cpp, the original Llama and
 * GPT-2 checkpoints, PyTorch nn.Sequential) it finds the block (layer) index, the expert index of
 * a mixture-of-experts weight, and a normalised module type (attn_q, mlp_up, embed, ...). The
 * vocabulary is in rmtk.h (rmtk_name_structure) and docs/report.md ("Model structure").
 * Architecture-aware refinements (config.json, GGUF metadata) build on this table.
 */
#include "model-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Container names whose next dotted segment is the block index. */
static const char *const block_containers[] = {
    "layers", "layer", "h", "blk", "blocks", "block", "decoder_layers", "encoder_layers", NULL};

/* Normalised module types, matched against the dotted segments after the block (or the whole
 * name) from the last segment backwards; the first rule whose key equals a segment wins. Rules
 * with a context only match when the context segment also appears in the name ("#block": when
 * the name has a block index, so that a plain classifier's fc1/fc2 stay unnamed). */
static const struct {
    const char *seg, *ctx, *module;
} rules[] = {
    /* fused projections first: their names contain no q/k/v */
    {"c_attn", NULL, "attn_qkv"},
    {"query_key_value", NULL, "attn_qkv"},
    {"Wqkv", NULL, "attn_qkv"},
    {"qkv_proj", NULL, "attn_qkv"},
    {"qkv", NULL, "attn_qkv"},
    {"in_proj_weight", NULL, "attn_qkv"},
    {"gate_up_proj", NULL, "mlp_gate_up"},
    /* attention */
    {"q_proj", NULL, "attn_q"},
    {"k_proj", NULL, "attn_k"},
    {"v_proj", NULL, "attn_v"},
    {"o_proj", NULL, "attn_o"},
    {"out_proj", NULL, "attn_o"},
    {"query", NULL, "attn_q"},
    {"key", NULL, "attn_k"},
    {"value", NULL, "attn_v"},
    {"q_lin", NULL, "attn_q"},
    {"k_lin", NULL, "attn_k"},
    {"v_lin", NULL, "attn_v"},
    {"out_lin", NULL, "attn_o"},
    {"wq", NULL, "attn_q"},
    {"wk", NULL, "attn_k"},
    {"wv", NULL, "attn_v"},
    {"wo", NULL, "attn_o"},
    {"attn_q", NULL, "attn_q"},
    {"attn_k", NULL, "attn_k"},
    {"attn_v", NULL, "attn_v"},
    {"attn_output", NULL, "attn_o"},
    {"attn_qkv", NULL, "attn_qkv"},
    {"c_proj", "attn", "attn_o"},
    {"dense", "attention", "attn_o"},
    {"dense", "self_attention", "attn_o"},
    /* mixture-of-experts router */
    {"router", NULL, "router"},
    {"ffn_gate_inp", NULL, "router"},
    {"gate", "block_sparse_moe", "router"},
    {"gate", "mlp", "router"},
    /* MLP */
    {"gate_proj", NULL, "mlp_gate"},
    {"up_proj", NULL, "mlp_up"},
    {"down_proj", NULL, "mlp_down"},
    {"w1", NULL, "mlp_gate"},
    {"w3", NULL, "mlp_up"},
    {"w2", NULL, "mlp_down"},
    {"ffn_gate", NULL, "mlp_gate"},
    {"ffn_up", NULL, "mlp_up"},
    {"ffn_down", NULL, "mlp_down"},
    {"ffn_gate_exps", NULL, "mlp_gate"},
    {"ffn_up_exps", NULL, "mlp_up"},
    {"ffn_down_exps", NULL, "mlp_down"},
    {"c_fc", NULL, "mlp_up"},
    {"c_proj", "mlp", "mlp_down"},
    {"dense_h_to_4h", NULL, "mlp_up"},
    {"dense_4h_to_h", NULL, "mlp_down"},
    {"fc1", "#block", "mlp_up"},
    {"fc2", "#block", "mlp_down"},
    {"lin1", "#block", "mlp_up"},
    {"lin2", "#block", "mlp_down"},
    {"dense", "intermediate", "mlp_up"},
    {"dense", "output", "mlp_down"},
    /* embeddings and heads */
    {"embed_tokens", NULL, "embed"},
    {"wte", NULL, "embed"},
    {"word_embeddings", NULL, "embed"},
    {"tok_embeddings", NULL, "embed"},
    {"token_embd", NULL, "embed"},
    {"embed_in", NULL, "embed"},
    {"embed", NULL, "embed"},
    {"embedding", NULL, "embed"},
    {"wpe", NULL, "embed_pos"},
    {"position_embeddings", NULL, "embed_pos"},
    {"token_type_embeddings", NULL, "embed_type"},
    {"lm_head", NULL, "lm_head"},
    {"embed_out", NULL, "lm_head"},
    {"output", NULL, "lm_head"}, /* GGUF output.weight (only at the top level, see below) */
    /* recurrent */
    {"weight_ih_l0", NULL, "rnn_ih"},
    {"weight_hh_l0", NULL, "rnn_hh"},
};

static int is_number(const char *s, size_t n)
{
    if (n == 0 || n > 9)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int seg_eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* A recurrent weight of any layer: weight_ih_lN / weight_hh_lN (with _reverse). */
static const char *rnn_module(const char *s, size_t n)
{
    if (n > 11 && (memcmp(s, "weight_ih_l", 11) == 0))
        return "rnn_ih";
    if (n > 11 && (memcmp(s, "weight_hh_l", 11) == 0))
        return "rnn_hh";
    return NULL;
}

int rmtk_name_structure(const char *name, rmtk_structure *st)
{
    if (!name || !st)
        return RMTK_ERR_ARG;
    st->block = -1;
    st->expert = -1;
    st->module = "";
    enum { MAXSEG = 64 };
    const char *seg[MAXSEG];
    size_t len[MAXSEG], n = 0;
    for (const char *p = name; *p && n < MAXSEG;) {
        const char *q = p;
        while (*q && *q != '.' && *q != '/')
            q++;
        seg[n] = p;
        len[n] = (size_t)(q - p);
        n++;
        p = *q ? q + 1 : q;
    }
    /* The block: the number after a known container; else the first numeric segment that is
     * not an expert index (nn.Sequential "features.3.weight"). */
    size_t after = 0;
    for (size_t i = 0; i + 1 < n && st->block < 0; i++)
        for (const char *const *c = block_containers; *c; c++)
            if (seg_eq(seg[i], len[i], *c) && is_number(seg[i + 1], len[i + 1])) {
                st->block = (int32_t)strtol(seg[i + 1], NULL, 10);
                after = i + 2;
                break;
            }
    for (size_t i = 0; i + 1 < n; i++)
        if ((seg_eq(seg[i], len[i], "experts") || seg_eq(seg[i], len[i], "expert")) &&
            is_number(seg[i + 1], len[i + 1]))
            st->expert = (int32_t)strtol(seg[i + 1], NULL, 10);
    if (st->block < 0)
        for (size_t i = 0; i < n; i++)
            if (is_number(seg[i], len[i]) &&
                !(i > 0 && (seg_eq(seg[i - 1], len[i - 1], "experts") ||
                            seg_eq(seg[i - 1], len[i - 1], "expert")))) {
                st->block = (int32_t)strtol(seg[i], NULL, 10);
                after = i + 1;
                break;
            }
    /* The module: the last segment that a rule names (the trailing "weight" is skipped). */
    for (size_t k = n; k-- > after;) {
        const char *m = rnn_module(seg[k], len[k]);
        if (m) {
            st->module = m;
            /* the layer of a stacked recurrent network: weight_ih_l<N>[_reverse] */
            if (st->block < 0)
                st->block = (int32_t)strtol(seg[k] + 11, NULL, 10);
            return RMTK_OK;
        }
        for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
            if (!seg_eq(seg[k], len[k], rules[r].seg))
                continue;
            if (!strcmp(rules[r].seg, "output") && (k != 0 || st->block >= 0))
                continue;
            if (rules[r].ctx && !strcmp(rules[r].ctx, "#block")) {
                if (st->block < 0)
                    continue;
            } else if (rules[r].ctx) {
                int found = 0;
                for (size_t j = 0; j < k && !found; j++)
                    found = seg_eq(seg[j], len[j], rules[r].ctx);
                if (!found)
                    continue;
            }
            st->module = rules[r].module;
            return RMTK_OK;
        }
    }
    return RMTK_OK;
}
