-- Palmer penguins: a complete small competition to copy. 344 penguins of three species,
-- measured on three islands of the Palmer Archipelago (Antarctica) in 2007-2009.
return dojo.competition {
  name = "penguins",
  title = "Palmer penguins: which species?",
  modality = "tabular",
  task = "multiclass",
  metric = "accuracy",                        -- any name `dojo score --list` shows
  id_column = "id",                           -- not in the source: prepare numbers the rows
  target_columns = { "species" },
  credit = "palmerpenguins (Horst, Hill, Gorman), Debian r-cran-palmerpenguins; CC0",
  source = {
    file = "data/penguins.csv.gz",            -- relative to this folder; plain or gzip CSV
    drop = { "year" },                        -- columns the agent must not see
  },
  split = { test_fraction = 0.3, public_fraction = 0.5, stratify = "species" },
  leaderboard = {                             -- no human leaderboard for this data:
    kind = "reference ladder",                -- dojo's own solutions, made by tools/make-ladder
    ladder = "leaderboard.csv",
    note = "five reference solutions (constant to gradient boosting) run through dojo",
  },
}
