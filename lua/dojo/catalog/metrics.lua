-- dojo.catalog.metrics: the catalog competitions' own metrics that are glue over the
-- kernels -- a filter, a grouping, weights from an answer column, a parse of a small format
-- -- registered with dojo.metrics. The numeric work stays in the C kernels where one fits.
-- Answer columns a metric reads besides the targets arrive as params.aux[name] (the
-- definition's grading.aux_columns), aligned to the rows.
local metrics = require "dojo.metrics"

local M = {}

local function is_column(v) local t = type(v) return t == "userdata" or t == "cdata" end

local function arr(v)
  if is_column(v) then return (v:totable()), v.n end
  return v, #v
end

local function list(v)
  if is_column(v) or (type(v) == "table" and type(v[1]) ~= "table" and not is_column(v[1])) then return { v } end
  return v
end

local function key(x)
  if type(x) == "number" then
    if x == math.floor(x) and math.abs(x) < 2 ^ 53 then return string.format("%d", x) end
    return string.format("%.17g", x)
  end
  return x
end

local function aux(params, name)
  local a = params and params.aux and params.aux[name]
  if not a then error("the metric needs the answers' column " .. name, 0) end
  return (arr(a))
end

local function register(name, kind, hib, fn)
  metrics.register(name, fn, { kind = kind, higher_is_better = hib })
  M[name] = fn
end

-- inaturalist-2019: top-1 error on the first space-separated predicted label.
register("error_rate_first_token", "text", false, function(truth, pred)
  local t, n = arr(truth)
  local p = arr(pred)
  local wrong = 0
  for i = 1, n do
    local first = p[i] and tostring(p[i]):match("%S+")
    if first == nil or first ~= key(t[i]) then wrong = wrong + 1 end
  end
  return wrong / n
end)

-- bengaliai-cv19: macro recall per grapheme component (the row_id's suffix), averaged with
-- weights 2:1:1 (grapheme_root, vowel_diacritic, consonant_diacritic).
local COMPONENTS = { { "grapheme_root", 2 }, { "vowel_diacritic", 1 }, { "consonant_diacritic", 1 } }
register("weighted_macro_recall_components", "labels", true, function(truth, pred, params)
  local t, n = arr(truth)
  local p = arr(pred)
  local ids = aux(params, "row_id")
  local parts = {}
  for _, c in ipairs(COMPONENTS) do parts[c[1]] = { y = {}, p = {} } end
  for i = 1, n do
    local id = tostring(ids[i])
    local part
    for _, c in ipairs(COMPONENTS) do
      if id:sub(-#c[1] - 1) == "_" .. c[1] then part = parts[c[1]] end
    end
    if not part then return nil, string.format("row_id '%s' names no grapheme component", id) end
    part.y[#part.y + 1], part.p[#part.p + 1] = t[i], p[i]
  end
  local s, w = 0, 0
  for _, c in ipairs(COMPONENTS) do
    local part = parts[c[1]]
    if #part.y == 0 then return nil, "the answers have no " .. c[1] .. " row" end
    local r, err = metrics.compute("recall", part.y, part.p, { average = "macro" })
    if not r then return nil, err end
    s, w = s + c[2] * r, w + c[2]
  end
  return s / w
end)

-- champs-scalar-coupling: the mean over coupling types of log(max(MAE of the type, 1e-9)).
register("log_mae_by_group", "numeric", false, function(truth, pred, params)
  local t, n = arr(truth)
  local p = arr(pred)
  local g = aux(params, "type")
  local sum, cnt, order = {}, {}, {}
  for i = 1, n do
    local k = tostring(g[i])
    if not sum[k] then sum[k], cnt[k] = 0, 0 order[#order + 1] = k end
    sum[k], cnt[k] = sum[k] + math.abs(t[i] - p[i]), cnt[k] + 1
  end
  local s = 0
  for _, k in ipairs(order) do s = s + math.log(math.max(sum[k] / cnt[k], 1e-9)) end
  return s / #order
end)

-- google-quest-challenge: mean column-wise Spearman, a column without a correlation (a
-- constant prediction) counting 0.
register("spearman_mean_columns_nan0", "numeric", true, function(truth, pred)
  local ys, ps = list(truth), list(pred)
  local s = 0
  for j = 1, #ys do
    local r = metrics.compute("spearman", ys[j], ps[j])
    s = s + (r or 0)
  end
  return s / #ys
end)

-- jigsaw-unintended-bias: 0.25 overall AUC + 0.25 each of the power means (p = -5) of the
-- subgroup, BPSN and BNSP AUCs over the identity subgroups (answers' identity >= 0.5;
-- toxicity >= 0.5 is the positive class), as Kaggle's evaluation computes it.
local function power_mean(v, p)
  local s = 0
  for _, x in ipairs(v) do s = s + x ^ p end
  return (s / #v) ^ (1 / p)
end
register("jigsaw_bias_auc", "numeric", true, function(truth, pred, params)
  local t, n = arr(truth)
  local p = arr(pred)
  local y = {}
  for i = 1, n do y[i] = (t[i] or 0) >= 0.5 and 1 or 0 end
  local function auc(rows, what)
    local yy, pp = {}, {}
    for k, r in ipairs(rows) do yy[k], pp[k] = y[r], p[r] end
    local v, err = metrics.compute("roc_auc", yy, pp)
    if not v then error(string.format("%s: %s", what, err), 0) end
    return v
  end
  local all = {}
  for i = 1, n do all[i] = i end
  local ok, res = pcall(function()
    local overall = auc(all, "overall")
    local sub, bpsn, bnsp = {}, {}, {}
    for name in pairs(params.aux) do
      local g = aux(params, name)
      local in_s, bp, bn = {}, {}, {}
      for i = 1, n do
        local member = (g[i] or 0) >= 0.5
        if member then in_s[#in_s + 1] = i end
        if (member and y[i] == 0) or (not member and y[i] == 1) then bp[#bp + 1] = i end
        if (member and y[i] == 1) or (not member and y[i] == 0) then bn[#bn + 1] = i end
      end
      sub[#sub + 1] = auc(in_s, "subgroup " .. name)
      bpsn[#bpsn + 1] = auc(bp, "BPSN " .. name)
      bnsp[#bnsp + 1] = auc(bn, "BNSP " .. name)
    end
    return 0.25 * overall + 0.25 * (power_mean(sub, -5) + power_mean(bpsn, -5) + power_mean(bnsp, -5))
  end)
  if not ok then return nil, tostring(res) end
  return res
end)

-- kuzushiji-recognition: micro F1 of "label x y" points against "label x y w h" boxes: a
-- point is a true positive when it falls inside a box of its label not yet matched (the
-- first such box, predictions taken in order); at most 1200 points per page.
local function fields(s)
  local out = {}
  for tok in tostring(s or ""):gmatch("%S+") do out[#out + 1] = tok end
  return out
end
register("f1_point_in_box", "text", true, function(truth, pred)
  local t, n = arr(truth)
  local p = arr(pred)
  local tp, fp, fn = 0, 0, 0
  for i = 1, n do
    local b, q = fields(t[i]), fields(p[i])
    if #b % 5 ~= 0 then return nil, string.format("row %d: the answer is not groups of 'label x y w h'", i) end
    if #q % 3 ~= 0 then return nil, string.format("row %d: the prediction is not groups of 'label x y'", i) end
    if #q / 3 > 1200 then return nil, string.format("row %d: more than 1200 predicted characters", i) end
    local boxes = {}
    for k = 1, #b, 5 do
      local x, y, w, h = tonumber(b[k + 1]), tonumber(b[k + 2]), tonumber(b[k + 3]), tonumber(b[k + 4])
      if not (x and y and w and h) then return nil, string.format("row %d: the answer has a non-numeric box", i) end
      boxes[#boxes + 1] = { label = b[k], x0 = x, y0 = y, x1 = x + w, y1 = y + h }
    end
    local hits = 0
    for k = 1, #q, 3 do
      local x, y = tonumber(q[k + 1]), tonumber(q[k + 2])
      if not (x and y) then return nil, string.format("row %d: the prediction has a non-numeric point", i) end
      for _, bx in ipairs(boxes) do
        if not bx.taken and bx.label == q[k] and x >= bx.x0 and x <= bx.x1 and y >= bx.y0 and y <= bx.y1 then
          bx.taken = true
          hits = hits + 1
          break
        end
      end
    end
    tp, fp, fn = tp + hits, fp + #q / 3 - hits, fn + #boxes - hits
  end
  if tp == 0 then return 0 end
  return 2 * tp / (2 * tp + fp + fn)
end)

-- osic-pulmonary-fibrosis: the modified Laplace log likelihood, sigma = max(Confidence, 70),
-- delta = min(|FVC - prediction|, 1000), -sqrt(2) delta / sigma - ln(sqrt(2) sigma), averaged
-- over each patient's last 3 weeks with a measured FVC (the Patient_Week ids "ID_week").
register("laplace_log_likelihood", "numeric", true, function(truth, pred, params)
  local ys, ps = list(truth), list(pred)
  if #ps < 2 then return nil, "laplace_log_likelihood needs the FVC and Confidence prediction columns" end
  local t, n = arr(ys[1])
  local f, c = arr(ps[1]), (arr(ps[2]))
  local ids = aux(params, "Patient_Week")
  local by = {}
  for i = 1, n do
    if t[i] ~= nil then
      local pid, week = tostring(ids[i]):match("^(.*)_(%-?[%d%.]+)$")
      if not pid then return nil, string.format("Patient_Week '%s' is not PATIENT_WEEK", tostring(ids[i])) end
      by[pid] = by[pid] or {}
      table.insert(by[pid], { week = tonumber(week), row = i })
    end
  end
  local s, cnt = 0, 0
  local pids = {}
  for pid in pairs(by) do pids[#pids + 1] = pid end
  table.sort(pids)
  for _, pid in ipairs(pids) do
    local l = by[pid]
    table.sort(l, function(a, b) return a.week > b.week end)
    for k = 1, math.min(3, #l) do
      local i = l[k].row
      local sigma = math.max(c[i], 70)
      local delta = math.min(math.abs(t[i] - f[i]), 1000)
      s = s - math.sqrt(2) * delta / sigma - math.log(math.sqrt(2) * sigma)
      cnt = cnt + 1
    end
  end
  if cnt == 0 then return nil, "no answer row has a measured FVC" end
  return s / cnt
end)

-- the-winton-stock-market-challenge: sum(w |error|) / N, w = Weight_Intraday for returns 1-60
-- of a window, Weight_Daily for 61-62 (the id is "window_return").
register("wmae_winton", "numeric", false, function(truth, pred, params)
  local t, n = arr(truth)
  local p = arr(pred)
  local ids, wi, wd = aux(params, "Id"), aux(params, "Weight_Intraday"), aux(params, "Weight_Daily")
  local s = 0
  for i = 1, n do
    local r = tonumber(tostring(ids[i]):match("_(%d+)$"))
    if not r then return nil, string.format("Id '%s' is not WINDOW_RETURN", tostring(ids[i])) end
    local w = r <= 60 and wi[i] or wd[i]
    if type(w) ~= "number" then return nil, string.format("Id %s has no weight in the answers", tostring(ids[i])) end
    s = s + w * math.abs(t[i] - p[i])
  end
  return s / n
end)

-- benchmark-bond-trade-price-challenge: MAE weighted by the answers' weight column.
register("mae_weight_column", "numeric", false, function(truth, pred, params)
  return metrics.compute("mae", truth, pred, { weights = aux(params, "weight") })
end)

-- walmart-recruiting: MAE with weight 5 on holiday weeks (the answers' IsHoliday), else 1.
register("mae_holiday_weighted", "numeric", false, function(truth, pred, params)
  local h = aux(params, "IsHoliday")
  local w = {}
  for i = 1, #h do
    local v = h[i]
    local hol = v == true or v == 1 or (type(v) == "string" and (v:lower() == "true" or v == "1"))
    w[i] = hol and 5 or 1
  end
  return metrics.compute("mae", truth, pred, { weights = w })
end)

-- grupo-bimbo: RMSLE with answers and predictions clipped at 0 first.
register("rmsle_clip0", "numeric", false, function(truth, pred)
  local t, n = arr(truth)
  local p = arr(pred)
  local a, b = {}, {}
  for i = 1, n do a[i], b[i] = math.max(t[i], 0), math.max(p[i], 0) end
  return metrics.compute("rmsle", a, b)
end)

-- imet-2020-fgvc7: micro F2 over the (row, label) pairs of space-separated label sets.
register("f2_micro_sets", "text", true, function(truth, pred)
  local t, n = arr(truth)
  local p = arr(pred)
  local tp, fp, fn = 0, 0, 0
  for i = 1, n do
    local a, b = {}, {}
    for tok in tostring(t[i] or ""):gmatch("%S+") do a[tok] = true end
    for tok in tostring(p[i] or ""):gmatch("%S+") do b[tok] = true end
    for tok in pairs(b) do if a[tok] then tp = tp + 1 else fp = fp + 1 end end
    for tok in pairs(a) do if not b[tok] then fn = fn + 1 end end
  end
  if tp == 0 then return 0 end
  return 5 * tp / (5 * tp + 4 * fn + fp)
end)

-- flavours-of-physics: the truncated weighted AUC (kernel weighted_auc_flavours) on the
-- events with min_ANNmuon > 0.4.
register("flavours_weighted_auc", "numeric", true, function(truth, pred, params)
  local t, n = arr(truth)
  local p = arr(pred)
  local m = aux(params, "min_ANNmuon")
  local a, b = {}, {}
  for i = 1, n do
    if type(m[i]) == "number" and m[i] > 0.4 then a[#a + 1], b[#b + 1] = t[i], p[i] end
  end
  if #a == 0 then return nil, "no answer row has min_ANNmuon > 0.4" end
  return metrics.compute("weighted_auc_flavours", a, b)
end)

return M
