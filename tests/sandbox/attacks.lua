-- attacks.lua -- the sandbox attack suite: each case is a short hostile (or legitimate)
-- program run through `dojo sandbox --json`, with the status it must end with, what its
-- output or the record must (or must not) show, and a check that nothing it started
-- survives. Prints TAP.
--
--   lua5.4 tests/sandbox/attacks.lua [--mode full|degraded] [--as-user UID] [--only NAME]
--
-- full: every layer this machine allows. degraded: namespaces and cgroups disabled (memory
-- and CPU of the tree enforced by polling, the tree killed without a pid namespace).
-- --as-user runs dojo itself as that uid (setpriv), where the user-namespace path is taken.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
local json = require "dojo.json"

local mode, as_user, only = "full", nil, nil
do
  local i = 1
  while arg[i] do
    if arg[i] == "--mode" then mode = arg[i + 1]; i = i + 2
    elseif arg[i] == "--as-user" then as_user = arg[i + 1]; i = i + 2
    elseif arg[i] == "--only" then only = arg[i + 1]; i = i + 2
    else error("unknown argument " .. arg[i]) end
  end
end
local degraded = mode == "degraded"
local label = os.getenv("DOJO_SANDBOX_KEEPER") == "fork" and mode .. ", fork-like keeper" or mode

local ROOT = io.popen("pwd"):read("*l")
local DOJO = ROOT .. "/build/bin/dojo"
local PY = "/usr/bin/python3"

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("*a")
  local ok, _, code = p:close()
  return out, code or (ok and 0 or 1)
end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local TMP = (sh("mktemp -d /tmp/dojo-attacks.XXXXXX")):gsub("%s+$", "")
sh("chmod 0755 " .. q(TMP))
local MARK = "dojomark" .. tostring(os.time()) .. tostring(math.random(1, 1e9))
local SECRET = "sk-dojo-secret-" .. MARK

-- Secrets the box must not read: a private answers file, a fake home, a file of this tree.
sh("mkdir -p " .. q(TMP .. "/private") .. " " .. q(TMP .. "/home"))
local ANSWERS = TMP .. "/private/test_answer.csv"
local HOMEFILE = TMP .. "/home/.netrc"
assert(io.open(ANSWERS, "w")):write("id,target\n1," .. SECRET .. "\n"):close()
assert(io.open(HOMEFILE, "w")):write("password " .. SECRET .. "\n"):close()
sh("chmod 0700 " .. q(TMP .. "/private") .. " && chmod 0644 " .. q(ANSWERS))

local n, failed = 0, 0
local function report(ok, name, why)
  n = n + 1
  if ok then
    print(string.format("ok %d - [%s%s] %s", n, label, as_user and (" as uid " .. as_user) or "", name))
  else
    failed = failed + 1
    print(string.format("not ok %d - [%s%s] %s", n, label, as_user and (" as uid " .. as_user) or "", name))
    for line in tostring(why):gmatch("[^\n]+") do print("# " .. line) end
  end
end

-- Processes (of any uid) whose environment carries this case's mark.
local function survivors(mark)
  local p = io.popen("grep -l -s -a " .. q("DOJO_MARK=" .. mark) .. " /proc/[0-9]*/environ 2>/dev/null")
  local out = p:read("*a")
  p:close()
  local pids = {}
  for pid in out:gmatch("/proc/(%d+)/environ") do pids[#pids + 1] = pid end
  return pids
end

local function workdir(name)
  local d = TMP .. "/work-" .. name
  sh("mkdir -p " .. q(d) .. " && chmod 0777 " .. q(d))
  return d
end

-- Runs dojo sandbox; returns the decoded record (or nil and the raw output), the exit code.
local function run_box(c, mark)
  local dir = workdir(c.name)
  local args = { "--json", "--cwd", dir, "--env", "DOJO_MARK=" .. mark, "--wall", tostring(c.wall or 20) }
  if degraded then
    args[#args + 1] = "--disable"; args[#args + 1] = "namespaces"
    args[#args + 1] = "--disable"; args[#args + 1] = "cgroup"
  end
  for _, a in ipairs(c.args or {}) do args[#args + 1] = a end
  local cmd = c.cmd
  if c.py then cmd = { PY, "-c", c.py } elseif c.sh then cmd = { "/bin/sh", "-c", c.sh } end
  local parts = {}
  for _, a in ipairs(args) do parts[#parts + 1] = q(a) end
  parts[#parts + 1] = "--"
  for _, a in ipairs(cmd) do parts[#parts + 1] = q(a) end
  local prefix = "env OPENAI_API_KEY=" .. q(SECRET) .. " HOME=" .. q(TMP .. "/home") .. " "
  if as_user then
    prefix = prefix .. "setpriv --reuid=" .. as_user .. " --regid=" .. as_user .. " --clear-groups "
  end
  local line = (c.wrap or "%s"):format(prefix .. q(DOJO) .. " sandbox " .. table.concat(parts, " "))
  local out, code = sh(line .. (c.stdin and "" or " </dev/null"))
  -- the record is the JSON object from the first "{" to the line "}" that closes it
  local start = out:find("{", 1, true)
  local stop = start and out:find("\n}\n", start, true)
  local rec = start and json.decode(out:sub(start, stop and stop + 1 or -1)) or nil
  return rec, code, out, dir
end

local function has(s, needle) return s and s:find(needle, 1, true) ~= nil end

local cases = {}
local function case(t) cases[#cases + 1] = t end

-- Resources ---------------------------------------------------------------------------
case { name = "CPU loop is stopped at the CPU limit", py = "while True: pass", args = { "--time", "1" },
       status = "TO" }
case { name = "sleeping past the wall time is stopped", sh = "sleep 60", wall = 1, status = "TO" }
case { name = "4 busy threads count as CPU of the whole process", args = { "--time", "1" }, status = "TO",
       py = "import threading\ndef spin():\n  while True: pass\nfor _ in range(4): threading.Thread(target=spin).start()\nspin()",
       check = function(r) return r.wall_s < 5, "wall " .. r.wall_s end }
case { name = "a fork bomb is contained by the process limit", wall = 4, args = { "--procs", "64" },
       status = { "TO", "RE", "SG" },
       py = "import os\nwhile True:\n  try: os.fork()\n  except OSError: pass" }
case { name = "a memory bomb ends as ML", args = { "--memory", "200" }, status = "ML",
       py = "a=[]\nwhile True: a.append(bytearray(10**7))" }
case { name = "memory through /dev/shm files is bounded", args = { "--memory", "200", "--fsize", "300" },
       status = (degraded or as_user) and { "ML", "RE" } or "ML",
       py = "import os\nb=b'x'*(1<<20)\nfor i in range(2000):\n  f=open('/dev/shm/dojo-%d-%d'%(os.getpid(),i),'wb')\n  for _ in range(64): f.write(b)\n  f.close()" }
case { name = "a setsid + double-fork daemon does not survive", status = "OK",
       sh = "setsid sh -c 'sleep 300 & sleep 300' >/dev/null 2>&1 & sleep 0.3; echo started" }
case { name = "a pile of zombies is reaped", status = "OK",
       py = "import os,time\nfor _ in range(200):\n  if os.fork()==0: os._exit(0)\ntime.sleep(0.3)\nprint('done')" }
case { name = "ignoring SIGTERM and SIGXCPU does not escape the CPU limit", args = { "--time", "1" }, status = "TO",
       py = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True: pass" }
case { name = "a program that stops itself (SIGSTOP) is still killed at the wall time", wall = 1.5, status = "TO",
       py = "import os,signal\nos.kill(os.getpid(), signal.SIGSTOP)" }
case { name = "10 GB of stdout is counted and cut at the cap (OL)", wall = 60,
       args = { "--output", "64", "--output-fails" }, status = "OL",
       py = "import sys\nb=b'y'*(1<<20)\nw=sys.stdout.buffer\nfor _ in range(10240): w.write(b)",
       check = function(r) return #r.stdout <= 64 * 1024 and r.output_bytes > 64 * 1024, "captured " .. #r.stdout end }
case { name = "output over the cap is truncated, counted and not buffered", wall = 30, args = { "--output", "16" },
       status = "OK",
       py = "import sys\nb=b'z'*(1<<20)\nfor _ in range(512): sys.stdout.buffer.write(b)",
       check = function(r) return #r.stdout == 16 * 1024 and r.output_bytes == 512 * 1048576,
                                  "captured " .. #r.stdout .. ", counted " .. r.output_bytes end }
case { name = "filling the disk stops at the file size limit", args = { "--fsize", "50" }, status = "RE",
       py = "b=b'x'*(1<<20)\nwith open('big','wb') as f:\n  while True: f.write(b)", stderr = "File too large" }
case { name = "a million open files stop at the descriptor limit", status = "RE", stderr = "Too many open files",
       py = "fs=[open('/dev/null') for _ in range(10**6)]" }

-- Files ------------------------------------------------------------------------------
case { name = "writing outside the work dir is refused", status = "RE", stderr = "Permission denied",
       py = "open('/tmp/dojo-escape-" .. MARK .. "','w').write('x')",
       check = function() local f = io.open("/tmp/dojo-escape-" .. MARK) if f then f:close() return false, "file created" end return true end }
case { name = "reading /etc/shadow is refused", status = "RE", stderr = "Permission denied",
       py = "print(open('/etc/shadow').read())" }
case { name = "reading the parent's $HOME is refused", status = "RE", py = "print(open('" .. HOMEFILE .. "').read())",
       not_stdout = SECRET }
case { name = "reading the project tree is refused", status = "RE", stderr = "Permission denied",
       py = "print(open('" .. ROOT .. "/README.md').read()[:100])" }
case { name = "reading a private answers file is refused", status = "RE", not_stdout = SECRET,
       py = "print(open('" .. ANSWERS .. "').read())" }
case { name = "the environment is scrubbed: an API key set in the parent does not reach the box",
       status = "OK", py = "import os\nprint(sorted(os.environ.items()))", not_stdout = SECRET,
       check = function(r) return has(r.stdout, "PATH"), r.stdout end }
case { name = "another process's environ under /proc is not readable", status = { "RE", "OK" },
       not_stdout = SECRET,
       py = "import os\nfor p in os.listdir('/proc'):\n  if p.isdigit():\n    try: print(open('/proc/%s/environ'%p,'rb').read())\n    except OSError: pass" }
case { name = "inherited file descriptors are closed", status = "RE", stderr = "Bad file descriptor",
       wrap = "exec 7<" .. q(ANSWERS) .. "; %s", py = "import os\nprint(os.read(7, 100))" }
case { name = "reading stdin gives end of file at once", status = "OK", stdin = true,
       wrap = "echo secret-stdin-" .. MARK .. " | %s",
       py = "import sys\nd=sys.stdin.read()\nprint('EOF' if d=='' else d)",
       check = function(r) return has(r.stdout, "EOF") and not has(r.stdout, "secret-stdin"), r.stdout end }

-- Submission files the harness must refuse (grading opens them without following links).
local function submission_case(name, code, expect)
  case { name = "submission.csv as " .. name .. " is refused by grading", status = "OK", py = code,
         check = function(_, dir)
           local out = sh(q(DOJO) .. " score rmse " .. q(ANSWERS) .. " " .. q(dir .. "/submission.csv"))
           return has(out, expect), out
         end }
end
submission_case("a symlink to a secret", "import os\nos.symlink('" .. ANSWERS .. "', 'submission.csv')", "symbolic link")
submission_case("a FIFO", "import os\nos.mkfifo('submission.csv')", "not a regular file")
submission_case("a hard link", "import os\nopen('a.csv','w').write('id,target\\n1,1\\n')\nos.link('a.csv','submission.csv')",
                "more than one hard link")

-- Network ----------------------------------------------------------------------------
case { name = "TCP out is refused", status = "RE", stderr = "Operation not permitted",
       py = "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)" }
case { name = "UDP out is refused", status = "RE", stderr = "Operation not permitted",
       py = "import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.sendto(b'x', ('1.1.1.1', 53))" }
case { name = "DNS lookups fail", status = "RE",
       py = "import socket\nprint(socket.getaddrinfo('example.com', 80))" }
-- A real service on loopback, started here for the case below and stopped at the end.
local server = io.popen(PY .. " -c 'import socket,sys,time\ns=socket.socket(); s.bind((\"127.0.0.1\",0)); s.listen()\n" ..
                        "print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(600)' & echo PID $!")
local PORT, SERVER_PID
for _ = 1, 2 do
  local line = server:read("*l") or ""
  if line:match("^PID") then SERVER_PID = line:match("%d+") else PORT = line:match("%d+") end
end
case { name = "a service on 127.0.0.1 cannot be reached", status = "RE", stderr = "Operation not permitted",
       py = "import socket\nsocket.create_connection(('127.0.0.1', " .. PORT .. "), timeout=2)" }

-- Processes and the kernel -------------------------------------------------------------
case { name = "kill(getppid()) does not reach the supervisor", status = { "OK", "RE", "SG" },
       py = "import os,signal\ntry: os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError as e: print(e)" }
case { name = "kill(-1) does not reach anything outside the box", status = { "OK", "RE", "SG" },
       wrap = "sleep 30 & canary=$!; %s; kill -0 $canary && echo CANARY-ALIVE; kill $canary",
       py = "import os,signal\ntry: os.kill(-1, signal.SIGKILL)\nexcept OSError as e: print(e)",
       raw_has = "CANARY-ALIVE" }
local function syscall_case(name, nr, args, errno_name)
  case { name = name .. " is refused (" .. errno_name .. ")", status = "OK",
         py = "import ctypes,os\nlibc=ctypes.CDLL(None, use_errno=True)\nr=libc.syscall(" .. nr .. (args ~= "" and (", " .. args) or "") ..
              ")\nprint(r, os.strerror(ctypes.get_errno()))",
         check = function(r) return has(r.stdout, "-1 " .. errno_name), r.stdout end }
end
syscall_case("ptrace(PTRACE_TRACEME)", 101, "0, 0, 0, 0", "Operation not permitted")
syscall_case("process_vm_readv", 310, "1, 0, 0, 0, 0, 0", "Operation not permitted")
syscall_case("unshare(CLONE_NEWUSER)", 272, "0x10000000", "Operation not permitted")
syscall_case("clone3", 435, "0, 0", "Function not implemented")
syscall_case("io_uring_setup", 425, "1, 0", "Operation not permitted")
syscall_case("bpf", 321, "0, 0, 0", "Operation not permitted")
syscall_case("perf_event_open", 298, "0, 0, -1, -1, 0", "Operation not permitted")
syscall_case("keyctl", 250, "0, 0, 0, 0, 0", "Operation not permitted")
case { name = "a setuid binary does not give root", status = { "RE", "OK" },
       sh = "/usr/bin/su root -c 'id -u' </dev/null; /bin/mount -t tmpfs none /mnt; id -u",
       check = function(r) return not r.stdout:find("^0\n") and not r.stdout:find("\n0\n"), r.stdout end }
case { name = "the box dies with its supervisor (SIGKILL)", status = nil, supervisor_kill = true }
case { name = "pid 1 of the box holds nothing of the host (the reaper image, unless degraded or forked)",
       status = "OK", sh = "tr '\\0' ' ' < /proc/1/cmdline; echo",
       check = function(r)
         local lean = not degraded and os.getenv("DOJO_SANDBOX_KEEPER") ~= "fork"
         local reaper = r.stdout:find("^dojo%-reaper ") ~= nil
         return reaper == lean, "pid 1: " .. r.stdout
       end }

-- Legitimate work ----------------------------------------------------------------------
case { name = "a scikit-learn training run with n_jobs=2, multiprocessing and joblib succeeds", status = "OK",
       wall = 120, args = { "--memory", "2048" },
       py = table.concat({
         "import numpy as np, multiprocessing as mp, joblib",
         "from sklearn.datasets import make_classification",
         "from sklearn.ensemble import RandomForestClassifier",
         "X, y = make_classification(n_samples=2000, random_state=0)",
         "m = RandomForestClassifier(n_estimators=50, n_jobs=2, random_state=0).fit(X[:1500], y[:1500])",
         "with mp.Pool(2) as p: sq = p.map(abs, range(10))",
         "jl = joblib.Parallel(n_jobs=2)(joblib.delayed(abs)(i) for i in range(10))",
         "print('accuracy', m.score(X[1500:], y[1500:]), sum(sq), sum(jl))" }, "\n"),
       check = function(r) return has(r.stdout, "accuracy 0."), r.stdout .. r.stderr end }

-- Runner ------------------------------------------------------------------------------
local function run_supervisor_kill()
  local mark = MARK .. "sk"
  local dir = workdir("supervisor")
  local extra = degraded and "--disable namespaces --disable cgroup " or ""
  local prefix = as_user and ("setpriv --reuid=" .. as_user .. " --regid=" .. as_user .. " --clear-groups ") or ""
  local pid = sh(prefix .. q(DOJO) .. " sandbox --cwd " .. q(dir) .. " --env DOJO_MARK=" .. mark .. " " .. extra ..
                 "-- /bin/sh -c 'sleep 300 & sleep 300' >/dev/null 2>&1 & echo $!"):match("%d+")
  sh("sleep 0.5")
  local before = #survivors(mark)
  sh("kill -9 " .. pid)
  sh("sleep 0.5")
  local left = survivors(mark)
  report(before > 0 and #left == 0, "the box dies with its supervisor (SIGKILL)",
         string.format("box processes before: %d, after: %s", before, table.concat(left, " ")))
end

for _, c in ipairs(cases) do
  if not only or c.name:find(only, 1, true) then
    if c.supervisor_kill then
      run_supervisor_kill()
    else
      local mark = MARK .. "c" .. n .. "c"
      local rec, code, raw, dir = run_box(c, mark)
      local ok, why = true, ""
      if not rec then
        ok, why = false, "no JSON record (exit " .. tostring(code) .. "): " .. raw:sub(1, 400)
      else
        local want = type(c.status) == "table" and c.status or { c.status }
        local hit = false
        for _, s in ipairs(want) do if rec.status == s then hit = true end end
        if not hit then ok, why = false, "status " .. rec.status .. ", wanted " .. table.concat(want, "|") .. ": " .. rec.message end
        if ok and c.stderr and not has(rec.stderr, c.stderr) then ok, why = false, "stderr lacks '" .. c.stderr .. "': " .. rec.stderr:sub(-300) end
        if ok and c.not_stdout and (has(rec.stdout, c.not_stdout) or has(rec.stderr, c.not_stdout)) then ok, why = false, "the secret leaked" end
        if ok and c.raw_has and not has(raw, c.raw_has) then ok, why = false, "missing '" .. c.raw_has .. "' in: " .. raw:sub(-300) end
        if ok and c.check then
          local good, msg = c.check(rec, dir)
          if not good then ok, why = false, "check failed: " .. tostring(msg):sub(1, 400) end
        end
      end
      local left = survivors(mark)
      if #left > 0 then
        ok, why = false, why .. " survivors: " .. table.concat(left, " ")
        sh("kill -9 " .. table.concat(left, " "))
      end
      report(ok, c.name .. (rec and (" -> " .. rec.status) or ""), why)
    end
  end
end
sh("kill " .. SERVER_PID .. "; rm -rf " .. q(TMP) .. " /dev/shm/dojo-* 2>/dev/null")
print("1.." .. n)
os.exit(failed == 0 and 0 or 1)
