-- premake5.lua -- the build of dojo. Written for premake5; Debian 12 ships only premake4 4.3,
-- which the shim below teaches enough of premake5's vocabulary (DESIGN.md):
--   premake4 --file=premake5.lua gmake && make -C build config=release
-- Configurations: release (build/lib, build/bin), debug (build/debug/...) and sanitize
-- (AddressSanitizer + UndefinedBehaviorSanitizer, build/sanitize/...).
if _PREMAKE_VERSION:sub(1,1) == "4" then
  workspace = solution
  function filter(t) if type(t) == "string" then t = {t} end local k = {}
    for _, s in ipairs(t or {}) do k[#k+1] = (s:gsub("^configurations:", "")) end
    configuration(k) end
  function symbols(v) if v == "On" then flags{"Symbols"} end end
  function optimize(v) if v ~= "Off" then flags{"OptimizeSpeed"} end end
end

local function shell(cmd)
  local p = io.popen(cmd .. " 2>/dev/null")
  local s = p and p:read("*a") or ""
  if p then p:close() end
  return (s:gsub("%s+$", ""))
end

-- Lua 5.4 headers and library (libdojo's embedded runtime), from pkg-config.
local lua_cflags = shell("pkg-config --cflags lua5.4")
if lua_cflags == "" then lua_cflags = "-I/usr/include/lua5.4" end
local lua_libs = shell("pkg-config --libs lua5.4")
if lua_libs == "" then lua_libs = "-llua5.4" end

local warnings = { "-std=gnu11", "-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes",
                   "-Wno-unused-parameter" }
local sanitize = { "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                   "-fno-sanitize-recover=undefined" }

workspace "dojo"
  location "build"
  configurations { "release", "debug", "sanitize" }
  language "C"
  includedirs { "core" }
  buildoptions(warnings)
  symbols "On"

  filter "configurations:release"
    optimize "On"
    defines { "NDEBUG" }
  filter "configurations:debug"
    optimize "Off"
    buildoptions { "-O0" }
  filter "configurations:sanitize"
    optimize "Off"
    buildoptions(sanitize)
    buildoptions { "-O1" }
    linkoptions(sanitize)
  filter {}

-- Output folders per configuration.
local function outdirs(sub)
  filter "configurations:release"
    targetdir("build/" .. sub)
    objdir "build/obj/release"
  filter "configurations:debug"
    targetdir("build/debug/" .. sub)
    objdir "build/obj/debug"
  filter "configurations:sanitize"
    targetdir("build/sanitize/" .. sub)
    objdir "build/obj/sanitize"
  filter {}
end

-- libdojo.so: the kernel, the embedding API and the Lua binding that the embedded runtime
-- preloads. It links the shared liblua5.4 (Debian's static one is not PIC). The version
-- script exports dojo_* only.
project "dojo"
  kind "SharedLib"
  files { "core/*.c", "core/*.h", "core/metrics/*.c", "core/metrics/*.h", "core/lua/*.c",
          "core/lua/*.h" }
  buildoptions { lua_cflags }
  linkoptions { "-Wl,--version-script=../core/libdojo.map", "-Wl,-soname,libdojo.so",
                "-Wl,--no-undefined", lua_libs, "-lz", "-lpcre2-8", "-lseccomp", "-lm", "-ldl", "-lpthread" }
  outdirs("lib")

-- build/lib/dojo/core.so: the Lua 5.4 module: the kernel and the binding, self-contained.
-- It must NOT link liblua, not even through libdojo.so: the interpreter that loads it
-- provides the Lua API, and an interpreter of another Lua (LuaJIT) then fails cleanly with
-- "undefined symbol" instead of crashing on a second Lua's functions.
project "dojo_core"
  kind "SharedLib"
  targetname "core"
  targetprefix ""
  files { "core/*.c", "core/*.h", "core/metrics/*.c", "core/metrics/*.h", "core/lua/*.c",
          "core/lua/*.h" }
  excludes { "core/embed.c" }
  buildoptions { lua_cflags }
  linkoptions { "-lz", "-lpcre2-8", "-lseccomp", "-lm", "-ldl", "-lpthread" }
  outdirs("lib/dojo")

-- build/bin/dojo: the command line, a host of the embedding API.
project "dojo_cli"
  kind "ConsoleApp"
  targetname "dojo"
  files { "tools/dojo.c" }
  links { "dojo" }
  linkoptions { "-Wl,-rpath,'$$ORIGIN/../lib'" }
  outdirs("bin")

-- build/bin/dojo_test: the C tests (TAP).
project "dojo_test"
  kind "ConsoleApp"
  -- the Landlock and seccomp layers and the ranking kernels' key entry points are internal
  -- (not exported by libdojo): their tests link the objects directly
  files { "tests/c/*.c", "tests/c/*.h", "core/landlock.c", "core/seccomp.c", "core/fsio.c",
          "core/par.c", "core/metrics/ranking.c", "core/metrics/sort.c" }
  links { "dojo", "seccomp", "pthread", "z", "pcre2-8", "m" }
  linkoptions { "-Wl,-rpath,'$$ORIGIN/../lib'" }
  outdirs("bin")

-- build/bin/dojo_bench_csv: the CSV benchmark's dojo side (bench/csv runs it).
project "dojo_bench_csv"
  kind "ConsoleApp"
  files { "bench/csv_bench.c" }
  links { "dojo" }
  linkoptions { "-Wl,-rpath,'$$ORIGIN/../lib'" }
  outdirs("bin")

-- build/bin/dojo_bench_auc: the roc_auc kernel's microbenchmark (bench/auc_bench.c).
project "dojo_bench_auc"
  kind "ConsoleApp"
  files { "bench/auc_bench.c" }
  links { "dojo", "m" }
  linkoptions { "-Wl,-rpath,'$$ORIGIN/../lib'" }
  outdirs("bin")

-- build/bin/dojo_bench_sandbox: the sandbox benchmark (bench/sandbox runs it).
project "dojo_bench_sandbox"
  kind "ConsoleApp"
  files { "bench/sandbox_bench.c" }
  links { "dojo" }
  linkoptions { "-Wl,-rpath,'$$ORIGIN/../lib'" }
  outdirs("bin")

