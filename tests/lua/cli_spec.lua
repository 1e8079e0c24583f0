-- cli_spec.lua -- dojo.cli on both interpreters (the C host runs it on Lua 5.4 only; the
-- module must still run unchanged on LuaJIT).

local function here()
  return debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$")
end

local run = require("support").run_cli

describe("dojo.cli", function()
  it("prints help and exits 0", function()
    local code, out = run("help")
    assert.are.equal(0, code)
    assert.truthy(out:find("  version ", 1, true))
    assert.truthy(out:find("  inspect ", 1, true))
  end)

  it("reports the probe in version --json", function()
    local code, out = run("version", "--json")
    assert.are.equal(0, code)
    local info = assert(require("dojo.json").decode(out))
    assert.are.equal("number", type(info.landlock_abi))
    assert.are.equal(jit and "ffi" or "lua", info.binding)
  end)

  it("answers usage errors with one sentence and exit 2", function()
    local code, out, err = run("frobnicate")
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.are.equal("dojo: unknown command 'frobnicate'; run 'dojo help' for the list\n", err)
    code, out, err = run("version", "--frob=1")
    assert.are.equal(2, code)
    assert.are.equal("dojo: version: unknown option '--frob' (see 'dojo help version')\n", err)
    code = run()
    assert.are.equal(2, code)
  end)

  it("inspects a real gzipped CSV and rejects a bad one with exit 1", function()
    local code, out, err = run("inspect", here() .. "/../data/sklearn__titanic3.csv.gz")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("1309 rows x 14 columns", 1, true))
    local code2, out2, err2 = run("inspect", "--json", "/nonexistent.csv")
    assert.are.equal(1, code2)
    assert.truthy(err2:find("^dojo: cannot open /nonexistent.csv"))
    local doc = assert(require("dojo.json").decode(out2))
    assert.are.equal("FAILED", doc.status)
  end)
end)
