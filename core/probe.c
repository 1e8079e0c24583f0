/*
 * probe.c -- what this machine lets the sandbox use, probed once per process.
 *
 * Theory of operation: every layer of the sandbox (DESIGN.md) is optional on a user's
 * machine. The probe asks the kernel directly rather than trusting version numbers:
 * Landlock by landlock_create_ruleset(NULL, 0, VERSION); seccomp by SECCOMP_GET_ACTION_AVAIL;
 * user namespaces by a short-lived child that tries unshare(CLONE_NEWUSER); the cgroup
 * layout by statfs(2) on /sys/fs/cgroup and its usual v1 and v2 mount points. The result is
 * cached (pthread_once) and copied out; a failed probe reads as "unavailable".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#define LANDLOCK_CREATE_RULESET_VERSION_FLAG (1U << 0)

static dojo_probe_info cached;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int fs_magic(const char *path, long magic)
{
    struct statfs s;
    return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

static int probe_landlock(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION_FLAG);
    return abi > 0 ? (int)abi : 0;
}

static int probe_seccomp(void)
{
#ifdef SECCOMP_GET_ACTION_AVAIL
    unsigned int action = SECCOMP_RET_ERRNO;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
        return 1;
#endif
    return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 ? 1 : 0;
}

static int probe_userns(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0)
        _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void probe_cgroups(dojo_probe_info *p)
{
    const char *v2 = NULL;
    int v1_mem = fs_magic("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC);
    int v1_pids = fs_magic("/sys/fs/cgroup/pids", CGROUP_SUPER_MAGIC);
    if (fs_magic("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
        v2 = "/sys/fs/cgroup";
    else if (fs_magic("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC))
        v2 = "/sys/fs/cgroup/unified";
    int v1 = v1_mem || v1_pids || fs_magic("/sys/fs/cgroup/cpu", CGROUP_SUPER_MAGIC);
    p->cgroup_mode = v2 && v1 ? 3 : v2 ? 2 : v1 ? 1 : 0;
    char v1note[64] = "";
    if (v1)
        snprintf(v1note, sizeof v1note, "v1%s%s%s", v1_mem ? " memory" : "",
                 v1_mem && v1_pids ? "," : "", v1_pids ? " pids" : "");
    if (v2 && v1)
        snprintf(p->cgroup_note, sizeof p->cgroup_note, "v2 at %s; %s", v2, v1note);
    else if (v2)
        snprintf(p->cgroup_note, sizeof p->cgroup_note, "v2 at %s", v2);
    else if (v1)
        snprintf(p->cgroup_note, sizeof p->cgroup_note, "%s", v1note);
    else
        snprintf(p->cgroup_note, sizeof p->cgroup_note, "no cgroup filesystem mounted");
}

static void probe_all(void)
{
    dojo_probe_info *p = &cached;
    memset(p, 0, sizeof *p);
    p->landlock_abi = probe_landlock();
    p->seccomp_filter = probe_seccomp();
    p->user_namespaces = probe_userns();
    p->is_root = geteuid() == 0;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    p->ncpu = n > 0 ? (int)n : 1;
    struct utsname u;
    if (uname(&u) == 0) {
        size_t len = strnlen(u.release, sizeof p->kernel - 1);
        memcpy(p->kernel, u.release, len);
        p->kernel[len] = '\0';
    }
    probe_cgroups(p);
}

void dojo_probe(dojo_probe_info *out)
{
    pthread_once(&once, probe_all);
    if (out)
        *out = cached;
}
