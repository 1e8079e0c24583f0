-- support.lua -- helpers shared by the specs (on package.path through busted's --lpath).
local M = {}

-- run_cli(...) -> exit code, stdout, stderr of dojo.cli.main with those arguments.
function M.run_cli(...)
  local cli = require "dojo.cli"
  local out, err = {}, {}
  local real_out, real_err = io.stdout, io.stderr
  io.stdout = { write = function(_, ...) for _, s in ipairs { ... } do out[#out + 1] = s end end }
  io.stderr = { write = function(_, ...) for _, s in ipairs { ... } do err[#err + 1] = s end end }
  local ok, code = pcall(cli.main, { [0] = "dojo", ... })
  io.stdout, io.stderr = real_out, real_err
  assert(ok, code)
  return code, table.concat(out), table.concat(err)
end

-- A new empty directory (mode 0700) under the temporary directory.
function M.tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(require("dojo.core").dir_make(p, 448))
  return p
end

-- The contents of a file (read with io, not dojo's own readers), or nil when it cannot be read.
function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

-- Writes data to path with io (replacing it).
function M.write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

-- Whether a shell command succeeded (os.execute gives true on Lua 5.4, 0 on LuaJIT).
function M.run(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

-- A shell command that must succeed.
function M.must(cmd)
  assert(M.run(cmd), "command failed: " .. cmd)
end

-- A shell command's standard output, trailing white space removed (stderr dropped).
function M.output(cmd)
  local p = assert(io.popen(cmd .. " 2>/dev/null"))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

-- The message of the error fn raises (fails when it does not raise).
function M.raises(fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error("expected an error", 2) end
  return tostring(err)
end

-- Whether s contains sub (plain text).
function M.has(s, sub) return s:find(sub, 1, true) ~= nil end

return M
