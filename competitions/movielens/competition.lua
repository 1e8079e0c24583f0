-- MovieLens: how will a user rate a movie? The 100004 ratings (0.5 to 5 stars) that 671
-- users of MovieLens gave 9066 movies, a sample of GroupLens' MovieLens data as
-- r-cran-dslabs ships it (movielens, Artistic-2.0), with each movie's title, year and
-- genres. 7 ratings are of movies without a title or year (NA in the source, missing here).
-- A seeded 20% of the ratings are held out; the metric is RMSE, as in the Netflix prize.
-- No human leaderboard exists: the leaderboard is a reference ladder (ladder/*.py,
-- tools/make-ladder).
return dojo.competition {
  name = "movielens",
  title = "MovieLens: predict the rating",
  modality = "tabular",
  task = "regression",
  metric = "rmse",
  id_column = "id",
  target_columns = { "rating" },
  credit = "MovieLens ratings (GroupLens Research, University of Minnesota), the sample in r-cran-dslabs 0.7.4 (movielens); Artistic-2.0",
  source = {
    file = "data/dslabs__movielens.csv.gz",
    id_start = 1,
    license = "Artistic-2.0",
    origin = "r-cran-dslabs 0.7.4-1 (Debian 12), data set movielens",
  },
  prepare = function(ctx) return ctx.prepare_table { na_values = { "NA" } } end,
  split = { test_fraction = 0.2, public_fraction = 0.5 },
  leaderboard = {
    kind = "reference ladder",
    ladder = "leaderboard.csv",
    note = "no human leaderboard: reference solutions from the global mean to a tuned ensemble (ladder/*.py), " ..
           "scored by tools/make-ladder on the default split",
  },
}
