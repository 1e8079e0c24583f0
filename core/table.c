/*
 * table.c -- columnar tables: building, accessors, take and select.
 *
 * Theory of operation: a dojo_table is an array of dj_col (see table_internal.h), all of the
 * table's row count. A column stores its values in one contiguous array of its type: int64,
 * double, or, for strings, one character arena plus nrows + 1 int64 offsets (row i is
 * chars[offsets[i] .. offsets[i+1])). Missing values have a byte-per-row mask that exists
 * only when at least one row is missing, and their slot holds a neutral value (0, NaN, "")
 * so that code which ignores the mask still reads something defined. Every array holds at
 * least one element, so a column's data pointer is never NULL, even with 0 rows: NULL from
 * an accessor means "not of this type". Tables are immutable once built; the CSV reader
 * hands its finished arrays over with dj_table_adopt (no copy), while dojo_table_add_*
 * copy the caller's data and normalise it (mask bytes to 0/1, missing slots neutral,
 * string offsets rebased to 0). take gathers rows column by column; select deep-copies
 * columns, so the result never shares memory with its source. An adopted array may be a
 * mapping of its own rather than a malloc block (a split CSV read); the column records its
 * size and dj_col_clear unmaps it.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table_internal.h"

void dj_arr_free(void *p, size_t map)
{
    if (map)
        munmap(p, map);
    else
        free(p);
}

void dj_col_clear(dj_col *c)
{
    free(c->name);
    dj_arr_free(c->ints, c->ints ? c->vals_map : 0);
    dj_arr_free(c->floats, c->floats ? c->vals_map : 0);
    dj_arr_free(c->chars, c->chars_map);
    dj_arr_free(c->offsets, c->offsets_map);
    dj_arr_free(c->missing, c->missing_map);
    memset(c, 0, sizeof *c);
}

dojo_table *dojo_table_new(void) { return calloc(1, sizeof(dojo_table)); }

void dojo_table_free(dojo_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        dj_col_clear(&t->cols[i]);
    free(t->cols);
    free(t);
}

const char *dj_type_name(int type)
{
    return type == DOJO_TYPE_INT ? "int" : type == DOJO_TYPE_FLOAT ? "float" : "string";
}

int dj_table_adopt(dojo_table *t, dj_col *c, size_t n, int check_name, char *err,
                   size_t errlen)
{
    if (t->ncols > 0 && n != t->nrows) {
        dj_err(err, errlen, "column '%s' has %zu rows but the table has %zu", c->name, n,
               t->nrows);
        dj_col_clear(c);
        return -1;
    }
    if (check_name) {
        for (size_t i = 0; i < t->ncols; i++) {
            if (strcmp(t->cols[i].name, c->name) == 0) {
                dj_err(err, errlen, "the table already has a column named '%s' (column %zu)",
                       c->name, i + 1);
                dj_col_clear(c);
                return -1;
            }
        }
    }
    if (t->ncols == t->capcols) {
        void *p = t->cols;
        if (dj_grow(&p, &t->capcols, t->ncols + 1, sizeof(dj_col)) < 0) {
            dj_col_clear(c);
            return dj_err(err, errlen, "out of memory");
        }
        t->cols = p;
    }
    t->cols[t->ncols++] = *c;
    t->nrows = n;
    memset(c, 0, sizeof *c);
    return 0;
}

/* Copies a caller's mask as 0/1 bytes; *out stays NULL when no row is missing. */
static int copy_mask(const unsigned char *missing, size_t n, unsigned char **out,
                     size_t *nmissing)
{
    *out = NULL;
    *nmissing = 0;
    if (!missing)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += missing[i] != 0;
    if (k == 0)
        return 0;
    unsigned char *m = malloc(n);
    if (!m)
        return -1;
    for (size_t i = 0; i < n; i++)
        m[i] = missing[i] != 0;
    *out = m;
    *nmissing = k;
    return 0;
}

/* Starts a column: checks the name and the row count, copies the name and the mask. */
static int begin_col(dojo_table *t, dj_col *c, const char *name, int type,
                     const unsigned char *missing, size_t n, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (!t)
        return dj_err(err, errlen, "no table given");
    if (!name)
        return dj_err(err, errlen, "a column needs a name");
    if (t->ncols > 0 && n != t->nrows)
        return dj_err(err, errlen, "column '%s' has %zu rows but the table has %zu", name, n,
                      t->nrows);
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return dj_err(err, errlen, "the table already has a column named '%s' (column %zu)",
                          name, i + 1);
    c->type = type;
    c->name = strdup(name);
    if (!c->name || copy_mask(missing, n, &c->missing, &c->nmissing) < 0) {
        dj_col_clear(c);
        return dj_err(err, errlen, "out of memory");
    }
    return 0;
}

int dojo_table_add_ints(dojo_table *t, const char *name, const int64_t *values,
                        const unsigned char *missing, size_t n, char *err, size_t errlen)
{
    dj_col c;
    if (begin_col(t, &c, name, DOJO_TYPE_INT, missing, n, err, errlen) < 0)
        return -1;
    if (n > 0 && !values) {
        dj_col_clear(&c);
        return dj_err(err, errlen, "column '%s': no values given", name);
    }
    c.ints = malloc((n ? n : 1) * sizeof(int64_t));
    if (!c.ints) {
        dj_col_clear(&c);
        return dj_err(err, errlen, "out of memory");
    }
    if (n)
        memcpy(c.ints, values, n * sizeof(int64_t));
    else
        c.ints[0] = 0;
    if (c.missing)
        for (size_t i = 0; i < n; i++)
            if (c.missing[i])
                c.ints[i] = 0;
    return dj_table_adopt(t, &c, n, 0, err, errlen);
}

int dojo_table_add_floats(dojo_table *t, const char *name, const double *values,
                          const unsigned char *missing, size_t n, char *err, size_t errlen)
{
    dj_col c;
    if (begin_col(t, &c, name, DOJO_TYPE_FLOAT, missing, n, err, errlen) < 0)
        return -1;
    if (n > 0 && !values) {
        dj_col_clear(&c);
        return dj_err(err, errlen, "column '%s': no values given", name);
    }
    c.floats = malloc((n ? n : 1) * sizeof(double));
    if (!c.floats) {
        dj_col_clear(&c);
        return dj_err(err, errlen, "out of memory");
    }
    if (n)
        memcpy(c.floats, values, n * sizeof(double));
    else
        c.floats[0] = 0;
    if (c.missing)
        for (size_t i = 0; i < n; i++)
            if (c.missing[i])
                c.floats[i] = NAN;
    return dj_table_adopt(t, &c, n, 0, err, errlen);
}

int dojo_table_add_strings(dojo_table *t, const char *name, const char *data,
                           const int64_t *offsets, const unsigned char *missing, size_t n,
                           char *err, size_t errlen)
{
    dj_col c;
    if (begin_col(t, &c, name, DOJO_TYPE_STRING, missing, n, err, errlen) < 0)
        return -1;
    if (!offsets) {
        dj_col_clear(&c);
        return dj_err(err, errlen, "column '%s': no offsets given", name);
    }
    if (offsets[0] < 0) {
        dj_col_clear(&c);
        return dj_err(err, errlen, "column '%s': offsets[0] is negative", name);
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (offsets[i + 1] < offsets[i]) {
            dj_col_clear(&c);
            return dj_err(err, errlen, "column '%s': offsets decrease at row %zu", name, i + 1);
        }
        if (!(c.missing && c.missing[i]))
            total += (size_t)(offsets[i + 1] - offsets[i]);
    }
    if (total > 0 && !data) {
        dj_col_clear(&c);
        return dj_err(err, errlen, "column '%s': no string data given", name);
    }
    c.chars = malloc(total ? total : 1);
    c.offsets = malloc((n + 1) * sizeof(int64_t));
    if (!c.chars || !c.offsets) {
        dj_col_clear(&c);
        return dj_err(err, errlen, "out of memory");
    }
    int64_t o = 0;
    c.offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(c.missing && c.missing[i])) {
            size_t len = (size_t)(offsets[i + 1] - offsets[i]);
            if (len)
                memcpy(c.chars + o, data + offsets[i], len);
            o += (int64_t)len;
        }
        c.offsets[i + 1] = o;
    }
    return dj_table_adopt(t, &c, n, 0, err, errlen);
}

/* ---- accessors ---------------------------------------------------------------------- */

size_t dojo_table_nrows(const dojo_table *t) { return t ? t->nrows : 0; }
size_t dojo_table_ncols(const dojo_table *t) { return t ? t->ncols : 0; }

static const dj_col *col_at(const dojo_table *t, size_t col)
{
    return t && col < t->ncols ? &t->cols[col] : NULL;
}

const char *dojo_table_column_name(const dojo_table *t, size_t col)
{
    const dj_col *c = col_at(t, col);
    return c ? c->name : NULL;
}

int64_t dojo_table_column_find(const dojo_table *t, const char *name)
{
    if (!t || !name)
        return -1;
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (int64_t)i;
    return -1;
}

int dojo_table_column_type(const dojo_table *t, size_t col)
{
    const dj_col *c = col_at(t, col);
    return c ? c->type : 0;
}

const int64_t *dojo_table_column_ints(const dojo_table *t, size_t col)
{
    const dj_col *c = col_at(t, col);
    return c && c->type == DOJO_TYPE_INT ? c->ints : NULL;
}

const double *dojo_table_column_floats(const dojo_table *t, size_t col)
{
    const dj_col *c = col_at(t, col);
    return c && c->type == DOJO_TYPE_FLOAT ? c->floats : NULL;
}

const char *dojo_table_column_strings(const dojo_table *t, size_t col, const int64_t **offsets)
{
    const dj_col *c = col_at(t, col);
    if (!c || c->type != DOJO_TYPE_STRING) {
        if (offsets)
            *offsets = NULL;
        return NULL;
    }
    if (offsets)
        *offsets = c->offsets;
    return c->chars;
}

const unsigned char *dojo_table_column_missing(const dojo_table *t, size_t col)
{
    const dj_col *c = col_at(t, col);
    return c ? c->missing : NULL;
}

size_t dojo_table_column_nmissing(const dojo_table *t, size_t col)
{
    const dj_col *c = col_at(t, col);
    return c ? c->nmissing : 0;
}

int64_t dojo_table_column_first_bad(const dojo_table *t, size_t col, double lo, double hi)
{
    const dj_col *c = col_at(t, col);
    if (!c || c->type == DOJO_TYPE_STRING)
        return c ? 0 : -1;
    for (size_t i = 0; i < t->nrows; i++) {
        if (c->missing && c->missing[i])
            return (int64_t)i;
        double v = c->type == DOJO_TYPE_INT ? (double)c->ints[i] : c->floats[i];
        if (!isfinite(v) || v < lo || v > hi) /* NaN fails isfinite too */
            return (int64_t)i;
    }
    return -1;
}

/* ---- take and select ---------------------------------------------------------------- */

/* Gathers rows of column s into d (whose name the caller has set). */
static int gather(const dj_col *s, dj_col *d, const int64_t *rows, size_t n)
{
    d->type = s->type;
    if (s->missing) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            k += s->missing[rows[i]];
        if (k) {
            d->missing = malloc(n);
            if (!d->missing)
                return -1;
            for (size_t i = 0; i < n; i++)
                d->missing[i] = s->missing[rows[i]];
            d->nmissing = k;
        }
    }
    if (s->type == DOJO_TYPE_INT) {
        d->ints = malloc((n ? n : 1) * sizeof(int64_t));
        if (!d->ints)
            return -1;
        d->ints[0] = 0;
        for (size_t i = 0; i < n; i++)
            d->ints[i] = s->ints[rows[i]];
    } else if (s->type == DOJO_TYPE_FLOAT) {
        d->floats = malloc((n ? n : 1) * sizeof(double));
        if (!d->floats)
            return -1;
        d->floats[0] = 0;
        for (size_t i = 0; i < n; i++)
            d->floats[i] = s->floats[rows[i]];
    } else {
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += (size_t)(s->offsets[rows[i] + 1] - s->offsets[rows[i]]);
        d->chars = malloc(total ? total : 1);
        d->offsets = malloc((n + 1) * sizeof(int64_t));
        if (!d->chars || !d->offsets)
            return -1;
        int64_t o = 0;
        d->offsets[0] = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t a = s->offsets[rows[i]], b = s->offsets[rows[i] + 1];
            memcpy(d->chars + o, s->chars + a, (size_t)(b - a));
            o += b - a;
            d->offsets[i + 1] = o;
        }
    }
    return 0;
}

dojo_table *dojo_table_take(const dojo_table *t, const int64_t *rows, size_t n, char *err,
                            size_t errlen)
{
    if (!t) {
        dj_err(err, errlen, "no table given");
        return NULL;
    }
    if (n > 0 && !rows) {
        dj_err(err, errlen, "no rows given");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (rows[i] < 0 || (uint64_t)rows[i] >= t->nrows) {
            dj_err(err, errlen, "row %lld (entry %zu of the rows to take) is out of range: the "
                   "table has %zu rows", (long long)rows[i], i + 1, t->nrows);
            return NULL;
        }
    }
    dojo_table *out = dojo_table_new();
    if (!out) {
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t j = 0; j < t->ncols; j++) {
        dj_col d;
        memset(&d, 0, sizeof d);
        d.name = strdup(t->cols[j].name);
        if (!d.name || gather(&t->cols[j], &d, rows, n) < 0) {
            dj_col_clear(&d);
            dojo_table_free(out);
            dj_err(err, errlen, "out of memory");
            return NULL;
        }
        if (dj_table_adopt(out, &d, n, 0, err, errlen) < 0) {
            dojo_table_free(out);
            return NULL;
        }
    }
    return out;
}

/* A deep copy of column s into d. */
static int copy_col(const dj_col *s, dj_col *d, size_t nrows)
{
    memset(d, 0, sizeof *d);
    d->type = s->type;
    d->nmissing = s->nmissing;
    d->name = strdup(s->name);
    if (!d->name)
        return -1;
    if (s->missing) {
        d->missing = malloc(nrows ? nrows : 1);
        if (!d->missing)
            return -1;
        memcpy(d->missing, s->missing, nrows);
    }
    size_t nv = nrows ? nrows : 1;
    if (s->type == DOJO_TYPE_INT) {
        d->ints = malloc(nv * sizeof(int64_t));
        if (!d->ints)
            return -1;
        memcpy(d->ints, s->ints, nv * sizeof(int64_t));
    } else if (s->type == DOJO_TYPE_FLOAT) {
        d->floats = malloc(nv * sizeof(double));
        if (!d->floats)
            return -1;
        memcpy(d->floats, s->floats, nv * sizeof(double));
    } else {
        size_t total = (size_t)s->offsets[nrows];
        d->chars = malloc(total ? total : 1);
        d->offsets = malloc((nrows + 1) * sizeof(int64_t));
        if (!d->chars || !d->offsets)
            return -1;
        memcpy(d->chars, s->chars, total);
        memcpy(d->offsets, s->offsets, (nrows + 1) * sizeof(int64_t));
    }
    return 0;
}

dojo_table *dojo_table_select(const dojo_table *t, const char *const *names, size_t n,
                              char *err, size_t errlen)
{
    if (!t) {
        dj_err(err, errlen, "no table given");
        return NULL;
    }
    if (n > 0 && !names) {
        dj_err(err, errlen, "no column names given");
        return NULL;
    }
    size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
    if (!idx) {
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t c = names[i] ? dojo_table_column_find(t, names[i]) : -1;
        if (c < 0) {
            dj_err(err, errlen, "no column named '%s'", names[i] ? names[i] : "(null)");
            free(idx);
            return NULL;
        }
        for (size_t k = 0; k < i; k++) {
            if (idx[k] == (size_t)c) {
                dj_err(err, errlen, "column '%s' is selected twice", names[i]);
                free(idx);
                return NULL;
            }
        }
        idx[i] = (size_t)c;
    }
    dojo_table *out = dojo_table_new();
    if (!out) {
        free(idx);
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        dj_col d;
        if (copy_col(&t->cols[idx[i]], &d, t->nrows) < 0) {
            dj_col_clear(&d);
            dojo_table_free(out);
            free(idx);
            dj_err(err, errlen, "out of memory");
            return NULL;
        }
        if (dj_table_adopt(out, &d, t->nrows, 0, err, errlen) < 0) {
            dojo_table_free(out);
            free(idx);
            return NULL;
        }
    }
    free(idx);
    return out;
}
