-- The hints feedback policy: the base feedback, then advice for the errors agents hit most,
-- recognised with the kernel's PCRE2 patterns (dojo.regex) in the program's stderr and in the
-- grader's message. Each rule: a pattern, and a function of its captures and the context
-- that writes the advice from facts (the installed packages, the real column names, the
-- limits), never a guess.
local fb = require "dojo.feedback"
local base = require "dojo.feedback.base"
local regex = require "dojo.regex"

local function list(t, max)
  local out = {}
  for i = 1, math.min(#t, max or #t) do out[i] = tostring(t[i]) end
  local s = table.concat(out, ", ")
  if max and #t > max then s = s .. string.format(", ... (%d in all)", #t) end
  return s
end

local RULES = {
  { "ModuleNotFoundError: No module named '([\\w\\.]+)'", function(c, ctx)
      local pkgs = ctx.packages and ctx.packages() or {}
      -- the usual machine-learning packages first, then the rest
      local first, have, ordered = { "numpy", "pandas", "sklearn", "scipy", "joblib", "statsmodels", "xgboost",
                                     "lightgbm", "catboost", "torch", "tensorflow", "PIL", "matplotlib", "nltk" }, {}, {}
      for _, p in ipairs(pkgs) do have[p] = true end
      for _, p in ipairs(first) do if have[p] then ordered[#ordered + 1] = p have[p] = false end end
      for _, p in ipairs(pkgs) do if have[p] then ordered[#ordered + 1] = p end end
      return string.format("The module '%s' is not installed, and nothing can be installed (no network). " ..
                           "Installed Python packages: %s.", c[1], #ordered > 0 and list(ordered, 80) or "unknown")
    end },
  { "KeyError: ['\"]([^'\"]+)['\"]", function(c, ctx)
      local cols = ctx.columns and ctx.columns()
      if not cols then return nil end
      local parts = {}
      for _, f in ipairs(cols) do parts[#parts + 1] = string.format("%s has %s", f.file, list(f.names, 40)) end
      return string.format("There is no key '%s' where you looked it up. If it is a column: %s.", c[1], table.concat(parts, "; "))
    end },
  { "could not convert string to float: '([^']*)'", function(c)
      return string.format("A text value ('%s') reached a numeric model: encode categorical columns first " ..
                           "(pandas.get_dummies, sklearn OrdinalEncoder or OneHotEncoder).", c[1])
    end },
  { "(?i)Input (?:X |y )?contains NaN|contains NaN|NaN, infinity or a value too large", function(_, ctx)
      local miss = ctx.missing_columns and ctx.missing_columns()
      return "Some values are missing (NaN): impute them (DataFrame.fillna, sklearn SimpleImputer) or use a model " ..
             "that accepts them (HistGradientBoostingClassifier/Regressor)." ..
             ((miss and #miss > 0) and (" Columns of train.csv with missing values: " .. list(miss, 30) .. ".") or "")
    end },
  { "FileNotFoundError: .*?['\"]([^'\"]+)['\"]", function(c, ctx)
      return string.format("'%s' does not exist. The data is in %s: %s. Write the submission to %s.", c[1],
                           ctx.data_dir or "data/", list(ctx.data_files and ctx.data_files() or {}), ctx.submission_path or "submission.csv")
    end },
  { "MemoryError|Unable to allocate [\\d\\.]+ [KMGT]?i?B", function(_, ctx)
      return string.format("Memory ran out: each run may use at most %s MB. Use smaller dtypes (float32, category), " ..
                           "read only the columns you need, or train on a sample.", tostring(ctx.limits and ctx.limits.memory or "?"))
    end },
}
for _, rule in ipairs(RULES) do rule.re = assert(regex.compile(rule[1])) end

local function status_hints(r, ctx, add)
  local e = r.exec
  if e and e.status == "TO" then
    add(string.format("The run hit the time limit (%s s per execution). Train on a sample first, use fewer " ..
                      "estimators or iterations, and print progress to see where the time goes.",
                      tostring(ctx.limits and ctx.limits.time or "?")))
  elseif e and e.status == "ML" then
    add(string.format("The run hit the memory limit (%s MB). Use smaller dtypes, fewer columns or a sample.",
                      tostring(ctx.limits and ctx.limits.memory or "?")))
  elseif e and e.status == "OL" then
    add("The program printed too much; print summaries, not whole tables.")
  end
  local s = r.submission
  if s and s.status ~= "SUCCESS" and ctx.sample_columns then
    add(string.format("The grader's message above is exact. sample_submission.csv shows the expected format: columns %s, " ..
                      "one row per row of test.csv.", list(ctx.sample_columns())))
  end
end

return function(r, ctx)
  local text = base(r, ctx)
  local advice, seen = {}, {}
  local function add(s)
    if s and not seen[s] then seen[s] = true advice[#advice + 1] = "- " .. s end
  end
  local hay = (r.exec and r.exec.stderr or "") .. "\n" .. (r.syntax_error or "")
  for _, rule in ipairs(RULES) do
    local caps = { rule.re:match(hay) }
    if caps[1] ~= nil then
      local ok, msg = pcall(rule[2], caps, ctx)
      if ok then add(msg) end
    end
  end
  status_hints(r, ctx, add)
  if #advice == 0 then return text end
  return text .. "\nHints:\n" .. table.concat(advice, "\n")
end
