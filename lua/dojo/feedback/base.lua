-- The base feedback policy: what happened, the program's output and errors, the scores,
-- the best so far, and the steps and time left.
local fb = require "dojo.feedback"

local OUT_MAX, ERR_MAX = 4000, 6000

local function position_line(pos, which)
  if not pos then return nil end
  return string.format("%s leaderboard: %s (position score %.4f)", which, fb.position(pos), pos.score)
end

return function(r, ctx)
  local lines = {}
  local function add(s) if s and s ~= "" then lines[#lines + 1] = s end end
  if r.action == "request_info" or r.action == "get_history" or r.action == "reset" then
    add(r.text or r.error)
  elseif r.action == "validate_code" or r.action == "execute_code" then
    if r.error and not r.exec then
      add("The code was not run: " .. r.error)
    else
      if r.syntax_error then
        add("Syntax error, the code was not run:\n" .. r.syntax_error)
      end
      if r.exec then
        add(fb.exec_line(r.exec))
        if r.exec.status ~= "OK" and r.exec.message and r.exec.message ~= "" then add(r.exec.message) end
        local out = fb.tail(r.exec.stdout, OUT_MAX)
        if out then add("--- stdout ---\n" .. out) end
        local err = fb.tail(r.exec.stderr, ERR_MAX)
        if err then add("--- stderr ---\n" .. err) end
      end
      if r.action == "validate_code" then
        add(r.status == "SUCCESS" and "Validation passed (nothing was graded)." or "Validation failed.")
      else
        local s = r.submission
        if not s then
          add("No submission was written to " .. (ctx.submission_path or "submission.csv") .. "; nothing was graded.")
        elseif s.status ~= "SUCCESS" then
          add("The submission was rejected: " .. (s.error and s.error.message or "unknown reason"))
        else
          add(string.format("Submission graded: public score %s (%s).", fb.score(s.public_score),
                            ctx.higher_is_better and "higher is better" or "lower is better"))
          add(position_line(s.position and s.position.public, "Public"))
          if ctx.show_private and s.private_score then
            add(string.format("Private score %s.", fb.score(s.private_score)))
            add(position_line(s.position and s.position.private, "Private"))
          end
        end
      end
    end
  else
    add(r.text or r.error or r.status)
  end
  add(fb.budget_line(ctx))
  return table.concat(lines, "\n")
end
