--- dojo.json: a small, strict, pure-Lua JSON encoder/decoder.
--
-- Runs unchanged on Lua 5.4 and LuaJIT 2.1; no external dependencies.
--
-- Encoding (json.encode(value [, opts]) -> string | nil, err)
--   * nil and json.null encode as null; booleans, numbers and strings as usual.
--   * A table whose keys are exactly 1..n encodes as an array; a table with
--     only string keys encodes as an object; an empty table encodes as {}.
--   * json.array(t) / json.object(t) mark a table so that it always encodes as
--     an array / object (useful for empty tables).  Array-marked tables may
--     have holes: they encode up to their largest integer key, with null in
--     the holes.  In object-marked tables number keys are converted to strings.
--   * Unmarked tables with string and number keys, or with number keys that
--     are not exactly 1..n, are errors; so are keys of any other type.
--   * Integers (Lua 5.4 integers, and floats with an integral value below 2^53
--     in magnitude) are written without a fraction ("1", "-0" for -0.0).
--     Other floats are written with the shortest of %.14g/%.15g/%.16g/%.17g
--     that reads back to the same value.  NaN and +-inf are errors unless
--     opts.nan == "null", which writes them as null.
--   * Strings: '"', '\', control characters and DEL are escaped (\n \t \r \b
--     \f, otherwise \u00XX); valid UTF-8 is written as is.  Every byte that
--     does not start a valid UTF-8 sequence (including overlong forms,
--     surrogates and code points above U+10FFFF) is replaced by U+FFFD, so
--     the output is always valid UTF-8.
--   * opts.sort_keys (default true) sorts object keys for deterministic output;
--     opts.indent (default nil = compact, no spaces) pretty-prints with that
--     many spaces per level; opts.max_depth (default 1000) limits nesting.
--   * Cyclic tables are an error.
--
-- Decoding (json.decode(str [, opts]) -> value | nil, err)
--   * Strict RFC 8259: no comments, trailing commas, leading zeros, NaN,
--     Infinity, single quotes, unescaped control characters or invalid UTF-8.
--     A leading UTF-8 byte order mark is ignored (RFC 8259, section 8.1).
--   * Errors read "invalid JSON at line L, column C: <reason>"; the column
--     counts bytes, starting at 1.
--   * null decodes to json.null; opts.null = <value> substitutes another
--     value, and opts.null_as_nil = true maps null to nil (object members
--     disappear and arrays get holes).
--   * Arrays decode to tables carrying the json.array marker, so [] encodes
--     back to []; objects decode to plain tables.  Duplicate keys: last wins.
--   * \uXXXX escapes become UTF-8; surrogate pairs are combined and lone
--     surrogates become U+FFFD.
--   * Numbers without fraction or exponent become Lua integers on Lua 5.4 when
--     they fit in 64 bits ("-0" becomes the float -0.0); everything else is a
--     float.  On LuaJIT all numbers are doubles.  Out-of-range numbers give
--     +-inf (or 0), as tonumber does.
--   * Nesting deeper than opts.max_depth (default 1000) is an error.

local byte, char, find, format, gsub, match, sub, rep =
  string.byte, string.char, string.find, string.format, string.gsub,
  string.match, string.sub, string.rep
local concat, sort = table.concat, table.sort
local floor, huge = math.floor, math.huge
local math_type = math.type
local tointeger = math.tointeger
local type, pairs, next, pcall, error, tostring, tonumber, setmetatable, getmetatable, rawequal =
  type, pairs, next, pcall, error, tostring, tonumber, setmetatable, getmetatable, rawequal
local unpack = table.unpack or unpack -- luacheck: ignore

local json = { _VERSION = "dojo.json 1.0" }

local DEFAULT_MAX_DEPTH = 1000
local TWO_53 = 9007199254740992.0

--------------------------------------------------------------------------
-- Sentinels and markers
--------------------------------------------------------------------------

local null = setmetatable({}, {
  __tostring = function() return "json.null" end,
  __newindex = function() error("json.null is read-only", 2) end,
  __metatable = "json.null",
})
json.null = null

local array_mt = { __name = "json.array", __jsontype = "array" }
local object_mt = { __name = "json.object", __jsontype = "object" }
json.array_mt, json.object_mt = array_mt, object_mt

--- Mark t (or a new empty table) so that it encodes as a JSON array.
function json.array(t)
  return setmetatable(t or {}, array_mt)
end

--- Mark t (or a new empty table) so that it encodes as a JSON object.
function json.object(t)
  return setmetatable(t or {}, object_mt)
end

--- True when t carries the array marker, or its keys are exactly 1..n (n >= 1).
function json.is_array(t)
  if type(t) ~= "table" or rawequal(t, null) then return false end
  local mt = getmetatable(t)
  if mt == array_mt then return true end
  if mt == object_mt then return false end
  local count, maxk = 0, 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k ~= floor(k) then return false end
    count = count + 1
    if k > maxk then maxk = k end
  end
  return count > 0 and count == maxk
end

-- Internal errors are thrown as {msg} tables so they can be told apart from
-- genuine bugs, which are re-raised.
local function throw(msg)
  error({ msg }, 0)
end

--------------------------------------------------------------------------
-- Encoder
--------------------------------------------------------------------------

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["\127"] = "\\u007f",
}
for i = 0, 31 do
  local c = char(i)
  if not escapes[c] then escapes[c] = format("\\u%04x", i) end
end

-- LuaJIT 2.1 does not accept "\0" inside patterns, Lua 5.4 does; "%z" is the
-- Lua 5.1 spelling.
local CTRL = pcall(find, "\0", "[\0]") and "\0-\31" or "%z\1-\31"
local ESCAPE_PAT = '[' .. CTRL .. '"\\\127]'
local SPECIAL_PAT = '[' .. CTRL .. '"\\\127\128-\255]'

local REPLACEMENT = "\239\191\189" -- U+FFFD

-- Length of the valid UTF-8 sequence starting at byte i of s (i holds a byte
-- >= 0x80), or nil when that byte does not start a valid sequence.
local function utf8_seq_len(s, i)
  local c, c2, c3, c4 = byte(s, i, i + 3)
  if c >= 0xC2 and c <= 0xDF then
    if c2 and c2 >= 0x80 and c2 <= 0xBF then return 2 end
  elseif c >= 0xE0 and c <= 0xEF then
    if c2 and c3 and c3 >= 0x80 and c3 <= 0xBF then
      local lo, hi = 0x80, 0xBF
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
      if c2 >= lo and c2 <= hi then return 3 end
    end
  elseif c >= 0xF0 and c <= 0xF4 then
    if c2 and c3 and c4 and c3 >= 0x80 and c3 <= 0xBF and c4 >= 0x80 and c4 <= 0xBF then
      local lo, hi = 0x80, 0xBF
      if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
      if c2 >= lo and c2 <= hi then return 4 end
    end
  end
  return nil
end

-- Position of the first invalid UTF-8 byte in s (from position init), or nil.
local function utf8_invalid_pos(s, init)
  local i = find(s, "[\128-\255]", init)
  while i do
    local len = utf8_seq_len(s, i)
    if not len then return i end
    i = find(s, "[\128-\255]", i + len)
  end
  return nil
end

-- s with every byte that does not start a valid UTF-8 sequence replaced by U+FFFD.
local function fix_utf8(s)
  local bad = utf8_invalid_pos(s, 1)
  if not bad then return s end
  local buf, n, last = {}, 0, 1
  local i = bad
  while i do
    local len = utf8_seq_len(s, i)
    if len then
      i = find(s, "[\128-\255]", i + len)
    else
      n = n + 1; buf[n] = sub(s, last, i - 1)
      n = n + 1; buf[n] = REPLACEMENT
      last = i + 1
      i = find(s, "[\128-\255]", i + 1)
    end
  end
  n = n + 1; buf[n] = sub(s, last)
  return concat(buf)
end

-- Appends the quoted, escaped string s to buf; returns the new length.
local function encode_string(s, buf, n)
  if not find(s, SPECIAL_PAT) then
    buf[n + 1] = '"'; buf[n + 2] = s; buf[n + 3] = '"'
    return n + 3
  end
  if find(s, "[\128-\255]") then s = fix_utf8(s) end
  buf[n + 1] = '"'; buf[n + 2] = gsub(s, ESCAPE_PAT, escapes); buf[n + 3] = '"'
  return n + 3
end

local function quote_string(s)
  local b = {}
  encode_string(s, b, 0)
  return concat(b)
end

local FLOAT_FORMATS = { "%.14g", "%.15g", "%.16g" }

local function format_number(x, nan_null)
  if math_type and math_type(x) == "integer" then
    return format("%d", x)
  end
  if x ~= x or x == huge or x == -huge then
    if nan_null then return "null" end
    throw("cannot encode NaN/inf as JSON")
  end
  if x == floor(x) and x > -TWO_53 and x < TWO_53 then
    return format("%.0f", x) -- integral: no ".0"; -0.0 gives "-0"
  end
  for i = 1, 3 do
    local s = format(FLOAT_FORMATS[i], x)
    if tonumber(s) == x then return s end
  end
  return format("%.17g", x)
end

-- Converts an object key to its string form.
local function key_string(k)
  local tk = type(k)
  if tk == "string" then return k end
  if tk == "number" then
    if k ~= k or k == huge or k == -huge then
      throw("cannot encode NaN/inf as JSON")
    end
    return format_number(k, false)
  end
  throw("cannot encode a table key of type " .. tk)
end

local function key_less(a, b) return a[1] < b[1] end

local encode_value

-- Encodes the array part t[1..len].
local function encode_array(t, len, buf, n, depth, ctx)
  if len == 0 then
    n = n + 1; buf[n] = "[]"
    return n
  end
  local indent = ctx.indent
  if indent then
    local inner = ctx.indents[depth + 1]
    n = n + 1; buf[n] = "[\n"
    for i = 1, len do
      if i > 1 then n = n + 1; buf[n] = ",\n" end
      n = n + 1; buf[n] = inner
      n = encode_value(t[i], buf, n, depth + 1, ctx)
    end
    n = n + 1; buf[n] = "\n"
    n = n + 1; buf[n] = ctx.indents[depth]
    n = n + 1; buf[n] = "]"
  else
    n = n + 1; buf[n] = "["
    for i = 1, len do
      if i > 1 then n = n + 1; buf[n] = "," end
      n = encode_value(t[i], buf, n, depth + 1, ctx)
    end
    n = n + 1; buf[n] = "]"
  end
  return n
end

-- Encodes t as an object; all keys must be strings or numbers.
local function encode_object(t, buf, n, depth, ctx)
  local items, count = {}, 0
  local has_number_key = false
  for k, v in pairs(t) do
    count = count + 1
    if type(k) ~= "string" then has_number_key = true end
    items[count] = { key_string(k), v }
  end
  if count == 0 then
    n = n + 1; buf[n] = "{}"
    return n
  end
  if ctx.sort_keys or has_number_key then
    if has_number_key then
      -- Number keys may collide with string keys once converted ({[1]=.., ["1"]=..}).
      local seen = {}
      for i = 1, count do
        local k = items[i][1]
        if seen[k] then throw("cannot encode a table with duplicate key " .. quote_string(k)) end
        seen[k] = true
      end
    end
    if ctx.sort_keys then sort(items, key_less) end
  end
  local kcache = ctx.kcache
  local indent = ctx.indent
  local inner
  if indent then
    inner = ctx.indents[depth + 1]
    n = n + 1; buf[n] = "{\n"
  else
    n = n + 1; buf[n] = "{"
  end
  for i = 1, count do
    local item = items[i]
    local k = item[1]
    if i > 1 then n = n + 1; buf[n] = indent and ",\n" or "," end
    if indent then n = n + 1; buf[n] = inner end
    local ks = kcache[k]
    if not ks then
      ks = quote_string(k) .. (indent and ": " or ":")
      kcache[k] = ks
    end
    n = n + 1; buf[n] = ks
    n = encode_value(item[2], buf, n, depth + 1, ctx)
  end
  if indent then
    n = n + 1; buf[n] = "\n"
    n = n + 1; buf[n] = ctx.indents[depth]
  end
  n = n + 1; buf[n] = "}"
  return n
end

local function encode_table(t, buf, n, depth, ctx)
  if depth >= ctx.max_depth then
    throw("cannot encode a table nested deeper than " .. ctx.max_depth .. " levels")
  end
  local stack = ctx.stack
  if stack[t] then throw("cannot encode a cyclic table") end
  stack[t] = true

  local mt = getmetatable(t)
  if mt == object_mt then
    n = encode_object(t, buf, n, depth, ctx)
  elseif mt == array_mt then
    local maxk = 0
    for k in pairs(t) do
      if type(k) ~= "number" or k < 1 or k ~= floor(k) then
        throw("cannot encode an array-marked table with non-index key " .. tostring(k))
      end
      if k > maxk then maxk = k end
    end
    n = encode_array(t, maxk, buf, n, depth, ctx)
  else
    local count, maxk, has_string, has_number, non_index = 0, 0, false, false, false
    for k in pairs(t) do
      count = count + 1
      local tk = type(k)
      if tk == "string" then
        has_string = true
      elseif tk == "number" then
        has_number = true
        if k >= 1 and k == floor(k) then
          if k > maxk then maxk = k end
        else
          non_index = true
        end
      else
        throw("cannot encode a table key of type " .. tk)
      end
    end
    if count == 0 or not has_number then
      n = encode_object(t, buf, n, depth, ctx)
    elseif has_string then
      throw("cannot encode a table with mixed keys")
    elseif non_index or maxk ~= count then
      throw("cannot encode a sparse array (keys are not exactly 1..n; use json.array or json.object)")
    else
      n = encode_array(t, count, buf, n, depth, ctx)
    end
  end

  stack[t] = nil
  return n
end

encode_value = function(v, buf, n, depth, ctx)
  local tv = type(v)
  if tv == "string" then
    return encode_string(v, buf, n)
  elseif tv == "number" then
    n = n + 1; buf[n] = format_number(v, ctx.nan_null)
    return n
  elseif tv == "boolean" then
    n = n + 1; buf[n] = v and "true" or "false"
    return n
  elseif tv == "nil" or rawequal(v, null) then
    n = n + 1; buf[n] = "null"
    return n
  elseif tv == "table" then
    return encode_table(v, buf, n, depth, ctx)
  end
  throw("cannot encode a value of type " .. tv)
end

local function run_encode(value, opts, compact)
  opts = opts or {}
  local indent = opts.indent
  if compact then indent = nil end
  local indents
  if indent ~= nil then
    if type(indent) ~= "number" or indent < 0 or indent ~= floor(indent) then
      return nil, "invalid option: indent must be a non-negative integer"
    end
    local unit = rep(" ", indent)
    indents = setmetatable({}, { __index = function(cache, level)
      local s = rep(unit, level)
      cache[level] = s
      return s
    end })
  end
  local ctx = {
    indent = indent,
    indents = indents,
    sort_keys = opts.sort_keys ~= false,
    nan_null = opts.nan == "null",
    max_depth = opts.max_depth or DEFAULT_MAX_DEPTH,
    stack = {},
    kcache = {},
  }
  local buf = {}
  local ok, res = pcall(encode_value, value, buf, 0, 0, ctx)
  if ok then return concat(buf, "", 1, res) end
  if type(res) == "table" and type(res[1]) == "string" then return nil, res[1] end
  error(res, 0)
end

--- Encodes value as JSON; returns the string, or nil and an error message.
function json.encode(value, opts)
  return run_encode(value, opts, false)
end

--- Compact encoding on a single line (for JSON Lines); same errors as encode.
function json.encode_line(value, opts)
  return run_encode(value, opts, true)
end

--------------------------------------------------------------------------
-- Decoder
--------------------------------------------------------------------------

-- Decoder settings for the current call (decode never runs user code, so
-- module-level state is safe).
local cur_null, cur_max_depth = null, DEFAULT_MAX_DEPTH

local function throw_at(str, pos, msg)
  local line, last_nl = 1, 0
  local p = find(str, "\n", 1, true)
  while p and p < pos do
    line = line + 1
    last_nl = p
    p = find(str, "\n", p + 1, true)
  end
  throw(format("invalid JSON at line %d, column %d: %s", line, pos - last_nl, msg))
end

local function describe_byte(c)
  if c >= 32 and c < 127 then return "'" .. char(c) .. "'" end
  return format("byte 0x%02X", c)
end

local unescapes = {
  [34] = '"', [92] = "\\", [47] = "/", [98] = "\b",
  [102] = "\f", [110] = "\n", [114] = "\r", [116] = "\t",
}

local function utf8_char(cp)
  if cp < 0x80 then
    return char(cp)
  elseif cp < 0x800 then
    return char(0xC0 + floor(cp / 64), 0x80 + cp % 64)
  elseif cp < 0x10000 then
    return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
              0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

local STRING_STOP = '["\\' .. CTRL .. ']'

-- pos is at the opening quote; returns the string and the position after it.
local function parse_string(str, pos)
  local i = pos + 1
  local j = find(str, STRING_STOP, i)
  if not j then throw_at(str, pos, "unterminated string") end
  local c = byte(str, j)
  if c == 34 then return sub(str, i, j - 1), j + 1 end -- fast path: no escapes

  local buf, n = {}, 0
  while true do
    if c == 34 then
      n = n + 1; buf[n] = sub(str, i, j - 1)
      return concat(buf), j + 1
    elseif c == 92 then
      if j > i then n = n + 1; buf[n] = sub(str, i, j - 1) end
      local e = byte(str, j + 1)
      if e == 117 then -- \u
        local hex = match(str, "^%x%x%x%x", j + 2)
        if not hex then throw_at(str, j, "invalid \\u escape (expected 4 hexadecimal digits)") end
        local cp = tonumber(hex, 16)
        i = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          local lo = match(str, "^\\u([dD][c-fC-F]%x%x)", i)
          if lo then
            cp = 0x10000 + (cp - 0xD800) * 1024 + (tonumber(lo, 16) - 0xDC00)
            i = i + 6
          else
            cp = 0xFFFD -- lone high surrogate
          end
        elseif cp >= 0xDC00 and cp <= 0xDFFF then
          cp = 0xFFFD -- lone low surrogate
        end
        n = n + 1; buf[n] = utf8_char(cp)
      else
        local r = e and unescapes[e]
        if not r then
          if not e then throw_at(str, pos, "unterminated string") end
          throw_at(str, j, "invalid escape sequence '\\" .. (e >= 32 and e < 127 and char(e) or "?") .. "'")
        end
        n = n + 1; buf[n] = r
        i = j + 2
      end
    else
      throw_at(str, j, format("unescaped control character U+%04X in string", c))
    end
    j = find(str, STRING_STOP, i)
    if not j then throw_at(str, pos, "unterminated string") end
    c = byte(str, j)
  end
end

local NEG_ZERO = -(0 * 1.0)
if 1 / NEG_ZERO > 0 then NEG_ZERO = -1 / huge end

-- pos is at '-' or a digit; returns the number and the position after it.
local function parse_number(str, pos)
  local _, e = find(str, "^-?%d+", pos)
  if not e then throw_at(str, pos + 1, "expected a digit after '-'") end
  local first = byte(str, pos) == 45 and pos + 1 or pos
  if byte(str, first) == 48 and e > first then
    throw_at(str, first, "leading zeros are not allowed in numbers")
  end
  local is_float = false
  local c = byte(str, e + 1)
  if c == 46 then -- '.'
    local _, fe = find(str, "^%d+", e + 2)
    if not fe then throw_at(str, e + 2, "expected a digit after '.'") end
    e, is_float = fe, true
    c = byte(str, e + 1)
  end
  if c == 101 or c == 69 then -- 'e' / 'E'
    local _, ee = find(str, "^[+-]?%d+", e + 2)
    if not ee then throw_at(str, e + 2, "expected a digit in the exponent") end
    e, is_float = ee, true
  end
  local text = sub(str, pos, e)
  -- On Lua 5.4 tonumber gives an integer for integer syntax that fits in
  -- int64 and a float otherwise; on LuaJIT it always gives a double.
  local v = tonumber(text)
  if not is_float and v == 0 and first ~= pos then
    v = NEG_ZERO -- "-0" has no integer representation
  end
  return v, e + 1
end

local parse_value

local function parse_array(str, pos, depth)
  if depth > cur_max_depth then
    throw_at(str, pos, "maximum nesting depth of " .. cur_max_depth .. " exceeded")
  end
  local t, n = {}, 0
  local p = find(str, "[^ \t\n\r]", pos + 1)
  if not p then throw_at(str, #str + 1, "unexpected end of input") end
  if byte(str, p) == 93 then return setmetatable(t, array_mt), p + 1 end
  while true do
    local v
    v, p = parse_value(str, p, depth)
    n = n + 1
    t[n] = v
    p = find(str, "[^ \t\n\r]", p)
    if not p then throw_at(str, #str + 1, "unexpected end of input") end
    local c = byte(str, p)
    if c == 44 then
      p = find(str, "[^ \t\n\r]", p + 1)
      if not p then throw_at(str, #str + 1, "unexpected end of input") end
      if byte(str, p) == 93 then throw_at(str, p, "trailing comma is not allowed") end
    elseif c == 93 then
      return setmetatable(t, array_mt), p + 1
    else
      throw_at(str, p, "expected ',' or ']'")
    end
  end
end

local function parse_object(str, pos, depth)
  if depth > cur_max_depth then
    throw_at(str, pos, "maximum nesting depth of " .. cur_max_depth .. " exceeded")
  end
  local t = {}
  local p = find(str, "[^ \t\n\r]", pos + 1)
  if not p then throw_at(str, #str + 1, "unexpected end of input") end
  local c = byte(str, p)
  if c == 125 then return t, p + 1 end
  while true do
    if c ~= 34 then throw_at(str, p, "expected a string key") end
    local k, v
    k, p = parse_string(str, p)
    p = find(str, "[^ \t\n\r]", p)
    if not p then throw_at(str, #str + 1, "unexpected end of input") end
    if byte(str, p) ~= 58 then throw_at(str, p, "expected ':'") end
    v, p = parse_value(str, p + 1, depth)
    t[k] = v
    p = find(str, "[^ \t\n\r]", p)
    if not p then throw_at(str, #str + 1, "unexpected end of input") end
    c = byte(str, p)
    if c == 44 then
      p = find(str, "[^ \t\n\r]", p + 1)
      if not p then throw_at(str, #str + 1, "unexpected end of input") end
      c = byte(str, p)
      if c == 125 then throw_at(str, p, "trailing comma is not allowed") end
    elseif c == 125 then
      return t, p + 1
    else
      throw_at(str, p, "expected ',' or '}'")
    end
  end
end

-- Skips whitespace from pos, parses one value; returns it and the next position.
parse_value = function(str, pos, depth)
  local p = find(str, "[^ \t\n\r]", pos)
  if not p then throw_at(str, #str + 1, "unexpected end of input") end
  local c = byte(str, p)
  if c == 34 then
    return parse_string(str, p)
  elseif c == 123 then
    return parse_object(str, p, depth + 1)
  elseif c == 91 then
    return parse_array(str, p, depth + 1)
  elseif c == 45 or (c >= 48 and c <= 57) then
    return parse_number(str, p)
  elseif c == 116 and sub(str, p, p + 3) == "true" then
    return true, p + 4
  elseif c == 102 and sub(str, p, p + 4) == "false" then
    return false, p + 5
  elseif c == 110 and sub(str, p, p + 3) == "null" then
    return cur_null, p + 4
  end
  local word = match(str, "^[%a_][%w_]*", p)
  if word then throw_at(str, p, "invalid literal '" .. word .. "'") end
  throw_at(str, p, "expected a value but found " .. describe_byte(c))
end

local function run_decode(str, start)
  local bad = utf8_invalid_pos(str, start)
  if bad then throw_at(str, bad, format("invalid UTF-8 byte 0x%02X", byte(str, bad))) end
  local v, p = parse_value(str, start, 0)
  p = find(str, "[^ \t\n\r]", p)
  if p then throw_at(str, p, "unexpected trailing characters after the JSON value") end
  return v
end

--- Decodes a JSON text; returns the value, or nil and an error message.
function json.decode(str, opts)
  if type(str) ~= "string" then
    return nil, "invalid JSON: expected a string to decode, got " .. type(str)
  end
  cur_null, cur_max_depth = null, DEFAULT_MAX_DEPTH
  if opts then
    if opts.null_as_nil then
      cur_null = nil
    elseif opts.null ~= nil then
      cur_null = opts.null
    end
    if opts.max_depth then cur_max_depth = opts.max_depth end
  end
  local start = 1
  if sub(str, 1, 3) == "\239\187\191" then start = 4 end -- byte order mark
  local ok, res = pcall(run_decode, str, start)
  cur_null = null
  if ok then return res end
  if type(res) == "table" and type(res[1]) == "string" then return nil, res[1] end
  error(res, 0)
end

return json
