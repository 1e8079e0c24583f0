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
   ends in ka/pa; kb/pb are scratch. par: the top level of a big sort, whose buckets are
   then shared between two threads (dj_run2), cut where half of the keys lie: the buckets
   are disjoint, so the result is the same as on one thread. */
#define PAR_MIN ((size_t)1 << 20)

static int msd(uint64_t *ka, uint32_t *pa, uint64_t *kb, uint32_t *pb, size_t n, int bits,
               int par);

typedef struct msd_part {
    uint64_t *ka, *kb;
    uint32_t *pa, *pb;
    const size_t *c; /* bucket starts */
    size_t b0, b1;   /* buckets [b0, b1) */
    size_t skip;     /* buckets of this size or more are sorted already (0: none) */
    int shift;
    int rc;
} msd_part;

/* Sorts buckets [b0, b1) (scattered into kb/pb) and copies them back into ka/pa. */
static void msd_buckets(void *arg)
{
    msd_part *t = arg;
    const size_t *c = t->c;
    int rc = 0;
    for (size_t b = t->b0; b < t->b1 && rc == 0; b++) {
        size_t lo = c[b], hi = c[b + 1];
        if (hi - lo > 1 && !(t->skip && hi - lo >= t->skip))
            rc = msd(t->kb + lo, t->pa ? t->pb + lo : NULL, t->ka + lo, t->pa ? t->pa + lo : NULL,
                     hi - lo, t->shift, 0);
    }
    size_t lo = c[t->b0], hi = c[t->b1];
    memcpy(t->ka + lo, t->kb + lo, (hi - lo) * sizeof *t->ka);
    if (t->pa)
        memcpy(t->pa + lo, t->pb + lo, (hi - lo) * sizeof *t->pa);
    t->rc = rc;
}

/* One half of a scatter pass: keys [from, to) of ka/pa, counted into cnt[1 + bucket], then
   (cnt turned into the next write position of each bucket) moved to kb/pb. */
typedef struct scat {
    const uint64_t *ka;
    const uint32_t *pa;
    uint64_t *kb;
    uint32_t *pb;
    size_t from, to;
    int shift;
    size_t *cnt; /* MSD_SIZE + 1 */
} scat;

static void count_part(void *arg)
{
    scat *s = arg;
    for (size_t i = s->from; i < s->to; i++)
        s->cnt[((s->ka[i] >> s->shift) & (MSD_SIZE - 1)) + 1]++;
}

static void scatter_part(void *arg)
{
    scat *s = arg;
    size_t *pos = s->cnt;
    for (size_t i = s->from; i < s->to; i++) {
        size_t d = pos[(s->ka[i] >> s->shift) & (MSD_SIZE - 1)]++;
        s->kb[d] = s->ka[i];
        if (s->pa)
            s->pb[d] = s->pa[i];
    }
}

static int msd(uint64_t *ka, uint32_t *pa, uint64_t *kb, uint32_t *pb, size_t n, int bits,
               int par)
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
    par = par && n >= PAR_MIN && dj_two_cpus();
    /* c: the bucket counts, then starts; with par, the two halves of the keys are counted
       and scattered by the two threads, the first half's keys going first in each bucket
       (so the pass stays stable) */
    size_t *c = calloc(3 * (MSD_SIZE + 1), sizeof *c);
    if (!c)
        return -1;
    scat h1 = {ka, pa, kb, pb, 0, par ? n / 2 : n, shift, c + MSD_SIZE + 1};
    scat h2 = {ka, pa, kb, pb, par ? n / 2 : n, n, shift, c + 2 * (MSD_SIZE + 1)};
    if (par)
        dj_run2(count_part, &h2, count_part, &h1);
    else
        count_part(&h1);
    for (size_t b = 1; b <= MSD_SIZE; b++)
        c[b] = h1.cnt[b] + h2.cnt[b];
    if (c[((ka[0] >> shift) & (MSD_SIZE - 1)) + 1] == n) {
        free(c); /* a common prefix: look at the next bits */
        return msd(ka, pa, kb, pb, n, shift, par);
    }
    for (size_t b = 1; b <= MSD_SIZE; b++)
        c[b] += c[b - 1]; /* c[b] = start of bucket b */
    for (size_t b = 0; b < MSD_SIZE; b++) { /* where each half writes next in bucket b */
        size_t first = h1.cnt[b + 1];
        h1.cnt[b] = c[b];
        h2.cnt[b] = c[b] + first;
    }
    if (par)
        dj_run2(scatter_part, &h2, scatter_part, &h1);
    else
        scatter_part(&h1);
    msd_part all = {ka, kb, pa, pb, c, 0, MSD_SIZE, 0, shift, 0};
    if (par) {
        /* a bucket of a quarter of the keys or more (real data crowd into a few exponents)
           is split between the threads itself; the other buckets are shared out by count */
        size_t big = n / 4 > PAR_MIN ? n / 4 : PAR_MIN, rest = 0;
        int rc = 0;
        for (size_t b = 0; b < MSD_SIZE; b++) {
            size_t lo = c[b], hi = c[b + 1];
            if (hi - lo < big)
                rest += hi - lo;
            else if (rc == 0)
                rc = msd(kb + lo, pa ? pb + lo : NULL, ka + lo, pa ? pa + lo : NULL, hi - lo, shift,
                         1);
        }
        size_t cut = 0, acc = 0;
        while (cut < MSD_SIZE && acc < rest / 2) {
            size_t sz = c[cut + 1] - c[cut];
            if (sz < big)
                acc += sz;
            cut++;
        }
        msd_part first = all, second = all;
        first.b1 = second.b0 = cut;
        first.skip = second.skip = big;
        dj_run2(msd_buckets, &second, msd_buckets, &first);
        all.rc = rc < 0 || first.rc < 0 || second.rc < 0 ? -1 : 0;
    } else
        msd_buckets(&all);
    free(c);
    return all.rc;
}

int djm_sort_u64(uint64_t *keys, uint32_t *pay, size_t n)
{
    if (n < 64) {
        insertion_sort(keys, pay, n);
        return 0;
    }
    uint64_t *tk = dj_big_alloc(n * sizeof *tk);
    uint32_t *tp = pay ? dj_big_alloc(n * sizeof *tp) : NULL;
    int rc = -1;
    if (tk && (!pay || tp))
        rc = msd(keys, pay, tk, tp, n, 64, 1);
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
