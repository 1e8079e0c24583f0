-- llm_spec.lua -- dojo.llm: configuration, the three wire formats, retries, accounting,
-- redaction; first against a Lua fake transport, then end to end against
-- tests/llm/fake_llm.py through dojo.http.
local llm = require "dojo.llm"
local json = require "dojo.json"
local prices = require "dojo.llm.prices"

local KEY = "sk-test-SECRET-7f3a9c-0123456789"

local function envf(t) return function(name) return t[name] end end

local function contains(s, sub) return type(s) == "string" and s:find(sub, 1, true) ~= nil end

-- A transport that answers from a list. Each entry: a response {status, headers, body
-- (string or table)}, {events = {...}} (a streamed 200 through on_event), {sse = "text"}
-- (a streamed 200 as one body), {err =, kind =} (a transport failure) or a function(req).
local function fake_transport(list)
  local t = { requests = {} }
  function t.fn(req)
    req.json = json.decode(req.body)
    t.requests[#t.requests + 1] = req
    local r = table.remove(list, 1)
    if r == nil then return { status = 500, headers = {}, body = '{"error":"fake transport exhausted"}' } end
    if type(r) == "function" then return r(req) end
    if r.err then return nil, r.err, r.kind end
    if r.events then
      assert(req.on_event, "a streamed answer for a request that does not stream")
      for _, ev in ipairs(r.events) do
        if type(ev) == "table" and ev.data and type(ev.data) ~= "string" then ev = { event = ev.event, data = json.encode(ev.data) } end
        if req.on_event(ev) == false then return nil, "aborted by the callback", "aborted" end
      end
      return { status = 200, headers = { ["content-type"] = "text/event-stream" }, body = "" }
    end
    if r.sse then return { status = 200, headers = {}, body = r.sse } end
    local body = r.body
    if type(body) == "table" then body = json.encode(body) end
    return { status = r.status or 200, headers = r.headers or {}, body = body or "" }
  end
  return t
end

-- A client over a fake transport; sleeps are recorded, random() is 0.5.
local function make(flags, list, env, opts)
  local cfg = assert(llm.config(flags, envf(env or { OPENAI_API_KEY = KEY })))
  local t = fake_transport(list or {})
  local sleeps = {}
  opts = opts or {}
  local c = assert(llm.client(cfg, { transport = t.fn, sleep = function(s) sleeps[#sleeps + 1] = s end,
                                     random = opts.random or function() return 0.5 end,
                                     clock = opts.clock }))
  return c, t, sleeps
end

local function openai_ok(content, extra)
  local body = { id = "x", object = "chat.completion", model = "gpt-4o-mini-2024-07-18",
                 choices = { { index = 0, message = { role = "assistant", content = content }, finish_reason = "stop" } },
                 usage = { prompt_tokens = 1000, completion_tokens = 500, total_tokens = 1500 } }
  for k, v in pairs(extra or {}) do body[k] = v end
  return { status = 200, body = body }
end

local USER = { { role = "user", content = "hi" } }

---------------------------------------------------------------------------------------------
describe("dojo.llm config", function()
  local cases = {
    { "OpenAI by default, from OPENAI_API_KEY",
      { model = "gpt-4o" }, { OPENAI_API_KEY = KEY },
      { provider = "openai", base_url = "https://api.openai.com/v1", key_source = "OPENAI_API_KEY" } },
    { "OPENAI_BASE_URL",
      { model = "m" }, { OPENAI_API_KEY = KEY, OPENAI_BASE_URL = "https://api.deepseek.com/v1/" },
      { provider = "openai", base_url = "https://api.deepseek.com/v1" } },
    { "claude-* means Anthropic, with ANTHROPIC_API_KEY",
      { model = "claude-3-5-sonnet-latest" }, { ANTHROPIC_API_KEY = KEY, OPENAI_API_KEY = "other-key-123" },
      { provider = "anthropic", base_url = "https://api.anthropic.com", key_source = "ANTHROPIC_API_KEY" } },
    { "ANTHROPIC_BASE_URL (a trailing /v1 dropped)",
      { model = "claude-x" }, { ANTHROPIC_API_KEY = KEY, ANTHROPIC_BASE_URL = "http://127.0.0.1:9/v1" },
      { provider = "anthropic", base_url = "http://127.0.0.1:9" } },
    { "gemini-* means Gemini, with GEMINI_API_KEY",
      { model = "gemini-2.5-flash" }, { GEMINI_API_KEY = KEY, GOOGLE_API_KEY = "google-key-123" },
      { provider = "gemini", base_url = "https://generativelanguage.googleapis.com", key_source = "GEMINI_API_KEY" } },
    { "GOOGLE_API_KEY when GEMINI_API_KEY is unset",
      { model = "gemini-2.5-pro" }, { GOOGLE_API_KEY = KEY },
      { provider = "gemini", key_source = "GOOGLE_API_KEY" } },
    { "GEMINI_BASE_URL (a trailing /v1beta dropped)",
      { model = "gemini-x" }, { GEMINI_API_KEY = KEY, GEMINI_BASE_URL = "http://localhost:5/v1beta" },
      { provider = "gemini", base_url = "http://localhost:5" } },
    { "the base URL's host names the provider: anthropic.com",
      { model = "some-model", base_url = "https://api.anthropic.com/v1" }, { ANTHROPIC_API_KEY = KEY },
      { provider = "anthropic", base_url = "https://api.anthropic.com" } },
    { "the base URL's host names the provider: generativelanguage.googleapis.com",
      { model = "some-model" }, { DOJO_LLM_BASE_URL = "https://generativelanguage.googleapis.com", GEMINI_API_KEY = KEY },
      { provider = "gemini" } },
    { "Gemini's OpenAI-compatible endpoint speaks OpenAI",
      { model = "gemini-2.5-flash", base_url = "https://generativelanguage.googleapis.com/v1beta/openai/" }, { GEMINI_API_KEY = KEY },
      { provider = "openai", preset = "gemini-openai", base_url = "https://generativelanguage.googleapis.com/v1beta/openai",
        key_source = "GEMINI_API_KEY" } },
    { "another base URL is an OpenAI-compatible server (the keys of others do not count)",
      { model = "Qwen/Qwen2.5-7B", base_url = "http://localhost:8000" }, { ANTHROPIC_API_KEY = KEY },
      { provider = "openai", base_url = "http://localhost:8000/v1", key_source = nil } },
    { "no provider, model or URL hint: the key that is set (Anthropic)",
      { model = "my-model" }, { ANTHROPIC_API_KEY = KEY },
      { provider = "anthropic", key_source = "ANTHROPIC_API_KEY" } },
    { "no provider, model or URL hint: the key that is set (Gemini)",
      { model = "my-model" }, { GEMINI_API_KEY = KEY },
      { provider = "gemini" } },
    { "OpenAI wins when several keys are set",
      { model = "my-model" }, { GEMINI_API_KEY = KEY, OPENAI_API_KEY = KEY },
      { provider = "openai" } },
    { "DOJO_LLM_PROVIDER beats the model's name",
      { model = "gpt-4o" }, { DOJO_LLM_PROVIDER = "anthropic", ANTHROPIC_API_KEY = KEY },
      { provider = "anthropic" } },
    { "--provider beats DOJO_LLM_PROVIDER",
      { model = "m", provider = "gemini" }, { DOJO_LLM_PROVIDER = "anthropic", GEMINI_API_KEY = KEY },
      { provider = "gemini" } },
    { "aliases: google, claude",
      { model = "m", provider = "Google" }, { GEMINI_API_KEY = KEY },
      { provider = "gemini" } },
    { "DOJO_LLM_MODEL",
      {}, { DOJO_LLM_MODEL = "gpt-4.1", OPENAI_API_KEY = KEY },
      { model = "gpt-4.1" } },
    { "--model beats DOJO_LLM_MODEL",
      { model = "a" }, { DOJO_LLM_MODEL = "b", OPENAI_API_KEY = KEY },
      { model = "a" } },
    { "DOJO_LLM_API_KEY beats OPENAI_API_KEY",
      { model = "m" }, { DOJO_LLM_API_KEY = KEY, OPENAI_API_KEY = "other-key-123" },
      { key_source = "DOJO_LLM_API_KEY" } },
    { "the api_key setting beats DOJO_LLM_API_KEY",
      { model = "m", api_key = KEY }, { DOJO_LLM_API_KEY = "other-key-123" },
      { key_source = "api_key", api_key = "***" } },
    { "DOJO_LLM_BASE_URL beats OPENAI_BASE_URL",
      { model = "m" }, { OPENAI_API_KEY = KEY, OPENAI_BASE_URL = "https://a.example/v1", DOJO_LLM_BASE_URL = "https://b.example/v1" },
      { base_url = "https://b.example/v1" } },
    { "--base-url beats DOJO_LLM_BASE_URL",
      { model = "m", base_url = "https://c.example/v1" }, { OPENAI_API_KEY = KEY, DOJO_LLM_BASE_URL = "https://b.example/v1" },
      { base_url = "https://c.example/v1" } },
    { "empty variables count as unset",
      { model = "m", base_url = "" }, { OPENAI_API_KEY = KEY, DOJO_LLM_BASE_URL = "", DOJO_LLM_PROVIDER = "" },
      { provider = "openai", base_url = "https://api.openai.com/v1" } },
    { "a local server needs no key",
      { model = "llama3", base_url = "http://127.0.0.1:11434/v1" }, {},
      { provider = "openai", api_key = nil, is_local = true } },
    { "the ollama preset",
      { model = "llama3", provider = "ollama" }, {},
      { provider = "openai", preset = "ollama", base_url = "http://localhost:11434/v1" } },
    { "the vllm preset does not send OPENAI_API_KEY",
      { model = "q", provider = "vllm" }, { OPENAI_API_KEY = KEY },
      { base_url = "http://localhost:8000/v1", api_key = nil } },
    { "the deepseek preset reads DEEPSEEK_API_KEY",
      { model = "deepseek-chat", provider = "deepseek" }, { DEEPSEEK_API_KEY = KEY },
      { base_url = "https://api.deepseek.com/v1", key_source = "DEEPSEEK_API_KEY" } },
    { "Azure from its endpoint's host, AZURE_OPENAI_API_KEY",
      { model = "my-deployment", base_url = "https://res.openai.azure.com/" }, { AZURE_OPENAI_API_KEY = KEY },
      { provider = "openai", azure = true, base_url = "https://res.openai.azure.com", api_version = "2024-10-21",
        key_source = "AZURE_OPENAI_API_KEY" } },
    { "Azure by --provider and AZURE_OPENAI_ENDPOINT, OPENAI_API_KEY and its API version",
      { model = "dep", provider = "azure" },
      { AZURE_OPENAI_ENDPOINT = "https://r2.openai.azure.com", OPENAI_API_KEY = KEY, AZURE_OPENAI_API_VERSION = "2025-01-01-preview" },
      { azure = true, preset = "azure", base_url = "https://r2.openai.azure.com", api_version = "2025-01-01-preview" } },
    { "numbers as strings, stream as a word",
      { model = "m", temperature = "0.5", top_p = "0.9", max_tokens = "256", timeout = "30", retries = "2", stream = "true" },
      { OPENAI_API_KEY = KEY },
      { temperature = 0.5, top_p = 0.9, max_tokens = 256, timeout = 30, retries = 2, stream = true } },
    { "defaults", { model = "m" }, { OPENAI_API_KEY = KEY },
      { timeout = 120, connect_timeout = 10, retries = 5, stream = false, temperature = nil } },
  }
  for _, case in ipairs(cases) do
    it(case[1], function()
      local cfg, err = llm.config(case[2], envf(case[3]))
      assert.is_nil(err)
      for k, v in pairs(case[4]) do
        assert.are.equal(v, cfg[k], k)
      end
      for k, v in pairs(case[4]) do if v == nil then assert.is_nil(cfg[k], k) end end
    end)
  end
  it("keys absent from a case's expectations are checked as nil where the case says nil", function()
    local cfg = assert(llm.config({ model = "q", provider = "vllm" }, envf { OPENAI_API_KEY = KEY }))
    assert.is_nil(cfg.api_key)
    assert.is_nil(cfg.key_source)
  end)

  local errors = {
    { "no model", {}, { OPENAI_API_KEY = KEY }, { "--model", "DOJO_LLM_MODEL" } },
    { "no OpenAI key", { model = "gpt-4o" }, {}, { "set OPENAI_API_KEY (or DOJO_LLM_API_KEY)", "api.openai.com" } },
    { "no Anthropic key", { model = "claude-x" }, {}, { "set ANTHROPIC_API_KEY" } },
    { "no Gemini key", { model = "gemini-x" }, {}, { "set GEMINI_API_KEY" } },
    { "no key for a remote OpenAI-compatible server", { model = "m", base_url = "https://llm.example.org/v1" }, {},
      { "OPENAI_API_KEY", "llm.example.org" } },
    { "an unknown provider", { model = "m", provider = "acme" }, {}, { "unknown LLM provider 'acme'", "anthropic" } },
    { "a base URL that is not http(s)", { model = "m", base_url = "ftp://x" }, { OPENAI_API_KEY = KEY },
      { "'ftp://x'", "--base-url" } },
    { "a bad DOJO_LLM_BASE_URL", { model = "m" }, { OPENAI_API_KEY = KEY, DOJO_LLM_BASE_URL = "localhost:8000" },
      { "DOJO_LLM_BASE_URL" } },
    { "a bad temperature", { model = "m", temperature = "hot" }, { OPENAI_API_KEY = KEY }, { "--temperature", "'hot'" } },
    { "a temperature out of range", { model = "m", temperature = 3 }, { OPENAI_API_KEY = KEY }, { "--temperature", "0 to 2" } },
    { "a bad top_p", { model = "m", top_p = 1.5 }, { OPENAI_API_KEY = KEY }, { "--top-p" } },
    { "a fractional max_tokens", { model = "m", max_tokens = 2.5 }, { OPENAI_API_KEY = KEY }, { "--max-tokens" } },
    { "negative retries", { model = "m", retries = -1 }, { OPENAI_API_KEY = KEY }, { "--retries" } },
    { "a zero timeout", { model = "m", timeout = 0 }, { OPENAI_API_KEY = KEY }, { "--llm-timeout" } },
    { "a bad stream", { model = "m", stream = "maybe" }, { OPENAI_API_KEY = KEY }, { "--stream" } },
    { "Azure without an endpoint", { model = "m", provider = "azure" }, { AZURE_OPENAI_API_KEY = KEY },
      { "--base-url", "AZURE_OPENAI_ENDPOINT" } },
    { "a model that is not a string", { model = 42 }, { OPENAI_API_KEY = KEY }, { "--model must be a string" } },
    { "bad prices", { model = "m", prices = { m = { input = "cheap" } } }, { OPENAI_API_KEY = KEY }, { "price of 'm'" } },
  }
  for _, case in ipairs(errors) do
    it("refuses " .. case[1] .. " in one sentence", function()
      local cfg, err = llm.config(case[2], envf(case[3]))
      assert.is_nil(cfg)
      assert.is_string(err)
      for _, want in ipairs(case[4]) do assert.truthy(contains(err, want), err .. " -- wanted " .. want) end
      assert.is_nil(err:find("\n"))
      assert.is_nil(err:find("traceback"))
    end)
  end
  it("refuses settings that are not a table", function()
    local cfg, err = llm.config("gpt-4o")
    assert.is_nil(cfg)
    assert.truthy(contains(err, "table"))
  end)
end)

---------------------------------------------------------------------------------------------
describe("dojo.llm redaction", function()
  it("shows the key as *** in tostring and JSON of the config and the client", function()
    local cfg = assert(llm.config({ model = "gpt-4o", api_key = KEY }, envf {}))
    assert.are.equal("***", cfg.api_key)
    assert.falsy(contains(tostring(cfg), KEY))
    assert.truthy(contains(tostring(cfg), "api_key=***"))
    local j = assert(json.encode(cfg))
    assert.falsy(contains(j, KEY))
    assert.truthy(contains(j, '"api_key":"***"'))
    local c = assert(llm.client(cfg, { transport = function() end }))
    assert.falsy(contains(tostring(c), KEY))
    assert.falsy(contains(assert(json.encode(c)), KEY))
  end)
  it("still sends the key (config passed to the client)", function()
    local c, t = make({ model = "gpt-4o" }, { openai_ok("hello") })
    assert(c:chat(USER))
    assert.are.equal("Bearer " .. KEY, t.requests[1].headers.Authorization)
  end)
  it("keeps the key out of errors, even when the server echoes it", function()
    local c = make({ model = "gpt-4o" }, { { status = 401, body = { error = { message = "Incorrect API key provided: " .. KEY } } } })
    local reply, err, kind = c:chat(USER)
    assert.is_nil(reply)
    assert.are.equal("auth", kind)
    assert.falsy(contains(err, KEY))
    assert.truthy(contains(err, "Incorrect API key provided: ***"))
  end)
  it("keeps the key out of transport errors and of everything a reply holds", function()
    local c = make({ model = "gpt-4o", retries = 1 }, { { err = "connection refused with " .. KEY, kind = "connect" },
                                                        openai_ok("fine") })
    local seen = {}
    local reply = assert(c:chat(USER, { keep_raw = true, on_retry = function(info) seen[#seen + 1] = info end }))
    assert.falsy(contains(assert(json.encode(reply)), KEY))
    assert.falsy(contains(assert(json.encode(seen)), KEY))
    assert.falsy(contains(assert(json.encode(c.totals)), KEY))
  end)
  it("a copied config is resolved again (no key travels in the copy)", function()
    local cfg = assert(llm.config({ model = "gpt-4o", api_key = KEY }, envf {}))
    local copy = {}
    for k, v in pairs(cfg) do copy[k] = v end
    assert.are.equal("***", copy.api_key)
    local c, err = llm.client(copy, { transport = function() end })
    -- resolved from os.getenv: either a client (a key in the environment) or one sentence
    if not c then assert.truthy(contains(err, "API key")) end
  end)
end)

---------------------------------------------------------------------------------------------
describe("dojo.llm OpenAI wire format", function()
  local TOOLS = { { name = "execute_code", description = "run Python",
                    parameters = { type = "object", properties = { code = { type = "string" } }, required = { "code" } } },
                  { name = "get_history", description = "the history", parameters = { type = "object", properties = {}, required = {} } } }
  local CONVERSATION = {
    { role = "system", content = "be brief" },
    { role = "user", content = "solve it" },
    { role = "assistant", content = "", tool_calls = { { id = "call_1", name = "execute_code", arguments = { code = "print(1)" } } } },
    { role = "tool", tool_call_id = "call_1", name = "execute_code", content = "1" },
  }

  it("posts chat completions with messages, tools, sampling settings", function()
    local c, t = make({ model = "qwen", base_url = "http://127.0.0.1:8000/v1", temperature = 0.2 }, { openai_ok("ok") }, {})
    assert(c:chat(CONVERSATION, { tools = TOOLS, tool_choice = "required", top_p = 0.9, max_tokens = 100 }))
    local req = t.requests[1]
    assert.are.equal("http://127.0.0.1:8000/v1/chat/completions", req.url)
    assert.are.equal("POST", req.method)
    assert.are.equal("application/json", req.headers["Content-Type"])
    assert.is_nil(req.headers.Authorization) -- a local server without a key
    local b = req.json
    assert.are.equal("qwen", b.model)
    assert.are.equal(0.2, b.temperature)
    assert.are.equal(0.9, b.top_p)
    assert.are.equal(100, b.max_tokens)
    assert.are.equal("required", b.tool_choice)
    assert.is_nil(b.stream)
    assert.are.same({ role = "system", content = "be brief" }, b.messages[1])
    assert.are.same({ role = "user", content = "solve it" }, b.messages[2])
    local a = b.messages[3]
    assert.are.equal("assistant", a.role)
    assert.are.equal(json.null, a.content)
    assert.are.equal("call_1", a.tool_calls[1].id)
    assert.are.equal("function", a.tool_calls[1].type)
    assert.are.equal("execute_code", a.tool_calls[1]["function"].name)
    assert.are.same({ code = "print(1)" }, json.decode(a.tool_calls[1]["function"].arguments))
    assert.are.same({ role = "tool", tool_call_id = "call_1", content = "1" }, b.messages[4])
    assert.are.equal("function", b.tools[1].type)
    assert.are.equal("execute_code", b.tools[1]["function"].name)
    assert.are.equal("run Python", b.tools[1]["function"].description)
    assert.are.same({ "code" }, b.tools[1]["function"].parameters.required)
    -- an empty required list stays a list on the wire
    assert.truthy(contains(req.body, '"required":[]'))
  end)
  it("sends max_completion_tokens to api.openai.com, a named tool_choice, and the bearer key", function()
    local c, t = make({ model = "gpt-4o" }, { openai_ok("ok") })
    assert(c:chat(USER, { tools = TOOLS, tool_choice = "execute_code", max_tokens = 50 }))
    local req = t.requests[1]
    assert.are.equal("https://api.openai.com/v1/chat/completions", req.url)
    assert.are.equal("Bearer " .. KEY, req.headers.Authorization)
    assert.are.equal(50, req.json.max_completion_tokens)
    assert.is_nil(req.json.max_tokens)
    assert.are.same({ type = "function", ["function"] = { name = "execute_code" } }, req.json.tool_choice)
  end)
  it("asks for usage when streaming", function()
    local c, t = make({ model = "m", base_url = "http://localhost:1/v1" },
      { { events = { { data = { choices = { { index = 0, delta = { content = "x" }, finish_reason = "stop" } } } }, { data = "[DONE]" } } } })
    assert(c:chat(USER, { stream = true }))
    assert.is_true(t.requests[1].json.stream)
    assert.is_true(t.requests[1].json.stream_options.include_usage)
    assert.are.equal("text/event-stream", t.requests[1].headers.Accept)
  end)
  it("speaks Azure: the deployment URL, api-version, the api-key header", function()
    local c, t = make({ model = "dep1", base_url = "https://res.openai.azure.com" }, { openai_ok("ok") }, { AZURE_OPENAI_API_KEY = KEY })
    assert(c:chat(USER, { max_tokens = 10 }))
    local req = t.requests[1]
    assert.are.equal("https://res.openai.azure.com/openai/deployments/dep1/chat/completions?api-version=2024-10-21", req.url)
    assert.are.equal(KEY, req.headers["api-key"])
    assert.is_nil(req.headers.Authorization)
    assert.are.equal(10, req.json.max_completion_tokens)
  end)
  it("speaks Azure's v1 API without api-version", function()
    local c, t = make({ model = "dep1", base_url = "https://res.openai.azure.com/openai/v1" }, { openai_ok("ok") }, { AZURE_OPENAI_API_KEY = KEY })
    assert(c:chat(USER))
    assert.are.equal("https://res.openai.azure.com/openai/v1/chat/completions", t.requests[1].url)
  end)

  it("reads content, model, finish reason and usage", function()
    local c = make({ model = "gpt-4o-mini" }, { openai_ok("hello") })
    local r = assert(c:chat(USER))
    assert.are.equal("hello", r.content)
    assert.are.equal("gpt-4o-mini-2024-07-18", r.model)
    assert.are.equal("stop", r.finish_reason)
    assert.are.same({ input_tokens = 1000, output_tokens = 500, total_tokens = 1500 }, r.usage)
    assert.are.same({}, r.tool_calls)
    assert.are.equal(1, r.attempts)
    assert.is_number(r.latency_s)
    assert.is_nil(r.raw)
  end)
  it("reads tool calls, and flags arguments that are not valid JSON", function()
    local msg = { role = "assistant", content = json.null, tool_calls = {
      { id = "call_a", type = "function", ["function"] = { name = "execute_code", arguments = '{"code": "print(2)"}' } },
      { id = "call_b", type = "function", ["function"] = { name = "execute_code", arguments = '{"code": "print(' } },
      { id = "call_c", type = "function", ["function"] = { name = "get_history", arguments = "" } },
      { id = "call_d", type = "function", ["function"] = { name = "x", arguments = "[1,2]" } },
    } }
    local c = make({ model = "m" }, { { body = { model = "m", choices = { { message = msg, finish_reason = "tool_calls" } } } } })
    local r = assert(c:chat(USER, { keep_raw = true }))
    assert.are.equal("", r.content)
    assert.are.equal("tool_calls", r.finish_reason)
    assert.are.equal(4, #r.tool_calls)
    local a, b, cc, d = r.tool_calls[1], r.tool_calls[2], r.tool_calls[3], r.tool_calls[4]
    assert.are.same({ code = "print(2)" }, a.arguments)
    assert.are.equal('{"code": "print(2)"}', a.arguments_text)
    assert.is_nil(a.error)
    assert.are.equal("call_b", b.id)
    assert.is_nil(b.arguments)
    assert.are.equal('{"code": "print(', b.arguments_text)
    assert.truthy(contains(b.error, "not valid JSON"))
    assert.are.same({}, cc.arguments)
    assert.is_nil(d.arguments)
    assert.truthy(contains(d.error, "not a JSON object"))
    assert.is_table(r.raw)
    assert.is_nil(r.usage.input_tokens) -- the server did not say
    assert.is_nil(r.cost)
  end)
  it("sends a reply's tool calls back as they came", function()
    local msg = { role = "assistant", content = "thinking", tool_calls = {
      { id = "call_z", type = "function", ["function"] = { name = "execute_code", arguments = '{"code":"1"}' } } } }
    local c, t = make({ model = "m" }, { { body = { choices = { { message = msg, finish_reason = "tool_calls" } } } }, openai_ok("done") })
    local r = assert(c:chat(USER))
    local msgs = { USER[1], { role = "assistant", content = r.content, tool_calls = r.tool_calls },
                   { role = "tool", tool_call_id = r.tool_calls[1].id, content = "ok" } }
    assert(c:chat(msgs))
    local sent = t.requests[2].json.messages[2]
    assert.are.equal("thinking", sent.content)
    assert.are.equal('{"code":"1"}', sent.tool_calls[1]["function"].arguments)
  end)
  it("assembles a streamed reply: text pieces, tool-call fragments by index, usage", function()
    local function chunk(delta, finish) return { data = { model = "m-1", choices = { { index = 0, delta = delta, finish_reason = finish } } } } end
    local events = {
      chunk({ role = "assistant", content = "" }),
      chunk({ content = "Let me " }), chunk({ content = "run it." }),
      chunk({ tool_calls = { { index = 0, id = "call_s", type = "function", ["function"] = { name = "execute_code", arguments = "" } } } }),
      chunk({ tool_calls = { { index = 1, id = "call_t", type = "function", ["function"] = { name = "get_history", arguments = "{}" } } } }),
      chunk({ tool_calls = { { index = 0, ["function"] = { arguments = '{"co' } } } }),
      chunk({ tool_calls = { { index = 0, ["function"] = { arguments = 'de": "x=1"}' } } } }),
      chunk({}, "tool_calls"),
      { data = { model = "m-1", choices = {}, usage = { prompt_tokens = 7, completion_tokens = 3, total_tokens = 10 } } },
      { data = "[DONE]" },
    }
    local pieces = {}
    local c = make({ model = "m", stream = true }, { { events = events } })
    local r = assert(c:chat(USER, { on_text = function(s) pieces[#pieces + 1] = s end }))
    assert.are.equal("Let me run it.", r.content)
    assert.are.equal("Let me run it.", table.concat(pieces))
    assert.are.equal("tool_calls", r.finish_reason)
    assert.are.equal("m-1", r.model)
    assert.are.equal(2, #r.tool_calls)
    assert.are.equal("call_s", r.tool_calls[1].id)
    assert.are.same({ code = "x=1" }, r.tool_calls[1].arguments)
    assert.are.equal("get_history", r.tool_calls[2].name)
    assert.are.same({ input_tokens = 7, output_tokens = 3, total_tokens = 10 }, r.usage)
  end)
  it("reads a stream handed back as one body, and a server that ignored stream=true", function()
    local sse = 'data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n' ..
                ': keep-alive\n\n' ..
                'data: {"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}]}\r\n\r\n' ..
                'data: [DONE]\n\n'
    local c = make({ model = "m", stream = true }, { { sse = sse }, openai_ok("plain") })
    assert.are.equal("ab", assert(c:chat(USER)).content)
    assert.are.equal("plain", assert(c:chat(USER)).content)
  end)
  it("retries a stream that broke off, and one that reported an error", function()
    local c, _, sleeps = make({ model = "m", stream = true }, {
      { events = { { data = { choices = { { index = 0, delta = { content = "par" } } } } } } },
      { events = { { data = { error = { message = "overloaded" } } } } },
      { events = { { data = { choices = { { index = 0, delta = { content = "whole" }, finish_reason = "stop" } } } }, { data = "[DONE]" } } },
    })
    local r = assert(c:chat(USER))
    assert.are.equal("whole", r.content)
    assert.are.equal(3, r.attempts)
    assert.are.equal(2, #sleeps)
  end)
end)

---------------------------------------------------------------------------------------------
describe("dojo.llm Anthropic wire format", function()
  local AENV = { ANTHROPIC_API_KEY = KEY }
  local function anthropic_ok(blocks, stop, usage)
    return { status = 200, body = { id = "msg_1", type = "message", role = "assistant", model = "claude-sonnet-4-20250514",
      content = blocks, stop_reason = stop or "end_turn",
      usage = usage or { input_tokens = 100, output_tokens = 20 } } }
  end
  it("posts /v1/messages: system on top, blocks, merged tool results, max_tokens, headers", function()
    local c, t = make({ model = "claude-sonnet-4-20250514" }, { anthropic_ok({ { type = "text", text = "ok" } }) }, AENV)
    local msgs = {
      { role = "system", content = "rule one" },
      { role = "system", content = "rule two" },
      { role = "user", content = "go" },
      { role = "assistant", content = "two calls", tool_calls = {
        { id = "toolu_1", name = "execute_code", arguments = { code = "a" } },
        { id = "toolu_2", name = "get_history", arguments_text = "{}" } } },
      { role = "tool", tool_call_id = "toolu_1", name = "execute_code", content = "out a" },
      { role = "tool", tool_call_id = "toolu_2", name = "get_history", content = "out b" },
      { role = "user", content = "and now?" },
    }
    local tools = { { name = "execute_code", description = "run", parameters = { type = "object", properties = { code = { type = "string" } } } } }
    assert(c:chat(msgs, { tools = tools, tool_choice = "required", temperature = 0.3 }))
    local req = t.requests[1]
    assert.are.equal("https://api.anthropic.com/v1/messages", req.url)
    assert.are.equal(KEY, req.headers["x-api-key"])
    assert.are.equal("2023-06-01", req.headers["anthropic-version"])
    assert.is_nil(req.headers.Authorization)
    local b = req.json
    assert.are.equal("rule one\n\nrule two", b.system)
    assert.are.equal(4096, b.max_tokens)
    assert.are.equal(0.3, b.temperature)
    assert.are.equal(3, #b.messages)
    assert.are.same({ role = "user", content = { { type = "text", text = "go" } } }, b.messages[1])
    local a = b.messages[2]
    assert.are.equal("assistant", a.role)
    assert.are.same({ type = "text", text = "two calls" }, a.content[1])
    assert.are.same({ type = "tool_use", id = "toolu_1", name = "execute_code", input = { code = "a" } }, a.content[2])
    assert.are.equal("toolu_2", a.content[3].id)
    assert.truthy(contains(req.body, '"input":{}'))
    local u = b.messages[3]
    assert.are.equal("user", u.role)
    assert.are.same({ type = "tool_result", tool_use_id = "toolu_1", content = "out a" }, u.content[1])
    assert.are.same({ type = "tool_result", tool_use_id = "toolu_2", content = "out b" }, u.content[2])
    assert.are.same({ type = "text", text = "and now?" }, u.content[3])
    assert.are.same({ name = "execute_code", description = "run",
                      input_schema = { type = "object", properties = { code = { type = "string" } } } }, b.tools[1])
    assert.are.same({ type = "any" }, b.tool_choice)
  end)
  it("uses the configured max_tokens and a named tool choice", function()
    local c, t = make({ model = "claude-x", max_tokens = 123 }, { anthropic_ok({ { type = "text", text = "ok" } }) }, AENV)
    assert(c:chat(USER, { tools = { { name = "f" } }, tool_choice = { name = "f" } }))
    assert.are.equal(123, t.requests[1].json.max_tokens)
    assert.are.same({ type = "tool", name = "f" }, t.requests[1].json.tool_choice)
    assert.are.same({ type = "object", properties = {} }, t.requests[1].json.tools[1].input_schema)
  end)
  it("reads text and tool_use blocks, stop reason and usage (cache tokens count as input)", function()
    local c = make({ model = "claude-sonnet-4-20250514" }, { anthropic_ok({
      { type = "text", text = "I will " }, { type = "text", text = "run it." },
      { type = "tool_use", id = "toolu_9", name = "execute_code", input = { code = "print(3)" } } }, "tool_use",
      { input_tokens = 100, output_tokens = 20, cache_read_input_tokens = 50 }) }, AENV)
    local r = assert(c:chat(USER))
    assert.are.equal("I will run it.", r.content)
    assert.are.equal("tool_calls", r.finish_reason)
    assert.are.equal("toolu_9", r.tool_calls[1].id)
    assert.are.same({ code = "print(3)" }, r.tool_calls[1].arguments)
    assert.are.same({ code = "print(3)" }, json.decode(r.tool_calls[1].arguments_text))
    assert.are.same({ input_tokens = 150, output_tokens = 20, total_tokens = 170 }, r.usage)
    assert.is_near(150 * 3 / 1e6 + 20 * 15 / 1e6, r.cost, 1e-12)
  end)
  it("assembles a stream: text_delta, input_json_delta, message_delta usage", function()
    local E = function(name, data) return { event = name, data = data } end
    local events = {
      E("message_start", { type = "message_start", message = { model = "claude-x-1", usage = { input_tokens = 30, output_tokens = 1 } } }),
      E("ping", { type = "ping" }),
      E("content_block_start", { type = "content_block_start", index = 0, content_block = { type = "text", text = "" } }),
      E("content_block_delta", { type = "content_block_delta", index = 0, delta = { type = "text_delta", text = "Hel" } }),
      E("content_block_delta", { type = "content_block_delta", index = 0, delta = { type = "text_delta", text = "lo" } }),
      E("content_block_stop", { type = "content_block_stop", index = 0 }),
      E("content_block_start", { type = "content_block_start", index = 1, content_block = { type = "tool_use", id = "toolu_s", name = "execute_code", input = {} } }),
      E("content_block_delta", { type = "content_block_delta", index = 1, delta = { type = "input_json_delta", partial_json = '{"code":' } }),
      E("content_block_delta", { type = "content_block_delta", index = 1, delta = { type = "input_json_delta", partial_json = ' "y"}' } }),
      E("content_block_stop", { type = "content_block_stop", index = 1 }),
      E("message_delta", { type = "message_delta", delta = { stop_reason = "tool_use" }, usage = { output_tokens = 12 } }),
      E("message_stop", { type = "message_stop" }),
    }
    local c, t = make({ model = "claude-x" }, { { events = events } }, AENV)
    local r = assert(c:chat(USER, { stream = true }))
    assert.is_true(t.requests[1].json.stream)
    assert.are.equal("Hello", r.content)
    assert.are.equal("claude-x-1", r.model)
    assert.are.equal("tool_calls", r.finish_reason)
    assert.are.same({ code = "y" }, r.tool_calls[1].arguments)
    assert.are.same({ input_tokens = 30, output_tokens = 12, total_tokens = 42 }, r.usage)
  end)
  it("retries a stream's overloaded error event, and gives up on an invalid_request one", function()
    local err_ev = function(typ) return { event = "error", data = { type = "error", error = { type = typ, message = "nope: " .. typ } } } end
    local ok_events = {
      { event = "message_start", data = { type = "message_start", message = { model = "c", usage = { input_tokens = 1, output_tokens = 1 } } } },
      { event = "content_block_start", data = { type = "content_block_start", index = 0, content_block = { type = "text", text = "fine" } } },
      { event = "message_delta", data = { type = "message_delta", delta = { stop_reason = "end_turn" }, usage = { output_tokens = 2 } } },
      { event = "message_stop", data = { type = "message_stop" } },
    }
    local c = make({ model = "claude-x", stream = true }, { { events = { err_ev("overloaded_error") } }, { events = ok_events },
                                                           { events = { err_ev("invalid_request_error") } } }, AENV)
    local r = assert(c:chat(USER))
    assert.are.equal("fine", r.content)
    assert.are.equal(2, r.attempts)
    local r2, err, kind = c:chat(USER)
    assert.is_nil(r2)
    assert.are.equal("protocol", kind)
    assert.truthy(contains(err, "nope: invalid_request_error"))
  end)
end)

---------------------------------------------------------------------------------------------
describe("dojo.llm Gemini wire format", function()
  local GENV = { GEMINI_API_KEY = KEY }
  local function gemini_ok(parts, finish, usage)
    return { status = 200, body = { candidates = { { content = { role = "model", parts = parts }, finishReason = finish or "STOP" } },
      usageMetadata = usage or { promptTokenCount = 40, candidatesTokenCount = 10, totalTokenCount = 50 }, modelVersion = "gemini-2.5-flash" } }
  end
  it("posts generateContent with contents, systemInstruction, tools, generationConfig; the key in a header", function()
    local c, t = make({ model = "gemini-2.5-flash", temperature = 0.1 }, { gemini_ok({ { text = "ok" } }) }, GENV)
    local msgs = {
      { role = "system", content = "sys" },
      { role = "user", content = "go" },
      { role = "assistant", content = "", tool_calls = { { id = "call_7", name = "execute_code", arguments = { code = "z" }, thought_signature = "sig==" } } },
      { role = "tool", tool_call_id = "call_7", content = "result" },
    }
    local tools = { { name = "execute_code", description = "run", parameters = { type = "object", properties = { code = { type = "string" } }, required = { "code" } } } }
    assert(c:chat(msgs, { tools = tools, tool_choice = "auto", top_p = 0.5, max_tokens = 64 }))
    local req = t.requests[1]
    assert.are.equal("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent", req.url)
    assert.falsy(contains(req.url, KEY))
    assert.are.equal(KEY, req.headers["x-goog-api-key"])
    local b = req.json
    assert.are.same({ parts = { { text = "sys" } } }, b.systemInstruction)
    assert.are.same({ role = "user", parts = { { text = "go" } } }, b.contents[1])
    assert.are.same({ role = "model", parts = { { functionCall = { name = "execute_code", args = { code = "z" } }, thoughtSignature = "sig==" } } }, b.contents[2])
    assert.are.same({ role = "user", parts = { { functionResponse = { name = "execute_code", response = { content = "result" } } } } }, b.contents[3])
    assert.are.same({ temperature = 0.1, topP = 0.5, maxOutputTokens = 64 }, b.generationConfig)
    local decl = b.tools[1].functionDeclarations[1]
    assert.are.equal("execute_code", decl.name)
    assert.are.same({ "code" }, decl.parametersJsonSchema.required)
    assert.are.same({ functionCallingConfig = { mode = "AUTO" } }, b.toolConfig)
  end)
  it("streams from :streamGenerateContent?alt=sse", function()
    local events = {
      { data = { candidates = { { content = { role = "model", parts = { { text = "Hi " } } } } } } },
      { data = { candidates = { { content = { role = "model", parts = { { text = "there", thought = false }, { text = "(thinking)", thought = true } } } } } } },
      { data = { candidates = { { content = { role = "model", parts = { { functionCall = { name = "get_history", args = {} } } } }, finishReason = "STOP" } },
                 usageMetadata = { promptTokenCount = 5, candidatesTokenCount = 4, thoughtsTokenCount = 6, totalTokenCount = 15 } } },
    }
    local c, t = make({ model = "models/gemini-2.5-pro" }, { { events = events } }, GENV)
    local r = assert(c:chat(USER, { stream = true }))
    assert.are.equal("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", t.requests[1].url)
    assert.are.equal("Hi there", r.content)
    assert.are.equal("tool_calls", r.finish_reason)
    assert.are.equal("get_history", r.tool_calls[1].name)
    assert.is_string(r.tool_calls[1].id)
    assert.are.same({ input_tokens = 5, output_tokens = 10, total_tokens = 15 }, r.usage)
  end)
  it("reads function calls with made-up ids and their thought signatures; the tool result finds its name", function()
    local c, t = make({ model = "gemini-2.5-flash" }, {
      gemini_ok({ { text = "calling" }, { functionCall = { name = "execute_code", args = { code = "q" } }, thoughtSignature = "abc" },
                  { functionCall = { name = "get_history", args = {} } } }),
      gemini_ok({ { text = "done" } }) }, GENV)
    local r = assert(c:chat(USER))
    assert.are.equal("calling", r.content)
    assert.are.equal("tool_calls", r.finish_reason)
    assert.are.equal(2, #r.tool_calls)
    assert.are_not.equal(r.tool_calls[1].id, r.tool_calls[2].id)
    assert.are.equal("abc", r.tool_calls[1].thought_signature)
    assert.are.same({ input_tokens = 40, output_tokens = 10, total_tokens = 50 }, r.usage)
    local msgs = { USER[1], { role = "assistant", content = r.content, tool_calls = r.tool_calls },
                   { role = "tool", tool_call_id = r.tool_calls[1].id, content = "A" },
                   { role = "tool", tool_call_id = r.tool_calls[2].id, content = "B" } }
    assert(c:chat(msgs))
    local b = t.requests[2].json
    assert.are.equal("abc", b.contents[2].parts[2].thoughtSignature)
    assert.are.equal(2, #b.contents[3].parts)
    assert.are.equal("execute_code", b.contents[3].parts[1].functionResponse.name)
    assert.are.equal("get_history", b.contents[3].parts[2].functionResponse.name)
  end)
  it("says when the prompt was blocked", function()
    local c = make({ model = "gemini-2.5-flash" }, { { body = { promptFeedback = { blockReason = "SAFETY" } } } }, GENV)
    local r, err, kind = c:chat(USER)
    assert.is_nil(r)
    assert.are.equal("protocol", kind)
    assert.truthy(contains(err, "blocked the prompt (SAFETY)"))
  end)
end)

---------------------------------------------------------------------------------------------
describe("dojo.llm retries", function()
  it("429 then success: one jittered backoff", function()
    local c, t, sleeps = make({ model = "m" }, { { status = 429, body = { error = { message = "slow down" } } }, openai_ok("ok") })
    local r = assert(c:chat(USER))
    assert.are.equal(2, r.attempts)
    assert.are.same({ 0.5 }, sleeps) -- random 0.5 * min(30, 1 * 2^0)
    assert.are.equal(2, #t.requests)
    assert.are.equal(1, c.totals.retries)
    assert.are.equal(1, c.totals.requests)
    assert.are.equal(0, c.totals.failures)
  end)
  it("honours Retry-After and retry-after-ms", function()
    local c, _, sleeps = make({ model = "m" }, {
      { status = 429, headers = { ["retry-after"] = "7" }, body = "" },
      { status = 503, headers = { ["retry-after-ms"] = "250" }, body = "" },
      { status = 529, headers = { ["retry-after"] = "3600" }, body = "" },
      openai_ok("ok") })
    assert(c:chat(USER))
    assert.are.same({ 7, 0.25, 60 }, sleeps)
  end)
  it("a 500 storm exhausts the retries with exponential backoff and says so", function()
    local list = {}
    for i = 1, 10 do list[i] = { status = 500, body = { error = { message = "boom " .. i } } } end
    local c, t, sleeps = make({ model = "m", retries = 3 }, list)
    local r, err, kind = c:chat(USER)
    assert.is_nil(r)
    assert.are.equal("server", kind)
    assert.are.equal(4, #t.requests)
    assert.are.same({ 0.5, 1, 2 }, sleeps)
    assert.truthy(contains(err, "gave up after 4 attempts"))
    assert.truthy(contains(err, "500"))
    assert.truthy(contains(err, "boom 4"))
    assert.are.equal(1, c.totals.failures)
    assert.are.equal(3, c.totals.retries)
  end)
  it("caps the backoff at 30 s", function()
    local list = {}
    for i = 1, 8 do list[i] = { status = 502, body = "" } end
    local c, _, sleeps = make({ model = "m", retries = 7 }, list, nil, { random = function() return 0.999 end })
    assert.is_nil(c:chat(USER))
    assert.are.equal(7, #sleeps)
    for i = 1, 5 do assert.is_near(0.999 * 2 ^ (i - 1), sleeps[i], 1e-9) end
    assert.is_near(0.999 * 30, sleeps[6], 1e-9)
    assert.is_near(0.999 * 30, sleeps[7], 1e-9)
  end)
  it("401 fails at once, naming the host and the variable", function()
    local c, t, sleeps = make({ model = "m" }, { { status = 401, body = { error = { message = "bad key" } } }, openai_ok("never") })
    local r, err, kind = c:chat(USER)
    assert.is_nil(r)
    assert.are.equal("auth", kind)
    assert.are.equal(1, #t.requests)
    assert.are.same({}, sleeps)
    assert.truthy(contains(err, "the API key was rejected by api.openai.com (401"))
    assert.truthy(contains(err, "OPENAI_API_KEY"))
  end)
  it("403 from Anthropic names ANTHROPIC_API_KEY", function()
    local c = make({ model = "claude-x" }, { { status = 403, body = { type = "error", error = { type = "permission_error", message = "no" } } } },
                   { ANTHROPIC_API_KEY = KEY })
    local _, err, kind = c:chat(USER)
    assert.are.equal("auth", kind)
    assert.truthy(contains(err, "api.anthropic.com (403"))
    assert.truthy(contains(err, "ANTHROPIC_API_KEY"))
  end)
  it("404 names the model and the URL", function()
    local c = make({ model = "gpt-nope" }, { { status = 404, body = { error = { message = "The model does not exist" } } } })
    local _, err, kind = c:chat(USER)
    assert.are.equal("not_found", kind)
    assert.truthy(contains(err, "model or endpoint not found"))
    assert.truthy(contains(err, "'gpt-nope'"))
    assert.truthy(contains(err, "https://api.openai.com/v1/chat/completions"))
    assert.truthy(contains(err, "The model does not exist"))
  end)
  it("400 gives the provider's message", function()
    local c, t = make({ model = "m" }, { { status = 400, body = { error = { message = "temperature is not supported with this model" } } } })
    local _, err, kind = c:chat(USER)
    assert.are.equal("bad_request", kind)
    assert.are.equal(1, #t.requests)
    assert.truthy(contains(err, "(400): temperature is not supported with this model"))
  end)
  it("retries timeouts and connection failures, not unresolvable hosts", function()
    local c, t, sleeps = make({ model = "m", timeout = 5 }, {
      { err = "Operation timed out", kind = "timeout" }, { err = "refused", kind = "connect" }, openai_ok("ok"),
      { err = "no such host", kind = "resolve" } })
    local r = assert(c:chat(USER))
    assert.are.equal(3, r.attempts)
    assert.are.same({ 0.5, 1 }, sleeps)
    local r2, err, kind = c:chat(USER)
    assert.is_nil(r2)
    assert.are.equal("resolve", kind)
    assert.truthy(contains(err, "api.openai.com"))
    assert.are.equal(4, #t.requests)
  end)
  it("a timeout that outlasts the retries says how long it waited", function()
    local c = make({ model = "m", timeout = 1, retries = 1 }, { { err = "t", kind = "timeout" }, { err = "t", kind = "timeout" } })
    local _, err, kind = c:chat(USER)
    assert.are.equal("timeout", kind)
    assert.truthy(contains(err, "gave up after 2 attempts"))
    assert.truthy(contains(err, "within 1 s"))
  end)
  it("reports each retry to on_retry", function()
    local seen = {}
    local c = make({ model = "m" }, { { status = 429, body = "" }, openai_ok("ok") })
    assert(c:chat(USER, { on_retry = function(i) seen[#seen + 1] = i end }))
    assert.are.equal(1, #seen)
    assert.are.equal(429, seen[1].status)
    assert.are.equal(1, seen[1].attempt)
    assert.are.equal(0.5, seen[1].delay)
  end)
  it("an answer that is not JSON is a protocol error, not retried", function()
    local c, t = make({ model = "m" }, { { status = 200, body = "<html>proxy</html>" } })
    local _, err, kind = c:chat(USER)
    assert.are.equal("protocol", kind)
    assert.truthy(contains(err, "not JSON"))
    assert.are.equal(1, #t.requests)
  end)
  it("an error inside a 200 answer is reported with its message", function()
    local c = make({ model = "m" }, { { status = 200, body = { error = { message = "upstream model crashed" } } } })
    local _, err, kind = c:chat(USER)
    assert.are.equal("protocol", kind)
    assert.truthy(contains(err, "upstream model crashed"))
  end)
  it("a transport that raises becomes an error, not a stack trace", function()
    local cfg = assert(llm.config({ model = "m" }, envf { OPENAI_API_KEY = KEY }))
    local c = assert(llm.client(cfg, { transport = function() error("kaboom") end, sleep = function() end }))
    local r, err, kind = c:chat(USER, { retries = 0 })
    assert.is_nil(r)
    assert.are.equal("error", kind)
    assert.truthy(contains(err, "kaboom"))
  end)
end)

---------------------------------------------------------------------------------------------
describe("dojo.llm bad input", function()
  local c = make({ model = "m" }, {})
  local cases = {
    { "no messages", {}, nil, "non-empty list" },
    { "not a list", "hello", nil, "non-empty list" },
    { "a bad role", { { role = "robot", content = "x" } }, nil, "role 'robot'" },
    { "content that is not a string", { { role = "user", content = 5 } }, nil, "content must be a string" },
    { "a tool result without an id", { { role = "tool", content = "x" } }, nil, "tool_call_id" },
    { "a nameless tool call", { { role = "assistant", tool_calls = { { arguments = {} } } } }, nil, "needs a name" },
    { "a bad tool", USER, { tools = { { name = "bad name" } } }, "tool 1 needs a name" },
    { "a bad temperature", USER, { temperature = "warm" }, "temperature must be" },
    { "options that are not a table", USER, "fast", "options must be a table" },
  }
  for _, case in ipairs(cases) do
    it("refuses " .. case[1], function()
      local r, err, kind = c:chat(case[2], case[3])
      assert.is_nil(r)
      assert.are.equal("invalid", kind)
      assert.truthy(contains(err, case[4]), err)
    end)
  end
  it("refuses a client without a configuration", function()
    local cl, err = llm.client(nil)
    assert.is_nil(cl)
    assert.truthy(contains(err, "configuration"))
  end)
  it("refuses chat called with a dot", function()
    local r, err = c.chat(USER)
    assert.is_nil(r)
    assert.truthy(contains(err, "client:chat"))
  end)
end)

---------------------------------------------------------------------------------------------
describe("dojo.llm cost and totals", function()
  it("prices a reply by its model and adds up the client's totals", function()
    local c = make({ model = "gpt-4o-mini" }, { openai_ok("a"), openai_ok("b") })
    local r1 = assert(c:chat(USER))
    assert.is_near((1000 * 0.15 + 500 * 0.60) / 1e6, r1.cost, 1e-12)
    assert(c:chat(USER))
    local t = c.totals
    assert.are.equal(2, t.requests)
    assert.are.equal(2000, t.input_tokens)
    assert.are.equal(1000, t.output_tokens)
    assert.is_near(2 * r1.cost, t.cost, 1e-12)
    assert.are.equal(0, t.retries)
    assert.are.equal(0, t.failures)
    assert.are.equal(0, t.unpriced)
    assert.are.same(t, c:usage())
  end)
  it("an unknown model has no cost (nil, not 0)", function()
    local c = make({ model = "my-local-model", base_url = "http://localhost:9/v1" },
                   { openai_ok("x", { model = "my-local-model" }) })
    local r = assert(c:chat(USER))
    assert.is_nil(r.cost)
    assert.are.equal(1, c.totals.unpriced)
    assert.are.equal(0, c.totals.cost)
    assert.are.equal(1000, c.totals.input_tokens)
  end)
  it("matches snapshots and routed names of a listed model, and nothing else", function()
    assert.are.same({ input = 2.50, output = 10.00 }, prices.lookup("gpt-4o-2024-08-06"))
    assert.are.same({ input = 0.15, output = 0.60 }, prices.lookup("gpt-4o-mini-2024-07-18"))
    assert.are.same({ input = 3.00, output = 15.00 }, prices.lookup("claude-sonnet-4-20250514"))
    assert.are.same({ input = 0.10, output = 0.40 }, prices.lookup("gemini-2.5-flash-lite"))
    assert.are.same({ input = 2.50, output = 10.00 }, prices.lookup("openai/gpt-4o"))
    assert.are.same({ input = 3.00, output = 15.00 }, prices.lookup("claude-3-5-sonnet-latest"))
    assert.are.same({ input = 1.25, output = 10.00 }, prices.lookup("models/gemini-2.5-pro"))
    assert.is_nil(prices.lookup("gpt-4oo"))
    assert.is_nil(prices.lookup("o3-pro"))            -- another price than o3
    assert.is_nil(prices.lookup("gpt-5-pro-2025-10-06"))
    assert.is_nil(prices.lookup("claude-opus-4-7"))   -- not claude-opus-4's price
    assert.is_nil(prices.lookup("llama-3-70b"))
    assert.is_nil(prices.cost("llama-3-70b", { input_tokens = 1, output_tokens = 1 }))
    assert.is_nil(prices.cost("gpt-4o", { input_tokens = 1 }))
  end)
  it("registers names and patterns; a config's prices come first", function()
    prices.register("house-model-7b", { input = 1, output = 2 })
    prices.register("^qwen.*coder", { input = 0.5, output = 0.5 })
    assert.are.equal((1000 * 1 + 500 * 2) / 1e6, prices.cost("house-model-7b", { input_tokens = 1000, output_tokens = 500 }))
    assert.are.same({ input = 0.5, output = 0.5 }, prices.lookup("qwen2.5-coder-32b"))
    local c = make({ model = "house-model-7b", prices = { ["house-model-7b"] = { input = 10, output = 10 } } }, { openai_ok("x", { model = "house-model-7b" }) })
    local r = assert(c:chat(USER))
    assert.is_near((1000 * 10 + 500 * 10) / 1e6, r.cost, 1e-12)
    assert.has_error(function() prices.register("bad", { input = -1, output = 1 }) end)
    assert.has_error(function() prices.register(nil, { input = 1, output = 1 }) end)
    prices.registry["house-model-7b"], prices.registry["^qwen.*coder"] = nil, nil
  end)
  it("counts a failed call in the totals", function()
    local c = make({ model = "m", retries = 0 }, { { status = 500, body = "" } })
    assert.is_nil(c:chat(USER))
    assert.are.equal(1, c.totals.failures)
    assert.are.equal(1, c.totals.requests)
  end)
  it("measures latency with the given clock", function()
    local now = 100
    local c = make({ model = "m" }, { function() now = now + 2.5; return { status = 200, body = json.encode(openai_ok("x").body) } end },
                   nil, { clock = function() return now end })
    local r = assert(c:chat(USER))
    assert.are.equal(2.5, r.latency_s)
  end)
end)

---------------------------------------------------------------------------------------------
-- End to end: dojo.http against tests/llm/fake_llm.py on 127.0.0.1.
local have_http = pcall(require, "dojo.http")
local fake = require "fake_llm"

local function e2e(name, fn)
  if have_http then it(name, fn) else pending(name .. " (needs dojo.http)") end
end

describe("dojo.llm against the fake server", function()
  local srv
  after_each(function() if srv then srv:stop(); srv = nil end end)

  local function client_for(flags, env)
    local cfg = assert(llm.config(flags, envf(env)))
    return assert(llm.client(cfg, { sleep = function() end }))
  end

  for _, p in ipairs {
    { name = "OpenAI", model = "gpt-4o-mini", env = function(url) return { OPENAI_BASE_URL = url .. "/v1", OPENAI_API_KEY = KEY } end },
    { name = "Anthropic", model = "claude-test", env = function(url) return { ANTHROPIC_BASE_URL = url, ANTHROPIC_API_KEY = KEY } end },
    { name = "Gemini", model = "gemini-test", env = function(url) return { GEMINI_BASE_URL = url, GEMINI_API_KEY = KEY } end },
  } do
    for _, stream in ipairs { false, true } do
      e2e(p.name .. (stream and ", streamed" or "") .. ": text, then a tool call, then the tool result", function()
        srv = fake.start {
          { content = "Hello from " .. p.name, expect_key = KEY, usage = { input_tokens = 100, output_tokens = 20 } },
          { content = "Running.", tool_calls = { { name = "execute_code", arguments = { code = "print(42)" } } } },
          { content = "Done." },
        }
        local c = client_for({ model = p.model, stream = stream }, p.env(srv.url))
        local r = assert(c:chat({ { role = "system", content = "sys" }, { role = "user", content = "hi" } }))
        assert.are.equal("Hello from " .. p.name, r.content)
        assert.are.same({ input_tokens = 100, output_tokens = 20, total_tokens = 120 }, r.usage)
        assert.are.equal("stop", r.finish_reason)
        local tools = { { name = "execute_code", description = "run", parameters = { type = "object", properties = { code = { type = "string" } } } } }
        local msgs = { { role = "user", content = "run something" } }
        local r2 = assert(c:chat(msgs, { tools = tools }))
        assert.are.equal("Running.", r2.content)
        assert.are.equal("tool_calls", r2.finish_reason)
        assert.are.equal(1, #r2.tool_calls)
        assert.are.equal("execute_code", r2.tool_calls[1].name)
        assert.are.same({ code = "print(42)" }, r2.tool_calls[1].arguments)
        msgs[#msgs + 1] = { role = "assistant", content = r2.content, tool_calls = r2.tool_calls }
        msgs[#msgs + 1] = { role = "tool", tool_call_id = r2.tool_calls[1].id, name = "execute_code", content = "42" }
        local r3 = assert(c:chat(msgs, { tools = tools }))
        assert.are.equal("Done.", r3.content)
        assert.are.equal(3, c.totals.requests)
        assert.is_true(c.totals.input_tokens >= 100)
        local log = srv.log()
        assert.are.equal(3, #log)
        assert.is_true(log[1].key_ok)
        for _, req in ipairs(log) do
          assert.is_true(req.key_present)
          assert.are.equal(stream, req.stream)
          assert.falsy(contains(json.encode(req), KEY))
        end
        assert.truthy(contains(json.encode(log[3].body), "42"))
      end)
    end
  end

  e2e("a 429 then success, Retry-After honoured", function()
    srv = fake.start { { status = 429, headers = { ["retry-after"] = "0" } }, { content = "after the wait" } }
    local slept = {}
    local cfg = assert(llm.config({ model = "gpt-4o" }, envf { OPENAI_BASE_URL = srv.url .. "/v1", OPENAI_API_KEY = KEY }))
    local c = assert(llm.client(cfg, { sleep = function(s) slept[#slept + 1] = s end }))
    local r = assert(c:chat(USER))
    assert.are.equal("after the wait", r.content)
    assert.are.equal(2, r.attempts)
    assert.are.same({ 0 }, slept)
  end)

  e2e("a slow reply past a 1 s timeout: retried, or a timeout error", function()
    srv = fake.start { { delay = 3, content = "late" }, { content = "on time" }, { delay = 3, content = "late again" } }
    local c = client_for({ model = "gpt-4o", timeout = 1, retries = 1 }, { OPENAI_BASE_URL = srv.url .. "/v1", OPENAI_API_KEY = KEY })
    local r = assert(c:chat(USER))
    assert.are.equal("on time", r.content)
    assert.are.equal(2, r.attempts)
    local t0 = os.time()
    local r2, err, kind = c:chat(USER, { retries = 0 })
    assert.is_nil(r2)
    assert.are.equal("timeout", kind)
    assert.truthy(contains(err, "within 1 s"))
    assert.is_true(os.time() - t0 <= 3)
  end)

  e2e("a rejected key, a missing model, a malformed tool call", function()
    srv = fake.start {
      { expect_key = "another-key", content = "no" },
      { status = 404, error = "model 'nope' not found" },
      { tool_calls = { { name = "execute_code", arguments = '{"code": "unterminated' } } },
    }
    local c = client_for({ model = "gpt-4o" }, { OPENAI_BASE_URL = srv.url .. "/v1", OPENAI_API_KEY = KEY })
    local _, err, kind = c:chat(USER)
    assert.are.equal("auth", kind)
    assert.truthy(contains(err, "API key was rejected by 127.0.0.1 (401"))
    assert.falsy(contains(err, KEY))
    _, err, kind = c:chat(USER)
    assert.are.equal("not_found", kind)
    assert.truthy(contains(err, srv.url .. "/v1/chat/completions"))
    local r = assert(c:chat(USER))
    assert.is_nil(r.tool_calls[1].arguments)
    assert.truthy(contains(r.tool_calls[1].error, "not valid JSON"))
  end)

  e2e("a dead server: connection failures are retried, then reported", function()
    srv = fake.start {}
    local url = srv.url
    srv:stop(); srv = nil
    local c = client_for({ model = "gpt-4o", retries = 2 }, { OPENAI_BASE_URL = url .. "/v1", OPENAI_API_KEY = KEY })
    local r, err, kind = c:chat(USER)
    assert.is_nil(r)
    assert.are.equal("connect", kind)
    assert.truthy(contains(err, "gave up after 3 attempts"))
  end)

  e2e("an exhausted script is a server error the test notices", function()
    srv = fake.start {}
    local c = client_for({ model = "gpt-4o", retries = 0 }, { OPENAI_BASE_URL = srv.url .. "/v1", OPENAI_API_KEY = KEY })
    local _, err, kind = c:chat(USER)
    assert.are.equal("server", kind)
    assert.truthy(contains(err, "fake script exhausted"))
  end)
end)
