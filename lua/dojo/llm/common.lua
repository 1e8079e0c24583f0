-- dojo.llm.common: helpers shared by the provider wire formats (internal).
local json = require "dojo.json"

local M = { json = json }

local function is_null(v) return v == nil or v == json.null end
M.is_null = is_null

--- v when it is a string, else nil.
function M.str(v) if type(v) == "string" then return v end return nil end

--- v when it is a number, else nil.
function M.num(v) if type(v) == "number" then return v end return nil end

--- The host of an http(s) URL ("api.openai.com", "127.0.0.1:8000" without the port).
function M.host(url)
  if type(url) ~= "string" then return nil end
  local authority = url:match("^%a[%w+.-]*://([^/?#]*)")
  if not authority then return nil end
  authority = authority:gsub("^.*@", "")
  if authority:sub(1, 1) == "[" then return authority:match("^%[([^%]]*)%]") end
  return (authority:gsub(":%d*$", ""))
end

--- The path of an http(s) URL ("" when it has none).
function M.path(url)
  return (url:match("^%a[%w+.-]*://[^/?#]*([^?#]*)") or "")
end

local LOCAL_HOSTS = { ["localhost"] = true, ["127.0.0.1"] = true, ["::1"] = true, ["0.0.0.0"] = true }

--- True when url points at this machine (where an API key is optional).
function M.is_local(url)
  local h = M.host(url)
  if not h then return false end
  h = h:lower()
  return LOCAL_HOSTS[h] or h:match("^127%.%d+%.%d+%.%d+$") ~= nil or h:match("%.localhost$") ~= nil
end

--- A copy of a JSON schema in which the lists that JSON Schema defines as arrays stay
--- arrays when empty (an empty Lua table would otherwise encode as {}).
function M.schema(s)
  if type(s) ~= "table" or s == json.null then return s end
  local mt = getmetatable(s)
  if mt == json.array_mt or mt == json.object_mt then
    local out = setmetatable({}, mt)
    for k, v in pairs(s) do out[k] = M.schema(v) end
    return out
  end
  local out = {}
  for k, v in pairs(s) do
    if (k == "required" or k == "enum") and type(v) == "table" and next(v) == nil then
      out[k] = json.array()
    elseif k == "properties" and type(v) == "table" and next(v) == nil then
      out[k] = json.object()
    else
      out[k] = M.schema(v)
    end
  end
  if next(out) == nil then return json.object() end
  return out
end

--- A tool call as replies carry it: arguments decoded from text (or encoded from a table).
--- The arguments of a call must be a JSON object; anything else sets `error`.
function M.tool_call(id, name, args)
  local call = { id = id, name = name or "" }
  if type(args) == "table" and args ~= json.null then
    call.arguments = args
    call.arguments_text = json.encode(args) or "{}"
    return call
  end
  local text = type(args) == "string" and args or ""
  call.arguments_text = text
  if text:match("^%s*$") then
    call.arguments = {}
    return call
  end
  local v, err = json.decode(text)
  if v == nil then
    call.error = string.format("the arguments of tool call '%s' are not valid JSON (%s)", call.name, err)
  elseif type(v) ~= "table" or v == json.null or json.is_array(v) then
    call.error = string.format("the arguments of tool call '%s' are not a JSON object", call.name)
  else
    call.arguments = v
  end
  return call
end

--- The arguments of a message's tool call as a table that encodes as a JSON object.
function M.call_args(tc)
  local a = tc.arguments
  if type(a) ~= "table" or a == json.null then
    a = type(tc.arguments_text) == "string" and json.decode(tc.arguments_text) or nil
    if type(a) ~= "table" or a == json.null or json.is_array(a) then a = nil end
  end
  if a == nil or next(a) == nil then return json.object() end
  return a
end

--- The arguments text of a message's tool call.
function M.call_text(tc)
  if type(tc.arguments_text) == "string" then return tc.arguments_text end
  if type(tc.arguments) == "table" then return json.encode(M.call_args(tc)) or "{}" end
  return "{}"
end

--- One line of at most n characters, for quoting a server's answer in a message.
function M.clip(s, n)
  n = n or 300
  s = tostring(s or ""):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if #s > n then s = s:sub(1, n) .. "..." end
  return s
end

--- The error message in a provider's error body (OpenAI, Anthropic and Gemini all use
--- {"error": {"message": ...}}; some servers send {"error": "..."} or {"message": ...}).
function M.error_message(body)
  if type(body) ~= "string" or body == "" then return nil end
  local v = json.decode(body)
  if type(v) == "table" then
    local e = v.error
    if type(e) == "string" then return M.clip(e) end
    if type(e) == "table" and type(e.message) == "string" then return M.clip(e.message) end
    if type(v.message) == "string" then return M.clip(v.message) end
    if type(v.detail) == "string" then return M.clip(v.detail) end
    return nil
  end
  return M.clip(body, 200)
end

-- Normalized finish reasons: "stop", "length", "tool_calls", else the provider's own word.
local FINISH = {
  stop = "stop", end_turn = "stop", stop_sequence = "stop", STOP = "stop",
  length = "length", max_tokens = "length", MAX_TOKENS = "length",
  tool_calls = "tool_calls", tool_use = "tool_calls", function_call = "tool_calls",
}
function M.finish(reason)
  if type(reason) ~= "string" then return nil end
  return FINISH[reason] or reason:lower()
end

--- The reply every provider returns: t.content (text, "" when none), t.reasoning (nil when
--- empty), t.calls (tool calls), t.finish (the provider's reason, normalised by M.finish),
--- t.model, t.usage, t.raw (the raw events of a stream, when the caller keeps them).
function M.reply(t)
  return {
    content = t.content or "",
    reasoning = t.reasoning ~= "" and t.reasoning or nil,
    tool_calls = t.calls or {},
    finish_reason = M.finish(t.finish),
    model = t.model,
    usage = t.usage,
    raw = t.raw,
  }
end

--- Why a stream that has ended gave no complete reply: the error it reported (and whether a
--- retry may help), or "ended early" when neither its end event (acc.done) nor a finish
--- reason arrived; nil when the reply is complete.
function M.stream_failure(acc)
  if acc.err then return acc.err, acc.retryable end
  if not acc.done and not acc.finish then return "the stream ended before the reply was complete", true end
  return nil
end

--- add(role, item) for a list of messages: item joins the last message when it has that
--- role, else a new message {role =, [field] = {item}} starts; Anthropic and Gemini want
--- consecutive messages of one role merged.
function M.grouper(list, field)
  return function(role, item)
    local last = list[#list]
    if not last or last.role ~= role then
      last = { role = role, [field] = json.array() }
      list[#list + 1] = last
    end
    local items = last[field]
    items[#items + 1] = item
  end
end

--- Usage with a total (each count a number or nil).
function M.usage(input, output, total)
  input, output = M.num(input), M.num(output)
  total = M.num(total)
  if input and output and not total then total = input + output end
  return { input_tokens = input, output_tokens = output, total_tokens = total }
end

return M
