-- dojo.http: HTTP(S) requests over the kernel's libcurl (core/http.c), for the LLM
-- providers' APIs. The same on Lua 5.4 and LuaJIT.
--
--   local res, err, kind = dojo.http.request {
--     url = "https://api.example.com/v1/chat/completions", method = "POST",
--     headers = { ["Content-Type"] = "application/json", Authorization = "Bearer ..." },
--     body = json_text,
--     connect_timeout = 30, timeout = 600,      -- seconds (0: none); these are the defaults
--     max_bytes = 64 * 1024 * 1024,             -- the largest body accepted (the default)
--     proxy = nil,                              -- nil: $https_proxy etc.; "": none
--     follow_redirects = false,
--     on_data = function(chunk) end,            -- each piece of the body as it arrives
--     on_event = function(ev) end,              -- each server-sent event as it arrives
--   }
--   res.status    -- 200, 404, ... (an HTTP error status is a response, not a failure)
--   res.headers   -- { ["content-type"] = "...", ... }: names lowercased, repeats joined ", "
--   res.body      -- the whole body, also when on_data or on_event saw it piece by piece
--
-- A transport failure returns nil, one sentence naming the host (never the URL's path or
-- query, nor a header: API keys travel there) and its kind: "timeout", "connect",
-- "resolve", "tls", "too_large", "aborted" (a callback returned false) or "error".
-- Misuse (no url, an unknown option, a header that is not a string, a negative timeout)
-- raises an error.
--
-- on_data(chunk) and on_event(ev) are called for any status, so a client can read an error
-- reply's body from res.body. Returning false (not nil) from either stops the transfer:
-- request then returns nil, message, "aborted". An error raised in one closes the
-- connection and propagates.
--
-- Server-sent events follow the WHATWG EventSource parsing rules: lines end with CRLF, LF
-- or CR; a line starting with ":" is a comment; "field: value" (one space after the colon
-- dropped); data lines of one event are joined with "\n"; a blank line dispatches the event
-- when it has data. ev.event is the "event:" name ("message" when there is none), ev.data
-- the data, ev.id the last "id:" seen in the stream (nil before any), ev.retry the "retry:"
-- milliseconds when the event set them. An event the stream ends without dispatching is
-- dropped. dojo.http.sse(on_event) returns the parser alone: feed(chunk) -> false once
-- on_event returned false.
local core = require "dojo.core"
local options = require "dojo.options"

local M = {}

M.DEFAULTS = { connect_timeout = 30, timeout = 600, max_bytes = 64 * 1024 * 1024 }

local KEYS = {
  url = "string", method = "string", headers = "table", body = "string",
  connect_timeout = "number", timeout = "number", max_bytes = "number", proxy = "string",
  follow_redirects = "boolean", on_data = "function", on_event = "function",
}

local function bad(fmt, ...) error("http.request: " .. string.format(fmt, ...), 4) end

-- The kernel's options from the caller's; raises on misuse.
local function normalize(opts)
  if type(opts) ~= "table" then error("http.request: the argument must be a table of options", 3) end
  local ok, err = options.check(opts, KEYS)
  if not ok then bad("%s", err) end
  if not opts.url or opts.url == "" then bad("url is required") end
  if opts.method and not opts.method:find("^[A-Z][A-Z_-]*$") then
    bad("method must be an HTTP method in capitals such as GET or POST (got '%s')", opts.method)
  end
  if opts.max_bytes and (opts.max_bytes ~= math.floor(opts.max_bytes) or opts.max_bytes >= 2 ^ 63) then
    bad("max_bytes must be a whole number of bytes (got %s)", tostring(opts.max_bytes))
  end
  local headers = {}
  for name, value in pairs(opts.headers or {}) do
    if type(name) ~= "string" or not name:find("^[!#$%%&'*+.^_`|~%w-]+$") then
      bad("header name %s is not a valid HTTP header name", tostring(name))
    end
    if type(value) ~= "string" then bad("header %s must be a string, not a %s", name, type(value)) end
    if value:find("[\r\n%z]") then bad("header %s contains a line break or a NUL byte", name) end
    headers[#headers + 1] = name .. ": " .. value
  end
  table.sort(headers)
  local d = M.DEFAULTS
  return {
    url = opts.url, method = opts.method, body = opts.body, headers = headers,
    connect_timeout = opts.connect_timeout or d.connect_timeout,
    timeout = opts.timeout or d.timeout, max_bytes = opts.max_bytes or d.max_bytes,
    proxy = opts.proxy, follow_redirects = opts.follow_redirects,
  }
end

-- dojo.http.sse(on_event) -> feed(chunk): the server-sent-events parser (see above).
function M.sse(on_event)
  local pending = ""        -- an incomplete line
  local skip_lf = false     -- the last chunk ended with CR: a leading LF belongs to it
  local first = true        -- a UTF-8 BOM may start the stream
  local data, event, retry  -- the event being built (data: a list of lines)
  local last_id
  local stopped = false

  local function line(l)
    if l == "" then
      if data then
        local ev = { event = event or "message", data = table.concat(data, "\n"), id = last_id,
                     retry = retry }
        data, event, retry = nil, nil, nil
        if on_event(ev) == false then stopped = true end
      else
        event, retry = nil, nil
      end
      return
    end
    if l:sub(1, 1) == ":" then return end
    local field, value = l:match("^([^:]*):(.*)$")
    if not field then field, value = l, "" end
    if value:sub(1, 1) == " " then value = value:sub(2) end
    if field == "data" then
      data = data or {}
      data[#data + 1] = value
    elseif field == "event" then
      event = value
    elseif field == "id" then
      if not value:find("%z") then last_id = value end
    elseif field == "retry" then
      if value:find("^%d+$") then retry = tonumber(value) end
    end
  end

  return function(chunk)
    if stopped then return false end
    if skip_lf and chunk:sub(1, 1) == "\n" then chunk = chunk:sub(2) end
    skip_lf = false
    if first and chunk ~= "" then
      if chunk:sub(1, 3) == "\239\187\191" then chunk = chunk:sub(4) end
      first = false
    end
    local s, at = pending .. chunk, 1
    while not stopped do
      local e = s:find("[\r\n]", at)
      if not e then break end
      line(s:sub(at, e - 1))
      if s:sub(e, e) == "\r" then
        if e == #s then skip_lf = true
        elseif s:sub(e + 1, e + 1) == "\n" then e = e + 1 end
      end
      at = e + 1
    end
    pending = s:sub(at)
    return not stopped
  end
end

-- Calls fn(arg); on an error closes the response first, then raises it again.
local function call(h, fn, arg)
  local ok, r = pcall(fn, arg)
  if not ok then
    h:close()
    error(r, 0)
  end
  return r
end

-- dojo.http.request(opts) -> res | nil, message, kind (see the top of this file).
function M.request(opts)
  local t = normalize(opts)
  local h, err, kind = core.http_open(t)
  if not h then return nil, err, kind end
  local res = { status = h:status(), headers = {} }
  for _, nv in ipairs(h:headers()) do
    local name = nv[1]:lower()
    local seen = res.headers[name]
    res.headers[name] = seen and (seen .. ", " .. nv[2]) or nv[2]
  end
  local on_data = opts.on_data
  local feed = opts.on_event and M.sse(opts.on_event)
  local parts = {}
  while true do
    local chunk
    chunk, err, kind = h:read()
    if not chunk then break end
    parts[#parts + 1] = chunk
    if (on_data and call(h, on_data, chunk) == false) or (feed and call(h, feed, chunk) == false) then
      h:abort()
      chunk, err, kind = h:read()
      break
    end
  end
  h:close()
  if err then return nil, err, kind end
  res.body = table.concat(parts)
  return res
end

return M
