/*
 * sandbox_core.h -- declarations shared by sandbox.c (policy, layers, supervisor), proc.c
 * (raw clone, descriptors, the /proc process table, killing a tree by walking it) and
 * cgroup.c (one cgroup per run, fresh or an empty one reused: limits, accounting, kill,
 * removal). Not public.
 *
 * Functions marked "async-signal-safe" are called between clone and exec, in a child of a
 * possibly multi-threaded host: they use raw syscalls and caller-provided memory only (no
 * malloc, no stdio, no locks, no glibc wrappers that synchronise threads such as setresuid).
 */
#ifndef DOJO_SANDBOX_CORE_H
#define DOJO_SANDBOX_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

/* ---- proc.c: processes and descriptors ------------------------------------------------ */

/* A fork-like clone(2) without glibc's fork machinery (no atfork handlers, no locks):
   flags carries the namespace flags and the exit signal (0: the parent gets no SIGCHLD and
   must wait with __WALL). Returns the child's pid in the parent, 0 in the child, -1 (errno)
   on failure. Async-signal-safe. */
pid_t dj_raw_clone(unsigned long flags);

/* clone3(2) (Linux 5.3) with the same fork-like semantics: flags are namespace flags
   only (no exit signal: the parent is not signalled), cgroup_fd >= 0 adds
   CLONE_INTO_CGROUP (5.7; the child is born in that v2 cgroup, with no migration), and
   *pidfd receives a pidfd of the child (CLONE_PIDFD). -1 with errno (ENOSYS, E2BIG: no
   clone3 or too old for these fields). Async-signal-safe. */
pid_t dj_raw_clone3(unsigned long flags, int cgroup_fd, int *pidfd);

/* Runs fn(arg) in a child that shares the caller's memory until it calls execve or _exit,
   the caller being suspended meanwhile (CLONE_VM | CLONE_VFORK, what posix_spawn does):
   nothing of the address space is copied, so the cost does not grow with the caller's
   size. fn runs on the given stack and must not return: it may only make raw syscalls
   and write its own stack (errno aside), then execve or _exit. The exit signal is SIGCHLD.
   Returns the child's pid, or -1 (errno). Async-signal-safe. */
pid_t dj_vfork_call(int (*fn)(void *), void *arg, void *stack, size_t size);

/* clone3 with CLONE_VM on the given stack: fn(arg) runs in the child, which shares the
   caller's memory, and the child exits with fn's result. flags: namespace flags, plus
   CLONE_VFORK to suspend the caller until the child execs or exits (the only safe use:
   the rules of dj_vfork_call then apply to fn); exit signal 0; cgroup_fd and *pidfd as in
   dj_raw_clone3. x86_64 only: -1 with errno ENOSYS elsewhere, E2BIG/ENOSYS without
   clone3. */
pid_t dj_clone3_vm(unsigned long flags, int cgroup_fd, int *pidfd, void *stack, size_t size,
                   int (*fn)(void *), void *arg);

/* pidfd_open(2); -1 (errno ENOSYS on kernels before 5.3). */
int dj_pidfd_open(pid_t pid);

/* Makes fds[i] descriptor i for i < n, without the close-on-exec flag, and closes every
   other descriptor from n up. fds may hold any numbers, including ones below n; a
   negative entry opens /dev/null read-only in its place. 0 or -errno. Async-signal-safe. */
int dj_arrange_fds(const int *fds, int n);

/* Closes every descriptor >= lowfd (close_range, or a loop up to RLIMIT_NOFILE). */
void dj_close_from(int lowfd);

/* Async-signal-safe formatting helpers for the children. */
size_t dj_utoa(char *buf, uint64_t v);            /* writes digits + NUL, returns length */
int dj_write_str(int fd, const char *s);           /* whole string, retrying; 0 or -1 */

/* The process table: one entry per process in /proc (tgids only), filled by dj_proc_scan.
   The arrays are allocated once by dj_proctab_init (in the parent); scanning, marking and
   killing are async-signal-safe, so a child can use its copy of a table its parent made. */
typedef struct dj_procent {
    pid_t pid, ppid;
    char state;          /* 'R', 'S', 'Z', ... */
    unsigned char mark;  /* 1: in the tree being looked at */
    uint64_t ticks;      /* utime + stime + cutime + cstime, in clock ticks */
    uint64_t rss_pages;
} dj_procent;

typedef struct dj_proctab {
    dj_procent *e;
    size_t n, cap;
    int truncated;       /* the last scan found more processes than cap */
} dj_proctab;

int dj_proctab_init(dj_proctab *t, size_t cap);   /* 0 or -1 (out of memory) */
void dj_proctab_free(dj_proctab *t);
/* Reads every /proc/<pid>/stat. 0, or -errno when /proc cannot be read. */
int dj_proc_scan(dj_proctab *t);
/* Marks root and all its descendants (through ppid links); returns how many marked
   processes other than root are not zombies. */
size_t dj_proc_mark(dj_proctab *t, pid_t root);
/* SIGKILLs every live descendant of root (not root itself) until none is left: scan, mark,
   kill, repeat (at most max_rounds scans, 1 ms apart after the first few). Only sound when
   root is a child subreaper (orphans then stay descendants of root). 0 when none is left,
   -1 when some were still alive after max_rounds. */
int dj_proc_kill_descendants(dj_proctab *t, pid_t root, int max_rounds);

/* Usage of root and its descendants from a fresh scan: CPU seconds (live ones plus what
   each has reaped) and the sum of resident set sizes. Parent only. 0 or -1. */
typedef struct dj_tree_usage {
    double cpu_s;
    uint64_t rss_bytes;
    int nprocs;
} dj_tree_usage;
int dj_proc_tree_usage(dj_proctab *t, pid_t root, dj_tree_usage *u);
/* Sum of the proportional set sizes (smaps_rollup Pss) of the processes marked by the last
   dj_proc_tree_usage: shared pages counted once. Parent only; 0 when unreadable. */
uint64_t dj_proc_tree_pss(const dj_proctab *t);

/* ---- cgroup.c: a cgroup per run, fresh or reused ------------------------------------ */

/* What this machine lets us use, discovered once per process (the first call also removes
   cgroups left behind by dead supervisors). */
typedef struct dj_cgroup_sys {
    char v2[512];          /* our own v2 cgroup directory, "" when none is usable */
    int v2_kill;           /* cgroup.kill exists (Linux 5.14+) */
    int v2_memory, v2_pids;/* the controller is enabled for our children */
    char mem[512];         /* v1 memory: our own cgroup directory, "" when not usable */
    int mem_swap;          /* memory.memsw.* exist */
    char pids[512];        /* v1 pids */
    char cpuacct[512];     /* v1 cpuacct */
    char freezer[512];     /* v1 freezer */
    char note[160];        /* why some part is not usable */
} dj_cgroup_sys;
const dj_cgroup_sys *dj_cgroup_system(void);

typedef struct dj_cgroup {
    char v2[600], mem[600], pids[600], cpuacct[600], freezer[600]; /* created, or "" */
    int mem_limited, pids_limited;   /* the limit is set (0: that limit is not available) */
    int cpu_v2;                      /* CPU from v2 cpu.stat (else v1 cpuacct.usage) */
    int cpu_fd;                      /* cpu.stat / cpuacct.usage, or -1 */
    int kill_fd;                     /* v2 cgroup.kill opened for writing, or -1 */
    int v2_fd;                       /* the v2 directory, for CLONE_INTO_CGROUP, or -1 */
    int tasks_fd[4];                 /* v1 "tasks" files opened for writing, or -1 */
    char name[64];                   /* dojo-<pid>-<n> */
    int64_t procs;                   /* the pids limit it was made with */
    double cpu_base;                 /* CPU seconds of earlier runs (a reused set) */
    int killed;                      /* dj_cgroup_kill was called: never reused */
    int reused;                      /* taken from the pool */
} dj_cgroup;

/* Creates the run's cgroups under ours, named dojo-<pid>-<n>, sets memory (0: none;
   swap too where accounted) and pids limits, or takes an empty set an earlier run of this
   process released with dj_cgroup_release. 1 ready (detail says what), 0 nothing usable
   (detail says why), -1 failure (err). */
int dj_cgroup_create(dj_cgroup *cg, uint64_t memory, int64_t procs, char *detail, size_t dlen,
                     char *err, size_t errlen);
/* Moving a process between cgroups through cgroup.procs write-locks the kernel's global
   threadgroup rwsem, which waits for an RCU grace period (7-15 ms on an idle machine) on
   every run. Two ways around it: the box's first process is born in the v2 cgroup
   (dj_raw_clone3 with cg->v2_fd), and it moves *itself* into each v1 cgroup by writing
   "0" to the v1 "tasks" file, which migrates the calling thread only and takes no global
   lock (the keeper is single-threaded, so that moves the whole process).
   dj_cgroup_join: the latter, in the child. 0 or -errno. Async-signal-safe. */
int dj_cgroup_join(const dj_cgroup *cg);
/* Moves pid into the v2 cgroup through cgroup.procs (when it was not born there) and,
   when v1_too, into the v1 ones. 0 or -1 (err). */
int dj_cgroup_attach(dj_cgroup *cg, pid_t pid, int v1_too, char *err, size_t errlen);
/* CPU seconds used so far by the run's processes; -1 when not accounted. */
double dj_cgroup_cpu(dj_cgroup *cg);
/* Whether this run's cgroup can kill its whole tree (v2 cgroup.kill or v1 freezer). */
int dj_cgroup_can_kill(const dj_cgroup *cg);
/* Kills every process of the run and waits (bounded, about 2 s) until none is left.
   0 empty, -1 some process could not be removed. */
int dj_cgroup_kill(dj_cgroup *cg);
/* Whether any process is left. */
int dj_cgroup_populated(dj_cgroup *cg);
/* Peak memory (bytes, -1 unknown) and the number of OOM kills (-1 unknown). */
void dj_cgroup_stats(dj_cgroup *cg, int64_t *peak, int64_t *oom_kills);
/* Removes the run's cgroups (retrying briefly while the last processes go). */
void dj_cgroup_destroy(dj_cgroup *cg);
/* Ends the run's use of its cgroups: when reusable (the caller saw the tree end by itself:
   nothing killed, the keeper reaped), the set was never killed, holds no v2 memory limit
   and every hierarchy is empty, it goes back to a small per-process pool for the next
   run (a v1 memory cgroup is removed even then); otherwise it is destroyed. */
void dj_cgroup_release(dj_cgroup *cg, int reusable);

#endif
