/*
 * architecture.c: what a checkpoint says of its architecture beyond tensor names. A Hugging Face
 * checkpoint carries a config.json beside its weights (model_type, num_hidden_layers,
 * num_attention_heads, num_key_value_heads, hidden_size, head_dim, intermediate_size,
 * tie_word_embeddings; GPT-2 spells them n_layer, n_head, n_embd, n_inner; Falcon adds
 * multi_query and new_decoder_architecture); a GGUF file carries general.architecture and
 * <arch>.block_count, <arch>.attention.head_count(_kv) in its metadata. The layer extraction
 * (layers.c) needs the head counts to split fused q/k/v projections, the expert size to split
 * stacked gate/up experts, and tie_word_embeddings to find tied heads. An unreadable or invalid
 * config.json is ignored: the names and shapes are the fallback, never an error.
 */
#include "model-internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { CONFIG_MAX_BYTES = 4 << 20 };

/* The first of several keys that holds a positive integer, else 0. */
static int64_t json_int(const cJSON *o, const char *const *keys)
{
    for (; *keys; keys++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, *keys);
        if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e15)
            return (int64_t)v->valuedouble;
    }
    return 0;
}

static int32_t json_bool(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? 1 : 0;
    return -1;
}

static int set_type(rmtk_model *m, const char *s)
{
    rmtk__free(m->arch_type);
    m->arch_type = rmtk__strdup(s);
    return m->arch_type ? RMTK_OK : RMTK_ERR_NOMEM;
}

static void finish(rmtk_architecture *a)
{
    if (a->heads > 0 && a->kv_heads <= 0)
        a->kv_heads = a->multi_query == 1 && a->new_decoder != 1 ? 1 : a->heads;
    if (a->head_dim <= 0 && a->heads > 0 && a->hidden > 0 && a->hidden % a->heads == 0)
        a->head_dim = a->hidden / a->heads;
}

/* config.json: read at most CONFIG_MAX_BYTES; anything unparsable leaves *a unknown. */
static int read_config(rmtk_model *m, const char *cfg)
{
    FILE *f = fopen(cfg, "rb");
    if (!f)
        return RMTK_OK;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
        sb.st_size > CONFIG_MAX_BYTES) {
        fclose(f);
        return RMTK_OK;
    }
    size_t n = (size_t)sb.st_size;
    char *text = rmtk__malloc(n + 1);
    if (!text) {
        fclose(f);
        return RMTK_ERR_NOMEM;
    }
    size_t got = fread(text, 1, n, f);
    fclose(f);
    text[got] = '\0';
    cJSON *root = cJSON_ParseWithLength(text, got);
    rmtk__free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return RMTK_OK;
    }
    /* multimodal and encoder-decoder configs nest the language model's numbers */
    const cJSON *o = root;
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(root, "text_config");
    if (cJSON_IsObject(tc) && !cJSON_GetObjectItemCaseSensitive(root, "num_hidden_layers"))
        o = tc;
    rmtk_architecture *a = &m->arch;
    static const char *const k_layers[] = {"num_hidden_layers", "n_layer", "num_layers",
                                           "n_layers", "num_decoder_layers", NULL};
    static const char *const k_heads[] = {"num_attention_heads", "n_head", "num_heads",
                                          "n_heads", "encoder_attention_heads", NULL};
    static const char *const k_kv[] = {"num_key_value_heads", "num_kv_heads", "n_head_kv",
                                       "multi_query_group_num", NULL};
    static const char *const k_hidden[] = {"hidden_size", "n_embd", "d_model", "dim", NULL};
    static const char *const k_hd[] = {"head_dim", NULL};
    static const char *const k_ff[] = {"moe_intermediate_size", "intermediate_size", "n_inner",
                                       "ffn_dim", "ffn_hidden_size", "encoder_ffn_dim", NULL};
    a->layers = json_int(o, k_layers);
    a->heads = json_int(o, k_heads);
    a->kv_heads = json_int(o, k_kv);
    a->hidden = json_int(o, k_hidden);
    a->head_dim = json_int(o, k_hd);
    a->intermediate = json_int(o, k_ff);
    a->tie_embeddings = json_bool(root, "tie_word_embeddings");
    if (a->tie_embeddings < 0)
        a->tie_embeddings = json_bool(o, "tie_word_embeddings");
    a->new_decoder = json_bool(o, "new_decoder_architecture");
    a->multi_query = json_bool(o, "multi_query");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    const cJSON *ar = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const char *type = cJSON_IsString(mt) ? mt->valuestring : NULL;
    if (!type && cJSON_IsArray(ar) && cJSON_IsString(cJSON_GetArrayItem(ar, 0)))
        type = cJSON_GetArrayItem(ar, 0)->valuestring;
    int st = set_type(m, type ? type : "");
    a->source = "config.json";
    finish(a);
    cJSON_Delete(root);
    return st;
}

static const char *meta_get(const rmtk_model *m, const char *key)
{
    for (size_t i = 0; i + 1 < m->nmeta; i += 2)
        if (strcmp(m->meta[i], key) == 0)
            return m->meta[i + 1];
    return NULL;
}

static int64_t meta_int(const rmtk_model *m, const char *arch, const char *suffix)
{
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    const char *v = meta_get(m, key);
    if (!v)
        return 0;
    char *end;
    long long x = strtoll(v, &end, 10);
    return end != v && *end == '\0' && x > 0 ? (int64_t)x : 0;
}

static int read_gguf_meta(rmtk_model *m)
{
    const char *arch = meta_get(m, "general.architecture");
    if (!arch)
        return RMTK_OK;
    rmtk_architecture *a = &m->arch;
    int st = set_type(m, arch);
    a->source = "gguf";
    a->layers = meta_int(m, arch, "block_count");
    a->heads = meta_int(m, arch, "attention.head_count");
    a->kv_heads = meta_int(m, arch, "attention.head_count_kv");
    a->hidden = meta_int(m, arch, "embedding_length");
    a->head_dim = meta_int(m, arch, "attention.key_length");
    a->intermediate = meta_int(m, arch, "expert_feed_forward_length");
    if (!a->intermediate)
        a->intermediate = meta_int(m, arch, "feed_forward_length");
    finish(a);
    return st;
}

int rmtk__model_load_arch(rmtk_model *m, const char *path, int is_dir)
{
    rmtk_architecture *a = &m->arch;
    memset(a, 0, sizeof *a);
    a->source = "";
    a->tie_embeddings = a->new_decoder = a->multi_query = -1;
    int st = set_type(m, "");
    if (st)
        return st;
    if (m->format && strcmp(m->format, "gguf") == 0)
        return read_gguf_meta(m);
    /* config.json in the directory passed, or beside the file */
    size_t len = strlen(path);
    char *cfg = rmtk__malloc(len + 16);
    if (!cfg)
        return RMTK_ERR_NOMEM;
    if (is_dir) {
        snprintf(cfg, len + 16, "%s/config.json", path);
    } else {
        const char *slash = strrchr(path, '/');
        size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
        memcpy(cfg, path, dl);
        memcpy(cfg + dl, "config.json", 12);
    }
    st = read_config(m, cfg);
    rmtk__free(cfg);
    return st;
}

int rmtk_model_architecture(const rmtk_model *m, rmtk_architecture *a)
{
    if (!m || !a)
        return RMTK_ERR_ARG;
    *a = m->arch;
    a->type = m->arch_type ? m->arch_type : "";
    if (!a->source)
        a->source = "";
    return RMTK_OK;
}
