/*
 * text.c -- TEXT metrics: each row of y (answers) and p (predictions) is a string.
 *   map_at_k, apk   Kaggle's mean average precision at k over space-separated labels
 *   ndcg_at_k       NDCG at k with binary relevance
 *   f1_samples      mean per-row F1 of label sets
 *   jaccard_word    mean word-set Jaccard index (lowercased)
 *   levenshtein_mean  mean edit distance
 *   dice_rle        mean Dice coefficient of run-length-encoded masks
 *   f05_rle         mean F0.5 score of run-length-encoded masks (vesuvius-challenge)
 *   iou_map         TGS-salt mean precision over IoU thresholds of RLE masks
 *   iou_map_boxes   Global-wheat mean precision over IoU thresholds of "conf x y w h" boxes
 *
 * Theory of operation: strings are UTF-8. Tokens are what Python's str.split() returns --
 * runs between ASCII or Unicode whitespace -- since the catalog's metrics split that way.
 * Per-row label sets are small open-addressing hash tables reused across rows, so a row
 * costs O(its tokens). Levenshtein distance counts Unicode code points (python-Levenshtein
 * on str) with Hyyro's bit-parallel algorithm over 64-row blocks: O(ceil(m/64) n) per pair
 * after the common prefix and suffix are stripped. RLE masks are never painted: runs are
 * sorted and merged into disjoint pixel intervals and intersected by a linear sweep, so a
 * 30000 x 40000 HuBMAP mask costs O(its runs). Every buffer lives in one context reused by
 * all rows (no allocation per row once the buffers have grown).
 */
#define _GNU_SOURCE
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>

#include "metrics_internal.h"

/* ---- UTF-8 --------------------------------------------------------------------------- */

/* Decodes one code point at s[0..len); returns its byte length (>= 1). An invalid byte
   decodes alone, as U+DC80 + byte (so it compares unequal to any real character). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        min = 0x10000;
    } else {
        *cp = 0xDC00 + c;
        return 1;
    }
    if (len < need + 1) {
        *cp = 0xDC00 + c;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xDC00 + c;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xDC00 + c;
        return 1;
    }
    *cp = v;
    return need + 1;
}

static size_t utf8_put(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Python's str.isspace() for the characters str.split() splits on. */
static int is_space(uint32_t c)
{
    if (c < 0x80)
        return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t djm_split(const char *s, size_t len, djm_span **spans, size_t *cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        uint32_t cp;
        size_t l;
        while (i < len && (l = utf8_next(u + i, len - i, &cp), is_space(cp)))
            i += l;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && (l = utf8_next(u + i, len - i, &cp), !is_space(cp)))
            i += l;
        if (dj_grow((void **)spans, cap, n + 1, sizeof **spans) < 0)
            return (size_t)-1;
        (*spans)[n].off = start;
        (*spans)[n].len = i - start;
        n++;
    }
    return n;
}

/* Python's str.lower() for Latin (ASCII, Latin-1, Extended-A, Extended Additional), Greek,
   Cyrillic, Armenian and fullwidth Latin capitals; other characters are unchanged. Two
   simplifications: capital sigma always becomes sigma (Python writes final sigma at a
   word's end) and U+0130 becomes "i" + U+0307 as in Python. Returns the second code point
   of a two-character result in *extra (else 0). */
static uint32_t lower_cp(uint32_t c, uint32_t *extra)
{
    *extra = 0;
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c < 0x100)
        return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c;
    if (c < 0x180) {
        if (c == 0x130) {
            *extra = 0x307;
            return 'i';
        }
        if (c == 0x178)
            return 0xFF;
        if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && !(c & 1))
            return c + 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1))
            return c + 1;
        return c;
    }
    if (c >= 0x386 && c <= 0x3AB) {
        if (c == 0x386)
            return 0x3AC;
        if (c >= 0x388 && c <= 0x38A)
            return c + 37;
        if (c == 0x38C)
            return 0x3CC;
        if (c == 0x38E || c == 0x38F)
            return c + 63;
        if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB))
            return c + 32;
        return c;
    }
    if (c >= 0x400 && c <= 0x52F) {
        if (c <= 0x40F)
            return c + 80;
        if (c <= 0x42F)
            return c + 32;
        if (c == 0x4C0)
            return 0x4CF;
        if (((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || c >= 0x4D0) &&
            !(c & 1))
            return c + 1;
        if (c >= 0x4C1 && c <= 0x4CE && (c & 1))
            return c + 1;
        return c;
    }
    if (c >= 0x531 && c <= 0x556)
        return c + 48;
    if (c >= 0x1E00 && c <= 0x1EFF) {
        if (c == 0x1E9E)
            return 0xDF;
        if ((c <= 0x1E95 || c >= 0x1EA0) && !(c & 1))
            return c + 1;
        return c;
    }
    if (c >= 0xFF21 && c <= 0xFF3A)
        return c + 32;
    return c;
}

/* ---- the context: buffers reused by every row ----------------------------------------- */

typedef struct tsent {
    const char *s;
    size_t len;
} tsent;

typedef struct tokset {
    tsent *tab;
    size_t alloc, mask, count;
} tokset;

typedef struct ctx {
    djm_span *ys, *ps;
    size_t yscap, pscap;
    tokset t1, t2;
    char *lb1, *lb2; /* lowercased rows */
    size_t lb1cap, lb2cap;
} ctx;

static void ctx_free(ctx *c)
{
    free(c->ys);
    free(c->ps);
    free(c->t1.tab);
    free(c->t2.tab);
    free(c->lb1);
    free(c->lb2);
}

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

/* Empties the set, sized for `want` entries. */
static int ts_reset(tokset *t, size_t want)
{
    size_t cap = 16;
    while (cap < 2 * want + 2)
        cap *= 2;
    if (cap > t->alloc) {
        tsent *nt = realloc(t->tab, cap * sizeof *nt);
        if (!nt)
            return -1;
        t->tab = nt;
        t->alloc = cap;
    }
    memset(t->tab, 0, cap * sizeof *t->tab);
    t->mask = cap - 1;
    t->count = 0;
    return 0;
}

/* 1: inserted, 0: was there already. The set must have room (ts_reset sizes it). */
static int ts_insert(tokset *t, const char *s, size_t len)
{
    size_t i = (size_t)hash_bytes(s, len) & t->mask;
    while (t->tab[i].s) {
        if (t->tab[i].len == len && memcmp(t->tab[i].s, s, len) == 0)
            return 0;
        i = (i + 1) & t->mask;
    }
    t->tab[i].s = s;
    t->tab[i].len = len;
    t->count++;
    return 1;
}

static int ts_has(const tokset *t, const char *s, size_t len)
{
    size_t i = (size_t)hash_bytes(s, len) & t->mask;
    while (t->tab[i].s) {
        if (t->tab[i].len == len && memcmp(t->tab[i].s, s, len) == 0)
            return 1;
        i = (i + 1) & t->mask;
    }
    return 0;
}

static inline const char *yrow(const djm_txt *in, size_t i, size_t *len)
{
    *len = (size_t)(in->yo[i + 1] - in->yo[i]);
    return in->yd + in->yo[i];
}

static inline const char *prow(const djm_txt *in, size_t i, size_t *len)
{
    *len = (size_t)(in->po[i + 1] - in->po[i]);
    return in->pd + in->po[i];
}

/* Splits row i of both sides into c->ys / c->ps. */
static int split_row(const djm_txt *in, ctx *c, size_t i, const char **ys, size_t *ny,
                     const char **ps, size_t *np)
{
    size_t ly, lp;
    *ys = yrow(in, i, &ly);
    *ps = prow(in, i, &lp);
    *ny = djm_split(*ys, ly, &c->ys, &c->yscap);
    *np = djm_split(*ps, lp, &c->ps, &c->pscap);
    return (*ny == (size_t)-1 || *np == (size_t)-1) ? -1 : 0;
}

/* ---- ranking of labels ----------------------------------------------------------------- */

/* map_at_k (and its alias apk): Kaggle's mean average precision at k (ml_metrics apk/mapk,
   used by h-and-m, hotel-id, kaggle-llm-science-exam, whale-categorization ...): for each row,
   actual = the answer's space-separated labels, predicted = the first k predicted labels,
     apk = sum_{i: predicted[i] in actual, first occurrence} hits_i / (i + 1)
           / min(len(actual), k)
   with hits_i the hits so far and len(actual) counting repeated answer labels; an empty
   answer scores 0. A predicted label repeated later in the list is not a hit again
   (ml_metrics' "p not in predicted[:i]"). k = params.k, default 10 (ml_metrics). */
/* The ranking metrics' shared pass: per row, the answer's label set and the first k
   predicted labels, first occurrences only; a hit at 0-based position t scores
   hits / (t + 1) for map@k (divided by min(len(answer), k)) or 1 / log2(t + 2) for ndcg@k
   (divided by the ideal DCG over min(|answer set|, k) hits). Empty answers score 0. */
static int ranked(const djm_txt *in, size_t k, int ndcg, double *out, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    djm_sum total = {0, 0};
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        const char *ys, *ps;
        size_t ny, np;
        if (split_row(in, &c, i, &ys, &ny, &ps, &np) < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        if (ny == 0)
            continue;
        size_t lim = np < k ? np : k;
        if (ts_reset(&c.t1, ny) < 0 || ts_reset(&c.t2, lim) < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        for (size_t t = 0; t < ny; t++)
            ts_insert(&c.t1, ys + c.ys[t].off, c.ys[t].len);
        double score = 0, hits = 0;
        for (size_t t = 0; t < lim; t++) {
            const char *str = ps + c.ps[t].off;
            size_t l = c.ps[t].len;
            if (ts_insert(&c.t2, str, l) && ts_has(&c.t1, str, l)) {
                hits += 1.0;
                score += ndcg ? 1.0 / log2((double)t + 2.0) : hits / ((double)t + 1.0);
            }
        }
        if (ndcg) {
            double idcg = 0;
            for (size_t t = 0; t < c.t1.count && t < k; t++)
                idcg += 1.0 / log2((double)t + 2.0);
            djm_add(&total, score / idcg);
        } else
            djm_add(&total, score / (double)(ny < k ? ny : k));
    }
    if (rc == 0)
        *out = djm_total(&total) / (double)in->n;
    ctx_free(&c);
    return rc;
}

int djm_map_at_k(const djm_txt *in, double *out, char *err, size_t errlen)
{
    return ranked(in, in->prm->k > 0 ? (size_t)in->prm->k : 10, 0, out, err, errlen);
}

int djm_apk(const djm_txt *in, double *out, char *err, size_t errlen)
{
    return djm_map_at_k(in, out, err, errlen);
}

/* ndcg_at_k: mean over rows of NDCG at k with binary relevance (airbnb-recruiting: the true
   country is relevant, everything else not):
     DCG = sum over the first k predicted labels, first occurrences only, of
           [label in answer set] / log2(i + 2)   (i = 0-based position)
     IDCG = sum_{i < min(|answer set|, k)} 1 / log2(i + 2);  NDCG = DCG / IDCG
   With one answer label it is 1 / log2(position + 2), the catalog's formula. An empty
   answer scores 0. k = params.k, default 5 (the catalog's one ndcg competition). */
int djm_ndcg_at_k(const djm_txt *in, double *out, char *err, size_t errlen)
{
    return ranked(in, in->prm->k > 0 ? (size_t)in->prm->k : 5, 1, out, err, errlen);
}

/* ---- sets of labels and words ----------------------------------------------------------- */

/* |A|, |B|, |A & B| of the token sets of two strings (c->t1, c->t2 hold them after). */
static int set_counts(ctx *c, const char *ys, size_t ny, const char *ps, size_t np,
                      size_t *a, size_t *b, size_t *both)
{
    if (ts_reset(&c->t1, ny) < 0 || ts_reset(&c->t2, np) < 0)
        return -1;
    for (size_t t = 0; t < ny; t++)
        ts_insert(&c->t1, ys + c->ys[t].off, c->ys[t].len);
    size_t inter = 0;
    for (size_t t = 0; t < np; t++) {
        const char *s = ps + c->ps[t].off;
        size_t l = c->ps[t].len;
        if (ts_insert(&c->t2, s, l) && ts_has(&c->t1, s, l))
            inter++;
    }
    *a = c->t1.count;
    *b = c->t2.count;
    *both = inter;
    return 0;
}

/* f1_samples: mean over rows of the F1 of the answer's and the prediction's label sets
   (facebook-recruiting-iii, shopee, plant-pathology-2021; sklearn f1_score(average='samples')
   on MultiLabelBinarizer matrices with zero_division=1 gives the same):
     P = |A & B| / |B|,  R = |A & B| / |A|,  F1 = 2 P R / (P + R),  0 when A & B is empty;
   both sets empty scores 1.0 (the catalog's both_empty), one empty 0.0. */
int djm_f1_samples(const djm_txt *in, double *out, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    djm_sum total = {0, 0};
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        const char *ys, *ps;
        size_t ny, np, a, b, both;
        if (split_row(in, &c, i, &ys, &ny, &ps, &np) < 0 ||
            set_counts(&c, ys, ny, ps, np, &a, &b, &both) < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        double f;
        if (a == 0 && b == 0)
            f = 1.0;
        else if (both == 0)
            f = 0.0;
        else {
            double P = (double)both / (double)b, R = (double)both / (double)a;
            f = 2.0 * P * R / (P + R);
        }
        djm_add(&total, f);
    }
    if (rc == 0)
        *out = djm_total(&total) / (double)in->n;
    ctx_free(&c);
    return rc;
}

/* Lowercases s into *buf (UTF-8); returns the length or (size_t)-1. */
static size_t lower_into(const char *s, size_t len, char **buf, size_t *cap)
{
    if (dj_grow((void **)buf, cap, 2 * len + 8, 1) < 0)
        return (size_t)-1;
    const unsigned char *u = (const unsigned char *)s;
    char *o = *buf;
    size_t i = 0, n = 0;
    while (i < len) {
        uint32_t cp, extra;
        size_t l = utf8_next(u + i, len - i, &cp);
        if (cp >= 0xDC80 && cp <= 0xDCFF && l == 1 && u[i] >= 0x80) {
            o[n++] = (char)u[i]; /* an invalid byte stays as it is */
        } else {
            uint32_t lc = lower_cp(cp, &extra);
            n += utf8_put(lc, o + n);
            if (extra)
                n += utf8_put(extra, o + n);
        }
        i += l;
    }
    return n;
}

/* jaccard_word: mean over rows of the Jaccard index of the lowercased word sets
   (tweet-sentiment-extraction, chaii):  |A & B| / |A | B|  with A = set(y.lower().split()),
   B = set(p.lower().split()); both empty scores 1.0 (the catalog's chaii both_empty; the
   tweet task's answers are never empty). Lowercasing: see lower_cp. */
int djm_jaccard_word(const djm_txt *in, double *out, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    djm_sum total = {0, 0};
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        size_t ly, lp;
        const char *y = yrow(in, i, &ly), *p = prow(in, i, &lp);
        size_t my = lower_into(y, ly, &c.lb1, &c.lb1cap);
        size_t mp = my == (size_t)-1 ? my : lower_into(p, lp, &c.lb2, &c.lb2cap);
        size_t ny = 0, np = 0, a, b, both;
        if (mp == (size_t)-1 || (ny = djm_split(c.lb1, my, &c.ys, &c.yscap)) == (size_t)-1 ||
            (np = djm_split(c.lb2, mp, &c.ps, &c.pscap)) == (size_t)-1 ||
            set_counts(&c, c.lb1, ny, c.lb2, np, &a, &b, &both) < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        size_t uni = a + b - both;
        djm_add(&total, uni == 0 ? 1.0 : (double)both / (double)uni);
    }
    if (rc == 0)
        *out = djm_total(&total) / (double)in->n;
    ctx_free(&c);
    return rc;
}

/* ---- Levenshtein ------------------------------------------------------------------------ */

typedef struct lev {
    uint32_t *a, *b;
    size_t acap, bcap;
    uint64_t *peq;   /* (distinct + 1) x blocks masks; slot 0 is all zeros */
    size_t peqcap;
    uint64_t *P, *M; /* vertical deltas, one word per block */
    size_t pcap, mcap;
    uint32_t asc[128];  /* slot of an ASCII character, 0: not in the pattern */
    uint32_t *hk, *hv;  /* open addressing: code point -> slot, for the rest */
    size_t hcap, hmask;
    uint32_t *dist;     /* distinct characters of the pattern, in slot order */
    size_t distcap;
} lev;

static void lev_free(lev *L)
{
    free(L->a);
    free(L->b);
    free(L->peq);
    free(L->P);
    free(L->M);
    free(L->hk);
    free(L->hv);
    free(L->dist);
}

static size_t decode(const char *s, size_t len, uint32_t **buf, size_t *cap)
{
    if (dj_grow((void **)buf, cap, len + 1, sizeof **buf) < 0)
        return (size_t)-1;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        uint32_t cp;
        i += utf8_next(u + i, len - i, &cp);
        (*buf)[n++] = cp;
    }
    return n;
}

static inline uint32_t hslot(const lev *L, uint32_t c)
{
    if (c < 128)
        return L->asc[c];
    if (!L->hcap)
        return 0;
    size_t i = (c * 2654435761u) & L->hmask;
    while (L->hk[i]) {
        if (L->hk[i] == c + 1)
            return L->hv[i];
        i = (i + 1) & L->hmask;
    }
    return 0;
}

/* Edit distance of a[0..m) and b[0..n) (unit costs). -1: out of memory. */
static int64_t lev_distance(lev *L, const uint32_t *a, size_t m, const uint32_t *b, size_t n)
{
    while (m && n && a[0] == b[0]) {
        a++;
        b++;
        m--;
        n--;
    }
    while (m && n && a[m - 1] == b[n - 1]) {
        m--;
        n--;
    }
    if (m > n) { /* the pattern is the shorter */
        const uint32_t *t = a;
        a = b;
        b = t;
        size_t tn = m;
        m = n;
        n = tn;
    }
    if (m == 0)
        return (int64_t)n;
    size_t B = (m + 63) / 64;
    /* distinct characters of the pattern -> slots 1.. */
    if (dj_grow((void **)&L->dist, &L->distcap, m + 1, sizeof *L->dist) < 0)
        return -1;
    size_t nd = 0, nonascii = 0;
    for (size_t i = 0; i < m; i++)
        if (a[i] >= 128)
            nonascii++;
    if (nonascii) {
        size_t cap = 16;
        while (cap < 2 * nonascii + 2)
            cap *= 2;
        if (cap > L->hcap) {
            uint32_t *k2 = realloc(L->hk, cap * sizeof *k2);
            if (!k2)
                return -1;
            L->hk = k2;
            uint32_t *v2 = realloc(L->hv, cap * sizeof *v2);
            if (!v2)
                return -1;
            L->hv = v2;
            L->hcap = cap;
        }
        L->hmask = cap - 1;
        memset(L->hk, 0, cap * sizeof *L->hk);
    } else if (L->hcap) {
        memset(L->hk, 0, (L->hmask + 1) * sizeof *L->hk);
    }
    for (size_t i = 0; i < m; i++) {
        uint32_t c = a[i];
        if (hslot(L, c))
            continue;
        nd++;
        L->dist[nd] = c;
        if (c < 128) {
            L->asc[c] = (uint32_t)nd;
        } else {
            size_t h = (c * 2654435761u) & L->hmask;
            while (L->hk[h])
                h = (h + 1) & L->hmask;
            L->hk[h] = c + 1;
            L->hv[h] = (uint32_t)nd;
        }
    }
    if (dj_grow((void **)&L->peq, &L->peqcap, (nd + 1) * B, sizeof *L->peq) < 0 ||
        dj_grow((void **)&L->P, &L->pcap, B, sizeof *L->P) < 0 ||
        dj_grow((void **)&L->M, &L->mcap, B, sizeof *L->M) < 0)
        return -1;
    memset(L->peq, 0, (nd + 1) * B * sizeof *L->peq);
    for (size_t i = 0; i < m; i++)
        L->peq[(size_t)hslot(L, a[i]) * B + i / 64] |= 1ull << (i % 64);
    uint64_t *P = L->P, *M = L->M;
    for (size_t q = 0; q < B; q++) {
        P[q] = ~0ull;
        M[q] = 0;
    }
    int last = (int)((m - 1) % 64);
    int64_t score = (int64_t)m;
    for (size_t j = 0; j < n; j++) {
        const uint64_t *eq = L->peq + (size_t)hslot(L, b[j]) * B;
        int hin = 1; /* the top row grows by one per column */
        for (size_t q = 0; q < B; q++) {
            uint64_t Pv = P[q], Mv = M[q], Eq = eq[q];
            uint64_t Xv = Eq | Mv;
            if (hin < 0)
                Eq |= 1;
            uint64_t Xh = (((Eq & Pv) + Pv) ^ Pv) | Eq;
            uint64_t Ph = Mv | ~(Xh | Pv);
            uint64_t Mh = Pv & Xh;
            int bit = q == B - 1 ? last : 63;
            int hout = (int)((Ph >> bit) & 1) - (int)((Mh >> bit) & 1);
            Ph <<= 1;
            Mh <<= 1;
            if (hin < 0)
                Mh |= 1;
            else if (hin > 0)
                Ph |= 1;
            P[q] = Mh | ~(Xv | Ph);
            M[q] = Ph & Xv;
            hin = hout;
        }
        score += hin;
    }
    /* forget the ASCII slots for the next pair */
    for (size_t s = 1; s <= nd; s++)
        if (L->dist[s] < 128)
            L->asc[L->dist[s]] = 0;
    return score;
}

/* levenshtein_mean: the mean over rows of the Levenshtein distance (insertions, deletions,
   substitutions, each 1) between the answer and the prediction, counted in Unicode code
   points and not normalized -- python-Levenshtein's distance, as the two catalog
   competitions score (billion-word-imputation: leaderboard ~3.8..5.6 for sentences;
   bms-molecular-translation: 0.5..500 for InChI strings). */
int djm_levenshtein_mean(const djm_txt *in, double *out, char *err, size_t errlen)
{
    lev L;
    memset(&L, 0, sizeof L);
    djm_sum total = {0, 0};
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        size_t ly, lp;
        const char *y = yrow(in, i, &ly), *p = prow(in, i, &lp);
        size_t m = decode(y, ly, &L.a, &L.acap);
        size_t n = m == (size_t)-1 ? m : decode(p, lp, &L.b, &L.bcap);
        int64_t d = n == (size_t)-1 ? -1 : lev_distance(&L, L.a, m, L.b, n);
        if (d < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        djm_add(&total, (double)d);
    }
    if (rc == 0)
        *out = djm_total(&total) / (double)in->n;
    lev_free(&L);
    return rc;
}

/* ---- run-length-encoded masks ------------------------------------------------------------ */

typedef struct run {
    uint64_t a, b; /* pixels a .. b-1 (1-based numbers) */
} run;

typedef struct runs {
    run *r;
    size_t n, cap;
    uint64_t total; /* pixels covered */
} runs;

static int run_cmp(const void *x, const void *y)
{
    const run *p = x, *q = y;
    return (p->a > q->a) - (p->a < q->a);
}

/* Parses "start length start length ..." (1-based starts) into sorted disjoint runs. */
static int parse_rle(const djm_txt *in, ctx *c, size_t row, int side, runs *out, char *err,
                     size_t errlen)
{
    size_t len;
    const char *s = side ? prow(in, row, &len) : yrow(in, row, &len);
    const char *what = side ? "prediction" : "answer";
    size_t nt = djm_split(s, len, &c->ys, &c->yscap);
    if (nt == (size_t)-1)
        return DJM_OOM(err, errlen);
    if (nt % 2)
        return dj_err(err, errlen, "row %zu: the %s's run-length encoding has an odd number of "
                      "values (%zu)", row, what, nt);
    uint64_t npix = (uint64_t)in->prm->height * (uint64_t)in->prm->width;
    out->n = 0;
    out->total = 0;
    if (dj_grow((void **)&out->r, &out->cap, nt / 2 + 1, sizeof *out->r) < 0)
        return DJM_OOM(err, errlen);
    int sorted = 1;
    for (size_t t = 0; t < nt; t += 2) {
        uint64_t v[2];
        for (int q = 0; q < 2; q++) {
            const char *tok = s + c->ys[t + q].off;
            size_t tl = c->ys[t + q].len;
            uint64_t x = 0;
            int ok = tl > 0 && tl <= 18;
            for (size_t z = 0; ok && z < tl; z++) {
                if (tok[z] < '0' || tok[z] > '9')
                    ok = 0;
                else
                    x = x * 10 + (uint64_t)(tok[z] - '0');
            }
            if (!ok)
                return dj_err(err, errlen, "row %zu: the %s's run-length encoding holds "
                              "'%.*s', not a whole number", row, what, (int)(tl > 40 ? 40 : tl),
                              tok);
            v[q] = x;
        }
        if (v[0] == 0)
            return dj_err(err, errlen, "row %zu: the %s's run-length encoding starts a run at "
                          "pixel 0 (pixels are numbered from 1)", row, what);
        if (v[1] == 0)
            return dj_err(err, errlen, "row %zu: the %s's run-length encoding has a run of "
                          "length 0", row, what);
        if (npix && v[0] + v[1] - 1 > npix)
            return dj_err(err, errlen, "row %zu: the %s's run-length encoding reaches pixel "
                          "%llu, beyond the %lld x %lld image", row, what,
                          (unsigned long long)(v[0] + v[1] - 1), (long long)in->prm->height,
                          (long long)in->prm->width);
        run r = {v[0], v[0] + v[1]};
        if (out->n && r.a < out->r[out->n - 1].a)
            sorted = 0;
        out->r[out->n++] = r;
    }
    if (!sorted)
        qsort(out->r, out->n, sizeof *out->r, run_cmp);
    /* merge overlapping or touching runs */
    size_t w = 0;
    for (size_t t = 0; t < out->n; t++) {
        if (w && out->r[t].a <= out->r[w - 1].b) {
            if (out->r[t].b > out->r[w - 1].b)
                out->r[w - 1].b = out->r[t].b;
        } else {
            out->r[w++] = out->r[t];
        }
    }
    out->n = w;
    for (size_t t = 0; t < w; t++)
        out->total += out->r[t].b - out->r[t].a;
    return 0;
}

static uint64_t intersect(const runs *x, const runs *y)
{
    uint64_t s = 0;
    size_t i = 0, j = 0;
    while (i < x->n && j < y->n) {
        uint64_t lo = x->r[i].a > y->r[j].a ? x->r[i].a : y->r[j].a;
        uint64_t hi = x->r[i].b < y->r[j].b ? x->r[i].b : y->r[j].b;
        if (hi > lo)
            s += hi - lo;
        if (x->r[i].b < y->r[j].b)
            i++;
        else
            j++;
    }
    return s;
}

enum { MASK_DICE, MASK_IOU, MASK_F05 };

static int mask_metric(const djm_txt *in, int which, double *out, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    runs A = {0}, B = {0};
    djm_sum total = {0, 0};
    int rc = 0;
    /* numpy.arange(0.5, 1.0, 0.05): start + i * ((start + step) - start) */
    double delta = (0.5 + 0.05) - 0.5;
    for (size_t i = 0; i < in->n; i++) {
        if (parse_rle(in, &c, i, 0, &A, err, errlen) < 0 ||
            parse_rle(in, &c, i, 1, &B, err, errlen) < 0) {
            rc = -1;
            break;
        }
        uint64_t inter = intersect(&A, &B);
        double v;
        if (which == MASK_DICE) {
            v = (A.total + B.total == 0) ? 1.0
                                         : (double)(2 * inter) / (double)(A.total + B.total);
        } else if (which == MASK_F05) {
            /* (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP), b = 0.5 */
            double tp = (double)inter, fn = (double)(A.total - inter), fp = (double)(B.total - inter);
            v = (A.total + B.total == 0) ? 1.0 : 1.25 * tp / (1.25 * tp + 0.25 * fn + fp);
        } else {
            uint64_t uni = A.total + B.total - inter;
            double iou = uni == 0 ? 1.0 : (double)inter / (double)uni;
            int hits = 0;
            for (int t = 0; t < 10; t++)
                if (iou >= 0.5 + t * delta)
                    hits++;
            v = hits / 10.0;
        }
        djm_add(&total, v);
    }
    if (rc == 0)
        *out = djm_total(&total) / (double)in->n;
    free(A.r);
    free(B.r);
    ctx_free(&c);
    return rc;
}

/* dice_rle: mean over rows (images) of the Dice coefficient 2 |A & B| / (|A| + |B|) of the
   answer's and the prediction's masks (hubmap-kidney-segmentation), empty vs empty scoring
   1.0 (the catalog's empty_vs_empty). Masks are Kaggle run-length encodings "start length
   ..." with 1-based pixel numbers (column-major over height x width; Dice only depends on
   the pixel sets, so the order does not matter); runs may overlap or come unsorted (their
   union counts). params.height and width, when set, bound the pixel numbers; a start of 0,
   a length of 0, an odd count or a token that is not a whole number is an error. */
int djm_dice_rle(const djm_txt *in, double *out, char *err, size_t errlen)
{
    return mask_metric(in, MASK_DICE, out, err, errlen);
}

/* f05_rle: vesuvius-challenge-ink-detection's score -- the mean over rows (fragments) of the
   pixel F0.5 score of the answer's and the prediction's RLE masks (as in dice_rle), empty vs
   empty scoring 1.0. */
int djm_f05_rle(const djm_txt *in, double *out, char *err, size_t errlen)
{
    return mask_metric(in, MASK_F05, out, err, errlen);
}

/* iou_map: tgs-salt-identification-challenge's score: each row holds one mask per side (RLE
   as in dice_rle); IoU = |A & B| / |A | B|, 1.0 when both are empty; the image scores the
   fraction of the thresholds t in numpy.arange(0.5, 1.0, 0.05) (ten of them, with numpy's
   rounding: 0.6000000000000001 ...) with IoU >= t -- the single-object case of "TP / (TP + FP
   + FN)" -- and the metric is the mean over images. */
int djm_iou_map(const djm_txt *in, double *out, char *err, size_t errlen)
{
    return mask_metric(in, MASK_IOU, out, err, errlen);
}

/* ---- boxes ------------------------------------------------------------------------------- */

typedef struct box {
    double conf, x, y, w, h;
    size_t order;
} box;

static int box_cmp(const void *p, const void *q)
{
    const box *a = p, *b = q;
    if (a->conf != b->conf)
        return a->conf < b->conf ? 1 : -1; /* descending confidence */
    return (a->order > b->order) - (a->order < b->order); /* stable */
}

static int parse_boxes(const char *s, size_t len, size_t row, const char *what, ctx *c,
                       box **out, size_t *cap, size_t *nb, char *err, size_t errlen)
{
    size_t nt = djm_split(s, len, &c->ys, &c->yscap);
    if (nt == (size_t)-1)
        return DJM_OOM(err, errlen);
    if (nt % 5)
        return dj_err(err, errlen, "row %zu: the %s holds %zu numbers, not groups of five "
                      "(conf x y width height)", row, what, nt);
    *nb = nt / 5;
    if (dj_grow((void **)out, cap, *nb + 1, sizeof **out) < 0)
        return DJM_OOM(err, errlen);
    for (size_t b = 0; b < *nb; b++) {
        double v[5];
        for (int q = 0; q < 5; q++) {
            const djm_span *sp = &c->ys[b * 5 + (size_t)q];
            char tok[64];
            char *end;
            if (sp->len >= sizeof tok)
                return dj_err(err, errlen, "row %zu: the %s holds a number too long to read",
                              row, what);
            memcpy(tok, s + sp->off, sp->len);
            tok[sp->len] = 0;
            v[q] = dj_strtod(tok, &end);
            if (end == tok || *end || !isfinite(v[q]))
                return dj_err(err, errlen, "row %zu: the %s holds '%s', not a finite number",
                              row, what, tok);
        }
        if (v[3] < 0 || v[4] < 0)
            return dj_err(err, errlen, "row %zu: box %zu of the %s has a negative width or "
                          "height", row, b + 1, what);
        box bx = {v[0], v[1], v[2], v[3], v[4], b};
        (*out)[b] = bx;
    }
    return 0;
}

/* IoU of two "x y w h" boxes, as the catalog's reference compute_iou: continuous areas,
   0 when the union is empty. */
static double box_iou(const box *a, const box *b)
{
    double xA = a->x > b->x ? a->x : b->x, yA = a->y > b->y ? a->y : b->y;
    double ax2 = a->x + a->w, bx2 = b->x + b->w, ay2 = a->y + a->h, by2 = b->y + b->h;
    double xB = ax2 < bx2 ? ax2 : bx2, yB = ay2 < by2 ? ay2 : by2;
    double iw = xB - xA > 0 ? xB - xA : 0, ih = yB - yA > 0 ? yB - yA : 0;
    double inter = iw * ih;
    double uni = a->w * a->h + b->w * b->h - inter;
    return uni == 0 ? 0.0 : inter / uni;
}

/* iou_map_boxes: global-wheat-detection's score (the catalog's iou_map variant with boxes):
   each row holds boxes "conf x y w h ..." (answers: the same format, conf ignored). Per
   image and per IoU threshold t in {0.5, 0.55, 0.6, 0.65, 0.7, 0.75}, predictions are taken
   by descending confidence (ties in their order) and each matches the unmatched answer box
   of highest IoU (the first such) when that IoU >= t; then TP / (TP + FP + FN). The image
   scores the mean over the thresholds; an image without answer boxes scores 0.0 (the
   catalog's image_without_gt_scores); the metric is the mean over images. Cost
   O(predictions x answers) per image. */
int djm_iou_map_boxes(const djm_txt *in, double *out, char *err, size_t errlen)
{
    static const double thr[6] = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75};
    ctx c;
    memset(&c, 0, sizeof c);
    box *gt = NULL, *pr = NULL;
    size_t gcap = 0, pcap = 0;
    unsigned char *matched = NULL;
    size_t mcap = 0;
    djm_sum total = {0, 0};
    int rc = 0;
    for (size_t i = 0; i < in->n && rc == 0; i++) {
        size_t ly, lp, ng, np;
        const char *y = yrow(in, i, &ly), *p = prow(in, i, &lp);
        if (parse_boxes(y, ly, i, "answer", &c, &gt, &gcap, &ng, err, errlen) < 0 ||
            parse_boxes(p, lp, i, "prediction", &c, &pr, &pcap, &np, err, errlen) < 0) {
            rc = -1;
            break;
        }
        if (ng == 0)
            continue; /* scores 0 */
        qsort(pr, np, sizeof *pr, box_cmp);
        if (dj_grow((void **)&matched, &mcap, 6 * ng, 1) < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        memset(matched, 0, 6 * ng);
        size_t tp[6] = {0};
        for (size_t q = 0; q < np; q++) {
            double best[6] = {0};
            size_t bi[6];
            for (int t = 0; t < 6; t++)
                bi[t] = SIZE_MAX;
            for (size_t g = 0; g < ng; g++) {
                double iou = box_iou(&pr[q], &gt[g]);
                for (int t = 0; t < 6; t++)
                    if (!matched[t * ng + g] && iou >= thr[t] && iou > best[t]) {
                        best[t] = iou;
                        bi[t] = g;
                    }
            }
            for (int t = 0; t < 6; t++)
                if (bi[t] != SIZE_MAX) {
                    matched[t * ng + bi[t]] = 1;
                    tp[t]++;
                }
        }
        double s = 0;
        for (int t = 0; t < 6; t++) {
            size_t fp = np - tp[t], fn = ng - tp[t];
            s += (double)tp[t] / (double)(tp[t] + fp + fn);
        }
        djm_add(&total, s / 6.0);
    }
    if (rc == 0)
        *out = djm_total(&total) / (double)in->n;
    free(gt);
    free(pr);
    free(matched);
    ctx_free(&c);
    return rc;
}
