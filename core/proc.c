/*
 * proc.c -- processes for the sandbox: a fork-like raw clone, descriptor plumbing for the
 * child, and the process table that finds, measures and kills a process tree through /proc.
 *
 * Theory of operation:
 *
 *   Spawning. The supervisor (sandbox.c) may run inside a multi-threaded host. glibc's fork
 *   takes the host's locks and runs its atfork handlers; a raw clone(2) copies the calling
 *   thread only and touches nothing, and it can create namespaces and choose the exit signal
 *   in the same call (exit signal 0: the host gets no SIGCHLD and a host's waitpid(-1) does
 *   not see the child, which is waited for with __WALL). clone3 adds two things where the
 *   kernel has them: a pidfd returned atomically (CLONE_PIDFD) and birth straight into a
 *   v2 cgroup (CLONE_INTO_CGROUP), which avoids the RCU grace period that moving a process
 *   between cgroups costs (cgroup.c). The price of a raw clone is that the child must not
 *   use anything that needs glibc's view of threads or the heap: between clone and exec
 *   the children use raw syscalls and memory prepared by the parent. Everything in this
 *   file that a child calls is async-signal-safe in that strict sense. A clone copies the
 *   parent's page tables and a later exec or exit tears the copy down, a cost that grows
 *   with the parent's size (about 35 us per MB of touched memory); where the child only
 *   sets itself up and execs, dj_vfork_call shares the address space instead
 *   (CLONE_VM | CLONE_VFORK on a stack of its own, as posix_spawn does; the parent is
 *   suspended until the exec).
 *
 *   Descriptors. dj_arrange_fds gives the child exactly the descriptors it needs at 0..n-1
 *   (first moved above n so that no source is overwritten, then dup2'd down) and closes the
 *   rest with close_range(2), or a loop up to RLIMIT_NOFILE on kernels before 5.9.
 *
 *   The process table. When neither a pid namespace nor a cgroup holds the tree, the tree is
 *   "root and its descendants", root being the box's keeper, a child subreaper: an orphan
 *   anywhere below it is re-parented to it, so a setsid double-forked daemon stays a
 *   descendant. dj_proc_scan reads /proc/<pid>/stat of every process (getdents64 on /proc,
 *   one open/read/close each; /proc/<pid>/task/<tid>/children would be cheaper but needs
 *   CONFIG_PROC_CHILDREN, which many kernels lack), parsing after the last ')' so that a
 *   command name with spaces or parentheses cannot shift the fields. dj_proc_mark marks root
 *   and everything whose parent is marked, to a fixed point (entries are sorted by pid, so
 *   parents usually precede children and one pass suffices).
 *
 *   Measuring. CPU of the tree = utime + stime + cutime + cstime over root and its live or
 *   zombie descendants: a reaped process's time has moved into its reaper's cutime/cstime,
 *   so nothing is counted twice or lost (except children a process reaps with SIGCHLD
 *   ignored, which the kernel does not account). Memory = the sum of RSS, an upper bound
 *   (pages shared after fork count once per process); dj_proc_tree_pss gives the exact
 *   proportional sum from smaps_rollup, which the supervisor reads only to confirm an
 *   apparent excess, because it walks page tables.
 *
 *   Killing. dj_proc_kill_descendants repeats scan, mark, SIGKILL every live marked process
 *   until a scan finds none: a process forked between a scan and the kill is a child of a
 *   process being killed, becomes an orphan of the subreaper root, and is found by the next
 *   scan; a process with SIGKILL pending cannot fork, so the rounds converge.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_core.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

pid_t dj_raw_clone(unsigned long flags)
{
#if defined(__s390__) || defined(__s390x__) || defined(__CRIS__)
    return (pid_t)syscall(SYS_clone, 0UL, flags, NULL, NULL, 0UL);
#else
    return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0UL);
#endif
}

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct dj_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    uint64_t set_tid, set_tid_size, cgroup;
};

pid_t dj_raw_clone3(unsigned long flags, int cgroup_fd, int *pidfd)
{
    struct dj_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = (uint64_t)flags | CLONE_PIDFD;
    a.pidfd = (uint64_t)(uintptr_t)pidfd;
    if (cgroup_fd >= 0) {
        a.flags |= CLONE_INTO_CGROUP;
        a.cgroup = (uint64_t)cgroup_fd;
    }
    return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

/* clone3 with CLONE_VM on a stack of its own: the child calls fn(arg) there and exits with
   its result. A raw syscall cannot do this from C (the child would return into the parent's
   stack frame), hence a few instructions of assembly: x86_64 only; elsewhere ENOSYS and the
   caller takes another way. The arguments arrive in rdi (args), rsi (size), rdx (fn) and
   rcx (arg); syscall clobbers rcx and r11 only, so arg is kept in r8 and fn stays in rdx. */
#if defined(__x86_64__)
long dj_clone3_trampoline(struct dj_clone_args *a, size_t size, int (*fn)(void *), void *arg)
    __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".p2align 4\n"
        ".globl dj_clone3_trampoline\n"
        ".hidden dj_clone3_trampoline\n"
        ".type dj_clone3_trampoline, @function\n"
        "dj_clone3_trampoline:\n"
        "    mov %rcx, %r8\n"
        "    mov $435, %eax\n" /* SYS_clone3 */
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jnz 1f\n"
        "    xor %ebp, %ebp\n" /* the child: outermost frame, on the new stack */
        "    and $-16, %rsp\n"
        "    mov %r8, %rdi\n"
        "    call *%rdx\n"
        "    mov %eax, %edi\n"
        "    mov $60, %eax\n" /* SYS_exit */
        "    syscall\n"
        "    hlt\n"
        "1:  ret\n"
        ".size dj_clone3_trampoline, .-dj_clone3_trampoline\n");
#endif

pid_t dj_clone3_vm(unsigned long flags, int cgroup_fd, int *pidfd, void *stack, size_t size,
                   int (*fn)(void *), void *arg)
{
#if defined(__x86_64__)
    struct dj_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = (uint64_t)flags | CLONE_VM | CLONE_PIDFD;
    a.pidfd = (uint64_t)(uintptr_t)pidfd;
    uintptr_t lo = ((uintptr_t)stack + 63) & ~(uintptr_t)63;
    a.stack = (uint64_t)lo;
    a.stack_size = (uint64_t)(((uintptr_t)stack + size - lo) & ~(uintptr_t)63);
    if (cgroup_fd >= 0) {
        a.flags |= CLONE_INTO_CGROUP;
        a.cgroup = (uint64_t)cgroup_fd;
    }
    long r = dj_clone3_trampoline(&a, sizeof a, fn, arg);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (pid_t)r;
#else
    (void)flags, (void)cgroup_fd, (void)pidfd, (void)stack, (void)size, (void)fn, (void)arg;
    errno = ENOSYS;
    return -1;
#endif
}

pid_t dj_vfork_call(int (*fn)(void *), void *arg, void *stack, size_t size)
{
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)63;
    return (pid_t)clone(fn, (void *)top, CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
}

int dj_pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

void dj_close_from(int lowfd)
{
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0U) == 0)
        return;
    struct rlimit rl;
    long max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        max = (long)rl.rlim_cur;
    if (max > (1L << 20))
        max = 1L << 20;
    for (long fd = lowfd; fd < max; fd++)
        close((int)fd);
}

int dj_arrange_fds(const int *fds, int n)
{
    int tmp[16];
    if (n > 16)
        return -EINVAL;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0) {
            int z = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (z < 0)
                return -errno;
            tmp[i] = fcntl(z, F_DUPFD_CLOEXEC, n);
            int e = errno;
            close(z);
            if (tmp[i] < 0)
                return -e;
        } else {
            tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, n);
            if (tmp[i] < 0)
                return -errno;
        }
    }
    for (int i = 0; i < n; i++)
        if (dup2(tmp[i], i) < 0)
            return -errno;
    dj_close_from(n);
    return 0;
}

size_t dj_utoa(char *buf, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

int dj_write_str(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* ---- the process table ---------------------------------------------------------------- */

/* The table is mapped rather than malloc'd: the kernel zero-fills pages lazily, so a large
   capacity costs nothing until a scan touches it (a calloc of the same size may have to
   clear heap memory, about a millisecond per run). */
int dj_proctab_init(dj_proctab *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    void *m = mmap(NULL, cap * sizeof *t->e, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    t->e = m;
    t->cap = cap;
    return 0;
}

void dj_proctab_free(dj_proctab *t)
{
    if (t->e)
        munmap(t->e, t->cap * sizeof *t->e);
    memset(t, 0, sizeof *t);
}

struct dj_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (*s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    *out = neg ? 0 : v;
    *p = s;
    return 0;
}

/* Parses the fields of /proc/<pid>/stat after the command name. */
static int parse_stat(const char *buf, size_t len, dj_procent *e)
{
    const char *close = NULL;
    for (size_t i = len; i > 0; i--)
        if (buf[i - 1] == ')') {
            close = buf + i - 1;
            break;
        }
    if (!close || close + 3 > buf + len)
        return -1;
    const char *p = close + 2;
    e->state = *p++;
    uint64_t f[22];
    /* fields 4 (ppid) .. 24 (rss) */
    for (int i = 4; i <= 24; i++)
        if (parse_u64(&p, &f[i - 4]) != 0)
            return -1;
    e->ppid = (pid_t)f[0];
    e->ticks = f[14 - 4] + f[15 - 4] + f[16 - 4] + f[17 - 4];
    e->rss_pages = f[24 - 4];
    return 0;
}

static int read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = read(fd, buf, cap - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

static void sort_by_pid(dj_procent *e, size_t n)
{
    /* Shell sort (no qsort: it may allocate). /proc lists pids in increasing order, so
       this usually finds the array sorted. */
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++)
        if (e[i - 1].pid > e[i].pid)
            sorted = 0;
    if (sorted)
        return;
    for (size_t gap = n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < n; i++) {
            dj_procent x = e[i];
            size_t j = i;
            while (j >= gap && e[j - gap].pid > x.pid) {
                e[j] = e[j - gap];
                j -= gap;
            }
            e[j] = x;
        }
}

int dj_proc_scan(dj_proctab *t)
{
    t->n = 0;
    t->truncated = 0;
    int dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    char dbuf[8192] __attribute__((aligned(8)));
    char path[48], sbuf[1024];
    for (;;) {
        long nread = syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf);
        if (nread < 0 && errno == EINTR)
            continue;
        if (nread <= 0)
            break;
        for (long off = 0; off < nread;) {
            struct dj_dirent64 *d = (struct dj_dirent64 *)(void *)(dbuf + off);
            off += d->d_reclen;
            const char *nm = d->d_name;
            if (nm[0] < '1' || nm[0] > '9')
                continue;
            uint64_t pid = 0;
            int ok = 1;
            for (const char *c = nm; *c; c++) {
                if (*c < '0' || *c > '9') {
                    ok = 0;
                    break;
                }
                pid = pid * 10 + (uint64_t)(*c - '0');
            }
            if (!ok)
                continue;
            if (t->n >= t->cap) {
                t->truncated = 1;
                continue;
            }
            memcpy(path, "/proc/", 6);
            size_t l = 6 + dj_utoa(path + 6, pid);
            memcpy(path + l, "/stat", 6);
            int n = read_small(path, sbuf, sizeof sbuf);
            if (n <= 0)
                continue; /* gone meanwhile */
            dj_procent *e = &t->e[t->n];
            e->pid = (pid_t)pid;
            e->mark = 0;
            if (parse_stat(sbuf, (size_t)n, e) != 0)
                continue;
            t->n++;
        }
    }
    close(dfd);
    sort_by_pid(t->e, t->n);
    return 0;
}

static long find_pid(const dj_proctab *t, pid_t pid)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->e[mid].pid == pid)
            return (long)mid;
        if (t->e[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

size_t dj_proc_mark(dj_proctab *t, pid_t root)
{
    for (size_t i = 0; i < t->n; i++)
        t->e[i].mark = t->e[i].pid == root;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < t->n; i++) {
            if (t->e[i].mark)
                continue;
            long j = find_pid(t, t->e[i].ppid);
            if (j >= 0 && t->e[j].mark) {
                t->e[i].mark = 1;
                changed = 1;
            }
        }
    }
    size_t live = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].mark && t->e[i].pid != root && t->e[i].state != 'Z' &&
            t->e[i].state != 'X')
            live++;
    return live;
}

int dj_proc_kill_descendants(dj_proctab *t, pid_t root, int max_rounds)
{
    for (int round = 0; round < max_rounds; round++) {
        if (dj_proc_scan(t) != 0)
            return -1;
        if (dj_proc_mark(t, root) == 0 && !t->truncated)
            return 0;
        for (size_t i = 0; i < t->n; i++)
            if (t->e[i].mark && t->e[i].pid != root && t->e[i].state != 'Z')
                kill(t->e[i].pid, SIGKILL);
        if (round >= 3) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return -1;
}

int dj_proc_tree_usage(dj_proctab *t, pid_t root, dj_tree_usage *u)
{
    memset(u, 0, sizeof *u);
    if (dj_proc_scan(t) != 0)
        return -1;
    dj_proc_mark(t, root);
    long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (tck <= 0)
        tck = 100;
    if (page <= 0)
        page = 4096;
    uint64_t ticks = 0, pages = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].mark) {
            ticks += t->e[i].ticks;
            pages += t->e[i].rss_pages;
            u->nprocs++;
        }
    u->cpu_s = (double)ticks / (double)tck;
    u->rss_bytes = pages * (uint64_t)page;
    return 0;
}

uint64_t dj_proc_tree_pss(const dj_proctab *t)
{
    uint64_t kb = 0;
    char path[64], buf[4096];
    for (size_t i = 0; i < t->n; i++) {
        if (!t->e[i].mark || t->e[i].state == 'Z')
            continue;
        memcpy(path, "/proc/", 6);
        size_t l = 6 + dj_utoa(path + 6, (uint64_t)t->e[i].pid);
        memcpy(path + l, "/smaps_rollup", 14);
        if (read_small(path, buf, sizeof buf) <= 0)
            continue;
        const char *p = strstr(buf, "\nPss:");
        if (!p)
            continue;
        p += 5;
        uint64_t v;
        if (parse_u64(&p, &v) == 0)
            kb += v;
    }
    return kb * 1024;
}
