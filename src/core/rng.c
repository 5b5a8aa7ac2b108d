/*
 * rng.c: a counter-based random number generator (Philox4x32-10, Salmon et al., SC'11).
 * Draw number i of stream s under seed k is a pure function of (k, s, i): simulations give the
 * same numbers whatever the number of threads, and any element of a long array can be
 * generated on its own (rmtk_rng_fill_normal).
 * REF: J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011. Constants from the Random123 reference implementation's specification.
 */
#include "internal.h"

#include <math.h>
#include <pthread.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* One Philox4x32-10 block: counter (c0..c3) = (counter lo, counter hi, stream lo, stream hi),
 * key (k0, k1) = (seed lo, seed hi). */
static void philox_block(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32);
    uint32_t c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void rmtk_rng_init(rmtk_rng *r, uint64_t seed, uint64_t stream)
{
    r->seed = seed;
    r->stream = stream;
    r->counter = 0;
    r->used = 4;
    r->pad = 0;
}

void rmtk_rng_seek(rmtk_rng *r, uint64_t counter)
{
    r->counter = counter;
    r->used = 4;
}

uint32_t rmtk_rng_u32(rmtk_rng *r)
{
    if (r->used >= 4) {
        philox_block(r->seed, r->stream, r->counter++, r->buf);
        r->used = 0;
    }
    return r->buf[r->used++];
}

uint64_t rmtk_rng_u64(rmtk_rng *r)
{
    uint64_t hi = rmtk_rng_u32(r);
    return (hi << 32) | rmtk_rng_u32(r);
}

static inline double u64_to_open01(uint64_t u)
{
    return ((double)(u >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double rmtk_rng_uniform(rmtk_rng *r)
{
    return u64_to_open01(rmtk_rng_u64(r));
}

double rmtk_rng_normal(rmtk_rng *r)
{
    double u1 = rmtk_rng_uniform(r), u2 = rmtk_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * RMTK_PI * u2);
}

uint64_t rmtk_rng_below(rmtk_rng *r, uint64_t n)
{
    /* Reject the lowest (2^64 mod n) values so that every residue is equally likely; at most
     * half of the draws are rejected. */
    uint64_t threshold = (0 - n) % n; /* = 2^64 mod n */
    uint64_t x;
    do {
        x = rmtk_rng_u64(r);
    } while (x < threshold);
    return x % n;
}

/* Block b of (seed, stream) yields two uniforms and so two normals (Box-Muller cos and sin). */
void rmtk_rng_fill_normal(uint64_t seed, uint64_t stream, uint64_t start, double *x, size_t n)
{
    size_t j = 0;
    while (j < n) {
        uint64_t g = start + j, block = g / 2;
        uint32_t w[4];
        philox_block(seed, stream, block, w);
        double u1 = u64_to_open01(((uint64_t)w[0] << 32) | w[1]);
        double u2 = u64_to_open01(((uint64_t)w[2] << 32) | w[3]);
        double rad = sqrt(-2.0 * log(u1)), ang = 2.0 * RMTK_PI * u2;
        if (g % 2 == 0) {
            x[j++] = rad * cos(ang);
            if (j < n)
                x[j++] = rad * sin(ang);
        } else {
            x[j++] = rad * sin(ang);
        }
    }
}

/* ---- the same fill on several threads --------------------------------------------------------
 * Element i of a stream is a pure function of (seed, stream, i), so contiguous chunks filled on
 * separate threads give the array bit for bit. */
typedef struct {
    uint64_t seed, stream, start;
    double *x;
    size_t n;
} fill_job;

static void *fill_worker(void *arg)
{
    fill_job *j = arg;
    rmtk_rng_fill_normal(j->seed, j->stream, j->start, j->x, j->n);
    return NULL;
}

void rmtk__fill_normal_mt(uint64_t seed, uint64_t stream, double *x, size_t n, int nthreads)
{
    enum { MAXT = 64, MIN_CHUNK = 1 << 16 };
    int t = nthreads < MAXT ? nthreads : MAXT;
    if ((size_t)t > n / MIN_CHUNK)
        t = (int)(n / MIN_CHUNK);
    if (t < 2) {
        rmtk_rng_fill_normal(seed, stream, 0, x, n);
        return;
    }
    fill_job jobs[MAXT];
    pthread_t th[MAXT];
    int started[MAXT] = {0};
    size_t chunk = n / (size_t)t;
    for (int i = 0; i < t; i++) {
        size_t lo = (size_t)i * chunk, hi = i == t - 1 ? n : lo + chunk;
        jobs[i] = (fill_job){seed, stream, lo, x + lo, hi - lo};
        if (i > 0)
            started[i] = pthread_create(&th[i], NULL, fill_worker, &jobs[i]) == 0;
    }
    fill_worker(&jobs[0]);
    for (int i = 1; i < t; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            fill_worker(&jobs[i]); /* no thread to be had: the same numbers, here */
    }
}
