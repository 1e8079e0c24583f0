-- The MLE agent: an LLM plays the episode one action at a time.
--
-- Each turn the model sees the task, the recent turns (fitted to a token budget) and the
-- steps and time left, and answers with one action. Two protocols:
--
--   json (default)  the reply holds {"action": NAME, "params": {...}}, alone, in prose or in
--                   a ```json fence; every chat server can do this
--   tool calls      (tool_calls = true, `--tool-calls`) each action is a tool the model calls
--
-- A reply that names no usable action is sent back with the problem, up to max_repairs
-- times; then the turn counts as a failure, and after max_failures failed turns in a row
-- (model errors included) the agent stops. Nothing the model says can crash the episode.
-- Options: see dojo.agents.common, plus tool_calls and temperature/top_p/max_tokens.
local common = require "dojo.agents.common"

local M = { uses_llm = true }

local SYSTEM = [[
You are a machine-learning engineer taking part in a Kaggle-style competition inside dojo, an
environment that runs your Python code in a sandbox and grades your submissions. You work in
turns: every reply of yours performs exactly one action, and the environment answers with its
result (output, errors, scores, and the steps and time you have left).

How to work:
- Start by reading the task and the data (request_info), then write complete Python programs.
- Each program runs in a fresh process: nothing survives between runs except files you write
  in the working directory. The data is in ./data (read-only); write predictions to
  ./submission.csv in the sample submission's format.
- validate_code is a quick trial run that is never graded; execute_code runs your program and
  grades the submission it writes against the public part of the test answers.
- There is no internet. Use the installed packages (numpy, pandas, scikit-learn, ...).
- Improve step by step: a working simple model first, then better features and models.
  Your final result is your best public submission, graded on the private answers.

%s]]

local JSON_PROTOCOL = [[
Reply with one JSON object naming the action and its parameters, for example
{"action": "request_info", "params": {"info_type": "all"}}
You may think briefly before it, but the reply must contain exactly one such object. Put
programs in the "code" string (newlines escaped as \n), or leave "code" out and put the
program in a ```python block after the JSON.

The actions:
%s]]

local TOOL_PROTOCOL = [[
Call exactly one of the tools you are given in every reply.]]

local Agent = {}
Agent.__index = Agent

function M.new(opts)
  local o = common.options(opts)
  local self = setmetatable({ o = o, chain = o.tools, meter = common.meter(o.client), turns = {}, head = nil,
                              consecutive = 0, stopped = nil }, Agent)
  self.system = string.format(SYSTEM, o.tool_calls and TOOL_PROTOCOL
                                       or string.format(JSON_PROTOCOL, self.chain:describe()))
  self.protocol = o.tool_calls and "tool_calls" or "json"
  self.chat_opts = { temperature = o.temperature, top_p = o.top_p, max_tokens = o.max_tokens,
                     tools = o.tool_calls and self.chain:specs() or nil }
  return self
end

-- The environment's answer to the previous action goes into the last turn.
function Agent:observe(obs, info)
  local text = (obs.feedback or "") .. "\n\n" .. common.budget_text(info)
  if not self.head then
    self.head = { { role = "system", content = self.system }, { role = "user", content = text } }
    return
  end
  local turn = self.turns[#self.turns]
  if turn and turn.pending then
    local call = turn.pending
    turn.pending = nil
    if call.id then
      turn[#turn + 1] = { role = "tool", tool_call_id = call.id, name = call.name, content = text }
    else
      turn[#turn + 1] = { role = "user", content = text }
    end
  end
end

-- One model call and what it asks for: action, args, assistant message | nil, problem, message.
function Agent:read(reply)
  local content = reply.content or ""
  local call = reply.tool_calls and reply.tool_calls[1]
  if call then
    local msg = { role = "assistant", content = content,
                  tool_calls = { { id = call.id, name = call.name, arguments = call.arguments,
                                   arguments_text = call.arguments_text } } }
    if call.error or type(call.arguments) ~= "table" then
      return nil, "the arguments of " .. tostring(call.name) .. " are not a JSON object: " .. tostring(call.error), msg, call
    end
    local args, err = self.chain:check_args(call.name, call.arguments)
    if not args then return nil, err, msg, call end
    return call.name, args, msg, call
  end
  local action, args = common.parse_action(content, self.chain)
  local msg = { role = "assistant", content = content }
  if not action then
    local problem = args
    if self.o.tool_calls then problem = "no tool was called (" .. problem .. ")" end
    return nil, problem, msg
  end
  return action, args, msg
end

local function repair_message(problem, call, tool_calls)
  local text = "Your reply could not be used: " .. problem .. ". " ..
               (tool_calls and "Call exactly one tool with valid arguments."
                or 'Reply again with exactly one JSON object {"action": ..., "params": {...}}.')
  if call and call.id then return { role = "tool", tool_call_id = call.id, name = call.name, content = text } end
  return { role = "user", content = text }
end

function Agent:act(obs, info)
  self:observe(obs, info)
  local got, note = common.ask(self, info, "mle", {
    note = function() return { agent = "mle" } end,
    messages = function() return common.fit(self.head, self.turns, self.o.context_tokens) end,
    opts = self.chat_opts,
    read = function(reply, n)
      local action, args, msg, call = self:read(reply)
      if msg.tool_calls then
        local c = msg.tool_calls[1]
        n.tool_call = { id = c.id, name = c.name, arguments = c.arguments_text }
      end
      if not action then return nil, args, { msg, repair_message(args, call, self.o.tool_calls) } end
      return { action = action, args = args, msg = msg }
    end,
  })
  if not got then return nil end
  local msg = got.msg
  msg.tool_calls = msg.tool_calls and { msg.tool_calls[1] }
  self.turns[#self.turns + 1] = { msg, pending = { id = msg.tool_calls and msg.tool_calls[1].id, name = got.action } }
  return got.action, got.args, note
end

function Agent:summary()
  return self.meter:summary({ agent = "mle", protocol = self.protocol,
                              stopped = self.stopped })
end

return M
