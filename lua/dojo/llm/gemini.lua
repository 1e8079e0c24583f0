-- dojo.llm.gemini: the Gemini generateContent wire format (internal; see dojo.llm).
--
--   POST {base}/v1beta/models/{model}:generateContent             x-goog-api-key: KEY
--   POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse   (server-sent events,
--        each "data:" a GenerateContentResponse; no end marker, the last carries finishReason)
-- contents alternate roles "user" and "model"; the system prompt is systemInstruction; tools
-- are functionDeclarations (the JSON schema goes in parametersJsonSchema); calls come back as
-- functionCall parts and results go in as functionResponse parts; usageMetadata counts
-- tokens. A call's thoughtSignature (Gemini 2.5+ thinking models) is kept on the tool call
-- as `thought_signature` and sent back with it, as the API requires.
local common = require "dojo.llm.common"
local json = common.json

local M = {}

local function tool_config(tc)
  if tc == nil then return nil end
  local mode, names
  if tc == "auto" then mode = "AUTO"
  elseif tc == "none" then mode = "NONE"
  elseif tc == "required" or tc == "any" then mode = "ANY"
  else
    mode = "ANY"
    names = json.array { type(tc) == "table" and tc.name or tc }
  end
  return { functionCallingConfig = { mode = mode, allowedFunctionNames = names } }
end

function M.model_path(model)
  return (model:gsub("^models/", ""))
end

function M.build(req)
  local cfg = req.cfg
  local system, contents = {}, json.array()
  local call_names = {}
  local add = common.grouper(contents, "parts")
  for _, m in ipairs(req.messages) do
    if m.role == "system" then
      if m.content and m.content ~= "" then system[#system + 1] = m.content end
    elseif m.role == "assistant" then
      if m.content and m.content ~= "" then add("model", { text = m.content }) end
      for _, tc in ipairs(m.tool_calls or {}) do
        if tc.id then call_names[tc.id] = tc.name end
        add("model", { functionCall = { name = tc.name, args = common.call_args(tc) },
                       thoughtSignature = common.str(tc.thought_signature) })
      end
    elseif m.role == "tool" then
      local name = m.name or call_names[m.tool_call_id] or "tool"
      add("user", { functionResponse = { name = name, response = { content = m.content or "" } } })
    else
      add("user", { text = (m.content and m.content ~= "") and m.content or "(empty)" })
    end
  end
  local body = { contents = contents }
  if #system > 0 then body.systemInstruction = { parts = json.array { { text = table.concat(system, "\n\n") } } } end
  local gen = { temperature = req.temperature, topP = req.top_p, maxOutputTokens = req.max_tokens }
  if next(gen) then body.generationConfig = gen end
  if req.tools and #req.tools > 0 then
    local decls = json.array()
    for i, t in ipairs(req.tools) do
      decls[i] = { name = t.name, description = t.description,
                   parametersJsonSchema = common.schema(t.parameters or { type = "object", properties = {} }) }
    end
    body.tools = json.array { { functionDeclarations = decls } }
    body.toolConfig = tool_config(req.tool_choice)
  end
  local url = cfg.base_url .. "/v1beta/models/" .. M.model_path(cfg.model)
              .. (req.stream and ":streamGenerateContent?alt=sse" or ":generateContent")
  local headers = { ["Content-Type"] = "application/json", Accept = req.stream and "text/event-stream" or "application/json" }
  if req.key then headers["x-goog-api-key"] = req.key end
  return { url = url, headers = headers, body = body }
end

local function usage_of(u)
  if type(u) ~= "table" then return nil end
  local out = common.num(u.candidatesTokenCount)
  local thoughts = common.num(u.thoughtsTokenCount)
  if thoughts then out = (out or 0) + thoughts end
  local input = common.num(u.promptTokenCount)
  if input and not out then out = 0 end
  return common.usage(input, out, u.totalTokenCount)
end

-- Adds the parts of one response (or streamed chunk) to acc {text, calls, ...}.
local function absorb(acc, v, ctx)
  if type(v) ~= "table" then return "the response is not a JSON object" end
  if type(v.error) == "table" or type(v.error) == "string" then
    return common.error_message(json.encode(v) or "") or "the response reported an error", true
  end
  acc.model = common.str(v.modelVersion) or acc.model
  if type(v.usageMetadata) == "table" then acc.usage = usage_of(v.usageMetadata) end
  local cand = type(v.candidates) == "table" and v.candidates[1] or nil
  if type(cand) ~= "table" then
    local fb = v.promptFeedback
    if type(fb) == "table" and common.str(fb.blockReason) then
      return "gemini blocked the prompt (" .. fb.blockReason .. ")"
    end
    return nil
  end
  if common.str(cand.finishReason) then acc.finish = cand.finishReason end
  local parts = type(cand.content) == "table" and cand.content.parts or nil
  if type(parts) == "table" then
    for _, p in ipairs(parts) do
      if type(p) == "table" then
        if type(p.text) == "string" and p.thought ~= true then
          acc.text[#acc.text + 1] = p.text
          if ctx.on_text and acc.streaming then ctx.on_text(p.text) end
        elseif type(p.functionCall) == "table" then
          local fc = p.functionCall
          local call = common.tool_call(common.str(fc.id) or ctx.next_id(), common.str(fc.name), fc.args or {})
          call.thought_signature = common.str(p.thoughtSignature)
          acc.calls[#acc.calls + 1] = call
        end
      end
    end
  end
  return nil
end

local function finish(acc)
  local r = common.reply { content = table.concat(acc.text), calls = acc.calls, finish = acc.finish,
                           model = acc.model, usage = acc.usage }
  if r.finish_reason == "stop" and #acc.calls > 0 then r.finish_reason = "tool_calls" end
  return r
end

function M.parse(v, ctx)
  local acc = { text = {}, calls = {} }
  local err = absorb(acc, v, ctx)
  if err then return nil, err end
  if type(v.candidates) ~= "table" or v.candidates[1] == nil then
    return nil, "the response has no candidates"
  end
  return finish(acc)
end

function M.stream(ctx)
  local acc = { text = {}, calls = {}, raw = {}, streaming = true }
  function acc:event(ev)
    if ev.data == nil or ev.data == "" then return true end
    local v, err = json.decode(ev.data)
    if type(v) ~= "table" then
      self.err = "a streamed chunk is not valid JSON (" .. tostring(err) .. ")"
      return false
    end
    if ctx.keep_raw then self.raw[#self.raw + 1] = v end
    local e, retryable = absorb(self, v, ctx)
    if e then self.err, self.retryable = e, retryable; return false end
    return true
  end
  function acc:result()
    local failure, retryable = common.stream_failure(self)
    if failure then return nil, failure, retryable end
    local r = finish(self)
    r.raw = ctx.keep_raw and self.raw or nil
    return r
  end
  return acc
end

return M
