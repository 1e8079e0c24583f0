/*
 * ltable.c -- Lua types over the kernel's tables: dojo.table, dojo.column, dojo.index and
 * dojo.csv_reader (module dojo.core).
 *
 * Theory of operation: a table userdata owns its dojo_table (freed by __gc/__close/close(),
 * all the same idempotent function). Column and index userdata point at the table's box and
 * keep the table userdata alive through their user value, so a column never outlives the
 * data it reads; after an explicit close() of the table they raise "table is closed".
 * Column access reads the kernel's arrays in place: nothing is copied into Lua until
 * asked (col[i], col:totable()). Rows are 1-based on this side, 0-based in C.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lcore.h"

#define INDEX_MT "dojo.index"
#define READER_MT "dojo.csv_reader"

typedef struct ibox {
    tbox *owner;
    dojo_index *idx;
} ibox;

typedef struct rbox {
    dojo_csv_reader *r;
} rbox;

static const char *type_name(int type)
{
    switch (type) {
    case DOJO_TYPE_INT: return "int";
    case DOJO_TYPE_FLOAT: return "float";
    case DOJO_TYPE_STRING: return "string";
    default: return "unknown";
    }
}

static int type_from_name(const char *s)
{
    if (strcmp(s, "int") == 0 || strcmp(s, "integer") == 0)
        return DOJO_TYPE_INT;
    if (strcmp(s, "float") == 0 || strcmp(s, "number") == 0)
        return DOJO_TYPE_FLOAT;
    if (strcmp(s, "string") == 0)
        return DOJO_TYPE_STRING;
    return 0;
}

/* ---- options ------------------------------------------------------------------------ */

static char single_char(lua_State *L, const char *key)
{
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (!s || len != 1)
        luaL_error(L, "option %s must be a one-character string", key);
    return s[0];
}

/* Reads the options table at index idx into *o. Unknown keys raise an error. */
static void check_csv_options(lua_State *L, int idx, dojo_csv_options *o)
{
    dojo_csv_options_init(o);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "CSV options must have string keys");
        const char *key = lua_tostring(L, -2);
        if (strcmp(key, "delimiter") == 0)
            o->delimiter = single_char(L, key);
        else if (strcmp(key, "quote") == 0)
            o->quote = single_char(L, key);
        else if (strcmp(key, "header") == 0)
            o->header = lua_toboolean(L, -1);
        else if (strcmp(key, "untrusted") == 0)
            o->untrusted = lua_toboolean(L, -1);
        else if (strcmp(key, "max_file_bytes") == 0) {
            lua_Integer v = lua_tointeger(L, -1);
            if (v < 0 || !lua_isinteger(L, -1))
                luaL_error(L, "option max_file_bytes must be an integer >= 0");
            o->max_file_bytes = (uint64_t)v;
        } else if (strcmp(key, "max_record_bytes") == 0) {
            lua_Integer v = lua_tointeger(L, -1);
            if (v <= 0)
                luaL_error(L, "option max_record_bytes must be a positive integer");
            o->max_record_bytes = (size_t)v;
        } else if (strcmp(key, "columns") == 0) {
            o->columns = dj_lua_strings(L, -1, "option columns", &o->ncolumns);
            lua_insert(L, idx + 1); /* keep the scratch below the iteration keys */
        } else if (strcmp(key, "na_values") == 0) {
            o->na_values = dj_lua_strings(L, -1, "option na_values", &o->nna_values);
            lua_insert(L, idx + 1);
        } else if (strcmp(key, "types") == 0) {
            int t = lua_absindex(L, -1);
            luaL_checktype(L, t, LUA_TTABLE);
            size_t n = 0;
            lua_pushnil(L);
            while (lua_next(L, t)) {
                n++;
                lua_pop(L, 1);
            }
            const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0);
            int *types = lua_newuserdatauv(L, (n ? n : 1) * sizeof *types, 0);
            size_t i = 0;
            lua_pushnil(L);
            while (lua_next(L, t)) {
                if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                    luaL_error(L, "option types maps column names to \"int\", \"float\" or \"string\"");
                int ty = type_from_name(lua_tostring(L, -1));
                if (!ty)
                    luaL_error(L, "option types: unknown type '%s' for column '%s' (int, float or string)",
                               lua_tostring(L, -1), lua_tostring(L, -2));
                names[i] = lua_tostring(L, -2);
                types[i] = ty;
                i++;
                lua_pop(L, 1);
            }
            o->type_columns = names;
            o->types = types;
            o->ntypes = n;
            lua_insert(L, idx + 1);
            lua_insert(L, idx + 1);
        } else
            luaL_error(L, "unknown CSV option '%s' (delimiter, quote, header, max_record_bytes, "
                          "columns, na_values, types, untrusted, max_file_bytes)", key);
        lua_pop(L, 1);
    }
}

/* ---- table -------------------------------------------------------------------------- */

static tbox *push_table(lua_State *L, dojo_table *t)
{
    tbox *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->t = t;
    luaL_setmetatable(L, TABLE_MT);
    return b;
}

static tbox *check_tbox(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, TABLE_MT);
}

static dojo_table *check_table(lua_State *L, int idx)
{
    tbox *b = check_tbox(L, idx);
    if (!b->t)
        luaL_error(L, "table is closed");
    return b->t;
}

static int t_close(lua_State *L)
{
    tbox *b = check_tbox(L, 1);
    dojo_table_free(b->t);
    b->t = NULL;
    return 0;
}

/* table_read(path [, opts]) and table_parse(text [, opts]): one function, two sources. */
static int read_table(lua_State *L, int from_memory)
{
    size_t len;
    const char *src = luaL_checklstring(L, 1, &len);
    dojo_csv_options o;
    int top = lua_gettop(L);
    check_csv_options(L, 2, &o);
    char err[DJ_ERRLEN];
    dojo_table *t = from_memory ? dojo_table_parse_csv(src, len, &o, err, sizeof err)
                                : dojo_table_read_csv(src, &o, err, sizeof err);
    lua_settop(L, top);
    if (!t)
        return dj_lua_fail(L, err);
    push_table(L, t);
    return 1;
}

static int l_table_read(lua_State *L) { return read_table(L, 0); }

/* table_read2(path1, opts1, path2, opts2) -> t1 | nil, err1, t2 | nil, err2: two files read
   at once (dojo_table_read_csv2). */
/* Two options tables at stack slots i1 < i2 (the stack is cut to i2 first, and the second
   is read first: the first's scratch values are pushed above it). */
static void check_two_csv_options(lua_State *L, int i1, dojo_csv_options *o1, int i2,
                                  dojo_csv_options *o2)
{
    lua_settop(L, i2);
    check_csv_options(L, i2, o2);
    check_csv_options(L, i1, o1);
}

/* score_files_stream(metric, truth, truth_opts, pred, pred_opts) -> score | nil [, message]:
   both files streamed (dojo_score_files_stream); nil alone when not a case it takes. */
static int l_score_files_stream(lua_State *L)
{
    const char *metric = luaL_checkstring(L, 1);
    const char *tp = luaL_checkstring(L, 2);
    const char *pp = luaL_checkstring(L, 4);
    dojo_csv_options to, po;
    check_two_csv_options(L, 3, &to, 5, &po);
    char err[DJ_ERRLEN];
    double v = 0;
    int rc = dojo_score_files_stream(metric, tp, &to, pp, &po, &v, err, sizeof err);
    lua_settop(L, 5);
    if (rc < 0)
        return dj_lua_fail(L, err);
    if (rc == 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, v);
    return 1;
}

static int l_table_read2(lua_State *L)
{
    const char *p1 = luaL_checkstring(L, 1);
    const char *p2 = luaL_checkstring(L, 3);
    dojo_csv_options o1, o2;
    check_two_csv_options(L, 2, &o1, 4, &o2);
    char e1[DJ_ERRLEN], e2[DJ_ERRLEN];
    e1[0] = e2[0] = '\0';
    dojo_table *t1, *t2;
    dojo_table_read_csv2(p1, &o1, p2, &o2, &t1, &t2, e1, e2, sizeof e1);
    lua_settop(L, 4);
    if (t1)
        push_table(L, t1);
    else
        lua_pushnil(L);
    if (t1)
        lua_pushnil(L);
    else
        lua_pushstring(L, e1);
    if (t2)
        push_table(L, t2);
    else
        lua_pushnil(L);
    if (t2)
        lua_pushnil(L);
    else
        lua_pushstring(L, e2);
    return 4;
}
static int l_table_parse(lua_State *L) { return read_table(L, 1); }

/* Lua value at the top of the stack fits an int64 column? */
static int is_integral(lua_State *L, int idx)
{
    if (lua_isinteger(L, idx))
        return 1;
    lua_Number x = lua_tonumber(L, idx);
    return x == floor(x) && fabs(x) < 9007199254740992.0;
}

/* core.table_new(spec): spec = { {name=, values=, type=?, n=?}, ... } */
static int l_table_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    char err[DJ_ERRLEN];
    dojo_table *t = dojo_table_new();
    if (!t)
        return luaL_error(L, "out of memory");
    tbox *b = push_table(L, t); /* owned by Lua from here: errors below do not leak it */
    size_t ncol = (size_t)lua_rawlen(L, 1);
    for (size_t c = 1; c <= ncol; c++) {
        lua_rawgeti(L, 1, (lua_Integer)c);
        int spec = lua_gettop(L);
        if (!lua_istable(L, spec))
            return luaL_error(L, "column %d: expected a table {name=..., values=...}", (int)c);
        lua_getfield(L, spec, "name");
        const char *name = lua_tostring(L, -1);
        if (!name)
            return luaL_error(L, "column %d: name must be a string", (int)c);
        lua_getfield(L, spec, "values");
        int vals = lua_gettop(L);
        if (!lua_istable(L, vals))
            return luaL_error(L, "column '%s': values must be a table", name);
        lua_getfield(L, spec, "n");
        size_t n = lua_isnil(L, -1) ? (size_t)lua_rawlen(L, vals) : (size_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, spec, "type");
        int type = 0;
        if (!lua_isnil(L, -1)) {
            const char *tn = lua_tostring(L, -1);
            type = tn ? type_from_name(tn) : 0;
            if (!type)
                return luaL_error(L, "column '%s': type must be \"int\", \"float\" or \"string\"", name);
        }
        lua_pop(L, 1);
        if (!type) { /* infer: all integral numbers -> int, all numbers -> float, all strings */
            int seen_num = 0, seen_str = 0, all_int = 1;
            for (size_t i = 1; i <= n; i++) {
                int lt = lua_rawgeti(L, vals, (lua_Integer)i);
                if (lt == LUA_TNUMBER) {
                    seen_num = 1;
                    if (!is_integral(L, -1))
                        all_int = 0;
                } else if (lt == LUA_TSTRING)
                    seen_str = 1;
                else if (lt != LUA_TNIL)
                    return luaL_error(L, "column '%s', row %d: %s is not a number or a string",
                                      name, (int)i, luaL_typename(L, -1));
                lua_pop(L, 1);
            }
            if (seen_num && seen_str)
                return luaL_error(L, "column '%s' mixes numbers and strings; give it a type", name);
            type = seen_str ? DOJO_TYPE_STRING : (seen_num && all_int) ? DOJO_TYPE_INT : DOJO_TYPE_FLOAT;
        }
        unsigned char *miss = lua_newuserdatauv(L, n ? n : 1, 0);
        int rc;
        if (type == DOJO_TYPE_STRING) {
            int64_t *offs = lua_newuserdatauv(L, (n + 1) * sizeof *offs, 0);
            luaL_Buffer buf;
            luaL_buffinit(L, &buf);
            offs[0] = 0;
            for (size_t i = 1; i <= n; i++) {
                lua_rawgeti(L, vals, (lua_Integer)i);
                size_t len = 0;
                const char *s = NULL;
                miss[i - 1] = lua_isnil(L, -1);
                if (!miss[i - 1]) {
                    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
                        return luaL_error(L, "column '%s', row %d: expected a string", name, (int)i);
                    s = lua_tolstring(L, -1, &len);
                }
                lua_pop(L, 1);
                if (len)
                    luaL_addlstring(&buf, s, len);
                offs[i] = offs[i - 1] + (int64_t)len;
            }
            luaL_pushresult(&buf);
            rc = dojo_table_add_strings(b->t, name, lua_tostring(L, -1), offs, miss, n, err, sizeof err);
        } else if (type == DOJO_TYPE_INT) {
            int64_t *v = lua_newuserdatauv(L, (n ? n : 1) * sizeof *v, 0);
            for (size_t i = 1; i <= n; i++) {
                lua_rawgeti(L, vals, (lua_Integer)i);
                miss[i - 1] = lua_isnil(L, -1);
                v[i - 1] = 0;
                if (!miss[i - 1]) {
                    int ok;
                    lua_Integer x = lua_tointegerx(L, -1, &ok);
                    if (!ok)
                        return luaL_error(L, "column '%s', row %d: not an integer", name, (int)i);
                    v[i - 1] = (int64_t)x;
                }
                lua_pop(L, 1);
            }
            rc = dojo_table_add_ints(b->t, name, v, miss, n, err, sizeof err);
        } else {
            double *v = lua_newuserdatauv(L, (n ? n : 1) * sizeof *v, 0);
            for (size_t i = 1; i <= n; i++) {
                lua_rawgeti(L, vals, (lua_Integer)i);
                miss[i - 1] = lua_isnil(L, -1);
                v[i - 1] = 0;
                if (!miss[i - 1]) {
                    int ok;
                    v[i - 1] = (double)lua_tonumberx(L, -1, &ok);
                    if (!ok)
                        return luaL_error(L, "column '%s', row %d: not a number", name, (int)i);
                }
                lua_pop(L, 1);
            }
            rc = dojo_table_add_floats(b->t, name, v, miss, n, err, sizeof err);
        }
        if (rc < 0)
            return luaL_error(L, "%s", err);
        lua_settop(L, 2); /* the spec array and the table userdata */
    }
    return 1;
}

static int t_names(lua_State *L)
{
    dojo_table *t = check_table(L, 1);
    size_t n = dojo_table_ncols(t);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, dojo_table_column_name(t, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* Column number (0-based) named or numbered (1-based) by the argument at idx. */
static size_t check_colno(lua_State *L, dojo_table *t, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer i = luaL_checkinteger(L, idx);
        luaL_argcheck(L, i >= 1 && (size_t)i <= dojo_table_ncols(t), idx, "column number out of range");
        return (size_t)i - 1;
    }
    const char *name = luaL_checkstring(L, idx);
    int64_t c = dojo_table_column_find(t, name);
    if (c < 0)
        luaL_error(L, "no column named '%s'", name);
    return (size_t)c;
}

static int t_has(lua_State *L)
{
    dojo_table *t = check_table(L, 1);
    lua_pushboolean(L, dojo_table_column_find(t, luaL_checkstring(L, 2)) >= 0);
    return 1;
}

static int t_column(lua_State *L)
{
    tbox *b = check_tbox(L, 1);
    dojo_table *t = check_table(L, 1);
    size_t c = check_colno(L, t, 2);
    cbox *cb = lua_newuserdatauv(L, sizeof *cb, 1);
    cb->owner = b;
    cb->col = c;
    cb->n = dojo_table_nrows(t);
    cb->type = dojo_table_column_type(t, c);
    luaL_setmetatable(L, COLUMN_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int t_index(lua_State *L)
{
    tbox *b = check_tbox(L, 1);
    dojo_table *t = check_table(L, 1);
    size_t c = check_colno(L, t, 2);
    char err[DJ_ERRLEN];
    dojo_index *idx = dojo_index_new(t, c, err, sizeof err);
    if (!idx)
        return dj_lua_fail(L, err);
    ibox *ib = lua_newuserdatauv(L, sizeof *ib, 1);
    ib->owner = b;
    ib->idx = idx;
    luaL_setmetatable(L, INDEX_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int t_write(lua_State *L)
{
    dojo_table *t = check_table(L, 1);
    const char *path = luaL_checkstring(L, 2);
    char err[DJ_ERRLEN];
    if (dojo_table_write_csv(t, path, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int t_format(lua_State *L)
{
    dojo_table *t = check_table(L, 1);
    char err[DJ_ERRLEN];
    size_t len;
    char *s = dojo_table_format_csv(t, &len, err, sizeof err);
    if (!s)
        return dj_lua_fail(L, err);
    lua_pushlstring(L, s, len);
    dojo_free(s);
    return 1;
}

static int t_take(lua_State *L)
{
    dojo_table *t = check_table(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = (size_t)lua_rawlen(L, 2), nrows = dojo_table_nrows(t);
    int64_t *rows = lua_newuserdatauv(L, (n ? n : 1) * sizeof *rows, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        int ok;
        lua_Integer r = lua_tointegerx(L, -1, &ok);
        if (!ok || r < 1 || (size_t)r > nrows)
            return luaL_error(L, "take: entry %d is not a row number in 1..%d", (int)i + 1, (int)nrows);
        rows[i] = (int64_t)r - 1;
        lua_pop(L, 1);
    }
    char err[DJ_ERRLEN];
    dojo_table *out = dojo_table_take(t, rows, n, err, sizeof err);
    if (!out)
        return dj_lua_fail(L, err);
    push_table(L, out);
    return 1;
}

static int t_select(lua_State *L)
{
    dojo_table *t = check_table(L, 1);
    size_t n;
    const char **names = dj_lua_strings(L, 2, "select", &n);
    char err[DJ_ERRLEN];
    dojo_table *out = dojo_table_select(t, names, n, err, sizeof err);
    if (!out)
        return dj_lua_fail(L, err);
    push_table(L, out);
    return 1;
}

static int t_tostring(lua_State *L)
{
    tbox *b = check_tbox(L, 1);
    if (!b->t)
        lua_pushliteral(L, "dojo.table (closed)");
    else
        lua_pushfstring(L, "dojo.table (%d rows x %d columns)", (int)dojo_table_nrows(b->t),
                        (int)dojo_table_ncols(b->t));
    return 1;
}

static int t_index_meta(lua_State *L)
{
    const char *key = lua_tostring(L, 2);
    if (key && strcmp(key, "nrows") == 0) {
        lua_pushinteger(L, (lua_Integer)dojo_table_nrows(check_table(L, 1)));
        return 1;
    }
    if (key && strcmp(key, "ncols") == 0) {
        lua_pushinteger(L, (lua_Integer)dojo_table_ncols(check_table(L, 1)));
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* ---- column ------------------------------------------------------------------------- */

cbox *dj_lua_testcolumn(lua_State *L, int idx)
{
    cbox *c = luaL_testudata(L, idx, COLUMN_MT);
    if (c && !c->owner->t)
        luaL_error(L, "table is closed");
    return c;
}

static cbox *check_col(lua_State *L, int idx)
{
    cbox *c = luaL_checkudata(L, idx, COLUMN_MT);
    if (!c->owner->t)
        luaL_error(L, "table is closed");
    return c;
}

/* Pushes row i (0-based) of the column; nil when missing. */
static void push_cell(lua_State *L, const cbox *c, size_t i)
{
    const dojo_table *t = c->owner->t;
    const unsigned char *miss = dojo_table_column_missing(t, c->col);
    if (miss && miss[i]) {
        lua_pushnil(L);
        return;
    }
    switch (c->type) {
    case DOJO_TYPE_INT:
        lua_pushinteger(L, (lua_Integer)dojo_table_column_ints(t, c->col)[i]);
        break;
    case DOJO_TYPE_FLOAT:
        lua_pushnumber(L, (lua_Number)dojo_table_column_floats(t, c->col)[i]);
        break;
    default: {
        const int64_t *offs;
        const char *s = dojo_table_column_strings(t, c->col, &offs);
        lua_pushlstring(L, s + offs[i], (size_t)(offs[i + 1] - offs[i]));
    }
    }
}

static size_t check_row(lua_State *L, const cbox *c, int idx)
{
    lua_Integer i = luaL_checkinteger(L, idx);
    luaL_argcheck(L, i >= 1 && (size_t)i <= c->n, idx, "row out of range");
    return (size_t)i - 1;
}

static int c_get(lua_State *L)
{
    cbox *c = check_col(L, 1);
    push_cell(L, c, check_row(L, c, 2));
    return 1;
}

static int c_is_missing(lua_State *L)
{
    cbox *c = check_col(L, 1);
    size_t i = check_row(L, c, 2);
    const unsigned char *miss = dojo_table_column_missing(c->owner->t, c->col);
    lua_pushboolean(L, miss && miss[i]);
    return 1;
}

static int c_totable(lua_State *L)
{
    cbox *c = check_col(L, 1);
    lua_createtable(L, (int)c->n, 0);
    for (size_t i = 0; i < c->n; i++) {
        push_cell(L, c, i);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushinteger(L, (lua_Integer)c->n);
    return 2;
}

/* col:first_bad([lo [, hi]]) -> first row (1-based) missing, NaN, inf or outside [lo, hi] */
static int c_first_bad(lua_State *L)
{
    cbox *c = check_col(L, 1);
    double lo = (double)luaL_optnumber(L, 2, -HUGE_VAL), hi = (double)luaL_optnumber(L, 3, HUGE_VAL);
    int64_t r = dojo_table_column_first_bad(c->owner->t, c->col, lo, hi);
    if (r < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)r + 1);
    return 1;
}

static int c_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_col(L, 1)->n);
    return 1;
}

static int c_index_meta(lua_State *L)
{
    cbox *c = check_col(L, 1);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        int ok;
        lua_Integer i = lua_tointegerx(L, 2, &ok);
        if (ok && i >= 1 && (size_t)i <= c->n)
            push_cell(L, c, (size_t)i - 1);
        else
            lua_pushnil(L);
        return 1;
    }
    const char *key = lua_tostring(L, 2);
    if (key) {
        if (strcmp(key, "n") == 0) {
            lua_pushinteger(L, (lua_Integer)c->n);
            return 1;
        }
        if (strcmp(key, "name") == 0) {
            lua_pushstring(L, dojo_table_column_name(c->owner->t, c->col));
            return 1;
        }
        if (strcmp(key, "type") == 0) {
            lua_pushstring(L, type_name(c->type));
            return 1;
        }
        if (strcmp(key, "nmissing") == 0) {
            lua_pushinteger(L, (lua_Integer)dojo_table_column_nmissing(c->owner->t, c->col));
            return 1;
        }
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

static int c_tostring(lua_State *L)
{
    cbox *c = luaL_checkudata(L, 1, COLUMN_MT);
    if (!c->owner->t)
        lua_pushliteral(L, "dojo.column (table closed)");
    else
        lua_pushfstring(L, "dojo.column '%s' (%s, %d rows)", dojo_table_column_name(c->owner->t, c->col),
                        type_name(c->type), (int)c->n);
    return 1;
}

/* ---- index -------------------------------------------------------------------------- */

static ibox *check_index(lua_State *L, int idx)
{
    ibox *b = luaL_checkudata(L, idx, INDEX_MT);
    if (!b->idx)
        luaL_error(L, "index is closed");
    if (!b->owner->t)
        luaL_error(L, "table is closed");
    return b;
}

static int i_close(lua_State *L)
{
    ibox *b = luaL_checkudata(L, 1, INDEX_MT);
    dojo_index_free(b->idx);
    b->idx = NULL;
    return 0;
}

static int i_find(lua_State *L)
{
    ibox *b = check_index(L, 1);
    int64_t row;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        int ok;
        lua_Integer k = lua_tointegerx(L, 2, &ok);
        if (ok)
            row = dojo_index_find_int(b->idx, (int64_t)k);
        else { /* 1.5 can only match as text */
            size_t len;
            const char *s = lua_tolstring(L, 2, &len);
            row = dojo_index_find_string(b->idx, s, len);
        }
    } else {
        size_t len;
        const char *s = luaL_checklstring(L, 2, &len);
        row = dojo_index_find_string(b->idx, s, len);
    }
    if (row < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)row + 1);
    return 1;
}

/* idx:read_aligned(path [, opts]) -> table | nil, message: a submission read straight into
   the indexed table's row order (dojo_table_read_csv_aligned; nil unless the file is clean). */
static int i_read_aligned(lua_State *L)
{
    ibox *b = check_index(L, 1);
    const char *path = luaL_checkstring(L, 2);
    int top = lua_gettop(L);
    dojo_csv_options o;
    check_csv_options(L, 3, &o);
    char err[DJ_ERRLEN];
    dojo_table *t = dojo_table_read_csv_aligned(path, &o, b->idx, err, sizeof err);
    lua_settop(L, top);
    if (!t)
        return dj_lua_fail(L, err);
    push_table(L, t);
    return 1;
}

/* idx:score_stream(metric, column, path [, opts [, split_column]]) -> score, public, private
   | nil [, message]: the submission scored while it is read (dojo_score_stream) against the
   indexed table's column number `column`, with Kaggle's split column (a number) the public
   and the private part's scores too (nil for a part without rows); nil alone when this is
   not a case the stream takes. */
static int i_score_stream(lua_State *L)
{
    ibox *b = check_index(L, 1);
    const char *metric = luaL_checkstring(L, 2);
    lua_Integer col = luaL_checkinteger(L, 3);
    const char *path = luaL_checkstring(L, 4);
    lua_Integer split = luaL_optinteger(L, 6, 0);
    luaL_argcheck(L, col >= 1, 3, "column number must be positive");
    luaL_argcheck(L, split >= 0, 6, "column number must be positive");
    lua_settop(L, 5);
    dojo_csv_options o;
    check_csv_options(L, 5, &o);
    char err[DJ_ERRLEN];
    double v = 0, parts[2] = {NAN, NAN};
    int rc = dojo_score_stream(metric, b->idx, (size_t)col - 1,
                               split ? (size_t)split - 1 : DOJO_NO_COLUMN, path, &o, &v, parts, err,
                               sizeof err);
    lua_settop(L, 5);
    if (rc < 0)
        return dj_lua_fail(L, err);
    if (rc == 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushnumber(L, v);
    for (int k = 0; k < 2; k++) {
        if (isnan(parts[k]))
            lua_pushnil(L);
        else
            lua_pushnumber(L, parts[k]);
    }
    return 3;
}

static int i_duplicates(lua_State *L)
{
    ibox *b = check_index(L, 1);
    lua_Integer max = luaL_optinteger(L, 2, 10);
    luaL_argcheck(L, max >= 0 && max <= 1000000, 2, "limit must be in 0..1000000");
    int64_t *rows = lua_newuserdatauv(L, (size_t)(max ? max : 1) * sizeof *rows, 0);
    size_t count = dojo_index_duplicates(b->idx, rows, (size_t)max);
    size_t shown = count < (size_t)max ? count : (size_t)max;
    lua_pushinteger(L, (lua_Integer)count);
    lua_createtable(L, (int)shown, 0);
    for (size_t i = 0; i < shown; i++) {
        lua_pushinteger(L, (lua_Integer)rows[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 2;
}

static int i_match(lua_State *L)
{
    ibox *b = check_index(L, 1);
    cbox *c = check_col(L, 2);
    size_t n = c->n;
    int64_t *rows = lua_newuserdatauv(L, (n ? n : 1) * sizeof *rows, 0);
    char err[DJ_ERRLEN];
    if (dojo_index_match(b->idx, c->owner->t, c->col, rows, err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    lua_createtable(L, (int)n, 0);
    lua_Integer unmatched = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i] < 0) {
            unmatched++;
            lua_pushboolean(L, 0);
        } else
            lua_pushinteger(L, (lua_Integer)rows[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushinteger(L, unmatched);
    return 2;
}

static void push_rows(lua_State *L, const char *key, const int64_t *ex, uint64_t count, size_t max)
{
    size_t k = count < max ? (size_t)count : max;
    lua_createtable(L, (int)k, 0);
    for (size_t i = 0; i < k; i++) {
        lua_pushinteger(L, (lua_Integer)ex[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, key);
}

/* idx:join(col [, max [, names]]) -> aligned | false, stats. One pass over col's keys
   (dojo_index_align); when every key matches exactly one indexed row and every indexed row
   is matched, aligned is a new table holding the indexed table's rows in col's order: the
   columns named in the list names (default: all of them). stats: unmatched, duplicates,
   missing (counts) and unmatched_rows, duplicate_rows (rows of col's table), missing_rows
   (indexed rows), the first max (default 5) of each, 1-based. */
static int i_join(lua_State *L)
{
    ibox *b = check_index(L, 1);
    cbox *c = check_col(L, 2);
    lua_Integer max = luaL_optinteger(L, 3, 5);
    luaL_argcheck(L, max >= 0 && max <= 1000, 3, "limit must be in 0..1000");
    size_t *cols = NULL, ncols = 0;
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        ncols = (size_t)lua_rawlen(L, 4);
        cols = lua_newuserdatauv(L, (ncols ? ncols : 1) * sizeof *cols, 0);
        for (size_t j = 0; j < ncols; j++) {
            lua_rawgeti(L, 4, (lua_Integer)j + 1);
            const char *name = lua_tostring(L, -1);
            int64_t k = name ? dojo_table_column_find(b->owner->t, name) : -1;
            if (k < 0)
                return luaL_argerror(L, 4, lua_pushfstring(L, "the indexed table has no column '%s'",
                                                           name ? name : "?"));
            cols[j] = (size_t)k;
            lua_pop(L, 1);
        }
    }
    int64_t *ex = lua_newuserdatauv(L, (size_t)(3 * max + 1) * sizeof *ex, 0);
    dojo_join st;
    dojo_table *out = NULL;
    char err[DJ_ERRLEN];
    if (dojo_index_align(b->idx, c->owner->t, c->col, cols, ncols, &out, &st, ex, (size_t)max,
                         err, sizeof err) < 0)
        return dj_lua_fail(L, err);
    if (out)
        push_table(L, out);
    else
        lua_pushboolean(L, 0);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, (lua_Integer)st.unmatched);
    lua_setfield(L, -2, "unmatched");
    lua_pushinteger(L, (lua_Integer)st.duplicates);
    lua_setfield(L, -2, "duplicates");
    lua_pushinteger(L, (lua_Integer)st.missing);
    lua_setfield(L, -2, "missing");
    push_rows(L, "unmatched_rows", ex, st.unmatched, (size_t)max);
    push_rows(L, "duplicate_rows", ex + max, st.duplicates, (size_t)max);
    push_rows(L, "missing_rows", ex + 2 * max, st.missing, (size_t)max);
    return 2;
}

static int i_index_meta(lua_State *L)
{
    const char *key = lua_tostring(L, 2);
    if (key && strcmp(key, "nkeys") == 0) {
        lua_pushinteger(L, (lua_Integer)dojo_index_nkeys(check_index(L, 1)->idx));
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* ---- streaming reader --------------------------------------------------------------- */

static int l_csv_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    dojo_csv_options o;
    int top = lua_gettop(L);
    check_csv_options(L, 2, &o);
    char err[DJ_ERRLEN];
    dojo_csv_reader *r = dojo_csv_reader_open(path, &o, err, sizeof err);
    lua_settop(L, top);
    if (!r)
        return dj_lua_fail(L, err);
    rbox *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->r = r;
    luaL_setmetatable(L, READER_MT);
    return 1;
}

static rbox *check_reader(lua_State *L)
{
    rbox *b = luaL_checkudata(L, 1, READER_MT);
    if (!b->r)
        luaL_error(L, "reader is closed");
    return b;
}

static int r_close(lua_State *L)
{
    rbox *b = luaL_checkudata(L, 1, READER_MT);
    dojo_csv_reader_free(b->r);
    b->r = NULL;
    return 0;
}

/* reader:next([max_rows]) -> table | false (end of file) | nil, message */
static int r_next(lua_State *L)
{
    rbox *b = check_reader(L);
    lua_Integer max = luaL_optinteger(L, 2, 65536);
    luaL_argcheck(L, max >= 1, 2, "max_rows must be >= 1");
    dojo_table *t = NULL;
    char err[DJ_ERRLEN];
    int rc = dojo_csv_reader_next(b->r, (size_t)max, &t, err, sizeof err);
    if (rc < 0)
        return dj_lua_fail(L, err);
    if (rc == 0) {
        lua_pushboolean(L, 0);
        return 1;
    }
    push_table(L, t);
    return 1;
}

static int r_offset(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)dojo_csv_reader_offset(check_reader(L)->r));
    return 1;
}

/* ---- registration ------------------------------------------------------------------- */

static void new_type(lua_State *L, const char *name, const luaL_Reg *methods,
                     lua_CFunction index_fn, lua_CFunction gc, lua_CFunction tostring,
                     lua_CFunction len)
{
    luaL_newmetatable(L, name);
    lua_newtable(L); /* the methods table, upvalue of the __index function */
    luaL_setfuncs(L, methods, 0);
    if (index_fn)
        lua_pushcclosure(L, index_fn, 1);
    lua_setfield(L, -2, "__index");
    if (gc) {
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__close");
    }
    if (tostring) {
        lua_pushcfunction(L, tostring);
        lua_setfield(L, -2, "__tostring");
    }
    if (len) {
        lua_pushcfunction(L, len);
        lua_setfield(L, -2, "__len");
    }
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
}

static const luaL_Reg table_methods[] = {
    {"names", t_names},   {"column", t_column}, {"has", t_has},       {"index", t_index},
    {"write", t_write},   {"format", t_format}, {"take", t_take},     {"select", t_select},
    {"close", t_close},   {NULL, NULL},
};
static const luaL_Reg column_methods[] = {
    {"get", c_get}, {"is_missing", c_is_missing}, {"totable", c_totable}, {"len", c_len},
    {"first_bad", c_first_bad},
    {NULL, NULL},
};
static const luaL_Reg index_methods[] = {
    {"find", i_find}, {"duplicates", i_duplicates}, {"match", i_match},
    {"join", i_join}, {"read_aligned", i_read_aligned},
    {"score_stream", i_score_stream}, {"close", i_close},
    {NULL, NULL},
};
static const luaL_Reg reader_methods[] = {
    {"next", r_next}, {"offset", r_offset}, {"close", r_close}, {NULL, NULL},
};
static const luaL_Reg table_functions[] = {
    {"table_read", l_table_read}, {"table_read2", l_table_read2}, {"table_parse", l_table_parse}, {"table_new", l_table_new},
    {"csv_open", l_csv_open},     {"score_files_stream", l_score_files_stream},
    {NULL, NULL},
};

void dj_lua_open_table(lua_State *L)
{
    new_type(L, TABLE_MT, table_methods, t_index_meta, t_close, t_tostring, NULL);
    new_type(L, COLUMN_MT, column_methods, c_index_meta, NULL, c_tostring, c_len);
    new_type(L, INDEX_MT, index_methods, i_index_meta, i_close, NULL, NULL);
    luaL_newmetatable(L, READER_MT);
    luaL_newlib(L, reader_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, r_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, r_close);
    lua_setfield(L, -2, "__close");
    lua_pop(L, 1);
    luaL_setfuncs(L, table_functions, 0);
}
