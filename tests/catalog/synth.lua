-- tests/catalog/synth.lua -- the catalog's schema tests, in process (Lua 5.4 or LuaJIT):
-- for every gradable catalog competition, synthetic answers and submissions in its schema
-- (ids, target columns, label sets, RLE masks, boxes, space-separated lists, as its format
-- requires) in a temporary data root laid out like MLE-Dojo's; then
--   * a perfect submission made from the answers gets the best raw score and position 1 on
--     the private leaderboard,
--   * a shuffled-row copy of it scores the same,
--   * a constant (or, for correlations and orderings, a reversed) submission scores worse,
--   * a submission with a missing id, an extra column, or NaN is rejected with its message.
-- Then the same through MLE-bench's layout for a handful, full leaderboard CSVs taking the
-- place of the quantiles, and dojo list's statuses. Prints TAP.
--   lua5.4 tests/catalog/synth.lua ROOT_TMP [NAME...]
local ROOT = arg[0]:match("^(.*)/tests/catalog/[^/]*$") or "."
package.path = ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. package.path
package.cpath = ROOT .. "/build/lib/?.so;" .. package.cpath

local core = require "dojo.core"
local catalog = require "dojo.catalog"
local competition = require "dojo.competition"
local grade = require "dojo.grade"
local metrics = require "dojo.metrics"

local TMP = assert(arg[1], "usage: synth.lua TMPDIR [NAME...]")
local only = {}
for i = 2, #arg do only[arg[i]] = true end
local RUNTIME = jit and "luajit" or _VERSION:gsub("Lua ", "lua")

local n_test = 0
local failed = 0
local function tap(ok, desc, detail)
  n_test = n_test + 1
  print(string.format("%s %d - %s %s", ok and "ok" or "not ok", n_test, RUNTIME, desc))
  if not ok then
    failed = failed + 1
    if detail then print("  # " .. tostring(detail):gsub("\n", "\n  # ")) end
  end
end

---------------------------------------------------------------------------------------------
-- Deterministic numbers (the same on both runtimes)

local seed = 12345
local function rnd() -- [0, 1)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
end
local function rint(a, b) return a + math.floor(rnd() * (b - a + 1)) end
local function fmt(x)
  if type(x) ~= "number" then return x end
  if x == math.floor(x) and math.abs(x) < 2 ^ 53 then return string.format("%d", x) end
  return string.format("%.6f", x)
end
local function shuffle(t)
  for i = #t, 2, -1 do
    local j = rint(1, i)
    t[i], t[j] = t[j], t[i]
  end
end

---------------------------------------------------------------------------------------------
-- CSV files: a table is { names = {...}, rows = { {v1, v2, ...}, ... } }

local function csv_field(v)
  v = v == nil and "" or tostring(v)
  if v:find('[,"\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

local function write_csv(path, t)
  local out = { table.concat((function() local h = {} for i, n in ipairs(t.names) do h[i] = csv_field(n) end return h end)(), ",") }
  for _, r in ipairs(t.rows) do
    local f = {}
    for i = 1, #t.names do f[i] = csv_field(r[i]) end
    out[#out + 1] = table.concat(f, ",")
  end
  local f = assert(io.open(path, "wb")) -- plain writes: no fsync for scratch files
  f:write(table.concat(out, "\n"), "\n")
  f:close()
end

-- columns: ordered list of { name, values }
local function to_table(cols)
  local t = { names = {}, rows = {} }
  local n = #cols[1][2]
  for i, c in ipairs(cols) do t.names[i] = c[1] end
  for r = 1, n do
    local row = {}
    for i, c in ipairs(cols) do row[i] = fmt(c[2][r]) end
    t.rows[r] = row
  end
  return t
end

---------------------------------------------------------------------------------------------
-- Schemas: for a definition, the answers' columns and a perfect, a worse submission

local N = 30

local function seq(n, f) local t = {} for i = 1, n do t[i] = f(i) end return t end
local function const(n, v) return seq(n, function() return v end) end

local function balanced01(n)
  local t = seq(n, function(i) return i % 2 end)
  shuffle(t)
  return t
end

local function rle(i) -- a small mask, different per row
  local a = 1 + (i % 7) * 20
  return string.format("%d %d %d %d", a, 5 + i % 4, a + 40, 3)
end

-- Each builder returns answers (columns), perfect and worse (columns of the submission);
-- ctx: n, id (name), ids, targets, subs (submission columns), def.
local B = {}

local function regression(ctx, lo, hi)
  local ans, per, wor = {}, {}, {}
  for j, t in ipairs(ctx.targets) do
    local v = seq(ctx.n, function() return lo + math.floor(rnd() * (hi - lo) * 1000) / 1000 end)
    ans[#ans + 1] = { t, v }
    per[#per + 1] = { ctx.subs[j], v }
    wor[#wor + 1] = { ctx.subs[j], const(ctx.n, (lo + hi) / 2 + 0.123) }
  end
  return ans, per, wor
end
for _, m in ipairs { "rmse", "mse", "mae", "medae", "r2", "rmsle", "mcrmse", "mcrmsle", "smape", "rmspe",
                     "rmsle_clip0" } do
  B[m] = function(ctx) return regression(ctx, 1, 100) end
end
B.pearson = function(ctx)
  local a, p = regression(ctx, 1, 100)
  local rev = {}
  for i, v in ipairs(a[1][2]) do rev[i] = -v end
  return a, p, { { ctx.subs[1], rev } }
end
B.spearman = B.pearson
B.spearman_mean_columns_nan0 = function(ctx) return regression(ctx, 0, 1) end

B.mean_angular_error = function(ctx)
  local az = seq(ctx.n, function() return rnd() * 6.28 end)
  local ze = seq(ctx.n, function() return 0.1 + rnd() * 3 end)
  return { { ctx.targets[1], az }, { ctx.targets[2], ze } }, { { ctx.subs[1], az }, { ctx.subs[2], ze } },
         { { ctx.subs[1], const(ctx.n, 0) }, { ctx.subs[2], const(ctx.n, 1.5) } }
end

local function binary(ctx)
  local ans, per, wor = {}, {}, {}
  for j, t in ipairs(ctx.targets) do
    local y = balanced01(ctx.n)
    ans[#ans + 1] = { t, y }
    per[#per + 1] = { ctx.subs[j], y }
    wor[#wor + 1] = { ctx.subs[j], const(ctx.n, 0.5) }
  end
  return ans, per, wor
end
for _, m in ipairs { "roc_auc", "log_loss", "gini_normalized", "roc_auc_mean_columns", "weighted_auc_alaska",
                     "weighted_auc_flavours" } do
  B[m] = binary
end
B.lwlrap = function(ctx)
  local ans, per, wor = {}, {}, {}
  local k = #ctx.targets
  local cols = {}
  for j = 1, k do cols[j] = {} end
  for i = 1, ctx.n do
    local on = rint(1, k)
    for j = 1, k do cols[j][i] = (j == on or rnd() < 0.2) and 1 or 0 end
  end
  for j, t in ipairs(ctx.targets) do
    ans[#ans + 1] = { t, cols[j] }
    per[#per + 1] = { ctx.subs[j], cols[j] }
    wor[#wor + 1] = { ctx.subs[j], const(ctx.n, 0.5) }
  end
  return ans, per, wor
end
B.flavours_weighted_auc = function(ctx)
  local a, p, w = binary(ctx)
  a[#a + 1] = { "min_ANNmuon", seq(ctx.n, function(i) return i % 5 == 0 and 0.2 or 0.9 end) }
  return a, p, w
end
B.jigsaw_bias_auc = function(ctx)
  local y = seq(ctx.n, function(i) return (i % 2 == 0) and 0.8 or 0.1 end)
  local a = { { ctx.targets[1], y } }
  for g, name in ipairs(ctx.def.grading.aux_columns) do
    -- members: rows whose (i + g) % 3 == 0 -- both classes inside and outside each subgroup
    a[#a + 1] = { name, seq(ctx.n, function(i) return ((i + g) % 3 == 0) and 1 or 0 end) }
  end
  return a, { { ctx.subs[1], y } }, { { ctx.subs[1], const(ctx.n, 0.5) } }
end

local function labels(ctx, k)
  local y = seq(ctx.n, function(i) return (i - 1) % k end)
  shuffle(y)
  return { { ctx.targets[1], y } }, { { ctx.subs[1], y } }, { { ctx.subs[1], const(ctx.n, 0) } }
end
for _, m in ipairs { "accuracy", "f1_macro", "f1_micro", "qwk", "error_rate" } do
  B[m] = function(ctx) return labels(ctx, 3) end
end
B.f1 = function(ctx) return labels(ctx, 2) end
B.mcc = B.f1
B.weighted_macro_recall_components = function(ctx)
  return labels(ctx, 3)
end

local function proba(ctx)
  local k = #ctx.targets
  local ans, per, wor = {}, {}, {}
  local y = seq(ctx.n, function(i) return (i - 1) % k + 1 end)
  shuffle(y)
  for j, t in ipairs(ctx.targets) do
    local v = seq(ctx.n, function(i) return y[i] == j and 1 or 0 end)
    ans[#ans + 1] = { t, v }
    per[#per + 1] = { ctx.subs[j], v }
    wor[#wor + 1] = { ctx.subs[j], const(ctx.n, 1 / k) }
  end
  return ans, per, wor
end
B.log_loss_multiclass = proba
B.weighted_log_loss = proba
B.kl_divergence = function(ctx)
  local k = #ctx.targets
  local ans, per, wor = {}, {}, {}
  local votes = {}
  for i = 1, ctx.n do
    local v, s = {}, 0
    for j = 1, k do v[j] = rint(0, 3) s = s + v[j] end
    if s == 0 then v[1], s = 2, 2 end
    votes[i] = { v = v, s = s }
  end
  for j, t in ipairs(ctx.targets) do
    ans[#ans + 1] = { t, seq(ctx.n, function(i) return votes[i].v[j] end) }
    per[#per + 1] = { ctx.subs[j], seq(ctx.n, function(i) return votes[i].v[j] / votes[i].s end) }
    wor[#wor + 1] = { ctx.subs[j], const(ctx.n, 1 / k) }
  end
  return ans, per, wor
end

local function textual(ctx, truth, worse)
  local y = seq(ctx.n, truth)
  return { { ctx.targets[1], y } }, { { ctx.subs[1], y } }, { { ctx.subs[1], const(ctx.n, worse) } }
end
B.map_at_k = function(ctx) return textual(ctx, function(i) return "L" .. (i % 7) end, "zz") end
B.ndcg_at_k = B.map_at_k
B.f1_samples = function(ctx) return textual(ctx, function(i) return "a" .. (i % 4) .. " b" .. (i % 3) end, "zz") end
B.f2_micro_sets = B.f1_samples
B.jaccard_word = function(ctx) return textual(ctx, function(i) return "the word " .. i end, "zz") end
B.levenshtein_mean = function(ctx) return textual(ctx, function(i) return "InChI=1S/C" .. i .. "H" end, "x") end
B.dice_rle = function(ctx) return textual(ctx, rle, "1 1") end
B.iou_map = B.dice_rle
B.f05_rle = B.dice_rle
B.iou_map_boxes = function(ctx)
  return textual(ctx, function(i) return string.format("1.0 %d 10 20 20", i) end, "0.5 500 500 5 5")
end
B.voc_map_50 = function(ctx)
  return textual(ctx, function(i) return string.format("c%d 1 %d 0 %d 10", i % 3, i, i + 10) end, "c0 0.5 500 500 510 510")
end
B.voc_map_40 = B.voc_map_50
B.span_micro_f1 = function(ctx)
  return textual(ctx, function(i) return string.format("%d %d;%d %d", i, i + 5, i + 20, i + 24) end, "900 901")
end
B.levenshtein_tokens_normalized = function(ctx)
  return textual(ctx, function(i) return string.format("%d %d %d", i % 20 + 1, (i + 3) % 20 + 1, 7) end, "1")
end
B.error_rate_first_token = function(ctx)
  local y = seq(ctx.n, function(i) return (i - 1) % 5 end)
  return { { ctx.targets[1], y } }, { { ctx.subs[1], seq(ctx.n, function(i) return y[i] .. " 99 98" end) } },
         { { ctx.subs[1], const(ctx.n, "99 0") } }
end
local function permutation(i, m)
  local t = seq(m, function(j) return j end)
  for a = m, 2, -1 do
    local b = (i * 7 + a * 3) % a + 1
    t[a], t[b] = t[b], t[a]
  end
  return t
end
B.kendall_tau_orders = function(ctx)
  local y, rev = {}, {}
  for i = 1, ctx.n do
    local p = permutation(i, 6)
    local names, back = {}, {}
    for j, v in ipairs(p) do names[j] = "c" .. i .. "x" .. v back[#p - j + 1] = names[j] end
    y[i], rev[i] = table.concat(names, " "), table.concat(back, " ")
  end
  return { { ctx.targets[1], y } }, { { ctx.subs[1], y } }, { { ctx.subs[1], rev } }
end
B.spearman_mean_rows = function(ctx)
  local y, rev = {}, {}
  for i = 1, ctx.n do
    local p = permutation(i, 5)
    local back = {}
    for j = 1, #p do back[j] = 6 - p[j] end
    y[i], rev[i] = table.concat(p, " "), table.concat(back, " ")
  end
  return { { ctx.targets[1], y } }, { { ctx.subs[1], y } }, { { ctx.subs[1], rev } }
end
B.f1_point_in_box = function(ctx)
  local y, p = {}, {}
  for i = 1, ctx.n do
    y[i] = string.format("U+30%02d %d 10 8 8 U+3042 %d 40 8 8", i % 50, i, i + 20)
    p[i] = string.format("U+30%02d %d 14 U+3042 %d 44", i % 50, i + 4, i + 24)
  end
  return { { ctx.targets[1], y } }, { { ctx.subs[1], p } }, { { ctx.subs[1], const(ctx.n, "U+3042 900 900") } }
end

-- Competition-specific schemas (ids and answer columns the metric reads).
local SPECIAL = {}
SPECIAL["bengaliai-cv19"] = function(ctx)
  local comps = { "grapheme_root", "vowel_diacritic", "consonant_diacritic" }
  ctx.ids = seq(ctx.n, function(i) return string.format("Test_%d_%s", math.floor((i - 1) / 3), comps[(i - 1) % 3 + 1]) end)
  return labels(ctx, 3)
end
SPECIAL["champs-scalar-coupling"] = function(ctx)
  local a, p, w = regression(ctx, -10, 100)
  a[#a + 1] = { "type", seq(ctx.n, function(i) return ({ "1JHC", "2JHH", "3JHN" })[i % 3 + 1] end) }
  return a, p, w
end
SPECIAL["the-winton-stock-market-challenge"] = function(ctx)
  ctx.ids = seq(ctx.n, function(i) return string.format("%d_%d", math.floor((i - 1) / 10) + 1, (i - 1) % 10 * 6 + 2) end)
  local a, p, w = regression(ctx, -1, 1)
  a[#a + 1] = { "Weight_Intraday", seq(ctx.n, function() return 1000 + rint(0, 1000) end) }
  a[#a + 1] = { "Weight_Daily", seq(ctx.n, function() return 2000 + rint(0, 1000) end) }
  return a, p, w
end
SPECIAL["benchmark-bond-trade-price-challenge"] = function(ctx)
  local a, p, w = regression(ctx, 50, 150)
  a[#a + 1] = { "weight", seq(ctx.n, function() return 0.5 + rnd() end) }
  return a, p, w
end
SPECIAL["walmart-recruiting-store-sales-forecasting"] = function(ctx)
  local a, p, w = regression(ctx, 100, 5000)
  a[#a + 1] = { "IsHoliday", seq(ctx.n, function(i) return i % 4 == 0 and "True" or "False" end) }
  return a, p, w
end
SPECIAL["osic-pulmonary-fibrosis-progression"] = function(ctx)
  ctx.ids = seq(ctx.n, function(i) return string.format("ID%03d_%d", math.floor((i - 1) / 5), (i - 1) % 5 * 4 + 3) end)
  local fvc = seq(ctx.n, function() return rint(1500, 3500) end)
  return { { "FVC", fvc } }, { { "FVC", fvc }, { "Confidence", const(ctx.n, 70) } },
         { { "FVC", const(ctx.n, 2500) }, { "Confidence", const(ctx.n, 70) } }
end
SPECIAL["icr-identify-age-related-conditions"] = function(ctx)
  local y = balanced01(ctx.n)
  return { { "Class", y } },
         { { "class_0", seq(ctx.n, function(i) return 1 - y[i] end) }, { "class_1", y } },
         { { "class_0", const(ctx.n, 0.5) }, { "class_1", const(ctx.n, 0.5) } }
end
SPECIAL["novozymes-enzyme-stability-prediction"] = function(ctx)
  local a, p, w = regression(ctx, 30, 70)
  for i = 1, ctx.n, 6 do a[1][2][i] = nil end -- unscored rows (the perfect submission still has them)
  for i = 1, ctx.n do if p[1][2][i] == nil then p[1][2][i] = 50 end end
  local rev = {}
  for i = 1, ctx.n do rev[i] = -(p[1][2][i]) end
  return a, p, { { ctx.subs[1], rev } }
end
SPECIAL["jigsaw-toxic-comment-classification-challenge"] = function(ctx)
  local a, p, w = binary(ctx)
  for i = 3, ctx.n, 7 do
    for j = 1, #a do a[j][2][i] = -1 p[j][2][i] = 0 end
  end
  return a, p, w
end
SPECIAL["quora-insincere-questions-classification"] = function(ctx) return labels(ctx, 2) end
SPECIAL["stanford-covid-vaccine"] = function(ctx)
  local a, p, w = regression(ctx, 0, 3)
  for _, c in ipairs(ctx.def.grading.ignored_columns) do
    p[#p + 1] = { c, const(ctx.n, 0) }
    w[#w + 1] = { c, const(ctx.n, 0) }
  end
  return a, p, w
end
SPECIAL["conways-reverse-game-of-life-2020"] = function(ctx)
  local ans, per, wor = {}, {}, {}
  for j, t in ipairs(ctx.targets) do
    local v = seq(ctx.n, function(i) return (i + j) % 3 == 0 and 1 or 0 end)
    ans[j], per[j], wor[j] = { t, v }, { ctx.subs[j], v }, { ctx.subs[j], const(ctx.n, 1) }
  end
  return ans, per, wor
end

-- Default target names where the catalog says "every non-id answer column".
local DEFAULT_TARGETS = {
  log_loss_multiclass = { "class_a", "class_b", "class_c" }, roc_auc_mean_columns = { "l1", "l2", "l3" },
  lwlrap = { "Accordion", "Bass", "Bark", "Chirp" }, spearman_mean_columns_nan0 = { "q1", "q2", "q3" },
}

local function schema(def)
  local ctx = { n = N, def = def, id = def.id_column or "id" }
  ctx.ids = seq(N, function(i) return 1000 + i end)
  ctx.targets = def.target_columns or DEFAULT_TARGETS[def.metric] or { "t1", "t2", "t3" }
  ctx.subs = def.submission_columns or ctx.targets
  local build = SPECIAL[def.name] or B[def.metric]
  if not build then return nil, "no synthetic schema for metric " .. def.metric end
  local ans, per, wor = build(ctx)
  local function with_id(cols)
    local out = { { ctx.id, ctx.ids } }
    local seen = { [ctx.id] = true }
    for _, c in ipairs(cols) do
      if not seen[c[1]] then out[#out + 1] = c seen[c[1]] = true end
    end
    return out
  end
  return { id = ctx.id, answers = with_id(ans), perfect = with_id(per), worse = with_id(wor), subs = ctx.subs }
end

---------------------------------------------------------------------------------------------
-- Checks

local function better(a, b, hib) if hib then return a > b end return a < b end

local function mkdirs(path)
  local acc = ""
  for part in path:gmatch("[^/]+") do
    acc = acc .. "/" .. part
    if core.path_stat(acc) ~= "dir" then assert(core.dir_make(acc, 493)) end
  end
end

-- Lays out the competition's data; layout "mledojo" or "mlebench".
local function lay_out(root, name, sch, layout)
  local pub = root .. "/" .. name .. (layout == "mlebench" and "/prepared/public" or "/data/public")
  local priv = root .. "/" .. name .. (layout == "mlebench" and "/prepared/private" or "/data/private")
  mkdirs(pub)
  mkdirs(priv)
  write_csv(priv .. (layout == "mlebench" and "/test.csv" or "/test_answer.csv"), to_table(sch.answers))
  write_csv(pub .. "/sample_submission.csv", to_table(sch.worse))
  return pub, priv
end

local function run_one(name, layout, root)
  local def, err = catalog.definition(name)
  if not def then return false, err end
  if def.not_gradable then return "skip", def.not_gradable end
  local info = metrics.info(def.metric)
  if not info then return false, "unknown metric " .. def.metric end
  if info.higher_is_better ~= def.higher_is_better then
    return false, string.format("the catalog says %s is better but %s is %s-is-better", def.higher_is_better and "higher" or "lower",
                                def.metric, info.higher_is_better and "higher" or "lower")
  end
  local sch, serr = schema(def)
  if not sch then return false, serr end
  lay_out(root, name, sch, layout)
  local spec, gerr = def:grading_spec(root)
  if not spec then return false, gerr end
  local dir = root .. "/" .. name
  local function graded(cols, tag, mutate)
    local t = to_table(cols)
    if mutate then mutate(t) end
    local path = dir .. "/" .. tag .. ".csv"
    write_csv(path, t)
    return grade.grade(spec, path)
  end
  local perfect = graded(sch.perfect, "perfect")
  if perfect.status ~= "SUCCESS" then return false, "perfect: " .. perfect.error.message end
  if perfect.position.private.position ~= 1 then
    return false, string.format("perfect: raw score %.17g is at position %d of %d on the private leaderboard",
                                perfect.raw_score, perfect.position.private.position, perfect.position.private.total)
  end
  local shuffled = graded(sch.perfect, "shuffled", function(t) shuffle(t.rows) end)
  if shuffled.status ~= "SUCCESS" or math.abs(shuffled.raw_score - perfect.raw_score) > 1e-9 * math.max(1, math.abs(perfect.raw_score)) then
    return false, string.format("shuffled: %s (perfect %.17g)", shuffled.raw_score and string.format("%.17g", shuffled.raw_score)
                                or shuffled.error.message, perfect.raw_score)
  end
  local worse = graded(sch.worse, "worse")
  if worse.status ~= "SUCCESS" then return false, "worse: " .. worse.error.message end
  if not better(perfect.raw_score, worse.raw_score, def.higher_is_better) then
    return false, string.format("worse %.17g is not worse than perfect %.17g", worse.raw_score, perfect.raw_score)
  end
  local bad = {
    { "missing id", "missing", function(t) table.remove(t.rows, 2) end },
    { "extra column", "unexpected column", function(t)
        t.names[#t.names + 1] = "extra_col"
        for _, r in ipairs(t.rows) do r[#t.names] = "1" end
      end },
    { "NaN", "NaN", function(t)
        local j
        for i, n in ipairs(t.names) do if n == sch.subs[1] then j = i end end
        t.rows[2][j] = "NaN"
      end },
  }
  for _, b in ipairs(bad) do
    local r = graded(sch.perfect, "bad", b[3])
    if r.status ~= "FAILED" then return false, b[1] .. ": accepted with raw score " .. tostring(r.raw_score) end
    if not r.error.message:find(b[2], 1, true) then
      return false, string.format("%s: rejected with '%s' (want '%s')", b[1], r.error.message, b[2])
    end
  end
  return true, string.format("%s %.6g (position 1 of %d), worse %.6g, 3 bad inputs rejected", def.metric,
                             perfect.raw_score, perfect.position.private.total, worse.raw_score)
end

---------------------------------------------------------------------------------------------

local names = catalog.names()
local root = TMP .. "/" .. RUNTIME .. "-mledojo"
mkdirs(root)
local graded_ok, skipped = 0, {}
local t0 = os.clock()
tap(#names == 202, "the catalog holds 202 competitions", #names)
for _, name in ipairs(names) do
  if not next(only) or only[name] then
    local ok, detail = run_one(name, "mledojo", root)
    if ok == "skip" then
      skipped[#skipped + 1] = name
      print(string.format("ok %d - %s %s # SKIP not gradable: %s", n_test + 1, RUNTIME, name, detail))
      n_test = n_test + 1
    else
      if ok then graded_ok = graded_ok + 1 end
      tap(ok, name .. (ok and (": " .. detail) or ""), not ok and detail or nil)
    end
  end
end

if not next(only) then
  -- MLE-bench's layout: prepared/public, prepared/private/test.csv
  local mb = TMP .. "/" .. RUNTIME .. "-mlebench"
  mkdirs(mb)
  for _, name in ipairs { "spaceship-titanic", "aerial-cactus-identification", "leaf-classification",
                          "tgs-salt-identification-challenge", "google-quest-challenge", "random-acts-of-pizza" } do
    local ok, detail = run_one(name, "mlebench", mb)
    tap(ok == true, "MLE-bench layout: " .. name, not (ok == true) and detail or nil)
    local def = catalog.definition(name)
    local st = def:status(mb)
    tap(st == "ready", "MLE-bench layout: " .. name .. " is ready", st)
  end

  -- Full leaderboard CSVs take the place of the quantiles; an all-zero public board is ignored.
  do
    local name = "spaceship-titanic"
    local priv = root .. "/" .. name .. "/data/private"
    write_csv(priv .. "/public_leaderboard.csv", { names = { "TeamName", "score" },
      rows = { { "a", "0.9" }, { "b", "0.8" }, { "c", "0.7" } } })
    write_csv(priv .. "/private_leaderboard.csv", { names = { "TeamName", "score" },
      rows = { { "a", "1.0" }, { "b", "0.8" }, { "c", "0.7" }, { "d", "0.6" } } })
    local spec = catalog.definition(name):grading_spec(root)
    tap(spec.leaderboards.private.n == 4 and spec.leaderboards.public.n == 3,
        "leaderboard CSVs in private/ are used when present", spec.leaderboards.private.n)
    local def = catalog.definition("freesound-audio-tagging-2019")
    local fs = def:grading_spec(root)
    tap(fs and fs.leaderboards.public == nil and fs.leaderboards.private ~= nil,
        "freesound: its all-zero public leaderboard is not used", fs and "public kept")
  end

  -- request_info overview: the prepared data's description when present, else the catalog's facts
  do
    local dojo_env = require "dojo.env"
    local name = "random-acts-of-pizza"
    local env, err = dojo_env.make(name, { data_root = root, output_dir = TMP .. "/" .. RUNTIME .. "-run1" })
    local text = env and env:info_text("overview")
    tap(text and text:find("Metric: roc_auc (higher is better).", 1, true) and text:find("Submission: id + one probability column", 1, true),
        "overview without a description: a factual one from the catalog", text or err)
    if env then env:close() end
    local pub = root .. "/" .. name .. "/data/public"
    local f = assert(io.open(pub .. "/description.txt", "wb"))
    f:write("Their own words.\n")
    f:close()
    env, err = dojo_env.make(name, { data_root = root, output_dir = TMP .. "/" .. RUNTIME .. "-run2" })
    text = env and env:info_text("overview")
    tap(text == "Their own words.\n", "overview: the prepared data's description.txt when present", text or err)
    if env then env:close() end
    local e2, err2 = dojo_env.make("airbus-ship-detection", { data_root = root, output_dir = TMP .. "/" .. RUNTIME .. "-run3" })
    tap(e2 == nil and err2:find("cannot be graded by dojo", 1, true), "an env for a not gradable competition is refused with the reason", err2)
  end

  -- Statuses
  local empty = TMP .. "/" .. RUNTIME .. "-empty"
  mkdirs(empty)
  local counts = {}
  for _, name in ipairs(names) do
    local st = catalog.definition(name):status(empty)
    counts[st] = (counts[st] or 0) + 1
  end
  tap((counts["needs data"] or 0) + (counts["not gradable"] or 0) == 202,
      "an empty data root: every catalog competition needs data or is not gradable")
  local st, hint = catalog.definition("AI4Code"):status(empty)
  tap(st == "needs data" and hint:find("prepare/mle.py --competitions AI4Code", 1, true) and
      hint:find("mlebench prepare -c AI4Code", 1, true), "needs data comes with the commands that prepare it", hint)
  local def = competition.load("titanic")
  tap(def and def.dir ~= nil, "a folder definition wins over the catalog (titanic)")
  local list, where = competition.list()
  local n_cat = 0
  for _, n in ipairs(list) do if where[n] == "catalog" then n_cat = n_cat + 1 end end
  tap(n_cat >= 201 and #list >= 202, "competition.list includes the catalog", #list)
  print(string.format("# %s: %d gradable catalog competitions passed, %d not gradable (%s); %.1fs CPU", RUNTIME,
                      graded_ok, #skipped, table.concat(skipped, ", "), os.clock() - t0))
end
print("1.." .. n_test)
os.exit(failed == 0 and 0 or 1)
