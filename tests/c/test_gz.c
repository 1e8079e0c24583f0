/* test_gz.c -- gzip compression and decompression in memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dojo.h"
#include "harness.h"

void test_gz(void)
{
    char err[512];
    size_t n = 0, m = 0;

    dj_test_begin("gzip: round trip at every level, binary data included");
    size_t len = 200000;
    unsigned char *data = malloc(len);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (i % 3 == 0) ? (unsigned char)(x >> 24) : (unsigned char)"abcab\0c"[i % 7];
    }
    for (int level = -1; level <= 9; level++) {
        char *z = dojo_gzip(data, len, level, &n, err, sizeof err);
        CHECK(z != NULL, "level %d: %s", level, err);
        if (!z)
            continue;
        CHECK(n > 18 && (unsigned char)z[0] == 0x1f && (unsigned char)z[1] == 0x8b, "gzip magic");
        char *back = dojo_gunzip(z, n, 0, &m, err, sizeof err);
        CHECK(back && m == len && memcmp(back, data, len) == 0, "level %d back: %s", level,
              back ? "differs" : err);
        CHECK(back && back[m] == '\0', "NUL-terminated");
        dojo_free(back);
        dojo_free(z);
    }
    dj_test_end();

    dj_test_begin("gzip: empty input round-trips; empty gunzip input is refused");
    char *z = dojo_gzip("", 0, -1, &n, err, sizeof err);
    CHECK(z && n >= 18, "empty gzip: %s", z ? "" : err);
    char *back = z ? dojo_gunzip(z, n, 0, &m, err, sizeof err) : NULL;
    CHECK(back && m == 0 && back[0] == '\0', "empty back: %s", back ? "" : err);
    dojo_free(back);
    dojo_free(z);
    z = dojo_gzip(NULL, 0, 6, &n, err, sizeof err);
    CHECK(z != NULL, "NULL, 0");
    dojo_free(z);
    CHECK(dojo_gunzip("", 0, 0, &m, err, sizeof err) == NULL &&
              strcmp(err, "not gzip data: the input is empty") == 0, "message: %s", err);
    CHECK(dojo_gunzip("hello world", 11, 0, &m, err, sizeof err) == NULL &&
              strstr(err, "not gzip data") != NULL, "plain text: %s", err);
    dj_test_end();

    dj_test_begin("gzip: a bad level is refused");
    CHECK(dojo_gzip("x", 1, 10, &n, err, sizeof err) == NULL &&
              strcmp(err, "gzip level must be -1 (the default) or 0..9, not 10") == 0, "message: %s", err);
    CHECK(dojo_gzip("x", 1, -2, &n, err, sizeof err) == NULL, "-2");
    dj_test_end();

    dj_test_begin("gunzip: concatenated members and zero padding, like gzip -d");
    char *a = dojo_gzip("hello, ", 7, 6, &n, err, sizeof err);
    char *b = dojo_gzip("world", 5, 1, &m, err, sizeof err);
    CHECK(a && b, "gzip: %s", err);
    if (a && b) {
        char *cat = malloc(n + m + 8);
        memcpy(cat, a, n);
        memcpy(cat + n, b, m);
        memset(cat + n + m, 0, 8);
        size_t k = 0;
        back = dojo_gunzip(cat, n + m, 0, &k, err, sizeof err);
        CHECK(back && k == 12 && strcmp(back, "hello, world") == 0, "two members: %s", back ? back : err);
        dojo_free(back);
        back = dojo_gunzip(cat, n + m + 8, 0, &k, err, sizeof err);
        CHECK(back && k == 12 && strcmp(back, "hello, world") == 0, "padding: %s", back ? back : err);
        dojo_free(back);
        memcpy(cat + n + m, "junk", 4);
        back = dojo_gunzip(cat, n + m + 4, 0, &k, err, sizeof err);
        CHECK(back == NULL && strstr(err, "unexpected bytes after a member") != NULL, "junk: %s", err);
        free(cat);
    }
    dojo_free(a);
    dojo_free(b);
    dj_test_end();

    dj_test_begin("gunzip: corrupt and truncated data fail with the offset");
    z = dojo_gzip(data, 5000, 6, &n, err, sizeof err);
    CHECK(z != NULL, "gzip: %s", err);
    if (z) {
        back = dojo_gunzip(z, n / 2, 0, &m, err, sizeof err);
        CHECK(back == NULL && strstr(err, "truncated gzip data") != NULL, "truncated: %s", err);
        back = dojo_gunzip(z, n - 4, 0, &m, err, sizeof err); /* the length field cut off */
        CHECK(back == NULL && strstr(err, "truncated gzip data") != NULL, "no trailer: %s", err);
        z[n - 6] ^= 0x55; /* the CRC-32 */
        back = dojo_gunzip(z, n, 0, &m, err, sizeof err);
        CHECK(back == NULL && strstr(err, "corrupt gzip data at byte") != NULL &&
                  strstr(err, "incorrect data check") != NULL, "crc: %s", err);
        z[n - 6] ^= 0x55;
        z[3] = (char)0xe0; /* reserved header flags */
        back = dojo_gunzip(z, n, 0, &m, err, sizeof err);
        CHECK(back == NULL && strstr(err, "corrupt gzip data") != NULL, "header: %s", err);
        dojo_free(back);
    }
    dojo_free(z);
    dj_test_end();

    dj_test_begin("gunzip: output over max_out fails early, output at the limit succeeds");
    char *zeros = calloc(1, 10 << 20);
    z = dojo_gzip(zeros, 10 << 20, 9, &n, err, sizeof err);
    CHECK(z && n < 20000, "10 MiB of zeros compress to %zu bytes", n);
    if (z) {
        back = dojo_gunzip(z, n, 1 << 20, &m, err, sizeof err);
        CHECK(back == NULL && strcmp(err, "gzip data inflates to more than the 1048576-byte limit") == 0,
              "bomb: %s", err);
        back = dojo_gunzip(z, n, 10 << 20, &m, err, sizeof err);
        CHECK(back && m == (size_t)10 << 20, "exactly the limit: %s", back ? "" : err);
        dojo_free(back);
        back = dojo_gunzip(z, n, (10 << 20) - 1, &m, err, sizeof err);
        CHECK(back == NULL && strstr(err, "limit") != NULL, "one byte over: %s", err);
    }
    dojo_free(z);
    free(zeros);
    free(data);
    dj_test_end();
}
