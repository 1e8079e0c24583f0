-- http_spec.lua -- dojo.http.request against tests/http/server.py on 127.0.0.1, identical on
-- Lua 5.4 (C module) and LuaJIT (FFI). Every request goes to the loopback server, never
-- through a proxy of the environment (proxy = "").
local dojo = require "dojo"
local http = dojo.http
local json = dojo.json

local ROOT = debug.getinfo(1, "S").source:sub(2):match("^(.*)/tests/lua/[^/]*$") or "."

local server = {}

local support = require "support"
local sh, read_file = support.must, support.read

local function start_server()
  local base = os.tmpname()
  server.base = base
  sh(string.format("/usr/bin/python3 '%s/tests/http/server.py' '%s.port' --max-life 600 " ..
                   ">'%s.log' 2>&1 & echo $! > '%s.pid'", ROOT, base, base, base))
  server.pid = assert(tonumber(read_file(base .. ".pid")), "no server pid")
  local t0 = dojo.core.clock()
  while dojo.core.clock() - t0 < 15 do
    local s = read_file(base .. ".port")
    if s then
      local port, refused, tls = s:match("^(%d+)\n(%d+)\n(%d+)\n$")
      if port then
        server.port, server.refused, server.tls = tonumber(port), tonumber(refused), tonumber(tls)
        return
      end
    end
    sh("sleep 0.05")
  end
  error("the test server did not start: " .. (read_file(base .. ".log") or ""))
end

local function stop_server()
  if server.pid then os.execute("kill " .. server.pid .. " 2>/dev/null") end
  for _, ext in ipairs { "", ".port", ".pid", ".log" } do os.remove(server.base .. ext) end
  server.pid = nil
end

local function url(path) return "http://127.0.0.1:" .. server.port .. path end

-- request with the loopback defaults (no proxy, short timeouts)
local function request(t)
  if t.proxy == nil then t.proxy = "" end
  t.timeout = t.timeout or 20
  return http.request(t)
end

local raises, has = support.raises, support.has

describe("dojo.http.request", function()
  setup(start_server)
  teardown(stop_server)

  it("GETs a body with its status and lowercased headers, repeats joined", function()
    local res, err, kind = request { url = url("/ok") }
    assert.is_nil(err, kind)
    assert.equal(200, res.status)
    assert.equal("hello", res.body)
    assert.equal("text/plain", res.headers["content-type"])
    assert.equal("a, b", res.headers["x-twice"])
    assert.equal("5", res.headers["content-length"])
    assert.is_nil(res.headers["Content-Type"])
  end)

  it("POSTs a body with the headers given, and sends PUT and DELETE", function()
    local body = json.encode { model = "m", messages = { { role = "user", content = "hi" } } }
    local res = assert(request {
      url = url("/echo"), method = "POST", body = body,
      headers = { ["Content-Type"] = "application/json", Authorization = "Bearer k-123" },
    })
    assert.equal(201, res.status)
    local echo = assert(json.decode(res.body))
    assert.equal("POST", echo.method)
    assert.equal(body, echo.body)
    assert.equal("Bearer k-123", echo.headers.authorization)
    assert.equal("application/json", echo.headers["content-type"])
    assert.is_nil(echo.headers.expect)
    -- a body alone means POST
    echo = json.decode(assert(request { url = url("/echo"), body = "x" }).body)
    assert.equal("POST", echo.method)
    echo = json.decode(assert(request { url = url("/echo"), method = "PUT", body = "p" }).body)
    assert.same({ "PUT", "p" }, { echo.method, echo.body })
    echo = json.decode(assert(request { url = url("/echo"), method = "DELETE" }).body)
    assert.same({ "DELETE", "" }, { echo.method, echo.body })
  end)

  it("returns 404 and 500 as responses, not failures", function()
    for _, code in ipairs { 404, 500 } do
      local res, err = request { url = url("/status/" .. code) }
      assert.is_nil(err)
      assert.equal(code, res.status)
      assert.equal("oops", res.body)
    end
  end)

  it("follows a redirect only when asked", function()
    local res = assert(request { url = url("/redirect") })
    assert.equal(302, res.status)
    assert.equal("/ok", res.headers.location)
    res = assert(request { url = url("/redirect"), follow_redirects = true })
    assert.equal(200, res.status)
    assert.equal("hello", res.body)
  end)

  it("goes through the proxy it is given", function()
    local res = assert(http.request { url = "http://dojo-proxy-test.invalid/ok",
                                      proxy = "http://127.0.0.1:" .. server.port, timeout = 20 })
    assert.equal("hello", res.body)
  end)

  it("parses server-sent events as they arrive (BOM, comments, CRLF, CR, split lines)", function()
    local events, pieces, released = {}, {}, nil
    local res, err, kind = request {
      url = url("/sse"),
      on_data = function(chunk) pieces[#pieces + 1] = chunk end,
      on_event = function(ev)
        events[#events + 1] = ev
        if #events == 1 then -- the server waits for this before it sends the rest
          released = request { url = url("/release") }
        end
      end,
    }
    assert.is_nil(err, kind)
    assert.equal(200, res.status)
    assert.equal("text/event-stream", res.headers["content-type"])
    assert.equal(204, released and released.status)
    assert.equal(3, #events)
    assert.same({ event = "greeting", data = "hello\nworld", id = "1" }, events[1])
    assert.same({ event = "message", data = '{"n": 2}', id = "1" }, events[2])
    assert.same({ event = "done", data = "released", id = "1", retry = 1500 }, events[3])
    assert.is_true(#pieces >= 4)
    assert.equal(table.concat(pieces), res.body)
    assert.truthy(has(res.body, "never dispatched"))
  end)

  it("stops when on_event or on_data returns false: nil, message, aborted", function()
    local n = 0
    local t0 = dojo.core.clock()
    local res, err, kind = request { url = url("/sse-forever"),
                                     on_event = function() n = n + 1; return n < 2 end }
    assert.is_nil(res)
    assert.equal("aborted", kind)
    assert.equal("the request to 127.0.0.1 was aborted", err)
    assert.equal(2, n)
    assert.is_true(dojo.core.clock() - t0 < 5)
    res, err, kind = request { url = url("/ok"), on_data = function() return false end }
    assert.same({ nil, "aborted" }, { res, kind })
    -- nil (no return value) does not stop
    res = assert(request { url = url("/ok"), on_data = function() end, on_event = function() end })
    assert.equal("hello", res.body)
  end)

  it("lets an error in a callback propagate", function()
    local err = raises(request, { url = url("/sse-forever"), on_event = function() error("boom", 0) end })
    assert.equal("boom", err)
  end)

  it("times out on a slow reply, before the headers or in the body", function()
    local t0 = dojo.core.clock()
    local res, err, kind = request { url = url("/slow"), timeout = 0.5 }
    local dt = dojo.core.clock() - t0
    assert.is_nil(res)
    assert.equal("timeout", kind)
    assert.equal("the request to 127.0.0.1 timed out after 0.5 s", err)
    assert.is_true(dt >= 0.45 and dt < 3, "took " .. dt)
    res, err, kind = request { url = url("/slow-body"), timeout = 0.5 }
    assert.same({ nil, "timeout" }, { res, kind })
  end)

  it("reports a refused connection as connect, naming only host and port", function()
    local res, err, kind = request {
      url = "http://127.0.0.1:" .. server.refused .. "/v1/chat?key=SECRET-Q",
      headers = { Authorization = "Bearer SECRET-H" },
    }
    assert.is_nil(res)
    assert.equal("connect", kind)
    assert.equal("could not connect to 127.0.0.1 port " .. server.refused .. ": Connection refused", err)
    assert.is_false(has(err, "SECRET"))
  end)

  it("verifies TLS certificates: a self-signed one fails as tls", function()
    local res, err, kind = request { url = "https://127.0.0.1:" .. server.tls .. "/ok" }
    assert.is_nil(res)
    assert.equal("tls", kind)
    assert.truthy(err:find("^TLS with 127%.0%.0%.1 failed: .*certificate"), err)
  end)

  it("fails a body over max_bytes as too_large, with or without a length", function()
    local res, err, kind = request { url = url("/big"), max_bytes = 1000 }
    assert.is_nil(res)
    assert.equal("too_large", kind)
    assert.equal("the response from 127.0.0.1 exceeds the limit of 1000 bytes", err)
    res, err, kind = request { url = url("/big-length"), max_bytes = 1000 }
    assert.same({ nil, "too_large" }, { res, kind })
    res = assert(request { url = url("/big") })
    assert.equal(300000, #res.body)
  end)

  it("returns a bad URL as an error", function()
    local res, err, kind = request { url = "ftp://127.0.0.1/x" }
    assert.same({ nil, "the URL's scheme is not http or https", "error" }, { res, err, kind })
  end)

  it("raises on misuse, in one sentence", function()
    assert.truthy(has(raises(http.request, {}), "url is required"))
    assert.truthy(has(raises(http.request, "http://x"), "must be a table"))
    assert.truthy(has(raises(http.request, { url = url("/ok"), timeout = -1 }),
                      "timeout must be a finite number >= 0 (got -1)"))
    assert.truthy(has(raises(http.request, { url = url("/ok"), headers = { ["X-N"] = 1 } }),
                      "header X-N must be a string, not a number"))
    assert.truthy(has(raises(http.request, { url = url("/ok"), headers = { "X: y" } }),
                      "header name 1 is not a valid HTTP header name"))
    assert.truthy(has(raises(http.request, { url = url("/ok"), headers = { X = "a\r\nY: b" } }),
                      "header X contains a line break"))
    assert.truthy(has(raises(http.request, { url = url("/ok"), tiemout = 1 }),
                      "unknown option 'tiemout'"))
    assert.truthy(has(raises(http.request, { url = url("/ok"), method = "get" }), "method must be"))
    assert.truthy(has(raises(http.request, { url = url("/ok"), on_event = true }),
                      "on_event must be a function, not a boolean"))
  end)
end)

describe("dojo.core.http_open", function()
  setup(start_server)
  teardown(stop_server)

  it("reads a body piece by piece; close is idempotent; a closed response raises", function()
    local h = assert(dojo.core.http_open { url = url("/ok"), proxy = "", timeout = 20 })
    assert.equal(200, h:status())
    local twice = {}
    for _, nv in ipairs(h:headers()) do
      if nv[1] == "X-Twice" then twice[#twice + 1] = nv[2] end
    end
    assert.same({ "a", "b" }, twice)
    assert.truthy(has(tostring(h), "dojo.http 200 from 127.0.0.1"))
    assert.equal("hello", h:read())
    assert.is_nil(h:read())
    h:close()
    h:close()
    assert.equal("dojo.http (closed)", tostring(h))
    assert.truthy(has(raises(h.read, h), "http response is closed"))
  end)

  it("abort makes the next read fail as aborted", function()
    local h = assert(dojo.core.http_open { url = url("/slow-body"), proxy = "", timeout = 20 })
    h:abort()
    h:abort()
    local data, err, kind = h:read()
    assert.same({ nil, "the request to 127.0.0.1 was aborted", "aborted" }, { data, err, kind })
    assert.equal(200, h:status())
    h:close()
  end)
end)

describe("dojo.http.sse", function()
  it("parses pieces split anywhere, per the EventSource rules", function()
    local text = ": c\r\nid: 7\r\nevent: a\r\ndata:x\r\ndata:  y\r\n\r\ndata\n\nretry: z\nfoo: bar\ndata: 3\r\r"
    local whole = {}
    assert.is_true(http.sse(function(ev) whole[#whole + 1] = ev end)(text))
    assert.same({
      { event = "a", data = "x\n y", id = "7" },
      { event = "message", data = "", id = "7" },
      { event = "message", data = "3", id = "7" },
    }, whole)
    for size = 1, 5 do -- the same events, fed a few bytes at a time
      local got = {}
      local feed = http.sse(function(ev) got[#got + 1] = ev end)
      for i = 1, #text, size do feed(text:sub(i, i + size - 1)) end
      assert.same(whole, got)
    end
  end)

  it("stops at on_event's false", function()
    local n = 0
    local feed = http.sse(function() n = n + 1; return false end)
    assert.is_false(feed("data: 1\n\ndata: 2\n\n"))
    assert.is_false(feed("data: 3\n\n"))
    assert.equal(1, n)
  end)
end)
