/*
 * par.c -- the kernel's small shared helpers for big work: two tasks on two threads, and
 * big arrays backed by transparent huge pages.
 *
 * Theory of operation: dj_run2 runs one task on a helper thread and the other on the caller,
 * and joins; the helper blocks every signal so that the host's signals keep going to its
 * own threads, and with one processor (or no thread to be had) both tasks simply run in
 * turn, so callers cut their work in a way that does not depend on the threads (same
 * halves, same order of combining). dj_big_alloc gives blocks of 4 MiB or more aligned to
 * 2 MiB, marked MADV_HUGEPAGE when DOJO_HUGEPAGES=1 is in the environment (see
 * hugepages_on); they are ordinary malloc blocks for realloc and free.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define HUGE_ALIGN ((size_t)2 << 20)

/* Huge pages only with $DOJO_HUGEPAGES=1. They halve the kernel time of filling fresh
   arrays on a machine with free huge pages at hand. They are off by default because on the
   virtual machine dojo is developed on, a free huge page may have been handed back to the host
   (free page reporting): its first touch then costs the host's fault and zeroing, and a
   one-off grading call measured 2-3x more kernel time with them than without (back-to-back
   calls, reusing the pages just freed, were faster). */
static int hugepages_on(void)
{
    static int cached = -1;
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        const char *e = getenv("DOJO_HUGEPAGES");
        v = e && e[0] == '1' && e[1] == '\0';
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}

void dj_big_hint(void *p, size_t bytes)
{
    if (!p || bytes < DJ_BIG_MIN || !hugepages_on())
        return;
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
    if (e > a)
        madvise((void *)a, e - a, MADV_HUGEPAGE); /* a hint: failure changes nothing */
}

void dj_populate(void *base, size_t from, size_t to)
{
    uintptr_t a = ((uintptr_t)base + from + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)base + to) & ~(uintptr_t)4095;
    if (base && e > a)
        madvise((void *)a, e - a, MADV_POPULATE_WRITE); /* before Linux 5.14: EINVAL, no harm */
}

void dj_big_populate(void *p, size_t bytes)
{
    if (bytes >= DJ_BIG_MIN)
        dj_populate(p, 0, bytes);
}

void *dj_big_alloc(size_t bytes)
{
    if (bytes < DJ_BIG_MIN)
        return malloc(bytes ? bytes : 1);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_ALIGN, bytes) != 0)
        return NULL;
    dj_big_hint(p, bytes);
    return p;
}

void *dj_big_realloc(void *p, size_t bytes)
{
    void *q = realloc(p, bytes ? bytes : 1);
    if (q)
        dj_big_hint(q, bytes);
    return q;
}

int dj_two_cpus(void)
{
    static int cached = -1;
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        v = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}

typedef struct run2_task {
    void (*fn)(void *);
    void *arg;
} run2_task;

static void *run2_thread(void *p)
{
    run2_task *t = p;
    t->fn(t->arg);
    return NULL;
}

void dj_run2(void (*fa)(void *), void *a, void (*fb)(void *), void *b)
{
    run2_task ta = {fa, a};
    pthread_t th;
    int started = 0;
    if (dj_two_cpus()) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        started = pthread_create(&th, NULL, run2_thread, &ta) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (!started)
        fa(a);
    fb(b);
    if (started)
        pthread_join(th, NULL);
}

