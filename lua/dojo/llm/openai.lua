-- dojo.llm.openai: the OpenAI chat-completions wire format (internal; see dojo.llm).
--
-- Serves OpenAI itself and the servers that speak its dialect: Azure OpenAI, vLLM, the
-- llama.cpp server, Ollama (/v1), DeepSeek, xAI, OpenRouter...
--   POST {base}/chat/completions              Authorization: Bearer KEY
--   Azure: POST {endpoint}/openai/deployments/{model}/chat/completions?api-version=V
--          (or {endpoint}/openai/v1/chat/completions), header api-key: KEY
-- Streaming: server-sent events "data: {chunk}" ... "data: [DONE]", with
-- stream_options.include_usage so that a last chunk (empty choices) carries the usage.
local common = require "dojo.llm.common"
local json = common.json

local M = {}

local function url_for(cfg)
  local base = cfg.base_url
  if not cfg.azure then return base .. "/chat/completions" end
  local path = common.path(base)
  local url
  if path:find("/openai/deployments/", 1, true) or path:find("/openai/v1", 1, true) then
    url = base .. "/chat/completions"
  else
    url = base .. "/openai/deployments/" .. cfg.model .. "/chat/completions"
  end
  if not path:find("/openai/v1", 1, true) then
    url = url .. "?api-version=" .. (cfg.api_version or "2024-10-21")
  end
  return url
end
M.url_for = url_for

local function tool_choice(tc)
  if tc == nil then return nil end
  if tc == "auto" or tc == "none" or tc == "required" then return tc end
  if tc == "any" then return "required" end
  local name = type(tc) == "table" and tc.name or tc
  return { type = "function", ["function"] = { name = name } }
end

function M.build(req)
  local cfg = req.cfg
  local msgs = json.array()
  for _, m in ipairs(req.messages) do
    if m.role == "assistant" then
      local out = { role = "assistant" }
      if m.tool_calls and #m.tool_calls > 0 then
        local calls = json.array()
        for i, tc in ipairs(m.tool_calls) do
          calls[i] = { id = tc.id or ("call_" .. i), type = "function",
                       ["function"] = { name = tc.name, arguments = common.call_text(tc) } }
        end
        out.tool_calls = calls
        out.content = (m.content and m.content ~= "") and m.content or json.null
      else
        out.content = m.content or ""
      end
      msgs[#msgs + 1] = out
    elseif m.role == "tool" then
      msgs[#msgs + 1] = { role = "tool", tool_call_id = m.tool_call_id, content = m.content or "" }
    else
      msgs[#msgs + 1] = { role = m.role, content = m.content or "" }
    end
  end
  local body = { model = cfg.model, messages = msgs }
  body.temperature, body.top_p = req.temperature, req.top_p
  if req.max_tokens then
    -- OpenAI's own API (and Azure's) replaced max_tokens by max_completion_tokens, which
    -- reasoning models require; other servers know max_tokens.
    local h = (common.host(cfg.base_url) or ""):lower()
    if cfg.azure or h == "api.openai.com" then
      body.max_completion_tokens = req.max_tokens
    else
      body.max_tokens = req.max_tokens
    end
  end
  if req.tools and #req.tools > 0 then
    local tools = json.array()
    for i, t in ipairs(req.tools) do
      tools[i] = { type = "function", ["function"] = {
        name = t.name, description = t.description,
        parameters = common.schema(t.parameters or { type = "object", properties = {} }) } }
    end
    body.tools = tools
    body.tool_choice = tool_choice(req.tool_choice)
  end
  if req.stream then
    body.stream = true
    body.stream_options = { include_usage = true }
  end
  local headers = { ["Content-Type"] = "application/json", Accept = req.stream and "text/event-stream" or "application/json" }
  if req.key then
    if cfg.azure then headers["api-key"] = req.key else headers.Authorization = "Bearer " .. req.key end
  end
  return { url = url_for(cfg), headers = headers, body = body }
end

local function usage_of(u)
  if type(u) ~= "table" then return nil end
  return common.usage(u.prompt_tokens, u.completion_tokens, u.total_tokens)
end

function M.parse(v, ctx)
  if type(v) ~= "table" then return nil, "the response is not a JSON object" end
  local choice = type(v.choices) == "table" and v.choices[1]
  if type(choice) ~= "table" or type(choice.message) ~= "table" then
    return nil, "the response has no choices[1].message"
  end
  local msg = choice.message
  local calls = {}
  if type(msg.tool_calls) == "table" then
    for _, tc in ipairs(msg.tool_calls) do
      local f = type(tc) == "table" and tc["function"] or nil
      if type(f) == "table" then
        calls[#calls + 1] = common.tool_call(common.str(tc.id) or ctx.next_id(), common.str(f.name), f.arguments)
      end
    end
  end
  return common.reply { content = common.str(msg.content),
                        reasoning = common.str(msg.reasoning_content) or common.str(msg.reasoning),
                        calls = calls, finish = choice.finish_reason, model = common.str(v.model),
                        usage = usage_of(v.usage) }
end

--- Assembles a streamed reply: content pieces, and tool-call fragments by index.
function M.stream(ctx)
  local acc = { text = {}, reasoning = {}, calls = {}, order = {}, raw = {} }
  function acc:event(ev)
    local data = ev.data
    if data == nil then return true end
    if data == "[DONE]" then self.done = true; return true end
    local v, err = json.decode(data)
    if type(v) ~= "table" then
      self.err = "a streamed chunk is not valid JSON (" .. tostring(err) .. ")"
      return false
    end
    if ctx.keep_raw then self.raw[#self.raw + 1] = v end
    if type(v.error) == "table" or type(v.error) == "string" then
      self.err = common.error_message(data) or "the stream reported an error"
      self.retryable = true
      return false
    end
    self.model = common.str(v.model) or self.model
    if type(v.usage) == "table" then self.usage = usage_of(v.usage) end
    local choice = type(v.choices) == "table" and v.choices[1] or nil
    if type(choice) == "table" then
      local d = choice.delta
      if type(d) == "table" then
        if type(d.content) == "string" then
          self.text[#self.text + 1] = d.content
          if ctx.on_text then ctx.on_text(d.content) end
        end
        local r = common.str(d.reasoning_content) or common.str(d.reasoning)
        if r then self.reasoning[#self.reasoning + 1] = r end
        if type(d.tool_calls) == "table" then
          for _, tc in ipairs(d.tool_calls) do
            local idx = common.num(tc.index)
            if not idx then -- servers that omit the index: a new id starts a new call
              local last = self.order[#self.order]
              if last == nil or (common.str(tc.id) and tc.id ~= "" and tc.id ~= self.calls[last].id) then
                idx = #self.order
              else
                idx = last
              end
            end
            local c = self.calls[idx]
            if not c then
              c = { args = {} }
              self.calls[idx] = c
              self.order[#self.order + 1] = idx
            end
            if common.str(tc.id) and tc.id ~= "" then c.id = tc.id end
            local f = tc["function"]
            if type(f) == "table" then
              if common.str(f.name) and f.name ~= "" then c.name = (c.name and c.name ~= f.name) and (c.name .. f.name) or f.name end
              if common.str(f.arguments) then c.args[#c.args + 1] = f.arguments end
            end
          end
        end
      end
      if common.str(choice.finish_reason) then self.finish = choice.finish_reason end
    end
    return true
  end
  function acc:result()
    local failure, retryable = common.stream_failure(self)
    if failure then return nil, failure, retryable end
    table.sort(self.order)
    local calls = {}
    for _, idx in ipairs(self.order) do
      local c = self.calls[idx]
      calls[#calls + 1] = common.tool_call(c.id or ctx.next_id(), c.name, table.concat(c.args))
    end
    return common.reply { content = table.concat(self.text), reasoning = table.concat(self.reasoning),
                          calls = calls, finish = self.finish, model = self.model, usage = self.usage,
                          raw = ctx.keep_raw and self.raw or nil }
  end
  return acc
end

return M
