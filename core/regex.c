/*
 * regex.c -- regular expressions: PCRE2 (8-bit code units) behind an opaque handle.
 *
 * Theory of operation: dojo_regex_compile() compiles a pattern once and asks PCRE2 for a
 * JIT-compiled version; when the JIT is unavailable (or refuses the pattern) the interpreter
 * is used, silently -- the results are the same. Each handle owns its match data (sized for
 * the pattern's groups) and a match context carrying the limits, so a match allocates
 * nothing; dojo_regex_match() copies the offsets out into the caller's array before it
 * returns, so a caller may match the same handle again while it still reads an earlier
 * result (a gsub callback that uses the regex it is called from).
 *
 * The subjects that dojo matches are other programs' output (tracebacks, logs), so a match
 * must end: the match limit (backtracking steps), the depth limit and the heap limit make a
 * catastrophic pattern such as (a+)+$ fail with "regular expression match limit exceeded"
 * instead of hanging. Under the JIT a too-small JIT stack is retried with the interpreter,
 * which has the heap limit instead.
 *
 * UTF mode (DOJO_REGEX_UTF) also sets PCRE2_MATCH_INVALID_UTF: a subject with invalid UTF-8
 * (a binary blob in a log) does not make the match fail; the invalid bytes just never
 * match, and no O(n) validity check runs at each call of a global scan.
 *
 * Global scans (gmatch, gsub, dojo_regex_substitute) follow Perl's and PCRE2's rule for
 * empty matches: after an empty match at p, the next match is searched from p with
 * DOJO_REGEX_NOTEMPTY_ATSTART (no empty match at p itself), so a scan always advances and an
 * empty match right after a non-empty one is found ("abc" with b* matches at 0, 1-2, 2, 3).
 *
 * Replacement templates (dojo_regex_substitute) use PCRE2's syntax: $0..$99 or ${n} for a
 * group by number, $name or ${name} by name, $$ for a dollar sign; an unset group expands to
 * nothing. The template is checked before any matching.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MATCH_LIMIT 10000000u    /* backtracking steps per match: ~30 ms under the JIT */
#define DEPTH_LIMIT 1000000u     /* nested backtracking frames */
#define HEAP_LIMIT_KIB 262144u   /* 256 MiB of backtracking frames (interpreter) */

struct dojo_regex {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    int ngroups;
    int jit;
    char **names;                /* ngroups + 1 entries, NULL for an unnamed group */
};

int dojo_regex_parse_flags(const char *flags, char *err, size_t errlen)
{
    int bits = 0;
    if (!flags)
        return 0;
    for (const char *p = flags; *p; p++) {
        switch (*p) {
        case 'i': bits |= DOJO_REGEX_CASELESS; break;
        case 'm': bits |= DOJO_REGEX_MULTILINE; break;
        case 's': bits |= DOJO_REGEX_DOTALL; break;
        case 'x': bits |= DOJO_REGEX_EXTENDED; break;
        case 'u': bits |= DOJO_REGEX_UTF | DOJO_REGEX_UCP; break;
        default:
            if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
                return dj_err(err, errlen,
                              "unknown regular expression flag '%c' (i, m, s, x, u)", *p);
            return dj_err(err, errlen,
                          "unknown regular expression flag byte 0x%02x (i, m, s, x, u)",
                          (unsigned char)*p);
        }
    }
    return bits;
}

static int pcre_error(char *err, size_t errlen, int code, const char *fmt_prefix)
{
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "PCRE2 error %d", code);
    return dj_err(err, errlen, "%s%s", fmt_prefix, (const char *)msg);
}

void dojo_regex_free(dojo_regex *re)
{
    if (!re)
        return;
    if (re->names) {
        for (int i = 0; i <= re->ngroups; i++)
            free(re->names[i]);
        free(re->names);
    }
    pcre2_match_context_free(re->mctx);
    pcre2_match_data_free(re->md);
    pcre2_code_free(re->code);
    free(re);
}

/* Copies the name table out of the compiled pattern: names[group] = name. */
static int load_names(dojo_regex *re)
{
    re->names = calloc((size_t)re->ngroups + 1, sizeof *re->names);
    if (!re->names)
        return -1;
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
    if (count == 0)
        return 0;
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * entry;
        int group = (e[0] << 8) | e[1];
        if (group < 0 || group > re->ngroups || re->names[group])
            continue; /* (?J) duplicates: the first name of a group wins */
        re->names[group] = strdup((const char *)e + 2);
        if (!re->names[group])
            return -1;
    }
    return 0;
}

dojo_regex *dojo_regex_compile(const char *pattern, size_t len, int flags, char *err, size_t errlen)
{
    if (!pattern) {
        dj_err(err, errlen, "no regular expression given");
        return NULL;
    }
    if (flags & ~(DOJO_REGEX_CASELESS | DOJO_REGEX_MULTILINE | DOJO_REGEX_DOTALL |
                  DOJO_REGEX_EXTENDED | DOJO_REGEX_UTF | DOJO_REGEX_UCP)) {
        dj_err(err, errlen, "unknown regular expression flag bits 0x%x", (unsigned)flags);
        return NULL;
    }
    uint32_t opts = 0;
    if (flags & DOJO_REGEX_CASELESS)
        opts |= PCRE2_CASELESS;
    if (flags & DOJO_REGEX_MULTILINE)
        opts |= PCRE2_MULTILINE;
    if (flags & DOJO_REGEX_DOTALL)
        opts |= PCRE2_DOTALL;
    if (flags & DOJO_REGEX_EXTENDED)
        opts |= PCRE2_EXTENDED;
    if (flags & DOJO_REGEX_UTF)
        opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (flags & DOJO_REGEX_UCP)
        opts |= PCRE2_UCP;

    dojo_regex *re = calloc(1, sizeof *re);
    if (!re) {
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    int code = 0;
    PCRE2_SIZE offset = 0;
    re->code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &code, &offset, NULL);
    if (!re->code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "PCRE2 error %d", code);
        dj_err(err, errlen, "bad regular expression at offset %zu: %s", (size_t)offset,
               (const char *)msg);
        free(re);
        return NULL;
    }
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    uint32_t captures = 0;
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &captures);
    re->ngroups = (int)captures;
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    re->mctx = pcre2_match_context_create(NULL);
    if (!re->md || !re->mctx || load_names(re) < 0) {
        dojo_regex_free(re);
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
    pcre2_set_heap_limit(re->mctx, HEAP_LIMIT_KIB);
    return re;
}

int dojo_regex_set_match_limit(dojo_regex *re, uint32_t limit)
{
    if (!re)
        return -1;
    pcre2_set_match_limit(re->mctx, limit ? limit : MATCH_LIMIT);
    return 0;
}

int dojo_regex_ngroups(const dojo_regex *re) { return re ? re->ngroups : -1; }

int dojo_regex_jit(const dojo_regex *re) { return re ? re->jit : 0; }

int dojo_regex_group_number(const dojo_regex *re, const char *name)
{
    if (!re || !name)
        return -1;
    for (int i = 1; i <= re->ngroups; i++)
        if (re->names[i] && strcmp(re->names[i], name) == 0)
            return i;
    return -1;
}

const char *dojo_regex_group_name(const dojo_regex *re, int group)
{
    if (!re || group < 1 || group > re->ngroups)
        return NULL;
    return re->names[group];
}

/* pcre2_match with the handle's limits; returns PCRE2's code. */
static int run(dojo_regex *re, const char *subject, size_t len, size_t start, uint32_t opts)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, start, opts, re->md, re->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, start, opts | PCRE2_NO_JIT, re->md,
                         re->mctx);
    return rc;
}

static int match_error(char *err, size_t errlen, int rc)
{
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
        return dj_err(err, errlen, "regular expression match limit exceeded");
    case PCRE2_ERROR_DEPTHLIMIT:
        return dj_err(err, errlen, "regular expression match limit exceeded (backtracking depth)");
    case PCRE2_ERROR_HEAPLIMIT:
        return dj_err(err, errlen, "regular expression match limit exceeded (memory)");
    case PCRE2_ERROR_NOMEMORY:
        return dj_err(err, errlen, "out of memory matching a regular expression");
    default:
        return pcre_error(err, errlen, rc, "regular expression match failed: ");
    }
}

int dojo_regex_match(dojo_regex *re, const char *subject, size_t len, size_t start, int options,
                     int64_t *ovector, size_t npairs, char *err, size_t errlen)
{
    if (!re || (!subject && len))
        return dj_err(err, errlen, "no regular expression or subject given");
    if (!subject)
        subject = "";
    for (size_t i = 0; i < 2 * npairs; i++)
        ovector[i] = -1;
    if (start > len)
        return 0;
    uint32_t opts = 0;
    if (options & DOJO_REGEX_ANCHORED)
        opts |= PCRE2_ANCHORED;
    if (options & DOJO_REGEX_NOTEMPTY_ATSTART)
        opts |= PCRE2_NOTEMPTY_ATSTART;
    int rc = run(re, subject, len, start, opts);
    if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
        return 0;
    if (rc < 0)
        return match_error(err, errlen, rc);
    if (rc == 0) /* the match data is sized for the pattern: cannot happen */
        rc = re->ngroups + 1;
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
    size_t n = (size_t)rc < npairs ? (size_t)rc : npairs;
    for (size_t i = 0; i < n; i++) {
        if (ov[2 * i] == PCRE2_UNSET)
            continue;
        ovector[2 * i] = (int64_t)ov[2 * i];
        ovector[2 * i + 1] = (int64_t)ov[2 * i + 1];
    }
    return rc;
}

/* ---- substitution ------------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static int put(buf *b, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    void *p = b->p;
    if (dj_grow(&p, &b->cap, b->len + n + 1, 1) < 0)
        return -1;
    b->p = p;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Expands the template for one match into out, or, with out NULL, only checks it.
   ov: the match's offsets (ngroups + 1 pairs, -1 unset). */
static int expand(const dojo_regex *re, const char *t, size_t tlen, const char *subject,
                  const int64_t *ov, buf *out, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < tlen) {
        size_t lit = i;
        while (i < tlen && t[i] != '$')
            i++;
        if (out && put(out, t + lit, i - lit) < 0)
            return dj_err(err, errlen, "out of memory");
        if (i >= tlen)
            break;
        size_t at = i++; /* the '$' */
        if (i >= tlen)
            return dj_err(err, errlen, "bad replacement at offset %zu: '$' at the end (write $$ "
                                       "for a dollar sign)", at);
        if (t[i] == '$') {
            if (out && put(out, "$", 1) < 0)
                return dj_err(err, errlen, "out of memory");
            i++;
            continue;
        }
        int braced = t[i] == '{';
        if (braced)
            i++;
        size_t ns = i;
        int numeric = i < tlen && t[i] >= '0' && t[i] <= '9';
        while (i < tlen && (numeric ? (t[i] >= '0' && t[i] <= '9') : is_word(t[i])))
            i++;
        size_t nlen = i - ns;
        if (nlen == 0)
            return dj_err(err, errlen, "bad replacement at offset %zu: '$' must be followed by a "
                                       "group number or name, or by $", at);
        if (braced) {
            if (i >= tlen || t[i] != '}')
                return dj_err(err, errlen, "bad replacement at offset %zu: missing '}'", at);
            i++;
        }
        int group = -1;
        if (numeric) {
            long g = 0;
            for (size_t k = ns; k < ns + nlen; k++)
                if (g < 100000)
                    g = g * 10 + (t[k] - '0');
            if (g > re->ngroups)
                return dj_err(err, errlen, "bad replacement at offset %zu: group %ld does not "
                                           "exist (the pattern has %d)", at, g, re->ngroups);
            group = (int)g;
        } else {
            char name[128];
            if (nlen >= sizeof name)
                return dj_err(err, errlen, "bad replacement at offset %zu: group name too long",
                              at);
            memcpy(name, t + ns, nlen);
            name[nlen] = '\0';
            group = dojo_regex_group_number(re, name);
            if (group < 0)
                return dj_err(err, errlen, "bad replacement at offset %zu: no group named '%s'", at,
                              name);
        }
        if (out && ov[2 * group] >= 0 &&
            put(out, subject + ov[2 * group], (size_t)(ov[2 * group + 1] - ov[2 * group])) < 0)
            return dj_err(err, errlen, "out of memory");
    }
    return 0;
}

char *dojo_regex_substitute(dojo_regex *re, const char *subject, size_t len, const char *repl,
                            size_t repl_len, int64_t max_count, size_t *out_len, size_t *count,
                            char *err, size_t errlen)
{
    if (out_len)
        *out_len = 0;
    if (count)
        *count = 0;
    if (!re || (!subject && len) || (!repl && repl_len)) {
        dj_err(err, errlen, "no regular expression, subject or replacement given");
        return NULL;
    }
    if (!subject)
        subject = "";
    if (!repl)
        repl = "";
    if (expand(re, repl, repl_len, NULL, NULL, NULL, err, errlen) < 0)
        return NULL;
    size_t npairs = (size_t)re->ngroups + 1;
    int64_t *ov = malloc(2 * npairs * sizeof *ov);
    buf out = {malloc(len + 1), 0, len + 1};
    if (!ov || !out.p) {
        free(ov);
        free(out.p);
        dj_err(err, errlen, "out of memory");
        return NULL;
    }
    size_t pos = 0, copied = 0, n = 0;
    int notempty = 0;
    while (max_count < 0 || (int64_t)n < max_count) {
        int rc = dojo_regex_match(re, subject, len, pos, notempty ? DOJO_REGEX_NOTEMPTY_ATSTART : 0,
                                  ov, npairs, err, errlen);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            break;
        size_t s = (size_t)ov[0], e = (size_t)ov[1];
        if (e < pos || (notempty && s == e && e == pos))
            break; /* no progress possible (\K tricks): stop rather than loop */
        if (s < copied)
            s = copied;
        if (put(&out, subject + copied, s - copied) < 0 ||
            expand(re, repl, repl_len, subject, ov, &out, err, errlen) < 0) {
            dj_err(err, errlen, "out of memory");
            goto fail;
        }
        copied = e > copied ? e : copied;
        n++;
        notempty = ov[0] == ov[1];
        pos = e;
    }
    if (put(&out, subject + copied, len - copied) < 0) {
        dj_err(err, errlen, "out of memory");
        goto fail;
    }
    free(ov);
    out.p[out.len] = '\0';
    if (out_len)
        *out_len = out.len;
    if (count)
        *count = n;
    return out.p;
fail:
    free(ov);
    free(out.p);
    return NULL;
}
