/*
 * csv_bench.c -- the dojo side of bench/csv.
 *
 * Theory of operation: two modes. "gen PATH ROWS SEED" writes the benchmark's numeric CSV
 * (an int id and two floats of 6 to 10 significant digits, about 25 bytes a row) with a
 * fixed pseudo-random generator, so every run measures the same bytes. "read PATH REPS"
 * reads the file REPS times with dojo_table_read_csv (the public API only, as a user would)
 * and prints one line of key=value pairs: the best wall time, the file size, the table's
 * shape, the parsed data size (rows x columns x 8 bytes) and the process's peak RSS from
 * getrusage (the peak of any single read, since each table is freed before the next).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "dojo.h"

#include "bench_rng.h"

static int gen(const char *path, long rows, uint64_t seed)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    rng_state = seed;
    fputs("id,x,y\n", f);
    for (long i = 0; i < rows; i++) {
        double x = unif() * 100.0;
        double y = (unif() - 0.5) * 20000.0;
        int px = 6 + (int)(rng() % 3), py = 7 + (int)(rng() % 4);
        fprintf(f, "%ld,%.*g,%.*g\n", i + 1000000, px, x, py, y);
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int readbench(const char *path, int reps)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        return 1;
    }
    double best = 1e30;
    size_t nrows = 0, ncols = 0;
    for (int i = 0; i < reps; i++) {
        char err[512];
        double t0 = now();
        dojo_table *t = dojo_table_read_csv(path, NULL, err, sizeof err);
        double dt = now() - t0;
        if (!t) {
            fprintf(stderr, "csv_bench: %s\n", err);
            return 1;
        }
        nrows = dojo_table_nrows(t);
        ncols = dojo_table_ncols(t);
        dojo_table_free(t);
        if (dt < best)
            best = dt;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("seconds=%.4f bytes=%lld rows=%zu cols=%zu data_bytes=%zu peak_rss_bytes=%lld\n", best,
           (long long)st.st_size, nrows, ncols, nrows * ncols * 8, (long long)ru.ru_maxrss * 1024);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2], atol(argv[3]), strtoull(argv[4], NULL, 10));
    if (argc == 4 && strcmp(argv[1], "read") == 0)
        return readbench(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: csv_bench gen PATH ROWS SEED | csv_bench read PATH REPS\n");
    return 2;
}
