-- dojo.table: columnar tables read from and written to CSV (plain or gzip).
--
--   local t = assert(dojo.table.read("train.csv.gz"))       -- or nil, "line 7, column 3 ...: ..."
--   t.nrows, t.ncols, t:names()
--   local col = t:column("price")                           -- typed, read in place
--   col.type ("int" | "float" | "string"), col.n, #col, col[i] (nil when missing)
--   local idx = assert(t:index("id")); idx:find(42)          -- 1-based row or nil
--   assert(t:write("out.csv"))                               -- atomic; ".gz" compresses
--
-- Options (read, parse, open): delimiter, quote, header, max_record_bytes, columns,
-- na_values, types = { col = "int" | "float" | "string" }.
local core = require "dojo.core"

local M = {
  read = core.table_read,     -- (path [, opts]) -> table | nil, message
  read2 = core.table_read2,   -- (path1, opts1, path2, opts2) -> t1 | nil, err1, t2 | nil, err2
  parse = core.table_parse,   -- (csv_text [, opts]) -> table | nil, message
  new = core.table_new,       -- ({ {name=, values=, type=?, n=?}, ... }) -> table
  open = core.csv_open,       -- (path [, opts]) -> reader | nil, message; reader:next(n)
}

-- Iterates over a file in chunks of at most `rows` rows: `for chunk in dojo.table.chunks(p) do`.
-- A read error raises (a generic for cannot carry `nil, message`).
function M.chunks(path, opts, rows)
  local reader = assert(core.csv_open(path, opts))
  return function()
    local t, err = reader:next(rows or 65536)
    if t == nil then
      reader:close()
      error(err, 2)
    end
    if t == false then
      reader:close()
      return nil
    end
    return t
  end
end

return M
