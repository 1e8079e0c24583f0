/*
 * lcore.c -- the Lua 5.4 module dojo.core: libdojo's API as Lua functions.
 *
 * Theory of operation: this file binds the kernel's plain functions (version, probe, file
 * I/O, gzip); ltable.c, lregex.c and lhttp.c bind the object types. The same API is provided
 * under LuaJIT by lua/dojo/core_ffi.lua over the same libdojo.so, and lua/dojo/core.lua picks
 * the binding that fits the running interpreter. Misuse (a wrong argument type) raises an error;
 * expected failures (a missing file) return nil and a message. This module does not link
 * liblua: the interpreter that loads it provides the Lua API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcore.h"

int dj_lua_fail(lua_State *L, const char *msg)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2;
}

const char **dj_lua_strings(lua_State *L, int idx, const char *what, size_t *n)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    size_t len = (size_t)lua_rawlen(L, idx);
    const char **v = lua_newuserdatauv(L, (len + 1) * sizeof *v, 0);
    for (size_t i = 0; i < len; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: entry %d is not a string", what, (int)i + 1);
        v[i] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    v[len] = NULL;
    *n = len;
    return v;
}

const char *const *dj_lua_field_strings(lua_State *L, int idx, const char *key, size_t *n)
{
    size_t count = 0;
    if (n)
        *n = 0;
    idx = lua_absindex(L, idx);
    lua_getfield(L, idx, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "field %s must be a list of strings", key);
    char what[64];
    snprintf(what, sizeof what, "field %s", key);
    const char **v = dj_lua_strings(L, -1, what, &count);
    lua_remove(L, -2); /* the list: the options table keeps its strings alive */
    if (n)
        *n = count;
    return v;
}

double dj_lua_field_number(lua_State *L, int idx, const char *key)
{
    lua_getfield(L, idx, key);
    int isnum = 0;
    double v = lua_isnil(L, -1) ? 0 : (double)lua_tonumberx(L, -1, &isnum);
    if (!isnum && !lua_isnil(L, -1))
        luaL_error(L, "field %s must be a number", key);
    lua_pop(L, 1);
    return v;
}

int dj_lua_field_bool(lua_State *L, int idx, const char *key)
{
    lua_getfield(L, idx, key);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

const char *dj_lua_field_string(lua_State *L, int idx, const char *key, size_t *len)
{
    lua_getfield(L, idx, key);
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "field %s must be a string", key);
    const char *s = lua_isnil(L, -1) ? NULL : lua_tolstring(L, -1, len);
    lua_pop(L, 1); /* the options table keeps the string alive */
    return s;
}

static int l_version(lua_State *L)
{
    lua_pushstring(L, dojo_version());
    return 1;
}

static const char *cgroup_mode_name(int mode)
{
    switch (mode) {
    case 1: return "v1";
    case 2: return "v2";
    case 3: return "hybrid";
    default: return "none";
    }
}

static int l_probe(lua_State *L)
{
    dojo_probe_info p;
    dojo_probe(&p);
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, p.landlock_abi);
    lua_setfield(L, -2, "landlock_abi");
    lua_pushboolean(L, p.seccomp_filter);
    lua_setfield(L, -2, "seccomp_filter");
    lua_pushboolean(L, p.user_namespaces);
    lua_setfield(L, -2, "user_namespaces");
    lua_pushstring(L, cgroup_mode_name(p.cgroup_mode));
    lua_setfield(L, -2, "cgroup_mode");
    lua_pushstring(L, p.cgroup_note);
    lua_setfield(L, -2, "cgroup_note");
    lua_pushboolean(L, p.is_root);
    lua_setfield(L, -2, "is_root");
    lua_pushinteger(L, p.ncpu);
    lua_setfield(L, -2, "ncpu");
    lua_pushstring(L, p.kernel);
    lua_setfield(L, -2, "kernel");
    return 1;
}

static int l_file_write(lua_State *L)
{
    size_t len;
    const char *path = luaL_checkstring(L, 1);
    const char *data = luaL_checklstring(L, 2, &len);
    char err[DJ_ERRLEN];
    if (dojo_file_write(path, data, len, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_file_append(lua_State *L)
{
    size_t len;
    const char *path = luaL_checkstring(L, 1);
    const char *data = luaL_checklstring(L, 2, &len);
    int sync = lua_toboolean(L, 3);
    char err[DJ_ERRLEN];
    if (dojo_file_append(path, data, len, sync, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_file_read(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer max = luaL_optinteger(L, 2, 0);
    luaL_argcheck(L, max >= 0, 2, "limit must be >= 0");
    char err[DJ_ERRLEN];
    size_t len;
    char *data = dojo_file_read(path, (size_t)max, &len, err, sizeof err);
    if (!data)
        return dj_lua_fail(L, err);
    lua_pushlstring(L, data, len);
    dojo_free(data);
    return 1;
}

/* core.gzip(data [, level]) -> string | nil, message */
static int l_gzip(lua_State *L)
{
    size_t len, out_len = 0;
    const char *data = luaL_checklstring(L, 1, &len);
    lua_Integer level = luaL_optinteger(L, 2, -1);
    luaL_argcheck(L, level >= -1 && level <= 9, 2, "level must be in -1..9");
    char err[DJ_ERRLEN];
    char *out = dojo_gzip(data, len, (int)level, &out_len, err, sizeof err);
    if (!out)
        return dj_lua_fail(L, err);
    lua_pushlstring(L, out, out_len);
    dojo_free(out);
    return 1;
}

/* core.gunzip(data [, max_bytes]) -> string | nil, message */
static int l_gunzip(lua_State *L)
{
    size_t len, out_len = 0;
    const char *data = luaL_checklstring(L, 1, &len);
    lua_Integer max = luaL_optinteger(L, 2, 0);
    luaL_argcheck(L, max >= 0, 2, "limit must be >= 0");
    char err[DJ_ERRLEN];
    char *out = dojo_gunzip(data, len, (size_t)max, &out_len, err, sizeof err);
    if (!out)
        return dj_lua_fail(L, err);
    lua_pushlstring(L, out, out_len);
    dojo_free(out);
    return 1;
}

static const luaL_Reg functions[] = {
    {"version", l_version},       {"probe", l_probe},         {"file_write", l_file_write},
    {"file_append", l_file_append}, {"file_read", l_file_read}, {"gzip", l_gzip},
    {"gunzip", l_gunzip},           {NULL, NULL},
};

int luaopen_dojo_core(lua_State *L)
{
    luaL_newlib(L, functions);
    lua_pushliteral(L, "lua");
    lua_setfield(L, -2, "binding");
    dj_lua_open_table(L);
    dj_lua_open_metrics(L);
    dj_lua_open_sandbox(L);
    dj_lua_open_fs(L);
    dj_lua_open_regex(L);
    dj_lua_open_http(L);
    return 1;
}
