/* lcore.h -- shared pieces of the Lua 5.4 binding of libdojo (module dojo.core). */
#ifndef DOJO_LCORE_H
#define DOJO_LCORE_H

#include <lauxlib.h>
#include <lua.h>

#include "../dojo.h"

#define DJ_ERRLEN 512
#define TABLE_MT "dojo.table"
#define COLUMN_MT "dojo.column"

/* A table userdata; column userdata point at it and keep it alive (user value 1). */
typedef struct tbox {
    dojo_table *t;
} tbox;

typedef struct cbox {
    tbox *owner;
    size_t col, n;
    int type;
} cbox;

/* The column at idx, or NULL when it is not one (raises when its table is closed). */
cbox *dj_lua_testcolumn(lua_State *L, int idx);
/* Registers the metric functions into the module table at the top of the stack. */
void dj_lua_open_metrics(lua_State *L);
/* Registers sandbox_run into the module table at the top of the stack. */
void dj_lua_open_sandbox(lua_State *L);
/* Registers the filesystem helpers (dir_make, dir_list, tree_remove, path_stat, file_copy,
   sha256, sha256_file, clock, time) into the module table at the top of the stack. */
void dj_lua_open_fs(lua_State *L);
/* Registers the regex type and regex_compile into the module table at the top of the stack. */
void dj_lua_open_regex(lua_State *L);
/* Registers the http response type and http_open into the module table at the top of the
   stack. */
void dj_lua_open_http(lua_State *L);

/* Collects the array of strings at stack index idx into a NULL-terminated scratch array
   (userdata left on the stack, so an error unwinding frees it); *n gets the count. The
   strings stay valid while the array table holds them. Raises "WHAT: entry N is not a
   string". */
const char **dj_lua_strings(lua_State *L, int idx, const char *what, size_t *n);

/* Fields of an options table at stack index idx; nil gives NULL, 0 or false, a wrong type
   raises "field KEY must be ...". A string stays valid while the table holds it (len may be
   NULL). A list of strings becomes a NULL-terminated scratch array left on the stack, as
   dj_lua_strings makes it; *n (when n is not NULL) gets its length. */
const char *dj_lua_field_string(lua_State *L, int idx, const char *key, size_t *len);
double dj_lua_field_number(lua_State *L, int idx, const char *key);
int dj_lua_field_bool(lua_State *L, int idx, const char *key);
const char *const *dj_lua_field_strings(lua_State *L, int idx, const char *key, size_t *n);

/* Pushes nil and a message; returns 2 (the `nil, message` convention). */
int dj_lua_fail(lua_State *L, const char *msg);
/* Registers the table, column, index and reader types and their functions into the module
   table at the top of the stack. */
void dj_lua_open_table(lua_State *L);

#endif
