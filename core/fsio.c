/*
 * fsio.c -- error strings, growth of arrays, and durable file I/O.
 *
 * Theory of operation: a file that dojo writes (a prepared split, a summary, a CSV) must be
 * either the old version or the new one after a crash, never half of each. dj_atomic_* write
 * into a temporary file created with O_EXCL beside the target (same directory, so the same
 * filesystem), fsync it, rename(2) it over the target and fsync the directory so that the
 * rename itself is durable. Appends (trajectories) use one write(2) on an O_APPEND
 * descriptor, so concurrent appenders never interleave inside a record, and fsync on request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int dj_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int dj_errno(char *err, size_t errlen, int errno_value, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < errlen)
            snprintf(err + n, errlen - (size_t)n, ": %s", strerror(errno_value));
    }
    return -1;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

locale_t dj_c_locale(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale;
}

double dj_strtod(const char *s, char **end)
{
    locale_t c = dj_c_locale();
    return c ? strtod_l(s, end, c) : strtod(s, end);
}

void dj_appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strnlen(buf, cap);
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

int dj_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return -1;
        ncap *= 2;
    }
    void *q = realloc(*p, ncap * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = ncap;
    return 0;
}

void dojo_free(void *p) { free(p); }

const char *dojo_version(void) { return DJ_VERSION; }

int dj_write_all(int fd, const void *data, size_t len)
{
    const char *s = data;
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int dj_atomic_begin(dj_atomic *a, const char *path, char *err, size_t errlen)
{
    a->fd = -1;
    a->tmp = NULL;
    a->sync = 1;
    a->path = strdup(path);
    if (!a->path)
        return dj_err(err, errlen, "out of memory");
    size_t n = strlen(path) + 64;
    a->tmp = malloc(n);
    if (!a->tmp) {
        free(a->path);
        return dj_err(err, errlen, "out of memory");
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(a->tmp, n, "%s.tmp.%ld.%lx.%d", path, (long)getpid(),
                 (unsigned long)ts.tv_nsec, attempt);
        a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (a->fd >= 0 || errno != EEXIST)
            break;
    }
    if (a->fd < 0) {
        int e = errno;
        dj_errno(err, errlen, e, "cannot create a temporary file beside %s", path);
        free(a->tmp);
        free(a->path);
        a->tmp = a->path = NULL;
        return -1;
    }
    return 0;
}

int dj_atomic_write(dj_atomic *a, const void *data, size_t len, char *err, size_t errlen)
{
    if (dj_write_all(a->fd, data, len) < 0)
        return dj_errno(err, errlen, errno, "cannot write %s", a->path);
    return 0;
}

void dj_atomic_abort(dj_atomic *a)
{
    if (a->fd >= 0)
        close(a->fd);
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    a->fd = -1;
    a->tmp = a->path = NULL;
}

int dj_atomic_commit(dj_atomic *a, char *err, size_t errlen)
{
    if (a->sync && fsync(a->fd) < 0) {
        int e = errno;
        dj_errno(err, errlen, e, "cannot sync %s", a->path);
        dj_atomic_abort(a);
        return -1;
    }
    if (close(a->fd) < 0) {
        int e = errno;
        a->fd = -1;
        dj_errno(err, errlen, e, "cannot write %s", a->path);
        dj_atomic_abort(a);
        return -1;
    }
    a->fd = -1;
    if (rename(a->tmp, a->path) < 0) {
        int e = errno;
        dj_errno(err, errlen, e, "cannot replace %s", a->path);
        dj_atomic_abort(a);
        return -1;
    }
    char *dir = a->sync ? dir_of(a->path) : NULL;
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd); /* best effort: some filesystems refuse fsync on directories */
            close(dfd);
        }
        free(dir);
    }
    free(a->tmp);
    free(a->path);
    a->tmp = a->path = NULL;
    return 0;
}

int dojo_file_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    dj_atomic a;
    if (!path)
        return dj_err(err, errlen, "no path given");
    if (dj_atomic_begin(&a, path, err, errlen) < 0)
        return -1;
    if (dj_atomic_write(&a, data, len, err, errlen) < 0) {
        dj_atomic_abort(&a);
        return -1;
    }
    return dj_atomic_commit(&a, err, errlen);
}

int dojo_file_append(const char *path, const void *data, size_t len, int sync,
                     char *err, size_t errlen)
{
    if (!path)
        return dj_err(err, errlen, "no path given");
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return dj_errno(err, errlen, errno, "cannot open %s for appending", path);
    int rc = 0;
    if (dj_write_all(fd, data, len) < 0)
        rc = dj_errno(err, errlen, errno, "cannot append to %s", path);
    else if (sync && fsync(fd) < 0)
        rc = dj_errno(err, errlen, errno, "cannot sync %s", path);
    if (close(fd) < 0 && rc == 0)
        rc = dj_errno(err, errlen, errno, "cannot append to %s", path);
    return rc;
}

char *dojo_file_read(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen)
{
    if (len)
        *len = 0;
    if (!path) {
        dj_err(err, errlen, "no path given");
        return NULL;
    }
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below as not regular. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        dj_errno(err, errlen, errno, "cannot open %s", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        dj_err(err, errlen, "%s is not a regular file", path);
        return NULL;
    }
    if (max_bytes && (uint64_t)st.st_size > max_bytes) {
        close(fd);
        dj_err(err, errlen, "%s is larger than the %zu-byte limit", path, max_bytes);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        dj_err(err, errlen, "out of memory reading %s", path);
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) { /* the file grew while we read it */
            if (max_bytes && n >= max_bytes) {
                free(buf);
                close(fd);
                dj_err(err, errlen, "%s is larger than the %zu-byte limit", path, max_bytes);
                return NULL;
            }
            void *p = buf;
            if (dj_grow(&p, &cap, cap + 1, 1) < 0) {
                free(buf);
                close(fd);
                dj_err(err, errlen, "out of memory reading %s", path);
                return NULL;
            }
            buf = p;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            dj_errno(err, errlen, e, "cannot read %s", path);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}
