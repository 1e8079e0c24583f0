-- dojo.env: environments. The competition registry and the Gym-style env arrive with the
-- environment work; until then no competition is known and make() says so.
local M = {}

function M.make(name, opts)
  if type(name) ~= "string" or name == "" then
    return nil, "a competition name is required"
  end
  if opts ~= nil and type(opts) ~= "table" then
    return nil, "environment options must be a table (a JSON object)"
  end
  return nil, string.format("no such competition '%s' (no competitions are installed)", name)
end

return M
