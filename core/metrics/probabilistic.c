/*
 * probabilistic.c -- metrics of predicted probabilities: the binary log_loss and
 * log_loss_mean_columns and kl_divergence (NUMERIC kind), log_loss_multiclass and
 * weighted_log_loss (PROBA kind: class ids and an n x k probability matrix).
 *
 * Theory of operation: a probability must lie in [0, 1] (an error names the row otherwise;
 * sklearn would silently clip), is clipped to [eps, 1 - eps] (params.eps, 1e-15 by default:
 * the catalog's clip_eps and Kaggle's convention; sklearn 1.2's own default is "auto", the
 * float64 machine epsilon, so pass eps to compare), and, when params.renormalize (default
 * 1), each row is divided by its sum after clipping -- sklearn log_loss's order (clip, then
 * renormalize), which is also the catalog's renormalize_rows competitions' metric.py. One
 * pass over the matrix, one log per row: O(n k).
 */
#include <stdlib.h>

#include "metrics_internal.h"


static int bad_probability(size_t cell, size_t k, double p, char *err, size_t errlen)
{
    char name[64];
    djm_cell_name(name, sizeof name, cell, k);
    return dj_err(err, errlen, "%s: probability %g is outside [0, 1]", name, p);
}

/* Binary log loss of column col (or all cells). */
#define ALL_COLUMNS ((size_t)-1)

static int binary_log_loss(const djm_num *in, size_t col, double *out, char *err,
                           size_t errlen)
{
    size_t n = in->n, k = in->k;
    size_t c0 = col == ALL_COLUMNS ? 0 : col, c1 = col == ALL_COLUMNS ? k : col + 1;
    double eps = in->prm->eps;
    int renorm = in->prm->renormalize != 0;
    djm_sum s = {0, 0}, sw = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double w = in->w ? in->w[i] : 1.0;
        for (size_t j = c0; j < c1; j++) {
            size_t c = i * k + j;
            double y = in->y[c], p = in->p[c];
            if (DJ_UNLIKELY(y != 0 && y != 1)) {
                char name[64];
                djm_cell_name(name, sizeof name, c, k);
                return dj_err(err, errlen, "%s: %s needs answers 0 or 1, found %g", name,
                              in->name, y);
            }
            if (DJ_UNLIKELY(!(p >= 0 && p <= 1)))
                return bad_probability(c, k, p, err, errlen);
            double q1 = djm_clip(p, eps), q0 = 1 - q1;
            double q = y == 1 ? q1 : q0;
            if (renorm)
                q /= q0 + q1; /* sklearn: [1 - p, p] divided by its sum */
            double l = -log(q);
            djm_add(&s, in->w ? w * l : l);
        }
        if (in->w)
            djm_add(&sw, w * (double)(c1 - c0));
    }
    double tw = in->w ? djm_total(&sw) : (double)n * (double)(c1 - c0);
    if (!(tw > 0))
        return dj_err(err, errlen, "the weights sum to zero");
    *out = djm_total(&s) / tw;
    return 0;
}

/* log_loss: binary cross-entropy, sklearn log_loss(y, p, eps=eps, labels=[0, 1]) with
   p = P(y = 1): mean of -[y log q + (1 - y) log(1 - q)], q = clip(p, eps, 1 - eps), pooled
   over the cells, weighted. Answers must be 0 or 1. Unlike sklearn without labels=, answers
   of a single class are fine (the loss is defined). */
int djm_log_loss(const djm_num *in, double *out, char *err, size_t errlen)
{
    return binary_log_loss(in, ALL_COLUMNS, out, err, errlen);
}

/* log_loss_mean_columns: the mean over columns of each column's binary log loss (a
   multi-label matrix of independent binary targets). */
int djm_log_loss_mean_columns(const djm_num *in, double *out, char *err, size_t errlen)
{
    djm_sum s = {0, 0};
    for (size_t j = 0; j < in->k; j++) {
        double v = 0;
        if (binary_log_loss(in, j, &v, err, errlen) < 0)
            return -1;
        djm_add(&s, v);
    }
    *out = djm_total(&s) / (double)in->k;
    return 0;
}

/* kl_divergence: Kaggle's KL divergence metric of hms-harmful-brain-activity-classification
   (kaggle_metrics kl_divergence, micro-averaged):
     mean over rows (weighted) of sum_j t_j log(t_j / clip(p_j, eps, 1 - eps)),
   terms with t_j = 0 counting 0 (scipy's rel_entr convention), where t is the answer row
   divided by its sum (the catalog's true_normalization: vote counts become a distribution;
   a row already summing to 1 is unchanged, one summing to 0 contributes 0). Answers must be
   >= 0, predictions in [0, 1]; predictions are not renormalized. */
int djm_kl_divergence(const djm_num *in, double *out, char *err, size_t errlen)
{
    size_t n = in->n, k = in->k;
    double eps = in->prm->eps;
    djm_sum s = {0, 0}, sw = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const double *y = in->y + i * k, *p = in->p + i * k;
        djm_sum ys = {0, 0};
        for (size_t j = 0; j < k; j++) {
            if (DJ_UNLIKELY(y[j] < 0)) {
                char name[64];
                djm_cell_name(name, sizeof name, i * k + j, k);
                return dj_err(err, errlen, "%s: answer %g is negative", name, y[j]);
            }
            if (DJ_UNLIKELY(!(p[j] >= 0 && p[j] <= 1)))
                return bad_probability(i * k + j, k, p[j], err, errlen);
            djm_add(&ys, y[j]);
        }
        double tot = djm_total(&ys), kl = 0;
        if (tot > 0) {
            djm_sum r = {0, 0};
            for (size_t j = 0; j < k; j++) {
                if (y[j] > 0) {
                    double t = y[j] / tot;
                    djm_add(&r, t * log(t / djm_clip(p[j], eps)));
                }
            }
            kl = djm_total(&r);
        }
        double w = in->w ? in->w[i] : 1.0;
        djm_add(&s, w * kl);
        djm_add(&sw, w);
    }
    double tw = djm_total(&sw);
    if (!(tw > 0))
        return dj_err(err, errlen, "the weights sum to zero");
    *out = djm_total(&s) / tw;
    return 0;
}

/* -log of row i's clipped (and renormalized) probability of its answer's class. */
static int row_loss(const djm_pro *in, size_t i, double *loss, char *err, size_t errlen)
{
    size_t k = in->k;
    double eps = in->prm->eps, sum = 0;
    for (size_t j = 0; j < k; j++) {
        double p = djm_pro_at(in, i, j);
        if (DJ_UNLIKELY(!(p >= 0 && p <= 1))) {
            if (isnan(p)) {
                char name[64];
                djm_cell_name(name, sizeof name, i * k + j, k);
                return dj_err(err, errlen, "%s: prediction is NaN", name);
            }
            return bad_probability(i * k + j, k, p, err, errlen);
        }
        sum += djm_clip(p, eps);
    }
    *loss = djm_row_log_loss(djm_pro_at(in, i, (size_t)in->y[i]), sum, eps, in->prm->renormalize != 0);
    return 0;
}

/* The unweighted loss of rows [i0, i1) of a by-columns input, added to *s: the same per-row
   arithmetic as row_loss (the row sum in column order), a block of rows at a time, column
   by column, so that the loops run over contiguous memory. A block holding a value outside
   [0, 1] is redone by row_loss, which names the first bad cell. */
#define LL_BLOCK 512

typedef struct ll_part {
    const djm_pro *in;
    size_t i0, i1;
    djm_sum s;
    int rc;
    char err[512];
} ll_part;

static void ll_columns(void *arg)
{
    ll_part *t = arg;
    const djm_pro *in = t->in;
    size_t k = in->k;
    double eps = in->prm->eps;
    int renorm = in->prm->renormalize != 0;
    double sum[LL_BLOCK];
    djm_sum s = {0, 0};
    t->rc = 0;
    for (size_t b = t->i0; b < t->i1; b += LL_BLOCK) {
        size_t m = t->i1 - b < LL_BLOCK ? t->i1 - b : LL_BLOCK;
        int bad = 0;
        for (size_t i = 0; i < m; i++)
            sum[i] = 0;
        for (size_t j = 0; j < k; j++) {
            const double *c = in->cols[j] + b;
            for (size_t i = 0; i < m; i++) {
                double p = c[i];
                bad |= !(p >= 0 && p <= 1);
                sum[i] += djm_clip(p, eps);
            }
        }
        if (DJ_UNLIKELY(bad)) {
            for (size_t i = 0; i < m; i++) {
                double l = 0;
                if (row_loss(in, b + i, &l, t->err, sizeof t->err) < 0) {
                    t->rc = -1;
                    return;
                }
            }
        }
        const int64_t *y = in->y + b;
        for (size_t i = 0; i < m; i++)
            djm_add(&s, djm_row_log_loss(in->cols[y[i]][b + i], sum[i], eps, renorm));
    }
    t->s = s;
}

#define LL_HALVES ((size_t)1 << 20) /* from this many rows, the sum is of two halves */

/* log_loss_multiclass: sklearn log_loss(y, P, eps=eps, labels=range(k)):
     mean (weighted) over rows of -log(q_{i, y_i}),  q = clip(P, eps, 1 - eps) / row sum
   (the division only when params.renormalize, default 1; Kaggle's multi-class log loss
   "rescales each row by its sum", and sklearn always does). Every one of the k columns is a
   class, whether or not the answers hold it. Unweighted columns of LL_HALVES rows or more
   are summed in two halves (on two threads when there are two processors), then the halves
   added: the same number whichever way it ran. */
int djm_log_loss_multiclass(const djm_pro *in, double *out, char *err, size_t errlen)
{
    if (in->cols && !in->w) {
        size_t n = in->n, half = n >= LL_HALVES ? n / 2 : n;
        ll_part *a = malloc(2 * sizeof *a);
        if (!a)
            return DJM_OOM(err, errlen);
        a[0].in = a[1].in = in;
        a[0].i0 = 0;
        a[0].i1 = a[1].i0 = half;
        a[1].i1 = n;
        if (half < n)
            dj_run2(ll_columns, &a[1], ll_columns, &a[0]);
        else
            ll_columns(&a[0]);
        int rc = 0;
        for (int h = 0; h < 2 && rc == 0; h++)
            if (a[h].i1 > a[h].i0 && a[h].rc < 0)
                rc = dj_err(err, errlen, "%s", a[h].err);
        if (rc == 0) {
            djm_sum s = a[0].s;
            if (half < n) {
                djm_add(&s, a[1].s.s);
                djm_add(&s, a[1].s.c);
            }
            *out = djm_total(&s) / (double)n;
        }
        free(a);
        return rc;
    }
    djm_sum s = {0, 0}, sw = {0, 0};
    for (size_t i = 0; i < in->n; i++) {
        double l = 0;
        if (row_loss(in, i, &l, err, errlen) < 0)
            return -1;
        if (in->w) {
            djm_add(&s, in->w[i] * l);
            djm_add(&sw, in->w[i]);
        } else {
            djm_add(&s, l);
        }
    }
    double tw = in->w ? djm_total(&sw) : (double)in->n;
    if (!(tw > 0))
        return dj_err(err, errlen, "the weights sum to zero");
    *out = djm_total(&s) / tw;
    return 0;
}

/* weighted_log_loss: the class-balanced log loss of icr-identify-age-related-conditions
   (catalog: "balanced: mean log loss of class 0 and of class 1 averaged with equal
   weight"), for any k:
     (1 / |C|) sum_{c in C} mean_{i: y_i = c} -log(q_{i, c})
   with q as in log_loss_multiclass and C the classes present in the answers (a class absent
   from the answers is left out rather than counted 0). No sample weights. */
int djm_weighted_log_loss(const djm_pro *in, double *out, char *err, size_t errlen)
{
    size_t k = in->k;
    djm_sum *cls = calloc(k, sizeof *cls);
    size_t *cnt = calloc(k, sizeof *cnt);
    if (!cls || !cnt) {
        free(cls);
        free(cnt);
        return DJM_OOM(err, errlen);
    }
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        double l = 0;
        if (row_loss(in, i, &l, err, errlen) < 0) {
            rc = -1;
            break;
        }
        djm_add(&cls[in->y[i]], l);
        cnt[in->y[i]]++;
    }
    if (rc == 0) {
        djm_sum s = {0, 0};
        size_t used = 0;
        for (size_t c = 0; c < k; c++) {
            if (cnt[c]) {
                djm_add(&s, djm_total(&cls[c]) / (double)cnt[c]);
                used++;
            }
        }
        *out = djm_total(&s) / (double)used;
    }
    free(cls);
    free(cnt);
    return rc;
}
