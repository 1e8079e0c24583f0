/*
 * dojo.h -- the one public header of libdojo, the dojo kernel.
 *
 * Rules this header keeps, so that LuaJIT's ffi.cdef can read a preprocessed copy of it
 * (lua/dojo/core_cdef.lua is generated from it by tools/gen-cdef, and a test fails when the
 * two drift apart):
 *   - no macros inside declarations, no varargs, no bit-fields, no inline functions;
 *   - handles are opaque, created by a *_new / *_open / *_read function and released by the
 *     matching *_free;
 *   - functions return an int status (0 success, -1 failure) or a pointer (NULL on failure)
 *     and write one clear sentence into the caller's buffer `err` of `errlen` bytes;
 *   - no struct is returned by value.
 *
 * Threads: kernel objects may be used from any thread, one thread at a time per object.
 * A dojo_runtime (the embedded Lua framework) is used by one thread at a time.
 */
#ifndef DOJO_H
#define DOJO_H

#ifndef DOJO_CDEF
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
#endif

/* ---------------------------------------------------------------------------------------
 * Version and what this machine allows (probed once per process, cached).
 * ------------------------------------------------------------------------------------- */

const char *dojo_version(void);            /* "0.1.0" */

typedef struct dojo_probe_info {
    int landlock_abi;        /* Landlock ABI version, 0 when unavailable */
    int seccomp_filter;      /* 1 when seccomp filter mode is available */
    int user_namespaces;     /* 1 when this process could create a user namespace */
    int cgroup_mode;         /* 0 none, 1 v1 only, 2 v2 unified, 3 hybrid (v1 + v2) */
    int is_root;             /* 1 when the effective uid is 0 */
    int ncpu;                /* online processors */
    char kernel[64];         /* uname release */
    char cgroup_note[128];   /* e.g. "v2 at /sys/fs/cgroup/unified; v1 memory, pids" */
} dojo_probe_info;

/* Fills *out; never fails (what cannot be probed reads as unavailable). */
void dojo_probe(dojo_probe_info *out);

/* ---------------------------------------------------------------------------------------
 * Files: atomic writes (temporary file in the same directory, fsync, rename, fsync dir)
 * and durable appends. A crash leaves either the old file or the new one, never a mix.
 * ------------------------------------------------------------------------------------- */

int dojo_file_write(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Appends len bytes with one write(2) on an O_APPEND descriptor; sync != 0 fsyncs. */
int dojo_file_append(const char *path, const void *data, size_t len, int sync,
                     char *err, size_t errlen);
/* Reads a whole regular file of at most max_bytes (0: no limit). The result is
   NUL-terminated (not counted in *len); free it with dojo_free(). */
char *dojo_file_read(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen);

/* Frees memory that a dojo_* function returned to the caller (strings, buffers). */
void dojo_free(void *p);

/* ---------------------------------------------------------------------------------------
 * Filesystem helpers: directories, whole-tree removal, stat, copies, SHA-256, clocks.
 * What untrusted code left behind (a work directory) is never trusted: no symbolic link is
 * followed where it matters and nothing blocks on a FIFO. See core/fs.c.
 * ------------------------------------------------------------------------------------- */

/* Like mkdir -p: creates the missing parents (mode 0755) and the directory, whose mode is
   then set to exactly mode (also when it existed; the umask does not apply). Fails, naming
   it, when a component exists and is not a directory. */
int dojo_dir_make(const char *path, int mode, char *err, size_t errlen);
/* The entry names of a directory (not . and ..), sorted bytewise, each followed by a NUL
   byte; *len gets the total bytes. An empty directory gives a non-NULL buffer and *len 0.
   Free the result with dojo_free(). */
char *dojo_dir_list(const char *path, size_t *len, char *err, size_t errlen);
/* Like rm -rf: removes path and everything under it without following symbolic links
   (a link is removed, never what it points to). A missing path is success. Directories
   the caller owns but cannot enter or empty (mode 0000, 0500) are given u+rwx first. */
int dojo_tree_remove(const char *path, char *err, size_t errlen);

enum dojo_path_kind {
    DOJO_PATH_MISSING = 0,
    DOJO_PATH_FILE = 1,        /* regular file */
    DOJO_PATH_DIR = 2,
    DOJO_PATH_OTHER = 3,       /* FIFO, socket, device */
    DOJO_PATH_LINK = 4         /* symbolic link (not followed) */
};

/* What path is (lstat: a link is not followed): a dojo_path_kind, or -1 on an error other
   than a missing path (ENOENT, ENOTDIR). *size (bytes) and *mtime (seconds since the
   epoch, with fraction) may be NULL; they read 0 for a missing path. */
int dojo_path_stat(const char *path, int64_t *size, double *mtime, char *err, size_t errlen);
/* Copies the regular file src to dst atomically, as dojo_file_write writes (dst gets
   mode 0644 less the umask). src may come from untrusted code: a symbolic link, FIFO,
   socket or device is refused without blocking, and so is a file over max_bytes (0: no
   limit). sync 0 skips the fsyncs (the copy is still atomic, not yet durable). */
int dojo_file_copy(const char *src, const char *dst, uint64_t max_bytes, int sync, char *err,
                   size_t errlen);
/* Moves the regular file src to dst (same refusals and limit as dojo_file_copy): a rename
   when src has a single link and both are on one filesystem, the file then owned by the
   caller with mode 0644; otherwise a copy (atomic, not synced) and src removed. For taking
   a file that untrusted code left in its work dir: no other name can reach the result. */
int dojo_file_move(const char *src, const char *dst, uint64_t max_bytes, char *err,
                   size_t errlen);
/* A second name dst for the file src (link(2): same filesystem, dst must not exist). */
int dojo_file_link(const char *src, const char *dst, char *err, size_t errlen);

/* SHA-256 of len bytes as 64 lowercase hex digits and a NUL (hex_out: 65 bytes). */
void dojo_sha256(const void *data, size_t len, char *hex_out);
/* The same of a regular file's contents (links followed; a FIFO is refused unopened). */
int dojo_sha256_file(const char *path, char *hex_out, char *err, size_t errlen);

/* Seconds: monotonic (for durations), and wall-clock since the epoch, with fraction. */
double dojo_clock_now(void);
double dojo_clock_wall(void);
/* Sleeps for the given seconds (resumed after signals; <= 0, NaN: returns at once). */
void dojo_sleep(double seconds);

/* ---------------------------------------------------------------------------------------
 * Compression: gzip (RFC 1952) in memory, with zlib. See core/gz.c.
 * ------------------------------------------------------------------------------------- */

/* Compresses len bytes into one gzip member. level: -1 (zlib's default, 6) or 0..9.
   Returns the compressed bytes (*out_len of them; free with dojo_free), or NULL. */
char *dojo_gzip(const void *data, size_t len, int level, size_t *out_len,
                char *err, size_t errlen);
/* Decompresses gzip data: one member or several concatenated (zero padding between and
   after them is skipped), each checked against its CRC-32. Fails on data that is not gzip,
   corrupt or truncated, and as soon as the output would exceed max_out bytes (0: no limit).
   The result is NUL-terminated (not counted in *out_len); free it with dojo_free(). */
char *dojo_gunzip(const void *data, size_t len, size_t max_out, size_t *out_len,
                  char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------
 * Regular expressions: PCRE2 (Perl-compatible syntax), JIT-compiled where the machine
 * allows. Offsets are 0-based byte offsets into the subject; a match is [start, end).
 * Each match is bounded (backtracking steps, depth, memory), so a catastrophic pattern
 * fails with "regular expression match limit exceeded" instead of hanging. See
 * core/regex.c for the theory of operation.
 * ------------------------------------------------------------------------------------- */

typedef struct dojo_regex dojo_regex;

enum dojo_regex_flag_bits {           /* dojo_regex_compile's flags; letters as parsed below */
    DOJO_REGEX_CASELESS = 1,          /* i: case-insensitive */
    DOJO_REGEX_MULTILINE = 2,         /* m: ^ and $ match at line breaks too */
    DOJO_REGEX_DOTALL = 4,            /* s: . matches a newline too */
    DOJO_REGEX_EXTENDED = 8,          /* x: whitespace and # comments in the pattern ignored */
    DOJO_REGEX_UTF = 16,              /* the pattern and subject are UTF-8 (characters, not
                                         bytes); invalid UTF-8 in a subject never matches */
    DOJO_REGEX_UCP = 32               /* \w, \d, \b, [[:alpha:]]... by Unicode properties */
};

enum dojo_regex_match_bits {          /* dojo_regex_match's options */
    DOJO_REGEX_ANCHORED = 1,          /* match only at the start offset */
    DOJO_REGEX_NOTEMPTY_ATSTART = 2   /* no empty match at the start offset (global scans) */
};

/* Parses flag letters: "i", "m", "s", "x", "u" (UTF + UCP), in any combination; NULL or ""
   is 0. Returns the bits, or -1 on an unknown letter. */
int dojo_regex_parse_flags(const char *flags, char *err, size_t errlen);
/* Compiles a pattern of len bytes (it may contain NUL bytes). NULL on failure, with e.g.
   "bad regular expression at offset 3: missing closing parenthesis". */
dojo_regex *dojo_regex_compile(const char *pattern, size_t len, int flags,
                               char *err, size_t errlen);
void dojo_regex_free(dojo_regex *re);
/* Number of capture groups (0 when the pattern has none). */
int dojo_regex_ngroups(const dojo_regex *re);
/* Number of the group called name, or -1. */
int dojo_regex_group_number(const dojo_regex *re, const char *name);
/* Name of group 1..ngroups, or NULL when it has none. Valid until the regex is freed. */
const char *dojo_regex_group_name(const dojo_regex *re, int group);
/* 1 when the pattern runs JIT-compiled, 0 when interpreted (same results). */
int dojo_regex_jit(const dojo_regex *re);
/* Backtracking steps allowed per match (0: the default, 10 000 000). */
int dojo_regex_set_match_limit(dojo_regex *re, uint32_t limit);

/* Searches subject[0, len) from byte offset start. Returns 0 when nothing matches (also
   when start > len), -1 on an error (match limit exceeded), else the number of offset
   pairs set: 1 + the number of the highest group that took part in the match. ovector
   receives npairs pairs (start, end): pair 0 the whole match, pair i group i; a group that
   did not take part (or beyond the count returned) reads -1, -1. npairs should be
   ngroups + 1; fewer pairs are filled when it is smaller. */
int dojo_regex_match(dojo_regex *re, const char *subject, size_t len, size_t start, int options,
                     int64_t *ovector, size_t npairs, char *err, size_t errlen);
/* Replaces the first max_count matches (max_count < 0: all) with the template repl:
   $0..$99 or ${n} a group by number, $name or ${name} by name, $$ a dollar sign; an unset
   group is empty. A bad template fails before matching, naming its offset. Returns the new
   string (NUL-terminated, *out_len bytes; free with dojo_free) and the number of matches
   replaced in *count. Empty matches follow Perl's rule (core/regex.c). */
char *dojo_regex_substitute(dojo_regex *re, const char *subject, size_t len, const char *repl,
                            size_t repl_len, int64_t max_count, size_t *out_len, size_t *count,
                            char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------
 * Tables: columnar, typed, with a missing-value mask; read from and written to CSV.
 *
 * Column types are inferred per column: integer (int64) when every present value is a
 * canonical integer (optional sign, no leading zeros: "007" stays text), float (double) when
 * every present value is a number ("1.5", "1e-3", "nan", "inf"), otherwise string. An empty
 * unquoted field is missing; a quoted empty field ("") is the empty string in a string
 * column and missing in a numeric one. A column with no present value is float.
 * ------------------------------------------------------------------------------------- */

typedef struct dojo_table dojo_table;
typedef struct dojo_index dojo_index;
typedef struct dojo_csv_reader dojo_csv_reader;

enum dojo_type {
    DOJO_TYPE_INT = 1,
    DOJO_TYPE_FLOAT = 2,
    DOJO_TYPE_STRING = 3
};

typedef struct dojo_csv_options {
    char delimiter;                     /* ',' */
    char quote;                         /* '"' */
    int header;                         /* 1: the first record names the columns; 0: V1..Vn */
    size_t max_record_bytes;            /* longest record accepted; 0: 256 MiB */
    const char *const *columns;         /* materialise only these columns (NULL: all) */
    size_t ncolumns;
    const char *const *na_values;       /* field texts read as missing, besides "" */
    size_t nna_values;
    const char *const *type_columns;    /* force the type of these columns ... */
    const int *types;                   /* ... to these dojo_type values */
    size_t ntypes;
    int untrusted;                      /* 1: the file comes from untrusted code (a
                                           submission): do not follow a symbolic link, never
                                           block on a FIFO or device, require a regular file
                                           with a single link */
    uint64_t max_file_bytes;            /* with untrusted: largest file accepted; 0 none */
} dojo_csv_options;

/* Sets the defaults above. Always call it before filling in an options struct. */
void dojo_csv_options_init(dojo_csv_options *opt);

/* Reads a whole CSV file (plain, or gzip when the data starts with the gzip magic).
   opt may be NULL for the defaults. Errors name the line and column of the problem. */
dojo_table *dojo_table_read_csv(const char *path, const dojo_csv_options *opt,
                                char *err, size_t errlen);
/* Reads two whole files, on two threads when that pays (a grading's answers and
   submission): *out1 and *out2 get what dojo_table_read_csv would give for each file, with
   its message in err1 or err2 (each errlen bytes) when that read failed. Returns 0 when
   both were read, -1 otherwise. */
int dojo_table_read_csv2(const char *path1, const dojo_csv_options *opt1, const char *path2,
                         const dojo_csv_options *opt2, dojo_table **out1, dojo_table **out2,
                         char *err1, char *err2, size_t errlen);
/* Reads a file whose first column holds keys of the index idx (over an int column), in
   the indexed table's row order: row i of the result holds the file's other columns (each
   forced to float by opt) from the record whose key is row i's key; the key column is not
   kept. Only for the clean case: every record plain numbers, every key found, none
   repeated, every indexed row's key present (the index's column has no missing value).
   Otherwise returns NULL (err says only that): read the file the ordinary way, which finds
   and names the problem. A grading's submission read this way needs no join. */
dojo_table *dojo_table_read_csv_aligned(const char *path, const dojo_csv_options *opt,
                                        const dojo_index *idx, char *err, size_t errlen);
/* The same from memory (data need not be NUL-terminated; gzip is detected as well). */
dojo_table *dojo_table_parse_csv(const void *data, size_t len, const dojo_csv_options *opt,
                                 char *err, size_t errlen);

/* Streaming: reads a file in chunks of at most max_rows rows, each a table of its own, so a
   file larger than memory can be scanned. Column types are inferred from the first chunk
   (or forced by the options) and kept for the following chunks; a later value that does
   not fit its column's type is an error naming its line and column. */
dojo_csv_reader *dojo_csv_reader_open(const char *path, const dojo_csv_options *opt,
                                      char *err, size_t errlen);
/* 1: *out holds the next chunk (free it with dojo_table_free); 0: end of file; -1: error. */
int dojo_csv_reader_next(dojo_csv_reader *r, size_t max_rows, dojo_table **out,
                         char *err, size_t errlen);
/* Bytes of the file consumed so far (compressed bytes for gzip). */
int64_t dojo_csv_reader_offset(const dojo_csv_reader *r);
void dojo_csv_reader_free(dojo_csv_reader *r);

/* Writes the table as RFC 4180 CSV (header row, "\n" line ends; fields quoted only when
   needed; missing values as empty fields; empty strings as ""; floats in the shortest form
   that reads back to the same double). A path ending in ".gz" is written gzip-compressed.
   The write is atomic (see dojo_file_write). */
int dojo_table_write_csv(const dojo_table *t, const char *path, char *err, size_t errlen);
/* The same into memory; *len gets the size; free the result with dojo_free(). */
char *dojo_table_format_csv(const dojo_table *t, size_t *len, char *err, size_t errlen);

size_t dojo_table_nrows(const dojo_table *t);
size_t dojo_table_ncols(const dojo_table *t);
const char *dojo_table_column_name(const dojo_table *t, size_t col);
/* Column number of a name, or -1. */
int64_t dojo_table_column_find(const dojo_table *t, const char *name);
int dojo_table_column_type(const dojo_table *t, size_t col);
/* The column's values: the pointer of its type, NULL for the other types. Valid until the
   table is freed. A missing value reads as 0, NaN or "" there; the mask tells. */
const int64_t *dojo_table_column_ints(const dojo_table *t, size_t col);
const double *dojo_table_column_floats(const dojo_table *t, size_t col);
/* String column: returns the character data; (*offsets)[i] .. (*offsets)[i+1] delimits row
   i (nrows + 1 offsets). NULL for a non-string column. */
const char *dojo_table_column_strings(const dojo_table *t, size_t col, const int64_t **offsets);
/* Missing mask: one byte per row, 1 = missing; NULL when no value of the column is missing. */
const unsigned char *dojo_table_column_missing(const dojo_table *t, size_t col);
size_t dojo_table_column_nmissing(const dojo_table *t, size_t col);
/* First row (0-based) of an int or float column that is missing, NaN, infinite or outside
   [lo, hi]; -1 when every row is fine (0 for a string column: no row is a number). Pass
   -HUGE_VAL, HUGE_VAL to check finiteness only. */
int64_t dojo_table_column_first_bad(const dojo_table *t, size_t col, double lo, double hi);

/* Building tables: every column must have the table's row count (the first column added
   sets it). missing may be NULL (none missing). Strings: data + nrows + 1 offsets. */
dojo_table *dojo_table_new(void);
int dojo_table_add_ints(dojo_table *t, const char *name, const int64_t *values,
                        const unsigned char *missing, size_t n, char *err, size_t errlen);
int dojo_table_add_floats(dojo_table *t, const char *name, const double *values,
                          const unsigned char *missing, size_t n, char *err, size_t errlen);
int dojo_table_add_strings(dojo_table *t, const char *name, const char *data,
                           const int64_t *offsets, const unsigned char *missing, size_t n,
                           char *err, size_t errlen);
/* A new table with the given rows (0-based, any order, repeats allowed) of every column. */
dojo_table *dojo_table_take(const dojo_table *t, const int64_t *rows, size_t n,
                            char *err, size_t errlen);
/* A new table with the named columns, in that order. */
dojo_table *dojo_table_select(const dojo_table *t, const char *const *names, size_t n,
                              char *err, size_t errlen);
void dojo_table_free(dojo_table *t);

/* Hash index over an integer or string column (missing values are not indexed). The
   index refers to the table, which must outlive it. */
dojo_index *dojo_index_new(const dojo_table *t, size_t col, char *err, size_t errlen);
/* Row (0-based) of the first occurrence of a key, or -1. */
int64_t dojo_index_find_int(const dojo_index *idx, int64_t key);
int64_t dojo_index_find_string(const dojo_index *idx, const char *key, size_t len);
/* Distinct keys indexed. */
size_t dojo_index_nkeys(const dojo_index *idx);
/* Rows whose key repeats an earlier row's: returns their count, writes the first max. */
size_t dojo_index_duplicates(const dojo_index *idx, int64_t *rows, size_t max);
/* For each row i of column col of table other, rows[i] = the matching row of the indexed
   table, or -1 (not found, or missing). Integer and string keys match across types by
   their text ("42" finds 42). rows has dojo_table_nrows(other) entries. */
int dojo_index_match(const dojo_index *idx, const dojo_table *other, size_t col, int64_t *rows,
                     char *err, size_t errlen);
/* Counts of a join (dojo_index_join). */
typedef struct dojo_join {
    uint64_t unmatched;    /* rows of other whose key the index lacks (or is missing) */
    uint64_t duplicates;   /* rows of other whose indexed row an earlier row already matched */
    uint64_t missing;      /* indexed rows (with a key) that no row of other matched */
} dojo_join;

/* Joins other's rows to the indexed table in one pass: rows[i] as dojo_index_match gives it,
   and the counts above. examples (3 * max entries, or NULL) gets the first max rows of each
   kind, 0-based: [0, max) unmatched rows of other, [max, 2 max) duplicate rows of other,
   [2 max, 3 max) indexed rows never matched. A submission joins cleanly when all three
   counts are 0: then rows is a permutation of the indexed table's rows. */
int dojo_index_join(const dojo_index *idx, const dojo_table *other, size_t col, int64_t *rows,
                    dojo_join *stats, int64_t *examples, size_t max, char *err, size_t errlen);
/* The same join, and when it is clean (all three counts 0) *aligned = a new table holding
   the indexed table's columns cols[0..ncols) (every column when cols is NULL), in that
   order, with their rows in other's order: row i holds the indexed row that row i of other
   matched. Otherwise *aligned = NULL (the counts and examples say why). One pass: the keys
   are looked up and the rows gathered block by block, without an array of all the rows. */
int dojo_index_align(const dojo_index *idx, const dojo_table *other, size_t col,
                     const size_t *cols, size_t ncols, dojo_table **aligned, dojo_join *stats,
                     int64_t *examples, size_t max, char *err, size_t errlen);
void dojo_index_free(dojo_index *idx);

/* ---------------------------------------------------------------------------------------
 * Metrics: the numeric kernels of grading, over plain arrays. Which metric a competition
 * uses, on which columns and with which options, is decided in Lua (lua/dojo/metrics.lua);
 * these functions only compute. Each returns 0 and the score in *out, or -1 and a sentence
 * in err (rows are named 0-based: "row 17: prediction is NaN"). Where scikit-learn 1.2 or
 * scipy defines a metric, the result is the same number (see core/metrics/ for each
 * definition and its degenerate cases). Metric names are the catalog's vocabulary:
 * dojo_metric_list() returns them, with the input kind each takes.
 * ------------------------------------------------------------------------------------- */

enum dojo_metric_kind {
    DOJO_METRIC_NUMERIC = 1,   /* y, p: n x k numbers (k = 1 for one target) */
    DOJO_METRIC_LABELS = 2,    /* y, p: n class ids in 0..nclasses-1 */
    DOJO_METRIC_PROBA = 3,     /* y: n class ids; P: n x k probabilities, row-major */
    DOJO_METRIC_TEXT = 4       /* y, p: n strings (data + n + 1 offsets) */
};

enum dojo_average {
    DOJO_AVERAGE_BINARY = 0,
    DOJO_AVERAGE_MACRO = 1,
    DOJO_AVERAGE_MICRO = 2,
    DOJO_AVERAGE_WEIGHTED = 3,
    DOJO_AVERAGE_SAMPLES = 4
};

typedef struct dojo_metric_params {
    double eps;            /* probability clipping of log losses: [eps, 1 - eps]; 1e-15 */
    int64_t k;             /* cutoff of map_at_k, apk, ndcg_at_k; 0: the metric's default */
    int64_t pos_label;     /* positive class id of binary f1/precision/recall; 1 */
    int64_t nclasses;      /* LABELS/PROBA: number of classes (0: 1 + the largest id seen) */
    int average;           /* dojo_average of f1/precision/recall; DOJO_AVERAGE_BINARY */
    int renormalize;       /* PROBA: divide each row by its sum after clipping (Kaggle); 1 */
    int64_t height, width; /* dice_rle, iou_map masks: image shape (column-major RLE) */
    double zero_division;  /* value of a 0/0 ratio in precision/recall/f1; 0 */
} dojo_metric_params;

void dojo_metric_params_init(dojo_metric_params *prm);

/* Metric names, one per line, each followed by a tab and its kind (1..4) and a tab and
   1 when higher is better, else 0: "roc_auc\t1\t1\n...". Static; do not free. */
const char *dojo_metric_list(void);

/* w: n sample weights or NULL. prm NULL: the defaults. */
int dojo_metric_numeric(const char *metric, const double *y, const double *p, const double *w,
                        size_t n, size_t k, const dojo_metric_params *prm, double *out,
                        char *err, size_t errlen);
int dojo_metric_labels(const char *metric, const int64_t *y, const int64_t *p, const double *w,
                       size_t n, const dojo_metric_params *prm, double *out,
                       char *err, size_t errlen);
int dojo_metric_proba(const char *metric, const int64_t *y, const double *P, const double *w,
                      size_t n, size_t k, const dojo_metric_params *prm, double *out,
                      char *err, size_t errlen);
/* Scores a submission file against the answers indexed by idx while reading it, storing
   nothing (core/score_stream.c): the file must be the key column of idx then the value
   columns forced to float by opt (the clean case of dojo_table_read_csv_aligned: plain
   numbers, every indexed id exactly once); truth_col is the answers' column the metric
   compares with (int or float, no missing value; log_loss_multiclass: the labels, text or
   int, each naming one of the file's value columns, which are the classes). metric:
   "roc_auc" (answers 0 or 1, both present), "mse", "rmse", "mae", "rmsle" or
   "log_loss_multiclass"; no weights, no parameters. part_col, unless DOJO_NO_COLUMN, is
   Kaggle's split column (Public / Private in any case, every row): parts[0] and parts[1] get
   the public and the private part's scores (NaN for a part without rows). Returns 1 with *score (what dojo_metric_numeric or dojo_metric_proba
   gives on the aligned columns: exactly for roc_auc, to the last bits for the sums), 0 when
   the metric, answers or file are not a case this takes (grade the ordinary way, which
   names any problem), -1 on error (err). */
#define DOJO_NO_COLUMN ((size_t)-1)
int dojo_score_stream(const char *metric, const dojo_index *idx, size_t truth_col,
                      size_t part_col, const char *path, const dojo_csv_options *opt,
                      double *score, double *parts, char *err, size_t errlen);
/* 1 when dojo_score_stream computes this metric (with or without a split), else 0. */
int dojo_score_stream_metric(const char *metric);
/* The same for two files (dojo score): the answers too are read as a stream, into the
   compact form the metric needs (roc_auc: a bitmap of the positives; the mean losses: the
   answers by row), with no table and no index. truth_path: the key column then one column
   forced to float by truth_opt, the keys running from the first record's (in any order),
   each once; pred_path as for dojo_score_stream. metric: "roc_auc", "mse", "rmse", "mae" or
   "rmsle". Returns 1 with *score (what dojo_score_stream gives), 0 when either file is not a
   case this takes, -1 on error (err). */
int dojo_score_files_stream(const char *metric, const char *truth_path,
                            const dojo_csv_options *truth_opt, const char *pred_path,
                            const dojo_csv_options *pred_opt, double *score, char *err,
                            size_t errlen);
/* The same as dojo_metric_proba with the probabilities as k columns read in place:
   cols[j][i] is row i's probability of class j (no n x k copy is needed). */
int dojo_metric_proba_columns(const char *metric, const int64_t *y, const double *const *cols,
                              const double *w, size_t n, size_t k,
                              const dojo_metric_params *prm, double *out, char *err,
                              size_t errlen);
int dojo_metric_text(const char *metric, const char *ydata, const int64_t *yoffs,
                     const char *pdata, const int64_t *poffs, size_t n,
                     const dojo_metric_params *prm, double *out, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------
 * Sandbox: runs untrusted code (an agent's program) under a policy and reports what
 * happened as a flat record, like isolate's meta file. The layers (DESIGN.md) are applied
 * in a fixed order, each only where this machine permits it, and each reported as applied
 * or unavailable with the reason. See core/sandbox.c for the theory of operation.
 * ------------------------------------------------------------------------------------- */

enum dojo_sandbox_layer_bits {      /* for dojo_sandbox_policy.disable (tests, degraded mode) */
    DOJO_LAYER_NAMESPACES = 1,
    DOJO_LAYER_CGROUP = 2,
    DOJO_LAYER_RLIMITS = 4,
    DOJO_LAYER_UID = 8,
    DOJO_LAYER_LANDLOCK = 16,
    DOJO_LAYER_SECCOMP = 32,
    DOJO_LAYER_NETNS = 64
};

typedef struct dojo_sandbox_policy {
    const char *cmd;                 /* program to run: a path, or a name looked up in PATH */
    const char *const *argv;         /* argv, NULL-terminated (NULL: { cmd, NULL }) */
    const char *cwd;                 /* working directory, read-write (NULL: a fresh temp dir) */
    const char *const *env;          /* "KEY=VALUE" entries added to the scrubbed environment */
    double time_s;                   /* CPU seconds of the whole process tree (0: none) */
    double wall_s;                   /* wall-clock seconds (0: none) */
    uint64_t memory_bytes;           /* memory of the whole tree (0: none) */
    int64_t procs;                   /* processes + threads of the tree (0: 512) */
    uint64_t fsize_bytes;            /* largest file the program may write (0: 1 GiB) */
    uint64_t output_bytes;           /* stdout and stderr captured, each (0: 1 MiB) */
    int output_fails;                /* 1: output over the cap is status OL (0: truncated) */
    const char *const *read;         /* extra read-only paths, NULL-terminated */
    const char *const *write;        /* extra read-write paths, NULL-terminated */
    int net;                         /* 1: allow the network (default: none at all) */
    int gpu;                         /* 1: pass /dev/nvidia* and CUDA_VISIBLE_DEVICES */
    int disable;                     /* dojo_sandbox_layer_bits not to apply */
} dojo_sandbox_policy;

void dojo_sandbox_policy_init(dojo_sandbox_policy *p);

typedef struct dojo_sandbox_layer {
    char name[24];                   /* "namespaces", "cgroup", "rlimits", "uid", "landlock", ... */
    int applied;                     /* 1 applied, 0 unavailable or disabled */
    char detail[160];                /* what was applied, or why not */
} dojo_sandbox_layer;

typedef struct dojo_sandbox_result {
    char status[4];                  /* OK RE SG TO ML OL XX */
    int exit_code;                   /* when the program exited (else -1) */
    int signal;                      /* the signal that ended it (else 0) */
    double wall_s;
    double cpu_s;                    /* user + system of the whole tree */
    int64_t max_rss_kb;              /* peak resident memory of the tree */
    uint64_t output_bytes;           /* bytes written to stdout + stderr, captured or not */
    char *out;                       /* captured stdout (NUL-terminated), out_len bytes */
    size_t out_len;
    char *err;                       /* captured stderr */
    size_t err_len;
    int nlayers;
    dojo_sandbox_layer layers[12];
    char message[256];               /* one sentence: what happened */
} dojo_sandbox_result;

/* Runs the policy. 0: *res is filled (whatever the program did, including status XX for
   the sandbox's own failure after the program started); -1: the policy itself is invalid
   (the reason in err) and nothing ran. Release the captured output with
   dojo_sandbox_result_clear(). */
int dojo_sandbox_run(const dojo_sandbox_policy *policy, dojo_sandbox_result *res,
                     char *err, size_t errlen);
void dojo_sandbox_result_clear(dojo_sandbox_result *res);

/* ---------------------------------------------------------------------------------------
 * HTTP client: libcurl, for the LLM providers' APIs. The caller pulls: dojo_http_open
 * returns once the status line and headers have arrived, then each dojo_http_read returns
 * the next piece of the body as the server sends it (a server-sent-events stream is read
 * event by event). Nothing calls back into the caller. See core/http.c.
 * ------------------------------------------------------------------------------------- */

typedef struct dojo_http dojo_http;

enum dojo_http_error {           /* failures: dojo_http_open and dojo_http_read return minus one */
    DOJO_HTTP_TIMEOUT = 1,       /* connect_timeout or timeout passed */
    DOJO_HTTP_CONNECT = 2,       /* the connection was refused or could not be made */
    DOJO_HTTP_RESOLVE = 3,       /* the host name (or the proxy's) did not resolve */
    DOJO_HTTP_TLS = 4,           /* TLS handshake or certificate verification failed */
    DOJO_HTTP_TOO_LARGE = 5,     /* the body exceeds max_bytes */
    DOJO_HTTP_ABORTED = 6,       /* dojo_http_close ended the transfer early */
    DOJO_HTTP_ERROR = 7          /* anything else: a bad URL, a connection reset, ... */
};

typedef struct dojo_http_opts {
    const char *url;                 /* http:// or https:// */
    const char *method;              /* NULL: GET, or POST when there is a body */
    const char *body;                /* request body of body_len bytes (NULL: none) */
    size_t body_len;
    const char *const *headers;      /* nheaders request headers, each "Name: value" */
    size_t nheaders;
    double connect_timeout;          /* seconds to connect (0: libcurl's default, 300) */
    double timeout;                  /* seconds for the whole exchange, reads included (0: none) */
    const char *proxy;               /* NULL: $http_proxy, $https_proxy, $no_proxy, $ALL_PROXY
                                        as libcurl reads them; "": no proxy */
    uint64_t max_bytes;              /* largest body accepted (0: no limit) */
    int follow_redirects;            /* 1: follow up to 10 redirects (0: return them) */
} dojo_http_opts;

/* Sets the defaults above (all zero). Always call it before filling in the options. */
void dojo_http_opts_init(dojo_http_opts *o);
/* Sends the request and waits for the response's status line and headers. 0: *out is the
   response (release it with dojo_http_free); on failure -kind (a dojo_http_error), *out
   NULL and one sentence in err naming the host (never the URL's path or query, nor a
   header). An HTTP error status (404, 500) is a response, not a failure. */
int dojo_http_open(const dojo_http_opts *o, dojo_http **out, char *err, size_t errlen);
/* The status code (200, 404, ...). */
int dojo_http_status(const dojo_http *h);
/* The response's headers, as sent (names in their original case, repeats kept). */
size_t dojo_http_header_count(const dojo_http *h);
/* Header i (0-based) into *name and *value, valid until dojo_http_free; -1 when i is out of
   range. */
int dojo_http_header(const dojo_http *h, size_t i, const char **name, const char **value);
/* The URL's host, as the messages name it. */
const char *dojo_http_host(const dojo_http *h);
/* The next piece of the body, as it arrives (blocking, within the timeout): 1 with *data
   and *len set (valid until the next call), 0 at the end of the body, or -kind and a
   sentence in err. */
int dojo_http_read(dojo_http *h, const char **data, size_t *len, char *err, size_t errlen);
/* Ends the transfer now and closes its connection; unless a read has returned the end of
   the body (or a failure), later reads fail with DOJO_HTTP_ABORTED. The status and headers
   stay readable. Safe to call twice, and on NULL. */
void dojo_http_close(dojo_http *h);
/* Closes (when needed) and releases the response; NULL is fine. */
void dojo_http_free(dojo_http *h);
/* "timeout", "connect", "resolve", "tls", "too_large", "aborted", or "error" (for any other
   number) */
const char *dojo_http_error_name(int kind);

/* ---------------------------------------------------------------------------------------
 * Embedding: a Lua state hosting the dojo framework, driven by JSON strings.
 * Strings returned by these functions are JSON documents owned by the caller:
 * release them with dojo_free(). A runtime is used by one thread at a time.
 * ------------------------------------------------------------------------------------- */

typedef struct dojo_runtime dojo_runtime;
typedef struct dojo_env dojo_env;

/* lua_root: the folder holding dojo/init.lua. NULL: $DOJO_LUA_ROOT, else the install or
   build location found from libdojo's own path. */
dojo_runtime *dojo_runtime_new(const char *lua_root, char *err, size_t errlen);
/* The framework folder the runtime loaded. */
const char *dojo_runtime_lua_root(const dojo_runtime *rt);
/* Runs the dojo command line (lua/dojo/cli.lua) with argv[0..argc-1] (argv[0] is the
   program name) and returns its exit code: 0 success, 1 rejected input, 2 usage/fault. */
int dojo_runtime_cli(dojo_runtime *rt, int argc, const char *const *argv);
/* Calls a framework function by its dotted name (e.g. "dojo.version_info") with one JSON
   argument (NULL: null) and returns its result as JSON, or {"error":{...}}. */
char *dojo_runtime_call(dojo_runtime *rt, const char *function, const char *args_json);
void dojo_runtime_free(dojo_runtime *rt);

/* Environments. options_json, args_json: JSON objects (NULL: {}). On failure
   dojo_env_make returns NULL with the reason in err; reset/step return
   {"error":{"type":...,"message":...}} documents instead of results. */
dojo_env *dojo_env_make(dojo_runtime *rt, const char *name, const char *options_json,
                        char *err, size_t errlen);
char *dojo_env_reset(dojo_env *env, const char *options_json);
char *dojo_env_step(dojo_env *env, const char *action, const char *args_json);
void dojo_env_close(dojo_env *env);

#ifndef DOJO_CDEF
#ifdef __cplusplus
}
#endif
#endif

#endif /* DOJO_H */
