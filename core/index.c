/*
 * index.c -- hash index over an integer or string column, and matching of keys.
 *
 * Theory of operation: an open-addressing table with linear probing whose slots are one
 * uint64 each: 0 for empty, else (tag << 40) | (row + 1), where tag is the top 24 bits of the
 * key's hash and row the first row holding the key. The slot position comes from the low
 * bits of the same hash, so a probe compares tags first and touches the table's column (one
 * more cache miss) only when the tag agrees: almost always a real hit. Capacity is a power of
 * two holding the present rows at a load of at most 0.7, so probes stay short; a table of
 * 10M rows takes 16M slots (128 MB). Rows are inserted in order, so the slot keeps the first
 * row of a key; a later row with the same key is recorded as a duplicate. Building computes
 * the hashes of a batch of rows and prefetches their slots before inserting, which hides
 * most of the memory latency; matching does the same for the keys it looks up. Integer keys
 * are hashed with a 64-bit finaliser (murmur3's fmix64), strings with a multiply-fold hash in
 * the manner of wyhash (8 bytes per step).
 * Integer keys in a narrow range use a direct array of row + 1 per key instead of slots, and
 * keys that are the row numbers plus a constant (ids 1..n in order) need no array at all.
 * dojo_index_align joins and reorders in one pass: block by block, the keys are looked up,
 * checked against a bitmap of the rows already matched, and the wanted columns' cells
 * gathered (with prefetching) while the block's rows are in L1.
 * Across types, an integer and a string match when the string is exactly the integer's
 * decimal text as "%lld" writes it ("42" finds 42; "042", "+42" and "-0" do not). Missing
 * values are never indexed and never match. Float columns are refused: their equality is
 * not a sound key (NaN, -0.0, rounding).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "table_internal.h"

#define ROW_BITS 40
#define ROW_MASK ((1ULL << ROW_BITS) - 1)
#define BATCH 16

struct dojo_index {
    const dojo_table *t;
    size_t col;
    int type;
    const int64_t *ints;
    const char *chars;
    const int64_t *offs;
    uint64_t *slots;
    size_t mask;
    size_t nkeys;
    int64_t *dups;
    size_t ndups, dups_cap;
    /* Dense integer keys (max - min < 2 n + 64, the common case of row ids): a direct array
       of row + 1 per key instead of the hash slots. */
    uint32_t *dense;
    int64_t dmin, dmax;
    int ident; /* the key of row r is dmin + r for every row: rows are computed (dense NULL) */
};

static inline int64_t dense_find(const dojo_index *x, int64_t key)
{
    if (key < x->dmin || key > x->dmax)
        return -1;
    if (x->ident)
        return (int64_t)((uint64_t)key - (uint64_t)x->dmin);
    return (int64_t)x->dense[(uint64_t)key - (uint64_t)x->dmin] - 1;
}

/* Builds the dense form when the int keys allow it; 1 built, 0 not suitable, -1 no memory. */
static int build_dense(dojo_index *x, const dj_col *c, size_t nrows)
{
    size_t present = nrows - c->nmissing;
    if (present == 0 || nrows >= UINT32_MAX)
        return 0;
    /* Keys that are the row numbers plus a constant, as ids often are: the row of a key is
       computed, no array is needed. */
    int ident = c->nmissing == 0;
    uint64_t first = (uint64_t)c->ints[0];
    for (size_t r = 0; ident && r < nrows; r++)
        ident = (uint64_t)c->ints[r] == first + r && c->ints[r] >= c->ints[0];
    if (ident) {
        x->ident = 1;
        x->dmin = c->ints[0];
        x->dmax = c->ints[nrows - 1];
        x->nkeys = nrows;
        return 1;
    }
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t r = 0; r < nrows; r++) {
        if (c->missing && c->missing[r])
            continue;
        int64_t v = c->ints[r];
        if (v < lo)
            lo = v;
        if (v > hi)
            hi = v;
    }
    uint64_t range = (uint64_t)hi - (uint64_t)lo;
    if (range >= 2 * (uint64_t)present + 64)
        return 0;
    x->dense = calloc((size_t)range + 1, sizeof *x->dense);
    if (!x->dense)
        return -1;
    x->dmin = lo;
    x->dmax = hi;
    for (size_t r = 0; r < nrows; r++) {
        if (c->missing && c->missing[r])
            continue;
        uint32_t *slot = &x->dense[(uint64_t)c->ints[r] - (uint64_t)lo];
        if (*slot) {
            if (x->ndups == x->dups_cap) {
                void *p = x->dups;
                if (dj_grow(&p, &x->dups_cap, x->ndups + 1, sizeof(int64_t)) < 0)
                    return -1;
                x->dups = p;
            }
            x->dups[x->ndups++] = (int64_t)r;
        } else {
            *slot = (uint32_t)(r + 1);
            x->nkeys++;
        }
    }
    return 1;
}

static inline uint64_t hash_int(int64_t k)
{
    uint64_t x = (uint64_t)k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t dj_hash_bytes(const void *data, size_t len)
{
    static const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
                          k2 = 0x8ebc6af09c88c6e3ULL;
    const unsigned char *p = data;
    uint64_t seed = k0 ^ (len * k2);
    size_t n = len;
    while (n > 16) {
        seed = mum(rd64(p) ^ k1, rd64(p + 8) ^ seed);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n > 8) {
        a = rd64(p);
        unsigned char t[8] = {0};
        memcpy(t, p + 8, n - 8);
        b = rd64(t);
    } else if (n > 0) {
        unsigned char t[8] = {0};
        memcpy(t, p, n);
        a = rd64(t);
    }
    return mum(mum(a ^ k1, b ^ seed) ^ k2, (uint64_t)len ^ k1);
}

int dj_parse_canonical_int(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 20)
        return 0;
    size_t i = 0;
    int neg = s[0] == '-';
    if (neg)
        i = 1;
    if (i == len)
        return 0;
    if (s[i] == '0')
        if (len - i > 1 || neg) /* "012" and "-0" are not what %lld writes */
            return 0;
    uint64_t v = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return 0;
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return 0;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return 0;
        *out = (int64_t)v;
    }
    return 1;
}

static inline int row_missing(const dj_col *c, size_t row)
{
    return c->missing && c->missing[row];
}

static inline uint64_t row_hash(const dojo_index *x, size_t row)
{
    if (x->type == DOJO_TYPE_INT)
        return hash_int(x->ints[row]);
    return dj_hash_bytes(x->chars + x->offs[row], (size_t)(x->offs[row + 1] - x->offs[row]));
}

static inline int row_equal(const dojo_index *x, size_t a, size_t b)
{
    if (x->type == DOJO_TYPE_INT)
        return x->ints[a] == x->ints[b];
    size_t la = (size_t)(x->offs[a + 1] - x->offs[a]), lb = (size_t)(x->offs[b + 1] - x->offs[b]);
    return la == lb && memcmp(x->chars + x->offs[a], x->chars + x->offs[b], la) == 0;
}

/* Inserts row with hash h; returns -1 when out of memory. */
static int insert(dojo_index *x, size_t row, uint64_t h)
{
    uint64_t tag = h >> ROW_BITS;
    for (size_t i = h & x->mask;; i = (i + 1) & x->mask) {
        uint64_t s = x->slots[i];
        if (!s) {
            x->slots[i] = (tag << ROW_BITS) | (uint64_t)(row + 1);
            x->nkeys++;
            return 0;
        }
        if ((s >> ROW_BITS) == tag && row_equal(x, (size_t)((s & ROW_MASK) - 1), row)) {
            if (x->ndups == x->dups_cap) {
                void *p = x->dups;
                if (dj_grow(&p, &x->dups_cap, x->ndups + 1, sizeof(int64_t)) < 0)
                    return -1;
                x->dups = p;
            }
            x->dups[x->ndups++] = (int64_t)row;
            return 0;
        }
    }
}

dojo_index *dojo_index_new(const dojo_table *t, size_t col, char *err, size_t errlen)
{
    if (!t) {
        dj_err(err, errlen, "no table given");
        return NULL;
    }
    if (col >= t->ncols) {
        dj_err(err, errlen, "no column %zu: the table has %zu columns", col + 1, t->ncols);
        return NULL;
    }
    const dj_col *c = &t->cols[col];
    if (c->type == DOJO_TYPE_FLOAT) {
        dj_err(err, errlen, "cannot index column '%s': it holds floats, and only int and "
               "string columns can be indexed", c->name);
        return NULL;
    }
    if (t->nrows >= ROW_MASK) {
        dj_err(err, errlen, "cannot index column '%s': too many rows", c->name);
        return NULL;
    }
    dojo_index *x = calloc(1, sizeof *x);
    if (!x) {
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    x->t = t;
    x->col = col;
    x->type = c->type;
    x->ints = c->ints;
    x->chars = c->chars;
    x->offs = c->offsets;
    if (c->type == DOJO_TYPE_INT) {
        int dense = build_dense(x, c, t->nrows);
        if (dense < 0) {
            dojo_index_free(x);
            dj_err(err, errlen, "out of memory");
            return NULL;
        }
        if (dense)
            return x;
    }
    size_t present = t->nrows - c->nmissing;
    size_t cap = 16;
    while (cap * 7 / 10 < present + 1)
        cap *= 2;
    x->slots = calloc(cap, sizeof(uint64_t));
    if (!x->slots) {
        free(x);
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    x->mask = cap - 1;
    uint64_t hs[BATCH];
    size_t rows[BATCH];
    for (size_t base = 0; base < t->nrows; base += BATCH) {
        size_t k = 0, lim = t->nrows - base < BATCH ? t->nrows - base : BATCH;
        for (size_t i = 0; i < lim; i++) {
            size_t row = base + i;
            if (row_missing(c, row))
                continue;
            hs[k] = row_hash(x, row);
            rows[k] = row;
            __builtin_prefetch(&x->slots[hs[k] & x->mask], 1);
            k++;
        }
        for (size_t i = 0; i < k; i++) {
            if (insert(x, rows[i], hs[i]) < 0) {
                dojo_index_free(x);
                dj_err(err, errlen, "out of memory");
                return NULL;
            }
        }
    }
    return x;
}

static int64_t find_int_hashed(const dojo_index *x, int64_t key, uint64_t h)
{
    if (x->dense || x->ident)
        return dense_find(x, key);
    uint64_t tag = h >> ROW_BITS;
    for (size_t i = h & x->mask;; i = (i + 1) & x->mask) {
        uint64_t s = x->slots[i];
        if (!s)
            return -1;
        if ((s >> ROW_BITS) == tag) {
            size_t row = (size_t)((s & ROW_MASK) - 1);
            if (x->ints[row] == key)
                return (int64_t)row;
        }
    }
}

static int64_t find_str_hashed(const dojo_index *x, const char *key, size_t len, uint64_t h)
{
    uint64_t tag = h >> ROW_BITS;
    for (size_t i = h & x->mask;; i = (i + 1) & x->mask) {
        uint64_t s = x->slots[i];
        if (!s)
            return -1;
        if ((s >> ROW_BITS) == tag) {
            size_t row = (size_t)((s & ROW_MASK) - 1);
            if ((size_t)(x->offs[row + 1] - x->offs[row]) == len &&
                memcmp(x->chars + x->offs[row], key, len) == 0)
                return (int64_t)row;
        }
    }
}

int dj_index_keymap(const dojo_index *x, dj_keymap *km)
{
    memset(km, 0, sizeof *km);
    if (!x || x->type != DOJO_TYPE_INT)
        return -1;
    km->kind = x->ident ? DJ_KEYS_IDENT : x->dense ? DJ_KEYS_DENSE : DJ_KEYS_HASH;
    km->lo = x->dmin;
    km->hi = x->dmax;
    km->dense = x->dense;
    km->x = x;
    km->t = x->t;
    km->nrows = x->t->nrows;
    km->col = x->col;
    return 0;
}

int64_t dojo_index_find_int(const dojo_index *x, int64_t key)
{
    if (!x)
        return -1;
    if (x->type == DOJO_TYPE_INT)
        return find_int_hashed(x, key, hash_int(key));
    char buf[24];
    size_t n = dj_fmt_int(buf, key);
    return find_str_hashed(x, buf, n, dj_hash_bytes(buf, n));
}

int64_t dojo_index_find_string(const dojo_index *x, const char *key, size_t len)
{
    if (!x || (!key && len))
        return -1;
    if (!key)
        key = "";
    if (x->type == DOJO_TYPE_STRING)
        return find_str_hashed(x, key, len, dj_hash_bytes(key, len));
    int64_t v;
    if (!dj_parse_canonical_int(key, len, &v))
        return -1;
    return find_int_hashed(x, v, hash_int(v));
}

size_t dojo_index_nkeys(const dojo_index *x) { return x ? x->nkeys : 0; }

size_t dojo_index_duplicates(const dojo_index *x, int64_t *rows, size_t max)
{
    if (!x)
        return 0;
    size_t n = x->ndups < max ? x->ndups : max;
    if (rows && n)
        memcpy(rows, x->dups, n * sizeof(int64_t));
    return x->ndups;
}

/* Looks up the keys of rows [from, to) of column c; rows[i - from] gets the match or -1. */
static void match_range(const dojo_index *x, const dj_col *c, size_t from, size_t to,
                        int64_t *rows)
{
    /* In batches: each key is brought to the index's type (an int's text, or a string's
       canonical int), hashed, and its slot prefetched; then the batch is looked up. */
    size_t n = to;
    if (x->ident && c->type == DOJO_TYPE_INT) {
        for (size_t row = from; row < n; row++) {
            int64_t k = c->ints[row];
            rows[row - from] = row_missing(c, row) || k < x->dmin || k > x->dmax
                                   ? -1
                                   : (int64_t)((uint64_t)k - (uint64_t)x->dmin);
        }
        return;
    }
    uint64_t hs[BATCH];
    int64_t ik[BATCH];
    const char *sk[BATCH];
    size_t sl[BATCH];
    int ok[BATCH];
    char text[BATCH][24];
    for (size_t base = from; base < n; base += BATCH) {
        size_t lim = n - base < BATCH ? n - base : BATCH;
        for (size_t i = 0; i < lim; i++) {
            size_t row = base + i;
            ok[i] = !row_missing(c, row);
            if (!ok[i])
                continue;
            if (x->type == DOJO_TYPE_INT) {
                if (c->type == DOJO_TYPE_INT)
                    ik[i] = c->ints[row];
                else
                    ok[i] = dj_parse_canonical_int(c->chars + c->offsets[row],
                                                   (size_t)(c->offsets[row + 1] - c->offsets[row]),
                                                   &ik[i]);
                if (ok[i] && (x->dense || x->ident)) {
                    hs[i] = 0;
                    if (x->dense && ik[i] >= x->dmin && ik[i] <= x->dmax)
                        __builtin_prefetch(&x->dense[(uint64_t)ik[i] - (uint64_t)x->dmin], 0);
                    continue;
                }
                if (ok[i])
                    hs[i] = hash_int(ik[i]);
            } else {
                if (c->type == DOJO_TYPE_STRING) {
                    sk[i] = c->chars + c->offsets[row];
                    sl[i] = (size_t)(c->offsets[row + 1] - c->offsets[row]);
                } else {
                    sl[i] = dj_fmt_int(text[i], c->ints[row]);
                    sk[i] = text[i];
                }
                hs[i] = dj_hash_bytes(sk[i], sl[i]);
            }
            if (ok[i])
                __builtin_prefetch(&x->slots[hs[i] & x->mask], 0);
        }
        for (size_t i = 0; i < lim; i++) {
            if (!ok[i])
                rows[base - from + i] = -1;
            else if (x->type == DOJO_TYPE_INT)
                rows[base - from + i] = find_int_hashed(x, ik[i], hs[i]);
            else
                rows[base - from + i] = find_str_hashed(x, sk[i], sl[i], hs[i]);
        }
    }
}

#define MATCH_PAR_MIN ((size_t)1 << 20) /* keys looked up by two threads from here */

typedef struct match_part {
    const dojo_index *x;
    const dj_col *c;
    size_t from, to;
    int64_t *rows;
} match_part;

static void match_run(void *arg)
{
    match_part *m = arg;
    match_range(m->x, m->c, m->from, m->to, m->rows);
}

int dojo_index_match(const dojo_index *x, const dojo_table *other, size_t col, int64_t *rows,
                     char *err, size_t errlen)
{
    if (!x || !other)
        return dj_err(err, errlen, "no index or no table given");
    if (col >= other->ncols)
        return dj_err(err, errlen, "no column %zu: the table has %zu columns", col + 1,
                      other->ncols);
    const dj_col *c = &other->cols[col];
    size_t n = other->nrows;
    if (c->type == DOJO_TYPE_FLOAT)
        return dj_err(err, errlen, "cannot match column '%s': it holds floats, and only int and "
                      "string keys can be matched", c->name);
    if (n > 0 && !rows)
        return dj_err(err, errlen, "no output array given");
    if (n >= MATCH_PAR_MIN && dj_two_cpus()) { /* the halves are independent */
        match_part a = {x, c, 0, n / 2, rows}, b = {x, c, n / 2, n, rows + n / 2};
        dj_run2(match_run, &b, match_run, &a);
    } else
        match_range(x, c, 0, n, rows);
    return 0;
}

void dojo_index_free(dojo_index *x)
{
    if (!x)
        return;
    free(x->slots);
    free(x->dense);
    free(x->dups);
    free(x);
}

int dojo_index_join(const dojo_index *x, const dojo_table *other, size_t col, int64_t *rows,
                    dojo_join *stats, int64_t *examples, size_t max, char *err, size_t errlen)
{
    if (!stats)
        return dj_err(err, errlen, "no statistics struct given");
    memset(stats, 0, sizeof *stats);
    if (dojo_index_match(x, other, col, rows, err, errlen) < 0)
        return -1;
    size_t n = other->nrows, m = x->t->nrows;
    unsigned char *seen = calloc(m ? m : 1, 1);
    if (!seen)
        return dj_err(err, errlen, "out of memory joining %zu rows", n);
    /* examples: [0, max) unmatched rows of other, [max, 2 max) duplicates, [2 max, 3 max)
       indexed rows never matched */
    for (size_t i = 0; i < n; i++) {
        int64_t r = rows[i];
        if (r < 0) {
            if (examples && stats->unmatched < max)
                examples[stats->unmatched] = (int64_t)i;
            stats->unmatched++;
        } else if (seen[r]) {
            if (examples && stats->duplicates < max)
                examples[max + stats->duplicates] = (int64_t)i;
            stats->duplicates++;
        } else
            seen[r] = 1;
    }
    const unsigned char *miss = x->t->cols[x->col].missing;
    for (size_t r = 0; r < m; r++)
        if (!seen[r] && !(miss && miss[r])) {
            if (examples && stats->missing < max)
                examples[2 * max + stats->missing] = (int64_t)r;
            stats->missing++;
        }
    free(seen);
    return 0;
}

/* ---- align: join and gather in one pass ---------------------------------------------- */

#define ALIGN_BLOCK 2048 /* keys looked up at a time: their rows stay in L1 for the gathers */
#define ALIGN_AHEAD 64   /* source rows prefetched ahead of the copy */

/* Copies the n source rows rows[0..n) of s into rows [at, at + n) of d. String bytes go
   after *used bytes of d->chars (sized by the caller for every row of a clean join). */
static void gather_block(const dj_col *s, dj_col *d, const int64_t *rows, size_t n, size_t at,
                         size_t *used)
{
    if (s->type == DOJO_TYPE_STRING) {
        /* two stages: a row's offsets are fetched 2 x AHEAD rows ahead, its bytes AHEAD
           rows ahead (once its offsets have arrived) */
        for (size_t i = 0; i < n; i++) {
            if (i + 2 * ALIGN_AHEAD < n)
                __builtin_prefetch(&s->offsets[rows[i + 2 * ALIGN_AHEAD]], 0);
            if (i + ALIGN_AHEAD < n)
                __builtin_prefetch(s->chars + s->offsets[rows[i + ALIGN_AHEAD]], 0);
            int64_t a = s->offsets[rows[i]], b = s->offsets[rows[i] + 1];
            memcpy(d->chars + *used, s->chars + a, (size_t)(b - a));
            *used += (size_t)(b - a);
            d->offsets[at + i + 1] = (int64_t)*used;
        }
    } else {
        /* int64 and double cells are both 8 bytes: copied as such */
        const uint64_t *src = s->type == DOJO_TYPE_INT ? (const uint64_t *)(const void *)s->ints
                                                       : (const uint64_t *)(const void *)s->floats;
        uint64_t *dst = s->type == DOJO_TYPE_INT ? (uint64_t *)(void *)d->ints
                                                 : (uint64_t *)(void *)d->floats;
        dst += at;
        for (size_t i = 0; i < n; i++) {
            if (i + ALIGN_AHEAD < n)
                __builtin_prefetch(&src[rows[i + ALIGN_AHEAD]], 0);
            dst[i] = src[rows[i]];
        }
    }
    if (s->missing) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char v = s->missing[rows[i]];
            d->missing[at + i] = v;
            k += v;
        }
        d->nmissing += k;
    }
}

/* The destination of source column s for n rows (name, type, arrays); -1: out of memory. */
static int align_alloc(const dj_col *s, size_t srows, dj_col *d, size_t n)
{
    memset(d, 0, sizeof *d);
    d->type = s->type;
    d->name = strdup(s->name);
    if (!d->name)
        return -1;
    size_t nv = n ? n : 1;
    if (s->missing && !(d->missing = dj_big_alloc(nv)))
        return -1;
    if (s->type == DOJO_TYPE_INT) {
        if (!(d->ints = dj_big_alloc(nv * sizeof(int64_t))))
            return -1;
        d->ints[0] = 0;
    } else if (s->type == DOJO_TYPE_FLOAT) {
        if (!(d->floats = dj_big_alloc(nv * sizeof(double))))
            return -1;
        d->floats[0] = 0;
    } else {
        size_t total = (size_t)s->offsets[srows];
        d->chars = dj_big_alloc(total ? total : 1);
        d->offsets = dj_big_alloc((n + 1) * sizeof(int64_t));
        if (!d->chars || !d->offsets)
            return -1;
        d->offsets[0] = 0;
    }
    return 0;
}

/* Big clean joins on two threads: each half of the keys is looked up and gathered by its
   own thread with its own bitmap of matched rows; string bytes of the second half go to a
   scratch buffer and are appended after the first half's. When either half meets an unknown
   or repeated key, or the two bitmaps overlap (a key in both halves), the work is dropped
   and the sequential pass runs instead, so that counts and examples are exactly its own. */
#define ALIGN_PAR_MIN ((size_t)1 << 20)

typedef struct align_part {
    const dojo_index *x;
    const dj_col *key;
    const dojo_table *t;
    const size_t *cols;
    size_t ncols;
    size_t from, to;
    uint64_t *seen;
    dj_col *out;
    size_t *used;
    int bad, oom;
} align_part;

static void align_run(void *arg)
{
    align_part *a = arg;
    int64_t *rows = malloc(ALIGN_BLOCK * sizeof *rows);
    if (!rows) {
        a->oom = 1;
        return;
    }
    uint64_t *seen = a->seen;
    for (size_t base = a->from; base < a->to && !a->bad; base += ALIGN_BLOCK) {
        size_t lim = a->to - base < ALIGN_BLOCK ? a->to - base : ALIGN_BLOCK;
        match_range(a->x, a->key, base, base + lim, rows);
        for (size_t i = 0; i < lim; i++) {
            if (i + ALIGN_AHEAD < lim && rows[i + ALIGN_AHEAD] >= 0)
                __builtin_prefetch(&seen[rows[i + ALIGN_AHEAD] >> 6], 1);
            int64_t r = rows[i];
            if (r < 0 || (seen[r >> 6] >> (r & 63) & 1)) {
                a->bad = 1;
                break;
            }
            seen[r >> 6] |= 1ULL << (r & 63);
        }
        for (size_t j = 0; !a->bad && j < a->ncols; j++)
            gather_block(&a->t->cols[a->cols ? a->cols[j] : j], &a->out[j], rows, lim, base,
                         &a->used[j]);
    }
    free(rows);
}

/* Returns 1 when the join was clean and is done (out, used and seen filled), 0 when the
   sequential pass must run (nothing of out is kept), -1 out of memory. */
static int align_parallel(const dojo_index *x, const dj_col *key, const dojo_table *t,
                          const size_t *cols, size_t ncols, size_t n, dj_col *out,
                          size_t *used, uint64_t *seen)
{
    size_t m = t->nrows, words = m / 64 + 1, h = n / 2;
    uint64_t *s2 = calloc(words, sizeof *s2);
    dj_col *out2 = calloc(ncols ? ncols : 1, sizeof *out2);
    size_t *used2 = calloc(ncols ? ncols : 1, sizeof *used2);
    int rc = -1;
    if (!s2 || !out2 || !used2)
        goto done;
    for (size_t j = 0; j < ncols; j++) {
        out2[j] = out[j];
        out2[j].nmissing = 0;
        if (out[j].type == DOJO_TYPE_STRING) {
            const dj_col *src = &t->cols[cols ? cols[j] : j];
            size_t total = (size_t)src->offsets[m];
            out2[j].chars = dj_big_alloc(total ? total : 1);
            if (!out2[j].chars)
                goto done;
        }
    }
    align_part a = {x, key, t, cols, ncols, 0, h, seen, out, used, 0, 0};
    align_part b = {x, key, t, cols, ncols, h, n, s2, out2, used2, 0, 0};
    dj_run2(align_run, &b, align_run, &a);
    if (a.oom || b.oom)
        goto done;
    int clean = !a.bad && !b.bad;
    for (size_t w = 0; clean && w < words; w++)
        clean = !(seen[w] & s2[w]);
    if (!clean) {
        memset(seen, 0, words * sizeof *seen);
        for (size_t j = 0; j < ncols; j++) {
            out[j].nmissing = 0;
            used[j] = 0;
        }
        rc = 0;
        goto done;
    }
    for (size_t w = 0; w < words; w++)
        seen[w] |= s2[w];
    for (size_t j = 0; j < ncols; j++) {
        out[j].nmissing += out2[j].nmissing;
        if (out[j].type == DOJO_TYPE_STRING) {
            memcpy(out[j].chars + used[j], out2[j].chars, used2[j]);
            for (size_t i = h + 1; i <= n; i++)
                out[j].offsets[i] += (int64_t)used[j];
            used[j] += used2[j];
        }
    }
    rc = 1;
done:
    for (size_t j = 0; out2 && j < ncols; j++)
        if (out[j].type == DOJO_TYPE_STRING)
            free(out2[j].chars);
    free(out2);
    free(used2);
    free(s2);
    return rc;
}

int dojo_index_align(const dojo_index *x, const dojo_table *other, size_t col,
                     const size_t *cols, size_t ncols, dojo_table **aligned, dojo_join *stats,
                     int64_t *examples, size_t max, char *err, size_t errlen)
{
    if (!aligned)
        return dj_err(err, errlen, "no place for the aligned table given");
    *aligned = NULL;
    if (!stats)
        return dj_err(err, errlen, "no statistics struct given");
    memset(stats, 0, sizeof *stats);
    if (!x || !other)
        return dj_err(err, errlen, "no index or no table given");
    if (col >= other->ncols)
        return dj_err(err, errlen, "no column %zu: the table has %zu columns", col + 1,
                      other->ncols);
    const dj_col *c = &other->cols[col];
    if (c->type == DOJO_TYPE_FLOAT)
        return dj_err(err, errlen, "cannot match column '%s': it holds floats, and only int and "
                      "string keys can be matched", c->name);
    const dojo_table *t = x->t;
    if (!cols)
        ncols = t->ncols;
    for (size_t j = 0; cols && j < ncols; j++)
        if (cols[j] >= t->ncols)
            return dj_err(err, errlen, "no column %zu: the table has %zu columns", cols[j] + 1,
                          t->ncols);
    size_t n = other->nrows, m = t->nrows;
    uint64_t *seen = calloc(m / 64 + 1, sizeof *seen);
    dj_col *out = calloc(ncols ? ncols : 1, sizeof *out);
    size_t *used = calloc(ncols ? ncols : 1, sizeof *used);
    int64_t *rows = malloc(ALIGN_BLOCK * sizeof *rows);
    int rc = 0, clean = 1;
    if (!seen || !out || !used || !rows)
        goto oom;
    for (size_t j = 0; j < ncols; j++)
        if (align_alloc(&t->cols[cols ? cols[j] : j], m, &out[j], n) < 0)
            goto oom;
    int par = 0;
    if (n >= ALIGN_PAR_MIN && dj_two_cpus()) {
        par = align_parallel(x, c, t, cols, ncols, n, out, used, seen);
        if (par < 0)
            goto oom;
    }
    for (size_t base = 0; !par && base < n; base += ALIGN_BLOCK) {
        size_t lim = n - base < ALIGN_BLOCK ? n - base : ALIGN_BLOCK;
        match_range(x, c, base, base + lim, rows);
        for (size_t i = 0; i < lim; i++) {
            if (i + ALIGN_AHEAD < lim && rows[i + ALIGN_AHEAD] >= 0)
                __builtin_prefetch(&seen[rows[i + ALIGN_AHEAD] >> 6], 1);
            int64_t r = rows[i];
            if (r < 0) {
                if (examples && stats->unmatched < max)
                    examples[stats->unmatched] = (int64_t)(base + i);
                stats->unmatched++;
                clean = 0;
            } else if (seen[r >> 6] >> (r & 63) & 1) {
                if (examples && stats->duplicates < max)
                    examples[max + stats->duplicates] = (int64_t)(base + i);
                stats->duplicates++;
                clean = 0;
            } else
                seen[r >> 6] |= 1ULL << (r & 63);
        }
        /* every row so far matched a distinct indexed row: the string bytes fit */
        for (size_t j = 0; clean && j < ncols; j++)
            gather_block(&t->cols[cols ? cols[j] : j], &out[j], rows, lim, base, &used[j]);
    }
    const unsigned char *miss = x->t->cols[x->col].missing;
    for (size_t w = 0; w * 64 < m; w++) {
        uint64_t bits = seen[w];
        if (bits == ~0ULL)
            continue;
        for (size_t r = w * 64; r < m && r < w * 64 + 64; r++)
            if (!(bits >> (r & 63) & 1) && !(miss && miss[r])) {
                if (examples && stats->missing < max)
                    examples[2 * max + stats->missing] = (int64_t)r;
                stats->missing++;
            }
    }
    if (clean && stats->missing == 0) {
        dojo_table *res = dojo_table_new();
        if (!res)
            goto oom;
        for (size_t j = 0; j < ncols; j++) {
            dj_col *d = &out[j];
            if (d->missing && d->nmissing == 0) {
                dj_arr_free(d->missing, d->missing_map);
                d->missing = NULL;
                d->missing_map = 0;
            }
            if (d->type == DOJO_TYPE_STRING && used[j] > 0 && !d->chars_map) {
                char *ch = realloc(d->chars, used[j]); /* shrinks: cannot fail for good */
                if (ch)
                    d->chars = ch;
            }
            if (dj_table_adopt(res, d, n, 0, err, errlen) < 0) {
                dojo_table_free(res);
                rc = -1;
                goto done;
            }
        }
        *aligned = res;
    }
    goto done;
oom:
    rc = dj_err(err, errlen, "out of memory joining %zu rows", n);
done:
    for (size_t j = 0; out && j < ncols; j++)
        dj_col_clear(&out[j]);
    free(out);
    free(used);
    free(rows);
    free(seen);
    return rc;
}
