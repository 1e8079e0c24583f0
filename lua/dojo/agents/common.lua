-- What the LLM agents (mle, aide) share: the model client, reading actions and code out of
-- a reply, fitting a conversation into a token budget, and the accounting of model calls.
--
-- Agent options (dojo.run passes them to new(opts)):
--   client      an object with chat(messages, opts) -> reply | nil, message, kind (dojo.llm's
--               client; tests pass a scripted one)
--   llm         a dojo.llm configuration (used when no client is given)
--   tools       a toolchain (dojo.tools); default: the env's actions
--   record      function(rec): appends an agent event to the trajectory
--   out         the episode's output directory
--   max_repairs how many times an unusable reply is sent back for repair (default 3)
--   max_failures consecutive failed turns after which the agent stops (default 3)
--   context_tokens the conversation's budget in tokens (estimated as characters / 4; default 24000)
local json = require "dojo.json"

local M = {}

M.DEFAULTS = { max_repairs = 3, max_failures = 3, context_tokens = 24000 }

function M.options(opts)
  local o = {}
  for k, v in pairs(M.DEFAULTS) do o[k] = v end
  for k, v in pairs(opts or {}) do o[k] = v end
  if not o.client then
    if not o.llm then error("an LLM agent needs a model: give --model (or set DOJO_LLM_MODEL)", 0) end
    local client, err = require("dojo.llm").client(o.llm)
    if not client then error(err, 0) end
    o.client = client
  end
  o.tools = o.tools or require("dojo.tools").default()
  o.record = o.record or function() end
  return o
end

---------------------------------------------------------------------------------------------
-- Reading a reply

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- The fenced blocks of a reply: { {lang =, body =}, ... } in order.
function M.fences(text)
  local out = {}
  for lang, body in text:gmatch("```[ \t]*([%w_+%-]*)[^\n]*\n(.-)\n?```") do
    out[#out + 1] = { lang = lang:lower(), body = body }
  end
  return out
end

-- The balanced {...} spans of text (strings in them respected), outermost first.
local function brace_spans(text)
  local spans, i, n = {}, 1, #text
  while true do
    local s = text:find("{", i, true)
    if not s then break end
    local depth, j, in_str, done = 0, s, false, nil
    while j <= n do
      local c = text:sub(j, j)
      if in_str then
        if c == "\\" then j = j + 1 elseif c == '"' then in_str = false end
      elseif c == '"' then in_str = true
      elseif c == "{" then depth = depth + 1
      elseif c == "}" then
        depth = depth - 1
        if depth == 0 then done = j break end
      end
      j = j + 1
    end
    if done then
      spans[#spans + 1] = text:sub(s, done)
      i = done + 1
    else
      i = s + 1
    end
  end
  return spans
end

-- Models often put raw newlines and tabs inside JSON strings (code): escape them.
local function escape_controls(s)
  local out, in_str, i, n = {}, false, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if in_str then
      if c == "\\" then out[#out + 1] = s:sub(i, i + 1) i = i + 1
      elseif c == '"' then in_str = false out[#out + 1] = c
      elseif c == "\n" then out[#out + 1] = "\\n"
      elseif c == "\r" then out[#out + 1] = "\\r"
      elseif c == "\t" then out[#out + 1] = "\\t"
      else out[#out + 1] = c end
    else
      if c == '"' then in_str = true end
      out[#out + 1] = c
    end
    i = i + 1
  end
  return table.concat(out)
end

local function decode_object(s)
  local v = json.decode(s)
  if type(v) ~= "table" then v = json.decode(escape_controls(s)) end
  if type(v) == "table" and not json.is_array(v) then return v end
  return nil
end

-- The code of a reply: its last ```python block (or the last fenced block that is not JSON).
function M.extract_code(text)
  local code
  for _, f in ipairs(M.fences(text or "")) do
    if f.lang == "python" or f.lang == "py" or f.lang == "python3" then code = f.body end
  end
  if code then return code end
  for _, f in ipairs(M.fences(text or "")) do
    if f.lang ~= "json" and not trim(f.body):match("^{") then code = f.body end
  end
  return code
end

-- parse_action(text, chain) -> action, params | nil, problem
-- The JSON action protocol: {"action": NAME, "params": {...}} alone, in prose, or in a
-- ```json fence. A code parameter left out of the JSON may come from a ```python block.
function M.parse_action(text, chain)
  if type(text) ~= "string" or trim(text) == "" then return nil, "the reply was empty" end
  local candidates = {}
  for _, f in ipairs(M.fences(text)) do
    if f.lang == "json" or trim(f.body):match("^{") then candidates[#candidates + 1] = trim(f.body) end
  end
  candidates[#candidates + 1] = trim(text)
  for _, s in ipairs(brace_spans(text)) do candidates[#candidates + 1] = s end
  local problem
  for _, c in ipairs(candidates) do
    local obj = decode_object(c)
    if obj and type(obj.action) == "string" then
      local params = obj.params
      if params == nil then params = obj.parameters or obj.args or obj.arguments end
      if params == nil or params == json.null then params = {} end
      if type(params) == "table" and params.code == nil then
        local t = chain:get(obj.action)
        if t and t.parameters.properties and t.parameters.properties.code then params.code = M.extract_code(text) end
      end
      local args, err = chain:check_args(obj.action, params)
      if args then return obj.action, args end
      problem = problem or err
    end
  end
  return nil, problem or 'no JSON object with an "action" was found'
end

---------------------------------------------------------------------------------------------
-- The conversation

-- A rough token count: characters / 4, plus a little per message.
function M.tokens(msg)
  local n = #(msg.content or "") / 4 + 4
  for _, c in ipairs(msg.tool_calls or {}) do n = n + #(c.arguments_text or "") / 4 + 8 end
  return n
end

-- fit(head, turns, budget) -> messages: head (system + task) always; then the newest whole
-- turns that fit in the budget; a note says how many earlier turns were left out.
function M.fit(head, turns, budget)
  local used = 0
  for _, m in ipairs(head) do used = used + M.tokens(m) end
  local first = #turns + 1
  for i = #turns, 1, -1 do
    local t = 0
    for _, m in ipairs(turns[i]) do t = t + M.tokens(m) end
    if used + t > budget and i < #turns then break end -- the newest turn is always kept
    used = used + t
    first = i
  end
  local msgs = {}
  for i, m in ipairs(head) do msgs[i] = m end
  if first > 1 then
    local last = msgs[#msgs]
    msgs[#msgs] = { role = last.role, content = last.content .. string.format(
      "\n\n(%d earlier turn%s left out to fit the context; get_history lists every step.)", first - 1,
      first == 2 and " is" or "s are") }
  end
  for i = first, #turns do
    for _, m in ipairs(turns[i]) do msgs[#msgs + 1] = m end
  end
  return msgs, first - 1
end

-- The budget line of every prompt.
function M.budget_text(info)
  local used, max = info.step or 0, info.max_steps or 0
  local s = string.format("[Steps used %d of %d; %d left.", used, max, math.max(0, max - used))
  if info.time_left then s = s .. string.format(" Time left %.0f s.", info.time_left) end
  if info.best and info.best.public_score then s = s .. string.format(" Best public score so far %.6g.", info.best.public_score) end
  return s .. "]"
end

---------------------------------------------------------------------------------------------
-- Accounting

local Meter = {}
Meter.__index = Meter

-- Model errors no retry or repair can mend: the agent stops at once (a rejected key, an
-- unknown model or endpoint, a misconfigured client).
M.FATAL = { auth = true, not_found = true, invalid = true }

function M.meter(client)
  return setmetatable({ client = client, calls = 0, input_tokens = 0, output_tokens = 0, cost = nil, failures = 0,
                        repairs = 0, model_errors = 0, latency_s = 0 }, Meter)
end

-- chat(messages, opts, note) -> reply | nil, message: one model call, counted in the meter
-- and in note (the step's record).
function Meter:chat(messages, opts, note)
  self.calls = self.calls + 1
  note.calls = (note.calls or 0) + 1
  local ok, reply, err, kind = pcall(self.client.chat, self.client, messages, opts)
  if not ok then reply, err, kind = nil, tostring(reply), "error" end
  if not reply then
    self.model_errors = self.model_errors + 1
    note.errors = note.errors or {}
    note.errors[#note.errors + 1] = { message = err, kind = kind }
    if M.FATAL[kind] then self.fatal = err end
    return nil, err, kind
  end
  local u = reply.usage or {}
  local inp, outp = tonumber(u.input_tokens) or 0, tonumber(u.output_tokens) or 0
  self.input_tokens, self.output_tokens = self.input_tokens + inp, self.output_tokens + outp
  note.usage = note.usage or { input_tokens = 0, output_tokens = 0 }
  note.usage.input_tokens, note.usage.output_tokens = note.usage.input_tokens + inp, note.usage.output_tokens + outp
  if reply.cost then
    self.cost = (self.cost or 0) + reply.cost
    note.cost = (note.cost or 0) + reply.cost
  end
  if reply.latency_s then
    self.latency_s = self.latency_s + reply.latency_s
    note.latency_s = (note.latency_s or 0) + reply.latency_s
  end
  note.model = reply.model or note.model
  return reply
end

-- ask(agent, info, t) -> value, note | nil: asks the model until a reply is usable.
--   t.note       the step's note to start from
--   t.messages   the conversation of this turn (repairs are appended to it)
--   t.opts       the chat options
--   t.read(reply, note) -> value | nil, problem, repair: a usable reply's value, or the
--                problem and the messages that ask for a repair
-- An unusable reply is sent back up to max_repairs times; then the turn is a failure, and
-- the next turn starts afresh (t.messages is called again), up to max_failures turns in a
-- row. A fatal model error stops at once. The agent has o, meter and consecutive; on nil,
-- agent.stopped says why.
function M.ask(agent, info, name, t)
  local o, meter = agent.o, agent.meter
  while agent.consecutive < o.max_failures do
    local note = t.note()
    local msgs = t.messages(note)
    for attempt = 0, o.max_repairs do
      local reply, err = meter:chat(msgs, t.opts, note)
      if not reply then
        o.record({ kind = "agent", event = "model_error", step = info.step + 1, error = err, agent = name })
        if meter.fatal then
          agent.stopped = err
          return nil
        end
        break
      end
      note.reply = reply.content
      local value, problem, repair = t.read(reply, note)
      if value ~= nil then
        agent.consecutive = 0
        note.finish_reason = reply.finish_reason
        return value, note
      end
      note.rejected = note.rejected or {}
      note.rejected[#note.rejected + 1] = { reply = reply.content, problem = problem }
      if attempt < o.max_repairs then
        meter.repairs = meter.repairs + 1
        for _, m in ipairs(repair) do msgs[#msgs + 1] = m end
      end
    end
    agent.consecutive = agent.consecutive + 1
    meter.failures = meter.failures + 1
    o.record({ kind = "agent", event = "failed_turn", step = info.step + 1, agent = name, calls = note.calls,
               rejected = note.rejected, errors = note.errors })
  end
  agent.stopped = string.format("%d failed turns in a row", agent.consecutive)
  return nil
end

function Meter:summary(extra)
  local s = { calls = self.calls, input_tokens = self.input_tokens, output_tokens = self.output_tokens,
              total_tokens = self.input_tokens + self.output_tokens, cost = self.cost, failures = self.failures,
              repairs = self.repairs, model_errors = self.model_errors, model_latency_s = self.latency_s,
              fatal = self.fatal }
  for k, v in pairs(extra or {}) do s[k] = v end
  return s
end

return M
