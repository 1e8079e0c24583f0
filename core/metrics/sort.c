/*
 * sort.c -- the sorting the metric kernels need: a stable LSD radix sort of 64-bit keys
 * (with an optional 32-bit payload), argsort of doubles and scipy-style average ranks, and a
 * walk of two classes of keys range by range in key order (djm_visit_pairs, for the
 * unweighted ranking metrics; described at its section below).
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

/* ---- two classes of keys, visited range by range (djm_visit_pairs) ------------------------
   No payload and no stability to keep (equal keys are equal), and no sorted array to hand
   back: the caller wants the keys' groups in order, so the keys are cut into ranges of keys
   that fit in the caches, and each range is sorted there and handed over at once.

   1. A sample of the keys (evenly spaced, sorted) gives a low and a high key (its 0.1% and
      99.9% quantiles) and a shift: a "fine" digit is 1 + (key - low) >> shift between them
      (at most VP_FINE - 2), 0 below and VP_FINE - 1 above. It is monotone in the key, so its
      values are ranges of keys; outliers (an exact 0 among scores in [0.5, 1)) do not
      widen it.
   2. Consecutive fine digits are grouped into buckets holding about 1/512 of the sample each
      (uneven data -- half of uniform [0, 1] scores share an exponent -- gets more fine digits
      per bucket where it is sparse); a lookup table maps a fine digit to its bucket. A few
      hundred buckets, so that the scatter's lines stay in the caches.
   3. One pass scatters the keys into blocks, in place (block_keys; two threads, each half of
      each array): no scratch array as big as the keys, whose fresh pages would cost more
      than the pass itself. Each class's blocks are then listed by bucket, and the exact
      count of keys of each class above each bucket follows.
   4. The buckets are shared out between two threads by count, each going from its highest
      bucket down: a bucket's blocks are gathered into a buffer, its keys labelled with their
      class ((key - base) << 1 | class), sorted there (range_sort) and handed to the visitor
      with the counts of keys above the bucket.
   A bucket of far more keys than 1/512 (a crowd of keys in one fine digit: many equal
   predictions, say) is sorted the same way by one thread, with a buffer of twice its size. */

#define VP_FINE_BITS 12
#define VP_FINE ((size_t)1 << VP_FINE_BITS)
#define VP_BUCKETS 1024 /* at most; the target size makes about half as many */
#define VP_BLOCK 64     /* keys */
#define VP_AHEAD 4      /* blocks fetched ahead when a bucket is gathered */
#define VP_SAMPLE 16384 /* keys */
#define VP_SMALL ((size_t)1 << 16) /* fewer keys: one range, no buckets */
#define LB 11                      /* the digits of range_sort and keys_sort */
#define TOP ((uint64_t)1 << 63)

static void keys_insertion(uint64_t *k, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = k[i];
        size_t j = i;
        while (j > 0 && k[j - 1] > x) {
            k[j] = k[j - 1];
            j--;
        }
        k[j] = x;
    }
}

/* Sorts k[0, n) with tmp (n) as scratch, in the caches: MSD radix on a digit of
   (key - min) >> shift with up to 2^LB values, a digit of more than 32 keys sorted the same
   way, then one insertion pass over the whole, which only moves keys within their digit. */
static void keys_sort(uint64_t *k, size_t n, uint64_t *tmp)
{
    if (n <= 32) {
        keys_insertion(k, n);
        return;
    }
    uint64_t mn = k[0], mx = k[0];
    for (size_t i = 1; i < n; i++) {
        mn = k[i] < mn ? k[i] : mn;
        mx = k[i] > mx ? k[i] : mx;
    }
    if (mn == mx)
        return; /* all equal */
    int d = 64 - __builtin_clzll((uint64_t)n) + 1; /* 2^d > 2n */
    d = d > LB ? LB : d;
    int rb = 64 - __builtin_clzll(mx - mn), shift = rb > d ? rb - d : 0;
    size_t nd = (size_t)((mx - mn) >> shift) + 1;
    uint32_t cnt[1 << LB];
    memset(cnt, 0, nd * sizeof cnt[0]);
    for (size_t i = 0; i < n; i++)
        cnt[(k[i] - mn) >> shift]++;
    uint32_t sum = 0, big = 0;
    for (size_t b = 0; b < nd; b++) {
        uint32_t t = cnt[b];
        big |= t > 32;
        cnt[b] = sum;
        sum += t;
    }
    for (size_t i = 0; i < n; i++)
        tmp[cnt[(k[i] - mn) >> shift]++] = k[i];
    memcpy(k, tmp, n * sizeof *k);
    if (big) { /* cnt[b] is now the end of digit b */
        uint32_t lo = 0;
        for (size_t b = 0; b < nd; b++) {
            uint32_t hi = cnt[b];
            if (hi - lo > 32)
                keys_sort(k + lo, hi - lo, tmp);
            lo = hi;
        }
    }
    keys_insertion(k, n);
}

/* Insertion sort of labelled keys by key (x >> 1: equal keys of the two classes stay as they
   are) that gives up after about 8 moves a key; 0 when done, -1 when it gave up (the keys
   are then a permutation of what they were). */
static int keys_insertion_budget(uint64_t *k, size_t n)
{
    size_t budget = 8 * n + 64;
    for (size_t i = 1; i < n; i++) {
        uint64_t x = k[i];
        size_t j = i;
        while (j > 0 && k[j - 1] >> 1 > x >> 1) {
            k[j] = k[j - 1];
            j--;
        }
        k[j] = x;
        size_t moved = i - j;
        if (DJ_UNLIKELY(moved > budget))
            return -1;
        budget -= moved;
    }
    return 0;
}

/* Labels and sorts a range's keys in place: k[0, np) of the first class and k[np, np + nn)
   of the second (key - mn <= range < 2^63) become (key - mn) << 1 | class (1 for the first),
   sorted, with tmp (np + nn) as scratch. Two LSD counting passes on the top 22 bits of the
   labelled range (keys spread over a narrow range then mostly differ there), then an
   insertion pass for what they leave unordered; should that take long (keys crowded in a
   small part of the range), keys_sort finishes. */
static void range_sort(uint64_t *k, size_t np, size_t nn, uint64_t mn, uint64_t range,
                       uint64_t *tmp)
{
    size_t n = np + nn;
    uint64_t R = range << 1 | 1;
    int rb = 64 - __builtin_clzll(R), s0 = rb > 2 * LB ? rb - 2 * LB : 0, s1 = s0 + LB;
    if (n <= 32 || rb <= 1) { /* rb <= 1: one key */
        for (size_t i = 0; i < np; i++)
            k[i] = (k[i] - mn) << 1 | 1;
        for (size_t i = np; i < n; i++)
            k[i] = (k[i] - mn) << 1;
        if (rb > 1 && keys_insertion_budget(k, n) < 0)
            keys_sort(k, n, tmp);
        return;
    }
    uint32_t c0[1 << LB], c1[1 << LB];
    size_t n1 = (size_t)(R >> s1) + 1;
    memset(c0, 0, sizeof c0);
    memset(c1, 0, n1 * sizeof c1[0]);
    const uint64_t m0 = (1u << LB) - 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = (k[i] - mn) << 1 | (i < np);
        c0[(v >> s0) & m0]++;
        c1[v >> s1]++;
    }
    uint64_t v0 = (k[0] - mn) << 1;
    if (c1[v0 >> s1] == n && (s0 > 0 || c0[v0 & m0] + c0[(v0 | 1) & m0] == n)) {
        /* the top digit is the same for all (with s0 > 0: their range is 2^10 times narrower
           than this one; else: the keys are equal): a bucket of equal keys, or crowded */
        uint64_t a = k[0], z = k[0];
        for (size_t i = 1; i < n; i++) {
            a = k[i] < a ? k[i] : a;
            z = k[i] > z ? k[i] : z;
        }
        range_sort(k, np, nn, a, z - a, tmp);
        return;
    }
    uint32_t sum = 0;
    for (size_t b = 0; b <= m0; b++) {
        uint32_t t = c0[b];
        c0[b] = sum;
        sum += t;
    }
    sum = 0;
    for (size_t b = 0; b < n1; b++) {
        uint32_t t = c1[b];
        c1[b] = sum;
        sum += t;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t v = (k[i] - mn) << 1 | (i < np);
        tmp[c0[(v >> s0) & m0]++] = v;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t v = tmp[i];
        k[c1[v >> s1]++] = v;
    }
    if (keys_insertion_budget(k, n) < 0)
        keys_sort(k, n, tmp);
}

/* Swaps the keys >= 2^63 of k[0, n) to its end; returns how many are below. */
static size_t split_top(uint64_t *k, size_t n)
{
    size_t i = 0, j = n;
    while (i < j) {
        if (k[i] < TOP)
            i++;
        else {
            uint64_t t = k[i];
            k[i] = k[--j];
            k[j] = t;
        }
    }
    return i;
}

/* One range: the keys k[0, np) of the first class and k[np, np + nn) of the second, all in
   [mn, mx] when that is known (else mn = 0, mx = ~0), with the counts above, sorted in place
   (tmp: np + nn keys of scratch) and handed to fn. A range 2^63 wide or more (keys of doubles
   of both signs) is cut at 2^63 into two, visited one after the other. */
static void visit_range(uint64_t *k, size_t np, size_t nn, uint64_t mn, uint64_t mx,
                        uint64_t *tmp, djm_pairs_fn fn, void *state, size_t p_above,
                        size_t q_above)
{
    size_t n = np + nn;
    if (!n)
        return;
    if (mx - mn >= TOP) { /* unknown or too wide: look */
        mn = ~(uint64_t)0;
        mx = 0;
        for (size_t i = 0; i < n; i++) {
            mn = k[i] < mn ? k[i] : mn;
            mx = k[i] > mx ? k[i] : mx;
        }
    }
    if (mx - mn >= TOP) {
        /* [p low | p high | q low | q high] -> [p high | q high | p low | q low] */
        size_t pl = split_top(k, np), nl = split_top(k + np, nn);
        size_t ph = np - pl, nh = nn - nl;
        memcpy(tmp, k + pl, ph * sizeof *k);
        memcpy(tmp + ph, k + np + nl, nh * sizeof *k);
        memcpy(tmp + ph + nh, k, pl * sizeof *k);
        memcpy(tmp + ph + nh + pl, k + np, nl * sizeof *k);
        memcpy(k, tmp, n * sizeof *k);
        visit_range(k, ph, nh, 0, ~(uint64_t)0, tmp, fn, state, p_above, q_above);
        visit_range(k + ph + nh, pl, nl, 0, ~(uint64_t)0, tmp, fn, state, p_above + ph,
                    q_above + nh);
        return;
    }
    range_sort(k, np, nn, mn, mx - mn, tmp);
    fn(state, k, n, p_above, q_above);
}

typedef struct vp {
    uint64_t *k[2];    /* the input: the second class (q) and the first (p) */
    size_t n[2];
    uint64_t lo, hi;   /* fine digits: see fine() */
    int shift;
    uint16_t *map;     /* fine digit -> bucket */
    size_t nb;         /* buckets */
    size_t *bf;        /* nb + 1: each bucket's first fine digit */
    size_t *tot[2];    /* nb + 1: the keys of each class in buckets >= b */
    uint64_t **blk[2]; /* each class's full blocks, by bucket: */
    size_t *bk[2];     /* nb + 1 starts in blk */
    djm_pairs_fn fn;
} vp;

static inline size_t fine(uint64_t lo, uint64_t hi, int shift, uint64_t k)
{
    if (k < lo)
        return 0;
    if (k > hi)
        return VP_FINE - 1;
    return 1 + (size_t)((k - lo) >> shift);
}

/* One thread's share of the passes: keys [from[c], to[c]) of each class. */
typedef struct vp_half {
    vp *v;
    size_t from[2], to[2];
    uint64_t *left[2];  /* nb x VP_BLOCK: the keys of each bucket not in a full block */
    uint32_t *nleft[2]; /* nb: how many */
    uint16_t *bb[2];    /* the bucket of each full block */
    size_t nblk[2];     /* full blocks */
} vp_half;

/* The scatter, in place: each key goes to its bucket's line of VP_BLOCK keys; a full line is
   written back over keys already read (k[0, w) is full blocks, w <= i) and the block's bucket
   noted. The random writes go to lines that stay in the caches, the writes to memory are
   whole blocks, and no scratch as big as the keys is needed (its fresh pages would cost more
   than the pass). Returns the number of full blocks. */
static size_t block_keys(uint64_t *restrict k, size_t n, uint64_t *restrict left,
                         uint32_t *restrict nleft, uint16_t *restrict bb,
                         const uint16_t *restrict map, uint64_t lo, uint64_t hi, int shift)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = k[i];
        size_t b = map[fine(lo, hi, shift, x)];
        uint32_t f = nleft[b];
        left[b * VP_BLOCK + f] = x;
        if (DJ_UNLIKELY(f == VP_BLOCK - 1)) {
            memcpy(k + w, left + b * VP_BLOCK, VP_BLOCK * sizeof x);
            bb[w / VP_BLOCK] = (uint16_t)b;
            w += VP_BLOCK;
            f = (uint32_t)-1;
        }
        nleft[b] = f + 1;
    }
    return w / VP_BLOCK;
}

static void vp_scatter(void *arg)
{
    vp_half *h = arg;
    const vp *v = h->v;
    for (int c = 0; c < 2; c++)
        h->nblk[c] = block_keys(v->k[c] + h->from[c], h->to[c] - h->from[c], h->left[c],
                                h->nleft[c], h->bb[c], v->map, v->lo, v->hi, v->shift);
}

/* The keys of bucket b. */
static size_t bucket_keys(const vp *v, size_t b)
{
    size_t k = 0;
    for (int c = 0; c < 2; c++)
        k += (b ? v->tot[c][b - 1] : v->n[c]) - v->tot[c][b];
    return k;
}

/* One thread's buckets [b0, b1), visited from b1 - 1 down. */
typedef struct vp_part {
    const vp *v;
    const vp_half *h[2];
    size_t b0, b1;
    void *state;
    int rc;
} vp_part;

static void vp_run(void *arg)
{
    vp_part *t = arg;
    const vp *v = t->v;
    size_t m = 1;
    for (size_t b = t->b0; b < t->b1; b++) /* this part's biggest bucket */
        m = bucket_keys(v, b) > m ? bucket_keys(v, b) : m;
    uint64_t *st = malloc(2 * m * sizeof *st), *tmp = st + m;
    t->rc = st ? 0 : -1;
    if (!st)
        return;
    for (size_t b = t->b1; b > t->b0; b--) {
        /* gather the bucket: the first class (c = 1), then the second */
        size_t at = 0, nc[2];
        for (int c = 1; c >= 0; c--) {
            size_t at0 = at;
            for (size_t j = v->bk[c][b - 1], j1 = v->bk[c][b]; j < j1; j++) {
                if (j + VP_AHEAD < j1) { /* blocks lie anywhere: fetch ahead */
                    const char *nx = (const char *)v->blk[c][j + VP_AHEAD];
                    for (size_t o = 0; o < VP_BLOCK * sizeof *st; o += 64)
                        __builtin_prefetch(nx + o);
                }
                memcpy(st + at, v->blk[c][j], VP_BLOCK * sizeof *st);
                at += VP_BLOCK;
            }
            for (int hh = 0; hh < 2; hh++) {
                const vp_half *h = t->h[hh];
                uint32_t nl = h->nleft[c][b - 1];
                memcpy(st + at, h->left[c] + (b - 1) * VP_BLOCK, nl * sizeof *st);
                at += nl;
            }
            nc[c] = at - at0;
        }
        /* the keys' bounds, from the bucket's fine digits f0 .. f1 (outside 1 .. VP_FINE - 2:
           unknown) */
        size_t f0 = v->bf[b - 1], f1 = v->bf[b] - 1;
        uint64_t mn = 0, mx = ~(uint64_t)0;
        if (f0 >= 1 && f1 <= VP_FINE - 2) {
            mn = v->lo + ((uint64_t)(f0 - 1) << v->shift);
            mx = f1 <= (v->hi - v->lo) >> v->shift ? v->lo + ((uint64_t)f1 << v->shift) - 1
                                                   : v->hi;
        }
        visit_range(st, nc[1], nc[0], mn, mx, tmp, v->fn, t->state, v->tot[1][b - 1],
                    v->tot[0][b - 1]);
    }
    free(st);
}

int djm_visit_pairs(uint64_t *p, size_t np, uint64_t *q, size_t nq, djm_pairs_fn fn,
                    void *upper, void *lower)
{
    size_t n = np + nq;
    if (n < VP_SMALL) {
        uint64_t *k = malloc(2 * (n ? n : 1) * sizeof *k);
        if (!k)
            return -1;
        memcpy(k, p, np * sizeof *k);
        memcpy(k + np, q, nq * sizeof *k);
        visit_range(k, np, nq, 0, ~(uint64_t)0, k + n, fn, upper, 0, 0);
        free(k);
        return 0;
    }
    vp v;
    memset(&v, 0, sizeof v);
    v.k[0] = q;
    v.k[1] = p;
    v.n[0] = nq;
    v.n[1] = np;
    v.fn = fn;
    int rc = -1;
    vp_half h[2];
    memset(h, 0, sizeof h);
    size_t nbb = np / VP_BLOCK + nq / VP_BLOCK + 8; /* full blocks, at most */
    uint64_t *smp = malloc(2 * VP_SAMPLE * sizeof *smp);
    uint32_t *cnt = calloc(VP_FINE + 4 * VP_BUCKETS, sizeof *cnt);
    size_t *wr = calloc(5 * (VP_BUCKETS + 1), sizeof *wr);
    uint64_t *left = malloc(4 * VP_BUCKETS * VP_BLOCK * sizeof *left);
    uint16_t *bb = malloc(nbb * sizeof *bb);
    uint64_t **blk = malloc(nbb * sizeof *blk);
    v.map = malloc(VP_FINE * sizeof *v.map);
    if (!smp || !cnt || !wr || !left || !bb || !blk || !v.map)
        goto done;
    /* 1. the sample: evenly spaced keys of each class, in proportion */
    size_t ns = 0, sp = (size_t)((double)VP_SAMPLE * (double)np / (double)n);
    for (size_t i = 0; i < sp; i++)
        smp[ns++] = p[(size_t)((double)i * (double)np / (double)sp)];
    for (size_t i = 0; ns < VP_SAMPLE; i++)
        smp[ns++] = q[(size_t)((double)i * (double)nq / (double)(VP_SAMPLE - sp))];
    keys_sort(smp, ns, smp + VP_SAMPLE);
    v.lo = smp[ns / 1024];
    v.hi = smp[ns - 1 - ns / 1024];
    while (((v.hi - v.lo) >> v.shift) > VP_FINE - 3)
        v.shift++;
    /* 2. the buckets: consecutive fine digits holding about `target` of the sample */
    for (size_t i = 0; i < ns; i++)
        cnt[fine(v.lo, v.hi, v.shift, smp[i])]++;
    size_t target = ns / (VP_BUCKETS / 2) + 1, b = 0, acc = 0;
    v.bf = wr;
    v.tot[0] = v.bf + VP_BUCKETS + 1;
    v.tot[1] = v.tot[0] + VP_BUCKETS + 1;
    v.bk[0] = v.tot[1] + VP_BUCKETS + 1;
    v.bk[1] = v.bk[0] + VP_BUCKETS + 1;
    for (size_t d = 0; d < VP_FINE; d++) {
        if (acc > 0 && acc + cnt[d] > target && b < VP_BUCKETS - 1) {
            b++;
            acc = 0;
            v.bf[b] = d;
        }
        v.map[d] = (uint16_t)b;
        acc += cnt[d];
    }
    v.nb = b + 1;
    v.bf[v.nb] = VP_FINE;
    /* 3. the scatter into blocks, in place */
    for (int hh = 0; hh < 2; hh++)
        for (int c = 0; c < 2; c++) {
            int i = 2 * hh + c;
            h[hh].v = &v;
            h[hh].from[c] = hh ? v.n[c] / 2 : 0;
            h[hh].to[c] = hh ? v.n[c] : v.n[c] / 2;
            h[hh].nleft[c] = cnt + VP_FINE + i * VP_BUCKETS;
            h[hh].left[c] = left + (size_t)i * VP_BUCKETS * VP_BLOCK;
        }
    h[0].bb[0] = bb;
    h[0].bb[1] = h[0].bb[0] + (h[0].to[0] - h[0].from[0]) / VP_BLOCK + 1;
    h[1].bb[0] = h[0].bb[1] + (h[0].to[1] - h[0].from[1]) / VP_BLOCK + 1;
    h[1].bb[1] = h[1].bb[0] + (h[1].to[0] - h[1].from[0]) / VP_BLOCK + 1;
    dj_run2(vp_scatter, &h[1], vp_scatter, &h[0]);
    /* 4. each class's blocks listed by bucket; the keys of each class above each bucket */
    uint64_t **at = blk;
    for (int c = 0; c < 2; c++) {
        size_t *bk = v.bk[c], *tot = v.tot[c];
        v.blk[c] = at;
        for (int hh = 0; hh < 2; hh++)
            for (size_t j = 0; j < h[hh].nblk[c]; j++)
                bk[h[hh].bb[c][j] + 1]++;
        for (b = 0; b < v.nb; b++)
            bk[b + 1] += bk[b];
        for (int hh = 0; hh < 2; hh++)
            for (size_t j = 0; j < h[hh].nblk[c]; j++)
                v.blk[c][bk[h[hh].bb[c][j]]++] = v.k[c] + h[hh].from[c] + j * VP_BLOCK;
        for (b = v.nb; b > 0; b--) /* bk[b] is now the end of bucket b */
            bk[b] = bk[b - 1];
        bk[0] = 0;
        at += bk[v.nb];
        tot[v.nb] = tot[v.nb - 1] = 0;
        for (b = v.nb - 1; b > 0; b--) /* bucket b's keys are above b - 1 */
            tot[b - 1] = tot[b] + (bk[b + 1] - bk[b]) * VP_BLOCK + h[0].nleft[c][b] +
                         h[1].nleft[c][b];
    }
    /* 5. the buckets, shared out by count: [cut, nb) above, [0, cut) below */
    size_t cut = 0;
    if (lower)
        for (cut = v.nb; cut > 0 && v.tot[0][cut - 1] + v.tot[1][cut - 1] < n / 2;)
            cut--;
    vp_part hi = {&v, {&h[0], &h[1]}, cut, v.nb, upper, 0};
    vp_part lo = {&v, {&h[0], &h[1]}, 0, cut, lower, 0};
    if (lower)
        dj_run2(vp_run, &lo, vp_run, &hi);
    else
        vp_run(&hi);
    rc = hi.rc < 0 || lo.rc < 0 ? -1 : 0;
done:
    free(smp);
    free(cnt);
    free(wr);
    free(left);
    free(bb);
    free(blk);
    free(v.map);
    return rc;
}
