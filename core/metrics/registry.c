/*
 * registry.c -- the metric table (name -> input kind, kernel, direction), the parameter
 * defaults, dojo_metric_list() and the four public entry points.
 *
 * Theory of operation: one X-macro table lists every metric once; it expands into the lookup
 * table and, at compile time, into the static string dojo_metric_list() returns. An entry
 * point finds the metric (linear search over a few dozen names), refuses a metric of another
 * kind with the name of the right entry point, and performs the checks every metric of the
 * kind shares -- rows to score, parameters, weights, finite numbers, class ids in range,
 * well-formed string offsets -- before the family kernel (classification.c, probabilistic.c,
 * regression.c, ranking.c, text.c, and for competitions' own metrics curves.c,
 * sequences.c, geometry.c) checks its own domain and computes. The kernels never see
 * NULL params: the defaults are filled in here.
 */
#include <stdlib.h>

#include "metrics_internal.h"

/* Kernels, defined by the family files. */
#define DECL_NUM(name, hib, w) int djm_##name(const djm_num *in, double *out, char *err, size_t errlen);
#define DECL_LAB(name, hib, w) int djm_##name(const djm_lab *in, double *out, char *err, size_t errlen);
#define DECL_PRO(name, hib, w) int djm_##name(const djm_pro *in, double *out, char *err, size_t errlen);
#define DECL_TXT(name, hib, w) int djm_##name(const djm_txt *in, double *out, char *err, size_t errlen);

/* name, higher is better (1/0), takes sample weights (1/0) */
#define DJM_TABLE(NUM, LAB, PRO, TXT)                                                        \
    NUM(rmse, 0, 1)                                                                          \
    NUM(mse, 0, 1)                                                                           \
    NUM(mae, 0, 1)                                                                           \
    NUM(medae, 0, 1)                                                                         \
    NUM(r2, 1, 1)                                                                            \
    NUM(rmsle, 0, 1)                                                                         \
    NUM(mape, 0, 1)                                                                          \
    NUM(smape, 0, 0)                                                                         \
    NUM(rmspe, 0, 0)                                                                         \
    NUM(mcrmse, 0, 1)                                                                        \
    NUM(mcrmsle, 0, 1)                                                                       \
    NUM(roc_auc, 1, 1)                                                                       \
    NUM(roc_auc_mean_columns, 1, 1)                                                          \
    NUM(gini_normalized, 1, 0)                                                               \
    NUM(log_loss, 0, 1)                                                                      \
    NUM(log_loss_mean_columns, 0, 1)                                                         \
    NUM(average_precision, 1, 1)                                                             \
    NUM(macro_average_precision, 1, 1)                                                       \
    NUM(pearson, 1, 0)                                                                       \
    NUM(spearman, 1, 0)                                                                      \
    NUM(kendall_tau, 1, 0)                                                                   \
    NUM(spearman_mean_columns, 1, 0)                                                         \
    NUM(kl_divergence, 0, 1)                                                                 \
    NUM(weighted_auc_alaska, 1, 0)                                                           \
    NUM(weighted_auc_flavours, 1, 0)                                                         \
    NUM(lwlrap, 1, 0)                                                                        \
    NUM(mean_angular_error, 0, 0)                                                            \
    LAB(accuracy, 1, 1)                                                                      \
    LAB(balanced_accuracy, 1, 1)                                                             \
    LAB(error_rate, 0, 1)                                                                    \
    LAB(f1, 1, 1)                                                                            \
    LAB(f1_macro, 1, 1)                                                                      \
    LAB(f1_micro, 1, 1)                                                                      \
    LAB(f1_weighted, 1, 1)                                                                   \
    LAB(precision, 1, 1)                                                                     \
    LAB(recall, 1, 1)                                                                        \
    LAB(mcc, 1, 1)                                                                           \
    LAB(qwk, 1, 1)                                                                           \
    PRO(log_loss_multiclass, 0, 1)                                                           \
    PRO(weighted_log_loss, 0, 0)                                                             \
    TXT(map_at_k, 1, 0)                                                                      \
    TXT(apk, 1, 0)                                                                           \
    TXT(ndcg_at_k, 1, 0)                                                                     \
    TXT(f1_samples, 1, 0)                                                                    \
    TXT(jaccard_word, 1, 0)                                                                  \
    TXT(levenshtein_mean, 0, 0)                                                              \
    TXT(dice_rle, 1, 0)                                                                      \
    TXT(iou_map, 1, 0)                                                                       \
    TXT(iou_map_boxes, 1, 0)                                                                 \
    TXT(f05_rle, 1, 0)                                                                       \
    TXT(kendall_tau_orders, 1, 0)                                                            \
    TXT(spearman_mean_rows, 1, 0)                                                            \
    TXT(levenshtein_tokens_normalized, 0, 0)                                                 \
    TXT(span_micro_f1, 1, 0)                                                                 \
    TXT(voc_map_50, 1, 0)                                                                    \
    TXT(voc_map_40, 1, 0)

DJM_TABLE(DECL_NUM, DECL_LAB, DECL_PRO, DECL_TXT)

typedef struct djm_def {
    const char *name;
    int kind;
    int higher;
    int weights;
    djm_num_fn num;
    djm_lab_fn lab;
    djm_pro_fn pro;
    djm_txt_fn txt;
} djm_def;

#define ROW_NUM(nm, hib, w) {#nm, DOJO_METRIC_NUMERIC, hib, w, djm_##nm, NULL, NULL, NULL},
#define ROW_LAB(nm, hib, w) {#nm, DOJO_METRIC_LABELS, hib, w, NULL, djm_##nm, NULL, NULL},
#define ROW_PRO(nm, hib, w) {#nm, DOJO_METRIC_PROBA, hib, w, NULL, NULL, djm_##nm, NULL},
#define ROW_TXT(nm, hib, w) {#nm, DOJO_METRIC_TEXT, hib, w, NULL, NULL, NULL, djm_##nm},

static const djm_def defs[] = {DJM_TABLE(ROW_NUM, ROW_LAB, ROW_PRO, ROW_TXT)};

#define STR_NUM(nm, hib, w) #nm "\t1\t" #hib "\n"
#define STR_LAB(nm, hib, w) #nm "\t2\t" #hib "\n"
#define STR_PRO(nm, hib, w) #nm "\t3\t" #hib "\n"
#define STR_TXT(nm, hib, w) #nm "\t4\t" #hib "\n"

static const char metric_list[] = DJM_TABLE(STR_NUM, STR_LAB, STR_PRO, STR_TXT);

const char *dojo_metric_list(void) { return metric_list; }

void dojo_metric_params_init(dojo_metric_params *prm)
{
    if (!prm)
        return;
    memset(prm, 0, sizeof *prm);
    prm->eps = 1e-15;
    prm->k = 0;
    prm->pos_label = 1;
    prm->nclasses = 0;
    prm->average = DOJO_AVERAGE_BINARY;
    prm->renormalize = 1;
    prm->height = 0;
    prm->width = 0;
    prm->zero_division = 0;
}

static const char *const entry_points[] = {"?", "dojo_metric_numeric", "dojo_metric_labels",
                                           "dojo_metric_proba", "dojo_metric_text"};
static const char *const kind_names[] = {"?", "numeric", "labels", "probability", "text"};

/* Finds the metric and checks that it is of `kind`. */
static const djm_def *lookup(const char *metric, int kind, char *err, size_t errlen)
{
    if (!metric) {
        dj_err(err, errlen, "no metric name given");
        return NULL;
    }
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        if (strcmp(defs[i].name, metric) != 0)
            continue;
        if (defs[i].kind != kind) {
            dj_err(err, errlen, "'%s' is a %s metric: call %s, not %s", metric,
                   kind_names[defs[i].kind], entry_points[defs[i].kind], entry_points[kind]);
            return NULL;
        }
        return &defs[i];
    }
    dj_err(err, errlen, "unknown metric '%.100s'", metric);
    return NULL;
}

static int check_params(const dojo_metric_params *prm, char *err, size_t errlen)
{
    if (!(prm->eps >= 0 && prm->eps < 0.5))
        return dj_err(err, errlen, "eps must be in [0, 0.5), got %g", prm->eps);
    if (prm->k < 0)
        return dj_err(err, errlen, "k must be >= 0 (0: the metric's default), got %lld",
                      (long long)prm->k);
    if (prm->nclasses < 0)
        return dj_err(err, errlen, "nclasses must be >= 0, got %lld", (long long)prm->nclasses);
    if (prm->average < DOJO_AVERAGE_BINARY || prm->average > DOJO_AVERAGE_SAMPLES)
        return dj_err(err, errlen, "average must be 0..4 (binary, macro, micro, weighted, "
                      "samples), got %d", prm->average);
    if (prm->height < 0 || prm->width < 0 || ((prm->height == 0) != (prm->width == 0)))
        return dj_err(err, errlen, "height and width must both be positive, or both 0 (no "
                      "bounds check), got %lld x %lld", (long long)prm->height,
                      (long long)prm->width);
    if (prm->height > 0 && prm->width > INT64_MAX / prm->height)
        return dj_err(err, errlen, "the image of %lld x %lld pixels is too large",
                      (long long)prm->height, (long long)prm->width);
    if (!isfinite(prm->zero_division))
        return dj_err(err, errlen, "zero_division must be a finite number");
    return 0;
}

static int check_weights(const djm_def *d, const double *w, size_t n, char *err,
                         size_t errlen)
{
    if (!w)
        return 0;
    if (!d->weights)
        return dj_err(err, errlen, "%s does not take sample weights", d->name);
    for (size_t i = 0; i < n; i++) {
        if (DJ_UNLIKELY(!(w[i] >= 0) || isinf(w[i]))) {
            if (isnan(w[i]))
                return dj_err(err, errlen, "row %zu: weight is NaN", i);
            if (isinf(w[i]))
                return dj_err(err, errlen, "row %zu: weight is infinite", i);
            return dj_err(err, errlen, "row %zu: weight %g is negative", i, w[i]);
        }
    }
    return 0;
}

/* Common start of every entry point. */
static const djm_def *begin(const char *metric, int kind, size_t n,
                            const dojo_metric_params **prm, dojo_metric_params *dflt,
                            double *out, char *err, size_t errlen)
{
    const djm_def *d = lookup(metric, kind, err, errlen);
    if (!d)
        return NULL;
    if (!out) {
        dj_err(err, errlen, "no place for the score (out is NULL)");
        return NULL;
    }
    if (!*prm) {
        dojo_metric_params_init(dflt);
        *prm = dflt;
    }
    if (check_params(*prm, err, errlen) < 0)
        return NULL;
    if (n == 0) {
        dj_err(err, errlen, "no rows to score");
        return NULL;
    }
    return d;
}

/* Blocks of cells are checked without a branch per cell (an exponent of all ones: the
   exponent field plus one carries into the sign bit), so that the loop vectorizes; a block
   that fails is looked at cell by cell for the first bad one. */
static int check_finite(const double *a, size_t ncell, size_t k, const char *what, char *err,
                        size_t errlen)
{
    const uint64_t exp = 0x7ff0000000000000ull, one = 0x0010000000000000ull;
    for (size_t i0 = 0; i0 < ncell; i0 += 4096) {
        size_t i1 = ncell - i0 > 4096 ? i0 + 4096 : ncell;
        uint64_t bad = 0;
        for (size_t i = i0; i < i1; i++) {
            uint64_t u;
            memcpy(&u, a + i, sizeof u);
            bad |= (u & exp) + one;
        }
        if (DJ_LIKELY(!(bad >> 63)))
            continue;
        for (size_t i = i0; i < i1; i++) {
            if (!isfinite(a[i])) {
                char cell[64];
                djm_cell_name(cell, sizeof cell, i, k);
                return dj_err(err, errlen, "%s: %s is %s", cell, what,
                              isnan(a[i]) ? "NaN" : "infinite");
            }
        }
    }
    return 0;
}

int dojo_metric_numeric(const char *metric, const double *y, const double *p, const double *w,
                        size_t n, size_t k, const dojo_metric_params *prm, double *out,
                        char *err, size_t errlen)
{
    dojo_metric_params dflt;
    const djm_def *d = begin(metric, DOJO_METRIC_NUMERIC, n, &prm, &dflt, out, err, errlen);
    if (!d)
        return -1;
    if (k == 0)
        return dj_err(err, errlen, "k (values per row) must be at least 1");
    if (n > SIZE_MAX / 8 / k)
        return dj_err(err, errlen, "too many values (%zu rows x %zu columns)", n, k);
    if (!y || !p)
        return dj_err(err, errlen, "no data (answers or predictions are NULL)");
    if (check_weights(d, w, n, err, errlen) < 0)
        return -1;
    if (check_finite(y, n * k, k, "answer", err, errlen) < 0 ||
        check_finite(p, n * k, k, "prediction", err, errlen) < 0)
        return -1;
    djm_num in = {d->name, y, p, w, n, k, prm};
    *out = NAN;
    return d->num(&in, out, err, errlen);
}

static int check_ids(const int64_t *a, size_t n, int64_t nclasses, const char *what, char *err,
                     size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (DJ_UNLIKELY(a[i] < 0 || (nclasses > 0 && a[i] >= nclasses))) {
            if (nclasses > 0)
                return dj_err(err, errlen, "row %zu: %s %lld is not a class id (0..%lld)", i,
                              what, (long long)a[i], (long long)(nclasses - 1));
            return dj_err(err, errlen, "row %zu: %s %lld is not a class id (ids are >= 0)", i,
                          what, (long long)a[i]);
        }
    }
    return 0;
}

int dojo_metric_labels(const char *metric, const int64_t *y, const int64_t *p, const double *w,
                       size_t n, const dojo_metric_params *prm, double *out,
                       char *err, size_t errlen)
{
    dojo_metric_params dflt;
    const djm_def *d = begin(metric, DOJO_METRIC_LABELS, n, &prm, &dflt, out, err, errlen);
    if (!d)
        return -1;
    if (!y || !p)
        return dj_err(err, errlen, "no data (answers or predictions are NULL)");
    if (n > DJM_SORT_MAX)
        return dj_err(err, errlen, "too many rows (%zu; at most %zu)", n, DJM_SORT_MAX);
    if (check_weights(d, w, n, err, errlen) < 0)
        return -1;
    if (check_ids(y, n, prm->nclasses, "answer", err, errlen) < 0 ||
        check_ids(p, n, prm->nclasses, "prediction", err, errlen) < 0)
        return -1;
    djm_lab in = {d->name, y, p, w, n, prm};
    *out = NAN;
    return d->lab(&in, out, err, errlen);
}

static int proba(const char *metric, const int64_t *y, const double *P,
                 const double *const *cols, const double *w, size_t n, size_t k,
                 const dojo_metric_params *prm, double *out, char *err, size_t errlen)
{
    dojo_metric_params dflt;
    const djm_def *d = begin(metric, DOJO_METRIC_PROBA, n, &prm, &dflt, out, err, errlen);
    if (!d)
        return -1;
    if (k < 2)
        return dj_err(err, errlen, "%s needs at least 2 probability columns, got %zu", d->name,
                      k);
    if (n > SIZE_MAX / 8 / k)
        return dj_err(err, errlen, "too many values (%zu rows x %zu columns)", n, k);
    if (prm->nclasses > 0 && (uint64_t)prm->nclasses != (uint64_t)k)
        return dj_err(err, errlen, "nclasses is %lld but there are %zu probability columns",
                      (long long)prm->nclasses, k);
    if (!y || (!P && !cols))
        return dj_err(err, errlen, "no data (answers or probabilities are NULL)");
    for (size_t j = 0; cols && j < k; j++)
        if (!cols[j])
            return dj_err(err, errlen, "no data (probability column %zu is NULL)", j);
    if (check_weights(d, w, n, err, errlen) < 0)
        return -1;
    if (check_ids(y, n, (int64_t)k, "answer", err, errlen) < 0)
        return -1;
    djm_pro in = {d->name, y, P, w, n, k, prm, cols};
    *out = NAN;
    return d->pro(&in, out, err, errlen);
}

int dojo_metric_proba(const char *metric, const int64_t *y, const double *P, const double *w,
                      size_t n, size_t k, const dojo_metric_params *prm, double *out,
                      char *err, size_t errlen)
{
    return proba(metric, y, P, NULL, w, n, k, prm, out, err, errlen);
}

int dojo_metric_proba_columns(const char *metric, const int64_t *y, const double *const *cols,
                              const double *w, size_t n, size_t k,
                              const dojo_metric_params *prm, double *out, char *err,
                              size_t errlen)
{
    return proba(metric, y, NULL, cols, w, n, k, prm, out, err, errlen);
}

static int check_offsets(const char *data, const int64_t *offs, size_t n, const char *what,
                         char *err, size_t errlen)
{
    if (!offs)
        return dj_err(err, errlen, "no %s offsets (NULL)", what);
    if (offs[0] < 0)
        return dj_err(err, errlen, "%s offsets must not be negative", what);
    for (size_t i = 0; i < n; i++)
        if (offs[i + 1] < offs[i])
            return dj_err(err, errlen, "row %zu: %s offsets decrease", i, what);
    if (!data && offs[n] != offs[0])
        return dj_err(err, errlen, "no %s data (NULL)", what);
    return 0;
}

int dojo_metric_text(const char *metric, const char *ydata, const int64_t *yoffs,
                     const char *pdata, const int64_t *poffs, size_t n,
                     const dojo_metric_params *prm, double *out, char *err, size_t errlen)
{
    dojo_metric_params dflt;
    const djm_def *d = begin(metric, DOJO_METRIC_TEXT, n, &prm, &dflt, out, err, errlen);
    if (!d)
        return -1;
    if (check_offsets(ydata, yoffs, n, "answer", err, errlen) < 0 ||
        check_offsets(pdata, poffs, n, "prediction", err, errlen) < 0)
        return -1;
    djm_txt in = {d->name, ydata ? ydata : "", pdata ? pdata : "", yoffs, poffs, n, prm};
    *out = NAN;
    return d->txt(&in, out, err, errlen);
}
