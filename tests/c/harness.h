/*
 * harness.h -- the C tests' tiny TAP harness.
 *
 * A test file defines `void test_<name>(void)` and registers it in tests/c/main.c. Inside,
 * dj_test_begin("case") ... dj_test_end() groups CHECKs into one case, printed as one TAP
 * line ("ok N - case" / "not ok N - case"); a failing CHECK prints where and why as a TAP
 * comment. main.c prints the plan at the end and exits nonzero when a case failed.
 */
#ifndef DOJO_TEST_HARNESS_H
#define DOJO_TEST_HARNESS_H

#include <stdio.h>

void dj_test_begin(const char *name);
void dj_test_end(void);
void dj_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A fresh temporary directory, removed at exit. */
const char *dj_test_tmpdir(void);
/* Writes len bytes to a file under the temporary directory and returns its path (static
   ring of buffers: valid for the next few calls). */
const char *dj_test_file(const char *name, const void *data, size_t len);

#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        if (!(cond))                                                                        \
            dj_test_fail(__FILE__, __LINE__, __VA_ARGS__);                                  \
    } while (0)

#endif
