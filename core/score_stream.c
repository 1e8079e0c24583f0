/*
 * score_stream.c -- scoring a submission while it is read, without storing it: the common clean
 * case of grading, one column of numbers keyed by the answers' integer ids.
 *
 * Theory of operation. Most metrics do not depend on the order of the rows: a mean of cell
 * losses (mse, rmse, mae), or an area computed from the positives' and the negatives'
 * scores (roc_auc). So the submission need not be put in the answers' order (a random write
 * per row into an array of the answers' size, whose cache and TLB misses cost more than the
 * parsing) nor stored at all: the CSV reader's streaming mode (dj_csv_stream, core/csv.c)
 * parses the file on one or two threads, finds each record's answer row through the index,
 * checks that no row comes twice and that every row comes, and hands batches of (row,
 * value) to a sink here, one state per thread:
 *   - mean losses: the answer at the row (a random read, prefetched by the reader) and the
 *     value give cell_loss (regression.c's), summed with compensation per thread;
 *   - roc_auc: the answers' labels are first packed into a bitmap (1.25 MB for 10M rows,
 *     which stays in the caches, where the answers' 80 MB column would not), and each value
 *     goes, as its sort key (djm_key), to its group -- class and part of the split -- in one
 *     buffer of m keys whose group sizes the answers give: thread 0 fills each group up from
 *     its start, thread 1 down from its end, so a clean read fills it exactly and each class
 *     ends in one piece; djm_auc_keys (ranking.c) then sorts and walks each part and the
 *     whole.
 * With Kaggle's split column (Public / Private) every sink keeps the two parts apart, and the
 * whole and both parts are scored in the one pass.
 * Anything but the clean case -- a record that is not plain numbers, an unknown or repeated
 * id, a missing row, a value that is NaN or infinite (or, for rmsle, negative), an answer
 * that is not 0 or 1 for roc_auc, a single class -- makes dojo_score_stream return 0 and the
 * caller grades the ordinary way, which finds the problem and words it. The score equals
 * the ordinary path's: exactly for roc_auc (an integer area), to the last bits for the
 * sums (compensated, in another order).
 */
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#include "metrics/metrics_internal.h"
#include "table_internal.h"

/* ---- mean of cell losses ---------------------------------------------------------------- */

/* Kaggle's public/private split: part[r] is 0 (public) or 1 (private) for answers row r;
   a sink sums each part apart (sum[0] only without a split). */
typedef struct loss_sink {
    const double *yf;  /* the answers' column: floats, or */
    const int64_t *yi; /* ints */
    int op;            /* DJM_OP_* */
    const uint8_t *part;
    djm_sum sum[2];
} loss_sink;

static int loss_batch(void *ctx, const uint32_t *rows, const double *vals, size_t n, size_t nv)
{
    loss_sink *k = ctx;
    double y[DJ_STREAM_BATCH];
    (void)nv;
    /* the answers first, in a loop of independent loads (their misses overlap), then the sum */
    if (k->yf)
        for (size_t i = 0; i < n; i++)
            y[i] = k->yf[rows[i]];
    else
        for (size_t i = 0; i < n; i++)
            y[i] = (double)k->yi[rows[i]];
    const int op = k->op;
    const uint8_t *part = k->part;
    djm_sum s0 = k->sum[0], s1 = k->sum[1];
    for (size_t i = 0; i < n; i++) {
        double p = vals[i];
        if (!isfinite(p) || (op == DJM_OP_SQLOG && (p < 0 || y[i] < 0)))
            return -1;
        double l = djm_cell_loss(op, y[i], p);
        if (part && part[rows[i]])
            djm_add(&s1, l);
        else
            djm_add(&s0, l);
    }
    k->sum[0] = s0;
    k->sum[1] = s1;
    return 0;
}

/* The parts of a split: the answers' split column as part codes (0 Public, 1 Private, in any
   case, as grading reads it) and the rows of each; -1 for anything else. */
typedef struct split {
    uint8_t *part; /* NULL: no split */
    size_t n[2];
} split;

static int split_codes(const dj_col *c, size_t m, split *sp)
{
    if (c->type != DOJO_TYPE_STRING || c->nmissing || !(sp->part = malloc(m ? m : 1)))
        return -1;
    for (size_t r = 0; r < m; r++) {
        const char *v = c->chars + c->offsets[r];
        size_t len = (size_t)(c->offsets[r + 1] - c->offsets[r]);
        if (len == 6 && strncasecmp(v, "public", 6) == 0)
            sp->part[r] = 0;
        else if (len == 7 && strncasecmp(v, "private", 7) == 0)
            sp->part[r] = 1;
        else
            return -1;
        sp->n[sp->part[r]]++;
    }
    return 0;
}

/* ---- roc_auc: the classes' keys ---------------------------------------------------------- */

/* The keys go to four groups, by class and part (with no split every row is in part 0):
   positives of part 0, of part 1, negatives of part 0, of part 1, in that order in one
   buffer of m keys, so that each class (both parts) is in one piece too. Each group's size
   is known from the answers; thread 0 fills a group up from its start and thread 1 down
   from its end, so a clean read fills it exactly. (Each thread's rows are distinct, so each
   stays inside a group's slots; rows in both threads make the read refused anyway.) */
typedef struct auc_sink {
    const uint64_t *label; /* bit r: the answer of row r is 1 */
    const uint8_t *part;   /* the split's part of row r, or NULL */
    uint64_t *keys;
    size_t next[4];        /* the next slot of each group */
    size_t count[4];       /* keys this sink wrote to each group */
    size_t ready[4];       /* the group's slots mapped ahead of next, up to here */
    size_t lo[4], hi[4];   /* the group's slots */
    int down;              /* 1: this sink fills downwards */
} auc_sink;

#define READY_AHEAD ((size_t)1 << 17) /* cells mapped ahead at a time (1 MiB) */

/* Maps the pages of cells [a, b) of an array of 8-byte cells in one call rather than a fault
   per page. */
static void map_cells(void *cells, size_t a, size_t b) { dj_populate(cells, a * 8, b * 8); }

/* Maps each group's slots a step ahead of where this sink writes next. */
static void auc_ready(auc_sink *k, size_t n)
{
    for (int g = 0; g < 4; g++) {
        if (!k->down && k->next[g] + n > k->ready[g] && k->ready[g] < k->hi[g]) {
            size_t e = k->ready[g] + READY_AHEAD < k->hi[g] ? k->ready[g] + READY_AHEAD : k->hi[g];
            map_cells(k->keys, k->ready[g], e);
            k->ready[g] = e;
        } else if (k->down && k->next[g] + 1 < k->ready[g] + n && k->ready[g] > k->lo[g]) {
            size_t b = k->ready[g] > k->lo[g] + READY_AHEAD ? k->ready[g] - READY_AHEAD : k->lo[g];
            map_cells(k->keys, b, k->ready[g]);
            k->ready[g] = b;
        }
    }
}

static inline size_t auc_group(const auc_sink *k, uint32_t r)
{
    size_t pos = (size_t)(k->label[r >> 6] >> (r & 63) & 1);
    return (1 - pos) * 2 + (k->part ? k->part[r] : 0);
}

static int auc_batch(void *ctx, const uint32_t *rows, const double *vals, size_t n, size_t nv)
{
    auc_sink *k = ctx;
    (void)nv;
    auc_ready(k, n);
    uint64_t *keys = k->keys;
    size_t next[4] = {k->next[0], k->next[1], k->next[2], k->next[3]};
    const size_t step = k->down ? (size_t)-1 : 1;
    for (size_t i = 0; i < n; i++) {
        double p = vals[i];
        if (!isfinite(p))
            return -1;
        size_t g = auc_group(k, rows[i]);
        keys[next[g]] = djm_key(p);
        next[g] += step;
    }
    for (int g = 0; g < 4; g++) {
        k->count[g] += k->down ? k->next[g] - next[g] : next[g] - k->next[g];
        k->next[g] = next[g];
    }
    return 0;
}

/* The answers' 0/1 column as a bitmap of its ones, 64 rows a word, without a branch on the
   value; words [w0, w1) on one thread of two. */
typedef struct label_part {
    const dj_col *c;
    size_t m, w0, w1;
    uint64_t *bits;
    size_t ones;
    int bad; /* a value other than 0 and 1 */
} label_part;

static void label_words(void *arg)
{
    label_part *t = arg;
    const int ints = t->c->type == DOJO_TYPE_INT;
    size_t ones = 0;
    uint64_t bad = 0;
    for (size_t w = t->w0; w < t->w1; w++) {
        size_t r0 = w * 64, r1 = r0 + 64 < t->m ? r0 + 64 : t->m;
        uint64_t word = 0;
        if (ints) {
            const int64_t *v = t->c->ints;
            for (size_t r = r0; r < r1; r++) {
                word |= (uint64_t)(v[r] == 1) << (r - r0);
                bad |= (uint64_t)v[r] > 1;
            }
        } else {
            const double *v = t->c->floats;
            for (size_t r = r0; r < r1; r++) {
                word |= (uint64_t)(v[r] == 1) << (r - r0);
                bad |= !(v[r] == 0 || v[r] == 1);
            }
        }
        t->bits[w] = word;
        ones += (size_t)__builtin_popcountll(word);
    }
    t->ones = ones;
    t->bad = bad != 0;
}

/* Fills bits; 0 when a value is not 0 or 1 (or missing), or when one class is absent. */
static int label_bits(const dj_col *c, size_t m, uint64_t *bits, size_t *npos)
{
    if (c->nmissing)
        return 0;
    size_t words = (m + 63) / 64, half = m >= ((size_t)1 << 20) ? words / 2 : words;
    label_part a = {c, m, 0, half, bits, 0, 0}, b = {c, m, half, words, bits, 0, 0};
    if (half < words)
        dj_run2(label_words, &b, label_words, &a);
    else
        label_words(&a);
    *npos = a.ones + b.ones;
    return !a.bad && !b.bad && *npos > 0 && *npos < m;
}

/* roc_auc of the submission at path against the labels (bit r: row r of km is a
   positive; both classes present), with a split also each part's (parts[0..1], NaN for a
   part without rows; a part with rows of one class only is not taken: the ordinary path
   says so). */
static int stream_auc(const char *path, const dojo_csv_options *opt, const dj_keymap *km,
                      const uint64_t *bits, const split *sp, double *score, double *parts,
                      char *err, size_t errlen)
{
    size_t m = km->nrows, size[4] = {0, 0, 0, 0}, start[4];
    auc_sink k0 = {bits, sp->part, NULL, {0}, {0}, {0}, {0}, {0}, 0};
    if (sp->part) {
        for (uint32_t r = 0; r < m; r++)
            size[auc_group(&k0, r)]++;
    } else { /* part 0 only: the positives are the bitmap's ones */
        for (size_t w = 0; w <= (m - 1) / 64; w++)
            size[0] += (size_t)__builtin_popcountll(bits[w]);
        size[2] = m - size[0];
    }
    for (int k = 0; sp->part && k < 2; k++)
        if (size[k] + size[2 + k] && (!size[k] || !size[2 + k]))
            return 0;
    uint64_t *keys = dj_big_alloc(m * sizeof *keys);
    if (!keys)
        return DJM_OOM(err, errlen);
    auc_sink k1 = k0;
    k0.keys = k1.keys = keys;
    k1.down = 1;
    for (int g = 0; g < 4; g++) {
        start[g] = g ? start[g - 1] + size[g - 1] : 0;
        k0.next[g] = k0.ready[g] = k0.lo[g] = k1.lo[g] = start[g];
        k0.hi[g] = k1.hi[g] = k1.ready[g] = start[g] + size[g];
        k1.next[g] = start[g] + size[g] - 1; /* wraps for an empty group, never written */
    }
    dj_stream st = {NULL, NULL, auc_batch, {&k0, &k1}, NULL, 0, NULL};
    int rc = dj_csv_stream(path, opt, km, &st);
    for (int g = 0; rc == 1 && g < 4; g++)
        if (k0.count[g] + k1.count[g] != size[g])
            rc = dj_err(err, errlen, "streamed roc_auc: class counts do not add up");
    for (int k = 0; rc == 1 && sp->part && k < 2; k++) {
        parts[k] = NAN;
        if (size[k] && djm_auc_keys(keys + start[k], size[k], keys + start[2 + k], size[2 + k],
                                    &parts[k], err, errlen) < 0)
            rc = -1;
    }
    if (rc == 1 && djm_auc_keys(keys, size[0] + size[1], keys + start[2], size[2] + size[3], score,
                                err, errlen) < 0)
        rc = -1;
    free(keys);
    return rc;
}

/* ---- log_loss_multiclass ----------------------------------------------------------------- */

/* The answers' labels as class numbers, as grading matches them (lua/dojo/metrics.lua
   encode_truth): the class of a row is the value column (of the file) named by its label --
   the text, or an int's decimal text (an int beyond 2^53, which Lua writes otherwise, is
   left to the ordinary path). */
typedef struct classes {
    const dj_col *c; /* the answers' label column */
    size_t m;
    uint16_t *cls;   /* m class numbers */
} classes;

#define CLS_SLOTS 1024 /* open addressing over at most 512 names */

typedef struct name_table {
    const char *const *names;
    size_t len[CLS_SLOTS / 2];
    int16_t slot[CLS_SLOTS]; /* class number + 1, 0 empty */
} name_table;

static int name_find(const name_table *nt, const char *s, size_t len)
{
    for (size_t h = dj_hash_bytes(s, len) & (CLS_SLOTS - 1);; h = (h + 1) & (CLS_SLOTS - 1)) {
        int v = nt->slot[h];
        if (v == 0)
            return -1;
        if (nt->len[v - 1] == len && memcmp(nt->names[v - 1], s, len) == 0)
            return v - 1;
    }
}

typedef struct cls_part {
    const name_table *nt;
    classes *cl;
    size_t r0, r1;
    int bad;
} cls_part;

static void classes_part(void *arg)
{
    cls_part *t = arg;
    const dj_col *c = t->cl->c;
    uint16_t *out = t->cl->cls;
    char buf[24];
    for (size_t r = t->r0; r < t->r1; r++) {
        int v;
        if (c->type == DOJO_TYPE_STRING)
            v = name_find(t->nt, c->chars + c->offsets[r],
                          (size_t)(c->offsets[r + 1] - c->offsets[r]));
        else if (c->ints[r] < ((int64_t)1 << 53) && c->ints[r] > -((int64_t)1 << 53))
            v = name_find(t->nt, buf, dj_fmt_int(buf, c->ints[r]));
        else
            v = -1;
        if (v < 0) {
            t->bad = 1;
            return;
        }
        out[r] = (uint16_t)v;
    }
}

typedef struct ll_sink {
    const uint16_t *cls;
    double eps;
    const uint8_t *part;
    djm_sum sum[2];
} ll_sink;

static int ll_batch(void *ctx, const uint32_t *rows, const double *vals, size_t n, size_t k)
{
    ll_sink *t = ctx;
    const double eps = t->eps;
    for (size_t i = 0; i < n; i++) {
        const double *v = vals + i * k;
        double sum = 0;
        int bad = 0;
        for (size_t j = 0; j < k; j++) {
            bad |= !(v[j] >= 0 && v[j] <= 1);
            sum += djm_clip(v[j], eps);
        }
        if (bad)
            return -1;
        djm_add(&t->sum[t->part ? t->part[rows[i]] : 0],
                djm_row_log_loss(v[t->cls[rows[i]]], sum, eps, 1));
    }
    return 0;
}

/* begin: the file's value columns are the classes; every answer's label must name one. */
static int ll_begin(const dj_stream *st, const char *const *names, size_t k)
{
    classes *cl = st->state;
    if (k < 2 || k > CLS_SLOTS / 2)
        return -1;
    name_table *nt = calloc(1, sizeof *nt);
    if (!nt)
        return -1;
    nt->names = names;
    for (size_t j = 0; j < k; j++) {
        size_t len = nt->len[j] = strlen(names[j]);
        size_t h = dj_hash_bytes(names[j], len) & (CLS_SLOTS - 1);
        for (; nt->slot[h]; h = (h + 1) & (CLS_SLOTS - 1))
            if (strcmp(names[nt->slot[h] - 1], names[j]) == 0) {
                free(nt);
                return -1; /* a repeated name */
            }
        nt->slot[h] = (int16_t)(j + 1);
    }
    size_t half = cl->m >= ((size_t)1 << 16) ? cl->m / 2 : cl->m;
    cls_part a = {nt, cl, 0, half, 0}, b = {nt, cl, half, cl->m, 0};
    if (half < cl->m)
        dj_run2(classes_part, &b, classes_part, &a);
    else
        classes_part(&a);
    free(nt);
    return a.bad || b.bad ? -1 : 0;
}

/* The scores from the two threads' sums: the whole (all m rows) into *score and, with a
   split, each part's into parts[0..1] (NaN for a part without rows); a mean loss ends with
   its root when root. */
static void part_scores(djm_sum a[2], const djm_sum b[2], const split *sp, size_t m, int root,
                        double *score, double *parts)
{
    for (int k = 0; k < 2; k++) {
        djm_add(&a[k], b[k].s);
        djm_add(&a[k], b[k].c);
    }
    djm_sum all = a[0];
    djm_add(&all, a[1].s);
    djm_add(&all, a[1].c);
    double v = djm_total(&all) / (double)m;
    *score = root ? sqrt(v) : v;
    for (int k = 0; sp->part && k < 2; k++) {
        double pv = sp->n[k] ? djm_total(&a[k]) / (double)sp->n[k] : NAN;
        parts[k] = root ? sqrt(pv) : pv;
    }
}

static int stream_log_loss(const char *path, const dojo_csv_options *opt, const dj_keymap *km,
                           const dj_col *c, const split *sp, double *score, double *parts,
                           char *err, size_t errlen)
{
    size_t m = km->nrows;
    if (c->nmissing || (c->type != DOJO_TYPE_STRING && c->type != DOJO_TYPE_INT))
        return 0;
    classes cl = {c, m, malloc(m * sizeof(uint16_t))};
    if (!cl.cls)
        return DJM_OOM(err, errlen);
    dojo_metric_params prm;
    dojo_metric_params_init(&prm);
    ll_sink k0 = {cl.cls, prm.eps, sp->part, {{0, 0}, {0, 0}}}, k1 = k0;
    dj_stream st = {ll_begin, &cl, ll_batch, {&k0, &k1}, cl.cls, sizeof *cl.cls, NULL};
    int rc = dj_csv_stream(path, opt, km, &st);
    free(cl.cls);
    if (rc != 1)
        return 0;
    part_scores(k0.sum, k1.sum, sp, m, 0, score, parts);
    return 1;
}

/* ---- the entry point ----------------------------------------------------------------------- */

/* The mean-loss metrics streamed: the cell loss and whether the result is its root. */
static const struct {
    const char *name;
    int op, root;
} LOSSES[] = {{"mse", DJM_OP_SQ, 0}, {"rmse", DJM_OP_SQ, 1}, {"mae", DJM_OP_ABS, 0},
              {"rmsle", DJM_OP_SQLOG, 1}};

/* A mean loss (LOSSES[i]) of the submission at path against the answers y (floats yf or
   ints yi) at the rows of km. */
static int stream_loss(size_t i, const char *path, const dojo_csv_options *opt,
                       const dj_keymap *km, const double *yf, const int64_t *yi, const split *sp,
                       double *score, double *parts)
{
    loss_sink k0 = {yf, yi, LOSSES[i].op, sp->part, {{0, 0}, {0, 0}}};
    loss_sink k1 = k0;
    dj_stream st = {NULL, NULL, loss_batch, {&k0, &k1},
                    yf ? (const void *)yf : (const void *)yi, sizeof(double), NULL};
    if (dj_csv_stream(path, opt, km, &st) != 1)
        return 0;
    part_scores(k0.sum, k1.sum, sp, km->nrows, LOSSES[i].root, score, parts);
    return 1;
}

/* The index of a streamed mean loss, or -1. */
static int loss_of(const char *metric)
{
    for (size_t i = 0; i < sizeof LOSSES / sizeof LOSSES[0]; i++)
        if (strcmp(metric, LOSSES[i].name) == 0)
            return (int)i;
    return -1;
}

int dojo_score_stream_metric(const char *metric)
{
    if (!metric)
        return 0;
    return strcmp(metric, "roc_auc") == 0 || strcmp(metric, "log_loss_multiclass") == 0 ||
           loss_of(metric) >= 0;
}

int dojo_score_stream(const char *metric, const dojo_index *x, size_t truth_col,
                      size_t part_col, const char *path, const dojo_csv_options *opt,
                      double *score, double *parts, char *err, size_t errlen)
{
    dj_keymap km;
    int split_on = part_col != DOJO_NO_COLUMN;
    if (!metric || !x || !path || !score || (split_on && !parts) ||
        !dojo_score_stream_metric(metric) || dj_index_stream_keys(x, &km) < 0)
        return 0;
    const dojo_table *t = km.t;
    size_t m = km.nrows;
    if (truth_col >= t->ncols || truth_col == km.col || m >= UINT32_MAX ||
        (split_on && (part_col >= t->ncols || part_col == km.col || part_col == truth_col)))
        return 0;
    const dj_col *c = &t->cols[truth_col];
    split sp = {NULL, {0, 0}};
    int rc = 0;
    if (split_on && split_codes(&t->cols[part_col], m, &sp) < 0)
        goto done;
    if (strcmp(metric, "log_loss_multiclass") == 0) {
        rc = stream_log_loss(path, opt, &km, c, &sp, score, parts, err, errlen);
        goto done;
    }
    if ((c->type != DOJO_TYPE_INT && c->type != DOJO_TYPE_FLOAT) || c->nmissing)
        goto done;
    if (strcmp(metric, "roc_auc") == 0) {
        uint64_t *bits = calloc(m / 64 + 1, sizeof *bits);
        size_t npos = 0;
        if (!bits) {
            rc = DJM_OOM(err, errlen);
            goto done;
        }
        rc = label_bits(c, m, bits, &npos) ? stream_auc(path, opt, &km, bits, &sp, score, parts, err, errlen)
                                           : 0;
        free(bits);
        goto done;
    }
    if (c->type == DOJO_TYPE_FLOAT)
        for (size_t r = 0; r < m; r++)
            if (!isfinite(c->floats[r]))
                goto done;
    rc = stream_loss((size_t)loss_of(metric), path, opt, &km,
                     c->type == DOJO_TYPE_FLOAT ? c->floats : NULL,
                     c->type == DOJO_TYPE_INT ? c->ints : NULL, &sp, score, parts);
done:
    free(sp.part);
    return rc;
}

/* ---- two files: the answers streamed too ------------------------------------------------- */

/* The answers read into the compact form scoring needs, without a table: the labels' bitmap
   (roc_auc; one per thread, merged after) or the answers by row (mean losses; rows are
   distinct, so the threads never write the same cell). */
typedef struct truth_sink {
    uint64_t *bits;
    double *y;
    size_t ready; /* y: rows mapped ahead up to here */
    size_t cap;
} truth_sink;

static int truth_batch(void *ctx, const uint32_t *rows, const double *vals, size_t n, size_t nv)
{
    truth_sink *t = ctx;
    if (nv != 1)
        return -1;
    if (t->bits) {
        uint64_t *bits = t->bits;
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            double v = vals[i];
            uint32_t r = rows[i];
            bad |= !(v == 0 || v == 1);
            bits[r >> 6] |= (uint64_t)(v == 1) << (r & 63);
        }
        return bad ? -1 : 0;
    }
    if (n && rows[n - 1] >= t->ready) { /* an answers file in id order fills y in order */
        size_t hi = (size_t)rows[n - 1] + READY_AHEAD;
        hi = hi < t->cap ? hi : t->cap;
        map_cells(t->y, rows[n - 1], hi);
        t->ready = hi;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(vals[i]))
            return -1;
        t->y[rows[i]] = vals[i];
    }
    return 0;
}

/* The first record's key of the answers (their ids are taken to run from it, in any order)
   and a bound on their number (every record takes 4 bytes or more), or -1. */
static int first_key(const char *path, const dojo_csv_options *opt, int64_t *lo, size_t *cap)
{
    char e[256];
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    dojo_csv_reader *r = dojo_csv_reader_open(path, opt, e, sizeof e);
    dojo_table *t = NULL;
    int ok = r && dojo_csv_reader_next(r, 1, &t, e, sizeof e) == 1 && dojo_table_ncols(t) == 2 &&
             dojo_table_nrows(t) == 1 && dojo_table_column_type(t, 0) == DOJO_TYPE_INT &&
             !dojo_table_column_missing(t, 0);
    if (ok)
        *lo = dojo_table_column_ints(t, 0)[0];
    dojo_table_free(t);
    dojo_csv_reader_free(r);
    *cap = (size_t)st.st_size / 4 + 64;
    if (!ok || *cap >= UINT32_MAX || *lo > INT64_MAX - (int64_t)*cap)
        return -1;
    return 0;
}

int dojo_score_files_stream(const char *metric, const char *truth_path,
                            const dojo_csv_options *truth_opt, const char *pred_path,
                            const dojo_csv_options *pred_opt, double *score, char *err,
                            size_t errlen)
{
    int auc = metric && strcmp(metric, "roc_auc") == 0, li = metric ? loss_of(metric) : -1;
    int64_t lo;
    size_t cap;
    if (!truth_path || !pred_path || !score || (!auc && li < 0) ||
        first_key(truth_path, truth_opt, &lo, &cap) < 0)
        return 0;
    dj_keymap km = {DJ_KEYS_IDENT, lo, lo + (int64_t)cap - 1, NULL, NULL, NULL, cap, 0};
    size_t words = cap / 64 + 1, n = 0;
    truth_sink t0 = {NULL, NULL, 0, cap}, t1 = t0;
    if (auc) {
        t0.bits = calloc(words, sizeof *t0.bits);
        t1.bits = calloc(words, sizeof *t1.bits);
    } else
        t0.y = t1.y = dj_big_alloc(cap * sizeof *t0.y);
    int rc = 0;
    if (auc ? !t0.bits || !t1.bits : !t0.y)
        rc = DJM_OOM(err, errlen);
    else {
        dj_stream st = {NULL, NULL, truth_batch, {&t0, &t1}, NULL, 0, &n};
        if (dj_csv_stream(truth_path, truth_opt, &km, &st) == 1) {
            km.hi = lo + (int64_t)n - 1; /* the answers' ids: lo .. lo + n - 1, each once */
            km.nrows = n;
            split none = {NULL, {0, 0}};
            if (auc) {
                size_t npos = 0;
                for (size_t w = 0; w < words; w++)
                    npos += (size_t)__builtin_popcountll(t0.bits[w] |= t1.bits[w]);
                rc = npos > 0 && npos < n ? stream_auc(pred_path, pred_opt, &km, t0.bits, &none,
                                                       score, NULL, err, errlen)
                                          : 0;
            } else
                rc = stream_loss((size_t)li, pred_path, pred_opt, &km, t0.y, NULL, &none, score,
                                 NULL);
        }
    }
    free(t0.bits);
    free(t1.bits);
    free(t0.y);
    return rc;
}
