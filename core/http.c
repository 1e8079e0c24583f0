/*
 * http.c -- an HTTP(S) client over libcurl, for the LLM providers' APIs.
 *
 * Theory of operation: the caller pulls, libcurl never calls back into it. Each request
 * owns a curl easy handle inside a multi handle of its own. dojo_http_open() sets the
 * transfer up and drives it (curl_multi_perform, then curl_multi_poll for at most a second)
 * until the final response's status line and headers have arrived, or the transfer has
 * ended; each dojo_http_read() drives it again until some body bytes have arrived, or the
 * end. libcurl's write callback only appends to the handle's buffer, so a read returns what
 * the server sent since the previous read, as soon as it was sent: a server-sent-events
 * stream is read event by event, not after its end. Between reads nothing runs, so the
 * buffer holds at most what one curl_multi_perform delivers. The same calls work from the
 * Lua C API and from LuaJIT's FFI, since no C function ever calls Lua.
 *
 * The final headers: libcurl hands every header block to the header callback, interim ones
 * (1xx) and redirects it follows included. A status line starts a new block (the earlier
 * one is dropped); the blank line ending a block makes it final unless its status is 1xx, or
 * a redirect (301, 302, 303, 307, 308 with a Location) that will be followed. Trailers of a
 * chunked body are ignored, and the CONNECT reply of a proxy tunnel is never shown.
 *
 * Limits: timeout is libcurl's total timeout, counted from open, so a read never blocks past
 * it (curl_multi_poll wakes up when libcurl's own timer needs it). max_bytes is checked twice:
 * a Content-Length over it fails before the body (CURLOPT_MAXFILESIZE_LARGE), and the write
 * callback refuses the byte that would exceed it (a body without a length, or a lying one).
 * Redirects are followed only on request, at most 10, and only to http and https URLs.
 * TLS peers and host names are verified against the system's CA bundle. The proxy comes
 * from libcurl's usual environment variables (http_proxy, https_proxy, no_proxy, ALL_PROXY)
 * unless the caller names one; "" means none. libcurl's own "Expect: 100-continue" pause
 * before a large body is switched off: APIs answer at once.
 *
 * Errors: each failure is one of enum dojo_http_error, and one sentence that names the host
 * (and for a connection, the port) but never the URL's path or query, nor any header: API
 * keys travel in headers and in query strings (Gemini's ?key=). dojo_http_close() ends a
 * transfer and drops what it buffered: unless a read has already returned the end of the
 * body (or a failure), later reads fail with DOJO_HTTP_ABORTED.
 *
 * libcurl is loaded when the first transfer opens (dlopen of libcurl.so.4, under
 * pthread_once), not linked: a process that makes no request does not pay for loading it
 * and its thirty-odd dependencies (about 5 ms at every start of the command line), and a
 * machine without it fails the request with a sentence, not the whole library at load
 * time. It is then initialised once (curl_global_init) and never cleaned up; every handle
 * sets CURLOPT_NOSIGNAL, so threads may each run requests.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define MAX_REDIRECTS 10L

struct dojo_http {
    CURL *easy;
    CURLM *multi;
    struct curl_slist *req_headers;
    char *host;                  /* for messages: the URL's host, nothing else of it */
    long port;
    double connect_timeout, timeout;
    uint64_t max_bytes;
    int follow;

    /* the response */
    int status;
    struct header { char *name, *value; } *headers; /* the final block's, as sent */
    size_t nheaders, headers_cap;
    int has_location;            /* the current block has a Location header */
    int headers_done;
    char *buf;                   /* body bytes received since the last piece returned */
    size_t len, cap;
    int handed;                  /* buf holds the piece the last read returned */
    uint64_t received;           /* body bytes so far */

    /* the end */
    int done;                    /* the transfer ended (result) or was closed */
    int ended;                   /* a read returned the end of the body */
    CURLcode result;
    int too_large, oom, aborted;
    int kind;                    /* 0, or the dojo_http_error of a failure, message in msg */
    char msg[320];
    char curl_err[CURL_ERROR_SIZE];
};

/* The libcurl functions used, each called through cu.NAME (curl_NAME's type). */
#define DJ_CURL_FUNCS(X)                                                                       \
    X(global_init) X(easy_init) X(easy_setopt) X(easy_getinfo) X(easy_strerror)              \
    X(easy_cleanup) X(free) X(multi_init) X(multi_add_handle) X(multi_remove_handle)         \
    X(multi_perform) X(multi_poll) X(multi_info_read) X(multi_strerror) X(multi_cleanup)     \
    X(slist_append) X(slist_free_all) X(url) X(url_set) X(url_get) X(url_strerror)           \
    X(url_cleanup)

static struct {
#define DJ_CURL_PTR(name) __typeof__(curl_##name) *name;
    DJ_CURL_FUNCS(DJ_CURL_PTR)
#undef DJ_CURL_PTR
} cu;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char init_error[256]; /* why libcurl cannot be used, or "" */

static void global_init(void)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(init_error, sizeof init_error, "libcurl cannot be loaded (%s)",
                 why ? why : "libcurl.so.4 not found");
        return;
    }
#define DJ_CURL_SYM(name)                                                                      \
    if (!(*(void **)(void *)&cu.name = dlsym(lib, "curl_" #name))) {                          \
        snprintf(init_error, sizeof init_error, "libcurl.so.4 has no curl_%s", #name);        \
        return;                                                                                \
    }
    DJ_CURL_FUNCS(DJ_CURL_SYM)
#undef DJ_CURL_SYM
    CURLcode rc = cu.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        snprintf(init_error, sizeof init_error, "libcurl cannot start: %s",
                 cu.easy_strerror(rc));
}

void dojo_http_opts_init(dojo_http_opts *o)
{
    memset(o, 0, sizeof *o);
}

const char *dojo_http_error_name(int kind)
{
    switch (kind) {
    case DOJO_HTTP_TIMEOUT: return "timeout";
    case DOJO_HTTP_CONNECT: return "connect";
    case DOJO_HTTP_RESOLVE: return "resolve";
    case DOJO_HTTP_TLS: return "tls";
    case DOJO_HTTP_TOO_LARGE: return "too_large";
    case DOJO_HTTP_ABORTED: return "aborted";
    default: return "error";
    }
}

/* ---------------------------------------------------------------------------------------
 * libcurl's callbacks: they only record.
 * ------------------------------------------------------------------------------------- */

static void clear_headers(dojo_http *h)
{
    for (size_t i = 0; i < h->nheaders; i++) {
        free(h->headers[i].name);
        free(h->headers[i].value);
    }
    h->nheaders = 0;
    h->has_location = 0;
}

static int is_followed_redirect(const dojo_http *h, long code)
{
    return h->follow && h->has_location &&
           (code == 301 || code == 302 || code == 303 || code == 307 || code == 308);
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    dojo_http *h = ud;
    size_t len = size * n;
    if (h->headers_done)
        return len; /* trailers */
    size_t end = len;
    while (end > 0 && (line[end - 1] == '\n' || line[end - 1] == '\r'))
        end--;
    if (end >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        clear_headers(h);
        return len;
    }
    if (end == 0) { /* the end of a block */
        long code = 0;
        cu.easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200 && !is_followed_redirect(h, code)) {
            h->status = (int)code;
            h->headers_done = 1;
        }
        return len;
    }
    if ((line[0] == ' ' || line[0] == '\t') && h->nheaders > 0) { /* obsolete line folding */
        char **v = &h->headers[h->nheaders - 1].value;
        size_t vl = strlen(*v);
        char *nv = realloc(*v, vl + 1 + end + 1);
        if (!nv)
            goto oom;
        nv[vl] = ' ';
        memcpy(nv + vl + 1, line, end);
        nv[vl + 1 + end] = '\0';
        *v = nv;
        return len;
    }
    const char *colon = memchr(line, ':', end);
    if (!colon || colon == line)
        return len; /* not a header: ignored */
    size_t nl = (size_t)(colon - line);
    const char *v = colon + 1, *ve = line + end;
    while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    void *p = h->headers;
    if (dj_grow(&p, &h->headers_cap, h->nheaders + 1, sizeof *h->headers) < 0)
        goto oom;
    h->headers = p;
    char *name = strndup(line, nl), *value = strndup(v, (size_t)(ve - v));
    if (!name || !value) {
        free(name);
        free(value);
        goto oom;
    }
    h->headers[h->nheaders].name = name;
    h->headers[h->nheaders].value = value;
    h->nheaders++;
    if (nl == 8 && strncasecmp(line, "location", 8) == 0)
        h->has_location = 1;
    return len;
oom:
    h->oom = 1;
    return 0; /* libcurl fails the transfer */
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    dojo_http *h = ud;
    size_t len = size * n;
    if (h->max_bytes && h->received + len > h->max_bytes) {
        h->too_large = 1;
        return 0;
    }
    void *p = h->buf;
    if (dj_grow(&p, &h->cap, h->len + len, 1) < 0) {
        h->oom = 1;
        return 0;
    }
    h->buf = p;
    memcpy(h->buf + h->len, data, len);
    h->len += len;
    h->received += len;
    return len;
}

/* ---------------------------------------------------------------------------------------
 * Failures
 * ------------------------------------------------------------------------------------- */

static int tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED: case CURLE_USE_SSL_FAILED: case CURLE_SSL_CLIENTCERT:
        return 1;
    default:
        return 0;
    }
}

/* Sets h->kind and h->msg from the transfer's result (h->done is set). */
static void classify(dojo_http *h)
{
    CURLcode rc = h->result;
    const char *detail = h->curl_err[0] ? h->curl_err : cu.easy_strerror(rc);
    if (h->aborted) {
        h->kind = DOJO_HTTP_ABORTED;
        snprintf(h->msg, sizeof h->msg, "the request to %s was aborted", h->host);
    } else if (h->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        h->kind = DOJO_HTTP_TOO_LARGE;
        snprintf(h->msg, sizeof h->msg, "the response from %s exceeds the limit of %llu bytes",
                 h->host, (unsigned long long)h->max_bytes);
    } else if (h->oom) {
        h->kind = DOJO_HTTP_ERROR;
        snprintf(h->msg, sizeof h->msg, "out of memory reading the response from %s", h->host);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connected = 0;
        cu.easy_getinfo(h->easy, CURLINFO_CONNECT_TIME_T, &connected);
        double limit = h->timeout;
        if (!connected) {
            double c = h->connect_timeout > 0 ? h->connect_timeout : 300;
            if (limit <= 0 || c < limit)
                limit = c;
        }
        h->kind = DOJO_HTTP_TIMEOUT;
        snprintf(h->msg, sizeof h->msg, "%s %s timed out after %g s",
                 connected ? "the request to" : "connecting to", h->host, limit);
    } else if (rc == CURLE_COULDNT_CONNECT) {
        long os_errno = 0;
        cu.easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &os_errno);
        h->kind = DOJO_HTTP_CONNECT;
        snprintf(h->msg, sizeof h->msg, "could not connect to %s port %ld: %s", h->host,
                 h->port, os_errno ? strerror((int)os_errno) : detail);
    } else if (rc == CURLE_COULDNT_RESOLVE_HOST) {
        h->kind = DOJO_HTTP_RESOLVE;
        snprintf(h->msg, sizeof h->msg, "could not resolve the host name %s", h->host);
    } else if (rc == CURLE_COULDNT_RESOLVE_PROXY) {
        h->kind = DOJO_HTTP_RESOLVE;
        snprintf(h->msg, sizeof h->msg, "could not resolve the proxy for %s: %s", h->host, detail);
    } else if (tls_error(rc)) {
        h->kind = DOJO_HTTP_TLS;
        snprintf(h->msg, sizeof h->msg, "TLS with %s failed: %s", h->host, detail);
    } else {
        h->kind = DOJO_HTTP_ERROR;
        snprintf(h->msg, sizeof h->msg, "the request to %s failed: %s", h->host, detail);
    }
}

/* Copies the failure into the caller's buffer; returns -kind. */
static int failure(const dojo_http *h, char *err, size_t errlen)
{
    dj_err(err, errlen, "%s", h->msg);
    return -h->kind;
}

/* ---------------------------------------------------------------------------------------
 * The transfer
 * ------------------------------------------------------------------------------------- */

/* Drives the transfer until the headers are in (for_headers) or body bytes are buffered, or
   the transfer ends (then h->kind says whether it failed). */
static void pump(dojo_http *h, int for_headers)
{
    while (!h->done) {
        int running;
        CURLMcode mc = cu.multi_perform(h->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = cu.multi_info_read(h->multi, &left)))
            if (m->msg == CURLMSG_DONE) {
                h->done = 1;
                h->result = m->data.result;
            }
        if (mc != CURLM_OK && !h->done) {
            h->done = 1;
            h->result = CURLE_FAILED_INIT;
            snprintf(h->curl_err, sizeof h->curl_err, "%s", cu.multi_strerror(mc));
        }
        if (h->done) {
            if (h->result != CURLE_OK || h->too_large || h->oom)
                classify(h);
            else if (!h->headers_done) { /* ended without a final header block */
                long code = 0;
                cu.easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &code);
                h->status = (int)code;
                h->headers_done = 1;
            }
            return;
        }
        if (for_headers ? h->headers_done : h->len > 0)
            return;
        cu.multi_poll(h->multi, NULL, 0, 1000, NULL);
    }
}

/* A method is an HTTP token of capital letters (GET, POST, PUT, DELETE, PATCH, ...). */
static int valid_method(const char *m)
{
    size_t n = strlen(m);
    if (n == 0 || n > 16)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((m[i] < 'A' || m[i] > 'Z') && m[i] != '-' && m[i] != '_')
            return 0;
    return 1;
}

/* Parses the URL for its host and port (messages name nothing else of it). */
static int parse_url(dojo_http *h, const char *url, char *err, size_t errlen)
{
    CURLU *u = cu.url();
    if (!u)
        return dj_err(err, errlen, "out of memory");
    char *scheme = NULL, *host = NULL, *port = NULL;
    CURLUcode uc = cu.url_set(u, CURLUPART_URL, url, 0);
    int rc = 0;
    if (uc != CURLUE_OK)
        rc = dj_err(err, errlen, "the URL is not valid: %s", cu.url_strerror(uc));
    else if (cu.url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        rc = dj_err(err, errlen, "the URL's scheme is not http or https");
    else if (cu.url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        rc = dj_err(err, errlen, "the URL has no host");
    else if (cu.url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        rc = dj_err(err, errlen, "the URL's port is not valid");
    else if (!(h->host = strdup(host)))
        rc = dj_err(err, errlen, "out of memory");
    else
        h->port = strtol(port, NULL, 10);
    cu.free(scheme);
    cu.free(host);
    cu.free(port);
    cu.url_cleanup(u);
    return rc;
}

/* The request headers: each "Name: value" on one line; "Expect:" added unless given. */
static int set_headers(dojo_http *h, const dojo_http_opts *o, char *err, size_t errlen)
{
    int has_expect = 0;
    for (size_t i = 0; i < o->nheaders; i++) {
        const char *s = o->headers[i];
        const char *colon = s ? strchr(s, ':') : NULL;
        if (!colon || colon == s || strpbrk(s, "\r\n"))
            return dj_err(err, errlen, "request header %zu is not one \"Name: value\" line", i + 1);
        if (colon - s == 6 && strncasecmp(s, "expect", 6) == 0)
            has_expect = 1;
        struct curl_slist *l = cu.slist_append(h->req_headers, s);
        if (!l)
            return dj_err(err, errlen, "out of memory");
        h->req_headers = l;
    }
    if (!has_expect) {
        struct curl_slist *l = cu.slist_append(h->req_headers, "Expect:");
        if (!l)
            return dj_err(err, errlen, "out of memory");
        h->req_headers = l;
    }
    return 0;
}

/* Seconds as libcurl's milliseconds; 0 (none) also for more than 30 years. */
static long millis(double s)
{
    if (!(s > 0) || s >= 1e9)
        return 0;
    return s < 0.001 ? 1 : (long)(s * 1000 + 0.5);
}

static int setup(dojo_http *h, const dojo_http_opts *o, char *err, size_t errlen)
{
    if (!o->url || !o->url[0])
        return dj_err(err, errlen, "no URL given");
    if (o->connect_timeout < 0 || o->timeout < 0 || o->connect_timeout != o->connect_timeout ||
        o->timeout != o->timeout)
        return dj_err(err, errlen, "timeouts must be numbers >= 0");
    const char *method = o->method ? o->method : o->body ? "POST" : "GET";
    if (!valid_method(method))
        return dj_err(err, errlen, "'%s' is not an HTTP method", method);
    if (parse_url(h, o->url, err, errlen) < 0 || set_headers(h, o, err, errlen) < 0)
        return -1;
    h->connect_timeout = o->connect_timeout;
    h->timeout = o->timeout;
    h->max_bytes = o->max_bytes;
    h->follow = o->follow_redirects != 0;
    if (!(h->easy = cu.easy_init()) || !(h->multi = cu.multi_init()))
        return dj_err(err, errlen, "cannot start an HTTP transfer (libcurl)");
    CURL *e = h->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) do { if (rc == CURLE_OK) rc = cu.easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_URL, o->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, h->curl_err);
    SET(CURLOPT_HTTPHEADER, h->req_headers);
    SET(CURLOPT_USERAGENT, "dojo/" DJ_VERSION);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, h);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, h);
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, millis(o->connect_timeout));
    SET(CURLOPT_TIMEOUT_MS, millis(o->timeout));
    SET(CURLOPT_FOLLOWLOCATION, h->follow ? 1L : 0L);
    SET(CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (o->max_bytes)
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
    if (o->proxy)
        SET(CURLOPT_PROXY, o->proxy);
    if (o->body) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
        SET(CURLOPT_COPYPOSTFIELDS, o->body);
        if (strcmp(method, "POST") != 0)
            SET(CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "POST") == 0) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        SET(CURLOPT_COPYPOSTFIELDS, "");
    } else {
        SET(CURLOPT_CUSTOMREQUEST, method);
    }
#undef SET
    if (rc != CURLE_OK)
        return dj_err(err, errlen, "cannot set up the request to %s: %s", h->host,
                      cu.easy_strerror(rc));
    if (cu.multi_add_handle(h->multi, e) != CURLM_OK)
        return dj_err(err, errlen, "cannot start the request to %s (libcurl)", h->host);
    return 0;
}

int dojo_http_open(const dojo_http_opts *o, dojo_http **out, char *err, size_t errlen)
{
    *out = NULL;
    pthread_once(&init_once, global_init);
    if (init_error[0]) {
        dj_err(err, errlen, "%s", init_error);
        return -DOJO_HTTP_ERROR;
    }
    dojo_http *h = calloc(1, sizeof *h);
    if (!h) {
        dj_err(err, errlen, "out of memory");
        return -DOJO_HTTP_ERROR;
    }
    if (setup(h, o, err, errlen) < 0) {
        dojo_http_free(h);
        return -DOJO_HTTP_ERROR;
    }
    pump(h, 1);
    if (!h->headers_done) {
        int rc = failure(h, err, errlen);
        dojo_http_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

int dojo_http_status(const dojo_http *h) { return h->status; }

size_t dojo_http_header_count(const dojo_http *h) { return h->nheaders; }

int dojo_http_header(const dojo_http *h, size_t i, const char **name, const char **value)
{
    if (i >= h->nheaders)
        return -1;
    *name = h->headers[i].name;
    *value = h->headers[i].value;
    return 0;
}

const char *dojo_http_host(const dojo_http *h) { return h->host; }

int dojo_http_read(dojo_http *h, const char **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    if (h->handed) { /* the caller is done with the previous piece */
        h->len = 0;
        h->handed = 0;
    }
    if (!h->done)
        pump(h, 0);
    if (h->len > 0) {
        *data = h->buf;
        *len = h->len;
        h->handed = 1;
        return 1;
    }
    if (h->kind)
        return failure(h, err, errlen);
    h->ended = 1;
    return 0;
}

void dojo_http_close(dojo_http *h)
{
    if (!h || !h->easy)
        return;
    if (h->multi)
        cu.multi_remove_handle(h->multi, h->easy);
    cu.easy_cleanup(h->easy);
    h->easy = NULL;
    h->len = 0;
    h->done = 1;
    if (!h->kind && !h->ended) { /* the caller stops before the end it has not seen */
        h->aborted = 1;
        classify(h);
    }
}

void dojo_http_free(dojo_http *h)
{
    if (!h)
        return;
    dojo_http_close(h);
    cu.multi_cleanup(h->multi);
    cu.slist_free_all(h->req_headers);
    clear_headers(h);
    free(h->headers);
    free(h->buf);
    free(h->host);
    free(h);
}
