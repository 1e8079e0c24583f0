-- dojo.embed: the Lua side of the C embedding API (core/embed.c). Every function takes and
-- returns JSON text; failures become {"error":{"type":...,"message":...}} documents, never
-- Lua errors crossing into C (embed.c still guards with lua_pcall).
local json = require "dojo.json"

local M = {}

local function pack(...) return { n = select("#", ...), ... } end

local function error_doc(kind, message)
  return json.encode({ error = { type = kind, message = tostring(message) } })
end

local function decode_object(text, what)
  if text == nil then return {} end
  local v, err = json.decode(text)
  if v == nil and err then return nil, what .. " is not valid JSON: " .. err end
  if type(v) ~= "table" or rawequal(v, json.null) or json.is_array(v) then
    return nil, what .. " must be a JSON object"
  end
  return v
end

local function encode_result(v)
  local s, err = json.encode(v, { nan = "null" })
  if not s then return error_doc("InternalError", "cannot encode the result: " .. err) end
  return s
end

-- cli(argv) -> exit code; argv[0] is the program name.
function M.cli(argv)
  return require("dojo.cli").main(argv)
end

-- call("dojo.version_info", args_json) -> JSON of the function's first result.
function M.call(name, args_json)
  if type(name) ~= "string" or not name:match("^dojo[%w_%.]*%.[%a_][%w_]*$") then
    return error_doc("CallError", "function name must look like dojo.module.function, got '" ..
                     tostring(name) .. "'")
  end
  local modname, fname = name:match("^(.*)%.([%a_][%w_]*)$")
  local ok, mod = pcall(require, modname)
  if not ok then return error_doc("CallError", "cannot load module " .. modname .. ": " .. tostring(mod)) end
  local fn = type(mod) == "table" and mod[fname]
  if type(fn) ~= "function" then
    return error_doc("CallError", "no function " .. fname .. " in module " .. modname)
  end
  local args = nil
  if args_json ~= nil then
    local err
    args, err = json.decode(args_json)
    if args == nil and err then return error_doc("InvalidArgument", "arguments are not valid JSON: " .. err) end
  end
  local res = pack(pcall(fn, args))
  if not res[1] then return error_doc("CallError", res[2]) end
  if res[2] == nil and res[3] ~= nil then return error_doc("Failed", res[3]) end
  return encode_result(res[2] == nil and json.null or res[2])
end

function M.make(name, options_json)
  local opts, err = decode_object(options_json, "environment options")
  if not opts then return nil, err end
  return require("dojo").make(name, opts)
end

function M.reset(env, options_json)
  local opts, err = decode_object(options_json, "reset options")
  if not opts then return error_doc("InvalidArgument", err) end
  local ok, obs, info = pcall(env.reset, env, opts)
  if not ok then return error_doc("InternalError", obs) end
  return encode_result({ observation = obs, info = info or json.object({}) })
end

function M.step(env, action, args_json)
  local args, err = decode_object(args_json, "action arguments")
  if not args then return error_doc("InvalidArgument", err) end
  local ok, obs, reward, terminated, truncated, info = pcall(env.step, env, action, args)
  if not ok then return error_doc("InternalError", obs) end
  return encode_result({ observation = obs, reward = reward, terminated = terminated and true or false,
                         truncated = truncated and true or false, info = info or json.object({}) })
end

function M.close(env)
  if env and env.close then env:close() end
end

return M
