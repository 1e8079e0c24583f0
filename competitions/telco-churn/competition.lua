-- Telco churn: which customers of a telephone and internet company leave? IBM's "Telco
-- customer churn" sample data (7043 customers of a fictional Californian company; the data
-- of several Kaggle notebooks and of Kaggle's telco-customer-churn data set), as
-- r-cran-modeldata ships it (wa_churn, MIT): yes/no columns are 0/1 there, and the customer
-- id is gone. 11 new customers have no total charges (NA in the source, missing here).
-- churn Yes/No becomes 1/0; the metric is ROC AUC on a predicted probability. No human
-- leaderboard exists for this split: the leaderboard is a reference ladder of honest
-- solutions (ladder/*.py) run through dojo by tools/make-ladder.
return dojo.competition {
  name = "telco-churn",
  title = "Telco customer churn",
  modality = "tabular",
  task = "binary",
  metric = "roc_auc",
  id_column = "id",
  target_columns = { "churn" },
  credit = "IBM Telco customer churn sample data, via r-cran-modeldata 1.1.0 (wa_churn); MIT",
  source = {
    file = "data/modeldata__wa_churn.csv.gz",
    target_map = { Yes = 1, No = 0 },
    id_start = 1,
    license = "MIT",
    origin = "r-cran-modeldata 1.1.0-1 (Debian 12), data set wa_churn",
  },
  prepare = function(ctx) return ctx.prepare_table { na_values = { "NA" } } end,
  split = { test_fraction = 0.3, public_fraction = 0.5, stratify = "churn" },
  leaderboard = {
    kind = "reference ladder",
    ladder = "leaderboard.csv",
    note = "no human leaderboard: reference solutions from a constant to a tuned ensemble (ladder/*.py), " ..
           "scored by tools/make-ladder on the default split",
  },
}
