-- Credit scoring: will a borrower default? A classic credit scoring data set (4454 loan
-- applicants: seniority, home, loan term, age, marital status, records, job, expenses,
-- income, assets, debt, loan amount, purchase price), from Lluís A. Belanche Muñoz's website
-- by way of Gaston Sanchez's CreditScoring repository, as r-cran-modeldata ships it
-- (credit_data, MIT). Status good/bad becomes bad = 1, the event to detect; the metric is
-- ROC AUC on a predicted probability. Some applicants lack income, assets, debt, home,
-- marital status or job (NA in the source, missing here). No human leaderboard exists: the
-- leaderboard is a reference ladder (ladder/*.py, tools/make-ladder).
return dojo.competition {
  name = "credit",
  title = "Credit scoring: good or bad borrower",
  modality = "tabular",
  task = "binary",
  metric = "roc_auc",
  id_column = "id",
  target_columns = { "Status" },
  credit = "credit_data (L. A. Belanche Muñoz; G. Sanchez's CreditScoring), via r-cran-modeldata 1.1.0; MIT",
  source = {
    file = "data/modeldata__credit_data.csv.gz",
    target_map = { bad = 1, good = 0 },
    id_start = 1,
    license = "MIT",
    origin = "r-cran-modeldata 1.1.0-1 (Debian 12), data set credit_data",
  },
  prepare = function(ctx) return ctx.prepare_table { na_values = { "NA" } } end,
  split = { test_fraction = 0.3, public_fraction = 0.5, stratify = "Status" },
  leaderboard = {
    kind = "reference ladder",
    ladder = "leaderboard.csv",
    note = "no human leaderboard: reference solutions from a constant to a tuned ensemble (ladder/*.py), " ..
           "scored by tools/make-ladder on the default split",
  },
}
