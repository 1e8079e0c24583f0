--- dojo.llm: chat clients for LLM providers, with retries and token and cost accounting.
--
--   local llm = require "dojo.llm"
--   local cfg, err = llm.config(flags [, env])     -- env: a function like os.getenv
--   local client, err = llm.client(cfg [, opts])
--   local reply, err, kind = client:chat(messages [, opts])
--
-- CONFIGURATION: llm.config(flags, env) -> cfg | nil, message
--   flags (all optional; "" counts as unset): provider, model, base_url, api_key,
--   temperature, top_p, max_tokens, timeout (s, default 120), connect_timeout (s, default
--   10), retries (default 5), stream (boolean), api_version (Azure), prices (a table
--   {model_or_pattern = {input =, output =}}, see dojo.llm.prices).
--   Precedence: flags, then DOJO_LLM_PROVIDER / DOJO_LLM_MODEL / DOJO_LLM_BASE_URL /
--   DOJO_LLM_API_KEY, then the provider's own variables: OPENAI_API_KEY + OPENAI_BASE_URL,
--   ANTHROPIC_API_KEY + ANTHROPIC_BASE_URL, GEMINI_API_KEY (else GOOGLE_API_KEY) +
--   GEMINI_BASE_URL; Azure: AZURE_OPENAI_API_KEY (else OPENAI_API_KEY), AZURE_OPENAI_ENDPOINT,
--   AZURE_OPENAI_API_VERSION (else OPENAI_API_VERSION; default 2024-10-21).
--   Providers: openai, anthropic, gemini (the three wire formats) and, speaking OpenAI's:
--   azure, vllm (http://localhost:8000/v1), ollama (http://localhost:11434/v1), llamacpp
--   (http://localhost:8080/v1), deepseek (DEEPSEEK_API_KEY), openrouter (OPENROUTER_API_KEY),
--   xai (XAI_API_KEY), gemini-openai (Gemini's OpenAI-compatible endpoint, GEMINI_API_KEY).
--   Aliases: google = gemini, claude = anthropic.
--   When no provider is given it is inferred from the base URL (anthropic.com -> anthropic,
--   generativelanguage.googleapis.com -> gemini (.../v1beta/openai -> gemini-openai),
--   *.openai.azure.com -> azure, any other URL
--   -> an OpenAI-compatible server unless the model says otherwise), then from the model
--   (claude-* -> anthropic, gemini-* -> gemini), then from which key is set (OpenAI,
--   Anthropic, Gemini, in that order), else openai.
--   Base URLs: OpenAI-style ones include the version ("https://api.openai.com/v1"; a URL
--   with no path gets "/v1"); Anthropic's and Gemini's do not (a trailing /v1 or /v1beta
--   is dropped). Azure: the resource endpoint ("https://NAME.openai.azure.com", the model
--   being the deployment), a ".../openai/deployments/NAME" URL, or ".../openai/v1".
--   A model is required, and so is a key unless the base URL is on this machine
--   (localhost, 127.x, ::1). Errors are one sentence naming the dojo CLI's flag (--model,
--   --base-url, --temperature, --llm-timeout...) and the variable to set; keys are named by
--   their variable only (the CLI takes keys from the environment, never from its flags).
--   The config is a plain table (provider = the wire format, preset = e.g. "ollama",
--   model, base_url, api_key = "***", key_source = where the key came from, azure, ...):
--   its key is held privately, so tostring(cfg) and json.encode(cfg) show "***". A copy
--   of the table loses the key (llm.client then resolves it again from the environment).
--
-- CLIENT: llm.client(cfg [, opts]) -> client | nil, message
--   cfg from llm.config, or a table of flags that is resolved with os.getenv.
--   opts (tests, embedding): transport = function(req) -> res | nil, err, kind (default
--   require("dojo.http").request), sleep = function(seconds), random = function() -> [0,1),
--   clock = function() -> seconds, on_retry = function(info) ({attempt, delay, status,
--   error}, called before each backoff sleep).
--   client.totals = {requests, input_tokens, output_tokens, cost, retries, failures,
--   unpriced}: requests = chat calls, retries = extra attempts, failures = calls that
--   returned an error, cost = the dollars of the priced replies, unpriced = replies whose
--   model has no price.
--
-- CHAT: client:chat(messages [, opts]) -> reply | nil, message, kind
--   messages: list of {role = "system"|"user"|"assistant"|"tool", content = string,
--   tool_calls = list of {id, name, arguments = table, arguments_text = string} (assistant;
--   a reply's tool_calls can be sent back as they are), tool_call_id = string and name
--   (tool)}. Several system messages are joined; Anthropic and Gemini get them as their
--   system field.
--   opts: tools = list of {name, description, parameters = JSON-schema table}, tool_choice
--   ("auto" | "none" | "required" | a tool name | {name =}), temperature, top_p, max_tokens
--   (override the config's), stream (boolean), timeout, keep_raw (reply.raw = the decoded
--   response, or the list of streamed chunks), on_text = function(delta) (streamed text as
--   it arrives; a retried attempt starts over), and transport/sleep/random/on_retry as in
--   llm.client.
--   reply: {content = string, tool_calls = { {id, name, arguments = table | nil,
--   arguments_text = string, error = message when the arguments are not a JSON object} },
--   finish_reason ("stop" | "length" | "tool_calls" | the provider's own word), model,
--   usage = {input_tokens, output_tokens, total_tokens} (numbers, or nil when the server
--   did not say), cost = dollars | nil (unknown price or usage), latency_s (the whole call,
--   retries included), attempts, reasoning (when the server returns it separately), raw}.
--   Failures: nil, one sentence (never the API key), and a kind: "invalid" (bad
--   arguments), "auth" (401/403), "not_found" (404), "bad_request" (other 4xx, with the
--   provider's message), "rate_limit" / "server" (429 / 5xx after the retries), "timeout",
--   "connect", "protocol" (an answer that cannot be read), or the transport's kind
--   ("resolve", "tls", "too_large", "aborted", "error").
--   Retries: 429, 408, 500, 502, 503, 504, 529, timeouts, connection failures and
--   interrupted streams are retried up to `retries` times with exponential backoff and
--   full jitter (random() * min(30, 1 * 2^(n-1)) seconds), or after Retry-After /
--   retry-after-ms when the server sends it (at most 60 s).
--
-- PRICES: llm.prices (dojo.llm.prices): register(name_or_pattern, {input =, output =})
--   in dollars per million tokens, lookup(model), cost(model, usage).
local common = require "dojo.llm.common"
local json = common.json
local prices = require "dojo.llm.prices"

local M = { prices = prices }

local WIRES = { openai = "dojo.llm.openai", anthropic = "dojo.llm.anthropic", gemini = "dojo.llm.gemini" }

local PRESETS = {
  openai     = { wire = "openai", base_url = "https://api.openai.com/v1", key_env = { "OPENAI_API_KEY" }, base_env = "OPENAI_BASE_URL" },
  anthropic  = { wire = "anthropic", base_url = "https://api.anthropic.com", key_env = { "ANTHROPIC_API_KEY" }, base_env = "ANTHROPIC_BASE_URL" },
  gemini     = { wire = "gemini", base_url = "https://generativelanguage.googleapis.com", key_env = { "GEMINI_API_KEY", "GOOGLE_API_KEY" }, base_env = "GEMINI_BASE_URL" },
  ["gemini-openai"] = { wire = "openai", base_url = "https://generativelanguage.googleapis.com/v1beta/openai", key_env = { "GEMINI_API_KEY", "GOOGLE_API_KEY" } },
  azure      = { wire = "openai", azure = true, key_env = { "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY" }, base_env = "AZURE_OPENAI_ENDPOINT" },
  vllm       = { wire = "openai", base_url = "http://localhost:8000/v1", key_env = {} },
  ollama     = { wire = "openai", base_url = "http://localhost:11434/v1", key_env = {} },
  llamacpp   = { wire = "openai", base_url = "http://localhost:8080/v1", key_env = {} },
  deepseek   = { wire = "openai", base_url = "https://api.deepseek.com/v1", key_env = { "DEEPSEEK_API_KEY" } },
  openrouter = { wire = "openai", base_url = "https://openrouter.ai/api/v1", key_env = { "OPENROUTER_API_KEY" } },
  xai        = { wire = "openai", base_url = "https://api.x.ai/v1", key_env = { "XAI_API_KEY" } },
}
local PRESET_NAMES = "openai, anthropic, gemini, gemini-openai, azure, vllm, ollama, llamacpp, deepseek, openrouter, xai"
local ALIASES = { google = "gemini", claude = "anthropic", ["llama.cpp"] = "llamacpp",
                  ["openai-compatible"] = "openai", ["azure-openai"] = "azure" }

M.DEFAULTS = { timeout = 120, connect_timeout = 10, retries = 5, backoff_base = 1, backoff_cap = 30,
               max_retry_after = 60, azure_api_version = "2024-10-21" }

--------------------------------------------------------------------------------------------
-- Configuration
--------------------------------------------------------------------------------------------

local secrets = setmetatable({}, { __mode = "k" })   -- cfg -> key (false: none)

local function redacted_string(cfg)
  local parts = {}
  for _, k in ipairs { "provider", "preset", "model", "base_url" } do
    if cfg[k] ~= nil then parts[#parts + 1] = k .. "=" .. tostring(cfg[k]) end
  end
  parts[#parts + 1] = "api_key=" .. (cfg.api_key and "***" or "none")
  return "llm.config{" .. table.concat(parts, ", ") .. "}"
end

local CFG_MT = { __name = "llm.config", __tostring = redacted_string, __metatable = "llm.config" }

-- How a setting is named in messages: the dojo CLI's flag (keys have none: the CLI reads
-- them from the environment only, so that they never show in a process list).
local FLAG_NAMES = { timeout = "--llm-timeout", api_key = "api_key" }
local function flag_name(name) return FLAG_NAMES[name] or ("--" .. name:gsub("_", "-")) end

-- A number setting (a number or a numeric string) within [lo, hi]; nil when unset.
local function number_setting(v, label, lo, hi, integer, what)
  if v == nil then return nil end
  local n = (type(v) == "number" or type(v) == "string") and tonumber(v) or nil
  if n and (n ~= n or n < lo or (hi and n > hi) or (integer and n ~= math.floor(n))) then n = nil end
  if not n then
    return nil, string.format("%s must be %s (got '%s')", label, what, tostring(v))
  end
  return n
end

local NUMBERS = {
  { "temperature", 0, 2, false, "a number from 0 to 2" },
  { "top_p", 0, 1, false, "a number from 0 to 1" },
  { "max_tokens", 1, nil, true, "a whole number of at least 1" },
  { "timeout", 0.001, nil, false, "a number of seconds above 0" },
  { "connect_timeout", 0.001, nil, false, "a number of seconds above 0" },
  { "retries", 0, 100, true, "a whole number from 0 to 100" },
}

local function boolean_setting(v, label)
  if v == nil or type(v) == "boolean" then return v end
  local s = tostring(v):lower()
  if s == "1" or s == "true" or s == "yes" or s == "on" then return true end
  if s == "0" or s == "false" or s == "no" or s == "off" then return false end
  return nil, label .. " must be true or false (got '" .. tostring(v) .. "')"
end

local function host_kind(url)
  local h = (common.host(url) or ""):lower()
  if h == "anthropic.com" or h:match("%.anthropic%.com$") then return "anthropic" end
  if h == "generativelanguage.googleapis.com" then
    -- ".../v1beta/openai" is Gemini's OpenAI-compatible endpoint
    if common.path(url):match("/openai/?$") then return "gemini-openai" end
    return "gemini"
  end
  if h:match("%.openai%.azure%.com$") or h:match("%.cognitiveservices%.azure%.com$") then return "azure" end
  return nil
end

local function model_kind(model)
  if type(model) ~= "string" then return nil end
  local m = model:lower()
  if m:match("^claude%-") then return "anthropic" end
  if m:match("^gemini%-") or m:match("^models/gemini%-") then return "gemini" end
  return nil
end

--- Resolves the settings of an LLM client from flags and the environment.
function M.config(flags, env)
  if flags == nil then flags = {} end
  if type(flags) ~= "table" then return nil, "llm.config needs a table of settings" end
  env = env or os.getenv
  if type(env) ~= "function" then return nil, "llm.config needs env to be a function like os.getenv" end
  local function getenv(name)
    local v = env(name)
    if type(v) == "string" and v ~= "" then return v end
    return nil
  end
  local function flag(name)
    local v = flags[name]
    if v == "" or v == json.null or v == false and name ~= "stream" then return nil end
    return v
  end
  for _, k in ipairs { "provider", "model", "base_url", "api_key", "api_version" } do
    local v = flag(k)
    if v ~= nil and type(v) ~= "string" then
      return nil, flag_name(k) .. " must be a string (got " .. type(v) .. ")"
    end
  end

  local model = flag("model") or getenv("DOJO_LLM_MODEL")
  local generic_base = flag("base_url") or getenv("DOJO_LLM_BASE_URL")
  local generic_base_src = flag("base_url") and "--base-url" or "DOJO_LLM_BASE_URL"

  -- the provider
  local pname = flag("provider") or getenv("DOJO_LLM_PROVIDER")
  if pname then
    local given = pname
    pname = pname:lower()
    pname = ALIASES[pname] or pname
    if not PRESETS[pname] then
      return nil, string.format("unknown LLM provider '%s' (known: %s)", given, PRESET_NAMES)
    end
  else
    local hk = generic_base and host_kind(generic_base)
    pname = hk or model_kind(model)
    if not pname and generic_base then pname = "openai" end
    if not pname then
      if getenv("OPENAI_API_KEY") then pname = "openai"
      elseif getenv("ANTHROPIC_API_KEY") then pname = "anthropic"
      elseif getenv("GEMINI_API_KEY") or getenv("GOOGLE_API_KEY") then pname = "gemini"
      elseif getenv("AZURE_OPENAI_ENDPOINT") then pname = "azure"
      elseif getenv("ANTHROPIC_BASE_URL") then pname = "anthropic"
      elseif getenv("GEMINI_BASE_URL") then pname = "gemini"
      else pname = "openai" end
    end
  end
  local preset = PRESETS[pname]

  -- the base URL
  local base, base_src = generic_base, generic_base_src
  if not base and preset.base_env then base, base_src = getenv(preset.base_env), preset.base_env end
  if not base then base, base_src = preset.base_url, nil end
  if not base then
    return nil, "Azure OpenAI needs its endpoint: pass --base-url https://NAME.openai.azure.com or set AZURE_OPENAI_ENDPOINT"
  end
  if not base:match("^[hH][tT][tT][pP][sS]?://[^/?#]+") or base:find("%s") then
    return nil, string.format("the base URL '%s' is not an http:// or https:// URL (%s)", base,
                              base_src or "the provider's default")
  end
  base = base:gsub("/+$", "")
  local azure = preset.azure or (preset.wire == "openai" and host_kind(base) == "azure") or nil
  if preset.wire == "anthropic" then
    base = base:gsub("/v1$", "")
  elseif preset.wire == "gemini" then
    base = base:gsub("/v1beta$", ""):gsub("/v1$", "")
  elseif not azure and common.path(base) == "" then
    base = base .. "/v1"
  end

  -- the key
  local key, key_source = flag("api_key"), "api_key"
  if key == "***" then key = nil end -- a redacted config passed back as flags
  if not key then key, key_source = getenv("DOJO_LLM_API_KEY"), "DOJO_LLM_API_KEY" end
  if not key then
    for _, name in ipairs(preset.key_env) do
      key = getenv(name)
      if key then key_source = name; break end
    end
  end
  if not key then key_source = nil end

  if not model then
    return nil, "no model chosen: pass --model NAME or set DOJO_LLM_MODEL"
  end
  local is_local = common.is_local(base)
  if not key and not is_local then
    local var = preset.key_env[1]
    return nil, string.format("no API key for %s at %s: set %s",
                              pname, common.host(base) or base,
                              var and (var .. " (or DOJO_LLM_API_KEY)") or "DOJO_LLM_API_KEY")
  end

  local cfg = {
    provider = preset.wire, preset = pname ~= preset.wire and pname or nil,
    model = model, base_url = base, api_key = key and "***" or nil, key_source = key_source,
    key_env = preset.key_env[1], azure = azure, is_local = is_local or nil,
    timeout = M.DEFAULTS.timeout, connect_timeout = M.DEFAULTS.connect_timeout,
    retries = M.DEFAULTS.retries,
  }
  for _, spec in ipairs(NUMBERS) do
    local name = spec[1]
    local v, err = number_setting(flag(name), flag_name(name), spec[2], spec[3], spec[4], spec[5])
    if err then return nil, err end
    if v ~= nil then cfg[name] = v end
  end
  local stream, serr = boolean_setting(flags.stream, "--stream")
  if serr then return nil, serr end
  cfg.stream = stream or false
  if azure then
    cfg.api_version = flag("api_version") or getenv("AZURE_OPENAI_API_VERSION") or getenv("OPENAI_API_VERSION")
                      or M.DEFAULTS.azure_api_version
  end
  local p = flags.prices
  if p ~= nil then
    if type(p) ~= "table" then return nil, "prices must be a table {model = {input =, output =}}" end
    local copy = {}
    for name, price in pairs(p) do
      local ok, err = prices.check(name, price)
      if not ok then return nil, err end
      copy[name] = { input = price.input, output = price.output }
    end
    cfg.prices = copy
  end
  setmetatable(cfg, CFG_MT)
  secrets[cfg] = key or false
  return cfg
end

--- True when cfg came from llm.config.
function M.is_config(cfg) return type(cfg) == "table" and secrets[cfg] ~= nil end

--------------------------------------------------------------------------------------------
-- Client
--------------------------------------------------------------------------------------------

local Client = { __name = "llm.client" }
Client.__index = Client
Client.__tostring = function(c) return "llm.client(" .. c.provider .. " " .. c.model .. ")" end

local private = setmetatable({}, { __mode = "k" })

local function default_transport()
  local ok, http = pcall(require, "dojo.http")
  if not ok or type(http) ~= "table" or type(http.request) ~= "function" then
    return nil, "the HTTP client (dojo.http) is not available"
  end
  return http.request
end

local function default_clock() return require("dojo.core").clock end

local function default_sleep(s)
  if s > 0 then require("dojo.core").sleep(s) end
end

local function check_fn(v, name)
  if v ~= nil and type(v) ~= "function" then return nil, name .. " must be a function" end
  return true
end

--- A client for cfg (see the top of this file).
function M.client(cfg, opts)
  if type(cfg) ~= "table" then return nil, "llm.client needs a configuration (from llm.config)" end
  opts = opts or {}
  if type(opts) ~= "table" then return nil, "llm.client options must be a table" end
  for _, k in ipairs { "transport", "sleep", "random", "clock", "on_retry" } do
    local ok, err = check_fn(opts[k], k)
    if not ok then return nil, err end
  end
  if not M.is_config(cfg) then
    local err
    cfg, err = M.config(cfg, os.getenv)
    if not cfg then return nil, err end
  end
  local self = setmetatable({
    cfg = cfg, provider = cfg.provider, model = cfg.model,
    totals = { requests = 0, input_tokens = 0, output_tokens = 0, cost = 0, retries = 0, failures = 0, unpriced = 0 },
  }, Client)
  private[self] = {
    key = secrets[cfg] or nil, transport = opts.transport, sleep = opts.sleep, random = opts.random,
    clock = opts.clock, on_retry = opts.on_retry, ids = 0,
  }
  return self
end

local ROLES = { system = true, user = true, assistant = true, tool = true }

local function check_messages(messages)
  if type(messages) ~= "table" or messages[1] == nil then
    return nil, "chat needs a non-empty list of messages"
  end
  for i, m in ipairs(messages) do
    if type(m) ~= "table" then return nil, "message " .. i .. " is not a table" end
    if not ROLES[m.role] then
      return nil, string.format("message %d has role '%s' (system, user, assistant or tool)", i, tostring(m.role))
    end
    if m.content ~= nil and type(m.content) ~= "string" then
      return nil, string.format("message %d: content must be a string (got %s)", i, type(m.content))
    end
    if m.role == "tool" and type(m.tool_call_id) ~= "string" then
      return nil, string.format("message %d is a tool result without a tool_call_id", i)
    end
    if m.tool_calls ~= nil then
      if type(m.tool_calls) ~= "table" then return nil, string.format("message %d: tool_calls must be a list", i) end
      for j, tc in ipairs(m.tool_calls) do
        if type(tc) ~= "table" or type(tc.name) ~= "string" or tc.name == "" then
          return nil, string.format("message %d: tool call %d needs a name", i, j)
        end
      end
    end
  end
  return true
end

local function check_tools(tools)
  if tools == nil then return true end
  if type(tools) ~= "table" then return nil, "tools must be a list of {name, description, parameters}" end
  for i, t in ipairs(tools) do
    if type(t) ~= "table" or type(t.name) ~= "string" or not t.name:match("^[%w_%-%.]+$") then
      return nil, string.format("tool %d needs a name of letters, digits, '_', '-' or '.'", i)
    end
    if t.description ~= nil and type(t.description) ~= "string" then
      return nil, string.format("tool '%s': description must be a string", t.name)
    end
    if t.parameters ~= nil and type(t.parameters) ~= "table" then
      return nil, string.format("tool '%s': parameters must be a JSON-schema table", t.name)
    end
  end
  return true
end

local function scrubber(key)
  if type(key) ~= "string" or #key < 4 then return function(s) return s end end
  local pat = key:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
  return function(s)
    if type(s) ~= "string" then return s end
    return (s:gsub(pat, "***"))
  end
end

local RETRY_STATUS = { [408] = true, [429] = true, [500] = true, [502] = true, [503] = true, [504] = true, [529] = true }

local function header(res, name)
  local h = type(res.headers) == "table" and res.headers or {}
  local v = h[name]
  if v == nil then
    for k, val in pairs(h) do
      if type(k) == "string" and k:lower() == name then v = val; break end
    end
  end
  if type(v) == "table" then v = v[1] end
  return v
end

local function retry_after(res)
  local ms = tonumber(header(res, "retry-after-ms") or "")
  if ms and ms >= 0 then return ms / 1000 end
  local s = tonumber(header(res, "retry-after") or "")
  if s and s >= 0 then return s end
  return nil
end

local function fmt_s(s) return (string.format("%.1f", s):gsub("%.0$", "")) end

-- One attempt's failure: { msg, kind, retryable, status, wait }.
local function transport_failure(cfg, url, err, kind, timeout)
  kind = kind or "error"
  local host = common.host(url) or url
  local f = { kind = kind, retryable = (kind == "timeout" or kind == "connect") }
  if kind == "timeout" then
    f.msg = string.format("no answer from %s within %s s", host, fmt_s(timeout))
  elseif kind == "connect" then
    f.msg = string.format("cannot connect to %s (%s)", host, common.clip(err, 200))
  elseif kind == "resolve" then
    f.msg = string.format("cannot resolve the host %s (%s)", host, common.clip(err, 200))
  else
    f.msg = string.format("the request to %s failed (%s)", url, common.clip(err or kind, 200))
  end
  return f
end

local function http_failure(cfg, url, res)
  local status = res.status
  local pmsg = common.error_message(res.body)
  local host = common.host(url) or url
  local f = { status = status, retryable = RETRY_STATUS[status] or false }
  local detail = pmsg and (": " .. pmsg) or ""
  if status == 401 or status == 403 then
    f.kind = "auth"
    local hint
    if cfg.key_source and cfg.key_source ~= "api_key" then
      hint = "check " .. cfg.key_source
    elseif cfg.key_source then
      hint = "check the api_key setting"
    else
      hint = "set " .. (cfg.key_env and (cfg.key_env .. " (or DOJO_LLM_API_KEY)") or "DOJO_LLM_API_KEY")
    end
    f.msg = string.format("the API key was rejected by %s (%d%s): %s", host, status, detail, hint)
  elseif status == 404 then
    f.kind = "not_found"
    f.msg = string.format("model or endpoint not found (404): model '%s' at %s%s", cfg.model, url, detail)
  elseif status == 429 then
    f.kind = "rate_limit"
    f.msg = string.format("%s answered 429 (rate limited%s)", host, detail)
  elseif status >= 500 or f.retryable then
    f.kind = "server"
    f.msg = string.format("%s answered %d%s", host, status, detail)
  else
    f.kind = "bad_request"
    f.msg = string.format("%s rejected the request (%d)%s", cfg.preset or cfg.provider, status,
                          pmsg and (": " .. pmsg) or " with no message")
  end
  if f.retryable then f.wait = retry_after(res) end
  return f
end

--- Sends messages; see the top of this file.
function Client:chat(messages, opts)
  local p = private[self]
  if not p then return nil, "chat is a method: call client:chat(messages, opts)", "invalid" end
  opts = opts or {}
  if type(opts) ~= "table" then return nil, "chat options must be a table", "invalid" end
  local ok, err = check_messages(messages)
  if ok then ok, err = check_tools(opts.tools) end
  for _, k in ipairs { "transport", "sleep", "random", "on_retry", "on_text" } do
    if ok then ok, err = check_fn(opts[k], k) end
  end
  if not ok then return nil, err, "invalid" end
  local cfg = self.cfg
  local settings = {}
  for _, spec in ipairs(NUMBERS) do
    local name = spec[1]
    local v, nerr = number_setting(opts[name], name, spec[2], spec[3], spec[4], spec[5])
    if nerr then return nil, nerr, "invalid" end
    if v == nil then v = cfg[name] end
    settings[name] = v
  end
  local stream = opts.stream
  if stream == nil then stream = cfg.stream end
  stream = stream and true or false

  local wire = require(WIRES[cfg.provider])
  local ctx = {
    keep_raw = opts.keep_raw, on_text = opts.on_text,
    next_id = function() p.ids = p.ids + 1; return "call_" .. p.ids end,
  }
  local req = wire.build {
    cfg = cfg, key = p.key, messages = messages, tools = opts.tools, tool_choice = opts.tool_choice,
    temperature = settings.temperature, top_p = settings.top_p, max_tokens = settings.max_tokens,
    stream = stream,
  }
  local body, jerr = json.encode(req.body)
  if not body then return nil, "cannot encode the request as JSON: " .. jerr, "invalid" end

  local transport = opts.transport or p.transport
  if not transport then
    local terr
    transport, terr = default_transport()
    if not transport then return nil, terr, "error" end
  end
  local sleep = opts.sleep or p.sleep or default_sleep
  local random = opts.random or p.random or math.random
  local clock = p.clock or default_clock()
  local on_retry = opts.on_retry or p.on_retry
  local scrub = scrubber(p.key)
  local totals = self.totals
  totals.requests = totals.requests + 1
  local max_attempts = settings.retries + 1
  local t0 = clock()
  local attempt, failure = 0, nil
  local reply

  while true do
    attempt = attempt + 1
    failure, reply = nil, nil
    local acc = stream and wire.stream(ctx) or nil
    local nevents = 0
    local treq = { url = req.url, method = "POST", headers = req.headers, body = body,
                   connect_timeout = settings.connect_timeout, timeout = settings.timeout }
    if acc then
      treq.on_event = function(ev)
        nevents = nevents + 1
        if type(ev) ~= "table" then return true end
        return acc:event(ev) ~= false
      end
    end
    local tok, res, terr, tkind = pcall(transport, treq)
    if not tok then res, terr, tkind = nil, tostring(res), "error" end
    if res == nil then
      if acc and acc.err then
        failure = { msg = acc.err, kind = "protocol", retryable = acc.retryable }
      else
        failure = transport_failure(cfg, req.url, terr, tkind, settings.timeout)
      end
    elseif type(res) ~= "table" or type(res.status) ~= "number" then
      failure = { msg = "the transport returned no status", kind = "error" }
    elseif res.status < 200 or res.status > 299 then
      failure = http_failure(cfg, req.url, res)
    else
      local text = type(res.body) == "string" and res.body or ""
      local perr, retryable
      if acc and nevents == 0 and text:match("^%s*[{%[]") then
        acc = nil -- the server answered without streaming
      end
      if acc then
        if nevents == 0 and text ~= "" then
          -- the stream came back as one body (a transport without on_event): the same parser
          local feed = require("dojo.http").sse(function(ev) return acc:event(ev) ~= false end)
          if feed(text) ~= false then feed("\n\n") end
        end
        reply, perr, retryable = acc:result()
      else
        local v, derr = json.decode(text)
        if v == nil then
          perr = "the answer is not JSON (" .. derr .. "): " .. common.clip(text, 120)
        else
          reply, perr = wire.parse(v, ctx)
          if reply and opts.keep_raw then reply.raw = v end
          if not reply and type(v) == "table" and v.error ~= nil then
            perr = "the server reported an error: " .. (common.error_message(text) or "no message")
          end
        end
      end
      if not reply then
        failure = { msg = string.format("cannot read the reply of %s: %s", common.host(req.url) or req.url, perr),
                    kind = "protocol", retryable = retryable or false }
      end
    end
    if not failure then break end
    if not failure.retryable or attempt >= max_attempts then break end
    local delay
    if failure.wait then
      delay = math.min(failure.wait, M.DEFAULTS.max_retry_after)
    else
      local r = random()
      if type(r) ~= "number" then r = 0.5 end
      delay = r * math.min(M.DEFAULTS.backoff_cap, M.DEFAULTS.backoff_base * 2 ^ (attempt - 1))
    end
    totals.retries = totals.retries + 1
    if on_retry then
      pcall(on_retry, { attempt = attempt, delay = delay, status = failure.status, error = scrub(failure.msg) })
    end
    sleep(delay)
  end

  if failure then
    totals.failures = totals.failures + 1
    local msg = failure.msg
    if failure.retryable and attempt > 1 then
      msg = string.format("gave up after %d attempts; the last: %s", attempt, msg)
    end
    return nil, scrub(msg), failure.kind
  end

  local usage = reply.usage or common.usage(nil, nil)
  local cost = prices.cost(reply.model or cfg.model, usage, cfg.prices)
  if cost == nil and reply.model and reply.model ~= cfg.model then
    cost = prices.cost(cfg.model, usage, cfg.prices)
  end
  local out = {
    content = reply.content or "",
    tool_calls = reply.tool_calls or {},
    finish_reason = reply.finish_reason,
    model = reply.model or cfg.model,
    usage = usage,
    cost = cost,
    latency_s = clock() - t0,
    attempts = attempt,
    reasoning = reply.reasoning,
    raw = opts.keep_raw and reply.raw or nil,
  }
  totals.input_tokens = totals.input_tokens + (usage.input_tokens or 0)
  totals.output_tokens = totals.output_tokens + (usage.output_tokens or 0)
  if cost then totals.cost = totals.cost + cost else totals.unpriced = totals.unpriced + 1 end
  return out
end

--- A plain copy of the totals.
function Client:usage()
  local t = {}
  for k, v in pairs(self.totals) do t[k] = v end
  return t
end

return M
