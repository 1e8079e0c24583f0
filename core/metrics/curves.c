/*
 * curves.c -- NUMERIC metrics over ROC curves and label rankings that Kaggle competitions
 * defined for themselves:
 *   weighted_auc_alaska    alaska2-image-steganalysis: ROC area in TPR bands, weighted 2:1
 *   weighted_auc_flavours  flavours-of-physics: truncated ROC area, TPR bands weighted 4:3:2:1
 *   lwlrap                 freesound-audio-tagging-2019: label-weighted label-ranking AP
 *
 * Theory of operation: the two weighted AUCs share one pass. The ROC points come from one
 * stable argsort of the predictions walked from the highest score down, one point per group
 * of tied scores (the distinct thresholds of sklearn's roc_curve, starting at (0, 0)); each
 * band [a, b] of true-positive rate contributes the trapezoid area under min(tpr, b) less
 * the area under min(tpr, a) -- the flavours-of-physics starter kit's roc_auc_truncated,
 * auc(fpr, minimum(tpr, b)) - auc(fpr, minimum(tpr, a)) -- times its weight, and the sum is
 * divided by sum(weight * (b - a)) so that a perfect ranking scores 1 and a random one
 * about 0.59 (alaska2) or 0.70 (flavours). Answers must be 0/1 with both classes present.
 * lwlrap is, per positive (row, label) pair, the fraction of the labels scored at least as
 * high as it that are positive, averaged over all pairs: sklearn's
 * label_ranking_average_precision_score with each row weighted by its number of positive
 * labels (ties count every tied label as ranked above, as sklearn does). O(n k^2).
 */
#include <stdlib.h>

#include "metrics_internal.h"

typedef struct band {
    double a, b, w;
} band;

static const band ALASKA[] = {{0.0, 0.4, 2.0}, {0.4, 1.0, 1.0}};
static const band FLAVOURS[] = {{0.0, 0.2, 4.0}, {0.2, 0.4, 3.0}, {0.4, 0.6, 2.0},
                                {0.6, 0.8, 1.0}, {0.8, 1.0, 0.0}};

static double clipv(double x, double hi) { return x < hi ? x : hi; }

static int banded_auc(const djm_num *in, const band *bands, size_t nb, double *out, char *err,
                      size_t errlen)
{
    size_t m = in->n * in->k;
    if (m > DJM_SORT_MAX)
        return dj_err(err, errlen, "too many values (%zu; at most %zu)", m, DJM_SORT_MAX);
    double npos = 0, nneg = 0;
    for (size_t i = 0; i < m; i++) {
        double y = in->y[i];
        if (y == 1)
            npos++;
        else if (y == 0)
            nneg++;
        else {
            char cell[64];
            djm_cell_name(cell, sizeof cell, i, in->k);
            return dj_err(err, errlen, "%s: answer %g is not 0 or 1", cell, y);
        }
    }
    if (npos == 0 || nneg == 0)
        return dj_err(err, errlen, "%s is undefined when the answers hold only one class",
                      in->name);
    uint64_t *keys;
    uint32_t *idx;
    if (djm_argsort_keys(in->p, m, 1, &keys, &idx) < 0)
        return DJM_OOM(err, errlen);
    djm_sum area[8];
    for (size_t b = 0; b < nb; b++)
        area[b] = (djm_sum){0, 0};
    double tp = 0, fp = 0, px = 0, py = 0;
    size_t i = m;
    while (i > 0) { /* from the highest score down, one step per group of ties */
        size_t j = i;
        while (j > 0 && keys[j - 1] == keys[i - 1]) {
            j--;
            if (in->y[idx[j]] == 1)
                tp++;
            else
                fp++;
        }
        i = j;
        double x = fp / nneg, y = tp / npos;
        for (size_t b = 0; b < nb; b++) {
            double hi0 = clipv(py, bands[b].b) - clipv(py, bands[b].a);
            double hi1 = clipv(y, bands[b].b) - clipv(y, bands[b].a);
            djm_add(&area[b], (x - px) * (hi0 + hi1) / 2);
        }
        px = x;
        py = y;
    }
    free(keys);
    free(idx);
    djm_sum s = {0, 0}, norm = {0, 0};
    for (size_t b = 0; b < nb; b++) {
        djm_add(&s, bands[b].w * djm_total(&area[b]));
        djm_add(&norm, bands[b].w * (bands[b].b - bands[b].a));
    }
    *out = djm_total(&s) / djm_total(&norm);
    return 0;
}

/* weighted_auc_alaska: alaska2's weighted AUC -- TPR bands [0, 0.4] and [0.4, 1] weighted
   2 and 1, normalized by 2 * 0.4 + 1 * 0.6 = 1.4. The host's published script approximates
   each band's edges (it jumps to the band's top at the last ROC point inside it); dojo
   integrates the band exactly, which differs from it by O(1/n). */
int djm_weighted_auc_alaska(const djm_num *in, double *out, char *err, size_t errlen)
{
    return banded_auc(in, ALASKA, sizeof ALASKA / sizeof ALASKA[0], out, err, errlen);
}

/* weighted_auc_flavours: flavours-of-physics' roc_auc_truncated with its defaults,
   tpr_thresholds (0.2, 0.4, 0.6, 0.8) and roc_weights (4, 3, 2, 1, 0). The competition
   scores only the events with min_ANNmuon > 0.4: the catalog's glue filters the rows. */
int djm_weighted_auc_flavours(const djm_num *in, double *out, char *err, size_t errlen)
{
    return banded_auc(in, FLAVOURS, sizeof FLAVOURS / sizeof FLAVOURS[0], out, err, errlen);
}

/* lwlrap: y is n x k of 0/1 (label present), p n x k scores. */
int djm_lwlrap(const djm_num *in, double *out, char *err, size_t errlen)
{
    size_t n = in->n, k = in->k;
    djm_sum s = {0, 0};
    double pairs = 0;
    for (size_t i = 0; i < n; i++) {
        const double *y = in->y + i * k, *p = in->p + i * k;
        for (size_t j = 0; j < k; j++) {
            if (y[j] != 0 && y[j] != 1) {
                char cell[64];
                djm_cell_name(cell, sizeof cell, i * k + j, k);
                return dj_err(err, errlen, "%s: answer %g is not 0 or 1", cell, y[j]);
            }
        }
        for (size_t j = 0; j < k; j++) {
            if (y[j] != 1)
                continue;
            double rank = 0, hits = 0;
            for (size_t l = 0; l < k; l++) {
                if (p[l] >= p[j]) {
                    rank++;
                    if (y[l] == 1)
                        hits++;
                }
            }
            djm_add(&s, hits / rank);
            pairs++;
        }
    }
    if (pairs == 0)
        return dj_err(err, errlen, "lwlrap is undefined when no answer row has a label");
    *out = djm_total(&s) / pairs;
    return 0;
}
