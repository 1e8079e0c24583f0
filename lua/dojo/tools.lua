-- dojo.tools: the toolchain an agent is offered.
--
-- A tool is a table
--
--   { name = "inspect_csv",
--     description = "What the model reads about it.",
--     parameters = { type = "object", properties = { file = { type = "string" } }, required = { "file" } },
--     handler = function(args, ctx) return "text for the model" end }
--
-- where parameters is a JSON schema of the arguments (an object) and handler(args, ctx)
-- returns a string (or a table {status =, text =, error =}); ctx has data_dir and work_dir
-- (absolute paths of the episode's copy of the public data and its working directory),
-- competition, env, and path(rel), which resolves a relative path inside the working
-- directory and refuses absolute paths and ".." (what it names may still be a link the
-- agent's code planted: read it untrusted, e.g. dojo.table.read(path, {untrusted = true})).
-- A handler's error is reported to the model
-- as the step's error; it never ends the episode.
--
-- A toolchain is a list of tools. The default one is the env's actions (request_info,
-- validate_code, execute_code, get_history, reset and any registered action). Script tools
-- become env actions when the chain is installed: each call is an env step, so it is
-- counted against the step budget, shown through the feedback policy and recorded in the
-- trajectory like any other action.
--
--   local tools = require "dojo.tools"
--   local chain = tools.default()
--   chain = tools.load("my_tools.lua", chain)   -- the file returns a list of tools, or
--                                                -- function(chain) -> chain
--   tools.install(chain)                        -- before dojo.make
--   chain:specs()                               -- {name, description, parameters} for tool calling
--   chain:describe()                            -- the tools as text, for a prompt
local actions = require "dojo.actions"
local json = require "dojo.json"

local M = {}

local Chain = {}
Chain.__index = Chain

-- What the built-in actions' parameters mean (the schema's descriptions and enums).
local PARAM_DOC = {
  code = { description = "a complete Python 3 program" },
  info_type = { description = "what to return",
                enum = { "overview", "sample_submission", "data_structure", "data_path", "output_path", "name",
                         "metadata", "all" } },
}

local SCHEMA_TYPE = { string = "string", number = "number", boolean = "boolean", table = "object" }
local ACTION_TYPE = { string = "string", number = "number", integer = "number", boolean = "boolean", object = "table",
                      array = "table" }

-- The JSON schema of an action's parameters.
function M.action_schema(a)
  local props, names = {}, {}
  for k in pairs(a.params) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local p = { type = SCHEMA_TYPE[a.params[k]] }
    local doc = PARAM_DOC[k]
    if doc then p.description, p.enum = doc.description, doc.enum and json.array(doc.enum) end
    props[k] = p
  end
  return { type = "object", properties = json.object(props), required = json.array(a.required or {}) }
end

local function chain_of(list) return setmetatable(list, Chain) end

-- The env's actions as tools.
function M.default()
  local list = {}
  for _, n in ipairs(actions.list()) do
    local a = assert(actions.get(n))
    list[#list + 1] = { name = n, description = a.description, parameters = M.action_schema(a), action = n }
  end
  return chain_of(list)
end

local function check_tool(t, where)
  local function bad(msg) error(where .. ": " .. msg, 0) end
  if type(t) ~= "table" then bad("a tool is a table {name =, description =, parameters =, handler =}") end
  if type(t.name) ~= "string" or not t.name:match("^[%a_][%w_]*$") or #t.name > 64 then
    bad("a tool needs a name of letters, digits and '_' (at most 64 characters)")
  end
  where = where .. ": tool " .. t.name
  if type(t.description) ~= "string" or t.description == "" then bad("needs a description (a string)") end
  if t.action == nil and type(t.handler) ~= "function" then bad("needs a handler(args, ctx) function") end
  local p = t.parameters
  if p == nil then
    t.parameters = { type = "object", properties = json.object({}), required = json.array({}) }
  elseif type(p) ~= "table" or p.type ~= "object" then
    bad("parameters must be a JSON schema of type \"object\"")
  else
    if p.properties ~= nil and type(p.properties) ~= "table" then bad("parameters.properties must be a table") end
    for k, s in pairs(p.properties or {}) do
      if type(k) ~= "string" or type(s) ~= "table" or not ACTION_TYPE[s.type] then
        bad(string.format("parameter %s needs a type (string, number, integer, boolean, object or array)", tostring(k)))
      end
    end
    for _, k in ipairs(p.required or {}) do
      if not (p.properties or {})[k] then bad(string.format("required parameter %s is not among its properties", tostring(k))) end
    end
  end
  return t
end

-- new(list) -> chain: checks each tool; a duplicate name is an error.
function M.new(list, where)
  where = where or "toolchain"
  if type(list) ~= "table" then error(where .. ": a toolchain is a list of tools", 0) end
  local seen = {}
  for i, t in ipairs(list) do
    check_tool(t, where .. string.format(" (tool %d)", i))
    if seen[t.name] then error(string.format("%s: two tools are named %s", where, t.name), 0) end
    seen[t.name] = true
  end
  return chain_of(list)
end

-- load(path [, chain]) -> chain | nil, message. The file returns a list of tools (added to
-- chain, replacing tools of the same name) or a function(chain) -> chain.
function M.load(path, chain)
  chain = chain or M.default()
  local fn, err = loadfile(path)
  if not fn then return nil, string.format("cannot load the tools file %s: %s", path, err) end
  local ok, res = pcall(fn)
  if not ok then return nil, string.format("the tools file %s failed: %s", path, tostring(res)) end
  local list
  if type(res) == "function" then
    local copy = {}
    for i, t in ipairs(chain) do copy[i] = t end
    ok, list = pcall(res, chain_of(copy))
    if not ok then return nil, string.format("the tools file %s failed: %s", path, tostring(list)) end
  elseif type(res) == "table" then
    list = {}
    local index = {}
    for _, t in ipairs(chain) do list[#list + 1] = t index[t.name] = #list end
    for _, t in ipairs(res) do
      if type(t) == "table" and index[t.name] then list[index[t.name]] = t
      else list[#list + 1] = t end
    end
  else
    return nil, string.format("the tools file %s must return a list of tools or a function(chain) -> chain", path)
  end
  ok, res = pcall(M.new, list, path)
  if not ok then return nil, res end
  return res
end

-- A tool's parameters as an action declares them: { name = type }, { required names }.
local function action_params(t)
  local params, required = {}, {}
  for k, s in pairs(t.parameters.properties or {}) do params[k] = ACTION_TYPE[s.type] end
  for i, k in ipairs(t.parameters.required or {}) do required[i] = k end
  return params, required
end

-- The handler's view of the episode.
local function context(env)
  local work = env.paths.work
  return {
    env = env, competition = env.name, data_dir = env.paths.data, work_dir = work,
    path = function(rel)
      if type(rel) ~= "string" or rel == "" then error("a path must be a non-empty string", 2) end
      if rel:sub(1, 1) == "/" then error("absolute paths are not allowed: " .. rel, 2) end
      for part in rel:gmatch("[^/]+") do
        if part == ".." then error("paths may not leave the working directory: " .. rel, 2) end
      end
      return work .. "/" .. rel:gsub("^%./", "")
    end,
  }
end

-- install(chain): script tools become env actions (see the header).
function M.install(chain)
  for _, t in ipairs(chain) do
    if t.handler then
      local params, required = action_params(t)
      local handler = t.handler
      actions.register({
        name = t.name, description = t.description, params = params, required = required, tool = true,
        run = function(env, args)
          local ok, res = pcall(handler, args, context(env))
          if not ok then return { status = "FAILED", error = t.name .. " failed: " .. tostring(res) } end
          if type(res) == "string" then return { status = "SUCCESS", text = res } end
          if type(res) == "table" then
            res.status = res.status or (res.error and "FAILED" or "SUCCESS")
            return res
          end
          if res == nil then return { status = "SUCCESS", text = "" } end
          return { status = "SUCCESS", text = tostring(res) }
        end,
      })
    end
  end
  return chain
end

function Chain:get(name)
  for _, t in ipairs(self) do if t.name == name then return t end end
  return nil
end

function Chain:names()
  local n = {}
  for i, t in ipairs(self) do n[i] = t.name end
  return n
end

-- {name, description, parameters} for providers' tool calling.
function Chain:specs()
  local out = {}
  for i, t in ipairs(self) do out[i] = { name = t.name, description = t.description, parameters = t.parameters } end
  return out
end

-- The tools as text for a prompt: name, description, and the arguments' schema.
function Chain:describe()
  local lines = {}
  for _, t in ipairs(self) do
    lines[#lines + 1] = string.format("- %s: %s\n  params: %s", t.name, t.description,
                                      assert(json.encode(t.parameters.properties or json.object({}))))
  end
  return table.concat(lines, "\n")
end

-- check_args(name, args) -> args | nil, message: the tool exists and the arguments fit its
-- schema (the env's check of types and required parameters, then enums), so that a
-- malformed call is repaired, not run.
function Chain:check_args(name, args)
  local t = self:get(name)
  if not t then
    return nil, string.format("unknown action '%s' (the actions are: %s)", tostring(name), table.concat(self:names(), ", "))
  end
  if args == json.null then args = nil end
  local params, required = action_params(t)
  local ok, err = actions.check_args({ name = name, params = params, required = required }, args)
  if not ok then return nil, err end
  args = ok
  for k, v in pairs(args) do
    local enum = t.parameters.properties[k].enum
    if enum then
      local found = false
      for _, e in ipairs(enum) do if e == v then found = true end end
      if not found then return nil, string.format("%s: parameter %s must be one of %s", name, k, table.concat(enum, ", ")) end
    end
  end
  return args
end

return M
