-- dojo.core: the kernel binding that fits the running interpreter.
--
-- LuaJIT: the FFI binding (dojo.core_ffi) over libdojo.so. Lua 5.4: the C module
-- build/lib/dojo/core.so (or an installed lib/lua/5.4/dojo/core.so), loaded by path so
-- that this file, found first on package.path, stays the one entry point. Inside a C host
-- (libdojo's embedded runtime) package.preload provides dojo.core and this file is not used.
if jit then return require "dojo.core_ffi" end

local function here()
  local src = debug.getinfo(1, "S").source
  return (src:sub(1, 1) == "@") and src:sub(2):match("^(.*)/[^/]*$") or "."
end

local candidates = {}
local found = package.searchpath("dojo.core", package.cpath)
if found then candidates[#candidates + 1] = found end
local dir = here()
candidates[#candidates + 1] = dir .. "/../../build/lib/dojo/core.so"      -- source tree
candidates[#candidates + 1] = dir .. "/../../../../lib/lua/5.4/dojo/core.so" -- PREFIX/share/dojo/lua

local problems = {}
for _, path in ipairs(candidates) do
  local f = io.open(path, "rb")
  if f then
    f:close()
    local open, err = package.loadlib(path, "luaopen_dojo_core")
    if open then return open("dojo.core", path) end
    problems[#problems + 1] = path .. ": " .. tostring(err)
  end
end
error("cannot load the dojo.core module (build it with tools/setup, or add build/lib/?.so to " ..
      "package.cpath)" .. (#problems > 0 and ("; " .. table.concat(problems, "; ")) or ""), 0)
