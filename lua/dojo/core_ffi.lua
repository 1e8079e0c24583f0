-- dojo.core_ffi: the kernel binding for LuaJIT, through the FFI over libdojo.so.
--
-- It offers exactly the API of the Lua 5.4 C module (core/lua/*.c): the same functions,
-- the same object methods, the same error messages, so that lua/dojo/* and the specs run
-- unchanged on both interpreters. The declarations come from core_cdef.lua, which
-- tools/gen-cdef generates from core/dojo.h (a test fails when they drift apart).
--
-- libdojo.so is looked for in $DOJO_LIB, then along package.cpath ("build/lib/?.so" finds
-- build/lib/libdojo.so), then relative to this file (build tree and installed tree), then
-- by the system's library search.
local ffi = require "ffi"

-- C declarations and metatypes are global to the Lua state and can be made only once, so
-- the module is a per-state singleton kept in the registry: a second load (a test runner
-- that clears package.loaded, say) gets the same module back.
local REGISTRY_KEY = "dojo.core_ffi"
local registry = debug.getregistry()
if registry[REGISTRY_KEY] then return registry[REGISTRY_KEY] end

ffi.cdef(require "dojo.core_cdef")
ffi.cdef [[
typedef struct dojo_ffi_column {
    const int64_t *_ints;
    const double *_floats;
    const char *_sdata;
    const int64_t *_offs;
    const unsigned char *_miss;
    int64_t _n;
    int32_t _type;
    int32_t _col;
} dojo_ffi_column;
]]

local function here()
  local src = debug.getinfo(1, "S").source
  return (src:sub(1, 1) == "@") and src:sub(2):match("^(.*)/[^/]*$") or "."
end

local function load_library()
  local tried = {}
  local function try(path)
    if not path then return nil end
    tried[#tried + 1] = path
    local f = io.open(path, "rb")
    if not f then return nil end
    f:close()
    local ok, lib = pcall(ffi.load, path)
    if ok then return lib end
    tried[#tried] = path .. " (" .. tostring(lib) .. ")"
    return nil
  end
  local env = os.getenv("DOJO_LIB")
  if env and env ~= "" then
    local lib = try(env)
    if lib then return lib end
    error("DOJO_LIB=" .. env .. " is not a loadable libdojo.so", 0)
  end
  local lib = try(package.searchpath and package.searchpath("libdojo", package.cpath))
  if lib then return lib end
  local dir = here()
  for _, rel in ipairs { "/../../build/lib/libdojo.so", "/../../../../lib/libdojo.so",
                         "/../../../lib/libdojo.so" } do
    lib = try(dir .. rel)
    if lib then return lib end
  end
  local ok, sys = pcall(ffi.load, "dojo")
  if ok then return sys end
  error("cannot find libdojo.so (tried " .. table.concat(tried, ", ") ..
        " and the system library path); build it with tools/setup or set DOJO_LIB", 0)
end

local C = load_library()
local M = { binding = "ffi" }

local ERRLEN = 512
local errbuf = ffi.new("char[?]", ERRLEN)
local function errmsg() return ffi.string(errbuf) end
local function fail() return nil, errmsg() end

-- closer(mt, free [, badarg]): mt.close (also __gc and __close) frees an object's handle
-- with free, once; badarg, when given, is the error raised for an object of another type.
local function closer(mt, free, badarg)
  local function close(obj)
    if badarg and getmetatable(obj) ~= mt then error(badarg, 2) end
    if obj._h then
      free(ffi.gc(obj._h, nil))
      obj._h = nil
    end
  end
  mt.close, mt.__gc, mt.__close = close, close, close
end

local TYPE_NAMES = { [C.DOJO_TYPE_INT] = "int", [C.DOJO_TYPE_FLOAT] = "float",
                     [C.DOJO_TYPE_STRING] = "string" }
local TYPE_OF = { int = C.DOJO_TYPE_INT, integer = C.DOJO_TYPE_INT, float = C.DOJO_TYPE_FLOAT,
                  number = C.DOJO_TYPE_FLOAT, string = C.DOJO_TYPE_STRING }

function M.version() return ffi.string(C.dojo_version()) end

local CGROUP_MODES = { [0] = "none", "v1", "v2", "hybrid" }
function M.probe()
  local p = ffi.new("dojo_probe_info")
  C.dojo_probe(p)
  return {
    landlock_abi = p.landlock_abi,
    seccomp_filter = p.seccomp_filter ~= 0,
    user_namespaces = p.user_namespaces ~= 0,
    cgroup_mode = CGROUP_MODES[p.cgroup_mode] or "none",
    cgroup_note = ffi.string(p.cgroup_note),
    is_root = p.is_root ~= 0,
    ncpu = p.ncpu,
    kernel = ffi.string(p.kernel),
  }
end

local function checkstring(v, n, fname)
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then
    error(string.format("bad argument #%d to '%s' (string expected, got %s)", n, fname,
                        v == nil and "no value" or type(v)), 3)
  end
  return v
end

function M.file_write(path, data)
  path, data = checkstring(path, 1, "file_write"), checkstring(data, 2, "file_write")
  if C.dojo_file_write(path, data, #data, errbuf, ERRLEN) < 0 then return fail() end
  return true
end

function M.file_append(path, data, sync)
  path, data = checkstring(path, 1, "file_append"), checkstring(data, 2, "file_append")
  if C.dojo_file_append(path, data, #data, sync and 1 or 0, errbuf, ERRLEN) < 0 then
    return fail()
  end
  return true
end

function M.file_read(path, max)
  path = checkstring(path, 1, "file_read")
  max = max or 0
  if type(max) ~= "number" or max < 0 then error("bad argument #2 to 'file_read' (limit must be >= 0)", 2) end
  local len = ffi.new("size_t[1]")
  local p = C.dojo_file_read(path, max, len, errbuf, ERRLEN)
  if p == nil then return fail() end
  local s = ffi.string(p, len[0])
  C.dojo_free(p)
  return s
end

local function optinteger(v, n, fname, default)
  if v == nil then return default end
  if type(v) == "string" then v = tonumber(v) or v end
  if type(v) ~= "number" then
    error(string.format("bad argument #%d to '%s' (number expected, got %s)", n, fname, type(v)), 3)
  end
  if v ~= math.floor(v) or v ~= v or math.abs(v) == math.huge then
    error(string.format("bad argument #%d to '%s' (number has no integer representation)", n, fname), 3)
  end
  return v
end

local outlen = ffi.new("size_t[1]")

function M.gzip(data, level)
  data = checkstring(data, 1, "gzip")
  level = optinteger(level, 2, "gzip", -1)
  if level < -1 or level > 9 then error("bad argument #2 to 'gzip' (level must be in -1..9)", 2) end
  local p = C.dojo_gzip(data, #data, level, outlen, errbuf, ERRLEN)
  if p == nil then return fail() end
  local s = ffi.string(p, outlen[0])
  C.dojo_free(p)
  return s
end

function M.gunzip(data, max)
  data = checkstring(data, 1, "gunzip")
  max = optinteger(max, 2, "gunzip", 0)
  if max < 0 then error("bad argument #2 to 'gunzip' (limit must be >= 0)", 2) end
  local p = C.dojo_gunzip(data, #data, max, outlen, errbuf, ERRLEN)
  if p == nil then return fail() end
  local s = ffi.string(p, outlen[0])
  C.dojo_free(p)
  return s
end

---------------------------------------------------------------------------------------------
-- CSV options: the same keys, checks and messages as check_csv_options() in ltable.c.

local function string_array(v, what)
  if type(v) ~= "table" then error("bad argument (table expected for option " .. what .. ")", 4) end
  local n = #v
  local arr = ffi.new("const char *[?]", n > 0 and n or 1)
  for i = 1, n do
    if type(v[i]) ~= "string" then
      error(string.format("%s: entry %d is not a string", what, i), 4)
    end
    arr[i - 1] = v[i]
  end
  return arr, n
end

-- Returns the options cdata and an anchor table that keeps its strings alive.
local function csv_options(opts)
  local o = ffi.new("dojo_csv_options")
  C.dojo_csv_options_init(o)
  local keep = {}
  if opts == nil then return o, keep end
  if type(opts) ~= "table" then error("bad argument #2 (table expected, got " .. type(opts) .. ")", 3) end
  for key, v in pairs(opts) do
    if type(key) ~= "string" then error("CSV options must have string keys", 3) end
    if key == "delimiter" or key == "quote" then
      if type(v) ~= "string" or #v ~= 1 then
        error("option " .. key .. " must be a one-character string", 3)
      end
      o[key] = v:byte()
    elseif key == "header" then
      o.header = (v and v ~= false) and 1 or 0
    elseif key == "untrusted" then
      o.untrusted = (v and v ~= false) and 1 or 0
    elseif key == "max_file_bytes" then
      if type(v) ~= "number" or v < 0 or v ~= math.floor(v) then
        error("option max_file_bytes must be an integer >= 0", 3)
      end
      o.max_file_bytes = v
    elseif key == "max_record_bytes" then
      if type(v) ~= "number" or v <= 0 or v ~= math.floor(v) then
        error("option max_record_bytes must be a positive integer", 3)
      end
      o.max_record_bytes = v
    elseif key == "columns" then
      local arr, n = string_array(v, "option columns")
      keep[#keep + 1] = arr; keep[#keep + 1] = v
      o.columns, o.ncolumns = arr, n
    elseif key == "na_values" then
      local arr, n = string_array(v, "option na_values")
      keep[#keep + 1] = arr; keep[#keep + 1] = v
      o.na_values, o.nna_values = arr, n
    elseif key == "types" then
      if type(v) ~= "table" then error("bad argument (table expected for option types)", 3) end
      local names, tys = {}, {}
      for name, ty in pairs(v) do
        if type(name) ~= "string" or type(ty) ~= "string" then
          error('option types maps column names to "int", "float" or "string"', 3)
        end
        if not TYPE_OF[ty] then
          error(string.format("option types: unknown type '%s' for column '%s' (int, float or string)",
                              ty, name), 3)
        end
        names[#names + 1], tys[#tys + 1] = name, TYPE_OF[ty]
      end
      local n = #names
      local carr = ffi.new("const char *[?]", n > 0 and n or 1)
      local tarr = ffi.new("int[?]", n > 0 and n or 1)
      for i = 1, n do carr[i - 1], tarr[i - 1] = names[i], tys[i] end
      keep[#keep + 1] = carr; keep[#keep + 1] = tarr; keep[#keep + 1] = names
      o.type_columns, o.types, o.ntypes = carr, tarr, n
    else
      error("unknown CSV option '" .. key .. "' (delimiter, quote, header, max_record_bytes, " ..
            "columns, na_values, types, untrusted, max_file_bytes)", 3)
    end
  end
  return o, keep
end

---------------------------------------------------------------------------------------------
-- Tables, columns, indexes.

local Table, Index, Reader = {}, {}, {}
local anchors = setmetatable({}, { __mode = "k" }) -- column cdata -> its table object

local function wrap_table(h)
  return setmetatable({ _h = ffi.gc(h, C.dojo_table_free) }, Table)
end

local function check_table(t)
  if getmetatable(t) ~= Table then error("bad argument #1 (dojo.table expected)", 3) end
  if not t._h then error("table is closed", 3) end
  return t._h
end

Table.__index = function(t, k)
  if k == "nrows" then return tonumber(C.dojo_table_nrows(check_table(t))) end
  if k == "ncols" then return tonumber(C.dojo_table_ncols(check_table(t))) end
  return Table[k]
end
Table.__name = "dojo.table"
Table.__tostring = function(t)
  if not t._h then return "dojo.table (closed)" end
  return string.format("dojo.table (%d rows x %d columns)", tonumber(C.dojo_table_nrows(t._h)),
                       tonumber(C.dojo_table_ncols(t._h)))
end

closer(Table, C.dojo_table_free, "bad argument #1 (dojo.table expected)")

function Table.names(t)
  local h = check_table(t)
  local out = {}
  for i = 0, tonumber(C.dojo_table_ncols(h)) - 1 do
    out[i + 1] = ffi.string(C.dojo_table_column_name(h, i))
  end
  return out
end

function Table.has(t, name)
  return C.dojo_table_column_find(check_table(t), checkstring(name, 2, "has")) >= 0
end

local function colno(h, c)
  if type(c) == "number" then
    if c ~= math.floor(c) or c < 1 or c > tonumber(C.dojo_table_ncols(h)) then
      error("bad argument #2 to 'column' (column number out of range)", 3)
    end
    return c - 1
  end
  c = checkstring(c, 2, "column")
  local i = C.dojo_table_column_find(h, c)
  if i < 0 then error("no column named '" .. c .. "'", 3) end
  return tonumber(i)
end

local Column = {}
local column_ct

function Table.column(t, c)
  local h = check_table(t)
  local i = colno(h, c)
  local col = column_ct()
  col._type = C.dojo_table_column_type(h, i)
  col._col = i
  col._n = C.dojo_table_nrows(h)
  col._ints = C.dojo_table_column_ints(h, i)
  col._floats = C.dojo_table_column_floats(h, i)
  local offs = ffi.new("const int64_t *[1]")
  col._sdata = C.dojo_table_column_strings(h, i, offs)
  col._offs = offs[0]
  col._miss = C.dojo_table_column_missing(h, i)
  anchors[col] = t
  return col
end

local function owner(col)
  local t = anchors[col]
  if not t or not t._h then error("table is closed", 3) end
  return t
end

local function cell(col, i)
  local miss = col._miss
  if miss ~= nil and miss[i] ~= 0 then return nil end
  local ty = col._type
  if ty == C.DOJO_TYPE_INT then return tonumber(col._ints[i]) end
  if ty == C.DOJO_TYPE_FLOAT then return col._floats[i] end
  local a = col._offs[i]
  return ffi.string(col._sdata + a, col._offs[i + 1] - a)
end

local function check_row(col, i, fname)
  if type(i) ~= "number" or i ~= math.floor(i) then
    error("bad argument #2 to '" .. fname .. "' (number has no integer representation)", 3)
  end
  if i < 1 or i > tonumber(col._n) then error("bad argument #2 to '" .. fname .. "' (row out of range)", 3) end
  return i - 1
end

function Column.get(col, i)
  owner(col)
  return cell(col, check_row(col, i, "get"))
end

function Column.is_missing(col, i)
  owner(col)
  local r = check_row(col, i, "is_missing")
  return col._miss ~= nil and col._miss[r] ~= 0
end

function Column.totable(col)
  owner(col)
  local out, n = {}, tonumber(col._n)
  for i = 0, n - 1 do out[i + 1] = cell(col, i) end
  return out, n
end

function Column.len(col) owner(col) return tonumber(col._n) end

function Column.first_bad(col, lo, hi)
  local t = owner(col)
  local r = C.dojo_table_column_first_bad(t._h, col._col, lo or -math.huge, hi or math.huge)
  if r < 0 then return nil end
  return tonumber(r) + 1
end

column_ct = ffi.metatype("dojo_ffi_column", {
  __index = function(col, k)
    local t = owner(col)
    if type(k) == "number" then
      if k >= 1 and k <= tonumber(col._n) and k == math.floor(k) then return cell(col, k - 1) end
      return nil
    end
    if k == "n" then return tonumber(col._n) end
    if k == "name" then return ffi.string(C.dojo_table_column_name(t._h, col._col)) end
    if k == "type" then return TYPE_NAMES[col._type] end
    if k == "nmissing" then return tonumber(C.dojo_table_column_nmissing(t._h, col._col)) end
    return Column[k]
  end,
  __len = function(col) owner(col) return tonumber(col._n) end,
  __tostring = function(col)
    local t = anchors[col]
    if not t or not t._h then return "dojo.column (table closed)" end
    return string.format("dojo.column '%s' (%s, %d rows)", ffi.string(C.dojo_table_column_name(t._h, col._col)),
                         TYPE_NAMES[col._type], tonumber(col._n))
  end,
})

function Table.index(t, c)
  local h = check_table(t)
  local i = colno(h, c)
  local idx = C.dojo_index_new(h, i, errbuf, ERRLEN)
  if idx == nil then return fail() end
  return setmetatable({ _h = ffi.gc(idx, C.dojo_index_free), _t = t }, Index)
end

function Table.write(t, path)
  local h = check_table(t)
  if C.dojo_table_write_csv(h, checkstring(path, 2, "write"), errbuf, ERRLEN) < 0 then return fail() end
  return true
end

function Table.format(t)
  local h = check_table(t)
  local len = ffi.new("size_t[1]")
  local p = C.dojo_table_format_csv(h, len, errbuf, ERRLEN)
  if p == nil then return fail() end
  local s = ffi.string(p, len[0])
  C.dojo_free(p)
  return s
end

function Table.take(t, rows)
  local h = check_table(t)
  if type(rows) ~= "table" then error("bad argument #2 to 'take' (table expected)", 2) end
  local n, nrows = #rows, tonumber(C.dojo_table_nrows(h))
  local arr = ffi.new("int64_t[?]", n > 0 and n or 1)
  for i = 1, n do
    local r = rows[i]
    if type(r) ~= "number" or r ~= math.floor(r) or r < 1 or r > nrows then
      error(string.format("take: entry %d is not a row number in 1..%d", i, nrows), 2)
    end
    arr[i - 1] = r - 1
  end
  local out = C.dojo_table_take(h, arr, n, errbuf, ERRLEN)
  if out == nil then return fail() end
  return wrap_table(out)
end

function Table.select(t, names)
  local h = check_table(t)
  local arr, n = string_array(names, "select")
  local out = C.dojo_table_select(h, arr, n, errbuf, ERRLEN)
  if out == nil then return fail() end
  return wrap_table(out)
end

local function check_index(idx)
  if getmetatable(idx) ~= Index then error("bad argument #1 (dojo.index expected)", 3) end
  if not idx._h then error("index is closed", 3) end
  if not idx._t._h then error("table is closed", 3) end
  return idx._h
end

Index.__index = function(idx, k)
  if k == "nkeys" then return tonumber(C.dojo_index_nkeys(check_index(idx))) end
  return Index[k]
end
Index.__name = "dojo.index"

closer(Index, C.dojo_index_free)

function Index.find(idx, key)
  local h = check_index(idx)
  local row
  if type(key) == "number" and key == math.floor(key) and math.abs(key) < 2^63 then
    row = C.dojo_index_find_int(h, key)
  else
    key = checkstring(key, 2, "find")
    row = C.dojo_index_find_string(h, key, #key)
  end
  if row < 0 then return nil end
  return tonumber(row) + 1
end

function Index.duplicates(idx, max)
  local h = check_index(idx)
  max = max or 10
  if type(max) ~= "number" or max < 0 or max > 1000000 then
    error("bad argument #2 to 'duplicates' (limit must be in 0..1000000)", 2)
  end
  local rows = ffi.new("int64_t[?]", max > 0 and max or 1)
  local count = tonumber(C.dojo_index_duplicates(h, rows, max))
  local out = {}
  for i = 0, math.min(count, max) - 1 do out[i + 1] = tonumber(rows[i]) + 1 end
  return count, out
end

function Index.match(idx, col)
  local h = check_index(idx)
  if not ffi.istype(column_ct, col) then error("bad argument #2 to 'match' (dojo.column expected)", 2) end
  local t = owner(col)
  local n = tonumber(col._n)
  local rows = ffi.new("int64_t[?]", n > 0 and n or 1)
  if C.dojo_index_match(h, t._h, col._col, rows, errbuf, ERRLEN) < 0 then return fail() end
  local out, unmatched = {}, 0
  for i = 0, n - 1 do
    local r = rows[i]
    if r < 0 then
      unmatched = unmatched + 1
      out[i + 1] = false
    else
      out[i + 1] = tonumber(r) + 1
    end
  end
  return out, unmatched
end

local join_stats = ffi.new("dojo_join")

local aligned_out = ffi.new("dojo_table *[1]")

function Index.join(idx, col, max, names)
  local h = check_index(idx)
  if not ffi.istype(column_ct, col) then error("bad argument #2 to 'join' (dojo.column expected)", 2) end
  max = max or 5
  if type(max) ~= "number" or max < 0 or max > 1000 then error("bad argument #3 to 'join' (limit must be in 0..1000)", 2) end
  local cols, ncols = nil, 0
  if names ~= nil then
    if type(names) ~= "table" then error("bad argument #4 to 'join' (table expected)", 2) end
    ncols = #names
    cols = ffi.new("size_t[?]", ncols > 0 and ncols or 1)
    for j = 1, ncols do
      local nm = names[j]
      local k = type(nm) == "string" and C.dojo_table_column_find(idx._t._h, nm) or -1
      if k < 0 then
        error("bad argument #4 to 'join' (the indexed table has no column '" .. tostring(nm) .. "')", 2)
      end
      cols[j - 1] = k
    end
  end
  local t = owner(col)
  local ex = ffi.new("int64_t[?]", 3 * max + 1)
  aligned_out[0] = nil
  if C.dojo_index_align(h, t._h, col._col, cols, ncols, aligned_out, join_stats, ex, max, errbuf, ERRLEN) < 0 then
    return fail()
  end
  local out = aligned_out[0]
  aligned_out[0] = nil
  local st = { unmatched = tonumber(join_stats.unmatched), duplicates = tonumber(join_stats.duplicates),
               missing = tonumber(join_stats.missing) }
  local function list(off, count)
    local res = {}
    for i = 0, math.min(count, max) - 1 do res[i + 1] = tonumber(ex[off + i]) + 1 end
    return res
  end
  st.unmatched_rows = list(0, st.unmatched)
  st.duplicate_rows = list(max, st.duplicates)
  st.missing_rows = list(2 * max, st.missing)
  if out == nil then return false, st end
  return wrap_table(out), st
end

---------------------------------------------------------------------------------------------
-- Module functions.

-- table_read(path [, opts]) and table_parse(text [, opts]): one function, two sources.
local function read_table(fname, src, opts)
  src = checkstring(src, 1, fname)
  local o, keep = csv_options(opts)
  local h
  if fname == "table_parse" then
    h = C.dojo_table_parse_csv(src, #src, o, errbuf, ERRLEN)
  else
    h = C.dojo_table_read_csv(src, o, errbuf, ERRLEN)
  end
  keep = nil
  if h == nil then return fail() end
  return wrap_table(h)
end

function M.table_read(path, opts) return read_table("table_read", path, opts) end

-- idx:read_aligned(path [, opts]) -> table | nil, message: a submission read straight into
-- the indexed table's row order (dojo_table_read_csv_aligned; nil unless the file is clean).
function Index.read_aligned(idx, path, opts)
  local h = check_index(idx)
  path = checkstring(path, 2, "read_aligned")
  local o, keep = csv_options(opts)
  local t = C.dojo_table_read_csv_aligned(path, o, h, errbuf, ERRLEN)
  keep = nil
  if t == nil then return fail() end
  return wrap_table(t)
end

-- idx:score_stream(metric, column, path [, opts [, split_column]]) -> score, public, private
-- | nil [, message]: the submission scored while it is read (dojo_score_stream) against the
-- indexed table's column number `column`, with Kaggle's split column (a number) the public
-- and the private part's scores too (nil for a part without rows); nil alone when this is
-- not a case the stream takes.
local score_out = ffi.new("double[1]")
local parts_out = ffi.new("double[2]")
local NO_COLUMN = ffi.cast("size_t", ffi.cast("int64_t", -1)) -- DOJO_NO_COLUMN
function Index.score_stream(idx, metric, col, path, opts, split)
  local h = check_index(idx)
  metric = checkstring(metric, 2, "score_stream")
  if type(col) ~= "number" or col < 1 or col ~= math.floor(col) then
    error("bad argument #3 to 'score_stream' (column number must be positive)", 2)
  end
  path = checkstring(path, 4, "score_stream")
  if split ~= nil and (type(split) ~= "number" or split < 1 or split ~= math.floor(split)) then
    error("bad argument #6 to 'score_stream' (column number must be positive)", 2)
  end
  local o, keep = csv_options(opts)
  parts_out[0], parts_out[1] = 0 / 0, 0 / 0
  local rc = C.dojo_score_stream(metric, h, col - 1, split and split - 1 or NO_COLUMN, path, o,
                                 score_out, parts_out, errbuf, ERRLEN)
  keep = nil
  if rc < 0 then return fail() end
  if rc == 0 then return nil end
  local pub, priv = parts_out[0], parts_out[1]
  return score_out[0], pub == pub and pub or nil, priv == priv and priv or nil
end

-- score_files_stream(metric, truth, truth_opts, pred, pred_opts) -> score | nil [, message]:
-- both files streamed (dojo_score_files_stream); nil alone when not a case it takes.
function M.score_files_stream(metric, tp, topts, pp, popts)
  metric = checkstring(metric, 1, "score_files_stream")
  tp = checkstring(tp, 2, "score_files_stream")
  pp = checkstring(pp, 4, "score_files_stream")
  local to, keep1 = csv_options(topts)
  local po, keep2 = csv_options(popts)
  local rc = C.dojo_score_files_stream(metric, tp, to, pp, po, score_out, errbuf, ERRLEN)
  keep1, keep2 = nil, nil
  if rc < 0 then return fail() end
  if rc == 0 then return nil end
  return score_out[0]
end

-- table_read2(path1, opts1, path2, opts2) -> t1 | nil, err1, t2 | nil, err2: two files read
-- at once (dojo_table_read_csv2).
local read2_out = ffi.new("dojo_table *[2]")
local errbuf2 = ffi.new("char[?]", ERRLEN)
function M.table_read2(path1, opts1, path2, opts2)
  path1 = checkstring(path1, 1, "table_read2")
  path2 = checkstring(path2, 3, "table_read2")
  local o1, keep1 = csv_options(opts1)
  local o2, keep2 = csv_options(opts2)
  errbuf[0], errbuf2[0] = 0, 0
  C.dojo_table_read_csv2(path1, o1, path2, o2, read2_out, read2_out + 1, errbuf, errbuf2, ERRLEN)
  keep1, keep2 = nil, nil
  local h1, h2 = read2_out[0], read2_out[1]
  read2_out[0], read2_out[1] = nil, nil
  local t1, e1, t2, e2
  if h1 == nil then e1 = errmsg() else t1 = wrap_table(h1) end
  if h2 == nil then e2 = ffi.string(errbuf2) else t2 = wrap_table(h2) end
  return t1, e1, t2, e2
end
function M.table_parse(text, opts) return read_table("table_parse", text, opts) end

local function is_integral(x) return x == math.floor(x) and math.abs(x) < 2^53 end

-- core.table_new(spec): spec = { {name=, values=, type=?, n=?}, ... }; same rules as C.
function M.table_new(spec)
  if type(spec) ~= "table" then error("bad argument #1 to 'table_new' (table expected)", 2) end
  local t = wrap_table(C.dojo_table_new())
  for c = 1, #spec do
    local s = spec[c]
    if type(s) ~= "table" then error(string.format("column %d: expected a table {name=..., values=...}", c), 2) end
    local name = s.name
    if type(name) ~= "string" then error(string.format("column %d: name must be a string", c), 2) end
    local vals = s.values
    if type(vals) ~= "table" then error("column '" .. name .. "': values must be a table", 2) end
    local n = s.n or #vals
    local ty
    if s.type ~= nil then
      ty = TYPE_OF[s.type]
      if not ty then error("column '" .. name .. "': type must be \"int\", \"float\" or \"string\"", 2) end
    else
      local seen_num, seen_str, all_int = false, false, true
      for i = 1, n do
        local v = vals[i]
        local tv = type(v)
        if tv == "number" then
          seen_num = true
          if not is_integral(v) then all_int = false end
        elseif tv == "string" then
          seen_str = true
        elseif v ~= nil then
          error(string.format("column '%s', row %d: %s is not a number or a string", name, i, tv), 2)
        end
      end
      if seen_num and seen_str then
        error("column '" .. name .. "' mixes numbers and strings; give it a type", 2)
      end
      ty = seen_str and C.DOJO_TYPE_STRING or ((seen_num and all_int) and C.DOJO_TYPE_INT or C.DOJO_TYPE_FLOAT)
    end
    local miss = ffi.new("unsigned char[?]", n > 0 and n or 1)
    local rc
    if ty == C.DOJO_TYPE_STRING then
      local offs = ffi.new("int64_t[?]", n + 1)
      local parts, pos = {}, 0
      for i = 1, n do
        local v = vals[i]
        if v == nil then
          miss[i - 1] = 1
        else
          if type(v) ~= "string" and type(v) ~= "number" then
            error(string.format("column '%s', row %d: expected a string", name, i), 2)
          end
          v = tostring(v)
          parts[#parts + 1] = v
          pos = pos + #v
        end
        offs[i] = pos
      end
      rc = C.dojo_table_add_strings(t._h, name, table.concat(parts), offs, miss, n, errbuf, ERRLEN)
    elseif ty == C.DOJO_TYPE_INT then
      local arr = ffi.new("int64_t[?]", n > 0 and n or 1)
      for i = 1, n do
        local v = vals[i]
        if v == nil then
          miss[i - 1] = 1
        else
          if type(v) ~= "number" and type(v) ~= "string" then
            error(string.format("column '%s', row %d: not an integer", name, i), 2)
          end
          local x = tonumber(v)
          if not x or x ~= math.floor(x) then
            error(string.format("column '%s', row %d: not an integer", name, i), 2)
          end
          arr[i - 1] = x
        end
      end
      rc = C.dojo_table_add_ints(t._h, name, arr, miss, n, errbuf, ERRLEN)
    else
      local arr = ffi.new("double[?]", n > 0 and n or 1)
      for i = 1, n do
        local v = vals[i]
        if v == nil then
          miss[i - 1] = 1
        else
          local x = (type(v) == "number" or type(v) == "string") and tonumber(v) or nil
          if not x then error(string.format("column '%s', row %d: not a number", name, i), 2) end
          arr[i - 1] = x
        end
      end
      rc = C.dojo_table_add_floats(t._h, name, arr, miss, n, errbuf, ERRLEN)
    end
    if rc < 0 then error(errmsg(), 2) end
  end
  return t
end

Reader.__index = Reader
Reader.__name = "dojo.csv_reader"

function M.csv_open(path, opts)
  path = checkstring(path, 1, "csv_open")
  local o, keep = csv_options(opts)
  local r = C.dojo_csv_reader_open(path, o, errbuf, ERRLEN)
  keep = nil
  if r == nil then return fail() end
  return setmetatable({ _h = ffi.gc(r, C.dojo_csv_reader_free) }, Reader)
end

local function check_reader(r)
  if getmetatable(r) ~= Reader then error("bad argument #1 (dojo.csv_reader expected)", 3) end
  if not r._h then error("reader is closed", 3) end
  return r._h
end

function Reader.next(r, max)
  local h = check_reader(r)
  max = max or 65536
  if type(max) ~= "number" or max < 1 then error("bad argument #2 to 'next' (max_rows must be >= 1)", 2) end
  local out = ffi.new("dojo_table *[1]")
  local rc = C.dojo_csv_reader_next(h, max, out, errbuf, ERRLEN)
  if rc < 0 then return fail() end
  if rc == 0 then return false end
  return wrap_table(out[0])
end

function Reader.offset(r) return tonumber(C.dojo_csv_reader_offset(check_reader(r))) end

closer(Reader, C.dojo_csv_reader_free)

---------------------------------------------------------------------------------------------
-- Metrics: the same marshalling as core/lua/lmetrics.c. A vector is a dojo.column or a Lua
-- array; multi-column inputs are lists of vectors, gathered into row-major n x k arrays.

local function vec_len(v, what)
  if ffi.istype(column_ct, v) then owner(v) return tonumber(v._n) end
  if type(v) ~= "table" then error(what .. " must be a dojo.column or an array", 3) end
  return #v
end

local function colname(v) return ffi.string(C.dojo_table_column_name(anchors[v]._h, v._col)) end

-- Fills out[j * stride] (j = 0..n-1) with doubles; returns nil or a failure message.
local function vec_doubles(v, n, out, off, stride, what)
  if ffi.istype(column_ct, v) then
    if v._type == C.DOJO_TYPE_STRING then
      return string.format("%s: column '%s' holds text, not numbers", what, colname(v))
    end
    local iv, dv, miss = v._ints, v._floats, v._miss
    for i = 0, n - 1 do
      if miss ~= nil and miss[i] ~= 0 then return string.format("%s: row %d is missing", what, i + 1) end
      out[off + i * stride] = (iv ~= nil) and tonumber(iv[i]) or dv[i]
    end
    return nil
  end
  for i = 1, n do
    local x = v[i]
    if type(x) ~= "number" then
      x = type(x) == "string" and tonumber(x) or nil
      if not x then return string.format("%s: row %d is not a number", what, i) end
    end
    out[off + (i - 1) * stride] = x
  end
  return nil
end

local function vec_ints(v, n, out, what)
  if ffi.istype(column_ct, v) then
    local iv, miss = v._ints, v._miss
    if iv == nil then
      return string.format("%s: column '%s' does not hold class ids (integers)", what, colname(v))
    end
    for i = 0, n - 1 do
      if miss ~= nil and miss[i] ~= 0 then return string.format("%s: row %d is missing", what, i + 1) end
      out[i] = iv[i]
    end
    return nil
  end
  for i = 1, n do
    local x = v[i]
    if type(x) == "string" then x = tonumber(x) end
    if type(x) ~= "number" or x ~= math.floor(x) then
      return string.format("%s: row %d is not a class id (an integer)", what, i)
    end
    out[i - 1] = x
  end
  return nil
end

-- Returns data pointer, offsets pointer, anchor (or nil, nil, nil, message).
local function vec_strings(v, n, what)
  if ffi.istype(column_ct, v) then
    if v._sdata == nil then
      return nil, nil, nil, string.format("%s: column '%s' does not hold text", what, colname(v))
    end
    local miss = v._miss
    if miss ~= nil then
      for i = 0, n - 1 do
        if miss[i] ~= 0 then return nil, nil, nil, string.format("%s: row %d is missing", what, i + 1) end
      end
    end
    return v._sdata, v._offs, v
  end
  local offs = ffi.new("int64_t[?]", n + 1)
  local parts, pos = {}, 0
  for i = 1, n do
    local x = v[i]
    if type(x) == "number" then x = tostring(x) end
    if type(x) ~= "string" then return nil, nil, nil, string.format("%s: row %d is not a string", what, i) end
    parts[i] = x
    pos = pos + #x
    offs[i] = pos
  end
  local data = table.concat(parts)
  return data, offs, { data, offs }
end

local AVERAGES = { binary = C.DOJO_AVERAGE_BINARY, macro = C.DOJO_AVERAGE_MACRO,
                   micro = C.DOJO_AVERAGE_MICRO, weighted = C.DOJO_AVERAGE_WEIGHTED,
                   samples = C.DOJO_AVERAGE_SAMPLES }

local function metric_params(t)
  local p = ffi.new("dojo_metric_params")
  C.dojo_metric_params_init(p)
  if t == nil then return p end
  if type(t) ~= "table" then error("bad argument (table expected for metric parameters)", 3) end
  for key, v in pairs(t) do
    if key == "eps" or key == "zero_division" then
      if type(v) ~= "number" then error("bad argument (number expected for " .. key .. ")", 3) end
      p[key] = v
    elseif key == "k" or key == "pos_label" or key == "nclasses" or key == "height" or key == "width" then
      if type(v) ~= "number" or v ~= math.floor(v) then
        error("bad argument (number has no integer representation for " .. key .. ")", 3)
      end
      p[key] = v
    elseif key == "average" then
      if not AVERAGES[v] then error("bad argument (invalid option '" .. tostring(v) .. "')", 3) end
      p.average = AVERAGES[v]
    elseif key == "renormalize" then
      p.renormalize = (v and v ~= false) and 1 or 0
    elseif key == "labels" then
      -- class names of a proba truth column: read by metric_proba
    else
      error("unknown metric parameter '" .. tostring(key) .. "' (eps, k, pos_label, nclasses, average, " ..
            "renormalize, height, width, zero_division)", 3)
    end
  end
  return p
end

local function list_shape(list, what)
  if type(list) ~= "table" then error(what .. ": a list of columns is expected", 3) end
  local k = #list
  if k == 0 then error(what .. ": an empty list of columns", 3) end
  local n
  for j = 1, k do
    local len = vec_len(list[j], what)
    if j == 1 then n = len
    elseif len ~= n then error(string.format("%s: columns of different lengths (%d and %d)", what, n, len), 3) end
  end
  return n, k
end

-- The values of v in place: a float column of n rows without missing values (else nil).
local function column_floats(v, n)
  if not ffi.istype(column_ct, v) or v._type ~= C.DOJO_TYPE_FLOAT or tonumber(v._n) ~= n then return nil end
  if C.dojo_table_column_nmissing(owner(v)._h, v._col) ~= 0 then return nil end
  return v._floats
end

-- A single float column without missing values is already the n x 1 array: used in place
-- (the caller's list keeps it alive during the call).
local function gather(list, n, k, what)
  if k == 1 and n > 0 then
    local a = column_floats(list[1], n)
    if a ~= nil then return a end
  end
  local a = ffi.new("double[?]", n * k > 0 and n * k or 1)
  for j = 1, k do
    local msg = vec_doubles(list[j], n, a, j - 1, k, what)
    if msg then return nil, msg end
  end
  return a
end

local function weights(w, n)
  if w == nil then return nil end
  local len = vec_len(w, "weights")
  if len ~= n then error(string.format("weights: %d values for %d rows", len, n), 3) end
  local a = ffi.new("double[?]", n > 0 and n or 1)
  local msg = vec_doubles(w, n, a, 0, 1, "weights")
  if msg then return nil, msg end
  return a
end

local outv = ffi.new("double[1]")
local function finish(rc)
  if rc < 0 then return fail() end
  return outv[0]
end

function M.metric_numeric(name, ys, ps, w, params)
  name = checkstring(name, 1, "metric_numeric")
  local n, k = list_shape(ys, "truth")
  local np, kp = list_shape(ps, "prediction")
  if n ~= np or k ~= kp then
    error(string.format("truth is %d x %d but the prediction is %d x %d", n, k, np, kp), 2)
  end
  local prm = metric_params(params)
  local wa, msg = weights(w, n)
  if msg then return nil, msg end
  local y, p
  y, msg = gather(ys, n, k, "truth")
  if not y then return nil, msg end
  p, msg = gather(ps, n, k, "prediction")
  if not p then return nil, msg end
  return finish(C.dojo_metric_numeric(name, y, p, wa, n, k, prm, outv, errbuf, ERRLEN))
end

function M.metric_labels(name, yv, pv, w, params)
  name = checkstring(name, 1, "metric_labels")
  local n, np = vec_len(yv, "truth"), vec_len(pv, "prediction")
  if n ~= np then error(string.format("truth has %d rows but the prediction has %d", n, np), 2) end
  local prm = metric_params(params)
  local wa, msg = weights(w, n)
  if msg then return nil, msg end
  local y = ffi.new("int64_t[?]", n > 0 and n or 1)
  local p = ffi.new("int64_t[?]", n > 0 and n or 1)
  msg = vec_ints(yv, n, y, "truth") or vec_ints(pv, n, p, "prediction")
  if msg then return nil, msg end
  return finish(C.dojo_metric_labels(name, y, p, wa, n, prm, outv, errbuf, ERRLEN))
end

-- Class ids of a string column of labels by their position in labels (C index + match).
local function labels_to_ids(col, labels, y)
  local k = #labels
  local offs = ffi.new("int64_t[?]", k + 1)
  for i = 1, k do
    if type(labels[i]) ~= "string" then error("params.labels[" .. i .. "] must be a string", 4) end
    offs[i] = offs[i - 1] + #labels[i]
  end
  local data = table.concat(labels)
  local t = ffi.gc(C.dojo_table_new(), C.dojo_table_free)
  if C.dojo_table_add_strings(t, "label", data, offs, nil, k, errbuf, ERRLEN) < 0 then return "truth: " .. errmsg() end
  local idx = C.dojo_index_new(t, 0, errbuf, ERRLEN)
  if idx == nil then return "truth: " .. errmsg() end
  idx = ffi.gc(idx, C.dojo_index_free)
  local owner_t = owner(col)
  if C.dojo_index_match(idx, owner_t._h, col._col, y, errbuf, ERRLEN) < 0 then return "truth: " .. errmsg() end
  for i = 0, tonumber(col._n) - 1 do
    if y[i] < 0 then
      if col._miss ~= nil and col._miss[i] ~= 0 then return string.format("truth: row %d is missing", i + 1) end
      local a = col._offs[i]
      local len = math.min(100, tonumber(col._offs[i + 1] - a))
      return string.format("truth: row %d has the label '%s', which no probability column names", i + 1,
                           ffi.string(col._sdata + a, len))
    end
  end
  return nil
end

function M.metric_proba(name, yv, Ps, w, params)
  name = checkstring(name, 1, "metric_proba")
  local n = vec_len(yv, "truth")
  local np, k = list_shape(Ps, "prediction")
  if n ~= np then error(string.format("truth has %d rows but the prediction has %d", n, np), 2) end
  local prm = metric_params(params)
  local wa, msg = weights(w, n)
  if msg then return nil, msg end
  local y = ffi.new("int64_t[?]", n > 0 and n or 1)
  if ffi.istype(column_ct, yv) and yv._type == C.DOJO_TYPE_STRING and type(params) == "table"
     and type(params.labels) == "table" then
    msg = labels_to_ids(yv, params.labels, y)
    prm.nclasses = k
  else
    msg = vec_ints(yv, n, y, "truth")
  end
  if msg then return nil, msg end
  -- float columns without missing values are read in place; anything else is gathered
  local cols = ffi.new("const double *[?]", k)
  for j = 1, k do
    local a = column_floats(Ps[j], n)
    if a == nil then cols = nil break end
    cols[j - 1] = a
  end
  if cols then
    return finish(C.dojo_metric_proba_columns(name, y, cols, wa, n, k, prm, outv, errbuf, ERRLEN))
  end
  local P
  P, msg = gather(Ps, n, k, "prediction")
  if not P then return nil, msg end
  return finish(C.dojo_metric_proba(name, y, P, wa, n, k, prm, outv, errbuf, ERRLEN))
end

function M.metric_text(name, yv, pv, params)
  name = checkstring(name, 1, "metric_text")
  local n, np = vec_len(yv, "truth"), vec_len(pv, "prediction")
  if n ~= np then error(string.format("truth has %d rows but the prediction has %d", n, np), 2) end
  local prm = metric_params(params)
  local yd, yo, ya, msg = vec_strings(yv, n, "truth")
  if msg then return nil, msg end
  local pd, po, pa
  pd, po, pa, msg = vec_strings(pv, n, "prediction")
  if msg then return nil, msg end
  local rc = C.dojo_metric_text(name, yd, yo, pd, po, n, prm, outv, errbuf, ERRLEN)
  ya, pa = nil, nil -- the anchors lived until here
  return finish(rc)
end

local KINDS = { "numeric", "labels", "proba", "text" }
-- score_stream_metric(name) -> whether idx:score_stream computes this metric.
function M.score_stream_metric(name)
  return C.dojo_score_stream_metric(checkstring(name, 1, "score_stream_metric")) == 1
end

function M.metric_list()
  local out = {}
  for line in ffi.string(C.dojo_metric_list()):gmatch("[^\n]+") do
    local name, kind, hib = line:match("^([^\t]+)\t(%d)\t(%d)$")
    if name then
      out[#out + 1] = { name = name, kind = KINDS[tonumber(kind)], higher_is_better = hib == "1" }
    end
  end
  return out
end

---------------------------------------------------------------------------------------------
-- Sandbox: the same normalized policy table as core/lua/lsandbox.c.

local function cstrings(list, key, keep)
  if list == nil then return nil end
  if type(list) ~= "table" then error("field " .. key .. " must be a list of strings", 3) end
  local n = #list
  local arr = ffi.new("const char *[?]", n + 1)
  for i = 1, n do
    if type(list[i]) ~= "string" then
      error(string.format("field %s: entry %d is not a string", key, i), 3)
    end
    arr[i - 1] = list[i]
  end
  arr[n] = nil
  keep[#keep + 1] = arr
  keep[#keep + 1] = list
  return arr
end

function M.sandbox_run(t)
  if type(t) ~= "table" then error("bad argument #1 to 'sandbox_run' (table expected)", 2) end
  local p = ffi.new("dojo_sandbox_policy")
  C.dojo_sandbox_policy_init(p)
  local keep = { t }
  p.cmd = t.cmd
  p.cwd = t.cwd
  p.argv = cstrings(t.argv, "argv", keep)
  p.env = cstrings(t.env, "env", keep)
  p.read = cstrings(t.read, "read", keep)
  p.write = cstrings(t.write, "write", keep)
  p.time_s = t.time_s or 0
  p.wall_s = t.wall_s or 0
  p.memory_bytes = t.memory_bytes or 0
  p.procs = t.procs or 0
  p.fsize_bytes = t.fsize_bytes or 0
  p.output_bytes = t.output_bytes or 0
  p.output_fails = t.output_fails and 1 or 0
  p.net = t.net and 1 or 0
  p.gpu = t.gpu and 1 or 0
  p.disable = t.disable or 0
  local r = ffi.new("dojo_sandbox_result")
  local rc = C.dojo_sandbox_run(p, r, errbuf, ERRLEN)
  keep = nil
  if rc < 0 then return fail() end
  local layers = {}
  for i = 0, r.nlayers - 1 do
    local l = r.layers[i]
    layers[i + 1] = { name = ffi.string(l.name), applied = l.applied ~= 0, detail = ffi.string(l.detail) }
  end
  local res = {
    status = ffi.string(r.status), exit_code = r.exit_code, signal = r.signal,
    wall_s = r.wall_s, cpu_s = r.cpu_s, max_rss_kb = tonumber(r.max_rss_kb),
    output_bytes = tonumber(r.output_bytes),
    stdout = r.out ~= nil and ffi.string(r.out, r.out_len) or "",
    stderr = r.err ~= nil and ffi.string(r.err, r.err_len) or "",
    message = ffi.string(r.message), layers = layers,
  }
  C.dojo_sandbox_result_clear(r)
  return res
end

---------------------------------------------------------------------------------------------
-- Regular expressions: the same type as core/lua/lregex.c (see its theory of operation).

local unpack = table.unpack or unpack
local Regex = {}
Regex.__index = Regex
Regex.__name = "dojo.regex"

-- checker(mt, tname, what) -> function(obj, fname) -> the open handle of an object of
-- type mt, or an error as luaL_checkudata gives it ("bad argument #1 to 'f' (tname expected,
-- got x)"), or "<what> is closed".
local function checker(mt, tname, what)
  return function(obj, fname)
    if getmetatable(obj) ~= mt then
      error(string.format("bad argument #1 to '%s' (%s expected, got %s)", fname, tname,
                          obj == nil and "no value" or type(obj)), 3)
    end
    if not obj._h then error(what .. " is closed", 3) end
    return obj._h
  end
end

local check_regex = checker(Regex, "dojo.regex", "regex")

function M.regex_compile(pattern, flags)
  pattern = checkstring(pattern, 1, "regex_compile")
  if flags == nil then flags = "" end
  flags = checkstring(flags, 2, "regex_compile")
  local bits = C.dojo_regex_parse_flags(flags, errbuf, ERRLEN)
  if bits < 0 then error("bad argument #2 to 'regex_compile' (" .. errmsg() .. ")", 2) end
  local h = C.dojo_regex_compile(pattern, #pattern, bits, errbuf, ERRLEN)
  if h == nil then return fail() end
  h = ffi.gc(h, C.dojo_regex_free)
  local n = C.dojo_regex_ngroups(h)
  local names = {}
  for i = 1, n do
    local p = C.dojo_regex_group_name(h, i)
    if p ~= nil then names[i] = ffi.string(p) end
  end
  return setmetatable({ _h = h, _n = n, _names = names, _ov = ffi.new("int64_t[?]", 2 * (n + 1)),
                        _pattern = pattern, _flags = flags }, Regex)
end

closer(Regex, C.dojo_regex_free, "bad argument #1 to 'close' (dojo.regex expected)")

Regex.__tostring = function(re)
  if not re._h then return "dojo.regex (closed)" end
  return "dojo.regex /" .. re._pattern .. "/" .. re._flags
end

-- init (1-based, negative from the end, like string.find) -> 0-based offset; > len: none
local function start_offset(init, len, fname)
  init = optinteger(init, 2, fname, 1)
  if init > 0 then return init - 1 > len and len + 1 or init - 1 end
  if init == 0 or -init > len then return 0 end
  return len + init
end

-- One match from start: true (offsets in re._ov), false, or nil and a message.
local function match_at(re, s, start, options)
  local rc = C.dojo_regex_match(re._h, s, #s, start, options, re._ov, re._n + 1, errbuf, ERRLEN)
  if rc < 0 then return nil, errmsg() end
  return rc > 0
end

local function group(re, s, i)
  local a = re._ov[2 * i]
  if a < 0 then return false end
  return s:sub(tonumber(a) + 1, tonumber(re._ov[2 * i + 1]))
end

local function captures(re, s)
  local n = re._n
  if n == 0 then return group(re, s, 0) end
  if n == 1 then return group(re, s, 1) end
  local out = {}
  for i = 1, n do out[i] = group(re, s, i) end
  return unpack(out, 1, n)
end

-- The next match of a global scan (see core/regex.c): true, false, or nil and a message;
-- st (the scan state { pos, notempty }) advances.
local function scan(re, s, st)
  if st.pos > #s then return false end
  local ok, msg = match_at(re, s, st.pos, st.notempty and C.DOJO_REGEX_NOTEMPTY_ATSTART or 0)
  if not ok then return ok, msg end
  local a, e = tonumber(re._ov[0]), tonumber(re._ov[1])
  if e < st.pos or (st.notempty and a == e and e == st.pos) then return false end
  st.notempty = a == e
  st.pos = e
  return true
end

function Regex.match(re, s, init)
  check_regex(re, "match")
  s = checkstring(s, 1, "match")
  local ok, msg = match_at(re, s, start_offset(init, #s, "match"), 0)
  if ok == nil then return nil, msg end
  if not ok then return nil end
  return captures(re, s)
end

function Regex.find(re, s, init)
  check_regex(re, "find")
  s = checkstring(s, 1, "find")
  local ok, msg = match_at(re, s, start_offset(init, #s, "find"), 0)
  if ok == nil then return nil, msg end
  if not ok then return nil end
  local a, e = tonumber(re._ov[0]) + 1, tonumber(re._ov[1])
  if re._n == 0 then return a, e end
  return a, e, captures(re, s)
end

function Regex.exec(re, s, init)
  check_regex(re, "exec")
  s = checkstring(s, 1, "exec")
  local ok, msg = match_at(re, s, start_offset(init, #s, "exec"), 0)
  if ok == nil then return nil, msg end
  if not ok then return nil end
  local t = {}
  for i = 0, re._n do t[i] = group(re, s, i) end
  for i, name in pairs(re._names) do t[name] = t[i] end
  t.start, t.stop = tonumber(re._ov[0]) + 1, tonumber(re._ov[1])
  return t
end

function Regex.gmatch(re, s, init)
  check_regex(re, "gmatch")
  s = checkstring(s, 1, "gmatch")
  local st = { pos = start_offset(init, #s, "gmatch"), notempty = false }
  local done = st.pos > #s
  return function()
    if done then return nil end
    if not re._h then error("regex is closed", 2) end
    local ok, msg = scan(re, s, st)
    if ok == nil then error(msg, 2) end
    if not ok then
      done = true
      return nil
    end
    return captures(re, s)
  end
end

local count = ffi.new("size_t[1]")

function Regex.gsub(re, s, repl, n)
  local h = check_regex(re, "gsub")
  s = checkstring(s, 1, "gsub")
  local tr = type(repl)
  if tr ~= "string" and tr ~= "number" and tr ~= "table" and tr ~= "function" then
    error(string.format("bad argument #2 to 'gsub' (string/function/table expected, got %s)",
                        repl == nil and "no value" or tr), 2)
  end
  local max = -1
  if n ~= nil then
    max = optinteger(n, 3, "gsub", -1)
    if max < 0 then max = 0 end
  end
  if tr == "string" or tr == "number" then
    repl = tostring(repl)
    local p = C.dojo_regex_substitute(h, s, #s, repl, #repl, max, outlen, count, errbuf, ERRLEN)
    if p == nil then return fail() end
    local out = ffi.string(p, outlen[0])
    C.dojo_free(p)
    return out, tonumber(count[0])
  end
  local parts, np, copied, k = {}, 0, 0, 0
  local st = { pos = 0, notempty = false }
  while max < 0 or k < max do
    local ok, msg = scan(re, s, st)
    if ok == nil then return nil, msg end
    if not ok then break end
    local a, e = tonumber(re._ov[0]), tonumber(re._ov[1])
    if a < copied then a = copied end
    np = np + 1
    parts[np] = s:sub(copied + 1, a)
    k = k + 1
    local v
    if tr == "table" then
      v = repl[group(re, s, re._n == 0 and 0 or 1)]
    else
      v = repl(captures(re, s))
      if not re._h then error("regex is closed", 2) end
    end
    if not v then
      v = s:sub(a + 1, e)
    elseif type(v) == "number" then
      v = tostring(v)
    elseif type(v) ~= "string" then
      error("invalid replacement value (a " .. type(v) .. ")", 2)
    end
    np = np + 1
    parts[np] = v
    if e > copied then copied = e end
  end
  np = np + 1
  parts[np] = s:sub(copied + 1)
  return table.concat(parts, "", 1, np), k
end

function Regex.groups(re)
  check_regex(re, "groups")
  local names = {}
  for i, name in pairs(re._names) do names[name] = i end
  return re._n, names
end

---------------------------------------------------------------------------------------------
-- HTTP: the same response type as core/lua/lhttp.c (see its theory of operation).

local Http = {}
Http.__index = Http
Http.__name = "dojo.http"

local check_http = checker(Http, "dojo.http", "http response")

local function http_fail(rc)
  return nil, errmsg(), ffi.string(C.dojo_http_error_name(-rc))
end

local function field(t, key, want)
  local v = t[key]
  if v ~= nil and type(v) ~= want then error("field " .. key .. " must be a " .. want, 3) end
  return v
end

local outbuf = ffi.new("dojo_http *[1]")
local databuf = ffi.new("const char *[1]")
local namebuf, valuebuf = ffi.new("const char *[1]"), ffi.new("const char *[1]")
local lenbuf = ffi.new("size_t[1]")

function M.http_open(t)
  if type(t) ~= "table" then error("bad argument #1 to 'http_open' (table expected)", 2) end
  local o = ffi.new("dojo_http_opts")
  C.dojo_http_opts_init(o)
  local keep = { t }
  o.url = field(t, "url", "string")
  o.method = field(t, "method", "string")
  local body = field(t, "body", "string")
  if body then o.body, o.body_len = body, #body end
  local headers = t.headers
  o.headers = cstrings(headers, "headers", keep)
  o.nheaders = headers and #headers or 0
  o.proxy = field(t, "proxy", "string")
  o.connect_timeout = field(t, "connect_timeout", "number") or 0
  o.timeout = field(t, "timeout", "number") or 0
  local max = field(t, "max_bytes", "number") or 0
  if not (max >= 0 and max < 1.8e19) then
    error("bad argument #1 to 'http_open' (max_bytes must be >= 0)", 2)
  end
  o.max_bytes = max
  o.follow_redirects = t.follow_redirects and 1 or 0
  local rc = C.dojo_http_open(o, outbuf, errbuf, ERRLEN)
  keep = nil
  if rc < 0 then return http_fail(rc) end
  return setmetatable({ _h = ffi.gc(outbuf[0], C.dojo_http_free) }, Http)
end

function Http.status(h) return C.dojo_http_status(check_http(h, "status")) end

function Http.headers(h)
  local p = check_http(h, "headers")
  local list, i = {}, 0
  while C.dojo_http_header(p, i, namebuf, valuebuf) == 0 do
    i = i + 1
    list[i] = { ffi.string(namebuf[0]), ffi.string(valuebuf[0]) }
  end
  return list
end

function Http.read(h)
  local rc = C.dojo_http_read(check_http(h, "read"), databuf, lenbuf, errbuf, ERRLEN)
  if rc < 0 then return http_fail(rc) end
  if rc == 0 then return nil end
  return ffi.string(databuf[0], lenbuf[0])
end

function Http.abort(h) C.dojo_http_close(check_http(h, "abort")) end

closer(Http, C.dojo_http_free, "bad argument #1 to 'close' (dojo.http expected)")

Http.__tostring = function(h)
  if not h._h then return "dojo.http (closed)" end
  return string.format("dojo.http %d from %s", C.dojo_http_status(h._h),
                       ffi.string(C.dojo_http_host(h._h)))
end

require("dojo.core_fs_ffi")(M, C, ffi, errbuf, ERRLEN)
registry[REGISTRY_KEY] = M
return M
