/*
 * lhttp.c -- the dojo.http response type of module dojo.core (libcurl through core/http.c).
 *
 * Theory of operation: core.http_open(t) takes the table lua/dojo/http.lua builds (url,
 * method, body, headers as a list of "Name: value" strings, connect_timeout, timeout,
 * proxy, max_bytes, follow_redirects), sends the request and returns a userdata owning the
 * dojo_http once the headers are in. Its methods pull: status(), headers() (a list of
 * { name, value } pairs as sent), read() (the next piece of the body; nil at its end),
 * abort() (ends the transfer: later reads fail as "aborted"), close(). __gc, __close and
 * close() are the same idempotent function; any other method on a closed response raises.
 * Failures return nil, a message and the kind ("timeout", "connect", "resolve", "tls",
 * "too_large", "aborted", "error"). lua/dojo/core_ffi.lua implements the same over the FFI.
 */
#include "lcore.h"

#define HTTP_MT "dojo.http"

typedef struct hbox {
    dojo_http *h;
} hbox;

static hbox *check_hbox(lua_State *L) { return luaL_checkudata(L, 1, HTTP_MT); }

static dojo_http *check_http(lua_State *L)
{
    hbox *b = check_hbox(L);
    if (!b->h)
        luaL_error(L, "http response is closed");
    return b->h;
}

/* nil, message, kind; returns 3 */
static int fail_kind(lua_State *L, const char *msg, int rc)
{
    dj_lua_fail(L, msg);
    lua_pushstring(L, dojo_http_error_name(-rc));
    return 3;
}

/* core.http_open(t) -> response | nil, message, kind */
static int l_http_open(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    dojo_http_opts o;
    dojo_http_opts_init(&o);
    o.url = dj_lua_field_string(L, 1, "url", NULL);
    o.method = dj_lua_field_string(L, 1, "method", NULL);
    o.body = dj_lua_field_string(L, 1, "body", &o.body_len);
    o.headers = dj_lua_field_strings(L, 1, "headers", &o.nheaders);
    o.proxy = dj_lua_field_string(L, 1, "proxy", NULL);
    o.connect_timeout = dj_lua_field_number(L, 1, "connect_timeout");
    o.timeout = dj_lua_field_number(L, 1, "timeout");
    double max = dj_lua_field_number(L, 1, "max_bytes");
    luaL_argcheck(L, max >= 0 && max < 1.8e19, 1, "max_bytes must be >= 0");
    o.max_bytes = (uint64_t)max;
    o.follow_redirects = dj_lua_field_bool(L, 1, "follow_redirects");
    hbox *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->h = NULL;
    luaL_setmetatable(L, HTTP_MT);
    char err[DJ_ERRLEN];
    int rc = dojo_http_open(&o, &b->h, err, sizeof err);
    if (rc < 0)
        return fail_kind(L, err, rc);
    return 1;
}

static int h_status(lua_State *L)
{
    lua_pushinteger(L, dojo_http_status(check_http(L)));
    return 1;
}

/* h:headers() -> { { name, value }, ... } in the order sent */
static int h_headers(lua_State *L)
{
    dojo_http *h = check_http(L);
    size_t n = dojo_http_header_count(h);
    lua_createtable(L, (int)n, 0);
    const char *name, *value;
    for (size_t i = 0; dojo_http_header(h, i, &name, &value) == 0; i++) {
        lua_createtable(L, 2, 0);
        lua_pushstring(L, name);
        lua_rawseti(L, -2, 1);
        lua_pushstring(L, value);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* h:read() -> piece | nil (the end) | nil, message, kind */
static int h_read(lua_State *L)
{
    dojo_http *h = check_http(L);
    const char *data;
    size_t len;
    char err[DJ_ERRLEN];
    int rc = dojo_http_read(h, &data, &len, err, sizeof err);
    if (rc < 0)
        return fail_kind(L, err, rc);
    if (rc == 0)
        lua_pushnil(L);
    else
        lua_pushlstring(L, data, len);
    return 1;
}

static int h_abort(lua_State *L)
{
    dojo_http_close(check_http(L));
    return 0;
}

static int h_close(lua_State *L)
{
    hbox *b = check_hbox(L);
    dojo_http_free(b->h);
    b->h = NULL;
    return 0;
}

static int h_tostring(lua_State *L)
{
    hbox *b = check_hbox(L);
    if (!b->h)
        lua_pushliteral(L, "dojo.http (closed)");
    else
        lua_pushfstring(L, "dojo.http %d from %s", dojo_http_status(b->h), dojo_http_host(b->h));
    return 1;
}

static const luaL_Reg http_methods[] = {
    {"status", h_status}, {"headers", h_headers}, {"read", h_read},
    {"abort", h_abort},   {"close", h_close},     {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"http_open", l_http_open}, {NULL, NULL},
};

void dj_lua_open_http(lua_State *L)
{
    luaL_newmetatable(L, HTTP_MT);
    luaL_newlib(L, http_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, h_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, h_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, h_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
}
