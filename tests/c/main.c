/* main.c -- runs every C test group and prints TAP; exit status 1 when any case failed. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

void test_table(void);
void test_fsio(void);
void test_probe(void);
void test_embed(void);
void test_metrics(void);
void test_auc_keys(void);
void test_layers(void);
void test_sandbox(void);
void test_fs(void);
void test_regex(void);
void test_gz(void);
void test_http(void);


static int ncase, nfail, case_failed;
static const char *case_name;
static char tmpdir[256];
static int verbose;

void dj_test_begin(const char *name)
{
    case_name = name;
    case_failed = 0;
}

void dj_test_end(void)
{
    ncase++;
    if (case_failed)
        nfail++;
    printf("%s %d - %s\n", case_failed ? "not ok" : "ok", ncase, case_name ? case_name : "?");
    fflush(stdout);
    case_name = NULL;
}

void dj_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    case_failed = 1;
    printf("# %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static void cleanup(void)
{
    if (tmpdir[0] && !getenv("DOJO_TEST_KEEP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *dj_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/dojo-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(cleanup);
    }
    return tmpdir;
}

const char *dj_test_file(const char *name, const void *data, size_t len)
{
    static char ring[8][512];
    static int next;
    char *path = ring[next++ % 8];
    snprintf(path, 512, "%s/%s", dj_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
    return path;
}

static const struct {
    const char *name;
    void (*fn)(void);
} groups[] = {
    {"fsio", test_fsio},       {"gz", test_gz},       {"regex", test_regex},
    {"probe", test_probe},     {"table", test_table},
    {"metrics", test_metrics}, {"auc_keys", test_auc_keys}, {"layers", test_layers},
    {"sandbox", test_sandbox}, {"embed", test_embed},      {"fs", test_fs},
    {"http", test_http},
};

int main(int argc, char **argv)
{
    /* dojo_test [GROUP...]: run the named groups only */
    verbose = getenv("DOJO_TEST_VERBOSE") != NULL;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        int run = argc < 2;
        for (int a = 1; a < argc; a++)
            if (strcmp(argv[a], groups[i].name) == 0)
                run = 1;
        if (run) {
            printf("# group %s\n", groups[i].name);
            groups[i].fn();
        }
    }
    printf("1..%d\n", ncase);
    printf("# %d passed, %d failed\n", ncase - nfail, nfail);
    return nfail ? 1 : 0;
}
