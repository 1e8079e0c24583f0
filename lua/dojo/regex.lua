-- dojo.regex: Perl-compatible regular expressions (the kernel's PCRE2, JIT-compiled where
-- the machine allows), with the shape of Lua's string library. The same on Lua 5.4 and LuaJIT.
--
--   local re = assert(dojo.regex.compile([[No module named '([\w.]+)']]))   -- or nil, message
--   re:match(stderr)            --> "lightgbm"   (the captures, or the whole match; nil: none)
--   re:find(s [, init])         --> start, stop, captures...   (1-based, inclusive)
--   re:exec(s [, init])         --> { start =, stop =, [0] = match, [1] = group 1, ...,
--                                     name = named group, ... }
--   for a, b in re:gmatch(s [, init]) do ... end
--   re:gsub(s, repl [, n])      --> new string, number of matches
--   re:groups()                 --> number of groups, { name = group number, ... }
--   re:close()                  -- also __gc, and __close for `local re <close>` (Lua 5.4)
--
-- Flags (a string of letters): "i" caseless, "m" multiline (^ $ at line breaks), "s" dotall
-- (. matches a newline), "x" extended (whitespace and # comments ignored), "u" UTF-8 with
-- Unicode properties (\w matches é; offsets stay byte offsets; invalid UTF-8 in a subject
-- never matches, and is no error). Inline flags work too: "(?i)error".
--
-- Captures: a group that did not take part in the match is false (so positions hold).
-- gsub's repl, as in string.gsub, is
--   - a string, in PCRE2's syntax: $0 the whole match, $1..$99 or ${n} a group, $name or
--     ${name} a named group, $$ a dollar sign ("%" has no special meaning);
--   - a table, indexed by the first capture (the whole match when there is no group);
--   - a function, called with the captures (the whole match when there is no group);
--   a table or function value of false or nil keeps the match unchanged.
-- Empty matches follow Perl (and Python): dojo.regex.gsub("abc", "b*", "-") gives "-a--c-".
--
-- Errors: a bad pattern (compile) and a match that exceeds the kernel's limits (a
-- catastrophic pattern such as (a+)+$) return nil and a message; gmatch raises them, since
-- a for loop cannot carry them. Misuse (wrong argument types, a closed regex) raises.
--
-- Module functions compile through a small cache (the most recent 64 patterns per flag
-- string), for one-off uses:
--   dojo.regex.match(s, pattern [, flags [, init]])
--   dojo.regex.find(s, pattern [, flags [, init]])
--   dojo.regex.gmatch(s, pattern [, flags])              -- a bad pattern raises
--   dojo.regex.gsub(s, pattern, repl [, n [, flags]])
--   dojo.regex.escape(text)  --> a pattern that matches text literally
local core = require "dojo.core"

local M = {}

M.compile = core.regex_compile    -- (pattern [, flags]) -> regex | nil, message

local CACHE_MAX = 64
local cache = {}                  -- flags -> { pattern -> regex, n = count }

local function cached(fname, pattern, flags)
  if type(pattern) ~= "string" then
    error(string.format("bad argument #2 to '%s' (string expected, got %s)", fname,
                        pattern == nil and "no value" or type(pattern)), 3)
  end
  if flags ~= nil and type(flags) ~= "string" then
    error(string.format("bad argument to '%s' (flags must be a string, got %s)", fname, type(flags)), 3)
  end
  flags = flags or ""
  local c = cache[flags]
  local re = c and c[pattern]
  if re then return re end
  local err
  re, err = core.regex_compile(pattern, flags)
  if not re then return nil, err end
  if not c or c.n >= CACHE_MAX then
    c = { n = 0 }  -- full: start again (the dropped regexes are freed by the collector)
    cache[flags] = c
  end
  c[pattern] = re
  c.n = c.n + 1
  return re
end

function M.match(s, pattern, flags, init)
  local re, err = cached("match", pattern, flags)
  if not re then return nil, err end
  return re:match(s, init)
end

function M.find(s, pattern, flags, init)
  local re, err = cached("find", pattern, flags)
  if not re then return nil, err end
  return re:find(s, init)
end

function M.gmatch(s, pattern, flags)
  local re, err = cached("gmatch", pattern, flags)
  if not re then error(err, 2) end
  return re:gmatch(s)
end

function M.gsub(s, pattern, repl, n, flags)
  local re, err = cached("gsub", pattern, flags)
  if not re then return nil, err end
  return re:gsub(s, repl, n)
end

-- A pattern matching text literally: every ASCII character but letters and digits gets a
-- backslash (PCRE2 reads a backslash before a non-alphanumeric character as that character).
function M.escape(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'escape' (string expected, got " .. type(text) .. ")", 2)
  end
  return (text:gsub("[^%w\128-\255]", "\\%0"))
end

return M
