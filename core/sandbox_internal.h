/*
 * sandbox_internal.h -- the pieces sandbox.c assembles: Landlock and seccomp (landlock.c,
 * seccomp.c). Everything called in the child between fork and exec is async-signal-safe:
 * no malloc, no stdio, no locks; what needs memory is prepared in the parent.
 */
#ifndef DOJO_SANDBOX_INTERNAL_H
#define DOJO_SANDBOX_INTERNAL_H

#include <stddef.h>

#include "internal.h"

/* ---- the keeper's reaper image (reaper.c) ------------------------------------------ */

/* What the image writes to descriptor 3 when it reaps the program (pid 2 of the box's pid
   namespace): a record of DJ_REAPER_REC_SIZE bytes, zero but for the kind (an int at 0),
   the wait status (an int at DJ_REAPER_REC_STATUS_AT) and ru_maxrss (a long at
   DJ_REAPER_REC_MAXRSS_AT). sandbox.c checks these against its record at compile time. */
#define DJ_REAPER_PROGRAM_PID 2
#define DJ_REAPER_REC_SIZE 240
#define DJ_REAPER_REC_KIND 3
#define DJ_REAPER_REC_STATUS_AT 12
#define DJ_REAPER_REC_MAXRSS_AT 40

/* A descriptor (close-on-exec) of the image, built and test-run once per process, for
   execveat(fd, "", ..., AT_EMPTY_PATH); -1 when this machine cannot have it (*why says
   why: another architecture, memfds not executable). Thread-safe. */
int dj_reaper_fd(const char **why);

/* ---- Landlock (landlock.c) ---------------------------------------------------------- */

typedef struct dj_landlock_rules {
    const char *const *ro;    /* read-only (and executable) paths, NULL-terminated */
    const char *const *rw;    /* read-write paths, NULL-terminated */
    int deny_net;             /* deny TCP bind/connect where the ABI allows (>= 4) */
    int scope;                /* scope abstract unix sockets and signals (ABI >= 6) */
} dj_landlock_rules;

/* In the child, before exec (after no_new_privs is set). Returns 1 when the ruleset is
   enforced, 0 when Landlock is unavailable (nothing done), -1 on failure; detail (a caller
   buffer) says what was done: "ABI 7: fs read-only 12 paths, read-write 2; net denied;
   signals scoped" or why not. Paths that do not exist are skipped. */
int dj_landlock_apply(const dj_landlock_rules *rules, char *detail, size_t len);

/* ---- seccomp (seccomp.c) ------------------------------------------------------------ */

typedef struct dj_seccomp dj_seccomp;

/* In the parent, once: builds the BPF filter (libseccomp, exported as a BPF program):
   deny (EPERM unless noted) socket families other than AF_UNIX (unless allow_net),
   ptrace, process_vm_readv/writev, mount/umount2/pivot_root/chroot, unshare, setns,
   clone with namespace flags, clone3 (ENOSYS, so libcs fall back to clone), bpf, keyctl,
   add_key, request_key, perf_event_open, io_uring_*, userfaultfd, kexec_*, init/finit/
   delete_module, swapon/swapoff, reboot, acct, quotactl, open_by_handle_at, syslog,
   personality changes other than the default; other architectures are killed.
   detail gets a one-line summary. NULL on failure (err says why). */
dj_seccomp *dj_seccomp_build(int allow_net, char *detail, size_t len, char *err, size_t errlen);
/* In the child, after prctl(PR_SET_NO_NEW_PRIVS): installs the filter. 0 or -errno. */
int dj_seccomp_load(const dj_seccomp *f);
void dj_seccomp_free(dj_seccomp *f);

#endif
