/*
 * table_internal.h -- what table.c, csv.c and index.c share; not part of the public API.
 */
#ifndef DOJO_TABLE_INTERNAL_H
#define DOJO_TABLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* One column. Exactly one of ints, floats or (chars, offsets) is set, by type. The arrays
   always hold at least one element, so that a column of 0 rows still has non-NULL data.
   A missing row holds 0, NaN or an empty string. missing is NULL when nmissing == 0.
   An array is a malloc block, or, when its *_map is not 0, an anonymous mapping of its own
   of that many bytes (a whole number of pages, starting at the array), released with munmap:
   the CSV reader's split reads build their arrays so (csv.c, "splitting"). Whatever frees or
   reallocs a column's array goes through dj_arr_free or looks at its *_map. */
typedef struct dj_col {
    char *name;
    int type;               /* DOJO_TYPE_* */
    int64_t *ints;
    double *floats;
    char *chars;            /* string bytes of all rows, back to back */
    int64_t *offsets;       /* nrows + 1 entries, offsets[0] == 0 */
    unsigned char *missing; /* one byte per row, 1 = missing */
    size_t nmissing;
    size_t vals_map;        /* ints or floats (whichever is set) */
    size_t chars_map, offsets_map, missing_map;
} dj_col;

/* Releases array p: free(p) when map == 0, else munmap(p, map). */
void dj_arr_free(void *p, size_t map);

struct dojo_table {
    size_t nrows;
    size_t ncols;
    size_t capcols;
    dj_col *cols;
};

/* Frees the arrays of a column and zeroes it. */
void dj_col_clear(dj_col *c);

/* Appends column c (whose name and arrays the table takes over, on success and on failure
   alike) of n rows. check_name != 0 refuses a name already in the table. */
int dj_table_adopt(dojo_table *t, dj_col *c, size_t n, int check_name, char *err,
                   size_t errlen);

/* "int", "float" or "string". */
const char *dj_type_name(int type);

/* A fast, well-mixed 64-bit hash of a byte string (wyhash-style multiply-fold). */
uint64_t dj_hash_bytes(const void *data, size_t len);

/* Formats v as "%lld" would, without the NUL; returns the length (at most 20). */
size_t dj_fmt_int(char *out, int64_t v);
/* Formats a double for CSV: the shortest of %.15g, %.16g and %.17g that reads back to the
   same double, with ".0" appended to an integral value so that it reads back as a float;
   "nan", "inf", "-inf". out holds at least 32 bytes; returns the length (no NUL written). */
size_t dj_fmt_double(char *out, double v);
/* Parses exactly the text dj_fmt_int produces ("0", "-12", never "+1", "-0" or "012").
   Returns 1 and sets *out, or 0. */
int dj_parse_canonical_int(const char *s, size_t len, int64_t *out);

/* Index of the first byte of s[0..n) that does not belong to valid UTF-8 (overlong forms,
   surrogates and code points above U+10FFFF are invalid), or n when all of it is valid. */
size_t dj_utf8_check(const unsigned char *s, size_t n);

/* How an index over an int column finds a key's row, for loops that inline the lookup:
   IDENT: row = key - lo (keys lo..hi are rows 0..); DENSE: row = dense[key - lo] - 1 for
   keys in lo..hi; HASH: dojo_index_find_int(x, key). */
enum { DJ_KEYS_IDENT = 1, DJ_KEYS_DENSE, DJ_KEYS_HASH };
typedef struct dj_keymap {
    int kind;
    int64_t lo, hi;
    const uint32_t *dense;
    const dojo_index *x;
    const dojo_table *t;  /* the indexed table */
    size_t nrows;         /* its rows */
    size_t col;           /* the key column */
} dj_keymap;

/* Fills km for an index over an int column; -1 for a string column. */
int dj_index_keymap(const dojo_index *x, dj_keymap *km);

/* Streaming a file through a sink (dj_csv_stream): a batch of n complete records, record i
   holding the indexed row rows[i] and the values vals[i * nv .. i * nv + nv) (the file's
   columns after the key). Returns 0 to go on, anything else to stop (the read is then not
   taken). */
typedef int (*dj_sink_fn)(void *ctx, const uint32_t *rows, const double *vals, size_t n,
                          size_t nv);
#define DJ_STREAM_BATCH 1024 /* the most records in a batch (a span's, at most) */
typedef struct dj_stream {
    /* called once, before the first batch, with the names of the nv value columns; returns
       0 to go on, anything else to leave the file (then not taken); may be NULL */
    int (*begin)(const struct dj_stream *st, const char *const *names, size_t nv);
    void *state;           /* the caller's, for begin */
    dj_sink_fn fn;
    void *ctx[2];          /* the sink state of the calling thread and of the split worker */
    const void *prefetch;  /* an array the sink reads at each record's row (or NULL): the */
    size_t prefetch_size;  /* reader prefetches the cell when it finds the row */
    size_t *filled;        /* NULL: every row of the keymap must come; else the keymap's
                              rows are a bound, the records must fill its first n rows, and
                              n is stored here */
} dj_stream;

/* Reads the file as dojo_table_read_csv_aligned would (the key column, then columns forced
   to float by opt; the clean case only) with the keys' rows given by km, but stores
   nothing: every record goes to st->fn. Returns 1 when the whole file was the clean case
   (every row of km exactly once, or with st->filled its first rows) and the sink never
   stopped it, else 0. */
int dj_csv_stream(const char *path, const dojo_csv_options *opt, const dj_keymap *km,
                  const dj_stream *st);
/* The keymap of an index for dj_csv_stream: an int column, no key missing; else -1. */
int dj_index_stream_keys(const dojo_index *x, dj_keymap *km);

#endif
