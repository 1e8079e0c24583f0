/*
 * sequences.c -- TEXT metrics where each row is an ordered sequence or a set of spans:
 *   kendall_tau_orders             AI4Code: 1 - 4 * inversions / sum n (n - 1) over notebooks
 *   spearman_mean_rows             draper-satellite-image-chronology: mean per-row Spearman
 *   levenshtein_tokens_normalized  multi-modal-gesture-recognition: token edit distance, summed,
 *                                  over the answers' total token count
 *   span_micro_f1                  nbme-score-clinical-patient-notes: micro F1 of character
 *                                  spans "start end;start end"
 *
 * Theory of operation: rows are split into tokens as Python's str.split() does (djm_split).
 * A prediction of an ordering is checked to be a permutation of the answer's tokens (an
 * unknown, missing or repeated token is an error naming the row); tokens are matched through
 * a small open-addressing table rebuilt per row, and inversions are counted by merge sort,
 * O(m log m) per row. The token edit distance is the classic two-row dynamic programme over
 * token ids, O(m n) per row. Spans are parsed into [start, end) intervals, sorted and merged
 * (overlaps count once, as a set of character indices), and intersected by a linear sweep.
 */
#include <stdlib.h>

#include "metrics_internal.h"

typedef struct tokmap {
    size_t *slot; /* token index + 1; 0 = empty */
    size_t cap;
} tokmap;

static uint64_t hash_tok(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 31);
}

typedef struct seqctx {
    djm_span *ys, *ps;
    size_t yscap, pscap;
    tokmap map;
    uint32_t *a, *tmp;
    size_t acap, tcap;
    size_t *d0, *d1;
    size_t dcap0, dcap1;
} seqctx;

static void seq_free(seqctx *c)
{
    free(c->ys);
    free(c->ps);
    free(c->map.slot);
    free(c->a);
    free(c->tmp);
    free(c->d0);
    free(c->d1);
}

static int split2(const djm_txt *in, seqctx *c, size_t i, const char **y, size_t *ny,
                  const char **p, size_t *np)
{
    *y = in->yd + in->yo[i];
    *p = in->pd + in->po[i];
    *ny = djm_split(*y, (size_t)(in->yo[i + 1] - in->yo[i]), &c->ys, &c->yscap);
    *np = djm_split(*p, (size_t)(in->po[i + 1] - in->po[i]), &c->ps, &c->pscap);
    return (*ny == (size_t)-1 || *np == (size_t)-1) ? -1 : 0;
}

/* Builds the map of the answer's tokens (y, spans ys[0..m)); -1 OOM, -2 a repeated token
   (its index in *dup). */
static int map_build(seqctx *c, const char *y, size_t m, size_t *dup)
{
    size_t cap = 16;
    while (cap < 2 * m + 2)
        cap *= 2;
    if (cap > c->map.cap) {
        free(c->map.slot);
        c->map.slot = malloc(cap * sizeof *c->map.slot);
        if (!c->map.slot) {
            c->map.cap = 0;
            return -1;
        }
        c->map.cap = cap;
    }
    memset(c->map.slot, 0, cap * sizeof *c->map.slot);
    for (size_t t = 0; t < m; t++) {
        const char *s = y + c->ys[t].off;
        size_t len = c->ys[t].len;
        size_t h = (size_t)hash_tok(s, len) & (cap - 1);
        while (c->map.slot[h]) {
            size_t o = c->map.slot[h] - 1;
            if (c->ys[o].len == len && memcmp(y + c->ys[o].off, s, len) == 0) {
                *dup = t;
                return -2;
            }
            h = (h + 1) & (cap - 1);
        }
        c->map.slot[h] = t + 1;
    }
    return 0;
}

/* The answer token index of s, or (size_t)-1. */
static size_t map_find(const seqctx *c, const char *y, size_t m, const char *s, size_t len)
{
    size_t cap = 16;
    while (cap < 2 * m + 2)
        cap *= 2;
    size_t h = (size_t)hash_tok(s, len) & (cap - 1);
    while (c->map.slot[h]) {
        size_t o = c->map.slot[h] - 1;
        if (c->ys[o].len == len && memcmp(y + c->ys[o].off, s, len) == 0)
            return o;
        h = (h + 1) & (cap - 1);
    }
    return (size_t)-1;
}

static uint64_t merge_count(uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return 0;
    size_t h = n / 2;
    uint64_t inv = merge_count(a, tmp, h) + merge_count(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (a[i] <= a[j])
            tmp[k++] = a[i++];
        else {
            inv += h - i;
            tmp[k++] = a[j++];
        }
    }
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
    return inv;
}

#define TOK(s, sp) (int)((sp).len > 40 ? 40 : (sp).len), (s) + (sp).off

/* Maps row i's prediction to answer positions in c->a (a permutation check). */
static int row_ranks(const djm_txt *in, seqctx *c, size_t i, size_t *m, char *err, size_t errlen)
{
    const char *y, *p;
    size_t ny, np, dup = 0;
    if (split2(in, c, i, &y, &ny, &p, &np) < 0)
        return DJM_OOM(err, errlen);
    if (ny > UINT32_MAX)
        return dj_err(err, errlen, "row %zu: too many tokens", i);
    int rc = map_build(c, y, ny, &dup);
    if (rc == -1)
        return DJM_OOM(err, errlen);
    if (rc == -2)
        return dj_err(err, errlen, "row %zu: the answer repeats '%.*s'", i, TOK(y, c->ys[dup]));
    if (np != ny)
        return dj_err(err, errlen, "row %zu: the prediction orders %zu items but the answer has "
                      "%zu", i, np, ny);
    if (dj_grow((void **)&c->a, &c->acap, ny + 1, sizeof *c->a) < 0 ||
        dj_grow((void **)&c->tmp, &c->tcap, ny + 1, sizeof *c->tmp) < 0)
        return DJM_OOM(err, errlen);
    /* tmp marks the answer tokens already seen in the prediction */
    memset(c->tmp, 0, ny * sizeof *c->tmp);
    for (size_t t = 0; t < np; t++) {
        size_t o = map_find(c, y, ny, p + c->ps[t].off, c->ps[t].len);
        if (o == (size_t)-1)
            return dj_err(err, errlen, "row %zu: the prediction has '%.*s', which the answer "
                          "does not", i, TOK(p, c->ps[t]));
        if (c->tmp[o])
            return dj_err(err, errlen, "row %zu: the prediction repeats '%.*s'", i,
                          TOK(p, c->ps[t]));
        c->tmp[o] = 1;
        c->a[t] = (uint32_t)o;
    }
    *m = ny;
    return 0;
}

/* kendall_tau_orders: AI4Code's metric. For each row (a notebook) the answer is the true
   order of its cell ids and the prediction a permutation of them; with ranks = the true
   position of each predicted id, score = 1 - 4 * sum(inversions(ranks)) / sum(n (n - 1)). */
int djm_kendall_tau_orders(const djm_txt *in, double *out, char *err, size_t errlen)
{
    seqctx c;
    memset(&c, 0, sizeof c);
    uint64_t inv = 0;
    double max2 = 0;
    int rc = 0;
    for (size_t i = 0; i < in->n && rc == 0; i++) {
        size_t m = 0;
        if (row_ranks(in, &c, i, &m, err, errlen) < 0) {
            rc = -1;
            break;
        }
        inv += merge_count(c.a, c.tmp, m);
        max2 += (double)m * (double)(m - (m > 0));
    }
    if (rc == 0 && max2 == 0)
        rc = dj_err(err, errlen, "kendall_tau_orders is undefined when no row has 2 items");
    if (rc == 0)
        *out = 1.0 - 4.0 * (double)inv / max2;
    seq_free(&c);
    return rc;
}

/* Parses a token as a finite double (C locale). */
static int tok_number(const char *s, size_t len, double *v)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *end;
    *v = dj_strtod(buf, &end);
    return (*end || !isfinite(*v)) ? -1 : 0;
}

/* spearman_mean_rows: draper's metric. Each row holds the same number of space-separated
   numbers on both sides (the day order of a set's images); the row scores scipy's
   spearmanr of the two vectors (Pearson of average ranks); the metric is the mean over
   rows. A row whose either side is constant has no correlation: error. */
int djm_spearman_mean_rows(const djm_txt *in, double *out, char *err, size_t errlen)
{
    seqctx c;
    memset(&c, 0, sizeof c);
    double *x = NULL, *yv = NULL, *rx = NULL, *ry = NULL;
    size_t cap = 0;
    djm_sum s = {0, 0};
    int rc = 0;
    for (size_t i = 0; i < in->n && rc == 0; i++) {
        const char *y, *p;
        size_t ny, np;
        if (split2(in, &c, i, &y, &ny, &p, &np) < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        if (ny != np) {
            rc = dj_err(err, errlen, "row %zu: the prediction has %zu values but the answer has "
                        "%zu", i, np, ny);
            break;
        }
        if (ny > cap) {
            size_t nc = ny * 2;
            double *a = realloc(x, nc * sizeof *a), *b, *d, *e;
            if (!a) { rc = DJM_OOM(err, errlen); break; }
            x = a;
            if (!(b = realloc(yv, nc * sizeof *b))) { rc = DJM_OOM(err, errlen); break; }
            yv = b;
            if (!(d = realloc(rx, nc * sizeof *d))) { rc = DJM_OOM(err, errlen); break; }
            rx = d;
            if (!(e = realloc(ry, nc * sizeof *e))) { rc = DJM_OOM(err, errlen); break; }
            ry = e;
            cap = nc;
        }
        for (size_t t = 0; t < ny && rc == 0; t++) {
            if (tok_number(y + c.ys[t].off, c.ys[t].len, &yv[t]) < 0)
                rc = dj_err(err, errlen, "row %zu: the answer holds '%.*s', not a number", i,
                            TOK(y, c.ys[t]));
            else if (tok_number(p + c.ps[t].off, c.ps[t].len, &x[t]) < 0)
                rc = dj_err(err, errlen, "row %zu: the prediction holds '%.*s', not a number", i,
                            TOK(p, c.ps[t]));
        }
        if (rc)
            break;
        double r;
        int which;
        if (djm_rank_average(yv, ny, 1, ry) < 0 || djm_rank_average(x, ny, 1, rx) < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        if (djm_pearson_core(ry, 1, rx, 1, ny, &r, &which)) {
            rc = dj_err(err, errlen, "row %zu: the Spearman correlation is undefined (%s)", i,
                        which == 2 ? "fewer than 2 values" :
                        which == 0 ? "the answer is constant" : "the prediction is constant");
            break;
        }
        djm_add(&s, r);
    }
    if (rc == 0)
        *out = djm_total(&s) / (double)in->n;
    free(x);
    free(yv);
    free(rx);
    free(ry);
    seq_free(&c);
    return rc;
}

/* levenshtein_tokens_normalized: the gesture competition's score -- the sum over rows of the
   edit distance between the answer's and the prediction's token sequences (each insertion,
   deletion or substitution of a token costs 1), divided by the answers' total number of
   tokens. */
int djm_levenshtein_tokens_normalized(const djm_txt *in, double *out, char *err, size_t errlen)
{
    seqctx c;
    memset(&c, 0, sizeof c);
    double dist = 0, total = 0;
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        const char *y, *p;
        size_t ny, np;
        if (split2(in, &c, i, &y, &ny, &p, &np) < 0 ||
            dj_grow((void **)&c.d0, &c.dcap0, np + 1, sizeof *c.d0) < 0 ||
            dj_grow((void **)&c.d1, &c.dcap1, np + 1, sizeof *c.d1) < 0) {
            rc = DJM_OOM(err, errlen);
            break;
        }
        size_t *d0 = c.d0, *d1 = c.d1;
        for (size_t j = 0; j <= np; j++)
            d0[j] = j;
        for (size_t a = 1; a <= ny; a++) {
            d1[0] = a;
            const char *sa = y + c.ys[a - 1].off;
            size_t la = c.ys[a - 1].len;
            for (size_t b = 1; b <= np; b++) {
                int same = c.ps[b - 1].len == la && memcmp(p + c.ps[b - 1].off, sa, la) == 0;
                size_t v = d0[b - 1] + (same ? 0 : 1);
                if (d0[b] + 1 < v)
                    v = d0[b] + 1;
                if (d1[b - 1] + 1 < v)
                    v = d1[b - 1] + 1;
                d1[b] = v;
            }
            size_t *t = d0;
            d0 = d1;
            d1 = t;
        }
        dist += (double)d0[np];
        total += (double)ny;
    }
    if (rc == 0 && total == 0)
        rc = dj_err(err, errlen, "levenshtein_tokens_normalized is undefined when the answers "
                    "hold no tokens");
    if (rc == 0)
        *out = dist / total;
    seq_free(&c);
    return rc;
}

typedef struct ival {
    int64_t a, b;
} ival;

static int ival_cmp(const void *x, const void *y)
{
    const ival *p = x, *q = y;
    return (p->a > q->a) - (p->a < q->a);
}

/* Parses "start end;start end..." (a row may be empty) into sorted, merged intervals. */
static int parse_spans(const char *s, size_t len, ival **v, size_t *cap, size_t *n,
                       int64_t *total, size_t row, const char *what, char *err, size_t errlen)
{
    *n = 0;
    *total = 0;
    size_t i = 0;
    while (i < len) {
        int64_t num[2];
        for (int q = 0; q < 2; q++) {
            while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
            size_t st = i;
            int64_t x = 0;
            while (i < len && s[i] >= '0' && s[i] <= '9' && i - st < 15)
                x = x * 10 + (s[i++] - '0');
            if (i == st || (i < len && s[i] >= '0' && s[i] <= '9'))
                return dj_err(err, errlen, "row %zu: the %s's spans are not 'start end;start "
                              "end' pairs of whole numbers (at byte %zu)", row, what, i);
            num[q] = x;
        }
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < len && s[i] != ';')
            return dj_err(err, errlen, "row %zu: the %s's spans are not 'start end;start end' "
                          "pairs of whole numbers (at byte %zu)", row, what, i);
        if (i < len)
            i++;
        if (num[1] < num[0])
            return dj_err(err, errlen, "row %zu: the %s has a span %lld %lld that ends before "
                          "it starts", row, what, (long long)num[0], (long long)num[1]);
        if (dj_grow((void **)v, cap, *n + 1, sizeof **v) < 0)
            return DJM_OOM(err, errlen);
        (*v)[(*n)++] = (ival){num[0], num[1]};
    }
    qsort(*v, *n, sizeof **v, ival_cmp);
    size_t w = 0;
    for (size_t t = 0; t < *n; t++) {
        if (w && (*v)[t].a <= (*v)[w - 1].b) {
            if ((*v)[t].b > (*v)[w - 1].b)
                (*v)[w - 1].b = (*v)[t].b;
        } else
            (*v)[w++] = (*v)[t];
    }
    *n = w;
    for (size_t t = 0; t < w; t++)
        *total += (*v)[t].b - (*v)[t].a;
    return 0;
}

/* span_micro_f1: NBME's metric -- each row holds character spans "start end" (end
   exclusive) separated by ';' (or nothing); over all rows, TP = the characters in both the
   answer's and the prediction's spans, and F1 = 2 TP / (|answer| + |prediction|), 0 when
   both are empty (scikit-learn's f1_score on the character indicator vectors). */
int djm_span_micro_f1(const djm_txt *in, double *out, char *err, size_t errlen)
{
    ival *A = NULL, *B = NULL;
    size_t ca = 0, cb = 0;
    double tp = 0, ta = 0, tb = 0;
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        size_t na, nb;
        int64_t sa, sb;
        if (parse_spans(in->yd + in->yo[i], (size_t)(in->yo[i + 1] - in->yo[i]), &A, &ca, &na,
                        &sa, i, "answer", err, errlen) < 0 ||
            parse_spans(in->pd + in->po[i], (size_t)(in->po[i + 1] - in->po[i]), &B, &cb, &nb,
                        &sb, i, "prediction", err, errlen) < 0) {
            rc = -1;
            break;
        }
        size_t x = 0, z = 0;
        while (x < na && z < nb) {
            int64_t lo = A[x].a > B[z].a ? A[x].a : B[z].a;
            int64_t hi = A[x].b < B[z].b ? A[x].b : B[z].b;
            if (hi > lo)
                tp += (double)(hi - lo);
            if (A[x].b < B[z].b)
                x++;
            else
                z++;
        }
        ta += (double)sa;
        tb += (double)sb;
    }
    if (rc == 0)
        *out = (ta + tb) == 0 ? 0.0 : 2 * tp / (ta + tb);
    free(A);
    free(B);
    return rc;
}
