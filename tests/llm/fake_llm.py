#!/usr/bin/python3
"""fake_llm.py -- a scripted stand-in for the OpenAI, Anthropic and Gemini HTTP APIs (tests only).

    /usr/bin/python3 tests/llm/fake_llm.py --script SCRIPT.json --port-file PORTFILE
        [--log LOG.jsonl] [--repeat-last] [--parent PID]

Binds 127.0.0.1 on a free port (loopback only), writes the port to PORTFILE, and answers,
in each provider's real wire format (streaming as server-sent events when asked):
    POST .../chat/completions                        OpenAI (and Azure deployment paths)
    GET  .../models                                  OpenAI model list (consumes nothing)
    POST .../v1/messages                             Anthropic
    POST .../v1beta/models/<m>:generateContent       Gemini (:streamGenerateContent?alt=sse)
SCRIPT.json is a list of replies, consumed in order by whichever endpoint is called. Fields:
    content: "text"              tool_calls: [{"name": .., "arguments": {..} or "raw text", "id": ..}]
    status: 429 (an error reply in the provider's shape; "error": message)
    headers: {"retry-after": "0"}  extra response headers
    delay: seconds to wait before answering           usage: {"input_tokens": N, "output_tokens": N}
    expect_key: "k" (401 unless the request carries this key)
    finish_reason, model: override those fields       body: a raw body sent as is
    stream_error: "message" (a streamed reply breaks off with the provider's error event)
Default usage: request bytes / 4 in, reply characters / 4 out. An empty script answers 500
{"error": "fake script exhausted"}; --repeat-last replays the last reply forever instead.
Each request is appended to LOG.jsonl as {method, path, provider, headers, key_present,
key_ok, stream, body}: key values are replaced by "<redacted>" (key_ok records whether the
expected key was there). --parent PID: exit when that process is gone. Exits on SIGTERM.
"""
import argparse, json, os, re, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key")
LOCK = threading.Lock()
STATE = {"script": [], "n": 0}
ARGS = None
DEFAULT_MSG = {400: "bad request", 401: "invalid api key", 403: "forbidden", 404: "model not found",
               429: "rate limited", 500: "internal error", 502: "bad gateway", 503: "overloaded",
               504: "gateway timeout", 529: "overloaded"}


def next_item():
    with LOCK:
        STATE["n"] += 1
        s = STATE["script"]
        if not s:
            return None
        if ARGS.repeat_last and len(s) == 1:
            return dict(s[0])
        return s.pop(0)


def pieces(text, n=3):
    """Splits text into up to n non-empty pieces (streaming fragments)."""
    if not text:
        return []
    size = max(1, -(-len(text) // n))
    return [text[i:i + size] for i in range(0, len(text), size)]


def calls_of(item):
    out = []
    for i, c in enumerate(item.get("tool_calls") or []):
        args = c.get("arguments", {})
        text = args if isinstance(args, str) else json.dumps(args)
        try:
            obj = json.loads(text) if isinstance(args, str) else args
        except ValueError:
            obj = {}
        out.append({"id": c.get("id") or "call_fake_%d_%d" % (STATE["n"], i), "name": c["name"],
                    "text": text, "obj": obj if isinstance(obj, dict) else {}})
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def send(self, status, body, headers=None, ctype="application/json"):
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self, headers):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()

    def event(self, data, name=None):
        msg = ("event: %s\n" % name if name else "") + "data: %s\n\n" % (data if isinstance(data, str) else json.dumps(data))
        self.wfile.write(msg.encode())
        self.wfile.flush()

    def key(self):
        for h in KEY_HEADERS:
            v = self.headers.get(h)
            if v:
                return v[7:] if h == "authorization" and v.lower().startswith("bearer ") else v
        m = re.search(r"[?&]key=([^&]*)", self.path)
        return m.group(1) if m else None

    def do_GET(self):
        if self.path.split("?")[0].endswith("/models"):
            return self.send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "fake"}]})
        self.send(404, {"error": {"message": "no such endpoint: GET " + self.path}})

    def do_POST(self):
        path = self.path.split("?")[0]
        m = re.search(r"/v1beta/models/([^/:]+):(generateContent|streamGenerateContent)$", path)
        if path.endswith("/chat/completions"):
            prov, model = "openai", None
        elif path.endswith("/v1/messages"):
            prov, model = "anthropic", None
        elif m:
            prov, model = "gemini", m.group(1)
        else:
            return self.send(404, {"error": {"message": "no such endpoint: POST " + self.path}})
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        req = body if isinstance(body, dict) else {}
        stream = bool(m and m.group(2) == "streamGenerateContent") or req.get("stream") is True
        model = model or req.get("model") or "fake-model"
        item = next_item()
        key = self.key()
        entry = {"method": "POST", "path": re.sub(r"([?&]key=)[^&]*", r"\1<redacted>", self.path),
                 "provider": prov, "stream": stream, "key_present": key is not None, "key_ok": None, "body": body,
                 "headers": {k.lower(): ("<redacted>" if k.lower() in KEY_HEADERS else v) for k, v in self.headers.items()}}
        if item is not None and "expect_key" in item:
            entry["key_ok"] = key == item["expect_key"]
        if ARGS.log:
            with LOCK, open(ARGS.log, "a") as f:
                f.write(json.dumps(entry) + "\n")
        try:
            if item is None:
                return self.send(500, {"error": "fake script exhausted"})
            if item.get("delay"):
                time.sleep(float(item["delay"]))
            if "expect_key" in item and not entry["key_ok"]:
                return self.error(prov, 401, item)
            if "body" in item:
                return self.send(item.get("status", 200), item["body"], item.get("headers"))
            if item.get("status", 200) != 200:
                return self.error(prov, item["status"], item)
            calls = calls_of(item)
            text = item.get("content") or ""
            u = item.get("usage") or {}
            usage = (u.get("input_tokens", max(1, len(raw) // 4)),
                     u.get("output_tokens", max(1, (len(text) + sum(len(c["text"]) for c in calls)) // 4)))
            getattr(self, prov)(item, model, text, calls, usage, stream, req)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def error(self, prov, status, item):
        msg = item.get("error") or DEFAULT_MSG.get(status, "error")
        if prov == "openai":
            body = {"error": {"message": msg, "type": "fake_error", "code": None}}
        elif prov == "anthropic":
            body = {"type": "error", "error": {"type": "fake_error", "message": msg}}
        else:
            body = {"error": {"code": status, "message": msg, "status": "FAKE_ERROR"}}
        self.send(status, body, item.get("headers"))

    def openai(self, item, model, text, calls, usage, stream, req):
        model = item.get("model", model)
        finish = item.get("finish_reason") or ("tool_calls" if calls else "stop")
        u = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": usage[0] + usage[1]}
        base = {"id": "chatcmpl-fake-%d" % STATE["n"], "created": int(time.time()), "model": model}
        if not stream:
            msg = {"role": "assistant", "content": text if (text or not calls) else None}
            if calls:
                msg["tool_calls"] = [{"id": c["id"], "type": "function",
                                      "function": {"name": c["name"], "arguments": c["text"]}} for c in calls]
            return self.send(200, dict(base, object="chat.completion", usage=u,
                                       choices=[{"index": 0, "message": msg, "finish_reason": finish}]), item.get("headers"))
        self.start_sse(item.get("headers"))
        chunk = lambda delta, fin=None: dict(base, object="chat.completion.chunk",
                                             choices=[{"index": 0, "delta": delta, "finish_reason": fin}])
        self.event(chunk({"role": "assistant", "content": ""}))
        for i, p in enumerate(pieces(text)):
            self.event(chunk({"content": p}))
            if i == 0 and item.get("stream_error"):
                return self.event({"error": {"message": item["stream_error"], "type": "server_error"}})
        for i, c in enumerate(calls):
            self.event(chunk({"tool_calls": [{"index": i, "id": c["id"], "type": "function",
                                              "function": {"name": c["name"], "arguments": ""}}]}))
            for p in pieces(c["text"]):
                self.event(chunk({"tool_calls": [{"index": i, "function": {"arguments": p}}]}))
        self.event(chunk({}, finish))
        if (req.get("stream_options") or {}).get("include_usage"):
            self.event(dict(base, object="chat.completion.chunk", choices=[], usage=u))
        self.event("[DONE]")

    def anthropic(self, item, model, text, calls, usage, stream, req):
        model = item.get("model", model)
        stop = item.get("finish_reason") or ("tool_use" if calls else "end_turn")
        blocks = ([{"type": "text", "text": text}] if text else []) + \
                 [{"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["obj"]} for c in calls]
        msg = {"id": "msg_fake_%d" % STATE["n"], "type": "message", "role": "assistant", "model": model,
               "stop_sequence": None}
        if not stream:
            return self.send(200, dict(msg, content=blocks, stop_reason=stop,
                                       usage={"input_tokens": usage[0], "output_tokens": usage[1]}), item.get("headers"))
        self.start_sse(item.get("headers"))
        self.event(dict(type="message_start", message=dict(msg, content=[], stop_reason=None,
                   usage={"input_tokens": usage[0], "output_tokens": 1})), "message_start")
        self.event({"type": "ping"}, "ping")
        idx = 0
        if text:
            self.event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                       "content_block_start")
            for p in pieces(text):
                self.event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
                           "content_block_delta")
                if item.get("stream_error"):
                    return self.event({"type": "error", "error": {"type": "overloaded_error",
                                                                  "message": item["stream_error"]}}, "error")
            self.event({"type": "content_block_stop", "index": 0}, "content_block_stop")
            idx = 1
        for i, c in enumerate(calls):
            self.event({"type": "content_block_start", "index": idx + i, "content_block":
                        {"type": "tool_use", "id": c["id"], "name": c["name"], "input": {}}}, "content_block_start")
            for p in pieces(c["text"]):
                self.event({"type": "content_block_delta", "index": idx + i,
                            "delta": {"type": "input_json_delta", "partial_json": p}}, "content_block_delta")
            self.event({"type": "content_block_stop", "index": idx + i}, "content_block_stop")
        self.event({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": usage[1]}}, "message_delta")
        self.event({"type": "message_stop"}, "message_stop")

    def gemini(self, item, model, text, calls, usage, stream, req):
        finish = item.get("finish_reason") or "STOP"
        um = {"promptTokenCount": usage[0], "candidatesTokenCount": usage[1], "totalTokenCount": usage[0] + usage[1]}
        fparts = [{"functionCall": {"name": c["name"], "args": c["obj"]}} for c in calls]
        resp = lambda parts, extra: dict({"candidates": [dict({"content": {"role": "model", "parts": parts},
                                          "index": 0}, **extra)], "modelVersion": item.get("model", model)})
        if not stream:
            parts = ([{"text": text}] if text else []) + fparts
            body = resp(parts, {"finishReason": finish})
            body["usageMetadata"] = um
            return self.send(200, body, item.get("headers"))
        self.start_sse(item.get("headers"))
        for p in pieces(text):
            self.event(resp([{"text": p}], {}))
            if item.get("stream_error"):
                return self.event({"error": {"code": 503, "message": item["stream_error"], "status": "UNAVAILABLE"}})
        last = resp(fparts or [{"text": ""}], {"finishReason": finish})
        last["usageMetadata"] = um
        self.event(last)


def watch_parent(pid):
    while True:
        time.sleep(0.5)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass


def main():
    global ARGS
    ap = argparse.ArgumentParser(description="scripted fake LLM server (tests only)")
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--repeat-last", action="store_true")
    ap.add_argument("--parent", type=int)
    ARGS = ap.parse_args()
    with open(ARGS.script) as f:
        script = json.load(f)
    if not isinstance(script, list) or not all(isinstance(x, dict) for x in script):
        sys.exit("fake_llm: the script must be a JSON list of objects")
    STATE["script"] = script
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True

    def stop(*_):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    if ARGS.parent:
        threading.Thread(target=watch_parent, args=(ARGS.parent,), daemon=True).start()
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, ARGS.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
