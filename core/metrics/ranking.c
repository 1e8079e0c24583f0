/*
 * ranking.c -- NUMERIC metrics defined by an ordering: roc_auc, roc_auc_mean_columns,
 * gini_normalized, average_precision, macro_average_precision, and the correlations pearson,
 * spearman, kendall_tau, spearman_mean_columns.
 *
 * Theory of operation: y and p are n x k arrays. The plain names pool the n*k cells (each
 * with its row's weight: mlsp-2013-birds scores one AUC over every cell); the *_mean_columns
 * and macro_ names average a score per column (sklearn's average='macro' on a
 * multilabel-indicator matrix). A "view" names the cells one score reads: a base pointer, a
 * stride and a count. Curves come from the predictions in order (radix sorts, O(n): a stable
 * argsort with weights, else the positives' and negatives' keys walked range by range)
 * walked from the highest score down, one step per group of tied scores -- exactly the
 * distinct thresholds sklearn's _binary_clf_curve keeps -- so ties get sklearn's treatment:
 * AUC's trapezoid gives a tied positive/negative pair one half. Sums are compensated (and
 * exact integers for unweighted AUC). djm_auc_keys and djm_ap_keys take the keys directly.
 */
#include <stdlib.h>

#include "metrics_internal.h"

#define POOLED ((size_t)-1)

typedef struct view {
    const double *y, *p; /* first cell */
    size_t m, stride;    /* cells i = 0..m-1 at y[i * stride] */
    const double *w;     /* row weights or NULL */
    size_t k;            /* columns of the full array */
    size_t col;          /* column, or POOLED */
} view;

static view make_view(const djm_num *in, size_t col)
{
    view v;
    v.k = in->k;
    v.w = in->w;
    v.col = col;
    if (col == POOLED) {
        v.y = in->y;
        v.p = in->p;
        v.m = in->n * in->k;
        v.stride = 1;
    } else {
        v.y = in->y + col;
        v.p = in->p + col;
        v.m = in->n;
        v.stride = in->k;
    }
    return v;
}

/* weight of cell i of the view */
static inline double vw(const view *v, size_t i)
{
    if (!v->w)
        return 1.0;
    return v->col == POOLED ? v->w[v->k == 1 ? i : i / v->k] : v->w[i];
}

/* "row 3" / "row 3, column 1" of cell i of the view */
static void vcell(const view *v, size_t i, char *buf, size_t len)
{
    if (v->col == POOLED)
        djm_cell_name(buf, len, i, v->k);
    else
        djm_cell_name(buf, len, i * v->k + v->col, v->k);
}

/* "" or "column 2: " */
static void vprefix(const view *v, char *buf, size_t len)
{
    if (v->col == POOLED || v->k == 1)
        buf[0] = 0;
    else
        snprintf(buf, len, "column %zu: ", v->col);
}

/* Answers must be 0 or 1; counts the positives and negatives. Blocks of cells are counted
   without a branch per cell (random labels would mispredict half of them); a block whose
   counts fall short holds a bad answer, looked for cell by cell. A big view is counted in two
   halves by two threads; a bad answer of the first half is the one named. */
#define CHECK_BLOCK 4096
#define PAR_CELLS ((size_t)1 << 20) /* smaller views stay on one thread */

typedef struct ybin {
    const view *v;
    size_t from, to; /* cells */
    size_t ones;
    size_t bad; /* the first bad cell, or SIZE_MAX */
} ybin;

static void ybin_run(void *arg)
{
    ybin *c = arg;
    const double *y = c->v->y;
    size_t st = c->v->stride, a = 0;
    c->bad = SIZE_MAX;
    for (size_t i0 = c->from; i0 < c->to; i0 += CHECK_BLOCK) {
        size_t i1 = c->to - i0 > CHECK_BLOCK ? i0 + CHECK_BLOCK : c->to, ca = 0, cb = 0;
        for (size_t i = i0; i < i1; i++) {
            double t = y[i * st];
            ca += t == 1;
            cb += t == 0;
        }
        a += ca;
        if (ca + cb == i1 - i0)
            continue;
        for (size_t i = i0; i < i1 && c->bad == SIZE_MAX; i++)
            if (y[i * st] != 0 && y[i * st] != 1)
                c->bad = i;
        break;
    }
    c->ones = a;
}

static int check_binary(const view *v, const char *name, size_t *npos, size_t *nneg, char *err,
                        size_t errlen)
{
    size_t m = v->m;
    int par = m >= PAR_CELLS && dj_two_cpus();
    ybin h1 = {v, 0, par ? m / 2 : m, 0, 0}, h2 = {v, par ? m / 2 : m, m, 0, 0};
    if (par)
        dj_run2(ybin_run, &h2, ybin_run, &h1);
    else {
        ybin_run(&h1);
        ybin_run(&h2);
    }
    size_t bad = h1.bad != SIZE_MAX ? h1.bad : h2.bad;
    if (bad != SIZE_MAX) {
        char cell[64];
        vcell(v, bad, cell, sizeof cell);
        return dj_err(err, errlen, "%s: %s needs answers 0 or 1, found %g", cell, name,
                      v->y[bad * v->stride]);
    }
    *npos = h1.ones + h2.ones;
    *nneg = m - *npos;
    return 0;
}

/* The curve through the distinct thresholds, from the highest prediction down: for each
   group of tied predictions, the weight of its positives (tg) and negatives (fg), and the
   cumulated weights before it (tp0, fp0). Unweighted, the positives' and the negatives'
   keys are walked range by range (walk_keys), and the counts are exact integers. Weighted, the cells are sorted by prediction with their cell number riding
   along, then the weights and labels are gathered into that order, so the walk reads memory
   in order and has no data-dependent branch per cell (random reads with unpredictable
   branches would stall on every cache miss). */
typedef struct curve {
    int ap;          /* 0: trapezoid area (AUC), 1: average precision */
    double tp_total; /* AP: the positives' weight */
    djm_sum acc;
    unsigned __int128 area2; /* unweighted AUC: 2 x area, exactly */
    double tp, fp;           /* totals after the walk */
} curve;

static void step(curve *cv, double tp0, double fp0, double tg, double fg)
{
    if (!cv->ap) {
        if (fg != 0) /* trapezoid from (fp0, tp0) to (fp0 + fg, tp0 + tg) */
            djm_add(&cv->acc, fg * (tp0 + 0.5 * tg));
    } else if (tg != 0) { /* recall rises by tg / TP at precision tp / (tp + fp) */
        double tp = tp0 + tg, fp = fp0 + fg;
        djm_add(&cv->acc, (tg / cv->tp_total) * (tp / (tp + fp)));
    }
}

/* The unweighted walk: the positives' and the negatives' keys sorted apart (no payload to
   carry) and merged from the highest key down, one step per distinct key with the counts of
   each class at that key: the same groups, in the same order, as one sort of all cells with
   their labels, in half the memory. djm_visit_pairs hands the keys over by ranges of keys,
   each sorted in the caches, with the counts above the range, so the walk of a range needs
   nothing else: for AUC (an exact integer sum, in any order) the ranges are walked by two
   threads into two curves; for AP (a compensated sum, in order) by one, in order. */
static void walk_keys(curve *cv, const uint64_t *x, size_t n, uint64_t tp, uint64_t fp)
{
    size_t i = n; /* unvisited: x[0, i) */
    unsigned __int128 area2 = 0;
    while (i > 0) {
        uint64_t key = x[i - 1] >> 1, tg = 0, g = 0;
        while (i > 0 && x[i - 1] >> 1 == key) {
            tg += x[i - 1] & 1;
            g++;
            i--;
        }
        uint64_t fg = g - tg;
        if (!cv->ap)
            area2 += (unsigned __int128)fg * (2 * tp + tg);
        else
            step(cv, (double)tp, (double)fp, (double)tg, (double)fg);
        tp += tg;
        fp += fg;
    }
    cv->area2 += area2;
}

static void walk_range(void *state, const uint64_t *x, size_t n, size_t p_above, size_t q_above)
{
    walk_keys(state, x, n, p_above, q_above);
}

/* The curve of positives' keys pos and negatives' keys neg (overwritten): cv->area2 (AUC) or
   cv->acc (AP, cv->ap and cv->tp_total set), cv->tp and cv->fp. -1: out of memory. */
static int keys_curve(uint64_t *pos, size_t npos, uint64_t *neg, size_t nneg, curve *cv)
{
    curve lo = *cv;
    if (djm_visit_pairs(pos, npos, neg, nneg, walk_range, cv, cv->ap ? NULL : &lo) < 0)
        return -1;
    if (!cv->ap)
        cv->area2 += lo.area2;
    cv->tp = (double)npos;
    cv->fp = (double)nneg;
    return 0;
}

static int keys_check(size_t npos, size_t nneg, char *err, size_t errlen)
{
    if (npos > DJM_SORT_MAX || nneg > DJM_SORT_MAX - npos)
        return dj_err(err, errlen, "too many values (%zu; at most %zu)", npos + nneg,
                      DJM_SORT_MAX);
    return 0;
}

int djm_auc_keys(uint64_t *pos, size_t npos, uint64_t *neg, size_t nneg, double *out, char *err,
                 size_t errlen)
{
    if (keys_check(npos, nneg, err, errlen) < 0)
        return -1;
    if (!npos || !nneg)
        return dj_err(err, errlen, "roc_auc is undefined when the answers hold only one class");
    curve cv;
    memset(&cv, 0, sizeof cv);
    if (keys_curve(pos, npos, neg, nneg, &cv) < 0)
        return DJM_OOM(err, errlen);
    *out = (double)cv.area2 / (2.0 * cv.tp * cv.fp); /* both exact below 2^53 */
    return 0;
}

int djm_ap_keys(uint64_t *pos, size_t npos, uint64_t *neg, size_t nneg, double *out, char *err,
                size_t errlen)
{
    if (keys_check(npos, nneg, err, errlen) < 0)
        return -1;
    if (!npos && !nneg)
        return dj_err(err, errlen, "average_precision needs at least one value");
    if (!npos) {
        *out = 0.0; /* sklearn warns and returns 0 */
        return 0;
    }
    curve cv;
    memset(&cv, 0, sizeof cv);
    cv.ap = 1;
    cv.tp_total = (double)npos;
    if (keys_curve(pos, npos, neg, nneg, &cv) < 0)
        return DJM_OOM(err, errlen);
    *out = djm_total(&cv.acc);
    return 0;
}

/* Building the keys: positives in [0, npos), negatives in [npos, m) (npos is known from
   check_binary). With two threads, the first half of the cells fills each region from its
   start and the second half from its end: they meet, with no counting pass. */
typedef struct ukeys {
    const view *v;
    size_t from, to; /* cells */
    uint64_t *pos, *neg; /* where they go */
    int down;            /* fill downwards from pos, neg (exclusive) */
    uint64_t *page;      /* the part of the fresh array this thread makes present first */
    size_t npage;
} ukeys;

/* 1 for an answer 1, 0 for 0 or -0 (the answers are checked) */
static inline uintptr_t is_one(const double *y)
{
    uint64_t u;
    memcpy(&u, y, sizeof u);
    return u == 0x3ff0000000000000ull;
}

static void ukeys_fill(void *arg)
{
    ukeys *u = arg;
    const double *y = u->v->y, *p = u->v->p;
    size_t st = u->v->stride;
    uintptr_t pos = (uintptr_t)u->pos, neg = (uintptr_t)u->neg;
    size_t from = u->from, to = u->to;
    dj_big_populate(u->page, u->npage * sizeof *u->page);
    /* one store to the place chosen by a mask, and both places moved by the label: no branch
       (random labels would mispredict half of them) */
    if (!u->down) {
        for (size_t i = from; i < to; i++) {
            uint64_t k = djm_key(p[i * st]);
            uintptr_t one = is_one(y + i * st);
            *(uint64_t *)(neg + ((pos - neg) & -one)) = k;
            pos += one * sizeof k;
            neg += (1 - one) * sizeof k;
        }
    } else {
        for (size_t i = from; i < to; i++) {
            uint64_t k = djm_key(p[i * st]);
            uintptr_t one = is_one(y + i * st);
            pos -= one * sizeof k;
            neg -= (1 - one) * sizeof k;
            *(uint64_t *)(neg + ((pos - neg) & -one)) = k;
        }
    }
}

/* An unweighted view (answers checked, npos of them 1): its keys, then djm_auc_keys (ap 0) or
   djm_ap_keys (ap 1) -- the entry points other kernels call with keys of their own. */
static int walk_unweighted(const view *v, size_t npos, int ap, double *out, char *err,
                           size_t errlen)
{
    size_t m = v->m;
    if (m > DJM_SORT_MAX)
        return dj_err(err, errlen, "too many values (%zu; at most %zu)", m, DJM_SORT_MAX);
    int par = m >= PAR_CELLS && dj_two_cpus();
    uint64_t *keys = dj_big_alloc((m ? m : 1) * sizeof *keys);
    if (!keys)
        return DJM_OOM(err, errlen);
    ukeys h1 = {v, 0, par ? m / 2 : m, keys, keys + npos, 0, keys, par ? m / 2 : m};
    ukeys h2 = {v, par ? m / 2 : m, m, keys + npos, keys + m, 1, keys + m / 2, m - m / 2};
    if (par)
        dj_run2(ukeys_fill, &h2, ukeys_fill, &h1);
    else
        ukeys_fill(&h1);
    int rc = ap ? djm_ap_keys(keys, npos, keys + npos, m - npos, out, err, errlen)
                : djm_auc_keys(keys, npos, keys + npos, m - npos, out, err, errlen);
    free(keys);
    return rc;
}

/* The curve of a view with weights (answers checked). */
static int walk(const view *v, curve *cv, char *err, size_t errlen)
{
    size_t m = v->m, st = v->stride;
    if (m > DJM_SORT_MAX)
        return dj_err(err, errlen, "too many values (%zu; at most %zu)", m, DJM_SORT_MAX);
    uint64_t *keys = malloc((m ? m : 1) * sizeof *keys);
    uint32_t *pay = malloc((m ? m : 1) * sizeof *pay);
    if (!keys || !pay) {
        free(keys);
        free(pay);
        return DJM_OOM(err, errlen);
    }
    for (size_t i = 0; i < m; i++) {
        keys[i] = djm_key(v->p[i * st]);
        pay[i] = (uint32_t)i;
    }
    if (djm_sort_u64(keys, pay, m) < 0) {
        free(keys);
        free(pay);
        return DJM_OOM(err, errlen);
    }
    size_t i = m;
    /* gather the weights and labels into sorted order first: a tight loop of
       independent loads, which the CPU overlaps */
    double *wv = malloc((m ? m : 1) * sizeof *wv);
    if (!wv) {
        free(keys);
        free(pay);
        return DJM_OOM(err, errlen);
    }
    for (size_t t = 0; t < m; t++) {
        size_t c = pay[t];
        wv[t] = vw(v, c);
        pay[t] = v->y[c * st] == 1;
    }
    djm_sum tp = {0, 0}, fp = {0, 0};
    while (i > 0) {
        uint64_t key = keys[i - 1];
        double tg = 0, fg = 0;
        while (i > 0 && keys[i - 1] == key) {
            double w = wv[i - 1], pos = (double)pay[i - 1];
            tg += w * pos;
            fg += w - w * pos;
            i--;
        }
        step(cv, djm_total(&tp), djm_total(&fp), tg, fg);
        djm_add(&tp, tg);
        djm_add(&fp, fg);
    }
    free(wv);
    cv->tp = djm_total(&tp);
    cv->fp = djm_total(&fp);
    free(keys);
    free(pay);
    return 0;
}

/* ROC AUC of one view: sklearn roc_auc_score (binary): the trapezoidal area under the ROC
   curve through the distinct thresholds, (1 / (P N)) sum over threshold groups of
   fp_group (tp_before + tp_group / 2) with weighted counts. Error when the answers hold only
   one class (sklearn raises) or one class has zero total weight (sklearn gives NaN). */
static int auc_view(const view *v, const char *name, double *out, char *err, size_t errlen)
{
    size_t npos = 0, nneg = 0;
    char pre[48];
    vprefix(v, pre, sizeof pre);
    if (check_binary(v, name, &npos, &nneg, err, errlen) < 0)
        return -1;
    if (!npos || !nneg)
        return dj_err(err, errlen, "%sroc_auc is undefined when the answers hold only one "
                      "class", pre);
    if (!v->w)
        return walk_unweighted(v, npos, 0, out, err, errlen);
    curve cv;
    memset(&cv, 0, sizeof cv);
    if (walk(v, &cv, err, errlen) < 0)
        return -1;
    double P = cv.tp, N = cv.fp;
    if (!(P > 0) || !(N > 0))
        return dj_err(err, errlen, "%sroc_auc is undefined when the answers hold only one "
                      "class (the other has zero weight)", pre);
    *out = djm_total(&cv.acc) / P / N;
    return 0;
}

/* roc_auc: sklearn roc_auc_score over the pooled cells (answers 0/1, any real scores). */
int djm_roc_auc(const djm_num *in, double *out, char *err, size_t errlen)
{
    view v = make_view(in, in->k == 1 ? 0 : POOLED);
    return auc_view(&v, in->name, out, err, errlen);
}

/* roc_auc_mean_columns: sklearn roc_auc_score(Y, P, average='macro') on a multilabel
   indicator matrix: the mean over columns of each column's AUC. A column holding one class
   is an error naming it, as sklearn raises; a competition that scores such a column 0.5 or
   0 (plant-pathology-2020, ranzcr) calls roc_auc per column instead. */
int djm_roc_auc_mean_columns(const djm_num *in, double *out, char *err, size_t errlen)
{
    djm_sum s = {0, 0};
    for (size_t j = 0; j < in->k; j++) {
        view v = make_view(in, j);
        double a = 0;
        if (auc_view(&v, in->name, &a, err, errlen) < 0)
            return -1;
        djm_add(&s, a);
    }
    *out = djm_total(&s) / (double)in->k;
    return 0;
}

/* Average precision of one view: sklearn average_precision_score (binary):
     AP = sum_n (R_n - R_{n-1}) P_n
   over the distinct thresholds from the highest score down, P_n = tp / (tp + fp) and
   R_n = tp / TP (weighted). No positive answer: 0.0 (sklearn warns and returns 0). */
static int ap_view(const view *v, const char *name, double *out, char *err, size_t errlen)
{
    size_t npos = 0, nneg = 0;
    if (check_binary(v, name, &npos, &nneg, err, errlen) < 0)
        return -1;
    if (!v->w) { /* the weights are the cell counts, exactly */
        if (!v->m)
            return dj_err(err, errlen, "the weights sum to zero");
        return walk_unweighted(v, npos, 1, out, err, errlen);
    }
    djm_sum tw = {0, 0}, tpw = {0, 0};
    for (size_t i = 0; i < v->m; i++) {
        double w = vw(v, i);
        djm_add(&tw, w);
        if (v->y[i * v->stride] == 1)
            djm_add(&tpw, w);
    }
    if (!(djm_total(&tw) > 0))
        return dj_err(err, errlen, "the weights sum to zero");
    curve cv;
    memset(&cv, 0, sizeof cv);
    cv.ap = 1;
    cv.tp_total = djm_total(&tpw);
    if (!(cv.tp_total > 0)) {
        *out = 0.0;
        return 0;
    }
    if (walk(v, &cv, err, errlen) < 0)
        return -1;
    *out = djm_total(&cv.acc);
    return 0;
}

/* average_precision: sklearn average_precision_score over the pooled cells. */
int djm_average_precision(const djm_num *in, double *out, char *err, size_t errlen)
{
    view v = make_view(in, in->k == 1 ? 0 : POOLED);
    return ap_view(&v, in->name, out, err, errlen);
}

/* macro_average_precision: sklearn average_precision_score(Y, P, average='macro'): the mean
   over columns of each column's AP (a column without positives counts 0.0, as in sklearn). */
int djm_macro_average_precision(const djm_num *in, double *out, char *err, size_t errlen)
{
    djm_sum s = {0, 0};
    for (size_t j = 0; j < in->k; j++) {
        view v = make_view(in, j);
        double a = 0;
        if (ap_view(&v, in->name, &a, err, errlen) < 0)
            return -1;
        djm_add(&s, a);
    }
    *out = djm_total(&s) / (double)in->k;
    return 0;
}

/* Kaggle's Gini sum of the actuals a ordered by the scores s, descending:
     S = sum_i cumsum(a)_i   (the quantity Kaggle's gini() builds with cumsum().sum()),
   with each group of tied scores replaced by its expectation over the orders of its rows:
   a group of g rows summing to G after a running total C adds g C + G (g + 1) / 2. */
static int gini_sum(const double *a, const double *s, size_t m, double *S, double *T,
                    char *err, size_t errlen)
{
    uint64_t *keys;
    uint32_t *idx;
    if (djm_argsort_keys(s, m, 1, &keys, &idx) < 0)
        return DJM_OOM(err, errlen);
    double *av = malloc((m ? m : 1) * sizeof *av);
    if (!av) {
        free(keys);
        free(idx);
        return DJM_OOM(err, errlen);
    }
    for (size_t t = 0; t < m; t++) /* gather first: independent loads overlap */
        av[t] = a[idx[t]];
    djm_sum acc = {0, 0}, run = {0, 0};
    size_t i = m;
    while (i > 0) {
        uint64_t key = keys[i - 1];
        djm_sum G = {0, 0};
        size_t g = 0;
        while (i > 0 && keys[i - 1] == key) {
            djm_add(&G, av[i - 1]);
            g++;
            i--;
        }
        double C = djm_total(&run), Gt = djm_total(&G);
        djm_add(&acc, (double)g * C);
        djm_add(&acc, Gt * ((double)g + 1.0) / 2.0);
        djm_add(&run, Gt);
    }
    free(av);
    free(keys);
    free(idx);
    *S = djm_total(&acc);
    *T = djm_total(&run);
    return 0;
}

/* gini_normalized: Kaggle's normalized Gini (porto-seguro, liberty-mutual, DontGetKicked):
     gini(a, s) = (sum_i cumsum(a sorted by s descending)_i / sum(a) - (N + 1) / 2) / N
     gini_normalized = gini(a, p) / gini(a, a)
   over the pooled cells; a may be any real values (liberty-mutual's hazard), and for 0/1
   answers it equals 2 * AUC - 1 exactly. Ties: Kaggle's reference code breaks tied
   predictions by row order, so a tie's score depended on the file's order; dojo gives a
   group of tied predictions the mean over all orders of its rows, which is order-free and
   is what makes it equal 2 * sklearn AUC - 1 (ties counted one half); without ties it is
   Kaggle's number. Undefined cases -- all answers equal (one class), or answers summing
   to 0 -- score 0.0, as the catalog (single_class_returns 0.0) and the reference metric.py of
   those competitions do. No weights. */
int djm_gini_normalized(const djm_num *in, double *out, char *err, size_t errlen)
{
    size_t m = in->n * in->k;
    if (m > DJM_SORT_MAX)
        return dj_err(err, errlen, "too many values (%zu; at most %zu)", m, DJM_SORT_MAX);
    double Sp, Tp, Sa, Ta;
    if (gini_sum(in->y, in->p, m, &Sp, &Tp, err, errlen) < 0 ||
        gini_sum(in->y, in->y, m, &Sa, &Ta, err, errlen) < 0)
        return -1;
    if (Tp == 0) {
        *out = 0.0;
        return 0;
    }
    double half = ((double)m + 1.0) / 2.0;
    double gp = (Sp / Tp - half) / (double)m;
    double ga = (Sa / Ta - half) / (double)m;
    *out = ga == 0 ? 0.0 : gp / ga;
    return 0;
}

int djm_pearson_core(const double *x, size_t sx, const double *y, size_t sy, size_t n,
                     double *r, int *which)
{
    if (n < 2) {
        *which = 2;
        return 1;
    }
    int cx = 1, cy = 1;
    for (size_t i = 1; i < n && (cx || cy); i++) {
        if (x[i * sx] != x[0])
            cx = 0;
        if (y[i * sy] != y[0])
            cy = 0;
    }
    if (cx || cy) {
        *which = cx ? 0 : 1;
        return 1;
    }
    if (n == 2) {
        double a = x[sx] - x[0], b = y[sy] - y[0];
        *r = (double)((a > 0) - (a < 0)) * (double)((b > 0) - (b < 0));
        return 0;
    }
    djm_sum mx = {0, 0}, my = {0, 0};
    for (size_t i = 0; i < n; i++) {
        djm_add(&mx, x[i * sx]);
        djm_add(&my, y[i * sy]);
    }
    double xm = djm_total(&mx) / (double)n, ym = djm_total(&my) / (double)n;
    /* scale the deviations by their largest magnitude so their squares cannot overflow */
    double ax = 0, ay = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = fabs(x[i * sx] - xm), dy = fabs(y[i * sy] - ym);
        if (dx > ax)
            ax = dx;
        if (dy > ay)
            ay = dy;
    }
    if (ax == 0 || ay == 0) { /* distinct values whose deviations all round to 0 */
        *which = ax == 0 ? 0 : 1;
        return 1;
    }
    djm_sum sxx = {0, 0}, syy = {0, 0}, sxy = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double dx = (x[i * sx] - xm) / ax, dy = (y[i * sy] - ym) / ay;
        djm_add(&sxx, dx * dx);
        djm_add(&syy, dy * dy);
        djm_add(&sxy, dx * dy);
    }
    double v = djm_total(&sxy) / (sqrt(djm_total(&sxx)) * sqrt(djm_total(&syy)));
    *r = v > 1 ? 1 : v < -1 ? -1 : v;
    return 0;
}

static int corr_undefined(const char *name, const char *pre, int which, char *err,
                          size_t errlen)
{
    if (which == 2)
        return dj_err(err, errlen, "%s%s needs at least two values", pre, name);
    return dj_err(err, errlen, "%s%s is undefined for constant input (the %s are all equal)",
                  pre, name, which == 0 ? "answers" : "predictions");
}

/* pearson: scipy.stats.pearsonr over the pooled cells: r = sum(dx dy) / sqrt(sum dx^2 sum dy^2)
   with dx, dy the deviations from the means, clipped to [-1, 1]; two values give
   sign(dx) sign(dy) as scipy does. scipy returns NaN for a constant input (and raises for
   fewer than two values): dojo returns an error saying so. No weights. */
int djm_pearson(const djm_num *in, double *out, char *err, size_t errlen)
{
    int which;
    if (djm_pearson_core(in->y, 1, in->p, 1, in->n * in->k, out, &which))
        return corr_undefined(in->name, "", which, err, errlen);
    return 0;
}

/* Spearman of a view: Pearson of the average ranks (scipy.stats.spearmanr: rankdata
   'average', then corrcoef). Constant input or fewer than two values: error (scipy: NaN). */
static int spearman_view(const view *v, const char *name, double *out, char *err,
                         size_t errlen)
{
    char pre[48];
    vprefix(v, pre, sizeof pre);
    size_t m = v->m;
    if (m > DJM_SORT_MAX)
        return dj_err(err, errlen, "too many values (%zu; at most %zu)", m, DJM_SORT_MAX);
    int which;
    if (m < 2)
        return corr_undefined(name, pre, 2, err, errlen);
    /* (ranks are constant exactly when the raw values are, scipy's test) */
    double *ry = malloc(m * sizeof *ry), *rp = malloc(m * sizeof *rp);
    int rc = 0;
    if (!ry || !rp || djm_rank_average(v->y, m, v->stride, ry) < 0 ||
        djm_rank_average(v->p, m, v->stride, rp) < 0)
        rc = DJM_OOM(err, errlen);
    else if (djm_pearson_core(ry, 1, rp, 1, m, out, &which))
        rc = corr_undefined(name, pre, which, err, errlen);
    free(ry);
    free(rp);
    return rc;
}

/* spearman: scipy.stats.spearmanr over the pooled cells. */
int djm_spearman(const djm_num *in, double *out, char *err, size_t errlen)
{
    view v = make_view(in, in->k == 1 ? 0 : POOLED);
    return spearman_view(&v, in->name, out, err, errlen);
}

/* spearman_mean_columns: the mean over columns of each column's Spearman correlation
   (google-quest-challenge). A constant column is an error naming it; a competition that
   counts it 0 (the catalog's nan_corr 0.0) calls spearman per column instead. */
int djm_spearman_mean_columns(const djm_num *in, double *out, char *err, size_t errlen)
{
    djm_sum s = {0, 0};
    for (size_t j = 0; j < in->k; j++) {
        view v = make_view(in, j);
        double r = 0;
        if (spearman_view(&v, in->name, &r, err, errlen) < 0)
            return -1;
        djm_add(&s, r);
    }
    *out = djm_total(&s) / (double)in->k;
    return 0;
}

/* Dense ranks (1..) of x; counts the pairs tied in x into *ties. */
static int dense_ranks(const double *x, size_t m, uint32_t *rank, uint64_t *ties)
{
    uint64_t *keys;
    uint32_t *idx;
    if (djm_argsort_keys(x, m, 1, &keys, &idx) < 0)
        return -1;
    uint64_t t = 0;
    uint32_t r = 0;
    size_t i = 0;
    while (i < m) {
        size_t j = i + 1;
        while (j < m && keys[j] == keys[i])
            j++;
        r++;
        for (size_t q = i; q < j; q++)
            rank[idx[q]] = r;
        uint64_t g = j - i;
        t += g * (g - 1) / 2;
        i = j;
    }
    free(keys);
    free(idx);
    *ties = t;
    return 0;
}

/* Pairs i < j with a[i] > a[j], by bottom-up merge sort (sorts a). */
static uint64_t inversions(uint32_t *a, uint32_t *tmp, size_t m)
{
    uint64_t inv = 0;
    for (size_t width = 1; width < m; width *= 2) {
        for (size_t lo = 0; lo < m; lo += 2 * width) {
            size_t mid = lo + width < m ? lo + width : m;
            size_t hi = lo + 2 * width < m ? lo + 2 * width : m;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) {
                if (a[j] < a[i]) {
                    inv += mid - i;
                    tmp[o++] = a[j++];
                } else {
                    tmp[o++] = a[i++];
                }
            }
            while (i < mid)
                tmp[o++] = a[i++];
            while (j < hi)
                tmp[o++] = a[j++];
        }
        memcpy(a, tmp, m * sizeof *a);
    }
    return inv;
}

/* kendall_tau: scipy.stats.kendalltau (variant 'b') over the pooled cells:
     tau_b = (P - Q) / sqrt((T - X) (T - Y))
   with T = N (N - 1) / 2 pairs, X and Y the pairs tied in the answers / predictions, and
   P - Q = T - X - Y + XY - 2 Q (XY: tied in both, Q: discordant), counted exactly in
   integers in O(N log N) (sort by (answer, prediction), count inversions by merge sort),
   then divided as scipy does and clipped to [-1, 1]. Undefined (scipy: NaN) when either
   side is constant or N < 2: error. No weights. */
int djm_kendall_tau(const djm_num *in, double *out, char *err, size_t errlen)
{
    size_t m = in->n * in->k;
    if (m > DJM_SORT_MAX)
        return dj_err(err, errlen, "too many values (%zu; at most %zu)", m, DJM_SORT_MAX);
    if (m < 2)
        return corr_undefined(in->name, "", 2, err, errlen);
    uint32_t *rx = malloc(m * sizeof *rx), *ry = malloc(m * sizeof *ry);
    uint64_t *keys = malloc(m * sizeof *keys);
    int rc = -1;
    uint64_t xtie, ytie;
    if (!rx || !ry || !keys || dense_ranks(in->y, m, rx, &xtie) < 0 ||
        dense_ranks(in->p, m, ry, &ytie) < 0) {
        DJM_OOM(err, errlen);
        goto done;
    }
    uint64_t tot = (uint64_t)m * (m - 1) / 2;
    if (xtie == tot || ytie == tot) {
        corr_undefined(in->name, "", xtie == tot ? 0 : 1, err, errlen);
        goto done;
    }
    for (size_t i = 0; i < m; i++)
        keys[i] = ((uint64_t)rx[i] << 32) | ry[i];
    if (djm_sort_u64(keys, NULL, m) < 0) {
        DJM_OOM(err, errlen);
        goto done;
    }
    uint64_t ntie = 0;
    size_t i = 0;
    while (i < m) {
        size_t j = i + 1;
        while (j < m && keys[j] == keys[i])
            j++;
        uint64_t g = j - i;
        ntie += g * (g - 1) / 2;
        i = j;
    }
    /* the prediction ranks in (answer, prediction) order, reusing rx as scratch */
    for (size_t q = 0; q < m; q++)
        ry[q] = (uint32_t)(keys[q] & 0xffffffffu);
    uint64_t dis = inversions(ry, rx, m);
    int64_t cmd = (int64_t)(tot - xtie - ytie + ntie) - 2 * (int64_t)dis;
    double tau = (double)cmd / sqrt((double)(tot - xtie)) / sqrt((double)(tot - ytie));
    *out = tau > 1 ? 1 : tau < -1 ? -1 : tau;
    rc = 0;
done:
    free(rx);
    free(ry);
    free(keys);
    return rc;
}
