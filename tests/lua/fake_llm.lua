-- fake_llm.lua -- starts tests/llm/fake_llm.py (a scripted OpenAI/Anthropic/Gemini server on
-- 127.0.0.1) for a spec.
--
--   local fake = require "fake_llm"
--   local srv = fake.start(script_table [, { repeat_last = true }])
--   -- srv.port, srv.url ("http://127.0.0.1:PORT"), srv.log() -> list of logged requests
--   srv:stop()
--
-- script_table is the list of scripted replies described at the top of fake_llm.py. start
-- raises (one sentence) when the server does not come up within 10 s. The server also exits
-- by itself when this process does.
local json = require "dojo.json"

local M = {}

local PYTHON = "/usr/bin/python3"

local function here()
  local src = debug.getinfo(1, "S").source
  src = src:sub(1, 1) == "@" and src:sub(2) or src
  return src:match("^(.*)/[^/]*$") or "."
end
local SERVER = here() .. "/../llm/fake_llm.py"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local support = require "support"
local read, write = support.read, support.write

local sleep = require("dojo.core").sleep

-- os.execute's success: true on Lua 5.4, 0 on LuaJIT.
local run = support.run

-- Whether pid runs (a zombie that nobody has reaped yet counts as gone).
local function alive(pid)
  local stat = read("/proc/" .. pid .. "/stat")
  if not stat then return false end
  return stat:match("^%d+ %(.*%) (%a)") ~= "Z"
end

local function self_pid()
  local stat = read("/proc/self/stat")
  return stat and stat:match("^(%d+)")
end

local Server = {}
Server.__index = Server

function Server:stop()
  if self.stopped then return end
  self.stopped = true
  if self.pid then
    os.execute("kill " .. self.pid .. " 2>/dev/null")
    for _ = 1, 50 do
      if not alive(self.pid) then break end
      sleep(0.05)
    end
    os.execute("kill -9 " .. self.pid .. " 2>/dev/null")
  end
  os.execute("rm -rf " .. q(self.dir))
end

function M.start(script, opts)
  opts = opts or {}
  assert(type(script) == "table", "fake_llm.start needs a list of scripted replies")
  local dir = os.tmpname()
  os.remove(dir)
  assert(run("mkdir -p " .. q(dir)), "fake_llm: cannot create a temporary directory")
  local body = assert(json.encode(json.array(script)))
  write(dir .. "/script.json", body)
  local cmd = string.format("%s %s --script %s --port-file %s --log %s%s%s >%s 2>&1 & echo $! >%s",
    PYTHON, q(SERVER), q(dir .. "/script.json"), q(dir .. "/port"), q(dir .. "/log.jsonl"),
    opts.repeat_last and " --repeat-last" or "",
    self_pid() and (" --parent " .. self_pid()) or "",
    q(dir .. "/server.err"), q(dir .. "/pid"))
  os.execute(cmd)
  local srv = setmetatable({ dir = dir }, Server)
  srv.pid = (read(dir .. "/pid") or ""):match("(%d+)")
  local port
  for _ = 1, 200 do
    port = (read(dir .. "/port") or ""):match("^(%d+)")
    if port then break end
    sleep(0.05)
  end
  if not port then
    local err = read(dir .. "/server.err") or ""
    srv:stop()
    error("fake_llm: the server did not start within 10 s" .. (err ~= "" and (": " .. err) or ""), 2)
  end
  srv.port = tonumber(port)
  srv.url = "http://127.0.0.1:" .. port
  srv.log = function()
    local out = {}
    for line in (read(dir .. "/log.jsonl") or ""):gmatch("[^\n]+") do
      out[#out + 1] = assert(json.decode(line))
    end
    return out
  end
  return srv
end

return M
