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

return M
