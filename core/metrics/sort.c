/*
 * sort.c -- the sorting the metric kernels need: a stable LSD radix sort of 64-bit keys
 * (with an optional 32-bit payload), argsort of doubles and scipy-style average ranks.
 *
 * Theory of operation: a double maps to an unsigned key with the same order (flip every bit
 * of a negative number, set the sign bit of a positive one; -0.0 becomes 0.0 first). Keys
 * (with an optional 32-bit payload, a cell number or a label) are sorted by radix: one MSD
 * scatter pass on the 11 highest bits that differ (a digit shared by every key is skipped,
 * as the sign and exponent bits of real data often are), then each bucket recursively until
 * it is small enough to sit in the caches, where an LSD pass per byte finishes it. Two or
 * three passes over main memory instead of eight: 10M keys sort in a fraction of a second.
 * Every stage is stable, so an argsort keeps ties in index order (numpy's mergesort), and
 * the whole is O(n). Arrays under 64 use insertion sort.
 */
#include <stdlib.h>

#include "metrics_internal.h"

static void insertion_sort(uint64_t *keys, uint32_t *pay, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t k = keys[i];
        uint32_t v = pay ? pay[i] : 0;
        size_t j = i;
        while (j > 0 && keys[j - 1] > k) {
            keys[j] = keys[j - 1];
            if (pay)
                pay[j] = pay[j - 1];
            j--;
        }
        keys[j] = k;
        if (pay)
            pay[j] = v;
    }
}

/* LSD radix sort on bytes of the bits below `bits` (the higher bits are equal): ka/pa to
   be sorted, kb/pb scratch of n; the result ends in ka/pa. */
static void lsd(uint64_t *ka, uint32_t *pa, uint64_t *kb, uint32_t *pb, size_t n, int bits)
{
    size_t cnt[8][256];
    int passes = (bits + 7) / 8;
    memset(cnt, 0, (size_t)passes * sizeof cnt[0]);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = ka[i];
        for (int p = 0; p < passes; p++)
            cnt[p][(k >> (8 * p)) & 255]++;
    }
    uint64_t *src = ka, *dst = kb;
    uint32_t *psrc = pa, *pdst = pb;
    for (int p = 0; p < passes; p++) {
        size_t *c = cnt[p];
        int shift = 8 * p;
        if (c[(src[0] >> shift) & 255] == n)
            continue; /* the same byte everywhere: nothing would move */
        size_t sum = 0;
        for (size_t b = 0; b < 256; b++) {
            size_t t = c[b];
            c[b] = sum;
            sum += t;
        }
        if (pa) {
            for (size_t i = 0; i < n; i++) {
                size_t pos = c[(src[i] >> shift) & 255]++;
                dst[pos] = src[i];
                pdst[pos] = psrc[i];
            }
            uint32_t *t = psrc;
            psrc = pdst;
            pdst = t;
        } else {
            for (size_t i = 0; i < n; i++)
                dst[c[(src[i] >> shift) & 255]++] = src[i];
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != ka) {
        memcpy(ka, src, n * sizeof *ka);
        if (pa)
            memcpy(pa, psrc, n * sizeof *pa);
    }
}

#define MSD_BITS 11
#define MSD_SIZE (1u << MSD_BITS)
#define CACHE_N 65536 /* arrays this small are sorted by LSD within the caches */

/* MSD radix sort: one scatter pass on the 11 highest bits that can differ, then each bucket
   is sorted on its own (recursively while large), in the caches once small. The result
   ends in ka/pa; kb/pb are scratch. */
static int msd(uint64_t *ka, uint32_t *pa, uint64_t *kb, uint32_t *pb, size_t n, int bits)
{
    if (n < 64) {
        insertion_sort(ka, pa, n);
        return 0;
    }
    if (n <= CACHE_N || bits <= 16) {
        lsd(ka, pa, kb, pb, n, bits);
        return 0;
    }
    int shift = bits - MSD_BITS;
    size_t *c = calloc(MSD_SIZE + 1, sizeof *c);
    if (!c)
        return -1;
    for (size_t i = 0; i < n; i++)
        c[((ka[i] >> shift) & (MSD_SIZE - 1)) + 1]++;
    if (c[((ka[0] >> shift) & (MSD_SIZE - 1)) + 1] == n) {
        free(c); /* a common prefix: look at the next bits */
        return msd(ka, pa, kb, pb, n, shift);
    }
    for (size_t b = 1; b <= MSD_SIZE; b++)
        c[b] += c[b - 1]; /* c[b] = start of bucket b */
    size_t *pos = malloc(MSD_SIZE * sizeof *pos);
    if (!pos) {
        free(c);
        return -1;
    }
    memcpy(pos, c, MSD_SIZE * sizeof *pos);
    for (size_t i = 0; i < n; i++) {
        size_t d = pos[(ka[i] >> shift) & (MSD_SIZE - 1)]++;
        kb[d] = ka[i];
        if (pa)
            pb[d] = pa[i];
    }
    free(pos);
    int rc = 0;
    for (size_t b = 0; b < MSD_SIZE && rc == 0; b++) {
        size_t lo = c[b], hi = c[b + 1];
        if (hi - lo > 1)
            rc = msd(kb + lo, pa ? pb + lo : NULL, ka + lo, pa ? pa + lo : NULL, hi - lo, shift);
    }
    free(c);
    memcpy(ka, kb, n * sizeof *ka);
    if (pa)
        memcpy(pa, pb, n * sizeof *pa);
    return rc;
}

int djm_sort_u64(uint64_t *keys, uint32_t *pay, size_t n)
{
    if (n < 64) {
        insertion_sort(keys, pay, n);
        return 0;
    }
    uint64_t *tk = malloc(n * sizeof *tk);
    uint32_t *tp = pay ? malloc(n * sizeof *tp) : NULL;
    int rc = -1;
    if (tk && (!pay || tp))
        rc = msd(keys, pay, tk, tp, n, 64);
    free(tk);
    free(tp);
    return rc;
}

int djm_argsort_keys(const double *x, size_t n, size_t stride, uint64_t **keys,
                     uint32_t **idx)
{
    *keys = malloc((n ? n : 1) * sizeof **keys);
    *idx = malloc((n ? n : 1) * sizeof **idx);
    if (!*keys || !*idx)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        (*keys)[i] = djm_key(x[i * stride]);
        (*idx)[i] = (uint32_t)i;
    }
    if (djm_sort_u64(*keys, *idx, n) < 0)
        goto fail;
    return 0;
fail:
    free(*keys);
    free(*idx);
    *keys = NULL;
    *idx = NULL;
    return -1;
}

int djm_rank_average(const double *x, size_t n, size_t stride, double *rank)
{
    uint64_t *keys;
    uint32_t *idx;
    if (djm_argsort_keys(x, n, stride, &keys, &idx) < 0)
        return -1;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && keys[j] == keys[i])
            j++;
        /* positions i+1 .. j (1-based) share their mean */
        double r = 0.5 * ((double)(i + 1) + (double)j);
        for (size_t t = i; t < j; t++)
            rank[idx[t]] = r;
        i = j;
    }
    free(keys);
    free(idx);
    return 0;
}
