/*
 * embed.c -- the embedding API: a Lua 5.4 state hosting the dojo framework for C programs.
 *
 * Theory of operation: libdojo links Lua 5.4 (liblua5.4.so), so a host program needs
 * nothing but -ldojo; the library exports dojo_* only (core/libdojo.map). A runtime is one
 * lua_State with the standard libraries, package.path pointing at the framework folder
 * (lua_root) ahead of the default paths, and dojo.core preloaded from the binding
 * compiled into this library. Every call crosses into Lua through lua_pcall and the
 * functions of lua/dojo/embed.lua, with JSON strings in and out; a Lua error never
 * escapes as a longjmp: it becomes an {"error":...} document or a message in the
 * caller's buffer. Strings handed back are malloc'd copies (dojo_free).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "internal.h"

int luaopen_dojo_core(lua_State *L);

struct dojo_runtime {
    lua_State *L;
    char *lua_root;
    int embed_ref; /* the table returned by require "dojo.embed" */
};

struct dojo_env {
    dojo_runtime *rt;
    int ref;
};

static int is_framework(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/dojo/init.lua", dir) >= (int)sizeof path)
        return 0;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds the framework folder: $DOJO_LUA_ROOT, then places relative to this library (an
   installed tree: LIB/../share/dojo/lua; the build tree: build/lib -> ../../lua, and
   build/<config>/lib -> ../../../lua), then the source tree recorded at build time. */
static char *find_lua_root(char *err, size_t errlen)
{
    const char *env = getenv("DOJO_LUA_ROOT");
    if (env && *env) {
        if (is_framework(env))
            return realpath(env, NULL);
        dj_err(err, errlen, "DOJO_LUA_ROOT=%s does not hold the dojo framework (dojo/init.lua)", env);
        return NULL;
    }
    Dl_info info;
    if (dladdr((void *)find_lua_root, &info) && info.dli_fname) {
        char *lib = realpath(info.dli_fname, NULL);
        if (lib) {
            char *slash = strrchr(lib, '/');
            if (slash)
                *slash = '\0';
            static const char *const rel[] = {"../share/dojo/lua", "../../lua", "../../../lua"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                char cand[PATH_MAX];
                if (snprintf(cand, sizeof cand, "%s/%s", lib, rel[i]) < (int)sizeof cand &&
                    is_framework(cand)) {
                    free(lib);
                    return realpath(cand, NULL);
                }
            }
            free(lib);
        }
    }
    dj_err(err, errlen, "cannot find the dojo framework (dojo/init.lua); set DOJO_LUA_ROOT");
    return NULL;
}

/* Message handler: the error message alone, or with a traceback when DOJO_DEBUG is set. */
static int msgh(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg)
        msg = luaL_tolstring(L, 1, NULL);
    if (getenv("DOJO_DEBUG"))
        luaL_traceback(L, L, msg, 1);
    else
        lua_pushstring(L, msg);
    return 1;
}

/* Calls embed[fname] with nargs arguments already pushed (above the function slot that
   this function inserts) and leaves nres results; returns the lua_pcall status. */
static int call_embed(dojo_runtime *rt, const char *fname, int nargs, int nres)
{
    lua_State *L = rt->L;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msgh);
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->embed_ref);
    lua_getfield(L, -1, fname);
    lua_remove(L, -2);
    lua_rotate(L, base + 1, 2); /* handler, function, args... */
    int rc = lua_pcall(L, nargs, nres, base + 1);
    lua_remove(L, base + 1); /* the handler */
    return rc;
}

static char *dup_string(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* An {"error":...} document for a fault that happened before Lua could produce one. */
static char *error_doc(const char *type, const char *msg)
{
    size_t cap = strlen(msg) * 6 + strlen(type) + 64;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t n = (size_t)snprintf(out, cap, "{\"error\":{\"type\":\"%s\",\"message\":\"", type);
    for (const unsigned char *p = (const unsigned char *)msg; *p && n + 8 < cap; p++) {
        if (*p == '"' || *p == '\\')
            n += (size_t)snprintf(out + n, cap - n, "\\%c", *p);
        else if (*p < 0x20)
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", *p);
        else
            out[n++] = (char)*p;
    }
    snprintf(out + n, cap - n, "\"}}");
    return out;
}

/* Takes the string result at the top of the stack (or the error message of a failed call)
   and returns a malloc'd JSON document. */
static char *take_json(dojo_runtime *rt, int status)
{
    lua_State *L = rt->L;
    char *out;
    if (status == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        out = dup_string(s, len);
    } else {
        const char *msg = lua_tostring(L, -1);
        out = error_doc(status == LUA_ERRMEM ? "OutOfMemory" : "InternalError",
                        msg ? msg : "the framework returned no result");
    }
    lua_pop(L, 1);
    return out;
}

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

/* Protected part of dojo_runtime_new: libraries, paths, preload, require "dojo.embed". */
static int init_state(lua_State *L)
{
    const char *root = lua_tostring(L, 1);
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", root, root);
    lua_setfield(L, -2, "path");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_dojo_core);
    lua_setfield(L, -2, "dojo.core");
    lua_pop(L, 2);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "dojo.embed");
    lua_call(L, 1, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "dojo.embed did not return a table");
    return 1;
}

dojo_runtime *dojo_runtime_new(const char *lua_root, char *err, size_t errlen)
{
    char *root;
    if (lua_root) {
        if (!is_framework(lua_root)) {
            dj_err(err, errlen, "%s does not hold the dojo framework (dojo/init.lua)", lua_root);
            return NULL;
        }
        root = realpath(lua_root, NULL);
    } else
        root = find_lua_root(err, errlen);
    if (!root) {
        if (lua_root)
            dj_err(err, errlen, "cannot resolve %s", lua_root);
        return NULL;
    }
    dojo_runtime *rt = calloc(1, sizeof *rt);
    lua_State *L = rt ? lua_newstate(l_alloc, NULL) : NULL;
    if (!L) {
        free(rt);
        free(root);
        dj_err(err, errlen, "out of memory creating the Lua state");
        return NULL;
    }
    rt->L = L;
    rt->lua_root = root;
    lua_pushcfunction(L, msgh);
    lua_pushcfunction(L, init_state);
    lua_pushstring(L, root);
    if (lua_pcall(L, 1, 1, 1) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        dj_err(err, errlen, "cannot load the dojo framework from %s: %s", root,
               msg ? msg : "(no message)");
        lua_close(L);
        free(root);
        free(rt);
        return NULL;
    }
    rt->embed_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1); /* the handler */
    return rt;
}

const char *dojo_runtime_lua_root(const dojo_runtime *rt)
{
    return rt ? rt->lua_root : NULL;
}

void dojo_runtime_free(dojo_runtime *rt)
{
    if (!rt)
        return;
    lua_close(rt->L);
    free(rt->lua_root);
    free(rt);
}

int dojo_runtime_cli(dojo_runtime *rt, int argc, const char *const *argv)
{
    if (!rt)
        return 2;
    lua_State *L = rt->L;
    int top = lua_gettop(L);
    lua_createtable(L, argc > 0 ? argc : 0, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    int rc = call_embed(rt, "cli", 1, 1);
    int code;
    if (rc != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "dojo: internal error: %s\n", msg ? msg : "(no message)");
        code = 2;
    } else {
        int ok;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        code = ok && v >= 0 && v <= 255 ? (int)v : 2;
    }
    lua_settop(L, top);
    return code;
}

char *dojo_runtime_call(dojo_runtime *rt, const char *function, const char *args_json)
{
    if (!rt)
        return NULL;
    lua_State *L = rt->L;
    lua_pushstring(L, function ? function : "");
    if (args_json)
        lua_pushstring(L, args_json);
    else
        lua_pushnil(L);
    return take_json(rt, call_embed(rt, "call", 2, 1));
}

dojo_env *dojo_env_make(dojo_runtime *rt, const char *name, const char *options_json,
                        char *err, size_t errlen)
{
    if (!rt || !name) {
        dj_err(err, errlen, "dojo_env_make needs a runtime and a competition name");
        return NULL;
    }
    lua_State *L = rt->L;
    int top = lua_gettop(L);
    lua_pushstring(L, name);
    if (options_json)
        lua_pushstring(L, options_json);
    else
        lua_pushnil(L);
    int rc = call_embed(rt, "make", 2, 2);
    if (rc != LUA_OK || lua_isnil(L, -2)) {
        const char *msg = lua_tostring(L, -1);
        dj_err(err, errlen, "%s", msg ? msg : "cannot make the environment");
        lua_settop(L, top);
        return NULL;
    }
    lua_pop(L, 1);
    dojo_env *env = malloc(sizeof *env);
    if (!env) {
        lua_settop(L, top);
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    env->rt = rt;
    env->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, top);
    return env;
}

static char *env_call(dojo_env *env, const char *fname, const char *a, const char *b)
{
    if (!env)
        return NULL;
    lua_State *L = env->rt->L;
    int nargs = 2;
    lua_rawgeti(L, LUA_REGISTRYINDEX, env->ref);
    if (a)
        lua_pushstring(L, a);
    else
        lua_pushnil(L);
    if (fname[0] == 's') { /* step: env, action, args */
        if (b)
            lua_pushstring(L, b);
        else
            lua_pushnil(L);
        nargs = 3;
    }
    return take_json(env->rt, call_embed(env->rt, fname, nargs, 1));
}

char *dojo_env_reset(dojo_env *env, const char *options_json)
{
    return env_call(env, "reset", options_json, NULL);
}

char *dojo_env_step(dojo_env *env, const char *action, const char *args_json)
{
    if (!action)
        action = "";
    return env_call(env, "step", action, args_json);
}

void dojo_env_close(dojo_env *env)
{
    if (!env)
        return;
    lua_State *L = env->rt->L;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, env->ref);
    if (call_embed(env->rt, "close", 1, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "dojo: closing the environment failed: %s\n", msg ? msg : "(no message)");
    }
    lua_settop(L, top);
    luaL_unref(L, LUA_REGISTRYINDEX, env->ref);
    free(env);
}
