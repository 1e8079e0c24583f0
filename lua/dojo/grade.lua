-- dojo.grade: judging a submission — validation, alignment by id, the metric, HumanRank
-- position scores and medals.
--
-- The hot work is the kernel's: both CSV files are read by the C reader (the submission as
-- untrusted: no symbolic links, FIFOs or devices, a size cap), ids are joined through hash
-- indexes (the answers' rows gathered into the submission's order), and the metric runs on
-- the columns in place. A submission keyed by integer ids and scored by a metric the kernel
-- streams (roc_auc, mse, rmse, mae, rmsle, log_loss_multiclass; no parameters; with or
-- without a public/private split) is scored while it is read (score_stream: nothing stored,
-- no join); another one-column numeric submission keyed by integer ids is read straight
-- into the answers' order (read_aligned: no ids stored, no join). Whenever either does not take the file, or
-- anything after it fails, the ordinary path runs, so every check and message is the
-- ordinary path's. Lua decides what is checked and says what is wrong, in one sentence
-- naming the problem.
local core = require "dojo.core"
local dtable = require "dojo.table"
local metrics = require "dojo.metrics"

local M = {}

M.MAX_SUBMISSION_BYTES = 2 * 1024 * 1024 * 1024
local EXAMPLES = 5

---------------------------------------------------------------------------------------------
-- Leaderboards and HumanRank

-- A leaderboard: n teams, the score at each rank (best first) and the number of teams
-- strictly better than a score. From a full list of scores, or from 101 quantiles.
local Leaderboard = {}
Leaderboard.__index = Leaderboard

-- from_scores(scores, higher_is_better): any order; sorted best first here.
function M.leaderboard_from_scores(scores, higher_is_better)
  local s = {}
  for i, v in ipairs(scores) do
    if type(v) ~= "number" or v ~= v then
      return nil, string.format("leaderboard row %d has no numeric score", i)
    end
    s[i] = v
  end
  if #s == 0 then return nil, "the leaderboard is empty" end
  if higher_is_better then table.sort(s, function(a, b) return a > b end) else table.sort(s) end
  return setmetatable({ n = #s, scores = s, higher_is_better = higher_is_better }, Leaderboard)
end

-- from_quantiles(q, n, higher_is_better): q[1..101] the score quantiles at 0%, 1%, ..., 100%
-- (ascending, numpy's linear interpolation over n sorted scores), n the team count.
function M.leaderboard_from_quantiles(q, n, higher_is_better)
  if type(q) ~= "table" or #q ~= 101 then return nil, "a leaderboard needs 101 quantiles" end
  if type(n) ~= "number" or n < 1 then return nil, "a leaderboard needs its number of teams" end
  for i = 2, 101 do
    if not (q[i] >= q[i - 1]) then return nil, "leaderboard quantiles must be ascending" end
  end
  return setmetatable({ n = n, quantiles = q, higher_is_better = higher_is_better }, Leaderboard)
end

-- Reads a leaderboard CSV with a score column ("score", else the last numeric column).
function M.leaderboard_from_csv(path, higher_is_better)
  local t, err = dtable.read(path)
  if not t then return nil, "cannot read the leaderboard: " .. err end
  local col = t:has("score") and "score" or nil
  if not col then
    local names = t:names()
    for i = #names, 1, -1 do
      local ty = t:column(i).type
      if ty == "float" or ty == "int" then col = names[i] break end
    end
  end
  if not col then return nil, path .. " has no score column" end
  local c = t:column(col)
  if c.type == "string" then return nil, path .. ": the score column is not numeric" end
  local scores = {}
  for i = 1, c.n do
    local v = c[i]
    if v ~= nil and v == v then scores[#scores + 1] = v end
  end
  t:close()
  return M.leaderboard_from_scores(scores, higher_is_better)
end

-- The quantile curve at x in [0, 100] (percent), linear between the 101 points; exact at
-- the points themselves.
local function qcurve(q, x)
  local i = math.floor(x)
  if i >= 100 then return q[101] end
  if i < 0 then return q[1] end
  local a = q[i + 1]
  if x == i then return a end
  return a + (q[i + 2] - a) * (x - i)
end

-- The score of the team at rank r (1 = best). A quantile leaderboard stands for n scores
-- placed as numpy places quantiles: the j-th smallest (0-based) at x = 100 j / (n - 1).
function Leaderboard:score_at(r)
  local n = self.n
  r = math.max(1, math.min(n, r))
  if self.scores then return self.scores[r] end
  local j = self.higher_is_better and n - r or r - 1
  return qcurve(self.quantiles, n > 1 and 100 * j / (n - 1) or 100)
end

-- Whether score s meets leaderboard score v. Leaderboards hold scores rounded for display
-- (Kaggle's 0.00000 for a log loss of 2e-15) and kernels differ from Kaggle's in the last
-- bits (a Spearman of 0.9999999999999998), so a score within 1e-9 (relative) of v meets it.
local function meets(s, v, hib)
  local tol = 1e-9 * math.max(1, math.abs(v))
  if hib then return s >= v - tol end
  return s <= v + tol
end
M.meets = meets

-- Teams strictly better than score s: the first rank whose score s meets or beats, less
-- one (binary search; the scores are in best-first order).
function Leaderboard:better_than(s)
  local lo, hi = 1, self.n + 1
  local hib = self.higher_is_better
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local v = self:score_at(mid)
    local ok = meets(s, v, hib)
    if ok then hi = mid else lo = mid + 1 end
  end
  return lo - 1
end

function Leaderboard:median()
  if self.scores then
    local s, n = self.scores, self.n
    if n % 2 == 1 then return s[(n + 1) / 2] end
    return (s[n / 2] + s[n / 2 + 1]) / 2
  end
  return self.quantiles[51]
end

-- HumanRank (MLE-Dojo): p = the first rank whose score the submission meets or beats (N + 1
-- if none); position score (N - p + 1) / N.
function M.position(score, lb)
  local p = lb:better_than(score) + 1
  return { position = p, total = lb.n, score = (lb.n - p + 1) / lb.n }
end

-- MLE-bench's medal thresholds: the ranks whose scores must be met, by team count.
function M.medal_ranks(n)
  local int = math.floor
  local g, s, b
  if n < 100 then
    g, s, b = int(0.1 * n), int(0.2 * n), int(0.4 * n)
  elseif n < 250 then
    g, s, b = 10, int(0.2 * n), int(0.4 * n)
  elseif n < 1000 then
    g, s, b = 10 + int(0.002 * n), 50, 100
  else
    g, s, b = 10 + int(0.002 * n), int(0.05 * n), int(0.1 * n)
  end
  return math.max(1, g), math.max(1, s), math.max(1, b)
end

function M.medal(score, lb)
  local hib = lb.higher_is_better
  local function meets_rank(r) return meets(score, lb:score_at(r), hib) end
  local g, s, b = M.medal_ranks(lb.n)
  local medal = meets_rank(g) and "gold" or meets_rank(s) and "silver" or meets_rank(b) and "bronze" or "none"
  local med = lb:median()
  local above = (hib and score > med) or (not hib and score < med)
  return medal, above
end

---------------------------------------------------------------------------------------------
-- Validation and scoring

local Invalid = {}
local function invalid(fmt, ...) error(setmetatable({ msg = string.format(fmt, ...) }, Invalid), 0) end
-- For a spec's adapters (adapt_answers, adapt_submission): rejects the submission with a message.
M.reject = invalid

local function join(list, max)
  local out = {}
  for i = 1, math.min(#list, max or #list) do out[i] = tostring(list[i]) end
  local s = table.concat(out, ", ")
  if max and #list > max then s = s .. ", ..." end
  return s
end

local function ids_at(col, rows)
  local out = {}
  for i, r in ipairs(rows) do out[i] = tostring(col[r]) end
  return out
end

-- Which answer columns are values, and what kind of columns the submission must have.
-- spec: metric, id_column, target_columns (nil: every non-id answer column), labels
-- (classification label set, nil: from the answers), class_columns (proba metrics: the
-- submission's probability columns; nil: the target columns when the answers are one-hot,
-- else the distinct answer labels).
local function plan(spec, answers)
  local info = metrics.info(spec.metric)
  if not info then invalid("unknown metric '%s'", tostring(spec.metric)) end
  local id = spec.id_column or answers:names()[1]
  if not answers:has(id) then invalid("the answers have no id column '%s'", id) end
  local targets = spec.target_columns
  if not targets then
    targets = {}
    for _, n in ipairs(answers:names()) do
      if n ~= id and n ~= spec.split_column then targets[#targets + 1] = n end
    end
  end
  if #targets == 0 then invalid("the answers have no value column") end
  for _, t in ipairs(targets) do
    if not answers:has(t) then invalid("the answers have no column '%s'", t) end
  end
  local p = { info = info, id = id, targets = targets, sub_columns = spec.submission_columns or targets }
  -- Catalog options: answer columns the metric also reads (params.aux), submission columns
  -- that are allowed and ignored, and label metrics that accept any label.
  p.aux, p.ignored, p.open_labels = spec.aux_columns, spec.ignored_columns, spec.open_labels
  for _, c in ipairs(p.aux or {}) do
    if not answers:has(c) then invalid("the answers have no column '%s' (the metric needs it)", c) end
  end
  if info.kind == "proba" then
    if spec.class_columns then
      p.classes = spec.class_columns
      p.onehot = #targets > 1
    elseif #targets > 1 then
      p.classes, p.onehot = targets, true
    end
    -- else: one probability column per class, named by the label; the submission's header
    -- names the classes (read_submission), and a truth label no column names is an error.
    p.sub_columns = p.classes
  end
  return p
end

-- Whether tables a and b hold the same keys and values (flat).
local function same_keys(a, b)
  for k, v in pairs(a) do if b[k] ~= v then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- Reads the submission as untrusted input and checks its columns.
local function read_submission(path, p, opts)
  local ropts = { untrusted = true, max_file_bytes = opts.max_bytes or M.MAX_SUBMISSION_BYTES }
  local reader, err = dtable.open(path, ropts)
  if not reader then invalid("%s", err) end
  local head, herr = reader:next(1)
  reader:close()
  if not head then invalid("%s", herr or "the submission is empty") end
  local names = head:names()
  if not p.sub_columns then -- probability columns named by the labels: the header says which
    local classes = {}
    for _, n in ipairs(names) do if n ~= p.id then classes[#classes + 1] = n end end
    if #classes < 2 then
      invalid("the submission needs one probability column per class besides %s, found %d", p.id, #classes)
    end
    p.classes, p.sub_columns = classes, classes
  end
  -- Columns first, by name: missing and unexpected ones are named.
  local have, missing, extra = {}, {}, {}
  for _, n in ipairs(names) do have[n] = true end
  local want = { [p.id] = true }
  local expected = { p.id }
  for _, c in ipairs(p.sub_columns) do want[c] = true expected[#expected + 1] = c end
  for _, c in ipairs(p.ignored or {}) do want[c] = true end
  for _, c in ipairs(expected) do if not have[c] then missing[#missing + 1] = c end end
  for _, n in ipairs(names) do if not want[n] then extra[#extra + 1] = n end end
  if #missing > 0 or #extra > 0 then
    local parts = {}
    if #missing > 0 then parts[#parts + 1] = "missing column(s) " .. join(missing, 10) end
    if #extra > 0 then parts[#parts + 1] = "unexpected column(s) " .. join(extra, 10) end
    invalid("the submission has %s (expected %s)", table.concat(parts, " and "), join(expected, 12))
  end
  if head.nrows == 0 then invalid("the submission has no rows (only a header)") end
  head:close()
  -- Typed read: numbers must be numbers (the reader names the line and column otherwise).
  -- The id column keeps its inferred type: integer ids join fastest, "007" stays text.
  local numeric = p.info.kind == "numeric" or p.info.kind == "proba"
  ropts.types = {}
  for _, c in ipairs(p.sub_columns) do ropts.types[c] = numeric and "float" or "string" end
  local sub
  local pre = opts.pre -- read already, alongside the answers (score_files): used when its
  if pre and pre.table and same_keys(pre.types, ropts.types) -- options are these
     and pre.max_bytes == ropts.max_file_bytes then
    sub, pre.table = pre.table, nil
  else
    sub, err = dtable.read(path, ropts)
  end
  if not sub then invalid("%s", err) end
  return sub
end

-- The answers' index by the id column: from opts.index_cache when the caller keeps one for
-- these answers (an env grades every step against the same table: the index is built once
-- and the caller closes it), else built here. Returns the index and whether the caller of
-- this function must close it, or nil and a message.
local function answers_index(answers, id, opts)
  local cache = opts and opts.index_cache
  local idx = cache and cache[id]
  if idx then return idx, false end
  local err
  idx, err = answers:index(id)
  if not idx then return nil, err end
  if cache then cache[id] = idx return idx, false end
  return idx, true
end

-- A CSV file's header and first row read alone (a table the caller closes), or nil.
local function header_table(path, ropts)
  local r = dtable.open(path, ropts)
  if not r then return nil end
  local h = r:next(1)
  r:close()
  return h or nil
end

-- The names of a CSV file's columns, or nil.
local function header_names(path, ropts)
  local h = header_table(path, ropts)
  if not h then return nil end
  local names = h:names()
  h:close()
  return names
end

-- The submission's header when the answers' ids are integers with none missing and the
-- header starts with the id column (the kernel's scattered reads need both), else nil.
local function keyed_header(path, p, answers, opts)
  local kind = p.info.kind
  if opts.pre or (kind ~= "numeric" and kind ~= "proba") or not answers:has(p.id) then return nil end
  local idc = answers:column(p.id)
  if idc.type ~= "int" or idc.nmissing > 0 or answers.nrows == 0 then return nil end
  local ropts = { untrusted = true, max_file_bytes = opts.max_bytes or M.MAX_SUBMISSION_BYTES }
  local names = header_names(path, ropts)
  if not names or names[1] ~= p.id then return nil end
  return names, ropts
end

-- The clean case the kernel reads without a join: one column of numbers keyed by integer
-- ids -- the header exactly the id column and the one value column. Returns the read
-- options (untrusted, the value column forced to float), or nil. (Several value columns are
-- left to the join: each would be one more random write per row, and with ten probability
-- columns that costs more than the join saves.)
local function one_column(path, p, answers, opts)
  if not p.sub_columns or #p.sub_columns ~= 1 then return nil end
  local names, ropts = keyed_header(path, p, answers, opts)
  if not names or #names ~= 2 or names[2] ~= p.sub_columns[1] then return nil end
  ropts.types = { [names[2]] = "float" }
  return ropts
end

-- The same for a probability metric: the id column, then the class columns (in p.classes'
-- order when the plan names them, else whatever the header names: read_submission's rule).
local function class_columns(path, p, answers, opts)
  local names, ropts = keyed_header(path, p, answers, opts)
  if not names or #names < 3 then return nil end
  local classes = p.classes or {}
  if p.classes and #names ~= #classes + 1 then return nil end
  ropts.types = {}
  for i = 2, #names do
    local n = names[i]
    if (p.classes and classes[i - 1] ~= n) or ropts.types[n] or n == p.id then return nil end
    ropts.types[n] = "float"
  end
  return ropts
end

-- Whether score may stream a submission for this spec (metric info, number of targets).
local function streamable(spec, info, ntargets)
  return not spec.adapt_submission and not spec.aux_columns and info.builtin and ntargets == 1 and
         not (spec.metric_params and next(spec.metric_params)) and
         core.score_stream_metric(info.name)
end

-- The submission scored while it is read (idx:score_stream: nothing stored, no join), for
-- the clean case of one_column (class_columns for a probability metric) with a built-in
-- metric the stream computes, one target and no parameters; with Kaggle's split column the
-- public and private parts are scored in the same pass. Returns the score (and with a split
-- the part scores, as finish gives them); false when the stream read the file and did not
-- take it (the ordinary path must then find what is wrong); nil when it does not apply.
local function score_stream(path, p, spec, answers, opts)
  if not streamable(spec, p.info, #p.targets) then return nil end
  local ropts
  if p.info.kind == "proba" then ropts = class_columns(path, p, answers, opts)
  else ropts = one_column(path, p, answers, opts) end
  if not ropts then return nil end
  local col, split
  for i, n in ipairs(answers:names()) do
    if n == p.targets[1] then col = i end
    if n == spec.split_column then split = i end
  end
  if spec.split_column and not split then return nil end
  local idx, own = answers_index(answers, p.id, opts)
  if not idx then return nil end
  local v, public, private = idx:score_stream(p.info.name, col, path, ropts, split)
  if own then idx:close() end
  if not v then return false end
  return v, split and { public = public, private = private } or nil
end

-- The submission read straight into the answers' row order (idx:read_aligned), for the
-- clean case of one_column; nil whenever the kernel finds the file anything but clean, and
-- the caller then reads it the ordinary way, whose checks word the problem.
local function read_aligned(path, p, answers, opts)
  local ropts = one_column(path, p, answers, opts)
  if not ropts then return nil end
  local idx, own = answers_index(answers, p.id, opts)
  if not idx then return nil end
  local sub = idx:read_aligned(path, ropts)
  if own then idx:close() end
  return sub or nil
end

-- The answer columns scoring reads after the join: the targets, one-hot class columns and
-- the split column (the id is not carried).
local function needed_columns(p, spec, answers)
  local names, have = {}, {}
  local function add(n)
    if n and not have[n] and answers:has(n) then have[n] = true names[#names + 1] = n end
  end
  for _, t in ipairs(p.targets) do add(t) end
  if p.onehot then for _, c in ipairs(p.classes) do add(c) end end
  for _, c in ipairs(p.aux or {}) do add(c) end -- answer columns a metric also reads
  add(spec.split_column)
  return names
end

-- Joins the submission to the answers by id in one pass (dojo_index_align) and returns the
-- answers' rows in the submission's order (the columns scoring needs). Refuses empty ids,
-- duplicate ids, ids missing from the submission and ids the answers do not know, with
-- counts and examples.
local function align(p, spec, answers, sub, opts)
  local sub_id = sub:column(p.id)
  if sub_id.nmissing > 0 then
    local first
    for i = 1, sub_id.n do if sub_id:is_missing(i) then first = i break end end
    invalid("the submission has %d row(s) with an empty %s (the first is data row %d)", sub_id.nmissing, p.id, first)
  end
  local aidx, own = answers_index(answers, p.id, opts)
  if not aidx then invalid("the answers cannot be indexed by %s: %s", p.id, own) end
  local truth, st = aidx:join(sub_id, EXAMPLES, needed_columns(p, spec, answers))
  if own then aidx:close() end
  if truth == nil then invalid("%s", st) end
  if not truth then
    if st.duplicates > 0 then
      invalid("the submission has %d duplicate id(s) in %s, e.g. %s", st.duplicates, p.id,
              join(ids_at(sub_id, st.duplicate_rows)))
    end
    local parts = {}
    if st.missing > 0 then
      parts[#parts + 1] = string.format("%d id(s) of the answers are missing (e.g. %s)", st.missing,
                                        join(ids_at(answers:column(p.id), st.missing_rows)))
    end
    if st.unmatched > 0 then
      parts[#parts + 1] = string.format("%d id(s) are not in the answers (e.g. %s)", st.unmatched,
                                        join(ids_at(sub_id, st.unmatched_rows)))
    end
    invalid("the submission has %d rows but %d are expected: %s", sub.nrows, answers.nrows,
            table.concat(parts, "; "))
  end
  return truth
end

-- The distinct labels (as text) of an answers column, in order of appearance, and the set of
-- them: read once per answers table and column (an environment grades every step against
-- the same answers).
local answer_label_cache = setmetatable({}, { __mode = "k" })
local function answer_labels(answers, name)
  local per = answer_label_cache[answers]
  if not per then per = {} answer_label_cache[answers] = per end
  local got = per[name]
  if not got then
    local allowed, labels = {}, {}
    local vals, n = answers:column(name):totable()
    for i = 1, n do
      local v = vals[i]
      if v ~= nil then
        local k = tostring(v)
        if not allowed[k] then allowed[k] = true labels[#labels + 1] = k end
      end
    end
    got = { allowed, labels }
    per[name] = got
  end
  return got[1], got[2]
end

-- Values: finite numbers where numbers are needed, probabilities in [0, 1], labels from
-- the label set. Rows are named by the submission's id.
-- The range a submission's numbers must be in.
local function bounds(p)
  if p.info.kind == "proba" or p.info.name:match("^log_loss") then return 0, 1 end
  return -math.huge, math.huge
end

local function check_values(p, sub, answers)
  local kind = p.info.kind
  local id = sub:column(p.id)
  if kind == "numeric" or kind == "proba" then
    local lo, hi = bounds(p)
    for _, c in ipairs(p.sub_columns) do
      local col = sub:column(c)
      local r = col:first_bad(lo, hi)
      if r then
        local v = col[r]
        local what = v == nil and "is empty" or v ~= v and "is NaN" or (v == math.huge or v == -math.huge) and "is infinite"
                     or string.format("is %.17g, outside [%g, %g]", v, lo, hi)
        invalid("column %s %s for id %s", c, what, tostring(id[r]))
      end
    end
  end
  if kind == "labels" or kind == "text" then
    -- a "NaN" cell is what pandas writes for a missing value: the model produced nothing there
    for _, c in ipairs(p.sub_columns) do
      local vals, n = sub:column(c):totable()
      local fine = {} -- the texts already checked (a column holds few distinct labels)
      for i = 1, n do
        local v = vals[i]
        if type(v) == "string" and not fine[v] then
          if #v == 3 and v:lower() == "nan" then invalid("column %s is NaN for id %s", c, tostring(id[i])) end
          fine[v] = true
        end
      end
    end
  end
  if kind == "labels" then
    local allowed, labels = {}, p.labels
    if not labels then
      allowed, labels = answer_labels(answers, p.targets[1])
    else
      for _, l in ipairs(labels) do allowed[tostring(l)] = true end
    end
    local vals, n = sub:column(p.sub_columns[1]):totable()
    for i = 1, n do
      local v = vals[i]
      if v == nil then invalid("column %s is empty for id %s", p.sub_columns[1], tostring(id[i])) end
      if not allowed[v] and not p.open_labels then
        local sorted = {}
        for k, l in ipairs(labels) do sorted[k] = l end
        table.sort(sorted)
        invalid("column %s has the label '%s' for id %s, which is not one of: %s", p.sub_columns[1], v,
                tostring(id[i]), join(sorted, 20))
      end
    end
  end
end

-- Truth labels for proba metrics from one-hot answer columns (the column holding the largest value).
local function onehot_truth(p, truth)
  local cols = {}
  for i, c in ipairs(p.classes) do cols[i] = truth:column(c) end
  local y = {}
  for r = 1, truth.nrows do
    local best, arg = -math.huge, nil
    for j, c in ipairs(cols) do
      local v = c[r]
      if v ~= nil and v > best then best, arg = v, j end
    end
    y[r] = arg and p.classes[arg]
  end
  return y
end

-- The metric on the answers aligned to the submission (truth) and the submission's columns.
local function compute(p, spec, truth, sub)
  local kind = p.info.kind
  local params = {}
  for k, v in pairs(spec.metric_params or {}) do params[k] = v end
  if kind == "proba" then
    local cols = {}
    for i, c in ipairs(p.classes) do cols[i] = sub:column(c) end
    params.labels = p.classes
    local y = p.onehot and onehot_truth(p, truth) or truth:column(p.targets[1])
    return metrics.compute(p.info.name, y, cols, params)
  end
  if p.aux then
    params.aux = {}
    for _, c in ipairs(p.aux) do params.aux[c] = truth:column(c) end
  end
  if #p.targets == 1 and #p.sub_columns == 1 then
    return metrics.compute(p.info.name, truth:column(p.targets[1]), sub:column(p.sub_columns[1]), params)
  end
  local ys, ps = {}, {}
  for i, c in ipairs(p.targets) do ys[i] = truth:column(c) end
  for i, c in ipairs(p.sub_columns) do ps[i] = sub:column(c) end
  return metrics.compute(p.info.name, ys, ps, params)
end

-- The rows of the aligned answers in each part of a Kaggle split: the answers' split column
-- (spec.split_column, e.g. "Usage") says "Public" or "Private" per row.
local function split_rows(spec, truth)
  local vals, n = truth:column(spec.split_column):totable()
  local parts = { public = {}, private = {} }
  local partof = {} -- each value's part, looked up once
  for r = 1, n do
    local v = vals[r]
    local part = v ~= nil and partof[v]
    if not part then
      local which = v and tostring(v):lower()
      part = parts[which]
      if not part then
        invalid("the answers' %s column has '%s' for row %d; expected Public or Private", spec.split_column, tostring(v), r)
      end
      partof[v] = part
    end
    part[#part + 1] = r
  end
  return parts
end

-- The metric on truth and sub (rows aligned), and with spec.split_column on the public and
-- the private rows separately, as Kaggle's two leaderboards do. Returns the score (nil and
-- a message when the metric refuses the data) and the part scores; raises Invalid.
local function finish(p, spec, truth, sub)
  local v, err = compute(p, spec, truth, sub)
  local parts
  if v ~= nil and spec.split_column then
    if not truth:has(spec.split_column) then invalid("the answers have no split column '%s'", spec.split_column) end
    parts = {}
    for which, rows in pairs(split_rows(spec, truth)) do
      if #rows > 0 then
        local t, s = truth:take(rows), sub:take(rows)
        local pv, perr = compute(p, spec, t, s)
        t:close()
        s:close()
        if pv == nil then invalid("%s (on the %s part)", perr, which) end
        parts[which] = pv
      end
    end
  end
  return v, err, parts
end

-- score(spec, answers, submission_path [, opts]) -> raw score, metric info, part scores
-- (raises Invalid). With spec.split_column the metric is also computed on the public and
-- the private rows separately. The submission is first read straight into the answers'
-- order (read_aligned); when that read does not take it, or anything after it fails (a
-- bad value, the metric's refusal), it is read and judged the ordinary way: joined by id,
-- checked value by value, its rows in its own order -- so every message is that path's.
local function score(spec, answers, path, opts)
  -- A spec's adapters reshape the answers before planning (e.g. drop unscored rows) and the
  -- submission before alignment (e.g. group a long format); each returns a table.
  local given = answers
  if spec.adapt_answers then answers = spec.adapt_answers(answers, spec) end
  local p = plan(spec, answers)
  opts = opts or {}
  if answers ~= given and opts.index_cache then -- the cache holds indexes of the given table
    local o = {}
    for k, x in pairs(opts) do o[k] = x end
    o.index_cache, opts = nil, o
  end
  local v, err, parts
  local streamed, sparts = score_stream(path, p, spec, answers, opts)
  if streamed then v, parts = streamed, sparts end
  local sub = streamed == nil and not spec.adapt_submission and read_aligned(path, p, answers, opts)
  if sub then
    local lo, hi = bounds(p)
    local fine = true
    for _, c in ipairs(p.sub_columns) do
      if sub:column(c):first_bad(lo, hi) then fine = false break end
    end
    if fine then
      local ok, a, b, c = pcall(finish, p, spec, answers, sub)
      if ok then v, err, parts = a, b, c
      elseif getmetatable(a) ~= Invalid then sub:close() error(a, 0) end
    end
    sub:close()
  end
  if v == nil then
    sub = read_submission(path, p, opts)
    if spec.adapt_submission then sub = spec.adapt_submission(sub, answers, p) end
    local truth = align(p, spec, answers, sub, opts)
    check_values(p, sub, answers)
    v, err, parts = finish(p, spec, truth, sub)
    truth:close()
    sub:close()
  end
  if answers ~= given then answers:close() end
  if v == nil then invalid("%s", err) end
  return v, p.info, parts
end

local function protect(fn, ...)
  local res = { pcall(fn, ...) }
  if res[1] then return true, res[2], res[3], res[4] end
  local e = res[2]
  if getmetatable(e) == Invalid then return false, e.msg end
  error(e, 0)
end

-- score_files(metric, truth_path, pred_path [, params]) -> score | nil, message
-- (dojo score): ids in the first column of both files; the value columns by the metric's
-- kind: single-target metrics use the second column of each file (names may differ);
-- probability metrics take the truth's labels from its second column and one prediction
-- column per class, named by the label; numeric metrics over several columns use every
-- non-id column of the truth, with the same names in the prediction.
-- score_files and grade read the answers and the submission at once (dtable.read2: one
-- thread each, no split and merge) when the headers tell how read_submission will read the
-- submission: the submission table, read with those options, goes to read_submission as
-- opts.pre, which reads the file again itself when its options turn out different; a failed
-- early read of the submission is dropped, so that every check and message stays the
-- sequential one. columns(answers_head, submission_names) -> the submission's typed columns,
-- whether they are numbers, and the id column, or nil (then the files are read one by one).
-- One column of numbers keyed by integer ids, the id first, is not read ahead: score reads
-- it straight into the answers' order (read_aligned) once the answers are read; nor is a
-- submission keyed by integer ids, the id first, that score may stream (columns' fourth
-- value: the metric and spec allow it).
-- Returns answers | nil, message, pre | nil.
local function read_both(truth_path, pred_path, max_bytes, columns)
  -- regular files only: a pipe's header read would consume what the whole read needs
  if type(truth_path) ~= "string" or type(pred_path) ~= "string" or
     core.path_stat(truth_path) ~= "file" or core.path_stat(pred_path) ~= "file" then
    return dtable.read(truth_path)
  end
  local ropts = { untrusted = true, max_file_bytes = max_bytes }
  local th = header_table(truth_path)
  local ph = th and header_table(pred_path, ropts)
  local cols, numeric, aligned
  if ph then
    local names, id, streams = ph:names(), nil, nil
    cols, numeric, id, streams = columns(th, names)
    -- keyed by integer ids, the id first: score streams the submission (score_stream) or
    -- reads one column of numbers straight into the answers' order (read_aligned), after
    -- the answers alone
    aligned = cols and numeric and id and names[1] == id and (streams or #names == 2 and #cols == 1) and
              th:has(id) and th:column(id).type == "int"
    ph:close()
  end
  if th then th:close() end
  if not cols or aligned then return dtable.read(truth_path) end
  ropts.types = {}
  for _, c in ipairs(cols) do ropts.types[c] = numeric and "float" or "string" end
  local answers, err, sub = dtable.read2(truth_path, nil, pred_path, ropts)
  if not answers then
    if sub then sub:close() end
    return nil, err
  end
  return answers, nil, sub and { table = sub, types = ropts.types, max_bytes = max_bytes }
end

-- The submission's columns read_submission types, for a plan (p.sub_columns, or the
-- probability columns the header names), and whether they are numbers.
local function typed_columns(p, names)
  local cols = p.sub_columns
  if not cols then
    cols = {}
    for _, n in ipairs(names) do if n ~= p.id then cols[#cols + 1] = n end end
  end
  return cols, p.info.kind == "numeric" or p.info.kind == "proba"
end

-- Both files scored as streams (core.score_files_stream: no table, no index), for a
-- numeric metric the kernel streams: the truth an id column and one value column, the
-- prediction the same id column and one value column. nil when this does not apply or the
-- kernel does not take the files (then score_files reads them, and words any problem).
local function stream_files(metric, info, truth_path, pred_path, params)
  if info.kind ~= "numeric" or metric == "log_loss_multiclass" or
     not streamable({ metric_params = params }, info, 1) or
     type(truth_path) ~= "string" or type(pred_path) ~= "string" or
     core.path_stat(truth_path) ~= "file" or core.path_stat(pred_path) ~= "file" then return nil end
  local popts = { untrusted = true, max_file_bytes = M.MAX_SUBMISSION_BYTES }
  local tn, pn = header_names(truth_path), header_names(pred_path, popts)
  if not tn or not pn or #tn ~= 2 or #pn ~= 2 or pn[1] ~= tn[1] then return nil end
  popts.types = { [pn[2]] = "float" }
  return core.score_files_stream(metric, truth_path, { types = { [tn[2]] = "float" } }, pred_path, popts)
end

function M.score_files(metric, truth_path, pred_path, params)
  local info = metrics.info(metric)
  if not info then return nil, string.format("unknown metric '%s' (dojo score --list shows them)", tostring(metric)) end
  local streamed = stream_files(metric, info, truth_path, pred_path, params)
  if streamed then return streamed end
  local answers, err, pre = read_both(truth_path, pred_path, M.MAX_SUBMISSION_BYTES, function(th, pn)
    local tn = th:names()
    if #tn < 2 then return nil end
    local cols = {} -- as score_files and plan decide below
    if info.kind == "proba" then
      for _, n in ipairs(pn) do if n ~= tn[1] then cols[#cols + 1] = n end end
    elseif #tn == 2 then
      cols[1] = (#pn == 2 and pn[1] == tn[1]) and pn[2] or tn[2]
    else
      for i = 2, #tn do cols[i - 1] = tn[i] end
    end
    return cols, info.kind == "numeric" or info.kind == "proba", tn[1],
           streamable({ metric_params = params }, info, (info.kind ~= "numeric" or #tn == 2) and 1 or #tn - 1)
  end)
  local function drop() if pre and pre.table then pre.table:close() pre.table = nil end end
  if not answers then return nil, "cannot read the truth: " .. err end
  local names = answers:names()
  if #names < 2 then
    answers:close()
    drop()
    return nil, truth_path .. " needs an id column and at least one value column"
  end
  local spec = { metric = metric, id_column = names[1], metric_params = params }
  if info.kind ~= "numeric" or #names == 2 then
    spec.target_columns = { names[2] }
    if info.kind ~= "proba" then
      local reader, rerr = dtable.open(pred_path, { untrusted = true, max_file_bytes = M.MAX_SUBMISSION_BYTES })
      if not reader then
        answers:close()
        drop()
        return nil, rerr
      end
      local head, herr = reader:next(1)
      reader:close()
      if not head then
        answers:close()
        drop()
        return nil, herr or (pred_path .. " is empty")
      end
      local pn = head:names()
      head:close()
      if #pn == 2 and pn[1] == names[1] then spec.submission_columns = { pn[2] } end
    end
  end
  local ok, v = protect(score, spec, answers, pred_path, { pre = pre })
  answers:close()
  drop()
  if not ok then return nil, v end
  return v
end

-- grade(spec, submission_path [, opts]) -> result table (status SUCCESS or FAILED).
-- spec: metric, metric_params, id_column, target_columns, labels, class_columns,
-- higher_is_better (default: the metric's), answers (path), split_column (optional: the
-- answers' Public/Private column; then public_score and private_score are reported and
-- each leaderboard ranks its own part's score), medals (false: the medal is always "none",
-- as against a reference ladder), leaderboards = { public = lb,
-- private = lb } (from leaderboard_from_*).
function M.grade(spec, path, opts)
  -- opts.answers: the answers table already read by the caller (an env grading every step
  -- reads them once); it is left open. opts.index_cache: a table the caller keeps with
  -- opts.answers, where the answers' id index is left for the next grade (the caller closes
  -- the indexes in it when it closes the answers)
  local answers, err, pre = opts and opts.answers, nil, nil
  if not answers then
    if spec.adapt_answers or spec.adapt_submission then
      answers, err = dtable.read(spec.answers)
    else
      answers, err, pre = read_both(spec.answers, path, opts and opts.max_bytes or M.MAX_SUBMISSION_BYTES,
                                    function(th, names)
                                      local fine, p = pcall(plan, spec, th)
                                      if fine then
                                        local cols, numeric = typed_columns(p, names)
                                        return cols, numeric, p.id, streamable(spec, p.info, #p.targets)
                                      end
                                    end)
    end
  end
  if not answers then
    return { status = "FAILED", error = { type = "GradingError", message = "cannot read the answers: " .. err } }
  end
  local sopts = opts
  if pre then
    sopts = { pre = pre }
    for k, x in pairs(opts or {}) do sopts[k] = x end
  end
  local ok, v, info, parts = protect(score, spec, answers, path, sopts)
  if pre and pre.table then pre.table:close() pre.table = nil end
  if not (opts and opts.answers) then answers:close() end
  if not ok then return { status = "FAILED", error = { type = "InvalidSubmission", message = v } } end
  local result = { status = "SUCCESS", raw_score = v, metric = spec.metric }
  if parts then result.public_score, result.private_score = parts.public, parts.private end
  local lbs = spec.leaderboards or {}
  if lbs.public or lbs.private then
    local pos = {}
    local sum, cnt = 0, 0
    for _, which in ipairs { "public", "private" } do
      if lbs[which] then
        -- each leaderboard ranks the score of its own part when the answers are split
        pos[which] = M.position(parts and parts[which] or v, lbs[which])
        sum, cnt = sum + pos[which].score, cnt + 1
      end
    end
    pos.avg = sum / cnt
    result.position = pos
    local final = parts and parts.private or v
    local medal, above = M.medal(final, lbs.private or lbs.public)
    if spec.medals == false then medal = "none" end -- e.g. a reference ladder: no human teams
    result.medal, result.above_median = medal, above
  end
  result.higher_is_better = info.higher_is_better
  return result
end

return M
