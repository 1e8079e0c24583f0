/*
 * parity_driver.c -- computes dojo's value for every case of a parity case file, in one
 * process, for tests/parity/gen_and_check.py to compare with scikit-learn / scipy.
 *
 *   parity_driver CASES.bin RESULTS.txt
 *
 * CASES.bin (little-endian): "DJPC", u32 version (1), u32 case count, then per case:
 *   u32 id, u32 kind (dojo_metric_kind), u16 name length, name bytes,
 *   u64 n, u64 k, u8 has_weights,
 *   f64 eps, i64 k, i64 pos_label, i64 nclasses, i32 average, i32 renormalize,
 *   i64 height, i64 width, f64 zero_division,
 *   then by kind:
 *     NUMERIC: f64 y[n*k], f64 p[n*k]
 *     LABELS:  i64 y[n], i64 p[n]
 *     PROBA:   i64 y[n], f64 P[n*k]
 *     TEXT:    i64 yoffs[n+1], u64 ylen, ylen bytes, i64 poffs[n+1], u64 plen, plen bytes
 *   and f64 w[n] when has_weights.
 * RESULTS.txt: one line per case, "ID ok HEXFLOAT" or "ID err MESSAGE".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dojo.h"

static const unsigned char *cur, *end;

static void need(size_t len)
{
    if ((size_t)(end - cur) < len) {
        fprintf(stderr, "parity_driver: truncated case file\n");
        exit(2);
    }
}

static void get(void *dst, size_t len)
{
    need(len);
    memcpy(dst, cur, len);
    cur += len;
}

static uint64_t get_u64(void)
{
    uint64_t v;
    get(&v, 8);
    return v;
}

/* A pointer into the mapped file (copied when misaligned). */
static const void *take(size_t len, size_t align, void **owned)
{
    need(len);
    const void *p = cur;
    *owned = NULL;
    if (((uintptr_t)cur % align) != 0) {
        *owned = malloc(len ? len : 1);
        memcpy(*owned, cur, len);
        p = *owned;
    }
    cur += len;
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: parity_driver CASES.bin RESULTS.txt\n");
        return 2;
    }
    char err[512];
    size_t flen;
    char *data = dojo_file_read(argv[1], 0, &flen, err, sizeof err);
    if (!data) {
        fprintf(stderr, "parity_driver: %s\n", err);
        return 2;
    }
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        perror(argv[2]);
        return 2;
    }
    cur = (const unsigned char *)data;
    end = cur + flen;
    char magic[4];
    uint32_t version, ncases;
    get(magic, 4);
    get(&version, 4);
    get(&ncases, 4);
    if (memcmp(magic, "DJPC", 4) != 0 || version != 1) {
        fprintf(stderr, "parity_driver: not a version 1 case file\n");
        return 2;
    }
    for (uint32_t c = 0; c < ncases; c++) {
        uint32_t id, kind;
        uint16_t nlen;
        char name[128];
        get(&id, 4);
        get(&kind, 4);
        get(&nlen, 2);
        if (nlen >= sizeof name) {
            fprintf(stderr, "parity_driver: metric name too long\n");
            return 2;
        }
        get(name, nlen);
        name[nlen] = 0;
        size_t n = (size_t)get_u64(), k = (size_t)get_u64();
        uint8_t hasw;
        get(&hasw, 1);
        dojo_metric_params prm;
        dojo_metric_params_init(&prm);
        get(&prm.eps, 8);
        get(&prm.k, 8);
        get(&prm.pos_label, 8);
        get(&prm.nclasses, 8);
        get(&prm.average, 4);
        get(&prm.renormalize, 4);
        get(&prm.height, 8);
        get(&prm.width, 8);
        get(&prm.zero_division, 8);
        void *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *o5 = NULL;
        double value = 0;
        int rc = -1;
        err[0] = 0;
        if (kind == DOJO_METRIC_NUMERIC) {
            const double *y = take(n * k * 8, 8, &o1), *p = take(n * k * 8, 8, &o2);
            const double *w = hasw ? take(n * 8, 8, &o3) : NULL;
            rc = dojo_metric_numeric(name, y, p, w, n, k, &prm, &value, err, sizeof err);
        } else if (kind == DOJO_METRIC_LABELS) {
            const int64_t *y = take(n * 8, 8, &o1), *p = take(n * 8, 8, &o2);
            const double *w = hasw ? take(n * 8, 8, &o3) : NULL;
            rc = dojo_metric_labels(name, y, p, w, n, &prm, &value, err, sizeof err);
        } else if (kind == DOJO_METRIC_PROBA) {
            const int64_t *y = take(n * 8, 8, &o1);
            const double *P = take(n * k * 8, 8, &o2);
            const double *w = hasw ? take(n * 8, 8, &o3) : NULL;
            rc = dojo_metric_proba(name, y, P, w, n, k, &prm, &value, err, sizeof err);
        } else if (kind == DOJO_METRIC_TEXT) {
            const int64_t *yo = take((n + 1) * 8, 8, &o1);
            size_t yl = (size_t)get_u64();
            const char *yd = take(yl, 1, &o4);
            const int64_t *po = take((n + 1) * 8, 8, &o2);
            size_t pl = (size_t)get_u64();
            const char *pd = take(pl, 1, &o5);
            rc = dojo_metric_text(name, yd, yo, pd, po, n, &prm, &value, err, sizeof err);
        } else {
            fprintf(stderr, "parity_driver: unknown kind %u\n", kind);
            return 2;
        }
        if (rc == 0)
            fprintf(out, "%u ok %a\n", id, value);
        else {
            for (char *q = err; *q; q++)
                if (*q == '\n')
                    *q = ' ';
            fprintf(out, "%u err %s\n", id, err);
        }
        free(o1);
        free(o2);
        free(o3);
        free(o4);
        free(o5);
    }
    if (cur != end) {
        fprintf(stderr, "parity_driver: trailing bytes in the case file\n");
        return 2;
    }
    if (fclose(out) != 0) {
        perror(argv[2]);
        return 2;
    }
    dojo_free(data);
    return 0;
}
