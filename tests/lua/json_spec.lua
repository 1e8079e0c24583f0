-- Spec for dojo.json. Run from the repository root with:
--   lua5.4 /usr/bin/busted --lpath='lua/?.lua;lua/?/init.lua' tests/lua/json_spec.lua
--   luajit /usr/bin/busted --lpath='lua/?.lua;lua/?/init.lua' tests/lua/json_spec.lua

local json = require("dojo.json")

local is_lua54 = math.type ~= nil

local function encode_err(value, opts)
  local s, err = json.encode(value, opts)
  assert.is_nil(s)
  assert.is_string(err)
  return err
end

local function decode_err(text, opts)
  local v, err = json.decode(text, opts)
  assert.is_nil(v)
  assert.is_string(err)
  return err
end

local function is_neg_zero(x)
  return x == 0 and 1 / x < 0
end

describe("dojo.json", function()
  describe("encode scalars", function()
    it("encodes literals", function()
      assert.are.equal("true", json.encode(true))
      assert.are.equal("false", json.encode(false))
      assert.are.equal("null", json.encode(nil))
      assert.are.equal("null", json.encode(json.null))
    end)

    it("encodes integers without a fraction", function()
      assert.are.equal("1", json.encode(1))
      assert.are.equal("-1", json.encode(-1))
      assert.are.equal("0", json.encode(0))
      assert.are.equal("1", json.encode(1.0))
      assert.are.equal("-42", json.encode(-42.0))
      assert.are.equal("123456789012", json.encode(123456789012))
      assert.are.equal("1000000000000000", json.encode(1e15))
      assert.are.equal("9007199254740991", json.encode(2 ^ 53 - 1))
      assert.are.equal("-9007199254740991", json.encode(-(2 ^ 53 - 1)))
    end)

    it("encodes -0.0 as -0", function()
      assert.are.equal("-0", json.encode(-(0 * 1.0)))
      assert.are.equal("-0", json.encode(-1 / math.huge))
    end)

    if is_lua54 then
      it("encodes Lua 5.4 integers exactly", function()
        assert.are.equal("9223372036854775807", json.encode(math.maxinteger))
        assert.are.equal("-9223372036854775808", json.encode(math.mininteger))
        assert.are.equal("9007199254740993", json.encode(9007199254740993))
      end)
    end

    it("encodes floats with the shortest round-trip form", function()
      assert.are.equal("1.5", json.encode(1.5))
      assert.are.equal("0.1", json.encode(0.1))
      assert.are.equal("-2.5", json.encode(-2.5))
      assert.are.equal("1e+300", json.encode(1e300))
      assert.are.equal("1e-07", json.encode(1e-7))
      assert.are.equal("1e+20", json.encode(1e20))
      assert.are.equal("0.3333333333333333", json.encode(1 / 3))
      assert.are.equal("0.30000000000000004", json.encode(0.1 + 0.2))
      assert.are.equal("1.7976931348623157e+308", json.encode(1.7976931348623157e308))
      assert.are.equal("9007199254740992", json.encode(2 ^ 53))
    end)

    it("round-trips many floats exactly", function()
      local seed = 12345
      for _ = 1, 2000 do
        seed = (seed * 1103515245 + 12345) % 2147483648
        local x = (seed / 2147483648 - 0.5) * 10 ^ ((seed % 600) - 300)
        local s = assert(json.encode(x))
        assert.are.equal(x, tonumber(s))
        assert.are.equal(x, json.decode(s))
      end
    end)

    it("rejects NaN and infinities", function()
      assert.are.equal("cannot encode NaN/inf as JSON", encode_err(0 / 0))
      assert.are.equal("cannot encode NaN/inf as JSON", encode_err(math.huge))
      assert.are.equal("cannot encode NaN/inf as JSON", encode_err(-math.huge))
      assert.are.equal("cannot encode NaN/inf as JSON", encode_err({ a = { 1, 0 / 0 } }))
    end)

    it("encodes NaN and infinities as null with opts.nan = 'null'", function()
      assert.are.equal("[null,null,null,1]",
        json.encode({ 0 / 0, math.huge, -math.huge, 1 }, { nan = "null" }))
    end)

    it("rejects values of unsupported types", function()
      assert.are.equal("cannot encode a value of type function", encode_err(print))
      assert.are.equal("cannot encode a value of type thread",
        encode_err({ coroutine.create(function() end) }))
    end)
  end)

  describe("encode strings", function()
    it("escapes quotes, backslashes and named control characters", function()
      assert.are.equal([["a\"b\\c"]], json.encode('a"b\\c'))
      assert.are.equal([["\n\t\r\b\f"]], json.encode("\n\t\r\b\f"))
      assert.are.equal([["/"]], json.encode("/"))
      assert.are.equal([[""]], json.encode(""))
    end)

    it("escapes other control characters and DEL as \\u00XX", function()
      assert.are.equal([["\u0000\u0001\u001f\u007f"]], json.encode("\0\1\31\127"))
      for i = 0, 31 do
        local s = json.encode(string.char(i))
        assert.are.equal(string.char(i), json.decode(s))
        assert.is_nil(s:find("[%c]"))
      end
    end)

    it("leaves valid UTF-8 untouched", function()
      local s = "héllo wörld € 😀 日本語"
      assert.are.equal('"' .. s .. '"', json.encode(s))
    end)

    it("replaces each invalid UTF-8 byte with U+FFFD", function()
      local R = "\239\191\189"
      assert.are.equal('"a' .. R .. 'b"', json.encode("a\255b"))
      assert.are.equal('"' .. R .. R .. '"', json.encode("\192\128"))         -- overlong
      assert.are.equal('"' .. R .. R .. R .. '"', json.encode("\237\160\128")) -- surrogate
      assert.are.equal('"' .. R .. R .. '"', json.encode("\226\130"))         -- truncated
      assert.are.equal('"' .. R .. R .. R .. R .. '"', json.encode("\244\144\128\128")) -- > U+10FFFF
      assert.are.equal('"\226\130\172' .. R .. '"', json.encode("\226\130\172\128"))
      assert.are.equal('"' .. R .. '\\n"', json.encode("\200\n"))
    end)
  end)

  describe("encode tables", function()
    it("encodes sequences as arrays", function()
      assert.are.equal("[1,2,3]", json.encode({ 1, 2, 3 }))
      assert.are.equal('[1,"a",true,null,[]]', json.encode({ 1, "a", true, json.null, json.array() }))
    end)

    it("encodes string-keyed tables as objects with sorted keys", function()
      assert.are.equal('{"a":1,"b":2,"c":{"x":true,"y":false}}',
        json.encode({ c = { y = false, x = true }, b = 2, a = 1 }))
    end)

    it("sorts keys bytewise", function()
      assert.are.equal('{"":0,"A":1,"B":2,"a":3,"aa":4,"b":5}',
        json.encode({ b = 5, aa = 4, a = 3, B = 2, A = 1, [""] = 0 }))
    end)

    it("honours sort_keys = false", function()
      local t = { a = 1, b = 2, c = 3, d = 4 }
      local s = json.encode(t, { sort_keys = false })
      assert.are.same(t, json.decode(s))
    end)

    it("encodes empty tables as {} unless marked as arrays", function()
      assert.are.equal("{}", json.encode({}))
      assert.are.equal("[]", json.encode(json.array()))
      assert.are.equal("[]", json.encode(json.array({})))
      assert.are.equal("{}", json.encode(json.object()))
      assert.are.equal('{"a":[],"b":{}}', json.encode({ a = json.array(), b = {} }))
    end)

    it("json.array and json.object return their argument", function()
      local t = {}
      assert.are.equal(t, json.array(t))
      local u = {}
      assert.are.equal(u, json.object(u))
    end)

    it("json.object forces an object and converts number keys to strings", function()
      assert.are.equal('{"1":"a","2":"b"}', json.encode(json.object({ "a", "b" })))
      assert.are.equal('{"-1":3,"2.5":2,"x":1}', json.encode(json.object({ x = 1, [2.5] = 2, [-1] = 3 })))
    end)

    it("rejects number/string key collisions in object-marked tables", function()
      assert.are.equal('cannot encode a table with duplicate key "1"',
        encode_err(json.object({ [1] = "a", ["1"] = "b" })))
    end)

    it("json.array encodes holes as null", function()
      assert.are.equal("[1,null,3]", json.encode(json.array({ [1] = 1, [3] = 3 })))
      assert.are.equal("[null,2]", json.encode(json.array({ [2] = 2 })))
    end)

    it("rejects non-index keys in array-marked tables", function()
      assert.are.equal("cannot encode an array-marked table with non-index key x",
        encode_err(json.array({ 1, x = 2 })))
    end)

    it("rejects mixed keys", function()
      assert.are.equal("cannot encode a table with mixed keys", encode_err({ 1, 2, x = 3 }))
      assert.are.equal("cannot encode a table with mixed keys", encode_err({ [1.5] = 1, x = 3 }))
    end)

    it("rejects sparse arrays", function()
      local msg = "cannot encode a sparse array (keys are not exactly 1..n; use json.array or json.object)"
      assert.are.equal(msg, encode_err({ [1] = 1, [3] = 3 }))
      assert.are.equal(msg, encode_err({ [2] = 1 }))
      assert.are.equal(msg, encode_err({ [0] = 1, [1] = 2 }))
      assert.are.equal(msg, encode_err({ [1.5] = 1 }))
    end)

    it("rejects keys that are not strings or numbers", function()
      assert.are.equal("cannot encode a table key of type boolean", encode_err({ [true] = 1 }))
      assert.are.equal("cannot encode a table key of type table", encode_err({ [{}] = 1 }))
      assert.are.equal("cannot encode a table key of type boolean", encode_err(json.object({ [false] = 1 })))
    end)

    it("rejects cyclic tables", function()
      local t = { a = {} }
      t.a.b = t
      assert.are.equal("cannot encode a cyclic table", encode_err(t))
      local arr = {}
      arr[1] = arr
      assert.are.equal("cannot encode a cyclic table", encode_err(arr))
    end)

    it("allows shared (non-cyclic) references", function()
      local shared = { 1, 2 }
      assert.are.equal('{"a":[1,2],"b":[1,2]}', json.encode({ a = shared, b = shared }))
      assert.are.equal("[[1,2],[1,2]]", json.encode({ shared, shared }))
    end)

    it("limits nesting depth to 1000", function()
      local function nest(levels)
        local root = {}
        local cur = root
        for _ = 2, levels do
          cur[1] = {}
          cur = cur[1]
        end
        return root
      end
      local s = assert(json.encode(nest(1000)))
      assert.are.equal(("["):rep(999) .. "{}" .. ("]"):rep(999), s)
      assert.are.equal("cannot encode a table nested deeper than 1000 levels", encode_err(nest(1001)))
      assert.are.equal("cannot encode a table nested deeper than 1000 levels", encode_err(nest(100000)))
    end)
  end)

  describe("pretty printing", function()
    it("produces the exact indented output", function()
      local value = {
        name = "dojo",
        list = { 1, 2.5, "x" },
        empty_a = json.array(),
        empty_o = {},
        nested = { b = { true }, a = json.null },
      }
      local expected = table.concat({
        "{",
        '  "empty_a": [],',
        '  "empty_o": {},',
        '  "list": [',
        "    1,",
        "    2.5,",
        '    "x"',
        "  ],",
        '  "name": "dojo",',
        '  "nested": {',
        '    "a": null,',
        '    "b": [',
        "      true",
        "    ]",
        "  }",
        "}",
      }, "\n")
      assert.are.equal(expected, json.encode(value, { indent = 2 }))
    end)

    it("supports other indent widths", function()
      assert.are.equal('[\n    1,\n    {\n        "a": 1\n    }\n]', json.encode({ 1, { a = 1 } }, { indent = 4 }))
      assert.are.equal('[\n1,\n2\n]', json.encode({ 1, 2 }, { indent = 0 }))
      assert.are.equal("1", json.encode(1, { indent = 2 }))
    end)

    it("is compact with no spaces by default", function()
      assert.are.equal('{"a":[1,2],"b":{"c":null}}', json.encode({ a = { 1, 2 }, b = { c = json.null } }))
    end)

    it("rejects an invalid indent", function()
      assert.are.equal("invalid option: indent must be a non-negative integer", encode_err({}, { indent = -1 }))
      assert.are.equal("invalid option: indent must be a non-negative integer", encode_err({}, { indent = "  " }))
    end)
  end)

  describe("encode_line", function()
    it("encodes compactly on one line", function()
      local s = json.encode_line({ text = "line1\nline2", n = { 1, 2 } })
      assert.are.equal('{"n":[1,2],"text":"line1\\nline2"}', s)
      assert.is_nil(s:find("\n", 1, true))
    end)

    it("ignores indent", function()
      assert.are.equal("[1,2]", json.encode_line({ 1, 2 }, { indent = 2 }))
    end)

    it("reports the same errors as encode", function()
      local s, err = json.encode_line({ 1, x = 1 })
      assert.is_nil(s)
      assert.are.equal("cannot encode a table with mixed keys", err)
      s, err = json.encode_line(0 / 0)
      assert.is_nil(s)
      assert.are.equal("cannot encode NaN/inf as JSON", err)
    end)
  end)

  describe("is_array", function()
    it("detects arrays", function()
      assert.is_true(json.is_array({ 1, 2 }))
      assert.is_true(json.is_array(json.array()))
      assert.is_false(json.is_array({}))
      assert.is_false(json.is_array({ a = 1 }))
      assert.is_false(json.is_array({ [1] = 1, [3] = 3 }))
      assert.is_false(json.is_array(json.object({ 1 })))
      assert.is_false(json.is_array("x"))
      assert.is_false(json.is_array(json.null))
    end)
  end)

  describe("decode values", function()
    it("decodes literals", function()
      assert.is_true(json.decode("true"))
      assert.is_false(json.decode("false"))
      assert.are.equal(json.null, json.decode("null"))
      assert.are.equal("json.null", tostring(json.null))
    end)

    it("decodes integers", function()
      assert.are.equal(0, json.decode("0"))
      assert.are.equal(42, json.decode("42"))
      assert.are.equal(-17, json.decode("-17"))
      if is_lua54 then
        assert.are.equal("integer", math.type(json.decode("42")))
        assert.are.equal(math.maxinteger, json.decode("9223372036854775807"))
        assert.are.equal(math.mininteger, json.decode("-9223372036854775808"))
        assert.are.equal("integer", math.type(json.decode("-9223372036854775808")))
        assert.are.equal("float", math.type(json.decode("9223372036854775808")))
        assert.are.equal(2 ^ 63, json.decode("9223372036854775808"))
      else
        assert.are.equal(2 ^ 63, json.decode("9223372036854775808"))
      end
    end)

    it("decodes floats", function()
      assert.are.equal(1.5, json.decode("1.5"))
      assert.are.equal(-0.25, json.decode("-0.25"))
      assert.are.equal(100, json.decode("1e2"))
      assert.are.equal(100, json.decode("1E+2"))
      assert.are.equal(0.01, json.decode("1e-2"))
      assert.are.equal(1e300, json.decode("1e300"))
      assert.are.equal(0.1, json.decode("0.1"))
      assert.are.equal(math.huge, json.decode("1e400"))
      if is_lua54 then
        assert.are.equal("float", math.type(json.decode("1.0")))
        assert.are.equal("float", math.type(json.decode("1e2")))
      end
    end)

    it("decodes -0 as the float -0.0", function()
      assert.is_true(is_neg_zero(json.decode("-0")))
      assert.is_true(is_neg_zero(json.decode("-0.0")))
      assert.is_false(is_neg_zero(json.decode("0")))
      assert.are.equal("-0", json.encode(json.decode("-0")))
    end)

    it("decodes strings with all escapes", function()
      assert.are.equal('"\\/\b\f\n\r\t', json.decode([["\"\\\/\b\f\n\r\t"]]))
      assert.are.equal("", json.decode('""'))
      assert.are.equal("a\0b", json.decode([["a\u0000b"]]))
      assert.are.equal("\127", json.decode('"\127"'))
    end)

    it("decodes \\u escapes to UTF-8", function()
      assert.are.equal("A", json.decode([["\u0041"]]))
      assert.are.equal("é", json.decode([["\u00e9"]]))
      assert.are.equal("é", json.decode([["\u00E9"]]))
      assert.are.equal("€", json.decode([["\u20ac"]]))
      assert.are.equal("\239\191\191", json.decode([["\uffff"]]))
    end)

    it("combines surrogate pairs", function()
      assert.are.equal("😀", json.decode([["\ud83d\ude00"]]))
      assert.are.equal("😀x", json.decode([["\uD83D\uDE00x"]]))
      assert.are.equal("\240\144\128\128", json.decode([["\ud800\udc00"]]))
      assert.are.equal("\244\143\191\191", json.decode([["\udbff\udfff"]]))
    end)

    it("decodes lone surrogates as U+FFFD", function()
      local R = "\239\191\189"
      assert.are.equal(R, json.decode([["\ud83d"]]))
      assert.are.equal(R .. "x", json.decode([["\ud83dx"]]))
      assert.are.equal(R, json.decode([["\ude00"]]))
      assert.are.equal(R .. "A", json.decode([["\ud83d\u0041"]]))
      assert.are.equal(R .. R, json.decode([["\ud83d\ud83d"]]))
    end)

    it("keeps raw UTF-8 in strings", function()
      assert.are.equal("日本語 😀", json.decode('"日本語 😀"'))
    end)

    it("decodes arrays and objects", function()
      assert.are.same({ 1, 2, { 3, { a = "b" } } }, json.decode('[1,2,[3,{"a":"b"}]]'))
      assert.are.same({}, json.decode("[]"))
      assert.are.same({}, json.decode("{}"))
      assert.are.same({ a = { b = { c = json.null } } }, json.decode('{"a":{"b":{"c":null}}}'))
    end)

    it("marks decoded arrays so that empty arrays round-trip", function()
      assert.are.equal("[]", json.encode(json.decode("[]")))
      assert.are.equal("{}", json.encode(json.decode("{}")))
      assert.are.equal('{"a":[],"b":{}}', json.encode(json.decode('{"a":[],"b":{}}')))
      assert.is_true(json.is_array(json.decode("[]")))
    end)

    it("lets the last duplicate key win", function()
      assert.are.same({ a = 2 }, json.decode('{"a":1,"a":2}'))
    end)

    it("accepts all JSON whitespace and a leading BOM", function()
      assert.are.same({ 1, { a = 2 } }, json.decode(' \t\r\n[ 1 ,\n\t{ "a" :\r\n 2 } ] \n'))
      assert.are.same({ 1 }, json.decode("\239\187\191[1]"))
    end)

    it("maps null according to options", function()
      assert.are.same({ 1, json.null, 3 }, json.decode("[1,null,3]"))
      assert.are.same({ a = false }, json.decode('{"a":null}', { null = false }))
      local t = json.decode('{"a":null,"b":1}', { null_as_nil = true })
      assert.are.same({ b = 1 }, t)
      local arr = json.decode("[1,null,3]", { null_as_nil = true })
      assert.are.equal(1, arr[1])
      assert.is_nil(arr[2])
      assert.are.equal(3, arr[3])
      assert.are.equal("[1,null,3]", json.encode(arr))
      assert.is_nil(json.decode("null", { null_as_nil = true }))
      -- the default is restored after a call with options
      assert.are.equal(json.null, json.decode("null"))
    end)

    it("allows a custom depth limit", function()
      assert.are.same({ { 1 } }, json.decode("[[1]]", { max_depth = 2 }))
      assert.are.equal("invalid JSON at line 1, column 3: maximum nesting depth of 2 exceeded",
        decode_err("[[[1]]]", { max_depth = 2 }))
    end)
  end)

  describe("decode errors", function()
    local cases = {
      { "", 1, 1, "unexpected end of input" },
      { "   ", 1, 4, "unexpected end of input" },
      { "[", 1, 2, "unexpected end of input" },
      { "[1", 1, 3, "unexpected end of input" },
      { "[1,", 1, 4, "unexpected end of input" },
      { "{", 1, 2, "unexpected end of input" },
      { '{"a"', 1, 5, "unexpected end of input" },
      { '{"a":', 1, 6, "unexpected end of input" },
      { '{"a":1', 1, 7, "unexpected end of input" },
      { "[1,]", 1, 4, "trailing comma is not allowed" },
      { '{"a":1,}', 1, 8, "trailing comma is not allowed" },
      { "[1 2]", 1, 4, "expected ',' or ']'" },
      { "[1}", 1, 3, "expected ',' or ']'" },
      { '{"a":1 "b":2}', 1, 8, "expected ',' or '}'" },
      { '{"a":1]', 1, 7, "expected ',' or '}'" },
      { '{"a" 1}', 1, 6, "expected ':'" },
      { "{a:1}", 1, 2, "expected a string key" },
      { "{'a':1}", 1, 2, "expected a string key" },
      { "{1:2}", 1, 2, "expected a string key" },
      { "[,1]", 1, 2, "expected a value but found ','" },
      { "[1,,2]", 1, 4, "expected a value but found ','" },
      { "]", 1, 1, "expected a value but found ']'" },
      { "+1", 1, 1, "expected a value but found '+'" },
      { ".5", 1, 1, "expected a value but found '.'" },
      { "\1", 1, 1, "expected a value but found byte 0x01" },
      { "01", 1, 1, "leading zeros are not allowed in numbers" },
      { "[00]", 1, 2, "leading zeros are not allowed in numbers" },
      { "-012", 1, 2, "leading zeros are not allowed in numbers" },
      { "1.", 1, 3, "expected a digit after '.'" },
      { "1.e5", 1, 3, "expected a digit after '.'" },
      { "1e", 1, 3, "expected a digit in the exponent" },
      { "1e+", 1, 3, "expected a digit in the exponent" },
      { "-", 1, 2, "expected a digit after '-'" },
      { "-a", 1, 2, "expected a digit after '-'" },
      { "-Infinity", 1, 2, "expected a digit after '-'" },
      { "NaN", 1, 1, "invalid literal 'NaN'" },
      { "Infinity", 1, 1, "invalid literal 'Infinity'" },
      { "[nan]", 1, 2, "invalid literal 'nan'" },
      { "tru", 1, 1, "invalid literal 'tru'" },
      { "True", 1, 1, "invalid literal 'True'" },
      { "nul", 1, 1, "invalid literal 'nul'" },
      { "undefined", 1, 1, "invalid literal 'undefined'" },
      { "1 2", 1, 3, "unexpected trailing characters after the JSON value" },
      { "[1]]", 1, 4, "unexpected trailing characters after the JSON value" },
      { "truex", 1, 5, "unexpected trailing characters after the JSON value" },
      { "{} // comment", 1, 4, "unexpected trailing characters after the JSON value" },
      { '"abc', 1, 1, "unterminated string" },
      { '["abc\\"]', 1, 2, "unterminated string" },
      { '"abc\\', 1, 1, "unterminated string" },
      { '"a\nb"', 1, 3, "unescaped control character U+000A in string" },
      { '"a\tb"', 1, 3, "unescaped control character U+0009 in string" },
      { '"\0"', 1, 2, "unescaped control character U+0000 in string" },
      { '"\\x"', 1, 2, "invalid escape sequence '\\x'" },
      { '"\\\'"', 1, 2, "invalid escape sequence '\\''" },
      { '"ab\\u12"', 1, 4, "invalid \\u escape (expected 4 hexadecimal digits)" },
      { '"\\u12g4"', 1, 2, "invalid \\u escape (expected 4 hexadecimal digits)" },
      { '"\255"', 1, 2, "invalid UTF-8 byte 0xFF" },
      { '"\192\128"', 1, 2, "invalid UTF-8 byte 0xC0" },
      { '["ok", "\237\160\128"]', 1, 9, "invalid UTF-8 byte 0xED" },
      { "\239\187\191", 1, 4, "unexpected end of input" },
    }

    for _, case in ipairs(cases) do
      local text, line, col, reason = case[1], case[2], case[3], case[4]
      it(("rejects %q"):format(text), function()
        local expected = ("invalid JSON at line %d, column %d: %s"):format(line, col, reason)
        assert.are.equal(expected, decode_err(text))
      end)
    end

    it("reports lines and columns in multi-line input", function()
      assert.are.equal("invalid JSON at line 3, column 10: expected ',' or '}'",
        decode_err('{\n  "a": 1,\n  "b": 2 "c": 3\n}'))
      assert.are.equal("invalid JSON at line 3, column 7: expected ':'",
        decode_err('{\n  "a": 1,\n  "b" 2\n}'))
      assert.are.equal("invalid JSON at line 4, column 3: trailing comma is not allowed",
        decode_err('[\n  1,\n  2,\n  ]'))
      assert.are.equal("invalid JSON at line 2, column 1: unexpected trailing characters after the JSON value",
        decode_err('{}\nx'))
    end)

    it("error messages are a single sentence on one line", function()
      for _, case in ipairs(cases) do
        local err = decode_err(case[1])
        assert.is_nil(err:find("\n", 1, true))
        assert.are.equal(1, select(2, err:gsub(": ", "")))
      end
    end)

    it("rejects non-string input", function()
      assert.are.equal("invalid JSON: expected a string to decode, got nil", decode_err(nil))
      assert.are.equal("invalid JSON: expected a string to decode, got table", decode_err({}))
    end)
  end)

  describe("nesting depth", function()
    it("accepts 1000 levels", function()
      local v = assert(json.decode(("["):rep(1000) .. ("]"):rep(1000)))
      local depth = 0
      while type(v) == "table" do
        depth = depth + 1
        v = v[1]
      end
      assert.are.equal(1000, depth)
      assert(json.decode(('{"a":'):rep(999) .. "{}" .. ("}"):rep(999)))
    end)

    it("rejects 1001 levels with an error", function()
      assert.are.equal("invalid JSON at line 1, column 1001: maximum nesting depth of 1000 exceeded",
        decode_err(("["):rep(1001) .. ("]"):rep(1001)))
      assert.are.equal("invalid JSON at line 1, column 5001: maximum nesting depth of 1000 exceeded",
        decode_err(('{"a":'):rep(1001) .. "1" .. ("}"):rep(1001)))
    end)

    it("does not overflow the stack on very deep input", function()
      assert.are.equal("invalid JSON at line 1, column 1001: maximum nesting depth of 1000 exceeded",
        decode_err(("["):rep(200000)))
    end)
  end)

  describe("round trips", function()
    it("round-trips a mixed document", function()
      local value = {
        str = "héllo \"world\"\n\t\\ 😀 \0 \127",
        int = 12345,
        neg = -7,
        float = 3.14159,
        tiny = 5e-324,
        big = 1.5e300,
        yes = true,
        no = false,
        none = json.null,
        list = { 1, "two", { three = 3 }, json.array(), {} },
        nested = { a = { b = { c = { "deep" } } } },
        [""] = "empty key",
        ["key with \"quotes\""] = 1,
      }
      for _, opts in ipairs({ {}, { indent = 2 }, { sort_keys = false } }) do
        local s = assert(json.encode(value, opts))
        assert.are.same(value, json.decode(s))
      end
      local s = json.encode(value)
      assert.are.equal(s, json.encode(json.decode(s)))
      assert.are.equal(s, json.encode(json.decode(json.encode(value, { indent = 3 }))))
    end)

    it("round-trips every byte value through escapes", function()
      local bytes = {}
      for i = 0, 127 do bytes[#bytes + 1] = string.char(i) end
      local s = table.concat(bytes)
      assert.are.equal(s, json.decode(json.encode(s)))
    end)

    it("round-trips all BMP boundary code points and astral characters", function()
      for _, cp in ipairs({ 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff }) do
        local escaped
        if cp < 0x10000 then
          escaped = ('"\\u%04x"'):format(cp)
        else
          local v = cp - 0x10000
          escaped = ('"\\u%04x\\u%04x"'):format(0xD800 + math.floor(v / 1024), 0xDC00 + v % 1024)
        end
        local s = json.decode(escaped)
        assert.are.equal(s, json.decode(json.encode(s)))
      end
    end)

    it("round-trips a 2 MB document", function()
      local items = {}
      for i = 1, 12000 do
        items[i] = {
          id = i,
          name = "item " .. i .. " \"quoted\" ünïcödé 😀\n",
          price = i * 1.25 + 0.1,
          ratio = 1 / i,
          tags = { "alpha", "beta", "γ" },
          active = i % 3 == 0,
          parent = i % 5 == 0 and json.null or i - 1,
          meta = { empty = json.array(), obj = {} },
        }
      end
      local doc = { version = 1, items = items }
      local t0 = os.clock()
      local s = assert(json.encode(doc))
      assert.is_true(#s > 2 * 1024 * 1024)
      local back = assert(json.decode(s))
      assert.are.same(doc, back)
      assert.are.equal(s, json.encode(back))
      local pretty = assert(json.encode(doc, { indent = 2 }))
      assert.are.same(doc, json.decode(pretty))
      assert.is_true(os.clock() - t0 < 20)
    end)

    it("decodes a large string with many escapes quickly", function()
      local parts = {}
      for i = 1, 100000 do parts[i] = "ab\\n\\u00e9\\\"" end
      local text = '"' .. table.concat(parts) .. '"'
      local s = assert(json.decode(text))
      assert.are.equal(100000 * 6, #s)
      assert.are.equal(text, (json.encode(s):gsub("é", "\\u00e9")))
    end)
  end)
end)
