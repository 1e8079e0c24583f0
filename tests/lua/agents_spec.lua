-- agents_spec.lua -- the LLM agents (mle, aide) and the toolchain on Lua 5.4 and LuaJIT, with
-- a scripted model client (no network): reading actions out of replies, repairs, failures,
-- token accounting, tool calls, script tools, AIDE's journal, and the training-data exports.
-- tests/llm/ runs the same agents against fake HTTP servers through `dojo run`.
local dojo = require "dojo"
local core = dojo.core
local json = dojo.json
local common = require "dojo.agents.common"
local tools = require "dojo.tools"
local history = require "dojo.history"

local tmpdir = require("support").tmpdir

local ROOT = tmpdir()

-- A scripted client: each chat() answers with the next reply (a string, a table, or
-- {error = msg}); the messages it was sent are kept.
local function scripted(replies)
  local c = { sent = {}, opts = {} }
  function c:chat(messages, opts)
    local copy = {}
    for i, m in ipairs(messages) do copy[i] = m end -- as sent (a real client serializes at once)
    self.sent[#self.sent + 1] = copy
    self.opts[#self.opts + 1] = opts
    local r = table.remove(replies, 1)
    if r == nil then return nil, "script exhausted", "error" end
    if type(r) == "string" then r = { content = r } end
    if r.error then return nil, r.error, r.kind or "server" end
    r.usage = r.usage or { input_tokens = 100, output_tokens = 10 }
    r.cost = r.cost or 0.001
    r.latency_s = 0.01
    return r
  end
  return c
end

local function episode(agent, replies, opts)
  opts = opts or {}
  local client = opts.client or scripted(replies)
  local out = tmpdir() .. "/run"
  local aopts = { client = client, tools = opts.tools, tool_calls = opts.tool_calls, context_tokens = opts.context_tokens }
  local res, err = dojo.run.episode("titanic", { agent = agent, seed = 1, agent_options = aopts,
    env = { data_root = ROOT, output_dir = out, max_steps = opts.steps or 4 } })
  assert(res, err)
  local steps = assert(history.read(out .. "/trajectory.jsonl"))
  local summary = json.decode(assert(core.file_read(out .. "/summary.json")))
  return res, steps, summary, client, out
end

local function of_kind(steps, kind)
  local out = {}
  for _, s in ipairs(steps) do if s.kind == kind then out[#out + 1] = s end end
  return out
end

local SOLUTION = "import pandas as pd\ns = pd.read_csv('data/sample_submission.csv')\n" ..
                 "t = pd.read_csv('data/test.csv')\ns['Survived'] = (t['Sex'] == 'female').astype(int)\n" ..
                 "s.to_csv('submission.csv', index=False)\nprint('women survive')\n"

describe("reading an action out of a reply", function()
  local chain = tools.default()
  local cases = {
    { "alone", '{"action": "request_info", "params": {"info_type": "all"}}', "request_info" },
    { "in prose", 'I will look at the data first.\n{"action":"request_info","params":{"info_type":"overview"}}\nThen model.',
      "request_info" },
    { "in a json fence", 'Plan:\n```json\n{"action": "get_history", "params": {}}\n```\n', "get_history" },
    { "with raw newlines in the code string", '{"action": "execute_code", "params": {"code": "x = {1: 2}\nprint(x)"}}',
      "execute_code", "x = {1: 2}\nprint(x)" },
    { "with the code in a python block", '{"action": "validate_code"}\n```python\nprint("hi {")\n```', "validate_code",
      'print("hi {")' },
    { "with params named arguments", '{"action": "request_info", "arguments": {"info_type": "name"}}', "request_info" },
    { "with braces in strings before it", 'Use {"a": "}"} style?\n{"action": "get_history", "params": {}}', "get_history" },
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      local action, args = common.parse_action(c[2], chain)
      assert.are.equal(c[3], action, tostring(args))
      if c[4] then assert.are.equal(c[4], args.code) end
    end)
  end

  local bad = {
    { "no JSON at all", "I think we should train a model.", 'no JSON object with an "action"' },
    { "an empty reply", "  \n", "the reply was empty" },
    { "an unknown action", '{"action": "train_model", "params": {}}', "unknown action 'train_model'" },
    { "a wrong parameter", '{"action": "request_info", "params": {"kind": "all"}}', "has no parameter 'kind'" },
    { "a value outside the enum", '{"action": "request_info", "params": {"info_type": "everything"}}', "must be one of" },
    { "a missing parameter", '{"action": "execute_code", "params": {}}', "needs the parameter code" },
    { "a truncated object", '{"action": "execute_code", "params": {"code": "print(1)', 'no JSON object with an "action"' },
  }
  for _, c in ipairs(bad) do
    it("names the problem: " .. c[1], function()
      local action, problem = common.parse_action(c[2], chain)
      assert.is_nil(action)
      assert.matches(c[3], problem, 1, true)
    end)
  end

  it("takes the last python block as the code", function()
    assert.are.equal("b = 2", common.extract_code("```python\na = 1\n```\ntext\n```python\nb = 2\n```"))
    assert.are.equal("c = 3", common.extract_code("```\nc = 3\n```"))
    assert.is_nil(common.extract_code("no code here"))
  end)
end)

describe("fitting a conversation into a token budget", function()
  it("keeps the head and the newest turns, and says how many were left out", function()
    local head = { { role = "system", content = "s" }, { role = "user", content = "task" } }
    local turns = {}
    for i = 1, 10 do
      turns[i] = { { role = "assistant", content = string.rep("a", 400) }, { role = "user", content = "r" .. i } }
    end
    local msgs, dropped = common.fit(head, turns, 500)
    assert.is_true(dropped > 0 and dropped < 10)
    assert.are.equal("system", msgs[1].role)
    assert.matches(dropped .. " earlier turns are left out", msgs[2].content, 1, true)
    assert.are.equal("r10", msgs[#msgs].content)
    assert.are.equal("assistant", msgs[3].role)
    local all = common.fit(head, turns, 1e9)
    assert.are.equal(22, #all)
    -- the newest turn is kept even when it alone is over the budget
    local one = common.fit(head, { { { role = "assistant", content = string.rep("x", 10000) } } }, 10)
    assert.are.equal(3, #one)
  end)
end)

describe("toolchains", function()
  it("offer the env's actions with JSON schemas by default", function()
    local chain = tools.default()
    assert.are.same({ "request_info", "validate_code", "execute_code", "get_history", "reset" }, chain:names())
    local ri = chain:get("request_info").parameters
    assert.are.equal("object", ri.type)
    assert.are.equal("string", ri.properties.info_type.type)
    assert.are.same({ "info_type" }, ri.required)
    assert.matches("execute_code", chain:describe(), 1, true)
    assert.are.equal(5, #chain:specs())
  end)

  it("load a user's tools from a file, as a list or as a function", function()
    local dir = tmpdir()
    assert(core.file_write(dir .. "/list.lua", [[
      return { { name = "shout", description = "upper-cases a word",
                 parameters = { type = "object", properties = { word = { type = "string" } }, required = { "word" } },
                 handler = function(args) return args.word:upper() end } }]]))
    local chain = assert(tools.load(dir .. "/list.lua"))
    assert.are.equal(6, #chain)
    assert.are.equal("shout", chain[6].name)
    assert(core.file_write(dir .. "/fn.lua", [[
      return function(chain)
        local out = {}
        for _, t in ipairs(chain) do if t.name ~= "reset" then out[#out + 1] = t end end
        return out
      end]]))
    chain = assert(tools.load(dir .. "/fn.lua"))
    assert.are.equal(4, #chain)
    assert.is_nil(chain:get("reset"))
  end)

  it("refuse a bad tools file with the file and the problem named", function()
    local dir = tmpdir()
    local cases = {
      { "return 42", "must return a list of tools" },
      { "return { { name = 'x y', description = 'd', handler = print } }", "a name of letters" },
      { "return { { name = 'x', handler = print } }", "tool x: needs a description" },
      { "return { { name = 'x', description = 'd' } }", "needs a handler" },
      { "return { { name = 'x', description = 'd', handler = print, parameters = { type = 'array' } } }",
        'of type "object"' },
      { "return { { name = 'x', description = 'd', handler = print, parameters = { type = 'object', " ..
        "properties = { n = { type = 'float' } } } } }", "parameter n needs a type" },
      { "return { { name = 'x', description = 'd', handler = print }, { name = 'x', description = 'e', handler = print } }",
        "two tools are named x" },
      { "error('boom')", "failed: " },
      { "return {", "cannot load the tools file" },
    }
    for i, c in ipairs(cases) do
      local path = dir .. "/bad" .. i .. ".lua"
      assert(core.file_write(path, c[1]))
      local chain, err = tools.load(path)
      assert.is_nil(chain, c[1])
      assert.matches(c[2], err, 1, true)
      assert.matches(path, err, 1, true)
    end
    local chain, err = tools.load(dir .. "/missing.lua")
    assert.is_nil(chain)
    assert.matches("cannot load the tools file", err, 1, true)
  end)
end)

describe("the mle agent", function()
  it("plays an episode: prose, a fence, a repaired reply, with tokens and cost accounted", function()
    local res, steps, summary, client = episode("mle", {
      'Let me read the task.\n{"action": "request_info", "params": {"info_type": "all"}}',
      "I will now train a model.",                                   -- no action: sent back for repair
      '```json\n{"action": "execute_code", "params": {"code": ' .. json.encode(SOLUTION) .. '}}\n```',
      '{"action": "get_history", "params": {}}',
    }, { steps = 3 })
    local recs = of_kind(steps, "step")
    assert.are.equal(3, #recs)
    assert.are.same({ "request_info", "execute_code", "get_history" }, { recs[1].action, recs[2].action, recs[3].action })
    assert.is_number(recs[2].public_score)
    assert.are.equal(2, recs[2].agent.calls)                           -- the repair took a second call
    assert.are.equal("I will now train a model.", recs[2].agent.rejected[1].reply)
    assert.are.equal(200, recs[2].agent.usage.input_tokens)
    assert.matches("execute_code", recs[2].agent.reply, 1, true)
    -- the repair request named the problem
    local third = client.sent[3]
    assert.matches("could not be used", third[#third].content, 1, true)
    -- every prompt carries the budget; the model sees the previous feedback
    assert.matches("Steps used 1 of 3", client.sent[2][#client.sent[2]].content, 1, true)
    assert.matches("Submission graded", client.sent[4][#client.sent[4]].content, 1, true)
    assert.are.equal(4, summary.agent.calls)
    assert.are.equal(400, summary.agent.input_tokens)
    assert.are.equal(40, summary.agent.output_tokens)
    assert.is_true(math.abs(summary.agent.cost - 0.004) < 1e-12)
    assert.are.equal(1, summary.agent.repairs)
    assert.are.equal(res.final.public_score, recs[2].public_score)
    local start = of_kind(steps, "agent")[1]
    assert.are.equal("start", start.event)
    assert.matches("machine-learning engineer", start.system, 1, true)
  end)

  it("counts a turn as failed after three repairs and stops after three failed turns, without crashing", function()
    local replies = {}
    for i = 1, 12 do replies[i] = "no action here " .. i end
    local res, steps, summary = episode("mle", replies, { steps = 5 })
    assert.are.equal(0, #of_kind(steps, "step"))
    assert.are.equal(3, summary.agent.failures)
    assert.are.equal(12, summary.agent.calls)
    assert.are.equal(9, summary.agent.repairs)
    assert.matches("3 failed turns", summary.agent.stopped, 1, true)
    assert.are.equal(false, res.final.submitted)
    local failed = {}
    for _, s in ipairs(of_kind(steps, "agent")) do if s.event == "failed_turn" then failed[#failed + 1] = s end end
    assert.are.equal(3, #failed)
    assert.are.equal(4, #failed[1].rejected)
  end)

  it("survives model errors: they count as failed turns", function()
    local _, steps, summary = episode("mle", {
      { error = "the server answered 500 five times" },
      '{"action": "request_info", "params": {"info_type": "name"}}',
      { error = "timeout" }, { error = "timeout" }, { error = "timeout" },
    }, { steps = 5 })
    assert.are.equal(1, #of_kind(steps, "step"))
    assert.are.equal(4, summary.agent.model_errors)
    assert.matches("3 failed turns", summary.agent.stopped, 1, true)
  end)

  it("stops at once on a rejected key or an unknown model, saying why", function()
    for _, agent in ipairs { "mle", "aide" } do
      local _, steps, summary = episode(agent, {
        { error = "the API key was rejected by 127.0.0.1 (401): set OPENAI_API_KEY", kind = "auth" },
        '{"action": "get_history", "params": {}}',
      }, { steps = 4 })
      assert.are.equal(1, summary.agent.calls, agent)
      assert.matches("API key was rejected", summary.agent.fatal, 1, true)
      assert.are.equal(summary.agent.fatal, summary.agent.stopped)
      assert.are.equal(agent == "aide" and 1 or 0, #of_kind(steps, "step"))
    end
  end)

  it("calls tools in tool-calling mode, repairing bad arguments through a tool result", function()
    local _, steps, summary, client = episode("mle", {
      { content = "", tool_calls = { { id = "c1", name = "request_info", arguments = { info_type = "name" },
                                       arguments_text = '{"info_type":"name"}' } } },
      { content = "", tool_calls = { { id = "c2", name = "execute_code", arguments_text = "{not json",
                                       error = "invalid JSON" } } },
      { content = "", tool_calls = { { id = "c3", name = "execute_code", arguments = { code = SOLUTION },
                                       arguments_text = json.encode({ code = SOLUTION }) } } },
    }, { steps = 2, tool_calls = true })
    local recs = of_kind(steps, "step")
    assert.are.equal(2, #recs)
    assert.are.equal("c3", recs[2].agent.tool_call.id)
    assert.is_number(recs[2].public_score)
    assert.are.equal(5, #client.opts[1].tools)
    -- the second request answered c1 with a tool message; the third repaired c2 with one
    local m2 = client.sent[2]
    assert.are.equal("tool", m2[#m2].role)
    assert.are.equal("c1", m2[#m2].tool_call_id)
    local m3 = client.sent[3]
    assert.are.equal("c2", m3[#m3].tool_call_id)
    assert.matches("not a JSON object", m3[#m3].content, 1, true)
    assert.are.equal("tool_calls", summary.agent.protocol)
    -- exported for fine-tuning with the tool calls and their results
    local chat = history.to_chat(history.episodes(steps)[1])
    local m = chat[1].messages
    assert.are.equal("system", m[1].role)
    assert.are.equal("request_info", m[3].tool_calls[1]["function"].name)
    assert.are.equal("tool", m[4].role)
    assert.are.equal("execute_code", chat[1].tools[3]["function"].name)
    assert.are.equal("object", chat[1].tools[3]["function"].parameters.type)
  end)

  it("offers a script tool, runs it as an env step and shows its answer to the model", function()
    local dir = tmpdir()
    assert(core.file_write(dir .. "/tools.lua", [[
      return { { name = "count_rows", description = "counts the rows of a data file",
                 parameters = { type = "object", properties = { file = { type = "string" } }, required = { "file" } },
                 handler = function(args, ctx)
                   local n = -1
                   for _ in io.lines(ctx.data_dir .. "/" .. args.file) do n = n + 1 end
                   return string.format("%s has %d rows", args.file, n)
                 end },
               { name = "boom", description = "always fails", handler = function() error("kaput") end } }]]))
    local chain = assert(tools.load(dir .. "/tools.lua"))
    local _, steps, _, client = episode("mle", {
      '{"action": "count_rows", "params": {"file": "train.csv"}}',
      '{"action": "boom", "params": {}}',
      '{"action": "get_history", "params": {}}',
    }, { steps = 3, tools = chain })
    local recs = of_kind(steps, "step")
    assert.are.equal("count_rows", recs[1].action)
    assert.matches("train.csv has 891 rows", recs[1].feedback, 1, true)
    assert.are.equal("FAILED", recs[2].status)
    assert.matches("boom failed: .*kaput", recs[2].error)
    assert.matches("count_rows", client.sent[1][1].content, 1, true) -- the system prompt lists it
    dojo.actions.unregister("count_rows")
    dojo.actions.unregister("boom")
  end)
end)

describe("the README's tools example", function()
  local here = debug.getinfo(1, "S").source:match("^@(.*)/tests/lua/[^/]+$") or "."
  local file = here .. "/examples/tools/data_tools.lua"

  it("is the file README shows", function()
    local readme = assert(core.file_read(here .. "/README.md"))
    local text = assert(core.file_read(file))
    local indented = ("\n" .. text:gsub("\n$", "")):gsub("\n([^\n])", "\n    %1")
    assert.is_truthy(readme:find(indented, 1, true), "README's copy of examples/tools/data_tools.lua differs")
  end)

  it("runs in an episode: list_files and inspect_csv answer the model, a bad path gets a sentence", function()
    local chain = assert(tools.load(file))
    local _, steps = episode("mle", {
      '{"action": "list_files", "params": {}}',
      '{"action": "inspect_csv", "params": {"file": "train.csv", "values": 2}}',
      '{"action": "inspect_csv", "params": {"file": "../private/test_answer.csv"}}',
    }, { steps = 3, tools = chain })
    local recs = of_kind(steps, "step")
    assert.matches("train.csv  %d+", recs[1].feedback)
    assert.matches("train.csv: 891 rows, 12 columns", recs[2].feedback, 1, true)
    assert.matches("- Sex (string): 0 missing; male, female", recs[2].feedback, 1, true)
    assert.are.equal("FAILED", recs[3].status)
    assert.matches("give a file name in ./data", recs[3].feedback, 1, true)
    dojo.actions.unregister("list_files")
    dojo.actions.unregister("inspect_csv")
  end)
end)

describe("the aide agent", function()
  local function reply(plan, code) return plan .. "\n\n```python\n" .. code .. "\n```" end
  local BUGGY = "import pandas as pd\nraise SystemExit('feature engineering failed')\n"
  local CONSTANT = "import pandas as pd\ns = pd.read_csv('data/sample_submission.csv')\ns['Survived'] = 0\n" ..
                   "s.to_csv('submission.csv', index=False)\n"

  it("drafts, debugs and improves, choosing the best node by the env's score, and saves the journal", function()
    local _, steps, summary, client, out = episode("aide", {
      reply("Draft one: everyone dies.", CONSTANT),
      "I am not sure what to do.",                       -- no program: repaired
      reply("Draft two: engineered features.", BUGGY),
      reply("Draft three: women survive.", SOLUTION),
      reply("Fix or improve.", SOLUTION),
    }, { steps = 5 })
    local recs = of_kind(steps, "step")
    assert.are.equal("request_info", recs[1].action)
    assert.are.equal(5, #recs)
    local journal = json.decode(assert(core.file_read(out .. "/aide_journal.json")))
    assert.are.equal(4, #journal.nodes)
    local n = journal.nodes
    assert.are.same({ "draft", "draft", "draft" }, { n[1].stage, n[2].stage, n[3].stage })
    assert.is_false(n[1].buggy)
    assert.is_true(n[2].buggy)
    assert.is_false(n[3].buggy)
    assert.is_true(n[3].public_score > n[1].public_score)
    assert.is_truthy(n[4].stage == "debug" and n[4].parent == 2 or n[4].stage == "improve" and n[4].parent == 3)
    assert.are.equal(3, journal.best)  -- a tie does not displace the first best
    assert.matches("Draft one: everyone dies.", n[1].plan, 1, true)
    assert.are.equal(1, summary.agent.repairs)
    assert.are.equal(4, summary.agent.nodes)
    -- the third draft's prompt listed the earlier drafts' plans
    assert.matches("Draft two: engineered features.", client.sent[4][2].content, 1, true)
    -- a step's record keeps the prompt; the export gives one chat record per node
    local chat = history.to_chat(history.episodes(steps)[1])
    assert.are.equal(4, #chat)
    assert.are.equal("system", chat[1].messages[1].role)
    assert.matches("```python", chat[1].messages[3].content, 1, true)
  end)
end)

describe("the agents over HTTP", function()
  -- the whole stack on this interpreter: agent, provider client, dojo.http, a fake server
  local fake = require "fake_llm"
  for _, provider in ipairs { "openai", "anthropic", "gemini" } do
    it("play titanic against a fake " .. provider .. " server (mle, then aide)", function()
      local act = '{"action": "execute_code", "params": {"code": ' .. json.encode(SOLUTION) .. '}}'
      local srv = fake.start {
        { content = act, usage = { input_tokens = 30, output_tokens = 7 }, expect_key = "k-123" },
        { content = "Women first.\n\n```python\n" .. SOLUTION .. "```", usage = { input_tokens = 40, output_tokens = 9 } },
      }
      local cfg = assert(dojo.llm.config({ provider = provider, model = "test-model", base_url = srv.url,
                                           api_key = "k-123", retries = 0 }, function() return nil end))
      local ok, err = pcall(function()
        local res, steps, summary = episode("mle", {}, { steps = 1, client = assert(dojo.llm.client(cfg)) })
        local rec = of_kind(steps, "step")[1]
        assert.are.equal("execute_code", rec.action)
        assert.is_number(rec.public_score)
        assert.are.same({ input_tokens = 30, output_tokens = 7 }, rec.agent.usage)
        assert.are.equal(1, summary.agent.calls)
        assert.are.equal(rec.public_score, res.final.public_score)
        local _, steps2, summary2 = episode("aide", {}, { steps = 2, client = assert(dojo.llm.client(cfg)) })
        local node = of_kind(steps2, "step")[2]
        assert.is_number(node.public_score)
        assert.are.equal(40, summary2.agent.input_tokens)
        local log = srv.log()
        assert.are.equal(2, #log)
        assert.is_true(log[1].key_ok)
      end)
      srv:stop()
      assert(ok, err)
    end)
  end
end)

