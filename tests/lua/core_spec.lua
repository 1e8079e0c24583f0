-- core_spec.lua -- the kernel's Lua API (dojo.core, dojo.table), identical on Lua 5.4 (C
-- module) and LuaJIT (FFI). tools/test runs this file under both interpreters.
local dojo = require "dojo"

local function here()
  return debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$")
end
local DATA = here() .. "/../data"

local function tmpfile(suffix)
  local p = os.tmpname()
  os.remove(p)
  return p .. (suffix or "")
end

local function sum(col)
  local s = 0
  for i = 1, col.n do
    local v = col[i]
    if v ~= nil then s = s + v end
  end
  return s
end

local function close_to(a, b) return math.abs(a - b) <= 1e-9 * math.max(1, math.abs(b)) end

describe("require 'dojo'", function()
  it("loads the binding that fits the interpreter", function()
    assert.are.equal(jit and "ffi" or "lua", dojo.core.binding)
    assert.are.equal(require("dojo.core"), dojo.core)
  end)

  it("reports the version and what the kernel detected", function()
    local v = dojo.version_info()
    assert.truthy(v.version:match("^%d+%.%d+%.%d+$"))
    assert.are.equal(dojo.VERSION, v.version)
    assert.are.equal("number", type(v.landlock_abi))
    assert.are.equal("boolean", type(v.seccomp_filter))
    assert.are.equal("boolean", type(v.user_namespaces))
    assert.truthy(({ none = 1, v1 = 1, v2 = 1, hybrid = 1 })[v.cgroup_mode])
    assert.truthy(v.ncpu >= 1)
    assert.truthy(v.lua:match(jit and "^LuaJIT" or "^Lua 5%.4"))
  end)

  it("dojo.make answers an unknown competition with nil and a message", function()
    local env, err = dojo.make("atlantis", { max_steps = 3 })
    assert.is_nil(env)
    assert.are.equal("no such competition 'atlantis'", err)
    env, err = dojo.make("titanic", "fast")
    assert.is_nil(env)
    assert.are.equal("environment options must be a table (a JSON object)", err)
  end)
end)

describe("files", function()
  it("writes atomically, appends and reads back", function()
    local p = tmpfile(".txt")
    assert.is_true(dojo.core.file_write(p, "hello"))
    assert.is_true(dojo.core.file_append(p, " world", true))
    assert.are.equal("hello world", dojo.core.file_read(p))
    local s, err = dojo.core.file_read(p, 3)
    assert.is_nil(s)
    assert.truthy(err:find("3-byte limit", 1, true))
    os.remove(p)
  end)

  it("returns nil and a message for a missing file, raises on misuse", function()
    local s, err = dojo.core.file_read("/nonexistent/x")
    assert.is_nil(s)
    assert.truthy(err:find("cannot open /nonexistent/x", 1, true))
    assert.has_error(function() dojo.core.file_read({}) end)
  end)
end)

describe("dojo.table.read", function()
  it("reads the real penguins data (gzip, quoted strings, NA) as pandas does", function()
    local t = assert(dojo.table.read(DATA .. "/palmerpenguins__penguins.csv.gz", { na_values = { "NA" } }))
    assert.are.equal(344, t.nrows)
    assert.are.equal(8, t.ncols)
    assert.are.same({ "species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                      "body_mass_g", "sex", "year" }, t:names())
    local bill = t:column("bill_length_mm")
    assert.are.equal("float", bill.type)
    assert.are.equal(2, bill.nmissing)
    assert.is_true(close_to(sum(bill), 15021.3))
    assert.is_true(close_to(sum(t:column("bill_depth_mm")), 5865.7))
    local flipper = t:column("flipper_length_mm")
    assert.are.equal("int", flipper.type) -- canonical integers with missing values stay integers
    assert.are.equal(68713, sum(flipper))
    assert.are.equal(1437000, sum(t:column("body_mass_g")))
    assert.are.equal(690762, sum(t:column("year")))
    local sex = t:column("sex")
    assert.are.equal("string", sex.type)
    assert.are.equal(11, sex.nmissing)
    local counts = {}
    for i = 1, sex.n do
      local v = sex[i]
      if v then counts[v] = (counts[v] or 0) + 1 end
    end
    assert.are.same({ male = 168, female = 165 }, counts)
    assert.are.equal("Adelie", t:column(1)[1])
    assert.is_nil(bill[4])
    assert.is_true(bill:is_missing(4))
    assert.are.equal(39.1, bill:get(1))
  end)

  it("reads the real titanic3 data (commas and quotes in fields, empty fields)", function()
    local t = assert(dojo.table.read(DATA .. "/sklearn__titanic3.csv.gz"))
    assert.are.equal(1309, t.nrows)
    assert.are.equal(14, t.ncols)
    local name = t:column("name")
    assert.are.equal("Allen, Miss. Elisabeth Walton", name[1])
    assert.are.equal("Montreal, PQ / Chesterville, ON", t:column("home.dest")[2])
    local chars = 0
    for i = 1, name.n do chars = chars + #name[i] end
    assert.are.equal(35510, chars)
    local age, fare = t:column("age"), t:column("fare")
    assert.are.equal("float", age.type)
    assert.are.equal(263, age.nmissing)
    assert.are.equal(1, fare.nmissing)
    assert.is_true(close_to(sum(fare), 43550.4869))
    assert.is_true(close_to(sum(age), 31255.6667))
    assert.are.equal("string", t:column("ticket").type) -- "PC 17599" among the numbers
    assert.are.equal("24160", t:column("ticket")[1])
    assert.are.equal(1014, t:column("cabin").nmissing)
    assert.are.equal("int", t:column("survived").type)
  end)

  it("gives the same digest of a gzipped file on both interpreters", function()
    -- The literal below was computed independently with pandas.read_csv (the same digest in
    -- Python); a difference between Lua 5.4 and LuaJIT, or from pandas, breaks it.
    local t = assert(dojo.table.read(DATA .. "/palmerpenguins__penguins.csv.gz", { na_values = { "NA" } }))
    local parts = {}
    for _, n in ipairs(t:names()) do
      local c = t:column(n)
      local acc = 0
      for i = 1, c.n do
        local v = c[i]
        if v == nil then acc = (acc * 31 + 7) % 1000000007
        elseif type(v) == "number" then acc = (acc * 31 + math.floor(v * 10 + 0.5)) % 1000000007
        else acc = (acc * 31 + #v * 131 + v:byte(1)) % 1000000007 end
      end
      parts[#parts + 1] = n .. ":" .. c.type .. ":" .. string.format("%d", acc)
    end
    assert.are.equal(
      "species:string:372449525 island:string:300683866 bill_length_mm:float:444396265 " ..
      "bill_depth_mm:float:198375278 flipper_length_mm:int:469670629 body_mass_g:int:388648584 " ..
      "sex:string:426621075 year:int:57571037", table.concat(parts, " "))
  end)

  it("returns nil and a message with the line for malformed input", function()
    local cases = {
      { "a,b\n1,2\n3\n", "line 3" },
      { "a,b\n1,\"x\n", "unterminated" },
      { "", "empty" },
      { "a,a\n1,2\n", "duplicate column name 'a'" },
      { "a\n\0\n", "NUL" },
      { "a\n\255\254\n", "UTF%-8" },
    }
    for _, c in ipairs(cases) do
      local t, err = dojo.table.parse(c[1])
      assert.is_nil(t)
      assert.are.equal("string", type(err))
      assert.truthy(err:find(c[2]), "'" .. err .. "' should mention " .. c[2])
    end
    local t, err = dojo.table.read("/nonexistent/file.csv")
    assert.is_nil(t)
    assert.truthy(err:find("cannot open /nonexistent/file.csv", 1, true))
  end)

  it("reads a header-only file as zero rows", function()
    local t = assert(dojo.table.parse("id,target\n"))
    assert.are.equal(0, t.nrows)
    assert.are.equal(2, t.ncols)
    assert.are.equal(0, #t:column("id"))
  end)

  it("keeps leading zeros and original text", function()
    local t = assert(dojo.table.parse("zip,v\n02134,1.50\n10001,x\n"))
    local zip, v = t:column("zip"), t:column("v")
    assert.are.equal("string", zip.type)
    assert.are.equal("02134", zip[1])
    assert.are.equal("string", v.type)
    assert.are.equal("1.50", v[1])
  end)

  it("honours options and rejects unknown ones", function()
    local csv = "a;b;c\n1;x;2.5\n3;y;\n"
    local t = assert(dojo.table.parse(csv, { delimiter = ";", columns = { "c", "a" } }))
    assert.are.equal(2, t.ncols)
    assert.is_nil(t:column("c")[2])
    t = assert(dojo.table.parse(csv, { delimiter = ";", types = { a = "float" } }))
    assert.are.equal("float", t:column("a").type)
    t = assert(dojo.table.parse("1,2\n3,4\n", { header = false }))
    assert.are.same({ "V1", "V2" }, t:names())
    assert.are.equal(2, t.nrows)
    assert.has_error(function() dojo.table.parse(csv, { delimeter = ";" }) end)
    assert.has_error(function() dojo.table.parse(csv, { delimiter = ";;" }) end)
    assert.has_error(function() dojo.table.parse(csv, { types = { a = "bool" } }) end)
    local bad, err = dojo.table.parse(csv, { delimiter = ";", columns = { "zz" } })
    assert.is_nil(bad)
    assert.truthy(err:find("zz", 1, true))
  end)
end)

describe("columns", function()
  local t = assert(dojo.table.parse("id,x,s\n1,0.5,a\n2,,\"\"\n3,-2e3,c\n"))

  it("read values in place with types, lengths and missing values", function()
    local id, x, s = t:column("id"), t:column("x"), t:column(3)
    assert.are.equal(3, #id)
    assert.are.equal(3, id.n)
    assert.are.equal(3, id:len())
    assert.are.equal("id", id.name)
    assert.are.equal("int", id.type)
    assert.are.equal(3, id[3])
    assert.is_nil(id[4])
    assert.is_nil(id[0])
    assert.are.equal(-2000, x[3])
    assert.is_nil(x[2])
    assert.are.equal(1, x.nmissing)
    assert.are.equal("", s[2]) -- a quoted empty field is the empty string
    assert.are.equal(0, s.nmissing)
    local vals, n = x:totable()
    assert.are.equal(3, n)
    assert.are.equal(0.5, vals[1])
    assert.is_nil(vals[2])
    assert.truthy(tostring(x):find("dojo.column 'x' (float, 3 rows)", 1, true))
    assert.has_error(function() id:get(4) end)
    assert.has_error(function() t:column("nope") end)
    assert.has_error(function() t:column(9) end)
  end)

  it("keep their table alive, and fail clearly after close()", function()
    local t2 = assert(dojo.table.parse("a\n1\n2\n"))
    local a = t2:column("a")
    collectgarbage()
    assert.are.equal(2, a[2])
    t2:close()
    t2:close() -- idempotent
    assert.has_error(function() return a[1] end, "table is closed")
    assert.has_error(function() return t2.nrows end, "table is closed")
    assert.are.equal("dojo.table (closed)", tostring(t2))
  end)
end)

describe("indexes", function()
  it("find rows by key, count duplicates and match across types", function()
    local t = assert(dojo.table.parse("id,v\n10,a\n20,b\n30,c\n20,d\n"))
    local idx = assert(t:index("id"))
    assert.are.equal(2, idx:find(20))
    assert.are.equal(3, idx:find("30"))
    assert.is_nil(idx:find(40))
    assert.are.equal(3, idx.nkeys)
    local count, rows = idx:duplicates()
    assert.are.equal(1, count)
    assert.are.same({ 4 }, rows)
    local sub = assert(dojo.table.parse("id\n30\n10\n99\n", { types = { id = "string" } }))
    local m, unmatched = idx:match(sub:column("id"))
    assert.are.same({ 3, 1, false }, m)
    assert.are.equal(1, unmatched)
    local fidx, err = t:index("v")
    assert.truthy(fidx)
    local nums = assert(dojo.table.parse("x\n0.5\n"))
    fidx, err = nums:index("x")
    assert.is_nil(fidx)
    assert.truthy(err:find("float"))
  end)

  it("join a column to the index: aligned rows of the chosen columns, or counts and examples", function()
    local t = assert(dojo.table.parse("id,y,s\n1,0.5,a\n2,1.5,b\n3,2.5,c\n"))
    local idx = assert(t:index("id"))
    local sub = assert(dojo.table.parse("id\n3\n1\n2\n"))
    local all = assert(idx:join(sub:column("id")))
    assert.are.same({ "id", "y", "s" }, all:names())
    local some, st = idx:join(sub:column("id"), 5, { "s", "y" })
    assert.are.same({ "s", "y" }, some:names())
    assert.are.same({ "c", "a", "b" }, some:column("s"):totable())
    assert.are.same({ 2.5, 0.5, 1.5 }, some:column("y"):totable())
    assert.are.equal(0, st.unmatched + st.duplicates + st.missing)
    local bad = assert(dojo.table.parse("id\n3\n3\n9\n"))
    local none, bst = idx:join(bad:column("id"), 5, { "y" })
    assert.is_false(none)
    assert.are.same({ 3 }, bst.unmatched_rows)
    assert.are.same({ 2 }, bst.duplicate_rows)
    assert.are.same({ 1, 2 }, bst.missing_rows)
    assert.has_error(function() idx:join(sub:column("id"), 5, { "nope" }) end)
  end)
end)

describe("building and writing tables", function()
  it("round-trips strings with delimiters, quotes, newlines and missing values", function()
    local t = dojo.table.new {
      { name = "id", values = { 1, 2, 3, 4 } },
      { name = "x", values = { 0.1, nil, 1e300, -0.0 }, n = 4 },
      { name = "s", values = { "a,b", 'say "hi"', "two\nlines", nil }, n = 4 },
    }
    assert.are.equal("int", t:column("id").type)
    assert.are.equal("float", t:column("x").type)
    for _, suffix in ipairs { ".csv", ".csv.gz" } do
      local p = tmpfile(suffix)
      assert.is_true(t:write(p))
      local back = assert(dojo.table.read(p))
      assert.are.same(t:names(), back:names())
      for _, n in ipairs(t:names()) do
        local a, b = t:column(n), back:column(n)
        assert.are.equal(a.type, b.type)
        for i = 1, 4 do assert.are.equal(a[i], b[i]) end
      end
      os.remove(p)
    end
    local text = t:format()
    assert.truthy(text:find('"say ""hi"""', 1, true))
    assert.truthy(text:find("^id,x,s\n1,0.1,\"a,b\"\n"))
  end)

  it("takes rows and selects columns", function()
    local t = assert(dojo.table.parse("a,b\n1,x\n2,y\n3,z\n"))
    local s = assert(t:take({ 3, 1, 3 }))
    assert.are.same({ 3, 1, 3 }, (s:column("a"):totable()))
    local b = assert(t:select({ "b" }))
    assert.are.same({ "b" }, b:names())
    assert.has_error(function() t:take({ 4 }) end)
    local none, err = t:select({ "nope" })
    assert.is_nil(none)
    assert.truthy(err:find("nope", 1, true))
  end)

  it("refuses inconsistent columns with a clear error", function()
    assert.has_error(function() dojo.table.new { { name = "a", values = { 1, "x" } } } end,
                     "column 'a' mixes numbers and strings; give it a type")
    assert.has_error(function()
      dojo.table.new { { name = "a", values = { 1, 2 } }, { name = "b", values = { 1 } } }
    end)
    assert.has_error(function() dojo.table.new { { name = "a", values = { true } } } end)
  end)
end)

describe("streaming", function()
  it("reads a file in chunks that add up to the whole table", function()
    local lines = { "id,v" }
    for i = 1, 2500 do lines[#lines + 1] = i .. "," .. (i * 0.5) end
    local p = tmpfile(".csv")
    assert(dojo.core.file_write(p, table.concat(lines, "\n") .. "\n"))
    local rows, chunks, total = 0, 0, 0
    for chunk in dojo.table.chunks(p, nil, 1000) do
      chunks = chunks + 1
      rows = rows + chunk.nrows
      total = total + sum(chunk:column("v"))
    end
    assert.are.equal(3, chunks)
    assert.are.equal(2500, rows)
    assert.are.equal(2500 * 2501 / 4, total)
    local r = assert(dojo.table.open(p))
    local first = assert(r:next(10))
    assert.are.equal(10, first.nrows)
    assert.truthy(r:offset() > 0)
    r:close()
    os.remove(p)
  end)
end)
