/*
 * png.c: the thumbnails of the summary page. A thumbnail is a small picture of a matrix's
 * spectrum (the histogram of λ = σ² with its fitted Marchenko–Pastur law and bulk edge), drawn
 * pixel by pixel into an RGB buffer and encoded as a PNG with zlib (8-bit RGB, filter type 0 on
 * every row, one IDAT chunk; PNG spec, ISO/IEC 15948, sections 5 and 11). No PLplot: a thumbnail
 * costs microseconds and a few hundred bytes, so report.html inlines one per matrix as a data:
 * URI and stays self-contained and small for hundreds of layers.
 */
#include "cli.h"

#include <zlib.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* One chunk: length, type, data, CRC-32 of type and data. Returns the new end. */
static unsigned char *chunk(unsigned char *p, const char *type, const unsigned char *data,
                            size_t n)
{
    put32(p, (uint32_t)n);
    memcpy(p + 4, type, 4);
    if (n)
        memcpy(p + 8, data, n);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, p + 4, (uInt)(n + 4));
    put32(p + 8 + n, (uint32_t)crc);
    return p + 12 + n;
}

int cli_png_encode(const unsigned char *rgb, int w, int h, unsigned char **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (w <= 0 || h <= 0)
        return RMTK_ERR_ARG;
    size_t stride = (size_t)w * 3, rawn = (size_t)h * (stride + 1);
    unsigned char *raw = malloc(rawn);
    uLongf zn = compressBound((uLong)rawn);
    unsigned char *z = malloc(zn), *png = malloc(zn + 8 + 25 + 12 + 12);
    if (!raw || !z || !png) {
        free(raw);
        free(z);
        free(png);
        return RMTK_ERR_NOMEM;
    }
    for (int y = 0; y < h; y++) {
        raw[(size_t)y * (stride + 1)] = 0; /* filter: none */
        memcpy(raw + (size_t)y * (stride + 1) + 1, rgb + (size_t)y * stride, stride);
    }
    int zst = compress2(z, &zn, raw, (uLong)rawn, 9);
    free(raw);
    if (zst != Z_OK) {
        free(z);
        free(png);
        return RMTK_ERR_NOMEM;
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering (type 0 used) */
    ihdr[12] = 0; /* no interlace */
    memcpy(png, sig, 8);
    unsigned char *p = chunk(png + 8, "IHDR", ihdr, 13);
    p = chunk(p, "IDAT", z, zn);
    p = chunk(p, "IEND", NULL, 0);
    free(z);
    *out = png;
    *n = (size_t)(p - png);
    return RMTK_OK;
}

/* ---- the ESD thumbnail ---------------------------------------------------------------------- */

static void px(unsigned char *img, int w, int h, int x, int y, const unsigned char c[3])
{
    if (x < 0 || y < 0 || x >= w || y >= h)
        return;
    memcpy(img + ((size_t)y * (size_t)w + (size_t)x) * 3, c, 3);
}

/* The colours of plot.c's palette: histogram fill and edge (blue), law (vermilion), outliers
 * (bluish green), axis (grey). */
static const unsigned char FILL[3] = {198, 219, 239}, EDGE[3] = {0, 114, 178},
                           LAW[3] = {213, 94, 0}, OUT[3] = {0, 158, 115},
                           AXIS[3] = {140, 140, 140};

/* Pixels of the histogram of lam[0..k) on [0, hi] in w columns of bin width 4 px: the bars, the
 * MP density of law (when v > 0) as a curve, the bulk edge lp dashed, values beyond hi as a tick
 * at the right border. */
static void draw_thumb(unsigned char *img, int w, int h, const double *lam, size_t k, double hi,
                       const rmtk_mp_law *law, double lp, size_t beyond)
{
    enum { BW = 4 };
    int nb = w / BW;
    double cnt[64] = {0}, dens[64], ymax = 0, mp[512];
    for (size_t i = 0; i < k; i++) {
        if (!(lam[i] >= 0 && lam[i] <= hi))
            continue;
        int b = (int)(lam[i] / hi * nb);
        cnt[b < nb ? b : nb - 1] += 1;
    }
    for (int b = 0; b < nb; b++) {
        dens[b] = cnt[b] / ((double)k * hi / nb);
        ymax = fmax(ymax, dens[b]);
    }
    for (int x = 0; x < w; x++) {
        mp[x] = law ? rmtk_mp_pdf((x + 0.5) / w * hi, law) : NAN;
        if (isfinite(mp[x]) && mp[x] < 3 * ymax)
            ymax = fmax(ymax, mp[x]);
    }
    if (!(ymax > 0))
        ymax = 1;
    double scale = (h - 3) / ymax; /* the top two rows stay free */
    for (int b = 0; b < nb; b++) {
        int top = h - 1 - (int)lround(dens[b] * scale);
        if (cnt[b] == 0)
            continue;
        for (int x = b * BW; x < (b + 1) * BW; x++)
            for (int y = top; y < h - 1; y++)
                px(img, w, h, x, y, x == b * BW || y == top ? EDGE : FILL);
    }
    for (int x = 0; x < w; x++)
        px(img, w, h, x, h - 1, AXIS);
    if (law) {
        int prev = -1;
        for (int x = 0; x < w; x++) {
            if (!isfinite(mp[x])) {
                prev = -1;
                continue;
            }
            int y = h - 1 - (int)lround(fmin(mp[x], 1.2 * ymax) * scale);
            int a = prev < 0 ? y : prev;
            for (int t = a < y ? a : y; t <= (a < y ? y : a); t++) /* join to the last point */
                px(img, w, h, x, t, LAW);
            prev = y;
        }
        int xe = (int)(lp / hi * w);
        for (int y = 0; y < h; y += 3)
            px(img, w, h, xe, y, LAW);
    }
    if (beyond)
        for (int y = h / 3; y < h; y++) {
            px(img, w, h, w - 1, y, OUT);
            px(img, w, h, w - 2, y, OUT);
        }
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int cli_thumb_esd(const cJSON *m, char **uri)
{
    enum { W = 128, H = 32 };
    *uri = NULL;
    double *sv;
    size_t k = cli_array(m, "singular_values", &sv);
    double n_null = cli_metric(m, "n_null");
    if (n_null > 0 && n_null < (double)k) /* the live values, as the esd figure */
        k -= (size_t)n_null;
    if (k < 2) {
        free(sv);
        return RMTK_ERR_NOTFOUND;
    }
    double v = cli_metric(m, "mp_sigma2"), lp = cli_metric(m, "mp_lambda_plus"), maxl = 0;
    double rows = cli_json_num(m, "rows"), cols = cli_json_num(m, "cols");
    for (size_t i = 0; i < k; i++) {
        sv[i] *= sv[i];
        maxl = fmax(maxl, sv[i]);
    }
    int have_mp = v > 0 && isfinite(lp) && lp > 0;
    rmtk_mp_law law = {v, rows > cols ? rows : cols, (double)k, RMTK_MP_EIGEN, 0};
    /* the bulk fills the picture; outliers beyond 1.5 λ₊ are a tick at the right border */
    double hi = have_mp ? fmin(maxl, 1.5 * lp) : maxl;
    if (have_mp && hi < 1.05 * lp)
        hi = 1.05 * lp;
    if (!(hi > 0) || !isfinite(hi))
        hi = 1;
    size_t beyond = 0;
    for (size_t i = 0; i < k; i++)
        beyond += sv[i] > hi;
    unsigned char *img = malloc((size_t)W * H * 3);
    if (!img) {
        free(sv);
        return RMTK_ERR_NOMEM;
    }
    memset(img, 255, (size_t)W * H * 3);
    draw_thumb(img, W, H, sv, k, hi, have_mp ? &law : NULL, lp, beyond);
    free(sv);
    unsigned char *png;
    size_t n;
    int st = cli_png_encode(img, W, H, &png, &n);
    free(img);
    if (st)
        return st;
    static const char head[] = "data:image/png;base64,";
    char *s = malloc(sizeof head + 4 * ((n + 2) / 3) + 1);
    if (!s) {
        free(png);
        return RMTK_ERR_NOMEM;
    }
    memcpy(s, head, sizeof head - 1);
    char *o = s + sizeof head - 1;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t t = (uint32_t)png[i] << 16 | (i + 1 < n ? (uint32_t)png[i + 1] << 8 : 0) |
                     (i + 2 < n ? png[i + 2] : 0);
        *o++ = b64[t >> 18 & 63];
        *o++ = b64[t >> 12 & 63];
        *o++ = i + 1 < n ? b64[t >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[t & 63] : '=';
    }
    *o = '\0';
    free(png);
    *uri = s;
    return RMTK_OK;
}
