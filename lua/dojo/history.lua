-- dojo.history: an episode's record.
--
--   DIR/trajectory.jsonl   one JSON object per step, appended and fsync'd as the step ends:
--                          a crashed or killed run loses at most the step in flight, and
--                          appending costs the same at step 10,000 as at step 1 (the file is
--                          never rewritten; MLE-Dojo rewrites its whole history every step)
--   DIR/summary.json       written atomically at the end of the episode
--
-- Exporters turn a trajectory into MLE-Dojo's history.json layout and into chat-format
-- records for supervised fine-tuning.
local core = require "dojo.core"
local json = require "dojo.json"

local M = {}

local History = {}
History.__index = History

-- open(dir [, {sync = true}]) -> history
function M.open(dir, opts)
  opts = opts or {}
  return setmetatable({ dir = dir, path = dir .. "/trajectory.jsonl", sync = opts.sync ~= false, steps = {} }, History)
end

-- Appends one step record (a table) as a line of JSON; keeps it in memory for get_history.
function History:append(rec)
  local line, err = json.encode_line(rec, { nan = "null" })
  if not line then error("cannot record the step: " .. err, 2) end
  local ok, werr = core.file_append(self.path, line .. "\n", self.sync)
  if not ok then error("cannot write " .. self.path .. ": " .. werr, 2) end
  self.steps[#self.steps + 1] = rec
end

function History:write_summary(summary)
  local text = assert(json.encode(summary, { indent = 2, nan = "null" }))
  local ok, err = core.file_write(self.dir .. "/summary.json", text .. "\n")
  if not ok then error("cannot write the summary: " .. err, 2) end
  return self.dir .. "/summary.json"
end

-- read(path) -> list of step records | nil, message. A truncated last line (a run killed
-- while writing) is skipped, not an error.
function M.read(path)
  local text, err = core.file_read(path)
  if not text then return nil, err end
  local steps, lineno = {}, 0
  for line in text:gmatch("[^\n]+") do
    lineno = lineno + 1
    local rec = json.decode(line)
    if type(rec) == "table" then steps[#steps + 1] = rec
    elseif not text:find("\n", #text, true) then break  -- the unfinished last line
    else return nil, string.format("%s: line %d is not a JSON object", path, lineno) end
  end
  return steps
end

-- MLE-Dojo's history.json: a list of {step, action, params, observation, reward} objects.
function M.to_mledojo(steps)
  local out = {}
  for _, s in ipairs(steps) do
    if s.action then
      out[#out + 1] = { step = s.step, action = s.action, params = s.args or json.object({}),
                        observation = { action_status = s.status, feedback = s.feedback,
                                        current_raw_score = s.public_score,
                                        current_position_score = s.position and s.position.score },
                        reward = s.reward }
    end
  end
  return json.array(out)
end

-- Chat-format records for fine-tuning: the task as the user's first message, each action as
-- the assistant's reply (a JSON action), each observation as the next user message.
function M.to_chat(steps, system)
  local msgs = {}
  if system then msgs[#msgs + 1] = { role = "system", content = system } end
  for _, s in ipairs(steps) do
    if s.kind == "reset" then
      msgs[#msgs + 1] = { role = "user", content = s.observation or "" }
    elseif s.action then
      msgs[#msgs + 1] = { role = "assistant",
                          content = assert(json.encode({ action = s.action, params = s.args or json.object({}) })) }
      msgs[#msgs + 1] = { role = "user", content = s.feedback or "" }
    end
  end
  return { messages = msgs }
end

return M
