-- dojo.options: checking a table of named options against their types, one way for every
-- module that takes one (dojo.http, dojo.sandbox, dojo.make, competition definitions).
--
--   local ok, msg = options.check(t, { url = "string", timeout = "number" }, { noun = "option" })
--
-- Returns true, or nil and one sentence for the first problem found (names in sorted order,
-- so the message is the same on every run and runtime): an unknown name (the known ones
-- listed), a value of the wrong type, a number that is not finite or below the minimum.
-- A type "any" takes any value. Options of check: noun ("option"), prefix (put before
-- names, e.g. "split."), positive (numbers must be > 0; else >= 0).
local M = {}

-- The names of spec, sorted and joined with ", " (each with prefix).
function M.names(spec, prefix)
  local out = {}
  for k in pairs(spec) do out[#out + 1] = (prefix or "") .. k end
  table.sort(out)
  return table.concat(out, ", ")
end

function M.check(t, spec, o)
  o = o or {}
  local prefix = o.prefix or ""
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, name in ipairs(keys) do
    local v = t[name]
    local want = type(name) == "string" and spec[name] or nil
    if not want then
      return nil, string.format("unknown %s '%s%s' (known: %s)", o.noun or "option", prefix, tostring(name),
                                M.names(spec, prefix))
    end
    if want ~= "any" and type(v) ~= want then
      return nil, string.format("%s%s must be a %s, not a %s", prefix, name, want, type(v))
    end
    if want == "number" and not (v < math.huge and (o.positive and v > 0 or not o.positive and v >= 0)) then
      return nil, string.format("%s%s must be a %s (got %s)", prefix, name,
                                o.positive and "positive number" or "finite number >= 0", tostring(v))
    end
  end
  return true
end

return M
