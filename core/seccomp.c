/*
 * seccomp.c -- the seccomp layer of the sandbox: a syscall filter that takes away the
 * kernel interfaces an ML program has no use for and that widen the attack surface.
 *
 * Theory of operation: the filter is a denylist (default action ALLOW) built once in the
 * parent with libseccomp, then exported as a raw BPF program (seccomp_export_bpf into a
 * memfd, read back into memory owned by the dj_seccomp). The child, between fork and exec,
 * only sets no_new_privs and hands that program to seccomp(SECCOMP_SET_MODE_FILTER) (or
 * prctl(PR_SET_SECCOMP) on kernels older than 3.17): no allocation, no libseccomp, nothing
 * that is not async-signal-safe. The filter is inherited across fork and exec and cannot
 * be removed.
 *
 * What is denied (EPERM unless noted):
 *   - other processes' memory and state: ptrace, process_vm_readv/writev, pidfd_getfd,
 *     process_madvise;
 *   - mounts and the filesystem root: mount, umount2 (and umount where it exists),
 *     pivot_root, chroot, and the new mount API (fsopen, fsconfig, fsmount, fspick,
 *     move_mount, open_tree, mount_setattr);
 *   - namespaces: unshare, setns, clone with any of CLONE_NEWNS, NEWUTS, NEWIPC, NEWUSER,
 *     NEWPID, NEWNET, NEWCGROUP, NEWTIME in its flags (one masked-equality rule per flag),
 *     and clone3 with ENOSYS: its flags live in memory that seccomp cannot read, and ENOSYS
 *     makes glibc (pthread_create, posix_spawn, fork) fall back to clone;
 *   - sockets: socket() with any family but AF_UNIX, plus AF_INET and AF_INET6 when the
 *     network is allowed (the whole 64-bit argument is compared, so high garbage bits that
 *     the kernel would truncate away are denied too); socketpair is left alone (it only
 *     makes connected unix pairs), and socketcall, where the architecture has it, is
 *     denied outright because its arguments are behind a pointer;
 *   - kernel attack surface: bpf, perf_event_open, userfaultfd, io_uring_setup/enter/
 *     register, keyctl, add_key, request_key;
 *   - machine administration: kexec_load, kexec_file_load, init_module, finit_module,
 *     delete_module, swapon, swapoff, reboot, acct, quotactl, quotactl_fd,
 *     open_by_handle_at, syslog, iopl, ioperm;
 *   - personality changes: only PER_LINUX (0) and the query 0xffffffff pass. The kernel
 *     reads the argument as an unsigned int, and libseccomp 2.5 cannot put two comparisons
 *     on one argument, so the rule is 32 masked equalities: a 32-bit value other than all
 *     zeros and all ones has some bit i set whose cyclic neighbour i+1 is clear, so
 *     "bit i set and bit i+1 clear" for i = 0..31 covers exactly the denied values.
 *
 * Other architectures: only the native one is in the filter and SCMP_FLTATR_ACT_BADARCH is
 * KILL_PROCESS, so e.g. `int $0x80` (i386 syscalls) from an x86_64 program kills it. x32
 * syscalls carry AUDIT_ARCH_X86_64 but set bit 0x40000000 in the number; libseccomp emits
 * a guard that sends every such number (except -1) to the bad-arch action when x32 is not
 * in the filter. dj_seccomp_build checks that the guard is in the exported program and
 * refuses to return a filter without it.
 *
 * Syscalls the running libseccomp does not know for the native architecture (umount and
 * socketcall on x86_64) are skipped; the detail gives the count of denied syscalls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox_internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif
#define DJ_X32_SYSCALL_BIT 0x40000000U

struct dj_seccomp {
    struct sock_filter *insns;
    unsigned short len;
};

/* Denied outright with EPERM. */
static const char *const denied[] = {
    /* other processes */
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "process_madvise",
    /* mounts and the root */
    "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr",
    /* namespaces */
    "unshare", "setns",
    /* kernel attack surface */
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "keyctl", "add_key", "request_key",
    /* machine administration */
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "open_by_handle_at",
    "syslog", "iopl", "ioperm",
    /* socket multiplexer (i386 and a few others): its arguments cannot be inspected */
    "socketcall",
};

static const unsigned long ns_flags[] = {
    CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
    CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

/* clone's flags: the first argument everywhere but s390 and cris. */
#if defined(__s390__) || defined(__s390x__) || defined(__CRIS__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

static const char *arch_name(uint32_t arch)
{
    switch (arch) {
    case SCMP_ARCH_X86_64: return "x86_64";
    case SCMP_ARCH_X86: return "x86";
    case SCMP_ARCH_X32: return "x32";
    case SCMP_ARCH_AARCH64: return "aarch64";
    case SCMP_ARCH_ARM: return "arm";
    case SCMP_ARCH_PPC64LE: return "ppc64le";
    case SCMP_ARCH_PPC64: return "ppc64";
    case SCMP_ARCH_S390X: return "s390x";
    case SCMP_ARCH_RISCV64: return "riscv64";
    default: return "native";
    }
}

/* A syscall number of the native architecture, or -1 when it has no such syscall. */
static int native_nr(const char *name)
{
    int nr = seccomp_syscall_resolve_name(name);
    return nr >= 0 ? nr : -1;
}

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int argc,
               const struct scmp_arg_cmp *args, const char *what, char *err, size_t errlen)
{
    int r = seccomp_rule_add_array(ctx, action, nr, argc, args);
    if (r < 0)
        return dj_errno(err, errlen, -r, "seccomp: cannot add the rule for %s", what);
    return 0;
}

/* Reads the whole of fd (from offset 0) into a fresh buffer. */
static void *read_back(int fd, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        dj_errno(err, errlen, errno, "seccomp: cannot stat the exported filter");
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n ? n : 1);
    if (!buf) {
        dj_err(err, errlen, "seccomp: out of memory");
        return NULL;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0)
                dj_errno(err, errlen, errno, "seccomp: cannot read the exported filter");
            else
                dj_err(err, errlen, "seccomp: the exported filter is shorter than announced");
            free(buf);
            return NULL;
        }
        got += (size_t)r;
    }
    *len = n;
    return buf;
}

/* Exports ctx as a BPF program: libseccomp 2.5 writes it to a descriptor only. */
static dj_seccomp *export(scmp_filter_ctx ctx, char *err, size_t errlen)
{
    int fd = memfd_create("dojo-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        FILE *f = tmpfile(); /* kernels older than 3.17, or memfd blocked */
        if (!f) {
            dj_errno(err, errlen, errno, "seccomp: cannot create a file for the filter");
            return NULL;
        }
        fd = dup(fileno(f));
        fclose(f);
        if (fd < 0) {
            dj_errno(err, errlen, errno, "seccomp: cannot create a file for the filter");
            return NULL;
        }
    }
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0) {
        close(fd);
        dj_errno(err, errlen, -r, "seccomp: cannot export the filter");
        return NULL;
    }
    size_t len = 0;
    void *buf = read_back(fd, &len, err, errlen);
    close(fd);
    if (!buf)
        return NULL;
    if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
        len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        free(buf);
        dj_err(err, errlen, "seccomp: the exported filter has an invalid size (%zu bytes)", len);
        return NULL;
    }
    dj_seccomp *f = malloc(sizeof *f);
    if (!f) {
        free(buf);
        dj_err(err, errlen, "seccomp: out of memory");
        return NULL;
    }
    f->insns = buf;
    f->len = (unsigned short)(len / sizeof(struct sock_filter));
    return f;
}

/* Whether the program sends x32 syscall numbers to the bad-arch action: a
   "jge #0x40000000" on the syscall number. */
static int has_x32_guard(const dj_seccomp *f)
{
    for (unsigned i = 0; i < f->len; i++) {
        const struct sock_filter *in = &f->insns[i];
        if (in->code == (BPF_JMP | BPF_JGE | BPF_K) && in->k == DJ_X32_SYSCALL_BIT)
            return 1;
    }
    return 0;
}

dj_seccomp *dj_seccomp_build(int allow_net, char *detail, size_t len, char *err, size_t errlen)
{
    if (detail && len)
        detail[0] = '\0';
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        dj_err(err, errlen, "seccomp: cannot create a filter (libseccomp)");
        return NULL;
    }
    dj_seccomp *f = NULL;
    int ndenied = 0, r;
    const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);

    r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (r < 0) /* kernels before 4.14 kill the thread only; exec'd programs start with one */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL);
    if (r < 0) {
        dj_errno(err, errlen, -r, "seccomp: cannot set the bad-architecture action");
        goto out;
    }

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
    /* A binary tree over the syscall numbers instead of a linear chain: every syscall the
       program makes walks the filter, so fewer comparisons is start-up time saved. Older
       libseccomp (< 2.5) keeps the chain. */
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
#endif

    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        int nr = native_nr(denied[i]);
        if (nr < 0)
            continue;
        if (add(ctx, eperm, nr, 0, NULL, denied[i], err, errlen))
            goto out;
        ndenied++;
    }

    int nr = native_nr("clone3");
    if (nr >= 0) {
        if (add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0, NULL, "clone3", err, errlen))
            goto out;
    }

    nr = native_nr("clone");
    if (nr >= 0) {
        for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++) {
            struct scmp_arg_cmp c =
                SCMP_CMP(CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]);
            if (add(ctx, eperm, nr, 1, &c, "clone", err, errlen))
                goto out;
        }
    }

    /* socket(): deny every family below the largest allowed one that is not allowed, and
       everything above it. */
    nr = native_nr("socket");
    if (nr < 0) {
        dj_err(err, errlen, "seccomp: libseccomp does not know socket(2) on this architecture");
        goto out;
    }
    {
        const int top = allow_net ? AF_INET6 : AF_UNIX;
        for (int fam = 0; fam < top; fam++) {
            int ok = fam == AF_UNIX || (allow_net && (fam == AF_INET || fam == AF_INET6));
            if (ok)
                continue;
            struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fam, 0);
            if (add(ctx, eperm, nr, 1, &c, "socket", err, errlen))
                goto out;
        }
        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_GT, (scmp_datum_t)top, 0);
        if (add(ctx, eperm, nr, 1, &c, "socket", err, errlen))
            goto out;
    }

    /* personality(): the low 32 bits must be all zeros or all ones (see the top). */
    nr = native_nr("personality");
    if (nr >= 0) {
        for (unsigned i = 0; i < 32; i++) {
            scmp_datum_t bit = (scmp_datum_t)1 << i;
            scmp_datum_t next = (scmp_datum_t)1 << ((i + 1) % 32);
            struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, bit | next, bit);
            if (add(ctx, eperm, nr, 1, &c, "personality", err, errlen))
                goto out;
        }
    }

    f = export(ctx, err, errlen);
    if (!f)
        goto out;
    uint32_t arch = seccomp_arch_native();
    if (arch == SCMP_ARCH_X86_64 && !has_x32_guard(f)) {
        dj_err(err, errlen, "seccomp: the filter has no guard against x32 syscalls");
        dj_seccomp_free(f);
        f = NULL;
        goto out;
    }
    if (detail && len)
        snprintf(detail, len,
                 "%s: deny %d syscalls, clone3 (ENOSYS), namespace clones, %s sockets, "
                 "personality changes; kill other arches%s; %u BPF insns",
                 arch_name(arch), ndenied, allow_net ? "non-unix/inet" : "non-unix",
                 arch == SCMP_ARCH_X86_64 ? " and x32" : "", (unsigned)f->len);
out:
    seccomp_release(ctx);
    return f;
}

int dj_seccomp_load(const dj_seccomp *f)
{
    if (!f || !f->insns || !f->len)
        return -EINVAL;
    struct sock_fprog prog = {.len = f->len, .filter = f->insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
        return 0;
    if (errno != ENOSYS)
        return -errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
        return 0;
    return -errno;
}

void dj_seccomp_free(dj_seccomp *f)
{
    if (!f)
        return;
    free(f->insns);
    free(f);
}
