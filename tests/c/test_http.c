/* test_http.c -- the HTTP client against a loopback server in a thread of this process.
 *
 * The server (127.0.0.1, a port the kernel picks) answers one connection at a time and
 * routes by path; every response closes its connection. No traffic leaves the machine. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dojo.h"
#include "harness.h"

#define BIG (1024 * 1024)

static struct {
    int lfd, port, stop;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char req[8192];          /* the last request: head and body */
    size_t reqlen;
    int client_got_first;    /* the client read the stream's first event */
    int first_before_last;   /* ... before the server sent the last one */
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void say(int fd, const char *s) { (void)!send(fd, s, strlen(s), MSG_NOSIGNAL); }

/* Waits until the client closes its end (or 10 s). */
static void wait_for_hangup(int fd)
{
    char b[256];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, 10000) == 1 && recv(fd, b, sizeof b, 0) > 0) {
    }
}

/* Reads one request (head + Content-Length body) into srv.req; 0 when none came. */
static size_t read_request(int fd)
{
    char buf[sizeof srv.req];
    size_t n = 0, want = 0;
    while (n < sizeof buf - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            break;
        ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        if (buf[0] == 0x16) /* a TLS handshake: this server speaks plain HTTP only */
            return 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end && !want) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
        }
        if (want && n >= want)
            break;
    }
    pthread_mutex_lock(&srv.mu);
    memcpy(srv.req, buf, n);
    srv.req[n] = '\0';
    srv.reqlen = n;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

static void handle(int fd)
{
    if (!read_request(fd))
        return;
    char target[160] = "";
    sscanf(srv.req, "%*s %159s", target);
    const char *path = target; /* a proxy's request names the whole URL: route by its path */
    if (strncmp(target, "http://", 7) == 0)
        path = strchr(target + 7, '/') ? strchr(target + 7, '/') : "/";
    char out[BIG / 4];
    if (strcmp(path, "/ok") == 0) {
        say(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Twice: a\r\nX-Twice: b\r\n"
                "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
    } else if (strcmp(path, "/echo") == 0) {
        const char *body = strstr(srv.req, "\r\n\r\n") + 4;
        size_t blen = srv.reqlen - (size_t)(body - srv.req);
        int m = (int)strcspn(srv.req, " ");
        char head[256];
        snprintf(head, sizeof head, "HTTP/1.1 201 Created\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%.*s ", (size_t)m + 1 + blen, m, srv.req);
        say(fd, head);
        (void)!send(fd, body, blen, MSG_NOSIGNAL);
    } else if (strncmp(path, "/status/", 8) == 0) {
        snprintf(out, sizeof out, "HTTP/1.1 %s Oops\r\nContent-Length: 4\r\nConnection: close"
                 "\r\n\r\noops", path + 8);
        say(fd, out);
    } else if (strcmp(path, "/continue") == 0) {
        say(fd, "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    } else if (strcmp(path, "/redirect") == 0) {
        say(fd, "HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n");
    } else if (strcmp(path, "/sse") == 0) {
        say(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        say(fd, "b\r\ndata: one\n\n\r\n");
        /* the client says when it has read the first event (at most 5 s) */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        pthread_mutex_lock(&srv.mu);
        while (!srv.client_got_first && pthread_cond_timedwait(&srv.cv, &srv.mu, &until) == 0) {
        }
        srv.first_before_last = srv.client_got_first;
        pthread_mutex_unlock(&srv.mu);
        usleep(100000);
        say(fd, "b\r\ndata: two\n\n\r\n");
        usleep(100000);
        say(fd, "d\r\ndata: three\n\n\r\n0\r\n\r\n");
    } else if (strcmp(path, "/slow-headers") == 0) {
        wait_for_hangup(fd);
    } else if (strcmp(path, "/slow-body") == 0) {
        say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n0123456789");
        wait_for_hangup(fd);
    } else if (strcmp(path, "/big") == 0) { /* no length: the body ends with the connection */
        say(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        memset(out, 'x', sizeof out);
        for (int i = 0; i < 4; i++)
            if (send(fd, out, sizeof out, MSG_NOSIGNAL) < 0)
                break;
    } else if (strcmp(path, "/big-length") == 0) {
        snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close"
                 "\r\n\r\n", BIG);
        say(fd, out);
        wait_for_hangup(fd);
    } else {
        say(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
}

static void *serve(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&srv.stop, __ATOMIC_SEQ_CST)) {
        struct pollfd p = {.fd = srv.lfd, .events = POLLIN};
        if (poll(&p, 1, 100) != 1)
            continue;
        int fd = accept(srv.lfd, NULL, NULL);
        if (fd < 0)
            continue;
        handle(fd);
        close(fd);
    }
    return NULL;
}

/* A TCP socket bound to 127.0.0.1 on a free port (listening when listen_too). */
static int loopback_socket(int listen_too, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        (listen_too && listen(fd, 8) < 0) || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        perror("loopback socket");
        exit(2);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static const char *url(const char *path)
{
    static char ring[4][128];
    static int next;
    char *u = ring[next++ % 4];
    snprintf(u, 128, "http://127.0.0.1:%d%s", srv.port, path);
    return u;
}

/* Reads the whole body into buf (NUL-terminated); returns the last read's result. */
static int read_all(dojo_http *h, char *buf, size_t cap, size_t *total, char *err, size_t errlen)
{
    const char *d;
    size_t n;
    int rc;
    *total = 0;
    while ((rc = dojo_http_read(h, &d, &n, err, errlen)) > 0) {
        size_t k = n < cap - 1 - *total ? n : cap - 1 - *total;
        memcpy(buf + *total, d, k);
        *total += k;
    }
    buf[*total] = '\0';
    return rc;
}

static dojo_http *get(const char *path, double timeout, uint64_t max, int *rc, char *err,
                      size_t errlen)
{
    dojo_http_opts o;
    dojo_http_opts_init(&o);
    o.url = url(path);
    o.timeout = timeout;
    o.max_bytes = max;
    dojo_http *h = NULL;
    *rc = dojo_http_open(&o, &h, err, errlen);
    return h;
}

static const char *header(dojo_http *h, const char *name, int nth)
{
    const char *n, *v;
    for (size_t i = 0; dojo_http_header(h, i, &n, &v) == 0; i++)
        if (strcasecmp(n, name) == 0 && nth-- == 0)
            return v;
    return NULL;
}

void test_http(void)
{
    char err[512], body[4096], u[128];
    size_t total;
    int rc;
    /* requests go to the loopback server only, never through a proxy of the environment */
    const char *proxy_vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"};
    for (size_t i = 0; i < sizeof proxy_vars / sizeof *proxy_vars; i++)
        unsetenv(proxy_vars[i]);
    srv.lfd = loopback_socket(1, &srv.port);
    if (pthread_create(&srv.thread, NULL, serve, NULL) != 0) {
        perror("pthread_create");
        exit(2);
    }

    dj_test_begin("http: GET 200 with status, headers (repeats kept) and body");
    dojo_http *h = get("/ok", 10, 0, &rc, err, sizeof err);
    CHECK(rc == 0 && h, "open: %d %s", rc, err);
    if (h) {
        CHECK(dojo_http_status(h) == 200, "status %d", dojo_http_status(h));
        CHECK(dojo_http_header_count(h) == 5, "%zu headers", dojo_http_header_count(h));
        const char *ct = header(h, "content-type", 0);
        CHECK(ct && strcmp(ct, "text/plain") == 0, "content-type %s", ct ? ct : "(none)");
        const char *a = header(h, "X-Twice", 0), *b = header(h, "X-Twice", 1);
        CHECK(a && b && strcmp(a, "a") == 0 && strcmp(b, "b") == 0, "X-Twice");
        const char *n, *v;
        CHECK(dojo_http_header(h, 99, &n, &v) == -1, "header out of range");
        rc = read_all(h, body, sizeof body, &total, err, sizeof err);
        CHECK(rc == 0 && strcmp(body, "hello") == 0, "body '%s' rc %d %s", body, rc, err);
        CHECK(dojo_http_read(h, &n, &total, err, sizeof err) == 0, "end stays the end");
        CHECK(strcmp(dojo_http_host(h), "127.0.0.1") == 0, "host %s", dojo_http_host(h));
    }
    dojo_http_free(h);
    pthread_mutex_lock(&srv.mu);
    CHECK(strncmp(srv.req, "GET /ok HTTP/1.1\r\n", 18) == 0, "request line: %.30s", srv.req);
    CHECK(strstr(srv.req, "User-Agent: dojo/") != NULL, "user agent");
    pthread_mutex_unlock(&srv.mu);
    dj_test_end();

    dj_test_begin("http: POST sends the body (NUL bytes too) and the headers; PUT, DELETE");
    dojo_http_opts o;
    dojo_http_opts_init(&o);
    o.url = url("/echo");
    const char *hdrs[] = {"Content-Type: application/json", "Authorization: Bearer k-123"};
    o.headers = hdrs;
    o.nheaders = 2;
    o.body = "{\"a\":1}";
    o.body_len = 7;
    o.timeout = 10;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == 0, "open: %s", err);
    if (h) {
        CHECK(dojo_http_status(h) == 201, "status %d", dojo_http_status(h));
        rc = read_all(h, body, sizeof body, &total, err, sizeof err);
        CHECK(rc == 0 && strcmp(body, "POST {\"a\":1}") == 0, "echo '%s'", body);
    }
    dojo_http_free(h);
    pthread_mutex_lock(&srv.mu);
    CHECK(strstr(srv.req, "\r\nAuthorization: Bearer k-123\r\n") != NULL, "header sent");
    CHECK(strstr(srv.req, "\r\nContent-Type: application/json\r\n") != NULL, "content-type sent");
    CHECK(strstr(srv.req, "\r\nContent-Length: 7\r\n") != NULL, "length sent");
    CHECK(strcasestr(srv.req, "Expect:") == NULL, "no Expect header");
    pthread_mutex_unlock(&srv.mu);
    o.method = "PUT";
    o.body = "x\0y";
    o.body_len = 3;
    o.nheaders = 0;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == 0 && read_all(h, body, sizeof body, &total, err, sizeof err) == 0, "PUT: %s", err);
    CHECK(total == 7 && memcmp(body, "PUT x\0y", 7) == 0, "PUT echo (%zu bytes)", total);
    dojo_http_free(h);
    o.method = "DELETE";
    o.body = NULL;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == 0 && read_all(h, body, sizeof body, &total, err, sizeof err) == 0, "DELETE: %s", err);
    CHECK(strcmp(body, "DELETE ") == 0, "DELETE echo '%s'", body);
    dojo_http_free(h);
    o.method = "GET /x HTTP/1.1\r\n";
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_ERROR && h == NULL, "a bad method: %d", rc);
    o.method = NULL;
    const char *bad[] = {"X-Evil: a\r\nX-Injected: b"};
    o.headers = bad;
    o.nheaders = 1;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_ERROR && strstr(err, "request header 1") != NULL, "CRLF header: %s", err);
    dj_test_end();

    dj_test_begin("http: 404 and 500 are responses, not failures");
    h = get("/status/404", 10, 0, &rc, err, sizeof err);
    CHECK(rc == 0 && h && dojo_http_status(h) == 404, "404: %d %s", rc, err);
    CHECK(h && read_all(h, body, sizeof body, &total, err, sizeof err) == 0 &&
          strcmp(body, "oops") == 0, "404 body");
    dojo_http_free(h);
    h = get("/status/500", 10, 0, &rc, err, sizeof err);
    CHECK(rc == 0 && h && dojo_http_status(h) == 500, "500: %d %s", rc, err);
    dojo_http_free(h);
    dj_test_end();

    dj_test_begin("http: interim 100 responses are skipped; redirects followed only on request");
    h = get("/continue", 10, 0, &rc, err, sizeof err);
    CHECK(rc == 0 && h && dojo_http_status(h) == 200 && !header(h, "X-Interim", 0), "interim");
    dojo_http_free(h);
    h = get("/redirect", 10, 0, &rc, err, sizeof err);
    CHECK(rc == 0 && h && dojo_http_status(h) == 302, "302 returned");
    CHECK(h && header(h, "location", 0) && strcmp(header(h, "location", 0), "/ok") == 0, "location");
    dojo_http_free(h);
    dojo_http_opts_init(&o);
    o.url = url("/redirect");
    o.follow_redirects = 1;
    o.timeout = 10;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == 0 && dojo_http_status(h) == 200 && !header(h, "location", 0), "followed: %s", err);
    CHECK(h && read_all(h, body, sizeof body, &total, err, sizeof err) == 0 &&
          strcmp(body, "hello") == 0, "followed body '%s'", body);
    dojo_http_free(h);
    dj_test_end();

    dj_test_begin("http: a chunked event stream is read as it arrives");
    h = get("/sse", 10, 0, &rc, err, sizeof err);
    CHECK(rc == 0 && h, "open: %s", err);
    if (h) {
        const char *d;
        size_t n;
        rc = dojo_http_read(h, &d, &n, err, sizeof err);
        CHECK(rc == 1 && n == 11 && memcmp(d, "data: one\n\n", 11) == 0, "first piece");
        pthread_mutex_lock(&srv.mu);
        srv.client_got_first = 1;
        pthread_cond_signal(&srv.cv);
        pthread_mutex_unlock(&srv.mu);
        rc = read_all(h, body, sizeof body, &total, err, sizeof err);
        CHECK(rc == 0 && strcmp(body, "data: two\n\ndata: three\n\n") == 0, "rest '%s'", body);
    }
    dojo_http_free(h);
    pthread_mutex_lock(&srv.mu);
    CHECK(srv.first_before_last, "the first event was read before the server sent the last");
    pthread_mutex_unlock(&srv.mu);
    dj_test_end();

    dj_test_begin("http: a reply slower than the timeout fails as a timeout, on time");
    double t0 = now();
    h = get("/slow-headers", 0.5, 0, &rc, err, sizeof err);
    double dt = now() - t0;
    CHECK(rc == -DOJO_HTTP_TIMEOUT && !h, "rc %d: %s", rc, err);
    CHECK(dt >= 0.45 && dt < 2.5, "returned after %.2f s", dt);
    CHECK(strcmp(err, "the request to 127.0.0.1 timed out after 0.5 s") == 0, "message: %s", err);
    t0 = now();
    h = get("/slow-body", 0.5, 0, &rc, err, sizeof err);
    CHECK(rc == 0 && h && dojo_http_status(h) == 200, "headers in time: %s", err);
    if (h) {
        rc = read_all(h, body, sizeof body, &total, err, sizeof err);
        dt = now() - t0;
        CHECK(rc == -DOJO_HTTP_TIMEOUT && total == 10, "read: rc %d, %zu bytes", rc, total);
        CHECK(dt >= 0.45 && dt < 2.5, "read returned after %.2f s", dt);
    }
    dojo_http_free(h);
    dj_test_end();

    dj_test_begin("http: a refused connection is kind connect, naming host and port only");
    int port, nolisten = loopback_socket(0, &port);
    dojo_http_opts_init(&o);
    snprintf(u, sizeof u, "http://127.0.0.1:%d/v1/chat?key=SECRET-Q", port);
    o.url = u;
    const char *auth[] = {"Authorization: Bearer SECRET-H"};
    o.headers = auth;
    o.nheaders = 1;
    o.timeout = 5;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_CONNECT && !h, "rc %d: %s", rc, err);
    char want[128];
    snprintf(want, sizeof want, "could not connect to 127.0.0.1 port %d: Connection refused", port);
    CHECK(strcmp(err, want) == 0, "message: %s", err);
    CHECK(!strstr(err, "SECRET") && !strstr(err, "/v1"), "leaks: %s", err);
    CHECK(strcmp(dojo_http_error_name(-rc), "connect") == 0, "name");
    close(nolisten);
    dj_test_end();

    dj_test_begin("http: a host name that cannot resolve is kind resolve");
    /* a 70-byte label is not a valid DNS name: the resolver refuses it without a query */
    dojo_http_opts_init(&o);
    o.url = "http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.invalid/x";
    o.timeout = 10;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_RESOLVE && !h, "rc %d: %s", rc, err);
    CHECK(strncmp(err, "could not resolve the host name aaaa", 36) == 0, "message: %s", err);
    dj_test_end();

    dj_test_begin("http: a TLS handshake that fails is kind tls");
    dojo_http_opts_init(&o);
    snprintf(u, sizeof u, "https://127.0.0.1:%d/ok", srv.port);
    o.url = u;
    o.timeout = 10;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_TLS && !h, "rc %d: %s", rc, err);
    CHECK(strncmp(err, "TLS with 127.0.0.1 failed: ", 27) == 0, "message: %s", err);
    dj_test_end();

    dj_test_begin("http: the proxy comes from http_proxy unless given; \"\" means none");
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", srv.port);
    setenv("http_proxy", proxy, 1);
    dojo_http_opts_init(&o);
    o.url = "http://dojo-proxy-test.invalid/ok";
    o.timeout = 10;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == 0 && dojo_http_status(h) == 200, "through $http_proxy: %d %s", rc, err);
    dojo_http_free(h);
    pthread_mutex_lock(&srv.mu);
    CHECK(strncmp(srv.req, "GET http://dojo-proxy-test.invalid/ok HTTP/1.1", 46) == 0,
          "the proxy got: %.60s", srv.req);
    pthread_mutex_unlock(&srv.mu);
    unsetenv("http_proxy");
    o.proxy = proxy;
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == 0 && dojo_http_status(h) == 200, "through opts.proxy: %d %s", rc, err);
    dojo_http_free(h);
    setenv("http_proxy", "http://127.0.0.1:1", 1);
    o.url = url("/ok");
    o.proxy = "";
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == 0 && dojo_http_status(h) == 200, "proxy \"\" ignores $http_proxy: %d %s", rc, err);
    dojo_http_free(h);
    unsetenv("http_proxy");
    dj_test_end();

    dj_test_begin("http: bad URLs are refused before anything is sent");
    dojo_http_opts_init(&o);
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_ERROR && strcmp(err, "no URL given") == 0, "no URL: %s", err);
    o.url = "ftp://127.0.0.1/x";
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_ERROR && strstr(err, "not http or https"), "ftp: %s", err);
    o.url = "http://127.0.0.1:99999/";
    rc = dojo_http_open(&o, &h, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_ERROR && strstr(err, "not valid"), "bad port: %s", err);
    dj_test_end();

    dj_test_begin("http: a body over max_bytes fails as too_large, with or without a length");
    h = get("/big", 10, 100000, &rc, err, sizeof err);
    CHECK(rc == 0 && h, "open: %s", err);
    if (h) {
        const char *d;
        size_t n, got = 0;
        while ((rc = dojo_http_read(h, &d, &n, err, sizeof err)) > 0)
            got += n;
        CHECK(rc == -DOJO_HTTP_TOO_LARGE && got <= 100000, "rc %d after %zu bytes", rc, got);
        CHECK(strcmp(err, "the response from 127.0.0.1 exceeds the limit of 100000 bytes") == 0,
              "message: %s", err);
    }
    dojo_http_free(h);
    h = get("/big-length", 10, 100000, &rc, err, sizeof err);
    CHECK(rc == -DOJO_HTTP_TOO_LARGE && !h, "Content-Length over the limit: %d %s", rc, err);
    h = get("/big", 10, 0, &rc, err, sizeof err);
    CHECK(h && read_all(h, body, sizeof body, &total, err, sizeof err) == 0, "no limit: %s", err);
    dojo_http_free(h);
    dj_test_end();

    dj_test_begin("http: close ends the transfer (twice is fine); reads then fail as aborted");
    h = get("/slow-body", 10, 0, &rc, err, sizeof err);
    CHECK(rc == 0 && h, "open: %s", err);
    if (h) {
        dojo_http_close(h);
        dojo_http_close(h);
        const char *d;
        size_t n;
        rc = dojo_http_read(h, &d, &n, err, sizeof err);
        CHECK(rc == -DOJO_HTTP_ABORTED && strcmp(err, "the request to 127.0.0.1 was aborted") == 0,
              "read after close: %d %s", rc, err);
        CHECK(dojo_http_status(h) == 200, "status kept");
    }
    dojo_http_free(h);
    h = get("/ok", 10, 0, &rc, err, sizeof err);
    if (h) { /* the whole body may be in, but the reader has not seen its end */
        dojo_http_close(h);
        const char *d;
        size_t n;
        CHECK(dojo_http_read(h, &d, &n, err, sizeof err) == -DOJO_HTTP_ABORTED, "unread end");
    }
    dojo_http_free(h);
    h = get("/ok", 10, 0, &rc, err, sizeof err);
    if (h) {
        read_all(h, body, sizeof body, &total, err, sizeof err);
        dojo_http_close(h);
        const char *d;
        size_t n;
        CHECK(dojo_http_read(h, &d, &n, err, sizeof err) == 0, "closed after the end: still the end");
    }
    dojo_http_free(h);
    dojo_http_close(NULL);
    dojo_http_free(NULL);
    CHECK(strcmp(dojo_http_error_name(DOJO_HTTP_TOO_LARGE), "too_large") == 0 &&
          strcmp(dojo_http_error_name(42), "error") == 0, "error names");
    dj_test_end();

    __atomic_store_n(&srv.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(srv.thread, NULL);
    close(srv.lfd);
}
