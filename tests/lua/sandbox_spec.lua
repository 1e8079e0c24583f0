-- sandbox_spec.lua -- dojo.sandbox from Lua on both runtimes: policy checking, and runs
-- through the kernel (the attack suite, tests/sandbox/, covers hostile programs).
local dojo = require "dojo"
local sandbox = dojo.sandbox

describe("dojo.sandbox policies", function()
  it("rejects unknown keys and bad values with a clear error", function()
    assert.has_error(function() sandbox.run { cmd = "/bin/true", memroy = 10 } end)
    local ok, err = pcall(sandbox.run, { cmd = "/bin/true", memroy = 10 })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("unknown key 'memroy'", 1, true))
    ok, err = pcall(sandbox.run, { cmd = "/bin/true", time = -1 })
    assert.truthy(tostring(err):find("time must be a finite number >= 0", 1, true))
    ok, err = pcall(sandbox.run, { cmd = "/bin/true", disable = { "landlok" } })
    assert.truthy(tostring(err):find("unknown layer 'landlok'", 1, true))
    ok, err = pcall(sandbox.run, { argv = { "x" } })
    assert.truthy(tostring(err):find("cmd is required", 1, true))
    ok, err = pcall(sandbox.run, { cmd = "/bin/true", env = { "NOEQUALS" } })
    assert.truthy(tostring(err):find("KEY=VALUE", 1, true))
  end)

  it("converts units and layer names for the kernel", function()
    local p = sandbox.normalize { cmd = "x", memory = 1.5, output = 2, fsize = 1, env = { B = "2", A = 1 },
                                  disable = { "cgroup", "namespaces", "cgroup" } }
    assert.are.equal(1572864, p.memory_bytes)
    assert.are.equal(2048, p.output_bytes)
    assert.are.equal(1048576, p.fsize_bytes)
    assert.are.same({ "A=1", "B=2" }, p.env)
    assert.are.equal(3, p.disable)
  end)
end)

describe("dojo.sandbox.run", function()
  it("runs a program and reports its record and layers", function()
    local r = assert(sandbox.run { cmd = "/bin/sh", argv = { "sh", "-c", "echo out; echo err >&2; exit 3" }, wall = 10 })
    assert.are.equal("RE", r.status)
    assert.are.equal(3, r.exit_code)
    assert.are.equal("out\n", r.stdout)
    assert.are.equal("err\n", r.stderr)
    assert.are.equal(8, r.output_bytes)
    assert.truthy(#r.layers >= 5)
    for _, l in ipairs(r.layers) do
      assert.are.equal("string", type(l.name))
      assert.are.equal("boolean", type(l.applied))
    end
    local ok = assert(sandbox.run { cmd = "true", wall = 10 })
    assert.are.equal("OK", ok.status)
    assert.are.equal(0, ok.exit_code)
  end)

  it("returns nil and a message for a policy the kernel refuses", function()
    local r, err = sandbox.run { cmd = "/bin/true", cwd = "/nonexistent/dir" }
    assert.is_nil(r)
    assert.truthy(err:find("/nonexistent/dir", 1, true))
  end)
end)
