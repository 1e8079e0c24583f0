/*
 * grade_gen.c -- the data of bench/grade: a truth file and a prediction file per metric.
 *
 *   grade_gen METRIC ROWS TRUTH.csv PRED.csv [SEED]
 *
 * METRIC is roc_auc (truth id,y with y in {0,1}; pred id,score), rmse (truth id,y float;
 * pred id,y float) or log_loss_multiclass (truth id,label with labels c0..c9; pred
 * id,c0,...,c9, probabilities summing to 1 written with 6 significant digits). Ids are the
 * integers 1..ROWS; the truth lists them in order, the prediction in a random permutation
 * (Fisher-Yates). Every value is a function of (seed, id) alone, so the two files agree
 * row for row whatever the order and every run writes the same bytes.
 *
 * Not part of the build (tools/setup): bench/grade compiles it with gcc into
 * bench/.data/grade/.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The j-th uniform in (0, 1) of row id. */
static uint64_t seed;
static double unif(uint64_t id, unsigned j)
{
    uint64_t z = mix(seed ^ mix(id * 64 + j));
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

/* A standard normal (Box-Muller) from uniforms j and j + 1 of row id. */
static double normal(uint64_t id, unsigned j)
{
    return sqrt(-2 * log(unif(id, j))) * cos(6.283185307179586 * unif(id, j + 1));
}

enum { ROC, RMSE, LOGLOSS };
#define K 10

static void truth_row(FILE *f, int m, uint64_t id)
{
    switch (m) {
    case ROC:
        fprintf(f, "%llu,%d\n", (unsigned long long)id, unif(id, 0) < 0.3);
        break;
    case RMSE:
        fprintf(f, "%llu,%.10g\n", (unsigned long long)id, 50 + 20 * normal(id, 0));
        break;
    case LOGLOSS:
        fprintf(f, "%llu,c%d\n", (unsigned long long)id, (int)(unif(id, 0) * K));
        break;
    }
}

static void pred_row(FILE *f, int m, uint64_t id)
{
    switch (m) {
    case ROC: {
        /* Positives score higher on average: a logistic of a shifted normal. */
        double y = unif(id, 0) < 0.3, z = 1.2 * y - 0.6 + normal(id, 2);
        fprintf(f, "%llu,%.10g\n", (unsigned long long)id, 1 / (1 + exp(-z)));
        break;
    }
    case RMSE: {
        double y = 50 + 20 * normal(id, 0);
        fprintf(f, "%llu,%.10g\n", (unsigned long long)id, y + 5 * normal(id, 2));
        break;
    }
    case LOGLOSS: {
        /* A softmax of noise, the true class boosted, mixed with 1% of the uniform: every
           probability >= 1e-3, so neither side's clipping (eps) matters. */
        int y = (int)(unif(id, 0) * K);
        double w[K], s = 0;
        for (int j = 0; j < K; j++) {
            w[j] = exp(normal(id, 2 + 2 * j) + (j == y ? 1.5 : 0));
            s += w[j];
        }
        char line[256];
        int n = snprintf(line, sizeof line, "%llu", (unsigned long long)id);
        for (int j = 0; j < K; j++)
            n += snprintf(line + n, sizeof line - n, ",%.6g", 1e-3 + (1 - K * 1e-3) * w[j] / s);
        line[n++] = '\n';
        fwrite(line, 1, n, f);
        break;
    }
    }
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

static void close_out(FILE *f, const char *path)
{
    if (ferror(f) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: grade_gen roc_auc|rmse|log_loss_multiclass ROWS TRUTH PRED [SEED]\n");
        return 2;
    }
    int m = !strcmp(argv[1], "roc_auc") ? ROC : !strcmp(argv[1], "rmse") ? RMSE
          : !strcmp(argv[1], "log_loss_multiclass") ? LOGLOSS : -1;
    long n = atol(argv[2]);
    if (m < 0 || n < 1) {
        fprintf(stderr, "grade_gen: bad metric or row count\n");
        return 2;
    }
    seed = argc > 5 ? strtoull(argv[5], NULL, 10) : 42;

    FILE *t = open_out(argv[3]);
    fputs(m == LOGLOSS ? "id,label\n" : m == ROC ? "id,y\n" : "id,y\n", t);
    for (long i = 1; i <= n; i++)
        truth_row(t, m, (uint64_t)i);
    close_out(t, argv[3]);

    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) {
        fprintf(stderr, "grade_gen: out of memory\n");
        return 1;
    }
    for (long i = 0; i < n; i++)
        perm[i] = (uint32_t)(i + 1);
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(mix(seed * 7919 + (uint64_t)i) % (uint64_t)(i + 1));
        uint32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    FILE *p = open_out(argv[4]);
    if (m == LOGLOSS) {
        fputs("id", p);
        for (int j = 0; j < K; j++)
            fprintf(p, ",c%d", j);
        fputc('\n', p);
    } else {
        fputs(m == ROC ? "id,score\n" : "id,y\n", p);
    }
    for (long i = 0; i < n; i++)
        pred_row(p, m, perm[i]);
    close_out(p, argv[4]);
    free(perm);
    return 0;
}
