"""Small checkpoints with the tensor names, layouts and config.json of real architectures
(issue 13), for tests/test_arch.py and for demonstrations:

    /usr/bin/python3 tests/arch_models.py OUTDIR     # writes OUTDIR/<family>/ for each family

Each builder writes its files into a directory and returns what rmtk must find there:
`expect[name] = (matrix, block, module, expert)` for every matrix that must be analysed, cut by
hand with numpy from the stored tensors by the layout the architecture documents (the Hugging
Face modeling code: GPT-2 Conv1D x @ W with W [in, out] and split(d, dim=2) into q|k|v;
GPT-NeoX/Bloom view(heads, 3, head_dim); Falcon new_decoder_architecture view(kv, q_per_kv + 2,
head_dim); Phi-3 [q; k; v] and gate_up chunk(2); transformers' fused experts gate_up_proj
[E, 2ff, d] chunk(2) and down_proj [E, d, ff]; GPT-OSS gate_up_proj [E, d, 2ff] with gate and up
interleaved [..., ::2], [..., 1::2], down_proj [E, ff, d]; PyTorch LSTM gates i f g o and GRU
r z n stacked in rows; Conv1d [out, in, k] flattened to (out, in*k)), and `skipped[name] = kind`
for the tensors that must be listed as skipped.
"""
import json
import os
import sys

import numpy as np
from stfile import write_f32 as write_safetensors  # noqa: E402

V, D, HEADS, KV, HD, FF, LAYERS, E = 96, 64, 4, 2, 16, 96, 2, 4


def rng(seed):
    return np.random.default_rng(seed)


def write_config(d, cfg):
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)


class Model:
    def __init__(self, seed):
        self.r = rng(seed)
        self.t = {}
        self.expect = {}
        self.skipped = {}

    def w(self, name, *shape):
        a = self.r.standard_normal(shape).astype(np.float32)
        self.t[name] = a
        return a.astype(np.float64)

    def want(self, name, m, block, module, expert=-1):
        self.expect[name] = (np.asarray(m, dtype=np.float64), block, module, expert)

    def norm(self, name, n=D):
        self.t[name] = np.ones(n, np.float32)
        self.skipped[name] = "ndim"

    def save(self, d, cfg, fname="model.safetensors"):
        os.makedirs(d, exist_ok=True)
        write_safetensors(os.path.join(d, fname), self.t)
        write_config(d, cfg)
        return self


def llama(d, sharded=True):
    """Llama: separate q/k/v/o and gate/up/down, GQA (4 q heads, 2 kv heads), untied lm_head,
    two shards with model.safetensors.index.json (and, when sharded, a consolidated copy beside
    them that the index makes rmtk ignore)."""
    m = Model(1)
    m.want("model.embed_tokens.weight", m.w("model.embed_tokens.weight", V, D), -1, "embed")
    for b in range(LAYERS):
        p = f"model.layers.{b}."
        for proj, mod, rows in (("q_proj", "attn_q", HEADS * HD), ("k_proj", "attn_k", KV * HD),
                                ("v_proj", "attn_v", KV * HD), ("o_proj", "attn_o", D)):
            cols = D if proj != "o_proj" else HEADS * HD
            m.want(p + f"self_attn.{proj}.weight", m.w(p + f"self_attn.{proj}.weight", rows, cols),
                   b, mod)
        for proj, mod, shape in (("gate_proj", "mlp_gate", (FF, D)), ("up_proj", "mlp_up", (FF, D)),
                                 ("down_proj", "mlp_down", (D, FF))):
            m.want(p + f"mlp.{proj}.weight", m.w(p + f"mlp.{proj}.weight", *shape), b, mod)
        m.norm(p + "input_layernorm.weight")
        m.norm(p + "post_attention_layernorm.weight")
    m.norm("model.norm.weight")
    m.want("lm_head.weight", m.w("lm_head.weight", V, D), -1, "lm_head")
    cfg = {"model_type": "llama", "architectures": ["LlamaForCausalLM"],
           "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV,
           "hidden_size": D, "intermediate_size": FF, "tie_word_embeddings": False,
           "torch_dtype": "float32"}
    os.makedirs(d, exist_ok=True)
    write_config(d, cfg)
    if not sharded:
        write_safetensors(os.path.join(d, "model.safetensors"), m.t)
        return m
    names = list(m.t)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half],
              "model-00002-of-00002.safetensors": names[half:]}
    wm = {}
    for fn, ns in shards.items():
        write_safetensors(os.path.join(d, fn), {n: m.t[n] for n in ns})
        wm.update({n: fn for n in ns})
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, f)
    # a consolidated copy beside the shards (as some repositories ship both)
    write_safetensors(os.path.join(d, "model.safetensors"), m.t)
    return m


def mixtral(d):
    """Mixtral: block_sparse_moe.experts.E.w1/w2/w3 (gate, down, up) and the router gate."""
    m = Model(2)
    m.want("model.embed_tokens.weight", m.w("model.embed_tokens.weight", V, D), -1, "embed")
    for b in range(LAYERS):
        p = f"model.layers.{b}."
        for proj, mod, rows in (("q_proj", "attn_q", HEADS * HD), ("k_proj", "attn_k", KV * HD),
                                ("v_proj", "attn_v", KV * HD), ("o_proj", "attn_o", D)):
            cols = D if proj != "o_proj" else HEADS * HD
            m.want(p + f"self_attn.{proj}.weight", m.w(p + f"self_attn.{proj}.weight", rows, cols),
                   b, mod)
        m.want(p + "block_sparse_moe.gate.weight", m.w(p + "block_sparse_moe.gate.weight", E * 4, D),
               b, "router")
        for e in range(E):
            q = p + f"block_sparse_moe.experts.{e}."
            m.want(q + "w1.weight", m.w(q + "w1.weight", FF, D), b, "mlp_gate", e)
            m.want(q + "w2.weight", m.w(q + "w2.weight", D, FF), b, "mlp_down", e)
            m.want(q + "w3.weight", m.w(q + "w3.weight", FF, D), b, "mlp_up", e)
        m.norm(p + "input_layernorm.weight")
    m.norm("model.norm.weight")
    m.want("lm_head.weight", m.w("lm_head.weight", V, D), -1, "lm_head")
    return m.save(d, {"model_type": "mixtral", "num_hidden_layers": LAYERS,
                      "num_attention_heads": HEADS, "num_key_value_heads": KV, "hidden_size": D,
                      "intermediate_size": FF, "num_local_experts": E * 4,
                      "tie_word_embeddings": False})


def gpt2(d):
    """GPT-2: Conv1D weights stored [in, out] (c_attn [d, 3d] = [q|k|v] on the output side),
    lm_head stored as a byte-identical copy of wte (tied)."""
    m = Model(3)
    wte = m.w("transformer.wte.weight", V, D)
    m.want("transformer.wte.weight", wte, -1, "embed")
    m.want("transformer.wpe.weight", m.w("transformer.wpe.weight", 32, D), -1, "embed_pos")
    for b in range(LAYERS):
        p = f"transformer.h.{b}."
        w = m.w(p + "attn.c_attn.weight", D, 3 * D)
        m.skipped[p + "attn.c_attn.weight"] = "fused"
        for k, (sfx, mod) in enumerate((("[q]", "attn_q"), ("[k]", "attn_k"), ("[v]", "attn_v"))):
            m.want(p + "attn.c_attn.weight" + sfx, w[:, k * D:(k + 1) * D].T, b, mod)
        m.want(p + "attn.c_proj.weight", m.w(p + "attn.c_proj.weight", D, D).T, b, "attn_o")
        m.want(p + "mlp.c_fc.weight", m.w(p + "mlp.c_fc.weight", D, 4 * D).T, b, "mlp_up")
        m.want(p + "mlp.c_proj.weight", m.w(p + "mlp.c_proj.weight", 4 * D, D).T, b, "mlp_down")
        for n in ("ln_1.weight", "ln_1.bias", "ln_2.weight", "attn.c_attn.bias"):
            m.norm(p + n, 3 * D if "c_attn" in n else D)
    m.norm("transformer.ln_f.weight")
    m.t["lm_head.weight"] = m.t["transformer.wte.weight"].copy()
    m.skipped["lm_head.weight"] = "tied"
    return m.save(d, {"model_type": "gpt2", "n_layer": LAYERS, "n_head": HEADS, "n_embd": D,
                      "n_positions": 32, "vocab_size": V, "tie_word_embeddings": True})


def falcon(d):
    """Falcon with new_decoder_architecture and grouped-query attention: query_key_value rows
    grouped per kv head as [q x (heads/kv), k, v] (HF view(kv, heads/kv + 2, head_dim))."""
    m = Model(4)
    H, K = 8, 2
    g = H // K
    m.want("transformer.word_embeddings.weight", m.w("transformer.word_embeddings.weight", V, D),
           -1, "embed")
    for b in range(LAYERS):
        p = f"transformer.h.{b}."
        w = m.w(p + "self_attention.query_key_value.weight", (H + 2 * K) * 8, D)
        m.skipped[p + "self_attention.query_key_value.weight"] = "fused"
        w4 = w.reshape(K, g + 2, 8, D)
        m.want(p + "self_attention.query_key_value.weight[q]", w4[:, :g].reshape(-1, D), b, "attn_q")
        m.want(p + "self_attention.query_key_value.weight[k]", w4[:, g].reshape(-1, D), b, "attn_k")
        m.want(p + "self_attention.query_key_value.weight[v]", w4[:, g + 1].reshape(-1, D), b,
               "attn_v")
        m.want(p + "self_attention.dense.weight", m.w(p + "self_attention.dense.weight", D, H * 8), b,
               "attn_o")
        m.want(p + "mlp.dense_h_to_4h.weight", m.w(p + "mlp.dense_h_to_4h.weight", 4 * D, D), b,
               "mlp_up")
        m.want(p + "mlp.dense_4h_to_h.weight", m.w(p + "mlp.dense_4h_to_h.weight", D, 4 * D), b,
               "mlp_down")
        m.norm(p + "ln_attn.weight")
        m.norm(p + "ln_mlp.weight")
    m.want("lm_head.weight", m.w("lm_head.weight", V, D), -1, "lm_head")
    return m.save(d, {"model_type": "falcon", "new_decoder_architecture": True,
                      "multi_query": True, "num_attention_heads": H, "num_kv_heads": K,
                      "hidden_size": D, "num_hidden_layers": LAYERS,
                      "tie_word_embeddings": False})


def gpt_neox(d):
    """GPT-NeoX: query_key_value per head [q k v] (HF view(heads, 3 * head_dim))."""
    m = Model(5)
    m.want("gpt_neox.embed_in.weight", m.w("gpt_neox.embed_in.weight", V, D), -1, "embed")
    for b in range(LAYERS):
        p = f"gpt_neox.layers.{b}."
        w = m.w(p + "attention.query_key_value.weight", 3 * HEADS * HD, D)
        m.skipped[p + "attention.query_key_value.weight"] = "fused"
        w4 = w.reshape(HEADS, 3, HD, D)
        for k, (sfx, mod) in enumerate((("[q]", "attn_q"), ("[k]", "attn_k"), ("[v]", "attn_v"))):
            m.want(p + "attention.query_key_value.weight" + sfx, w4[:, k].reshape(-1, D), b, mod)
        m.want(p + "attention.dense.weight", m.w(p + "attention.dense.weight", D, D), b, "attn_o")
        m.want(p + "mlp.dense_h_to_4h.weight", m.w(p + "mlp.dense_h_to_4h.weight", 4 * D, D), b,
               "mlp_up")
        m.want(p + "mlp.dense_4h_to_h.weight", m.w(p + "mlp.dense_4h_to_h.weight", D, 4 * D), b,
               "mlp_down")
        m.norm(p + "input_layernorm.weight")
    m.want("embed_out.weight", m.w("embed_out.weight", V, D), -1, "lm_head")
    return m.save(d, {"model_type": "gpt_neox", "num_attention_heads": HEADS, "hidden_size": D,
                      "num_hidden_layers": LAYERS, "intermediate_size": 4 * D,
                      "tie_word_embeddings": False})


def phi3(d):
    """Phi-3: qkv_proj [q; k; v] with kv heads, gate_up_proj [gate; up]."""
    m = Model(6)
    m.want("model.embed_tokens.weight", m.w("model.embed_tokens.weight", V, D), -1, "embed")
    for b in range(LAYERS):
        p = f"model.layers.{b}."
        w = m.w(p + "self_attn.qkv_proj.weight", (HEADS + 2 * KV) * HD, D)
        m.skipped[p + "self_attn.qkv_proj.weight"] = "fused"
        q, k = HEADS * HD, KV * HD
        m.want(p + "self_attn.qkv_proj.weight[q]", w[:q], b, "attn_q")
        m.want(p + "self_attn.qkv_proj.weight[k]", w[q:q + k], b, "attn_k")
        m.want(p + "self_attn.qkv_proj.weight[v]", w[q + k:], b, "attn_v")
        m.want(p + "self_attn.o_proj.weight", m.w(p + "self_attn.o_proj.weight", D, q), b, "attn_o")
        w = m.w(p + "mlp.gate_up_proj.weight", 2 * FF, D)
        m.skipped[p + "mlp.gate_up_proj.weight"] = "fused"
        m.want(p + "mlp.gate_up_proj.weight[gate]", w[:FF], b, "mlp_gate")
        m.want(p + "mlp.gate_up_proj.weight[up]", w[FF:], b, "mlp_up")
        m.want(p + "mlp.down_proj.weight", m.w(p + "mlp.down_proj.weight", D, FF), b, "mlp_down")
        m.norm(p + "input_layernorm.weight")
    m.want("lm_head.weight", m.w("lm_head.weight", V, D), -1, "lm_head")
    return m.save(d, {"model_type": "phi3", "num_attention_heads": HEADS,
                      "num_key_value_heads": KV, "hidden_size": D, "intermediate_size": FF,
                      "num_hidden_layers": LAYERS, "tie_word_embeddings": False})


def qwen_moe(d, ff=48):
    """Qwen3-MoE with transformers' fused expert tensors: mlp.experts.gate_up_proj [E, 2ff, d]
    (gate, up = F.linear(x, W[e]).chunk(2)), mlp.experts.down_proj [E, d, ff], router mlp.gate."""
    m = Model(7)
    m.want("model.embed_tokens.weight", m.w("model.embed_tokens.weight", V, D), -1, "embed")
    for b in range(LAYERS):
        p = f"model.layers.{b}."
        for proj, mod, rows in (("q_proj", "attn_q", HEADS * HD), ("k_proj", "attn_k", KV * HD),
                                ("v_proj", "attn_v", KV * HD), ("o_proj", "attn_o", D)):
            cols = D if proj != "o_proj" else HEADS * HD
            m.want(p + f"self_attn.{proj}.weight", m.w(p + f"self_attn.{proj}.weight", rows, cols),
                   b, mod)
        m.want(p + "mlp.gate.weight", m.w(p + "mlp.gate.weight", 16, D), b, "router")
        gu = m.w(p + "mlp.experts.gate_up_proj", E, 2 * ff, D)
        dn = m.w(p + "mlp.experts.down_proj", E, D, ff)
        for e in range(E):
            m.skipped[p + f"mlp.experts.gate_up_proj[{e}]"] = "fused"
            m.want(p + f"mlp.experts.gate_up_proj[{e}][gate]", gu[e, :ff], b, "mlp_gate", e)
            m.want(p + f"mlp.experts.gate_up_proj[{e}][up]", gu[e, ff:], b, "mlp_up", e)
            m.want(p + f"mlp.experts.down_proj[{e}]", dn[e], b, "mlp_down", e)
        m.norm(p + "input_layernorm.weight")
    m.want("lm_head.weight", m.w("lm_head.weight", V, D), -1, "lm_head")
    return m.save(d, {"model_type": "qwen3_moe", "num_attention_heads": HEADS,
                      "num_key_value_heads": KV, "hidden_size": D, "head_dim": HD,
                      "intermediate_size": 3 * D, "moe_intermediate_size": ff,
                      "num_experts": E, "num_hidden_layers": LAYERS,
                      "tie_word_embeddings": False})


def gpt_oss(d, ff=48):
    """GPT-OSS experts: gate_up_proj [E, d, 2ff] used as x @ W with gate = [..., ::2] and
    up = [..., 1::2]; down_proj [E, ff, d]; router mlp.router.weight."""
    m = Model(8)
    for b in range(1):
        p = f"model.layers.{b}."
        m.want(p + "mlp.router.weight", m.w(p + "mlp.router.weight", 16, D), b, "router")
        gu = m.w(p + "mlp.experts.gate_up_proj", E, D, 2 * ff)
        dn = m.w(p + "mlp.experts.down_proj", E, ff, D)
        for e in range(E):
            m.skipped[p + f"mlp.experts.gate_up_proj[{e}]"] = "fused"
            m.want(p + f"mlp.experts.gate_up_proj[{e}][gate]", gu[e][:, ::2].T, b, "mlp_gate", e)
            m.want(p + f"mlp.experts.gate_up_proj[{e}][up]", gu[e][:, 1::2].T, b, "mlp_up", e)
            m.want(p + f"mlp.experts.down_proj[{e}]", dn[e].T, b, "mlp_down", e)
    return m.save(d, {"model_type": "gpt_oss", "num_attention_heads": HEADS,
                      "num_key_value_heads": KV, "hidden_size": D, "head_dim": HD,
                      "intermediate_size": ff, "num_local_experts": E,
                      "num_hidden_layers": 1})


def bert(d):
    """BERT: encoder.layer.N.attention.self.query/key/value, output/intermediate dense, the
    token-type table (2 rows: skipped as small), pooler."""
    m = Model(9)
    m.want("bert.embeddings.word_embeddings.weight",
           m.w("bert.embeddings.word_embeddings.weight", V, D), -1, "embed")
    m.want("bert.embeddings.position_embeddings.weight",
           m.w("bert.embeddings.position_embeddings.weight", 40, D), -1, "embed_pos")
    m.w("bert.embeddings.token_type_embeddings.weight", 2, D)
    m.skipped["bert.embeddings.token_type_embeddings.weight"] = "small"
    for b in range(LAYERS):
        p = f"bert.encoder.layer.{b}."
        for n, mod in (("attention.self.query", "attn_q"), ("attention.self.key", "attn_k"),
                       ("attention.self.value", "attn_v"), ("attention.output.dense", "attn_o")):
            m.want(p + n + ".weight", m.w(p + n + ".weight", D, D), b, mod)
        m.want(p + "intermediate.dense.weight", m.w(p + "intermediate.dense.weight", 4 * D, D), b,
               "mlp_up")
        m.want(p + "output.dense.weight", m.w(p + "output.dense.weight", D, 4 * D), b, "mlp_down")
        m.norm(p + "attention.output.LayerNorm.weight")
        m.norm(p + "output.LayerNorm.weight")
    m.want("bert.pooler.dense.weight", m.w("bert.pooler.dense.weight", D, D), -1, "")
    return m.save(d, {"model_type": "bert", "num_attention_heads": HEADS, "hidden_size": D,
                      "num_hidden_layers": LAYERS, "intermediate_size": 4 * D})


def whisper_conv(d):
    """A Conv1d audio front end (Whisper-style): model.encoder.conv1/conv2 [out, in, k=3],
    flattened to (out, in*k), then one attention block."""
    m = Model(10)
    c1 = m.w("model.encoder.conv1.weight", D, 20, 3)
    c2 = m.w("model.encoder.conv2.weight", D, D, 3)
    m.want("model.encoder.conv1.weight", c1.reshape(D, -1), -1, "conv")
    m.want("model.encoder.conv2.weight", c2.reshape(D, -1), -1, "conv")
    m.norm("model.encoder.conv1.bias")
    p = "model.encoder.layers.0."
    for n, mod in (("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"),
                   ("self_attn.v_proj", "attn_v"), ("self_attn.out_proj", "attn_o")):
        m.want(p + n + ".weight", m.w(p + n + ".weight", D, D), 0, mod)
    return m.save(d, {"model_type": "whisper", "d_model": D, "encoder_attention_heads": HEADS,
                      "encoder_layers": 1, "num_mel_bins": 20})


def rnn_torch(d):
    """PyTorch nn.LSTM (2 layers) and nn.GRU state_dicts in one torch.save file, plus an
    embedding and a tied output layer sharing its storage."""
    import torch

    torch.manual_seed(11)
    H, IN = 16, 24
    lstm = torch.nn.LSTM(IN, H, num_layers=2)
    gru = torch.nn.GRU(IN, H)
    emb = torch.nn.Embedding(V, IN)
    head = torch.nn.Linear(IN, V, bias=False)
    head.weight = emb.weight
    sd = {}
    for pre, mod in (("lstm.", lstm), ("gru.", gru)):
        for k, v in mod.state_dict().items():
            sd[pre + k] = v
    sd["embed.weight"] = emb.weight.data
    sd["lm_head.weight"] = head.weight.data
    os.makedirs(d, exist_ok=True)
    torch.save(sd, os.path.join(d, "model.pt"))
    m = Model(0)
    m.t = None
    for name, v in sd.items():
        a = v.detach().double().numpy()
        if a.ndim == 1:
            m.skipped[name] = "ndim"
            continue
        if name == "lm_head.weight":
            m.skipped[name] = "tied"
            continue
        if name == "embed.weight":
            m.want(name, a, -1, "embed")
            continue
        hh = "weight_hh" in name
        gates = "ifgo" if name.startswith("lstm") else "rzn"
        m.skipped[name] = "fused"
        for k, g in enumerate(gates):
            m.want(f"{name}[{g}]", a[k * H:(k + 1) * H], int(name.rsplit("_l", 1)[1]),
                   f"rnn_{'hh' if hh else 'ih'}_{g}")
    return m


FAMILIES = {"llama": llama, "mixtral": mixtral, "gpt2": gpt2, "falcon": falcon,
            "gpt_neox": gpt_neox, "phi3": phi3, "qwen_moe": qwen_moe, "gpt_oss": gpt_oss,
            "bert": bert, "whisper_conv": whisper_conv, "rnn_torch": rnn_torch}

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "arch-models"
    for fam, fn in FAMILIES.items():
        fn(os.path.join(out, fam))
        print(os.path.join(out, fam))
