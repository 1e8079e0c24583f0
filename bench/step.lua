-- bench/step.lua STEPS: see bench/step.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/lib/?.so;" .. package.cpath
local dojo = require "dojo"
local core = dojo.core
local N = tonumber(arg[1]) or 50

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(core.dir_make(p, 493))
  return p
end

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) / 2] end
  return (s[n / 2] + s[n / 2 + 1]) / 2
end
local function max(t) local m = -math.huge for _, v in ipairs(t) do if v > m then m = v end end return m end
local function ms(x) return string.format("%7.2f ms", x * 1000) end

-- The sandboxed call as the environment makes it (dojo.sandbox.run), timed around.
local sandbox = require "dojo.sandbox"
local box_run, box_s = sandbox.run, nil
sandbox.run = function(p)
  local a = core.clock()
  local r, err = box_run(p)
  box_s = core.clock() - a
  return r, err
end

local root, out = tmpdir(), tmpdir()
local env = assert(dojo.make("titanic", { data_root = root, output_dir = out .. "/run", max_steps = N + 1 }))
env:reset()
local code = "import shutil\nshutil.copy('data/sample_submission.csv', 'submission.csv')\n"
local work = env.paths.work
assert(core.file_write(work .. "/bare.py", code))

-- The same script, bare: Python's subprocess from a Python parent, as MLE-Dojo runs code.
-- The parent runs one bare execution each time a line arrives on a FIFO and prints its
-- time, so that each step is paired with a bare run made right beside it: on a shared
-- machine the load moves within seconds, and a difference of two medians taken a minute
-- apart measures the load as much as the step. Like the environment, which removes the
-- last submission before it runs a program, the parent removes it before each bare run (a
-- file created anew costs more than one truncated in place).
local fifo = out .. "/bare.fifo"
assert(os.execute("mkfifo '" .. fifo .. "'"))
local py = io.popen(string.format(
  "cd '%s' && /usr/bin/python3 -c \"import os, subprocess, sys, time\n" ..
  "for _ in open('%s'):\n" ..
  "    if os.path.exists('submission.csv'): os.remove('submission.csv')\n" ..
  "    a = time.perf_counter(); subprocess.run(['/usr/bin/python3', 'bare.py'], check=True)\n" ..
  "    print(time.perf_counter() - a, flush=True)\"", work, fifo))
local ctl = assert(io.open(fifo, "w"))
local function bare()
  ctl:write("\n")
  ctl:flush()
  return assert(py:read("*n"), "the bare run failed")
end

env:step("execute_code", { code = code }) -- warm: the first run loads what later ones reuse
bare()
local step, exec, grade, fb, rec, bares, outside = {}, {}, {}, {}, {}, {}, {}
local box, box_over, lua_side = {}, {}, {}
for i = 1, N - 1 do
  local b1 = i % 2 == 0 and bare() -- alternate the order: neither side always goes first
  local o, _, _, _, info = env:step("execute_code", { code = code })
  assert(o.status == "SUCCESS", o.feedback)
  bares[i] = b1 or bare()
  step[i], exec[i], grade[i] = info.step_s, info.timing.exec_wall_s, info.timing.grade_s
  fb[i], rec[i] = info.timing.feedback_s, info.timing.record_s
  outside[i] = step[i] - bares[i]
  box[i], box_over[i], lua_side[i] = box_s, box_s - bares[i], step[i] - box_s
end
ctl:close()
py:close()
env:close()

local unpaired = median(step) - median(bares)
print(string.format("bench/step on %s (%s), %d execute_code steps of a copy-the-sample script (titanic):",
                    jit and jit.version or _VERSION, core.binding, #step))
print(string.format("  whole step            median %s   max %s", ms(median(step)), ms(max(step))))
print(string.format("  bare python (subprocess) median %s   max %s", ms(median(bares)), ms(max(bares))))
print(string.format("  outside Python = step - bare python beside it: median %s   max %s   (difference of the medians %s)" ..
                    "   (target <= 5 ms)", ms(median(outside)), ms(max(outside)), ms(unpaired)))
print(string.format("  of which: the sandbox (sandbox.run - bare python beside it) %s, the rest of the step %s",
                    ms(median(box_over)), ms(median(lua_side))))
print(string.format("  parts (medians): sandbox.run %s (the box's own wall time %s), grading %s, feedback %s, " ..
                    "record (fsync) %s", ms(median(box)), ms(median(exec)), ms(median(grade)), ms(median(fb)),
                    ms(median(rec))))

-- History appends: 100 fsync'd appends on a fresh trajectory, then on one of 10,000 steps.
local h = require "dojo.history"
local rec_t = { kind = "step", step = 1, action = "execute_code", args = { code = code }, status = "SUCCESS",
                reward = 0.5, feedback = string.rep("x", 600), public_score = 0.7, exec_status = "OK" }
local function appends(hist, k)
  local t = {}
  for i = 1, k do
    local a = core.clock()
    hist:append(rec_t)
    t[i] = core.clock() - a
  end
  return median(t)
end
local d1 = tmpdir()
local first = appends(h.open(d1), 100)
local d2 = tmpdir()
local big = h.open(d2, { sync = false })
for _ = 1, 10000 do big:append(rec_t) end
big.sync, big.steps = true, {}
local later = appends(big, 100)
print(string.format("  history append (fsync'd): median %s at step 1-100, %s at step 10,001-10,100 (ratio %.2f)",
                    ms(first), ms(later), later / first))
core.tree_remove(root)
core.tree_remove(out)
core.tree_remove(d1)
core.tree_remove(d2)
