/* lcore.h -- shared pieces of the Lua 5.4 binding of libdojo (module dojo.core). */
#ifndef DOJO_LCORE_H
#define DOJO_LCORE_H

#include <lauxlib.h>
#include <lua.h>

#include "../dojo.h"

#define DJ_ERRLEN 512

/* Pushes nil and a message; returns 2 (the `nil, message` convention). */
int dj_lua_fail(lua_State *L, const char *msg);
/* Registers the table, column, index and reader types and their functions into the module
   table at the top of the stack. */
void dj_lua_open_table(lua_State *L);

#endif
