/* test_regex.c -- PCRE2 regular expressions: compile, match, groups, limits, substitution. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dojo.h"
#include "harness.h"

static dojo_regex *compile(const char *pattern, const char *flags, char *err, size_t errlen)
{
    int bits = dojo_regex_parse_flags(flags, err, errlen);
    if (bits < 0)
        return NULL;
    return dojo_regex_compile(pattern, strlen(pattern), bits, err, errlen);
}

/* The text of group g of the last match, or "<unset>". */
static const char *group(const char *subject, const int64_t *ov, int g)
{
    static char ring[4][256];
    static int next;
    char *out = ring[next++ % 4];
    if (ov[2 * g] < 0)
        return "<unset>";
    snprintf(out, 256, "%.*s", (int)(ov[2 * g + 1] - ov[2 * g]), subject + ov[2 * g]);
    return out;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void test_regex(void)
{
    char err[512];
    int64_t ov[20];

    dj_test_begin("regex: flags parse into bits; an unknown letter is named");
    CHECK(dojo_regex_parse_flags(NULL, err, sizeof err) == 0, "NULL flags");
    CHECK(dojo_regex_parse_flags("", err, sizeof err) == 0, "empty flags");
    CHECK(dojo_regex_parse_flags("imsx", err, sizeof err) ==
              (DOJO_REGEX_CASELESS | DOJO_REGEX_MULTILINE | DOJO_REGEX_DOTALL | DOJO_REGEX_EXTENDED),
          "imsx");
    CHECK(dojo_regex_parse_flags("u", err, sizeof err) == (DOJO_REGEX_UTF | DOJO_REGEX_UCP), "u");
    CHECK(dojo_regex_parse_flags("iq", err, sizeof err) == -1, "q accepted");
    CHECK(strcmp(err, "unknown regular expression flag 'q' (i, m, s, x, u)") == 0, "message: %s", err);
    dj_test_end();

    dj_test_begin("regex: compile and match, whole match and groups, 0-based byte offsets");
    dojo_regex *re = compile("(\\w+)@(\\w+)\\.com", "", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        const char *s = "mail bob@example.com now";
        CHECK(dojo_regex_ngroups(re) == 2, "ngroups %d", dojo_regex_ngroups(re));
        int rc = dojo_regex_match(re, s, strlen(s), 0, 0, ov, 3, err, sizeof err);
        CHECK(rc == 3, "rc %d (%s)", rc, err);
        CHECK(ov[0] == 5 && ov[1] == 20, "whole %lld..%lld", (long long)ov[0], (long long)ov[1]);
        CHECK(strcmp(group(s, ov, 1), "bob") == 0 && strcmp(group(s, ov, 2), "example") == 0,
              "groups %s %s", group(s, ov, 1), group(s, ov, 2));
        CHECK(dojo_regex_match(re, s, strlen(s), 6, 0, ov, 3, err, sizeof err) == 3 && ov[0] == 6,
              "from offset 6: %lld", (long long)ov[0]);
        CHECK(dojo_regex_match(re, s, strlen(s), 21, 0, ov, 3, err, sizeof err) == 0, "no match");
        CHECK(ov[0] == -1 && ov[5] == -1, "no match leaves -1");
        CHECK(dojo_regex_match(re, s, strlen(s), 999, 0, ov, 3, err, sizeof err) == 0,
              "start beyond the end");
        /* fewer pairs than groups: only those are filled */
        ov[2] = 42;
        CHECK(dojo_regex_match(re, s, strlen(s), 0, 0, ov, 1, err, sizeof err) == 3 && ov[0] == 5,
              "one pair");
        CHECK(ov[2] == 42, "wrote past npairs");
        CHECK(dojo_regex_match(re, s, strlen(s), 0, DOJO_REGEX_ANCHORED, ov, 3, err, sizeof err) == 0,
              "anchored at 0 must not match");
        CHECK(dojo_regex_jit(re) == 0 || dojo_regex_jit(re) == 1, "jit flag");
    }
    dojo_regex_free(re);
    dojo_regex_free(NULL);
    dj_test_end();

    dj_test_begin("regex: optional groups that do not take part read -1; the count is 1 + highest set");
    re = compile("(a)|(b)(c)?", "", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        int rc = dojo_regex_match(re, "a", 1, 0, 0, ov, 4, err, sizeof err);
        CHECK(rc == 2 && ov[2] == 0 && ov[4] == -1 && ov[6] == -1, "a: rc %d", rc);
        rc = dojo_regex_match(re, "b", 1, 0, 0, ov, 4, err, sizeof err);
        CHECK(rc == 3 && ov[2] == -1 && ov[4] == 0 && ov[6] == -1, "b: rc %d", rc);
        rc = dojo_regex_match(re, "bc", 2, 0, 0, ov, 4, err, sizeof err);
        CHECK(rc == 4 && ov[6] == 1 && ov[7] == 2, "bc: rc %d", rc);
    }
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: named groups: number by name, name by number");
    re = compile("(?<exc>\\w+Error): (?<msg>.*)|(x)", "", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        CHECK(dojo_regex_ngroups(re) == 3, "ngroups");
        CHECK(dojo_regex_group_number(re, "exc") == 1 && dojo_regex_group_number(re, "msg") == 2,
              "numbers");
        CHECK(dojo_regex_group_number(re, "nope") == -1, "unknown name");
        CHECK(dojo_regex_group_name(re, 1) && strcmp(dojo_regex_group_name(re, 1), "exc") == 0, "name 1");
        CHECK(dojo_regex_group_name(re, 3) == NULL && dojo_regex_group_name(re, 0) == NULL &&
                  dojo_regex_group_name(re, 4) == NULL, "unnamed/out of range");
        const char *s = "KeyError: 'SalePrice'";
        CHECK(dojo_regex_match(re, s, strlen(s), 0, 0, ov, 4, err, sizeof err) == 3, "match");
        CHECK(strcmp(group(s, ov, 1), "KeyError") == 0 && strcmp(group(s, ov, 2), "'SalePrice'") == 0,
              "groups %s / %s", group(s, ov, 1), group(s, ov, 2));
    }
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: realistic: the module of a ModuleNotFoundError, the column of a KeyError");
    re = compile("No module named '([\\w.]+)'", "", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        const char *s = "Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                        "    import lightgbm as lgb\nModuleNotFoundError: No module named 'lightgbm'\n";
        CHECK(dojo_regex_match(re, s, strlen(s), 0, 0, ov, 2, err, sizeof err) == 2, "match");
        CHECK(strcmp(group(s, ov, 1), "lightgbm") == 0, "module %s", group(s, ov, 1));
    }
    dojo_regex_free(re);
    re = compile("^KeyError: ['\"](.+?)['\"]$", "m", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        const char *s = "  File \"pandas/core/indexes/base.py\", line 3653\nKeyError: 'SalePrice'\n";
        CHECK(dojo_regex_match(re, s, strlen(s), 0, 0, ov, 2, err, sizeof err) == 2, "match");
        CHECK(strcmp(group(s, ov, 1), "SalePrice") == 0, "column %s", group(s, ov, 1));
    }
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: caseless, multiline, dotall and extended flags");
    re = compile("error", "i", err, sizeof err);
    CHECK(re && dojo_regex_match(re, "An ERROR here", 13, 0, 0, ov, 1, err, sizeof err) == 1 &&
              ov[0] == 3, "caseless");
    dojo_regex_free(re);
    re = compile("^b$", "", err, sizeof err);
    CHECK(re && dojo_regex_match(re, "a\nb\nc", 5, 0, 0, ov, 1, err, sizeof err) == 0, "no m");
    dojo_regex_free(re);
    re = compile("^b$", "m", err, sizeof err);
    CHECK(re && dojo_regex_match(re, "a\nb\nc", 5, 0, 0, ov, 1, err, sizeof err) == 1 && ov[0] == 2,
          "m");
    dojo_regex_free(re);
    re = compile("a.b", "s", err, sizeof err);
    CHECK(re && dojo_regex_match(re, "a\nb", 3, 0, 0, ov, 1, err, sizeof err) == 1, "s");
    dojo_regex_free(re);
    re = compile(" a  b # comment", "x", err, sizeof err);
    CHECK(re && dojo_regex_match(re, "xab", 3, 0, 0, ov, 1, err, sizeof err) == 1 && ov[0] == 1, "x");
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: UTF-8 mode counts characters; invalid UTF-8 in a subject does not fail");
    const char *cafe = "caf\xc3\xa9 na\xc3\xafve";
    re = compile("^\\w{4}$", "", err, sizeof err); /* bytes: \w is ASCII only */
    CHECK(re && dojo_regex_match(re, "caf\xc3\xa9", 5, 0, 0, ov, 1, err, sizeof err) == 0, "bytes");
    dojo_regex_free(re);
    re = compile("^\\w{4}$", "u", err, sizeof err);
    CHECK(re && dojo_regex_match(re, "caf\xc3\xa9", 5, 0, 0, ov, 1, err, sizeof err) == 1 && ov[1] == 5,
          "utf: %s", err);
    dojo_regex_free(re);
    re = compile("na.ve", "u", err, sizeof err);
    CHECK(re && dojo_regex_match(re, cafe, strlen(cafe), 0, 0, ov, 1, err, sizeof err) == 1 &&
              ov[0] == 6 && ov[1] == 12, "one character for \xc3\xaf");
    dojo_regex_free(re);
    re = compile("na.ve", "", err, sizeof err);
    CHECK(re && dojo_regex_match(re, cafe, strlen(cafe), 0, 0, ov, 1, err, sizeof err) == 0,
          "two bytes for \xc3\xaf without u");
    dojo_regex_free(re);
    re = compile("\xc3\x89T\xc3\x89", "iu", err, sizeof err); /* ÉTÉ caseless matches été */
    CHECK(re && dojo_regex_match(re, "l'\xc3\xa9t\xc3\xa9", 8, 0, 0, ov, 1, err, sizeof err) == 1 &&
              ov[0] == 2, "caseless UTF-8");
    dojo_regex_free(re);
    re = compile("\\w+", "u", err, sizeof err);
    const char *bad = "\xff\xfe" "caf\xc3\xa9";
    CHECK(re && dojo_regex_match(re, bad, strlen(bad), 0, 0, ov, 1, err, sizeof err) == 1 && ov[0] == 2 &&
              ov[1] == 7, "invalid bytes skipped: %s", err);
    dojo_regex_free(re);
    re = compile("caf\xc3", "u", err, sizeof err);
    CHECK(re == NULL && strstr(err, "bad regular expression at offset") != NULL &&
              strstr(err, "UTF-8") != NULL, "invalid UTF-8 pattern: %s", err);
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: a bad pattern gives one sentence with the offset");
    re = compile("a(b", "", err, sizeof err);
    CHECK(re == NULL, "compiled");
    CHECK(strcmp(err, "bad regular expression at offset 3: missing closing parenthesis") == 0,
          "message: %s", err);
    re = compile("x{2,1}", "", err, sizeof err);
    CHECK(re == NULL && strncmp(err, "bad regular expression at offset ", 33) == 0, "message: %s", err);
    re = dojo_regex_compile(NULL, 0, 0, err, sizeof err);
    CHECK(re == NULL && strcmp(err, "no regular expression given") == 0, "NULL: %s", err);
    re = dojo_regex_compile("a", 1, 1 << 20, err, sizeof err);
    CHECK(re == NULL && strstr(err, "unknown regular expression flag bits") != NULL, "bits: %s", err);
    dj_test_end();

    dj_test_begin("regex: patterns and subjects may contain NUL bytes");
    re = dojo_regex_compile("a\0b", 3, 0, err, sizeof err);
    CHECK(re && dojo_regex_match(re, "xa\0b", 4, 0, 0, ov, 1, err, sizeof err) == 1 && ov[0] == 1 &&
              ov[1] == 4, "NUL");
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: a catastrophic pattern hits the match limit instead of hanging");
    re = compile("(a+)+$", "", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        char s[64];
        memset(s, 'a', 40);
        s[40] = 'b';
        double t0 = now();
        int rc = dojo_regex_match(re, s, 41, 0, 0, ov, 2, err, sizeof err);
        double dt = now() - t0;
        CHECK(rc == -1, "rc %d", rc);
        CHECK(strcmp(err, "regular expression match limit exceeded") == 0, "message: %s", err);
        CHECK(dt < 10, "took %.1f s", dt);
        CHECK(dojo_regex_set_match_limit(re, 1000) == 0, "set limit");
        CHECK(dojo_regex_match(re, s + 20, 21, 0, 0, ov, 2, err, sizeof err) == -1 &&
                  strstr(err, "limit exceeded") != NULL, "low limit: %s", err);
        CHECK(dojo_regex_set_match_limit(re, 0) == 0, "reset limit");
        CHECK(dojo_regex_match(re, s, 40, 0, 0, ov, 2, err, sizeof err) == 2, "a matching subject");
    }
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: a long repeated group (JIT stack overflow) still matches");
    re = compile("(x|y)*z", "", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        size_t n = 200000;
        char *s = malloc(n + 1);
        memset(s, 'x', n);
        s[n] = 'z';
        int rc = dojo_regex_match(re, s, n + 1, 0, 0, ov, 2, err, sizeof err);
        CHECK(rc == 2 && ov[0] == 0 && ov[1] == (int64_t)n + 1, "rc %d: %s", rc, rc < 0 ? err : "");
        free(s);
    }
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: NOTEMPTY_ATSTART moves a global scan past an empty match");
    re = compile("b*", "", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        /* Perl's rule: "abc" =~ /b*\/g matches at 0 (empty), 1-2, 2 (empty), 3 (empty) */
        int64_t want[] = {0, 0, 1, 2, 2, 2, 3, 3};
        size_t pos = 0, k = 0;
        int notempty = 0;
        for (;;) {
            int rc = dojo_regex_match(re, "abc", 3, pos, notempty ? DOJO_REGEX_NOTEMPTY_ATSTART : 0, ov,
                                      1, err, sizeof err);
            if (rc <= 0)
                break;
            CHECK(k < 8 && ov[0] == want[k] && ov[1] == want[k + 1], "match %zu: %lld..%lld", k / 2,
                  (long long)ov[0], (long long)ov[1]);
            k += 2;
            notempty = ov[0] == ov[1];
            pos = (size_t)ov[1];
            if (k > 8)
                break;
        }
        CHECK(k == 8, "%zu matches", k / 2);
    }
    dojo_regex_free(re);
    dj_test_end();

    dj_test_begin("regex: substitute with $n, ${name}, $$ templates, all or the first n matches");
    re = compile("(?<key>\\w+)=(\\d+)", "", err, sizeof err);
    CHECK(re != NULL, "compile: %s", err);
    if (re) {
        const char *s = "a=1, b=22, c=x";
        size_t n = 0, count = 0;
        char *out = dojo_regex_substitute(re, s, strlen(s), "$2:${key}:$$", 12, -1, &n, &count, err,
                                          sizeof err);
        CHECK(out && strcmp(out, "1:a:$, 22:b:$, c=x") == 0 && n == strlen(out) && count == 2,
              "all: %s (%zu)", out ? out : err, count);
        dojo_free(out);
        out = dojo_regex_substitute(re, s, strlen(s), "[$0]", 4, 1, &n, &count, err, sizeof err);
        CHECK(out && strcmp(out, "[a=1], b=22, c=x") == 0 && count == 1, "first: %s", out ? out : err);
        dojo_free(out);
        out = dojo_regex_substitute(re, s, strlen(s), "$1", 2, 0, &n, &count, err, sizeof err);
        CHECK(out && strcmp(out, s) == 0 && count == 0, "none: %s", out ? out : err);
        dojo_free(out);
        out = dojo_regex_substitute(re, "", 0, "$1", 2, -1, &n, &count, err, sizeof err);
        CHECK(out && n == 0 && out[0] == '\0' && count == 0, "empty subject");
        dojo_free(out);
        out = dojo_regex_substitute(re, s, strlen(s), "$3", 2, -1, &n, &count, err, sizeof err);
        CHECK(out == NULL && strcmp(err, "bad replacement at offset 0: group 3 does not exist "
                                         "(the pattern has 2)") == 0, "bad group: %s", err);
        out = dojo_regex_substitute(re, s, strlen(s), "x${nope}", 8, -1, &n, &count, err, sizeof err);
        CHECK(out == NULL && strcmp(err, "bad replacement at offset 1: no group named 'nope'") == 0,
              "bad name: %s", err);
        out = dojo_regex_substitute(re, s, strlen(s), "${1", 3, -1, &n, &count, err, sizeof err);
        CHECK(out == NULL && strstr(err, "missing '}'") != NULL, "brace: %s", err);
        out = dojo_regex_substitute(re, s, strlen(s), "50$", 3, -1, &n, &count, err, sizeof err);
        CHECK(out == NULL && strstr(err, "at offset 2") != NULL, "dangling $: %s", err);
        out = dojo_regex_substitute(re, s, strlen(s), "$1st", 4, -1, &n, &count, err, sizeof err);
        CHECK(out && strcmp(out, "ast, bst, c=x") == 0, "$1 then text: %s", out ? out : err);
        dojo_free(out);
    }
    dojo_regex_free(re);
    re = compile("b*", "", err, sizeof err);
    if (re) {
        size_t n = 0, count = 0;
        char *out = dojo_regex_substitute(re, "abc", 3, "-", 1, -1, &n, &count, err, sizeof err);
        CHECK(out && strcmp(out, "-a--c-") == 0 && count == 4, "empty matches: %s", out ? out : err);
        dojo_free(out);
    }
    dojo_regex_free(re);
    re = compile("(x)?y", "", err, sizeof err);
    if (re) {
        size_t n = 0, count = 0;
        char *out = dojo_regex_substitute(re, "y xy", 4, "<$1>", 4, -1, &n, &count, err, sizeof err);
        CHECK(out && strcmp(out, "<> <x>") == 0, "unset group is empty: %s", out ? out : err);
        dojo_free(out);
    }
    dojo_regex_free(re);
    re = compile("(a+)+$", "", err, sizeof err);
    if (re) {
        size_t n = 0, count = 0;
        const char *s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
        char *out = dojo_regex_substitute(re, s, strlen(s), "", 0, -1, &n, &count, err, sizeof err);
        CHECK(out == NULL && strcmp(err, "regular expression match limit exceeded") == 0,
              "limit: %s", err);
    }
    dojo_regex_free(re);
    dj_test_end();
}
