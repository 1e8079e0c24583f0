-- dojo.metrics: every metric by name, built-in (C kernels, core/metrics/) or registered in Lua.
--
--   dojo.metrics.roc_auc({0, 1, 1}, {0.1, 0.8, 0.7})                 -> 1.0
--   dojo.metrics.f1_macro({"cat", "dog"}, {"cat", "cat"})            -- labels of any kind
--   dojo.metrics.log_loss_multiclass({"a", "b"}, { colA, colB }, { labels = { "a", "b" } })
--   dojo.metrics.mcrmse({ y1, y2 }, { p1, p2 })                       -- lists of columns
--   dojo.metrics.register("my_metric", function(truth, pred, params) ... end,
--                         { higher_is_better = true })
--
-- An input is a "vector": a dojo.column or a Lua array; multi-column inputs are lists of
-- vectors. Every metric returns its score, or nil and a message when the data cannot be
-- scored (a missing value, a single class for AUC, ...); misuse (an unknown parameter, an
-- unknown metric) raises. params.weights, when given, is a vector of sample weights.
local core = require "dojo.core"

local M = {}

local builtin = {}
for _, m in ipairs(core.metric_list()) do builtin[m.name] = m end
local custom = {}

local function is_column(v)
  local t = type(v)
  return t == "userdata" or t == "cdata"
end

-- A single vector, or a list of vectors.
local function as_list(v)
  if is_column(v) then return { v } end
  if type(v) ~= "table" then error("a metric input must be a dojo.column, an array or a list of them", 4) end
  local first = v[1]
  if is_column(first) or type(first) == "table" then return v end
  return { v }
end

local function as_array(v)
  if is_column(v) then return (v:totable()), v.n end
  return v, #v
end

-- The canonical text of a label, so that 1, 1.0 and "1" are the same class.
local function label_key(x)
  if type(x) == "number" then
    if x == math.floor(x) and math.abs(x) < 2^53 then return string.format("%d", x) end
    return string.format("%.17g", x)
  end
  return x
end

-- Class ids for labels of any kind: the distinct labels of both sides, sorted (numbers
-- numerically, else as text) as scikit-learn's unique_labels, mapped to 0..m-1.
-- Label metrics with a positive class (binary average): the others ignore pos_label.
local POSITIVE = { f1 = true, precision = true, recall = true }

local function encode_labels(truth, pred, params, positive)
  local t, n = as_array(truth)
  local p, np = as_array(pred)
  if n ~= np then error(string.format("truth has %d rows but the prediction has %d", n, np), 3) end
  -- keyof: each raw value's key, computed once per distinct value (a column of n rows
  -- holds few labels); NaN, which cannot be a table key, is keyed every time.
  local seen, labels, numeric, keyof = {}, {}, true, {}
  local function collect(arr, what)
    for i = 1, n do
      local x = arr[i]
      if keyof[x] == nil then
        if x == nil then return string.format("%s: row %d is missing", what, i) end
        if type(x) ~= "number" and type(x) ~= "string" then
          return string.format("%s: row %d is not a label", what, i)
        end
        local key = label_key(x)
        if x == x then keyof[x] = key end
        if not seen[key] then
          seen[key] = true
          labels[#labels + 1] = key
          if not tonumber(key) then numeric = false end
        end
      end
    end
  end
  local msg = collect(t, "truth") or collect(p, "prediction")
  if msg then return nil, msg end
  if numeric then
    table.sort(labels, function(a, b) return tonumber(a) < tonumber(b) end)
  else
    table.sort(labels)
  end
  local id = {}
  for i, key in ipairs(labels) do id[key] = i - 1 end
  local code = {} -- each raw value's class id (NaN, never a key, takes the slow way)
  for x, key in pairs(keyof) do code[x] = id[key] end
  local y, q = {}, {}
  for i = 1, n do
    local a, b = t[i], p[i]
    y[i] = code[a] or id[label_key(a)]
    q[i] = code[b] or id[label_key(b)]
  end
  local out = {}
  for k, v in pairs(params or {}) do out[k] = v end
  if out.pos_label ~= nil then
    local pl = id[label_key(out.pos_label)]
    if pl == nil then
      return nil, string.format("pos_label %s is not one of the labels", tostring(out.pos_label))
    end
    out.pos_label = pl
  elseif positive and (out.average == nil or out.average == "binary") and #labels <= 2 then
    -- scikit-learn's default positive label is 1
    local pl = id["1"]
    if pl == nil and #labels == 2 then
      return nil, "the labels are not {0, 1}: give pos_label (the positive class)"
    end
    out.pos_label = pl or 1
  end
  out.nclasses = out.nclasses or #labels
  return y, q, out
end

-- Truth labels to class ids by the order of params.labels (the prediction's columns).
local function encode_truth(truth, k, params)
  local t, n = as_array(truth)
  local out = {}
  for key, v in pairs(params or {}) do if key ~= "labels" then out[key] = v end end
  local order = params and params.labels
  local id = {}
  if order then
    if #order ~= k then
      error(string.format("%d labels for %d probability columns", #order, k), 3)
    end
    for i, l in ipairs(order) do id[label_key(l)] = i - 1 end
  else
    for i = 0, k - 1 do id[string.format("%d", i)] = i end
  end
  local y = {}
  for i = 1, n do
    local x = t[i]
    if x == nil then return nil, string.format("truth: row %d is missing", i) end
    local c = id[label_key(x)]
    if c == nil then
      return nil, string.format("truth: row %d has the label '%s', which no probability column names",
                                i, tostring(x))
    end
    y[i] = c
  end
  out.nclasses = k
  return y, out
end

local function split_weights(params)
  if params == nil or params.weights == nil then return nil, params end
  local out = {}
  for k, v in pairs(params) do if k ~= "weights" then out[k] = v end end
  return params.weights, out
end

local function run_builtin(m, truth, pred, params)
  local w
  w, params = split_weights(params)
  if m.kind == "numeric" then
    return core.metric_numeric(m.name, as_list(truth), as_list(pred), w, params)
  elseif m.kind == "labels" then
    local y, q, prm = encode_labels(truth, pred, params, POSITIVE[m.name])
    if not y then return nil, q end
    return core.metric_labels(m.name, y, q, w, prm)
  elseif m.kind == "proba" then
    local cols = as_list(pred)
    if is_column(truth) and truth.type == "string" and params and params.labels then
      return core.metric_proba(m.name, truth, cols, w, params) -- labels mapped in C
    end
    local y, prm = encode_truth(truth, #cols, params)
    if not y then return nil, prm end
    return core.metric_proba(m.name, y, cols, w, prm)
  else
    if w then error(m.name .. " takes no sample weights", 3) end
    return core.metric_text(m.name, truth, pred, params)
  end
end

-- compute(name, truth, pred [, params]) -> score | nil, message
function M.compute(name, truth, pred, params)
  local c = custom[name]
  if c then
    local ok, v, err = pcall(c.fn, truth, pred, params)
    if not ok then return nil, string.format("metric %s failed: %s", name, tostring(v)) end
    if type(v) ~= "number" then
      return nil, err or string.format("metric %s returned %s, not a number", name, type(v))
    end
    if v ~= v then return nil, string.format("metric %s returned NaN", name) end
    return v
  end
  local m = builtin[name]
  if not m then error(string.format("unknown metric '%s'", tostring(name)), 2) end
  return run_builtin(m, truth, pred, params)
end

-- info(name) -> { name, kind, higher_is_better, builtin } | nil
function M.info(name)
  local c = custom[name]
  if c then return { name = name, kind = c.kind, higher_is_better = c.higher_is_better, builtin = false } end
  local m = builtin[name]
  if m then return { name = name, kind = m.kind, higher_is_better = m.higher_is_better, builtin = true } end
  return nil
end

-- list() -> sorted names of every metric, built-in and registered.
function M.list()
  local names = {}
  for n in pairs(builtin) do names[#names + 1] = n end
  for n in pairs(custom) do if not builtin[n] then names[#names + 1] = n end end
  table.sort(names)
  return names
end

-- register(name, fn, { higher_is_better = bool [, kind = "numeric"|"labels"|"proba"|"text"] })
-- fn(truth, pred, params) returns a number, or nil and a message. A registered metric may
-- replace a built-in one of the same name; grading treats both alike.
function M.register(name, fn, opts)
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
    error("a metric name is letters, digits and underscores", 2)
  end
  if type(fn) ~= "function" then error("register: the metric must be a function", 2) end
  if type(opts) ~= "table" or type(opts.higher_is_better) ~= "boolean" then
    error("register: give { higher_is_better = true | false }", 2)
  end
  local kind = opts.kind or "numeric"
  if not ({ numeric = 1, labels = 1, proba = 1, text = 1 })[kind] then
    error("register: kind must be numeric, labels, proba or text", 2)
  end
  custom[name] = { fn = fn, higher_is_better = opts.higher_is_better, kind = kind }
end

function M.unregister(name) custom[name] = nil end

-- dojo.metrics.NAME(truth, pred [, params])
return setmetatable(M, {
  __index = function(_, name)
    if builtin[name] or custom[name] then
      return function(truth, pred, params) return M.compute(name, truth, pred, params) end
    end
    return nil
  end,
})
