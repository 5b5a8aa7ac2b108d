/*
 * alloc.c: the one allocation funnel of the library. Every allocation goes through here so that
 * tests can make the n-th one fail (rmtk_alloc_fail_after) and check that each error path
 * returns RMTK_ERR_NOMEM cleanly, without leaks (the sanitizer build checks that).
 */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic uint64_t alloc_count;
static _Atomic uint64_t fail_at; /* 0 = never; else fail when alloc_count reaches it */

uint64_t rmtk_alloc_fail_after(uint64_t n)
{
    uint64_t made = atomic_exchange(&alloc_count, 0);
    atomic_store(&fail_at, n);
    return made;
}

static bool should_fail(void)
{
    uint64_t k = atomic_fetch_add(&alloc_count, 1) + 1;
    uint64_t f = atomic_load(&fail_at);
    return f != 0 && k >= f;
}

void *rmtk__malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *rmtk__malloc_array(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    return rmtk__malloc(total);
}

void *rmtk__calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    if (n == 0 || size == 0)
        return calloc(1, 1);
    return calloc(n, size);
}

void *rmtk__realloc(void *p, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(p, size ? size : 1);
}

void *rmtk__malloc_aligned(size_t size)
{
    void *p = NULL;
    if (should_fail())
        return NULL;
    if (posix_memalign(&p, 64, size ? size : 64) != 0)
        return NULL;
    return p;
}

void rmtk__free(void *p)
{
    free(p);
}

char *rmtk__strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = rmtk__malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *rmtk__strdup(const char *s)
{
    return rmtk__strndup(s, SIZE_MAX);
}
