/*
 * reaper.c -- the image a box's keeper execs once the program has started: a 200-byte
 * static x86_64 executable, built at run time in a sealed memfd.
 *
 * Theory of operation. The keeper of a box with a pid namespace is the namespace's pid 1:
 * it sets the box up, starts the program, then only reaps and reports the program's wait
 * status. Cloned fork-like from the supervisor it carries a copy of the host's address
 * space for the whole run: copying the page tables, write-protecting every page of the host
 * (each later write by the host takes a fault), tearing the copy down at exit -- a cost
 * that grows with the host (about 10 ms a run plus 10 ms of faults after it for a 50 MB
 * heap, measured here). So the keeper is cloned vfork-like instead (sandbox.c: it shares
 * the host's memory while the supervisor waits, like posix_spawn's child), sets up, starts
 * the program the same way, and then execs this image, which owns nothing of the host.
 *
 * What the image does, in raw syscalls (the keeper arranged its descriptors and blocked
 * every signal, which stays so across exec; PR_SET_PDEATHSIG survives it, as the exec
 * gains no privilege -- in a user namespace it drops the keeper's capabilities there):
 *
 *     loop: pid = wait4(-1, &status, __WALL, &rusage)
 *           pid == 2 (the program: the first child of the namespace's pid 1)
 *               -> write one status record (sandbox.c's dj_rec: kind REC_STATUS, the
 *                  status, ru_maxrss) to descriptor 3, then exit_group(0): the kernel
 *                  kills what is left of the namespace;
 *           pid > 0 (an orphan of the box) or EINTR -> loop;
 *           any other error (ECHILD) -> exit_group(0).
 *
 * The record's layout is fixed by the DJ_REAPER_* constants in sandbox_internal.h, which
 * sandbox.c checks against its dj_rec at compile time.
 *
 * dj_reaper_fd builds the image once per process: an ELF header, a PT_LOAD program header
 * (read + execute) and a PT_GNU_STACK one (a stack that is not executable), then the code;
 * memfd_create (MFD_EXEC where the kernel has vm.memfd_noexec), write, seal. It then runs
 * the image once with no child to reap (it must exit 0 at once), so that a kernel that
 * refuses to exec a memfd (vm.memfd_noexec = 2, a security module) is found here and the
 * sandbox keeps its fork-like keeper instead.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox_internal.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#define F_ADD_SEALS 1033
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

#if defined(__x86_64__)
/* The code, assembled into read-only data: it is never run in this process. Stack frame
   (below the entry's stack pointer): 0 the wait status, 16 the rusage (ru_maxrss at +32),
   176 the record. */
extern const unsigned char dj_reaper_code[], dj_reaper_code_end[]
    __attribute__((visibility("hidden")));
__asm__(".section .rodata\n"
        ".p2align 4\n"
        ".globl dj_reaper_code\n"
        ".hidden dj_reaper_code\n"
        ".globl dj_reaper_code_end\n"
        ".hidden dj_reaper_code_end\n"
        "dj_reaper_code:\n"
        "    sub $512, %rsp\n"
        "1:  mov $61, %eax\n" /* wait4(-1, &status, __WALL, &rusage) */
        "    mov $-1, %rdi\n"
        "    mov %rsp, %rsi\n"
        "    mov $0x40000000, %edx\n"
        "    lea 16(%rsp), %r10\n"
        "    syscall\n"
        "    cmp $" STR(DJ_REAPER_PROGRAM_PID) ", %rax\n"
        "    je 2f\n"
        "    test %rax, %rax\n"
        "    jg 1b\n"
        "    cmp $-4, %rax\n" /* EINTR */
        "    je 1b\n"
        "    jmp 3f\n"
        "2:  lea 176(%rsp), %rdi\n" /* the record: zeroed, then kind, status, maxrss */
        "    xor %eax, %eax\n"
        "    mov $(" STR(DJ_REAPER_REC_SIZE) " / 8), %ecx\n"
        "    rep stosq\n"
        "    movl $" STR(DJ_REAPER_REC_KIND) ", 176(%rsp)\n"
        "    mov (%rsp), %eax\n"
        "    mov %eax, (176 + " STR(DJ_REAPER_REC_STATUS_AT) ")(%rsp)\n"
        "    mov 48(%rsp), %rax\n"
        "    mov %rax, (176 + " STR(DJ_REAPER_REC_MAXRSS_AT) ")(%rsp)\n"
        "    mov $1, %eax\n" /* write(3, &record, size) */
        "    mov $3, %edi\n"
        "    lea 176(%rsp), %rsi\n"
        "    mov $" STR(DJ_REAPER_REC_SIZE) ", %edx\n"
        "    syscall\n"
        "3:  mov $231, %eax\n" /* exit_group(0) */
        "    xor %edi, %edi\n"
        "    syscall\n"
        "    hlt\n"
        "dj_reaper_code_end:\n"
        ".previous\n");
#define REAPER_MACHINE EM_X86_64
#endif

static int g_fd = -1;
static char g_why[160] = "not built";

#ifdef REAPER_MACHINE
#define BASE 0x400000UL

static int build_image(void)
{
    const size_t code = (size_t)(dj_reaper_code_end - dj_reaper_code);
    const size_t head = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
    unsigned char img[1024];
    if (head + code > sizeof img) {
        snprintf(g_why, sizeof g_why, "the image is too large");
        return -1;
    }
    memset(img, 0, sizeof img);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)img;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
    eh->e_type = ET_EXEC;
    eh->e_machine = REAPER_MACHINE;
    eh->e_version = EV_CURRENT;
    eh->e_entry = BASE + head;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 2;
    Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(img + sizeof(Elf64_Ehdr));
    ph[0].p_type = PT_LOAD;
    ph[0].p_flags = PF_R | PF_X;
    ph[0].p_offset = 0;
    ph[0].p_vaddr = ph[0].p_paddr = BASE;
    ph[0].p_filesz = ph[0].p_memsz = head + code;
    ph[0].p_align = 0x1000;
    ph[1].p_type = PT_GNU_STACK;
    ph[1].p_flags = PF_R | PF_W;
    ph[1].p_align = 16;
    memcpy(img + head, dj_reaper_code, code);

    int fd = memfd_create("dojo-reaper", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("dojo-reaper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        snprintf(g_why, sizeof g_why, "memfd_create: %s", strerror(errno));
        return -1;
    }
    size_t len = head + code, off = 0;
    while (off < len) {
        ssize_t w = write(fd, img + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(g_why, sizeof g_why, "cannot write the image: %s", strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
        snprintf(g_why, sizeof g_why, "cannot seal the image: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

typedef struct probe_arg {
    int fd;
} probe_arg;

static int probe_child(void *arg)
{
    const probe_arg *a = arg;
    char *argv[] = {(char *)"dojo-reaper", NULL};
    char *envp[] = {NULL};
    syscall(SYS_execveat, a->fd, "", argv, envp, AT_EMPTY_PATH);
    _exit(127);
}

/* Runs the image once with nothing to reap: it must exit 0. */
static int probe(int fd)
{
    size_t size = 64 * 1024;
    void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                       -1, 0);
    if (stack == MAP_FAILED) {
        snprintf(g_why, sizeof g_why, "no memory for the probe: %s", strerror(errno));
        return -1;
    }
    probe_arg a = {fd};
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)63;
    pid_t pid = clone(probe_child, (void *)top, CLONE_VM | CLONE_VFORK, &a); /* exit signal 0 */
    int e = errno;
    munmap(stack, size);
    if (pid < 0) {
        snprintf(g_why, sizeof g_why, "cannot run the image: %s", strerror(e));
        return -1;
    }
    int st = 0;
    pid_t w;
    do
        w = waitpid(pid, &st, __WALL);
    while (w < 0 && errno == EINTR);
    if (w != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(g_why, sizeof g_why, "the kernel would not run it from a memfd (exit %d)",
                 w == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return -1;
    }
    return 0;
}
#endif

/* The image is built once per process; its descriptor is checked against the memfd's
   inode before each use (a host may close descriptors it does not know, and the number
   then names another file), and the image built anew when it no longer holds it. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_tried;
static dev_t g_dev;
static ino_t g_ino;

int dj_reaper_fd(const char **why)
{
    pthread_mutex_lock(&g_lock);
    struct stat st;
    if (g_fd >= 0 && (fstat(g_fd, &st) != 0 || st.st_dev != g_dev || st.st_ino != g_ino)) {
        g_fd = -1; /* closed by the host: the number is not ours any more */
        g_tried = 0;
    }
    if (!g_tried) {
        g_tried = 1;
#ifdef REAPER_MACHINE
        int fd = build_image();
        if (fd >= 0 && probe(fd) != 0) {
            close(fd);
            fd = -1;
        }
        if (fd >= 0 && fstat(fd, &st) == 0) {
            g_dev = st.st_dev;
            g_ino = st.st_ino;
            g_why[0] = '\0';
        } else if (fd >= 0) {
            snprintf(g_why, sizeof g_why, "cannot stat the image: %s", strerror(errno));
            close(fd);
            fd = -1;
        }
        g_fd = fd;
#else
        snprintf(g_why, sizeof g_why, "no reaper image for this architecture");
#endif
    }
    int fd = g_fd;
    if (why)
        *why = g_why;
    pthread_mutex_unlock(&g_lock);
    return fd;
}
