/*
 * lsandbox.c -- dojo.core.sandbox_run: the sandbox as a Lua function (module dojo.core).
 *
 * Theory of operation: lua/dojo/sandbox.lua validates a user's policy table (unknown keys,
 * units) and hands this function a normalized one whose fields map one to one onto
 * dojo_sandbox_policy. String arrays are collected into scratch userdata on the stack, so
 * an error leaks nothing; the strings stay alive because the policy table holds them. The
 * result becomes a plain Lua table; the captured output is copied and released at once.
 */
#include <string.h>

#include "lcore.h"

static void set_num(lua_State *L, const char *key, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

static int l_sandbox_run(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    dojo_sandbox_policy p;
    dojo_sandbox_policy_init(&p);
    p.cmd = dj_lua_field_string(L, 1, "cmd", NULL);
    p.cwd = dj_lua_field_string(L, 1, "cwd", NULL);
    p.argv = dj_lua_field_strings(L, 1, "argv", NULL);
    p.env = dj_lua_field_strings(L, 1, "env", NULL);
    p.read = dj_lua_field_strings(L, 1, "read", NULL);
    p.write = dj_lua_field_strings(L, 1, "write", NULL);
    p.time_s = dj_lua_field_number(L, 1, "time_s");
    p.wall_s = dj_lua_field_number(L, 1, "wall_s");
    p.memory_bytes = (uint64_t)dj_lua_field_number(L, 1, "memory_bytes");
    p.procs = (int64_t)dj_lua_field_number(L, 1, "procs");
    p.fsize_bytes = (uint64_t)dj_lua_field_number(L, 1, "fsize_bytes");
    p.output_bytes = (uint64_t)dj_lua_field_number(L, 1, "output_bytes");
    p.output_fails = dj_lua_field_bool(L, 1, "output_fails");
    p.net = dj_lua_field_bool(L, 1, "net");
    p.gpu = dj_lua_field_bool(L, 1, "gpu");
    p.disable = (int)dj_lua_field_number(L, 1, "disable");
    dojo_sandbox_result r;
    char err[DJ_ERRLEN];
    if (dojo_sandbox_run(&p, &r, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_createtable(L, 0, 12);
    lua_pushstring(L, r.status);
    lua_setfield(L, -2, "status");
    set_int(L, "exit_code", r.exit_code);
    set_int(L, "signal", r.signal);
    set_num(L, "wall_s", r.wall_s);
    set_num(L, "cpu_s", r.cpu_s);
    set_int(L, "max_rss_kb", (lua_Integer)r.max_rss_kb);
    set_int(L, "output_bytes", (lua_Integer)r.output_bytes);
    lua_pushlstring(L, r.out ? r.out : "", r.out ? r.out_len : 0);
    lua_setfield(L, -2, "stdout");
    lua_pushlstring(L, r.err ? r.err : "", r.err ? r.err_len : 0);
    lua_setfield(L, -2, "stderr");
    lua_pushstring(L, r.message);
    lua_setfield(L, -2, "message");
    lua_createtable(L, r.nlayers, 0);
    for (int i = 0; i < r.nlayers; i++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, r.layers[i].name);
        lua_setfield(L, -2, "name");
        lua_pushboolean(L, r.layers[i].applied);
        lua_setfield(L, -2, "applied");
        lua_pushstring(L, r.layers[i].detail);
        lua_setfield(L, -2, "detail");
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "layers");
    dojo_sandbox_result_clear(&r);
    return 1;
}

static const luaL_Reg sandbox_functions[] = {
    {"sandbox_run", l_sandbox_run},
    {NULL, NULL},
};

void dj_lua_open_sandbox(lua_State *L)
{
    luaL_setfuncs(L, sandbox_functions, 0);
}
