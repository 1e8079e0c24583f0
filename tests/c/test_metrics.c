/* test_metrics.c -- the metric kernels: hand-computed cases per metric, the degenerate
   cases and their error messages, the registry (dojo_metric_list, unknown names, wrong entry
   points). The randomized comparison with scikit-learn / scipy is tests/parity/. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dojo.h"
#include "harness.h"

void test_metrics(void);

static char err[512];

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers: run a metric, check a value or an error ---------------------------------- */

static int close_to(double a, double b)
{
    if (isinf(a) || isinf(b))
        return a == b;
    return fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1);
}

static int num(const char *m, const double *y, const double *p, const double *w, size_t n,
               size_t k, const dojo_metric_params *prm, double *out)
{
    err[0] = 0;
    return dojo_metric_numeric(m, y, p, w, n, k, prm, out, err, sizeof err);
}

#define NUM_IS(m, y, p, w, n, k, prm, expect)                                                \
    do {                                                                                    \
        double v_ = NAN;                                                                    \
        int rc_ = num(m, y, p, w, n, k, prm, &v_);                                          \
        CHECK(rc_ == 0 && close_to(v_, expect), "%s: got %.17g (rc %d: %s), want %.17g", m,  \
              v_, rc_, err, (double)(expect));                                              \
    } while (0)

#define NUM_ERR(m, y, p, w, n, k, prm, text)                                                 \
    do {                                                                                    \
        double v_ = 0;                                                                      \
        int rc_ = num(m, y, p, w, n, k, prm, &v_);                                          \
        CHECK(rc_ == -1 && strstr(err, text), "%s: want error '%s', got rc %d '%s' (%g)",      \
              (const char *)(m) ? (const char *)(m) : "(null)", text, rc_, err, v_);                                                          \
    } while (0)

static int lab(const char *m, const int64_t *y, const int64_t *p, const double *w, size_t n,
               const dojo_metric_params *prm, double *out)
{
    err[0] = 0;
    return dojo_metric_labels(m, y, p, w, n, prm, out, err, sizeof err);
}

#define LAB_IS(m, y, p, w, n, prm, expect)                                                   \
    do {                                                                                    \
        double v_ = NAN;                                                                    \
        int rc_ = lab(m, y, p, w, n, prm, &v_);                                             \
        CHECK(rc_ == 0 && close_to(v_, expect), "%s: got %.17g (rc %d: %s), want %.17g", m,  \
              v_, rc_, err, (double)(expect));                                              \
    } while (0)

#define LAB_ERR(m, y, p, w, n, prm, text)                                                    \
    do {                                                                                    \
        double v_ = 0;                                                                      \
        int rc_ = lab(m, y, p, w, n, prm, &v_);                                             \
        CHECK(rc_ == -1 && strstr(err, text), "%s: want error '%s', got rc %d '%s' (%g)",      \
              (const char *)(m) ? (const char *)(m) : "(null)", text, rc_, err, v_);                                                          \
    } while (0)

static int pro(const char *m, const int64_t *y, const double *P, const double *w, size_t n,
               size_t k, const dojo_metric_params *prm, double *out)
{
    err[0] = 0;
    return dojo_metric_proba(m, y, P, w, n, k, prm, out, err, sizeof err);
}

/* TEXT: rows given as a NULL-terminated array of C strings */
static int txt(const char *m, const char *const *ys, const char *const *ps,
               const dojo_metric_params *prm, double *out)
{
    static char yd[8192], pd[8192];
    static int64_t yo[256], po[256];
    size_t n = 0, yl = 0, pl = 0;
    yo[0] = po[0] = 0;
    for (; ys[n]; n++) {
        size_t a = strlen(ys[n]), b = strlen(ps[n]);
        memcpy(yd + yl, ys[n], a);
        memcpy(pd + pl, ps[n], b);
        yl += a;
        pl += b;
        yo[n + 1] = (int64_t)yl;
        po[n + 1] = (int64_t)pl;
    }
    err[0] = 0;
    return dojo_metric_text(m, yd, yo, pd, po, n, prm, out, err, sizeof err);
}

#define TXT_IS(m, ys, ps, prm, expect)                                                       \
    do {                                                                                    \
        double v_ = NAN;                                                                    \
        int rc_ = txt(m, ys, ps, prm, &v_);                                                 \
        CHECK(rc_ == 0 && close_to(v_, expect), "%s: got %.17g (rc %d: %s), want %.17g", m,  \
              v_, rc_, err, (double)(expect));                                              \
    } while (0)

#define TXT_ERR(m, ys, ps, prm, text)                                                        \
    do {                                                                                    \
        double v_ = 0;                                                                      \
        int rc_ = txt(m, ys, ps, prm, &v_);                                                 \
        CHECK(rc_ == -1 && strstr(err, text), "%s: want error '%s', got rc %d '%s' (%g)",      \
              (const char *)(m) ? (const char *)(m) : "(null)", text, rc_, err, v_);                                                          \
    } while (0)

/* ---- registry ---------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int kind, higher;
} expected_metrics[] = {
    {"rmse", 1, 0}, {"mse", 1, 0}, {"mae", 1, 0}, {"medae", 1, 0}, {"r2", 1, 1},
    {"rmsle", 1, 0}, {"mape", 1, 0}, {"smape", 1, 0}, {"rmspe", 1, 0}, {"mcrmse", 1, 0},
    {"mcrmsle", 1, 0}, {"roc_auc", 1, 1}, {"roc_auc_mean_columns", 1, 1},
    {"gini_normalized", 1, 1}, {"log_loss", 1, 0}, {"log_loss_mean_columns", 1, 0},
    {"average_precision", 1, 1}, {"macro_average_precision", 1, 1}, {"pearson", 1, 1},
    {"spearman", 1, 1}, {"kendall_tau", 1, 1}, {"spearman_mean_columns", 1, 1},
    {"kl_divergence", 1, 0}, {"accuracy", 2, 1}, {"balanced_accuracy", 2, 1},
    {"error_rate", 2, 0}, {"f1", 2, 1}, {"f1_macro", 2, 1}, {"f1_micro", 2, 1},
    {"f1_weighted", 2, 1}, {"precision", 2, 1}, {"recall", 2, 1}, {"mcc", 2, 1},
    {"qwk", 2, 1}, {"log_loss_multiclass", 3, 0}, {"weighted_log_loss", 3, 0},
    {"map_at_k", 4, 1}, {"apk", 4, 1}, {"ndcg_at_k", 4, 1}, {"f1_samples", 4, 1},
    {"jaccard_word", 4, 1}, {"levenshtein_mean", 4, 0}, {"dice_rle", 4, 1},
    {"iou_map", 4, 1}, {"iou_map_boxes", 4, 1},
    {"weighted_auc_alaska", 1, 1}, {"weighted_auc_flavours", 1, 1}, {"lwlrap", 1, 1},
    {"mean_angular_error", 1, 0}, {"f05_rle", 4, 1}, {"kendall_tau_orders", 4, 1},
    {"spearman_mean_rows", 4, 1}, {"levenshtein_tokens_normalized", 4, 0},
    {"span_micro_f1", 4, 1}, {"voc_map_50", 4, 1}, {"voc_map_40", 4, 1},
};

static void test_registry(void)
{
    dj_test_begin("metrics: dojo_metric_list names every metric with its kind and direction");
    const char *list = dojo_metric_list();
    CHECK(list != NULL, "no list");
    size_t lines = 0;
    for (const char *q = list; q && *q; q++)
        lines += *q == '\n';
    CHECK(lines == NELEM(expected_metrics), "%zu lines, want %zu", lines,
          NELEM(expected_metrics));
    for (size_t i = 0; i < NELEM(expected_metrics); i++) {
        char line[96];
        snprintf(line, sizeof line, "\n%s\t%d\t%d\n", expected_metrics[i].name,
                 expected_metrics[i].kind, expected_metrics[i].higher);
        int found = list && (strstr(list, line) || strncmp(list, line + 1, strlen(line + 1)) == 0);
        CHECK(found, "missing line '%s\\t%d\\t%d'",
              expected_metrics[i].name, expected_metrics[i].kind, expected_metrics[i].higher);
    }
    CHECK(list == dojo_metric_list(), "the list is not static");
    dj_test_end();

    dj_test_begin("metrics: params defaults");
    dojo_metric_params prm;
    memset(&prm, 0x5a, sizeof prm);
    dojo_metric_params_init(&prm);
    CHECK(prm.eps == 1e-15 && prm.k == 0 && prm.pos_label == 1 && prm.nclasses == 0 &&
              prm.average == DOJO_AVERAGE_BINARY && prm.renormalize == 1 && prm.height == 0 &&
              prm.width == 0 && prm.zero_division == 0,
          "unexpected defaults");
    dj_test_end();

    dj_test_begin("metrics: unknown names, wrong entry points, shared checks");
    double y[] = {0, 1, 1}, p[] = {0.2, 0.7, NAN}, out;
    int64_t yi[] = {0, 1}, pi[] = {1, 1};
    NUM_ERR("x", y, p, NULL, 2, 1, NULL, "unknown metric 'x'");
    NUM_ERR(NULL, y, p, NULL, 2, 1, NULL, "no metric name");
    NUM_ERR("f1_macro", y, p, NULL, 2, 1, NULL, "call dojo_metric_labels");
    LAB_ERR("roc_auc", yi, pi, NULL, 2, NULL, "call dojo_metric_numeric");
    CHECK(pro("accuracy", yi, p, NULL, 2, 2, NULL, &out) == -1 &&
              strstr(err, "call dojo_metric_labels"), "proba: %s", err);
    {
        const char *ys[] = {"a", NULL}, *ps[] = {"a", NULL};
        TXT_ERR("log_loss_multiclass", ys, ps, NULL, "call dojo_metric_proba");
    }
    NUM_ERR("rmse", y, p, NULL, 0, 1, NULL, "no rows to score");
    LAB_ERR("accuracy", yi, pi, NULL, 0, NULL, "no rows to score");
    NUM_ERR("rmse", y, p, NULL, 3, 1, NULL, "row 2: prediction is NaN");
    {
        double yy[] = {1, 2, 3, INFINITY}, pp[] = {1, 2, 3, 4};
        NUM_ERR("mae", yy, pp, NULL, 2, 2, NULL, "row 1, column 1: answer is infinite");
    }
    NUM_ERR("rmse", y, p, NULL, 2, 0, NULL, "at least 1");
    {
        double w[] = {1, -1};
        NUM_ERR("rmse", y, p, w, 2, 1, NULL, "row 1: weight -1 is negative");
        double wn[] = {NAN, 1};
        NUM_ERR("rmse", y, p, wn, 2, 1, NULL, "row 0: weight is NaN");
        double w0[] = {0, 0};
        NUM_ERR("rmse", y, p, w0, 2, 1, NULL, "the weights sum to zero");
        double w1[] = {1, 1};
        NUM_ERR("pearson", y, p, w1, 2, 1, NULL, "pearson does not take sample weights");
    }
    dojo_metric_params prm2;
    dojo_metric_params_init(&prm2);
    prm2.eps = 0.7;
    NUM_ERR("log_loss", y, p, NULL, 2, 1, &prm2, "eps must be in [0, 0.5)");
    dojo_metric_params_init(&prm2);
    prm2.average = 9;
    LAB_ERR("f1", yi, pi, NULL, 2, &prm2, "average must be");
    dojo_metric_params_init(&prm2);
    prm2.height = 10;
    NUM_ERR("rmse", y, p, NULL, 2, 1, &prm2, "height and width");
    CHECK(dojo_metric_numeric("rmse", y, p, NULL, 2, 1, NULL, NULL, err, sizeof err) == -1,
          "out NULL accepted");
    CHECK(dojo_metric_numeric("nope", y, p, NULL, 2, 1, NULL, &out, NULL, 0) == -1,
          "NULL err buffer");
    dj_test_end();
}

/* ---- regression ------------------------------------------------------------------------ */

static void test_regression(void)
{
    dj_test_begin("metrics: rmse mse mae medae mape");
    double y[] = {1, 2, 3, 4}, p[] = {1, 2, 3, 6};
    NUM_IS("mse", y, p, NULL, 4, 1, NULL, 1.0);
    NUM_IS("rmse", y, p, NULL, 4, 1, NULL, 1.0);
    NUM_IS("mae", y, p, NULL, 4, 1, NULL, 0.5);
    NUM_IS("medae", y, p, NULL, 4, 1, NULL, 0.0);
    double p2[] = {2, 2, 5, 4}; /* |e| = 1 0 2 0: median of 0 0 1 2 = 0.5 */
    NUM_IS("medae", y, p2, NULL, 4, 1, NULL, 0.5);
    NUM_IS("medae", y, p2, NULL, 3, 1, NULL, 1.0); /* 1 0 2 -> 1 */
    double w[] = {1, 1, 3, 1}; /* sorted |e| 0(w1) 0(w1) 1(w1) 2(w3): half of 6 reached at 1 */
    NUM_IS("medae", y, p2, w, 4, 1, NULL, 1.0);
    NUM_IS("mse", y, p, w, 4, 1, NULL, 4.0 / 6.0);
    /* pooled over columns: 2 x 2 */
    NUM_IS("rmse", y, p, NULL, 2, 2, NULL, 1.0);
    double ym[] = {1, 2}, pm[] = {2, 2};
    NUM_IS("mape", ym, pm, NULL, 2, 1, NULL, 0.5);
    dj_test_end();

    dj_test_begin("metrics: r2 and its degenerate cases");
    NUM_IS("r2", y, p, NULL, 4, 1, NULL, 0.2);
    double c[] = {2, 2, 2}, cp[] = {2, 2, 3};
    NUM_IS("r2", c, c, NULL, 3, 1, NULL, 1.0);
    NUM_IS("r2", c, cp, NULL, 3, 1, NULL, 0.0);
    double c1[] = {0.1, 0.1, 0.1}, c1p[] = {0.1, 0.1, 0.2};
    NUM_IS("r2", c1, c1p, NULL, 3, 1, NULL, 0.0);
    NUM_ERR("r2", y, p, NULL, 1, 1, NULL, "fewer than two values");
    dj_test_end();

    dj_test_begin("metrics: rmsle smape rmspe");
    double ly[] = {0, M_E - 1}, lp[] = {0, 0};
    NUM_IS("rmsle", ly, lp, NULL, 2, 1, NULL, sqrt(0.5));
    double ln[] = {0, -1};
    NUM_ERR("rmsle", ly, ln, NULL, 2, 1, NULL, "row 1: prediction -1 is negative");
    NUM_ERR("rmsle", ln, ly, NULL, 2, 1, NULL, "row 1: answer -1 is negative");
    double sy[] = {0, 1, 2}, sp[] = {0, 3, 2};
    NUM_IS("smape", sy, sp, NULL, 3, 1, NULL, 100.0 / 3.0);
    double ry[] = {0, 2, 4}, rp[] = {5, 1, 4};
    NUM_IS("rmspe", ry, rp, NULL, 3, 1, NULL, sqrt(0.125));
    double z[] = {0, 0};
    NUM_ERR("rmspe", z, rp, NULL, 2, 1, NULL, "every answer is 0");
    double w3[] = {1, 1, 1};
    NUM_ERR("smape", sy, sp, w3, 3, 1, NULL, "does not take sample weights");
    dj_test_end();

    dj_test_begin("metrics: mcrmse mcrmsle (column means)");
    double y2[] = {0, 0, 0, 0}, pc2[] = {1, 2, 1, 0};
    NUM_IS("mcrmse", y2, pc2, NULL, 2, 2, NULL, (1 + sqrt(2.0)) / 2);
    NUM_IS("rmse", y2, pc2, NULL, 2, 2, NULL, sqrt(6.0 / 4.0)); /* pooled */
    double e1 = M_E - 1;
    double ly2[] = {e1, 0, e1, 0}, lp2[] = {0, 0, 0, 0};
    NUM_IS("mcrmsle", ly2, lp2, NULL, 2, 2, NULL, 0.5);
    dj_test_end();
}

/* ---- ranking --------------------------------------------------------------------------- */

static void test_ranking(void)
{
    dj_test_begin("metrics: roc_auc (ties, weights, columns, one class)");
    double y[] = {0, 0, 1, 1}, p[] = {0.1, 0.4, 0.35, 0.8};
    NUM_IS("roc_auc", y, p, NULL, 4, 1, NULL, 0.75);
    double ty[] = {0, 1}, tp[] = {0.5, 0.5};
    NUM_IS("roc_auc", ty, tp, NULL, 2, 1, NULL, 0.5);
    double wy[] = {0, 1, 0}, wp[] = {0.2, 0.5, 0.6}, ww[] = {1, 1, 3};
    NUM_IS("roc_auc", wy, wp, ww, 3, 1, NULL, 0.25);
    double one[] = {1, 1, 1};
    NUM_ERR("roc_auc", one, wp, NULL, 3, 1, NULL,
            "roc_auc is undefined when the answers hold only one class");
    double bad[] = {0, 2, 1};
    NUM_ERR("roc_auc", bad, wp, NULL, 3, 1, NULL, "row 1: roc_auc needs answers 0 or 1, found 2");
    /* columns: col 0 = y/p above (0.75), col 1 = perfect (1.0) */
    double Y[] = {0, 0, 0, 1, 1, 0, 1, 1}, P[] = {0.1, 0.1, 0.4, 0.9, 0.35, 0.2, 0.8, 0.8};
    NUM_IS("roc_auc_mean_columns", Y, P, NULL, 4, 2, NULL, 0.875);
    double Y1[] = {0, 1, 0, 1, 1, 1, 1, 1};
    NUM_ERR("roc_auc_mean_columns", Y1, P, NULL, 4, 2, NULL,
            "column 1: roc_auc is undefined when the answers hold only one class");
    dj_test_end();

    dj_test_begin("metrics: gini_normalized (2 AUC - 1, Kaggle's definition, degenerate)");
    NUM_IS("gini_normalized", y, p, NULL, 4, 1, NULL, 0.5);
    /* real answers, no ties: Kaggle's gini(a, p) / gini(a, a) computed by hand:
       a = 1 3 0 2, p = 0.4 0.9 0.1 0.3: by p: 3 1 2 0 -> cumsum 3 4 6 6 = 19; by a: 3 2 1 0
       -> 3 5 6 6 = 20; gini = (S / 6 - 2.5) / 4: (19/6 - 2.5) / (20/6 - 2.5) = 4/5 */
    double a[] = {1, 3, 0, 2}, ap[] = {0.4, 0.9, 0.1, 0.3};
    NUM_IS("gini_normalized", a, ap, NULL, 4, 1, NULL, 0.8);
    NUM_IS("gini_normalized", one, wp, NULL, 3, 1, NULL, 0.0);
    double zero[] = {0, 0, 0};
    NUM_IS("gini_normalized", zero, wp, NULL, 3, 1, NULL, 0.0);
    /* a tie between a positive and a negative counts one half, like AUC */
    NUM_IS("gini_normalized", ty, tp, NULL, 2, 1, NULL, 0.0);
    dj_test_end();

    dj_test_begin("metrics: average_precision");
    NUM_IS("average_precision", y, p, NULL, 4, 1, NULL, 0.83333333333333333);
    double neg[] = {0, 0, 0};
    NUM_IS("average_precision", neg, wp, NULL, 3, 1, NULL, 0.0);
    NUM_IS("average_precision", one, wp, NULL, 3, 1, NULL, 1.0);
    NUM_IS("macro_average_precision", Y, P, NULL, 4, 2, NULL, (0.83333333333333333 + 1) / 2);
    dj_test_end();

    dj_test_begin("metrics: pearson spearman kendall_tau");
    double x3[] = {1, 2, 3}, y3[] = {1, 2, 4};
    NUM_IS("pearson", x3, y3, NULL, 3, 1, NULL, 3.0 / sqrt(2.0 * 42.0 / 9.0));
    double c3[] = {5, 5, 5};
    NUM_ERR("pearson", c3, y3, NULL, 3, 1, NULL,
            "pearson is undefined for constant input (the answers are all equal)");
    NUM_ERR("spearman", y3, c3, NULL, 3, 1, NULL,
            "spearman is undefined for constant input (the predictions are all equal)");
    NUM_ERR("kendall_tau", c3, y3, NULL, 3, 1, NULL, "undefined for constant input");
    NUM_ERR("pearson", x3, y3, NULL, 1, 1, NULL, "at least two values");
    double two[] = {1, 3}, twop[] = {5, 2};
    NUM_IS("pearson", two, twop, NULL, 2, 1, NULL, -1.0);
    double s4[] = {1, 2, 3, 4}, s4p[] = {1, 3, 2, 4};
    NUM_IS("spearman", s4, s4p, NULL, 4, 1, NULL, 0.8);
    double k3p[] = {1, 3, 2};
    NUM_IS("kendall_tau", x3, k3p, NULL, 3, 1, NULL, 1.0 / 3.0);
    /* ties: scipy tau-b of (1 1 2) vs (1 2 2): P-Q = 2 - 0 ... (computed with scipy) */
    double ta[] = {1, 1, 2}, tb[] = {1, 2, 2};
    NUM_IS("kendall_tau", ta, tb, NULL, 3, 1, NULL, 0.5);
    /* columns: col 0 = (1 2 3 4 vs 1 3 2 4) 0.8, col 1 = perfect 1.0 */
    double SY[] = {1, 1, 2, 2, 3, 3, 4, 4}, SP[] = {1, 5, 3, 6, 2, 7, 4, 8};
    NUM_IS("spearman_mean_columns", SY, SP, NULL, 4, 2, NULL, 0.9);
    double SC[] = {1, 1, 2, 1, 3, 1, 4, 1};
    NUM_ERR("spearman_mean_columns", SC, SP, NULL, 4, 2, NULL, "column 1: spearman");
    dj_test_end();
}

/* ---- probabilities ---------------------------------------------------------------------- */

static void test_probabilistic(void)
{
    dj_test_begin("metrics: log_loss (binary) and log_loss_mean_columns");
    double y[] = {1, 0}, p[] = {0.8, 0.4};
    NUM_IS("log_loss", y, p, NULL, 2, 1, NULL, -(log(0.8) + log(0.6)) / 2);
    double p0[] = {0, 0};
    NUM_IS("log_loss", y, p0, NULL, 1, 1, NULL, -log(1e-15));
    dojo_metric_params prm;
    dojo_metric_params_init(&prm);
    prm.eps = 0.1;
    NUM_IS("log_loss", y, p0, NULL, 1, 1, &prm, -log(0.1));
    double pb[] = {0.5, 1.5};
    NUM_ERR("log_loss", y, pb, NULL, 2, 1, NULL, "row 1: probability 1.5 is outside [0, 1]");
    double yb[] = {1, 0.5};
    NUM_ERR("log_loss", yb, p, NULL, 2, 1, NULL, "row 1: log_loss needs answers 0 or 1");
    double w[] = {3, 1};
    NUM_IS("log_loss", y, p, w, 2, 1, NULL, -(3 * log(0.8) + log(0.6)) / 4);
    double Y[] = {1, 0, 0, 0}, P[] = {0.8, 0.5, 0.4, 0.5}; /* columns: (1 0 | .8 .4), (0 0 | .5 .5) */
    NUM_IS("log_loss_mean_columns", Y, P, NULL, 2, 2, NULL,
           (-(log(0.8) + log(0.6)) / 2 + -log(0.5)) / 2);
    dj_test_end();

    dj_test_begin("metrics: kl_divergence");
    double ky[] = {1, 1, 0, 2}, kp[] = {0.25, 0.75, 0.5, 0.5};
    /* row 0: t = .5 .5 -> .5 log(2) + .5 log(2/3); row 1: t = 0 1 -> log(2) */
    NUM_IS("kl_divergence", ky, kp, NULL, 2, 2, NULL,
           (0.5 * log(2.0) + 0.5 * log(2.0 / 3.0) + log(2.0)) / 2);
    double kn[] = {-1, 1};
    NUM_ERR("kl_divergence", kn, kp, NULL, 1, 2, NULL, "row 0, column 0: answer -1 is negative");
    dj_test_end();

    dj_test_begin("metrics: log_loss_multiclass and weighted_log_loss");
    int64_t c[] = {0, 1};
    double P2[] = {0.5, 0.5, 0.2, 0.8};
    double out;
    CHECK(pro("log_loss_multiclass", c, P2, NULL, 2, 2, NULL, &out) == 0 &&
              close_to(out, -(log(0.5) + log(0.8)) / 2), "got %.17g %s", out, err);
    double Pu[] = {0.25, 0.25, 0.2, 0.8}; /* row 0 sums to .5: renormalized to .5 .5 */
    CHECK(pro("log_loss_multiclass", c, Pu, NULL, 2, 2, NULL, &out) == 0 &&
              close_to(out, -(log(0.5) + log(0.8)) / 2), "renormalized: %.17g %s", out, err);
    dojo_metric_params prm2;
    dojo_metric_params_init(&prm2);
    prm2.renormalize = 0;
    CHECK(pro("log_loss_multiclass", c, Pu, NULL, 2, 2, &prm2, &out) == 0 &&
              close_to(out, -(log(0.25) + log(0.8)) / 2), "not renormalized: %.17g %s", out,
          err);
    CHECK(pro("log_loss_multiclass", c, P2, NULL, 2, 1, NULL, &out) == -1 &&
              strstr(err, "at least 2 probability columns"), "k = 1: %s", err);
    int64_t cbad[] = {0, 2};
    CHECK(pro("log_loss_multiclass", cbad, P2, NULL, 2, 2, NULL, &out) == -1 &&
              strstr(err, "row 1: answer 2 is not a class id (0..1)"), "id: %s", err);
    double Pn[] = {0.5, NAN, 0.2, 0.8};
    CHECK(pro("log_loss_multiclass", c, Pn, NULL, 2, 2, NULL, &out) == -1 &&
              strstr(err, "row 0, column 1: prediction is NaN"), "nan: %s", err);
    int64_t c3[] = {0, 0, 1};
    double P3[] = {0.5, 0.5, 0.25, 0.75, 0.4, 0.6};
    CHECK(pro("weighted_log_loss", c3, P3, NULL, 3, 2, NULL, &out) == 0 &&
              close_to(out, ((-log(0.5) - log(0.25)) / 2 + -log(0.6)) / 2),
          "balanced: %.17g %s", out, err);
    dj_test_end();
}

/* ---- labels ----------------------------------------------------------------------------- */

static void test_labels(void)
{
    dj_test_begin("metrics: accuracy error_rate balanced_accuracy");
    int64_t y[] = {0, 1, 2, 2}, p[] = {0, 2, 2, 2};
    LAB_IS("accuracy", y, p, NULL, 4, NULL, 0.75);
    LAB_IS("error_rate", y, p, NULL, 4, NULL, 0.25);
    LAB_IS("balanced_accuracy", y, p, NULL, 4, NULL, 2.0 / 3.0);
    double w[] = {1, 3, 1, 1};
    LAB_IS("accuracy", y, p, w, 4, NULL, 0.5);
    double w0[] = {0, 0, 0, 0};
    LAB_ERR("accuracy", y, p, w0, 4, NULL, "the weights sum to zero");
    dojo_metric_params prmc;
    dojo_metric_params_init(&prmc);
    prmc.nclasses = 2;
    LAB_ERR("accuracy", y, p, NULL, 4, &prmc, "row 2: answer 2 is not a class id (0..1)");
    int64_t neg[] = {-1};
    LAB_ERR("accuracy", neg, neg, NULL, 1, NULL, "row 0: answer -1 is not a class id");
    dj_test_end();

    dj_test_begin("metrics: f1 precision recall (averages, pos_label, zero_division)");
    /* macro: class 0 F1 1, class 1 0 (never predicted), class 2 P 2/3 R 1 F .8 */
    LAB_IS("f1_macro", y, p, NULL, 4, NULL, 0.6);
    LAB_IS("f1_micro", y, p, NULL, 4, NULL, 0.75);
    LAB_IS("f1_weighted", y, p, NULL, 4, NULL, 0.65);
    dojo_metric_params prm;
    dojo_metric_params_init(&prm);
    prm.average = DOJO_AVERAGE_MACRO;
    LAB_IS("precision", y, p, NULL, 4, &prm, (1 + 0 + 2.0 / 3.0) / 3);
    prm.zero_division = 1;
    LAB_IS("precision", y, p, NULL, 4, &prm, (1 + 1 + 2.0 / 3.0) / 3);
    LAB_IS("recall", y, p, NULL, 4, &prm, 2.0 / 3.0);
    int64_t by[] = {0, 1, 1, 0}, bp[] = {0, 1, 0, 1};
    LAB_IS("f1", by, bp, NULL, 4, NULL, 0.5);
    int64_t by2[] = {0, 1, 1, 1}, bp2[] = {0, 1, 0, 0};
    LAB_IS("precision", by2, bp2, NULL, 4, NULL, 1.0);
    LAB_IS("recall", by2, bp2, NULL, 4, NULL, 1.0 / 3.0);
    dojo_metric_params_init(&prm);
    prm.pos_label = 0; /* class 0: tp 1, predicted 3, true 1 */
    LAB_IS("precision", by2, bp2, NULL, 4, &prm, 1.0 / 3.0);
    LAB_ERR("f1", y, p, NULL, 4, NULL, "needs at most two classes");
    prm.pos_label = 5;
    LAB_ERR("f1", by, bp, NULL, 4, &prm, "pos_label 5 is not one of the classes present (0, 1)");
    /* all negative, pos_label absent: 0/0 -> zero_division */
    int64_t zz[] = {0, 0};
    LAB_IS("f1", zz, zz, NULL, 2, NULL, 0.0);
    prm.pos_label = 1;
    prm.zero_division = 1;
    LAB_IS("f1", zz, zz, NULL, 2, &prm, 1.0);
    prm.average = DOJO_AVERAGE_SAMPLES;
    LAB_ERR("f1", by, bp, NULL, 4, &prm, "f1_samples");
    /* huge ids take the sorting path */
    int64_t hy[] = {1000000000000LL, 5, 1000000000000LL}, hp[] = {1000000000000LL, 5, 5};
    LAB_IS("f1_macro", hy, hp, NULL, 3, NULL, (2.0 / 3.0 + 2.0 / 3.0) / 2);
    dj_test_end();

    dj_test_begin("metrics: mcc qwk");
    int64_t my[] = {1, 1, 0, 0}, mp[] = {1, 0, 0, 0};
    LAB_IS("mcc", my, mp, NULL, 4, NULL, 2.0 / sqrt(12.0));
    int64_t cst[] = {1, 1, 1, 1};
    LAB_IS("mcc", my, cst, NULL, 4, NULL, 0.0);
    int64_t q[] = {0, 1, 2};
    LAB_IS("qwk", q, q, NULL, 3, NULL, 1.0);
    int64_t qy[] = {0, 0, 1, 1}, qp[] = {0, 1, 0, 1};
    LAB_IS("qwk", qy, qp, NULL, 4, NULL, 0.0);
    /* labels {0, 5} sit at positions 0 and 1 of the present set (sklearn) */
    int64_t gy[] = {0, 5}, gp[] = {5, 0};
    LAB_IS("qwk", gy, gp, NULL, 2, NULL, -1.0);
    LAB_ERR("qwk", cst, cst, NULL, 4, NULL, "qwk is undefined");
    dj_test_end();
}

/* ---- text ------------------------------------------------------------------------------- */

/* plain O(mn) Levenshtein over code points, for cross-checking the bit-parallel kernel */
static size_t decode_utf8(const char *s, uint32_t *out)
{
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t c = *u++;
        if (c >= 0xC0) {
            int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
            c &= 0x3F >> extra;
            while (extra-- && (*u & 0xC0) == 0x80)
                c = (c << 6) | (*u++ & 0x3F);
        }
        out[n++] = c;
    }
    return n;
}

static size_t lev_dp(const char *a, const char *b)
{
    static uint32_t A[1024], B[1024];
    static size_t row[1025];
    size_t m = decode_utf8(a, A), n = decode_utf8(b, B);
    for (size_t j = 0; j <= n; j++)
        row[j] = j;
    for (size_t i = 1; i <= m; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= n; j++) {
            size_t up = row[j];
            size_t v = diag + (A[i - 1] != B[j - 1]);
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[n];
}

static void test_text(void)
{
    dj_test_begin("metrics: map_at_k apk ndcg_at_k");
    const char *ya[] = {"a b", "c", NULL}, *pa[] = {"a x b", "x c", NULL};
    dojo_metric_params prm;
    dojo_metric_params_init(&prm);
    prm.k = 3;
    TXT_IS("map_at_k", ya, pa, &prm, ((1 + 2.0 / 3) / 2 + 0.5) / 2);
    TXT_IS("apk", ya, pa, &prm, ((1 + 2.0 / 3) / 2 + 0.5) / 2);
    const char *yd[] = {"a", "", NULL}, *pd[] = {"a a", "a", NULL};
    TXT_IS("map_at_k", yd, pd, NULL, 0.5); /* a repeated hit counts once; empty answer 0 */
    const char *yn[] = {"b", NULL}, *pn[] = {"a\tb\u3000c", NULL};
    TXT_IS("ndcg_at_k", yn, pn, NULL, 1.0 / log2(3.0));
    prm.k = 1;
    TXT_IS("ndcg_at_k", yn, pn, &prm, 0.0);
    const char *y2[] = {"a b", NULL}, *p2[] = {"b x a", NULL};
    TXT_IS("ndcg_at_k", y2, p2, NULL, (1 + 1 / log2(4.0)) / (1 + 1 / log2(3.0)));
    dj_test_end();

    dj_test_begin("metrics: f1_samples jaccard_word");
    const char *fy[] = {"a b", "", "a", NULL}, *fp[] = {"b c", " ", "", NULL};
    TXT_IS("f1_samples", fy, fp, NULL, (0.5 + 1 + 0) / 3);
    const char *jy[] = {"The Cat", "ÉCOLE  Über", "", "x", NULL};
    const char *jp[] = {"the dog", "école über", "", "", NULL};
    TXT_IS("jaccard_word", jy, jp, NULL, (1.0 / 3 + 1 + 1 + 0) / 4);
    dj_test_end();

    dj_test_begin("metrics: levenshtein_mean (bit-parallel vs plain DP)");
    const char *ly[] = {"kitten", "abc", "", "héllo wörld", NULL};
    const char *lp[] = {"sitting", "abc", "xyz", "hello world", NULL};
    TXT_IS("levenshtein_mean", ly, lp, NULL, 2.0);
    /* random pairs, long enough for several 64-row blocks */
    uint64_t s = 12345;
    static char A[16][400], B[16][400];
    const char *ra[17], *rb[17];
    const char *alpha[] = {"a", "b", "c", "é", "日"};
    for (int t = 0; t < 16; t++) {
        size_t la = 0, lb = 0;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int na = (int)((s >> 33) % 130), nb = (int)((s >> 45) % 130);
        for (int i = 0; i < na; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            const char *c = alpha[(s >> 40) % (t % 2 ? 5 : 3)];
            memcpy(A[t] + la, c, strlen(c));
            la += strlen(c);
        }
        for (int i = 0; i < nb; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            const char *c = alpha[(s >> 40) % (t % 2 ? 5 : 3)];
            memcpy(B[t] + lb, c, strlen(c));
            lb += strlen(c);
        }
        A[t][la] = B[t][lb] = 0;
        ra[t] = A[t];
        rb[t] = B[t];
    }
    ra[16] = rb[16] = NULL;
    for (int t = 0; t < 16; t++) {
        const char *one_a[] = {ra[t], NULL}, *one_b[] = {rb[t], NULL};
        double v;
        CHECK(txt("levenshtein_mean", one_a, one_b, NULL, &v) == 0 &&
                  v == (double)lev_dp(ra[t], rb[t]),
              "pair %d: %g vs dp %zu", t, v, lev_dp(ra[t], rb[t]));
    }
    dj_test_end();

    dj_test_begin("metrics: dice_rle iou_map (RLE masks)");
    const char *dy[] = {"1 4", "", "5 2 1 2", NULL}, *dp[] = {"3 4", "", "1 3 4 3", NULL};
    /* row 0: {1..4} vs {3..6}: 2*2/8; row 1 empty/empty 1; row 2: {1,2,5,6} vs {1..6} */
    TXT_IS("dice_rle", dy, dp, NULL, (0.5 + 1 + 2.0 * 4 / 10) / 3);
    const char *iy[] = {"1 3", "", "1 10", NULL}, *ip[] = {"2 3", "", "1 6", NULL};
    /* IoU .5 -> 1 of 10 thresholds; empty 1; IoU .6 -> 2 (.6 < numpy's 0.6000000000000001) */
    TXT_IS("iou_map", iy, ip, NULL, (0.1 + 1 + 0.2) / 3);
    const char *oy[] = {"1 2 3", NULL}, *op[] = {"1 1", NULL};
    TXT_ERR("dice_rle", oy, op, NULL, "row 0: the answer's run-length encoding has an odd number");
    const char *zy[] = {"0 2", NULL};
    TXT_ERR("iou_map", op, zy, NULL, "pixels are numbered from 1");
    const char *xy[] = {"1 x", NULL};
    TXT_ERR("iou_map", op, xy, NULL, "holds 'x', not a whole number");
    dojo_metric_params prm3;
    dojo_metric_params_init(&prm3);
    prm3.height = 2;
    prm3.width = 2;
    const char *by[] = {"3 3", NULL};
    TXT_ERR("dice_rle", op, by, &prm3, "reaches pixel 5, beyond the 2 x 2 image");
    dj_test_end();

    dj_test_begin("metrics: iou_map_boxes (global wheat)");
    const char *gy[] = {"1 0 0 10 10", "1 0 0 10 10", "", NULL};
    const char *gp[] = {"0.9 0 0 10 10", "0.9 0 0 10 5 0.8 50 50 5 5", "0.5 1 1 2 2", NULL};
    /* row 0 perfect: 1; row 1: IoU .5 matches at t = .5 only (then TP 1 FP 1: 1/2), else
       TP 0 FP 2 FN 1: 0 -> 0.5 / 6; row 2 has no answer boxes: 0 */
    TXT_IS("iou_map_boxes", gy, gp, NULL, (1 + 0.5 / 6 + 0) / 3);
    const char *g1[] = {"1 0 0 10 10", NULL}, *bad[] = {"0.9 0 0 10", NULL};
    TXT_ERR("iou_map_boxes", g1, bad, NULL, "row 0: the prediction holds 4 numbers, not groups of five");
    const char *neg[] = {"0.9 0 0 -10 10", NULL};
    TXT_ERR("iou_map_boxes", g1, neg, NULL, "box 1 of the prediction has a negative width");
    dj_test_end();

    dj_test_begin("metrics: text offsets are checked");
    int64_t yo[] = {0, 3, 2}, po[] = {0, 1, 2};
    double out;
    CHECK(dojo_metric_text("jaccard_word", "abc", yo, "ab", po, 2, NULL, &out, err,
                           sizeof err) == -1 && strstr(err, "row 1: answer offsets decrease"),
          "offsets: %s", err);
    CHECK(dojo_metric_text("jaccard_word", "abc", NULL, "ab", po, 2, NULL, &out, err,
                           sizeof err) == -1, "NULL offsets accepted");
    dj_test_end();
}

/* ---- larger inputs: ties and sizes exercise the radix sort paths --------------------------- */

static void test_large(void)
{
    dj_test_begin("metrics: 200k-row AUC equals the Mann-Whitney count");
    size_t n = 200000;
    double *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    CHECK(y && p, "oom");
    if (y && p) {
        uint64_t s = 99;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            y[i] = (double)((s >> 33) % 3 == 0);
            p[i] = (double)((s >> 40) % 1000) - 300.0 + 50.0 * y[i]; /* many ties, negatives */
        }
        /* Mann-Whitney by counting per score value */
        static double pos[1100], negc[1100];
        memset(pos, 0, sizeof pos);
        memset(negc, 0, sizeof negc);
        for (size_t i = 0; i < n; i++) {
            size_t b = (size_t)(p[i] + 300.0);
            if (y[i] == 1)
                pos[b]++;
            else
                negc[b]++;
        }
        double below = 0, u = 0, P = 0, N = 0;
        for (size_t b = 0; b < 1100; b++) {
            u += pos[b] * (below + 0.5 * negc[b]);
            below += negc[b];
            P += pos[b];
            N += negc[b];
        }
        NUM_IS("roc_auc", y, p, NULL, n, 1, NULL, u / (P * N));
        NUM_IS("gini_normalized", y, p, NULL, n, 1, NULL, 2 * u / (P * N) - 1);
        /* the checks go by blocks of cells: the first bad cell is still the one named */
        p[123457] = INFINITY;
        p[150001] = NAN;
        NUM_ERR("roc_auc", y, p, NULL, n, 1, NULL, "row 123457: prediction is infinite");
        p[123457] = 0;
        p[150001] = 0;
        y[n - 1] = NAN;
        NUM_ERR("roc_auc", y, p, NULL, n, 1, NULL, "row 199999: answer is NaN");
        y[n - 1] = 0;
    }
    free(y);
    free(p);
    dj_test_end();

    /* Above a million cells the sort, the AUC walk and the log loss are shared by two
       threads: the same numbers as straightforward counting and summing. */
    dj_test_begin("metrics: 3M-row AUC and log loss (the two-thread paths)");
    n = 3000000;
    size_t grid = (size_t)1 << 20;
    y = malloc(n * sizeof *y);
    p = malloc(n * sizeof *p);
    double *cnt = calloc(2 * grid, sizeof *cnt);
    int64_t *cls = malloc(n * sizeof *cls);
    double *c3[3] = {malloc(n * sizeof(double)), malloc(n * sizeof(double)),
                     malloc(n * sizeof(double))};
    CHECK(y && p && cnt && cls && c3[0] && c3[1] && c3[2], "oom");
    if (y && p && cnt && cls && c3[0] && c3[1] && c3[2]) {
        uint64_t s = 7;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            y[i] = (double)((s >> 20) % 4 == 0);
            size_t g = (size_t)(s >> 44) % grid; /* 2^20 distinct scores, some ties */
            if (y[i] == 1)
                g = g / 2 + grid / 2; /* positives score higher on the whole */
            p[i] = (double)g / (double)grid;
            cnt[2 * g + (y[i] == 1)]++;
        }
        double below = 0, u = 0, P = 0, N = 0;
        for (size_t g = 0; g < grid; g++) {
            u += cnt[2 * g + 1] * (below + 0.5 * cnt[2 * g]);
            below += cnt[2 * g];
            P += cnt[2 * g + 1];
            N += cnt[2 * g];
        }
        NUM_IS("roc_auc", y, p, NULL, n, 1, NULL, u / (P * N));
        NUM_IS("average_precision", y, y, NULL, n, 1, NULL, 1.0);
        /* the answers are checked by two threads: the first bad one is named */
        double y1 = y[2999990], y2 = y[1234567];
        y[2999990] = 2;
        NUM_ERR("roc_auc", y, p, NULL, n, 1, NULL,
                "row 2999990: roc_auc needs answers 0 or 1, found 2");
        y[1234567] = 0.5;
        NUM_ERR("average_precision", y, p, NULL, n, 1, NULL,
                "row 1234567: average_precision needs answers 0 or 1, found 0.5");
        y[2999990] = y1;
        y[1234567] = y2;
        /* three classes, probabilities not summing to 1 (renormalised), some clipped */
        long double sum = 0;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            cls[i] = (int64_t)((s >> 30) % 3);
            double row = 0;
            for (int j = 0; j < 3; j++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                double v = (double)((s >> 40) % 1000) / 999.0; /* 0 and 1 included */
                c3[j][i] = v;
                row += v < 1e-15 ? 1e-15 : v > 1 - 1e-15 ? 1 - 1e-15 : v;
            }
            double q = c3[cls[i]][i];
            q = q < 1e-15 ? 1e-15 : q > 1 - 1e-15 ? 1 - 1e-15 : q;
            sum += -logl((long double)(q / row));
        }
        double v = NAN;
        int rc = dojo_metric_proba_columns("log_loss_multiclass", cls, (const double *const *)c3,
                                           NULL, n, 3, NULL, &v, err, sizeof err);
        CHECK(rc == 0 && close_to(v, (double)(sum / n)), "log_loss_multiclass: got %.17g (%s), "
              "want %.17g", v, err, (double)(sum / n));
        c3[2][n - 5] = 1.5; /* the error names the first bad cell, in the second half */
        rc = dojo_metric_proba_columns("log_loss_multiclass", cls, (const double *const *)c3,
                                       NULL, n, 3, NULL, &v, err, sizeof err);
        CHECK(rc == -1 && strstr(err, "row 2999995"), "want an error naming row 2999995, got "
              "%d '%s'", rc, err);
    }
    free(y);
    free(p);
    free(cnt);
    free(cls);
    for (int j = 0; j < 3; j++)
        free(c3[j]);
    dj_test_end();
}

/* The catalog competitions' own kernels (curves.c, sequences.c, geometry.c, f05_rle). */
static void test_catalog_kernels(void)
{
    dj_test_begin("metrics: weighted_auc_alaska weighted_auc_flavours lwlrap mean_angular_error");
    double y[] = {0, 1, 0, 1, 1, 0, 0, 1}, p[] = {0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.3, 0.9};
    /* references: the flavours starter kit's roc_auc_truncated with sklearn's auc */
    NUM_IS("weighted_auc_flavours", y, p, NULL, 8, 1, NULL, 0.9375);
    NUM_IS("weighted_auc_alaska", y, p, NULL, 8, 1, NULL, 0.8214285714285714);
    NUM_IS("weighted_auc_alaska", y, y, NULL, 8, 1, NULL, 1.0);
    double neg[8];
    for (int i = 0; i < 8; i++)
        neg[i] = -y[i];
    NUM_IS("weighted_auc_flavours", y, neg, NULL, 8, 1, NULL, 0.0);
    double one[] = {1, 1};
    NUM_ERR("weighted_auc_alaska", one, one, NULL, 2, 1, NULL, "only one class");
    double Y[] = {1, 0, 1, 0, 1, 0}, P[] = {0.9, 0.5, 0.1, 0.2, 0.3, 0.1};
    NUM_IS("lwlrap", Y, P, NULL, 2, 3, NULL, 0.8888888888888888); /* sklearn LRAP, weighted */
    double az[] = {0, 0, 1, 0.5}, az2[] = {0, 3.141592653589793, 1, 0.5};
    NUM_IS("mean_angular_error", az, az2, NULL, 2, 2, NULL, 3.141592653589793 / 2);
    NUM_ERR("mean_angular_error", az, az2, NULL, 4, 1, NULL, "needs 2 columns");
    dj_test_end();

    dj_test_begin("metrics: kendall_tau_orders spearman_mean_rows levenshtein_tokens_normalized");
    const char *ky[] = {"a b c", "a b c", NULL}, *kp[] = {"a b c", "c b a", NULL};
    TXT_IS("kendall_tau_orders", ky, kp, NULL, 0.0); /* 1 - 4 * 3 / 12 */
    const char *kq[] = {"a b c", "b a c", NULL};
    TXT_IS("kendall_tau_orders", ky, kq, NULL, 1 - 4.0 / 12);
    const char *kx[] = {"a b c", "a b x", NULL};
    TXT_ERR("kendall_tau_orders", ky, kx, NULL, "which the answer does not");
    const char *kr[] = {"a b c", "a b b", NULL};
    TXT_ERR("kendall_tau_orders", ky, kr, NULL, "repeats 'b'");
    const char *sy[] = {"1 2 3", "1 2 3", NULL}, *sp[] = {"1 2 3", "3 2 1", NULL};
    TXT_IS("spearman_mean_rows", sy, sp, NULL, 0.0);
    const char *sc[] = {"1 2 3", "2 2 2", NULL};
    TXT_ERR("spearman_mean_rows", sy, sc, NULL, "the prediction is constant");
    const char *ly[] = {"1 2 3", "4 5", NULL}, *lp[] = {"1 3", "4 5", NULL};
    TXT_IS("levenshtein_tokens_normalized", ly, lp, NULL, 0.2);
    dj_test_end();

    dj_test_begin("metrics: span_micro_f1 voc_map_50 voc_map_40 f05_rle");
    const char *ny[] = {"0 5;10 15", "", NULL}, *np[] = {"3 12", "", NULL};
    TXT_IS("span_micro_f1", ny, np, NULL, 8.0 / 19);
    const char *nb[] = {"0 5;x", "", NULL};
    TXT_ERR("span_micro_f1", ny, nb, NULL, "not 'start end;start end'");
    const char *vy[] = {"a 1 0 0 10 10", "b 1 0 0 10 10", NULL};
    const char *vp[] = {"a 0.9 0 0 10 10 a 0.8 20 20 30 30", "b 0.5 50 50 60 60", NULL};
    TXT_IS("voc_map_50", vy, vp, NULL, 0.5);
    const char *vq[] = {"a 0.9 0 0 10 6", "b 0.5 0 0 10 10", NULL}; /* IoU 0.6 and 1 */
    TXT_IS("voc_map_50", vy, vq, NULL, 1.0);
    const char *vr[] = {"a 0.9 0 0 10 4.5", "b 0.5 0 0 10 10", NULL}; /* IoU 0.45 */
    TXT_IS("voc_map_50", vy, vr, NULL, 0.5);
    TXT_IS("voc_map_40", vy, vr, NULL, 1.0);
    const char *vb[] = {"a 0.9 0 0 10", "", NULL};
    TXT_ERR("voc_map_50", vy, vb, NULL, "not groups of six");
    const char *fy[] = {"1 10", NULL}, *fp[] = {"1 5", NULL};
    TXT_IS("f05_rle", fy, fp, NULL, 6.25 / 7.5);
    dj_test_end();
}

void test_metrics(void)
{
    test_registry();
    test_regression();
    test_ranking();
    test_probabilistic();
    test_labels();
    test_text();
    test_catalog_kernels();
    test_large();
}
