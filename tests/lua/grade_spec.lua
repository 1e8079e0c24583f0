-- grade_spec.lua -- grading: HumanRank positions, medals, submission validation (a table of
-- bad submissions, each with its exit code and message), dojo score and dojo grade, on Lua
-- 5.4 and LuaJIT alike.
local dojo = require "dojo"
local grade = require "dojo.grade"

local tmpdir = require("support").tmpdir

local function write(path, text) assert(dojo.core.file_write(path, text)) end
local function write_rows(path, rows) write(path, table.concat(rows, "\n") .. "\n") end

-- The rows of a submission for ids 1..n in a shuffled order, the id first (p: a file the
-- kernel streams) and last (q: the ordinary path); cols names the value columns and value(j)
-- gives id j's values.
local function shuffled_rows(n, cols, value)
  local p, q = { "id," .. cols }, { cols .. ",id" }
  for i = 1, n do
    local j = (i * 1237) % n + 1
    local v = value(j)
    p[#p + 1], q[#q + 1] = j .. "," .. v, v .. "," .. j
  end
  return p, q
end

local run = require("support").run_cli

describe("HumanRank positions", function()
  it("follow MLE-Dojo's formula on a full leaderboard", function()
    local lb = assert(grade.leaderboard_from_scores({ 0.9, 0.8, 0.8, 0.5 }, true))
    assert.are.same({ position = 1, total = 4, score = 1 }, grade.position(0.95, lb))
    assert.are.same({ position = 1, total = 4, score = 1 }, grade.position(0.9, lb)) -- meets the best
    assert.are.same({ position = 2, total = 4, score = 0.75 }, grade.position(0.8, lb))
    assert.are.same({ position = 4, total = 4, score = 0.25 }, grade.position(0.6, lb))
    assert.are.same({ position = 5, total = 4, score = 0 }, grade.position(0.1, lb))
    local low = assert(grade.leaderboard_from_scores({ 3, 1, 2 }, false))
    assert.are.equal(1, grade.position(0.5, low).position)
    assert.are.equal(2, grade.position(1.5, low).position)
    assert.are.equal(4, grade.position(9, low).position)
  end)

  it("agree between a full leaderboard and its 101 quantiles", function()
    for _, hib in ipairs { true, false } do
      local scores = {}
      for i = 1, 101 do scores[i] = math.floor(((i * 7919) % 101) / 3) / 10 end -- ties
      local sorted = {}
      for i, v in ipairs(scores) do sorted[i] = v end
      table.sort(sorted)
      local full = assert(grade.leaderboard_from_scores(scores, hib))
      local q = assert(grade.leaderboard_from_quantiles(sorted, 101, hib))
      for s = -0.05, 3.5, 0.05 do
        assert.are.equal(grade.position(s, full).position, grade.position(s, q).position,
                         "score " .. s .. (hib and " higher" or " lower"))
      end
    end
  end)

  it("rejects malformed leaderboards", function()
    assert.is_nil(grade.leaderboard_from_scores({}, true))
    assert.is_nil(grade.leaderboard_from_quantiles({ 1, 2 }, 10, true))
  end)
end)

describe("medals", function()
  it("use MLE-bench's thresholds by team count", function()
    assert.are.same({ 1, 2, 4 }, { grade.medal_ranks(10) })
    assert.are.same({ 9, 19, 39 }, { grade.medal_ranks(99) })
    assert.are.same({ 10, 20, 40 }, { grade.medal_ranks(100) })
    assert.are.same({ 10, 49, 99 }, { grade.medal_ranks(249) })
    assert.are.same({ 10, 50, 100 }, { grade.medal_ranks(250) })
    assert.are.same({ 11, 50, 100 }, { grade.medal_ranks(999) })
    assert.are.same({ 12, 50, 100 }, { grade.medal_ranks(1000) })
    assert.are.same({ 18, 200, 400 }, { grade.medal_ranks(4000) })
    assert.are.same({ 1, 1, 1 }, { grade.medal_ranks(2) })
  end)

  it("go to scores that meet the threshold rank's score, and say above median", function()
    local scores = {}
    for i = 1, 100 do scores[i] = i end -- rank r has score 101 - r
    local lb = assert(grade.leaderboard_from_scores(scores, true))
    assert.are.same({ "gold", true }, { grade.medal(91, lb) })     -- rank 10 scores 91
    assert.are.same({ "silver", true }, { grade.medal(90.5, lb) })
    assert.are.same({ "bronze", true }, { grade.medal(61, lb) })    -- rank 40 scores 61
    assert.are.same({ "none", true }, { grade.medal(60, lb) })
    assert.are.same({ "none", false }, { grade.medal(50.5, lb) })   -- median 50.5: not above
  end)
end)

-- A competition fixture: 40 answers with ids, a binary target, a leaderboard.
local ROOT, COMPS
local function fixture()
  if ROOT then return end
  ROOT, COMPS = tmpdir(), tmpdir()
  assert(os.execute("mkdir -p '" .. ROOT .. "/toy/private' '" .. COMPS .. "/toy' '" .. COMPS .. "/toycls'"))
  local lines = { "id,target" }
  for i = 1, 40 do lines[#lines + 1] = string.format("%d,%d", 1000 + i, (i * 7) % 3 == 0 and 1 or 0) end
  write_rows(ROOT .. "/toy/private/test_answer.csv", lines)
  local lb = { "rank,score" }
  for r = 1, 50 do lb[#lb + 1] = string.format("%d,%.4f", r, 1 - r / 100) end
  write_rows(ROOT .. "/toy/private/private_leaderboard.csv", lb)
  write_rows(ROOT .. "/toy/private/public_leaderboard.csv", lb)
  write(COMPS .. "/toy/competition.lua", [[
return dojo.competition {
  name = "toy", title = "A toy binary task", metric = "roc_auc",
  id_column = "id", target_columns = { "target" },
}
]])
  assert(os.execute("mkdir -p '" .. ROOT .. "/toycls/private'"))
  local cls = { "id,species" }
  local names = { "Adelie", "Gentoo", "Chinstrap" }
  for i = 1, 30 do cls[#cls + 1] = string.format("p%d,%s", i, names[i % 3 + 1]) end
  write_rows(ROOT .. "/toycls/private/test_answer.csv", cls)
  write(COMPS .. "/toycls/competition.lua", [[
return dojo.competition {
  name = "toycls", metric = "accuracy", id_column = "id", target_columns = { "species" },
  leaderboard = { private = { rows = 101, quantiles = (function()
    local q = {} for i = 0, 100 do q[i + 1] = i / 100 end return q end)() } },
}
]])
end

local function submission(rows, header)
  local path = os.tmpname()
  local lines = { header or "id,target" }
  for _, r in ipairs(rows) do lines[#lines + 1] = r end
  write_rows(path, lines)
  return path
end

local function good_rows(shuffle)
  local rows = {}
  for i = 1, 40 do
    local y = (i * 7) % 3 == 0 and 1 or 0
    rows[i] = string.format("%d,%.3f", 1000 + i, y == 1 and 0.6 + i / 1000 or 0.4 - i / 1000)
  end
  if shuffle then
    for i = #rows, 2, -1 do
      local j = (i * 17) % i + 1
      rows[i], rows[j] = rows[j], rows[i]
    end
  end
  return rows
end

describe("dojo grade", function()
  setup(fixture)

  it("grades a perfect submission: raw score, positions on both leaderboards, a medal", function()
    local code, out = run("grade", "toy", submission(good_rows()), "--data-root", ROOT,
                          "--competitions", COMPS, "--json")
    assert.are.equal(0, code)
    local r = assert(dojo.json.decode(out))
    assert.are.equal("SUCCESS", r.status)
    assert.are.equal(1, r.raw_score)
    assert.are.equal(1, r.position.public.position)
    assert.are.equal(50, r.position.private.total)
    assert.are.equal(1, r.position.avg)
    assert.are.equal("gold", r.medal)
  end)

  it("scores a shuffled copy the same (rows are matched by id)", function()
    local code, out = run("grade", "toy", submission(good_rows(true)), "--data-root", ROOT,
                          "--competitions", COMPS, "--json")
    assert.are.equal(0, code)
    assert.are.equal(1, dojo.json.decode(out).raw_score)
  end)

  it("grades from catalog-style quantiles when no leaderboard file exists", function()
    local rows = {}
    local names = { "Adelie", "Gentoo", "Chinstrap" }
    for i = 1, 30 do rows[i] = string.format("p%d,%s", i, i <= 15 and names[i % 3 + 1] or "Adelie") end
    local code, out = run("grade", "toycls", submission(rows, "id,species"), "--data-root", ROOT,
                          "--competitions", COMPS, "--json")
    assert.are.equal(0, code, out)
    local r = dojo.json.decode(out)
    assert.are.equal(0.5 + 5 / 30, r.raw_score) -- 15 right + the 5 Adelie among the rest
    assert.are.equal(101, r.position.private.total)
  end)

  local bad = {
    { "a missing file", function() return "/nonexistent/sub.csv" end, "cannot open /nonexistent/sub.csv" },
    { "an empty file", function() return submission({}, "") end, "empty" },
    { "a header only", function() return submission({}) end, "no rows" },
    { "not a CSV (ragged)", function() return submission({ "1001,0.5,7", "1002" }) end, "line" },
    { "a missing column", function() return submission({ "1001" }, "id") end, "missing column(s) target" },
    { "an extra column", function()
        local rows = {}
        for i, r in ipairs(good_rows()) do rows[i] = r .. ",x" end
        return submission(rows, "id,target,extra")
      end, "unexpected column(s) extra" },
    { "a wrong column name", function() return submission(good_rows(), "id,prediction") end,
      "missing column(s) target and unexpected column(s) prediction" },
    { "duplicate ids", function()
        local rows = good_rows()
        rows[2] = rows[1]
        return submission(rows)
      end, "1 duplicate id(s) in id, e.g. 1001" },
    { "ids missing from the submission", function()
        local rows = good_rows()
        table.remove(rows, 5)
        return submission(rows)
      end, "39 rows but 40 are expected: 1 id(s) of the answers are missing (e.g. 1005)" },
    { "ids the answers do not know", function()
        local rows = good_rows()
        rows[7] = "99999,0.5"
        return submission(rows)
      end, "1 id(s) are not in the answers (e.g. 99999)" },
    { "a non-numeric value", function()
        local rows = good_rows()
        rows[3] = "1003,abc"
        return submission(rows)
      end, "abc" },
    { "a NaN", function()
        local rows = good_rows()
        rows[4] = "1004,nan"
        return submission(rows)
      end, "column target is NaN for id 1004" },
    { "an infinity", function()
        local rows = good_rows()
        rows[4] = "1004,inf"
        return submission(rows)
      end, "column target is infinite for id 1004" },
    { "an empty value", function()
        local rows = good_rows()
        rows[9] = "1009,"
        return submission(rows)
      end, "column target is empty for id 1009" },
    { "a symbolic link to a secret", function()
        local link = os.tmpname()
        os.remove(link)
        assert(os.execute("ln -s '" .. ROOT .. "/toy/private/test_answer.csv' '" .. link .. "'"))
        return link
      end, "symbolic link" },
    { "a FIFO (refused without blocking)", function()
        local fifo = os.tmpname()
        os.remove(fifo)
        assert(os.execute("mkfifo '" .. fifo .. "'"))
        return fifo
      end, "not a regular file" },
    { "a hard link", function()
        local p = submission(good_rows())
        assert(os.execute("ln -f '" .. p .. "' '" .. p .. ".hard'"))
        return p
      end, "more than one hard link" },
    { "a directory", function() return ROOT end, "Is a directory" },
  }
  for _, case in ipairs(bad) do
    it("rejects " .. case[1] .. " with exit 1 and a sentence naming the problem", function()
      local code, out, err = run("grade", "toy", case[2](), "--data-root", ROOT, "--competitions", COMPS)
      assert.are.equal(1, code, err)
      assert.truthy(err:find(case[3], 1, true), "'" .. err .. "' should contain '" .. case[3] .. "'")
      assert.are.equal(1, select(2, err:gsub("\n", ""))) -- one line
      local jcode, jout = run("grade", "toy", case[2](), "--data-root", ROOT, "--competitions", COMPS, "--json")
      assert.are.equal(1, jcode)
      local doc = assert(dojo.json.decode(jout))
      assert.are.equal("FAILED", doc.status)
      assert.are.equal("InvalidSubmission", doc.error.type)
    end)
  end

  it("rejects labels outside the label set, naming them", function()
    local rows = {}
    for i = 1, 30 do rows[i] = string.format("p%d,%s", i, i == 4 and "Emperor" or "Adelie") end
    local code, _, err = run("grade", "toycls", submission(rows, "id,species"), "--data-root", ROOT,
                             "--competitions", COMPS)
    assert.are.equal(1, code)
    assert.truthy(err:find("label 'Emperor' for id p4, which is not one of: Adelie, Chinstrap, Gentoo", 1, true), err)
  end)

  it("answers an unknown competition or missing data with exit 2", function()
    local code, _, err = run("grade", "nope", "x.csv", "--data-root", ROOT, "--competitions", COMPS)
    assert.are.equal(2, code)
    assert.truthy(err:find("no such competition 'nope'", 1, true))
    code, _, err = run("grade", "toy", "x.csv", "--data-root", "/nonexistent", "--competitions", COMPS)
    assert.are.equal(2, code)
    assert.truthy(err:find("no prepared answers", 1, true))
  end)

  it("grades with a metric registered in Lua like a built-in one", function()
    dojo.metrics.register("mean_pred", function(truth, pred)
      local s = 0
      for i = 1, pred.n do s = s + pred[i] end
      return s / pred.n
    end, { higher_is_better = false })
    local spec = { metric = "mean_pred", id_column = "id", target_columns = { "target" },
                   answers = ROOT .. "/toy/private/test_answer.csv" }
    local rows = {}
    for i = 1, 40 do rows[i] = string.format("%d,%d", 1000 + i, i % 2) end
    local r = grade.grade(spec, submission(rows))
    assert.are.equal("SUCCESS", r.status)
    assert.are.equal(0.5, r.raw_score)
    assert.is_false(r.higher_is_better)
    dojo.metrics.unregister("mean_pred")
  end)
end)

describe("dojo score", function()
  it("scores files matched by id, in any order, with the CONTRACT's column rules", function()
    local d = tmpdir()
    write(d .. "/t.csv", "id,y\n1,1\n2,0\n3,1\n4,0\n")
    write(d .. "/p.csv", "id,score\n4,0.2\n3,0.9\n2,0.1\n1,0.7\n")
    local code, out = run("score", "roc_auc", d .. "/t.csv", d .. "/p.csv")
    assert.are.equal(0, code)
    assert.are.equal("1\n", out)
    write(d .. "/r.csv", "id,y\n1,3.0\n2,5.0\n")
    write(d .. "/q.csv", "id,y\n2,5.0\n1,1.0\n")
    code, out = run("score", "rmse", d .. "/r.csv", d .. "/q.csv")
    assert.are.equal(0, code)
    assert.are.equal(string.format("%.17g\n", math.sqrt(2)), out)
    write(d .. "/mt.csv", "id,label\n1,a\n2,b\n")
    write(d .. "/mp.csv", "id,a,b\n1,0.8,0.2\n2,0.4,0.6\n")
    code, out = run("score", "log_loss_multiclass", d .. "/mt.csv", d .. "/mp.csv", "--json")
    assert.are.equal(0, code, out)
    local v = dojo.json.decode(out).score
    assert.is_true(math.abs(v - (-(math.log(0.8) + math.log(0.6)) / 2)) < 1e-12)
    write(d .. "/ct.csv", "id,a,b\n1,1,2\n2,3,4\n")
    write(d .. "/cp.csv", "id,b,a\n2,4,3\n1,2,2\n")
    code, out = run("score", "mcrmse", d .. "/ct.csv", d .. "/cp.csv")
    assert.are.equal(0, code, out)
    assert.is_true(math.abs(tonumber(out) - (math.sqrt(0.5) + 0) / 2) < 1e-12)
  end)

  it("rejects a bad prediction with exit 1 and usage errors with exit 2", function()
    local d = tmpdir()
    write(d .. "/t.csv", "id,y\n1,1\n2,0\n")
    write(d .. "/p.csv", "id,y\n1,0.5\n")
    local code, _, err = run("score", "roc_auc", d .. "/t.csv", d .. "/p.csv")
    assert.are.equal(1, code)
    assert.truthy(err:find("missing", 1, true))
    code, _, err = run("score", "no_such_metric", d .. "/t.csv", d .. "/p.csv")
    assert.are.equal(2, code)
    assert.truthy(err:find("unknown metric 'no_such_metric'", 1, true))
    code = run("score", "roc_auc", d .. "/t.csv")
    assert.are.equal(2, code)
    code, _, err = run("score", "rmse", d .. "/t.csv", d .. "/p.csv", "--param", "bogus")
    assert.are.equal(2, code)
  end)

  it("reads both files at once with the same tables and messages as one by one", function()
    local d = tmpdir()
    local t, p = { "id,y" }, { "id,score" }
    for i = 1, 3000 do
      t[#t + 1] = string.format("%d,%d", i, i % 2)
      p[#p + 1] = string.format("%d,%.3f", 3001 - i, ((3001 - i) * 7 % 10) / 10)
    end
    write_rows(d .. "/t.csv", t)
    write_rows(d .. "/p.csv", p)
    local popts = { untrusted = true, types = { score = "float" } }
    local a, ea, b, eb = dojo.table.read2(d .. "/t.csv", nil, d .. "/p.csv", popts)
    assert.is_nil(ea)
    assert.is_nil(eb)
    local a1, b1 = assert(dojo.table.read(d .. "/t.csv")), assert(dojo.table.read(d .. "/p.csv", popts))
    assert.are.same({ a1.nrows, a1:column("y").type, a1:column("y")[2999] }, { a.nrows, a:column("y").type, a:column("y")[2999] })
    assert.are.same({ b1.nrows, b1:column("score").type, b1:column("score")[17] }, { b.nrows, b:column("score").type, b:column("score")[17] })
    for _, x in ipairs { a, b, a1, b1 } do x:close() end
    local x, ex, y, ey = dojo.table.read2(d .. "/none.csv", nil, d .. "/p.csv", { types = { score = "int" } })
    assert.is_nil(x)
    assert.is_nil(y)
    assert.are.equal(select(2, dojo.table.read(d .. "/none.csv")), ex)
    assert.are.equal(select(2, dojo.table.read(d .. "/p.csv", { types = { score = "int" } })), ey)
    local good = assert(grade.score_files("roc_auc", d .. "/t.csv", d .. "/p.csv"))
    p[1500] = "1501,high"
    write_rows(d .. "/bad.csv", p)
    local v, err = grade.score_files("roc_auc", d .. "/t.csv", d .. "/bad.csv")
    assert.is_nil(v)
    assert.truthy(err:find("line 1500", 1, true), err)
    v, err = grade.score_files("roc_auc", d .. "/none.csv", d .. "/p.csv")
    assert.is_nil(v)
    assert.are.equal("cannot read the truth: " .. select(2, dojo.table.read(d .. "/none.csv")), err)
    -- dojo grade: the same result with the answers read at once with the submission and
    -- with the answers read beforehand (opts.answers: the submission read alone)
    write(d .. "/ans.csv", "id,label,Usage\n1,a,Public\n2,b,Private\n3,c,Public\n")
    write(d .. "/sub.csv", "id,a,b,c\n3,0.1,0.1,0.8\n1,0.7,0.2,0.1\n2,0.3,0.6,0.1\n")
    write(d .. "/sub2.csv", "id,a,b,c\n3,0.1,0.1,0.8\n1,0.7,x,0.1\n2,0.3,0.6,0.1\n")
    local spec = { metric = "log_loss_multiclass", answers = d .. "/ans.csv", split_column = "Usage",
                   target_columns = { "label" } }
    for _, sub in ipairs { "/sub.csv", "/sub2.csv", "/t.csv" } do
      local ans = assert(dojo.table.read(d .. "/ans.csv"))
      assert.are.same(grade.grade(spec, d .. sub, { answers = ans }), grade.grade(spec, d .. sub))
      ans:close()
    end
    -- a truth through a pipe: no header is read ahead of the whole read
    assert(os.execute("mkfifo " .. d .. "/fifo && (cat " .. d .. "/t.csv > " .. d .. "/fifo &)"))
    assert.are.equal(good, grade.score_files("roc_auc", d .. "/fifo", d .. "/p.csv"))
  end)

  it("reads a one-column submission straight into the answers' order, with the join's results", function()
    local d = tmpdir()
    local t = { "id,y" }
    for i = 1, 3000 do t[#t + 1] = string.format("%d,%.4f", i, (i * 37 % 1000) / 100) end
    local p, q = shuffled_rows(3000, "y", function(j) return string.format("%.3f", (j * 11 % 997) / 99) end)
    write_rows(d .. "/t.csv", t)
    write_rows(d .. "/p.csv", p)
    write_rows(d .. "/q.csv", q) -- the id second: the ordinary path
    local ans = assert(dojo.table.read(d .. "/t.csv"))
    local idx = assert(ans:index("id"))
    local sub = assert(idx:read_aligned(d .. "/p.csv", { types = { y = "float" } }))
    assert.are.same({ "y" }, sub:names())
    assert.are.equal(3000, sub.nrows)
    assert.are.equal(tonumber(string.format("%.3f", (17 * 11 % 997) / 99)), sub:column("y")[17])
    sub:close()
    local function variant(name, row, text)
      local v = {}
      for i, line in ipairs(p) do v[i] = line end
      v[row] = text
      write_rows(d .. "/" .. name, v)
      return d .. "/" .. name
    end
    local dup = variant("dup.csv", 10, p[11])
    local _, nl = assert(io.open(dup)):read("*a"):gsub("\n", "")
    assert.are.equal(3001, nl) -- the header and all 3000 rows, one of them changed
    local unknown = variant("unknown.csv", 10, "99999,1.5")
    local nan = variant("nan.csv", 10, "2,nan")
    local neg = variant("neg.csv", 20, p[20]:gsub(",", ",-"))
    for _, f in ipairs { dup, unknown, nan } do
      assert.is_nil(idx:read_aligned(f, { types = { y = "float" } }))
    end
    idx:close()
    ans:close()
    -- grading: the same score and the same messages as the ordinary path (id not first)
    local function spec(metric) return { metric = metric, answers = d .. "/t.csv", id_column = "id", target_columns = { "y" } } end
    for _, metric in ipairs { "rmse", "mae", "rmsle", "r2" } do
      local a, b = grade.grade(spec(metric), d .. "/p.csv"), grade.grade(spec(metric), d .. "/q.csv")
      assert.are.equal("SUCCESS", a.status)
      assert.are.equal(b.raw_score, a.raw_score)
    end
    for _, f in ipairs { dup, unknown, nan, neg } do
      local r = grade.grade(spec("rmsle"), f)
      assert.are.equal("FAILED", r.status)
      local sq = f:gsub("%.csv$", ".q.csv")
      local lines = {}
      for line in io.lines(f) do
        local a, b = line:match("^([^,]*),(.*)$")
        lines[#lines + 1] = b .. "," .. a
      end
      write_rows(sq, lines)
      local rq = grade.grade(spec("rmsle"), sq)
      assert.are.equal(rq.error.message:gsub("line %d+, column %d+", "line"), (r.error.message:gsub("line %d+, column %d+", "line")))
    end
    assert.are.equal(assert(grade.score_files("rmse", d .. "/t.csv", d .. "/p.csv")), grade.grade(spec("rmse"), d .. "/q.csv").raw_score)
  end)

  it("scores a one-column submission while reading it (score_stream), as the ordinary path does", function()
    local d = tmpdir()
    local t = { "id,y,f" }
    for i = 1, 4000 do
      t[#t + 1] = string.format("%d,%d,%.2f", i, (i * 7) % 3 == 0 and 1 or 0, i % 13 / 4)
    end
    local p, q = shuffled_rows(4000, "y", function(j) return string.format("%.2f", (j * 11 % 97) / 8) end)
    write_rows(d .. "/t.csv", t)
    write_rows(d .. "/p.csv", p)
    write_rows(d .. "/q.csv", q)
    local core = dojo.core
    assert.is_true(core.score_stream_metric("roc_auc"))
    assert.is_false(core.score_stream_metric("r2"))
    local ans = assert(dojo.table.read(d .. "/t.csv"))
    local idx = assert(ans:index("id"))
    local sub = assert(idx:read_aligned(d .. "/p.csv", { types = { y = "float" } }))
    local o = { types = { y = "float" } }
    assert.are.equal(dojo.metrics.roc_auc(ans:column("y"), sub:column("y")), idx:score_stream("roc_auc", 2, d .. "/p.csv", o))
    local want, got = dojo.metrics.rmse(ans:column("f"), sub:column("y")), idx:score_stream("rmse", 3, d .. "/p.csv", o)
    assert.is_true(math.abs(want - got) <= 1e-12 * want, want .. " vs " .. got)
    assert.is_nil(idx:score_stream("r2", 3, d .. "/p.csv", o)) -- not streamed
    assert.is_nil(idx:score_stream("roc_auc", 3, d .. "/p.csv", o)) -- answers not 0/1
    assert.is_nil(idx:score_stream("rmse", 3, d .. "/q.csv", { types = { y = "float" } })) -- id second
    assert.has_error(function() idx:score_stream("rmse", 0, d .. "/p.csv", o) end)
    sub:close()
    idx:close()
    ans:close()
    -- grading streams: the same score as the ordinary path (id second), and its messages
    local spec = { metric = "roc_auc", answers = d .. "/t.csv", id_column = "id", target_columns = { "y" } }
    local a, b = grade.grade(spec, d .. "/p.csv"), grade.grade(spec, d .. "/q.csv")
    assert.are.equal("SUCCESS", a.status)
    assert.are.equal(b.raw_score, a.raw_score)
    local t2 = {}
    for i, line in ipairs(t) do t2[i] = line:gsub(",[^,]*$", "") end
    write_rows(d .. "/t2.csv", t2)
    assert.are.equal(a.raw_score, grade.score_files("roc_auc", d .. "/t2.csv", d .. "/p.csv"))
    local bad = {}
    for i, line in ipairs(p) do bad[i] = line end
    bad[100] = bad[100]:gsub(",.*", ",inf")
    write_rows(d .. "/inf.csv", bad)
    local r = grade.grade(spec, d .. "/inf.csv")
    assert.are.equal("FAILED", r.status)
    assert.truthy(r.error.message:find("infinite", 1, true), r.error.message)
  end)

  it("streams a grading with Kaggle's split: the public and private parts as the ordinary path gives them", function()
    local d = tmpdir()
    local t = { "id,y,label,Usage,c" }
    for i = 1, 3000 do
      t[#t + 1] = string.format("%d,%.2f,%s,%s,%d", i, i % 17 / 4, i % 3 == 0 and "a" or "b",
                                ({ "Public", "private", "PRIVATE" })[i % 3 + 1], (i * 7) % 5 < 2 and 1 or 0)
    end
    local p, q = shuffled_rows(3000, "y", function(j) return string.format("%.3f", (j * 11 % 97) / 8) end)
    local pc, qc = shuffled_rows(3000, "c", function(j) return string.format("%.2f", (j * 13 % 89) / 89) end)
    local pl, ql = shuffled_rows(3000, "a,b", function(j)
      local a = (j % 7 + 1) / 10
      return string.format("%.2f,%.2f", a, 1 - a)
    end)
    for name, rows in pairs { t = t, p = p, q = q, pl = pl, ql = ql, pc = pc, qc = qc } do
      write_rows(d .. "/" .. name .. ".csv", rows)
    end
    local function spec(metric, target)
      return { metric = metric, answers = d .. "/t.csv", id_column = "id", target_columns = { target },
               split_column = "Usage" }
    end
    -- p and pl stream (the id first); q and ql, the id last, take the ordinary path
    for _, case in ipairs { { "rmse", "y", "/p.csv", "/q.csv" }, { "mae", "y", "/p.csv", "/q.csv" },
                            { "log_loss_multiclass", "label", "/pl.csv", "/ql.csv" },
                            { "roc_auc", "c", "/pc.csv", "/qc.csv" } } do
      local a, b = grade.grade(spec(case[1], case[2]), d .. case[3]), grade.grade(spec(case[1], case[2]), d .. case[4])
      assert.are.equal("SUCCESS", a.status)
      for _, k in ipairs { "raw_score", "public_score", "private_score" } do
        assert.is_number(a[k])
        assert.is_true(math.abs(a[k] - b[k]) <= 1e-12 * b[k], case[1] .. " " .. k .. ": " .. a[k] .. " vs " .. b[k])
      end
    end
    local ans = assert(dojo.table.read(d .. "/t.csv"))
    local idx = assert(ans:index("id"))
    local v, pub, priv = idx:score_stream("rmse", 2, d .. "/p.csv", { types = { y = "float" } }, 4)
    assert.is_number(v)
    assert.is_number(pub)
    assert.is_number(priv)
    assert.is_nil(idx:score_stream("roc_auc", 2, d .. "/p.csv", { types = { y = "float" } }, 4)) -- y is not 0/1
    local a, pa, qa = idx:score_stream("roc_auc", 5, d .. "/pc.csv", { types = { c = "float" } }, 4)
    local g = grade.grade(spec("roc_auc", "c"), d .. "/qc.csv")
    assert.are.same({ g.raw_score, g.public_score, g.private_score }, { a, pa, qa }) -- exact: an integer area
    idx:close()
    ans:close()
    -- a split value that is neither Public nor Private: the ordinary path's message
    t[200] = t[200]:gsub(",%a+,(%d)$", ",Test,%1")
    write_rows(d .. "/t.csv", t)
    local r = grade.grade(spec("rmse", "y"), d .. "/p.csv")
    assert.are.equal("FAILED", r.status)
    assert.are.equal(grade.grade(spec("rmse", "y"), d .. "/q.csv").error.message, r.error.message)
    assert.truthy(r.error.message:find("Test", 1, true), r.error.message)
  end)

  it("streams both files of dojo score when the answers' ids run from the first one", function()
    local d = tmpdir()
    local t, tq, p = { "id,y" }, { "y,id" }, { "id,s" }
    for i = 1, 5000 do
      local y = (i * 7) % 3 == 0 and 1 or 0
      t[#t + 1] = string.format("%d,%d", i + 10, y)
      tq[#tq + 1] = string.format("%d,%d", y, i + 10)
      local j = (i * 1237) % 5000 + 1
      p[#p + 1] = string.format("%d,%.2f", j + 10, (j * 11 % 97) / 8)
    end
    write_rows(d .. "/t.csv", t)
    write_rows(d .. "/tq.csv", tq)
    write_rows(d .. "/p.csv", p)
    local o = { types = { y = "float" } }
    local v = dojo.core.score_files_stream("roc_auc", d .. "/t.csv", o, d .. "/p.csv", { types = { s = "float" } })
    assert.is_number(v)
    -- the same as the table path (the truth's id second: no stream)
    local spec = { metric = "roc_auc", answers = d .. "/tq.csv", id_column = "id", target_columns = { "y" } }
    p[1] = "id,y"
    write_rows(d .. "/py.csv", p)
    assert.are.equal(grade.grade(spec, d .. "/py.csv").raw_score, v)
    assert.are.equal(v, grade.score_files("roc_auc", d .. "/t.csv", d .. "/p.csv"))
    assert.is_nil(dojo.core.score_files_stream("r2", d .. "/t.csv", o, d .. "/p.csv", { types = { s = "float" } }))
    -- answers with a gap in their ids: not streamed, and the ordinary path says what is wrong
    t[100] = "99999,1"
    write_rows(d .. "/gap.csv", t)
    assert.is_nil(dojo.core.score_files_stream("roc_auc", d .. "/gap.csv", o, d .. "/p.csv", { types = { s = "float" } }))
    local r, err = grade.score_files("roc_auc", d .. "/gap.csv", d .. "/p.csv")
    assert.is_nil(r)
    assert.truthy(err:find("99999", 1, true) or err:find("missing", 1, true), err)
  end)

  it("streams log_loss_multiclass with text or int labels, as the ordinary path scores it", function()
    local d = tmpdir()
    local t, ti = { "id,label" }, { "id,label" }
    for i = 1, 3000 do
      local c = (i * 7) % 3
      t[#t + 1] = string.format("%d,%s", i, ({ "a", "b", "c" })[c + 1])
      ti[#ti + 1] = string.format("%d,%d", i, c)
    end
    local function row(j)
      local x, y = (j % 5 + 1) / 10, (j % 3 + 1) / 10
      return string.format("%.2f,%.2f,%.2f", x, y, 1 - x - y)
    end
    local p, q = shuffled_rows(3000, "a,b,c", row)
    local pi, qi = shuffled_rows(3000, "0,1,2", row) -- int labels name the columns by their text
    write_rows(d .. "/pi.csv", pi)
    write_rows(d .. "/qi.csv", qi)
    write_rows(d .. "/t.csv", t)
    write_rows(d .. "/ti.csv", ti)
    write_rows(d .. "/p.csv", p)
    write_rows(d .. "/q.csv", q) -- the id last: the ordinary path
    for _, case in ipairs { { "/t.csv", "/p.csv", "/q.csv", "a", "b", "c" }, { "/ti.csv", "/pi.csv", "/qi.csv", "0", "1", "2" } } do
      local truth, pf, qf = case[1], case[2], case[3]
      local ans = assert(dojo.table.read(d .. truth))
      local idx = assert(ans:index("id"))
      local o = { types = { [case[4]] = "float", [case[5]] = "float", [case[6]] = "float" } }
      local s = idx:score_stream("log_loss_multiclass", 2, d .. pf, o)
      local want = grade.grade({ metric = "log_loss_multiclass", answers = d .. truth, id_column = "id",
                                 target_columns = { "label" } }, d .. qf).raw_score
      assert.is_true(math.abs(s - want) <= 1e-12 * want, s .. " vs " .. want)
      assert.are.equal(s, grade.score_files("log_loss_multiclass", d .. truth, d .. pf))
      assert.is_nil(idx:score_stream("log_loss_multiclass", 2, d .. (pf == "/p.csv" and "/pi.csv" or "/p.csv"),
                                     { types = { a = "float", b = "float", c = "float", ["0"] = "float", ["1"] = "float", ["2"] = "float" } }))
      idx:close()
      ans:close()
    end
    -- a probability above 1 and an unknown label: the ordinary path's messages
    local bad = {}
    for i, line in ipairs(p) do bad[i] = line end
    bad[50] = bad[50]:gsub(",[^,]*$", ",1.5")
    write_rows(d .. "/bad.csv", bad)
    local v, err = grade.score_files("log_loss_multiclass", d .. "/t.csv", d .. "/bad.csv")
    assert.is_nil(v)
    assert.truthy(err:find("outside [0, 1]", 1, true), err)
    t[10] = "9,zzz"
    write_rows(d .. "/t.csv", t)
    v, err = grade.score_files("log_loss_multiclass", d .. "/t.csv", d .. "/p.csv")
    assert.is_nil(v)
    assert.truthy(err:find("zzz", 1, true), err)
  end)

  it("keeps the answers' index in the caller's index_cache (built once, the same results)", function()
    local d = tmpdir()
    local t, p = { "id,y" }, { "id,y" }
    for i = 1, 500 do
      t[#t + 1] = string.format("%d,%.2f", i, i % 7)
      p[#p + 1] = string.format("%d,%.2f", 501 - i, (501 - i) % 5)
    end
    write_rows(d .. "/t.csv", t)
    write_rows(d .. "/p.csv", p)
    write(d .. "/q.csv", "y,id\n" .. table.concat(p, "\n"):gsub("(%d+),([%d.]+)", "%2,%1"):gsub("^id,y\n", "") .. "\n")
    write(d .. "/bad.csv", "id,y\n1,1\n1,2\n")
    local spec = { metric = "rmse", answers = d .. "/t.csv", id_column = "id", target_columns = { "y" } }
    local ans = assert(dojo.table.read(d .. "/t.csv"))
    local cache = {}
    local plain = grade.grade(spec, d .. "/p.csv")
    local first = grade.grade(spec, d .. "/p.csv", { answers = ans, index_cache = cache })
    local idx = cache.id
    assert.is_not_nil(idx)
    assert.are.same(plain, first)
    -- the other reading paths (the id second: the join; a duplicate: the message) use it too
    assert.are.same(grade.grade(spec, d .. "/q.csv"), grade.grade(spec, d .. "/q.csv", { answers = ans, index_cache = cache }))
    assert.are.same(grade.grade(spec, d .. "/bad.csv"), grade.grade(spec, d .. "/bad.csv", { answers = ans, index_cache = cache }))
    assert.are.equal(idx, cache.id)
    assert.are.same(first, grade.grade(spec, d .. "/p.csv", { answers = ans, index_cache = cache }))
    -- adapted answers are another table: the cache is not used for them
    local adapted = { metric = "rmse", answers = d .. "/t.csv", id_column = "id", target_columns = { "y" },
                      adapt_answers = function(a) return a:take((function() local r = {} for i = 1, a.nrows do r[i] = i end return r end)()) end }
    local other = {}
    assert.are.equal("SUCCESS", grade.grade(adapted, d .. "/p.csv", { answers = ans, index_cache = other }).status)
    assert.is_nil(next(other))
    idx:close()
    ans:close()
  end)

  it("lists every metric of the catalog vocabulary", function()
    local code, out = run("score", "--list")
    assert.are.equal(0, code)
    for _, m in ipairs { "accuracy", "balanced_accuracy", "error_rate", "roc_auc", "roc_auc_mean_columns",
                         "gini_normalized", "log_loss", "log_loss_multiclass", "log_loss_mean_columns",
                         "weighted_log_loss", "rmse", "rmsle", "mse", "mae", "medae", "r2", "mape", "smape",
                         "rmspe", "mcrmse", "mcrmsle", "f1", "f1_macro", "f1_micro", "f1_weighted",
                         "f1_samples", "precision", "recall", "mcc", "qwk", "map_at_k", "apk", "ndcg_at_k",
                         "spearman", "pearson", "kendall_tau", "spearman_mean_columns",
                         "macro_average_precision", "kl_divergence", "jaccard_word", "levenshtein_mean",
                         "dice_rle", "iou_map" } do
      assert.truthy(out:find("\n" .. m .. " ", 1, true) or out:find("^" .. m .. " "), m .. " is missing")
    end
  end)
end)
