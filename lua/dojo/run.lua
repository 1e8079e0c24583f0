-- dojo.run: plays one episode with an agent and reports progress.
--
--   local summary = dojo.run.episode("titanic", { agent = "baseline", env = {...}, progress = fn })
--
-- progress(event) is called before and after every step: event.phase = "start" | "step" |
-- "done", with the step number, the action, the status, the public score and position,
-- and the elapsed time. dojo.run.printer(io.stderr, is_tty) makes the default display: on a
-- terminal the current step's line is rewritten in place; otherwise one line per step.
local core = require "dojo.core"
local env_mod = require "dojo.env"
local agents = require "dojo.agents"

local M = {}

function M.episode(name, opts)
  opts = opts or {}
  local agent_mod, err = agents.get(opts.agent)
  if not agent_mod then return nil, err end
  local env
  env, err = env_mod.make(name, opts.env or {})
  if not env then return nil, err end
  local progress = opts.progress or function() end
  local ok, res = pcall(function()
    local aopts = {}
    for k, v in pairs(opts.agent_options or {}) do aopts[k] = v end
    aopts.out = aopts.out or env.paths.out
    aopts.record = function(rec) env.history:append(rec) end
    if aopts.seed == nil then aopts.seed = opts.seed end
    if aopts.tools then require("dojo.tools").install(aopts.tools) end
    local agent = agent_mod.new(aopts)
    local obs, info = env:reset({ seed = opts.seed })
    env.history:append({ kind = "agent", event = "start", agent = opts.agent or "baseline", episode = env.episode,
                         llm = opts.llm_record, system = agent.system,
                         tools = agent.chain and agent.chain:specs() or nil,
                         protocol = agent.protocol })
    progress({ phase = "start", info = info, out = env.paths.out })
    local t0 = core.clock()
    while true do
      local action, args, note = agent:act(obs, info)
      if action == nil then break end
      progress({ phase = "before", step = env.steps + 1, max_steps = env.opts.max_steps, action = action,
                 elapsed = core.clock() - t0 })
      local reward, truncated
      obs, reward, _, truncated, info = env:step(action, args, note)
      progress({ phase = "step", step = info.step, max_steps = info.max_steps, action = action, status = obs.status,
                 exec_status = obs.exec_status, public_score = obs.public_score, position = obs.position,
                 reward = reward, elapsed = core.clock() - t0, error = obs.error or obs.submission_error })
      if truncated then break end
    end
    if agent.finish then agent:finish(obs, info) end
    local final = env:finish("agent_done")
    if agent.summary then
      env.agent_summary = agent:summary()
      env:write_summary()
    end
    progress({ phase = "done", final = final, out = env.paths.out })
    return { final = final, out = env.paths.out, summary = env.summary_path, agent = env.agent_summary,
             trajectory = env.paths.out .. "/trajectory.jsonl", competition = name, steps = env.steps }
  end)
  env:close()
  if not ok then return nil, tostring(res) end
  return res
end

local function score(v) return v and string.format("%.6g", v) or "-" end

-- A progress display on `f`: rewrites the line in place on a terminal.
function M.printer(f, tty)
  return function(e)
    if e.phase == "start" then
      f:write(string.format("dojo run %s: output in %s\n", e.info.competition, e.out))
    elseif e.phase == "before" then
      if tty then
        f:write(string.format("\r\27[K step %2d/%d  %-14s running...  %6.1fs", e.step, e.max_steps, e.action, e.elapsed))
        f:flush()
      end
    elseif e.phase == "step" then
      local pos = e.position and (e.position.position > e.position.total and string.format("below %d", e.position.total)
                                  or string.format("%d/%d", e.position.position, e.position.total)) or "-"
      local line = string.format(" step %2d/%d  %-14s %-7s %-3s public %-10s position %-11s %6.1fs",
                                 e.step, e.max_steps, e.action, e.status, e.exec_status or "", score(e.public_score),
                                 pos, e.elapsed)
      if e.error and e.status ~= "SUCCESS" then line = line .. "  " .. e.error:gsub("\n.*", ""):sub(1, 100) end
      f:write((tty and "\r\27[K" or "") .. line .. "\n")
      f:flush()
    end
  end
end

return M
