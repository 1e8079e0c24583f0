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

-- The episodes of a trajectory: lists of its records, one list per reset.
function M.episodes(steps)
  local episodes, cur = {}, nil
  for _, s in ipairs(steps) do
    if s.kind == "reset" then cur = {} episodes[#episodes + 1] = cur end
    if cur then cur[#cur + 1] = s end
  end
  return episodes
end

-- The assistant's message for a step: the model's own reply (its tool call in tool-calling
-- mode) when an LLM chose the action, else the action as a JSON object.
local function assistant_message(s)
  local a = s.agent
  if a and a.tool_call then
    return { role = "assistant", content = a.reply ~= "" and a.reply or json.null,
             tool_calls = json.array({ { id = a.tool_call.id or ("call_" .. s.step), type = "function",
                                         ["function"] = { name = a.tool_call.name, arguments = a.tool_call.arguments } } }) }
  end
  if a and a.reply then return { role = "assistant", content = a.reply } end
  return { role = "assistant", content = assert(json.encode({ action = s.action, params = s.args or json.object({}) })) }
end

-- to_chat(episode [, system]) -> list of {messages = ..., tools = ...}: chat records for supervised
-- fine-tuning. A conversational agent's episode is one record: the system prompt, the task
-- as the first user message, each reply as the assistant's, each observation as the next
-- user (or tool) message. An agent that prompts afresh every step (aide) gives one record
-- per step: its prompt and its reply.
function M.to_chat(steps, system)
  local tools -- offered as functions: kept with the record, in OpenAI's fine-tuning form
  for _, s in ipairs(steps) do
    if s.kind == "agent" and s.event == "start" then
      system = system or s.system
      if s.protocol == "tool_calls" and s.tools then
        tools = json.array({})
        for i, t in ipairs(s.tools) do tools[i] = { type = "function", ["function"] = t } end
      end
    end
  end
  local records, msgs = {}, {}
  if system then msgs[#msgs + 1] = { role = "system", content = system } end
  for _, s in ipairs(steps) do
    if s.kind == "reset" then
      msgs[#msgs + 1] = { role = "user", content = s.observation or "" }
    elseif s.kind == "step" and s.agent and s.agent.prompt then
      local one = {}
      if system then one[#one + 1] = { role = "system", content = system } end
      one[#one + 1] = { role = "user", content = s.agent.prompt }
      one[#one + 1] = assistant_message(s)
      records[#records + 1] = { messages = one, step = s.step, reward = s.reward }
    elseif s.kind == "step" then
      local m = assistant_message(s)
      msgs[#msgs + 1] = m
      if m.tool_calls then
        msgs[#msgs + 1] = { role = "tool", tool_call_id = m.tool_calls[1].id, content = s.feedback or "" }
      else
        msgs[#msgs + 1] = { role = "user", content = s.feedback or "" }
      end
    end
  end
  if #records == 0 then records[1] = { messages = msgs, tools = tools } end
  return records
end

-- to_rl(episode) -> list of per-step records for reinforcement learning: the observation the
-- agent acted on, its action, the reward, the next observation, and whether the episode ended
-- after it: terminated when the agent stopped, truncated when a step or time budget ran out.
function M.to_rl(steps)
  local out, obs, last, reason = {}, nil, nil, nil
  for _, s in ipairs(steps) do
    if s.kind == "step" then last = s end
    if s.kind == "final" and s.final then reason = s.final.reason end
  end
  for _, s in ipairs(steps) do
    if s.kind == "reset" then
      obs = s.observation or ""
    elseif s.kind == "step" then
      out[#out + 1] = {
        episode = s.episode, step = s.step, observation = obs or "",
        action = { name = s.action, params = s.args or json.object({}) },
        reply = s.agent and s.agent.reply, reward = s.reward or 0, next_observation = s.feedback or "",
        terminated = s == last and reason == "agent_done",
        truncated = s == last and (reason == "max_steps" or reason == "time_budget"),
        info = { status = s.status, exec_status = s.exec_status, public_score = s.public_score,
                 position_score = s.position and s.position.score },
      }
      obs = s.feedback or ""
    end
  end
  return out
end

return M
