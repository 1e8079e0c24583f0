/*
 * fs.c -- filesystem helpers of the environment: directories, whole-tree removal, stat,
 * copies, SHA-256 and clocks.
 *
 * Theory of operation: a work directory is handed to untrusted code (the agent's program)
 * and taken back afterwards, so everything here that reads or deletes what that code left
 * behind assumes it is hostile:
 *   - dojo_tree_remove never follows a symbolic link: each directory is entered with
 *     openat(O_DIRECTORY | O_NOFOLLOW) relative to its parent and its entries are removed
 *     with unlinkat, so a link to a directory outside the tree is removed as a link. It holds
 *     one descriptor at a time (it climbs back with openat(".."), checking the device and
 *     inode it left), so a tree thousands of levels deep neither exhausts descriptors nor
 *     the stack. A directory it owns that it cannot enter or empty (mode 0000, 0500) is given
 *     u+rwx first (fchmodat with AT_SYMLINK_NOFOLLOW: never the target of a link). Entries
 *     created while it works are picked up by rescanning, a bounded number of times.
 *   - dojo_file_copy opens its source with O_NOFOLLOW | O_NONBLOCK and accepts only a
 *     regular file: a symbolic link, a FIFO (which would block) or a device is refused. The
 *     copy is atomic (fsio.c's dj_atomic_*: temporary file beside the target, fsync,
 *     rename) and bounded by max_bytes, also against a file that grows while it is read.
 *   - dojo_file_move takes a file the same way and renames it when it has a single link
 *     (nothing else can reach it afterwards: a second hard link left in the work dir would
 *     let a later box rewrite the moved file), checking that what now sits at the target
 *     is the inode it opened; else, or across filesystems, it copies what it opened and
 *     removes the source. The moved file becomes the caller's, mode 0644.
 *   - dojo_path_stat uses lstat: a link is reported as a link, never as what it points to.
 * dojo_dir_make is mkdir -p whose last component gets exactly the mode asked for (chmod
 * after mkdir, so neither the umask nor an earlier, looser directory changes it): a private
 * directory is really 0700. SHA-256 is FIPS 180-4, self-contained (no OpenSSL).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* ---------------------------------------------------------------------------------------
 * Directories
 * ------------------------------------------------------------------------------------- */

/* A copy of path without trailing slashes ("/" stays "/"); NULL on exhaustion. */
static char *strip_slashes(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return NULL;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    return p;
}

/* mkdir one component; an existing directory (or link to one) is fine. created: 1 when
   this call made it. */
static int make_one(const char *full, const char *dir, int mode, int *created, char *err,
                    size_t errlen)
{
    *created = 0;
    if (mkdir(dir, (mode_t)mode) == 0) {
        *created = 1;
        return 0;
    }
    int e = errno;
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        return dj_err(err, errlen, "cannot create directory %s: %s is not a directory", full, dir);
    }
    if (e == EEXIST) /* a dangling symbolic link, or something that vanished */
        return dj_err(err, errlen, "cannot create directory %s: %s is not a directory", full, dir);
    return dj_errno(err, errlen, e, "cannot create directory %s", full);
}

int dojo_dir_make(const char *path, int mode, char *err, size_t errlen)
{
    if (!path || !*path)
        return dj_err(err, errlen, "no path given");
    if (mode < 0 || mode > 07777)
        return dj_err(err, errlen, "invalid mode %d for %s (0 to 4095, i.e. 0 to 07777)", mode,
                      path);
    char *p = strip_slashes(path);
    if (!p)
        return dj_err(err, errlen, "out of memory");
    int created, rc = 0;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/' || s[-1] == '/')
            continue;
        *s = '\0';
        rc = make_one(path, p, 0755, &created, err, errlen);
        if (rc == 0 && created && chmod(p, 0755) < 0)
            rc = dj_errno(err, errlen, errno, "cannot set the mode of %s", p);
        *s = '/';
        if (rc < 0)
            break;
    }
    if (rc == 0)
        rc = make_one(path, p, mode, &created, err, errlen);
    if (rc == 0 && chmod(p, (mode_t)mode) < 0)
        rc = dj_errno(err, errlen, errno, "cannot set the mode of %s", path);
    free(p);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b); /* bytewise: unsigned char order */
}

char *dojo_dir_list(const char *path, size_t *len, char *err, size_t errlen)
{
    if (len)
        *len = 0;
    if (!path) {
        dj_err(err, errlen, "no path given");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        dj_errno(err, errlen, errno, "cannot list %s", path);
        return NULL;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        dj_errno(err, errlen, e, "cannot list %s", path);
        return NULL;
    }
    char **names = NULL, *out = NULL;
    size_t n = 0, cap = 0, total = 0;
    int e = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            e = errno;
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        void *v = names;
        if (dj_grow(&v, &cap, n + 1, sizeof *names) < 0) {
            e = ENOMEM;
            break;
        }
        names = v;
        if (!(names[n] = strdup(de->d_name))) {
            e = ENOMEM;
            break;
        }
        total += strlen(names[n]) + 1;
        n++;
    }
    closedir(d);
    if (e) {
        dj_errno(err, errlen, e, "cannot list %s", path);
    } else {
        if (n)
            qsort(names, n, sizeof *names, cmp_names);
        out = malloc(total ? total : 1);
        if (!out) {
            dj_err(err, errlen, "out of memory listing %s", path);
        } else {
            size_t at = 0;
            for (size_t i = 0; i < n; i++) {
                size_t k = strlen(names[i]) + 1;
                memcpy(out + at, names[i], k);
                at += k;
            }
            if (len)
                *len = total;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return out;
}

/* ---------------------------------------------------------------------------------------
 * Tree removal
 * ------------------------------------------------------------------------------------- */

#define RM_MAX_RESCANS 64

typedef struct rm_frame {
    char *name;          /* entry name in the parent directory */
    dev_t dev;
    ino_t ino;
    char **pending;      /* subdirectories found and not yet removed */
    size_t npending, cap;
    int scanned;         /* scans of this directory that found entries */
} rm_frame;

typedef struct rm_state {
    const char *root;    /* the path as the caller gave it, for messages */
    rm_frame *frames;
    size_t n, cap;
    char *err;
    size_t errlen;
} rm_state;

/* The caller's path of entry name in the current directory (name NULL: the directory). */
static char *rm_path(const rm_state *s, const char *name)
{
    size_t need = strlen(s->root) + 2 + (name ? strlen(name) : 0);
    for (size_t i = 1; i < s->n; i++)
        need += strlen(s->frames[i].name) + 1;
    char *p = malloc(need);
    if (!p)
        return NULL;
    strcpy(p, s->root);
    for (size_t i = 1; i < s->n; i++) {
        strcat(p, "/");
        strcat(p, s->frames[i].name);
    }
    if (name) {
        strcat(p, "/");
        strcat(p, name);
    }
    return p;
}

static int rm_fail(rm_state *s, int e, const char *name, const char *what)
{
    char *p = rm_path(s, name);
    if (e)
        dj_errno(s->err, s->errlen, e, "cannot remove %s: %s", p ? p : s->root, what);
    else
        dj_err(s->err, s->errlen, "cannot remove %s: %s", p ? p : s->root, what);
    free(p);
    return -1;
}

static int rm_add_pending(rm_state *s, rm_frame *f, const char *name)
{
    void *v = f->pending;
    if (dj_grow(&v, &f->cap, f->npending + 1, sizeof *f->pending) < 0)
        return rm_fail(s, ENOMEM, name, "out of memory");
    f->pending = v;
    if (!(f->pending[f->npending] = strdup(name)))
        return rm_fail(s, ENOMEM, name, "out of memory");
    f->npending++;
    return 0;
}

/* Opens directory name of dfd for removal, first giving it u+rwx when we own it and lack
   some of those. 0: *fd is open and *st describes it; 1: nothing left to do (it vanished,
   or was not a directory and has been unlinked); -1: error. */
static int rm_open(rm_state *s, int dfd, const char *name, int *fd, struct stat *st)
{
    if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 1;
        return rm_fail(s, errno, name, "cannot inspect it");
    }
    if (!S_ISDIR(st->st_mode)) {
        if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
            return rm_fail(s, errno, name, "cannot unlink it");
        return 1;
    }
    if (st->st_uid == geteuid() && (st->st_mode & 0700) != 0700)
        (void)fchmodat(dfd, name, (st->st_mode | 0700) & 07777, AT_SYMLINK_NOFOLLOW);
    *fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return 1;
        if (e == ELOOP || e == ENOTDIR) { /* replaced by a link or a file meanwhile */
            if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
                return rm_fail(s, errno, name, "cannot unlink it");
            return 1;
        }
        return rm_fail(s, e, name, "cannot open the directory");
    }
    if (fstat(*fd, st) < 0) {
        int e = errno;
        close(*fd);
        return rm_fail(s, e, name, "cannot inspect it");
    }
    return 0;
}

/* Lists directory fd (the top frame): unlinks what is not a directory, queues the
   subdirectories. Returns the number of entries seen, or -1. */
static long rm_scan(rm_state *s, int fd)
{
    rm_frame *f = &s->frames[s->n - 1];
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return rm_fail(s, errno, NULL, "cannot list it");
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return rm_fail(s, e, NULL, "cannot list it");
    }
    long seen = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) {
                int e = errno;
                closedir(d);
                return rm_fail(s, e, NULL, "cannot list it");
            }
            break;
        }
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        seen++;
        int isdir = de->d_type == DT_DIR;
        if (de->d_type == DT_UNKNOWN) {
            struct stat st;
            if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                    continue;
                int e = errno;
                closedir(d);
                return rm_fail(s, e, name, "cannot inspect it");
            }
            isdir = S_ISDIR(st.st_mode);
        }
        if (!isdir && unlinkat(fd, name, 0) < 0) {
            if (errno == ENOENT)
                continue;
            if (errno != EISDIR) {
                int e = errno;
                closedir(d);
                return rm_fail(s, e, name, "cannot unlink it");
            }
            isdir = 1;
        }
        if (isdir && rm_add_pending(s, f, name) < 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return seen;
}

static void rm_pop(rm_state *s)
{
    rm_frame *f = &s->frames[--s->n];
    for (size_t i = 0; i < f->npending; i++)
        free(f->pending[i]);
    free(f->pending);
    free(f->name);
    memset(f, 0, sizeof *f);
}

static int rm_push(rm_state *s, const char *name, const struct stat *st)
{
    void *v = s->frames;
    if (dj_grow(&v, &s->cap, s->n + 1, sizeof *s->frames) < 0)
        return rm_fail(s, ENOMEM, name, "out of memory");
    s->frames = v;
    rm_frame *f = &s->frames[s->n];
    memset(f, 0, sizeof *f);
    if (!(f->name = strdup(name)))
        return rm_fail(s, ENOMEM, name, "out of memory");
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    s->n++;
    return 0;
}

/* Removes directory base of pfd and everything under it. */
static int rm_tree(rm_state *s, int pfd, const char *base)
{
    struct stat st;
    int cur = -1;
    int r = rm_open(s, pfd, base, &cur, &st);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (rm_push(s, base, &st) < 0) {
        close(cur);
        return -1;
    }
    for (;;) {
        rm_frame *f = &s->frames[s->n - 1];
        if (f->npending > 0) { /* descend into the next subdirectory */
            char *name = f->pending[--f->npending];
            int sub = -1;
            r = rm_open(s, cur, name, &sub, &st);
            if (r == 0) {
                r = rm_push(s, name, &st);
                if (r < 0)
                    close(sub);
            }
            free(name);
            if (r < 0)
                break;
            if (r == 0) {
                close(cur);
                cur = sub;
            }
            continue;
        }
        long seen = rm_scan(s, cur);
        if (seen < 0) {
            r = -1;
            break;
        }
        if (seen > 0) {
            if (++f->scanned > RM_MAX_RESCANS) {
                r = rm_fail(s, 0, NULL, "entries keep appearing in it");
                break;
            }
            continue;
        }
        /* empty: climb back and remove it */
        if (s->n == 1) {
            close(cur);
            cur = -1;
            if (unlinkat(pfd, f->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = rm_fail(s, errno, NULL, "cannot remove the directory");
            else
                r = 0;
            break;
        }
        int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (up < 0) {
            r = rm_fail(s, errno, NULL, "cannot open its parent");
            break;
        }
        rm_frame *parent = &s->frames[s->n - 2];
        if (fstat(up, &st) < 0 || st.st_dev != parent->dev || st.st_ino != parent->ino) {
            close(up);
            r = rm_fail(s, 0, NULL, "it was moved while being removed");
            break;
        }
        close(cur);
        cur = up;
        if (unlinkat(cur, f->name, AT_REMOVEDIR) < 0) {
            int e = errno;
            if (e == ENOTEMPTY || e == EEXIST) { /* filled meanwhile: queue it again */
                if (++parent->scanned > RM_MAX_RESCANS) {
                    r = rm_fail(s, 0, NULL, "entries keep appearing in it");
                    break;
                }
                if (rm_add_pending(s, parent, f->name) < 0) {
                    r = -1;
                    break;
                }
            } else if (e != ENOENT) {
                r = rm_fail(s, e, NULL, "cannot remove the directory");
                break;
            }
        }
        rm_pop(s);
    }
    if (cur >= 0)
        close(cur);
    while (s->n)
        rm_pop(s);
    free(s->frames);
    s->frames = NULL;
    s->cap = 0;
    return r;
}

int dojo_tree_remove(const char *path, char *err, size_t errlen)
{
    if (!path || !*path)
        return dj_err(err, errlen, "no path given");
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return dj_errno(err, errlen, errno, "cannot remove %s", path);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) < 0 && errno != ENOENT)
            return dj_errno(err, errlen, errno, "cannot remove %s", path);
        return 0;
    }
    char *p = strip_slashes(path);
    if (!p)
        return dj_err(err, errlen, "out of memory");
    char *slash = strrchr(p, '/');
    const char *base = slash ? slash + 1 : p;
    if (strcmp(p, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        free(p);
        return dj_err(err, errlen, "refusing to remove %s", path);
    }
    const char *parent = ".";
    if (slash == p)
        parent = "/";
    else if (slash) {
        *slash = '\0';
        parent = p;
    }
    int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) {
        int e = errno;
        free(p);
        return dj_errno(err, errlen, e, "cannot remove %s: cannot open its parent", path);
    }
    rm_state s = {.root = path, .err = err, .errlen = errlen};
    int rc = rm_tree(&s, pfd, base);
    close(pfd);
    free(p);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * Stat and copy
 * ------------------------------------------------------------------------------------- */

int dojo_path_stat(const char *path, int64_t *size, double *mtime, char *err, size_t errlen)
{
    if (size)
        *size = 0;
    if (mtime)
        *mtime = 0;
    if (!path)
        return dj_err(err, errlen, "no path given");
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return DOJO_PATH_MISSING;
        return dj_errno(err, errlen, errno, "cannot inspect %s", path);
    }
    if (size)
        *size = (int64_t)st.st_size;
    if (mtime)
        *mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
    if (S_ISREG(st.st_mode))
        return DOJO_PATH_FILE;
    if (S_ISDIR(st.st_mode))
        return DOJO_PATH_DIR;
    if (S_ISLNK(st.st_mode))
        return DOJO_PATH_LINK;
    return DOJO_PATH_OTHER;
}

/* Opens a file that untrusted code may have left: no link is followed, nothing blocks,
   only a regular file is accepted. Returns the descriptor (blocking mode) or -1. */
static int open_regular(const char *path, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ELOOP)
            return dj_err(err, errlen, "%s is a symbolic link, not a regular file", path);
        return dj_errno(err, errlen, errno, "cannot open %s", path);
    }
    if (fstat(fd, st) < 0) {
        int e = errno;
        close(fd);
        return dj_errno(err, errlen, e, "cannot open %s", path);
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return dj_err(err, errlen, "%s is not a regular file", path);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

/* read(2) retrying EINTR. */
static ssize_t read_some(int fd, void *buf, size_t n)
{
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

#define COPY_CHUNK (128 * 1024)

/* Copies the open regular file fd (stat st, named src in messages) to dst atomically;
   closes fd. */
static int copy_open(int fd, const struct stat *st, const char *src, const char *dst,
                     uint64_t max_bytes, int sync, char *err, size_t errlen)
{
    if (max_bytes && (uint64_t)st->st_size > max_bytes) {
        close(fd);
        return dj_err(err, errlen, "%s is larger than the %llu-byte limit", src,
                      (unsigned long long)max_bytes);
    }
    char *buf = malloc(COPY_CHUNK);
    if (!buf) {
        close(fd);
        return dj_err(err, errlen, "out of memory copying %s", src);
    }
    dj_atomic a;
    if (dj_atomic_begin(&a, dst, err, errlen) < 0) {
        free(buf);
        close(fd);
        return -1;
    }
    a.sync = sync;
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t r = read_some(fd, buf, COPY_CHUNK);
        if (r < 0) {
            rc = dj_errno(err, errlen, errno, "cannot read %s", src);
            break;
        }
        if (r == 0)
            break;
        total += (uint64_t)r;
        if (max_bytes && total > max_bytes) { /* it grew while we read it */
            rc = dj_err(err, errlen, "%s is larger than the %llu-byte limit", src,
                        (unsigned long long)max_bytes);
            break;
        }
        if (dj_atomic_write(&a, buf, (size_t)r, err, errlen) < 0) {
            rc = -1;
            break;
        }
    }
    free(buf);
    close(fd);
    if (rc < 0) {
        dj_atomic_abort(&a);
        return -1;
    }
    return dj_atomic_commit(&a, err, errlen);
}

/* The source of a copy or a move, opened as open_regular does. */
static int open_source(const char *src, const char *dst, struct stat *st, char *err,
                       size_t errlen)
{
    if (!src || !dst)
        return dj_err(err, errlen, "no path given");
    return open_regular(src, st, err, errlen);
}

int dojo_file_copy(const char *src, const char *dst, uint64_t max_bytes, int sync, char *err,
                   size_t errlen)
{
    struct stat st;
    int fd = open_source(src, dst, &st, err, errlen);
    if (fd < 0)
        return -1;
    return copy_open(fd, &st, src, dst, max_bytes, sync, err, errlen);
}

int dojo_file_move(const char *src, const char *dst, uint64_t max_bytes, char *err,
                   size_t errlen)
{
    struct stat st;
    int fd = open_source(src, dst, &st, err, errlen);
    if (fd < 0)
        return -1;
    if (max_bytes && (uint64_t)st.st_size > max_bytes)
        return copy_open(fd, &st, src, dst, max_bytes, 0, err, errlen); /* the message */
    if (st.st_nlink == 1 && rename(src, dst) == 0) {
        struct stat dt;
        if (lstat(dst, &dt) == 0 && dt.st_dev == st.st_dev && dt.st_ino == st.st_ino) {
            (void)fchown(fd, geteuid(), getegid()); /* ours now; a no-op unless root */
            (void)fchmod(fd, 0644);
            close(fd);
            return 0;
        }
        /* Something else was renamed (the source changed between the open and the
           rename): what was opened is copied over it below. */
    }
    if (copy_open(fd, &st, src, dst, 0, 0, err, errlen) < 0)
        return -1;
    if (unlink(src) != 0 && errno != ENOENT)
        return dj_errno(err, errlen, errno, "cannot remove %s", src);
    return 0;
}

int dojo_file_link(const char *src, const char *dst, char *err, size_t errlen)
{
    if (!src || !dst)
        return dj_err(err, errlen, "no path given");
    if (link(src, dst) != 0)
        return dj_errno(err, errlen, errno, "cannot link %s to %s", dst, src);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * SHA-256 (FIPS 180-4)
 * ------------------------------------------------------------------------------------- */

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char block[64];
    size_t used;
} sha256_ctx;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static uint32_t ror32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(sha256_ctx *c, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
    uint32_t e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + K256[i] + w[i];
        uint32_t S0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
        uint32_t maj = (a & b) ^ (a & cc) ^ (b & cc);
        uint32_t t2 = S0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = cc;
        cc = b;
        b = a;
        a = t1 + t2;
    }
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
    c->h[4] += e;
    c->h[5] += f;
    c->h[6] += g;
    c->h[7] += h;
}

static void sha256_init(sha256_ctx *c)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->bytes = 0;
    c->used = 0;
}

static void sha256_update(sha256_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    c->bytes += len;
    if (c->used) {
        size_t k = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, p, k);
        c->used += k;
        p += k;
        len -= k;
        if (c->used < 64)
            return;
        sha256_block(c, c->block);
        c->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        sha256_block(c, p);
    if (len) {
        memcpy(c->block, p, len);
        c->used = len;
    }
}

static void sha256_final(sha256_ctx *c, char *hex_out)
{
    uint64_t bits = c->bytes * 8;
    c->block[c->used++] = 0x80;
    if (c->used > 56) {
        memset(c->block + c->used, 0, 64 - c->used);
        sha256_block(c, c->block);
        c->used = 0;
    }
    memset(c->block + c->used, 0, 56 - c->used);
    for (int i = 0; i < 8; i++)
        c->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_block(c, c->block);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) {
            unsigned byte = (c->h[i] >> (24 - 8 * j)) & 0xff;
            hex_out[8 * i + 2 * j] = digits[byte >> 4];
            hex_out[8 * i + 2 * j + 1] = digits[byte & 15];
        }
    hex_out[64] = '\0';
}

void dojo_sha256(const void *data, size_t len, char *hex_out)
{
    sha256_ctx c;
    sha256_init(&c);
    if (data && len)
        sha256_update(&c, data, len);
    sha256_final(&c, hex_out);
}

int dojo_sha256_file(const char *path, char *hex_out, char *err, size_t errlen)
{
    if (hex_out)
        hex_out[0] = '\0';
    if (!path || !hex_out)
        return dj_err(err, errlen, "no path given");
    /* O_NONBLOCK: a FIFO must not block the open; it is refused as not regular. Links are
       followed (like sha256sum). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return dj_errno(err, errlen, errno, "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return dj_err(err, errlen, "%s is not a regular file", path);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    unsigned char *buf = malloc(COPY_CHUNK);
    if (!buf) {
        close(fd);
        return dj_err(err, errlen, "out of memory hashing %s", path);
    }
    sha256_ctx c;
    sha256_init(&c);
    int rc = 0;
    for (;;) {
        ssize_t r = read_some(fd, buf, COPY_CHUNK);
        if (r < 0) {
            rc = dj_errno(err, errlen, errno, "cannot read %s", path);
            break;
        }
        if (r == 0)
            break;
        sha256_update(&c, buf, (size_t)r);
    }
    free(buf);
    close(fd);
    if (rc == 0)
        sha256_final(&c, hex_out);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * Clocks
 * ------------------------------------------------------------------------------------- */

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) < 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double dojo_clock_now(void) { return clock_seconds(CLOCK_MONOTONIC); }

double dojo_clock_wall(void) { return clock_seconds(CLOCK_REALTIME); }

void dojo_sleep(double seconds)
{
    if (!(seconds > 0))
        return;
    if (seconds > 1e9)
        seconds = 1e9;
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec > 999999999L)
        ts.tv_nsec = 999999999L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}
