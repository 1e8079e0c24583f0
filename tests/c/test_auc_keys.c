/* test_auc_keys.c -- djm_auc_keys and djm_ap_keys, the kernel-internal entry points that
   take the djm_keys of the positives' and the negatives' predictions (linked in from
   core/metrics: libdojo exports only dojo_*). Hand cases (ties, all keys equal, one class,
   one key of a class), then random inputs of every size class of djm_visit_pairs (one range;
   buckets on two threads) and of awkward shapes (both signs, outliers, a crowded cluster,
   few distinct keys, extreme keys) against a straightforward reference: qsort of (key,
   label) and the walk over groups of equal keys, with exact integer area and the same
   compensated AP sum. Every value must be equal bit for bit. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "metrics/metrics_internal.h"

void test_auc_keys(void);

static char err[256];

typedef struct lk {
    uint64_t key;
    int pos;
} lk;

static int cmp_lk(const void *a, const void *b)
{
    uint64_t x = ((const lk *)a)->key, y = ((const lk *)b)->key;
    return (x > y) - (x < y);
}

/* The reference: all keys with their labels sorted together, walked from the top. */
static void reference(const uint64_t *pos, size_t np, const uint64_t *neg, size_t nn,
                      double *auc, double *ap)
{
    size_t n = np + nn;
    lk *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < np; i++)
        a[i] = (lk){pos[i], 1};
    for (size_t i = 0; i < nn; i++)
        a[np + i] = (lk){neg[i], 0};
    qsort(a, n, sizeof *a, cmp_lk);
    unsigned __int128 area2 = 0;
    djm_sum acc = {0, 0};
    uint64_t tp = 0, fp = 0;
    size_t i = n;
    while (i > 0) {
        uint64_t key = a[i - 1].key, tg = 0, fg = 0;
        for (; i > 0 && a[i - 1].key == key; i--) {
            if (a[i - 1].pos)
                tg++;
            else
                fg++;
        }
        area2 += (unsigned __int128)fg * (2 * tp + tg);
        if (tg) {
            double t = (double)(tp + tg), f = (double)(fp + fg);
            djm_add(&acc, ((double)tg / (double)np) * (t / (t + f)));
        }
        tp += tg;
        fp += fg;
    }
    *auc = (double)area2 / (2.0 * (double)np * (double)nn);
    *ap = djm_total(&acc);
    free(a);
}

/* Both entry points on copies (they overwrite their input) against the reference. */
static void check_keys(const char *what, const uint64_t *pos, size_t np, const uint64_t *neg,
                       size_t nn)
{
    uint64_t *p = malloc((np ? np : 1) * sizeof *p), *q = malloc((nn ? nn : 1) * sizeof *q);
    double ref_auc, ref_ap, auc = NAN, ap = NAN;
    reference(pos, np, neg, nn, &ref_auc, &ref_ap);
    memcpy(p, pos, np * sizeof *p);
    memcpy(q, neg, nn * sizeof *q);
    int rc = djm_auc_keys(p, np, q, nn, &auc, err, sizeof err);
    CHECK(rc == 0 && memcmp(&auc, &ref_auc, sizeof auc) == 0,
          "%s (%zu + %zu): auc %.17g (rc %d %s), reference %.17g", what, np, nn, auc, rc, err,
          ref_auc);
    memcpy(p, pos, np * sizeof *p);
    memcpy(q, neg, nn * sizeof *q);
    rc = djm_ap_keys(p, np, q, nn, &ap, err, sizeof err);
    CHECK(rc == 0 && memcmp(&ap, &ref_ap, sizeof ap) == 0,
          "%s (%zu + %zu): ap %.17g (rc %d %s), reference %.17g", what, np, nn, ap, rc, err,
          ref_ap);
    free(p);
    free(q);
}

static uint64_t rs;
static uint64_t rnd(void)
{
    uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

enum { UNIFORM, TIES, SIGNS, OUTLIER, CLUSTER, FEW, ADJACENT, EXTREME, SKEWED, NSHAPE };
static const char *shape_name[NSHAPE] = {"uniform 10 decimals", "ties (100 values)",
                                         "both signs",          "outliers",
                                         "a crowded cluster",   "three distinct keys",
                                         "two adjacent keys",
                                         "extreme keys",        "skewed (u^8)"};

static uint64_t draw(int shape, int positive)
{
    double u = unif();
    switch (shape) {
    case UNIFORM:
        return djm_key(round(u * 1e10) / 1e10 + (positive ? 0.05 * unif() : 0));
    case TIES:
        return djm_key(floor(u * 100) / 100 + (positive ? 0.01 : 0));
    case SIGNS:
        return djm_key((u - 0.5) * (positive ? 3e5 : 1e5));
    case OUTLIER: {
        uint64_t r = rnd() % 1000;
        return djm_key(r == 0 ? 0.0 : r == 1 ? -1e300 : r == 2 ? 1e300 : 0.5 + 0.5 * u);
    }
    case CLUSTER: /* most keys within a few ulps of 0.3, the rest spread */
        return rnd() % 4 ? djm_key(0.3) + rnd() % 5000 : djm_key(u);
    case FEW:
        return djm_key((double)(rnd() % 3) + (positive && rnd() % 2 ? 1 : 0));
    case ADJACENT: /* one ulp apart */
        return djm_key(0.75) + (rnd() % 3 == 0);
    case EXTREME: {
        uint64_t r = rnd() % 8;
        return r == 0 ? 0 : r == 1 ? ~(uint64_t)0 : r == 2 ? (uint64_t)1 << 63 : rnd();
    }
    default:
        return djm_key(pow(u, positive ? 6 : 8));
    }
}

static void check_random(int shape, size_t np, size_t nn)
{
    uint64_t *pos = malloc((np ? np : 1) * sizeof *pos), *neg = malloc((nn ? nn : 1) * sizeof *neg);
    for (size_t i = 0; i < np; i++)
        pos[i] = draw(shape, 1);
    for (size_t i = 0; i < nn; i++)
        neg[i] = draw(shape, 0);
    check_keys(shape_name[shape], pos, np, neg, nn);
    free(pos);
    free(neg);
}

void test_auc_keys(void)
{
    dj_test_begin("auc_keys: ties, all keys equal, one key of a class");
    {
        uint64_t p[] = {djm_key(0.9), djm_key(0.5), djm_key(0.5), djm_key(0.1)};
        uint64_t n[] = {djm_key(0.5), djm_key(0.2), djm_key(0.5), djm_key(0.9), djm_key(0.0)};
        check_keys("hand ties", p, 4, n, 5);
        double auc = 0;
        uint64_t p2[] = {djm_key(0.9), djm_key(0.5), djm_key(0.5), djm_key(0.1)};
        uint64_t n2[] = {djm_key(0.5), djm_key(0.2), djm_key(0.5), djm_key(0.9), djm_key(0.0)};
        /* pairs: 0.9 beats 4 and ties 1; each 0.5 beats 2 and ties 2; 0.1 beats 1 */
        CHECK(djm_auc_keys(p2, 4, n2, 5, &auc, err, sizeof err) == 0 &&
                  auc == (4.5 + 3 + 3 + 1) / 20.0,
              "hand ties: %.17g", auc);
        uint64_t e[300];
        for (int i = 0; i < 300; i++)
            e[i] = djm_key(0.25);
        check_keys("all equal", e, 100, e + 100, 200);
        uint64_t *big = malloc(200000 * sizeof *big); /* all equal, above one range */
        for (int i = 0; i < 200000; i++)
            big[i] = djm_key(-3.5);
        check_keys("all equal, 200k", big, 70000, big + 70000, 130000);
        double ap = 0;
        CHECK(djm_auc_keys(big, 70000, big + 70000, 130000, &auc, err, sizeof err) == 0 &&
                  auc == 0.5,
              "all equal: auc %.17g", auc);
        for (int i = 0; i < 200000; i++)
            big[i] = djm_key(-3.5);
        CHECK(djm_ap_keys(big, 70000, big + 70000, 130000, &ap, err, sizeof err) == 0 &&
                  ap == 0.35,
              "all equal: ap %.17g", ap);
        free(big);
        uint64_t one[] = {djm_key(0.7)}, rest[] = {djm_key(0.1), djm_key(0.7), djm_key(0.9)};
        check_keys("one positive", one, 1, rest, 3);
        check_keys("one negative", rest, 3, one, 1);
        check_keys("one of each", one, 1, rest, 1);
        rs = 1;
        for (size_t k = 1; k < 70; k += 7) { /* small sizes, one key of a class */
            check_random(UNIFORM, 1, k);
            check_random(TIES, k, 1);
            check_random(FEW, k, k + 3);
            check_random(ADJACENT, k + 2, k);
        }
    }
    dj_test_end();

    dj_test_begin("auc_keys: one class is an error (AUC), 0 or an error (AP)");
    {
        uint64_t k[] = {djm_key(0.1), djm_key(0.2)};
        double v = 7;
        CHECK(djm_auc_keys(k, 2, k, 0, &v, err, sizeof err) == -1 &&
                  strcmp(err, "roc_auc is undefined when the answers hold only one class") == 0,
              "no negative: %s", err);
        CHECK(djm_auc_keys(k, 0, k, 2, &v, err, sizeof err) == -1 &&
                  strcmp(err, "roc_auc is undefined when the answers hold only one class") == 0,
              "no positive: %s", err);
        CHECK(djm_auc_keys(k, 0, k, 0, &v, err, sizeof err) == -1, "no keys");
        CHECK(djm_ap_keys(k, 0, k, 2, &v, err, sizeof err) == 0 && v == 0.0,
              "AP without positives: %g", v);
        CHECK(djm_ap_keys(k, 2, k, 0, &v, err, sizeof err) == 0 && v == 1.0,
              "AP without negatives: %g", v);
        CHECK(djm_ap_keys(k, 0, k, 0, &v, err, sizeof err) == -1 &&
                  strstr(err, "at least one value"),
              "AP without keys: %s", err);
    }
    dj_test_end();

    dj_test_begin("auc_keys: random keys of every shape against the reference");
    rs = 42;
    size_t sizes[][2] = {{20, 13}, {500, 1500}, {30000, 30000}, {40000, 30000}, {3, 90000},
                         {90000, 2}, {150000, 250000}};
    for (int sh = 0; sh < NSHAPE; sh++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            check_random(sh, sizes[s][0], sizes[s][1]);
    dj_test_end();

    dj_test_begin("auc_keys: 3M keys (two threads) against the reference");
    rs = 7;
    check_random(UNIFORM, 1500000, 1500000);
    check_random(TIES, 700000, 2300000);
    check_random(SKEWED, 2000000, 1000000);
    check_random(OUTLIER, 1000000, 2000000);
    dj_test_end();
}
