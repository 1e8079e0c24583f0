-- dojo: a Gym-style environment in which LLM agents do machine-learning engineering.
--
--   package.path  = "lua/?.lua;lua/?/init.lua;" .. package.path
--   package.cpath = "build/lib/?.so;" .. package.cpath   -- Lua 5.4 (LuaJIT finds libdojo too)
--   local dojo = require "dojo"
--
-- The same API on Lua 5.4 (C module) and LuaJIT (FFI); dojo.core.binding says which.
local core = require "dojo.core"

local dojo = {
  core = core,
  table = require "dojo.table",
  json = require "dojo.json",
  metrics = require "dojo.metrics",
  grade = require "dojo.grade",
  sandbox = require "dojo.sandbox",
  regex = require "dojo.regex",
}

local competition = require "dojo.competition"
dojo.competition = competition.define       -- competition.lua files: return dojo.competition{...}
dojo.load_competition = competition.load    -- (name [, {competitions = DIR}]) -> def | nil, msg

dojo.VERSION = core.version()

-- What runs here: versions, the binding and what the kernel detected on this machine.
function dojo.version_info()
  local p = core.probe()
  return {
    version = dojo.VERSION,
    lua = jit and jit.version or _VERSION,
    binding = core.binding,
    landlock_abi = p.landlock_abi,
    seccomp_filter = p.seccomp_filter,
    user_namespaces = p.user_namespaces,
    cgroup_mode = p.cgroup_mode,
    cgroup_note = p.cgroup_note,
    is_root = p.is_root,
    ncpu = p.ncpu,
    kernel = p.kernel,
  }
end

-- dojo.make(name, opts) -> env | nil, message (see dojo.env).
function dojo.make(name, opts)
  return require("dojo.env").make(name, opts)
end

-- The framework's registries and pieces, loaded on first use.
local LAZY = { actions = "dojo.actions", feedback = "dojo.feedback", agents = "dojo.agents", history = "dojo.history",
               prepare = "dojo.prepare", run = "dojo.run", env = "dojo.env", rng = "dojo.rng",
               llm = "dojo.llm", tools = "dojo.tools", http = "dojo.http" }
setmetatable(dojo, { __index = function(t, k)
  local mod = LAZY[k]
  if not mod then return nil end
  local v = require(mod)
  rawset(t, k, v)
  return v
end })

return dojo
