-- dojo.cli: the command line's subcommands (the C host tools/dojo.c hands argv here).
--
-- Exit codes (CONTRACT.md): 0 success; 1 the input was judged and rejected; 2 usage error
-- or internal fault. Errors are one sentence on stderr ("dojo: ..."); with --json they are
-- also printed as {"error":{...}} on stdout.
local M = {}

local EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2

local function out(s) io.stdout:write(s) end
local function say_error(msg) io.stderr:write("dojo: ", msg, "\n") end

-- A usage or input error carried up to main() as a value (never a stack trace).
local Failure = {}
Failure.__index = Failure
local function fail(code, msg) error(setmetatable({ code = code, msg = msg }, Failure), 0) end

-- Parses argv[first..] against spec = { ["--json"] = "flag", ["--seed"] = "value", ... };
-- returns options and positional arguments. "--" ends the options.
local function parse(cmd, argv, first, spec)
  local opts, pos = {}, {}
  local i = first
  while argv[i] ~= nil do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, #argv do pos[#pos + 1] = argv[j] end
      break
    elseif a:sub(1, 2) == "--" then
      local name, inline = a:match("^(%-%-[^=]+)=(.*)$")
      name = name or a
      local kind = spec[name]
      if not kind then fail(EXIT_USAGE, string.format("%s: unknown option '%s' (see 'dojo help %s')", cmd, name, cmd)) end
      local key = name:sub(3):gsub("%-", "_")
      if kind == "flag" then
        if inline then fail(EXIT_USAGE, string.format("%s: option %s takes no value", cmd, name)) end
        opts[key] = true
      else
        local v = inline
        if not v then
          i = i + 1
          v = argv[i]
          if v == nil then fail(EXIT_USAGE, string.format("%s: option %s needs a value", cmd, name)) end
        end
        if kind == "list" then
          opts[key] = opts[key] or {}
          table.insert(opts[key], v)
        else
          opts[key] = v
        end
      end
    elseif a:sub(1, 1) == "-" and #a > 1 and not tonumber(a) then
      fail(EXIT_USAGE, string.format("%s: unknown option '%s' (see 'dojo help %s')", cmd, a, cmd))
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

local commands, order = {}, {}
local function command(name, def)
  commands[name] = def
  order[#order + 1] = name
end

local function print_json(v)
  local json = require "dojo.json"
  out(assert(json.encode(v, { indent = 2, nan = "null" })) .. "\n")
end

command("help", {
  usage = "dojo help [COMMAND]",
  summary = "list the commands, or explain one",
  options = {},
  run = function(opts, args)
    local name = args[1]
    if name then
      local c = commands[name]
      if not c then fail(EXIT_USAGE, string.format("unknown command '%s'; run 'dojo help' for the list", name)) end
      out("usage: " .. c.usage .. "\n\n" .. c.summary .. "\n")
      if c.details then out("\n" .. c.details .. "\n") end
      return EXIT_OK
    end
    out("usage: dojo COMMAND [OPTIONS] [ARGS]\n\ncommands:\n")
    for _, n in ipairs(order) do out(string.format("  %-10s %s\n", n, commands[n].summary)) end
    out("\nRun 'dojo help COMMAND' for a command's options. Exit codes: 0 success, " ..
        "1 input rejected, 2 usage error or internal fault.\n")
    return EXIT_OK
  end,
})

command("version", {
  usage = "dojo version [--json]",
  summary = "print the version, the Lua runtime and what this machine's kernel allows",
  options = { ["--json"] = "flag" },
  run = function(opts, args)
    if #args > 0 then fail(EXIT_USAGE, "version: takes no arguments") end
    local info = require("dojo").version_info()
    if opts.json then print_json(info) return EXIT_OK end
    local function yn(b) return b and "yes" or "no" end
    out(string.format("dojo %s\n", info.version))
    out(string.format("lua: %s (%s binding)\n", info.lua, info.binding))
    out(string.format("kernel: Linux %s, %d cpus%s\n", info.kernel, info.ncpu, info.is_root and ", running as root" or ""))
    out(string.format("landlock: %s\n", info.landlock_abi > 0 and ("ABI " .. info.landlock_abi) or "unavailable"))
    out(string.format("seccomp: %s\n", info.seccomp_filter and "filter mode available" or "unavailable"))
    out(string.format("user namespaces: %s\n", yn(info.user_namespaces)))
    out(string.format("cgroups: %s (%s)\n", info.cgroup_mode, info.cgroup_note))
    return EXIT_OK
  end,
})

command("inspect", {
  usage = "dojo inspect FILE.csv[.gz] [--delimiter C] [--json]",
  summary = "read a CSV file (plain or gzip) and describe its columns",
  details = "Prints the row count and each column's name, inferred type (int, float, string)\n" ..
            "and number of missing values. A malformed file is rejected with the line and\n" ..
            "column of the problem (exit 1).",
  options = { ["--json"] = "flag", ["--delimiter"] = "value" },
  run = function(opts, args)
    if #args ~= 1 then fail(EXIT_USAGE, "inspect: needs exactly one FILE") end
    local ropts = {}
    if opts.delimiter then
      if #opts.delimiter ~= 1 then fail(EXIT_USAGE, "inspect: --delimiter must be one character") end
      ropts.delimiter = opts.delimiter
    end
    local t, err = require("dojo.table").read(args[1], ropts)
    if not t then fail(EXIT_REJECTED, err) end
    local cols = {}
    for i, name in ipairs(t:names()) do
      local c = t:column(i)
      cols[i] = { name = name, type = c.type, missing = c.nmissing }
    end
    if opts.json then
      print_json({ path = args[1], nrows = t.nrows, ncols = t.ncols, columns = cols })
    else
      out(string.format("%s: %d rows x %d columns\n", args[1], t.nrows, t.ncols))
      for _, c in ipairs(cols) do
        out(string.format("  %-24s %-6s %d missing\n", c.name, c.type, c.missing))
      end
    end
    t:close()
    return EXIT_OK
  end,
})


-- --param KEY=VALUE: numbers become numbers, true/false booleans, a,b,c lists.
local function parse_params(list, cmd)
  local params = {}
  for _, kv in ipairs(list or {}) do
    local k, v = kv:match("^([%a_][%w_]*)=(.*)$")
    if not k then fail(EXIT_USAGE, string.format("%s: --param takes KEY=VALUE, not '%s'", cmd, kv)) end
    if tonumber(v) then v = tonumber(v)
    elseif v == "true" then v = true
    elseif v == "false" then v = false
    elseif k == "labels" then
      local l = {}
      for item in v:gmatch("[^,]+") do l[#l + 1] = item end
      v = l
    end
    params[k] = v
  end
  return params
end

local function fmt_score(v) return string.format("%.17g", v) end

command("score", {
  usage = "dojo score METRIC TRUTH.csv PRED.csv [--param KEY=VALUE]... [--json] | dojo score --list",
  summary = "score a prediction file against a truth file with any metric",
  details = "Both files: a header row and the id in the first column; rows are matched by id in\n" ..
            "any order. Single-target metrics use the second column of each file; probability\n" ..
            "metrics (log_loss_multiclass) take the label from the truth's second column and one\n" ..
            "prediction column per class, named by the label; multi-column metrics (mcrmse,\n" ..
            "roc_auc_mean_columns, ...) use the truth's value columns, named alike in both;\n" ..
            "ranking metrics (map_at_k) take space-separated labels (--param k=N).\n" ..
            "Prints the score (%.17g). Exit 1 when the prediction is rejected.",
  options = { ["--json"] = "flag", ["--param"] = "list", ["--list"] = "flag" },
  run = function(opts, args)
    local metrics = require "dojo.metrics"
    require "dojo.catalog.metrics" -- the catalog competitions' Lua metrics, by name too
    if opts.list then
      local rows = {}
      for _, n in ipairs(metrics.list()) do
        local i = metrics.info(n)
        rows[#rows + 1] = { name = n, kind = i.kind, higher_is_better = i.higher_is_better }
      end
      if opts.json then print_json(rows) return EXIT_OK end
      for _, r in ipairs(rows) do
        out(string.format("%-26s %-8s %s\n", r.name, r.kind, r.higher_is_better and "higher is better" or "lower is better"))
      end
      return EXIT_OK
    end
    if #args ~= 3 then fail(EXIT_USAGE, "score: needs METRIC TRUTH.csv PRED.csv") end
    if not metrics.info(args[1]) then
      fail(EXIT_USAGE, string.format("score: unknown metric '%s' (dojo score --list shows them)", args[1]))
    end
    local params = parse_params(opts.param, "score")
    local ok, v, err = pcall(require("dojo.grade").score_files, args[1], args[2], args[3], params)
    if not ok then fail(EXIT_USAGE, "score: " .. tostring(v)) end
    if v == nil then fail(EXIT_REJECTED, err) end
    if opts.json then
      print_json({ status = "SUCCESS", metric = args[1], score = v })
    else
      out(fmt_score(v) .. "\n")
    end
    return EXIT_OK
  end,
})

command("grade", {
  usage = "dojo grade NAME SUBMISSION.csv [--data-root DIR] [--competitions DIR] [--json]",
  summary = "grade a submission for a competition: raw score, HumanRank position, medal",
  details = "Reads the competition's private answers from the data root (default $DOJO_DATA,\n" ..
            "else ~/.local/share/dojo) and ranks the score on its public and private\n" ..
            "leaderboards. An invalid submission is rejected with one sentence (exit 1).",
  options = { ["--json"] = "flag", ["--data-root"] = "value", ["--competitions"] = "value" },
  run = function(opts, args)
    if #args ~= 2 then fail(EXIT_USAGE, "grade: needs NAME SUBMISSION.csv") end
    local comp = require "dojo.competition"
    local def, err = comp.load(args[1], { competitions = opts.competitions })
    if not def then fail(EXIT_USAGE, "grade: " .. err) end
    local spec
    spec, err = def:grading_spec(comp.data_root({ data_root = opts.data_root }))
    if not spec then fail(EXIT_USAGE, "grade: " .. err) end
    local result = require("dojo.grade").grade(spec, args[2])
    if opts.json then
      print_json(result)
    elseif result.status == "SUCCESS" then
      out(string.format("raw score: %s (%s)\n", fmt_score(result.raw_score), def.metric))
      if result.public_score then
        out(string.format("public score: %s\nprivate score: %s\n", fmt_score(result.public_score),
                          result.private_score and fmt_score(result.private_score) or "-"))
      end
      if result.position then
        for _, which in ipairs { "public", "private" } do
          local p = result.position[which]
          if p then
            out(string.format("%s leaderboard: position %d of %d (score %.4f)\n", which, p.position, p.total, p.score))
          end
        end
        out(string.format("position score: %.4f\nmedal: %s%s\n", result.position.avg, result.medal,
                          result.above_median and " (above median)" or ""))
      end
    end
    if result.status ~= "SUCCESS" then
      if not opts.json then say_error(result.error.message) end
      return result.error.type == "InvalidSubmission" and EXIT_REJECTED or EXIT_USAGE
    end
    return EXIT_OK
  end,
})


command("sandbox", {
  usage = "dojo sandbox [--time S] [--wall S] [--memory MB] [--procs N] [--fsize MB] [--output KB]\n" ..
          "                    [--output-fails] [--read PATH]... [--write PATH]... [--net] [--gpu]\n" ..
          "                    [--env K=V]... [--cwd DIR] [--disable LAYER]... [--json] -- CMD ARG...",
  summary = "run a program under the sandbox and print its result record",
  details = "Runs CMD with every isolation layer this machine allows (namespaces, cgroup,\n" ..
            "rlimits, an unprivileged uid, Landlock, seccomp, a scrubbed environment) and prints\n" ..
            "the record: status (OK RE SG TO ML OL XX), exit code, signal, wall and CPU seconds,\n" ..
            "peak RSS, output, and each layer as applied or unavailable. --disable LAYER turns a\n" ..
            "layer off (namespaces, cgroup, rlimits, uid, landlock, seccomp, netns).\n" ..
            "Exit: 0 when the program succeeded, 1 when it failed or was stopped, 2 on a usage\n" ..
            "error or the sandbox's own failure (XX).",
  options = { ["--json"] = "flag", ["--time"] = "value", ["--wall"] = "value", ["--memory"] = "value",
              ["--procs"] = "value", ["--fsize"] = "value", ["--output"] = "value",
              ["--output-fails"] = "flag", ["--read"] = "list", ["--write"] = "list", ["--net"] = "flag",
              ["--gpu"] = "flag", ["--env"] = "list", ["--cwd"] = "value", ["--disable"] = "list" },
  run = function(opts, args)
    if #args == 0 then fail(EXIT_USAGE, "sandbox: needs a command after --") end
    local policy = { cmd = args[1], argv = args, cwd = opts.cwd, read = opts.read, write = opts.write,
                     net = opts.net, gpu = opts.gpu, output_fails = opts.output_fails, disable = opts.disable }
    for _, k in ipairs { "time", "wall", "memory", "procs", "fsize", "output" } do
      if opts[k] then
        local v = tonumber(opts[k])
        if not v or v < 0 or v ~= v or v == math.huge then
          fail(EXIT_USAGE, string.format("sandbox: --%s must be a number >= 0, not '%s'", k, opts[k]))
        end
        policy[k] = v
      end
    end
    if opts.env then
      policy.env = {}
      for _, kv in ipairs(opts.env) do
        if not kv:find("^[^=]+=") then fail(EXIT_USAGE, "sandbox: --env takes KEY=VALUE, not '" .. kv .. "'") end
        policy.env[#policy.env + 1] = kv
      end
    end
    local sb = require "dojo.sandbox"
    local ok, res, err = pcall(sb.run, policy)
    if not ok then fail(EXIT_USAGE, tostring(res):gsub("^.-sandbox policy", "sandbox policy")) end
    if not res then fail(EXIT_USAGE, "sandbox: " .. err) end
    if opts.json then
      print_json(res)
    else
      for _, k in ipairs { "status", "exit_code", "signal" } do out(string.format("%s: %s\n", k, tostring(res[k]))) end
      out(string.format("wall_s: %.3f\ncpu_s: %.3f\nmax_rss_kb: %d\noutput_bytes: %d\nmessage: %s\n",
                        res.wall_s, res.cpu_s, res.max_rss_kb, res.output_bytes, res.message))
      for _, l in ipairs(res.layers) do
        out(string.format("layer %s: %s (%s)\n", l.name, l.applied and "applied" or "not applied", l.detail))
      end
      out(string.format("--- stdout (%d bytes) ---\n%s", #res.stdout, res.stdout))
      if #res.stdout > 0 and res.stdout:sub(-1) ~= "\n" then out("\n") end
      out(string.format("--- stderr (%d bytes) ---\n%s", #res.stderr, res.stderr))
      if #res.stderr > 0 and res.stderr:sub(-1) ~= "\n" then out("\n") end
    end
    if res.status == "OK" then return EXIT_OK end
    if res.status == "XX" then return EXIT_USAGE end
    return EXIT_REJECTED
  end,
})

---------------------------------------------------------------------------------------------
-- Competitions and episodes

local DATA_OPTS = { ["--data-root"] = "value", ["--competitions"] = "value" }
local function with(t, extra)
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end

local function load_comp(cmd, name, opts)
  local def, err = require("dojo.competition").load(name, { competitions = opts.competitions })
  if not def then fail(EXIT_USAGE, cmd .. ": " .. err) end
  return def
end

local function number_opt(cmd, opts, key, integer)
  local v = opts[key]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or n ~= n or n <= 0 or n == math.huge or (integer and n ~= math.floor(n)) then
    fail(EXIT_USAGE, string.format("%s: --%s must be a positive %s, not '%s'", cmd, key:gsub("_", "-"),
                                   integer and "integer" or "number", v))
  end
  return n
end

-- ready | not prepared | needs data | not gradable, and the note: the command that prepares
-- it, or why dojo cannot grade it.
local function status_of(def, root)
  if require("dojo.prepare").is_prepared(root, def.name) and not def.not_gradable then return "ready" end
  return def:status(root)
end

command("list", {
  usage = "dojo list [--data-root DIR] [--competitions DIR] [--json]",
  summary = "list the competitions: modality, metric, leaderboard, status (ready, not prepared, needs data, not gradable)",
  options = with(DATA_OPTS, { ["--json"] = "flag" }),
  run = function(opts, args)
    if #args > 0 then fail(EXIT_USAGE, "list: takes no arguments") end
    local comp = require "dojo.competition"
    local root = comp.data_root({ data_root = opts.data_root })
    local rows = {}
    local names, where = comp.list({ competitions = opts.competitions })
    for _, name in ipairs(names) do
      local def, err = comp.load(name, { competitions = opts.competitions })
      if def then
        local status, note = status_of(def, root)
        rows[#rows + 1] = { name = name, title = def.title, modality = def.modality or "tabular", task = def.task,
                            metric = def.metric, higher_is_better = def.higher_is_better,
                            leaderboard = (def.leaderboard or {}).kind or "kaggle",
                            source = where[name] == "catalog" and "catalog" or "folder",
                            status = status, prepare = status ~= "not gradable" and note or nil,
                            reason = status == "not gradable" and note or nil }
      else
        rows[#rows + 1] = { name = name, status = "broken", error = err }
      end
    end
    if opts.json then print_json({ data_root = root, competitions = rows }) return EXIT_OK end
    out(string.format("%-28s %-9s %-22s %-17s %s\n", "NAME", "MODALITY", "METRIC", "LEADERBOARD", "STATUS"))
    local count = {}
    for _, r in ipairs(rows) do
      if r.error then
        out(string.format("%-28s broken: %s\n", r.name, r.error))
      else
        -- a catalog competition's long preparation hint is summed up once below the table
        local note = r.reason or (r.source ~= "catalog" and r.prepare)
        out(string.format("%-28s %-9s %-22s %-17s %s\n", r.name, r.modality, r.metric, r.leaderboard,
                          r.status .. (note and (" (" .. note .. ")") or "")))
        count[r.status] = (count[r.status] or 0) + 1
      end
    end
    out(string.format("data root: %s\n", root))
    out(string.format("%d competitions: %d ready, %d not prepared, %d need data, %d not gradable\n", #rows,
                      count.ready or 0, count["not prepared"] or 0, count["needs data"] or 0, count["not gradable"] or 0))
    if (count["needs data"] or 0) > 0 then
      out("catalog competitions that need data: " .. require("dojo.catalog").prepare_hint("NAME", root) .. "\n")
    end
    return EXIT_OK
  end,
})

command("info", {
  usage = "dojo info NAME [--data-root DIR] [--competitions DIR] [--json]",
  summary = "describe a competition: task, metric, columns, data, leaderboard",
  options = with(DATA_OPTS, { ["--json"] = "flag" }),
  run = function(opts, args)
    if #args ~= 1 then fail(EXIT_USAGE, "info: needs exactly one NAME") end
    local comp = require "dojo.competition"
    local def = load_comp("info", args[1], opts)
    local root = comp.data_root({ data_root = opts.data_root })
    local lb = def.leaderboard or {}
    local m = require("dojo.prepare").manifest(root, def.name)
    local status, note = status_of(def, root)
    local cat = def.catalog
    local info = {
      name = def.name, title = def.title, modality = def.modality, task = def.task, metric = def.metric,
      metric_params = def.metric_params, higher_is_better = def.higher_is_better, id_column = def.id_column,
      target_columns = def.target_columns, leaderboard = lb.kind or "kaggle", leaderboard_note = lb.note,
      credit = def.credit, data_root = root,
      definition = def.dir and (def.dir .. "/competition.lua") or "catalog (lua/dojo/catalog/mledojo.lua)",
      status = status, prepare = status ~= "not gradable" and note or nil,
      reason = status == "not gradable" and note or nil, metric_note = def.notes,
      seed = m and m.seed, stats = m and m.stats,
      catalog = cat and { category = cat.category, teams = cat.teams, submission_format = cat.submission_format,
                          public_files = cat.public_files, mledojo = cat.mledojo } or nil,
    }
    if opts.json then print_json(info) return EXIT_OK end
    out(string.format("%s: %s\n", def.name, def.title or ""))
    for _, k in ipairs { "modality", "task", "metric", "leaderboard", "status", "prepare", "reason", "seed", "credit",
                         "definition" } do
      if info[k] ~= nil then out(string.format("  %-16s %s\n", k, tostring(info[k]))) end
    end
    if def.notes then out(string.format("  %-16s %s\n", "metric note", def.notes)) end
    if cat then
      out(string.format("  %-16s %s\n", "submission", tostring(cat.submission_format)))
      out(string.format("  %-16s %s\n", "teams", tostring(cat.teams)))
    end
    out(string.format("  %-16s %s\n", "direction", def.higher_is_better and "higher is better" or "lower is better"))
    out(string.format("  %-16s %s\n", "id column", def.id_column or "the answers' first column"))
    out(string.format("  %-16s %s\n", "targets", def.target_columns and table.concat(def.target_columns, ", ")
                                                   or "the answers' value columns"))
    if lb.note then out(string.format("  %-16s %s\n", "leaderboard note", lb.note)) end
    if m and m.stats then
      local st = {}
      for k, v in pairs(m.stats) do st[#st + 1] = k .. " " .. tostring(v) end
      table.sort(st)
      out(string.format("  %-16s %s\n", "rows", table.concat(st, ", ")))
    end
    return EXIT_OK
  end,
})

command("prepare", {
  usage = "dojo prepare NAME [--data-root DIR] [--competitions DIR] [--seed N] [--force] [--json]",
  summary = "write a competition's public and private data (deterministic for a seed)",
  details = "Writes DIR/NAME/public (train, test, sample submission, description) and\n" ..
            "DIR/NAME/private (the answers, mode 0700), and DIR/NAME/manifest.json with the\n" ..
            "sha256 of every file. The same seed gives the same bytes. An existing preparation\n" ..
            "is kept unless --force.",
  options = with(DATA_OPTS, { ["--json"] = "flag", ["--seed"] = "value", ["--force"] = "flag" }),
  run = function(opts, args)
    if #args ~= 1 then fail(EXIT_USAGE, "prepare: needs exactly one NAME") end
    local comp = require "dojo.competition"
    local def = load_comp("prepare", args[1], opts)
    local root = comp.data_root({ data_root = opts.data_root })
    local seed = opts.seed and tonumber(opts.seed)
    if opts.seed and (not seed or seed ~= math.floor(seed) or seed < 0) then
      fail(EXIT_USAGE, "prepare: --seed must be a non-negative integer, not '" .. opts.seed .. "'")
    end
    local m, note = require("dojo.prepare").prepare(def, root, { seed = seed, force = opts.force })
    if not m then fail(EXIT_USAGE, "prepare: " .. note) end
    if opts.json then
      print_json({ status = "SUCCESS", name = def.name, data_root = root, seed = m.seed, files = m.files,
                   already = note == "already prepared" or nil })
      return EXIT_OK
    end
    out(string.format("%s %s under %s/%s (seed %s)\n", def.name, note or "prepared", root, def.name, tostring(m.seed)))
    local files = {}
    for rel in pairs(m.files) do files[#files + 1] = rel end
    table.sort(files)
    for _, rel in ipairs(files) do out(string.format("  %s  %s\n", m.files[rel], rel)) end
    return EXIT_OK
  end,
})

local function is_tty()
  local r = os.execute("test -t 1")
  return r == true or r == 0
end

-- The LLM configuration of `dojo run` from its flags and the environment (dojo.llm).
local LLM_FLAGS = { "provider", "model", "base_url", "temperature", "top_p", "max_tokens", "retries", "llm_timeout" }

local function llm_config(opts)
  local flags = {}
  for _, k in ipairs(LLM_FLAGS) do flags[k] = opts[k] end
  for _, k in ipairs { "temperature", "top_p" } do
    local v = opts[k]
    if v ~= nil then
      local n = tonumber(v)
      if not n or n ~= n or n < 0 or n == math.huge then
        fail(EXIT_USAGE, string.format("run: --%s must be a number of 0 or more, not '%s'", k:gsub("_", "-"), v))
      end
      flags[k] = n
    end
  end
  flags.max_tokens = number_opt("run", opts, "max_tokens", true)
  flags.timeout = number_opt("run", opts, "llm_timeout")
  flags.llm_timeout = nil
  flags.stream = opts.stream or nil
  if opts.retries ~= nil then
    local n = tonumber(opts.retries)
    if not n or n < 0 or n ~= math.floor(n) then
      fail(EXIT_USAGE, "run: --retries must be a non-negative integer, not '" .. opts.retries .. "'")
    end
    flags.retries = n
  end
  local cfg, err = require("dojo.llm").config(flags, os.getenv)
  if not cfg then fail(EXIT_USAGE, "run: " .. err) end
  return cfg
end

command("run", {
  usage = "dojo run NAME [--agent baseline|mle|aide] [--steps N] [--time S] [--exec-time S] [--memory MB]\n" ..
          "                [--seed N] [--feedback POLICY] [--reward MODE] [--show-private] [--data-root DIR]\n" ..
          "                [--competitions DIR] [--out DIR] [--json]\n" ..
          "                [--model M] [--provider P] [--base-url URL] [--temperature T] [--top-p P]\n" ..
          "                [--max-tokens N] [--retries N] [--llm-timeout S] [--stream] [--tool-calls]\n" ..
          "                [--context-tokens N] [--tools FILE]",
  summary = "play one episode with an agent (default: the scripted baseline)",
  details = "Prepares the competition if needed, runs the episode, shows each step (action,\n" ..
            "status, public score, position, elapsed), and writes OUT/trajectory.jsonl and\n" ..
            "OUT/summary.json (default OUT: runs/NAME-DATE-TIME). --steps: the step budget\n" ..
            "(default 20); --time: the episode's time budget in seconds; --exec-time and\n" ..
            "--memory: limits of each execution. --feedback base|concise|hints; --reward\n" ..
            "position|raw|improvement; --show-private reveals the private score every step.\n" ..
            "\n" ..
            "LLM agents: mle (one action per model reply, JSON actions or --tool-calls) and aide\n" ..
            "(a tree search over whole programs). The model comes from --model/--provider/--base-url\n" ..
            "or the environment: OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, GEMINI_API_KEY,\n" ..
            "DOJO_LLM_PROVIDER, DOJO_LLM_MODEL, DOJO_LLM_BASE_URL, DOJO_LLM_API_KEY. Keys are read\n" ..
            "from the environment only and never written to the run's files. --tools FILE adds the\n" ..
            "tools a Lua file returns to the agent's toolchain. --context-tokens: the mle agent's\n" ..
            "conversation budget (default 24000; the oldest turns are left out first).",
  options = with(DATA_OPTS, { ["--json"] = "flag", ["--agent"] = "value", ["--steps"] = "value", ["--time"] = "value",
                              ["--exec-time"] = "value", ["--memory"] = "value", ["--seed"] = "value",
                              ["--out"] = "value", ["--model"] = "value", ["--base-url"] = "value",
                              ["--provider"] = "value", ["--temperature"] = "value", ["--top-p"] = "value",
                              ["--max-tokens"] = "value", ["--retries"] = "value", ["--llm-timeout"] = "value",
                              ["--tool-calls"] = "flag", ["--tools"] = "value", ["--stream"] = "flag",
                              ["--context-tokens"] = "value",
                              ["--feedback"] = "value", ["--reward"] = "value", ["--show-private"] = "flag" }),
  run = function(opts, args)
    if #args ~= 1 then fail(EXIT_USAGE, "run: needs exactly one NAME") end
    local agent = opts.agent or "baseline"
    local agents = require "dojo.agents"
    local amod, aerr = agents.get(agent)
    if not amod then fail(EXIT_USAGE, "run: " .. aerr) end
    local uses_llm = agents.uses_llm(agent)
    if not uses_llm then
      for _, k in ipairs { "model", "base_url", "provider", "temperature", "top_p", "max_tokens", "retries", "llm_timeout",
                           "tool_calls", "tools", "stream", "context_tokens" } do
        if opts[k] then
          fail(EXIT_USAGE, string.format("run: --%s is for LLM agents (mle, aide); the %s agent uses no model",
                                         k:gsub("_", "-"), agent))
        end
      end
    end
    for _, k in ipairs { "tool_calls", "context_tokens" } do
      if opts[k] and agent ~= "mle" then
        fail(EXIT_USAGE, string.format("run: --%s is an option of the mle agent", k:gsub("_", "-")))
      end
    end
    local env_opts = {
      data_root = opts.data_root, competitions = opts.competitions, output_dir = opts.out,
      max_steps = number_opt("run", opts, "steps", true), time_budget = number_opt("run", opts, "time"),
      exec_time = number_opt("run", opts, "exec_time"), exec_memory = number_opt("run", opts, "memory"),
      feedback = opts.feedback, reward = opts.reward, scores = opts.show_private and "all" or nil,
    }
    local seed = opts.seed and tonumber(opts.seed)
    if opts.seed and (not seed or seed ~= math.floor(seed) or seed < 0) then
      fail(EXIT_USAGE, "run: --seed must be a non-negative integer, not '" .. opts.seed .. "'")
    end
    local agent_options, llm_record = {}, nil
    if uses_llm then
      local cfg = llm_config(opts)
      agent_options.llm = cfg
      agent_options.tool_calls = opts.tool_calls
      agent_options.context_tokens = number_opt("run", opts, "context_tokens", true)
      llm_record = { provider = cfg.provider, model = cfg.model, base_url = cfg.base_url }
      local tools = require "dojo.tools"
      local chain = tools.default()
      if opts.tools then
        local terr
        chain, terr = tools.load(opts.tools, chain)
        if not chain then fail(EXIT_USAGE, "run: " .. terr) end
      end
      agent_options.tools = chain
    end
    local run = require "dojo.run"
    local f = opts.json and io.stderr or io.stdout
    local res, err = run.episode(args[1], { agent = agent, env = env_opts, seed = seed, agent_options = agent_options,
                                            llm_record = llm_record,
                                            progress = run.printer(f, not opts.json and is_tty()) })
    if not res then fail(EXIT_USAGE, "run: " .. err) end
    if res.agent and res.agent.fatal then
      fail(EXIT_USAGE, string.format("run: the model could not be used: %s (the run is recorded in %s)", res.agent.fatal, res.out))
    end
    if opts.json then print_json(res) return EXIT_OK end
    local fin = res.final
    out(require("dojo.env").final_text(fin, load_comp("run", args[1], opts)) .. "\n")
    if fin.submitted ~= false and fin.position and fin.position.public then
      local pp = fin.position.public
      out(string.format("public score %.6g, public leaderboard %s\n", fin.public_score, require("dojo.feedback").position(pp)))
    end
    local ag = res.agent
    if ag and ag.calls then
      out(string.format("model: %d calls, %d input + %d output tokens%s%s\n", ag.calls, ag.input_tokens, ag.output_tokens,
                        ag.cost and string.format(", cost $%.4f", ag.cost) or "",
                        ag.stopped and ("; the agent stopped: " .. ag.stopped) or ""))
    end
    out(string.format("trajectory: %s\nsummary: %s\n", res.trajectory, res.summary))
    return EXIT_OK
  end,
})

command("export", {
  usage = "dojo export [--format history|sft|rl] RUN_DIR",
  summary = "convert a run's trajectory: MLE-Dojo's history.json, chat JSONL (sft) or RL step records",
  details = "history: MLE-Dojo's history.json layout (one JSON document).\n" ..
            "sft (alias chat): chat-format JSONL for supervised fine-tuning, {\"messages\": [...]}\n" ..
            "  per episode (per step for aide), with the model's own replies.\n" ..
            "rl: one JSON line per step: observation, action, reward, next_observation,\n" ..
            "  terminated, truncated, info.",
  options = { ["--format"] = "value" },
  run = function(opts, args)
    if #args ~= 1 then fail(EXIT_USAGE, "export: needs exactly one RUN_DIR") end
    local fmt = opts.format or "history"
    if fmt ~= "history" and fmt ~= "chat" and fmt ~= "sft" and fmt ~= "rl" then
      fail(EXIT_USAGE, "export: --format must be history, sft or rl, not '" .. fmt .. "'")
    end
    local hist = require "dojo.history"
    local steps, err = hist.read(args[1] .. "/trajectory.jsonl")
    if not steps then fail(EXIT_USAGE, "export: " .. err) end
    local json = require "dojo.json"
    if fmt == "history" then
      out(assert(json.encode(hist.to_mledojo(steps), { indent = 2, nan = "null" })) .. "\n")
      return EXIT_OK
    end
    for _, ep in ipairs(hist.episodes(steps)) do
      local recs = fmt == "rl" and hist.to_rl(ep) or hist.to_chat(ep)
      for _, r in ipairs(recs) do out(assert(json.encode_line(r, { nan = "null" })) .. "\n") end
    end
    return EXIT_OK
  end,
})

command("serve", {
  usage = "dojo serve --stdio",
  summary = "JSON-lines RPC on stdin/stdout: make, reset, step, close",
  details = "Each request is one line {\"id\":1,\"method\":\"make\",\"params\":{\"name\":\"titanic\",\n" ..
            "\"options\":{...}}}; then reset {\"seed\":N}, step {\"action\":...,\"args\":{...}}, close.\n" ..
            "Each answer is one line {\"id\":1,\"result\":{...}} or {\"id\":1,\"error\":{...}}.",
  options = { ["--stdio"] = "flag" },
  run = function(opts, args)
    if not opts.stdio or #args > 0 then fail(EXIT_USAGE, "serve: only --stdio is supported") end
    require("dojo.serve").stdio(io.stdin, io.stdout)
    return EXIT_OK
  end,
})

-- main(argv) -> exit code. argv[0] is the program name, argv[1] the subcommand.
function M.main(argv)
  argv = argv or {}
  local json_wanted = false
  for _, a in ipairs(argv) do if a == "--json" then json_wanted = true end end
  local ok, code = xpcall(function()
    local name = argv[1]
    if name == nil then
      io.stderr:write("usage: dojo COMMAND [OPTIONS] [ARGS]; run 'dojo help' for the commands\n")
      return EXIT_USAGE
    end
    if name == "--help" or name == "-h" then name = "help" end
    if name == "--version" then name = "version" end
    local c = commands[name]
    if not c then fail(EXIT_USAGE, string.format("unknown command '%s'; run 'dojo help' for the list", name)) end
    local spec = { ["--help"] = "flag" }
    for k, v in pairs(c.options) do spec[k] = v end
    local opts, args = parse(name, argv, 2, spec)
    if opts.help then return commands.help.run({}, { name }) end
    return c.run(opts, args)
  end, function(e)
    if getmetatable(e) == Failure then return e end
    return setmetatable({ code = EXIT_USAGE, msg = "internal error: " .. tostring(e),
                          trace = os.getenv("DOJO_DEBUG") and debug.traceback(tostring(e), 2) }, Failure)
  end)
  if ok then return code or EXIT_OK end
  say_error(code.msg)
  if code.trace then io.stderr:write(code.trace, "\n") end
  if json_wanted then
    print_json({ status = "FAILED", error = { type = code.code == EXIT_REJECTED and "Rejected" or "UsageError",
                                              message = code.msg } })
  end
  return code.code
end

return M
