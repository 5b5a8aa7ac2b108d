/*
 * peft.c: PEFT LoRA adapters (adapter_model.safetensors with adapter_config.json beside it).
 * A LoRA adapter stores, per adapted module, two factors: lora_A [r, in] and lora_B [out, r]
 * (nn.Linear weights; Conv layers [r, in, k...] and [out, r, 1...]; embeddings the parameters
 * lora_embedding_A [r, num_embeddings] and lora_embedding_B [dim, r]), and the update the adapter
 * makes to the base weight is
 *     Delta W = s B A,   s = lora_alpha / r   (s = lora_alpha / sqrt(r) with use_rslora),
 * (Delta W = s (B A)^T for embeddings, so that it has the embedding table's shape), where r and
 * lora_alpha come from adapter_config.json, per module from rank_pattern / alpha_pattern when a
 * key matches (PEFT's rule: the first key k with re.match("(.*\.)?(k)$", module)).
 * REF: Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022, eq. (3);
 * Kalajdzievski, "A Rank Stabilization Scaling Factor for Fine-Tuning with LoRA", 2023 (rsLoRA);
 * huggingface/peft src/peft/tuners/lora/layer.py (update_layer, get_delta_weight).
 *
 * Each module's pair becomes one product entry of the layer list, "<module>.lora_delta", which
 * the analysis computes from the factors (src/linalg/lowrank.c) without forming the product; the
 * factor tensors' entries are listed as skipped ("factor") with the product's name, an unpaired
 * factor with the name of its missing partner. Tensor names: "<module>.lora_A.weight" as PEFT
 * saves them, or "<module>.lora_A.<adapter>.weight" as a live state_dict holds them (the adapter
 * name is kept: "<module>.lora_delta.<adapter>"). Without adapter_config.json the scale is
 * unknown: the product is B A and is named "<module>.lora_BA".
 */
#include "model-internal.h"

#include <cJSON.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEFT_PREFIX "base_model.model."
#define CONFIG_CAP (16u << 20) /* bytes of adapter_config.json accepted */

enum { LORA_A = 0, LORA_B = 1, EMB_A = 2, EMB_B = 3 };

typedef struct {
    size_t tensor;
    int kind;
    const char *name;
    size_t mod_len;      /* the module: name[0..mod_len) */
    const char *adapter; /* name[adapter .. adapter + ad_len): "" when saved by PEFT */
    size_t ad_len;
} lora_t;

/* Whether name is a LoRA factor; fills module and adapter. */
static int parse_name(const char *name, lora_t *t)
{
    static const struct {
        const char *tok;
        int kind;
    } toks[] = {{".lora_embedding_A", EMB_A},
                {".lora_embedding_B", EMB_B},
                {".lora_A", LORA_A},
                {".lora_B", LORA_B}};
    for (size_t k = 0; k < sizeof toks / sizeof toks[0]; k++) {
        size_t tl = strlen(toks[k].tok);
        const char *at = NULL;
        for (const char *q = strstr(name, toks[k].tok); q; q = strstr(q + 1, toks[k].tok))
            at = q;
        if (!at || (at[tl] != '\0' && at[tl] != '.'))
            continue;
        const char *rest = at + tl; /* "", ".weight", ".ADAPTER", ".ADAPTER.weight" */
        size_t rl = strlen(rest);
        if (rl >= 7 && strcmp(rest + rl - 7, ".weight") == 0)
            rl -= 7;
        if (rl > 0 && (rest[0] != '.' || rl == 1 || memchr(rest + 1, '.', rl - 1)))
            continue; /* more than one component after the token: not a factor */
        t->kind = toks[k].kind;
        t->name = name;
        t->mod_len = (size_t)(at - name);
        t->adapter = rl ? rest + 1 : rest;
        t->ad_len = rl ? rl - 1 : 0;
        return t->mod_len > 0;
    }
    return 0;
}

static int cmp_lora(const void *a, const void *b)
{
    const lora_t *x = a, *y = b;
    size_t n = RMTK_MIN(x->mod_len, y->mod_len);
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    if (x->mod_len != y->mod_len)
        return x->mod_len < y->mod_len ? -1 : 1;
    n = RMTK_MIN(x->ad_len, y->ad_len);
    c = memcmp(x->adapter, y->adapter, n);
    if (c)
        return c;
    if (x->ad_len != y->ad_len)
        return x->ad_len < y->ad_len ? -1 : 1;
    return x->kind - y->kind;
}

static int same_module(const lora_t *x, const lora_t *y)
{
    return x->mod_len == y->mod_len && x->ad_len == y->ad_len &&
           !memcmp(x->name, y->name, x->mod_len) && !memcmp(x->adapter, y->adapter, x->ad_len);
}

/* What adapter_config.json says. */
typedef struct {
    int have;          /* 1 when the file was found */
    int lora;          /* peft_type is LORA (or absent) */
    char type[64];
    double r, alpha;
    int rslora, fan_in_fan_out;
    cJSON *json;       /* for rank_pattern / alpha_pattern */
    char path[4096];
} peft_config;

static int read_config(rmtk_model *m, const char *file, peft_config *c)
{
    memset(c, 0, sizeof *c);
    c->lora = 1;
    c->r = 8; /* PEFT's LoraConfig defaults */
    c->alpha = 8;
    const char *slash = strrchr(file, '/');
    int dl = slash ? (int)(slash - file) : 1;
    snprintf(c->path, sizeof c->path, "%.*s/adapter_config.json", dl, slash ? file : ".");
    FILE *f = fopen(c->path, "rb");
    if (!f)
        return RMTK_OK;
    c->have = 1;
    char *buf = NULL;
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        sz = ftell(f);
    if (sz >= 0 && (unsigned long)sz <= CONFIG_CAP && fseek(f, 0, SEEK_SET) == 0)
        buf = rmtk__malloc((size_t)sz + 1);
    size_t got = buf ? fread(buf, 1, (size_t)sz, f) : 0;
    fclose(f);
    if (!buf) {
        if (sz >= 0 && (unsigned long)sz <= CONFIG_CAP)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory reading %s", c->path);
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: cannot read it (size %ld, at most %u "
                          "bytes accepted)", c->path, sz, CONFIG_CAP);
    }
    if (got != (size_t)sz) {
        rmtk__free(buf);
        return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: short read (%zu of %ld bytes)", c->path,
                          got, sz);
    }
    buf[sz] = '\0';
    const char *end = NULL;
    c->json = cJSON_ParseWithOpts(buf, &end, 1);
    if (!c->json) {
        long at = end ? (long)(end - buf) : -1;
        rmtk__free(buf);
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: not valid JSON (near byte %ld)",
                          c->path, at);
    }
    rmtk__free(buf);
    if (!cJSON_IsObject(c->json))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: not a JSON object", c->path);
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(c->json, "peft_type");
    if (cJSON_IsString(j)) {
        snprintf(c->type, sizeof c->type, "%s", j->valuestring);
        c->lora = strcmp(j->valuestring, "LORA") == 0;
    }
    static const char *const nums[] = {"r", "lora_alpha"};
    double *dst[] = {&c->r, &c->alpha};
    for (int k = 0; k < 2; k++) {
        j = cJSON_GetObjectItemCaseSensitive(c->json, nums[k]);
        if (!j || cJSON_IsNull(j))
            continue;
        if (!cJSON_IsNumber(j) || !(j->valuedouble > 0) || !isfinite(j->valuedouble))
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: \"%s\" must be a positive number",
                              c->path, nums[k]);
        *dst[k] = j->valuedouble;
    }
    c->rslora = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->json, "use_rslora"));
    c->fan_in_fan_out = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->json,
                                                                      "fan_in_fan_out"));
    return RMTK_OK;
}

/* The value of the first key of pattern object `which` matching module (PEFT's rule), or def. */
static double pattern_value(const peft_config *c, const char *which, const char *module,
                            double def)
{
    const cJSON *obj = c->json ? cJSON_GetObjectItemCaseSensitive(c->json, which) : NULL;
    if (!cJSON_IsObject(obj))
        return def;
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        if (!cJSON_IsNumber(it) || !(it->valuedouble > 0) || !it->string)
            continue;
        char pat[1200];
        snprintf(pat, sizeof pat, "^(.*\\.)?(%s)$", it->string);
        regex_t re;
        int match;
        if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0) {
            match = regexec(&re, module, 0, NULL, 0) == 0;
            regfree(&re);
        } else { /* not a POSIX regex: the plain suffix rule */
            size_t ml = strlen(module), kl = strlen(it->string);
            match = ml >= kl && !strcmp(module + ml - kl, it->string) &&
                    (ml == kl || module[ml - kl - 1] == '.');
        }
        if (match)
            return it->valuedouble;
    }
    return def;
}

static int set_strings(rmtk_matrix_entry *e, const char *name, const char *reason)
{
    char *nn = name ? rmtk__strdup(name) : NULL, *rs = rmtk__strdup(reason);
    if ((name && !nn) || !rs) {
        rmtk__free(nn);
        rmtk__free(rs);
        return RMTK_ERR_NOMEM;
    }
    if (nn) {
        rmtk__free((void *)e->name);
        e->name = nn;
    }
    rmtk__free((void *)e->reason);
    e->reason = rs;
    return RMTK_OK;
}

/* Every entry of tensor t (first[t] .. first[t] + cnt[t]) skipped as `skip` with reason. */
static int skip_tensor(rmtk_matrix_entry *e, const size_t *first, const size_t *cnt, size_t t,
                       int skip, const char *reason)
{
    for (size_t i = first[t]; i < first[t] + cnt[t]; i++) {
        int st = set_strings(&e[i], NULL, reason);
        if (st)
            return st;
        e[i].skip = skip;
        e[i].inner = 0;
    }
    return RMTK_OK;
}

static const char *kind_name(int kind)
{
    return kind == LORA_A ? "lora_A" : kind == LORA_B ? "lora_B"
                                     : kind == EMB_A  ? "lora_embedding_A"
                                                      : "lora_embedding_B";
}

/* One module's factors (a: the A factor or NULL, b: the B factor or NULL). */
static int pair_one(rmtk_model *m, const rmtk_extract_params *p, rmtk_matrix_entry *e,
                    const size_t *first, const size_t *cnt, const peft_config *cfg,
                    const lora_t *a, const lora_t *b)
{
    char why[8192], prod[1200];
    const lora_t *one = a ? a : b;
    int emb = one->kind >= EMB_A;
    snprintf(prod, sizeof prod, "%.*s.%s%s%.*s", (int)one->mod_len, one->name,
             cfg->have ? "lora_delta" : "lora_BA", one->ad_len ? "." : "", (int)one->ad_len,
             one->adapter);
    if (!a || !b) {
        const lora_t *have = a ? a : b;
        snprintf(why, sizeof why, "LoRA factor %s without its %s (no '%.*s.%s%s%.*s%s' in the "
                 "adapter): the product cannot be formed", kind_name(have->kind),
                 kind_name(have->kind ^ 1), (int)have->mod_len, have->name,
                 kind_name(have->kind ^ 1), have->ad_len ? "." : "", (int)have->ad_len,
                 have->adapter, emb ? "" : ".weight");
        return skip_tensor(e, first, cnt, have->tensor, RMTK_SKIP_FACTOR, why);
    }
    if (cnt[a->tensor] == 0 || cnt[b->tensor] == 0)
        return RMTK_OK;
    /* A filtered factor filters its partner. */
    const rmtk_matrix_entry *ea = &e[first[a->tensor]], *eb = &e[first[b->tensor]];
    if (ea->skip == RMTK_SKIP_FILTER || eb->skip == RMTK_SKIP_FILTER) {
        const lora_t *other = ea->skip == RMTK_SKIP_FILTER ? b : a;
        const lora_t *gone = other == a ? b : a;
        snprintf(why, sizeof why, "its LoRA partner '%s' is filtered out", gone->name);
        return e[first[other->tensor]].skip == RMTK_SKIP_FILTER
                   ? RMTK_OK
                   : skip_tensor(e, first, cnt, other->tensor, RMTK_SKIP_FILTER, why);
    }
    rmtk_tensor_info ta, tb;
    int st = rmtk_model_tensor_info(m, a->tensor, &ta);
    if (!st)
        st = rmtk_model_tensor_info(m, b->tensor, &tb);
    if (st)
        return st;
    const rmtk_tensor_info *bad = NULL;
    if (ta.ndim < 2 || ta.numel == 0 || !rmtk_dtype_is_numeric(ta.dtype) ||
        (ta.fortran_order && ta.ndim > 2))
        bad = &ta;
    else if (tb.ndim < 2 || tb.numel == 0 || !rmtk_dtype_is_numeric(tb.dtype) ||
             (tb.fortran_order && tb.ndim > 2))
        bad = &tb;
    /* as (shape[0], rest) matrices */
    int64_t ar = ta.shape[0], ac = ta.ndim >= 2 && ar ? (int64_t)(ta.numel / (uint64_t)ar) : 0;
    int64_t br = tb.shape[0], bc = tb.ndim >= 2 && br ? (int64_t)(tb.numel / (uint64_t)br) : 0;
    if (bad) {
        snprintf(why, sizeof why, "LoRA factor pair of '%s': %s is not a numeric matrix (ndim "
                 "%d, dtype %s%s)", prod, bad->name, (int)bad->ndim, bad->dtype_str,
                 bad->fortran_order ? ", Fortran order" : "");
    } else if ((!emb && bc != ar) || (emb && ar != bc)) {
        snprintf(why, sizeof why, "LoRA factors of '%s' do not multiply: %s is %lld x %lld, %s "
                 "%lld x %lld (inner dimensions %lld and %lld)", prod, b->name, (long long)br,
                 (long long)bc, a->name, (long long)ar, (long long)ac, (long long)bc,
                 (long long)ar);
        bad = &ta;
    }
    if (bad) {
        st = skip_tensor(e, first, cnt, a->tensor, RMTK_SKIP_FACTOR, why);
        return st ? st : skip_tensor(e, first, cnt, b->tensor, RMTK_SKIP_FACTOR, why);
    }
    if (!cfg->lora) {
        snprintf(why, sizeof why, "%s: peft_type %s is not LORA: the update is not "
                 "(alpha/r) lora_B lora_A, not analysed", cfg->path, cfg->type);
        st = skip_tensor(e, first, cnt, a->tensor, RMTK_SKIP_FACTOR, why);
        return st ? st : skip_tensor(e, first, cnt, b->tensor, RMTK_SKIP_FACTOR, why);
    }
    int64_t r = ar;
    /* Linear/conv: X = s B A, L = B (out x r), R = A (r x in...). Embedding: X = s (B A)^T =
     * s A^T B^T, L = A^T (num x r), R = B^T (r x dim). */
    size_t lt = emb ? a->tensor : b->tensor, rt = emb ? b->tensor : a->tensor;
    int64_t rows = emb ? ac : br, cols = emb ? br : ac;
    double scale = 1;
    if (cfg->have) {
        char module[1200];
        size_t pl = strlen(PEFT_PREFIX);
        const char *mod = one->name;
        size_t ml = one->mod_len;
        if (ml > pl && !strncmp(mod, PEFT_PREFIX, pl)) {
            mod += pl;
            ml -= pl;
        }
        snprintf(module, sizeof module, "%.*s", (int)ml, mod);
        double rc = pattern_value(cfg, "rank_pattern", module, cfg->r);
        double alpha = pattern_value(cfg, "alpha_pattern", module, cfg->alpha);
        if (rc != (double)r) {
            snprintf(why, sizeof why, "%s says r = %g for '%s', its factors have r = %lld: not "
                     "the adapter of these factors", cfg->path, rc, module, (long long)r);
            st = skip_tensor(e, first, cnt, a->tensor, RMTK_SKIP_FACTOR, why);
            return st ? st : skip_tensor(e, first, cnt, b->tensor, RMTK_SKIP_FACTOR, why);
        }
        scale = cfg->rslora ? alpha / sqrt(rc) : alpha / rc;
    }
    snprintf(why, sizeof why, "LoRA factor: analysed in the product '%s' = %.6g %s", prod,
             scale, emb ? "(lora_embedding_B lora_embedding_A)^T" : "lora_B lora_A");
    st = skip_tensor(e, first, cnt, lt, RMTK_SKIP_FACTOR, why);
    if (!st)
        st = skip_tensor(e, first, cnt, rt, RMTK_SKIP_FACTOR, why);
    if (st)
        return st;
    rmtk_matrix_entry *pe = &e[first[lt]];
    int64_t side = RMTK_MIN(rows, cols);
    if (side < p->min_side)
        snprintf(why, sizeof why, "min side %lld < min_side %lld (product %lld x %lld of "
                 "inner dimension %lld)", (long long)side, (long long)p->min_side,
                 (long long)rows, (long long)cols, (long long)r);
    if ((st = set_strings(pe, prod, side < p->min_side ? why : "")))
        return st;
    pe->skip = side < p->min_side ? RMTK_SKIP_SMALL : RMTK_SKIP_NONE;
    pe->tensor = lt;
    pe->slice = -1;
    pe->rows = rows;
    pe->cols = cols;
    pe->dtype = emb ? ta.dtype : tb.dtype;
    pe->inner = r;
    pe->tensor2 = rt;
    pe->scale = scale;
    pe->factors_t = emb;
    pe->base_t = cfg->fan_in_fan_out && !emb;
    return RMTK_OK;
}

int rmtk__peft_pair(rmtk_model *m, const rmtk_extract_params *p, rmtk_matrix_entry *e, size_t n)
{
    size_t nt = rmtk_model_tensor_count(m), nl = 0;
    lora_t *f = NULL;
    for (size_t i = 0; i < nt; i++) {
        lora_t t;
        rmtk_tensor_info ti;
        if (rmtk_model_tensor_info(m, i, &ti) || m->t[i].skip_reason || !parse_name(ti.name, &t))
            continue;
        if (!f && !(f = rmtk__malloc_array(nt, sizeof *f)))
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory listing matrices");
        t.tensor = i;
        f[nl++] = t;
    }
    if (nl == 0)
        return RMTK_OK;
    size_t *first = rmtk__calloc(nt, sizeof *first), *cnt = rmtk__calloc(nt, sizeof *cnt);
    peft_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int st = first && cnt ? RMTK_OK : RMTK_ERR_NOMEM;
    for (size_t i = 0; !st && i < n; i++) {
        if (e[i].tensor >= nt)
            continue;
        if (cnt[e[i].tensor]++ == 0)
            first[e[i].tensor] = i;
    }
    if (!st) {
        rmtk_tensor_info ti;
        st = rmtk_model_tensor_info(m, f[0].tensor, &ti);
        if (!st)
            st = read_config(m, ti.file, &cfg);
    }
    if (!st)
        qsort(f, nl, sizeof *f, cmp_lora);
    for (size_t i = 0; !st && i < nl;) {
        const lora_t *a = NULL, *b = NULL;
        size_t j = i;
        for (; !st && j < nl && same_module(&f[i], &f[j]); j++) {
            const lora_t **slot = f[j].kind == LORA_A || f[j].kind == EMB_A ? &a : &b;
            if (!*slot) {
                *slot = &f[j];
                continue;
            }
            /* "X.lora_A.weight" and "X.lora_A" name the same factor: the second is not used */
            char why[4200];
            snprintf(why, sizeof why, "LoRA factor of the same module and adapter as '%s': not "
                     "used", (*slot)->name);
            st = skip_tensor(e, first, cnt, f[j].tensor, RMTK_SKIP_FACTOR, why);
        }
        if (st)
            break;
        if (a && b && (a->kind >= EMB_A) != (b->kind >= EMB_A)) { /* lora_A with embedding_B */
            st = pair_one(m, p, e, first, cnt, &cfg, a, NULL);
            if (!st)
                st = pair_one(m, p, e, first, cnt, &cfg, NULL, b);
        } else {
            st = pair_one(m, p, e, first, cnt, &cfg, a, b);
        }
        i = j;
    }
    if (st == RMTK_ERR_NOMEM)
        rmtk__fail(m->errmsg, st, "out of memory pairing LoRA factors");
    cJSON_Delete(cfg.json);
    rmtk__free(first);
    rmtk__free(cnt);
    rmtk__free(f);
    return st;
}

int rmtk_layers_factor_view(rmtk_model *m, const rmtk_matrix_entry *e, int which,
                            rmtk_matrix_view *v)
{
    if (!m || !e || !v || (which != 0 && which != 1))
        return RMTK_ERR_ARG;
    if (e->inner < 1)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "'%s' is not a product of factors", e->name);
    size_t t = which ? e->tensor2 : e->tensor;
    rmtk_tensor_info ti;
    int st = rmtk_model_tensor_info(m, t, &ti);
    if (st || ti.ndim < 2 || ti.shape[0] < 1)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "entry '%s': factor tensor %zu is not a "
                          "matrix of this model", e->name, t);
    int64_t s0 = ti.shape[0], rest = (int64_t)(ti.numel / (uint64_t)s0);
    /* the stored (s0, rest) matrix: C order, or (2-D only) Fortran order */
    int64_t rs = ti.fortran_order ? 1 : rest, cs = ti.fortran_order ? s0 : 1;
    int64_t rows = s0, cols = rest;
    if (e->factors_t) {
        int64_t x = rs;
        rs = cs;
        cs = x;
        rows = rest;
        cols = s0;
    }
    int64_t want_r = which ? e->inner : e->rows, want_c = which ? e->cols : e->inner;
    if (rows != want_r || cols != want_c || (ti.fortran_order && ti.ndim > 2))
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "entry '%s': factor '%s' is %lld x %lld, the "
                          "entry needs %lld x %lld", e->name, ti.name, (long long)rows,
                          (long long)cols, (long long)want_r, (long long)want_c);
    const void *data;
    if ((st = rmtk_model_map(m, t, &data)))
        return st;
    v->data = data;
    v->rows = rows;
    v->cols = cols;
    v->row_stride = rs;
    v->col_stride = cs;
    v->dtype = ti.dtype;
    v->big_endian = ti.big_endian;
    v->row_group = 0;
    v->group_stride = 0;
    return RMTK_OK;
}
