/*
 * sandbox.c -- runs one untrusted program under a policy and reports what happened.
 *
 * Theory of operation (compare isolate's): the calling thread becomes the *supervisor*; it
 * never installs a signal handler, never waits for anything but its own child, and changes
 * nothing process-wide, so the host may be a multi-threaded embedding program.
 *
 *   supervisor (the caller's thread)
 *     `-- keeper     raw clone(CLONE_NEWPID|NEWNS|NEWIPC|NEWUTS[|NEWNET][|NEWUSER]), exit
 *         |          signal 0 (no SIGCHLD to the host; invisible to a host's waitpid(-1)).
 *         |          pid 1 of the box's pid namespace, or, without namespaces, a child
 *         |          subreaper. It reaps every orphan of the tree and reports the program's
 *         |          wait status through the status pipe.
 *         `-- program  the agent's code: layers applied in order, then execve.
 *
 * The lean keeper. A keeper cloned fork-like holds a copy of the host's address space for
 * the whole run: the page tables copied at clone, every page of the host write-protected
 * (the host's next write to each takes a fault), the copy torn down at exit -- about 10 ms
 * a run, and 10 ms of faults after it, for a host with a 50 MB heap. So, with a pid
 * namespace, the keeper is cloned vfork-like instead (dj_clone3_vm: CLONE_VM | CLONE_VFORK
 * on a stack of its own, with a pidfd, into the v2 cgroup): while the supervisor waits in
 * clone3 it joins the v1 cgroups, enters the shared network namespace, arranges its
 * descriptors, writes its own id maps in a user namespace (one line mapping its own ids,
 * as an unprivileged creator may), mounts, starts the program (dj_vfork_call, as below),
 * and then execs the reaper image (reaper.c: 140 bytes of code in a sealed memfd that
 * reaps and reports pid 2, the program), which ends the sharing; the supervisor goes on
 * with everything already running. There is no "go": a shared network namespace is made
 * before the first box (make_shared_netns). The reaper keeps PR_SET_PDEATHSIG across the
 * exec (only an exec that gains privileges clears it). Where clone3 with CLONE_VM, the
 * image or a memfd exec is not available, or DOJO_SANDBOX_KEEPER=fork is set, the
 * fork-like keeper below is used. A cost of the vfork-like clone: the supervisor cannot
 * watch the clock until the program
 * has exec'd, so a set-up that hangs (a work dir on a dead network filesystem) hangs the
 * supervisor, as it would a posix_spawn.
 *
 * Probing and building happen once per process (pthread_once): dojo_probe, the cgroup
 * hierarchies (cgroup.c), and the seccomp filter (one per network setting), built here with
 * dj_seccomp_build and only loaded in the child.
 *
 * Per run, in the supervisor: validate the policy (-1 and nothing runs on any error);
 * resolve the command in the box's PATH; make the work dir when cwd is NULL; pick a fresh
 * uid/gid when root (2000000 + pid<<8 + an atomic counter, so concurrent boxes never share
 * one) and chown the work dir and write paths to it (the top directories, and beneath
 * them whatever an earlier box created -- entries owned by a box uid --, never following
 * symlinks, so a later run can overwrite an earlier run's files); TMPDIR: with a mount
 * namespace, the box's private tmpfs on /dev/shm (sized to the memory limit and counted in
 * it: no directory to create or remove per run), else a fresh /tmp/dojo-tmp-XXXXXX; build
 * the environment and Landlock lists; create the run's cgroups (cgroup.c; an empty set a
 * run whose tree ended by itself released is reused, see cleanup) and the pipes
 * (stdout, stderr, status, go); clone the keeper -- with clone3 straight into the v2
 * cgroup, and the keeper then moves itself into the v1 ones through their "tasks" files:
 * moving a process with cgroup.procs would wait for an RCU grace period, 7-15 ms, on every
 * run --; write its uid/gid maps in the user namespace case; then write "go". The keeper
 * starts the program only after "go", with dj_vfork_call (proc.c): the program shares the
 * keeper's memory until its exec, so no copy of the address space the keeper inherited
 * from the supervisor is made or torn down for it.
 *
 * The layers, in the order DESIGN.md gives, each reported in dojo_sandbox_result.layers:
 *   session     keeper: setsid; PR_SET_PDEATHSIG (SIGKILL with a pid namespace; without,
 *               SIGTERM, on which the keeper kills the tree before it goes); program:
 *               PR_SET_PDEATHSIG SIGKILL, set *after* the uid change (which clears it),
 *               then getppid() is checked against the keeper.
 *   namespaces  at clone; the keeper makes every mount private, mounts a fresh /proc (the
 *               box sees only its own processes) and a private tmpfs on /dev/shm, and sets
 *               the host name. A new network namespace costs about a millisecond per run
 *               (its creation in clone, its teardown in a kernel worker afterwards), so,
 *               when Landlock scopes abstract unix sockets (ABI >= 6) and we are root, the
 *               boxes of one process share one: the first box's, kept open (an fd on
 *               /proc/<keeper>/ns/net, taken before "go", so nothing of the box has run in
 *               it yet) and entered by later keepers with setns before anything else. It
 *               has only a loopback interface, down, that no box can bring up (no
 *               capabilities); what a namespace could carry from box to box are abstract
 *               unix sockets, which Landlock scopes to each box (seccomp denies the other
 *               socket families), and nothing of a box outlives it. Without ABI 6 or
 *               seccomp, or with a user namespace, each box gets a fresh one. The layer's
 *               detail says which. DOJO_LAYER_NETNS skips the network namespace only
 *               (seccomp still denies every socket family but AF_UNIX, Landlock ABI >= 4
 *               every TCP bind/connect).
 *   cgroup      memory, pids, CPU accounting, kill (cgroup.c); without it, memory and CPU
 *               of the whole tree are enforced by polling /proc every 10 ms (proc.c).
 *   rlimits     CPU (a per-process backstop: ceil(time)+1 s soft, +1 s hard), FSIZE,
 *               NOFILE 4096, CORE 0, STACK 8 MiB soft, NPROC (counted per uid: effective
 *               with the fresh uid or inside a user namespace).
 *   uid         root only: setgroups(0), setresgid, setresuid to the fresh ids (raw
 *               syscalls: glibc's wrappers would try to synchronise the host's threads).
 *   landlock    dj_landlock_apply: read-only system paths, /proc, /sys/devices/system/cpu,
 *               /sys/fs/cgroup (loky reads its CPU quota there), the program, policy.read;
 *               read-write the work dir (as ".": the program enters it while still root,
 *               so relative paths work even below a directory the box uid cannot
 *               search), TMPDIR, /dev/null, /dev/zero, /dev/shm,
 *               policy.write (+ /dev/nvidia* with gpu); TCP denied unless policy.net;
 *               signals and abstract unix sockets scoped to the box. /etc is readable but
 *               /etc/shadow (0640 root:shadow) stays closed through the uid drop.
 *   seccomp     no_new_privs, then dj_seccomp_load of the prebuilt filter.
 *   environment a fresh environment from an allowlist (PATH, HOME = work dir, LANG and
 *               LC_ALL = C.UTF-8, TMPDIR, OMP/OPENBLAS/MKL_NUM_THREADS = usable CPUs,
 *               PYTHONDONTWRITEBYTECODE, PYTHONUNBUFFERED, CUDA_VISIBLE_DEVICES with gpu)
 *               plus policy.env; nothing of the host's environment is passed.
 * stdin is /dev/null; only descriptors 0-2 survive exec (the status pipe is close-on-exec).
 *
 * Supervising: poll(2) on stdout, stderr, the status pipe and a pidfd of the keeper (or a
 * 10 ms timeout without pidfd; with a pid namespace and a pidfd the status pipe is read
 * only once the keeper is gone, its few records waiting in the pipe, so that the
 * supervisor is not woken for each); output is captured up to policy.output_bytes per
 * stream, the rest read and dropped (counted in output_bytes). Every tick (10 ms for the
 * first second, then 20 ms; only when there is something to measure; when the CPU limit
 * is all there is, from the first moment it could be reached, time_s / the machine's
 * CPUs, so that a short run is not woken at all) the CPU of the tree is checked (cgroup
 * cpu.stat, else /proc) and, without a memory cgroup, its memory (sum of RSS; an excess
 * is confirmed with PSS before the kill). Wall time is checked at every
 * wake-up. Exceeding a limit kills the tree. The pid namespace's init discards the CPU
 * time of the children it is killed with, so without cgroup accounting the tree is looked
 * at once more just before such a kill.
 *
 * Killing the tree ("teardown"), by the best mechanism the run has:
 *   pid namespace  SIGKILL the keeper (its pid 1): the kernel kills every process of the
 *                  namespace and the keeper's wait returns only after all are reaped;
 *   cgroup         cgroup.kill (v2), or freeze + SIGKILL each pid (v1), until empty;
 *   neither        SIGKILL every descendant of the keeper, a subreaper, until none is left.
 * The keeper ends a namespace box by exiting when the program exits. Without one, the
 * keeper exits by itself once it has no child left (a subreaper without children has no
 * descendants); if it has not 5 ms after the program's status arrived, the supervisor
 * tears down what the program left behind. dojo_sandbox_run returns
 * only after the keeper is reaped and the tree is empty, so files the box wrote are no
 * longer changing. If the supervisor itself dies: the keeper's PDEATHSIG kills it (and with
 * it the pid namespace) or, without a namespace, makes it kill the tree (cgroup.kill or
 * the /proc walk) before exiting. What remains possible without namespaces is a SIGKILL of
 * the keeper itself by someone else, after which orphans go to the host's reaper; a cgroup
 * left that way is removed by the next process's first run (cgroup.c).
 *
 * Status: OK exit 0; RE nonzero exit; SG a signal not sent by us; TO CPU or wall time (the
 * message says which; a SIGXCPU/SIGKILL from the RLIMIT_CPU backstop with the CPU limit
 * reached counts as TO); ML the memory limit (cgroup OOM kills, or the polled tree); OL
 * output over the cap with output_fails; XX the sandbox's own failure: set-up steps that
 * fail in the supervisor or in a child (reported through the status pipe with the stage
 * and errno), including a program that cannot be executed ("cannot execute X: No such
 * file or directory"): XX rather than RE 127, because no agent code ran. When we killed
 * the tree, exit_code is -1 and signal SIGKILL.
 *
 * What the degraded modes leave open (each reported in the layers): without a mount
 * namespace the box shares the host's /dev/shm (writable through Landlock; with a fresh uid
 * the files it holds there count with the polled memory and are removed at the end, without
 * one they are not counted) and its TMPDIR is a directory in /tmp; without a pid namespace a
 * SIGKILL of the keeper by someone else (not by the box: other uid, and Landlock scopes
 * signals) orphans the rest of the tree to the host's reaper, where only a cgroup, if
 * any, still holds it; without the uid drop and without Landlock a same-uid box can read
 * /proc/<pid>/environ of the host's processes; with neither cgroups nor a fresh uid nor a
 * user namespace, nothing bounds the number of processes. Pathname unix sockets outside
 * /run (which the mount namespace hides) are reachable as far as their file modes allow:
 * Landlock does not cover connect().
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_core.h"
#include "sandbox_internal.h"

/* The program, the lean keeper and the netns maker run on stacks of their own from the clone
   to exec or exit, where AddressSanitizer (the sanitize build) would warn about the stack
   switch at each call of a noreturn function (into the box's stderr): those functions are
   not instrumented. */
#define DJ_PROGRAM_FN __attribute__((no_sanitize_address))

#define BOX_UID_BASE 2000000U
#define BOX_UID_SPAN (1U << 30)
#define TICK_MS 10
#define DEFAULT_PROCS 512
#define DEFAULT_FSIZE (1ULL << 30)
#define DEFAULT_OUTPUT (1ULL << 20)
#define PROCTAB_CAP 65536
#define PROG_STACK (256 * 1024) /* the program's stack from clone to exec */
#define BOX_SCRATCH "/dev/shm/work" /* the work dir when cwd is NULL, with namespaces */

enum { L_SESSION, L_NS, L_CGROUP, L_RLIMITS, L_UID, L_LANDLOCK, L_SECCOMP, L_ENV, L_COUNT };
static const char *const layer_names[L_COUNT] = {"session", "namespaces", "cgroup",
                                                 "rlimits", "uid",        "landlock",
                                                 "seccomp", "environment"};

/* ---- records the children send through the status pipe -------------------------------- */

enum { REC_FAIL = 1, REC_LAYERS, REC_STATUS, REC_KEEPER };
enum {
    ST_KEEPER_FDS = 1,
    ST_KEEPER_CLONE,
    ST_KEEPER_MOUNT,
    ST_KEEPER_CGROUP,
    ST_CHDIR,
    ST_RLIMIT,
    ST_SETGROUPS,
    ST_SETGID,
    ST_SETUID,
    ST_PDEATHSIG,
    ST_PARENT,
    ST_NNP,
    ST_LANDLOCK,
    ST_SECCOMP,
    ST_EXEC,
    ST_KEEPER_NETNS,
    ST_KEEPER_EXEC,
    ST_KEEPER_IDMAP
};

typedef struct dj_rec {
    int kind, stage, err, status;
    int landlock;                               /* REC_LAYERS: dj_landlock_apply's result */
    int seccomp;                                /* REC_LAYERS: 1 loaded */
    int proc_mounted, shm_mounted, run_masked, host_named; /* REC_KEEPER */
    long maxrss_kb;                             /* REC_STATUS: the program's ru_maxrss */
    char text[192];
} dj_rec;

/* The reaper image (reaper.c) writes the status record itself. */
_Static_assert(sizeof(dj_rec) == DJ_REAPER_REC_SIZE, "the reaper's record size");
_Static_assert(offsetof(dj_rec, status) == DJ_REAPER_REC_STATUS_AT, "the reaper's status");
_Static_assert(offsetof(dj_rec, maxrss_kb) == DJ_REAPER_REC_MAXRSS_AT, "the reaper's maxrss");
_Static_assert(offsetof(dj_rec, kind) == 0 && REC_STATUS == DJ_REAPER_REC_KIND, "the kind");

/* ---- once per process ----------------------------------------------------------------- */

static struct {
    dojo_probe_info probe;
    int ncpu;
    int ncpu_all; /* every CPU the machine may run the box on (>= ncpu) */
    int have_pidfd;
    int have_clone3; /* cleared on the first ENOSYS */
} G;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static dj_seccomp *g_filter[2];
static char g_filter_detail[2][160], g_filter_err[2][160];
static pthread_once_t g_filter_once[2] = {PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};
static unsigned g_uid_counter;

/* The network namespace the boxes of this process share (see "namespaces" above): made by
   the first box that needs it, kept open for the life of the process. A forked child
   makes its own; so does a process whose host closed the descriptor (the number is
   checked against the namespace's inode before each use, and forgotten, never closed,
   when it no longer holds it). */
static struct {
    pthread_mutex_t lock;
    pid_t pid;
    int fd;
    dev_t dev;
    ino_t ino;
} g_net = {PTHREAD_MUTEX_INITIALIZER, 0, -1, 0, 0};

/* Forgets the shared namespace when a keeper could not enter it: the next box makes
   another. */
static void drop_netns(int fd)
{
    pthread_mutex_lock(&g_net.lock);
    if (g_net.pid == getpid() && g_net.fd == fd)
        g_net.fd = -1;
    pthread_mutex_unlock(&g_net.lock);
}

static int shared_netns(void)
{
    pthread_mutex_lock(&g_net.lock);
    int fd = g_net.pid == getpid() ? g_net.fd : -1;
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_dev != g_net.dev || st.st_ino != g_net.ino))
        fd = g_net.fd = -1;
    pthread_mutex_unlock(&g_net.lock);
    return fd;
}

/* Keeps the new network namespace of `keeper` (alive, waiting for "go": nothing of the
   box has run in it) as the shared one, unless another thread was first. 1 when kept. */
/* Under g_net.lock: makes fd (a namespace descriptor, or -1) the shared one; 1 when kept,
   else fd is closed. */
static int remember_netns(int fd)
{
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        g_net.fd = fd;
        g_net.pid = getpid();
        g_net.dev = st.st_dev;
        g_net.ino = st.st_ino;
        return 1;
    }
    if (fd >= 0)
        close(fd);
    return 0;
}

static int keep_netns(pid_t keeper)
{
    int kept = 0;
    pthread_mutex_lock(&g_net.lock);
    if (g_net.pid != getpid() || g_net.fd < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/ns/net", (long)keeper);
        kept = remember_netns(open(path, O_RDONLY | O_CLOEXEC));
    }
    pthread_mutex_unlock(&g_net.lock);
    return kept;
}

/* The shared network namespace made before any box needs it, for the lean keeper (which
   cannot wait for "go"): a child cloned vfork-like with CLONE_FILES and CLONE_NEWNET opens
   its /proc/self/ns/net into the descriptor table it shares with us and exits. Returns the
   descriptor, or -1 (the box then gets a fresh namespace of its own). */
static int netns_child(void *arg) DJ_PROGRAM_FN;
static int netns_child(void *arg)
{
    int *fd = arg;
    *fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    _exit(0);
}

static int make_shared_netns(void)
{
    pthread_mutex_lock(&g_net.lock);
    if (g_net.pid == getpid() && g_net.fd >= 0) {
        int fd = g_net.fd;
        pthread_mutex_unlock(&g_net.lock);
        return fd;
    }
    int fd = -1;
    size_t size = 64 * 1024;
    void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack != MAP_FAILED) {
        uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)63;
        pid_t pid = clone(netns_child, (void *)top,
                          CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_NEWNET, &fd);
        if (pid > 0) {
            int st;
            while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR) {
            }
        } else {
            fd = -1;
        }
        munmap(stack, size);
    }
    if (!remember_netns(fd))
        fd = -1;
    pthread_mutex_unlock(&g_net.lock);
    return fd;
}

static void build_filter(int net)
{
    g_filter[net] = dj_seccomp_build(net, g_filter_detail[net], sizeof g_filter_detail[net],
                                     g_filter_err[net], sizeof g_filter_err[net]);
}
static void build_filter0(void) { build_filter(0); }
static void build_filter1(void) { build_filter(1); }

static void rmtree(const char *path);
static int is_box_uid(uid_t u);

/* Removes /tmp/dojo-{tmp,work}-<pid>-* left by supervisors that died before cleaning up
   (SIGKILLed): only directories owned by us or by a box uid, never through a symlink. */
static void remove_stale_dirs(void)
{
    DIR *d = opendir("/tmp");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long pid;
        char kind[8], tail;
        if (strncmp(de->d_name, "dojo-", 5) != 0 ||
            sscanf(de->d_name, "dojo-%4[a-z]-%ld-%c", kind, &pid, &tail) != 3 || pid <= 0 ||
            (strcmp(kind, "tmp") != 0 && strcmp(kind, "work") != 0))
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && !is_box_uid(st.st_uid)))
            continue;
        char path[320];
        snprintf(path, sizeof path, "/tmp/%s", de->d_name);
        rmtree(path);
    }
    closedir(d);
}

static void global_init(void)
{
    dojo_probe(&G.probe);
    cpu_set_t set;
    CPU_ZERO(&set);
    int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    G.ncpu = n > 0 ? n : (G.probe.ncpu > 0 ? G.probe.ncpu : 1);
    long conf = sysconf(_SC_NPROCESSORS_CONF), onln = sysconf(_SC_NPROCESSORS_ONLN);
    G.ncpu_all = G.ncpu > G.probe.ncpu ? G.ncpu : G.probe.ncpu;
    if (conf > G.ncpu_all)
        G.ncpu_all = (int)conf;
    if (onln > G.ncpu_all)
        G.ncpu_all = (int)onln;
    int fd = dj_pidfd_open(getpid());
    G.have_pidfd = fd >= 0;
    G.have_clone3 = 1;
    if (fd >= 0)
        close(fd);
    dj_cgroup_system();
    remove_stale_dirs();
}

static const dj_seccomp *seccomp_filter(int net, const char **detail, const char **err)
{
    pthread_once(&g_filter_once[net ? 1 : 0], net ? build_filter1 : build_filter0);
    *detail = g_filter_detail[net ? 1 : 0];
    *err = g_filter_err[net ? 1 : 0];
    return g_filter[net ? 1 : 0];
}

/* ---- small helpers -------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void setf(char *buf, size_t cap, const char *fmt, ...) DJ_PRINTF(3, 4);
static void setf(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}


static void human(char *out, size_t cap, uint64_t v)
{
    if (v >= (1ULL << 30) && v % (1ULL << 30) == 0)
        snprintf(out, cap, "%" PRIu64 " GiB", v >> 30);
    else if (v >= (1ULL << 20) && v % (1ULL << 20) == 0)
        snprintf(out, cap, "%" PRIu64 " MiB", v >> 20);
    else if (v >= (1ULL << 20))
        snprintf(out, cap, "%.1f MiB", (double)v / (1 << 20));
    else
        snprintf(out, cap, "%" PRIu64 " bytes", v);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int is_box_uid(uid_t u)
{
    return u >= BOX_UID_BASE && u - BOX_UID_BASE < BOX_UID_SPAN;
}

/* ---- directory trees (parent only) ---------------------------------------------------- */

/* Removes a directory tree without following symlinks or crossing mounts, and without
   holding one descriptor per level (it climbs back with ".."), so depth is unbounded. */
static void rmtree(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        unlink(path);
        return;
    }
    struct stat top;
    if (fstat(fd, &top) != 0) {
        close(fd);
        return;
    }
    char **names = NULL;
    size_t depth = 0, cap = 0;
    ino_t *failed = NULL;
    size_t nfailed = 0, capfailed = 0;
    long budget = 10000000;
    while (budget-- > 0) {
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
            if (dup_fd >= 0)
                close(dup_fd);
            break;
        }
        rewinddir(d);
        int descended = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            const char *nm = de->d_name;
            if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0')))
                continue;
            struct stat st;
            if (fstatat(fd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            if (!S_ISDIR(st.st_mode)) {
                unlinkat(fd, nm, 0);
                continue;
            }
            if (st.st_dev != top.st_dev)
                continue;
            int skip = 0;
            for (size_t i = 0; i < nfailed; i++)
                if (failed[i] == st.st_ino)
                    skip = 1;
            if (skip)
                continue;
            if (unlinkat(fd, nm, AT_REMOVEDIR) == 0)
                continue;
            int child = openat(fd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0)
                continue;
            if (depth == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                char **nn = realloc(names, ncap * sizeof *nn);
                if (!nn) {
                    close(child);
                    continue;
                }
                names = nn;
                cap = ncap;
            }
            names[depth] = strdup(nm);
            if (!names[depth]) {
                close(child);
                continue;
            }
            depth++;
            close(fd);
            fd = child;
            descended = 1;
            break;
        }
        closedir(d);
        if (descended)
            continue;
        if (depth == 0)
            break;
        struct stat self;
        int have_self = fstat(fd, &self) == 0;
        int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0)
            break;
        close(fd);
        fd = parent;
        depth--;
        if (unlinkat(fd, names[depth], AT_REMOVEDIR) != 0 && have_self) {
            ino_t *nf = nfailed == capfailed
                            ? realloc(failed, (capfailed ? capfailed * 2 : 8) * sizeof *nf)
                            : failed;
            if (nf) {
                if (nfailed == capfailed)
                    capfailed = capfailed ? capfailed * 2 : 8;
                failed = nf;
                failed[nfailed++] = self.st_ino;
            }
        }
        free(names[depth]);
    }
    for (size_t i = 0; i < depth; i++)
        free(names[i]);
    free(names);
    free(failed);
    close(fd);
    rmdir(path);
}

/* Gives a directory to the box: chown of the directory itself and, beneath it (at most 128
   levels, without following symlinks or crossing mounts), of every entry an earlier box
   created (owned by a box uid). Each entry is opened O_PATH|O_NOFOLLOW and changed through
   that descriptor, so a name swapped meanwhile cannot redirect the chown. */
static int chown_tree(const char *path, uid_t uid, gid_t gid)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat top;
    if (fstat(fd, &top) != 0 || fchown(fd, uid, gid) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    enum { MAXDEPTH = 128 };
    DIR *stack[MAXDEPTH];
    int sp = 0;
    stack[sp] = fdopendir(fd);
    if (!stack[sp]) {
        close(fd);
        return 0;
    }
    sp++;
    while (sp > 0) {
        DIR *d = stack[sp - 1];
        int dfd = dirfd(d);
        struct dirent *de = readdir(d);
        if (!de) {
            closedir(d);
            sp--;
            continue;
        }
        const char *nm = de->d_name;
        if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0')))
            continue;
        /* Most entries need nothing (the caller's files, an earlier box's that are already
           ours): one fstatat each; the others are opened and decided on what the
           descriptor holds. */
        struct stat pre;
        if (fstatat(dfd, nm, &pre, AT_SYMLINK_NOFOLLOW) == 0) {
            int box_owned = is_box_uid(pre.st_uid);
            int act = (box_owned && (pre.st_uid != uid || pre.st_gid != gid)) ||
                      (S_ISDIR(pre.st_mode) && (box_owned || pre.st_uid == uid));
            if (pre.st_dev != top.st_dev || !act)
                continue;
        }
        int efd = openat(dfd, nm, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (efd < 0)
            continue;
        struct stat st;
        if (fstat(efd, &st) != 0 || st.st_dev != top.st_dev) {
            close(efd);
            continue;
        }
        if (is_box_uid(st.st_uid) && (st.st_uid != uid || st.st_gid != gid))
            fchownat(efd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        if (S_ISDIR(st.st_mode) && sp < MAXDEPTH && (is_box_uid(st.st_uid) || st.st_uid == uid)) {
            int sub = openat(dfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            DIR *sd = sub >= 0 ? fdopendir(sub) : NULL;
            if (sd)
                stack[sp++] = sd;
            else if (sub >= 0)
                close(sub);
        }
        close(efd);
    }
    return 0;
}

/* Removes what the box left in the host's /dev/shm (without a mount namespace). */
static void clean_shm(uid_t uid)
{
    DIR *d = opendir("/dev/shm");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_name[0] == '.' ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid != uid)
            continue;
        if (S_ISDIR(st.st_mode)) {
            char path[300];
            snprintf(path, sizeof path, "/dev/shm/%s", de->d_name);
            rmtree(path);
        } else {
            unlinkat(dirfd(d), de->d_name, 0);
        }
    }
    closedir(d);
}

/* Bytes of the files a box's uid holds in the host's /dev/shm (without a mount namespace):
   tmpfs pages are memory that no process's RSS shows, so the polled tree counts them. */
static uint64_t shm_bytes(uid_t uid)
{
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    uint64_t total = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_name[0] != '.' &&
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == uid &&
            S_ISREG(st.st_mode))
            total += (uint64_t)st.st_blocks * 512;
    }
    closedir(d);
    return total;
}

/* ---- the run -------------------------------------------------------------------------- */

typedef struct stream {
    int fd;
    char *buf;
    size_t len, cap;
    uint64_t limit, total;
    int open;
} stream;

enum { K_NONE, K_CPU, K_WALL, K_MEM, K_OUT };

typedef struct box {
    const dojo_sandbox_policy *p;
    dojo_sandbox_result *res;

    /* the plan */
    int ns, userns, netns, rlim, uid_drop, landlock, seccomp;
    int netns_fd;    /* the shared network namespace the keeper enters, or -1 */
    int netns_share; /* this run's new network namespace is to be (then: is) the shared one */
    int lean;        /* the keeper is cloned vfork-like and execs the reaper image */
    const char *not_lean; /* else why not (with a pid namespace), for the session layer */
    int reaper_fd;
    void *prog_stack; /* lean: the program's stack from clone to exec */
    unsigned long clone_flags;
    uid_t uid, outer_uid;
    gid_t gid, outer_gid;
    double time_s, wall_s;
    uint64_t memory, fsize, output;
    int64_t procs;

    /* prepared for the children */
    char *cwd, *tmp, *exe;
    int cwd_made, cwd_in_box, tmp_made;
    char **argv, **envp;
    size_t nenv, npolicy_env;
    const char **ro, **rw;
    size_t nro, nrw;
    dj_landlock_rules ll;
    const dj_seccomp *filter;
    struct {
        int res;
        struct rlimit rl;
    } rl[8];
    int nrl;
    char shm_opts[64];
    char uid_map[48], gid_map[48]; /* lean keeper in a user namespace: its own id maps */
    pid_t sup_pid;

    /* descriptors: [0] read end, [1] write end */
    int out[2], err[2], st[2], go[2];

    /* the running box */
    pid_t keeper;
    int pidfd;
    dj_proctab tab;
    int have_tab;
    dj_cgroup cg;
    int have_cg;
    int mem_poll;

    /* what happened */
    double t0, t_end, clone_ms;
    stream so, se;
    char recbuf[sizeof(dj_rec) * 4];
    size_t reclen;
    int have_status, prog_status;
    long prog_maxrss_kb;
    int have_fail;
    dj_rec fail;
    int have_layers;
    dj_rec layers;
    int have_keeper_rec;
    dj_rec keeper_rec;
    int keeper_reaped, keeper_status;
    struct rusage keeper_ru;
    int kill_reason;
    double kill_cpu, last_cpu;
    uint64_t kill_mem, peak_poll;
    int torn, tree_killed;
    char chunk[65536];
} box;

/* -- policy ------------------------------------------------------------------------------ */

static int bad_number(double v)
{
    return !(v >= 0) || isinf(v);
}

static int system_dir(const char *path)
{
    static const char *const sys[] = {"/",     "/usr", "/etc", "/bin",  "/sbin", "/lib",
                                      "/lib32", "/lib64", "/proc", "/sys", "/dev", "/boot",
                                      "/var", "/home", "/root", "/tmp", "/opt", "/run"};
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
        if (strcmp(path, sys[i]) == 0)
            return 1;
    static const char *const under[] = {"/usr/", "/etc/", "/bin/", "/sbin/", "/lib/",
                                        "/lib32/", "/lib64/", "/proc/", "/sys/", "/dev/",
                                        "/boot/"};
    for (size_t i = 0; i < sizeof under / sizeof under[0]; i++)
        if (strncmp(path, under[i], strlen(under[i])) == 0)
            return 1;
    return 0;
}

static int validate(const dojo_sandbox_policy *p, char *err, size_t errlen)
{
    if (!p)
        return dj_err(err, errlen, "sandbox policy is missing");
    if (!p->cmd || !*p->cmd)
        return dj_err(err, errlen, "sandbox policy: cmd is required");
    if (bad_number(p->time_s))
        return dj_err(err, errlen, "sandbox policy: time_s must be a finite number >= 0 (got %g)",
                      p->time_s);
    if (bad_number(p->wall_s))
        return dj_err(err, errlen, "sandbox policy: wall_s must be a finite number >= 0 (got %g)",
                      p->wall_s);
    if (p->procs < 0)
        return dj_err(err, errlen, "sandbox policy: procs must be >= 0 (got %" PRId64 ")",
                      p->procs);
    if (p->memory_bytes > (1ULL << 62))
        return dj_err(err, errlen, "sandbox policy: memory_bytes is out of range");
    if (p->fsize_bytes > (1ULL << 62))
        return dj_err(err, errlen, "sandbox policy: fsize_bytes is out of range");
    if (p->output_bytes > (1ULL << 40))
        return dj_err(err, errlen, "sandbox policy: output_bytes is out of range");
    if (p->disable & ~(DOJO_LAYER_NAMESPACES | DOJO_LAYER_CGROUP | DOJO_LAYER_RLIMITS |
                       DOJO_LAYER_UID | DOJO_LAYER_LANDLOCK | DOJO_LAYER_SECCOMP |
                       DOJO_LAYER_NETNS))
        return dj_err(err, errlen, "sandbox policy: disable has unknown bits (0x%x)",
                      (unsigned)p->disable);
    if (p->argv && !p->argv[0])
        return dj_err(err, errlen, "sandbox policy: argv is empty (it needs at least argv[0])");
    for (size_t i = 0; p->env && p->env[i]; i++) {
        const char *eq = strchr(p->env[i], '=');
        if (!eq || eq == p->env[i])
            return dj_err(err, errlen, "sandbox policy: env entry '%s' is not KEY=VALUE",
                          p->env[i]);
    }
    const char *const *lists[2] = {p->read, p->write};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            const char *x = lists[l][i];
            if (x[0] != '/')
                return dj_err(err, errlen, "sandbox policy: %s path '%s' must be absolute",
                              l ? "write" : "read", x);
            if (l == 1) {
                char real[PATH_MAX];
                if (realpath(x, real) && system_dir(real))
                    return dj_err(err, errlen,
                                  "sandbox policy: write path %s is a system directory", x);
            }
        }
    if (p->cwd) {
        struct stat st;
        if (!*p->cwd)
            return dj_err(err, errlen, "sandbox policy: cwd is empty");
        if (stat(p->cwd, &st) != 0)
            return dj_errno(err, errlen, errno, "sandbox policy: cwd %s", p->cwd);
        if (!S_ISDIR(st.st_mode))
            return dj_err(err, errlen, "sandbox policy: cwd %s is not a directory", p->cwd);
        char real[PATH_MAX];
        if (!realpath(p->cwd, real))
            return dj_errno(err, errlen, errno, "sandbox policy: cwd %s", p->cwd);
        if (system_dir(real))
            return dj_err(err, errlen, "sandbox policy: cwd %s is a system directory", real);
    }
    return 0;
}

void dojo_sandbox_policy_init(dojo_sandbox_policy *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->procs = DEFAULT_PROCS;
    p->fsize_bytes = DEFAULT_FSIZE;
    p->output_bytes = DEFAULT_OUTPUT;
}

void dojo_sandbox_result_clear(dojo_sandbox_result *res)
{
    if (!res)
        return;
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
    res->out_len = res->err_len = 0;
}

/* -- the children (async-signal-safe from here to the supervisor section) ----------------- */

static void send_rec(int fd, dj_rec *r)
{
    ssize_t w;
    do
        w = write(fd, r, sizeof *r);
    while (w < 0 && errno == EINTR);
}

static void send_fail(int fd, int stage, int e, const char *text)
{
    dj_rec r;
    memset(&r, 0, sizeof r);
    r.kind = REC_FAIL;
    r.stage = stage;
    r.err = e;
    if (text) {
        size_t n = strnlen(text, sizeof r.text - 1);
        memcpy(r.text, text, n);
    }
    send_rec(fd, &r);
}

static void reset_signals(void)
{
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } ksa;
    memset(&ksa, 0, sizeof ksa); /* SIG_DFL */
    for (int s = 1; s <= 64; s++)
        if (s != SIGKILL && s != SIGSTOP)
            syscall(SYS_rt_sigaction, s, &ksa, NULL, (size_t)8);
}

static long raw_setres(long nr, unsigned a)
{
    return syscall(nr, a, a, a);
}

#if defined(SYS_setresuid32)
#define DJ_SYS_SETRESUID SYS_setresuid32
#define DJ_SYS_SETRESGID SYS_setresgid32
#define DJ_SYS_SETGROUPS SYS_setgroups32
#else
#define DJ_SYS_SETRESUID SYS_setresuid
#define DJ_SYS_SETRESGID SYS_setresgid
#define DJ_SYS_SETGROUPS SYS_setgroups
#endif


static void program_main(box *b, pid_t keeper_view) __attribute__((noreturn)) DJ_PROGRAM_FN;
static void program_main(box *b, pid_t keeper_view)
{
    const int sfd = 3;
    dj_close_from(4);
    fcntl(sfd, F_SETFD, FD_CLOEXEC);
    if (chdir(b->cwd) != 0) {
        send_fail(sfd, ST_CHDIR, errno, b->cwd);
        _exit(127);
    }
    for (int i = 0; i < b->nrl; i++)
        if (setrlimit(b->rl[i].res, &b->rl[i].rl) != 0) {
            send_fail(sfd, ST_RLIMIT, errno, NULL);
            _exit(127);
        }
    if (b->uid_drop) {
        if (syscall(DJ_SYS_SETGROUPS, 0, NULL) != 0) {
            send_fail(sfd, ST_SETGROUPS, errno, NULL);
            _exit(127);
        }
        if (raw_setres(DJ_SYS_SETRESGID, b->gid) != 0) {
            send_fail(sfd, ST_SETGID, errno, NULL);
            _exit(127);
        }
        if (raw_setres(DJ_SYS_SETRESUID, b->uid) != 0) {
            send_fail(sfd, ST_SETUID, errno, NULL);
            _exit(127);
        }
    }
    /* After the uid change, which clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
        send_fail(sfd, ST_PDEATHSIG, errno, NULL);
        _exit(127);
    }
    if (getppid() != keeper_view) { /* the keeper died before PDEATHSIG was armed */
        send_fail(sfd, ST_PARENT, 0, NULL);
        _exit(127);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        send_fail(sfd, ST_NNP, errno, NULL);
        _exit(127);
    }
    dj_rec rep;
    memset(&rep, 0, sizeof rep);
    rep.kind = REC_LAYERS;
    if (b->landlock) {
        rep.landlock = dj_landlock_apply(&b->ll, rep.text, sizeof rep.text);
        if (rep.landlock < 0) {
            send_fail(sfd, ST_LANDLOCK, errno, rep.text);
            _exit(127);
        }
    }
    if (b->filter) {
        int r = dj_seccomp_load(b->filter);
        if (r != 0) {
            send_fail(sfd, ST_SECCOMP, -r, NULL);
            _exit(127);
        }
        rep.seccomp = 1;
    }
    send_rec(sfd, &rep);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(b->exe, b->argv, b->envp);
    send_fail(sfd, ST_EXEC, errno, NULL);
    _exit(127);
}

typedef struct prog_args {
    box *b;
    pid_t keeper_view;
} prog_args;

static int program_entry(void *arg) DJ_PROGRAM_FN;
static int program_entry(void *arg)
{
    prog_args *a = arg;
    program_main(a->b, a->keeper_view);
}

/* The mount namespace: private propagation first (else a mount could reach the host),
   then a /proc of the box's own pid namespace, a private tmpfs on /dev/shm (also the
   box's TMPDIR), an empty read-only /run, the host name. Only the /dev/shm tmpfs is
   required: without it TMPDIR would be the host's /dev/shm. */
static int keeper_mounts(box *b, dj_rec *kr)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -errno;
    kr->proc_mounted =
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0;
    if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, b->shm_opts) != 0)
        return -errno;
    kr->shm_mounted = 1;
    /* The host's service sockets (/run/dbus, /run/systemd, docker.sock...) are not the
       box's business: Landlock does not cover connect() to a pathname socket. */
    kr->run_masked = mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                           "mode=755,size=16k") == 0;
    kr->host_named = sethostname("dojo", 4) == 0;
    if (b->cwd_in_box) {
        if (mkdir(b->cwd, 0700) != 0)
            return -errno;
        if (b->uid_drop && chown(b->cwd, b->uid, b->gid) != 0)
            return -errno;
    }
    return 0;
}

/* What every keeper does first: every signal blocked and reset, the parent-death signal,
   the v1 cgroups (before anything else), the shared network namespace. Exits on failure. */
static void keeper_enter(box *b) DJ_PROGRAM_FN;
static void keeper_enter(box *b)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    reset_signals();
    prctl(PR_SET_PDEATHSIG, b->ns ? SIGKILL : SIGTERM, 0, 0, 0);
    if (!b->ns && getppid() != b->sup_pid)
        _exit(1);
    if (b->have_cg) {
        int jr = dj_cgroup_join(&b->cg);
        if (jr != 0) {
            send_fail(b->st[1], ST_KEEPER_CGROUP, -jr, NULL);
            _exit(1);
        }
    }
    if (b->netns_fd >= 0 && setns(b->netns_fd, CLONE_NEWNET) != 0) {
        send_fail(b->st[1], ST_KEEPER_NETNS, errno, NULL);
        _exit(1);
    }
}

static void keeper_main(box *b) __attribute__((noreturn));
static void keeper_main(box *b)
{
    keeper_enter(b);

    /* 0 /dev/null, 1 stdout, 2 stderr, 3 status, 4 go, [5 cgroup.kill] */
    int fds[6] = {-1, b->out[1], b->err[1], b->st[1], b->go[0], b->cg.kill_fd};
    int nfds = !b->ns && b->have_cg && b->cg.kill_fd >= 0 ? 6 : 5;
    int ar = dj_arrange_fds(fds, nfds);
    if (ar != 0) {
        send_fail(b->st[1], ST_KEEPER_FDS, -ar, NULL);
        send_fail(3, ST_KEEPER_FDS, -ar, NULL);
        _exit(1);
    }
    const int sfd = 3, gofd = 4, kfd = nfds == 6 ? 5 : -1;
    setsid();

    /* The mounts are made while the supervisor finishes (the user namespace's id maps must
       be written first, though); the program is started only after "go". */
    dj_rec kr;
    memset(&kr, 0, sizeof kr);
    kr.kind = REC_KEEPER;
    int mr = 0;
    if (b->ns && !b->userns)
        mr = keeper_mounts(b, &kr);
    else if (!b->ns)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    char go = 0;
    ssize_t r;
    do
        r = read(gofd, &go, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1 || go != 'g')
        _exit(1); /* the supervisor is gone, or gave up */
    close(gofd);
    if (b->ns && b->userns)
        mr = keeper_mounts(b, &kr);
    if (mr != 0) {
        send_fail(sfd, ST_KEEPER_MOUNT, -mr, NULL);
        _exit(1);
    }
    send_rec(sfd, &kr);

    /* The program shares the keeper's memory until its exec (the keeper waits meanwhile):
       no copy of the address space the keeper inherited from the supervisor. */
    prog_args pa = {b, getpid()}; /* 1 in the pid namespace */
    size_t stack_size = PROG_STACK;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    pid_t prog = stack == MAP_FAILED ? -1 : dj_vfork_call(program_entry, &pa, stack, stack_size);
    if (prog < 0) {
        send_fail(sfd, ST_KEEPER_CLONE, errno, NULL);
        _exit(1);
    }
    munmap(stack, stack_size);

    /* Reap everything; report the program; end the tree when the supervisor is gone. */
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, SIGCHLD);
    sigaddset(&wake, SIGTERM);
    int done = 0, ending = 0;
    for (;;) {
        for (;;) {
            int st;
            struct rusage ru;
            pid_t w = wait4(-1, &st, __WALL | WNOHANG, &ru);
            if (w > 0) {
                if (w == prog) {
                    dj_rec sr;
                    memset(&sr, 0, sizeof sr);
                    sr.kind = REC_STATUS;
                    sr.status = st;
                    sr.maxrss_kb = ru.ru_maxrss;
                    send_rec(sfd, &sr);
                    done = 1;
                    if (b->ns)
                        _exit(0); /* the kernel kills the rest of the namespace */
                }
                continue;
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && errno == ECHILD && (done || ending))
                _exit(0);
            break;
        }
        struct timespec ts = {0, 250000000};
        siginfo_t si;
        int sig = sigtimedwait(&wake, &si, &ts);
        if (!ending && !b->ns && (sig == SIGTERM || getppid() != b->sup_pid)) {
            ending = 1;
            if (kfd >= 0) {
                ssize_t w;
                do
                    w = write(kfd, "1", 1);
                while (w < 0 && errno == EINTR);
            }
            if (b->have_tab)
                dj_proc_kill_descendants(&b->tab, getpid(), 5000);
        }
    }
}

/* The lean keeper (see "Spawning" at the top): cloned with CLONE_VM | CLONE_VFORK, it runs
   in the host's memory on a stack of its own while the supervisor waits, so it keeps to
   what keeper_main does before "go" -- raw syscalls, no allocation --, then starts the
   program the same way, and execs the reaper image, which lets the supervisor go on and
   owns nothing of the host's memory. Only with a pid namespace (the program is then pid 2,
   which is all the image needs to know). In a user namespace it writes its own id maps
   first; its exec drops its capabilities there, which keeps PR_SET_PDEATHSIG (only an exec
   that gains privileges clears it). */
/* A lean keeper in a user namespace writes its own id maps (one line mapping its own ids,
   which an unprivileged creator may write); 0 or -errno. */
static int write_self(const char *file, const char *text)
{
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int e = errno;
    close(fd);
    return w == (ssize_t)len ? 0 : -(w < 0 ? e : EIO);
}

static int self_id_maps(const box *b)
{
    int r = write_self("/proc/self/setgroups", "deny");
    if (r != 0 && r != -ENOENT)
        return r;
    if ((r = write_self("/proc/self/uid_map", b->uid_map)) != 0)
        return r;
    return write_self("/proc/self/gid_map", b->gid_map);
}

static int keeper_lean_entry(void *arg) DJ_PROGRAM_FN;
static int keeper_lean_entry(void *arg)
{
    box *b = arg;
    keeper_enter(b);
    /* 0 /dev/null, 1 stdout, 2 stderr, 3 status, 4 the reaper image */
    int fds[5] = {-1, b->out[1], b->err[1], b->st[1], b->reaper_fd};
    int ar = dj_arrange_fds(fds, 5);
    if (ar != 0) {
        send_fail(b->st[1], ST_KEEPER_FDS, -ar, NULL);
        send_fail(3, ST_KEEPER_FDS, -ar, NULL);
        _exit(1);
    }
    const int sfd = 3, imgfd = 4;
    fcntl(imgfd, F_SETFD, FD_CLOEXEC);
    setsid();
    if (b->userns) {
        int ir = self_id_maps(b);
        if (ir != 0) {
            send_fail(sfd, ST_KEEPER_IDMAP, -ir, NULL);
            _exit(1);
        }
    }
    dj_rec kr;
    memset(&kr, 0, sizeof kr);
    kr.kind = REC_KEEPER;
    int mr = keeper_mounts(b, &kr);
    if (mr != 0) {
        send_fail(sfd, ST_KEEPER_MOUNT, -mr, NULL);
        _exit(1);
    }
    send_rec(sfd, &kr);
    prog_args pa = {b, 1};
    pid_t prog = dj_vfork_call(program_entry, &pa, b->prog_stack, PROG_STACK);
    if (prog < 0) {
        send_fail(sfd, ST_KEEPER_CLONE, errno, NULL);
        _exit(1);
    }
    if (prog != DJ_REAPER_PROGRAM_PID) {
        send_fail(sfd, ST_KEEPER_EXEC, ESRCH, "the program is not pid 2 of its namespace");
        _exit(1);
    }
    char *argv[] = {(char *)"dojo-reaper", NULL};
    char *envp[] = {NULL};
    syscall(SYS_execveat, imgfd, "", argv, envp, AT_EMPTY_PATH);
    send_fail(sfd, ST_KEEPER_EXEC, errno, NULL);
    _exit(1);
}

/* -- the supervisor ---------------------------------------------------------------------- */

static void set_layer(box *b, int i, int applied, const char *fmt, ...) DJ_PRINTF(4, 5);
static void set_layer(box *b, int i, int applied, const char *fmt, ...)
{
    dojo_sandbox_layer *l = &b->res->layers[i];
    snprintf(l->name, sizeof l->name, "%s", layer_names[i]);
    l->applied = applied;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->detail, sizeof l->detail, fmt, ap);
    va_end(ap);
}

static void xx(box *b, const char *fmt, ...) DJ_PRINTF(2, 3);
static void xx(box *b, const char *fmt, ...)
{
    dojo_sandbox_result *res = b->res;
    snprintf(res->status, sizeof res->status, "XX");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

/* Decides the layers from the policy and the probe; fills res->layers provisionally. */
static void plan(box *b)
{
    const dojo_sandbox_policy *p = b->p;
    const int dis = p->disable;
    const int root = G.probe.is_root;
    b->res->nlayers = L_COUNT;

    /* namespaces */
    b->ns = 0;
    if (dis & DOJO_LAYER_NAMESPACES) {
        set_layer(b, L_NS, 0, "disabled by the policy");
    } else if (root || G.probe.user_namespaces) {
        b->ns = 1;
        b->userns = !root;
        b->netns = !p->net && !(dis & DOJO_LAYER_NETNS);
        b->clone_flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
                         (b->netns ? CLONE_NEWNET : 0) | (b->userns ? CLONE_NEWUSER : 0);
    } else {
        set_layer(b, L_NS, 0, "not permitted: not root and user namespaces are unavailable");
    }

    /* rlimits */
    b->rlim = !(dis & DOJO_LAYER_RLIMITS);

    /* uid */
    b->outer_uid = getuid();
    b->outer_gid = getgid();
    if (dis & DOJO_LAYER_UID) {
        set_layer(b, L_UID, 0, "disabled by the policy");
    } else if (!root) {
        set_layer(b, L_UID, 0, "not root: the program runs as uid %u", (unsigned)b->outer_uid);
    } else {
        unsigned n = __atomic_fetch_add(&g_uid_counter, 1, __ATOMIC_RELAXED);
        uint32_t id = BOX_UID_BASE + ((((uint32_t)getpid() & 0x3fffffU) << 8) | (n & 0xffU));
        b->uid_drop = 1;
        b->uid = (uid_t)id;
        b->gid = (gid_t)id;
        set_layer(b, L_UID, 1, "uid and gid %u (fresh for this box), no supplementary groups",
                  (unsigned)id);
    }

    /* landlock */
    if (dis & DOJO_LAYER_LANDLOCK)
        set_layer(b, L_LANDLOCK, 0, "disabled by the policy");
    else if (G.probe.landlock_abi <= 0)
        set_layer(b, L_LANDLOCK, 0, "unavailable: the kernel has no Landlock");
    else
        b->landlock = 1;

    /* seccomp */
    if (dis & DOJO_LAYER_SECCOMP) {
        set_layer(b, L_SECCOMP, 0, "disabled by the policy");
    } else if (!G.probe.seccomp_filter) {
        set_layer(b, L_SECCOMP, 0, "unavailable: the kernel has no seccomp filter mode");
    } else {
        const char *detail, *e;
        b->filter = seccomp_filter(p->net, &detail, &e);
        if (b->filter) {
            b->seccomp = 1;
            set_layer(b, L_SECCOMP, 1, "%s", detail);
        } else {
            set_layer(b, L_SECCOMP, 0, "unavailable: %s", e);
        }
    }

    /* The network namespace: one empty namespace for all the boxes of this process when
       Landlock scopes abstract unix sockets (ABI >= 6: concurrent boxes cannot reach each
       other's) and seccomp denies every other socket family, which saves its creation
       (about 0.6 ms in clone) and teardown per run (see "namespaces" at the top). */
    b->netns_fd = -1;
    b->netns_share = 0;
    if (b->netns && !b->userns && b->landlock && G.probe.landlock_abi >= 6 && b->seccomp) {
        b->netns_fd = shared_netns();
        if (b->netns_fd >= 0)
            b->clone_flags &= ~(unsigned long)CLONE_NEWNET;
        else
            b->netns_share = 1;
    }
}

/* The program's path: as given when it has a slash, else the first executable regular
   file in the box's PATH. */
static char *resolve(const char *cmd, const char *path)
{
    if (strchr(cmd, '/'))
        return strdup(cmd);
    for (const char *p = path; p && *p;) {
        const char *c = strchr(p, ':');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l) {
            char *cand = malloc(l + strlen(cmd) + 2);
            if (!cand)
                return NULL;
            memcpy(cand, p, l);
            cand[l] = '/';
            strcpy(cand + l + 1, cmd);
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        p = c ? c + 1 : NULL;
    }
    return NULL;
}

static const char *env_get(const char *const *env, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=')
            return env[i] + kl + 1;
    return NULL;
}

static int push_env(box *b, size_t *cap, const char *key, const char *value)
{
    if (b->nenv + 2 > *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        char **n = realloc(b->envp, ncap * sizeof *n);
        if (!n)
            return -1;
        b->envp = n;
        *cap = ncap;
    }
    size_t kl = strlen(key), vl = strlen(value);
    char *e = malloc(kl + vl + 2);
    if (!e)
        return -1;
    memcpy(e, key, kl);
    e[kl] = '=';
    memcpy(e + kl + 1, value, vl + 1);
    b->envp[b->nenv++] = e;
    b->envp[b->nenv] = NULL;
    return 0;
}

static int build_env(box *b)
{
    const dojo_sandbox_policy *p = b->p;
    size_t cap = 0;
    char ncpu[16];
    snprintf(ncpu, sizeof ncpu, "%d", G.ncpu);
    const char *cuda = p->gpu ? getenv("CUDA_VISIBLE_DEVICES") : NULL;
    struct {
        const char *k, *v;
    } def[] = {
        {"PATH", "/usr/local/bin:/usr/bin:/bin"},
        {"HOME", b->cwd},
        {"LANG", "C.UTF-8"},
        {"LC_ALL", "C.UTF-8"},
        {"TMPDIR", b->tmp},
        {"OMP_NUM_THREADS", ncpu},
        {"OPENBLAS_NUM_THREADS", ncpu},
        {"MKL_NUM_THREADS", ncpu},
        {"PYTHONDONTWRITEBYTECODE", "1"},
        {"PYTHONUNBUFFERED", "1"},
        {"CUDA_VISIBLE_DEVICES", cuda},
    };
    for (size_t i = 0; i < sizeof def / sizeof def[0]; i++) {
        if (!def[i].v || env_get(p->env, def[i].k))
            continue;
        if (push_env(b, &cap, def[i].k, def[i].v) != 0)
            return -1;
    }
    /* policy.env; a later duplicate of a key wins */
    for (size_t i = 0; p->env && p->env[i]; i++) {
        const char *eq = strchr(p->env[i], '=');
        size_t kl = (size_t)(eq - p->env[i]);
        int later = 0;
        for (size_t j = i + 1; p->env[j]; j++)
            if (strncmp(p->env[j], p->env[i], kl + 1) == 0)
                later = 1;
        if (later)
            continue;
        char key[256];
        if (kl >= sizeof key)
            continue;
        memcpy(key, p->env[i], kl);
        key[kl] = '\0';
        if (push_env(b, &cap, key, eq + 1) != 0)
            return -1;
        b->npolicy_env++;
    }
    if (!b->envp && push_env(b, &cap, "PATH", "/usr/local/bin:/usr/bin:/bin") != 0)
        return -1;
    return 0;
}

static int push_path(const char ***list, size_t *n, size_t *cap, const char *path)
{
    if (*n + 2 > *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        const char **nl = realloc(*list, ncap * sizeof *nl);
        if (!nl)
            return -1;
        *list = nl;
        *cap = ncap;
    }
    (*list)[(*n)++] = path;
    (*list)[*n] = NULL;
    return 0;
}

static char *gpu_paths[32];
static pthread_once_t gpu_once = PTHREAD_ONCE_INIT;
static void find_gpu(void)
{
    DIR *d = opendir("/dev");
    if (!d)
        return;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n + 1 < sizeof gpu_paths / sizeof gpu_paths[0])
        if (strncmp(de->d_name, "nvidia", 6) == 0) {
            char *s = malloc(strlen(de->d_name) + 6);
            if (!s)
                break;
            sprintf(s, "/dev/%s", de->d_name);
            gpu_paths[n++] = s;
        }
    closedir(d);
}

/* The system paths granted read-only. A Landlock rule is on the inode a path resolves to,
   so an entry that is a symlink into another entry (/bin -> usr/bin with a merged /usr)
   adds nothing but an open and a rule in every run: such entries are dropped, once per
   process. Missing ones stay (the child skips and counts them). */
static const char *const sys_ro_all[] = {
    "/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc", "/proc",
    "/sys/devices/system/cpu", "/sys/fs/cgroup", "/dev/urandom", "/dev/random"};
#define N_SYS_RO (sizeof sys_ro_all / sizeof sys_ro_all[0])
static const char *sys_ro[N_SYS_RO + 1];
static pthread_once_t sys_ro_once = PTHREAD_ONCE_INIT;

static int is_symlink(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static void find_sys_ro(void)
{
    char *real[N_SYS_RO];
    for (size_t i = 0; i < N_SYS_RO; i++)
        real[i] = realpath(sys_ro_all[i], NULL);
    size_t n = 0;
    for (size_t i = 0; i < N_SYS_RO; i++) {
        int covered = 0;
        for (size_t j = 0; j < N_SYS_RO && !covered && real[i] && is_symlink(sys_ro_all[i]);
             j++) {
            size_t l = real[j] ? strlen(real[j]) : 0;
            covered = j != i && real[j] && !is_symlink(sys_ro_all[j]) &&
                      strncmp(real[i], real[j], l) == 0 &&
                      (real[i][l] == '\0' || real[i][l] == '/' || l == 1);
        }
        if (!covered)
            sys_ro[n++] = sys_ro_all[i];
    }
    sys_ro[n] = NULL;
    for (size_t i = 0; i < N_SYS_RO; i++)
        free(real[i]);
}

static int build_landlock(box *b)
{
    const dojo_sandbox_policy *p = b->p;
    static const char *const sys_rw[] = {"/dev/null", "/dev/zero", "/dev/shm"};
    size_t cro = 0, crw = 0;
    pthread_once(&sys_ro_once, find_sys_ro);
    for (size_t i = 0; sys_ro[i]; i++)
        if (push_path(&b->ro, &b->nro, &cro, sys_ro[i]))
            return -1;
    if (push_path(&b->ro, &b->nro, &cro, b->exe))
        return -1;
    for (size_t i = 0; p->read && p->read[i]; i++)
        if (push_path(&b->ro, &b->nro, &cro, p->read[i]))
            return -1;
    if (push_path(&b->rw, &b->nrw, &crw, "."))
        return -1;
    if (b->tmp_made && push_path(&b->rw, &b->nrw, &crw, b->tmp))
        return -1;
    for (size_t i = 0; i < sizeof sys_rw / sizeof sys_rw[0]; i++)
        if (push_path(&b->rw, &b->nrw, &crw, sys_rw[i]))
            return -1;
    for (size_t i = 0; p->write && p->write[i]; i++)
        if (push_path(&b->rw, &b->nrw, &crw, p->write[i]))
            return -1;
    if (p->gpu) {
        pthread_once(&gpu_once, find_gpu);
        for (size_t i = 0; gpu_paths[i]; i++)
            if (push_path(&b->rw, &b->nrw, &crw, gpu_paths[i]))
                return -1;
    }
    b->ll.ro = b->ro;
    b->ll.rw = b->rw;
    b->ll.deny_net = !p->net;
    b->ll.scope = 1;
    return 0;
}

static void build_rlimits(box *b)
{
    char d[160] = "", tmp[32];
    int n = 0;
#define ADD(r, soft, hard)                                                                  \
    do {                                                                                    \
        b->rl[n].res = (r);                                                                 \
        b->rl[n].rl.rlim_cur = (soft);                                                      \
        b->rl[n].rl.rlim_max = (hard);                                                      \
        n++;                                                                                \
    } while (0)
    if (b->time_s > 0) {
        rlim_t s = (rlim_t)ceil(b->time_s) + 1;
        ADD(RLIMIT_CPU, s, s + 1);
        dj_appendf(d, sizeof d, "cpu %lu s (backstop), ", (unsigned long)s);
    }
    ADD(RLIMIT_FSIZE, b->fsize, b->fsize);
    human(tmp, sizeof tmp, b->fsize);
    dj_appendf(d, sizeof d, "fsize %s, nofile 4096, core 0, stack 8 MiB", tmp);
    ADD(RLIMIT_NOFILE, 4096, 4096);
    ADD(RLIMIT_CORE, 0, 0);
    struct rlimit cur;
    rlim_t stack_hard = RLIM_INFINITY;
    if (getrlimit(RLIMIT_STACK, &cur) == 0)
        stack_hard = cur.rlim_max;
    if (!G.probe.is_root && stack_hard != RLIM_INFINITY && stack_hard < (8U << 20))
        ADD(RLIMIT_STACK, stack_hard, stack_hard);
    else
        ADD(RLIMIT_STACK, 8U << 20, stack_hard);
    if (b->uid_drop || b->userns) {
        ADD(RLIMIT_NPROC, (rlim_t)b->procs, (rlim_t)b->procs);
        dj_appendf(d, sizeof d, ", nproc %" PRId64, b->procs);
    }
#undef ADD
    if (!G.probe.is_root) {
        /* Unprivileged: a hard limit can only go down. */
        for (int i = 0; i < n; i++) {
            struct rlimit c;
            if (getrlimit(b->rl[i].res, &c) != 0)
                continue;
            if (c.rlim_max != RLIM_INFINITY &&
                (b->rl[i].rl.rlim_max == RLIM_INFINITY || b->rl[i].rl.rlim_max > c.rlim_max))
                b->rl[i].rl.rlim_max = c.rlim_max;
            if (b->rl[i].rl.rlim_cur > b->rl[i].rl.rlim_max)
                b->rl[i].rl.rlim_cur = b->rl[i].rl.rlim_max;
        }
    }
    b->nrl = n;
    set_layer(b, L_RLIMITS, 1, "%s", d);
}

/* "/tmp/dojo-<what>-<pid>-XXXXXX", for mkdtemp; the pid lets a later process remove what
   a killed supervisor left (remove_stale_dirs). */
static char *temp_name(const char *what)
{
    char buf[96];
    snprintf(buf, sizeof buf, "/tmp/dojo-%s-%ld-XXXXXX", what, (long)getpid());
    return strdup(buf);
}

/* What depends on whether the box has namespaces: TMPDIR (the private /dev/shm tmpfs, or
   a fresh directory in /tmp), the environment, the Landlock lists. 0, or -1 with XX. */
static int prepare_ns_part(box *b)
{
    const dojo_sandbox_policy *p = b->p;
    if (!p->cwd && b->ns) {
        /* A scratch work dir inside the box's private tmpfs: the keeper makes it, and it
           goes with the box. */
        b->cwd = strdup(BOX_SCRATCH);
        b->cwd_in_box = 1;
    } else if (!p->cwd) {
        b->cwd = temp_name("work");
        if (b->cwd && !mkdtemp(b->cwd)) {
            xx(b, "cannot create a work directory in /tmp: %s", strerror(errno));
            free(b->cwd);
            b->cwd = NULL;
            return -1;
        }
        b->cwd_made = 1;
        int r = b->cwd && b->uid_drop ? chown_tree(b->cwd, b->uid, b->gid) : 0;
        if (r != 0) {
            xx(b, "cannot give the work directory to uid %u: %s", (unsigned)b->uid,
               strerror(-r));
            return -1;
        }
    }
    if (!b->cwd) {
        xx(b, "The sandbox ran out of memory.");
        return -1;
    }
    if (b->ns) {
        b->tmp = strdup("/dev/shm");
    } else {
        b->tmp = temp_name("tmp");
        if (!b->tmp) {
            xx(b, "The sandbox ran out of memory.");
            return -1;
        }
        if (!mkdtemp(b->tmp)) {
            xx(b, "cannot create the box's TMPDIR in /tmp: %s", strerror(errno));
            free(b->tmp);
            b->tmp = NULL;
            return -1;
        }
        b->tmp_made = 1;
        if (b->uid_drop) {
            int r = chown_tree(b->tmp, b->uid, b->gid);
            if (r != 0) {
                xx(b, "cannot give the box's TMPDIR to uid %u: %s", (unsigned)b->uid,
                   strerror(-r));
                return -1;
            }
        }
    }
    if (!b->tmp || build_env(b) != 0 || (b->landlock && build_landlock(b) != 0)) {
        xx(b, "The sandbox ran out of memory.");
        return -1;
    }
    set_layer(b, L_ENV, 1,
              "%zu variables from an allowlist (PATH, HOME, LANG, LC_ALL, TMPDIR, thread "
              "counts, PYTHON*%s) + %zu from the policy; none inherited",
              b->nenv - b->npolicy_env, p->gpu ? ", CUDA" : "", b->npolicy_env);
    return 0;
}

static void free_ns_part(box *b)
{
    if (b->cwd_made && rmdir(b->cwd) != 0)
        rmtree(b->cwd);
    if (!b->p->cwd) {
        free(b->cwd);
        b->cwd = NULL;
    }
    b->cwd_made = b->cwd_in_box = 0;
    if (b->tmp_made && rmdir(b->tmp) != 0)
        rmtree(b->tmp);
    b->tmp_made = 0;
    free(b->tmp);
    b->tmp = NULL;
    for (size_t i = 0; i < b->nenv; i++)
        free(b->envp[i]);
    free(b->envp);
    b->envp = NULL;
    b->nenv = b->npolicy_env = 0;
    free(b->ro);
    free(b->rw);
    b->ro = b->rw = NULL;
    b->nro = b->nrw = 0;
}

/* Everything the children need, made before the clone. 0, or -1 with res = XX. */
static int prepare(box *b)
{
    const dojo_sandbox_policy *p = b->p;
    const char *path = env_get(p->env, "PATH");
    b->exe = resolve(p->cmd, path ? path : "/usr/local/bin:/usr/bin:/bin");
    if (!b->exe) {
        xx(b, "cannot execute %s: No such file or directory", p->cmd);
        return -1;
    }
    if (p->cwd) {
        b->cwd = realpath(p->cwd, NULL);
        if (!b->cwd) {
            xx(b, "cannot resolve the work directory %s: %s", p->cwd, strerror(errno));
            return -1;
        }
    }
    if (b->uid_drop) {
        int r = b->cwd ? chown_tree(b->cwd, b->uid, b->gid) : 0;
        for (size_t i = 0; r == 0 && p->write && p->write[i]; i++) {
            struct stat st;
            if (lstat(p->write[i], &st) != 0)
                continue;
            if (S_ISDIR(st.st_mode))
                r = chown_tree(p->write[i], b->uid, b->gid);
            else if (S_ISREG(st.st_mode) && lchown(p->write[i], b->uid, b->gid) != 0)
                r = -errno;
        }
        if (r != 0) {
            xx(b, "cannot give the work directories to uid %u: %s", (unsigned)b->uid,
               strerror(-r));
            return -1;
        }
    }
    size_t argc = 0;
    while (p->argv && p->argv[argc])
        argc++;
    b->argv = calloc(argc + 2, sizeof *b->argv);
    if (!b->argv) {
        xx(b, "The sandbox ran out of memory.");
        return -1;
    }
    if (p->argv)
        for (size_t i = 0; i < argc; i++)
            b->argv[i] = (char *)p->argv[i];
    else
        b->argv[0] = (char *)p->cmd;
    if (b->rlim)
        build_rlimits(b);
    else
        set_layer(b, L_RLIMITS, 0, "disabled by the policy");
    if (b->memory)
        snprintf(b->shm_opts, sizeof b->shm_opts, "mode=1777,size=%" PRIu64, b->memory);
    else
        snprintf(b->shm_opts, sizeof b->shm_opts, "mode=1777");
    return prepare_ns_part(b);
}

/* The run's cgroups (cgroup.c); on failure the run goes on with polling. */
static void make_cgroup(box *b)
{
    char detail[160] = "", cgerr[160] = "";
    if (b->p->disable & DOJO_LAYER_CGROUP) {
        set_layer(b, L_CGROUP, 0, "disabled by the policy: memory and CPU of the tree are "
                                  "enforced by polling /proc");
    } else {
        int r = dj_cgroup_create(&b->cg, b->memory, b->procs, detail, sizeof detail, cgerr,
                                 sizeof cgerr);
        if (r > 0) {
            b->have_cg = 1;
            set_layer(b, L_CGROUP, 1, "%s", detail);
        } else if (r == 0) {
            set_layer(b, L_CGROUP, 0, "%s; memory and CPU enforced by polling /proc", detail);
        } else {
            set_layer(b, L_CGROUP, 0, "failed: %s; memory and CPU enforced by polling /proc",
                      cgerr);
        }
    }
}

static int make_pipes(box *b)
{
    int *pairs[] = {b->out, b->err, b->st, b->go};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (pipe2(pairs[i], O_CLOEXEC) != 0)
            return -1;
    fcntl(b->out[0], F_SETFL, O_NONBLOCK);
    fcntl(b->err[0], F_SETFL, O_NONBLOCK);
    fcntl(b->st[0], F_SETFL, O_NONBLOCK);
    return 0;
}

static int write_proc_file(pid_t pid, const char *name, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)strlen(text) ? 0 : -1;
}

static void ensure_tab(box *b)
{
    if (!b->have_tab && dj_proctab_init(&b->tab, PROCTAB_CAP) == 0)
        b->have_tab = 1;
}

/* Clones the keeper, puts it into its cgroups, says "go". 0, or -1 with res = XX. */
/* Clones the keeper: clone3 into the v2 cgroup with a pidfd where the kernel allows it,
   else clone3 without the cgroup, else clone. Sets *born_in_cg. */
static pid_t clone_keeper(box *b, int *born_in_cg)
{
    *born_in_cg = 0;
    int cgfd = b->have_cg ? b->cg.v2_fd : -1;
    if (__atomic_load_n(&G.have_clone3, __ATOMIC_RELAXED)) {
        for (int attempt = 0; attempt < 2; attempt++) {
            int fd = attempt == 0 ? cgfd : -1;
            if (attempt == 1 && cgfd < 0)
                break;
            int pidfd = -1;
            pid_t pid = dj_raw_clone3(b->clone_flags, fd, &pidfd);
            if (pid == 0)
                keeper_main(b);
            if (pid > 0) {
                b->pidfd = pidfd;
                *born_in_cg = fd >= 0;
                return pid;
            }
            if (errno == ENOSYS || errno == E2BIG) {
                __atomic_store_n(&G.have_clone3, 0, __ATOMIC_RELAXED);
                break;
            }
        }
    }
    pid_t pid = dj_raw_clone(b->clone_flags);
    if (pid == 0)
        keeper_main(b);
    if (pid > 0)
        b->pidfd = G.have_pidfd ? dj_pidfd_open(pid) : -1;
    return pid;
}

/* Clones the lean keeper (keeper_lean_entry): vfork-like, with a pidfd, into the v2 cgroup
   when there is one; returns once the keeper has exec'd the reaper image (or died). The
   two stacks (the keeper's, the program's) are one mapping, gone when this returns. */
static pid_t clone_keeper_lean(box *b, int *born_in_cg)
{
    size_t size = 2 * (size_t)PROG_STACK;
    char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                       -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    b->prog_stack = stack;
    int cgfd = b->have_cg ? b->cg.v2_fd : -1;
    int pidfd = -1;
    pid_t pid = dj_clone3_vm(b->clone_flags | CLONE_VFORK, cgfd, &pidfd, stack + PROG_STACK,
                             PROG_STACK, keeper_lean_entry, b);
    int e = errno;
    munmap(stack, size);
    b->prog_stack = NULL;
    if (pid > 0) {
        b->pidfd = pidfd;
        *born_in_cg = cgfd >= 0;
    }
    errno = e;
    return pid;
}

/* Whether this run's keeper is the lean one: a pid namespace as root, clone3, a v2 cgroup
   (if any) that clone3 can place the keeper in, the reaper image, and no
   DOJO_SANDBOX_KEEPER=fork in the environment (which keeps the fork-like keeper, for tests
   and comparisons). The lean keeper cannot wait for "go", so a shared network namespace is
   made here, before the first box. */
static void plan_lean(box *b)
{
    b->lean = 0;
    b->reaper_fd = -1;
    const char *k = getenv("DOJO_SANDBOX_KEEPER");
    if (!b->ns)
        return;
    if (k && strcmp(k, "fork") == 0)
        b->not_lean = "DOJO_SANDBOX_KEEPER=fork";
    else if (!__atomic_load_n(&G.have_clone3, __ATOMIC_RELAXED))
        b->not_lean = "no clone3";
    else if (b->have_cg && b->cg.v2[0] && b->cg.v2_fd < 0)
        b->not_lean = "no descriptor of the v2 cgroup";
    else
        b->reaper_fd = dj_reaper_fd(&b->not_lean); /* else not_lean says why not */
    if (b->reaper_fd < 0)
        return;
    b->not_lean = NULL;
    b->lean = 1;
    snprintf(b->uid_map, sizeof b->uid_map, "%u %u 1\n", (unsigned)b->outer_uid,
             (unsigned)b->outer_uid);
    snprintf(b->gid_map, sizeof b->gid_map, "%u %u 1\n", (unsigned)b->outer_gid,
             (unsigned)b->outer_gid);
    if (b->netns_share && b->netns_fd < 0) {
        int fd = make_shared_netns();
        if (fd >= 0) {
            b->netns_fd = fd;
            b->clone_flags &= ~(unsigned long)CLONE_NEWNET;
        }
    }
}

/* Makes the cgroups, clones the keeper, says "go". 0, or -1 with res = XX. */
static int spawn(box *b)
{
    if (make_pipes(b) != 0) {
        xx(b, "cannot create pipes: %s", strerror(errno));
        return -1;
    }
    b->sup_pid = getpid();
    make_cgroup(b);
    b->mem_poll = b->memory > 0 && !(b->have_cg && b->cg.mem_limited);
    plan_lean(b);
    char nserr[96] = "";
    int born_in_cg = 0;
    for (;;) {
        if (!b->ns || b->mem_poll || !(b->have_cg && b->cg.cpu_fd >= 0))
            ensure_tab(b);
        double t = now_s();
        b->t0 = t;
        pid_t pid = -1;
        if (b->lean) {
            pid = clone_keeper_lean(b, &born_in_cg);
            if (pid < 0) {
                if (errno == ENOSYS || errno == E2BIG)
                    __atomic_store_n(&G.have_clone3, 0, __ATOMIC_RELAXED);
                b->lean = 0; /* the fork-like keeper tries next */
                b->not_lean = "the vfork-like clone failed";
            }
        }
        if (pid < 0)
            pid = clone_keeper(b, &born_in_cg);
        b->clone_ms = (now_s() - t) * 1e3;
        if (pid > 0) {
            b->keeper = pid;
            if (b->netns_share && !b->lean)
                b->netns_share = keep_netns(pid);
            break;
        }
        if (!b->ns) {
            xx(b, "cannot create the box's first process: %s", strerror(errno));
            return -1;
        }
        /* Namespaces refused (e.g. a limit on their number): go on without them. */
        snprintf(nserr, sizeof nserr, "%s", strerror(errno));
        b->ns = b->userns = b->netns = b->netns_share = 0;
        b->netns_fd = -1;
        b->clone_flags = 0;
        free_ns_part(b);
        if (prepare_ns_part(b) != 0)
            return -1;
    }
    if (nserr[0])
        set_layer(b, L_NS, 0, "unavailable: clone with namespaces failed: %s", nserr);

    close_fd(&b->out[1]);
    close_fd(&b->err[1]);
    close_fd(&b->st[1]);
    close_fd(&b->go[0]);
    if (b->lean) { /* set up and running already */
        close_fd(&b->go[1]);
        return 0;
    }

    if (b->userns) {
        char map[64];
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)b->outer_uid, (unsigned)b->outer_uid);
        int ok = write_proc_file(b->keeper, "setgroups", "deny") == 0 || errno == ENOENT;
        ok = ok && write_proc_file(b->keeper, "uid_map", map) == 0;
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)b->outer_gid, (unsigned)b->outer_gid);
        ok = ok && write_proc_file(b->keeper, "gid_map", map) == 0;
        if (!ok) {
            xx(b, "cannot write the user namespace's id maps: %s", strerror(errno));
            return -1;
        }
    }
    if (b->have_cg && b->cg.v2[0] && !born_in_cg) {
        /* No clone3 into the cgroup: move the keeper the slow way (it waits for "go"). */
        char cgerr[160];
        if (dj_cgroup_attach(&b->cg, b->keeper, 0, cgerr, sizeof cgerr) != 0) {
            xx(b, "%s", cgerr);
            return -1;
        }
    }
    if (write(b->go[1], "g", 1) != 1) {
        xx(b, "cannot start the box: %s", strerror(errno));
        return -1;
    }
    close_fd(&b->go[1]);
    return 0;
}

static void read_stream(box *b, stream *s)
{
    for (int i = 0; i < 16 && s->open; i++) {
        ssize_t n = read(s->fd, b->chunk, sizeof b->chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                s->open = 0;
            return;
        }
        if (n == 0) {
            s->open = 0;
            return;
        }
        s->total += (uint64_t)n;
        if (s->len < s->limit) {
            size_t take = (size_t)n;
            if (take > s->limit - s->len)
                take = (size_t)(s->limit - s->len);
            if (s->len + take + 1 > s->cap) {
                size_t need = s->len + take + 1, ncap = s->cap ? s->cap : 4096;
                while (ncap < need)
                    ncap *= 2;
                if (ncap > s->limit + 1)
                    ncap = (size_t)s->limit + 1;
                char *nb = realloc(s->buf, ncap);
                if (!nb) {
                    s->limit = s->len; /* keep counting, stop capturing */
                    continue;
                }
                s->buf = nb;
                s->cap = ncap;
            }
            memcpy(s->buf + s->len, b->chunk, take);
            s->len += take;
        }
    }
}

static void take_rec(box *b, const dj_rec *r)
{
    switch (r->kind) {
    case REC_FAIL:
        if (!b->have_fail) {
            b->have_fail = 1;
            b->fail = *r;
        }
        break;
    case REC_LAYERS:
        b->have_layers = 1;
        b->layers = *r;
        break;
    case REC_STATUS:
        b->have_status = 1;
        b->prog_status = r->status;
        b->prog_maxrss_kb = r->maxrss_kb;
        break;
    case REC_KEEPER:
        b->have_keeper_rec = 1;
        b->keeper_rec = *r;
        break;
    default:
        break;
    }
}

static void read_status(box *b)
{
    for (;;) {
        ssize_t n = read(b->st[0], b->recbuf + b->reclen, sizeof b->recbuf - b->reclen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        b->reclen += (size_t)n;
        while (b->reclen >= sizeof(dj_rec)) {
            dj_rec r;
            memcpy(&r, b->recbuf, sizeof r);
            take_rec(b, &r);
            memmove(b->recbuf, b->recbuf + sizeof r, b->reclen - sizeof r);
            b->reclen -= sizeof r;
        }
    }
}

/* One look at CPU and memory of the tree. */
static void check_usage(box *b)
{
    double cpu = -1;
    if (b->have_cg && b->cg.cpu_fd >= 0)
        cpu = dj_cgroup_cpu(&b->cg);
    if (b->have_tab && (cpu < 0 || b->mem_poll || !b->have_cg)) {
        dj_tree_usage u;
        if (dj_proc_tree_usage(&b->tab, b->keeper, &u) == 0) {
            if (cpu < 0)
                cpu = u.cpu_s;
            if (u.cpu_s > b->last_cpu)
                b->last_cpu = u.cpu_s;
            uint64_t shm = !b->ns && b->uid_drop ? shm_bytes(b->uid) : 0;
            uint64_t mem = u.rss_bytes + shm;
            if (b->mem_poll && mem > b->memory) {
                uint64_t pss = dj_proc_tree_pss(&b->tab);
                if (pss && pss + shm < mem)
                    mem = pss + shm;
                if (mem > b->memory) {
                    b->kill_reason = K_MEM;
                    b->kill_mem = mem;
                }
            }
            if (mem > b->peak_poll)
                b->peak_poll = mem;
        }
    }
    if (!b->kill_reason && b->time_s > 0 && cpu >= b->time_s) {
        b->kill_reason = K_CPU;
        b->kill_cpu = cpu;
    }
}

static int keeper_try_reap(box *b, int block)
{
    if (b->keeper_reaped)
        return 1;
    for (;;) {
        int st;
        pid_t w = wait4(b->keeper, &st, __WALL | (block ? 0 : WNOHANG), &b->keeper_ru);
        if (w == b->keeper) {
            b->keeper_reaped = 1;
            b->keeper_status = st;
            b->t_end = now_s();
            return 1;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            /* ECHILD: someone else reaped it (a host reaping __WALL): the tree is gone with
               it in the namespace case; treat it as ended. */
            b->keeper_reaped = 1;
            b->keeper_status = -1;
            b->t_end = now_s();
            return 1;
        }
        return 0;
    }
}

/* Waits up to ms for the keeper to end. */
static int keeper_wait(box *b, int ms)
{
    double until = now_s() + ms / 1e3;
    for (;;) {
        if (keeper_try_reap(b, 0))
            return 1;
        double left = until - now_s();
        if (left <= 0)
            return 0;
        int t = (int)(left * 1e3) + 1;
        if (b->pidfd >= 0) {
            struct pollfd pf = {b->pidfd, POLLIN, 0};
            poll(&pf, 1, t);
        } else {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

/* Kills the whole tree and reaps the keeper; returns when nothing of the box is left. */
static void teardown(box *b)
{
    if (b->torn)
        return;
    b->torn = 1;
    close_fd(&b->go[1]); /* a keeper still waiting for "go" gives up */
    /* Once the keeper is reaped its pid may belong to someone else: no kill by pid after
       that, only the cgroup (which holds nothing of the host). */
    if (b->keeper_reaped) {
        /* namespace: the kernel killed and reaped the namespace before the keeper's status
           was available; walk mode: the keeper exits only when it has no children left */
    } else if (b->ns) {
        b->tree_killed = 1;
        /* The pid namespace's init discards its children when it dies (their CPU time is
           not added to its own): without cgroup accounting, look once more first. */
        if (b->have_tab && !(b->have_cg && b->cg.cpu_fd >= 0)) {
            dj_tree_usage u;
            if (dj_proc_tree_usage(&b->tab, b->keeper, &u) == 0 && u.cpu_s > b->last_cpu)
                b->last_cpu = u.cpu_s;
        }
        kill(b->keeper, SIGKILL);
        keeper_try_reap(b, 1);
    } else {
        b->tree_killed = 1;
        if (b->have_cg && dj_cgroup_can_kill(&b->cg))
            dj_cgroup_kill(&b->cg);
        if (b->have_tab && !keeper_try_reap(b, 0))
            dj_proc_kill_descendants(&b->tab, b->keeper, 5000);
        if (!keeper_wait(b, 2000)) {
            kill(b->keeper, SIGKILL);
            keeper_try_reap(b, 1);
        }
    }
    /* With a pid namespace nothing of the box outlives its init; without, orphans of a
       keeper that died could still be in the cgroup. */
    if (b->have_cg && !b->ns && dj_cgroup_populated(&b->cg))
        dj_cgroup_kill(&b->cg);
}

static void supervise(box *b)
{
    const dojo_sandbox_policy *p = b->p;
    b->so = (stream){.fd = b->out[0], .limit = b->output, .open = 1};
    b->se = (stream){.fd = b->err[0], .limit = b->output, .open = 1};
    int st_open = 1;
    double status_t = 0;
    const int tick = b->time_s > 0 || b->mem_poll || b->have_tab;
    double next_tick = b->t0 + TICK_MS / 1e3;
    if (!b->mem_poll && !b->have_tab && b->time_s > 0) {
        /* Only the CPU limit to watch: the tree uses at most ncpu_all CPU seconds per
           second, so the limit cannot be reached before t0 + time_s / ncpu_all; no look
           (no wake-up) before then. */
        double earliest = b->t0 + b->time_s / G.ncpu_all;
        if (earliest > next_tick)
            next_tick = earliest;
    }
    for (;;) {
        struct pollfd pf[4];
        int n = 0, iout = -1, ierr = -1, ist = -1, ipid = -1;
        if (b->so.open) {
            iout = n;
            pf[n++] = (struct pollfd){b->so.fd, POLLIN, 0};
        }
        if (b->se.open) {
            ierr = n;
            pf[n++] = (struct pollfd){b->se.fd, POLLIN, 0};
        }
        /* With a pid namespace and a pidfd the records wait in the status pipe (a few
           hundred bytes) until the keeper is gone: no wake-up for each of them. */
        if (st_open && !(b->ns && b->pidfd >= 0)) {
            ist = n;
            pf[n++] = (struct pollfd){b->st[0], POLLIN, 0};
        }
        if (b->pidfd >= 0) {
            ipid = n;
            pf[n++] = (struct pollfd){b->pidfd, POLLIN, 0};
        }
        double t = now_s(), until = -1;
        if (b->wall_s > 0)
            until = b->t0 + b->wall_s;
        if (tick && (until < 0 || next_tick < until))
            until = next_tick;
        if (b->pidfd < 0 && (until < 0 || t + 0.01 < until))
            until = t + 0.01;
        if (status_t > 0 && (until < 0 || status_t + 0.005 < until))
            until = status_t + 0.005;
        int timeout = until < 0 ? -1 : (int)ceil((until - t) * 1e3);
        if (timeout < 0 && until >= 0)
            timeout = 0;
        int r = poll(pf, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0) {
            if (iout >= 0 && pf[iout].revents)
                read_stream(b, &b->so);
            if (ierr >= 0 && pf[ierr].revents)
                read_stream(b, &b->se);
            if (ist >= 0 && pf[ist].revents) {
                read_status(b);
                if (pf[ist].revents & (POLLHUP | POLLERR) && !(pf[ist].revents & POLLIN))
                    st_open = 0;
            }
        }
        if ((ipid >= 0 && r > 0 && pf[ipid].revents) || (b->pidfd < 0 && keeper_try_reap(b, 0))) {
            keeper_try_reap(b, 1);
            break;
        }
        if (b->have_status && !b->ns) {
            /* The program is done. A keeper with no child left exits by itself at once
               (a subreaper without children has no descendants): give it 5 ms, then kill
               whatever the program left behind. */
            if (status_t == 0)
                status_t = now_s();
            else if (now_s() - status_t >= 0.005)
                break;
        }
        if (p->output_fails && (b->so.total > b->output || b->se.total > b->output)) {
            b->kill_reason = K_OUT;
            break;
        }
        t = now_s();
        if (b->wall_s > 0 && t - b->t0 >= b->wall_s) {
            b->kill_reason = K_WALL;
            break;
        }
        if (tick && t >= next_tick) {
            check_usage(b);
            if (b->kill_reason)
                break;
            /* 10 ms for the first second, then 20 ms */
            next_tick = t + (t - b->t0 < 1.0 ? TICK_MS : 2 * TICK_MS) / 1e3;
        }
    }
    teardown(b);
    /* Every writer is gone: what is left in the pipes is all there is. */
    while (b->so.open) {
        uint64_t before = b->so.total;
        read_stream(b, &b->so);
        if (b->so.total == before)
            break;
    }
    while (b->se.open) {
        uint64_t before = b->se.total;
        read_stream(b, &b->se);
        if (b->se.total == before)
            break;
    }
    read_status(b);
}

static const char *stage_text(int stage)
{
    switch (stage) {
    case ST_KEEPER_FDS: return "cannot set up the box's descriptors";
    case ST_KEEPER_CLONE: return "cannot create the program's process";
    case ST_KEEPER_MOUNT: return "cannot set up the box's mounts";
    case ST_KEEPER_CGROUP: return "cannot enter the box's cgroups";
    case ST_KEEPER_NETNS: return "cannot enter the box's network namespace";
    case ST_KEEPER_EXEC: return "cannot start the box's reaper";
    case ST_KEEPER_IDMAP: return "cannot write the user namespace's id maps";
    case ST_CHDIR: return "cannot enter the work directory";
    case ST_RLIMIT: return "cannot set the resource limits";
    case ST_SETGROUPS: return "cannot drop the supplementary groups";
    case ST_SETGID: return "cannot change to the box's gid";
    case ST_SETUID: return "cannot change to the box's uid";
    case ST_PDEATHSIG: return "cannot set the parent-death signal";
    case ST_PARENT: return "the box's keeper is gone";
    case ST_NNP: return "cannot set no_new_privs";
    case ST_LANDLOCK: return "cannot apply Landlock";
    case ST_SECCOMP: return "cannot load the seccomp filter";
    default: return "set-up failed";
    }
}

static void finish(box *b)
{
    dojo_sandbox_result *res = b->res;
    const dojo_sandbox_policy *p = b->p;
    res->wall_s = (b->keeper_reaped ? b->t_end : now_s()) - b->t0;

    /* Accounting, before the cgroup goes. */
    double cpu = -1;
    int64_t peak = -1, ooms = -1;
    if (b->have_cg) {
        cpu = dj_cgroup_cpu(&b->cg);
        dj_cgroup_stats(&b->cg, &peak, &ooms);
    }
    double ru_cpu = (double)b->keeper_ru.ru_utime.tv_sec + b->keeper_ru.ru_utime.tv_usec / 1e6 +
                    (double)b->keeper_ru.ru_stime.tv_sec + b->keeper_ru.ru_stime.tv_usec / 1e6;
    res->cpu_s = cpu >= 0 ? cpu : ru_cpu > b->last_cpu ? ru_cpu : b->last_cpu;
    if (b->kill_reason == K_CPU && res->cpu_s < b->kill_cpu)
        res->cpu_s = b->kill_cpu;
    int64_t rss_kb = peak >= 0 ? peak / 1024 : 0;
    if (peak < 0) {
        if ((int64_t)(b->peak_poll / 1024) > rss_kb)
            rss_kb = (int64_t)(b->peak_poll / 1024);
        if (b->keeper_ru.ru_maxrss > rss_kb)
            rss_kb = b->keeper_ru.ru_maxrss;
        if (b->prog_maxrss_kb > rss_kb)
            rss_kb = b->prog_maxrss_kb;
    }
    res->max_rss_kb = rss_kb;
    res->output_bytes = b->so.total + b->se.total;
    res->out = b->so.buf ? b->so.buf : calloc(1, 1);
    res->out_len = b->so.len;
    if (res->out)
        res->out[res->out_len] = '\0';
    res->err = b->se.buf ? b->se.buf : calloc(1, 1);
    res->err_len = b->se.len;
    if (res->err)
        res->err[res->err_len] = '\0';
    b->so.buf = b->se.buf = NULL;

    /* Layers the children reported. */
    if (b->ns) {
        char what[96] = "";
        if (b->userns)
            dj_appendf(what, sizeof what, "user, ");
        dj_appendf(what, sizeof what, "pid, mount, ipc, uts");
        int shared = b->netns_fd >= 0 || b->netns_share;
        if (b->netns)
            dj_appendf(what, sizeof what, ", net%s",
                       shared ? " (empty, shared by this process's boxes)" : "");
        const dj_rec *k = &b->keeper_rec;
        set_layer(b, L_NS, 1, "%s (%s /proc, %s/run; private /dev/shm = TMPDIR)%s; clone %.2f ms",
                  what, b->have_keeper_rec && !k->proc_mounted ? "host's" : "own",
                  b->have_keeper_rec && !k->run_masked ? "host's " : "empty ",
                  b->netns ? ""
                  : p->net ? "; network shared (policy.net)"
                           : "; no net namespace (DOJO_LAYER_NETNS)",
                  b->clone_ms);
        char how[96] = "";
        if (b->lean)
            snprintf(how, sizeof how, " (vfork-like, then a reaper image)");
        else if (b->not_lean)
            snprintf(how, sizeof how, " (fork-like: %s)", b->not_lean);
        set_layer(b, L_SESSION, 1,
                  "new session; keeper is pid 1 of the pid namespace%s; PDEATHSIG SIGKILL on "
                  "the keeper and on the program",
                  how);
    } else {
        set_layer(b, L_SESSION, 1,
                  "new session; keeper is a child subreaper that kills the tree when the "
                  "supervisor dies; PDEATHSIG on the keeper and on the program");
    }
    if (b->have_fail && b->fail.stage == ST_KEEPER_NETNS && b->netns_fd >= 0)
        drop_netns(b->netns_fd);
    if (b->have_fail && b->fail.stage == ST_LANDLOCK) {
        set_layer(b, L_LANDLOCK, 0, "failed: %s", b->fail.text);
    } else if (b->landlock) {
        if (b->have_layers && b->layers.landlock > 0)
            set_layer(b, L_LANDLOCK, 1, "%s", b->layers.text);
        else if (b->have_layers)
            set_layer(b, L_LANDLOCK, 0, "%s", b->layers.text[0] ? b->layers.text : "unavailable");
        else
            set_layer(b, L_LANDLOCK, 0, "not reached: the program ended before exec");
    }
    if (b->have_fail && b->fail.stage == ST_SECCOMP)
        set_layer(b, L_SECCOMP, 0, "failed to load: %s", strerror(b->fail.err));
    else if (b->seccomp && !(b->have_layers && b->layers.seccomp))
        res->layers[L_SECCOMP].applied = 0;

    /* The status. */
    int st = b->prog_status;
    res->exit_code = -1;
    res->signal = 0;
    if (b->have_status) {
        if (WIFEXITED(st))
            res->exit_code = WEXITSTATUS(st);
        else if (WIFSIGNALED(st))
            res->signal = WTERMSIG(st);
    }
    if (b->kill_reason) {
        res->exit_code = -1;
        res->signal = SIGKILL; /* ours */
    }
    char lim[48];
    const char *trunc = "";
    char tmsg[128] = "";
    if (b->so.total > b->output || b->se.total > b->output) {
        snprintf(tmsg, sizeof tmsg, "; output beyond %" PRIu64 " bytes per stream was dropped",
                 b->output);
        trunc = tmsg;
    }
    if (b->kill_reason == K_CPU) {
        snprintf(res->status, sizeof res->status, "TO");
        setf(res->message, sizeof res->message,
             "The program exceeded its CPU time limit of %g s (the tree used %.2f s).",
             b->time_s, res->cpu_s);
    } else if (b->kill_reason == K_WALL) {
        snprintf(res->status, sizeof res->status, "TO");
        setf(res->message, sizeof res->message,
             "The program exceeded its wall time limit of %g s.", b->wall_s);
    } else if (b->kill_reason == K_MEM) {
        snprintf(res->status, sizeof res->status, "ML");
        human(lim, sizeof lim, b->memory);
        char used[48];
        human(used, sizeof used, b->kill_mem);
        setf(res->message, sizeof res->message,
             "The program exceeded its memory limit of %s (the tree reached %s).", lim, used);
        if (res->max_rss_kb < (int64_t)(b->kill_mem / 1024))
            res->max_rss_kb = (int64_t)(b->kill_mem / 1024);
    } else if (b->kill_reason == K_OUT) {
        snprintf(res->status, sizeof res->status, "OL");
        setf(res->message, sizeof res->message,
             "The program wrote more than %" PRIu64 " bytes to %s.", b->output,
             b->so.total > b->output ? "stdout" : "stderr");
    } else if (b->have_fail) {
        const dj_rec *f = &b->fail;
        res->exit_code = -1; /* the 127 is ours, not the program's */
        if (f->stage == ST_EXEC)
            xx(b, "cannot execute %s: %s", p->cmd, strerror(f->err));
        else if (f->text[0] && f->stage == ST_LANDLOCK)
            xx(b, "The sandbox could not start the program: %s.", f->text);
        else if (f->err)
            xx(b, "The sandbox could not start the program: %s: %s.", stage_text(f->stage),
               strerror(f->err));
        else
            xx(b, "The sandbox could not start the program: %s.", stage_text(f->stage));
    } else if (!b->have_status) {
        if (ooms > 0) {
            snprintf(res->status, sizeof res->status, "ML");
            human(lim, sizeof lim, b->memory);
            setf(res->message, sizeof res->message, "The box ran out of memory%s%s%s.",
                 b->memory ? " (limit " : "", b->memory ? lim : "", b->memory ? ")" : "");
        } else {
            xx(b, "The sandbox lost track of the program (the keeper ended with status %d).",
               b->keeper_status);
        }
    } else if (ooms > 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        snprintf(res->status, sizeof res->status, "ML");
        human(lim, sizeof lim, b->memory);
        setf(res->message, sizeof res->message,
             "The program ran out of memory%s%s%s (%" PRId64 " process%s killed by the kernel).",
             b->memory ? " (limit " : "", b->memory ? lim : "", b->memory ? ")" : "", ooms,
             ooms == 1 ? "" : "es");
    } else if (WIFSIGNALED(st) && b->time_s > 0 &&
               (WTERMSIG(st) == SIGXCPU || WTERMSIG(st) == SIGKILL) &&
               res->cpu_s >= b->time_s) {
        snprintf(res->status, sizeof res->status, "TO");
        setf(res->message, sizeof res->message,
             "The program exceeded its CPU time limit of %g s (the tree used %.2f s).",
             b->time_s, res->cpu_s);
    } else if (WIFSIGNALED(st)) {
        snprintf(res->status, sizeof res->status, "SG");
        int sig = WTERMSIG(st);
        setf(res->message, sizeof res->message, "The program was killed by signal %d (%s)%s%s.",
             sig, strsignal(sig),
             sig == SIGXFSZ ? ", the file size limit" : "", trunc);
    } else if (WEXITSTATUS(st) == 0) {
        snprintf(res->status, sizeof res->status, "OK");
        setf(res->message, sizeof res->message, "The program exited normally%s%s.", trunc,
             ooms > 0 ? "; a process of the box was killed for memory" : "");
    } else {
        snprintf(res->status, sizeof res->status, "RE");
        setf(res->message, sizeof res->message, "The program exited with code %d%s.",
             WEXITSTATUS(st), trunc);
    }
}

static void cleanup(box *b)
{
    for (int i = 0; i < 2; i++) {
        close_fd(&b->out[i]);
        close_fd(&b->err[i]);
        close_fd(&b->st[i]);
        close_fd(&b->go[i]);
    }
    close_fd(&b->pidfd);
    /* The cgroups are kept for the next run only when the tree ended by itself. */
    if (b->have_cg) {
        int ended = b->keeper <= 0 || (b->keeper_reaped && b->keeper_status >= 0);
        dj_cgroup_release(&b->cg, ended && !b->tree_killed && !b->kill_reason);
    }
    if (b->have_tab)
        dj_proctab_free(&b->tab);
    if (b->keeper > 0 && b->uid_drop && !b->ns)
        clean_shm(b->uid);
    free(b->so.buf);
    free(b->se.buf);
    free_ns_part(b);
    free(b->cwd); /* the caller's, resolved */
    free(b->exe);
    free(b->argv);
    free(b);
}

int dojo_sandbox_run(const dojo_sandbox_policy *policy, dojo_sandbox_result *res, char *err,
                     size_t errlen)
{
    if (!res)
        return dj_err(err, errlen, "sandbox: the result record is missing");
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    if (validate(policy, err, errlen) != 0)
        return -1;
    pthread_once(&g_once, global_init);
    box *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(res->status, sizeof res->status, "XX");
        snprintf(res->message, sizeof res->message, "The sandbox ran out of memory.");
        return 0;
    }
    b->p = policy;
    b->res = res;
    b->out[0] = b->out[1] = b->err[0] = b->err[1] = -1;
    b->st[0] = b->st[1] = b->go[0] = b->go[1] = -1;
    b->pidfd = -1;
    b->netns_fd = -1;
    b->cg.cpu_fd = b->cg.kill_fd = -1;
    b->time_s = policy->time_s;
    b->wall_s = policy->wall_s;
    b->memory = policy->memory_bytes;
    b->procs = policy->procs ? policy->procs : DEFAULT_PROCS;
    b->fsize = policy->fsize_bytes ? policy->fsize_bytes : DEFAULT_FSIZE;
    b->output = policy->output_bytes ? policy->output_bytes : DEFAULT_OUTPUT;

    for (int i = 0; i < L_COUNT; i++)
        set_layer(b, i, 0, "not reached");
    plan(b);
    if (prepare(b) == 0 && spawn(b) == 0) {
        supervise(b);
        finish(b);
    } else if (b->keeper > 0) {
        teardown(b);
    }
    if (!res->out)
        res->out = calloc(1, 1);
    if (!res->err)
        res->err = calloc(1, 1);
    cleanup(b);
    return 0;
}
