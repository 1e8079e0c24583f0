/*
 * classification.c -- LABELS metrics: y and p are class ids (0..nclasses-1) of n rows, w
 * optional sample weights. Every definition is scikit-learn 1.2's, and so are the degenerate
 * cases unless a comment says otherwise.
 *
 * Theory of operation: scikit-learn computes these metrics over the label set
 * unique_labels(y_true, y_pred) -- the ids present in the answers or the predictions,
 * whatever params.nclasses says -- and qwk weighs a disagreement by the distance between the
 * labels' positions in that sorted set, not between the ids themselves. So the ids are first
 * mapped to dense ranks 0..m-1 of the present labels (a presence table when the ids are
 * small, else a radix sort of all ids), and every metric then works on per-class sums of
 * weights (true positives, predicted and true totals): O(n + m), no m x m confusion matrix,
 * so 100k classes cost nothing special.
 */
#include <stdlib.h>

#include "metrics_internal.h"

/* Dense ranks of the present labels. */
typedef struct dense {
    uint32_t *y, *p; /* dense ids of the rows */
    int64_t *label;  /* label[d] = the original id of dense id d, ascending */
    size_t m;        /* number of present labels */
} dense;

static void dense_free(dense *d)
{
    free(d->y);
    free(d->p);
    free(d->label);
}

static int dense_build(const djm_lab *in, dense *d)
{
    size_t n = in->n;
    memset(d, 0, sizeof *d);
    d->y = malloc(n * sizeof *d->y);
    d->p = malloc(n * sizeof *d->p);
    if (!d->y || !d->p)
        return -1;
    int64_t mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (in->y[i] > mx)
            mx = in->y[i];
        if (in->p[i] > mx)
            mx = in->p[i];
    }
    if ((uint64_t)mx < 4 * (uint64_t)n + 65536) {
        /* small ids: presence table, then ranks by a prefix count */
        size_t c = (size_t)mx + 1;
        uint32_t *rank = calloc(c, sizeof *rank);
        if (!rank)
            return -1;
        for (size_t i = 0; i < n; i++) {
            rank[in->y[i]] = 1;
            rank[in->p[i]] = 1;
        }
        size_t m = 0;
        for (size_t v = 0; v < c; v++)
            m += rank[v];
        d->label = malloc(m * sizeof *d->label);
        if (!d->label) {
            free(rank);
            return -1;
        }
        m = 0;
        for (size_t v = 0; v < c; v++) {
            if (rank[v]) {
                d->label[m] = (int64_t)v;
                rank[v] = (uint32_t)m++;
            }
        }
        d->m = m;
        for (size_t i = 0; i < n; i++) {
            d->y[i] = rank[in->y[i]];
            d->p[i] = rank[in->p[i]];
        }
        free(rank);
        return 0;
    }
    /* large ids: sort all 2n ids (with their slot as payload), then number the runs */
    uint64_t *keys = malloc(2 * n * sizeof *keys);
    uint32_t *row = malloc(2 * n * sizeof *row);
    d->label = malloc(2 * n * sizeof *d->label);
    if (!keys || !row || !d->label) {
        free(keys);
        free(row);
        return -1;
    }
    if (n > UINT32_MAX / 2) {
        free(keys);
        free(row);
        return -1;
    }
    /* slot 2i holds row i's answer, slot 2i + 1 its prediction */
    for (size_t i = 0; i < n; i++) {
        keys[2 * i] = (uint64_t)in->y[i];
        keys[2 * i + 1] = (uint64_t)in->p[i];
    }
    for (size_t t = 0; t < 2 * n; t++)
        row[t] = (uint32_t)t;
    if (djm_sort_u64(keys, row, 2 * n) < 0) {
        free(keys);
        free(row);
        return -1;
    }
    size_t m = 0;
    for (size_t t = 0; t < 2 * n; t++) {
        if (t == 0 || keys[t] != keys[t - 1])
            d->label[m++] = (int64_t)keys[t];
        size_t slot = row[t];
        if (slot & 1)
            d->p[slot / 2] = (uint32_t)(m - 1);
        else
            d->y[slot / 2] = (uint32_t)(m - 1);
    }
    d->m = m;
    free(keys);
    free(row);
    return 0;
}

/* Dense id of an original id, or -1 when absent. */
static int64_t dense_find(const dense *d, int64_t id)
{
    size_t lo = 0, hi = d->m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->label[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < d->m && d->label[lo] == id) ? (int64_t)lo : -1;
}

/* Per-class sums of weights: true positives, predicted, true. */
typedef struct counts {
    double *tp, *pred, *truth;
} counts;

static int counts_build(const djm_lab *in, const dense *d, counts *c)
{
    size_t m = d->m ? d->m : 1;
    c->tp = calloc(m, sizeof *c->tp);
    c->pred = calloc(m, sizeof *c->pred);
    c->truth = calloc(m, sizeof *c->truth);
    if (!c->tp || !c->pred || !c->truth)
        return -1;
    for (size_t i = 0; i < in->n; i++) {
        double w = in->w ? in->w[i] : 1.0;
        uint32_t a = d->y[i], b = d->p[i];
        c->truth[a] += w;
        c->pred[b] += w;
        if (a == b)
            c->tp[a] += w;
    }
    return 0;
}

static void counts_free(counts *c)
{
    free(c->tp);
    free(c->pred);
    free(c->truth);
}

static double weight_total(const djm_lab *in)
{
    if (!in->w)
        return (double)in->n;
    djm_sum s = {0, 0};
    for (size_t i = 0; i < in->n; i++)
        djm_add(&s, in->w[i]);
    return djm_total(&s);
}

/* accuracy: sklearn accuracy_score -- the (weighted) fraction of rows with p == y:
   sum(w * [y == p]) / sum(w). */
int djm_accuracy(const djm_lab *in, double *out, char *err, size_t errlen)
{
    djm_sum hit = {0, 0};
    for (size_t i = 0; i < in->n; i++)
        if (in->y[i] == in->p[i])
            djm_add(&hit, in->w ? in->w[i] : 1.0);
    double tw = weight_total(in);
    if (!(tw > 0))
        return dj_err(err, errlen, "the weights sum to zero");
    *out = djm_total(&hit) / tw;
    return 0;
}

/* error_rate: 1 - accuracy (the top-1 error of e.g. imaterialist-challenge-furniture-2018). */
int djm_error_rate(const djm_lab *in, double *out, char *err, size_t errlen)
{
    double acc;
    if (djm_accuracy(in, &acc, err, errlen) < 0)
        return -1;
    *out = 1.0 - acc;
    return 0;
}

/* balanced_accuracy: sklearn balanced_accuracy_score (adjusted=False) -- the mean over the
   classes present in the answers of their recall, sum(w * [y == p == c]) / sum(w * [y == c]).
   A class whose answer weights sum to 0 is left out (sklearn drops the NaN). */
int djm_balanced_accuracy(const djm_lab *in, double *out, char *err, size_t errlen)
{
    dense d;
    counts c = {0};
    int rc = -1;
    if (dense_build(in, &d) < 0 || counts_build(in, &d, &c) < 0) {
        DJM_OOM(err, errlen);
        goto done;
    }
    djm_sum s = {0, 0};
    size_t used = 0;
    for (size_t a = 0; a < d.m; a++) {
        if (c.truth[a] != 0) {
            djm_add(&s, c.tp[a] / c.truth[a]);
            used++;
        }
    }
    if (!used) {
        dj_err(err, errlen, "the weights sum to zero");
        goto done;
    }
    *out = djm_total(&s) / (double)used;
    rc = 0;
done:
    counts_free(&c);
    dense_free(&d);
    return rc;
}

/* sklearn's _prf_divide: num / den, or zero_division when den == 0. */
static double prf_div(double num, double den, double zd)
{
    return den == 0.0 ? zd : num / den;
}

/* F-beta with beta = 1 as sklearn writes it: 2 P R / (P + R), 0 when P + R == 0. */
static double fscore(double prec, double rec)
{
    double den = prec + rec;
    if (den == 0.0)
        den = 1.0;
    return 2.0 * prec * rec / den;
}

enum { WANT_F1, WANT_PRECISION, WANT_RECALL };

/* precision / recall / f1: sklearn precision_recall_fscore_support (beta = 1) with
   average = params.average, pos_label = params.pos_label, zero_division =
   params.zero_division, labels = the present labels.
     binary:   the scores of class pos_label; the present labels must be at most two, and
               pos_label one of them when there are two (sklearn raises otherwise);
     micro:    from the sums of tp, predicted and true over the classes;
     macro:    the unweighted mean of the per-class scores;
     weighted: their mean weighted by each class's true total (support); when the supports
               sum to 0, sklearn's special values (zero_division, or 0).
   Precision = tp / predicted, recall = tp / true, each zero_division when its denominator is
   0; F1 = 2PR / (P + R), 0 when P + R = 0. */
static int prf(const djm_lab *in, int average, int want, double *out, char *err, size_t errlen)
{
    const dojo_metric_params *prm = in->prm;
    double zd = prm->zero_division;
    dense d;
    counts c = {0};
    int rc = -1;
    if (average == DOJO_AVERAGE_SAMPLES)
        return dj_err(err, errlen, "%s: average 'samples' needs sets of labels per row; use "
                      "the text metric f1_samples", in->name);
    if (dense_build(in, &d) < 0 || counts_build(in, &d, &c) < 0) {
        DJM_OOM(err, errlen);
        goto done;
    }
    if (average == DOJO_AVERAGE_BINARY) {
        if (d.m > 2) {
            dj_err(err, errlen, "%s with average 'binary' needs at most two classes, but the "
                   "answers and predictions hold %zu; choose average macro, micro or weighted",
                   in->name, d.m);
            goto done;
        }
        int64_t pos = dense_find(&d, prm->pos_label);
        if (pos < 0 && d.m == 2) {
            dj_err(err, errlen, "pos_label %lld is not one of the classes present (%lld, %lld)",
                   (long long)prm->pos_label, (long long)d.label[0], (long long)d.label[1]);
            goto done;
        }
        double tp = 0, pr = 0, tr = 0; /* an absent pos_label has all three 0 */
        if (pos >= 0) {
            tp = c.tp[pos];
            pr = c.pred[pos];
            tr = c.truth[pos];
        }
        double P = prf_div(tp, pr, zd), R = prf_div(tp, tr, zd);
        *out = want == WANT_PRECISION ? P : want == WANT_RECALL ? R : fscore(P, R);
        rc = 0;
        goto done;
    }
    if (average == DOJO_AVERAGE_MICRO) {
        djm_sum tp = {0, 0}, pr = {0, 0}, tr = {0, 0};
        for (size_t a = 0; a < d.m; a++) {
            djm_add(&tp, c.tp[a]);
            djm_add(&pr, c.pred[a]);
            djm_add(&tr, c.truth[a]);
        }
        double P = prf_div(djm_total(&tp), djm_total(&pr), zd);
        double R = prf_div(djm_total(&tp), djm_total(&tr), zd);
        *out = want == WANT_PRECISION ? P : want == WANT_RECALL ? R : fscore(P, R);
        rc = 0;
        goto done;
    }
    djm_sum s = {0, 0}, sw = {0, 0};
    for (size_t a = 0; a < d.m; a++) {
        double P = prf_div(c.tp[a], c.pred[a], zd), R = prf_div(c.tp[a], c.truth[a], zd);
        double v = want == WANT_PRECISION ? P : want == WANT_RECALL ? R : fscore(P, R);
        if (average == DOJO_AVERAGE_WEIGHTED) {
            djm_add(&s, v * c.truth[a]);
            djm_add(&sw, c.truth[a]);
        } else {
            djm_add(&s, v);
        }
    }
    if (average == DOJO_AVERAGE_WEIGHTED) {
        double tw = djm_total(&sw);
        if (tw == 0) {
            /* sklearn: no true samples at all */
            double ps = 0;
            for (size_t a = 0; a < d.m; a++)
                ps += c.pred[a];
            if (ps == 0)
                *out = zd;
            else
                *out = want == WANT_RECALL ? zd : 0.0;
        } else {
            *out = djm_total(&s) / tw;
        }
    } else {
        *out = djm_total(&s) / (double)d.m;
    }
    rc = 0;
done:
    counts_free(&c);
    dense_free(&d);
    return rc;
}

/* f1: sklearn f1_score with average = params.average (default binary, pos_label 1). */
int djm_f1(const djm_lab *in, double *out, char *err, size_t errlen)
{
    return prf(in, in->prm->average, WANT_F1, out, err, errlen);
}

/* f1_macro / f1_micro / f1_weighted: sklearn f1_score with that average (params.average is
   ignored). */
int djm_f1_macro(const djm_lab *in, double *out, char *err, size_t errlen)
{
    return prf(in, DOJO_AVERAGE_MACRO, WANT_F1, out, err, errlen);
}

int djm_f1_micro(const djm_lab *in, double *out, char *err, size_t errlen)
{
    return prf(in, DOJO_AVERAGE_MICRO, WANT_F1, out, err, errlen);
}

int djm_f1_weighted(const djm_lab *in, double *out, char *err, size_t errlen)
{
    return prf(in, DOJO_AVERAGE_WEIGHTED, WANT_F1, out, err, errlen);
}

/* precision / recall: sklearn precision_score / recall_score, average = params.average. */
int djm_precision(const djm_lab *in, double *out, char *err, size_t errlen)
{
    return prf(in, in->prm->average, WANT_PRECISION, out, err, errlen);
}

int djm_recall(const djm_lab *in, double *out, char *err, size_t errlen)
{
    return prf(in, in->prm->average, WANT_RECALL, out, err, errlen);
}

/* mcc: sklearn matthews_corrcoef (multiclass form, Gorodkin's R_K) from the confusion
   matrix's sums: t_k (true totals), p_k (predicted totals), c (correct), s (all):
     cov(y,p) = c s - sum t_k p_k;  cov(p,p) = s^2 - sum p_k^2;  cov(y,y) = s^2 - sum t_k^2
     mcc = cov(y,p) / sqrt(cov(y,y) cov(p,p)),  and 0.0 when that product is 0 (sklearn's
   value for a constant answer or prediction). */
int djm_mcc(const djm_lab *in, double *out, char *err, size_t errlen)
{
    dense d;
    counts c = {0};
    int rc = -1;
    if (dense_build(in, &d) < 0 || counts_build(in, &d, &c) < 0) {
        DJM_OOM(err, errlen);
        goto done;
    }
    djm_sum corr = {0, 0}, s = {0, 0}, tp = {0, 0}, pp = {0, 0}, tt = {0, 0};
    size_t used_t = 0, used_p = 0; /* classes with nonzero true / predicted weight */
    for (size_t a = 0; a < d.m; a++) {
        used_t += c.truth[a] != 0;
        used_p += c.pred[a] != 0;
        djm_add(&corr, c.tp[a]);
        djm_add(&s, c.pred[a]);
        djm_add(&tp, c.truth[a] * c.pred[a]);
        djm_add(&pp, c.pred[a] * c.pred[a]);
        djm_add(&tt, c.truth[a] * c.truth[a]);
    }
    double ns = djm_total(&s); /* 0 when every weight is 0: then mcc is 0.0, as in sklearn */
    double cov_ytyp = djm_total(&corr) * ns - djm_total(&tp);
    double cov_ypyp = ns * ns - djm_total(&pp);
    double cov_ytyt = ns * ns - djm_total(&tt);
    /* a constant answer or prediction makes a covariance 0 exactly; deciding that from the
       class counts avoids an ulp of rounding turning 0/0 into a tiny ratio */
    if (used_t <= 1 || used_p <= 1 || cov_ypyp * cov_ytyt == 0)
        *out = 0.0;
    else
        *out = cov_ytyp / sqrt(cov_ytyt * cov_ypyp);
    rc = 0;
done:
    counts_free(&c);
    dense_free(&d);
    return rc;
}

/* qwk: quadratic weighted kappa, sklearn cohen_kappa_score(y, p, weights="quadratic"):
     kappa = 1 - sum_ij w_ij O_ij / sum_ij w_ij E_ij,  w_ij = (i - j)^2,
   O the (weighted) confusion matrix, E = outer(predicted totals, true totals) / total, and
   i, j the positions of the labels in the sorted set of present labels (sklearn's choice:
   a label absent from both answers and predictions does not widen the scale). The
   expectation is computed without the m x m matrix: with a, b the two distributions,
     sum_ij (i-j)^2 a_i b_j = B var_a + A var_b + A B (mean_a - mean_b)^2  (a sum of
   nonnegative terms, so no cancellation). Undefined (error) when a single label is present
   or the expectation is 0; sklearn returns NaN there. */
int djm_qwk(const djm_lab *in, double *out, char *err, size_t errlen)
{
    dense d;
    counts c = {0};
    int rc = -1;
    if (dense_build(in, &d) < 0 || counts_build(in, &d, &c) < 0) {
        DJM_OOM(err, errlen);
        goto done;
    }
    djm_sum num = {0, 0};
    for (size_t i = 0; i < in->n; i++) {
        double dd = (double)d.y[i] - (double)d.p[i];
        if (dd != 0)
            djm_add(&num, (in->w ? in->w[i] : 1.0) * dd * dd);
    }
    djm_sum A = {0, 0}, B = {0, 0}, ma = {0, 0}, mb = {0, 0};
    for (size_t a = 0; a < d.m; a++) {
        djm_add(&A, c.pred[a]);
        djm_add(&B, c.truth[a]);
        djm_add(&ma, (double)a * c.pred[a]);
        djm_add(&mb, (double)a * c.truth[a]);
    }
    double sa = djm_total(&A), sb = djm_total(&B);
    if (!(sa > 0)) {
        dj_err(err, errlen, "the weights sum to zero");
        goto done;
    }
    double mua = djm_total(&ma) / sa, mub = djm_total(&mb) / sb;
    djm_sum va = {0, 0}, vb = {0, 0};
    for (size_t a = 0; a < d.m; a++) {
        double da = (double)a - mua, db = (double)a - mub;
        djm_add(&va, c.pred[a] * da * da);
        djm_add(&vb, c.truth[a] * db * db);
    }
    double den = (sb * djm_total(&va) + sa * djm_total(&vb) + sa * sb * (mua - mub) * (mua - mub)) / sa;
    if (d.m < 2 || !(den > 0)) {
        dj_err(err, errlen, "qwk is undefined when the answers and predictions hold a single "
               "class");
        goto done;
    }
    *out = 1.0 - djm_total(&num) / den;
    rc = 0;
done:
    counts_free(&c);
    dense_free(&d);
    return rc;
}
