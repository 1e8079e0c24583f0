-- Bike sharing: how many bikes will be rented on a day? Capital Bikeshare's daily rentals in
-- Washington, D.C., 2011-2012 (Fanaee-T and Gama 2013; the UCI bike sharing data, the same
-- source as Kaggle's bike-sharing-demand), as gretl's data files ship it (bikesharing,
-- GPL-3): 731 days with the season, holiday and working-day flags, the weather situation and
-- normalized temperature, felt temperature, humidity and wind speed. The gretl file has no
-- date column; its rows are the days from 2011-01-01 to 2012-12-31 in order, so prepare adds
-- the date, and UCI's yr, mnth and weekday columns that gretl left out (0 = Sunday). casual
-- and registered are dropped: they add up to the target, cnt. Kaggle's
-- competition is hourly, so its leaderboard does not apply: the leaderboard is a reference
-- ladder (ladder/*.py, tools/make-ladder). The metric is RMSLE, as on Kaggle.
local function add_date(cols, n)
  if n ~= 731 then error("bike-sharing expects the 731 days of 2011-2012, not " .. n .. " rows") end
  local mdays = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  local dates, yr, mnth, weekday = {}, {}, {}, {}
  local y, m, d = 2011, 1, 1
  for i = 1, n do
    dates[i] = string.format("%04d-%02d-%02d", y, m, d)
    yr[i], mnth[i], weekday[i] = y - 2011, m, (i + 5) % 7 -- 2011-01-01 was a Saturday (6)
    d = d + 1
    if d > mdays[m] + ((m == 2 and y % 4 == 0) and 1 or 0) then
      d, m = 1, m + 1
      if m > 12 then m, y = 1, y + 1 end
    end
  end
  local function col(name, values, ty) return { name = name, values = values, n = n, type = ty } end
  -- UCI's order: date, season, yr, mnth, holiday, weekday, workingday, weathersit, ...
  local out = { col("date", dates, "string") }
  for _, c in ipairs(cols) do
    out[#out + 1] = c
    if c.name == "season" then out[#out + 1] = col("yr", yr, "int") out[#out + 1] = col("mnth", mnth, "int") end
    if c.name == "holiday" then out[#out + 1] = col("weekday", weekday, "int") end
  end
  return out
end

return dojo.competition {
  name = "bike-sharing",
  title = "Bike sharing: daily rentals",
  modality = "tabular",
  task = "regression",
  metric = "rmsle",
  id_column = "id",
  target_columns = { "cnt" },
  credit = "Capital Bikeshare daily data 2011-2012 (Fanaee-T and Gama 2013, UCI), via gretl-data (bikesharing); GPL-3",
  source = {
    file = "data/bikesharing_daily.csv.gz",
    drop = { "casual", "registered" },
    id_start = 1,
    license = "GPL-3",
    origin = "gretl (Debian 12), data file bikesharing, daily",
  },
  prepare = function(ctx) return ctx.prepare_table { transform = add_date } end,
  split = { test_rows = 256, public_fraction = 0.5 },
  leaderboard = {
    kind = "reference ladder",
    ladder = "leaderboard.csv",
    note = "Kaggle's bike-sharing-demand is hourly, so its leaderboard does not apply: reference solutions from " ..
           "a constant to a tuned ensemble (ladder/*.py), scored by tools/make-ladder on the default split",
  },
}
