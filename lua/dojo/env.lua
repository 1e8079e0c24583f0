-- dojo.env: the Gym-style environment.
--
--   local env = assert(dojo.make("titanic", { output_dir = "/tmp/run1", max_steps = 10 }))
--   local obs, info = env:reset({ seed = 1 })
--   local obs, reward, terminated, truncated, info = env:step("execute_code", { code = src })
--   env:close()
--
-- Theory of operation. make() loads the competition definition, prepares its data when it
-- is not yet (dojo.prepare), and lays out the run directory:
--
--   OUT/trajectory.jsonl, summary.json     the record (dojo.history), OUT mode 0700
--   OUT/code_N.py, submission_N.csv        every executed program and what it submitted
--   WORK/                                  the agent code's working directory (read-write),
--                                          $TMPDIR/dojo-work-*: a path every uid can walk,
--                                          because Python's process pools (joblib/loky,
--                                          multiprocessing spawn) chdir to it by its full
--                                          path, which the box's uid could not do below a
--                                          0700 run directory or a home directory; removed
--                                          when the env is closed
--   WORK/data/                             a copy of the public data, owned by us: the box
--                                          can read it, not change it
--
-- Each step runs one action (dojo.actions) and turns its result into the observation text
-- with the feedback policy (dojo.feedback). Code runs in the kernel's sandbox with the work
-- dir as cwd; it can read the public data and nothing of the private answers, the run
-- directory or the host. A submission is graded against the answers, which carry Kaggle's
-- Usage column: the public part's score and public-leaderboard position are shown at every
-- step; the private part's score is revealed when the episode ends (or always, with
-- scores = "all"), so an agent cannot tune on its final grade.
--
-- The episode truncates when the steps or the time budget run out; the final result is
-- then the best step by public score (ties: the earliest), graded on the private part,
-- with its position and medal. The Gymnasium 5-tuple is returned by every step; MLE-Dojo
-- returns two values and never ends an episode.
local core = require "dojo.core"
local json = require "dojo.json"
local competition = require "dojo.competition"
local prepare = require "dojo.prepare"
local grade = require "dojo.grade"
local sandbox = require "dojo.sandbox"
local actions = require "dojo.actions"
local feedback = require "dojo.feedback"
local history = require "dojo.history"
local options = require "dojo.options"

local M = {}

local Env = {}
Env.__index = Env

-- Options of dojo.make, their types and defaults.
local OPTIONS = {
  data_root = "string", competitions = "string", output_dir = "string", max_steps = "number",
  time_budget = "number", exec_time = "number", exec_memory = "number", validate_time = "number",
  reward = "string", scores = "string", feedback = "string", interpreter = "string", seed = "number",
  prepare = "boolean", sandbox = "table", sync = "boolean",
}
M.DEFAULTS = {
  max_steps = 20, exec_time = 600, exec_memory = 4096, validate_time = 10, reward = "position",
  scores = "public", feedback = "base", interpreter = "/usr/bin/python3",
}
-- What the agent's code is told: paths relative to its working directory (see Env:policy).
M.DATA_REL, M.SUBMISSION_REL = "./data", "./submission.csv"
local REWARDS = { position = true, raw = true, improvement = true }
local SCORES = { public = true, all = true }

local function check(ok, err)
  if not ok then error(err, 0) end
  return ok
end

local function option_error(fmt, ...) return nil, "environment option " .. string.format(fmt, ...) end

local function check_options(opts)
  local ok, err = options.check(opts, OPTIONS, { positive = true })
  if not ok then return nil, "environment: " .. err end -- "environment: unknown option 'x' (known: ...)"
  if opts.reward and not REWARDS[opts.reward] then
    return option_error("reward must be position, raw or improvement, not '%s'", opts.reward)
  end
  if opts.scores and not SCORES[opts.scores] then
    return option_error("scores must be public or all, not '%s'", opts.scores)
  end
  return true
end

local function timestamp()
  return os.date("!%Y%m%d-%H%M%S")
end

local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  local pwd = os.getenv("PWD")
  if not pwd or pwd == "" then
    local p = io.popen and io.popen("pwd")
    pwd = p and p:read("*l") or "."
    if p then p:close() end
  end
  return pwd .. "/" .. path
end

-- make(name, opts) -> env | nil, message
function M.make(name, opts)
  if type(name) ~= "string" or name == "" then return nil, "a competition name is required" end
  if opts ~= nil and type(opts) ~= "table" then return nil, "environment options must be a table (a JSON object)" end
  opts = opts or {}
  local ok, err = check_options(opts)
  if not ok then return nil, err end
  local comp
  comp, err = competition.load(name, opts)
  if not comp then return nil, err end
  local o = {}
  for k, v in pairs(M.DEFAULTS) do o[k] = v end
  for k, v in pairs(opts) do o[k] = v end
  if comp.limits then
    if not opts.exec_time and comp.limits.time then o.exec_time = comp.limits.time end
    if not opts.exec_memory and comp.limits.memory then o.exec_memory = comp.limits.memory end
  end
  if comp.interpreter and not opts.interpreter then o.interpreter = comp.interpreter end
  o.max_steps = math.floor(o.max_steps)
  local fbk
  fbk, err = feedback.get(o.feedback)
  if not fbk then return nil, err end
  local root = absolute(competition.data_root(opts))
  if comp.not_gradable then
    return nil, string.format("competition %s cannot be graded by dojo: %s", name, comp.not_gradable)
  end
  -- Data: prepared on first use (a catalog competition's data comes from MLE-Dojo or MLE-bench).
  if comp.catalog and not comp:private_dir(root) then
    return nil, string.format("competition %s has no prepared data under %s; %s", name, root,
                              require("dojo.catalog").prepare_hint(name, root))
  end
  if not prepare.is_prepared(root, name) and not comp:private_dir(root) then
    if opts.prepare == false then
      return nil, string.format("competition %s is not prepared under %s; run 'dojo prepare %s'", name, root, name)
    end
    local m, perr = prepare.prepare(comp, root, { seed = opts.seed })
    if not m then return nil, perr end
  end
  local spec
  spec, err = comp:grading_spec(root)
  if not spec then return nil, err end
  local public
  for _, rel in ipairs { "/public", "/data/public", "/prepared/public" } do
    if core.path_stat(root .. "/" .. name .. rel) == "dir" then public = root .. "/" .. name .. rel break end
  end
  if not public then return nil, string.format("competition %s has no public data under %s/%s", name, root, name) end
  local out = absolute(o.output_dir or ("runs/" .. name .. "-" .. timestamp()))
  local work = M.work_dir(name)
  local self = setmetatable({
    name = name, comp = comp, spec = spec, opts = o, feedback = fbk, data_root = root,
    paths = { out = out, work = work, data = work .. "/data", public = public,
              submission = work .. "/submission.csv" },
    limits = { time = o.exec_time, memory = o.exec_memory, validate_time = math.min(o.validate_time, o.exec_time) },
    steps = 0, executions = 0, episode = 0, started = false, done = false,
  }, Env)
  ok, err = core.dir_make(out, 448) -- 0700: the record is ours, not the box's
  if not ok then return nil, "cannot create the output directory: " .. err end
  if core.path_stat(out .. "/trajectory.jsonl") then
    return nil, string.format("%s already holds a trajectory; choose another output directory", out)
  end
  ok, err = self:reset_workdir()
  if not ok then return nil, err end
  self.history = history.open(out, { sync = o.sync })
  return self
end

-- A fresh, unique working directory under $TMPDIR (else /tmp), see the header.
function M.work_dir(name)
  local base = os.getenv("TMPDIR")
  if not base or base == "" or not core.path_stat(base) then base = "/tmp" end
  local t = os.tmpname() -- a unique name (the file it creates is removed)
  os.remove(t)
  return string.format("%s/dojo-work-%s-%s", base, name, t:match("([^/]+)$"))
end

-- The work dir, empty but for a fresh copy of the public data.
function Env:reset_workdir()
  local p = self.paths
  local ok, err = core.tree_remove(p.work)
  if not ok then return nil, "cannot clear the work directory: " .. err end
  ok, err = core.dir_make(p.data, 493)
  if not ok then return nil, "cannot create the work directory: " .. err end
  ok, err = core.dir_make(p.work, 493)
  if not ok then return nil, err end
  local names = core.dir_list(p.public) or {}
  local files = {}
  for _, f in ipairs(names) do
    if core.path_stat(p.public .. "/" .. f) == "file" then
      ok, err = core.file_copy(p.public .. "/" .. f, p.data .. "/" .. f)
      if not ok then return nil, "cannot copy the public data: " .. err end
      files[#files + 1] = f
    end
  end
  self.data_files = files
  return true
end

---------------------------------------------------------------------------------------------
-- Information for the agent

local function file_size(path)
  local kind, size = core.path_stat(path)
  return kind and size or nil
end

local function human_bytes(n)
  if not n then return "?" end
  if n < 1024 then return n .. " B" end
  if n < 1048576 then return string.format("%.1f KB", n / 1024) end
  return string.format("%.1f MB", n / 1048576)
end

-- Columns of a CSV of the public data: name, type, missing count (from the first 100,000 rows).
function Env:csv_columns(file)
  self.column_cache = self.column_cache or {}
  if self.column_cache[file] then return self.column_cache[file] end
  local reader = require("dojo.table").open(self.paths.public .. "/" .. file)
  if not reader then return nil end
  local t = reader:next(100000)
  local rows = t and t.nrows or 0
  local total = rows
  if t then
    while true do
      local more = reader:next(1000000)
      if not more then break end
      total = total + more.nrows
      more:close()
    end
  end
  reader:close()
  if not t then return nil end
  local cols = {}
  for i, n in ipairs(t:names()) do
    local c = t:column(i)
    cols[i] = { name = n, type = c.type, missing = c.nmissing }
  end
  t:close()
  local info = { columns = cols, rows = total, sampled = rows }
  self.column_cache[file] = info
  return info
end

local function names_of(info)
  local out = {}
  for i, c in ipairs(info.columns) do out[i] = c.name end
  return out
end

function Env:info_text(kind)
  local comp, p = self.comp, self.paths
  if kind == "overview" then
    local text = core.file_read(p.public .. "/description.md") or core.file_read(p.public .. "/description.txt")
    if not text and comp.catalog then text = require("dojo.catalog").overview(comp) end
    return text or string.format("%s: predict %s from the data; metric %s (%s is better).", comp.title or comp.name,
                                 table.concat(comp.target_columns or {}, ", "), comp.metric,
                                 comp.higher_is_better and "higher" or "lower")
  elseif kind == "name" then
    return comp.name
  elseif kind == "data_path" then
    return M.DATA_REL
  elseif kind == "output_path" then
    return M.SUBMISSION_REL
  elseif kind == "sample_submission" then
    local path = p.public .. "/sample_submission.csv"
    local text = core.file_read(path)
    if not text then return "This competition has no sample submission." end
    local lines, n = {}, 0
    for line in text:gmatch("[^\n]*") do
      n = n + 1
      if n <= 6 then lines[#lines + 1] = line end
    end
    local info = self:csv_columns("sample_submission.csv")
    return string.format("sample_submission.csv (%d rows; columns %s), first lines:\n%s", info and info.rows or 0,
                         info and table.concat(names_of(info), ", ") or "?", table.concat(lines, "\n"))
  elseif kind == "data_structure" then
    local out = { "Files in " .. M.DATA_REL .. " (read-only):" }
    for _, f in ipairs(self.data_files) do
      local line = string.format("- %s (%s)", f, human_bytes(file_size(p.public .. "/" .. f)))
      if f:match("%.csv$") or f:match("%.csv%.gz$") then
        local info = self:csv_columns(f)
        if info then
          local cols = {}
          for _, c in ipairs(info.columns) do
            cols[#cols + 1] = c.name .. ":" .. c.type .. (c.missing > 0 and string.format(" (%d missing)", c.missing) or "")
          end
          line = line .. string.format(", %d rows; columns: %s", info.rows, table.concat(cols, ", "))
        end
      end
      out[#out + 1] = line
    end
    return table.concat(out, "\n")
  elseif kind == "metadata" then
    local lb = comp.leaderboard or {}
    return assert(json.encode({
      name = comp.name, title = comp.title, modality = comp.modality, task = comp.task, metric = comp.metric,
      metric_params = comp.metric_params, higher_is_better = comp.higher_is_better, id_column = comp.id_column,
      target_columns = comp.target_columns, leaderboard = lb.kind or "kaggle", leaderboard_note = lb.note,
      limits = { exec_time_s = self.limits.time, exec_memory_mb = self.limits.memory, max_steps = self.opts.max_steps,
                 time_budget_s = self.opts.time_budget },
      data_path = M.DATA_REL, submission_path = M.SUBMISSION_REL, working_dir = p.work,
      interpreter = self.opts.interpreter,
    }, { indent = 2 }))
  end
  return nil
end

-- The first observation: the task and how to act.
function Env:task_text()
  local comp = self.comp
  local acts = {}
  for _, n in ipairs(actions.list()) do
    local a = actions.get(n)
    acts[#acts + 1] = string.format("- %s: %s", n, a.description)
  end
  local lb = comp.leaderboard or {}
  return table.concat({
    string.format("Competition: %s (%s)", comp.title or comp.name, comp.name),
    string.format("Goal: predict %s; metric %s (%s is better)%s.", table.concat(comp.target_columns or {}, ", "), comp.metric,
                  comp.higher_is_better and "higher" or "lower",
                  lb.kind == "reference ladder" and "; positions are on a reference ladder of dojo's own solutions, not human teams" or ""),
    string.format("Your code runs with %s in a working directory of its own; the data is in %s there (read-only) " ..
                  "and the submission must be written to %s. Use these relative paths.", self.opts.interpreter,
                  M.DATA_REL, M.SUBMISSION_REL),
    string.format("Limits: %d steps%s; each execution at most %g s and %g MB; no network.", self.opts.max_steps,
                  self.opts.time_budget and string.format(", %g s in all", self.opts.time_budget) or "",
                  self.limits.time, self.limits.memory),
    "Each graded submission reports its public score and public-leaderboard position; the private score is revealed at the end.",
    "Actions:",
    table.concat(acts, "\n"),
  }, "\n")
end

function Env:history_text()
  local lines = {}
  for _, s in ipairs(self.history.steps) do
    if s.action and s.episode == self.episode then
      local line = string.format("step %d: %s %s", s.step, s.action, s.status)
      if s.exec_status then line = line .. " (code " .. s.exec_status .. ")" end
      if s.public_score then
        line = line .. string.format(", public score %.6g", s.public_score)
        if s.position then line = line .. string.format(", position %d/%d", s.position.position, s.position.total) end
      elseif s.error then
        line = line .. ": " .. s.error
      end
      lines[#lines + 1] = line
    end
  end
  if #lines == 0 then return "No steps yet." end
  return table.concat(lines, "\n")
end

---------------------------------------------------------------------------------------------
-- Running code

-- A plain write (no fsync): for the work dir's copy of a program and the archive of it,
-- whose durable copy is the trajectory's record of the step.
local function save(path, data)
  local f, err = io.open(path, "wb")
  if not f then error("cannot write " .. path .. ": " .. tostring(err), 0) end
  local ok, werr = f:write(data)
  f:close()
  if not ok then error("cannot write " .. path .. ": " .. tostring(werr), 0) end
end

-- A file of ours in the work dir, which the agent's code shares: whatever sits at that name
-- (a symbolic link to a host file, a directory) is removed first, never followed, so the
-- write cannot land outside the work dir. No box runs meanwhile: nothing can put it back.
local function place(path, data)
  core.tree_remove(path)
  save(path, data)
end

local function python_string(s)
  return "'" .. s:gsub("\\", "\\\\"):gsub("'", "\\'"):gsub("\n", "\\n") .. "'"
end

-- The sandbox policy for a run of `script` (a file in the work dir). The interpreter gets
-- the script as /proc/self/cwd/SCRIPT: Python makes a script argument absolute and opens it
-- by that path, which fails for the box's uid when a parent of the work dir is not
-- searchable by it (a run directory under /root); the box enters the work dir before it
-- drops privileges, and /proc/self/cwd leads straight there, whatever the parents. The name
-- is also the same wherever the run directory is, so tracebacks in trajectories do not
-- carry the host's paths. Where /proc is missing, a launcher passed with -c reads and
-- compiles the script by its relative name instead; it costs about 2 ms a run more (the
-- first compile() of a Python process builds the ast module's types).
local proc_cwd
function Env:policy(script, time)
  local extra = self.opts.sandbox or {}
  local ncpu = (core.probe().ncpu or 1)
  if proc_cwd == nil then proc_cwd = core.path_stat("/proc/self/cwd/.") == "dir" end
  local argv
  if proc_cwd then
    argv = { self.opts.interpreter, "/proc/self/cwd/" .. script }
  else
    argv = { self.opts.interpreter, "-c", string.format("import sys; sys.argv = [%s]; __file__ = %s; " ..
                                                       "exec(compile(open(%s, 'rb').read(), %s, 'exec'))",
                                                       python_string(script), python_string(script),
                                                       python_string(script), python_string(script)) }
  end
  local pol = {
    cmd = self.opts.interpreter, argv = argv, cwd = self.paths.work,
    wall = time, time = time * math.max(1, ncpu), memory = self.limits.memory,
    read = { self.paths.public }, env = { PYTHONHASHSEED = tostring(self.seed or 0), DOJO_SEED = tostring(self.seed or 0) },
    output = 256,
  }
  for k, v in pairs(extra) do pol[k] = v end
  return pol
end

-- Whether the boxes run under a uid of their own (root, the uid layer not disabled).
function Env:box_has_own_uid()
  if not core.probe().is_root then return false end
  for _, layer in ipairs((self.opts.sandbox or {}).disable or {}) do
    if layer == "uid" then return false end
  end
  return true
end

local function run_box(pol)
  local ok, r, err = pcall(sandbox.run, pol)
  if not ok then return nil, tostring(r) end
  if not r then return nil, err end
  return r
end

-- Checks the syntax of the script in the box (the interpreter's own parser).
function Env:syntax_check(script)
  local checker = ".dojo_syntax.py"
  local path = self.paths.work .. "/" .. checker
  place(path, "import sys\nsrc = open(" .. python_string(script) .. ", 'rb').read()\n" ..
                              "try:\n    compile(src, " .. python_string(script) .. ", 'exec')\n" ..
                              "except SyntaxError as e:\n    import traceback\n" ..
                              "    sys.stderr.write(''.join(traceback.format_exception_only(type(e), e)))\n    sys.exit(1)\n")
  local r, err = run_box(self:policy(checker, 10))
  os.remove(path)
  if not r then return nil, err end
  if r.status == "RE" then return false, r.stderr end
  if r.status ~= "OK" then return nil, "the syntax check failed: " .. (r.message or r.status) end
  return true
end

local function strip_exec(r)
  return { status = r.status, exit_code = r.exit_code, signal = r.signal, wall_s = r.wall_s, cpu_s = r.cpu_s,
           max_rss_kb = r.max_rss_kb, output_bytes = r.output_bytes, stdout = r.stdout, stderr = r.stderr,
           message = r.message }
end

-- run_code(code, "validate" | "execute") -> action result
function Env:run_code(code, mode)
  local p = self.paths
  if #code == 0 then return { status = "FAILED", error = "the code is empty" } end
  if mode == "validate" then
    local script = ".validate.py"
    place(p.work .. "/" .. script, code)
    local ok, serr = self:syntax_check(script)
    if ok == nil then return { status = "FAILED", error = serr } end
    if not ok then
      os.remove(p.work .. "/" .. script)
      return { status = "FAILED", syntax_error = serr }
    end
    -- the submission that exists now is put back after the run
    local keep = p.out .. "/.submission.keep"
    local had = core.path_stat(p.submission) == "file" and core.file_copy(p.submission, keep, 0, false)
    local r, err = run_box(self:policy(script, self.limits.validate_time))
    os.remove(p.work .. "/" .. script)
    core.tree_remove(p.submission)
    if had then check(core.file_copy(keep, p.submission, 0, false)) os.remove(keep) end
    if not r then return { status = "FAILED", error = err } end
    local e = strip_exec(r)
    -- running out of the short validation time is not a failure of the code
    local passed = r.status == "OK" or (r.status == "TO" and r.wall_s >= self.limits.validate_time * 0.9)
    if r.status == "TO" then
      e.message = string.format("stopped after the %g s validation run (no error so far)", self.limits.validate_time)
    end
    return { status = passed and "SUCCESS" or "FAILED", exec = e }
  end
  self.executions = self.executions + 1
  local n = self.executions
  local script = string.format("code_%d.py", n)
  save(p.out .. "/" .. script, code)
  -- The work dir's copy is a second name of the archive when the box runs under a uid of its
  -- own (it cannot write our 0644 file, only remove its name): a new file costs 0.1-0.3 ms
  -- on a busy ext4, a link a few microseconds. Otherwise a copy, which the box may change.
  core.tree_remove(p.work .. "/" .. script) -- see place
  if not (self:box_has_own_uid() and core.file_link(p.out .. "/" .. script, p.work .. "/" .. script)) then
    save(p.work .. "/" .. script, code)
  end
  core.tree_remove(p.submission)
  -- an execution never runs past the episode's time budget
  local limit = self.limits.time
  if self.opts.time_budget then
    limit = math.max(0.1, math.min(limit, self.opts.time_budget - (core.clock() - self.t0)))
  end
  local r, err = run_box(self:policy(script, limit))
  if not r then return { status = "FAILED", error = err, code_file = script } end
  local res = { status = r.status == "OK" and "SUCCESS" or "FAILED", exec = strip_exec(r), code_file = script }
  local kind = core.path_stat(p.submission)
  if kind then
    local archived = p.out .. string.format("/submission_%d.csv", n)
    -- Moved, not copied (a rename when the file has a single name: no new file to write;
    -- the next run would remove it from the work dir anyway), not fsync'd (the step's
    -- durable record is the trajectory line, with the scores).
    local ok, cerr = core.file_move(p.submission, archived, grade.MAX_SUBMISSION_BYTES)
    if not ok then
      res.submission = { status = "FAILED", error = { type = "InvalidSubmission", message = cerr } }
    else
      res.submission_file = archived:match("[^/]+$")
      local tg = core.clock()
      if not self.answers then
        self.answers = require("dojo.table").read(self.spec.answers)
        self.answer_indexes = {} -- built by the first grade, kept until close
      end
      res.submission = grade.grade(self.spec, archived, { answers = self.answers, index_cache = self.answer_indexes })
      res.grade_s = core.clock() - tg
    end
    if res.submission.status ~= "SUCCESS" then res.status = "FAILED" end
  end
  return res
end

---------------------------------------------------------------------------------------------
-- The episode

-- The observation's context for the feedback policy.
function Env:feedback_ctx()
  local env = self
  local ctx = {
    step = self.steps, max_steps = self.opts.max_steps, best = self.best, competition = self.comp,
    limits = self.limits, show_private = self.opts.scores == "all", higher_is_better = self.comp.higher_is_better,
    submission_path = M.SUBMISSION_REL, data_dir = M.DATA_REL,
  }
  if self.opts.time_budget then ctx.time_left = self.opts.time_budget - (core.clock() - self.t0) end
  function ctx.data_files() return env.data_files end
  function ctx.columns()
    local out = {}
    for _, f in ipairs(env.data_files) do
      if f:match("%.csv$") then
        local info = env:csv_columns(f)
        if info then out[#out + 1] = { file = f, names = names_of(info) } end
      end
    end
    return out
  end
  function ctx.sample_columns()
    local info = env:csv_columns("sample_submission.csv")
    return info and names_of(info) or {}
  end
  function ctx.missing_columns()
    local info = env:csv_columns("train.csv")
    local out = {}
    for _, c in ipairs(info and info.columns or {}) do if c.missing > 0 then out[#out + 1] = c.name end end
    return out
  end
  function ctx.packages() return M.python_packages(env.opts.interpreter) end
  return ctx
end

-- The third-party Python packages the interpreter can import (once per process, for hints).
local package_cache = {}
function M.python_packages(interp)
  if package_cache[interp] then return package_cache[interp] end
  local r = run_box({ cmd = interp, argv = { interp, "-c",
    "import pkgutil, sys\nstd = set(sys.stdlib_module_names)\n" ..
    "print('\\n'.join(sorted({m.name for m in pkgutil.iter_modules() if not m.name.startswith('_') and m.name not in std})))" },
    wall = 30, time = 30, output = 256 })
  local list = {}
  if r and r.status == "OK" then
    for name in r.stdout:gmatch("[^\n]+") do list[#list + 1] = name end
  end
  package_cache[interp] = list
  return list
end

local function better(a, b, hib)
  if b == nil then return true end
  if hib then return a > b end
  return a < b
end

function Env:reset(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("reset options must be a table", 2) end
  for k in pairs(opts) do
    if k ~= "seed" then error(string.format("reset option '%s' is unknown (known: seed)", tostring(k)), 2) end
  end
  if self.started and not self.finished then self:finish("reset") end
  self.episode = self.episode + 1
  self.seed = opts.seed or self.opts.seed or 0
  self.steps, self.best, self.done, self.finished, self.final = 0, nil, false, false, nil
  self.started = true
  self.t0 = core.clock()
  self.started_at = core.time()
  if self.episode > 1 then check(self:reset_workdir()) end
  local text = self:task_text()
  self.history:append({ kind = "reset", episode = self.episode, seed = self.seed, competition = self.name,
                        observation = text, time = self.started_at })
  local obs = { feedback = text, action = "reset", status = "SUCCESS" }
  return obs, self:info()
end

function Env:info()
  local info = {
    competition = self.name, metric = self.comp.metric, higher_is_better = self.comp.higher_is_better,
    step = self.steps, max_steps = self.opts.max_steps, episode = self.episode,
    data_path = M.DATA_REL, submission_path = M.SUBMISSION_REL, working_dir = self.paths.work,
    output_dir = self.paths.out,
    actions = actions.list(),
  }
  if self.opts.time_budget and self.t0 then
    info.time_left = math.max(0, self.opts.time_budget - (core.clock() - self.t0))
  end
  if self.best then info.best = self.best end
  return info
end

-- The final result: the best step by public score, graded on the private part.
function Env:final_result(reason)
  local final = { reason = reason, steps = self.steps, elapsed_s = core.clock() - self.t0 }
  local b = self.best
  if b then
    final.step, final.public_score, final.private_score, final.raw_score = b.step, b.public_score, b.private_score, b.raw_score
    final.position, final.medal, final.above_median = b.position_all, b.medal, b.above_median
    final.submission_file = b.submission_file
  else
    final.submitted = false
  end
  return final
end

-- Ends the episode: the final result is recorded and summary.json written.
function Env:finish(reason, final)
  if self.finished then return self.final end
  self.finished, self.done = true, true
  final = final or self:final_result(reason)
  self.final = final
  self.history:append({ kind = "final", episode = self.episode, final = final })
  self:write_summary()
  return final
end

-- (Re)writes summary.json from the episode's final result (dojo.run adds the agent's
-- account of itself, self.agent_summary, once the agent is done).
function Env:write_summary()
  local final = self.final
  local summary = {
    competition = self.name, title = self.comp.title, metric = self.comp.metric,
    higher_is_better = self.comp.higher_is_better, leaderboard = (self.comp.leaderboard or {}).kind or "kaggle",
    episode = self.episode, seed = self.seed, steps = self.steps, max_steps = self.opts.max_steps,
    elapsed_s = final.elapsed_s, final = final, dojo = core.version(),
    options = { exec_time = self.limits.time, exec_memory = self.limits.memory, reward = self.opts.reward,
                scores = self.opts.scores, feedback = type(self.opts.feedback) == "string" and self.opts.feedback or "custom",
                time_budget = self.opts.time_budget, interpreter = self.opts.interpreter },
    trajectory = self.paths.out .. "/trajectory.jsonl", work_dir = self.paths.work,
    agent = self.agent_summary,
  }
  self.summary_path = self.history:write_summary(summary)
  return self.summary_path
end

-- step(action, args [, note]) -> obs, reward, terminated, truncated, info
-- note: the agent's account of how it chose the action (its model's reply, tokens, cost),
-- kept with the step's record.
function Env:step(name, args, note)
  if not self.started then error("call env:reset() before env:step()", 2) end
  if self.done then
    local obs = { action = tostring(name), status = "FAILED", feedback = "The episode is over; call reset to start another." }
    local info = self:info()
    info.final = self.final
    return obs, 0, false, true, info
  end
  self.steps = self.steps + 1
  local t_start = core.clock()
  local a, err = actions.get(name)
  local r
  if a then
    local cargs
    cargs, err = actions.check_args(a, args)
    if cargs then
      local ok, res = pcall(a.run, self, cargs)
      if ok and type(res) == "table" then r = res
      elseif ok then r = { status = "FAILED", error = "action " .. a.name .. " returned no result" }
      else r = { status = "FAILED", error = "action " .. a.name .. " failed: " .. tostring(res) } end
    else
      r = { status = "FAILED", error = err }
    end
  else
    r = { status = "FAILED", error = err }
  end
  r.action = tostring(name)
  r.status = r.status or "SUCCESS"
  -- Scores and reward.
  local reward = 0
  local s = r.submission
  local graded = s and s.status == "SUCCESS"
  local pub_pos = graded and s.position and s.position.public
  if graded then
    local ps = s.public_score or s.raw_score
    local prev = self.best
    if better(ps, prev and prev.public_score, self.comp.higher_is_better) then
      self.best = { step = self.steps, public_score = ps, private_score = s.private_score or s.raw_score,
                    raw_score = s.raw_score, position = pub_pos, position_all = s.position, medal = s.medal,
                    above_median = s.above_median, submission_file = r.submission_file }
    end
    if self.opts.reward == "position" then
      reward = pub_pos and pub_pos.score or 0
    elseif self.opts.reward == "raw" then
      reward = ps
    else
      local before = prev and prev.position and prev.position.score or 0
      reward = math.max(0, (pub_pos and pub_pos.score or 0) - before)
    end
  end
  -- Budgets.
  local elapsed = core.clock() - self.t0
  local truncated = self.steps >= self.opts.max_steps or (self.opts.time_budget ~= nil and elapsed >= self.opts.time_budget)
  local t_fb = core.clock()
  local action_s = t_fb - t_start
  local ctx = self:feedback_ctx()
  local text = self.feedback(r, ctx)
  local final
  if truncated then
    final = self:final_result(self.steps >= self.opts.max_steps and "max_steps" or "time_budget")
    text = text .. "\n" .. M.final_text(final, self.comp)
  end
  -- Observation: the text and the facts an agent program may want without parsing it.
  local obs = { action = r.action, status = r.status, feedback = text }
  if r.exec then obs.exec_status = r.exec.status end
  if r.text then obs.text = r.text end
  if graded then
    obs.public_score = s.public_score or s.raw_score
    obs.position = pub_pos
    if self.opts.scores == "all" then obs.private_score = s.private_score end
  elseif s then
    obs.submission_error = s.error and s.error.message
  end
  if r.error then obs.error = r.error end
  -- The record: everything, including what the agent does not see (the private score).
  local rec = {
    kind = "step", episode = self.episode, step = self.steps, action = r.action, args = args, status = r.status,
    reward = reward, feedback = text, error = r.error, syntax_error = r.syntax_error, info_type = r.info_type,
    code_file = r.code_file, submission_file = r.submission_file, elapsed_s = elapsed,
    step_s = core.clock() - t_start, agent = note,
  }
  if r.exec then
    local e = r.exec
    rec.exec_status, rec.exec = e.status, { exit_code = e.exit_code, signal = e.signal, wall_s = e.wall_s,
                                            cpu_s = e.cpu_s, max_rss_kb = e.max_rss_kb, output_bytes = e.output_bytes,
                                            message = e.message }
  end
  if s then
    rec.grade_status = s.status
    if graded then
      rec.public_score, rec.private_score, rec.raw_score = s.public_score, s.private_score, s.raw_score
      rec.position, rec.positions, rec.medal = pub_pos, s.position, s.medal
    else
      rec.grade_error = s.error and s.error.message
    end
  end
  local t_rec = core.clock()
  self.history:append(rec)
  if final then self:finish(final.reason, final) end
  local info = self:info()
  local t_end = core.clock()
  info.step_s = t_end - t_start
  -- where the step's time went: the action (for code: the sandboxed run, then grading), the
  -- feedback text, the record (appended and fsync'd)
  info.timing = { action_s = action_s, exec_wall_s = r.exec and r.exec.wall_s, grade_s = r.grade_s,
                  feedback_s = t_rec - t_fb, record_s = t_end - t_rec }
  if final then info.final = final end
  return obs, reward, false, truncated, info
end

function M.final_text(final, comp)
  if final.submitted == false then return "The episode is over. No submission was graded." end
  local parts = { string.format("The episode is over. Final submission: step %d (public score %.6g).", final.step,
                                final.public_score) }
  if final.private_score then parts[#parts + 1] = string.format("Private score %.6g.", final.private_score) end
  local pp = final.position and final.position.private
  if pp then
    parts[#parts + 1] = string.format("Private leaderboard: %s (position score %.4f)%s.", feedback.position(pp), pp.score,
                                      (comp.leaderboard or {}).kind == "reference ladder" and " on the reference ladder" or "")
  end
  if final.medal and final.medal ~= "none" then parts[#parts + 1] = "Medal: " .. final.medal .. "." end
  return table.concat(parts, " ")
end

function Env:close()
  if self.closed then return end
  if self.started and not self.finished then self:finish("closed") end
  self.closed = true
  core.tree_remove(self.paths.work) -- scratch: code and submissions are archived in OUT
  for _, idx in pairs(self.answer_indexes or {}) do idx:close() end
  self.answer_indexes = nil
  if self.answers then self.answers:close() self.answers = nil end
end

Env.__close = Env.close

M.Env = Env
return M
