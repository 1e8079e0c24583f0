-- dojo.feedback: policies that turn what a step did into the text the agent reads.
--
-- A policy is a function(result, ctx) -> string. `result` is the step's record (action,
-- status, and the action's fields: exec = the sandbox result, submission = the grading
-- result, text for request_info, ...); `ctx` tells the budgets and the competition:
-- ctx.step, ctx.max_steps, ctx.time_left, ctx.best (the best graded step so far),
-- ctx.competition, ctx.limits, ctx.show_private.
--
-- Built in: base (everything that happened), concise (one line), hints (base + advice
-- from error patterns). Add your own:
--
--   dojo.feedback.register("mine", function(result, ctx) return result.status end)
local M = {}

local registry = {}
local BUILTIN = { base = true, concise = true, hints = true }

function M.register(name, fn)
  if type(name) ~= "string" or not name:match("^[%w_%-]+$") then
    error("a feedback policy needs a name of letters, digits, '_' and '-'", 2)
  end
  if type(fn) ~= "function" then error("a feedback policy is a function(result, ctx) -> text", 2) end
  registry[name] = fn
end

-- get(name) -> policy | nil, message
function M.get(name)
  name = name or "base"
  if type(name) == "function" then return name end
  if registry[name] then return registry[name] end
  if BUILTIN[name] then
    registry[name] = require("dojo.feedback." .. name)
    return registry[name]
  end
  local known = {}
  for n in pairs(BUILTIN) do known[#known + 1] = n end
  for n in pairs(registry) do if not BUILTIN[n] then known[#known + 1] = n end end
  table.sort(known)
  return nil, string.format("no feedback policy '%s' (known: %s)", tostring(name), table.concat(known, ", "))
end

function M.list()
  local names = {}
  for n in pairs(BUILTIN) do names[#names + 1] = n end
  for n in pairs(registry) do if not BUILTIN[n] then names[#names + 1] = n end end
  table.sort(names)
  return names
end

---------------------------------------------------------------------------------------------
-- Pieces the policies share.

function M.score(v)
  if v == nil then return "none" end
  return string.format("%.6g", v)
end

-- The last `max` bytes of a stream, cut at a line start, with a note of what was cut.
-- A leaderboard position as words: "position 12 of 300", or "below all 300 entries" when
-- the score beats none of them (MLE-Dojo's p = N + 1).
function M.position(pos)
  if pos.position > pos.total then return string.format("below all %d entries", pos.total) end
  return string.format("position %d of %d", pos.position, pos.total)
end

function M.tail(s, max)
  if not s or s == "" then return nil end
  if #s <= max then return s end
  local cut = s:sub(-max)
  local nl = cut:find("\n", 1, true)
  if nl and nl < #cut then cut = cut:sub(nl + 1) end
  return string.format("[... %d earlier bytes not shown]\n%s", #s - #cut, cut)
end

function M.budget_line(ctx)
  local parts = { string.format("step %d of %d", ctx.step, ctx.max_steps) }
  if ctx.time_left then parts[#parts + 1] = string.format("%.0f s of the time budget left", math.max(0, ctx.time_left)) end
  if ctx.best then
    parts[#parts + 1] = string.format("best public score so far %s (step %d)", M.score(ctx.best.public_score), ctx.best.step)
  end
  return table.concat(parts, "; ")
end

function M.exec_line(e)
  local what = {
    OK = "ran to completion", RE = string.format("exited with code %s", tostring(e.exit_code)),
    SG = string.format("was killed by signal %s", tostring(e.signal)), TO = "ran out of time",
    ML = "ran out of memory", OL = "wrote too much output", XX = "could not be run",
  }
  return string.format("Your code %s (%.1f s wall, %.1f s CPU, %.0f MB peak memory).", what[e.status] or e.status,
                       e.wall_s or 0, e.cpu_s or 0, (e.max_rss_kb or 0) / 1024)
end

return M
