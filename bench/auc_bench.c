/*
 * auc_bench.c -- a microbenchmark of the unweighted roc_auc kernel (dojo_metric_numeric, the
 * public API only, so that one binary measures any build of libdojo.so).
 *
 * Theory of operation: "auc_bench CASE N REPS" fills N cells (binary answers, half positive)
 * with a fixed pseudo-random generator, then calls roc_auc (and average_precision with "ap"
 * in CASE's place) REPS times and prints the medians of the wall time and of the process's
 * CPU time (user + system, every thread) per call, and the value (%.17g: a build that
 * changes it by one bit shows). Cases:
 *   uniform  scores uniform in [0, 1] rounded to 10 decimals (the grade benchmark's data)
 *   ties     100 distinct scores
 *   skewed   u^8 (scores crowding near 0: many exponents, uneven buckets)
 *   clipped  uniform, but a tenth exactly 0 and a tenth exactly 1 (clipped probabilities)
 *   ap       the uniform data, average_precision
 * Run with `taskset` or alone: the machine's other load shows in the wall time.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dojo.h"

#include "bench_rng.h"

static double clk(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: auc_bench uniform|ties|skewed|clipped|ap N REPS\n");
        return 2;
    }
    const char *c = argv[1];
    size_t n = strtoull(argv[2], NULL, 10);
    int reps = atoi(argv[3]);
    if (reps < 1 || reps > 100 || n < 2) {
        fprintf(stderr, "auc_bench: N >= 2, 1 <= REPS <= 100\n");
        return 2;
    }
    double *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    if (!y || !p)
        return 1;
    rng_state = 12345;
    for (size_t i = 0; i < n; i++) {
        y[i] = (double)(rng() & 1);
        double u = unif();
        if (strcmp(c, "ties") == 0)
            p[i] = floor(u * 100) / 100;
        else if (strcmp(c, "skewed") == 0)
            p[i] = pow(u, 8);
        else if (strcmp(c, "clipped") == 0) {
            uint64_t r = rng() % 10;
            p[i] = r == 0 ? 0.0 : r == 1 ? 1.0 : round(u * 1e10) / 1e10;
        }
        else
            p[i] = round(u * 1e10) / 1e10;
    }
    const char *metric = strcmp(c, "ap") == 0 ? "average_precision" : "roc_auc";
    double wall[100], cpu[100], v = 0;
    char err[256];
    for (int r = 0; r < reps; r++) {
        double w0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
        if (dojo_metric_numeric(metric, y, p, NULL, n, 1, NULL, &v, err, sizeof err) < 0) {
            fprintf(stderr, "auc_bench: %s\n", err);
            return 1;
        }
        wall[r] = clk(CLOCK_MONOTONIC) - w0;
        cpu[r] = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    qsort(wall, (size_t)reps, sizeof *wall, cmp);
    qsort(cpu, (size_t)reps, sizeof *cpu, cmp);
    printf("%s n=%zu wall=%.4f cpu=%.4f value=%.17g\n", c, n, wall[reps / 2], cpu[reps / 2], v);
    free(y);
    free(p);
    return 0;
}
