-- env_spec.lua -- the environment end to end on Lua 5.4 and LuaJIT: competition definitions,
-- deterministic prepare, the five actions, Kaggle's public/private split, rewards,
-- feedback policies, trajectories, and that agent code cannot read the private answers.
local dojo = require "dojo"
local core = dojo.core
local json = dojo.json

local tmpdir = require("support").tmpdir

local function read(path) return assert(core.file_read(path)) end
local function write(path, text) assert(core.file_write(path, text)) end

local function mode_of(path)
  local p = assert(io.popen("stat -c %a '" .. path .. "'"))
  local m = p:read("*l")
  p:close()
  return m
end

local function lines(path)
  local out = {}
  for l in read(path):gmatch("[^\n]+") do out[#out + 1] = assert(json.decode(l)) end
  return out
end

-- One data root for the whole file: titanic prepared once (seed 42).
local ROOT = tmpdir()

local function new_env(opts)
  opts = opts or {}
  opts.data_root = opts.data_root or ROOT
  opts.output_dir = opts.output_dir or (tmpdir() .. "/run")
  return assert(dojo.make("titanic", opts))
end

local COPY_SAMPLE = "import shutil\nshutil.copy('data/sample_submission.csv', 'submission.csv')\nprint('copied')\n"
describe("competition definitions", function()
  local dir = tmpdir()
  local function define(name, body)
    assert(core.dir_make(dir .. "/" .. name))
    write(dir .. "/" .. name .. "/competition.lua", body)
    return dojo.load_competition(name, { competitions = dir })
  end

  it("load the bundled titanic with its facts", function()
    local c = assert(dojo.load_competition("titanic"))
    assert.are.equal("accuracy", c.metric)
    assert.are.equal("PassengerId", c.id_column)
    assert.is_true(c.higher_is_better)
  end)

  it("name the file, the line and the key of an unknown field", function()
    local c, err = define("bad1", 'return dojo.competition { name = "bad1", metric = "rmse", colour = "red" }')
    assert.is_nil(c)
    assert.matches("bad1/competition.lua: ", err, 1, true)
    assert.matches("unknown competition field 'colour'", err, 1, true)
  end)

  it("name a nested key and a wrong type", function()
    local _, err = define("bad2", 'return dojo.competition { name = "bad2", metric = "rmse", split = { test_fraction = "half" } }')
    assert.matches("competition field split.test_fraction must be a number, not a string", err, 1, true)
    _, err = define("bad3", 'return dojo.competition { name = "bad3", metric = "rmse", source = { fil = "x.csv" } }')
    assert.matches("unknown competition field 'source.fil'", err, 1, true)
    _, err = define("bad4", 'return dojo.competition { name = "bad4", metric = "no_such_metric" }')
    assert.matches("unknown metric 'no_such_metric'", err, 1, true)
  end)

  it("cannot reach the host from a definition", function()
    local _, err = define("bad5", 'os.execute("touch /tmp/pwned") return dojo.competition { name = "bad5", metric = "rmse" }')
    assert.matches("attempt to index", err, 1, true) -- no os in a definition's environment
    assert.matches("'os'", err, 1, true)
    _, err = define("bad6", 'return io.open("/etc/passwd")')
    assert.is_truthy(err)
  end)

  it("are listed from a user's folder beside the bundled ones", function()
    define("mine", 'return dojo.competition { name = "mine", metric = "rmse" }')
    local names = require("dojo.competition").list({ competitions = dir })
    local set = {}
    for _, n in ipairs(names) do set[n] = true end
    assert.is_true(set.mine)
    assert.is_true(set.titanic)
  end)
end)

describe("dojo prepare", function()
  it("is deterministic: the same seed gives the same bytes, another seed other bytes", function()
    local comp = assert(dojo.load_competition("titanic"))
    local prep = require "dojo.prepare"
    local a, b, c = tmpdir(), tmpdir(), tmpdir()
    local ma = assert(prep.prepare(comp, a, { seed = 7 }))
    local mb = assert(prep.prepare(comp, b, { seed = 7 }))
    local mc = assert(prep.prepare(comp, c, { seed = 8 }))
    assert.are.same(ma.files, mb.files)
    assert.are_not.same(ma.files["private/test_answer.csv"], mc.files["private/test_answer.csv"])
    assert.are.equal(read(a .. "/titanic/public/train.csv"), read(b .. "/titanic/public/train.csv"))
    assert.is_true(prep.verify(a, "titanic"))
  end)

  it("writes Kaggle's layout: 891 train, 418 test, answers with Usage, private dir 0700", function()
    local root = tmpdir()
    local comp = assert(dojo.load_competition("titanic"))
    local m = assert(require("dojo.prepare").prepare(comp, root))
    assert.are.equal(891, m.stats.train_rows)
    assert.are.equal(418, m.stats.test_rows)
    assert.are.equal(209, m.stats.public_rows)
    assert.are.equal("700", mode_of(root .. "/titanic/private"))
    local test = assert(dojo.table.read(root .. "/titanic/public/test.csv"))
    assert.is_false(test:has("Survived"))
    assert.are.equal(892, test:column("PassengerId")[1])
    local ans = assert(dojo.table.read(root .. "/titanic/private/test_answer.csv"))
    assert.are.same({ "PassengerId", "Survived", "Usage" }, ans:names())
    local train = assert(dojo.table.read(root .. "/titanic/public/train.csv"))
    assert.is_false(train:has("boat"))
    assert.is_false(train:has("home.dest"))
    -- an existing preparation is kept unless forced; another seed is refused without --force
    local again, note = require("dojo.prepare").prepare(comp, root)
    assert.are.equal("already prepared", note)
    assert.are.same(m.files, again.files)
    local refused, msg = require("dojo.prepare").prepare(comp, root, { seed = 9 })
    assert.is_nil(refused)
    assert.matches("--force", msg, 1, true)
  end)
end)

describe("the environment", function()
  it("refuses unknown options and names them", function()
    local env, err = dojo.make("titanic", { data_root = ROOT, max_stepz = 3 })
    assert.is_nil(env)
    assert.matches("environment: unknown option 'max_stepz' (known: ", err, 1, true)
    env, err = dojo.make("titanic", { data_root = ROOT, reward = "money" })
    assert.is_nil(env)
    assert.matches("reward must be position, raw or improvement", err, 1, true)
    env, err = dojo.make("no-such-competition", { data_root = ROOT })
    assert.is_nil(env)
    assert.matches("no such competition 'no-such-competition'", err, 1, true)
  end)

  it("plays an episode: info, validation, execution, public score, the final private grade", function()
    local env = new_env({ max_steps = 7 })
    assert.has_error(function() env:step("get_history", {}) end, "call env:reset() before env:step()")
    local obs, info = env:reset({ seed = 3 })
    assert.matches("titanic", obs.feedback, 1, true)
    assert.are.equal(7, info.max_steps)

    local o, r, term, trunc = env:step("request_info", { info_type = "data_structure" })
    assert.are.equal("SUCCESS", o.status)
    assert.matches("train.csv", o.text, 1, true)
    assert.matches("Survived:int", o.text, 1, true)
    assert.are.equal(0, r)
    assert.is_false(term)
    assert.is_false(trunc)

    o = env:step("validate_code", { code = "print('hello'\n" })
    assert.are.equal("FAILED", o.status)
    assert.matches("SyntaxError", o.feedback, 1, true)

    o = env:step("validate_code", { code = COPY_SAMPLE })
    assert.are.equal("SUCCESS", o.status)
    assert.is_nil(o.public_score) -- never graded
    assert.is_false(core.path_stat(env.paths.submission)) -- and its submission discarded

    o, r = env:step("execute_code", { code = COPY_SAMPLE })
    assert.are.equal("SUCCESS", o.status, o.feedback)
    assert.are.equal("OK", o.exec_status)
    assert.is_number(o.public_score)
    assert.is_true(o.public_score > 0.5 and o.public_score < 0.75)
    assert.are.equal(4549, o.position.total)
    assert.are.equal(o.position.score, r)
    assert.is_nil(o.private_score) -- hidden until the end
    assert.is_nil(o.feedback:find("Private score", 1, true))
    assert.are.equal("file", core.path_stat(env.paths.out .. "/code_1.py"))
    assert.are.equal("file", core.path_stat(env.paths.out .. "/submission_1.csv"))

    -- a rejected submission: the grader's sentence reaches the agent
    o, r = env:step("execute_code", { code = "open('submission.csv','w').write('PassengerId,Survived\\n892,1\\n')\n" })
    assert.are.equal("FAILED", o.status)
    assert.matches("417 id%(s%) of the answers are missing", o.feedback)
    assert.are.equal(0, r)

    o = env:step("get_history", {})
    assert.matches("step 4: execute_code SUCCESS", o.text, 1, true)

    local trunc2, inf
    o, r, term, trunc2, inf = env:step("request_info", { info_type = "name" })
    assert.is_true(trunc2)
    assert.is_false(term)
    assert.are.equal("max_steps", inf.final.reason)
    assert.are.equal(4, inf.final.step)
    assert.is_number(inf.final.private_score)
    assert.matches("Private score", o.feedback, 1, true)
    -- after the end: nothing runs
    o, r, term, trunc2 = env:step("execute_code", { code = COPY_SAMPLE })
    assert.matches("episode is over", o.feedback, 1, true)
    assert.is_true(trunc2)
    env:close()

    local recs = lines(env.paths.out .. "/trajectory.jsonl")
    assert.are.equal("reset", recs[1].kind)
    assert.are.equal(9, #recs) -- reset, 7 steps, final
    assert.are.equal("final", recs[9].kind)
    assert.is_number(recs[5].private_score) -- the record keeps what the agent did not see
    local summary = json.decode(read(env.paths.out .. "/summary.json"))
    assert.are.equal("titanic", summary.competition)
    assert.are.equal(7, summary.steps)
    assert.are.equal(recs[9].final.private_score, summary.final.private_score)
  end)

  it("keeps the private answers out of reach of agent code", function()
    local env = new_env({ max_steps = 3 })
    env:reset()
    local private = ROOT .. "/titanic/private/test_answer.csv"
    local code = string.format([[
import os
for p in [%q, %q, %q]:
    try:
        open(p).read(); print("READ", p)
    except Exception as e:
        print("DENIED", type(e).__name__)
try:
    print(os.listdir(%q))
except Exception as e:
    print("DENIED", type(e).__name__)
]], private, env.paths.out .. "/trajectory.jsonl", env.paths.out .. "/code_1.py", ROOT .. "/titanic/private")
    local o = env:step("execute_code", { code = code })
    assert.is_nil(o.feedback:find("READ", 1, true), o.feedback)
    local _, n = o.feedback:gsub("DENIED", "")
    assert.are.equal(4, n, o.feedback)
    -- nor can it plant a symbolic link to them as its submission
    o = env:step("execute_code", { code = string.format("import os\nos.symlink(%q, 'submission.csv')\n", private) })
    assert.are.equal("FAILED", o.status)
    assert.is_nil(o.public_score)
    env:close()
  end)

  it("never writes through a link the agent's code planted in its work dir", function()
    local env = new_env({ max_steps = 6 })
    env:reset()
    local victim = tmpdir() .. "/host.txt"
    write(victim, "the host's file\n")
    -- the names the environment writes its own files under, each made a link to a host file
    local plant = string.format([[
import os
for name in ("code_2.py", "code_3.py", ".validate.py", ".dojo_syntax.py"):
    os.symlink(%q, name)
print("planted")
]], victim)
    local o = env:step("execute_code", { code = plant })
    assert.truthy(o.feedback:find("planted", 1, true), o.feedback)
    o = env:step("execute_code", { code = "print('two')\n" })
    assert.truthy(o.feedback:find("two", 1, true), o.feedback)
    o = env:step("validate_code", { code = "print('checked')\n" })
    assert.are.equal("SUCCESS", o.status, o.feedback)
    o = env:step("execute_code", { code = "print('three')\n" })
    assert.truthy(o.feedback:find("three", 1, true), o.feedback)
    assert.are.equal("the host's file\n", read(victim))
    env:close()
  end)

  it("ranks a perfect submission first on both leaderboards", function()
    local env = new_env({ max_steps = 2, scores = "all" })
    env:reset()
    -- the answers, copied by the test into the work dir as if the agent had found them
    local ans = assert(dojo.table.read(ROOT .. "/titanic/private/test_answer.csv"))
    local sub = ans:select({ "PassengerId", "Survived" })
    local code = "import shutil\nshutil.copy('perfect.csv', 'submission.csv')\n"
    assert(sub:write(env.paths.work .. "/perfect.csv"))
    local o, r = env:step("execute_code", { code = code })
    assert.are.equal(1, o.public_score)
    assert.are.equal(1, o.private_score)
    assert.are.equal(1, o.position.position)
    assert.are.equal(1, r)
    local _, _, _, trunc, info = env:step("get_history", {})
    assert.is_true(trunc)
    assert.are.equal(1, info.final.position.private.position)
    env:close()
  end)

  it("rewards by raw score or by improvement when asked", function()
    local function perfect(env)
      local ans = assert(dojo.table.read(ROOT .. "/titanic/private/test_answer.csv"))
      assert(ans:select({ "PassengerId", "Survived" }):write(env.paths.work .. "/perfect.csv"))
      return "import shutil\nshutil.copy('perfect.csv', 'submission.csv')\n"
    end
    local env = new_env({ max_steps = 4, reward = "improvement" })
    env:reset()
    local _, r1 = env:step("execute_code", { code = COPY_SAMPLE })
    local _, r2 = env:step("execute_code", { code = perfect(env) })
    local _, r3 = env:step("execute_code", { code = perfect(env) })
    assert.are.equal(0, r1) -- below the whole leaderboard
    assert.are.equal(1, r2)
    assert.are.equal(0, r3) -- no better than before
    env:close()
    env = new_env({ max_steps = 2, reward = "raw" })
    env:reset()
    local o, r = env:step("execute_code", { code = COPY_SAMPLE })
    assert.are.equal(o.public_score, r)
    env:close()
  end)

  it("truncates when the time budget runs out, and limits each execution", function()
    local env = new_env({ max_steps = 10, time_budget = 0.8, exec_time = 0.5 })
    env:reset()
    local o, _, _, trunc = env:step("execute_code", { code = "import time\ntime.sleep(5)\n" })
    assert.are.equal("TO", o.exec_status)
    assert.matches("ran out of time", o.feedback, 1, true)
    assert.is_false(trunc)
    local _, _, _, trunc2, info = env:step("execute_code", { code = "import time\ntime.sleep(5)\n" })
    assert.is_true(trunc2)
    assert.are.equal("time_budget", info.final.reason)
    assert.is_false(info.final.submitted)
    env:close()
  end)

  it("resets the working directory on the reset action, keeping the budgets", function()
    local env = new_env({ max_steps = 5 })
    env:reset()
    env:step("execute_code", { code = "open('notes.txt', 'w').write('x')\n" })
    assert.are.equal("file", core.path_stat(env.paths.work .. "/notes.txt"))
    local o, _, _, _, info = env:step("reset", {})
    assert.are.equal("SUCCESS", o.status)
    assert.is_false(core.path_stat(env.paths.work .. "/notes.txt"))
    assert.are.equal("file", core.path_stat(env.paths.data .. "/train.csv"))
    assert.are.equal(2, info.step)
    -- the agent's code cannot change the data it is given
    o = env:step("execute_code", { code = "open('data/train.csv', 'a').write('x')\n" })
    assert.matches("PermissionError", o.feedback, 1, true)
    env:close()
  end)

  it("lets agent code use process pools (joblib/loky, multiprocessing) and cleans up its work dir", function()
    local env = new_env({ max_steps = 2, exec_time = 60 })
    env:reset()
    local o = env:step("execute_code", { code = [[
from joblib import Parallel, delayed
import multiprocessing as mp
if __name__ == "__main__":
    print("loky", sum(Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(10))))
    with mp.get_context("spawn").Pool(2) as pool:
        print("spawn", sum(pool.map(abs, [-1, -2, -3])))
]] })
    assert.are.equal("OK", o.exec_status, o.feedback)
    assert.matches("loky 45", o.feedback, 1, true)
    assert.matches("spawn 6", o.feedback, 1, true)
    local work = env.paths.work
    assert.are.equal("dir", core.path_stat(work))
    env:close()
    assert.is_false(core.path_stat(work))
  end)

  it("answers bad actions with a sentence and counts the step", function()
    local env = new_env({ max_steps = 5 })
    env:reset()
    local o = env:step("fly", {})
    assert.are.equal("FAILED", o.status)
    assert.matches("unknown action 'fly'", o.feedback, 1, true)
    o = env:step("execute_code", { source = "x" })
    assert.matches("execute_code has no parameter 'source'", o.feedback, 1, true)
    o = env:step("request_info", { info_type = "everything" })
    assert.matches("unknown info_type 'everything'", o.feedback, 1, true)
    local _, _, _, _, info = env:step("execute_code", { code = 42 })
    assert.are.equal(4, info.step)
    env:close()
  end)

  it("accepts actions and feedback policies written in Lua", function()
    dojo.actions.register {
      name = "count_rows", description = "counts the rows of a data file", params = { file = "string" },
      required = { "file" },
      run = function(env, args)
        local t, err = dojo.table.read(env.paths.data .. "/" .. args.file)
        if not t then return { status = "FAILED", error = err } end
        return { status = "SUCCESS", text = args.file .. " has " .. t.nrows .. " rows" }
      end,
    }
    dojo.feedback.register("shout", function(r) return string.upper(r.text or r.error or r.status) end)
    local env = new_env({ max_steps = 3, feedback = "shout" })
    local obs = env:reset()
    assert.matches("count_rows", obs.feedback, 1, true) -- offered to the agent
    local o = env:step("count_rows", { file = "train.csv" })
    assert.are.equal("TRAIN.CSV HAS 891 ROWS", o.feedback)
    env:close()
    dojo.actions.unregister("count_rows")
  end)

  it("gives hints from error patterns", function()
    local env = new_env({ max_steps = 4, feedback = "hints" })
    env:reset()
    local o = env:step("execute_code", { code = "import lightgbm\n" })
    assert.matches("The module 'lightgbm' is not installed", o.feedback, 1, true)
    assert.matches("sklearn", o.feedback, 1, true)
    o = env:step("execute_code", { code = "import pandas as pd\ndf = pd.read_csv('data/train.csv')\nprint(df['survived'])\n" })
    assert.matches("There is no key 'survived'", o.feedback, 1, true)
    assert.matches("Survived", o.feedback, 1, true)
    o = env:step("execute_code", { code = "open('submission.csv','w').write('id,x\\n1,2\\n')\n" })
    assert.matches("sample_submission.csv shows the expected format: columns PassengerId, Survived", o.feedback, 1, true)
    env:close()
  end)
end)

describe("trajectories", function()
  it("export to MLE-Dojo's history.json, to chat records and to RL step records", function()
    local env = new_env({ max_steps = 2 })
    env:reset()
    env:step("request_info", { info_type = "name" })
    env:step("execute_code", { code = COPY_SAMPLE })
    env:close()
    local h = require "dojo.history"
    local steps = assert(h.read(env.paths.out .. "/trajectory.jsonl"))
    local hist = h.to_mledojo(steps)
    assert.are.equal(2, #hist)
    assert.are.equal("execute_code", hist[2].action)
    assert.is_number(hist[2].observation.current_raw_score)
    local chat = h.to_chat(steps)
    assert.are.equal(1, #chat)
    assert.are.equal("user", chat[1].messages[1].role)
    assert.are.equal("assistant", chat[1].messages[2].role)
    assert.are.same({ action = "request_info", params = { info_type = "name" } }, json.decode(chat[1].messages[2].content))
    assert.are.equal(5, #chat[1].messages)
    local rl = h.to_rl(steps)
    assert.are.equal(2, #rl)
    assert.are.equal(steps[1].observation, rl[1].observation)
    assert.are.equal(rl[1].next_observation, rl[2].observation)
    assert.are.equal("execute_code", rl[2].action.name)
    assert.is_true(rl[2].truncated)      -- the step budget ran out after it
    assert.is_false(rl[2].terminated)
    assert.is_false(rl[1].truncated)
    assert.are.equal(rl[2].reward, steps[3].reward)
  end)

  it("survive a killed run: a half-written last line is skipped", function()
    local dir = tmpdir()
    write(dir .. "/trajectory.jsonl", '{"kind":"reset"}\n{"kind":"step","step":1}\n{"kind":"st')
    local steps = assert(require("dojo.history").read(dir .. "/trajectory.jsonl"))
    assert.are.equal(2, #steps)
  end)
end)
