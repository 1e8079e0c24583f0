/* test_probe.c -- the machine probe answers consistently with what /proc and /sys say. */
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "dojo.h"
#include "harness.h"

void test_probe(void)
{
    dojo_probe_info a, b;
    dj_test_begin("probe fills every field and is stable across calls");
    memset(&a, 0x55, sizeof a);
    dojo_probe(&a);
    dojo_probe(&b);
    CHECK(memcmp(&a, &b, sizeof a) == 0, "two probes differ");
    CHECK(a.landlock_abi >= 0 && a.landlock_abi < 100, "landlock_abi %d", a.landlock_abi);
    CHECK(a.seccomp_filter == 0 || a.seccomp_filter == 1, "seccomp %d", a.seccomp_filter);
    CHECK(a.user_namespaces == 0 || a.user_namespaces == 1, "userns %d", a.user_namespaces);
    CHECK(a.cgroup_mode >= 0 && a.cgroup_mode <= 3, "cgroup mode %d", a.cgroup_mode);
    CHECK(a.is_root == (geteuid() == 0), "is_root");
    CHECK(a.ncpu >= 1, "ncpu %d", a.ncpu);
    CHECK(memchr(a.kernel, '\0', sizeof a.kernel) && memchr(a.cgroup_note, '\0', sizeof a.cgroup_note),
          "strings are terminated");
    CHECK(a.cgroup_note[0] != '\0', "cgroup note is empty");
    struct utsname u;
    CHECK(uname(&u) == 0 && strncmp(u.release, a.kernel, sizeof a.kernel - 1) == 0, "kernel %s", a.kernel);
    dojo_probe(NULL);
    dj_test_end();

    dj_test_begin("version is a semantic version string");
    const char *v = dojo_version();
    int major, minor, patch;
    CHECK(v && sscanf(v, "%d.%d.%d", &major, &minor, &patch) == 3, "version %s", v ? v : "(null)");
    dj_test_end();
}
