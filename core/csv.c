/*
 * csv.c -- RFC 4180 CSV: reading (whole file, memory, streaming chunks) and writing, plain
 * or gzip.
 *
 * Theory of operation.
 *
 * Input. A source (struct src) delivers bytes from a file descriptor or a memory block; when
 * the first two bytes are the gzip magic (1f 8b) it inflates them with zlib from a 1 MiB
 * compressed block into the parse buffer (multi-member streams and zero padding between
 * members accepted). The parser reads into its own buffer, 1 MiB to start with, always
 * followed by a sentinel '\n' byte so that inner loops need no bounds test: a loop that
 * stops on the sentinel sees p == end and knows it ran out of data. A record that is cut by
 * the end of the buffer is abandoned (its row is not counted), the unparsed tail is moved to
 * the front of the buffer, more data is read, and the record is parsed again from its
 * start. The buffer doubles when the tail exceeds half of it, up to max_record_bytes (plus
 * one block): a longer record is an error, so memory stays bounded whatever the input.
 *
 * Tokenizing. A 256-entry byte-class table marks the bytes that end an unquoted field
 * (delimiter, CR, LF, NUL); an unquoted field is scanned with one table lookup per byte. A
 * quote opens a quoted field only as the first byte of a field; in the middle of an unquoted
 * field it is an ordinary character (as pandas does: a"b stays a"b). A quoted field ends at
 * a quote that is not doubled, and must then be followed by a delimiter or a line end, else
 * it is an error ("text after the closing quote"). Doubled quotes are unescaped into a
 * scratch buffer. Line ends are LF, CRLF or a lone CR; lines are counted, including the
 * breaks inside quoted fields, so that every error names its line and column (1-based).
 * NUL bytes are errors. Blank lines are skipped, except in a one-column file, where an
 * empty line is a record with a missing value (that is how such a file writes it).
 * A file whose columns are all numbers goes faster (fast_rows): the delimiters and line
 * feeds of up to 2 KiB from the first record not yet taken are listed first (SSE2 compares,
 * or AVX-512 compresses, 64 bytes at a time, written out without a branch on their count),
 * so every field's end is known before it is parsed; the span's whole records are then taken
 * one by one, their fields parsed independently: quick_num16 (SSSE3: up to 16 bytes
 * checked, the dot squeezed out and the digits folded at once) or quick_num (scalar, 8 + 8
 * digits), else parse_num; the first record that is anything but plain numbers goes through
 * the record-by-record paths. The same loop serves a grading's submission keyed by the answers'
 * integer ids in two more ways: scattered (dojo_table_read_csv_aligned: each record's values
 * stored at its answer row) and streamed (dj_csv_stream: nothing stored; each record's row
 * and values go, in batches, to a sink that scores them, core/score_stream.c); both take
 * only the clean case and say so, and the caller then reads the file the ordinary way.
 *
 * Values and types. Each materialised column stores its values as the rows arrive, in an
 * array of its current type, written at the index of the record being parsed (so that
 * abandoning a cut record costs nothing). An inferred column starts as int; a number field
 * is parsed in place, straight from the buffer, by a hand-written parser: integers with
 * overflow detection, decimals with the Clinger fast path (at most 19 significant digits in
 * a uint64 mantissa; exact when the mantissa is below 2^53 and the power of ten is exact)
 * and strtod (in the C locale) otherwise, so every value equals strtod's correctly rounded
 * one. The grammar: optional sign, then "0" or a digit string not starting with 0 (so "007"
 * and "00.5" are text, as dojo.h requires), an optional fraction, an optional exponent;
 * nan, inf and infinity in any case, with an optional sign, are floats too. An int column
 * that meets a float is promoted in place (each int64 slot becomes a double). A numeric
 * column that meets text becomes a string column: when every earlier row was missing this
 * happens in place; otherwise the exact text of the earlier values is needed ("1.50" must
 * stay "1.50"), and it is not kept: the parser stops storing, finishes the pass inferring
 * types only, then reads the input a second time with the columns found to hold text read
 * as strings. At most one such restart happens (pass 2 has the final types). A regular file
 * or a memory block is re-read directly; a pipe is copied, while it is read, to an unlinked
 * temporary file (in $TMPDIR) that replays it. A column with no present value ends as
 * float. A string field must be valid UTF-8; only fields with a byte >= 0x80 are checked.
 *
 * Streaming reads chunks of at most max_rows rows; the first chunk infers the types (with
 * the restart above limited to that chunk) and they are then fixed: a later value that does
 * not fit is an error, like a value that does not fit a type forced by the options.
 *
 * Speed and memory. Value arrays grow by half (realloc, which glibc turns into mremap for
 * big blocks; a split read's arrays are mappings of their own, grown with mremap) and their
 * pages are mapped ahead in steps with MADV_POPULATE_WRITE rather than one fault per page;
 * the final arrays are trimmed to size, so the peak is close to the parsed data. With two
 * processors, a big plain file is parsed by two threads (see "splitting" below: the second
 * half speculatively, checked against the first, its pages then moved into place) and gzip
 * is inflated by a producer thread into a ring of blocks while the parser consumes them.
 *
 * Writing builds the text in a 1 MiB buffer flushed to an atomic temporary file (dj_atomic),
 * through deflate when the path ends in ".gz", or grown in memory for format_csv. Floats are
 * written in the shortest of %.15g/%.16g/%.17g that reads back to the same double, with
 * ".0" added to integral values so that they read back as floats; a fast path computes the
 * 15-significant-digit decimal directly and uses it when it reads back to the same double
 * (it is then exactly what %.15g prints), and printf (in the C locale) is used otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

#include "table_internal.h"

#define BLOCK ((size_t)1 << 20)
#define DEFAULT_MAX_RECORD ((size_t)256 << 20)
#define PAD 64 /* bytes after the data in parse buffers: a sentinel, then zeros (fast_rows
                  reads whole 64-byte blocks) */


/* Starts a helper thread with every signal blocked, so that the host's signals keep going
   to its own threads. */
static int start_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(th, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* What the processor has for fast_rows: 0 nothing (the scalar quick_num), 1 what
   quick_num16 needs (SSSE3, POPCNT), 2 that and AVX2 with BMI1/2 (the same code compiled for
   them: three-operand vector forms, shifts and bit scans without flags), 3 that and AVX-512
   (F, BW, VL, VBMI2: the separators listed by list_seps_avx512); $DOJO_CSV_SIMD=0, 1 or 2
   caps it (the tests run each level). */
static int simd_ok(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int cpu = -1;
    int has = __atomic_load_n(&cpu, __ATOMIC_RELAXED);
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt");
        if (has && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
            __builtin_cpu_supports("bmi2"))
            has = 2;
        if (has == 2 && __builtin_cpu_supports("avx512f") &&
            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
            __builtin_cpu_supports("avx512vbmi2"))
            has = 3;
        __atomic_store_n(&cpu, has, __ATOMIC_RELAXED);
    }
    const char *e = getenv("DOJO_CSV_SIMD");
    if (e && e[0] >= '0' && e[0] <= '2' && !e[1] && e[0] - '0' < has)
        return e[0] - '0';
    return has;
#else
    return 0;
#endif
}

/* ---- numbers: parsing --------------------------------------------------------------- */

static const double P10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const uint64_t U10[20] = {1ULL,
                                 10ULL,
                                 100ULL,
                                 1000ULL,
                                 10000ULL,
                                 100000ULL,
                                 1000000ULL,
                                 10000000ULL,
                                 100000000ULL,
                                 1000000000ULL,
                                 10000000000ULL,
                                 100000000000ULL,
                                 1000000000000ULL,
                                 10000000000000ULL,
                                 100000000000000ULL,
                                 1000000000000000ULL,
                                 10000000000000000ULL,
                                 100000000000000000ULL,
                                 1000000000000000000ULL,
                                 10000000000000000000ULL};

enum { N_NONE = 0, N_INT = 1, N_FLOAT = 2 };

typedef struct numv {
    int kind;
    int64_t i;
    double d;
} numv;

/* strtod of the number text s..e, which is followed by a byte that cannot continue it. */
static double slow_decimal(const unsigned char *s, const unsigned char *e)
{
    char *end = NULL;
    double x = dj_strtod((const char *)s, &end);
    if (end == (const char *)e)
        return x;
    /* Not expected (the caller guarantees the terminator); read a NUL-terminated copy. */
    size_t n = (size_t)(e - s);
    char local[128];
    char *b = n < sizeof local ? local : malloc(n + 1);
    if (!b)
        return x;
    memcpy(b, s, n);
    b[n] = '\0';
    x = dj_strtod(b, NULL);
    if (b != local)
        free(b);
    return x;
}

/* The leading decimal digits among the 8 bytes at p (which must be readable): returns how
   many (0..8) and sets *val to their value. SWAR: XOR with '0' maps digits to 0..9; a byte
   is a non-digit when it is >= 10 (adding 0x76 sets its top bit) or >= 0x80 (carries out of
   such bytes only disturb the bytes above them, after the first non-digit). The conversion
   is the classic multiply-and-fold of 8 digits (fast_float, simdjson). */
static inline int digits8(const unsigned char *p, uint64_t *val)
{
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t t = w ^ 0x3030303030303030ULL;
    uint64_t nd = ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
    int n = nd ? __builtin_ctzll(nd) >> 3 : 8;
    if (n == 0) {
        *val = 0;
        return 0;
    }
    uint64_t v = t << (8 * (8 - n));
    v = (v * 10) + (v >> 8);
    v = (((v & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
         (((v >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >>
        32;
    *val = v;
    return n;
}

/* Parses the longest number at p. The number must be followed by a byte that cannot continue
   it, and 8 bytes past any digit must be readable: the parse buffer keeps a '\n' sentinel
   and padding after the data, and copies are NUL-terminated with the same padding.
   Returns the end of what was read; v->kind is N_NONE when p does not start a number. */
static inline __attribute__((always_inline)) const unsigned char *parse_num(
    const unsigned char *p, numv *v)
{
    const unsigned char *s = p;
    int neg = 0;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    uint64_t m = 0, val;
    int nd = 0, trunc = 0, isint = 1, any = 0, n;
    int64_t e10 = 0;
    unsigned d;
    if (*p == '0') {
        p++;
        any = 1;
        if ((unsigned)(*p - '0') < 10) { /* leading zero: "007" is text */
            v->kind = N_NONE;
            return p;
        }
    } else {
        do {
            n = digits8(p, &val);
            if (nd + n > 19)
                break;
            m = m * U10[n] + val;
            nd += n;
            p += n;
            any |= n;
        } while (n == 8);
        while ((d = (unsigned)(*p - '0')) < 10) { /* past 19 digits */
            any = 1;
            if (nd < 19) {
                m = m * 10 + d;
                nd++;
            } else {
                e10++;
                trunc |= d != 0;
            }
            p++;
        }
    }
    if (*p == '.') {
        isint = 0;
        p++;
        if (m == 0) { /* leading zeros of the fraction are not significant digits */
            while (*p == '0') {
                p++;
                e10--;
                any = 1;
            }
        }
        do {
            n = digits8(p, &val);
            if (nd + n > 19)
                break;
            m = m * U10[n] + val;
            nd += n;
            e10 -= n;
            p += n;
            any |= n;
        } while (n == 8);
        while ((d = (unsigned)(*p - '0')) < 10) { /* past 19 digits */
            any = 1;
            if (nd < 19) {
                m = m * 10 + d;
                nd++;
                e10--;
            } else {
                trunc |= d != 0;
            }
            p++;
        }
    }
    if (!any) {
        v->kind = N_NONE;
        return p;
    }
    if ((*p | 0x20) == 'e') {
        const unsigned char *q = p + 1;
        int eneg = 0;
        if (*q == '-' || *q == '+') {
            eneg = *q == '-';
            q++;
        }
        if ((unsigned)(*q - '0') >= 10) {
            v->kind = N_NONE;
            return p;
        }
        int64_t ev = 0;
        while ((d = (unsigned)(*q - '0')) < 10) {
            if (ev < 100000000)
                ev = ev * 10 + d;
            q++;
        }
        e10 += eneg ? -ev : ev;
        isint = 0;
        p = q;
    }
    if (isint && e10 == 0) {
        if (!neg && m <= (uint64_t)INT64_MAX) {
            v->kind = N_INT;
            v->i = (int64_t)m;
            return p;
        }
        if (neg && m <= (uint64_t)INT64_MAX + 1) {
            v->kind = N_INT;
            v->i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
            return p;
        }
    }
    v->kind = N_FLOAT;
    double x;
    if (m == 0 && !trunc) {
        x = 0.0;
    } else if (!trunc && m <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
        x = e10 < 0 ? (double)m / P10[-e10] : (double)m * P10[e10];
    } else if (!trunc && m <= (1ULL << 53) && e10 > 22 && e10 <= 22 + 15 &&
               m <= (1ULL << 53) / U10[e10 - 22]) {
        x = (double)(m * U10[e10 - 22]) * 1e22; /* the product is exact */
    } else {
        v->d = slow_decimal(s, p);
        return p;
    }
    v->d = neg ? -x : x;
    return p;
}

/* The value of the n (1..8) digit bytes whose XOR with '0' is t (the first in its low byte):
   the multiply-and-fold of digits8. */
static inline uint64_t fold8(uint64_t t, size_t n)
{
    uint64_t v = t << (8 * (8 - n));
    v = (v * 10) + (v >> 8);
    return (((v & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
            (((v >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >>
           32;
}

/* The non-digit bytes among the 8 bytes whose XOR with '0' is t: each one's top bit set,
   exact up to the first non-digit (see digits8). */
static inline uint64_t nondigits8(uint64_t t)
{
    return ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
}

/* The number s..e whose length is known (a field found by the structural scan) in the
   common shapes only: an optional '-', 1 to 8 digits (no leading zero unless alone),
   optionally '.' and 1 to 8 digits, with the mantissa at most 2^53. Returns 1 and sets *v
   to exactly what parse_num gives for the same text (the same mantissa and power of ten go
   through the same arithmetic), or 0 for any other text, which parse_num then decides.
   The 8 bytes after e must be readable. With the length known, no step waits for the previous
   one to find where the number ends, so consecutive fields parse in parallel. */
static inline int quick_num(const unsigned char *s, const unsigned char *e, numv *v)
{
    int neg = *s == '-';
    s += neg;
    size_t len = (size_t)(e - s);
    if (len - 1 >= 17) /* empty, or longer than 8 + 1 + 8 */
        return 0;
    uint64_t w;
    memcpy(&w, s, 8);
    uint64_t t = w ^ 0x3030303030303030ULL, nd = nondigits8(t);
    size_t d = nd ? (size_t)__builtin_ctzll(nd) >> 3 : 8;
    if (d == 0 || (s[0] == '0' && d > 1))
        return 0;
    uint64_t ip = fold8(t, d);
    if (d == len) {
        v->kind = N_INT;
        v->i = neg ? -(int64_t)ip : (int64_t)ip;
        return 1;
    }
    size_t f = len - d - 1;
    if (s[d] != '.' || f - 1 >= 8) /* no fraction digits, or more than 8 */
        return 0;
    memcpy(&w, s + d + 1, 8);
    t = w ^ 0x3030303030303030ULL;
    nd = nondigits8(t);
    if (f < 8)
        nd &= (1ULL << (8 * f)) - 1;
    if (nd)
        return 0;
    uint64_t m = ip * U10[f] + fold8(t, f);
    if (m > (1ULL << 53))
        return 0;
    double x = (double)m / P10[f];
    v->kind = N_FLOAT;
    v->d = neg ? -x : x;
    return 1;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define DJ_QUICK16 1
/* quick_num16's shuffles, for nd digits and the dot at byte p (16: none): output byte k
   holds digit i = k - (16 - nd) (zero when negative: the byte's top bit is set), found at
   source byte i, or i + 1 past the dot. Filled once (shuf_init, from simd_ok). */
static unsigned char SHUF16[17][17][16];

static pthread_once_t shuf_once = PTHREAD_ONCE_INIT;

static void shuf_init(void)
{
    for (int nd = 0; nd <= 16; nd++)
        for (int p = 0; p <= 16; p++)
            for (int k = 0; k < 16; k++) {
                int i = k - (16 - nd);
                SHUF16[nd][p][k] = (unsigned char)(i < 0 ? 0x80 : i > p - 1 ? i + 1 : i);
            }
}

/* quick_num for SSSE3, in more shapes: an optional '-', then up to 16 bytes of digits with
   at most one '.' (a digit first, a digit after the dot, no leading zero unless alone),
   the mantissa at most 2^53: the 16 bytes are checked at once, the dot is squeezed out and
   the digits right-aligned with one shuffle, and the multiply-adds of SSSE3 fold them into
   two 8-digit halves. Returns 1 with exactly parse_num's value (the same mantissa and power
   of ten through the same arithmetic), or 0 for any other text. 16 bytes from s (after the
   sign) must be readable: the field ends at e, whose 15 following bytes are. */
__attribute__((target("ssse3"))) static inline int quick_num16(const unsigned char *s,
                                                               const unsigned char *e, numv *v)
{
    if (e - s <= 8) /* a short field: the scalar fold is fewer instructions */
        return quick_num(s, e, v);
    int neg = *s == '-';
    s += neg;
    size_t len = (size_t)(e - s);
    if (len - 1 >= 16) /* empty or longer than 16 */
        return 0;
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
    const __m128i nine = _mm_set1_epi8(9);
    unsigned inlen = (1u << len) - 1;
    unsigned dig = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(d, nine), nine)) & inlen;
    unsigned dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.'))) & inlen;
    if ((dig | dot) != inlen || (dot & (dot - 1)) || !(dig & 1) || (s[0] == '0' && (dig & 2)))
        return 0; /* another byte, two dots, no digit first, a leading zero */
    unsigned p = dot ? (unsigned)__builtin_ctz(dot) : 16;
    size_t nd = len - (dot != 0), f = dot ? len - p - 1 : 0;
    if (dot && f == 0) /* "5." */
        return 0;
    const __m128i idx = _mm_loadu_si128((const __m128i *)(const void *)SHUF16[nd][p]);
    const __m128i dg = _mm_shuffle_epi8(d, idx);
    const __m128i t1 = _mm_maddubs_epi16(dg, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1,
                                                           10, 1, 10, 1));
    const __m128i t2 = _mm_madd_epi16(t1, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
    const __m128i t3 = _mm_madd_epi16(_mm_packs_epi32(t2, t2),
                                      _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
    uint64_t hi = (uint32_t)_mm_cvtsi128_si32(t3);
    uint64_t lo = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(t3, 4));
    uint64_t m = hi * 100000000ULL + lo;
    if (!dot) {
        v->kind = N_INT;
        v->i = neg ? -(int64_t)m : (int64_t)m;
        return 1;
    }
    if (m > (1ULL << 53))
        return 0;
    double xd = (double)m / P10[f];
    v->kind = N_FLOAT;
    v->d = neg ? -xd : xd;
    return 1;
}
#endif

static int ci_eq(const unsigned char *s, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != (unsigned char)lower[i])
            return 0;
    return 1;
}

/* nan, inf, infinity (any case, optional sign). */
static int parse_special(const unsigned char *s, size_t n, double *out)
{
    int neg = 0;
    if (n && (*s == '+' || *s == '-')) {
        neg = *s == '-';
        s++;
        n--;
    }
    if (n == 3 && ci_eq(s, "nan", 3)) {
        *out = neg ? -NAN : NAN;
        return 1;
    }
    if ((n == 3 && ci_eq(s, "inf", 3)) || (n == 8 && ci_eq(s, "infinity", 8))) {
        *out = neg ? -INFINITY : INFINITY;
        return 1;
    }
    return 0;
}

/* ---- numbers: formatting ------------------------------------------------------------ */

size_t dj_fmt_int(char *out, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    return k;
}

/* Appends ".0" when the text is an integer (so that it reads back as a float). */
static size_t float_suffix(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (out[i] == '.' || out[i] == 'e' || out[i] == 'n' || out[i] == 'i')
            return n;
    out[n++] = '.';
    out[n++] = '0';
    return n;
}

size_t dj_fmt_double(char *out, double v)
{
    if (isnan(v)) {
        memcpy(out, "nan", 3);
        return 3;
    }
    if (isinf(v)) {
        if (v < 0) {
            memcpy(out, "-inf", 4);
            return 4;
        }
        memcpy(out, "inf", 3);
        return 3;
    }
    if (v == 0) {
        if (signbit(v)) {
            memcpy(out, "-0.0", 4);
            return 4;
        }
        memcpy(out, "0.0", 3);
        return 3;
    }
    size_t k = 0;
    double a = fabs(v);
    if (a >= 1e-4 && a < 1e15) {
        /* Fast path: m = a rounded to 15 significant digits, as m / 10^fd. When that decimal
           reads back to a (exact division, both operands exact), it is what %.15g prints:
           15-digit decimals are spaced wider than two ulps, so at most one of them reads
           back to a, and the nearest one (printf's) would. %g then drops trailing zeros and
           uses fixed notation for a decimal exponent X in [-4, 14]. */
        int X = a >= 1 ? 0 : -1;
        if (a >= 1)
            while (X < 14 && a >= P10[X + 1])
                X++;
        else
            while (X > -4 && a < 1.0 / P10[-X])
                X--;
        int fd = 14 - X;
        double r = nearbyint(a * P10[fd]);
        if (r >= 1e14 && r < 1e15 && r / P10[fd] == a) {
            uint64_t m = (uint64_t)r;
            while (fd > 0 && m % 10 == 0) {
                m /= 10;
                fd--;
            }
            char dg[24];
            int L = 0;
            for (uint64_t u = m; u; u /= 10)
                dg[L++] = (char)('0' + u % 10); /* reversed */
            if (v < 0)
                out[k++] = '-';
            if (L > fd) {
                for (int i = L - 1; i >= fd; i--)
                    out[k++] = dg[i];
                out[k++] = '.';
                if (fd == 0)
                    out[k++] = '0';
                for (int i = fd - 1; i >= 0; i--)
                    out[k++] = dg[i];
            } else {
                out[k++] = '0';
                out[k++] = '.';
                for (int i = 0; i < fd - L; i++)
                    out[k++] = '0';
                for (int i = L - 1; i >= 0; i--)
                    out[k++] = dg[i];
            }
            return k;
        }
    }
    locale_t c = dj_c_locale();
    locale_t old = c ? uselocale(c) : (locale_t)0;
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v)
            break;
    }
    if (old)
        uselocale(old);
    return float_suffix(out, (size_t)n);
}

/* ---- UTF-8 -------------------------------------------------------------------------- */

static inline int has_high(const unsigned char *s, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= s[i];
    return (acc & 0x8080808080808080ULL) != 0;
}

size_t dj_utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else
            return i;
        if (n - i <= need) /* truncated sequence */
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += need + 1;
    }
    return n;
}

/* ---- sources: plain or gzip, file or memory ----------------------------------------- */

struct gzthread;

typedef struct src {
    int fd;                  /* -1: memory */
    int seekable;
    const char *path;        /* for messages */
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    int tee_fd;              /* copy of a non-seekable input, for a replay; -1: none */
    int tee_on;              /* still copying */
    int64_t tee_len;
    int64_t replay_pos;      /* < 0: not replaying */
    unsigned char *in;       /* raw block: compressed input, or the first plain bytes */
    size_t in_len, in_pos;   /* plain: the first bytes not delivered yet */
    int gz, zinit, member_end, raw_eof, done;
    int nogz;                /* a split worker reading from the middle: never gzip */
    z_stream zs;
    int64_t raw_total;       /* raw bytes taken from the input */
    int64_t delivered;       /* bytes delivered to the parser (plain) */
    struct gzthread *gt;     /* gzip inflated by a second thread, or NULL */
    int64_t gz_off;          /* with gt: compressed bytes behind the data delivered */
} src;

static void gz_thread_stop(src *s);
static void gzthread_tee_stop(src *s);
static ssize_t gz_inflate(src *s, unsigned char *dst, size_t n, char *err, size_t errlen);
static void gz_thread_start(src *s);

static int src_err_read(src *s, int e, char *err, size_t errlen)
{
    return dj_errno(err, errlen, e, "cannot read %s", s->path);
}

static ssize_t raw_read(src *s, unsigned char *dst, size_t n, char *err, size_t errlen)
{
    if (s->fd < 0) {
        size_t k = s->mem_len - s->mem_pos;
        if (k > n)
            k = n;
        memcpy(dst, s->mem + s->mem_pos, k);
        s->mem_pos += k;
        s->raw_total += (int64_t)k;
        return (ssize_t)k;
    }
    if (s->replay_pos >= 0) {
        if (s->replay_pos < s->tee_len) {
            size_t k = (size_t)(s->tee_len - s->replay_pos);
            if (k > n)
                k = n;
            ssize_t r;
            do
                r = pread(s->tee_fd, dst, k, s->replay_pos);
            while (r < 0 && errno == EINTR);
            if (r <= 0)
                return dj_errno(err, errlen, r < 0 ? errno : EIO,
                                "cannot read back the temporary copy of %s", s->path);
            s->replay_pos += r;
            s->raw_total += r;
            return r;
        }
        s->replay_pos = -1;
        if (!s->tee_on) {
            close(s->tee_fd);
            s->tee_fd = -1;
        }
    }
    ssize_t r;
    do
        r = read(s->fd, dst, n);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return src_err_read(s, errno, err, errlen);
    if (r > 0 && s->tee_on) {
        if (dj_write_all(s->tee_fd, dst, (size_t)r) < 0)
            return dj_errno(err, errlen, errno, "cannot write the temporary copy of %s",
                            s->path);
        s->tee_len += r;
    }
    s->raw_total += r;
    return r;
}

/* Reads until n bytes or the end of the input. */
static ssize_t raw_fill(src *s, unsigned char *dst, size_t n, char *err, size_t errlen)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = raw_read(s, dst + got, n - got, err, errlen);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Reads the first block and tells plain from gzip. */
static int src_begin(src *s, char *err, size_t errlen)
{
    ssize_t r = raw_fill(s, s->in, BLOCK, err, errlen);
    if (r < 0)
        return -1;
    s->in_len = (size_t)r;
    s->in_pos = 0;
    s->raw_eof = (size_t)r < BLOCK;
    s->done = s->member_end = 0;
    s->gz = !s->nogz && r >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b;
    if (s->gz) {
        int rc;
        if (s->zinit)
            rc = inflateReset(&s->zs);
        else {
            memset(&s->zs, 0, sizeof s->zs);
            rc = inflateInit2(&s->zs, 16 + MAX_WBITS);
            s->zinit = rc == Z_OK;
        }
        if (rc != Z_OK)
            return dj_err(err, errlen, "cannot start gzip decompression (zlib error %d)", rc);
        s->zs.next_in = s->in;
        s->zs.avail_in = (uInt)s->in_len;
        s->gz_off = 0;
        gz_thread_start(s);
    }
    return 0;
}

/* Opens path; start > 0 positions a split worker's source there (plain data only).
   untrusted: the file was written by untrusted code (a submission): a symbolic link is not
   followed, a FIFO or device neither blocks nor is read, the file must be a regular file
   with a single link and at most max_bytes long (0: no limit). */
static int src_open_file(src *s, const char *path, int64_t start, int untrusted,
                         uint64_t max_bytes, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->tee_fd = -1;
    s->replay_pos = -1;
    s->path = path;
    int flags = O_RDONLY | O_CLOEXEC | (untrusted ? O_NOFOLLOW | O_NONBLOCK : 0);
    int fd = open(path, flags);
    if (fd < 0) {
        if (untrusted && errno == ELOOP)
            return dj_err(err, errlen, "%s is a symbolic link; a submission must be a regular file",
                          path);
        return dj_errno(err, errlen, errno, "cannot open %s", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return dj_errno(err, errlen, e, "cannot open %s", path);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return dj_errno(err, errlen, EISDIR, "cannot open %s", path);
    }
    if (untrusted) {
        const char *why = !S_ISREG(st.st_mode) ? "is not a regular file (a FIFO, socket or device)"
                          : st.st_nlink != 1   ? "has more than one hard link"
                          : max_bytes && (uint64_t)st.st_size > max_bytes ? "is larger than the size limit"
                                                                          : NULL;
        if (why) {
            close(fd);
            if (max_bytes && S_ISREG(st.st_mode) && st.st_nlink == 1)
                return dj_err(err, errlen, "%s %s (%lld bytes; at most %llu)", path, why,
                              (long long)st.st_size, (unsigned long long)max_bytes);
            return dj_err(err, errlen, "%s %s", path, why);
        }
        /* Reads of a regular file never block; clear O_NONBLOCK for clarity. */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    }
    s->fd = fd;
    s->seekable = S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) >= 0;
    if (!s->seekable) {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = "/tmp";
        size_t n = strlen(dir) + 32;
        char *tmpl = malloc(n);
        if (!tmpl)
            return dj_err(err, errlen, "out of memory");
        snprintf(tmpl, n, "%s/dojo-csv.XXXXXX", dir);
        s->tee_fd = mkostemp(tmpl, O_CLOEXEC);
        if (s->tee_fd < 0) {
            int e = errno;
            free(tmpl);
            return dj_errno(err, errlen, e, "cannot create a temporary copy of %s in %s", path,
                            dir);
        }
        unlink(tmpl);
        free(tmpl);
        s->tee_on = 1;
    }
    s->in = malloc(BLOCK);
    if (!s->in)
        return dj_err(err, errlen, "out of memory");
    if (start > 0) {
        s->nogz = 1;
        if (lseek(fd, start, SEEK_SET) < 0)
            return dj_errno(err, errlen, errno, "cannot read %s", path);
    }
    return src_begin(s, err, errlen);
}

static int src_open_mem(src *s, const void *data, size_t len, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->tee_fd = -1;
    s->replay_pos = -1;
    s->path = "the CSV data";
    s->mem = data;
    s->mem_len = data ? len : 0;
    s->seekable = 1;
    s->in = malloc(BLOCK);
    if (!s->in)
        return dj_err(err, errlen, "out of memory");
    return src_begin(s, err, errlen);
}

static void src_close(src *s)
{
    gz_thread_stop(s);
    if (s->fd >= 0)
        close(s->fd);
    if (s->tee_fd >= 0)
        close(s->tee_fd);
    if (s->zinit)
        inflateEnd(&s->zs);
    free(s->in);
    s->fd = s->tee_fd = -1;
    s->zinit = 0;
    s->in = NULL;
}

/* No more rewinds will happen: stop copying a pipe. */
static void src_tee_stop(src *s)
{
    if (s->gt) { /* the producer owns the raw input: ask it */
        gzthread_tee_stop(s);
        return;
    }
    s->tee_on = 0;
    if (s->tee_fd >= 0 && s->replay_pos < 0) {
        close(s->tee_fd);
        s->tee_fd = -1;
    }
}

static int src_rewind(src *s, char *err, size_t errlen)
{
    gz_thread_stop(s);
    if (s->fd < 0)
        s->mem_pos = 0;
    else if (s->seekable) {
        if (lseek(s->fd, 0, SEEK_SET) < 0)
            return dj_errno(err, errlen, errno, "cannot read %s again", s->path);
    } else if (s->tee_fd >= 0)
        s->replay_pos = 0;
    else
        return dj_err(err, errlen, "cannot read %s again: it is not seekable", s->path);
    s->raw_total = 0;
    s->delivered = 0;
    return src_begin(s, err, errlen);
}

/* Inflates up to n bytes into dst; 0 at the end of the data. */
static ssize_t gz_inflate(src *s, unsigned char *dst, size_t n, char *err, size_t errlen)
{
    z_stream *z = &s->zs;
    z->next_out = dst;
    z->avail_out = (uInt)(n > UINT_MAX ? UINT_MAX : n);
    uInt want = z->avail_out;
    while (z->avail_out > 0 && !s->done) {
        if (z->avail_in == 0 && !s->raw_eof) {
            ssize_t r = raw_fill(s, s->in, BLOCK, err, errlen);
            if (r < 0)
                return -1;
            if ((size_t)r < BLOCK)
                s->raw_eof = 1;
            z->next_in = s->in;
            z->avail_in = (uInt)r;
        }
        if (s->member_end) {
            while (z->avail_in && *z->next_in == 0) { /* zero padding after a member */
                z->next_in++;
                z->avail_in--;
            }
            if (z->avail_in == 0) {
                if (s->raw_eof)
                    s->done = 1;
                continue;
            }
            inflateReset(z);
            s->member_end = 0;
        }
        if (z->avail_in == 0 && s->raw_eof)
            return dj_err(err, errlen, "truncated gzip data in %s (it ends inside a member)",
                          s->path);
        int rc = inflate(z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END)
            s->member_end = 1;
        else if (rc == Z_BUF_ERROR) {
            if (z->avail_in != 0)
                return dj_err(err, errlen, "corrupt gzip data in %s: no progress possible",
                              s->path);
        } else if (rc == Z_MEM_ERROR)
            return dj_err(err, errlen, "out of memory decompressing %s", s->path);
        else if (rc != Z_OK)
            return dj_err(err, errlen, "corrupt gzip data in %s: %s", s->path,
                          z->msg ? z->msg : "invalid data");
    }
    return (ssize_t)(want - z->avail_out);
}

/* ---- gzip on a second thread -------------------------------------------------------
 * With two processors, a producer thread inflates into a ring of GZ_NBLK blocks while the
 * parser consumes them, so decompression and parsing overlap. The producer owns the raw
 * input (reads, tee copy, zlib state) while it runs; the consumer joins it before anything
 * else touches them (rewind, close). An error is delivered after the data before it. */

#define GZ_NBLK 4
#define GZ_BLK ((size_t)1 << 20)

typedef struct gzthread {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *data[GZ_NBLK];
    size_t len[GZ_NBLK];
    int64_t raw_end[GZ_NBLK]; /* compressed offset when the block was filled */
    size_t head, tail, nready, cpos;
    int done, failed, stop, exited, tee_stop;
    int64_t done_raw;
    char msg[512];
} gzthread;

static void *gz_producer(void *arg)
{
    src *s = arg;
    gzthread *g = s->gt;
    for (;;) {
        pthread_mutex_lock(&g->mu);
        while (g->nready == GZ_NBLK && !g->stop)
            pthread_cond_wait(&g->cv, &g->mu);
        int stop = g->stop, tee_stop = g->tee_stop;
        g->tee_stop = 0;
        size_t idx = g->tail;
        pthread_mutex_unlock(&g->mu);
        if (stop)
            break;
        if (tee_stop) {
            s->tee_on = 0;
            if (s->tee_fd >= 0 && s->replay_pos < 0) {
                close(s->tee_fd);
                s->tee_fd = -1;
            }
        }
        ssize_t got = gz_inflate(s, g->data[idx], GZ_BLK, g->msg, sizeof g->msg);
        pthread_mutex_lock(&g->mu);
        if (got <= 0) {
            g->failed = got < 0;
            g->done = 1;
            g->done_raw = s->raw_total - (int64_t)s->zs.avail_in;
            pthread_cond_broadcast(&g->cv);
            pthread_mutex_unlock(&g->mu);
            break;
        }
        g->len[idx] = (size_t)got;
        g->raw_end[idx] = s->raw_total - (int64_t)s->zs.avail_in;
        g->tail = (g->tail + 1) % GZ_NBLK;
        g->nready++;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
    pthread_mutex_lock(&g->mu);
    g->exited = 1;
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static void gz_thread_stop(src *s)
{
    gzthread *g = s->gt;
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->th, NULL);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    for (int i = 0; i < GZ_NBLK; i++)
        free(g->data[i]);
    free(g);
    s->gt = NULL;
}

static void gzthread_tee_stop(src *s)
{
    gzthread *g = s->gt;
    pthread_mutex_lock(&g->mu);
    int exited = g->exited;
    if (!exited)
        g->tee_stop = 1;
    pthread_mutex_unlock(&g->mu);
    if (exited) { /* the producer is gone: the raw input is ours again */
        s->tee_on = 0;
        if (s->tee_fd >= 0 && s->replay_pos < 0) {
            close(s->tee_fd);
            s->tee_fd = -1;
        }
    }
}

/* Starts the producer; without it (one processor, a pipe, or no resources) gz_inflate is
   called directly. Not on a pipe: the producer reads ahead, and freeing a reader must never
   wait for a writer that has gone quiet. */
static void gz_thread_start(src *s)
{
    if (!s->seekable || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return;
    gzthread *g = calloc(1, sizeof *g);
    if (!g)
        return;
    for (int i = 0; i < GZ_NBLK; i++) {
        g->data[i] = malloc(GZ_BLK);
        if (!g->data[i]) {
            for (int k = 0; k < i; k++)
                free(g->data[k]);
            free(g);
            return;
        }
    }
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    s->gt = g;
    if (start_thread(&g->th, gz_producer, s) != 0) {
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cv);
        for (int i = 0; i < GZ_NBLK; i++)
            free(g->data[i]);
        free(g);
        s->gt = NULL;
    }
}

static ssize_t gz_consume(src *s, unsigned char *dst, size_t n, char *err, size_t errlen)
{
    gzthread *g = s->gt;
    size_t got = 0;
    while (got < n) {
        pthread_mutex_lock(&g->mu);
        while (g->nready == 0 && !g->done)
            pthread_cond_wait(&g->cv, &g->mu);
        if (g->nready == 0) {
            int failed = g->failed;
            s->gz_off = g->done_raw;
            pthread_mutex_unlock(&g->mu);
            if (failed && got == 0)
                return dj_err(err, errlen, "%s", g->msg);
            break;
        }
        size_t h = g->head;
        pthread_mutex_unlock(&g->mu);
        size_t k = g->len[h] - g->cpos;
        if (k > n - got)
            k = n - got;
        memcpy(dst + got, g->data[h] + g->cpos, k);
        got += k;
        g->cpos += k;
        s->gz_off = g->raw_end[h];
        if (g->cpos == g->len[h]) {
            pthread_mutex_lock(&g->mu);
            g->head = (g->head + 1) % GZ_NBLK;
            g->nready--;
            g->cpos = 0;
            pthread_cond_broadcast(&g->cv);
            pthread_mutex_unlock(&g->mu);
        }
    }
    return (ssize_t)got;
}

/* Delivers up to n bytes of data (decompressed for gzip); 0 at the end. */
static ssize_t src_read(src *s, unsigned char *dst, size_t n, char *err, size_t errlen)
{
    if (s->gz)
        return s->gt ? gz_consume(s, dst, n, err, errlen) : gz_inflate(s, dst, n, err, errlen);
    size_t got = 0;
    if (s->in_pos < s->in_len) {
        got = s->in_len - s->in_pos;
        if (got > n)
            got = n;
        memcpy(dst, s->in + s->in_pos, got);
        s->in_pos += got;
    }
    if (got < n && !s->raw_eof) {
        ssize_t r = raw_fill(s, dst + got, n - got, err, errlen);
        if (r < 0)
            return -1;
        if ((size_t)r < n - got)
            s->raw_eof = 1;
        got += (size_t)r;
    }
    s->delivered += (int64_t)got;
    return (ssize_t)got;
}

/* ---- the reader --------------------------------------------------------------------- */

enum { C_TEXT = 0, C_DELIM = 1, C_LF = 2, C_CR = 3, C_NUL = 4, C_QUOTE = 5 };
enum { K_SKIP = 0, K_INT, K_FLOAT, K_STR, K_SCAN };
enum { PR_ERR = -1, PR_MORE = 0, PR_LIMIT = 1, PR_EOF = 2, PR_STOP = 3 };
enum { T_DELIM = 1, T_EOL = 2, T_END = 3 };

typedef union v8 {
    int64_t i;
    double d;
} v8;

typedef struct pcol {
    char *name;
    int out;          /* position in the result; -1: not materialised */
    int kind;         /* K_* */
    int forced;       /* DOJO_TYPE_* forced by the options (or read as string in pass 2) */
    int forced_opt;   /* the options forced it (for messages) */
    int locked;       /* fixed by the first chunk */
    int seen_value;   /* a present value was stored in this chunk */
    int seen_text;    /* a present value or a quoted "" was stored: demotion needs the text */
    int to_string;    /* pass 1 found text: pass 2 reads the column as strings */
    v8 *vals;
    char *chars;
    size_t chars_cap;
    int64_t *offsets;
    unsigned char *missing;
    /* bytes of each array's own mapping (see arr_resize); 0: a malloc block */
    size_t vals_map, chars_map, offsets_map, missing_map;
} pcol;

struct dojo_csv_reader {
    src s;
    char *path;
    int untrusted;           /* open as dojo_csv_options.untrusted says */
    uint64_t max_file_bytes;
    unsigned char delim, quote;
    int quoting, header, fastnum;
    int simd; /* fast_rows: 0 quick_num, 1 quick_num16 (SSSE3, POPCNT), 2 the same built for
                 AVX2, 3 and the separators listed with AVX-512 */
    /* Scattering (dojo_table_read_csv_aligned): the first column's keys are looked up in
       keys, and the other columns' values stored at the indexed row; seen marks those rows */
    int scatter;
    const dj_keymap *keys;
    uint64_t *seen;
    size_t seen_hi; /* one past the highest row marked in seen */
    /* Streaming (dj_csv_stream): scattering without storing -- each complete record's row
       and values go into a batch (brow, bval: DJ_STREAM_BATCH records) handed to stream->fn */
    const dj_stream *stream;
    void *sink_ctx;  /* this thread's sink state */
    uint32_t *brow;
    double *bval;
    int sink_failed; /* the sink stopped the read */
    int fast_bad; /* fast_rows stopped at a record it does not take (not for want of data) */
    size_t max_record;
    char **na;
    size_t *na_len;
    size_t nna;
    unsigned char na_first[256];
    unsigned char cls[256];  /* unquoted fields: what ends them */
    unsigned char qcls[256]; /* quoted fields: what stops the scan */
    unsigned char *buf;      /* cap + 1 bytes: the data, then a '\n' sentinel */
    size_t cap, cap_max, len, pos;
    int eof;
    int64_t line; /* line of the record at pos */
    size_t ncols, cols_cap;
    pcol *cols;
    size_t nout;
    size_t *outmap; /* result column -> file column */
    size_t nrows, rows_cap, row_limit;
    size_t rows_hint;  /* estimated rows of a whole-file read: the first allocation's size */
    size_t rows_ready; /* rows whose value pages are already mapped (<= rows_cap) */
    int scanning; /* pass 1 met text after numbers: types only, no storage */
    int pass2;
    int typed;   /* the first chunk is done: types are fixed */
    size_t nchunks; /* chunks handed out by dojo_csv_reader_next */
    int at_end;  /* the data is exhausted */
    int failed;
    int whole;        /* reading a whole file in one chunk: a split may parallelise it */
    int nosplit;      /* never split (the other thread is busy with another file) */
    int shared;       /* a split worker: names, na values and outmap belong to its parent */
    int mapped;       /* new value arrays are mappings of their own (a split read) */
    int64_t buf_off;  /* offset in the data of buf[0] */
    int64_t stop_at;  /* stop at the record starting here (-1: none): a split's boundary */
    int64_t mark_off;  /* a split's first half: the position and rows at the last */
    size_t mark_rows;  /* make_ready (rows_to_split) */
    int stop_mismatch; /* no record started exactly at stop_at */
    int64_t pq_line; /* a record cut inside a quoted field: where the quote opened */
    size_t pq_col;
    int pq_open;
    unsigned char *scratch;
    size_t scratch_cap;
    unsigned char *numbuf;
    size_t numbuf_cap;
    char *err;
    size_t errlen;
};
typedef struct dojo_csv_reader rd;

static int oom(rd *r) { return dj_err(r->err, r->errlen, "out of memory"); }

/* Shows field text in a message: printable ASCII as is, other bytes as \xNN, cut at 40. */
static void show(const unsigned char *s, size_t n, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k + 8 >= outlen) {
            break;
        }
        if (i >= 40) {
            memcpy(out + k, "...", 3);
            k += 3;
            break;
        }
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x7f)
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, outlen - k, "\\x%02x", c);
    }
    out[k] = '\0';
}

/* "line L, column C ('name'): message" */
static int ferr(rd *r, int64_t line, size_t col, const char *fmt, ...) DJ_PRINTF(4, 5);
static int ferr(rd *r, int64_t line, size_t col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->cols && col < r->ncols && r->cols[col].name)
        return dj_err(r->err, r->errlen, "line %lld, column %zu ('%s'): %s", (long long)line,
                      col + 1, r->cols[col].name, msg);
    return dj_err(r->err, r->errlen, "line %lld, column %zu: %s", (long long)line, col + 1, msg);
}

/* The '\n' sentinel after the data, and zeros after it for the 8-byte reads of digits8. */
static void pad(rd *r) { memset(r->buf + r->len, 0, PAD), r->buf[r->len] = '\n'; }

/* Reads more data: moves the unparsed tail to the front, grows the buffer when the tail
   fills more than half of it, refuses a record longer than max_record. */
static int fill(rd *r)
{
    size_t keep = r->len - r->pos;
    if (keep > r->max_record + 1) {
        if (r->pq_open)
            return dj_err(r->err, r->errlen,
                          "line %lld: record longer than max_record_bytes (%zu bytes); the quote "
                          "opened at line %lld, column %zu is perhaps never closed",
                          (long long)r->line, r->max_record, (long long)r->pq_line,
                          r->pq_col + 1);
        return dj_err(r->err, r->errlen, "line %lld: record longer than max_record_bytes (%zu "
                      "bytes)", (long long)r->line, r->max_record);
    }
    if (r->pos > 0) {
        r->buf_off += (int64_t)r->pos;
        memmove(r->buf, r->buf + r->pos, keep);
        r->pos = 0;
        r->len = keep;
    }
    if (keep > r->cap / 2 && r->cap < r->cap_max) {
        size_t ncap = r->cap * 2 < r->cap_max ? r->cap * 2 : r->cap_max;
        unsigned char *nb = realloc(r->buf, ncap + PAD);
        if (!nb)
            return oom(r);
        r->buf = nb;
        r->cap = ncap;
    }
    if (r->eof) {
        pad(r);
        return 0;
    }
    ssize_t got = src_read(&r->s, r->buf + r->len, r->cap - r->len, r->err, r->errlen);
    if (got < 0)
        return -1;
    if (got == 0)
        r->eof = 1;
    r->len += (size_t)got;
    pad(r);
    return 0;
}

/* at: a terminator (delimiter, CR, LF) or the end of the data. Sets *next past it and
   returns T_*, or 0 when more data is needed to tell (a CR at the end of the buffer). */
static int step_term(rd *r, const unsigned char *at, const unsigned char **next)
{
    const unsigned char *end = r->buf + r->len;
    if (at == end) {
        if (!r->eof)
            return 0;
        *next = at;
        return T_END;
    }
    if (r->cls[*at] == C_DELIM) {
        *next = at + 1;
        return T_DELIM;
    }
    if (*at == '\n') {
        *next = at + 1;
        return T_EOL;
    }
    if (at + 1 == end && !r->eof)
        return 0;
    *next = at + 1 + (at + 1 < end && at[1] == '\n');
    return T_EOL;
}

static int grow_scratch(unsigned char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    void *q = *p;
    if (dj_grow(&q, cap, need, 1) < 0)
        return -1;
    *p = q;
    return 0;
}

typedef struct field {
    const unsigned char *s; /* content: in the buffer, or in r->scratch when unescaped */
    size_t n;
    const unsigned char *at; /* the terminator after the field */
    int64_t nl;              /* line breaks inside the field */
} field;

/* Scans one field starting at p (the column is col, its first line is line). Returns 1 with
   *f filled, 0 when the data ends before the field does (more is needed), -1 on error. */
static int scan_field(rd *r, const unsigned char *p, field *f, int64_t line, size_t col)
{
    const unsigned char *end = r->buf + r->len;
    f->nl = 0;
    if (!r->quoting || *p != r->quote) {
        const unsigned char *q = p;
        while (!r->cls[*q])
            q++;
        if (r->cls[*q] == C_NUL && q < end)
            return ferr(r, line, col, "NUL byte in the data");
        if (q == end && !r->eof)
            return 0;
        f->s = p;
        f->n = (size_t)(q - p);
        f->at = q;
        return 1;
    }
    const unsigned char *q = p + 1;
    int doubled = 0;
    int64_t nl = 0;
    for (;;) {
        while (!r->qcls[*q])
            q++;
        if (q == end) {
            if (!r->eof) {
                r->pq_open = 1;
                r->pq_line = line;
                r->pq_col = col;
                return 0;
            }
            return ferr(r, line, col, "unterminated quoted field: the quote opened here is "
                        "never closed");
        }
        unsigned char c = *q;
        if (c == '\n') {
            nl++;
            q++;
            continue;
        }
        if (c == '\r') {
            if (q + 1 == end && !r->eof) {
                r->pq_open = 1;
                r->pq_line = line;
                r->pq_col = col;
                return 0;
            }
            if (!(q + 1 < end && q[1] == '\n'))
                nl++;
            q++;
            continue;
        }
        if (c != r->quote) /* NUL */
            return ferr(r, line + nl, col, "NUL byte in the data");
        if (q + 1 == end && !r->eof) {
            r->pq_open = 1;
            r->pq_line = line;
            r->pq_col = col;
            return 0;
        }
        if (q + 1 < end && q[1] == r->quote) {
            doubled = 1;
            q += 2;
            continue;
        }
        break;
    }
    /* q: the closing quote */
    const unsigned char *after = q + 1;
    if (after < end) {
        int t = r->cls[*after];
        if (t == C_NUL)
            return ferr(r, line + nl, col, "NUL byte in the data");
        if (t != C_DELIM && t != C_LF && t != C_CR) {
            char shown[64];
            const unsigned char *e = after;
            while (e < end && e - after < 40 && !r->cls[*e])
                e++;
            show(after, (size_t)(e - after), shown, sizeof shown);
            return ferr(r, line + nl, col, "text after the closing quote ('%s'); a quote inside "
                        "a quoted field must be doubled", shown);
        }
    }
    f->at = after;
    f->nl = nl;
    if (!doubled) {
        f->s = p + 1;
        f->n = (size_t)(q - p - 1);
        return 1;
    }
    size_t n = (size_t)(q - p - 1);
    if (grow_scratch(&r->scratch, &r->scratch_cap, n + 1) < 0)
        return oom(r);
    size_t k = 0;
    for (const unsigned char *s = p + 1; s < q; s++) {
        r->scratch[k++] = *s;
        if (*s == r->quote)
            s++;
    }
    f->s = r->scratch;
    f->n = k;
    return 1;
}

static int is_na(const rd *r, const unsigned char *f, size_t n)
{
    if (!r->na_first[f[0]])
        return 0;
    for (size_t i = 0; i < r->nna; i++)
        if (r->na_len[i] == n && memcmp(r->na[i], f, n) == 0)
            return 1;
    return 0;
}

/* Classifies a field of n > 0 bytes: N_INT, N_FLOAT or N_NONE (text). */
static int classify(rd *r, const unsigned char *f, size_t n, numv *v)
{
    unsigned c = f[0];
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || (c | 0x20) == 'n' ||
          (c | 0x20) == 'i'))
        return v->kind = N_NONE;
    unsigned char local[64 + PAD];
    unsigned char *b = local;
    if (n >= 64) {
        if (grow_scratch(&r->numbuf, &r->numbuf_cap, n + PAD) < 0) {
            oom(r);
            return -1;
        }
        b = r->numbuf;
    }
    memcpy(b, f, n);
    memset(b + n, 0, PAD);
    const unsigned char *q = parse_num(b, v);
    if (v->kind != N_NONE && q == b + n)
        return v->kind;
    double d;
    if (parse_special(f, n, &d)) {
        v->kind = N_FLOAT;
        v->d = d;
        return N_FLOAT;
    }
    return v->kind = N_NONE;
}

/* ---- arrays: malloc blocks or mappings of their own -----------------------------------
 *
 * In a split read (see "splitting" below) the value arrays of both halves are anonymous
 * mappings of their own (MAP_NORESERVE: only the pages written count) instead of malloc
 * blocks, so that the merge can move the second half's pages into the first half's array
 * with mremap instead of copying them into fresh pages. Each array's mapping size is kept
 * beside it (pcol, dj_col: *_map, 0 for a malloc block) and decides how it is grown
 * (mremap), trimmed (munmap of the tail) and freed (munmap). */

#if defined(__linux__) && defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED)
#define HAVE_MOVE 1
#else
#define HAVE_MOVE 0
#endif

static size_t page_size(void)
{
    static size_t ps;
    size_t v = __atomic_load_n(&ps, __ATOMIC_RELAXED);
    if (!v) {
        long p = sysconf(_SC_PAGESIZE);
        v = p > 0 ? (size_t)p : 4096;
        __atomic_store_n(&ps, v, __ATOMIC_RELAXED);
    }
    return v;
}

static size_t page_up(size_t n)
{
    size_t ps = page_size();
    return (n + ps - 1) & ~(ps - 1);
}

/* How a split read keeps its arrays: 0 malloc blocks (merged by copying, as without Linux),
   1 mappings whose pages the merge moves, 2 mappings merged by copying (as when mremap
   fails). $DOJO_CSV_SPLIT_MAP ("0" or "copy") picks the other two for the tests. */
static int map_mode(void)
{
    if (!HAVE_MOVE)
        return 0;
    const char *e = getenv("DOJO_CSV_SPLIT_MAP");
    if (e && strcmp(e, "0") == 0)
        return 0;
    return e && strcmp(e, "copy") == 0 ? 2 : 1;
}

/* A fresh zero-filled mapping of at least bytes (*map gets its size), or NULL. */
static void *map_new(size_t bytes, size_t *map)
{
    size_t len = page_up(bytes ? bytes : 1);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    dj_big_hint(p, len);
    *map = len;
    return p;
}

/* realloc for arrays: p (a mapping of *map bytes, or a malloc block when *map == 0) made to
   hold bytes, its contents kept up to the smaller size. A NULL p is allocated: a mapping when
   mapped. Growing a mapping adds zero bytes; growing a malloc block, undefined ones. Returns
   the array, or NULL (p untouched). Shrinking a mapping cannot fail. */
static void *arr_resize(void *p, size_t *map, size_t bytes, int mapped)
{
    if (!p) {
        *map = 0;
        return mapped ? map_new(bytes, map) : dj_big_alloc(bytes ? bytes : 1);
    }
    if (!*map)
        return dj_big_realloc(p, bytes);
    size_t len = page_up(bytes ? bytes : 1);
    if (len <= *map) {
        if (len < *map)
            munmap((char *)p + len, *map - len); /* the tail may span several mappings */
        *map = len;
        return p;
    }
#if HAVE_MOVE
    void *q = mremap(p, *map, len, MREMAP_MAYMOVE);
    if (q != MAP_FAILED) {
        dj_big_hint(q, len);
        *map = len;
        return q;
    }
#endif
    /* (a merged array spans several mappings, which mremap does not grow) */
    size_t nmap;
    void *q2 = map_new(len, &nmap);
    if (!q2)
        return NULL;
    memcpy(q2, p, *map);
    munmap(p, *map);
    *map = nmap;
    return q2;
}

/* A zero-filled array of bytes (calloc), a mapping when mapped. */
static void *arr_zalloc(size_t bytes, size_t *map, int mapped)
{
    *map = 0;
    return mapped ? map_new(bytes, map) : calloc(bytes ? bytes : 1, 1);
}

static void arr_free(void *p, size_t *map)
{
    dj_arr_free(p, *map);
    *map = 0;
}

static int grow_rows(rd *r)
{
    size_t ncap = r->rows_cap ? r->rows_cap + r->rows_cap / 2 : 4096;
    if (r->rows_cap == 0 && r->rows_hint > ncap)
        ncap = r->rows_hint; /* a whole file: its estimated rows at once */
    if (ncap > r->row_limit)
        ncap = r->row_limit;
    if (ncap <= r->nrows)
        ncap = r->nrows + 1;
    if (ncap > (SIZE_MAX / 8) - 2)
        return oom(r);
    for (size_t j = 0; j < r->ncols; j++) {
        pcol *c = &r->cols[j];
        if (c->out < 0)
            continue;
        if (c->kind == K_INT || c->kind == K_FLOAT) {
            void *p = arr_resize(c->vals, &c->vals_map, ncap * sizeof(v8), r->mapped);
            if (!p)
                return oom(r);
            c->vals = p;
        } else if (c->kind == K_STR) {
            void *p = arr_resize(c->offsets, &c->offsets_map, (ncap + 1) * sizeof(int64_t),
                                 r->mapped);
            if (!p)
                return oom(r);
            if (!c->offsets)
                ((int64_t *)p)[0] = 0;
            c->offsets = p;
        }
        if (c->missing) {
            size_t old_map = c->missing_map;
            void *p = arr_resize(c->missing, &c->missing_map, ncap, 0);
            if (!p)
                return oom(r);
            c->missing = p;
            /* a mapping grows with zeros: only the bytes it had past rows_cap are cleared */
            size_t to = old_map ? (old_map < ncap ? old_map : ncap) : ncap;
            if (to > r->rows_cap)
                memset(c->missing + r->rows_cap, 0, to - r->rows_cap);
        }
    }
    r->rows_cap = ncap;
    return 0;
}

#define READY_STEP ((size_t)1 << 18) /* rows mapped ahead at a time */

/* The first half of a split whose pages the merge moves (mapped == 1): the rows left before
   the split point, estimated from the bytes per row since the last call (at: the parse
   position in buf), with 2% to spare; SIZE_MAX otherwise. Pages mapped ahead past the first
   half's last row are replaced by the second half's, so the first half maps no more than it
   will fill. */
static size_t rows_to_split(rd *r, size_t at)
{
    int64_t here = r->buf_off + (int64_t)at, from = r->mark_off;
    size_t rows = r->nrows - r->mark_rows;
    r->mark_off = here;
    r->mark_rows = r->nrows;
    if (r->stop_at < 0 || r->mapped != 1 || rows < 4096 || here <= from || here >= r->stop_at)
        return SIZE_MAX;
    double left = (double)(r->stop_at - here) * (double)rows / (double)(here - from);
    return left < 1e15 ? (size_t)(left * 1.02) + 64 : SIZE_MAX;
}

static int make_ready(rd *r, size_t at)
{
    if (r->nrows >= r->rows_cap && grow_rows(r) < 0)
        return -1;
    size_t to = r->nrows + READY_STEP < r->rows_cap ? r->nrows + READY_STEP : r->rows_cap;
    if (r->rows_cap >= READY_STEP) {
        size_t left = rows_to_split(r, at);
        if (left < to - r->nrows)
            to = r->nrows + left;
        for (size_t j = 0; j < r->ncols; j++) {
            pcol *c = &r->cols[j];
            if (c->out < 0)
                continue;
            if (c->kind == K_INT || c->kind == K_FLOAT)
                dj_populate(c->vals, r->rows_ready * sizeof(v8), to * sizeof(v8));
            else if (c->kind == K_STR)
                dj_populate(c->offsets, (r->rows_ready + 1) * sizeof(int64_t),
                         (to + 1) * sizeof(int64_t));
        }
    }
    r->rows_ready = to;
    return 0;
}

static void free_storage(pcol *c)
{
    arr_free(c->vals, &c->vals_map);
    arr_free(c->chars, &c->chars_map);
    arr_free(c->offsets, &c->offsets_map);
    arr_free(c->missing, &c->missing_map);
    c->vals = NULL;
    c->chars = NULL;
    c->offsets = NULL;
    c->missing = NULL;
    c->chars_cap = 0;
}

static int set_missing(rd *r, pcol *c, size_t row)
{
    if (c->kind == K_SCAN || c->kind == K_SKIP)
        return 0;
    if (!c->missing) {
        c->missing = arr_zalloc(r->rows_cap, &c->missing_map, r->mapped);
        if (!c->missing)
            return oom(r);
    }
    c->missing[row] = 1;
    if (c->kind == K_INT)
        c->vals[row].i = 0;
    else if (c->kind == K_FLOAT)
        c->vals[row].d = NAN;
    else
        c->offsets[row + 1] = c->offsets[row];
    return 0;
}

static int store_str(rd *r, pcol *c, size_t row, const unsigned char *f, size_t n,
                     int64_t line, size_t j)
{
    size_t o = (size_t)c->offsets[row];
    if (o + n > c->chars_cap) {
        size_t ncap = c->chars_cap ? c->chars_cap : 4096;
        while (ncap < o + n) {
            if (ncap > SIZE_MAX / 2)
                return oom(r);
            ncap *= 2;
        }
        char *p = arr_resize(c->chars, &c->chars_map, ncap, r->mapped);
        if (!p)
            return oom(r);
        c->chars = p;
        c->chars_cap = ncap;
    }
    memcpy(c->chars + o, f, n);
    if (has_high(f, n)) {
        size_t bad = dj_utf8_check(f, n);
        if (bad < n)
            return ferr(r, line, j, "invalid UTF-8 in a text field (byte 0x%02x at offset %zu "
                        "of the field)", f[bad], bad);
    }
    c->offsets[row + 1] = (int64_t)(o + n);
    c->seen_text = c->seen_value = 1;
    return 0;
}

static int misfit(rd *r, pcol *c, const unsigned char *f, size_t n, int64_t line, size_t j)
{
    char shown[200];
    show(f, n, shown, sizeof shown);
    int type = c->kind == K_INT || (c->kind == K_SCAN && c->forced == DOJO_TYPE_INT)
                   ? DOJO_TYPE_INT
                   : DOJO_TYPE_FLOAT;
    return ferr(r, line, j, "'%s' is not a valid %s value (the column's type, %s)", shown,
                dj_type_name(type),
                c->forced_opt ? "forced by the options" : "fixed by the first chunk");
}

static void promote(pcol *c, size_t row)
{
    for (size_t i = 0; i < row; i++) {
        double d = (c->missing && c->missing[i]) ? NAN : (double)c->vals[i].i;
        c->vals[i].d = d;
    }
    c->kind = K_FLOAT;
}

/* Pass 1 met text in a numeric column that already holds values: stop storing, finish the
   pass inferring types only. */
static void begin_scanning(rd *r)
{
    r->scanning = 1;
    for (size_t j = 0; j < r->ncols; j++) {
        pcol *c = &r->cols[j];
        if (c->out < 0)
            continue;
        free_storage(c);
        if (c->kind == K_STR) {
            c->to_string = 1;
            c->kind = K_SKIP;
        } else if (c->kind != K_SKIP)
            c->kind = K_SCAN;
    }
    r->rows_cap = r->rows_ready = SIZE_MAX;
}

/* A present, non-numeric text in a numeric (or scanned) column. */
static int text_in_numeric(rd *r, pcol *c, size_t row, const unsigned char *f, size_t n,
                           int64_t line, size_t j)
{
    if (c->locked || c->forced)
        return misfit(r, c, f, n, line, j);
    if (c->kind == K_SCAN) {
        c->to_string = 1;
        c->kind = K_SKIP;
        return 0;
    }
    if (!c->seen_text) { /* every earlier row is missing: becomes a string column here */
        arr_free(c->vals, &c->vals_map);
        c->vals = NULL;
        c->offsets = arr_zalloc((r->rows_cap + 1) * sizeof(int64_t), &c->offsets_map, r->mapped);
        if (!c->offsets)
            return oom(r);
        c->kind = K_STR;
        return store_str(r, c, row, f, n, line, j);
    }
    c->to_string = 1;
    c->kind = K_SKIP;
    begin_scanning(r);
    return 0;
}

static inline int store_num(rd *r, pcol *c, size_t row, const numv *v, const unsigned char *f,
                            size_t n, int64_t line, size_t j)
{
    if (c->kind == K_INT) {
        if (v->kind == N_INT) {
            c->vals[row].i = v->i;
            c->seen_value = c->seen_text = 1;
            return 0;
        }
        if (c->locked || c->forced == DOJO_TYPE_INT)
            return misfit(r, c, f, n, line, j);
        promote(c, row);
    } else if (c->kind == K_SCAN) {
        if (v->kind == N_FLOAT && c->forced == DOJO_TYPE_INT)
            return misfit(r, c, f, n, line, j);
        return 0;
    }
    c->vals[row].d = v->kind == N_INT ? (double)v->i : v->d;
    c->seen_value = c->seen_text = 1;
    return 0;
}

/* Stores a field (content f..f+n, quoted or not) through the generic path. */
static int store_field(rd *r, pcol *c, size_t row, const unsigned char *f, size_t n,
                       int quoted, int64_t line, size_t j)
{
    if (c->kind == K_SKIP)
        return 0;
    if (n == 0) {
        if (quoted && c->kind == K_STR) {
            c->offsets[row + 1] = c->offsets[row];
            c->seen_text = c->seen_value = 1;
            return 0;
        }
        if (quoted)
            c->seen_text = 1;
        return set_missing(r, c, row);
    }
    if (r->nna && is_na(r, f, n))
        return set_missing(r, c, row);
    if (c->kind == K_STR)
        return store_str(r, c, row, f, n, line, j);
    numv v;
    int k = classify(r, f, n, &v);
    if (k < 0)
        return -1;
    if (k != N_NONE)
        return store_num(r, c, row, &v, f, n, line, j);
    return text_in_numeric(r, c, row, f, n, line, j);
}

/* Counts the fields of a record from field index j on (at p); for the "found M" of a
   ragged-row message. Returns 1, 0 (more data needed) or -1. */
static int count_fields(rd *r, const unsigned char *p, int64_t line, size_t j, size_t *count)
{
    for (;;) {
        field f;
        int s = scan_field(r, p, &f, line, j);
        if (s <= 0)
            return s;
        line += f.nl;
        const unsigned char *next;
        int t = step_term(r, f.at, &next);
        if (t == 0)
            return 0;
        j++;
        if (t != T_DELIM) {
            *count = j;
            return 1;
        }
        p = next;
    }
}

/* The fast path for the common all-numeric file: whether every column is stored as int or
   float, with no na_values, so that a record of plain numbers can be taken in one go. */
static int fast_ok(const rd *r)
{
    if (r->scanning || !r->fastnum || r->nna || r->ncols == 0)
        return 0;
    for (size_t j = 0; j < r->ncols; j++) {
        const pcol *c = &r->cols[j];
        if (c->out < 0 || (c->kind != K_INT && c->kind != K_FLOAT))
            return 0;
    }
    return 1;
}

/* One record of plain numbers at p (row `row`): each field a number the general path would
   store as is (an int in an int column, any number in a float column), ended by the
   delimiter, the last by LF or CRLF inside the data. Returns the start of the next record,
   or NULL when anything else is met (nothing is then stored that the general path does not
   overwrite: it parses the record again from its start). */
static inline const unsigned char *fast_record(rd *r, const unsigned char *p, size_t row)
{
    const unsigned char *end = r->buf + r->len, *rec = p;
    const unsigned char delim = r->delim;
    const size_t last = r->ncols - 1;
    pcol *cols = r->cols;
    for (size_t j = 0;; j++) {
        numv v;
        const unsigned char *q = parse_num(p, &v);
        if (v.kind == N_NONE)
            return NULL;
        pcol *c = &cols[j];
        if (c->kind == K_INT) {
            if (v.kind != N_INT)
                return NULL;
            c->vals[row].i = v.i;
        } else
            c->vals[row].d = v.kind == N_INT ? (double)v.i : v.d;
        if (j < last) {
            if (*q != delim)
                return NULL;
            p = q + 1;
            continue;
        }
        if (q >= end || (size_t)(q - rec) > r->max_record)
            return NULL;
        if (*q == '\n')
            return q + 1;
        if (*q == '\r' && q + 1 < end && q[1] == '\n')
            return q + 2;
        return NULL;
    }
}

/* Bit i set when p[i] is the delimiter or a line feed, for the 64 bytes at p. */
static inline uint64_t sep_mask64(const unsigned char *p, unsigned char delim)
{
#ifdef __SSE2__
    const __m128i dl = _mm_set1_epi8((char)delim), lf = _mm_set1_epi8('\n');
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(x, dl), _mm_cmpeq_epi8(x, lf));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(hit) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (int k = 0; k < 64; k++)
        m |= (uint64_t)(p[k] == delim || p[k] == '\n') << k;
    return m;
#endif
}

/* Stores number v in row `row` of column c as fast_record would; 0 when the
   column's type does not take it as is. */
static inline int fast_store(pcol *c, const numv *v, size_t row)
{
    if (c->kind == K_INT) {
        if (v->kind != N_INT)
            return 0;
        c->vals[row].i = v->i;
    } else
        c->vals[row].d = v->kind == N_INT ? (double)v->i : v->d;
    return 1;
}

/* A field of known end in the common shapes: quick_num16 when simd (SSSE3), else quick_num. */
static inline __attribute__((always_inline)) int quick_field(const unsigned char *s,
                                                             const unsigned char *e, numv *v,
                                                             int simd)
{
#ifdef DJ_QUICK16
    return simd ? quick_num16(s, e, v) : quick_num(s, e, v);
#else
    (void)simd;
    return quick_num(s, e, v);
#endif
}

/* Where a scattered record's row t is about to be read or written: its word of the bitmap
   of rows seen, and its cells (scattering: the columns' values; streaming: the sink's
   prefetch array, if any). */
typedef struct scatter_pf {
    const uint64_t *seen;
    const char *cells; /* streaming: the sink's array */
    size_t cell_size;
    const pcol *cols; /* scattering */
    size_t ncols;
} scatter_pf;

static inline __attribute__((always_inline)) void scatter_prefetch(const scatter_pf *pf,
                                                                   int64_t t, int stream)
{
    if (t < 0)
        return;
    __builtin_prefetch(&pf->seen[t >> 6], 0);
    if (stream) {
        if (pf->cells)
            __builtin_prefetch(pf->cells + (size_t)t * pf->cell_size, 0);
        return;
    }
    for (size_t c = 1; c < pf->ncols; c++)
        __builtin_prefetch(&pf->cols[c].vals[t], 1);
}


/* Scattering: the rows of the nrec records whose separators are at[0..nrec * ncols)
   (offsets from base, where the first record starts), looked up ahead into tgt, each
   record's word of the bitmap of rows seen and its cells prefetched as it is found; then the
   rows are marked seen, in order. Returns the number of records up to the first that is not
   taken: its key is not a plain int or not indexed, its row was seen before, or it starts
   at or after lim. Records are assumed whole and regular here: the parse checks them, and
   stops the read at the first that is not, so marking a row before its record is parsed
   changes no result (a read that stops fails as a whole). */
/* A key of 1 to 8 digits (no leading zero unless alone), the common key, in fewer steps
   than quick_num, which gives the same value; 0 for anything else. The 8 bytes from s must
   be readable. */
static inline int quick_key8(const unsigned char *s, const unsigned char *e, int64_t *k)
{
    size_t len = (size_t)(e - s);
    if (len - 1 >= 8)
        return 0;
    uint64_t w;
    memcpy(&w, s, 8);
    uint64_t t = w ^ 0x3030303030303030ULL;
    if ((nondigits8(t) & (~0ULL >> (64 - 8 * len))) || (s[0] == '0' && len > 1))
        return 0;
    *k = (int64_t)fold8(t, len);
    return 1;
}

/* A key quick_key8 does not take (longer, negative, or not an int at all): parse_num's int,
   out of line; 0 for anything else. */
static __attribute__((noinline)) int key_num(const unsigned char *s, const unsigned char *e,
                                              int64_t *k)
{
    numv v;
    if (parse_num(s, &v) != e || v.kind != N_INT)
        return 0;
    *k = v.i;
    return 1;
}

/* The row in km (of kind `kind`, its range lo..hi and dense map read once by the caller) of
   the key s..e, or -1. */
static inline __attribute__((always_inline)) int64_t
key_row(const dj_keymap *km, int kind, int64_t lo, int64_t hi, const uint32_t *dense,
        const unsigned char *s, const unsigned char *e)
{
    int64_t key;
    if (!quick_key8(s, e, &key) && !key_num(s, e, &key))
        return -1;
    if (kind == DJ_KEYS_HASH)
        return dojo_index_find_int(km->x, key);
    if (key < lo || key > hi)
        return -1;
    uint64_t o = (uint64_t)key - (uint64_t)lo;
    return kind == DJ_KEYS_IDENT ? (int64_t)o : (int64_t)dense[o] - 1;
}

static inline __attribute__((always_inline)) size_t
scatter_targets_of(const dj_keymap *km, int kind, const unsigned char *base, const uint32_t *at,
                   size_t nrec, size_t ncols, const unsigned char *lim, const scatter_pf *pf,
                   uint64_t *seen, size_t *seen_hi, int64_t *tgt)
{
    const int64_t lo = km->lo, hi = km->hi;
    const uint32_t *dense = km->dense;
    const unsigned char *fs = base;
    size_t n = 0;
    for (; n < nrec && fs < lim; n++) {
        int64_t t = key_row(km, kind, lo, hi, dense, fs, base + at[n * ncols]);
        tgt[n] = t;
        scatter_prefetch(pf, t, 0);
        fs = base + at[n * ncols + ncols - 1] + 1;
    }
    size_t top = *seen_hi, i = 0;
    for (; i < n; i++) {
        int64_t t = tgt[i];
        if (t < 0 || (seen[t >> 6] >> (t & 63) & 1))
            break;
        seen[t >> 6] |= 1ULL << (t & 63);
        top = (size_t)t >= top ? (size_t)t + 1 : top;
    }
    *seen_hi = top;
    return i;
}

/* scatter_targets_of built for each kind of keymap. */
static inline __attribute__((always_inline)) size_t
scatter_targets(const rd *r, const unsigned char *base, const uint32_t *at, size_t nrec,
                size_t ncols, const unsigned char *lim, const scatter_pf *pf, uint64_t *seen,
                size_t *seen_hi, int64_t *tgt)
{
    const dj_keymap *km = r->keys;
    switch (km->kind) {
    case DJ_KEYS_IDENT:
        return scatter_targets_of(km, DJ_KEYS_IDENT, base, at, nrec, ncols, lim, pf, seen,
                                  seen_hi, tgt);
    case DJ_KEYS_DENSE:
        return scatter_targets_of(km, DJ_KEYS_DENSE, base, at, nrec, ncols, lim, pf, seen,
                                  seen_hi, tgt);
    default:
        return scatter_targets_of(km, DJ_KEYS_HASH, base, at, nrec, ncols, lim, pf, seen,
                                  seen_hi, tgt);
    }
}

/* A zeroed bitmap of rows seen, for m rows, its pages made present and writable now: they
   are read and written at random by the scatter, and a page first read (the shared zero
   page) and then written costs a copy and, with two threads, a TLB shootdown. A big one is
   populated by the kernel in one call (its fresh pages are zero already); a small one is
   written through. */
static uint64_t *seen_new(size_t m)
{
    size_t bytes = (m / 64 + 1) * sizeof(uint64_t);
    uint64_t *b = calloc(1, bytes);
    if (b && bytes >= DJ_BIG_MIN)
        dj_big_populate(b, bytes);
    else if (b)
        memset(b, 0, bytes);
    return b;
}

/* Allocates a reader's batch for streaming with sink state ctx. */
static int stream_batch(rd *r, const dj_stream *st, void *ctx)
{
    r->stream = st;
    r->sink_ctx = ctx;
    r->brow = malloc(DJ_STREAM_BATCH * sizeof *r->brow);
    r->bval = malloc(DJ_STREAM_BATCH * (r->ncols - 1) * sizeof *r->bval);
    return r->brow && r->bval ? 0 : -1;
}

/* Hands the batch of complete records to the sink; 0, or -1 when it stops the read. */
static int sink_flush(rd *r, size_t n)
{
    if (n && r->stream->fn(r->sink_ctx, r->brow, r->bval, n, r->ncols - 1) != 0) {
        r->sink_failed = 1;
        return -1;
    }
    return 0;
}

/* The delimiters and line feeds of the span bytes from base (of which avail are data), as
   offsets from base, into at; returns their number. 8 are written per 64 bytes whatever
   their count, 16 when there are more than 8 (the unused ones are overwritten next), so that
   the branches hardly depend on how many there are (a file's rows are much alike; one by
   one only past 16). A last block shorter than 64 bytes is read only at the end of the data
   (the buffer's padding covers it), masked to the data. at has room for span + 16. */
static inline __attribute__((always_inline)) size_t list_seps(const unsigned char *base,
                                                              size_t span, size_t avail,
                                                              unsigned char delim, uint32_t *at)
{
    size_t n = 0;
    for (size_t off = 0; off < span; off += 64) {
        uint64_t bits = sep_mask64(base + off, delim);
        if (avail - off < 64)
            bits &= (1ULL << (avail - off)) - 1;
        size_t cnt = (size_t)__builtin_popcountll(bits);
        for (size_t k = 0; k < 8; k++) {
            at[n + k] = (uint32_t)(off + (size_t)__builtin_ctzll(bits | (1ULL << 63)));
            bits &= bits - 1;
        }
        if (cnt > 8) { /* short fields: 8 more the same way, then one by one */
            for (size_t k = 8; k < 16; k++) {
                at[n + k] = (uint32_t)(off + (size_t)__builtin_ctzll(bits | (1ULL << 63)));
                bits &= bits - 1;
            }
            for (size_t k = 16; k < cnt; k++) {
                at[n + k] = (uint32_t)(off + (size_t)__builtin_ctzll(bits));
                bits &= bits - 1;
            }
        }
        n += cnt;
    }
    return n;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define DJ_AVX512 1
/* list_seps with AVX-512 (BW, VBMI2): each 64-byte block is compared at once and its
   separators' positions compressed out of a vector of 0..63, 16 at a time widened to offsets
   (the rest of the 16 written are overwritten next). Only the AVX-512 build of fast_rows
   calls it (inlined there by flatten). */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,popcnt"))) static size_t
list_seps_avx512(const unsigned char *base, size_t span, size_t avail, unsigned char delim,
                 uint32_t *at)
{
    const __m512i dl = _mm512_set1_epi8((char)delim), lf = _mm512_set1_epi8('\n');
    const __m512i iota = _mm512_set_epi8(
        63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42,
        41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20,
        19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    size_t n = 0;
    for (size_t off = 0; off < span; off += 64) {
        const __m512i x = _mm512_loadu_si512((const void *)(base + off));
        uint64_t bits = _mm512_cmpeq_epi8_mask(x, dl) | _mm512_cmpeq_epi8_mask(x, lf);
        if (avail - off < 64)
            bits &= (1ULL << (avail - off)) - 1;
        size_t cnt = (size_t)__builtin_popcountll(bits);
        const __m512i pos = _mm512_maskz_compress_epi8(bits, iota);
        const __m512i o = _mm512_set1_epi32((int)off);
/* positions 16q .. 16q + 15 of the block, as offsets, to at[n + 16q ..] */
#define DJ_SEPS16(q)                                                                           \
    _mm512_storeu_si512(                                                                       \
        (void *)(at + n + 16 * (q)),                                                           \
        _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(pos, q)), o))
        DJ_SEPS16(0);
        if (cnt > 16) { /* short fields: the next 16 positions, and so on */
            DJ_SEPS16(1);
            if (cnt > 32) {
                DJ_SEPS16(2);
                if (cnt > 48)
                    DJ_SEPS16(3);
            }
        }
#undef DJ_SEPS16
        n += cnt;
    }
    return n;
}
#endif

/* Field c (last: the record's last) of a record whose separators are at ra (offsets from
   base), starting at s: its end checked (the delimiter; for the last field a line feed, a
   CR before it dropped) and the field parsed as a number into *v. 0 when it is anything
   else, an empty field too (parse_num finds no number). */
static inline __attribute__((always_inline)) int
field_num(const unsigned char *base, const uint32_t *ra, size_t c, size_t last,
          unsigned char delim, const unsigned char *s, int simd, numv *v)
{
    const unsigned char *e = base + ra[c], *fe = e;
    if (c < last) {
        if (*e != delim)
            return 0;
    } else {
        if (*e != '\n')
            return 0;
        if (fe > s && fe[-1] == '\r')
            fe--;
    }
    return quick_field(s, fe, v, simd) || (parse_num(s, v) == fe && v->kind != N_NONE);
}

/* Scattering: the values of the span's records 0..nrec (their separators at at[0..nrec *
   ncols), offsets from base; their rows in tgt, found by scatter_targets), parsed and stored
   in the columns' cells at their rows. Returns the records taken: nrec, or the first that is
   anything but plain numbers. Only what the loop needs is live in it. */
static inline __attribute__((always_inline)) size_t
scatter_span(const unsigned char *base, const uint32_t *at, size_t nrec, size_t ncols,
             unsigned char delim, int simd, const int64_t *tgt, pcol *cols)
{
    const size_t last = ncols - 1;
    const uint32_t *ra = at;
    for (size_t i = 0; i < nrec; i++, ra += ncols) {
        if (base[ra[0]] != delim)
            return i;
        const unsigned char *s = base + ra[0] + 1;
        const size_t dst = (size_t)tgt[i];
        for (size_t c = 1; c < ncols; c++) {
            numv v;
            if (!field_num(base, ra, c, last, delim, s, simd, &v))
                return i;
            /* a float column (the driver checks): stored with a relaxed atomic store, as the
               other thread may write the same cell when an id is in both halves (the read is
               then refused) */
            double d = v.kind == N_INT ? (double)v.i : v.d;
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            __atomic_store_n((uint64_t *)(void *)&cols[c].vals[dst], bits, __ATOMIC_RELAXED);
            s = base + ra[c] + 1;
        }
    }
    return nrec;
}

/* Streaming: the span's records 0..nrec taken in one pass each -- the key's row, the mark
   in the bitmap of rows seen, the values -- into the sink's batch (values at ov, rows at
   orow), up to the first record that starts at or after lim or is not taken. Returns the
   records taken. (Scattering into columns looks the keys up ahead instead, to prefetch the
   cells it will write; a stream writes none.) */
static inline __attribute__((always_inline)) size_t
stream_span_of(const dj_keymap *km, int kind, const unsigned char *base, const uint32_t *at,
               size_t nrec, size_t ncols, const unsigned char *lim, unsigned char delim,
               int simd, const scatter_pf *pf, uint64_t *seen, size_t *seen_hi, double *ov,
               uint32_t *orow)
{
    const int64_t lo = km->lo, hi = km->hi;
    const uint32_t *dense = km->dense;
    const size_t last = ncols - 1;
    const unsigned char *fs = base;
    const uint32_t *ra = at;
    size_t n = 0;
    for (; n < nrec; n++, ra += ncols) {
        const unsigned char *e = base + ra[0];
        if (fs >= lim || *e != delim)
            break;
        int64_t t = key_row(km, kind, lo, hi, dense, fs, e);
        if (t < 0)
            break;
        scatter_prefetch(pf, t, 1);
        const unsigned char *s = e + 1;
        size_t c = 1;
        for (; c < ncols; c++) {
            numv v;
            if (!field_num(base, ra, c, last, delim, s, simd, &v))
                break;
            ov[n * last + (c - 1)] = v.kind == N_INT ? (double)v.i : v.d;
            s = base + ra[c] + 1;
        }
        if (c < ncols)
            break;
        orow[n] = (uint32_t)t;
        fs = s;
    }
    /* the rows marked seen after, in a loop of independent loads (their misses overlap), up
       to the first seen before */
    size_t top = *seen_hi, i = 0;
    for (; i < n; i++) {
        uint32_t t = orow[i];
        if (seen[t >> 6] >> (t & 63) & 1)
            break;
        seen[t >> 6] |= 1ULL << (t & 63);
        top = t >= top ? (size_t)t + 1 : top;
    }
    *seen_hi = top;
    return i;
}

/* stream_span_of built for each kind of keymap. */
static inline __attribute__((always_inline)) size_t
stream_span(const dj_keymap *km, const unsigned char *base, const uint32_t *at, size_t nrec,
            size_t ncols, const unsigned char *lim, unsigned char delim, int simd,
            const scatter_pf *pf, uint64_t *seen, size_t *seen_hi, double *ov, uint32_t *orow)
{
    switch (km->kind) {
    case DJ_KEYS_IDENT:
        return stream_span_of(km, DJ_KEYS_IDENT, base, at, nrec, ncols, lim, delim, simd, pf,
                              seen, seen_hi, ov, orow);
    case DJ_KEYS_DENSE:
        return stream_span_of(km, DJ_KEYS_DENSE, base, at, nrec, ncols, lim, delim, simd, pf,
                              seen, seen_hi, ov, orow);
    default:
        return stream_span_of(km, DJ_KEYS_HASH, base, at, nrec, ncols, lim, delim, simd, pf,
                              seen, seen_hi, ov, orow);
    }
}

/* Many records of plain numbers from *pp (row `row` on), at most maxrows, none starting at
   or after lim: what fast_record takes, found another way. A span of up to FAST_SPAN bytes
   from the first record not yet taken has its delimiters and line feeds listed first
   (list_seps), so every field's end is known before it is parsed; then the span's whole
   records are taken one by one, their fields parsed independently of each other
   (quick_num16 or quick_num, else parse_num, which must then end exactly at the field's
   end), and the next span starts where the first record not taken does. Stops at the first
   record that is anything else (a quote, an empty field, text, a ragged row, a lone CR, a
   type the column does not take, longer than a span; r->fast_bad is then set) or that is not
   wholly inside the data's full 64-byte blocks (at the end of the data, its last partial
   block too), and leaves it to the record-by-record paths, which overwrite whatever was
   stored for it. Scattering (scatter 1), the first field is a key whose row in r->keys says
   where the record's other values go: the keys of a span are parsed, looked up and their
   rows marked in r->seen ahead, by scatter_targets, up to the first that is not an int, not
   indexed or already seen (fast_bad), so that the cells to be written are prefetched, and
   scatter_span parses and stores the values. Streaming (scatter 2) stores nothing:
   stream_span takes each record whole in one pass (its row, the sink's cell at the row
   prefetched, its values) into a batch for the sink (r->stream), flushed before a span once
   it holds STREAM_FLUSH records, and before returning. Scattering takes every record up to
   lim (maxrows is SIZE_MAX), and any record it does not take fails the read as a whole.
   Returns the rows taken; *pp is moved past them. */
#define FAST_SPAN 2048 /* bytes whose separators are listed at a time */
/* Streaming: the records batched before the sink is called (DJ_STREAM_BATCH, which a span's
   records never exceed, is the batch's room): the answers prefetched at their rows are then
   still in the caches when the sink reads them. */
#define STREAM_FLUSH 256

static inline __attribute__((always_inline)) size_t
fast_rows_impl(rd *r, const unsigned char **pp, size_t row, size_t maxrows,
               const unsigned char *lim, int simd, int scatter, size_t nc)
{
    const unsigned char *rec = *pp;
    const unsigned char *end = r->buf + r->len;
    const unsigned char delim = r->delim;
    const size_t ncols = nc ? nc : r->ncols, last = ncols - 1;
    const int eof = r->eof;
    pcol *cols = r->cols;
    uint64_t *seen = r->seen;
    size_t done = 0, i = 0;
    /* streaming: the batch (room for DJ_STREAM_BATCH records), flushed before a span once it
       would hold more than STREAM_FLUSH */
    uint32_t *brow = r->brow;
    double *bval = r->bval;
    const size_t nv = last;
    size_t bn = 0;
    r->fast_bad = 0;
    if (maxrows == 0 || rec >= lim || delim == '\r')
        return 0;
    if (r->max_record < FAST_SPAN) { /* a record in a span may be too long: the record paths
                                        check each */
        r->fast_bad = 1;
        return 0;
    }
    uint32_t at[FAST_SPAN + 16];
    int64_t tgt[FAST_SPAN / 2]; /* scattering: a span's records (two fields or more each) */
    scatter_pf pf = {seen, NULL, 0, cols, ncols};
    if (scatter == 2)
        pf.cells = r->stream->prefetch, pf.cell_size = r->stream->prefetch_size;
    while (rec < end) {
        /* the separators of up to FAST_SPAN bytes from rec, the first record not taken */
        const unsigned char *base = rec;
        size_t avail = (size_t)(end - base), span, n;
        if (eof)
            span = (avail + 63) & ~(size_t)63;
        else if (avail >= 64)
            span = avail & ~(size_t)63;
        else
            break;
        if (span > FAST_SPAN)
            span = FAST_SPAN;
#ifdef DJ_AVX512
        n = simd == 3 ? list_seps_avx512(base, span, avail, delim, at)
                      : list_seps(base, span, avail, delim, at);
#else
        n = list_seps(base, span, avail, delim, at);
#endif
        size_t whole = n / ncols; /* the span's whole records, if they are regular */
        if (whole > FAST_SPAN / 2)
            whole = FAST_SPAN / 2;
        size_t nrec = whole;
        if (scatter == 2) { /* streaming: the records straight into the batch */
            if (bn + whole > STREAM_FLUSH) {
                if (sink_flush(r, bn) < 0)
                    goto bad;
                bn = 0;
            }
            i = stream_span(r->keys, base, at, whole, ncols, lim, delim, simd, &pf, seen,
                            &r->seen_hi, bval + bn * nv, brow + bn);
            if (i)
                rec = base + at[i * ncols - 1] + 1;
            if (i < whole && rec < lim)
                goto bad_record;
        } else if (scatter) { /* where the span's records go, up to the first not taken */
            nrec = scatter_targets(r, base, at, whole, ncols, lim, &pf, seen, &r->seen_hi, tgt);
            i = scatter_span(base, at, nrec, ncols, delim, simd, tgt, cols);
            if (i)
                rec = base + at[i * ncols - 1] + 1;
            if (i < nrec)
                goto bad_record;
        } else {
            const unsigned char *s = base;
            for (i = 0; i < nrec;) {
                const uint32_t *ra = at + i * ncols;
                const size_t dst = row + done + i;
                for (size_t c = 0; c < ncols; c++) {
                    numv v;
                    if (!field_num(base, ra, c, last, delim, s, simd, &v) ||
                        !fast_store(&cols[c], &v, dst))
                        goto bad_record;
                    s = base + ra[c] + 1;
                }
                i++;
                rec = s;
                if (done + i == maxrows || rec >= lim)
                    break;
            }
        }
        done += i;
        bn += i;
        if (done == maxrows || rec >= lim)
            goto out;
        if (i < whole) /* scattering: stopped at a record that is not taken */
            goto bad;
        if (rec == base) { /* no whole record in the span */
            if (!eof && span < FAST_SPAN)
                break; /* more data may complete it */
            goto bad;
        }
    }
    goto out;
bad_record: /* record i of the span is not taken; those before it are */
    done += i;
    bn += i;
bad:
    r->fast_bad = 1;
out:
    if (scatter == 2 && sink_flush(r, bn) < 0)
        r->fast_bad = 1;
    *pp = rec;
    return done;
}

/* fast_rows_impl's builds -- plain, SSSE3, AVX2, AVX-512 (whose separators list_seps_avx512
   lists) -- each with the same dispatch on the mode (storing, scattering, streaming; two columns
   built apart when scattering). The SIMD builds are flattened so that quick_num16, whose own
   target is SSSE3, is inlined into them as into no other caller. */
#define FAST_ROWS_BUILD(name, attr, simd)                                                      \
    attr static size_t name(rd *r, const unsigned char **pp, size_t row, size_t maxrows,        \
                            const unsigned char *lim)                                          \
    {                                                                                          \
        if (r->stream)                                                                         \
            return r->ncols == 2 ? fast_rows_impl(r, pp, row, maxrows, lim, simd, 2, 2)        \
                                 : fast_rows_impl(r, pp, row, maxrows, lim, simd, 2, 0);       \
        if (r->scatter)                                                                        \
            return r->ncols == 2 ? fast_rows_impl(r, pp, row, maxrows, lim, simd, 1, 2)        \
                                 : fast_rows_impl(r, pp, row, maxrows, lim, simd, 1, 0);       \
        return fast_rows_impl(r, pp, row, maxrows, lim, simd, 0, 0);                           \
    }

FAST_ROWS_BUILD(fast_rows_plain, , 0)
#ifdef DJ_QUICK16
FAST_ROWS_BUILD(fast_rows_ssse3, __attribute__((target("ssse3,popcnt"), flatten)), 1)
FAST_ROWS_BUILD(fast_rows_avx2, __attribute__((target("avx2,bmi,bmi2,popcnt"), flatten)), 2)
FAST_ROWS_BUILD(fast_rows_avx512,
                __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,avx2,bmi,bmi2,popcnt"),
                               flatten)),
                3)
#endif

/* fast_rows_impl in the build the reader may use (r->simd): with quick_num16, built for
   AVX-512 or AVX2 where the processor has them, else for SSSE3; else with quick_num. */
static size_t fast_rows(rd *r, const unsigned char **pp, size_t row, size_t maxrows,
                        const unsigned char *lim)
{
#ifdef DJ_QUICK16
    if (r->simd == 3)
        return fast_rows_avx512(r, pp, row, maxrows, lim);
    if (r->simd == 2)
        return fast_rows_avx2(r, pp, row, maxrows, lim);
    if (r->simd)
        return fast_rows_ssse3(r, pp, row, maxrows, lim);
#endif
    return fast_rows_plain(r, pp, row, maxrows, lim);
}

/* Parses the records in the buffer when scattering: fast_rows only; anything it does not
   take ends the read with PR_ERR (the caller then reads the file the ordinary way). */
/* The offset in the buffer where this reader must stop (its part of a split file), or
   SIZE_MAX. */
static inline size_t stop_offset(const rd *r)
{
    if (r->stop_at < 0)
        return SIZE_MAX;
    return r->stop_at >= r->buf_off ? (size_t)(r->stop_at - r->buf_off) : 0;
}

/* Whether parsing ends at p: at the stop offset (PR_STOP) or at the end of the buffer
   (PR_EOF, PR_MORE), with r->pos set and the code in *rc. */
static inline int ends_at(rd *r, const unsigned char *p, size_t stop, int *rc)
{
    size_t at = (size_t)(p - r->buf);
    if (at >= stop) {
        r->stop_mismatch = at != stop;
        r->pos = at;
        *rc = PR_STOP;
        return 1;
    }
    if (at >= r->len) {
        r->pos = at;
        *rc = r->eof ? PR_EOF : PR_MORE;
        return 1;
    }
    return 0;
}

static int scatter_rows(rd *r)
{
    const unsigned char *buf = r->buf, *end = buf + r->len, *p = buf + r->pos;
    size_t stop = stop_offset(r);
    const unsigned char *lim = stop < r->len ? buf + stop : end;
    for (;;) {
        int rc;
        if (ends_at(r, p, stop, &rc))
            return rc;
        size_t taken = fast_rows(r, &p, 0, SIZE_MAX, lim);
        r->nrows += taken;
        if (r->sink_failed)
            return PR_ERR;
        if (!taken) {
            if (r->fast_bad || r->eof)
                return PR_ERR;
            r->pos = (size_t)(p - buf);
            return PR_MORE;
        }
    }
}

/* Parses the records in the buffer. */
static int parse_rows(rd *r)
{
    unsigned char *buf = r->buf;
    const unsigned char *end = buf + r->len;
    const unsigned char *p = buf + r->pos;
    const unsigned char *cls = r->cls;
    const size_t ncols = r->ncols;
    const int quoting = r->quoting;
    const unsigned char quote = r->quote;
    if (r->scatter)
        return scatter_rows(r);
    size_t stop = stop_offset(r);
    int fast = fast_ok(r), fast_seen = 0;
    for (;;) {
        int rc;
        if (ends_at(r, p, stop, &rc))
            return rc;
        if (r->nrows >= r->row_limit) {
            r->pos = (size_t)(p - buf);
            return PR_LIMIT;
        }
        if (ncols > 1 && (*p == '\n' || *p == '\r')) { /* blank line */
            const unsigned char *next;
            if (!step_term(r, p, &next)) {
                r->pos = (size_t)(p - buf);
                return PR_MORE;
            }
            p = next;
            r->line++;
            continue;
        }
        size_t row = r->nrows;
        if (row >= r->rows_ready && make_ready(r, (size_t)(p - buf)) < 0)
            return PR_ERR;
        if (fast) {
            size_t maxrows = r->rows_ready - row;
            if (r->row_limit - row < maxrows)
                maxrows = r->row_limit - row;
            size_t taken = fast_rows(r, &p, row, maxrows, stop < r->len ? buf + stop : end);
            if (taken) {
                if (!fast_seen) { /* every column now holds a value */
                    fast_seen = 1;
                    for (size_t c = 0; c < ncols; c++)
                        r->cols[c].seen_value = r->cols[c].seen_text = 1;
                }
                r->nrows += taken;
                r->line += (int64_t)taken;
                continue;
            }
            const unsigned char *next = fast_record(r, p, row);
            if (next) {
                if (!fast_seen) { /* every column now holds a value */
                    fast_seen = 1;
                    for (size_t k = 0; k < ncols; k++)
                        r->cols[k].seen_value = r->cols[k].seen_text = 1;
                }
                p = next;
                r->nrows++;
                r->line++;
                continue;
            }
        }
        const unsigned char *rec = p;
        int64_t nl = 0;
        size_t j = 0;
        r->pq_open = 0;
        for (;;) {
            pcol *c = &r->cols[j];
            const unsigned char *f = p;
            if (quoting && *p == quote) {
                field fl;
                int s = scan_field(r, p, &fl, r->line + nl, j);
                if (s == 0)
                    goto partial;
                if (s < 0)
                    return PR_ERR;
                if (c->kind != K_SKIP &&
                    store_field(r, c, row, fl.s, fl.n, 1, r->line + nl, j) < 0)
                    return PR_ERR;
                nl += fl.nl;
                p = fl.at;
            } else {
                if ((c->kind == K_INT || c->kind == K_FLOAT || c->kind == K_SCAN) && r->fastnum &&
                    !r->na_first[*p]) {
                    numv v;
                    const unsigned char *q = parse_num(p, &v);
                    unsigned t = cls[*q];
                    if (v.kind != N_NONE && t >= C_DELIM && t <= C_CR) {
                        if (q == end && !r->eof)
                            goto partial;
                        if (store_num(r, c, row, &v, f, (size_t)(q - f), r->line + nl, j) < 0)
                            return PR_ERR;
                        p = q;
                        goto term;
                    }
                }
                while (!cls[*p])
                    p++;
                if (p == end && !r->eof)
                    goto partial;
                if (cls[*p] == C_NUL && p < end) {
                    ferr(r, r->line + nl, j, "NUL byte in the data");
                    return PR_ERR;
                }
                if (c->kind != K_SKIP &&
                    store_field(r, c, row, f, (size_t)(p - f), 0, r->line + nl, j) < 0)
                    return PR_ERR;
            }
        term:
            if (p < end && cls[*p] == C_DELIM) {
                p++;
                if (++j == ncols) {
                    size_t found = 0;
                    int s = count_fields(r, p, r->line + nl, j, &found);
                    if (s == 0)
                        goto partial;
                    if (s > 0)
                        dj_err(r->err, r->errlen, "line %lld: expected %zu fields, found %zu",
                               (long long)r->line, ncols, found);
                    return PR_ERR;
                }
                continue;
            }
            if (p < end && cls[*p] == C_NUL) {
                ferr(r, r->line + nl, j, "NUL byte in the data");
                return PR_ERR;
            }
            break;
        }
        /* p: the line end, or the end of the data */
        if ((size_t)(p - rec) > r->max_record) {
            dj_err(r->err, r->errlen, "line %lld: record longer than max_record_bytes (%zu "
                   "bytes)", (long long)r->line, r->max_record);
            return PR_ERR;
        }
        if (p < end) {
            if (*p == '\n')
                p++;
            else {
                if (p + 1 == end && !r->eof)
                    goto partial;
                p++;
                if (p < end && *p == '\n')
                    p++;
            }
        }
        if (j + 1 != ncols) {
            dj_err(r->err, r->errlen, "line %lld: expected %zu fields, found %zu",
                   (long long)r->line, ncols, j + 1);
            return PR_ERR;
        }
        r->nrows++;
        r->line += 1 + nl;
        fast = fast_ok(r); /* the general path may have changed a column's type */
        continue;
    partial:
        /* The record is cut by the end of the buffer: forget its row, parse it again. */
        if (!r->scanning)
            for (size_t k = 0; k < ncols; k++)
                if (r->cols[k].missing)
                    r->cols[k].missing[row] = 0;
        r->pos = (size_t)(rec - buf);
        return PR_MORE;
    }
}

/* Skips blank lines, then reads the header record (or, header == 0, counts the fields of
   the first record without consuming it). first: set the column names. */
static int read_header(rd *r, int first)
{
    for (;;) {
        if (r->pos == r->len) {
            if (r->eof)
                return dj_err(r->err, r->errlen, r->header ? "empty file: no header row"
                                                           : "empty file: no records");
            if (fill(r) < 0)
                return -1;
            continue;
        }
        unsigned char c = r->buf[r->pos];
        if (c != '\n' && c != '\r')
            break;
        const unsigned char *next;
        if (!step_term(r, r->buf + r->pos, &next)) {
            if (fill(r) < 0)
                return -1;
            continue;
        }
        r->pos = (size_t)(next - r->buf);
        r->line++;
    }
    for (;;) {
        const unsigned char *p = r->buf + r->pos;
        int64_t nl = 0;
        size_t j = 0;
        int more = 0;
        r->pq_open = 0;
        for (;; j++) {
            field f;
            int s = scan_field(r, p, &f, r->line + nl, j);
            if (s < 0)
                return -1;
            if (s == 0) {
                more = 1;
                break;
            }
            if (first && r->header) {
                if (has_high(f.s, f.n)) {
                    size_t bad = dj_utf8_check(f.s, f.n);
                    if (bad < f.n)
                        return ferr(r, r->line + nl, j, "invalid UTF-8 in a column name (byte "
                                    "0x%02x at offset %zu)", f.s[bad], bad);
                }
                if (j >= r->ncols) {
                    void *q = r->cols;
                    if (dj_grow(&q, &r->cols_cap, j + 1, sizeof(pcol)) < 0)
                        return oom(r);
                    r->cols = q;
                    memset(r->cols + j, 0, sizeof(pcol));
                    r->ncols = j + 1;
                }
                int quoted = f.s != p;
                char *name;
                if (f.n == 0 && !quoted) {
                    name = malloc(32);
                    if (name)
                        snprintf(name, 32, "V%zu", j + 1);
                } else
                    name = strndup((const char *)f.s, f.n);
                if (!name)
                    return oom(r);
                free(r->cols[j].name);
                r->cols[j].name = name;
            }
            nl += f.nl;
            const unsigned char *next;
            int t = step_term(r, f.at, &next);
            if (t == 0) {
                more = 1;
                break;
            }
            if (t == T_DELIM) {
                p = next;
                continue;
            }
            if ((size_t)(f.at - (r->buf + r->pos)) > r->max_record)
                return dj_err(r->err, r->errlen, "line %lld: record longer than "
                              "max_record_bytes (%zu bytes)", (long long)r->line, r->max_record);
            if (first && !r->header) {
                r->cols = calloc(j + 1, sizeof(pcol));
                if (!r->cols)
                    return oom(r);
                r->ncols = j + 1;
                for (size_t k = 0; k <= j; k++) {
                    r->cols[k].name = malloc(32);
                    if (!r->cols[k].name)
                        return oom(r);
                    snprintf(r->cols[k].name, 32, "V%zu", k + 1);
                }
            }
            if (r->header) {
                r->pos = (size_t)(next - r->buf);
                r->line += 1 + nl;
            }
            return 0;
        }
        if (more) {
            if (first && r->header) { /* names of an incomplete record: read them again */
                for (size_t k = 0; k < r->ncols; k++)
                    free(r->cols[k].name);
                free(r->cols);
                r->cols = NULL;
                r->ncols = r->cols_cap = 0;
            }
            if (fill(r) < 0)
                return -1;
        }
    }
}

/* Starts (or restarts) reading the data: first block, BOM, header. */
static int begin_data(rd *r, int first)
{
    r->len = r->pos = 0;
    r->buf_off = 0;
    r->eof = 0;
    r->line = 1;
    if (fill(r) < 0)
        return -1;
    if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    return read_header(r, first);
}

static uint64_t name_hash(const char *s) { return dj_hash_bytes(s, strlen(s)); }

/* Column names -> file column, for duplicates, the subset and the forced types. */
typedef struct name_map {
    size_t *slots; /* file column + 1; 0 empty */
    size_t mask;
} name_map;

static int64_t map_find(const rd *r, const name_map *m, const char *name)
{
    for (size_t i = name_hash(name) & m->mask;; i = (i + 1) & m->mask) {
        size_t s = m->slots[i];
        if (!s)
            return -1;
        if (strcmp(r->cols[s - 1].name, name) == 0)
            return (int64_t)(s - 1);
    }
}

static int setup_columns(rd *r, const dojo_csv_options *o)
{
    name_map m;
    size_t cap = 16;
    while (cap < r->ncols * 2)
        cap *= 2;
    m.slots = calloc(cap, sizeof(size_t));
    m.mask = cap - 1;
    if (!m.slots)
        return oom(r);
    int rc = -1;
    for (size_t j = 0; j < r->ncols; j++) {
        int64_t k = map_find(r, &m, r->cols[j].name);
        if (k >= 0) {
            dj_err(r->err, r->errlen, "duplicate column name '%s' (columns %lld and %zu)",
                   r->cols[j].name, (long long)k + 1, j + 1);
            goto done;
        }
        size_t i = name_hash(r->cols[j].name) & m.mask;
        while (m.slots[i])
            i = (i + 1) & m.mask;
        m.slots[i] = j + 1;
        r->cols[j].out = -1;
    }
    if (o->columns && o->ncolumns > 0) {
        r->nout = o->ncolumns;
        r->outmap = malloc(r->nout * sizeof(size_t));
        if (!r->outmap) {
            oom(r);
            goto done;
        }
        for (size_t i = 0; i < o->ncolumns; i++) {
            const char *name = o->columns[i];
            int64_t k = name ? map_find(r, &m, name) : -1;
            if (k < 0) {
                dj_err(r->err, r->errlen, "no column named '%s' in the data (asked for in the "
                       "columns option)", name ? name : "(null)");
                goto done;
            }
            if (r->cols[k].out >= 0) {
                dj_err(r->err, r->errlen, "column '%s' is asked for twice in the columns option",
                       name);
                goto done;
            }
            r->cols[k].out = (int)i;
            r->outmap[i] = (size_t)k;
        }
    } else {
        r->nout = r->ncols;
        r->outmap = malloc((r->nout ? r->nout : 1) * sizeof(size_t));
        if (!r->outmap) {
            oom(r);
            goto done;
        }
        for (size_t j = 0; j < r->ncols; j++) {
            r->cols[j].out = (int)j;
            r->outmap[j] = j;
        }
    }
    if (o->ntypes > 0 && (!o->type_columns || !o->types)) {
        dj_err(r->err, r->errlen, "ntypes is %zu but type_columns or types is missing",
               o->ntypes);
        goto done;
    }
    for (size_t i = 0; i < o->ntypes; i++) {
        const char *name = o->type_columns[i];
        int64_t k = name ? map_find(r, &m, name) : -1;
        if (k < 0) {
            dj_err(r->err, r->errlen, "no column named '%s' in the data (given a type in the "
                   "options)", name ? name : "(null)");
            goto done;
        }
        int t = o->types[i];
        if (t != DOJO_TYPE_INT && t != DOJO_TYPE_FLOAT && t != DOJO_TYPE_STRING) {
            dj_err(r->err, r->errlen, "column '%s': unknown type %d (use DOJO_TYPE_INT, "
                   "DOJO_TYPE_FLOAT or DOJO_TYPE_STRING)", name, t);
            goto done;
        }
        r->cols[k].forced = t;
        r->cols[k].forced_opt = 1;
    }
    rc = 0;
done:
    free(m.slots);
    return rc;
}

static void set_kinds(rd *r)
{
    for (size_t j = 0; j < r->ncols; j++) {
        pcol *c = &r->cols[j];
        if (c->out < 0)
            c->kind = K_SKIP;
        else if (c->forced == DOJO_TYPE_STRING)
            c->kind = K_STR;
        else if (c->forced == DOJO_TYPE_FLOAT)
            c->kind = K_FLOAT;
        else
            c->kind = K_INT;
        c->seen_text = c->seen_value = 0;
    }
}

static void reader_destroy(rd *r)
{
    if (!r)
        return;
    src_close(&r->s);
    for (size_t j = 0; j < r->ncols; j++) {
        if (!r->shared)
            free(r->cols[j].name);
        if (r->shared && r->scatter)
            r->cols[j].vals = NULL; /* the parent's arrays */
        free_storage(&r->cols[j]);
    }
    free(r->cols);
    if (!r->shared) {
        free(r->outmap);
        for (size_t i = 0; i < r->nna; i++)
            free(r->na[i]);
        free(r->na);
        free(r->na_len);
        free(r->path);
    }
    free(r->buf);
    free(r->scratch);
    free(r->numbuf);
    free(r->seen);
    free(r->brow);
    free(r->bval);
    free(r);
}

void dojo_csv_options_init(dojo_csv_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->delimiter = ',';
    opt->quote = '"';
    opt->header = 1;
    opt->max_record_bytes = DEFAULT_MAX_RECORD;
}

/* Opens a reader over a file (path) or memory (data, len) and reads the header. */
static rd *reader_open(const char *path, const void *data, size_t len,
                       const dojo_csv_options *opt, char *err, size_t errlen)
{
    dojo_csv_options defaults;
    if (!opt) {
        dojo_csv_options_init(&defaults);
        opt = &defaults;
    }
    unsigned char d = (unsigned char)opt->delimiter, q = (unsigned char)opt->quote;
    if (d == 0 || d == '\n' || d == '\r') {
        dj_err(err, errlen, "the delimiter cannot be NUL, CR or LF");
        return NULL;
    }
    if (q == '\n' || q == '\r' || q == d) {
        dj_err(err, errlen, "the quote character cannot be CR, LF or the delimiter");
        return NULL;
    }
    rd *r = calloc(1, sizeof *r);
    if (!r) {
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    r->s.fd = r->s.tee_fd = -1;
    r->stop_at = -1;
    r->err = err;
    r->errlen = errlen;
    r->delim = d;
    r->quote = q;
    r->quoting = q != 0;
    r->header = opt->header != 0;
    r->max_record = opt->max_record_bytes ? opt->max_record_bytes : DEFAULT_MAX_RECORD;
    if (r->max_record > SIZE_MAX / 4)
        r->max_record = SIZE_MAX / 4;
    r->fastnum = !strchr("0123456789+-.eE", d);
    r->simd = simd_ok();
#ifdef DJ_QUICK16
    if (r->simd)
        pthread_once(&shuf_once, shuf_init);
#endif
    r->cls[d] = C_DELIM;
    r->cls['\n'] = C_LF;
    r->cls['\r'] = C_CR;
    r->cls[0] = C_NUL;
    if (r->quoting)
        r->qcls[q] = C_QUOTE;
    r->qcls['\n'] = C_LF;
    r->qcls['\r'] = C_CR;
    r->qcls[0] = C_NUL;
    if (opt->nna_values > 0 && opt->na_values) {
        r->na = calloc(opt->nna_values, sizeof(char *));
        r->na_len = calloc(opt->nna_values, sizeof(size_t));
        if (!r->na || !r->na_len)
            goto nomem;
        for (size_t i = 0; i < opt->nna_values; i++) {
            const char *s = opt->na_values[i];
            if (!s || !*s)
                continue;
            r->na[r->nna] = strdup(s);
            if (!r->na[r->nna])
                goto nomem;
            r->na_len[r->nna] = strlen(s);
            r->na_first[(unsigned char)s[0]] = 1;
            r->nna++;
        }
    }
    r->cap = BLOCK;
    r->cap_max = r->max_record + BLOCK;
    r->buf = malloc(r->cap + PAD);
    if (!r->buf)
        goto nomem;
    if (path) {
        r->path = strdup(path);
        if (!r->path)
            goto nomem;
        r->untrusted = opt->untrusted;
        r->max_file_bytes = opt->max_file_bytes;
        if (src_open_file(&r->s, r->path, 0, r->untrusted, r->max_file_bytes, err, errlen) < 0)
            goto fail;
    } else if (src_open_mem(&r->s, data, len, err, errlen) < 0)
        goto fail;
    if (begin_data(r, 1) < 0 || setup_columns(r, opt) < 0)
        goto fail;
    set_kinds(r);
    int inferred = 0;
    for (size_t j = 0; j < r->ncols; j++)
        inferred |= r->cols[j].out >= 0 && !r->cols[j].forced;
    if (!inferred) /* every type is known: no restart can happen, a pipe needs no copy */
        src_tee_stop(&r->s);
    r->err = NULL;
    r->errlen = 0;
    return r;
nomem:
    dj_err(err, errlen, "out of memory");
fail:
    reader_destroy(r);
    return NULL;
}

/* Pass 1 found text after numbers in some columns: read the data again with them as
   strings. */
static int restart(rd *r)
{
    for (size_t j = 0; j < r->ncols; j++) {
        pcol *c = &r->cols[j];
        free_storage(c);
        if (c->out >= 0 && c->to_string)
            c->forced = DOJO_TYPE_STRING;
    }
    r->scanning = 0;
    r->pass2 = 1;
    r->nrows = r->rows_cap = r->rows_ready = 0;
    set_kinds(r);
    if (src_rewind(&r->s, r->err, r->errlen) < 0)
        return -1;
    return begin_data(r, 0);
}

/* Hands the chunk's arrays over to a new table. */
static dojo_table *finish_chunk(rd *r)
{
    dojo_table *t = dojo_table_new();
    if (!t) {
        oom(r);
        return NULL;
    }
    size_t n = r->nrows, nv = n ? n : 1;
    for (size_t k = 0; k < r->nout; k++) {
        pcol *c = &r->cols[r->outmap[k]];
        dj_col d;
        memset(&d, 0, sizeof d);
        d.name = strdup(c->name);
        if (!d.name)
            goto nomem;
        if (c->kind == K_INT && !c->seen_value && !c->forced && !c->locked && n > 0) {
            /* no present value: the column is float */
            for (size_t i = 0; i < n; i++)
                c->vals[i].d = NAN;
            c->kind = K_FLOAT;
        } else if (c->kind == K_INT && !c->seen_value && !c->forced && !c->locked)
            c->kind = K_FLOAT;
        /* (an array that is a mapping is trimmed whatever rows_cap says: a merged split
           leaves rows_cap at its rows, and the first half's array may reach further) */
        if (c->missing && n > 0) {
            size_t cnt = 0;
            for (size_t i = 0; i < n; i++)
                cnt += c->missing[i];
            if (cnt) {
                d.missing = n < r->rows_cap || c->missing_map
                                ? arr_resize(c->missing, &c->missing_map, n, 0)
                                : c->missing;
                if (!d.missing)
                    d.missing = c->missing;
                d.missing_map = c->missing_map;
                d.nmissing = cnt;
            } else
                arr_free(c->missing, &c->missing_map);
        } else
            arr_free(c->missing, &c->missing_map);
        c->missing = NULL;
        c->missing_map = 0;
        if (c->kind == K_STR) {
            d.type = DOJO_TYPE_STRING;
            if (!c->offsets) {
                c->offsets = calloc(1, sizeof(int64_t));
                if (!c->offsets)
                    goto nomem_d;
            } else if (r->rows_cap > n || c->offsets_map) {
                int64_t *o = arr_resize(c->offsets, &c->offsets_map, (n + 1) * sizeof(int64_t), 0);
                if (o)
                    c->offsets = o;
            }
            size_t total = (size_t)c->offsets[n];
            if (!c->chars)
                c->chars = malloc(1);
            else if (c->chars_cap > total || c->chars_map) {
                char *s = arr_resize(c->chars, &c->chars_map, total ? total : 1, 0);
                if (s)
                    c->chars = s;
            }
            if (!c->chars)
                goto nomem_d;
            d.chars = c->chars;
            d.offsets = c->offsets;
            d.chars_map = c->chars_map;
            d.offsets_map = c->offsets_map;
        } else {
            if (!c->vals) {
                c->vals = calloc(1, sizeof(v8));
                if (!c->vals)
                    goto nomem_d;
            } else if (r->rows_cap > nv || c->vals_map) {
                v8 *v = arr_resize(c->vals, &c->vals_map, nv * sizeof(v8), 0);
                if (v)
                    c->vals = v;
            }
            d.vals_map = c->vals_map;
            if (c->kind == K_INT) {
                d.type = DOJO_TYPE_INT;
                d.ints = (int64_t *)(void *)c->vals;
            } else {
                d.type = DOJO_TYPE_FLOAT;
                d.floats = (double *)(void *)c->vals;
            }
        }
        c->vals = NULL;
        c->chars = NULL;
        c->offsets = NULL;
        c->vals_map = c->chars_map = c->offsets_map = 0;
        c->chars_cap = 0;
        c->seen_value = c->seen_text = 0;
        if (dj_table_adopt(t, &d, n, 0, r->err, r->errlen) < 0)
            goto fail;
        continue;
    nomem_d:
        dj_col_clear(&d);
    nomem:
        oom(r);
    fail:
        dojo_table_free(t);
        return NULL;
    }
    r->rows_cap = r->rows_ready = 0;
    return t;
}

/* The rows of bytes [from, to) of a whole plain file, estimated from the records in the
   buffer (its average record length), with a little to spare; 0 when the file is small or
   the buffer tells too little. Only the first allocation's size: an underestimate grows as
   usual, an overestimate costs address space, not memory (pages are mapped as rows come). */
static size_t estimate_rows(const rd *r, int64_t from, int64_t to)
{
    if (to - from < (int64_t)DJ_BIG_MIN || r->len <= r->pos)
        return 0;
    size_t lines = 0;
    for (const unsigned char *p = r->buf + r->pos, *e = r->buf + r->len;
         (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        lines++;
    if (lines < 64)
        return 0;
    double per = (double)(r->len - r->pos) / (double)lines;
    double est = (double)(to - from) / per * 1.03 + 4096;
    return est < 1e10 ? (size_t)est : 0;
}

/* ---- splitting a big file between two threads ----------------------------------------
 *
 * A whole plain file of at least SPLIT_MIN bytes is parsed by two threads when two
 * processors are online. The split point is the first line feed after the middle of the
 * file; a worker thread parses from there to the end with its own reader, buffer and
 * arrays, while the calling thread parses from the start and stops at the first record that
 * starts at or after the split point. The worker's result is used only when that record
 * starts exactly at the split point (so the split was not inside a quoted field), and when
 * neither side failed or needed a restart; otherwise the calling thread simply goes on
 * sequentially, which also gives every error its exact line number. The halves are merged
 * column by column: an int half meeting a float half is promoted, an all-missing half takes
 * the other's type, and a string half meeting numbers forces the usual restart. The arrays
 * of both halves are mappings of their own (see "arrays" above), and the merge moves the
 * second half's pages into the first half's array (mremap) at the first page boundary after
 * its data, then closes the gap of less than a page with one memmove in place (on two threads
 * when big): no fresh page is written, where a copy would write as many as the second half
 * holds, and each costs more than its copying (a page fault, zeroing, and the release of the
 * source page). Without Linux's mremap, or when it fails, the second half is copied into the
 * grown first array, its pages released as they are copied; either way memory stays near the
 * size of the data. */

#define SPLIT_MIN ((int64_t)32 << 20)

/* The smallest file split: SPLIT_MIN, or $DOJO_CSV_SPLIT_MIN bytes (tests use it to split
   small files; 0 disables splitting). */
static int64_t split_min(void)
{
    const char *e = getenv("DOJO_CSV_SPLIT_MIN");
    if (!e || !*e)
        return SPLIT_MIN;
    long long v = atoll(e);
    return v > 0 ? (int64_t)v : INT64_MAX;
}

typedef struct split {
    rd *w;
    pthread_t th;
    int ok;
    int cancel;
} split;

static void *split_worker(void *arg)
{
    split *sp = arg;
    rd *w = sp->w;
    if ((w->scatter && !(w->seen = seen_new(w->keys->nrows))) || fill(w) < 0)
        return NULL;
    for (;;) {
        if (__atomic_load_n(&sp->cancel, __ATOMIC_RELAXED))
            return NULL;
        int rc = parse_rows(w);
        if (rc == PR_EOF)
            break;
        if (rc != PR_MORE || fill(w) < 0)
            return NULL;
    }
    if (!w->scanning)
        sp->ok = 1;
    return NULL;
}

static void split_end(split *sp)
{
    __atomic_store_n(&sp->cancel, 1, __ATOMIC_RELAXED);
    pthread_join(sp->th, NULL);
    reader_destroy(sp->w);
    sp->w = NULL;
}

/* Starts a worker on the second half of the file when it is worth it. Returns 1 when a
   worker runs (r->stop_at is then set), 0 otherwise. */
static int split_start(rd *r, split *sp)
{
    memset(sp, 0, sizeof *sp);
    r->mapped = 0;
    if (!r->whole || r->nosplit || r->s.fd < 0 || !r->s.seekable || r->s.gz || r->scanning)
        return 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct stat st;
    if (ncpu < 2 || fstat(r->s.fd, &st) < 0 || st.st_size < split_min())
        return 0;
    int64_t here = r->buf_off + (int64_t)r->pos, mid = (int64_t)st.st_size / 2;
    if (mid <= here)
        return 0;
    unsigned char *probe = malloc(BLOCK);
    if (!probe)
        return 0;
    ssize_t n = pread(r->s.fd, probe, BLOCK, mid);
    unsigned char *nl = n > 0 ? memchr(probe, '\n', (size_t)n) : NULL;
    int64_t start = nl ? mid + (nl - probe) + 1 : -1;
    free(probe);
    if (start < 0 || start >= (int64_t)st.st_size)
        return 0;
    rd *w = calloc(1, sizeof *w);
    if (!w)
        return 0;
    *w = *r; /* the configuration; everything owned is replaced below */
    memset(&w->s, 0, sizeof w->s);
    w->s.fd = w->s.tee_fd = -1;
    w->shared = 1;
    w->mapped = r->scatter ? 0 : map_mode(); /* (scattering fills the parent's arrays) */
    w->seen = NULL;
    w->whole = 0;
    w->stop_at = -1;
    w->buf = NULL;
    w->scratch = w->numbuf = NULL;
    w->scratch_cap = w->numbuf_cap = 0;
    w->brow = NULL;
    w->bval = NULL;
    w->len = w->pos = 0;
    w->eof = 0;
    w->line = 1;
    w->buf_off = start;
    w->nrows = w->rows_cap = w->rows_ready = 0;
    w->row_limit = SIZE_MAX;
    w->rows_hint = estimate_rows(r, start, (int64_t)st.st_size);
    w->err = NULL;
    w->errlen = 0;
    w->cols = calloc(r->ncols, sizeof(pcol));
    w->cap = BLOCK;
    w->cap_max = r->max_record + BLOCK;
    w->buf = malloc(w->cap + PAD);
    if (!w->cols || !w->buf) {
        reader_destroy(w);
        return 0;
    }
    for (size_t j = 0; j < r->ncols; j++) {
        pcol *c = &w->cols[j], *p = &r->cols[j];
        c->name = p->name;
        c->out = p->out;
        c->kind = p->kind;
        c->forced = p->forced;
        c->forced_opt = p->forced_opt;
        if (r->scatter)
            c->vals = p->vals; /* both halves store into the same arrays */
    }
    w->seen_hi = 0; /* its bitmap is made by the worker, on its own thread */
    if (r->stream && stream_batch(w, r->stream, r->stream->ctx[1]) < 0) {
        reader_destroy(w);
        return 0;
    }
    if (src_open_file(&w->s, r->path, start, r->untrusted, r->max_file_bytes, NULL, 0) < 0) {
        reader_destroy(w);
        return 0;
    }
    sp->w = w;
    r->mapped = w->mapped;
    if (start_thread(&sp->th, split_worker, sp) != 0) {
        reader_destroy(w);
        sp->w = NULL;
        r->mapped = 0;
        return 0;
    }
    r->stop_at = start;
    r->mark_off = here;
    r->mark_rows = 0;
    r->stop_mismatch = 0;
    return 1;
}

/* Copies bytes from `from` to dst in pieces, releasing each copied piece of `from` (its whole
   pages) so that the two copies never coexist in memory. */
static void copy_release(void *dst, void *from, size_t bytes)
{
    const size_t piece = (size_t)8 << 20;
    size_t off = 0;
    while (off < bytes) {
        size_t k = bytes - off < piece ? bytes - off : piece;
        if (bytes >= piece)
            dj_populate(dst, off, off + k);
        memcpy((char *)dst + off, (char *)from + off, k);
        uintptr_t a = ((uintptr_t)from + off + 4095) & ~(uintptr_t)4095;
        uintptr_t e = ((uintptr_t)from + off + k) & ~(uintptr_t)4095;
        if (bytes >= piece && e > a)
            madvise((void *)a, e - a, MADV_DONTNEED);
        off += k;
    }
}

/* Gives half c of n rows the type kind t (an int half becoming float, or an all-missing
   half becoming string); mapped: a new array is a mapping. */
static int convert_half(pcol *c, size_t n, int t, int mapped)
{
    if (c->kind == t)
        return 0;
    if (c->kind == K_INT && t == K_FLOAT) {
        if (c->vals)
            promote(c, n);
        c->kind = K_FLOAT;
        return 0;
    }
    /* all missing (or no rows): an empty string column */
    arr_free(c->vals, &c->vals_map);
    c->vals = NULL;
    c->offsets = arr_zalloc((n + 1) * sizeof(int64_t), &c->offsets_map, mapped);
    if (!c->offsets)
        return -1;
    c->kind = K_STR;
    return 0;
}

/* The big moves of a merge, run by two threads: each job is cut in two. J_COPY copies
   `from` (the worker's array) to dst, releasing `from` as it goes. J_SHIFT moves bytes down
   within one array (dst below from, the ranges may overlap: a forward move); J_OFFSETS does
   the same with int64 string offsets, adding add to each. */
enum { J_COPY, J_SHIFT, J_OFFSETS };

typedef struct copy_job {
    int kind;
    void *dst, *from;
    size_t bytes;
    int64_t add;
    size_t cut;           /* the second part starts here */
    unsigned char *saved; /* a cut shift: from[cut - gap, cut), which the second part
                             overwrites, read before the parts start (gap = from - dst) */
} copy_job;

typedef struct copy_jobs {
    copy_job *v;
    size_t n, cap;
    size_t total;
} copy_jobs;

static int add_job(copy_jobs *jobs, int kind, void *dst, void *from, size_t bytes, int64_t add)
{
    if (jobs->n == jobs->cap) {
        void *p = jobs->v;
        if (dj_grow(&p, &jobs->cap, jobs->n + 1, sizeof(copy_job)) < 0)
            return -1;
        jobs->v = p;
    }
    jobs->v[jobs->n++] = (copy_job){kind, dst, from, bytes, add, 0, NULL};
    jobs->total += bytes;
    return 0;
}

/* A forward move of bytes from `from` down to dst (J_SHIFT or J_OFFSETS). */
static void shift_range(int kind, char *dst, const char *from, size_t bytes, int64_t add)
{
    if (kind == J_SHIFT) {
        memmove(dst, from, bytes);
        return;
    }
    size_t k = bytes / sizeof(int64_t);
    for (size_t i = 0; i < k; i++) { /* dst below from: each entry is read before written */
        int64_t v;
        memcpy(&v, from + i * sizeof v, sizeof v);
        v += add;
        memcpy(dst + i * sizeof v, &v, sizeof v);
    }
}

/* Cuts every job in two parts (two: for two threads); a cut shift saves the bytes where the
   parts meet. */
static void cut_jobs(copy_jobs *jobs, int two)
{
    for (size_t i = 0; i < jobs->n; i++) {
        copy_job *j = &jobs->v[i];
        if (j->kind == J_COPY) {
            j->cut = (j->bytes / 2) & ~(size_t)4095; /* whole pages stay whole on both sides */
            continue;
        }
        size_t gap = (size_t)((char *)j->from - (char *)j->dst);
        size_t cut = (j->bytes / 2) & ~(size_t)63;
        j->cut = 0; /* all in the second part */
        if (!two || cut < gap || cut == 0)
            continue;
        if (gap) {
            if (!(j->saved = malloc(gap)))
                continue;
            memcpy(j->saved, (char *)j->from + cut - gap, gap);
        }
        j->cut = cut;
    }
}

/* Runs the first (half == 0) or the second part of every job. The first part of a shift
   writes dst[0, cut - gap) from from[0, cut - gap) and the rest from the saved bytes; the
   second writes from dst[cut] on and reads from from[cut] on: neither reads what the other
   writes. */
static void run_copies(const copy_jobs *jobs, int half)
{
    for (size_t i = 0; i < jobs->n; i++) {
        const copy_job *j = &jobs->v[i];
        char *dst = j->dst, *from = j->from;
        size_t cut = j->cut;
        if (j->kind == J_COPY) {
            if (half == 0)
                copy_release(dst, from, cut);
            else
                copy_release(dst + cut, from + cut, j->bytes - cut);
        } else if (half == 1)
            shift_range(j->kind, dst + cut, from + cut, j->bytes - cut, j->add);
        else if (cut) {
            size_t gap = (size_t)(from - dst);
            shift_range(j->kind, dst, from, cut - gap, j->add);
            if (gap)
                shift_range(j->kind, dst + cut - gap, (char *)j->saved, gap, j->add);
        }
    }
}

static void *copy_worker(void *arg)
{
    run_copies(arg, 1);
    return NULL;
}

#define PARALLEL_COPY_MIN ((size_t)16 << 20) /* smaller merges copy on one thread */

/* Runs every job, on two threads when the moves are big and two processors are online:
   memory bandwidth is shared, but a copy's fresh pages fault on both processors at once. */
static void run_all_copies(copy_jobs *jobs)
{
    pthread_t th;
    int two = jobs->total >= PARALLEL_COPY_MIN && sysconf(_SC_NPROCESSORS_ONLN) >= 2;
    cut_jobs(jobs, two);
    if (two && start_thread(&th, copy_worker, (void *)jobs) == 0) {
        run_copies(jobs, 0);
        pthread_join(th, NULL);
    } else {
        run_copies(jobs, 0);
        run_copies(jobs, 1);
    }
    for (size_t i = 0; i < jobs->n; i++)
        free(jobs->v[i].saved);
}

/* Appends the bytes [skip, lb) of the worker's array *b (a mapping of *bmap bytes, or a
   malloc block when *bmap == 0; NULL: that many zero bytes) to the first la bytes of the
   array *a (*amap likewise; NULL: la zero bytes). The bytes are J_SHIFT bytes or J_OFFSETS
   offsets (each raised by add). When both are mappings and mode is 1, b's pages are moved
   (mremap) to the first page boundary of a at or after la, and a job moves them down to la
   within a: only pages that hold data already are touched, plus at most one. Otherwise a
   grows and a job copies b into it (today's merge, and the fallback when mremap fails).
   What b still holds is freed by the caller once the jobs ran. Returns 0, or -1 when out
   of memory. */
static int append_arr(void **a, size_t *amap, size_t la, void **b, size_t *bmap, size_t lb,
                      size_t skip, int kind, int64_t add, int mode, copy_jobs *jobs)
{
    size_t z = lb > skip ? lb - skip : 0, need = la + z;
    if (need == 0)
        need = sizeof(int64_t); /* at least one element */
    void *p;
    if (!*a) {
        size_t bytes = mode == 1 && *b && *bmap ? page_up(la) + page_up(lb) : need;
        if (!(p = arr_zalloc(bytes, amap, mode != 0)))
            return -1;
        *a = p;
    }
    if (!*b || z == 0) { /* only zeros (or nothing) to append */
        size_t keep = page_up(la), old = *amap;
        if (old && z) {
            size_t e = keep < need ? keep : need;
            memset((char *)*a + la, 0, e - la);
            if (old > keep && madvise((char *)*a + keep, old - keep, MADV_DONTNEED) < 0)
                memset((char *)*a + keep, 0, old - keep); /* (a locked mapping) */
        }
        if (!(p = arr_resize(*a, amap, need, 0)))
            return -1;
        *a = p;
        if (!old && z)
            memset((char *)*a + la, 0, z);
        return 0;
    }
#if HAVE_MOVE
    if (mode == 1 && *amap && *bmap) {
        size_t at = page_up(la), plb = page_up(lb);
        if (*bmap > plb) { /* pages mapped ahead past the worker's last row */
            munmap((char *)*b + plb, *bmap - plb);
            *bmap = plb;
        }
        if (*amap < at + plb) {
            if (!(p = arr_resize(*a, amap, at + plb, 0)))
                return -1;
            *a = p;
        }
        char *to = (char *)*a + at;
        if (mremap(*b, plb, plb, MREMAP_MAYMOVE | MREMAP_FIXED, to) == to) {
            *b = NULL;
            *bmap = 0;
            if (at + skip == la && add == 0)
                return 0;
            return add_job(jobs, kind, (char *)*a + la, to + skip, z, add);
        }
    }
#endif
    if (!(p = arr_resize(*a, amap, need, 0)))
        return -1;
    *a = p;
    if (kind == J_OFFSETS) { /* small next to the bytes: done here */
        shift_range(J_OFFSETS, (char *)*a + la, (char *)*b + skip, z, add);
        return 0;
    }
    return add_job(jobs, J_COPY, (char *)*a + la, (char *)*b + skip, z, 0);
}

/* Appends half b (n2 rows) to half a (n1 rows), both of kind kind: see append_arr; mode as
   in map_mode. */
static int concat_halves(pcol *a, size_t n1, pcol *b, size_t n2, int mode, copy_jobs *jobs)
{
    void *pa, *pb;
    int rc = 0;
    if (a->kind == K_STR) {
        size_t t1 = a->offsets && n1 ? (size_t)a->offsets[n1] : 0;
        size_t t2 = b->offsets && n2 ? (size_t)b->offsets[n2] : 0;
        pa = a->chars, pb = b->chars;
        rc = append_arr(&pa, &a->chars_map, t1, &pb, &b->chars_map, t2, 0, J_SHIFT, 0, mode,
                        jobs);
        a->chars = pa, b->chars = pb;
        if (rc < 0)
            return -1;
        a->chars_cap = t1 + t2 ? t1 + t2 : 1;
        pa = a->offsets, pb = b->offsets;
        rc = append_arr(&pa, &a->offsets_map, (n1 + 1) * sizeof(int64_t), &pb, &b->offsets_map,
                        (n2 + 1) * sizeof(int64_t), sizeof(int64_t), J_OFFSETS, (int64_t)t1,
                        mode, jobs);
        a->offsets = pa, b->offsets = pb;
    } else {
        pa = a->vals, pb = b->vals;
        rc = append_arr(&pa, &a->vals_map, n1 * sizeof(v8), &pb, &b->vals_map,
                        n2 * sizeof(v8), 0, J_SHIFT, 0, mode, jobs);
        a->vals = pa, b->vals = pb;
    }
    if (rc < 0)
        return -1;
    if (a->missing || b->missing) {
        pa = a->missing, pb = b->missing;
        rc = append_arr(&pa, &a->missing_map, n1, &pb, &b->missing_map, n2, 0, J_SHIFT, 0,
                        mode, jobs);
        a->missing = pa, b->missing = pb;
        if (rc < 0)
            return -1;
    }
    a->seen_value |= b->seen_value;
    a->seen_text |= b->seen_text;
    return 0;
}

/* The calling thread stopped at the split point: joins the worker and merges its half.
   Returns 1 when the whole file is done (merged, or a restart is due: r->scanning), 0 when
   the parse must go on sequentially, -1 on error. */
static int split_finish(rd *r, split *sp)
{
    pthread_join(sp->th, NULL);
    rd *w = sp->w;
    sp->w = NULL;
    r->stop_at = -1;
    if (!sp->ok || r->stop_mismatch || r->scanning) {
        reader_destroy(w);
        return 0;
    }
    size_t n1 = r->nrows, n2 = w->nrows;
    int conflict = 0;
    int *target = calloc(r->ncols ? r->ncols : 1, sizeof(int));
    if (!target) {
        reader_destroy(w);
        return oom(r);
    }
    for (size_t j = 0; j < r->ncols; j++) {
        pcol *a = &r->cols[j], *b = &w->cols[j];
        if (a->out < 0)
            continue;
        int ea = !a->seen_value && !a->forced, eb = !b->seen_value && !b->forced;
        int t;
        if (ea && eb)
            t = K_INT;
        else if (ea) {
            t = b->kind;
            if (t == K_STR && a->seen_text)
                conflict = a->to_string = 1;
        } else if (eb) {
            t = a->kind;
            if (t == K_STR && b->seen_text)
                conflict = a->to_string = 1;
        } else if (a->kind == b->kind)
            t = a->kind;
        else if (a->kind != K_STR && b->kind != K_STR)
            t = K_FLOAT;
        else {
            t = K_STR;
            conflict = a->to_string = 1;
        }
        target[j] = t;
    }
    if (conflict) { /* text met numbers across the halves: read again with strings */
        for (size_t j = 0; j < r->ncols; j++)
            if (r->cols[j].out >= 0 && w->cols[j].kind == K_STR)
                r->cols[j].to_string = 1;
        free(target);
        reader_destroy(w);
        begin_scanning(r);
        return 1;
    }
    copy_jobs jobs = {NULL, 0, 0, 0};
    for (size_t j = 0; j < r->ncols; j++) {
        pcol *a = &r->cols[j], *b = &w->cols[j];
        if (a->out < 0)
            continue;
        if (convert_half(a, n1, target[j], r->mapped != 0) < 0 ||
            convert_half(b, n2, target[j], w->mapped != 0) < 0 ||
            concat_halves(a, n1, b, n2, r->mapped, &jobs) < 0) {
            free(jobs.v);
            free(target);
            reader_destroy(w);
            return oom(r);
        }
    }
    run_all_copies(&jobs);
    free(jobs.v);
    for (size_t j = 0; j < r->ncols; j++)
        if (r->cols[j].out >= 0)
            free_storage(&w->cols[j]);
    free(target);
    r->nrows = r->rows_cap = r->rows_ready = n1 + n2;
    r->line += w->line - 1;
    r->eof = 1;
    r->pos = r->len = 0;
    reader_destroy(w);
    return 1;
}

/* Reads up to max_rows rows into a table. */
static dojo_table *read_chunk(rd *r, size_t max_rows)
{
    struct stat st;
    if (r->whole && r->s.fd >= 0 && r->s.seekable && !r->s.gz && fstat(r->s.fd, &st) == 0)
        r->rows_hint = estimate_rows(r, r->buf_off + (int64_t)r->pos, (int64_t)st.st_size);
    for (;;) {
        r->nrows = 0;
        r->rows_cap = r->rows_ready = 0;
        r->row_limit = max_rows;
        split sp;
        int splitting = split_start(r, &sp), rc;
        for (;;) {
            rc = parse_rows(r);
            if (rc == PR_STOP) {
                splitting = 0;
                int m = split_finish(r, &sp);
                if (m < 0)
                    return NULL;
                if (m > 0) {
                    rc = PR_EOF;
                    break;
                }
                continue;
            }
            if (rc == PR_ERR || (rc == PR_MORE && fill(r) < 0)) {
                if (splitting)
                    split_end(&sp);
                r->stop_at = -1;
                return NULL;
            }
            if (rc != PR_MORE)
                break;
        }
        if (splitting) { /* the data ended before the split point (it shrank) */
            split_end(&sp);
            r->stop_at = -1;
        }
        if (rc == PR_EOF)
            r->at_end = 1;
        if (!r->scanning)
            break;
        if (r->pass2 || r->typed) {
            dj_err(r->err, r->errlen, "internal error: the column types changed on the second "
                   "pass over the data");
            return NULL;
        }
        r->at_end = 0;
        if (restart(r) < 0)
            return NULL;
    }
    dojo_table *t = finish_chunk(r);
    if (!t)
        return NULL;
    if (!r->typed) {
        r->typed = 1;
        for (size_t j = 0; j < r->ncols; j++)
            r->cols[j].locked = 1;
        src_tee_stop(&r->s);
    }
    return t;
}

/* A whole file; nosplit keeps it on the calling thread. */
static dojo_table *read_whole(const char *path, const dojo_csv_options *opt, char *err,
                              size_t errlen, int nosplit)
{
    if (!path) {
        dj_err(err, errlen, "no path given");
        return NULL;
    }
    rd *r = reader_open(path, NULL, 0, opt, err, errlen);
    if (!r)
        return NULL;
    r->err = err;
    r->errlen = errlen;
    r->whole = 1;
    r->nosplit = nosplit;
    dojo_table *t = read_chunk(r, SIZE_MAX);
    reader_destroy(r);
    return t;
}

dojo_table *dojo_table_read_csv(const char *path, const dojo_csv_options *opt, char *err,
                                size_t errlen)
{
    return read_whole(path, opt, err, errlen, 0);
}

/* ---- two files at once ---------------------------------------------------------------
 *
 * dojo_table_read_csv2 reads two files (a grading's answers and submission) on two threads,
 * one file each and neither split: no merge copy, and each thread maps only its own arrays.
 * That pays when the files are of a similar size; when one is more than PAIR_RATIO times
 * the other (or a size is unknown, or one processor is online), the files are read one
 * after the other, each split as dojo_table_read_csv would. Either way each result and
 * error is exactly dojo_table_read_csv's for that file. */

#define PAIR_RATIO 4

typedef struct read_job {
    const char *path;
    const dojo_csv_options *opt;
    char *err;
    size_t errlen;
    dojo_table *t;
} read_job;

static void read_job_run(void *arg)
{
    read_job *j = arg;
    j->t = read_whole(j->path, j->opt, j->err, j->errlen, 1);
}

static int64_t file_size(const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    return (int64_t)st.st_size;
}

int dojo_table_read_csv2(const char *path1, const dojo_csv_options *opt1, const char *path2,
                         const dojo_csv_options *opt2, dojo_table **out1, dojo_table **out2,
                         char *err1, char *err2, size_t errlen)
{
    if (!out1 || !out2) {
        dj_err(err1, errlen, "no output given");
        dj_err(err2, errlen, "no output given");
        return -1;
    }
    *out1 = *out2 = NULL;
    int64_t s1 = file_size(path1), s2 = file_size(path2);
    int pair = dj_two_cpus() && s1 > 0 && s2 > 0 && s1 <= s2 * PAIR_RATIO &&
               s2 <= s1 * PAIR_RATIO;
    if (pair) {
        read_job a = {path1, opt1, err1, errlen, NULL}, b = {path2, opt2, err2, errlen, NULL};
        dj_run2(read_job_run, &b, read_job_run, &a);
        *out1 = a.t;
        *out2 = b.t;
    } else {
        *out1 = read_whole(path1, opt1, err1, errlen, 0);
        *out2 = read_whole(path2, opt2, err2, errlen, 0);
    }
    return *out1 && *out2 ? 0 : -1;
}

/* ---- a file aligned to an index --------------------------------------------------------
 *
 * dojo_table_read_csv_aligned reads a grading's submission straight into the answers' row
 * order: each record's first field is looked up in the answers' index as the record is
 * parsed (fast_rows in scatter mode), its other values are stored at the row found, and a
 * bitmap marks the rows filled. The submission's ids are never stored and no separate join
 * runs. Only the clean case is taken -- every record plain numbers, every key an int the
 * index holds, none repeated, every indexed row filled; anything else returns NULL and the
 * caller reads the file the ordinary way, which finds and words the problem. A big plain
 * file is parsed by two threads (split_start), each with its own bitmap; the bitmaps must
 * not overlap. */

typedef struct populate_job {
    v8 **arrays;
    size_t n, bytes;
    int half;
} populate_job;

static void populate_run(void *arg)
{
    populate_job *job = arg;
    size_t cut = (job->bytes / 2) & ~(size_t)4095;
    for (size_t i = 0; i < job->n; i++) {
        if (job->half)
            dj_populate(job->arrays[i], cut, job->bytes);
        else
            dj_populate(job->arrays[i], 0, cut);
    }
}

/* Opens path for a scattered read (aligned or streamed) over the index: the file must be
   the key column then columns forced to float, plain numbers, no NA values; NULL otherwise. */
static rd *scatter_open(const char *path, const dojo_csv_options *opt)
{
    if (!path)
        return NULL;
    char e[256];
    rd *r = reader_open(path, NULL, 0, opt, e, sizeof e);
    if (!r)
        return NULL;
    int fine = r->ncols >= 2 && r->nna == 0 && r->fastnum && r->delim != '\r';
    for (size_t j = 0; fine && j < r->ncols; j++) {
        const pcol *c = &r->cols[j];
        if (c->out != (int)j || (j == 0 ? c->kind != K_INT
                                         : c->kind != K_FLOAT || c->forced != DOJO_TYPE_FLOAT))
            fine = 0;
    }
    if (!fine) {
        reader_destroy(r);
        return NULL;
    }
    return r;
}

int dj_index_stream_keys(const dojo_index *x, dj_keymap *km)
{
    if (dj_index_keymap(x, km) < 0 || km->nrows == 0 || km->t->cols[km->col].nmissing > 0)
        return -1;
    return 0;
}

/* Parses the whole file in scatter mode (r->cols[j].vals set for an aligned read, r->stream
   for a streamed one), on two threads when it is big (split_start), each with its own
   bitmap of the rows filled; the bitmaps must not overlap. Returns 1 when every indexed row
   was filled exactly once by a clean record -- or, with prefix, when the rows filled are
   the first r->nrows of the keymap's -- else 0. */
static int scatter_read(rd *r, const dj_keymap *km, int prefix)
{
    size_t m = km->nrows;
    if (!(r->seen = seen_new(m)))
        return 0;
    r->scatter = 1;
    r->keys = km;
    r->whole = 1;
    r->row_limit = r->rows_cap = r->rows_ready = SIZE_MAX;
    split sp;
    int splitting = split_start(r, &sp), rc;
    for (;;) {
        rc = parse_rows(r);
        if (rc != PR_MORE)
            break;
        if (fill(r) < 0) {
            rc = PR_ERR;
            break;
        }
    }
    int ok = rc == PR_EOF;
    if (splitting) {
        ok = rc == PR_STOP && !r->stop_mismatch;
        if (!ok)
            __atomic_store_n(&sp.cancel, 1, __ATOMIC_RELAXED);
        pthread_join(sp.th, NULL);
        rd *w = sp.w;
        ok = ok && sp.ok;
        if (ok) { /* the two bitmaps joined up to the highest row either marked; no row in
                     both (one loop without an exit, which the compiler vectorises) */
            uint64_t *a = r->seen, both = 0;
            const uint64_t *b = w->seen;
            size_t hi = r->seen_hi > w->seen_hi ? r->seen_hi : w->seen_hi;
            for (size_t i = 0; i < (hi + 63) / 64; i++) {
                both |= a[i] & b[i];
                a[i] |= b[i];
            }
            ok = !both;
            r->seen_hi = hi;
        }
        r->nrows += w->nrows;
        reader_destroy(w);
    }
    if (prefix)
        return ok && r->nrows > 0 && r->seen_hi <= r->nrows; /* n distinct rows below n */
    return ok && r->nrows == m; /* distinct rows filled, as many as the index has: all */
}

dojo_table *dojo_table_read_csv_aligned(const char *path, const dojo_csv_options *opt,
                                        const dojo_index *x, char *err, size_t errlen)
{
    dj_keymap km;
    dj_err(err, errlen, "the file is not one this read takes");
    rd *r = dj_index_stream_keys(x, &km) < 0 ? NULL : scatter_open(path, opt);
    if (!r)
        return NULL;
    size_t m = km.nrows;
    char e[256];
    v8 **arrays = calloc(r->ncols, sizeof *arrays);
    dojo_table *t = NULL;
    if (!arrays)
        goto done;
    for (size_t j = 1; j < r->ncols; j++)
        if (!(r->cols[j].vals = arrays[j - 1] = dj_big_alloc(m * sizeof(v8))))
            goto done;
    populate_job pa = {arrays, r->ncols - 1, m * sizeof(v8), 0}, pb = pa;
    pb.half = 1;
    dj_run2(populate_run, &pb, populate_run, &pa);
    if (!scatter_read(r, &km, 0))
        goto done;
    t = dojo_table_new();
    for (size_t j = 1; t && j < r->ncols; j++) {
        dj_col c;
        memset(&c, 0, sizeof c);
        c.name = strdup(r->cols[j].name);
        c.type = DOJO_TYPE_FLOAT;
        c.floats = (double *)(void *)r->cols[j].vals;
        r->cols[j].vals = NULL;
        if (!c.name || dj_table_adopt(t, &c, m, 0, e, sizeof e) < 0) {
            dj_col_clear(&c);
            dojo_table_free(t);
            t = NULL;
        }
    }
    if (t && err && errlen)
        err[0] = '\0';
done:
    free(arrays);
    reader_destroy(r);
    return t;
}

int dj_csv_stream(const char *path, const dojo_csv_options *opt, const dj_keymap *km,
                  const dj_stream *st)
{
    rd *r = scatter_open(path, opt);
    if (!r)
        return 0;
    int ok = km->nrows > 0 && km->nrows < UINT32_MAX && stream_batch(r, st, st->ctx[0]) == 0;
    if (ok && st->begin) {
        const char **names = malloc((r->ncols - 1) * sizeof *names);
        for (size_t j = 1; names && j < r->ncols; j++)
            names[j - 1] = r->cols[j].name;
        ok = names && st->begin(st, names, r->ncols - 1) == 0;
        free(names);
    }
    ok = ok && scatter_read(r, km, st->filled != NULL);
    if (ok && st->filled)
        *st->filled = r->nrows;
    reader_destroy(r);
    return ok;
}

dojo_table *dojo_table_parse_csv(const void *data, size_t len, const dojo_csv_options *opt,
                                 char *err, size_t errlen)
{
    if (!data && len > 0) {
        dj_err(err, errlen, "no data given");
        return NULL;
    }
    rd *r = reader_open(NULL, data, len, opt, err, errlen);
    if (!r)
        return NULL;
    r->err = err;
    r->errlen = errlen;
    dojo_table *t = read_chunk(r, SIZE_MAX);
    reader_destroy(r);
    return t;
}

dojo_csv_reader *dojo_csv_reader_open(const char *path, const dojo_csv_options *opt, char *err,
                                      size_t errlen)
{
    if (!path) {
        dj_err(err, errlen, "no path given");
        return NULL;
    }
    return reader_open(path, NULL, 0, opt, err, errlen);
}

int dojo_csv_reader_next(dojo_csv_reader *r, size_t max_rows, dojo_table **out, char *err,
                         size_t errlen)
{
    if (out)
        *out = NULL;
    if (!r || !out)
        return dj_err(err, errlen, "no reader or no output given");
    if (r->failed)
        return dj_err(err, errlen, "the reader stopped at an earlier error");
    if (max_rows == 0)
        return dj_err(err, errlen, "max_rows must be at least 1");
    if (r->typed && r->at_end)
        return 0;
    r->err = err;
    r->errlen = errlen;
    dojo_table *t = read_chunk(r, max_rows);
    r->err = NULL;
    r->errlen = 0;
    if (!t) {
        r->failed = 1;
        return -1;
    }
    if (dojo_table_nrows(t) == 0 && r->at_end && r->nchunks > 0) {
        dojo_table_free(t);
        return 0;
    }
    r->nchunks++;
    *out = t;
    return 1;
}

int64_t dojo_csv_reader_offset(const dojo_csv_reader *r)
{
    if (!r)
        return 0;
    if (r->s.gz)
        return r->s.gt ? r->s.gz_off : r->s.raw_total - (int64_t)r->s.zs.avail_in;
    return r->s.delivered - (int64_t)(r->len - r->pos);
}

void dojo_csv_reader_free(dojo_csv_reader *r) { reader_destroy(r); }

/* ---- the writer --------------------------------------------------------------------- */

#define WCHUNK ((size_t)1 << 20)

typedef struct wr {
    char *buf;
    size_t len, cap;
    int mode; /* 0 memory, 1 file, 2 gzip file */
    dj_atomic a;
    z_stream zs;
    int zinit;
    unsigned char *zout;
    char *err;
    size_t errlen;
} wr;

static int w_sink(wr *w, const void *data, size_t n, int finish)
{
    if (w->mode == 1)
        return n ? dj_atomic_write(&w->a, data, n, w->err, w->errlen) : 0;
    z_stream *z = &w->zs;
    z->next_in = (Bytef *)(uintptr_t)data;
    z->avail_in = (uInt)n;
    for (;;) {
        z->next_out = w->zout;
        z->avail_out = (uInt)WCHUNK;
        int rc = deflate(z, finish ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR)
            return dj_err(w->err, w->errlen, "gzip compression failed");
        size_t have = WCHUNK - z->avail_out;
        if (have && dj_atomic_write(&w->a, w->zout, have, w->err, w->errlen) < 0)
            return -1;
        if (finish ? rc == Z_STREAM_END : (z->avail_out != 0 && z->avail_in == 0))
            return 0;
    }
}

static int w_flush(wr *w)
{
    if (w->mode == 0 || w->len == 0)
        return 0;
    size_t n = w->len;
    w->len = 0;
    return w_sink(w, w->buf, n, 0);
}

/* Makes room for n more bytes. */
static int w_room(wr *w, size_t n)
{
    if (w->len + n <= w->cap)
        return 0;
    if (w->mode != 0) {
        if (w_flush(w) < 0)
            return -1;
        if (n <= w->cap)
            return 0;
    }
    size_t ncap = w->cap ? w->cap : WCHUNK;
    while (ncap < w->len + n) {
        if (ncap > SIZE_MAX / 2)
            return dj_err(w->err, w->errlen, "out of memory");
        ncap *= 2;
    }
    char *b = realloc(w->buf, ncap);
    if (!b)
        return dj_err(w->err, w->errlen, "out of memory");
    w->buf = b;
    w->cap = ncap;
    return 0;
}

static const unsigned char needs_quote_byte[256] = {[','] = 1, ['"'] = 1, ['\r'] = 1,
                                                    ['\n'] = 1};

static int w_str(wr *w, const char *s, size_t n, int first)
{
    const unsigned char *u = (const unsigned char *)s;
    int q = n == 0 || u[0] == ' ' || u[0] == '\t' || u[n - 1] == ' ' || u[n - 1] == '\t' ||
            (first && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0);
    size_t nq = 0;
    for (size_t i = 0; i < n; i++) {
        if (needs_quote_byte[u[i]]) {
            q = 1;
            nq += u[i] == '"';
        }
    }
    if (w_room(w, n + nq + 2) < 0)
        return -1;
    char *o = w->buf + w->len;
    if (!q) {
        memcpy(o, s, n);
        w->len += n;
        return 0;
    }
    size_t k = 0;
    o[k++] = '"';
    if (!nq) {
        memcpy(o + k, s, n);
        k += n;
    } else {
        for (size_t i = 0; i < n; i++) {
            o[k++] = s[i];
            if (s[i] == '"')
                o[k++] = '"';
        }
    }
    o[k++] = '"';
    w->len += k;
    return 0;
}

static int write_table(wr *w, const dojo_table *t)
{
    if (t->ncols == 0)
        return 0;
    for (size_t j = 0; j < t->ncols; j++) {
        if (j) {
            if (w_room(w, 1) < 0)
                return -1;
            w->buf[w->len++] = ',';
        }
        if (w_str(w, t->cols[j].name, strlen(t->cols[j].name), j == 0) < 0)
            return -1;
    }
    if (w_room(w, 1) < 0)
        return -1;
    w->buf[w->len++] = '\n';
    for (size_t i = 0; i < t->nrows; i++) {
        for (size_t j = 0; j < t->ncols; j++) {
            const dj_col *c = &t->cols[j];
            if (w_room(w, 40) < 0)
                return -1;
            if (j)
                w->buf[w->len++] = ',';
            if (c->missing && c->missing[i])
                continue;
            if (c->type == DOJO_TYPE_INT)
                w->len += dj_fmt_int(w->buf + w->len, c->ints[i]);
            else if (c->type == DOJO_TYPE_FLOAT)
                w->len += dj_fmt_double(w->buf + w->len, c->floats[i]);
            else if (w_str(w, c->chars + c->offsets[i],
                           (size_t)(c->offsets[i + 1] - c->offsets[i]), 0) < 0)
                return -1;
        }
        if (w_room(w, 1) < 0)
            return -1;
        w->buf[w->len++] = '\n';
    }
    return 0;
}

int dojo_table_write_csv(const dojo_table *t, const char *path, char *err, size_t errlen)
{
    if (!t || !path)
        return dj_err(err, errlen, "no table or no path given");
    wr w;
    memset(&w, 0, sizeof w);
    w.err = err;
    w.errlen = errlen;
    size_t pl = strlen(path);
    w.mode = pl > 3 && strcmp(path + pl - 3, ".gz") == 0 ? 2 : 1;
    w.cap = WCHUNK;
    w.buf = malloc(w.cap);
    if (!w.buf)
        return dj_err(err, errlen, "out of memory");
    if (w.mode == 2) {
        w.zout = malloc(WCHUNK);
        if (!w.zout || deflateInit2(&w.zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                    Z_DEFAULT_STRATEGY) != Z_OK) {
            free(w.zout);
            free(w.buf);
            return dj_err(err, errlen, "cannot start gzip compression");
        }
        w.zinit = 1;
    }
    int rc = -1;
    if (dj_atomic_begin(&w.a, path, err, errlen) == 0) {
        if (write_table(&w, t) == 0 && w_flush(&w) == 0 &&
            (w.mode != 2 || w_sink(&w, NULL, 0, 1) == 0))
            rc = dj_atomic_commit(&w.a, err, errlen);
        else
            dj_atomic_abort(&w.a);
    }
    if (w.zinit)
        deflateEnd(&w.zs);
    free(w.zout);
    free(w.buf);
    return rc;
}

char *dojo_table_format_csv(const dojo_table *t, size_t *len, char *err, size_t errlen)
{
    if (len)
        *len = 0;
    if (!t) {
        dj_err(err, errlen, "no table given");
        return NULL;
    }
    wr w;
    memset(&w, 0, sizeof w);
    w.err = err;
    w.errlen = errlen;
    if (write_table(&w, t) < 0 || w_room(&w, 1) < 0) {
        free(w.buf);
        return NULL;
    }
    w.buf[w.len] = '\0';
    if (len)
        *len = w.len;
    return w.buf;
}
