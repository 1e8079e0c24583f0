/*
 * landlock.c -- the Landlock layer of the sandbox: which files the program may touch, and
 * (ABI >= 4) whether it may bind or connect TCP sockets, and (ABI >= 6) whether it may
 * reach abstract unix sockets and signal processes outside its own domain.
 *
 * Theory of operation: Landlock is an unprivileged, stackable LSM. A process creates a
 * ruleset that "handles" a set of access rights (everything not handled stays allowed),
 * adds rules that grant some of those rights beneath a directory or on one file, and then
 * restricts itself; the restriction is inherited across fork and exec and can never be
 * lifted. dj_landlock_apply runs in the sandboxed child between fork and exec:
 *
 *   1. ask the kernel for its ABI version (landlock_create_ruleset(NULL, 0, VERSION));
 *      ENOSYS (not built in), EOPNOTSUPP (disabled at boot) and EPERM (the call itself is
 *      blocked, e.g. by a container's seccomp profile) mean "unavailable": return 0 and
 *      touch nothing;
 *   2. handle every filesystem right that ABI knows (REFER from ABI 2, TRUNCATE from 3,
 *      IOCTL_DEV from 5), so that anything not granted below is denied; with deny_net and
 *      ABI >= 4 also handle BIND_TCP and CONNECT_TCP and add no net rule at all (every TCP
 *      bind and connect is denied); with scope and ABI >= 6 set the scopes
 *      ABSTRACT_UNIX_SOCKET and SIGNAL;
 *   3. for each read-only path grant EXECUTE | READ_FILE | READ_DIR, for each read-write
 *      path every handled filesystem right. Each path is opened with O_PATH | O_CLOEXEC
 *      (following symlinks: /bin -> /usr/bin grants /usr/bin); when it is not a directory
 *      the grant is masked to the rights that apply to files (the kernel rejects directory
 *      rights on a file with EINVAL). A path that does not exist (ENOENT, ENOTDIR) or that
 *      the caller cannot reach (EACCES: the process has already dropped to an unprivileged
 *      uid, so it could not use the path anyway) is skipped and counted in the detail;
 *   4. set no_new_privs (the caller has normally done it; it is idempotent) and
 *      landlock_restrict_self.
 *
 * Older ABIs simply get fewer handled rights: on ABI 1 renames and links across
 * directories are always refused (the kernel's own rule when REFER is not handled), on
 * ABI < 3 truncate(2) is not controlled, on ABI < 4 the network is left to the seccomp and
 * namespace layers, on ABI < 6 signals and abstract sockets are not scoped; the detail says
 * which of the requested restrictions could not be applied.
 *
 * Everything here is async-signal-safe: raw syscalls, open/fstat/close, and a hand-written
 * formatter for the detail string (no stdio, no malloc, no strerror).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/landlock.h>)
#include <linux/landlock.h>
#endif
#endif

#include "sandbox_internal.h"

/* ---- the uapi, for headers older than the running kernel ----------------------------- */

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_RULE_PATH_BENEATH
#define LANDLOCK_RULE_PATH_BENEATH 1
#endif

#ifndef LANDLOCK_ACCESS_FS_EXECUTE
#define LANDLOCK_ACCESS_FS_EXECUTE (1ULL << 0)
#define LANDLOCK_ACCESS_FS_WRITE_FILE (1ULL << 1)
#define LANDLOCK_ACCESS_FS_READ_FILE (1ULL << 2)
#define LANDLOCK_ACCESS_FS_READ_DIR (1ULL << 3)
#define LANDLOCK_ACCESS_FS_REMOVE_DIR (1ULL << 4)
#define LANDLOCK_ACCESS_FS_REMOVE_FILE (1ULL << 5)
#define LANDLOCK_ACCESS_FS_MAKE_CHAR (1ULL << 6)
#define LANDLOCK_ACCESS_FS_MAKE_DIR (1ULL << 7)
#define LANDLOCK_ACCESS_FS_MAKE_REG (1ULL << 8)
#define LANDLOCK_ACCESS_FS_MAKE_SOCK (1ULL << 9)
#define LANDLOCK_ACCESS_FS_MAKE_FIFO (1ULL << 10)
#define LANDLOCK_ACCESS_FS_MAKE_BLOCK (1ULL << 11)
#define LANDLOCK_ACCESS_FS_MAKE_SYM (1ULL << 12)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13) /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1) /* ABI 6 */
#endif

/* Our own copies of the two structs: the installed header may know only the first field
   of the ruleset attributes. The kernel accepts any size up to its own, so the size passed
   is the one of the fields this ABI knows. */
struct dj_ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

struct dj_ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#define LL_FS_V1                                                                            \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                           \
     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |                           \
     LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |                       \
     LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |                           \
     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                           \
     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |                         \
     LANDLOCK_ACCESS_FS_MAKE_SYM)

/* The rights that make sense on a file (as opposed to a directory). */
#define LL_FS_FILE                                                                          \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                           \
     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                           \
     LANDLOCK_ACCESS_FS_IOCTL_DEV)

#define LL_FS_RO                                                                            \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* ---- an async-signal-safe string builder --------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, pos; /* pos: bytes written so far, always < len when len > 0 */
} sbuf;

static void sb_init(sbuf *b, char *buf, size_t len)
{
    b->buf = buf;
    b->len = buf ? len : 0;
    b->pos = 0;
    if (b->len)
        buf[0] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    if (!b->len)
        return;
    while (*s && b->pos + 1 < b->len)
        b->buf[b->pos++] = *s++;
    b->buf[b->pos] = '\0';
}

static void sb_int(sbuf *b, long v)
{
    char tmp[24];
    int n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u && n < (int)sizeof tmp - 1);
    if (v < 0)
        tmp[n++] = '-';
    char out[24];
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    sb_str(b, out);
}

/* The names of the errors these syscalls can produce; strerror is not async-signal-safe. */
static const char *errno_name(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case E2BIG: return "E2BIG";
    case ENOSYS: return "ENOSYS";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EBADFD: return "EBADFD";
    case EIO: return "EIO";
    default: return NULL;
    }
}

static void sb_errno(sbuf *b, int e)
{
    const char *name = errno_name(e);
    if (name) {
        sb_str(b, name);
    } else {
        sb_str(b, "errno ");
        sb_int(b, e);
    }
}

/* "<what>: <ERRNO>" into the detail; returns -1 with errno restored. */
static int fail(sbuf *b, const char *what, const char *path, int e)
{
    sb_init(b, b->buf, b->len);
    sb_str(b, "Landlock: ");
    sb_str(b, what);
    if (path) {
        sb_str(b, " ");
        sb_str(b, path);
    }
    sb_str(b, ": ");
    sb_errno(b, e);
    errno = e;
    return -1;
}

/* ---- the layer ----------------------------------------------------------------------- */

static uint64_t fs_rights(int abi)
{
    uint64_t r = LL_FS_V1;
    if (abi >= 2)
        r |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        r |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return r;
}

/* Adds one rule per existing path of list (NULL-terminated, may be NULL). Counts the rules
   added and the paths skipped; -1 (errno set, detail written) on a real failure. */
static int add_paths(int ruleset, const char *const *list, uint64_t want, uint64_t handled,
                     int *added, int *skipped, sbuf *b)
{
    for (size_t i = 0; list && list[i]; i++) {
        const char *path = list[i];
        if (!*path) {
            (*skipped)++;
            continue;
        }
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (e == ENOENT || e == ENOTDIR || e == EACCES) {
                (*skipped)++;
                continue;
            }
            return fail(b, "cannot open", path, e);
        }
        struct stat st;
        if (fstat(fd, &st) != 0) {
            int e = errno;
            close(fd);
            return fail(b, "cannot stat", path, e);
        }
        struct dj_ll_path_beneath_attr pb = {
            .allowed_access = want & handled,
            .parent_fd = fd,
        };
        if (!S_ISDIR(st.st_mode))
            pb.allowed_access &= LL_FS_FILE;
        long r = 0;
        if (pb.allowed_access)
            r = syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
        int e = errno;
        close(fd);
        if (r != 0)
            return fail(b, "cannot add a rule for", path, e);
        (*added)++;
    }
    return 0;
}

int dj_landlock_apply(const dj_landlock_rules *rules, char *detail, size_t len)
{
    sbuf b;
    sb_init(&b, detail, len);
    if (!rules)
        return fail(&b, "no rules", NULL, EINVAL);

    long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) {
        int e = errno;
        if (e == ENOSYS || e == EOPNOTSUPP || e == EPERM) {
            sb_str(&b, "Landlock unavailable: ");
            sb_str(&b, e == ENOSYS       ? "the kernel has no Landlock (ENOSYS)"
                       : e == EOPNOTSUPP ? "disabled at boot (EOPNOTSUPP)"
                                         : "the syscall is blocked (EPERM)");
            return 0;
        }
        return fail(&b, "cannot query the ABI version", NULL, e);
    }
    if (abi < 1)
        return fail(&b, "unexpected ABI version", NULL, EINVAL);

    struct dj_ll_ruleset_attr attr = {.handled_access_fs = fs_rights((int)abi)};
    size_t attr_size = sizeof attr.handled_access_fs;
    int net_denied = 0, scoped = 0;
    if (abi >= 4) {
        attr_size = offsetof(struct dj_ll_ruleset_attr, scoped);
        if (rules->deny_net) {
            attr.handled_access_net =
                LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
            net_denied = 1;
        }
    }
    if (abi >= 6) {
        attr_size = sizeof attr;
        if (rules->scope) {
            attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
            scoped = 1;
        }
    }

    int ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, attr_size, 0);
    if (ruleset < 0)
        return fail(&b, "cannot create the ruleset", NULL, errno);

    int ro = 0, rw = 0, skipped = 0;
    if (add_paths(ruleset, rules->ro, LL_FS_RO, attr.handled_access_fs, &ro, &skipped, &b) ||
        add_paths(ruleset, rules->rw, attr.handled_access_fs, attr.handled_access_fs, &rw,
                  &skipped, &b)) {
        int e = errno;
        close(ruleset);
        errno = e;
        return -1;
    }

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        int e = errno;
        close(ruleset);
        return fail(&b, "cannot set no_new_privs", NULL, e);
    }
    if (syscall(__NR_landlock_restrict_self, ruleset, 0) != 0) {
        int e = errno;
        close(ruleset);
        return fail(&b, "cannot restrict the process", NULL, e);
    }
    close(ruleset);

    sb_str(&b, "ABI ");
    sb_int(&b, abi);
    sb_str(&b, ": fs read-only ");
    sb_int(&b, ro);
    sb_str(&b, ro == 1 ? " path, read-write " : " paths, read-write ");
    sb_int(&b, rw);
    if (skipped) {
        sb_str(&b, " (");
        sb_int(&b, skipped);
        sb_str(&b, " missing, skipped)");
    }
    if (rules->deny_net)
        sb_str(&b, net_denied ? "; net denied" : "; net not restricted (ABI < 4)");
    if (rules->scope)
        sb_str(&b, scoped ? "; signals and abstract sockets scoped"
                          : "; signals not scoped (ABI < 6)");
    return 1;
}
