-- dojo.sandbox: run untrusted code under a policy (the kernel's sandbox, core/sandbox.c).
--
--   local r = assert(dojo.sandbox.run {
--     cmd = "/usr/bin/python3", argv = { "python3", "train.py" }, cwd = "/tmp/work",
--     time = 60, wall = 120, memory = 4096,          -- seconds, seconds, MB (whole tree)
--     read = { "/data/public" }, write = {},         -- extra paths beside the work dir
--   })
--   r.status  -- "OK" | "RE" | "SG" | "TO" | "ML" | "OL" | "XX"
--   r.exit_code, r.signal, r.wall_s, r.cpu_s, r.max_rss_kb, r.stdout, r.stderr,
--   r.output_bytes, r.message, r.layers = { { name =, applied =, detail = }, ... }
--
-- Policy keys (units as on the command line): cmd, argv, cwd, env (a table KEY = VALUE or
-- a list of "KEY=VALUE"), time (CPU s), wall (s), memory (MB), procs, fsize (MB), output
-- (KB captured per stream), output_fails (over the cap is status OL), read, write (lists of
-- paths), net, gpu, disable (a list of layers not to apply: namespaces, cgroup, rlimits,
-- uid, landlock, seccomp, netns). An unknown key or a bad value raises an error; a policy
-- the kernel refuses returns nil and the reason.
local core = require "dojo.core"
local options = require "dojo.options"

local M = {}

local LAYERS = { namespaces = 1, cgroup = 2, rlimits = 4, uid = 8, landlock = 16, seccomp = 32, netns = 64 }
M.LAYERS = LAYERS

local KEYS = {
  cmd = "string", argv = "table", cwd = "string", env = "table", time = "number", wall = "number",
  memory = "number", procs = "number", fsize = "number", output = "number", output_fails = "boolean",
  read = "table", write = "table", net = "boolean", gpu = "boolean", disable = "table",
}

local function strings(list, key)
  for i, v in ipairs(list) do
    if type(v) ~= "string" then error(string.format("sandbox policy: %s[%d] must be a string", key, i), 4) end
  end
  return list
end

-- normalize(policy) -> the kernel's policy table (bytes, bit masks). Raises on bad input.
function M.normalize(policy)
  if type(policy) ~= "table" then error("sandbox policy must be a table", 3) end
  local ok, err = options.check(policy, KEYS, { noun = "key" })
  if not ok then error("sandbox policy: " .. err, 3) end
  if not policy.cmd or policy.cmd == "" then error("sandbox policy: cmd is required", 3) end
  local env
  if policy.env then
    env = {}
    for k, v in pairs(policy.env) do
      if type(k) == "number" then
        if type(v) ~= "string" or not v:find("=", 2, true) then
          error("sandbox policy: env entries must be KEY=VALUE strings", 3)
        end
        env[#env + 1] = v
      else
        if type(k) ~= "string" or k == "" or k:find("=", 1, true) then
          error("sandbox policy: env keys must be names without '='", 3)
        end
        env[#env + 1] = k .. "=" .. tostring(v)
      end
    end
    table.sort(env)
  end
  local disable = 0
  for i, name in ipairs(policy.disable or {}) do
    local bit = LAYERS[name]
    if not bit then
      error(string.format("sandbox policy: disable[%d]: unknown layer '%s' (namespaces, cgroup, rlimits, " ..
                          "uid, landlock, seccomp, netns)", i, tostring(name)), 3)
    end
    if math.floor(disable / bit) % 2 == 0 then disable = disable + bit end
  end
  local MB, KB = 1024 * 1024, 1024
  return {
    cmd = policy.cmd, argv = policy.argv and strings(policy.argv, "argv"), cwd = policy.cwd, env = env,
    time_s = policy.time, wall_s = policy.wall,
    memory_bytes = policy.memory and math.floor(policy.memory * MB),
    procs = policy.procs and math.floor(policy.procs),
    fsize_bytes = policy.fsize and math.floor(policy.fsize * MB),
    output_bytes = policy.output and math.floor(policy.output * KB),
    output_fails = policy.output_fails, net = policy.net, gpu = policy.gpu,
    read = policy.read and strings(policy.read, "read"), write = policy.write and strings(policy.write, "write"),
    disable = disable,
  }
end

-- run(policy) -> result table | nil, message
function M.run(policy)
  return core.sandbox_run(M.normalize(policy))
end

return M
