/*
 * gz.c -- gzip compression and decompression of memory buffers (zlib).
 *
 * Theory of operation: dojo_gzip() deflates the whole input in one call into a buffer of
 * deflateBound() bytes (the worst case), with a gzip header and trailer (windowBits 16 + 15),
 * so it never reallocates. dojo_gunzip() inflates into a buffer that doubles as needed, up
 * to the caller's limit: the data to inflate may come from untrusted code, and a few KB of
 * gzip can claim gigabytes, so the limit is checked as the output grows, never after.
 * Like gzip(1) it reads concatenated members (each one verified by its CRC-32 and length)
 * and skips zero padding between and after them; anything else after a member is an error,
 * as is a stream that ends inside a member. Errors name the byte offset of the input where
 * the problem was seen.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

char *dojo_gzip(const void *data, size_t len, int level, size_t *out_len, char *err, size_t errlen)
{
    if (out_len)
        *out_len = 0;
    if (!data && len) {
        dj_err(err, errlen, "no data given");
        return NULL;
    }
    if (level < -1 || level > 9) {
        dj_err(err, errlen, "gzip level must be -1 (the default) or 0..9, not %d", level);
        return NULL;
    }
    if (len > UINT_MAX / 2) { /* one deflate() call: avail_in is 32 bits */
        dj_err(err, errlen, "gzip input too large (%zu bytes)", len);
        return NULL;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        dj_err(err, errlen, "cannot start gzip compression");
        return NULL;
    }
    size_t cap = (size_t)deflateBound(&z, (uLong)len) + 32; /* + the gzip header and trailer */
    char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        dj_err(err, errlen, "out of memory compressing %zu bytes", len);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        dj_err(err, errlen, "gzip compression failed (zlib error %d)", rc);
        return NULL;
    }
    if (out_len)
        *out_len = n;
    return out;
}

char *dojo_gunzip(const void *data, size_t len, size_t max_out, size_t *out_len,
                  char *err, size_t errlen)
{
    if (out_len)
        *out_len = 0;
    const unsigned char *in = data;
    if (!in || len == 0) {
        dj_err(err, errlen, "not gzip data: the input is empty");
        return NULL;
    }
    if (len < 2 || in[0] != 0x1f || in[1] != 0x8b) {
        dj_err(err, errlen, "not gzip data: no gzip header (1f 8b) at the start");
        return NULL;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        dj_err(err, errlen, "cannot start gzip decompression");
        return NULL;
    }
    size_t cap = len < ((size_t)1 << 28) ? 4 * len + 64 : len;
    if (max_out && cap > max_out + 1)
        cap = max_out + 1;
    char *out = malloc(cap);
    size_t n = 0, used = 0; /* bytes produced; bytes of input consumed */
    int member_end = 0;
    if (!out) {
        inflateEnd(&z);
        dj_err(err, errlen, "out of memory decompressing gzip data");
        return NULL;
    }
    for (;;) {
        if (member_end) {
            while (used < len && in[used] == 0) /* zero padding after a member */
                used++;
            if (used == len)
                break;
            if (len - used < 2 || in[used] != 0x1f || in[used + 1] != 0x8b) {
                dj_err(err, errlen,
                       "corrupt gzip data: unexpected bytes after a member at byte %zu", used);
                goto fail;
            }
            inflateReset(&z);
            member_end = 0;
        }
        if (n == cap) {
            if (max_out && n > max_out)
                goto too_big;
            size_t ncap = cap * 2;
            if (ncap < cap) {
                dj_err(err, errlen, "out of memory decompressing gzip data");
                goto fail;
            }
            if (max_out && ncap > max_out + 1)
                ncap = max_out + 1;
            char *p = realloc(out, ncap);
            if (!p) {
                dj_err(err, errlen, "out of memory decompressing gzip data");
                goto fail;
            }
            out = p;
            cap = ncap;
        }
        size_t in_chunk = len - used > UINT_MAX ? UINT_MAX : len - used;
        size_t out_chunk = cap - n > UINT_MAX ? UINT_MAX : cap - n;
        z.next_in = (Bytef *)(uintptr_t)(in + used);
        z.avail_in = (uInt)in_chunk;
        z.next_out = (Bytef *)out + n;
        z.avail_out = (uInt)out_chunk;
        int rc = inflate(&z, Z_NO_FLUSH);
        used += in_chunk - z.avail_in;
        n += out_chunk - z.avail_out;
        if (max_out && n > max_out)
            goto too_big;
        if (rc == Z_STREAM_END)
            member_end = 1;
        else if (rc == Z_OK || rc == Z_BUF_ERROR) {
            if (used == len && z.avail_out != 0) { /* all input read, room left, no end */
                dj_err(err, errlen, "truncated gzip data (it ends inside a member, at byte %zu)",
                       len);
                goto fail;
            }
            if (rc == Z_BUF_ERROR && z.avail_out != 0) {
                dj_err(err, errlen, "corrupt gzip data at byte %zu: no progress possible", used);
                goto fail;
            }
        } else if (rc == Z_MEM_ERROR) {
            dj_err(err, errlen, "out of memory decompressing gzip data");
            goto fail;
        } else if (rc != Z_OK) {
            dj_err(err, errlen, "corrupt gzip data at byte %zu: %s", used,
                   z.msg ? z.msg : "invalid data");
            goto fail;
        }
    }
    inflateEnd(&z);
    if (n == cap) {
        char *p = realloc(out, cap + 1);
        if (!p) {
            free(out);
            dj_err(err, errlen, "out of memory decompressing gzip data");
            return NULL;
        }
        out = p;
    }
    out[n] = '\0'; /* a convenience: not counted in *out_len */
    if (out_len)
        *out_len = n;
    return out;
too_big:
    dj_err(err, errlen, "gzip data inflates to more than the %zu-byte limit", max_out);
fail:
    inflateEnd(&z);
    free(out);
    return NULL;
}
