-- dojo.llm.anthropic: the Anthropic messages wire format (internal; see dojo.llm).
--
--   POST {base}/v1/messages   x-api-key: KEY   anthropic-version: 2023-06-01
-- The system prompt is a top-level field; max_tokens is required; content is a list of
-- blocks (text, tool_use, tool_result); tool results go back as a user message of
-- tool_result blocks; consecutive messages of the same role are merged into one.
-- Streaming events: message_start, content_block_start, content_block_delta (text_delta,
-- input_json_delta), content_block_stop, message_delta (stop_reason, usage), message_stop,
-- ping, error.
local common = require "dojo.llm.common"
local json = common.json

local M = { VERSION = "2023-06-01", DEFAULT_MAX_TOKENS = 4096 }

local function tool_choice(tc)
  if tc == nil then return nil end
  if tc == "auto" then return { type = "auto" } end
  if tc == "none" then return { type = "none" } end
  if tc == "required" or tc == "any" then return { type = "any" } end
  local name = type(tc) == "table" and tc.name or tc
  return { type = "tool", name = name }
end

function M.build(req)
  local cfg = req.cfg
  local system, msgs = {}, json.array()
  local add = common.grouper(msgs, "content")
  for _, m in ipairs(req.messages) do
    if m.role == "system" then
      if m.content and m.content ~= "" then system[#system + 1] = m.content end
    elseif m.role == "tool" then
      local block = { type = "tool_result", tool_use_id = m.tool_call_id, content = m.content or "" }
      if m.is_error then block.is_error = true end
      add("user", block)
    elseif m.role == "assistant" then
      if m.content and m.content ~= "" then add("assistant", { type = "text", text = m.content }) end
      for i, tc in ipairs(m.tool_calls or {}) do
        add("assistant", { type = "tool_use", id = tc.id or ("toolu_" .. i), name = tc.name,
                           input = common.call_args(tc) })
      end
    else
      -- the API rejects empty text blocks; an empty user turn says so
      add("user", { type = "text", text = (m.content and m.content ~= "") and m.content or "(empty)" })
    end
  end
  local body = { model = cfg.model, messages = msgs,
                 max_tokens = req.max_tokens or M.DEFAULT_MAX_TOKENS }
  if #system > 0 then body.system = table.concat(system, "\n\n") end
  body.temperature, body.top_p = req.temperature, req.top_p
  if req.tools and #req.tools > 0 then
    local tools = json.array()
    for i, t in ipairs(req.tools) do
      tools[i] = { name = t.name, description = t.description,
                   input_schema = common.schema(t.parameters or { type = "object", properties = {} }) }
    end
    body.tools = tools
    body.tool_choice = tool_choice(req.tool_choice)
  end
  if req.stream then body.stream = true end
  local headers = { ["Content-Type"] = "application/json", ["anthropic-version"] = M.VERSION,
                    Accept = req.stream and "text/event-stream" or "application/json" }
  if req.key then headers["x-api-key"] = req.key end
  return { url = cfg.base_url .. "/v1/messages", headers = headers, body = body }
end

local function usage_of(u, base)
  if type(u) ~= "table" then return base end
  local input = common.num(u.input_tokens)
  if input then
    input = input + (common.num(u.cache_creation_input_tokens) or 0) + (common.num(u.cache_read_input_tokens) or 0)
  elseif base then
    input = base.input_tokens
  end
  local output = common.num(u.output_tokens) or (base and base.output_tokens)
  return common.usage(input, output)
end

function M.parse(v, ctx)
  if type(v) ~= "table" or type(v.content) ~= "table" then
    return nil, "the response has no content list"
  end
  local text, calls = {}, {}
  for _, b in ipairs(v.content) do
    if type(b) == "table" then
      if b.type == "text" and type(b.text) == "string" then
        text[#text + 1] = b.text
      elseif b.type == "tool_use" then
        calls[#calls + 1] = common.tool_call(common.str(b.id) or ctx.next_id(), common.str(b.name), b.input)
      end
    end
  end
  return common.reply { content = table.concat(text), calls = calls, finish = v.stop_reason,
                        model = common.str(v.model), usage = usage_of(v.usage) }
end

-- Errors that a stream reports which are worth another attempt.
local RETRYABLE = { overloaded_error = true, api_error = true, rate_limit_error = true, timeout_error = true }

function M.stream(ctx)
  local acc = { blocks = {}, order = {}, raw = {} }
  function acc:event(ev)
    if ev.data == nil or ev.data == "" then return true end
    local v, err = json.decode(ev.data)
    if type(v) ~= "table" then
      self.err = "a streamed event is not valid JSON (" .. tostring(err) .. ")"
      return false
    end
    if ctx.keep_raw then self.raw[#self.raw + 1] = v end
    local t = v.type or ev.event
    if t == "message_start" and type(v.message) == "table" then
      self.model = common.str(v.message.model)
      self.usage = usage_of(v.message.usage)
    elseif t == "content_block_start" and type(v.content_block) == "table" then
      local idx = common.num(v.index) or #self.order
      local b = v.content_block
      local blk = { type = b.type, text = {}, id = common.str(b.id), name = common.str(b.name) }
      if type(b.text) == "string" and b.text ~= "" then blk.text[1] = b.text end
      if type(b.input) == "table" and next(b.input) ~= nil then blk.input = b.input end
      if not self.blocks[idx] then self.order[#self.order + 1] = idx end
      self.blocks[idx] = blk
    elseif t == "content_block_delta" and type(v.delta) == "table" then
      local blk = self.blocks[common.num(v.index) or -1]
      local d = v.delta
      if blk then
        if d.type == "text_delta" and type(d.text) == "string" then
          blk.text[#blk.text + 1] = d.text
          if ctx.on_text then ctx.on_text(d.text) end
        elseif d.type == "input_json_delta" and type(d.partial_json) == "string" then
          blk.text[#blk.text + 1] = d.partial_json
        end
      end
    elseif t == "message_delta" then
      if type(v.delta) == "table" and common.str(v.delta.stop_reason) then self.finish = v.delta.stop_reason end
      self.usage = usage_of(v.usage, self.usage) -- cumulative counts: the latest wins
    elseif t == "message_stop" then
      self.done = true
    elseif t == "error" then
      local e = type(v.error) == "table" and v.error or {}
      self.err = "the stream reported an error: " .. common.clip(common.str(e.message) or common.str(e.type) or ev.data)
      self.retryable = RETRYABLE[e.type] or false
      return false
    end
    return true
  end
  function acc:result()
    local failure, retryable = common.stream_failure(self)
    if failure then return nil, failure, retryable end
    table.sort(self.order)
    local text, calls = {}, {}
    for _, idx in ipairs(self.order) do
      local b = self.blocks[idx]
      if b.type == "text" then
        text[#text + 1] = table.concat(b.text)
      elseif b.type == "tool_use" then
        local args = table.concat(b.text)
        if args == "" and b.input then args = b.input end
        calls[#calls + 1] = common.tool_call(b.id or ctx.next_id(), b.name, args)
      end
    end
    return common.reply { content = table.concat(text), calls = calls, finish = self.finish,
                          model = self.model, usage = self.usage, raw = ctx.keep_raw and self.raw or nil }
  end
  return acc
end

return M
