/* test_fsio.c -- atomic writes, durable appends and bounded reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "dojo.h"
#include "harness.h"

static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

void test_fsio(void)
{
    char err[512], path[512];
    const char *dir = dj_test_tmpdir();

    dj_test_begin("file_write replaces a file atomically and leaves no temporary file");
    snprintf(path, sizeof path, "%s/atomic.txt", dir);
    CHECK(dojo_file_write(path, "old", 3, err, sizeof err) == 0, "write: %s", err);
    CHECK(dojo_file_write(path, "new content", 11, err, sizeof err) == 0, "rewrite: %s", err);
    size_t len = 0;
    char *data = dojo_file_read(path, 0, &len, err, sizeof err);
    CHECK(data && len == 11 && memcmp(data, "new content", 11) == 0, "read back: %s", data ? data : err);
    dojo_free(data);
    CHECK(count_entries(dir, "atomic.txt") == 1, "temporary files left behind");
    dj_test_end();

    dj_test_begin("file_write into a missing directory fails with the reason");
    snprintf(path, sizeof path, "%s/no/such/dir/x.txt", dir);
    CHECK(dojo_file_write(path, "x", 1, err, sizeof err) == -1, "should fail");
    CHECK(strstr(err, "No such file or directory") != NULL, "message: %s", err);
    dj_test_end();

    dj_test_begin("file_append appends whole records, with and without fsync");
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    for (int i = 0; i < 100; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "{\"step\":%d}\n", i);
        CHECK(dojo_file_append(path, line, (size_t)n, i % 10 == 0, err, sizeof err) == 0, "%s", err);
    }
    data = dojo_file_read(path, 0, &len, err, sizeof err);
    CHECK(data != NULL, "%s", err);
    int lines = 0;
    for (size_t i = 0; data && i < len; i++)
        lines += data[i] == '\n';
    CHECK(lines == 100, "lines: %d", lines);
    CHECK(data && strncmp(data + len - 12, "{\"step\":99}\n", 12) == 0, "last record");
    dojo_free(data);
    dj_test_end();

    dj_test_begin("file_read refuses directories, FIFOs and files over the limit");
    CHECK(dojo_file_read(dir, 0, &len, err, sizeof err) == NULL, "directory read");
    CHECK(strstr(err, "not a regular file") != NULL, "message: %s", err);
    snprintf(path, sizeof path, "%s/fifo", dir);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo: %s", strerror(errno));
    CHECK(dojo_file_read(path, 0, &len, err, sizeof err) == NULL, "fifo read must not block");
    CHECK(strstr(err, "not a regular file") != NULL, "message: %s", err);
    snprintf(path, sizeof path, "%s/atomic.txt", dir);
    CHECK(dojo_file_read(path, 5, &len, err, sizeof err) == NULL, "limit");
    CHECK(strstr(err, "5-byte limit") != NULL, "message: %s", err);
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    CHECK(dojo_file_read(path, 0, &len, err, sizeof err) == NULL, "missing");
    CHECK(strstr(err, "cannot open") != NULL && strstr(err, "missing.txt") != NULL, "message: %s", err);
    dj_test_end();

    dj_test_begin("NULL arguments are reported, not dereferenced");
    CHECK(dojo_file_write(NULL, "x", 1, err, sizeof err) == -1, "write NULL path");
    CHECK(dojo_file_append(NULL, "x", 1, 0, err, sizeof err) == -1, "append NULL path");
    CHECK(dojo_file_read(NULL, 0, NULL, err, sizeof err) == NULL, "read NULL path");
    CHECK(dojo_file_write(path, "x", 1, NULL, 0) == 0, "a NULL error buffer is allowed");
    dojo_free(NULL);
    dj_test_end();
}
