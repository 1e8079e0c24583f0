/*
 * dojo.c -- the dojo command line: a host of the embedding API (dojo.h) and nothing more.
 *
 * It finds the framework relative to its own executable (an installed tree keeps it in
 * BIN/../share/dojo/lua, the build tree in build/bin/../../lua), unless DOJO_LUA_ROOT says
 * otherwise, then hands argv to lua/dojo/cli.lua through dojo_runtime_cli(). Exit codes:
 * 0 success, 1 the input was judged and rejected, 2 usage error or internal fault.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dojo.h"

static int exists(const char *dir, const char *rel, char *out, size_t outlen)
{
    char probe[PATH_MAX];
    struct stat st;
    if (snprintf(out, outlen, "%s/%s", dir, rel) >= (int)outlen)
        return 0;
    if (snprintf(probe, sizeof probe, "%s/dojo/init.lua", out) >= (int)sizeof probe)
        return 0;
    return stat(probe, &st) == 0;
}

int main(int argc, char **argv)
{
    char exe[PATH_MAX], root[PATH_MAX];
    const char *lua_root = NULL;
    const char *env = getenv("DOJO_LUA_ROOT");
    if (!(env && *env)) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = '\0';
            if (exists(exe, "../share/dojo/lua", root, sizeof root) ||
                exists(exe, "../../lua", root, sizeof root) ||
                exists(exe, "../../../lua", root, sizeof root))
                lua_root = root;
        }
    }
    char err[512];
    dojo_runtime *rt = dojo_runtime_new(lua_root, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "dojo: %s\n", err);
        return 2;
    }
    int code = dojo_runtime_cli(rt, argc, (const char *const *)argv);
    dojo_runtime_free(rt);
    return code;
}
