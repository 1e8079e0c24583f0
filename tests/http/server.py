#!/usr/bin/python3
"""tests/http/server.py PORTFILE -- the loopback HTTP server of tests/lua/http_spec.lua.

Binds 127.0.0.1 on a port the kernel picks and writes two lines to PORTFILE: that port, and
a port bound but never listened on (connections to it are refused). Serves until killed, or
for --max-life seconds (300). Python's standard library only; loopback only.

Routes (a proxy's absolute-form request "GET http://host/ok" is routed by its path):
  /ok              200 "hello", Content-Type text/plain, X-Twice sent twice
  /echo            any method: 201 JSON {method, path, headers (lowercased), body}
  /status/N        status N, body "oops"
  /redirect        302 to /ok
  /sse             an event stream in chunks (BOM, comments, CRLF, CR, LF, a line split
                   across chunks, a CRLF split between chunks); after the first event it waits
                   up to 5 s for /release, and its last event says "released" or "late"
  /release         lets /sse go on (204)
  /sse-forever     "data: N" events every 20 ms for 10 s (for aborting)
  /slow            waits 5 s before answering
  /slow-body       sends 10 of 100 bytes, then waits 5 s
  /big             300000 bytes, chunked (no length)
  /big-length      announces 1 MiB and waits
"""
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

released = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def start_chunks(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def route(self):
        path = self.path
        if path.startswith("http://"):
            path = "/" + path[7:].partition("/")[2]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path == "/ok":
            self.reply(200, b"hello", [("Content-Type", "text/plain"), ("X-Twice", "a"),
                                       ("X-Twice", "b")])
        elif path == "/echo":
            doc = {"method": self.command, "path": self.path,
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "body": body.decode("utf-8", "replace")}
            self.reply(201, json.dumps(doc).encode(), [("Content-Type", "application/json")])
        elif path.startswith("/status/"):
            self.reply(int(path[8:]), b"oops")
        elif path == "/redirect":
            self.reply(302, b"", [("Location", "/ok")])
        elif path == "/release":
            released.set()
            self.reply(204)
        elif path == "/sse":
            released.clear()
            self.start_chunks("text/event-stream")
            self.chunk(b"\xef\xbb\xbf: a comment\r\nevent: greeting\r\ndata: hel")
            time.sleep(0.05)
            self.chunk(b"lo\r\ndata: world\r\nid: 1\r\n\r")
            time.sleep(0.05)
            self.chunk(b"\n")
            ok = released.wait(5)
            self.chunk(b'data: {"n": 2}\n\n')
            time.sleep(0.05)
            self.chunk(b":keepalive\n\nevent: done\ndata: " + (b"released" if ok else b"late") +
                       b"\rretry: 1500\r\r")
            self.chunk(b"data: never dispatched")
            self.chunk(b"")
        elif path == "/sse-forever":
            self.start_chunks("text/event-stream")
            for i in range(500):
                self.chunk(b"data: %d\n\n" % i)
                time.sleep(0.02)
            self.chunk(b"")
        elif path == "/slow":
            time.sleep(5)
            self.reply(200, b"late")
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            time.sleep(5)
            self.close_connection = True
        elif path == "/big":
            self.start_chunks("application/octet-stream")
            for _ in range(30):
                self.chunk(b"x" * 10000)
            self.chunk(b"")
        elif path == "/big-length":
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 20))
            self.end_headers()
            self.wfile.flush()
            time.sleep(5)
            self.close_connection = True
        else:
            self.reply(404, b"no such route")

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = route


def main():
    portfile = sys.argv[1]
    life = 300.0
    if len(sys.argv) > 3 and sys.argv[2] == "--max-life":
        life = float(sys.argv[3])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    refused = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    refused.bind(("127.0.0.1", 0))
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n%d\n" % (server.server_address[1], refused.getsockname()[1]))
    os.rename(tmp, portfile)
    threading.Timer(life, lambda: os._exit(0)).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
