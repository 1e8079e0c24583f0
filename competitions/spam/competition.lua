-- Spam: is an e-mail spam? The UCI Spambase data (4601 e-mails collected at Hewlett-Packard
-- Labs in 1999: 48 word frequencies, 6 character frequencies and 3 run lengths of capital
-- letters), as r-cran-kernlab ships it (spam, GPL-2+). The class column type (spam /
-- nonspam) becomes spam = 1 / 0; the metric is the log loss of a predicted probability.
-- No human leaderboard exists: the leaderboard is a reference ladder (ladder/*.py,
-- tools/make-ladder).
return dojo.competition {
  name = "spam",
  title = "Spambase: spam or not",
  modality = "tabular",
  task = "binary",
  metric = "log_loss",
  id_column = "id",
  target_columns = { "spam" },
  credit = "UCI Spambase (Hopkins, Reeber, Forman, Suermondt; Hewlett-Packard Labs), via r-cran-kernlab 0.9-32 (spam); GPL-2+",
  source = {
    file = "data/kernlab__spam.csv.gz",
    rename = { type = "spam" },
    target_map = { spam = 1, nonspam = 0 },
    id_start = 1,
    license = "GPL-2+",
    origin = "r-cran-kernlab 0.9-32-1 (Debian 12), data set spam",
  },
  split = { test_fraction = 0.3, public_fraction = 0.5, stratify = "spam" },
  leaderboard = {
    kind = "reference ladder",
    ladder = "leaderboard.csv",
    note = "no human leaderboard: reference solutions from a constant to a tuned ensemble (ladder/*.py), " ..
           "scored by tools/make-ladder on the default split",
  },
}
