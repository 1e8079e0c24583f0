-- request_info: the task, the data and the rules, by info_type.
local M = {
  name = "request_info",
  description = "Returns information about the task: info_type is one of overview, sample_submission, " ..
                "data_structure, data_path, output_path, name, metadata, all.",
  params = { info_type = "string" },
  required = { "info_type" },
}

local TYPES = { "overview", "sample_submission", "data_structure", "data_path", "output_path", "name", "metadata" }

function M.run(env, args)
  local t = args.info_type
  if t == "all" then
    local parts = {}
    for _, k in ipairs(TYPES) do parts[#parts + 1] = "## " .. k .. "\n" .. env:info_text(k) end
    return { status = "SUCCESS", info_type = t, text = table.concat(parts, "\n\n") }
  end
  for _, k in ipairs(TYPES) do
    if k == t then return { status = "SUCCESS", info_type = t, text = env:info_text(k) } end
  end
  return { status = "FAILED", info_type = t,
           error = string.format("unknown info_type '%s' (one of: %s, all)", tostring(t), table.concat(TYPES, ", ")) }
end

return M
