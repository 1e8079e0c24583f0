/*
 * lmetrics.c -- the metric kernels as Lua functions (module dojo.core).
 *
 * Theory of operation: a metric's inputs are "vectors": a dojo.column (read in place, no
 * copy when its type already fits) or a Lua array. Multi-column inputs are lists of
 * vectors, gathered here into the row-major n x k arrays the kernels take. Scratch arrays
 * are userdata on the Lua stack, so an error unwinding through luaL_error leaks nothing.
 * A missing value in an input is a data problem, reported as `nil, message`; a wrong
 * argument type raises. The choice of metric, label encoding and parameters is Lua's
 * (lua/dojo/metrics.lua); these functions only marshal and compute.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lcore.h"
#include "internal.h"

/* Failure of a data check: the message is left in msg, the caller returns nil, msg. */
typedef struct vfail {
    char msg[DJ_ERRLEN];
    int failed;
} vfail;


/* A scratch array as a userdata (freed with the Lua value); a big one is marked for
   transparent huge pages (dj_big_hint), as its pages are all about to be written. */
static void *scratch(lua_State *L, size_t bytes)
{
    void *p = lua_newuserdatauv(L, bytes ? bytes : 1, 0);
    dj_big_hint(p, bytes);
    return p;
}

static size_t vec_len(lua_State *L, int idx, const char *what)
{
    cbox *c = dj_lua_testcolumn(L, idx);
    if (c)
        return c->n;
    if (!lua_istable(L, idx))
        luaL_error(L, "%s must be a dojo.column or an array", what);
    return (size_t)lua_rawlen(L, idx);
}

static int missing_at(const cbox *c, size_t i)
{
    const unsigned char *m = dojo_table_column_missing(c->owner->t, c->col);
    return m && m[i];
}

/* Copies vector idx (n values) into out[j * stride] as doubles. */
static void vec_doubles(lua_State *L, int idx, size_t n, double *out, size_t stride,
                        const char *what, vfail *f)
{
    cbox *c = dj_lua_testcolumn(L, idx);
    if (c) {
        const dojo_table *t = c->owner->t;
        if (c->type == DOJO_TYPE_STRING) {
            snprintf(f->msg, sizeof f->msg, "%s: column '%s' holds text, not numbers", what,
                     dojo_table_column_name(t, c->col));
            f->failed = 1;
            return;
        }
        const int64_t *iv = dojo_table_column_ints(t, c->col);
        const double *dv = dojo_table_column_floats(t, c->col);
        const unsigned char *m = dojo_table_column_missing(t, c->col);
        for (size_t i = 0; i < n; i++) {
            if (m && m[i]) {
                snprintf(f->msg, sizeof f->msg, "%s: row %zu is missing", what, i + 1);
                f->failed = 1;
                return;
            }
            out[i * stride] = iv ? (double)iv[i] : dv[i];
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int ok;
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        double v = (double)lua_tonumberx(L, -1, &ok);
        lua_pop(L, 1);
        if (!ok) {
            snprintf(f->msg, sizeof f->msg, "%s: row %zu is not a number", what, i + 1);
            f->failed = 1;
            return;
        }
        out[i * stride] = v;
    }
}

static void vec_ints(lua_State *L, int idx, size_t n, int64_t *out, const char *what, vfail *f)
{
    cbox *c = dj_lua_testcolumn(L, idx);
    if (c) {
        const int64_t *iv = dojo_table_column_ints(c->owner->t, c->col);
        if (!iv) {
            snprintf(f->msg, sizeof f->msg, "%s: column '%s' does not hold class ids (integers)",
                     what, dojo_table_column_name(c->owner->t, c->col));
            f->failed = 1;
            return;
        }
        const unsigned char *m = dojo_table_column_missing(c->owner->t, c->col);
        for (size_t i = 0; i < n; i++) {
            if (m && m[i]) {
                snprintf(f->msg, sizeof f->msg, "%s: row %zu is missing", what, i + 1);
                f->failed = 1;
                return;
            }
            out[i] = iv[i];
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int ok;
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        lua_pop(L, 1);
        if (!ok) {
            snprintf(f->msg, sizeof f->msg, "%s: row %zu is not a class id (an integer)", what, i + 1);
            f->failed = 1;
            return;
        }
        out[i] = (int64_t)v;
    }
}

/* A string vector: a string column in place, or a Lua array gathered into a buffer.
   Leaves one scratch value on the stack in the array case. */
static const char *vec_strings(lua_State *L, int idx, size_t n, const int64_t **offs,
                               const char *what, vfail *f)
{
    cbox *c = dj_lua_testcolumn(L, idx);
    if (c) {
        const char *data = dojo_table_column_strings(c->owner->t, c->col, offs);
        if (!data) {
            snprintf(f->msg, sizeof f->msg, "%s: column '%s' does not hold text", what,
                     dojo_table_column_name(c->owner->t, c->col));
            f->failed = 1;
            return NULL;
        }
        const unsigned char *m = dojo_table_column_missing(c->owner->t, c->col);
        for (size_t i = 0; m && i < n; i++)
            if (m[i]) {
                snprintf(f->msg, sizeof f->msg, "%s: row %zu is missing", what, i + 1);
                f->failed = 1;
                return NULL;
            }
        return data;
    }
    int64_t *o = scratch(L, (n + 1) * sizeof *o);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    o[0] = 0;
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (!s) {
            lua_pop(L, 1);
            snprintf(f->msg, sizeof f->msg, "%s: row %zu is not a string", what, i + 1);
            f->failed = 1;
            luaL_pushresult(&b);
            return NULL;
        }
        luaL_addvalue(&b); /* pops the string */
        o[i + 1] = o[i] + (int64_t)len;
    }
    luaL_pushresult(&b);
    *offs = o;
    return lua_tostring(L, -1);
}

static const char *const average_names[] = {"binary", "macro", "micro", "weighted", "samples", NULL};

/* Reads the params table at idx (may be nil) into *p; unknown keys raise. */
static void check_params(lua_State *L, int idx, dojo_metric_params *p)
{
    dojo_metric_params_init(p);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        if (strcmp(key, "eps") == 0)
            p->eps = luaL_checknumber(L, -1);
        else if (strcmp(key, "k") == 0)
            p->k = (int64_t)luaL_checkinteger(L, -1);
        else if (strcmp(key, "pos_label") == 0)
            p->pos_label = (int64_t)luaL_checkinteger(L, -1);
        else if (strcmp(key, "nclasses") == 0)
            p->nclasses = (int64_t)luaL_checkinteger(L, -1);
        else if (strcmp(key, "average") == 0)
            p->average = luaL_checkoption(L, -1, NULL, average_names);
        else if (strcmp(key, "renormalize") == 0)
            p->renormalize = lua_toboolean(L, -1);
        else if (strcmp(key, "height") == 0)
            p->height = (int64_t)luaL_checkinteger(L, -1);
        else if (strcmp(key, "width") == 0)
            p->width = (int64_t)luaL_checkinteger(L, -1);
        else if (strcmp(key, "zero_division") == 0)
            p->zero_division = luaL_checknumber(L, -1);
        else if (strcmp(key, "labels") == 0)
            ; /* class names of a proba truth column: read by l_metric_proba */
        else
            luaL_error(L, "unknown metric parameter '%s' (eps, k, pos_label, nclasses, average, "
                          "renormalize, height, width, zero_division)", key);
        lua_pop(L, 1);
    }
}

/* The list argument at idx: k vectors of n rows each. */
static size_t list_shape(lua_State *L, int idx, const char *what, size_t *n)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    size_t k = (size_t)lua_rawlen(L, idx);
    if (k == 0)
        luaL_error(L, "%s: an empty list of columns", what);
    for (size_t j = 0; j < k; j++) {
        lua_rawgeti(L, idx, (lua_Integer)j + 1);
        size_t len = vec_len(L, lua_gettop(L), what);
        lua_pop(L, 1);
        if (j == 0)
            *n = len;
        else if (len != *n)
            luaL_error(L, "%s: columns of different lengths (%d and %d)", what, (int)*n, (int)len);
    }
    return k;
}

/* The values of vector idx in place: a float column of n rows without missing values. */
static const double *column_floats(lua_State *L, int idx, size_t n)
{
    cbox *c = dj_lua_testcolumn(L, idx);
    if (!c || c->type != DOJO_TYPE_FLOAT || c->n != n ||
        dojo_table_column_nmissing(c->owner->t, c->col) != 0)
        return NULL;
    return dojo_table_column_floats(c->owner->t, c->col);
}

/* Gathers the list at idx (k vectors of n rows) into a row-major n x k scratch array; a
   single float column without missing values is already that array and is used in place. */
static const double *gather(lua_State *L, int idx, size_t n, size_t k, const char *what,
                            vfail *f)
{
    if (k == 1 && n > 0) {
        lua_rawgeti(L, idx, 1);
        const double *in_place = column_floats(L, lua_gettop(L), n);
        lua_pop(L, 1); /* the list keeps the column (and its table) alive */
        if (in_place)
            return in_place;
    }
    double *a = scratch(L, (n * k > 0 ? n * k : 1) * sizeof *a);
    for (size_t j = 0; j < k && !f->failed; j++) {
        lua_rawgeti(L, idx, (lua_Integer)j + 1);
        vec_doubles(L, lua_gettop(L), n, a + j, k, what, f);
        lua_pop(L, 1);
    }
    return a;
}

static double *weights(lua_State *L, int idx, size_t n, vfail *f)
{
    if (lua_isnoneornil(L, idx))
        return NULL;
    if (vec_len(L, idx, "weights") != n)
        luaL_error(L, "weights: %d values for %d rows", (int)vec_len(L, idx, "weights"), (int)n);
    double *w = scratch(L, (n ? n : 1) * sizeof *w);
    vec_doubles(L, idx, n, w, 1, "weights", f);
    return w;
}

static int result(lua_State *L, int rc, double v, const char *err, vfail *f)
{
    if (f->failed)
        return dj_lua_fail(L, f->msg);
    if (rc < 0)
        return dj_lua_fail(L, err);
    lua_pushnumber(L, v);
    return 1;
}

/* Rows of the truth (argument 2) and the prediction (argument 3), which must agree. */
static size_t same_length(lua_State *L)
{
    size_t n = vec_len(L, 2, "truth"), np = vec_len(L, 3, "prediction");
    if (n != np)
        luaL_error(L, "truth has %d rows but the prediction has %d", (int)n, (int)np);
    return n;
}

/* metric_numeric(name, ys, ps [, w [, params]]): ys, ps lists of k vectors. */
static int l_metric_numeric(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    size_t n = 0, np = 0;
    size_t k = list_shape(L, 2, "truth", &n);
    size_t kp = list_shape(L, 3, "prediction", &np);
    if (k != kp || n != np)
        return luaL_error(L, "truth is %d x %d but the prediction is %d x %d", (int)n, (int)k,
                          (int)np, (int)kp);
    dojo_metric_params prm;
    check_params(L, 5, &prm);
    vfail f = {.failed = 0};
    double *w = weights(L, 4, n, &f);
    const double *y = gather(L, 2, n, k, "truth", &f);
    const double *p = gather(L, 3, n, k, "prediction", &f);
    char err[DJ_ERRLEN];
    double v = 0;
    int rc = f.failed ? -1 : dojo_metric_numeric(name, y, p, w, n, k, &prm, &v, err, sizeof err);
    return result(L, rc, v, err, &f);
}

/* metric_labels(name, y, p [, w [, params]]): vectors of class ids. */
static int l_metric_labels(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    size_t n = same_length(L);
    dojo_metric_params prm;
    check_params(L, 5, &prm);
    vfail f = {.failed = 0};
    double *w = weights(L, 4, n, &f);
    int64_t *y = scratch(L, (n ? n : 1) * sizeof *y);
    int64_t *p = scratch(L, (n ? n : 1) * sizeof *p);
    vec_ints(L, 2, n, y, "truth", &f);
    if (!f.failed)
        vec_ints(L, 3, n, p, "prediction", &f);
    char err[DJ_ERRLEN];
    double v = 0;
    int rc = f.failed ? -1 : dojo_metric_labels(name, y, p, w, n, &prm, &v, err, sizeof err);
    return result(L, rc, v, err, &f);
}

/* Class ids of a string column of labels, by their position in params.labels (a list of
   strings): a hash index over the class names, matched in C. */
static void labels_to_ids(lua_State *L, cbox *c, int params, int64_t *y, vfail *f)
{
    lua_getfield(L, params, "labels");
    int lt = lua_gettop(L);
    size_t k = (size_t)lua_rawlen(L, lt);
    int64_t *offs = lua_newuserdatauv(L, (k + 1) * sizeof *offs, 0);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    offs[0] = 0;
    for (size_t i = 0; i < k; i++) {
        lua_rawgeti(L, lt, (lua_Integer)i + 1);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (!s)
            luaL_error(L, "params.labels[%d] must be a string", (int)i + 1);
        luaL_addvalue(&b);
        offs[i + 1] = offs[i] + (int64_t)len;
    }
    luaL_pushresult(&b);
    char err[DJ_ERRLEN];
    dojo_table *t = dojo_table_new();
    dojo_index *idx = NULL;
    int rc = t ? dojo_table_add_strings(t, "label", lua_tostring(L, -1), offs, NULL, k, err, sizeof err) : -1;
    if (rc == 0) {
        idx = dojo_index_new(t, 0, err, sizeof err);
        rc = idx ? dojo_index_match(idx, c->owner->t, c->col, y, err, sizeof err) : -1;
    }
    dojo_index_free(idx);
    dojo_table_free(t);
    if (rc < 0) {
        snprintf(f->msg, sizeof f->msg, "truth: %.480s", t ? err : "out of memory");
        f->failed = 1;
        return;
    }
    const int64_t *offs_y;
    const char *data = dojo_table_column_strings(c->owner->t, c->col, &offs_y);
    for (size_t i = 0; i < c->n; i++)
        if (y[i] < 0) {
            if (missing_at(c, i))
                snprintf(f->msg, sizeof f->msg, "truth: row %zu is missing", i + 1);
            else
                snprintf(f->msg, sizeof f->msg, "truth: row %zu has the label '%.*s', which no probability "
                         "column names", i + 1, (int)(offs_y[i + 1] - offs_y[i] > 100 ? 100 : offs_y[i + 1] - offs_y[i]),
                         data + offs_y[i]);
            f->failed = 1;
            return;
        }
}

/* metric_proba(name, y, Ps [, w [, params]]): y class ids (or a string column of labels with
   params.labels naming the classes in Ps's order), Ps a list of k probability vectors. */
static int l_metric_proba(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    size_t n = vec_len(L, 2, "truth"), np = 0;
    size_t k = list_shape(L, 3, "prediction", &np);
    if (n != np)
        return luaL_error(L, "truth has %d rows but the prediction has %d", (int)n, (int)np);
    dojo_metric_params prm;
    check_params(L, 5, &prm);
    vfail f = {.failed = 0};
    double *w = weights(L, 4, n, &f);
    int64_t *y = scratch(L, (n ? n : 1) * sizeof *y);
    cbox *yc = dj_lua_testcolumn(L, 2);
    int named = 0;
    if (yc && yc->type == DOJO_TYPE_STRING && lua_istable(L, 5)) {
        lua_getfield(L, 5, "labels");
        named = lua_istable(L, -1);
        lua_pop(L, 1);
    }
    if (named) {
        labels_to_ids(L, yc, 5, y, &f);
        prm.nclasses = (int64_t)k;
    } else
        vec_ints(L, 2, n, y, "truth", &f);
    /* float columns without missing values are read in place; anything else is gathered */
    const double **cols = f.failed ? NULL : lua_newuserdatauv(L, k * sizeof *cols, 0);
    for (size_t j = 0; cols && j < k; j++) {
        lua_rawgeti(L, 3, (lua_Integer)j + 1);
        cols[j] = column_floats(L, lua_gettop(L), n);
        lua_pop(L, 1); /* the list keeps the column alive */
        if (!cols[j])
            cols = NULL;
    }
    const double *P = f.failed || cols ? NULL : gather(L, 3, n, k, "prediction", &f);
    char err[DJ_ERRLEN];
    double v = 0;
    int rc = f.failed ? -1
             : cols   ? dojo_metric_proba_columns(name, y, cols, w, n, k, &prm, &v, err, sizeof err)
                      : dojo_metric_proba(name, y, P, w, n, k, &prm, &v, err, sizeof err);
    return result(L, rc, v, err, &f);
}

/* metric_text(name, y, p [, params]): vectors of strings. */
static int l_metric_text(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    size_t n = same_length(L);
    dojo_metric_params prm;
    check_params(L, 4, &prm);
    vfail f = {.failed = 0};
    const int64_t *yo = NULL, *po = NULL;
    const char *y = vec_strings(L, 2, n, &yo, "truth", &f);
    const char *p = f.failed ? NULL : vec_strings(L, 3, n, &po, "prediction", &f);
    char err[DJ_ERRLEN];
    double v = 0;
    int rc = f.failed ? -1 : dojo_metric_text(name, y, yo, p, po, n, &prm, &v, err, sizeof err);
    return result(L, rc, v, err, &f);
}

static const char *const kind_names[] = {"", "numeric", "labels", "proba", "text"};

/* metric_list() -> { {name=, kind=, higher_is_better=}, ... } */
static int l_metric_list(lua_State *L)
{
    const char *s = dojo_metric_list();
    lua_newtable(L);
    int i = 0;
    while (s && *s) {
        const char *tab = strchr(s, '\t'), *nl = strchr(s, '\n');
        if (!tab || !nl)
            break;
        int kind = 0, hib = 0;
        if (sscanf(tab + 1, "%d\t%d", &kind, &hib) != 2 || kind < 1 || kind > 4)
            break;
        lua_createtable(L, 0, 3);
        lua_pushlstring(L, s, (size_t)(tab - s));
        lua_setfield(L, -2, "name");
        lua_pushstring(L, kind_names[kind]);
        lua_setfield(L, -2, "kind");
        lua_pushboolean(L, hib);
        lua_setfield(L, -2, "higher_is_better");
        lua_rawseti(L, -2, ++i);
        s = nl + 1;
    }
    return 1;
}

/* score_stream_metric(name) -> whether idx:score_stream computes this metric. */
static int l_score_stream_metric(lua_State *L)
{
    lua_pushboolean(L, dojo_score_stream_metric(luaL_checkstring(L, 1)));
    return 1;
}

static const luaL_Reg metric_functions[] = {
    {"metric_list", l_metric_list},   {"metric_numeric", l_metric_numeric},
    {"metric_labels", l_metric_labels}, {"metric_proba", l_metric_proba},
    {"metric_text", l_metric_text},   {"score_stream_metric", l_score_stream_metric},
    {NULL, NULL},
};

void dj_lua_open_metrics(lua_State *L)
{
    luaL_setfuncs(L, metric_functions, 0);
}
