-- dojo.agents: scaffolds that drive an env. An agent is a module with
--
--   new(opts) -> agent, where agent:act(obs, info) -> action, args   (nil: the agent stops)
--
--   and optionally agent:finish(obs, info) (the episode ended) and agent:summary() (a table
--   kept in summary.json: model calls, tokens, cost, ...). act may return a third value, a
--   note kept with the step's record (the model's reply, tokens, cost).
--
-- Built in: baseline (scripted, no LLM), mle (an LLM, one action per reply) and aide (an
-- LLM tree search over programs). Scripts register their own with
-- dojo.agents.register(name, module); a module with uses_llm = true gets the model's
-- configuration (opts.llm) and the toolchain (opts.tools) from `dojo run`.
local M = {}

local registry = {}
local BUILTIN = { baseline = true, mle = true, aide = true }

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

-- Whether the agent talks to a model (and so takes the LLM options).
function M.uses_llm(name)
  local mod = M.get(name)
  return mod ~= nil and mod.uses_llm == true
end

return M
