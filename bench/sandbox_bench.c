/*
 * sandbox_bench.c -- the cost of the sandbox against a bare fork/exec/wait, in one run.
 *
 *   dojo_bench_sandbox [RUNS]
 *
 * For /bin/true and /usr/bin/python3 -c pass: the median wall time of RUNS (default 200)
 * bare runs (fork, execv, waitpid) and of RUNS sandboxed runs (dojo_sandbox_run) with every
 * layer this machine allows, then without the new network namespace (its cost reported on
 * its own), then in the degraded mode (no namespaces, no cgroup). Prints the medians and the
 * overhead per run. Then the same /bin/true from a host with a 256 MB heap (touched), a
 * quarter as many runs: a bare fork/exec (which copies the host's page tables), a
 * posix_spawn (vfork-like, what Python's subprocess uses), the sandbox with its lean keeper
 * and with the fork-like one (DOJO_SANDBOX_KEEPER=fork), each followed by a rewrite of the
 * heap, whose time shows the page faults a run leaves behind. Uses only dojo.h.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dojo.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double bare_once(const char *const *argv)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return now() - t0;
}

extern char **environ;

static double spawn_once(const char *const *argv)
{
    double t0 = now();
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0)
        return 0;
    int st;
    waitpid(pid, &st, 0);
    return now() - t0;
}

/* Writes one byte in every page of the heap: the faults a run left behind. */
static double rewrite(char *heap, size_t size, int v)
{
    double t0 = now();
    for (size_t i = 0; i < size; i += 4096)
        heap[i] = (char)v;
    return now() - t0;
}

static double boxed_once(const char *const *argv, int disable, char *layers, size_t len)
{
    char err[512];
    dojo_sandbox_policy p;
    dojo_sandbox_policy_init(&p);
    p.cmd = argv[0];
    p.argv = argv;
    p.wall_s = 60;
    p.disable = disable;
    dojo_sandbox_result r;
    double t0 = now();
    if (dojo_sandbox_run(&p, &r, err, sizeof err) < 0) {
        fprintf(stderr, "dojo_bench_sandbox: %s\n", err);
        exit(2);
    }
    double t = now() - t0;
    if (strcmp(r.status, "OK") != 0) {
        fprintf(stderr, "dojo_bench_sandbox: %s ended %s: %s\n", argv[0], r.status, r.message);
        exit(2);
    }
    if (layers) {
        size_t off = 0;
        layers[0] = '\0';
        for (int l = 0; l < r.nlayers && off + 32 < len; l++)
            off += (size_t)snprintf(layers + off, len - off, "%s%s%s", l ? ", " : "", r.layers[l].name,
                                    r.layers[l].applied ? "" : " (off)");
    }
    dojo_sandbox_result_clear(&r);
    return t;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 200;
    if (runs < 1)
        runs = 1;
    double *t[4];
    for (int m = 0; m < 4; m++)
        t[m] = malloc(sizeof(double) * (size_t)runs);
    static const char *const prog_true[] = {"/bin/true", NULL};
    static const char *const prog_py[] = {"/usr/bin/python3", "-c", "pass", NULL};
    const char *const *progs[] = {prog_true, prog_py};
    const char *names[] = {"/bin/true", "python3 -c pass"};
    char layers[512];
    printf("# median of %d runs each, milliseconds, the four ways interleaved run by run so that\n"
           "# a busy machine slows all alike; overhead = sandboxed - bare\n", runs);
    printf("%-18s %8s %10s %9s %12s %9s %10s %9s\n", "program", "bare", "all layers", "overhead",
           "no netns", "overhead", "degraded", "overhead");
    for (int i = 0; i < 2; i++) {
        for (int r = 0; r < runs; r++) {
            t[0][r] = bare_once(progs[i]);
            t[1][r] = boxed_once(progs[i], 0, i == 0 && r == 0 ? layers : NULL, sizeof layers);
            t[2][r] = boxed_once(progs[i], DOJO_LAYER_NETNS, NULL, 0);
            t[3][r] = boxed_once(progs[i], DOJO_LAYER_NAMESPACES | DOJO_LAYER_CGROUP, NULL, 0);
        }
        double b = median(t[0], runs) * 1e3, all = median(t[1], runs) * 1e3;
        double nonet = median(t[2], runs) * 1e3, deg = median(t[3], runs) * 1e3;
        printf("%-18s %8.2f %10.2f %9.2f %12.2f %9.2f %10.2f %9.2f\n", names[i], b, all, all - b, nonet,
               nonet - b, deg, deg - b);
    }
    printf("# layers (first run): %s\n", layers);
    printf("# target: at most 2 ms overhead per run with every layer but the network namespace\n");

    size_t size = 256u << 20;
    char *heap = malloc(size);
    int big = runs / 4 > 0 ? runs / 4 : 1;
    double *w[4];
    for (int m = 0; m < 4; m++)
        w[m] = malloc(sizeof(double) * (size_t)big);
    if (heap) {
        memset(heap, 1, size);
        rewrite(heap, size, 2);
        for (int r = 0; r < big; r++) {
            t[0][r] = bare_once(prog_true);
            w[0][r] = rewrite(heap, size, r);
            t[1][r] = spawn_once(prog_true);
            w[1][r] = rewrite(heap, size, r);
            t[2][r] = boxed_once(prog_true, 0, NULL, 0);
            w[2][r] = rewrite(heap, size, r);
            setenv("DOJO_SANDBOX_KEEPER", "fork", 1);
            t[3][r] = boxed_once(prog_true, 0, NULL, 0);
            unsetenv("DOJO_SANDBOX_KEEPER");
            w[3][r] = rewrite(heap, size, r);
        }
        printf("# /bin/true from a host with a 256 MB heap, median of %d runs each; 'then' is the\n"
               "# host's rewrite of its heap after the run (the page faults the run left)\n", big);
        printf("%-22s %8s %8s\n", "way", "run", "then");
        const char *ways[4] = {"bare fork/exec", "posix_spawn", "sandbox, lean keeper",
                               "sandbox, fork keeper"};
        for (int m = 0; m < 4; m++)
            printf("%-22s %8.2f %8.2f\n", ways[m], median(t[m], big) * 1e3, median(w[m], big) * 1e3);
        free(heap);
    }
    for (int m = 0; m < 4; m++)
        free(w[m]);
    for (int m = 0; m < 4; m++)
        free(t[m]);
    return 0;
}
