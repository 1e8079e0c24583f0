-- regex_spec.lua -- dojo.regex (PCRE2) and core.gzip / core.gunzip, identical on Lua 5.4
-- (C module) and LuaJIT (FFI). tools/test runs this file under both interpreters.
local dojo = require "dojo"
local R = dojo.regex
local core = dojo.core

local unpack = table.unpack or unpack

local support = require "support"
local raises, has = support.raises, support.has

local TRACEBACK = [[
Traceback (most recent call last):
  File "/work/train.py", line 4, in <module>
    import lightgbm as lgb
ModuleNotFoundError: No module named 'lightgbm'
]]

local KEYERROR = [[
Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/pandas/core/indexes/base.py", line 3653, in get_loc
    return self._engine.get_loc(casted_key)
  File "pandas/_libs/index.pyx", line 147, in pandas._libs.index.IndexEngine.get_loc
KeyError: 'SalePrice'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/work/train.py", line 9, in <module>
    y = df["SalePrice"]
KeyError: 'SalePrice'
]]

describe("dojo.regex.compile", function()
  it("is exported from dojo and from the binding", function()
    assert.are.equal(require("dojo.regex"), R)
    assert.are.equal("function", type(core.regex_compile))
  end)

  it("compiles a pattern into a regex object", function()
    local re = assert(R.compile("(\\w+)=(\\d+)", "i"))
    assert.are.equal("dojo.regex /(\\w+)=(\\d+)/i", tostring(re))
    assert.are.equal(2, (re:groups()))
  end)

  it("returns nil and one sentence with the offset for a bad pattern", function()
    local re, err = R.compile("a(b")
    assert.is_nil(re)
    assert.are.equal("bad regular expression at offset 3: missing closing parenthesis", err)
    re, err = R.compile("x{2,1}")
    assert.is_nil(re)
    assert.truthy(err:match("^bad regular expression at offset %d+: "))
    re, err = R.compile("caf\195", "u")
    assert.is_nil(re)
    assert.truthy(has(err, "UTF-8"))
  end)

  it("raises on misuse: a pattern that is not a string, an unknown flag", function()
    assert.truthy(has(raises(R.compile), "bad argument #1"))
    assert.truthy(has(raises(R.compile, {}), "string expected, got table"))
    local err = raises(R.compile, "a", "iq")
    assert.truthy(has(err, "bad argument #2"))
    assert.truthy(has(err, "unknown regular expression flag 'q' (i, m, s, x, u)"))
    assert.truthy(has(raises(R.compile, "a", 5 > 4), "bad argument #2"))
  end)

  it("accepts patterns with NUL bytes", function()
    local re = assert(R.compile("a\0b"))
    assert.are.equal(2, (re:find("xa\0b")))
  end)
end)

describe("re:match", function()
  it("returns the captures, or the whole match when there is no group", function()
    local re = assert(R.compile("(\\w+)@(\\w+)\\.com"))
    local user, host = re:match("mail bob@example.com now")
    assert.are.equal("bob", user)
    assert.are.equal("example", host)
    assert.are.equal("example.com", assert(R.compile("\\w+\\.com")):match("at example.com"))
  end)

  it("returns nil when nothing matches", function()
    local re = assert(R.compile("\\d+"))
    local a, b = re:match("no digits")
    assert.is_nil(a)
    assert.is_nil(b)
    assert.are.equal(1, select("#", re:match("no digits")))
  end)

  it("gives false for a group that did not take part", function()
    local re = assert(R.compile("(a)|(b)"))
    local a, b = re:match("b")
    assert.is_false(a)
    assert.are.equal("b", b)
  end)

  it("starts at init: 1-based, negative from the end, beyond the end matches nothing", function()
    local re = assert(R.compile("\\d"))
    assert.are.equal("1", re:match("1a2b3"))
    assert.are.equal("2", re:match("1a2b3", 2))
    assert.are.equal("3", re:match("1a2b3", -1))
    assert.are.equal("1", re:match("1a2b3", -100))
    assert.are.equal("1", re:match("1a2b3", 0))
    assert.is_nil(re:match("1a2b3", 6))
    assert.is_nil(re:match("1a2b3", 100))
    assert.are.equal("", assert(R.compile("x*")):match("abc", 4))
  end)

  it("matches numbers as their text, like string.match", function()
    assert.are.equal("42", assert(R.compile("\\d+")):match(42))
  end)

  it("raises on misuse", function()
    local re = assert(R.compile("a"))
    assert.truthy(has(raises(function() return re:match() end), "bad argument #1 to 'match'"))
    assert.truthy(has(raises(function() return re:match({}) end), "string expected, got table"))
    assert.truthy(has(raises(function() return re:match("a", "x") end), "bad argument #2 to 'match'"))
    assert.truthy(has(raises(function() return re:match("a", 1.5) end),
                      "number has no integer representation"))
    assert.truthy(has(raises(re.match, "a", "a"), "dojo.regex expected"))
  end)

  it("extracts the missing module from a Python traceback", function()
    local re = assert(R.compile([[^ModuleNotFoundError: No module named '([\w.]+)']], "m"))
    assert.are.equal("lightgbm", re:match(TRACEBACK))
    assert.are.equal("sklearn.ensemble",
                     re:match("ModuleNotFoundError: No module named 'sklearn.ensemble'"))
  end)

  it("extracts the column of a pandas KeyError", function()
    local re = assert(R.compile([[^KeyError: (['"])(.+?)\1$]], "m"))
    local quote, col = re:match(KEYERROR)
    assert.are.equal("'", quote)
    assert.are.equal("SalePrice", col)
    local n = 0
    for _, c in re:gmatch(KEYERROR) do
      n = n + 1
      assert.are.equal("SalePrice", c)
    end
    assert.are.equal(2, n)
  end)
end)

describe("re:find", function()
  it("returns 1-based inclusive positions, then the captures", function()
    local re = assert(R.compile("(\\w+)=(\\d+)"))
    assert.are.same({ 4, 8, "ab", "12" }, { re:find("-- ab=12 --") })
    assert.are.same({ 4, 5 }, { assert(R.compile("b+")):find("aaabb") })
    assert.are.same({ 4, 8, "ab", "12" }, { re:find("-- ab=12 --", 4) })
    assert.are.same({ 5, 8, "b", "12" }, { re:find("-- ab=12 --", 5) })
    assert.is_nil(re:find("-- ab=12 --", 6))
    assert.are.same({ 5, 8, "b", "12" }, { re:find("-- ab=12 --", -7) })
    assert.are.same({ 1, 0 }, { assert(R.compile("")):find("abc") })
    assert.are.same({ 4, 3 }, { assert(R.compile("$")):find("abc") })
  end)

  it("agrees with string.find on byte positions", function()
    local s = "caf\195\169 au lait"
    local a, b = assert(R.compile("au"))  :find(s)
    local c, d = s:find("au", 1, true)
    assert.are.same({ c, d }, { a, b })
  end)
end)

describe("re:exec", function()
  it("returns a table with the positions, the groups and the named groups", function()
    local re = assert(R.compile("(?<exc>\\w+Error): (?<msg>.*)|(x)"))
    local t = assert(re:exec(TRACEBACK))
    assert.are.equal("ModuleNotFoundError", t.exc)
    assert.are.equal("No module named 'lightgbm'", t.msg)
    assert.are.equal(t.exc, t[1])
    assert.are.equal(t.msg, t[2])
    assert.is_false(t[3])
    assert.are.equal(TRACEBACK:sub(t.start, t.stop), t[0])
    assert.are.equal("ModuleNotFoundError: No module named 'lightgbm'", t[0])
    assert.is_nil(re:exec("nothing here"))
    assert.are.equal(3, #t)
  end)

  it("starts at init", function()
    local re = assert(R.compile("\\d+"))
    local t = assert(re:exec("1 22 333", 3))
    assert.are.same({ [0] = "22", start = 3, stop = 4 }, t)
  end)
end)

describe("re:groups", function()
  it("returns the number of groups and the names", function()
    local n, names = assert(R.compile("(?<a>x)(y)(?<b>z)")):groups()
    assert.are.equal(3, n)
    assert.are.same({ a = 1, b = 3 }, names)
    n, names = assert(R.compile("xyz")):groups()
    assert.are.equal(0, n)
    assert.are.same({}, names)
  end)
end)

describe("re:gmatch", function()
  it("iterates over the matches like string.gmatch", function()
    local re = assert(R.compile("(\\w+)=(\\w+)"))
    local out = {}
    for k, v in re:gmatch("a=1, b=2, c=3") do out[#out + 1] = k .. ":" .. v end
    assert.are.same({ "a:1", "b:2", "c:3" }, out)
    out = {}
    for w in assert(R.compile("\\d+")):gmatch("10 20 30", 2) do out[#out + 1] = w end
    assert.are.same({ "0", "20", "30" }, out)
  end)

  it("steps over empty matches without looping (Perl's rule)", function()
    local out = {}
    for m in assert(R.compile("b*")):gmatch("abc") do out[#out + 1] = m end
    assert.are.same({ "", "b", "", "" }, out)
    out = {}
    for m in assert(R.compile("")):gmatch("") do out[#out + 1] = m end
    assert.are.same({ "" }, out)
    out = {}
    for m in assert(R.compile("x*", "u")):gmatch("\195\169\195\169") do out[#out + 1] = m end
    assert.are.equal(3, #out) -- one empty match before, between and after the two characters
  end)

  it("raises a match error, since a for loop cannot carry it", function()
    local re = assert(R.compile("(a+)+$"))
    local err = raises(function() for _ in re:gmatch(string.rep("a", 40) .. "b") do end end)
    assert.truthy(has(err, "regular expression match limit exceeded"))
  end)

  it("raises when the regex is closed during the loop", function()
    local re = assert(R.compile("\\d"))
    local err = raises(function()
      for _ in re:gmatch("123") do re:close() end
    end)
    assert.truthy(has(err, "regex is closed"))
  end)
end)

describe("re:gsub", function()
  it("replaces with a $ template: $0, $n, ${n}, $name, ${name}, $$", function()
    local re = assert(R.compile("(?<key>\\w+)=(\\d+)"))
    assert.are.same({ "1:a:$, 22:b:$, c=x", 2 }, { re:gsub("a=1, b=22, c=x", "$2:${key}:$$") })
    assert.are.same({ "[a=1] [b=22]", 2 }, { re:gsub("a=1 b=22", "[$0]") })
    assert.are.same({ "a1 b22", 2 }, { re:gsub("a=1 b=22", "$key${2}") })
    assert.are.same({ "%1 %1", 2 }, { re:gsub("a=1 b=22", "%1") })
    assert.are.same({ "7 7", 2 }, { re:gsub("a=1 b=22", 7) })
  end)

  it("replaces at most n matches", function()
    local re = assert(R.compile("\\d"))
    assert.are.same({ "x 2 3", 1 }, { re:gsub("1 2 3", "x", 1) })
    assert.are.same({ "x x 3", 2 }, { re:gsub("1 2 3", function() return "x" end, 2) })
    assert.are.same({ "1 2 3", 0 }, { re:gsub("1 2 3", "x", 0) })
    assert.are.same({ "1 2 3", 0 }, { re:gsub("1 2 3", "x", -1) })
  end)

  it("looks a table up by the first capture, or by the whole match", function()
    local re = assert(R.compile("\\$(\\w+)"))
    local env = { HOME = "/home/me", N = 3 }
    assert.are.same({ "/home/me/x $USER 3", 3 }, { re:gsub("$HOME/x $USER $N", env) })
    assert.are.same({ "one two 3", 3 }, { assert(R.compile("\\d")):gsub("1 2 3", { ["1"] = "one", ["2"] = "two" }) })
  end)

  it("calls a function with the captures; false or nil keeps the match", function()
    local re = assert(R.compile("(\\w+)=(\\d+)"))
    local s, n = re:gsub("a=1 b=2 c=3", function(k, v)
      if k == "b" then return nil end
      if k == "c" then return false end
      return k:upper() .. v * 10
    end)
    assert.are.equal("A10 b=2 c=3", s)
    assert.are.equal(3, n)
    assert.are.same({ "<ab>", 1 }, { assert(R.compile("\\w+")):gsub("ab", function(m) return "<" .. m .. ">" end) })
  end)

  it("passes false for a group that did not take part", function()
    local re = assert(R.compile("(x)?y"))
    local seen = {}
    local s = re:gsub("y xy", function(x) seen[#seen + 1] = x return x or "-" end)
    assert.are.same({ false, "x" }, seen)
    assert.are.equal("- x", s)
    assert.are.same({ "<> <x>", 2 }, { re:gsub("y xy", "<$1>") })
  end)

  it("follows Perl's rule for empty matches, for every kind of replacement", function()
    local re = assert(R.compile("b*"))
    assert.are.same({ "-a--c-", 4 }, { re:gsub("abc", "-") })
    assert.are.same({ "-a--c-", 4 }, { re:gsub("abc", function() return "-" end) })
    assert.are.same({ "-", 1 }, { re:gsub("", "-") })
  end)

  it("may use the same regex inside the replacement function", function()
    local re = assert(R.compile("\\d+"))
    local s = re:gsub("1 22 333", function(m) return tostring(#m) .. (re:match("x9x") or "") end)
    assert.are.equal("19 29 39", s)
  end)

  it("returns nil and a message for a bad template or a match over the limit", function()
    local re = assert(R.compile("(\\w)"))
    local s, err = re:gsub("abc", "$2")
    assert.is_nil(s)
    assert.are.equal("bad replacement at offset 0: group 2 does not exist (the pattern has 1)", err)
    s, err = re:gsub("abc", "${nope}")
    assert.is_nil(s)
    assert.are.equal("bad replacement at offset 0: no group named 'nope'", err)
    s, err = re:gsub("abc", "50$")
    assert.is_nil(s)
    assert.truthy(has(err, "at offset 2"))
    local bad = assert(R.compile("(a+)+$"))
    s, err = bad:gsub(string.rep("a", 40) .. "b", "x")
    assert.is_nil(s)
    assert.are.equal("regular expression match limit exceeded", err)
    s, err = bad:gsub(string.rep("a", 40) .. "b", function() return "x" end)
    assert.is_nil(s)
    assert.are.equal("regular expression match limit exceeded", err)
  end)

  it("raises on misuse: a bad repl, a bad replacement value", function()
    local re = assert(R.compile("\\w"))
    assert.truthy(has(raises(function() return re:gsub("abc") end),
                      "bad argument #2 to 'gsub' (string/function/table expected, got no value)"))
    assert.truthy(has(raises(function() return re:gsub("abc", true) end),
                      "bad argument #2 to 'gsub' (string/function/table expected, got boolean)"))
    assert.truthy(has(raises(function() return re:gsub("abc", function() return {} end) end),
                      "invalid replacement value (a table)"))
    assert.truthy(has(raises(function() return re:gsub("abc", "x", "many") end),
                      "bad argument #3 to 'gsub'"))
    assert.truthy(has(raises(function() return re:gsub(nil, "x") end), "bad argument #1 to 'gsub'"))
  end)

  it("raises when the function closes the regex", function()
    local re = assert(R.compile("\\w"))
    assert.truthy(has(raises(re.gsub, re, "abc", function() re:close() end), "regex is closed"))
  end)

  it("rewrites a traceback's paths and keeps the rest", function()
    local re = assert(R.compile([[File "(?:[^"/]*/)*([^"/]+)"]]))
    local s, n = re:gsub(KEYERROR, 'File "$1"')
    assert.are.equal(3, n)
    assert.truthy(has(s, 'File "base.py", line 3653'))
    assert.truthy(has(s, 'File "train.py", line 9'))
    assert.truthy(has(s, "KeyError: 'SalePrice'"))
  end)
end)

describe("flags", function()
  it("i, m, s, x and combinations", function()
    assert.are.equal("ERROR", R.match("An ERROR here", "error", "i"))
    assert.is_nil(R.match("a\nb\nc", "^b$"))
    assert.are.equal("b", R.match("a\nb\nc", "^b$", "m"))
    assert.is_nil(R.match("a\nb", "a.b"))
    assert.are.equal("a\nb", R.match("a\nb", "a.b", "s"))
    assert.are.equal("ab", R.match("xab", " a  b  # comment", "x"))
    assert.are.equal("A\nB", R.match("x\nA\nB", "^a$ . ^b$", "imsx"))
    assert.are.equal("ERROR", R.match("An ERROR here", "(?i)error"))
  end)

  it("u: UTF-8 characters and Unicode classes; byte offsets; invalid bytes do not fail", function()
    local s = "caf\195\169 na\195\175ve"
    assert.is_nil(R.match("caf\195\169", "^\\w{4}$"))
    assert.are.equal("caf\195\169", R.match("caf\195\169", "^\\w{4}$", "u"))
    assert.are.same({ 7, 12 }, { R.find(s, "na.ve", "u") })
    assert.is_nil(R.find(s, "na.ve"))
    assert.are.equal("l'\195\169t\195\169", R.match("l'\195\169t\195\169", "l'\195\137T\195\137", "iu"))
    assert.are.equal("caf\195\169", R.match("\255\254caf\195\169", "\\w+", "u"))
    local words = {}
    for w in assert(R.compile("\\w+", "u")):gmatch("\255 un caf\195\169 \254 cr\195\168me") do words[#words + 1] = w end
    assert.are.same({ "un", "caf\195\169", "cr\195\168me" }, words)
  end)
end)

describe("limits", function()
  it("a catastrophic pattern fails with a message instead of hanging", function()
    local re = assert(R.compile("(a+)+$"))
    local subject = string.rep("a", 40) .. "b"
    local t0 = os.clock()
    for _, fn in ipairs { "match", "find", "exec" } do
      local v, err = re[fn](re, subject)
      assert.is_nil(v)
      assert.are.equal("regular expression match limit exceeded", err)
    end
    assert.truthy(os.clock() - t0 < 10)
    assert.are.equal(string.rep("a", 40), (re:match(string.rep("a", 40))))
  end)

  it("a long repeated group still matches", function()
    local s = string.rep("x", 200000) .. "z"
    local a, b = assert(R.compile("(x|y)*z")):find(s)
    assert.are.same({ 1, #s }, { a, b })
  end)
end)

describe("closing", function()
  it("close() is idempotent; a closed regex raises on use", function()
    local re = assert(R.compile("a"))
    re:close()
    re:close()
    assert.are.equal("dojo.regex (closed)", tostring(re))
    for _, fn in ipairs { "match", "find", "exec", "gmatch", "groups" } do
      assert.truthy(has(raises(re[fn], re, "a"), "regex is closed"))
    end
    assert.truthy(has(raises(re.gsub, re, "a", "b"), "regex is closed"))
  end)

  it("a gmatch iterator made before close() raises afterwards", function()
    local re = assert(R.compile("a"))
    local it = re:gmatch("aaa")
    assert.are.equal("a", it())
    re:close()
    assert.truthy(has(raises(it), "regex is closed"))
  end)

  it("the collector frees regexes", function()
    for _ = 1, 200 do assert(R.compile("(\\w+)\\s+(?<n>\\d+)")) end
    collectgarbage()
    collectgarbage()
  end)

  if not jit then
    it("a <close> variable closes the regex at the end of its scope (Lua 5.4)", function()
      local chunk = assert(load([[
        local R = ...
        local keep
        do
          local re <close> = assert(R.compile("a"))
          keep = re
          assert(re:match("a") == "a")
        end
        return keep
      ]]))
      local re = chunk(R)
      assert.are.equal("dojo.regex (closed)", tostring(re))
    end)
  end
end)

describe("module functions", function()
  it("match, find, gmatch and gsub compile through a cache", function()
    assert.are.equal("lightgbm", R.match(TRACEBACK, [[No module named '([\w.]+)']]))
    assert.are.equal("LightGBM", R.match("import LightGBM", "lightgbm", "i"))
    assert.are.equal("22", R.match("1 22", "\\d+", nil, 2))
    assert.are.same({ 3, 4 }, { R.find("1 22", "\\d+", "", 2) })
    local out = {}
    for k, v in R.gmatch("a=1 b=2", "(\\w)=(\\d)") do out[#out + 1] = k .. v end
    assert.are.same({ "a1", "b2" }, out)
    assert.are.same({ "X=1 b=2", 1 }, { R.gsub("a=1 b=2", "A", "X", 1, "i") })
    assert.are.same({ "1=a 2=b", 2 }, { R.gsub("a=1 b=2", "(\\w)=(\\d)", "$2=$1") })
    for i = 1, 200 do -- more patterns than the cache holds
      assert.are.equal(tostring(i), R.match("n" .. i, "\\d+" .. string.rep("", i) .. "(?#" .. i .. ")"))
    end
  end)

  it("return nil and the message for a bad pattern (gmatch raises it)", function()
    local v, err = R.match("x", "a(")
    assert.is_nil(v)
    assert.are.equal("bad regular expression at offset 2: missing closing parenthesis", err)
    v, err = R.find("x", "a(")
    assert.is_nil(v)
    assert.truthy(has(err, "missing closing parenthesis"))
    v, err = R.gsub("x", "a(", "y")
    assert.is_nil(v)
    assert.truthy(has(err, "missing closing parenthesis"))
    assert.truthy(has(raises(R.gmatch, "x", "a("), "missing closing parenthesis"))
  end)

  it("raise on misuse", function()
    assert.truthy(has(raises(R.match, "x"), "bad argument #2 to 'match'"))
    assert.truthy(has(raises(R.find, "x", 5), "bad argument #2 to 'find'"))
    assert.truthy(has(raises(R.match, "x", "x", 5), "flags must be a string"))
    assert.truthy(has(raises(R.match, "x", "x", "q"), "unknown regular expression flag 'q'"))
  end)

  it("escape makes a pattern that matches the text literally", function()
    local text = "a.b*c\0d(e)[f]{g}|h^$\\i?+ j\n#k \195\169"
    local p = R.escape(text)
    assert.are.same({ 3, 2 + #text }, { R.find("xx" .. text .. "yy", p) })
    assert.are.same({ 3, 2 + #text }, { R.find("xx" .. text .. "yy", p, "x") })
    assert.are.same({ 3, 2 + #text }, { R.find("xx" .. text .. "yy", p, "u") })
    assert.are.equal("abc123", R.escape("abc123"))
    assert.truthy(has(raises(R.escape, nil), "bad argument #1 to 'escape'"))
  end)
end)

describe("core.gzip and core.gunzip", function()
  local function tmpfile(suffix)
    local p = os.tmpname()
    os.remove(p)
    return p .. (suffix or "")
  end

  it("round-trip text and binary data at every level", function()
    local parts = {}
    for i = 1, 5000 do parts[i] = string.char(i % 256) .. "row " .. i .. "\n" end
    local data = table.concat(parts)
    for level = -1, 9 do
      local z = assert(core.gzip(data, level))
      assert.are.equal("\31\139", z:sub(1, 2))
      assert.are.equal(data, core.gunzip(z))
    end
    assert.truthy(#core.gzip(data, 9) < #core.gzip(data, 0))
  end)

  it("handle empty input: gzip of \"\" round-trips, gunzip of \"\" is refused", function()
    local z = assert(core.gzip(""))
    assert.are.equal("", core.gunzip(z))
    local s, err = core.gunzip("")
    assert.is_nil(s)
    assert.are.equal("not gzip data: the input is empty", err)
  end)

  it("read concatenated members, like gzip -d", function()
    assert.are.equal("hello, world", core.gunzip(core.gzip("hello, ") .. core.gzip("world", 1)))
  end)

  it("return nil and a message for corrupt, truncated or foreign data", function()
    local z = assert(core.gzip(string.rep("abcdefgh", 1000)))
    local s, err = core.gunzip(z:sub(1, math.floor(#z / 2)))
    assert.is_nil(s)
    assert.truthy(has(err, "truncated gzip data"))
    local flipped = z:sub(1, #z - 6) .. string.char((z:byte(#z - 5) + 1) % 256) .. z:sub(#z - 4)
    s, err = core.gunzip(flipped)
    assert.is_nil(s)
    assert.truthy(err:match("^corrupt gzip data at byte %d+: incorrect data check$"), err)
    s, err = core.gunzip("plain text")
    assert.is_nil(s)
    assert.truthy(has(err, "not gzip data"))
    s, err = core.gunzip(z .. "junk")
    assert.is_nil(s)
    assert.truthy(has(err, "unexpected bytes after a member"))
  end)

  it("stop at max_bytes: a small archive of a large output fails early", function()
    local big = string.rep("\0", 4 * 1024 * 1024)
    local z = assert(core.gzip(big, 9))
    assert.truthy(#z < 10000)
    local s, err = core.gunzip(z, 1024 * 1024)
    assert.is_nil(s)
    assert.are.equal("gzip data inflates to more than the 1048576-byte limit", err)
    assert.are.equal(#big, #assert(core.gunzip(z, #big)))
    assert.is_nil((core.gunzip(z, #big - 1)))
  end)

  it("interoperate with the CSV reader and writer", function()
    local p = tmpfile(".csv.gz")
    assert(core.file_write(p, core.gzip("id,x\n1,0.5\n2,1.5\n")))
    local t = assert(dojo.table.read(p))
    assert.are.equal(2, t.nrows)
    local q = tmpfile(".csv.gz")
    assert(t:write(q))
    assert.are.equal("id,x\n1,0.5\n2,1.5\n", core.gunzip(assert(core.file_read(q))))
    os.remove(p)
    os.remove(q)
  end)

  it("raise on misuse", function()
    assert.truthy(has(raises(core.gzip), "bad argument #1"))
    assert.truthy(has(raises(core.gzip, "x", 10), "level must be in -1..9"))
    assert.truthy(has(raises(core.gzip, "x", -2), "level must be in -1..9"))
    assert.truthy(has(raises(core.gunzip, {}), "bad argument #1"))
    assert.truthy(has(raises(core.gunzip, "x", -1), "limit must be >= 0"))
    assert.truthy(has(raises(core.gunzip, "x", "lots"), "bad argument #2"))
  end)
end)
