-- Fine food reviews: is a review a rave? 5000 Amazon fine food reviews (McAuley and
-- Leskovec 2013, the data of Kaggle's amazon-fine-food-reviews) as r-cran-modeldata ships a
-- sample of them (small_fine_foods: training_data 4000 + testing_data 1000, MIT): the
-- product's ASIN, the review's text and its score, "great" (5 stars) or "other". The two
-- files are concatenated and split again with a seed. score becomes great = 1 / 0; the
-- metric is ROC AUC on a predicted probability. No human leaderboard exists: the leaderboard
-- is a reference ladder (ladder/*.py, tools/make-ladder).
return dojo.competition {
  name = "fine-food-reviews",
  title = "Amazon fine food reviews: great or not",
  modality = "text",
  task = "binary",
  metric = "roc_auc",
  id_column = "id",
  target_columns = { "great" },
  credit = "Amazon fine food reviews (McAuley and Leskovec 2013, SNAP), the sample in r-cran-modeldata 1.1.0 " ..
           "(small_fine_foods); MIT",
  source = {
    file = "data/modeldata__training_data.csv.gz",
    rename = { score = "great" },
    target_map = { great = 1, other = 0 },
    id_start = 1,
    license = "MIT",
    origin = "r-cran-modeldata 1.1.0-1 (Debian 12), data sets training_data and testing_data (small_fine_foods)",
  },
  -- the sample comes as two files with the same columns: read both, then split
  prepare = function(ctx)
    return ctx.prepare_table { files = { "data/modeldata__training_data.csv.gz", "data/modeldata__testing_data.csv.gz" } }
  end,
  split = { test_fraction = 0.3, public_fraction = 0.5, stratify = "great" },
  leaderboard = {
    kind = "reference ladder",
    ladder = "leaderboard.csv",
    note = "no human leaderboard: reference solutions from a constant to a tuned ensemble (ladder/*.py), " ..
           "scored by tools/make-ladder on the default split",
  },
}
