-- dojo.actions: what an agent can do in an env. Each action is a table
--
--   { name = "execute_code", description = "...", params = { code = "string" },
--     required = { "code" }, run = function(env, args) -> result }
--
-- where result is a table with status = "SUCCESS" | "FAILED" and the action's own fields
-- (text, exec, submission, error, ...); the env numbers it, rewards it, turns it into
-- feedback and records it. Built in: request_info, validate_code, execute_code,
-- get_history, reset. A script adds its own with dojo.actions.register{...}; it is then
-- offered to agents like the built-in ones.
local M = {}

local registry = {}
local BUILTIN = { "request_info", "validate_code", "execute_code", "get_history", "reset" }
local is_builtin = {}
for _, n in ipairs(BUILTIN) do is_builtin[n] = true end

local PARAM_TYPES = { string = true, number = true, boolean = true, table = true }

local function check_def(def, level)
  if type(def) ~= "table" then error("an action is a table {name =, description =, params =, run =}", level) end
  if type(def.name) ~= "string" or not def.name:match("^[%a_][%w_]*$") then
    error("an action needs a name of letters, digits and '_'", level)
  end
  if type(def.run) ~= "function" then error("action " .. def.name .. " needs a run(env, args) function", level) end
  if def.params ~= nil and type(def.params) ~= "table" then error("action " .. def.name .. ": params must be a table", level) end
  for k, t in pairs(def.params or {}) do
    if type(k) ~= "string" or not PARAM_TYPES[t] then
      error(string.format("action %s: parameter %s must have a type string, number, boolean or table", def.name, tostring(k)), level)
    end
  end
  def.description = def.description or ""
  def.params = def.params or {}
  def.required = def.required or {}
  return def
end

-- register(def): adds (or replaces) an action.
function M.register(def)
  check_def(def, 3)
  registry[def.name] = def
  return def
end

function M.unregister(name) registry[name] = nil end

-- get(name) -> action | nil, message
function M.get(name)
  if type(name) ~= "string" then return nil, "the action must be a name (a string)" end
  local a = registry[name]
  if not a and is_builtin[name] then
    a = check_def(require("dojo.actions." .. name), 2)
    registry[name] = a
  end
  if a then return a end
  return nil, string.format("unknown action '%s' (known: %s)", name, table.concat(M.list(), ", "))
end

-- The action names: the built-in ones first, then the registered ones, sorted.
function M.list()
  local names, extra = {}, {}
  for _, n in ipairs(BUILTIN) do names[#names + 1] = n end
  for n in pairs(registry) do if not is_builtin[n] then extra[#extra + 1] = n end end
  table.sort(extra)
  for _, n in ipairs(extra) do names[#names + 1] = n end
  return names
end

-- check_args(action, args) -> args | nil, message: types and required parameters; unknown
-- parameters are refused so that a typo is not silently ignored.
function M.check_args(a, args)
  if args == nil then args = {} end
  if type(args) ~= "table" then return nil, string.format("%s takes an object of parameters", a.name) end
  for k, v in pairs(args) do
    local want = a.params[k]
    if not want then
      local known = {}
      for n in pairs(a.params) do known[#known + 1] = n end
      table.sort(known)
      return nil, string.format("%s has no parameter '%s' (parameters: %s)", a.name, tostring(k),
                                #known > 0 and table.concat(known, ", ") or "none")
    end
    if type(v) ~= want then
      return nil, string.format("%s: parameter %s must be a %s, not a %s", a.name, k, want, type(v))
    end
  end
  for _, k in ipairs(a.required) do
    if args[k] == nil then return nil, string.format("%s needs the parameter %s", a.name, k) end
  end
  return args
end

return M
