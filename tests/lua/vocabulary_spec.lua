-- vocabulary_spec.lua -- every metric name of the catalog's vocabulary works through the Lua
-- API and through `dojo score` (files matched by id), with the same number, on Lua 5.4 and
-- LuaJIT. (Exactness against scikit-learn is tests/parity's job.)
local dojo = require "dojo"
local grade = require "dojo.grade"

local REG_Y = { 1, 2, 3, 4, 5, 6 }
local REG_P = { 1.1, 1.9, 3.2, 3.8, 5.5, 6.1 }
local BIN_Y = { 0, 1, 1, 0, 1, 0 }
local BIN_P = { 0.1, 0.9, 0.35, 0.3, 0.6, 0.4 }
local LAB_Y = { "a", "b", "a", "c", "b", "a" }
local LAB_P = { "a", "b", "c", "c", "b", "b" }

-- name -> truth, pred (single vectors, lists of columns, or class columns), params
local cases = {
  rmse = { REG_Y, REG_P }, mse = { REG_Y, REG_P }, mae = { REG_Y, REG_P }, medae = { REG_Y, REG_P },
  r2 = { REG_Y, REG_P }, rmsle = { REG_Y, REG_P }, mape = { REG_Y, REG_P }, smape = { REG_Y, REG_P },
  rmspe = { REG_Y, REG_P }, pearson = { REG_Y, REG_P }, spearman = { REG_Y, REG_P },
  kendall_tau = { REG_Y, REG_P },
  roc_auc = { BIN_Y, BIN_P }, gini_normalized = { BIN_Y, BIN_P }, log_loss = { BIN_Y, BIN_P },
  mcrmse = { { REG_Y, REG_P }, { REG_P, REG_Y } }, mcrmsle = { { REG_Y, REG_P }, { REG_P, REG_Y } },
  spearman_mean_columns = { { REG_Y, REG_P }, { REG_P, { 1, 3, 2, 4, 6, 5 } } },
  roc_auc_mean_columns = { { BIN_Y, { 1, 0, 1, 0, 1, 1 } }, { BIN_P, { 0.8, 0.1, 0.7, 0.4, 0.3, 0.9 } } },
  log_loss_mean_columns = { { BIN_Y, { 1, 0, 1, 0, 1, 1 } }, { BIN_P, { 0.8, 0.1, 0.7, 0.4, 0.3, 0.9 } } },
  macro_average_precision = { { BIN_Y, { 1, 0, 1, 0, 1, 1 } }, { BIN_P, { 0.8, 0.1, 0.7, 0.4, 0.3, 0.9 } } },
  kl_divergence = { { { 0.2, 0.5, 0.1, 0.4, 0.3, 0.6 }, { 0.8, 0.5, 0.9, 0.6, 0.7, 0.4 } },
                    { { 0.3, 0.4, 0.2, 0.4, 0.25, 0.5 }, { 0.7, 0.6, 0.8, 0.6, 0.75, 0.5 } } },
  accuracy = { LAB_Y, LAB_P }, balanced_accuracy = { LAB_Y, LAB_P }, error_rate = { LAB_Y, LAB_P },
  f1_macro = { LAB_Y, LAB_P }, f1_micro = { LAB_Y, LAB_P }, f1_weighted = { LAB_Y, LAB_P },
  mcc = { LAB_Y, LAB_P }, qwk = { { 1, 2, 3, 4, 2, 1 }, { 1, 3, 3, 4, 1, 1 } },
  f1 = { BIN_Y, { 0, 1, 0, 0, 1, 1 } }, precision = { BIN_Y, { 0, 1, 0, 0, 1, 1 } },
  recall = { BIN_Y, { 0, 1, 0, 0, 1, 1 } },
  log_loss_multiclass = { LAB_Y, { { 0.7, 0.1, 0.5, 0.1, 0.2, 0.6 }, { 0.2, 0.8, 0.3, 0.1, 0.7, 0.2 },
                                   { 0.1, 0.1, 0.2, 0.8, 0.1, 0.2 } }, { labels = { "a", "b", "c" } } },
  weighted_log_loss = { BIN_Y, { { 0.9, 0.2, 0.6, 0.7, 0.3, 0.5 }, { 0.1, 0.8, 0.4, 0.3, 0.7, 0.5 } },
                        { labels = { 0, 1 } } },
  map_at_k = { { "a", "b c", "d", "a", "e", "f" }, { "a b c", "c x b", "x y d", "b", "e", "q r f" }, { k = 3 } },
  apk = { { "a", "b c", "d", "a", "e", "f" }, { "a b c", "c x b", "x y d", "b", "e", "q r f" }, { k = 3 } },
  ndcg_at_k = { { "a", "b", "d", "a", "e", "f" }, { "a b c", "c x b", "x y d", "b", "e", "q r f" }, { k = 5 } },
  f1_samples = { { "a b", "c", "", "d e", "f", "g" }, { "a", "c d", "", "e d", "x", "g" } },
  jaccard_word = { { "the cat sat", "a dog", "", "Hello World", "x y", "one" },
                   { "the cat", "a dog ran", "", "hello world", "z", "two" } },
  levenshtein_mean = { { "kitten", "flaw", "", "abc", "same", "x" }, { "sitting", "lawn", "", "abd", "same", "" } },
  dice_rle = { { "1 3 10 2", "", "5 5", "1 1", "2 2", "" }, { "1 2 10 2", "", "6 5", "", "2 2", "3 1" },
               { height = 10, width = 10 } },
  iou_map = { { "1 3 10 2", "", "5 5", "1 1", "2 2", "" }, { "1 2 10 2", "", "6 5", "", "2 2", "3 1" },
              { height = 10, width = 10 } },
}

local function tmp(name) return os.tmpname() .. "-" .. name .. ".csv" end

local function csv_cell(v)
  if type(v) == "number" then return string.format("%.17g", v) end
  return '"' .. v:gsub('"', '""') .. '"'
end

-- Writes id + columns; cols is a list of { name, values }.
local function write_csv(path, cols, order)
  local lines = { "id" }
  for _, c in ipairs(cols) do lines[1] = lines[1] .. "," .. c[1] end
  for _, i in ipairs(order) do
    local row = { tostring(100 + i) }
    for _, c in ipairs(cols) do row[#row + 1] = csv_cell(c[2][i]) end
    lines[#lines + 1] = table.concat(row, ",")
  end
  assert(dojo.core.file_write(path, table.concat(lines, "\n") .. "\n"))
end

local VOCAB = { "accuracy", "balanced_accuracy", "error_rate", "roc_auc", "roc_auc_mean_columns",
  "gini_normalized", "log_loss", "log_loss_multiclass", "log_loss_mean_columns", "weighted_log_loss",
  "rmse", "rmsle", "mse", "mae", "medae", "r2", "mape", "smape", "rmspe", "mcrmse", "mcrmsle", "f1",
  "f1_macro", "f1_micro", "f1_weighted", "f1_samples", "precision", "recall", "mcc", "qwk", "map_at_k",
  "apk", "ndcg_at_k", "spearman", "pearson", "kendall_tau", "spearman_mean_columns",
  "macro_average_precision", "kl_divergence", "jaccard_word", "levenshtein_mean", "dice_rle", "iou_map" }

describe("the metric vocabulary", function()
  for _, name in ipairs(VOCAB) do
    it(name .. " works through dojo.metrics and dojo score alike", function()
      local case = assert(cases[name], "no case for " .. name)
      local info = assert(dojo.metrics.info(name), name .. " is not a metric")
      local truth, pred, params = case[1], case[2], case[3]
      local v, err = dojo.metrics[name](truth, pred, params)
      assert.are.equal("number", type(v), tostring(err))
      assert.is_true(v == v)
      -- the same through files, rows of the prediction in reverse order
      local n = 6
      local order, rev = {}, {}
      for i = 1, n do order[i], rev[i] = i, n + 1 - i end
      local tpath, ppath = tmp("truth"), tmp("pred")
      local sparams = {}
      for k, x in pairs(params or {}) do if k ~= "labels" then sparams[k] = x end end
      if info.kind == "proba" then
        write_csv(tpath, { { "label", truth } }, order)
        local cols = {}
        for j, l in ipairs(params.labels) do cols[j] = { tostring(l), pred[j] } end
        write_csv(ppath, cols, rev)
      elseif type(truth[1]) == "table" then
        local tc, pc = {}, {}
        for j = 1, #truth do tc[j] = { "c" .. j, truth[j] } pc[j] = { "c" .. j, pred[j] } end
        write_csv(tpath, tc, order)
        write_csv(ppath, pc, rev)
      else
        write_csv(tpath, { { "y", truth } }, order)
        write_csv(ppath, { { "prediction", pred } }, rev)
      end
      local s, serr = grade.score_files(name, tpath, ppath, sparams)
      assert.are.equal("number", type(s), tostring(serr))
      assert.is_true(math.abs(s - v) <= 1e-12 * math.max(1, math.abs(v)), name .. ": " .. s .. " vs " .. v)
      os.remove(tpath)
      os.remove(ppath)
    end)
  end
end)
