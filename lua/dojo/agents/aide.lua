-- The AIDE agent: a tree search over whole solutions (after Jiang et al., "AIDE: AI-driven
-- exploration in the space of code", 2025), written for dojo.
--
-- The agent reads the task once (request_info all), then every step grows the tree by one
-- node, a complete program that dojo runs and grades (execute_code):
--
--   draft    a new solution from scratch (until num_drafts drafts exist)
--   debug    a fix of a buggy leaf (its program failed or its submission was rejected),
--            chosen with probability debug_prob, at most max_debug_depth fixes in a row
--   improve  one focused change to the best working node
--
-- Each node of the journal holds its plan, code, output, public score, buggy flag, parent
-- and stage. The best node is chosen by the score the environment gave it, never by a
-- number the model claims. The journal is written to OUT/aide_journal.json after every
-- node. A reply without a program is sent back (up to max_repairs times); a turn that still
-- has none counts as a failure, and after max_failures failed turns in a row the agent stops.
-- Options: see dojo.agents.common, plus num_drafts (3), debug_prob (0.5),
-- max_debug_depth (3), seed, temperature/top_p/max_tokens.
local common = require "dojo.agents.common"
local json = require "dojo.json"
local core = require "dojo.core"
local rng = require "dojo.rng"

local M = { uses_llm = true }

local SYSTEM = [[
You are a machine-learning engineer solving a Kaggle-style competition. You write complete
Python 3 programs that dojo runs in a sandbox: the data is in ./data (read-only), and the
program must write its predictions to ./submission.csv in the sample submission's format.
Each program runs on its own, from scratch, with no internet; use numpy, pandas and
scikit-learn. Print a validation score of your own (a hold-out split or cross-validation) so
that its output shows how well it does. Keep each run well inside the time limit.

Answer with a short plan in plain text (three to six sentences), then the whole program in a
single ```python block. Nothing after the block.]]

local STAGE_TEXT = {
  draft = [[
Write a first solution. Choose a sound, simple approach that you can make work in one go;
do not repeat the ideas of the earlier drafts listed below.]],
  debug = [[
The program below failed or its submission was rejected. Find the cause in its output and
fix it, changing only what is needed. Keep the plan short: what was wrong and the fix.]],
  improve = [[
The program below works. Propose one focused change that should improve its score (a
feature, a model, a parameter, a validation scheme) and implement it; keep everything
else as it is.]],
}

local Agent = {}
Agent.__index = Agent

function M.new(opts)
  local o = common.options(opts)
  o.num_drafts = o.num_drafts or 3
  o.debug_prob = o.debug_prob or 0.5
  o.max_debug_depth = o.max_debug_depth or 3
  return setmetatable({ system = SYSTEM, o = o, meter = common.meter(o.client), rng = rng.new(o.seed or 0, "aide"), nodes = {},
                        consecutive = 0, task = nil, pending = nil, phase = "info" }, Agent)
end

local function tail(s, n)
  s = s or ""
  if #s <= n then return s end
  return "[... " .. (#s - n) .. " bytes left out ...]\n" .. s:sub(-n)
end

function Agent:better(a, b)
  if not b then return true end
  if self.higher_is_better then return a.score > b.score end
  return a.score < b.score
end

function Agent:best()
  local best
  for _, n in ipairs(self.nodes) do
    if not n.buggy and n.score and self:better(n, best) then best = n end
  end
  return best
end

-- What to do next: stage, parent.
function Agent:choose()
  local drafts = 0
  for _, n in ipairs(self.nodes) do if n.stage == "draft" then drafts = drafts + 1 end end
  if drafts < self.o.num_drafts then return "draft" end
  if self.rng:next() < self.o.debug_prob then
    local leaves = {}
    for _, n in ipairs(self.nodes) do
      if n.buggy and #n.children == 0 and n.debug_depth < self.o.max_debug_depth then leaves[#leaves + 1] = n end
    end
    if #leaves > 0 then return "debug", leaves[self.rng:int(#leaves)] end
  end
  local best = self:best()
  if best then return "improve", best end
  return "draft"
end

function Agent:prompt(stage, parent)
  local parts = { "# Task\n" .. (self.task or ""), "# What to do\n" .. STAGE_TEXT[stage] }
  if stage == "draft" then
    local plans = {}
    for _, n in ipairs(self.nodes) do
      if n.stage == "draft" then plans[#plans + 1] = string.format("- draft %d: %s", n.id, n.plan ~= "" and n.plan or "(no plan)") end
    end
    if #plans > 0 then parts[#parts + 1] = "# Earlier drafts\n" .. table.concat(plans, "\n") end
  else
    parts[#parts + 1] = "# The program\n```python\n" .. parent.code .. "\n```"
    parts[#parts + 1] = "# Its result\n" .. tail(parent.output, 6000)
  end
  parts[#parts + 1] = common.budget_text(self.info or {})
  return table.concat(parts, "\n\n")
end

function Agent:save()
  if not self.o.out then return end
  local out = {}
  for i, n in ipairs(self.nodes) do
    out[i] = { id = n.id, step = n.step, stage = n.stage, parent = n.parent, children = json.array(n.children),
               plan = n.plan, code = n.code, output = n.output, public_score = n.score, buggy = n.buggy,
               exec_status = n.exec_status, error = n.error, debug_depth = n.debug_depth }
  end
  local best = self:best()
  local text = assert(json.encode({ agent = "aide", metric = self.metric, higher_is_better = self.higher_is_better,
                                    best = best and best.id, nodes = json.array(out) }, { indent = 2, nan = "null" }))
  local ok, err = core.file_write(self.o.out .. "/aide_journal.json", text .. "\n")
  if not ok then self.o.record({ kind = "agent", event = "journal_error", error = err, agent = "aide" }) end
end

-- The result of the node just run.
function Agent:observe(obs)
  local n = self.pending
  if not n then return end
  self.pending = nil
  n.output = obs.feedback or ""
  n.exec_status = obs.exec_status
  n.score = obs.public_score
  n.buggy = obs.public_score == nil
  n.error = obs.error or obs.submission_error
  self:save()
end

function Agent:act(obs, info)
  self.info = info
  self.metric, self.higher_is_better = info.metric, info.higher_is_better
  if self.phase == "info" then
    self.phase = "task"
    return "request_info", { info_type = "all" }
  end
  if self.phase == "task" then
    self.task = obs.feedback or ""
    self.phase = "search"
  end
  self:observe(obs)
  local stage, parent
  local got, note = common.ask(self, info, "aide", {
    note = function()
      stage, parent = self:choose()
      return { agent = "aide", stage = stage, parent = parent and parent.id }
    end,
    messages = function(n)
      n.prompt = self:prompt(stage, parent)
      return { { role = "system", content = SYSTEM }, { role = "user", content = n.prompt } }
    end,
    opts = { temperature = self.o.temperature, top_p = self.o.top_p, max_tokens = self.o.max_tokens },
    read = function(reply)
      local code = common.extract_code(reply.content or "")
      if code and code:match("%S") then return { code = code, reply = reply.content or "" } end
      return nil, "no ```python block", {
        { role = "assistant", content = reply.content or "" },
        { role = "user", content = "Your reply had no program. Answer with a short plan and then the whole program " ..
                                   "in a single ```python block." } }
    end,
  })
  if not got then return nil end
  local plan = got.reply:match("^(.-)```") or ""
  plan = plan:gsub("^%s+", ""):gsub("%s+$", "")
  local node = { id = #self.nodes + 1, step = info.step + 1, stage = stage, parent = parent and parent.id,
                 children = {}, plan = plan, code = got.code,
                 debug_depth = stage == "debug" and parent.debug_depth + 1 or 0 }
  if parent then parent.children[#parent.children + 1] = node.id end
  self.nodes[#self.nodes + 1] = node
  self.pending = node
  note.node = node.id
  return "execute_code", { code = got.code }, note
end

-- Called by dojo.run when the episode ends: the last node's result is recorded too.
function Agent:finish(obs)
  self:observe(obs)
end

function Agent:summary()
  local best = self:best()
  return self.meter:summary({ agent = "aide", nodes = #self.nodes, best_node = best and best.id,
                              best_public_score = best and best.score, stopped = self.stopped,
                              journal = self.o.out and (self.o.out .. "/aide_journal.json") or nil })
end

return M
