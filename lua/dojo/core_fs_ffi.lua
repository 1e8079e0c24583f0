-- dojo.core_fs_ffi: the filesystem helpers (core/fs.c) for the LuaJIT binding.
--
-- The same functions, results and messages as core/lua/lfs.c (the Lua 5.4 module). It
-- returns install(M, C, ffi, errbuf, ERRLEN), which core_ffi.lua calls with its module
-- table, the loaded libdojo (whose declarations come from core_cdef.lua), the ffi module
-- and its shared error buffer.
return function(M, C, ffi, errbuf, ERRLEN)
  local function fail() return nil, ffi.string(errbuf) end

  -- luaL_checkstring: strings, and numbers converted.
  local function checkstring(v, n, fname)
    if type(v) == "number" then return tostring(v) end
    if type(v) ~= "string" then
      error(string.format("bad argument #%d to '%s' (string expected, got %s)", n, fname,
                          v == nil and "no value" or type(v)), 3)
    end
    return v
  end

  -- luaL_optinteger: nil gives the default; numbers (or numeric strings) must be integral.
  local function optinteger(v, n, fname, default)
    if v == nil then return default end
    local x = type(v) == "string" and tonumber(v) or v
    if type(x) ~= "number" then
      error(string.format("bad argument #%d to '%s' (number expected, got %s)", n, fname,
                          type(v)), 3)
    end
    if x ~= math.floor(x) or x ~= x or x >= 2 ^ 63 or x < -2 ^ 63 then
      error(string.format("bad argument #%d to '%s' (number has no integer representation)",
                          n, fname), 3)
    end
    return x
  end

  local function argcheck(ok, n, fname, msg)
    if not ok then error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), 3) end
  end

  local lenbuf = ffi.new("size_t[1]")
  local sizebuf = ffi.new("int64_t[1]")
  local mtimebuf = ffi.new("double[1]")
  local hexbuf = ffi.new("char[65]")

  function M.dir_make(path, mode)
    path = checkstring(path, 1, "dir_make")
    mode = optinteger(mode, 2, "dir_make", 493) -- 0755
    argcheck(mode >= 0 and mode <= 4095, 2, "dir_make", "mode must be in 0..4095 (0..0o7777)")
    if C.dojo_dir_make(path, mode, errbuf, ERRLEN) < 0 then return fail() end
    return true
  end

  function M.dir_list(path)
    path = checkstring(path, 1, "dir_list")
    local p = C.dojo_dir_list(path, lenbuf, errbuf, ERRLEN)
    if p == nil then return fail() end
    local s = ffi.string(p, lenbuf[0])
    C.dojo_free(p)
    local names, at = {}, 1
    while at <= #s do
      local z = s:find("\0", at, true)
      names[#names + 1] = s:sub(at, z - 1)
      at = z + 1
    end
    return names
  end

  function M.tree_remove(path)
    path = checkstring(path, 1, "tree_remove")
    if C.dojo_tree_remove(path, errbuf, ERRLEN) < 0 then return fail() end
    return true
  end

  local KINDS = { "file", "dir", "other", "link" }
  function M.path_stat(path)
    path = checkstring(path, 1, "path_stat")
    local kind = C.dojo_path_stat(path, sizebuf, mtimebuf, errbuf, ERRLEN)
    if kind < 0 then return fail() end
    if kind == 0 then return false end
    return KINDS[kind] or "other", tonumber(sizebuf[0]), tonumber(mtimebuf[0])
  end

  function M.file_copy(src, dst, max, sync)
    src, dst = checkstring(src, 1, "file_copy"), checkstring(dst, 2, "file_copy")
    max = optinteger(max, 3, "file_copy", 0)
    argcheck(max >= 0, 3, "file_copy", "limit must be >= 0")
    sync = (sync == nil or (sync and true)) and 1 or 0
    if C.dojo_file_copy(src, dst, max, sync, errbuf, ERRLEN) < 0 then return fail() end
    return true
  end

  function M.file_move(src, dst, max)
    src, dst = checkstring(src, 1, "file_move"), checkstring(dst, 2, "file_move")
    max = optinteger(max, 3, "file_move", 0)
    argcheck(max >= 0, 3, "file_move", "limit must be >= 0")
    if C.dojo_file_move(src, dst, max, errbuf, ERRLEN) < 0 then return fail() end
    return true
  end

  function M.file_link(src, dst)
    src, dst = checkstring(src, 1, "file_link"), checkstring(dst, 2, "file_link")
    if C.dojo_file_link(src, dst, errbuf, ERRLEN) < 0 then return fail() end
    return true
  end

  function M.sha256(data)
    data = checkstring(data, 1, "sha256")
    C.dojo_sha256(data, #data, hexbuf)
    return ffi.string(hexbuf, 64)
  end

  function M.sha256_file(path)
    path = checkstring(path, 1, "sha256_file")
    if C.dojo_sha256_file(path, hexbuf, errbuf, ERRLEN) < 0 then return fail() end
    return ffi.string(hexbuf, 64)
  end

  function M.clock() return tonumber(C.dojo_clock_now()) end
  function M.time() return tonumber(C.dojo_clock_wall()) end
  function M.sleep(s)
    if type(s) ~= "number" then error("bad argument #1 to 'sleep' (number expected, got " .. type(s) .. ")", 2) end
    C.dojo_sleep(s)
  end
end
