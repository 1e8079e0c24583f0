/*
 * regression.c -- NUMERIC error metrics: rmse, mse, mae, medae, r2, rmsle, mape, smape, rmspe,
 * mcrmse, mcrmsle.
 *
 * Theory of operation: y and p are n x k arrays (row-major), w optional row weights. The
 * "pooled" metrics (all but mcrmse and mcrmsle) treat the n*k cells as one sample, each cell
 * carrying its row's weight; for mse, mae and mape that is also what scikit-learn's
 * multioutput='uniform_average' gives, for the others it is the catalog's "pooled over all
 * cells" (e.g. crowdflower-weather-twitter rmse, see-click-predict-fix rmsle). mcrmse and
 * mcrmsle average per-column scores. Sums are compensated (Neumaier), so a 100k-row sum
 * matches numpy's pairwise sum to the last bits; weighted means are sum(w x) / sum(w) like
 * numpy.average. Every function below is O(n k) except medae, which sorts (radix, O(n k)).
 */
#include <stdlib.h>

#include "metrics_internal.h"

#define ALL_COLUMNS ((size_t)-1)

/* Weighted mean of djm_cell_loss over column col (or all cells). */
static int mean_loss(const djm_num *in, int op, size_t col, double *res, char *err,
                     size_t errlen)
{
    size_t n = in->n, k = in->k;
    size_t c0 = col == ALL_COLUMNS ? 0 : col, c1 = col == ALL_COLUMNS ? k : col + 1;
    djm_sum s = {0, 0}, sw = {0, 0};
    if (op == DJM_OP_SQLOG) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = c0; j < c1; j++) {
                double a = in->y[i * k + j], b = in->p[i * k + j];
                if (a < 0 || b < 0) {
                    char cell[64];
                    djm_cell_name(cell, sizeof cell, i * k + j, k);
                    return dj_err(err, errlen, "%s: %s %g is negative: %s needs values >= 0",
                                  cell, a < 0 ? "answer" : "prediction", a < 0 ? a : b,
                                  in->name);
                }
            }
    }
    for (size_t i = 0; i < n; i++) {
        const double *yr = in->y + i * k, *pr = in->p + i * k;
        if (in->w) {
            double w = in->w[i];
            for (size_t j = c0; j < c1; j++)
                djm_add(&s, w * djm_cell_loss(op, yr[j], pr[j]));
            djm_add(&sw, w * (double)(c1 - c0));
        } else {
            for (size_t j = c0; j < c1; j++)
                djm_add(&s, djm_cell_loss(op, yr[j], pr[j]));
        }
    }
    double tw = in->w ? djm_total(&sw) : (double)n * (double)(c1 - c0);
    if (!(tw > 0))
        return dj_err(err, errlen, "the weights sum to zero");
    *res = djm_total(&s) / tw;
    return 0;
}

/* mse: sklearn mean_squared_error -- sum(w (y - p)^2) / sum(w), pooled over the cells. */
int djm_mse(const djm_num *in, double *out, char *err, size_t errlen)
{
    return mean_loss(in, DJM_OP_SQ, ALL_COLUMNS, out, err, errlen);
}

/* rmse: sqrt(mse), pooled (sklearn mean_squared_error(squared=False) for one column). */
int djm_rmse(const djm_num *in, double *out, char *err, size_t errlen)
{
    if (mean_loss(in, DJM_OP_SQ, ALL_COLUMNS, out, err, errlen) < 0)
        return -1;
    *out = sqrt(*out);
    return 0;
}

/* mae: sklearn mean_absolute_error -- sum(w |y - p|) / sum(w), pooled. */
int djm_mae(const djm_num *in, double *out, char *err, size_t errlen)
{
    return mean_loss(in, DJM_OP_ABS, ALL_COLUMNS, out, err, errlen);
}

/* mape: sklearn mean_absolute_percentage_error -- a fraction, not percent:
   sum(w |p - y| / max(|y|, 2.22e-16)) / sum(w), pooled (an answer of 0 gives a huge term,
   as in sklearn). */
int djm_mape(const djm_num *in, double *out, char *err, size_t errlen)
{
    return mean_loss(in, DJM_OP_APE, ALL_COLUMNS, out, err, errlen);
}

/* rmsle: sqrt(sklearn mean_squared_log_error) -- sqrt(mean((log1p(y) - log1p(p))^2)),
   pooled; a negative answer or prediction is an error (sklearn raises; competitions that
   clip at 0 first, like grupo-bimbo, do so before calling). */
int djm_rmsle(const djm_num *in, double *out, char *err, size_t errlen)
{
    if (mean_loss(in, DJM_OP_SQLOG, ALL_COLUMNS, out, err, errlen) < 0)
        return -1;
    *out = sqrt(*out);
    return 0;
}

/* smape: Kaggle's symmetric MAPE on the 0-200 percent scale (web-traffic, demand-forecasting,
   playground-series-s3e19 ...): 100/N sum(2 |p - y| / (|y| + |p|)), a term with
   y = p = 0 counting 0 (the catalog's zero_zero 0.0). Pooled; no weights. */
int djm_smape(const djm_num *in, double *out, char *err, size_t errlen)
{
    if (mean_loss(in, DJM_OP_SMAPE, ALL_COLUMNS, out, err, errlen) < 0)
        return -1;
    *out *= 100.0;
    return 0;
}

/* rmspe: Kaggle Rossmann's root mean squared percentage error over the cells whose answer
   is not 0: sqrt(mean(((y - p) / y)^2)). Error when every answer is 0. No weights. */
int djm_rmspe(const djm_num *in, double *out, char *err, size_t errlen)
{
    size_t nc = in->n * in->k, used = 0;
    djm_sum s = {0, 0};
    for (size_t i = 0; i < nc; i++) {
        double y = in->y[i];
        if (y != 0) {
            double r = (y - in->p[i]) / y;
            djm_add(&s, r * r);
            used++;
        }
    }
    if (!used)
        return dj_err(err, errlen, "rmspe is undefined when every answer is 0");
    *out = sqrt(djm_total(&s) / (double)used);
    return 0;
}

/* mcrmse: mean column-wise RMSE -- (1/k) sum_j sqrt(sum_i w_i (y_ij - p_ij)^2 / sum w),
   which is sklearn mean_squared_error(squared=False, multioutput='uniform_average'). */
int djm_mcrmse(const djm_num *in, double *out, char *err, size_t errlen)
{
    djm_sum s = {0, 0};
    for (size_t j = 0; j < in->k; j++) {
        double v = 0;
        if (mean_loss(in, DJM_OP_SQ, j, &v, err, errlen) < 0)
            return -1;
        djm_add(&s, sqrt(v));
    }
    *out = djm_total(&s) / (double)in->k;
    return 0;
}

/* mcrmsle: mean column-wise RMSLE -- (1/k) sum_j sqrt(mean_i (log1p y_ij - log1p p_ij)^2)
   (the covid19-global-forecasting, nomad2018 and tabular-playground-jul-2021 metric; sklearn
   mean_squared_log_error(squared=False) averages the same way). Negative values: error. */
int djm_mcrmsle(const djm_num *in, double *out, char *err, size_t errlen)
{
    djm_sum s = {0, 0};
    for (size_t j = 0; j < in->k; j++) {
        double v = 0;
        if (mean_loss(in, DJM_OP_SQLOG, j, &v, err, errlen) < 0)
            return -1;
        djm_add(&s, sqrt(v));
    }
    *out = djm_total(&s) / (double)in->k;
    return 0;
}

/* r2: sklearn r2_score over the pooled cells:
     1 - sum(w (y - p)^2) / sum(w (y - mean_w(y))^2).
   Degenerate cases as sklearn: fewer than 2 values is an error (sklearn returns NaN); a
   perfect prediction scores 1.0 even for constant answers; constant answers (all equal)
   with an imperfect prediction score 0.0. sklearn decides "constant" from a floating-point
   denominator, dojo from exact equality of the answers first (so 0.1 repeated is constant
   here even when numpy's mean of it is off by an ulp). */
int djm_r2(const djm_num *in, double *out, char *err, size_t errlen)
{
    size_t n = in->n, k = in->k, nc = n * k;
    if (nc < 2)
        return dj_err(err, errlen, "r2 is undefined for fewer than two values");
    djm_sum sy = {0, 0}, sw = {0, 0}, num = {0, 0}, den = {0, 0};
    int constant = 1;
    for (size_t c = 0; c < nc; c++) {
        double w = djm_cw(in->w, c, k);
        if (in->y[c] != in->y[0])
            constant = 0;
        djm_add(&sy, w * in->y[c]);
        djm_add(&sw, w);
        double d = in->y[c] - in->p[c];
        djm_add(&num, w * d * d);
    }
    double tw = djm_total(&sw);
    if (!(tw > 0))
        return dj_err(err, errlen, "the weights sum to zero");
    double mean = djm_total(&sy) / tw;
    if (!constant) {
        for (size_t c = 0; c < nc; c++) {
            double d = in->y[c] - mean;
            djm_add(&den, djm_cw(in->w, c, k) * d * d);
        }
    }
    double nu = djm_total(&num), de = constant ? 0.0 : djm_total(&den);
    if (nu == 0)
        *out = 1.0;
    else if (de == 0)
        *out = 0.0;
    else
        *out = 1.0 - nu / de;
    return 0;
}

/* medae: sklearn median_absolute_error over the pooled cells. Unweighted: numpy's median of
   |y - p| (the mean of the two middle values for an even count). Weighted: sklearn's
   _weighted_percentile(50) -- sort |y - p| ascending, cumulate the weights in that order,
   and take the first value whose cumulative weight reaches half the total (the lower
   weighted median). */
int djm_medae(const djm_num *in, double *out, char *err, size_t errlen)
{
    size_t nc = in->n * in->k, k = in->k;
    if (nc > DJM_SORT_MAX)
        return dj_err(err, errlen, "too many values for medae (%zu; at most %zu)", nc,
                      DJM_SORT_MAX);
    uint64_t *keys = malloc(nc * sizeof *keys);
    uint32_t *idx = in->w ? malloc(nc * sizeof *idx) : NULL;
    if (!keys || (in->w && !idx)) {
        free(keys);
        free(idx);
        return DJM_OOM(err, errlen);
    }
    for (size_t c = 0; c < nc; c++) {
        keys[c] = djm_key(fabs(in->p[c] - in->y[c]));
        if (idx)
            idx[c] = (uint32_t)c;
    }
    int rc = 0;
    if (djm_sort_u64(keys, idx, nc) < 0) {
        rc = DJM_OOM(err, errlen);
    } else if (!in->w) {
        if (nc % 2)
            *out = djm_unkey(keys[nc / 2]);
        else
            *out = (djm_unkey(keys[nc / 2 - 1]) + djm_unkey(keys[nc / 2])) / 2.0;
    } else {
        /* cumulative weights in sorted order, plain running sums like numpy's cumsum */
        double total = 0;
        for (size_t t = 0; t < nc; t++)
            total += djm_cw(in->w, idx[t], k);
        if (!(total > 0)) {
            rc = dj_err(err, errlen, "the weights sum to zero");
        } else {
            double half = 0.5 * total, cum = 0;
            size_t t = 0;
            for (; t < nc; t++) {
                cum += djm_cw(in->w, idx[t], k);
                if (cum >= half)
                    break;
            }
            if (t >= nc)
                t = nc - 1;
            *out = djm_unkey(keys[t]);
        }
    }
    free(keys);
    free(idx);
    return rc;
}
