-- dojo.prepare: turns a competition's source data into what an episode uses, Kaggle's way:
--
--   ROOT/NAME/public/    train.csv, test.csv (no targets), sample_submission.csv,
--                        description.md -- what the agent's code may read
--   ROOT/NAME/private/   test_answer.csv (id, targets, Usage = Public | Private), and the
--                        leaderboards when the definition brings them -- mode 0700, never
--                        readable from the sandbox
--   ROOT/NAME/manifest.json   the seed and the sha256 of every file written
--
-- Deterministic: the split uses dojo.rng (the same numbers on Lua 5.4 and LuaJIT) seeded with
-- the seed and the competition's name, and nothing time- or host-dependent is written, so
-- the same seed gives byte-identical files. The data is built in ROOT/.NAME.partial and
-- moved into place only when complete: an interrupted prepare leaves the old data intact.
--
-- Float columns whose values are all whole numbers (an export's "1.0") are written as
-- integers. A definition either describes its source (source = { file = ..., drop = ..., rename = ...,
-- types = ..., target_map = ... } + split = {...}) and gets the generic split below, or
-- brings its own prepare(ctx) function for data that is not one table (images, several
-- files); ctx offers the same writers, confined to the two output folders.
--
-- ctx, as a definition's prepare(ctx) sees it:
--   ctx.seed, ctx.rng (dojo.rng, seeded with the seed and the name), ctx.comp, ctx.comp_dir
--   ctx.write_public(name, cols), ctx.write_private(name, cols)   a table from a list of
--       columns { name =, values =, n =, type = "int" | "float" | "string" }
--   ctx.write_public_file(name, data), ctx.write_private_file(name, data)   raw bytes
--   ctx.read_table(path [, opts]), ctx.read_file(path)   relative to the definition's folder
--       (or absolute, e.g. a Debian package's files under /usr/share); raise on failure
--   ctx.gunzip(data [, max])        gzip data (zlib, in the kernel) -> the bytes; max bounds the output
--   ctx.exists(path)                true when the file exists (same paths as read_file)
--   ctx.mkdir_public(name)
--   ctx.prepare_table([extra])      the generic prepare below, on comp.source with the keys
--       of `extra` laid over it. `extra` may also use what the source schema does not know:
--         files = { "data/a.csv.gz", "data/b.csv.gz" }   several files with the same
--                 columns, concatenated in this order (instead of `file`)
--         na_values = { "NA" }     strings read as missing values (written as empty fields)
--         transform = function(cols, n) ... end   called with the source's columns (a list
--                 of { name =, values =, n =, type = }) before drop and rename; it may
--                 change, add or remove columns in place, or return a new list
--       e.g. prepare = function(ctx) return ctx.prepare_table { na_values = { "NA" } } end
--   ctx.usage(n)                    Kaggle's Usage column for n test rows: a seeded
--       split.public_fraction of them "Public", the rest "Private" (as the generic prepare)
--   ctx.sample_value(values, n)     the sample submission's constant for a target's training
--       values (the most frequent label, or the mean), as the generic prepare chooses it
-- A prepare(ctx) returns its stats (train_rows, test_rows, ...) for the manifest.
local core = require "dojo.core"
local dtable = require "dojo.table"
local json = require "dojo.json"
local rng = require "dojo.rng"

local M = {}

M.DEFAULT_SEED = 42

local function check(ok, err)
  if not ok then error(err, 0) end
  return ok
end

local function mkdir(path, mode) check(core.dir_make(path, mode or 493)) end -- 0755

-- Writes a table given as a list of columns { name =, values =, n =, type = }.
local function write_columns(path, cols)
  local t = dtable.new(cols)
  local ok, err = t:write(path)
  t:close()
  check(ok, err)
end

-- Reads a source file of a definition (relative to its folder) with the source's options.
local function read_source(comp, src, file)
  local path = file:sub(1, 1) == "/" and file or (comp.dir .. "/" .. file)
  local t, err = dtable.read(path, { types = src.types, na_values = src.na_values })
  if not t then error(string.format("competition %s: cannot read its source %s: %s", comp.name, path, err), 0) end
  return t
end

-- The source's columns as Lua arrays { name =, values =, n =, type = } (holes are missing
-- values) and the row count: one file, or several with the same columns concatenated.
local function source_columns(comp, src)
  local files = src.files or { src.file }
  if #files == 0 or type(files[1]) ~= "string" then
    error(string.format("competition %s: its source names no file", comp.name), 0)
  end
  local cols, n = nil, 0
  for fi, file in ipairs(files) do
    local t = read_source(comp, src, file)
    local names = t:names()
    if not cols then
      cols = {}
      for i, name in ipairs(names) do cols[i] = { name = name, values = {}, n = 0, type = t:column(i).type } end
    elseif #names ~= #cols then
      error(string.format("competition %s: %s has %d columns, %s has %d", comp.name, file, #names, files[1], #cols), 0)
    end
    for i, name in ipairs(names) do
      local col, c = cols[i], t:column(i)
      if col.name ~= name then
        error(string.format("competition %s: column %d of %s is '%s', of %s '%s'", comp.name, i, file, name, files[1], col.name), 0)
      end
      if fi == 1 then
        col.values = c:totable()
      else
        if c.type ~= col.type then
          if (c.type == "string") ~= (col.type == "string") then
            error(string.format("competition %s: column %s is %s in %s but %s in %s (set source.types)", comp.name, name,
                                c.type, file, col.type, files[1]), 0)
          end
          col.type = "float"
        end
        local v, vals = col.values, c:totable()
        for r = 1, t.nrows do v[n + r] = vals[r] end
      end
    end
    n = n + t.nrows
    t:close()
  end
  for _, col in ipairs(cols) do col.n = n end
  return cols, n
end

-- The value the sample submission holds for every row: the most frequent training label for
-- label metrics, the training mean for numeric ones (the class prior for 0/1 targets).
local function constant_prediction(kind, values, n)
  if kind == "labels" then
    local count, best, bestn = {}, nil, -1
    for i = 1, n do
      local v = values[i]
      if v ~= nil then
        count[v] = (count[v] or 0) + 1
        if count[v] > bestn or (count[v] == bestn and tostring(v) < tostring(best)) then best, bestn = v, count[v] end
      end
    end
    return best
  end
  local sum, cnt = 0, 0
  for i = 1, n do
    local v = values[i]
    if type(v) == "number" and v == v then sum, cnt = sum + v, cnt + 1 end
  end
  if cnt == 0 then return 0 end
  return tonumber(string.format("%.6g", sum / cnt))
end

-- Splits rows 1..n: returns the test rows and train rows, each in their original order.
-- With stratify, every class is split in the same proportion.
local function split_rows(r, n, ntest, strat)
  local is_test = {}
  if strat then
    local groups, order = {}, {}
    for i = 1, n do
      local k = tostring(strat[i])
      if not groups[k] then groups[k] = {} order[#order + 1] = k end
      table.insert(groups[k], i)
    end
    table.sort(order)
    local frac, taken = ntest / n, 0
    for gi, k in ipairs(order) do
      local g = r:shuffle(groups[k])
      local want = (gi == #order) and (ntest - taken) or math.floor(#g * frac + 0.5)
      want = math.max(0, math.min(#g, want))
      for j = 1, want do is_test[g[j]] = true end
      taken = taken + want
    end
  else
    local p = r:permutation(n)
    for j = 1, ntest do is_test[p[j]] = true end
  end
  local test, train = {}, {}
  for i = 1, n do
    if is_test[i] then test[#test + 1] = i else train[#train + 1] = i end
  end
  return test, train
end

-- Kaggle's Usage column for n test rows: round(n * public_fraction) of them, chosen by r,
-- are "Public", the rest "Private".
local function usage_column(r, n, public_fraction)
  local npublic = math.floor(n * (public_fraction or 0.3) + 0.5)
  local perm = r:permutation(n)
  local usage = {}
  for j = 1, n do usage[j] = "Private" end
  for j = 1, npublic do usage[perm[j]] = "Public" end
  return usage, npublic
end

-- The generic prepare: one source table split into train and test.
local function prepare_table(comp, ctx, src)
  src = src or comp.source
  local split = comp.split or {}
  local srccols, n = source_columns(comp, src)
  if src.transform then srccols = src.transform(srccols, n) or srccols end
  local has = {}
  for _, col in ipairs(srccols) do has[col.name] = true end
  local drop, rename = {}, src.rename or {}
  for _, c in ipairs(src.drop or {}) do
    if not has[c] then error(string.format("competition %s: source.drop names '%s', which the source does not have", comp.name, c), 0) end
    drop[c] = true
  end
  for c in pairs(rename) do
    if not has[c] then error(string.format("competition %s: source.rename names '%s', which the source does not have", comp.name, c), 0) end
  end
  -- Columns, renamed, as Lua arrays (holes are missing values).
  local cols, byname = {}, {}
  for _, c in ipairs(srccols) do
    local name = c.name
    if not drop[name] then
      local new = rename[name] or name
      local col = { name = new, values = c.values, n = n, type = c.type }
      -- a float column holding only whole numbers (1.0, 2.0) is written as integers
      if col.type == "float" then
        local whole = true
        for i = 1, n do
          local v = col.values[i]
          if v ~= nil and (v ~= math.floor(v) or math.abs(v) >= 2^53) then whole = false break end
        end
        if whole then col.type = "int" end
      end
      cols[#cols + 1], byname[new] = col, col
    end
  end
  for _, target in ipairs(comp.target_columns) do
    local col = byname[target]
    if not col then error(string.format("competition %s: the source has no target column '%s'", comp.name, target), 0) end
    if src.target_map then
      local vals, mapped_type = col.values, nil
      for i = 1, n do
        local v = vals[i]
        if v ~= nil then
          local m = src.target_map[v]
          if m == nil then m = src.target_map[tostring(v)] end
          if m == nil then
            error(string.format("competition %s: source.target_map has no entry for the value '%s' of %s", comp.name, tostring(v), target), 0)
          end
          vals[i] = m
          mapped_type = type(m) == "number" and (mapped_type == "float" and "float" or (m == math.floor(m) and "int" or "float")) or "string"
        end
      end
      col.type = mapped_type or col.type
    end
    -- rows without a target cannot be graded: they are dropped
    for i = 1, n do
      if col.values[i] == nil then
        error(string.format("competition %s: row %d of the source has no %s", comp.name, i, target), 0)
      end
    end
  end
  -- Split.
  local ntest = split.test_rows or math.floor(n * (split.test_fraction or 0.25) + 0.5)
  if ntest < 1 or ntest >= n then
    error(string.format("competition %s: the split leaves %d test rows of %d", comp.name, ntest, n), 0)
  end
  local r = ctx.rng
  local strat = split.stratify and byname[split.stratify] and byname[split.stratify].values
  local test, train = split_rows(r, n, ntest, strat)
  -- Ids: the source's id column, or new ones numbered like Kaggle's (train first, then test).
  local id = comp.id_column
  if not byname[id] then
    local vals, start = {}, src.id_start or 1
    for j, i in ipairs(train) do vals[i] = start + j - 1 end
    for j, i in ipairs(test) do vals[i] = start + #train + j - 1 end
    local col = { name = id, values = vals, n = n, type = "int" }
    table.insert(cols, 1, col)
    byname[id] = col
  end
  local is_target = {}
  for _, tc in ipairs(comp.target_columns) do is_target[tc] = true end
  local function pick(col, rows, name)
    local v = {}
    for j, i in ipairs(rows) do v[j] = col.values[i] end
    return { name = name or col.name, values = v, n = #rows, type = col.type }
  end
  local train_cols, test_cols = {}, {}
  for _, col in ipairs(cols) do
    train_cols[#train_cols + 1] = pick(col, train)
    if not is_target[col.name] then test_cols[#test_cols + 1] = pick(col, test) end
  end
  ctx.write_public("train.csv", train_cols)
  ctx.write_public("test.csv", test_cols)
  -- Answers with Kaggle's Usage column: a seeded public part, the rest private.
  local usage, npublic = usage_column(r, #test, split.public_fraction)
  local ans = { pick(byname[id], test) }
  for _, tc in ipairs(comp.target_columns) do ans[#ans + 1] = pick(byname[tc], test) end
  ans[#ans + 1] = { name = "Usage", values = usage, n = #test, type = "string" }
  ctx.write_private(comp.answers, ans)
  -- Sample submission: the id and a constant guess per target.
  local kind = require("dojo.metrics").info(comp.metric).kind
  local sample = { pick(byname[id], test) }
  local ss = comp.sample_submission or {}
  for _, tc in ipairs(comp.submission_columns or comp.target_columns) do
    local src_col = byname[tc]
    local v = ss.value
    if v == nil then v = constant_prediction(kind, pick(src_col, train).values, #train) end
    local vals = {}
    for j = 1, #test do vals[j] = v end
    sample[#sample + 1] = { name = tc, values = vals, n = #test, type = type(v) == "string" and "string" or (v == math.floor(v) and "int" or "float") }
  end
  ctx.write_public("sample_submission.csv", sample)
  return { train_rows = #train, test_rows = #test, public_rows = npublic, private_rows = #test - npublic }
end

-- The leaderboards a definition brings as a file (a reference ladder): columns name,
-- public_score, private_score; written as private/public_leaderboard.csv and
-- private/private_leaderboard.csv (a score column each), where grading finds them.
local function write_ladder(comp, ctx)
  local lb = comp.leaderboard
  if not (lb and lb.ladder) then return end
  local path = comp.dir .. "/" .. lb.ladder
  local t, err = dtable.read(path)
  if not t then error(string.format("competition %s: cannot read its leaderboard %s: %s", comp.name, path, err), 0) end
  for _, which in ipairs { "public", "private" } do
    local cname = which .. "_score"
    if not t:has(cname) then error(string.format("competition %s: %s has no %s column", comp.name, path, cname), 0) end
    local names = t:has("name") and t:column("name"):totable() or {}
    local sc = t:column(cname):totable()
    ctx.write_private(which .. "_leaderboard.csv", {
      { name = "name", values = names, n = t.nrows, type = "string" },
      { name = "score", values = sc, n = t.nrows, type = "float" },
    })
  end
  t:close()
end

local function is_prepared(dir)
  return core.path_stat(dir .. "/manifest.json") == "file"
end

-- Reads the manifest of a prepared competition, or nil.
function M.manifest(root, name)
  local text = core.file_read(root .. "/" .. name .. "/manifest.json")
  if not text then return nil end
  return json.decode(text)
end

function M.is_prepared(root, name) return is_prepared(root .. "/" .. name) end

-- prepare(comp, root [, {seed =, force =}]) -> manifest | nil, message
function M.prepare(comp, root, opts)
  opts = opts or {}
  local seed = opts.seed or (comp.split and comp.split.seed) or M.DEFAULT_SEED
  local final = root .. "/" .. comp.name
  if is_prepared(final) and not opts.force then
    local m = M.manifest(root, comp.name)
    if m and m.seed == seed then return m, "already prepared" end
    return nil, string.format("%s is already prepared with seed %s under %s; use --force to prepare it again with seed %s",
                              comp.name, tostring(m and m.seed), root, tostring(seed))
  end
  if not comp.source and not comp.prepare then
    return nil, string.format("competition %s has no source data to prepare; put its prepared data under %s/%s",
                              comp.name, root, comp.name)
  end
  local partial = root .. "/." .. comp.name .. ".partial"
  local ok, res = pcall(function()
    check(core.tree_remove(partial))
    mkdir(root)
    mkdir(partial)
    local pub, priv = partial .. "/public", partial .. "/private"
    mkdir(pub, 493)
    mkdir(priv, 448) -- 0700
    local files = {}
    local function record(rel) files[#files + 1] = rel end
    local function safe(name)
      if type(name) ~= "string" or not name:match("^[%w][%w%._%-/]*$") or name:find("..", 1, true) then
        error(string.format("competition %s: '%s' is not a file name for prepared data", comp.name, tostring(name)), 0)
      end
      return name
    end
    local ctx = {
      seed = seed, rng = rng.new(seed, comp.name), comp = comp, comp_dir = comp.dir,
      public_dir = pub, private_dir = priv,
      write_public = function(name, cols) write_columns(pub .. "/" .. safe(name), cols) record("public/" .. name) end,
      write_private = function(name, cols) write_columns(priv .. "/" .. safe(name), cols) record("private/" .. name) end,
      write_public_file = function(name, data) check(core.file_write(pub .. "/" .. safe(name), data)) record("public/" .. name) end,
      write_private_file = function(name, data) check(core.file_write(priv .. "/" .. safe(name), data)) record("private/" .. name) end,
      read_table = function(path, o)
        local t, err = dtable.read(path:sub(1, 1) == "/" and path or comp.dir .. "/" .. path, o)
        if not t then error(err, 0) end
        return t
      end,
      read_file = function(path)
        local d, err = core.file_read(path:sub(1, 1) == "/" and path or comp.dir .. "/" .. path)
        if not d then error(err, 0) end
        return d
      end,
      gunzip = function(data, max) return check(core.gunzip(data, max)) end,
      exists = function(path)
        return core.path_stat(path:sub(1, 1) == "/" and path or comp.dir .. "/" .. path) == "file"
      end,
      mkdir_public = function(name) mkdir(pub .. "/" .. safe(name)) end,
    }
    ctx.prepare_table = function(extra)
      local src = {}
      for k, v in pairs(comp.source or {}) do src[k] = v end
      for k, v in pairs(extra or {}) do src[k] = v end
      if extra and extra.files then src.file = nil end
      return prepare_table(comp, ctx, src)
    end
    ctx.usage = function(n) return (usage_column(ctx.rng, n, (comp.split or {}).public_fraction)) end
    ctx.sample_value = function(values, n)
      return constant_prediction(require("dojo.metrics").info(comp.metric).kind, values, n or #values)
    end
    local stats
    if comp.prepare then stats = comp.prepare(ctx) else stats = prepare_table(comp, ctx) end
    write_ladder(comp, ctx)
    local desc = comp.dir .. "/" .. comp.description
    if core.path_stat(desc) == "file" then
      check(core.file_copy(desc, pub .. "/description.md"))
      record("public/description.md")
    end
    table.sort(files)
    local sums = {}
    for _, rel in ipairs(files) do sums[rel] = check(core.sha256_file(partial .. "/" .. rel)) end
    local manifest = { name = comp.name, seed = seed, files = sums, stats = stats or json.object({}),
                       format = "dojo-prepared-1" }
    check(core.file_write(partial .. "/manifest.json", json.encode(manifest, { indent = 2 }) .. "\n"))
    check(core.tree_remove(final))
    check(os.rename(partial, final))
    return manifest
  end)
  if not ok then
    core.tree_remove(partial)
    return nil, tostring(res)
  end
  return res
end

-- verify(root, name) -> true | nil, message: every file of the manifest has its sha256.
function M.verify(root, name)
  local m = M.manifest(root, name)
  if not m then return nil, name .. " is not prepared under " .. root end
  for rel, sum in pairs(m.files) do
    local got = core.sha256_file(root .. "/" .. name .. "/" .. rel)
    if got ~= sum then return nil, string.format("%s/%s/%s has changed since it was prepared", root, name, rel) end
  end
  return true
end

return M
