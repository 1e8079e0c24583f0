-- dojo.agents: scaffolds that drive an env. An agent is a module with
--
--   new(opts) -> agent, where agent:act(obs, info) -> action, args   (nil: the agent stops)
--
-- Built in: baseline (scripted, no LLM). Scripts register their own with
-- dojo.agents.register(name, module).
local M = {}

local registry = {}
local BUILTIN = { baseline = true }

function M.register(name, mod)
  if type(name) ~= "string" or not name:match("^[%w_%-]+$") then error("an agent needs a name of letters, digits, '_' and '-'", 2) end
  if type(mod) ~= "table" or type(mod.new) ~= "function" then error("an agent is a table with new(opts)", 2) end
  registry[name] = mod
end

function M.get(name)
  name = name or "baseline"
  if registry[name] then return registry[name] end
  if BUILTIN[name] then
    registry[name] = require("dojo.agents." .. name)
    return registry[name]
  end
  local known = {}
  for n in pairs(BUILTIN) do known[#known + 1] = n end
  for n in pairs(registry) do if not BUILTIN[n] then known[#known + 1] = n end end
  table.sort(known)
  return nil, string.format("no agent '%s' (known: %s)", tostring(name), table.concat(known, ", "))
end

return M
