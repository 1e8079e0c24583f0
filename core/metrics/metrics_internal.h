/*
 * metrics_internal.h -- what the metric families (the .c files of core/metrics) share: the
 * input views handed to each kernel, compensated summation, sorting, ranks and small
 * validation helpers.
 * Not part of the public API (see the "Metrics" section of core/dojo.h).
 *
 * Division of work: registry.c looks a metric up by name, checks the entry point (kind), the
 * row count, the parameters, the sample weights (finite, >= 0, only for metrics that take
 * them) and, for NUMERIC metrics, that every answer and prediction is finite. Each kernel then
 * checks its own domain (answers 0/1, probabilities in [0, 1], class ids, string formats)
 * and computes.
 */
#ifndef DOJO_METRICS_INTERNAL_H
#define DOJO_METRICS_INTERNAL_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ---- inputs ------------------------------------------------------------------------- */

typedef struct djm_num {      /* NUMERIC: y, p hold n x k doubles, row-major */
    const char *name;
    const double *y, *p, *w;  /* w: n row weights or NULL */
    size_t n, k;
    const dojo_metric_params *prm;
} djm_num;

typedef struct djm_lab {      /* LABELS: class ids, already checked to be in 0..C-1 */
    const char *name;
    const int64_t *y, *p;
    const double *w;
    size_t n;
    const dojo_metric_params *prm;
} djm_lab;

typedef struct djm_pro {      /* PROBA: y class ids in 0..k-1 (checked); P n x k */
    const char *name;
    const int64_t *y;
    const double *P, *w;
    size_t n, k;
    const dojo_metric_params *prm;
    const double *const *cols; /* or, when not NULL (and P is NULL), k columns of n */
} djm_pro;

/* Cell (i, j) of a PROBA input, row-major or by columns. */
static inline double djm_pro_at(const djm_pro *in, size_t i, size_t j)
{
    return in->cols ? in->cols[j][i] : in->P[i * in->k + j];
}

typedef struct djm_txt {      /* TEXT: row i of y is yd[yo[i] .. yo[i+1]) (offsets checked) */
    const char *name;
    const char *yd, *pd;
    const int64_t *yo, *po;
    size_t n;
    const dojo_metric_params *prm;
} djm_txt;

typedef int (*djm_num_fn)(const djm_num *in, double *out, char *err, size_t errlen);
typedef int (*djm_lab_fn)(const djm_lab *in, double *out, char *err, size_t errlen);
typedef int (*djm_pro_fn)(const djm_pro *in, double *out, char *err, size_t errlen);
typedef int (*djm_txt_fn)(const djm_txt *in, double *out, char *err, size_t errlen);

/* ---- compensated summation (Neumaier) ------------------------------------------------ */

typedef struct djm_sum {
    double s, c;
} djm_sum;

static inline void djm_add(djm_sum *a, double x)
{
    double t = a->s + x;
    if (fabs(a->s) >= fabs(x))
        a->c += (a->s - t) + x;
    else
        a->c += (x - t) + a->s;
    a->s = t;
}

/* The sum; an overflow to +-inf (or inf - inf) is returned as such, not as NaN. */
static inline double djm_total(const djm_sum *a)
{
    if (!isfinite(a->s))
        return a->s;
    return a->s + a->c;
}

/* ---- cell losses (regression.c, score_stream.c) -------------------------------------- */

enum { DJM_OP_SQ, DJM_OP_ABS, DJM_OP_APE, DJM_OP_SQLOG, DJM_OP_SMAPE };

/* The loss of one cell: squared error, absolute error, absolute percentage error (sklearn:
   |p - y| / max(|y|, machine epsilon)), squared log error, or Kaggle's SMAPE term
   2 |p - y| / (|y| + |p|) with 0/0 = 0. */
static inline double djm_cell_loss(int op, double y, double p)
{
    switch (op) {
    case DJM_OP_SQ: {
        double d = y - p;
        return d * d;
    }
    case DJM_OP_ABS:
        return fabs(p - y);
    case DJM_OP_APE:
        return fabs(p - y) / fmax(fabs(y), DBL_EPSILON);
    case DJM_OP_SQLOG: {
        double d = log1p(y) - log1p(p);
        return d * d;
    }
    default: {
        double den = fabs(y) + fabs(p);
        return den == 0 ? 0.0 : 2.0 * fabs(y - p) / den;
    }
    }
}

/* ---- log loss (probabilistic.c, score_stream.c) -------------------------------------- */

/* p clipped to [eps, 1 - eps]: the probabilities of a log loss. */
static inline double djm_clip(double p, double eps)
{
    double hi = 1 - eps;
    return p < eps ? eps : p > hi ? hi : p;
}

/* The multi-class log loss of one row: -log(q), q the answer's clipped probability, divided
   by the row's clipped sum (added in column order) when renorm. */
static inline double djm_row_log_loss(double p_answer, double clipped_sum, double eps, int renorm)
{
    double q = djm_clip(p_answer, eps);
    if (renorm)
        q /= clipped_sum;
    return -log(q);
}

/* ---- sorting and ranks (sort.c) ------------------------------------------------------ */

/* Largest row count of the sorting kernels (indices are 32-bit). */
#define DJM_SORT_MAX ((size_t)UINT32_MAX)

/* An unsigned key whose ascending order is the numeric order of the (non-NaN) double x;
   -0.0 and 0.0 get the same key. */
static inline uint64_t djm_key(double x)
{
    uint64_t u;
    if (x == 0)
        x = 0.0;
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : (u | 0x8000000000000000ull);
}

/* Sorts keys ascending, carrying pay (may be NULL) along; stable. -1: out of memory. */
int djm_sort_u64(uint64_t *keys, uint32_t *pay, size_t n);
/* Sorts the cells x[i * stride] (i < n): *keys gets their djm_keys ascending, *idx the
   cell numbers in that order (ties in index order: stable). Both malloc'd; -1: OOM. Equal
   keys are equal values, so groups of ties are runs of equal keys. */
int djm_argsort_keys(const double *x, size_t n, size_t stride, uint64_t **keys,
                     uint32_t **idx);
/* Average ranks (1-based, ties share the mean of their positions; scipy's rankdata
   'average') of x[i * stride]. -1: out of memory. */
int djm_rank_average(const double *x, size_t n, size_t stride, double *rank);
/* Two classes of keys, p and q (unsorted; both are overwritten: their keys are moved),
   visited by ranges of keys from the highest down, as a merge of the two sorted arrays would
   meet them. Each range goes to fn as one array x[0, n) sorted ascending, where x >> 1 is the
   key less a base of the range (equal keys, equal values) and x & 1 is 1 for a key of p and
   0 for one of q, with the numbers of keys of p and of q above the range; all keys equal to
   one of a range are in it. With `lower`, the ranges below a cut go to lower on a second
   thread (from the highest down) while those above go to upper: each call gives its counts,
   so the parts are independent; with lower NULL every range goes to upper, in order, on the
   calling thread. -1: out of memory. At most DJM_SORT_MAX keys in all. */
typedef void (*djm_pairs_fn)(void *state, const uint64_t *x, size_t n, size_t p_above,
                             size_t q_above);
int djm_visit_pairs(uint64_t *p, size_t np, uint64_t *q, size_t nq, djm_pairs_fn fn,
                    void *upper, void *lower);
/* The double whose djm_key is k. */
static inline double djm_unkey(uint64_t k)
{
    uint64_t u = (k >> 63) ? (k & 0x7fffffffffffffffull) : ~k;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---- shared kernels ----------------------------------------------------------------- */

/* Pearson correlation of x[i*sx], y[i*sy] for i < n, as scipy.stats.pearsonr computes it.
   Returns 0 with *r, or 1 when undefined (n < 2 or a constant input; *which = 0 for x,
   1 for y, 2 for n < 2). */
int djm_pearson_core(const double *x, size_t sx, const double *y, size_t sy, size_t n,
                     double *r, int *which);

/* Unweighted ROC AUC (sklearn roc_auc_score, binary) and average precision
   (average_precision_score) from the djm_keys of the positives' predictions (pos) and of the
   negatives' (neg), in any order; both arrays are overwritten (their keys moved). The same
   numbers, bit for bit, as the roc_auc and average_precision kernels on those cells. AUC with
   no positive or no negative is an error ("roc_auc is undefined when the answers hold only
   one class"); AP without positives is 0.0 (sklearn), without any key an error. At most
   DJM_SORT_MAX keys in all. 0, or -1 with a message. */
int djm_auc_keys(uint64_t *pos, size_t npos, uint64_t *neg, size_t nneg, double *out, char *err,
                 size_t errlen);
int djm_ap_keys(uint64_t *pos, size_t npos, uint64_t *neg, size_t nneg, double *out, char *err,
                size_t errlen);

/* Messages shared by the families. */
#define DJM_OOM(err, errlen) dj_err(err, errlen, "out of memory")

/* "row 17" for k == 1, "row 17, column 2" otherwise (cell = row * k + column). */
static inline void djm_cell_name(char *buf, size_t len, size_t cell, size_t k)
{
    if (k <= 1)
        snprintf(buf, len, "row %zu", cell);
    else
        snprintf(buf, len, "row %zu, column %zu", cell / k, cell % k);
}

/* Weight of cell `cell` of an n x k array (row weights w, or 1). */
static inline double djm_cw(const double *w, size_t cell, size_t k)
{
    return w ? w[k == 1 ? cell : cell / k] : 1.0;
}

/* Text: splits on the whitespace Python's str.split() knows (ASCII and Unicode); fills
   spans (start offset into s, length) of each token; returns the token count, or
   (size_t)-1 out of memory. *spans is grown with dj_grow. */
typedef struct djm_span {
    size_t off, len;
} djm_span;
size_t djm_split(const char *s, size_t len, djm_span **spans, size_t *cap);

#endif
