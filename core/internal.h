/*
 * internal.h -- helpers shared by the kernel's .c files; not part of the public API.
 */
#ifndef DOJO_INTERNAL_H
#define DOJO_INTERNAL_H

#include <locale.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "dojo.h"

#define DJ_VERSION "0.1.0"

#if defined(__GNUC__)
#define DJ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define DJ_LIKELY(x) __builtin_expect(!!(x), 1)
#define DJ_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define DJ_PRINTF(a, b)
#define DJ_LIKELY(x) (x)
#define DJ_UNLIKELY(x) (x)
#endif

/* Writes a message into the caller's error buffer (when there is one); returns -1 so that
   callers can write `return dj_err(err, errlen, "...")`. */
int dj_err(char *err, size_t errlen, const char *fmt, ...) DJ_PRINTF(3, 4);
/* The same, with ": strerror(errno_value)" appended. */
int dj_errno(char *err, size_t errlen, int errno_value, const char *fmt, ...) DJ_PRINTF(4, 5);

/* The C locale (NULL if it cannot be made), and strtod in it, whatever the host's
   LC_NUMERIC: numbers in CSV files and submissions are always written with a dot. */
locale_t dj_c_locale(void);
double dj_strtod(const char *s, char **end);

/* Appends printf-style text to the NUL-terminated string in buf (cap bytes), truncating. */
void dj_appendf(char *buf, size_t cap, const char *fmt, ...) DJ_PRINTF(3, 4);

/* Allocation that never returns NULL silently: these return NULL only on exhaustion and the
   callers report "out of memory". dj_grow doubles *cap until it holds need elements. */
int dj_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Atomic file replacement: begin opens a temporary file beside path (mode 0644),
   commit fsyncs it, renames it over path and fsyncs the directory; abort removes it. */
typedef struct dj_atomic {
    int fd;
    char *path;
    char *tmp;
    int sync; /* 1 (dj_atomic_begin's default): fsync the file and its directory on commit */
} dj_atomic;
int dj_atomic_begin(dj_atomic *a, const char *path, char *err, size_t errlen);
int dj_atomic_write(dj_atomic *a, const void *data, size_t len, char *err, size_t errlen);
int dj_atomic_commit(dj_atomic *a, char *err, size_t errlen);
void dj_atomic_abort(dj_atomic *a);

/* Writes all of len bytes (retrying short writes and EINTR). */
int dj_write_all(int fd, const void *data, size_t len);

/* Big arrays. Blocks of DJ_BIG_MIN bytes or more are aligned to 2 MiB and, with
   $DOJO_HUGEPAGES=1, marked for transparent huge pages (MADV_HUGEPAGE): filling 1 GB of fresh
   values then takes 500 page faults instead of 250,000 (off by default: see par.c). Smaller
   blocks are plain malloc. The result is an ordinary malloc block: realloc and free take it. */
#define DJ_BIG_MIN ((size_t)4 << 20)
void *dj_big_alloc(size_t bytes);
/* realloc(p, bytes), then the huge-page hint on the block when it is big. */
void *dj_big_realloc(void *p, size_t bytes);
/* The huge-page hint on the whole pages of p[0..bytes) (no effect under DJ_BIG_MIN). */
void dj_big_hint(void *p, size_t bytes);
/* Makes the whole pages of p[0..bytes) present and writable at once (MADV_POPULATE_WRITE; no
   effect under DJ_BIG_MIN or before Linux 5.14): for fresh memory about to be written
   whole, one call costs about a quarter less kernel time than a fault per page. */
void dj_big_populate(void *p, size_t bytes);
/* The same for the whole pages of bytes [from, to) of base, whatever the size: for an array
   filled a step at a time, mapped a step ahead (best effort). */
void dj_populate(void *base, size_t from, size_t to);

/* Two independent tasks: fa(a) on a helper thread (every signal blocked, so that the host's
   signals keep going to its own threads) and fb(b) on the calling thread; returns when both
   are done. With one processor online, or when no thread can be started, both run here, one
   after the other. Callers split work so that the result does not depend on which way. */
void dj_run2(void (*fa)(void *), void *a, void (*fb)(void *), void *b);
/* Whether two processors are online (dj_run2 then uses a thread). */
int dj_two_cpus(void);

#endif
