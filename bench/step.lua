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

local root, out = tmpdir(), tmpdir()
local env = assert(dojo.make("titanic", { data_root = root, output_dir = out .. "/run", max_steps = N + 1 }))
env:reset()
local code = "import shutil\nshutil.copy('data/sample_submission.csv', 'submission.csv')\n"
env:step("execute_code", { code = code }) -- warm: the first run loads what later ones reuse
local step, exec, grade, fb, rec = {}, {}, {}, {}, {}
for i = 1, N - 1 do
  local o, _, _, _, info = env:step("execute_code", { code = code })
  assert(o.status == "SUCCESS", o.feedback)
  step[i], exec[i], grade[i] = info.step_s, info.timing.exec_wall_s, info.timing.grade_s
  fb[i], rec[i] = info.timing.feedback_s, info.timing.record_s
end
-- The same script, bare: Python's subprocess from a Python parent, as MLE-Dojo runs code.
local work = env.paths.work
assert(core.file_write(work .. "/bare.py", code))
local py = io.popen(string.format(
  "cd '%s' && /usr/bin/python3 -c \"import subprocess, time, statistics as st\n" ..
  "t = []\nfor i in range(%d):\n    a = time.perf_counter(); subprocess.run(['/usr/bin/python3', 'bare.py'], check=True); t.append(time.perf_counter() - a)\n" ..
  "print(st.median(t), max(t))\"", work, N))
local bare_med, bare_max = py:read("*n", "*n")
py:close()
env:close()

local outside = {}
for i, v in ipairs(step) do outside[i] = v - bare_med end
print(string.format("bench/step on %s (%s), %d execute_code steps of a copy-the-sample script (titanic):",
                    jit and jit.version or _VERSION, core.binding, #step))
print(string.format("  whole step            median %s   max %s", ms(median(step)), ms(max(step))))
print(string.format("  bare python (subprocess) median %s   max %s", ms(bare_med), ms(bare_max)))
print(string.format("  outside Python = step - bare python: median %s   max %s   (target <= 5 ms)",
                    ms(median(outside)), ms(max(outside))))
print(string.format("  parts (medians): sandboxed run %s, grading %s, feedback %s, record (fsync) %s",
                    ms(median(exec)), ms(median(grade)), ms(median(fb)), ms(median(rec))))

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
