/*
 * test_table.c -- tests of the tables, the CSV reader and writer, and the hash index.
 *
 * Theory of operation: each case builds its input (CSV text in memory, files in a fresh
 * temporary directory, gzip written with zlib, a FIFO fed by a thread for non-seekable
 * input) and checks values, types, masks and, for hostile input, that the error message
 * names the problem and its line. Large cases (1M-row float exactness, index of 1M rows,
 * randomised CSV across many buffer refills) compare against an independent reference:
 * strtod, printf, or the values the generator wrote. Only the public API of dojo.h is used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dojo.h"
#include "harness.h"

/* ---- helpers ------------------------------------------------------------------------ */

static char tdir[512];

static const char *tpath(const char *name)
{
    static char buf[4][700];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tdir, name);
    return buf[k];
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && n == len) ? 0 : -1;
}

static int write_gz(const char *path, const void *data, size_t len)
{
    gzFile g = gzopen(path, "wb6");
    if (!g)
        return -1;
    int n = len ? gzwrite(g, data, (unsigned)len) : 0;
    return (gzclose(g) == Z_OK && (size_t)n == len) ? 0 : -1;
}

/* gzip of data into a malloc'ed buffer. */
static unsigned char *gz_mem(const void *data, size_t len, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *outlen = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static dojo_table *parse(const char *s, const dojo_csv_options *o, char *err)
{
    err[0] = '\0';
    return dojo_table_parse_csv(s, strlen(s), o, err, 512);
}

static int has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

static int64_t col(const dojo_table *t, const char *name)
{
    return dojo_table_column_find(t, name);
}

static int64_t geti(const dojo_table *t, const char *name, size_t row)
{
    int64_t c = col(t, name);
    const int64_t *v = c >= 0 ? dojo_table_column_ints(t, (size_t)c) : NULL;
    return v ? v[row] : -999999;
}

static double getf(const dojo_table *t, const char *name, size_t row)
{
    int64_t c = col(t, name);
    const double *v = c >= 0 ? dojo_table_column_floats(t, (size_t)c) : NULL;
    return v ? v[row] : -999999.0;
}

/* The string at row, copied into a static buffer (NULL when not a string column). */
static const char *gets_(const dojo_table *t, const char *name, size_t row)
{
    static char buf[4][256];
    static int k;
    int64_t c = col(t, name);
    if (c < 0)
        return NULL;
    const int64_t *off;
    const char *s = dojo_table_column_strings(t, (size_t)c, &off);
    if (!s)
        return NULL;
    k = (k + 1) % 4;
    size_t n = (size_t)(off[row + 1] - off[row]);
    if (n >= sizeof buf[k])
        n = sizeof buf[k] - 1;
    memcpy(buf[k], s + off[row], n);
    buf[k][n] = '\0';
    return buf[k];
}

static int miss(const dojo_table *t, const char *name, size_t row)
{
    int64_t c = col(t, name);
    const unsigned char *m = c >= 0 ? dojo_table_column_missing(t, (size_t)c) : NULL;
    return m ? m[row] : 0;
}

static int type_of(const dojo_table *t, const char *name)
{
    int64_t c = col(t, name);
    return c >= 0 ? dojo_table_column_type(t, (size_t)c) : -1;
}

static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Whole-table equality: names, types, masks and values (floats bitwise, NaN = NaN). */
static int tables_equal(const dojo_table *a, const dojo_table *b, char *why, size_t whylen)
{
    size_t nr = dojo_table_nrows(a), nc = dojo_table_ncols(a);
    if (nr != dojo_table_nrows(b) || nc != dojo_table_ncols(b)) {
        snprintf(why, whylen, "shape %zux%zu vs %zux%zu", nr, nc, dojo_table_nrows(b),
                 dojo_table_ncols(b));
        return 0;
    }
    for (size_t j = 0; j < nc; j++) {
        if (strcmp(dojo_table_column_name(a, j), dojo_table_column_name(b, j)) != 0) {
            snprintf(why, whylen, "column %zu name '%s' vs '%s'", j + 1,
                     dojo_table_column_name(a, j), dojo_table_column_name(b, j));
            return 0;
        }
        int ta = dojo_table_column_type(a, j), tb = dojo_table_column_type(b, j);
        if (ta != tb) {
            snprintf(why, whylen, "column '%s' type %d vs %d", dojo_table_column_name(a, j), ta,
                     tb);
            return 0;
        }
        const unsigned char *ma = dojo_table_column_missing(a, j);
        const unsigned char *mb = dojo_table_column_missing(b, j);
        if (dojo_table_column_nmissing(a, j) != dojo_table_column_nmissing(b, j)) {
            snprintf(why, whylen, "column '%s' nmissing %zu vs %zu", dojo_table_column_name(a, j),
                     dojo_table_column_nmissing(a, j), dojo_table_column_nmissing(b, j));
            return 0;
        }
        for (size_t i = 0; i < nr; i++) {
            int xa = ma ? ma[i] : 0, xb = mb ? mb[i] : 0;
            if (xa != xb) {
                snprintf(why, whylen, "column '%s' row %zu missing %d vs %d",
                         dojo_table_column_name(a, j), i, xa, xb);
                return 0;
            }
            if (xa)
                continue;
            if (ta == DOJO_TYPE_INT) {
                int64_t va = dojo_table_column_ints(a, j)[i], vb = dojo_table_column_ints(b, j)[i];
                if (va != vb) {
                    snprintf(why, whylen, "column '%s' row %zu: %lld vs %lld",
                             dojo_table_column_name(a, j), i, (long long)va, (long long)vb);
                    return 0;
                }
            } else if (ta == DOJO_TYPE_FLOAT) {
                double va = dojo_table_column_floats(a, j)[i],
                       vb = dojo_table_column_floats(b, j)[i];
                if (!same_double(va, vb)) {
                    snprintf(why, whylen, "column '%s' row %zu: %.17g vs %.17g",
                             dojo_table_column_name(a, j), i, va, vb);
                    return 0;
                }
            } else {
                const int64_t *oa, *ob;
                const char *sa = dojo_table_column_strings(a, j, &oa);
                const char *sb = dojo_table_column_strings(b, j, &ob);
                size_t la = (size_t)(oa[i + 1] - oa[i]), lb = (size_t)(ob[i + 1] - ob[i]);
                if (la != lb || memcmp(sa + oa[i], sb + ob[i], la) != 0) {
                    snprintf(why, whylen, "column '%s' row %zu: '%.*s' vs '%.*s'",
                             dojo_table_column_name(a, j), i, (int)(la > 60 ? 60 : la), sa + oa[i],
                             (int)(lb > 60 ? 60 : lb), sb + ob[i]);
                    return 0;
                }
            }
        }
    }
    return 1;
}

/* A growable text buffer. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->len + n + 1)
            c *= 2;
        b->s = realloc(b->s, c);
        b->cap = c;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_add(b, tmp, (size_t)n);
}

#define U64C(x) ((uint64_t)x##ULL)

static uint64_t rs = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* ---- the CSV reader ----------------------------------------------------------------- */

static void t_basic(void)
{
    char err[512];
    dojo_table *t = parse("id,price,name\n1,2.5,apple\n2,3,pear\n-3,1e3,fig\n", NULL, err);
    CHECK(t != NULL, "parse failed: %s", err);
    if (!t)
        return;
    CHECK(dojo_table_nrows(t) == 3 && dojo_table_ncols(t) == 3, "shape");
    CHECK(type_of(t, "id") == DOJO_TYPE_INT, "id is int");
    CHECK(type_of(t, "price") == DOJO_TYPE_FLOAT, "price is float");
    CHECK(type_of(t, "name") == DOJO_TYPE_STRING, "name is string");
    CHECK(geti(t, "id", 2) == -3, "id[2]");
    CHECK(getf(t, "price", 1) == 3.0 && getf(t, "price", 2) == 1000.0, "prices");
    CHECK(strcmp(gets_(t, "name", 0), "apple") == 0, "name[0]");
    CHECK(dojo_table_column_missing(t, 0) == NULL, "no mask when nothing is missing");
    CHECK(dojo_table_column_ints(t, 1) == NULL && dojo_table_column_floats(t, 0) == NULL,
          "typed accessors return NULL for other types");
    CHECK(dojo_table_column_find(t, "nope") == -1, "column_find of an unknown name");
    CHECK(dojo_table_column_name(t, 7) == NULL && dojo_table_column_type(t, 7) == 0,
          "out-of-range column");
    dojo_table_free(t);
}

static void t_rfc4180(void)
{
    char err[512];
    const char *csv = "a,b,c\n"
                      "\"x,y\",\"he said \"\"hi\"\"\",\"multi\nline\"\n"
                      "plain,\"\"\"\",\"crlf\r\ninside\"\n"
                      "\"\",\"a\"\"b\"\"c\",last\n";
    dojo_table *t = parse(csv, NULL, err);
    CHECK(t != NULL, "parse failed: %s", err);
    if (!t)
        return;
    CHECK(dojo_table_nrows(t) == 3, "3 records, got %zu", dojo_table_nrows(t));
    CHECK(strcmp(gets_(t, "a", 0), "x,y") == 0, "delimiter inside quotes");
    CHECK(strcmp(gets_(t, "b", 0), "he said \"hi\"") == 0, "doubled quotes: %s", gets_(t, "b", 0));
    CHECK(strcmp(gets_(t, "c", 0), "multi\nline") == 0, "newline inside quotes");
    CHECK(strcmp(gets_(t, "b", 1), "\"") == 0, "a lone escaped quote");
    CHECK(strcmp(gets_(t, "c", 1), "crlf\r\ninside") == 0, "CRLF inside quotes kept");
    CHECK(strcmp(gets_(t, "a", 2), "") == 0 && !miss(t, "a", 2), "quoted empty = empty string");
    CHECK(strcmp(gets_(t, "b", 2), "a\"b\"c") == 0, "several doubled quotes");
    dojo_table_free(t);

    /* line numbers count the breaks inside quoted fields */
    t = parse("a,b\n\"1\n2\n3\",1\nx,y,z\n", NULL, err);
    CHECK(!t && has(err, "line 5") && has(err, "expected 2 fields, found 3"),
          "line counting through quoted newlines: %s", err);
    dojo_table_free(t);
}

static void t_line_ends(void)
{
    char err[512];
    const char *variants[] = {"a,b\n1,2\n3,4\n", "a,b\r\n1,2\r\n3,4\r\n", "a,b\r1,2\r3,4\r",
                              "a,b\n1,2\n3,4",   "a,b\r\n1,2\r\n3,4",     "a,b\r1,2\r\n3,4\n"};
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        dojo_table *t = parse(variants[i], NULL, err);
        CHECK(t && dojo_table_nrows(t) == 2 && geti(t, "b", 1) == 4 && geti(t, "a", 0) == 1,
              "variant %zu: %s", i, t ? "wrong values" : err);
        dojo_table_free(t);
    }
    /* line numbers with lone CR */
    dojo_table *t = parse("a,b\r1,2\r3\r", NULL, err);
    CHECK(!t && has(err, "line 3"), "lone CR counts lines: %s", err);
    dojo_table_free(t);
}

static void t_bom(void)
{
    char err[512];
    dojo_table *t = parse("\xEF\xBB\xBFid,v\n1,2\n", NULL, err);
    CHECK(t && col(t, "id") == 0 && geti(t, "id", 0) == 1, "BOM skipped: %s", t ? "" : err);
    dojo_table_free(t);
}

static void t_missing(void)
{
    char err[512];
    dojo_table *t = parse("i,f,s\n1,,\"\"\n,2.5,\n\"\",\"\",x\n", NULL, err);
    CHECK(t != NULL, "parse: %s", err);
    if (!t)
        return;
    CHECK(type_of(t, "i") == DOJO_TYPE_INT && miss(t, "i", 1) && miss(t, "i", 2) &&
              !miss(t, "i", 0) && geti(t, "i", 1) == 0,
          "missing ints (empty and quoted empty) read as 0 with the mask");
    CHECK(type_of(t, "f") == DOJO_TYPE_FLOAT && miss(t, "f", 0) && isnan(getf(t, "f", 0)),
          "missing float is NaN with the mask");
    CHECK(type_of(t, "s") == DOJO_TYPE_STRING, "s is string");
    CHECK(!miss(t, "s", 0) && strcmp(gets_(t, "s", 0), "") == 0, "quoted empty = empty string");
    CHECK(miss(t, "s", 1) && strcmp(gets_(t, "s", 1), "") == 0, "empty unquoted = missing");
    CHECK(dojo_table_column_nmissing(t, 0) == 2 && dojo_table_column_nmissing(t, 2) == 1,
          "nmissing");
    dojo_table_free(t);
}

static void t_inference(void)
{
    char err[512];
    dojo_table *t = parse("canon,lead,big,specials,allmiss,neg0,plus,small\n"
                          "1,007,99999999999999999999,nan,,-0,+5,9223372036854775807\n"
                          "-2,1,1,-inf,,0,+6,-9223372036854775808\n"
                          "3,2,2,Infinity,,1,7,0\n"
                          "4,3,3,NaN,,2,8,1\n"
                          "5,4,4,-INF,,3,9,2\n",
                          NULL, err);
    CHECK(t != NULL, "parse: %s", err);
    if (!t)
        return;
    CHECK(type_of(t, "canon") == DOJO_TYPE_INT, "canonical ints");
    CHECK(type_of(t, "lead") == DOJO_TYPE_STRING && strcmp(gets_(t, "lead", 0), "007") == 0 &&
              strcmp(gets_(t, "lead", 1), "1") == 0,
          "007 stays text and the column is string");
    CHECK(type_of(t, "big") == DOJO_TYPE_FLOAT && getf(t, "big", 0) == 1e20,
          "int64 overflow reads as float");
    CHECK(type_of(t, "specials") == DOJO_TYPE_FLOAT && isnan(getf(t, "specials", 0)) &&
              getf(t, "specials", 1) == -INFINITY && getf(t, "specials", 2) == INFINITY &&
              isnan(getf(t, "specials", 3)) && getf(t, "specials", 4) == -INFINITY &&
              !miss(t, "specials", 0),
          "nan/inf spellings are present floats");
    CHECK(type_of(t, "allmiss") == DOJO_TYPE_FLOAT && dojo_table_column_nmissing(t, 4) == 5,
          "an all-missing column is float");
    CHECK(type_of(t, "neg0") == DOJO_TYPE_INT && geti(t, "neg0", 0) == 0, "-0 is int 0");
    CHECK(type_of(t, "plus") == DOJO_TYPE_INT && geti(t, "plus", 0) == 5, "+5 is int 5");
    CHECK(type_of(t, "small") == DOJO_TYPE_INT && geti(t, "small", 0) == INT64_MAX &&
              geti(t, "small", 1) == INT64_MIN,
          "int64 limits");
    dojo_table_free(t);

    const char *texts[] = {"1e", "1.2.3", " 1",  "1 ",   "0x10", "1_000", "--1", ".",
                           "-",  "+",     "1e+", "inf1", "nana", "00.5",  "1,5"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char csv[128];
        snprintf(csv, sizeof csv, "v\n1\n\"%s\"\n", texts[i]);
        t = parse(csv, NULL, err);
        CHECK(t && type_of(t, "v") == DOJO_TYPE_STRING && strcmp(gets_(t, "v", 1), texts[i]) == 0 &&
                  strcmp(gets_(t, "v", 0), "1") == 0,
              "'%s' is text: %s", texts[i], t ? "" : err);
        dojo_table_free(t);
    }
    const char *nums[] = {"1.",  ".5",    "-.5",  "+1.5e3", "1E5",
                          "0e0", "0.000", "-0.0", "1e-400", "1e400"};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        char csv[128];
        snprintf(csv, sizeof csv, "v\n%s\n", nums[i]);
        t = parse(csv, NULL, err);
        CHECK(t && type_of(t, "v") == DOJO_TYPE_FLOAT &&
                  same_double(getf(t, "v", 0), strtod(nums[i], NULL)),
              "'%s' is a float: %s", nums[i], t ? "" : err);
        dojo_table_free(t);
    }
    /* a quoted number is a number */
    t = parse("v\n\"12\"\n\"3\"\n", NULL, err);
    CHECK(t && type_of(t, "v") == DOJO_TYPE_INT && geti(t, "v", 0) == 12, "quoted numbers");
    dojo_table_free(t);
}

static void t_promotion(void)
{
    char err[512];
    dojo_table *t = parse("v,w\n1,\n2,x\n,3\n9007199254740993,4\n1.5,5\n", NULL, err);
    CHECK(t != NULL, "parse: %s", err);
    if (!t)
        return;
    CHECK(type_of(t, "v") == DOJO_TYPE_FLOAT, "promoted to float");
    CHECK(getf(t, "v", 0) == 1.0 && getf(t, "v", 1) == 2.0 && isnan(getf(t, "v", 2)) &&
              miss(t, "v", 2) && getf(t, "v", 3) == 9007199254740992.0 && getf(t, "v", 4) == 1.5,
          "values after promotion (missing -> NaN, big int rounded like strtod)");
    CHECK(type_of(t, "w") == DOJO_TYPE_STRING && miss(t, "w", 0) &&
              strcmp(gets_(t, "w", 1), "x") == 0 && strcmp(gets_(t, "w", 2), "3") == 0,
          "leading missing then text: string in place");
    dojo_table_free(t);
}

static void t_demotion(void)
{
    char err[512];
    dojo_table *t = parse("a,b,c\n1.50,007x,1\n1e3,2,2\nx,3,3\n", NULL, err);
    CHECK(t != NULL, "parse: %s", err);
    if (t) {
        CHECK(type_of(t, "a") == DOJO_TYPE_STRING && strcmp(gets_(t, "a", 0), "1.50") == 0 &&
                  strcmp(gets_(t, "a", 1), "1e3") == 0 && strcmp(gets_(t, "a", 2), "x") == 0,
              "demotion keeps the exact text");
        CHECK(type_of(t, "b") == DOJO_TYPE_STRING && strcmp(gets_(t, "b", 1), "2") == 0,
              "text first: string");
        CHECK(type_of(t, "c") == DOJO_TYPE_INT && geti(t, "c", 2) == 3, "other columns unaffected");
    }
    dojo_table_free(t);

    /* quoted empty strings before the text: they must come back as "" (not missing) */
    t = parse("s,n\n\"\",1\n,2\n\"\",3\nword,4\n", NULL, err);
    CHECK(t && type_of(t, "s") == DOJO_TYPE_STRING && !miss(t, "s", 0) && miss(t, "s", 1) &&
              !miss(t, "s", 2) && strcmp(gets_(t, "s", 3), "word") == 0,
          "quoted empties survive the demotion: %s", t ? "" : err);
    dojo_table_free(t);

    /* demotion far from the start: many buffers, the exact text of every row kept */
    sbuf b = {0};
    sb_str(&b, "id,val,f\n");
    size_t n = 300000;
    for (size_t i = 0; i < n; i++)
        sb_printf(&b, "%zu,%zu.%02zu0,%zu\n", i, i, i % 100, i * 3);
    sb_str(&b, "300000,not-a-number,1.5\n");
    t = dojo_table_parse_csv(b.s, b.len, NULL, err, sizeof err);
    CHECK(t != NULL, "parse: %s", err);
    if (t) {
        CHECK(dojo_table_nrows(t) == n + 1, "rows");
        CHECK(type_of(t, "val") == DOJO_TYPE_STRING && type_of(t, "id") == DOJO_TYPE_INT &&
                  type_of(t, "f") == DOJO_TYPE_FLOAT,
              "types after the restart");
        int ok = 1;
        for (size_t i = 0; i < n && ok; i += 997) {
            char want[64];
            snprintf(want, sizeof want, "%zu.%02zu0", i, i % 100);
            ok = strcmp(gets_(t, "val", i), want) == 0 && geti(t, "id", i) == (int64_t)i &&
                 getf(t, "f", i) == (double)(i * 3);
        }
        CHECK(ok, "exact text kept for every earlier row");
        CHECK(strcmp(gets_(t, "val", n), "not-a-number") == 0 && getf(t, "f", n) == 1.5,
              "the last row");
    }
    dojo_table_free(t);
    /* the same from a file */
    write_file(tpath("demote.csv"), b.s, b.len);
    t = dojo_table_read_csv(tpath("demote.csv"), NULL, err, sizeof err);
    CHECK(t && type_of(t, "val") == DOJO_TYPE_STRING &&
              strcmp(gets_(t, "val", 12345), "12345.450") == 0,
          "demotion from a file: %s", t ? "" : err);
    dojo_table_free(t);
    free(b.s);
}

static void t_na_values(void)
{
    char err[512];
    dojo_csv_options o;
    dojo_csv_options_init(&o);
    const char *na[] = {"NA", "-999", "n/a"};
    o.na_values = na;
    o.nna_values = 3;
    dojo_table *t = parse("a,b,c\n1,NA,x\n-999,2.5,n/a\n3,\"NA\",NAN\n", &o, err);
    CHECK(t != NULL, "parse: %s", err);
    if (t) {
        CHECK(type_of(t, "a") == DOJO_TYPE_INT && miss(t, "a", 1) && geti(t, "a", 2) == 3,
              "numeric na value");
        CHECK(type_of(t, "b") == DOJO_TYPE_FLOAT && miss(t, "b", 0) && miss(t, "b", 2),
              "NA (quoted or not) is missing");
        CHECK(type_of(t, "c") == DOJO_TYPE_STRING && miss(t, "c", 1) &&
                  strcmp(gets_(t, "c", 2), "NAN") == 0,
              "na values in a string column; matching is exact");
    }
    dojo_table_free(t);
    t = parse("a\nNA\n", NULL, err);
    CHECK(t && type_of(t, "a") == DOJO_TYPE_STRING, "without na_values NA is text");
    dojo_table_free(t);
}

static void t_subset(void)
{
    char err[512];
    dojo_csv_options o;
    dojo_csv_options_init(&o);
    const char *cols[] = {"c", "a"};
    o.columns = cols;
    o.ncolumns = 2;
    dojo_table *t = parse("a,b,c\n1,\"skip,\nme\",x\n2,\"\"\"\",y\n", &o, err);
    CHECK(t && dojo_table_ncols(t) == 2 && strcmp(dojo_table_column_name(t, 0), "c") == 0 &&
              strcmp(dojo_table_column_name(t, 1), "a") == 0 && dojo_table_nrows(t) == 2 &&
              geti(t, "a", 1) == 2 && strcmp(gets_(t, "c", 1), "y") == 0,
          "subset in the asked order, skipped quoted fields: %s", t ? "" : err);
    dojo_table_free(t);
    const char *bad[] = {"a", "zz"};
    o.columns = bad;
    t = parse("a,b\n1,2\n", &o, err);
    CHECK(!t && has(err, "'zz'"), "unknown column named: %s", err);
    const char *twice[] = {"a", "a"};
    o.columns = twice;
    t = parse("a,b\n1,2\n", &o, err);
    CHECK(!t && has(err, "twice"), "column asked twice: %s", err);
    /* a skipped column may hold anything, even invalid UTF-8 */
    const char *one[] = {"a"};
    o.columns = one;
    o.ncolumns = 1;
    t = parse("a,b\n1,\xff\xfe\n", &o, err);
    CHECK(t && geti(t, "a", 0) == 1, "skipped columns are not validated: %s", t ? "" : err);
    dojo_table_free(t);
}

static void t_forced(void)
{
    char err[512];
    dojo_csv_options o;
    dojo_csv_options_init(&o);
    const char *names[] = {"zip", "n", "f"};
    int types[] = {DOJO_TYPE_STRING, DOJO_TYPE_INT, DOJO_TYPE_FLOAT};
    o.type_columns = names;
    o.types = types;
    o.ntypes = 3;
    dojo_table *t = parse("zip,n,f\n007,1,2\n1.50,,3\n", &o, err);
    CHECK(t && type_of(t, "zip") == DOJO_TYPE_STRING && strcmp(gets_(t, "zip", 0), "007") == 0 &&
              strcmp(gets_(t, "zip", 1), "1.50") == 0 && type_of(t, "n") == DOJO_TYPE_INT &&
              miss(t, "n", 1) && type_of(t, "f") == DOJO_TYPE_FLOAT && getf(t, "f", 0) == 2.0,
          "forced types: %s", t ? "" : err);
    dojo_table_free(t);
    t = parse("zip,n,f\n1,2,3\n4,5,6\n7,2.5,8\n", &o, err);
    CHECK(!t && has(err, "line 4") && has(err, "column 2") && has(err, "'n'") && has(err, "2.5") &&
              has(err, "int"),
          "forced int misfit: %s", err);
    t = parse("zip,n,f\n1,2,3\n4,5,abc\n", &o, err);
    CHECK(!t && has(err, "line 3") && has(err, "'f'") && has(err, "abc"), "forced float misfit: %s",
          err);
    t = parse("zip,n,f\n1,99999999999999999999,3\n", &o, err);
    CHECK(!t && has(err, "line 2") && has(err, "99999999999999999999"), "int overflow: %s", err);
    /* an all-missing forced int column stays int */
    t = parse("zip,n,f\n1,,3\n", &o, err);
    CHECK(t && type_of(t, "n") == DOJO_TYPE_INT, "forced int stays int when all missing");
    dojo_table_free(t);
    const char *unk[] = {"nope"};
    o.type_columns = unk;
    o.ntypes = 1;
    t = parse("a\n1\n", &o, err);
    CHECK(!t && has(err, "'nope'"), "forced type of an unknown column: %s", err);
    int badtype[] = {42};
    const char *a[] = {"a"};
    o.type_columns = a;
    o.types = badtype;
    t = parse("a\n1\n", &o, err);
    CHECK(!t && has(err, "42"), "bad type value: %s", err);
}

static void t_header0(void)
{
    char err[512];
    dojo_csv_options o;
    dojo_csv_options_init(&o);
    o.header = 0;
    dojo_table *t = parse("1,x,2.5\n3,y,4\n", &o, err);
    CHECK(t && dojo_table_ncols(t) == 3 && dojo_table_nrows(t) == 2 &&
              strcmp(dojo_table_column_name(t, 0), "V1") == 0 &&
              strcmp(dojo_table_column_name(t, 2), "V3") == 0 && geti(t, "V1", 0) == 1 &&
              strcmp(gets_(t, "V2", 1), "y") == 0,
          "header=0: %s", t ? "" : err);
    dojo_table_free(t);
    t = parse("1,2\n3\n", &o, err);
    CHECK(!t && has(err, "line 2"), "header=0 ragged line numbers: %s", err);
    t = parse("", &o, err);
    CHECK(!t && has(err, "empty"), "header=0 empty: %s", err);
    /* unquoted empty header names become V<n>, quoted "" stays "" */
    t = parse("a,,\"\"\n1,2,3\n", NULL, err);
    CHECK(t && strcmp(dojo_table_column_name(t, 1), "V2") == 0 &&
              strcmp(dojo_table_column_name(t, 2), "") == 0,
          "empty header names: %s", t ? "" : err);
    dojo_table_free(t);
}

static void t_delims(void)
{
    char err[512];
    dojo_csv_options o;
    dojo_csv_options_init(&o);
    o.delimiter = ';';
    o.quote = '\'';
    dojo_table *t = parse("a;b\n1,5;'x;''y'''\n", &o, err);
    CHECK(t && type_of(t, "a") == DOJO_TYPE_STRING && strcmp(gets_(t, "a", 0), "1,5") == 0 &&
              strcmp(gets_(t, "b", 0), "x;'y'") == 0,
          "semicolon and single quote: %s", t ? "" : err);
    dojo_table_free(t);
    o.delimiter = '\t';
    o.quote = '"';
    t = parse("a\tb\n1\t2.5\n", &o, err);
    CHECK(t && geti(t, "a", 0) == 1 && getf(t, "b", 0) == 2.5, "tab: %s", t ? "" : err);
    dojo_table_free(t);
    /* a delimiter that is part of number syntax: the fast path must not swallow it */
    o.delimiter = '.';
    t = parse("a.b\n1.5\n", &o, err);
    CHECK(t && geti(t, "a", 0) == 1 && geti(t, "b", 0) == 5, "'.' delimiter: %s", t ? "" : err);
    dojo_table_free(t);
    o.delimiter = 'e';
    t = parse("aeb\n1e5\n", &o, err);
    CHECK(t && geti(t, "a", 0) == 1 && geti(t, "b", 0) == 5, "'e' delimiter: %s", t ? "" : err);
    dojo_table_free(t);
    /* quoting disabled */
    o.delimiter = ',';
    o.quote = 0;
    t = parse("a,b\n\"x,y\"\n", &o, err);
    CHECK(t && strcmp(gets_(t, "a", 0), "\"x") == 0 && strcmp(gets_(t, "b", 0), "y\"") == 0,
          "quote 0 disables quoting: %s", t ? "" : err);
    dojo_table_free(t);
}

static void t_blank_lines(void)
{
    char err[512];
    dojo_table *t = parse("\n\na,b\n1,2\n\n3,4\n\r\n\n", NULL, err);
    CHECK(t && dojo_table_nrows(t) == 2 && geti(t, "a", 1) == 3,
          "blank lines skipped in a multi-column file: %s", t ? "" : err);
    dojo_table_free(t);
    t = parse("x\n1\n\n3\n\n", NULL, err);
    CHECK(t && dojo_table_nrows(t) == 4 && miss(t, "x", 1) && miss(t, "x", 3) &&
              geti(t, "x", 2) == 3,
          "one-column file: empty lines are missing values: %s", t ? "" : err);
    dojo_table_free(t);
}

static void t_unterminated(void)
{
    char err[512];
    dojo_table *t = parse("a,b\n1,2\n3,\"abc\n4,5\n6,7\n", NULL, err);
    CHECK(!t && has(err, "line 3") && has(err, "column 2") && has(err, "'b'") &&
              has(err, "unterminated"),
          "unterminated quote says where it opened: %s", err);
    t = parse("a,b\n1,\"", NULL, err);
    CHECK(!t && has(err, "line 2") && has(err, "unterminated"), "quote at the very end: %s", err);
}

static void t_ragged(void)
{
    char err[512];
    dojo_table *t = parse("a,b,c\n1,2,3\n4,5\n", NULL, err);
    CHECK(!t && has(err, "line 3") && has(err, "expected 3 fields, found 2"), "too few: %s", err);
    t = parse("a,b,c\n1,2,3\n4,5,6\n7,8,9,10,\"11\"\n", NULL, err);
    CHECK(!t && has(err, "line 4") && has(err, "expected 3 fields, found 5"), "too many: %s", err);
    t = parse("a,b\n1,2\n3", NULL, err);
    CHECK(!t && has(err, "line 3") && has(err, "found 1"), "last line short: %s", err);
}

static void t_nul(void)
{
    char err[512];
    static const char d1[] = "a,b\n1,2\nx\0y,3\n";
    dojo_table *t = dojo_table_parse_csv(d1, sizeof d1 - 1, NULL, err, sizeof err);
    CHECK(!t && has(err, "line 3") && has(err, "column 1") && has(err, "NUL"), "NUL: %s", err);
    static const char d2[] = "a,b\n1,2\n3,\"q\0\"\n";
    t = dojo_table_parse_csv(d2, sizeof d2 - 1, NULL, err, sizeof err);
    CHECK(!t && has(err, "line 3") && has(err, "column 2") && has(err, "NUL"), "NUL in quotes: %s",
          err);
    static const char d3[] = "a,b\n1,2\n3,4\0\n";
    t = dojo_table_parse_csv(d3, sizeof d3 - 1, NULL, err, sizeof err);
    CHECK(!t && has(err, "line 3") && has(err, "NUL"), "NUL after a number: %s", err);
}

static void t_utf8(void)
{
    char err[512];
    dojo_table *t = parse("s\nh\xC3\xA9llo\n\xE2\x82\xAC\n\xF0\x9F\x98\x80\n", NULL, err);
    CHECK(t && strcmp(gets_(t, "s", 0), "h\xC3\xA9llo") == 0, "valid UTF-8: %s", t ? "" : err);
    dojo_table_free(t);
    const char *bad[] = {"\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                         "\xFF", "ok\x80",   "\xE2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char csv[64];
        snprintf(csv, sizeof csv, "s,n\nfine,1\nx%s,2\n", bad[i]);
        t = parse(csv, NULL, err);
        CHECK(!t && has(err, "line 3") && has(err, "column 1") && has(err, "UTF-8"),
              "invalid UTF-8 %zu: %s", i, err);
        dojo_table_free(t);
    }
    t = parse("a\xff,b\n1,2\n", NULL, err);
    CHECK(!t && has(err, "line 1") && has(err, "UTF-8"), "invalid UTF-8 in a name: %s", err);
}

static void t_quotes_misplaced(void)
{
    char err[512];
    dojo_table *t = parse("a,b\n1,\"abc\"def\n", NULL, err);
    CHECK(!t && has(err, "line 2") && has(err, "column 2") && has(err, "after the closing quote"),
          "text after a closing quote: %s", err);
    t = parse("a,b\n1,\"abc\" \n", NULL, err);
    CHECK(!t && has(err, "after the closing quote"), "space after a closing quote: %s", err);
    t = parse("a,b\n1,ab\"c\"d\n2,5\"\n", NULL, err);
    CHECK(t && strcmp(gets_(t, "b", 0), "ab\"c\"d") == 0 && strcmp(gets_(t, "b", 1), "5\"") == 0,
          "a quote inside an unquoted field is literal: %s", t ? "" : err);
    dojo_table_free(t);
}

static void t_empty(void)
{
    char err[512];
    dojo_table *t = parse("", NULL, err);
    CHECK(!t && has(err, "empty file: no header row"), "empty: %s", err);
    t = parse("\xEF\xBB\xBF", NULL, err);
    CHECK(!t && has(err, "empty file"), "BOM only: %s", err);
    t = parse("\n\r\n", NULL, err);
    CHECK(!t && has(err, "empty file"), "blank lines only: %s", err);
    t = parse("a,b,c\n", NULL, err);
    CHECK(t && dojo_table_nrows(t) == 0 && dojo_table_ncols(t) == 3 &&
              type_of(t, "b") == DOJO_TYPE_FLOAT && dojo_table_column_floats(t, 1) != NULL,
          "header only: 0 rows: %s", t ? "" : err);
    dojo_table_free(t);
    t = parse("a,b,c", NULL, err);
    CHECK(t && dojo_table_nrows(t) == 0 && dojo_table_ncols(t) == 3, "header without newline");
    dojo_table_free(t);
    write_file(tpath("empty.csv"), "", 0);
    t = dojo_table_read_csv(tpath("empty.csv"), NULL, err, sizeof err);
    CHECK(!t && has(err, "empty file"), "empty file on disk: %s", err);
}

static void t_duplicates(void)
{
    char err[512];
    dojo_table *t = parse("a,b,c,b\n1,2,3,4\n", NULL, err);
    CHECK(!t && has(err, "'b'") && has(err, "2") && has(err, "4") && has(err, "duplicate"),
          "duplicate names: %s", err);
}

static void t_big_field(void)
{
    char err[512];
    size_t big = 5u << 20;
    sbuf b = {0};
    sb_str(&b, "id,text,n\n1,\"");
    char *chunk = malloc(big);
    for (size_t i = 0; i < big; i++)
        chunk[i] = "ab,c\n\"\"xyz"[i % 10];
    /* every 10 bytes hold one doubled quote ("" -> ") */
    sb_add(&b, chunk, big);
    sb_str(&b, "\",7\n2,");
    for (size_t i = 0; i < big; i++)
        chunk[i] = (char)('a' + i % 26);
    sb_add(&b, chunk, big);
    sb_str(&b, ",8\n");
    dojo_table *t = dojo_table_parse_csv(b.s, b.len, NULL, err, sizeof err);
    CHECK(t != NULL, "a 5 MB field: %s", err);
    if (t) {
        const int64_t *off;
        const char *s = dojo_table_column_strings(t, 1, &off);
        CHECK(off[1] - off[0] == (int64_t)(big - big / 10), "quoted big field length %lld",
              (long long)(off[1] - off[0]));
        CHECK(memcmp(s, "ab,c\n\"xyzab", 11) == 0, "quoted big field content");
        CHECK(off[2] - off[1] == (int64_t)big && s[off[1] + 27] == 'b', "unquoted big field");
        CHECK(geti(t, "n", 0) == 7 && geti(t, "n", 1) == 8 && geti(t, "id", 1) == 2,
              "fields after the big ones");
    }
    dojo_table_free(t);
    /* and from a file, where it crosses many read blocks */
    write_file(tpath("big.csv"), b.s, b.len);
    t = dojo_table_read_csv(tpath("big.csv"), NULL, err, sizeof err);
    CHECK(t && geti(t, "n", 1) == 8, "big fields from a file: %s", t ? "" : err);
    dojo_table_free(t);
    free(chunk);
    free(b.s);
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void t_record_limit(void)
{
    char err[512];
    dojo_csv_options o;
    dojo_csv_options_init(&o);
    o.max_record_bytes = 1 << 20;
    /* a 48 MB line in a file: refused at the limit, in bounded memory */
    const char *p = tpath("longline.csv");
    FILE *f = fopen(p, "wb");
    char *blk = malloc(1 << 20);
    memset(blk, 'x', 1 << 20);
    fputs("a,b\n1,2\n3,", f);
    for (int i = 0; i < 48; i++)
        fwrite(blk, 1, 1 << 20, f);
    fputs("\n", f);
    fclose(f);
    long before = peak_rss_kb();
    dojo_table *t = dojo_table_read_csv(p, &o, err, sizeof err);
    long after = peak_rss_kb();
    CHECK(!t && has(err, "line 3") && has(err, "max_record_bytes"), "long record: %s", err);
    CHECK(after - before < 24 * 1024, "memory stayed bounded (peak grew %ld kB)", after - before);
    /* an unterminated quote running into the limit says so */
    f = fopen(p, "wb");
    fputs("a,b\n1,\"", f);
    for (int i = 0; i < 3; i++)
        fwrite(blk, 1, 1 << 20, f);
    fclose(f);
    t = dojo_table_read_csv(p, &o, err, sizeof err);
    CHECK(!t && has(err, "max_record_bytes") && has(err, "line 2, column 2"),
          "limit inside a quote: %s", err);
    /* just under the limit works */
    f = fopen(p, "wb");
    fputs("a,b\n1,", f);
    fwrite(blk, 1, (1 << 20) - 16, f);
    fputs("\n2,y\n", f);
    fclose(f);
    t = dojo_table_read_csv(p, &o, err, sizeof err);
    CHECK(t && dojo_table_nrows(t) == 2, "a record under the limit: %s", t ? "" : err);
    dojo_table_free(t);
    /* the limit applies the same way to records that fit in one buffer */
    o.max_record_bytes = 10;
    t = parse("a,b\n1,2\n12345,678901\n", &o, err);
    CHECK(!t && has(err, "line 3") && has(err, "max_record_bytes"), "small limit: %s", err);
    free(blk);
}

static void t_open_errors(void)
{
    char err[512];
    dojo_table *t = dojo_table_read_csv(tpath("does-not-exist.csv"), NULL, err, sizeof err);
    CHECK(!t && has(err, "cannot open") && has(err, "does-not-exist.csv") &&
              has(err, "No such file"),
          "missing file: %s", err);
    t = dojo_table_read_csv(tdir, NULL, err, sizeof err);
    CHECK(!t && has(err, "cannot open") && has(err, "directory"), "directory: %s", err);
    if (geteuid() != 0) {
        write_file(tpath("secret.csv"), "a\n1\n", 4);
        chmod(tpath("secret.csv"), 0);
        t = dojo_table_read_csv(tpath("secret.csv"), NULL, err, sizeof err);
        CHECK(!t && has(err, "Permission denied"), "unreadable: %s", err);
    }
    dojo_csv_reader *r = dojo_csv_reader_open(tpath("nope.csv"), NULL, err, sizeof err);
    CHECK(!r && has(err, "cannot open"), "reader on a missing file: %s", err);
}

static void t_gzip(void)
{
    char err[512];
    sbuf b = {0};
    sb_str(&b, "id,x,s\n");
    for (int i = 0; i < 50000; i++)
        sb_printf(&b, "%d,%d.25,\"s,%d\"\n", i, i, i);
    write_gz(tpath("d.csv.gz"), b.s, b.len);
    dojo_table *t = dojo_table_read_csv(tpath("d.csv.gz"), NULL, err, sizeof err);
    CHECK(t && dojo_table_nrows(t) == 50000 && geti(t, "id", 49999) == 49999 &&
              getf(t, "x", 3) == 3.25 && strcmp(gets_(t, "s", 7), "s,7") == 0,
          "gzip file: %s", t ? "" : err);
    dojo_table_free(t);
    /* the magic decides, not the name */
    write_gz(tpath("plain-name.csv"), b.s, b.len);
    t = dojo_table_read_csv(tpath("plain-name.csv"), NULL, err, sizeof err);
    CHECK(t && dojo_table_nrows(t) == 50000, "gzip detected by magic: %s", t ? "" : err);
    dojo_table_free(t);
    /* multi-member: two gzip streams back to back, split inside a record */
    size_t half = b.len / 2, l1, l2;
    unsigned char *g1 = gz_mem(b.s, half, &l1), *g2 = gz_mem(b.s + half, b.len - half, &l2);
    unsigned char *both = malloc(l1 + l2 + 8);
    memcpy(both, g1, l1);
    memcpy(both + l1, g2, l2);
    memset(both + l1 + l2, 0, 8); /* zero padding at the end is accepted */
    t = dojo_table_parse_csv(both, l1 + l2 + 8, NULL, err, sizeof err);
    CHECK(t && dojo_table_nrows(t) == 50000 && geti(t, "id", 49999) == 49999,
          "multi-member gzip from memory: %s", t ? "" : err);
    dojo_table_free(t);
    write_file(tpath("multi.csv.gz"), both, l1 + l2);
    t = dojo_table_read_csv(tpath("multi.csv.gz"), NULL, err, sizeof err);
    CHECK(t && dojo_table_nrows(t) == 50000, "multi-member gzip file: %s", t ? "" : err);
    dojo_table_free(t);

    /* truncated */
    t = dojo_table_parse_csv(g1, l1 - 20, NULL, err, sizeof err);
    CHECK(!t && has(err, "truncated gzip data"), "truncated gzip: %s", err);
    write_file(tpath("trunc.csv.gz"), g1, l1 / 2);
    t = dojo_table_read_csv(tpath("trunc.csv.gz"), NULL, err, sizeof err);
    CHECK(!t && has(err, "truncated gzip data"), "truncated gzip file: %s", err);
    /* corrupt: a flipped byte in the deflate data, then a bad CRC */
    unsigned char *bad = malloc(l1);
    memcpy(bad, g1, l1);
    for (size_t i = 20; i < 60; i++)
        bad[i] ^= 0x5a;
    t = dojo_table_parse_csv(bad, l1, NULL, err, sizeof err);
    CHECK(!t && has(err, "corrupt gzip data"), "corrupt gzip: %s", err);
    memcpy(bad, g1, l1);
    bad[l1 - 6] ^= 0xff; /* CRC32 */
    t = dojo_table_parse_csv(bad, l1, NULL, err, sizeof err);
    CHECK(!t && has(err, "corrupt gzip data") && has(err, "incorrect data check"),
          "bad gzip CRC: %s", err);
    free(bad);
    free(both);
    free(g1);
    free(g2);
    free(b.s);
}

/* Mutated inputs (bytes flipped, inserted, deleted, truncated; quotes, CR, LF, NUL, bad
   UTF-8) through the reader with assorted options, the writer and the index: a parse either
   fails with a message or gives a table that writes and reads back with the same shape. */
static void t_mutations(void)
{
    static const char *seeds[] = {
        "a,b,c\n1,2.5,x\n3,,\"y,z\"\n4,5,\"q\"\"q\"\n",
        "id,v\r\n1,1.50\r\n2,x\r\n\"3\",\"\"\r\n",
        "x\n1\n\n3\n",
        "\xEF\xBB\xBFh1;h2\n\"a\nb\";2\n",
        "n,s\nnan,\xC3\xA9\n-inf,ok\n1e308,\"\"\n",
    };
    static const unsigned char pick[] = {',', '"', '\n', '\r', 0,   0xff, 0xc3,
                                         'e', '.', '-',  '0',  ' ', ';'};
    char err[512];
    unsigned char buf[4200];
    size_t bad = 0, parsed = 0;
    for (int it = 0; it < 4000; it++) {
        const char *sd = seeds[rnd() % 5];
        size_t n = strlen(sd);
        memcpy(buf, sd, n);
        int muts = 1 + (int)(rnd() % 6);
        for (int m = 0; m < muts; m++) {
            int op = (int)(rnd() % 5);
            size_t pos = rnd() % (n + 1);
            if (op == 0 && n)
                buf[pos % n] = pick[rnd() % sizeof pick];
            else if (op == 1 && n < 4000) {
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = pick[rnd() % sizeof pick];
                n++;
            } else if (op == 2 && n) {
                memmove(buf + pos % n, buf + pos % n + 1, n - pos % n - 1);
                n--;
            } else if (op == 3)
                n = pos;
            else if (op == 4 && n && n < 2000) {
                memcpy(buf + n, buf, n);
                n *= 2;
            }
        }
        dojo_csv_options o;
        dojo_csv_options_init(&o);
        if (rnd() % 3 == 0)
            o.header = 0;
        if (rnd() % 3 == 0)
            o.max_record_bytes = 1 + rnd() % 40;
        const char *na[] = {"NA", "1", ""};
        if (rnd() % 3 == 0) {
            o.na_values = na;
            o.nna_values = 3;
        }
        if (rnd() % 5 == 0)
            o.delimiter = ';';
        dojo_table *t = dojo_table_parse_csv(buf, n, &o, err, sizeof err);
        if (!t) {
            bad += err[0] == '\0';
            continue;
        }
        parsed++;
        size_t len;
        char *f = dojo_table_format_csv(t, &len, err, sizeof err);
        dojo_table *u = f ? dojo_table_parse_csv(f, len, NULL, err, sizeof err) : NULL;
        if (dojo_table_ncols(t) > 0 && (!u || dojo_table_ncols(u) != dojo_table_ncols(t) ||
                                        dojo_table_nrows(u) != dojo_table_nrows(t))) {
            if (!bad++)
                CHECK(0, "mutation %d: written table reads back differently: %s", it,
                      u ? "shape" : err);
        }
        dojo_table_free(u);
        dojo_free(f);
        if (dojo_table_ncols(t) > 0 && dojo_table_column_type(t, 0) != DOJO_TYPE_FLOAT) {
            dojo_index *x = dojo_index_new(t, 0, err, sizeof err);
            int64_t *rows = malloc((dojo_table_nrows(t) + 1) * sizeof *rows);
            CHECK(x && dojo_index_match(x, t, 0, rows, err, sizeof err) == 0, "index: %s", err);
            dojo_index_free(x);
            free(rows);
        }
        dojo_table_free(t);
    }
    CHECK(bad == 0, "%zu failures without a message or bad round trips", bad);
    CHECK(parsed > 100, "only %zu of the mutated inputs parsed", parsed);
}

/* ---- the writer and round trips ----------------------------------------------------- */

static void t_write_text(void)
{
    char err[512];
    dojo_table *t = dojo_table_new();
    int64_t iv[] = {1, -2, 3, INT64_MIN};
    unsigned char im[] = {0, 0, 1, 0};
    double fv[] = {1.0, 0.1, -0.0, 1e21};
    const char *sv = "plaina,bq\"x line\nend";
    int64_t so[] = {0, 5, 8, 11, 20};
    unsigned char sm[] = {0, 0, 0, 0};
    dojo_table_add_ints(t, "i", iv, im, 4, err, sizeof err);
    dojo_table_add_floats(t, "f", fv, NULL, 4, err, sizeof err);
    int rc = dojo_table_add_strings(t, "s,name", sv, so, sm, 4, err, sizeof err);
    CHECK(rc == 0, "add_strings: %s", err);
    size_t len;
    char *s = dojo_table_format_csv(t, &len, err, sizeof err);
    const char *want = "i,f,\"s,name\"\n"
                       "1,1.0,plain\n"
                       "-2,0.1,\"a,b\"\n"
                       ",-0.0,\"q\"\"x\"\n"
                       "-9223372036854775808,1e+21,\" line\nend\"\n";
    CHECK(s && strcmp(s, want) == 0 && len == strlen(want), "formatted:\n%s", s ? s : err);
    dojo_free(s);
    dojo_table_free(t);

    t = dojo_table_new();
    const char *e = "x";
    int64_t eo[] = {0, 0, 0, 1, 1};
    unsigned char em[] = {0, 1, 0, 0};
    dojo_table_add_strings(t, "s", e, eo, em, 4, err, sizeof err);
    s = dojo_table_format_csv(t, &len, err, sizeof err);
    CHECK(s && strcmp(s, "s\n\"\"\n\nx\n\"\"\n") == 0, "empty vs missing strings: [%s]", s);
    dojo_free(s);
    dojo_table_free(t);

    double sp[] = {NAN, INFINITY, -INFINITY, 5e-324, 123456.0, 1e15, 1e16, 0.0001, 1e-5};
    t = dojo_table_new();
    dojo_table_add_floats(t, "v", sp, NULL, 9, err, sizeof err);
    s = dojo_table_format_csv(t, &len, err, sizeof err);
    CHECK(s && strcmp(s, "v\nnan\ninf\n-inf\n4.94065645841247e-324\n123456.0\n1e+15\n1e+16\n"
                         "0.0001\n1e-05\n") == 0,
          "special floats: [%s]", s);
    dojo_free(s);
    dojo_table_free(t);
}

static dojo_table *edge_table(void)
{
    char err[512];
    dojo_table *t = dojo_table_new();
    int64_t iv[] = {0, -1, INT64_MAX, INT64_MIN, 42, 7, 0, 1000000, -5, 3, 8, 9, 10, 11};
    unsigned char im[] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    double fv[] = {5e-324,       2.2250738585072014e-308,
                   1e308,        DBL_MAX,
                   -0.0,         NAN,
                   INFINITY,     -INFINITY,
                   0.1,          1.0 / 3.0,
                   123456789e10, 2.5e-310,
                   0.0,          1e-7};
    unsigned char fm[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    const char *strs[] = {"a,b",
                          "q\"uote",
                          "line\nbreak",
                          "cr\rret",
                          "",
                          "",
                          " lead",
                          "trail ",
                          "\xC3\xBCnic\xC3\xB6"
                          "de",
                          "007",
                          "1.50",
                          "nan",
                          "\"",
                          "x"};
    unsigned char sm[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    sbuf b = {0};
    int64_t off[15];
    off[0] = 0;
    for (int i = 0; i < 14; i++) {
        sb_str(&b, strs[i]);
        off[i + 1] = (int64_t)b.len;
    }
    dojo_table_add_ints(t, "ints", iv, im, 14, err, sizeof err);
    dojo_table_add_floats(t, "floats", fv, fm, 14, err, sizeof err);
    dojo_table_add_strings(t, "str,ings \"q\"", b.s ? b.s : "", off, sm, 14, err, sizeof err);
    free(b.s);
    return t;
}

static void t_round_trip(void)
{
    char err[512], why[256];
    dojo_table *t = edge_table();
    CHECK(dojo_table_ncols(t) == 3 && dojo_table_nrows(t) == 14, "edge table built");
    const char *paths[] = {"rt.csv", "rt.csv.gz"};
    for (int k = 0; k < 2; k++) {
        const char *p = tpath(paths[k]);
        int rc = dojo_table_write_csv(t, p, err, sizeof err);
        CHECK(rc == 0, "write %s: %s", paths[k], err);
        dojo_table *u = dojo_table_read_csv(p, NULL, err, sizeof err);
        CHECK(u != NULL, "read back %s: %s", paths[k], err);
        if (u)
            CHECK(tables_equal(t, u, why, sizeof why), "%s round trip: %s", paths[k], why);
        dojo_table_free(u);
    }
    /* gzip output really is gzip */
    FILE *f = fopen(tpath("rt.csv.gz"), "rb");
    unsigned char mg[2] = {0, 0};
    CHECK(f && fread(mg, 1, 2, f) == 2 && mg[0] == 0x1f && mg[1] == 0x8b, "gzip magic");
    if (f)
        fclose(f);
    /* no temporary file left behind */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp > /dev/null", tdir);
    CHECK(system(cmd) != 0, "no temporary files left");
    size_t len;
    char *s = dojo_table_format_csv(t, &len, err, sizeof err);
    dojo_table *u = s ? dojo_table_parse_csv(s, len, NULL, err, sizeof err) : NULL;
    CHECK(u && tables_equal(t, u, why, sizeof why), "memory round trip: %s", u ? why : err);
    dojo_free(s);
    dojo_table_free(u);
    dojo_table_free(t);
    /* writing into a missing directory fails cleanly */
    t = edge_table();
    int rc = dojo_table_write_csv(t, tpath("no/such/dir.csv"), err, sizeof err);
    CHECK(rc < 0 && has(err, "no/such/dir.csv"), "write error names the path: %s", err);
    dojo_table_free(t);
}

/* A randomised CSV with every feature, checked against what the generator wrote; large
   enough to cut records at many buffer boundaries. */
static void t_random_csv(void)
{
    char err[512];
    size_t n = 120000;
    int64_t *iv = malloc(n * sizeof *iv);
    double *fv = malloc(n * sizeof *fv);
    unsigned char *im = calloc(n, 1), *fm = calloc(n, 1), *sm = calloc(n, 1);
    sbuf strs = {0};
    int64_t *so = malloc((n + 1) * sizeof *so);
    sbuf csv = {0};
    sb_str(&csv, "i,f,s\r\n");
    so[0] = 0;
    const char *eols[] = {"\n", "\r\n", "\r"};
    for (size_t r = 0; r < n; r++) {
        int q = rnd() % 4 == 0;
        if (rnd() % 17 == 0) {
            im[r] = 1;
            iv[r] = 0;
            sb_str(&csv, q ? "\"\"" : "");
        } else {
            iv[r] = (int64_t)(rnd() % 2000001) - 1000000;
            sb_printf(&csv, q ? "\"%lld\"" : "%lld", (long long)iv[r]);
        }
        sb_str(&csv, ",");
        if (rnd() % 19 == 0) {
            fm[r] = 1;
            sb_str(&csv, "");
        } else {
            char tx[64];
            snprintf(tx, sizeof tx, "%.*g", (int)(1 + rnd() % 17),
                     ((double)(int64_t)(rnd() % 2000000001) - 1e9) / (double)(1 + rnd() % 100000));
            fv[r] = strtod(tx, NULL);
            sb_str(&csv, tx);
        }
        sb_str(&csv, ",");
        if (rnd() % 23 == 0) {
            sm[r] = 1;
        } else {
            char tx[40];
            size_t len = rnd() % 12;
            for (size_t k = 0; k < len; k++)
                tx[k] = "ab,\"\n\r c\xC3\xA9"[rnd() % 10];
            /* keep UTF-8 valid: \xC3 always followed by \xA9 */
            for (size_t k = 0; k < len; k++)
                if ((unsigned char)tx[k] == 0xC3) {
                    if (k + 1 < len)
                        tx[k + 1] = (char)0xA9;
                    else
                        tx[k] = 'z';
                } else if ((unsigned char)tx[k] == 0xA9 &&
                           (k == 0 || (unsigned char)tx[k - 1] != 0xC3))
                    tx[k] = 'y';
            if (len == 0)
                tx[len++] = 'e'; /* an empty one would need quotes: covered elsewhere */
            sb_add(&strs, tx, len);
            sb_str(&csv, "\"");
            for (size_t k = 0; k < len; k++) {
                if (tx[k] == '"')
                    sb_str(&csv, "\"");
                sb_add(&csv, tx + k, 1);
            }
            sb_str(&csv, "\"");
        }
        so[r + 1] = (int64_t)strs.len;
        sb_str(&csv, eols[rnd() % 3]);
    }
    dojo_table *t = dojo_table_parse_csv(csv.s, csv.len, NULL, err, sizeof err);
    CHECK(t != NULL, "random csv: %s", err);
    if (t) {
        dojo_table *w = dojo_table_new();
        dojo_table_add_ints(w, "i", iv, im, n, err, sizeof err);
        dojo_table_add_floats(w, "f", fv, fm, n, err, sizeof err);
        dojo_table_add_strings(w, "s", strs.s, so, sm, n, err, sizeof err);
        char why[256];
        CHECK(tables_equal(w, t, why, sizeof why), "random csv values: %s", why);
        dojo_table_free(w);
    }
    dojo_table_free(t);
    /* the same through a gzip file */
    write_gz(tpath("random.csv.gz"), csv.s, csv.len);
    t = dojo_table_read_csv(tpath("random.csv.gz"), NULL, err, sizeof err);
    CHECK(t && dojo_table_nrows(t) == n, "random csv via gzip: %s", t ? "" : err);
    dojo_table_free(t);
    free(iv);
    free(fv);
    free(im);
    free(fm);
    free(sm);
    free(so);
    free(strs.s);
    free(csv.s);
}

/* The writer's float text must be the shortest of %.15g/%.16g/%.17g that reads back, with
   ".0" on integral values. */
static void ref_fmt(double v, char *out)
{
    if (isnan(v)) {
        strcpy(out, "nan");
        return;
    }
    if (isinf(v)) {
        strcpy(out, v < 0 ? "-inf" : "inf");
        return;
    }
    for (int p = 15; p <= 17; p++) {
        snprintf(out, 40, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (!strpbrk(out, ".e"))
        strcat(out, ".0");
}

static void t_float_format(void)
{
    char err[512];
    size_t n = 300000;
    double *v = malloc(n * sizeof *v);
    size_t nb = 0;
    for (int e = -8; e <= 17; e++) { /* around powers of ten: the notation switches there */
        double p10 = pow(10, e);
        double around[] = {p10,
                           nextafter(p10, 0),
                           nextafter(p10, INFINITY),
                           p10 * (1 - 1e-15),
                           p10 * (1 + 1e-15),
                           p10 * 9.99999999999999,
                           p10 * 0.999999999999999};
        for (size_t k = 0; k < sizeof around / sizeof *around; k++) {
            v[nb++] = around[k];
            v[nb++] = -around[k];
        }
    }
    for (size_t i = nb; i < n; i++) {
        uint64_t bits = rnd();
        switch (i % 7) {
        case 5: /* decimals of 1 to 15 digits at every scale */
            v[i] =
                (double)(bits % U64C(1000000000000000) >> (bits % 50)) / pow(10, (int)(rnd() % 23));
            break;
        case 6: /* 16 and 17 digits */
            v[i] = (double)(bits % U64C(100000000000000000)) * pow(10, (int)(rnd() % 40) - 25);
            break;
        case 0:
            memcpy(&v[i], &bits, 8);
            if (isnan(v[i]))
                v[i] = 1.5;
            break;
        case 1:
            v[i] = (double)(int64_t)(bits % 100000000) / 1000.0;
            break;
        case 2:
            v[i] = (double)(bits % 1000000007) * pow(10, (int)(bits >> 40) % 40 - 25);
            break;
        case 3:
            v[i] = (double)(int64_t)(bits % 2000001 - 1000000);
            break;
        default:
            v[i] = ((double)(bits >> 11) / 9007199254740992.0 - 0.5) * 1e6;
        }
    }
    dojo_table *t = dojo_table_new();
    dojo_table_add_floats(t, "v", v, NULL, n, err, sizeof err);
    size_t len;
    char *s = dojo_table_format_csv(t, &len, err, sizeof err);
    CHECK(s != NULL, "format: %s", err);
    size_t bad = 0;
    char first_bad[160] = "";
    if (s) {
        char *p = strchr(s, '\n') + 1;
        for (size_t i = 0; i < n; i++) {
            char *e = strchr(p, '\n');
            char want[48];
            ref_fmt(v[i], want);
            if ((size_t)(e - p) != strlen(want) || memcmp(p, want, (size_t)(e - p)) != 0) {
                if (!bad++)
                    snprintf(first_bad, sizeof first_bad, "%.17g: got '%.*s' want '%s'", v[i],
                             (int)(e - p), p, want);
            }
            p = e + 1;
        }
    }
    CHECK(bad == 0, "%zu floats formatted differently, first %s", bad, first_bad);
    dojo_table *u = s ? dojo_table_parse_csv(s, len, NULL, err, sizeof err) : NULL;
    char why[256];
    CHECK(u && tables_equal(t, u, why, sizeof why), "floats read back: %s", u ? why : err);
    dojo_table_free(u);
    dojo_free(s);
    dojo_table_free(t);
    free(v);
}

/* 1M random decimal strings: the reader's value equals strtod's, bit for bit. */
static void t_float_exact(void)
{
    char err[512];
    size_t n = 1000000;
    sbuf csv = {0};
    sb_str(&csv, "v\n");
    char **texts = malloc(n * sizeof *texts);
    static const char *hard[] = {"9007199254740993",
                                 "9007199254740993.0",
                                 "2.2250738585072011e-308",
                                 "2.2250738585072012e-308",
                                 "1e23",
                                 "8.98846567431158e307",
                                 "4.9406564584124654e-324",
                                 "2.4703282292062327e-324",
                                 "2.4703282292062328e-324",
                                 "1.7976931348623157e308",
                                 "1.7976931348623158e308",
                                 "0.1",
                                 "0.3",
                                 "123456789012345678901234567890",
                                 "7.038531e-26",
                                 "1.00000000000000011102230246251565404236316680908203125",
                                 "1.00000000000000011102230246251565404236316680908203124",
                                 "1.00000000000000011102230246251565404236316680908203126",
                                 "4503599627370496.5",
                                 "4503599627370497.5",
                                 "1e-22",
                                 "1e22",
                                 "123456789e-22",
                                 "9999999999999999999",
                                 "99999999999999999999e-5",
                                 "0.000000000000000000000000000001234567890123456789012"};
    size_t nh = sizeof hard / sizeof *hard;
    for (size_t i = 0; i < n; i++) {
        char tx[96];
        size_t k = 0;
        if (i < nh) {
            snprintf(tx, sizeof tx, "%s", hard[i]);
        } else {
            uint64_t r = rnd();
            if (r & 1)
                tx[k++] = '-';
            int nd = 1 + (int)(rnd() % (i % 3 == 0 ? 40 : 17));
            int dot = (int)(rnd() % (unsigned)(nd + 1));
            int lead0 = dot == 0 || rnd() % 4 == 0;
            if (lead0) {
                tx[k++] = '0';
                tx[k++] = '.';
                int z = (int)(rnd() % 4);
                for (int j = 0; j < z; j++)
                    tx[k++] = '0';
                for (int j = 0; j < nd; j++)
                    tx[k++] = (char)('0' + rnd() % 10);
            } else {
                tx[k++] = (char)('1' + rnd() % 9);
                for (int j = 1; j < nd; j++) {
                    if (j == dot)
                        tx[k++] = '.';
                    tx[k++] = (char)('0' + rnd() % 10);
                }
            }
            if (rnd() % 3 == 0) {
                int e = (int)(rnd() % 700) - 350;
                if (rnd() % 2)
                    e = (int)(rnd() % 60) - 30;
                k += (size_t)snprintf(tx + k, sizeof tx - k, "e%d", e);
            }
            tx[k] = '\0';
        }
        texts[i] = strdup(tx);
        sb_str(&csv, tx);
        sb_str(&csv, "\n");
    }
    dojo_table *t = dojo_table_parse_csv(csv.s, csv.len, NULL, err, sizeof err);
    CHECK(t && type_of(t, "v") == DOJO_TYPE_FLOAT, "parse: %s", t ? "type" : err);
    if (t && type_of(t, "v") == DOJO_TYPE_FLOAT) {
        const double *v = dojo_table_column_floats(t, 0);
        size_t bad = 0;
        char first[200] = "";
        for (size_t i = 0; i < n; i++) {
            double want = strtod(texts[i], NULL);
            if (!same_double(v[i], want) && !bad++)
                snprintf(first, sizeof first, "'%s': got %.17g want %.17g", texts[i], v[i], want);
        }
        CHECK(bad == 0, "%zu of %zu values differ from strtod; first %s", bad, n, first);
    }
    dojo_table_free(t);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(csv.s);
}

/* Random number text of the shapes the block fast path parses itself (up to 8 + 8 digits)
   and some it hands to parse_num (longer, exponents, "5.", ".5", leading zeros). */
static void rnd_number(char *tx, size_t cap, int integer)
{
    size_t k = 0;
    if (rnd() % 4 == 0)
        tx[k++] = '-';
    int ni = 1 + (int)(rnd() % (rnd() % 8 == 0 ? 14 : 8));
    tx[k++] = (char)((rnd() % 5 == 0 && !integer) ? '0' : '1' + rnd() % 9);
    if (tx[k - 1] == '0')
        ni = 1;
    for (int j = 1; j < ni; j++)
        tx[k++] = (char)('0' + rnd() % 10);
    if (!integer) {
        tx[k++] = '.';
        int nf = (int)(rnd() % (rnd() % 8 == 0 ? 14 : 9)); /* 0: "5." */
        for (int j = 0; j < nf; j++)
            tx[k++] = (char)('0' + rnd() % 10);
        if (rnd() % 16 == 0)
            k += (size_t)snprintf(tx + k, cap - k, "e%d", (int)(rnd() % 40) - 20);
    }
    tx[k] = '\0';
}

/* 300k records of id (int), x and y (floats) through the block fast path: every value is
   strtoll's or strtod's, with CRLF records, quoted, empty and text-free interruptions that
   send single records to the general path, and a float column that starts with ints. */
static void t_fast_rows(void)
{
    char err[512];
    size_t n = 300000;
    sbuf csv = {0};
    sb_str(&csv, "id,x,y\n");
    char (*tx)[3][40] = malloc(n * sizeof *tx);
    for (size_t i = 0; i < n; i++) {
        rnd_number(tx[i][0], 40, 1);
        if (i < 100 || rnd() % 50 == 0)
            rnd_number(tx[i][1], 40, 1); /* an int in a float column */
        else
            rnd_number(tx[i][1], 40, 0);
        rnd_number(tx[i][2], 40, 0);
        int q = rnd() % 500 == 0, e = rnd() % 700 == 0;
        sb_printf(&csv, "%s,%s%s%s,%s%s", tx[i][0], q ? "\"" : "", tx[i][1], q ? "\"" : "",
                  e ? "" : tx[i][2], rnd() % 100 == 0 ? "\r\n" : "\n");
        if (e)
            tx[i][2][0] = '\0';
    }
    dojo_table *t = dojo_table_parse_csv(csv.s, csv.len, NULL, err, sizeof err);
    CHECK(t && dojo_table_nrows(t) == n && dojo_table_column_type(t, 0) == DOJO_TYPE_INT &&
              dojo_table_column_type(t, 1) == DOJO_TYPE_FLOAT &&
              dojo_table_column_type(t, 2) == DOJO_TYPE_FLOAT,
          "parse: %s", t ? "shape" : err);
    if (t && dojo_table_nrows(t) == n && dojo_table_column_type(t, 0) == DOJO_TYPE_INT) {
        size_t bad = 0;
        char first[200] = "";
        for (size_t i = 0; i < n; i++) {
            int ok = geti(t, "id", i) == strtoll(tx[i][0], NULL, 10) &&
                     same_double(getf(t, "x", i), strtod(tx[i][1], NULL)) &&
                     (tx[i][2][0] ? !miss(t, "y", i) &&
                                        same_double(getf(t, "y", i), strtod(tx[i][2], NULL))
                                  : miss(t, "y", i));
            if (!ok && !bad++)
                snprintf(first, sizeof first, "row %zu: %s,%s,%s", i, tx[i][0], tx[i][1],
                         tx[i][2]);
        }
        CHECK(bad == 0, "%zu of %zu rows differ; first %s", bad, n, first);
    }
    dojo_table_free(t);
    free(tx);
    free(csv.s);
}

/* Runs tests on the scalar number parser ($DOJO_CSV_SIMD=0: what a processor without SSSE3
   runs), on the SSSE3 build of the fast path (1: what one without AVX2 runs) and on its AVX2
   build (2: what one without AVX-512 runs); the other tests run the processor's best. */
static void at_simd_levels(void (*const tests[])(void), size_t n)
{
    const char *levels[] = {"0", "1", "2"};
    for (size_t l = 0; l < 3; l++) {
        setenv("DOJO_CSV_SIMD", levels[l], 1);
        for (size_t i = 0; i < n; i++)
            tests[i]();
    }
    unsetenv("DOJO_CSV_SIMD");
}

/* The same two checks at each SIMD level. */
static void t_fast_rows_scalar(void)
{
    void (*const tests[])(void) = {t_fast_rows, t_float_exact};
    at_simd_levels(tests, 2);
}

/* Records around and over the fast path's span (2 KiB of text listed at a time): numbers of
   random lengths in 300 columns make records of about 1.5 to 2.7 KB, which the fast path
   takes or leaves to the record paths; every value must be strtod's. Then a limit on the
   record's length below a span (max_record_bytes 1000), which the record paths check: short
   records read the same, a long one is refused. */
static void t_fast_rows_wide(void)
{
    char err[512];
    size_t n = 400, k = 300;
    sbuf csv = {0};
    for (size_t j = 0; j < k; j++)
        sb_printf(&csv, "%sc%zu", j ? "," : "", j);
    sb_str(&csv, "\n");
    double *want = malloc(n * k * sizeof *want);
    for (size_t i = 0; i < n; i++) {
        int wide = rnd() % 2;
        for (size_t j = 0; j < k; j++) {
            char tx[40];
            snprintf(tx, sizeof tx, wide ? "%u.%06u" : "%u.%u", (unsigned)(rnd() % 1000),
                     (unsigned)(rnd() % 1000000));
            want[i * k + j] = strtod(tx, NULL);
            sb_printf(&csv, "%s%s", j ? "," : "", tx);
        }
        sb_str(&csv, i % 7 == 0 ? "\r\n" : "\n");
    }
    dojo_table *t = dojo_table_parse_csv(csv.s, csv.len, NULL, err, sizeof err);
    int good = t && dojo_table_nrows(t) == n && dojo_table_ncols(t) == k;
    size_t bad = 0;
    for (size_t j = 0; good && j < k; j++) {
        const double *v = dojo_table_column_floats(t, j);
        for (size_t i = 0; v && i < n; i++)
            bad += !same_double(v[i], want[i * k + j]);
        good = v != NULL;
    }
    CHECK(good && bad == 0, "records of 1.5 to 2.7 KB: %s, %zu values differ",
          t ? "read" : err, bad);
    dojo_table_free(t);

    sbuf small = {0};
    sb_str(&small, "id,x\n");
    for (size_t i = 0; i < 5000; i++)
        sb_printf(&small, "%zu,%zu.25\n", i, i * 3);
    dojo_csv_options o;
    dojo_csv_options_init(&o);
    o.max_record_bytes = 1000;
    t = dojo_table_parse_csv(small.s, small.len, &o, err, sizeof err);
    good = t && dojo_table_nrows(t) == 5000;
    for (size_t i = 0; good && i < 5000; i++)
        good = geti(t, "id", i) == (int64_t)i && getf(t, "x", i) == (double)(i * 3) + 0.25;
    CHECK(good, "max_record_bytes 1000: short records read the same: %s", t ? "values" : err);
    dojo_table_free(t);
    sb_str(&small, "1,");
    for (size_t i = 0; i < 1200; i++)
        sb_str(&small, "7");
    sb_str(&small, "\n");
    t = dojo_table_parse_csv(small.s, small.len, &o, err, sizeof err);
    CHECK(!t && has(err, "max_record_bytes") && has(err, "line 5002"),
          "max_record_bytes 1000: a record of 1202 bytes is refused: %s", t ? "read" : err);
    dojo_table_free(t);
    free(small.s);
    free(want);
    free(csv.s);
}

/* ---- streaming ---------------------------------------------------------------------- */

static void t_stream_chunks(void)
{
    char err[512], why[256];
    sbuf b = {0};
    sb_str(&b, "id,x,s\n");
    size_t n = 100000;
    for (size_t i = 0; i < n; i++)
        sb_printf(&b, "%zu,%s,\"t%zu\"\n", i, i % 13 ? "1.5" : "", i);
    const char *p = tpath("stream.csv");
    write_file(p, b.s, b.len);
    dojo_table *whole = dojo_table_read_csv(p, NULL, err, sizeof err);
    CHECK(whole != NULL, "whole: %s", err);
    size_t sizes[] = {1000, 777, 100000, 1 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes && whole; k++) {
        dojo_csv_reader *r = dojo_csv_reader_open(p, NULL, err, sizeof err);
        CHECK(r != NULL, "open: %s", err);
        if (!r)
            continue;
        size_t at = 0, chunks = 0;
        int ok = 1, rc;
        int64_t last_off = 0;
        dojo_table *c;
        while ((rc = dojo_csv_reader_next(r, sizes[k], &c, err, sizeof err)) == 1) {
            chunks++;
            size_t m = dojo_table_nrows(c);
            ok = ok && m <= sizes[k] && m > 0;
            int64_t *rows = malloc((m ? m : 1) * sizeof *rows);
            for (size_t i = 0; i < m; i++)
                rows[i] = (int64_t)(at + i);
            dojo_table *slice = dojo_table_take(whole, rows, m, err, sizeof err);
            if (!tables_equal(slice, c, why, sizeof why)) {
                if (ok)
                    CHECK(0, "chunk %zu (size %zu) differs: %s", chunks, sizes[k], why);
                ok = 0;
            }
            int64_t off = dojo_csv_reader_offset(r);
            ok = ok && off > last_off;
            last_off = off;
            dojo_table_free(slice);
            free(rows);
            dojo_table_free(c);
            at += m;
        }
        CHECK(rc == 0, "reader ended with %d: %s", rc, err);
        CHECK(ok && at == n, "chunks of %zu concatenate to the whole (%zu rows)", sizes[k], at);
        CHECK(chunks == (n + sizes[k] - 1) / sizes[k], "%zu chunks of %zu", chunks, sizes[k]);
        CHECK(dojo_csv_reader_offset(r) == (int64_t)b.len, "offset at the end %lld of %zu",
              (long long)dojo_csv_reader_offset(r), b.len);
        CHECK(dojo_csv_reader_next(r, 10, &c, err, sizeof err) == 0, "EOF stays EOF");
        dojo_csv_reader_free(r);
    }
    /* gzip streaming */
    write_gz(tpath("stream.csv.gz"), b.s, b.len);
    dojo_csv_reader *r = dojo_csv_reader_open(tpath("stream.csv.gz"), NULL, err, sizeof err);
    size_t total = 0;
    dojo_table *c;
    int64_t off = 0;
    while (r && dojo_csv_reader_next(r, 30000, &c, err, sizeof err) == 1) {
        total += dojo_table_nrows(c);
        dojo_table_free(c);
        off = dojo_csv_reader_offset(r);
    }
    struct stat st;
    stat(tpath("stream.csv.gz"), &st);
    CHECK(r && total == n && off == st.st_size, "gzip streaming: %zu rows, offset %lld of %lld",
          total, (long long)off, (long long)st.st_size);
    dojo_csv_reader_free(r);
    dojo_table_free(whole);
    /* a header-only file: one empty chunk (the schema), then the end */
    write_file(tpath("hdr.csv"), "a,b\n", 4);
    r = dojo_csv_reader_open(tpath("hdr.csv"), NULL, err, sizeof err);
    int rc1 = r ? dojo_csv_reader_next(r, 10, &c, err, sizeof err) : -2;
    CHECK(rc1 == 1 && dojo_table_ncols(c) == 2 && dojo_table_nrows(c) == 0,
          "header only: an empty first chunk");
    dojo_table_free(rc1 == 1 ? c : NULL);
    CHECK(r && dojo_csv_reader_next(r, 10, &c, err, sizeof err) == 0, "then the end");
    CHECK(r && dojo_csv_reader_next(r, 0, &c, err, sizeof err) == -1 && has(err, "max_rows"),
          "max_rows 0 refused");
    dojo_csv_reader_free(r);
    dojo_csv_reader_free(NULL);
    free(b.s);
}

static void t_stream_misfit(void)
{
    char err[512];
    sbuf b = {0};
    sb_str(&b, "n,s,e\n");
    for (int i = 0; i < 100; i++)
        sb_printf(&b, "%d,x%d,\n", i, i);
    sb_str(&b, "2.5,y,\n");
    write_file(tpath("misfit.csv"), b.s, b.len);
    dojo_csv_reader *r = dojo_csv_reader_open(tpath("misfit.csv"), NULL, err, sizeof err);
    dojo_table *c = NULL;
    int rc = r ? dojo_csv_reader_next(r, 60, &c, err, sizeof err) : -2;
    CHECK(rc == 1 && type_of(c, "n") == DOJO_TYPE_INT && type_of(c, "e") == DOJO_TYPE_FLOAT,
          "first chunk types");
    dojo_table_free(c);
    rc = r ? dojo_csv_reader_next(r, 60, &c, err, sizeof err) : -2;
    CHECK(rc == -1 && has(err, "line 102") && has(err, "column 1") && has(err, "'n'") &&
              has(err, "2.5") && has(err, "first chunk"),
          "later misfit: %s", err);
    CHECK(r && dojo_csv_reader_next(r, 60, &c, err, sizeof err) == -1, "stays failed");
    dojo_csv_reader_free(r);
    /* an all-missing column of the first chunk is float: text later is an error */
    b.len = 0;
    sb_str(&b, "a,b\n1,\n2,\n3,word\n");
    write_file(tpath("misfit2.csv"), b.s, b.len);
    r = dojo_csv_reader_open(tpath("misfit2.csv"), NULL, err, sizeof err);
    rc = r ? dojo_csv_reader_next(r, 2, &c, err, sizeof err) : -2;
    dojo_table_free(rc == 1 ? c : NULL);
    rc = r ? dojo_csv_reader_next(r, 2, &c, err, sizeof err) : -2;
    CHECK(rc == -1 && has(err, "line 4") && has(err, "'b'") && has(err, "word"),
          "text after an all-missing first chunk: %s", err);
    dojo_csv_reader_free(r);
    /* demotion inside the first chunk restarts that chunk only */
    b.len = 0;
    sb_str(&b, "a,b\n1.50,1\n2,2\nz,3\n4,4\n5,5\n");
    write_file(tpath("demote-stream.csv"), b.s, b.len);
    r = dojo_csv_reader_open(tpath("demote-stream.csv"), NULL, err, sizeof err);
    rc = r ? dojo_csv_reader_next(r, 3, &c, err, sizeof err) : -2;
    CHECK(rc == 1 && type_of(c, "a") == DOJO_TYPE_STRING && strcmp(gets_(c, "a", 0), "1.50") == 0 &&
              dojo_table_nrows(c) == 3,
          "first chunk demoted with exact text: %s", rc == 1 ? "" : err);
    dojo_table_free(rc == 1 ? c : NULL);
    rc = r ? dojo_csv_reader_next(r, 3, &c, err, sizeof err) : -2;
    CHECK(rc == 1 && dojo_table_nrows(c) == 2 && strcmp(gets_(c, "a", 0), "4") == 0 &&
              geti(c, "b", 1) == 5,
          "second chunk continues as string: %s", rc == 1 ? "" : err);
    dojo_table_free(rc == 1 ? c : NULL);
    dojo_csv_reader_free(r);
    free(b.s);
}

/* The all-numbers fast path hands every record it does not take to the general path: the
   result is the same as if it were not there. */
static void t_fast_path(void)
{
    char err[512];
    dojo_table *t = parse("id,x\n1,2\n3,4.5\n5,\n7,abc\n9,1e3\n", NULL, err);
    CHECK(t && dojo_table_column_type(t, 1) == DOJO_TYPE_STRING, "text after numbers: %s", err);
    if (t) {
        CHECK(geti(t, "id", 4) == 9, "id");
        CHECK(!strcmp(gets_(t, "x", 0), "2") && !strcmp(gets_(t, "x", 1), "4.5") &&
                  miss(t, "x", 2) && !strcmp(gets_(t, "x", 3), "abc") &&
                  !strcmp(gets_(t, "x", 4), "1e3"),
              "original texts kept");
        dojo_table_free(t);
    }
    t = parse("a,b\n1,2\n2,3\n2.5,-4\n+7,0\n", NULL, err);
    CHECK(t && dojo_table_column_type(t, 0) == DOJO_TYPE_FLOAT &&
              dojo_table_column_type(t, 1) == DOJO_TYPE_INT,
          "promotion: %s", err);
    if (t) {
        CHECK(getf(t, "a", 0) == 1 && getf(t, "a", 2) == 2.5 && getf(t, "a", 3) == 7 &&
                  geti(t, "b", 2) == -4,
              "values");
        dojo_table_free(t);
    }
    t = parse("a,b\r\n1,2\r\n3,4.25\r\n\r\n5,6", NULL, err);
    CHECK(t && dojo_table_nrows(t) == 3 && geti(t, "a", 2) == 5 && getf(t, "b", 1) == 4.25 &&
              getf(t, "b", 2) == 6,
          "CRLF, blank line, no final newline: %s", err);
    dojo_table_free(t);
    t = parse("a,b\n1,2\n,3\n4,5\n\"6\",7\n", NULL, err);
    CHECK(t && miss(t, "a", 1) && !miss(t, "a", 2) && geti(t, "a", 2) == 4 &&
              geti(t, "a", 3) == 6 && geti(t, "b", 3) == 7,
          "missing and quoted cells: %s", err);
    dojo_table_free(t);
    t = parse("a,b\n1,2\n3,4,5\n", NULL, err);
    CHECK(!t && has(err, "line 3") && has(err, "expected 2 fields, found 3"), "ragged: %s", err);
    dojo_table_free(t);
    t = parse("a,b\n1,2\n3\n", NULL, err);
    CHECK(!t && has(err, "line 3") && has(err, "found 1"), "short: %s", err);
    dojo_table_free(t);
    t = parse("a,b\n1,2\n007,4\n", NULL, err);
    CHECK(t && dojo_table_column_type(t, 0) == DOJO_TYPE_STRING &&
              !strcmp(gets_(t, "a", 1), "007"),
          "leading zeros stay text: %s", err);
    dojo_table_free(t);
}

/* Reads content from a file (which a split parses with two threads) and from memory (one
   thread), and checks that both give the same table or the same error. */
static int same_both_ways(const char *name, const char *data, size_t len, char *why, size_t whylen)
{
    char e1[512] = "", e2[512] = "";
    const char *p = tpath(name);
    write_file(p, data, len);
    dojo_table *a = dojo_table_read_csv(p, NULL, e1, sizeof e1);
    dojo_table *b = dojo_table_parse_csv(data, len, NULL, e2, sizeof e2);
    int ok;
    if (!a || !b) {
        ok = !a && !b && strcmp(e1, e2) == 0;
        snprintf(why, whylen, "file: %s | memory: %s", a ? "ok" : e1, b ? "ok" : e2);
    } else
        ok = tables_equal(b, a, why, whylen);
    dojo_table_free(a);
    dojo_table_free(b);
    return ok;
}

static void t_split(void)
{
    char why[600];
    setenv("DOJO_CSV_SPLIT_MIN", "1", 1);
    size_t n = 60000;
    sbuf b = {0};
    /* plain numbers, LF and CRLF */
    for (int crlf = 0; crlf < 2; crlf++) {
        b.len = 0;
        sb_str(&b, crlf ? "id,x,s\r\n" : "id,x,s\n");
        for (size_t i = 0; i < n; i++)
            sb_printf(&b, "%zu,%zu.5,\"s%zu\"%s", i, i, i, crlf ? "\r\n" : "\n");
        CHECK(same_both_ways("split1.csv", b.s, b.len, why, sizeof why), "numbers%s: %s",
              crlf ? " (CRLF)" : "", why);
        dojo_table *t = dojo_table_read_csv(tpath("split1.csv"), NULL, why, sizeof why);
        CHECK(t && dojo_table_nrows(t) == n && geti(t, "id", n - 1) == (int64_t)(n - 1),
              "rows of both halves");
        dojo_table_free(t);
    }
    /* ints in the first half, floats only in the second; a column missing in the first half
       and text in the second; a column all missing */
    b.len = 0;
    sb_str(&b, "a,b,c,d\n");
    for (size_t i = 0; i < n; i++)
        sb_printf(&b, "%zu,%s%s,,%s\n", i, i < n / 2 ? "" : "t", i < n / 2 ? "" : "x",
                  i > n - 5 ? "2.5" : (i % 7 ? "" : "1"));
    CHECK(same_both_ways("split2.csv", b.s, b.len, why, sizeof why), "promotion across halves: %s",
          why);
    /* numbers in the first half, text in the second: a restart keeps the exact text */
    b.len = 0;
    sb_str(&b, "a,b\n");
    for (size_t i = 0; i < n; i++)
        sb_printf(&b, "%zu,%s\n", i, i == n - 10 ? "text" : (i % 3 ? "1.50" : "\"\""));
    CHECK(same_both_ways("split3.csv", b.s, b.len, why, sizeof why), "demotion across halves: %s",
          why);
    /* quoted empty strings in the first half, text in the second */
    b.len = 0;
    sb_str(&b, "a,b\n");
    for (size_t i = 0; i < n; i++)
        sb_printf(&b, "%s,%zu\n", i < 10 ? "\"\"" : (i == n - 3 ? "w" : ""), i);
    CHECK(same_both_ways("split4.csv", b.s, b.len, why, sizeof why), "quoted empties: %s", why);
    /* the middle of the file inside a quoted field full of line feeds */
    b.len = 0;
    sb_str(&b, "a,b\n");
    for (size_t i = 0; i < n / 2; i++)
        sb_printf(&b, "%zu,x\n", i);
    sb_str(&b, "1,\"");
    for (size_t i = 0; i < n; i++)
        sb_str(&b, "line\n");
    sb_str(&b, "\"\n");
    for (size_t i = 0; i < n / 2; i++)
        sb_printf(&b, "%zu,y\n", i);
    CHECK(same_both_ways("split5.csv", b.s, b.len, why, sizeof why), "split inside quotes: %s",
          why);
    /* errors in the second half and in the first half name the same line as one thread */
    for (int where = 0; where < 2; where++) {
        b.len = 0;
        sb_str(&b, "a,b\n");
        for (size_t i = 0; i < n; i++)
            sb_str(&b, i == (where ? n / 4 : n - n / 4) ? "1,2,3\n" : "1,2\n");
        CHECK(same_both_ways("split6.csv", b.s, b.len, why, sizeof why), "error in half %d: %s",
              2 - where, why);
        CHECK(has(why, "expected 2 fields, found 3"), "the error: %s", why);
    }
    /* blank lines around the split point, one column (empty lines are missing values) */
    b.len = 0;
    sb_str(&b, "v\n");
    for (size_t i = 0; i < n; i++)
        sb_str(&b, i % 2 ? "\n" : "7\n");
    CHECK(same_both_ways("split7.csv", b.s, b.len, why, sizeof why), "one column: %s", why);
    unsetenv("DOJO_CSV_SPLIT_MIN");
    free(b.s);
}

/* The records in the first half of a split of CSV text data (header first): the split point
   is the first line feed at or after the middle of the file (csv.c, split_start). */
static size_t first_half_rows(const char *data, size_t len)
{
    const char *nl = memchr(data + len / 2, '\n', len - len / 2);
    size_t start = nl ? (size_t)(nl - data) + 1 : len, n = 0;
    for (size_t i = 0; i < start; i++)
        n += data[i] == '\n';
    return n - 1;
}

/* Whether a column's data is page-aligned, as a mapping of its own is (a malloc block of
   these sizes is not). */
static int page_aligned(const void *p)
{
    return ((uintptr_t)p & ((uintptr_t)sysconf(_SC_PAGESIZE) - 1)) == 0;
}

/* Split reads whose arrays are mappings merged by moving pages (csv.c, append_arr): the
   first half ending at many offsets within a page, types meeting across the halves, masks
   in one half only, a merge big enough for two threads, the fallbacks (malloc arrays;
   mappings merged by copying), and tables of such reads taken, selected, indexed, joined,
   written and freed (AddressSanitizer names a wrong free). */
static void t_split_merge(void)
{
    char why[600];
    setenv("DOJO_CSV_SPLIT_MIN", "1", 1);
    /* a prefix of these records is a file: header, then id, float, string of varying
       length, a column missing now and then, one missing in the first rows only (the first
       half's mask alone), one missing in the last rows only (the second half's alone) */
    size_t nmax = 3400;
    sbuf b = {0};
    sb_str(&b, "id,x,s,m,mf,ml\n");
    size_t *ends = malloc((nmax + 1) * sizeof *ends);
    ends[0] = b.len;
    for (size_t i = 0; i < nmax; i++) {
        char m[24] = "", mf[24] = "", ml[24] = "";
        if (i % 3)
            snprintf(m, sizeof m, "%zu", i * 7);
        if (i >= 5)
            snprintf(mf, sizeof mf, "%zu", i);
        if (i < 2000)
            snprintf(ml, sizeof ml, "%zu.25", i);
        sb_printf(&b, "%zu,%zu.5,s%.*s,%s,%s,%s\n", i, i, (int)(i % 13), "abcdefghijklm", m, mf,
                  ml);
        ends[i + 1] = b.len;
    }
    /* residues of the first half's rows modulo 512 (its int64 values end at 8 * that offset
       in a 4 KiB page): 0..15, every 16th, 496..511 */
    char want[512] = {0}, done[512] = {0};
    for (int r = 0; r < 512; r++)
        want[r] = r < 16 || r % 16 == 0 || r >= 496;
    int nwant = 0, ndone = 0, good = 1, aligned = 1;
    for (int r = 0; r < 512; r++)
        nwant += want[r];
    for (size_t n = 2048; n <= nmax && ndone < nwant; n++) {
        size_t n1 = first_half_rows(b.s, ends[n]) % 512;
        if (!want[n1] || done[n1])
            continue;
        done[n1] = 1;
        ndone++;
        if (good && !same_both_ways("merge1.csv", b.s, ends[n], why, sizeof why)) {
            CHECK(0, "%zu rows (the first half's rows %% 512 = %zu): %s", n, n1, why);
            good = 0;
        }
#ifdef __linux__
        dojo_table *t = dojo_table_read_csv(tpath("merge1.csv"), NULL, why, sizeof why);
        for (size_t j = 0; t && j < dojo_table_ncols(t); j++) {
            int ty = dojo_table_column_type(t, j);
            const void *d = dojo_table_column_strings(t, j, NULL);
            if (ty == DOJO_TYPE_INT)
                d = dojo_table_column_ints(t, j);
            else if (ty == DOJO_TYPE_FLOAT)
                d = dojo_table_column_floats(t, j);
            aligned &= page_aligned(d);
        }
        dojo_table_free(t);
#endif
    }
    CHECK(ndone == nwant, "residues covered: %d of %d", ndone, nwant);
#ifdef __linux__
    CHECK(aligned, "the arrays of a split read are mappings of their own");
#endif
    /* types across the halves, in the three ways of keeping the arrays: a int then float,
       b float then int, c missing then int, d int then missing, e all missing, f missing then
       text, g text then missing, h missing then float, s text in both */
    size_t n = 6000;
    sbuf t2 = {0};
    sb_str(&t2, "a,b,c,d,e,f,g,h,s\n");
    for (size_t i = 0; i < n; i++) {
        int first = i < n / 2 - 100, second = i > n / 2 + 100;
        sb_printf(&t2, "%s,%s,%s,%s,,%s,%s,%s,%s\n",
                  first ? "1" : second ? "2.5" : "3", first ? "0.5" : "7",
                  first ? "" : "4", second ? "" : "5", first ? "" : "w", second ? "" : "v",
                  first ? "" : "1e3", i % 2 ? "x" : "yz");
    }
    const char *modes[] = {NULL, "copy", "0"};
    for (int k = 0; k < 3; k++) {
        if (modes[k])
            setenv("DOJO_CSV_SPLIT_MAP", modes[k], 1);
        CHECK(same_both_ways("merge2.csv", t2.s, t2.len, why, sizeof why),
              "types across halves (%s): %s", modes[k] ? modes[k] : "moved", why);
        dojo_table *t = dojo_table_read_csv(tpath("merge2.csv"), NULL, why, sizeof why);
        CHECK(t && type_of(t, "a") == DOJO_TYPE_FLOAT && type_of(t, "b") == DOJO_TYPE_FLOAT &&
                  type_of(t, "c") == DOJO_TYPE_INT && type_of(t, "d") == DOJO_TYPE_INT &&
                  type_of(t, "e") == DOJO_TYPE_FLOAT && type_of(t, "f") == DOJO_TYPE_STRING &&
                  type_of(t, "g") == DOJO_TYPE_STRING && type_of(t, "h") == DOJO_TYPE_FLOAT &&
                  getf(t, "a", 0) == 1 && getf(t, "a", n - 1) == 2.5 && geti(t, "c", n - 1) == 4 &&
                  miss(t, "c", 0) && miss(t, "d", n - 1) && isnan(getf(t, "e", n / 2)),
              "types (%s): %s", modes[k] ? modes[k] : "moved", t ? "values" : why);
        dojo_table_free(t);
        for (size_t r = 0; r < 512 && k > 0; r += 73) { /* the fallbacks at a few residues */
            for (size_t m2 = 2048; m2 <= nmax; m2++)
                if (first_half_rows(b.s, ends[m2]) % 512 == r) {
                    CHECK(same_both_ways("merge1.csv", b.s, ends[m2], why, sizeof why),
                          "%s, residue %zu: %s", modes[k], r, why);
                    break;
                }
        }
        unsetenv("DOJO_CSV_SPLIT_MAP");
    }
    /* a table of a split read, used and freed every way */
    dojo_table *t = dojo_table_read_csv(tpath("merge2.csv"), NULL, why, sizeof why);
    int64_t rows[] = {0, (int64_t)n - 1, (int64_t)n / 2, 7};
    dojo_table *tk = t ? dojo_table_take(t, rows, 4, why, sizeof why) : NULL;
    CHECK(tk && getf(tk, "a", 1) == 2.5 && !strcmp(gets_(tk, "g", 3), "v"), "take: %s", why);
    const char *names[] = {"s", "c"};
    dojo_table *sel = t ? dojo_table_select(t, names, 2, why, sizeof why) : NULL;
    CHECK(sel && dojo_table_nrows(sel) == n && miss(sel, "c", 0), "select: %s", why);
    size_t len = 0;
    char *text = t ? dojo_table_format_csv(t, &len, why, sizeof why) : NULL;
    dojo_table *back = text ? dojo_table_parse_csv(text, len, NULL, why, sizeof why) : NULL;
    CHECK(back && tables_equal(t, back, why, sizeof why), "written and read back: %s", why);
    dojo_free(text);
    dojo_table_free(back);
    dojo_table_free(tk);
    dojo_table_free(sel);
    dojo_table_free(t);
    /* ids of a split read, indexed, joined and aligned */
    size_t nid = 4000;
    sbuf ib = {0};
    sb_str(&ib, "id,v,w\n");
    for (size_t i = 0; i < nid; i++)
        sb_printf(&ib, "%zu,%zu.5,k%zu\n", (i * 7919) % nid, i, i % 31);
    write_file(tpath("merge3.csv"), ib.s, ib.len);
    dojo_table *ids = dojo_table_read_csv(tpath("merge3.csv"), NULL, why, sizeof why);
    dojo_index *x = ids ? dojo_index_new(ids, 0, why, sizeof why) : NULL;
    dojo_index *xs = ids ? dojo_index_new(ids, 2, why, sizeof why) : NULL;
    CHECK(x && xs && dojo_index_find_int(x, (int64_t)((5 * 7919) % nid)) == 5 &&
              dojo_index_nkeys(xs) == 31,
          "indexed: %s", why);
    dojo_table *other = dojo_table_read_csv(tpath("merge3.csv"), NULL, why, sizeof why);
    int64_t *jr = malloc(nid * sizeof *jr);
    dojo_join st;
    dojo_table *al = NULL;
    CHECK(x && other && dojo_index_join(x, other, 0, jr, &st, NULL, 0, why, sizeof why) == 0 &&
              st.unmatched == 0 && st.missing == 0 && jr[nid - 1] == (int64_t)nid - 1,
          "joined: %s", why);
    CHECK(x && other &&
              dojo_index_align(x, other, 0, NULL, 0, &al, &st, NULL, 0, why, sizeof why) == 0 &&
              al && tables_equal(ids, al, why, sizeof why),
          "aligned: %s", why);
    free(jr);
    dojo_table_free(al);
    dojo_index_free(x);
    dojo_index_free(xs);
    dojo_table_free(other);
    dojo_table_free(ids);
    /* a merge big enough to move on two threads (at least 16 MiB): ints, floats, text,
       a mask in both halves */
    size_t nb = 1200000;
    b.len = 0;
    sb_str(&b, "id,x,y,s,m\n");
    for (size_t i = 0; i < nb; i++)
        sb_printf(&b, "%zu,%zu.5,%zu,t%zu,%s\n", i, i % 1000, i % 7, i % 100, i % 5 ? "1" : "");
    CHECK(same_both_ways("merge4.csv", b.s, b.len, why, sizeof why), "a big merge: %s", why);
    unsetenv("DOJO_CSV_SPLIT_MIN");
    free(ib.s);
    free(t2.s);
    free(ends);
    free(b.s);
}

/* The split cases with the split's arrays kept the two other ways: malloc blocks merged by
   copying (as without Linux), mappings merged by copying (as when mremap fails). */
static void t_split_fallbacks(void)
{
    setenv("DOJO_CSV_SPLIT_MAP", "0", 1);
    t_split();
    setenv("DOJO_CSV_SPLIT_MAP", "copy", 1);
    t_split();
    unsetenv("DOJO_CSV_SPLIT_MAP");
}

/* Row i of an unclean submission (rows of ids in the order perm): variant 0 repeats the
   first row's id at row `at`, 1 puts an unknown id there, 2 leaves that row out (returns 0:
   skip it); *id gets the row's id. */
/* o: the defaults, with the columns names[0..n) (n at most 8) forced to float. */
static void floats_opt(dojo_csv_options *o, const char *const *names, size_t n)
{
    static const int ty[8] = {DOJO_TYPE_FLOAT, DOJO_TYPE_FLOAT, DOJO_TYPE_FLOAT, DOJO_TYPE_FLOAT,
                              DOJO_TYPE_FLOAT, DOJO_TYPE_FLOAT, DOJO_TYPE_FLOAT, DOJO_TYPE_FLOAT};
    dojo_csv_options_init(o);
    o->type_columns = names;
    o->types = ty;
    o->ntypes = n;
}

/* perm: a random permutation of 0 .. n-1. */
static void shuffle(size_t *perm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0 && n; i--) {
        size_t k = (size_t)(rnd() % (i + 1)), tmp = perm[i];
        perm[i] = perm[k];
        perm[k] = tmp;
    }
}

/* n answers ids for each kind of index: 0 ids 5 .. n+4 in order (the identity), 1 a shuffled
   dense range, 2 sparse ones (hashed). */
static void kind_ids(int kind, int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ids[i] = kind == 0 ? (int64_t)i + 5
                 : kind == 1 ? (int64_t)((i * 7919) % n) - 100
                             : (int64_t)(i * 1000003 % 999983) * 1000 - 7;
}

static int variant_id(int variant, size_t i, size_t at, const int64_t *ids, const size_t *perm,
                      long long *id)
{
    if (variant == 2 && i == at)
        return 0;
    *id = (long long)ids[perm[i]];
    if (variant == 0 && i == at)
        *id = (long long)ids[perm[0]];
    if (variant == 1 && i == at)
        *id = 99999999999LL;
    return 1;
}

/* A record of an unclean submission: variant v, the record changed when at, the last when
   last. */
typedef void (*variant_row)(sbuf *b, int v, int at, int last, long long id);

/* The submission (header, then the answers' ids in the order perm) in unclean variant v:
   0 a repeated id, 1 an unknown id, 2 a missing one (variant_id), or another change that
   row writes. */
static void variant_file(sbuf *b, const char *header, int v, size_t n, const int64_t *ids,
                         const size_t *perm, variant_row row)
{
    sb_str(b, header);
    size_t at = n / 2 + 3;
    for (size_t i = 0; i < n; i++) {
        long long id;
        if (variant_id(v, i, at, ids, perm, &id))
            row(b, v, i == at, i == n - 1, id);
    }
}

/* The aligned read's variants: 3 text, 4 empty, 5 quoted, 6 a float id, 7 no newline at the
   end, 8 an extra column. */
static void aligned_row(sbuf *b, int v, int at, int last, long long id)
{
    if (v == 6 && at)
        sb_printf(b, "%lld.0,1,2\n", id);
    else if (v == 3 && at)
        sb_printf(b, "%lld,abc,2\n", id);
    else if (v == 4 && at)
        sb_printf(b, "%lld,,2\n", id);
    else if (v == 5 && at)
        sb_printf(b, "%lld,\"1\",2\n", id);
    else if (v == 8)
        sb_printf(b, "%lld,1,2,3\n", id);
    else
        sb_printf(b, "%lld,1,2%s", id, v == 7 && last ? "" : "\n");
}

/* The streamed score's variants: 3 text, 4 empty, 5 nan, 6 -inf, 7 negative, 8 an extra
   column, 9 a float id. */
static void stream_row(sbuf *b, int v, int at, int last, long long id)
{
    (void)last;
    const char *val = "1.5";
    if (at)
        val = v == 3   ? "abc"
              : v == 4 ? ""
              : v == 5 ? "nan"
              : v == 6 ? "-inf"
              : v == 7 ? "-0.5"
                       : val;
    if (v == 8)
        sb_printf(b, "%lld,%s,2\n", id, val);
    else if (v == 9 && at)
        sb_printf(b, "%lld.0,%s\n", id, val);
    else
        sb_printf(b, "%lld,%s\n", id, val);
}

/* Reads content as a submission aligned to answers (ids: keys) with float columns a, b;
   returns the table or NULL. */
static dojo_table *aligned_of(const dojo_table *ans, const char *content, int split)
{
    const char *p = tpath("aligned.csv");
    write_file(p, content, strlen(content));
    const char *tc[] = {"a", "b"};
    dojo_csv_options o;
    floats_opt(&o, tc, 2);
    char err[256];
    if (split)
        setenv("DOJO_CSV_SPLIT_MIN", "1", 1);
    dojo_index *x = dojo_index_new(ans, 0, err, sizeof err);
    dojo_table *t = x ? dojo_table_read_csv_aligned(p, &o, x, err, sizeof err) : NULL;
    dojo_index_free(x);
    unsetenv("DOJO_CSV_SPLIT_MIN");
    return t;
}

/* dojo_table_read_csv_aligned: values land in the answers' row order, with the three kinds
   of index (ids 1..n in order, a dense range, hashed) and split between two threads or not;
   anything but the clean case gives NULL. */
static void t_read_aligned(void)
{
    size_t n = 30000;
    int64_t *ids = malloc(n * sizeof *ids);
    for (int kind = 0; kind < 3; kind++) {
        kind_ids(kind, ids, n);
        dojo_table *ans = dojo_table_new();
        char err[256];
        dojo_table_add_ints(ans, "id", ids, NULL, n, err, sizeof err);
        size_t *perm = malloc(n * sizeof *perm);
        shuffle(perm, n);
        sbuf csv = {0};
        sb_str(&csv, "id,a,b\n");
        for (size_t i = 0; i < n; i++) {
            size_t r = perm[i];
            sb_printf(&csv, "%lld,%zu.5,-%zu%s", (long long)ids[r], r, r % 97,
                      i % 10 == 0 ? "\r\n" : "\n");
        }
        for (int split = 0; split < 2; split++) {
            dojo_table *t = aligned_of(ans, csv.s, split);
            int good = t && dojo_table_nrows(t) == n && dojo_table_ncols(t) == 2;
            for (size_t r = 0; good && r < n; r++)
                good = getf(t, "a", r) == (double)r + 0.5 && getf(t, "b", r) == -(double)(r % 97);
            CHECK(good, "index kind %d, split %d: values in the answers' order", kind, split);
            dojo_table_free(t);
        }
        /* unclean: each variant must give NULL, split or not */
        const char *variants[] = {"dup", "unknown", "missing", "text", "empty", "quoted",
                                  "float id", "no newline", "extra col"};
        for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
            sbuf b = {0};
            variant_file(&b, v == 8 ? "id,a,b,c\n" : "id,a,b\n", (int)v, n, ids, perm,
                         aligned_row);
            for (int split = 0; split < 2; split++) {
                dojo_table *t = aligned_of(ans, b.s, split);
                CHECK(!t, "index kind %d, split %d: %s gives NULL", kind, split, variants[v]);
                dojo_table_free(t);
            }
            free(b.s);
        }
        free(csv.s);
        free(perm);
        dojo_table_free(ans);
    }
    free(ids);
}

/* dojo_score_stream on content (columns id,p) against ans (id, then the truth columns);
   returns its code, the score in *v. */
static int stream_of(const dojo_table *ans, const char *metric, size_t col, const char *content,
                     int split, double *v)
{
    const char *p = tpath("scored.csv");
    write_file(p, content, strlen(content));
    const char *tc[] = {"p"};
    dojo_csv_options o;
    floats_opt(&o, tc, 1);
    char err[256] = "";
    if (split)
        setenv("DOJO_CSV_SPLIT_MIN", "1", 1);
    dojo_index *x = dojo_index_new(ans, 0, err, sizeof err);
    int rc = x ? dojo_score_stream(metric, x, col, DOJO_NO_COLUMN, p, &o, v, NULL, err, sizeof err) : -1;
    dojo_index_free(x);
    unsetenv("DOJO_CSV_SPLIT_MIN");
    return rc;
}

/* dojo_score_stream: the score dojo_metric_numeric gives on the aligned columns (roc_auc
   exactly, the sums to 1e-12), for the three kinds of index, one thread or two; anything
   but the clean case, or a value or answer the metric refuses, gives 0. */
static void t_score_stream(void)
{
    size_t n = 30000;
    int64_t *ids = malloc(n * sizeof *ids), *lab = malloc(n * sizeof *lab);
    double *yf = malloc(n * sizeof *yf), *pa = malloc(n * sizeof *pa), *yl = malloc(n * sizeof *yl);
    size_t *perm = malloc(n * sizeof *perm);
    const char *metrics[] = {"roc_auc", "rmse", "mse", "mae", "rmsle"};
    CHECK(dojo_score_stream_metric("roc_auc") && dojo_score_stream_metric("rmsle") &&
              dojo_score_stream_metric("log_loss_multiclass") && !dojo_score_stream_metric("r2") &&
              !dojo_score_stream_metric(NULL),
          "the streamed metrics");
    for (int kind = 0; kind < 3; kind++) {
        kind_ids(kind, ids, n);
        for (size_t i = 0; i < n; i++) {
            lab[i] = (int64_t)((i * 2654435761u) >> 7 & 1);
            yl[i] = (double)lab[i];
            yf[i] = (double)(i % 1013) * 0.25;
        }
        shuffle(perm, n);
        dojo_table *ans = dojo_table_new();
        char err[256];
        dojo_table_add_ints(ans, "id", ids, NULL, n, err, sizeof err);
        dojo_table_add_ints(ans, "y", lab, NULL, n, err, sizeof err);
        dojo_table_add_floats(ans, "f", yf, NULL, n, err, sizeof err);
        sbuf csv = {0};
        sb_str(&csv, "id,p\n");
        for (size_t i = 0; i < n; i++) {
            size_t r = perm[i];
            pa[r] = (double)((r * 7919) % 1000) / 8.0; /* many ties */
            sb_printf(&csv, "%lld,%.3f%s", (long long)ids[r], pa[r], i % 10 == 0 ? "\r\n" : "\n");
        }
        for (int split = 0; split < 2; split++) {
            for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++) {
                size_t col = m == 0 ? 1 : 2;
                double want = -1, got = -2;
                CHECK(dojo_metric_numeric(metrics[m], m == 0 ? yl : yf, pa, NULL, n, 1, NULL, &want,
                                          err, sizeof err) == 0, "%s: %s", metrics[m], err);
                int rc = stream_of(ans, metrics[m], col, csv.s, split, &got);
                CHECK(rc == 1 && (m == 0 ? got == want : fabs(got - want) <= 1e-12 * fabs(want)),
                      "index kind %d, split %d, %s: %d %.17g vs %.17g", kind, split, metrics[m],
                      rc, got, want);
            }
            double v;
            CHECK(stream_of(ans, "r2", 2, csv.s, split, &v) == 0, "r2 is not streamed");
            CHECK(stream_of(ans, "rmse", 0, csv.s, split, &v) == 0, "the key as truth");
            CHECK(stream_of(ans, "rmse", 3, csv.s, split, &v) == 0, "no such column");
            CHECK(stream_of(ans, "roc_auc", 2, csv.s, split, &v) == 0, "answers not 0/1");
        }
        /* unclean files, values the metric refuses: 0, split or not */
        const char *variants[] = {"dup", "unknown", "missing", "text", "empty", "nan", "inf",
                                  "negative", "extra col", "float id"};
        for (size_t vi = 0; vi < sizeof variants / sizeof *variants; vi++) {
            sbuf b = {0};
            variant_file(&b, vi == 8 ? "id,p,q\n" : "id,p\n", (int)vi, n, ids, perm, stream_row);
            for (int split = 0; split < 2; split++) {
                double v;
                const char *m = vi == 7 ? "rmsle" : vi == 6 ? "roc_auc" : "rmse";
                CHECK(stream_of(ans, m, vi == 6 ? 1 : 2, b.s, split, &v) == 0,
                      "index kind %d, split %d: %s gives 0", kind, split, variants[vi]);
            }
            free(b.s);
        }
        dojo_table_free(ans);
        /* one class only: roc_auc is not taken (the ordinary path says why) */
        for (size_t i = 0; i < n; i++)
            lab[i] = 1;
        ans = dojo_table_new();
        dojo_table_add_ints(ans, "id", ids, NULL, n, err, sizeof err);
        dojo_table_add_ints(ans, "y", lab, NULL, n, err, sizeof err);
        double v;
        CHECK(stream_of(ans, "roc_auc", 1, csv.s, 0, &v) == 0, "one class");
        dojo_table_free(ans);
        free(csv.s);
    }
    free(ids);
    free(lab);
    free(yf);
    free(yl);
    free(pa);
    free(perm);
}

/* dojo_score_stream for log_loss_multiclass: text labels name the file's class columns, and
   int labels by their decimal text; the score is dojo_metric_proba's on the aligned rows; a probability
   outside [0, 1], an unknown label or a repeated class column gives 0. */
static void t_score_stream_proba(void)
{
    size_t n = 20000, k = 5;
    int64_t *ids = malloc(n * sizeof *ids), *cls = malloc(n * sizeof *cls);
    double *P = malloc(n * k * sizeof *P);
    char *chars = malloc(n * 3);
    int64_t *offs = malloc((n + 1) * sizeof *offs);
    offs[0] = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = (int64_t)((i * 7919) % n) + 1;
        cls[i] = (int64_t)(rnd() % k);
        offs[i + 1] = offs[i] + 2;
        chars[2 * i] = 'c';
        chars[2 * i + 1] = (char)('0' + cls[i]);
    }
    char err[256];
    for (int mode = 0; mode < 6; mode++) { /* 0 text, 1 int, 2 p > 1, 3 unknown label,
                                              4 repeated column, 5 int label >= k */
        dojo_table *ans = dojo_table_new();
        dojo_table_add_ints(ans, "id", ids, NULL, n, err, sizeof err);
        if (mode == 1 || mode == 5) {
            int64_t keep = cls[7];
            if (mode == 5)
                cls[7] = (int64_t)k;
            dojo_table_add_ints(ans, "label", cls, NULL, n, err, sizeof err);
            cls[7] = keep;
        } else {
            if (mode == 3)
                chars[2 * 9 + 1] = '9';
            dojo_table_add_strings(ans, "label", chars, offs, NULL, n, err, sizeof err);
            chars[2 * 9 + 1] = (char)('0' + cls[9]);
        }
        sbuf csv = {0};
        int ints = mode == 1 || mode == 5;
        sb_str(&csv, mode == 4 ? "id,c0,c1,c2,c2,c4\n" : ints ? "id,0,1,2,3,4\n" : "id,c0,c1,c2,c3,c4\n");
        for (size_t i = 0; i < n; i++) {
            size_t r = (i * 3571) % n; /* a permutation of the rows (3571 is prime) */
            double sum = 0;
            for (size_t j = 0; j < k; j++)
                sum += P[r * k + j] = (double)((r * 31 + j * 17) % 97 + 1);
            sb_printf(&csv, "%lld", (long long)ids[r]);
            for (size_t j = 0; j < k; j++) {
                char num[32];
                snprintf(num, sizeof num, "%.6g", P[r * k + j] / sum);
                P[r * k + j] = strtod(num, NULL); /* the value as the file holds it */
                if (mode == 2 && i == n / 3 && j == 2)
                    sb_str(&csv, ",1.5");
                else
                    sb_printf(&csv, ",%s", num);
            }
            sb_str(&csv, "\n");
        }
        const char *p = tpath("stream_proba.csv");
        write_file(p, csv.s, csv.len);
        const char *tc0[] = {"c0", "c1", "c2", "c3", "c4"}, *tc1[] = {"0", "1", "2", "3", "4"};
        dojo_csv_options o;
        floats_opt(&o, ints ? tc1 : tc0, 5);
        for (int split = 0; split < 2; split++) {
            if (split)
                setenv("DOJO_CSV_SPLIT_MIN", "1", 1);
            dojo_index *x = dojo_index_new(ans, 0, err, sizeof err);
            double got = -1, want = -2;
            int rc = dojo_score_stream("log_loss_multiclass", x, 1, DOJO_NO_COLUMN, p, &o, &got, NULL, err, sizeof err);
            unsetenv("DOJO_CSV_SPLIT_MIN");
            dojo_index_free(x);
            if (mode >= 2) {
                CHECK(rc == 0, "mode %d, split %d: not taken (%d)", mode, split, rc);
                continue;
            }
            CHECK(dojo_metric_proba("log_loss_multiclass", cls, P, NULL, n, k, NULL, &want, err,
                                    sizeof err) == 0, "%s", err);
            CHECK(rc == 1 && fabs(got - want) <= 1e-12 * want, "mode %d, split %d: %d %.17g vs %.17g",
                  mode, split, rc, got, want);
        }
        free(csv.s);
        dojo_table_free(ans);
    }
    free(ids);
    free(cls);
    free(P);
    free(chars);
    free(offs);
}

/* dojo_score_stream with Kaggle's split column: the whole and each part's score equal
   dojo_metric_numeric's on those rows (roc_auc exactly); a value other than Public or
   Private (any case) is not taken; a part without rows gives NaN. */
static void t_score_stream_split(void)
{
    size_t n = 20000;
    int64_t *ids = malloc(n * sizeof *ids);
    double *y = malloc(n * sizeof *y), *pv = malloc(n * sizeof *pv), *yl = malloc(n * sizeof *yl);
    int64_t *lab = malloc(n * sizeof *lab);
    double *ys = malloc(n * sizeof *ys), *ps = malloc(n * sizeof *ps);
    char *chars = malloc(n * 8);
    int64_t *offs = malloc((n + 1) * sizeof *offs);
    size_t *perm = malloc(n * sizeof *perm);
    const char *words[] = {"Public", "private", "PUBLIC", "Private"};
    for (int mode = 0; mode < 3; mode++) { /* 0 mixed, 1 all public, 2 a bad value */
        offs[0] = 0;
        for (size_t i = 0; i < n; i++) {
            ids[i] = (int64_t)i + 1;
            y[i] = (double)(i % 97) * 0.5;
            lab[i] = (int64_t)((i * 2654435761u) >> 9 & 1);
            yl[i] = (double)lab[i];
            const char *w = mode == 1 ? "Public" : words[(i * 7) % 4];
            if (mode == 2 && i == n / 2)
                w = "Test";
            size_t len = strlen(w);
            memcpy(chars + offs[i], w, len);
            offs[i + 1] = offs[i] + (int64_t)len;
        }
        shuffle(perm, n);
        char err[256];
        dojo_table *ans = dojo_table_new();
        dojo_table_add_ints(ans, "id", ids, NULL, n, err, sizeof err);
        dojo_table_add_floats(ans, "y", y, NULL, n, err, sizeof err);
        dojo_table_add_strings(ans, "Usage", chars, offs, NULL, n, err, sizeof err);
        dojo_table_add_ints(ans, "lab", lab, NULL, n, err, sizeof err);
        sbuf csv = {0};
        sb_str(&csv, "id,p\n");
        for (size_t i = 0; i < n; i++) {
            size_t r = perm[i];
            pv[r] = (double)((r * 7919) % 1000) / 8.0;
            sb_printf(&csv, "%lld,%.3f\n", (long long)ids[r], pv[r]);
        }
        const char *path = tpath("split_stream.csv");
        write_file(path, csv.s, csv.len);
        const char *tc[] = {"p"};
        dojo_csv_options o;
        floats_opt(&o, tc, 1);
        const char *metrics[] = {"rmse", "mae", "roc_auc"};
        for (int split = 0; split < 2; split++) {
            if (split)
                setenv("DOJO_CSV_SPLIT_MIN", "1", 1);
            dojo_index *x = dojo_index_new(ans, 0, err, sizeof err);
            for (size_t m = 0; m < 3; m++) {
                double got = -1, parts[2] = {-1, -1};
                int rc = dojo_score_stream(metrics[m], x, m == 2 ? 3 : 1, 2, path, &o, &got, parts, err,
                                           sizeof err);
                if (mode == 2) {
                    CHECK(rc == 0, "mode %d, %s, split %d: not taken", mode, metrics[m], split);
                    continue;
                }
                double want[3];
                for (int k = 0; k < 3; k++) { /* k 0 public, 1 private, 2 all */
                    size_t c = 0;
                    for (size_t r = 0; r < n; r++) {
                        int priv = (chars[offs[r] + 1] | 0x20) == 'r'; /* pRivate, not pUblic */
                        if (k == 2 || priv == k) {
                            ys[c] = m == 2 ? yl[r] : y[r];
                            ps[c++] = pv[r];
                        }
                    }
                    want[k] = NAN;
                    if (c)
                        dojo_metric_numeric(metrics[m], ys, ps, NULL, c, 1, NULL, &want[k], err, sizeof err);
                }
                double tol = m == 2 ? 0 : 1e-12; /* the AUC is an exact integer area */
                CHECK(rc == 1 && fabs(got - want[2]) <= tol * want[2], "mode %d, %s, split %d: %.17g vs %.17g",
                      mode, metrics[m], split, got, want[2]);
                for (int k = 0; k < 2; k++)
                    CHECK(isnan(want[k]) ? isnan(parts[k]) : fabs(parts[k] - want[k]) <= tol * want[k],
                          "mode %d, %s, split %d, part %d: %.17g vs %.17g", mode, metrics[m], split, k,
                          parts[k], want[k]);
            }
            dojo_index_free(x);
            unsetenv("DOJO_CSV_SPLIT_MIN");
        }
        free(csv.s);
        dojo_table_free(ans);
    }
    free(ids);
    free(y);
    free(yl);
    free(lab);
    free(pv);
    free(ys);
    free(ps);
    free(chars);
    free(offs);
    free(perm);
}

/* dojo_score_files_stream: the answers streamed too give dojo_score_stream's score, their
   ids in order or shuffled, one thread or two; answers whose ids are not one run from the
   first record's, or values the metric refuses, give 0. */
static void t_score_files_stream(void)
{
    size_t n = 30000;
    size_t *perm = malloc(n * sizeof *perm);
    shuffle(perm, n);
    const int64_t lo = 1000;
    sbuf pred = {0};
    sb_str(&pred, "id,p\n");
    for (size_t i = 0; i < n; i++)
        sb_printf(&pred, "%lld,%.3f\n", (long long)(lo + (int64_t)perm[i]),
                  (double)((perm[i] * 7919) % 1000) / 8.0);
    const char *pp = tpath("fs_pred.csv"), *tp = tpath("fs_truth.csv");
    write_file(pp, pred.s, pred.len);
    const char *tc[] = {"y"}, *pc[] = {"p"};
    dojo_csv_options to, po;
    floats_opt(&to, tc, 1);
    floats_opt(&po, pc, 1);
    const char *metrics[] = {"roc_auc", "rmse", "mae", "rmsle"};
    /* variants of the answers: 0 in order, 1 shuffled after the least id, then not taken:
       2 a gap, 3 a repeated id, 4 the first id not the least, 5 a value outside the metric's,
       6 one class, 7 three columns */
    for (int v = 0; v < 8; v++) {
        for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++) {
            int auc = m == 0;
            sbuf t = {0};
            sb_str(&t, v == 7 ? "id,y,z\n" : "id,y\n");
            for (size_t i = 0; i < n; i++) {
                /* 1: the least id first, the others shuffled; 4: all shuffled */
                size_t r = v == 4 ? perm[(i + 1) % n] : i;
                if (v == 1 && i > 0)
                    r = perm[i] == 0 ? perm[0] : perm[i];
                int64_t id = lo + (int64_t)r;
                if (v == 2 && i == n / 2)
                    id += (int64_t)n;
                if (v == 3 && i == n / 2)
                    id = lo + 5;
                double y = auc ? (double)((r * 2654435761u) >> 9 & 1) : (double)(r % 101) * 0.5;
                if (v == 5 && i == n / 3)
                    y = auc ? 2 : NAN;
                if (v == 6)
                    y = auc ? 1 : y;
                sb_printf(&t, v == 7 ? "%lld,%.17g,1\n" : "%lld,%.17g\n", (long long)id, y);
            }
            write_file(tp, t.s, t.len);
            for (int split = 0; split < 2; split++) {
                if (split)
                    setenv("DOJO_CSV_SPLIT_MIN", "1", 1);
                char err[256] = "";
                double got = -1, want = -2;
                int rc = dojo_score_files_stream(metrics[m], tp, &to, pp, &po, &got, err, sizeof err);
                int want_rc = 0;
                if (v <= 1 || (v == 6 && !auc)) {
                    dojo_table *ans = dojo_table_read_csv(tp, &to, err, sizeof err);
                    dojo_index *x = ans ? dojo_index_new(ans, 0, err, sizeof err) : NULL;
                    want_rc = x ? dojo_score_stream(metrics[m], x, 1, DOJO_NO_COLUMN, pp, &po, &want, NULL, err,
                                                    sizeof err)
                                : -1;
                    dojo_index_free(x);
                    dojo_table_free(ans);
                }
                unsetenv("DOJO_CSV_SPLIT_MIN");
                CHECK(rc == want_rc && (rc != 1 || got == want), "answers %d, %s, split %d: %d %.17g vs %d %.17g (%s)",
                      v, metrics[m], split, rc, got, want_rc, want, err);
                if (v <= 1)
                    CHECK(rc == 1, "answers %d, %s, split %d: taken", v, metrics[m], split);
            }
            free(t.s);
        }
    }
    double got;
    char err[256];
    CHECK(dojo_score_files_stream("r2", tp, &to, pp, &po, &got, err, sizeof err) == 0 &&
              dojo_score_files_stream("roc_auc", "/nonexistent/t.csv", &to, pp, &po, &got, err,
                                      sizeof err) == 0 &&
              dojo_score_files_stream(NULL, tp, &to, pp, &po, &got, err, sizeof err) == 0,
          "not taken: another metric, no file, no metric");
    free(pred.s);
    free(perm);
}

/* The aligned read and both streamed scores at each SIMD level. */
static void t_scatter_levels(void)
{
    void (*const tests[])(void) = {t_read_aligned, t_score_stream, t_score_files_stream};
    at_simd_levels(tests, 3);
}

/* dojo_table_read_csv2 gives for each file what dojo_table_read_csv gives (tables and
   errors), whether the files are read at once or one after the other (sizes far apart). */
static void t_read2(void)
{
    char why[600], e1[512], e2[512], f1[512], f2[512];
    size_t n = 40000;
    sbuf a = {0}, b = {0};
    sb_str(&a, "id,y\n");
    sb_str(&b, "id,p\n");
    for (size_t i = 0; i < n; i++) {
        sb_printf(&a, "%zu,%zu.25\n", i, i % 17);
        sb_printf(&b, "%zu,%s\n", n - i, i == n - 3 ? "oops" : "0.5");
    }
    const char *pa = tpath("read2a.csv"), *pb = tpath("read2b.csv"), *ps = tpath("read2s.csv");
    write_file(pa, a.s, a.len);
    write_file(pb, b.s, b.len);
    write_file(ps, "id,p\n1,2\n", 10);
    const char *tc[] = {"p"};
    dojo_csv_options o;
    floats_opt(&o, tc, 1);
    const char *second[] = {pb, ps, pa, "/nonexistent/read2.csv"};
    for (size_t k = 0; k < sizeof second / sizeof *second; k++) {
        for (int split = 0; split < 2; split++) {
            if (split)
                setenv("DOJO_CSV_SPLIT_MIN", "1", 1);
            const dojo_csv_options *o2 = k == 2 ? NULL : &o;
            dojo_table *t1 = NULL, *t2 = NULL;
            e1[0] = e2[0] = f1[0] = f2[0] = '\0';
            int rc = dojo_table_read_csv2(pa, NULL, second[k], o2, &t1, &t2, e1, e2, sizeof e1);
            dojo_table *u1 = dojo_table_read_csv(pa, NULL, f1, sizeof f1);
            dojo_table *u2 = dojo_table_read_csv(second[k], o2, f2, sizeof f2);
            CHECK(rc == (t1 && t2 ? 0 : -1), "return code %d (file %zu)", rc, k);
            CHECK(t1 && u1 && tables_equal(u1, t1, why, sizeof why), "first file %zu: %s", k,
                  t1 ? why : e1);
            if (u2)
                CHECK(t2 && tables_equal(u2, t2, why, sizeof why), "second file %zu: %s", k,
                      t2 ? why : e2);
            else
                CHECK(!t2 && strcmp(e2, f2) == 0 && e2[0], "second file %zu: '%s' vs '%s'", k, e2,
                      f2);
            dojo_table_free(t1);
            dojo_table_free(t2);
            dojo_table_free(u1);
            dojo_table_free(u2);
            unsetenv("DOJO_CSV_SPLIT_MIN");
        }
    }
    dojo_table *t1 = (dojo_table *)1, *t2 = (dojo_table *)1;
    CHECK(dojo_table_read_csv2(NULL, NULL, pa, NULL, &t1, &t2, e1, e2, sizeof e1) == -1 && !t1 &&
              t2 && strcmp(e1, "no path given") == 0, "no first path: %s", e1);
    dojo_table_free(t2);
    CHECK(dojo_table_read_csv2(pa, NULL, pb, NULL, NULL, &t2, e1, e2, sizeof e1) == -1,
          "no output");
    free(a.s);
    free(b.s);
}

typedef struct feeder {
    const char *path;
    const void *data;
    size_t len;
} feeder;

/* Writes the data into the FIFO in small pieces. Robust to a reader that fails early: SIGPIPE
   is blocked in this thread (a write then fails with EPIPE), and the FIFO is opened without
   blocking, retried for up to 20 s while no reader has it open. */
static void *feed(void *arg)
{
    feeder *f = arg;
    sigset_t pipe_sig;
    sigemptyset(&pipe_sig);
    sigaddset(&pipe_sig, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_sig, NULL);
    int fd = -1;
    for (int tries = 0; tries < 2000 && fd < 0; tries++) {
        fd = open(f->path, O_WRONLY | O_NONBLOCK);
        if (fd < 0)
            usleep(10000);
    }
    if (fd < 0)
        return NULL;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const char *p = f->data;
    size_t left = f->len;
    while (left) {
        size_t k = left < 7000 ? left : 7000; /* small writes: many short reads */
        ssize_t w = write(fd, p, k);
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    close(fd);
    return NULL;
}

static void t_pipe(void)
{
    char err[512];
    sbuf b = {0};
    sb_str(&b, "id,v\n");
    for (int i = 0; i < 100000; i++)
        sb_printf(&b, "%d,%d.50\n", i, i);
    sb_str(&b, "100000,text\n");
    const char *fifo = tpath("fifo");
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
    for (int gz = 0; gz < 2; gz++) {
        size_t glen = 0;
        unsigned char *g = gz ? gz_mem(b.s, b.len, &glen) : NULL;
        feeder fd = {fifo, gz ? (const void *)g : b.s, gz ? glen : b.len};
        pthread_t th;
        pthread_create(&th, NULL, feed, &fd);
        dojo_table *t = dojo_table_read_csv(fifo, NULL, err, sizeof err);
        pthread_join(th, NULL);
        CHECK(t && dojo_table_nrows(t) == 100001 && type_of(t, "v") == DOJO_TYPE_STRING &&
                  strcmp(gets_(t, "v", 777), "777.50") == 0 && geti(t, "id", 100000) == 100000,
              "pipe%s with a restart: %s", gz ? " (gzip)" : "", t ? "" : err);
        dojo_table_free(t);
        free(g);
    }
    /* streaming from a pipe, demotion in the first chunk */
    feeder fd = {fifo, "a\n1.0\nx\n2\n3\n", 12};
    pthread_t th;
    pthread_create(&th, NULL, feed, &fd);
    dojo_csv_reader *r = dojo_csv_reader_open(fifo, NULL, err, sizeof err);
    dojo_table *c = NULL;
    int rc = r ? dojo_csv_reader_next(r, 2, &c, err, sizeof err) : -2;
    CHECK(rc == 1 && strcmp(gets_(c, "a", 0), "1.0") == 0, "pipe stream chunk 1: %s",
          rc == 1 ? "" : err);
    dojo_table_free(rc == 1 ? c : NULL);
    rc = r ? dojo_csv_reader_next(r, 2, &c, err, sizeof err) : -2;
    CHECK(rc == 1 && strcmp(gets_(c, "a", 1), "3") == 0, "pipe stream chunk 2: %s",
          rc == 1 ? "" : err);
    dojo_table_free(rc == 1 ? c : NULL);
    dojo_csv_reader_free(r);
    pthread_join(th, NULL);
    free(b.s);
}

static void t_options(void)
{
    char err[512];
    dojo_csv_options o;
    dojo_csv_options_init(&o);
    CHECK(o.delimiter == ',' && o.quote == '"' && o.header == 1 && o.columns == NULL &&
              o.ntypes == 0,
          "defaults");
    o.delimiter = '"';
    dojo_table *t = parse("a\n1\n", &o, err);
    CHECK(!t && has(err, "quote"), "delimiter == quote: %s", err);
    o.delimiter = '\n';
    t = parse("a\n1\n", &o, err);
    CHECK(!t && has(err, "delimiter"), "newline delimiter: %s", err);
    t = dojo_table_read_csv(NULL, NULL, err, sizeof err);
    CHECK(!t && has(err, "path"), "NULL path: %s", err);
}

/* ---- tables ------------------------------------------------------------------------- */

static void t_build(void)
{
    char err[512];
    dojo_table *t = dojo_table_new();
    CHECK(t && dojo_table_nrows(t) == 0 && dojo_table_ncols(t) == 0, "empty table");
    int64_t iv[] = {1, 2, 3};
    unsigned char m[] = {0, 7, 0};
    CHECK(dojo_table_add_ints(t, "a", iv, m, 3, err, sizeof err) == 0, "add ints: %s", err);
    CHECK(dojo_table_column_missing(t, 0)[1] == 1 && dojo_table_column_ints(t, 0)[1] == 0 &&
              dojo_table_column_nmissing(t, 0) == 1,
          "mask normalised to 1, missing value zeroed");
    double fv[] = {1, 2};
    CHECK(dojo_table_add_floats(t, "b", fv, NULL, 2, err, sizeof err) < 0 && has(err, "rows"),
          "row count mismatch: %s", err);
    CHECK(dojo_table_add_ints(t, "a", iv, NULL, 3, err, sizeof err) < 0 && has(err, "'a'"),
          "duplicate name: %s", err);
    int64_t bad[] = {0, 2, 1, 3};
    CHECK(dojo_table_add_strings(t, "s", "abc", bad, NULL, 3, err, sizeof err) < 0 &&
              has(err, "offsets"),
          "decreasing offsets: %s", err);
    int64_t off[] = {10, 12, 12, 15}; /* offsets need not start at 0 */
    unsigned char sm[] = {0, 0, 1};
    CHECK(dojo_table_add_strings(t, "s", "0123456789abcdefgh", off, sm, 3, err, sizeof err) == 0,
          "add strings: %s", err);
    const int64_t *o;
    const char *s = dojo_table_column_strings(t, 1, &o);
    CHECK(s && o[0] == 0 && o[1] == 2 && o[2] == 2 && o[3] == 2 && memcmp(s, "ab", 2) == 0,
          "offsets rebased, missing row emptied");
    unsigned char none[] = {0, 0, 0};
    CHECK(dojo_table_add_floats(t, "f", (double[]){1.5, 2.5, 3.5}, none, 3, err, sizeof err) == 0 &&
              dojo_table_column_missing(t, 2) == NULL,
          "an all-zero mask is dropped");
    CHECK(dojo_table_add_ints(t, NULL, iv, NULL, 3, err, sizeof err) < 0, "NULL name refused");
    dojo_table_free(t);
    t = dojo_table_new();
    CHECK(dojo_table_add_floats(t, "z", NULL, NULL, 0, err, sizeof err) == 0 &&
              dojo_table_column_floats(t, 0) != NULL && dojo_table_nrows(t) == 0,
          "a column of 0 rows has non-NULL data");
    dojo_table_free(t);
    dojo_table_free(NULL);
    dojo_index_free(NULL);
    dojo_csv_reader_free(NULL);
    dojo_free(NULL);
    CHECK(dojo_table_nrows(NULL) == 0 && dojo_table_column_find(NULL, "a") == -1, "NULL table");
}

static void t_take_select(void)
{
    char err[512], why[256];
    dojo_table *t = edge_table();
    int64_t rows[] = {13, 0, 5, 5, 2};
    dojo_table *k = dojo_table_take(t, rows, 5, err, sizeof err);
    CHECK(k && dojo_table_nrows(k) == 5 && dojo_table_ncols(k) == 3, "take: %s", k ? "" : err);
    if (k) {
        CHECK(miss(k, "ints", 0) && geti(k, "ints", 1) == 0 && geti(k, "ints", 4) == INT64_MAX,
              "taken ints");
        CHECK(isnan(getf(k, "floats", 2)) && getf(k, "floats", 1) == 5e-324, "taken floats");
        CHECK(miss(k, "str,ings \"q\"", 2) && miss(k, "str,ings \"q\"", 3) &&
                  strcmp(gets_(k, "str,ings \"q\"", 4), "line\nbreak") == 0 &&
                  strcmp(gets_(k, "str,ings \"q\"", 0), "x") == 0,
              "taken strings, repeats allowed");
        CHECK(dojo_table_column_nmissing(k, 0) == 1 && dojo_table_column_nmissing(k, 2) == 2,
              "nmissing of taken rows");
    }
    dojo_table_free(k);
    int64_t none[] = {0};
    k = dojo_table_take(t, none, 0, err, sizeof err);
    CHECK(k && dojo_table_nrows(k) == 0 && dojo_table_ncols(k) == 3 &&
              dojo_table_column_missing(k, 0) == NULL,
          "take nothing");
    dojo_table_free(k);
    int64_t oob[] = {1, 14};
    k = dojo_table_take(t, oob, 2, err, sizeof err);
    CHECK(!k && has(err, "14") && has(err, "out of range"), "out of range: %s", err);
    int64_t neg[] = {-1};
    k = dojo_table_take(t, neg, 1, err, sizeof err);
    CHECK(!k && has(err, "-1"), "negative row: %s", err);

    const char *names[] = {"floats", "ints"};
    dojo_table *s = dojo_table_select(t, names, 2, err, sizeof err);
    CHECK(s && dojo_table_ncols(s) == 2 && strcmp(dojo_table_column_name(s, 0), "floats") == 0,
          "select: %s", s ? "" : err);
    if (s) {
        dojo_table *a = dojo_table_select(t, (const char *[]){"floats"}, 1, err, sizeof err);
        dojo_table *b = dojo_table_select(s, (const char *[]){"floats"}, 1, err, sizeof err);
        CHECK(a && b && tables_equal(a, b, why, sizeof why), "selected column equal: %s", why);
        dojo_table_free(a);
        dojo_table_free(b);
    }
    dojo_table_free(t); /* the selection is a deep copy: it outlives its source */
    CHECK(s && geti(s, "ints", 2) == INT64_MAX && miss(s, "ints", 4), "deep copy");
    dojo_table_free(s);
    t = edge_table();
    s = dojo_table_select(t, (const char *[]){"ints", "nope"}, 2, err, sizeof err);
    CHECK(!s && has(err, "'nope'"), "unknown name: %s", err);
    s = dojo_table_select(t, (const char *[]){"ints", "ints"}, 2, err, sizeof err);
    CHECK(!s && has(err, "twice"), "twice: %s", err);
    s = dojo_table_select(t, NULL, 0, err, sizeof err);
    CHECK(s && dojo_table_ncols(s) == 0, "select nothing");
    dojo_table_free(s);
    dojo_table_free(t);
}

/* ---- the index ---------------------------------------------------------------------- */

static void t_index_int(void)
{
    char err[512];
    size_t n = 1000000, distinct = 700000;
    int64_t *v = malloc(n * sizeof *v);
    unsigned char *m = calloc(n, 1);
    for (size_t i = 0; i < n; i++)
        v[i] = (int64_t)((i % distinct) * 2654435761u) - 1000000000LL;
    m[5] = 1; /* a missing row: its key appears again at 5 + distinct */
    dojo_table *t = dojo_table_new();
    dojo_table_add_ints(t, "k", v, m, n, err, sizeof err);
    dojo_index *x = dojo_index_new(t, 0, err, sizeof err);
    CHECK(x != NULL, "index: %s", err);
    if (x) {
        CHECK(dojo_index_nkeys(x) == distinct, "nkeys %zu", dojo_index_nkeys(x));
        int ok = 1;
        for (size_t i = 0; i < distinct && ok; i++) {
            int64_t want = i == 5 ? (int64_t)(5 + distinct) : (int64_t)i;
            ok = dojo_index_find_int(x, v[i == 5 ? 5 + distinct : i]) == want;
        }
        CHECK(ok, "find_int returns the first present occurrence");
        CHECK(dojo_index_find_int(x, 12345) == -1 && dojo_index_find_int(x, INT64_MIN) == -1,
              "absent keys");
        int64_t dups[4];
        size_t nd = dojo_index_duplicates(x, dups, 4);
        CHECK(nd == n - distinct - 1, "duplicates count %zu", nd);
        CHECK(dups[0] == (int64_t)distinct && dups[1] == (int64_t)distinct + 1 &&
                  dups[3] == (int64_t)distinct + 3,
              "first duplicates in row order");
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)v[10]);
        CHECK(dojo_index_find_string(x, key, strlen(key)) == 10, "string key on an int index");
        /* match a shuffled int column of 1M rows */
        dojo_table *o = dojo_table_new();
        int64_t *w = malloc(n * sizeof *w);
        unsigned char *wm = calloc(n, 1);
        for (size_t i = 0; i < n; i++)
            w[i] = i % 3 == 0 ? INT64_MIN + 1 : v[(i * 7919) % distinct];
        wm[1] = 1;
        dojo_table_add_ints(o, "k", w, wm, n, err, sizeof err);
        int64_t *rows = malloc(n * sizeof *rows);
        CHECK(dojo_index_match(x, o, 0, rows, err, sizeof err) == 0, "match: %s", err);
        ok = 1;
        for (size_t i = 0; i < n && ok; i++) {
            int64_t want = i % 3 == 0 || i == 1 ? -1 : (int64_t)((i * 7919) % distinct);
            if (want == 5)
                want = (int64_t)(5 + distinct);
            ok = rows[i] == want;
            if (!ok)
                CHECK(0, "row %zu matched %lld, want %lld", i, (long long)rows[i], (long long)want);
        }
        CHECK(ok, "int-int match on 1M rows");
        free(w);
        free(wm);
        free(rows);
        dojo_table_free(o);
    }
    dojo_index_free(x);
    dojo_table_free(t);
    free(v);
    free(m);
}

static void t_index_string(void)
{
    char err[512];
    size_t n = 200000;
    sbuf b = {0};
    int64_t *off = malloc((n + 1) * sizeof *off);
    unsigned char *m = calloc(n, 1);
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 4 == 3)
            sb_printf(&b, "%zu", i % 1000); /* canonical int texts, repeated */
        else
            sb_printf(&b, "key-%zu", i % 150000);
        off[i + 1] = (int64_t)b.len;
    }
    m[2] = 1;
    dojo_table *t = dojo_table_new();
    dojo_table_add_strings(t, "s", b.s, off, m, n, err, sizeof err);
    double *zeros = calloc(n, sizeof(double));
    dojo_table_add_floats(t, "f", zeros, NULL, n, err, sizeof err);
    free(zeros);
    dojo_index *x = dojo_index_new(t, 0, err, sizeof err);
    CHECK(x != NULL, "string index: %s", err);
    if (x) {
        CHECK(dojo_index_find_string(x, "key-1", 5) == 1, "find_string");
        CHECK(dojo_index_find_string(x, "key-2", 5) == 150002, "a missing row is not indexed");
        CHECK(dojo_index_find_string(x, "key-", 4) == -1, "prefix does not match");
        CHECK(dojo_index_find_int(x, 7) == 7 && dojo_index_find_int(x, 999) == 999,
              "int key on a string index");
        CHECK(dojo_index_find_int(x, -7) == -1 && dojo_index_find_int(x, 5) == -1,
              "absent int keys");
        /* match an int column against the string index, and a string column */
        dojo_table *o = dojo_table_new();
        int64_t iv[] = {7, 1007, 5000, -1, 999};
        unsigned char im[] = {0, 0, 0, 0, 1};
        dojo_table_add_ints(o, "i", iv, im, 5, err, sizeof err);
        const char *sv = "key-0key-149998nopekey-2";
        int64_t so[] = {0, 5, 15, 19, 24, 24};
        unsigned char sm[] = {0, 0, 0, 0, 1};
        dojo_table_add_strings(o, "s", sv, so, sm, 5, err, sizeof err);
        int64_t rows[5];
        CHECK(dojo_index_match(x, o, 0, rows, err, sizeof err) == 0 && rows[0] == 7 &&
                  rows[1] == -1 && rows[2] == -1 && rows[3] == -1 && rows[4] == -1,
              "int column vs string index: %lld %lld %lld %lld %lld", (long long)rows[0],
              (long long)rows[1], (long long)rows[2], (long long)rows[3], (long long)rows[4]);
        CHECK(dojo_index_match(x, o, 1, rows, err, sizeof err) == 0 && rows[0] == 0 &&
                  rows[1] == 149998 && rows[2] == -1 && rows[3] == 150002 && rows[4] == -1,
              "string column vs string index");
        CHECK(dojo_index_duplicates(x, NULL, 0) == n - 1 - dojo_index_nkeys(x),
              "duplicates + keys + missing = rows");
        dojo_table_free(o);
    }
    dojo_index_free(x);
    x = dojo_index_new(t, 1, err, sizeof err);
    CHECK(!x && has(err, "'f'") && has(err, "float"), "float column refused: %s", err);
    x = dojo_index_new(t, 9, err, sizeof err);
    CHECK(!x && has(err, "column"), "no such column: %s", err);
    /* string keys against an int index */
    dojo_table *ti = dojo_table_new();
    int64_t kv[] = {42, -7, 0, 42};
    dojo_table_add_ints(ti, "k", kv, NULL, 4, err, sizeof err);
    const char *q = "42-7000+4242.0";
    int64_t qo[] = {0, 2, 4, 5, 7, 9, 11, 14};
    dojo_table_add_strings(ti, "q", q, qo, NULL, 7, err, sizeof err);
    x = dojo_index_new(ti, 0, err, sizeof err);
    CHECK(x && dojo_index_nkeys(x) == 3 && dojo_index_duplicates(x, NULL, 0) == 1,
          "small int index");
    CHECK(x && dojo_index_find_string(x, "42", 2) == 0 && dojo_index_find_string(x, "-7", 2) == 1 &&
              dojo_index_find_string(x, "0", 1) == 2 && dojo_index_find_string(x, "00", 2) == -1 &&
              dojo_index_find_string(x, "+42", 3) == -1 &&
              dojo_index_find_string(x, "42.0", 4) == -1 &&
              dojo_index_find_string(x, "-0", 2) == -1,
          "canonical int text only");
    dojo_table_free(ti);
    dojo_index_free(x);
    dojo_table_free(t);
    free(b.s);
    free(off);
    free(m);
}

/* Dense integer keys (ids in a small range) take the direct-array path of the index; the
   same answers as the hash path, including duplicates, missing keys, negatives and keys
   outside the range; and dojo_index_join's counts and examples. */
static void case_dense_index_and_join(void)
{
    dj_test_begin("index: dense integer keys and dojo_index_join");
    char err[512];
    const char *csv = "id\n-3\n-1\n0\n2\n-1\n\n5\n";
    dojo_table *t = dojo_table_parse_csv(csv, strlen(csv), NULL, err, sizeof err);
    CHECK(t != NULL, "%s", err);
    dojo_index *x = t ? dojo_index_new(t, 0, err, sizeof err) : NULL;
    CHECK(x != NULL, "%s", err);
    if (x) {
        CHECK(dojo_index_find_int(x, -3) == 0, "-3");
        CHECK(dojo_index_find_int(x, -1) == 1, "-1 is first at row 1");
        CHECK(dojo_index_find_int(x, 5) == 6, "5");
        CHECK(dojo_index_find_int(x, 1) == -1, "1 is absent");
        CHECK(dojo_index_find_int(x, 6) == -1 && dojo_index_find_int(x, -4) == -1, "out of range");
        CHECK(dojo_index_find_int(x, INT64_MIN) == -1 && dojo_index_find_int(x, INT64_MAX) == -1, "extremes");
        CHECK(dojo_index_find_string(x, "2", 1) == 3, "text key");
        CHECK(dojo_index_nkeys(x) == 5, "nkeys %zu", dojo_index_nkeys(x));
        int64_t dup[4];
        CHECK(dojo_index_duplicates(x, dup, 4) == 1 && dup[0] == 4, "duplicate row 4");
        /* join a "submission" to it: keys 5, 0, 9 (unknown), 0 (duplicate), -3 */
        const char *sub = "id\n5\n0\n9\n0\n-3\n";
        dojo_table *s = dojo_table_parse_csv(sub, strlen(sub), NULL, err, sizeof err);
        int64_t rows[5], ex[6];
        dojo_join st;
        CHECK(s && dojo_index_join(x, s, 0, rows, &st, ex, 2, err, sizeof err) == 0, "%s", err);
        CHECK(rows[0] == 6 && rows[1] == 2 && rows[2] == -1 && rows[3] == 2 && rows[4] == 0, "rows");
        CHECK(st.unmatched == 1 && ex[0] == 2, "unmatched %llu", (unsigned long long)st.unmatched);
        CHECK(st.duplicates == 1 && ex[2] == 3, "duplicates %llu", (unsigned long long)st.duplicates);
        /* indexed rows never matched: 1 (-1), 3 (2), 4 (-1 again); row 5 has no key */
        CHECK(st.missing == 3 && ex[4] == 1 && ex[5] == 3, "missing %llu", (unsigned long long)st.missing);
        dojo_table_free(s);
    }
    /* sparse keys take the hash path and agree */
    const char *sparse = "id\n1000000000000\n-7\n3\n";
    dojo_table *u = dojo_table_parse_csv(sparse, strlen(sparse), NULL, err, sizeof err);
    dojo_index *y = u ? dojo_index_new(u, 0, err, sizeof err) : NULL;
    CHECK(y && dojo_index_find_int(y, 1000000000000LL) == 0 && dojo_index_find_int(y, 3) == 2 &&
              dojo_index_find_int(y, 4) == -1, "sparse");
    dojo_index_free(y);
    dojo_table_free(u);
    dojo_index_free(x);
    dojo_table_free(t);
    dj_test_end();
}


/* dojo_index_align: the join's counts and examples, and on a clean join the chosen columns
   (int, float with a missing cell, string) in the other table's order; keys that are the
   row numbers plus a constant (the computed path), dense keys and string keys agree. */
static void case_index_align(void)
{
    dj_test_begin("index: dojo_index_align joins and reorders in one pass");
    char err[512];
    const char *ans[] = {
        "id,y,s,f\n10,1,a,0.5\n11,2,bb,\n12,3,,2.5\n13,4,dddd,3.5\n",   /* ids = 10 + row */
        "id,y,s,f\n10,1,a,0.5\n13,4,dddd,3.5\n12,3,,2.5\n11,2,bb,\n",   /* dense, shuffled */
        "id,y,s,f\nk10,1,a,0.5\nk11,2,bb,\nk12,3,,2.5\nk13,4,dddd,3.5\n", /* strings */
    };
    const char *subs[] = {"id\n12\n10\n13\n11\n", "id\n12\n10\n13\n11\n",
                          "id\nk12\nk10\nk13\nk11\n"};
    for (int v = 0; v < 3; v++) {
        dojo_table *t = dojo_table_parse_csv(ans[v], strlen(ans[v]), NULL, err, sizeof err);
        dojo_table *s = dojo_table_parse_csv(subs[v], strlen(subs[v]), NULL, err, sizeof err);
        dojo_index *x = t ? dojo_index_new(t, 0, err, sizeof err) : NULL;
        CHECK(t && s && x, "variant %d: %s", v, err);
        if (!x || !s) {
            dojo_index_free(x);
            dojo_table_free(t);
            dojo_table_free(s);
            continue;
        }
        size_t cols[] = {3, 1, 2};
        dojo_table *out = NULL;
        dojo_join st;
        int64_t ex[3];
        CHECK(dojo_index_align(x, s, 0, cols, 3, &out, &st, ex, 1, err, sizeof err) == 0 && out,
              "variant %d aligns: %s", v, err);
        if (out) {
            CHECK(dojo_table_ncols(out) == 3 && dojo_table_nrows(out) == 4, "variant %d shape", v);
            const int64_t *y = dojo_table_column_ints(out, 1);
            CHECK(y && y[0] == 3 && y[1] == 1 && y[2] == 4 && y[3] == 2, "variant %d: y reordered", v);
            const double *f = dojo_table_column_floats(out, 0);
            const unsigned char *fm = dojo_table_column_missing(out, 0);
            CHECK(f && f[0] == 2.5 && f[1] == 0.5 && fm && fm[3] && !fm[0] &&
                      dojo_table_column_nmissing(out, 0) == 1,
                  "variant %d: f reordered with its missing cell", v);
            const int64_t *so;
            const char *sd = dojo_table_column_strings(out, 2, &so);
            CHECK(sd && so[1] - so[0] == 0 && memcmp(sd + so[1], "a", 1) == 0 &&
                      memcmp(sd + so[2], "dddd", 4) == 0 && memcmp(sd + so[3], "bb", 2) == 0 &&
                      so[4] == 7,
                  "variant %d: strings reordered", v);
            CHECK(strcmp(dojo_table_column_name(out, 0), "f") == 0, "variant %d: names", v);
            dojo_table_free(out);
        }
        out = NULL;
        CHECK(dojo_index_align(x, s, 0, NULL, 0, &out, &st, ex, 1, err, sizeof err) == 0 && out &&
                  dojo_table_ncols(out) == 4,
              "variant %d: every column by default", v);
        dojo_table_free(out);
        /* unclean: an unknown id, a duplicate, and two answer rows never matched */
        const char *bad = v == 2 ? "id\nk12\nk99\nk12\nk11\n" : "id\n12\n99\n12\n11\n";
        dojo_table *b = dojo_table_parse_csv(bad, strlen(bad), NULL, err, sizeof err);
        out = NULL;
        int64_t ex2[6];
        CHECK(b && dojo_index_align(x, b, 0, cols, 3, &out, &st, ex2, 2, err, sizeof err) == 0 &&
                  !out,
              "variant %d: unclean join gives no table", v);
        CHECK(st.unmatched == 1 && ex2[0] == 1 && st.duplicates == 1 && ex2[2] == 2 &&
                  st.missing == 2,
              "variant %d: counts %llu %llu %llu", v, (unsigned long long)st.unmatched,
              (unsigned long long)st.duplicates, (unsigned long long)st.missing);
        size_t nope[] = {9};
        CHECK(dojo_index_align(x, s, 0, nope, 1, &out, &st, ex, 1, err, sizeof err) < 0 &&
                  has(err, "no column"),
              "variant %d: unknown column: %s", v, err);
        dojo_table_free(b);
        dojo_index_free(x);
        dojo_table_free(t);
        dojo_table_free(s);
    }
    dj_test_end();
}

/* Above a million rows a clean join runs on two threads; one that is not clean (a repeat
   within a half or across the halves, an unknown key) gives exactly the sequential pass's
   counts and examples. */
static void case_index_align_big(void)
{
    dj_test_begin("index: dojo_index_align on 1.5M rows (two threads) equals one pass");
    char err[512];
    size_t n = 1500000;
    int64_t *ids = malloc(n * sizeof *ids), *sid = malloc(n * sizeof *sid);
    double *f = malloc(n * sizeof *f);
    char *chars = malloc(3 * n);
    int64_t *offs = malloc((n + 1) * sizeof *offs);
    CHECK(ids && sid && f && chars && offs, "oom");
    if (!(ids && sid && f && chars && offs))
        goto out;
    offs[0] = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = (int64_t)(i * 3 + 7); /* not dense enough for a direct array: the hash path */
        f[i] = (double)i * 0.25;
        size_t len = 1 + i % 3;
        memset(chars + offs[i], 'a' + (int)(i % 26), len);
        offs[i + 1] = offs[i] + (int64_t)len;
        sid[i] = ids[i];
    }
    uint64_t st_ = 5;
    for (size_t i = n - 1; i > 0; i--) {
        st_ = st_ * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (size_t)(st_ >> 33) % (i + 1);
        int64_t tmp = sid[i];
        sid[i] = sid[j];
        sid[j] = tmp;
    }
    dojo_table *t = dojo_table_new(), *s = dojo_table_new();
    CHECK(t && s && dojo_table_add_ints(t, "id", ids, NULL, n, err, sizeof err) == 0 &&
              dojo_table_add_floats(t, "f", f, NULL, n, err, sizeof err) == 0 &&
              dojo_table_add_strings(t, "s", chars, offs, NULL, n, err, sizeof err) == 0 &&
              dojo_table_add_ints(s, "id", sid, NULL, n, err, sizeof err) == 0,
          "tables: %s", err);
    dojo_index *x = t ? dojo_index_new(t, 0, err, sizeof err) : NULL;
    CHECK(x != NULL, "index: %s", err);
    if (x) {
        size_t cols[] = {1, 2};
        dojo_table *a = NULL;
        dojo_join st;
        int64_t ex[9];
        CHECK(dojo_index_align(x, s, 0, cols, 2, &a, &st, ex, 3, err, sizeof err) == 0 && a,
              "clean join: %s", err);
        if (a) {
            const double *af = dojo_table_column_floats(a, 0);
            const int64_t *ao;
            const char *as = dojo_table_column_strings(a, 1, &ao);
            int ok = af && as && ao[0] == 0;
            for (size_t i = 0; ok && i < n; i++) {
                size_t r = (size_t)(sid[i] - 7) / 3;
                ok = af[i] == f[r] && ao[i + 1] - ao[i] == offs[r + 1] - offs[r] &&
                     memcmp(as + ao[i], chars + offs[r], (size_t)(ao[i + 1] - ao[i])) == 0;
            }
            CHECK(ok, "every row gathered from its key's row");
            dojo_table_free(a);
        }
        /* a repeat across the halves, one within the second half, an unknown key */
        sid[n - 1] = sid[10];
        sid[n - 3] = sid[n - 2];
        sid[n / 2 + 4] = 1;
        dojo_table *b = dojo_table_new();
        CHECK(b && dojo_table_add_ints(b, "id", sid, NULL, n, err, sizeof err) == 0, "b: %s", err);
        a = NULL;
        CHECK(b && dojo_index_align(x, b, 0, cols, 2, &a, &st, ex, 3, err, sizeof err) == 0 && !a,
              "unclean join gives no table: %s", err);
        CHECK(st.unmatched == 1 && ex[0] == (int64_t)(n / 2 + 4) && st.duplicates == 2 &&
                  ex[3] == (int64_t)(n - 2) && ex[4] == (int64_t)(n - 1) && st.missing == 3,
              "counts %llu %llu %llu, examples %lld %lld %lld",
              (unsigned long long)st.unmatched, (unsigned long long)st.duplicates,
              (unsigned long long)st.missing, (long long)ex[0], (long long)ex[3],
              (long long)ex[4]);
        dojo_table_free(b);
    }
    dojo_index_free(x);
    dojo_table_free(t);
    dojo_table_free(s);
out:
    free(ids);
    free(sid);
    free(f);
    free(chars);
    free(offs);
    dj_test_end();
}

void test_table(void);
void test_table(void)
{
    snprintf(tdir, sizeof tdir, "%s/table", dj_test_tmpdir());
    if (mkdir(tdir, 0700) < 0 && errno != EEXIST) {
        dj_test_begin("table tests: temporary directory");
        CHECK(0, "cannot create %s: %s", tdir, strerror(errno));
        dj_test_end();
        return;
    }
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"csv: basic types and values", t_basic},
        {"csv: RFC 4180 quoting, doubled quotes, newlines in quotes", t_rfc4180},
        {"csv: LF, CRLF and lone CR line ends, no final newline", t_line_ends},
        {"csv: UTF-8 BOM skipped", t_bom},
        {"csv: missing values and quoted empty strings", t_missing},
        {"csv: type inference (canonical ints, 007, overflow, nan/inf, all-missing)", t_inference},
        {"csv: int column promoted to float in place", t_promotion},
        {"csv: demotion to string keeps the exact text (restart)", t_demotion},
        {"csv: na_values", t_na_values},
        {"csv: columns subset", t_subset},
        {"csv: forced types and misfits", t_forced},
        {"csv: header=0 names V1..Vn; empty header names", t_header0},
        {"csv: other delimiters and quote characters", t_delims},
        {"csv: blank lines; one-column files keep empty lines", t_blank_lines},
        {"csv hostile: unterminated quote names where it opened", t_unterminated},
        {"csv hostile: ragged rows", t_ragged},
        {"csv hostile: NUL bytes", t_nul},
        {"csv hostile: invalid UTF-8", t_utf8},
        {"csv hostile: text after a closing quote; literal quote in a field", t_quotes_misplaced},
        {"csv hostile: empty file, BOM only, header only", t_empty},
        {"csv hostile: duplicate column names", t_duplicates},
        {"csv hostile: several-MB fields work", t_big_field},
        {"csv hostile: record over max_record_bytes, bounded memory", t_record_limit},
        {"csv hostile: missing file, directory", t_open_errors},
        {"csv hostile: 4000 mutated inputs fail cleanly or round-trip", t_mutations},
        {"csv: gzip (file, magic, multi-member, memory), truncated and corrupt", t_gzip},
        {"csv: writer text (quoting, floats, empty vs missing)", t_write_text},
        {"csv: round trip plain, gzip and memory with edge values", t_round_trip},
        {"csv: randomised CSV across many buffer boundaries", t_random_csv},
        {"csv: float text is the shortest of %.15g/%.16g/%.17g that reads back", t_float_format},
        {"csv: 1M decimal strings parse exactly like strtod", t_float_exact},
        {"csv: the block fast path's values equal strtoll's and strtod's", t_fast_rows},
        {"csv: the same with the scalar number parser, the SSSE3 and the AVX2 builds ($DOJO_CSV_SIMD=0, 1, 2)", t_fast_rows_scalar},
        {"csv: records around and over the fast path's span; max_record_bytes below it", t_fast_rows_wide},
        {"csv stream: chunks concatenate to the whole table; offsets", t_stream_chunks},
        {"csv stream: later misfit is an error; first-chunk restart", t_stream_misfit},
        {"csv: non-seekable input (pipe) with a restart", t_pipe},
        {"csv: a big file split between two threads equals one thread", t_split},
        {"csv: split reads merge their halves by moving pages", t_split_merge},
        {"csv: split reads merged by copying (malloc arrays; mremap failing)", t_split_fallbacks},
        {"csv: two files read at once equal each read alone", t_read2},
        {"csv: a submission read straight into the answers' order; only the clean case", t_read_aligned},
        {"csv: the aligned read and both streamed scores at each SIMD level ($DOJO_CSV_SIMD=0, 1, 2)", t_scatter_levels},
        {"csv: a submission scored while it is read (dojo_score_stream); only the clean case", t_score_stream},
        {"csv: log_loss_multiclass scored while the submission is read", t_score_stream_proba},
        {"csv: a streamed score's public and private parts", t_score_stream_split},
        {"csv: both files streamed (dojo_score_files_stream); only the clean case", t_score_files_stream},
        {"csv: the all-numbers fast path gives way to the general one", t_fast_path},
        {"csv: options validation", t_options},
        {"table: building, accessors, errors", t_build},
        {"table: take and select", t_take_select},
        {"index: int index on 1M rows (find, nkeys, duplicates, match)", t_index_int},
        {"index: string index, match across types, float refused", t_index_string},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dj_test_begin(cases[i].name);
        cases[i].fn();
        dj_test_end();
    }
    case_dense_index_and_join();
    case_index_align();
    case_index_align_big();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", tdir);
}
