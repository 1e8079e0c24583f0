/*
 * test_layers.c -- the Landlock and seccomp layers (core/landlock.c, core/seccomp.c),
 * attacked from forked children.
 *
 * Theory of operation: every case forks a child that applies the layer(s) exactly as the
 * sandbox does between fork and exec (Landlock first, then no_new_privs + seccomp), then
 * runs one attack and reports the errno it got (0: the call succeeded) through a pipe; the
 * parent CHECKs the exact errno, bubblewrap-test style. Attacks that would change the
 * machine when a layer failed use arguments that are harmless without the layer (a
 * missing mount point, wrong reboot magic, ...), so that a broken filter shows up as a
 * different errno rather than as damage. Children end with _exit only: after seccomp
 * denies ptrace, LeakSanitizer's exit-time scan (which ptraces the process) would fail
 * and turn a passing child into exit code 1, and no atexit handler of the parent (the
 * temp-dir cleanup) may run twice. Core dumps are disabled in the children because the
 * bad-architecture cases end in SIGSYS.
 *
 * When this machine lacks a layer (no Landlock, an ABI without net or scope, no seccomp
 * filter, no 32-bit syscall entry), the case checks that the layer says so and prints a
 * "# skip" note instead of failing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sandbox_internal.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- running an attack in a child ---------------------------------------------------- */

typedef struct {
    const dj_landlock_rules *ll; /* NULL: no Landlock */
    const dj_seccomp *sc;        /* NULL: no seccomp */
} layers;

typedef struct {
    int ll_rc;                   /* dj_landlock_apply's result; 9: not asked */
    int sc_rc;                   /* dj_seccomp_load's result; 9: not asked */
    int err;                     /* the attack: 0 success, else errno */
    char detail[200];            /* Landlock's detail */
} report;

typedef int (*attack_fn)(long arg);

/* 0 when the call succeeded, else errno. */
#define ERRNO_OF(expr) ((expr) < 0 ? errno : 0)

/* Forks a child that applies L, runs fn(arg) and reports. 0 with *rep filled; -1 when
   the child died without reporting (*status: its wait status). */
static int run(const layers *L, attack_fn fn, long arg, report *rep, int *status)
{
    int p[2];
    memset(rep, 0, sizeof *rep);
    *status = 0;
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        report r;
        memset(&r, 0, sizeof r);
        r.ll_rc = r.sc_rc = 9;
        close(p[0]);
        struct rlimit nocore = {0, 0};
        setrlimit(RLIMIT_CORE, &nocore);
        if (L && L->ll)
            r.ll_rc = dj_landlock_apply(L->ll, r.detail, sizeof r.detail);
        if (L && L->sc && r.ll_rc != -1) {
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
                r.sc_rc = -errno;
            else
                r.sc_rc = dj_seccomp_load(L->sc);
        }
        if (r.ll_rc != -1 && (r.sc_rc == 0 || r.sc_rc == 9))
            r.err = fn(arg);
        else
            r.err = -1;
        ssize_t w = write(p[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 3);
    }
    close(p[1]);
    size_t got = 0;
    while (got < sizeof *rep) {
        ssize_t n = read(p[0], (char *)rep + got, sizeof *rep - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(p[0]);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return got == sizeof *rep ? 0 : -1;
}

/* Runs the attack and returns its errno; -100 - signal when the child was killed, -99 when
   it failed otherwise, -98 when a layer failed to apply. */
static int attack(const layers *L, attack_fn fn, long arg)
{
    report rep;
    int status;
    if (run(L, fn, arg, &rep, &status) != 0)
        return WIFSIGNALED(status) ? -100 - WTERMSIG(status) : -99;
    if (rep.ll_rc == -1 || (rep.sc_rc != 0 && rep.sc_rc != 9))
        return -98;
    return rep.err;
}

static const char *ename(int e)
{
    static char buf[4][64];
    static int next;
    char *b = buf[next++ % 4];
    if (e == 0)
        return "success";
    if (e <= -100)
        snprintf(b, 64, "killed by signal %d", -e - 100);
    else if (e == -99)
        snprintf(b, 64, "child failed");
    else if (e == -98)
        snprintf(b, 64, "layer failed to apply");
    else
        snprintf(b, 64, "%s", strerrorname_np(e) ? strerrorname_np(e) : strerror(e));
    return b;
}

#define EXPECT(L, fn, arg, want)                                                            \
    do {                                                                                    \
        int got_ = attack((L), (fn), (long)(arg));                                          \
        CHECK(got_ == (want), "%s(%s): got %s, want %s", #fn, #arg, ename(got_),           \
              ename(want));                                                                 \
    } while (0)

/* ---- the attacks ----------------------------------------------------------------------- */

static int a_socket(long family)
{
    int fd = (int)syscall(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 && errno == ESOCKTNOSUPPORT)
        fd = (int)syscall(SYS_socket, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 && (errno == ESOCKTNOSUPPORT || errno == EPROTONOSUPPORT))
        fd = (int)syscall(SYS_socket, family, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

static int a_socketpair(long unused)
{
    (void)unused;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return errno;
    close(sv[0]);
    close(sv[1]);
    return 0;
}

static int a_clone(long flags)
{
    long r = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0L, 0L, 0L, 0L);
    if (r == 0)
        _exit(0);
    if (r < 0)
        return errno;
    int status;
    waitpid((pid_t)r, &status, 0);
    return 0;
}

static int a_fork(long unused)
{
    (void)unused;
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    if (pid < 0)
        return errno;
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : ECHILD;
}

static void *thread_main(void *arg)
{
    *(int *)arg = 42;
    return NULL;
}

static int a_thread(long unused)
{
    (void)unused;
    pthread_t t;
    int value = 0;
    int e = pthread_create(&t, NULL, thread_main, &value);
    if (e)
        return e;
    e = pthread_join(t, NULL);
    if (e)
        return e;
    return value == 42 ? 0 : EINVAL;
}

/* Runs path in a grandchild; 0 when it exits 0, else its exit code (the errno of a failed
   execve) or EINTR when it was killed. */
static int a_exec(long path)
{
    char *const argv[] = {(char *)(intptr_t)path, NULL};
    char *const envp[] = {NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execve((const char *)(intptr_t)path, argv, envp);
        _exit(errno & 0xff);
    }
    if (pid < 0)
        return errno;
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return errno;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return EINTR;
}

static int a_vm(long write)
{
    static char buf[64] = "dojo";
    struct iovec local = {buf, sizeof buf}, remote = {buf, sizeof buf};
    ssize_t n = write ? process_vm_writev(getppid(), &local, 1, &remote, 1, 0)
                      : process_vm_readv(getppid(), &local, 1, &remote, 1, 0);
    return ERRNO_OF(n);
}

static int a_personality(long persona)
{
    return ERRNO_OF(syscall(SYS_personality, persona));
}

/* A 32-bit syscall (getpid, i386 number 20) through int $0x80: killed by the bad-arch
   action under the filter, the pid without it. */
static int a_int80(long unused)
{
    (void)unused;
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "rcx", "r11");
    if (ret == (long)getpid())
        return 0;
    return ret < 0 ? (int)-ret : EINVAL;
#else
    return ENOSYS;
#endif
}

/* An x32 syscall: getpid with the x32 bit set. */
static int a_x32(long unused)
{
    (void)unused;
#if defined(__x86_64__)
    return ERRNO_OF(syscall(0x40000000L | SYS_getpid));
#else
    return ENOSYS;
#endif
}

static int a_nr_minus_one(long unused)
{
    (void)unused;
    return ERRNO_OF(syscall(-1L));
}

/* ---- raw syscalls with arguments harmless when the filter is missing ----------------- */

#define S(x) ((long)(intptr_t)(x))
#define NOWHERE S("/nonexistent-dojo-layers")

typedef struct {
    const char *what;
    long nr;
    long a[6];
    int want;
} raw_call;

static const raw_call raw_calls[] = {
    {"ptrace(PTRACE_TRACEME)", SYS_ptrace, {0 /* PTRACE_TRACEME */}, EPERM},
    {"unshare(CLONE_NEWUSER)", SYS_unshare, {CLONE_NEWUSER}, EPERM},
    {"unshare(CLONE_NEWNS)", SYS_unshare, {CLONE_NEWNS}, EPERM},
    {"unshare(CLONE_NEWNET)", SYS_unshare, {CLONE_NEWNET}, EPERM},
    {"setns", SYS_setns, {-1, 0}, EPERM},
    {"clone3", SYS_clone3, {0, 0}, ENOSYS},
    {"mount", SYS_mount, {S("none"), NOWHERE, S("tmpfs"), 0, 0}, EPERM},
    {"umount2", SYS_umount2, {NOWHERE, 0}, EPERM},
    {"pivot_root", SYS_pivot_root, {NOWHERE, NOWHERE}, EPERM},
    {"chroot", SYS_chroot, {NOWHERE}, EPERM},
    {"fsopen", SYS_fsopen, {S("dojo-nonexistent-fs"), 0}, EPERM},
    {"fsconfig", SYS_fsconfig, {-1, 0, 0, 0, 0}, EPERM},
    {"fsmount", SYS_fsmount, {-1, 0, 0}, EPERM},
    {"fspick", SYS_fspick, {AT_FDCWD, NOWHERE, 0}, EPERM},
    {"move_mount", SYS_move_mount, {-1, S(""), -1, S(""), 0}, EPERM},
    {"open_tree", SYS_open_tree, {AT_FDCWD, NOWHERE, 0}, EPERM},
    {"mount_setattr", SYS_mount_setattr, {-1, S(""), 0, 0, 0}, EPERM},
    {"bpf(BPF_MAP_CREATE)", SYS_bpf, {0, 0, 0}, EPERM},
    {"perf_event_open", SYS_perf_event_open, {0, 0, -1, -1, 0}, EPERM},
    {"userfaultfd", SYS_userfaultfd, {O_CLOEXEC}, EPERM},
    {"io_uring_setup", SYS_io_uring_setup, {1, 0}, EPERM},
    {"io_uring_enter", SYS_io_uring_enter, {-1, 0, 0, 0, 0, 0}, EPERM},
    {"io_uring_register", SYS_io_uring_register, {-1, 0, 0, 0}, EPERM},
    {"keyctl(KEYCTL_GET_KEYRING_ID)", SYS_keyctl,
     {KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0}, EPERM},
    {"add_key", SYS_add_key, {0, 0, 0, 0, 0}, EPERM},
    {"request_key", SYS_request_key, {0, 0, 0, 0}, EPERM},
    {"kexec_load (invalid flags)", SYS_kexec_load, {0, 0, 0, 0x8000}, EPERM},
    {"kexec_file_load (invalid flags)", SYS_kexec_file_load, {-1, -1, 0, 0, 0x8000}, EPERM},
    {"init_module", SYS_init_module, {0, 0, S("")}, EPERM},
    {"finit_module", SYS_finit_module, {-1, S(""), 0}, EPERM},
    {"delete_module", SYS_delete_module, {S("dojo_nonexistent_module"), O_NONBLOCK}, EPERM},
    {"swapon", SYS_swapon, {NOWHERE, 0}, EPERM},
    {"swapoff", SYS_swapoff, {NOWHERE}, EPERM},
    {"reboot (wrong magic)", SYS_reboot, {0, 0, 0, 0}, EPERM},
    {"acct", SYS_acct, {NOWHERE}, EPERM},
    {"quotactl", SYS_quotactl, {0, 0, 0, 0}, EPERM},
    {"quotactl_fd", SYS_quotactl_fd, {-1, 0, 0, 0}, EPERM},
    {"open_by_handle_at", SYS_open_by_handle_at, {-1, 0, 0}, EPERM},
    {"syslog(SIZE_BUFFER)", SYS_syslog, {10, 0, 0}, EPERM},
    {"pidfd_getfd", SYS_pidfd_getfd, {-1, 0, 0}, EPERM},
    {"process_madvise", SYS_process_madvise, {-1, 0, 0, 0, 0}, EPERM},
#if defined(__x86_64__)
    {"iopl(0)", SYS_iopl, {0}, EPERM},
    {"ioperm", SYS_ioperm, {0, 0, 0}, EPERM},
#endif
    /* allowed: a few everyday calls go through */
    {"getpid", SYS_getpid, {0}, 0},
    {"prctl(PR_GET_NO_NEW_PRIVS)", SYS_prctl, {PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0}, 0},
};

static int a_raw(long index)
{
    const raw_call *c = &raw_calls[index];
    long r = syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
    return ERRNO_OF(r);
}

/* ---- Landlock attacks ----------------------------------------------------------------- */

static struct {
    char secret[512];     /* a readable file outside every rule */
    char outside_dir[256];
    char rwdir[256];      /* the read-write directory */
    char rw_new[512];     /* a file to create in it */
    char rwfile[512];     /* a single file granted read-write */
    char rwfile_sib[512]; /* its sibling, not granted */
    char exec_copy[512];  /* a copy of /bin/true outside the rules */
    const char *usr_file; /* an existing file under /usr */
    int port;             /* a TCP listener on 127.0.0.1 */
    char abstract[64];    /* an abstract unix listener's name */
} g;

static int a_read(long path)
{
    int fd = open((const char *)(intptr_t)path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    char c;
    ssize_t n = read(fd, &c, 1);
    int e = n < 0 ? errno : 0;
    close(fd);
    return e;
}

static int a_listdir(long path)
{
    int fd = open((const char *)(intptr_t)path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

static int a_open_write(long path)
{
    int fd = open((const char *)(intptr_t)path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

static int a_create(long path)
{
    int fd = open((const char *)(intptr_t)path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    int e = write(fd, "dojo\n", 5) == 5 ? 0 : EIO;
    close(fd);
    return e;
}

static int a_append(long path)
{
    int fd = open((const char *)(intptr_t)path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int e = write(fd, "more\n", 5) == 5 ? 0 : EIO;
    close(fd);
    return e;
}

/* mkdir, rename inside the directory (REFER from ABI 2), rmdir. */
static int a_dir_ops(long dir)
{
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/sub", (const char *)(intptr_t)dir);
    snprintf(b, sizeof b, "%s/sub2", (const char *)(intptr_t)dir);
    if (mkdir(a, 0700) != 0)
        return errno;
    if (rename(a, b) != 0)
        return errno;
    return ERRNO_OF(rmdir(b));
}

static int a_unlink(long path)
{
    return ERRNO_OF(unlink((const char *)(intptr_t)path));
}

static int tcp_socket(void)
{
    return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static int a_connect(long port)
{
    int fd = tcp_socket();
    if (fd < 0)
        return errno;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int e = ERRNO_OF(connect(fd, (struct sockaddr *)&sa, sizeof sa));
    close(fd);
    return e;
}

static int a_bind(long unused)
{
    (void)unused;
    int fd = tcp_socket();
    if (fd < 0)
        return errno;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int e = ERRNO_OF(bind(fd, (struct sockaddr *)&sa, sizeof sa));
    close(fd);
    return e;
}

static socklen_t abstract_addr(struct sockaddr_un *sa, const char *name)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(sa->sun_path + 1, name, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int a_abstract_connect(long name)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    struct sockaddr_un sa;
    socklen_t len = abstract_addr(&sa, (const char *)(intptr_t)name);
    int e = ERRNO_OF(connect(fd, (struct sockaddr *)&sa, len));
    close(fd);
    return e;
}

static int a_kill_parent(long unused)
{
    (void)unused;
    return ERRNO_OF(kill(getppid(), 0));
}

static int a_kill_self(long unused)
{
    (void)unused;
    return ERRNO_OF(kill(getpid(), 0));
}

/* ---- setup ------------------------------------------------------------------------------ */

static int landlock_abi(void)
{
    long abi = syscall(444 /* landlock_create_ruleset */, NULL, 0, 1U /* VERSION */);
    return abi > 0 ? (int)abi : 0;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror(path);
        exit(2);
    }
    close(fd);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    char buf[65536];
    ssize_t n;
    if (in < 0 || out < 0) {
        perror(from);
        exit(2);
    }
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            perror(to);
            exit(2);
        }
    close(in);
    close(out);
    chmod(to, mode);
}

static int tcp_listener(int *port)
{
    int fd = tcp_socket();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("tcp listener");
        exit(2);
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

static int abstract_listener(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa;
    socklen_t len = abstract_addr(&sa, name);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) != 0 || listen(fd, 64) != 0) {
        perror("abstract listener");
        exit(2);
    }
    return fd;
}

static void setup_paths(void)
{
    const char *dir = dj_test_tmpdir();
    snprintf(g.outside_dir, sizeof g.outside_dir, "%s/layers-outside", dir);
    snprintf(g.secret, sizeof g.secret, "%s/secret.txt", g.outside_dir);
    snprintf(g.rwdir, sizeof g.rwdir, "%s/layers-rw", dir);
    snprintf(g.rw_new, sizeof g.rw_new, "%s/created.txt", g.rwdir);
    snprintf(g.rwfile, sizeof g.rwfile, "%s/layers-file.txt", dir);
    snprintf(g.rwfile_sib, sizeof g.rwfile_sib, "%s/layers-sibling.txt", dir);
    snprintf(g.exec_copy, sizeof g.exec_copy, "%s/true-copy", g.outside_dir);
    if ((mkdir(g.outside_dir, 0755) != 0 && errno != EEXIST) ||
        (mkdir(g.rwdir, 0755) != 0 && errno != EEXIST)) {
        perror("mkdir");
        exit(2);
    }
    write_file(g.secret, "private answers\n");
    write_file(g.rwfile, "granted\n");
    copy_file("/bin/true", g.exec_copy, 0755);
    static const char *const usr_candidates[] = {"/usr/lib/os-release", "/usr/bin/env",
                                                 "/usr/bin/true", NULL};
    for (int i = 0; usr_candidates[i] && !g.usr_file; i++)
        if (access(usr_candidates[i], F_OK) == 0)
            g.usr_file = usr_candidates[i];
    snprintf(g.abstract, sizeof g.abstract, "dojo-test-layers-%d", (int)getpid());
}

/* ---- the cases --------------------------------------------------------------------------- */

static void test_seccomp_build(void)
{
    char detail[200], err[256];

    dj_test_begin("seccomp: build twice, free, load(NULL)");
    detail[0] = err[0] = '\0';
    dj_seccomp *a = dj_seccomp_build(0, detail, sizeof detail, err, sizeof err);
    CHECK(a != NULL, "build: %s", err);
    CHECK(strstr(detail, "BPF") != NULL, "detail: %s", detail);
#if defined(__x86_64__)
    CHECK(strncmp(detail, "x86_64:", 7) == 0 && strstr(detail, "x32") != NULL, "detail: %s",
          detail);
#endif
    CHECK(strlen(detail) < 160, "detail does not fit a layer record (%zu): %s",
          strlen(detail), detail);
    printf("# seccomp: %s\n", detail);
    dj_seccomp *b = dj_seccomp_build(1, detail, sizeof detail, NULL, 0);
    CHECK(b != NULL, "second build");
    CHECK(strstr(detail, "non-unix/inet") != NULL && strlen(detail) < 160,
          "allow_net detail: %s", detail);
    dj_seccomp *c = dj_seccomp_build(0, NULL, 0, NULL, 0);
    CHECK(c != NULL, "build without buffers");
    dj_seccomp_free(a);
    dj_seccomp_free(b);
    dj_seccomp_free(c);
    dj_seccomp_free(NULL);
    CHECK(dj_seccomp_load(NULL) == -EINVAL, "load(NULL)");
    char tiny[8];
    dj_seccomp *d = dj_seccomp_build(0, tiny, sizeof tiny, err, sizeof err);
    CHECK(d != NULL && strlen(tiny) == sizeof tiny - 1, "a small detail buffer is truncated");
    dj_seccomp_free(d);
    dj_test_end();
}

static int seccomp_available(void)
{
    return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 && access("/proc/self/status", R_OK) == 0;
}

static void test_seccomp_attacks(void)
{
    char err[256];
    dj_seccomp *f = dj_seccomp_build(0, NULL, 0, err, sizeof err);
    dj_seccomp *fnet = dj_seccomp_build(1, NULL, 0, err, sizeof err);
    layers L = {NULL, f}, Lnet = {NULL, fnet};

    dj_test_begin("seccomp: the filter loads in a child");
    CHECK(f && fnet, "build: %s", err);
    if (!f || !fnet) {
        dj_test_end();
        dj_seccomp_free(f);
        dj_seccomp_free(fnet);
        return;
    }
    report rep;
    int status;
    int ran = run(&L, a_socketpair, 0, &rep, &status);
    if (!seccomp_available()) {
        printf("# skip: seccomp filters are unavailable here (load: %s)\n", ename(-rep.sc_rc));
        CHECK(ran == 0 && rep.sc_rc < 0, "load should report the failure");
        dj_test_end();
        dj_seccomp_free(f);
        dj_seccomp_free(fnet);
        return;
    }
    CHECK(ran == 0 && rep.sc_rc == 0, "load: %s", ename(-rep.sc_rc));
    dj_test_end();

    dj_test_begin("seccomp: sockets other than AF_UNIX are denied");
    EXPECT(NULL, a_socket, AF_INET, 0); /* control */
    EXPECT(&L, a_socket, AF_INET, EPERM);
    EXPECT(&L, a_socket, AF_INET6, EPERM);
    EXPECT(&L, a_socket, AF_NETLINK, EPERM);
    EXPECT(&L, a_socket, AF_PACKET, EPERM);
    EXPECT(&L, a_socket, AF_UNSPEC, EPERM);
    EXPECT(&L, a_socket, AF_VSOCK, EPERM);
    EXPECT(&L, a_socket, 0x100000000L | AF_INET, EPERM); /* high bits the kernel drops */
    EXPECT(&L, a_socket, 0x100000000L | AF_UNIX, EPERM);
    EXPECT(&L, a_socket, -1L, EPERM);
    EXPECT(&L, a_socket, AF_UNIX, 0);
    EXPECT(&L, a_socketpair, 0, 0);
    dj_test_end();

    dj_test_begin("seccomp: allow_net lets AF_INET/AF_INET6 through, nothing else");
    EXPECT(&Lnet, a_socket, AF_INET, 0);
    int e6 = attack(&Lnet, a_socket, AF_INET6);
    CHECK(e6 == 0 || e6 == EAFNOSUPPORT, "AF_INET6: %s", ename(e6));
    EXPECT(&Lnet, a_socket, AF_UNIX, 0);
    EXPECT(&Lnet, a_socket, AF_NETLINK, EPERM);
    EXPECT(&Lnet, a_socket, AF_PACKET, EPERM);
    EXPECT(&Lnet, a_socket, AF_UNSPEC, EPERM);
    EXPECT(&Lnet, a_socket, AF_IPX, EPERM);
    EXPECT(&Lnet, a_socket, 3L /* AF_AX25 */, EPERM);
    EXPECT(&Lnet, a_socket, 0x100000000L | AF_INET, EPERM);
    dj_test_end();

    dj_test_begin("seccomp: ptrace and other processes' memory are denied");
    EXPECT(&L, a_raw, 0 /* ptrace(PTRACE_TRACEME) */, EPERM);
    EXPECT(&L, a_vm, 0 /* process_vm_readv */, EPERM);
    EXPECT(&L, a_vm, 1 /* process_vm_writev */, EPERM);
    dj_test_end();

    dj_test_begin("seccomp: clone3 is ENOSYS, namespace clones are EPERM, fork and threads work");
    static const long nsflags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
                                   CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME,
                                   CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER};
    for (size_t i = 0; i < sizeof nsflags / sizeof nsflags[0]; i++) {
        int got = attack(&L, a_clone, nsflags[i]);
        CHECK(got == EPERM, "clone(0x%lx): %s", (unsigned long)nsflags[i], ename(got));
    }
    EXPECT(&L, a_clone, 0, 0);           /* a plain clone is a fork */
    EXPECT(&L, a_fork, 0, 0);
    EXPECT(&L, a_thread, 0, 0);
    EXPECT(&L, a_exec, S("/bin/true"), 0);
    dj_test_end();

    dj_test_begin("seccomp: every denied syscall returns its errno; everyday calls pass");
    for (size_t i = 0; i < sizeof raw_calls / sizeof raw_calls[0]; i++) {
        int got = attack(&L, a_raw, (long)i);
        CHECK(got == raw_calls[i].want, "%s: got %s, want %s", raw_calls[i].what, ename(got),
              ename(raw_calls[i].want));
        /* control: without the filter the call must end differently, or the check above
           proves nothing on this machine (e.g. a kernel without modules says ENOSYS, a
           container without capabilities says EPERM) */
        int ctl = attack(NULL, a_raw, (long)i);
        if (raw_calls[i].want != 0 && ctl == raw_calls[i].want)
            printf("# note: %s also gives %s without the filter here\n", raw_calls[i].what,
                   ename(ctl));
    }
    dj_test_end();

    dj_test_begin("seccomp: personality only passes PER_LINUX and the query");
    static const struct {
        unsigned long persona;
        int want;
    } pers[] = {
        {0, 0},
        {0xffffffffUL, 0},
        {0xffffffffffffffffUL, 0}, /* the kernel reads 32 bits: still the query */
        {0x100000000UL, 0},        /* ... and this is PER_LINUX */
        {READ_IMPLIES_EXEC, EPERM},
        {ADDR_NO_RANDOMIZE, EPERM},
        {PER_LINUX32, EPERM},
        {PER_BSD, EPERM},
        {1, EPERM},
        {0x80000000UL, EPERM},
        {0x7fffffffUL, EPERM},
        {0xfffffffeUL, EPERM},
        {0x55555555UL, EPERM},
        {0xffff0000UL, EPERM},
        {0x1ffffffffUL, 0}, /* low 32 bits all ones */
    };
    EXPECT(NULL, a_personality, READ_IMPLIES_EXEC, 0); /* control */
    for (size_t i = 0; i < sizeof pers / sizeof pers[0]; i++) {
        int got = attack(&L, a_personality, (long)pers[i].persona);
        CHECK(got == pers[i].want, "personality(0x%lx): got %s, want %s", pers[i].persona,
              ename(got), ename(pers[i].want));
    }
    dj_test_end();

    dj_test_begin("seccomp: other architectures and x32 are killed, syscall -1 is ENOSYS");
#if defined(__x86_64__)
    int ctl = attack(NULL, a_int80, 0);
    if (ctl == 0) {
        EXPECT(&L, a_int80, 0, -100 - SIGSYS);
    } else {
        printf("# skip: no 32-bit syscall entry here (int $0x80: %s)\n", ename(ctl));
    }
    EXPECT(&L, a_x32, 0, -100 - SIGSYS);
#else
    printf("# skip: not x86_64\n");
#endif
    EXPECT(&L, a_nr_minus_one, 0, ENOSYS);
    dj_test_end();

    dj_seccomp_free(f);
    dj_seccomp_free(fnet);
}

static const char *const ro_paths[] = {"/usr", "/etc", "/lib", "/lib64", "/bin", "/proc",
                                       "/dev/null", NULL};

static void test_landlock(void)
{
    int abi = landlock_abi();
    const char *const rw_paths[] = {g.rwdir, NULL};
    dj_landlock_rules rules = {ro_paths, rw_paths, 1, 1};
    layers L = {&rules, NULL};
    report rep;
    int status;

    dj_test_begin("landlock: applies and describes itself");
    int ran = run(&L, a_kill_self, 0, &rep, &status);
    CHECK(ran == 0, "child died (status 0x%x)", status);
    printf("# landlock: %s\n", rep.detail);
    if (abi == 0) {
        CHECK(rep.ll_rc == 0 && strstr(rep.detail, "unavailable") != NULL,
              "unavailable Landlock must say so: rc %d, %s", rep.ll_rc, rep.detail);
        printf("# skip: Landlock is unavailable here\n");
        dj_test_end();
        return;
    }
    char want[32];
    snprintf(want, sizeof want, "ABI %d: ", abi);
    CHECK(rep.ll_rc == 1, "rc %d: %s", rep.ll_rc, rep.detail);
    CHECK(strncmp(rep.detail, want, strlen(want)) == 0, "detail: %s", rep.detail);
    CHECK(strstr(rep.detail, "read-write 1") != NULL, "detail: %s", rep.detail);
    CHECK(strstr(rep.detail, abi >= 4 ? "net denied" : "net not restricted"), "detail: %s",
          rep.detail);
    CHECK(strstr(rep.detail, abi >= 6 ? "scoped" : "not scoped"), "detail: %s", rep.detail);
    CHECK(strlen(rep.detail) < 160, "detail does not fit a layer record: %s", rep.detail);
    dj_test_end();

    dj_test_begin("landlock: files outside the rules are unreadable, the rules' are readable");
    EXPECT(&L, a_read, S(g.secret), EACCES);
    EXPECT(&L, a_listdir, S(g.outside_dir), EACCES);
    EXPECT(&L, a_listdir, S(dj_test_tmpdir()), EACCES);
    EXPECT(&L, a_read, S("/etc/passwd"), 0);
    EXPECT(&L, a_listdir, S("/usr/bin"), 0);
    EXPECT(&L, a_read, S("/proc/self/status"), 0);
    EXPECT(&L, a_read, S("/dev/null"), 0);
    dj_test_end();

    dj_test_begin("landlock: read-only paths cannot be written, even by root");
    CHECK(g.usr_file != NULL, "no file under /usr to try");
    if (g.usr_file)
        EXPECT(&L, a_open_write, S(g.usr_file), EACCES);
    EXPECT(&L, a_create, S("/usr/dojo-layers-test"), EACCES);
    EXPECT(&L, a_create, S("/etc/dojo-layers-test"), EACCES);
    EXPECT(&L, a_open_write, S("/dev/null"), EACCES);
    EXPECT(&L, a_create, S(g.rwfile_sib), EACCES);
    dj_test_end();

    dj_test_begin("landlock: the read-write directory is fully usable");
    EXPECT(&L, a_create, S(g.rw_new), 0);
    EXPECT(&L, a_read, S(g.rw_new), 0);
    EXPECT(&L, a_append, S(g.rw_new), 0);
    EXPECT(&L, a_dir_ops, S(g.rwdir), 0);
    EXPECT(&L, a_unlink, S(g.rw_new), 0);
    dj_test_end();

    dj_test_begin("landlock: a file given as a path gets file rights only");
    const char *const rw_file[] = {g.rwdir, g.rwfile, NULL};
    dj_landlock_rules frules = {ro_paths, rw_file, 1, 1};
    layers LF = {&frules, NULL};
    EXPECT(&LF, a_append, S(g.rwfile), 0);
    EXPECT(&LF, a_read, S(g.rwfile), 0);
    EXPECT(&LF, a_create, S(g.rwfile_sib), EACCES);
    EXPECT(&LF, a_unlink, S(g.rwfile), EACCES);
    run(&LF, a_kill_self, 0, &rep, &status);
    CHECK(rep.ll_rc == 1 && strstr(rep.detail, "read-write 2"), "rc %d: %s", rep.ll_rc,
          rep.detail);
    dj_test_end();

    dj_test_begin("landlock: executing from the rules works, from elsewhere it does not");
    EXPECT(&L, a_exec, S("/bin/true"), 0);
    EXPECT(&L, a_exec, S(g.exec_copy), EACCES);
    EXPECT(NULL, a_exec, S(g.exec_copy), 0); /* control */
    dj_test_end();

    dj_test_begin("landlock: missing paths are skipped and counted");
    const char *const ro_missing[] = {"/usr", "/etc", "/nonexistent-dojo-layers/x",
                                      "/etc/passwd/not-a-dir", NULL};
    dj_landlock_rules mrules = {ro_missing, rw_paths, 0, 0};
    layers LM = {&mrules, NULL};
    ran = run(&LM, a_read, S("/etc/passwd"), &rep, &status);
    CHECK(ran == 0 && rep.ll_rc == 1 && rep.err == 0, "rc %d err %s: %s", rep.ll_rc,
          ename(rep.err), rep.detail);
    CHECK(strstr(rep.detail, "read-only 2 paths") && strstr(rep.detail, "2 missing"),
          "detail: %s", rep.detail);
    CHECK(!strstr(rep.detail, "net") && !strstr(rep.detail, "scope"), "detail: %s",
          rep.detail);
    dj_landlock_rules none = {NULL, NULL, 0, 0};
    layers LN = {&none, NULL};
    EXPECT(&LN, a_read, S("/etc/passwd"), EACCES);
    ran = run(&LN, a_kill_self, 0, &rep, &status);
    CHECK(ran == 0 && rep.ll_rc == 1 && strstr(rep.detail, "read-only 0 paths, read-write 0"),
          "detail: %s", rep.detail);
    dj_test_end();

    dj_test_begin("landlock: TCP bind and connect are denied (ABI >= 4)");
    int port;
    int lfd = tcp_listener(&port);
    EXPECT(NULL, a_connect, port, 0); /* control */
    if (abi >= 4) {
        EXPECT(&L, a_connect, port, EACCES);
        EXPECT(&L, a_bind, 0, EACCES);
        EXPECT(&LM, a_connect, port, 0); /* deny_net = 0 */
    } else {
        printf("# skip: Landlock ABI %d has no network rights\n", abi);
    }
    close(lfd);
    dj_test_end();

    dj_test_begin("landlock: signals and abstract unix sockets are scoped (ABI >= 6)");
    int afd = abstract_listener(g.abstract);
    EXPECT(NULL, a_kill_parent, 0, 0);                   /* controls */
    EXPECT(NULL, a_abstract_connect, S(g.abstract), 0);
    if (abi >= 6) {
        EXPECT(&L, a_kill_parent, 0, EPERM);
        EXPECT(&L, a_abstract_connect, S(g.abstract), EPERM);
        EXPECT(&L, a_kill_self, 0, 0);
        EXPECT(&LM, a_kill_parent, 0, 0);                 /* scope = 0 */
        EXPECT(&LM, a_abstract_connect, S(g.abstract), 0);
    } else {
        printf("# skip: Landlock ABI %d has no scopes\n", abi);
    }
    close(afd);
    dj_test_end();

    dj_test_begin("landlock: the detail buffer may be small or absent");
    char tiny[8];
    pid_t pid = fork();
    if (pid == 0) {
        int r1 = dj_landlock_apply(&rules, tiny, sizeof tiny);
        int ok = r1 == 1 && strlen(tiny) == sizeof tiny - 1 &&
                 dj_landlock_apply(&rules, NULL, 0) == 1;
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0,
          "status 0x%x", status);
    dj_test_end();
}

/* Applies Landlock in a child whose Landlock syscall nr fails with errno e (a libseccomp
   filter, only_create: only when its flags argument is 0, i.e. not the version query), so
   that the unavailable and failure paths run on a machine that has Landlock. Returns
   dj_landlock_apply's result (-9: the child failed) and its detail. */
static int landlock_with_fault(const dj_landlock_rules *rules, int nr, int only_create, int e,
                               char *detail, size_t len)
{
    report rep;
    int p[2];
    memset(&rep, 0, sizeof rep);
    if (pipe2(p, O_CLOEXEC) != 0)
        return -9;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r = !ctx ? -1
                : only_create
                    ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)e), nr, 1,
                                       SCMP_A2(SCMP_CMP_EQ, 0, 0))
                    : seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)e), nr, 0);
        if (r == 0)
            r = seccomp_load(ctx);
        if (r != 0)
            _exit(4);
        rep.ll_rc = dj_landlock_apply(rules, rep.detail, sizeof rep.detail);
        rep.err = errno;
        _exit(write(p[1], &rep, sizeof rep) == (ssize_t)sizeof rep ? 0 : 3);
    }
    close(p[1]);
    ssize_t n = pid > 0 ? read(p[0], &rep, sizeof rep) : -1;
    close(p[0]);
    int status;
    if (pid > 0)
        waitpid(pid, &status, 0);
    snprintf(detail, len, "%s", rep.detail);
    return n == (ssize_t)sizeof rep ? rep.ll_rc : -9;
}

static void test_landlock_faults(void)
{
    const char *const rw_paths[] = {g.rwdir, NULL};
    dj_landlock_rules rules = {ro_paths, rw_paths, 1, 1};
    char detail[200];
    int rc;

    dj_test_begin("landlock: a kernel without Landlock is reported as unavailable");
    rc = landlock_with_fault(&rules, 444, 0, ENOSYS, detail, sizeof detail);
    CHECK(rc == 0 &&
              strcmp(detail, "Landlock unavailable: the kernel has no Landlock (ENOSYS)") == 0,
          "rc %d: %s", rc, detail);
    rc = landlock_with_fault(&rules, 444, 0, EOPNOTSUPP, detail, sizeof detail);
    CHECK(rc == 0 && strstr(detail, "unavailable: disabled at boot"), "rc %d: %s", rc, detail);
    rc = landlock_with_fault(&rules, 444, 0, EPERM, detail, sizeof detail);
    CHECK(rc == 0 && strstr(detail, "unavailable: the syscall is blocked"), "rc %d: %s", rc,
          detail);
    dj_test_end();

    dj_test_begin("landlock: failures after the probe are errors with the reason");
    if (landlock_abi() == 0) {
        printf("# skip: Landlock is unavailable here\n");
    } else {
        rc = landlock_with_fault(&rules, 444, 1, ENOMEM, detail, sizeof detail);
        CHECK(rc == -1 && strcmp(detail, "Landlock: cannot create the ruleset: ENOMEM") == 0,
              "rc %d: %s", rc, detail);
        rc = landlock_with_fault(&rules, 445, 0, EBADFD, detail, sizeof detail);
        CHECK(rc == -1 && strcmp(detail, "Landlock: cannot add a rule for /usr: EBADFD") == 0,
              "rc %d: %s", rc, detail);
        rc = landlock_with_fault(&rules, 446, 0, E2BIG, detail, sizeof detail);
        CHECK(rc == -1 && strcmp(detail, "Landlock: cannot restrict the process: E2BIG") == 0,
              "rc %d: %s", rc, detail);
        rc = landlock_with_fault(&rules, 446, 0, 200, detail, sizeof detail);
        CHECK(rc == -1 &&
                  strcmp(detail, "Landlock: cannot restrict the process: errno 200") == 0,
              "rc %d: %s", rc, detail);
    }
    dj_test_end();
}

static void test_both(void)
{
    char err[256];
    dj_seccomp *f = dj_seccomp_build(0, NULL, 0, err, sizeof err);
    const char *const rw_paths[] = {g.rwdir, NULL};
    dj_landlock_rules rules = {ro_paths, rw_paths, 1, 1};
    layers L = {&rules, f};
    int abi = landlock_abi();

    dj_test_begin("landlock + seccomp: stacked as in the sandbox");
    CHECK(f != NULL, "build: %s", err);
    if (f && abi > 0 && seccomp_available()) {
        EXPECT(&L, a_exec, S("/bin/true"), 0);
        EXPECT(&L, a_read, S(g.secret), EACCES);
        EXPECT(&L, a_create, S(g.rw_new), 0);
        EXPECT(&L, a_socket, AF_INET, EPERM);
        EXPECT(&L, a_thread, 0, 0);
        EXPECT(&L, a_fork, 0, 0);
        EXPECT(&L, a_raw, 0 /* ptrace */, EPERM);
    } else if (f) {
        printf("# skip: a layer is unavailable here\n");
    }
    dj_seccomp_free(f);
    dj_test_end();
}

void test_layers(void)
{
    setup_paths();
    test_seccomp_build();
    test_seccomp_attacks();
    test_landlock();
    test_landlock_faults();
    test_both();
}
