/*
 * lfs.c -- the filesystem helpers of core/fs.c as functions of the Lua module dojo.core.
 *
 * Theory of operation: each function checks its arguments (misuse raises, as in lcore.c),
 * calls the kernel with an error buffer on the C stack, and returns its result or
 * `nil, message`. path_stat returns false (not nil) for a missing path, so that
 * `if not kind` covers both, while `kind == nil` tells an error. lua/dojo/core_fs_ffi.lua
 * offers the same functions, with the same messages, under LuaJIT.
 */
#include <stdlib.h>
#include <string.h>

#include "lcore.h"

static int l_dir_make(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer mode = luaL_optinteger(L, 2, 0755);
    luaL_argcheck(L, mode >= 0 && mode <= 07777, 2, "mode must be in 0..4095 (0..0o7777)");
    char err[DJ_ERRLEN];
    if (dojo_dir_make(path, (int)mode, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_dir_list(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[DJ_ERRLEN];
    size_t len;
    char *names = dojo_dir_list(path, &len, err, sizeof err);
    if (!names)
        return dj_lua_fail(L, err);
    lua_newtable(L);
    lua_Integer i = 0;
    for (size_t at = 0; at < len;) {
        size_t k = strlen(names + at);
        lua_pushlstring(L, names + at, k); /* may raise (memory): names leaks then, rarely */
        lua_rawseti(L, -2, ++i);
        at += k + 1;
    }
    dojo_free(names);
    return 1;
}

static int l_tree_remove(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[DJ_ERRLEN];
    if (dojo_tree_remove(path, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_path_stat(lua_State *L)
{
    static const char *const kinds[] = {NULL, "file", "dir", "other", "link"};
    const char *path = luaL_checkstring(L, 1);
    char err[DJ_ERRLEN];
    int64_t size;
    double mtime;
    int kind = dojo_path_stat(path, &size, &mtime, err, sizeof err);
    if (kind < 0)
        return dj_lua_fail(L, err);
    if (kind == DOJO_PATH_MISSING) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_pushstring(L, kinds[kind <= DOJO_PATH_LINK ? kind : DOJO_PATH_OTHER]);
    lua_pushinteger(L, (lua_Integer)size);
    lua_pushnumber(L, (lua_Number)mtime);
    return 3;
}

static int l_file_copy(lua_State *L)
{
    const char *src = luaL_checkstring(L, 1);
    const char *dst = luaL_checkstring(L, 2);
    lua_Integer max = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, max >= 0, 3, "limit must be >= 0");
    int sync = lua_isnoneornil(L, 4) ? 1 : lua_toboolean(L, 4);
    char err[DJ_ERRLEN];
    if (dojo_file_copy(src, dst, (uint64_t)max, sync, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_file_move(lua_State *L)
{
    const char *src = luaL_checkstring(L, 1);
    const char *dst = luaL_checkstring(L, 2);
    lua_Integer max = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, max >= 0, 3, "limit must be >= 0");
    char err[DJ_ERRLEN];
    if (dojo_file_move(src, dst, (uint64_t)max, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_file_link(lua_State *L)
{
    const char *src = luaL_checkstring(L, 1);
    const char *dst = luaL_checkstring(L, 2);
    char err[DJ_ERRLEN];
    if (dojo_file_link(src, dst, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_sha256(lua_State *L)
{
    size_t len;
    const char *data = luaL_checklstring(L, 1, &len);
    char hex[65];
    dojo_sha256(data, len, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int l_sha256_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[DJ_ERRLEN], hex[65];
    if (dojo_sha256_file(path, hex, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushstring(L, hex);
    return 1;
}

static int l_clock(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)dojo_clock_now());
    return 1;
}

static int l_time(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)dojo_clock_wall());
    return 1;
}

static int l_sleep(lua_State *L)
{
    dojo_sleep((double)luaL_checknumber(L, 1));
    return 0;
}

static const luaL_Reg fs_functions[] = {
    {"dir_make", l_dir_make},
    {"dir_list", l_dir_list},
    {"tree_remove", l_tree_remove},
    {"path_stat", l_path_stat},
    {"file_copy", l_file_copy},
    {"file_move", l_file_move},
    {"file_link", l_file_link},
    {"sha256", l_sha256},
    {"sha256_file", l_sha256_file},
    {"clock", l_clock},
    {"time", l_time},
    {"sleep", l_sleep},
    {NULL, NULL},
};

void dj_lua_open_fs(lua_State *L)
{
    luaL_setfuncs(L, fs_functions, 0);
}
