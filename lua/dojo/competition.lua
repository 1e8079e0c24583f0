-- dojo.competition: competition definitions and where their data lives.
--
-- A competition is a folder holding competition.lua, which returns dojo.competition{...}:
--
--   return dojo.competition {
--     name = "penguins", title = "Palmer penguins: species",
--     metric = "accuracy", metric_params = {},       -- any name of dojo.metrics
--     id_column = "id", target_columns = { "species" },
--     higher_is_better = true,                         -- default: the metric's direction
--     answers = "test_answer.csv",                     -- in the private data folder
--     leaderboard = { public = { rows = 120, quantiles = { q0, ..., q100 } }, private = ... },
--   }
--
-- Definitions are loaded in a restricted environment: no os.execute, io.popen, require or
-- load; they see dojo.competition, the string, table and math libraries and nothing else.
-- This module covers what grading needs; the environment builds on it.
local M = {}
local options = require "dojo.options"

local Competition = {}
Competition.__index = Competition

local FIELDS = {
  name = "string", title = "string", description = "string", modality = "string", task = "string",
  metric = "string", metric_params = "table", id_column = "string", target_columns = "table",
  higher_is_better = "boolean", answers = "string", leaderboard = "table", labels = "table",
  class_columns = "table", submission_columns = "table", source = "table", split = "table",
  prepare = "function", interpreter = "string", notes = "string", credit = "string",
  limits = "table", sample_submission = "table",
  -- catalog competitions (lua/dojo/catalog.lua): MLE-Dojo's facts, grading options and
  -- adapters, and why dojo cannot grade one
  catalog = "table", grading = "table", not_gradable = "string",
  adapt_answers = "function", adapt_submission = "function",
}

-- Fields that are tables of their own, with their keys and types.
local SUBFIELDS = {
  source = { file = "string", types = "table", drop = "table", rename = "table", target_map = "table",
             id_start = "number", license = "string", origin = "string" },
  split = { seed = "number", test_fraction = "number", test_rows = "number", public_fraction = "number",
            stratify = "string" },
  leaderboard = { public = "table", private = "table", ladder = "string", kind = "string", note = "string",
                  ignore = "string" },
  grading = { aux_columns = "table", ignored_columns = "table", open_labels = "boolean", extra_ids = "boolean",
              adapt = "table", class_source = "string", class_labels = "table" },
  limits = { time = "number", memory = "number" },
  sample_submission = { value = "any", strategy = "string" },
}

local TASKS = { binary = true, multiclass = true, regression = true, multilabel = true, ranking = true,
                text = true, other = true }

local function check_fields(def, schema, prefix)
  for k, v in pairs(def) do
    local want = schema[k]
    if not want then
      error(string.format("unknown competition field '%s%s' (known: %s)", prefix, tostring(k),
                          options.names(schema, prefix)), 3)
    end
    if want ~= "any" and type(v) ~= want then
      error(string.format("competition field %s%s must be a %s, not a %s", prefix, k, want, type(v)), 3)
    end
  end
end

-- dojo.competition{...}: checks the definition and returns it. Errors name the key, and
-- (through the error level) the file and line of the definition.
function M.define(def)
  if type(def) ~= "table" then error("dojo.competition takes a table", 2) end
  check_fields(def, FIELDS, "")
  for k, schema in pairs(SUBFIELDS) do
    if def[k] then check_fields(def[k], schema, k .. ".") end
  end
  if not def.name or not def.name:match("^[%w][%w%-_%.]*$") then
    error("a competition needs a name of letters, digits, '-', '_' and '.'", 2)
  end
  if not def.metric then error("competition " .. def.name .. " needs a metric", 2) end
  local info = require("dojo.metrics").info(def.metric)
  if not info and def.not_gradable then -- a metric dojo does not have, and says why
    info = { higher_is_better = def.higher_is_better }
  end
  if not info then error(string.format("competition %s: unknown metric '%s'", def.name, def.metric), 2) end
  if def.task and not TASKS[def.task] then
    error(string.format("competition %s: task must be one of binary, multiclass, regression, multilabel, " ..
                        "ranking, text, other (not '%s')", def.name, def.task), 2)
  end
  local sp = def.split
  if sp then
    if sp.test_fraction and not (sp.test_fraction > 0 and sp.test_fraction < 1) then
      error("competition field split.test_fraction must be between 0 and 1", 2)
    end
    if sp.public_fraction and not (sp.public_fraction > 0 and sp.public_fraction < 1) then
      error("competition field split.public_fraction must be between 0 and 1", 2)
    end
  end
  if def.higher_is_better == nil then def.higher_is_better = info.higher_is_better end
  def.answers = def.answers or "test_answer.csv"
  def.description = def.description or "description.md"
  return setmetatable(def, Competition)
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function here()
  local src = debug.getinfo(1, "S").source
  return (src:sub(1, 1) == "@") and src:sub(2):match("^(.*)/[^/]*$") or "."
end

-- The folders searched for definitions: opts.competitions, $DOJO_COMPETITIONS (colon
-- separated), then the bundled competitions/ beside the framework.
function M.dirs(opts)
  local dirs = {}
  if opts and opts.competitions then dirs[#dirs + 1] = opts.competitions end
  local env = os.getenv("DOJO_COMPETITIONS")
  if env then for d in env:gmatch("[^:]+") do dirs[#dirs + 1] = d end end
  dirs[#dirs + 1] = here() .. "/../../competitions"
  return dirs
end

-- The data root: opts.data_root, $DOJO_DATA, else ~/.local/share/dojo.
function M.data_root(opts)
  if opts and opts.data_root then return opts.data_root end
  local env = os.getenv("DOJO_DATA")
  if env and env ~= "" then return env end
  return (os.getenv("HOME") or ".") .. "/.local/share/dojo"
end

local function sandbox_env()
  local dojo_view = { competition = M.define }
  return {
    dojo = dojo_view, string = string, table = table, math = math, pairs = pairs,
    ipairs = ipairs, tostring = tostring, tonumber = tonumber, type = type, error = error,
    assert = assert, select = select, next = next, pcall = pcall,
  }
end

-- load(name [, opts]) -> competition | nil, message
function M.load(name, opts)
  if type(name) ~= "string" or not name:match("^[%w][%w%-_%.]*$") then
    return nil, string.format("'%s' is not a competition name", tostring(name))
  end
  for _, dir in ipairs(M.dirs(opts)) do
    local path = dir .. "/" .. name .. "/competition.lua"
    local f = io.open(path, "rb")
    if f then
      local src = f:read("*a")
      f:close()
      local chunk, err
      if setfenv then
        chunk, err = loadstring(src, "@" .. path)
        if chunk then setfenv(chunk, sandbox_env()) end
      else
        chunk, err = load(src, "@" .. path, "t", sandbox_env())
      end
      if not chunk then return nil, "cannot load " .. path .. ": " .. err end
      local ok, def = pcall(chunk)
      if not ok then
        -- `return dojo.competition{...}` is a tail call, so the error has no position of its
        -- own: the file is named here
        local msg = tostring(def)
        if msg:sub(1, #path) ~= path then msg = path .. ": " .. msg end
        return nil, msg
      end
      if getmetatable(def) ~= Competition then
        return nil, path .. " must return dojo.competition{...}"
      end
      if def.name ~= name then
        return nil, string.format("%s defines '%s', not '%s'", path, def.name, name)
      end
      def.dir = dir .. "/" .. name
      return def
    end
  end
  local def, err = require("dojo.catalog").definition(name)
  if def then return def end
  if err then return nil, err end
  return nil, string.format("no such competition '%s'", name)
end

-- list([opts]) -> the competitions' names (sorted, the first folder's definition wins, then
-- the catalog's) and, for each name, its folder (or "catalog").
function M.list(opts)
  local core = require "dojo.core"
  local names, where = {}, {}
  for _, dir in ipairs(M.dirs(opts)) do
    local entries = core.dir_list(dir)
    for _, e in ipairs(entries or {}) do
      if not where[e] and e:match("^[%w][%w%-_%.]*$") and core.path_stat(dir .. "/" .. e .. "/competition.lua") == "file" then
        where[e] = dir
        names[#names + 1] = e
      end
    end
  end
  for _, e in ipairs(require("dojo.catalog").names()) do
    if not where[e] then
      where[e] = "catalog"
      names[#names + 1] = e
    end
  end
  table.sort(names)
  return names, where
end

-- MLE-bench names a competition's answers file in prepared/private after Kaggle's own
-- files; these are tried there after the definition's name.
M.MLEBENCH_ANSWERS = { "answers.csv", "test.csv" }

-- The private data folder of a competition under a data root, in dojo's layout
-- (ROOT/NAME/private), MLE-Dojo's (ROOT/NAME/data/private) or MLE-bench's
-- (ROOT/NAME/prepared/private), and the answers file in it; nil when none holds the answers.
function Competition:private_dir(root)
  for _, rel in ipairs { "/private", "/data/private", "/prepared/private" } do
    local d = root .. "/" .. self.name .. rel
    if exists(d .. "/" .. self.answers) then return d, d .. "/" .. self.answers end
    if rel == "/prepared/private" and self.catalog then
      for _, f in ipairs(M.MLEBENCH_ANSWERS) do
        if exists(d .. "/" .. f) then return d, d .. "/" .. f end
      end
    end
  end
  return nil
end

-- The public data folder (dojo's, MLE-Dojo's or MLE-bench's layout), or nil.
function Competition:public_dir(root)
  local core = require "dojo.core"
  for _, rel in ipairs { "/public", "/data/public", "/prepared/public" } do
    local d = root .. "/" .. self.name .. rel
    if core.path_stat(d) == "dir" then return d end
  end
  return nil
end

-- status(root) -> "ready" | "not prepared" | "needs data" | "not gradable", and a note: the
-- command that prepares it, or why it cannot be graded.
function Competition:status(root)
  if self.not_gradable then return "not gradable", self.not_gradable end
  if self:private_dir(root) then return "ready" end
  if self.source or self.prepare then return "not prepared", "dojo prepare " .. self.name end
  if self.catalog then return "needs data", require("dojo.catalog").prepare_hint(self.name, root) end
  return "needs data", string.format("put its prepared data under %s/%s", root, self.name)
end

-- The grading spec: answers path and leaderboards (full CSVs when present, else the
-- definition's quantiles).
function Competition:grading_spec(root)
  local grade = require "dojo.grade"
  if self.not_gradable then
    return nil, string.format("competition %s cannot be graded by dojo: %s", self.name, self.not_gradable)
  end
  local dir, answers = self:private_dir(root)
  if not dir then
    if self.catalog then
      return nil, string.format("competition %s has no prepared answers under %s; %s", self.name, root,
                                require("dojo.catalog").prepare_hint(self.name, root))
    end
    return nil, string.format("competition %s has no prepared answers under %s (looked for %s/private/%s); " ..
                              "run 'dojo prepare %s'", self.name, root, self.name, self.answers, self.name)
  end
  local lbs = {}
  for _, which in ipairs { "public", "private" } do
    local csv = dir .. "/" .. which .. "_leaderboard.csv"
    local lb, err
    if self.leaderboard and self.leaderboard.ignore == which then -- e.g. a leaderboard of zeros
      lb = nil
    elseif exists(csv) then
      lb, err = grade.leaderboard_from_csv(csv, self.higher_is_better)
    elseif self.leaderboard and self.leaderboard[which] then
      local d = self.leaderboard[which]
      local q = {}
      if type(d.quantiles) == "string" then -- "q0 q1 ... q100"
        for v in d.quantiles:gmatch("%S+") do q[#q + 1] = tonumber(v) end
      elseif d.quantiles then
        for i = 0, 100 do q[i + 1] = d.quantiles[i + 1] or d.quantiles["q" .. i] end
      end
      lb, err = grade.leaderboard_from_quantiles(q, d.rows, self.higher_is_better)
    end
    if err then return nil, string.format("competition %s: %s leaderboard: %s", self.name, which, err) end
    lbs[which] = lb
  end
  -- Answers prepared by dojo carry Kaggle's Usage column (Public / Private rows).
  local split_column
  local f = io.open(answers, "rb")
  if f then
    local head = f:read("*l") or ""
    f:close()
    for name in (head .. ","):gmatch("([^,]*),") do
      if name:gsub('"', "") == "Usage" then split_column = "Usage" end
    end
  end
  local g = self.grading or {}
  return {
    split_column = split_column,
    -- MLE-bench's medals rank against human teams; a reference ladder has none
    medals = not (self.leaderboard and self.leaderboard.kind == "reference ladder"),
    metric = self.metric, metric_params = self.metric_params, id_column = self.id_column,
    target_columns = self.target_columns, labels = self.labels, class_columns = self.class_columns,
    submission_columns = self.submission_columns, higher_is_better = self.higher_is_better,
    answers = answers, leaderboards = lbs,
    adapt_answers = self.adapt_answers, adapt_submission = self.adapt_submission,
    aux_columns = g.aux_columns, ignored_columns = g.ignored_columns, open_labels = g.open_labels,
  }
end

return M
