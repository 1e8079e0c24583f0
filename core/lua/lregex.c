/*
 * lregex.c -- the dojo.regex type of module dojo.core (PCRE2 through core/regex.c).
 *
 * Theory of operation: core.regex_compile() returns a userdata that owns a dojo_regex and
 * a scratch offset vector (ngroups + 1 pairs); __gc, __close and close() are the same
 * idempotent function, and any method on a closed regex raises "regex is closed". The
 * methods mirror Lua's string library -- match, find, gmatch, gsub -- plus exec (a table
 * with the offsets and named groups) and groups. Offsets are 1-based and inclusive on this
 * side, 0-based and half-open in C. A group that did not take part in a match is false
 * (as in lrexlib), so captures keep their positions. Global scans (gmatch, gsub) use the
 * kernel's empty-match rule (core/regex.c). Replacement strings use PCRE2's $ syntax and are
 * expanded by the kernel (dojo_regex_substitute); tables and functions are handled here.
 * Expected failures (a bad pattern, the match limit) return nil and a message; misuse
 * raises. lua/dojo/core_ffi.lua implements the same API over the FFI.
 */
#include <stdlib.h>
#include <string.h>

#include "lcore.h"

#define REGEX_MT "dojo.regex"

typedef struct rxbox {
    dojo_regex *re;
    int64_t *ov;      /* 2 * (ngroups + 1) offsets */
    int ngroups;
} rxbox;

static rxbox *check_rxbox(lua_State *L, int idx) { return luaL_checkudata(L, idx, REGEX_MT); }

static rxbox *check_regex(lua_State *L, int idx)
{
    rxbox *b = check_rxbox(L, idx);
    if (!b->re)
        luaL_error(L, "regex is closed");
    return b;
}

static int rx_close(lua_State *L)
{
    rxbox *b = check_rxbox(L, 1);
    dojo_regex_free(b->re);
    free(b->ov);
    b->re = NULL;
    b->ov = NULL;
    return 0;
}

static int rx_tostring(lua_State *L)
{
    rxbox *b = check_rxbox(L, 1);
    if (!b->re) {
        lua_pushliteral(L, "dojo.regex (closed)");
        return 1;
    }
    lua_getiuservalue(L, 1, 1);
    lua_getiuservalue(L, 1, 2);
    lua_pushfstring(L, "dojo.regex /%s/%s", lua_tostring(L, -2), lua_tostring(L, -1));
    return 1;
}

/* core.regex_compile(pattern [, flags]) -> regex | nil, message */
static int l_regex_compile(lua_State *L)
{
    size_t len;
    const char *pattern = luaL_checklstring(L, 1, &len);
    const char *flags = luaL_optstring(L, 2, "");
    char err[DJ_ERRLEN];
    int bits = dojo_regex_parse_flags(flags, err, sizeof err);
    if (bits < 0)
        return luaL_argerror(L, 2, err);
    rxbox *b = lua_newuserdatauv(L, sizeof *b, 2);
    b->re = NULL;
    b->ov = NULL;
    b->ngroups = 0;
    luaL_setmetatable(L, REGEX_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushstring(L, flags);
    lua_setiuservalue(L, -2, 2);
    dojo_regex *re = dojo_regex_compile(pattern, len, bits, err, sizeof err);
    if (!re)
        return dj_lua_fail(L, err);
    b->re = re;
    b->ngroups = dojo_regex_ngroups(re);
    b->ov = malloc(2 * ((size_t)b->ngroups + 1) * sizeof *b->ov);
    if (!b->ov)
        return luaL_error(L, "out of memory");
    return 1;
}

/* init (1-based, negative from the end, like string.find) -> 0-based offset; > len: none */
static size_t start_offset(lua_State *L, int arg, size_t len)
{
    lua_Integer init = luaL_optinteger(L, arg, 1);
    if (init > 0)
        return (size_t)init - 1 > len ? len + 1 : (size_t)init - 1;
    if (init == 0 || (lua_Unsigned)-(init + 1) >= (lua_Unsigned)len)
        return 0;
    return len - (size_t)(-init);
}

/* Pushes group i of the last match: its text, or false when it did not take part. */
static void push_group(lua_State *L, const rxbox *b, const char *s, int i)
{
    if (b->ov[2 * i] < 0)
        lua_pushboolean(L, 0);
    else
        lua_pushlstring(L, s + b->ov[2 * i], (size_t)(b->ov[2 * i + 1] - b->ov[2 * i]));
}

/* Pushes every group, or the whole match when the pattern has none; returns the count. */
static int push_captures(lua_State *L, const rxbox *b, const char *s)
{
    if (b->ngroups == 0) {
        push_group(L, b, s, 0);
        return 1;
    }
    luaL_checkstack(L, b->ngroups, "too many captures");
    for (int i = 1; i <= b->ngroups; i++)
        push_group(L, b, s, i);
    return b->ngroups;
}

/* One match from start: 1 matched (offsets in b->ov), 0 none, -1 error (message in err). */
static int match_at(rxbox *b, const char *s, size_t len, size_t start, int options, char *err,
                    size_t errlen)
{
    int rc = dojo_regex_match(b->re, s, len, start, options, b->ov, (size_t)b->ngroups + 1, err,
                              errlen);
    return rc > 0 ? 1 : rc;
}

/* The next match of a global scan at *pos (see core/regex.c); advances *pos, *notempty. */
static int scan(rxbox *b, const char *s, size_t len, size_t *pos, int *notempty, char *err,
                size_t errlen)
{
    if (*pos > len)
        return 0;
    int rc = match_at(b, s, len, *pos, *notempty ? DOJO_REGEX_NOTEMPTY_ATSTART : 0, err, errlen);
    if (rc <= 0)
        return rc;
    size_t st = (size_t)b->ov[0], e = (size_t)b->ov[1];
    if (e < *pos || (*notempty && st == e && e == *pos))
        return 0; /* no progress possible */
    *notempty = st == e;
    *pos = e;
    return 1;
}

/* The shared start of match and find: (re, s [, init]) matched once. Returns 1 with *bp and
   *sp set when it matched; otherwise 0 with the results (nil, or nil + message) pushed and
   their count in *nret. */
static int match_args(lua_State *L, rxbox **bp, const char **sp, int *nret)
{
    rxbox *b = check_regex(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    size_t start = start_offset(L, 3, len);
    char err[DJ_ERRLEN];
    int rc = match_at(b, s, len, start, 0, err, sizeof err);
    if (rc < 0) {
        *nret = dj_lua_fail(L, err);
        return 0;
    }
    if (rc == 0) {
        lua_pushnil(L);
        *nret = 1;
        return 0;
    }
    *bp = b;
    *sp = s;
    return 1;
}

/* re:match(s [, init]) -> captures (or the whole match) | nil | nil, message */
static int rx_match(lua_State *L)
{
    rxbox *b;
    const char *s;
    int nret;
    if (!match_args(L, &b, &s, &nret))
        return nret;
    return push_captures(L, b, s);
}

/* re:find(s [, init]) -> start, stop, captures... | nil | nil, message */
static int rx_find(lua_State *L)
{
    rxbox *b;
    const char *s;
    int nret;
    if (!match_args(L, &b, &s, &nret))
        return nret;
    lua_pushinteger(L, (lua_Integer)b->ov[0] + 1);
    lua_pushinteger(L, (lua_Integer)b->ov[1]);
    if (b->ngroups == 0)
        return 2;
    return 2 + push_captures(L, b, s);
}

/* re:exec(s [, init]) -> { start =, stop =, [0] = match, [i] = group i, name = group } */
static int rx_exec(lua_State *L)
{
    rxbox *b = check_regex(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    size_t start = start_offset(L, 3, len);
    char err[DJ_ERRLEN];
    int rc = match_at(b, s, len, start, 0, err, sizeof err);
    if (rc < 0)
        return dj_lua_fail(L, err);
    if (rc == 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, b->ngroups, 2);
    for (int i = 0; i <= b->ngroups; i++) {
        push_group(L, b, s, i);
        lua_rawseti(L, -2, i);
    }
    for (int i = 1; i <= b->ngroups; i++) {
        const char *name = dojo_regex_group_name(b->re, i);
        if (name) {
            push_group(L, b, s, i);
            lua_setfield(L, -2, name);
        }
    }
    lua_pushinteger(L, (lua_Integer)b->ov[0] + 1);
    lua_setfield(L, -2, "start");
    lua_pushinteger(L, (lua_Integer)b->ov[1]);
    lua_setfield(L, -2, "stop");
    return 1;
}

/* gmatch iterator: upvalues regex, subject, pos (0-based; -1 done), notempty */
static int gmatch_next(lua_State *L)
{
    rxbox *b = check_rxbox(L, lua_upvalueindex(1));
    lua_Integer p = lua_tointeger(L, lua_upvalueindex(3));
    if (p < 0)
        return 0;
    if (!b->re)
        return luaL_error(L, "regex is closed");
    size_t len;
    const char *s = lua_tolstring(L, lua_upvalueindex(2), &len);
    size_t pos = (size_t)p;
    int notempty = lua_toboolean(L, lua_upvalueindex(4));
    char err[DJ_ERRLEN];
    int rc = scan(b, s, len, &pos, &notempty, err, sizeof err);
    if (rc < 0)
        return luaL_error(L, "%s", err);
    lua_pushinteger(L, rc == 0 ? -1 : (lua_Integer)pos);
    lua_replace(L, lua_upvalueindex(3));
    if (rc == 0)
        return 0;
    lua_pushboolean(L, notempty);
    lua_replace(L, lua_upvalueindex(4));
    return push_captures(L, b, s);
}

/* re:gmatch(s [, init]) -> iterator over the captures (or whole matches) */
static int rx_gmatch(lua_State *L)
{
    rxbox *b = check_regex(L, 1);
    size_t len;
    luaL_checklstring(L, 2, &len);
    size_t start = start_offset(L, 3, len);
    (void)b;
    lua_settop(L, 2);
    lua_pushinteger(L, start > len ? -1 : (lua_Integer)start);
    lua_pushboolean(L, 0);
    lua_pushcclosure(L, gmatch_next, 4);
    return 1;
}

/* re:gsub(s, repl [, n]) -> string, count | nil, message */
static int rx_gsub(lua_State *L)
{
    rxbox *b = check_regex(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    int tr = lua_type(L, 3);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
                     tr == LUA_TTABLE, 3, "string/function/table");
    lua_Integer max = luaL_optinteger(L, 4, -1);
    if (lua_isnoneornil(L, 4))
        max = -1;
    else if (max < 0)
        max = 0;
    char err[DJ_ERRLEN];
    if (tr == LUA_TNUMBER || tr == LUA_TSTRING) {
        size_t rlen, out_len = 0, count = 0;
        const char *repl = lua_tolstring(L, 3, &rlen);
        char *out = dojo_regex_substitute(b->re, s, len, repl, rlen, (int64_t)max, &out_len, &count,
                                          err, sizeof err);
        if (!out)
            return dj_lua_fail(L, err);
        lua_pushlstring(L, out, out_len);
        dojo_free(out);
        lua_pushinteger(L, (lua_Integer)count);
        return 2;
    }
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    size_t pos = 0, copied = 0;
    lua_Integer n = 0;
    int notempty = 0;
    while (max < 0 || n < max) {
        int rc = scan(b, s, len, &pos, &notempty, err, sizeof err);
        if (rc < 0)
            return dj_lua_fail(L, err);
        if (rc == 0)
            break;
        size_t st = (size_t)b->ov[0], e = (size_t)b->ov[1];
        if (st < copied)
            st = copied;
        luaL_addlstring(&buf, s + copied, st - copied);
        n++;
        if (tr == LUA_TTABLE) {
            if (b->ngroups == 0)
                push_group(L, b, s, 0);
            else
                push_group(L, b, s, 1);
            lua_gettable(L, 3);
        } else {
            lua_pushvalue(L, 3);
            int nargs = push_captures(L, b, s);
            lua_call(L, nargs, 1);
            if (!b->re)
                return luaL_error(L, "regex is closed");
        }
        if (!lua_toboolean(L, -1)) {
            lua_pop(L, 1);
            luaL_addlstring(&buf, s + st, e - st);
        } else if (!lua_isstring(L, -1)) {
            return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
        } else {
            luaL_addvalue(&buf);
        }
        copied = e > copied ? e : copied;
    }
    luaL_addlstring(&buf, s + copied, len - copied);
    luaL_pushresult(&buf);
    lua_pushinteger(L, n);
    return 2;
}

/* re:groups() -> ngroups, { name = number, ... } */
static int rx_groups(lua_State *L)
{
    rxbox *b = check_regex(L, 1);
    lua_pushinteger(L, b->ngroups);
    lua_newtable(L);
    for (int i = 1; i <= b->ngroups; i++) {
        const char *name = dojo_regex_group_name(b->re, i);
        if (name) {
            lua_pushinteger(L, i);
            lua_setfield(L, -2, name);
        }
    }
    return 2;
}

static const luaL_Reg regex_methods[] = {
    {"match", rx_match}, {"find", rx_find},     {"exec", rx_exec},   {"gmatch", rx_gmatch},
    {"gsub", rx_gsub},   {"groups", rx_groups}, {"close", rx_close}, {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"regex_compile", l_regex_compile}, {NULL, NULL},
};

void dj_lua_open_regex(lua_State *L)
{
    luaL_newmetatable(L, REGEX_MT);
    luaL_newlib(L, regex_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, rx_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, rx_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, rx_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
}
