-- The concise feedback policy: one line per step, and the first error line when the code failed.
local fb = require "dojo.feedback"

local function first_error(s)
  if not s then return nil end
  local last
  for line in s:gmatch("[^\n]+") do
    if line:match("^%w*Error") or line:match("^%w+Exception") then last = line end
  end
  return last
end

return function(r, ctx)
  local parts = { r.action .. ": " .. r.status }
  if r.exec then parts[#parts + 1] = r.exec.status end
  local s = r.submission
  if s and s.status == "SUCCESS" then
    parts[#parts + 1] = "public " .. fb.score(s.public_score)
    if s.position and s.position.public then
      parts[#parts + 1] = string.format("position %d/%d", s.position.public.position, s.position.public.total)
    end
  elseif s then
    parts[#parts + 1] = "rejected: " .. (s.error and s.error.message or "")
  end
  local err = r.syntax_error or (r.exec and r.exec.status ~= "OK" and (first_error(r.exec.stderr) or r.exec.message))
  if r.error then parts[#parts + 1] = r.error end
  if err then parts[#parts + 1] = err end
  local text = table.concat(parts, "; ")
  if (r.action == "request_info" or r.action == "get_history") and r.text then text = r.text end
  return text .. "\n" .. fb.budget_line(ctx)
end
