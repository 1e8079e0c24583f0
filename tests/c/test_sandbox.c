/*
 * test_sandbox.c -- the sandbox: statuses, limits, containment, the tree dies with the run,
 * nothing leaks in (environment, descriptors, files), what ML code needs still works.
 *
 * Most cases run twice: in the full mode (every layer this machine allows) and in the
 * degraded mode (namespaces and cgroup disabled: the keeper is a child subreaper, memory
 * and CPU are enforced by polling /proc, the tree is killed by walking it). Programs are
 * /bin/sh scripts and /usr/bin/python3; leftover processes are looked for by a marker in
 * their command line (unique per test process), which works across pid namespaces.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dojo.h"
#include "harness.h"

#define DEGRADED (DOJO_LAYER_NAMESPACES | DOJO_LAYER_CGROUP)

static char base[256];
static dojo_probe_info probe;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A fresh world-searchable work directory (the box's uid must be able to reach it). */
static const char *workdir(const char *name)
{
    static char path[8][320];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, 320, "%s/%s", base, name);
    mkdir(p, 0755);
    return p;
}

static void policy(dojo_sandbox_policy *p, int disable, const char *cwd)
{
    dojo_sandbox_policy_init(p);
    p->cwd = cwd;
    p->disable = disable;
    p->wall_s = 20;
}

/* Runs /bin/sh -c script; returns dojo_sandbox_run's result. */
static int sh(dojo_sandbox_policy *p, const char *script, dojo_sandbox_result *r)
{
    static const char *argv[4];
    argv[0] = "sh";
    argv[1] = "-c";
    argv[2] = script;
    argv[3] = NULL;
    p->cmd = "/bin/sh";
    p->argv = argv;
    char err[256] = "";
    int rc = dojo_sandbox_run(p, r, err, sizeof err);
    if (rc != 0)
        printf("# dojo_sandbox_run: %s\n", err);
    return rc;
}

static int status_is(const dojo_sandbox_result *r, const char *st)
{
    return strcmp(r->status, st) == 0;
}

/* How many processes have marker in their command line. */
static int count_marked(const char *marker)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[300], buf[4096];
        snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0)
            continue;
        for (ssize_t i = 0; i < len; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        buf[len] = '\0';
        char state[64];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t sl = fd >= 0 ? read(fd, state, sizeof state - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (sl > 0) {
            state[sl] = '\0';
            char *c = strrchr(state, ')');
            if (c && c[1] == ' ' && c[2] == 'Z')
                continue;
        }
        if (strstr(buf, marker))
            n++;
    }
    closedir(d);
    return n;
}

/* Waits up to ms for no process to carry marker. */
static int gone(const char *marker, int ms)
{
    for (int waited = 0;; waited += 20) {
        if (count_marked(marker) == 0)
            return 1;
        if (waited >= ms)
            return 0;
        sleep_ms(20);
    }
}

static const char *mode_name(int disable)
{
    return disable ? "degraded" : "full";
}

/* ---- the cases ------------------------------------------------------------------------ */

static void t_statuses(int mode)
{
    char name[96];
    const char *cwd = workdir(mode ? "st-degraded" : "st-full");
    dojo_sandbox_policy p;
    dojo_sandbox_result r;

    snprintf(name, sizeof name, "%s: /bin/true is OK, with accounting", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.cmd = "/bin/true";
    char err[256];
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(status_is(&r, "OK") && r.exit_code == 0 && r.signal == 0, "status %s exit %d: %s",
          r.status, r.exit_code, r.message);
    CHECK(r.wall_s > 0 && r.wall_s < 5 && r.cpu_s >= 0 && r.max_rss_kb > 0,
          "wall %g cpu %g rss %lld", r.wall_s, r.cpu_s, (long long)r.max_rss_kb);
    CHECK(r.out && r.err && r.out_len == 0 && r.err_len == 0 && r.output_bytes == 0,
          "output %zu %zu", r.out_len, r.err_len);
    dojo_sandbox_result_clear(&r);
    CHECK(r.out == NULL && r.err == NULL, "clear releases the output");
    dj_test_end();

    snprintf(name, sizeof name, "%s: exit 3 is RE with the code", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    CHECK(sh(&p, "exit 3", &r) == 0, "run");
    CHECK(status_is(&r, "RE") && r.exit_code == 3, "status %s exit %d", r.status, r.exit_code);
    CHECK(strstr(r.message, "code 3") != NULL, "message: %s", r.message);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: kill -SEGV self is SG 11", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    CHECK(sh(&p, "kill -SEGV $$", &r) == 0, "run");
    CHECK(status_is(&r, "SG") && r.signal == SIGSEGV && r.exit_code == -1,
          "status %s signal %d exit %d: %s", r.status, r.signal, r.exit_code, r.message);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: a missing program is XX 'cannot execute'", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.cmd = "/nonexistent/prog";
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(status_is(&r, "XX") &&
              strstr(r.message, "cannot execute /nonexistent/prog: No such file"),
          "status %s: %s", r.status, r.message);
    dojo_sandbox_result_clear(&r);
    p.cmd = "dojo-no-such-program";
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(status_is(&r, "XX") && strstr(r.message, "cannot execute dojo-no-such-program"),
          "status %s: %s", r.status, r.message);
    dojo_sandbox_result_clear(&r);
    dj_test_end();
}

static void t_limits(int mode)
{
    char name[96];
    const char *cwd = workdir(mode ? "lim-degraded" : "lim-full");
    dojo_sandbox_policy p;
    dojo_sandbox_result r;

    snprintf(name, sizeof name, "%s: a CPU loop is TO (CPU time)", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.time_s = 0.4;
    CHECK(sh(&p, "while :; do :; done", &r) == 0, "run");
    CHECK(status_is(&r, "TO") && strstr(r.message, "CPU"), "status %s: %s", r.status, r.message);
    CHECK(r.cpu_s >= 0.4 && r.cpu_s < 2 && r.wall_s < 5, "cpu %g wall %g", r.cpu_s, r.wall_s);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: CPU is counted for the whole tree", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.time_s = 0.8;
    CHECK(sh(&p, "while :; do :; done & while :; do :; done", &r) == 0, "run");
    /* Counted per process, the limit would only fire when one loop alone reached 0.8 s,
       with about 1.6 s used by the two together. */
    CHECK(status_is(&r, "TO") && r.cpu_s >= 0.8 && r.cpu_s < 1.4, "status %s cpu %g: %s",
          r.status, r.cpu_s, r.message);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: sleep is TO (wall time)", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.wall_s = 0.3;
    p.time_s = 5;
    CHECK(sh(&p, "sleep 10", &r) == 0, "run");
    CHECK(status_is(&r, "TO") && strstr(r.message, "wall"), "status %s: %s", r.status,
          r.message);
    CHECK(r.wall_s >= 0.3 && r.wall_s < 1.5, "wall %g", r.wall_s);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: a memory bomb is ML", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.memory_bytes = 128ULL << 20;
    static const char *argv[] = {"python3", "-c",
                                 "a = []\nwhile True: a.append(b'x' * (8 << 20))", NULL};
    p.cmd = "/usr/bin/python3";
    p.argv = argv;
    char err[256];
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(status_is(&r, "ML") && strstr(r.message, "memory"), "status %s: %s", r.status,
          r.message);
    CHECK(r.max_rss_kb >= 64 * 1024, "peak %lld kB", (long long)r.max_rss_kb);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: output over the cap is counted and dropped", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.output_bytes = 1000;
    CHECK(sh(&p, "head -c 3000000 /dev/zero; echo tail >&2", &r) == 0, "run");
    CHECK(status_is(&r, "OK") && strstr(r.message, "dropped"), "status %s: %s", r.status,
          r.message);
    CHECK(r.out_len == 1000 && r.output_bytes == 3000005 && r.err_len == 5 &&
              strcmp(r.err, "tail\n") == 0,
          "out %zu total %llu err %zu", r.out_len, (unsigned long long)r.output_bytes,
          r.err_len);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: output over the cap is OL with output_fails",
             mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.output_bytes = 1000;
    p.output_fails = 1;
    double t = now();
    CHECK(sh(&p, "head -c 3000000 /dev/zero; sleep 10", &r) == 0, "run");
    CHECK(status_is(&r, "OL"), "status %s: %s", r.status, r.message);
    CHECK(r.out_len == 1000 && r.output_bytes > 1000 && now() - t < 5, "out %zu total %llu",
          r.out_len, (unsigned long long)r.output_bytes);
    dojo_sandbox_result_clear(&r);
    dj_test_end();
}

static void t_paths_and_net(void)
{
    const char *cwd = workdir("paths");
    dojo_sandbox_policy p;
    dojo_sandbox_result r;
    char script[1400];

    dj_test_begin("policy.read and policy.write open exactly those paths");
    char rdir[400], wdir[400], rfile[460];
    snprintf(rdir, sizeof rdir, "%s/data", base);
    snprintf(wdir, sizeof wdir, "%s/out", base);
    mkdir(rdir, 0755);
    mkdir(wdir, 0755);
    snprintf(rfile, sizeof rfile, "%s/train.csv", rdir);
    FILE *f = fopen(rfile, "w");
    if (f) {
        fputs("id,y\n1,2\n", f);
        fclose(f);
    }
    chmod(rfile, 0644);
    snprintf(script, sizeof script,
             "cat %s/train.csv >/dev/null && echo read-ok; echo s > %s/sub.csv && echo write-ok; "
             "echo x > %s/new.csv 2>/dev/null && echo read-dir-writable; exit 0",
             rdir, wdir, rdir);
    const char *rd[] = {rdir, NULL};
    const char *wr[] = {wdir, NULL};
    policy(&p, 0, cwd);
    p.read = rd;
    p.write = wr;
    CHECK(sh(&p, script, &r) == 0, "run");
    CHECK(strstr(r.out, "read-ok") && strstr(r.out, "write-ok") &&
              !strstr(r.out, "read-dir-writable"),
          "%s / %s", r.out, r.err);
    dojo_sandbox_result_clear(&r);
    if (probe.landlock_abi > 0) {
        policy(&p, 0, cwd); /* without them: neither */
        CHECK(sh(&p, script, &r) == 0, "run");
        CHECK(!strstr(r.out, "read-ok") && !strstr(r.out, "write-ok"), "%s", r.out);
        dojo_sandbox_result_clear(&r);
    }
    dj_test_end();

    dj_test_begin("network: inet sockets only with policy.net");
    static const char *argv[] = {"python3", "-c",
                                 "import socket\n"
                                 "try:\n socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
                                 " print('inet')\n"
                                 "except OSError as e: print('denied', e.errno)\n"
                                 "socket.socketpair(); print('unix')\n",
                                 NULL};
    char err[256];
    for (int net = 0; net < 2; net++) {
        policy(&p, 0, cwd);
        p.net = net;
        p.cmd = "/usr/bin/python3";
        p.argv = argv;
        CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
        if (probe.seccomp_filter)
            CHECK(strstr(r.out, net ? "inet" : "denied") && strstr(r.out, "unix"),
                  "net=%d: %s %s", net, r.out, r.err);
        if (net)
            CHECK(strstr(r.layers[1].detail, "policy.net") || !r.layers[1].applied,
                  "namespaces: %s", r.layers[1].detail);
        dojo_sandbox_result_clear(&r);
    }
    dj_test_end();
}

/* Namespaces without a cgroup: the pid namespace's init discards the CPU time of the
   children it is killed with, and memory is polled. */
static void t_ns_without_cgroup(void)
{
    const char *cwd = workdir("nocg");
    dojo_sandbox_policy p;
    dojo_sandbox_result r;
    char err[256];

    dj_test_begin("namespaces without cgroup: ML by polling, CPU of a killed tree counted");
    policy(&p, DOJO_LAYER_CGROUP, cwd);
    p.memory_bytes = 128ULL << 20;
    static const char *argv[] = {"python3", "-c",
                                 "a = []\nwhile True: a.append(b'x' * (8 << 20))", NULL};
    p.cmd = "/usr/bin/python3";
    p.argv = argv;
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(status_is(&r, "ML"), "status %s: %s", r.status, r.message);
    dojo_sandbox_result_clear(&r);
    policy(&p, DOJO_LAYER_CGROUP, cwd);
    p.wall_s = 0.5;
    CHECK(sh(&p, "while :; do :; done", &r) == 0, "run");
    /* The loop's CPU must be counted although the keeper dies with it (a tree whose CPU
       were discarded would show the keeper's own, about 1 ms). Not half the wall time:
       on a loaded 2-core machine the loop gets 0.2 s of those 0.5 s. */
    CHECK(status_is(&r, "TO") && r.cpu_s > 0.05, "status %s cpu %g", r.status, r.cpu_s);
    dojo_sandbox_result_clear(&r);
    dj_test_end();
}

static void t_containment(int mode)
{
    char name[128], marker[64], script[512];
    const char *cwd = workdir(mode ? "con-degraded" : "con-full");
    dojo_sandbox_policy p;
    dojo_sandbox_result r;
    /* Without namespaces, cgroups or a fresh uid nothing bounds a fork bomb: skip there. */
    int bounded = mode == 0 || probe.is_root;

    snprintf(name, sizeof name, "%s: procs bounds the tree; nothing is left", mode_name(mode));
    dj_test_begin(name);
    if (bounded) {
        policy(&p, mode, cwd);
        p.procs = 32;
        p.wall_s = 8;
        snprintf(marker, sizeof marker, "30.%d%d", (int)getpid(), mode);
        snprintf(script, sizeof script,
                 "n=0; for i in $(seq 1 100); do sleep %s & n=$((n+1)); done; wait", marker);
        CHECK(sh(&p, script, &r) == 0, "run");
        CHECK(!status_is(&r, "OK") && r.wall_s < 7, "status %s wall %g: %s", r.status, r.wall_s,
              r.message);
        CHECK(gone(marker, 1000), "%d 'sleep %s' left", count_marked(marker), marker);
        dojo_sandbox_result_clear(&r);
    } else {
        printf("# skipped: no bound on processes without namespaces, cgroups or root\n");
    }
    dj_test_end();

    snprintf(name, sizeof name, "%s: a fork bomb is contained and killed", mode_name(mode));
    dj_test_begin(name);
    if (bounded) {
        policy(&p, mode, cwd);
        p.procs = 64;
        p.wall_s = 1.5;
        snprintf(marker, sizeof marker, "dojo-bomb-%d-%d", (int)getpid(), mode);
        const char *argv[] = {"sh", "-c", "f() { f | f & }; f; sleep 20", marker, NULL};
        p.cmd = "/bin/sh";
        p.argv = argv;
        char err[256];
        CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
        CHECK(r.wall_s < 6, "wall %g (%s: %s)", r.wall_s, r.status, r.message);
        CHECK(gone(marker, 1000), "%d bomb processes left", count_marked(marker));
        dojo_sandbox_result_clear(&r);
    } else {
        printf("# skipped: no bound on processes without namespaces, cgroups or root\n");
    }
    dj_test_end();

    snprintf(name, sizeof name, "%s: a setsid double-forked daemon dies with the run",
             mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    snprintf(marker, sizeof marker, "1000.%d%d", (int)getpid(), mode);
    char pidfile[400];
    snprintf(pidfile, sizeof pidfile, "%s/daemon.pid", cwd);
    unlink(pidfile);
    snprintf(script, sizeof script,
             "(setsid sh -c 'echo $$ > daemon.pid; exec sleep %s' &); "
             "while [ ! -s daemon.pid ]; do sleep 0.01; done",
             marker);
    CHECK(sh(&p, script, &r) == 0, "run");
    CHECK(status_is(&r, "OK"), "status %s: %s", r.status, r.message);
    CHECK(count_marked(marker) == 0, "the daemon 'sleep %s' is still alive", marker);
    if (mode) {
        /* Without a pid namespace the pid file holds a host pid. */
        FILE *f = fopen(pidfile, "r");
        long pid = 0;
        CHECK(f && fscanf(f, "%ld", &pid) == 1 && pid > 1, "pid file");
        if (f)
            fclose(f);
        if (pid > 1)
            CHECK(kill((pid_t)pid, 0) != 0 && errno == ESRCH, "daemon %ld is alive", pid);
    }
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: the box dies when its supervisor is SIGKILLed",
             mode_name(mode));
    dj_test_begin(name);
    snprintf(marker, sizeof marker, "97.%d%d", (int)getpid(), mode);
    fflush(stdout);
    pid_t helper = fork();
    if (helper == 0) {
        policy(&p, mode, cwd);
        p.wall_s = 60;
        snprintf(script, sizeof script, "sleep %s1 & exec sleep %s2", marker, marker);
        sh(&p, script, &r);
        _exit(0);
    }
    CHECK(helper > 0, "fork");
    if (helper > 0) {
        for (int i = 0; i < 200 && count_marked(marker) < 2; i++)
            sleep_ms(10);
        CHECK(count_marked(marker) == 2, "the box did not start (%d)", count_marked(marker));
        kill(helper, SIGKILL);
        waitpid(helper, NULL, 0);
        CHECK(gone(marker, 3000), "%d processes of the box survived their supervisor",
              count_marked(marker));
        /* What the killed supervisor could not remove (a later process would). */
        char rm[256];
        snprintf(rm, sizeof rm,
                 "rm -rf /tmp/dojo-tmp-%d-* /tmp/dojo-work-%d-*; find /sys/fs/cgroup "
                 "-maxdepth 4 -type d -name 'dojo-%d-*' -exec rmdir {} + 2>/dev/null; true",
                 (int)helper, (int)helper, (int)helper);
        if (system(rm) != 0)
            printf("# %s failed\n", rm);
    }
    dj_test_end();
}

static void t_isolation(int mode)
{
    char name[128];
    const char *cwd = workdir(mode ? "iso-degraded" : "iso-full");
    dojo_sandbox_policy p;
    dojo_sandbox_result r;

    snprintf(name, sizeof name, "%s: stdin reads EOF at once", mode_name(mode));
    dj_test_begin(name);
    policy(&p, mode, cwd);
    p.wall_s = 5;
    CHECK(sh(&p, "cat; echo done", &r) == 0, "run");
    CHECK(status_is(&r, "OK") && strcmp(r.out, "done\n") == 0 && r.wall_s < 2, "%s: %s",
          r.status, r.out);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    snprintf(name, sizeof name, "%s: the environment is scrubbed", mode_name(mode));
    dj_test_begin(name);
    setenv("OPENAI_API_KEY", "sk-dojo-test-secret", 1);
    policy(&p, mode, cwd);
    const char *env[] = {"DOJO_EXTRA=1", "LANG=en_US.UTF-8", NULL};
    p.env = env;
    p.cmd = "/usr/bin/env";
    char err[256];
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(status_is(&r, "OK"), "status %s: %s", r.status, r.message);
    char home[400];
    snprintf(home, sizeof home, "\nHOME=%s\n", cwd);
    CHECK(!strstr(r.out, "OPENAI") && !strstr(r.out, "sk-dojo"), "the key leaked: %s", r.out);
    CHECK(strstr(r.out, "PATH=/usr/local/bin:/usr/bin:/bin\n") && strstr(r.out, home) &&
              strstr(r.out, "TMPDIR=") && strstr(r.out, "OMP_NUM_THREADS=") &&
              strstr(r.out, "PYTHONUNBUFFERED=1") && strstr(r.out, "LC_ALL=C.UTF-8") &&
              strstr(r.out, "DOJO_EXTRA=1") && strstr(r.out, "LANG=en_US.UTF-8") &&
              !strstr(r.out, "LANG=C.UTF-8") && !strstr(r.out, "CUDA_VISIBLE_DEVICES"),
          "environment:\n%s", r.out);
    dojo_sandbox_result_clear(&r);
    unsetenv("OPENAI_API_KEY");
    dj_test_end();

    snprintf(name, sizeof name, "%s: only descriptors 0-2 reach the program", mode_name(mode));
    dj_test_begin(name);
    int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
    policy(&p, mode, cwd);
    CHECK(sh(&p, "ls /proc/self/fd | tr '\\n' ' '", &r) == 0, "run");
    /* ls's own directory descriptor is 3 */
    CHECK(status_is(&r, "OK") && strcmp(r.out, "0 1 2 3 ") == 0, "descriptors: %s", r.out);
    dojo_sandbox_result_clear(&r);
    if (leak >= 0)
        close(leak);
    dj_test_end();

    snprintf(name, sizeof name, "%s: the work dir is writable, the rest is not", mode_name(mode));
    dj_test_begin(name);
    char open_dir[400], outside[460], inside[460];
    snprintf(open_dir, sizeof open_dir, "%s/open-%d", base, mode);
    mkdir(open_dir, 0777);
    chmod(open_dir, 0777);
    snprintf(outside, sizeof outside, "%s/outside.txt", open_dir);
    snprintf(inside, sizeof inside, "%s/inside.txt", cwd);
    unlink(outside);
    unlink(inside);
    char script[1200];
    snprintf(script, sizeof script,
             "echo in > inside.txt; mkdir -p sub && echo x > sub/f; echo out > %s; "
             "echo tmp > $TMPDIR/t && cat $TMPDIR/t; cat /etc/shadow >/dev/null 2>&1 && "
             "echo shadow-readable; exit 0",
             outside);
    policy(&p, mode, cwd);
    CHECK(sh(&p, script, &r) == 0, "run");
    struct stat st;
    CHECK(stat(inside, &st) == 0, "the work dir is not writable (%s)", r.err);
    CHECK(strstr(r.out, "tmp\n") != NULL, "TMPDIR is not writable: %s / %s", r.out, r.err);
    if (probe.landlock_abi > 0)
        CHECK(stat(outside, &st) != 0, "a world-writable dir outside the box was written");
    if (probe.is_root)
        CHECK(!strstr(r.out, "shadow-readable"), "/etc/shadow is readable");
    dojo_sandbox_result_clear(&r);
    /* The same write succeeds without Landlock: it was Landlock that refused it. */
    policy(&p, mode | DOJO_LAYER_LANDLOCK, cwd);
    CHECK(sh(&p, script, &r) == 0, "run");
    CHECK(stat(outside, &st) == 0, "without Landlock the outside write failed too: %s", r.err);
    dojo_sandbox_result_clear(&r);
    /* A second run (another uid) can overwrite what the first one made. */
    policy(&p, mode, cwd);
    CHECK(sh(&p, "echo again > inside.txt && echo y > sub/f && echo ok", &r) == 0, "run");
    CHECK(strcmp(r.out, "ok\n") == 0, "files of an earlier run are not writable: %s", r.err);
    dojo_sandbox_result_clear(&r);
    dj_test_end();
}

static void t_python(int mode)
{
    char name[128];
    snprintf(name, sizeof name, "%s: python3 with numpy, pandas, scikit-learn, Pool, joblib",
             mode_name(mode));
    dj_test_begin(name);
    if (system("/usr/bin/python3 -c 'import sklearn, pandas, joblib' >/dev/null 2>&1") != 0) {
        printf("# skipped: /usr/bin/python3 cannot import sklearn/pandas/joblib here\n");
        dj_test_end();
        return;
    }
    const char *cwd = workdir(mode ? "py-degraded" : "py-full");
    dojo_sandbox_policy p;
    dojo_sandbox_result r;
    policy(&p, mode, cwd);
    p.wall_s = 120;
    static const char *argv[] = {
        "python3", "-c",
        "import multiprocessing, tempfile, os\n"
        "import numpy as np, pandas as pd, joblib\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "from sklearn.datasets import make_classification\n"
        "X, y = make_classification(n_samples=600, n_features=10, random_state=0)\n"
        "m = RandomForestClassifier(n_estimators=20, n_jobs=2, random_state=0).fit(X, y)\n"
        "assert m.score(X, y) > 0.9\n"
        "def sq(x): return x * x\n"
        "with multiprocessing.Pool(2) as pool: assert sum(pool.map(sq, range(10))) == 285\n"
        "assert sum(joblib.Parallel(n_jobs=2)(joblib.delayed(sq)(i) for i in range(10))) == 285\n"
        "pd.DataFrame({'id': range(3)}).to_csv('submission.csv', index=False)\n"
        "tempfile.NamedTemporaryFile().close()\n"
        "print('ok', os.cpu_count())\n",
        NULL};
    p.cmd = "python3"; /* found in the box's PATH */
    p.argv = argv;
    char err[256];
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(status_is(&r, "OK") && strncmp(r.out, "ok ", 3) == 0, "status %s: %s\n%s", r.status,
          r.message, r.err);
    char sub[400];
    snprintf(sub, sizeof sub, "%s/submission.csv", cwd);
    struct stat st;
    CHECK(stat(sub, &st) == 0 && st.st_size > 0, "no submission written");
    dojo_sandbox_result_clear(&r);
    dj_test_end();
}

static void t_layers(void)
{
    dojo_sandbox_policy p;
    dojo_sandbox_result r;
    char err[256];
    static const char *names[] = {"session", "namespaces", "cgroup",   "rlimits",
                                  "uid",     "landlock",   "seccomp", "environment"};
    const char *cwd = workdir("layers");

    dj_test_begin("layers: every layer is reported, in order, as the machine allows");
    policy(&p, 0, cwd);
    p.cmd = "/bin/true";
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(r.nlayers == 8, "nlayers %d", r.nlayers);
    for (int i = 0; i < 8 && i < r.nlayers; i++) {
        CHECK(strcmp(r.layers[i].name, names[i]) == 0, "layer %d is %s", i, r.layers[i].name);
        CHECK(r.layers[i].detail[0] != '\0', "layer %s has no detail", r.layers[i].name);
        printf("#   %-12s %d  %s\n", r.layers[i].name, r.layers[i].applied, r.layers[i].detail);
    }
    CHECK(r.layers[0].applied && r.layers[3].applied && r.layers[7].applied,
          "session, rlimits, environment always apply");
    if (probe.is_root || probe.user_namespaces)
        CHECK(r.layers[1].applied, "namespaces: %s", r.layers[1].detail);
    if (probe.is_root)
        CHECK(r.layers[4].applied, "uid: %s", r.layers[4].detail);
    if (probe.is_root && probe.cgroup_mode != 0)
        CHECK(r.layers[2].applied, "cgroup: %s", r.layers[2].detail);
    if (probe.landlock_abi > 0)
        CHECK(r.layers[5].applied, "landlock: %s", r.layers[5].detail);
    if (probe.seccomp_filter)
        CHECK(r.layers[6].applied, "seccomp: %s", r.layers[6].detail);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    dj_test_begin("layers: disabled layers say so");
    policy(&p, DEGRADED | DOJO_LAYER_LANDLOCK | DOJO_LAYER_SECCOMP | DOJO_LAYER_RLIMITS |
                   DOJO_LAYER_UID,
           cwd);
    p.cmd = "/bin/true";
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(status_is(&r, "OK"), "status %s: %s", r.status, r.message);
    for (int i = 1; i < 7; i++)
        CHECK(!r.layers[i].applied && strstr(r.layers[i].detail, "disabled"), "%s: %d %s",
              r.layers[i].name, r.layers[i].applied, r.layers[i].detail);
    dojo_sandbox_result_clear(&r);
    dj_test_end();

    dj_test_begin("layers: DOJO_LAYER_NETNS keeps the other namespaces");
    policy(&p, DOJO_LAYER_NETNS, cwd);
    p.cmd = "/bin/true";
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    if (r.layers[1].applied)
        CHECK(strstr(r.layers[1].detail, "pid") && !strstr(r.layers[1].detail, ", net"),
              "namespaces: %s", r.layers[1].detail);
    dojo_sandbox_result_clear(&r);
    dj_test_end();
}

/* The keeper: with a pid namespace as root it is the lean one (cloned vfork-like, then the
   reaper image: pid 1 of the box reads "dojo-reaper"), which reports the program's exit
   code and signal like the fork-like keeper (DOJO_SANDBOX_KEEPER=fork), ends the box when
   the program ends even with orphans left, and leaves the host's memory alone: rewriting
   a 64 MB heap after a run takes no fault per page, where a fork-like keeper has
   write-protected every page of it. */
static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static void t_keeper(void)
{
    if (!probe.is_root)
        return;
    dojo_sandbox_policy p;
    dojo_sandbox_result r;
    const char *cwd = workdir("keeper");
    static const char *const kinds[2] = {"lean", "fork"};
    for (int k = 0; k < 2; k++) {
        if (k)
            setenv("DOJO_SANDBOX_KEEPER", "fork", 1);
        char name[160];
        snprintf(name, sizeof name, "keeper (%s): pid 1 of the box, exit code, signal", kinds[k]);
        dj_test_begin(name);
        policy(&p, 0, cwd);
        CHECK(sh(&p, "tr '\\0' ' ' < /proc/1/cmdline; exit 7", &r) == 0, "run");
        CHECK(status_is(&r, "RE") && r.exit_code == 7, "status %s exit %d: %s", r.status,
              r.exit_code, r.message);
        int reaper = strncmp(r.out, "dojo-reaper ", 12) == 0;
        CHECK(k == 0 ? reaper : !reaper, "pid 1 is '%s'", r.out);
        CHECK(k == 0 ? strstr(r.layers[0].detail, "reaper") != NULL
                     : strstr(r.layers[0].detail, "(fork-like: DOJO_SANDBOX_KEEPER=fork)") != NULL,
              "session: %s", r.layers[0].detail);
        dojo_sandbox_result_clear(&r);
        policy(&p, 0, cwd);
        CHECK(sh(&p, "kill -SEGV $$", &r) == 0, "run");
        CHECK(status_is(&r, "SG") && r.signal == SIGSEGV, "status %s signal %d: %s", r.status,
              r.signal, r.message);
        dojo_sandbox_result_clear(&r);
        dj_test_end();

        snprintf(name, sizeof name, "keeper (%s): the box ends with the program, orphans too",
                 kinds[k]);
        dj_test_begin(name);
        char marker[64], script[160];
        snprintf(marker, sizeof marker, "30.%d%d7", (int)getpid(), k);
        /* the orphan writes "up" once it runs, so the run cannot end before it exists */
        snprintf(script, sizeof script, "(echo up > orphan; exec sleep %s) & "
                 "while [ ! -s orphan ]; do sleep 0.01; done; exit 0", marker);
        double t0 = now();
        policy(&p, 0, cwd);
        CHECK(sh(&p, script, &r) == 0, "run");
        CHECK(status_is(&r, "OK"), "status %s: %s", r.status, r.message);
        CHECK(now() - t0 < 10, "the run took %.1f s", now() - t0);
        CHECK(gone(marker, 2000), "the orphan 'sleep %s' outlived the box", marker);
        dojo_sandbox_result_clear(&r);
        dj_test_end();

        snprintf(name, sizeof name, "keeper (%s): the host's pages after a run", kinds[k]);
        dj_test_begin(name);
        size_t size = 64u << 20, page = (size_t)sysconf(_SC_PAGESIZE);
        char *heap = malloc(size);
        CHECK(heap != NULL, "malloc");
        if (heap) {
            memset(heap, 1, size);
            for (size_t i = 0; i < size; i += page) /* every page mapped and writable */
                heap[i] = 3;
            policy(&p, 0, cwd);
            CHECK(sh(&p, "exit 0", &r) == 0, "run");
            dojo_sandbox_result_clear(&r);
            long before = minor_faults();
            for (size_t i = 0; i < size; i += page)
                heap[i] = 2;
            long faults = minor_faults() - before, pages = (long)(size / page);
            printf("#   %ld faults rewriting %ld pages after a run\n", faults, pages);
            if (k == 0)
                CHECK(faults < pages / 10, "%ld faults for %ld pages", faults, pages);
            else
                CHECK(faults >= pages / 2, "%ld faults for %ld pages: was the keeper lean?",
                      faults, pages);
            free(heap);
        }
        dj_test_end();
        if (k)
            unsetenv("DOJO_SANDBOX_KEEPER");
    }
}

/* A box that listens on an abstract unix socket until a file "done" appears in its work dir
   (or 15 s pass), then says whether anyone connected. */
struct listener {
    char cwd[320];
    char name[64];
    dojo_sandbox_result r;
    int rc;
};

static void *listen_run(void *arg)
{
    struct listener *l = arg;
    char script[1024];
    snprintf(script, sizeof script,
             "import os, socket, time\n"
             "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
             "s.bind('\\0%s'); s.listen(4); s.settimeout(0.05)\n"
             "open('ready', 'w').close()\n"
             "got, end = 'none', time.time() + 15\n"
             "while got == 'none' and time.time() < end and not os.path.exists('done'):\n"
             "    try:\n"
             "        s.accept(); got = 'accepted'\n"
             "    except socket.timeout:\n"
             "        pass\n"
             "print(got)\n",
             l->name);
    const char *argv[] = {"python3", "-c", script, NULL};
    dojo_sandbox_policy p;
    policy(&p, 0, l->cwd);
    p.cmd = "/usr/bin/python3";
    p.argv = argv;
    char err[256];
    l->rc = dojo_sandbox_run(&p, &l->r, err, sizeof err);
    return NULL;
}

static void t_shared_netns(void)
{
    dojo_sandbox_policy p;
    dojo_sandbox_result r;
    char host[64] = "", first[64] = "";
    ssize_t hn = readlink("/proc/self/ns/net", host, sizeof host - 1);
    host[hn > 0 ? hn : 0] = '\0';
    int sharing = probe.is_root && probe.landlock_abi >= 6 && probe.seccomp_filter;

    dj_test_begin("network: each box is in an empty network namespace, one per process "
                  "where Landlock scopes abstract sockets");
    for (int i = 0; i < 3; i++) {
        policy(&p, 0, workdir("netns"));
        CHECK(sh(&p, "readlink /proc/self/ns/net; tail -n +3 /proc/net/dev", &r) == 0, "run");
        CHECK(status_is(&r, "OK"), "status %s: %s %s", r.status, r.message, r.err);
        char ns[64] = "";
        snprintf(ns, sizeof ns, "%.*s", (int)strcspn(r.out, "\n"), r.out);
        if (r.layers[1].applied) {
            CHECK(strncmp(ns, "net:[", 5) == 0 && strcmp(ns, host) != 0, "box %s, host %s", ns,
                  host);
            /* the interfaces: only lo */
            const char *dev = strchr(r.out, '\n');
            int ifaces = 0, lo = 0;
            for (const char *q = dev; q && *q; q = strchr(q + 1, '\n')) {
                if (strchr(q + 1, ':') && q[1] != '\0') {
                    ifaces++;
                    lo += strncmp(q + 1 + strspn(q + 1, " "), "lo:", 3) == 0;
                }
            }
            CHECK(ifaces == 1 && lo == 1, "interfaces: %s", dev ? dev : "(none)");
            int shared = strstr(r.layers[1].detail, "shared") != NULL;
            if (sharing)
                CHECK(shared, "namespaces: %s", r.layers[1].detail);
            if (shared && i == 0)
                snprintf(first, sizeof first, "%s", ns);
            else if (shared)
                CHECK(strcmp(ns, first) == 0, "run %d in %s, the first in %s", i, ns, first);
        }
        dojo_sandbox_result_clear(&r);
    }
    dj_test_end();

    dj_test_begin("network: a host that closes the shared namespace's descriptor (and reuses "
                  "its number) still gets boxes");
    int closed = 0, reused[8], nreused = 0;
    DIR *fds = opendir("/proc/self/fd");
    struct dirent *de;
    while (fds && (de = readdir(fds)) != NULL) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        ssize_t tn = readlink(path, target, sizeof target - 1);
        if (tn > 0) {
            target[tn] = '\0';
            if (strncmp(target, "net:[", 5) == 0 && atoi(de->d_name) > 2 &&
                atoi(de->d_name) != dirfd(fds)) {
                close(atoi(de->d_name));
                closed++;
            }
        }
    }
    if (fds)
        closedir(fds);
    while (nreused < 8 && (reused[nreused] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        nreused++;
    CHECK(closed == sharing, "descriptors on a network namespace closed: %d", closed);
    for (int i = 0; i < 2; i++) {
        policy(&p, 0, workdir("netns"));
        CHECK(sh(&p, "readlink /proc/self/ns/net", &r) == 0, "run");
        CHECK(status_is(&r, "OK") && strncmp(r.out, "net:[", 5) == 0 && !strstr(r.out, host),
              "status %s: %s %s %s", r.status, r.message, r.out, r.err);
        dojo_sandbox_result_clear(&r);
    }
    for (int i = 0; i < nreused; i++)
        close(reused[i]);
    dj_test_end();

    if (!sharing)
        return;
    dj_test_begin("network: concurrent boxes in the shared namespace cannot reach each other's "
                  "abstract sockets");
    static struct listener l;
    memset(&l, 0, sizeof l);
    snprintf(l.cwd, sizeof l.cwd, "%s", workdir("netns-listen"));
    snprintf(l.name, sizeof l.name, "dojo-test-%ld", (long)getpid());
    char ready[400], done[400];
    snprintf(ready, sizeof ready, "%s/ready", l.cwd);
    snprintf(done, sizeof done, "%s/done", l.cwd);
    unlink(ready);
    unlink(done);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, listen_run, &l) == 0, "pthread_create");
    double end = now() + 15;
    while (access(ready, F_OK) != 0 && now() < end)
        sleep_ms(10);
    CHECK(access(ready, F_OK) == 0, "the listener did not start");
    char script[1024];
    snprintf(script, sizeof script,
             "import socket\n"
             "own = socket.socket(socket.AF_UNIX); own.bind('\\0%s-own'); own.listen(1)\n"
             "socket.socket(socket.AF_UNIX).connect('\\0%s-own'); print('self-ok')\n"
             "try:\n"
             "    socket.socket(socket.AF_UNIX).connect('\\0%s'); print('connected')\n"
             "except OSError as e:\n"
             "    print('denied', e.errno)\n",
             l.name, l.name, l.name);
    const char *argv[] = {"python3", "-c", script, NULL};
    policy(&p, 0, workdir("netns-connect"));
    p.cmd = "/usr/bin/python3";
    p.argv = argv;
    char err[256];
    CHECK(dojo_sandbox_run(&p, &r, err, sizeof err) == 0, "run: %s", err);
    CHECK(strstr(r.out, "self-ok") && strstr(r.out, "denied") && !strstr(r.out, "connected"),
          "the other box: %s %s", r.out, r.err);
    CHECK(strstr(r.layers[1].detail, "shared"), "namespaces: %s", r.layers[1].detail);
    dojo_sandbox_result_clear(&r);
    int fd = open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    pthread_join(th, NULL);
    CHECK(l.rc == 0 && status_is(&l.r, "OK") && strstr(l.r.out, "none"), "the listener: %s %s %s",
          l.r.status, l.r.out, l.r.err);
    dojo_sandbox_result_clear(&l.r);
    dj_test_end();
}

static void t_validation(void)
{
    dj_test_begin("policy errors return -1 with a sentence and run nothing");
    const char *cwd = workdir("valid");
    char marker[400];
    snprintf(marker, sizeof marker, "%s/ran", cwd);
    unlink(marker);
    const char *argv[] = {"touch", marker, NULL};
    char filepath[400];
    snprintf(filepath, sizeof filepath, "%s/afile", cwd);
    FILE *f = fopen(filepath, "w");
    if (f)
        fclose(f);
    const char *badenv[] = {"NOEQUALS", NULL};
    const char *relread[] = {"relative/path", NULL};
    for (int i = 0; i < 11; i++) {
        dojo_sandbox_policy p;
        dojo_sandbox_policy_init(&p);
        p.cmd = "/usr/bin/touch";
        p.argv = argv;
        p.cwd = cwd;
        const char *want = "";
        switch (i) {
        case 0: p.cmd = NULL; want = "cmd"; break;
        case 1: p.time_s = -1; want = "time_s"; break;
        case 2: p.wall_s = NAN; want = "wall_s"; break;
        case 3: p.procs = -5; want = "procs"; break;
        case 4: p.cwd = "/nonexistent/dojo/dir"; want = "cwd"; break;
        case 5: p.cwd = filepath; want = "not a directory"; break;
        case 6: p.env = badenv; want = "KEY=VALUE"; break;
        case 7: p.read = relread; want = "absolute"; break;
        case 8: p.disable = 1 << 20; want = "unknown"; break;
        case 9: p.cwd = "/etc"; want = "system directory"; break;
        case 10: p.time_s = INFINITY; want = "time_s"; break;
        }
        dojo_sandbox_result r;
        char err[256] = "";
        int rc = dojo_sandbox_run(&p, &r, err, sizeof err);
        CHECK(rc == -1, "case %d accepted", i);
        CHECK(strstr(err, want) != NULL && err[strlen(err) - 1] != '\n', "case %d: '%s'", i,
              err);
        if (rc == 0)
            dojo_sandbox_result_clear(&r);
    }
    struct stat st;
    CHECK(stat(marker, &st) != 0, "an invalid policy ran the program");
    dojo_sandbox_result r;
    char err[256] = "";
    CHECK(dojo_sandbox_run(NULL, &r, err, sizeof err) == -1 && err[0], "NULL policy");
    dj_test_end();

    dj_test_begin("policy_init gives the documented defaults");
    dojo_sandbox_policy p;
    memset(&p, 0x5a, sizeof p);
    dojo_sandbox_policy_init(&p);
    CHECK(p.cmd == NULL && p.cwd == NULL && p.time_s == 0 && p.wall_s == 0 &&
              p.memory_bytes == 0 && p.procs == 512 && p.fsize_bytes == (1ULL << 30) &&
              p.output_bytes == (1ULL << 20) && p.net == 0 && p.disable == 0,
          "defaults");
    dj_test_end();
}

struct targ {
    int i, ok;
    char cwd[320];
};

static void *thread_run(void *arg)
{
    struct targ *a = arg;
    for (int k = 0; k < 5; k++) {
        dojo_sandbox_policy p;
        dojo_sandbox_result r;
        char err[256], script[64];
        policy(&p, a->i % 2 ? DEGRADED : 0, a->cwd);
        snprintf(script, sizeof script, "echo %d-%d", a->i, k);
        const char *argv[] = {"sh", "-c", script, NULL};
        p.cmd = "/bin/sh";
        p.argv = argv;
        char want[32];
        snprintf(want, sizeof want, "%d-%d\n", a->i, k);
        if (dojo_sandbox_run(&p, &r, err, sizeof err) == 0) {
            if (status_is(&r, "OK") && strcmp(r.out, want) == 0)
                a->ok++;
            dojo_sandbox_result_clear(&r);
        }
    }
    return NULL;
}

static void t_misc(void)
{
    dojo_sandbox_policy p;
    dojo_sandbox_result r;
    char err[256];

    dj_test_begin("cwd NULL: a fresh work dir, gone afterwards");
    for (int m = 0; m < 2; m++) {
        dojo_sandbox_policy_init(&p);
        p.wall_s = 10;
        p.disable = m ? DEGRADED : 0;
        CHECK(sh(&p, "pwd; touch made && echo made", &r) == 0, "run");
        CHECK(status_is(&r, "OK") && strstr(r.out, "\nmade\n"), "%s: %s %s", r.status, r.out,
              r.err);
        char dir[300];
        snprintf(dir, sizeof dir, "%.*s", (int)strcspn(r.out, "\n"), r.out);
        if (r.layers[1].applied) {
            /* inside the box's private tmpfs, which went with the box */
            CHECK(strcmp(dir, "/dev/shm/work") == 0, "work dir %s", dir);
        } else {
            struct stat st;
            CHECK(strncmp(dir, "/tmp/dojo-work-", 15) == 0, "work dir %s", dir);
            CHECK(stat(dir, &st) != 0, "%s is still there", dir);
        }
        dojo_sandbox_result_clear(&r);
    }
    dj_test_end();

    dj_test_begin("the host gets no SIGCHLD and may ignore SIGCHLD");
    static volatile sig_atomic_t chld;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGCHLD, &sa, &old);
    policy(&p, 0, workdir("sig"));
    CHECK(sh(&p, "exit 7", &r) == 0, "run");
    CHECK(status_is(&r, "RE") && r.exit_code == 7, "SIGCHLD ignored: %s %d", r.status,
          r.exit_code);
    dojo_sandbox_result_clear(&r);
    sigaction(SIGCHLD, &old, NULL);
    sigset_t set, oldset;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &oldset);
    policy(&p, DEGRADED, workdir("sig"));
    CHECK(sh(&p, "exit 0", &r) == 0 && status_is(&r, "OK"), "run");
    dojo_sandbox_result_clear(&r);
    sigset_t pending;
    sigpending(&pending);
    chld = sigismember(&pending, SIGCHLD);
    CHECK(!chld, "a SIGCHLD reached the host");
    sigprocmask(SIG_SETMASK, &oldset, NULL);
    dj_test_end();

    dj_test_begin("concurrent runs from several threads");
    enum { NT = 4 };
    pthread_t th[NT];
    struct targ args[NT];
    for (int i = 0; i < NT; i++) {
        args[i].i = i;
        args[i].ok = 0;
        snprintf(args[i].cwd, sizeof args[i].cwd, "%s/thr%d", base, i);
        mkdir(args[i].cwd, 0755);
        CHECK(pthread_create(&th[i], NULL, thread_run, &args[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        CHECK(args[i].ok == 5, "thread %d: %d of 5 runs right", i, args[i].ok);
    }
    (void)err;
    dj_test_end();
}

void test_sandbox(void)
{
    dojo_probe(&probe);
    snprintf(base, sizeof base, "/tmp/dojo-sbxtest-XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return;
    }
    chmod(base, 0755);

    t_validation();
    t_layers();
    t_keeper();
    t_shared_netns();
    for (int m = 0; m < 2; m++) {
        int mode = m ? DEGRADED : 0;
        t_statuses(mode);
        t_limits(mode);
        t_isolation(mode);
        t_containment(mode);
        t_python(mode);
    }
    t_ns_without_cgroup();
    t_paths_and_net();
    t_misc();

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", base);
}
