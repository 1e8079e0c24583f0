-- metrics_spec.lua -- dojo.metrics on Lua arrays and table columns, identical on Lua 5.4 and
-- LuaJIT. The expected values were computed with scikit-learn 1.2 (Debian's python3).
local dojo = require "dojo"
local metrics = dojo.metrics

local function close(a, b) return math.abs(a - b) <= 1e-12 * math.max(1, math.abs(b)) end

describe("dojo.metrics", function()
  it("computes built-in metrics on Lua arrays, as scikit-learn does", function()
    assert.is_true(close(metrics.roc_auc({ 0, 1, 1, 0, 1 }, { 0.1, 0.4, 0.35, 0.8, 0.9 }), 0.6666666666666666))
    assert.is_true(close(metrics.f1_macro({ "cat", "dog", "cat", "bird", "dog" },
                                          { "cat", "cat", "cat", "bird", "dog" }), 0.8222222222222223))
    assert.is_true(close(metrics.f1({ 0, 1, 1, 0, 1 }, { 0, 1, 0, 0, 1 }), 0.8))
    assert.is_true(close(metrics.qwk({ 1, 2, 3, 4, 5, 3 }, { 1, 2, 4, 4, 3, 3 }), 0.7058823529411764))
    assert.is_true(close(metrics.rmse({ 3, -0.5, 2, 7 }, { 2.5, 0.0, 2, 8 }), 0.6123724356957945))
    assert.is_true(close(metrics.r2({ 3, -0.5, 2, 7 }, { 2.5, 0.0, 2, 8 }, { weights = { 1, 2, 1, 0.5 } }),
                         0.9509803921568627))
    assert.are.equal(0.75, metrics.accuracy({ 1, 2, 3, 4 }, { 1, 2, 0, 4 }))
    local ll = metrics.log_loss_multiclass({ "a", "b", "c", "a" },
      { { 0.7, 0.1, 0.2, 0.5 }, { 0.2, 0.8, 0.2, 0.25 }, { 0.1, 0.1, 0.6, 0.25 } }, { labels = { "a", "b", "c" } })
    assert.is_true(close(ll, 0.4459478248947195))
  end)

  it("computes the same on table columns, read in place", function()
    local t = assert(dojo.table.parse("id,y,p\n1,0,0.1\n2,1,0.4\n3,1,0.35\n4,0,0.8\n5,1,0.9\n"))
    assert.is_true(close(metrics.roc_auc(t:column("y"), t:column("p")), 0.6666666666666666))
    assert.is_true(close(metrics.gini_normalized(t:column("y"), t:column("p")), 2 * 0.6666666666666666 - 1))
  end)

  it("returns nil and a message for data it cannot score", function()
    local v, err = metrics.roc_auc({ 1, 1, 1 }, { 0.2, 0.3, 0.4 })
    assert.is_nil(v)
    assert.truthy(err:find("one class", 1, true), err)
    v, err = metrics.rmse({ 1, 2 }, { 1, 0 / 0 })
    assert.is_nil(v)
    assert.truthy(err:find("NaN", 1, true), err)
    local t = assert(dojo.table.parse("y,p\n1,\n0,0.5\n"))
    v, err = metrics.rmse(t:column("y"), t:column("p"))
    assert.is_nil(v)
    assert.truthy(err:find("row 1 is missing", 1, true), err)
    v, err = metrics.f1({ "yes", "no" }, { "yes", "yes" })
    assert.is_nil(v)
    assert.truthy(err:find("pos_label", 1, true))
    assert.is_true(close(metrics.f1({ "yes", "no" }, { "yes", "yes" }, { pos_label = "yes" }), 2 / 3))
  end)

  it("raises on misuse: unknown metrics and parameters", function()
    assert.has_error(function() metrics.compute("nope", { 1 }, { 1 }) end, "unknown metric 'nope'")
    assert.is_nil(metrics.nope)
    assert.has_error(function() metrics.rmse({ 1 }, { 1 }, { bogus = 1 }) end)
    assert.has_error(function() metrics.rmse({ 1, 2 }, { 1 }) end)
  end)

  it("registers metrics written in Lua, listed and described like built-in ones", function()
    metrics.register("max_error", function(truth, pred)
      local m = 0
      for i = 1, #truth do m = math.max(m, math.abs(truth[i] - pred[i])) end
      return m
    end, { higher_is_better = false })
    assert.are.equal(2, metrics.max_error({ 1, 5 }, { 2, 3 }))
    assert.are.same({ name = "max_error", kind = "numeric", higher_is_better = false, builtin = false },
                    metrics.info("max_error"))
    local found = false
    for _, n in ipairs(metrics.list()) do if n == "max_error" then found = true end end
    assert.is_true(found)
    metrics.register("broken", function() return "x" end, { higher_is_better = true })
    local v, err = metrics.broken({ 1 }, { 1 })
    assert.is_nil(v)
    assert.truthy(err:find("not a number", 1, true))
    assert.has_error(function() metrics.register("bad name", function() end, { higher_is_better = true }) end)
    assert.has_error(function() metrics.register("x", function() end, {}) end)
    metrics.unregister("max_error")
    metrics.unregister("broken")
    assert.is_nil(metrics.info("max_error"))
  end)

  it("describes built-in metrics", function()
    assert.are.same({ name = "roc_auc", kind = "numeric", higher_is_better = true, builtin = true },
                    metrics.info("roc_auc"))
    assert.are.equal("labels", metrics.info("qwk").kind)
    assert.are.equal("proba", metrics.info("log_loss_multiclass").kind)
    assert.are.equal("text", metrics.info("map_at_k").kind)
    assert.is_false(metrics.info("rmse").higher_is_better)
  end)
end)
