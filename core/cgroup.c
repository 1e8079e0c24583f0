/*
 * cgroup.c -- one control group per sandbox run (fresh, or an empty one reused): memory and
 * process limits, CPU and peak-memory accounting, the out-of-memory count, killing the
 * whole tree, removal or reuse.
 *
 * Theory of operation:
 *
 *   Discovery (once per process). /proc/self/mountinfo gives the cgroup mounts (cgroup2, and
 *   cgroup v1 with its controllers in the super options); /proc/self/cgroup gives our own
 *   cgroup in each hierarchy. The run's cgroups are created *under our own*, never beside
 *   it, so that whatever limits the machine puts on us still hold for the box. A v2
 *   hierarchy is probed once with a throw-away child: cgroup.kill (Linux 5.14) and cpu.stat
 *   exist in every non-root v2 cgroup even with no controller enabled, so even a v2
 *   hierarchy without controllers -- the "unified" half of a v1/v2 hybrid -- gives an atomic
 *   kill of the tree and exact CPU accounting. Memory and pids limits come from v2 when our
 *   cgroup enables those controllers for its children (cgroup.subtree_control; we never
 *   change it), else from the v1 memory and pids hierarchies. CPU comes from v2 cpu.stat,
 *   else v1 cpuacct. The first discovery also removes cgroups named dojo-<pid>-<n> whose
 *   supervisor <pid> is dead (a supervisor that was SIGKILLed cannot clean up).
 *
 *   Per run. dj_cgroup_create makes dojo-<pid>-<n> in each usable hierarchy (n from an
 *   atomic counter: concurrent runs in one process never share a cgroup), writes the limits (v2 memory.max, memory.swap.max = 0,
 *   memory.oom.group = 1, pids.max; v1 memory.limit_in_bytes, memory.memsw.limit_in_bytes
 *   where swap is accounted, pids.max; a v1 memory cgroup only when there is a memory limit:
 *   it costs about 0.2 ms) and keeps cpu.stat / cpuacct.usage and cgroup.kill open. The
 *   box's first process enters before it does anything else, without the cost
 *   of a migration where possible: moving a process through cgroup.procs write-locks the
 *   kernel's global threadgroup rwsem, which waits for an RCU grace period (7-15 ms when
 *   the machine has been idle) -- so the process is born in the v2 cgroup (clone3 with
 *   CLONE_INTO_CGROUP, from the v2 directory descriptor kept open here), and it writes
 *   "0" to each v1 cgroup's "tasks" file itself (dj_cgroup_join): a thread moving itself
 *   takes no global lock, and the process is single-threaded at that point. Without
 *   clone3, dj_cgroup_attach moves it through cgroup.procs, the slow way. Descendants
 *   inherit the membership and cannot leave (moving needs write access to the cgroup
 *   files, which the box's uid does not have).
 *
 *   Reuse. Making and removing the set costs about 0.15 ms a run, so dj_cgroup_release
 *   keeps it in a small per-process pool (4 sets, under a mutex) instead of removing it,
 *   for a later run with the same pids limit, when: the caller saw the tree end by itself
 *   (nothing killed: a cgroup, once killed, is never reused), dj_cgroup_kill was never
 *   called on it, every hierarchy's cgroup.procs is empty, and it holds no v2 memory limit.
 *   A v1 memory cgroup is never pooled (it is removed at release and made afresh): the
 *   page cache a run leaves charged to it would count against the next run's limit and
 *   peak. A reused set's CPU counter is read at take-over and subtracted (cpu_base). The
 *   pool belongs to the process that filled it: a forked child closes its inherited
 *   descriptors and never touches those directories; the owner removes its pooled sets at
 *   exit, and the discovery of a later process removes those of one that was killed.
 *
 *   Killing. v2: write "1" to cgroup.kill, which the kernel applies to every process of the
 *   cgroup, forks in flight included. v1 only: freeze (freezer.state = FROZEN), SIGKILL
 *   every pid in cgroup.procs, thaw, until cgroup.procs is empty; without a freezer, the
 *   same kill loop unfrozen (a process forked during a round is killed in the next). Either
 *   way dj_cgroup_kill returns once nothing is left (v2 cgroup.events "populated 0", v1 an
 *   empty cgroup.procs), or reports failure after about 2 s.
 *
 *   Out of memory. The memory peak includes page cache, so "the program ran out of memory"
 *   is decided from the kernel's OOM-kill counter (v2 memory.events oom_kill, v1
 *   memory.oom_control oom_kill), read after the run, not from the peak.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_core.h"

static dj_cgroup_sys sys_cg;
static pthread_once_t sys_once = PTHREAD_ONCE_INIT;
static unsigned long run_counter;

/* Empty sets released by earlier runs of this process (dj_cgroup_release). */
#define POOL_MAX 4
static struct {
    pthread_mutex_t lock;
    pid_t pid; /* the process the sets belong to: a forked child never uses its parent's */
    int n;
    dj_cgroup set[POOL_MAX];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- small file helpers ---------------------------------------------------------------- */

/* dir + "/" + name into out; -1 (out empty) when it does not fit. */
static int join(char *out, size_t cap, const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    if (dl + 1 + nl + 1 > cap) {
        if (cap)
            out[0] = '\0';
        return -1;
    }
    memmove(out, dir, dl);
    out[dl] = '/';
    memcpy(out + dl + 1, name, nl + 1);
    return 0;
}

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[700];
    if (join(path, sizeof path, dir, name) != 0)
        return -ENAMETOOLONG;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    ssize_t w;
    do
        w = write(fd, text, len);
    while (w < 0 && errno == EINTR);
    int e = w < 0 ? errno : 0;
    close(fd);
    if (w < 0)
        return -e;
    return (size_t)w == len ? 0 : -EIO;
}

static ssize_t read_file(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[700];
    if (join(path, sizeof path, dir, name) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

/* The value after "key " in a "key value" file (memory.events, cpu.stat, oom_control). */
static int64_t keyed_value(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
            return strtoll(p + kl + 1, NULL, 10);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- discovery ------------------------------------------------------------------------ */

typedef struct {
    char mnt[256], root[256], opts[264];
    int v2;
} cg_mount;

/* Un-escapes the octal sequences of mountinfo (\040 for a space). */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p;) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3]) {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 4;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
}

static int read_mounts(cg_mount *m, int max)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return 0;
    int n = 0;
    char line[1024];
    while (n < max && fgets(line, sizeof line, f)) {
        /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
        char *sep = strstr(line, " - ");
        if (!sep)
            continue;
        char fstype[32], source[128], super[256];
        if (sscanf(sep + 3, "%31s %127s %255s", fstype, source, super) != 3)
            continue;
        int v2 = strcmp(fstype, "cgroup2") == 0;
        if (!v2 && strcmp(fstype, "cgroup") != 0)
            continue;
        char root[256], mnt[256];
        if (sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) != 2)
            continue;
        unescape(root);
        unescape(mnt);
        snprintf(m[n].mnt, sizeof m[n].mnt, "%s", mnt);
        snprintf(m[n].root, sizeof m[n].root, "%s", root);
        snprintf(m[n].opts, sizeof m[n].opts, ",%s,", super);
        m[n].v2 = v2;
        n++;
    }
    fclose(f);
    return n;
}

/* mountpoint + (our path relative to the mount's root), when our path lies under it. */
static int under_mount(char *out, size_t cap, const cg_mount *m, const char *path)
{
    const char *rel = path;
    size_t rl = strlen(m->root);
    if (strcmp(m->root, "/") != 0) {
        if (strncmp(path, m->root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
            return -1;
        rel = path + rl;
    }
    while (*rel == '/')
        rel++;
    int n = *rel ? snprintf(out, cap, "%s/%s", m->mnt, rel) : snprintf(out, cap, "%s", m->mnt);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += wl) {
        int start = p == list || p[-1] == ' ' || p[-1] == ',';
        int end = p[wl] == '\0' || p[wl] == ' ' || p[wl] == ',' || p[wl] == '\n';
        if (start && end)
            return 1;
    }
    return 0;
}

/* Kills what is left in a cgroup of a dead supervisor and removes it. */
static void remove_stale(const char *parent, int v2)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long pid;
        unsigned long n;
        char tail;
        if (sscanf(de->d_name, "dojo-%ld-%lu%c", &pid, &n, &tail) != 2 || pid <= 0)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char dir[700];
        if (join(dir, sizeof dir, parent, de->d_name) != 0)
            continue;
        for (int round = 0; round < 200 && rmdir(dir) != 0 && errno == EBUSY; round++) {
            if (v2)
                write_file(dir, "cgroup.kill", "1");
            char buf[4096];
            if (read_file(dir, "cgroup.procs", buf, sizeof buf) > 0)
                for (char *p = buf; *p;) {
                    long v = strtol(p, &p, 10);
                    if (v > 0)
                        kill((pid_t)v, SIGKILL);
                    while (*p == '\n')
                        p++;
                }
            sleep_ms(5);
        }
    }
    closedir(d);
}

static void discover(void)
{
    dj_cgroup_sys *s = &sys_cg;
    memset(s, 0, sizeof *s);
    cg_mount m[24];
    int nm = read_mounts(m, 24);
    char v2path[512] = "", mem[512] = "", pids[512] = "", cpuacct[512] = "", freezer[512] = "";
    int have_v2 = 0;
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (f) {
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            char *c1 = strchr(line, ':');
            char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (!c2)
                continue;
            *c1 = '\0';
            *c2 = '\0';
            const char *ctrls = c1 + 1, *path = c2 + 1;
            if (strcmp(line, "0") == 0 && *ctrls == '\0') {
                snprintf(v2path, sizeof v2path, "%s", path);
                have_v2 = 1;
            } else {
                if (has_word(ctrls, "memory"))
                    snprintf(mem, sizeof mem, "%s", path);
                if (has_word(ctrls, "pids"))
                    snprintf(pids, sizeof pids, "%s", path);
                if (has_word(ctrls, "cpuacct"))
                    snprintf(cpuacct, sizeof cpuacct, "%s", path);
                if (has_word(ctrls, "freezer"))
                    snprintf(freezer, sizeof freezer, "%s", path);
            }
        }
        fclose(f);
    }
    for (int i = 0; i < nm; i++) {
        char dir[512];
        if (m[i].v2) {
            if (have_v2 && !s->v2[0] && under_mount(dir, sizeof dir, &m[i], v2path) == 0 &&
                is_dir(dir))
                snprintf(s->v2, sizeof s->v2, "%s", dir);
            continue;
        }
        struct {
            const char *ctrl, *path;
            char *out;
        } c[] = {{"memory", mem, s->mem},
                 {"pids", pids, s->pids},
                 {"cpuacct", cpuacct, s->cpuacct},
                 {"freezer", freezer, s->freezer}};
        for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
            char word[32];
            snprintf(word, sizeof word, ",%s,", c[k].ctrl);
            if (!c[k].out[0] && c[k].path[0] && strstr(m[i].opts, word) &&
                under_mount(dir, sizeof dir, &m[i], c[k].path) == 0 && is_dir(dir))
                snprintf(c[k].out, 512, "%s", dir);
        }
    }

    /* Keep only what we may write to. */
    char *all[] = {s->v2, s->mem, s->pids, s->cpuacct, s->freezer};
    int denied = 0;
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (all[k][0] && access(all[k], W_OK) != 0) {
            all[k][0] = '\0';
            denied = 1;
        }

    if (s->v2[0]) {
        /* Probe a throw-away child for cgroup.kill and cpu.stat; read what our cgroup
           enables for its children. */
        char probe[700], file[760], name[64];
        snprintf(name, sizeof name, "dojo-%ld-probe", (long)getpid());
        if (join(probe, sizeof probe, s->v2, name) == 0 && mkdir(probe, 0755) == 0) {
            join(file, sizeof file, probe, "cgroup.kill");
            s->v2_kill = access(file, F_OK) == 0;
            rmdir(probe);
        } else {
            s->v2[0] = '\0';
            denied = 1;
        }
        char ctl[256];
        if (s->v2[0] && read_file(s->v2, "cgroup.subtree_control", ctl, sizeof ctl) >= 0) {
            s->v2_memory = has_word(ctl, "memory");
            s->v2_pids = has_word(ctl, "pids");
        }
    }
    if (s->mem[0]) {
        char file[600];
        join(file, sizeof file, s->mem, "memory.memsw.limit_in_bytes");
        s->mem_swap = access(file, F_OK) == 0;
    }
    if (!s->v2[0] && !s->mem[0] && !s->pids[0])
        snprintf(s->note, sizeof s->note, "%s",
                 nm == 0  ? "no cgroup filesystem is mounted"
                 : denied ? "the cgroup filesystems are not writable by this process"
                          : "no usable cgroup hierarchy");
    else if (denied)
        snprintf(s->note, sizeof s->note, "some cgroup hierarchies are not writable");

    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (all[k][0])
            remove_stale(all[k], all[k] == s->v2);
}

const dj_cgroup_sys *dj_cgroup_system(void)
{
    pthread_once(&sys_once, discover);
    return &sys_cg;
}

/* ---- one run -------------------------------------------------------------------------- */

static void human_bytes(char *out, size_t cap, uint64_t v)
{
    if (v >= (1ULL << 30) && v % (1ULL << 30) == 0)
        snprintf(out, cap, "%" PRIu64 " GiB", v >> 30);
    else if (v >= (1ULL << 20))
        snprintf(out, cap, "%.0f MiB", (double)v / (1 << 20));
    else
        snprintf(out, cap, "%" PRIu64 " bytes", v);
}


static int make_dir(char *out, size_t cap, const char *parent, const char *name)
{
    if (join(out, cap, parent, name) != 0)
        return -ENAMETOOLONG;
    if (mkdir(out, 0755) != 0) {
        int e = errno;
        out[0] = '\0';
        return -e;
    }
    return 0;
}

static int pool_take(dj_cgroup *cg, int64_t procs);

static void reset(dj_cgroup *cg)
{
    memset(cg, 0, sizeof *cg);
    cg->cpu_fd = -1;
    cg->kill_fd = -1;
    cg->v2_fd = -1;
    for (int i = 0; i < 4; i++)
        cg->tasks_fd[i] = -1;
}

/* Opens dir/name for writing into *fd; 0 or -errno. */
static int open_w(int *fd, const char *dir, const char *name)
{
    char path[700];
    if (join(path, sizeof path, dir, name) != 0)
        return -ENAMETOOLONG;
    *fd = open(path, O_WRONLY | O_CLOEXEC);
    return *fd >= 0 ? 0 : -errno;
}

int dj_cgroup_create(dj_cgroup *cg, uint64_t memory, int64_t procs, char *detail, size_t dlen,
                     char *err, size_t errlen)
{
    const dj_cgroup_sys *s = dj_cgroup_system();
    reset(cg);
    if (!s->v2[0] && !s->mem[0] && !s->pids[0]) {
        snprintf(detail, dlen, "unavailable: %s", s->note[0] ? s->note : "no cgroups");
        return 0;
    }
    char num[32], mb[32];
    int r;
    const char *what = NULL;
    const char *name = cg->name;
    int64_t want_procs = procs > 0 ? procs : 0;

    /* An empty set from an earlier run, when the v2 cgroup would hold no memory limit. */
    if (!(s->v2[0] && s->v2_memory && memory) && pool_take(cg, want_procs)) {
        double c = dj_cgroup_cpu(cg);
        cg->cpu_base = c > 0 ? c : 0;
        goto memory_v1;
    }
    snprintf(cg->name, sizeof cg->name, "dojo-%ld-%lu", (long)getpid(),
             __atomic_fetch_add(&run_counter, 1, __ATOMIC_RELAXED));
    cg->procs = want_procs;

    if (s->v2[0]) {
        if ((r = make_dir(cg->v2, sizeof cg->v2, s->v2, name)) != 0) {
            what = "v2";
            goto fail;
        }
        cg->v2_fd = open(cg->v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->v2_kill) {
            char path[700];
            join(path, sizeof path, cg->v2, "cgroup.kill");
            cg->kill_fd = open(path, O_WRONLY | O_CLOEXEC);
        }
        char path[700];
        join(path, sizeof path, cg->v2, "cpu.stat");
        cg->cpu_fd = open(path, O_RDONLY | O_CLOEXEC);
        cg->cpu_v2 = cg->cpu_fd >= 0;
        if (s->v2_memory) {
            if (memory) {
                snprintf(num, sizeof num, "%" PRIu64, memory);
                if ((r = write_file(cg->v2, "memory.max", num)) != 0) {
                    what = "v2 memory.max";
                    goto fail;
                }
                write_file(cg->v2, "memory.swap.max", "0");
                write_file(cg->v2, "memory.oom.group", "1");
                cg->mem_limited = 1;
            }
        }
        if (s->v2_pids && procs > 0) {
            snprintf(num, sizeof num, "%" PRId64, procs);
            if ((r = write_file(cg->v2, "pids.max", num)) != 0) {
                what = "v2 pids.max";
                goto fail;
            }
            cg->pids_limited = 1;
        }
    }
    if (s->pids[0] && !s->v2_pids && procs > 0) {
        if ((r = make_dir(cg->pids, sizeof cg->pids, s->pids, name)) != 0) {
            what = "v1 pids";
            goto fail;
        }
        snprintf(num, sizeof num, "%" PRId64, procs);
        if ((r = write_file(cg->pids, "pids.max", num)) != 0) {
            what = "v1 pids.max";
            goto fail;
        }
        cg->pids_limited = 1;
    }
    if (cg->cpu_fd < 0 && s->cpuacct[0]) {
        if ((r = make_dir(cg->cpuacct, sizeof cg->cpuacct, s->cpuacct, name)) != 0) {
            what = "v1 cpuacct";
            goto fail;
        }
        char path[700];
        join(path, sizeof path, cg->cpuacct, "cpuacct.usage");
        cg->cpu_fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (cg->kill_fd < 0 && s->freezer[0]) {
        if ((r = make_dir(cg->freezer, sizeof cg->freezer, s->freezer, name)) != 0) {
            what = "v1 freezer";
            goto fail;
        }
    }

memory_v1:
    /* v1 memory only with a limit to enforce: a memory cgroup costs about 0.2 ms to make
       and remove, and without a limit the peak is taken from the processes instead. It is
       made for every run, never pooled: the page cache a run leaves charged to it would
       count against the next run's limit and peak. */
    if (s->mem[0] && !s->v2_memory && memory) {
        if ((r = make_dir(cg->mem, sizeof cg->mem, s->mem, name)) != 0) {
            what = "v1 memory";
            goto fail;
        }
        snprintf(num, sizeof num, "%" PRIu64, memory);
        if ((r = write_file(cg->mem, "memory.limit_in_bytes", num)) != 0) {
            what = "v1 memory.limit_in_bytes";
            goto fail;
        }
        if (s->mem_swap)
            write_file(cg->mem, "memory.memsw.limit_in_bytes", num);
        cg->mem_limited = 1;
    }

    const char *v1dirs[4] = {cg->mem, cg->pids, cg->cpuacct, cg->freezer};
    for (int i = 0; i < 4; i++)
        if (v1dirs[i][0] && cg->tasks_fd[i] < 0 &&
            (r = open_w(&cg->tasks_fd[i], v1dirs[i], "tasks")) != 0) {
            what = "v1 tasks of the";
            goto fail;
        }

    /* The detail: "v2 dojo-1-2 (kill, cpu); v1 memory 256 MiB (+swap), pids 512" */
    detail[0] = '\0';
    if (cg->v2[0]) {
        dj_appendf(detail, dlen, "v2 %s (%s%s%s", name, cg->kill_fd >= 0 ? "kill" : "",
                cg->kill_fd >= 0 && cg->cpu_v2 ? ", " : "", cg->cpu_v2 ? "cpu" : "");
        if (s->v2_memory && cg->mem_limited) {
            human_bytes(mb, sizeof mb, memory);
            dj_appendf(detail, dlen, ", memory %s", mb);
        }
        if (s->v2_pids && cg->pids_limited)
            dj_appendf(detail, dlen, ", pids %" PRId64, procs);
        dj_appendf(detail, dlen, "%s)", cg->reused ? ", reused" : "");
    }
    if (cg->mem[0] || cg->pids[0] || cg->cpuacct[0] || cg->freezer[0]) {
        const char *sep = "";
        dj_appendf(detail, dlen, "%sv1 ", detail[0] ? "; " : "");
        if (cg->mem[0]) {
            human_bytes(mb, sizeof mb, memory);
            dj_appendf(detail, dlen, "memory %s%s", mb, s->mem_swap ? " (+swap)" : "");
            sep = ", ";
        }
        if (cg->pids[0]) {
            dj_appendf(detail, dlen, "%spids %" PRId64, sep, procs);
            sep = ", ";
        }
        if (cg->cpuacct[0]) {
            dj_appendf(detail, dlen, "%scpuacct", sep);
            sep = ", ";
        }
        if (cg->freezer[0])
            dj_appendf(detail, dlen, "%sfreezer", sep);
    }
    return 1;

fail:
    dj_errno(err, errlen, -r, "cannot set up the %s cgroup %s", what, name);
    dj_cgroup_destroy(cg);
    return -1;
}

int dj_cgroup_join(const dj_cgroup *cg)
{
    for (int i = 0; i < 4; i++) {
        if (cg->tasks_fd[i] < 0)
            continue;
        ssize_t w;
        do
            w = write(cg->tasks_fd[i], "0", 1);
        while (w < 0 && errno == EINTR);
        if (w != 1)
            return w < 0 ? -errno : -EIO;
    }
    return 0;
}

int dj_cgroup_attach(dj_cgroup *cg, pid_t pid, int v1_too, char *err, size_t errlen)
{
    char num[32];
    snprintf(num, sizeof num, "%ld", (long)pid);
    const char *dirs[] = {cg->v2, cg->mem, cg->pids, cg->cpuacct, cg->freezer};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i][0] || (i > 0 && !v1_too))
            continue;
        int r = write_file(dirs[i], "cgroup.procs", num);
        if (r != 0)
            return dj_errno(err, errlen, -r, "cannot move the box into %s", dirs[i]);
    }
    return 0;
}

double dj_cgroup_cpu(dj_cgroup *cg)
{
    if (cg->cpu_fd < 0)
        return -1;
    char buf[512];
    ssize_t n = pread(cg->cpu_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (cg->cpu_v2) {
        int64_t us = keyed_value(buf, "usage_usec");
        return us < 0 ? -1 : (double)us / 1e6 - cg->cpu_base;
    }
    return (double)strtoull(buf, NULL, 10) / 1e9 - cg->cpu_base;
}

int dj_cgroup_can_kill(const dj_cgroup *cg)
{
    return cg->kill_fd >= 0 || cg->freezer[0] || cg->mem[0] || cg->pids[0] || cg->cpuacct[0];
}

/* The directory whose cgroup.procs lists the run's processes. */
static const char *procs_dir(const dj_cgroup *cg)
{
    return cg->v2[0] ? cg->v2 : cg->freezer[0] ? cg->freezer : cg->mem[0] ? cg->mem
                             : cg->pids[0]    ? cg->pids
                                              : cg->cpuacct[0] ? cg->cpuacct : NULL;
}

int dj_cgroup_populated(dj_cgroup *cg)
{
    char buf[4096];
    if (cg->v2[0] && read_file(cg->v2, "cgroup.events", buf, sizeof buf) > 0) {
        int64_t v = keyed_value(buf, "populated");
        if (v >= 0)
            return v != 0;
    }
    const char *dir = procs_dir(cg);
    if (!dir)
        return 0;
    ssize_t n = read_file(dir, "cgroup.procs", buf, sizeof buf);
    return n > 0;
}

/* SIGKILLs every pid listed; returns how many were listed. */
static int kill_listed(const char *dir)
{
    char buf[16384];
    if (read_file(dir, "cgroup.procs", buf, sizeof buf) <= 0)
        return 0;
    int n = 0;
    for (char *p = buf; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        if (v > 0) {
            kill((pid_t)v, SIGKILL);
            n++;
        }
        p = end;
        while (*p == '\n' || *p == ' ')
            p++;
    }
    return n;
}

int dj_cgroup_kill(dj_cgroup *cg)
{
    cg->killed = 1;
    const char *dir = procs_dir(cg);
    if (!dir)
        return 0;
    for (int round = 0; round < 2000; round++) {
        if (cg->kill_fd >= 0) {
            if (round == 0 || round % 50 == 0) {
                ssize_t w;
                do
                    w = pwrite(cg->kill_fd, "1", 1, 0);
                while (w < 0 && errno == EINTR);
            }
        } else if (cg->freezer[0]) {
            write_file(cg->freezer, "freezer.state", "FROZEN");
            for (int i = 0; i < 100; i++) {
                char st[64];
                if (read_file(cg->freezer, "freezer.state", st, sizeof st) <= 0 ||
                    strncmp(st, "FROZEN", 6) == 0)
                    break;
                sleep_ms(1);
            }
            kill_listed(cg->freezer);
            write_file(cg->freezer, "freezer.state", "THAWED");
        } else {
            kill_listed(dir);
        }
        if (!dj_cgroup_populated(cg))
            return 0;
        if (round >= 2)
            sleep_ms(1);
    }
    return -1;
}

void dj_cgroup_stats(dj_cgroup *cg, int64_t *peak, int64_t *oom_kills)
{
    const dj_cgroup_sys *s = dj_cgroup_system();
    char buf[2048];
    *peak = -1;
    *oom_kills = -1;
    if (cg->v2[0] && s->v2_memory) {
        if (read_file(cg->v2, "memory.peak", buf, sizeof buf) > 0)
            *peak = strtoll(buf, NULL, 10);
        if (read_file(cg->v2, "memory.events", buf, sizeof buf) > 0)
            *oom_kills = keyed_value(buf, "oom_kill");
    } else if (cg->mem[0]) {
        if (read_file(cg->mem, "memory.max_usage_in_bytes", buf, sizeof buf) > 0)
            *peak = strtoll(buf, NULL, 10);
        if (read_file(cg->mem, "memory.oom_control", buf, sizeof buf) > 0)
            *oom_kills = keyed_value(buf, "oom_kill");
    }
}

/* rmdir, retrying while the last processes go; the name is cleared. */
static void remove_dir(char *dir)
{
    if (!dir[0])
        return;
    for (int round = 0; round < 1000; round++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            break;
        if (errno != EBUSY)
            break;
        if (round % 100 == 99)
            kill_listed(dir);
        sleep_ms(1);
    }
    dir[0] = '\0';
}

void dj_cgroup_destroy(dj_cgroup *cg)
{
    int *fds[] = {&cg->cpu_fd, &cg->kill_fd, &cg->v2_fd, &cg->tasks_fd[0], &cg->tasks_fd[1],
                  &cg->tasks_fd[2], &cg->tasks_fd[3]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
    char *dirs[] = {cg->v2, cg->mem, cg->pids, cg->cpuacct, cg->freezer};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        remove_dir(dirs[i]);
}

/* Closes a pooled set's descriptors in a process that does not own it (a forked child):
   the directories are the owner's to remove. */
static void forget(dj_cgroup *cg)
{
    int *fds[] = {&cg->cpu_fd, &cg->kill_fd, &cg->v2_fd, &cg->tasks_fd[0], &cg->tasks_fd[1],
                  &cg->tasks_fd[2], &cg->tasks_fd[3]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
    reset(cg);
}

/* The pool as this process sees it (called with the lock held). */
static void pool_own(void)
{
    if (pool.pid == getpid())
        return;
    for (int i = 0; i < pool.n; i++)
        forget(&pool.set[i]);
    pool.n = 0;
    pool.pid = getpid();
}

static int pool_take(dj_cgroup *cg, int64_t procs)
{
    int got = 0;
    pthread_mutex_lock(&pool.lock);
    pool_own();
    for (int i = 0; i < pool.n && !got; i++)
        if (pool.set[i].procs == procs) {
            *cg = pool.set[i];
            pool.set[i] = pool.set[--pool.n];
            got = 1;
        }
    pthread_mutex_unlock(&pool.lock);
    if (got) {
        cg->reused = 1;
        cg->cpu_base = 0;
    }
    return got;
}

/* Whether no process is left in any of the set's hierarchies (unreadable counts as not). */
static int set_empty(const dj_cgroup *cg)
{
    const char *dirs[] = {cg->v2, cg->mem, cg->pids, cg->cpuacct, cg->freezer};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char buf[64];
        if (dirs[i][0] && read_file(dirs[i], "cgroup.procs", buf, sizeof buf) != 0)
            return 0;
    }
    return 1;
}

/* At exit (not on _exit: the box's processes never get here), the owner removes its
   pooled sets; a process killed before that leaves them to the next one's discovery. */
__attribute__((destructor)) static void pool_remove(void)
{
    pthread_mutex_lock(&pool.lock);
    if (pool.pid == getpid())
        for (int i = 0; i < pool.n; i++)
            dj_cgroup_destroy(&pool.set[i]);
    pool.n = 0;
    pthread_mutex_unlock(&pool.lock);
}

void dj_cgroup_release(dj_cgroup *cg, int reusable)
{
    const dj_cgroup_sys *s = dj_cgroup_system();
    if (!reusable || cg->killed || (cg->v2[0] && s->v2_memory && cg->mem_limited) ||
        !set_empty(cg)) {
        dj_cgroup_destroy(cg);
        return;
    }
    if (cg->mem[0]) {
        if (cg->tasks_fd[0] >= 0)
            close(cg->tasks_fd[0]);
        cg->tasks_fd[0] = -1;
        remove_dir(cg->mem);
        cg->mem_limited = 0;
    }
    int kept = 0;
    pthread_mutex_lock(&pool.lock);
    pool_own();
    if (pool.n < POOL_MAX) {
        cg->reused = 0;
        cg->cpu_base = 0;
        pool.set[pool.n++] = *cg;
        kept = 1;
    }
    pthread_mutex_unlock(&pool.lock);
    if (kept)
        reset(cg);
    else
        dj_cgroup_destroy(cg);
}
