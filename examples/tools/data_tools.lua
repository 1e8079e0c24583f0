-- Two tools for an LLM agent: `dojo run titanic --agent mle --tools examples/tools/data_tools.lua`
local dojo = require "dojo"

return {
  {
    name = "list_files",
    description = "Lists the data files with their sizes in bytes.",
    handler = function(args, ctx)
      local lines = {}
      for _, f in ipairs(dojo.core.dir_list(ctx.data_dir)) do
        local _, size = dojo.core.path_stat(ctx.data_dir .. "/" .. f)
        lines[#lines + 1] = string.format("%s  %d", f, size or 0)
      end
      table.sort(lines)
      return table.concat(lines, "\n")
    end,
  },
  {
    name = "inspect_csv",
    description = "Shows a data file's rows, and for each column its type, missing values and first values.",
    parameters = {
      type = "object",
      properties = {
        file = { type = "string", description = "a file in ./data, e.g. train.csv" },
        values = { type = "integer", description = "how many first values to show (default 3)" },
      },
      required = { "file" },
    },
    handler = function(args, ctx)
      if args.file:find("/", 1, true) then return { error = "give a file name in ./data, not a path" } end
      local t, err = dojo.table.read(ctx.data_dir .. "/" .. args.file)
      if not t then return { error = err } end
      local out = { string.format("%s: %d rows, %d columns", args.file, t.nrows, t.ncols) }
      for _, name in ipairs(t:names()) do
        local col, missing, first = t:column(name), 0, {}
        for i = 1, t.nrows do
          local v = col[i]
          if v == nil then missing = missing + 1
          elseif #first < (args.values or 3) then first[#first + 1] = tostring(v) end
        end
        out[#out + 1] = string.format("- %s (%s): %d missing; %s", name, col.type, missing, table.concat(first, ", "))
      end
      return table.concat(out, "\n")
    end,
  },
}
