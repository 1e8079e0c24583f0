/* test_fs.c -- directories, tree removal, stat, copies, SHA-256 and clocks (core/fs.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dojo.h"
#include "harness.h"

static mode_t mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

/* sha256sum's digest of a file, or "" when the tool is missing. */
static void sha256sum(const char *path, char out[65])
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "sha256sum '%s' 2>/dev/null", path);
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (fscanf(p, "%64s", out) != 1)
        out[0] = '\0';
    pclose(p);
}

/* Makes a chain of depth nested directories "d" under dir without long paths. */
static int make_deep(const char *dir, int depth)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    for (int i = 0; fd >= 0 && i < depth; i++) {
        if (mkdirat(fd, "d", 0755) < 0) {
            close(fd);
            return -1;
        }
        int sub = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = sub;
    }
    if (fd < 0)
        return -1;
    int f = openat(fd, "leaf", O_WRONLY | O_CREAT, 0644);
    if (f >= 0)
        close(f);
    close(fd);
    return f >= 0 ? 0 : -1;
}

/* As an unprivileged user (the tests may run as root, who ignores modes): a tree with
   0000 and 0500 directories is removed; path_stat reports EACCES as an error. Runs in a
   child; returns its exit status (0 passed, 77 skipped, else the failing check). */
static int unprivileged_checks(const char *dir)
{
    char base[512], path[600], err[512];
    snprintf(base, sizeof base, "%s/unpriv", dir);
    if (mkdir(base, 0755) < 0)
        return 10;
    if (geteuid() == 0) {
        if (chown(base, 65534, 65534) < 0 || chmod(dir, 0711) < 0)
            return 11;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 12;
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
            _exit(77);
        if (access(base, W_OK | X_OK) < 0)
            _exit(77); /* TMPDIR not reachable by nobody */
        snprintf(path, sizeof path, "%s/tree/locked", base);
        if (dojo_dir_make(path, 0755, err, sizeof err) < 0)
            _exit(20);
        snprintf(path, sizeof path, "%s/tree/locked/f", base);
        put(path, "x");
        snprintf(path, sizeof path, "%s/tree/readonly", base);
        if (dojo_dir_make(path, 0755, err, sizeof err) < 0)
            _exit(21);
        snprintf(path, sizeof path, "%s/tree/readonly/g", base);
        put(path, "y");
        snprintf(path, sizeof path, "%s/tree/readonly", base);
        chmod(path, 0500);
        snprintf(path, sizeof path, "%s/tree/locked", base);
        chmod(path, 0000);
        snprintf(path, sizeof path, "%s/tree/locked/f", base);
        int64_t size;
        double mtime;
        if (dojo_path_stat(path, &size, &mtime, err, sizeof err) != -1 ||
            !strstr(err, "Permission denied"))
            _exit(22);
        if (dojo_dir_list(path, NULL, err, sizeof err) != NULL)
            _exit(23);
        snprintf(path, sizeof path, "%s/tree", base);
        chmod(path, 0500); /* the top itself is not writable either */
        if (dojo_tree_remove(path, err, sizeof err) != 0) {
            fprintf(stderr, "# tree_remove as nobody: %s\n", err);
            _exit(24);
        }
        if (exists(path))
            _exit(25);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0)
        return 13;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 14;
}

void test_fs(void)
{
    char err[512], path[1024], path2[2048], hex[65], ref[65];
    const char *dir = dj_test_tmpdir();
    size_t len;
    int64_t size;
    double mtime;

    dj_test_begin("dir_make creates parents 0755 and the last component with exactly mode");
    mode_t old = umask(077);
    snprintf(path, sizeof path, "%s/mk/a/b//c/", dir);
    CHECK(dojo_dir_make(path, 0700, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/mk/a/b/c", dir);
    CHECK(mode_of(path) == 0700, "mode %o", (unsigned)mode_of(path));
    snprintf(path, sizeof path, "%s/mk/a", dir);
    CHECK(mode_of(path) == 0755, "parent mode %o", (unsigned)mode_of(path));
    umask(old);
    snprintf(path, sizeof path, "%s/mk/a/b/c", dir);
    chmod(path, 0777);
    CHECK(dojo_dir_make(path, 0700, err, sizeof err) == 0, "again: %s", err);
    CHECK(mode_of(path) == 0700, "existing dir chmod'ed: %o", (unsigned)mode_of(path));
    CHECK(dojo_dir_make(path, 0711, err, sizeof err) == 0, "%s", err);
    CHECK(mode_of(path) == 0711, "mode %o", (unsigned)mode_of(path));
    dj_test_end();

    dj_test_begin("dir_make through a file, on a file, with a bad mode fails clearly");
    snprintf(path, sizeof path, "%s/mk/file", dir);
    put(path, "x");
    snprintf(path2, sizeof path2, "%s/mk/file/sub/dir", dir);
    CHECK(dojo_dir_make(path2, 0755, err, sizeof err) == -1, "through a file");
    CHECK(strstr(err, "mk/file is not a directory") && strstr(err, "mk/file/sub/dir"), "%s", err);
    CHECK(dojo_dir_make(path, 0755, err, sizeof err) == -1, "on a file");
    CHECK(strstr(err, "mk/file is not a directory"), "%s", err);
    CHECK(dojo_dir_make(path2, 010000, err, sizeof err) == -1 && strstr(err, "invalid mode"), "%s", err);
    CHECK(dojo_dir_make("", 0755, err, sizeof err) == -1, "empty path");
    CHECK(dojo_dir_make(NULL, 0755, err, sizeof err) == -1, "NULL path");
    dj_test_end();

    dj_test_begin("dir_list returns sorted names, NUL-terminated; empty and missing dirs");
    snprintf(path, sizeof path, "%s/ls", dir);
    CHECK(dojo_dir_make(path, 0755, err, sizeof err) == 0, "%s", err);
    char *names = dojo_dir_list(path, &len, err, sizeof err);
    CHECK(names != NULL && len == 0, "empty dir: %p %zu", (void *)names, len);
    dojo_free(names);
    const char *entries[] = {"b", "a", "\xc3\xa9", "B", "a.txt", "sub"};
    for (size_t i = 0; i < sizeof entries / sizeof *entries; i++) {
        snprintf(path2, sizeof path2, "%s/%s", path, entries[i]);
        if (strcmp(entries[i], "sub") == 0)
            mkdir(path2, 0755);
        else
            put(path2, "x");
    }
    names = dojo_dir_list(path, &len, err, sizeof err);
    static const char want[] = "B\0a\0a.txt\0b\0sub\0\xc3\xa9";
    CHECK(names && len == sizeof want && memcmp(names, want, len) == 0, "listing (%zu bytes)", len);
    dojo_free(names);
    snprintf(path, sizeof path, "%s/no/such", dir);
    CHECK(dojo_dir_list(path, &len, err, sizeof err) == NULL && len == 0, "missing");
    CHECK(strstr(err, "cannot list") && strstr(err, "No such file"), "%s", err);
    snprintf(path, sizeof path, "%s/ls/a", dir);
    CHECK(dojo_dir_list(path, &len, err, sizeof err) == NULL && strstr(err, "Not a directory"), "%s", err);
    dj_test_end();

    dj_test_begin("path_stat tells missing, file, dir, other and link without following");
    snprintf(path, sizeof path, "%s/st.txt", dir);
    put(path, "hello");
    double before = dojo_clock_wall();
    CHECK(dojo_path_stat(path, &size, &mtime, err, sizeof err) == DOJO_PATH_FILE, "%s", err);
    CHECK(size == 5, "size %lld", (long long)size);
    CHECK(fabs(mtime - before) < 60, "mtime %f", mtime);
    CHECK(dojo_path_stat(dir, NULL, NULL, err, sizeof err) == DOJO_PATH_DIR, "dir");
    snprintf(path2, sizeof path2, "%s/st.fifo", dir);
    CHECK(mkfifo(path2, 0600) == 0, "mkfifo");
    CHECK(dojo_path_stat(path2, &size, &mtime, err, sizeof err) == DOJO_PATH_OTHER, "fifo");
    snprintf(path2, sizeof path2, "%s/st.link", dir);
    CHECK(symlink(dir, path2) == 0, "symlink");
    CHECK(dojo_path_stat(path2, &size, &mtime, err, sizeof err) == DOJO_PATH_LINK, "link");
    CHECK(size == (int64_t)strlen(dir), "link size is its target's length: %lld", (long long)size);
    snprintf(path2, sizeof path2, "%s/st.missing", dir);
    CHECK(dojo_path_stat(path2, &size, &mtime, err, sizeof err) == DOJO_PATH_MISSING, "missing");
    CHECK(size == 0 && mtime == 0, "zeroed");
    snprintf(path2, sizeof path2, "%s/st.txt/below", dir);
    CHECK(dojo_path_stat(path2, &size, &mtime, err, sizeof err) == DOJO_PATH_MISSING, "under a file");
    CHECK(dojo_path_stat(NULL, &size, &mtime, err, sizeof err) == -1, "NULL path");
    dj_test_end();

    dj_test_begin("file_copy copies atomically; refuses links, FIFOs (without blocking), caps");
    snprintf(path, sizeof path, "%s/cp-src.bin", dir);
    {
        size_t n = 300000;
        unsigned char *buf = malloc(n);
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(i * 2654435761u >> 13);
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(buf, 1, n, f) == n && fclose(f) == 0, "write source");
        snprintf(path2, sizeof path2, "%s/cp-dst.bin", dir);
        put(path2, "old");
        CHECK(dojo_file_copy(path, path2, 0, 0, err, sizeof err) == 0, "%s", err);
        char *back = dojo_file_read(path2, 0, &len, err, sizeof err);
        CHECK(back && len == n && memcmp(back, buf, n) == 0, "copied bytes differ");
        dojo_free(back);
        CHECK(mode_of(path2) == 0644, "mode %o", (unsigned)mode_of(path2));
        CHECK(dojo_file_copy(path, path2, n, 1, err, sizeof err) == 0, "exactly the limit: %s", err);
        CHECK(dojo_file_copy(path, path2, n - 1, 1, err, sizeof err) == -1, "over the limit");
        CHECK(strstr(err, "299999-byte limit"), "%s", err);
        free(buf);
    }
    alarm(20); /* a blocking open would hang the suite: let the alarm kill it instead */
    snprintf(path, sizeof path, "%s/st.fifo", dir);
    snprintf(path2, sizeof path2, "%s/cp-fifo", dir);
    CHECK(dojo_file_copy(path, path2, 0, 1, err, sizeof err) == -1, "fifo");
    CHECK(strstr(err, "not a regular file"), "%s", err);
    alarm(0);
    CHECK(!exists(path2), "nothing written");
    snprintf(path, sizeof path, "%s/cp-link", dir);
    snprintf(path2, sizeof path2, "%s/st.txt", dir);
    CHECK(symlink(path2, path) == 0, "symlink");
    snprintf(path2, sizeof path2, "%s/cp-dst2", dir);
    CHECK(dojo_file_copy(path, path2, 0, 1, err, sizeof err) == -1, "link");
    CHECK(strstr(err, "is a symbolic link"), "%s", err);
    CHECK(dojo_file_copy(dir, path2, 0, 1, err, sizeof err) == -1, "directory");
    CHECK(strstr(err, "not a regular file"), "%s", err);
    snprintf(path, sizeof path, "%s/cp-missing", dir);
    CHECK(dojo_file_copy(path, path2, 0, 1, err, sizeof err) == -1, "missing");
    CHECK(strstr(err, "cannot open") && strstr(err, "No such file"), "%s", err);
    snprintf(path, sizeof path, "%s/st.txt", dir);
    snprintf(path2, sizeof path2, "%s/no/such/dir/x", dir);
    CHECK(dojo_file_copy(path, path2, 0, 1, err, sizeof err) == -1, "into a missing dir");
    CHECK(strstr(err, "temporary file"), "%s", err);
    CHECK(dojo_file_copy(NULL, path2, 0, 1, err, sizeof err) == -1, "NULL");
    dj_test_end();

    dj_test_begin("tree_remove removes a tree without following links; missing is success");
    char outside[256], tree[256];
    snprintf(outside, sizeof outside, "%s/outside", dir);
    snprintf(path, sizeof path, "%s/keep/deeper", outside);
    CHECK(dojo_dir_make(path, 0755, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/keep/deeper/precious", outside);
    put(path, "precious");
    snprintf(tree, sizeof tree, "%s/tree", dir);
    snprintf(path, sizeof path, "%s/a/b/c", tree);
    CHECK(dojo_dir_make(path, 0755, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/a/b/c/file", tree);
    put(path, "x");
    snprintf(path, sizeof path, "%s/a/dirlink", tree);
    CHECK(symlink(outside, path) == 0, "symlink to a dir outside");
    snprintf(path, sizeof path, "%s/a/b/filelink", tree);
    snprintf(path2, sizeof path2, "%s/keep/deeper/precious", outside);
    CHECK(symlink(path2, path) == 0, "symlink to a file outside");
    snprintf(path, sizeof path, "%s/dangling", tree);
    CHECK(symlink("/no/such/target", path) == 0, "dangling symlink");
    snprintf(path, sizeof path, "%s/fifo", tree);
    CHECK(mkfifo(path, 0600) == 0, "fifo");
    snprintf(path, sizeof path, "%s/zero", tree);
    CHECK(dojo_dir_make(path, 0755, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/zero/inside", tree);
    put(path, "z");
    snprintf(path, sizeof path, "%s/zero/sub", tree);
    CHECK(dojo_dir_make(path, 0000, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/zero", tree);
    chmod(path, 0000);
    snprintf(path, sizeof path, "%s/ro", tree);
    CHECK(dojo_dir_make(path, 0755, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/ro/f", tree);
    put(path, "r");
    snprintf(path, sizeof path, "%s/ro", tree);
    chmod(path, 0500);
    CHECK(dojo_tree_remove(tree, err, sizeof err) == 0, "%s", err);
    CHECK(!exists(tree), "tree is gone");
    snprintf(path, sizeof path, "%s/keep/deeper/precious", outside);
    CHECK(exists(path), "the outside survived");
    CHECK(dojo_tree_remove(tree, err, sizeof err) == 0, "missing: %s", err);
    snprintf(path, sizeof path, "%s/st.txt/below", dir);
    CHECK(dojo_tree_remove(path, err, sizeof err) == 0, "under a file: %s", err);
    snprintf(path, sizeof path, "%s/rmlink", dir);
    CHECK(symlink(outside, path) == 0, "top-level link");
    CHECK(dojo_tree_remove(path, err, sizeof err) == 0, "%s", err);
    CHECK(!exists(path) && exists(outside), "the link went, its target stayed");
    snprintf(path, sizeof path, "%s/rmfile", dir);
    put(path, "f");
    CHECK(dojo_tree_remove(path, err, sizeof err) == 0 && !exists(path), "a plain file: %s", err);
    CHECK(dojo_tree_remove("/", err, sizeof err) == -1 && strstr(err, "refusing"), "/");
    snprintf(path, sizeof path, "%s/outside/.", dir);
    CHECK(dojo_tree_remove(path, err, sizeof err) == -1 && strstr(err, "refusing"), ".");
    CHECK(exists(outside), "still there");
    CHECK(dojo_tree_remove(NULL, err, sizeof err) == -1, "NULL");
    dj_test_end();

    dj_test_begin("tree_remove handles a tree deeper than the descriptor limit");
    snprintf(tree, sizeof tree, "%s/deep", dir);
    CHECK(mkdir(tree, 0755) == 0, "mkdir");
    CHECK(make_deep(tree, 3000) == 0, "make_deep: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/deep/d/d/d", dir);
    chmod(path, 0000);
    CHECK(dojo_tree_remove(tree, err, sizeof err) == 0, "%s", err);
    CHECK(!exists(tree), "deep tree is gone");
    snprintf(path, sizeof path, "%s/", outside);
    CHECK(dojo_tree_remove(path, err, sizeof err) == 0 && !exists(outside), "trailing slash: %s", err);
    dj_test_end();

    dj_test_begin("as an unprivileged owner: 0000/0500 dirs are fixed up; EACCES is an error");
    int st = unprivileged_checks(dir);
    if (st == 77)
        printf("# skipped: the test directory is not reachable by an unprivileged user\n");
    CHECK(st == 0 || st == 77, "unprivileged check failed at step %d", st);
    dj_test_end();

    dj_test_begin("sha256 matches the FIPS 180-4 vectors and sha256sum");
    dojo_sha256("", 0, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0, "%s", hex);
    dojo_sha256(NULL, 0, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0, "%s", hex);
    dojo_sha256("abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0, "%s", hex);
    const char *v448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    dojo_sha256(v448, strlen(v448), hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0, "%s", hex);
    const char *v896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                       "klmnopqrlmnopqrsmnopqrstnopqrstu";
    dojo_sha256(v896, strlen(v896), hex);
    CHECK(strcmp(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1") == 0, "%s", hex);
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    dojo_sha256(million, 1000000, hex);
    CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0, "%s", hex);
    const char *mf = dj_test_file("million-a", million, 1000000);
    CHECK(dojo_sha256_file(mf, hex, err, sizeof err) == 0, "%s", err);
    CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0, "%s", hex);
    /* every length around the block and padding boundaries, against sha256sum */
    static const size_t lens[] = {1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 131072, 131073};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        for (size_t j = 0; j < lens[i]; j++)
            million[j] = (char)(j * 7 + i);
        const char *f = dj_test_file("sha-len", million, lens[i]);
        sha256sum(f, ref);
        if (!ref[0]) {
            printf("# sha256sum not available: skipping the comparison\n");
            break;
        }
        dojo_sha256(million, lens[i], hex);
        CHECK(strcmp(hex, ref) == 0, "length %zu: %s vs %s", lens[i], hex, ref);
        CHECK(dojo_sha256_file(f, hex, err, sizeof err) == 0 && strcmp(hex, ref) == 0,
              "file of length %zu: %s vs %s", lens[i], hex, ref);
    }
    free(million);
    snprintf(path, sizeof path, "%s/st.fifo", dir);
    alarm(20);
    CHECK(dojo_sha256_file(path, hex, err, sizeof err) == -1 && strstr(err, "not a regular file"), "%s", err);
    alarm(0);
    CHECK(hex[0] == '\0', "no digest on failure");
    snprintf(path, sizeof path, "%s/sha-missing", dir);
    CHECK(dojo_sha256_file(path, hex, err, sizeof err) == -1 && strstr(err, "cannot open"), "%s", err);
    dj_test_end();

    dj_test_begin("clocks: monotonic advances, wall is the epoch with a fraction");
    double a = dojo_clock_now();
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    double b = dojo_clock_now();
    CHECK(b - a >= 0.015 && b - a < 5, "monotonic step %f", b - a);
    double w = dojo_clock_wall();
    CHECK(fabs(w - (double)time(NULL)) < 2, "wall %f", w);
    CHECK(w > 1.6e9, "wall %f", w);
    dj_test_end();
}
