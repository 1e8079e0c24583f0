-- dojo.serve: the environment over JSON lines (dojo serve --stdio), for agents written in
-- any language. One request per line, one answer per line, in order:
--
--   {"id":1,"method":"make","params":{"name":"titanic","options":{"max_steps":10}}}
--   {"id":1,"result":{"name":"titanic","output_dir":"..."}}
--   {"id":2,"method":"reset","params":{"seed":1}}      -> {"observation":...,"info":...}
--   {"id":3,"method":"step","params":{"action":"execute_code","args":{"code":"..."}}}
--                                   -> {"observation":...,"reward":...,"terminated":false,"truncated":false,"info":...}
--   {"id":4,"method":"close"}
--
-- Errors: {"id":N,"error":{"type":"InvalidRequest"|"InvalidParams"|"MethodNotFound"|"Failed","message":...}}.
-- One env per server; make again replaces it (closing the old one).
local json = require "dojo.json"

local M = {}

local function object(v) return type(v) == "table" and not json.is_array(v) end

function M.handle(state, req)
  if not object(req) then return nil, "InvalidRequest", "a request must be a JSON object" end
  local method, params = req.method, req.params
  if params == nil or params == json.null then params = {} end
  if not object(params) then return nil, "InvalidParams", "params must be a JSON object" end
  if method == "make" then
    if type(params.name) ~= "string" then return nil, "InvalidParams", "make needs params.name (a competition name)" end
    local o = params.options
    if o ~= nil and not object(o) then return nil, "InvalidParams", "make: options must be a JSON object" end
    if state.env then state.env:close() state.env = nil end
    local env, err = require("dojo").make(params.name, o or {})
    if not env then return nil, "Failed", err end
    state.env = env
    return { name = env.name, output_dir = env.paths.out, actions = require("dojo.actions").list() }
  end
  if method ~= "reset" and method ~= "step" and method ~= "close" then
    return nil, "MethodNotFound", string.format("unknown method '%s' (make, reset, step, close)", tostring(method))
  end
  local env = state.env
  if not env then return nil, "Failed", "no environment: call make first" end
  if method == "close" then
    env:close()
    state.env = nil
    return { closed = true, final = env.final or json.null }
  elseif method == "reset" then
    local ok, obs, info = pcall(env.reset, env, { seed = params.seed })
    if not ok then return nil, "Failed", tostring(obs) end
    return { observation = obs, info = info }
  end
  if type(params.action) ~= "string" then return nil, "InvalidParams", "step needs params.action (an action name)" end
  local args = params.args
  if args ~= nil and not object(args) then return nil, "InvalidParams", "step: args must be a JSON object" end
  local ok, obs, reward, terminated, truncated, info = pcall(env.step, env, params.action, args or {})
  if not ok then return nil, "Failed", tostring(obs) end
  return { observation = obs, reward = reward, terminated = terminated, truncated = truncated, info = info }
end

function M.stdio(input, output)
  local state = {}
  for line in input:lines() do
    if line:match("%S") then
      local req, err = json.decode(line)
      local id = type(req) == "table" and req.id or json.null
      local answer
      if req == nil then
        answer = { id = json.null, error = { type = "InvalidRequest", message = "not JSON: " .. err } }
      else
        local res, kind, msg = M.handle(state, req)
        if res then answer = { id = id, result = res } else answer = { id = id, error = { type = kind, message = msg } } end
      end
      output:write(assert(json.encode_line(answer, { nan = "null" })), "\n")
      output:flush()
    end
  end
  if state.env then state.env:close() end
end

return M
